/*
 * SetIPAddress - sets the destination IP address annotation of every packet
 * to a fixed address.
 */
#include <errno.h>

#include "ipmisc.h"

struct sipa {
	uint32_t addr; /* network order */
	char *anno;
};

static const struct el_arg args[] = {
	{"ADDR", EL_T_IP4, offsetof(struct sipa, addr), NULL, EL_ARG_POS | EL_ARG_REQ, "the address"},
	{"ANNO", EL_T_WORD, offsetof(struct sipa, anno), NULL, EL_ARG_POS, "annotation to set (DST_IP)"},
	EL_ARGS_END,
};

static int sipa_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct sipa *s = e->state;
	if (argc > 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%s'", e->name, argv[0]);
	if (s->anno && strcmp(s->anno, "DST_IP") && strcmp(s->anno, "DST_IP_ANNO") && strcmp(s->anno, "0"))
		return rt_errf(err, &e->loc, -EINVAL, "%s: ANNO: only the destination IP annotation (DST_IP) is supported, not '%s'",
			       e->name, s->anno);
	return 0;
}

static void sipa_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint32_t a = EL_NSTATE(n, struct sipa)->addr;
	for (uint32_t i = 0; i < b->n; i++)
		rt_anno(b->pkts[i])->dst_ip = a;
	el_output(n, 0, b);
}

static struct el_class setipaddress = {
	.name = "SetIPAddress",
	.sig = "SetIPAddress(ADDR [, ANNO])",
	.summary = "sets destination IP address annotations",
	.doc = "Sets the destination IP address annotation of incoming packets to the static IP address "
	       "ADDR. ANNO names the annotation; mboxsh has one IP address annotation, so only `DST_IP` "
	       "(Click's default) is accepted.",
	.ports = "1/1",
	.state_size = sizeof(struct sipa),
	.args = args,
	.configure = sipa_configure,
	.push = sipa_push,
};
EL_REGISTER(setipaddress)
