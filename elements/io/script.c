/*
 * Script - Click's scripting element: instructions run on the control
 * thread, blocking on libuv timers (wait TIME), on `step` writes (pause),
 * or, for driver scripts, on router stop events (wait_stop).  Also the
 * engine of DriverManager (drivermanager.c).
 *
 * The stepping machine is Click's: an instruction pointer, a step count
 * that blocking instructions consume, and a jump budget of 1000 gotos per
 * run.  Handlers are read and written through the control API (ctl.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../runtime/ctl.h"
#include "script_int.h"

const char io_script_doc[] =
	"Runs INSTRUCTIONS, one per argument, on the control thread. TYPE selects when: ACTIVE "
	"(default for Script: starts when the router runs), PASSIVE (runs when its `run` "
	"handler is called) or DRIVER (default for DriverManager: also receives the router's stop "
	"events, see DriverManager).\n\n"
	"Instructions: `set VAR TEXT`, `setq VAR TEXT` (removes a layer of quotes), `init VAR "
	"TEXT` / `initq` (once, at initialisation), `print [>FILE|>>FILE] TEXT|HANDLER`, `printn` "
	"(no newline), `read HANDLER` / `readq` (prints `HANDLER:` and the value to standard "
	"error), `write HANDLER [VALUE]` / `writeq` (status in `$?`), `wait TIME` (or "
	"`wait_time`, `wait_for`), `pause [N]` (or `wait_step`, `wait_stop`, `wait` without a "
	"time: block until N steps), `label L`, `goto L [COND]` (labels `begin`, `end`, `exit`, "
	"`error` are built in), `loop`, `end`, `exit`, `stop`, `return [VALUE]` / `returnq`, "
	"`error [MSG]` / `errorq`. A script that runs 1000 gotos without blocking is disabled.\n\n"
	"Text is expanded: `$VAR` or `${VAR}` is a variable, `$?` the last write's status, `$args`, "
	"`$1`.. and `$#` the `run` handler's arguments, `$(HANDLER [PARAM])` a read handler's "
	"value (one trailing newline removed); expansions nest. The script's own read handlers "
	"with a parameter do arithmetic, as in Click: `add`, `sub`, `mul`, `div`, `idiv` (lists of "
	"numbers), `eq`, `ne`, `lt`, `gt`, `le`, `ge` (two numbers, else strings), `not BOOL`, "
	"`sprintf FORMAT ARGS`, `first WORDS`, e.g. `set x $(add $x 1)`, `goto loop $(lt $x 5)`. "
	"Handler "
	"names are looked up in the script's compound first; a name without a dot is the "
	"script's own handler or a router handler. Writing the router's `stop` handler from a "
	"script is a stop event (as in Click), not an immediate stop.\n\n"
	"`stop` in a DRIVER script stops the router; in other scripts it is a stop event "
	"(DriverManager gets it, else the router stops). mboxsh differences: SIGNAL and PROXY "
	"scripts and `save`/`append` are not supported; errors while running are printed to "
	"standard error as `NAME: message`.";

static const struct {
	const char *name;
	int op;
} insn_names[] = {
	{"end", I_END}, {"error", I_ERROR}, {"errorq", I_ERRORQ}, {"exit", I_EXIT}, {"goto", I_GOTO},
	{"init", I_INIT}, {"initq", I_INITQ}, {"label", I_LABEL}, {"loop", I_LOOP_PSEUDO},
	{"pause", I_WAIT_STEP}, {"print", I_PRINT}, {"printn", I_PRINTN}, {"read", I_READ},
	{"readq", I_READQ}, {"return", I_RETURN}, {"returnq", I_RETURNQ}, {"set", I_SET},
	{"setq", I_SETQ}, {"stop", I_STOP}, {"wait", I_WAIT_PSEUDO}, {"wait_for", I_WAIT_TIME},
	{"wait_step", I_WAIT_STEP}, {"wait_stop", I_WAIT_STEP}, {"wait_time", I_WAIT_TIME},
	{"write", I_WRITE}, {"writeq", I_WRITEQ},
};

/* ---- parsing --------------------------------------------------------------- */

