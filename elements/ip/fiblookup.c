/*
 * FIBLookup - longest-prefix-match routing over many FIBs at once (one per
 * virtual router or tenant), on any placement: the multi-FIB trie of
 * migrate/mig_fib.h, run by the offload engine (migrate/mig_offload.h) on
 * the cpu, an OpenCL device or a CUDA GPU, with byte-identical results.
 *
 * The canonical route set (struct mig_fib) is the element's state: a new
 * instance of the same name (a migration, a reconfiguration) copies it from
 * the running one when it is built, off the data path, so routes added at
 * run time move with the element.  Route changes apply to the trie in place
 * (readers never see a half-written entry) and, on a device, the changed
 * ranges are copied to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_rcu_qsbr.h>

#include "mig_fib.h"
#include "mig_offload.h"
#include "ctl.h"
#include "router.h"
#include "kernels/fiblookup.h"

#define FIBL_MAX_NH 65536

enum { FA_TENANT, FA_PAINT, FA_AGGREGATE };

struct fibl_nh {
	int32_t port;
	uint32_t gw;     /* network order, 0 = none */
};

struct fibl_pw {
	uint64_t count, noroute;
};

struct fibl {
	struct mig_off_args a;
	uint64_t nfib;
	char *fib_anno;
	char *file;
	uint64_t headroom;
	int anno;
	struct el *e;
	struct mig_fib *f;           /* canonical form (control thread) */
	struct mig_fib_trie *t;      /* read by the cpu placement */
	struct mig_dev *dev;         /* held while dtab, dnh live */
	struct mig_mem *dtab, *dnh;  /* the trie on the device */
	struct fibl_nh *nhs;         /* next-hop id -> port, gateway (read by workers) */
	uint32_t nnh;
	struct mig_off *off;
	uint64_t base_count, base_noroute;
};

/* ---- routes ------------------------------------------------------------------------------ */

static uint32_t nh_id(struct fibl *s, int32_t port, uint32_t gw, struct rt_err *err)
{
	for (uint32_t i = 0; i < s->nnh; i++)
		if (s->nhs[i].port == port && s->nhs[i].gw == gw)
			return i;
	if (s->nnh == FIBL_MAX_NH)
		return (uint32_t)rt_errf(err, NULL, -ENOSPC, "more than %d distinct next hops", FIBL_MAX_NH);
	s->nhs[s->nnh] = (struct fibl_nh){ port, gw };
	return s->nnh++;
}

/* "[fib N] ADDR/LEN [GW] OUT" (OUT omitted for a removal). */
static int parse_route(struct fibl *s, const char *spec, bool with_out, struct mig_fib_route *r, int32_t *port,
		       uint32_t *gw, struct rt_err *err)
{
	char buf[256], *tok[6];
	int nt = 0;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *p = strtok(buf, " \t\r\n"); p && nt < 6; p = strtok(NULL, " \t\r\n"))
		tok[nt++] = p;
	int i = 0;
	memset(r, 0, sizeof(*r));
	if (nt >= 2 && !strcasecmp(tok[0], "fib")) {
		char *end;
		unsigned long f = strtoul(tok[1], &end, 10);
		if (*end || f >= s->nfib)
			return rt_errf(err, NULL, -EINVAL, "route '%s': FIB '%s' is not 0..%llu", spec, tok[1],
				       (unsigned long long)s->nfib - 1);
		r->fib = (uint32_t)f;
		i = 2;
	}
	int need = with_out ? 2 : 1;
	if (nt - i < need || nt - i > need + 1)
		return rt_errf(err, NULL, -EINVAL, "route '%s': expected [fib N] ADDR/LEN [GW]%s", spec,
			       with_out ? " OUT" : "");
	if (strchr(tok[i], ':')) {
		struct el_ip6pfx p6;
		if (el_parse_value(EL_T_IP6PFX, tok[i], &p6, err) < 0)
			return err->code;
		r->af = 6;
		r->len = (uint8_t)p6.len;
		memcpy(r->addr, p6.addr, 16);
	} else {
		struct el_ip4pfx p4;
		if (el_parse_value(EL_T_IP4PFX, tok[i], &p4, err) < 0)
			return err->code;
		r->af = 4;
		r->len = (uint8_t)__builtin_popcount(p4.mask);
		uint32_t a = p4.addr & p4.mask;
		memcpy(r->addr, &a, 4);
	}
	i++;
	*gw = 0;
	if (nt - i == 2 || (!with_out && nt - i == 1)) {
		if (strcmp(tok[i], "-") && el_parse_value(EL_T_IP4, tok[i], gw, err) < 0)
			return err->code;
		i++;
	}
	*port = -1;
	if (with_out) {
		char *end;
		long p = strtol(tok[i], &end, 10);
		if (*end || p < 0 || p > 65535)
			return rt_errf(err, NULL, -EINVAL, "route '%s': bad output port '%s'", spec, tok[i]);
		*port = (int32_t)p;
	}
	return 0;
}

