/*
 * FromDPDKDevice - polls one rx queue of a DPDK port and pushes what
 * arrives.  A task: rte_eth_rx_burst straight into a batch on the worker
 * that runs it; the port itself is shared through the runtime's port
 * registry (runtime/port.h) with ToDPDKDevice elements on the same device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>

#include "../../runtime/port.h"
#include "../../runtime/router.h"
#include "../../tenant/tn.h"

static const char doc[] =
	"Reads packets from rx queue QUEUE of the DPDK port PORT, up to BURST at a time, and pushes "
	"them out. PORT is an ethdev port number (`0`), a PCI address (`0000:01:00.0`; the device "
	"must be bound to a DPDK driver and EAL started with PCI, see docs/performance.md), or a "
	"virtual device with its arguments: `net_null0`, `net_ring0`, `net_tap0`, "
	"`net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap`, `net_af_packet0,iface=veth0`. Device "
	"arguments may be written as further arguments (`FromDPDKDevice(net_pcap0, "
	"rx_pcap=in.pcap)`) or quoted together (`FromDPDKDevice(\"net_pcap0,rx_pcap=in.pcap\")`). "
	"A virtual device is created when the configuration is loaded; one that fails to probe "
	"fails the load with an error naming it, and nothing is left behind.\n\n"
	"FromDPDKDevice and ToDPDKDevice elements naming the same device share one port: it is "
	"configured with as many rx queues as the highest QUEUE asks for (with RSS over every hash "
	"the device offers when there is more than one) and the tx queues the ToDPDKDevices need, "
	"and started when the router starts. Elements after the first may name the device without "
	"its arguments.\n\n"
	"Each packet's annotations are reset (lazily: a packet whose annotations nothing reads never "
	"has them written), the link-broadcast annotation is set for frames to a group address while "
	"an element that reads it (DropBroadcasts) is in the router, and with TIMESTAMP the timestamp "
	"annotation gets the wall-clock time of the burst. Multi-segment packets (jumbo frames on a "
	"scattering device) are linearised when the first segment has room, else dropped and counted "
	"in `dropped`.\n\n"
	"mboxsh differences: with N_QUEUES > 1 the element polls queues QUEUE.. QUEUE+N-1, one per worker (worker w polls QUEUE+w). For other placements, "
	"write one FromDPDKDevice per queue with `QUEUE q` and place each on its worker with "
	"`THREAD w`, e.g. `FromDPDKDevice(0, QUEUE 0, THREAD 0)` and `FromDPDKDevice(0, QUEUE 1, "
	"THREAD 1)`: the port then gets two RSS queues. Two elements may not poll the same queue. "
	"With TENANT the queues receive into that tenant's packet pool (its `buffers` quota), so a flood "
	"on its port exhausts its buffers and nobody else's, and each packet's tenant annotation is set; "
	"a queue's pool is fixed when its port starts. "
	"MAXTHREADS, RSS_AGGREGATE, PAINT_QUEUE, MTU, MAC, VLAN and flow-rule options are not "
	"supported.";

struct fdd_pw {
	uint64_t count, multiseg_dropped;
};

struct fdd {
	char *port_spec, *tenant;
	uint32_t tenant_id;     /* TENANT's id: its packets' annotation; 0: none */
	int64_t queue, n_queues, thread;
	uint64_t burst, ndesc;
	bool promisc, active, timestamp;
	/* set up by init */
	struct rt_port *port;
	struct rt_port_req req[RT_MAX_WORKERS]; /* one per queue polled */
	int nreq;
	uint16_t port_id, queue_id;
	const int *bcast_readers; /* the router's link-broadcast readers */
	/* control thread only: values at the last reset_counts */
	uint64_t base_count, base_dropped, base_hw;
};

static const struct el_arg args[] = {
	{"PORT", EL_T_STRING, offsetof(struct fdd, port_spec), NULL, EL_ARG_POS | EL_ARG_REQ,
	 "port number, PCI address or virtual device (with its arguments)"},
	{"QUEUE", EL_T_INT, offsetof(struct fdd, queue), "0", 0, "rx queue to poll"},
	{"N_QUEUES", EL_T_INT, offsetof(struct fdd, n_queues), "1", 0,
	 "queues QUEUE.. polled, one per worker (-1: as many as workers)"},
	{"BURST", EL_T_UINT, offsetof(struct fdd, burst), "32", 0, "packets per rx burst (1 to 64)"},
	{"PROMISC", EL_T_BOOL, offsetof(struct fdd, promisc), "false", 0, "put the port in promiscuous mode"},
	{"NDESC", EL_T_UINT, offsetof(struct fdd, ndesc), "1024", 0, "rx descriptors per queue"},
	{"ACTIVE", EL_T_BOOL, offsetof(struct fdd, active), "true", 0, "poll the queue"},
	{"TIMESTAMP", EL_T_BOOL, offsetof(struct fdd, timestamp), "false", 0,
	 "set the timestamp annotation (a clock read per burst: about 6% of io forwarding)"},
	{"THREAD", EL_T_INT, offsetof(struct fdd, thread), "-1", 0, "worker that runs the task (-1: any)"},
	{"TENANT", EL_T_WORD, offsetof(struct fdd, tenant), NULL, 0,
	 "receive into this tenant's packet pool and mark the packets as its (docs/tenants.md)"},
	EL_ARGS_END,
};

