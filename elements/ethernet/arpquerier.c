/*
 * ARPQuerier - resolves next-hop IP addresses (the dst_ip annotation) to
 * Ethernet addresses with ARP and encapsulates IP packets accordingly.
 *
 * The ARP table is a fixed-size open-addressing table shared by every
 * worker without locks (decision 5):
 *   - a slot is claimed for an address with one CAS on its `ip` and is never
 *     given back, so a reader that found an address keeps a valid entry;
 *   - the Ethernet address, KNOWN and VALID flags share one 64-bit word,
 *     written with one atomic store, so a reader never sees half an address;
 *   - packets waiting for an address sit on a per-entry LIFO stack (linked
 *     through m->next) pushed with CAS and emptied with one exchange.  The
 *     IP side pushes then re-reads the address word; the reply side stores
 *     the word then empties the stack; both sequentially consistent, so at
 *     least one of them sees the other and no packet is stranded.
 * The cost is that the table holds at most ENTRY_CAPACITY distinct addresses
 * over the element's life (`clear` forgets them but keeps their slots).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "../../runtime/router.h"

_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "address word layout assumes little-endian");

static const char doc[] =
	"Handles most of the ARP protocol. IP is this host's IP address (optionally with a "
	"prefix length, which gives the broadcast address), ETH its Ethernet address.\n\n"
	"Packets arriving on input 0 should be IP packets with their destination address "
	"annotations set. If an Ethernet address is already known for the destination, the IP "
	"packet is wrapped in an Ethernet header and sent to output 0. Otherwise the packet is "
	"saved and an ARP query is sent instead (at most 10 a second per address). When an ARP "
	"reply arrives on input 1 for an address we need, the mapping is recorded and the saved "
	"packets are sent, in order. Replies include the Ethernet header. With two outputs, "
	"queries go to output 1.\n\n"
	"Packets for 0.0.0.0 are dropped; packets for 255.255.255.255 or the BROADCAST address go "
	"to FF-FF-FF-FF-FF-FF; multicast addresses map to 01-00-5E-xx-yy-zz (RFC 1112).\n\n"
	"Keywords: CAPACITY (saved packets in all, default 2048, 0 = no limit), ENTRY_CAPACITY "
	"(addresses, default 0 = 4096 here), ENTRY_PACKET_CAPACITY (saved packets per address, "
	"0 = no limit), TIMEOUT (entry lifetime, default 5 minutes), POLL_TIMEOUT (re-query a "
	"known address after this long, default 1 minute, 0 = never), BROADCAST, BROADCAST_POLL "
	"(send re-queries broadcast rather than unicast).\n\n"
	"Differences from Click: the table is lock-free and its slots are never reused, so it "
	"resolves at most ENTRY_CAPACITY distinct addresses over its life; when CAPACITY is "
	"reached new packets are dropped (Click drops the oldest); replies for addresses never "
	"queried are ignored; the one-argument form (an AddressInfo name) and TABLE are not "
	"supported.";

#define AQ_ETH_MASK ((1ull << 48) - 1)
#define AQ_KNOWN (1ull << 56)
#define AQ_VALID (1ull << 57) /* in the table (cleared by `clear`) */
#define AQ_POLL_GAP_NS 100000000ll /* at most 10 queries a second per address */
#define AQ_DEFAULT_ENTRIES 4096u
#define AQ_MAX_ENTRIES (1u << 20)
#define AQ_FRAME_LEN (RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr))

struct aq_entry {
	uint32_t ip;               /* network order; 0 = free slot */
	uint32_t npending;         /* packets on `pending` */
	uint64_t ethw;             /* address in the low 48 bits (memory order) | AQ_KNOWN | AQ_VALID */
	int64_t live_at;           /* ns: last reply, or creation while unresolved */
	int64_t polled_at;         /* ns: last query */
	struct rte_mbuf *pending;  /* saved packets, newest first, linked by m->next */
} __rte_cache_aligned;

