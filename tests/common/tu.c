/*
 * tu.c - test utilities (see tu.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_ip.h>
#include <rte_pause.h>

#include "tu.h"

static bool eal_done;

void tu_eal(void)
{
	if (eal_done)
		return;
	struct rt_err err;
	rt_err_clear(&err);
	if (rt_eal_init(NULL, 2, &err) < 0) {
		fprintf(stderr, "EAL: %s\n", err.msg);
		abort();
	}
	eal_done = true;
}

struct rt_router *tu_router_j(const char *config, int nworkers, struct rt_err *err)
{
	tu_eal();
	struct rt_err local;
	if (!err)
		err = &local;
	rt_err_clear(err);
	struct rt_router_opts o = {.nworkers = nworkers, .pool_size = 4095};
	struct rt_router *r = rt_router_new(&o, err);
	if (!r)
		goto fail;
	if (rt_router_load(r, config, "test.click", NULL, err) < 0) {
		tu_router_free(r);
		r = NULL;
		goto fail;
	}
	return r;
fail:
	if (err == &local) {
		char msg[700];
		fail_msg("router: %s", rt_err_str(err, msg, sizeof(msg)));
	}
	return NULL;
}

struct rt_router *tu_router(const char *config, struct rt_err *err) { return tu_router_j(config, 1, err); }

void tu_router_free(struct rt_router *r)
{
	if (!r)
		return;
	rt_router_free(r);
	uv_run(uv_default_loop(), UV_RUN_NOWAIT);
}

static struct el_node *node_of(struct rt_router *r, const char *name)
{
	struct el *e = rt_router_find(r, name);
	if (!e)
		fail_msg("no element '%s'", name);
	return r->plan->nodes[e->index];
}

void tu_push(struct rt_router *r, const char *name, int port, struct rte_mbuf **pkts, int n)
{
	struct el_node *nd = node_of(r, name);
	while (n > 0) {
		struct rt_batch b;
		b.n = (uint32_t)RT_MIN(n, RT_BATCH_MAX);
		memcpy(b.pkts, pkts, sizeof(pkts[0]) * b.n);
		pkts += b.n;
		n -= (int)b.n;
		rt_wid = 0;
		nd->e->cls->push(nd, port, &b);
	}
}

void tu_push1(struct rt_router *r, const char *name, int port, struct rte_mbuf *m) { tu_push(r, name, port, &m, 1); }

void tu_push_as(struct rt_router *r, const char *name, int port, unsigned w, struct rte_mbuf *m)
{
	struct el_node *nd = r->plan->nodes[rt_router_find(r, name)->index];
	struct rt_batch b = {.n = 1, .pkts = {m}};
	rt_wid = w;
	nd->e->cls->push(nd, port, &b);
	rt_wid = 0;
}

int tu_run_tasks(struct rt_router *r, int max_rounds)
{
	int idle = 0, rounds = 0;
	rt_wid = 0;
	while (rounds < max_rounds && idle < 3) {
		int work = 0;
		for (int w = 0; w < RT_MAX_WORKERS; w++)
			for (int i = 0; i < r->plan->ntasks[w]; i++)
				work += r->plan->tasks[w][i]->e->cls->run(r->plan->tasks[w][i]);
		idle = work ? 0 : idle + 1;
		rounds++;
	}
	return rounds;
}

struct tu_timer {
	uv_timer_t t;
	struct rt_router *r;
	int fired;
};

static void tu_timeout(uv_timer_t *t)
{
	struct tu_timer *tm = t->data;
	tm->fired = 1;
	rt_router_stop(tm->r);
}

static void tu_stopped(struct rt_router *r, void *arg)
{
	(void)r;
	uv_stop((uv_loop_t *)arg);
}

int tu_run(struct rt_router *r, int timeout_ms)
{
	struct tu_timer tm = {.r = r};
	uv_loop_t *loop = rt_router_loop(r);
	uv_timer_init(loop, &tm.t);
	uv_update_time(loop);
	tm.t.data = &tm;
	uv_timer_start(&tm.t, tu_timeout, (uint64_t)timeout_ms, 0);
	rt_router_on_stop(r, tu_stopped, loop);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(rt_router_start(r, &err), 0);
	uv_run(loop, UV_RUN_DEFAULT);
	rt_router_join(r);
	uv_timer_stop(&tm.t);
	uv_close((uv_handle_t *)&tm.t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	rt_router_on_stop(r, NULL, NULL);
	return tm.fired ? -1 : 0;
}

/* ---- TestSink ---------------------------------------------------------- */

