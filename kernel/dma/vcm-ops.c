// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the dma_map_ops provider and the dma=vcm option.
 *
 * Every entry point has the shape of kernel/dma/mapping.c: find the device's
 * association, validate, dispatch to the backend of its vcm, record.  The
 * DMA core has already traced the call and will feed DMA-API debug; the
 * checks here are VCM's own, and they hold whether or not DMA-API debug is
 * built in.
 *
 * Devices are taken over when a driver is about to bind (BUS_NOTIFY_BIND_
 * DRIVER: the IOMMU state is final, the driver has not set its DMA mask yet)
 * and given back their original backend when it has unbound
 * (BUS_NOTIFY_UNBOUND_DRIVER, after devres has freed managed buffers through
 * us).  A failed probe keeps VCM: its managed buffers are freed after the
 * DRIVER_NOT_BOUND notification, and must come back to us.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/init.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "direct.h"
#include "vcm.h"
#include "vcm-memtype.h"

static bool vcm_enabled __ro_after_init;
static bool vcm_verbose __ro_after_init;
/*
 * Per-mapping records of streaming mappings cost time on every map and
 * unmap; they are what checks each unmap against its map.  By default they
 * are kept when the kernel is built to debug DMA API use, and asked for
 * with dma=vcm,track otherwise.
 */
static bool vcm_notrack __ro_after_init = !IS_ENABLED(CONFIG_DMA_API_DEBUG);
static bool vcm_lazy __ro_after_init;

/* Only called through the assoc's own ops, so dev->dma_ops is set. */
static __always_inline struct vcm_assoc *to_assoc(struct device *dev)
{
	return container_of(dev->dma_ops, struct vcm_assoc, ops);
}

static const struct vcm_backend *to_backend(struct vcm_assoc *assoc)
{
	return assoc->vcm->backend;
}

/* ------------------------------------------------------------------------
 * Coherent allocations
 */

/* The memory type a request's attributes ask for. */
static enum vcm_mt vcm_attrs_mt(unsigned long attrs)
{
	return attrs & DMA_ATTR_WRITE_COMBINE ? VCM_MT_WC : VCM_MT_WB;
}

/*
 * A write-combining coherent buffer from the memtype pool, memory typed
 * already, where the pool can serve the request: one that may block; one
 * chunk the coherent mask reaches for a one-to-one device (or with
 * DMA_ATTR_FORCE_CONTIGUOUS), any pages behind an IOMMU.
 */
static struct vcm_phys *vcm_alloc_pooled(struct vcm_assoc *assoc, size_t size,
					 gfp_t gfp, unsigned long attrs)
{
	struct device *dev = assoc->dev;
	bool direct = assoc->vcm->kind == VCM_KIND_ONE_TO_ONE;

	if (vcm_attrs_mt(attrs) == VCM_MT_WB || !gfpflags_allow_blocking(gfp))
		return NULL;
	return vcm_mt_pool_alloc(dev, size, vcm_attrs_mt(attrs),
				 direct ? dev->coherent_dma_mask :
				 DMA_BIT_MASK(64),
				 direct || (attrs & DMA_ATTR_FORCE_CONTIGUOUS));
}

/*
 * A coherent buffer from the backend, given the type its attributes ask
 * for before any device maps it.  x86's dma-direct ignores
 * DMA_ATTR_WRITE_COMBINE (every device is coherent); VCM honours it.
 * Changing the linear alias sleeps: a request that may not block is
 * refused in strict mode and given write-back, what dma-direct gives it,
 * in tolerant mode -- as is one where the kernel cannot change the type
 * of its linear map.
 */
static struct vcm_phys *vcm_alloc_phys(struct vcm_assoc *assoc, size_t size,
				       gfp_t gfp, unsigned long attrs)
{
	enum vcm_mt mt = vcm_attrs_mt(attrs);
	struct vcm_phys *phys;
	int ret;

	phys = to_backend(assoc)->alloc_phys(assoc, size, gfp, attrs);
	if (!phys || mt == VCM_MT_WB)
		return phys;
	ret = gfpflags_allow_blocking(gfp) ? vcm_phys_set_type(phys, mt) :
		-EWOULDBLOCK;
	if (ret == -EWOULDBLOCK || ret == -EOPNOTSUPP) {
		dev_warn_ratelimited(assoc->dev, VCM_PREFIX
				     "%zu bytes %s: the linear map cannot change type %s: %s\n",
				     phys->size, vcm_mt_name(mt),
				     ret == -EWOULDBLOCK ? "without sleeping" : "here",
				     vcm_memtype.mode == VCM_MT_STRICT ? "refused" :
				     "write-back given");
		if (vcm_memtype.mode != VCM_MT_STRICT)
			ret = 0;
	}
	if (!ret)
		return phys;
	/* Its free makes every chunk already typed write-back again. */
	vcm_phys_put(phys);
	return NULL;
}

