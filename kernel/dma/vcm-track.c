// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the table of live streaming mappings of each
 * device, which lets unmap check what a driver hands back and lets the
 * teardown of a device find what its driver left mapped.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/hash.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "vcm.h"

static struct kmem_cache *vcm_track_cache;

/* A record that found no free slot, chained in a bucket of the assoc. */
struct vcm_track {
	struct hlist_node node;
	struct vcm_track_rec rec;
};

static const char * const vcm_map_kind_names[] = {
	[VCM_MAP_PAGE]		= "page",
	[VCM_MAP_SG]		= "sg",
	[VCM_MAP_RESOURCE]	= "resource",
};

/* ------------------------------------------------------------------------
 * The table of live streaming mappings
 *
 * Every streaming mapping is recorded so that unmap can be checked (unknown
 * handle, double unmap, size or direction mismatch) and so that mappings
 * still live when the driver unbinds can be reported and torn down.  A
 * page or resource is keyed by its device address, an sg list by the
 * address of the list; the same address may be mapped more than once.
 *
 * The mapping paths are hot, so records first go to a small open-addressed
 * array of slots per device, without a lock or an allocation: a record
 * may take any of the VCM_TRACK_PROBE slots from its hash on.  A slot is
 * claimed by moving its state from EMPTY to BUSY with cmpxchg; the owner
 * writes the record and publishes it with a release store of LIVE.  A
 * record is taken the same way, LIVE to BUSY, and the slot is given back
 * with a release store of EMPTY.  Between a reader's look at a LIVE slot
 * and its cmpxchg, the slot may have been taken and refilled with another
 * record: the taker checks the key again once it owns the slot, and puts
 * back what it did not want.
 *
 * A slot is BUSY only for the few instructions that copy a record, with
 * interrupts off, so that no holder can be interrupted by a caller on its
 * own CPU.  An unmap that finds nothing but saw a BUSY slot among its
 * probes looks again: the slot may hold its record (another unmap of the
 * same address took it to check and is about to put it back), and the
 * same address is legitimately mapped twice in a one-to-one vcm.  Only an
 * unmap that saw no BUSY slot may call the address unmapped.
 *
 * When the slots near the hash are all taken (many mappings in flight),
 * the record goes to a bucket of chained records, allocated, with a lock
 * per bucket: two CPUs mapping for one device rarely touch one bucket.
 */

static struct vcm_track_bucket *vcm_track_bucket(struct vcm_assoc *assoc,
						 unsigned long key)
{
	return &assoc->table->track[hash_long(key, VCM_TRACK_BITS)];
}

static struct vcm_track_slot *vcm_track_slot(struct vcm_assoc *assoc,
					     unsigned long key, unsigned int i)
{
	unsigned long h = hash_long(key, VCM_TRACK_SLOT_BITS) + i;

	return &assoc->table->slots[h & (ARRAY_SIZE(assoc->table->slots) - 1)];
}

/* Change a slot's state once the record is written or read. */
static void vcm_slot_set(struct vcm_track_slot *slot, unsigned int state)
{
	/* Orders the record accesses before; pairs with vcm_slot_live(). */
	smp_store_release(&slot->state, state);
}

static bool vcm_slot_live(struct vcm_track_slot *slot)
{
	/* Pairs with vcm_slot_set(): the record of a LIVE slot is complete. */
	return smp_load_acquire(&slot->state) == VCM_SLOT_LIVE;
}

static bool vcm_track_slot_add(struct vcm_assoc *assoc,
			       const struct vcm_track_rec *rec)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < VCM_TRACK_PROBE; i++) {
		struct vcm_track_slot *slot = vcm_track_slot(assoc, rec->key, i);
		unsigned int old = VCM_SLOT_EMPTY;

		if (READ_ONCE(slot->state) != VCM_SLOT_EMPTY)
			continue;
		local_irq_save(flags);
		if (!try_cmpxchg(&slot->state, &old, VCM_SLOT_BUSY)) {
			local_irq_restore(flags);
			continue;
		}
		slot->rec = *rec;
		vcm_slot_set(slot, VCM_SLOT_LIVE);
		local_irq_restore(flags);
		return true;
	}
	return false;
}