struct arpq_pw {
	uint64_t queries, responses, drops;
};

struct arpq {
	/* arguments */
	char *ip_arg;
	uint8_t eth[6];
	uint64_t capacity, entry_capacity, entry_pkt_capacity, timeout, poll_timeout;
	uint32_t bcast_arg;
	bool broadcast_poll;
	/* runtime */
	uint32_t my_ip, my_bcast;  /* network order; the handlers may change them */
	struct aq_entry *tab;
	uint32_t mask, shift, max_entries;
	uint32_t nclaimed;         /* slots with an address */
	uint64_t queued;           /* saved packets, all entries */
	uint64_t base_queries, base_responses, base_drops; /* control thread */
	int zero_warned;
};

/* ---- the table ----------------------------------------------------------- */

static inline struct aq_entry *aq_find(const struct arpq *s, uint32_t ip)
{
	uint32_t i = (ip * 0x9e3779b1u) >> s->shift;
	for (uint32_t k = 0; k <= s->mask; k++, i = (i + 1) & s->mask) {
		uint32_t v = __atomic_load_n(&s->tab[i].ip, __ATOMIC_ACQUIRE);
		if (v == ip)
			return &s->tab[i];
		if (v == 0)
			return NULL;
	}
	return NULL;
}

/* Find or create the entry for ip (never 0); NULL when the table is full. */
static struct aq_entry *aq_ensure(struct arpq *s, uint32_t ip, int64_t now)
{
	uint32_t i = (ip * 0x9e3779b1u) >> s->shift;
	for (uint32_t k = 0; k <= s->mask; k++, i = (i + 1) & s->mask) {
		struct aq_entry *a = &s->tab[i];
		uint32_t v = __atomic_load_n(&a->ip, __ATOMIC_ACQUIRE);
		if (v == 0) {
			if (__atomic_load_n(&s->nclaimed, __ATOMIC_RELAXED) >= s->max_entries)
				return NULL;
			if (__atomic_compare_exchange_n(&a->ip, &v, ip, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				__atomic_fetch_add(&s->nclaimed, 1, __ATOMIC_RELAXED);
				v = ip;
			}
		}
		if (v == ip) {
			if (!(__atomic_load_n(&a->ethw, __ATOMIC_ACQUIRE) & AQ_VALID)) {
				__atomic_store_n(&a->live_at, now, __ATOMIC_RELAXED);
				__atomic_fetch_or(&a->ethw, AQ_VALID, __ATOMIC_ACQ_REL);
			}
			return a;
		}
	}
	return NULL;
}

static inline bool aq_known(const struct arpq *s, struct aq_entry *a, uint64_t w, int64_t now)
{
	return (w & AQ_KNOWN) &&
	       (!s->timeout || now - __atomic_load_n(&a->live_at, __ATOMIC_RELAXED) < (int64_t)s->timeout);
}

/* Take the right to send a query for a (rate limit shared by all workers). */
static inline bool aq_claim_poll(struct aq_entry *a, int64_t now)
{
	int64_t last = __atomic_load_n(&a->polled_at, __ATOMIC_RELAXED);
	return now - last >= AQ_POLL_GAP_NS &&
	       __atomic_compare_exchange_n(&a->polled_at, &last, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Save m on a; -1 when a capacity is reached (m still the caller's). */
static int aq_save(struct arpq *s, struct aq_entry *a, struct rte_mbuf *m)
{
	if (s->entry_pkt_capacity && __atomic_load_n(&a->npending, __ATOMIC_RELAXED) >= s->entry_pkt_capacity)
		return -1;
	if (s->capacity && __atomic_fetch_add(&s->queued, 1, __ATOMIC_RELAXED) >= s->capacity) {
		__atomic_fetch_sub(&s->queued, 1, __ATOMIC_RELAXED);
		return -1;
	}
	if (!s->capacity)
		__atomic_fetch_add(&s->queued, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&a->npending, 1, __ATOMIC_RELAXED);
	struct rte_mbuf *head = __atomic_load_n(&a->pending, __ATOMIC_RELAXED);
	do
		m->next = head;
	while (!__atomic_compare_exchange_n(&a->pending, &head, m, true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return 0;
}

/* Take every saved packet of a, oldest first (linked by m->next). */
static struct rte_mbuf *aq_take(struct arpq *s, struct aq_entry *a)
{
	struct rte_mbuf *h = __atomic_exchange_n(&a->pending, NULL, __ATOMIC_SEQ_CST), *r = NULL;
	uint32_t k = 0;
	while (h) {
		struct rte_mbuf *nx = h->next;
		h->next = r;
		r = h;
		h = nx;
		k++;
	}
	if (k) {
		__atomic_fetch_sub(&a->npending, k, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&s->queued, k, __ATOMIC_RELAXED);
	}
	return r;
}

static void aq_free_chain(struct rte_mbuf *m)
{
	while (m) {
		struct rte_mbuf *nx = m->next;
		m->next = NULL;
		rte_pktmbuf_free(m);
		m = nx;
	}
}

/* ---- the data path ------------------------------------------------------- */

/* Outgoing packets: frames for output 0 and queries for the last output
 * (the same batch when there is one output), sent when full and at the end. */
struct aq_out {
	struct el_node *n;
	int qport;
	struct rt_batch frames, queries;
};

static inline void aq_emit(struct aq_out *o, int port, struct rte_mbuf *m)
{
	struct rt_batch *b = port == 0 ? &o->frames : &o->queries;
	if (b->n == RT_BATCH_MAX) {
		el_output(o->n, port, b);
		b->n = 0;
	}
	b->pkts[b->n++] = m;
}

static void aq_out_flush(struct aq_out *o)
{
	el_output(o->n, 0, &o->frames);
	if (o->qport)
		el_output(o->n, o->qport, &o->queries);
}

static inline void aq_frame(struct rte_mbuf *m, uint64_t ethw, const uint8_t *src)
{
	uint8_t *p = rt_data(m);
	memcpy(p, &ethw, 6);
	memcpy(p + 6, src, 6);
}

/* Send a query for tpa: broadcast, or unicast to *dst (a re-query). */
static void aq_query(struct arpq *s, struct aq_out *o, uint32_t tpa, const uint64_t *dst, uint64_t ts)
{
	struct rte_mbuf *q = rt_pkt_alloc(o->n->e->router);
	if (unlikely(!q))
		return;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_append(q, AQ_FRAME_LEN);
	if (unlikely(!eh)) {
		rte_pktmbuf_free(q);
		return;
	}
	if (dst)
		memcpy(&eh->dst_addr, dst, 6);
	else
		memset(&eh->dst_addr, 0xff, 6);
	memcpy(&eh->src_addr, s->eth, 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	memcpy(&a->arp_data.arp_sha, s->eth, 6);
	a->arp_data.arp_sip = __atomic_load_n(&s->my_ip, __ATOMIC_RELAXED);
	memset(&a->arp_data.arp_tha, 0, 6);
	a->arp_data.arp_tip = tpa;
	rt_anno(q)->timestamp = ts;
	((struct arpq_pw *)el_pw(o->n->e))->queries++;
	aq_emit(o, o->qport, q);
}

/* Send a's saved packets, oldest first, to the address in ethw. */
static void aq_flush(struct arpq *s, struct aq_entry *a, uint64_t ethw, struct aq_out *o)
{
	struct rte_mbuf *m = aq_take(s, a);
	while (m) {
		struct rte_mbuf *nx = m->next;
		m->next = NULL;
		aq_frame(m, ethw, s->eth);
		aq_emit(o, 0, m);
		m = nx;
	}
}

static void aq_push_ip(struct el_node *n, struct rt_batch *b)
{
	struct arpq *s = n->state;
	struct arpq_pw *pw = el_pw(n->e);
	uint32_t my_ip = __atomic_load_n(&s->my_ip, __ATOMIC_RELAXED);
	if (unlikely(!my_ip)) {
		pw->drops += b->n;
		rt_batch_free(b);
		return;
	}
	uint32_t bcast = __atomic_load_n(&s->my_bcast, __ATOMIC_RELAXED);
	int64_t now = (int64_t)rt_now_ns();
	struct aq_out o = {.n = n, .qport = n->nout - 1};
	o.frames.n = o.queries.n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]) - RTE_ETHER_HDR_LEN);
		uint32_t ip = rt_anno(m)->dst_ip;
		uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, RTE_ETHER_HDR_LEN);
		if (unlikely(!p)) {
			rte_pktmbuf_free(m);
			pw->drops++;
			continue;
		}
		p[12] = 0x08, p[13] = 0x00;
		struct aq_entry *a = ip ? aq_find(s, ip) : NULL;
		uint64_t w = a ? __atomic_load_n(&a->ethw, __ATOMIC_ACQUIRE) : 0;
		if (likely(a != NULL)) {
			if (likely(aq_known(s, a, w, now))) {
				if (unlikely(__atomic_load_n(&a->pending, __ATOMIC_RELAXED) != NULL))
					aq_flush(s, a, w, &o); /* saved before an `insert` or a lost race */
				if (s->poll_timeout &&
				    now - __atomic_load_n(&a->live_at, __ATOMIC_RELAXED) >= (int64_t)s->poll_timeout &&
				    aq_claim_poll(a, now))
					aq_query(s, &o, ip, s->broadcast_poll ? NULL : &w, rt_anno(m)->timestamp);
				aq_frame(m, w, s->eth);
				aq_emit(&o, 0, m);
				continue;
			}
		}
		uint32_t hip = rte_be_to_cpu_32(ip);
		if (ip == 0xffffffffu || ip == bcast) {
			memset(p, 0xff, 6);
			memcpy(p + 6, s->eth, 6);
			aq_emit(&o, 0, m);
			continue;
		}
		if ((hip & 0xf0000000u) == 0xe0000000u) { /* RFC 1112 multicast mapping */
			p[0] = 0x01, p[1] = 0x00, p[2] = 0x5e;
			p[3] = (uint8_t)((hip >> 16) & 0x7f), p[4] = (uint8_t)(hip >> 8), p[5] = (uint8_t)hip;
			memcpy(p + 6, s->eth, 6);
			aq_emit(&o, 0, m);
			continue;
		}
		if (unlikely(!ip)) {
			if (!__atomic_exchange_n(&s->zero_warned, 1, __ATOMIC_RELAXED))
				fprintf(stderr, "%s: would query for 0.0.0.0; missing dest IP addr annotation?\n",
					n->e->name);
			rte_pktmbuf_free(m);
			pw->drops++;
			continue;
		}
		uint64_t ts = rt_anno(m)->timestamp;
		if (!(w & AQ_VALID))
			a = aq_ensure(s, ip, now); /* new, or forgotten by `clear` */
		if (unlikely(!a || aq_save(s, a, m) < 0)) {
			rte_pktmbuf_free(m);
			pw->drops++;
			continue;
		}
		/* m may be gone already (sent by the reply side); do not touch it */
		w = __atomic_load_n(&a->ethw, __ATOMIC_SEQ_CST);
		if (aq_known(s, a, w, now))
			aq_flush(s, a, w, &o); /* a reply landed between lookup and save */
		else if (aq_claim_poll(a, now))
			aq_query(s, &o, ip, NULL, ts);
	}
	b->n = 0;
	aq_out_flush(&o);
}

static void aq_push_arp(struct el_node *n, struct rt_batch *b)
{
	struct arpq *s = n->state;
	struct arpq_pw *pw = el_pw(n->e);
	int64_t now = (int64_t)rt_now_ns();
	struct aq_out o = {.n = n, .qport = n->nout - 1};
	o.frames.n = o.queries.n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (rt_len(m) < AQ_FRAME_LEN)
			continue;
		pw->responses++;
		const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)rt_data(m);
		const struct rte_arp_hdr *ah = (const struct rte_arp_hdr *)(eh + 1);
		const uint8_t *sha = (const uint8_t *)&ah->arp_data.arp_sha;
		uint32_t ip = ah->arp_data.arp_sip;
		if (eh->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) ||
		    ah->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
		    ah->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
		    ah->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REPLY) || (sha[0] & 1) || !ip)
			continue;
		/* learn from every reply, asked for or not, as Click does;
		 * bounded by the table's capacity */
		struct aq_entry *a = aq_ensure(s, ip, now);
		if (!a)
			continue;
		uint64_t w = 0;
		memcpy(&w, sha, 6);
		w |= AQ_KNOWN | AQ_VALID;
		__atomic_store_n(&a->live_at, now, __ATOMIC_RELAXED);
		__atomic_store_n(&a->ethw, w, __ATOMIC_SEQ_CST);
		aq_flush(s, a, w, &o);
	}
	rt_batch_free(b);
	aq_out_flush(&o);
}

