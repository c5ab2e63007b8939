// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: physical buffers.
 *
 * A vcm_phys is a list of chunks of physically contiguous pages.  This file
 * allocates and frees them, keeps the list of live buffers for debugfs
 * (vcm_phys_list, under vcm_phys_list_lock), and gives the CPU views of a
 * buffer: an sg_table with one entry per chunk, and user mappings.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/dma-direct.h>
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "vcm.h"

LIST_HEAD(vcm_phys_list);
DEFINE_SPINLOCK(vcm_phys_list_lock);

/* Chunks taken, and attempts that fell back to a lower order, by order. */
atomic_long_t vcm_chunk_stats[VCM_CHUNK_STAT_ORDERS][2];

static struct vcm_phys *vcm_phys_new(struct device *owner,
				     unsigned int nr_chunks, gfp_t gfp)
{
	struct vcm_phys *phys;

	phys = kzalloc(sizeof(*phys), vcm_meta_gfp(gfp));
	if (!phys)
		return NULL;
	phys->chunks = &phys->one;
	if (nr_chunks > 1) {
		/* Only blocking requests have more than one chunk. */
		phys->chunks = kvcalloc(nr_chunks, sizeof(*phys->chunks),
					GFP_KERNEL);
		if (!phys->chunks) {
			kfree(phys);
			return NULL;
		}
	}
	kref_init(&phys->kref);
	spin_lock_init(&phys->lock);
	INIT_LIST_HEAD(&phys->res);
	phys->nr_chunks = nr_chunks;
	phys->owner = get_device(owner);
	return phys;
}

/* Make a new buffer findable: by its pages, and in debugfs. */
static void vcm_phys_publish(struct vcm_phys *phys)
{
	unsigned long flags;

	vcm_index_add(phys);
	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	list_add_tail(&phys->node, &vcm_phys_list);
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);
}

/*
 * Buddy pages of a buffer are always split (alloc_pages_exact() and
 * vcm_alloc_chunk() do it), so they go back one by one, whatever chunk
 * they ended up in.
 */
/* Free a new buffer's struct that never held memory or was published. */
static void vcm_phys_discard(struct vcm_phys *phys)
{
	put_device(phys->owner);
	if (phys->chunks != &phys->one)
		kvfree(phys->chunks);
	kfree(phys);
}

void vcm_free_run(unsigned long pfn, unsigned long nr_pages)
{
	unsigned long i;

	for (i = 0; i < nr_pages; i++)
		__free_page(pfn_to_page(pfn + i));
}

/* Fill @pages with the buffer's pages, in buffer order. */
static void vcm_phys_pages(struct vcm_phys *phys, struct page **pages)
{
	unsigned long j, n = 0;
	unsigned int i;

	for (i = 0; i < phys->nr_chunks; i++)
		for (j = 0; j < phys->chunks[i].nr_pages; j++)
			pages[n++] = pfn_to_page(phys->chunks[i].pfn + j);
}

/**
 * vcm_phys_reachable() - can a one-to-one device reach a physical range?
 * @dev: the device, whose bus window and bus DMA limit apply
 * @phys: start of the range
 * @size: its length
 * @limit: the device's mask for the purpose
 *
 * Return: true if all of [@phys, @phys + @size) lies below both limits.
 */
bool vcm_phys_reachable(struct device *dev, phys_addr_t phys, size_t size,
			u64 limit)
{
	dma_addr_t addr = phys_to_dma(dev, phys);

	return addr + size - 1 <= min_not_zero(limit, dev->bus_dma_limit);
}

/*
 * alloc_pages_exact() on @node: the device's NUMA node, as dma-direct
 * allocates (alloc_pages_exact_nid() is __meminit, gone after boot
 * without memory hot-plug).  The tail of the power-of-two block goes
 * back; free with free_pages_exact().
 */
static void *vcm_alloc_pages_exact_node(int node, size_t size, gfp_t gfp)
{
	unsigned int order = get_order(size);
	unsigned long i, nr = PFN_UP(size);
	struct page *page;

	page = alloc_pages_node(node, gfp & ~__GFP_COMP, order);
	if (!page)
		return NULL;
	split_page(page, order);
	for (i = nr; i < 1UL << order; i++)
		__free_page(page + i);
	return page_address(page);
}

