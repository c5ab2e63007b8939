// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: a pool of typed memory.
 *
 * Changing the type of the kernel's linear map is costly: set_memory_wc()
 * flushes the caches of the range and the TLBs of every CPU, and splits the
 * direct map's large page around a range smaller than it -- for good, the
 * direct map is not merged back.  A driver that allocates and frees
 * write-combining buffers the obvious way pays both per buffer; TTM keeps
 * pools of WC and UC pages for this reason.
 *
 * This pool keeps typed memory typed.  It holds blocks of 2 MiB, naturally
 * aligned, so that the direct map's 2 MiB page over a block changes type
 * whole instead of being split; one type per block, given once when the
 * block joins the pool, when the block is also declared in the memtype
 * index, owned by the pool.  Typed buffers are carved out of blocks of
 * their type, a chunk per run of free pages, and given back to them when
 * freed: at steady state, a typed allocation calls no set_memory function
 * and splits nothing.  Under memory pressure the shrinker gives blocks with
 * no page in use back to the page allocator, write-back again.
 *
 * A buffer from the pool is VCM_PHYS_POOLED: its chunks lie in ranges the
 * pool declared, so its mappers are counted there like those of any typed
 * buffer, and its free returns its pages to their blocks.  Pages are
 * zeroed when they are handed out, through their (typed) linear alias.
 *
 * Locking: each pool's mutex protects its list of blocks and every block's
 * map of pages in use.  Allocating from the pool sleeps, as typing memory
 * does anyway.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include "vcm.h"

#define VCM_MT_BLOCK_ORDER	(21 - PAGE_SHIFT)
#define VCM_MT_BLOCK_PAGES	BIT(VCM_MT_BLOCK_ORDER)
#define VCM_MT_BLOCK_SIZE	(VCM_MT_BLOCK_PAGES << PAGE_SHIFT)

/**
 * struct vcm_mt_block - one 2 MiB block of a pool
 * @node: entry in its pool's list
 * @pfn: its first page frame
 * @used: pages of it in buffers
 * @map: which pages are in buffers
 */
struct vcm_mt_block {
	struct list_head node;
	unsigned long pfn;
	unsigned int used;
	DECLARE_BITMAP(map, VCM_MT_BLOCK_PAGES);
};

/**
 * struct vcm_mt_pool - the blocks of one memory type
 * @lock: protects @blocks and each block's @used and @map
 * @blocks: its blocks
 * @nr_blocks: blocks in @blocks
 * @free_blocks: blocks with no page in use (read unlocked by the shrinker)
 * @typed: blocks ever given the type: each one set_memory call
 * @released: blocks given back write-back: each one more
 */
struct vcm_mt_pool {
	struct mutex lock;		/* see above */
	struct list_head blocks;
	unsigned long nr_blocks;
	atomic_long_t free_blocks;
	atomic_long_t typed;
	atomic_long_t released;
};

static struct vcm_mt_pool vcm_mt_pools[VCM_MT_NR] = {
	[VCM_MT_WC] = {
		.lock = __MUTEX_INITIALIZER(vcm_mt_pools[VCM_MT_WC].lock),
		.blocks = LIST_HEAD_INIT(vcm_mt_pools[VCM_MT_WC].blocks),
	},
	[VCM_MT_UC] = {
		.lock = __MUTEX_INITIALIZER(vcm_mt_pools[VCM_MT_UC].lock),
		.blocks = LIST_HEAD_INIT(vcm_mt_pools[VCM_MT_UC].blocks),
	},
};

/* dma=vcm,nopool turns the pool off: every typed buffer is typed anew. */
bool vcm_mt_pool_enabled = true;

static bool vcm_mt_pooled_type(enum vcm_mt mt)
{
	return mt == VCM_MT_WC || mt == VCM_MT_UC;
}

