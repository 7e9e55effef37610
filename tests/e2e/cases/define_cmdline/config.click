define($N 1, $COLOR 0)
InfiniteSource(LIMIT $N, STOP true) -> Paint($COLOR) -> ps :: PaintSwitch;
ps [0] -> z :: Counter -> Discard; ps [1] -> o :: Counter -> Discard;