struct tsink {
	struct rte_mbuf **pkts;
	int n, cap;
};

static void tsink_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct tsink *s = n->state;
	for (uint32_t i = 0; i < b->n; i++) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 64;
			s->pkts = realloc(s->pkts, sizeof(*s->pkts) * (size_t)s->cap);
		}
		s->pkts[s->n++] = b->pkts[i];
	}
	b->n = 0;
}

static void tsink_clear(struct tsink *s)
{
	for (int i = 0; i < s->n; i++)
		rte_pktmbuf_free(s->pkts[i]);
	s->n = 0;
}

static void tsink_cleanup(struct el *e)
{
	struct tsink *s = e->state;
	tsink_clear(s);
	free(s->pkts);
}

static int tsink_count(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	rt_buf_printf(out, "%d", EL_STATE(e, struct tsink)->n);
	return 0;
}

static const struct el_handler tsink_handlers[] = {
	{"count", tsink_count, NULL, 0, 0, "packets kept"},
	EL_HANDLERS_END,
};

static struct el_class testsink = {
	.name = "TestSink",
	.summary = "keeps packets for tests",
	.ports = "1/0",
	.state_size = sizeof(struct tsink),
	.push = tsink_push,
	.cleanup = tsink_cleanup,
	.handlers = tsink_handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(testsink)

static struct tsink *sink_of(struct rt_router *r, const char *name)
{
	struct el *e = rt_router_find(r, name);
	if (!e || e->cls != &testsink)
		fail_msg("no TestSink '%s'", name);
	return e->state;
}

int tu_sink_count(struct rt_router *r, const char *name) { return sink_of(r, name)->n; }

struct rte_mbuf *tu_sink_pkt(struct rt_router *r, const char *name, int i)
{
	struct tsink *s = sink_of(r, name);
	assert_true(i >= 0 && i < s->n);
	return s->pkts[i];
}

void tu_sink_clear(struct rt_router *r, const char *name) { tsink_clear(sink_of(r, name)); }

/* ---- handlers ------------------------------------------------------------ */

const char *tu_read(struct rt_router *r, const char *hname)
{
	static char buf[65536];
	struct rt_buf b;
	struct rt_err err;
	rt_buf_init(&b);
	rt_err_clear(&err);
	if (rt_ctl_read(r, hname, &b, &err) < 0)
		fail_msg("read %s: %s", hname, err.msg);
	snprintf(buf, sizeof(buf), "%s", b.p ? b.p : "");
	rt_buf_free(&b);
	return buf;
}

long long tu_read_int(struct rt_router *r, const char *hname) { return strtoll(tu_read(r, hname), NULL, 10); }

int tu_write(struct rt_router *r, const char *hname, const char *value, struct rt_err *err)
{
	struct rt_err local;
	if (!err)
		err = &local;
	rt_err_clear(err);
	return rt_ctl_write(r, hname, value, err);
}

/* ---- packets --------------------------------------------------------------- */

struct rte_mbuf *tu_pkt(struct rt_router *r, const void *data, uint32_t len)
{
	struct rte_mbuf *m = rt_pkt_make(r, data, len);
	assert_non_null(m);
	return m;
}

void tu_ip_csum(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	uint16_t c = rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip);
	memcpy(ip + 10, &c, 2);
}

