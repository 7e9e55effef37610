/*
 * Null - passes packets unchanged.
 */
#include "../../runtime/el.h"

static void null_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	el_output(n, 0, b);
}

static struct el_class null = {
	.name = "Null",
	.sig = "Null",
	.summary = "null element: passes packets unchanged",
	.doc = "Just passes packets along without doing anything else.",
	.ports = "1/1",
	.push = null_push,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(null)
