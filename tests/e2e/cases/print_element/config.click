InfiniteSource(DATA \<0a0b0c0d>, LIMIT 2, STOP true) -> Print(hello) -> Discard;
