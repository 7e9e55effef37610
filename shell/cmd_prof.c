/*
 * cmd_prof.c - where the cycles go: `profile on|off` turns the runtime's
 * per-element cycle accounting on and off (rt_ctl_profile, runtime/prof.c),
 * `profile [--json]` prints one snapshot (packet rate, drops and cycles per
 * packet of every element over the time since the previous snapshot), and
 * `top` is that snapshot refreshed by the front end (repl.c) on a timer
 * until a key, Ctrl-C or its count ends it.  Bounded: a snapshot is one
 * pass over the elements.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "shell/sh_int.h"
#include "tenant/tn.h"

static void snap_free(struct sh *s)
{
	for (int i = 0; i < s->nprof; i++) {
		free(s->prof[i].name);
		free(s->prof[i].cls);
	}
	free(s->prof);
	s->prof = NULL;
	s->nprof = 0;
	s->prof_ns = 0;
}

/* Keep v as the baseline of the next snapshot. */
static void snap_keep(struct sh *s, const struct rt_ctl_prof *v, int n, uint64_t now)
{
	snap_free(s);
	s->prof = calloc((size_t)n + 1, sizeof(*s->prof));
	for (int i = 0; i < n; i++)
		s->prof[i] = (struct sh_prof_snap){strdup(v[i].name), strdup(v[i].cls), v[i].pkts, v[i].cycles};
	s->nprof = n;
	s->prof_ns = now;
}

static const struct sh_prof_snap *snap_find(const struct sh *s, const struct rt_ctl_prof *e)
{
	for (int i = 0; i < s->nprof; i++)
		if (!strcmp(s->prof[i].name, e->name) && !strcmp(s->prof[i].cls, e->cls))
			return &s->prof[i];
	return NULL;
}

static int prof_read(struct sh *s, struct rt_ctl_prof **v, uint64_t *now, struct rt_err *err)
{
	int n = rt_ctl_prof(s->r, v, NULL, err);
	*now = rt_now_ns();
	return n;
}

static int prof_switch(struct sh *s, bool on, struct rt_buf *out, struct rt_err *err)
{
	bool was = rt_ctl_profiling(s->r);
	int rc = rt_ctl_profile(s->r, on, err);
	if (rc < 0)
		return rc;
	if (on) { /* the next snapshot covers the time from now */
		struct rt_ctl_prof *v;
		uint64_t now;
		int n = prof_read(s, &v, &now, err);
		if (n < 0)
			return n;
		snap_keep(s, v, n, now);
		free(v);
	} else {
		snap_free(s);
	}
	rt_buf_printf(out, "profiling %s%s\n", was == on ? "already " : "", on ? "on" : "off");
	return 0;
}

static void put_num_or_dash(struct rt_buf *out, int width, bool has, double v, bool json)
{
	if (json)
		rt_buf_printf(out, has ? "%.0f" : "null", v);
	else if (has)
		rt_buf_printf(out, "  %*.0f", width, v);
	else
		rt_buf_printf(out, "  %*s", width, "-");
}

