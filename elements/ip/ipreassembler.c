/*
 * IPReassembler - reassembles IPv4 and IPv6 fragments into whole datagrams,
 * with bounded memory and a fixed policy for adversarial fragments.
 *
 * Each worker has its own table of datagrams in progress (an rte_hash from
 * (addresses, ID, protocol) to a fixed array of entries, allocated at
 * initialisation) and its own list of them in arrival order, which is also
 * their timeout order.  A fragment is kept as the mbuf it came in (no copy
 * until the datagram is complete); the complete datagram is copied once
 * into a fresh, contiguous mbuf.  No call does unbounded work: a fragment
 * is compared with at most IPR_MAX_FRAGS others, and a batch expires at
 * most IPR_SWEEP datagrams.
 *
 * Why not DPDK's librte_ip_frag (rte_ipv4_frag_reassemble_packet): it
 * returns a chain of the fragments' mbufs (elements here assume contiguous
 * packets), it has no defined overlap policy (an overlapping fragment makes
 * it drop the whole datagram, without saying which bytes differed), it does
 * not count duplicates, tiny fragments or oversized datagrams apart, and
 * its death row must be drained by the caller.  The policy asked for here
 * (first-seen bytes win, counted overlaps) needs the fragments side by side
 * at completion, which is simplest with our own table.
 */
#include <errno.h>
#include <stdio.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "ipmisc.h"
#include "../../runtime/router.h"

static const char doc[] =
	"Reassembles IPv4 fragments (and IPv6 fragments: a Fragment extension header) into whole "
	"datagrams. The IP header is found at the network-header annotation, or else after an Ethernet "
	"header (EtherType 0x0800 or 0x86DD). Packets that are not fragments pass on output 0 "
	"unchanged, in order; a datagram leaves output 0 when its last missing fragment arrives, at "
	"that fragment's place in the stream, as one contiguous packet: the link header and IP header "
	"of the fragment at offset 0 (for IPv6 the headers before the Fragment header, which is "
	"removed), then the data; IP length, fragment fields and the IPv4 header checksum are set; "
	"annotations come from the offset-0 fragment, the timestamp from the completing one, and the "
	"network-header annotation points at the IP header. Datagrams that fit the packet pool's "
	"2048-byte data room are built in that pool; larger ones in a pool of BUFFERS buffers of "
	"MAX_SIZE bytes the element creates (no buffer free: counted in `nobufs`, the datagram is "
	"dropped).\n\n"
	"Policy for adversarial fragments (evasion and resource attacks):\n\n"
	"- Overlaps: where fragments overlap, the bytes that arrived **first** win (a choice an IDS must "
	"make explicit). A fragment whose overlapping bytes differ from what is held is counted in "
	"`overlaps`; if it brings no new byte it is dropped, else its new bytes are used. With OVERLAP "
	"DROP (Linux since 4.19, RFC 5722) a fragment that overlaps held bytes, other than an exact "
	"duplicate, drops its datagram instead (counted in `overlaps`).\n"
	"- Duplicates: a fragment whose bytes are all held already, and equal, is dropped and counted in "
	"`duplicates`.\n"
	"- Tiny fragments: a fragment other than the last that carries fewer than TINY bytes, or a first "
	"fragment too short to hold its TCP (20 bytes) or UDP (8 bytes) header, is counted in `tiny`. "
	"Reassembly itself defeats header splitting (downstream sees the whole datagram); with "
	"DROP_TINY true such datagrams are dropped instead. An IPv4 TCP fragment at offset 8 (RFC 1858, "
	"flag overwriting) drops its datagram (`bad`).\n"
	"- Oversized: a fragment that reaches past 65535 bytes of IP datagram, or past MAX_SIZE, drops "
	"its datagram (`toobig`).\n"
	"- Inconsistent: fragments that disagree on the datagram's end, a non-last fragment whose length "
	"is not a multiple of 8 or is 0, a malformed header, or more than 64 fragments in one datagram: "
	"the fragment is dropped (its datagram too, where it conflicts) and counted in `bad`.\n"
	"- Memory: each worker holds at most MAX_PACKETS fragments, MEM bytes of them and "
	"MAX_DATAGRAMS datagrams; past a bound the oldest datagram is dropped (`evicted`). A datagram "
	"not complete TIMEOUT after its first fragment is dropped (`timeouts`; no ICMP time-exceeded "
	"is sent); timeouts are checked as packets arrive, up to 32 datagrams a batch, so a worker that "
	"gets no more packets keeps its fragments (within the bounds) until it does. Every fragment freed without reaching the output is counted in `drops`.\n\n"
	"Time is the packets' timestamp annotation when set (CLOCK AUTO or PACKET), else the system "
	"clock. Fragments of one datagram must reach the same worker (RSS on addresses). A hot-swap "
	"(a reconfiguration) moves the datagrams in progress to the replacement, through its policy "
	"and bounds, keeping their start time.";

