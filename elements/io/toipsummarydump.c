/*
 * ToIPSummaryDump - writes one text line per packet (Click's IP summary dump
 * format) and passes packets on to its output if it has one.  Lines are
 * formatted into a buffer in the element's state, under a spinlock shared
 * by the workers that push into it; the file is flushed after each batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <rte_spinlock.h>

#include "../../runtime/router.h"
#include "iohelp.h"
#include "ipsumdump.h"

static const char doc[] =
	"Writes a summary of each incoming packet to FILENAME (`-`: standard output), one line "
	"per packet, in Click's IP summary dump format, and pushes the packet to its output if "
	"it has one.\n\n"
	"FIELDS (or CONTENTS) is a space-separated list of fields; default `timestamp ip_src`. "
	"Fields: timestamp (ts), ts_sec, ts_usec, ts_usec1, ip_src (src), ip_dst (dst), ip_tos, "
	"ip_dscp, ip_ecn, ip_ttl, ip_frag, ip_fragoff, ip_id, ip_sum, ip_proto (proto: T, U, I or "
	"a number), ip_hl, ip_len (len, length), ip_capture_len, sport, dport, tcp_seq, tcp_ack, "
	"tcp_off, tcp_flags (letters FSRPAUECN; `.` for none), tcp_window, tcp_urp, udp_len, "
	"icmp_type, icmp_code, payload (a quoted string), payload_len, count, link, paint, "
	"direction, aggregate, wire_len. A field that does not apply prints `-`. Names follow "
	"Click: a name without an underscore also matches `ip_NAME`, and spaces may replace "
	"underscores.\n\n"
	"With HEADER true (default) the file starts with `!IPSummaryDump 1.3`, then "
	"`!creator \"BANNER\"` when BANNER is given, `!host` and `!runtime` lines when VERBOSE "
	"is true, and `!data FIELDS`.\n\n"
	"The IP header is found through the network header annotation, or at offset 0 when the "
	"packet has none (Click prints `-` for such packets). Timestamps print with microsecond "
	"precision. The file is flushed after every batch. mboxsh differences: BINARY and "
	"BAD_PACKETS are not supported; MULTIPACKET, CAREFUL_TRUNC and EXTRA_LENGTH are accepted "
	"but change nothing (there are no extra-length or extra-packets annotations).";

#define TIPS_LINE_CAP 20480

struct tips_pw {
	uint64_t count;
};

struct tips {
	char *filename, *fields_arg, *contents_arg, *banner;
	bool header, verbose, multipacket, careful_trunc, extra_length, binary;
	/* runtime */
	int fields[IO_SF_MAX_FIELDS];
	int nfields;
	FILE *f;
	bool own_file;
	rte_spinlock_t lock;
	uint64_t base;
	char line[TIPS_LINE_CAP];
};

static const struct el_arg args[] = {
	{"FILENAME", EL_T_STRING, offsetof(struct tips, filename), NULL, EL_ARG_POS | EL_ARG_REQ, "output file ('-': standard output)"},
	{"FIELDS", EL_T_STRING, offsetof(struct tips, fields_arg), NULL, 0, "space-separated field names"},
	{"CONTENTS", EL_T_STRING, offsetof(struct tips, contents_arg), NULL, 0, "same as FIELDS"},
	{"HEADER", EL_T_BOOL, offsetof(struct tips, header), "true", 0, "write the ! header lines"},
	{"VERBOSE", EL_T_BOOL, offsetof(struct tips, verbose), "false", 0, "add !host and !runtime lines"},
	{"BANNER", EL_T_STRING, offsetof(struct tips, banner), NULL, 0, "text of a !creator line"},
	{"MULTIPACKET", EL_T_BOOL, offsetof(struct tips, multipacket), "false", 0, "accepted, no effect"},
	{"CAREFUL_TRUNC", EL_T_BOOL, offsetof(struct tips, careful_trunc), "true", 0, "accepted, no effect"},
	{"EXTRA_LENGTH", EL_T_BOOL, offsetof(struct tips, extra_length), "true", 0, "accepted, no effect"},
	{"BINARY", EL_T_BOOL, offsetof(struct tips, binary), "false", 0, "binary records (not supported)"},
	EL_ARGS_END,
};

