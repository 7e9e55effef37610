InfiniteSource(LIMIT 100, STOP true) -> t :: Tee(3);
t [0] -> a :: Counter -> Discard;
t [1] -> b :: Counter -> Discard;
t [2] -> c :: Counter -> Discard;
