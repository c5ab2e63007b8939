// SPDX-License-Identifier: GPL-2.0
/*
 * A write-combining buffer made by hand whose streaming mapping the driver
 * syncs (the same handle, in the direction it was mapped): a buffer of
 * dma_alloc_wc() must not be synced, so the script leaves the file alone
 * and says why.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/set_memory.h>

struct fifo {
	struct device *dev;
	dma_addr_t addr;
	void *cpu;
};

static int fifo_alloc(struct fifo *f, size_t size)
{
	void *p;

	p = alloc_pages_exact(size, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	set_memory_wc((unsigned long)p, PFN_UP(size));
	f->addr = dma_map_single(f->dev, p, size, DMA_TO_DEVICE);
	if (dma_mapping_error(f->dev, f->addr)) {
		set_memory_wb((unsigned long)p, PFN_UP(size));
		free_pages_exact(p, size);
		return -ENOMEM;
	}
	f->cpu = p;
	return 0;
}

static void fifo_kick(struct fifo *f, size_t len)
{
	dma_sync_single_for_device(f->dev, f->addr, len, DMA_TO_DEVICE);
}
