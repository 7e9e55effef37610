src :: InfiniteSource;