/*
 * The memory of a coherent buffer, of the type its attributes ask for.
 * Typing allocates on its own -- the index's nodes, the pool's blocks and
 * bookkeeping, set_memory_*()'s page tables, which take no gfp -- so a
 * request that may sleep but not start I/O or enter a filesystem (a block
 * driver's GFP_NOIO) puts all of them in that scope.  Not an atomic one:
 * it never types, and the flags are the interrupted task's.
 */
static struct vcm_phys *vcm_alloc_memory(struct vcm_assoc *assoc,
					 size_t size, gfp_t gfp,
					 unsigned long attrs)
{
	bool scoped = vcm_attrs_mt(attrs) != VCM_MT_WB &&
		      gfpflags_allow_blocking(gfp);
	struct vcm_phys *phys;
	unsigned int scope;

	if (!scoped)
		return vcm_alloc_phys(assoc, size, gfp, attrs);
	scope = memalloc_flags_save((gfp & __GFP_IO ? 0 : PF_MEMALLOC_NOIO) |
				    (gfp & __GFP_FS ? 0 : PF_MEMALLOC_NOFS));
	phys = vcm_alloc_pooled(assoc, size, gfp, attrs) ?:
	       vcm_alloc_phys(assoc, size, gfp, attrs);
	memalloc_flags_restore(scope);
	return phys;
}

/* Allocate and bind a contiguous buffer; the reservation owns it. */
static struct vcm_res *vcm_alloc_res(struct vcm_assoc *assoc, size_t size,
				     gfp_t gfp, unsigned long attrs,
				     unsigned int flags,
				     enum dma_data_direction dir)
{
	struct vcm_phys *phys;
	struct vcm_res *res;

	phys = vcm_alloc_memory(assoc, PAGE_ALIGN(size), gfp, attrs);
	if (!phys) {
		vcm_stat_inc(assoc, VCM_STAT_ALLOC_FAILED);
		return NULL;
	}
	res = vcm_res_create(assoc, phys, flags, dir, attrs, gfp);
	/* From here on the reservation's reference keeps the buffer. */
	vcm_phys_put(phys);
	if (IS_ERR(res)) {
		vcm_stat_inc(assoc, VCM_STAT_ALLOC_FAILED);
		return NULL;
	}
	return res;
}

static void *vcm_alloc(struct device *dev, size_t size, dma_addr_t *handle,
		       gfp_t gfp, unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	struct vcm_res *res;

	vcm_stat_inc(assoc, VCM_STAT_ALLOC);
	res = vcm_alloc_res(assoc, size, gfp, attrs, VCM_RES_COHERENT,
			    DMA_BIDIRECTIONAL);
	if (!res)
		return NULL;
	/* As dma-direct: without a kernel mapping the cookie is the page. */
	if (attrs & DMA_ATTR_NO_KERNEL_MAPPING)
		res->cpu_addr = vcm_phys_page(res->phys);
	else if (res->phys->nr_chunks == 1)
		res->cpu_addr = page_address(vcm_phys_page(res->phys));
	else
		res->cpu_addr = vcm_phys_vmap(res->phys);
	if (!res->cpu_addr) {
		vcm_stat_inc(assoc, VCM_STAT_ALLOC_FAILED);
		vcm_res_destroy(res);
		return NULL;
	}
	*handle = res->start;
	return res->cpu_addr;
}

static void vcm_free(struct device *dev, size_t size, void *cpu_addr,
		     dma_addr_t handle, unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	vcm_stat_inc(assoc, VCM_STAT_FREE);
	vcm_res_free_handle(assoc, handle, size, cpu_addr, VCM_RES_COHERENT);
}

/*
 * dma_alloc_pages() must return contiguous lowmem pages: such buffers are
 * one chunk whatever the backend would prefer.
 */
static struct page *vcm_alloc_pages(struct device *dev, size_t size,
				    dma_addr_t *handle,
				    enum dma_data_direction dir, gfp_t gfp)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	struct vcm_res *res;

	vcm_stat_inc(assoc, VCM_STAT_ALLOC_PAGES);
	res = vcm_alloc_res(assoc, size, gfp, DMA_ATTR_FORCE_CONTIGUOUS,
			    VCM_RES_PAGES, dir);
	if (!res)
		return NULL;
	res->cpu_addr = vcm_phys_page(res->phys);
	*handle = res->start;
	return res->cpu_addr;
}

static void vcm_free_pages(struct device *dev, size_t size, struct page *page,
			   dma_addr_t handle, enum dma_data_direction dir)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	vcm_stat_inc(assoc, VCM_STAT_FREE_PAGES);
	vcm_res_free_handle(assoc, handle, size, page, VCM_RES_PAGES);
}

