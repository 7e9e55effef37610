/*
 * ctlsock.c - Click's ControlSocket/1.3 protocol over libuv streams (Unix
 * pipe or TCP).  Each client is a small state machine: it waits for a
 * command line, or for the n bytes of a READDATA/WRITEDATA/LLRPC, or for
 * the terminator line of a READUNTIL/WRITEUNTIL, or discards the data of a
 * command it already refused.  Commands call the control API (ctl.h) and
 * nothing else; replies are formatted here.
 *
 * Bounds (ctlsock.h): a partial line is at most RT_CTLSOCK_MAX_LINE bytes,
 * a data block at most RT_CTLSOCK_MAX_DATA; once a client's unsent output
 * passes RT_CTLSOCK_OUT_PAUSE the server stops reading its commands until
 * libuv has written it out, so a client that never reads its replies costs
 * a bounded amount of memory and never delays the others.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlsock_int.h"
#include "tenant/tn.h"

/* ---- output ------------------------------------------------------------- */

/* One reply line, made printable as Click does (^X for control bytes). */
void cs_put_line(struct cs_client *c, int code, bool more, const char *msg, size_t n)
{
	rt_buf_printf(&c->out, "%d%c", code, more ? '-' : ' ');
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)msg[i];
		if (ch >= 32 && ch < 127)
			rt_buf_add(&c->out, &msg[i], 1);
		else if (ch < 32 || ch == 127)
			rt_buf_printf(&c->out, "^%c", ch == 127 ? '?' : ch + 64);
		else
			rt_buf_printf(&c->out, "\\%03o", ch);
	}
	rt_buf_add(&c->out, "\r\n", 2);
}

/* A message of one or more lines: "code-line" for all but the last. */
void cs_put_msg(struct cs_client *c, int code, bool more, const char *msg)
{
	size_t len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		len--;
	for (;;) {
		const char *nl = memchr(msg, '\n', len);
		if (!nl) {
			cs_put_line(c, code, more, msg, len);
			return;
		}
		cs_put_line(c, code, true, msg, (size_t)(nl - msg));
		len -= (size_t)(nl + 1 - msg);
		msg = nl + 1;
	}
}

void cs_reply(struct cs_client *c, int code, const char *fmt, ...)
{
	struct rt_buf b;
	rt_buf_init(&b);
	va_list ap;
	va_start(ap, fmt);
	rt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cs_put_msg(c, code, false, b.p ? b.p : "");
	rt_buf_free(&b);
}

/* The one mapping from control-API errors to reply codes. */
int cs_err_code(const struct rt_err *err)
{
	if (err->code == -ENOENT && !strncmp(err->msg, "no element ", 11))
		return CS_NO_ELEMENT;
	if (err->code == -ENOENT && !strncmp(err->msg, "no handler ", 11))
		return CS_NO_HANDLER;
	if (err->code == -EPERM)
		return CS_PERMISSION;
	return CS_HANDLER_ERROR;
}

/* Errors from a handler call: "520-Read handler 'x' error:" then the
 * message lines (Click's transfer_messages); other codes: the message. */
void cs_reply_err(struct cs_client *c, const char *what, const char *hname, const struct rt_err *err)
{
	int code = cs_err_code(err);
	const char *msg = err->msg[0] ? err->msg : "failed";
	if (code != CS_HANDLER_ERROR) {
		cs_put_msg(c, code, false, msg);
		return;
	}
	struct rt_buf b;
	rt_buf_init(&b);
	rt_buf_printf(&b, "%s handler '%s' error:", what, hname);
	cs_put_msg(c, code, true, b.p);
	cs_put_msg(c, code, false, msg);
	rt_buf_free(&b);
}

static void client_abort(struct cs_client *c);
static void client_process(struct cs_client *c);
static void client_finish(struct cs_client *c);

static void on_written(uv_write_t *req, int status)
{
	struct cs_client *c = req->handle->data;
	free(req->data); /* the replies' bytes */
	free(req);
	if (uv_is_closing(&c->io.h))
		return;
	if (status < 0) {
		client_abort(c);
		return;
	}
	if (c->paused && uv_stream_get_write_queue_size(&c->io.s) <= RT_CTLSOCK_OUT_PAUSE / 2) {
		c->paused = false;
		client_process(c);
	}
}

/* Hand the formatted replies to libuv (it writes at once what the socket
 * takes and queues the rest). */
