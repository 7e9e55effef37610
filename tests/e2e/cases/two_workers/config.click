a :: InfiniteSource(LIMIT 50000) -> ca :: Counter -> d :: Discard;
b :: InfiniteSource(LIMIT 40000) -> cb :: Counter -> d;
DriverManager(wait 300ms, stop);
