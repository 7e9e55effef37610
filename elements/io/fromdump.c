/*
 * FromDump - reads packets from a pcap (tcpdump -w) file through libpcap
 * and pushes them out, optionally paced by their timestamps.  A task: the
 * file is read on the worker that runs it, at most IO_SOURCE_BURST packets a
 * call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcap/pcap.h>

#include "iosource.h"

static const char doc[] =
	"Reads packets from FILENAME, a file written by `tcpdump -w` or ToDump, and pushes them out "
	"output 0, up to 32 per task call. Each packet's timestamp annotation is set from its pcap "
	"record (nanoseconds; microsecond and nanosecond files are both read). Ethernet frames "
	"sent to a group address get the link-broadcast annotation (RT_AF_LINK_BCAST).\n\n"
	"Keyword arguments: STOP (stop the router when the file is done, or END is reached; default "
	"false), TIMING (keep the original inter-packet timing: the first packet leaves at once, "
	"later ones when their time offset has elapsed; default false), ACTIVE (default true), "
	"SAMPLE (probability 0..1 of emitting each packet, 28-bit fixed point as in Click), "
	"FORCE_IP (emit only IP packets, with the network header annotation set (and the "
	"destination address annotation for IPv4); others go to output 1 if it exists, else are "
	"dropped), START / START_AFTER (absolute time, or time after the first packet, before "
	"which packets are skipped), END / END_AFTER / INTERVAL (absolute time, time after the "
	"first packet, or time after START at which reading ends; then ACTIVE becomes false, or "
	"the router is asked to stop when STOP is true).\n\n"
	"Link types: Ethernet (1), raw IP (12, 14, 101, 228, 229), Linux cooked capture (113) and "
	"BSD loopback (0); any other link type is read as opaque frames (FORCE_IP then refuses "
	"it). Raw IP files imply FORCE_IP, as in Click: IPv4 and IPv6 packets get the network "
	"header annotation at offset 0.\n\n"
	"mboxsh differences: packets are rte_mbufs with a 2048-byte data room; a longer record is "
	"truncated to 2048 bytes and counted in `truncated` (Click keeps the whole frame). There "
	"is no extra-length annotation, so a record's original length beyond its captured length "
	"is not carried to ToDump. END_CALL, FILEPOS and MMAP are not supported; compressed files "
	"are not uncompressed.";

#define FD_SKIP 1024
#define SAMPLING_SHIFT 28

struct fromdump {
	struct io_source src;  /* first: the shared handlers find it at e->state */
	bool force_ip;
	double sample;
	uint64_t start, start_after, end, end_after, interval;

	/* set up by init */
	pcap_t *pc;
	int dlt;
	uint32_t sample_fixed;

	/* worker-owned reading state */
	uint64_t rng;
	bool have_first, first_rel;
	bool last_rel, last_interval;
	uint64_t first_time;

	/* shared with the control thread (atomics) */
	bool have_last;
	uint64_t last_time;
	int64_t packet_filepos;
	int64_t seek_req;          /* -1: none */
	bool reset_timing_req;
};
_Static_assert(offsetof(struct fromdump, src) == 0, "struct io_source must come first");

static const struct el_arg args[] = {
	{"FILENAME", EL_T_STRING, offsetof(struct fromdump, src.filename), NULL, EL_ARG_POS | EL_ARG_REQ, "pcap file ('-': standard input)"},
	{"TIMING", EL_T_BOOL, offsetof(struct fromdump, src.timing), "false", EL_ARG_POS, "keep the original packet timing"},
	{"STOP", EL_T_BOOL, offsetof(struct fromdump, src.stop), "false", 0, "stop the router when done"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct fromdump, src.active), "true", 0, "start active"},
	{"SAMPLE", EL_T_DOUBLE, offsetof(struct fromdump, sample), "1", 0, "sampling probability"},
	{"FORCE_IP", EL_T_BOOL, offsetof(struct fromdump, force_ip), "false", 0, "emit only IP packets"},
	{"START", EL_T_TIME, offsetof(struct fromdump, start), NULL, 0, "absolute start time"},
	{"START_AFTER", EL_T_TIME, offsetof(struct fromdump, start_after), NULL, 0, "start time after the first packet"},
	{"END", EL_T_TIME, offsetof(struct fromdump, end), NULL, 0, "absolute end time"},
	{"END_AFTER", EL_T_TIME, offsetof(struct fromdump, end_after), NULL, 0, "end time after the first packet"},
	{"INTERVAL", EL_T_TIME, offsetof(struct fromdump, interval), NULL, 0, "end time after the start"},
	EL_ARGS_END,
};

