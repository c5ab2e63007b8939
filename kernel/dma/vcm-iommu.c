// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the IOMMU backend.
 *
 * A vcm of the iommu kind is a translating IOMMU domain (the device's
 * default DMA domain).  VCM, not dma-iommu, owns its I/O virtual addresses:
 * the vcm has its own IOVA allocator (the kernel's iova.c, with its per-CPU
 * rcache), seeded with the IOMMU's reserved regions and the host bridge's
 * windows, and writes the page tables with iommu_map()/iommu_unmap().
 * The devices of one IOMMU group share its domain, hence one vcm.  Because
 * two allocators in one domain would hand out the same addresses, VCM
 * takes a group only as a whole (see vcm_group_blocker()).
 *
 * Invalidation is strict by default: iommu_unmap() syncs the IOTLB before
 * it returns, so when dma_unmap_*() or dma_free_*() returns, the device can
 * no longer reach the memory.  With "dma=vcm,lazy", a streaming unmap
 * still clears the page table entries at once, but the IOTLB invalidation
 * is batched, one flush per batch, at most VCM_LAZY_DELAY_MS later; an
 * IOVA (and any page-table page the unmap unlinked) goes back only after
 * the flush, so it is never reused while a stale IOTLB entry could still
 * reach the old page.  That is dma-iommu's flush-queue guarantee: in the
 * window, a device can use a translation its IOTLB already cached, and no
 * other.  Coherent frees are always strict.
 *
 * IOMMU faults reported by the IOMMU driver (report_iommu_fault()) are
 * explained in VCM's log: which device and vcm, and what the address was.
 *
 * Locking: each per-CPU lazy queue has its own lock (the timer flushes
 * them from any CPU).  The IOVA allocator and the IOMMU page tables have
 * their own locks.  The per-CPU logs of unmaps take none (see
 * vcm_iommu_log_unmap()), and the per-CPU stacks of one-granule IOVAs
 * are only touched by their own CPU with interrupts off (vcm_iova_pop()).
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/dma-map-ops.h>
#include <linux/fault-inject.h>
#include <linux/iommu.h>
#include <linux/iova.h>
#include <linux/memremap.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
/*
 * iommu_put_pages_list() frees the page-table pages an IOMMU driver leaves
 * on a queued gather; dma-iommu uses it for the same purpose.
 */
#include "../../drivers/iommu/iommu-pages.h"
#include "vcm-iommu.h"

#define VCM_LAZY_DELAY_MS	10

static struct vcm *to_vcm(struct vcm_assoc *assoc)
{
	return assoc->vcm;
}

static struct iova_domain *to_iovad(struct vcm *vcm)
{
	return &vcm->iommu->iovad;
}

/* IOMMU_* protection bits of a mapping, as dma-iommu chooses them. */
static int vcm_iommu_prot(struct device *dev, enum dma_data_direction dir,
			  unsigned long attrs)
{
	int prot = dev_is_dma_coherent(dev) ? IOMMU_CACHE : 0;

	if (attrs & DMA_ATTR_PRIVILEGED)
		prot |= IOMMU_PRIV;
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return prot | IOMMU_READ | IOMMU_WRITE;
	case DMA_TO_DEVICE:
		return prot | IOMMU_READ;
	case DMA_FROM_DEVICE:
		return prot | IOMMU_WRITE;
	default:
		return 0;
	}
}

/*
 * @prot for a streaming mapping of [@phys, @phys + @size) made off any
 * reservation: without IOMMU_CACHE if it touches a typed buffer's pages
 * (a list or a range that is not wholly inside one buffer).  One counter
 * read while nothing is typed.
 */
static int vcm_iommu_phys_prot(int prot, phys_addr_t phys, size_t size)
{
	if (vcm_memtype_typed(&vcm_memtype, phys, size))
		return prot & ~IOMMU_CACHE;
	return prot;
}

/* ------------------------------------------------------------------------
 * I/O virtual addresses
 */

/*
 * One-granule IOVAs: per-CPU stacks in front of the allocator
 *
 * Most streaming mappings are one page, and behind a strict IOMMU the
 * allocator's share of a map + unmap pair is worth a tenth of it: the
 * rcache takes an interrupt-safe spinlock on each side, and sizes the
 * request on the way.  A freed one-granule IOVA goes first to a short
 * stack of the CPU that frees it, taken with interrupts off and no lock,
 * and the next one-granule request on that CPU takes it back if it is
 * below the device's limit (only the top is looked at: a vcm's devices
 * mostly share one mask, and a miss costs one comparison).  An IOVA on a
 * stack was unmapped and invalidated before it got there (lazy mode
 * pushes only after the batch's flush), and stays allocated in @iovad
 * meanwhile, so the allocator, the hand-back walk and put_iova_domain()
 * see an allocated range with nothing mapped, as for the rcache's.  The
 * stacks of a CPU that goes offline keep their few IOVAs until it comes
 * back or the vcm goes.
 */
static unsigned long vcm_iova_pop(struct vcm_iommu *vi,
				  unsigned long limit_pfn)
{
	struct vcm_iova_stack *st;
	unsigned long flags, pfn = 0;

	local_irq_save(flags);
	st = this_cpu_ptr(vi->stacks);
	if (st->nr && st->pfn[st->nr - 1] <= limit_pfn)
		pfn = st->pfn[--st->nr];
	local_irq_restore(flags);
	return pfn;
}

static bool vcm_iova_push(struct vcm_iommu *vi, unsigned long pfn)
{
	struct vcm_iova_stack *st;
	unsigned long flags;
	bool kept = false;

	local_irq_save(flags);
	st = this_cpu_ptr(vi->stacks);
	if (st->nr < VCM_IOVA_STACK) {
		st->pfn[st->nr++] = pfn;
		kept = true;
	}
	local_irq_restore(flags);
	return kept;
}

/*
 * Allocate @size bytes (a multiple of the granule) of IOVA below @limit.
 * As dma-iommu does (iommu_dma_alloc_iova()), PCI devices get addresses
 * below 4 GiB first: enough hardware and firmware still mishandles 64-bit
 * addresses, and it keeps the rcache effective.  The same per-device latch
 * decides: iommu_setup_dma_ops() sets dev->iommu->pci_32bit_workaround
 * unless "iommu.forcedac=1", and the first time the 32-bit space is full
 * it is cleared for good, with dma-iommu's notice, so that a device does
 * not pay two allocator walks per mapping from then on.
 *
 * Return: the IOVA, or 0.
 */
static dma_addr_t vcm_iova_alloc(struct vcm_assoc *assoc, size_t size,
				 u64 limit)
{
	struct device *dev = assoc->dev;
	struct vcm *vcm = to_vcm(assoc);
	struct iova_domain *iovad = to_iovad(vcm);
	unsigned long shift = iova_shift(iovad);
	unsigned long len = size >> shift, pfn;
	bool low;

	limit = min_not_zero(limit, dev->bus_dma_limit);
	if (vcm->domain->geometry.force_aperture)
		limit = min_t(u64, limit, vcm->domain->geometry.aperture_end);
	low = limit > DMA_BIT_MASK(32) && dev->iommu &&
	      dev->iommu->pci_32bit_workaround;
	if (len == 1) {
		pfn = vcm_iova_pop(vcm->iommu,
				   (low ? DMA_BIT_MASK(32) : limit) >> shift);
		if (pfn)
			return (dma_addr_t)pfn << shift;
	}
	if (low) {
		pfn = alloc_iova_fast(iovad, len, DMA_BIT_MASK(32) >> shift,
				      false);
		if (pfn)
			return (dma_addr_t)pfn << shift;
		dev->iommu->pci_32bit_workaround = false;
		dev_notice(dev, "Using %d-bit DMA addresses\n", bits_per(limit));
	}
	pfn = alloc_iova_fast(iovad, len, limit >> shift, true);
	return (dma_addr_t)pfn << shift;
}

static void vcm_iova_free(struct vcm *vcm, dma_addr_t iova, size_t size)
{
	struct iova_domain *iovad = to_iovad(vcm);
	unsigned long pfn = iova_pfn(iovad, iova);
	unsigned long len = size >> iova_shift(iovad);

	if (len == 1 && vcm_iova_push(vcm->iommu, pfn))
		return;
	free_iova_fast(iovad, pfn, len);
}

