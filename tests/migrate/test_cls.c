/*
 * test_cls.c - the big classifier on every placement (migrate/mig_cls.h,
 * kernels/cls.h, ACLClassifier's PLACEMENT): the flat form's lookup against
 * brute force and the cpu's tuple merge for random and generated
 * (ClassBench-like) rule sets; the same on opencl (PoCL) and cuda, byte for
 * byte; the canonical form's serialisation and its checks; the element's
 * output identical on cpu and opencl; rule changes while on opencl; moves
 * with packets held; a device lost mid-run falling back to the cpu.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"
#include "mig_tu.h"
#include "mig.h"
#include "migrate/mig_cls.h"
#include "mig_offload.h"

/* ---- helpers -------------------------------------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng_state >> 33);
}

/* Random rules of every shape: prefixes of any length in a few networks (so
 * they nest), exact ports, ranges and wildcards, protocol exact or any,
 * TCP flag tests, priorities with ties, classes 0..nclass-1. */
static void random_rules(uint32_t n, uint32_t nclass, struct cls_ruleset *out)
{
	static const uint32_t nets[] = {0x0a000000, 0x0a010000, 0xc0a80000, 0xac100000, 0x08080800};
	for (uint32_t i = 0; i < n; i++) {
		struct cls_rule r = {0};
		r.slen = (uint8_t)(rnd() % 33);
		r.dlen = (uint8_t)(rnd() % 33);
		r.src = (nets[rnd() % 5] | (rnd() & 0x3ff)) & cls_pfx_mask(r.slen);
		r.dst = (nets[rnd() % 5] | (rnd() & 0x3ff)) & cls_pfx_mask(r.dlen);
		for (int p = 0; p < 2; p++) {
			uint16_t lo, hi;
			switch (rnd() % 4) {
			case 0: lo = 0, hi = 65535; break;
			case 1: lo = hi = (uint16_t)(rnd() % 1100); break;
			case 2: lo = (uint16_t)(rnd() % 1024), hi = (uint16_t)(lo + rnd() % 2000); break;
			default: lo = 1024, hi = 65535;
			}
			if (p)
				r.dport_lo = lo, r.dport_hi = hi;
			else
				r.sport_lo = lo, r.sport_hi = hi;
		}
		switch (rnd() % 3) {
		case 0: r.proto = 0, r.proto_mask = 0; break;
		case 1: r.proto = 6, r.proto_mask = 0xff; break;
		default: r.proto = 17, r.proto_mask = 0xff;
		}
		if (rnd() % 5 == 0)
			r.flags_mask = 0x1200, r.flags = rnd() % 2 ? 0x0200 : 0x1000;
		r.prio = rnd() % (n / 2 + 1); /* ties: the lower id wins */
		r.cls = rnd() % nclass;
		cls_ruleset_push(out, &r);
	}
}

/* Keys in and around the rules, and some fully random. */
static void random_keys(const struct cls_rule *rules, uint32_t nr, uint32_t n, struct cls_key *k)
{
	cls_gen_trace(rules, nr, n, 10, rnd(), k);
	for (uint32_t i = 0; i < n; i += 7) { /* perturb: edges of ranges, other flags */
		k[i].flags = (uint16_t)((rnd() % 4) << 11 | (rnd() % 2) << 9);
		if (i % 3 == 0)
			k[i].sport = (uint16_t)(rnd() % 2 ? 1023 : 1024);
	}
}

static void set_of(const struct cls_rule *r, uint32_t n, struct mig_cls_set *s)
{
	struct rt_err err;
	rt_err_clear(&err);
	mig_cls_set_init(s);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(mig_cls_set_put(s, i, &r[i], &err), 0);
}

/* The flat form's lookup (as C) against brute force and the cpu's tuple
 * merge, for every key; returns how many matched a rule. */
static uint32_t check_flat(const struct cls_rule *rules, uint32_t nr, const struct cls_key *keys, uint32_t nk)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_cls_set s;
	set_of(rules, nr, &s);
	struct mig_cls_flat *f;
	assert_int_equal(mig_cls_flat_build(&s, &f, &err), 0);
	assert_true(f->ntab <= 16);
	struct cls_acl *a;
	assert_int_equal(cls_acl_build(rules, nr, NULL, &a, &err), 0);
	uint32_t *rec = malloc(16ull * nk), *out = malloc(8ull * nk), *ids = malloc(4ull * nk), *cls = malloc(4ull * nk);
	for (uint32_t i = 0; i < nk; i++)
		mig_cls_key_rec(&keys[i], rec + 4 * i);
	mig_cls_lookup_batch(f, rec, out, nk);
	cls_acl_lookup(a, keys, nk, ids, cls);
	uint32_t matched = 0;
	for (uint32_t i = 0; i < nk; i++) {
		uint32_t want = cls_linear_lookup(rules, nr, &keys[i]);
		if (out[2 * i] != want || ids[i] != want)
			fail_msg("key %u: flat %u, tuple merge %u, brute force %u", i, out[2 * i], ids[i], want);
		assert_int_equal(out[2 * i + 1], want == CLS_NOMATCH ? MIG_CLS_NONE : rules[want].cls);
		assert_int_equal(cls[i], out[2 * i + 1]);
		matched += want != CLS_NOMATCH;
	}
	free(rec), free(out), free(ids), free(cls);
	cls_acl_free(a);
	mig_cls_flat_free(f);
	mig_cls_set_free(&s);
	return matched;
}

