// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: shared buffers.
 *
 * A driver shares a VCM buffer with another device through the ordinary DMA
 * API: the owner's dma_get_sgtable() gives one entry per chunk, and the
 * other device's dma_map_sgtable() (or dma_map_page() of any of its pages)
 * comes here.  VCM recognises the pages as one of its buffers and maps the
 * buffer's chunk list once per address space, range and direction (see
 * Protection below): the mapping is
 * a *shared reservation*, refcounted, whose users are recorded as edges
 * buffer -> device.  A second device in the same address space, or a second
 * mapping, takes another use of the same reservation; the last unmap takes
 * it down.  The memory lives as long as any reservation of it does, so the
 * owner's dma_free_attrs() while another device still maps the buffer frees
 * nothing under that mapping (and is reported).
 *
 * Which pages are a buffer's, the share code learns from the index of page
 * frames to buffers (vcm-index.c).
 *
 * Unmap has only a device address.  A vcm counts its live shared mappings
 * (vcm->nr_shared); while the count is zero, as it is for a device that
 * never maps VCM buffers, unmaps do not look further.  Otherwise the
 * address is resolved as the mapping was made: behind an IOMMU through the
 * vcm's tree of reservations, in a one-to-one window through the index.
 *
 * Protection.  Map once per domain never grants more than dma-iommu would
 * for the same call.  Behind an IOMMU a shared reservation maps exactly the
 * pages the request covers (the page-aligned span of a dma_map_page() range,
 * or of a list whose entries follow each other in the buffer), with the
 * permissions of its direction (a DMA_TO_DEVICE share is read-only for the
 * device); it is reused only by a request for the same pages, the same
 * direction and the same privilege.  A part of a buffer gets a reservation
 * of its own, and a list with gaps between its pages takes the ordinary
 * path.  In a one-to-one window a device reaches all memory its mask allows
 * whatever it maps, as under dma-direct: there the reservation is the
 * whole buffer, and only counts its users.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/vmalloc.h>
#include "vcm.h"

/* ------------------------------------------------------------------------
 * A creator's end: its free, or its device's teardown
 */

/* The first reservation @assoc owns in its vcm.  Caller holds vcm->lock. */
static struct vcm_res *vcm_res_first_owned_locked(struct vcm_assoc *assoc)
{
	struct rb_node *node;

	for (node = rb_first(&assoc->vcm->res_tree); node; node = rb_next(node))
		if (rb_entry(node, struct vcm_res, node)->owner == assoc)
			return rb_entry(node, struct vcm_res, node);
	return NULL;
}

/* Does @assoc own a reservation in its vcm? */
bool vcm_res_owns_any(struct vcm_assoc *assoc)
{
	unsigned long irqflags;
	bool found;

	spin_lock_irqsave(&assoc->vcm->lock, irqflags);
	found = vcm_res_first_owned_locked(assoc);
	spin_unlock_irqrestore(&assoc->vcm->lock, irqflags);
	return found;
}

/*
 * End @res's creator's hold, under @res's vcm's lock: true if it has no
 * user left, and is now out of the tree for the caller to destroy; false
 * if other devices of the vcm still map it, and it stays as a shared
 * reservation (*@view: the creator's CPU view, to unmap after the lock).
 */
static bool vcm_res_end_creator(struct vcm_res *res, struct vcm_view *view)
{
	bool last;

	lockdep_assert_held(&res->vcm->lock);
	*view = (struct vcm_view){};
	if (res->flags & VCM_RES_NATIVE) {
		last = true;
	} else {
		spin_lock(&res->phys->lock);
		last = vcm_res_end_creator_locked(res, view);
		spin_unlock(&res->phys->lock);
	}
	if (last)
		vcm_res_unlink_locked(res->vcm, res);
	return last;
}

/*
 * The CPU view a creator left on a reservation that stays: unmapped before
 * the buffer can go, which its reference on the buffer ensures.
 */
void vcm_res_drop_view(struct vcm_view *view)
{
	if (!view->va)
		return;
	vcm_phys_vunmap(view->phys, view->va);
	vcm_phys_put(view->phys);
}

/*
 * The first reservation @assoc still owns: taken out of @vcm's tree (true),
 * or, if other devices still map it, turned into a shared one (false, and
 * *@view is the CPU view to drop).
 */
struct vcm_res *vcm_res_take_any(struct vcm_assoc *assoc, bool *last,
				 struct vcm_view *view)
{
	struct vcm *vcm = assoc->vcm;
	unsigned long irqflags;
	struct vcm_res *res;

	spin_lock_irqsave(&vcm->lock, irqflags);
	res = vcm_res_first_owned_locked(assoc);
	if (res)
		*last = vcm_res_end_creator(res, view);
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	return res;
}

/**
 * vcm_res_free_handle() - the creator of a buffer frees it
 * @assoc: the device
 * @handle: the address the allocation returned
 * @size: the size the driver gives
 * @cpu: the CPU address (or page) the driver gives
 * @flags: VCM_RES_COHERENT or VCM_RES_PAGES
 *
 * Checks that the driver describes the buffer the way it was allocated: a
 * wrong size is reported and the buffer freed as allocated; a wrong CPU
 * address means the handle and the pointer disagree about which buffer
 * is meant, so nothing is freed.  A buffer that other devices of the vcm
 * still map through this reservation stays mapped for them
 * (vcm_res_end_creator_locked()); everything is decided under the vcm's
 * lock, so that neither a racing double free nor a racing unmap sees the
 * reservation half gone.
 */
void vcm_res_free_handle(struct vcm_assoc *assoc, dma_addr_t handle,
			 size_t size, void *cpu, unsigned int flags)
{
	struct vcm *vcm = assoc->vcm;
	struct vcm_res *res;
	unsigned long irqflags;
	struct vcm_view view = {};
	bool last = false;

	spin_lock_irqsave(&vcm->lock, irqflags);
	res = vcm_res_find_locked(assoc, handle, flags);
	if (!res) {
		vcm_report(assoc, VCM_ERR_UNKNOWN_HANDLE,
			   "free of %pad (%zu bytes), which is not allocated (double free?)\n",
			   &handle, size);
	} else if (cpu != res->cpu_addr) {
		vcm_report(assoc, VCM_ERR_OWNER_MISMATCH,
			   "free of %pad with CPU address %p, allocated at %p: not freed\n",
			   &handle, cpu, res->cpu_addr);
		res = NULL;
	} else {
		if (PAGE_ALIGN(size) != res->size)
			vcm_report(assoc, VCM_ERR_SIZE_MISMATCH,
				   "free of %pad with size %zu, allocated with %zu\n",
				   &handle, size, res->size);
		last = vcm_res_end_creator(res, &view);
	}
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	if (res && last)
		vcm_res_destroy(res);
	vcm_res_drop_view(&view);
}

