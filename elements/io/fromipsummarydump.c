/*
 * FromIPSummaryDump - builds IPv4 packets from the lines of an IP summary
 * dump (Click's text format) and pushes them out.  A task: the file is read
 * on the worker that runs it, at most IO_SOURCE_BURST packets a call, into
 * fixed buffers in the element's state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "iohelp.h"
#include "iosource.h"
#include "ipsumdump.h"

static const char doc[] =
	"Reads packet descriptions from FILENAME (`-`: standard input), a file written by "
	"ToIPSummaryDump or by hand, builds an IPv4 packet for each line and pushes it out. The "
	"packets have no link header: the IP header is at offset 0 and the network header and "
	"destination address annotations are set; the timestamp annotation comes from the "
	"`timestamp` field.\n\n"
	"The file's `!data FIELD...` line (or CONTENTS/FIELDS when the file has none) names the "
	"fields of each line, in order; see ToIPSummaryDump for the field names. `-` leaves a "
	"field unset, missing trailing fields are unset, `!flowid SRC SPORT DST DPORT [PROTO]` "
	"and `!proto P` lines (or FLOWID and PROTO) give defaults, `#` lines are comments. Unset "
	"header fields take Click's defaults: IPv4, header length 20, TTL 100, protocol TCP, "
	"TCP data offset 5, other bytes zero (or left as they were when ZERO is false). The "
	"IP length comes from `len`, else from the payload, else the headers; the UDP length "
	"follows the IP length.\n\n"
	"Keyword arguments: STOP (stop the router at the end of the file), ACTIVE, ZERO (default "
	"true), TIMING (keep the original timing), CHECKSUM (compute valid IP, TCP, UDP and ICMP "
	"checksums; default false as in Click, which leaves them zero), PROTO, CONTENTS or "
	"FIELDS, FLOWID, ALLOW_NONEXISTENT (an absent file is empty).\n\n"
	"mboxsh differences: with no extra-length annotation, packets are always padded with "
	"zeros up to their IP length (Click does so only with CHECKSUM true; it also grows TCP "
	"and IP option space when LEN exceeds headers plus payload, which mboxsh does not); "
	"packets longer than the 2048-byte mbuf data room are cut (`truncated`); binary dumps, "
	"MULTIPACKET and SAMPLE are not supported; unparsable lines are counted in `errors` "
	"instead of being reported.";

#define FIPS_LINE 65536

struct fips_pw {
	struct io_source_pw src;  /* count, truncated */
	uint64_t errors;
};

struct fips {
	struct io_source src;  /* first: the shared handlers find it at e->state */
	char *contents, *fields_arg, *dcontents, *dfields, *flowid_arg, *dflowid_arg, *proto_arg;
	bool zero, checksum, allow_nonexistent;
	/* runtime */
	bool own_file;
	int default_proto;
	struct io_flowid flowid;
	bool have_flowid;
	int fields[IO_SF_MAX_FIELDS];
	int order[IO_SF_MAX_FIELDS];
	int nfields;
	int minor_version;
	bool line_pending;         /* line[] holds an unprocessed first line */
	char line[FIPS_LINE];
	uint8_t scratch[4096];
};
_Static_assert(offsetof(struct fips, src) == 0, "struct io_source must come first");

static const struct el_arg args[] = {
	{"FILENAME", EL_T_STRING, offsetof(struct fips, src.filename), NULL, EL_ARG_POS | EL_ARG_REQ, "dump file ('-': standard input)"},
	{"STOP", EL_T_BOOL, offsetof(struct fips, src.stop), "false", 0, "stop the router at the end"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct fips, src.active), "true", 0, "start active"},
	{"ZERO", EL_T_BOOL, offsetof(struct fips, zero), "true", 0, "zero packet bytes the dump does not set"},
	{"TIMING", EL_T_BOOL, offsetof(struct fips, src.timing), "false", 0, "keep the original timing"},
	{"CHECKSUM", EL_T_BOOL, offsetof(struct fips, checksum), "false", 0, "set valid IP/TCP/UDP/ICMP checksums"},
	{"PROTO", EL_T_WORD, offsetof(struct fips, proto_arg), "6", 0, "default IP protocol"},
	{"CONTENTS", EL_T_STRING, offsetof(struct fips, contents), NULL, 0, "fields when the file has no !data line"},
	{"FIELDS", EL_T_STRING, offsetof(struct fips, fields_arg), NULL, 0, "same as CONTENTS"},
	{"DEFAULT_CONTENTS", EL_T_STRING, offsetof(struct fips, dcontents), NULL, 0, "same as CONTENTS"},
	{"DEFAULT_FIELDS", EL_T_STRING, offsetof(struct fips, dfields), NULL, 0, "same as CONTENTS"},
	{"FLOWID", EL_T_STRING, offsetof(struct fips, flowid_arg), NULL, 0, "default 'SRC SPORT DST DPORT [PROTO]'"},
	{"DEFAULT_FLOWID", EL_T_STRING, offsetof(struct fips, dflowid_arg), NULL, 0, "same as FLOWID"},
	{"ALLOW_NONEXISTENT", EL_T_BOOL, offsetof(struct fips, allow_nonexistent), "false", 0, "a missing file is empty"},
	EL_ARGS_END,
};

