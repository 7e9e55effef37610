/*
 * iosource.h - what the trace sources (FromDump, FromIPSummaryDump) share:
 * the task that reads packets from a file, holds one back until it is due
 * when TIMING is on and acts at the end of the trace, and the handlers
 * every trace source has (count, reset_counts, active, filename, filesize,
 * filepos, stop, truncated).
 *
 * An element puts struct io_source first in its state and struct
 * io_source_pw first in its per-worker block, supplies the reading of one
 * packet in a struct io_source_ops, and numbers its own handlers from
 * IO_SOURCE_H_NEXT.
 *
 * Thread-safety: io_source_run() runs on the worker that owns the task;
 * the handlers run on the control thread.  They share active and filepos
 * (atomics) and the per-worker counters (summed).
 */
#ifndef MB_IO_IOSOURCE_H
#define MB_IO_IOSOURCE_H

#include <stdio.h>

#include "../../runtime/router.h"

#define IO_SOURCE_BURST 32  /* most packets a task call */

struct io_source_pw {
	uint64_t count;      /* packets emitted */
	uint64_t truncated;  /* packets cut to the mbuf data room */
};

struct io_source {
	char *filename;            /* FILENAME */
	bool stop, active, timing; /* STOP, ACTIVE, TIMING */
	bool end_deactivates;      /* at the end (without STOP), `active` becomes false */
	FILE *f;                   /* the file read, for filepos; NULL when none */

	/* worker-owned reading state */
	struct rte_mbuf *pending;  /* read, not yet due (TIMING) */
	bool have_times;           /* timing_off is taken */
	uint64_t timing_off;       /* packet time + timing_off = when it is due */
	bool eof, end_done;

	int64_t filepos;           /* published for the handler (atomic) */
	uint64_t base_count;       /* count at the last reset_counts (control thread) */
};

struct io_source_ops {
	/* The next packet to emit (timestamp annotation set), or NULL: at the
	 * end of the trace when it has set s->eof, else try again later. */
	struct rte_mbuf *(*read)(struct el *e, struct io_source *s);
	/* TIMING's first packet, with timestamp ts, at time now: take
	 * timing_off and set have_times.  NULL: timing_off = now - ts. */
	void (*prepare_times)(struct io_source *s, uint64_t ts, uint64_t now);
	/* Does m go to output 0?  Others go to output 1 when there is one and
	 * are freed otherwise.  NULL: every packet does. */
	bool (*keep)(struct io_source *s, struct rte_mbuf *m);
	/* At the end with STOP, `active` becomes false as well. */
	bool stop_deactivates;
};

/* The end of the trace, acted on once: with STOP ask the router to stop,
 * else deactivate when end_deactivates is set. */
static inline void io_source_end(struct el *e, struct io_source *s, const struct io_source_ops *ops)
{
	if (s->end_done)
		return;
	s->end_done = true;
	if (s->stop) {
		if (ops->stop_deactivates)
			__atomic_store_n(&s->active, false, __ATOMIC_RELAXED);
		rt_router_please_stop(e->router);
	} else if (s->end_deactivates) {
		__atomic_store_n(&s->active, false, __ATOMIC_RELAXED);
	}
}

/* The task: emit up to IO_SOURCE_BURST packets.  Returns how many packets
 * it took from the trace (emitted, sent to output 1 or dropped). */
static inline int io_source_run(struct el_node *n, const struct io_source_ops *ops)
{
	struct io_source *s = n->state;
	struct io_source_pw *pw = el_pw(n->e);
	if (!__atomic_load_n(&s->active, __ATOMIC_RELAXED))
		return 0;
	if (s->eof && !s->pending) {
		io_source_end(n->e, s, ops);
		return 0;
	}
	struct rt_batch out, other;
	out.n = other.n = 0;
	uint64_t now = 0;
	int i;
	for (i = 0; i < IO_SOURCE_BURST; i++) {
		struct rte_mbuf *m = s->pending;
		s->pending = NULL;
		if (!m && !(m = ops->read(n->e, s)))
			break;
		if (s->timing) {
			if (!now)
				now = rt_now_ns();
			if (!s->have_times) {
				if (ops->prepare_times) {
					ops->prepare_times(s, rt_anno(m)->timestamp, now);
				} else {
					s->timing_off = now - rt_anno(m)->timestamp;
					s->have_times = true;
				}
			}
			if (rt_anno(m)->timestamp + s->timing_off > now) {
				s->pending = m;
				break;
			}
		}
		if (ops->keep && !ops->keep(s, m)) {
			if (n->nout > 1)
				rt_batch_add(&other, m);
			else
				rte_pktmbuf_free(m);
			continue;
		}
		rt_batch_add(&out, m);
	}
	__atomic_store_n(&pw->count, pw->count + out.n, __ATOMIC_RELAXED);
	if (s->f)
		__atomic_store_n(&s->filepos, (int64_t)ftell(s->f), __ATOMIC_RELAXED);
	el_output(n, 0, &out);
	if (other.n)
		el_output(n, 1, &other);
	if (s->eof && !s->pending)
		io_source_end(n->e, s, ops);
	return i;
}

/* Frees a packet held back by TIMING (the element closes its file). */
void io_source_cleanup(struct io_source *s);

/* Handler numbers (the arg of a struct el_handler row). */
enum {
	IO_SOURCE_H_COUNT,     /* read: packets emitted since reset_counts */
	IO_SOURCE_H_RESET,     /* button: reset count */
	IO_SOURCE_H_ACTIVE,    /* read/write: a bool */
	IO_SOURCE_H_FILENAME,  /* read */
	IO_SOURCE_H_FILESIZE,  /* read: bytes, '-' if unknown */
	IO_SOURCE_H_FILEPOS,   /* read: position in the file */
	IO_SOURCE_H_STOP,      /* button: deactivate and ask the router to stop */
	IO_SOURCE_H_TRUNCATED, /* read: packets cut to the mbuf data room */
	IO_SOURCE_H_NEXT,
};

/* The handlers above; -EINVAL for any other number. */
int io_source_read_h(struct el *e, intptr_t what, struct rt_buf *out);
int io_source_write_h(struct el *e, intptr_t what, const char *v, struct rt_err *err);

#endif