/* A new block of type @mt that @dev reaches below @limit, or NULL. */
static struct vcm_mt_block *vcm_mt_block_new(struct device *dev,
					     enum vcm_mt mt, u64 limit)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	phys_addr_t start;
	struct vcm_mt_block *b;
	struct page *page;

	if (limit <= DMA_BIT_MASK(32))
		gfp |= __GFP_DMA32;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	page = alloc_pages_node(dev ? dev_to_node(dev) : NUMA_NO_NODE, gfp,
				VCM_MT_BLOCK_ORDER);
	if (!page)
		goto free;
	start = page_to_phys(page);
	if (dev && !vcm_phys_reachable(dev, start, VCM_MT_BLOCK_SIZE, limit))
		goto free_pages;
	/* Zeroed when handed out; freed page by page if ever given back. */
	split_page(page, VCM_MT_BLOCK_ORDER);
	b->pfn = page_to_pfn(page);
	if (vcm_memtype_declare(&vcm_memtype, start, VCM_MT_BLOCK_SIZE, mt,
				"vcm pool", GFP_KERNEL))
		goto free_split;
	if (vcm_mt_set_linear(b->pfn, VCM_MT_BLOCK_PAGES, mt)) {
		vcm_memtype_undeclare(&vcm_memtype, start, VCM_MT_BLOCK_SIZE);
		goto free_split;
	}
	atomic_long_inc(&vcm_mt_pools[mt].typed);
	return b;

free_split:
	vcm_free_run(b->pfn, VCM_MT_BLOCK_PAGES);
	goto free;
free_pages:
	__free_pages(page, VCM_MT_BLOCK_ORDER);
free:
	kfree(b);
	return NULL;
}

/*
 * Give an unused block back to the page allocator: out of the index, its
 * linear alias write-back (vcm_mt_untype()); a block for which that fails
 * is kept out of the allocator for good.
 */
static void vcm_mt_block_release(struct vcm_mt_block *b, enum vcm_mt mt)
{
	if (vcm_mt_untype(b->pfn, VCM_MT_BLOCK_PAGES, mt))
		vcm_free_run(b->pfn, VCM_MT_BLOCK_PAGES);
	atomic_long_inc(&vcm_mt_pools[mt].released);
	kfree(b);
}

/* Mark [@first, @first + @n) of @b used and zero it, as run @r. */
static void vcm_mt_block_take(struct vcm_mt_pool *pool, struct vcm_mt_block *b,
			      unsigned long first, unsigned long n,
			      struct vcm_run *r)
{
	lockdep_assert_held(&pool->lock);
	if (!b->used)
		atomic_long_dec(&pool->free_blocks);
	bitmap_set(b->map, first, n);
	b->used += n;
	r->pfn = b->pfn + first;
	r->nr_pages = n;
	memset(pfn_to_kaddr(r->pfn), 0, n << PAGE_SHIFT);
}

/*
 * Take up to @left pages of @b as runs into @runs (*@n so far): all in one
 * run if @contiguous.  Return the pages taken.
 */
static unsigned long vcm_mt_block_carve(struct vcm_mt_pool *pool,
					struct vcm_mt_block *b,
					unsigned long left, bool contiguous,
					struct vcm_run *runs, unsigned int *n)
{
	unsigned long first, end, got = 0;

	if (contiguous) {
		first = bitmap_find_next_zero_area(b->map, VCM_MT_BLOCK_PAGES,
						   0, left, 0);
		if (first >= VCM_MT_BLOCK_PAGES)
			return 0;
		vcm_mt_block_take(pool, b, first, left, &runs[(*n)++]);
		return left;
	}
	first = find_first_zero_bit(b->map, VCM_MT_BLOCK_PAGES);
	while (left && first < VCM_MT_BLOCK_PAGES) {
		end = find_next_bit(b->map, VCM_MT_BLOCK_PAGES, first);
		end = min(end, first + left);
		vcm_mt_block_take(pool, b, first, end - first, &runs[(*n)++]);
		got += end - first;
		left -= end - first;
		first = find_next_zero_bit(b->map, VCM_MT_BLOCK_PAGES, end);
	}
	return got;
}