/* ------------------------------------------------------------------------
 * Page-size accounting for debugfs
 *
 * iommu_map() splits a range into the largest pages the IOMMU supports
 * that the alignment of IOVA and physical address allow (iommu_pgsize()).
 * The same split, done here, tells how many bytes of the vcm's
 * reservations (coherent buffers, native mappings) each page size maps.
 * Streaming mappings are counted per device instead.
 */
/*
 * The bytes of one page size counted so far and not yet added to the
 * vcm's counter: a buffer of thousands of lone pages costs one atomic add,
 * not one per page.  With @res, what is added is also noted in its record
 * (struct vcm_res_acct).
 */
struct vcm_iommu_tally {
	struct vcm *vcm;
	struct vcm_res *res;
	unsigned int idx;	/* log2 of the page size counted */
	long bytes;
};

#define VCM_ACCT_MANY	0xff	/* struct vcm_res_acct holds too few sizes */

static void vcm_iommu_acct_note(struct vcm_res_acct *a, unsigned int idx,
				long bytes)
{
	int k;

	if (a->shift[1] == VCM_ACCT_MANY)
		return;
	for (k = 0; k < ARRAY_SIZE(a->shift); k++) {
		if (!a->shift[k])
			a->shift[k] = idx;
		if (a->shift[k] == idx) {
			a->bytes[k] += bytes;
			return;
		}
	}
	a->shift[1] = VCM_ACCT_MANY;
}

static void vcm_iommu_tally_flush(struct vcm_iommu_tally *t)
{
	if (!t->bytes)
		return;
	atomic_long_add(t->bytes, &t->vcm->iommu->mapped[t->idx]);
	if (t->res)
		vcm_iommu_acct_note(&t->res->acct, t->idx, t->bytes);
	t->bytes = 0;
}

static void vcm_iommu_account(struct vcm_iommu_tally *t, dma_addr_t iova,
			      phys_addr_t phys, size_t size, long sign)
{
	unsigned long pgsizes = t->vcm->domain->pgsize_bitmap;

	while (size) {
		unsigned long addr_merge = iova | phys, fit;
		unsigned int idx;

		fit = pgsizes & GENMASK(__fls(size), 0);
		if (addr_merge)
			fit &= GENMASK(__ffs(addr_merge), 0);
		if (WARN_ON_ONCE(!fit))
			return;
		idx = __fls(fit);
		if (idx != t->idx)
			vcm_iommu_tally_flush(t);
		t->idx = idx;
		t->bytes += sign << idx;
		iova += 1UL << idx;
		phys += 1UL << idx;
		size -= 1UL << idx;
	}
}

/*
 * Failures of the IOMMU page tables on demand, for the fault-injection
 * tests: /sys/kernel/debug/vcm/fail_iommu_map/ (the usual fault_attr
 * files, see Documentation/fault-injection/fault-injection.rst), with
 * CONFIG_FAULT_INJECTION_DEBUG_FS.  Off until a probability is written.
 */
static DECLARE_FAULT_ATTR(vcm_fail_iommu_map);

/**
 * vcm_iommu_debugfs_init() - add the IOMMU backend's files to VCM's debugfs
 * @dir: /sys/kernel/debug/vcm/
 */
void vcm_iommu_debugfs_init(struct dentry *dir)
{
	/* Without fault injection there is nothing to create. */
	fault_create_debugfs_attr("fail_iommu_map", dir, &vcm_fail_iommu_map);
}

/* Map [phys, phys + size) at iova; sizes and addresses granule aligned. */
static int vcm_iommu_map_range(struct vcm *vcm, dma_addr_t iova,
			       phys_addr_t phys, size_t size, int prot,
			       gfp_t gfp)
{
	if (should_fail(&vcm_fail_iommu_map, size))
		return -ENOMEM;
	return iommu_map(vcm->domain, iova, phys, size, prot, gfp);
}

/* Clear [iova, iova + size) into @gather; the IOVA stays allocated. */
static void vcm_iommu_unmap_fast(struct vcm *vcm, dma_addr_t iova,
				 size_t size,
				 struct iommu_iotlb_gather *gather)
{
	size_t done = iommu_unmap_fast(vcm->domain, iova, size, gather);

	WARN_ONCE(done != size, "vcm: unmapped %zu of %zu bytes at %pad\n",
		  done, size, &iova);
}

/* Unmap and invalidate [iova, iova + size) now; the IOVA stays allocated. */
static void vcm_iommu_unmap_range(struct vcm *vcm, dma_addr_t iova,
				  size_t size)
{
	struct iommu_iotlb_gather gather;

	iommu_iotlb_gather_init(&gather);
	vcm_iommu_unmap_fast(vcm, iova, size, &gather);
	iommu_iotlb_sync(vcm->domain, &gather);
}

/*
 * Unmap [iova, iova + size) where anything is mapped in it: a range may
 * have unmapped holes (an sg entry moved up to a segment boundary), where
 * iommu_unmap_fast() stops, so step over a granule and go on.
 *
 * Return: bytes unmapped.
 */
static size_t vcm_iommu_unmap_holey(struct vcm *vcm, dma_addr_t iova,
				    size_t size)
{
	struct iova_domain *iovad = to_iovad(vcm);
	struct iommu_iotlb_gather gather;
	dma_addr_t pos = iova, stop = iova + size;
	size_t total = 0;

	iommu_iotlb_gather_init(&gather);
	while (pos < stop) {
		size_t done = iommu_unmap_fast(vcm->domain, pos,
					       stop - pos, &gather);

		total += done;
		pos += done ?: iovad->granule;
	}
	iommu_iotlb_sync(vcm->domain, &gather);
	return total;
}

/*
 * Note that [iova, iova + size) was given back, for fault reports.  Each
 * CPU writes its own log, so writers never share a cache line; the slot is
 * claimed with one per-CPU increment, so that an unmap from an interrupt
 * takes the next slot instead of this one.  No lock, no interrupts off.
 */
static void vcm_iommu_log_unmap(struct vcm *vcm, dma_addr_t iova, size_t size,
				const char *what)
{
	struct vcm_unmap_log *log = get_cpu_ptr(vcm->iommu->unmaps);
	struct vcm_unmap_rec *rec;

	rec = &log->rec[this_cpu_inc_return(vcm->iommu->unmaps->next) %
			VCM_UNMAP_LOG];
	rec->iova = iova;
	rec->size = size;
	rec->when = jiffies;
	rec->what = what;
	put_cpu_ptr(vcm->iommu->unmaps);
}

/* ------------------------------------------------------------------------
 * Lazy invalidation
 */

static void vcm_lazy_arm(struct vcm *vcm)
{
	struct timer_list *timer = &vcm->iommu->lazy_timer;

	if (!timer_pending(timer))
		mod_timer(timer, jiffies + msecs_to_jiffies(VCM_LAZY_DELAY_MS));
}

/*
 * Invalidate the whole IOTLB once for the entries of one CPU's queue that
 * were queued at @before or earlier (jiffies), then free the page-table
 * pages the unmaps unlinked and those entries' IOVAs.  The page
 * table entries were cleared at unmap time (vcm_iommu_release()): only
 * stale IOTLB entries can still reach the old pages, exactly as with
 * dma-iommu's flush queue.
 *
 * One flusher at a time owns the queue's batch (bit 0 of q->flushing; a
 * bit, not a lock, because the owner may be interrupted by an unmap that
 * finds the queue full and must not wait for it).  The heavy work runs
 * with interrupts on: q->lock is held only to move the entries.
 *
 * Return: false if someone else is flushing the queue and @wait is false.
 */
static bool vcm_lazy_flush_queue(struct vcm *vcm, struct vcm_lazy_queue *q,
				 bool wait, unsigned long before)
{
	struct vcm_iommu *vi = vcm->iommu;
	unsigned long flags;
	unsigned int i, n;
	LIST_HEAD(freelist);

	while (test_and_set_bit_lock(0, &q->flushing)) {
		if (!wait)
			return false;
		cond_resched();
	}
	spin_lock_irqsave(&q->lock, flags);
	/* The entries are in queueing order: take the old enough ones. */
	for (n = 0; n < q->count; n++)
		if (time_after(q->entry[n].when, before))
			break;
	memcpy(q->batch, q->entry, n * sizeof(*q->batch));
	memmove(q->entry, q->entry + n, (q->count - n) * sizeof(*q->entry));
	q->count -= n;
	/*
	 * Every page-table page on the list was unlinked before the flush
	 * below, whichever entry's unmap unlinked it: all can go after it.
	 */
	list_splice_init(&q->freelist, &freelist);
	spin_unlock_irqrestore(&q->lock, flags);

	if (n || !list_empty(&freelist)) {
		iommu_flush_iotlb_all(vcm->domain);
		iommu_put_pages_list(&freelist);
		/* Only now can the addresses be handed out again. */
		for (i = 0; i < n; i++)
			vcm_iova_free(vcm, q->batch[i].iova, q->batch[i].size);
		atomic_long_add(n, &vi->lazy_flushed);
	}
	clear_bit_unlock(0, &q->flushing);
	return true;
}

