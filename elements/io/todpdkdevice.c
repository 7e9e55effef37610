/*
 * ToDPDKDevice - sends the packets it receives on a DPDK port.  Each worker
 * transmits on its own tx queue (QUEUE * workers + worker id), so several
 * workers pushing into one element (or into several elements on one port)
 * never share a queue and no lock is taken on the data path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_pause.h>

#include "../../runtime/port.h"
#include "../../runtime/router.h"

static const char doc[] =
	"Sends packets arriving on its input out of the DPDK port PORT (named as for "
	"FromDPDKDevice: a port number, a PCI address or a virtual device with its arguments), up "
	"to BURST packets per rte_eth_tx_burst call. It shares the port with the FromDPDKDevice "
	"and ToDPDKDevice elements naming the same device.\n\n"
	"With BLOCKING true (the default) packets the device cannot take at once are retried until "
	"they are sent; after 1000 attempts without progress the rest of the batch is freed and "
	"counted in `dropped`, so a stuck device cannot stall a worker for ever. With BLOCKING "
	"false whatever the device does not take at once is freed and counted in `dropped`. "
	"Nothing is lost silently: count + dropped is every packet received.\n\n"
	"mboxsh differences: packets already arrive in batches, so there is no internal buffer "
	"and no flush timer (FastClick's IQUEUE and TIMEOUT are not supported); BURST only bounds "
	"one tx call. Each worker uses its own tx queue: the port gets (QUEUE + 1) x workers tx "
	"queues and worker w sends on queue QUEUE x workers + w, which is what lets several "
	"workers feed one ToDPDKDevice without a lock; a device with fewer tx queues (net_pcap "
	"has one per tx_pcap) needs a single worker or one tx_pcap per worker.";

/* Attempts without progress before BLOCKING gives up on a batch. */
#define TDD_RETRIES 1000

struct tdd_pw {
	uint64_t count, dropped;
};

struct tdd {
	char *port_spec;
	int64_t queue;
	uint64_t burst, ndesc;
	bool blocking;
	/* set up by init */
	struct rt_port *port;
	struct rt_port_req req;
	uint16_t port_id;
	uint16_t qbase;        /* QUEUE * workers: worker w sends on qbase + w */
	/* control thread only: values at the last reset_counts */
	uint64_t base_count, base_dropped, base_hw;
};

static const struct el_arg args[] = {
	{"PORT", EL_T_STRING, offsetof(struct tdd, port_spec), NULL, EL_ARG_POS | EL_ARG_REQ,
	 "port number, PCI address or virtual device (with its arguments)"},
	{"QUEUE", EL_T_INT, offsetof(struct tdd, queue), "0", 0, "tx queue group (one queue per worker in each)"},
	{"BURST", EL_T_UINT, offsetof(struct tdd, burst), "32", 0, "most packets per tx burst (1 to 64)"},
	{"BLOCKING", EL_T_BOOL, offsetof(struct tdd, blocking), "true", 0,
	 "retry until sent (bounded) instead of dropping"},
	{"NDESC", EL_T_UINT, offsetof(struct tdd, ndesc), "1024", 0, "tx descriptors per queue"},
	EL_ARGS_END,
};

static int tdd_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct tdd *s = e->state;
	if (rt_port_element_args(e, &s->port_spec, &s->queue, s->burst, s->ndesc, argc, argv, err) < 0)
		return err->code;
	return 0;
}

static int tdd_init(struct el *e, struct rt_err *err)
{
	struct tdd *s = e->state;
	unsigned nw = (unsigned)rt_router_nworkers(e->router);
	s->req = (struct rt_port_req){.rxq = -1, .ntxq = ((unsigned)s->queue + 1) * nw, .ntxd = (unsigned)s->ndesc,
				      .who = e->name};
	s->port = rt_port_request(e->router, s->port_spec, &s->req, err);
	if (!s->port) {
		err->loc = e->loc;
		return err->code ? err->code : -ENODEV;
	}
	s->port_id = rt_port_id(s->port);
	s->qbase = (uint16_t)((unsigned)s->queue * nw);
	return 0;
}