/*
 * Pages from the buddy allocator, in the highest zone that @limit allows
 * first, then in the lower ones, as dma-direct does.  alloc_pages_exact()
 * gives the tail of the power-of-two block back.
 */
static struct page *vcm_alloc_exact(struct device *dev, size_t size,
				    gfp_t gfp, u64 limit)
{
	phys_addr_t phys_limit = dma_to_phys(dev, min_not_zero(limit,
						dev->bus_dma_limit));
	void *va;

	if (phys_limit <= zone_dma_limit)
		gfp |= GFP_DMA;
	else if (phys_limit <= DMA_BIT_MASK(32))
		gfp |= GFP_DMA32;

	for (;;) {
		va = vcm_alloc_pages_exact_node(dev_to_node(dev), size, gfp);
		if (!va || vcm_phys_reachable(dev, virt_to_phys(va), size,
					      limit))
			return va ? virt_to_page(va) : NULL;
		free_pages_exact(va, size);
		if (IS_ENABLED(CONFIG_ZONE_DMA32) &&
		    !(gfp & (GFP_DMA32 | GFP_DMA))) {
			gfp |= GFP_DMA32;
		} else if (IS_ENABLED(CONFIG_ZONE_DMA) && !(gfp & GFP_DMA)) {
			gfp = (gfp & ~GFP_DMA32) | GFP_DMA;
		} else {
			return NULL;
		}
	}
}

/**
 * vcm_phys_alloc_contig() - allocate one physically contiguous chunk
 * @dev: the device it is for (CMA area, NUMA node, bus window)
 * @size: bytes, a multiple of PAGE_SIZE
 * @gfp: allocation context; without __GFP_DIRECT_RECLAIM no CMA is tried
 * @limit: highest device address the buffer may reach (a DMA mask)
 *
 * Blocking requests try the device's or the global CMA area first, like
 * dma-direct, so that large buffers do not fail on fragmentation.  The
 * buffer is zeroed.
 *
 * Return: the buffer with one reference for the caller, or NULL.
 */
struct vcm_phys *vcm_phys_alloc_contig(struct device *dev, size_t size,
				       gfp_t gfp, u64 limit)
{
	struct vcm_phys *phys;
	struct page *page;

	if (WARN_ON_ONCE(!PAGE_ALIGNED(size) || !size))
		return NULL;
	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_COMP |
		 __GFP_ZERO);
	phys = vcm_phys_new(dev, 1, gfp);
	if (!phys)
		return NULL;

	page = dma_alloc_contiguous(dev, size, gfp);
	if (page && !vcm_phys_reachable(dev, page_to_phys(page), size,
					limit)) {
		dma_free_contiguous(dev, page, size);
		page = NULL;
	}
	if (page)
		phys->flags |= VCM_PHYS_CMA;
	else
		page = vcm_alloc_exact(dev, size, gfp, limit);
	if (!page) {
		vcm_phys_discard(phys);
		return NULL;
	}

	/* Zeroed once here, for CMA and buddy pages alike. */
	memset(page_address(page), 0, size);
	phys->size = size;
	phys->chunks[0].pfn = page_to_pfn(page);
	phys->chunks[0].nr_pages = size >> PAGE_SHIFT;
	vcm_phys_publish(phys);
	return phys;
}

/* A new, unpublished buffer of @n runs of pages, @size bytes in all. */
static struct vcm_phys *vcm_phys_of_runs(struct device *dev,
					 const struct vcm_run *runs,
					 unsigned int n, size_t size, gfp_t gfp)
{
	struct vcm_phys *phys = vcm_phys_new(dev, n, gfp);
	unsigned int i;

	if (!phys)
		return NULL;
	phys->size = size;
	for (i = 0; i < n; i++) {
		phys->chunks[i].pfn = runs[i].pfn;
		phys->chunks[i].nr_pages = runs[i].nr_pages;
	}
	return phys;
}

