/*
 * DriverManager - a Script whose default TYPE is DRIVER: it receives the
 * router's stop events (sources with STOP true, `stop` instructions of other
 * scripts) as steps, and the router stops only when its script ends or runs
 * `stop`.  The engine is script.c.
 */
#include "script.h"

static const char doc[] =
	"DriverManager is a Script element whose default TYPE is DRIVER.\n\n"
	"Stop events (a source with STOP true finishing, a `stop` instruction in another script, "
	"a script writing the router's `stop` handler) normally stop the router. With a "
	"DriverManager, each stop event instead steps its script: `wait_stop [N]` (or `pause`, "
	"`wait_step`) waits for N events, `wait TIME` waits, `stop` stops the router, and the "
	"router also stops when the script ends (its last instruction is an implicit `stop`, and "
	"a stop event arriving after `end` stops it). An empty DriverManager stops on the first "
	"stop event, which is also what happens without one.\n\n"
	"See Script for the instructions. Only one driver script should exist per router (Click "
	"refuses a second; mboxsh lets the last one initialised receive the events).";

static int dm_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	return io_script_configure(e, argc, argv, err, IO_SCRIPT_DRIVER);
}

static struct el_class drivermanager = {
	.name = "DriverManager",
	.sig = "DriverManager(INSTRUCTIONS...)",
	.summary = "a Script that manages driver stop events",
	.doc = doc,
	.ports = "0/0",
	.state_size = sizeof(struct io_script_state),
	.configure = dm_configure,
	.init = io_script_init,
	.cleanup = io_script_cleanup,
	.handlers = io_script_handlers,
};
EL_REGISTER(drivermanager)
