/*
 * el.c - element classes (registry), instances (argument tables, ports) and
 * handlers, including Click's standard handlers: name, class, config, ports,
 * handlers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "ctl.h"
#include "el.h"

static struct el_class *classes;

void el_class_register(struct el_class *c)
{
	c->next = classes;
	classes = c;
}

const struct el_class *el_class_find(const char *name)
{
	for (struct el_class *c = classes; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

static int cls_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct el_class *const *)a)->name, (*(const struct el_class *const *)b)->name);
}

const struct el_class **el_class_list(int *n)
{
	int k = 0;
	for (struct el_class *c = classes; c; c = c->next)
		k++;
	const struct el_class **v = malloc(sizeof(*v) * (size_t)(k ? k : 1));
	k = 0;
	for (struct el_class *c = classes; c; c = c->next)
		v[k++] = c;
	qsort(v, (size_t)k, sizeof(*v), cls_cmp);
	*n = k;
	return v;
}

/* ---- port specs: "1/1", "1/1-2", "0-1/-", "-/=" ------------------------- */

static int spec_range(const char *s, const char *e, int *lo, int *hi)
{
	if (s == e || (e - s == 1 && *s == '-')) {
		*lo = 0;
		*hi = INT32_MAX;
		return 0;
	}
	char *end;
	if (*s == '-') {
		*lo = 0;
		*hi = (int)strtol(s + 1, &end, 10);
		return end == e ? 0 : -1;
	}
	*lo = (int)strtol(s, &end, 10);
	if (end == e) {
		*hi = *lo;
		return 0;
	}
	if (*end != '-')
		return -1;
	if (end + 1 == e) {
		*hi = INT32_MAX;
		return 0;
	}
	*hi = (int)strtol(end + 1, &end, 10);
	return end == e ? 0 : -1;
}

static void describe(int lo, int hi, char *buf, size_t len)
{
	if (lo == hi)
		snprintf(buf, len, "%d", lo);
	else if (hi == INT32_MAX)
		snprintf(buf, len, "%d or more", lo);
	else if (hi == lo + 1)
		snprintf(buf, len, "%d or %d", lo, hi);
	else
		snprintf(buf, len, "%d to %d", lo, hi);
}

void el_ports_limits(const struct el_class *c, int *ilo, int *ihi, int *olo, int *ohi, bool *out_eq)
{
	const char *spec = c->ports ? c->ports : "1/1";
	const char *slash = strchr(spec, '/');
	*out_eq = slash && !strcmp(slash + 1, "=");
	if (!slash || spec_range(spec, slash, ilo, ihi))
		*ilo = *ihi = 0;
	if (*out_eq)
		*olo = *ilo, *ohi = *ihi;
	else if (!slash || spec_range(slash + 1, slash + strlen(slash), olo, ohi))
		*olo = *ohi = 0;
}

int el_ports_check(const struct el_class *c, int nin, int nout, char *why, size_t whylen)
{
	const char *spec = c->ports ? c->ports : "1/1";
	const char *slash = strchr(spec, '/');
	int ilo, ihi, olo, ohi;
	if (!slash || spec_range(spec, slash, &ilo, &ihi))
		return -EINVAL;
	if (!strcmp(slash + 1, "="))
		olo = ohi = nin;
	else if (spec_range(slash + 1, slash + strlen(slash), &olo, &ohi))
		return -EINVAL;
	char d[48];
	if (nin < ilo || nin > ihi) {
		describe(ilo, ihi, d, sizeof(d));
		snprintf(why, whylen, "%s has %s input%s", c->name, d, ilo == 1 && ihi == 1 ? "" : "s");
		return -ERANGE;
	}
	if (nout < olo || nout > ohi) {
		describe(olo, ohi, d, sizeof(d));
		snprintf(why, whylen, "%s has %s output%s", c->name, d, olo == 1 && ohi == 1 ? "" : "s");
		return -ERANGE;
	}
	return 0;
}

/* ---- instances ---------------------------------------------------------- */

