// a comment line
src :: InfiniteSource(LIMIT many) -> Discard;