static int var_add(struct io_script *sc, const char *name)
{
	int x = io_sc_var_index(sc, name);
	if (x >= 0)
		return x;
	sc->vname = realloc(sc->vname, sizeof(char *) * (size_t)(sc->nvars + 1));
	sc->vval = realloc(sc->vval, sizeof(char *) * (size_t)(sc->nvars + 1));
	sc->vname[sc->nvars] = strdup(name);
	sc->vval[sc->nvars] = strdup("");
	return sc->nvars++;
}

static void var_set(struct io_script *sc, int x, char *value)
{
	free(sc->vval[x]);
	sc->vval[x] = value;
}

static void add_insn(struct io_script *sc, int op, int arg, uint64_t ns, const char *text)
{
	/* the first instruction must block, so runs start with a step */
	if (sc->n == 0 && op > I_WAIT_TIME)
		add_insn(sc, I_INITIAL, 0, 0, NULL);
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 8;
		sc->insns = realloc(sc->insns, sizeof(*sc->insns) * (size_t)sc->cap);
	}
	sc->insns[sc->n++] = (struct sc_insn){op, arg, 0, ns, text ? strdup(text) : NULL};
}

static int find_label(const struct io_script *sc, const char *label)
{
	for (int i = 0; i < sc->n; i++)
		if (sc->insns[i].op == I_LABEL && !strcmp(sc->insns[i].text, label))
			return i;
	if (!strcmp(label, "exit"))
		return LABEL_EXIT;
	if (!strcmp(label, "end"))
		return LABEL_END;
	if (!strcmp(label, "begin"))
		return LABEL_BEGIN;
	if (!strcmp(label, "error"))
		return LABEL_ERROR;
	return sc->n;
}

static int parse_insn(struct el *e, struct io_script *sc, const char *conf, struct rt_err *err)
{
	const char *rest = io_sc_skip_space(conf);
	char *name = io_sc_pop_word(&rest);
	if (!name)
		return 0; /* empty arguments are benign */
	int op = -1;
	for (size_t i = 0; i < RT_ARRAY_SIZE(insn_names); i++)
		if (!strcmp(insn_names[i].name, name))
			op = insn_names[i].op;
	if (op == I_WAIT_PSEUDO)
		op = *rest ? I_WAIT_TIME : I_WAIT_STEP;
	int rc = 0;
	switch (op) {
	case I_WAIT_STEP: {
		char *end;
		long k = *rest ? strtol(rest, &end, 0) : 1;
		if (*rest && (*end || k < 0))
			goto syntax;
		add_insn(sc, I_WAIT_STEP, (int)k, 0, NULL);
		break;
	}
	case I_WAIT_TIME: {
		uint64_t ns;
		struct rt_err e2;
		rt_err_clear(&e2);
		if (el_parse_value(EL_T_TIME, rest, &ns, &e2) < 0)
			goto syntax;
		add_insn(sc, I_WAIT_TIME, 0, ns, NULL);
		break;
	}
	case I_WRITE: case I_WRITEQ: case I_READ: case I_READQ:
	case I_PRINT: case I_PRINTN: case I_GOTO: case I_ERROR: case I_ERRORQ:
		add_insn(sc, op, 0, 0, rest);
		break;
	case I_RETURN: case I_RETURNQ:
	case I_INIT: case I_INITQ: case I_SET: case I_SETQ: {
		char *var = (op == I_RETURN || op == I_RETURNQ) ? strdup("_") : io_sc_pop_word(&rest);
		if (!var || ((op == I_SET || op == I_SETQ) && !*rest)) {
			free(var);
			goto syntax;
		}
		add_insn(sc, op, var_add(sc, var), 0, rest);
		free(var);
		break;
	}
	case I_LABEL: {
		char *word = io_sc_pop_word(&rest);
		if (!word || *rest) {
			free(word);
			goto syntax;
		}
		add_insn(sc, I_LABEL, 0, 0, word);
		free(word);
		break;
	}
	case I_LOOP_PSEUDO:
	case I_END: case I_EXIT: case I_STOP:
		if (*rest)
			goto syntax;
		add_insn(sc, op == I_LOOP_PSEUDO ? I_GOTO : op, 0, 0, NULL);
		break;
	default:
	syntax:
		rc = rt_errf(err, &e->loc, -EINVAL, "%s: syntax error at '%s'", e->name, name);
	}
	free(name);
	return rc;
}

