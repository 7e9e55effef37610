/*
 * ipclassify.c - shared implementation of IPClassifier and IPFilter: the
 * expression is evaluated on the IP header (the network-header annotation
 * when set, else the packet data).
 */
#include "ipclassify.h"

int ipclassify_configure(struct el *e, enum cls_ipmode mode, int argc, char **argv, struct rt_err *err)
{
	struct ipclassify *s = e->state;
	if (argc == 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: %s needs at least one %s", e->name, e->cls->name,
			       mode == CLS_IPFILTER ? "rule" : "expression");
	int nout = 0;
	if (cls_ip_compile(mode, argc, argv, &e->loc, &s->prog, &nout, err) < 0) {
		rt_err_prefix(err, e->name);
		return err->code;
	}
	e->nout_cfg = nout;
	return 0;
}

void ipclassify_cleanup(struct el *e) { cls_prog_free(EL_STATE(e, struct ipclassify)->prog); }

void ipclassify_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct ipclassify *s = n->state;
	int16_t out[RT_BATCH_MAX];
	uint32_t drops = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		const uint8_t *ip = rt_data(m);
		int len = (int)rt_len(m);
		if (rt_has_nh(m)) {
			int off = rt_nh_offset(m);
			ip = rt_nh(m);
			len -= off;
		}
		out[i] = (int16_t)(len > 0 ? cls_prog_match(s->prog, ip, (uint32_t)len) : -1);
		drops += out[i] < 0;
	}
	if (drops)
		((struct ipclassify_pw *)el_pw(n->e))->drops += drops;
	el_output_by_port(n, b, out);
}

static int ipclassify_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	if (what == 0)
		cls_prog_dump(EL_STATE(e, struct ipclassify)->prog, out);
	else
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct ipclassify_pw, drops)));
	return 0;
}

const struct el_handler ipclassify_handlers[] = {
	{"program", ipclassify_read, NULL, 0, 0, "the compiled decision program"},
	{"drops", ipclassify_read, NULL, 1, 0, "packets dropped (no match, or a deny rule)"},
	EL_HANDLERS_END,
};
