/*
 * pm_action.c - what a PatternMatch match does beyond ALERT (docs/flows.md,
 * "Pattern actions"): the ACTION argument, and the editing actions.  MASK
 * overwrites the matched bytes in place and fixes the checksums; REMOVE and
 * REPLACE go through the stream's byte-editing API (flow/flow_stream.h), so
 * TCPOut moves sequence numbers.  Match positions come from a re-scan on
 * the host of the matching packet, from the state its scan started in.
 */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include <rte_ip.h>

#include "pm_int.h"

const char *const pm_action_names[5] = { "ALERT", "DROP_FLOW", "MASK", "REMOVE", "REPLACE" };

/* The matched ranges of one packet: [a, b) relative to the scanned bytes,
 * a < 0 when the match began in an earlier packet; overlapping matches
 * merge (matches come in end order, so a new one can only swallow the
 * last ranges). */
struct pm_ranges {
	const struct pm *s;
	const uint32_t *plen;
	uint8_t *p;
	uint32_t n;
	bool over;
	int64_t a[PM_RANGES], b[PM_RANGES];
};

static void pm_range_cb(void *ctx, uint64_t end, uint32_t id)
{
	struct pm_ranges *R = ctx;
	const struct pm *s = R->s;
	const uint32_t *pl = R->plen;
	int64_t b = (int64_t)end, a = b - (id < pl[0] ? pl[1 + id] : 1);
	if (s->action == PM_MASK) {
		/* the bytes behind the scan position: overwrite them in place */
		for (int64_t i = a < 0 ? 0 : a; i < b; i++)
			R->p[i] = (uint8_t)s->mask_byte;
		if (a < 0)
			R->over = true;  /* remembered for `partial` */
		R->n++;
		return;
	}
	while (R->n && R->b[R->n - 1] > a) {
		R->n--;
		if (R->a[R->n] < a)
			a = R->a[R->n];
	}
	if (R->n == PM_RANGES) {
		R->over = true;
		return;
	}
	R->a[R->n] = a;
	R->b[R->n] = b;
	R->n++;
}

/* Remove or replace the ranges through the stream's byte-editing API
 * (TCPOut rewrites sequence numbers, acknowledgements and checksums). */
static void pm_stream_edit(const struct pm *s, struct pm_pw *pw, struct rte_mbuf *m, const uint8_t *p,
			   struct pm_ranges *R)
{
	struct fs_flow *sf = s->tcpin ? fs_flow_of(s->tcpin, m) : NULL;
	struct fs_pkt pk;
	if (!sf || !fs_parse(m, &pk) || p < pk.pay) {
		pw->noedit++;
		return;
	}
	struct fs_dir *d = &sf->d[fs_dir_of(m)];
	uint32_t base = (uint32_t)(p - pk.pay), folded = 0;
	int64_t shift = 0;
	const void *ins = s->action == PM_REPLACE ? s->repl.p : NULL;
	uint32_t inslen = s->action == PM_REPLACE ? (uint32_t)s->repl.len : 0;
	for (uint32_t i = 0; i < R->n; i++) {
		int64_t a = R->a[i] < 0 ? 0 : R->a[i];
		uint32_t rem = (uint32_t)(R->b[i] - a);
		if (flow_stream_edit(d, m, (uint32_t)(base + a + shift), rem, ins, inslen, &folded) < 0) {
			pw->refused++;
			return;
		}
		shift += (int64_t)inslen - rem;
		pw->edited++;
	}
	sf->folded += folded;
}

/* After MASK: the IPv4 and TCP/UDP checksums (TCPOut recomputes only the
 * packets whose numbers it rewrites); IPv6 with TCP or UDP right after the
 * fixed header.  Not in a fragment: its transport checksum covers the
 * whole datagram. */
static void pm_fix_csums(struct rte_mbuf *m)
{
	const uint8_t *d = rt_data(m), *end = d + rt_len(m);
	uint8_t *ip6 = rt_has_nh(m) ? (uint8_t *)rt_nh(m) : NULL;
	if (ip6 && ip6 >= d && ip6 + 40 <= end && ip6[0] >> 4 == 6) {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip6;
		uint32_t plen = rte_be_to_cpu_16(h->payload_len);
		uint8_t *l4 = ip6 + 40;
		uint32_t at = h->proto == IPPROTO_TCP ? 16 : h->proto == IPPROTO_UDP ? 6 : 0;
		if (!at || l4 + plen > end || plen < at + 2)
			return;
		if (h->proto == IPPROTO_UDP && !l4[6] && !l4[7])
			return; /* invalid in IPv6, left as it came */
		l4[at] = l4[at + 1] = 0;
		uint16_t c = rte_ipv6_udptcp_cksum(h, l4);
		memcpy(l4 + at, &c, 2);
		return;
	}
	uint32_t l4len;
	struct rte_ipv4_hdr *ip = flow_ip(m, &l4len);
	if (ip && !(rte_be_to_cpu_16(ip->fragment_offset) & 0x3fffu) &&
	    (ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP))
		flow_fix_csums(ip, l4len);
}

