// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the memory-type policy.
 *
 * Which type a mapper of a physical range is given, decided from the type
 * the range has and the type the mapper asks for; the index that knows the
 * range's type and counts its mappers is vcm-memtype.c.  The two are apart
 * for the reason arch/x86/mm/pat/ keeps memtype.c apart from
 * memtype_interval.c: the rules can be read, and changed, in one page.
 *
 * The rules.  The Intel SDM (Vol. 3A, 11.12.4) and the Arm ARM (B2.11,
 * "mismatched memory attributes") agree that two mappings of one page with
 * different types may lose coherency; a write-combining or uncached alias
 * of a cacheable page is the dangerous case, because its accesses do not
 * look in the caches.  So a range has one type, and a mapper is given
 * exactly that type or nothing:
 *
 *   - asking for the range's type, or for any type, is always granted;
 *   - asking for a more cached type than the range has (write-back of a
 *     write-combine or uncached range, write-combine of an uncached one)
 *     is safe with the range's type, only slower: the tolerant mode gives
 *     the mapper the range's type, the strict mode refuses it;
 *   - asking for a less cached type than the range has is refused in both
 *     modes: a write-back range is cached and snooped by every mapper that
 *     already has it, and an uncached mapper given write-combining would
 *     not drain the writes it does not know are buffered.  x86 PAT refuses
 *     the first case too (is_new_memtype_allowed()) and allows the second;
 *     VCM does not, as its ranges are RAM that devices read.
 *
 * The mode is chosen on the command line (dma=vcm,memtype=strict or
 * memtype=tolerant); tolerant is the default, as PAT is tolerant with
 * user mappings of RAM (track_pfn_remap()), so that a driver that maps a
 * write-combine buffer without saying so keeps working, with a report.
 *
 * Every conflict -- a refusal, or a request given another type than it
 * asked for -- is reported, rate-limited, in the manner of PAT's
 * "conflicting memory types" line: the task, both mappers, the range and
 * both types; the last VCM_MT_LOG of them are kept for debugfs
 * (vcm/memtype_conflicts), under vcm_mt_log_lock, a leaf lock.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include "vcm-memtype.h"

static const char * const vcm_mt_names[] = {
	[VCM_MT_WB]	= "write-back",
	[VCM_MT_WC]	= "write-combining",
	[VCM_MT_UC]	= "uncached-minus",
	[VCM_MT_ANY]	= "any",
	[VCM_MT_MIXED]	= "mixed",
};

static const char * const vcm_mapper_names[] = {
	[VCM_MAPPER_LINEAR]	= "linear map",
	[VCM_MAPPER_VMAP]	= "vmap",
	[VCM_MAPPER_USER]	= "user mapping",
	[VCM_MAPPER_DEVICE]	= "device",
};

/*
 * The matrix: vcm_mt_matrix[have][want].  Rows are the type the range
 * has, columns the type a mapper asks for; VCM_MT_ANY is always SAME and
 * is not in the table.
 */
static const enum vcm_mt_verdict vcm_mt_matrix[VCM_MT_NR][VCM_MT_NR] = {
	/*  want:          WB               WC               UC */
	[VCM_MT_WB] = { VCM_MT_SAME,     VCM_MT_NEVER,    VCM_MT_NEVER },
	[VCM_MT_WC] = { VCM_MT_FALLBACK, VCM_MT_SAME,     VCM_MT_NEVER },
	[VCM_MT_UC] = { VCM_MT_FALLBACK, VCM_MT_FALLBACK, VCM_MT_SAME },
};

/**
 * vcm_mt_name() - the name of a memory type
 * @type: a type, VCM_MT_ANY or VCM_MT_MIXED
 *
 * Return: the name PAT's debugfs uses for the type ("write-combining"),
 * or "unknown".
 */
const char *vcm_mt_name(enum vcm_mt type)
{
	if ((unsigned int)type >= ARRAY_SIZE(vcm_mt_names))
		return "unknown";
	return vcm_mt_names[type];
}

/**
 * vcm_mt_mode_name() - the name of a policy mode
 * @mode: the mode
 *
 * Return: "strict" or "tolerant".
 */
