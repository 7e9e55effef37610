src :: InfiniteSource -> x;
