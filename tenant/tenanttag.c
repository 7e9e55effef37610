/*
 * TenantTag - the edge: marks packets as one tenant's (rt_anno.tenant).
 */
#include <errno.h>

#include "ctl.h"
#include "tenant/tn.h"

static const char doc[] =
	"Sets each packet's tenant annotation to TENANT's id and counts it. Placed at the edge, after "
	"the classifier that selects a tenant's traffic (by input device, VLAN or prefix: Classifier, "
	"IPClassifier), in front of the tenant's graph:\n\n"
	"    cls :: IPClassifier(src net 10.1.0.0/16, src net 10.2.0.0/16, -);\n"
	"    cls [0] -> TenantTag(acme) -> acme/in;  cls [1] -> TenantTag(blue) -> blue/in;\n\n"
	"TENANT must exist when the element is created. In a tenant's own graph TenantTag may only "
	"name that tenant (any other is \"no tenant\"), so a tenant cannot pass its packets off as "
	"another's. See docs/tenants.md.";

struct ttag {
	char *tenant;
	uint32_t id;
};

struct ttag_pw {
	uint64_t count;
};

static const struct el_arg args[] = {
	{"TENANT", EL_T_WORD, offsetof(struct ttag, tenant), NULL, EL_ARG_POS | EL_ARG_REQ, "tenant name"},
	EL_ARGS_END,
};

static void ttag_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint32_t id = EL_NSTATE(n, struct ttag)->id;
	for (uint32_t i = 0; i < b->n; i++)
		rt_anno(b->pkts[i])->tenant = id;
	struct ttag_pw *pw = el_pw(n->e);
	__atomic_store_n(&pw->count, pw->count + b->n, __ATOMIC_RELAXED);
	el_output(n, 0, b);
}

static int ttag_init(struct el *e, struct rt_err *err)
{
	struct ttag *s = e->state;
	const struct tn *t = tn_by_name(e->router, s->tenant);
	if (!t || (e->tenant && tn_id(t) != e->tenant))
		return rt_errf(err, &e->loc, -ENOENT, "%s: no tenant '%s'", e->name, s->tenant);
	s->id = tn_id(t);
	return 0;
}

static int ttag_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	if (what)
		rt_buf_printf(out, "%u", EL_STATE(e, struct ttag)->id);
	else
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct ttag_pw, count)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", ttag_read, NULL, 0, 0, "packets tagged"},
	{"id", ttag_read, NULL, 1, 0, "the tenant's id"},
	EL_HANDLERS_END,
};

static struct el_class ttag = {
	.name = "TenantTag",
	.sig = "TenantTag(TENANT)",
	.summary = "marks packets as a tenant's (the edge)",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct ttag),
	.pw_size = sizeof(struct ttag_pw),
	.args = args,
	.init = ttag_init,
	.push = ttag_push,
	.handlers = handlers,
};
EL_REGISTER(ttag)
