/*
 * ipclassify.h - the part IPClassifier and IPFilter share: an element
 * whose outputs are chosen by a compiled IP expression program.
 */
#ifndef MB_EL_IPCLASSIFY_H
#define MB_EL_IPCLASSIFY_H

#include "../../runtime/el.h"
#include "../../classify/cls_expr.h"

struct ipclassify {
	struct cls_prog *prog;
};

struct ipclassify_pw {
	uint64_t drops;
};

int ipclassify_configure(struct el *e, enum cls_ipmode mode, int argc, char **argv, struct rt_err *err);
void ipclassify_cleanup(struct el *e);
void ipclassify_push(struct el_node *n, int port, struct rt_batch *b);
extern const struct el_handler ipclassify_handlers[];

#endif
