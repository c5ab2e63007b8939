// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the memory-type index.
 *
 * Physical range -> memory type, with a count of the mappers of each range
 * by kind (linear map, vmap, user mapping, device).  What a request is
 * given is the policy's to say (vcm-memtype-policy.c); this file only
 * finds the ranges a request touches and keeps their counts.
 *
 * The ranges.  A range is declared by its owner, the allocator that took
 * its pages and gave their linear alias the type (its first mapper), and
 * taken back by the owner once every other mapper has gone.  Owners own
 * disjoint memory, so declared ranges never overlap: a declaration that
 * would overlap one is refused, and a mapper's range that covers parts of
 * several declared ranges, or of a declared range and memory in none, is
 * granted only if all of it has one type.  Memory in no range is
 * write-back, and nobody counts its mappers.
 *
 * The tree.  The ranges are in an interval tree (interval_tree_generic.h)
 * on @root, changed under @lock (spinlock, irqsave: streaming mappings
 * come from interrupts), which also guards every range's mapper counts.
 * Each change of the tree's shape is inside @seq's write section, so that
 * the streaming hot path can ask "is anything here typed?" with no lock:
 * vcm_memtype_typed() reads @nr, and only when ranges exist descends the
 * tree under rcu_read_lock() and retries if @seq moved.  The rbtree's
 * writers publish child pointers with WRITE_ONCE() and never make a
 * descending walk loop (lib/rbtree.c), and a removed range is freed after
 * a grace period, so the walk reads only memory it may read; an answer
 * computed from a tree that changed meanwhile is thrown away.  The walk is
 * the interval tree's own subtree search, written with READ_ONCE() here
 * because the generated one is meant for a locked tree.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/interval_tree_generic.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "vcm-memtype.h"

#define VCM_MT_START(r)	((r)->start)
#define VCM_MT_LAST(r)	((r)->last)

INTERVAL_TREE_DEFINE(struct vcm_mt_range, it, phys_addr_t, subtree_last,
		     VCM_MT_START, VCM_MT_LAST, static, vcm_mt_it)

/* The system's index; its mode is set by dma=vcm,memtype= (vcm-ops.c). */
struct vcm_memtype_index vcm_memtype = {
	.root	= RB_ROOT_CACHED,
	.lock	= __SPIN_LOCK_UNLOCKED(vcm_memtype.lock),
	.seq	= SEQCNT_SPINLOCK_ZERO(vcm_memtype.seq, &vcm_memtype.lock),
	.nr	= ATOMIC_LONG_INIT(0),
	.mode	= VCM_MT_TOLERANT,
};

/* What memory in no declared range is called in reports. */
static const char vcm_mt_no_owner[] = "ordinary memory";

/**
 * vcm_memtype_init() - make an empty index
 * @idx: the index
 * @mode: the policy's mode for it
 */
void vcm_memtype_init(struct vcm_memtype_index *idx, enum vcm_mt_mode mode)
{
	idx->root = RB_ROOT_CACHED;
	spin_lock_init(&idx->lock);
	seqcount_spinlock_init(&idx->seq, &idx->lock);
	atomic_long_set(&idx->nr, 0);
	idx->mode = mode;
}

/* The last byte of [@start, @start + @size), or false if there is none. */
static bool vcm_mt_last(phys_addr_t start, size_t size, phys_addr_t *last)
{
	if (!size)
		return false;
	*last = start + size - 1;
	return *last >= start;
}

static unsigned int vcm_mt_mappers(const struct vcm_mt_range *r)
{
	unsigned int i, n = 0;

	for (i = 0; i < VCM_MAPPER_NR; i++)
		n += r->mappers[i];
	return n;
}

/**
 * vcm_memtype_declare() - the owner of a range gives it a type
 * @idx: the index
 * @start: first byte
 * @size: bytes
 * @type: its type
 * @owner: who owns it (a device's name, a heap's), for reports
 * @gfp: for the range's record
 *
 * The owner has changed, or is about to change, the linear alias of the
 * pages to @type: it is counted as the range's first mapper.
 *
 * Context: any context @gfp allows; takes @idx->lock.
 *
 * Return: 0; -EINVAL for an empty, wrapping or untyped range; -EBUSY if
 * the range overlaps a declared one (reported); -ENOMEM.
 */
