/*
 * EtherMirror - swaps the Ethernet source and destination addresses in
 * place.
 */
#include <rte_ether.h>
#include <rte_vect.h>

#include "../../runtime/el.h"

struct ethermirror_pw {
	uint64_t drops;
};

/* Prefetch distance, in packets. */
#define EM_AHEAD 4

/* Swap the two 6-byte addresses at p (at least 14 bytes there). */
static inline void ether_swap(uint8_t *p)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ether_addr t = eh->dst_addr;
	eh->dst_addr = eh->src_addr;
	eh->src_addr = t;
}

/* The same on a frame of at least 16 bytes: one byte shuffle of the first
 * 16 (bytes 12-15 stay in place), three instructions with SSSE3. */
static inline void ether_swap16(uint8_t *p)
{
#ifdef __SSSE3__
	const __m128i order = _mm_setr_epi8(6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 12, 13, 14, 15);
	__m128i v = _mm_loadu_si128((const __m128i *)(void *)p);
	_mm_storeu_si128((__m128i *)(void *)p, _mm_shuffle_epi8(v, order));
#else
	ether_swap(p);
#endif
}

/* Rare: packets shorter than 16 bytes.  Swap those of 14 or 15, free the
 * shorter ones (no Ethernet header) and close the gaps. */
static __rte_noinline void ethermirror_short(struct el_node *n, struct rt_batch *b)
{
	uint32_t k = 0, bad = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (rt_len(m) < RTE_ETHER_HDR_LEN) {
			rte_pktmbuf_free(m);
			bad++;
			continue;
		}
		if (rt_len(m) < 16)
			ether_swap(rt_data(m));
		b->pkts[k++] = m;
	}
	b->n = k;
	if (bad)
		((struct ethermirror_pw *)el_pw(n->e))->drops += bad;
}

static void ethermirror_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct rte_mbuf **pk = b->pkts;
	const uint32_t cnt = b->n;
	uint32_t rare = 0;
	for (uint32_t i = 0; i < cnt && i < EM_AHEAD; i++)
		rte_prefetch0(rt_data(pk[i]));
	for (uint32_t i = 0; i < cnt; i++) {
		struct rte_mbuf *m = pk[i];
		if (i + EM_AHEAD < cnt)
			rte_prefetch0(rt_data(pk[i + EM_AHEAD]));
		if (likely(rt_len(m) >= 16))
			ether_swap16(rt_data(m));
		else
			rare++;
	}
	if (unlikely(rare))
		ethermirror_short(n, b);
	el_output(n, 0, b);
}

static int ethermirror_drops(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct ethermirror_pw, drops)));
	return 0;
}

static const struct el_handler handlers[] = {
	{"drops", ethermirror_drops, NULL, 0, 0, "packets shorter than an Ethernet header, dropped"},
	EL_HANDLERS_END,
};

static struct el_class ethermirror = {
	.name = "EtherMirror",
	.sig = "EtherMirror()",
	.summary = "swaps Ethernet source and destination",
	.doc = "Incoming packets are Ethernet. Their source and destination Ethernet addresses are "
	       "swapped before they are output. Packets shorter than 14 bytes are dropped and counted "
	       "in `drops` (an mboxsh addition).",
	.ports = "1/1",
	.pw_size = sizeof(struct ethermirror_pw),
	.push = ethermirror_push,
	.handlers = handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(ethermirror)
