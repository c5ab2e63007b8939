// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the DMA segments of scatterlists.
 *
 * The helpers every backend's map_sg uses to lay out DMA segments in
 * place -- merging what the device's segment limits allow, keeping
 * peer-to-peer memory at its PCI bus address apart -- and that the records
 * and the unmap paths use to find them again.  They own no state and take
 * no lock: a list is its caller's while it is being mapped or unmapped.
 * The two the map loops call for every entry, vcm_sg_can_extend() and
 * vcm_sg_emit(), are inline in vcm.h.
 */

#include <linux/dma-map-ops.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include "vcm.h"

/**
 * vcm_sg_dma_span() - where the mapped DMA segments of a list lie
 * @sgl: the list
 * @count: its DMA segments
 * @first: set to the device address of the first segment
 * @end: set to the end of the last segment
 *
 * Segments of peer-to-peer memory at its PCI bus address were not mapped
 * by VCM and lie outside its address space: they are passed over.  A list
 * of nothing else gets @first == @end.
 */
void vcm_sg_dma_span(struct scatterlist *sgl, int count, dma_addr_t *first,
		     dma_addr_t *end)
{
	struct scatterlist *s;
	bool seen = false;
	int i;

	*first = 0;
	*end = 0;
	for_each_sg(sgl, s, count, i) {
		if (sg_dma_is_bus_address(s))
			continue;
		if (!seen)
			*first = sg_dma_address(s);
		seen = true;
		*end = sg_dma_address(s) + sg_dma_len(s);
	}
}

/*
 * Peer-to-peer DMA (CONFIG_PCI_P2PDMA) to the BAR memory of another PCI
 * device is decided per list entry by pci_p2pdma_map_segment(), the
 * kernel's helper for dma-direct and dma-iommu, from where the two devices
 * sit in the PCI hierarchy:
 *  - PCI_P2PDMA_MAP_BUS_ADDR: the transaction is routed by a switch or
 *    bridge below the host bridge and never reaches the IOMMU or the CPU's
 *    address space.  The entry is mapped at its PCI bus address, set and
 *    marked (sg_dma_mark_bus_address()) by the helper, and becomes a DMA
 *    segment of its own: nothing is merged with it, no IOVA is spent on it,
 *    unmap passes over it and clears the mark.
 *  - PCI_P2PDMA_MAP_THRU_HOST_BRIDGE: the transaction goes up to the host
 *    bridge like any DMA, so the entry is mapped as any other memory, at
 *    its CPU physical address (through the IOMMU if there is one).
 *  - anything else: the device cannot reach that memory, and the list
 *    fails with -EREMOTEIO, as it does with dma-direct and dma-iommu.
 * The BAR memory is never one of VCM's buffers (vcm_index_may_hold()), so
 * such a list never goes through a shared buffer.  As with dma-direct and
 * dma-iommu, map_page, which cannot say that an address is a bus address,
 * maps a P2PDMA page as any other memory; the one-to-one backend refuses
 * to bounce one (vcm_direct_map_phys()).
 */

/**
 * vcm_sg_p2pdma() - how a list entry of peer-to-peer memory is mapped
 * @state: the list's P2PDMA state, zeroed before its first entry
 * @dev: the device that will do the DMA
 * @s: the entry, whose page is a P2PDMA page (is_pci_p2pdma_page())
 *
 * Return: 1 if @s is mapped at its PCI bus address (its DMA fields are set
 * and marked), 0 if it is to be mapped as any other memory, -EREMOTEIO if
 * @dev cannot reach it.
 */
int vcm_sg_p2pdma(struct pci_p2pdma_map_state *state, struct device *dev,
		  struct scatterlist *s)
{
	switch (pci_p2pdma_map_segment(state, dev, s)) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return 1;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return 0;
	default:
		return -EREMOTEIO;
	}
}

/**
 * vcm_sg_emit_bus() - add an entry mapped at its PCI bus address
 * @assoc: the device, for its counter of such segments
 * @sgl: the list, whose DMA fields are written in place (see vcm_sg_emit())
 * @out: the last DMA segment so far, NULL before the first; updated
 * @s: the entry, as vcm_sg_p2pdma() left it
 *
 * The entry becomes a DMA segment of its own, which carries the bus
 * address mark; @s loses it if that segment is another entry.
 *
 * Return: 1, the DMA segments added.
 */
int vcm_sg_emit_bus(struct vcm_assoc *assoc, struct scatterlist *sgl,
		    struct scatterlist **out, struct scatterlist *s)
{
	dma_addr_t addr = sg_dma_address(s);
	unsigned int len = sg_dma_len(s);

	*out = *out ? sg_next(*out) : sgl;
	if (*out != s)
		sg_dma_unmark_bus_address(s);
	sg_dma_address(*out) = addr;
	sg_dma_len(*out) = len;
	sg_dma_mark_bus_address(*out);
	vcm_stat_inc(assoc, VCM_STAT_P2P_BUS);
	return 1;
}

/**
 * vcm_sg_unmark_bus() - clear the bus address marks of a list's entries
 * @sgl: the list, whose mapping failed or is undone
 * @nents: entries to clear
 */
void vcm_sg_unmark_bus(struct scatterlist *sgl, int nents)
{
	struct scatterlist *s;
	int i;

	if (!IS_ENABLED(CONFIG_PCI_P2PDMA))
		return;
	for_each_sg(sgl, s, nents, i)
		sg_dma_unmark_bus_address(s);
}

/**
 * vcm_sg_end() - mark the end of the DMA segments of a mapped list
 * @out: the last DMA segment
 * @count: DMA segments
 * @nents: entries of the list
 *
 * The entry after the last segment gets a zero DMA length: sync_sg and
 * unmap_sg stop there, with or without a record of the mapping.
 */
void vcm_sg_end(struct scatterlist *out, int count, int nents)
{
	if (count < nents)
		sg_dma_len(sg_next(out)) = 0;
}