static void test_flat_random(void **st)
{
	rng_state = 11;
	for (int round = 0; round < 6; round++) {
		struct cls_ruleset rs;
		cls_ruleset_init(&rs);
		random_rules(round == 0 ? 1 : 50u << round, 5, &rs);
		if (round == 0) /* one rule the trace can hit (it leaves TCP flags 0) */
			rs.r[0].flags = rs.r[0].flags_mask = 0;
		enum { NK = 20000 };
		struct cls_key *k = malloc(sizeof(*k) * NK);
		random_keys(rs.r, rs.n, NK, k);
		uint32_t m = check_flat(rs.r, rs.n, k, NK);
		print_message("rules %u: %u of %u keys matched\n", rs.n, m, NK);
		assert_true(m > NK / 4 && (round == 0 || m < NK)); /* both outcomes exercised */
		free(k);
		cls_ruleset_free(&rs);
	}
	/* no rules: nothing matches */
	struct cls_key k = {1, 2, 3, 4, 6, 0, 0};
	assert_int_equal(check_flat(NULL, 0, &k, 1), 0);
}

static void test_flat_generated(void **st)
{
	rng_state = 5;
	for (int shape = CLS_SHAPE_ACL; shape <= CLS_SHAPE_IPC; shape++) {
		struct cls_ruleset rs;
		cls_ruleset_init(&rs);
		cls_gen_rules((enum cls_shape)shape, 2000, 8, 100 + (uint64_t)shape, &rs);
		enum { NK = 20000 };
		struct cls_key *k = malloc(sizeof(*k) * NK);
		random_keys(rs.r, rs.n, NK, k);
		uint32_t m = check_flat(rs.r, rs.n, k, NK);
		assert_true(m > NK / 2);
		free(k);
		cls_ruleset_free(&rs);
	}
}

/* Ids with gaps (removed rules) keep their ids in the flat form. */
static void test_flat_gaps(void **st)
{
	struct rt_err err;
	rt_err_clear(&err);
	rng_state = 3;
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	random_rules(400, 3, &rs);
	struct mig_cls_set s;
	mig_cls_set_init(&s);
	struct cls_ruleset live; /* the live rules, for brute force, and their ids */
	cls_ruleset_init(&live);
	uint32_t *idof = malloc(4 * 400);
	for (uint32_t i = 0; i < rs.n; i++)
		if (i % 3) {
			assert_int_equal(mig_cls_set_put(&s, i * 2, &rs.r[i], &err), 0);
			idof[live.n] = i * 2;
			cls_ruleset_push(&live, &rs.r[i]);
		}
	/* ties on prio are broken by id: ids grow with the index, as they do in live */
	struct mig_cls_flat *f;
	assert_int_equal(mig_cls_flat_build(&s, &f, &err), 0);
	assert_int_equal(f->nrule, live.n);
	enum { NK = 5000 };
	struct cls_key k[NK];
	random_keys(rs.r, rs.n, NK, k);
	for (uint32_t i = 0; i < NK; i++) {
		uint32_t rec[4], out[2];
		mig_cls_key_rec(&k[i], rec);
		mig_cls_lookup_batch(f, rec, out, 1);
		uint32_t want = cls_linear_lookup(live.r, live.n, &k[i]);
		assert_int_equal(out[0], want == CLS_NOMATCH ? MIG_CLS_NONE : idof[want]);
	}
	/* a key marked as not IPv4 matches nothing, even a wildcard */
	struct cls_rule any = {.sport_hi = 65535, .dport_hi = 65535, .prio = 0};
	assert_int_equal(mig_cls_set_put(&s, 1, &any, &err), 0);
	mig_cls_flat_free(f);
	assert_int_equal(mig_cls_flat_build(&s, &f, &err), 0);
	uint32_t rec[4], out[2];
	mig_cls_key_rec(&k[0], rec);
	mig_cls_lookup_batch(f, rec, out, 1);
	assert_int_equal(out[0], 1);
	mig_cls_key_rec(NULL, rec);
	mig_cls_lookup_batch(f, rec, out, 1);
	assert_int_equal(out[0], MIG_CLS_NONE);
	assert_int_equal(out[1], MIG_CLS_NONE);
	mig_cls_flat_free(f);
	mig_cls_set_free(&s);
	cls_ruleset_free(&rs);
	cls_ruleset_free(&live);
	free(idof);
}

/* ---- the canonical form ------------------------------------------------------------ */

