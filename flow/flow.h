/*
 * flow.h - flows (ARCHITECTURE.md, decision 9): flow keys, the per-worker
 * flow table, the flow control block (FCB) and what flow elements use on
 * the data path (flow_slot, the hold model).
 *
 * A flow manager (elements/flow/flowmanager.c) classifies each packet once:
 * it extracts a key by its flow definition, looks the key up in its
 * worker's table (a batch at a time) and sets the packet's flow annotation
 * to the flow's FCB.  Elements downstream that declare per-flow state
 * (el_class.flow_size) get a slot at a fixed offset in that FCB, assigned
 * when the graph is compiled (flow_layout.c): flow_slot(node, m) is one add.
 *
 * Thread-safety: a table belongs to one worker and is only touched by it
 * (lookups, inserts, expiry, release callbacks).  The control thread builds
 * and frees tables, reads the counters (relaxed), and lists flows only when
 * the router is not running (flow_table_foreach).
 */
#ifndef MB_FLOW_H
#define MB_FLOW_H

#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_lpm.h>

#include "runtime/el.h"

struct rt_graph;

/* ---- keys ------------------------------------------------------------------ */

enum flow_def {
	FLOW_DEF_5TUPLE,  /* protocol, addresses, ports (ICMP echo: identifier) */
	FLOW_DEF_IPPAIR,  /* source and destination addresses */
	FLOW_DEF_ASPAIR,  /* user-defined: source and destination AS from a prefix table */
};

/* 16 bytes, compared and hashed as two words.  Addresses and ports are
 * network order; a symmetric definition orders (a, pa) <= (b, pb). */
struct flow_key {
	uint32_t a, b;
	uint16_t pa, pb;
	uint8_t proto;
	uint8_t pad[3];
};

/* Key extraction parameters (one flow manager's definition). */
struct flow_keydef {
	enum flow_def def;
	bool symmetric;
	struct rte_lpm *asmap;  /* FLOW_DEF_ASPAIR: prefix -> AS number */
	bool ipv6;              /* IPv6 packets get keys too (5TUPLE, IPPAIR) */
};

/* IPv6 keys.  The 16-byte key of an IPv6 packet has pad[0] ==
 * FLOW_KEY_V6 (so it never equals an IPv4 key), a and b are 32-bit folds of
 * the addresses, and the addresses themselves are a struct flow_key6 kept
 * at the end of the FCB of a table made with IPv6 room
 * (flow_table_new_ext): two flows whose folds collide are told apart by
 * comparing it.  IPv4 lookups never touch it. */
#define FLOW_KEY_V6 6
struct flow_key6 {
	uint8_t a[16], b[16];   /* in the key's order (symmetric: the smaller endpoint first) */
};

static inline bool flow_key_is_v6(const struct flow_key *k) { return k->pad[0] == FLOW_KEY_V6; }

/* flow_key_extract with IPv6 (when kd->ipv6): an IPv6 packet (at the
 * network-header annotation, or after an Ethernet header of type 0x86DD)
 * gets a FLOW_KEY_V6 key and its addresses in *k6.  Extension headers
 * (hop-by-hop, routing, destination options) are skipped; a fragment has
 * ports 0; ICMPv6 echo uses its identifier. */
bool flow_key_extract_ext(const struct flow_keydef *kd, struct rte_mbuf *m, struct flow_key *k, struct flow_key6 *k6,
			  bool *swapped, uint8_t *tcpf);

/* Extract the key of packet m (IPv4 at the network-header annotation, else
 * after an Ethernet header).  Returns false when m has no IPv4 header.
 * *reply is set when the key was swapped (symmetric definitions); *tcpf
 * gets the TCP flags (0 for other protocols). */
bool flow_key_extract(const struct flow_keydef *kd, struct rte_mbuf *m, struct flow_key *k, bool *swapped,
		      uint8_t *tcpf);

/* Load "PREFIX AS" lines ('#' comments) into a new LPM table. */
struct rte_lpm *flow_asmap_load(const char *path, const char *name, struct rt_err *err);

