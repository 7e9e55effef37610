src :: InfiniteSource -> ;
