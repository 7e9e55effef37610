/*
 * main.c - the mboxsh program.  Runs a configuration with Click's userlevel
 * command line (also when invoked as `click`), prints handler values when
 * the run ends, and, when run by a person on a terminal, shows live
 * counters once a second.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctlsock.h"
#include "demo.h"
#include "lua/lmb.h"
#include "shell/remote.h"
#include "shell/repl.h"

struct opts {
	const char *file, *expr, *output, *eal;
	const char *unix_socket; /* -u */
	const char *connect;     /* --connect: a shell on another mboxsh */
	int port;                /* -p, -1 = none */
	bool listen_all;         /* -p on every address, not only loopback */
	const char **handlers;
	int nhandlers;
	const char **defines;
	int ndefines;
	bool quit, live, as_click, print_time;
	bool lua;                /* the positional file is a Lua script */
	bool interactive;        /* -i, or no configuration on a terminal: the shell */
	int workers;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [OPTION]... [ROUTERFILE] [NAME=VALUE]...\n"
		"Run a Click-language configuration on the mboxsh runtime (DPDK, embedded).\n\n"
		"  -f, --file FILE          read the configuration from FILE ('-' = stdin)\n"
		"  -e, --expression EXPR    use EXPR as the configuration\n"
		"  -h, --handler ELEM.H     print the value of handler ELEM.H when the run ends\n"
		"  -q, --quit               do not run the configuration\n"
		"  -o, --output FILE        write the flattened configuration to FILE ('-' = stdout)\n"
		"  -j, --threads N          number of workers (default 1)\n"
		"      --eal \"ARGS\"         DPDK EAL arguments (real NICs, hugepages, vdevs)\n"
		"      --live / --no-live   print live counters every second (default: on a tty)\n"
		"  -t, --time               print the running time when the run ends\n"
		"      --simtime            accepted for Click compatibility (no effect)\n"
		"  -p, --port PORT          control socket (Click ControlSocket) on TCP PORT of 127.0.0.1\n"
		"      --listen-all         with -p, listen on every address, as Click does\n"
		"  -u, --unix-socket FILE   control socket on the Unix socket FILE (mode 0600)\n"
		"  -i, --interactive        operator shell on stdin (docs/shell.md); with no\n"
		"                           configuration on a terminal it is the default\n"
		"      --connect PATH|HOST:PORT\n"
		"                           the shell of another mboxsh, through its control socket\n"
		"                           (as the tenant whose token is in $MBOXSH_TOKEN, if set)\n"
		"      --demo               run the built-in demo middlebox\n"
		"      --help, --version\n"
		"NAME=VALUE sets the configuration variable $NAME.\n"
		"A ROUTERFILE ending in .lua is a Lua automation script (docs/lua.md).\n"
		"With no configuration, mboxsh runs its demo middlebox.\n",
		prog);
}

static char *read_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f)
		return NULL;
	struct rt_buf b;
	rt_buf_init(&b);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		rt_buf_add(&b, tmp, n);
	if (f != stdin)
		fclose(f);
	return rt_buf_steal(&b);
}

/* Click's -h output: the value alone for one handler; "name:\nvalue\n" for
 * several.  A value always ends with a newline. */
static int print_handlers(struct rt_router *r, const struct opts *o)
{
	int status = 0;
	for (int i = 0; i < o->nhandlers; i++) {
		struct rt_buf b;
		struct rt_err err;
		rt_buf_init(&b);
		rt_err_clear(&err);
		if (rt_ctl_read(r, o->handlers[i], &b, &err) < 0) {
			fprintf(stderr, "%s: %s\n", o->handlers[i], err.msg);
			status = 1;
		} else {
			if (o->nhandlers > 1)
				printf("%s:\n", o->handlers[i]);
			fputs(b.p ? b.p : "", stdout);
			if (b.len && b.p[b.len - 1] != '\n')
				putchar('\n');
			if (o->nhandlers > 1)
				putchar('\n');
		}
		rt_buf_free(&b);
	}
	fflush(stdout);
	return status;
}

struct run_ctx {
	struct rt_router *r;
	uv_signal_t sigint, sigterm;
	uv_timer_t live;
	bool has_live;
	uint64_t start_ns;
};

static void on_signal(uv_signal_t *h, int sig)
{
	struct run_ctx *c = h->data;
	if (sig == SIGINT && sh_repl_interrupt()) /* the shell's: clear the line, end top */
		return;
	rt_router_stop(c->r);
}