/* ---- the flow control block ---------------------------------------------- */

/* The FCB header; element slots follow at FLOW_FCB_HDR. */
struct flow_fcb {
	struct flow_key key;
	uint64_t expire;        /* ns: the flow ends when the clock passes it */
	uint64_t queued;        /* ns: when it joined its timeout list */
	uint32_t hash;
	uint32_t prev, next;    /* timeout list links (FCB indices) */
	uint8_t tcp;            /* FLOW_TCP_* bits */
	uint8_t live;           /* 1 while in the table */
	uint8_t swapped0;       /* the first packet's key was swapped */
	uint8_t cls;            /* timeout class (FLOW_TO_*), FLOW_TO_NONE before the first touch */
};
#define FLOW_FCB_HDR 48
_Static_assert(sizeof(struct flow_fcb) <= FLOW_FCB_HDR, "FCB header grew");

enum {
	FLOW_TCP_EST = 1,       /* more than SYNs seen */
	FLOW_TCP_FIN_FWD = 2,
	FLOW_TCP_FIN_REV = 4,
	FLOW_TCP_RST = 8,
};

/* ---- the table -------------------------------------------------------------- */

enum flow_full { FLOW_FULL_DROP, FLOW_FULL_BYPASS };

/* Timeout classes: each has one idle timeout and one list of its flows
 * in the order they joined it. */
enum { FLOW_TO_TCP, FLOW_TO_SYN, FLOW_TO_CLOSED, FLOW_TO_UDP, FLOW_TO_OTHER, FLOW_NCLASS, FLOW_TO_NONE = 0xff };

/* Per-protocol idle timeouts, ns, by class. */
struct flow_timeouts {
	uint64_t t[FLOW_NCLASS];
};

struct flow_tlist {
	uint32_t head, tail;    /* FLOW_NIL when empty */
};
#define FLOW_NIL UINT32_MAX

/* Per-worker counters (written by the table's worker only). */
struct flow_stats {
	uint64_t pkts, inserted, expired, closed, full, bypassed, nokey, held_freed;
};

struct flow_bucket {
	uint32_t sig[8];        /* 0: empty */
	uint32_t idx[8];
} __rte_cache_aligned;

/* Tenant quotas (tenant/tn.h, docs/tenants.md): one block per tenant and
 * worker, shared by the tenant's flow tables on that worker.  The worker
 * writes flows/held and the drop counts (plain stores: it is the only
 * writer); the control thread writes the limits (this worker's share of
 * the tenant's quota) and, when it frees a table, adds what the table
 * still had to cp_flows/cp_held (atomically).  In use: flows - cp_flows.
 * No shared atomic on the data path: only inserts and holds look here. */
struct flow_quota {
	uint32_t flows, held;           /* charged by the worker (minus its releases) */
	uint32_t max_flows, max_held;   /* this worker's share; UINT32_MAX: no limit */
	uint64_t flow_drops, held_drops; /* inserts / holds refused over quota */
	uint32_t cp_flows, cp_held;     /* released by the control thread */
} __rte_cache_aligned;

static inline uint32_t flow_quota_flows(const struct flow_quota *q)
{
	return q->flows - __atomic_load_n(&q->cp_flows, __ATOMIC_RELAXED);
}
static inline uint32_t flow_quota_held(const struct flow_quota *q)
{
	return q->held - __atomic_load_n(&q->cp_held, __ATOMIC_RELAXED);
}

/* What the table calls when a flow ends (the plan's FCB layout). */
struct flow_table;
typedef void (*flow_release_fn)(void *ctx, struct flow_table *t, struct flow_fcb *f);