/* ------------------------------------------------------------------------
 * Pins: buffers kept alive by mappings that do not go through them
 *
 * A streaming mapping that reaches a buffer's pages without going through
 * the buffer -- a list that mixes two buffers, or a buffer and other
 * memory, or whose pages are not one run of the buffer; a range across
 * chunks or that no reservation could carry; anything bounced -- takes
 * the ordinary path, yet must keep every buffer it touches alive as a
 * shared reservation would: the owner's free must not give back pages that
 * a live mapping still reaches (or, bounced, copies back into at unmap).
 * Such a mapping takes a reference on the buffer of every chunk it
 * touches, a *pin*, counted in vcm->nr_pinned, before it is made, and
 * drops them after it is undone.  The unmap finds them again
 *  - for a list, from its entries, which the driver leaves as they were
 *    until the unmap and which the pins keep in their buffers;
 *  - for a page range in a one-to-one window, not bounced, from its
 *    address;
 *  - for any other page range (behind an IOMMU, or bounced), in
 *    vcm->pins, a table from device address to physical address kept for
 *    those mappings alone.
 * While no buffer exists, maps do not look; while a vcm holds no pin, its
 * unmaps do not either.
 */

/*
 * Take (@get) or drop a pin on the buffer of every chunk that
 * [@paddr, @paddr + @size) touches; return how many.  A chunk whose buffer
 * is on its way out (its last reference gone: a driver maps pages being
 * freed) is passed over, on the way in and, being gone, on the way out.
 */
static unsigned long vcm_pin_walk(phys_addr_t paddr, size_t size, bool get)
{
	unsigned long pfn = PHYS_PFN(paddr), end, len, n = 0;

	if (!size)
		return 0;
	end = PHYS_PFN(paddr + size - 1) + 1;
	/* Pairs with vcm_index_map_init(): within the length, a map. */
	len = smp_load_acquire(&vcm_index_map_len);
	rcu_read_lock();
	while (pfn < end) {
		struct vcm_chunk *c;

		if (pfn < len) {
			pfn = find_next_bit(vcm_index_map, min(end, len), pfn);
			if (pfn >= min(end, len) && end <= len)
				break;
		}
		c = vcm_index_find_rcu(PFN_PHYS(pfn), PAGE_SIZE);
		if (!c) {
			pfn++;
			continue;
		}
		if (!get) {
			vcm_phys_put(c->phys);
			n++;
		} else if (kref_get_unless_zero(&c->phys->kref)) {
			n++;
		}
		pfn = c->pfn + c->nr_pages;
	}
	rcu_read_unlock();
	return n;
}

/**
 * vcm_pin_range() - pin the buffers a range of memory reaches
 * @paddr: start of the range
 * @size: its length
 *
 * Context: any.
 *
 * Return: the pins taken (0 when no buffer exists or the range reaches
 * none); the caller notes them with vcm_pin_note() once the mapping is
 * made, or drops them with vcm_unpin_range().
 */
unsigned long vcm_pin_range(phys_addr_t paddr, size_t size)
{
	if (!atomic_long_read(&vcm_index_chunks))
		return 0;
	return vcm_pin_walk(paddr, size, true);
}

/**
 * vcm_unpin_range() - drop the pins vcm_pin_range() took
 * @paddr: start of the range, as pinned
 * @size: its length, as pinned
 */
void vcm_unpin_range(phys_addr_t paddr, size_t size)
{
	vcm_pin_walk(paddr, size, false);
}

/**
 * vcm_pin_note() - account the pins of a page mapping that was made
 * @assoc: the device
 * @addr: the device address of the mapping
 * @paddr: the physical address mapped
 * @size: its length
 * @pins: what vcm_pin_range() returned for it
 * @bounced: @addr is a bounce slot's, not @paddr's
 *
 * Context: any; allocates with GFP_ATOMIC.
 *
 * Return: 0, or -ENOMEM: the caller undoes the mapping and drops the pins.
 */
int vcm_pin_note(struct vcm_assoc *assoc, dma_addr_t addr, phys_addr_t paddr,
		 size_t size, unsigned long pins, bool bounced)
{
	struct vcm *vcm = assoc->vcm;
	int ret;

	if (!pins)
		return 0;
	/* A one-to-one address tells its page again at unmap. */
	if (vcm->kind == VCM_KIND_IOMMU || bounced) {
		ret = xa_err(xa_store(&vcm->pins, addr, xa_mk_value(paddr),
				      GFP_ATOMIC | __GFP_NOWARN));
		if (ret)
			return ret;
	}
	atomic_long_add(pins, &vcm->nr_pinned);
	vcm_stat_inc(assoc, VCM_STAT_PINNED);
	return 0;
}

/*
 * The physical address whose pins the page mapping at @addr holds, taken
 * out of vcm->pins: false if it holds none.  Called while the mapping is
 * still live, as @addr (an IOVA, a bounce slot) may belong to another
 * mapping, with pins of its own, as soon as the backend gives it back.
 */
static bool vcm_pin_take(struct vcm_assoc *assoc, dma_addr_t addr,
			 phys_addr_t *paddr)
{
	struct vcm *vcm = assoc->vcm;
	struct device *dev = assoc->dev;
	void *entry;

	if (!atomic_long_read(&vcm->nr_pinned))
		return false;
	entry = xa_erase(&vcm->pins, addr);
	if (entry) {
		*paddr = xa_to_value(entry);
		return true;
	}
	*paddr = dma_to_phys(dev, addr);
	return vcm->kind == VCM_KIND_ONE_TO_ONE &&
	       !swiotlb_find_pool(dev, *paddr);
}