/* Complete every queued unmap of every CPU; may sleep. */
static void vcm_lazy_flush(struct vcm *vcm)
{
	int cpu;

	for_each_possible_cpu(cpu)
		vcm_lazy_flush_queue(vcm, per_cpu_ptr(vcm->iommu->queues, cpu),
				     true, jiffies);
}

/*
 * Flush what waited VCM_LAZY_DELAY_MS or more, on every CPU.  Only that:
 * an entry another CPU queued a moment ago may belong to an unmap that
 * has not yet returned to the DMA core, whose DMA-API debug hook retires
 * the mapping by its address afterwards; were its IOVA handed out again
 * before that, the hook would retire the new mapping instead.  Whatever
 * is left, or sits in a queue being flushed by its CPU, is looked at
 * again later, so that no unmap waits unboundedly.
 */
static void vcm_lazy_timeout(struct timer_list *t)
{
	struct vcm_iommu *vi = from_timer(vi, t, lazy_timer);
	struct vcm *vcm = vi->vcm;
	unsigned long before = jiffies - msecs_to_jiffies(VCM_LAZY_DELAY_MS);
	bool again = false;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vcm_lazy_queue *q = per_cpu_ptr(vcm->iommu->queues, cpu);

		if (!vcm_lazy_flush_queue(vcm, q, false, before) ||
		    READ_ONCE(q->count))
			again = true;
	}
	if (again)
		vcm_lazy_arm(vcm);
}

/*
 * Queue an unmapped range on this CPU, with the page-table pages its unmap
 * unlinked.  The queues are per CPU, as dma-iommu's are, for two reasons:
 * unmapping CPUs do not contend on one lock, and a full queue is flushed
 * by its own CPU, so an IOVA is never freed (and reused) by another CPU
 * while the CPU that queued it has not yet returned to the DMA core, whose
 * DMA-API debug hook retires the old mapping by that address afterwards.
 * Only the timer, at least VCM_LAZY_DELAY_MS later, flushes other CPUs'
 * queues.
 *
 * Return: false if the queue is full and being flushed by someone else;
 * the caller then flushes the range itself.
 */
static bool vcm_lazy_queue(struct vcm *vcm, dma_addr_t iova, size_t size,
			   struct list_head *freelist)
{
	struct vcm_iommu *vi = vcm->iommu;
	struct vcm_lazy_queue *q;
	unsigned long flags;

	q = get_cpu_ptr(vi->queues);
	spin_lock_irqsave(&q->lock, flags);
	while (q->count == VCM_LAZY_ENTRIES) {
		spin_unlock_irqrestore(&q->lock, flags);
		if (!vcm_lazy_flush_queue(vcm, q, false, jiffies)) {
			/*
			 * This CPU interrupted its own flush of the queue,
			 * or the timer is flushing it: no room to wait for.
			 */
			put_cpu_ptr(vi->queues);
			return false;
		}
		spin_lock_irqsave(&q->lock, flags);
	}
	q->entry[q->count].iova = iova;
	q->entry[q->count].size = size;
	q->entry[q->count].when = jiffies;
	q->count++;
	list_splice_init(freelist, &q->freelist);
	spin_unlock_irqrestore(&q->lock, flags);
	put_cpu_ptr(vi->queues);
	vcm_lazy_arm(vcm);
	return true;
}

/*
 * Give back a streaming range.  Its page table entries are cleared now in
 * either mode, so that from here on no new translation can reach the
 * page.  Strict: the IOTLB is invalidated and the IOVA freed before the
 * caller returns.  Lazy: the invalidation and the IOVA free wait for the
 * next batch (as in dma-iommu's flush queue: a translation the IOTLB
 * already cached stays usable until then, and nothing more).
 */
static void vcm_iommu_release(struct vcm *vcm, dma_addr_t iova, size_t size)
{
	struct iommu_iotlb_gather gather;

	vcm_iommu_log_unmap(vcm, iova, size, "streaming mapping");
	iommu_iotlb_gather_init(&gather);
	gather.queued = vcm->iommu->lazy;
	vcm_iommu_unmap_fast(vcm, iova, size, &gather);
	if (gather.queued &&
	    vcm_lazy_queue(vcm, iova, size, &gather.freelist))
		return;
	if (gather.queued) {
		/* A queued gather recorded no range: flush everything. */
		iommu_flush_iotlb_all(vcm->domain);
		iommu_put_pages_list(&gather.freelist);
	} else {
		/* The driver frees what the gather holds (as for dma-iommu). */
		iommu_iotlb_sync(vcm->domain, &gather);
	}
	vcm_iova_free(vcm, iova, size);
}

/* ------------------------------------------------------------------------
 * Streaming mappings
 */

static dma_addr_t vcm_iommu_map(struct vcm_assoc *assoc, phys_addr_t phys,
				size_t size, int prot)
{
	struct vcm *vcm = to_vcm(assoc);
	struct iova_domain *iovad = to_iovad(vcm);
	size_t offset = iova_offset(iovad, phys), len;
	dma_addr_t iova;

	if (!prot)
		return DMA_MAPPING_ERROR;
	len = iova_align(iovad, size + offset);
	iova = vcm_iova_alloc(assoc, len, *assoc->dev->dma_mask);
	if (!iova)
		return DMA_MAPPING_ERROR;
	if (vcm_iommu_map_range(vcm, iova, phys - offset, len, prot,
				GFP_ATOMIC)) {
		vcm_iova_free(vcm, iova, len);
		return DMA_MAPPING_ERROR;
	}
	return iova + offset;
}

static dma_addr_t vcm_iommu_map_phys(struct vcm_assoc *assoc,
				     phys_addr_t phys, size_t size,
				     enum dma_data_direction dir,
				     unsigned long attrs, bool *bounced)
{
	struct device *dev = assoc->dev;
	dma_addr_t addr;

	*bounced = false;
	addr = vcm_iommu_map(assoc, phys, size,
			     vcm_iommu_phys_prot(vcm_iommu_prot(dev, dir, attrs),
						 phys, size));
	if (addr != DMA_MAPPING_ERROR && !dev_is_dma_coherent(dev) &&
	    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(phys, size, dir);
	return addr;
}

static void vcm_iommu_sync_for_cpu(struct vcm_assoc *assoc, dma_addr_t addr,
				   size_t size, enum dma_data_direction dir)
{
	if (dev_is_dma_coherent(assoc->dev))
		return;
	arch_sync_dma_for_cpu(iommu_iova_to_phys(to_vcm(assoc)->domain,
						 addr), size, dir);
}

static void vcm_iommu_sync_for_device(struct vcm_assoc *assoc,
				      dma_addr_t addr, size_t size,
				      enum dma_data_direction dir)
{
	if (dev_is_dma_coherent(assoc->dev))
		return;
	arch_sync_dma_for_device(iommu_iova_to_phys(to_vcm(assoc)->domain,
						    addr), size, dir);
}

/*
 * A DMA segment of a list may merge CPU entries that are nowhere near each
 * other in physical memory, so a list is synced by its CPU entries, as
 * dma-iommu does (iommu_dma_sync_sg_for_cpu()), never by its segments.
 */
static void vcm_iommu_sync_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
			      int nents, enum dma_data_direction dir,
			      bool for_device)
{
	struct scatterlist *s;
	int i;

	if (dev_is_dma_coherent(assoc->dev))
		return;
	for_each_sg(sgl, s, nents, i) {
		if (for_device)
			arch_sync_dma_for_device(sg_phys(s), s->length, dir);
		else
			arch_sync_dma_for_cpu(sg_phys(s), s->length, dir);
	}
}

static void vcm_iommu_sync_sg_for_cpu(struct vcm_assoc *assoc,
				      struct scatterlist *sgl, int nents,
				      enum dma_data_direction dir)
{
	vcm_iommu_sync_sg(assoc, sgl, nents, dir, false);
}

