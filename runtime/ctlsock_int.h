/*
 * ctlsock_int.h - what ctlsock.c (connections, input, output) and
 * ctlsock_cmds.c (the commands) share.
 */
#ifndef MB_CTLSOCK_INT_H
#define MB_CTLSOCK_INT_H

#include <uv.h>

#include "ctl.h"
#include "ctlsock.h"

#define CS_VERSION "1.3"
/* Bytes of input discarded after a reply that closes the connection, so
 * the reply is not lost to a TCP reset; past this the peer is cut off. */
#define CS_LINGER_MAX (1u * 1024 * 1024)

enum cs_code {
	CS_OK = 200,
	CS_SYNTAX = 500,
	CS_UNIMPLEMENTED = 501,
	CS_NO_ELEMENT = 510,
	CS_NO_HANDLER = 511,
	CS_HANDLER_ERROR = 520,
	CS_DATA_TOO_BIG = 521,
	CS_PERMISSION = 530,
	CS_AUTH_FAILED = 531, /* mboxsh: AUTH with an unknown token */
};

union cs_stream {
	uv_handle_t h;
	uv_stream_t s;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

enum cs_wait {
	W_LINE,  /* a command line */
	W_DATA,  /* `need` bytes for READDATA / WRITEDATA */
	W_UNTIL, /* lines up to `until` for READUNTIL / WRITEUNTIL */
	W_SKIP,  /* `need` bytes to discard (refused command) */
};

struct cs_client {
	union cs_stream io; /* first: io.h.data points back here */
	struct rt_ctlsock *s;
	struct cs_client *prev, *next;
	struct rt_buf in;   /* received, not yet consumed from in_off */
	size_t in_off;
	struct rt_buf out;  /* formatted replies not yet handed to libuv */
	enum cs_wait wait;
	bool wait_write;    /* the pending data command writes */
	enum { D_HANDLER, D_SHELL, D_COMPLETE } wait_kind; /* what the pending data is for */
	int cstart, cend;   /* D_COMPLETE: the word to complete */
	bool until_overflow;
	char *wait_handler; /* handler of the pending data command */
	char *until;        /* READUNTIL/WRITEUNTIL terminator, trimmed */
	uint64_t need;      /* W_DATA/W_SKIP: bytes still expected */
	struct rt_buf data; /* W_DATA/W_UNTIL: collected */
	bool read_closed;   /* EOF seen */
	bool paused;        /* stopped reading: too much unsent output */
	bool quitting;      /* last reply queued: shut down once written */
	bool listed;        /* in s->clients */
	bool skip_lf;       /* the last line ended with a CR that ended the input */
	size_t lingered;
	uv_shutdown_t sd;
	struct rt_ident id;   /* who it is (peer credentials, AUTH): every command acts for it */
};

struct rt_ctlsock {
	union cs_stream lis;
	struct rt_router *r;
	bool tcp, closing, lis_closed;
	int nclients, nhandles; /* clients listed / client handles not yet closed */
	struct cs_client *clients;
	const struct rt_ctlsock_shell *sh; /* SHELL, SHELLDATA, COMPLETE; NULL: none */
	void *sh_arg;
	char rbuf[64 * 1024]; /* read buffer shared by all clients: each read is consumed at once */
};

/* Replies (ctlsock.c): a "CODE[-| ]msg" line; msg may hold newlines
 * (each line gets the code).  cs_reply_err formats a control-API error
 * with the code its cause maps to. */
void cs_put_line(struct cs_client *c, int code, bool more, const char *msg, size_t n);
void cs_put_msg(struct cs_client *c, int code, bool more, const char *msg);
__attribute__((format(printf, 3, 4))) void cs_reply(struct cs_client *c, int code, const char *fmt, ...);
int cs_err_code(const struct rt_err *err);
void cs_reply_err(struct cs_client *c, const char *what, const char *hname, const struct rt_err *err);

/* Commands (ctlsock_cmds.c): one complete command line, and the data of a
 * READDATA/WRITEDATA/SHELLDATA once it has all arrived. */
void cs_command(struct cs_client *c, char *line, size_t n);
void cs_run_data_command(struct cs_client *c);

#endif
