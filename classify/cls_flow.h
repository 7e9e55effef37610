/*
 * cls_flow.h - partial hardware offload of an ACL rule set through DPDK's
 * rte_flow: the rules a NIC can match (IPv4 prefixes, an exact protocol,
 * TCP/UDP ports as exact values or ranges split into maskable blocks, no
 * TCP flags) and that no better software-only rule overlaps become rte_flow
 * rules with a queue, drop or mark action; the software classifier handles
 * every packet the hardware does not match.  Because an offloaded rule's
 * better overlapping rules are all offloaded too (and installed at a better
 * hardware priority), the hardware's first match is the software's best
 * rule, and a packet the hardware does not match matches no offloaded rule:
 * hardware + software give each packet the result of the software alone.
 *
 * Control thread only.  docs/classify.md, "Hardware offload".
 */
#ifndef MB_CLS_FLOW_H
#define MB_CLS_FLOW_H

#include <rte_flow.h>

#include "cls_acl.h"

enum cls_flow_act { CLS_FA_MARK, CLS_FA_QUEUE, CLS_FA_DROP };

/* What the hardware does with packets of a class. */
struct cls_flow_action {
	enum cls_flow_act type;
	uint32_t value;             /* MARK: the mark; QUEUE: the queue */
};

/* One rte_flow rule: its pattern (ETH, IPV4, TCP/UDP or nothing, END) with
 * its own spec/mask storage, its action, and the ACL rule it came from. */
struct cls_flow_rule {
	uint32_t rule;              /* index in the rule array given to cls_flow_plan */
	uint32_t priority;          /* rte_flow attr.priority: 0 is matched first */
	struct rte_flow_item pattern[4];
	struct rte_flow_item_ipv4 ip_spec, ip_mask;
	union {
		struct rte_flow_item_tcp tcp;
		struct rte_flow_item_udp udp;
	} l4_spec, l4_mask;
	struct rte_flow_action actions[2];
	union {
		struct rte_flow_action_mark mark;
		struct rte_flow_action_queue queue;
	} conf;
};

struct cls_flow_plan {
	struct cls_flow_rule *flows;
	uint32_t nflows;
	bool *offloaded;            /* per rule given: it went to hardware */
	uint32_t noffloaded;
	uint32_t nrules;
	struct rte_flow **handles;  /* after cls_flow_install */
	uint16_t port;
	bool installed;
};

/* Which rules can go to hardware, and their rte_flow rules.  rules: any
 * order (prio decides, ties by index); act(cls) gives each class's action
 * (NULL: MARK with the class + 1).  At most max_flows rte_flow rules (a
 * rule that would need more, with what it overlaps below it, stays in
 * software); a port range costs one flow per maskable block (at most 8 per
 * rule).  Returns 0 or -ENOMEM. */
int cls_flow_plan(const struct cls_rule *rules, uint32_t n, const struct cls_flow_action *act, uint32_t nact,
		  uint32_t max_flows, struct cls_flow_plan *out);
void cls_flow_plan_free(struct cls_flow_plan *p);

/* Why rule r is not expressible in rte_flow (NULL: it is). */
const char *cls_flow_why_not(const struct cls_rule *r);

/* The software reading of a plan's rte_flow patterns (what a NIC does):
 * the first flow (lowest priority, then order) whose pattern matches k, or
 * NULL.  Reads the rte_flow_item arrays themselves, spec & mask. */
const struct cls_flow_rule *cls_flow_eval(const struct cls_flow_plan *p, const struct cls_key *k);

/* Validate and create every flow on a port (ingress).  All or nothing: on
 * the first failure every flow created is destroyed and err says which
 * rule and what the driver answered; packets then stay in software. */
int cls_flow_install(struct cls_flow_plan *p, uint16_t port, struct rt_err *err);
/* Destroy what cls_flow_install created. */
void cls_flow_uninstall(struct cls_flow_plan *p);

#endif
