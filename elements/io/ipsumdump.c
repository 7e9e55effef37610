/*
 * ipsumdump.c - IP summary dump fields: names and synonyms, injection
 * order, and the text of each field for a packet (see ipsumdump.h;
 * ipsumdump_build.c goes the other way).  The formats follow Click's
 * ipsumdump_{anno,ip,tcp,udp,icmp,payload}.cc.
 */
#include <string.h>

#include "../../runtime/rt.h"
#include "iohelp.h"
#include "ipsumdump.h"

enum { ORDER_ANNO = 100, ORDER_NET = 300, ORDER_TRANSP = 400, ORDER_PAYLOAD = 500 };

static const struct {
	const char *name;
	int order;
} fields[IO_SF__N] = {
	[IO_SF_TIMESTAMP] = {"timestamp", ORDER_ANNO},
	[IO_SF_TS_SEC] = {"ts_sec", ORDER_ANNO},
	[IO_SF_TS_USEC] = {"ts_usec", ORDER_ANNO},
	[IO_SF_TS_USEC1] = {"ts_usec1", ORDER_ANNO},
	[IO_SF_IP_SRC] = {"ip_src", ORDER_NET},
	[IO_SF_IP_DST] = {"ip_dst", ORDER_NET},
	[IO_SF_IP_TOS] = {"ip_tos", ORDER_NET},
	[IO_SF_IP_DSCP] = {"ip_dscp", ORDER_NET},
	[IO_SF_IP_ECN] = {"ip_ecn", ORDER_NET},
	[IO_SF_IP_TTL] = {"ip_ttl", ORDER_NET},
	[IO_SF_IP_FRAG] = {"ip_frag", ORDER_NET - 2},
	[IO_SF_IP_FRAGOFF] = {"ip_fragoff", ORDER_NET - 1},
	[IO_SF_IP_ID] = {"ip_id", ORDER_NET},
	[IO_SF_IP_SUM] = {"ip_sum", ORDER_NET + 2},
	[IO_SF_IP_PROTO] = {"ip_proto", ORDER_NET},
	[IO_SF_IP_HL] = {"ip_hl", ORDER_NET - 1},
	[IO_SF_IP_LEN] = {"ip_len", ORDER_NET + 1},
	[IO_SF_IP_CAPTURE_LEN] = {"ip_capture_len", ORDER_PAYLOAD + 2},
	[IO_SF_SPORT] = {"sport", ORDER_TRANSP},
	[IO_SF_DPORT] = {"dport", ORDER_TRANSP},
	[IO_SF_TCP_SEQ] = {"tcp_seq", ORDER_TRANSP},
	[IO_SF_TCP_ACK] = {"tcp_ack", ORDER_TRANSP},
	[IO_SF_TCP_OFF] = {"tcp_off", ORDER_TRANSP - 1},
	[IO_SF_TCP_FLAGS] = {"tcp_flags", ORDER_TRANSP},
	[IO_SF_TCP_WINDOW] = {"tcp_window", ORDER_TRANSP},
	[IO_SF_TCP_URP] = {"tcp_urp", ORDER_TRANSP},
	[IO_SF_UDP_LEN] = {"udp_len", ORDER_TRANSP},
	[IO_SF_ICMP_TYPE] = {"icmp_type", ORDER_TRANSP},
	[IO_SF_ICMP_CODE] = {"icmp_code", ORDER_TRANSP},
	[IO_SF_PAYLOAD] = {"payload", ORDER_PAYLOAD},
	[IO_SF_PAYLOAD_LEN] = {"payload_len", ORDER_PAYLOAD + 1},
	[IO_SF_COUNT] = {"count", ORDER_ANNO},
	[IO_SF_LINK] = {"link", ORDER_ANNO},
	[IO_SF_PAINT] = {"paint", ORDER_ANNO},
	[IO_SF_DIRECTION] = {"direction", ORDER_ANNO},
	[IO_SF_AGGREGATE] = {"aggregate", ORDER_ANNO},
	[IO_SF_WIRE_LEN] = {"wire_len", ORDER_ANNO},
};

