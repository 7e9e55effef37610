src :: InfiniteSource(LIMIT 1000, STOP true) -> q :: Queue(2000) -> c :: Counter -> Discard;
DriverManager(wait_stop, wait 200ms, stop);
