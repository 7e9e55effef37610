d :: Discard;