static void vcm_iommu_sync_sg_for_device(struct vcm_assoc *assoc,
					 struct scatterlist *sgl, int nents,
					 enum dma_data_direction dir)
{
	vcm_iommu_sync_sg(assoc, sgl, nents, dir, true);
}

static void vcm_iommu_unmap_phys(struct vcm_assoc *assoc, dma_addr_t addr,
				 size_t size, enum dma_data_direction dir,
				 unsigned long attrs)
{
	struct vcm *vcm = to_vcm(assoc);
	struct iova_domain *iovad = to_iovad(vcm);
	size_t offset = iova_offset(iovad, addr);

	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		vcm_iommu_sync_for_cpu(assoc, addr, size, dir);
	vcm_iommu_release(vcm, addr - offset, iova_align(iovad, size + offset));
}

/*
 * Unmap the DMA segments of a list.  They cover every mapped granule, but
 * there may be padding between them, which some IOMMU drivers' unmap
 * stops at: each run of segments whose granules follow each other is
 * unmapped with one call (a list of scattered pages, merged into
 * segments of max_segment_size, is usually one run), never a gap, with
 * one IOTLB sync for all.  Lists are always unmapped strictly, even in
 * lazy mode.  Segments of peer-to-peer memory at its PCI bus address hold
 * no IOVA: they lose their mark and nothing else.
 *
 * Return: true if there were IOVA segments, which then lie in
 * [*@first, *@end).
 */
static bool vcm_iommu_unmap_segments(struct vcm *vcm, struct scatterlist *sgl,
				     int count, dma_addr_t *first,
				     dma_addr_t *end)
{
	struct iova_domain *iovad = to_iovad(vcm);
	struct iommu_iotlb_gather gather;
	dma_addr_t run = 0, run_end = 0;
	struct scatterlist *s;
	bool seen = false;
	int i;

	iommu_iotlb_gather_init(&gather);
	for_each_sg(sgl, s, count, i) {
		dma_addr_t a = sg_dma_address(s) -
			       iova_offset(iovad, sg_dma_address(s));

		if (sg_dma_is_bus_address(s)) {
			sg_dma_unmark_bus_address(s);
			continue;
		}
		if (!seen)
			*first = sg_dma_address(s);
		*end = sg_dma_address(s) + sg_dma_len(s);
		if (!seen || a != run_end) {
			if (seen)
				vcm_iommu_unmap_fast(vcm, run, run_end - run,
						     &gather);
			run = a;
		}
		seen = true;
		run_end = iova_align(iovad, *end);
	}
	if (seen) {
		vcm_iommu_unmap_fast(vcm, run, run_end - run, &gather);
		iommu_iotlb_sync(vcm->domain, &gather);
	}
	return seen;
}

/*
 * Laying out a scatterlist in one IOVA range.
 *
 * Each entry occupies the granules its bytes touch, at an IOVA offset that
 * keeps its offset within the granule, so entry i's device address is
 * base + pos[i] + (phys & granule mask).  An entry that would straddle the
 * device's segment boundary is moved up to the next boundary, which the
 * allocation can honour because IOVAs are aligned to the power of two of
 * their size.  Entries are merged into one DMA segment when the previous
 * one ends on a granule boundary, the next starts on one, they are
 * adjacent in IOVA space, the segment stays within max_segment_size and
 * does not cross the boundary.  The first pass computes the positions
 * (kept in the DMA address fields until the second pass), the allocation
 * takes the total, the second pass maps and merges.
 *
 * Peer-to-peer memory that the device reaches at its PCI bus address is
 * decided in the first pass and takes no room (see vcm_sg_p2pdma()): its
 * entries carry their bus address, marked, into the second pass, which
 * makes each a DMA segment of its own.
 *
 * Return: 0 with the IOVA size of the list in *@total, or -EREMOTEIO
 * (no entry is left marked).
 */
static int vcm_iommu_sg_layout(struct vcm_assoc *assoc,
			       struct scatterlist *sgl, int nents,
			       size_t *total)
{
	struct iova_domain *iovad = to_iovad(to_vcm(assoc));
	unsigned long mask = dma_get_seg_boundary(assoc->dev);
	struct pci_p2pdma_map_state p2p = {};
	struct scatterlist *s;
	size_t pos = 0;
	int i, ret;

	for_each_sg(sgl, s, nents, i) {
		size_t len = iova_align(iovad, iova_offset(iovad, sg_phys(s)) +
					s->length);

		if (is_pci_p2pdma_page(sg_page(s))) {
			ret = vcm_sg_p2pdma(&p2p, assoc->dev, s);
			if (ret < 0) {
				vcm_sg_unmark_bus(sgl, i);
				return ret;
			}
			if (ret)
				continue;
		}
		if (len - 1 <= mask && (pos & ~mask) != ((pos + len - 1) & ~mask))
			pos = ALIGN(pos, (size_t)mask + 1);
		sg_dma_address(s) = pos;
		pos += len;
	}
	*total = pos;
	return 0;
}

