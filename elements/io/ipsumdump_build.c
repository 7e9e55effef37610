/*
 * ipsumdump_build.c - packets from IP summary dump text (Click's
 * PacketOdesc and the fields' inject functions): a default IPv4 header and
 * transport header made on demand, field values written in injection
 * order, then lengths, padding and checksums (see ipsumdump.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "../../runtime/rt.h"
#include "iohelp.h"
#include "ipsumdump.h"

/* ---- text -> packet ------------------------------------------------------ */

void io_sf_build_begin(struct io_odesc *o, uint8_t *buf, uint32_t cap, bool zero, int default_proto,
		       const struct io_flowid *flowid, int minor_version)
{
	memset(o, 0, sizeof(*o));
	o->buf = buf;
	o->cap = cap;
	o->zero = zero;
	o->default_proto = default_proto;
	o->flowid = flowid;
	o->minor_version = minor_version;
}

/* Grow the packet by n bytes (zeroed when ZERO). */
static bool put(struct io_odesc *o, uint32_t n)
{
	if (o->len + n > o->cap) {
		o->overflow = true;
		return false;
	}
	if (o->zero)
		memset(o->buf + o->len, 0, n);
	o->len += n;
	return true;
}

static inline uint32_t hlen(const struct io_odesc *o) { return (uint32_t)(o->buf[0] & 15) << 2; }
static inline int tlen(const struct io_odesc *o) { return (int)o->len - (int)hlen(o); }

/* Click's make_ip: a default IPv4 header (TTL 100, default protocol,
 * FLOWID addresses) the first time a field needs one. */
static bool make_ip(struct io_odesc *o, int ip_p)
{
	if (!o->have_ip) {
		if (o->len < 20 && !put(o, 20 - o->len))
			return false;
		uint8_t *ip = o->buf;
		ip[0] = 0x45;
		ip[9] = (uint8_t)o->default_proto;
		io_wr16(ip + 2, 0);
		io_wr16(ip + 6, 0);
		ip[8] = 100;
		if (o->flowid) {
			memcpy(ip + 12, &o->flowid->src, 4);
			memcpy(ip + 16, &o->flowid->dst, 4);
		}
		o->have_ip = true;
	}
	return !ip_p || !o->buf[9] || o->buf[9] == ip_p;
}

/* Click's make_transp: room for the transport header the protocol needs
 * (limited by a known packet length), default ports from FLOWID. */
static bool make_transp(struct io_odesc *o)
{
	uint8_t *ip = o->buf;
	if (!io_firstfrag(ip))
		return false;
	if (tlen(o) >= 8)
		return true;
	int l;
	switch (ip[9]) {
	case 6: l = 20; break;
	case 17: case 136: l = 8; break;
	case 33: l = 12; break;
	case 1: l = 8; break;
	default: return true;
	}
	uint32_t th = hlen(o);
	if (o->want_len > 0 && o->want_len < th + (uint32_t)l)
		l = (int)o->want_len - (int)th;
	if (tlen(o) < l) {
		int xlen = l < 4 ? 4 : l;
		if (!put(o, (uint32_t)(xlen - tlen(o))))
			return false;
		if (ip[9] == 6 && l >= 13)
			o->buf[th + 12] = (uint8_t)(0x50 | (o->buf[th + 12] & 15));
		if (o->flowid) {
			io_wr16(o->buf + th, o->flowid->sport);
			io_wr16(o->buf + th + 2, o->flowid->dport);
		}
		if (xlen > l)
			o->len -= (uint32_t)(xlen - l);
	}
	return true;
}

static bool parse_uint(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	char buf[32];
	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (!isdigit((unsigned char)buf[0]))
		return false;
	char *end;
	unsigned long long x = strtoull(buf, &end, 0);
	if (*end || x > max)
		return false;
	*v = x;
	return true;
}

static bool parse_ip(const char *s, size_t n, uint32_t *a)
{
	char buf[20];
	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	return inet_pton(AF_INET, buf, a) == 1;
}

static bool parse_tcp_flags(const char *s, size_t n, uint64_t *v)
{
	if (n == 1 && *s == '.') {
		*v = 0;
		return true;
	}
	if (n && isdigit((unsigned char)*s))
		return parse_uint(s, n, 0xfff, v);
	if (!n)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		int bit;
		switch (s[i]) {
		case 'F': bit = 0; break;
		case 'S': bit = 1; break;
		case 'R': bit = 2; break;
		case 'P': bit = 3; break;
		case 'A': bit = 4; break;
		case 'U': bit = 5; break;
		case 'E': case 'X': bit = 6; break;
		case 'C': case 'W': case 'Y': bit = 7; break;
		case 'N': bit = 8; break;
		default: return false;
		}
		x |= 1u << bit;
	}
	*v = x;
	return true;
}

