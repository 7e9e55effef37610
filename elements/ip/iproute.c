/*
 * iproute.c - the IPv4 routing table shared by the route lookup classes
 * (see iproute.h): route syntax, the rte_lpm table and its next-hop slots,
 * the batch lookup, and Click's IPRouteTable handlers (table, lookup, add,
 * set, remove, ctrl, flush).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define ALLOW_EXPERIMENTAL_API 1 /* rte_lpm_rcu_qsbr_add */
#include <rte_errno.h>
#include <rte_lpm.h>
#include <rte_malloc.h>

#include "iproute.h"
#include "../../runtime/router.h"

#define DEFAULT_MAX_ROUTES 65536
#define DEFAULT_TBL8S 1024
#define MAX_SLOTS (1u << 24) /* rte_lpm next hops are 24 bits */

static int depth_of(uint32_t mask) { return __builtin_popcount(mask); }

static uint64_t nh_pack(uint32_t gw, int32_t port) { return gw | (uint64_t)(uint32_t)port << 32; }

/* ---- route syntax --------------------------------------------------------- */

/* "ADDR/MASK [GW] OUT"; with `remove`, OUT (and GW) may be left out, which
 * gives port -1.  Returns 0 or -1. */
static int route_parse(const char *s, struct iproute_ent *r, bool remove)
{
	char buf[256], *w[5], *save = NULL;
	int nw = 0;
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (nw == 4)
			return -1;
		w[nw++] = t;
	}
	struct el_ip4pfx p;
	struct rt_err err;
	rt_err_clear(&err);
	if (nw == 0 || el_parse_value(EL_T_IP4PFX, w[0], &p, &err) < 0)
		return -1;
	r->addr = p.addr;
	r->mask = p.mask;
	r->gw = 0;
	r->port = -1;
	int i = 1;
	if (i < nw && (!strcmp(w[i], "-") || (strchr(w[i], '.') && el_parse_value(EL_T_IP4, w[i], &r->gw, &err) == 0)))
		i++;
	if (i == nw)
		return remove && i <= 2 ? 0 : -1;
	char *end;
	long port = strtol(w[i], &end, 10);
	if (*end || end == w[i] || port < INT32_MIN || port > INT32_MAX || i + 1 != nw)
		return -1;
	r->port = (int32_t)port;
	return 0;
}

/* Click's IPRoute::unparse: "ADDR/LEN GW OUT", GW "-" when none; with tabs
 * the columns are padded with extra tabs as Click does. */
static void route_unparse(const struct iproute_ent *r, bool tabs, struct rt_buf *out)
{
	char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], pfx[40];
	inet_ntop(AF_INET, &r->addr, a, sizeof(a));
	int n = snprintf(pfx, sizeof(pfx), "%s/%d", a, depth_of(r->mask));
	if (r->gw)
		inet_ntop(AF_INET, &r->gw, g, sizeof(g));
	else
		strcpy(g, "-");
	char sep = tabs ? '\t' : ' ';
	rt_buf_printf(out, "%s%c", pfx, sep);
	if (tabs && n + 1 < 17)
		rt_buf_puts(out, "\t");
	rt_buf_printf(out, "%s%c", g, sep);
	if (tabs && strlen(g) + 1 < 9)
		rt_buf_puts(out, "\t");
	rt_buf_printf(out, "%d", r->port);
}

/* ---- the table (control thread) ------------------------------------------- */

/* Slot of the route for exactly addr/mask, or -1. */
static int32_t route_find(const struct iproute *t, uint32_t addr, uint32_t mask)
{
	if (!mask)
		return t->dflt;
	uint32_t nh;
	if (rte_lpm_is_rule_present(t->lpm, rte_be_to_cpu_32(addr), (uint8_t)depth_of(mask), &nh) == 1)
		return (int32_t)nh;
	return -1;
}

static void slot_free(struct iproute *t, int32_t slot)
{
	__atomic_store_n(&t->nh[slot], nh_pack(0, -1), __ATOMIC_RELEASE);
	t->v[slot].port = -1;
	t->v[slot].addr = (uint32_t)t->vfree;
	t->vfree = slot;
}