static void arpq_push(struct el_node *n, int port, struct rt_batch *b)
{
	if (port == 0)
		aq_push_ip(n, b);
	else
		aq_push_arp(n, b);
}

/* ---- configuration ---------------------------------------------------------- */

static const struct el_arg args[] = {
	{"IP", EL_T_STRING, offsetof(struct arpq, ip_arg), NULL, EL_ARG_POS | EL_ARG_REQ,
	 "this host's IP address, optionally /LEN"},
	{"ETH", EL_T_ETHER, offsetof(struct arpq, eth), NULL, EL_ARG_POS | EL_ARG_REQ, "this host's Ethernet address"},
	{"CAPACITY", EL_T_UINT, offsetof(struct arpq, capacity), "2048", 0, "saved packets in all (0 = no limit)"},
	{"ENTRY_CAPACITY", EL_T_UINT, offsetof(struct arpq, entry_capacity), "0", 0,
	 "addresses (0 = 4096)"},
	{"ENTRY_PACKET_CAPACITY", EL_T_UINT, offsetof(struct arpq, entry_pkt_capacity), "0", 0,
	 "saved packets per address (0 = no limit)"},
	{"TIMEOUT", EL_T_TIME, offsetof(struct arpq, timeout), "300", 0, "entry lifetime (0 = forever)"},
	{"POLL_TIMEOUT", EL_T_TIME, offsetof(struct arpq, poll_timeout), "60", 0,
	 "re-query known addresses after this (0 = never)"},
	{"BROADCAST", EL_T_IP4, offsetof(struct arpq, bcast_arg), NULL, 0, "local broadcast address"},
	{"BROADCAST_POLL", EL_T_BOOL, offsetof(struct arpq, broadcast_poll), "false", 0, "broadcast re-queries"},
	EL_ARGS_END,
};