static int vcm_iommu_map_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
			    int nents, enum dma_data_direction dir,
			    unsigned long attrs)
{
	struct device *dev = assoc->dev;
	struct vcm *vcm = to_vcm(assoc);
	struct iova_domain *iovad = to_iovad(vcm);
	int prot = vcm_iommu_prot(dev, dir, attrs);
	struct scatterlist *s, *out = NULL;
	dma_addr_t base = 0, first, end;
	size_t total;
	int i, ret, count = 0;

	if (!prot)
		return -EINVAL;
	ret = vcm_iommu_sg_layout(assoc, sgl, nents, &total);
	if (ret)
		return ret;
	/* A list of bus addresses only needs no IOVA. */
	if (total) {
		base = vcm_iova_alloc(assoc, total, *dev->dma_mask);
		if (!base) {
			vcm_sg_unmark_bus(sgl, nents);
			return -ENOMEM;
		}
	}

	for_each_sg(sgl, s, nents, i) {
		size_t off = iova_offset(iovad, sg_phys(s));
		size_t len = iova_align(iovad, off + s->length);
		dma_addr_t addr = base + sg_dma_address(s);

		if (sg_dma_is_bus_address(s)) {
			count += vcm_sg_emit_bus(assoc, sgl, &out, s);
			continue;
		}
		if (vcm_iommu_map_range(vcm, addr, sg_phys(s) - off, len,
					vcm_iommu_phys_prot(prot,
							    sg_phys(s) - off,
							    len),
					GFP_ATOMIC))
			goto unwind;
		if (!dev_is_dma_coherent(dev) &&
		    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
			arch_sync_dma_for_device(sg_phys(s), s->length, dir);

		/*
		 * An entry starting on a granule, right where the segment
		 * ends, continues it: that end is then on a granule too.
		 * Entry i's position was read above: out <= i.
		 */
		addr += off;
		count += vcm_sg_emit(assoc, sgl, &out, addr, s->length,
				     out && !off &&
				     vcm_sg_can_extend(dev, out, addr,
						       s->length));
	}
	vcm_sg_end(out, count, nents);
	return count;

unwind:
	/*
	 * Entry i is not mapped; the @count segments before it are.  Bus
	 * address marks may be left on those and on the entries after i.
	 */
	vcm_iommu_unmap_segments(vcm, sgl, count, &first, &end);
	vcm_sg_unmark_bus(sgl, nents);
	vcm_iova_free(vcm, base, total);
	return -ENOMEM;
}

/*
 * Give back the IOVA range of a list whose segments are unmapped.  It
 * starts at the first segment's granule and ends where the last one's
 * granule ends, which is where the layout ended.
 */
static void vcm_iommu_free_sg_range(struct vcm *vcm, dma_addr_t first,
				    dma_addr_t end)
{
	struct iova_domain *iovad = to_iovad(vcm);
	dma_addr_t start = first - iova_offset(iovad, first);

	end = iova_align(iovad, end);
	vcm_iommu_log_unmap(vcm, start, end - start, "scatterlist mapping");
	vcm_iova_free(vcm, start, end - start);
}

static void vcm_iommu_unmap_sg(struct vcm_assoc *assoc,
			       struct scatterlist *sgl, int nents, int mapped,
			       enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct vcm *vcm = to_vcm(assoc);
	dma_addr_t first, end;

	if (!mapped)
		return;
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		vcm_iommu_sync_sg_for_cpu(assoc, sgl, nents, dir);
	if (vcm_iommu_unmap_segments(vcm, sgl, mapped, &first, &end))
		vcm_iommu_free_sg_range(vcm, first, end);
}

/*
 * Unmap a list whose driver unbound without unmapping it, from its IOVA
 * range alone.  The range may have unmapped gaps (entries moved up to a
 * segment boundary), where iommu_unmap_fast() stops: step over a granule
 * and go on.  A list of peer-to-peer memory at its PCI bus address alone
 * has no range (@first == @end, see vcm_sg_dma_span()).
 */
static void vcm_iommu_teardown_sg(struct vcm_assoc *assoc, dma_addr_t first,
				  dma_addr_t end)
{
	struct vcm *vcm = to_vcm(assoc);
	struct iova_domain *iovad = to_iovad(vcm);
	dma_addr_t pos = first - iova_offset(iovad, first);

	if (first == end)
		return;

	vcm_iommu_unmap_holey(vcm, pos, iova_align(iovad, end) - pos);
	vcm_iommu_free_sg_range(vcm, first, end);
}

static dma_addr_t vcm_iommu_map_resource(struct vcm_assoc *assoc,
					 phys_addr_t phys, size_t size,
					 enum dma_data_direction dir,
					 unsigned long attrs)
{
	int prot = vcm_iommu_prot(assoc->dev, dir, attrs);

	return vcm_iommu_map(assoc, phys, size, prot ? prot | IOMMU_MMIO : 0);
}

/* ------------------------------------------------------------------------
 * Reservations: a buffer of chunks at one IOVA range
 */

/*
 * Pieces are mapped in batches through iommu_map_sg(), which merges
 * physically adjacent ones and syncs the IOTLB once per batch where
 * iommu_map() would once per piece: thousands of times for a buffer of
 * scattered pages.  A batch is VCM_IOMMU_BATCH entries on the stack, or,
 * for a buffer of more pieces than that, a page of entries if one can be
 * had with the caller's gfp (an IOMMU in caching mode, as QEMU's VT-d is,
 * makes every sync an invalidation).
 */
#define VCM_IOMMU_BATCH		8
#define VCM_IOMMU_BATCH_PAGE	(PAGE_SIZE / sizeof(struct scatterlist))

/* What binding walks over the pieces of a reservation's buffer range. */
struct vcm_iommu_walk {
	struct vcm *vcm;
	dma_addr_t iova;	/* where the range starts */
	int prot;
	gfp_t gfp;
	size_t mapped;		/* bytes mapped so far */
	struct scatterlist *batch;	/* @small, or a page of entries */
	unsigned int batch_max;		/* entries in @batch */
	struct scatterlist small[VCM_IOMMU_BATCH];
	unsigned int nr;	/* pieces in @batch */
	size_t batch_done;	/* bytes of the range before @batch */
	size_t batch_len;	/* bytes in @batch */
	struct vcm_iommu_tally tally;	/* page sizes of what is mapped */
};

/* Map the pieces gathered in @w->batch, all or none of them. */
static int vcm_iommu_map_batch(struct vcm_iommu_walk *w)
{
	dma_addr_t iova = w->iova + w->batch_done;
	unsigned int i, nr = w->nr;
	struct scatterlist *s;
	ssize_t ret;

	if (!nr)
		return 0;
	if (should_fail(&vcm_fail_iommu_map, w->batch_len))
		ret = -ENOMEM;
	else
		ret = iommu_map_sg(w->vcm->domain, iova, w->batch, nr,
				   w->prot, w->gfp);
	w->nr = 0;
	if (ret < 0)
		return ret;
	if (WARN_ON_ONCE(ret != w->batch_len)) {
		iommu_unmap(w->vcm->domain, iova, ret);
		return -EIO;
	}
	w->mapped = w->batch_done + w->batch_len;
	for_each_sg(w->batch, s, nr, i) {
		vcm_iommu_account(&w->tally, iova, sg_phys(s), s->length, 1);
		iova += s->length;
	}
	return 0;
}

static int vcm_iommu_map_piece(phys_addr_t paddr, size_t len, size_t done,
			       void *arg)
{
	struct vcm_iommu_walk *w = arg;
	int ret;

	if (w->nr == w->batch_max) {
		ret = vcm_iommu_map_batch(w);
		if (ret)
			return ret;
	}
	/*
	 * A scatterlist carries only memory with a struct page, in pieces
	 * shorter than 4 GiB; anything else is mapped on its own.
	 */
	if (len <= UINT_MAX && pfn_valid(PHYS_PFN(paddr))) {
		if (!w->nr) {
			w->batch_done = done;
			w->batch_len = 0;
		}
		sg_set_page(&w->batch[w->nr++], pfn_to_page(PHYS_PFN(paddr)),
			    len, offset_in_page(paddr));
		w->batch_len += len;
		return 0;
	}
	ret = vcm_iommu_map_batch(w);
	if (ret)
		return ret;
	/*
	 * The caller's gfp reaches the page tables: a GFP_ATOMIC
	 * dma_alloc_coherent() (dma_pool_alloc() in an interrupt handler)
	 * must not sleep allocating one.
	 */
	ret = vcm_iommu_map_range(w->vcm, w->iova + done, paddr, len, w->prot,
				  w->gfp);
	if (ret)
		return ret;
	w->mapped = done + len;
	vcm_iommu_account(&w->tally, w->iova + done, paddr, len, 1);
	return 0;
}

/* What accounting walks over: the range's start and the running tally. */
struct vcm_iommu_account_walk {
	dma_addr_t iova;
	long sign;		/* +1 mapped, -1 unmapped */
	struct vcm_iommu_tally tally;
};

static int vcm_iommu_account_piece(phys_addr_t paddr, size_t len,
				   size_t done, void *arg)
{
	struct vcm_iommu_account_walk *w = arg;

	vcm_iommu_account(&w->tally, w->iova + done, paddr, len, w->sign);
	return 0;
}

/*
 * Take back the accounting of the first @size bytes of @res, all that its
 * fill mapped: from its record, or where that holds too few page sizes by
 * walking those bytes of the buffer again, in the order they were mapped.
 */
static void vcm_iommu_unaccount_res(struct vcm_res *res, size_t size)
{
	struct vcm_iommu_account_walk w = {
		.iova = res->start, .sign = -1, .tally.vcm = res->vcm,
	};
	struct vcm_res_acct *a = &res->acct;
	int k;

	if (a->shift[1] == VCM_ACCT_MANY) {
		vcm_phys_walk(res->phys, res->offset, size,
			      vcm_iommu_account_piece, &w);
		vcm_iommu_tally_flush(&w.tally);
	} else {
		for (k = 0; k < ARRAY_SIZE(a->shift); k++)
			if (a->shift[k])
				atomic_long_sub(a->bytes[k],
						&res->vcm->iommu->mapped[a->shift[k]]);
	}
	memset(a, 0, sizeof(*a));
}

/*
 * A reservation's life behind an IOMMU is two layers: its range of IOVAs
 * (reserve, and unbind frees it) and the buffer mapped into that range
 * (fill, empty).  A reservation made for a buffer takes both at once
 * (bind); vcm_reserve() takes the range alone and lets its holder fill,
 * empty and refill it with buffers, at the same addresses.
 */

/* Give @res a range of @res->size IOVAs, in ->start. */
static int vcm_iommu_reserve_range(struct vcm_assoc *assoc, struct vcm_res *res)
{
	struct device *dev = assoc->dev;
	u64 mask = res->flags & (VCM_RES_NATIVE | VCM_RES_SHARED) ?
		   *dev->dma_mask : dev->coherent_dma_mask;

	res->start = vcm_iova_alloc(assoc, res->size, mask);
	return res->start ? 0 : -ENOMEM;
}

/* Map @res->phys from @res->offset into the range of @res; all or none. */
static int vcm_iommu_fill(struct vcm_assoc *assoc, struct vcm_res *res,
			  gfp_t gfp)
{
	struct vcm_iommu_walk w = {
		.vcm = to_vcm(assoc), .iova = res->start, .gfp = gfp,
		.prot = vcm_mt_iommu_prot(vcm_iommu_prot(assoc->dev, res->dir,
							 res->attrs),
					  res->phys->mt),
		.tally.vcm = to_vcm(assoc), .tally.res = res,
	};
	struct scatterlist *page = NULL;
	int ret;

	w.batch = w.small;
	w.batch_max = VCM_IOMMU_BATCH;
	if (res->phys->nr_chunks > VCM_IOMMU_BATCH)
		page = kmalloc_array(VCM_IOMMU_BATCH_PAGE, sizeof(*page),
				     (gfp & ~__GFP_ZERO) | __GFP_NOWARN);
	if (page) {
		w.batch = page;
		w.batch_max = VCM_IOMMU_BATCH_PAGE;
	}
	/* The pieces are accounted as they are mapped: no second walk. */
	sg_init_table(w.batch, w.batch_max);
	ret = vcm_phys_walk(res->phys, res->offset, res->size,
			    vcm_iommu_map_piece, &w);
	if (!ret)
		ret = vcm_iommu_map_batch(&w);
	kfree(page);
	vcm_iommu_tally_flush(&w.tally);
	if (ret && w.mapped) {
		/* The pieces before the one that failed are mapped. */
		vcm_iommu_unmap_range(w.vcm, w.iova, w.mapped);
		vcm_iommu_unaccount_res(res, w.mapped);
	}
	return ret;
}

static int vcm_iommu_bind(struct vcm_assoc *assoc, struct vcm_res *res,
			  gfp_t gfp)
{
	int ret;

	ret = vcm_iommu_reserve_range(assoc, res);
	if (ret)
		return ret;
	ret = vcm_iommu_fill(assoc, res, gfp);
	if (ret)
		vcm_iova_free(to_vcm(assoc), res->start, res->size);
	return ret;
}

static const char *vcm_res_what(const struct vcm_res *res)
{
	if (res->flags & VCM_RES_RESERVED)
		return res->phys ? "backed reserved range" :
				   "empty reserved range";
	if (res->flags & VCM_RES_COHERENT)
		return "coherent buffer";
	if (res->flags & VCM_RES_PAGES)
		return "dma_alloc_pages buffer";
	if (res->flags & VCM_RES_SHARED)
		return "shared buffer";
	return "native mapping";
}

/*
 * Unmap the buffer from the range of @res.  Always strict: a device must
 * not reach a buffer that was freed, or that its holder took back.
 */
static void vcm_iommu_empty(struct vcm_res *res)
{
	struct vcm *vcm = res->vcm;

	vcm_iommu_unmap_range(vcm, res->start, res->size);
	vcm_iommu_log_unmap(vcm, res->start, res->size, vcm_res_what(res));
	vcm_iommu_unaccount_res(res, res->size);
}

static void vcm_iommu_unbind(struct vcm_res *res)
{
	if (res->phys)
		vcm_iommu_empty(res);
	vcm_iova_free(res->vcm, res->start, res->size);
}

/*
 * Coherent buffers are chunks of the largest orders the IOMMU maps with
 * one page table entry, mapped IOVA-contiguously.  Atomic requests and
 * DMA_ATTR_FORCE_CONTIGUOUS get one contiguous chunk (no vmap needed).
 */
static struct vcm_phys *vcm_iommu_alloc_phys(struct vcm_assoc *assoc,
					     size_t size, gfp_t gfp,
					     unsigned long attrs)
{
	unsigned long orders = to_vcm(assoc)->domain->pgsize_bitmap >>
			       PAGE_SHIFT;

	if (!gfpflags_allow_blocking(gfp) ||
	    (attrs & DMA_ATTR_FORCE_CONTIGUOUS))
		/* The IOMMU translates: any physical address will do. */
		return vcm_phys_alloc_contig(assoc->dev, size, gfp,
					     DMA_BIT_MASK(64));
	return vcm_phys_alloc_chunks(assoc->dev, size,
				     gfp & ~(__GFP_DMA | __GFP_DMA32), orders);
}

static int vcm_iommu_supported(struct vcm_assoc *assoc, u64 mask)
{
	struct iova_domain *iovad = to_iovad(to_vcm(assoc));

	/* Any mask that leaves room above the first usable IOVA. */
	return mask >> iova_shift(iovad) > iovad->start_pfn;
}

static u64 vcm_iommu_required_mask(struct vcm_assoc *assoc)
{
	/* IOVAs are handed out below 4 GiB first. */
	return DMA_BIT_MASK(32);
}

static size_t vcm_iommu_max_mapping_size(struct vcm_assoc *assoc)
{
	return SIZE_MAX;
}

/**
 * vcm_iommu_opt_mapping_size() - mapping size above which mappings slow down
 *
 * Larger mappings miss the IOVA rcache and take the allocator's lock.
 *
 * Return: the largest size the rcache serves.
 */
size_t vcm_iommu_opt_mapping_size(void)
{
	return iova_rcache_range();
}

static unsigned long vcm_iommu_merge_boundary(struct vcm_assoc *assoc)
{
	return to_iovad(to_vcm(assoc))->granule - 1;
}

const struct vcm_backend vcm_iommu_backend = {
	.name			= "iommu",
	.alloc_phys		= vcm_iommu_alloc_phys,
	.map_phys		= vcm_iommu_map_phys,
	.unmap_phys		= vcm_iommu_unmap_phys,
	.map_sg			= vcm_iommu_map_sg,
	.unmap_sg		= vcm_iommu_unmap_sg,
	.teardown_sg		= vcm_iommu_teardown_sg,
	.sync_for_cpu		= vcm_iommu_sync_for_cpu,
	.sync_for_device	= vcm_iommu_sync_for_device,
	.sync_sg_for_cpu	= vcm_iommu_sync_sg_for_cpu,
	.sync_sg_for_device	= vcm_iommu_sync_sg_for_device,
	.map_resource		= vcm_iommu_map_resource,
	.bind			= vcm_iommu_bind,
	.unbind			= vcm_iommu_unbind,
	.reserve		= vcm_iommu_reserve_range,
	.fill			= vcm_iommu_fill,
	.empty			= vcm_iommu_empty,
	.supported		= vcm_iommu_supported,
	.required_mask		= vcm_iommu_required_mask,
	.max_mapping_size	= vcm_iommu_max_mapping_size,
	.opt_mapping_size	= vcm_iommu_opt_mapping_size,
	.merge_boundary		= vcm_iommu_merge_boundary,
	.init			= vcm_iommu_init,
	.destroy		= vcm_iommu_destroy,
	.flush			= vcm_iommu_flush,
};

/* ------------------------------------------------------------------------
 * IOMMU faults
 *
 * A device that faults in a domain of VCM's is most often a device that
 * was told to use an address its driver already gave back.  The IOMMU
 * driver's own report names the device and the address; VCM adds what the
 * address was: inside a live reservation, mapped (then the access lacked
 * permission, e.g. a write to a DMA_TO_DEVICE mapping), or inside one of
 * the last VCM_UNMAP_LOG ranges some CPU unmapped, and how long ago.
 */

/*
 * The most recent logged unmap that covered @iova.  The logs are read
 * while their CPUs may be writing them: a record being overwritten can be
 * seen half old, half new.  That costs the report some accuracy in a race
 * the report does not need to win, and keeps the unmap path free of locks.
 */
static bool vcm_iommu_find_unmap(struct vcm *vcm, dma_addr_t iova,
				 struct vcm_unmap_rec *found)
{
	bool hit = false;
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vcm_unmap_log *log = per_cpu_ptr(vcm->iommu->unmaps, cpu);

		for (i = 0; i < VCM_UNMAP_LOG; i++) {
			/* Racy by design, see above. */
			struct vcm_unmap_rec rec = data_race(log->rec[i]);

			if (!rec.size || iova < rec.iova ||
			    iova - rec.iova >= rec.size)
				continue;
			if (!hit || time_after(rec.when, found->when))
				*found = rec;
			hit = true;
		}
	}
	return hit;
}

