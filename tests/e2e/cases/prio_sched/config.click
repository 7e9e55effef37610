a :: InfiniteSource(LIMIT 300) -> qa :: Queue(1000) -> [0] ps :: PrioSched;
b :: InfiniteSource(LIMIT 200) -> qb :: Queue(1000) -> [1] ps;
ps -> c :: Counter -> Discard;
DriverManager(wait 100ms, stop);