static bool dlt_is_raw(int dlt) { return dlt == 12 || dlt == 14 || dlt == 101 || dlt == 228 || dlt == 229; }

static bool dlt_force_ipable(int dlt) { return dlt_is_raw(dlt) || dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_NULL; }

static const char *dlt_name(int dlt, char *buf, size_t len)
{
	if (dlt_is_raw(dlt))
		return "IP";
	switch (dlt) {
	case DLT_EN10MB: return "ETHER";
	case DLT_LINUX_SLL: return "SLL";
	case DLT_NULL: return "NULL";
	case DLT_FDDI: return "FDDI";
	}
	snprintf(buf, len, "#%d", dlt);
	return buf;
}

/* Check and resolve the time and sampling arguments (Click's configure). */
static int fd_setup(struct el *e, struct rt_err *err)
{
	struct fromdump *s = e->state;
	if (el_arg_given(e, "START") && el_arg_given(e, "START_AFTER"))
		return rt_errf(err, &e->loc, -EINVAL, "%s: START and START_AFTER are mutually exclusive", e->name);
	if (el_arg_given(e, "END") + el_arg_given(e, "END_AFTER") + el_arg_given(e, "INTERVAL") > 1)
		return rt_errf(err, &e->loc, -EINVAL, "%s: END, END_AFTER, and INTERVAL are mutually exclusive", e->name);
	if (!(s->sample >= 0))
		return rt_errf(err, &e->loc, -EINVAL, "%s: SAMPLE: expected a probability between 0 and 1", e->name);
	if (s->sample > 1)
		s->sample = 1; /* Click warns "SAMPLE probability reduced to 1" */
	s->sample_fixed = (uint32_t)(s->sample * (double)(1u << SAMPLING_SHIFT) + 0.5);
	s->have_first = el_arg_given(e, "START") || el_arg_given(e, "START_AFTER");
	s->first_time = el_arg_given(e, "START") ? s->start : s->start_after;
	s->first_rel = !el_arg_given(e, "START");
	s->have_last = true;
	if (el_arg_given(e, "END")) {
		s->last_time = s->end;
	} else if (el_arg_given(e, "END_AFTER")) {
		s->last_time = s->end_after;
		s->last_rel = true;
	} else if (el_arg_given(e, "INTERVAL")) {
		s->last_time = s->interval;
		s->last_interval = true;
	} else {
		s->have_last = false;
	}
	s->src.end_deactivates = s->have_last; /* END given: at the end, `active` becomes false */
	s->seek_req = -1;
	return 0;
}

static int fd_init(struct el *e, struct rt_err *err)
{
	struct fromdump *s = e->state;
	char ebuf[PCAP_ERRBUF_SIZE];
	ebuf[0] = 0;
	if (fd_setup(e, err) < 0)
		return err->code;
	s->pc = pcap_open_offline_with_tstamp_precision(s->src.filename, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!s->pc)
		return rt_errf(err, &e->loc, -ENOENT, "%s: %s", e->name, ebuf);
	s->dlt = pcap_datalink(s->pc);
	if (s->force_ip && !dlt_force_ipable(s->dlt))
		return rt_errf(err, &e->loc, -EINVAL, "%s: %s: unknown linktype %d; can't force IP packets", e->name,
			       s->src.filename, s->dlt);
	if (dlt_is_raw(s->dlt))
		s->force_ip = true;
	s->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)s ^ rt_now_ns();
	s->src.f = pcap_file(s->pc);
	s->src.filepos = s->src.f ? ftell(s->src.f) : -1;
	return 0;
}