/* Add r; with `set`, replace a route for the same prefix.  *old receives
 * the replaced route, or one with port -1.  0, -EEXIST, -ENOSPC. */
static int route_add(struct iproute *t, const struct iproute_ent *r, bool set, struct iproute_ent *old)
{
	old->port = -1;
	int32_t slot = route_find(t, r->addr, r->mask);
	if (slot >= 0) {
		*old = t->v[slot];
		if (!set)
			return -EEXIST;
		t->v[slot] = *r;
		__atomic_store_n(&t->nh[slot], nh_pack(r->gw, r->port), __ATOMIC_RELEASE);
		return 0;
	}
	if (t->vfree >= 0) {
		slot = t->vfree;
		t->vfree = (int32_t)t->v[slot].addr;
	} else if (t->nv < t->max_routes) {
		slot = (int32_t)t->nv++;
	} else {
		return -ENOSPC;
	}
	t->v[slot] = *r;
	__atomic_store_n(&t->nh[slot], nh_pack(r->gw, r->port), __ATOMIC_RELEASE);
	if (!r->mask) {
		__atomic_store_n(&t->dflt, slot, __ATOMIC_RELEASE);
		return 0;
	}
	int rc = rte_lpm_add(t->lpm, rte_be_to_cpu_32(r->addr), (uint8_t)depth_of(r->mask), (uint32_t)slot);
	if (rc < 0) {
		slot_free(t, slot);
		return rc;
	}
	return 0;
}

/* Remove the route for r's prefix (and, when r->port >= 0, with r's
 * gateway and port).  0 or -ENOENT. */
static int route_remove(struct iproute *t, const struct iproute_ent *r, struct iproute_ent *old)
{
	old->port = -1;
	int32_t slot = route_find(t, r->addr, r->mask);
	if (slot < 0 || (r->port >= 0 && (t->v[slot].gw != r->gw || t->v[slot].port != r->port)))
		return -ENOENT;
	*old = t->v[slot];
	if (!r->mask)
		__atomic_store_n(&t->dflt, -1, __ATOMIC_RELEASE);
	else
		rte_lpm_delete(t->lpm, rte_be_to_cpu_32(r->addr), (uint8_t)depth_of(r->mask));
	slot_free(t, slot);
	return 0;
}

static void route_flush(struct iproute *t)
{
	__atomic_store_n(&t->dflt, -1, __ATOMIC_RELEASE);
	rte_lpm_delete_all(t->lpm);
	for (uint32_t i = 0; i < t->nv; i++)
		__atomic_store_n(&t->nh[i], nh_pack(0, -1), __ATOMIC_RELEASE);
	t->nv = 0;
	t->vfree = -1;
}

/* Control-thread lookup: the route's slot, or -1. */
static int32_t route_lookup(const struct iproute *t, uint32_t addr)
{
	uint32_t nh;
	if (rte_lpm_lookup(t->lpm, rte_be_to_cpu_32(addr), &nh) == 0)
		return (int32_t)nh;
	return t->dflt;
}

/* ---- element ------------------------------------------------------------- */

