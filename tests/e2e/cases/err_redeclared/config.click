c :: Counter;
c :: Counter;