static void tdd_cleanup(struct el *e)
{
	struct tdd *s = e->state;
	rt_port_release(s->port, &s->req);
	s->port = NULL;
}

static void tdd_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct tdd *s = n->state;
	struct tdd_pw *pw = el_pw(n->e);
	uint16_t q = (uint16_t)(s->qbase + rt_wid);
	uint32_t done = 0, tries = 0;
	while (done < b->n) {
		uint16_t want = (uint16_t)RT_MIN(b->n - done, (uint32_t)s->burst);
		uint16_t sent = rte_eth_tx_burst(s->port_id, q, b->pkts + done, want);
		done += sent;
		if (sent == want)
			continue;
		/* the device is full: retry, giving up after TDD_RETRIES
		 * attempts in a row without progress, or drop at once */
		if (!s->blocking)
			break;
		if (sent)
			tries = 0;
		else if (++tries >= TDD_RETRIES)
			break;
		else
			rte_pause();
	}
	uint32_t left = b->n - done;
	if (left)
		rte_pktmbuf_free_bulk(b->pkts + done, left);
	__atomic_store_n(&pw->count, pw->count + done, __ATOMIC_RELAXED);
	if (left)
		__atomic_store_n(&pw->dropped, pw->dropped + left, __ATOMIC_RELAXED);
	b->n = 0;
}

enum { H_COUNT, H_DROPPED, H_HW_COUNT, H_LINK, H_RESET, H_DEVICE };

static uint64_t hw_out(struct tdd *s)
{
	struct rte_eth_stats st;
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(s->port_id, &st);
	return st.opackets;
}

static int tdd_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct tdd *s = e->state;
	switch (what) {
	case H_COUNT:
		rt_buf_printf(out, "%llu",
			      (unsigned long long)(el_pw_sum(e, offsetof(struct tdd_pw, count)) - s->base_count));
		break;
	case H_DROPPED:
		rt_buf_printf(out, "%llu",
			      (unsigned long long)(el_pw_sum(e, offsetof(struct tdd_pw, dropped)) - s->base_dropped));
		break;
	case H_HW_COUNT: rt_buf_printf(out, "%llu", (unsigned long long)(hw_out(s) - s->base_hw)); break;
	case H_LINK: rt_port_link(s->port, out); break;
	case H_DEVICE: rt_buf_printf(out, "%s %u", rt_port_name(s->port), (unsigned)s->port_id); break;
	}
	return 0;
}

static int tdd_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)v, (void)err;
	struct tdd *s = e->state;
	if (what != H_RESET)
		return -EINVAL;
	s->base_count = el_pw_sum(e, offsetof(struct tdd_pw, count));
	s->base_dropped = el_pw_sum(e, offsetof(struct tdd_pw, dropped));
	s->base_hw = hw_out(s);
	return 0;
}

static const struct el_handler handlers[] = {
	{"count", tdd_read, NULL, H_COUNT, 0, "packets the device accepted"},
	{"dropped", tdd_read, NULL, H_DROPPED, 0, "packets freed because the device did not take them"},
	{"hw_count", tdd_read, NULL, H_HW_COUNT, 0, "packets the device sent (opackets, all queues)"},
	{"link", tdd_read, NULL, H_LINK, 0, "'up 10000 Mbps full' or 'down'"},
	{"device", tdd_read, NULL, H_DEVICE, 0, "device name and ethdev port id"},
	{"reset_counts", NULL, tdd_write, H_RESET, EL_H_BUTTON, "reset count, dropped and hw_count"},
	EL_HANDLERS_END,
};

static struct el_class todpdkdevice = {
	.name = "ToDPDKDevice",
	.sig = "ToDPDKDevice(PORT [, QUEUE, KEYWORDS])",
	.summary = "sends packets to a DPDK port",
	.doc = doc,
	.ports = "1/0",
	.state_size = sizeof(struct tdd),
	.pw_size = sizeof(struct tdd_pw),
	.args = args,
	.configure = tdd_configure,
	.init = tdd_init,
	.cleanup = tdd_cleanup,
	.push = tdd_push,
	.handlers = handlers,
};
EL_REGISTER(todpdkdevice)