static void fd_cleanup(struct el *e)
{
	struct fromdump *s = e->state;
	io_source_cleanup(&s->src);
	if (s->pc)
		pcap_close(s->pc);
	s->pc = NULL;
	s->src.f = NULL;
}

static inline uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Click's prepare_times: relative START/END become absolute at the first
 * packet read, and TIMING's offset is taken there. */
static void prepare_times(struct fromdump *s, uint64_t ts)
{
	if (s->first_rel)
		s->first_time += ts;
	if (s->last_rel)
		__atomic_store_n(&s->last_time, s->last_time + ts, __ATOMIC_RELAXED);
	else if (s->last_interval)
		__atomic_store_n(&s->last_time, s->last_time + s->first_time, __ATOMIC_RELAXED);
	s->first_rel = s->last_rel = s->last_interval = false;
	if (s->src.timing)
		s->src.timing_off = rt_now_ns() - ts;
	s->src.have_times = true;
}

static void fd_prepare_times(struct io_source *src, uint64_t ts, uint64_t now)
{
	prepare_times((struct fromdump *)src, ts);
}

/* Read the next packet to emit into an mbuf; NULL at the end of the trace,
 * or (eof still false: retry later) when the pool is empty or many
 * records were skipped. */
static struct rte_mbuf *fd_read(struct el *e, struct io_source *src)
{
	struct fromdump *s = (struct fromdump *)src;
	struct io_source_pw *pw = el_pw(e);
	struct rte_mbuf *m = rte_pktmbuf_alloc(rt_router_pool(e->router));
	if (!m)
		return NULL;
	FILE *f = src->f;
	/* records skipped by START or SAMPLE: at most FD_SKIP per call */
	for (int skipped = 0; skipped < FD_SKIP; skipped++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int64_t pos = f ? ftell(f) : -1;
		if (pcap_next_ex(s->pc, &h, &data) != 1) {
			src->eof = true; /* end of file, or a truncated record */
			break;
		}
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
		if (!src->have_times)
			prepare_times(s, ts);
		if (s->have_first) {
			if (ts < s->first_time)
				continue;
			s->have_first = false;
		}
		if (__atomic_load_n(&s->have_last, __ATOMIC_RELAXED) && ts >= __atomic_load_n(&s->last_time, __ATOMIC_RELAXED)) {
			/* END reached: this packet is skipped; extend_interval may
			 * reactivate reading from the next one */
			__atomic_store_n(&s->have_last, false, __ATOMIC_RELAXED);
			__atomic_store_n(&src->active, false, __ATOMIC_RELAXED);
			if (src->stop)
				rt_router_please_stop(e->router);
			break;
		}
		if (s->sample_fixed < (1u << SAMPLING_SHIFT) &&
		    (uint32_t)(xorshift(&s->rng) & ((1u << SAMPLING_SHIFT) - 1)) >= s->sample_fixed)
			continue;
		uint32_t len = h->caplen;
		uint32_t room = rte_pktmbuf_tailroom(m);
		if (len > room) {
			len = room;
			pw->truncated++;
		}
		rt_anno_reset(m);
		rt_anno(m)->timestamp = ts;
		rte_memcpy(rte_pktmbuf_mtod(m, void *), data, len);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		if (s->dlt == DLT_EN10MB)
			rt_anno_link_from_ether(m);
		__atomic_store_n(&s->packet_filepos, pos, __ATOMIC_RELAXED);
		return m;
	}
	rte_pktmbuf_free(m);
	return NULL;
}

