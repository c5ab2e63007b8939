// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the index from page frames to buffers.
 *
 * The streaming DMA API hands VCM pages, not buffers: to map a buffer once
 * per address space (vcm-share.c), or to keep alive the buffers a mapping
 * reaches off their path, VCM must find the buffer a page belongs to, on
 * the hot path, for every page it is given.  This is that lookup, and it
 * stands on the buffers alone: vcm-phys.c enters a buffer's chunks when it
 * makes the buffer and takes them out when it frees it.
 *
 * The index.  Every chunk of every buffer is in a latched RB-tree keyed by
 * page frame (include/linux/rbtree_latch.h): lookups take no lock and never
 * wait for a writer, which is what the streaming hot path needs; writers
 * (buffer allocation and release) serialise on vcm_index_lock.  A lookup
 * holds rcu_read_lock() and pins the buffer it found with
 * kref_get_unless_zero(); a buffer's struct is freed after a grace period
 * (vcm_phys_release()), so a reader never touches freed memory.
 *
 * In front of the tree, a bitmap has one bit per page frame of the memory
 * the machine may have (32 KiB per GiB, only with VCM on): set while the
 * page is in a chunk of some buffer.  A streaming mapping of a page VCM did
 * not allocate (page cache, network buffers) costs one bit test and
 * nothing else; only the pages of buffers go on to the tree, for their
 * buffer.  Writers set a chunk's bits before the chunk enters the tree and
 * clear them after it has left, under vcm_index_lock; chunks never overlap,
 * so each bit has one owner.  A reader that sees a clear bit can only be
 * looking at a page in no chunk it may map.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include "vcm.h"

struct latch_tree_root vcm_index;
static DEFINE_SPINLOCK(vcm_index_lock);	/* serialises writers of vcm_index */
/* Chunks in the index: while zero, lookups return at once. */
atomic_long_t vcm_index_chunks;

/*
 * The bitmap and its length in bits (page frames).  Set once, by
 * vcm_index_map_init(), and published by storing the length last; never
 * freed.  Bits change under vcm_index_lock, a word at a time (WRITE_ONCE);
 * readers take no lock.
 */
unsigned long *vcm_index_map __read_mostly;
unsigned long vcm_index_map_len __read_mostly;

/**
 * vcm_index_map_init() - set up the index's bitmap of page frames
 *
 * Sized for all memory the machine may have (max_possible_pfn); pages
 * hot-added beyond it are always looked up in the tree.  Called before the
 * first buffer exists: when VCM starts serving devices, or by a test.
 *
 * Context: process; may sleep.
 *
 * Return: 0 if the bitmap is in place, -EBUSY if buffers exist already
 * (and the bitmap is not), -ENOMEM.
 */
