/* demo.h - the built-in demo middlebox `make run` starts. */
#ifndef MB_DEMO_H
#define MB_DEMO_H
extern const char mb_demo_config[];
#endif