static const struct {
	const char *name, *to;
} synonyms[] = {
	{"utimestamp", "timestamp"}, {"ntimestamp", "timestamp"}, {"ts", "timestamp"},
	{"sec", "ts_sec"}, {"usec", "ts_usec"}, {"usec1", "ts_usec1"},
	{"pkt_count", "count"}, {"packet_count", "count"}, {"agg", "aggregate"},
	{"wire_length", "wire_len"}, {"length", "ip_len"}, {"ip_p", "ip_proto"},
	{"tcp_seqno", "tcp_seq"}, {"tcp_ackno", "tcp_ack"}, {"tcp_win", "tcp_window"},
	{"payload_length", "payload_len"},
};

const char io_tcp_flag_letters[] = "FSRPAUECN";

static int find_exact(const char *name, size_t len)
{
	for (size_t i = 0; i < RT_ARRAY_SIZE(synonyms); i++)
		if (strlen(synonyms[i].name) == len && !memcmp(synonyms[i].name, name, len))
			return find_exact(synonyms[i].to, strlen(synonyms[i].to));
	for (int f = 0; f < IO_SF__N; f++)
		if (strlen(fields[f].name) == len && !memcmp(fields[f].name, name, len))
			return f;
	return -1;
}

int io_sf_find(const char *name, size_t len)
{
	char buf[64];
	for (int round = 0; round < 4; round++) {
		int f = find_exact(name, len);
		if (f >= 0)
			return f;
		/* Click's update_name: a space becomes '_', else "X" becomes "ip_X" */
		if (len + 4 > sizeof(buf))
			return -1;
		const char *sp = memchr(name, ' ', len);
		if (sp) {
			memmove(buf, name, len);
			buf[sp - name] = '_';
		} else if (!memchr(name, '_', len)) {
			memmove(buf + 3, name, len);
			memcpy(buf, "ip_", 3);
			len += 3;
		} else {
			return -1;
		}
		name = buf;
	}
	return -1;
}

const char *io_sf_name(int f) { return f >= 0 && f < IO_SF__N ? fields[f].name : "none"; }

int io_sf_parse_list(const char *s, int *out, int max, const char **bad, size_t *badlen)
{
	int n = 0;
	const char *wb, *we;
	while ((s = io_word(s, &wb, &we))) {
		uint8_t name[64];
		size_t len = io_unquote_to(name, sizeof(name), wb, (size_t)(we - wb));
		int f = len < sizeof(name) ? io_sf_find((const char *)name, len) : -1;
		if (f < 0 || n >= max) {
			*bad = wb;
			*badlen = (size_t)(we - wb);
			return -1;
		}
		out[n++] = f;
	}
	return n;
}

void io_sf_order(const int *f, int n, int *order)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = 1; i < n; i++) /* insertion sort: stable, n is small */
		for (int j = i; j > 0 && fields[f[order[j - 1]]].order > fields[f[order[j]]].order; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
}

/* ---- packet -> text ------------------------------------------------------ */

void io_sf_prepare(struct io_pdesc *d, const struct rte_mbuf *m)
{
	memset(d, 0, sizeof(*d));
	d->m = m;
	d->data = rte_pktmbuf_mtod(m, const uint8_t *);
	d->plen = rte_pktmbuf_data_len(m);
	const struct rt_anno *a = rt_anno_ro(m);
	int noff = a->nh_off == RT_NH_NONE ? 0 : (int)a->nh_off - (int)m->data_off;
	if (noff < 0 || (uint32_t)noff > d->plen)
		return;
	d->noff = (uint32_t)noff;
	const uint8_t *ip = d->data + noff;
	uint32_t nlen = d->plen - d->noff;
	if (nlen < 4 || (ip[0] >> 4) != 4 || (ip[0] & 15) < 5)
		return;
	uint32_t hl = (uint32_t)(ip[0] & 15) << 2;
	uint32_t ip_len = io_rd16(ip + 2);
	if (ip_len < hl)
		return;
	d->iph = ip;
	d->hl = hl;
	if (nlen > ip_len)
		d->tailpad = nlen - ip_len;
	uint32_t netlen = nlen - d->tailpad;
	int tlen = (int)netlen - (int)hl;
	bool first = nlen >= 8 && io_firstfrag(ip);
	int proto = nlen >= 10 ? ip[9] : -1;
	d->tcp = netlen > hl && proto == 6 && first;
	if (d->tcp && tlen > 12 && (ip[hl + 12] >> 4) < 5)
		d->tcp = false;
	d->udp = netlen > hl && proto == 17 && first;
	d->icmp = netlen > hl && proto == 1 && first;
}

