/*
 * TenantClassifier - the edge in one step: selects each tenant's traffic
 * with the big classifier (classify/cls_acl.h), tags the packet with its
 * tenant and sends it to that tenant's output, in front of its graph.
 *
 * Every selector becomes one ACL rule: prefixes, protocol and ports are the
 * rule's 5-tuple fields, and the input port and VLAN are folded into the
 * rule's 16-bit flags field (bits 0-11 the VLAN id, bit 12 "tagged", bits
 * 13-15 the input port), so one batch lookup decides the tenant, the first
 * selector that matches winning.  The rule's class is its tenant's output,
 * which maps to the tenant id (an array read per packet).  Selectors can be
 * added and removed while traffic flows (the classifier's live updates): a
 * new tenant's output and id are written before its first rule is
 * published.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "../classify/cls_acl.h"
#include "tenant/tn.h"

#define TC_MAX_SEL 4096
#define TC_MAX_TENANTS 64
#define TC_VLAN_TAGGED (1u << 12)
#define TC_PORT_SHIFT 13

static const char doc[] =
	"The edge in one step: each argument is a selector, `TENANT [port N] [vlan V|none] [src PREFIX] "
	"[dst PREFIX] [proto tcp|udp|icmp|N] [sport LO[-HI]] [dport LO[-HI]]`, all of whose conditions a "
	"packet must meet (port: the input port it arrives on, 0-7; vlan: its 802.1Q id, or none for "
	"untagged). Selectors compile into one rule set of the big classifier (tuple merge, as "
	"ACLClassifier), input port and VLAN included, so one batch lookup selects the tenant; the "
	"first matching selector wins. The packet's tenant annotation is set (as TenantTag does) and it "
	"leaves on its tenant's output: outputs are numbered by the tenants' first appearance in the "
	"arguments. Packets no selector takes go to output NOMATCH, or are dropped (counted) by default. "
	"The IPv4 header is after the Ethernet header (and a VLAN tag), or at the network-header "
	"annotation. `add_selector` and `remove_selector` change the selectors while traffic flows "
	"(one bucket of the classifier is copied and published); a tenant added so takes the next "
	"output, which must exist.\n\n"
	"    edge :: TenantClassifier(acme vlan 10, acme src 10.1.0.0/16, blue port 1 dst 192.168.0.0/16);\n"
	"    FromDPDKDevice(0) -> [0] edge;  FromDPDKDevice(1) -> [1] edge;\n"
	"    edge [0] -> acme/in;  edge [1] -> blue/in;\n\n"
	"Every TENANT must exist when the element is created; in a tenant's own graph it may only name "
	"that tenant. See docs/tenants.md.";

struct tc_pw {
	uint64_t nomatch;
	uint64_t out[TC_MAX_TENANTS];
};

struct tc {
	int64_t nomatch;               /* output for packets no selector takes; -1 drops */
	struct cls_ruleset conf;       /* until init builds the classifier */
	char **tname;                  /* tenants by output */
	int ntenants;
	uint32_t out_id[TC_MAX_TENANTS]; /* output -> tenant id */
	struct cls_acl *acl;
	char **text;                   /* selectors as written, by rule id (control thread) */
	uint32_t ntext;
	uint32_t next_prio;
};

/* ---- the data path ------------------------------------------------------------ */

/* The key of m: 5-tuple from its IPv4 header, VLAN and input port in flags.
 * False when it carries no IPv4 header. */
static inline bool tc_key(struct rte_mbuf *m, int port, struct cls_key *k)
{
	const uint8_t *d = rt_data(m);
	uint32_t len = rt_len(m), off = 14, tag = 0;
	if (len >= 18 && d[12] == 0x81 && d[13] == 0x00) {
		tag = TC_VLAN_TAGGED | (((uint32_t)d[14] << 8 | d[15]) & 0xfff);
		off = 18;
	}
	if (rt_has_nh(m)) {
		int o = rt_nh_offset(m);
		if (o < 0)
			return false;
		off = (uint32_t)o;
	} else if (len < off + 20 || d[off - 2] != 0x08 || d[off - 1] != 0x00) {
		return false;
	}
	if (off >= len || !cls_key_from_ip(d + off, len - off, k))
		return false;
	k->flags = (uint16_t)(tag | (uint32_t)port << TC_PORT_SHIFT);
	return true;
}