static void test_serialise(void **st)
{
	struct rt_err err;
	rt_err_clear(&err);
	rng_state = 9;
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	random_rules(300, 4, &rs);
	struct mig_cls_set s, back;
	mig_cls_set_init(&s);
	mig_cls_set_init(&back);
	for (uint32_t i = 0; i < rs.n; i++)
		if (i % 5)
			assert_int_equal(mig_cls_set_put(&s, i, &rs.r[i], &err), 0);
	s.version = 42;
	void *buf, *buf2;
	size_t len, len2;
	assert_int_equal(mig_cls_serialise(&s, &buf, &len, &err), 0);
	assert_int_equal(mig_cls_deserialise(buf, len, &back, &err), 0);
	assert_int_equal(back.nid, s.nid);
	assert_int_equal(back.nlive, s.nlive);
	assert_int_equal(back.version, 42);
	assert_int_equal(mig_cls_set_checksum(&back), mig_cls_set_checksum(&s));
	assert_int_equal(mig_cls_serialise(&back, &buf2, &len2, &err), 0);
	assert_int_equal(len2, len);
	assert_memory_equal(buf2, buf, len); /* same rules, same version: same bytes */
	free(buf2);
	/* the checksum is of the content: another rule changes it */
	struct cls_rule r0 = rs.r[1];
	r0.cls ^= 1;
	assert_int_equal(mig_cls_set_put(&back, 1, &r0, &err), 0);
	assert_int_not_equal(mig_cls_set_checksum(&back), mig_cls_set_checksum(&s));
	/* damage: every error says what and where, and the set is untouched */
	uint8_t *p = buf;
	p[100] ^= 4;
	assert_int_equal(mig_cls_deserialise(buf, len, &back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "checksum mismatch: CRC32C of bytes 0-"));
	assert_int_equal(back.version, 42);
	p[100] ^= 4;
	rt_err_clear(&err);
	assert_int_equal(mig_cls_deserialise(buf, len - 36, &back, &err), -EINVAL);
	rt_err_clear(&err);
	assert_int_equal(mig_cls_deserialise(buf, 20, &back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "too short for a header"));
	rt_err_clear(&err);
	p[0] = 'X';
	assert_int_equal(mig_cls_deserialise(buf, len, &back, &err), -EINVAL);
	assert_string_equal(err.msg, "cls: deserialise: byte 0: not a rule set (bad magic)");
	p[0] = 'M';
	/* an id space no rule set has (a damaged header whose CRC was redone) */
	rt_err_clear(&err);
	p[19] = 0x7f;
	uint32_t crc0 = mig_crc32c(0, p, len - 4), keep;
	memcpy(&keep, p + len - 4, 4);
	memcpy(p + len - 4, &crc0, 4);
	assert_int_equal(mig_cls_deserialise(buf, len, &back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "byte 16: an id space of "));
	p[19] = 0;
	memcpy(p + len - 4, &keep, 4);
	/* a well-formed buffer with a bad rule: host bits past a /8 */
	rt_err_clear(&err);
	p[32 + 12] = 8; /* slen 8 */
	p[32 + 4] = 1;  /* low address byte set */
	uint32_t crc = mig_crc32c(0, p, len - 4);
	memcpy(p + len - 4, &crc, 4);
	assert_int_equal(mig_cls_deserialise(buf, len, &back, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "byte 32: rule 1: address bits set past the prefix length"));
	free(buf);
	mig_cls_set_free(&s);
	mig_cls_set_free(&back);
	cls_ruleset_free(&rs);
}

/* ---- devices ------------------------------------------------------------------------ */

/* The cls_lookup kernel on a device against the C build, byte for byte. */
static void device_identical(enum mig_kind kind)
{
	struct rt_err err;
	rt_err_clear(&err);
	struct mig_dev *d;
	struct mig_prog *p;
	struct mig_kernel *kn;
	struct mig_queue *q;
	assert_int_equal(mig_dev_open(kind, &d, &err), 0);
	assert_int_equal(mig_prog_build(d, "cls", &p, &err), 0);
	assert_int_equal(mig_kernel_get(p, "cls_lookup", &kn, &err), 0);
	assert_int_equal(mig_queue_open(d, &q, &err), 0);
	rng_state = 77;
	for (int set = 0; set < 4; set++) {
		struct cls_ruleset rs;
		cls_ruleset_init(&rs);
		if (set == 0)
			random_rules(1500, 6, &rs);
		else
			cls_gen_rules((enum cls_shape)(set - 1), 3000, 6, 7 + (uint64_t)set, &rs);
		struct mig_cls_set s;
		set_of(rs.r, rs.n, &s);
		struct mig_cls_flat *f;
		assert_int_equal(mig_cls_flat_build(&s, &f, &err), 0);
		enum { NK = 30000 };
		struct cls_key *k = malloc(sizeof(*k) * NK);
		random_keys(rs.r, rs.n, NK, k);
		uint32_t *rec = mig_host_alloc(d, 16 * NK), *out = mig_host_alloc(d, 8 * NK), *want = malloc(8 * NK);
		for (uint32_t i = 0; i < NK; i++)
			mig_cls_key_rec(i % 97 ? &k[i] : NULL, rec + 4 * i);
		mig_cls_lookup_batch(f, rec, want, NK);
		struct mig_mem *dw, *dk, *dout;
		assert_int_equal(mig_mem_alloc(d, mig_cls_flat_bytes(f), &dw, &err), 0);
		assert_int_equal(mig_mem_write(dw, 0, f->w, mig_cls_flat_bytes(f), &err), 0);
		assert_int_equal(mig_mem_alloc(d, 16 * NK, &dk, &err), 0);
		assert_int_equal(mig_mem_alloc(d, 8 * NK, &dout, &err), 0);
		memset(out, 0xab, 8 * NK);
		struct mig_job j = {.k = kn, .n = NK, .nargs = 4, .nin = 1, .nout = 1};
		j.args[0] = MIG_MEM(dw);
		j.args[1] = MIG_MEM(dk);
		j.args[2] = MIG_MEM(dout);
		j.args[3] = MIG_U32(NK);
		j.in[0] = (struct mig_copy){dk, 0, 16 * NK, rec};
		j.out[0] = (struct mig_copy){dout, 0, 8 * NK, out};
		assert_int_equal(mig_job_submit(q, &j), 0);
		assert_int_equal(mig_job_wait(q, &j), 1);
		assert_memory_equal(out, want, 8 * NK);
		uint32_t matched = 0;
		for (uint32_t i = 0; i < NK; i++)
			matched += want[2 * i] != MIG_CLS_NONE;
		assert_true(matched > NK / 4);
		mig_mem_free(dw), mig_mem_free(dk), mig_mem_free(dout);
		mig_host_free(d, rec), mig_host_free(d, out);
		free(want), free(k);
		mig_cls_flat_free(f);
		mig_cls_set_free(&s);
		cls_ruleset_free(&rs);
	}
	mig_queue_close(q);
	mig_kernel_free(kn);
	mig_prog_free(p);
	mig_dev_close(d);
}