/*
 * The largest order in *@orders that fits @pages, from the buddy
 * allocator, trying smaller orders of *@orders when it fails.  Higher
 * orders do not retry hard: falling back to small pages beats stalling in
 * compaction.  An order that failed leaves *@orders, so that the rest of
 * the buffer does not ask for it again (as dma-iommu's allocator and the
 * system heap do): under fragmentation every chunk would otherwise pay for
 * a failed attempt at each higher order, compaction included.
 */
static struct page *vcm_alloc_chunk(int node, unsigned long pages,
				    unsigned long *orders, gfp_t gfp,
				    gfp_t high_gfp, unsigned int *order)
{
	unsigned long fit = *orders & GENMASK(__fls(pages), 0);
	struct page *page;

	while (fit) {
		*order = __fls(fit);
		fit &= ~BIT(*order);
		page = alloc_pages_node(node, *order ? high_gfp : gfp, *order);
		atomic_long_inc(&vcm_chunk_stats[*order][!page]);
		if (page) {
			split_page(page, *order);
			return page;
		}
		if (*order)
			*orders &= ~BIT(*order);
	}
	return NULL;
}

/**
 * vcm_phys_alloc_chunks() - allocate a buffer of large chunks
 * @dev: the device it is for (NUMA node), or NULL (a dma-buf heap's)
 * @size: bytes, a multiple of PAGE_SIZE
 * @gfp: allocation flags, blocking; with a zone modifier (__GFP_DMA32,
 *	__GFP_DMA) every chunk lies in that zone or below it, which callers
 *	that map through an IOMMU have no use for
 * @orders: bitmap of the chunk orders worth having (bit n: 2^n pages),
 *	typically the page sizes of the IOMMU that will map the buffer; with
 *	VCM_ORDERS_IF_FREE, chunks above order 0 are taken only where they
 *	are free, without reclaim or compaction (as the system heap takes
 *	them: a buffer whose importers are unknown gains little from them);
 *	without it they get light reclaim (__GFP_NORETRY, as in dma-iommu)
 *
 * Takes the largest chunks first, so that an IOMMU can map the buffer with
 * its large pages, and merges chunks that happen to be adjacent.  Orders
 * above the buddy allocator's limit are ignored; order 0 is always allowed.
 * The buffer is zeroed.
 *
 * Return: the buffer with one reference for the caller, or NULL.
 */
