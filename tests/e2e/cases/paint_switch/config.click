elementclass Colour { $c | input -> Paint($c) -> output }
a :: InfiniteSource(LIMIT 7, STOP false) -> Colour(1) -> ps :: PaintSwitch;
b :: InfiniteSource(LIMIT 5, STOP true) -> Colour(0) -> ps;
ps [0] -> zero :: Counter -> Discard;
ps [1] -> one :: Counter -> Discard;
