InfiniteSource(LIMIT 10, BURST 10, STOP true) -> s :: RoundRobinSwitch;
s [0] -> a :: Counter -> Discard;
s [1] -> b :: Counter -> Discard;
