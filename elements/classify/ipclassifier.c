/*
 * IPClassifier - classifies IP packets by tcpdump-like expressions, one
 * output per expression.
 */
#include "ipclassify.h"

static int ipclassifier_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	return ipclassify_configure(e, CLS_IPCLASSIFIER, argc, argv, err);
}

static struct el_class ipclassifier = {
	.name = "IPClassifier",
	.sig = "IPClassifier(EXPR_1, ..., EXPR_N)",
	.summary = "classifies IP packets by contents",
	.doc = "Sends each packet to the output of the first expression it matches; a packet that matches "
	       "none is dropped and counted. Expressions use the tcpdump-like language of Click: `src host "
	       "10.0.0.1`, `dst net 10.0.0.0/8`, `tcp port 80`, `udp src port 53`, `icmp type echo`, `ip "
	       "proto 17`, `tcp opt syn`, `ip frag`, relational tests (`src port > 1023`), `and`/`or`/`not` "
	       "and parentheses, `-` for everything. Expects the IP header at the network-header annotation "
	       "(CheckIPHeader, MarkIPHeader) or at the start of the data.",
	.ports = "1/-",
	.state_size = sizeof(struct ipclassify),
	.pw_size = sizeof(struct ipclassify_pw),
	.configure = ipclassifier_configure,
	.cleanup = ipclassify_cleanup,
	.push = ipclassify_push,
	.handlers = ipclassify_handlers,
};
EL_REGISTER(ipclassifier)
