/*
 * port.c - the router's DPDK port registry (see port.h): resolves port
 * specs to ethdev ports (probing virtual and PCI devices on demand),
 * merges what the device elements ask for, and configures, starts, stops
 * and removes the ports with the router's lifecycle.
 *
 * Why a registry: FromDPDKDevice and ToDPDKDevice on the same device must
 * share one configured port (rte_eth_dev_configure takes the rx and tx
 * queue counts together), and a device created for a configuration must go
 * away with it.  Control thread only.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_log.h>

#include "port.h"
#include "router_int.h"

struct rt_port {
	struct rt_ports *set;
	struct rt_port *next;
	char *name;            /* device name: "net_pcap0", "0000:01:00.0" */
	char *args;            /* device arguments after the name ("" if none) */
	uint16_t id;
	bool created;          /* probed here: removed on the last release */
	bool pci;
	bool started;
	unsigned max_rxq, max_txq;
	unsigned nrxq, ntxq;   /* largest counts requested */
	unsigned cfg_rxq, cfg_txq; /* counts the running port was configured with */
	unsigned nrxd, ntxd;
	bool promisc;
	uint8_t *rx_polled;    /* [max_rxq]: an element polls this rx queue */
	struct rte_mempool **rx_pool; /* [max_rxq]: asked-for pool (NULL: the router's); as set up once started */
	int refs;
};

struct rt_ports {
	struct rt_router *r;
	struct rt_port *head;
};

/* ---- spec parsing ------------------------------------------------------------ */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* "DDDD:BB:DD.F" or "BB:DD.F" (hex); writes the full form into out. */
static bool parse_pci(const char *s, char *out, size_t len)
{
	unsigned d, b, dev, f;
	int n = 0;
	if (sscanf(s, "%4x:%2x:%2x.%1x%n", &d, &b, &dev, &f, &n) == 4 && !s[n]) {
		snprintf(out, len, "%04x:%02x:%02x.%x", d, b, dev, f);
		return true;
	}
	n = 0;
	if (sscanf(s, "%2x:%2x.%1x%n", &b, &dev, &f, &n) == 3 && !s[n]) {
		snprintf(out, len, "0000:%02x:%02x.%x", b, dev, f);
		return true;
	}
	return false;
}

bool rt_port_is_devarg(const char *a)
{
	const char *eq = strchr(a, '=');
	return eq && islower((unsigned char)a[0]) && !strpbrk(a, " \t\n");
}

void rt_port_spec_append(char **spec, const char *arg)
{
	size_t n = strlen(*spec) + strlen(arg) + 2;
	char *s = malloc(n);
	snprintf(s, n, "%s,%s", *spec, arg);
	free(*spec);
	*spec = s;
}

static char *trimdup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

/* ---- probing ---------------------------------------------------------------- */

/* Probe devargs with DPDK's log captured, so that the driver's reason
 * ("Couldn't open /nonexistent") can go into the error message. */
static int probe_captured(const char *devargs, char *why, size_t whylen)
{
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *old = rte_log_get_stream();
	FILE *mem = open_memstream(&logbuf, &loglen);
	if (mem)
		rte_openlog_stream(mem);
	int rc = rte_dev_probe(devargs);
	if (mem) {
		rte_openlog_stream(old);
		fclose(mem);
	}
	why[0] = 0;
	if (rc < 0 && logbuf) {
		/* the first line is the driver's own complaint; EAL's follow */
		char *nl = strchr(logbuf, '\n');
		if (nl)
			*nl = 0;
		snprintf(why, whylen, "%s", logbuf);
	}
	free(logbuf);
	return rc;
}