#define IPR_MAX_FRAGS 64   /* fragments per datagram */
#define IPR_SWEEP 32       /* datagrams looked at for timeout per batch */
#define IPR_NIL UINT32_MAX

/* 40 bytes: the reassembly key of RFC 791 / RFC 8200.  IPv4 addresses use
 * the first 4 bytes of src and dst. */
struct ipr_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t proto;          /* IPv4: protocol; IPv6: 0 (not part of its key) */
	uint8_t v6;
	uint16_t pad;
} __attribute__((aligned(8)));  /* rte_hash_crc reads it 8 bytes at a time */

/* What a fragment says about itself (ipr_parse). */
struct ipr_info {
	struct ipr_key key;
	uint32_t start, end;    /* its data bytes in the datagram */
	uint32_t doff;          /* where its data begins in the packet */
	uint32_t hcopy;         /* bytes to copy from it when it is the first (link + IP headers) */
	uint16_t ipoff;         /* IP header offset in the packet */
	uint16_t nhpos;         /* IPv6: the next-header byte that names the Fragment header */
	uint8_t v6nh;           /* IPv6: the Fragment header's next header */
	uint8_t l4proto;
	bool mf;
};

struct ipr_frag {
	struct rte_mbuf *m;
	uint32_t start, end, doff;
};

struct ipr_dg {
	struct ipr_key key;
	uint64_t deadline;
	hash_sig_t sig;         /* the key's hash, computed once */
	uint32_t prev, next;    /* arrival list */
	uint32_t total;         /* data length, once the last fragment came; IPR_NIL before */
	uint32_t mem;
	uint16_t n;
	bool tiny;
	struct ipr_info first;  /* the first-seen fragment at offset 0 (valid when has_first) */
	bool has_first;
	struct ipr_frag f[IPR_MAX_FRAGS];  /* in arrival order */
};

/* One worker's table. */
struct ipr_w {
	struct rte_hash *h;
	struct ipr_dg *dg;
	uint32_t *free;
	uint32_t nfree, cap;
	uint32_t head, tail;    /* oldest first */
	uint32_t held, ndg;     /* fragments and datagrams held now */
	uint64_t mem;
};

struct ipr {
	uint64_t max_packets, mem, max_dg, timeout, max_size, tiny, buffers;
	bool drop_tiny, overlap_drop;
	char *clock, *overlap;
	int clock_mode;         /* 0 auto, 1 packet, 2 system */
	int nworkers;
	struct rte_mempool *big;
	struct ipr_w *w[RT_MAX_WORKERS];
};

struct ipr_pw {
	uint64_t count, fragments, reassembled, duplicates, overlaps, tiny, toobig, bad, timeouts, evicted, drops,
		nobufs;
	uint64_t now;
};

/* ---- parsing ------------------------------------------------------------- */

/* 0: not a fragment (or not IP); 1: a fragment, *fi filled; -1: a malformed
 * fragment; -2: a fragment past 65535 bytes of datagram. */
