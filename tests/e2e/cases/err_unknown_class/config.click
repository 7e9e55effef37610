x :: Foo;