/* ------------------------------------------------------------------------
 * Streaming mappings
 *
 * Pages of a VCM buffer are mapped through the buffer (vcm-share.c), any
 * other memory by the backend.  Unmap asks vcm-share.c first.  A mapping
 * the backend makes of pages of a buffer pins the buffer (vcm-share.c):
 * the pins are taken before the mapping is made and dropped after it is
 * undone.
 */

static void vcm_unmap_page_range(struct vcm_assoc *assoc, dma_addr_t addr,
				 size_t size, enum dma_data_direction dir,
				 unsigned long attrs, enum vcm_shared shared)
{
	const struct vcm_backend *be = to_backend(assoc);

	if (shared == VCM_NOT_SHARED ||
	    !atomic_long_read(&assoc->vcm->nr_shared)) {
		vcm_unmap_pinned(assoc, addr, size, dir, attrs);
		return;
	}
	if (!dev_is_dma_coherent(assoc->dev) &&
	    !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		be->sync_for_cpu(assoc, addr, size, dir);
	if (!vcm_share_unmap(assoc, addr, size, dir, shared == VCM_SHARED))
		vcm_unmap_pinned(assoc, addr, size, dir,
				 attrs | DMA_ATTR_SKIP_CPU_SYNC);
}

/* The ordinary way, for a range VCM did not map through its buffer. */
static dma_addr_t vcm_map_page_pinned(struct vcm_assoc *assoc,
				      phys_addr_t phys, size_t size,
				      enum dma_data_direction dir,
				      unsigned long attrs, bool *bounced)
{
	const struct vcm_backend *be = to_backend(assoc);
	unsigned long pins = vcm_pin_range(phys, size);
	dma_addr_t addr;

	addr = be->map_phys(assoc, phys, size, dir, attrs, bounced);
	if (addr == DMA_MAPPING_ERROR)
		goto err_unpin;
	if (unlikely(vcm_pin_note(assoc, addr, phys, size, pins, *bounced))) {
		be->unmap_phys(assoc, addr, size, dir,
			       attrs | DMA_ATTR_SKIP_CPU_SYNC);
		addr = DMA_MAPPING_ERROR;
		goto err_unpin;
	}
	return addr;

err_unpin:
	if (pins)
		vcm_unpin_range(phys, size);
	return addr;
}

static dma_addr_t vcm_map_page(struct device *dev, struct page *page,
			       unsigned long offset, size_t size,
			       enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	phys_addr_t phys = page_to_phys(page) + offset;
	bool bounced = false, shared;
	dma_addr_t addr;

	vcm_stat_inc(assoc, VCM_STAT_MAP_PAGE);
	shared = false;
	if (vcm_index_may_hold(phys))
		addr = vcm_share_map_page(assoc, phys, size, dir, attrs,
					  &shared);
	if (!shared)
		addr = vcm_map_page_pinned(assoc, phys, size, dir, attrs,
					   &bounced);
	if (addr == DMA_MAPPING_ERROR)
		goto fail;
	if (unlikely(vcm_track_add(assoc, VCM_MAP_PAGE, addr, size, 0, dir,
				   shared))) {
		vcm_unmap_page_range(assoc, addr, size, dir,
				     attrs | DMA_ATTR_SKIP_CPU_SYNC,
				     shared ? VCM_SHARED : VCM_NOT_SHARED);
		goto fail;
	}
	if (bounced)
		vcm_stat_inc(assoc, VCM_STAT_BOUNCED);
	return addr;
fail:
	vcm_stat_inc(assoc, VCM_STAT_MAP_FAILED);
	return DMA_MAPPING_ERROR;
}

static void vcm_unmap_page(struct device *dev, dma_addr_t addr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	enum vcm_shared shared;

	vcm_stat_inc(assoc, VCM_STAT_UNMAP_PAGE);
	if (vcm_track_del(assoc, VCM_MAP_PAGE, addr, &size, NULL, &dir,
			  &shared))
		vcm_unmap_page_range(assoc, addr, size, dir, attrs, shared);
}

/*
 * The one-to-one window's fast path, for a device whose mappings are
 * counted, not recorded: a range within one page that is no VCM buffer's
 * and that the device reaches without bouncing is mapped at its bus
 * address, as dma-direct maps it, with no call beyond the index lookup.
 * Everything else -- VCM buffers, a range over several pages (one of
 * which may be a buffer's, to be pinned), bouncing, records -- takes the
 * full path, which decides again from scratch.
 */
static dma_addr_t vcm_direct_map_page(struct device *dev, struct page *page,
				      unsigned long offset, size_t size,
				      enum dma_data_direction dir,
				      unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	phys_addr_t phys = page_to_phys(page) + offset;
	dma_addr_t addr;

	if (!assoc->untracked || offset_in_page(phys) + size > PAGE_SIZE ||
	    vcm_index_may_hold(phys))
		return vcm_map_page(dev, page, offset, size, dir, attrs);
	addr = vcm_direct_addr(dev, phys, size, dir);
	if (addr == DMA_MAPPING_ERROR)
		return vcm_map_page(dev, page, offset, size, dir, attrs);
	if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(phys, size, dir);
	vcm_stat_inc(assoc, VCM_STAT_MAP_PAGE);
	vcm_live_add(assoc, 1, size);
	return addr;
}

/*
 * Its unmap: with no shared mapping made through the vcm, an address that
 * is not a bounce slot was mapped by the fast path or its equal.
 */
static void vcm_direct_unmap_page(struct device *dev, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	phys_addr_t phys = dma_to_phys(dev, addr);

	if (!assoc->untracked || atomic_long_read(&assoc->vcm->nr_shared) ||
	    atomic_long_read(&assoc->vcm->nr_pinned) ||
	    swiotlb_find_pool(dev, phys)) {
		vcm_unmap_page(dev, addr, size, dir, attrs);
		return;
	}
	/* dma_direct_sync_single_for_cpu(), less the bounce slot it is not */
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
		if (!dev_is_dma_coherent(dev)) {
			arch_sync_dma_for_cpu(phys, size, dir);
			arch_sync_dma_for_cpu_all();
		}
		if (dir == DMA_FROM_DEVICE)
			arch_dma_mark_clean(phys, size);
	}
	vcm_stat_inc(assoc, VCM_STAT_UNMAP_PAGE);
	vcm_live_add(assoc, -1, -(long)size);
}