/* Is @rec the mapping the driver describes, to the last detail? */
static bool vcm_track_exact(const struct vcm_track_rec *rec, size_t size,
			    const u32 *nents, enum dma_data_direction dir)
{
	return rec->size == size && rec->dir == dir &&
	       (!nents || (rec->nents & 0xffff) == (*nents & 0xffff));
}

/*
 * Take a LIVE slot holding @want's key and kind (and, if @exact, its
 * size, entries and direction) into *@rec; the slot becomes EMPTY.  Sets
 * *@busy if a slot it probed was BUSY (see above).
 */
static bool vcm_track_slot_take(struct vcm_assoc *assoc,
				const struct vcm_track_rec *want,
				const u32 *nents, bool exact,
				struct vcm_track_rec *rec, bool *busy)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < VCM_TRACK_PROBE; i++) {
		struct vcm_track_slot *slot = vcm_track_slot(assoc, want->key,
							     i);
		unsigned int old = VCM_SLOT_LIVE;
		bool match;

		if (!vcm_slot_live(slot)) {
			*busy |= READ_ONCE(slot->state) == VCM_SLOT_BUSY;
			continue;
		}
		if (READ_ONCE(slot->rec.key) != want->key)
			continue;
		local_irq_save(flags);
		if (!try_cmpxchg(&slot->state, &old, VCM_SLOT_BUSY)) {
			local_irq_restore(flags);
			*busy = true;
			continue;
		}
		/* Ours now, and stable: is it still the one we saw? */
		match = slot->rec.key == want->key &&
			slot->rec.kind == want->kind &&
			(!exact || vcm_track_exact(&slot->rec, want->size, nents,
						   want->dir));
		if (match)
			*rec = slot->rec;
		vcm_slot_set(slot, match ? VCM_SLOT_EMPTY : VCM_SLOT_LIVE);
		local_irq_restore(flags);
		if (match)
			return true;
	}
	return false;
}

/* Take the chained record that matches best, if any, into *@rec. */
static bool vcm_track_chain_take(struct vcm_assoc *assoc,
				 const struct vcm_track_rec *want,
				 const u32 *nents, struct vcm_track_rec *rec)
{
	struct vcm_track_bucket *b = vcm_track_bucket(assoc, want->key);
	struct vcm_track *t, *match = NULL;
	unsigned long flags;

	/*
	 * An unmap follows its map, which the driver made visible to this
	 * CPU when it handed the address over: an empty bucket is empty.
	 */
	if (hlist_empty(&b->head))
		return false;
	spin_lock_irqsave(&b->lock, flags);
	hlist_for_each_entry(t, &b->head, node) {
		if (t->rec.key != want->key || t->rec.kind != want->kind)
			continue;
		if (!match)
			match = t;
		if (vcm_track_exact(&t->rec, want->size, nents, want->dir)) {
			match = t;
			break;
		}
	}
	if (match)
		hlist_del(&match->node);
	spin_unlock_irqrestore(&b->lock, flags);
	if (!match)
		return false;
	*rec = match->rec;
	kmem_cache_free(vcm_track_cache, match);
	return true;
}

/*
 * The DMA segments of a freshly mapped list that hold something the
 * backend gives back per segment (bounce slots), copied for the record:
 * NULL when there are none, as for every list that did not bounce.
 */
static struct vcm_track_segs *vcm_track_held(struct vcm_assoc *assoc,
					     struct scatterlist *sgl,
					     int count)
{
	const struct vcm_backend *be = assoc->vcm->backend;
	struct vcm_track_segs *held;
	struct scatterlist *s;
	unsigned int n = 0;
	int i;

	if (!be->seg_held)
		return NULL;
	for_each_sg(sgl, s, count, i)
		n += !sg_dma_is_bus_address(s) &&
		     be->seg_held(assoc, sg_dma_address(s));
	if (!n)
		return NULL;
	held = kmalloc(struct_size(held, seg, n), GFP_ATOMIC | __GFP_NOWARN);
	if (!held)
		return ERR_PTR(-ENOMEM);
	held->n = 0;
	for_each_sg(sgl, s, count, i) {
		if (sg_dma_is_bus_address(s) ||
		    !be->seg_held(assoc, sg_dma_address(s)))
			continue;
		held->n++;
		held->seg[held->n - 1].addr = sg_dma_address(s);
		held->seg[held->n - 1].len = sg_dma_len(s);
	}
	return held;
}

