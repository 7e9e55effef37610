a :: InfiniteSource(LIMIT 50000, STOP true) -> ca :: Counter -> d :: Discard;
b :: InfiniteSource(LIMIT 40000, STOP true) -> cb :: Counter -> d;
DriverManager(wait_stop 2, stop);