/**
 * vcm_unmap_pinned() - undo a page mapping the backend made, and its pins
 * @assoc: the device
 * @addr: the device address of the mapping
 * @size: its length
 * @dir: DMA direction
 * @attrs: DMA_ATTR_* for the backend's unmap
 *
 * The pins are found before the backend gives the address back and
 * dropped after the device can no longer reach the memory.
 *
 * Context: any.
 */
void vcm_unmap_pinned(struct vcm_assoc *assoc, dma_addr_t addr, size_t size,
		      enum dma_data_direction dir, unsigned long attrs)
{
	bool pinned;
	phys_addr_t paddr;

	pinned = vcm_pin_take(assoc, addr, &paddr);
	assoc->vcm->backend->unmap_phys(assoc, addr, size, dir, attrs);
	if (pinned)
		atomic_long_sub(vcm_pin_walk(paddr, size, false),
				&assoc->vcm->nr_pinned);
}

/*
 * May list entry @s reach a buffer?  An entry within one page (as most of
 * a list of scattered pages are) is told by the page's bit alone, inline;
 * a longer one by the walk.
 */
static __always_inline bool vcm_pin_may_reach(struct scatterlist *s)
{
	return s->offset + s->length > PAGE_SIZE ||
	       vcm_index_may_hold(sg_phys(s));
}

/**
 * vcm_pin_sg() - pin the buffers a list reaches, before it is mapped
 * @assoc: the device
 * @sgl: the list
 * @nents: its entries
 *
 * The walk also adds up the entries' lengths, which the caller accounts
 * the mapping by: a list of thousands of entries is then walked once
 * before it is mapped, not twice.
 *
 * Context: any.
 *
 * Return: the bytes of the list's @nents entries.
 */
size_t vcm_pin_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
		  int nents)
{
	bool index = atomic_long_read(&vcm_index_chunks);
	struct scatterlist *s;
	unsigned long n = 0;
	size_t bytes = 0;
	int i;

	for_each_sg(sgl, s, nents, i) {
		bytes += s->length;
		if (index && vcm_pin_may_reach(s))
			n += vcm_pin_walk(sg_phys(s), s->length, true);
	}
	if (n) {
		atomic_long_add(n, &assoc->vcm->nr_pinned);
		vcm_stat_inc(assoc, VCM_STAT_PINNED);
	}
	return bytes;
}

/**
 * vcm_unpin_sg() - drop the pins of a list, after it is unmapped
 * @assoc: the device
 * @sgl: the list, whose entries are as they were mapped
 * @nents: the entries passed to the mapping
 *
 * Context: any.
 */
void vcm_unpin_sg(struct vcm_assoc *assoc, struct scatterlist *sgl, int nents)
{
	struct scatterlist *s;
	unsigned long n = 0;
	int i;

	if (!atomic_long_read(&assoc->vcm->nr_pinned))
		return;
	for_each_sg(sgl, s, nents, i)
		if (vcm_pin_may_reach(s))
			n += vcm_pin_walk(sg_phys(s), s->length, false);
	atomic_long_sub(n, &assoc->vcm->nr_pinned);
}

/* ------------------------------------------------------------------------
 * Shared reservations and their edges
 */

/*
 * The part of a buffer a shared reservation of @assoc's vcm covers for a
 * request of [@offset, @offset + @size) of it: behind an IOMMU its pages,
 * in a one-to-one window the whole buffer (see the header).
 */
struct vcm_share_span {
	size_t offset;
	size_t size;
};

static struct vcm_share_span vcm_share_span(struct vcm_assoc *assoc,
					    struct vcm_phys *phys,
					    size_t offset, size_t size)
{
	struct vcm_share_span span = { 0, phys->size };

	if (assoc->vcm->kind == VCM_KIND_IOMMU) {
		span.offset = round_down(offset, PAGE_SIZE);
		span.size = PAGE_ALIGN(offset + size) - span.offset;
	}
	return span;
}

/*
 * A reservation of @phys in @assoc's vcm that can serve a streaming
 * mapping of @span in direction @dir: made for the same pages, direction
 * and privilege (so that it grants exactly what a mapping of its own
 * would), reachable by the device's mask, and not on its way out.  Caller
 * holds phys->lock.
 */
static struct vcm_res *vcm_share_find_locked(struct vcm_assoc *assoc,
					     struct vcm_phys *phys,
					     struct vcm_share_span span,
					     enum dma_data_direction dir,
					     unsigned long attrs)
{
	struct device *dev = assoc->dev;
	u64 limit = min_not_zero(*dev->dma_mask, dev->bus_dma_limit);
	struct vcm_res *res;

	lockdep_assert_held(&phys->lock);
	list_for_each_entry(res, &phys->res, phys_node) {
		if (res->vcm != assoc->vcm || !res->users || res->dir != dir ||
		    !(res->flags & VCM_RES_SHAREABLE) ||
		    (res->flags & VCM_RES_DEAD) ||
		    (res->attrs ^ attrs) & DMA_ATTR_PRIVILEGED ||
		    res->offset != span.offset || res->size != span.size)
			continue;
		if (res->vcm->kind == VCM_KIND_IOMMU &&
		    res->start + res->size - 1 > limit)
			continue;
		return res;
	}
	return NULL;
}

/*
 * Take one use of @res for @assoc.  A device's first mapping through @res
 * needs an edge: *@spare if there is one (taken), else -ENOMEM.  Caller
 * holds phys->lock.
 */
static int vcm_edge_get_locked(struct vcm_res *res, struct vcm_assoc *assoc,
			       struct vcm_edge **spare)
{
	struct vcm_edge *e;

	list_for_each_entry(e, &res->edges, node)
		if (e->assoc == assoc)
			goto found;
	if (!*spare)
		return -ENOMEM;
	e = *spare;
	*spare = NULL;
	e->assoc = assoc;
	e->maps = 0;
	list_add_tail(&e->node, &res->edges);
found:
	e->maps++;
	res->users++;
	atomic_long_inc(&res->vcm->nr_shared);
	return 0;
}

static struct vcm_edge *vcm_edge_of_locked(struct vcm_res *res,
					   struct vcm_assoc *assoc)
{
	struct vcm_edge *e;

	list_for_each_entry(e, &res->edges, node)
		if (e->assoc == assoc)
			return e;
	return NULL;
}

