// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of VCM's memory types, suite "dma-vcm-memtype": the policy's
 * whole matrix in both modes, declared ranges that overlap and that
 * touch, mapper counts going up and down in every order, the reports, and
 * lockless lookups while ranges come and go.  Each case works on an index
 * of its own, on made-up physical addresses: nothing here touches memory.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "vcm-memtype.h"

#define T_BASE	0x100000000ULL	/* made-up physical addresses */

static const struct vcm_mapper t_dev = {
	.kind = VCM_MAPPER_DEVICE, .name = "t-dev",
};

static const struct vcm_mapper t_user = { .kind = VCM_MAPPER_USER };
static const struct vcm_mapper t_vmap = { .kind = VCM_MAPPER_VMAP };

static struct vcm_memtype_index *t_index(struct kunit *test,
					 enum vcm_mt_mode mode)
{
	struct vcm_memtype_index *idx = kunit_kzalloc(test, sizeof(*idx),
						      GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, idx);
	vcm_memtype_init(idx, mode);
	return idx;
}

static int t_decl(struct vcm_memtype_index *idx, phys_addr_t start,
		  size_t size, enum vcm_mt type)
{
	return vcm_memtype_declare(idx, start, size, type, "t-owner",
				   GFP_KERNEL);
}

/* vcm_memtype_get(): the type given, or the error. */
static int t_get(struct vcm_memtype_index *idx, phys_addr_t start,
		 size_t size, enum vcm_mt want, const struct vcm_mapper *who)
{
	enum vcm_mt got;
	int ret = vcm_memtype_get(idx, start, size, want, who, &got);

	return ret ? ret : got;
}

/* Take back every range a case declared, all counts back to the owner's. */
static void t_undeclare(struct kunit *test, struct vcm_memtype_index *idx,
			phys_addr_t start, size_t size)
{
	KUNIT_EXPECT_EQ(test, vcm_memtype_undeclare(idx, start, size), 0);
}

/*
 * The matrix, written out: what a mapper asking for the column's type of
 * a range of the row's type gets, in each mode; -EBUSY is a refusal.
 * Row "none" is memory in no declared range (write-back, not counted).
 */
#define R	(-EBUSY)
static const struct {
	const char *what;
	int have;			/* a type, or -1: no declared range */
	int tolerant[VCM_MT_NR + 1];	/* want WB, WC, UC, ANY */
	int strict[VCM_MT_NR + 1];
} t_matrix[] = {
	{ "none", -1, { VCM_MT_WB, R, R, VCM_MT_WB },
		      { VCM_MT_WB, R, R, VCM_MT_WB } },
	{ "WB", VCM_MT_WB, { VCM_MT_WB, R, R, VCM_MT_WB },
			   { VCM_MT_WB, R, R, VCM_MT_WB } },
	{ "WC", VCM_MT_WC, { VCM_MT_WC, VCM_MT_WC, R, VCM_MT_WC },
			   { R, VCM_MT_WC, R, VCM_MT_WC } },
	{ "UC", VCM_MT_UC, { VCM_MT_UC, VCM_MT_UC, VCM_MT_UC, VCM_MT_UC },
			   { R, R, VCM_MT_UC, VCM_MT_UC } },
};

#undef R

