src :: InfiniteSource(a, 1, 2, true, 5) -> Discard;