static int build_ip(uint8_t *buf, const char *src, const char *dst, uint8_t proto, int l4len)
{
	static const uint8_t eth[14] = {0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00};
	memcpy(buf, eth, 14);
	uint8_t *ip = buf + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	uint16_t tl = htons((uint16_t)(20 + l4len));
	memcpy(ip + 2, &tl, 2);
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	tu_ip_csum(ip);
	return 14 + 20 + l4len;
}

int tu_build_udp(uint8_t *buf, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		 const void *payload, int plen)
{
	int n = build_ip(buf, src, dst, 17, 8 + plen);
	uint8_t *u = buf + 34;
	uint16_t v;
	v = htons(sport), memcpy(u, &v, 2);
	v = htons(dport), memcpy(u + 2, &v, 2);
	v = htons((uint16_t)(8 + plen)), memcpy(u + 4, &v, 2);
	u[6] = u[7] = 0;
	if (plen)
		memcpy(u + 8, payload, (size_t)plen);
	v = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(buf + 14), u);
	memcpy(u + 6, &v, 2);
	return n;
}

int tu_build_tcp(uint8_t *buf, const char *src, const char *dst, uint16_t sport, uint16_t dport,
		 uint8_t flags, uint32_t seq, const void *payload, int plen)
{
	int n = build_ip(buf, src, dst, 6, 20 + plen);
	uint8_t *t = buf + 34;
	memset(t, 0, 20);
	uint16_t v;
	uint32_t s = htonl(seq);
	v = htons(sport), memcpy(t, &v, 2);
	v = htons(dport), memcpy(t + 2, &v, 2);
	memcpy(t + 4, &s, 4);
	t[12] = 5 << 4;
	t[13] = flags;
	v = htons(65535), memcpy(t + 14, &v, 2);
	if (plen)
		memcpy(t + 20, payload, (size_t)plen);
	v = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(buf + 14), t);
	memcpy(t + 16, &v, 2);
	return n;
}

struct rte_mbuf *tu_tcp_seg(struct rt_router *r, const char *src, const char *dst, uint16_t sport, uint16_t dport,
			   uint8_t flags, uint32_t seq, uint32_t ack, const char *payload, uint64_t ts)
{
	uint8_t buf[1600];
	int plen = payload ? (int)strlen(payload) : 0;
	int n = tu_build_tcp(buf, src, dst, sport, dport, flags, seq, payload, plen);
	uint8_t *t = buf + 34;
	uint32_t a = htonl(ack);
	memcpy(t + 8, &a, 4);
	memset(t + 16, 0, 2);
	uint16_t c = rte_ipv4_udptcp_cksum((const struct rte_ipv4_hdr *)(buf + 14), t);
	memcpy(t + 16, &c, 2);
	struct rte_mbuf *m = tu_pkt(r, buf, (uint32_t)n);
	rt_anno(m)->timestamp = ts;
	return m;
}

uint32_t tu_be32_at(struct rte_mbuf *m, uint32_t off)
{
	uint32_t v;
	memcpy(&v, rt_data(m) + off, 4);
	return ntohl(v);
}

int tu_build_icmp_echo(uint8_t *buf, const char *src, const char *dst, uint16_t id, uint16_t seqno)
{
	int n = build_ip(buf, src, dst, 1, 8 + 32);
	uint8_t *c = buf + 34;
	memset(c, 0, 40);
	c[0] = 8;
	uint16_t v;
	v = htons(id), memcpy(c + 4, &v, 2);
	v = htons(seqno), memcpy(c + 6, &v, 2);
	for (int i = 0; i < 32; i++)
		c[8 + i] = (uint8_t)i;
	v = (uint16_t)~rte_raw_cksum(c, 40);
	memcpy(c + 2, &v, 2);
	return n;
}