static void t_matrix_mode(struct kunit *test, enum vcm_mt_mode mode)
{
	const char *mname = vcm_mt_mode_name(mode);
	const phys_addr_t start = T_BASE, mid = T_BASE + PAGE_SIZE;
	unsigned int row, want;
	unsigned long before;
	int got, n;

	for (row = 0; row < ARRAY_SIZE(t_matrix); row++) {
		struct vcm_memtype_index *idx = t_index(test, mode);
		const int *expect = mode == VCM_MT_STRICT ?
			t_matrix[row].strict : t_matrix[row].tolerant;
		const char *what = t_matrix[row].what;
		bool declared = t_matrix[row].have >= 0;
		int granted = 0;

		if (declared)
			KUNIT_ASSERT_EQ(test, 0, t_decl(idx, start,
							4 * PAGE_SIZE,
							t_matrix[row].have));
		for (want = 0; want <= VCM_MT_NR; want++) {
			before = vcm_mt_conflicts();
			/* A page in the middle: the request need not be all. */
			got = t_get(idx, mid, PAGE_SIZE, want, &t_dev);
			KUNIT_EXPECT_EQ_MSG(test, got, expect[want],
					    "%s mode, range %s, want %s",
					    mname, what, vcm_mt_name(want));
			granted += got >= 0;
			/* Reported: a refusal, or a type not asked for. */
			n = vcm_mt_conflicts() - before;
			KUNIT_EXPECT_EQ_MSG(test, n, got < 0 ||
					    (want != VCM_MT_ANY && got != want),
					    "%s mode, range %s, want %s",
					    mname, what, vcm_mt_name(want));
		}
		n = vcm_memtype_mappers(idx, start, VCM_MAPPER_DEVICE);
		if (!declared) {
			/* Nobody counts mappers of memory in no range. */
			KUNIT_EXPECT_EQ(test, n, -ENOENT);
			continue;
		}
		KUNIT_EXPECT_EQ(test, n, granted);
		while (granted--)
			vcm_memtype_put(idx, mid, PAGE_SIZE, &t_dev);
		t_undeclare(test, idx, start, 4 * PAGE_SIZE);
	}
}

static void vcm_test_memtype_matrix(struct kunit *test)
{
	enum vcm_mt have, want;

	t_matrix_mode(test, VCM_MT_TOLERANT);
	t_matrix_mode(test, VCM_MT_STRICT);

	/* The verdicts themselves, and what is out of range. */
	for (have = 0; have < VCM_MT_NR; have++) {
		KUNIT_EXPECT_EQ(test, vcm_mt_judge(have, VCM_MT_ANY),
				VCM_MT_SAME);
		for (want = 0; want < VCM_MT_NR; want++)
			KUNIT_EXPECT_EQ(test, vcm_mt_judge(have, want) ==
					VCM_MT_SAME, have == want);
	}
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_WC, VCM_MT_WB),
			VCM_MT_FALLBACK);
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_UC, VCM_MT_WB),
			VCM_MT_FALLBACK);
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_UC, VCM_MT_WC),
			VCM_MT_FALLBACK);
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_WB, VCM_MT_WC),
			VCM_MT_NEVER);
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_WB, VCM_MT_UC),
			VCM_MT_NEVER);
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_WC, VCM_MT_UC),
			VCM_MT_NEVER);
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_MIXED, VCM_MT_ANY),
			VCM_MT_NEVER);
	KUNIT_EXPECT_EQ(test, vcm_mt_judge(VCM_MT_WB, VCM_MT_MIXED),
			VCM_MT_NEVER);
}

