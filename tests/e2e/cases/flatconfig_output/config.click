define($N 5)
elementclass Pass { input -> Null -> output }
src :: InfiniteSource(LIMIT $N) -> p :: Pass -> c :: Counter -> Discard;
