require(package "nosuch");
Idle;
