// SPDX-License-Identifier: GPL-2.0
/* A driver's write-combining ring, made by hand: converted. */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/set_memory.h>

struct ring {
	struct device *dev;
	void *cpu;
	dma_addr_t addr;
	size_t bytes;
};

static int ring_alloc(struct ring *r, size_t size)
{
	void *p;

	p = alloc_pages_exact(size, GFP_KERNEL | __GFP_NOWARN);
	if (!p)
		return -ENOMEM;
	set_memory_wc((unsigned long)p, size >> PAGE_SHIFT);
	r->addr = dma_map_single(r->dev, p, size, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(r->dev, r->addr)) {
		set_memory_wb((unsigned long)p, size >> PAGE_SHIFT);
		free_pages_exact(p, size);
		return -ENOMEM;
	}
	r->cpu = p;
	r->bytes = size;
	return 0;
}

static void ring_free(struct ring *r)
{
	dma_unmap_single(r->dev, r->addr, r->bytes, DMA_BIDIRECTIONAL);
	set_memory_wb((unsigned long)r->cpu, r->bytes >> PAGE_SHIFT);
	free_pages_exact(r->cpu, r->bytes);
}

static int ring_mmap(struct ring *r, struct vm_area_struct *vma)
{
	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	return dma_mmap_coherent(r->dev, vma, r->cpu, r->addr, r->bytes);
}
