/*
 * flow_util.c - control-plane helpers for flow elements: listing the flows
 * of the manager upstream of an element, with the element's slot.
 */
#include <stdio.h>
#include <stdlib.h>

#include <rte_ip.h>

#include "flow.h"

void flow_key_format(enum flow_def def, const struct flow_key *k, struct rt_buf *out)
{
	flow_key_format_ext(def, k, NULL, out);
}

/* An IPv6 address in RFC 5952 form (the longest run of two or more zero
 * groups as "::", lower case). */
static void fmt6(const uint8_t *a, struct rt_buf *out)
{
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	int best = -1, blen = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && !g[j])
			j++;
		if (j - i > blen)
			best = i, blen = j - i;
		i = j == i ? i + 1 : j;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			rt_buf_printf(out, "::");
			i += blen - 1;
			continue;
		}
		rt_buf_printf(out, "%s%x", i && i != best + blen ? ":" : "", g[i]);
	}
}

void flow_key_format_ext(enum flow_def def, const struct flow_key *k, const struct flow_key6 *k6, struct rt_buf *out)
{
	if (flow_key_is_v6(k) && k6) {
		const char *p = k->proto == IPPROTO_TCP ? "TCP" : k->proto == IPPROTO_UDP ? "UDP" : k->proto == IPPROTO_ICMPV6 ? "ICMP6" : NULL;
		if (p)
			rt_buf_printf(out, "%s ", p);
		else if (k->proto)
			rt_buf_printf(out, "%u ", k->proto);
		rt_buf_printf(out, "[");
		fmt6(k6->a, out);
		rt_buf_printf(out, "]:%u [", rte_be_to_cpu_16(k->pa));
		fmt6(k6->b, out);
		rt_buf_printf(out, "]:%u", rte_be_to_cpu_16(k->pb));
		return;
	}
	if (def == FLOW_DEF_ASPAIR) {
		rt_buf_printf(out, "AS%u AS%u", k->a, k->b);
		return;
	}
	const uint8_t *a = (const uint8_t *)&k->a, *b = (const uint8_t *)&k->b;
	const char *p = k->proto == IPPROTO_TCP ? "TCP" : k->proto == IPPROTO_UDP ? "UDP" : k->proto == IPPROTO_ICMP ? "ICMP" : NULL;
	if (p)
		rt_buf_printf(out, "%s ", p);
	else if (k->proto)
		rt_buf_printf(out, "%u ", k->proto);
	rt_buf_printf(out, "%u.%u.%u.%u:%u %u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], rte_be_to_cpu_16(k->pa), b[0], b[1], b[2],
		      b[3], rte_be_to_cpu_16(k->pb));
}

struct list_ctx {
	const struct el *e;
	const struct flow_table *t;
	enum flow_def def;
	flow_format_fn fn;
	char **lines;
	size_t n, cap;
};

static void list_one(void *ctx, struct flow_fcb *f)
{
	struct list_ctx *c = ctx;
	struct rt_buf b;
	rt_buf_init(&b);
	flow_key_format_ext(c->def, &f->key, flow_key6_of(c->t, f), &b);
	if (c->fn)
		c->fn(c->e, (uint8_t *)f + FLOW_FCB_HDR + c->e->flow_off, &b);
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->lines = realloc(c->lines, sizeof(char *) * c->cap);
	}
	c->lines[c->n++] = rt_buf_steal(&b);
}

static int cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

int flow_el_list(const struct el *e, flow_format_fn fn, struct rt_buf *out)
{
	if (!e->flow_mgr)
		return 0;
	struct flow_mgr *M = e->flow_mgr->state;
	struct list_ctx c = {e, NULL, M->def, fn, NULL, 0, 0};
	for (int w = 0; w < RT_MAX_WORKERS; w++)
		if (M->tab[w]) {
			c.t = M->tab[w];
			flow_table_foreach(M->tab[w], list_one, &c);
		}
	qsort(c.lines, c.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < c.n; i++) {
		rt_buf_printf(out, "%s\n", c.lines[i]);
		free(c.lines[i]);
	}
	free(c.lines);
	return (int)c.n;
}

void flow_fix_csums(struct rte_ipv4_hdr *ip, uint32_t l4len)
{
	uint32_t hl = (uint32_t)(ip->version_ihl & 0x0f) << 2, tl = rte_be_to_cpu_16(ip->total_length);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (tl < hl || tl - hl > l4len || (rte_be_to_cpu_16(ip->fragment_offset) & 0x3fff))
		return;
	uint8_t *l4 = (uint8_t *)ip + hl;
	uint16_t *sum;
	if (ip->next_proto_id == IPPROTO_TCP && tl - hl >= 20)
		sum = (uint16_t *)(l4 + 16);
	else if (ip->next_proto_id == IPPROTO_UDP && tl - hl >= 8)
		sum = (uint16_t *)(l4 + 6);
	else
		return;
	if (ip->next_proto_id == IPPROTO_UDP && *sum == 0)
		return;
	*sum = 0;
	uint16_t c = rte_ipv4_udptcp_cksum(ip, l4);
	*sum = (ip->next_proto_id == IPPROTO_UDP && c == 0) ? 0xffff : c;
}