struct flow_table {
	uint32_t cap, count;
	uint32_t bmask;         /* buckets - 1 */
	uint32_t stride;        /* bytes per FCB */
	uint32_t nfree;
	struct flow_timeouts to;
	struct flow_tlist lists[FLOW_NCLASS];
	uint32_t nclosing;
	uint32_t closing[RT_BATCH_MAX];  /* RST flows: released before the next batch */
	struct flow_bucket *b;
	uint8_t *fcbs;
	uint32_t *free;         /* stack of free FCB indices */
	struct flow_stats st;
	struct flow_quota *quota; /* its tenant's block for this worker; NULL: none */
	uint32_t ext_off;       /* IPv6 addresses (struct flow_key6) in each FCB; 0: no IPv6 room */
};

/* A table for `cap` flows with `data` bytes of element slots per FCB, on
 * NUMA socket `socket`, with idle timeouts `to`.  NULL when out of memory. */
struct flow_table *flow_table_new(uint32_t cap, uint32_t data, const struct flow_timeouts *to, int socket);
/* The same with room for IPv6 keys' addresses (32 bytes more per FCB) when ipv6. */
struct flow_table *flow_table_new_ext(uint32_t cap, uint32_t data, const struct flow_timeouts *to, int socket,
				      bool ipv6);
/* Free it; fn (if set) sees each live flow first. */
void flow_table_free(struct flow_table *t, flow_release_fn fn, void *ctx);
/* Bytes the table takes per flow of capacity (buckets and FCB). */
size_t flow_table_bytes_per_flow(const struct flow_table *t);

static inline struct flow_fcb *flow_table_fcb(const struct flow_table *t, uint32_t i)
{
	return (struct flow_fcb *)(t->fcbs + (size_t)i * t->stride);
}

/* Look up a batch of n keys (with their hashes from flow_hash), inserting
 * missing ones: fcb[i] gets the flow, or NULL when the table is full
 * (counted in st.full).  is_new[i] is set for inserted flows (zeroed FCB
 * data).  Before inserting, flows idle past `now` in the probed buckets
 * are released through fn. */
void flow_table_lookup_bulk(struct flow_table *t, const struct flow_key *keys, const uint32_t *hash, uint32_t n,
			    uint64_t now, struct flow_fcb **fcb, bool *is_new, flow_release_fn fn, void *ctx);

/* The same with IPv6 keys: k6[i] holds the addresses of keys[i] when it is
 * a FLOW_KEY_V6 key (the table must have IPv6 room; k6 may be NULL when no
 * key is). */
void flow_table_lookup_bulk_ext(struct flow_table *t, const struct flow_key *keys, const struct flow_key6 *k6,
				const uint32_t *hash, uint32_t n, uint64_t now, struct flow_fcb **fcb, bool *is_new,
				flow_release_fn fn, void *ctx);

/* The addresses of an IPv6 flow (NULL for IPv4 flows or a table without IPv6 room). */
static inline const struct flow_key6 *flow_key6_of(const struct flow_table *t, const struct flow_fcb *f)
{
	return t->ext_off && flow_key_is_v6(&f->key) ? (const struct flow_key6 *)((const uint8_t *)f + t->ext_off) : NULL;
}

/* Release flows closed by RST, then look at up to `budget` flows at the
 * heads of the timeout lists whose time in the list has passed their
 * class's timeout: idle ones end, others go back to the tail.  A flow thus
 * ends between its timeout and twice it after its last packet (sooner if
 * a lookup or an insert meets it).  Returns flows released. */
uint32_t flow_table_expire(struct flow_table *t, uint64_t now, uint32_t budget, flow_release_fn fn, void *ctx);

/* A packet of f at `now`, in timeout class cls: it expires at now +
 * timeout; it changes list only when its class changes (rare). */
void flow_table_reclass(struct flow_table *t, struct flow_fcb *f, uint8_t cls, uint64_t now);
static inline void flow_table_touch(struct flow_table *t, struct flow_fcb *f, uint8_t cls, uint64_t now)
{
	if (unlikely(f->cls != cls))
		flow_table_reclass(t, f, cls, now);
	f->expire = now + t->to.t[cls];
}
/* Queue a flow for release before the next batch (RST). */
void flow_table_close(struct flow_table *t, struct flow_fcb *f);
/* Remove one flow now (fn sees it first). */
void flow_table_remove(struct flow_table *t, struct flow_fcb *f, flow_release_fn fn, void *ctx);