int io_script_configure(struct el *e, int argc, char **argv, struct rt_err *err, enum io_script_type def)
{
	struct io_script *sc = calloc(1, sizeof(*sc));
	EL_STATE(e, struct io_script_state)->sc = sc;
	sc->e = e;
	sc->type = (int)def;
	/* TYPE is the only keyword; it may come anywhere */
	for (int i = 0; i < argc; i++) {
		const char *val;
		int kw = el_arg_keyword(argv[i], &val);
		if (kw != 4 || strncmp(argv[i], "TYPE", 4))
			continue;
		if (!strcmp(val, "ACTIVE"))
			sc->type = IO_SCRIPT_ACTIVE;
		else if (!strcmp(val, "PASSIVE"))
			sc->type = IO_SCRIPT_PASSIVE;
		else if (!strcmp(val, "DRIVER"))
			sc->type = IO_SCRIPT_DRIVER;
		else
			return rt_errf(err, &e->loc, -EINVAL, "%s: bad TYPE; expected 'ACTIVE', 'PASSIVE', or 'DRIVER'", e->name);
		argv[i][0] = 0;
	}
	for (int i = 0; i < argc; i++)
		if (parse_insn(e, sc, argv[i], err) < 0)
			return err->code;
	/* resolve gotos: the first word is the label, the rest a condition */
	for (int i = 0; i < sc->n; i++) {
		struct sc_insn *in = &sc->insns[i];
		if (in->op != I_GOTO || !in->text || !*in->text)
			continue;
		const char *rest = in->text;
		char *label = io_sc_pop_word(&rest);
		in->arg = find_label(sc, label);
		char *cond = strdup(rest);
		free(in->text);
		in->text = cond;
		if (in->arg >= sc->n) {
			rt_errf(err, &e->loc, -EINVAL, "%s: no such label '%s'", e->name, label);
			free(label);
			return err->code;
		}
		free(label);
	}
	if (sc->n == 0 && sc->type == IO_SCRIPT_DRIVER)
		add_insn(sc, I_WAIT_STEP, 1, 0, NULL);
	add_insn(sc, sc->type == IO_SCRIPT_DRIVER ? I_STOP : I_END, 0, 0, NULL);
	return 0;
}

/* ---- stepping --------------------------------------------------------------- */

static void timer_cb(uv_timer_t *t);

static void timer_after(struct io_script *sc, uint64_t ns)
{
	if (sc->timer) {
		/* the loop's cached time may be stale (the loop may not have
		 * run for a while): timers count from now */
		uv_update_time(sc->timer->loop);
		uv_timer_start(sc->timer, timer_cb, (ns + 999999) / 1000000, 0);
	}
}

static void timer_stop(struct io_script *sc)
{
	if (sc->timer)
		uv_timer_stop(sc->timer);
}

/* Click's Script::step: run from the instruction pointer with nsteps steps
 * to spend; returns SC_BLOCKED when a blocking instruction waits, or
 * SC_FINISHED when the script ended (end, exit, stop, error). */
