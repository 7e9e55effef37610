InfiniteSource(LIMIT 500, STOP true) -> a :: AverageCounter -> Discard;