/* Resolve a spec to an existing or newly probed ethdev port. */
static int resolve(const char *spec, char **namep, char **argsp, uint16_t *id, bool *created, bool *pci,
		   struct rt_err *err)
{
	const char *comma = strchr(spec, ',');
	char *name = trimdup(spec, comma ? (size_t)(comma - spec) : strlen(spec));
	char *args = comma ? trimdup(comma + 1, strlen(comma + 1)) : strdup("");
	char pciname[32];
	*created = false;
	*pci = false;
	int rc = 0;
	if (!*name) {
		rc = rt_errf(err, NULL, -EINVAL, "empty DPDK port name");
		goto fail;
	}
	if (all_digits(name) && !*args) {
		unsigned long v = strtoul(name, NULL, 10);
		if (v >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port((uint16_t)v)) {
			rc = rt_errf(err, NULL, -ENODEV, "DPDK port %s does not exist (%u ports available)", name,
				     (unsigned)rte_eth_dev_count_avail());
			goto fail;
		}
		*id = (uint16_t)v;
		char ename[RTE_ETH_NAME_MAX_LEN];
		if (rte_eth_dev_get_name_by_port(*id, ename) == 0) {
			free(name);
			name = strdup(ename);
		}
		goto done;
	}
	if (parse_pci(name, pciname, sizeof(pciname))) {
		*pci = true;
		free(name);
		name = strdup(pciname);
	}
	if (rte_eth_dev_get_port_by_name(name, id) == 0)
		goto done; /* already there (EAL -a/--vdev, or an earlier probe) */
	char devargs[1024], why[256];
	snprintf(devargs, sizeof(devargs), "%s%s%s", name, *args ? "," : "", args);
	rc = probe_captured(devargs, why, sizeof(why));
	if (rc < 0) {
		if (*pci)
			rc = rt_errf(err, NULL, -ENODEV,
				     "%s: cannot probe PCI device%s%s (bound to a DPDK driver such as vfio-pci? "
				     "the default EAL arguments exclude PCI: pass --eal \"-a %s\")",
				     name, *why ? ": " : "", why, name);
		else if (rc == -EFAULT || rc == -EINVAL || rc == -ENODEV)
			rc = rt_errf(err, NULL, -ENODEV, "%s: no such DPDK device or driver%s%s", name, *why ? ": " : "",
				     why);
		else
			rc = rt_errf(err, NULL, -ENODEV, "%s: cannot create device%s%s", name, *why ? ": " : "",
				     *why ? why : rte_strerror(-rc));
		goto fail;
	}
	if (rte_eth_dev_get_port_by_name(name, id) != 0) {
		/* a device, but not an ethdev port of that name: undo */
		rte_eal_hotplug_remove(*pci ? "pci" : "vdev", name);
		rc = rt_errf(err, NULL, -ENODEV, "%s: device probed but no ethdev port of that name appeared", name);
		goto fail;
	}
	*created = true;
done:
	*namep = name;
	*argsp = args;
	return 0;
fail:
	free(name);
	free(args);
	return rc;
}

/* ---- start / stop ------------------------------------------------------------ */

