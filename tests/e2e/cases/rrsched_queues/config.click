a :: InfiniteSource(LIMIT 100, STOP true) -> qa :: Queue(1000) -> [0] s :: RoundRobinSched;
b :: InfiniteSource(LIMIT 60, STOP true) -> qb :: Queue(1000) -> [1] s;
s -> c :: Counter -> Discard;
DriverManager(wait_stop 2, wait 200ms, stop);
