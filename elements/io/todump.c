/*
 * ToDump - writes packets to a pcap (tcpdump -w) file with libpcap's
 * pcap_dump, passing them on to its output if it has one.  Workers that
 * push into the same ToDump take turns on a spinlock, one batch at a time;
 * the file is flushed after every batch so it is complete whenever the
 * router stops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <pcap/pcap.h>
#include <rte_spinlock.h>

#include "../../runtime/router.h"

static const char doc[] =
	"Writes incoming packets to FILENAME in `tcpdump -w` format (microsecond timestamps), "
	"or to the standard output when FILENAME is `-`. At most SNAPLEN bytes of each packet "
	"are written (0: no limit); the record's length field is the packet length. The "
	"timestamp is the packet's timestamp annotation, or the current time when that is 0. "
	"ENCAP names the link type stored in the file header: ETHER (default), IP, SLL, NULL, "
	"FDDI, or a link-type number. ToDump passes packets on to its output when it has one.\n\n"
	"mboxsh differences: the file is written through libpcap, which stores IP as link type "
	"101 (LINKTYPE_RAW) where Click writes 12; there is no extra-length annotation, so "
	"EXTRA_LENGTH has no effect; USE_ENCAP_FROM is not supported. The file is flushed after "
	"every batch (Click flushes at cleanup), so it is complete whenever the router stops. "
	"If a write fails, ToDump stops writing (Click prints the error; mboxsh counts it in "
	"`errors`).";

struct todump_pw {
	uint64_t count;
};

struct todump {
	char *filename;
	uint64_t snaplen;
	char *encap;
	bool extra_length, unbuffered;
	/* runtime */
	pcap_t *dead;
	pcap_dumper_t *dumper;
	int dlt;
	rte_spinlock_t lock;
	bool failed;
	uint64_t errors;
	uint64_t base;      /* count at the last reset (control thread) */
};

static const struct el_arg args[] = {
	{"FILENAME", EL_T_STRING, offsetof(struct todump, filename), NULL, EL_ARG_POS | EL_ARG_REQ, "output file ('-': standard output)"},
	{"SNAPLEN", EL_T_UINT, offsetof(struct todump, snaplen), "2000", EL_ARG_POS, "bytes kept per packet (0: all)"},
	{"ENCAP", EL_T_WORD, offsetof(struct todump, encap), "ETHER", EL_ARG_POS, "link type: ETHER, IP, SLL, NULL, FDDI or a number"},
	{"EXTRA_LENGTH", EL_T_BOOL, offsetof(struct todump, extra_length), "true", 0, "accepted for Click compatibility (no effect)"},
	{"UNBUFFERED", EL_T_BOOL, offsetof(struct todump, unbuffered), "false", 0, "write without stdio buffering"},
	EL_ARGS_END,
};

static int parse_encap(const char *s)
{
	static const struct {
		const char *name;
		int dlt;
	} names[] = {{"ETHER", DLT_EN10MB}, {"IP", DLT_RAW}, {"SLL", DLT_LINUX_SLL}, {"NULL", DLT_NULL}, {"FDDI", DLT_FDDI}};
	for (size_t i = 0; i < RT_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i].name))
			return names[i].dlt;
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v < 65536)
		return (int)v;
	return -1;
}

/* The framework reads a bare upper-case word such as IP as a keyword:
 * take it as the positional ENCAP when ENCAP was not given. */
static int td_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct todump *s = e->state;
	for (int i = 0; i < argc; i++) {
		const char *val;
		int kw = el_arg_keyword(argv[i], &val);
		if (kw && !*val && !el_arg_given(e, "ENCAP") && i == 0) {
			free(s->encap);
			s->encap = strdup(argv[i]);
			continue;
		}
		if (kw)
			return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%.*s'", e->name, kw, argv[i]);
		return rt_errf(err, &e->loc, -EINVAL, "%s: too many arguments (unexpected '%s')", e->name, argv[i]);
	}
	return 0;
}