static char *put_str(char *p, char *end, const char *s)
{
	while (*s && p < end)
		*p++ = *s++;
	return p;
}

static char *put_u(char *p, char *end, uint64_t v)
{
	char tmp[24];
	int n = io_utoa(tmp, v);
	tmp[n] = 0;
	return put_str(p, end, tmp);
}

static char *put_ip(char *p, char *end, const uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			p = put_str(p, end, ".");
		p = put_u(p, end, a[i]);
	}
	return p;
}

/* Payload offset (from data) and length, as Click's payload_info. */
static void payload_info(const struct io_pdesc *d, uint32_t *offp, uint32_t *lenp)
{
	if (!d->iph) {
		*offp = 0;
		*lenp = d->plen - d->tailpad;
		return;
	}
	const uint8_t *ip = d->iph;
	uint32_t len = io_rd16(ip + 2);
	uint32_t off = d->noff + d->hl;
	int tlen = (int)(d->plen - off) - (int)d->tailpad;
	if (io_firstfrag(ip)) {
		if (ip[9] == 6) {
			if (tlen >= 13 && ((uint32_t)(ip[d->hl + 12] >> 4) << 2) >= 20)
				off += (uint32_t)(ip[d->hl + 12] >> 4) << 2;
			else
				off += 20;
		} else if (ip[9] == 17 || ip[9] == 136) {
			off += 8;
		}
	}
	*offp = off;
	*lenp = len - (off - d->noff);
}