/* "A.B.C.D" or "A.B.C.D/LEN" (or "/MASK") keeping the host bits. */
static int parse_ip_mask(const char *s, uint32_t *ip, uint32_t *mask)
{
	struct rt_err e2;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s", s);
	char *sl = strchr(tmp, '/');
	*mask = 0xffffffffu;
	if (sl) {
		struct el_ip4pfx p;
		rt_err_clear(&e2);
		if (el_parse_value(EL_T_IP4PFX, tmp, &p, &e2) < 0)
			return -1;
		*mask = p.mask;
		*sl = 0;
	}
	rt_err_clear(&e2);
	return el_parse_value(EL_T_IP4, tmp, ip, &e2);
}

static int arpq_init(struct el *e, struct rt_err *err)
{
	struct arpq *s = e->state;
	uint32_t mask;
	if (parse_ip_mask(s->ip_arg, &s->my_ip, &mask) < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: IP: expected IP address or prefix, not '%s'", e->name,
			       s->ip_arg);
	if (el_arg_given(e, "BROADCAST")) {
		s->my_bcast = s->bcast_arg;
	} else {
		s->my_bcast = s->my_ip | ~mask;
		if (s->my_bcast == s->my_ip)
			s->my_bcast = 0xffffffffu;
	}
	uint64_t want = s->entry_capacity ? s->entry_capacity : AQ_DEFAULT_ENTRIES;
	if (want > AQ_MAX_ENTRIES)
		return rt_errf(err, &e->loc, -EINVAL, "%s: ENTRY_CAPACITY must be at most %u", e->name, AQ_MAX_ENTRIES);
	uint32_t slots = 2, bits = 1;
	while (slots < 2 * want)
		slots <<= 1, bits++;
	s->tab = rte_zmalloc("arpq_table", sizeof(struct aq_entry) * slots, RTE_CACHE_LINE_SIZE);
	if (!s->tab)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
	s->mask = slots - 1;
	s->shift = 32 - bits;
	s->max_entries = (uint32_t)want;
	return 0;
}

