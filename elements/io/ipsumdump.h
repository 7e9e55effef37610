/*
 * ipsumdump.h - the fields of Click's IP summary dump text format, shared by
 * ToIPSummaryDump (packet -> text) and FromIPSummaryDump (text -> packet).
 *
 * A field has a canonical name ("ip_src"), synonyms ("src", "length" ...)
 * resolved as Click does (synonym table, then spaces to underscores, then an
 * "ip_" prefix), a text form, and an injection order used when building a
 * packet (annotations, then IP, then transport, then payload).
 *
 * Thread-safety: pure functions on caller-owned descriptors; nothing here
 * allocates, so both elements call them on the data path.
 */
#ifndef MB_IO_IPSUMDUMP_H
#define MB_IO_IPSUMDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;

enum io_sf {
	IO_SF_TIMESTAMP, IO_SF_TS_SEC, IO_SF_TS_USEC, IO_SF_TS_USEC1,
	IO_SF_IP_SRC, IO_SF_IP_DST, IO_SF_IP_TOS, IO_SF_IP_DSCP, IO_SF_IP_ECN, IO_SF_IP_TTL,
	IO_SF_IP_FRAG, IO_SF_IP_FRAGOFF, IO_SF_IP_ID, IO_SF_IP_SUM, IO_SF_IP_PROTO, IO_SF_IP_HL,
	IO_SF_IP_LEN, IO_SF_IP_CAPTURE_LEN,
	IO_SF_SPORT, IO_SF_DPORT,
	IO_SF_TCP_SEQ, IO_SF_TCP_ACK, IO_SF_TCP_OFF, IO_SF_TCP_FLAGS, IO_SF_TCP_WINDOW, IO_SF_TCP_URP,
	IO_SF_UDP_LEN, IO_SF_ICMP_TYPE, IO_SF_ICMP_CODE,
	IO_SF_PAYLOAD, IO_SF_PAYLOAD_LEN,
	IO_SF_COUNT, IO_SF_LINK, IO_SF_PAINT, IO_SF_DIRECTION, IO_SF_AGGREGATE, IO_SF_WIRE_LEN,
	IO_SF__N
};

#define IO_SF_MAX_FIELDS 64

/* Field id of a name (synonyms and Click's fallbacks applied), or -1. */
int io_sf_find(const char *name, size_t len);
const char *io_sf_name(int f);
/* Parse a space-separated list (quoted names allowed).  Returns the number
 * of fields, or -1 with [*bad, *bad + *badlen) the unknown word. */
int io_sf_parse_list(const char *s, int *fields, int max, const char **bad, size_t *badlen);
/* Sort field indexes 0..n-1 by injection order (stable). */
void io_sf_order(const int *fields, int n, int *order);

/* ---- packet -> text --------------------------------------------------- */

/* What ToIPSummaryDump knows about one packet (Click's PacketDesc). */
struct io_pdesc {
	const struct rte_mbuf *m;
	const uint8_t *data;
	uint32_t plen;        /* packet length */
	uint32_t tailpad;     /* bytes past the IP length (link padding) */
	const uint8_t *iph;   /* valid IPv4 header, or NULL */
	uint32_t noff;        /* network header offset from data */
	uint32_t hl;          /* IP header length in bytes */
	bool tcp, udp, icmp;  /* transport header usable */
};

/* Find and check the IP header: the network header annotation, or offset
 * 0 when there is none. */
void io_sf_prepare(struct io_pdesc *d, const struct rte_mbuf *m);
/* Append one field's text (or "-" when it does not apply) at p, never
 * past end; returns the new end of text. */
char *io_sf_out(const struct io_pdesc *d, int f, char *p, char *end);

/* ---- text -> packet --------------------------------------------------- */

struct io_flowid {
	uint32_t src, dst;      /* network order */
	uint16_t sport, dport;  /* host order */
};

/* A packet being built from one dump line (Click's PacketOdesc).  The IP
 * header is at offset 0 of buf. */
struct io_odesc {
	uint8_t *buf;
	uint32_t len, cap;
	bool zero;
	bool have_ip, have_ip_hl;
	int default_proto;
	const struct io_flowid *flowid;   /* NULL: none */
	int minor_version;
	uint32_t want_len;
	bool overflow;                    /* something did not fit in cap */
	/* annotations */
	uint64_t ts;
	uint32_t paint, aggregate;
};

void io_sf_build_begin(struct io_odesc *o, uint8_t *buf, uint32_t cap, bool zero, int default_proto,
		       const struct io_flowid *flowid, int minor_version);
/* Parse a field's text and apply it.  scratch (of scratch_cap bytes) holds
 * an unquoted payload.  Returns false when the text is not a valid value. */
bool io_sf_in(struct io_odesc *o, int f, const char *s, size_t n, uint8_t *scratch, size_t scratch_cap);
/* Complete the packet: default IP header and ports, IP and UDP lengths,
 * zero padding up to the IP length, checksums when asked.  Returns the
 * packet length (0 when no IP header was made and nothing was set). */
uint32_t io_sf_build_end(struct io_odesc *o, bool checksum);

/* ---- byte helpers shared by ipsumdump.c and ipsumdump_build.c ---------- */

static inline uint16_t io_rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t io_rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void io_wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static inline void io_wr32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v; }

#define IO_IP_DF 0x4000
#define IO_IP_MF 0x2000
#define IO_IP_OFFMASK 0x1fff

static inline bool io_firstfrag(const uint8_t *ip) { return (io_rd16(ip + 6) & IO_IP_OFFMASK) == 0; }
static inline bool io_has_ports(int p) { return p == 6 || p == 17 || p == 33 || p == 136; }

/* Click's TCP flag letters, "FSRPAUECN" (bit 0 first). */
extern const char io_tcp_flag_letters[];

#endif