static void test_opencl_identical(void **st)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	device_identical(MIG_OPENCL);
}

static void test_cuda_identical(void **st)
{
	if (!mig_tu_have(MIG_CUDA))
		skip();
	device_identical(MIG_CUDA);
}

/* ---- the element ------------------------------------------------------------------------ */

/* An IPv4 packet (header at the start of the data) with k's fields. */
static struct rte_mbuf *pkt(struct rt_router *r, const struct cls_key *k, uint64_t seq)
{
	uint8_t b[60] = {0};
	b[0] = 0x45;
	b[3] = 60;
	b[8] = 64;
	b[9] = k->proto;
	for (int i = 0; i < 4; i++) {
		b[12 + i] = (uint8_t)(k->src >> (24 - 8 * i));
		b[16 + i] = (uint8_t)(k->dst >> (24 - 8 * i));
	}
	b[20] = (uint8_t)(k->sport >> 8), b[21] = (uint8_t)k->sport;
	b[22] = (uint8_t)(k->dport >> 8), b[23] = (uint8_t)k->dport;
	b[33] = (uint8_t)(k->flags >> 8);
	if (seq % 50 == 49)
		b[0] = 0x60; /* not IPv4: NOMATCH */
	struct rte_mbuf *m = tu_pkt(r, b, 60);
	rt_anno(m)->seq = seq;
	return m;
}

/* The output each packet should take (4: NOMATCH), by brute force. */
static int expect_port(const struct cls_rule *rules, uint32_t n, const struct cls_key *k, uint64_t seq)
{
	if (seq % 50 == 49)
		return 4;
	uint8_t b[60];
	struct cls_key pk;
	memset(b, 0, sizeof(b));
	b[0] = 0x45, b[9] = k->proto;
	for (int i = 0; i < 4; i++)
		b[12 + i] = (uint8_t)(k->src >> (24 - 8 * i)), b[16 + i] = (uint8_t)(k->dst >> (24 - 8 * i));
	b[20] = (uint8_t)(k->sport >> 8), b[21] = (uint8_t)k->sport, b[22] = (uint8_t)(k->dport >> 8), b[23] = (uint8_t)k->dport;
	b[33] = (uint8_t)(k->flags >> 8);
	assert_true(cls_key_from_ip(b, 60, &pk));
	uint32_t w = cls_linear_lookup(rules, n, &pk);
	return w == CLS_NOMATCH ? 4 : (int)rules[w].cls;
}

static char rule_path[64];

static void write_rules(const struct cls_ruleset *rs)
{
	snprintf(rule_path, sizeof(rule_path), "/tmp/mbx_clsXXXXXX");
	int fd = mkstemp(rule_path);
	FILE *fp = fdopen(fd, "w");
	struct rt_buf b;
	rt_buf_init(&b);
	for (uint32_t i = 0; i < rs->n; i++) {
		cls_rule_unparse(&rs->r[i], &b);
		rt_buf_puts(&b, "\n");
	}
	fputs(b.p, fp);
	fclose(fp);
	rt_buf_free(&b);
}

static struct rt_router *acl_router(const char *placement, const char *extra)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "Idle -> a :: ACLClassifier(FILE %s, NOMATCH 4, PLACEMENT %s%s);\n"
		 "a[0] -> o0 :: TestSink; a[1] -> o1 :: TestSink; a[2] -> o2 :: TestSink; a[3] -> o3 :: TestSink;"
		 " a[4] -> o4 :: TestSink;\n",
		 rule_path, placement, extra);
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router *r = tu_router(cfg, &err);
	if (!r)
		fail_msg("%s", err.msg);
	return r;
}