static void tc_push(struct el_node *n, int port, struct rt_batch *b)
{
	const struct tc *s = n->state;
	struct tc_pw *pw = el_pw(n->e);
	struct cls_key keys[RT_BATCH_MAX];
	uint32_t cls[RT_BATCH_MAX];
	int16_t out[RT_BATCH_MAX];
	uint64_t notip = 0;
	uint32_t cnt = b->n;
	if (unlikely(!cnt))
		return;
	for (uint32_t i = 0; i < cnt; i++) {
		if (i + 4 < cnt)
			rte_prefetch0(rt_data(b->pkts[i + 4]));
		if (unlikely(!tc_key(b->pkts[i], port, &keys[i]))) {
			keys[i] = (struct cls_key){0};
			notip |= 1ull << i;
		}
	}
	uint32_t ids[RT_BATCH_MAX];
	cls_acl_lookup(s->acl, keys, cnt, ids, cls);
	for (; notip; notip &= notip - 1)
		cls[__builtin_ctzll(notip)] = CLS_NOMATCH;
	for (uint32_t i = 0; i < cnt; i++) {
		if (unlikely(cls[i] == CLS_NOMATCH)) {
			pw->nomatch++;
			out[i] = (int16_t)s->nomatch;
			continue;
		}
		uint32_t o = cls[i];
		rt_anno(b->pkts[i])->tenant = s->out_id[o];
		pw->out[o]++;
		out[i] = (int16_t)o;
	}
	el_output_by_port(n, b, out);
}

/* ---- configuration ---------------------------------------------------------------- */

static int parse_pfx(const char *v, uint32_t *addr, uint8_t *len)
{
	char a[64];
	unsigned l = 32;
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	if (n >= sizeof(a))
		return -1;
	memcpy(a, v, n);
	a[n] = 0;
	if (slash) {
		char *end;
		l = (unsigned)strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || l > 32)
			return -1;
	}
	struct in_addr ia;
	if (inet_pton(AF_INET, a, &ia) != 1)
		return -1;
	*addr = ntohl(ia.s_addr) & cls_pfx_mask(l);
	*len = (uint8_t)l;
	return 0;
}

static int parse_range(const char *v, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a = strtoul(v, &end, 10), b = a;
	if (end == v)
		return -1;
	if (*end == '-') {
		const char *p = end + 1;
		b = strtoul(p, &end, 10);
		if (end == p)
			return -1;
	}
	if (*end || a > 65535 || b > 65535 || a > b)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;
	*out = strtoul(v, &end, 10);
	return end == v || *end || *out > max ? -1 : 0;
}

/* One selector, "TENANT key value ...", into rule r (class: its tenant's
 * output, *o; a tenant not seen before gets the next output, recorded by
 * the caller); `what` and loc place errors ("argument 3", "add_selector"). */
static int parse_sel(struct el *e, struct tc *s, const char *what, const struct rt_loc *loc, uint32_t prio,
		     const char *text, struct cls_rule *r, int *o, char **tenant, struct rt_err *err)
{
	char *copy = strdup(text), *save = NULL;
	char *t = strtok_r(copy, " \t\n", &save);
	int rc = 0;
	*r = (struct cls_rule){.sport_hi = 65535, .dport_hi = 65535, .prio = prio};
	*tenant = NULL;
	if (!t) {
		rc = rt_errf(err, loc, -EINVAL, "%s: %s: expected TENANT [port N] [vlan V] [src PREFIX] ...", e->name,
			     what);
		goto out;
	}
	for (*o = 0; *o < s->ntenants && strcmp(s->tname[*o], t); (*o)++)
		;
	if (*o == s->ntenants) {
		if (s->ntenants == TC_MAX_TENANTS) {
			rc = rt_errf(err, loc, -E2BIG, "%s: at most %d tenants", e->name, TC_MAX_TENANTS);
			goto out;
		}
		*tenant = strdup(t);
	}
	r->cls = (uint32_t)*o;
	for (char *k = strtok_r(NULL, " \t\n", &save); k; k = strtok_r(NULL, " \t\n", &save)) {
		char *v = strtok_r(NULL, " \t\n", &save);
		unsigned long u;
		bool ok = v != NULL;
		if (!ok) {
		} else if (!strcmp(k, "port")) {
			ok = parse_uint(v, 7, &u) == 0;
			if (ok) {
				r->flags |= (uint16_t)(u << TC_PORT_SHIFT);
				r->flags_mask |= (uint16_t)(7u << TC_PORT_SHIFT);
			}
		} else if (!strcmp(k, "vlan")) {
			if (!strcmp(v, "none")) {
				r->flags_mask |= TC_VLAN_TAGGED | 0xfff;
			} else if ((ok = parse_uint(v, 4095, &u) == 0)) {
				r->flags |= (uint16_t)(TC_VLAN_TAGGED | u);
				r->flags_mask |= TC_VLAN_TAGGED | 0xfff;
			}
		} else if (!strcmp(k, "src")) {
			ok = parse_pfx(v, &r->src, &r->slen) == 0;
		} else if (!strcmp(k, "dst")) {
			ok = parse_pfx(v, &r->dst, &r->dlen) == 0;
		} else if (!strcmp(k, "sport")) {
			ok = parse_range(v, &r->sport_lo, &r->sport_hi) == 0;
		} else if (!strcmp(k, "dport")) {
			ok = parse_range(v, &r->dport_lo, &r->dport_hi) == 0;
		} else if (!strcmp(k, "proto")) {
			r->proto_mask = 0xff;
			if (!strcmp(v, "tcp"))
				r->proto = 6;
			else if (!strcmp(v, "udp"))
				r->proto = 17;
			else if (!strcmp(v, "icmp"))
				r->proto = 1;
			else if ((ok = parse_uint(v, 255, &u) == 0))
				r->proto = (uint8_t)u;
		} else {
			rc = rt_errf(err, loc, -EINVAL,
				     "%s: %s: unknown selector '%s' (port, vlan, src, dst, proto, sport, dport)", e->name, what, k);
			goto out;
		}
		if (!ok) {
			rc = rt_errf(err, loc, -EINVAL, "%s: %s: bad value for %s: '%s'", e->name, what, k, v ? v : "(none)");
			goto out;
		}
	}
out:
	if (rc < 0) {
		free(*tenant);
		*tenant = NULL;
	}
	free(copy);
	return rc;
}