const char *vcm_mt_mode_name(enum vcm_mt_mode mode)
{
	return mode == VCM_MT_STRICT ? "strict" : "tolerant";
}

/**
 * vcm_mt_judge() - what the policy says of a request, in any mode
 * @have: the type of the range
 * @want: the type the mapper asks for, or VCM_MT_ANY
 *
 * Return: VCM_MT_SAME, VCM_MT_FALLBACK or VCM_MT_NEVER (also for a type
 * out of range).
 */
enum vcm_mt_verdict vcm_mt_judge(enum vcm_mt have, enum vcm_mt want)
{
	if ((unsigned int)have >= VCM_MT_NR)
		return VCM_MT_NEVER;
	if (want == VCM_MT_ANY)
		return VCM_MT_SAME;
	if ((unsigned int)want >= VCM_MT_NR)
		return VCM_MT_NEVER;
	return vcm_mt_matrix[have][want];
}

/**
 * vcm_mt_decide() - the type a request is given, in a mode
 * @mode: strict or tolerant
 * @have: the type of the range
 * @want: the type the mapper asks for, or VCM_MT_ANY
 * @got: where to store the type given
 *
 * Return: 0 with *@got set (to @have: a mapper only ever gets the type the
 * range has), or -EBUSY if the request is refused.
 */
int vcm_mt_decide(enum vcm_mt_mode mode, enum vcm_mt have, enum vcm_mt want,
		  enum vcm_mt *got)
{
	switch (vcm_mt_judge(have, want)) {
	case VCM_MT_SAME:
		break;
	case VCM_MT_FALLBACK:
		if (mode == VCM_MT_STRICT)
			return -EBUSY;
		break;
	case VCM_MT_NEVER:
		return -EBUSY;
	}
	*got = have;
	return 0;
}

/**
 * vcm_mt_describe() - a mapper in words, for reports and debugfs
 * @buf: where to write
 * @len: its size
 * @who: the mapper
 */
void vcm_mt_describe(char *buf, size_t len, const struct vcm_mapper *who)
{
	const char *kind = "mapper";

	if ((unsigned int)who->kind < ARRAY_SIZE(vcm_mapper_names))
		kind = vcm_mapper_names[who->kind];
	if (who->name)
		snprintf(buf, len, "%s %s", kind, who->name);
	else
		strscpy(buf, kind, len);
}

/* The conflicts log: the last VCM_MT_LOG conflicts, for debugfs. */
#define VCM_MT_LOG	16

struct vcm_mt_conflict {
	u64 when_ns;
	char comm[TASK_COMM_LEN];
	pid_t pid;
	phys_addr_t start, last;
	enum vcm_mt have, want;
	char have_who[VCM_MT_WHO_LEN];
	char want_who[VCM_MT_WHO_LEN];
	int ret;
};

static DEFINE_SPINLOCK(vcm_mt_log_lock);	/* vcm_mt_log, vcm_mt_logged */
static struct vcm_mt_conflict vcm_mt_log[VCM_MT_LOG];
static unsigned long vcm_mt_logged;		/* conflicts ever reported */

static void vcm_mt_print(const struct vcm_mt_conflict *c)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);

	if (!__ratelimit(&rs))
		return;
	if (c->ret)
		pr_warn("%s:%d conflicting memory types [mem %pa-%pa]: %s wants %s, %s has %s: refused (%d)\n",
			c->comm, c->pid, &c->start, &c->last, c->want_who,
			vcm_mt_name(c->want), c->have_who,
			vcm_mt_name(c->have), c->ret);
	else
		pr_warn("%s:%d conflicting memory types [mem %pa-%pa]: %s wants %s, %s has %s: given %s\n",
			c->comm, c->pid, &c->start, &c->last, c->want_who,
			vcm_mt_name(c->want), c->have_who,
			vcm_mt_name(c->have), vcm_mt_name(c->have));
}

/**
 * vcm_mt_report() - report a conflict: log it, rate-limited, and keep it
 * @start: first byte of the range asked for
 * @last: its last byte
 * @have_who: who has the range (the owner that declared its type)
 * @have: the type it has, or VCM_MT_MIXED
 * @want_who: the mapper that asked
 * @want: the type it asked for
 * @ret: 0 if the mapper was given @have, else the error it got
 *
 * Context: any; takes vcm_mt_log_lock.
 */