static void arpq_cleanup(struct el *e)
{
	struct arpq *s = e->state;
	if (!s->tab)
		return;
	for (uint32_t i = 0; i <= s->mask; i++)
		aq_free_chain(aq_take(s, &s->tab[i]));
	rte_free(s->tab);
	s->tab = NULL;
}

static void arpq_totals(struct el *e, uint64_t *q, uint64_t *r, uint64_t *d)
{
	struct arpq *s = e->state;
	*q = el_pw_sum(e, offsetof(struct arpq_pw, queries)) - s->base_queries;
	*r = el_pw_sum(e, offsetof(struct arpq_pw, responses)) - s->base_responses;
	*d = el_pw_sum(e, offsetof(struct arpq_pw, drops)) - s->base_drops;
}

/* Carry the table (addresses and saved packets) and the counts over from an
 * ARPQuerier with the same addresses; the old one is quiescent by now. */
static int arpq_take(struct el *e, struct el *old, struct rt_err *err)
{
	(void)err;
	struct arpq *s = e->state, *o = old->state;
	if (old->cls != e->cls || !o->tab || !s->tab || s->my_ip != o->my_ip || s->my_bcast != o->my_bcast ||
	    memcmp(s->eth, o->eth, 6))
		return 0;
	for (uint32_t i = 0; i <= o->mask; i++) {
		struct aq_entry *oa = &o->tab[i];
		if (!oa->ip || !(oa->ethw & AQ_VALID))
			continue;
		struct aq_entry *a = aq_ensure(s, oa->ip, oa->live_at);
		struct rte_mbuf *m = aq_take(o, oa);
		if (!a) {
			aq_free_chain(m);
			continue;
		}
		a->ethw = oa->ethw;
		a->live_at = oa->live_at;
		a->polled_at = oa->polled_at;
		while (m) {
			struct rte_mbuf *nx = m->next;
			m->next = NULL;
			if (aq_save(s, a, m) < 0)
				rte_pktmbuf_free(m);
			m = nx;
		}
	}
	uint64_t q, r, d;
	arpq_totals(old, &q, &r, &d);
	s->base_queries -= q;
	s->base_responses -= r;
	s->base_drops -= d;
	return 0;
}

