/*
 * script.h - the engine behind Script and DriverManager (Click's script.cc):
 * both classes share the parser, the stepping machine, the libuv timer and
 * the handlers; DriverManager only changes the default TYPE to DRIVER.
 *
 * Thread-safety: control thread only (configure, init, the libuv timer and
 * stop-hook callbacks, handlers).
 */
#ifndef MB_IO_SCRIPT_H
#define MB_IO_SCRIPT_H

#include "../../runtime/el.h"

enum io_script_type { IO_SCRIPT_ACTIVE, IO_SCRIPT_PASSIVE, IO_SCRIPT_DRIVER };

/* The element state of both classes: the script lives behind a pointer so
 * its layout stays private to script.c. */
struct io_script_state {
	struct io_script *sc;
};

int io_script_configure(struct el *e, int argc, char **argv, struct rt_err *err, enum io_script_type def);
int io_script_init(struct el *e, struct rt_err *err);
void io_script_cleanup(struct el *e);
extern const struct el_handler io_script_handlers[];
extern const char io_script_doc[];

#endif