static int ipr_parse(struct rte_mbuf *m, struct ipr_info *fi)
{
	const uint8_t *d = rt_data(m);
	uint32_t len = rt_len(m), off;
	if (rt_has_nh(m)) {
		int o = rt_nh_offset(m);
		if (o < 0)
			return 0;
		off = (uint32_t)o;
	} else if (len >= 14 && d[12] == 0x08 && d[13] == 0x00) {
		off = 14;
	} else if (len >= 14 && d[12] == 0x86 && d[13] == 0xdd) {
		off = 14;
	} else {
		return 0;
	}
	if (off + 20 > len)
		return 0;
	const uint8_t *ip = d + off;
	memset(&fi->key, 0, sizeof(fi->key));
	fi->ipoff = (uint16_t)off;
	if (ip[0] >> 4 == 4) {
		uint16_t fo = (uint16_t)(ip[6] << 8 | ip[7]);
		if (!(fo & 0x3fff))
			return 0;
		uint32_t hl = (ip[0] & 15u) * 4, tl = (uint32_t)ip[2] << 8 | ip[3];
		if (hl < 20 || tl < hl || off + tl > len)
			return -1;
		fi->mf = fo & 0x2000;
		fi->start = (fo & 0x1fffu) * 8u;
		fi->end = fi->start + tl - hl;
		fi->doff = fi->hcopy = off + hl;
		fi->l4proto = ip[9];
		memcpy(fi->key.src, ip + 12, 4);
		memcpy(fi->key.dst, ip + 16, 4);
		fi->key.id = (uint32_t)(ip[4] << 8 | ip[5]);
		fi->key.proto = ip[9];
		if (hl + fi->end > 65535)
			return -2;
		return 1;
	}
	if (ip[0] >> 4 != 6 || off + 40 > len)
		return 0;
	uint32_t plen = (uint32_t)ip[4] << 8 | ip[5], full = off + 40 + plen;
	uint32_t end = RT_MIN(full, len), pos = off + 40, nhpos = off + 6;
	uint8_t nh = ip[6];
	if (plen == 0)
		return 0;  /* a jumbogram: never fragmented */
	while (nh == 0 || nh == 43 || nh == 60) {  /* hop-by-hop, routing, destination options */
		if (pos + 8 > end)
			return 0;
		nhpos = pos;
		nh = d[pos];
		pos += (d[pos + 1] + 1u) * 8;
	}
	if (nh != 44 || pos + 8 > end)
		return 0;
	uint16_t fo = (uint16_t)(d[pos + 2] << 8 | d[pos + 3]);
	if (!(fo & 0xfff9))
		return 0;  /* an atomic fragment (RFC 6946): a whole datagram */
	if (full > len)
		return -1;  /* cut short */
	fi->mf = fo & 1;
	fi->start = fo & 0xfff8u;
	fi->end = fi->start + end - (pos + 8);
	fi->doff = pos + 8;
	fi->hcopy = pos;
	fi->nhpos = (uint16_t)nhpos;
	fi->v6nh = d[pos];
	fi->l4proto = d[pos];
	memcpy(fi->key.src, ip + 8, 16);
	memcpy(fi->key.dst, ip + 24, 16);
	memcpy(&fi->key.id, d + pos + 4, 4);
	fi->key.v6 = 1;
	if (pos - off - 40 + fi->end > 65535)
		return -2;
	return 1;
}

/* ---- the per-worker table -------------------------------------------------- */

static void list_del(struct ipr_w *w, uint32_t i)
{
	struct ipr_dg *g = &w->dg[i];
	if (g->prev == IPR_NIL)
		w->head = g->next;
	else
		w->dg[g->prev].next = g->next;
	if (g->next == IPR_NIL)
		w->tail = g->prev;
	else
		w->dg[g->next].prev = g->prev;
}

/* Forget datagram i; free its fragments (counted as drops when `dropped`). */
static void dg_free(struct ipr_w *w, struct ipr_pw *pw, uint32_t i, bool dropped)
{
	struct ipr_dg *g = &w->dg[i];
	for (uint32_t j = 0; j < g->n; j++)
		rte_pktmbuf_free(g->f[j].m);
	if (dropped)
		pw->drops += g->n;
	w->held -= g->n;
	w->mem -= g->mem;
	w->ndg--;
	list_del(w, i);
	rte_hash_del_key_with_hash(w->h, &g->key, g->sig);
	g->n = 0;
	w->free[w->nfree++] = i;
}

static void ipr_expire(struct ipr_w *w, struct ipr_pw *pw, uint64_t now)
{
	for (int k = 0; k < IPR_SWEEP && w->head != IPR_NIL && w->dg[w->head].deadline <= now; k++) {
		dg_free(w, pw, w->head, true);
		pw->timeouts++;
	}
}

static uint32_t dg_new(struct ipr *s, struct ipr_w *w, struct ipr_pw *pw, const struct ipr_key *k, hash_sig_t sig,
		       uint64_t now)
{
	if (!w->nfree) {
		dg_free(w, pw, w->head, true);
		pw->evicted++;
	}
	uint32_t i = w->free[--w->nfree];
	if (rte_hash_add_key_with_hash_data(w->h, k, sig, (void *)(uintptr_t)i) < 0) {
		w->nfree++;
		return IPR_NIL;
	}
	struct ipr_dg *g = &w->dg[i];
	g->key = *k;
	g->sig = sig;
	g->deadline = now + s->timeout;
	g->total = IPR_NIL;
	g->mem = 0;
	g->n = 0;
	g->tiny = false;
	g->has_first = false;
	g->next = IPR_NIL;
	g->prev = w->tail;
	if (w->tail == IPR_NIL)
		w->head = i;
	else
		w->dg[w->tail].next = i;
	w->tail = i;
	w->ndg++;
	return i;
}

/* Sort [start, end) pairs by start (at most IPR_MAX_FRAGS + 1: insertion). */
static void iv_sort(uint32_t (*iv)[2], int n)
{
	for (int i = 1; i < n; i++) {
		uint32_t a = iv[i][0], b = iv[i][1];
		int j = i - 1;
		for (; j >= 0 && iv[j][0] > a; j--) {
			iv[j + 1][0] = iv[j][0];
			iv[j + 1][1] = iv[j][1];
		}
		iv[j + 1][0] = a;
		iv[j + 1][1] = b;
	}
}

