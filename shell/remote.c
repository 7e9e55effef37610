/*
 * remote.c - `mboxsh --connect PATH|HOST:PORT`: a shell whose command lines
 * run in another mboxsh, through its control socket.  Nothing is
 * implemented twice: each line goes over as SHELLDATA and the other side's
 * dispatcher runs it and sends back what it printed (DATA); Tab asks it
 * for candidates (COMPLETE).  Only quit/exit, top's timer and the
 * continuation of multi-line input run here (docs/control-socket.md).
 *
 * The client is blocking and one request at a time: the front end waits
 * for each reply, as a person at the prompt does.  A lost connection is
 * one error line, then every later command fails the same way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shell/remote.h"

struct sh_remote {
	int fd;
	char *where;
	struct rt_buf in; /* received, not yet consumed */
};

static int dial_unix(const char *path, struct rt_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return rt_errf(err, NULL, -ENAMETOOLONG, "%s: socket path too long", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return rt_errf(err, NULL, -e, "cannot connect to %s: %s", path, strerror(e));
	}
	return fd;
}

static int dial_tcp(const char *host, const char *port, struct rt_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return rt_errf(err, NULL, -ENOENT, "cannot connect to %s:%s: %s", host, port, gai_strerror(rc));
	int fd = -1, e = 0;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return rt_errf(err, NULL, -(e ? e : ECONNREFUSED), "cannot connect to %s:%s: %s", host, port,
			       strerror(e ? e : ECONNREFUSED));
	return fd;
}

/* One reply line (terminator removed) into line; false when the peer is
 * gone. */
static bool get_line(struct sh_remote *c, char *line, size_t cap)
{
	for (;;) {
		char *nl = c->in.p ? memchr(c->in.p, '\n', c->in.len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - c->in.p), k = n && nl[-1] == '\r' ? n - 1 : n;
			snprintf(line, cap, "%.*s", (int)k, c->in.p);
			memmove(c->in.p, nl + 1, c->in.len - n - 1);
			c->in.len -= n + 1;
			return true;
		}
		char buf[4096];
		ssize_t r = read(c->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		rt_buf_add(&c->in, buf, (size_t)r);
	}
}

/* n bytes of DATA appended to out. */
static bool get_data(struct sh_remote *c, size_t n, struct rt_buf *out)
{
	while (c->in.len < n) {
		char buf[4096];
		ssize_t r = read(c->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		rt_buf_add(&c->in, buf, (size_t)r);
	}
	rt_buf_add(out, c->in.p, n);
	memmove(c->in.p, c->in.p + n, c->in.len - n);
	c->in.len -= n;
	return true;
}

static bool put_all(struct sh_remote *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void lost(struct sh_remote *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Send a command and its data; read the reply's status (its last line),
 * and its DATA into out when it has one (codes 200 and 520).  Returns the
 * code, or -1 when the connection is gone; msg gets the status text. */
static int request(struct sh_remote *c, const char *cmd, const char *data, size_t n, struct rt_buf *out, char *msg,
		   size_t msgcap)
{
	char line[1024];
	if (c->fd < 0 || !put_all(c, cmd, strlen(cmd)) || !put_all(c, data, n))
		goto gone;
	do {
		if (!get_line(c, line, sizeof(line)) || strlen(line) < 4)
			goto gone;
	} while (line[3] == '-');
	int code = atoi(line);
	snprintf(msg, msgcap, "%s", line + 4);
	if (code == 200 || code == 520) {
		char dl[128];
		size_t len;
		if (!get_line(c, dl, sizeof(dl)) || sscanf(dl, "DATA %zu", &len) != 1 || !get_data(c, len, out))
			goto gone;
	}
	return code;
gone:
	lost(c);
	snprintf(msg, msgcap, "connection to %s lost", c->where);
	return -1;
}

static int remote_exec(void *arg, const char *text, struct rt_buf *out)
{
	struct sh_remote *c = arg;
	char cmd[64], msg[1024];
	snprintf(cmd, sizeof(cmd), "SHELLDATA %zu\r\n", strlen(text));
	int code = request(c, cmd, text, strlen(text), out, msg, sizeof(msg));
	if (code == 200)
		return 0;
	if (code != 520) /* 520: the error line is in the output already */
		rt_buf_printf(out, "error: %s\n", msg);
	return code < 0 ? -EPIPE : -EINVAL;
}

static char **remote_complete(void *arg, const char *line, int start, int end)
{
	struct sh_remote *c = arg;
	char cmd[96], msg[1024];
	struct rt_buf out;
	rt_buf_init(&out);
	snprintf(cmd, sizeof(cmd), "COMPLETE %d %d %zu\r\n", start, end, strlen(line));
	int code = request(c, cmd, line, strlen(line), &out, msg, sizeof(msg));
	char **v = calloc(1, sizeof(char *));
	if (code == 200 && out.p && !strncmp(out.p, "files\n", 6)) {
		free(v);
		v = NULL;
	} else if (code == 200 && out.p && !strncmp(out.p, "words\n", 6)) {
		int n = 0;
		for (char *p = out.p + 6, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
			v = realloc(v, sizeof(char *) * (size_t)(n + 2));
			v[n++] = strndup(p, (size_t)(nl - p));
			v[n] = NULL;
		}
	}
	rt_buf_free(&out);
	return v;
}

const struct sh_remote_ops sh_remote_ops = {remote_exec, remote_complete};

struct sh_remote *sh_remote_connect(const char *where, struct rt_err *err)
{
	/* HOST:PORT when the part after the last colon is a port number and
	 * there is no slash; otherwise a Unix socket path */
	const char *colon = strrchr(where, ':');
	bool tcp = colon && !strchr(where, '/') && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1);
	int fd;
	if (tcp) {
		char host[256];
		snprintf(host, sizeof(host), "%.*s", (int)(colon - where), where);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:port */
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = 0;
		}
		fd = dial_tcp(host[0] ? host : "127.0.0.1", colon + 1, err);
	} else {
		fd = dial_unix(where, err);
	}
	if (fd < 0)
		return NULL;
	struct sh_remote *c = calloc(1, sizeof(*c));
	c->fd = fd;
	c->where = strdup(where);
	rt_buf_init(&c->in);
	char greeting[256];
	if (!get_line(c, greeting, sizeof(greeting)) || strncmp(greeting, "Click::ControlSocket/", 21)) {
		rt_errf(err, NULL, -EPROTO, "%s: not a control socket (no ControlSocket greeting)", where);
		sh_remote_close(c);
		return NULL;
	}
	/* a tenant's (or the operator's) token: act for it (docs/tenants.md) */
	const char *token = getenv("MBOXSH_TOKEN");
	if (token && *token) {
		struct rt_buf cmd;
		char line[256];
		rt_buf_init(&cmd);
		rt_buf_printf(&cmd, "AUTH %s\r\n", token);
		/* one status line, no DATA */
		bool ok = !strpbrk(token, " \t\r\n") && put_all(c, cmd.p, cmd.len) && get_line(c, line, sizeof(line)) &&
			  !strncmp(line, "200 ", 4);
		rt_buf_free(&cmd);
		if (!ok) {
			rt_errf(err, NULL, -EACCES, "%s: authentication failed (MBOXSH_TOKEN)", where);
			sh_remote_close(c);
			return NULL;
		}
	}
	return c;
}

void sh_remote_close(struct sh_remote *c)
{
	if (!c)
		return;
	if (c->fd >= 0) {
		put_all(c, "QUIT\r\n", 6);
		close(c->fd);
	}
	rt_buf_free(&c->in);
	free(c->where);
	free(c);
}