static int step(struct io_script *sc, int nsteps, int step_type, int *njumps)
{
	nsteps += sc->step_count;
	while (nsteps - sc->step_count >= 0 && sc->pc < sc->n && *njumps < MAX_JUMPS) {
		int ipos = sc->pc++;
		struct sc_insn *in = &sc->insns[ipos];
		switch (in->op) {
		case I_STOP:
			sc->step_count++;
			sc->pc--;
			if (step_type != STEP_ROUTER) {
				if (sc->type == IO_SCRIPT_DRIVER)
					rt_router_stop(sc->e->router);
				else
					rt_router_please_stop(sc->e->router);
			}
			return SC_FINISHED;
		case I_WAIT_STEP:
			while (sc->step_count < nsteps && in->arg2 < in->arg) {
				in->arg2++;
				sc->step_count++;
			}
			if (sc->step_count == nsteps && in->arg2 < in->arg) {
				sc->pc--;
				goto done;
			}
			break;
		case I_WAIT_TIME:
			if (sc->step_count == nsteps) {
				timer_after(sc, in->ns);
				sc->pc--;
				goto done;
			}
			sc->step_count++;
			timer_stop(sc);
			break;
		case I_INITIAL:
			if (in->arg) {
				sc->step_count++;
				in->arg = 0;
			}
			break;
		case I_PRINT:
		case I_PRINTN:
			io_sc_print(sc, in);
			break;
		case I_READ:
		case I_READQ:
			io_sc_read(sc, in);
			break;
		case I_WRITE:
		case I_WRITEQ:
			sc->write_status = io_sc_write(sc, in);
			break;
		case I_RETURN:
		case I_RETURNQ:
		case I_SET:
		case I_SETQ:
			var_set(sc, in->arg, io_sc_expand_dup(sc, in->text, in->op == I_SETQ || in->op == I_RETURNQ));
			if ((in->op == I_RETURN || in->op == I_RETURNQ) && sc->pc == ipos + 1) {
				sc->pc--;
				goto done;
			}
			break;
		case I_GOTO: {
			char *cond = io_sc_expand_dup(sc, in->text, false);
			bool c = true;
			struct rt_err e2;
			rt_err_clear(&e2);
			if (*cond && el_parse_value(EL_T_BOOL, cond, &c, &e2) < 0) {
				io_sc_report(sc, "bad condition '%s'", cond);
				c = false;
			}
			free(cond);
			if (c) {
				if (in->arg < 0) {
					sc->pc--;
					return SC_FINISHED;
				}
				for (int i = in->arg; i < ipos; i++)
					if (sc->insns[i].op == I_WAIT_STEP)
						sc->insns[i].arg2 = 0;
				sc->pc = in->arg;
			}
			break;
		}
		case I_ERROR:
		case I_ERRORQ: {
			char *msg = io_sc_expand_dup(sc, in->text, in->op == I_ERRORQ);
			if (*msg)
				io_sc_report(sc, "%s", msg);
			free(msg);
		}
			/* fallthrough */
		case I_END:
		case I_EXIT:
			sc->pc--;
			return SC_FINISHED;
		}
		if (sc->pc != ipos + 1)
			(*njumps)++;
	}
done:
	if (*njumps >= MAX_JUMPS) {
		io_sc_report(sc, "too many jumps, giving up");
		sc->pc = sc->n;
		timer_stop(sc);
	}
	return SC_BLOCKED;
}

/* Click's complete_step: -1 after an error, 1 after stop, else 0; the
 * value of `return` into retval. */
static int complete_step(struct io_script *sc, struct rt_buf *retval)
{
	int last = -1;
	if (sc->pc >= 0 && sc->pc < sc->n) {
		const struct sc_insn *in = &sc->insns[sc->pc];
		last = in->op;
		if (last == I_GOTO)
			last = in->arg == LABEL_EXIT ? I_EXIT : in->arg == LABEL_END ? I_END : in->arg == LABEL_ERROR ? I_ERROR : last;
	}
	if (retval && (last == I_RETURN || last == I_RETURNQ)) {
		int x = io_sc_var_index(sc, "_");
		if (x >= 0)
			rt_buf_puts(retval, sc->vval[x]);
	}
	return (last == I_ERROR || last == I_ERRORQ) ? -1 : last == I_STOP ? 1 : 0;
}

/* Run nsteps steps, folding in steps requested while running (a script
 * writing its own `step` handler).  Returns whether the last run ended the
 * script. */
static int run_steps(struct io_script *sc, int nsteps, int step_type)
{
	if (sc->cur_steps) {
		*sc->cur_steps += nsteps;
		return SC_BLOCKED;
	}
	int cur = nsteps, njumps = 0, res = SC_BLOCKED;
	sc->cur_steps = &cur;
	while ((nsteps = cur) >= 0) {
		cur = -1;
		res = step(sc, nsteps, step_type, &njumps);
		if (step_type == STEP_ROUTER && res == SC_FINISHED && sc->type == IO_SCRIPT_DRIVER)
			rt_router_stop(sc->e->router);
		step_type = STEP_NORMAL;
	}
	sc->cur_steps = NULL;
	return res;
}