static long long total_out(struct rt_router *r)
{
	long long t = 0;
	for (int o = 0; o < 5; o++) {
		char sink[4] = {'o', (char)('0' + o), 0};
		t += tu_sink_count(r, sink);
	}
	return t;
}

static void drain(struct rt_router *r, long long want)
{
	for (int i = 0; i < 3000 && total_out(r) < want; i++) {
		tu_run_tasks(r, 5);
		usleep(1000);
	}
	assert_int_equal(total_out(r), want);
}

/* Each packet's port by seq, checking order per output. */
static void ports_by_seq(struct rt_router *r, int *port, int n)
{
	for (int i = 0; i < n; i++)
		port[i] = -1;
	for (int o = 0; o < 5; o++) {
		char sink[4] = {'o', (char)('0' + o), 0};
		uint64_t last = 0;
		for (int i = 0; i < tu_sink_count(r, sink); i++) {
			uint64_t seq = rt_anno(tu_sink_pkt(r, sink, i))->seq;
			assert_true(i == 0 || seq > last); /* order kept per output */
			assert_true(seq < (uint64_t)n);
			assert_int_equal(port[seq], -1);
			last = seq;
			port[seq] = o;
		}
	}
}

/* Generated rules, generated traffic: every packet leaves by the output
 * brute force gives, on cpu, on opencl and (where a GPU answers) on cuda. */
static void test_element_identical(void **st)
{
	static const enum mig_kind kinds[] = {MIG_CPU, MIG_OPENCL, MIG_CUDA};
	bool have[3] = {true, mig_tu_have(MIG_OPENCL), mig_tu_have(MIG_CUDA)};
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	cls_gen_rules(CLS_SHAPE_ACL, 1000, 4, 21, &rs);
	write_rules(&rs);
	enum { N = 4000 };
	struct cls_key *k = malloc(sizeof(*k) * N);
	rng_state = 31;
	random_keys(rs.r, rs.n, N, k);
	static int port[3][N];
	for (int c = 0; c < 3; c++) {
		if (!have[c])
			continue;
		const char *name = mig_kind_name(kinds[c]);
		struct rt_router *r = acl_router(name, ", BATCH 512, LATENCY 1ms");
		for (int i = 0; i < N; i++)
			tu_push1(r, "a", 0, pkt(r, &k[i], (uint64_t)i));
		drain(r, N);
		ports_by_seq(r, port[c], N);
		if (c) {
			char want[64];
			snprintf(want, sizeof(want), "placement %s batch 512", name);
			assert_non_null(strstr(tu_read(r, "a.offload"), want));
			assert_non_null(strstr(tu_read(r, "a.stats"), "device_tables "));
		}
		assert_int_equal(tu_read_int(r, "a.count") + tu_read_int(r, "a.nomatch"), N);
		tu_router_free(r);
	}
	int matched = 0;
	for (int i = 0; i < N; i++) {
		assert_int_equal(port[0][i], expect_port(rs.r, rs.n, &k[i], (uint64_t)i));
		for (int c = 1; c < 3; c++)
			if (have[c])
				assert_int_equal(port[c][i], port[0][i]);
		matched += port[0][i] != 4;
	}
	assert_true(matched > N / 2 && matched < N);
	unlink(rule_path);
	free(k);
	cls_ruleset_free(&rs);
}

static void push_wait(struct rt_router *r, const struct cls_key *k, uint64_t seq)
{
	long long before = total_out(r);
	tu_push1(r, "a", 0, pkt(r, k, seq));
	drain(r, before + 1);
}

static int last_port(struct rt_router *r, uint64_t seq)
{
	for (int o = 0; o < 5; o++) {
		char sink[4] = {'o', (char)('0' + o), 0};
		int n = tu_sink_count(r, sink);
		if (n && rt_anno(tu_sink_pkt(r, sink, n - 1))->seq == seq)
			return o;
	}
	return -1;
}

/* Rules added and removed while on opencl reach the device; the rules, ids
 * and checksum move with the element both ways. */
