/*
 * GetIPAddress - sets the destination IP address annotation from 4 bytes of
 * packet data, or from the IP header's source or destination address.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "ipmisc.h"

static const char doc[] =
	"Copies 4 bytes from the packet, starting at OFFSET, to the destination IP address "
	"annotation. OFFSET is usually 16, to fetch the destination address from an IP packet "
	"(30 with an Ethernet header in front).\n\n"
	"Instead of OFFSET you may give the IP keyword (or write OFFSET as) `src` or `dst`: the "
	"annotation is then set to the IP header's source or destination address. A packet too "
	"short for the address keeps its annotation.\n\n"
	"ANNO names the annotation to set; mboxsh has one IP address annotation, so only "
	"`DST_IP` (Click's default) is accepted.";

enum { GIA_OFFSET, GIA_SRC, GIA_DST };

struct gia {
	char *offset_arg, *anno, *ip;
	int mode;
	uint32_t offset;
};

static const struct el_arg args[] = {
	{"OFFSET", EL_T_WORD, offsetof(struct gia, offset_arg), NULL, EL_ARG_POS, "byte offset of the address, or src/dst"},
	{"ANNO", EL_T_WORD, offsetof(struct gia, anno), NULL, EL_ARG_POS, "annotation to set (DST_IP)"},
	{"IP", EL_T_WORD, offsetof(struct gia, ip), NULL, 0, "src or dst: take the address from the IP header"},
	EL_ARGS_END,
};

static int gia_word(const char *w)
{
	if (!strcasecmp(w, "src"))
		return GIA_SRC;
	if (!strcasecmp(w, "dst"))
		return GIA_DST;
	return -1;
}

static int gia_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct gia *s = e->state;
	if (argc == 1 && argv[0] && !s->offset_arg && gia_word(argv[0]) >= 0) {
		/* "DST" looks like a keyword to the table; Click reads it positionally */
		s->offset_arg = strdup(argv[0]);
		argc = 0;
	}
	if (argc > 0 && argv[0]) {
		const char *v;
		int k = el_arg_keyword(argv[0], &v);
		if (k)
			return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%.*s'", e->name, k, argv[0]);
		return rt_errf(err, &e->loc, -EINVAL, "%s: too many arguments (unexpected '%s')", e->name, argv[0]);
	}
	if (s->anno && strcmp(s->anno, "DST_IP") && strcmp(s->anno, "DST_IP_ANNO") && strcmp(s->anno, "0"))
		return rt_errf(err, &e->loc, -EINVAL, "%s: ANNO: only the destination IP annotation (DST_IP) is supported, not '%s'",
			       e->name, s->anno);
	if (s->ip) {
		if ((s->mode = gia_word(s->ip)) < 0)
			return rt_errf(err, &e->loc, -EINVAL, "%s: IP: expected 'src' or 'dst', not '%s'", e->name, s->ip);
		if (s->offset_arg)
			return rt_errf(err, &e->loc, -EINVAL, "%s: give OFFSET or IP, not both", e->name);
		return 0;
	}
	if (!s->offset_arg)
		return rt_errf(err, &e->loc, -EINVAL, "%s: missing mandatory argument 'OFFSET'", e->name);
	if ((s->mode = gia_word(s->offset_arg)) >= 0)
		return 0;
	char *end;
	unsigned long v = strtoul(s->offset_arg, &end, 0);
	if (*end || !isdigit((unsigned char)s->offset_arg[0]) || v > 0xffff)
		return rt_errf(err, &e->loc, -EINVAL, "%s: OFFSET: expected byte offset, 'src' or 'dst', not '%s'", e->name,
			       s->offset_arg);
	s->mode = GIA_OFFSET;
	s->offset = (uint32_t)v;
	return 0;
}

static void gia_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	const struct gia *s = n->state;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 4 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 4]));
		int off;
		if (s->mode == GIA_OFFSET)
			off = (int)s->offset;
		else
			off = ipm_off(m) + (s->mode == GIA_SRC ? IPM_OFF_SRC : IPM_OFF_DST);
		if (off >= 0 && (uint32_t)off + 4 <= rt_len(m))
			memcpy(&rt_anno(m)->dst_ip, rt_data(m) + off, 4);
	}
	el_output(n, 0, b);
}

static struct el_class getipaddress = {
	.name = "GetIPAddress",
	.sig = "GetIPAddress(OFFSET [, ANNO, KEYWORDS])",
	.summary = "sets destination IP address annotation from packet data",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct gia),
	.args = args,
	.configure = gia_configure,
	.push = gia_push,
};
EL_REGISTER(getipaddress)