static int parse_proto(const char *s, size_t n)
{
	if (n == 1 && (*s == 'T' || *s == 'U' || *s == 'I'))
		return *s == 'T' ? 6 : *s == 'U' ? 17 : 1;
	int v = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || (v = v * 10 + (s[i] - '0')) > 255)
			return -1;
	}
	return v;
}

/* Click's bang_data: the field list of the lines that follow. */
static bool set_fields(struct fips *s, const char *list)
{
	int n = 0;
	const char *wb, *we;
	while ((list = io_word(list, &wb, &we)) && n < IO_SF_MAX_FIELDS) {
		uint8_t name[64];
		size_t len = io_unquote_to(name, sizeof(name), wb, (size_t)(we - wb));
		if (n == 0 && ((len == 5 && !memcmp(name, "!data", 5)) || (len == 9 && !memcmp(name, "!contents", 9))))
			continue;
		/* unknown names are kept as ignored columns (Click warns) */
		s->fields[n++] = len < sizeof(name) ? io_sf_find((const char *)name, len) : -1;
	}
	s->nfields = n;
	int known[IO_SF_MAX_FIELDS], idx[IO_SF_MAX_FIELDS], k = 0;
	for (int i = 0; i < n; i++)
		if (s->fields[i] >= 0) {
			known[k] = s->fields[i];
			idx[k++] = i;
		}
	int ord[IO_SF_MAX_FIELDS];
	io_sf_order(known, k, ord);
	for (int i = 0; i < k; i++)
		s->order[i] = idx[ord[i]];
	for (int i = k; i < n; i++)
		s->order[i] = -1;
	return n > 0;
}

/* Click's bang_flowid, words after an optional "!flowid". */
static bool set_flowid(struct fips *s, const char *text)
{
	const char *w[6][2];
	int n = 0;
	while (n < 6 && (text = io_word(text, &w[n][0], &w[n][1])))
		n++;
	int first = (n > 0 && w[0][1] - w[0][0] == 7 && !memcmp(w[0][0], "!flowid", 7)) ? 1 : 0;
	if (n - first < 4)
		return false;
	struct io_flowid fl = {0};
	for (int i = 0; i < 4; i++) {
		const char *b = w[first + i][0];
		size_t len = (size_t)(w[first + i][1] - b);
		char buf[32];
		if (len >= sizeof(buf))
			return false;
		memcpy(buf, b, len);
		buf[len] = 0;
		if (!strcmp(buf, "-"))
			continue;
		if (i == 0 || i == 2) {
			if (inet_pton(AF_INET, buf, i == 0 ? &fl.src : &fl.dst) != 1)
				return false;
		} else {
			char *end;
			unsigned long p = strtoul(buf, &end, 10);
			if (*end || p > 65535)
				return false;
			if (i == 1)
				fl.sport = (uint16_t)p;
			else
				fl.dport = (uint16_t)p;
		}
	}
	if (n - first >= 5) {
		int p = parse_proto(w[first + 4][0], (size_t)(w[first + 4][1] - w[first + 4][0]));
		if (p < 0)
			return false;
		s->default_proto = p;
	}
	s->flowid = fl;
	s->have_flowid = true;
	return true;
}

