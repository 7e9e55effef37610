/*
 * el.h - the element framework: classes, instances, argument tables, ports,
 * handlers and batch processing.
 *
 * An element class is one .c file under elements/ that fills a struct
 * el_class and registers it with EL_REGISTER (no central list).  Instances
 * (struct el) hold the element's state and survive graph versions; a graph
 * version wires instances together through per-version nodes (struct
 * el_node), whose output hops are resolved when the graph is compiled.
 *
 * Thread-safety: push/run functions run on workers; configure, init,
 * cleanup, handlers and take_state run on the control thread only.
 */
#ifndef MB_EL_H
#define MB_EL_H

#include "rt.h"

struct el;
struct el_node;
struct rt_router;
struct cls_chain;

/* An element's state in canonical form (see el_class.export_state). */
struct el_state {
	const char *cls;          /* class that exported it */
	unsigned version;         /* that class's state_version */
	struct rt_buf data;       /* class-defined bytes (little-endian fields) */
	struct rte_mbuf **pkts;   /* packets the element held, in order */
	uint32_t npkts;
};
void el_state_free(struct el_state *st);

/* ---- argument tables ---------------------------------------------------- */

enum el_argtype {
	EL_T_INT,     /* int64_t */
	EL_T_UINT,    /* uint64_t */
	EL_T_BOOL,    /* bool: true/false/yes/no/1/0 */
	EL_T_DOUBLE,  /* double */
	EL_T_IP4,     /* uint32_t, network order */
	EL_T_IP4PFX,  /* struct el_ip4pfx: "10.0.0.0/8", "10.0.0.0 255.0.0.0", or an address (/32) */
	EL_T_IP6,     /* uint8_t[16] */
	EL_T_IP6PFX,  /* struct el_ip6pfx */
	EL_T_ETHER,   /* uint8_t[6]: "00:11:22:33:44:55" or "00-11-..." */
	EL_T_BYTES,   /* uint64_t byte size: 1500, 2k, 2KB, 1M, 1MiB */
	EL_T_TIME,    /* uint64_t nanoseconds: 1, 1s, 10ms, 5us, 1.5 (seconds) */
	EL_T_STRING,  /* char *, unquoted (Click string syntax); owned by the element */
	EL_T_WORD,    /* char *, one word; owned by the element */
	EL_T_DATA,    /* struct el_data: Click data string ("\<0a 0b>" hex escapes) */
	EL_T_RATE,    /* uint64_t packets or bytes per second: 1000, 10k, 1M, 1Mbps... */
};

struct el_ip4pfx { uint32_t addr, mask; /* network order */ };
struct el_ip6pfx { uint8_t addr[16]; int len; };
struct el_data { uint8_t *p; size_t len; };

enum {
	EL_ARG_REQ = 1,	  /* must be given */
	EL_ARG_POS = 2,	  /* may be given positionally (in table order) */
};

/* One row of an element's argument table: the Click keyword, its type, where
 * the parsed value goes in the element's state and its default (parsed like
 * a user value; NULL leaves the zeroed state as it is). */
struct el_arg {
	const char *kw;
	enum el_argtype type;
	size_t off;
	const char *def;
	unsigned flags;
	const char *doc;
};
#define EL_ARGS_END { NULL, 0, 0, NULL, 0, NULL }

/* Parse one value of a type (used by tables and by handlers that take
 * typed values).  Returns 0 or a negative code with err->msg set. */
int el_parse_value(enum el_argtype t, const char *s, void *out, struct rt_err *err);
/* Unparse a value (for the config handler and tests). */
void el_unparse_value(enum el_argtype t, const void *v, struct rt_buf *out);

/* Split a Click configuration string at top-level commas (respecting quotes,
 * parentheses, brackets and braces), trimming space and comments. The
 * returned vector and strings are malloc'd; free with el_argv_free. */
