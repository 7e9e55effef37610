/*
 * remote.h - the client side of `mboxsh --connect` (remote.c): a
 * connection to another mboxsh's control socket and the sh_remote_ops
 * that a remote shell (sh_new_remote) forwards its lines through.
 */
#ifndef MB_SH_REMOTE_H
#define MB_SH_REMOTE_H

#include "shell/repl.h"

struct sh_remote;

/* Connect to PATH (a Unix socket) or HOST:PORT (TCP) and check the
 * ControlSocket greeting.  NULL with err filled on failure. */
struct sh_remote *sh_remote_connect(const char *where, struct rt_err *err);
void sh_remote_close(struct sh_remote *c);

extern const struct sh_remote_ops sh_remote_ops;

#endif