static int prof_snapshot(struct sh *s, bool json, struct rt_buf *out, struct rt_err *err)
{
	if (!rt_ctl_profiling(s->r))
		return rt_errf(err, NULL, -EINVAL, "profiling is off (profile on, or top)");
	struct rt_ctl_prof *v;
	uint64_t now, hz = 0;
	int n = rt_ctl_prof(s->r, &v, &hz, err);
	now = rt_now_ns();
	if (n < 0)
		return n;
	double dt = s->prof_ns ? (double)(now - s->prof_ns) / 1e9 : 0;
	int wn, wc;
	sh_name_widths(s->r, &wn, &wc);
	if (json)
		rt_buf_printf(out, "{\"interval_s\":%.3f,\"elements\":[", dt);
	else
		rt_buf_printf(out, "%-*s  %-*s  %12s  %12s  %10s  %10s\n", wn, "NAME", wc, "CLASS", "PACKETS", "RATE/S", "DROPS",
			      "CYCLES/PKT");
	for (int i = 0; i < n; i++) {
		const struct sh_prof_snap *b = snap_find(s, &v[i]);
		uint64_t dp = v[i].pkts - (b && b->pkts <= v[i].pkts ? b->pkts : 0);
		uint64_t dc = v[i].cycles - (b && b->cycles <= v[i].cycles ? b->cycles : 0);
		if (json) {
			rt_buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
			sh_put_json_str(out, v[i].name);
			rt_buf_puts(out, ",\"class\":");
			sh_put_json_str(out, v[i].cls);
			rt_buf_printf(out, ",\"packets\":%llu,\"rate\":", (unsigned long long)v[i].pkts);
			put_num_or_dash(out, 0, dt > 0, dt > 0 ? (double)dp / dt : 0, true);
			rt_buf_puts(out, ",\"drops\":");
			put_num_or_dash(out, 0, v[i].drops >= 0, (double)v[i].drops, true);
			rt_buf_puts(out, ",\"cycles_per_packet\":");
			put_num_or_dash(out, 0, dp > 0, dp ? (double)dc / (double)dp : 0, true);
			rt_buf_puts(out, "}");
		} else {
			rt_buf_printf(out, "%-*s  %-*s  %12llu", wn, v[i].name, wc, v[i].cls, (unsigned long long)v[i].pkts);
			put_num_or_dash(out, 12, dt > 0, dt > 0 ? (double)dp / dt : 0, false);
			put_num_or_dash(out, 10, v[i].drops >= 0, (double)v[i].drops, false);
			put_num_or_dash(out, 10, dp > 0, dp ? (double)dc / (double)dp : 0, false);
			rt_buf_puts(out, "\n");
		}
	}
	snap_keep(s, v, n, now);
	free(v);
	/* each tenant's usage and drops below (docs/tenants.md) */
	struct rt_buf t;
	rt_buf_init(&t);
	int k = tn_usage_put(s->r, json, !json, &t, err);
	if (json) {
		if (t.p && t.len && t.p[t.len - 1] == '\n')
			t.p[--t.len] = 0;
		rt_buf_printf(out, "],\"tenants\":%s}\n", t.p ? t.p : "[]");
	} else if (k > 0) {
		rt_buf_printf(out, "\n%s", t.p);
	}
	rt_buf_free(&t);
	return k < 0 ? err->code : 0;
}

static int cmd_profile(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *w = sh_word(&a->rest);
	if (!w)
		return prof_snapshot(s, a->json, out, err);
	if (sh_word(&a->rest) || (strcmp(w, "on") && strcmp(w, "off")))
		return rt_errf(err, NULL, -EINVAL, "usage: profile [on|off] [--json]");
	return prof_switch(s, !strcmp(w, "on"), out, err);
}

static int cmd_top(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	return rt_errf(err, NULL, -EINVAL, "top runs in the shell's front end (mboxsh -i, --connect); "
					   "one snapshot: profile");
}

static const struct sh_cmd prof_cmds[] = {
	{"profile", "[on|off] [--json]",
	 "per-element cycle accounting on/off; alone: packets, rate, drops, cycles/packet since the last", cmd_profile,
	 SH_JSON},
	{"top", "[-n N] [-d SEC] [--once] [--json]",
	 "profile refreshed every SEC (1) seconds until a key or Ctrl-C (or N times)", cmd_top, SH_JSON},
	SH_CMDS_END,
};
SH_COMMANDS(prof_cmds)

bool sh_top_parse(const char *line, struct sh_top_opts *o, struct rt_err *err)
{
	char *copy = strdup(line), *p = copy, *w = sh_word(&p);
	if (!w || strcmp(w, "top")) {
		free(copy);
		return false;
	}
	*o = (struct sh_top_opts){.n = 0, .interval_ms = 1000};
	while ((w = sh_word(&p))) {
		char *end = NULL, *v = NULL;
		if (!strcmp(w, "--json")) {
			o->json = true;
		} else if (!strcmp(w, "--once")) {
			o->n = 1;
		} else if (!strcmp(w, "-n") && (v = sh_word(&p))) {
			long n = strtol(v, &end, 10);
			if (*end || n < 1 || n > 1000000) {
				rt_errf(err, NULL, -EINVAL, "top: -n wants a count, not '%s'", v);
				break;
			}
			o->n = (int)n;
		} else if (!strcmp(w, "-d") && (v = sh_word(&p))) {
			double d = strtod(v, &end);
			if (*end || !(d >= 0.05 && d <= 3600)) {
				rt_errf(err, NULL, -EINVAL, "top: -d wants seconds (0.05 to 3600), not '%s'", v);
				break;
			}
			o->interval_ms = (unsigned)(d * 1000 + 0.5);
		} else {
			rt_errf(err, NULL, -EINVAL, "usage: top [-n N] [-d SECONDS] [--once] [--json]");
			break;
		}
	}
	free(copy);
	return true;
}
