// SPDX-License-Identifier: GPL-2.0
/*
 * ALSA's shape: a helper allocates pages and, when its flag says so,
 * makes them write-combining; its caller maps them.  The calls with the
 * flag set and mapped right after are converted; the helper stays for its
 * other callers, and a call whose flag is a variable is left alone.  A
 * sync of another buffer with the same handle but another direction does
 * not stop the conversion.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/set_memory.h>

struct buf {
	struct device *dev;
	enum dma_data_direction dir;
	dma_addr_t addr;
	void *area;
	size_t bytes;
};

static void *get_pages(size_t size, bool wc)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	void *p = alloc_pages_exact(size, gfp);

	if (!p)
		return NULL;
#ifdef CONFIG_X86
	if (wc)
		set_memory_wc((unsigned long)p, size >> PAGE_SHIFT);
#endif
	return p;
}

static void put_pages(void *p, size_t size, bool wc)
{
#ifdef CONFIG_X86
	if (wc)
		set_memory_wb((unsigned long)p, size >> PAGE_SHIFT);
#endif
	free_pages_exact(p, size);
}

static void *buf_wc_alloc(struct buf *b, size_t size)
{
	void *p = get_pages(size, true);

	if (!p)
		return NULL;
	b->addr = dma_map_single(b->dev, p, size, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(b->dev, b->addr)) {
		put_pages(p, size, true);
		return NULL;
	}
	return p;
}

static void buf_wc_free(struct buf *b)
{
	dma_unmap_single(b->dev, b->addr, b->bytes, DMA_BIDIRECTIONAL);
	put_pages(b->area, b->bytes, true);
}

static int buf_wc_mmap(struct buf *b, struct vm_area_struct *vma)
{
	vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	return dma_mmap_coherent(b->dev, vma, b->area, b->addr, b->bytes);
}

static void *buf_any_alloc(struct buf *b, size_t size, bool wc)
{
	return get_pages(size, wc);
}

static void buf_noncoherent_sync(struct buf *b)
{
	dma_sync_single_for_device(b->dev, b->addr, b->bytes, b->dir);
}