int el_argv_split(const char *conf, char ***argvp);
void el_argv_free(int argc, char **argv);
/* Click string unquoting: "a\"b" -> a"b, '..' verbatim; unquoted text kept. */
char *el_unquote(const char *s);
/* If arg begins with a keyword (upper-case word then space or end), return its
 * length and set *val to the rest (trimmed). */
int el_arg_keyword(const char *arg, const char **val);

/* ---- handlers ----------------------------------------------------------- */

enum {
	EL_H_BUTTON = 1,   /* a write handler that takes no value */
	EL_H_RAW = 2,      /* read value printed as is (no trailing newline added) */
};

struct el_handler {
	const char *name;
	int (*read)(struct el *e, intptr_t arg, struct rt_buf *out);
	int (*write)(struct el *e, intptr_t arg, const char *value, struct rt_err *err);
	intptr_t arg;
	unsigned flags;
	const char *doc;
	/* Read with a parameter (Click's "READ h param", e.g. a route lookup);
	 * when set, a read with a parameter calls this instead of read. */
	int (*read_param)(struct el *e, intptr_t arg, const char *param, struct rt_buf *out, struct rt_err *err);
};
#define EL_HANDLERS_END { NULL, NULL, NULL, 0, 0, NULL, NULL }

/* ---- classes ------------------------------------------------------------ */

struct el_class {
	const char *name;
	const char *sig;      /* Click "=c" signature, e.g. "Counter([KEYWORDS])" */
	const char *summary;  /* "=s": one line */
	const char *doc;      /* "=d": description (Markdown) */
	const char *ports;    /* "inputs/outputs": "1/1", "1/1-2", "0/1", "1/-", "-/=" ... */

	size_t state_size;    /* zeroed, then filled from the argument table */
	size_t pw_size;       /* per-worker state (counters), zeroed; el_pw() */
	const struct el_arg *args; /* NULL: configure() parses argv itself */

	/* Called after the table is parsed, with the split arguments (all of
	 * them when there is no table, else those the table did not take,
	 * which is an error unless the class takes them here). */
	int (*configure)(struct el *e, int argc, char **argv, struct rt_err *err);
	/* Called once ports are known (e->nin, e->nout), before any packet. */
	int (*init)(struct el *e, struct rt_err *err);
	void (*cleanup)(struct el *e);

	/* Data path.  push: a batch arrives on input port; the element owns
	 * the packets and must output or free every one.  run: a task (source,
	 * queue); returns the number of packets it moved (0 = idle). */
	void (*push)(struct el_node *n, int port, struct rt_batch *b);
	int (*run)(struct el_node *n);

	/* Hot-swap: take what can be kept from the element being replaced
	 * (same or compatible class).  Return 0, or <0 to refuse. */
	int (*take_state)(struct el *e, struct el *old, struct rt_err *err);

	/* State in a canonical, versioned form, so a replacement of another
	 * class, or a newer version of this one, can take it over.  export
	 * fills st (data bytes, and packets in order, which st then owns);
	 * import reads a state of class st->cls, version st->version, which
	 * the live layer has checked against `imports` and state_version. */
	unsigned state_version;
	const char *const *imports;  /* other classes whose state it imports */
	int (*export_state)(struct el *e, struct el_state *st, struct rt_err *err);
	int (*import_state)(struct el *e, const struct el_state *st, struct rt_err *err);

	/* Reconfigure in place (writable config handler); NULL = swap. */
	int (*reconfigure)(struct el *e, int argc, char **argv, struct rt_err *err);

	const struct el_handler *handlers;
	unsigned flags;		/* EL_C_* */

	/* Flows (flow/flow.h, docs/flows.md).  flow_size: bytes of per-flow
	 * state the element keeps in the flow control block (FCB) of the flow
	 * manager upstream (0 with flow_hold 0: not flow aware); the compiler
	 * gives it an offset there.  flow_hold: packets per flow it may hold.
	 * flow_release: called on the worker when a flow ends, with its slot. */
	uint32_t flow_size;
	uint16_t flow_hold;
	void (*flow_release)(struct el *e, void *slot);
	struct el_class *next;	/* registry link */
};

