/*
 * iosource.c - the control side of iosource.h: the handlers every trace
 * source has.
 */
#include <sys/stat.h>

#include "iosource.h"

void io_source_cleanup(struct io_source *s)
{
	if (s->pending)
		rte_pktmbuf_free(s->pending);
	s->pending = NULL;
}

int io_source_read_h(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct io_source *s = e->state;
	switch (what) {
	case IO_SOURCE_H_COUNT:
		rt_buf_printf(out, "%llu", (unsigned long long)(el_pw_sum(e, offsetof(struct io_source_pw, count)) - s->base_count));
		return 0;
	case IO_SOURCE_H_TRUNCATED:
		rt_buf_printf(out, "%llu", (unsigned long long)el_pw_sum(e, offsetof(struct io_source_pw, truncated)));
		return 0;
	case IO_SOURCE_H_ACTIVE: rt_buf_puts(out, __atomic_load_n(&s->active, __ATOMIC_RELAXED) ? "true" : "false"); return 0;
	case IO_SOURCE_H_FILENAME: rt_buf_puts(out, s->filename); return 0;
	case IO_SOURCE_H_FILESIZE: {
		struct stat st;
		if (strcmp(s->filename, "-") && stat(s->filename, &st) == 0 && S_ISREG(st.st_mode))
			rt_buf_printf(out, "%lld", (long long)st.st_size);
		else
			rt_buf_puts(out, "-");
		return 0;
	}
	case IO_SOURCE_H_FILEPOS: rt_buf_printf(out, "%lld", (long long)__atomic_load_n(&s->filepos, __ATOMIC_RELAXED)); return 0;
	}
	return -EINVAL;
}

int io_source_write_h(struct el *e, intptr_t what, const char *v, struct rt_err *err)
{
	struct io_source *s = e->state;
	switch (what) {
	case IO_SOURCE_H_RESET:
		s->base_count = el_pw_sum(e, offsetof(struct io_source_pw, count));
		return 0;
	case IO_SOURCE_H_ACTIVE: {
		bool b;
		if (el_parse_value(EL_T_BOOL, v, &b, err) < 0)
			return err->code;
		__atomic_store_n(&s->active, b, __ATOMIC_RELEASE);
		return 0;
	}
	case IO_SOURCE_H_STOP:
		__atomic_store_n(&s->active, false, __ATOMIC_RELEASE);
		rt_router_please_stop(e->router);
		return 0;
	}
	return -EINVAL;
}