static void flush(struct cs_client *c)
{
	if (!c->out.len || uv_is_closing(&c->io.h))
		return;
	uv_write_t *req = malloc(sizeof(*req));
	if (!req)
		abort();
	uv_buf_t buf = uv_buf_init(NULL, (unsigned)c->out.len);
	req->data = buf.base = rt_buf_steal(&c->out);
	if (uv_write(req, &c->io.s, &buf, 1, on_written) < 0) {
		free(req->data);
		free(req);
		client_abort(c);
	}
}

/* ---- input ---------------------------------------------------------------- */

/* Find the next line in the input: its length without the terminator
 * (LF, CRLF or a lone CR) and the length with it.  False when no complete
 * line yet. */
static bool next_line(const struct cs_client *c, size_t *len, size_t *with_eol)
{
	const char *p = c->in.p + c->in_off;
	size_t avail = c->in.len - c->in_off, scan = RT_MIN(avail, (size_t)RT_CTLSOCK_MAX_LINE + 2);
	for (size_t i = 0; i < scan; i++) {
		if (p[i] != '\n' && p[i] != '\r')
			continue;
		*len = i;
		*with_eol = i + 1 + (p[i] == '\r' && i + 1 < avail && p[i + 1] == '\n');
		return true;
	}
	if (c->read_closed && avail && avail <= RT_CTLSOCK_MAX_LINE) {
		*len = *with_eol = avail;
		return true;
	}
	return false;
}

/* Stop reading this client's commands: reply and close once written. */
static void fatal(struct cs_client *c, int code, const char *msg)
{
	cs_reply(c, code, "%s", msg);
	c->quitting = true;
}

/* One step through the input: a command line, a data block, or a line of
 * an ...UNTIL command.  False when it needs more input or the client is
 * done. */
static bool step(struct cs_client *c)
{
	size_t avail = c->in.len - c->in_off, len, with_eol;
	char *p = c->in.p + c->in_off;
	if (c->skip_lf && avail) { /* the LF of a CRLF split between reads */
		c->skip_lf = false;
		c->in_off += *p == '\n';
		return true;
	}
	if (c->wait == W_DATA || c->wait == W_SKIP) {
		size_t take = (size_t)RT_MIN((uint64_t)avail, c->need);
		if (c->wait == W_DATA)
			rt_buf_add(&c->data, p, take);
		c->in_off += take;
		c->need -= take;
		if (c->need) {
			if (c->read_closed)
				fatal(c, CS_SYNTAX, "Not enough data");
			return false;
		}
		if (c->wait == W_DATA)
			cs_run_data_command(c);
		c->wait = W_LINE;
		return true;
	}
	if (!next_line(c, &len, &with_eol) || len > RT_CTLSOCK_MAX_LINE) {
		if (avail > RT_CTLSOCK_MAX_LINE)
			fatal(c, CS_SYNTAX, "Line too long");
		else if (c->read_closed && c->wait == W_UNTIL)
			fatal(c, CS_SYNTAX, "Connection closed");
		return false;
	}
	c->in_off += with_eol;
	c->skip_lf = with_eol == len + 1 && p[len] == '\r' && c->in_off == c->in.len;
	if (c->wait == W_LINE) {
		cs_command(c, p, len);
		return true;
	}
	size_t tl = len, ul = strlen(c->until); /* the terminator, trailing spaces ignored */
	while (tl && isspace((unsigned char)p[tl - 1]))
		tl--;
	if (tl == ul && !memcmp(p, c->until, ul)) {
		cs_run_data_command(c);
	} else if (c->until_overflow || c->data.len + with_eol > RT_CTLSOCK_MAX_DATA) {
		c->until_overflow = true; /* refused at the terminator */
		rt_buf_free(&c->data);
	} else {
		rt_buf_add(&c->data, p, with_eol);
	}
	return true;
}

