/*
 * ARPResponder - answers ARP queries for configured IP prefixes (own
 * addresses and proxy ARP), turning each query into its reply in place.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "../../runtime/el.h"

static const char doc[] =
	"Input should be ARP request packets, including the Ethernet header. Forwards an ARP reply "
	"if we know the answer -- that is, if one of the IP/MASK arguments matches the requested "
	"IP address, then it outputs an ARP reply giving the corresponding ETH address. Could be "
	"used for proxy ARP as well as producing replies for a host's own address. Each argument "
	"is `IP/MASK [IP/MASK...] ETH`; a bare IP means /32; the most specific match wins.\n\n"
	"Packets that are not ARP requests for a known address go to output 1 if it exists, and "
	"are dropped otherwise. The reply is built in the query's buffer (42 bytes, annotations "
	"reset), so answering costs no allocation.\n\n"
	"The table is replaced as a whole by `add` and `remove`; replaced tables are kept until "
	"the element is freed, so a worker never reads freed memory (a bounded leak per write).";

struct arpr_entry {
	uint32_t addr, mask; /* network order, addr & mask == addr */
	uint8_t eth[6];
};

struct arpr_table {
	int n;
	struct arpr_entry e[];
};

struct arpr {
	struct arpr_table *t;     /* published table; workers load it once a batch */
	struct arpr_table **old;  /* replaced tables, freed by cleanup */
	int nold;
};

static inline const uint8_t *arpr_lookup(const struct arpr_table *t, uint32_t ip)
{
	for (int i = 0; i < t->n; i++)
		if ((ip & t->e[i].mask) == t->e[i].addr)
			return t->e[i].eth;
	return NULL;
}

/* Turn the ARP request m into the reply saying `ip is at eth`. */
static void arpr_reply(struct rte_mbuf *m, const uint8_t *eth)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rt_data(m);
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)(eh + 1);
	struct rte_arp_ipv4 *d = &a->arp_data;
	struct rte_ether_addr asker = d->arp_sha;
	uint32_t asker_ip = d->arp_sip, ip = d->arp_tip;
	memcpy(&eh->dst_addr, &asker, 6);
	memcpy(&eh->src_addr, eth, 6);
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	memcpy(&d->arp_sha, eth, 6);
	d->arp_sip = ip;
	d->arp_tha = asker;
	d->arp_tip = asker_ip;
	uint32_t want = sizeof(*eh) + sizeof(*a);
	if (rt_len(m) > want)
		rte_pktmbuf_trim(m, (uint16_t)(rt_len(m) - want));
	uint64_t ts = rt_anno(m)->timestamp;
	rt_anno_reset(m);
	rt_anno(m)->timestamp = ts;
}

static void arpr_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	struct arpr *s = n->state;
	const struct arpr_table *t = __atomic_load_n(&s->t, __ATOMIC_ACQUIRE);
	struct el_split sp;
	el_split_init(&sp);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (i + 1 < b->n)
			rte_prefetch0(rt_data(b->pkts[i + 1]));
		const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)rt_data(m);
		const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(eh + 1);
		const uint8_t *eth = NULL;
		if (rt_len(m) >= sizeof(*eh) + sizeof(*a) && eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP) &&
		    a->arp_hardware == rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) &&
		    a->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) &&
		    a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
			eth = arpr_lookup(t, a->arp_data.arp_tip);
		if (eth) {
			arpr_reply(m, eth);
			rt_batch_add(&sp.out[0], m);
		} else {
			rt_batch_add(&sp.out[1], m);
		}
	}
	el_split_flush(n, &sp);
}

/* ---- configuration ------------------------------------------------------- */

struct arpr_vec {
	struct arpr_entry *e;
	int n, cap;
};

static void vec_add(struct arpr_vec *v, const struct arpr_entry *x)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->e = realloc(v->e, sizeof(*v->e) * (size_t)v->cap);
	}
	v->e[v->n++] = *x;
}

/* Parse one "IP/MASK [IP/MASK...] ETH" argument into v (nothing added on
 * error; the message has no prefix). */
