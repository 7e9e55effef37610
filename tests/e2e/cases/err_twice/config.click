src :: InfiniteSource(LIMIT 1, LIMIT 2) -> Discard;
