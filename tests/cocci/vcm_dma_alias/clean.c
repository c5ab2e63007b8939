// SPDX-License-Identifier: GPL-2.0
/*
 * What is not a second mapping with a type of its own, and must not be
 * reported: the DMA API's own user mapping, a cacheable vmap of
 * dma_alloc_pages() memory, and set_memory_wc() on memory that is not a
 * DMA buffer.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/set_memory.h>
#include <linux/vmalloc.h>

static int api_mmap(struct device *dev, struct vm_area_struct *vma,
		    size_t size, dma_addr_t *h)
{
	void *cpu = dma_alloc_wc(dev, size, h, GFP_KERNEL);

	if (!cpu)
		return -ENOMEM;
	return dma_mmap_wc(dev, vma, cpu, *h, size);
}

static void *pages_vmapped(struct device *dev, size_t size, dma_addr_t *h)
{
	struct page *page;

	page = dma_alloc_pages(dev, size, h, DMA_TO_DEVICE, GFP_KERNEL);
	if (!page)
		return NULL;
	return vmap(&page, 1, VM_MAP, PAGE_KERNEL);
}

static void *not_dma(size_t size)
{
	void *p = alloc_pages_exact(size, GFP_KERNEL);

	if (p)
		set_memory_wc((unsigned long)p, size >> PAGE_SHIFT);
	return p;
}
