/*
 * cls_acl6.c - IPv6 ACL rules (cls_acl6.h): parsing (the address fields
 * here, the rest by cls_rule_parse), keys from IPv6 headers, and rule
 * arrays replaced whole on every change.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cls_acl6.h"

bool cls_rule6_is(const char *line)
{
	while (isspace((unsigned char)*line) || *line == '@')
		line++;
	for (; *line && !isspace((unsigned char)*line); line++)
		if (*line == ':')
			return true;
	return false;
}

/* "ADDR/LEN" at *p into a (masked) and len; advances *p. */
static bool get_pfx6(const char **p, uint8_t *a, uint8_t *len)
{
	while (isspace((unsigned char)**p))
		(*p)++;
	const char *s = *p, *slash = s;
	while (*slash && *slash != '/' && !isspace((unsigned char)*slash))
		slash++;
	if (*slash != '/' || slash - s >= INET6_ADDRSTRLEN)
		return false;
	char buf[INET6_ADDRSTRLEN];
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (inet_pton(AF_INET6, buf, a) != 1 || !isdigit((unsigned char)slash[1]))
		return false;
	char *end;
	unsigned long l = strtoul(slash + 1, &end, 10);
	if (l > 128 || (*end && !isspace((unsigned char)*end)))
		return false;
	*len = (uint8_t)l;
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = l >= 8 * (i + 1) ? 8 : (l > 8 * i ? l - 8 * i : 0);
		a[i] &= (uint8_t)(keep ? 0xff << (8 - keep) : 0);
	}
	*p = end;
	return true;
}

int cls_rule6_parse(const char *line, struct cls_rule6 *r, const struct rt_loc *loc, struct rt_err *err)
{
	memset(r, 0, sizeof(*r));
	const char *p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '@')
		p++;
	const char *s0 = p;
	if (!get_pfx6(&p, r->src, &r->slen))
		return rt_errf(err, loc, -EINVAL, "bad source prefix (IPv6 ADDR/LEN) at '%.40s'", s0);
	while (isspace((unsigned char)*p))
		p++;
	s0 = p;
	if (!get_pfx6(&p, r->dst, &r->dlen))
		return rt_errf(err, loc, -EINVAL, "bad destination prefix (IPv6 ADDR/LEN) at '%.40s'", s0);
	/* the rest is the IPv4 syntax's */
	size_t n = strlen(p) + 32;
	char *rest = malloc(n);
	if (!rest)
		return rt_errf(err, loc, -ENOMEM, "out of memory");
	snprintf(rest, n, "@0.0.0.0/0 0.0.0.0/0 %s", p);
	int rc = cls_rule_parse(rest, &r->f, loc, err);
	free(rest);
	if (rc == 1)
		return rt_errf(err, loc, -EINVAL, "bad rule: nothing after the prefixes");
	return rc;
}

void cls_rule6_unparse(const struct cls_rule6 *r, struct rt_buf *out)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, r->src, a, sizeof(a));
	inet_ntop(AF_INET6, r->dst, b, sizeof(b));
	struct rt_buf t;
	rt_buf_init(&t);
	cls_rule_unparse(&r->f, &t);
	/* skip the IPv4 form's two prefixes */
	const char *rest = strchr(t.p, '\t');
	rest = rest ? strchr(rest + 1, '\t') : NULL;
	rt_buf_printf(out, "@%s/%u\t%s/%u%s", a, r->slen, b, r->dlen, rest ? rest : "");
	rt_buf_free(&t);
}

bool cls_key6_from_ip6(const uint8_t *ip, uint32_t len, struct cls_key6 *k)
{
	memset(k, 0, sizeof(*k));
	if (len < 40 || (ip[0] >> 4) != 6)
		return false;
	memcpy(k->src, ip + 8, 16);
	memcpy(k->dst, ip + 24, 16);
	uint8_t nh = ip[6];
	uint32_t off = 40;
	bool ports = true;
	for (int hops = 0; hops < 8; hops++) {
		if (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, destination options */
			if (len < off + 8)
				break;
			nh = ip[off];
			off += ((uint32_t)ip[off + 1] + 1) * 8;
		} else if (nh == 44) { /* fragment */
			if (len < off + 8)
				break;
			ports = ((ip[off + 2] << 8 | ip[off + 3]) & 0xfff8) == 0;
			nh = ip[off];
			off += 8;
		} else if (nh == 51) { /* AH */
			if (len < off + 8)
				break;
			nh = ip[off];
			off += ((uint32_t)ip[off + 1] + 2) * 4;
		} else {
			break;
		}
	}
	k->f.proto = nh;
	if (!ports || (nh != 6 && nh != 17))
		return true;
	if (len >= off + 4) {
		k->f.sport = (uint16_t)(ip[off] << 8 | ip[off + 1]);
		k->f.dport = (uint16_t)(ip[off + 2] << 8 | ip[off + 3]);
	}
	if (nh == 6 && len >= off + 14)
		k->f.flags = (uint16_t)(ip[off + 13] << 8);
	return true;
}

static int by_prio6(const void *x, const void *y)
{
	const struct cls_rule6 *a = x, *b = y;
	if (a->f.prio != b->f.prio)
		return a->f.prio < b->f.prio ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

struct cls_acl6 *cls_acl6_with(const struct cls_acl6 *a, const struct cls_rule6 *add, uint32_t drop)
{
	uint32_t n = a ? a->n : 0;
	struct cls_acl6 *b = malloc(sizeof(*b) + sizeof(b->r[0]) * (n + 1));
	if (!b)
		return NULL;
	b->n = 0;
	for (uint32_t i = 0; i < n; i++)
		if (a->r[i].id != drop)
			b->r[b->n++] = a->r[i];
	if (add)
		b->r[b->n++] = *add;
	qsort(b->r, b->n, sizeof(b->r[0]), by_prio6);
	return b;
}