/* An editing action on a matching packet: re-scan its bytes on the host
 * from the state its scan started in (the same bytes and automaton as the
 * kernel, on every placement) to find where the matches are. */
void pm_edit(const struct pm *s, struct pm_pw *pw, struct rte_mbuf *m, uint32_t start)
{
	const uint8_t *p;
	uint32_t len;
	pm_payload(m, s->payload, &p, &len);
	if (len > PM_BLOB_MAX)
		len = PM_BLOB_MAX;
	const struct mig_ac_dfa *d = __atomic_load_n(&s->dfa, __ATOMIC_ACQUIRE);
	if (start >= d->nstates)
		start = 0;
	struct pm_ranges R;
	R.s = s;
	R.plen = __atomic_load_n(&s->plen, __ATOMIC_ACQUIRE);
	R.p = (uint8_t *)(uintptr_t)p;
	R.n = 0;
	R.over = false;
	mig_ac_each_match(d, start, p, len, pm_range_cb, &R);
	if (s->action == PM_MASK) {
		if (R.over)
			pw->partial++;
		pw->edited += R.n;
		pm_fix_csums(m);
		return;
	}
	if (R.n && R.a[0] < 0)
		pw->partial++;
	if (R.over)
		pw->refused++;
	pm_stream_edit(s, pw, m, p, &R);
}

/* ACTION: a word, and for REPLACE the text (data syntax) after it. */
int pm_parse_action(struct el *e, struct rt_err *err)
{
	struct pm *s = e->state;
	const char *a = s->action_s ? s->action_s : "ALERT";
	a += strspn(a, " \t");
	size_t w = strcspn(a, " \t");
	s->action = -1;
	for (int i = 0; i < (int)RT_ARRAY_SIZE(pm_action_names); i++)
		if (strlen(pm_action_names[i]) == w && !strncasecmp(a, pm_action_names[i], w))
			s->action = i;
	if (s->action < 0)
		return rt_errf(err, &e->loc, -EINVAL,
			       "%s: ACTION: expected ALERT, DROP_FLOW, MASK, REMOVE or REPLACE \"text\", not '%s'",
			       e->name, a);
	const char *rest = a + w + strspn(a + w, " \t");
	if (s->action == PM_REPLACE) {
		/* the argument arrives unquoted (string syntax): the rest is the
		 * text as it is; REPLACEMENT gives it in data syntax instead */
		if (*rest && s->repl.p)
			return rt_errf(err, &e->loc, -EINVAL, "%s: ACTION: give the replacement once (after REPLACE or as REPLACEMENT)",
				       e->name);
		if (*rest) {
			size_t n = strlen(rest);
			if (!(s->repl.p = malloc(n)))
				return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
			memcpy(s->repl.p, rest, n);
			s->repl.len = n;
		}
		if (!s->repl.len)
			return rt_errf(err, &e->loc, -EINVAL,
				       "%s: ACTION: REPLACE needs the replacement text (REPLACE \"text\" or REPLACEMENT; "
				       "to delete, use REMOVE)", e->name);
		if (s->repl.len > 1024)
			return rt_errf(err, &e->loc, -EINVAL, "%s: ACTION: the replacement is %zu bytes, at most 1024",
				       e->name, (size_t)s->repl.len);
	} else if (*rest) {
		return rt_errf(err, &e->loc, -EINVAL, "%s: ACTION: unexpected '%s' after %s", e->name, rest,
			       pm_action_names[s->action]);
	} else if (s->repl.p) {
		return rt_errf(err, &e->loc, -EINVAL, "%s: REPLACEMENT goes with ACTION REPLACE only", e->name);
	}
	if (s->mask_byte < 0 || s->mask_byte > 255)
		return rt_errf(err, &e->loc, -EINVAL, "%s: MASK_BYTE must be 0 to 255", e->name);
	return 0;
}

/* Is there a TCPOut downstream of e through output 0 (32 elements at most)? */
bool pm_tcpout_after(const struct el *e)
{
	const struct el *c = e;
	for (int i = 0; i < 32 && c; i++) {
		struct el *dn = el_output_peer(c, 0, NULL);
		if (dn && !strcmp(dn->cls->name, "TCPOut"))
			return true;
		c = dn;
	}
	return false;
}
