/*
 * IPFilter - filters IP packets by tcpdump-like expressions with actions.
 */
#include "ipclassify.h"

static int ipfilter_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	return ipclassify_configure(e, CLS_IPFILTER, argc, argv, err);
}

static struct el_class ipfilter = {
	.name = "IPFilter",
	.sig = "IPFilter(ACTION_1 EXPR_1, ..., ACTION_N EXPR_N)",
	.summary = "filters IP packets by contents",
	.doc = "Each rule is an action and an IPClassifier expression. The first rule a packet matches "
	       "decides: `allow` sends it to output 0, `deny` or `drop` drops it, a number N sends it to "
	       "output N. A packet that matches no rule is dropped. Example: `IPFilter(allow tcp dst port "
	       "80, 1 icmp, deny all)`.",
	.ports = "1/-",
	.state_size = sizeof(struct ipclassify),
	.pw_size = sizeof(struct ipclassify_pw),
	.configure = ipfilter_configure,
	.cleanup = ipclassify_cleanup,
	.push = ipclassify_push,
	.handlers = ipclassify_handlers,
};
EL_REGISTER(ipfilter)
