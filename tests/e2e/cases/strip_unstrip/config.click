InfiniteSource(LENGTH 100, LIMIT 10, STOP true) -> Strip(14) -> a :: Counter -> Unstrip(14) -> Truncate(60) -> b :: Counter -> Pad(80) -> c :: Counter -> Discard;