/* Bytes of [lo, hi) that the datagram's fragments cover; *differ is set
 * when a covered byte differs from the new fragment's (data at nd). */
static uint32_t covered(const struct ipr_dg *g, uint32_t lo, uint32_t hi, const uint8_t *nd, bool *differ)
{
	uint32_t iv[IPR_MAX_FRAGS][2];
	int n = 0;
	for (uint32_t j = 0; j < g->n; j++) {
		const struct ipr_frag *f = &g->f[j];
		uint32_t a = RT_MAX(lo, f->start), b = RT_MIN(hi, f->end);
		if (a >= b)
			continue;
		if (!*differ && memcmp(rt_data(f->m) + f->doff + (a - f->start), nd + (a - lo), b - a))
			*differ = true;
		iv[n][0] = a;
		iv[n][1] = b;
		n++;
	}
	iv_sort(iv, n);
	uint32_t got = 0, at = lo;
	for (int i = 0; i < n; i++) {
		if (iv[i][1] <= at)
			continue;
		got += iv[i][1] - RT_MAX(at, iv[i][0]);
		at = iv[i][1];
	}
	return got;
}

static bool complete(const struct ipr_dg *g)
{
	if (g->total == IPR_NIL || !g->has_first)
		return false;
	uint32_t iv[IPR_MAX_FRAGS][2];
	for (uint32_t j = 0; j < g->n; j++) {
		iv[j][0] = g->f[j].start;
		iv[j][1] = g->f[j].end;
	}
	iv_sort(iv, (int)g->n);
	uint32_t at = 0;
	for (uint32_t j = 0; j < g->n && iv[j][0] <= at; j++)
		at = RT_MAX(at, iv[j][1]);
	return at >= g->total;
}

/* Build the datagram in one packet: the first fragment's headers, then
 * every fragment's data, latest arrival first so that earlier bytes win. */
static struct rte_mbuf *assemble(struct ipr *s, struct ipr_dg *g, struct ipr_pw *pw, uint64_t ts)
{
	const struct ipr_info *fi = &g->first;
	struct rte_mbuf *m0 = NULL;
	for (uint32_t j = 0; j < g->n && !m0; j++)
		if (g->f[j].start == 0)
			m0 = g->f[j].m;
	uint32_t len = fi->hcopy + g->total;
	struct rte_mbuf *o = rte_pktmbuf_alloc(m0->pool);
	if (o && rte_pktmbuf_tailroom(o) < len) {
		rte_pktmbuf_free(o);
		o = s->big ? rte_pktmbuf_alloc(s->big) : NULL;
		if (o && o->buf_len < len) {
			rte_pktmbuf_free(o);
			pw->toobig++;
			return NULL;
		}
	}
	if (!o) {
		pw->nobufs++;
		return NULL;
	}
	if (o->pool == s->big)  /* header room as far as the datagram leaves any (see big_pool) */
		o->data_off = (uint16_t)RT_MIN((uint32_t)RTE_PKTMBUF_HEADROOM, o->buf_len - len);
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(o, (uint16_t)len);
	memcpy(d, rt_data(m0), fi->hcopy);
	for (uint32_t j = g->n; j-- > 0;) {
		const struct ipr_frag *f = &g->f[j];
		memcpy(d + fi->hcopy + f->start, rt_data(f->m) + f->doff, f->end - f->start);
	}
	uint8_t *ip = d + fi->ipoff;
	if (!g->key.v6) {
		uint32_t tl = fi->hcopy - fi->ipoff + g->total;
		ip[2] = (uint8_t)(tl >> 8);
		ip[3] = (uint8_t)tl;
		ip[6] &= 0x40;  /* keep DF, clear MF and the offset */
		ip[7] = 0;
		ipm_set_csum((struct rte_ipv4_hdr *)ip);
	} else {
		uint32_t pl = fi->hcopy - fi->ipoff - 40 + g->total;
		ip[4] = (uint8_t)(pl >> 8);
		ip[5] = (uint8_t)pl;
		d[fi->nhpos] = fi->v6nh;
	}
	memcpy(rt_anno(o), rt_anno(m0), sizeof(struct rt_anno));
	struct rt_anno *a = rt_anno(o);
	a->flow = NULL;
	a->timestamp = ts;  /* the completing fragment's */
	rt_set_nh(o, fi->ipoff);
	return o;
}

