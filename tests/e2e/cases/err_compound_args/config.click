elementclass P { $a | input -> Paint($a) -> output }
InfiniteSource -> P(1, 2) -> Discard;