/* Consume as much input as the client's state allows. */
static void consume(struct cs_client *c)
{
	while (!c->quitting && !c->paused && !uv_is_closing(&c->io.h) && step(c)) {
		/* replies go out in batches; a client whose replies pile up
		 * unsent is not read until libuv has written them */
		if (c->out.len >= 64 * 1024)
			flush(c);
		if (uv_stream_get_write_queue_size(&c->io.s) > RT_CTLSOCK_OUT_PAUSE)
			c->paused = true;
	}
	/* keep what is left at the start of the buffer */
	if (c->in_off) {
		memmove(c->in.p, c->in.p + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct cs_client *c = h->data;
	*buf = uv_buf_init(c->s->rbuf, sizeof(c->s->rbuf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct cs_client *c = st->data;
	if (nread == 0)
		return;
	if (c->quitting) { /* lingering: discard until the peer closes */
		c->lingered += nread > 0 ? (size_t)nread : 0;
		if (nread < 0 || c->lingered > CS_LINGER_MAX)
			client_abort(c);
		return;
	}
	if (nread < 0 && nread != UV_EOF) {
		client_abort(c);
		return;
	}
	if (nread > 0)
		rt_buf_add(&c->in, buf->base, (size_t)nread);
	else
		c->read_closed = true;
	client_process(c);
}

/* Run what the input allows, then settle the reading state: paused,
 * lingering after a last reply, or closing after EOF. */
static void client_process(struct cs_client *c)
{
	consume(c);
	flush(c);
	if (uv_is_closing(&c->io.h))
		return;
	if (c->quitting) {
		client_finish(c);
	} else if (c->paused) {
		uv_read_stop(&c->io.s); /* on_written resumes */
	} else if (c->read_closed) {
		client_finish(c);
	} else {
		int rc = uv_read_start(&c->io.s, on_alloc, on_read);
		if (rc < 0 && rc != UV_EALREADY)
			client_abort(c);
	}
}

static void on_client_closed(uv_handle_t *h)
{
	struct cs_client *c = h->data;
	struct rt_ctlsock *s = c->s;
	rt_buf_free(&c->in);
	rt_buf_free(&c->out);
	rt_buf_free(&c->data);
	free(c->wait_handler);
	free(c->until);
	free(c);
	s->nhandles--;
	if (s->closing && s->lis_closed && !s->nhandles)
		free(s);
}

static void client_abort(struct cs_client *c)
{
	if (uv_is_closing(&c->io.h))
		return;
	if (c->listed) {
		if (c->prev)
			c->prev->next = c->next;
		else
			c->s->clients = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->s->nclients--;
		c->listed = false;
	}
	uv_close(&c->io.h, on_client_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct cs_client *c = req->handle->data;
	if (uv_is_closing(&c->io.h))
		return;
	/* the peer may still send (a rest of a too-long line): read and
	 * discard it so the kernel does not reset the connection before the
	 * peer has read our last reply */
	if (status < 0 || c->read_closed || uv_read_start(&c->io.s, on_alloc, on_read) < 0)
		client_abort(c);
}

/* No more commands from this client: shut down writing once every reply is
 * out (uv_shutdown waits for queued writes), then close. */
static void client_finish(struct cs_client *c)
{
	if (c->sd.handle) /* already shutting down */
		return;
	c->quitting = true;
	uv_read_stop(&c->io.s);
	rt_buf_free(&c->in);
	c->in_off = 0;
	if (uv_shutdown(&c->sd, &c->io.s, on_shutdown) < 0)
		client_abort(c);
}

/* ---- listening --------------------------------------------------------------- */

/* A Unix-socket client's identity: its user (SO_PEERCRED) through the
 * tenants' table; nobody when the kernel will not say. */
static struct rt_ident peer_ident(struct cs_client *c)
{
	uv_os_fd_t fd;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (uv_fileno(&c->io.h, &fd) < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return RT_IDENT_NOBODY;
	return tn_ident_of_uid(c->s->r, cred.uid);
}

static void on_connection(uv_stream_t *lis, int status)
{
	struct rt_ctlsock *s = lis->data;
	if (status < 0 || s->closing)
		return;
	struct cs_client *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->s = s;
	if (s->tcp)
		uv_tcp_init(lis->loop, &c->io.tcp);
	else
		uv_pipe_init(lis->loop, &c->io.pipe, 0);
	c->io.h.data = c;
	s->nhandles++;
	if (uv_accept(lis, &c->io.s) < 0 || s->nclients >= RT_CTLSOCK_MAX_CLIENTS) {
		uv_close(&c->io.h, on_client_closed);
		return;
	}
	if (s->tcp)
		uv_tcp_nodelay(&c->io.tcp, 1);
	c->id = s->tcp ? tn_ident_tcp(s->r) : peer_ident(c);
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->nclients++;
	c->listed = true;
	rt_buf_puts(&c->out, "Click::ControlSocket/" CS_VERSION "\r\n");
	flush(c);
	if (!uv_is_closing(&c->io.h))
		client_process(c);
}

static struct rt_ctlsock *cs_new(struct rt_router *r, bool tcp)
{
	struct rt_ctlsock *s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->r = r;
	s->tcp = tcp;
	if (tcp)
		uv_tcp_init(rt_router_loop(r), &s->lis.tcp);
	else
		uv_pipe_init(rt_router_loop(r), &s->lis.pipe, 0);
	s->lis.h.data = s;
	/* a peer that hangs up must not kill the router with SIGPIPE */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	return s;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct rt_ctlsock *s = h->data;
	s->lis_closed = true;
	if (!s->nhandles)
		free(s);
}

/* Undo cs_new after a failed bind or listen. */
static struct rt_ctlsock *cs_fail(struct rt_ctlsock *s)
{
	s->closing = true;
	uv_close(&s->lis.h, on_listener_closed);
	return NULL;
}

static int cs_listen(struct rt_ctlsock *s, const char *what, struct rt_err *err)
{
	int rc = uv_listen(&s->lis.s, 128, on_connection);
	if (rc < 0)
		return rt_errf(err, NULL, rc, "control socket %s: listen: %s", what, uv_strerror(rc));
	return 0;
}

/* Is someone accepting on the Unix socket at path?  -errno when it cannot
 * be told. */
static int unix_live(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
		return 1;
	return e == ECONNREFUSED || e == ENOENT ? 0 : -e;
}

struct rt_ctlsock *rt_ctlsock_listen_unix(struct rt_router *r, const char *path, struct rt_err *err)
{
	if (!path || !*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		rt_errf(err, NULL, -ENAMETOOLONG, "control socket '%s': empty or too long a path", path ? path : "");
		return NULL;
	}
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			rt_errf(err, NULL, -EEXIST, "control socket '%s': file exists and is not a socket", path);
			return NULL;
		}
		int live = unix_live(path);
		if (live != 0) {
			rt_errf(err, NULL, live > 0 ? -EADDRINUSE : live, "control socket '%s': %s", path,
				live > 0 ? "in use by another process" : strerror(-live));
			return NULL;
		}
		unlink(path); /* stale: its server is gone */
	}
	struct rt_ctlsock *s = cs_new(r, false);
	int rc = uv_pipe_bind(&s->lis.pipe, path);
	if (rc < 0) {
		rt_errf(err, NULL, rc, "control socket '%s': bind: %s", path, uv_strerror(rc));
		return cs_fail(s);
	}
	/* before listen: nobody can connect while the mode is umask's */
	if (chmod(path, 0600) < 0) {
		rt_errf(err, NULL, -errno, "control socket '%s': chmod: %s", path, strerror(errno));
		return cs_fail(s);
	}
	if (cs_listen(s, path, err) < 0)
		return cs_fail(s);
	return s;
}

struct rt_ctlsock *rt_ctlsock_listen_tcp(struct rt_router *r, const char *host, int port, struct rt_err *err)
{
	if (!host)
		host = "127.0.0.1";
	struct sockaddr_storage sa;
	if (port < 0 || port > 65535) {
		rt_errf(err, NULL, -EINVAL, "control socket: bad TCP port %d", port);
		return NULL;
	}
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) < 0 &&
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) < 0) {
		rt_errf(err, NULL, -EINVAL, "control socket: bad address '%s' (want a numeric IPv4 or IPv6 address)",
			host);
		return NULL;
	}
	char what[80];
	snprintf(what, sizeof(what), "%s%s%s:%d", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		 port);
	struct rt_ctlsock *s = cs_new(r, true);
	int rc = uv_tcp_bind(&s->lis.tcp, (struct sockaddr *)&sa, 0);
	if (rc < 0) {
		rt_errf(err, NULL, rc, "control socket %s: bind: %s", what, uv_strerror(rc));
		return cs_fail(s);
	}
	if (cs_listen(s, what, err) < 0)
		return cs_fail(s);
	return s;
}

int rt_ctlsock_port(const struct rt_ctlsock *s)
{
	if (!s->tcp)
		return -1;
	struct sockaddr_storage sa;
	int len = sizeof(sa);
	if (uv_tcp_getsockname(&s->lis.tcp, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	if (sa.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sa)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
}

int rt_ctlsock_nclients(const struct rt_ctlsock *s) { return s->nclients; }

size_t rt_ctlsock_unsent(const struct rt_ctlsock *s)
{
	size_t n = 0;
	for (const struct cs_client *c = s->clients; c; c = c->next)
		n += uv_stream_get_write_queue_size(&c->io.s) + c->out.len;
	return n;
}

void rt_ctlsock_close(struct rt_ctlsock *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	while (s->clients)
		client_abort(s->clients);
	uv_close(&s->lis.h, on_listener_closed);
}

void rt_ctlsock_set_shell(struct rt_ctlsock *s, const struct rt_ctlsock_shell *ops, void *arg)
{
	s->sh = ops;
	s->sh_arg = arg;
}