/**
 * vcm_iommu_fault_explain() - what a faulting address is to a vcm
 * @vcm: the vcm, of the iommu kind
 * @iova: the address the device used
 * @buf: filled with a description for the log
 * @len: size of @buf
 *
 * Callable from the interrupt handler of the IOMMU.
 *
 * Return: the class of the address.
 */
enum vcm_fault_class vcm_iommu_fault_explain(struct vcm *vcm, dma_addr_t iova,
					     char *buf, size_t len)
{
	struct vcm_unmap_rec rec;
	enum vcm_fault_class class = VCM_FAULT_UNKNOWN;
	struct vcm_res *res;
	unsigned long flags;
	phys_addr_t phys;

	spin_lock_irqsave(&vcm->lock, flags);
	res = vcm_res_covering_locked(vcm, iova);
	if (res) {
		snprintf(buf, len, "inside live %s %pad+%#zx of %s",
			 vcm_res_what(res), &res->start, res->size,
			 res->owner ? dev_name(res->owner->dev) : "shared");
		class = VCM_FAULT_RES;
	}
	spin_unlock_irqrestore(&vcm->lock, flags);
	if (class != VCM_FAULT_UNKNOWN)
		return class;

	phys = iommu_iova_to_phys(vcm->domain, iova);
	if (phys) {
		snprintf(buf, len, "mapped to %pa, without this permission",
			 &phys);
		return VCM_FAULT_MAPPED;
	}
	if (vcm_iommu_find_unmap(vcm, iova, &rec)) {
		snprintf(buf, len, "inside %s %pad+%#zx, unmapped %u ms ago",
			 rec.what, &rec.iova, rec.size,
			 jiffies_to_msecs(jiffies - rec.when));
		return VCM_FAULT_UNMAPPED;
	}
	snprintf(buf, len, "not mapped by VCM (or not in the last %u unmaps of each CPU)",
		 VCM_UNMAP_LOG);
	return VCM_FAULT_UNKNOWN;
}