static void tc_add_tenant(struct tc *s, char *name)
{
	s->tname = realloc(s->tname, sizeof(char *) * (size_t)(s->ntenants + 1));
	s->tname[s->ntenants++] = name;
}

/* Keep selector text under rule id. */
static void tc_keep_text(struct tc *s, uint32_t id, const char *text)
{
	if (id >= s->ntext) {
		uint32_t n = RT_MAX(id + 1, s->ntext * 2);
		s->text = realloc(s->text, sizeof(char *) * n);
		memset(s->text + s->ntext, 0, sizeof(char *) * (n - s->ntext));
		s->ntext = n;
	}
	free(s->text[id]);
	s->text[id] = strdup(text);
}

static const struct el_arg args[] = {
	{"NOMATCH", EL_T_INT, offsetof(struct tc, nomatch), "-1", 0,
	 "output for packets no selector takes (-1: drop them, counted)"},
	EL_ARGS_END,
};

static void tc_free_names(struct tc *s)
{
	for (int i = 0; i < s->ntenants; i++)
		free(s->tname[i]);
	free(s->tname);
	s->tname = NULL;
}

static int tc_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct tc *s = e->state;
	cls_ruleset_init(&s->conf);
	if (argc == 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: expected at least one selector, TENANT [port N] [vlan V] ...",
			       e->name);
	if (argc > TC_MAX_SEL)
		return rt_errf(err, &e->loc, -E2BIG, "%s: at most %d selectors", e->name, TC_MAX_SEL);
	for (int i = 0; i < argc; i++) {
		struct cls_rule r;
		int o = 0;
		char what[32], *tenant;
		snprintf(what, sizeof(what), "argument %d", i + 1);
		char *text = el_unquote(argv[i]);
		int rc = parse_sel(e, s, what, &e->loc, (uint32_t)i, text, &r, &o, &tenant, err);
		if (rc == 0)
			tc_keep_text(s, (uint32_t)i, text);
		free(text);
		if (rc < 0)
			return rc;
		if (tenant)
			tc_add_tenant(s, tenant);
		cls_ruleset_push(&s->conf, &r);
	}
	s->next_prio = (uint32_t)argc;
	if (s->nomatch < -1 || s->nomatch > 32767)
		return rt_errf(err, &e->loc, -EINVAL, "%s: NOMATCH must be -1 or an output", e->name);
	return 0;
}

static int tc_init(struct el *e, struct rt_err *err)
{
	struct tc *s = e->state;
	for (int o = 0; o < s->ntenants; o++) {
		const struct tn *t = tn_by_name(e->router, s->tname[o]);
		if (!t || (e->tenant && tn_id(t) != e->tenant))
			return rt_errf(err, &e->loc, -ENOENT, "%s: no tenant '%s'", e->name, s->tname[o]);
		s->out_id[o] = tn_id(t);
	}
	if (s->ntenants > e->nout)
		return rt_errf(err, &e->loc, -EINVAL, "%s: %d tenants but %d output%s (one per tenant)", e->name,
			       s->ntenants, e->nout, e->nout == 1 ? "" : "s");
	if (s->nomatch >= e->nout)
		return rt_errf(err, &e->loc, -EINVAL, "%s: NOMATCH %lld: there is no such output", e->name,
			       (long long)s->nomatch);
	if (s->nomatch >= 0 && s->nomatch < s->ntenants)
		return rt_errf(err, &e->loc, -EINVAL, "%s: NOMATCH %lld is tenant %s's output", e->name,
			       (long long)s->nomatch, s->tname[s->nomatch]);
	int rc = cls_acl_build(s->conf.r, s->conf.n, rt_router_qsbr(e->router), &s->acl, err);
	if (rc < 0)
		return rc;
	cls_ruleset_free(&s->conf);
	return 0;
}