static int fips_init(struct el *e, struct rt_err *err)
{
	struct fips *s = e->state;
	s->default_proto = parse_proto(s->proto_arg, strlen(s->proto_arg));
	if (s->default_proto < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: PROTO: expected an IP protocol, not '%s'", e->name, s->proto_arg);
	const char *contents = s->fields_arg ? s->fields_arg : s->contents ? s->contents : s->dfields ? s->dfields : s->dcontents;
	if (contents) {
		set_fields(s, contents);
		for (int i = 0; i < s->nfields; i++)
			if (s->fields[i] < 0)
				return rt_errf(err, &e->loc, -EINVAL, "%s: CONTENTS: unknown content type in '%s'", e->name, contents);
	}
	const char *fl = s->flowid_arg ? s->flowid_arg : s->dflowid_arg;
	if (fl && !set_flowid(s, fl))
		return rt_errf(err, &e->loc, -EINVAL, "%s: FLOWID: bad flow ID '%s'", e->name, fl);
	s->minor_version = 3;
	if (!strcmp(s->src.filename, "-")) {
		s->src.f = stdin;
	} else {
		s->src.f = fopen(s->src.filename, "r");
		if (!s->src.f) {
			if (errno == ENOENT && s->allow_nonexistent) {
				s->src.eof = true;
				return 0;
			}
			return rt_errf(err, &e->loc, -errno, "%s: %s: %s", e->name, s->src.filename, strerror(errno));
		}
		s->own_file = true;
	}
	/* the banner line, if any, gives the format version */
	if (fgets(s->line, sizeof(s->line), s->src.f)) {
		int major, minor;
		if (!strncmp(s->line, "!IPSummaryDump", 14)) {
			if (sscanf(s->line + 14, " %d.%d", &major, &minor) == 2)
				s->minor_version = (major != 1 || minor > 3) ? 3 : minor;
		} else {
			s->line_pending = true;
		}
	}
	s->src.filepos = ftell(s->src.f);
	return 0;
}

static void fips_cleanup(struct el *e)
{
	struct fips *s = e->state;
	io_source_cleanup(&s->src);
	if (s->src.f && s->own_file)
		fclose(s->src.f);
	s->src.f = NULL;
}

/* The next line into s->line without its newline; false at end of file. */
static bool next_line(struct fips *s, struct fips_pw *pw)
{
	if (s->line_pending) {
		s->line_pending = false;
	} else {
		if (!s->src.f || !fgets(s->line, sizeof(s->line), s->src.f))
			return false;
	}
	size_t n = strlen(s->line);
	if (n && s->line[n - 1] != '\n' && !feof(s->src.f)) {
		/* longer than the buffer: skip the rest, count it */
		int c;
		while ((c = fgetc(s->src.f)) != EOF && c != '\n')
			;
		pw->errors++;
		s->line[0] = 0;
		return true;
	}
	while (n && (s->line[n - 1] == '\n' || s->line[n - 1] == '\r'))
		s->line[--n] = 0;
	return true;
}

static void bang_line(struct fips *s, struct fips_pw *pw)
{
	const char *l = s->line;
	if (!strncmp(l, "!data", 5) && isspace((unsigned char)l[5]))
		set_fields(s, l);
	else if (!strncmp(l, "!contents", 9) && isspace((unsigned char)l[9]))
		set_fields(s, l);
	else if (!strncmp(l, "!flowid", 7) && isspace((unsigned char)l[7])) {
		if (!set_flowid(s, l))
			pw->errors++;
	} else if (!strncmp(l, "!proto", 6) && isspace((unsigned char)l[6])) {
		const char *wb, *we;
		int p = io_word(l + 6, &wb, &we) ? parse_proto(wb, (size_t)(we - wb)) : -1;
		if (p < 0)
			pw->errors++;
		else
			s->default_proto = p;
	} else if (!strncmp(l, "!binary", 7)) {
		pw->errors++; /* binary records: not supported, stop reading */
		s->src.eof = true;
	}
}

/* Split a packet line into at most nfields words; a double-quoted string is
 * one word (Click's cp_skip_double_quote). */
static int split_line(char *l, const char **wb, size_t *wl, int max)
{
	int n = 0;
	while (n < max) {
		while (*l && isspace((unsigned char)*l))
			l++;
		if (!*l)
			break;
		char *b = l;
		while (*l && !isspace((unsigned char)*l)) {
			if (*l == '"') {
				for (l++; *l && *l != '"'; l++)
					if (*l == '\\' && l[1])
						l++;
				if (*l)
					l++;
			} else {
				l++;
			}
		}
		wb[n] = b;
		wl[n++] = (size_t)(l - b);
	}
	return n;
}

/* Read lines until one makes a packet; NULL at the end of the file or when
 * the pool is empty. */
static struct rte_mbuf *fips_read(struct el *e, struct io_source *src)
{
	struct fips *s = (struct fips *)src;
	struct fips_pw *pw = el_pw(e);
	if (s->src.eof)
		return NULL;
	struct rte_mbuf *m = rte_pktmbuf_alloc(rt_router_pool(e->router));
	if (!m)
		return NULL;
	while (next_line(s, pw)) {
		char *l = s->line;
		if (!*l || *l == '#')
			continue;
		if (*l == '!') {
			bang_line(s, pw);
			if (s->src.eof)
				break;
			continue;
		}
		const char *wb[IO_SF_MAX_FIELDS];
		size_t wl[IO_SF_MAX_FIELDS];
		int nw = split_line(l, wb, wl, s->nfields);
		struct io_odesc o;
		io_sf_build_begin(&o, rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), s->zero, s->default_proto,
				  s->have_flowid ? &s->flowid : NULL, s->minor_version);
		int ok = 0;
		for (int i = 0; i < s->nfields && s->order[i] >= 0; i++) {
			int col = s->order[i];
			if (col >= nw || (wl[col] == 1 && wb[col][0] == '-'))
				continue;
			ok += io_sf_in(&o, s->fields[col], wb[col], wl[col], s->scratch, sizeof(s->scratch));
		}
		if (!ok) {
			pw->errors++;
			continue;
		}
		uint32_t len = io_sf_build_end(&o, s->checksum);
		if (o.overflow)
			pw->src.truncated++;
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		rt_anno_reset(m);
		struct rt_anno *a = rt_anno(m);
		a->timestamp = o.ts;
		a->paint = (uint8_t)o.paint;
		a->aggregate = o.aggregate;
		if (o.have_ip) {
			rt_set_nh(m, 0);
			memcpy(&a->dst_ip, rt_data(m) + 16, 4);
		}
		return m;
	}
	if (!s->src.eof)
		s->src.eof = true;
	rte_pktmbuf_free(m);
	return NULL;
}

