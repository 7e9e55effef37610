/*
 * SimpleQueue - Click's queue without notification.  mboxsh has no
 * notification, so SimpleQueue is Queue under another name: the same class
 * (queue.c), registered again.
 */
#include "queue.h"

static const char doc[] =
	"Stores incoming packets in a first-in-first-out queue. Drops incoming packets if the queue "
	"already holds CAPACITY packets; dropped packets are emitted on output 1 if it exists. The "
	"default for CAPACITY is 1000.\n\n"
	"mboxsh has no pull notification, so SimpleQueue behaves exactly like Queue: a worker "
	"boundary and a task that pushes packets out output 0 (or the queue a scheduler pulls from). "
	"See Queue for the handlers and the differences from Click.";

static struct el_class simplequeue;

/* Copy Queue's class, which is statically initialised (so complete before
 * any constructor runs), rename it and register the copy. */
__attribute__((constructor)) static void el_register_simplequeue(void)
{
	simplequeue = el_queue_class;
	simplequeue.name = "SimpleQueue";
	simplequeue.sig = "SimpleQueue([CAPACITY])";
	simplequeue.doc = doc;
	simplequeue.next = NULL;
	el_class_register(&simplequeue);
}
