src :: InfiniteSource -> Discard;
src -> Discard;
