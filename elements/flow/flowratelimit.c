/*
 * FlowRateLimit - a token bucket per flow, in the flow's FCB slot.
 */
#include <errno.h>

#include "flow/flow.h"

struct rl_slot {
	uint64_t tokens;        /* packets * 1e9 (nanotokens) */
	uint64_t last;          /* ns */
};

struct rl {
	uint64_t rate, burst;
};

struct rl_pw {
	uint64_t passed, limited, noflow;
};

static int rl_verdict(struct el_node *n, struct rte_mbuf *m, void *slot)
{
	struct rl *s = n->state;
	struct rl_pw *pw = el_pw(n->e);
	struct rl_slot *r = slot;
	if (unlikely(!r)) {
		pw->noflow++;
		return 0;
	}
	uint64_t now = rt_anno(m)->timestamp ? rt_anno(m)->timestamp : rt_now_ns();
	uint64_t cap = s->burst * 1000000000ull;
	if (!r->last) {
		r->tokens = cap;
	} else if (now > r->last) {
		uint64_t dt = now - r->last;  /* dt * rate cannot overflow below cap / rate */
		uint64_t add = dt >= cap / s->rate ? cap : dt * s->rate;
		r->tokens = add >= cap - r->tokens ? cap : r->tokens + add;
	}
	r->last = RT_MAX(now, r->last);
	if (r->tokens >= 1000000000ull) {
		r->tokens -= 1000000000ull;
		pw->passed++;
		return 0;
	}
	pw->limited++;
	return 1;
}

static void rl_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct flow_hold_stats hs = {0};
	flow_el_push(n, b, rl_verdict, &hs);
}

static int rl_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	(void)argc, (void)argv;
	struct rl *s = e->state;
	if (!s->rate || s->rate > 1000000000ull)
		return rt_errf(err, &e->loc, -ERANGE, "%s: RATE must be 1 to 1G packets per second", e->name);
	if (!s->burst || s->burst > 1000000)
		return rt_errf(err, &e->loc, -ERANGE, "%s: BURST must be 1 to 1000000 packets", e->name);
	return 0;
}

static int rl_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

static const struct el_arg args[] = {
	{"RATE", EL_T_RATE, offsetof(struct rl, rate), NULL, EL_ARG_REQ | EL_ARG_POS, "packets per second per flow"},
	{"BURST", EL_T_UINT, offsetof(struct rl, burst), "1", 0, "packets a flow may send at once"},
	EL_ARGS_END,
};

static const struct el_handler handlers[] = {
	{"passed", rl_read, NULL, offsetof(struct rl_pw, passed), 0, "packets within their flow's rate"},
	{"limited", rl_read, NULL, offsetof(struct rl_pw, limited), 0, "packets over their flow's rate"},
	{"noflow", rl_read, NULL, offsetof(struct rl_pw, noflow), 0, "packets passed unlimited: no flow"},
	EL_HANDLERS_END,
};

static struct el_class rl_class = {
	.name = "FlowRateLimit",
	.sig = "FlowRateLimit(RATE, [BURST])",
	.summary = "limits each flow's packet rate (token bucket per flow)",
	.doc = "Behind a FlowManager: each flow has a token bucket of BURST packets refilled at RATE packets "
	       "per second (time from the timestamp annotation when set, else the clock). Packets within "
	       "the rate leave on output 0; the others on output 1 if connected, else are dropped. Packets "
	       "without a flow pass.",
	.ports = "1/1-2",
	.state_size = sizeof(struct rl),
	.pw_size = sizeof(struct rl_pw),
	.args = args,
	.configure = rl_configure,
	.push = rl_push,
	.handlers = handlers,
	.flow_size = sizeof(struct rl_slot),
};
EL_REGISTER(rl_class)