/* ---- handlers ------------------------------------------------------------------ */

enum { H_TABLE, H_STATS, H_COUNT, H_LENGTH, H_QUERIES, H_RESPONSES, H_DROPS, H_BROADCAST, H_IPADDR };
enum { H_INSERT, H_DELETE, H_CLEAR };

struct aq_row {
	uint32_t ip;
	bool ok;
	uint64_t ethw;
	int64_t live_at;
};

static int row_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct aq_row *)a)->live_at, y = ((const struct aq_row *)b)->live_at;
	return x < y ? -1 : x > y;
}

static void read_table(struct arpq *s, struct rt_buf *out)
{
	int64_t now = (int64_t)rt_now_ns();
	struct aq_row *rows = malloc(sizeof(*rows) * (s->mask + 1));
	uint32_t n = 0;
	for (uint32_t i = 0; i <= s->mask; i++) {
		struct aq_entry *a = &s->tab[i];
		uint64_t w = __atomic_load_n(&a->ethw, __ATOMIC_ACQUIRE);
		uint32_t ip = __atomic_load_n(&a->ip, __ATOMIC_ACQUIRE);
		if (ip && (w & AQ_VALID))
			rows[n++] = (struct aq_row){ip, aq_known(s, a, w, now), w, a->live_at};
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (uint32_t i = 0; i < n; i++) {
		char ip[INET_ADDRSTRLEN];
		const uint8_t *m = (const uint8_t *)&rows[i].ethw;
		int64_t age = now - rows[i].live_at;
		if (age < 0)
			age = 0;
		rt_buf_printf(out, "%s %d %02X-%02X-%02X-%02X-%02X-%02X %lld.%06lld\n",
			      inet_ntop(AF_INET, &rows[i].ip, ip, sizeof(ip)), rows[i].ok, m[0], m[1], m[2], m[3], m[4],
			      m[5], (long long)(age / 1000000000), (long long)(age % 1000000000 / 1000));
	}
	free(rows);
}

static int arpq_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct arpq *s = e->state;
	uint64_t q, r, d;
	arpq_totals(e, &q, &r, &d);
	char ip[INET_ADDRSTRLEN];
	switch (what) {
	case H_TABLE: read_table(s, out); break;
	case H_STATS:
		rt_buf_printf(out, "%llu packets killed\n%llu ARP queries sent\n", (unsigned long long)d,
			      (unsigned long long)q);
		break;
	case H_COUNT: {
		uint32_t c = 0;
		for (uint32_t i = 0; i <= s->mask; i++)
			c += __atomic_load_n(&s->tab[i].ip, __ATOMIC_RELAXED) &&
			     (__atomic_load_n(&s->tab[i].ethw, __ATOMIC_RELAXED) & AQ_VALID);
		rt_buf_printf(out, "%u", c);
		break;
	}
	case H_LENGTH:
		rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&s->queued, __ATOMIC_RELAXED));
		break;
	case H_QUERIES: rt_buf_printf(out, "%llu", (unsigned long long)q); break;
	case H_RESPONSES: rt_buf_printf(out, "%llu", (unsigned long long)r); break;
	case H_DROPS: rt_buf_printf(out, "%llu", (unsigned long long)d); break;
	case H_BROADCAST: rt_buf_puts(out, inet_ntop(AF_INET, &s->my_bcast, ip, sizeof(ip))); break;
	case H_IPADDR: rt_buf_puts(out, inet_ntop(AF_INET, &s->my_ip, ip, sizeof(ip))); break;
	}
	return 0;
}