static int fdd_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct fdd *s = e->state;
	if (rt_port_element_args(e, &s->port_spec, &s->queue, s->burst, s->ndesc, argc, argv, err) < 0)
		return err->code;
	if (s->n_queues == -1)
		s->n_queues = rt_router_nworkers(e->router);
	if (s->n_queues < 1 || s->n_queues > rt_router_nworkers(e->router))
		return rt_errf(err, &e->loc, -EINVAL, "%s: N_QUEUES must be -1 or 1 to %d (the number of workers)", e->name,
			       rt_router_nworkers(e->router));
	if (s->n_queues > 1 && el_arg_given(e, "THREAD"))
		return rt_errf(err, &e->loc, -EINVAL, "%s: THREAD and N_QUEUES > 1 exclude each other", e->name);
	if (s->thread < -1 || s->thread >= RT_MAX_WORKERS)
		return rt_errf(err, &e->loc, -EINVAL, "%s: THREAD must be -1 to %d", e->name, RT_MAX_WORKERS - 1);
	e->thread = s->n_queues > 1 ? EL_THREAD_ALL : (int)s->thread;
	return 0;
}

static void fdd_cleanup(struct el *e)
{
	struct fdd *s = e->state;
	for (int i = 0; i < s->nreq; i++)
		rt_port_release(s->port, &s->req[i]);
	s->nreq = 0;
	s->port = NULL;
}

/* One exclusive rx queue per worker that polls: QUEUE, QUEUE+1, ... */
static int fdd_init(struct el *e, struct rt_err *err)
{
	struct fdd *s = e->state;
	if (s->tenant) { /* its own pool: a flood on this port exhausts its buffers only */
		const struct tn *t = tn_by_name(e->router, s->tenant);
		if (!t || (e->tenant && tn_id(t) != e->tenant))
			return rt_errf(err, &e->loc, -ENOENT, "%s: no tenant '%s'", e->name, s->tenant);
		s->tenant_id = tn_id(t);
		e->pool = tn_pool(t);
	}
	for (int i = 0; i < s->n_queues; i++) {
		s->req[i] = (struct rt_port_req){.rxq = (int)s->queue + i, .nrxd = (unsigned)s->ndesc,
						 .promisc = s->promisc, .who = e->name,
						 .pool = s->tenant ? e->pool : NULL};
		struct rt_port *p = rt_port_request(e->router, s->port_spec, &s->req[i], err);
		if (!p) {
			fdd_cleanup(e);
			err->loc = e->loc;
			return err->code ? err->code : -ENODEV;
		}
		s->port = p;
		s->nreq = i + 1;
	}
	s->port_id = rt_port_id(s->port);
	s->queue_id = (uint16_t)s->queue;
	s->bcast_readers = rt_router_link_bcast_users(e->router);
	return 0;
}

/* Rare: some packets of the burst have several segments.  Linearise them
 * (or drop them when the first segment has no room) and close the gaps. */
static __rte_noinline void fdd_linearize(struct fdd_pw *pw, struct rt_batch *b)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) < 0) {
			rte_pktmbuf_free(m);
			pw->multiseg_dropped++;
			continue;
		}
		b->pkts[k++] = m;
	}
	b->n = k;
}

/* The link-broadcast annotation, only while an element reads it (router.h):
 * it costs each frame's first cache line. */
static __rte_noinline void fdd_link_bcast(struct rt_batch *b)
{
	for (uint32_t i = 0; i < b->n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i], void *));
	for (uint32_t i = 0; i < b->n; i++) {
		if (i + 4 < b->n)
			rte_prefetch0(rte_pktmbuf_mtod(b->pkts[i + 4], void *));
		rt_anno_link_from_ether(b->pkts[i]);
	}
}