/* A fragment m: keep it, drop it, or complete its datagram (returned). */
static struct rte_mbuf *ipr_add(struct ipr *s, struct ipr_w *w, struct ipr_pw *pw, struct rte_mbuf *m,
				const struct ipr_info *fi, uint64_t now)
{
	void *data;
	uint32_t i;
	hash_sig_t sig = rte_hash_hash(w->h, &fi->key);
	if (rte_hash_lookup_with_hash_data(w->h, &fi->key, sig, &data) >= 0) {
		i = (uint32_t)(uintptr_t)data;
		if (w->dg[i].deadline <= now) {
			dg_free(w, pw, i, true);
			pw->timeouts++;
			i = dg_new(s, w, pw, &fi->key, sig, now);
		}
	} else {
		i = dg_new(s, w, pw, &fi->key, sig, now);
	}
	if (i == IPR_NIL)
		goto drop;
	struct ipr_dg *g = &w->dg[i];
	uint32_t dlen = fi->end - fi->start;
	/* the datagram's end: one, and nothing past it */
	if ((fi->mf && (dlen == 0 || (dlen & 7))) || g->n == IPR_MAX_FRAGS ||
	    (!g->key.v6 && g->key.proto == IPPROTO_TCP && fi->start == 8)) {
		pw->bad++;
		if (g->n == IPR_MAX_FRAGS || fi->start == 8)
			dg_free(w, pw, i, true);
		else if (!g->n)
			dg_free(w, pw, i, false);
		goto drop;
	}
	bool conflict = false;
	if (!fi->mf)
		conflict = g->total != IPR_NIL && g->total != fi->end;
	else
		conflict = g->total != IPR_NIL && fi->end > g->total;
	if (!conflict && !fi->mf)
		for (uint32_t j = 0; j < g->n; j++)
			conflict |= g->f[j].end > fi->end;
	if (conflict) {
		pw->bad++;
		dg_free(w, pw, i, true);
		goto drop;
	}
	if (fi->end + (fi->hcopy - fi->ipoff) > s->max_size + (g->key.v6 ? 40 : 0)) {
		pw->toobig++;
		dg_free(w, pw, i, true);
		goto drop;
	}
	bool tiny = (fi->mf && dlen < s->tiny) ||
		    (fi->start == 0 && ((fi->l4proto == IPPROTO_TCP && dlen < 20) || (fi->l4proto == IPPROTO_UDP && dlen < 8)));
	if (tiny) {
		pw->tiny++;
		if (s->drop_tiny) {
			dg_free(w, pw, i, true);
			goto drop;
		}
	}
	bool differ = false;
	uint32_t got = dlen ? covered(g, fi->start, fi->end, rt_data(m) + fi->doff, &differ) : 0;
	if (differ)
		pw->overlaps++;
	if (s->overlap_drop && got && (differ || got != dlen)) {
		pw->overlaps += !differ;
		dg_free(w, pw, i, true);
		goto drop;
	}
	if (!fi->mf)
		g->total = fi->end;  /* known even when its bytes are not new */
	uint64_t ts = rt_anno(m)->timestamp;
	if (dlen && got == dlen) {
		/* nothing new: first-seen bytes stay */
		if (!differ)
			pw->duplicates++;
		pw->drops++;
		rte_pktmbuf_free(m);
	} else {
		if (fi->start == 0 && !g->has_first) {
			g->first = *fi;
			g->has_first = true;
		}
		g->f[g->n++] = (struct ipr_frag){m, fi->start, fi->end, fi->doff};
		g->mem += rt_len(m);
		w->held++;
		w->mem += rt_len(m);
	}
	if (complete(g)) {
		struct rte_mbuf *o = assemble(s, g, pw, ts);
		dg_free(w, pw, i, o == NULL);
		if (o)
			pw->reassembled++;
		return o;
	}
	/* bounds: the oldest datagrams go first (possibly this one) */
	while (w->held > s->max_packets || w->mem > s->mem) {
		pw->evicted++;
		dg_free(w, pw, w->head, true);
	}
	return NULL;
drop:
	pw->drops++;
	rte_pktmbuf_free(m);
	return NULL;
}

/* ---- the element ------------------------------------------------------------ */

