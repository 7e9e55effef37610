/*
 * cls_expr.h - Click's packet classification languages, compiled to a small
 * decision program: Classifier patterns ("12/0800 20/0806", "-") and the
 * tcpdump-like IPClassifier/IPFilter expressions ("src host 10.0.0.1 and tcp
 * port 80", "icmp type echo", "dst net 10.0.0.0/8", "ip proto 17", "not udp",
 * "(...)", "true", "-", with allow/deny/drop actions for IPFilter).
 *
 * Compile on the control thread; cls_prog_match is reentrant and may run on
 * any number of workers at once.
 */
#ifndef MB_CLS_EXPR_H
#define MB_CLS_EXPR_H

#include "../runtime/rt_base.h"

struct cls_prog;

/* Classifier: argv[i] is the pattern for output i.  Offsets are from the
 * start of the packet data. */
int cls_classifier_compile(int argc, char **argv, const struct rt_loc *loc, struct cls_prog **out,
			   struct rt_err *err);

enum cls_ipmode {
	CLS_IPCLASSIFIER, /* argv[i] is the expression for output i */
	CLS_IPFILTER,     /* argv[i] is "ACTION expr": allow | deny | drop | an output number */
};

/* IPClassifier / IPFilter: evaluated on a packet whose data starts at the IP
 * header (IPv4).  *noutputs gets the number of outputs the rules use (for
 * IPFilter: max output number + 1, at least 1). */
int cls_ip_compile(enum cls_ipmode mode, int argc, char **argv, const struct rt_loc *loc,
		   struct cls_prog **out, int *noutputs, struct rt_err *err);

/* First matching rule's output, or -1 (no match / drop).  `len` bytes are
 * readable at `p`; reads past len never match (truncated packets are safe). */
int cls_prog_match(const struct cls_prog *prog, const uint8_t *p, uint32_t len);

/* Human-readable dump of the decision program (for the `program` handler). */
void cls_prog_dump(const struct cls_prog *prog, struct rt_buf *out);

void cls_prog_free(struct cls_prog *prog);

#endif
