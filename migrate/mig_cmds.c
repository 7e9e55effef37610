/*
 * mig_cmds.c - the shell's placement commands, declared next to the code
 * they drive (shell/sh_cmd.h): `migrate NAME PLACEMENT` and
 * `placements [NAME] [--json]`, thin faces over rt_ctl_migrate and
 * rt_ctl_placements (mig_ctl.c), so they also work remotely (--connect,
 * the control socket's SHELL).
 */
#include <errno.h>

#include "ctl.h"
#include "shell/sh_cmd.h"

static int cmd_migrate(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *name = sh_word(&a->rest);
	char *where = sh_trim(a->rest);
	if (sh_need("NAME", name, err) < 0 || sh_need("PLACEMENT (cpu, opencl, cuda)", where, err) < 0)
		return err->code;
	struct rt_buf warn;
	rt_buf_init(&warn);
	uint64_t t0 = rt_now_ns();
	int rc = rt_ctl_migrate(sh_router(s), name, where, &warn, err);
	if (rc >= 0) {
		if (warn.len)
			rt_buf_add(out, warn.p, warn.len);
		rt_buf_printf(out, "%s: now on %s (%.1f ms)\n", name, where, (rt_now_ns() - t0) / 1e6);
	}
	rt_buf_free(&warn);
	return rc;
}

static int cmd_placements(struct sh *s, struct sh_args *a, struct rt_buf *out, struct rt_err *err)
{
	char *name = sh_word(&a->rest);
	int rc = rt_ctl_placements(sh_router(s), name, a->json, out, err);
	if (rc == 0 && !a->json)
		rt_buf_puts(out, "no element has a placement to choose (FIBLookup, PatternMatch do)\n");
	return rc < 0 ? rc : 0;
}

static const struct sh_cmd mig_cmds[] = {
	{ "migrate", "NAME cpu|opencl|cuda|core N",
	  "move element NAME to another placement with its tables and held packets, or a flow manager's flows "
	  "to worker N, losing nothing",
	  cmd_migrate, 0 },
	{ "placements", "[NAME] [--json]",
	  "where offloadable elements run, where they could, and what each placement measured", cmd_placements,
	  SH_JSON },
	SH_CMDS_END,
};
SH_COMMANDS(mig_cmds)