static int add_route(struct fibl *s, const char *spec, struct mig_fib_route *r, struct rt_err *err)
{
	int32_t port;
	uint32_t gw;
	int rc = parse_route(s, spec, true, r, &port, &gw, err);
	if (rc < 0)
		return rc;
	if (s->e->nout > 0 && port >= s->e->nout)
		return rt_errf(err, NULL, -EINVAL, "route '%s': output %d does not exist (%d outputs)", spec, port,
			       s->e->nout);
	int64_t id = (int32_t)nh_id(s, port, gw, err);
	if (id < 0)
		return (int)id;
	r->nh = (uint32_t)id;
	return mig_fib_add(s->f, r, err);
}

/* ---- the kernel, as the offload engine sees it -------------------------------------------- */

static uint32_t fibl_extract(void *ctx, struct el_node *n, struct rte_mbuf *m, const struct mig_off_pos *pos)
{
	const struct fibl *s = ctx;
	uint32_t *w = (uint32_t *)pos->recs + MIG_FIBLOOKUP_WORDS * pos->idx;
	const struct rt_anno *a = rt_anno(m);
	uint32_t fib = s->anno == FA_TENANT ? a->tenant : s->anno == FA_PAINT ? a->paint : a->aggregate;
	if (rt_has_nh(m) && (rt_nh(m)[0] >> 4) == 6 && rt_len(m) >= (uint32_t)rt_nh_offset(m) + 40) {
		const uint8_t *d = rt_nh(m) + 24;
		w[0] = fib | MIG_FIBLOOKUP_V6;
		for (int i = 0; i < 4; i++)
			w[1 + i] = (uint32_t)d[4 * i] << 24 | (uint32_t)d[4 * i + 1] << 16 | (uint32_t)d[4 * i + 2] << 8 |
				   d[4 * i + 3];
	} else {
		w[0] = fib & ~MIG_FIBLOOKUP_V6;
		w[1] = rte_be_to_cpu_32(a->dst_ip);
	}
	return 0;
}

static void fibl_cpu(void *ctx, const void *in, const uint8_t *blob, void *out, uint32_t n)
{
	const struct fibl *s = ctx;
	const struct mig_fib_trie *t = s->t;
	const uint32_t *r = in;
	uint32_t *o = out;
	for (uint32_t i = 0; i < n; i++)
		o[i] = mig_fiblookup_one(t->tab, t->nh, t->nfib, r + MIG_FIBLOOKUP_WORDS * i);
}

static int fibl_apply(void *ctx, struct rte_mbuf *m, const void *out)
{
	const struct fibl *s = ctx;
	uint32_t id = *(const uint32_t *)out;
	struct fibl_pw *pw = el_pw(s->e);
	pw->count++;
	if (id >= s->nnh) {
		pw->noroute++;
		return -1;
	}
	const struct fibl_nh *h = &s->nhs[id];
	if (h->gw)
		rt_anno(m)->dst_ip = h->gw;
	return h->port;
}

/* Load the trie on the device (whole arrays, at their allocated size, so
 * in-place updates only copy the ranges they changed). */
