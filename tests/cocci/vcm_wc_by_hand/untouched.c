// SPDX-License-Identifier: GPL-2.0
/*
 * What the script must leave alone, and report with its reason: an
 * uncached buffer (no DMA attribute asks for one), a helper that types
 * pages its callers map (ALSA's shape: the mapping is not in the function
 * that types them), a buffer typed with a size other than the one mapped,
 * and a write-combining user mapping of a buffer the file does not
 * allocate write-combining (converting it would change what it maps).
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/set_memory.h>

static void *uc_alloc(struct device *dev, size_t size, dma_addr_t *addr)
{
	void *p;

	p = alloc_pages_exact(size, GFP_KERNEL);
	if (!p)
		return NULL;
	set_memory_uc((unsigned long)p, size >> PAGE_SHIFT);
	*addr = dma_map_single(dev, p, size, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, *addr)) {
		set_memory_wb((unsigned long)p, size >> PAGE_SHIFT);
		free_pages_exact(p, size);
		return NULL;
	}
	return p;
}

static void *helper_alloc(size_t size, bool wc)
{
	void *p = alloc_pages_exact(size, GFP_KERNEL);

	if (p && wc)
		set_memory_wc((unsigned long)p, size >> PAGE_SHIFT);
	return p;
}

static void *short_alloc(struct device *dev, size_t size, dma_addr_t *addr)
{
	void *p;

	p = alloc_pages_exact(size, GFP_KERNEL);
	if (!p)
		return NULL;
	set_memory_wc((unsigned long)p, 1);
	*addr = dma_map_single(dev, p, size, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, *addr))
		return NULL;
	return p;
}

static int wb_mmap(struct device *dev, struct vm_area_struct *vma, void *cpu,
		   dma_addr_t addr, size_t size)
{
	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	return dma_mmap_coherent(dev, vma, cpu, addr, size);
}
