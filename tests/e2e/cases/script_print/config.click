src :: InfiniteSource(LIMIT 25, STOP true) -> c :: Counter -> Discard;
DriverManager(wait_stop, print "count $(c.count)", write c.reset, print "after reset $(c.count)", stop);