/*
 * Does a sync of @assoc's streaming mappings do anything?  Not for a
 * cache-coherent device none of whose mappings was ever bounced (all of
 * x86 behind VCM's IOMMU, which never bounces, and one-to-one devices that
 * reach their memory): the sync of a list would otherwise walk every entry
 * for nothing, twice per CPU access bracket of a dma-buf.
 */
static __always_inline bool vcm_sync_needed(struct vcm_assoc *assoc)
{
	return !dev_is_dma_coherent(assoc->dev) || READ_ONCE(assoc->bounced);
}

/*
 * Sync calls get the entry count the driver mapped, not the DMA segment
 * count.  A backend whose segments may merge unrelated pages syncs by CPU
 * entry; otherwise (a one-to-one window merges only what is physically
 * contiguous) the DMA segments are walked up to the zero length that
 * map_sg left after the last one, passing over peer-to-peer memory at its
 * PCI bus address, which is no memory of the CPU's.
 */
static void vcm_sync_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
			int nents, enum dma_data_direction dir,
			bool for_device)
{
	const struct vcm_backend *be = to_backend(assoc);
	struct scatterlist *s;
	int i;

	if (!vcm_sync_needed(assoc))
		return;
	if (for_device && be->sync_sg_for_device) {
		be->sync_sg_for_device(assoc, sgl, nents, dir);
		return;
	}
	if (!for_device && be->sync_sg_for_cpu) {
		be->sync_sg_for_cpu(assoc, sgl, nents, dir);
		return;
	}
	for_each_sg(sgl, s, nents, i) {
		if (!sg_dma_len(s))
			break;
		if (sg_dma_is_bus_address(s))
			continue;
		if (for_device)
			be->sync_for_device(assoc, sg_dma_address(s),
					    sg_dma_len(s), dir);
		else
			be->sync_for_cpu(assoc, sg_dma_address(s),
					 sg_dma_len(s), dir);
	}
}

/*
 * Undo a mapped list: through its shared buffer, or by the backend.
 * Without a record, a list in a one-to-one window is recognised as it was
 * at map time, from its entries.  A list whose first segment is at a PCI
 * bus address (peer-to-peer memory) was not mapped through a buffer, and
 * that address must not be looked up among the vcm's reservations.
 */
static void vcm_unmap_sg_lists(struct vcm_assoc *assoc,
			       struct scatterlist *sgl, int nents, int mapped,
			       enum dma_data_direction dir,
			       unsigned long attrs, enum vcm_shared shared)
{
	if (mapped && shared != VCM_NOT_SHARED &&
	    !sg_dma_is_bus_address(sgl) &&
	    atomic_long_read(&assoc->vcm->nr_shared) &&
	    (shared == VCM_SHARED || vcm_share_sg_was_shared(assoc, sgl, nents))) {
		if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) &&
		    !dev_is_dma_coherent(assoc->dev))
			vcm_sync_sg(assoc, sgl, nents, dir, false);
		attrs |= DMA_ATTR_SKIP_CPU_SYNC;
		if (vcm_share_unmap(assoc, sg_dma_address(sgl), 1, dir, true))
			return;
	}
	to_backend(assoc)->unmap_sg(assoc, sgl, nents, mapped, dir, attrs);
	vcm_unpin_sg(assoc, sgl, nents);
}

