/*
 * anno.h - the ANNO argument of Paint and PaintSwitch: which one-byte
 * annotation they set or read.
 */
#ifndef MB_ELEMENTS_ANNO_H
#define MB_ELEMENTS_ANNO_H

#include <errno.h>
#include <stdlib.h>

#include "../../runtime/el.h"

/* Resolve ANNO: "PAINT" (the default), or a byte offset into struct
 * rt_anno that lies in a user annotation (paint, seq, aggregate, tenant),
 * so that no address, header offset or flow pointer can be overwritten.
 * Sets *off; errors name the element and ANNO. */
static inline int el_anno_byte(const struct el *e, const char *s, uint16_t *off, struct rt_err *err)
{
	static const struct {
		size_t off, len;
	} user[] = {
		{offsetof(struct rt_anno, paint), 1},
		{offsetof(struct rt_anno, seq), 8},
		{offsetof(struct rt_anno, aggregate), 4},
		{offsetof(struct rt_anno, tenant), 4},
	};
	if (!s || !*s || !strcmp(s, "PAINT")) {
		*off = offsetof(struct rt_anno, paint);
		return 0;
	}
	char *end;
	long v = strtol(s, &end, 0);
	if (*end == 0 && end != s)
		for (size_t i = 0; i < RT_ARRAY_SIZE(user); i++)
			if (v >= (long)user[i].off && v < (long)(user[i].off + user[i].len)) {
				*off = (uint16_t)v;
				return 0;
			}
	return rt_errf(err, &e->loc, -EINVAL, "%s: ANNO: expected PAINT or the offset of a one-byte user annotation, not '%s'",
		       e->name, s);
}

#endif