static void test_updates_on_opencl(void **st)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_err err;
	rt_err_clear(&err);
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	assert_int_equal(cls_ruleset_parse(&rs,
					   "@10.0.0.0/8 0.0.0.0/0 0 : 65535 0 : 65535 0x06/0xFF 0x0000/0x0000 class 1 prio 10\n"
					   "@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000 class 0 prio 20\n",
					   "rules", &err),
			 0);
	write_rules(&rs);
	struct rt_router *r = acl_router("cpu", ", BATCH 1, LATENCY 0");
	assert_int_equal(tu_write(r, "a.add_rule", "@10.1.0.0/16 0.0.0.0/0 0 : 65535 80 : 80 0x06/0xFF 0x0000/0x0000 class 2 prio 0", &err), 0);
	char sum[64];
	const char *st0 = strstr(tu_read(r, "a.stats"), "checksum ");
	snprintf(sum, sizeof(sum), "%.17s", st0);
	assert_int_equal(rt_ctl_migrate(r, "a", "opencl", NULL, &err), 0);
	assert_string_equal(tu_read(r, "a.placement"), "opencl\n");
	assert_non_null(strstr(tu_read(r, "a.stats"), sum)); /* the same rules, ids included */
	struct cls_key web = {0x0a010203, 0x01020304, 5555, 80, 6, 0, 0}, other = web;
	other.dport = 81;
	push_wait(r, &web, 0);
	assert_int_equal(last_port(r, 0), 2);
	push_wait(r, &other, 1);
	assert_int_equal(last_port(r, 1), 1);
	/* changed on the device */
	assert_int_equal(tu_write(r, "a.add_rule", "@10.1.2.0/24 0.0.0.0/0 0 : 65535 81 : 81 0x06/0xFF 0x0000/0x0000 class 3 prio 0", &err), 0);
	assert_string_equal(tu_read(r, "a.placement"), "opencl\n");
	push_wait(r, &other, 2);
	assert_int_equal(last_port(r, 2), 3);
	assert_non_null(strstr(tu_read(r, "a.rules"), "3\t@10.1.2.0/24"));
	assert_int_equal(tu_write(r, "a.remove_rule", "2", &err), 0); /* the /16 port 80 rule */
	push_wait(r, &web, 3);
	assert_int_equal(last_port(r, 3), 1);
	assert_true(tu_write(r, "a.remove_rule", "2", &err) < 0);
	assert_non_null(strstr(err.msg, "no rule 2"));
	rt_err_clear(&err);
	assert_true(tu_write(r, "a.add_rule", "@10.1.2.0/24 0.0.0.0/0 0 : 65535 81 : 81 0x06/0xFF 0x0000/0x0000 class 7", &err) < 0);
	assert_non_null(strstr(err.msg, "class 7 but there are only 5 outputs"));
	rt_err_clear(&err);
	assert_string_equal(tu_read(r, "a.placement"), "opencl\n");
	/* a device that cannot be reloaded: refused, nothing changed */
	const char *before = strstr(tu_read(r, "a.stats"), "version ");
	char ver[64];
	snprintf(ver, sizeof(ver), "%.30s", before);
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_BUILD, 0);
	assert_true(tu_write(r, "a.add_rule", "@10.1.2.0/24 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000 class 0 prio 0", &err) < 0);
	assert_non_null(strstr(err.msg, "add_rule: the opencl device could not be reloaded, nothing changed: "));
	rt_err_clear(&err);
	assert_true(tu_write(r, "a.remove_rule", "3", &err) < 0);
	assert_non_null(strstr(err.msg, "remove_rule: the opencl device could not be reloaded, nothing changed: "));
	rt_err_clear(&err);
	mig_fault_inject(MIG_OPENCL, 0, 0);
	assert_non_null(strstr(tu_read(r, "a.stats"), ver)); /* same version, same checksum */
	assert_null(strstr(tu_read(r, "a.rules"), "\n4\t"));
	push_wait(r, &other, 5);
	assert_int_equal(last_port(r, 5), 3); /* rule 3 still there */
	/* back to the cpu: ids kept (rule 3 still 3, 2 still gone) */
	assert_int_equal(rt_ctl_migrate(r, "a", "cpu", NULL, &err), 0);
	const char *rules = tu_read(r, "a.rules");
	assert_non_null(strstr(rules, "3\t@10.1.2.0/24"));
	assert_null(strstr(rules, "2\t@10.1.0.0/16"));
	push_wait(r, &other, 4);
	assert_int_equal(last_port(r, 4), 3);
	assert_int_equal(tu_read_int(r, "a.count"), 6); /* counters move too */
	assert_non_null(strstr(tu_read(r, "a.placements"), "opencl available packets 5 "));
	/* the highest id removed, then a move and an add: ids are never given twice */
	assert_int_equal(tu_write(r, "a.remove_rule", "3", &err), 0);
	assert_int_equal(rt_ctl_migrate(r, "a", "opencl", NULL, &err), 0);
	assert_int_equal(tu_write(r, "a.add_rule", "@10.9.0.0/16 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000 class 2", &err), 0);
	rules = tu_read(r, "a.rules");
	assert_non_null(strstr(rules, "\n4\t@10.9.0.0/16"));
	assert_null(strstr(rules, "\n3\t"));
	tu_router_free(r);
	unlink(rule_path);
	cls_ruleset_free(&rs);
}

/* Moves with packets held in a filling batch (LATENCY 1s): cpu -> opencl
 * -> cpu -> opencl, nothing lost, order and results kept. */
static void test_migrate_held(void **st)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct rt_err err;
	rt_err_clear(&err);
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	cls_gen_rules(CLS_SHAPE_FW, 500, 4, 4, &rs);
	write_rules(&rs);
	enum { N = 4000 };
	struct cls_key *k = malloc(sizeof(*k) * N);
	rng_state = 8;
	random_keys(rs.r, rs.n, N, k);
	struct rt_router *r = acl_router("cpu", ", BATCH 256, LATENCY 1s");
	const char *where[] = {"opencl", "cpu", "opencl", "cpu", "opencl"};
	int i = 0;
	for (int step = 0; step < 5; step++) {
		for (int end = i + 700; i < end; i++)
			tu_push1(r, "a", 0, pkt(r, &k[i], (uint64_t)i));
		if (step % 2 == 0)
			assert_true(mig_off_held(mig_off_of(rt_router_find(r, "a"))) == 0); /* cpu holds nothing */
		assert_int_equal(rt_ctl_migrate(r, "a", where[step], NULL, &err), 0);
	}
	for (; i < N; i++)
		tu_push1(r, "a", 0, pkt(r, &k[i], (uint64_t)i));
	assert_true(mig_off_held(mig_off_of(rt_router_find(r, "a"))) > 0); /* on opencl: a batch filling */
	assert_int_equal(rt_ctl_migrate(r, "a", "cpu", NULL, &err), 0);
	drain(r, N);
	static int port[N];
	ports_by_seq(r, port, N);
	for (int j = 0; j < N; j++)
		assert_int_equal(port[j], expect_port(rs.r, rs.n, &k[j], (uint64_t)j));
	tu_router_free(r);
	unlink(rule_path);
	free(k);
	cls_ruleset_free(&rs);
}

