/*
 * cls_acl6.h - IPv6 5-tuple ACL rules for ACLClassifier: the ClassBench
 * line with IPv6 prefixes ("@2001:db8::/32 ::/0 0 : 65535 80 : 80
 * 0x06/0xFF 0x0000/0x0000 class 1"), keys from IPv6 headers (extension
 * headers skipped), and a published, immutable rule array searched in
 * priority order.  Not the tuple-merge classifier: a linear search, meant
 * for the few IPv6 rules next to a large IPv4 set (docs/classify.md).
 *
 * cls_acl6_lookup runs on workers; the rest on the control thread.
 */
#ifndef MB_CLS_ACL6_H
#define MB_CLS_ACL6_H

#include "cls_acl.h"

struct cls_rule6 {
	uint8_t src[16], dst[16];   /* masked */
	uint8_t slen, dlen;         /* 0..128 */
	struct cls_rule f;          /* ports, protocol, flags, prio, class (its addresses: /0) */
	uint32_t id;
};

struct cls_key6 {
	uint8_t src[16], dst[16];
	struct cls_key f;           /* ports, protocol, flags (addresses 0) */
};

/* Is this rule line an IPv6 one (its first prefix has a ':')? */
bool cls_rule6_is(const char *line);
int cls_rule6_parse(const char *line, struct cls_rule6 *r, const struct rt_loc *loc, struct rt_err *err);
void cls_rule6_unparse(const struct cls_rule6 *r, struct rt_buf *out);

/* Key from an IPv6 header; false if it is not one.  Hop-by-hop, routing,
 * destination options and AH headers are skipped; after a fragment header
 * with a non-zero offset there are no ports; an ESP or unknown next header
 * is the protocol. */
bool cls_key6_from_ip6(const uint8_t *ip, uint32_t len, struct cls_key6 *k);

static inline bool cls_pfx6_match(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rem = len % 8;
	if (memcmp(a, b, full))
		return false;
	return !rem || ((a[full] ^ b[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

static inline bool cls_rule6_match(const struct cls_rule6 *r, const struct cls_key6 *k)
{
	return cls_pfx6_match(r->src, k->src, r->slen) && cls_pfx6_match(r->dst, k->dst, r->dlen) &&
	       cls_rule_match(&r->f, &k->f);
}

/* Rules in priority order (prio, then id), immutable once published. */
struct cls_acl6 {
	uint32_t n;
	struct cls_rule6 r[];
};

/* A new array: a's rules plus add (may be NULL) less the rule with id
 * `drop` (UINT32_MAX: none), sorted.  NULL when out of memory. */
struct cls_acl6 *cls_acl6_with(const struct cls_acl6 *a, const struct cls_rule6 *add, uint32_t drop);

/* Index of the best rule matching k, or CLS_NOMATCH. */
static inline uint32_t cls_acl6_lookup(const struct cls_acl6 *a, const struct cls_key6 *k)
{
	for (uint32_t i = 0; a && i < a->n; i++)
		if (cls_rule6_match(&a->r[i], k))
			return i;
	return CLS_NOMATCH;
}

#endif