/* DMA segments of a mapped list: up to the zero length map_sg left. */
static u32 vcm_sg_dma_segments(struct scatterlist *sgl, int nents,
			       size_t *bytes)
{
	struct scatterlist *s;
	u32 n = 0;
	int i;

	*bytes = 0;
	for_each_sg(sgl, s, nents, i) {
		if (!sg_dma_len(s))
			break;
		*bytes += sg_dma_len(s);
		n++;
	}
	return n;
}

/*
 * The record of an sg mapping keeps the entry count the driver passed (low
 * 16 bits) and the DMA segment count (high 16 bits): unmap_sg is called
 * with the former and must undo the latter.
 */
static int vcm_map_sg(struct device *dev, struct scatterlist *sgl, int nents,
		      enum dma_data_direction dir, unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	const struct vcm_backend *be = to_backend(assoc);
	size_t bytes;
	int mapped;
	bool shared;

	vcm_stat_inc(assoc, VCM_STAT_MAP_SG);
	if (unlikely(nents > U16_MAX)) {
		vcm_stat_inc(assoc, VCM_STAT_MAP_FAILED);
		return -EINVAL;
	}
	mapped = vcm_share_map_sg(assoc, sgl, nents, dir, attrs);
	shared = mapped > 0;
	if (shared) {
		vcm_sg_dma_segments(sgl, mapped, &bytes);
	} else if (!mapped) {
		/* A DMA segment holds what its entries held. */
		bytes = vcm_pin_sg(assoc, sgl, nents);
		mapped = be->map_sg(assoc, sgl, nents, dir, attrs);
		if (mapped < 0)
			vcm_unpin_sg(assoc, sgl, nents);
	}
	if (mapped < 0) {
		vcm_stat_inc(assoc, VCM_STAT_MAP_FAILED);
		return mapped;
	}
	if (unlikely(vcm_track_add(assoc, VCM_MAP_SG, (unsigned long)sgl,
				   bytes, nents | mapped << 16, dir, shared))) {
		vcm_unmap_sg_lists(assoc, sgl, nents, mapped, dir,
				   attrs | DMA_ATTR_SKIP_CPU_SYNC,
				   shared ? VCM_SHARED : VCM_NOT_SHARED);
		vcm_stat_inc(assoc, VCM_STAT_MAP_FAILED);
		return -ENOMEM;
	}
	return mapped;
}

static void vcm_unmap_sg(struct device *dev, struct scatterlist *sgl,
			 int nents, enum dma_data_direction dir,
			 unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	enum vcm_shared shared;
	size_t size;
	u32 recorded;

	vcm_stat_inc(assoc, VCM_STAT_UNMAP_SG);
	/* What the list says; the record, when there is one, overrides it. */
	recorded = nents | vcm_sg_dma_segments(sgl, nents, &size) << 16;
	if (vcm_track_del(assoc, VCM_MAP_SG, (unsigned long)sgl, &size,
			  &recorded, &dir, &shared))
		vcm_unmap_sg_lists(assoc, sgl, recorded & 0xffff,
				   recorded >> 16, dir, attrs, shared);
}

static dma_addr_t vcm_map_resource(struct device *dev, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	dma_addr_t addr;

	vcm_stat_inc(assoc, VCM_STAT_MAP_RESOURCE);
	addr = to_backend(assoc)->map_resource(assoc, phys, size, dir, attrs);
	if (addr != DMA_MAPPING_ERROR &&
	    vcm_track_add(assoc, VCM_MAP_RESOURCE, addr, size, 0, dir, false))
		addr = DMA_MAPPING_ERROR;
	if (addr == DMA_MAPPING_ERROR)
		vcm_stat_inc(assoc, VCM_STAT_MAP_FAILED);
	return addr;
}

static void vcm_unmap_resource(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	enum vcm_shared shared;

	vcm_stat_inc(assoc, VCM_STAT_UNMAP_RESOURCE);
	/* MMIO is never bounced or synced; an IOVA must be given back. */
	if (vcm_track_del(assoc, VCM_MAP_RESOURCE, addr, &size, NULL, &dir,
			  &shared))
		to_backend(assoc)->unmap_phys(assoc, addr, size, dir,
					      attrs | DMA_ATTR_SKIP_CPU_SYNC);
}

static void vcm_sync_single_for_cpu(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	vcm_stat_inc(assoc, VCM_STAT_SYNC);
	if (vcm_sync_needed(assoc))
		to_backend(assoc)->sync_for_cpu(assoc, addr, size, dir);
}