/* Give the pages of runs back to the blocks that hold them. */
static void vcm_mt_pool_put_runs(struct vcm_mt_pool *pool,
				 const struct vcm_run *runs, unsigned int n)
{
	struct vcm_mt_block *b;
	unsigned int i;

	lockdep_assert_held(&pool->lock);
	for (i = 0; i < n; i++) {
		list_for_each_entry(b, &pool->blocks, node) {
			unsigned long first = runs[i].pfn - b->pfn;

			if (runs[i].pfn < b->pfn || first >= VCM_MT_BLOCK_PAGES)
				continue;
			WARN_ON_ONCE(b->used < runs[i].nr_pages);
			bitmap_clear(b->map, first, runs[i].nr_pages);
			b->used -= runs[i].nr_pages;
			if (!b->used)
				atomic_long_inc(&pool->free_blocks);
			break;
		}
	}
}

/**
 * vcm_mt_pool_alloc() - a typed buffer out of the pool
 * @dev: the buffer's owner, whose reach @limit is
 * @size: bytes, a multiple of PAGE_SIZE
 * @mt: write-combining or uncached
 * @limit: highest device address the buffer may reach (a one-to-one
 *	device's coherent mask; DMA_BIT_MASK(64) behind an IOMMU)
 * @contiguous: one chunk (at most a block), for a one-to-one device
 *
 * Blocks are added to the pool as the request needs them.
 *
 * Context: process context; sleeps.
 *
 * Return: the buffer, zeroed, typed, with one reference for the caller; or
 * NULL if the pool cannot serve the request, which the caller then serves
 * the ordinary way (vcm_phys_set_type()).
 */
struct vcm_phys *vcm_mt_pool_alloc(struct device *dev, size_t size,
				   enum vcm_mt mt, u64 limit, bool contiguous)
{
	unsigned long left = size >> PAGE_SHIFT;
	struct vcm_mt_pool *pool;
	struct vcm_phys *phys = NULL;
	struct vcm_mt_block *b;
	struct vcm_run *runs;
	unsigned int n = 0;

	might_sleep();
	if (!READ_ONCE(vcm_mt_pool_enabled) || !vcm_mt_pooled_type(mt) ||
	    !vcm_memtype_can_type() || !left ||
	    !PAGE_ALIGNED(size) ||
	    (contiguous && left > VCM_MT_BLOCK_PAGES))
		return NULL;
	pool = &vcm_mt_pools[mt];
	runs = kvmalloc_array(contiguous ? 1 : left, sizeof(*runs), GFP_KERNEL);
	if (!runs)
		return NULL;

	mutex_lock(&pool->lock);
	list_for_each_entry(b, &pool->blocks, node) {
		if (!left)
			break;
		if (b->used == VCM_MT_BLOCK_PAGES ||
		    (dev && !vcm_phys_reachable(dev, PFN_PHYS(b->pfn),
						VCM_MT_BLOCK_SIZE, limit)))
			continue;
		left -= vcm_mt_block_carve(pool, b, left, contiguous, runs, &n);
	}
	while (left) {
		b = vcm_mt_block_new(dev, mt, limit);
		if (!b)
			goto fail;
		list_add_tail(&b->node, &pool->blocks);
		pool->nr_blocks++;
		atomic_long_inc(&pool->free_blocks);
		left -= vcm_mt_block_carve(pool, b, left, contiguous, runs, &n);
	}
	mutex_unlock(&pool->lock);

	phys = vcm_phys_from_runs(dev, runs, n, size, mt);
	if (phys) {
		kvfree(runs);
		return phys;
	}
	mutex_lock(&pool->lock);
fail:
	vcm_mt_pool_put_runs(pool, runs, n);
	mutex_unlock(&pool->lock);
	kvfree(runs);
	return NULL;
}

/**
 * vcm_mt_pool_free() - give a pooled buffer's pages back to the pool
 * @phys: the buffer, released
 *
 * Context: process context; sleeps.
 */
void vcm_mt_pool_free(struct vcm_phys *phys)
{
	struct vcm_mt_pool *pool = &vcm_mt_pools[phys->mt];
	unsigned int i;

	mutex_lock(&pool->lock);
	for (i = 0; i < phys->nr_chunks; i++) {
		struct vcm_run r = {
			.pfn = phys->chunks[i].pfn,
			.nr_pages = phys->chunks[i].nr_pages,
		};

		vcm_mt_pool_put_runs(pool, &r, 1);
	}
	mutex_unlock(&pool->lock);
}

