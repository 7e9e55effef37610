/*
 * mig_offload.h - running an element's kernel on its placement: the cpu
 * directly in the worker, or an offloaded placement (opencl, cuda) with
 * packets aggregated into large batches, copied in, run asynchronously
 * and resumed downstream in their original order.
 *
 * An offloadable element describes its kernel (struct mig_off_kernel) and
 * keeps one engine (struct mig_off) created from its PLACEMENT, BATCH and
 * LATENCY arguments.  Its push and run call mig_off_push/mig_off_run.
 * Moving the element to another placement is a swap to the same class
 * with another PLACEMENT (rt_ctl_migrate): take_state calls mig_off_take,
 * which hands the packets the old engine held, in order, per worker, to the
 * new engine, ahead of anything newer (ARCHITECTURE.md, decision 6).  A
 * kernel that keeps state on the device (device_state) lets the batches
 * still on the old device finish there, so that state is final, and their
 * results travel with their packets; others' batches are recomputed by the
 * new placement, so the pause does not wait for the old device.
 *
 * Per worker, the engine keeps MIG_OFF_SLOTS batches: one filling, the
 * others in flight on the worker's own device queue (double buffering, so
 * the worker keeps receiving while the device computes).  A slot is sent
 * when full or when its oldest packet has waited LATENCY.  If the device
 * fails (submit or completion), the engine computes the same batch with
 * the cpu kernel, emits it in order, and stays on the cpu from then on.
 *
 * Thread-safety: mig_off_new/free/take and the read functions on the
 * control thread; push and run on workers (each touches its own block).
 */
#ifndef MB_MIG_OFFLOAD_H
#define MB_MIG_OFFLOAD_H

#include "el.h"
#include "mig.h"

/* Where a packet's record goes.  Records of one batch are computed
 * together; a kernel that carries state per flow links the records of one
 * flow within a batch (the earlier ones are at recs).  `batch` identifies
 * the batch: unique per worker, never reused, also across instances. */
struct mig_off_pos {
	uint8_t *recs;
	uint32_t idx;
	uint64_t batch;
	uint8_t *blob;
	uint32_t blob_off;
};

/* An element's kernel, as the engine needs it.  Records are fixed-size; a
 * kernel may also read a variable part (payload bytes) through `blob`. */
struct mig_off_kernel {
	const char *prog, *fn;  /* kernel program and entry point (kernels/P.cl, P.cu) */
	uint32_t in_size;       /* bytes of one input record */
	uint32_t out_size;      /* bytes of one output record */
	uint32_t blob_max;      /* bytes of variable input per packet at most (0: none) */
	bool device_state;      /* the kernel keeps state on the device (per-flow): at a
				 * hand-over, batches on the old device finish there;
				 * without, they are recomputed by the new placement */
	/* Data path: write packet m's input record (pos->recs + pos->idx *
	 * in_size); copy its variable bytes at pos->blob (pos->blob_off is
	 * their offset in the batch's blob, for the record) and return how
	 * many were written.  n is the element's node (flow_slot(n, m)). */
	uint32_t (*extract)(void *ctx, struct el_node *n, struct rte_mbuf *m, const struct mig_off_pos *pos);
	/* The kernel as C over n records (the cpu placement, and the fallback). */
	void (*cpu)(void *ctx, const void *in, const uint8_t *blob, void *out, uint32_t n);
	/* Control: the kernel's arguments after (in, blob, out, n): the
	 * element's tables as loaded on the device.  Returns how many. */
	int (*args)(void *ctx, struct mig_dev *d, struct mig_arg *args, int max, struct rt_err *err);
	/* Data path: packet m's output record -> output port (<0: drop). */
	int (*apply)(void *ctx, struct rte_mbuf *m, const void *out);
};

struct mig_off_cfg {
	enum mig_kind kind;
	uint32_t batch;          /* packets per offload batch */
	uint64_t latency_ns;     /* longest a packet waits for its batch to fill */
	bool autoplace;          /* the placement policy may move the element (AUTO) */
};

#define MIG_OFF_SLOTS 3

struct mig_off;

/* Open the placement (device, kernels, per-worker queues and buffers).
 * Errors name the placement and say why (no device, build log, memory). */
int mig_off_new(struct el *e, const struct mig_off_kernel *k, void *ctx, const struct mig_off_cfg *cfg,
		struct mig_off **out, struct rt_err *err);
/* Frees everything, packets still held included (waits for the device). */
void mig_off_free(struct mig_off *o);
/* The device the engine runs on (NULL for the cpu), for the kernel's
 * table loading. */
struct mig_dev *mig_off_dev(struct mig_off *o);
enum mig_kind mig_off_kind(const struct mig_off *o);