/*
 * The domain's fault handler (iommu_set_fault_handler()), called by the
 * IOMMU driver from its fault interrupt.  It only reports: -ENOSYS, which
 * report_iommu_fault() defines as "no handler took it", tells the driver
 * to go on with its own report and recovery.
 */
static int vcm_iommu_fault(struct iommu_domain *domain, struct device *dev,
			   unsigned long iova, int flags, void *token)
{
	struct vcm *vcm = token;
	char what[128];

	/* Cleared by vcm_iommu_destroy() under a report in progress. */
	if (!vcm)
		return -ENOSYS;
	atomic_long_inc(&vcm->iommu->faults);
	vcm_iommu_fault_explain(vcm, iova, what, sizeof(what));
	dev_err_ratelimited(dev, "vcm: %s: IOMMU %s fault at IOVA %#lx: %s\n",
			    vcm->name, flags & IOMMU_FAULT_WRITE ? "write" : "read",
			    iova, what);
	return -ENOSYS;
}

/* ------------------------------------------------------------------------
 * Setting up a vcm of the iommu kind
 */

/**
 * vcm_iommu_reserve() - keep a range of IOVAs out of a vcm's allocator
 * @vcm: the vcm, of the iommu kind
 * @start: first address
 * @end: last address (inclusive)
 *
 * The range is remembered as not VCM's: when the vcm hands its domain back,
 * VCM unmaps what it mapped and leaves these (direct mappings the IOMMU
 * core made, say) alone.
 *
 * Return: 0 or -ENOMEM.
 */
int vcm_iommu_reserve(struct vcm *vcm, phys_addr_t start, phys_addr_t end)
{
	struct vcm_iommu *vi = vcm->iommu;
	struct iova_domain *iovad = to_iovad(vcm);
	struct vcm_iova_range *kept;

	if (end < start)
		return 0;
	kept = krealloc_array(vi->kept, vi->nr_kept + 1, sizeof(*kept),
			      GFP_KERNEL);
	if (!kept)
		return -ENOMEM;
	vi->kept = kept;
	kept[vi->nr_kept].lo = iova_pfn(iovad, start);
	kept[vi->nr_kept].hi = iova_pfn(iovad, end);
	if (!reserve_iova(iovad, kept[vi->nr_kept].lo, kept[vi->nr_kept].hi))
		return -ENOMEM;
	vi->nr_kept++;
	return 0;
}

/*
 * What a PCI device must not be given, as dma-iommu keeps out of its
 * allocator (iova_reserve_pci_windows(), which is static, hence this
 * copy): the host bridge's memory windows, where a DMA would be taken as
 * peer-to-peer, and everything outside the bridge's inbound dma-ranges,
 * which the bridge would not forward.  KUnit checks it against the
 * bridge-less case; the QEMU IOMMU scenarios check that every window of
 * q35's host bridge is kept (debugfs "kept"), though that bridge has no
 * dma-ranges.
 */
static int vcm_iommu_reserve_pci(struct vcm *vcm, struct pci_dev *pdev)
{
	struct pci_host_bridge *bridge = pci_find_host_bridge(pdev->bus);
	struct resource_entry *w;
	phys_addr_t start = 0, end;
	int ret;

	resource_list_for_each_entry(w, &bridge->windows) {
		if (resource_type(w->res) != IORESOURCE_MEM)
			continue;
		ret = vcm_iommu_reserve(vcm, w->res->start - w->offset,
					w->res->end - w->offset);
		if (ret)
			return ret;
	}
	/* dma-iommu sorted the list already when it set the domain up. */
	resource_list_for_each_entry(w, &bridge->dma_ranges) {
		end = w->res->start - w->offset;
		if (end < start) {
			pci_err(pdev, "vcm: overlapping dma-ranges at %pa\n",
				&end);
			return -EINVAL;
		}
		/* As dma-iommu: through the page of the window's start. */
		if (end > start) {
			ret = vcm_iommu_reserve(vcm, start, end);
			if (ret)
				return ret;
		}
		start = w->res->end - w->offset + 1;
		if (w->node.next == &bridge->dma_ranges && start)
			return vcm_iommu_reserve(vcm, start,
						 ~(phys_addr_t)0);
	}
	return 0;
}

/*
 * Keep out of the allocator what the device must not be given: the
 * IOMMU's reserved regions (the MSI window, RMRR/IVMD direct mappings) and,
 * for PCI, what the host bridge would not pass (vcm_iommu_reserve_pci()).
 * The regions are kept for debugfs.
 */
static int vcm_iommu_reserve_regions(struct vcm *vcm, struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct iommu_resv_region *r;
	int ret;

	INIT_LIST_HEAD(&vcm->iommu->resv);
	/* The regions of every device of the group share the domain. */
	if (group) {
		iommu_get_group_resv_regions(group, &vcm->iommu->resv);
		iommu_group_put(group);
	} else if (dev->iommu) {
		iommu_get_resv_regions(dev, &vcm->iommu->resv);
	}
	list_for_each_entry(r, &vcm->iommu->resv, list) {
		if (r->type != IOMMU_RESV_DIRECT_RELAXABLE &&
		    r->type != IOMMU_RESV_DIRECT && r->type != IOMMU_RESV_MSI &&
		    r->type != IOMMU_RESV_SW_MSI &&
		    r->type != IOMMU_RESV_RESERVED)
			continue;
		ret = vcm_iommu_reserve(vcm, r->start, r->start + r->length - 1);
		if (ret)
			return ret;
	}
	return dev_is_pci(dev) ? vcm_iommu_reserve_pci(vcm, to_pci_dev(dev)) : 0;
}

/**
 * vcm_iommu_usable() - can VCM own the IOVA space of a device's domain?
 * @dev: a device whose DMA goes through dma-iommu
 *
 * Return: NULL if it can, else why not.
 */
const char *vcm_iommu_usable(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	if (!domain || !iommu_is_dma_domain(domain) ||
	    !(domain->type & __IOMMU_DOMAIN_PAGING))
		return "IOMMU domain is not a DMA domain";
	if (dev_is_pci(dev) && to_pci_dev(dev)->untrusted)
		return "untrusted device needs bounce buffering";
	return NULL;
}

/**
 * vcm_iommu_init() - set up the iommu part of a new vcm
 * @vcm: the vcm, of the iommu kind
 * @dev: its first device, whose reserved regions it keeps out
 * @domain: the domain it manages
 * @lazy: batch IOTLB invalidation of streaming unmaps
 *
 * Return: 0 or a negative errno.
 */
int vcm_iommu_init(struct vcm *vcm, struct device *dev,
		   struct iommu_domain *domain, bool lazy)
{
	unsigned long order = __ffs(domain->pgsize_bitmap);
	unsigned long base = max_t(unsigned long, 1,
				   domain->geometry.aperture_start >> order);
	struct vcm_iommu *vi;
	int cpu, ret;

