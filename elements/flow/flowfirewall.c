/*
 * FlowFirewall - a stateful firewall: connection tracking on the flow
 * manager's FCB, so only replies to allowed connections pass.
 */
#include <errno.h>
#include <stdlib.h>

#include <rte_tcp.h>

#include "flow/flow.h"

#define FW_MAX 32

enum { FW_NEW = 0, FW_ALLOWED = 1, FW_DENIED = 2 };

struct fw_slot {
	uint8_t state;
};

struct fw {
	char *inside_s, *open_s;
	int ninside, nopen;
	struct el_ip4pfx inside[FW_MAX];
	uint16_t open[FW_MAX];  /* network order */
};

struct fw_pw {
	uint64_t passed, rejected, allowed, denied, noflow;
};

static bool fw_inside(const struct fw *s, uint32_t a)
{
	for (int i = 0; i < s->ninside; i++)
		if ((a & s->inside[i].mask) == s->inside[i].addr)
			return true;
	return false;
}

/* May the first packet of a flow open it? */
static bool fw_may_open(const struct fw *s, struct rte_mbuf *m)
{
	uint32_t l4len;
	const struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
	if (!ip)
		return false;
	const uint8_t *l4 = (const uint8_t *)ip + ((ip->version_ihl & 0x0f) << 2);
	uint8_t p = ip->next_proto_id;
	if (p == IPPROTO_TCP && (l4len < 14 || (l4[13] & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG | RTE_TCP_RST_FLAG)) !=
							  RTE_TCP_SYN_FLAG))
		return false;  /* a TCP connection opens with a SYN, nothing else */
	if (fw_inside(s, ip->src_addr))
		return true;
	if ((p == IPPROTO_TCP || p == IPPROTO_UDP) && l4len >= 4)
		for (int i = 0; i < s->nopen; i++)
			if (!memcmp(l4 + 2, &s->open[i], 2))
				return true;
	return false;
}

static int fw_verdict(struct el_node *n, struct rte_mbuf *m, void *slot)
{
	struct fw_slot *fs = slot;
	struct fw_pw *pw = el_pw(n->e);
	if (unlikely(!fs)) {
		pw->noflow++;
		return 1;
	}
	if (fs->state == FW_NEW) {
		/* the flow's first packet decides, whichever way it goes */
		bool ok = fw_may_open(n->state, m);
		fs->state = ok ? FW_ALLOWED : FW_DENIED;
		if (ok)
			pw->allowed++;
		else
			pw->denied++;
	}
	if (fs->state == FW_ALLOWED) {
		pw->passed++;
		return 0;
	}
	pw->rejected++;
	return 1;
}

static void fw_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct flow_hold_stats hs = {0};
	flow_el_push(n, b, fw_verdict, &hs);
}

static int fw_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	(void)argc, (void)argv;
	struct fw *s = e->state;
	char *save = NULL, *w, *copy = strdup(s->inside_s ? s->inside_s : "");
	int rc = 0;
	struct rt_err e2 = {0};
	for (w = strtok_r(copy, " \t\n", &save); w && !rc; w = strtok_r(NULL, " \t\n", &save)) {
		if (s->ninside == FW_MAX)
			rc = rt_errf(err, &e->loc, -ERANGE, "%s: INSIDE: at most %d prefixes", e->name, FW_MAX);
		else if (el_parse_value(EL_T_IP4PFX, w, &s->inside[s->ninside++], &e2) < 0)
			rc = rt_errf(err, &e->loc, -EINVAL, "%s: INSIDE: '%s' is not an IPv4 prefix", e->name, w);
	}
	free(copy);
	copy = strdup(s->open_s ? s->open_s : "");
	for (w = strtok_r(copy, " \t\n", &save); w && !rc; w = strtok_r(NULL, " \t\n", &save)) {
		char *end;
		unsigned long p = strtoul(w, &end, 10);
		if (*end || p == 0 || p > 65535)
			rc = rt_errf(err, &e->loc, -EINVAL, "%s: OPEN: '%s' is not a port", e->name, w);
		else if (s->nopen == FW_MAX)
			rc = rt_errf(err, &e->loc, -ERANGE, "%s: OPEN: at most %d ports", e->name, FW_MAX);
		else
			s->open[s->nopen++] = rte_cpu_to_be_16((uint16_t)p);
	}
	free(copy);
	if (!rc && !s->ninside && !s->nopen)
		rc = rt_errf(err, &e->loc, -EINVAL, "%s: nothing may open a connection: give INSIDE or OPEN", e->name);
	return rc;
}

static int fw_read(struct el *e, intptr_t off, struct rt_buf *out)
{
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, (size_t)off));
	return 0;
}

static void fw_format(const struct el *e, const void *slot, struct rt_buf *out)
{
	(void)e;
	uint8_t st = ((const struct fw_slot *)slot)->state;
	rt_buf_puts(out, st == FW_ALLOWED ? " allowed" : st == FW_DENIED ? " denied" : " new");
}

static int fw_conns(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	flow_el_list(e, fw_format, out);
	return 0;
}

static const struct el_arg args[] = {
	{"INSIDE", EL_T_STRING, offsetof(struct fw, inside_s), NULL, 0,
	 "prefixes (space-separated) whose hosts may open connections"},
	{"OPEN", EL_T_STRING, offsetof(struct fw, open_s), NULL, 0,
	 "TCP/UDP destination ports (space-separated) anyone may open connections to"},
	EL_ARGS_END,
};

static const struct el_handler handlers[] = {
	{"passed", fw_read, NULL, offsetof(struct fw_pw, passed), 0, "packets passed"},
	{"rejected", fw_read, NULL, offsetof(struct fw_pw, rejected), 0, "packets rejected (output 1, or dropped)"},
	{"allowed", fw_read, NULL, offsetof(struct fw_pw, allowed), 0, "connections allowed"},
	{"denied", fw_read, NULL, offsetof(struct fw_pw, denied), 0, "connections denied"},
	{"noflow", fw_read, NULL, offsetof(struct fw_pw, noflow), 0, "packets rejected because they had no flow"},
	{"connections", fw_conns, NULL, 0, 0, "tracked connections and their verdict (router not running)"},
	EL_HANDLERS_END,
};

static struct el_class fw_class = {
	.name = "FlowFirewall",
	.sig = "FlowFirewall(INSIDE PREFIXES, OPEN PORTS)",
	.summary = "stateful firewall: only replies to allowed connections pass",
	.doc = "Connection tracking on the flow control block of a FlowManager upstream (use SYMMETRIC true "
	       "there, so that replies belong to their connection). The first packet of a flow decides: it "
	       "opens the connection when its source is INSIDE, or when it goes to one of the OPEN TCP/UDP "
	       "ports; a TCP connection opens only with a SYN (an ACK or data out of nowhere is rejected). "
	       "Every later packet of the flow, either direction, gets the same verdict, until the flow "
	       "ends (idle timeout, RST). Allowed packets leave on output 0; rejected ones, and packets "
	       "without a flow, leave on output 1 if it is connected, else are dropped.",
	.ports = "1/1-2",
	.state_size = sizeof(struct fw),
	.pw_size = sizeof(struct fw_pw),
	.args = args,
	.configure = fw_configure,
	.push = fw_push,
	.handlers = handlers,
	.flow_size = sizeof(struct fw_slot),
};
EL_REGISTER(fw_class)