static int next_uid = 1;

bool el_arg_given(const struct el *e, const char *kw)
{
	if (!e->cls->args)
		return false;
	for (int i = 0; e->cls->args[i].kw; i++)
		if (!strcmp(e->cls->args[i].kw, kw))
			return (e->args_given >> i) & 1;
	return false;
}

static void free_arg_values(struct el *e)
{
	if (!e->cls->args || !e->state)
		return;
	for (const struct el_arg *a = e->cls->args; a->kw; a++) {
		void *p = (char *)e->state + a->off;
		if (a->type == EL_T_STRING || a->type == EL_T_WORD) {
			free(*(char **)p);
			*(char **)p = NULL;
		} else if (a->type == EL_T_DATA) {
			free(((struct el_data *)p)->p);
			((struct el_data *)p)->p = NULL;
		}
	}
}

static int set_arg(struct el *e, int i, const char *val, struct rt_err *err)
{
	const struct el_arg *a = &e->cls->args[i];
	void *p = (char *)e->state + a->off;
	if (a->type == EL_T_STRING || a->type == EL_T_WORD) {
		free(*(char **)p);
		*(char **)p = NULL;
	} else if (a->type == EL_T_DATA) {
		free(((struct el_data *)p)->p);
		((struct el_data *)p)->p = NULL;
	}
	struct rt_err e2;
	rt_err_clear(&e2);
	if (el_parse_value(a->type, val, p, &e2) < 0)
		return rt_errf(err, &e->loc, -EINVAL, "%s: %s: %s", e->name, a->kw, e2.msg);
	return 0;
}

/* Move argv[k] to the front part kept for configure(); swapping keeps
 * every string owned by argv, so el_argv_free frees them all. */
static void take_rest(char **argv, int *rest, int k)
{
	char *t = argv[*rest];
	argv[*rest] = argv[k];
	argv[k] = t;
	(*rest)++;
}

/* Parse argv against the class's table; arguments the table does not take
 * are moved to the front of argv and their count returned. */
static int parse_table(struct el *e, int argc, char **argv, struct rt_err *err)
{
	const struct el_arg *t = e->cls->args;
	int ntab = 0;
	while (t[ntab].kw)
		ntab++;
	for (int i = 0; i < ntab; i++)
		if (t[i].def && set_arg(e, i, t[i].def, err) < 0)
			return err->code;
	int pos = 0, rest = 0;
	bool seen_kw = false;
	for (int k = 0; k < argc; k++) {
		const char *val;
		int kwlen = el_arg_keyword(argv[k], &val);
		int row = -1;
		if (kwlen) {
			for (int i = 0; i < ntab; i++)
				if ((int)strlen(t[i].kw) == kwlen && !strncmp(t[i].kw, argv[k], (size_t)kwlen))
					row = i;
			if (row < 0) {
				if (e->cls->configure) { /* the class may take it */
					take_rest(argv, &rest, k);
					continue;
				}
				return rt_errf(err, &e->loc, -EINVAL, "%s: unknown argument '%.*s'", e->name, kwlen, argv[k]);
			}
			seen_kw = true;
		} else {
			/* positional: next table row marked POS */
			while (pos < ntab && (!(t[pos].flags & EL_ARG_POS) || ((e->args_given >> pos) & 1)))
				pos++;
			if (seen_kw || pos >= ntab) {
				if (e->cls->configure) {
					take_rest(argv, &rest, k);
					continue;
				}
				if (!*argv[k])
					continue;
				return rt_errf(err, &e->loc, -EINVAL, "%s: too many arguments (unexpected '%s')", e->name, argv[k]);
			}
			row = pos++;
			val = argv[k];
		}
		if ((e->args_given >> row) & 1)
			return rt_errf(err, &e->loc, -EINVAL, "%s: argument '%s' given twice", e->name, t[row].kw);
		if (set_arg(e, row, val, err) < 0)
			return err->code;
		e->args_given |= 1ull << row;
	}
	for (int i = 0; i < ntab; i++)
		if ((t[i].flags & EL_ARG_REQ) && !((e->args_given >> i) & 1))
			return rt_errf(err, &e->loc, -EINVAL, "%s: missing mandatory argument '%s'", e->name, t[i].kw);
	return rest;
}

