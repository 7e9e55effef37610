src :: InfiniteSource(LIMIT 1, STOP true) -> c :: Counter -> Discard;