int vcm_memtype_declare(struct vcm_memtype_index *idx, phys_addr_t start,
			size_t size, enum vcm_mt type, const char *owner,
			gfp_t gfp)
{
	struct vcm_mapper who = { .kind = VCM_MAPPER_LINEAR, .name = owner };
	struct vcm_mt_range *r, *old;
	unsigned long flags;
	phys_addr_t last;

	if (!vcm_mt_last(start, size, &last) || (unsigned int)type >= VCM_MT_NR)
		return -EINVAL;
	r = kzalloc(sizeof(*r), gfp);
	if (!r)
		return -ENOMEM;
	r->start = start;
	r->last = last;
	r->type = type;
	r->mappers[VCM_MAPPER_LINEAR] = 1;
	strscpy(r->owner, owner, sizeof(r->owner));

	spin_lock_irqsave(&idx->lock, flags);
	old = vcm_mt_it_iter_first(&idx->root, start, last);
	if (old) {
		vcm_mt_report(start, last, old->owner, old->type, &who, type,
			      -EBUSY);
		spin_unlock_irqrestore(&idx->lock, flags);
		kfree(r);
		return -EBUSY;
	}
	write_seqcount_begin(&idx->seq);
	vcm_mt_it_insert(r, &idx->root);
	write_seqcount_end(&idx->seq);
	atomic_long_inc(&idx->nr);
	spin_unlock_irqrestore(&idx->lock, flags);
	return 0;
}

/**
 * vcm_memtype_undeclare() - the owner takes a range back
 * @idx: the index
 * @start: first byte, as declared
 * @size: bytes, as declared
 *
 * Only the owner's own linear alias may be left: with any other mapper,
 * the range stays declared and the owner must keep the pages (reported).
 *
 * Context: any; takes @idx->lock.
 *
 * Return: 0; -ENOENT if no range was declared exactly so (reported);
 * -EBUSY if it has mappers besides its owner.
 */
int vcm_memtype_undeclare(struct vcm_memtype_index *idx, phys_addr_t start,
			  size_t size)
{
	struct vcm_mt_range *r = NULL;
	unsigned long flags;
	unsigned int busy;
	phys_addr_t last;

	if (!vcm_mt_last(start, size, &last))
		return -ENOENT;
	spin_lock_irqsave(&idx->lock, flags);
	r = vcm_mt_it_iter_first(&idx->root, start, last);
	if (!r || r->start != start || r->last != last) {
		spin_unlock_irqrestore(&idx->lock, flags);
		pr_warn("memtype: [mem %pa-%pa] was never declared: not taken back\n",
			&start, &last);
		return -ENOENT;
	}
	busy = vcm_mt_mappers(r) - r->mappers[VCM_MAPPER_LINEAR];
	if (busy || r->mappers[VCM_MAPPER_LINEAR] != 1) {
		pr_warn_ratelimited("memtype: [mem %pa-%pa] %s of %s still has %u other mappers: kept\n",
				    &start, &last, vcm_mt_name(r->type),
				    r->owner, busy);
		spin_unlock_irqrestore(&idx->lock, flags);
		return -EBUSY;
	}
	write_seqcount_begin(&idx->seq);
	vcm_mt_it_remove(r, &idx->root);
	write_seqcount_end(&idx->seq);
	atomic_long_dec(&idx->nr);
	spin_unlock_irqrestore(&idx->lock, flags);
	kfree_rcu(r, rcu);
	return 0;
}

/* Two types of one request's range: one type, or VCM_MT_MIXED. */
static enum vcm_mt vcm_mt_merge(enum vcm_mt have, enum vcm_mt type)
{
	if (have == VCM_MT_ANY || have == type)
		return type;
	return VCM_MT_MIXED;
}

/*
 * The type of [@start, @last] as a whole: of the declared ranges it
 * touches, write-back for any part that is in none (VCM_MT_ANY while it
 * touches nothing yet), VCM_MT_MIXED if those differ.  *@first is the
 * first declared range it touches, or NULL.  Caller holds @idx->lock.
 */
static enum vcm_mt vcm_mt_have_locked(struct vcm_memtype_index *idx,
				      phys_addr_t start, phys_addr_t last,
				      struct vcm_mt_range **first)
{
	enum vcm_mt have = VCM_MT_ANY;
	struct vcm_mt_range *r;
	phys_addr_t pos = start;
	bool covered = false;