static int fibl_args(void *ctx, struct mig_dev *d, struct mig_arg *args, int max, struct rt_err *err)
{
	struct fibl *s = ctx;
	const struct mig_fib_trie *t = s->t;
	size_t tabb = (size_t)t->tab_cap * 4, nhb = (size_t)t->vec_cap * t->nfib * 4;
	int rc;
	if ((rc = mig_dev_open(mig_dev_kind(d), &s->dev, err)) < 0)
		return rc;
	if ((rc = mig_mem_alloc(d, tabb, &s->dtab, err)) < 0 || (rc = mig_mem_alloc(d, nhb, &s->dnh, err)) < 0 ||
	    (rc = mig_mem_write(s->dtab, 0, t->tab, (size_t)t->ntab * 4, err)) < 0 ||
	    (rc = mig_mem_write(s->dnh, 0, t->nh, (size_t)t->nvec * t->nfib * 4, err)) < 0)
		return rc;
	args[0] = MIG_MEM(s->dtab);
	args[1] = MIG_MEM(s->dnh);
	args[2] = MIG_U32(t->nfib);
	return 3;
}

static const struct mig_off_kernel fibl_kernel = {
	.prog = "fiblookup",
	.fn = "fiblookup",
	.in_size = 4 * MIG_FIBLOOKUP_WORDS,
	.out_size = 4,
	.extract = fibl_extract,
	.cpu = fibl_cpu,
	.args = fibl_args,
	.apply = fibl_apply,
};

/* ---- life cycle --------------------------------------------------------------------------- */

static int fibl_configure(struct el *e, int argc, char **argv, struct rt_err *err)
{
	struct fibl *s = e->state;
	s->e = e;
	if (s->nfib < 1 || s->nfib > MIG_FIB_MAXFIBS)
		return rt_errf(err, NULL, -EINVAL, "FIBS must be 1 to %u", MIG_FIB_MAXFIBS);
	const char *an = s->fib_anno ? s->fib_anno : "tenant";
	if (!strcasecmp(an, "tenant"))
		s->anno = FA_TENANT;
	else if (!strcasecmp(an, "paint"))
		s->anno = FA_PAINT;
	else if (!strcasecmp(an, "aggregate"))
		s->anno = FA_AGGREGATE;
	else
		return rt_errf(err, NULL, -EINVAL, "FIB_ANNO must be tenant, paint or aggregate, not '%s'", an);
	struct mig_off_cfg cfg;
	int rc = mig_off_args_cfg(&s->a, &cfg, err);
	if (rc < 0)
		return rc;
	s->nhs = calloc(FIBL_MAX_NH, sizeof(*s->nhs));
	if (!s->nhs)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	if ((rc = mig_fib_new((uint32_t)s->nfib, &s->f, err)) < 0)
		return rc;
	/* The running element of this name, if any, is the one this
	 * instance replaces: its routes (configured or added since) are the
	 * state to keep, taken through the canonical form. */
	struct el *old = e->router ? rt_router_find(e->router, e->name) : NULL;
	if (old && old != e && old->cls == e->cls && EL_STATE(old, struct fibl)->f &&
	    mig_fib_nfib(EL_STATE(old, struct fibl)->f) == s->nfib) {
		struct fibl *os = old->state;
		void *buf;
		size_t len;
		struct mig_fib *copy;
		if ((rc = mig_fib_serialise(os->f, &buf, &len, err)) < 0)
			return rc;
		rc = mig_fib_deserialise(buf, len, &copy, err);
		free(buf);
		if (rc < 0)
			return rc;
		mig_fib_free(s->f);
		s->f = copy;
		memcpy(s->nhs, os->nhs, sizeof(*s->nhs) * os->nnh);
		s->nnh = os->nnh;
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		struct mig_fib_route r;
		if ((rc = add_route(s, argv[i], &r, err)) < 0)
			return rc;
	}
	if (s->file) {
		FILE *fp = fopen(s->file, "r");
		if (!fp)
			return rt_errf(err, NULL, -errno, "FILE '%s': %s", s->file, strerror(errno));
		char line[256];
		int ln = 0;
		while (fgets(line, sizeof(line), fp)) {
			ln++;
			char *p = line + strspn(line, " \t");
			if (*p == '#' || *p == '\n' || !*p)
				continue;
			struct mig_fib_route r;
			if ((rc = add_route(s, p, &r, err)) < 0) {
				rt_err_prefix(err, "");
				char where[300];
				snprintf(where, sizeof(where), "%s:%d", s->file, ln);
				rt_err_prefix(err, where);
				fclose(fp);
				return rc;
			}
		}
		fclose(fp);
	}
	return 0;
}