static int parse_entry(const char *arg, struct arpr_vec *v, struct rt_err *err)
{
	char *copy = strdup(arg), *save = NULL;
	int first = v->n, nip = 0;
	bool have_eth = false;
	uint8_t eth[6];
	const char *msg = NULL;
	for (char *w = strtok_r(copy, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		struct rt_err e2;
		struct el_ip4pfx p;
		uint8_t a[6];
		rt_err_clear(&e2);
		if (el_parse_value(EL_T_IP4PFX, w, &p, &e2) == 0) {
			struct arpr_entry x = {.addr = p.addr, .mask = p.mask};
			vec_add(v, &x);
			nip++;
		} else if (rt_err_clear(&e2), el_parse_value(EL_T_ETHER, w, a, &e2) == 0) {
			if (have_eth) {
				msg = "more than one ETH";
				break;
			}
			memcpy(eth, a, 6);
			have_eth = true;
		} else {
			msg = "expected IP/MASK ETH";
			break;
		}
	}
	free(copy);
	if (!msg && !nip)
		msg = "missing IP/MASK";
	if (!msg && !have_eth)
		msg = "missing ETH";
	if (msg) {
		v->n = first;
		return rt_errf(err, NULL, -EINVAL, "%s", msg);
	}
	for (int i = first; i < v->n; i++)
		memcpy(v->e[i].eth, eth, 6);
	return 0;
}

static struct arpr_vec *sort_ctx;

/* Most specific first; for the same prefix the later entry first (it wins,
 * the others are dropped); otherwise in the order given. */
static int entry_cmp(const void *pa, const void *pb)
{
	int a = *(const int *)pa, b = *(const int *)pb;
	const struct arpr_entry *x = &sort_ctx->e[a], *y = &sort_ctx->e[b];
	int lx = __builtin_popcount(x->mask), ly = __builtin_popcount(y->mask);
	if (lx != ly)
		return ly - lx;
	return x->addr == y->addr ? b - a : a - b;
}

/* Sort v, drop duplicate prefixes (keeping the later) and build a table. */
static struct arpr_table *normalize(struct arpr_vec *v)
{
	int *perm = malloc(sizeof(int) * (size_t)(v->n ? v->n : 1));
	for (int i = 0; i < v->n; i++)
		perm[i] = i;
	sort_ctx = v;
	qsort(perm, (size_t)v->n, sizeof(int), entry_cmp);
	sort_ctx = NULL;
	struct arpr_table *t = rte_zmalloc("arpr_table", sizeof(*t) + sizeof(t->e[0]) * (size_t)(v->n + 1), 0);
	if (!t) {
		free(perm);
		return NULL;
	}
	for (int i = 0; i < v->n; i++) {
		const struct arpr_entry *x = &v->e[perm[i]];
		if (t->n && t->e[t->n - 1].addr == x->addr && t->e[t->n - 1].mask == x->mask)
			continue;
		t->e[t->n++] = *x;
	}
	free(perm);
	return t;
}

/* Publish t; the previous table is kept until cleanup. */
static void publish(struct arpr *s, struct arpr_table *t)
{
	if (s->t) {
		s->old = realloc(s->old, sizeof(*s->old) * (size_t)(s->nold + 1));
		s->old[s->nold++] = s->t;
	}
	__atomic_store_n(&s->t, t, __ATOMIC_RELEASE);
}

static int arpr_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct arpr_vec v = {0};
	for (int i = 0; i < argc; i++) {
		if (!*argv[i])
			continue;
		struct rt_err e2;
		rt_err_clear(&e2);
		if (parse_entry(argv[i], &v, &e2) < 0) {
			free(v.e);
			return rt_errf(err, &e->loc, -EINVAL, "%s: argument %d: %s", e->name, i + 1, e2.msg);
		}
	}
	struct arpr_table *t = normalize(&v);
	free(v.e);
	if (!t)
		return rt_errf(err, &e->loc, -ENOMEM, "%s: out of memory", e->name);
	publish(e->state, t);
	return 0;
}

static void arpr_cleanup(struct el *e)
{
	struct arpr *s = e->state;
	for (int i = 0; i < s->nold; i++)
		rte_free(s->old[i]);
	free(s->old);
	rte_free(s->t);
}

