/*
 * ctl.h - the control API: the one implementation of every operation on a
 * running router.  The command-line driver, the shell, the Lua module and
 * the control socket are thin faces over these functions (decision 7).
 *
 * Thread-safety: control thread only.  Every function returns 0 or a
 * negative code with err filled, and leaves the router as it was on error.
 */
#ifndef MB_CTL_H
#define MB_CTL_H

#include "router.h"

/* ---- identities (tenants: docs/tenants.md, tenant/tn.h) ------------------
 *
 * Every control-API call acts for an identity: the operator (tenant 0),
 * a tenant, or nobody (a client that has not authenticated).  The faces
 * (shell session, Lua state, control-socket client) each carry one and
 * enter it around the work they do for it; the control API reads it from
 * the router.  Entering only ever narrows: inside a tenant's call, entering
 * the operator keeps the tenant (a socket client's SHELL command runs with
 * the client's identity, not the shell's).
 *
 * A tenant sees only its own elements, by their names in its namespace
 * ("fw" for the element the operator sees as "A/fw"); anything else is
 * "no element 'x'", exactly as for a name that does not exist. */
#define RT_TENANT_OPERATOR 0u
#define RT_TENANT_NOBODY UINT32_MAX
struct rt_ident {
	uint32_t tenant;
};
#define RT_IDENT_OPERATOR ((struct rt_ident){RT_TENANT_OPERATOR})
#define RT_IDENT_NOBODY ((struct rt_ident){RT_TENANT_NOBODY})

/* Act as id (narrowed by the identity already entered) until rt_ctl_leave
 * with the returned previous identity. */
struct rt_ident rt_ctl_enter(struct rt_router *r, struct rt_ident id);
void rt_ctl_leave(struct rt_router *r, struct rt_ident prev);
struct rt_ident rt_ctl_ident(const struct rt_router *r);
static inline bool rt_ident_is_operator(struct rt_ident id) { return id.tenant == RT_TENANT_OPERATOR; }
/* May the current identity see element e?  Its name as the identity sees
 * it (a pointer into e->name). */
bool rt_ctl_visible(const struct rt_router *r, const struct el *e);
const char *rt_ctl_name(const struct rt_router *r, const struct el *e);
/* The internal name of the element the current identity calls `name` into
 * q (size qn); -ENOENT "no element 'name'" when it is not one of its
 * elements. */
int rt_ctl_qualify(const struct rt_router *r, const char *name, char *q, size_t qn, struct rt_err *err);
/* Rewrite internal names in a message as the current identity sees them
 * ("A/fw" -> "fw" for tenant A). */
void rt_ctl_unqualify(const struct rt_router *r, char *msg);

/* Entry of a control-API function taking an element name (may be a NULL
 * pointer): the outermost call checks and qualifies the name, runs `call`
 * (the same function again, now inner) and audits its result; inner calls
 * fall through to the body. */
struct rt_ctl_call {
	const char *op, *target;
	char q[256];
};
int rt_ctl_begin(struct rt_router *r, struct rt_ctl_call *c, const char *op, const char **name, struct rt_err *err);
int rt_ctl_end(struct rt_router *r, struct rt_ctl_call *c, int rc, struct rt_err *err);
#define RT_CTL_ENTRY(r, op, namevar, err, call)                                            \
	do {                                                                                \
		struct rt_ctl_call cc_;                                                     \
		int b_ = rt_ctl_begin((r), &cc_, (op), &(namevar), (err));                 \
		if (b_ != 0)                                                                \
			return rt_ctl_end((r), &cc_, b_ < 0 ? b_ : (call), (err));          \
	} while (0)
/* The same for a call whose argument is text, not a name (audited as is). */
#define RT_CTL_ENTRY_TEXT(r, op, text, err, call)                                          \
	do {                                                                                \
		struct rt_ctl_call cc_;                                                     \
		int b_ = rt_ctl_begin((r), &cc_, (op), NULL, (err));                       \
		cc_.target = (text);                                                        \
		if (b_ != 0)                                                                \
			return rt_ctl_end((r), &cc_, b_ < 0 ? b_ : (call), (err));          \
	} while (0)

/* Read a handler: "elem.handler", or a router handler ("version", "config",
 * "flatconfig", "list", "classes", "requirements", "handlers") given bare or
 * as ".name".  The value is appended to out as the handler produced it. */
int rt_ctl_read(struct rt_router *r, const char *hname, struct rt_buf *out, struct rt_err *err);
/* Read with a parameter (Click's "READ h param"); NULL/"" = plain read. */
int rt_ctl_read_param(struct rt_router *r, const char *hname, const char *param, struct rt_buf *out,
		      struct rt_err *err);
