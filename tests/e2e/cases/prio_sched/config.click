a :: InfiniteSource(LIMIT 300, STOP true) -> qa :: Queue(1000) -> [0] ps :: PrioSched;
b :: InfiniteSource(LIMIT 200, STOP true) -> qb :: Queue(1000) -> [1] ps;
ps -> c :: Counter -> Discard;
DriverManager(wait_stop 2, wait 200ms, stop);