struct vcm_phys *vcm_phys_alloc_chunks(struct device *dev, size_t size,
				       gfp_t gfp, unsigned long orders)
{
	unsigned long left = size >> PAGE_SHIFT, n = 0, i;
	struct vcm_phys *phys = NULL;
	struct vcm_run *tmp;
	unsigned int order;
	struct page *page;
	gfp_t high_gfp;

	if (WARN_ON_ONCE(!PAGE_ALIGNED(size) || !size))
		return NULL;
	gfp &= ~(__GFP_HIGHMEM | __GFP_COMP);
	high_gfp = (gfp & ~__GFP_RETRY_MAYFAIL) | __GFP_NORETRY | __GFP_NOWARN;
	if (orders & VCM_ORDERS_IF_FREE)
		high_gfp &= ~__GFP_RECLAIM;
	orders = (orders & GENMASK(MAX_PAGE_ORDER, 0)) | 1;
	tmp = kvmalloc_array(left, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return NULL;

	while (left) {
		/* A large buffer for a dying task is not worth finishing. */
		if (fatal_signal_pending(current))
			goto fail;
		page = vcm_alloc_chunk(dev ? dev_to_node(dev) : NUMA_NO_NODE,
				       left, &orders, gfp, high_gfp, &order);
		if (!page)
			goto fail;
		if (n && tmp[n - 1].pfn + tmp[n - 1].nr_pages == page_to_pfn(page)) {
			tmp[n - 1].nr_pages += 1UL << order;
		} else {
			tmp[n].pfn = page_to_pfn(page);
			tmp[n++].nr_pages = 1UL << order;
		}
		left -= 1UL << order;
	}

	phys = vcm_phys_of_runs(dev, tmp, n, size, gfp);
	if (!phys)
		goto fail;
	for (i = 0; i < n; i++) {
		memset(pfn_to_kaddr(tmp[i].pfn), 0, tmp[i].nr_pages << PAGE_SHIFT);
		cond_resched();
	}
	kvfree(tmp);
	vcm_phys_publish(phys);
	return phys;

fail:
	while (n--)
		vcm_free_run(tmp[n].pfn, tmp[n].nr_pages);
	kvfree(tmp);
	return NULL;
}

/**
 * vcm_phys_from_runs() - a buffer of pages the memtype pool handed out
 * @dev: its owner, or NULL
 * @runs: its chunks, in buffer order: zeroed pages of the pool, typed
 * @n: how many
 * @size: bytes in all
 * @mt: their type
 *
 * Return: the buffer, published, with one reference for the caller, or
 * NULL (the pages stay the caller's).
 */
struct vcm_phys *vcm_phys_from_runs(struct device *dev,
				    const struct vcm_run *runs, unsigned int n,
				    size_t size, enum vcm_mt mt)
{
	struct vcm_phys *phys = vcm_phys_of_runs(dev, runs, n, size,
						 GFP_KERNEL);

	if (!phys)
		return NULL;
	phys->flags |= VCM_PHYS_POOLED;
	phys->mt = mt;
	phys->nr_typed = n;
	vcm_phys_publish(phys);
	return phys;
}

/**
 * vcm_phys_walk() - visit the physically contiguous pieces of a buffer range
 * @phys: the buffer
 * @offset: start of the range, in bytes into the buffer
 * @size: its length
 * @fn: called for each piece in buffer order with its physical address,
 *	its length and the bytes of the range before it; a non-zero return
 *	stops the walk
 * @arg: passed to @fn
 *
 * Return: 0, or what @fn returned.
 */
int vcm_phys_walk(struct vcm_phys *phys, size_t offset, size_t size,
		  vcm_piece_fn fn, void *arg)
{
	size_t done = 0;
	unsigned int i;
	int ret;

	for (i = 0; i < phys->nr_chunks && done < size; i++) {
		size_t clen = phys->chunks[i].nr_pages << PAGE_SHIFT, len;

		if (offset >= clen) {
			offset -= clen;
			continue;
		}
		len = min(clen - offset, size - done);
		ret = fn(PFN_PHYS(phys->chunks[i].pfn) + offset, len, done, arg);
		if (ret)
			return ret;
		done += len;
		offset = 0;
	}
	return 0;
}

/* Walk state of vcm_phys_contiguous(): where the next piece must start. */
struct vcm_contig_walk {
	phys_addr_t first;
	phys_addr_t next;
};

static int vcm_phys_contig_piece(phys_addr_t paddr, size_t len, size_t done,
				 void *arg)
{
	struct vcm_contig_walk *w = arg;

	if (!done)
		w->first = paddr;
	else if (paddr != w->next)
		return -EINVAL;
	w->next = paddr + len;
	return 0;
}

/**
 * vcm_phys_contiguous() - where a buffer range lies, if it is contiguous
 * @phys: the buffer
 * @offset: start of the range, in bytes into the buffer
 * @size: its length, at least 1
 *
 * Return: the physical address of the range, or (phys_addr_t)-1 if it is
 * not physically contiguous or not inside the buffer.
 */
phys_addr_t vcm_phys_contiguous(struct vcm_phys *phys, size_t offset,
				size_t size)
{
	struct vcm_contig_walk w = {};

	if (!size || offset >= phys->size || size > phys->size - offset ||
	    vcm_phys_walk(phys, offset, size, vcm_phys_contig_piece, &w))
		return (phys_addr_t)-1;
	return w.first;
}

static const struct vcm_mapper vcm_vmap_mapper = {
	.kind = VCM_MAPPER_VMAP, .name = "vmap",
};

/**
 * vcm_phys_vmap() - a contiguous kernel view of a buffer of several chunks
 * @phys: the buffer
 *
 * The view has the buffer's memory type, and is one of its mappers until
 * vcm_phys_vunmap().
 *
 * Return: the address, to be given to vcm_phys_vunmap(), or NULL.
 */
void *vcm_phys_vmap(struct vcm_phys *phys)
{
	unsigned long n = phys->size >> PAGE_SHIFT;
	struct page **pages;
	enum vcm_mt mt;
	void *va = NULL;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return NULL;
	if (vcm_phys_memtype_get(phys, phys->mt, &vcm_vmap_mapper, &mt))
		goto out;
	vcm_phys_pages(phys, pages);
	va = vmap(pages, n, VM_MAP, vcm_mt_pgprot(PAGE_KERNEL, mt));
	if (!va)
		vcm_phys_memtype_put(phys, &vcm_vmap_mapper);
out:
	kvfree(pages);
	return va;
}

/**
 * vcm_phys_vunmap() - undo vcm_phys_vmap()
 * @phys: the buffer
 * @va: the view
 */
void vcm_phys_vunmap(struct vcm_phys *phys, void *va)
{
	vunmap(va);
	vcm_phys_memtype_put(phys, &vcm_vmap_mapper);
}

/* Give a released buffer's memory back where it came from. */
static void vcm_phys_free_rcu(struct rcu_head *rcu)
{
	struct vcm_phys *phys = container_of(rcu, struct vcm_phys, rcu);

	if (phys->chunks != &phys->one)
		kvfree(phys->chunks);
	kfree(phys);
}

static void vcm_phys_free(struct vcm_phys *phys)
{
	unsigned int i;

	/* Process context (vcm_phys_release()). */
	if (phys->flags & VCM_PHYS_POOLED) {
		vcm_mt_pool_free(phys);
	} else if (phys->flags & VCM_PHYS_CMA) {
		if (!phys->nr_typed || vcm_mt_untype(phys->chunks[0].pfn,
						     phys->chunks[0].nr_pages,
						     phys->mt))
			dma_free_contiguous(phys->owner, vcm_phys_page(phys),
					    phys->size);
	} else {
		for (i = 0; i < phys->nr_chunks; i++) {
			const struct vcm_chunk *c = &phys->chunks[i];

			/* A chunk still typed is never freed. */
			if (i < phys->nr_typed &&
			    !vcm_mt_untype(c->pfn, c->nr_pages, phys->mt))
				continue;
			vcm_free_run(c->pfn, c->nr_pages);
			cond_resched();
		}
	}
	put_device(phys->owner);
	/* Lookups through the index may still be reading the chunks. */
	call_rcu(&phys->rcu, vcm_phys_free_rcu);
}

static void vcm_phys_free_work(struct work_struct *work)
{
	vcm_phys_free(container_of(work, struct vcm_phys, free_work));
}

/**
 * vcm_phys_release() - kref release function of a vcm_phys
 * @kref: the buffer's reference count, now zero
 *
 * Takes the buffer out of the index and the list at once, and gives the
 * memory back where it came from, from process context.  Every reservation
 * holds a reference, so none can still point at the buffer.
 */
void vcm_phys_release(struct kref *kref)
{
	struct vcm_phys *phys = container_of(kref, struct vcm_phys, kref);
	unsigned long flags;

	WARN_ON(!list_empty(&phys->res));
	vcm_index_del(phys);
	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	list_del(&phys->node);
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);

	/*
	 * The last reference may go in atomic context, even in an interrupt
	 * handler (the last streaming unmap of a shared buffer): freeing a
	 * large buffer page by page, or the owner's last device reference,
	 * wait for process context then.
	 */
	if (!preemptible()) {
		INIT_WORK(&phys->free_work, vcm_phys_free_work);
		schedule_work(&phys->free_work);
		return;
	}
	vcm_phys_free(phys);
}