	vi = kzalloc(sizeof(*vi), GFP_KERNEL);
	if (!vi)
		return -ENOMEM;
	ret = iova_cache_get();
	if (ret)
		goto err_free;
	vcm->iommu = vi;
	vcm->domain = domain;
	vi->vcm = vcm;
	vi->lazy = lazy;
	ret = -ENOMEM;
	vi->queues = alloc_percpu(struct vcm_lazy_queue);
	if (!vi->queues)
		goto err_cache;
	vi->unmaps = alloc_percpu(struct vcm_unmap_log);
	if (!vi->unmaps)
		goto err_queues;
	vi->stacks = alloc_percpu(struct vcm_iova_stack);
	if (!vi->stacks)
		goto err_unmaps;
	for_each_possible_cpu(cpu) {
		struct vcm_lazy_queue *q = per_cpu_ptr(vi->queues, cpu);

		spin_lock_init(&q->lock);
		INIT_LIST_HEAD(&q->freelist);
	}
	timer_setup(&vi->lazy_timer, vcm_lazy_timeout, 0);
	init_iova_domain(&vi->iovad, 1UL << order, base);
	ret = iova_domain_init_rcaches(&vi->iovad);
	if (ret)
		goto err_iovad;
	ret = vcm_iommu_reserve_regions(vcm, dev);
	if (ret)
		goto err_resv;
	/*
	 * In lazy mode dma-iommu may still have unmapped addresses waiting
	 * for their IOTLB flush: VCM could hand out the same addresses
	 * before it comes, so flush now.
	 */
	iommu_flush_iotlb_all(domain);
	/* Someone else's handler (a driver that owns the domain) stays. */
	if (!domain->handler) {
		iommu_set_fault_handler(domain, vcm_iommu_fault, vcm);
		vi->fault_handler = true;
	}
	return 0;

err_resv:
	iommu_put_resv_regions(NULL, &vi->resv);
	kfree(vi->kept);
err_iovad:
	put_iova_domain(&vi->iovad);
	free_percpu(vi->stacks);
err_unmaps:
	free_percpu(vi->unmaps);
err_queues:
	free_percpu(vi->queues);
err_cache:
	iova_cache_put();
	vcm->iommu = NULL;
err_free:
	kfree(vi);
	return ret;
}

/* Is IOVA page frame @pfn in a range VCM kept out of its allocator? */
static bool vcm_iommu_kept(struct vcm_iommu *vi, unsigned long pfn)
{
	unsigned int i;

	for (i = 0; i < vi->nr_kept; i++)
		if (pfn >= vi->kept[i].lo && pfn <= vi->kept[i].hi)
			return true;
	return false;
}

/*
 * The domain goes back to dma-iommu: nothing VCM mapped may stay in its
 * page tables, or dma-iommu would hand out IOVAs that still translate (and
 * VT-d would find live PTEs where it maps).  With tracking on, the devices'
 * teardown unmapped everything already; without it ("notrack"), mappings a
 * driver leaked are known only to the allocator.  So walk every IOVA range
 * the allocator holds that is not a reserved one, and unmap what is still
 * mapped in it.  Ranges in the rcaches were unmapped when freed and are
 * skipped by their first granule being unmapped (every live range has its
 * first granule mapped).  No device uses the vcm any more: the walk races
 * with nothing but takes the allocator's lock all the same.
 *
 * Return: how many ranges were still mapped.
 */
static unsigned long vcm_iommu_hand_back(struct vcm *vcm)
{
	struct vcm_iommu *vi = vcm->iommu;
	struct iova_domain *iovad = to_iovad(vcm);
	unsigned long flags, n = 0;
	struct rb_node *node;

	spin_lock_irqsave(&iovad->iova_rbtree_lock, flags);
	for (node = rb_first(&iovad->rbroot); node; node = rb_next(node)) {
		struct iova *iova = rb_entry(node, struct iova, node);
		dma_addr_t start = iova_dma_addr(iovad, iova);

		if (iova == &iovad->anchor || vcm_iommu_kept(vi, iova->pfn_lo) ||
		    !iommu_iova_to_phys(vcm->domain, start))
			continue;
		vcm_iommu_unmap_holey(vcm, start,
				      iova_size(iova) << iova_shift(iovad));
		n++;
	}
	spin_unlock_irqrestore(&iovad->iova_rbtree_lock, flags);
	return n;
}

/**
 * vcm_iommu_destroy() - tear down the iommu part of a vcm
 * @vcm: the vcm, whose last device left
 *
 * Hands the domain back with no mapping of VCM's left in its page tables.
 */
void vcm_iommu_destroy(struct vcm *vcm)
{
	struct vcm_iommu *vi = vcm->iommu;
	unsigned long left;

	/* Only VCM's own handler goes; one set meanwhile by others stays. */
	if (vi->fault_handler && vcm->domain->handler == vcm_iommu_fault) {
		iommu_set_fault_handler(vcm->domain, NULL, NULL);
		/*
		 * Fault handlers run in interrupt context: once every CPU
		 * has passed a quiescent state, none can still hold @vcm.
		 */
		synchronize_rcu();
	}
	timer_shutdown_sync(&vi->lazy_timer);
	vcm_lazy_flush(vcm);
	left = vcm_iommu_hand_back(vcm);
	if (left)
		pr_warn("%s: %lu IOVA ranges were still mapped when the domain went back to dma-iommu (leaked by untracked drivers); unmapped\n",
			vcm->name, left);
	free_percpu(vi->unmaps);
	free_percpu(vi->queues);
	/* The stacks' IOVAs are allocated ranges of @iovad: it frees them. */
	free_percpu(vi->stacks);
	put_iova_domain(&vi->iovad);
	iova_cache_put();
	iommu_put_resv_regions(NULL, &vi->resv);
	kfree(vi->kept);
	kfree(vi);
	vcm->iommu = NULL;
}

/**
 * vcm_iommu_flush() - make what a leaving device unmapped unreachable
 * @vcm: the vcm, of the iommu kind
 *
 * Called when a device leaves a vcm that other devices (of its IOMMU
 * group) still use.  Its unmaps cleared their page-table entries at once;
 * in lazy mode only stale IOTLB entries can still reach the memory, and
 * one invalidation of the whole IOTLB takes them out.  The queued IOVAs
 * stay queued, to be freed by the timer once they are old enough: another
 * CPU may have queued one a moment ago, in an unmap of another device that
 * has not yet returned to the DMA core (see vcm_lazy_timeout()), and this
 * CPU must not free it onto its own stack.  The last device's leave frees
 * everything (vcm_iommu_destroy()).
 *
 * Context: process context.
 */
void vcm_iommu_flush(struct vcm *vcm)
{
	if (vcm->iommu->lazy)
		iommu_flush_iotlb_all(vcm->domain);
}

/**
 * vcm_iommu_show() - the iommu kind's part of debugfs "vcms" for one vcm
 * @m: the seq_file
 * @vcm: a vcm of the iommu kind
 *
 * The domain's page sizes, VCM's granule, lazy mode and its count of
 * batched unmaps, faults reported, the IOMMU's reserved regions, the IOVA
 * ranges kept out of the allocator and the bytes mapped by page size.
 *
 * Context: process, under vcm_graph_lock (the vcm stays).
 */
void vcm_iommu_show(struct seq_file *m, struct vcm *vcm)
{
	struct vcm_iommu *vi = vcm->iommu;
	struct iommu_resv_region *r;
	unsigned int i;

	seq_printf(m, "  domain type=%#x pgsizes=%#lx granule=%#lx lazy=%d lazy_flushed=%ld faults=%ld\n",
		   vcm->domain->type, vcm->domain->pgsize_bitmap,
		   vi->iovad.granule, vi->lazy,
		   atomic_long_read(&vi->lazy_flushed),
		   atomic_long_read(&vi->faults));
	list_for_each_entry(r, &vi->resv, list)
		seq_printf(m, "  reserved %pa+%#zx type=%d\n", &r->start,
			   r->length, r->type);
	/* Kept out of the allocator: reserved regions, bridge windows. */
	for (i = 0; i < vi->nr_kept; i++)
		seq_printf(m, "  kept %#llx-%#llx\n",
			   (u64)vi->kept[i].lo << iova_shift(&vi->iovad),
			   ((u64)(vi->kept[i].hi + 1) << iova_shift(&vi->iovad)) - 1);
	for (i = 0; i < BITS_PER_LONG; i++)
		if (atomic_long_read(&vi->mapped[i]))
			seq_printf(m, "  mapped pgsize=%#lx bytes=%ld\n",
				   1UL << i, atomic_long_read(&vi->mapped[i]));
}