static void ipr_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct ipr *s = n->state;
	struct ipr_pw *pw = el_pw(n->e);
	struct ipr_w *w = s->w[rt_wid];
	uint64_t sys = s->clock_mode == 2 ? rt_now_ns() : 0;
	uint32_t out = 0;
	pw->count += b->n;
	uint64_t t0 = sys;
	if (s->clock_mode != 2) {
		t0 = rt_anno(b->pkts[0])->timestamp;
		if (!t0 && s->clock_mode == 0)
			t0 = rt_now_ns();
	}
	if (t0 > pw->now)
		pw->now = t0;
	ipr_expire(w, pw, pw->now);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct ipr_info fi;
		int r = ipr_parse(m, &fi);
		if (likely(r == 0)) {
			b->pkts[out++] = m;
			continue;
		}
		pw->fragments++;
		if (r < 0) {
			if (r == -2)
				pw->toobig++;
			else
				pw->bad++;
			pw->drops++;
			rte_pktmbuf_free(m);
			continue;
		}
		uint64_t now = sys;
		if (s->clock_mode != 2) {
			uint64_t ts = rt_anno(m)->timestamp;
			now = s->clock_mode == 1 || ts ? ts : rt_now_ns();
		}
		if (now > pw->now)
			pw->now = now;
		ipr_expire(w, pw, pw->now);
		struct rte_mbuf *o = ipr_add(s, w, pw, m, &fi, pw->now);
		if (o)
			b->pkts[out++] = o;
	}
	b->n = out;
	el_output(n, 0, b);
}

static const struct el_arg args[] = {
	{"MAX_PACKETS", EL_T_UINT, offsetof(struct ipr, max_packets), "4096", 0, "fragments held per worker at most"},
	{"MEM", EL_T_BYTES, offsetof(struct ipr, mem), "4M", 0, "bytes of fragments held per worker at most"},
	{"MAX_DATAGRAMS", EL_T_UINT, offsetof(struct ipr, max_dg), "1024", 0,
	 "datagrams in progress per worker at most"},
	{"TIMEOUT", EL_T_TIME, offsetof(struct ipr, timeout), "30s", 0,
	 "a datagram not complete this long after its first fragment is dropped"},
	{"MAX_SIZE", EL_T_BYTES, offsetof(struct ipr, max_size), "65535", 0,
	 "largest datagram reassembled (IP header included; IPv6: its payload)"},
	{"TINY", EL_T_UINT, offsetof(struct ipr, tiny), "64", 0,
	 "a fragment other than the last with fewer data bytes is tiny"},
	{"DROP_TINY", EL_T_BOOL, offsetof(struct ipr, drop_tiny), "false", 0,
	 "drop datagrams with tiny fragments (else count and reassemble)"},
	{"OVERLAP", EL_T_WORD, offsetof(struct ipr, overlap), "FIRST", 0,
	 "overlapping fragments: FIRST (first-seen bytes win) or DROP (drop the datagram, RFC 5722)"},
	{"BUFFERS", EL_T_UINT, offsetof(struct ipr, buffers), "64", 0,
	 "buffers for datagrams larger than the packet pool's data room"},
	{"CLOCK", EL_T_WORD, offsetof(struct ipr, clock), "AUTO", 0,
	 "time for timeouts: PACKET (timestamp annotations), SYSTEM, or AUTO (timestamps when set)"},
	EL_ARGS_END,
};

static int ipr_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct ipr *s = e->state;
	if (argc > 0) {
		const char *val;
		int kw = el_arg_keyword(argv[0], &val);
		return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%.*s'", e->name, kw ? kw : (int)strlen(argv[0]),
			       argv[0]);
	}
	if (!strcmp(s->clock, "AUTO"))
		s->clock_mode = 0;
	else if (!strcmp(s->clock, "PACKET"))
		s->clock_mode = 1;
	else if (!strcmp(s->clock, "SYSTEM"))
		s->clock_mode = 2;
	else
		return rt_errf(err, &e->loc, -EINVAL, "%s: CLOCK: expected AUTO, PACKET or SYSTEM, not '%s'", e->name,
			       s->clock);
	if (!strcmp(s->overlap, "FIRST") || !strcmp(s->overlap, "DROP"))
		s->overlap_drop = s->overlap[0] == 'D';
	else
		return rt_errf(err, &e->loc, -EINVAL, "%s: OVERLAP: expected FIRST or DROP, not '%s'", e->name, s->overlap);
	if (s->max_packets < 1 || s->max_packets > (1u << 20))
		return rt_errf(err, &e->loc, -ERANGE, "%s: MAX_PACKETS must be 1 to 1048576", e->name);
	if (s->max_dg < 1 || s->max_dg > (1u << 20))
		return rt_errf(err, &e->loc, -ERANGE, "%s: MAX_DATAGRAMS must be 1 to 1048576", e->name);
	if (s->mem < 2048)
		return rt_errf(err, &e->loc, -ERANGE, "%s: MEM must be at least 2048 bytes", e->name);
	if (s->max_size < 68 || s->max_size > 65535)
		return rt_errf(err, &e->loc, -ERANGE, "%s: MAX_SIZE must be 68 to 65535", e->name);
	if (s->timeout == 0)
		return rt_errf(err, &e->loc, -ERANGE, "%s: TIMEOUT must be more than 0", e->name);
	if (s->buffers > 65536)
		return rt_errf(err, &e->loc, -ERANGE, "%s: BUFFERS must be at most 65536", e->name);
	return 0;
}