int iproute_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct iproute *t = e->state;
	t->max_routes = DEFAULT_MAX_ROUTES;
	t->tbl8s = DEFAULT_TBL8S;
	t->dflt = -1;
	t->vfree = -1;
	t->conf = calloc((size_t)argc + 1, sizeof(*t->conf));
	t->conf_arg = calloc((size_t)argc + 1, sizeof(*t->conf_arg));
	for (int i = 0; i < argc; i++) {
		const char *val;
		int k = el_arg_keyword(argv[i], &val);
		if (k) {
			uint64_t v;
			struct rt_err e2;
			rt_err_clear(&e2);
			bool max = k == 10 && !strncmp(argv[i], "MAX_ROUTES", 10);
			if (!max && !(k == 5 && !strncmp(argv[i], "TBL8S", 5)))
				return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%.*s'", e->name, k, argv[i]);
			if (el_parse_value(EL_T_UINT, val, &v, &e2) < 0)
				return rt_errf(err, &e->loc, -EINVAL, "%s: %.*s: %s", e->name, k, argv[i], e2.msg);
			if (v < 1 || v > (max ? MAX_SLOTS : 65535))
				return rt_errf(err, &e->loc, -EINVAL, "%s: %.*s: must be 1 to %u", e->name, k, argv[i],
					       max ? MAX_SLOTS : 65535);
			if (max)
				t->max_routes = (uint32_t)v;
			else
				t->tbl8s = (uint32_t)v;
			continue;
		}
		if (!*argv[i] && i == argc - 1)
			continue; /* a trailing comma */
		struct iproute_ent r;
		if (route_parse(argv[i], &r, false) < 0 || r.port < 0)
			return rt_errf(err, &e->loc, -EINVAL, "%s: argument %d should be 'ADDR/MASK [GATEWAY] OUTPUT'",
				       e->name, i + 1);
		t->conf_arg[t->nconf] = i + 1;
		t->conf[t->nconf++] = r;
	}
	return 0;
}

int iproute_init(struct el *e, struct rt_err *err)
{
	struct iproute *t = e->state;
	for (int i = 0; i < t->nconf; i++)
		if (t->conf[i].port >= e->nout)
			return rt_errf(err, &e->loc, -EINVAL, "%s: argument %d should be 'ADDR/MASK [GATEWAY] OUTPUT' (output %d does not exist)",
				       e->name, t->conf_arg[i], t->conf[i].port);
	char name[RTE_LPM_NAMESIZE];
	snprintf(name, sizeof(name), "mbx_ipr%d", e->uid);
	struct rte_lpm_config cfg = {.max_rules = t->max_routes, .number_tbl8s = t->tbl8s};
	t->lpm = rte_lpm_create(name, SOCKET_ID_ANY, &cfg);
	t->nh = rte_zmalloc("iproute_nh", sizeof(*t->nh) * t->max_routes, RTE_CACHE_LINE_SIZE);
	t->v = calloc(t->max_routes, sizeof(*t->v));
	if (!t->lpm || !t->nh || !t->v)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: cannot create a routing table for %u routes: %s", e->name,
			       t->max_routes, t->lpm ? "out of memory" : rte_strerror(rte_errno));
	/* Freed tbl8 groups are reused only after every worker has passed a
	 * quiescent state, so a lookup never reads a group being refilled. */
	struct rte_lpm_rcu_config rcfg = {.v = rt_router_qsbr(e->router), .mode = RTE_LPM_QSBR_MODE_DQ};
	if (rte_lpm_rcu_qsbr_add(t->lpm, &rcfg) != 0)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: cannot attach the routing table to RCU: %s", e->name,
			       rte_strerror(rte_errno));
	for (int i = 0; i < t->nconf; i++) {
		struct iproute_ent old;
		int rc = route_add(t, &t->conf[i], false, &old);
		if (rc < 0 && rc != -EEXIST) /* Click keeps the first of two equal prefixes */
			return rt_errf(err, &e->loc, rc, "%s: argument %d: %s", e->name, t->conf_arg[i],
				       rc == -ENOSPC ? "routing table full (raise MAX_ROUTES or TBL8S)" : rte_strerror(-rc));
	}
	free(t->conf);
	free(t->conf_arg);
	t->conf = NULL;
	t->conf_arg = NULL;
	t->nconf = 0;
	return 0;
}

void iproute_cleanup(struct el *e)
{
	struct iproute *t = e->state;
	rte_lpm_free(t->lpm);
	rte_free(t->nh);
	free(t->v);
	free(t->conf);
	free(t->conf_arg);
}

