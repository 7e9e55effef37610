/*
 * test_ctlsock.c - the ControlSocket/1.3 server: replies byte for byte for
 * every command and error code, data commands, limits (long lines, big
 * data, clients that never read), abrupt disconnects, many clients at
 * once, TCP and Unix sockets.
 *
 * The router's loop runs on the test's thread; clients are plain blocking
 * sockets on their own threads ("jobs") that record what they receive.
 * Only the test's thread asserts.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock.h"
#include "tu.h"

#define GREETING "Click::ControlSocket/1.3\r\n"
#define BYE "200 Goodbye!\r\n"

/* ---- a test element with a parameterised read, a store and a failing write */

struct cstest {
	struct rt_buf stored;
};

static int t_echo(struct el *e, intptr_t arg, const char *param, struct rt_buf *out, struct rt_err *err)
{
	rt_buf_printf(out, "[%s]", param);
	return 0;
}

static int t_read(struct el *e, intptr_t arg, struct rt_buf *out)
{
	struct cstest *t = e->state;
	if (arg)
		rt_buf_printf(out, "%zu", t->stored.len);
	else
		rt_buf_add(out, t->stored.p ? t->stored.p : "", t->stored.len);
	return 0;
}

static int t_store(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	struct cstest *t = e->state;
	rt_buf_reset(&t->stored);
	rt_buf_puts(&t->stored, v);
	return 0;
}

static int t_fail(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	return rt_errf(err, NULL, -EINVAL, "first line\nsecond line");
}

static void t_cleanup(struct el *e) { rt_buf_free(&((struct cstest *)e->state)->stored); }

static const struct el_handler t_handlers[] = {
	{"echo", NULL, NULL, 0, 0, "the parameter, bracketed", t_echo},
	{"store", t_read, t_store, 0, 0, "a value"},
	{"len", t_read, NULL, 1, 0, "the value's length"},
	{"fail", NULL, t_fail, 0, 0, "fails with two lines"},
	EL_HANDLERS_END,
};

