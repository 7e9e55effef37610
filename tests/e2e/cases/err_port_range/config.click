src :: InfiniteSource -> c :: Counter;
c [1] -> Discard;
