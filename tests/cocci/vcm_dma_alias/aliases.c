// SPDX-License-Identifier: GPL-2.0
/*
 * Second CPU mappings of DMA buffers, with a type of their own: each is
 * reported, with the line of the allocation it aliases.
 */
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/set_memory.h>
#include <linux/vmalloc.h>

static void *coherent_made_wc(struct device *dev, size_t size, dma_addr_t *h)
{
	void *cpu = dma_alloc_coherent(dev, size, h, GFP_KERNEL);

	if (!cpu)
		return NULL;
	set_memory_wc((unsigned long)cpu, size >> PAGE_SHIFT);
	return cpu;
}

static void __iomem *coherent_ioremapped(struct device *dev, size_t size,
					 dma_addr_t *h)
{
	void *cpu = dma_alloc_attrs(dev, size, h, GFP_KERNEL, 0);

	if (!cpu)
		return NULL;
	return ioremap_wc(virt_to_phys(cpu), size);
}

static void *pages_vmapped_wc(struct device *dev, size_t size, dma_addr_t *h)
{
	struct page *page;

	page = dma_alloc_pages(dev, size, h, DMA_TO_DEVICE, GFP_KERNEL);
	if (!page)
		return NULL;
	return vmap(&page, 1, VM_MAP, pgprot_writecombine(PAGE_KERNEL));
}

static int coherent_remapped_uc(struct device *dev, struct vm_area_struct *vma,
				size_t size, dma_addr_t *h)
{
	void *cpu = dma_alloc_coherent(dev, size, h, GFP_KERNEL);

	if (!cpu)
		return -ENOMEM;
	return remap_pfn_range(vma, vma->vm_start, virt_to_phys(cpu) >> PAGE_SHIFT,
			       size, pgprot_noncached(vma->vm_page_prot));
}