/* Data path. */
void mig_off_push(struct mig_off *o, struct el_node *n, struct rt_batch *b);
int mig_off_run(struct mig_off *o, struct el_node *n);

/* Take over what `old` (quiescent: no worker runs it) still holds, in
 * order per worker, and its measured history.  Waits for old's batches on
 * its device; their results travel with their packets. */
void mig_off_take(struct mig_off *o, struct mig_off *old);

/* Handlers' text: "placement" (kind, and the fallback error if any),
 * "offload" (batches, packets, device time, latency) and "placements"
 * (one line per placement: availability and what was measured on it). */
void mig_off_placement(const struct mig_off *o, struct rt_buf *out);
void mig_off_counters(const struct mig_off *o, struct rt_buf *out);
void mig_off_placements(const struct mig_off *o, struct rt_buf *out);
/* The same as a JSON array of objects {placement, current, available,
 * why, packets, batches, mpps_busy, latency_avg_us, latency_max_us}. */
void mig_off_placements_json(const struct mig_off *o, struct rt_buf *out);
/* The automatic placement policy (opt-in with AUTO true; mig_auto.c), one
 * step for one element: measure packets per worker cycle on the current
 * placement over the window since the last step; once the element has
 * stayed `dwell_ns` where it is, try an available placement it never ran
 * on, or move to the one measured best if it beats the current one by
 * MIG_AUTO_MARGIN (hysteresis).  Returns 1 when it migrated the element
 * (o is then freed), 0 when it stayed, <0 when a migration failed (the
 * element stays; the reason is in the decision note).  Every AUTO
 * element steps once a second on the control loop. */
#define MIG_AUTO_MARGIN 0.2
#define MIG_AUTO_DWELL_NS 2000000000ull
int mig_auto_step(struct mig_off *o, uint64_t dwell_ns);
/* The last decision, for `placements` ("" when none). */
const char *mig_auto_note(const struct mig_off *o);

/* The engine of an offloadable element (one with MIG_OFF_HANDLERS), or NULL. */
struct mig_off *mig_off_of(struct el *e);
/* Packets held by the engine right now (all workers). */
uint64_t mig_off_held(const struct mig_off *o);

/* Arguments every offloadable element takes (PLACEMENT, BATCH, LATENCY),
 * for its table: rows to splice into the element's own argument table. */
#define MIG_OFF_ARGS(type, field)                                                                          \
	{ "PLACEMENT", EL_T_WORD, offsetof(type, field.placement), "cpu", 0,                                \
	  "where the kernel runs: cpu, opencl or cuda" },                                                   \
	{ "BATCH", EL_T_UINT, offsetof(type, field.batch), "4096", 0,                                        \
	  "packets per offload batch (opencl, cuda)" },                                                     \
	{ "LATENCY", EL_T_TIME, offsetof(type, field.latency), "100us", 0,                                   \
	  "longest a packet waits for its offload batch to fill" },                                         \
	{ "AUTO", EL_T_BOOL, offsetof(type, field.autoplace), "false", 0,                                    \
	  "let the placement policy move it to the placement that does most packets per worker cycle" }

/* Handlers every offloadable element has: `placement` (read: where it runs,
 * and the fallback error if the device failed; write: migrate there),
 * `placements` (each placement: available or why not, and what was
 * measured on it) and `offload` (batches, packets, held, latency).  `field`
 * is the element state's struct mig_off pointer. */
int mig_off_h_read(struct el *e, intptr_t arg, struct rt_buf *out);
int mig_off_h_migrate(struct el *e, intptr_t arg, const char *value, struct rt_err *err);
#define MIG_OFF_HANDLERS(type, field)                                                                      \
	{ "placement", mig_off_h_read, mig_off_h_migrate, offsetof(type, field) * 4 + 0, 0,                 \
	  "where the kernel runs; write cpu, opencl or cuda to migrate it there", NULL },                   \
	{ "placements", mig_off_h_read, NULL, offsetof(type, field) * 4 + 1, 0,                             \
	  "each placement: available or why not, and packets, Mpps while busy and latency measured on it",  \
	  NULL },                                                                                           \
	{ "offload", mig_off_h_read, NULL, offsetof(type, field) * 4 + 2, 0,                                \
	  "placement, batch, packets held, fallbacks, batches, packets and latency", NULL }

/* The fields MIG_OFF_ARGS fills, embedded in the element's state. */
struct mig_off_args {
	char *placement;
	uint64_t batch;
	uint64_t latency;
	bool autoplace;
};
/* Check the arguments and fill a cfg (errors name the argument). */
int mig_off_args_cfg(const struct mig_off_args *a, struct mig_off_cfg *cfg, struct rt_err *err);

#endif
