src :: InfiniteSource(BURST 100) -> Discard;
