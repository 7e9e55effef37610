/*
 * mig_tu.h - what the placement tests share: is a placement here?  Says
 * why not (the device layer's own message) when it is not.
 */
#ifndef MB_MIG_TU_H
#define MB_MIG_TU_H

#include <stdbool.h>
#include <stdio.h>

#include "mig.h"

static inline bool mig_tu_have(enum mig_kind k)
{
	struct rt_err err;
	rt_err_clear(&err);
	if (mig_available(k, &err) < 0) {
		printf("SKIP %s: %s\n", mig_kind_name(k), err.msg);
		return false;
	}
	return true;
}

#endif