/**
 * vcm_phys_put() - drop a reference to a buffer
 * @phys: the buffer; freed when its last mapping and reference are gone
 */
void vcm_phys_put(struct vcm_phys *phys)
{
	if (!IS_ERR_OR_NULL(phys))
		kref_put(&phys->kref, vcm_phys_release);
}
EXPORT_SYMBOL_GPL(vcm_phys_put);

/**
 * vcm_phys_quarantine() - keep a buffer's memory from ever being reused
 * @phys: a buffer that a device which was not stopped may still write
 *
 * Freeing it would let the page allocator hand the pages to someone else
 * while the device's DMA may still land in them.  The buffer takes a
 * reference that is never dropped, forgets its owner (whose device may go
 * away) and stays listed in debugfs as quarantined.  The memory is lost
 * until reboot, which is the price of not corrupting someone else's.
 */
void vcm_phys_quarantine(struct vcm_phys *phys)
{
	struct device *owner;
	unsigned long flags;

	kref_get(&phys->kref);
	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	phys->flags |= VCM_PHYS_QUARANTINED;
	owner = phys->owner;
	phys->owner = NULL;
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);
	put_device(owner);
}

/**
 * vcm_phys_to_sgtable_max() - describe a buffer in entries of bounded length
 * @phys: the buffer
 * @sgt: table to fill; the caller frees it with sg_free_table()
 * @max_seg: longest entry, a multiple of PAGE_SIZE (an importer's
 *	dma_get_max_seg_size(): DMA-API debug holds the table's entries to it)
 * @gfp: allocation flags
 *
 * One entry per chunk, or per @max_seg of it: a buffer of a few large
 * chunks gives a table of a few entries, whatever its size.
 *
 * Return: 0 or -ENOMEM.
 */