static int arpq_write_addr(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct arpq *s = e->state;
	uint32_t ip;
	if (el_parse_value(EL_T_IP4, v, &ip, err) < 0)
		return err->code;
	__atomic_store_n(what == H_IPADDR ? &s->my_ip : &s->my_bcast, ip, __ATOMIC_RELAXED);
	return 0;
}

static int arpq_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct arpq *s = e->state;
	if (what == H_CLEAR) {
		for (uint32_t i = 0; i <= s->mask; i++) {
			__atomic_store_n(&s->tab[i].ethw, 0, __ATOMIC_SEQ_CST);
			__atomic_store_n(&s->tab[i].polled_at, 0, __ATOMIC_RELAXED); /* a fresh entry may ask at once */
			aq_free_chain(aq_take(s, &s->tab[i]));
		}
		s->base_queries = el_pw_sum(e, offsetof(struct arpq_pw, queries));
		s->base_responses = el_pw_sum(e, offsetof(struct arpq_pw, responses));
		s->base_drops = el_pw_sum(e, offsetof(struct arpq_pw, drops));
		return 0;
	}
	char ipw[64], ethw[64], extra[8];
	int nw = sscanf(v, "%63s %63s %7s", ipw, ethw, extra);
	uint32_t ip;
	uint8_t eth[6];
	if (nw < 1 || (what == H_INSERT && nw != 2) || (what == H_DELETE && nw != 1))
		return rt_errf(err, NULL, -EINVAL, "%s: expected %s", e->name, what == H_INSERT ? "IP ETH" : "IP");
	if (el_parse_value(EL_T_IP4, ipw, &ip, err) < 0 ||
	    (what == H_INSERT && el_parse_value(EL_T_ETHER, ethw, eth, err) < 0))
		return err->code;
	if (!ip)
		return rt_errf(err, NULL, -EINVAL, "%s: bad IP address 0.0.0.0", e->name);
	int64_t now = (int64_t)rt_now_ns();
	struct aq_entry *a = what == H_INSERT ? aq_ensure(s, ip, now) : aq_find(s, ip);
	if (!a)
		return what == H_INSERT ? rt_errf(err, NULL, -ENOSPC, "%s: ARP table full", e->name) : 0;
	uint64_t w = 0;
	if (what == H_INSERT) {
		memcpy(&w, eth, 6);
		if (w != AQ_ETH_MASK) /* the broadcast address means "unknown", as in Click */
			w |= AQ_KNOWN;
	} else {
		w = AQ_ETH_MASK;
	}
	__atomic_store_n(&a->live_at, now, __ATOMIC_RELAXED);
	__atomic_store_n(&a->ethw, w | AQ_VALID, __ATOMIC_SEQ_CST);
	return 0;
}

