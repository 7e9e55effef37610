/*
 * ipedit.c - the control side of ipedit.h: the `drops` handler.
 */
#include "ipedit.h"

int ipedit_drops_h(struct el *e, intptr_t what, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct ipedit_pw, drops)));
	return 0;
}
