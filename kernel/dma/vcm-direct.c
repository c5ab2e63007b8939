// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the one-to-one backend.
 *
 * In a one-to-one vcm the device address of a page is phys_to_dma() of its
 * physical address: the vcm is a bus window, not an address space with its
 * own page tables.  What the backend adds is what the window cannot: a
 * buffer the device's mask cannot reach is bounced through swiotlb, and
 * scatterlist segments that the window makes contiguous are merged, within
 * the device's max_segment_size and segment boundary.
 *
 * The backend keeps no state of its own; the caller (vcm-ops.c) records
 * every mapping, and for a list the segments that hold bounce slots
 * (vcm_direct_seg_held()), so that a list leaked by its driver gives them
 * back at unbind.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/dma-direct.h>
#include <linux/memremap.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include "direct.h"
#include "vcm.h"

static void vcm_direct_sync_for_device(struct vcm_assoc *assoc,
				       dma_addr_t addr, size_t size,
				       enum dma_data_direction dir)
{
	dma_direct_sync_single_for_device(assoc->dev, addr, size, dir);
}

static void vcm_direct_sync_for_cpu(struct vcm_assoc *assoc, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir)
{
	dma_direct_sync_single_for_cpu(assoc->dev, addr, size, dir);
}

/* One chunk the coherent mask reaches: the window maps it as it lies. */
static struct vcm_phys *vcm_direct_alloc_phys(struct vcm_assoc *assoc,
					      size_t size, gfp_t gfp,
					      unsigned long attrs)
{
	return vcm_phys_alloc_contig(assoc->dev, size, gfp,
				     assoc->dev->coherent_dma_mask);
}