/**
 * vcm_mt_pool_shrink() - give unused blocks back to the page allocator
 * @nr_pages: how many pages to give back at most
 * @wait: wait for a pool's lock, rather than skip a pool that is busy
 *
 * Context: process context; sleeps.
 *
 * Return: the pages given back.
 */
unsigned long vcm_mt_pool_shrink(unsigned long nr_pages, bool wait)
{
	struct vcm_mt_block *b, *tmp;
	unsigned long freed = 0;
	enum vcm_mt mt;

	for (mt = 0; mt < VCM_MT_NR; mt++) {
		struct vcm_mt_pool *pool = &vcm_mt_pools[mt];
		LIST_HEAD(gone);

		if (!vcm_mt_pooled_type(mt))
			continue;
		if (wait)
			mutex_lock(&pool->lock);
		else if (!mutex_trylock(&pool->lock))
			continue;
		list_for_each_entry_safe(b, tmp, &pool->blocks, node) {
			if (freed >= nr_pages)
				break;
			if (b->used)
				continue;
			list_move(&b->node, &gone);
			pool->nr_blocks--;
			atomic_long_dec(&pool->free_blocks);
			freed += VCM_MT_BLOCK_PAGES;
		}
		mutex_unlock(&pool->lock);
		/* Unused, out of the list: nobody else can reach them. */
		list_for_each_entry_safe(b, tmp, &gone, node)
			vcm_mt_block_release(b, mt);
	}
	return freed;
}

static unsigned long vcm_mt_pool_count(struct shrinker *s,
				       struct shrink_control *sc)
{
	unsigned long n = atomic_long_read(&vcm_mt_pools[VCM_MT_WC].free_blocks) +
			  atomic_long_read(&vcm_mt_pools[VCM_MT_UC].free_blocks);

	return n ? n * VCM_MT_BLOCK_PAGES : SHRINK_EMPTY;
}

static unsigned long vcm_mt_pool_scan(struct shrinker *s,
				      struct shrink_control *sc)
{
	unsigned long freed = vcm_mt_pool_shrink(sc->nr_to_scan, false);

	return freed ?: SHRINK_STOP;
}

/**
 * vcm_mt_pool_init() - register the pool's shrinker
 *
 * Return: 0 or -ENOMEM.
 */
int vcm_mt_pool_init(void)
{
	struct shrinker *s = shrinker_alloc(0, "vcm-memtype-pool");

	if (!s)
		return -ENOMEM;
	s->count_objects = vcm_mt_pool_count;
	s->scan_objects = vcm_mt_pool_scan;
	/* Freeing a block changes the direct map: not a cheap object. */
	s->seeks = DEFAULT_SEEKS * 4;
	shrinker_register(s);
	return 0;
}

/**
 * vcm_mt_pool_show() - the pools, for debugfs
 * @m: the seq_file
 *
 * One line a pool: "pool <type> blocks=<n> free_blocks=<n> used_pages=<n>
 * typed=<n> released=<n>", the last two the blocks ever given the type
 * and given back: the set_memory calls the pool made; then
 * "set_memory_calls=<n>", every type change of the linear map VCM made,
 * in the pool or not.
 */
void vcm_mt_pool_show(struct seq_file *m)
{
	struct vcm_mt_block *b;
	enum vcm_mt mt;

	for (mt = 0; mt < VCM_MT_NR; mt++) {
		struct vcm_mt_pool *pool = &vcm_mt_pools[mt];
		unsigned long used = 0, nr;

		if (!vcm_mt_pooled_type(mt))
			continue;
		mutex_lock(&pool->lock);
		list_for_each_entry(b, &pool->blocks, node)
			used += b->used;
		nr = pool->nr_blocks;
		mutex_unlock(&pool->lock);
		seq_printf(m, "pool %s blocks=%lu free_blocks=%ld used_pages=%lu typed=%ld released=%ld\n",
			   vcm_mt_name(mt), nr,
			   atomic_long_read(&pool->free_blocks), used,
			   atomic_long_read(&pool->typed),
			   atomic_long_read(&pool->released));
	}
	seq_printf(m, "set_memory_calls=%ld\n",
		   atomic_long_read(&vcm_mt_set_memory_calls));
}