/* Declared ranges that overlap, that touch, and requests across them. */
static void vcm_test_memtype_ranges(struct kunit *test)
{
	struct vcm_memtype_index *idx = t_index(test, VCM_MT_TOLERANT);
	const phys_addr_t d = T_BASE, a = d + 0x4000, b = a + 0x4000;
	const phys_addr_t after = b + 0x1000;

	/* D and A write-combining, B uncached: D|A|B touch, nothing between */
	KUNIT_ASSERT_EQ(test, 0, t_decl(idx, a, 0x4000, VCM_MT_WC));
	KUNIT_ASSERT_EQ(test, 0, t_decl(idx, b, 0x1000, VCM_MT_UC));
	KUNIT_ASSERT_EQ(test, 0, t_decl(idx, d, 0x4000, VCM_MT_WC));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&idx->nr), 3);

	/* Overlaps are refused, by one byte at either end, inside, around. */
	KUNIT_EXPECT_EQ(test, t_decl(idx, after - 1, 0x1000, VCM_MT_UC),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, t_decl(idx, d - 0x1000, 0x1001, VCM_MT_WC),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, t_decl(idx, a + 0x1000, 0x1000, VCM_MT_WC),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, t_decl(idx, d - 0x1000, 0x10000, VCM_MT_WC),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, t_decl(idx, a, 0, VCM_MT_WC), -EINVAL);
	KUNIT_EXPECT_EQ(test, t_decl(idx, PHYS_ADDR_MAX, 2, VCM_MT_WC),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, t_decl(idx, after, 1, VCM_MT_ANY), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&idx->nr), 3);

	/* The lockless question, at every edge. */
	KUNIT_EXPECT_FALSE(test, vcm_memtype_typed(idx, d - 1, 1));
	KUNIT_EXPECT_TRUE(test, vcm_memtype_typed(idx, d - 1, 2));
	KUNIT_EXPECT_TRUE(test, vcm_memtype_typed(idx, d, 1));
	KUNIT_EXPECT_TRUE(test, vcm_memtype_typed(idx, a - 1, 2));
	KUNIT_EXPECT_TRUE(test, vcm_memtype_typed(idx, after - 1, 1));
	KUNIT_EXPECT_FALSE(test, vcm_memtype_typed(idx, after, 1));
	KUNIT_EXPECT_FALSE(test, vcm_memtype_typed(idx, after, SZ_1M));
	KUNIT_EXPECT_TRUE(test, vcm_memtype_typed(idx, 0, d + 1));
	KUNIT_EXPECT_FALSE(test, vcm_memtype_typed(idx, 0, d));
	KUNIT_EXPECT_FALSE(test, vcm_memtype_typed(idx, a, 0));

	/* D and A touch with one type: one request may span both. */
	KUNIT_EXPECT_EQ(test, t_get(idx, a - 0x1000, 0x2000, VCM_MT_WC,
				    &t_user), VCM_MT_WC);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(idx, d, VCM_MAPPER_USER), 1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(idx, a, VCM_MAPPER_USER), 1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(idx, b, VCM_MAPPER_USER), 0);

	/* A and B differ; B and what follows it, D and what precedes it too. */
	KUNIT_EXPECT_EQ(test, t_get(idx, b - 1, 2, VCM_MT_ANY, &t_dev),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, t_get(idx, b, 0x1001, VCM_MT_ANY, &t_dev),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, t_get(idx, d - 1, 2, VCM_MT_ANY, &t_dev),
			-EBUSY);
	/* Even asking for write-back: tolerant gives one type or nothing. */
	KUNIT_EXPECT_EQ(test, t_get(idx, d - 1, 2, VCM_MT_WB, &t_dev),
			-EBUSY);
	/* All of D, A and B, but B's type differs. */
	KUNIT_EXPECT_EQ(test, t_get(idx, d, 0x9000, VCM_MT_ANY, &t_dev),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(idx, a, VCM_MAPPER_DEVICE),
			0);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(idx, b, VCM_MAPPER_DEVICE),
			0);
	/* Right after B: ordinary memory, not counted. */
	KUNIT_EXPECT_EQ(test, t_get(idx, after, 0x1000, VCM_MT_ANY, &t_dev),
			VCM_MT_WB);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(idx, after,
						  VCM_MAPPER_DEVICE), -ENOENT);
	/* E is uncached as B is, but one page of ordinary memory is between. */
	KUNIT_ASSERT_EQ(test, 0, t_decl(idx, after + 0x1000, 0x1000,
					VCM_MT_UC));
	KUNIT_EXPECT_EQ(test, t_get(idx, b, 0x3000, VCM_MT_ANY, &t_dev),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, t_get(idx, after + 0x1000, 0x1000, VCM_MT_ANY,
				    &t_dev), VCM_MT_UC);
	vcm_memtype_put(idx, after + 0x1000, 0x1000, &t_dev);
	t_undeclare(test, idx, after + 0x1000, 0x1000);
	/* The last byte of B alone is B's. */
	KUNIT_EXPECT_EQ(test, t_get(idx, after - 1, 1, VCM_MT_ANY, &t_dev),
			VCM_MT_UC);

	/* Taking back: only as declared, only with no other mapper. */
	KUNIT_EXPECT_EQ(test, vcm_memtype_undeclare(idx, a, 0x1000), -ENOENT);
	KUNIT_EXPECT_EQ(test, vcm_memtype_undeclare(idx, a + 0x1000, 0x3000),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vcm_memtype_undeclare(idx, after, 0x1000),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, vcm_memtype_undeclare(idx, a, 0x4000), -EBUSY);
	KUNIT_EXPECT_EQ(test, vcm_memtype_undeclare(idx, b, 0x1000), -EBUSY);
	vcm_memtype_put(idx, after - 1, 1, &t_dev);
	t_undeclare(test, idx, b, 0x1000);
	KUNIT_EXPECT_FALSE(test, vcm_memtype_typed(idx, b, 0x1000));
	/* A's mapper spanned D: D is busy until it goes. */
	KUNIT_EXPECT_EQ(test, vcm_memtype_undeclare(idx, d, 0x4000), -EBUSY);
	vcm_memtype_put(idx, a - 0x1000, 0x2000, &t_user);
	t_undeclare(test, idx, a, 0x4000);
	t_undeclare(test, idx, d, 0x4000);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&idx->nr), 0);
	KUNIT_EXPECT_FALSE(test, vcm_memtype_typed(idx, 0, d + 0x10000));
}