/*
 * Drop @count of @e's mappings.  Return true if @res lost its last user:
 * the caller destroys it once it has dropped the locks.  Caller holds
 * phys->lock; *@freed gets the edge to kfree() when it went.
 */
static bool vcm_edge_put_locked(struct vcm_res *res, struct vcm_edge *e,
				unsigned long count, struct vcm_edge **freed)
{
	e->maps -= count;
	res->users -= count;
	atomic_long_sub(count, &res->vcm->nr_shared);
	*freed = NULL;
	if (!e->maps) {
		list_del(&e->node);
		*freed = e;
	}
	return !res->users;
}

/*
 * Drop one of @assoc's uses of @res, under phys->lock (taken irqsave into
 * @flags, released here); the last use takes the reservation down.
 */
static void vcm_share_put_locked(struct vcm_assoc *assoc, struct vcm_res *res,
				 unsigned long flags)
	__releases(&res->phys->lock)
{
	struct vcm_edge *freed;
	bool last;

	last = vcm_edge_put_locked(res, vcm_edge_of_locked(res, assoc), 1,
				   &freed);
	spin_unlock_irqrestore(&res->phys->lock, flags);
	kfree(freed);
	if (last)
		vcm_res_destroy(res);
}

static void vcm_share_put(struct vcm_assoc *assoc, struct vcm_res *res)
{
	unsigned long flags;

	spin_lock_irqsave(&res->phys->lock, flags);
	vcm_share_put_locked(assoc, res, flags);
}

/*
 * One more streaming mapping of @span of @phys by @assoc: an existing
 * reservation of it in the device's vcm if one fits, else a new one, bound
 * with GFP_ATOMIC (the streaming calls may come from any context).  Two
 * CPUs that both find none each make one; both are correct, the second
 * merely costs an extra range until its users go.
 */
static struct vcm_res *vcm_share_get(struct vcm_assoc *assoc,
				     struct vcm_phys *phys,
				     struct vcm_share_span span,
				     enum dma_data_direction dir,
				     unsigned long attrs)
{
	struct vcm_edge *edge = NULL;
	unsigned long flags;
	struct vcm_res *res;

	for (;;) {
		spin_lock_irqsave(&phys->lock, flags);
		res = vcm_share_find_locked(assoc, phys, span, dir, attrs);
		if (res && !vcm_edge_get_locked(res, assoc, &edge)) {
			spin_unlock_irqrestore(&phys->lock, flags);
			kfree(edge);
			return res;
		}
		spin_unlock_irqrestore(&phys->lock, flags);
		if (!edge) {
			edge = kzalloc(sizeof(*edge), GFP_ATOMIC | __GFP_NOWARN);
			if (!edge)
				return ERR_PTR(-ENOMEM);
		}
		if (!res)
			break;
	}

	edge->assoc = assoc;
	res = vcm_res_create_shared(assoc, phys, span.offset, span.size, dir,
				    attrs, edge);
	if (IS_ERR(res))
		kfree(edge);
	return res;
}

/**
 * vcm_share_direct_ok() - can a one-to-one device reach memory directly?
 * @dev: the device, in a one-to-one vcm
 * @paddr: start of the range
 * @size: its length
 *
 * If not, a mapping of the range takes the ordinary path, which bounces
 * it; heap discovery asks the same of a heap's memory.
 *
 * Return: true if nothing forces @dev to bounce and its mask and bus limit
 * reach all of [@paddr, @paddr + @size) at its bus address.
 */
bool vcm_share_direct_ok(struct device *dev, phys_addr_t paddr, size_t size)
{
	return !is_swiotlb_force_bounce(dev) &&
	       dma_capable(dev, phys_to_dma(dev, paddr), size, true);
}

/**
 * vcm_share_map_page() - map a range of a VCM buffer through its buffer
 * @assoc: the device
 * @paddr: physical address of the range
 * @size: its length
 * @dir: DMA direction
 * @attrs: DMA_ATTR_*
 * @shared: set if the range is a VCM buffer's and this call decided it
 *
 * Behind an IOMMU a share that cannot be made (no room for the whole
 * buffer below the device's mask, no memory) leaves the range to the
 * ordinary path, whose IOVA tells the unmap apart.  In a one-to-one window
 * the address cannot, so there the failure is the mapping's.
 *
 * Return: the device address, or DMA_MAPPING_ERROR: with *@shared set, the
 * mapping failed; without, the caller maps the range the ordinary way.
 */
dma_addr_t vcm_share_map_page(struct vcm_assoc *assoc, phys_addr_t paddr,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs, bool *shared)
{
	struct device *dev = assoc->dev;
	struct vcm_phys *phys;
	struct vcm_res *res;
	size_t offset;
	dma_addr_t addr;

	*shared = false;
	phys = vcm_index_get(paddr, size, &offset);
	if (!phys)
		return DMA_MAPPING_ERROR;
	if (assoc->vcm->kind == VCM_KIND_ONE_TO_ONE &&
	    !vcm_share_direct_ok(dev, paddr, size)) {
		vcm_phys_put(phys);
		return DMA_MAPPING_ERROR;
	}
	res = vcm_share_get(assoc, phys,
			    vcm_share_span(assoc, phys, offset, size), dir,
			    attrs);
	/* The reservation holds the buffer from here on. */
	vcm_phys_put(phys);
	*shared = !IS_ERR(res) || assoc->vcm->kind == VCM_KIND_ONE_TO_ONE;
	if (IS_ERR(res))
		return DMA_MAPPING_ERROR;
	vcm_stat_inc(assoc, VCM_STAT_SHARED);
	if (assoc->vcm->kind == VCM_KIND_IOMMU)
		addr = res->start + offset - res->offset;
	else
		addr = phys_to_dma(dev, paddr);
	if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(paddr, size, dir);
	return addr;
}

/* Does chunk @c hold all of [@paddr, @paddr + @size)? */
static bool vcm_chunk_holds(const struct vcm_chunk *c, phys_addr_t paddr,
			    size_t size)
{
	return PHYS_PFN(paddr) >= c->pfn &&
	       PHYS_PFN(paddr + size - 1) < c->pfn + c->nr_pages;
}

/*
 * The chunk that holds a list entry, @prev that of the entry before (or
 * NULL).  The entries of a buffer's own list follow its chunks: the
 * previous chunk and the next one are tried before the index, whose
 * lookup costs a walk of a tree of every chunk of every buffer (tens of
 * thousands for a few buffers of scattered pages).  Caller holds
 * rcu_read_lock(), which keeps @prev's buffer and its chunks.
 */