static int port_start(struct rt_port *p, struct rt_err *err)
{
	struct rte_mempool *pool = rt_router_pool(p->set->r);
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(p->id, &info);
	if (rc < 0)
		return rt_errf(err, NULL, rc, "%s: cannot read device info: %s", p->name, rte_strerror(-rc));
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	uint16_t nrx = (uint16_t)p->nrxq, ntx = (uint16_t)p->ntxq;
	if (nrx > 1 && info.flow_type_rss_offloads) {
		/* spread flows over the rx queues with every hash the device offers */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(p->id, nrx, ntx, &conf);
	if (rc < 0)
		return rt_errf(err, NULL, rc, "%s: cannot configure %u rx and %u tx queues: %s", p->name, nrx, ntx,
			       rte_strerror(-rc));
	uint16_t nrxd = (uint16_t)(p->nrxd ? p->nrxd : RT_PORT_NDESC_DEFAULT);
	uint16_t ntxd = (uint16_t)(p->ntxd ? p->ntxd : RT_PORT_NDESC_DEFAULT);
	rte_eth_dev_adjust_nb_rx_tx_desc(p->id, &nrxd, &ntxd);
	int socket = rte_eth_dev_socket_id(p->id);
	if (socket < 0)
		socket = SOCKET_ID_ANY;
	for (uint16_t q = 0; q < nrx; q++)
		if ((rc = rte_eth_rx_queue_setup(p->id, q, nrxd, (unsigned)socket, NULL,
						 p->rx_pool[q] ? p->rx_pool[q] : pool)) < 0)
			return rt_errf(err, NULL, rc, "%s: cannot set up rx queue %u (%u descriptors): %s", p->name, q,
				       nrxd, rte_strerror(-rc));
	for (uint16_t q = 0; q < ntx; q++)
		if ((rc = rte_eth_tx_queue_setup(p->id, q, ntxd, (unsigned)socket, NULL)) < 0)
			return rt_errf(err, NULL, rc, "%s: cannot set up tx queue %u (%u descriptors): %s", p->name, q,
				       ntxd, rte_strerror(-rc));
	if (p->promisc) {
		rc = rte_eth_promiscuous_enable(p->id);
		if (rc < 0 && rc != -ENOTSUP)
			return rt_errf(err, NULL, rc, "%s: cannot enable promiscuous mode: %s", p->name, rte_strerror(-rc));
	}
	if ((rc = rte_eth_dev_start(p->id)) < 0)
		return rt_errf(err, NULL, rc, "%s: cannot start: %s", p->name, rte_strerror(-rc));
	p->started = true;
	p->cfg_rxq = nrx;
	p->cfg_txq = ntx;
	return 0;
}

static void port_stop(struct rt_port *p)
{
	if (p->started)
		rte_eth_dev_stop(p->id);
	p->started = false;
}

/* Stop, remove the device when it was probed here, and free. */
static void port_free(struct rt_port *p)
{
	port_stop(p);
	if (p->created) {
		struct rte_eth_dev_info info;
		if (rte_eth_dev_info_get(p->id, &info) == 0 && info.device)
			rte_dev_remove(info.device);
	}
	free(p->rx_polled);
	free(p->rx_pool);
	free(p->name);
	free(p->args);
	free(p);
}

/* ---- requests ---------------------------------------------------------------- */

static struct rt_port *port_new(struct rt_ports *set, char *name, char *args, uint16_t id, bool created, bool pci,
				struct rt_err *err)
{
	struct rte_eth_dev_info info;
	int rc = rte_eth_dev_info_get(id, &info);
	if (rc < 0) {
		rt_errf(err, NULL, rc, "%s: cannot read device info: %s", name, rte_strerror(-rc));
		return NULL;
	}
	struct rt_port *p = calloc(1, sizeof(*p));
	p->set = set;
	p->name = name;
	p->args = args;
	p->id = id;
	p->created = created;
	p->pci = pci;
	p->max_rxq = info.max_rx_queues;
	p->max_txq = info.max_tx_queues;
	p->rx_polled = calloc(p->max_rxq ? p->max_rxq : 1, 1);
	p->rx_pool = calloc(p->max_rxq ? p->max_rxq : 1, sizeof(*p->rx_pool));
	p->next = set->head;
	set->head = p;
	return p;
}

static void port_unlink(struct rt_port *p)
{
	for (struct rt_port **pp = &p->set->head; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

/* Can req be added to p?  Checks queue limits and exclusive rx queues. */
static int check_req(const struct rt_port *p, const struct rt_port_req *req, struct rt_err *err)
{
	const char *who = req->who ? req->who : "element";
	if (req->rxq >= 0) {
		if ((unsigned)req->rxq >= p->max_rxq)
			return rt_errf(err, NULL, -EINVAL, "%s: %s has no rx queue %d (it has %u)", who, p->name, req->rxq,
				       p->max_rxq);
		if (p->rx_polled[req->rxq])
			return rt_errf(err, NULL, -EBUSY, "%s: rx queue %d of %s is already polled by another element",
				       who, req->rxq, p->name);
		if (p->started && (unsigned)req->rxq >= p->cfg_rxq)
			return rt_errf(err, NULL, -EBUSY, "%s: %s is running with %u rx queues; queue %d needs a restart",
				       who, p->name, p->cfg_rxq, req->rxq);
		if (p->started && p->rx_pool[req->rxq] != req->pool) /* its descriptors hold the other pool's mbufs */
			return rt_errf(err, NULL, -EBUSY, "%s: rx queue %d of %s is running on %s pool; another needs a restart",
				       who, req->rxq, p->name, p->rx_pool[req->rxq] ? "a tenant's" : "the router's");
	}
	if (req->ntxq > p->max_txq)
		return rt_errf(err, NULL, -EINVAL, "%s: needs %u tx queues on %s, which has %u", who, req->ntxq, p->name,
			       p->max_txq);
	if (p->started && req->ntxq > p->cfg_txq)
		return rt_errf(err, NULL, -EBUSY, "%s: %s is running with %u tx queues; %u need a restart", who, p->name,
			       p->cfg_txq, req->ntxq);
	return 0;
}

struct rt_port *rt_port_request(struct rt_router *r, const char *spec, const struct rt_port_req *req,
				struct rt_err *err)
{
	if (!r->ports) {
		r->ports = calloc(1, sizeof(*r->ports));
		r->ports->r = r;
	}
	struct rt_ports *set = r->ports;
	char *name, *args;
	uint16_t id;
	bool created, pci;
	if (resolve(spec, &name, &args, &id, &created, &pci, err) < 0) {
		if (req->who)
			rt_err_prefix(err, req->who);
		return NULL;
	}
	struct rt_port *p = NULL;
	for (struct rt_port *q = set->head; q; q = q->next)
		if (q->id == id)
			p = q;
	bool fresh = false;
	if (p) {
		if (*args && strcmp(args, p->args)) {
			rt_errf(err, NULL, -EINVAL, "%s: already opened with arguments '%s'; name it without arguments "
				"to share it", p->name, p->args);
			free(name);
			free(args);
			return NULL;
		}
		free(name);
		free(args);
	} else {
		if (!created && *args) {
			rt_errf(err, NULL, -EEXIST, "%s: device exists already; its arguments cannot be changed (name it "
				"without arguments)", name);
			free(name);
			free(args);
			return NULL;
		}
		p = port_new(set, name, args, id, created, pci, err);
		if (!p) {
			if (created)
				rte_eal_hotplug_remove(pci ? "pci" : "vdev", name);
			free(name);
			free(args);
			return NULL;
		}
		fresh = true;
	}
	if (check_req(p, req, err) < 0)
		goto undo;
	p->refs++;
	if (req->rxq >= 0) {
		p->rx_polled[req->rxq] = 1;
		if (!p->started)
			p->rx_pool[req->rxq] = req->pool;
		p->nrxq = RT_MAX(p->nrxq, (unsigned)req->rxq + 1);
	}
	p->ntxq = RT_MAX(p->ntxq, req->ntxq);
	p->nrxd = RT_MAX(p->nrxd, req->nrxd);
	p->ntxd = RT_MAX(p->ntxd, req->ntxd);
	if (req->promisc && !p->promisc) {
		p->promisc = true;
		if (p->started)
			rte_eth_promiscuous_enable(p->id);
	}
	/* a port asked for while the router runs starts at once */
	if (r->started && !p->started && port_start(p, err) < 0) {
		rt_port_release(p, req);
		return NULL;
	}
	return p;
undo:
	if (fresh) {
		port_unlink(p);
		port_free(p);
	}
	return NULL;
}

void rt_port_release(struct rt_port *p, const struct rt_port_req *req)
{
	if (!p)
		return;
	if (req->rxq >= 0 && (unsigned)req->rxq < p->max_rxq) {
		p->rx_polled[req->rxq] = 0;
		if (!p->started)
			p->rx_pool[req->rxq] = NULL;
	}
	if (--p->refs > 0)
		return;
	port_unlink(p);
	port_free(p);
}

uint16_t rt_port_id(const struct rt_port *p) { return p->id; }
const char *rt_port_name(const struct rt_port *p) { return p->name; }
unsigned rt_port_max_rxq(const struct rt_port *p) { return p->max_rxq; }
unsigned rt_port_max_txq(const struct rt_port *p) { return p->max_txq; }

/* ---- the router's hooks ------------------------------------------------------- */

int rt_ports_start(struct rt_router *r, struct rt_err *err)
{
	if (!r->ports)
		return 0;
	for (struct rt_port *p = r->ports->head; p; p = p->next) {
		if (p->started)
			continue;
		int rc = port_start(p, err);
		if (rc < 0) {
			/* leave nothing half-started: stop the ports before it (at
			 * router start none was running before this call) */
			for (struct rt_port *q = r->ports->head; q != p; q = q->next)
				port_stop(q);
			return rc;
		}
	}
	return 0;
}

void rt_ports_stop(struct rt_router *r)
{
	if (!r->ports)
		return;
	for (struct rt_port *p = r->ports->head; p; p = p->next)
		port_stop(p);
}

void rt_ports_close(struct rt_router *r)
{
	if (!r->ports)
		return;
	while (r->ports->head) {
		struct rt_port *p = r->ports->head;
		r->ports->head = p->next;
		port_free(p);
	}
	free(r->ports);
	r->ports = NULL;
}

/* ---- handler helpers ---------------------------------------------------------- */

void rt_port_link(const struct rt_port *p, struct rt_buf *out)
{
	struct rte_eth_link link;
	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(p->id, &link) < 0 || !link.link_status) {
		rt_buf_puts(out, "down");
		return;
	}
	rt_buf_puts(out, "up");
	if (link.link_speed != RTE_ETH_SPEED_NUM_NONE && link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN)
		rt_buf_printf(out, " %u Mbps", link.link_speed);
	rt_buf_puts(out, link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX ? " full" : " half");
}

void rt_port_xstats(const struct rt_port *p, struct rt_buf *out)
{
	int n = rte_eth_xstats_get(p->id, NULL, 0);
	if (n <= 0)
		return;
	struct rte_eth_xstat_name *names = calloc((size_t)n, sizeof(*names));
	struct rte_eth_xstat *vals = calloc((size_t)n, sizeof(*vals));
	int nn = rte_eth_xstats_get_names(p->id, names, (unsigned)n);
	int nv = rte_eth_xstats_get(p->id, vals, (unsigned)n);
	for (int i = 0; nn == n && i < nv && i < n; i++)
		if (vals[i].id < (uint64_t)n)
			rt_buf_printf(out, "%s %llu\n", names[vals[i].id].name, (unsigned long long)vals[i].value);
	free(names);
	free(vals);
}

int rt_port_element_args(struct el *e, char **spec, int64_t *queue, uint64_t burst, uint64_t ndesc, int argc,
			 char **argv, struct rt_err *err)
{
	for (int i = 0; i < argc; i++) {
		if (rt_port_is_devarg(argv[i]))
			rt_port_spec_append(spec, argv[i]);
		else if (i == 0 && !el_arg_given(e, "QUEUE") && *argv[i]) {
			if (el_parse_value(EL_T_INT, argv[i], queue, err) < 0)
				return rt_errf(err, &e->loc, -EINVAL, "%s: QUEUE: expected an integer, got '%s'", e->name,
					       argv[i]);
		} else if (*argv[i])
			return rt_errf(err, &e->loc, -EINVAL, "%s: unexpected argument '%s'", e->name, argv[i]);
	}
	if (*queue < 0 || *queue >= RTE_MAX_QUEUES_PER_PORT)
		return rt_errf(err, &e->loc, -EINVAL, "%s: QUEUE must be 0 to %d", e->name, RTE_MAX_QUEUES_PER_PORT - 1);
	if (burst < 1 || burst > RT_BATCH_MAX)
		return rt_errf(err, &e->loc, -EINVAL, "%s: BURST must be 1 to %d", e->name, RT_BATCH_MAX);
	if (ndesc < 1 || ndesc > 65535)
		return rt_errf(err, &e->loc, -EINVAL, "%s: NDESC must be 1 to 65535", e->name);
	return 0;
}