static const struct el_handler handlers[] = {
	{"table", arpq_read, NULL, H_TABLE, 0, "the ARP table: `IP OK ETH AGE` lines, oldest first"},
	{"stats", arpq_read, NULL, H_STATS, 0, "packets killed and queries sent"},
	{"count", arpq_read, NULL, H_COUNT, 0, "entries in the ARP table"},
	{"length", arpq_read, NULL, H_LENGTH, 0, "packets saved waiting for replies"},
	{"queries", arpq_read, NULL, H_QUERIES, 0, "ARP queries sent"},
	{"responses", arpq_read, NULL, H_RESPONSES, 0, "ARP responses received"},
	{"drops", arpq_read, NULL, H_DROPS, 0, "packets dropped"},
	{"broadcast", arpq_read, arpq_write_addr, H_BROADCAST, 0, "the IP broadcast address"},
	{"ipaddr", arpq_read, arpq_write_addr, H_IPADDR, 0, "this host's IP address"},
	{"insert", NULL, arpq_write, H_INSERT, 0, "add `IP ETH` to the table"},
	{"delete", NULL, arpq_write, H_DELETE, 0, "forget the address for IP"},
	{"clear", NULL, arpq_write, H_CLEAR, EL_H_BUTTON, "clear the table (saved packets are freed) and the counts"},
	EL_HANDLERS_END,
};

static struct el_class arpquerier = {
	.name = "ARPQuerier",
	.sig = "ARPQuerier(IP, ETH, KEYWORDS)",
	.summary = "encapsulates IP packets in Ethernet headers found via ARP",
	.doc = doc,
	.ports = "2/1-2",
	.state_size = sizeof(struct arpq),
	.pw_size = sizeof(struct arpq_pw),
	.args = args,
	.init = arpq_init,
	.cleanup = arpq_cleanup,
	.push = arpq_push,
	.take_state = arpq_take,
	.handlers = handlers,
};
EL_REGISTER(arpquerier)