enum {
	EL_C_NOARGS = 1,   /* takes no arguments at all */
	EL_C_FLOW_MANAGER = 2, /* a flow manager: its state begins with struct flow_mgr */
};

void el_class_register(struct el_class *c);
const struct el_class *el_class_find(const char *name);
/* Iterate classes in name order: returns an array of n pointers (malloc'd). */
const struct el_class **el_class_list(int *n);

/* Markdown documentation of one class / of every class (eldoc.c). */
void el_class_doc(const struct el_class *c, struct rt_buf *out);
void el_doc_all(struct rt_buf *out);

#define EL_REGISTER(cls) \
	__attribute__((constructor)) static void el_register_##cls(void) { el_class_register(&cls); }

/* ---- instances ---------------------------------------------------------- */

struct el {
	char *name;
	const struct el_class *cls;
	char *config;           /* configuration string as written */
	struct rt_loc loc;      /* where it was declared */
	struct rt_router *router;
	int index;              /* position in the router's element array */
	int nin, nout;
	int nin_cfg, nout_cfg;  /* port counts fixed by configure(); -1 = from connections */
	int thread;             /* worker for its task, -1 = any, EL_THREAD_ALL = every worker */
	bool is_task;           /* has a run() to schedule (set from cls->run; init may clear) */
	void *state;
	uint8_t *pw;            /* RT_MAX_WORKERS cache-aligned blocks of cls->pw_size */
	size_t pw_stride;
	uint64_t args_given;    /* bit i: table row i was given by the user */
	int uid;                /* unique id (never reused) */
	const void *graph;      /* the graph it belongs to (graph.c), for el_input_peer */
	struct el *flow_mgr;    /* flow manager holding its FCB slot (flow/), NULL if none */
	uint32_t flow_off;      /* its slot's offset in that manager's FCB data */
	uint32_t tenant;        /* owner (tenant/tn.h): 0 = the operator */
	struct rte_mempool *pool; /* where its packets come from: its tenant's pool */
};

/* The element connected to input `port` of e (the first one, if several),
 * and its output port; NULL if none.  Valid from init() on: lets a
 * scheduler find the Queues feeding it. */
struct el *el_input_peer(const struct el *e, int port, int *from_port);
/* The element connected to output `port` of e, and its input port. */
struct el *el_output_peer(const struct el *e, int port, int *to_port);

/* e->thread for a task that runs on every worker (each polls its own
 * device queue, say); its run() sees rt_wid. */
#define EL_THREAD_ALL (-2)

#define EL_STATE(e, type) ((type *)(e)->state)

/* Per-worker block for the calling worker, or for worker w.  Only the
 * data path writes per-worker blocks (the control thread's rt_wid is 0, so
 * el_pw() there is worker 0's block): handlers read and sum them, and
 * reset by recording a base in the element's state. */
static inline void *el_pw(struct el *e) { return e->pw + (size_t)rt_wid * e->pw_stride; }
static inline void *el_pw_of(struct el *e, unsigned w) { return e->pw + (size_t)w * e->pw_stride; }

/* Sum a uint64_t field (at byte offset off) of every worker's block.
 * Counters are only ever written by their own worker; readers sum. */
static inline uint64_t el_pw_sum(struct el *e, size_t off)
{
	uint64_t s = 0;
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++)
		s += __atomic_load_n((uint64_t *)(e->pw + (size_t)w * e->pw_stride + off), __ATOMIC_RELAXED);
	return s;
}

/* Was table argument kw given by the user? */
bool el_arg_given(const struct el *e, const char *kw);

/* Create an instance: parse args, configure (not init).  NULL on error. */
struct el *el_new(struct rt_router *r, const struct el_class *cls, const char *name,
		  const char *config, const struct rt_loc *loc, struct rt_err *err);