/* The device is lost after a few jobs: the element finishes on the cpu,
 * every packet out, in order, with the right output, and it says so. */
static void test_device_lost(void **st)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	cls_gen_rules(CLS_SHAPE_IPC, 800, 4, 12, &rs);
	write_rules(&rs);
	enum { N = 64 * 8 + 13 };
	struct cls_key *k = malloc(sizeof(*k) * N);
	rng_state = 17;
	random_keys(rs.r, rs.n, N, k);
	struct rt_router *r = acl_router("opencl", ", BATCH 64, LATENCY 1s");
	mig_fault_inject(MIG_OPENCL, MIG_FAULT_LOST, 3);
	for (int i = 0; i < N; i++)
		tu_push1(r, "a", 0, pkt(r, &k[i], (uint64_t)i));
	for (int i = 0; i < 300 && total_out(r) < N; i++) {
		tu_run_tasks(r, 5);
		usleep(1000);
	}
	mig_fault_inject(MIG_OPENCL, 0, 0);
	assert_int_equal(total_out(r), N); /* the last 13 went straight to the cpu */
	static int port[N];
	ports_by_seq(r, port, N);
	for (int j = 0; j < N; j++)
		assert_int_equal(port[j], expect_port(rs.r, rs.n, &k[j], (uint64_t)j));
	assert_non_null(strstr(tu_read(r, "a.placement"), "cpu (fell back from opencl: the device failed mid-batch"));
	assert_non_null(strstr(tu_read(r, "a.offload"), "fallbacks 1 "));
	tu_router_free(r);
	unlink(rule_path);
	free(k);
	cls_ruleset_free(&rs);
}

/* ---- migrations under traffic ------------------------------------------------------------ */

/* 16 flows (the aggregate annotation TestSeqSource sets), each with its own
 * 5-tuple and the output brute force gives it. */
#define STRESS_FLOWS 16
static struct cls_key g_keys[STRESS_FLOWS];
static int g_expect[STRESS_FLOWS];

/* TestClsStamp: writes flow f's IPv4 header into each packet. */
static void stamp_push(struct el_node *n, int port, struct rt_batch *b)
{
	(void)port;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		const struct cls_key *k = &g_keys[rt_anno(m)->aggregate % STRESS_FLOWS];
		uint8_t *d = rt_data(m);
		d[0] = 0x45, d[3] = 60, d[8] = 64, d[9] = k->proto;
		for (int j = 0; j < 4; j++)
			d[12 + j] = (uint8_t)(k->src >> (24 - 8 * j)), d[16 + j] = (uint8_t)(k->dst >> (24 - 8 * j));
		d[20] = (uint8_t)(k->sport >> 8), d[21] = (uint8_t)k->sport;
		d[22] = (uint8_t)(k->dport >> 8), d[23] = (uint8_t)k->dport;
		d[33] = (uint8_t)(k->flags >> 8);
	}
	el_output(n, 0, b);
}