static struct vcm_chunk *vcm_share_chunk_rcu(struct vcm_chunk *prev,
					     phys_addr_t paddr, size_t size)
{
	if (prev) {
		const struct vcm_phys *phys = prev->phys;

		if (vcm_chunk_holds(prev, paddr, size))
			return prev;
		if (prev + 1 < phys->chunks + phys->nr_chunks &&
		    vcm_chunk_holds(prev + 1, paddr, size))
			return prev + 1;
	}
	return vcm_index_may_hold(paddr) ? vcm_index_find_rcu(paddr, size) :
					   NULL;
}

/*
 * Behind an IOMMU, do the pages of a list's entries, in list order, make
 * one run of the buffer?  Entry @off of @len must start on a page of the
 * span so far, at or after the page where the previous entry started; the
 * span grows to the end of its last page.
 */
static bool vcm_share_sg_extend(struct vcm_share_span *span, size_t *last,
				size_t off, unsigned int len, bool first)
{
	size_t lo = round_down(off, PAGE_SIZE);
	size_t hi = PAGE_ALIGN(off + len);

	if (first) {
		span->offset = lo;
		span->size = hi - lo;
	} else if (lo < *last || lo > span->offset + span->size) {
		return false;
	} else if (hi > span->offset + span->size) {
		span->size = hi - span->offset;
	}
	*last = lo;
	return true;
}

/*
 * Is every entry of the list inside one VCM buffer (returned, pinned), and
 * reachable by a one-to-one device?  With @span, each entry's offset in
 * the buffer is parked in its DMA address, which mapping overwrites in
 * order, and *@span is set to what a shared reservation must cover for
 * the list; behind an IOMMU the list must then be one run of the buffer's
 * pages (vcm_share_sg_extend()), or it is not mapped through the buffer.
 */
static struct vcm_phys *vcm_share_sg_buffer(struct vcm_assoc *assoc,
					    struct scatterlist *sgl, int nents,
					    struct vcm_share_span *span)
{
	bool direct = assoc->vcm->kind == VCM_KIND_ONE_TO_ONE;
	struct vcm_chunk *c = NULL;
	struct vcm_phys *phys = NULL;
	struct scatterlist *s;
	size_t last = 0;
	int i;

	if (!atomic_long_read(&vcm_index_chunks))
		return NULL;
	rcu_read_lock();
	for_each_sg(sgl, s, nents, i) {
		size_t off;

		c = s->length ? vcm_share_chunk_rcu(c, sg_phys(s), s->length) :
				NULL;
		if (!c || (phys && c->phys != phys) ||
		    (direct && !vcm_share_direct_ok(assoc->dev, sg_phys(s),
						    s->length)))
			goto no;
		phys = c->phys;
		if (!span)
			continue;
		off = vcm_chunk_offset(c, sg_phys(s));
		if (!direct &&
		    !vcm_share_sg_extend(span, &last, off, s->length, !i))
			goto no;
		sg_dma_address(s) = off;
	}
	if (phys && direct && span)
		*span = vcm_share_span(assoc, phys, 0, phys->size);
	if (phys && kref_get_unless_zero(&phys->kref)) {
		rcu_read_unlock();
		return phys;
	}
no:
	rcu_read_unlock();
	return NULL;
}

/**
 * vcm_share_sg_was_shared() - was a list mapped through its buffer?
 * @assoc: the device, in a one-to-one vcm, without records
 * @sgl: the list, as mapped
 * @nents: the entries passed to the mapping
 *
 * The decision vcm_share_map_sg() made, made again from the list's entries,
 * which the driver leaves as they were until the unmap.
 *
 * Return: true if it was.
 */
bool vcm_share_sg_was_shared(struct vcm_assoc *assoc, struct scatterlist *sgl,
			     int nents)
{
	struct vcm_phys *phys;

	if (assoc->vcm->kind == VCM_KIND_IOMMU)
		return true;	/* the IOVA tells */
	phys = vcm_share_sg_buffer(assoc, sgl, nents, NULL);
	vcm_phys_put(phys);
	return phys;
}

/* Does [addr, addr + len) cross the device's segment boundary? */
static bool vcm_crosses_boundary(struct device *dev, dma_addr_t addr,
				 size_t len)
{
	return (addr ^ (addr + len - 1)) & ~(dma_addr_t)dma_get_seg_boundary(dev);
}

/**
 * vcm_share_map_sg() - map a list that lies in one VCM buffer through it
 * @assoc: the device
 * @sgl: the list
 * @nents: its entries
 * @dir: DMA direction
 * @attrs: DMA_ATTR_*
 *
 * Behind an IOMMU the entries get their addresses inside the buffer's
 * reservation, and merge where they follow each other in the buffer; in a
 * one-to-one window they keep their bus addresses.  Segment limits of the
 * device hold as for any list.
 *
 * Behind an IOMMU, a list the buffer's reservation cannot carry (no room,
 * no memory, an entry across the device's segment boundary at its place in
 * the buffer) goes the ordinary way; a one-to-one window fails it (see
 * vcm_share_map_page()).
 *
 * Return: DMA segments, 0 if the list is not one VCM buffer's (the caller
 * maps it the ordinary way), or -ENOMEM.
 */
