// SPDX-License-Identifier: GPL-2.0
/*
 * A write-combining buffer made by hand whose streaming mapping the driver
 * syncs: a buffer of dma_alloc_wc() must not be synced, so the script
 * leaves the file alone and says why.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/set_memory.h>

static void *fifo_alloc(struct device *dev, size_t size, dma_addr_t *addr)
{
	void *p;

	p = alloc_pages_exact(size, GFP_KERNEL);
	if (!p)
		return NULL;
	set_memory_wc((unsigned long)p, PFN_UP(size));
	*addr = dma_map_single(dev, p, size, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, *addr)) {
		set_memory_wb((unsigned long)p, PFN_UP(size));
		free_pages_exact(p, size);
		return NULL;
	}
	return p;
}

static void fifo_kick(struct device *dev, dma_addr_t addr, size_t len)
{
	dma_sync_single_for_device(dev, addr, len, DMA_TO_DEVICE);
}
