src :: InfiniteSource(LIMIT 10, STOP true) -> s :: Switch(1);
s [0] -> a :: Counter -> Discard;
s [1] -> b :: Counter -> Discard;