int vcm_share_map_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
		     int nents, enum dma_data_direction dir,
		     unsigned long attrs)
{
	struct device *dev = assoc->dev;
	struct scatterlist *s, *out = NULL;
	bool iommu = assoc->vcm->kind == VCM_KIND_IOMMU, cross;
	struct vcm_share_span span;
	struct vcm_phys *phys;
	struct vcm_res *res;
	int i, count = 0;

	phys = vcm_share_sg_buffer(assoc, sgl, nents, &span);
	if (!phys)
		return 0;
	res = vcm_share_get(assoc, phys, span, dir, attrs);
	vcm_phys_put(phys);
	if (IS_ERR(res))
		return iommu ? 0 : PTR_ERR(res);
	/*
	 * Behind an IOMMU an entry's parked offset becomes its address.  No
	 * entry can cross a segment boundary that the whole reservation
	 * does not cross.
	 */
	cross = iommu && vcm_crosses_boundary(dev, res->start, res->size);
	for_each_sg(sgl, s, cross ? nents : 0, i) {
		if (vcm_crosses_boundary(dev, res->start - res->offset +
						  sg_dma_address(s),
						  s->length)) {
			vcm_share_unmap(assoc, res->start, 1, dir, true);
			return 0;
		}
	}

	for_each_sg(sgl, s, nents, i) {
		dma_addr_t addr = iommu ? res->start - res->offset +
					  sg_dma_address(s) :
					  phys_to_dma(dev, sg_phys(s));

		count += vcm_sg_emit(assoc, sgl, &out, addr, s->length,
				     out && vcm_sg_can_extend(dev, out, addr,
							      s->length));
		if (!dev_is_dma_coherent(dev) &&
		    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
			arch_sync_dma_for_device(sg_phys(s), s->length, dir);
	}
	vcm_sg_end(out, count, nents);
	vcm_stat_inc(assoc, VCM_STAT_SHARED);
	return count;
}

/* ------------------------------------------------------------------------
 * A whole buffer as DMA segments only: the heap's importers on VCM
 */

/*
 * Builds a table of DMA segments from device address ranges, merging what
 * follows on and splitting at the device's segment limits (the rules of
 * vcm_sg_can_extend(), for ranges instead of entries).  With @s NULL it
 * only counts the segments; a second pass fills a table of that size.
 * (A buffer's allocator merges chunks that follow each other in memory,
 * so one-to-one two ranges merge only where a bus offset makes them meet.)
 */
struct vcm_seg_builder {
	struct scatterlist *s;		/* the next entry to fill, or NULL */
	unsigned long boundary;		/* dma_get_seg_boundary() */
	unsigned int max_seg;		/* dma_get_max_seg_size() */
	unsigned int count;		/* segments closed */
	dma_addr_t addr;		/* the open segment, while @len */
	unsigned int len;
};

static void vcm_seg_close(struct vcm_seg_builder *b)
{
	if (!b->len)
		return;
	if (b->s) {
		/* No page: the dma-buf rules keep importers off the pages. */
		sg_set_page(b->s, NULL, b->len, 0);
		sg_dma_address(b->s) = b->addr;
		sg_dma_len(b->s) = b->len;
		b->s = sg_next(b->s);
	}
	b->count++;
	b->len = 0;
}

static void vcm_seg_add(struct vcm_seg_builder *b, dma_addr_t addr,
			size_t len)
{
	while (len) {
		size_t n, room;

		if (b->len && (addr != b->addr + b->len ||
			       b->len == b->max_seg ||
			       (b->addr ^ addr) & ~(dma_addr_t)b->boundary))
			vcm_seg_close(b);
		if (!b->len)
			b->addr = addr;
		/* Up to the boundary, written so that nothing overflows. */
		n = min_t(size_t, len, b->max_seg - b->len);
		room = b->boundary - (addr & b->boundary);
		if (n - 1 > room)
			n = room + 1;
		b->len += n;
		addr += n;
		len -= n;
	}
}

/* Feed @b the device addresses at which @res maps all of @phys for @dev. */
static void vcm_seg_add_res(struct vcm_seg_builder *b, struct device *dev,
			    struct vcm_res *res, struct vcm_phys *phys)
{
	unsigned long i;

	if (res->vcm->kind == VCM_KIND_IOMMU) {
		vcm_seg_add(b, res->start, res->size);
	} else {
		for (i = 0; i < phys->nr_chunks; i++)
			vcm_seg_add(b, phys_to_dma(dev,
						   PFN_PHYS(phys->chunks[i].pfn)),
				    phys->chunks[i].nr_pages << PAGE_SHIFT);
	}
	vcm_seg_close(b);
}

/* Can a one-to-one device reach every chunk of @phys without bouncing? */
static bool vcm_share_direct_ok_all(struct device *dev, struct vcm_phys *phys)
{
	unsigned long i;

	for (i = 0; i < phys->nr_chunks; i++)
		if (!vcm_share_direct_ok(dev, PFN_PHYS(phys->chunks[i].pfn),
					 phys->chunks[i].nr_pages << PAGE_SHIFT))
			return false;
	return true;
}

/**
 * vcm_share_sync_phys() - cache maintenance of a whole buffer for a device
 * @dev: a device that maps the buffer through vcm_share_map_phys_sgt()
 * @phys: the buffer
 * @dir: DMA direction
 * @for_device: hand the buffer to the device (else to the CPU)
 *
 * Nothing for a coherent device.  Otherwise every chunk, by its physical
 * address: the cache lines are the memory's, not the device's.
 */
void vcm_share_sync_phys(struct device *dev, struct vcm_phys *phys,
			 enum dma_data_direction dir, bool for_device)
{
	unsigned long i;

	if (dev_is_dma_coherent(dev))
		return;
	for (i = 0; i < phys->nr_chunks; i++) {
		phys_addr_t paddr = PFN_PHYS(phys->chunks[i].pfn);
		size_t len = phys->chunks[i].nr_pages << PAGE_SHIFT;

		if (for_device)
			arch_sync_dma_for_device(paddr, len, dir);
		else if (dir != DMA_TO_DEVICE)
			arch_sync_dma_for_cpu(paddr, len, dir);
	}
}

/**
 * vcm_share_map_phys_sgt() - map a whole buffer for a device, as DMA segments
 * @dev: the importing device
 * @phys: the buffer
 * @dir: DMA direction
 * @sgt: set to the table of @dev's DMA segments of the buffer
 *
 * What the heap hands an importer that VCM serves and that reaches the
 * buffer without bouncing: the buffer's shared reservation in the device's
 * vcm, the same one for every importer of the address space that maps it
 * in the same direction (the first makes it, the next only take a use of
 * it), described by its DMA segments alone, split at the device's segment
 * limits.  Behind an IOMMU that is one range however many chunks the
 * buffer has; in a one-to-one window a segment per run of adjacent chunks.
 * No scatterlist of the buffer's pages is built or walked.
 *
 * The entries have no pages (sg_page() is NULL, their length is the
 * segment's): an importer may use only the DMA side of an imported table,
 * which CONFIG_DMABUF_DEBUG enforces by scrambling the page links, and
 * exporters of memory without struct pages hand out tables of this kind.
 * The importer's syncs of such a table, which the dma-buf rules leave to
 * the exporter, still work: VCM's sync_sg goes by DMA address.
 *
 * Context: process context.
 *
 * Return: 0; -EOPNOTSUPP if @dev is not served by VCM or, in a one-to-one
 * window, cannot reach every chunk directly (map a table of the pages the
 * ordinary way instead); -ENOMEM or -ENOSPC if the reservation or the table
 * could not be made.
 */
int vcm_share_map_phys_sgt(struct device *dev, struct vcm_phys *phys,
			   enum dma_data_direction dir, struct sg_table *sgt)
{
	struct vcm_assoc *assoc = vcm_assoc_of(dev);
	struct vcm_seg_builder b = {};
	struct vcm_res *res;
	int ret;

	if (!assoc || (assoc->vcm->kind == VCM_KIND_ONE_TO_ONE &&
		       !vcm_share_direct_ok_all(dev, phys)))
		return -EOPNOTSUPP;
	res = vcm_share_get(assoc, phys,
			    vcm_share_span(assoc, phys, 0, phys->size), dir, 0);
	if (IS_ERR(res))
		return PTR_ERR(res);
	b.boundary = dma_get_seg_boundary(dev);
	b.max_seg = dma_get_max_seg_size(dev);
	vcm_seg_add_res(&b, dev, res, phys);
	ret = sg_alloc_table(sgt, b.count, GFP_KERNEL);
	if (ret) {
		vcm_share_put(assoc, res);
		return ret;
	}
	b.s = sgt->sgl;
	b.count = 0;
	vcm_seg_add_res(&b, dev, res, phys);
	sgt->nents = b.count;
	vcm_share_sync_phys(dev, phys, dir, true);
	vcm_stat_inc(assoc, VCM_STAT_SHARED);
	return 0;
}

/**
 * vcm_share_unmap_phys_sgt() - undo vcm_share_map_phys_sgt()
 * @dev: the importing device
 * @phys: the buffer
 * @dir: the direction it was mapped in
 * @sgt: the table it made, freed here
 *
 * The use is found by the table's first address, as an unmap of the DMA
 * API finds it: if the device's driver unbound meanwhile, VCM's teardown
 * took the device's uses of the buffer already (and reported them), and
 * there is nothing left to undo.
 */
void vcm_share_unmap_phys_sgt(struct device *dev, struct vcm_phys *phys,
			      enum dma_data_direction dir,
			      struct sg_table *sgt)
{
	struct vcm_assoc *assoc = vcm_assoc_of(dev);

	vcm_share_sync_phys(dev, phys, dir, false);
	if (assoc)
		vcm_share_unmap(assoc, sg_dma_address(sgt->sgl), 1, dir, true);
	sg_free_table(sgt);
}

/*
 * The reservation through which @assoc mapped @addr, found as the mapping
 * made it, with phys->lock held (irqsave into *@flags), or NULL.  Sets
 * *@foreign when @addr lies in a reservation of the vcm that this device
 * has no mapping through: behind an IOMMU that address must not be handed
 * to the backend, which would unmap someone else's range.  The lock goes
 * to the caller (__release() here, __acquire() there: for sparse, which
 * cannot follow a lock returned on one path only).
 */
static struct vcm_res *vcm_share_lookup(struct vcm_assoc *assoc,
					dma_addr_t addr, size_t size,
					enum dma_data_direction dir,
					unsigned long *flags, bool *foreign)
{
	struct vcm *vcm = assoc->vcm;
	struct vcm_res *res, *best = NULL;
	struct vcm_phys *phys;
	size_t offset;

	*foreign = false;
	if (vcm->kind == VCM_KIND_IOMMU) {
		spin_lock_irqsave(&vcm->lock, *flags);
		res = vcm_res_covering_locked(vcm, addr);
		/* An empty reserved range has no edges either. */
		if (res && res->phys) {
			spin_lock(&res->phys->lock);
			if (vcm_edge_of_locked(res, assoc)) {
				spin_unlock(&vcm->lock);
				__release(&res->phys->lock);
				return res;
			}
			spin_unlock(&res->phys->lock);
		}
		*foreign = !!res;
		spin_unlock_irqrestore(&vcm->lock, *flags);
		return NULL;
	}

	/*
	 * One-to-one: the mapping was made through the buffer if its range
	 * lay in one chunk of it (and was not bounced, which an address in
	 * the bounce pool shows), as vcm_share_map_page() decided.
	 */
	phys = vcm_index_get(dma_to_phys(assoc->dev, addr), size, &offset);
	if (!phys)
		return NULL;
	spin_lock_irqsave(&phys->lock, *flags);
	list_for_each_entry(res, &phys->res, phys_node) {
		if (res->vcm != vcm || !vcm_edge_of_locked(res, assoc))
			continue;
		if (!best || res->dir == dir)
			best = res;
	}
	if (best)
		__release(&phys->lock);
	else
		spin_unlock_irqrestore(&phys->lock, *flags);
	/* The reservation, if any, holds the buffer. */
	vcm_phys_put(phys);
	return best;
}

/**
 * vcm_share_unmap() - undo a streaming mapping made through a buffer
 * @assoc: the device
 * @addr: the device address the mapping returned (any segment's, for a
 *	list: they all lie in one reservation)
 * @size: the length mapped at @addr
 * @dir: DMA direction
 * @recorded: a record says the mapping was shared: look it up by @addr
 *	alone (one-to-one; behind an IOMMU the address always tells)
 *
 * Return: true if @addr was such a mapping (now undone) or, behind an
 * IOMMU, lies in a reservation this device has no mapping through (an
 * unmap of an address it was never given, reported); false if the caller
 * should hand it to the backend.
 */
bool vcm_share_unmap(struct vcm_assoc *assoc, dma_addr_t addr, size_t size,
		     enum dma_data_direction dir, bool recorded)
{
	struct vcm_res *res;
	unsigned long flags;
	bool foreign;

	if (!atomic_long_read(&assoc->vcm->nr_shared))
		return false;
	res = vcm_share_lookup(assoc, addr, recorded ? 1 : size, dir, &flags,
			       &foreign);
	if (!res) {
		if (foreign)
			vcm_report(assoc, VCM_ERR_UNKNOWN_HANDLE,
				   "unmap of %pad, inside a buffer this device does not map: ignored\n",
				   &addr);
		return foreign;
	}
	__acquire(&res->phys->lock);
	vcm_share_put_locked(assoc, res, flags);
	return true;
}

/**
 * vcm_share_phys_get() - the buffer a device maps at a streaming address
 * @assoc: the device
 * @addr: any address inside one of its live mappings of a VCM buffer
 *
 * Return: the buffer with a reference for the caller, or NULL.
 */
struct vcm_phys *vcm_share_phys_get(struct vcm_assoc *assoc, dma_addr_t addr)
{
	struct vcm_phys *phys;
	struct vcm_res *res;
	unsigned long flags;
	bool foreign;

	if (!atomic_long_read(&assoc->vcm->nr_shared))
		return NULL;
	res = vcm_share_lookup(assoc, addr, 1, DMA_BIDIRECTIONAL, &flags,
			       &foreign);
	if (!res)
		return NULL;
	__acquire(&res->phys->lock);
	phys = res->phys;
	kref_get(&phys->kref);
	spin_unlock_irqrestore(&phys->lock, flags);
	return phys;
}

/**
 * vcm_res_end_creator_locked() - the creator of a reservation lets it go
 * @res: a coherent or dma_alloc_pages reservation, still in its vcm's tree
 * @view: set to the creator's CPU view (a vmap), when the reservation
 *	stays, with a reference on the buffer: the caller drops both with
 *	vcm_res_drop_view() after the locks
 *
 * If devices of the same vcm still map the buffer through @res, it stays
 * where it is, now a shared reservation that lives until their last unmap;
 * its address never leaves the tree meanwhile.  Either way, a buffer freed
 * while any device still maps it is reported, naming one of them: the
 * memory stays until the last mapping goes.  Caller holds vcm->lock and
 * phys->lock, so that no unmap or teardown sees it half converted.
 *
 * Return: true if @res has no user left: the caller takes it out of the
 * tree and destroys it.
 */
bool vcm_res_end_creator_locked(struct vcm_res *res, struct vcm_view *view)
{
	struct vcm_phys *phys = res->phys;
	struct vcm_assoc *creator = res->owner;
	struct device *other = NULL;
	struct vcm_res *r;
	bool last;

	lockdep_assert_held(&res->vcm->lock);
	lockdep_assert_held(&phys->lock);
	*view = (struct vcm_view){};
	last = !--res->users;
	list_for_each_entry(r, &phys->res, phys_node) {
		struct vcm_edge *e;

		if (!r->users)
			continue;
		e = list_first_entry_or_null(&r->edges, struct vcm_edge, node);
		if (e)
			other = e->assoc->dev;
		else if (r->owner && r->owner != creator)
			other = r->owner->dev;
		if (other)
			break;
	}
	if (other)
		dev_warn_ratelimited(creator->dev, VCM_PREFIX
				     "buffer %pad (%zu bytes) freed while %s still maps it: its memory stays until the last mapping goes\n",
				     &res->start, res->size, dev_name(other));
	if (!last) {
		res->flags &= ~(VCM_RES_COHERENT | VCM_RES_PAGES);
		res->flags |= VCM_RES_SHARED;
		res->owner = NULL;
		if (is_vmalloc_addr(res->cpu_addr)) {
			view->va = res->cpu_addr;
			view->phys = phys;
			kref_get(&phys->kref);
		}
		res->cpu_addr = NULL;
	}
	return last;
}

/* Take one of @assoc's edges out of @vcm; return its mappings (0: none). */
static unsigned long vcm_share_take_edge(struct vcm_assoc *assoc,
					 struct vcm_res **dying)
{
	struct vcm *vcm = assoc->vcm;
	unsigned long irqflags, maps = 0;
	struct vcm_edge *e, *freed = NULL;
	struct rb_node *node;

	*dying = NULL;
	spin_lock_irqsave(&vcm->lock, irqflags);
	for (node = rb_first(&vcm->res_tree); node && !maps;
	     node = rb_next(node)) {
		struct vcm_res *res = rb_entry(node, struct vcm_res, node);

		if (!res->phys)
			continue;
		spin_lock(&res->phys->lock);
		e = vcm_edge_of_locked(res, assoc);
		if (e) {
			maps = e->maps;
			if (vcm_edge_put_locked(res, e, maps, &freed))
				*dying = res;
		}
		spin_unlock(&res->phys->lock);
	}
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	kfree(freed);
	return maps;
}

/**
 * vcm_share_teardown() - drop the shared mappings a device left behind
 * @assoc: the device, whose driver is gone
 *
 * Mappings with a record were undone with their records; these are the
 * ones nobody recorded (dma=vcm,notrack).
 *
 * Return: how many mappings were dropped.
 */
unsigned long vcm_share_teardown(struct vcm_assoc *assoc)
{
	unsigned long n = 0, maps;
	struct vcm_res *dying;

	while ((maps = vcm_share_take_edge(assoc, &dying))) {
		vcm_report(assoc, VCM_ERR_LEAKED,
			   "%lu mapping(s) of a shared buffer still live at unbind, unmapping\n",
			   maps);
		n += maps;
		if (dying)
			vcm_res_destroy(dying);
	}
	return n;
}

/**
 * vcm_share_show_edges_locked() - the device edges of a reservation
 * @m: the debugfs file
 * @res: the reservation, bound to a buffer whose lock the caller holds
 */
void vcm_share_show_edges_locked(struct seq_file *m, struct vcm_res *res)
{
	struct vcm_edge *e;

	lockdep_assert_held(&res->phys->lock);
	list_for_each_entry(e, &res->edges, node)
		seq_printf(m, " edge=%s:%lu", dev_name(e->assoc->dev), e->maps);
}

/**
 * vcm_share_show() - the edges of a reservation, for debugfs
 * @m: the file
 * @res: the reservation
 */
void vcm_share_show(struct seq_file *m, struct vcm_res *res)
{
	unsigned long flags;

	if (!res->phys) {
		seq_puts(m, " empty");
		return;
	}
	spin_lock_irqsave(&res->phys->lock, flags);
	seq_printf(m, " users=%lu", res->users);
	vcm_share_show_edges_locked(m, res);
	spin_unlock_irqrestore(&res->phys->lock, flags);
}
