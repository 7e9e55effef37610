a :: InfiniteSource(LIMIT 100) -> qa :: Queue(1000) -> [0] s :: RoundRobinSched;
b :: InfiniteSource(LIMIT 60) -> qb :: Queue(1000) -> [1] s;
s -> c :: Counter -> Discard;
DriverManager(wait 100ms, stop);