static int fibl_init(struct el *e, struct rt_err *err)
{
	struct fibl *s = e->state;
	for (uint32_t i = 0; i < s->nnh; i++)
		if (s->nhs[i].port >= e->nout)
			return rt_errf(err, NULL, -EINVAL, "a route uses output %d, but there are %d outputs",
				       s->nhs[i].port, e->nout);
	int rc = mig_fib_trie_build(s->f, (unsigned)s->headroom, &s->t, err);
	if (rc < 0)
		return rc;
	struct mig_off_cfg cfg;
	mig_off_args_cfg(&s->a, &cfg, err);
	return mig_off_new(e, &fibl_kernel, s, &cfg, &s->off, err);
}

static void fibl_cleanup(struct el *e)
{
	struct fibl *s = e->state;
	mig_off_free(s->off); /* waits for the device's jobs */
	mig_mem_free(s->dtab);
	mig_mem_free(s->dnh);
	mig_dev_close(s->dev);
	mig_fib_trie_free(s->t);
	mig_fib_free(s->f);
	free(s->nhs);
}

static void fibl_push(struct el_node *n, int port, struct rt_batch *b)
{
	mig_off_push(EL_NSTATE(n, struct fibl)->off, n, b);
}

static int fibl_run(struct el_node *n) { return mig_off_run(EL_NSTATE(n, struct fibl)->off, n); }

static int fibl_take(struct el *e, struct el *old, struct rt_err *err)
{
	struct fibl *s = e->state, *os = old->state;
	mig_off_take(s->off, os->off);
	s->base_count = os->base_count;
	s->base_noroute = os->base_noroute;
	for (unsigned w = 0; w < RT_MAX_WORKERS; w++) {
		struct fibl_pw *np = el_pw_of(e, w), *op = el_pw_of(old, w);
		np->count += op->count;
		np->noroute += op->noroute;
	}
	return 0;
}

/* ---- handlers ----------------------------------------------------------------------------- */

/* Bring the placements up to date after a change of r in the canonical form. */
static int fibl_update(struct fibl *s, const struct mig_fib_route *r, struct rt_err *err)
{
	int rc = mig_fib_trie_apply(s->t, s->f, r, err);
	if (rc == -ENOSPC) {
		/* out of room for in-place changes: a new instance builds a
		 * fresh trie from the canonical form, with the usual swap */
		rt_err_clear(err);
		return rt_ctl_reconfigure(s->e->router, s->e->name, s->e->config ? s->e->config : "", NULL, err);
	}
	if (rc < 0)
		return rc;
	struct mig_fib_trie *t = s->t;
	if (s->dtab && t->dirty.tab_hi > t->dirty.tab_lo)
		rc = mig_mem_write(s->dtab, (size_t)t->dirty.tab_lo * 4, t->tab + t->dirty.tab_lo,
				   (size_t)(t->dirty.tab_hi - t->dirty.tab_lo) * 4, err);
	if (rc >= 0 && s->dnh && t->dirty.nh_hi > t->dirty.nh_lo)
		rc = mig_mem_write(s->dnh, (size_t)t->dirty.nh_lo * 4, t->nh + t->dirty.nh_lo,
				   (size_t)(t->dirty.nh_hi - t->dirty.nh_lo) * 4, err);
	mig_fib_trie_clean(t);
	if (!s->dtab && s->e->router) {
		/* cpu: unlinked nodes may be reused once no worker reads them */
		struct rte_rcu_qsbr *q = rt_router_qsbr(s->e->router);
		if (q) {
			uint64_t tok = rte_rcu_qsbr_start(q);
			rte_rcu_qsbr_check(q, tok, true);
		}
		mig_fib_trie_reclaim(t);
	}
	return rc;
}

static int fibl_h_add(struct el *e, intptr_t a, const char *v, struct rt_err *err)
{
	struct fibl *s = e->state;
	struct mig_fib_route r;
	int rc = add_route(s, v, &r, err);
	return rc < 0 ? rc : fibl_update(s, &r, err);
}