	lockdep_assert_held(&idx->lock);
	*first = vcm_mt_it_iter_first(&idx->root, start, last);
	for (r = *first; r; r = vcm_mt_it_iter_next(r, start, last)) {
		if (r->start > pos)
			have = vcm_mt_merge(have, VCM_MT_WB);
		have = vcm_mt_merge(have, r->type);
		covered = r->last >= last;
		pos = r->last + 1;
	}
	if (!covered)
		have = vcm_mt_merge(have, VCM_MT_WB);
	return have;
}

/**
 * vcm_memtype_get() - a mapper asks for a type of a physical range
 * @idx: the index
 * @start: first byte
 * @size: bytes
 * @want: the type it asks for, or VCM_MT_ANY
 * @who: the mapper
 * @got: where to store the type it is given
 *
 * The policy decides (vcm_mt_decide()); a conflict is reported, whether
 * the request is refused or given another type than it asked for.  If the
 * range touches declared ranges and the request is granted, @who is
 * counted as a mapper of each of them, until vcm_memtype_put() with the
 * same range; memory in no declared range is write-back and its mappers
 * are not counted.
 *
 * Context: any; takes @idx->lock.
 *
 * Return: 0 and *@got; -EINVAL for an empty or wrapping range; -EBUSY if
 * the request is refused, or the range has parts of different types.
 */
int vcm_memtype_get(struct vcm_memtype_index *idx, phys_addr_t start,
		    size_t size, enum vcm_mt want,
		    const struct vcm_mapper *who, enum vcm_mt *got)
{
	struct vcm_mt_range *first, *r;
	unsigned long flags;
	enum vcm_mt have;
	phys_addr_t last;
	int ret;

	if (!vcm_mt_last(start, size, &last) ||
	    (unsigned int)who->kind >= VCM_MAPPER_NR)
		return -EINVAL;
	spin_lock_irqsave(&idx->lock, flags);
	have = vcm_mt_have_locked(idx, start, last, &first);
	ret = have == VCM_MT_MIXED ? -EBUSY :
		vcm_mt_decide(idx->mode, have, want, got);
	if (ret || (want != VCM_MT_ANY && want != have))
		vcm_mt_report(start, last, first ? first->owner :
			      vcm_mt_no_owner, have, who, want, ret);
	if (!ret)
		for (r = first; r; r = vcm_mt_it_iter_next(r, start, last))
			r->mappers[who->kind]++;
	spin_unlock_irqrestore(&idx->lock, flags);
	return ret;
}

/**
 * vcm_memtype_put() - a mapper of a physical range is gone
 * @idx: the index
 * @start: first byte, as given to vcm_memtype_get()
 * @size: bytes, as given to vcm_memtype_get()
 * @who: the mapper, as given to vcm_memtype_get()
 *
 * Takes @who off the count of every declared range in the range; a
 * count that is already zero is a bug in VCM, reported and left alone.
 *
 * Context: any; takes @idx->lock.
 */
void vcm_memtype_put(struct vcm_memtype_index *idx, phys_addr_t start,
		     size_t size, const struct vcm_mapper *who)
{
	struct vcm_mt_range *r;
	unsigned long flags;
	phys_addr_t last;

	if (!vcm_mt_last(start, size, &last) ||
	    (unsigned int)who->kind >= VCM_MAPPER_NR)
		return;
	spin_lock_irqsave(&idx->lock, flags);
	for (r = vcm_mt_it_iter_first(&idx->root, start, last); r;
	     r = vcm_mt_it_iter_next(r, start, last)) {
		if (WARN_ONCE(!r->mappers[who->kind],
			      "vcm: memtype: [mem %pa-%pa] has no mapper to put\n",
			      &r->start, &r->last))
			continue;
		r->mappers[who->kind]--;
	}
	spin_unlock_irqrestore(&idx->lock, flags);
}

/*
 * Does a declared range overlap [@start, @last]?  The interval tree's
 * subtree search, on a tree that may change under it (see the top of the
 * file): the caller holds rcu_read_lock() and checks @idx->seq.
 */
static bool vcm_mt_overlaps_rcu(struct rb_root_cached *root,
				phys_addr_t start, phys_addr_t last)
{
	struct rb_node *n = READ_ONCE(root->rb_root.rb_node);

	while (n) {
		struct vcm_mt_range *r = rb_entry(n, struct vcm_mt_range, it);
		struct rb_node *left = READ_ONCE(n->rb_left);

		/* The left subtree holds the lowest overlap, if it has one. */
		if (left && READ_ONCE(rb_entry(left, struct vcm_mt_range,
					       it)->subtree_last) >= start) {
			n = left;
			continue;
		}
		if (r->start > last)
			return false;
		if (r->last >= start)
			return true;
		n = READ_ONCE(n->rb_right);
	}
	return false;
}

