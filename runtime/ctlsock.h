/*
 * ctlsock.h - Click's ControlSocket/1.3 server on the router's libuv loop:
 * a thin face over the control API (ctl.h) that parses command lines,
 * calls rt_ctl_* and formats the replies.  The protocol, its limits and its
 * differences from Click are described in docs/control-socket.md.
 *
 * Thread-safety: control thread only (the thread running the router's
 * loop).  Every callback runs on that loop; nothing a client sends blocks
 * it: input lines, data blocks and unsent output are bounded per client.
 */
#ifndef MB_CTLSOCK_H
#define MB_CTLSOCK_H

#include "router.h"

struct rt_ctlsock;

/* Limits (bytes) and the client cap, exported for tests and docs. */
#define RT_CTLSOCK_MAX_LINE (64u * 1024)          /* longer: "500 Line too long", closed */
#define RT_CTLSOCK_MAX_DATA (16u * 1024 * 1024)   /* WRITEDATA/READDATA/...UNTIL: 521 */
#define RT_CTLSOCK_OUT_PAUSE (256u * 1024)        /* unsent output: stop reading commands */
#define RT_CTLSOCK_MAX_CLIENTS 512                /* more connections are closed at once */

/* Listen on a Unix-domain socket at `path`, created with mode 0600.  A
 * stale socket file (nobody accepts on it) is removed first; a live one, or
 * a file that is not a socket, is an error (-EADDRINUSE / -EEXIST).  libuv
 * removes the file when the listener is closed.  Returns NULL with err
 * filled on failure.  Sets SIGPIPE to SIG_IGN if it was SIG_DFL (a peer
 * that hangs up must not kill the router). */
struct rt_ctlsock *rt_ctlsock_listen_unix(struct rt_router *r, const char *path, struct rt_err *err);

/* Listen on TCP host:port; host is a numeric IPv4 or IPv6 address, NULL =
 * "127.0.0.1"; port 0 picks a free port (see rt_ctlsock_port). */
struct rt_ctlsock *rt_ctlsock_listen_tcp(struct rt_router *r, const char *host, int port, struct rt_err *err);

/* mboxsh's own commands on the same connection (docs/control-socket.md):
 * SHELL runs one shell command line, SHELLDATA a multi-line one, COMPLETE
 * gives completion candidates.  The shell (shell/, above the runtime)
 * provides them: exec appends what the line printed to out and returns <0
 * when it failed; complete returns a NULL-terminated array freed with
 * complete_free, or NULL when file names should be completed.  Without a
 * shell these commands answer 501. */
struct rt_ctlsock_shell {
	int (*exec)(void *arg, const char *text, struct rt_buf *out);
	char **(*complete)(void *arg, const char *line, int start, int end);
	void (*complete_free)(char **c);
};
void rt_ctlsock_set_shell(struct rt_ctlsock *s, const struct rt_ctlsock_shell *ops, void *arg);

/* The TCP port it listens on; -1 for a Unix-domain socket. */
int rt_ctlsock_port(const struct rt_ctlsock *s);

/* Connected clients (those finishing after their last reply included). */
int rt_ctlsock_nclients(const struct rt_ctlsock *s);
/* Reply bytes accepted but not yet written to the clients' sockets, all
 * clients together (at most about RT_CTLSOCK_OUT_PAUSE plus one reply per
 * client). */
size_t rt_ctlsock_unsent(const struct rt_ctlsock *s);

/* Close the listener and every client (unsent replies are dropped).  The
 * memory is freed from libuv close callbacks, so the caller must then run
 * the loop once more, e.g. uv_run(loop, UV_RUN_NOWAIT), before closing the
 * loop; one pass is enough as no request is left to finish.  Call it before
 * rt_router_free.  NULL is ignored. */
void rt_ctlsock_close(struct rt_ctlsock *s);

#endif
