src :: InfiniteSource(LIMT 5) -> Discard;