static int td_init(struct el *e, struct rt_err *err)
{
	struct todump *s = e->state;
	s->dlt = parse_encap(s->encap);
	if (s->dlt < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: ENCAP: bad encapsulation type '%s'", e->name, s->encap);
	if (s->snaplen > 262144)
		s->snaplen = 262144; /* libpcap's largest snapshot length */
	s->dead = pcap_open_dead_with_tstamp_precision(s->dlt, s->snaplen ? (int)s->snaplen : 262144,
						       PCAP_TSTAMP_PRECISION_MICRO);
	if (!s->dead)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: cannot create pcap handle", e->name);
	if (!strcmp(s->filename, "-")) {
		/* a duplicate, so closing the dumper leaves stdout open */
		int fd = dup(STDOUT_FILENO);
		FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
		if (!f) {
			if (fd >= 0)
				close(fd);
			return rt_errf(err, &e->loc, -errno, "%s: <stdout>: %s", e->name, strerror(errno));
		}
		s->dumper = pcap_dump_fopen(s->dead, f);
		if (!s->dumper)
			fclose(f);
	} else {
		s->dumper = pcap_dump_open(s->dead, s->filename);
	}
	if (!s->dumper)
		return rt_errf(err, &e->loc, -EIO, "%s: %s", e->name, pcap_geterr(s->dead));
	if (s->unbuffered)
		setvbuf(pcap_dump_file(s->dumper), NULL, _IONBF, 0);
	pcap_dump_flush(s->dumper);
	rte_spinlock_init(&s->lock);
	return 0;
}

static void td_cleanup(struct el *e)
{
	struct todump *s = e->state;
	if (s->dumper)
		pcap_dump_close(s->dumper);
	s->dumper = NULL;
	if (s->dead)
		pcap_close(s->dead);
	s->dead = NULL;
}

static void td_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct todump *s = n->state;
	struct todump_pw *pw = el_pw(n->e);
	uint64_t now = 0;
	rte_spinlock_lock(&s->lock);
	if (!s->failed) {
		for (uint32_t i = 0; i < b->n; i++) {
			struct rte_mbuf *m = b->pkts[i];
			if (i + 1 < b->n)
				rte_prefetch0(rt_anno(b->pkts[i + 1]));
			uint64_t ts = rt_anno(m)->timestamp;
			if (!ts)
				ts = now ? now : (now = rt_wall_ns());
			struct pcap_pkthdr h;
			h.ts.tv_sec = (time_t)(ts / 1000000000ull);
			h.ts.tv_usec = (suseconds_t)((ts % 1000000000ull) / 1000);
			h.len = rt_len(m);
			h.caplen = s->snaplen && h.len > s->snaplen ? (uint32_t)s->snaplen : h.len;
			pcap_dump((u_char *)s->dumper, &h, rt_data(m));
		}
		if (pcap_dump_flush(s->dumper) < 0) {
			s->failed = true;
			s->errors++;
		} else {
			pw->count += b->n;
		}
	}
	rte_spinlock_unlock(&s->lock);
	if (n->nout > 0)
		el_output(n, 0, b);
	else
		rt_batch_free(b);
}

enum { H_COUNT, H_RESET, H_FILENAME, H_ERRORS };

static int td_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct todump *s = e->state;
	switch (what) {
	case H_COUNT:
		rt_buf_printf(out, "%llu", (unsigned long long)(el_pw_sum(e, offsetof(struct todump_pw, count)) - s->base));
		break;
	case H_FILENAME: rt_buf_puts(out, strcmp(s->filename, "-") ? s->filename : "<stdout>"); break;
	case H_ERRORS: rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&s->errors, __ATOMIC_RELAXED)); break;
	}
	return 0;
}

static int td_reset(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what, (void)v, (void)err;
	struct todump *s = e->state;
	s->base = el_pw_sum(e, offsetof(struct todump_pw, count));
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", td_read, NULL, H_COUNT, 0, "packets written"},
	{"reset_counts", NULL, td_reset, H_RESET, EL_H_BUTTON, "reset count"},
	{"filename", td_read, NULL, H_FILENAME, 0, "the file name"},
	{"errors", td_read, NULL, H_ERRORS, 0, "write failures (writing stops at the first)"},
	EL_HANDLERS_END,
};

static struct el_class todump = {
	.name = "ToDump",
	.sig = "ToDump(FILENAME [, SNAPLEN, ENCAP, KEYWORDS])",
	.summary = "writes packets to a tcpdump file",
	.doc = doc,
	.ports = "1/0-1",
	.state_size = sizeof(struct todump),
	.pw_size = sizeof(struct todump_pw),
	.args = args,
	.configure = td_configure,
	.init = td_init,
	.cleanup = td_cleanup,
	.push = td_push,
	.handlers = handlers,
};
EL_REGISTER(todump)
