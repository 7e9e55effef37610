/*
 * acl_util.h - random ACL rules over a tiny value space (so that rules nest
 * and overlap a lot) and keys that hit them, for the classify tests.
 */
#ifndef MB_TEST_ACL_UTIL_H
#define MB_TEST_ACL_UTIL_H

#include "cls_acl.h"

static uint64_t rs = 88172645463325252ull;
static inline uint32_t rnd32(void)
{
	rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
	return (uint32_t)(rs >> 16);
}

/* A rule over a tiny value space, so that rules nest and overlap a lot;
 * `wild` bits force fields to wildcards (1 src, 2 dst, 4 sport, 8 dport,
 * 16 proto, 32 flags). */
static inline void rand_rule(struct cls_rule *r, unsigned wild, uint32_t prio)
{
	static const uint32_t nets[] = {0x0a000000, 0x0a010000, 0x0a010100, 0xc0a80000};
	memset(r, 0, sizeof(*r));
	r->slen = (wild & 1) ? 0 : (uint8_t)(rnd32() % 33);
	r->dlen = (wild & 2) ? 0 : (uint8_t)(rnd32() % 33);
	r->src = (nets[rnd32() % 4] | (rnd32() & 0x3)) & cls_pfx_mask(r->slen);
	r->dst = (nets[rnd32() % 4] | (rnd32() & 0x3)) & cls_pfx_mask(r->dlen);
	uint16_t a = (uint16_t)(rnd32() % 8), b = (uint16_t)(a + rnd32() % 4);
	r->sport_lo = (wild & 4) ? 0 : (rnd32() % 3 ? a : b), r->sport_hi = (wild & 4) ? 65535 : b;
	a = (uint16_t)(rnd32() % 8), b = (uint16_t)(a + rnd32() % 4);
	r->dport_lo = (wild & 8) ? 0 : (rnd32() % 3 ? a : b), r->dport_hi = (wild & 8) ? 65535 : b;
	if (!(wild & 16) && rnd32() % 4) {
		r->proto_mask = rnd32() % 3 ? 0xff : 0x0f;
		r->proto = (uint8_t)((rnd32() % 2 ? 6 : 17) & r->proto_mask);
	}
	if (!(wild & 32) && rnd32() % 3) {
		r->flags_mask = (uint16_t)((rnd32() % 4) << 8);
		r->flags = (uint16_t)((rnd32() << 8) & r->flags_mask);
	}
	r->prio = prio;
	r->cls = rnd32() % 5;
}

static inline void rand_keys(struct cls_key *k, uint32_t n)
{
	static const uint32_t nets[] = {0x0a000000, 0x0a010000, 0x0a010100, 0xc0a80000, 0x01020304};
	for (uint32_t i = 0; i < n; i++) {
		memset(&k[i], 0, sizeof(k[i]));
		k[i].src = nets[rnd32() % 5] | (rnd32() % 4 ? rnd32() & 3 : rnd32() & 0xffff);
		k[i].dst = nets[rnd32() % 5] | (rnd32() % 4 ? rnd32() & 3 : rnd32() & 0xffff);
		k[i].sport = (uint16_t)(rnd32() % 4 ? rnd32() % 14 : rnd32());
		k[i].dport = (uint16_t)(rnd32() % 4 ? rnd32() % 14 : rnd32());
		k[i].proto = rnd32() % 3 ? (rnd32() % 2 ? 6 : 17) : (uint8_t)rnd32();
		k[i].flags = (uint16_t)((rnd32() & 0xff) << 8);
	}
}

#endif