/* Control thread, router stopped: call fn for each live flow. */
void flow_table_foreach(struct flow_table *t, void (*fn)(void *ctx, struct flow_fcb *f), void *ctx);

static inline uint32_t flow_hash(const struct flow_key *k)
{
	uint64_t w[2];
	memcpy(w, k, sizeof(w));
	uint32_t h = rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0x9747b28c));
	return h ? h : 1;
}

/* Move flow f from table src into table dst (the control thread, while no
 * worker touches either: migrate NAME core N): its FCB (header, element
 * slots, hold areas, IPv6 addresses) is copied to a free FCB of dst and
 * taken out of src without release callbacks; the tenant's quota moves
 * with it.  nheld: packets its hold areas hold (moved with it).  Returns
 * 0, 1 when dst already had the key (both are kept: the copy ends by its
 * timeout with its release callbacks), or -ENOSPC when dst has no room
 * (f stays in src). */
int flow_table_move(struct flow_table *dst, struct flow_table *src, struct flow_fcb *f, uint32_t nheld);

/* ---- steering flows between workers (migrate NAME core N) ------------------ */

/* A flow manager's steering table: the flow hash picks one of
 * FLOW_STEER_NB buckets (both directions of a symmetric flow share their
 * key, hence their bucket); each bucket has an owner worker, or
 * FLOW_STEER_ANY: the flow stays on the worker it arrived at (the default;
 * the data path then only tests nowned).  A packet of a bucket owned by
 * another worker goes into that worker's inbound ring, unclassified; the
 * owner classifies what its ring holds, oldest first, before its own
 * packets, unless it is held (a migration in progress).  See
 * docs/placement.md. */
#define FLOW_STEER_NB 512
#define FLOW_STEER_ANY 0xffff

struct flow_steer_pw {
	uint64_t fwd;           /* packets this worker put in another worker's ring (or its own, held) */
	uint64_t drops;         /* packets dropped: the owner's ring was full */
	uint64_t drained;       /* packets this worker took from its ring */
} __rte_cache_aligned;

struct flow_steer {
	uint16_t owner[FLOW_STEER_NB];
	uint32_t nowned;        /* buckets with an owner; 0: no steering */
	uint8_t held[RT_MAX_WORKERS];   /* 1: the worker neither classifies nor drains */
	struct rte_ring *ring[RT_MAX_WORKERS];
	struct flow_steer_pw pw[RT_MAX_WORKERS];
	/* the control thread's record */
	uint64_t moves, moved, dups, lost;
	uint64_t pause_ns;      /* last move: hold to release */
};

static inline uint32_t flow_steer_bucket(uint32_t h) { return (h ^ (h >> 16)) & (FLOW_STEER_NB - 1); }

/* ---- the flow manager's shared part (its element state begins with it) ---- */

#define FLOW_MAX_SLOTS 64

struct flow_layout_slot {
	struct el *e;
	uint32_t off, size;     /* from the FCB data start */
	uint16_t hold;          /* packets it may hold per flow; the hold area follows its state */
	uint32_t hold_off;
	void (*release)(struct el *e, void *slot);
};

/* One plan's FCB layout of one manager (el_node.flow_aux). */
struct flow_layout {
	int nslots;
	struct flow_layout_slot slots[FLOW_MAX_SLOTS];
	int nholds;             /* hold areas ever assigned (removed elements' too) */
	uint32_t hold_off[FLOW_MAX_SLOTS];
	uint16_t hold_n[FLOW_MAX_SLOTS];
};