/* The @perm-th of the 24 orders of four things (factorial numbering). */
static void t_order(unsigned int perm, unsigned int order[4])
{
	unsigned int avail = 0xf, step, k, n = 4;

	for (step = 0; step < 4; step++, n--) {
		unsigned int pick = perm % n;

		perm /= n;
		for (k = 0; k < 4; k++)
			if ((avail & BIT(k)) && !pick--)
				break;
		avail &= ~BIT(k);
		order[step] = k;
	}
}

/*
 * Mappers of three kinds and four ranges join one declared range and
 * leave in every one of the 24 orders; after each step every count is
 * what a model of the counts says, and the owner cannot take the range
 * back while any of them is left.
 */
static void vcm_test_memtype_counts(struct kunit *test)
{
	struct vcm_memtype_index *idx = t_index(test, VCM_MT_TOLERANT);
	const struct {
		const struct vcm_mapper *who;
		phys_addr_t off;
		size_t size;
	} m[] = {
		{ &t_dev, 0, 0x4000 },
		{ &t_user, 0x1000, 0x1000 },
		{ &t_vmap, 0, 0x2000 },
		{ &t_dev, 0x3000, 0x1000 },
	};
	unsigned int perm, step, k, n, order[4];
	int model[VCM_MAPPER_NR], got;

	KUNIT_ASSERT_EQ(test, 0, t_decl(idx, T_BASE, 0x4000, VCM_MT_UC));
	for (perm = 0; perm < 24; perm++) {
		t_order(perm, order);
		memset(model, 0, sizeof(model));
		model[VCM_MAPPER_LINEAR] = 1;
		for (k = 0; k < 4; k++) {
			KUNIT_ASSERT_EQ(test, t_get(idx, T_BASE + m[k].off,
						    m[k].size, VCM_MT_ANY,
						    m[k].who), VCM_MT_UC);
			model[m[k].who->kind]++;
		}
		for (step = 0; step < 4; step++) {
			k = order[step];
			KUNIT_EXPECT_EQ(test, -EBUSY,
					vcm_memtype_undeclare(idx, T_BASE,
							      0x4000));
			vcm_memtype_put(idx, T_BASE + m[k].off, m[k].size,
					m[k].who);
			model[m[k].who->kind]--;
			/* A count is the range's, asked at any byte of it. */
			for (n = 0; n < VCM_MAPPER_NR; n++) {
				got = vcm_memtype_mappers(idx, T_BASE + 0x3fff,
							  n);
				KUNIT_EXPECT_EQ_MSG(test, model[n], got,
						    "order %u, step %u, kind %u",
						    perm, step, n);
			}
		}
	}
	t_undeclare(test, idx, T_BASE, 0x4000);
	KUNIT_EXPECT_EQ(test, -ENOENT,
			vcm_memtype_mappers(idx, T_BASE, VCM_MAPPER_LINEAR));
}

/* Read what a show function prints, into a page. */
static char *t_show(struct kunit *test,
		    void (*show)(struct seq_file *m, void *data), void *data)
{
	struct seq_file m = { .size = PAGE_SIZE };

	m.buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m.buf);
	show(&m, data);
	KUNIT_EXPECT_LT(test, m.count, m.size);
	m.buf[min(m.count, m.size - 1)] = '\0';
	return m.buf;
}

