/*
 * cls_acl.c - 5-tuple ACL rules: the ClassBench line parser and unparser,
 * rule files, header keys from IPv4 packets, the brute-force reference
 * lookup and the detection of rules no packet can reach (shadowed) or whose
 * removal changes no result (redundant).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cls_acl.h"
#include "../runtime/lang.h"

bool cls_key_from_ip(const uint8_t *ip, uint32_t len, struct cls_key *k)
{
	memset(k, 0, sizeof(*k));
	if (len < 20 || (ip[0] >> 4) != 4)
		return false;
	uint32_t hl = (uint32_t)(ip[0] & 15) * 4;
	if (hl < 20)
		return false;
	k->src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
	k->dst = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | (uint32_t)ip[18] << 8 | ip[19];
	k->proto = ip[9];
	bool first = ((ip[6] & 0x1f) | ip[7]) == 0; /* fragment offset 0 */
	if (!first || (k->proto != 6 && k->proto != 17))
		return true;
	if (len >= hl + 4) {
		k->sport = (uint16_t)(ip[hl] << 8 | ip[hl + 1]);
		k->dport = (uint16_t)(ip[hl + 2] << 8 | ip[hl + 3]);
	}
	if (k->proto == 6 && len >= hl + 14)
		k->flags = (uint16_t)(ip[hl + 13] << 8);
	return true;
}

/* ---- parsing -------------------------------------------------------------- */

struct cur {
	const char *s, *p;
};

static void skip_ws(struct cur *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')
		c->p++;
}

static bool get_uint(struct cur *c, uint64_t max, uint64_t *v)
{
	skip_ws(c);
	if (!isdigit((unsigned char)*c->p))
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(c->p, &end, 0);
	if (errno || x > max)
		return false;
	c->p = end;
	*v = x;
	return true;
}

static bool get_char(struct cur *c, char ch)
{
	skip_ws(c);
	if (*c->p != ch)
		return false;
	c->p++;
	return true;
}

static bool get_prefix(struct cur *c, uint32_t *addr, uint8_t *len)
{
	uint32_t a = 0;
	uint64_t v;
	skip_ws(c);
	for (int i = 0; i < 4; i++) {
		if (i && *c->p++ != '.')
			return false;
		if (!isdigit((unsigned char)*c->p) || !get_uint(c, 255, &v))
			return false;
		a = a << 8 | (uint32_t)v;
	}
	if (*c->p != '/')
		return false;
	c->p++;
	if (!isdigit((unsigned char)*c->p) || !get_uint(c, 32, &v))
		return false;
	*len = (uint8_t)v;
	*addr = a & cls_pfx_mask(*len);
	return true;
}

static bool get_range(struct cur *c, uint16_t *lo, uint16_t *hi)
{
	uint64_t a, b;
	if (!get_uint(c, 65535, &a) || !get_char(c, ':') || !get_uint(c, 65535, &b) || a > b)
		return false;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return true;
}

static bool get_vm(struct cur *c, uint64_t max, uint16_t *val, uint16_t *mask)
{
	uint64_t v, m;
	if (!get_uint(c, max, &v) || !get_char(c, '/') || !get_uint(c, max, &m))
		return false;
	*val = (uint16_t)(v & m);
	*mask = (uint16_t)m;
	return true;
}

/* An error about the field that starts at `at`. */
static int perr(struct rt_err *err, const struct rt_loc *loc, const struct cur *c, const char *at, const char *what)
{
	struct rt_loc l = {0};
	if (loc)
		l = *loc;
	if (l.file)
		l.col = (int)(at - c->s) + 1;
	const char *e = at;
	int n = 0;
	while (e[n] && !isspace((unsigned char)e[n]) && n < 24)
		n++;
	return rt_errf(err, l.file ? &l : NULL, -EINVAL, "bad %s%s%.*s%s", what, n ? " at '" : " (line ends)", n, e,
		       n ? "'" : "");
}