/* What the window cannot reach directly is bounced, or refused. */
static noinline dma_addr_t vcm_direct_bounce(struct vcm_assoc *assoc,
					     phys_addr_t phys, size_t size,
					     enum dma_data_direction dir,
					     unsigned long attrs, bool *bounced)
{
	struct device *dev = assoc->dev;

	/* Another device's BAR is not bounced, as by dma-direct. */
	if (pfn_valid(PHYS_PFN(phys)) &&
	    is_pci_p2pdma_page(pfn_to_page(PHYS_PFN(phys)))) {
		vcm_report(assoc, VCM_ERR_MASK,
			   "peer-to-peer memory %pa+%zu is beyond the DMA mask %#llx (bus limit %#llx) and is never bounced\n",
			   &phys, size, *dev->dma_mask, dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}
	if (!is_swiotlb_active(dev)) {
		vcm_report(assoc, VCM_ERR_MASK,
			   "%pa+%zu is beyond the DMA mask %#llx (bus limit %#llx) and swiotlb is off\n",
			   &phys, size, *dev->dma_mask, dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}
	*bounced = true;
	/* Before the address reaches the driver (vcm_sync_needed()). */
	WRITE_ONCE(assoc->bounced, true);
	return swiotlb_map(dev, phys, size, dir, attrs);
}

/*
 * Inline, as dma-direct's dma_direct_map_page() is in its map_sg loop: a
 * list of thousands of pages pays no call per entry for the common case.
 */
static __always_inline dma_addr_t vcm_direct_map_phys(struct vcm_assoc *assoc,
						      phys_addr_t phys,
						      size_t size,
						      enum dma_data_direction dir,
						      unsigned long attrs,
						      bool *bounced)
{
	struct device *dev = assoc->dev;
	dma_addr_t addr = vcm_direct_addr(dev, phys, size, dir);

	*bounced = false;
	if (unlikely(addr == DMA_MAPPING_ERROR))
		return vcm_direct_bounce(assoc, phys, size, dir, attrs, bounced);
	if (!dev_is_dma_coherent(dev) && !(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		arch_sync_dma_for_device(phys, size, dir);
	return addr;
}

static void vcm_direct_unmap_phys(struct vcm_assoc *assoc, dma_addr_t addr,
				  size_t size, enum dma_data_direction dir,
				  unsigned long attrs)
{
	if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC))
		vcm_direct_sync_for_cpu(assoc, addr, size, dir);
	/* Gives the slots back if @addr is a bounce buffer, else nothing. */
	swiotlb_tbl_unmap_single(assoc->dev, dma_to_phys(assoc->dev, addr),
				 size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
}

/* Is the segment at @addr a bounce buffer, holding swiotlb slots? */
static bool vcm_direct_seg_held(struct vcm_assoc *assoc, dma_addr_t addr)
{
	struct device *dev = assoc->dev;

	return swiotlb_find_pool(dev, dma_to_phys(dev, addr));
}

static void vcm_direct_unmap_sg(struct vcm_assoc *assoc,
				struct scatterlist *sgl, int nents,
				int mapped, enum dma_data_direction dir,
				unsigned long attrs)
{
	struct scatterlist *s;
	int i;

	for_each_sg(sgl, s, mapped, i) {
		if (sg_dma_is_bus_address(s))
			sg_dma_unmark_bus_address(s);
		else
			vcm_direct_unmap_phys(assoc, sg_dma_address(s),
					      sg_dma_len(s), dir, attrs);
	}
}

/*
 * Map every entry, then fold an entry into the previous DMA segment when
 * the window makes them contiguous and the device's segment limits allow.
 * Bounced entries are never merged: their bounce slots must be given back
 * one by one; nor is peer-to-peer memory at its PCI bus address (see
 * vcm_sg_p2pdma()).  See vcm_sg_emit() for how the DMA segments are
 * written.
 */
static int vcm_direct_map_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir,
			     unsigned long attrs)
{
	struct pci_p2pdma_map_state p2p = {};
	struct device *dev = assoc->dev;
	struct scatterlist *s, *out = NULL;
	bool bounced, out_bounced = false;
	int i, ret, count = 0;
	dma_addr_t addr;

	for_each_sg(sgl, s, nents, i) {
		if (is_pci_p2pdma_page(sg_page(s))) {
			ret = vcm_sg_p2pdma(&p2p, dev, s);
			if (ret < 0)
				goto unwind;
			if (ret) {
				count += vcm_sg_emit_bus(assoc, sgl, &out, s);
				out_bounced = false;
				continue;
			}
		}
		addr = vcm_direct_map_phys(assoc, sg_phys(s), s->length, dir,
					   attrs, &bounced);
		if (addr == DMA_MAPPING_ERROR) {
			ret = -EIO;
			goto unwind;
		}
		if (vcm_sg_emit(assoc, sgl, &out, addr, s->length,
				out && !bounced && !out_bounced &&
				vcm_sg_can_extend(dev, out, addr, s->length))) {
			out_bounced = bounced;
			if (bounced)
				vcm_stat_inc(assoc, VCM_STAT_BOUNCED);
			count++;
		}
	}
	vcm_sg_end(out, count, nents);
	return count;

unwind:
	/* Entry i is not mapped; the @count DMA segments before it are. */
	vcm_direct_unmap_sg(assoc, sgl, nents, count, dir,
			    attrs | DMA_ATTR_SKIP_CPU_SYNC);
	return ret;
}

static dma_addr_t vcm_direct_map_resource(struct vcm_assoc *assoc,
					  phys_addr_t phys, size_t size,
					  enum dma_data_direction dir,
					  unsigned long attrs)
{
	struct device *dev = assoc->dev;
	dma_addr_t addr = phys_to_dma_unencrypted(dev, phys);

	if (unlikely(!dma_capable(dev, addr, size, false))) {
		vcm_report(assoc, VCM_ERR_MASK,
			   "resource %pa+%zu is beyond the DMA mask %#llx (bus limit %#llx)\n",
			   &phys, size, *dev->dma_mask, dev->bus_dma_limit);
		return DMA_MAPPING_ERROR;
	}
	return addr;
}

/*
 * A one-to-one window maps a buffer at its physical address, so only a
 * single chunk that the device can reach can be bound.  Coherent buffers
 * are checked against the coherent mask, native mappings against the
 * streaming mask.
 */
static int vcm_direct_bind(struct vcm_assoc *assoc, struct vcm_res *res,
			   gfp_t gfp)
{
	struct device *dev = assoc->dev;
	struct vcm_phys *phys = res->phys;
	u64 mask = res->flags & VCM_RES_NATIVE ? *dev->dma_mask :
						 dev->coherent_dma_mask;
	phys_addr_t paddr;

	/*
	 * A shared reservation is the edge of streaming mappings, each of
	 * which was checked against the device's mask as it was made; the
	 * buffer may be of many chunks.  Its start is the first chunk's.
	 */
	if (res->flags & VCM_RES_SHARED) {
		res->start = phys_to_dma(dev, PFN_PHYS(phys->chunks[0].pfn));
		return 0;
	}
	/* A window maps what is physically contiguous, nothing else. */
	paddr = vcm_phys_contiguous(phys, res->offset, res->size);
	if (paddr == (phys_addr_t)-1)
		return -EINVAL;
	res->start = phys_to_dma(dev, paddr);
	if (res->start + res->size - 1 > min_not_zero(mask, dev->bus_dma_limit))
		return -ERANGE;
	return 0;
}

static void vcm_direct_unbind(struct vcm_res *res)
{
	/* Nothing is programmed for a window. */
}

/* What dma-direct can satisfy is exactly what a window can. */
static int vcm_direct_supported(struct vcm_assoc *assoc, u64 mask)
{
	return dma_direct_supported(assoc->dev, mask);
}

static u64 vcm_direct_required_mask(struct vcm_assoc *assoc)
{
	return dma_direct_get_required_mask(assoc->dev);
}

static size_t vcm_direct_max_mapping_size(struct vcm_assoc *assoc)
{
	return dma_direct_max_mapping_size(assoc->dev);
}

/* A window costs the same per mapping whatever its size. */
static size_t vcm_direct_opt_mapping_size(void)
{
	return SIZE_MAX;
}

/*
 * A window merges segments only where the pages happen to be physically
 * contiguous, so no boundary can be promised to the block layer.
 */
static unsigned long vcm_direct_merge_boundary(struct vcm_assoc *assoc)
{
	return 0;
}

const struct vcm_backend vcm_direct_backend = {
	.name			= "direct",
	.alloc_phys		= vcm_direct_alloc_phys,
	.map_phys		= vcm_direct_map_phys,
	.unmap_phys		= vcm_direct_unmap_phys,
	.map_sg			= vcm_direct_map_sg,
	.unmap_sg		= vcm_direct_unmap_sg,
	.seg_held		= vcm_direct_seg_held,
	.sync_for_cpu		= vcm_direct_sync_for_cpu,
	.sync_for_device	= vcm_direct_sync_for_device,
	.map_resource		= vcm_direct_map_resource,
	.bind			= vcm_direct_bind,
	.unbind			= vcm_direct_unbind,
	.supported		= vcm_direct_supported,
	.required_mask		= vcm_direct_required_mask,
	.max_mapping_size	= vcm_direct_max_mapping_size,
	.opt_mapping_size	= vcm_direct_opt_mapping_size,
	.merge_boundary		= vcm_direct_merge_boundary,
};