void iproute_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct iproute *t = n->state;
	uint32_t cnt = b->n;
	if (unlikely(!cnt))
		return;
	uint32_t ips[RT_BATCH_MAX], hops[RT_BATCH_MAX];
	int16_t ports[RT_BATCH_MAX];
	for (uint32_t i = 0; i < cnt; i++)
		ips[i] = rte_be_to_cpu_32(rt_anno(b->pkts[i])->dst_ip);
	rte_lpm_lookup_bulk(t->lpm, ips, hops, cnt);
	int32_t dflt = __atomic_load_n(&t->dflt, __ATOMIC_ACQUIRE);
	uint32_t drops = 0;
	for (uint32_t i = 0; i < cnt; i++) {
		int32_t slot = (hops[i] & RTE_LPM_LOOKUP_SUCCESS) ? (int32_t)(hops[i] & 0x00ffffff) : dflt;
		if (unlikely(slot < 0)) {
			ports[i] = -1;
			drops++;
			continue;
		}
		uint64_t nh = __atomic_load_n(&t->nh[slot], __ATOMIC_ACQUIRE);
		uint32_t gw = (uint32_t)nh;
		int32_t p = (int32_t)(nh >> 32);
		if (gw)
			rt_anno(b->pkts[i])->dst_ip = gw;
		ports[i] = (int16_t)(p < n->nout ? p : -1);
		drops += ports[i] < 0;
	}
	if (drops)
		((struct iproute_pw *)el_pw(n->e))->drops += drops;
	el_output_by_port(n, b, ports);
}

/* ---- handlers -------------------------------------------------------------- */

enum { CMD_ADD, CMD_SET, CMD_REMOVE };

/* One add/set/remove command; on success the undo record goes to *undo
 * (cmd and route to apply to roll it back), when undo is not NULL. */
struct undo {
	int cmd;
	struct iproute_ent r;
};

static int run_command(struct el *e, int cmd, const char *arg, struct undo *undo, struct rt_err *err)
{
	struct iproute *t = e->state;
	struct iproute_ent r, old;
	if (route_parse(arg, &r, cmd == CMD_REMOVE) < 0 || r.port < (cmd == CMD_REMOVE ? -1 : 0) || r.port >= e->nout)
		return rt_errf(err, NULL, -EINVAL, "expected 'ADDR/MASK [GATEWAY%s'",
			       cmd == CMD_REMOVE ? " OUTPUT]" : "] OUTPUT");
	int rc = cmd == CMD_REMOVE ? route_remove(t, &r, &old) : route_add(t, &r, cmd == CMD_SET, &old);
	struct rt_buf b;
	rt_buf_init(&b);
	if (rc == -EEXIST) {
		route_unparse(&old, false, &b);
		rt_errf(err, NULL, rc, "conflict with existing route '%s'", b.p);
	} else if (rc == -ENOENT) {
		route_unparse(&r, false, &b);
		rt_errf(err, NULL, rc, "route '%s' not found", b.p);
	} else if (rc == -ENOSPC) {
		rt_errf(err, NULL, rc, "routing table full (MAX_ROUTES %u, TBL8S %u)", t->max_routes, t->tbl8s);
	} else if (rc < 0) {
		rt_errf(err, NULL, rc, "%s", rte_strerror(-rc));
	} else if (undo) {
		if (cmd == CMD_REMOVE)
			*undo = (struct undo){CMD_ADD, old};
		else if (old.port < 0)
			*undo = (struct undo){CMD_REMOVE, r};
		else
			*undo = (struct undo){CMD_SET, old};
	}
	rt_buf_free(&b);
	return rc;
}

static int h_command(struct el *e, intptr_t cmd, const char *v, struct rt_err *err)
{
	return run_command(e, (int)cmd, v, NULL, err);
}

/* Several commands, one per line ("add|set|remove ROUTE"), applied as one:
 * on the first failure the ones before are undone. */
