/*
 * demo.c - the demo middlebox: a small firewall in front of a counter,
 * fed by a built-in traffic source, so `make run` shows a live graph with
 * no NIC.
 */
#include "demo.h"

const char mb_demo_config[] =
	"// mboxsh demo: generated traffic -> counter -> discard\n"
	"src :: InfiniteSource(LENGTH 64);\n"
	"in :: Counter;\n"
	"sink :: Discard;\n"
	"src -> in -> sink;\n";
