InfiniteSource -> c :: Counter(5) -> Discard;