/* Counters of every element that has a `count` handler, in graph order:
 * the one implementation behind the shell's stats, Lua's mb.stats and the
 * live counters.  rate is -1 when the element has no `rate` handler.
 * Returns the number of entries (*out malloc'd, names valid until the
 * graph changes), or <0. */
struct rt_ctl_stat {
	const char *name, *cls;
	uint64_t count;
	double rate;
};
int rt_ctl_stats(struct rt_router *r, struct rt_ctl_stat **out, struct rt_err *err);

/* Per-element cycle accounting (prof.c).  Off by default and then free:
 * plans call each element's push directly.  On, the plan is compiled again
 * with every hop and task going through a trampoline that reads the TSC
 * around the call and keeps, per worker and element, the packets, batches
 * and cycles spent in the element itself (its downstream elements'
 * cycles are subtracted: exclusive time).  Turning it on or off publishes
 * a new plan (one grace period); the figures restart from zero when it is
 * turned on and survive live changes for the elements those keep. */
int rt_ctl_profile(struct rt_router *r, bool on, struct rt_err *err);
bool rt_ctl_profiling(const struct rt_router *r);
struct rt_ctl_prof {
	const char *name, *cls;
	uint64_t pkts;    /* packets pushed into it, or moved by its task */
	uint64_t calls;   /* batches (push calls or task runs) */
	uint64_t cycles;  /* TSC cycles in the element itself */
	int64_t drops;    /* its `drops` handler; -1 when it has none */
};
/* The figures of every element, in graph order, all zero while profiling
 * is off.  Returns the count (*out malloc'd, names valid until the graph
 * changes), or <0.  *tsc_hz (may be NULL) gets the TSC frequency. */
int rt_ctl_prof(struct rt_router *r, struct rt_ctl_prof **out, uint64_t *tsc_hz, struct rt_err *err);

/* Write a handler ("elem.handler" or router "stop"). */
int rt_ctl_write(struct rt_router *r, const char *hname, const char *value, struct rt_err *err);
/* Is the handler readable / writable?  (ControlSocket CHECKREAD/CHECKWRITE) */
int rt_ctl_check(struct rt_router *r, const char *hname, bool write, struct rt_err *err);


/* Live changes (live.c).  Each is atomic: on error the running graph is
 * exactly as it was.  What could not be kept (state of a class that cannot
 * take it) is appended to warn, one line each; warn may be NULL. */

/* Replace element `name` by "Class(args)" (same ports), carrying its state
 * when the class is the same. */
int rt_ctl_swap(struct rt_router *r, const char *name, const char *spec, struct rt_buf *warn, struct rt_err *err);
/* Replace the whole configuration: elements with the same name, class,
 * arguments and ports keep running untouched; changed ones are replaced
 * and take their predecessor's state; removed ones are retired. */
int rt_ctl_hotconfig(struct rt_router *r, const char *text, const char *file, struct rt_buf *warn,
		     struct rt_err *err);

/* Rewiring (live_edit.c), each an edit of the running configuration:
 * add Click statements ("c2 :: Counter; a [1] -> c2 -> b"), connect
 * "a [p] -> [q] b", disconnect one connection, remove an element (with its
 * connections; `into`, optional, names a kept element of the same class
 * that takes its state: counts, queued packets), and reconfigure an
 * element with new arguments (a swap to the same class, state kept). */
int rt_ctl_add(struct rt_router *r, const char *text, struct rt_buf *warn, struct rt_err *err);
int rt_ctl_connect(struct rt_router *r, const char *spec, struct rt_buf *warn, struct rt_err *err);
int rt_ctl_disconnect(struct rt_router *r, const char *spec, struct rt_buf *warn, struct rt_err *err);
int rt_ctl_remove(struct rt_router *r, const char *name, const char *into, struct rt_buf *warn,
		  struct rt_err *err);
int rt_ctl_reconfigure(struct rt_router *r, const char *name, const char *args, struct rt_buf *warn,
		       struct rt_err *err);

/* Placements (migrate/mig_ctl.c).  Move element `name` to placement
 * `where` ("cpu", "opencl", "cuda") with its tables, state and held
 * packets, losing and reordering nothing (a reconfiguration with another
 * PLACEMENT); "core N" is refused until flows can move between workers.
 * List, per offloadable element (or just `name`), where it runs, where it
 * could run and what was measured on each placement, as text or as a
 * JSON array of {element, class, placements: [...]}; returns how many. */
int rt_ctl_migrate(struct rt_router *r, const char *name, const char *where, struct rt_buf *warn,
		   struct rt_err *err);
int rt_ctl_placements(struct rt_router *r, const char *name, bool json, struct rt_buf *out, struct rt_err *err);

#define MBOXSH_VERSION "0.1.0"

#endif