/**
 * __vcm_track_add() - record a live streaming mapping
 * @assoc: the device
 * @kind: page, sg list or resource
 * @key: device address (page, resource) or sg list address
 * @size: bytes mapped
 * @nents: for an sg list: entries passed in (high 16 bits: segments out)
 * @dir: direction
 * @shared: made through a VCM buffer's shared reservation
 *
 * Reached through vcm_track_add(), which only counts the mapping of a
 * device attached without tracking.  An sg list is still the caller's to
 * read here: its DMA segments are
 * noted from it.
 *
 * Return: 0, or -ENOMEM when the record cannot be allocated; the caller
 * must then fail the mapping, which it would otherwise not be able to check.
 */
int __vcm_track_add(struct vcm_assoc *assoc, enum vcm_map_kind kind,
		    unsigned long key, size_t size, u32 nents,
		    enum dma_data_direction dir, bool shared)
{
	struct vcm_track_rec rec = {
		.key = key, .size = size, .nents = nents, .kind = kind,
		.dir = dir, .shared = shared,
	};
	struct vcm_track_bucket *b;
	struct vcm_track *t;
	unsigned long flags;

	if (kind == VCM_MAP_SG) {
		vcm_sg_dma_span((struct scatterlist *)key, nents >> 16,
				&rec.sg_first, &rec.sg_end);
		rec.held = vcm_track_held(assoc, (struct scatterlist *)key,
					  nents >> 16);
		if (IS_ERR(rec.held))
			return PTR_ERR(rec.held);
	}
	if (!vcm_track_slot_add(assoc, &rec)) {
		t = kmem_cache_alloc(vcm_track_cache,
				     GFP_ATOMIC | __GFP_NOWARN);
		if (!t) {
			kfree(rec.held);
			return -ENOMEM;
		}
		t->rec = rec;
		b = vcm_track_bucket(assoc, key);
		spin_lock_irqsave(&b->lock, flags);
		hlist_add_head(&t->node, &b->head);
		spin_unlock_irqrestore(&b->lock, flags);
	}
	vcm_live_add(assoc, 1, size);
	return 0;
}

/**
 * __vcm_track_del() - retire a live streaming mapping, checking the caller
 * @assoc: the device
 * @kind: page, sg list or resource
 * @key: as passed to vcm_track_add()
 * @size: in: the size the driver claims; out: the size that was mapped
 * @nents: for an sg list, in: the entry count the driver claims; out: the
 *	count recorded at map time; NULL otherwise
 * @dir: in: the direction the driver claims; out: the recorded one
 * @shared: set to how the mapping was made (VCM_SHARED_UNKNOWN without a
 *	record)
 *
 * When the same address is mapped more than once, an exact match is
 * preferred.  Mismatches are reported, and the caller goes on with what was
 * recorded, so that a wrong size never releases the wrong bounce slots.
 *
 * Reached through vcm_track_del(): for a device attached without
 * tracking, that only changes the counters, and the caller goes on with
 * what it passed in.
 *
 * Return: false if there is no such mapping (reported): the caller must not
 * touch anything.
 */
bool __vcm_track_del(struct vcm_assoc *assoc, enum vcm_map_kind kind,
		     unsigned long key, size_t *size, u32 *nents,
		     enum dma_data_direction *dir, enum vcm_shared *shared)
{
	struct vcm_track_rec want = {
		.key = key, .size = *size, .kind = kind, .dir = *dir,
	}, rec;