static void t_show_index(struct seq_file *m, void *idx)
{
	vcm_memtype_show(idx, m);
}

static void t_show_conflicts(struct seq_file *m, void *unused)
{
	vcm_mt_conflicts_show(m);
}

/* What debugfs must say in vcm_test_memtype_reports(). */
static const char * const t_lines[] = {
	"mode=strict ranges=1\n",
	"[mem 0x0000000100000000-0x0000000100001fff] write-combining mappers=2 linear=1 vmap=0 user=1 device=0 owner=t-owner\n",
	"[mem 0x0000000100001000-0x0000000100001fff] task=",
	" want=write-back wanted_by=\"device t-dev\" have=write-combining had_by=\"t-owner\" ",
	" refused=-16\n",
	" given=write-combining\n",
};

/* debugfs' two views: the ranges, and the conflict with both mappers. */
static void vcm_test_memtype_reports(struct kunit *test)
{
	struct vcm_memtype_index *idx = t_index(test, VCM_MT_STRICT);
	const phys_addr_t hi = T_BASE + 0x1000;
	char *text;

	KUNIT_ASSERT_EQ(test, 0, t_decl(idx, T_BASE, 0x2000, VCM_MT_WC));
	KUNIT_ASSERT_EQ(test, VCM_MT_WC,
			t_get(idx, T_BASE, 0x1000, VCM_MT_WC, &t_user));
	text = t_show(test, t_show_index, idx);
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, t_lines[0]));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, t_lines[1]));

	KUNIT_EXPECT_EQ(test, -EBUSY,
			t_get(idx, hi, 0x1000, VCM_MT_WB, &t_dev));
	text = t_show(test, t_show_conflicts, NULL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, t_lines[2]));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, t_lines[3]));
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, t_lines[4]));

	idx->mode = VCM_MT_TOLERANT;
	KUNIT_EXPECT_EQ(test, VCM_MT_WC,
			t_get(idx, hi, 0x1000, VCM_MT_WB, &t_dev));
	text = t_show(test, t_show_conflicts, NULL);
	KUNIT_EXPECT_NOT_NULL(test, strstr(text, t_lines[5]));
	vcm_memtype_put(idx, hi, 0x1000, &t_dev);
	vcm_memtype_put(idx, T_BASE, 0x1000, &t_user);
	t_undeclare(test, idx, T_BASE, 0x2000);
}

static void vcm_test_memtype_option(struct kunit *test)
{
	enum vcm_mt_mode mode = VCM_MT_TOLERANT;

	KUNIT_EXPECT_TRUE(test, vcm_mt_parse_option("memtype=strict", &mode));
	KUNIT_EXPECT_EQ(test, mode, VCM_MT_STRICT);
	KUNIT_EXPECT_TRUE(test, vcm_mt_parse_option("memtype=bogus", &mode));
	KUNIT_EXPECT_EQ(test, mode, VCM_MT_STRICT);
	KUNIT_EXPECT_TRUE(test, vcm_mt_parse_option("memtype=tolerant",
						    &mode));
	KUNIT_EXPECT_EQ(test, mode, VCM_MT_TOLERANT);
	KUNIT_EXPECT_FALSE(test, vcm_mt_parse_option("memtypes", &mode));
	KUNIT_EXPECT_FALSE(test, vcm_mt_parse_option("strict", &mode));
	KUNIT_EXPECT_EQ(test, mode, VCM_MT_TOLERANT);
}

/* The concurrent case: one writer, readers on the other CPU. */
struct t_churn {
	struct vcm_memtype_index *idx;
	unsigned long rounds;
	int errors;
	bool stop;
	struct completion done;
};

/* Ranges the writer declares and takes back: 64 pages from T_BASE. */
#define T_CHURN		64