/* ip_frag / ip_fragoff text into the ip_off field (Click's ip_ina). */
static bool parse_frag(const struct io_odesc *o, const char *s, size_t n, uint64_t *v)
{
	if (n == 1) {
		switch (*s) {
		case '.': *v = 0; return true;
		case '!': *v = IO_IP_DF; return true;
		case 'F': *v = IO_IP_MF; return true;
		case 'f': *v = 100; return true; /* any nonzero offset */
		}
	}
	size_t i = 0;
	uint64_t x = 0;
	while (i < n && isdigit((unsigned char)s[i]))
		x = x * 10 + (uint64_t)(s[i++] - '0');
	if (!n || x > 0xffff)
		return false;
	if (o->minor_version > 0)
		x >>= 3;
	for (; i < n; i++)
		if (s[i] == '!')
			x |= IO_IP_DF;
		else if (s[i] == '+')
			x |= IO_IP_MF;
		else
			return false;
	*v = x;
	return true;
}

static bool transp_ok(struct io_odesc *o, int ip_p) { return make_ip(o, ip_p) && make_transp(o); }

/* Write the bytes at off only when they fit in the buffer (Click writes
 * header fields even past a short packet's end). */
static inline bool fits(const struct io_odesc *o, uint32_t off, uint32_t n) { return off + n <= o->cap; }