	for (;;) {
		bool busy = false;

		if (vcm_track_slot_take(assoc, &want, nents, true, &rec, &busy) ||
		    vcm_track_chain_take(assoc, &want, nents, &rec) ||
		    vcm_track_slot_take(assoc, &want, nents, false, &rec,
					&busy))
			break;
		if (!busy) {
			vcm_report(assoc, VCM_ERR_UNKNOWN_HANDLE,
				   "unmap of %s %#lx (%zu bytes) that is not mapped (double unmap?)\n",
				   vcm_map_kind_names[kind], key, *size);
			return false;
		}
		/* A BUSY slot is released within a few instructions. */
		cpu_relax();
	}
	if (kind != VCM_MAP_SG && rec.size != *size)
		vcm_report(assoc, VCM_ERR_SIZE_MISMATCH,
			   "unmap of %s %#lx with size %zu, mapped with %zu\n",
			   vcm_map_kind_names[kind], key, *size, rec.size);
	if (nents && (rec.nents & 0xffff) != (*nents & 0xffff))
		vcm_report(assoc, VCM_ERR_SIZE_MISMATCH,
			   "unmap of sg %#lx with %u entries, mapped with %u\n",
			   key, *nents & 0xffff, rec.nents & 0xffff);
	if (rec.dir != *dir)
		vcm_report(assoc, VCM_ERR_DIR_MISMATCH,
			   "unmap of %s %#lx with direction %d, mapped with %d\n",
			   vcm_map_kind_names[kind], key, *dir, rec.dir);

	/* The mapping is undone as it was made, from the driver's list. */
	kfree(rec.held);
	*size = rec.size;
	*dir = rec.dir;
	*shared = rec.shared ? VCM_SHARED : VCM_NOT_SHARED;
	if (nents)
		*nents = rec.nents;
	vcm_live_add(assoc, -1, -(long)rec.size);
	return true;
}

static void vcm_show_rec(struct seq_file *m, const struct vcm_track_rec *rec,
			 unsigned long *sg)
{
	if (rec->kind == VCM_MAP_SG)
		(*sg)++;
	else
		seq_printf(m, "    iova %#lx+%#zx %s\n", rec->key, rec->size,
			   vcm_map_kind_names[rec->kind]);
}

/**
 * vcm_show_streaming() - list a device's live streaming IOVA ranges
 * @m: the debugfs file
 * @assoc: the device
 *
 * Pages and resources are listed by address; sg lists only by count, as
 * their record is keyed by the list.  The slots are read without taking
 * them: a record retired meanwhile may still show.
 */
void vcm_show_streaming(struct seq_file *m, struct vcm_assoc *assoc)
{
	struct vcm_track_table *tt = assoc->table;
	unsigned long flags, sg = 0;
	struct vcm_track_rec rec;
	struct vcm_track *t;
	unsigned int i;

	if (!tt)
		return;
	for (i = 0; i < ARRAY_SIZE(tt->slots); i++) {
		if (!vcm_slot_live(&tt->slots[i]))
			continue;
		/* A snapshot for debugfs: racy by design, see above. */
		rec = data_race(tt->slots[i].rec);
		vcm_show_rec(m, &rec, &sg);
	}
	for (i = 0; i < ARRAY_SIZE(tt->track); i++) {
		spin_lock_irqsave(&tt->track[i].lock, flags);
		hlist_for_each_entry(t, &tt->track[i].head, node)
			vcm_show_rec(m, &t->rec, &sg);
		spin_unlock_irqrestore(&tt->track[i].lock, flags);
	}
	if (sg)
		seq_printf(m, "    sg lists %lu\n", sg);
}

/*
 * Tear down one streaming mapping a driver left behind.  Pages and
 * resources are unmapped through the backend (giving back bounce slots and
 * IOVAs).  An sg list's memory may already be freed: the backend tears it
 * down from the DMA range noted at map time, and the segments that hold
 * something of their own (a one-to-one list's bounce slots) were noted
 * one by one.  The buffers such a list pinned (vcm-share.c) can no
 * longer be found from its entries: they stay pinned, leaked with the
 * list, which keeps them from being freed under a device that may still
 * reach them.
 */