static struct el_class testclsstamp = {
	.name = "TestClsStamp",
	.summary = "writes a flow's IPv4 5-tuple into its packets, for tests",
	.ports = "1/1",
	.push = stamp_push,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(testclsstamp)

/* TestClsCheck: input p takes ACLClassifier's output p; counts packets that
 * came out where brute force says, and the others. */
struct clschk {
	uint64_t good, bad;
};

static void clschk_push(struct el_node *n, int port, struct rt_batch *b)
{
	struct clschk *s = n->state;
	uint64_t good = 0;
	for (uint32_t i = 0; i < b->n; i++)
		good += g_expect[rt_anno(b->pkts[i])->aggregate % STRESS_FLOWS] == port;
	__atomic_fetch_add(&s->good, good, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->bad, b->n - good, __ATOMIC_RELAXED);
	el_output(n, 0, b);
}

static int clschk_read(struct el *e, intptr_t what, struct rt_buf *out)
{
	struct clschk *s = e->state;
	rt_buf_printf(out, "%llu", (unsigned long long)__atomic_load_n(what ? &s->bad : &s->good, __ATOMIC_RELAXED));
	return 0;
}

static const struct el_handler clschk_handlers[] = {
	{"good", clschk_read, NULL, 0, 0, "packets out of the right output"},
	{"bad", clschk_read, NULL, 1, 0, "packets out of another output"},
	EL_HANDLERS_END,
};

static struct el_class testclscheck = {
	.name = "TestClsCheck",
	.summary = "checks ACLClassifier's output ports against brute force, for tests",
	.ports = "5/1",
	.state_size = sizeof(struct clschk),
	.push = clschk_push,
	.handlers = clschk_handlers,
	.flags = EL_C_NOARGS,
};
EL_REGISTER(testclscheck)

/* Traffic at full speed on 2 workers while the classifier moves cpu ->
 * opencl -> cpu 30 times: every packet once, out of the right output, in
 * order per flow. */
static void test_migration_stress(void **st)
{
	if (!mig_tu_have(MIG_OPENCL))
		skip();
	struct cls_ruleset rs;
	cls_ruleset_init(&rs);
	cls_gen_rules(CLS_SHAPE_ACL, 2000, 4, 77, &rs);
	write_rules(&rs);
	rng_state = 1234;
	struct cls_key k[STRESS_FLOWS * 8];
	random_keys(rs.r, rs.n, STRESS_FLOWS * 8, k);
	int seen = 0;
	for (int f = 0; f < STRESS_FLOWS; f++) {
		g_keys[f] = k[f * 7];
		g_expect[f] = expect_port(rs.r, rs.n, &g_keys[f], 0);
		seen |= 1 << g_expect[f];
	}
	assert_true(__builtin_popcount((unsigned)seen) >= 3); /* several outputs in play */
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "s0 :: TestSeqSource(0, FLOWS 8) -> stamp :: TestClsStamp"
		 " -> a :: ACLClassifier(FILE %s, NOMATCH 4, PLACEMENT cpu, BATCH 256, LATENCY 50us);\n"
		 "s1 :: TestSeqSource(8, FLOWS 8) -> stamp;\n"
		 "a[0] -> [0]chk :: TestClsCheck; a[1] -> [1]chk; a[2] -> [2]chk; a[3] -> [3]chk; a[4] -> [4]chk;\n"
		 "chk -> seq :: TestSeqCheck;\n",
		 rule_path);
	struct rt_err err;
	rt_err_clear(&err);
	struct rt_router *r = tu_router_j(cfg, 2, &err);
	if (!r)
		fail_msg("%s", err.msg);
	assert_int_equal(rt_router_start(r, &err), 0);
	int held_moves = 0;
	for (int i = 0; i < 60; i++) {
		long long before = tu_read_int(r, "chk.good");
		for (int w = 0; w < 300 && tu_read_int(r, "chk.good") < before + 512; w++)
			usleep(100);
		const char *to = i % 2 ? "cpu" : "opencl";
		held_moves += i % 2 && strstr(tu_read(r, "a.offload"), "held 0 ") == NULL;
		if (rt_ctl_migrate(r, "a", to, NULL, &err) < 0)
			fail_msg("migration %d to %s: %s", i, to, err.msg);
	}
	assert_int_equal(tu_write(r, "s0.active", "false", NULL), 0);
	assert_int_equal(tu_write(r, "s1.active", "false", NULL), 0);
	/* a source may finish the batch it was sending: wait until what came
	 * out is what went in, twice in a row */
	long long sent = 0;
	for (int w = 0, same = 0; w < 2000 && same < 2; w++) {
		usleep(2000);
		sent = tu_read_int(r, "s0.count") + tu_read_int(r, "s1.count");
		same = tu_read_int(r, "chk.good") + tu_read_int(r, "chk.bad") == sent ? same + 1 : 0;
	}
	assert_true(sent > 30 * 512);
	assert_int_equal(tu_read_int(r, "chk.bad"), 0);   /* every result right */
	assert_int_equal(tu_read_int(r, "chk.good"), sent); /* zero loss */
	const char *errs = tu_read(r, "seq.errors");
	for (const char *p = errs; *p; p++)
		assert_true(*p == '0' || *p == ' '); /* zero reordering */
	print_message("migrations 60, packets %lld, moves with packets held on opencl %d\n", sent, held_moves);
	assert_non_null(strstr(tu_read(r, "a.placements"), "opencl available packets "));
	rt_router_stop(r);
	rt_router_join(r);
	tu_router_free(r);
	unlink(rule_path);
	cls_ruleset_free(&rs);
}

static void test_config_errors(void **st)
{
	tu_expect_error("Idle -> ACLClassifier(\"@0.0.0.0/0 0.0.0.0/0 0 : 65535 0 : 65535 0x00/0x00 0x0000/0x0000\", "
			"PLACEMENT gpu) -> Discard;",
			"test.click:1:9: PLACEMENT: unknown placement 'gpu' (cpu, opencl or cuda)");
}

int main(void)
{
	tu_eal();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_random),
		cmocka_unit_test(test_flat_generated),
		cmocka_unit_test(test_flat_gaps),
		cmocka_unit_test(test_serialise),
		cmocka_unit_test(test_opencl_identical),
		cmocka_unit_test(test_cuda_identical),
		cmocka_unit_test(test_element_identical),
		cmocka_unit_test(test_updates_on_opencl),
		cmocka_unit_test(test_migrate_held),
		cmocka_unit_test(test_device_lost),
		cmocka_unit_test(test_migration_stress),
		cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