int el_init(struct el *e, struct rt_err *err);
void el_free(struct el *e);

/* Handlers: standard ones (name, class, config, ports, handlers) and the
 * class's.  Returns NULL when there is none. */
const struct el_handler *el_handler_find(const struct el *e, const char *name);
int el_handler_read(struct el *e, const char *name, struct rt_buf *out, struct rt_err *err);
/* Read with a parameter (NULL or "" = plain read). */
int el_handler_read_param(struct el *e, const char *name, const char *param, struct rt_buf *out,
			  struct rt_err *err);
int el_handler_write(struct el *e, const char *name, const char *value, struct rt_err *err);
/* List handler names with their modes ("count r", "reset w") into out. */
void el_handler_list(const struct el *e, struct rt_buf *out);

/* The class's port counts as ranges (hi = INT32_MAX: unbounded); out_eq
 * when outputs equal inputs ("-/="). */
void el_ports_limits(const struct el_class *c, int *ilo, int *ihi, int *olo, int *ohi, bool *out_eq);
/* Port count check against the class's spec. */
int el_ports_check(const struct el_class *c, int nin, int nout, char *why, size_t whylen);

/* ---- nodes (per graph version) and the data path ------------------------- */

typedef void (*el_push_fn)(struct el_node *n, int port, struct rt_batch *b);

struct el_hop {
	el_push_fn fn;          /* next element's push */
	struct el_node *node;
	int port;
};

struct rt_prof_el;
struct el_node {
	struct el *e;
	void *state;            /* == e->state, one load less on the data path */
	struct rt_prof_el *prof; /* cycle accounting (runtime/prof.c); NULL unless profiling */
	int nout;
	uint32_t flow_off;      /* flow elements: slot offset from the FCB start */
	void *flow_aux;         /* flow managers: this plan's FCB layout (flow/) */
	const struct cls_chain *chain; /* head of a merged classifier chain (classify/cls_chain.c) */
	struct el_hop hops[];   /* one per output port */
};

#define EL_NSTATE(n, type) ((type *)(n)->state)

/* Send a batch out of an output port.  The callee owns the packets; the
 * batch structure may be modified by it. */
static inline void el_output(struct el_node *n, int port, struct rt_batch *b)
{
	if (b->n) {
		struct el_hop *h = &n->hops[port];
		h->fn(h->node, h->port, b);
	}
}

/* Split helper: packets go to per-port batches; flush sends them. */
struct el_split {
	struct rt_batch out[2];
};
static inline void el_split_init(struct el_split *s) { s->out[0].n = 0; s->out[1].n = 0; }
static inline void el_split_flush(struct el_node *n, struct el_split *s)
{
	el_output(n, 0, &s->out[0]);
	if (s->out[1].n) {
		if (n->nout > 1)
			el_output(n, 1, &s->out[1]);
		else
			rt_batch_free(&s->out[1]);
	}
}

/* Send each packet of b out of port[i] (a negative port drops it).  Packets
 * keep their order within each port.  Used by classifiers and switches
 * with many outputs. */
static inline void el_output_by_port(struct el_node *n, struct rt_batch *b, const int16_t *port)
{
	struct rt_batch out;
	uint64_t todo = b->n == 64 ? ~0ull : ((1ull << b->n) - 1);
	while (todo) {
		int first = __builtin_ctzll(todo);
		int p = port[first];
		out.n = 0;
		for (uint64_t t = todo; t; t &= t - 1) {
			int i = __builtin_ctzll(t);
			if (port[i] == p) {
				out.pkts[out.n++] = b->pkts[i];
				todo &= ~(1ull << i);
			}
		}
		if (p >= 0 && p < n->nout)
			el_output(n, p, &out);
		else
			rt_batch_free(&out);
	}
	b->n = 0;
}

#endif