static inline bool ip_ethertype(const uint8_t *p) { return (p[0] == 0x08 && p[1] == 0x00) || (p[0] == 0x86 && p[1] == 0xdd); }

/* Click's fake_pcap_force_ip: find the IP header behind the link header,
 * check it, and set the network header (and dst_ip for IPv4). */
static bool fd_force_ip(int dlt, struct rte_mbuf *m)
{
	const uint8_t *d = rt_data(m);
	uint32_t len = rt_len(m);
	int off = -1;
	if (dlt_is_raw(dlt)) {
		off = 0;
	} else if (dlt == DLT_EN10MB) {
		if (len >= 14 && ip_ethertype(d + 12))
			off = 14;
		else if (len >= 18 && d[12] == 0x81 && d[13] == 0x00 && ip_ethertype(d + 16))
			off = 18;
	} else if (dlt == DLT_LINUX_SLL) {
		if (len >= 16 && ip_ethertype(d + 14))
			off = 16;
	} else if (dlt == DLT_NULL) {
		if (len >= 4) {
			int family = d[0] | (d[1] << 8);
			if (family == 0)
				family = (d[2] << 8) | d[3];
			if (family == 2 || family == 24 || family == 28 || family == 30)
				off = 4;
		}
	}
	if (off < 0 || (uint32_t)off >= len)
		return false;
	const uint8_t *ip = d + off;
	uint32_t left = len - (uint32_t)off;
	if ((ip[0] >> 4) == 4) {
		uint32_t hl = (uint32_t)(ip[0] & 15) << 2;
		if (hl < 20 || left < hl)
			return false;
		rt_set_nh(m, (uint32_t)off);
		memcpy(&rt_anno(m)->dst_ip, ip + 16, 4);
		return true;
	}
	if ((ip[0] >> 4) == 6 && left >= 40) {
		rt_set_nh(m, (uint32_t)off);
		return true;
	}
	return false;
}

static bool fd_keep(struct io_source *src, struct rte_mbuf *m)
{
	const struct fromdump *s = (const struct fromdump *)src;
	return !s->force_ip || fd_force_ip(s->dlt, m);
}

static const struct io_source_ops fd_ops = {
	.read = fd_read,
	.prepare_times = fd_prepare_times,
	.keep = fd_keep,
	.stop_deactivates = true,
};

static void fd_requests(struct fromdump *s)
{
	int64_t pos = __atomic_exchange_n(&s->seek_req, -1, __ATOMIC_ACQ_REL);
	if (pos >= 0) {
		FILE *f = s->src.f;
		if (s->src.pending) {
			rte_pktmbuf_free(s->src.pending);
			s->src.pending = NULL;
		}
		if (f && fseek(f, pos, SEEK_SET) == 0) {
			clearerr(f);
			s->src.eof = s->src.end_done = false;
		}
	}
	if (__atomic_exchange_n(&s->reset_timing_req, false, __ATOMIC_ACQ_REL))
		s->src.have_times = false;
}

static int fd_run(struct el_node *n)
{
	struct fromdump *s = n->state;
	if (__atomic_load_n(&s->seek_req, __ATOMIC_RELAXED) >= 0 || __atomic_load_n(&s->reset_timing_req, __ATOMIC_RELAXED))
		fd_requests(s);
	return io_source_run(n, &fd_ops);
}

enum { H_ENCAP = IO_SOURCE_H_NEXT, H_PACKET_FILEPOS, H_EXTEND, H_RESET_TIMING, H_SAMPLING };

static int fd_read_h(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct fromdump *s = e->state;
	char tmp[32];
	switch (what) {
	case H_ENCAP: rt_buf_puts(out, dlt_name(s->dlt, tmp, sizeof(tmp))); return 0;
	case H_PACKET_FILEPOS:
		rt_buf_printf(out, "%lld", (long long)__atomic_load_n(&s->packet_filepos, __ATOMIC_RELAXED));
		return 0;
	case H_SAMPLING: rt_buf_printf(out, "%.9g", (double)s->sample_fixed / (double)(1u << SAMPLING_SHIFT)); return 0;
	}
	return io_source_read_h(e, what, out);
}

