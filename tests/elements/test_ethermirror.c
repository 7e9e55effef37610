/*
 * test_ethermirror.c - EtherMirror's fast and rare paths: frames of 16
 * bytes and more (the byte shuffle), frames of 14 and 15 bytes (swapped out
 * of line), shorter ones dropped and counted, order kept, and the bytes
 * after the two addresses left alone.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tu.h"

static void test_mirror_lengths(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = tu_router("Idle -> m :: EtherMirror -> s :: TestSink;", NULL);
	/* lengths 60, 13, 14, 15, 16, 60: the 13-byte one is dropped */
	static const uint32_t lens[6] = {60, 13, 14, 15, 16, 60};
	struct rte_mbuf *b[6];
	uint8_t f[60];
	for (int i = 0; i < 6; i++) {
		for (int k = 0; k < 60; k++)
			f[k] = (uint8_t)(k + 16 * i);
		b[i] = tu_pkt(r, f, lens[i]);
	}
	tu_push(r, "m", 0, b, 6);
	assert_int_equal(tu_sink_count(r, "s"), 5);
	assert_int_equal(tu_read_int(r, "m.drops"), 1);
	static const int from[5] = {0, 2, 3, 4, 5};
	for (int j = 0; j < 5; j++) {
		struct rte_mbuf *m = tu_sink_pkt(r, "s", j);
		int i = from[j];
		assert_int_equal(rt_len(m), lens[i]);
		const uint8_t *d = rt_data(m);
		for (int k = 0; k < 6; k++) {
			assert_int_equal(d[k], (uint8_t)(k + 6 + 16 * i));
			assert_int_equal(d[k + 6], (uint8_t)(k + 16 * i));
		}
		for (uint32_t k = 12; k < lens[i]; k++)
			assert_int_equal(d[k], (uint8_t)(k + 16 * i));
	}
	tu_router_free(r);
}

/* A full batch of 64 (the prefetch-ahead loop's bounds). */
static void test_mirror_full_batch(void **st)
{
	(void)st;
	tu_eal();
	struct rt_router *r = tu_router("Idle -> m :: EtherMirror -> s :: TestSink;", NULL);
	struct rte_mbuf *b[RT_BATCH_MAX];
	uint8_t f[60] = {0};
	for (int i = 0; i < RT_BATCH_MAX; i++) {
		memset(f, i, 6);
		memset(f + 6, 0x80 | i, 6);
		b[i] = tu_pkt(r, f, 60);
	}
	tu_push(r, "m", 0, b, RT_BATCH_MAX);
	assert_int_equal(tu_sink_count(r, "s"), RT_BATCH_MAX);
	for (int i = 0; i < RT_BATCH_MAX; i++) {
		const uint8_t *d = rt_data(tu_sink_pkt(r, "s", i));
		assert_int_equal(d[0], 0x80 | i);
		assert_int_equal(d[5], 0x80 | i);
		assert_int_equal(d[6], i);
		assert_int_equal(d[11], i);
	}
	assert_int_equal(tu_read_int(r, "m.drops"), 0);
	tu_router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mirror_lengths),
		cmocka_unit_test(test_mirror_full_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