bool io_sf_in(struct io_odesc *o, int f, const char *s, size_t n, uint8_t *scratch, size_t scratch_cap)
{
	uint64_t v = 0;
	uint32_t a;
	switch (f) {
	case IO_SF_TIMESTAMP:
		if (io_parse_ts(s, n, &v) < 0)
			return false;
		o->ts = v;
		return true;
	case IO_SF_TS_SEC:
		if (!parse_uint(s, n, UINT32_MAX, &v))
			return false;
		o->ts = v * 1000000000ull + o->ts % 1000000000ull;
		return true;
	case IO_SF_TS_USEC:
		if (!parse_uint(s, n, UINT32_MAX, &v))
			return false;
		o->ts = o->ts / 1000000000ull * 1000000000ull + v * 1000;
		return true;
	case IO_SF_TS_USEC1:
		if (!parse_uint(s, n, UINT64_MAX / 1000, &v))
			return false;
		o->ts = v * 1000;
		return true;
	case IO_SF_IP_SRC:
	case IO_SF_IP_DST:
		if (!parse_ip(s, n, &a))
			return false;
		if (make_ip(o, 0))
			memcpy(o->buf + (f == IO_SF_IP_SRC ? 12 : 16), &a, 4);
		return true;
	case IO_SF_IP_TOS:
	case IO_SF_IP_TTL:
	case IO_SF_IP_DSCP:
		if (!parse_uint(s, n, 255, &v))
			return false;
		if (make_ip(o, 0)) {
			if (f == IO_SF_IP_TOS)
				o->buf[1] = (uint8_t)v;
			else if (f == IO_SF_IP_TTL)
				o->buf[8] = (uint8_t)v;
			else
				o->buf[1] = (uint8_t)((o->buf[1] & 3) | ((v << 2) & 0xfc));
		}
		return true;
	case IO_SF_IP_ECN: {
		static const char *const names[] = {"no", "ect1", "ect2", "ce"};
		int e = -1;
		if (n == 1 && *s >= '0' && *s <= '3')
			e = *s - '0';
		else if (n == 1 && *s == '-')
			e = 0;
		for (int i = 0; i < 4 && e < 0; i++)
			if (strlen(names[i]) == n && !memcmp(names[i], s, n))
				e = i;
		if (e < 0 && n == 6 && !memcmp(s, "ECT(1)", 6))
			e = 1;
		if (e < 0 && n == 6 && !memcmp(s, "ECT(0)", 6))
			e = 2;
		if (e < 0 && n == 2 && !memcmp(s, "CE", 2))
			e = 3;
		if (e < 0)
			return false;
		if (make_ip(o, 0))
			o->buf[1] = (uint8_t)((o->buf[1] & 0xfc) | e);
		return true;
	}
	case IO_SF_IP_FRAG:
	case IO_SF_IP_FRAGOFF:
		if (!parse_frag(o, s, n, &v))
			return false;
		if (make_ip(o, 0))
			io_wr16(o->buf + 6, (uint32_t)v);
		return true;
	case IO_SF_IP_ID:
	case IO_SF_IP_SUM:
		if (!parse_uint(s, n, 0xffff, &v))
			return false;
		if (make_ip(o, 0))
			io_wr16(o->buf + (f == IO_SF_IP_ID ? 4 : 10), (uint32_t)v);
		return true;
	case IO_SF_IP_PROTO:
		if (n == 1 && *s == 'T')
			v = 6;
		else if (n == 1 && *s == 'U')
			v = 17;
		else if (n == 1 && *s == 'I')
			v = 1;
		else if (!parse_uint(s, n, 255, &v))
			return false;
		if (make_ip(o, 0))
			o->buf[9] = (uint8_t)v;
		return true;
	case IO_SF_IP_HL:
		if (!parse_uint(s, n, 60, &v))
			return false;
		if (make_ip(o, 0)) {
			o->have_ip_hl = true;
			v = (v + 3) & ~3ull;
			if (v > hlen(o)) {
				uint32_t more = (uint32_t)v - hlen(o);
				if (!put(o, more))
					return true;
				memset(o->buf + o->len - more, 0, more); /* IPOPT_EOL */
			}
			if (v >= 20)
				o->buf[0] = (uint8_t)(0x40 | (v >> 2));
		}
		return true;
	case IO_SF_IP_LEN:
		if (!parse_uint(s, n, UINT32_MAX, &v))
			return false;
		if (make_ip(o, 0))
			o->want_len = (uint32_t)v;
		return true;
	case IO_SF_IP_CAPTURE_LEN:
		return parse_uint(s, n, UINT32_MAX, &v); /* ignored on input, as in Click */
	case IO_SF_SPORT:
	case IO_SF_DPORT:
		if (!parse_uint(s, n, 0xffff, &v))
			return false;
		if (transp_ok(o, 0) && (!o->buf[9] || io_has_ports(o->buf[9]))) {
			uint32_t off = hlen(o) + (f == IO_SF_DPORT ? 2 : 0);
			if (fits(o, off, 2))
				io_wr16(o->buf + off, (uint32_t)v);
		}
		return true;
	case IO_SF_TCP_SEQ:
	case IO_SF_TCP_ACK:
	case IO_SF_TCP_WINDOW:
	case IO_SF_TCP_URP:
	case IO_SF_TCP_FLAGS:
	case IO_SF_TCP_OFF: {
		if (f == IO_SF_TCP_FLAGS) {
			if (!parse_tcp_flags(s, n, &v))
				return false;
		} else if (!parse_uint(s, n, (f == IO_SF_TCP_SEQ || f == IO_SF_TCP_ACK) ? UINT32_MAX : 0xffff, &v)) {
			return false;
		}
		if (!transp_ok(o, 6))
			return true;
		uint32_t th = hlen(o);
		if (!fits(o, th, 20))
			return true;
		uint8_t *t = o->buf + th;
		switch (f) {
		case IO_SF_TCP_SEQ: io_wr32(t + 4, (uint32_t)v); break;
		case IO_SF_TCP_ACK: io_wr32(t + 8, (uint32_t)v); break;
		case IO_SF_TCP_WINDOW: io_wr16(t + 14, (uint32_t)v); break;
		case IO_SF_TCP_URP: io_wr16(t + 18, (uint32_t)v); break;
		case IO_SF_TCP_FLAGS:
			t[13] = (uint8_t)v;
			t[12] = (uint8_t)((t[12] & 0xf0) | ((v >> 8) & 15));
			break;
		case IO_SF_TCP_OFF:
			v = (v + 3) & ~3ull;
			if (v > 60)
				return false;
			if (v > (uint32_t)(t[12] >> 4) << 2) {
				uint32_t more = (uint32_t)v - ((uint32_t)(t[12] >> 4) << 2);
				if (!put(o, more))
					return true;
				memset(o->buf + o->len - more, 0, more); /* TCPOPT_EOL */
			}
			t[12] = (uint8_t)((v >> 2) << 4 | (t[12] & 15));
			break;
		}
		return true;
	}
	case IO_SF_UDP_LEN:
		if (!parse_uint(s, n, 0xffff, &v))
			return false;
		if (transp_ok(o, 0) && (!o->buf[9] || o->buf[9] == 17 || o->buf[9] == 136)) {
			if (tlen(o) < 8 && !put(o, (uint32_t)(8 - tlen(o))))
				return true;
			io_wr16(o->buf + hlen(o) + 4, (uint32_t)v);
		}
		return true;
	case IO_SF_ICMP_TYPE:
	case IO_SF_ICMP_CODE:
		if (!parse_uint(s, n, 255, &v))
			return false;
		if (transp_ok(o, 1) && fits(o, hlen(o), 2))
			o->buf[hlen(o) + (f == IO_SF_ICMP_CODE)] = (uint8_t)v;
		return true;
	case IO_SF_PAYLOAD:
	case IO_SF_PAYLOAD_LEN: {
		uint32_t plen;
		const uint8_t *pl = NULL;
		if (f == IO_SF_PAYLOAD) {
			if (!n || (*s != '"' && *s != '\''))
				return false;
			plen = (uint32_t)io_unquote_to(scratch, scratch_cap, s, n);
			pl = scratch;
		} else {
			if (!parse_uint(s, n, 0xffff, &v))
				return false;
			plen = (uint32_t)v;
		}
		if (make_ip(o, 0))
			make_transp(o);
		/* payload offset: after the transport header (Click's payload_info) */
		uint32_t off = hlen(o);
		if (io_firstfrag(o->buf)) {
			if (o->buf[9] == 6)
				off += (tlen(o) >= 13 && (o->buf[off + 12] >> 4) >= 5) ? (uint32_t)(o->buf[off + 12] >> 4) << 2 : 20;
			else if (o->buf[9] == 17 || o->buf[9] == 136)
				off += 8;
		}
		if (io_rd16(o->buf + 2) == 0 && o->want_len == 0)
			o->want_len = off + plen;
		if (pl) {
			if (o->len < off + plen && !put(o, off + plen - o->len))
				return true;
			memcpy(o->buf + off, pl, plen);
		}
		return true;
	}
	case IO_SF_COUNT:
		return parse_uint(s, n, UINT32_MAX, &v); /* no multipacket support */
	case IO_SF_LINK:
	case IO_SF_PAINT:
	case IO_SF_DIRECTION:
		if (n == 1 && *s == '>')
			v = 0;
		else if (n == 1 && *s == '<')
			v = 1;
		else if (!parse_uint(s, n, 255, &v))
			return false;
		o->paint = (uint32_t)v;
		return true;
	case IO_SF_AGGREGATE:
		if (!parse_uint(s, n, UINT32_MAX, &v))
			return false;
		o->aggregate = (uint32_t)v;
		return true;
	case IO_SF_WIRE_LEN:
		if (!parse_uint(s, n, UINT32_MAX, &v))
			return false;
		o->want_len = (uint32_t)v;
		return true;
	}
	return false;
}

