/*
 * dump_util.h - helpers shared by test_dump.c and test_script.c: files in
 * a temporary folder, removed by the group teardown, and reading them back.
 */
#ifndef MB_TESTS_DUMP_UTIL_H
#define MB_TESTS_DUMP_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "tu.h"

static char tmpdir[64];

static inline const char *tmp_path(const char *name)
{
	static char bufs[4][128];
	static int k;
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/mbx_dump_XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
	char *b = bufs[k++ % 4];
	snprintf(b, 128, "%s/%s", tmpdir, name);
	return b;
}

static inline uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc((size_t)n + 1);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return p;
}
static inline int teardown(void **st)
{
	(void)st;
	if (tmpdir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

#endif
