/*
 * test_merge.c - merging a chain of classifiers into one rule set
 * (classify/cls_merge.c): for random chains of 2 to 4 overlapping stages,
 * every key's path through the merged set (linear search and the compiled
 * classifier) equals the path the chain gives it stage by stage; the size
 * bound and the priority-order check fail cleanly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tu.h"
#include "acl_util.h"

/* A complete stage: n random rules, classes 0..2, then a wildcard default. */
static struct cls_rule *rand_stage(uint32_t n, uint32_t *count)
{
	struct cls_rule *r = malloc(sizeof(*r) * (n + 1));
	for (uint32_t i = 0; i < n; i++) {
		rand_rule(&r[i], rnd32() % 64, i);
		r[i].cls = rnd32() % 3;
	}
	memset(&r[n], 0, sizeof(r[n]));
	r[n].sport_hi = r[n].dport_hi = 65535;
	r[n].prio = n;
	r[n].cls = rnd32() % 2;
	*count = n + 1;
	return r;
}

static void test_merge_property(void **st)
{
	(void)st;
	uint32_t nk = 20000;
	struct cls_key *keys = malloc(sizeof(*keys) * nk);
	uint32_t *ids = malloc(sizeof(*ids) * nk), *cls = malloc(sizeof(*cls) * nk);
	uint32_t exits[4] = {0}; /* packets leaving at each stage, over all rounds */
	for (int round = 0; round < 12; round++) {
		int nst = 2 + round % 3;
		struct cls_stage stg[4];
		struct cls_rule *mem[4];
		for (int s = 0; s < nst; s++) {
			mem[s] = rand_stage(20 + rnd32() % 40, &stg[s].n);
			stg[s].rules = mem[s];
			stg[s].pass = 0;
		}
		struct cls_ruleset m;
		cls_ruleset_init(&m);
		struct rt_err err;
		rt_err_clear(&err);
		assert_int_equal(cls_merge_chain(stg, nst, 1u << 22, &m, &err), 0);
		rand_keys(keys, nk / 2);
		cls_gen_trace(m.r, m.n, nk / 2, 0, (uint64_t)round, keys + nk / 2);
		struct cls_acl *a = NULL;
		assert_int_equal(cls_acl_build(m.r, m.n, NULL, &a, &err), 0);
		cls_acl_lookup(a, keys, nk, ids, cls);
		for (uint32_t i = 0; i < nk; i++) {
			uint32_t want = cls_chain_path(stg, nst, &keys[i]);
			uint32_t lin = cls_linear_lookup(m.r, m.n, &keys[i]);
			assert_int_not_equal(lin, CLS_NOMATCH); /* complete stages: every key has a path */
			assert_int_equal(m.r[lin].cls, want);
			assert_int_equal(cls[i], want);
			exits[CLS_PATH_STAGE(want)]++;
		}
		cls_acl_free(a);
		cls_ruleset_free(&m);
		for (int s = 0; s < nst; s++)
			free(mem[s]);
	}
	fprintf(stderr, "packets leaving at stage 0..3: %u %u %u %u\n", exits[0], exits[1], exits[2], exits[3]);
	/* packets leave at every stage: the property is not trivially met */
	assert_true(exits[0] && exits[1] && exits[2] && exits[3]);
	free(keys);
	free(ids);
	free(cls);
}

static void test_merge_errors(void **st)
{
	(void)st;
	struct cls_stage stg[2];
	struct cls_rule *a = rand_stage(50, &stg[0].n), *b = rand_stage(50, &stg[1].n);
	stg[0].rules = a, stg[0].pass = 0;
	stg[1].rules = b, stg[1].pass = 0;
	struct cls_ruleset m;
	cls_ruleset_init(&m);
	struct rt_err err;
	rt_err_clear(&err);
	assert_int_equal(cls_merge_chain(stg, 2, 10, &m, &err), -E2BIG);
	assert_string_equal(err.msg, "merged chain exceeds 10 rules");
	assert_int_equal(m.n, 0);
	b[3].prio = 1000;
	rt_err_clear(&err);
	assert_int_equal(cls_merge_chain(stg, 2, 1000000, &m, &err), -EINVAL);
	assert_string_equal(err.msg, "stage 1: rules not in priority order (rule 4)");
	free(a);
	free(b);
	cls_ruleset_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_property),
		cmocka_unit_test(test_merge_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