static void on_live(uv_timer_t *t)
{
	struct run_ctx *c = t->data;
	struct rt_ctl_stat *v;
	struct rt_err err;
	rt_err_clear(&err);
	int n = rt_ctl_stats(c->r, &v, &err);
	fprintf(stderr, "--- %.1fs\n", (double)(rt_now_ns() - c->start_ns) / 1e9);
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "  %-24s %-16s count %14llu", v[i].name, v[i].cls, (unsigned long long)v[i].count);
		if (v[i].rate >= 0)
			fprintf(stderr, "   rate %.0f/s", v[i].rate);
		fputc('\n', stderr);
	}
	if (n >= 0)
		free(v);
}

static void on_stop(struct rt_router *r, void *arg)
{
	(void)r;
	struct run_ctx *c = arg;
	uv_signal_stop(&c->sigint);
	uv_signal_stop(&c->sigterm);
	if (c->has_live)
		uv_timer_stop(&c->live);
	uv_stop(rt_router_loop(c->r));
}

static int run(struct rt_router *r, const struct opts *o)
{
	struct rt_err err;
	rt_err_clear(&err);
	uv_loop_t *loop = rt_router_loop(r);
	struct run_ctx c = {.r = r, .start_ns = rt_now_ns()};
	uv_signal_init(loop, &c.sigint);
	uv_signal_init(loop, &c.sigterm);
	c.sigint.data = c.sigterm.data = &c;
	uv_signal_start(&c.sigint, on_signal, SIGINT);
	uv_signal_start(&c.sigterm, on_signal, SIGTERM);
	if (o->live) {
		uv_timer_init(loop, &c.live);
		c.live.data = &c;
		uv_timer_start(&c.live, on_live, 1000, 1000);
		c.has_live = true;
	}
	rt_router_on_stop(r, on_stop, &c);
	if (rt_router_start(r, &err) < 0) {
		char msg[700];
		fprintf(stderr, "mboxsh: %s\n", rt_err_str(&err, msg, sizeof(msg)));
		return 1;
	}
	struct sh *sh = NULL;
	if (o->interactive && (!(sh = sh_new(r)) || sh_repl_start(sh, loop, isatty(STDIN_FILENO)) < 0)) {
		fprintf(stderr, "mboxsh: cannot read commands from stdin\n");
		rt_router_stop(r);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	rt_router_join(r);
	int status = sh && sh_repl_stop() ? 1 : 0;
	sh_free(sh);
	if (o->print_time)
		fprintf(stderr, "%.6f\n", (double)(rt_now_ns() - c.start_ns) / 1e9);
	rt_router_on_stop(r, NULL, NULL);
	uv_close((uv_handle_t *)&c.sigint, NULL);
	uv_close((uv_handle_t *)&c.sigterm, NULL);
	if (c.has_live)
		uv_close((uv_handle_t *)&c.live, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return status;
}

/* A .lua file is automation (docs/lua.md): the router starts from an empty
 * configuration after the script's main chunk (which may mb.load one), and
 * the loop runs while the script has timers or coroutines pending and the
 * router runs.  Status 1 when the script or one of its callbacks failed. */
static void on_lua_stop(struct rt_router *r, void *arg)
{
	(void)r;
	*(bool *)arg = true;
}

static int run_lua(struct rt_router *r, const struct opts *o)
{
	struct rt_err err;
	rt_err_clear(&err);
	char msg[700];
	int status = 1;
	bool stopped = false;
	struct lmb *m = lmb_new(r, 0, &err);
	if (!m || rt_router_load(r, "", "<lua>", o->defines, &err) < 0 || lmb_dofile(m, o->file, NULL, &err) < 0 ||
	    rt_router_start(r, &err) < 0) {
		fprintf(stderr, "mboxsh: %s\n", rt_err_str(&err, msg, sizeof(msg)));
		goto out;
	}
	struct run_ctx c = {.r = r};
	uv_signal_init(rt_router_loop(r), &c.sigint);
	uv_signal_init(rt_router_loop(r), &c.sigterm);
	c.sigint.data = c.sigterm.data = &c;
	uv_signal_start(&c.sigint, on_signal, SIGINT);
	uv_signal_start(&c.sigterm, on_signal, SIGTERM);
	rt_router_on_stop(r, on_lua_stop, &stopped);
	while (!stopped && lmb_pending(m))
		uv_run(rt_router_loop(r), UV_RUN_ONCE);
	rt_router_on_stop(r, NULL, NULL);
	uv_close((uv_handle_t *)&c.sigint, NULL);
	uv_close((uv_handle_t *)&c.sigterm, NULL);
	lmb_notify_stop(m);
	status = lmb_async_errors(m) ? 1 : 0;
out:
	rt_router_join(r);
	lmb_free(m);
	uv_run(rt_router_loop(r), UV_RUN_NOWAIT);
	return status;
}

/* Control sockets (-p, -u): cs[0] TCP, cs[1] Unix; closed at exit. */
static int open_ctlsocks(struct rt_router *r, const struct opts *o, struct rt_ctlsock **cs)
{
	struct rt_err err;
	rt_err_clear(&err);
	if ((o->port >= 0 && !(cs[0] = rt_ctlsock_listen_tcp(r, o->listen_all ? "0.0.0.0" : NULL, o->port, &err))) ||
	    (o->unix_socket && !(cs[1] = rt_ctlsock_listen_unix(r, o->unix_socket, &err)))) {
		fprintf(stderr, "mboxsh: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* NAME=VALUE with NAME an identifier (Click's command-line definitions). */
static bool is_definition(const char *a)
{
	const char *eq = strchr(a, '=');
	if (!eq || eq == a || !(isalpha((unsigned char)a[0]) || a[0] == '_'))
		return false;
	for (const char *p = a; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{"file", required_argument, NULL, 'f'}, {"expression", required_argument, NULL, 'e'},
		{"handler", required_argument, NULL, 'h'}, {"quit", no_argument, NULL, 'q'},
		{"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 'j'},
		{"port", required_argument, NULL, 'p'}, {"unix-socket", required_argument, NULL, 'u'},
		{"time", no_argument, NULL, 't'}, {"eal", required_argument, NULL, 'E'},
		{"live", no_argument, NULL, 'L'}, {"no-live", no_argument, NULL, 'N'},
		{"simtime", no_argument, NULL, 'S'}, {"help", no_argument, NULL, 'H'},
		{"version", no_argument, NULL, 'V'}, {"demo", no_argument, NULL, 'D'},
		{"doc-elements", no_argument, NULL, 'R'}, {"listen-all", no_argument, NULL, 'A'},
		{"interactive", no_argument, NULL, 'i'}, {"connect", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0}};
	o->handlers = calloc((size_t)argc + 1, sizeof(char *));
	o->defines = calloc((size_t)argc + 1, sizeof(char *));
	o->workers = 1;
	o->port = -1;
	int live = -1, ch;
	bool demo = false;
	while ((ch = getopt_long(argc, argv, "f:e:h:qo:j:p:u:ti", lopts, NULL)) != -1) {
		switch (ch) {
		case 'f': o->file = optarg; break;
		case 'e': o->expr = optarg; break;
		case 'h': o->handlers[o->nhandlers++] = optarg; break;
		case 'q': o->quit = true; break;
		case 'o': o->output = optarg; break;
		case 'j': o->workers = atoi(optarg); break;
		case 't': o->print_time = true; break;
		case 'E': o->eal = optarg; break;
		case 'L': live = 1; break;
		case 'N': live = 0; break;
		case 'S': break;
		case 'D': demo = true; break;
		case 'R': {
			struct rt_buf b;
			rt_buf_init(&b);
			el_doc_all(&b);
			fputs(b.p, stdout);
			rt_buf_free(&b);
			exit(0);
		}
		case 'p': {
			char *end;
			long port = strtol(optarg, &end, 10);
			if (!*optarg || *end || port < 0 || port > 65535) {
				fprintf(stderr, "%s: -p: bad port '%s'\n", argv[0], optarg);
				return 1;
			}
			o->port = (int)port;
			break;
		}
		case 'u': o->unix_socket = optarg; break;
		case 'A': o->listen_all = true; break;
		case 'i': o->interactive = true; break;
		case 'C': o->connect = optarg; break;
		case 'H': usage(stdout, argv[0]); exit(0);
		case 'V': printf("mboxsh %s (Click language compatible)\n", MBOXSH_VERSION); exit(0);
		default: usage(stderr, argv[0]); return 1;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (is_definition(argv[i]))
			o->defines[o->ndefines++] = argv[i];
		else if (!o->file && !o->expr) {
			o->file = argv[i];
			size_t n = strlen(argv[i]);
			o->lua = n > 4 && !strcmp(argv[i] + n - 4, ".lua");
		} else {
			fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[i]);
			return 1;
		}
	}
	if (o->connect)
		return 0; /* nothing runs here: the rest is the other mboxsh's */
	if (o->workers < 1 || o->workers > RT_MAX_WORKERS) {
		fprintf(stderr, "%s: -j must be 1 to %d\n", argv[0], RT_MAX_WORKERS);
		return 1;
	}
	if (o->file && o->expr) {
		fprintf(stderr, "%s: give a file or an expression, not both\n", argv[0]);
		return 1;
	}
	/* No configuration on a terminal: the shell, on the demo. */
	if (!o->file && !o->expr && !o->as_click && !demo && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		o->interactive = true;
	if (o->interactive && o->file && !strcmp(o->file, "-")) {
		fprintf(stderr, "%s: -i reads commands from stdin: give the configuration another way\n", argv[0]);
		return 1;
	}
	if (o->interactive)
		live = live < 0 ? 0 : live; /* counters would scribble over the prompt */
	if (demo || (!o->file && !o->expr && !o->as_click))
		o->expr = mb_demo_config, live = live < 0 ? 1 : live;
	o->live = live < 0 ? (!o->as_click && isatty(STDERR_FILENO) && !o->quit) : live;
	return 0;
}

/* --connect: the shell front end over a remote shell; no EAL, no router. */
static void on_client_signal(uv_signal_t *h, int sig)
{
	if (!sh_repl_interrupt())
		uv_stop(h->loop);
}

static int run_client(const struct opts *o)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct sh_remote *c = sh_remote_connect(o->connect, &err);
	if (!c) {
		fprintf(stderr, "mboxsh: %s\n", err.msg);
		return 1;
	}
	uv_loop_t *loop = uv_default_loop();
	struct sh *sh = sh_new_remote(&sh_remote_ops, c);
	uv_signal_t sigint;
	uv_signal_init(loop, &sigint);
	uv_signal_start(&sigint, on_client_signal, SIGINT);
	int status = 1;
	if (sh_repl_start(sh, loop, isatty(STDIN_FILENO)) < 0) {
		fprintf(stderr, "mboxsh: cannot read commands from stdin\n");
	} else {
		uv_run(loop, UV_RUN_DEFAULT);
		status = sh_repl_stop() ? 1 : 0;
	}
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	uv_loop_close(loop);
	sh_free(sh);
	sh_remote_close(c);
	return status;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	o.as_click = !strcmp(basename(argv[0]), "click");
	if (parse_args(argc, argv, &o)) {
		free(o.handlers);
		free(o.defines);
		return 1;
	}
	if (o.connect) {
		free(o.handlers);
		free(o.defines);
		return run_client(&o);
	}
	char *text = NULL;
	const char *fname = "<expr>";
	if (o.file) {
		text = read_file(o.file);
		fname = strcmp(o.file, "-") ? o.file : "<stdin>";
		if (!text) {
			fprintf(stderr, "%s: %s\n", o.file, strerror(errno));
			free(o.handlers);
			free(o.defines);
			return 1;
		}
	} else if (o.expr) {
		text = strdup(o.expr);
		fname = o.expr == mb_demo_config ? "<demo>" : "<expr>";
	} else {
		text = read_file("-");
		fname = "<stdin>";
	}
	struct rt_err err;
	rt_err_clear(&err);
	char msg[700];
	int status = 1;
	if (rt_eal_init(o.eal, o.workers, &err) < 0) {
		fprintf(stderr, "mboxsh: %s\n", err.msg);
		free(text);
		free(o.handlers);
		free(o.defines);
		return 1;
	}
	struct rt_ctlsock *cs[2] = {NULL, NULL}; /* TCP, Unix */
	struct sh *sock_sh = NULL;
	struct rt_router_opts ro = {.nworkers = o.workers, .pin = true};
	struct rt_router *r = rt_router_new(&ro, &err);
	if (!r) {
		fprintf(stderr, "mboxsh: %s\n", err.msg);
		goto out;
	}
	if (o.lua) {
		status = run_lua(r, &o);
		goto out;
	}
	if (rt_router_load(r, text, fname, o.defines, &err) < 0) {
		fprintf(stderr, "%s\n", rt_err_str(&err, msg, sizeof(msg)));
		fprintf(stderr, "Router could not be initialized!\n");
		goto out;
	}
	if (o.output) {
		struct rt_buf b;
		rt_buf_init(&b);
		rt_router_flatconfig(r, &b);
		FILE *f = strcmp(o.output, "-") ? fopen(o.output, "w") : stdout;
		if (!f) {
			fprintf(stderr, "%s: %s\n", o.output, strerror(errno));
			rt_buf_free(&b);
			goto out;
		}
		fputs(b.p ? b.p : "", f);
		if (f != stdout)
			fclose(f);
		else
			fflush(stdout);
		rt_buf_free(&b);
	}
	if (!o.quit && open_ctlsocks(r, &o, cs) < 0)
		goto out;
	/* the socket's SHELL commands: a shell of their own (Lua globals
	 * are not shared with the prompt's) */
	if ((cs[0] || cs[1]) && (sock_sh = sh_new(r))) {
		for (int i = 0; i < 2; i++)
			if (cs[i])
				sh_ctlsock_attach(sock_sh, cs[i]);
	}
	status = 0;
	if (!o.quit)
		status = run(r, &o);
	if (print_handlers(r, &o))
		status = 1;
out:
	rt_ctlsock_close(cs[0]);
	rt_ctlsock_close(cs[1]);
	sh_free(sock_sh);
	if (r) {
		rt_router_free(r);
		uv_run(uv_default_loop(), UV_RUN_NOWAIT);
		uv_loop_close(uv_default_loop());
	}
	free(text);
	free(o.handlers);
	free(o.defines);
	rt_eal_cleanup();
	return status;
}