static void ipr_cleanup(struct el *e)
{
	struct ipr *s = e->state;
	struct ipr_pw *pw = el_pw_of(e, 0);
	for (int k = 0; k < RT_MAX_WORKERS; k++) {
		struct ipr_w *w = s->w[k];
		if (!w)
			continue;
		while (w->dg && w->head != IPR_NIL)
			dg_free(w, pw, w->head, true);
		rte_hash_free(w->h);
		rte_free(w->dg);
		rte_free(w->free);
		rte_free(w);
		s->w[k] = NULL;
	}
	/* buffers still out downstream (a queue, a dump) keep the pool alive:
	 * freeing it under them would be worse than keeping it */
	if (s->big && rte_mempool_in_use_count(s->big) == 0)
		rte_mempool_free(s->big);
	s->big = NULL;
}

/* A hot-swap (a reconfiguration with other bounds, say): the datagrams in
 * progress move to the replacement, fragment by fragment in arrival order,
 * through its own policy and bounds, keeping their start time (deadline =
 * start + the new TIMEOUT).  The live layer calls this after a grace
 * period with the replacement's input held: no worker touches either
 * table.  One that completes under the new policy cannot be sent from
 * here and is dropped (counted). */
static int ipr_take_state(struct el *e, struct el *oe, struct rt_err *err)
{
	(void)err;
	struct ipr *s = e->state, *o = oe->state;
	for (int k = 0; k < RT_MAX_WORKERS; k++) {
		struct ipr_w *ow = o->w[k], *nw = s->w[k];
		if (!ow)
			continue;
		struct ipr_pw *opw = el_pw_of(oe, (unsigned)k), *npw = el_pw_of(e, (unsigned)k);
		while (ow->head != IPR_NIL) {
			uint32_t i = ow->head;
			struct ipr_dg *g = &ow->dg[i];
			if (!nw) {
				dg_free(ow, opw, i, true);
				continue;
			}
			uint64_t start = g->deadline - o->timeout;
			for (uint32_t j = 0; j < g->n; j++) {
				struct rte_mbuf *m = g->f[j].m;
				struct ipr_info fi;
				if (ipr_parse(m, &fi) != 1) {
					npw->drops++;
					rte_pktmbuf_free(m);
					continue;
				}
				struct rte_mbuf *out = ipr_add(s, nw, npw, m, &fi, start);
				if (out) {
					npw->drops++;
					rte_pktmbuf_free(out);
				}
			}
			ow->held -= g->n;
			ow->mem -= g->mem;
			g->n = 0;
			g->mem = 0;
			dg_free(ow, opw, i, false);
		}
	}
	return 0;
}

/* A pool of big buffers.  No fixed header room, so that a whole
 * 65535-byte frame fits the 16-bit buffer length: assemble() leaves what
 * room the datagram does not need in front of it. */
static struct rte_mempool *big_pool(struct el *e, uint32_t room, struct rt_err *err)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	snprintf(name, sizeof(name), "ipr_%d", e->uid);
	struct ipr *s = e->state;
	struct rte_mempool *mp = rt_pool_create_sized(name, (unsigned)s->buffers, 0, (uint16_t)room, err);
	if (!mp)
		rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for %llu buffers of %u bytes (BUFFERS, MAX_SIZE)",
			e->name, (unsigned long long)s->buffers, room);
	return mp;
}