static void timer_cb(uv_timer_t *t)
{
	struct io_script *sc = t->data;
	int type = sc->timer_router ? STEP_ROUTER : STEP_TIMER;
	sc->timer_router = false;
	run_steps(sc, 1, type);
	complete_step(sc, NULL);
}

/* A router stop event, delivered to a driver script. */
static void stop_hook(void *arg)
{
	struct io_script *sc = arg;
	run_steps(sc, 1, STEP_ROUTER);
	complete_step(sc, NULL);
}

int io_script_init(struct el *e, struct rt_err *err)
{
	(void)err;
	struct io_script *sc = EL_STATE(e, struct io_script_state)->sc;
	sc->pc = sc->step_count = 0;
	sc->timer = malloc(sizeof(*sc->timer));
	uv_timer_init(rt_router_loop(e->router), sc->timer);
	sc->timer->data = sc;
	for (int i = 0; i < sc->n; i++)
		if (sc->insns[i].op == I_INIT || sc->insns[i].op == I_INITQ)
			var_set(sc, sc->insns[i].arg, io_sc_expand_dup(sc, sc->insns[i].text, sc->insns[i].op == I_INITQ));
	struct sc_insn *first = &sc->insns[0];
	if (sc->type == IO_SCRIPT_PASSIVE) {
		/* runs only from its handlers */
	} else if (first->op == I_WAIT_TIME) {
		timer_after(sc, first->ns);
	} else if (first->op == I_INITIAL) {
		/* start right after the loop runs; a driver's first step is a
		 * router step (Click lowers the run count) */
		sc->timer_router = sc->type == IO_SCRIPT_DRIVER;
		timer_after(sc, 0);
		first->arg = 1;
	}
	if (sc->type == IO_SCRIPT_DRIVER) {
		if (rt_router_set_stop_hook(e->router, stop_hook, sc) < 0)
			return rt_errf(err, &e->loc, -EBUSY, "%s: a router can have only one DriverManager", e->name);
		sc->hook = true;
	}
	return 0;
}

static void timer_closed(uv_handle_t *h) { free(h); }

void io_script_cleanup(struct el *e)
{
	struct io_script *sc = EL_STATE(e, struct io_script_state)->sc;
	if (!sc)
		return;
	if (sc->hook)
		rt_router_clear_stop_hook(e->router, stop_hook, sc);
	if (sc->timer) {
		uv_timer_stop(sc->timer);
		sc->timer->data = NULL;
		uv_close((uv_handle_t *)sc->timer, timer_closed);
	}
	for (int i = 0; i < sc->n; i++)
		free(sc->insns[i].text);
	free(sc->insns);
	for (int i = 0; i < sc->nvars; i++) {
		free(sc->vname[i]);
		free(sc->vval[i]);
	}
	free(sc->vname);
	free(sc->vval);
	free(sc->run_args);
	free(sc);
	EL_STATE(e, struct io_script_state)->sc = NULL;
}

/* ---- handlers ------------------------------------------------------------------ */

enum { H_STEP, H_GOTO, H_RUN };

static int h_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct io_script *sc = EL_STATE(e, struct io_script_state)->sc;
	int nsteps = 0, type = STEP_JUMP;
	const char *data = io_sc_skip_space(v);
	if (what == H_GOTO) {
		char *label = strndup(data, strcspn(data, " \t\r\n"));
		int pos = find_label(sc, label);
		free(label);
		if (pos < 0 || pos >= sc->n)
			return rt_errf(err, NULL, -EINVAL, "jump to nonexistent label");
		for (int i = pos; i < sc->n; i++)
			if (sc->insns[i].op == I_WAIT_STEP)
				sc->insns[i].arg2 = 0;
		sc->pc = pos;
	} else if (what == H_RUN) {
		sc->pc = 0;
		free(sc->run_args);
		sc->run_args = strdup(v);
	} else if (!strcmp(data, "router")) {
		nsteps = 1, type = STEP_ROUTER;
	} else if (!*data) {
		nsteps = 1, type = STEP_NORMAL;
	} else {
		char *end;
		long k = strtol(data, &end, 0);
		if (*io_sc_skip_space(end) || k < 0)
			return rt_errf(err, NULL, -EINVAL, "syntax error");
		nsteps = (int)k, type = STEP_NORMAL;
	}
	run_steps(sc, nsteps, type);
	if (complete_step(sc, NULL) < 0)
		return rt_errf(err, NULL, -EINVAL, "script error");
	return 0;
}