uint32_t io_sf_build_end(struct io_odesc *o, bool checksum)
{
	if (o->flowid)
		make_ip(o, 0);
	if (!o->have_ip) {
		if (o->want_len > o->len && o->want_len <= o->cap)
			put(o, o->want_len - o->len);
		return o->len;
	}
	make_transp(o);
	uint8_t *ip = o->buf;
	uint32_t ip_len = io_rd16(ip + 2);
	if (!ip_len) {
		ip_len = o->want_len;
		if (ip_len > 0xffff)
			ip_len = 0xffff;
		else if (ip_len == 0)
			ip_len = o->len;
		io_wr16(ip + 2, ip_len);
	}
	uint32_t hl = hlen(o);
	if (ip[9] == 17 && io_firstfrag(ip) && fits(o, hl, 8) && io_rd16(ip + hl + 4) == 0)
		io_wr16(ip + hl + 4, ip_len - hl);
	/* mboxsh has no extra-length annotation: the packet is padded to its
	 * IP length (Click does that only with CHECKSUM true) */
	uint32_t want = RT_MAX(ip_len, o->want_len);
	if (want > o->len) {
		if (want > o->cap) {
			o->overflow = true;
			want = o->cap;
		}
		put(o, want - o->len);
	}
	if (checksum && ip_len <= o->len && ip_len >= hl) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;
		h->hdr_checksum = 0;
		h->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, hl);
		uint32_t tl = ip_len - hl;
		uint8_t *t = ip + hl;
		uint16_t *sum = NULL;
		if ((io_rd16(ip + 6) & (IO_IP_MF | IO_IP_OFFMASK)) == 0) {
			if (ip[9] == 6 && fits(o, hl + 16, 2))
				sum = (uint16_t *)(t + 16);
			else if (ip[9] == 17 && fits(o, hl + 6, 2))
				sum = (uint16_t *)(t + 6);
			else if (ip[9] == 1 && fits(o, hl + 2, 2))
				sum = (uint16_t *)(t + 2);
		}
		if (sum) {
			*sum = 0;
			if (ip[9] == 1) {
				*sum = (uint16_t)~rte_raw_cksum(t, tl);
			} else {
				/* pseudo header over the transport length, as Click */
				uint32_t c = rte_raw_cksum(ip + 12, 8);
				c += htons(ip[9]) + htons((uint16_t)tl);
				c += rte_raw_cksum(t, tl);
				c = (c & 0xffff) + (c >> 16);
				c = (c & 0xffff) + (c >> 16);
				*sum = (uint16_t)~c;
				if (ip[9] == 17 && *sum == 0)
					*sum = 0xffff;
			}
		}
	}
	return o->len;
}