static int fd_write_h(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct fromdump *s = e->state;
	switch (what) {
	case IO_SOURCE_H_FILEPOS: {
		int64_t pos;
		if (el_parse_value(EL_T_INT, v, &pos, err) < 0)
			return err->code;
		if (pos < 0)
			return rt_errf(err, NULL, -EINVAL, "filepos must be a file offset");
		__atomic_store_n(&s->seek_req, pos, __ATOMIC_RELEASE);
		return 0;
	}
	case H_EXTEND: {
		uint64_t t;
		if (el_parse_value(EL_T_TIME, v, &t, err) < 0)
			return rt_errf(err, NULL, -EINVAL, "'extend_interval' takes a time interval");
		__atomic_store_n(&s->last_time, __atomic_load_n(&s->last_time, __ATOMIC_RELAXED) + t, __ATOMIC_RELAXED);
		if (s->src.stop || s->src.end_deactivates) {
			__atomic_store_n(&s->have_last, true, __ATOMIC_RELEASE);
			__atomic_store_n(&s->src.active, true, __ATOMIC_RELEASE);
		}
		return 0;
	}
	case H_RESET_TIMING:
		__atomic_store_n(&s->reset_timing_req, true, __ATOMIC_RELEASE);
		return 0;
	}
	return io_source_write_h(e, what, v, err);
}

static const struct el_handler handlers[] = {
	{"count", io_source_read_h, NULL, IO_SOURCE_H_COUNT, 0, "packets emitted"},
	{"reset_counts", NULL, io_source_write_h, IO_SOURCE_H_RESET, EL_H_BUTTON, "reset count"},
	{"active", io_source_read_h, io_source_write_h, IO_SOURCE_H_ACTIVE, 0, "whether packets are emitted"},
	{"encap", fd_read_h, NULL, H_ENCAP, 0, "the file's link type: ETHER, IP, SLL, NULL or #N"},
	{"filename", io_source_read_h, NULL, IO_SOURCE_H_FILENAME, 0, "the file name"},
	{"filesize", io_source_read_h, NULL, IO_SOURCE_H_FILESIZE, 0, "file length in bytes, '-' if unknown"},
	{"filepos", io_source_read_h, fd_write_h, IO_SOURCE_H_FILEPOS, 0, "position in the file (write: seek there)"},
	{"packet_filepos", fd_read_h, NULL, H_PACKET_FILEPOS, 0, "file position of the last packet read"},
	{"stop", NULL, io_source_write_h, IO_SOURCE_H_STOP, EL_H_BUTTON, "deactivate and ask the router to stop"},
	{"extend_interval", NULL, fd_write_h, H_EXTEND, 0, "move END later by a time interval and reactivate"},
	{"reset_timing", NULL, fd_write_h, H_RESET_TIMING, EL_H_BUTTON, "restart TIMING from the next packet"},
	{"sampling_prob", fd_read_h, NULL, H_SAMPLING, 0, "the sampling probability actually used"},
	{"truncated", io_source_read_h, NULL, IO_SOURCE_H_TRUNCATED, 0, "records cut to the 2048-byte mbuf data room"},
	EL_HANDLERS_END,
};

static struct el_class fromdump = {
	.name = "FromDump",
	.sig = "FromDump(FILENAME [, TIMING, KEYWORDS])",
	.summary = "reads packets from a tcpdump file",
	.doc = doc,
	.ports = "0/1-2",
	.state_size = sizeof(struct fromdump),
	.pw_size = sizeof(struct io_source_pw),
	.args = args,
	.init = fd_init,
	.cleanup = fd_cleanup,
	.run = fd_run,
	.handlers = handlers,
};
EL_REGISTER(fromdump)
