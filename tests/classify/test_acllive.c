/*
 * test_acllive.c - ACLClassifier while traffic flows: a worker pushes a UDP
 * flow through the classifier while the control thread adds and removes a
 * better rule for it thousands of times.  Every packet is classified (none
 * lost), both outputs see packets, and under ASan no worker reads memory an
 * update freed (updates reclaim only after the worker's quiescent state).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tu.h"
#include "router.h"

static uint64_t rd(struct rt_router *r, const char *h)
{
	struct rt_buf b;
	struct rt_err err;
	rt_buf_init(&b);
	rt_err_clear(&err);
	assert_int_equal(rt_ctl_read(r, h, &b, &err), 0);
	uint64_t n = strtoull(b.p ? b.p : "0", NULL, 10);
	rt_buf_free(&b);
	return n;
}

static void test_updates_under_traffic(void **st)
{
	(void)st;
	uint8_t buf[128];
	int n = tu_build_udp(buf, "10.0.0.1", "10.0.0.2", 1234, 53, "abcd", 4);
	char data[600];
	int k = snprintf(data, sizeof(data), "\\<");
	for (int i = 14; i < n; i++)
		k += snprintf(data + k, sizeof(data) - (size_t)k, "%02x", buf[i]);
	snprintf(data + k, sizeof(data) - (size_t)k, ">");
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "src :: InfiniteSource(DATA %s, TIMESTAMP false, BURST 32)\n"
		 "  -> a :: ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x11/0xFF 0/0 class 0 prio 10\");\n"
		 "a[0] -> c0 :: Counter -> Discard; a[1] -> c1 :: Counter -> Discard;",
		 data);
	tu_eal();
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router_opts o = {.nworkers = 1, .pool_size = 4095};
	struct rt_router *r = rt_router_new(&o, &err);
	assert_non_null(r);
	if (rt_router_load(r, cfg, "test.click", NULL, &err) < 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(err.code, 0);
	assert_int_equal(rt_router_start(r, &err), 0);
	uint32_t updates = 0;
	for (int i = 0; i < 500; i++) {
		/* let some packets through between updates (bounded wait on the counter) */
		uint64_t seen = rd(r, "src.count");
		for (int w = 0; w < 100000 && rd(r, "src.count") < seen + 64; w++)
			;
		assert_int_equal(rt_ctl_write(r, "a.add_rule",
					      "@10.0.0.1/32 0.0.0.0/0 0 : 65535 53 : 53 0x11/0xFF 0/0 class 1 prio 0", &err),
				 0);
		char id[16];
		snprintf(id, sizeof(id), "%d", i + 1);
		seen = rd(r, "src.count");
		for (int w = 0; w < 100000 && rd(r, "src.count") < seen + 64; w++)
			;
		assert_int_equal(rt_ctl_write(r, "a.remove_rule", id, &err), 0);
		updates += 2;
	}
	assert_int_equal(rt_ctl_write(r, "src.active", "false", &err), 0);
	uint64_t sent = 0, got = 0;
	for (int w = 0; w < 1000000; w++) {
		sent = rd(r, "src.count");
		got = rd(r, "c0.count") + rd(r, "c1.count");
		if (sent == got && rd(r, "src.count") == sent)
			break;
	}
	fprintf(stderr, "%u updates, %llu packets: %llu class 0, %llu class 1\n", updates, (unsigned long long)sent,
		(unsigned long long)rd(r, "c0.count"), (unsigned long long)rd(r, "c1.count"));
	assert_int_equal(sent, got);
	assert_true(rd(r, "c0.count") > 0 && rd(r, "c1.count") > 0);
	assert_int_equal(rd(r, "a.nomatch"), 0);
	rt_router_stop(r);
	rt_router_join(r);
	rt_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_updates_under_traffic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