void tu_expect_error(const char *config, const char *expected)
{
	struct rt_err err;
	struct rt_router *r = tu_router(config, &err);
	if (r) {
		tu_router_free(r);
		fail_msg("config loaded, expected error: %s", expected);
	}
	char msg[700];
	assert_string_equal(rt_err_str(&err, msg, sizeof(msg)), expected);
}

/* ---- sequence-numbered traffic (live-change tests) ------------------------ */

struct tseq_src {
	uint64_t flow, flows, limit, sent;
	int active;
};

static const struct el_arg tseq_src_args[] = {
	{"FLOW", EL_T_UINT, offsetof(struct tseq_src, flow), "0", EL_ARG_POS, "flow id (aggregate annotation)"},
	{"LIMIT", EL_T_UINT, offsetof(struct tseq_src, limit), "0", 0, "packets to send, 0 = no limit"},
	{"FLOWS", EL_T_UINT, offsetof(struct tseq_src, flows), "1", 0, "flows FLOW, FLOW+1, ... taken in turn"},
	EL_ARGS_END,
};

static int tseq_src_init(struct el *e, struct rt_err *err)
{
	(void)err;
	EL_STATE(e, struct tseq_src)->active = 1;
	return 0;
}

static int tseq_src_run(struct el_node *n)
{
	struct tseq_src *s = n->state;
	if (!__atomic_load_n(&s->active, __ATOMIC_ACQUIRE) || (s->limit && s->sent >= s->limit))
		return 0;
	struct rt_batch b;
	b.n = 16;
	if (s->limit && s->limit - s->sent < b.n)
		b.n = (uint32_t)(s->limit - s->sent);
	if (rte_pktmbuf_alloc_bulk(rt_router_pool(n->e->router), b.pkts, b.n) != 0)
		return 0;
	for (uint32_t i = 0; i < b.n; i++) {
		struct rte_mbuf *m = b.pkts[i];
		rt_anno_reset(m);
		uint64_t k = s->sent + i, nf = s->flows ? s->flows : 1;
		rt_anno(m)->aggregate = (uint32_t)(s->flow + k % nf);
		rt_anno(m)->seq = k / nf; /* per-flow sequence */
		m->data_len = m->pkt_len = 60;
		memset(rte_pktmbuf_mtod(m, void *), 0, 60);
	}
	__atomic_store_n(&s->sent, s->sent + b.n, __ATOMIC_RELEASE);
	el_output(n, 0, &b);
	return (int)b.n;
}

static int tseq_src_read(struct el *e, intptr_t a, struct rt_buf *out)
{
	(void)a;
	rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(&EL_STATE(e, struct tseq_src)->sent, __ATOMIC_ACQUIRE));
	return 0;
}

static int tseq_src_active(struct el *e, intptr_t a, const char *v, struct rt_err *err)
{
	(void)a, (void)err;
	__atomic_store_n(&EL_STATE(e, struct tseq_src)->active, !strcmp(v, "true"), __ATOMIC_RELEASE);
	return 0;
}

static const struct el_handler tseq_src_handlers[] = {
	{"count", tseq_src_read, NULL, 0, 0, "packets sent"},
	{"active", NULL, tseq_src_active, 0, 0, "true/false"},
	EL_HANDLERS_END,
};

static struct el_class testseqsource = {
	.name = "TestSeqSource",
	.summary = "sequence-numbered packets of one flow, for tests",
	.ports = "0/1",
	.state_size = sizeof(struct tseq_src),
	.args = tseq_src_args,
	.init = tseq_src_init,
	.run = tseq_src_run,
	.handlers = tseq_src_handlers,
};
EL_REGISTER(testseqsource)

#define TSEQ_FLOWS 16

struct tseq_chk {
	uint64_t next[TSEQ_FLOWS]; /* each flow is checked by the one worker that carries it */
	uint64_t errors[TSEQ_FLOWS];
};