static struct el_class cstest = {
	.name = "CsTest",
	.sig = "CsTest()",
	.summary = "control-socket test handlers",
	.ports = "0/0",
	.state_size = sizeof(struct cstest),
	.cleanup = t_cleanup,
	.handlers = t_handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(cstest)

/* ---- fixture: a router with a Unix control socket ------------------------ */

struct fx {
	struct rt_router *r;
	struct rt_ctlsock *s;
	char dir[64], path[96];
	int port; /* > 0: clients use TCP */
};

static const char config[] =
	"s :: InfiniteSource(LIMIT 100, BURST 7) -> c :: Counter -> d :: Discard; t :: CsTest;";

static int setup(void **st)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->r = tu_router(config, NULL);
	tu_run_tasks(f->r, 1000);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mbcsXXXXXX");
	if (!mkdtemp(f->dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(f->path, sizeof(f->path), "%s/ctl", f->dir);
	struct rt_err err;
	rt_err_clear(&err);
	f->s = rt_ctlsock_listen_unix(f->r, f->path, &err);
	if (!f->s)
		fail_msg("listen: %s", err.msg);
	*st = f;
	return 0;
}

static int teardown(void **st)
{
	struct fx *f = *st;
	rt_ctlsock_close(f->s);
	uv_run(rt_router_loop(f->r), UV_RUN_NOWAIT);
	tu_router_free(f->r);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- client side (runs on job threads: no cmocka calls) ---------------- */

static int cl_connect(const struct fx *f)
{
	int fd;
	if (f->port > 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	} else {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	/* a server bug shows as a failed test, not a hung one */
	struct timeval tv = {.tv_sec = 20};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	close(fd);
	return -1;
}

static bool cl_send(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read until EOF into out; false on error or timeout. */
static bool cl_read_all(int fd, struct rt_buf *out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return true;
		if (n < 0)
			return false;
		rt_buf_add(out, buf, (size_t)n);
	}
}

/* A conversation: send everything, optionally half-close, read to EOF. */
struct conv {
	const struct fx *f;
	const char *send;
	size_t send_len;  /* 0: strlen(send) */
	bool half_close;
	struct rt_buf got;
	const char *fail; /* what went wrong on the client side */
};

static void conv_run(void *arg)
{
	struct conv *v = arg;
	rt_buf_init(&v->got);
	int fd = cl_connect(v->f);
	if (fd < 0) {
		v->fail = "connect";
		return;
	}
	if (!cl_send(fd, v->send, v->send_len ? v->send_len : strlen(v->send)))
		v->fail = "send";
	else if (v->half_close && shutdown(fd, SHUT_WR) < 0)
		v->fail = "shutdown";
	else if (!cl_read_all(fd, &v->got))
		v->fail = "read (timeout?)";
	close(fd);
}

/* A dialog: send each part, then read exactly as many bytes as its
 * expected reply before sending the next; read to EOF at the end. */
struct dialog {
	const struct fx *f;
	const char *send[6], *reply[6];
	struct rt_buf got;
	const char *fail;
};

static void dialog_run(void *arg)
{
	struct dialog *d = arg;
	rt_buf_init(&d->got);
	int fd = cl_connect(d->f);
	if (fd < 0) {
		d->fail = "connect";
		return;
	}
	char buf[4096];
	for (int i = 0; i < 6 && d->send[i] && !d->fail; i++) {
		if (!cl_send(fd, d->send[i], strlen(d->send[i])))
			d->fail = "send";
		for (size_t want = strlen(d->reply[i]); want && !d->fail;) {
			ssize_t n = recv(fd, buf, RT_MIN(want, sizeof(buf)), 0);
			if (n <= 0)
				d->fail = "read";
			else
				rt_buf_add(&d->got, buf, (size_t)n), want -= (size_t)n;
		}
	}
	if (!d->fail && !cl_read_all(fd, &d->got))
		d->fail = "read to EOF";
	close(fd);
}

/* ---- jobs: client threads while the test's thread runs the loop -------- */

struct job {
	void (*fn)(void *);
	void *arg;
	pthread_t t;
};

static atomic_int jobs_done;
static uv_async_t jobs_wake;

static void *job_main(void *p)
{
	struct job *j = p;
	j->fn(j->arg);
	atomic_fetch_add(&jobs_done, 1);
	uv_async_send(&jobs_wake);
	return NULL;
}

static void run_jobs(struct job *jobs, int n)
{
	uv_loop_t *loop = uv_default_loop();
	uv_async_init(loop, &jobs_wake, NULL);
	atomic_store(&jobs_done, 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(pthread_create(&jobs[i].t, NULL, job_main, &jobs[i]), 0);
	while (atomic_load(&jobs_done) < n)
		uv_run(loop, UV_RUN_ONCE);
	for (int i = 0; i < n; i++)
		pthread_join(jobs[i].t, NULL);
	uv_close((uv_handle_t *)&jobs_wake, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static void run_job(void (*fn)(void *), void *arg)
{
	struct job j = {.fn = fn, .arg = arg};
	run_jobs(&j, 1);
}

/* Run the loop until the server has no client left (or 10 s pass). */
static void on_guard(uv_timer_t *t) { *(bool *)t->data = true; }

static void wait_no_clients(struct fx *f)
{
	uv_loop_t *loop = rt_router_loop(f->r);
	uv_timer_t t;
	bool fired = false;
	uv_timer_init(loop, &t);
	t.data = &fired;
	uv_timer_start(&t, on_guard, 10000, 0);
	while (rt_ctlsock_nclients(f->s) && !fired)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	assert_int_equal(rt_ctlsock_nclients(f->s), 0);
}

/* Printable form of a transcript for failure messages. */
static const char *shown(const char *p, size_t n)
{
	static char buf[4][4096];
	static int k;
	char *o = buf[k++ & 3];
	size_t j = 0;
	for (size_t i = 0; i < n && j < sizeof(buf[0]) - 8; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch == '\r')
			j += (size_t)sprintf(o + j, "\\r");
		else if (ch == '\n')
			j += (size_t)sprintf(o + j, "\\n\n");
		else if (ch < 32 || ch >= 127)
			j += (size_t)sprintf(o + j, "\\x%02x", ch);
		else
			o[j++] = (char)ch;
	}
	o[j] = 0;
	return o;
}

static void expect_got(struct conv *v, const char *want, size_t want_len)
{
	if (v->fail)
		fail_msg("client: %s failed; got so far:\n%s", v->fail, shown(v->got.p, v->got.len));
	if (v->got.len != want_len || memcmp(v->got.p, want, want_len))
		fail_msg("expected (%zu bytes):\n%s\n---- got (%zu bytes):\n%s", want_len, shown(want, want_len),
			 v->got.len, shown(v->got.p ? v->got.p : "", v->got.len));
	rt_buf_free(&v->got);
}

/* Send `in` (a literal) on a new connection, read to EOF, expect `want` exactly. */
#define CONVERSE(f, in, want)                                  \
	do {                                                   \
		struct conv v_ = {.f = (f), .send = (in), .send_len = sizeof(in) - 1}; \
		run_job(conv_run, &v_);                        \
		expect_got(&v_, (want), sizeof(want) - 1);     \
	} while (0)

/* ---- tests ---------------------------------------------------------------- */

static void test_read_write_quit(void **st)
{
	struct fx *f = *st;
	CONVERSE(f, "READ c.count\r\nread c.byte_count\nQUIT\r\n",
		 GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100"
			  "200 Read handler 'c.byte_count' OK\r\nDATA 4\r\n6900" BYE);
	/* WRITE resets the Counter; GET/SET are Click's aliases; CLOSE = QUIT */
	CONVERSE(f, "WRITE c.reset\nGet c.count\nset t.store  hello   world  \nREAD t.store\nclose\n",
		 GREETING "200 Write handler 'c.reset' OK\r\n"
			  "200 Read handler 'c.count' OK\r\nDATA 1\r\n0"
			  "200 Write handler 't.store' OK\r\n"
			  "200 Read handler 't.store' OK\r\nDATA 13\r\nhello   world" BYE);
	assert_int_equal(tu_read_int(f->r, "c.count"), 0);
	/* router handlers, bare or with a leading dot */
	CONVERSE(f, "READ list\nREAD .version\nQUIT\n",
		 GREETING "200 Read handler 'list' OK\r\nDATA 10\r\n4\ns\nc\nd\nt\n"
			  "200 Read handler '.version' OK\r\nDATA 6\r\n" MBOXSH_VERSION "\n" BYE);
	/* input ends without QUIT: replies, then the server closes */
	struct conv v = {.f = f, .send = "READ t.len\nREAD c.count", .half_close = true};
	run_job(conv_run, &v);
	static const char want[] =
		GREETING "200 Read handler 't.len' OK\r\nDATA 2\r\n13200 Read handler 'c.count' OK\r\nDATA 1\r\n0";
	expect_got(&v, want, sizeof(want) - 1);
}

static void test_read_param(void **st)
{
	struct fx *f = *st;
	CONVERSE(f, "READ t.echo  a  b\tc  \nREAD t.echo\nREADDATA t.echo 7\r\nx y\r\nzwREAD c.count\nQUIT\n",
		 GREETING "200 Read handler 't.echo' OK\r\nDATA 8\r\n[a  b\tc]"
			  "200 Read handler 't.echo' OK\r\nDATA 2\r\n[]"
			  "200 Read handler 't.echo' OK\r\nDATA 9\r\n[x y\r\nzw]"
			  "200 Read handler 'c.count' OK\r\nDATA 3\r\n100" BYE);
	/* a handler without a parameter: the control API's error, as 520 */
	CONVERSE(f, "READ c.count 5\nQUIT\n",
		 GREETING "520-Read handler 'c.count' error:\r\n520 handler 'c.count' takes no parameter\r\n" BYE);
	/* READUNTIL/WRITEUNTIL: lines up to the terminator (trailing spaces
	 * ignored; no terminator = a blank line) */
	CONVERSE(f, "READUNTIL t.echo EOF\none\r\ntwo\nEOF  \nWRITEUNTIL t.store\nl1\nl2\n\nREAD t.store\nQUIT\n",
		 GREETING "200 Read handler 't.echo' OK\r\nDATA 11\r\n[one\r\ntwo\n]"
			  "200 Write handler 't.store' OK\r\n"
			  "200 Read handler 't.store' OK\r\nDATA 6\r\nl1\nl2\n" BYE);
}

static void test_check_and_errors(void **st)
{
	struct fx *f = *st;
	CONVERSE(f,
		 "CHECKREAD c.count\nCHECKWRITE c.reset\nCHECKREAD t.echo\nCHECKREAD list\nCHECKWRITE stop\n"
		 "CHECKREAD zz.count\nCHECKREAD c.nosuch\nCHECKREAD nosuch\n"
		 "CHECKWRITE c.count\nCHECKREAD c.reset\nCHECKWRITE version\nQUIT\n",
		 GREETING "200 Read handler 'c.count' OK\r\n"
			  "200 Write handler 'c.reset' OK\r\n"
			  "200 Read handler 't.echo' OK\r\n"
			  "200 Read handler 'list' OK\r\n"
			  "200 Write handler 'stop' OK\r\n"
			  "510 no element 'zz'\r\n"
			  "511 no handler 'c.nosuch'\r\n"
			  "511 no handler 'nosuch'\r\n"
			  "530 handler 'c.count' is not writable\r\n"
			  "530 handler 'c.reset' is not readable\r\n"
			  "530 handler 'version' is not writable\r\n" BYE);
	CONVERSE(f,
		 "READ zz.count\nREAD c.nosuch\nREAD c.reset\nWRITE c.count 1\nWRITE zz.x 1\nWRITE t.fail x\n"
		 "READ zz\x01\xe9.count\nQUIT\n",
		 GREETING "510 no element 'zz'\r\n"
			  "511 no handler 'c.nosuch'\r\n"
			  "530 handler 'c.reset' is not readable\r\n"
			  "530 handler 'c.count' is not writable\r\n"
			  "510 no element 'zz'\r\n"
			  "520-Write handler 't.fail' error:\r\n520-first line\r\n520 second line\r\n"
			  "510 no element 'zz^A\\351'\r\n" BYE);
}

static void test_syntax(void **st)
{
	struct fx *f = *st;
	CONVERSE(f,
		 "\n   \r\nFOO bar\nllrpc\nLLRPC c#1 3\nabcLLRPC c#1\nREAD\nWRITE\nCHECKREAD\nCHECKREAD a b\n"
		 "WRITEDATA t.store\nWRITEDATA t.store x\nREADDATA t.echo -1\nWRITEDATA t.store 99999999999999999999999\n"
		 "READUNTIL\nREAD c\0count\nHELP\nQUIT now\n",
		 GREETING "501 Command 'FOO' unimplemented\r\n"
			  "500 Wrong number of arguments\r\n"
			  "501 Cannot call LLRPC 'c#1' remotely\r\n"
			  "501 Cannot call LLRPC 'c#1' remotely\r\n"
			  "500 Wrong number of arguments\r\n"
			  "500 Wrong number of arguments\r\n"
			  "500 Wrong number of arguments\r\n"
			  "500 Wrong number of arguments\r\n"
			  "500 Wrong number of arguments\r\n"
			  "500 Syntax error in 'WRITEDATA'\r\n"
			  "500 Syntax error in 'READDATA'\r\n"
			  "500 Syntax error in 'WRITEDATA'\r\n"
			  "500 Wrong number of arguments\r\n"
			  "500 Syntax error: NUL byte in command\r\n"
			  "200-Commands supported:\r\n"
			  "200-READ handler [arg...]   call read handler, return DATA\r\n"
			  "200-READDATA handler len    call read handler with len data bytes, return DATA\r\n"
			  "200-READUNTIL handler term  call read handler, take data until term, return DATA\r\n"
			  "200-WRITE handler [arg...]  call write handler\r\n"
			  "200-WRITEDATA handler len   call write handler, pass len data bytes\r\n"
			  "200-WRITEUNTIL handler term call write handler, take data until term\r\n"
			  "200-CHECKREAD handler       check if read handler is valid\r\n"
			  "200-CHECKWRITE handler      check if write handler is valid\r\n"
			  "200-QUIT                    close connection\r\n"
			  "200-SHELL line              run one mboxsh shell command, return DATA\r\n"
			  "200-SHELLDATA len           run len bytes of shell input, return DATA\r\n"
			  "200-COMPLETE start end len  completions for a shell line of len bytes\r\n"
			  "200 AUTH token              act for the tenant (or operator) the token names\r\n"
			  "500 Bad command syntax\r\n" BYE);
	/* a bare CR ends a line too; commands after QUIT are ignored */
	CONVERSE(f, "READ c.count\rQUIT\rREAD c.count\n",
		 GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100" BYE);
}

/* A lone CR ends a line at once; an LF arriving next completes the CRLF
 * (it is not taken as WRITEDATA data). */
static void test_split_crlf(void **st)
{
	struct fx *f = *st;
	struct dialog d = {
		.f = f,
		.send = {"READ c.count\r", "\nREAD t.len\r", "WRITEDATA t.store 3\r", "\nabcREAD t.store\nQUIT\n"},
		.reply = {GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100", "200 Read handler 't.len' OK\r\nDATA 1\r\n0",
			  "", ""},
	};
	run_job(dialog_run, &d);
	static const char want[] = GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100"
					    "200 Read handler 't.len' OK\r\nDATA 1\r\n0"
					    "200 Write handler 't.store' OK\r\n"
					    "200 Read handler 't.store' OK\r\nDATA 3\r\nabc" BYE;
	struct conv v = {.got = d.got, .fail = d.fail};
	expect_got(&v, want, sizeof(want) - 1);
}

static void test_data_commands(void **st)
{
	struct fx *f = *st;
	CONVERSE(f, "WRITEDATA t.store 7\r\na\r\nb c\nREAD t.store\nWRITEDATA t.store 0\r\nREAD t.len\n"
		    "WRITEDATA s.limit 2\n10READ s.limit\nQUIT\n",
		 GREETING "200 Write handler 't.store' OK\r\n"
			  "200 Read handler 't.store' OK\r\nDATA 7\r\na\r\nb c\n"
			  "200 Write handler 't.store' OK\r\n"
			  "200 Read handler 't.len' OK\r\nDATA 1\r\n0"
			  "200 Write handler 's.limit' OK\r\n"
			  "200 Read handler 's.limit' OK\r\nDATA 2\r\n10" BYE);
	/* NUL bytes cannot reach a handler (values are C strings) */
	static const char nul[] = "WRITEDATA t.store 3\na\0bQUIT\n";
	struct conv v = {.f = f, .send = nul, .send_len = sizeof(nul) - 1};
	run_job(conv_run, &v);
	static const char want[] = GREETING "500 Handler data cannot contain NUL bytes\r\n" BYE;
	expect_got(&v, want, sizeof(want) - 1);
	/* the largest value passes; one byte more is refused, its data
	 * skipped, and the connection goes on */
	size_t big = RT_CTLSOCK_MAX_DATA;
	char *in = malloc(2 * big + 200);
	size_t n = (size_t)sprintf(in, "WRITEDATA t.store %zu\n", big);
	memset(in + n, 'x', big), n += big;
	n += (size_t)sprintf(in + n, "READ t.len\nWRITEDATA t.store %zu\r\n", big + 1);
	memset(in + n, 'y', big + 1), n += big + 1;
	n += (size_t)sprintf(in + n, "READ t.len\nQUIT\n");
	v = (struct conv){.f = f, .send = in, .send_len = n};
	run_job(conv_run, &v);
	free(in);
	static const char want2[] = GREETING "200 Write handler 't.store' OK\r\n"
					     "200 Read handler 't.len' OK\r\nDATA 8\r\n16777216"
					     "521 Data too large for write handler 't.store'\r\n"
					     "200 Read handler 't.len' OK\r\nDATA 8\r\n16777216" BYE;
	expect_got(&v, want2, sizeof(want2) - 1);
	/* data cut short by the end of input */
	v = (struct conv){.f = f, .send = "WRITEDATA t.store 10\nabc", .half_close = true};
	run_job(conv_run, &v);
	static const char want3[] = GREETING "500 Not enough data\r\n";
	expect_got(&v, want3, sizeof(want3) - 1);
	assert_int_equal(tu_read_int(f->r, "t.len"), 16777216);
}

static void test_long_lines(void **st)
{
	struct fx *f = *st;
	/* a line of exactly the limit is fine */
	size_t max = RT_CTLSOCK_MAX_LINE;
	char *in = malloc(max + 100);
	memset(in, ' ', max);
	memcpy(in, "READ c.count", 12);
	strcpy(in + max, "\nQUIT\n");
	struct conv v = {.f = f, .send = in};
	run_job(conv_run, &v);
	static const char ok[] = GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100" BYE;
	expect_got(&v, ok, sizeof(ok) - 1);
	/* one byte more: refused and closed, with or without a newline, even
	 * when more input follows */
	static const char too_long[] = GREETING "500 Line too long\r\n";
	in[max] = ' ';
	strcpy(in + max + 1, "\nREAD c.count\nQUIT\n");
	v = (struct conv){.f = f, .send = in};
	run_job(conv_run, &v);
	expect_got(&v, too_long, sizeof(too_long) - 1);
	in[max + 1] = 0;
	v = (struct conv){.f = f, .send = in, .half_close = true};
	run_job(conv_run, &v);
	expect_got(&v, too_long, sizeof(too_long) - 1);
	/* a client that keeps sending a line without end is cut off */
	char *flood = malloc(4 * max);
	memset(flood, 'A', 4 * max);
	v = (struct conv){.f = f, .send = flood, .send_len = 4 * max};
	run_job(conv_run, &v);
	expect_got(&v, too_long, sizeof(too_long) - 1);
	free(flood);
	free(in);
	wait_no_clients(f);
}

/* Clients that go away at awkward moments. */
static void abrupt(void *arg)
{
	const struct fx *f = arg;
	static const char *const inputs[] = {
		"",                          /* connect and hang up */
		"WRITEDATA t.store 100\nabc", /* in the middle of data */
		"READ c.co",                 /* in the middle of a line */
		"READUNTIL t.echo END\nx\n", /* before the terminator */
	};
	for (size_t i = 0; i < RT_ARRAY_SIZE(inputs); i++) {
		int fd = cl_connect(f);
		if (fd >= 0)
			cl_send(fd, inputs[i], strlen(inputs[i]));
		close(fd);
	}
	/* asks for lots (as much as the socket takes) and hangs up without
	 * reading the replies (over TCP: with a reset) */
	static char cmds[13 * 2000];
	for (int i = 0; i < 2000; i++)
		memcpy(cmds + 13 * i, "READ classes\n", 13);
	int fd = cl_connect(f);
	struct linger reset = {.l_onoff = 1, .l_linger = 0};
	if (fd >= 0) {
		send(fd, cmds, sizeof(cmds), MSG_DONTWAIT | MSG_NOSIGNAL);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
	}
	close(fd);
}

static void test_abrupt_disconnects(void **st)
{
	struct fx *f = *st;
	run_job(abrupt, f);
	wait_no_clients(f);
	/* the cut WRITEDATA wrote nothing */
	CONVERSE(f, "READ t.len\nQUIT\n", GREETING "200 Read handler 't.len' OK\r\nDATA 1\r\n0" BYE);
}

static void test_many_clients(void **st)
{
	struct fx *f = *st;
	enum { NC = 50, NREADS = 20 };
	struct rt_buf in, want;
	rt_buf_init(&in);
	rt_buf_init(&want);
	rt_buf_puts(&want, GREETING);
	for (int i = 0; i < NREADS; i++) {
		rt_buf_puts(&in, i & 1 ? "READ c.count\n" : "READ s.count\r\n");
		rt_buf_puts(&want, i & 1 ? "200 Read handler 'c.count' OK\r\nDATA 3\r\n100"
					 : "200 Read handler 's.count' OK\r\nDATA 3\r\n100");
	}
	rt_buf_puts(&in, "QUIT\n");
	rt_buf_puts(&want, BYE);
	struct conv v[NC];
	struct job j[NC];
	for (int i = 0; i < NC; i++) {
		v[i] = (struct conv){.f = f, .send = in.p};
		j[i] = (struct job){.fn = conv_run, .arg = &v[i]};
	}
	run_jobs(j, NC);
	for (int i = 0; i < NC; i++)
		expect_got(&v[i], want.p, want.len);
	rt_buf_free(&in);
	rt_buf_free(&want);
	wait_no_clients(f);
}

/* A client that sends many commands and never reads the replies, while
 * another one is served. */
struct stuck {
	const struct fx *f;
	int fd;
	size_t sent;
	struct conv other;
};

static void stuck_run(void *arg)
{
	struct stuck *k = arg;
	k->fd = cl_connect(k->f);
	if (k->fd < 0)
		return;
	fcntl(k->fd, F_SETFL, O_NONBLOCK);
	char cmds[13 * 1000];
	for (int i = 0; i < 1000; i++)
		memcpy(cmds + 13 * i, "READ classes\n", 13);
	/* until the server stops taking them (or 8 MB: 600k replies) */
	while (k->sent < 8u * 1024 * 1024) {
		ssize_t w = send(k->fd, cmds, sizeof(cmds), MSG_NOSIGNAL);
		if (w > 0) {
			k->sent += (size_t)w;
			continue;
		}
		struct pollfd p = {.fd = k->fd, .events = POLLOUT};
		if (w < 0 && errno != EAGAIN)
			break;
		if (poll(&p, 1, 300) == 0)
			break; /* the server no longer reads this client */
	}
	conv_run(&k->other);
}

static void test_client_that_never_reads(void **st)
{
	struct fx *f = *st;
	struct stuck k = {.f = f, .other = {.f = f, .send = "READ c.count\nQUIT\n"}};
	run_job(stuck_run, &k);
	static const char ok[] = GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100" BYE;
	expect_got(&k.other, ok, sizeof(ok) - 1);
	assert_true(k.fd >= 0);
	assert_true(k.sent < 8u * 1024 * 1024);
	/* the server holds at most about the pause threshold for it */
	uv_run(rt_router_loop(f->r), UV_RUN_NOWAIT);
	size_t unsent = rt_ctlsock_unsent(f->s);
	if (unsent > RT_CTLSOCK_OUT_PAUSE + 64 * 1024)
		fail_msg("%zu bytes unsent", unsent);
	close(k.fd);
	wait_no_clients(f);
}

static void test_tcp(void **st)
{
	struct fx *f = *st;
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_ctlsock *t = rt_ctlsock_listen_tcp(f->r, NULL, 0, &err);
	assert_non_null(t);
	f->port = rt_ctlsock_port(t);
	assert_true(f->port > 0);
	assert_int_equal(rt_ctlsock_port(f->s), -1);
	/* the port is taken now */
	assert_null(rt_ctlsock_listen_tcp(f->r, "127.0.0.1", f->port, &err));
	assert_int_equal(err.code, UV_EADDRINUSE);
	rt_err_clear(&err);
	assert_null(rt_ctlsock_listen_tcp(f->r, "localhost.invalid", 0, &err));
	assert_string_equal(err.msg,
			    "control socket: bad address 'localhost.invalid' (want a numeric IPv4 or IPv6 address)");
	rt_err_clear(&err);
	assert_null(rt_ctlsock_listen_tcp(f->r, NULL, 65536, &err));

	struct rt_ctlsock *unix_s = f->s;
	f->s = t;
	CONVERSE(f, "READ c.count\r\nWRITE c.reset\r\nREAD c.count\r\nQUIT\r\n",
		 GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100"
			  "200 Write handler 'c.reset' OK\r\n"
			  "200 Read handler 'c.count' OK\r\nDATA 1\r\n0" BYE);
	/* the refusal of a long line reaches the client although it sent
	 * more (no reset before it has read the reply) */
	char *in = malloc(RT_CTLSOCK_MAX_LINE + 300000);
	memset(in, 'B', RT_CTLSOCK_MAX_LINE + 299999);
	in[RT_CTLSOCK_MAX_LINE + 299999] = 0;
	struct conv v = {.f = f, .send = in};
	run_job(conv_run, &v);
	free(in);
	static const char too_long[] = GREETING "500 Line too long\r\n";
	expect_got(&v, too_long, sizeof(too_long) - 1);
	run_job(abrupt, f);
	wait_no_clients(f);
	CONVERSE(f, "READ t.len\nQUIT\n", GREETING "200 Read handler 't.len' OK\r\nDATA 1\r\n0" BYE);
	f->s = unix_s;
	f->port = 0;
	rt_ctlsock_close(t);
	uv_run(rt_router_loop(f->r), UV_RUN_NOWAIT);
}

static void test_unix_socket_file(void **st)
{
	struct fx *f = *st;
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	struct rt_err err;
	rt_err_clear(&err);
	/* someone listens: refused, their file kept */
	assert_null(rt_ctlsock_listen_unix(f->r, f->path, &err));
	assert_int_equal(err.code, -EADDRINUSE);
	assert_int_equal(stat(f->path, &sb), 0);
	CONVERSE(f, "READ c.count\nQUIT\n", GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100" BYE);
	/* closing removes the file */
	rt_ctlsock_close(f->s);
	uv_run(rt_router_loop(f->r), UV_RUN_NOWAIT);
	f->s = NULL;
	assert_int_equal(stat(f->path, &sb), -1);
	/* a stale socket (its server died) is replaced */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(stat(f->path, &sb), 0);
	rt_err_clear(&err);
	f->s = rt_ctlsock_listen_unix(f->r, f->path, &err);
	assert_non_null(f->s);
	CONVERSE(f, "READ c.count\nQUIT\n", GREETING "200 Read handler 'c.count' OK\r\nDATA 3\r\n100" BYE);
	/* a file that is not a socket is never removed */
	char other[128];
	snprintf(other, sizeof(other), "%s/file", f->dir);
	FILE *fp = fopen(other, "w");
	fputs("keep", fp);
	fclose(fp);
	rt_err_clear(&err);
	assert_null(rt_ctlsock_listen_unix(f->r, other, &err));
	assert_int_equal(err.code, -EEXIST);
	assert_int_equal(stat(other, &sb), 0);
	unlink(other);
	/* a path longer than sun_path */
	char longp[200];
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	rt_err_clear(&err);
	assert_null(rt_ctlsock_listen_unix(f->r, longp, &err));
	assert_int_equal(err.code, -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_write_quit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_param, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_split_crlf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abrupt_disconnects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_clients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_that_never_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_socket_file, setup, teardown),
	};
	return cmocka_run_group_tests_name("ctlsock", tests, NULL, NULL);
}
