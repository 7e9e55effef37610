/*
 * Idle - never sends a packet; frees any it receives.
 */
#include "../../runtime/el.h"

static void idle_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)n, (void)port;
	rt_batch_free(b);
}

static struct el_class idle = {
	.name = "Idle",
	.sig = "Idle",
	.summary = "discards packets",
	.doc = "Has zero or more inputs and zero or more outputs. It never pushes a packet to any output. "
	       "Any packet it does receive is discarded. Used to avoid \"input not connected\" and "
	       "\"output not connected\" errors.",
	.ports = "-/-",
	.push = idle_push,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(idle)