struct flow_mgr {
	uint64_t reserve;       /* FCB data bytes (RESERVE) */
	enum flow_def def;      /* for listing keys */
	uint32_t used;          /* high-water mark of assigned bytes: never reused while flows live */
	bool compiled;          /* a plan with this manager has been built */
	int nholds;
	uint32_t hold_off[FLOW_MAX_SLOTS];
	uint16_t hold_n[FLOW_MAX_SLOTS];
	struct flow_table *tab[RT_MAX_WORKERS];
	/* Slots that elements kept by a live change had in the manager this
	 * one replaces (same name): recorded when the change is laid out, so
	 * that take_state can run their release callbacks for the old
	 * manager's flows (flow_layout.c, flowmanager.c). */
	int nprev;
	struct flow_layout_slot prev[FLOW_MAX_SLOTS];
	struct flow_steer *steer; /* steering between workers (NULL: none) */
	int nworkers;
};

/* graph.c hooks: lay out every manager's FCB for plan nodes (refusing what
 * does not fit or would move a live slot), and free those layouts. */
int flow_plan_compile(const struct rt_graph *g, struct el_node **nodes, struct rt_err *err);
void flow_plan_free(struct el_node **nodes, int n);

/* Release one flow: free the packets its elements hold (counted) and call
 * their release callbacks.  ctx is the plan's struct flow_layout. */
void flow_layout_release(void *ctx, struct flow_table *t, struct flow_fcb *f);

/* ---- control plane ---------------------------------------------------------- */

/* "TCP 10.0.0.1:1234 10.0.0.2:80" (address pairs show ports 0; AS pairs
 * "AS65001 AS65002"). */
void flow_key_format(enum flow_def def, const struct flow_key *k, struct rt_buf *out);
/* The same, with an IPv6 key's addresses ("TCP [2001:db8::1]:1234 [2001:db8::2]:80"). */
void flow_key_format_ext(enum flow_def def, const struct flow_key *k, const struct flow_key6 *k6, struct rt_buf *out);
typedef void (*flow_format_fn)(const struct el *e, const void *slot, struct rt_buf *out);
/* List the flows of the manager upstream of e, sorted, one line each: the
 * key, then what fn adds from e's slot.  Control thread, router not
 * running (tables are the workers' own).  Returns the number of flows. */
int flow_el_list(const struct el *e, flow_format_fn fn, struct rt_buf *out);

/* ---- flow elements: the data path -------------------------------------- */

/* The element's slot in the packet's FCB, or NULL when the packet has no
 * flow (bypassed, not IP, or not behind a flow manager). */
static inline void *flow_slot(const struct el_node *n, struct rte_mbuf *m)
{
	uint8_t *f = rt_anno(m)->flow;
	return f ? f + n->flow_off : NULL;
}

static inline struct flow_fcb *flow_of(struct rte_mbuf *m) { return rt_anno(m)->flow; }

/* Does m go against its flow's first packet (a reply)? */
static inline bool flow_is_reply(struct rte_mbuf *m) { return (rt_anno(m)->flags & RT_AF_FLOW_REPLY) != 0; }

/* The packet's IPv4 header (network-header annotation, else after an
 * Ethernet header) with the whole header and *l4len bytes after it in the
 * data; NULL when there is none. */
static inline struct rte_ipv4_hdr *flow_ip(struct rte_mbuf *m, uint32_t *l4len)
{
	uint32_t len = rt_len(m), off = 14;
	uint8_t *d = rt_data(m);
	if (rt_has_nh(m)) {
		int o = rt_nh_offset(m);
		if (o < 0)
			return NULL;
		off = (uint32_t)o;
	} else if (len < 14 || d[12] != 0x08 || d[13] != 0x00) {
		return NULL;
	}
	if (off + 20 > len)
		return NULL;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + off);
	uint32_t hl = (uint32_t)(ip->version_ihl & 0x0f) << 2;
	if (hl < 20 || off + hl > len)
		return NULL;
	*l4len = len - off - hl;
	return ip;
}

/* Recompute the IPv4 header checksum and the TCP/UDP checksum after a
 * rewrite (a UDP checksum of 0, "none", stays 0).  The transport length
 * comes from the IP total length, checked against the data. */
void flow_fix_csums(struct rte_ipv4_hdr *ip, uint32_t l4len);