static int h_ctrl(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct iproute *t = e->state;
	struct undo *log = NULL;
	int nlog = 0, rc = 0;
	char *text = strdup(v), *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (isspace((unsigned char)*line))
			line++;
		if (!*line || line[0] == '#' || (line[0] == '/' && line[1] == '/'))
			continue;
		size_t wl = strcspn(line, " \t");
		int cmd;
		if (wl == 3 && !strncmp(line, "add", 3))
			cmd = CMD_ADD;
		else if (wl == 3 && !strncmp(line, "set", 3))
			cmd = CMD_SET;
		else if (wl == 6 && !strncmp(line, "remove", 6))
			cmd = CMD_REMOVE;
		else {
			rc = rt_errf(err, NULL, -EINVAL, "bad command '%.*s'", (int)wl, line);
			break;
		}
		log = realloc(log, sizeof(*log) * (size_t)(nlog + 1));
		if ((rc = run_command(e, cmd, line + wl, &log[nlog], err)) < 0)
			break;
		nlog++;
	}
	if (rc < 0)
		while (nlog > 0) {
			struct undo *u = &log[--nlog];
			struct iproute_ent old;
			if (u->cmd == CMD_REMOVE)
				route_remove(t, &u->r, &old);
			else
				route_add(t, &u->r, u->cmd == CMD_SET, &old);
		}
	free(log);
	free(text);
	return rc;
}

static int h_flush(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg, (void)v, (void)err;
	route_flush(e->state);
	return 0;
}

static int h_table(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	const struct iproute *t = e->state;
	for (uint32_t i = 0; i < t->nv; i++)
		if (t->v[i].port >= 0) {
			route_unparse(&t->v[i], true, out);
			rt_buf_puts(out, "\n");
		}
	return 0;
}

static int h_lookup_read(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	const struct iproute *t = e->state;
	if (!t->lookup_set)
		return 0;
	int32_t slot = route_lookup(t, t->lookup_addr);
	if (slot < 0) {
		rt_buf_puts(out, "-1");
	} else if (t->v[slot].gw) {
		char g[INET_ADDRSTRLEN];
		rt_buf_printf(out, "%d %s", t->v[slot].port, inet_ntop(AF_INET, &t->v[slot].gw, g, sizeof(g)));
	} else {
		rt_buf_printf(out, "%d", t->v[slot].port);
	}
	return 0;
}

static int h_lookup_write(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct iproute *t = e->state;
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", v);
	char *s = buf, *end = buf + strlen(buf);
	while (isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	struct rt_err e2;
	rt_err_clear(&e2);
	if (el_parse_value(EL_T_IP4, s, &t->lookup_addr, &e2) < 0)
		return rt_errf(err, NULL, -EINVAL, "expected IP address, not '%s'", v);
	t->lookup_set = true;
	return 0;
}

static int h_drops(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	uint64_t d = el_pw_sum(e, offsetof(struct iproute_pw, drops)) - EL_STATE(e, struct iproute)->base_drops;
	rt_buf_printf(out, "%llu", (unsigned long long)d);
	return 0;
}

static int h_reset(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg, (void)v, (void)err;
	EL_STATE(e, struct iproute)->base_drops = el_pw_sum(e, offsetof(struct iproute_pw, drops));
	return 0;
}

#define IPROUTE_HANDLERS_COMMON \
	{"table", h_table, NULL, 0, 0, "the routes, one per line: ADDR/MASK GW OUT"}, \
	{"lookup", h_lookup_read, h_lookup_write, 0, 0, \
	 "write an address, read its route's OUT and GW (-1: no route)"}, \
	{"drops", h_drops, NULL, 0, 0, "packets dropped for want of a route"}, \
	{"reset_counts", NULL, h_reset, 0, EL_H_BUTTON, "reset drops"}

const struct el_handler iproute_handlers_dynamic[] = {
	IPROUTE_HANDLERS_COMMON,
	{"add", NULL, h_command, CMD_ADD, 0, "add a route 'ADDR/MASK [GW] OUT' (fails if the prefix has one)"},
	{"set", NULL, h_command, CMD_SET, 0, "add or replace a route 'ADDR/MASK [GW] OUT'"},
	{"remove", NULL, h_command, CMD_REMOVE, 0, "remove the route 'ADDR/MASK [GW OUT]'"},
	{"ctrl", NULL, h_ctrl, 0, 0, "add/set/remove commands, one per line, applied atomically"},
	{"flush", NULL, h_flush, 0, EL_H_BUTTON, "remove every route"},
	EL_HANDLERS_END,
};

const struct el_handler iproute_handlers_static[] = {
	IPROUTE_HANDLERS_COMMON,
	EL_HANDLERS_END,
};