static void tc_cleanup(struct el *e)
{
	struct tc *s = e->state;
	cls_acl_free(s->acl);
	s->acl = NULL;
	cls_ruleset_free(&s->conf);
	tc_free_names(s);
	for (uint32_t i = 0; i < s->ntext; i++)
		free(s->text[i]);
	free(s->text);
	s->text = NULL;
	s->ntext = 0;
}

/* ---- handlers ---------------------------------------------------------------------- */

/* add_selector "TENANT ...": after every selector; a new tenant takes the
 * next output, which must exist. */
static int h_add(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct tc *s = e->state;
	struct cls_rule r;
	int o = 0;
	char *tenant;
	if (parse_sel(e, s, "add_selector", NULL, s->next_prio, v, &r, &o, &tenant, err) < 0)
		return err->code;
	if (tenant) {
		const struct tn *t = tn_by_name(e->router, tenant);
		int rc = 0;
		if (!t || (e->tenant && tn_id(t) != e->tenant))
			rc = rt_errf(err, NULL, -ENOENT, "add_selector: no tenant '%s'", tenant);
		else if (o >= e->nout)
			rc = rt_errf(err, NULL, -EINVAL, "add_selector: tenant '%s' would need output %d, and there %s %d",
				     tenant, o, e->nout == 1 ? "is" : "are", e->nout);
		else if (o == s->nomatch)
			rc = rt_errf(err, NULL, -EINVAL, "add_selector: tenant '%s' would need output %d, which is NOMATCH's",
				     tenant, o);
		if (rc < 0) {
			free(tenant);
			return rc;
		}
		s->out_id[o] = tn_id(t); /* before the rule that sends packets there is published */
		tc_add_tenant(s, tenant);
	}
	uint32_t id;
	if (cls_acl_add(s->acl, &r, &id, err) < 0)
		return err->code;
	tc_keep_text(s, id, v);
	s->next_prio++;
	return 0;
}

static int h_remove(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	struct tc *s = e->state;
	char *end;
	unsigned long id = strtoul(v, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\t')
		end++;
	if (end == v || *end)
		return rt_errf(err, NULL, -EINVAL, "remove_selector: expected a selector id (see selectors), not '%s'", v);
	return cls_acl_remove(s->acl, (uint32_t)id, err);
}

static int h_selectors(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	const struct tc *s = e->state;
	for (uint32_t id = 0; id < cls_acl_id_limit(s->acl); id++)
		if (cls_acl_rule(s->acl, id) && id < s->ntext && s->text[id])
			rt_buf_printf(out, "%u\t%s\n", id, s->text[id]);
	return 0;
}

enum { H_COUNT, H_NOMATCH, H_COUNTS };

static int tc_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	const struct tc *s = e->state;
	uint64_t tot = 0;
	if (what == H_NOMATCH) {
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct tc_pw, nomatch)));
		return 0;
	}
	for (int o = 0; o < s->ntenants; o++) {
		uint64_t v = el_pw_sum(e, offsetof(struct tc_pw, out) + sizeof(uint64_t) * (size_t)o);
		tot += v;
		if (what == H_COUNTS) /* names as the reader knows them: a tenant reads only itself */
			rt_buf_printf(out, "%d %s %llu\n", o, s->tname[o], (unsigned long long)v);
	}
	if (what == H_COUNT)
		rt_buf_printf(out, "%llu", (unsigned long long)tot);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", tc_read, NULL, H_COUNT, 0, "packets selected for a tenant"},
	{"nomatch", tc_read, NULL, H_NOMATCH, 0, "packets no selector took"},
	{"counts", tc_read, NULL, H_COUNTS, 0, "packets per tenant: 'OUTPUT TENANT COUNT' lines"},
	{"selectors", h_selectors, NULL, 0, 0, "the selectors, one per line: ID SELECTOR"},
	{"add_selector", NULL, h_add, 0, 0,
	 "add a selector after every other, while traffic flows (a new tenant takes the next output)"},
	{"remove_selector", NULL, h_remove, 0, 0, "remove the selector with this id"},
	EL_HANDLERS_END,
};

static struct el_class tc_class = {
	.name = "TenantClassifier",
	.sig = "TenantClassifier(SELECTOR_1, ..., SELECTOR_N, [NOMATCH output])",
	.summary = "selects each tenant's traffic with the big classifier, tags it and sends it to its graph",
	.doc = doc,
	.ports = "1-8/1-",
	.state_size = sizeof(struct tc),
	.pw_size = sizeof(struct tc_pw),
	.args = args,
	.configure = tc_configure,
	.init = tc_init,
	.cleanup = tc_cleanup,
	.push = tc_push,
	.handlers = handlers,
};
EL_REGISTER(tc_class)