/* The hold model: an element's per-packet verdict. */
enum {
	FLOW_HOLD = -1,         /* keep the packet in the flow's hold buffer */
	FLOW_DROP = -2,         /* free it (and whatever the flow holds for this element) */
	/* >= 0: output port; held packets go out first, in order */
};

/* Hold area of an element in an FCB: a count and `flow_hold` packets. */
struct flow_held {
	uint32_t n;
	uint32_t pad;
	struct rte_mbuf *pkts[];
};

static inline struct flow_held *flow_held_of(const struct el_node *n, void *slot)
{
	return (struct flow_held *)((uint8_t *)slot + RTE_ALIGN_CEIL(n->e->cls->flow_size, 8));
}

/* Counters a holding element keeps per worker (quota: refused by its
 * tenant's held-packet quota, dropped). */
struct flow_hold_stats {
	uint64_t held, overflow, dropped, quota;
};

/* The tenant quota that n's held packets count against: that of the
 * manager whose FCBs hold them (NULL: none).  Once per batch. */
static inline struct flow_quota *flow_hold_quota(const struct el_node *n)
{
	const struct el *m = __atomic_load_n(&n->e->flow_mgr, __ATOMIC_RELAXED);
	const struct flow_table *t = m ? ((const struct flow_mgr *)m->state)->tab[rt_wid] : NULL;
	return t ? t->quota : NULL;
}

/* Add m to out, sending out first when it is full. */
static inline void flow_out_add(struct el_node *n, int port, struct rt_batch *out, struct rte_mbuf *m)
{
	if (out->n == RT_BATCH_MAX) {
		el_output(n, port, out);
		out->n = 0;
	}
	out->pkts[out->n++] = m;
}

typedef int (*flow_verdict_fn)(struct el_node *n, struct rte_mbuf *m, void *slot);

/* Run a batch through an element's per-packet verdict function, applying
 * the hold model: FLOW_HOLD keeps the packet in the flow's buffer (when it
 * is full the packet is dropped and counted in overflow); a port verdict
 * sends the flow's held packets, then this one, out of that port; FLOW_DROP
 * frees both.  Packets without a flow get verdict fn(n, m, NULL). */
static inline void flow_el_push(struct el_node *n, struct rt_batch *b, flow_verdict_fn fn,
				struct flow_hold_stats *hs)
{
	struct rt_batch out[4];
	int nports = RT_MIN(n->nout, 4);
	uint16_t hmax = n->e->cls->flow_hold;
	struct flow_quota *q = hmax ? flow_hold_quota(n) : NULL;
	for (int p = 0; p < nports; p++)
		out[p].n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		void *slot = flow_slot(n, m);
		int v = fn(n, m, slot);
		struct flow_held *h = slot && hmax ? flow_held_of(n, slot) : NULL;
		if (v == FLOW_HOLD) {
			if (unlikely(q && h && flow_quota_held(q) >= q->max_held)) {
				q->held_drops++; /* over its tenant's quota */
				hs->quota++;
				rte_pktmbuf_free(m);
			} else if (h && h->n < hmax) {
				h->pkts[h->n++] = m;
				hs->held++;
				if (q)
					q->held++;
			} else {
				hs->overflow++;
				rte_pktmbuf_free(m);
			}
			continue;
		}
		if (v < 0 || v >= nports) {
			if (h && h->n) {
				hs->dropped += h->n;
				if (q)
					q->held -= h->n;
				rte_pktmbuf_free_bulk(h->pkts, h->n);
				h->n = 0;
			}
			hs->dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		struct rt_batch *o = &out[v];
		if (h && h->n) {
			for (uint32_t k = 0; k < h->n; k++)
				flow_out_add(n, v, o, h->pkts[k]);
			if (q)
				q->held -= h->n;
			h->n = 0;
		}
		flow_out_add(n, v, o, m);
	}
	b->n = 0;
	for (int p = 0; p < nports; p++)
		el_output(n, p, &out[p]);
}

#endif