static const struct io_source_ops fips_ops = {
	.read = fips_read,
};

static int fips_run(struct el_node *n) { return io_source_run(n, &fips_ops); }

enum { H_ENCAP = IO_SOURCE_H_NEXT, H_ERRORS };

static int fips_read_h(struct el *e, intptr_t what, struct rt_buf *out)
{
	switch (what) {
	case H_ERRORS:
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct fips_pw, errors)));
		return 0;
	case H_ENCAP: rt_buf_puts(out, "IP"); return 0;
	}
	return io_source_read_h(e, what, out);
}

static const struct el_handler handlers[] = {
	{"count", io_source_read_h, NULL, IO_SOURCE_H_COUNT, 0, "packets emitted (mboxsh)"},
	{"reset_counts", NULL, io_source_write_h, IO_SOURCE_H_RESET, EL_H_BUTTON, "reset count (mboxsh)"},
	{"active", io_source_read_h, io_source_write_h, IO_SOURCE_H_ACTIVE, 0, "whether packets are emitted"},
	{"encap", fips_read_h, NULL, H_ENCAP, 0, "always IP"},
	{"filename", io_source_read_h, NULL, IO_SOURCE_H_FILENAME, 0, "the file name"},
	{"filesize", io_source_read_h, NULL, IO_SOURCE_H_FILESIZE, 0, "file length in bytes, '-' if unknown"},
	{"filepos", io_source_read_h, NULL, IO_SOURCE_H_FILEPOS, 0, "position in the file"},
	{"stop", NULL, io_source_write_h, IO_SOURCE_H_STOP, EL_H_BUTTON, "deactivate and ask the router to stop"},
	{"errors", fips_read_h, NULL, H_ERRORS, 0, "lines that made no packet (mboxsh)"},
	{"truncated", io_source_read_h, NULL, IO_SOURCE_H_TRUNCATED, 0, "packets cut to the mbuf data room (mboxsh)"},
	EL_HANDLERS_END,
};

static struct el_class fromipsummarydump = {
	.name = "FromIPSummaryDump",
	.sig = "FromIPSummaryDump(FILENAME [, KEYWORDS])",
	.summary = "reads packets from an IP summary dump file",
	.doc = doc,
	.ports = "0/1",
	.state_size = sizeof(struct fips),
	.pw_size = sizeof(struct fips_pw),
	.args = args,
	.init = fips_init,
	.cleanup = fips_cleanup,
	.run = fips_run,
	.handlers = handlers,
};
EL_REGISTER(fromipsummarydump)