char *io_sf_out(const struct io_pdesc *d, int f, char *p, char *end)
{
	const struct rt_anno *a = rt_anno_ro(d->m);
	const uint8_t *ip = d->iph;
	uint32_t netlen = ip ? d->plen - d->noff - d->tailpad : 0;
	int tlen = ip ? (int)netlen - (int)d->hl : 0;
	const uint8_t *th = ip ? ip + d->hl : NULL;
	char tmp[32];
#define NEED_IP(l) do { if (!ip || netlen < (l)) goto missing; } while (0)
#define NEED_T(ok, l) do { if (!(ok) || tlen < (l)) goto missing; } while (0)
	switch (f) {
	case IO_SF_TIMESTAMP:
		io_fmt_ts(tmp, a->timestamp);
		return put_str(p, end, tmp);
	case IO_SF_TS_SEC: return put_u(p, end, a->timestamp / 1000000000ull);
	case IO_SF_TS_USEC: return put_u(p, end, (a->timestamp % 1000000000ull) / 1000);
	case IO_SF_TS_USEC1: return put_u(p, end, a->timestamp / 1000);
	case IO_SF_IP_SRC: NEED_IP(16); return put_ip(p, end, ip + 12);
	case IO_SF_IP_DST: NEED_IP(20); return put_ip(p, end, ip + 16);
	case IO_SF_IP_TOS: NEED_IP(2); return put_u(p, end, ip[1]);
	case IO_SF_IP_DSCP: NEED_IP(2); return put_u(p, end, ip[1] >> 2);
	case IO_SF_IP_ECN: {
		static const char *const ecn[] = {"no", "ect1", "ect2", "ce"};
		NEED_IP(2);
		return put_str(p, end, ecn[ip[1] & 3]);
	}
	case IO_SF_IP_TTL: NEED_IP(9); return put_u(p, end, ip[8]);
	case IO_SF_IP_FRAG: {
		NEED_IP(8);
		uint16_t off = io_rd16(ip + 6);
		const char *c = (off & (IO_IP_MF | IO_IP_OFFMASK)) ? ((off & IO_IP_OFFMASK) ? "f" : "F") : (off & IO_IP_DF) ? "!" : ".";
		return put_str(p, end, c);
	}
	case IO_SF_IP_FRAGOFF: {
		NEED_IP(8);
		uint16_t off = io_rd16(ip + 6);
		p = put_u(p, end, (uint32_t)(off & IO_IP_OFFMASK) << 3);
		if (off & IO_IP_MF)
			p = put_str(p, end, "+");
		if (off & IO_IP_DF)
			p = put_str(p, end, "!");
		return p;
	}
	case IO_SF_IP_ID: NEED_IP(6); return put_u(p, end, io_rd16(ip + 4));
	case IO_SF_IP_SUM: NEED_IP(12); return put_u(p, end, io_rd16(ip + 10));
	case IO_SF_IP_PROTO:
		NEED_IP(10);
		switch (ip[9]) {
		case 6: return put_str(p, end, "T");
		case 17: return put_str(p, end, "U");
		case 1: return put_str(p, end, "I");
		default: return put_u(p, end, ip[9]);
		}
	case IO_SF_IP_HL: NEED_IP(1); return put_u(p, end, d->hl);
	case IO_SF_IP_LEN: return put_u(p, end, ip ? io_rd16(ip + 2) : d->plen - d->tailpad);
	case IO_SF_IP_CAPTURE_LEN: {
		uint32_t allow = ip ? netlen : d->plen - d->tailpad;
		uint32_t len = ip ? io_rd16(ip + 2) : allow;
		return put_u(p, end, len < allow ? len : allow);
	}
	case IO_SF_SPORT:
	case IO_SF_DPORT: {
		int need = f == IO_SF_DPORT ? 4 : 2;
		if (!ip || netlen <= d->hl || !io_firstfrag(ip) || !io_has_ports(ip[9]) || tlen < need)
			goto missing;
		return put_u(p, end, io_rd16(th + (f == IO_SF_DPORT ? 2 : 0)));
	}
	case IO_SF_TCP_SEQ: NEED_T(d->tcp, 8); return put_u(p, end, io_rd32(th + 4));
	case IO_SF_TCP_ACK: NEED_T(d->tcp, 12); return put_u(p, end, io_rd32(th + 8));
	case IO_SF_TCP_OFF: NEED_T(d->tcp, 13); return put_u(p, end, (uint32_t)(th[12] >> 4) << 2);
	case IO_SF_TCP_FLAGS: {
		NEED_T(d->tcp, 14);
		uint32_t v = th[13] | (uint32_t)(th[12] & 15) << 8;
		if (v == 0x18)
			return put_str(p, end, "PA");
		if (v == 0x10)
			return put_str(p, end, "A");
		if (v == 0)
			return put_str(p, end, ".");
		for (int b = 0; b < 9; b++)
			if ((v & (1u << b)) && p < end)
				*p++ = io_tcp_flag_letters[b];
		return p;
	}
	case IO_SF_TCP_WINDOW: NEED_T(d->tcp, 16); return put_u(p, end, io_rd16(th + 14));
	case IO_SF_TCP_URP: NEED_T(d->tcp, 20); return put_u(p, end, io_rd16(th + 18));
	case IO_SF_UDP_LEN: NEED_T(d->udp, 6); return put_u(p, end, io_rd16(th + 4));
	case IO_SF_ICMP_TYPE: NEED_T(d->icmp, 1); return put_u(p, end, th[0]);
	case IO_SF_ICMP_CODE: NEED_T(d->icmp, 2); return put_u(p, end, th[1]);
	case IO_SF_PAYLOAD_LEN:
	case IO_SF_PAYLOAD: {
		uint32_t off, len;
		payload_info(d, &off, &len);
		if (f == IO_SF_PAYLOAD_LEN)
			return put_u(p, end, len);
		if (len && off >= d->plen)
			goto missing;
		uint32_t dlen = d->plen - d->tailpad;
		if (off >= dlen)
			len = 0;
		else if (len > dlen - off)
			len = dlen - off;
		return p + io_quote_to(p, (size_t)(end - p), d->data + off, len);
	}
	case IO_SF_COUNT: return put_str(p, end, "1");
	case IO_SF_LINK:
	case IO_SF_PAINT: return put_u(p, end, a->paint);
	case IO_SF_DIRECTION:
		if (a->paint < 2)
			return put_str(p, end, a->paint ? "<" : ">");
		return put_u(p, end, a->paint);
	case IO_SF_AGGREGATE: return put_u(p, end, a->aggregate);
	case IO_SF_WIRE_LEN: return put_u(p, end, d->plen);
	}
#undef NEED_IP
#undef NEED_T
missing:
	return put_str(p, end, "-");
}
