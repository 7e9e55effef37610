src :: InfiniteSource -> Discard; /* never closed