static int h_run(struct el *e, const char *args, struct rt_buf *out)
{
	struct io_script *sc = EL_STATE(e, struct io_script_state)->sc;
	sc->pc = 0;
	free(sc->run_args);
	sc->run_args = strdup(args ? args : "");
	run_steps(sc, 0, STEP_JUMP);
	return complete_step(sc, out) < 0 ? -EINVAL : 0;
}

static int h_run_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	return h_run(e, "", out);
}

static int h_run_param(struct el *e, intptr_t what, const char *param, struct rt_buf *out, struct rt_err *err)
{
	(void)what, (void)err;
	return h_run(e, param, out);
}

static int h_builtin_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)e;
	struct rt_err err;
	rt_err_clear(&err);
	return io_sc_builtin((int)what, "", out, &err);
}

static int h_builtin_param(struct el *e, intptr_t what, const char *param, struct rt_buf *out, struct rt_err *err)
{
	(void)e;
	return io_sc_builtin((int)what, param, out, err);
}

const struct el_handler io_script_handlers[] = {
	{"step", NULL, h_write, H_STEP, 0, "advance past blocking instructions: N steps, or 'router'", NULL},
	{"goto", NULL, h_write, H_GOTO, 0, "move to a label and run", NULL},
	{"run", h_run_read, h_write, H_RUN, 0, "run from the start with $args = the parameter; value of 'return'", h_run_param},
	{"add", h_builtin_read, NULL, 0, 0, "sum of the numbers in the parameter", h_builtin_param},
	{"sub", h_builtin_read, NULL, 1, 0, "first number minus the others", h_builtin_param},
	{"mul", h_builtin_read, NULL, 2, 0, "product", h_builtin_param},
	{"div", h_builtin_read, NULL, 3, 0, "quotient (floating point)", h_builtin_param},
	{"idiv", h_builtin_read, NULL, 4, 0, "quotient truncated to an integer", h_builtin_param},
	{"lt", h_builtin_read, NULL, 5, 0, "compare two numbers (else strings)", h_builtin_param},
	{"eq", h_builtin_read, NULL, 6, 0, "compare two numbers (else strings)", h_builtin_param},
	{"gt", h_builtin_read, NULL, 7, 0, "compare two numbers (else strings)", h_builtin_param},
	{"ge", h_builtin_read, NULL, 8, 0, "compare two numbers (else strings)", h_builtin_param},
	{"ne", h_builtin_read, NULL, 9, 0, "compare two numbers (else strings)", h_builtin_param},
	{"le", h_builtin_read, NULL, 10, 0, "compare two numbers (else strings)", h_builtin_param},
	{"first", h_builtin_read, NULL, 11, 0, "the first word of the parameter", h_builtin_param},
	{"not", h_builtin_read, NULL, 12, 0, "negation of a boolean", h_builtin_param},
	{"sprintf", h_builtin_read, NULL, 13, 0, "format: sprintf FORMAT ARGS...", h_builtin_param},
	EL_HANDLERS_END,
};

static int script_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	return io_script_configure(e, argc, argv, err, IO_SCRIPT_ACTIVE);
}

static struct el_class script = {
	.name = "Script",
	.sig = "Script(INSTRUCTIONS...)",
	.summary = "script a router configuration",
	.doc = io_script_doc,
	.ports = "0/0",
	.state_size = sizeof(struct io_script_state),
	.configure = script_configure,
	.init = io_script_init,
	.cleanup = io_script_cleanup,
	.handlers = io_script_handlers,
};
EL_REGISTER(script)