static int t_churn_fn(void *data)
{
	struct t_churn *c = data;
	unsigned int i, step = 0;

	while (!READ_ONCE(c->stop)) {
		/* A different shape of tree each round: every 7th page. */
		for (i = 0; i < T_CHURN; i++) {
			unsigned int pg = (i * 7 + step) % T_CHURN;

			if (t_decl(c->idx, T_BASE + pg * PAGE_SIZE, PAGE_SIZE,
				   VCM_MT_WC))
				c->errors++;
		}
		for (i = 0; i < T_CHURN; i++) {
			unsigned int pg = (i * 5 + step) % T_CHURN;

			if (vcm_memtype_undeclare(c->idx,
						  T_BASE + pg * PAGE_SIZE,
						  PAGE_SIZE))
				c->errors++;
		}
		step++;
		c->rounds++;
		cond_resched();
	}
	complete(&c->done);
	return 0;
}

/*
 * While a writer declares and takes back 64 ranges, over and over, the
 * lockless lookup is asked about ranges that never change: one declared
 * all along (always typed), the gap beside it (never typed).  Every
 * answer must be right, and both sides must have done real work.  Under
 * KASAN this also proves no lookup reads a freed range.
 */
static void vcm_test_memtype_concurrent(struct kunit *test)
{
	struct vcm_memtype_index *idx = t_index(test, VCM_MT_TOLERANT);
	const phys_addr_t fixed = T_BASE + 2 * T_CHURN * PAGE_SIZE;
	const phys_addr_t gap = T_BASE + T_CHURN * PAGE_SIZE;
	struct t_churn c = { .idx = idx };
	unsigned long lookups = 0, wrong = 0, churn_hits = 0;
	struct task_struct *tsk;
	unsigned long deadline;

	KUNIT_ASSERT_EQ(test, 0, t_decl(idx, fixed, PAGE_SIZE, VCM_MT_UC));
	init_completion(&c.done);
	tsk = kthread_run(t_churn_fn, &c, "vcm-mt-churn");
	KUNIT_ASSERT_FALSE(test, IS_ERR(tsk));

	deadline = jiffies + msecs_to_jiffies(1500);
	while (time_before(jiffies, deadline) || READ_ONCE(c.rounds) < 20) {
		unsigned int pg = lookups % T_CHURN;

		wrong += !vcm_memtype_typed(idx, fixed, PAGE_SIZE);
		wrong += vcm_memtype_typed(idx, gap, T_CHURN * PAGE_SIZE);
		churn_hits += vcm_memtype_typed(idx, T_BASE + pg * PAGE_SIZE,
						PAGE_SIZE);
		lookups++;
		if (!(lookups % 256))
			cond_resched();
		if (time_after(jiffies, deadline + 30 * HZ))
			break;
	}
	WRITE_ONCE(c.stop, true);
	wait_for_completion(&c.done);

	kunit_info(test, "%lu lookups, %lu writer rounds, %lu saw a churning range typed\n",
		   lookups, c.rounds, churn_hits);
	KUNIT_EXPECT_EQ(test, wrong, 0);
	KUNIT_EXPECT_EQ(test, c.errors, 0);
	KUNIT_EXPECT_GE(test, c.rounds, 20);
	KUNIT_EXPECT_GE(test, lookups, 1000);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&idx->nr), 1);
	t_undeclare(test, idx, fixed, PAGE_SIZE);
	/* Let the ranges freed after a grace period go before the case. */
	rcu_barrier();
}

static struct kunit_case vcm_memtype_test_cases[] = {
	KUNIT_CASE(vcm_test_memtype_matrix),
	KUNIT_CASE(vcm_test_memtype_ranges),
	KUNIT_CASE(vcm_test_memtype_counts),
	KUNIT_CASE(vcm_test_memtype_reports),
	KUNIT_CASE(vcm_test_memtype_option),
	KUNIT_CASE(vcm_test_memtype_concurrent),
	{}
};

static struct kunit_suite vcm_memtype_test_suite = {
	.name = "dma-vcm-memtype",
	.test_cases = vcm_memtype_test_cases,
};

kunit_test_suite(vcm_memtype_test_suite);

MODULE_DESCRIPTION("KUnit tests for VCM's memory types");
MODULE_LICENSE("GPL");