int cls_rule_parse(const char *line, struct cls_rule *r, const struct rt_loc *loc, struct rt_err *err)
{
	struct cur c = {line, line};
	const char *start;
	memset(r, 0, sizeof(*r));
	skip_ws(&c);
	if (!*c.p || *c.p == '#' || (c.p[0] == '/' && c.p[1] == '/'))
		return 1;
	if (*c.p == '@')
		c.p++;
	skip_ws(&c);
	start = c.p;
	if (!get_prefix(&c, &r->src, &r->slen))
		return perr(err, loc, &c, start, "source prefix (A.B.C.D/LEN)");
	skip_ws(&c);
	start = c.p;
	if (!get_prefix(&c, &r->dst, &r->dlen))
		return perr(err, loc, &c, start, "destination prefix (A.B.C.D/LEN)");
	skip_ws(&c);
	start = c.p;
	if (!get_range(&c, &r->sport_lo, &r->sport_hi))
		return perr(err, loc, &c, start, "source port range (LO : HI)");
	skip_ws(&c);
	start = c.p;
	if (!get_range(&c, &r->dport_lo, &r->dport_hi))
		return perr(err, loc, &c, start, "destination port range (LO : HI)");
	uint16_t v, m;
	skip_ws(&c);
	start = c.p;
	if (!get_vm(&c, 255, &v, &m))
		return perr(err, loc, &c, start, "protocol (VALUE/MASK)");
	r->proto = (uint8_t)v;
	r->proto_mask = (uint8_t)m;
	skip_ws(&c);
	start = c.p;
	if (isdigit((unsigned char)*c.p) && !get_vm(&c, 65535, &r->flags, &r->flags_mask))
		return perr(err, loc, &c, start, "flags (VALUE/MASK)");
	r->prio = UINT32_MAX; /* "not given": the loader numbers it */
	for (;;) {
		skip_ws(&c);
		if (!*c.p)
			break;
		uint64_t x;
		start = c.p;
		if (!strncmp(c.p, "class", 5) && isspace((unsigned char)c.p[5])) {
			c.p += 5;
			if (!get_uint(&c, UINT32_MAX - 1, &x))
				return perr(err, loc, &c, start, "class (a number)");
			r->cls = (uint32_t)x;
		} else if (!strncmp(c.p, "prio", 4) && isspace((unsigned char)c.p[4])) {
			c.p += 4;
			if (!get_uint(&c, UINT32_MAX - 1, &x))
				return perr(err, loc, &c, start, "prio (a number)");
			r->prio = (uint32_t)x;
		} else {
			return perr(err, loc, &c, start, "rule end (expected 'class N' or 'prio N')");
		}
	}
	return 0;
}

static void put_pfx(struct rt_buf *out, uint32_t a, unsigned len)
{
	rt_buf_printf(out, "%u.%u.%u.%u/%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, len);
}

void cls_rule_unparse(const struct cls_rule *r, struct rt_buf *out)
{
	rt_buf_puts(out, "@");
	put_pfx(out, r->src, r->slen);
	rt_buf_puts(out, "\t");
	put_pfx(out, r->dst, r->dlen);
	rt_buf_printf(out, "\t%u : %u\t%u : %u\t0x%02x/0x%02x\t0x%04x/0x%04x\tclass %u prio %u", r->sport_lo, r->sport_hi,
		      r->dport_lo, r->dport_hi, r->proto, r->proto_mask, r->flags, r->flags_mask, r->cls, r->prio);
}

/* ---- sets and files --------------------------------------------------------- */

void cls_ruleset_init(struct cls_ruleset *s) { memset(s, 0, sizeof(*s)); }
void cls_ruleset_free(struct cls_ruleset *s)
{
	free(s->r);
	cls_ruleset_init(s);
}

void cls_ruleset_push(struct cls_ruleset *s, const struct cls_rule *r)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 64;
		struct cls_rule *nr = realloc(s->r, sizeof(*nr) * cap);
		if (!nr)
			abort(); /* control plane: out of memory is fatal, as in rt_buf */
		s->r = nr;
		s->cap = cap;
	}
	s->r[s->n++] = *r;
}

int cls_ruleset_parse(struct cls_ruleset *s, const char *text, const char *file, struct rt_err *err)
{
	uint32_t n0 = s->n;
	struct rt_loc loc = {file, 1, 1};
	const char *p = text;
	char small[512];
	while (*p) {
		size_t len = strcspn(p, "\n");
		char *line = len < sizeof(small) ? small : malloc(len + 1);
		memcpy(line, p, len);
		line[len] = 0;
		struct cls_rule r;
		int rc = cls_rule_parse(line, &r, &loc, err);
		if (line != small)
			free(line);
		if (rc < 0) {
			s->n = n0;
			return rc;
		}
		if (rc == 0) {
			if (r.prio == UINT32_MAX)
				r.prio = s->n;
			cls_ruleset_push(s, &r);
		}
		p += len;
		if (*p)
			p++;
		loc.line++;
	}
	return 0;
}

