/*
 * queue.h - what schedulers need of Queue (and SimpleQueue): recognise one
 * and pull packets out of it.
 *
 * In mboxsh's push-only data path a Queue is a worker boundary and normally
 * a task of its own.  A scheduler (PrioSched, RoundRobinSched, Unqueue) whose
 * input is a Queue finds it with el_input_peer() in its init, clears the
 * Queue's is_task so the Queue does not run itself, and pulls from it with
 * el_queue_dequeue() in its own run.
 */
#ifndef MB_ELEMENTS_QUEUE_H
#define MB_ELEMENTS_QUEUE_H

#include "../../runtime/el.h"

/* Is e a Queue or a SimpleQueue?  Control thread. */
bool el_is_queue(const struct el *e);

/* Take up to n packets, oldest first, out of queue q (el_is_queue(q) must
 * hold).  Returns how many were taken.  Thread-safe: any number of
 * consumers may pull concurrently with any number of pushers. */
int el_queue_dequeue(struct el *q, struct rte_mbuf **pkts, unsigned n);

/* Take over the Queues feeding scheduler e: for each input i fed by output 0
 * of a Queue, (*qs)[i] is that Queue and the Queue stops running as a task
 * of its own; other entries are NULL.  e runs as a task when it found any.
 * *qs is malloc'd (e->nin entries, at least one).  Returns how many Queues
 * it found, or -ENOMEM with err set.  Control thread, from e's init. */
int el_queue_take_inputs(struct el *e, struct el ***qs, struct rt_err *err);

/* The Queue class, which SimpleQueue registers again under its own name. */
extern struct el_class el_queue_class;

#endif
