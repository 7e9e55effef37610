RatedSource(RATE 2000, LIMIT 20, STOP true) -> c :: Counter -> Discard;