static int fdd_run(struct el_node *n)
{
	struct fdd *s = n->state;
	if (!__atomic_load_n(&s->active, __ATOMIC_RELAXED))
		return 0;
	uint16_t q = s->queue_id;
	if (s->n_queues > 1) { /* every worker runs this task, each on its own queue */
		if (rt_wid >= s->n_queues)
			return 0;
		q = (uint16_t)(q + rt_wid);
	}
	struct rt_batch b;
	uint16_t got = rte_eth_rx_burst(s->port_id, q, b.pkts, (uint16_t)s->burst);
	if (!got)
		return 0;
	struct fdd_pw *pw = el_pw(n->e);
	/* per packet, only the mbuf's first line (which the driver just
	 * wrote): annotations reset lazily (rt.h), segment counts or-ed so
	 * that one test after the loop finds multi-segment packets */
	uint16_t segs = 0;
	for (uint32_t i = 0; i < got; i++) {
		struct rte_mbuf *m = b.pkts[i];
		segs |= m->nb_segs;
		rt_anno_reset(m);
	}
	b.n = got;
	if (unlikely(segs != 1))
		fdd_linearize(pw, &b);
	if (s->tenant_id) /* a tenant's port: its packets carry its mark */
		for (uint32_t i = 0; i < b.n; i++)
			rt_anno(b.pkts[i])->tenant = s->tenant_id;
	if (s->timestamp) {
		uint64_t ts = rt_wall_ns();
		for (uint32_t i = 0; i < b.n; i++)
			rt_anno(b.pkts[i])->timestamp = ts;
	}
	if (__atomic_load_n(s->bcast_readers, __ATOMIC_ACQUIRE))
		fdd_link_bcast(&b);
	__atomic_store_n(&pw->count, pw->count + b.n, __ATOMIC_RELAXED);
	el_output(n, 0, &b);
	return (int)got;
}

enum { H_COUNT, H_DROPPED, H_HW_COUNT, H_XSTATS, H_LINK, H_RESET, H_ACTIVE, H_DEVICE };

static uint64_t sw_count(struct el *e) { return el_pw_sum(e, offsetof(struct fdd_pw, count)); }

/* imissed + rx_nombuf from the device, plus multi-segment drops here */
static uint64_t all_dropped(struct el *e, struct fdd *s, uint64_t *hw_in)
{
	struct rte_eth_stats st;
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(s->port_id, &st);
	if (hw_in)
		*hw_in = st.ipackets;
	return st.imissed + st.rx_nombuf + el_pw_sum(e, offsetof(struct fdd_pw, multiseg_dropped));
}

static int fdd_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct fdd *s = e->state;
	uint64_t hw = 0, d;
	switch (what) {
	case H_COUNT: rt_buf_printf(out, "%llu", (unsigned long long)(sw_count(e) - s->base_count)); break;
	case H_DROPPED:
		d = all_dropped(e, s, NULL);
		rt_buf_printf(out, "%llu", (unsigned long long)(d - s->base_dropped));
		break;
	case H_HW_COUNT:
		all_dropped(e, s, &hw);
		rt_buf_printf(out, "%llu", (unsigned long long)(hw - s->base_hw));
		break;
	case H_XSTATS: rt_port_xstats(s->port, out); break;
	case H_LINK: rt_port_link(s->port, out); break;
	case H_ACTIVE: rt_buf_puts(out, __atomic_load_n(&s->active, __ATOMIC_RELAXED) ? "true" : "false"); break;
	case H_DEVICE: rt_buf_printf(out, "%s %u", rt_port_name(s->port), (unsigned)s->port_id); break;
	}
	return 0;
}

static int fdd_write(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct fdd *s = e->state;
	switch (what) {
	case H_RESET:
		s->base_count = sw_count(e);
		s->base_dropped = all_dropped(e, s, &s->base_hw);
		return 0;
	case H_ACTIVE: {
		bool b;
		if (el_parse_value(EL_T_BOOL, v, &b, err) < 0)
			return err->code;
		__atomic_store_n(&s->active, b, __ATOMIC_RELEASE);
		return 0;
	}
	}
	return -EINVAL;
}

static const struct el_handler handlers[] = {
	{"count", fdd_read, NULL, H_COUNT, 0, "packets pushed out"},
	{"dropped", fdd_read, NULL, H_DROPPED, 0,
	 "packets lost: the device's imissed + rx_nombuf, plus multi-segment packets dropped here"},
	{"hw_count", fdd_read, NULL, H_HW_COUNT, 0, "packets the device received (ipackets, all queues)"},
	{"xstats", fdd_read, NULL, H_XSTATS, 0, "the device's extended statistics, one 'name value' a line"},
	{"link", fdd_read, NULL, H_LINK, 0, "'up 10000 Mbps full' or 'down'"},
	{"device", fdd_read, NULL, H_DEVICE, 0, "device name and ethdev port id"},
	{"active", fdd_read, fdd_write, H_ACTIVE, 0, "whether the queue is polled"},
	{"reset_counts", NULL, fdd_write, H_RESET, EL_H_BUTTON, "reset count, dropped and hw_count"},
	EL_HANDLERS_END,
};

static struct el_class fromdpdkdevice = {
	.name = "FromDPDKDevice",
	.sig = "FromDPDKDevice(PORT [, QUEUE, KEYWORDS])",
	.summary = "reads packets from a DPDK port",
	.doc = doc,
	.ports = "0/1",
	.state_size = sizeof(struct fdd),
	.pw_size = sizeof(struct fdd_pw),
	.args = args,
	.configure = fdd_configure,
	.init = fdd_init,
	.cleanup = fdd_cleanup,
	.run = fdd_run,
	.handlers = handlers,
};
EL_REGISTER(fromdpdkdevice)