static int fibl_h_remove(struct el *e, intptr_t a, const char *v, struct rt_err *err)
{
	struct fibl *s = e->state;
	struct mig_fib_route r;
	int32_t port;
	uint32_t gw;
	int rc = parse_route(s, v, false, &r, &port, &gw, err);
	if (rc < 0)
		return rc;
	if ((rc = mig_fib_remove(s->f, &r, err)) < 0)
		return rc;
	return fibl_update(s, &r, err);
}

struct route_out {
	const struct fibl *s;
	struct rt_buf *out;
};

static void route_line(const struct mig_fib_route *r, void *arg)
{
	struct route_out *ro = arg;
	char b[96];
	const struct fibl_nh *h = &ro->s->nhs[r->nh];
	rt_buf_printf(ro->out, "%s", mig_fib_route_str(r, b, sizeof(b)));
	if (h->gw) {
		rt_buf_puts(ro->out, " ");
		el_unparse_value(EL_T_IP4, &h->gw, ro->out);
	}
	rt_buf_printf(ro->out, " %d\n", h->port);
}

static int fibl_h_read(struct el *e, intptr_t a, struct rt_buf *out)
{
	struct fibl *s = e->state;
	switch (a) {
	case 0: {
		struct route_out ro = { s, out };
		mig_fib_foreach(s->f, route_line, &ro);
		break;
	}
	case 1:
		rt_buf_printf(out, "%llu", (unsigned long long)(el_pw_sum(e, offsetof(struct fibl_pw, count)) - s->base_count));
		break;
	case 2:
		rt_buf_printf(out, "%llu",
			      (unsigned long long)(el_pw_sum(e, offsetof(struct fibl_pw, noroute)) - s->base_noroute));
		break;
	default:
		rt_buf_printf(out, "fibs %u routes %zu version %llu checksum %016llx trie_bytes %zu vectors %u\n",
			      mig_fib_nfib(s->f), mig_fib_nroutes(s->f), (unsigned long long)mig_fib_version(s->f),
			      (unsigned long long)mig_fib_checksum(s->f), mig_fib_trie_bytes(s->t), s->t->nvec);
	}
	return 0;
}

static int fibl_h_reset(struct el *e, intptr_t a, const char *v, struct rt_err *err)
{
	struct fibl *s = e->state;
	s->base_count = el_pw_sum(e, offsetof(struct fibl_pw, count));
	s->base_noroute = el_pw_sum(e, offsetof(struct fibl_pw, noroute));
	return 0;
}

/* lookup: read with "[fib N] ADDR" -> "OUT [GW]" or -1, computed by the
 * cpu kernel on the current trie. */
static int fibl_h_lookup(struct el *e, intptr_t a, const char *param, struct rt_buf *out, struct rt_err *err)
{
	struct fibl *s = e->state;
	char spec[200];
	snprintf(spec, sizeof(spec), "%s", param ? param : "");
	struct mig_fib_route r;
	int32_t port;
	uint32_t gw;
	int rc = parse_route(s, spec, false, &r, &port, &gw, err);
	if (rc < 0)
		return rc;
	uint32_t rec[MIG_FIBLOOKUP_WORDS] = { r.fib };
	if (r.af == 6) {
		rec[0] |= MIG_FIBLOOKUP_V6;
		for (int i = 0; i < 4; i++)
			rec[1 + i] = (uint32_t)r.addr[4 * i] << 24 | (uint32_t)r.addr[4 * i + 1] << 16 |
				     (uint32_t)r.addr[4 * i + 2] << 8 | r.addr[4 * i + 3];
	} else {
		rec[1] = (uint32_t)r.addr[0] << 24 | (uint32_t)r.addr[1] << 16 | (uint32_t)r.addr[2] << 8 | r.addr[3];
	}
	uint32_t id;
	fibl_cpu(s, rec, NULL, &id, 1);
	if (id >= s->nnh) {
		rt_buf_puts(out, "-1\n");
		return 0;
	}
	rt_buf_printf(out, "%d", s->nhs[id].port);
	if (s->nhs[id].gw) {
		rt_buf_puts(out, " ");
		el_unparse_value(EL_T_IP4, &s->nhs[id].gw, out);
	}
	rt_buf_puts(out, "\n");
	return 0;
}