static void vcm_sync_single_for_device(struct device *dev, dma_addr_t addr,
				       size_t size,
				       enum dma_data_direction dir)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	vcm_stat_inc(assoc, VCM_STAT_SYNC);
	if (vcm_sync_needed(assoc))
		to_backend(assoc)->sync_for_device(assoc, addr, size, dir);
}

static void vcm_sync_sg_for_cpu(struct device *dev, struct scatterlist *sgl,
				int nents, enum dma_data_direction dir)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	vcm_stat_inc(assoc, VCM_STAT_SYNC);
	vcm_sync_sg(assoc, sgl, nents, dir, false);
}

static void vcm_sync_sg_for_device(struct device *dev,
				   struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	vcm_stat_inc(assoc, VCM_STAT_SYNC);
	vcm_sync_sg(assoc, sgl, nents, dir, true);
}

/* ------------------------------------------------------------------------
 * CPU views of coherent buffers
 */

/* Does @dev have a per-device coherent pool (dma_declare_coherent_memory)? */
static bool vcm_has_dev_coherent(struct device *dev)
{
#ifdef CONFIG_DMA_DECLARE_COHERENT
	return dev->dma_mem;
#else
	return false;
#endif
}

/*
 * The buffer behind a coherent handle, for a CPU view of @size bytes.  A
 * handle VCM does not know is reported, unless the device has a coherent
 * pool, whose buffers dma_alloc_attrs() hands out without calling VCM:
 * then NULL with *@pool set, and the caller answers as dma-direct does.
 */
static struct vcm_phys *vcm_phys_for_view(struct vcm_assoc *assoc,
					  dma_addr_t handle, size_t size,
					  bool *pool)
{
	struct vcm_phys *phys;

	*pool = false;
	phys = vcm_phys_lookup(assoc, handle, VCM_RES_COHERENT | VCM_RES_PAGES);
	if (!phys) {
		*pool = vcm_has_dev_coherent(assoc->dev);
		if (!*pool)
			vcm_report(assoc, VCM_ERR_UNKNOWN_HANDLE,
				   "CPU view of %pad, which is not allocated\n",
				   &handle);
		return NULL;
	}
	if (PAGE_ALIGN(size) > phys->size) {
		vcm_report(assoc, VCM_ERR_SIZE_MISMATCH,
			   "CPU view of %pad with size %zu, allocated with %zu\n",
			   &handle, size, phys->size);
		vcm_phys_put(phys);
		return NULL;
	}
	return phys;
}

/*
 * A user mapping of a typed buffer gets the buffer's type, whatever the
 * driver's call asked (dma_mmap_wc() asks write-combining, anything else
 * write-back), as the policy decides; x86 PAT gives remap_pfn_range() of
 * RAM the pages' type too.  The driver owns the mapping's vm_ops, so it is
 * asked for, not counted.  A write-back buffer's mapping is what
 * dma-direct makes of it.
 */
static int vcm_mmap_prot(struct device *dev, struct vcm_phys *phys,
			 struct vm_area_struct *vma, unsigned long attrs)
{
	struct vcm_mapper who = { .kind = VCM_MAPPER_USER, .name = NULL };
	enum vcm_mt mt;
	int ret;

	if (phys->mt == VCM_MT_WB) {
		vma->vm_page_prot = dma_pgprot(dev, vma->vm_page_prot, attrs);
		return 0;
	}
	ret = vcm_phys_memtype_ask(phys, vcm_attrs_mt(attrs), &who, &mt);
	if (!ret)
		vma->vm_page_prot = vcm_mt_pgprot(vma->vm_page_prot, mt);
	return ret;
}

static int vcm_mmap(struct device *dev, struct vm_area_struct *vma,
		    void *cpu_addr, dma_addr_t handle, size_t size,
		    unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	struct vcm_phys *phys;
	bool pool;
	int ret;

	vcm_stat_inc(assoc, VCM_STAT_MMAP);
	/*
	 * dma_alloc_attrs() serves a device with a per-device coherent pool
	 * (dev->dma_mem) from the pool, without calling VCM; its CPU views
	 * come from the pool too, as in dma-direct.
	 */
	if (dma_mmap_from_dev_coherent(dev, vma, cpu_addr, size, &ret))
		return ret;
	phys = vcm_phys_for_view(assoc, handle, size, &pool);
	if (!phys)
		return -ENXIO;
	ret = vcm_mmap_prot(dev, phys, vma, attrs);
	if (!ret)
		ret = vcm_phys_mmap(phys, vma);
	vcm_phys_put(phys);
	return ret;
}