struct el *el_new(struct rt_router *r, const struct el_class *cls, const char *name, const char *config,
		  const struct rt_loc *loc, struct rt_err *err)
{
	struct el *e = calloc(1, sizeof(*e));
	e->name = strdup(name);
	e->cls = cls;
	e->config = strdup(config ? config : "");
	if (loc)
		e->loc = *loc;
	e->router = r;
	e->pool = r ? rt_router_pool_for(r, name, &e->tenant) : NULL;
	e->thread = -1;
	e->nin_cfg = e->nout_cfg = -1;
	e->is_task = cls->run != NULL;
	e->uid = next_uid++;
	e->state = rte_zmalloc("el_state", cls->state_size ? cls->state_size : 8, RTE_CACHE_LINE_SIZE);
	e->pw_stride = RTE_ALIGN_CEIL(cls->pw_size ? cls->pw_size : 8, RTE_CACHE_LINE_SIZE);
	e->pw = rte_zmalloc("el_pw", e->pw_stride * RT_MAX_WORKERS, RTE_CACHE_LINE_SIZE);
	if (!e->state || !e->pw) {
		rt_errf(err, loc, -ENOMEM, "%s: out of memory", name);
		el_free(e);
		return NULL;
	}
	char **argv;
	int argc = el_argv_split(e->config, &argv);
	int rc = 0;
	if (cls->args) {
		int left = parse_table(e, argc, argv, err);
		if (left < 0) {
			rc = left;
		} else if (cls->configure) {
			rc = cls->configure(e, left, argv, err);
		}
	} else if (cls->configure) {
		rc = cls->configure(e, argc, argv, err);
	} else if (argc > 0 && (argc > 1 || *argv[0])) {
		rc = rt_errf(err, loc, -EINVAL, "%s: %s takes no arguments", name, cls->name);
	}
	el_argv_free(argc, argv);
	if (rc < 0) {
		if (!err->loc.file && loc)
			err->loc = *loc;
		el_free(e);
		return NULL;
	}
	return e;
}

int el_init(struct el *e, struct rt_err *err)
{
	int rc = e->cls->init ? e->cls->init(e, err) : 0;
	if (rc < 0 && !err->loc.file)
		err->loc = e->loc;
	return rc;
}

void el_free(struct el *e)
{
	if (!e)
		return;
	if (e->cls->cleanup && e->state)
		e->cls->cleanup(e);
	free_arg_values(e);
	rte_free(e->state);
	rte_free(e->pw);
	free(e->name);
	free(e->config);
	free(e);
}

void el_state_free(struct el_state *st)
{
	rt_buf_free(&st->data);
	if (st->npkts)
		rte_pktmbuf_free_bulk(st->pkts, st->npkts);
	free(st->pkts);
	st->pkts = NULL;
	st->npkts = 0;
}

/* ---- handlers ------------------------------------------------------------ */

static int h_name(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	rt_buf_puts(out, e->name);
	return 0;
}

static int h_class(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	rt_buf_puts(out, e->cls->name);
	return 0;
}

static int h_config(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	rt_buf_puts(out, e->config);
	return 0;
}

/* Click's writable config handler: new arguments, in place (a swap to the
 * same class that keeps the element's state). */
static int h_config_write(struct el *e, intptr_t arg, const char *v, struct rt_err *err)
{
	(void)arg;
	return rt_ctl_reconfigure(e->router, e->name, v, NULL, err);
}

static int h_ports(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	rt_buf_printf(out, "%d input%s\n", e->nin, e->nin == 1 ? "" : "s");
	for (int i = 0; i < e->nin; i++)
		rt_buf_puts(out, "push\n");
	rt_buf_printf(out, "%d output%s\n", e->nout, e->nout == 1 ? "" : "s");
	for (int i = 0; i < e->nout; i++)
		rt_buf_puts(out, "push\n");
	return 0;
}