static const struct el_arg fibl_args_tab[] = {
	{ "FIBS", EL_T_UINT, offsetof(struct fibl, nfib), "1", 0, "number of FIBs (1 to 65536)" },
	{ "FIB_ANNO", EL_T_WORD, offsetof(struct fibl, fib_anno), NULL, 0,
	  "annotation that picks a packet's FIB: tenant (default), paint or aggregate" },
	{ "FILE", EL_T_STRING, offsetof(struct fibl, file), NULL, 0,
	  "file of routes, one `[fib N] ADDR/LEN [GW] OUT` per line (# comments)" },
	{ "HEADROOM", EL_T_UINT, offsetof(struct fibl, headroom), "25", 0,
	  "percent of extra trie room for routes added while running" },
	MIG_OFF_ARGS(struct fibl, a),
	EL_ARGS_END,
};

static const struct el_handler fibl_handlers[] = {
	{ "count", fibl_h_read, NULL, 1, 0, "packets looked up", NULL },
	{ "noroute", fibl_h_read, NULL, 2, 0, "packets dropped for want of a route", NULL },
	{ "routes", fibl_h_read, NULL, 0, 0, "the routes, one `fib N ADDR/LEN [GW] OUT` per line", NULL },
	{ "table", fibl_h_read, NULL, 3, 0, "FIBs, routes, version, checksum, trie bytes, next-hop vectors", NULL },
	{ "add_route", NULL, fibl_h_add, 0, 0, "add or replace `[fib N] ADDR/LEN [GW] OUT`, on every placement",
	  NULL },
	{ "remove_route", NULL, fibl_h_remove, 0, 0, "remove `[fib N] ADDR/LEN`", NULL },
	{ "reset", NULL, fibl_h_reset, 0, EL_H_BUTTON, "zero count and noroute", NULL },
	{ "lookup", NULL, NULL, 0, 0, "read with `[fib N] ADDR`: `OUT [GW]`, or -1 when there is no route",
	  fibl_h_lookup },
	MIG_OFF_HANDLERS(struct fibl, off),
	EL_HANDLERS_END,
};

static struct el_class fiblookup = {
	.name = "FIBLookup",
	.sig = "FIBLookup([fib N] ADDR/LEN [GW] OUT, ..., [FIBS n, FIB_ANNO a, FILE f, PLACEMENT p, BATCH b, LATENCY t])",
	.summary = "IPv4/IPv6 route lookup over many FIBs at once, on the cpu, OpenCL or CUDA",
	.doc = "Each packet is routed by the FIB its annotation picks (FIB_ANNO: the tenant annotation by "
	       "default, or paint, or aggregate), by longest prefix match on its destination: the destination "
	       "IP address annotation for IPv4, the header's destination for IPv6 packets (those whose network "
	       "header is IPv6). A route `[fib N] ADDR/LEN [GW] OUT` (FIB 0 when not given) sends the packet to "
	       "output OUT, setting the destination annotation to GW when given. Packets with no route are "
	       "dropped and counted (`noroute`).\n\n"
	       "All FIBs live in one multi-FIB trie that stores what they share once (a 16-8-8 multibit trie "
	       "over the union of their prefixes whose leaves index deduplicated vectors of per-FIB next "
	       "hops), in flat arrays that every placement uses as they are. PLACEMENT picks where the lookup "
	       "runs: `cpu` (in the worker), `opencl` or `cuda` (packets aggregated into batches of BATCH, sent "
	       "at the latest LATENCY after the first one waits, resumed in order). Results are identical on "
	       "every placement. Write the `placement` handler (or use `migrate`) to move the element while "
	       "traffic flows: its routes, including those added at run time, move with it, and no packet is "
	       "lost or reordered. If the device fails, the element finishes on the cpu and says so in "
	       "`placement`.\n\n"
	       "Routes added or removed at run time (`add_route`, `remove_route`) change the trie in place on "
	       "every placement; when its HEADROOM is used up, the element is rebuilt by a live "
	       "reconfiguration.",
	.ports = "1/-",
	.state_size = sizeof(struct fibl),
	.pw_size = sizeof(struct fibl_pw),
	.args = fibl_args_tab,
	.configure = fibl_configure,
	.init = fibl_init,
	.cleanup = fibl_cleanup,
	.push = fibl_push,
	.run = fibl_run,
	.take_state = fibl_take,
	.handlers = fibl_handlers,
};
EL_REGISTER(fiblookup)