void vcm_mt_report(phys_addr_t start, phys_addr_t last, const char *have_who,
		   enum vcm_mt have, const struct vcm_mapper *want_who,
		   enum vcm_mt want, int ret)
{
	struct vcm_mt_conflict c = {
		.when_ns = ktime_get_ns(),
		.pid = task_pid_nr(current),
		.start = start,
		.last = last,
		.have = have,
		.want = want,
		.ret = ret,
	};
	unsigned long flags;

	/*
	 * Not get_task_comm(): its task_lock() may be held by the task an
	 * interrupt mapping a page came in on.  Like PAT's report, this
	 * names whatever task is current, and may catch a rename half done.
	 */
	strscpy(c.comm, current->comm, sizeof(c.comm));
	strscpy(c.have_who, have_who, sizeof(c.have_who));
	vcm_mt_describe(c.want_who, sizeof(c.want_who), want_who);
	vcm_mt_print(&c);

	spin_lock_irqsave(&vcm_mt_log_lock, flags);
	vcm_mt_log[vcm_mt_logged++ % VCM_MT_LOG] = c;
	spin_unlock_irqrestore(&vcm_mt_log_lock, flags);
}

/**
 * vcm_mt_conflicts() - how many conflicts were ever reported
 *
 * Return: the count, since boot.
 */
unsigned long vcm_mt_conflicts(void)
{
	unsigned long flags, n;

	spin_lock_irqsave(&vcm_mt_log_lock, flags);
	n = vcm_mt_logged;
	spin_unlock_irqrestore(&vcm_mt_log_lock, flags);
	return n;
}

/**
 * vcm_mt_conflicts_show() - the conflicts log, oldest first
 * @m: the seq_file
 *
 * A line "conflicts=<ever reported> kept=<listed>", then one line a
 * conflict of the last VCM_MT_LOG, in key=value pairs.
 */
void vcm_mt_conflicts_show(struct seq_file *m)
{
	struct vcm_mt_conflict *log;
	unsigned long flags, n, i, first;

	log = kmalloc_array(VCM_MT_LOG, sizeof(*log), GFP_KERNEL);
	if (!log)
		return;
	spin_lock_irqsave(&vcm_mt_log_lock, flags);
	memcpy(log, vcm_mt_log, sizeof(vcm_mt_log));
	n = vcm_mt_logged;
	spin_unlock_irqrestore(&vcm_mt_log_lock, flags);

	first = n > VCM_MT_LOG ? n - VCM_MT_LOG : 0;
	seq_printf(m, "conflicts=%lu kept=%lu\n", n, n - first);
	for (i = first; i < n; i++) {
		struct vcm_mt_conflict *c = &log[i % VCM_MT_LOG];

		seq_printf(m, "[mem %pa-%pa] task=%s:%d want=%s wanted_by=\"%s\" have=%s had_by=\"%s\" ns=%llu",
			   &c->start, &c->last, c->comm, c->pid,
			   vcm_mt_name(c->want), c->want_who,
			   vcm_mt_name(c->have), c->have_who, c->when_ns);
		if (c->ret)
			seq_printf(m, " refused=%d\n", c->ret);
		else
			seq_printf(m, " given=%s\n", vcm_mt_name(c->have));
	}
	kfree(log);
}

/**
 * vcm_mt_parse_option() - parse one dma=vcm option of the policy
 * @opt: the option, e.g. "memtype=strict"
 * @mode: where to store the mode it names
 *
 * Return: true if @opt was the policy's: *@mode is set, or left as it was
 * for an unknown value (reported); false if @opt is another option.
 */
bool vcm_mt_parse_option(const char *opt, enum vcm_mt_mode *mode)
{
	const char *val;

	if (strncmp(opt, "memtype=", 8))
		return false;
	val = opt + 8;
	if (!strcmp(val, "strict")) {
		*mode = VCM_MT_STRICT;
	} else if (!strcmp(val, "tolerant")) {
		*mode = VCM_MT_TOLERANT;
	} else {
		pr_warn("dma=: unknown memtype mode '%s', keeping %s\n", val,
			vcm_mt_mode_name(*mode));
	}
	return true;
}