static int tips_init(struct el *e, struct rt_err *err)
{
	struct tips *s = e->state;
	if (s->binary)
		return rt_errf(err, &e->loc, -ENOTSUP, "%s: BINARY: binary dumps are not supported", e->name);
	const char *list = s->fields_arg ? s->fields_arg : s->contents_arg ? s->contents_arg : "timestamp ip_src";
	const char *bad;
	size_t badlen;
	s->nfields = io_sf_parse_list(list, s->fields, IO_SF_MAX_FIELDS, &bad, &badlen);
	if (s->nfields < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: %s: unknown content type '%.*s'", e->name,
			       s->fields_arg ? "FIELDS" : "CONTENTS", (int)badlen, bad);
	if (s->nfields == 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: no contents specified", e->name);
	if (!strcmp(s->filename, "-")) {
		s->f = stdout;
	} else {
		s->f = fopen(s->filename, "wb");
		if (!s->f)
			return rt_errf(err, &e->loc, -errno, "%s: %s: %s", e->name, s->filename, strerror(errno));
		s->own_file = true;
	}
	rte_spinlock_init(&s->lock);
	if (s->header) {
		struct rt_buf b;
		rt_buf_init(&b);
		rt_buf_puts(&b, "!IPSummaryDump 1.3\n");
		if (s->banner) {
			rt_buf_puts(&b, "!creator ");
			io_quote(&b, (const uint8_t *)s->banner, strlen(s->banner));
			rt_buf_puts(&b, "\n");
		}
		if (s->verbose) {
			char host[256];
			if (gethostname(host, sizeof(host) - 1) == 0) {
				host[sizeof(host) - 1] = 0;
				rt_buf_printf(&b, "!host %s\n", host);
			}
			char ts[32], when[64];
			uint64_t now = rt_wall_ns();
			time_t t = (time_t)(now / 1000000000ull);
			io_fmt_ts(ts, now);
			ctime_r(&t, when);
			when[strcspn(when, "\n")] = 0;
			rt_buf_printf(&b, "!runtime %s (%s)\n", ts, when);
		}
		rt_buf_puts(&b, "!data");
		for (int i = 0; i < s->nfields; i++)
			rt_buf_printf(&b, " %s", io_sf_name(s->fields[i]));
		rt_buf_puts(&b, "\n");
		fwrite(b.p, 1, b.len, s->f);
		fflush(s->f);
		rt_buf_free(&b);
	}
	return 0;
}

static void tips_cleanup(struct el *e)
{
	struct tips *s = e->state;
	if (s->f) {
		if (s->own_file)
			fclose(s->f);
		else
			fflush(s->f);
	}
	s->f = NULL;
}

static void tips_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct tips *s = n->state;
	struct tips_pw *pw = el_pw(n->e);
	rte_spinlock_lock(&s->lock);
	char *end = s->line + TIPS_LINE_CAP - 1;
	for (uint32_t i = 0; i < b->n; i++) {
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]));
		struct io_pdesc d;
		io_sf_prepare(&d, b->pkts[i]);
		char *p = s->line;
		for (int k = 0; k < s->nfields; k++) {
			if (k && p < end)
				*p++ = ' ';
			p = io_sf_out(&d, s->fields[k], p, end);
		}
		*p++ = '\n';
		fwrite(s->line, 1, (size_t)(p - s->line), s->f);
	}
	fflush(s->f);
	rte_spinlock_unlock(&s->lock);
	pw->count += b->n;
	if (n->nout > 0)
		el_output(n, 0, b);
	else
		rt_batch_free(b);
}

enum { H_COUNT, H_FILENAME, H_FLUSH, H_RESET };

static int tips_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct tips *s = e->state;
	if (what == H_COUNT)
		rt_buf_printf(out, "%llu", (unsigned long long)(el_pw_sum(e, offsetof(struct tips_pw, count)) - s->base));
	else
		rt_buf_puts(out, strcmp(s->filename, "-") ? s->filename : "<stdout>");
	return 0;
}

static int tips_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)v, (void)err;
	struct tips *s = e->state;
	if (what == H_FLUSH) {
		rte_spinlock_lock(&s->lock);
		if (s->f)
			fflush(s->f);
		rte_spinlock_unlock(&s->lock);
	} else {
		s->base = el_pw_sum(e, offsetof(struct tips_pw, count));
	}
	return 0;
}

static const struct el_handler handlers[] = {
	{"flush", NULL, tips_write, H_FLUSH, EL_H_BUTTON, "flush the file"},
	{"count", tips_read, NULL, H_COUNT, 0, "packets summarised (mboxsh)"},
	{"reset_counts", NULL, tips_write, H_RESET, EL_H_BUTTON, "reset count (mboxsh)"},
	{"filename", tips_read, NULL, H_FILENAME, 0, "the file name"},
	EL_HANDLERS_END,
};

static struct el_class toipsummarydump = {
	.name = "ToIPSummaryDump",
	.sig = "ToIPSummaryDump(FILENAME [, KEYWORDS])",
	.summary = "writes packet summary information to an ASCII file",
	.doc = doc,
	.ports = "1/0-1",
	.state_size = sizeof(struct tips),
	.pw_size = sizeof(struct tips_pw),
	.args = args,
	.init = tips_init,
	.cleanup = tips_cleanup,
	.push = tips_push,
	.handlers = handlers,
};
EL_REGISTER(toipsummarydump)