static int vcm_get_sgtable(struct device *dev, struct sg_table *sgt,
			   void *cpu_addr, dma_addr_t handle, size_t size,
			   unsigned long attrs)
{
	struct vcm_assoc *assoc = to_assoc(dev);
	struct vcm_phys *phys;
	bool pool;
	int ret;

	vcm_stat_inc(assoc, VCM_STAT_GET_SGTABLE);
	phys = vcm_phys_for_view(assoc, handle, size, &pool);
	if (!phys && pool) {
		/* A pool buffer, at its bus address, as dma-direct has it. */
		ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
		if (!ret)
			sg_set_page(sgt->sgl,
				    pfn_to_page(PHYS_PFN(dma_to_phys(dev, handle))),
				    PAGE_ALIGN(size), 0);
		return ret;
	}
	if (!phys)
		return -ENXIO;
	ret = vcm_phys_to_sgtable(phys, sgt, GFP_KERNEL);
	vcm_phys_put(phys);
	return ret;
}

/* ------------------------------------------------------------------------
 * Queries
 */

static int vcm_dma_supported(struct device *dev, u64 mask)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	return to_backend(assoc)->supported(assoc, mask);
}

static u64 vcm_get_required_mask(struct device *dev)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	return to_backend(assoc)->required_mask(assoc);
}

static size_t vcm_max_mapping_size(struct device *dev)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	return to_backend(assoc)->max_mapping_size(assoc);
}

/*
 * ->opt_mapping_size() has no device: one function per kind (the iommu
 * kind's is vcm_iommu_opt_mapping_size()).
 */
static size_t vcm_direct_opt_mapping_size(void)
{
	return vcm_direct_backend.opt_mapping_size();
}

static unsigned long vcm_get_merge_boundary(struct device *dev)
{
	struct vcm_assoc *assoc = to_assoc(dev);

	return to_backend(assoc)->merge_boundary(assoc);
}

/*
 * The templates each association copies (see struct vcm_assoc): one per
 * kind, because ->opt_mapping_size() has no device argument to tell, and
 * the one-to-one kind maps pages through its fast path.  Both have the
 * same ->alloc, by which vcm_assoc_of() knows a device on VCM.
 */
#define VCM_DMA_OPS(map, unmap, opt_size)			\
{								\
	.flags			= DMA_F_PCI_P2PDMA_SUPPORTED,	\
	.alloc			= vcm_alloc,			\
	.free			= vcm_free,			\
	.alloc_pages_op		= vcm_alloc_pages,		\
	.free_pages		= vcm_free_pages,		\
	.mmap			= vcm_mmap,			\
	.get_sgtable		= vcm_get_sgtable,		\
	.map_page		= map,				\
	.unmap_page		= unmap,			\
	.map_sg			= vcm_map_sg,			\
	.unmap_sg		= vcm_unmap_sg,			\
	.map_resource		= vcm_map_resource,		\
	.unmap_resource		= vcm_unmap_resource,		\
	.sync_single_for_cpu	= vcm_sync_single_for_cpu,	\
	.sync_single_for_device	= vcm_sync_single_for_device,	\
	.sync_sg_for_cpu	= vcm_sync_sg_for_cpu,		\
	.sync_sg_for_device	= vcm_sync_sg_for_device,	\
	.dma_supported		= vcm_dma_supported,		\
	.get_required_mask	= vcm_get_required_mask,	\
	.max_mapping_size	= vcm_max_mapping_size,		\
	.opt_mapping_size	= opt_size,			\
	.get_merge_boundary	= vcm_get_merge_boundary,	\
}

static const struct dma_map_ops vcm_dma_ops =
	VCM_DMA_OPS(vcm_direct_map_page, vcm_direct_unmap_page,
		    vcm_direct_opt_mapping_size);
static const struct dma_map_ops vcm_iommu_dma_ops =
	VCM_DMA_OPS(vcm_map_page, vcm_unmap_page,
		    vcm_iommu_opt_mapping_size);

/* ------------------------------------------------------------------------
 * dma=vcm and the bus notifiers
 */

/*
 * The device life cycle, as 6.12's driver core runs it:
 *
 *   BIND_DRIVER         really_probe(), after dma_configure() set up the
 *                       IOMMU state and before the driver's probe: attach,
 *                       and add the heap discovery files
 *   DRIVER_NOT_BOUND    the probe failed or deferred; devres (managed DMA
 *                       memory) is released after it: remove the files,
 *                       detach only a device that holds nothing of VCM's
 *   UNBOUND_DRIVER      after remove() and devres: remove the files, detach
 *   DEL_DEVICE          device_del(), *before* bus_remove_device() unbinds
 *                       a driver still bound (platform devices are removed
 *                       this way): the driver may still free and map
 *                       through VCM, so a bound device is left alone.  One
 *                       with no driver (none can bind any more) is
 *                       forgotten here, while its IOMMU domain still exists
 *                       for the teardown of what a failed probe left.
 *   REMOVED_DEVICE      the end of device_del(), after any unbind (and
 *                       after the IOMMU core let the device go): forget the
 *                       device, which is detached by now
 */
