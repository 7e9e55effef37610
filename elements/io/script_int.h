/*
 * script_int.h - internals shared by script.c (parsing, stepping, timers,
 * handlers) and script_text.c (text expansion, built-in functions, handler
 * calls, print/read/write) of the Script engine.  Control thread only.
 */
#ifndef MB_IO_SCRIPT_INT_H
#define MB_IO_SCRIPT_INT_H

#include "../../runtime/router.h"
#include "script.h"

enum op {
	I_INITIAL, I_WAIT_STEP, I_WAIT_TIME, /* blocking: order matters */
	I_PRINT, I_PRINTN, I_READ, I_READQ, I_WRITE, I_WRITEQ, I_SET, I_SETQ, I_INIT, I_INITQ,
	I_STOP, I_END, I_EXIT, I_LABEL, I_GOTO, I_RETURN, I_RETURNQ, I_ERROR, I_ERRORQ,
	I_WAIT_PSEUDO, I_LOOP_PSEUDO
};

enum { STEP_NORMAL, STEP_ROUTER, STEP_TIMER, STEP_JUMP };
enum { LABEL_EXIT = -1, LABEL_END = -2, LABEL_ERROR = -3, LABEL_BEGIN = 0 };
enum { SC_BLOCKED, SC_FINISHED };
#define MAX_JUMPS 1000

struct sc_insn {
	int op;
	int arg;        /* WAIT_STEP count, variable index, goto target */
	int arg2;       /* WAIT_STEP progress */
	uint64_t ns;    /* WAIT_TIME */
	char *text;
};

struct io_script {
	struct el *e;
	int type;
	struct sc_insn *insns;
	int n, cap;
	char **vname, **vval;
	int nvars;
	int pc, step_count, write_status;
	char *run_args;
	uv_timer_t *timer;     /* malloc'd: freed by its close callback */
	bool timer_router;     /* the pending timer is a driver's first step */
	int *cur_steps;        /* set while stepping: nested steps accumulate */
	bool hook;
};


/* script_text.c */
const char *io_sc_skip_space(const char *s);
/* Pop the first space-separated word of *s (quotes kept); NULL at the end. */
char *io_sc_pop_word(const char **s);
int io_sc_var_index(struct io_script *sc, const char *name);
/* An error while running, on standard error ("NAME: message"). */
void io_sc_report(struct io_script *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Expand variables and $(...) in text; unquote the result when asked. */
char *io_sc_expand_dup(struct io_script *sc, const char *text, bool unquote);
void io_sc_print(struct io_script *sc, const struct sc_insn *in);
void io_sc_read(struct io_script *sc, const struct sc_insn *in);
/* Returns the handler's status (the script's $?). */
int io_sc_write(struct io_script *sc, const struct sc_insn *in);

/* Click's Script arithmetic handlers: add sub mul div idiv lt eq gt ge ne
 * le first not sprintf, by index. */
#define IO_SC_NBUILTINS 14
int io_sc_builtin_find(const char *name);
const char *io_sc_builtin_name(int what);
int io_sc_builtin(int what, const char *args, struct rt_buf *out, struct rt_err *err);

#endif