int cls_ruleset_load(struct cls_ruleset *s, const char *path, struct rt_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return rt_errf(err, NULL, -errno, "%s: %s", path, strerror(errno));
	struct rt_buf b;
	rt_buf_init(&b);
	char chunk[65536];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rt_buf_add(&b, chunk, k);
	fclose(f);
	int rc = cls_ruleset_parse(s, b.p ? b.p : "", lang_intern(path), err);
	rt_buf_free(&b);
	return rc;
}

/* ---- reference lookup and unreachable rules ------------------------------------ */

uint32_t cls_linear_lookup(const struct cls_rule *rules, uint32_t n, const struct cls_key *k)
{
	uint32_t best = CLS_NOMATCH;
	for (uint32_t i = 0; i < n; i++)
		if (cls_rule_match(&rules[i], k) && (best == CLS_NOMATCH || rules[i].prio < rules[best].prio))
			best = i;
	return best;
}

bool cls_rule_covers(const struct cls_rule *a, const struct cls_rule *b)
{
	return a->slen <= b->slen && ((a->src ^ b->src) & cls_pfx_mask(a->slen)) == 0 && a->dlen <= b->dlen &&
	       ((a->dst ^ b->dst) & cls_pfx_mask(a->dlen)) == 0 && a->sport_lo <= b->sport_lo &&
	       a->sport_hi >= b->sport_hi && a->dport_lo <= b->dport_lo && a->dport_hi >= b->dport_hi &&
	       (a->proto_mask & b->proto_mask) == a->proto_mask && ((a->proto ^ b->proto) & a->proto_mask) == 0 &&
	       (a->flags_mask & b->flags_mask) == a->flags_mask && ((a->flags ^ b->flags) & a->flags_mask) == 0;
}

static bool overlaps(const struct cls_rule *a, const struct cls_rule *b)
{
	unsigned sl = RT_MIN(a->slen, b->slen), dl = RT_MIN(a->dlen, b->dlen);
	return ((a->src ^ b->src) & cls_pfx_mask(sl)) == 0 && ((a->dst ^ b->dst) & cls_pfx_mask(dl)) == 0 &&
	       a->sport_lo <= b->sport_hi && b->sport_lo <= a->sport_hi && a->dport_lo <= b->dport_hi &&
	       b->dport_lo <= a->dport_hi && ((a->proto ^ b->proto) & a->proto_mask & b->proto_mask) == 0 &&
	       ((a->flags ^ b->flags) & a->flags_mask & b->flags_mask) == 0;
}

static const struct cls_rule *g_sort_rules;
static int by_prio(const void *x, const void *y)
{
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	uint32_t pi = g_sort_rules[i].prio, pj = g_sort_rules[j].prio;
	return pi != pj ? (pi < pj ? -1 : 1) : (i < j ? -1 : i > j);
}

uint32_t cls_rules_unreachable(const struct cls_rule *rules, uint32_t n, uint32_t *shadowed, uint32_t *redundant)
{
	uint32_t *ord = malloc(sizeof(*ord) * (n ? n : 1));
	uint8_t *dead = calloc(n ? n : 1, 1);
	for (uint32_t i = 0; i < n; i++) {
		ord[i] = i;
		if (shadowed)
			shadowed[i] = CLS_NOMATCH;
		if (redundant)
			redundant[i] = CLS_NOMATCH;
	}
	g_sort_rules = rules; /* control thread only */
	qsort(ord, n, sizeof(*ord), by_prio);
	uint32_t count = 0;
	/* Shadowed: covered by a better rule. */
	for (uint32_t b = 0; b < n; b++) {
		const struct cls_rule *rb = &rules[ord[b]];
		for (uint32_t a = 0; a < b; a++)
			if (!dead[ord[a]] && cls_rule_covers(&rules[ord[a]], rb)) {
				dead[ord[b]] = 1;
				if (shadowed)
					shadowed[ord[b]] = ord[a];
				count++;
				break;
			}
	}
	/* Redundant: the next rule overlapping it (in priority order) covers
	 * it and gives the same class; later rules see the same keys as before. */
	for (uint32_t a = 0; a < n; a++) {
		if (dead[ord[a]])
			continue;
		const struct cls_rule *ra = &rules[ord[a]];
		for (uint32_t b = a + 1; b < n; b++) {
			const struct cls_rule *rb = &rules[ord[b]];
			if (dead[ord[b]] || !overlaps(ra, rb))
				continue;
			if (rb->cls == ra->cls && cls_rule_covers(rb, ra)) {
				if (redundant)
					redundant[ord[a]] = ord[b];
				count++;
			}
			break;
		}
	}
	free(ord);
	free(dead);
	return count;
}