static int ipr_init(struct el *e, struct rt_err *err)
{
	struct ipr *s = e->state;
	s->nworkers = rt_router_nworkers(e->router);
	/* link header (up to 64 bytes) + datagram past what a pool mbuf holds */
	uint32_t room = (uint32_t)RT_MIN(s->max_size + 64, 65535u);
	if (room > RTE_MBUF_DEFAULT_DATAROOM && s->buffers && !(s->big = big_pool(e, room, err)))
		return err->code;
	for (int k = 0; k < s->nworkers; k++) {
		struct ipr_w *w = rte_zmalloc("ipr_w", sizeof(*w), RTE_CACHE_LINE_SIZE);
		if (!w)
			goto nomem;
		s->w[k] = w;
		w->cap = (uint32_t)s->max_dg;
		w->head = w->tail = IPR_NIL;
		char name[RTE_HASH_NAMESIZE];
		snprintf(name, sizeof(name), "ipr%d_%d", e->uid, k);
		struct rte_hash_parameters hp = {.name = name, .entries = RT_MAX(w->cap * 2, 16u),
						 .key_len = sizeof(struct ipr_key), .hash_func = rte_hash_crc,
						 .socket_id = SOCKET_ID_ANY};
		w->h = rte_hash_create(&hp);
		w->dg = rte_zmalloc("ipr_dg", sizeof(struct ipr_dg) * w->cap, RTE_CACHE_LINE_SIZE);
		w->free = rte_malloc("ipr_free", sizeof(uint32_t) * w->cap, 0);
		if (!w->h || !w->dg || !w->free)
			goto nomem;
		for (uint32_t i = 0; i < w->cap; i++)
			w->free[i] = w->cap - 1 - i;
		w->nfree = w->cap;
	}
	return 0;
nomem:
	ipr_cleanup(e);
	return rt_errf(err, &e->loc, -ENOMEM, "%s: no memory for %llu datagrams per worker (MAX_DATAGRAMS)", e->name,
		       (unsigned long long)s->max_dg);
}

enum { H_COUNT, H_FRAGMENTS, H_REASSEMBLED, H_DUPLICATES, H_OVERLAPS, H_TINY, H_TOOBIG, H_BAD, H_TIMEOUTS,
       H_EVICTED, H_DROPS, H_NOBUFS, H_HELD, H_MEM, H_DATAGRAMS };

static int ipr_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct ipr *s = e->state;
	uint64_t v = 0;
	if (what < H_HELD) {
		v = el_pw_sum(e, offsetof(struct ipr_pw, count) + sizeof(uint64_t) * (size_t)what);
	} else {
		for (int k = 0; k < RT_MAX_WORKERS; k++) {
			const struct ipr_w *w = s->w[k];
			if (!w)
				continue;
			if (what == H_HELD)
				v += __atomic_load_n(&w->held, __ATOMIC_RELAXED);
			else if (what == H_MEM)
				v += __atomic_load_n(&w->mem, __ATOMIC_RELAXED);
			else
				v += __atomic_load_n(&w->ndg, __ATOMIC_RELAXED);
		}
	}
	rt_buf_printf(out, "%llu", (unsigned long long)v);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", ipr_read, NULL, H_COUNT, 0, "packets in"},
	{"fragments", ipr_read, NULL, H_FRAGMENTS, 0, "fragments in"},
	{"reassembled", ipr_read, NULL, H_REASSEMBLED, 0, "datagrams reassembled and sent"},
	{"duplicates", ipr_read, NULL, H_DUPLICATES, 0, "fragments dropped: every byte already held, and equal"},
	{"overlaps", ipr_read, NULL, H_OVERLAPS, 0, "fragments overlapping held bytes with different data (first-seen bytes kept)"},
	{"tiny", ipr_read, NULL, H_TINY, 0, "tiny fragments (TINY; a first fragment shorter than its TCP/UDP header)"},
	{"toobig", ipr_read, NULL, H_TOOBIG, 0, "fragments past 65535 bytes or MAX_SIZE (their datagram dropped)"},
	{"bad", ipr_read, NULL, H_BAD, 0, "malformed or inconsistent fragments"},
	{"timeouts", ipr_read, NULL, H_TIMEOUTS, 0, "datagrams dropped incomplete after TIMEOUT"},
	{"evicted", ipr_read, NULL, H_EVICTED, 0, "datagrams dropped to stay within MAX_PACKETS, MEM, MAX_DATAGRAMS"},
	{"drops", ipr_read, NULL, H_DROPS, 0, "fragments freed without reaching the output"},
	{"nobufs", ipr_read, NULL, H_NOBUFS, 0, "complete datagrams dropped for want of a buffer"},
	{"held", ipr_read, NULL, H_HELD, 0, "fragments held now"},
	{"mem", ipr_read, NULL, H_MEM, 0, "bytes of fragments held now"},
	{"datagrams", ipr_read, NULL, H_DATAGRAMS, 0, "datagrams in progress now"},
	EL_HANDLERS_END,
};

static struct el_class ipreassembler = {
	.name = "IPReassembler",
	.sig = "IPReassembler([KEYWORDS])",
	.summary = "reassembles IPv4 and IPv6 fragments, with bounded memory and a defined overlap policy",
	.doc = doc,
	.ports = "1/1",
	.state_size = sizeof(struct ipr),
	.pw_size = sizeof(struct ipr_pw),
	.args = args,
	.configure = ipr_configure,
	.init = ipr_init,
	.cleanup = ipr_cleanup,
	.push = ipr_push,
	.take_state = ipr_take_state,
	.handlers = handlers,
};
EL_REGISTER(ipreassembler)
