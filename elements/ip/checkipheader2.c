/*
 * CheckIPHeader2 - CheckIPHeader without the checksum check by default
 * (the code is CheckIPHeader's: checkipheader.c).
 */
#include "checkipheader.h"

static const struct el_arg args[] = {
	CIH_ARG_ROWS("false"),
	EL_ARGS_END,
};

static struct el_class checkipheader2 = {
	.name = "CheckIPHeader2",
	.sig = "CheckIPHeader2([OFFSET, KEYWORDS])",
	.summary = "checks IP header, no checksum",
	.doc = "This element behaves exactly like CheckIPHeader, except that it does not by default "
	       "check packets' IP checksums (CHECKSUM defaults to false).",
	.ports = "1/1-2",
	.state_size = sizeof(struct cih),
	.pw_size = sizeof(struct cih_pw),
	.args = args,
	.init = cih_init,
	.cleanup = cih_cleanup,
	.push = cih_push,
	.handlers = cih_handlers,
};
EL_REGISTER(checkipheader2)
