/*
 * mig_ctl.c - the control API's placement operations (decision 7): migrate
 * an element to another placement, and list where elements run.  The
 * shell, Lua (mb.migrate, mb.placements) and the control socket (WRITE
 * e.placement, READ e.placements) are faces over these.
 *
 * A migration is a reconfiguration of the element with another PLACEMENT:
 * the live layer builds the new instance (device opened, kernels built,
 * tables loaded) off the data path, holds its input, waits a grace period,
 * lets it take the old one's state and held packets (mig_off_take), and
 * releases the held packets in order.  Anything that fails before that
 * leaves the element where it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "ctl.h"
#include "mig.h"
#include "mig_offload.h"

static bool has_placement(struct el *e) { return mig_off_of(e) != NULL; }

int rt_ctl_migrate(struct rt_router *r, const char *name, const char *where, struct rt_buf *warn,
		   struct rt_err *err)
{
	RT_CTL_ENTRY(r, "migrate", name, err, rt_ctl_migrate(r, name, where, warn, err));
	struct el *e = rt_router_find(r, name);
	if (!e)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
	if (!where || !*where)
		return rt_errf(err, NULL, -EINVAL, "migrate %s: say where to (cpu, opencl, cuda)", name);
	if (!strncasecmp(where, "core", 4))
		return rt_errf(err, NULL, -ENOTSUP,
			       "migrate %s %s: moving an element's flows between workers needs the flow manager's "
			       "per-flow state and RSS re-steering, which are not available yet",
			       name, where);
	enum mig_kind k;
	int rc = mig_kind_parse(where, &k, err);
	if (rc < 0)
		return rc;
	if (!has_placement(e))
		return rt_errf(err, NULL, -EINVAL, "%s (%s) runs on the cpu only: it has no kernel to move", name,
			       e->cls->name);
	if ((rc = mig_available(k, err)) < 0) {
		rt_err_prefix(err, name);
		return rc;
	}
	char **argv;
	int argc = el_argv_split(e->config ? e->config : "", &argv);
	if (argc < 0)
		return rt_errf(err, NULL, -ENOMEM, "out of memory");
	struct rt_buf args;
	rt_buf_init(&args);
	for (int i = 0; i < argc; i++) {
		const char *val;
		int kl = el_arg_keyword(argv[i], &val);
		if (kl == 9 && !strncmp(argv[i], "PLACEMENT", 9))
			continue;
		rt_buf_printf(&args, "%s, ", argv[i]);
	}
	rt_buf_printf(&args, "PLACEMENT %s", mig_kind_name(k));
	el_argv_free(argc, argv);
	rc = rt_ctl_reconfigure(r, name, args.p, warn, err);
	rt_buf_free(&args);
	return rc;
}

int rt_ctl_placements(struct rt_router *r, const char *name, bool json, struct rt_buf *out, struct rt_err *err)
{
	if (name && !*name)
		name = NULL;
	RT_CTL_ENTRY(r, "placements", name, err, rt_ctl_placements(r, name, json, out, err));
	int n = rt_router_nelements(r), shown = 0;
	if (json)
		rt_buf_puts(out, "[");
	for (int i = 0; i < n; i++) {
		struct el *e = rt_router_element(r, i);
		if ((name && *name && strcmp(e->name, name)) || !rt_ctl_visible(r, e))
			continue;
		struct mig_off *o = mig_off_of(e);
		if (!o) {
			if (name && *name)
				return rt_errf(err, NULL, -EINVAL, "%s (%s) runs on the cpu only", e->name, e->cls->name);
			continue;
		}
		if (json) {
			rt_buf_printf(out, "%s{\"element\": \"%s\", \"class\": \"%s\", \"placements\": ", shown ? ", " : "",
				      rt_ctl_name(r, e), e->cls->name);
			mig_off_placements_json(o, out); /* the array, then "auto" when on */
			rt_buf_puts(out, "}");
		} else {
			struct rt_buf v;
			rt_buf_init(&v);
			mig_off_placements(o, &v);
			rt_buf_printf(out, "%s (%s)\n", rt_ctl_name(r, e), e->cls->name);
			for (char *line = v.p, *nl; line && *line; line = nl) {
				nl = strchr(line, '\n');
				if (nl)
					*nl++ = 0;
				rt_buf_printf(out, "  %s\n", line);
			}
			rt_buf_free(&v);
		}
		shown++;
	}
	if (json)
		rt_buf_puts(out, "]\n");
	if (name && *name && !shown)
		return rt_errf(err, NULL, -ENOENT, "no element '%s'", name);
	return shown;
}
