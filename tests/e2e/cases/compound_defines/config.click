define($LIMIT 3)
elementclass Counted { $name_unused, COUNT $n |
  input -> s :: Switch($n) -> c :: Counter -> output;
  s [1] -> Discard;
}
InfiniteSource(LIMIT $LIMIT, STOP true) -> f :: Counted(x, COUNT 0) -> Discard;