int vcm_phys_to_sgtable_max(struct vcm_phys *phys, struct sg_table *sgt,
			    size_t max_seg, gfp_t gfp)
{
	unsigned long max_pages = max_t(unsigned long, max_seg >> PAGE_SHIFT, 1);
	unsigned int i, n = 0;
	struct scatterlist *sg;
	int ret;

	for (i = 0; i < phys->nr_chunks; i++)
		n += DIV_ROUND_UP(phys->chunks[i].nr_pages, max_pages);
	ret = sg_alloc_table(sgt, n, gfp);
	if (ret)
		return ret;
	sg = sgt->sgl;
	for (i = 0; i < phys->nr_chunks; i++) {
		const struct vcm_chunk *c = &phys->chunks[i];
		unsigned long done, len;

		for (done = 0; done < c->nr_pages; done += len) {
			len = min(c->nr_pages - done, max_pages);
			sg_set_page(sg, pfn_to_page(c->pfn + done),
				    len << PAGE_SHIFT, 0);
			sg = sg_next(sg);
		}
	}
	return 0;
}

/**
 * vcm_phys_to_sgtable() - describe a buffer to the CPU side of an sg_table
 * @phys: the buffer
 * @sgt: table to fill; the caller frees it with sg_free_table()
 * @gfp: allocation flags
 *
 * One entry per chunk.
 *
 * Return: 0 or -ENOMEM.
 */
int vcm_phys_to_sgtable(struct vcm_phys *phys, struct sg_table *sgt,
			gfp_t gfp)
{
	return vcm_phys_to_sgtable_max(phys, sgt, UINT_MAX & PAGE_MASK, gfp);
}

/**
 * vcm_phys_mmap() - map a buffer, or the part @vma selects, to user space
 * @phys: the buffer
 * @vma: the user mapping; vm_pgoff is the page offset into the buffer and
 *	vm_page_prot must already carry the memory type
 *
 * Return: 0, -ENXIO if @vma reaches past the buffer, or the error of
 * remap_pfn_range().
 */
int vcm_phys_mmap(struct vcm_phys *phys, struct vm_area_struct *vma)
{
	unsigned long skip = vma->vm_pgoff, left = vma_pages(vma);
	unsigned long uaddr = vma->vm_start;
	unsigned int i;
	int ret;

	if (skip >= phys->size >> PAGE_SHIFT ||
	    left > (phys->size >> PAGE_SHIFT) - skip)
		return -ENXIO;

	for (i = 0; i < phys->nr_chunks && left; i++) {
		const struct vcm_chunk *c = &phys->chunks[i];
		unsigned long n;

		if (skip >= c->nr_pages) {
			skip -= c->nr_pages;
			continue;
		}
		n = min(left, c->nr_pages - skip);
		ret = remap_pfn_range(vma, uaddr, c->pfn + skip,
				      n << PAGE_SHIFT, vma->vm_page_prot);
		if (ret)
			return ret;
		uaddr += n << PAGE_SHIFT;
		left -= n;
		skip = 0;
	}
	return 0;
}
