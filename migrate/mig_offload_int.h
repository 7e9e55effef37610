/*
 * mig_offload_int.h - the offload engine's inside, shared by the engine
 * (mig_offload.c) and the placement policy (mig_auto.c).
 */
#ifndef MB_MIG_OFFLOAD_INT_H
#define MB_MIG_OFFLOAD_INT_H

#include "mig_offload.h"

/* Measured on one placement: packets, cycles the kernel (or the device
 * round trip) took for them, and the latency packets saw. */
struct off_hist {
	uint64_t pkts, batches;
	uint64_t busy_cycles;     /* cpu kernel time, or device submit -> done */
	uint64_t wait_cycles;     /* sum over batches of (done - first packet) */
	uint64_t max_wait_cycles;
	uint64_t core_cycles;     /* worker cycles spent in the element (not downstream) */
	uint64_t kernel_ns;       /* device kernel time (the rest of busy is transfers and queueing) */
};

struct off_slot {
	struct mig_job job;
	struct mig_mem *din, *dblob, *dout;
	uint8_t *hin, *hblob, *hout;
	struct rte_mbuf **pkts;
	uint32_t n, blob_used;
	uint64_t t_first;
	uint64_t batch;           /* its id (mig_off_pos.batch) */
	bool busy;                /* submitted, not yet emitted */
};

struct off_w {
	struct mig_queue *q;
	struct off_slot s[MIG_OFF_SLOTS];
	uint32_t head;            /* oldest busy slot */
	uint32_t cur;             /* the filling slot */
	bool cpu_only;            /* the device failed: this worker stays on the cpu */
	/* packets a previous instance held, to go first (mig_off_take) */
	struct rte_mbuf **carry;
	uint8_t *carry_out;       /* results of the first carry_done packets */
	uint32_t carry_done;      /* leading carried packets already computed */
	uint32_t ncarry;          /* published with release */
	uint64_t batch_seq;       /* batch ids (mig_off_pos.batch) */
	uint8_t *cin, *cblob, *cout; /* cpu placement scratch: RT_BATCH_MAX records */
	struct off_hist h;        /* this instance's figures, this worker */
	uint64_t fallbacks;
} __rte_cache_aligned;

struct mig_off {
	struct el *e;
	const struct mig_off_kernel *k;
	void *ctx;
	struct mig_off_cfg cfg;
	uint64_t latency_cycles;
	struct mig_dev *dev;
	struct mig_prog *prog;
	struct mig_kernel *kern;
	struct mig_arg extra[MIG_JOB_MAXARGS - 4];
	int nextra;
	int nw;
	struct off_w *w;          /* nw blocks */
	int fail_code;            /* first device failure seen by a worker */
	struct off_hist past[MIG_NKINDS]; /* what earlier instances measured */
	/* automatic placement (mig_auto.c) */
	struct mig_auto *autot;
	uint64_t born_ns;
	uint64_t win_pkts, win_core;      /* at the last policy step */
	double per_core[MIG_NKINDS];      /* Mpps per worker core measured on each placement, 0 = never */
	char note[160];
};

/* This instance's figures, summed over workers. */
void off_hist_now(const struct mig_off *o, struct off_hist *h);
/* The policy's timer (AUTO true), started by mig_off_new and stopped by
 * mig_off_free. */
void mig_auto_start(struct mig_off *o);
void mig_auto_stop(struct mig_off *o);

#endif