/* ---- handlers ------------------------------------------------------------- */

static void unparse_eth(struct rt_buf *out, const uint8_t *a)
{
	rt_buf_printf(out, "%02X-%02X-%02X-%02X-%02X-%02X", a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int arpr_table_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	(void)what;
	const struct arpr_table *t = EL_STATE(e, struct arpr)->t;
	char ip[INET_ADDRSTRLEN];
	for (int i = 0; i < t->n; i++) {
		rt_buf_printf(out, "%s/%d ", inet_ntop(AF_INET, &t->e[i].addr, ip, sizeof(ip)),
			      __builtin_popcount(t->e[i].mask));
		unparse_eth(out, t->e[i].eth);
		rt_buf_puts(out, "\n");
	}
	return 0;
}

static int arpr_lookup_read(struct el *e, intptr_t what, const char *param, struct rt_buf *out, struct rt_err *err)
{
	(void)what;
	uint32_t ip;
	if (el_parse_value(EL_T_IP4, param, &ip, err) < 0)
		return rt_errf(err, NULL, -EINVAL, "expected IP address");
	const uint8_t *eth = arpr_lookup(EL_STATE(e, struct arpr)->t, ip);
	if (eth)
		unparse_eth(out, eth);
	return 0;
}

static int arpr_add(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	struct arpr *s = e->state;
	struct arpr_vec vec = {0};
	for (int i = 0; i < s->t->n; i++) /* the new entries come later, so they win */
		vec_add(&vec, &s->t->e[i]);
	if (parse_entry(v, &vec, err) < 0) {
		free(vec.e);
		return err->code;
	}
	struct arpr_table *t = normalize(&vec);
	free(vec.e);
	if (!t)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	publish(s, t);
	return 0;
}

static int arpr_remove(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	(void)what;
	struct arpr *s = e->state;
	struct el_ip4pfx p;
	if (el_parse_value(EL_T_IP4PFX, v, &p, err) < 0)
		return rt_errf(err, NULL, -EINVAL, "expected IP/MASK");
	const struct arpr_table *cur = s->t;
	int at = -1;
	for (int i = 0; i < cur->n && at < 0; i++)
		if (cur->e[i].addr == p.addr && cur->e[i].mask == p.mask)
			at = i;
	if (at < 0) {
		char ip[INET_ADDRSTRLEN];
		return rt_errf(err, NULL, -ENOENT, "%s/%d not found", inet_ntop(AF_INET, &p.addr, ip, sizeof(ip)),
			       __builtin_popcount(p.mask));
	}
	struct arpr_table *t = rte_zmalloc("arpr_table", sizeof(*t) + sizeof(t->e[0]) * (size_t)cur->n, 0);
	if (!t)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	for (int i = 0; i < cur->n; i++)
		if (i != at)
			t->e[t->n++] = cur->e[i];
	publish(s, t);
	return 0;
}

static const struct el_handler handlers[] = {
	{"table", arpr_table_read, NULL, 0, 0, "the table: one `IP/LEN ETH` line per entry, most specific first", NULL},
	{"lookup", NULL, NULL, 0, 0, "with an IP address parameter: the Ethernet address answered for it (empty if none)",
	 arpr_lookup_read},
	{"add", NULL, arpr_add, 0, 0, "add `IP/MASK [IP/MASK...] ETH` entries", NULL},
	{"remove", NULL, arpr_remove, 0, 0, "remove the entry for IP/MASK", NULL},
	EL_HANDLERS_END,
};

static struct el_class arpresponder = {
	.name = "ARPResponder",
	.sig = "ARPResponder(IP/MASK1 [IP/MASK...] ETH1, IP/MASK2 ETH2, ...)",
	.summary = "generates responses to ARP queries",
	.doc = doc,
	.ports = "1/1-2",
	.state_size = sizeof(struct arpr),
	.configure = arpr_configure,
	.cleanup = arpr_cleanup,
	.push = arpr_push,
	.handlers = handlers,
};
EL_REGISTER(arpresponder)
