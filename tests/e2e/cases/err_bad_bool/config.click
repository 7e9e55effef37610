src :: InfiniteSource(STOP maybe) -> Discard;