static void tseq_chk_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct tseq_chk *s = n->state;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct rt_anno *a = rt_anno(b->pkts[i]);
		uint32_t f = a->aggregate % TSEQ_FLOWS;
		if (a->seq != s->next[f])
			__atomic_fetch_add(&s->errors[f], 1, __ATOMIC_RELAXED);
		__atomic_store_n(&s->next[f], a->seq + 1, __ATOMIC_RELEASE);
	}
	rt_batch_free(b);
}

static int tseq_chk_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct tseq_chk *s = e->state;
	for (int f = 0; f < TSEQ_FLOWS; f++)
		rt_buf_printf(out, "%llu%s", (unsigned long long)__atomic_load_n(what ? &s->errors[f] : &s->next[f], __ATOMIC_ACQUIRE),
			      f + 1 < TSEQ_FLOWS ? " " : "");
	return 0;
}

static const struct el_handler tseq_chk_handlers[] = {
	{"received", tseq_chk_read, NULL, 0, 0, "per flow: next expected sequence number"},
	{"errors", tseq_chk_read, NULL, 1, 0, "per flow: packets out of sequence"},
	EL_HANDLERS_END,
};

static struct el_class testseqcheck = {
	.name = "TestSeqCheck",
	.summary = "checks per-flow sequence numbers, for tests",
	.ports = "1/0",
	.state_size = sizeof(struct tseq_chk),
	.push = tseq_chk_push,
	.handlers = tseq_chk_handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(testseqcheck)

/* TestDelay(NS): passes batches on after spinning NS nanoseconds, so that
 * a Queue in front of it builds a backlog. */
struct tdelay {
	uint64_t ns;
};

static const struct el_arg tdelay_args[] = {
	{"NS", EL_T_UINT, offsetof(struct tdelay, ns), "10000", EL_ARG_POS, "nanoseconds per batch"},
	EL_ARGS_END,
};

static void tdelay_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	uint64_t until = rt_now_ns() + ((struct tdelay *)n->state)->ns;
	while (rt_now_ns() < until)
		rte_pause();
	el_output(n, 0, b);
}

static struct el_class testdelay = {
	.name = "TestDelay",
	.summary = "slows a path down, for tests",
	.ports = "1/1",
	.state_size = sizeof(struct tdelay),
	.args = tdelay_args,
	.push = tdelay_push,
};
EL_REGISTER(testdelay)

/* ---- control-socket client (tu_sock_talk) ---------------------------------- */

struct tu_sock_job {
	char path[128];
	int port;
	const char *send;
	char got[16384];
	size_t len;
	uv_async_t done;
};

static void *tu_sock_client(void *arg)
{
	struct tu_sock_job *j = arg;
	int fd;
	if (j->port) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)j->port),
					 .sin_addr.s_addr = htonl(0x7f000001)};
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto out;
	} else {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", j->path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto out;
	}
	ssize_t w = write(fd, j->send, strlen(j->send));
	(void)w;
	ssize_t k;
	while (j->len < sizeof(j->got) - 1 && (k = read(fd, j->got + j->len, sizeof(j->got) - 1 - j->len)) > 0)
		j->len += (size_t)k;
out:
	close(fd);
	uv_async_send(&j->done);
	return NULL;
}

static void tu_sock_done(uv_async_t *a) { uv_stop(a->loop); }

const char *tu_sock_talk(struct rt_router *r, const char *path, int port, const char *send)
{
	static struct tu_sock_job j;
	memset(&j, 0, sizeof(j));
	snprintf(j.path, sizeof(j.path), "%s", path ? path : "");
	j.port = port;
	j.send = send;
	uv_async_init(rt_router_loop(r), &j.done, tu_sock_done);
	pthread_t th;
	pthread_create(&th, NULL, tu_sock_client, &j);
	uv_run(rt_router_loop(r), UV_RUN_DEFAULT);
	pthread_join(th, NULL);
	uv_close((uv_handle_t *)&j.done, NULL);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	j.got[j.len] = 0;
	return j.got;
}
