/*
 * port.h - the router's DPDK ports: one registry per router through which
 * FromDPDKDevice and ToDPDKDevice (and any later device element) share a
 * configured ethdev port.
 *
 * A port is named by a spec: an ethdev port id ("0"), a PCI address
 * ("0000:01:00.0", "01:00.0", optionally followed by ",devargs"), or a
 * virtual device string ("net_null0", "net_pcap0,rx_pcap=in.pcap",
 * "net_ring0", "net_tap0", "net_af_packet0,iface=veth0").  Devices that do
 * not exist yet are probed (rte_dev_probe) when the first element asks for
 * them, so a bad device fails the configuration load with an error naming
 * it, and a device this registry probed is removed again when its last
 * element lets go (nothing half-created is left behind).
 *
 * Lifecycle: elements call rt_port_request from init (queues, descriptors,
 * promiscuous mode) and rt_port_release from cleanup; rt_router_start calls
 * rt_ports_start (configure with the largest queue counts asked for, RSS
 * when more than one rx queue, queues on the router's pool, start) before
 * any worker runs; rt_router_free calls rt_ports_stop once workers are
 * joined and rt_ports_close after the elements are gone.  A request made
 * while the router runs (a later configuration) configures and starts a new
 * port at once, and is refused when a started port would need more queues.
 *
 * Thread-safety: everything here runs on the control thread.  The data path
 * only reads rt_port_id() once at init and calls rte_eth_rx_burst /
 * rte_eth_tx_burst on queues it owns.
 */
#ifndef MB_PORT_H
#define MB_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "rt_base.h"

struct rt_router;
struct el;
struct rt_port;
struct rte_mempool;

#define RT_PORT_NDESC_DEFAULT 1024

/* What one element needs from a port. */
struct rt_port_req {
	int rxq;           /* rx queue the element polls (exclusive); -1: none */
	unsigned ntxq;     /* tx queues 0..ntxq-1 it may use (shared); 0: none */
	unsigned nrxd;     /* rx descriptors per queue (0: RT_PORT_NDESC_DEFAULT) */
	unsigned ntxd;     /* tx descriptors per queue (0: RT_PORT_NDESC_DEFAULT) */
	bool promisc;      /* enable promiscuous mode (any requester turns it on) */
	struct rte_mempool *pool; /* mbufs of rx queue rxq (a tenant's pool); NULL: the router's */
	const char *who;   /* element name, for errors */
};

/* Find or create the port named by spec and record req against it.
 * Returns NULL with err set ("net_nosuch0: cannot probe device: ...") when
 * the device cannot be found or probed, when req's queues exceed what the
 * device offers, when another element already polls the same rx queue, or
 * when spec's device arguments differ from those the port was created
 * with.  Control thread only. */
struct rt_port *rt_port_request(struct rt_router *r, const char *spec, const struct rt_port_req *req,
				struct rt_err *err);
/* Undo one rt_port_request (same req).  The last release stops the port
 * and removes a device that the registry itself probed. */
void rt_port_release(struct rt_port *p, const struct rt_port_req *req);

uint16_t rt_port_id(const struct rt_port *p);
/* The device's name ("net_pcap0", "0000:01:00.0"). */
const char *rt_port_name(const struct rt_port *p);
/* The device's queue limits (from rte_eth_dev_info_get). */
unsigned rt_port_max_rxq(const struct rt_port *p);
unsigned rt_port_max_txq(const struct rt_port *p);

/* Is arg a device argument ("rx_pcap=in.pcap": a lower-case key, '=', no
 * space)?  Device elements append such extra arguments to their PORT
 * spec, so that FromDPDKDevice(net_pcap0, rx_pcap=in.pcap) needs no
 * quotes.  rt_port_spec_append adds ",arg" to a malloc'd spec. */
bool rt_port_is_devarg(const char *arg);
/* The arguments a device element's table did not take: device arguments
 * join the PORT spec ("rx_pcap=in.pcap"), and a number right after PORT is
 * QUEUE (unless given), as in FastClick; anything else is an error.  Then
 * QUEUE, BURST and NDESC are checked against the device limits. */
int rt_port_element_args(struct el *e, char **spec, int64_t *queue, uint64_t burst, uint64_t ndesc, int argc,
			 char **argv, struct rt_err *err);
void rt_port_spec_append(char **spec, const char *arg);

/* Configure and start every requested port that is not started yet.  On
 * error the ports this call started are stopped again and err names the
 * device. */
int rt_ports_start(struct rt_router *r, struct rt_err *err);
/* Stop every started port (workers must be joined). */
void rt_ports_stop(struct rt_router *r);
/* Stop and forget every port still registered, removing the devices the
 * registry probed; frees the registry. */
void rt_ports_close(struct rt_router *r);

/* Handler helpers: "up 10000 Mbps full" / "down"; xstats as "name value"
 * lines. */
void rt_port_link(const struct rt_port *p, struct rt_buf *out);
void rt_port_xstats(const struct rt_port *p, struct rt_buf *out);

#endif