/**
 * __vcm_memtype_typed() - vcm_memtype_typed(), once ranges exist
 * @idx: the index
 * @start: first byte
 * @size: bytes
 *
 * Context: any, NMI excepted (a writer on the same CPU would be spun on).
 *
 * Return: true if [@start, @start + @size) overlaps a declared range.
 */
bool __vcm_memtype_typed(struct vcm_memtype_index *idx, phys_addr_t start,
			 size_t size)
{
	unsigned int seq;
	phys_addr_t last;
	bool hit;

	if (!vcm_mt_last(start, size, &last))
		return false;
	rcu_read_lock();
	do {
		seq = read_seqcount_begin(&idx->seq);
		hit = vcm_mt_overlaps_rcu(&idx->root, start, last);
	} while (read_seqcount_retry(&idx->seq, seq));
	rcu_read_unlock();
	return hit;
}

/**
 * vcm_memtype_mappers() - how many mappers of a kind a range has
 * @idx: the index
 * @addr: a byte of the range
 * @kind: the kind of mapper
 *
 * Context: any; takes @idx->lock.
 *
 * Return: the count, or -ENOENT if @addr is in no declared range.
 */
int vcm_memtype_mappers(struct vcm_memtype_index *idx, phys_addr_t addr,
			enum vcm_mapper_kind kind)
{
	struct vcm_mt_range *r;
	unsigned long flags;
	int n = -ENOENT;

	if ((unsigned int)kind >= VCM_MAPPER_NR)
		return -EINVAL;
	spin_lock_irqsave(&idx->lock, flags);
	r = vcm_mt_it_iter_first(&idx->root, addr, addr);
	if (r)
		n = r->mappers[kind];
	spin_unlock_irqrestore(&idx->lock, flags);
	return n;
}

/* Ranges copied out of the tree at a time by vcm_memtype_show(). */
#define VCM_MT_SHOW_BATCH	32

/**
 * vcm_memtype_show() - the declared ranges, as pat_memtype_list lists its
 * @idx: the index
 * @m: the seq_file
 *
 * A line "mode=<mode> ranges=<n>", then a line a range, in address order:
 * "[mem <first>-<last>] <type> mappers=<all> linear=<n> vmap=<n> user=<n>
 * device=<n> owner=<owner>".  The ranges are copied out a batch at a time,
 * so the lock is never held for long.
 *
 * Context: process; may sleep.
 */
void vcm_memtype_show(struct vcm_memtype_index *idx, struct seq_file *m)
{
	struct vcm_mt_range *batch, *r;
	phys_addr_t from = 0;
	unsigned long flags;
	unsigned int n, i;
	bool more = true;

	seq_printf(m, "mode=%s ranges=%ld\n", vcm_mt_mode_name(idx->mode),
		   atomic_long_read(&idx->nr));
	batch = kmalloc_array(VCM_MT_SHOW_BATCH, sizeof(*batch), GFP_KERNEL);
	if (!batch) {
		seq_puts(m, "error=-ENOMEM\n");
		return;
	}
	while (more) {
		n = 0;
		spin_lock_irqsave(&idx->lock, flags);
		r = vcm_mt_it_iter_first(&idx->root, from, PHYS_ADDR_MAX);
		for (; r && n < VCM_MT_SHOW_BATCH;
		     r = vcm_mt_it_iter_next(r, from, PHYS_ADDR_MAX))
			batch[n++] = *r;
		more = r;
		spin_unlock_irqrestore(&idx->lock, flags);

		for (i = 0; i < n; i++) {
			r = &batch[i];
			seq_printf(m, "[mem %pa-%pa] %s mappers=%u linear=%u vmap=%u user=%u device=%u owner=%s\n",
				   &r->start, &r->last, vcm_mt_name(r->type),
				   vcm_mt_mappers(r),
				   r->mappers[VCM_MAPPER_LINEAR],
				   r->mappers[VCM_MAPPER_VMAP],
				   r->mappers[VCM_MAPPER_USER],
				   r->mappers[VCM_MAPPER_DEVICE], r->owner);
		}
		if (n)
			from = batch[n - 1].last + 1;
		if (!from)	/* the last range ended at the top of memory */
			break;
	}
	kfree(batch);
}