static void vcm_track_teardown(struct vcm_assoc *assoc,
			       const struct vcm_track_rec *rec)
{
	const struct vcm_backend *be = assoc->vcm->backend;
	dma_addr_t addr = rec->kind == VCM_MAP_SG ? rec->sg_first : rec->key;

	vcm_report(assoc, VCM_ERR_LEAKED,
		   "%s %#lx (%zu bytes) still mapped at unbind, unmapping\n",
		   vcm_map_kind_names[rec->kind], rec->key, rec->size);
	vcm_live_add(assoc, -1, -(long)rec->size);
	/* A mapping through a shared buffer is only an edge to drop. */
	if (rec->shared && vcm_share_unmap(assoc, addr, 1, rec->dir, true))
		return;
	if (rec->kind == VCM_MAP_PAGE) {
		vcm_unmap_pinned(assoc, rec->key, rec->size, rec->dir,
				 DMA_ATTR_SKIP_CPU_SYNC);
		return;
	}
	if (rec->kind != VCM_MAP_SG) {
		be->unmap_phys(assoc, rec->key, rec->size, rec->dir,
			       DMA_ATTR_SKIP_CPU_SYNC);
		return;
	}
	if (rec->held) {
		unsigned int i;

		for (i = 0; i < rec->held->n; i++)
			be->unmap_phys(assoc, rec->held->seg[i].addr,
				       rec->held->seg[i].len, rec->dir,
				       DMA_ATTR_SKIP_CPU_SYNC);
		kfree(rec->held);
	}
	if (be->teardown_sg)
		be->teardown_sg(assoc, rec->sg_first, rec->sg_end);
}

/**
 * vcm_track_flush() - tear down every recorded streaming mapping of a device
 * @assoc: the device, whose driver is gone
 *
 * Return: how many mappings there were.
 */
unsigned long vcm_track_flush(struct vcm_assoc *assoc)
{
	struct vcm_track_table *tt = assoc->table;
	unsigned long n = 0;
	struct vcm_track *t;
	struct hlist_node *tmp;
	unsigned int i;

	if (!tt)
		return 0;
	for (i = 0; i < ARRAY_SIZE(tt->slots); i++) {
		struct vcm_track_slot *slot = &tt->slots[i];
		unsigned int old = VCM_SLOT_LIVE;
		struct vcm_track_rec rec;
		unsigned long flags;

		local_irq_save(flags);
		if (!try_cmpxchg(&slot->state, &old, VCM_SLOT_BUSY)) {
			local_irq_restore(flags);
			continue;
		}
		rec = slot->rec;
		vcm_slot_set(slot, VCM_SLOT_EMPTY);
		local_irq_restore(flags);
		vcm_track_teardown(assoc, &rec);
		n++;
	}
	for (i = 0; i < ARRAY_SIZE(tt->track); i++) {
		struct vcm_track_bucket *b = &tt->track[i];
		unsigned long flags;
		HLIST_HEAD(dead);

		spin_lock_irqsave(&b->lock, flags);
		hlist_move_list(&b->head, &dead);
		spin_unlock_irqrestore(&b->lock, flags);

		hlist_for_each_entry_safe(t, tmp, &dead, node) {
			vcm_track_teardown(assoc, &t->rec);
			kmem_cache_free(vcm_track_cache, t);
			n++;
		}
	}
	return n;
}

/**
 * vcm_track_table_alloc() - a table for a device whose mappings are recorded
 *
 * Context: process context.
 *
 * Return: the empty table, or NULL.
 */
struct vcm_track_table *vcm_track_table_alloc(void)
{
	struct vcm_track_table *tt;
	unsigned int i;

	tt = kzalloc(sizeof(*tt), GFP_KERNEL);
	if (!tt)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(tt->track); i++) {
		spin_lock_init(&tt->track[i].lock);
		INIT_HLIST_HEAD(&tt->track[i].head);
	}
	return tt;
}

static int __init vcm_track_init(void)
{
	vcm_track_cache = KMEM_CACHE(vcm_track, 0);
	return vcm_track_cache ? 0 : -ENOMEM;
}
core_initcall(vcm_track_init);