int vcm_index_map_init(void)
{
	unsigned long len = max_t(unsigned long, max_possible_pfn, max_pfn);
	unsigned long *map, flags;
	int ret = 0;

	/* Pairs with the release below: a set length means a set map. */
	if (smp_load_acquire(&vcm_index_map_len))
		return 0;
	map = kvcalloc(BITS_TO_LONGS(len), sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	spin_lock_irqsave(&vcm_index_lock, flags);
	if (vcm_index_map_len || atomic_long_read(&vcm_index_chunks)) {
		ret = vcm_index_map_len ? 0 : -EBUSY;
	} else {
		vcm_index_map = map;
		/* Readers that see the length see the map (and its zeroes). */
		smp_store_release(&vcm_index_map_len, len);
		map = NULL;
	}
	spin_unlock_irqrestore(&vcm_index_lock, flags);
	kvfree(map);
	return ret;
}

/* For debugfs: the bitmap's size and how many pages it has set. */
void vcm_index_map_show(struct seq_file *m)
{
	/* Pairs with vcm_index_map_init()'s release of the length. */
	unsigned long len = smp_load_acquire(&vcm_index_map_len);

	seq_printf(m, "index map: pages=%lu in_chunks=%u chunks=%ld\n", len,
		   len ? bitmap_weight(vcm_index_map, len) : 0,
		   atomic_long_read(&vcm_index_chunks));
}

/* Set (@on) or clear the bits of chunk @c's pages that the bitmap covers. */
static void vcm_index_map_mark(const struct vcm_chunk *c, bool on)
{
	unsigned long pfn = c->pfn;
	unsigned long end = min(c->pfn + c->nr_pages, vcm_index_map_len);

	lockdep_assert_held(&vcm_index_lock);
	while (pfn < end) {
		unsigned long *word = &vcm_index_map[BIT_WORD(pfn)];
		unsigned long next = min(ALIGN(pfn + 1, BITS_PER_LONG), end);
		unsigned long mask = BITMAP_FIRST_WORD_MASK(pfn) &
				     BITMAP_LAST_WORD_MASK(next);

		WRITE_ONCE(*word, on ? *word | mask : *word & ~mask);
		pfn = next;
	}
}

/* Put @n chunks into the index: bits first, then the tree (see above). */
static void vcm_index_insert_locked(struct vcm_chunk *c, unsigned int n)
{
	unsigned int i;

	lockdep_assert_held(&vcm_index_lock);
	for (i = 0; i < n; i++) {
		vcm_index_map_mark(&c[i], true);
		latch_tree_insert(&c[i].index, &vcm_index, &vcm_index_ops);
	}
	atomic_long_add(n, &vcm_index_chunks);
}

/* Take @n chunks out of the index: the tree first, then the bits. */
static void vcm_index_erase_locked(struct vcm_chunk *c, unsigned int n)
{
	unsigned int i;

	lockdep_assert_held(&vcm_index_lock);
	for (i = 0; i < n; i++) {
		latch_tree_erase(&c[i].index, &vcm_index, &vcm_index_ops);
		vcm_index_map_mark(&c[i], false);
	}
	atomic_long_sub(n, &vcm_index_chunks);
}

/*
 * Chunks a writer inserts or erases per hold of vcm_index_lock, which
 * keeps interrupts off: a buffer of scattered pages has tens of thousands
 * of chunks, and a reader may see part of one, as it may see part of a
 * buffer being freed (whose count is zero: it cannot pin it) or being made
 * (which nobody maps yet).
 */
#define VCM_INDEX_BATCH		64U

/**
 * vcm_index_add() - make a new buffer's pages findable
 * @phys: the buffer, with its chunks filled in
 *
 * Also numbers the chunks: each learns its buffer and its page offset.
 */
void vcm_index_add(struct vcm_phys *phys)
{
	unsigned long flags, pgoff = 0;
	unsigned int i, n;

	for (i = 0; i < phys->nr_chunks; i++) {
		phys->chunks[i].phys = phys;
		phys->chunks[i].pgoff = pgoff;
		pgoff += phys->chunks[i].nr_pages;
	}
	for (i = 0; i < phys->nr_chunks; i += n) {
		n = min(phys->nr_chunks - i, VCM_INDEX_BATCH);
		spin_lock_irqsave(&vcm_index_lock, flags);
		vcm_index_insert_locked(&phys->chunks[i], n);
		spin_unlock_irqrestore(&vcm_index_lock, flags);
	}
}

/**
 * vcm_index_del() - forget a buffer's pages, before they are freed
 * @phys: the buffer
 *
 * Readers may still look at the chunks until an RCU grace period has
 * passed; they cannot pin the buffer, whose reference count is zero.
 */
void vcm_index_del(struct vcm_phys *phys)
{
	unsigned long flags;
	unsigned int i, n;

	for (i = 0; i < phys->nr_chunks; i += n) {
		n = min(phys->nr_chunks - i, VCM_INDEX_BATCH);
		spin_lock_irqsave(&vcm_index_lock, flags);
		vcm_index_erase_locked(&phys->chunks[i], n);
		spin_unlock_irqrestore(&vcm_index_lock, flags);
	}
}

/**
 * vcm_index_get() - the VCM buffer that holds a physical range
 * @paddr: start of the range
 * @size: its length, at least 1
 * @offset: set to the offset of @paddr in the buffer
 *
 * Context: any; takes no lock.
 *
 * Return: the buffer with a reference for the caller (vcm_phys_put()), or
 * NULL if the range is not wholly inside one chunk of a live buffer.
 */
struct vcm_phys *vcm_index_get(phys_addr_t paddr, size_t size,
			       size_t *offset)
{
	struct vcm_phys *phys = NULL;
	struct vcm_chunk *c;

	if (!size || !vcm_index_may_hold(paddr) ||
	    !atomic_long_read(&vcm_index_chunks))
		return NULL;
	rcu_read_lock();
	c = vcm_index_find_rcu(paddr, size);
	if (c && kref_get_unless_zero(&c->phys->kref)) {
		phys = c->phys;
		*offset = vcm_chunk_offset(c, paddr);
	}
	rcu_read_unlock();
	return phys;
}