static int vcm_bus_notify(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	struct device *dev = data;
	struct vcm_assoc *assoc;

	switch (action) {
	case BUS_NOTIFY_BIND_DRIVER:
		assoc = vcm_attach_device(dev,
					  (vcm_notrack ? 0 : VCM_ATTACH_TRACK) |
					  (vcm_lazy ? VCM_ATTACH_LAZY : 0) |
					  (vcm_excluded(dev) ?
					   VCM_ATTACH_EXCLUDED : 0));
		if (IS_ERR(assoc)) {
			dev_warn(dev, VCM_PREFIX "cannot attach (%pe), keeping the original DMA backend\n",
				 assoc);
			break;
		}
		if (!assoc)
			break;
		vcm_heap_sysfs_add(dev);
		if (vcm_verbose)
			dev_info(dev, VCM_PREFIX "served by %s\n",
				 assoc->vcm->name);
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:
		vcm_heap_sysfs_remove(dev);
		vcm_detach_unused_device(dev);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		vcm_heap_sysfs_remove(dev);
		vcm_detach_device(dev);
		if (vcm_verbose)
			dev_info(dev, VCM_PREFIX "original DMA backend restored\n");
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		if (!READ_ONCE(dev->driver))
			vcm_release_device(dev);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		vcm_release_device(dev);
		break;
	}
	return NOTIFY_DONE;
}

/* The buses that carry DMA masters. */
static const struct bus_type * const vcm_buses[] = {
#ifdef CONFIG_PCI
	&pci_bus_type,
#endif
	&platform_bus_type,
};

static struct notifier_block vcm_nbs[ARRAY_SIZE(vcm_buses)];

/*
 * dma=vcm[,verbose][,track|notrack][,lazy|strict][,memtype=strict|tolerant]:
 * parsed once, before any initcall.  Registered with the
 * trailing '=' because __setup() matches prefixes (dma_debug=, dmasound=).
 */
static int __init vcm_setup(char *str)
{
	char *opt;

	while ((opt = strsep(&str, ","))) {
		if (!strcmp(opt, "vcm"))
			vcm_enabled = true;
		else if (!strcmp(opt, "verbose"))
			vcm_verbose = true;
		else if (!strcmp(opt, "notrack"))
			vcm_notrack = true;
		else if (!strcmp(opt, "track"))
			vcm_notrack = false;
		else if (!strcmp(opt, "lazy"))
			vcm_lazy = true;
		else if (!strcmp(opt, "strict"))
			vcm_lazy = false;
		else if (!strcmp(opt, "nopool"))
			vcm_mt_pool_enabled = false;
		else if (vcm_mt_parse_option(opt, &vcm_memtype.mode))
			continue;
		else
			pr_warn("dma=: unknown option '%s' ignored\n", opt);
	}
	return 1;
}
__setup("dma=", vcm_setup);

/*
 * Devices are added at subsys_initcall time and drivers bind from
 * device_initcall on: registering at subsys_initcall_sync sees every
 * binding.  A bus notifier's return value cannot veto a probe, so failure
 * to attach only leaves the device on its original backend.
 */
static int __init vcm_ops_init(void)
{
	unsigned int i;
	int ret;

	/*
	 * The tables the graph puts on devices, handed down whether or not
	 * VCM serves any (the KUnit suites attach devices of their own).
	 */
	vcm_graph_set_ops(&vcm_dma_ops, &vcm_iommu_dma_ops);
	if (!vcm_enabled)
		return 0;
	ret = vcm_index_map_init();
	if (ret)
		pr_warn("no index bitmap (%d): every mapping walks the index\n",
			ret);
	for (i = 0; i < ARRAY_SIZE(vcm_buses); i++) {
		vcm_nbs[i].notifier_call = vcm_bus_notify;
		ret = bus_register_notifier(vcm_buses[i], &vcm_nbs[i]);
		if (ret)
			goto unwind;
	}
	vcm_debugfs_init();
	if (vcm_memtype_can_type() && vcm_mt_pool_init())
		pr_warn("no shrinker for the memtype pool: pool off\n");
	ret = vcm_heap_init();
	if (ret)
		pr_warn("no dma-buf heap: %d\n", ret);
	pr_info("serving DMA for PCI and platform devices\n");
	return 0;

unwind:
	pr_err("cannot register on bus %s: %d, VCM is off\n",
	       vcm_buses[i]->name, ret);
	while (i--)
		bus_unregister_notifier(vcm_buses[i], &vcm_nbs[i]);
	return ret;
}
subsys_initcall_sync(vcm_ops_init);