static int h_handlers(struct el *e, intptr_t arg, struct rt_buf *out)
{
	(void)arg;
	el_handler_list(e, out);
	return 0;
}

static const struct el_handler std_handlers[] = {
	{"name", h_name, NULL, 0, 0, "the element's name"},
	{"class", h_class, NULL, 0, 0, "the element's class"},
	{"config", h_config, h_config_write, 0, 0, "the configuration string; writing it reconfigures the element"},
	{"ports", h_ports, NULL, 0, 0, "port counts and processing"},
	{"handlers", h_handlers, NULL, 0, 0, "the handler list with modes"},
	EL_HANDLERS_END,
};

const struct el_handler *el_handler_find(const struct el *e, const char *name)
{
	if (e->cls->handlers)
		for (const struct el_handler *h = e->cls->handlers; h->name; h++)
			if (!strcmp(h->name, name))
				return h;
	for (const struct el_handler *h = std_handlers; h->name; h++)
		if (!strcmp(h->name, name))
			return h;
	return NULL;
}

int el_handler_read(struct el *e, const char *name, struct rt_buf *out, struct rt_err *err)
{
	const struct el_handler *h = el_handler_find(e, name);
	if (!h)
		return rt_errf(err, NULL, -ENOENT, "no handler '%s.%s'", e->name, name);
	if (!h->read && h->read_param)
		return h->read_param(e, h->arg, "", out, err);
	if (!h->read)
		return rt_errf(err, NULL, -EPERM, "handler '%s.%s' is not readable", e->name, name);
	int rc = h->read(e, h->arg, out);
	if (rc < 0)
		return rt_errf(err, NULL, rc, "handler '%s.%s' read failed", e->name, name);
	return 0;
}

int el_handler_read_param(struct el *e, const char *name, const char *param, struct rt_buf *out,
			  struct rt_err *err)
{
	if (!param || !*param)
		return el_handler_read(e, name, out, err);
	const struct el_handler *h = el_handler_find(e, name);
	if (!h)
		return rt_errf(err, NULL, -ENOENT, "no handler '%s.%s'", e->name, name);
	if (!h->read_param)
		return rt_errf(err, NULL, -EINVAL, "handler '%s.%s' takes no parameter", e->name, name);
	int rc = h->read_param(e, h->arg, param, out, err);
	if (rc < 0 && !err->code)
		rt_errf(err, NULL, rc, "handler '%s.%s' read failed", e->name, name);
	return rc;
}

int el_handler_write(struct el *e, const char *name, const char *value, struct rt_err *err)
{
	const struct el_handler *h = el_handler_find(e, name);
	if (!h)
		return rt_errf(err, NULL, -ENOENT, "no handler '%s.%s'", e->name, name);
	if (!h->write)
		return rt_errf(err, NULL, -EPERM, "handler '%s.%s' is not writable", e->name, name);
	int rc = h->write(e, h->arg, value ? value : "", err);
	if (rc < 0 && !err->code)
		rt_errf(err, NULL, rc, "handler '%s.%s' write failed", e->name, name);
	return rc;
}

void el_handler_list(const struct el *e, struct rt_buf *out)
{
	const struct el_handler *tabs[2] = {e->cls->handlers, std_handlers};
	for (int t = 0; t < 2; t++) {
		if (!tabs[t])
			continue;
		for (const struct el_handler *h = tabs[t]; h->name; h++) {
			if (t == 1 && e->cls->handlers) { /* class handler overrides */
				bool dup = false;
				for (const struct el_handler *g = e->cls->handlers; g->name; g++)
					dup |= !strcmp(g->name, h->name);
				if (dup)
					continue;
			}
			rt_buf_printf(out, "%s\t%s%s\n", h->name, h->read || h->read_param ? "r" : "",
				      h->write ? "w" : "");
		}
	}
}
