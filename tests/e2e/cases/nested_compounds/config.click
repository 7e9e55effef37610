elementclass Inner { $p | input -> Paint($p) -> output }
elementclass Outer { $p | input -> i :: Inner($p) -> c :: Counter -> output }
InfiniteSource(LIMIT 6, STOP true) -> o :: Outer(3) -> ps :: PaintSwitch;
ps [0] -> Discard; ps [1] -> Discard; ps [2] -> Discard;
ps [3] -> three :: Counter -> Discard;
