// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of VCM, suite "dma-vcm": the graph, the physical allocator,
 * and every dma_map_ops member of the one-to-one backend, driven through
 * the ordinary DMA API on KUnit devices attached to VCM.  The iommu kind
 * has a suite of its own, on a fake IOMMU (vcm-iommu-test.c); the helpers
 * both use are declared in vcm-test.h.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/kthread.h>
#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/swiotlb.h>
#include <linux/vmalloc.h>
#include "direct.h"
#include "vcm-test.h"

void vcm_test_release(void *data)
{
	vcm_release_device(data);
}

/* A KUnit device on VCM, released (and torn down) when the test ends. */
struct vcm_test_dev *vcm_test_device(struct kunit *test, const char *name)
{
	struct vcm_test_dev *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->dev);
	t->dev->dma_parms = &t->parms;
	t->assoc = vcm_attach_device(t->dev, VCM_ATTACH_TRACK);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->assoc);
	ret = kunit_add_action_or_reset(test, vcm_test_release, t->dev);
	KUNIT_ASSERT_EQ(test, 0, ret);
	ret = dma_set_mask_and_coherent(t->dev, DMA_BIT_MASK(64));
	KUNIT_ASSERT_EQ(test, 0, ret);
	return t;
}

long vcm_test_stat(struct vcm_test_dev *t, enum vcm_stat s)
{
	return vcm_stat_read(t->assoc, s);
}

long vcm_test_live(struct vcm_test_dev *t)
{
	return vcm_live_maps(t->assoc);
}

/* A well-behaved sequence of calls must not trip any check. */
void vcm_test_no_errors(struct kunit *test, struct vcm_test_dev *t)
{
	unsigned int i;

	for (i = VCM_NR_CALL_STATS; i < VCM_NR_STATS; i++)
		KUNIT_EXPECT_EQ_MSG(test, vcm_test_stat(t, i), 0, "%s",
				    vcm_stat_names[i]);
}

static bool vcm_test_vcm_exists(struct vcm *vcm)
{
	struct vcm *v;
	bool found = false;

	mutex_lock(&vcm_graph_lock);
	list_for_each_entry(v, &vcm_list, node)
		found |= v == vcm;
	mutex_unlock(&vcm_graph_lock);
	return found;
}

unsigned long vcm_test_nr_phys(void)
{
	struct vcm_phys *phys;
	unsigned long flags, n = 0;

	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	list_for_each_entry(phys, &vcm_phys_list, node)
		n++;
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);
	return n;
}

static unsigned long vcm_test_nr_quarantined(void)
{
	struct vcm_phys *phys;
	unsigned long flags, n = 0;

	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	list_for_each_entry(phys, &vcm_phys_list, node)
		n += !!(phys->flags & VCM_PHYS_QUARANTINED);
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);
	return n;
}

/* ---- graph ------------------------------------------------------------ */

static void vcm_test_shared_window(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-a");
	struct vcm_test_dev *b = vcm_test_device(test, "vcm-b");
	struct vcm *vcm = a->assoc->vcm;

	KUNIT_EXPECT_PTR_EQ(test, vcm, b->assoc->vcm);
	KUNIT_EXPECT_EQ(test, vcm->kind, VCM_KIND_ONE_TO_ONE);
	KUNIT_EXPECT_GE(test, kref_read(&vcm->kref), 2);
	/* Attaching again changes nothing. */
	KUNIT_EXPECT_PTR_EQ(test, vcm_attach_device(a->dev, VCM_ATTACH_TRACK), a->assoc);
	KUNIT_EXPECT_PTR_EQ(test, get_dma_ops(a->dev), &a->assoc->ops);
	KUNIT_EXPECT_TRUE(test, dev_is_vcm(a->dev));
}

static void vcm_test_lifetime(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "vcm-life");
	struct device *other = kunit_device_register(test, "vcm-life2");
	struct vcm_assoc *assoc, *assoc2;
	struct vcm *vcm;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other);
	/* A bus window nobody else uses gets its own vcm. */
	dev->bus_dma_limit = DMA_BIT_MASK(40) - 0x1234;
	other->bus_dma_limit = dev->bus_dma_limit;
	assoc = vcm_attach_device(dev, VCM_ATTACH_TRACK);
	assoc2 = vcm_attach_device(other, VCM_ATTACH_TRACK);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, assoc);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, assoc2);
	vcm = assoc->vcm;
	KUNIT_EXPECT_PTR_EQ(test, vcm, assoc2->vcm);
	KUNIT_EXPECT_EQ(test, kref_read(&vcm->kref), 2);

	vcm_detach_device(dev);
	KUNIT_EXPECT_EQ(test, assoc->state, VCM_ASSOC_IDLE);
	KUNIT_EXPECT_NULL(test, get_dma_ops(dev));
	KUNIT_EXPECT_EQ(test, kref_read(&vcm->kref), 1);
	/* Rebinding reuses the association. */
	KUNIT_EXPECT_PTR_EQ(test, vcm_attach_device(dev, VCM_ATTACH_TRACK), assoc);
	vcm_release_device(dev);
	vcm_release_device(other);
	KUNIT_EXPECT_FALSE(test, vcm_test_vcm_exists(vcm));
}

/* The reason VCM keeps for a declined @dev, or NULL. */
static const char *vcm_test_declined_why(struct device *dev)
{
	struct vcm_declined *d;
	const char *why = NULL;

	mutex_lock(&vcm_graph_lock);
	list_for_each_entry(d, &vcm_declined_list, node)
		if (d->dev == dev)
			why = d->why;
	mutex_unlock(&vcm_graph_lock);
	return why;
}

static bool vcm_test_has_assoc(struct device *dev)
{
	bool found;

	mutex_lock(&vcm_graph_lock);
	found = vcm_assoc_find(dev);
	mutex_unlock(&vcm_graph_lock);
	return found;
}

/* A declined device keeps its ops and costs a reason, not an assoc. */
static void vcm_test_declined(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "vcm-declined");
	struct vcm_assoc *assoc;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	set_dma_ops(dev, &dma_dummy_ops);

	KUNIT_EXPECT_NULL(test, vcm_attach_device(dev, VCM_ATTACH_TRACK));
	KUNIT_EXPECT_PTR_EQ(test, get_dma_ops(dev), &dma_dummy_ops);
	KUNIT_EXPECT_FALSE(test, dev_is_vcm(dev));
	KUNIT_EXPECT_FALSE(test, vcm_test_has_assoc(dev));
	KUNIT_EXPECT_STREQ(test, vcm_test_declined_why(dev),
			   "has its own dma_map_ops");
	/* Asked again, still one record. */
	KUNIT_EXPECT_NULL(test, vcm_attach_device(dev, 0));
	KUNIT_EXPECT_FALSE(test, vcm_test_has_assoc(dev));

	/*
	 * Served once its own ops are gone: the record goes.  Its mappings
	 * are not recorded, so it has no table for them.
	 */
	set_dma_ops(dev, NULL);
	assoc = vcm_attach_device(dev, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, assoc);
	KUNIT_EXPECT_NULL(test, assoc->table);
	KUNIT_EXPECT_NULL(test, vcm_test_declined_why(dev));
	vcm_release_device(dev);
	KUNIT_EXPECT_FALSE(test, vcm_test_has_assoc(dev));

	/* A release forgets a declined device too. */
	set_dma_ops(dev, &dma_dummy_ops);
	KUNIT_EXPECT_NULL(test, vcm_attach_device(dev, 0));
	KUNIT_EXPECT_NOT_NULL(test, vcm_test_declined_why(dev));
	vcm_release_device(dev);
	KUNIT_EXPECT_NULL(test, vcm_test_declined_why(dev));
	set_dma_ops(dev, NULL);
}

/* ---- coherent allocations -------------------------------------------- */

static void vcm_test_alloc_free(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-alloc");
	unsigned long before = vcm_test_nr_phys();
	size_t size = 3 * PAGE_SIZE + 100;
	dma_addr_t handle;
	u8 *cpu;
	size_t i;

	cpu = dma_alloc_coherent(t->dev, size, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, handle, phys_to_dma(t->dev, virt_to_phys(cpu)));
	for (i = 0; i < size; i++)
		if (cpu[i])
			break;
	KUNIT_EXPECT_EQ_MSG(test, i, size, "buffer not zeroed");
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	memset(cpu, 0xa5, size);
	dma_free_coherent(t->dev, size, cpu, handle);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_ALLOC), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_FREE), 1);
	vcm_test_no_errors(test, t);
}

static void vcm_test_alloc_attrs(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-attrs");
	dma_addr_t handle;
	struct page *page;
	void *cookie, *cpu;

	cookie = dma_alloc_attrs(t->dev, PAGE_SIZE, &handle, GFP_KERNEL,
				 DMA_ATTR_NO_KERNEL_MAPPING);
	KUNIT_ASSERT_NOT_NULL(test, cookie);
	page = cookie;
	KUNIT_EXPECT_EQ(test, handle, phys_to_dma(t->dev, page_to_phys(page)));
	dma_free_attrs(t->dev, PAGE_SIZE, cookie, handle,
		       DMA_ATTR_NO_KERNEL_MAPPING);

	/* Atomic allocations work, and FORCE_CONTIGUOUS is what we do. */
	cpu = dma_alloc_attrs(t->dev, 4 * PAGE_SIZE, &handle, GFP_ATOMIC,
			      DMA_ATTR_FORCE_CONTIGUOUS);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, handle, phys_to_dma(t->dev, virt_to_phys(cpu)));
	dma_free_attrs(t->dev, 4 * PAGE_SIZE, cpu, handle,
		       DMA_ATTR_FORCE_CONTIGUOUS);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 0);
}

static void vcm_test_alloc_mask(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-mask");
	dma_addr_t handle;
	void *cpu;

	if (!IS_ENABLED(CONFIG_ZONE_DMA))
		kunit_skip(test, "no ZONE_DMA");
	KUNIT_ASSERT_EQ(test, 0, dma_set_coherent_mask(t->dev,
						       DMA_BIT_MASK(24)));
	cpu = dma_alloc_coherent(t->dev, 2 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_LE(test, handle + 2 * PAGE_SIZE - 1, DMA_BIT_MASK(24));
	dma_free_coherent(t->dev, 2 * PAGE_SIZE, cpu, handle);
}

static void vcm_test_alloc_failure(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-allocfail");
	unsigned long before = vcm_test_nr_phys();
	dma_addr_t handle;
	void *cpu;

	/* More than the buddy allocator can ever give in one piece. */
	cpu = dma_alloc_coherent(t->dev, (size_t)SZ_1G * 4, &handle,
				 GFP_KERNEL | __GFP_NOWARN);
	KUNIT_EXPECT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_ALLOC_FAILED), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
}

static void vcm_test_alloc_pages(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-pages");
	dma_addr_t handle;
	struct page *page;

	page = dma_alloc_pages(t->dev, 2 * PAGE_SIZE, &handle,
			       DMA_BIDIRECTIONAL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, handle, phys_to_dma(t->dev, page_to_phys(page)));
	dma_free_pages(t->dev, 2 * PAGE_SIZE, page, handle, DMA_BIDIRECTIONAL);
	/* Twice is once too many. */
	dma_free_pages(t->dev, 2 * PAGE_SIZE, page, handle, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 1);
}

static void vcm_test_free_bad_input(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-badfree");
	unsigned long before = vcm_test_nr_phys();
	dma_addr_t handle;
	void *cpu;

	cpu = dma_alloc_coherent(t->dev, PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	/* A CPU address that is not this buffer's: refused, nothing freed. */
	dma_free_coherent(t->dev, PAGE_SIZE, cpu + PAGE_SIZE, handle);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_OWNER_MISMATCH), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	/* A wrong size: reported, freed as allocated. */
	dma_free_coherent(t->dev, 3 * PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_SIZE_MISMATCH), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	/* Double free. */
	dma_free_coherent(t->dev, PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
}

/* ---- streaming mappings ---------------------------------------------- */

static void vcm_test_map_page(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-map");
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr, addr2;

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = dma_map_page(t->dev, page, 16, 100, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, addr,
			phys_to_dma(t->dev, page_to_phys(page) + 16));
	/* The same bytes mapped twice are two mappings. */
	addr2 = dma_map_page(t->dev, page, 16, 100, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, addr2, addr);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 2);
	dma_sync_single_for_cpu(t->dev, addr, 100, DMA_TO_DEVICE);
	dma_sync_single_for_device(t->dev, addr, 100, DMA_TO_DEVICE);
	dma_unmap_page(t->dev, addr, 100, DMA_TO_DEVICE);
	dma_unmap_page(t->dev, addr2, 100, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	KUNIT_EXPECT_EQ(test, vcm_live_bytes(t->assoc), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_MAP_PAGE), 2);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_UNMAP_PAGE), 2);
	__free_page(page);
	vcm_test_no_errors(test, t);
}

static void vcm_test_unmap_bad_input(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-badunmap");
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	/* Never mapped. */
	dma_unmap_page(t->dev, 0x1000, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 1);

	/* Wrong size and direction: reported, and unmapped all the same. */
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	dma_unmap_page(t->dev, addr, 64, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_SIZE_MISMATCH), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_DIR_MISMATCH), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);

	/* Double unmap. */
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 2);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	__free_page(page);
}

/*
 * @n pages above @dev's swiotlb pool, in @pages, and a bus limit that puts
 * them out of the device's reach while the pool stays within it: what a
 * limited device must bounce.  The KUnit boot turns swiotlb on (iommu=soft);
 * the pool sits near the top of low memory, below the CMA area, which is
 * where the pages come from.  Given back with vcm_test_put_cma_pages().
 */
static u64 vcm_test_pages_above_swiotlb(struct kunit *test,
					struct device *dev,
					struct page **pages, unsigned int n)
{
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;
	unsigned int i;

	KUNIT_ASSERT_TRUE_MSG(test, is_swiotlb_active(dev),
			      "swiotlb is off: boot with iommu=soft");
	for (i = 0; i < n; i++) {
		pages[i] = dma_alloc_from_contiguous(dev, 1, 0, true);
		if (!pages[i] || page_to_phys(pages[i]) < mem->defpool.end) {
			if (pages[i])
				dma_release_from_contiguous(dev, pages[i], 1);
			while (i)
				dma_release_from_contiguous(dev, pages[--i], 1);
			KUNIT_FAIL_AND_ABORT(test, "no CMA page above swiotlb's pool at %pa",
					     &mem->defpool.end);
		}
	}
	return mem->defpool.end - 1;
}

static void vcm_test_put_cma_pages(struct device *dev, struct page **pages,
				   unsigned int n)
{
	while (n)
		dma_release_from_contiguous(dev, pages[--n], 1);
}

/*
 * A page the device cannot reach is bounced through swiotlb, below its
 * limit; where swiotlb cannot reach below the limit either, the mapping
 * fails, counted.
 */
static void vcm_test_map_beyond_mask(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-beyond");
	struct page *page;
	dma_addr_t addr;
	u64 limit;

	limit = vcm_test_pages_above_swiotlb(test, t->dev, &page, 1);
	t->dev->bus_dma_limit = limit;
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_FALSE(test, dma_mapping_error(t->dev, addr));
	if (!dma_mapping_error(t->dev, addr)) {
		KUNIT_EXPECT_LE(test, addr + PAGE_SIZE - 1, limit);
		KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_BOUNCED), 1);
		KUNIT_EXPECT_EQ(test, vcm_test_live(t), 1);
		dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	}
	/* 24 bits: the page, and the pool, are out of reach. */
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(24)));
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_MAP_FAILED), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	vcm_test_put_cma_pages(t->dev, &page, 1);
}

/* What the device sees of a bounced mapping: its bounce slot. */
static u8 *vcm_test_bounce_view(struct device *dev, dma_addr_t addr)
{
	return phys_to_virt(dma_to_phys(dev, addr));
}

/*
 * Every x86 device is coherent, so a sync that goes the wrong way, or to
 * the wrong offset, is invisible -- except through a bounce slot, which
 * the syncs copy to and from.  A device limited below the pages bounces
 * them all: the single and the sg syncs, each direction, a range at an
 * offset inside the mapping, and the unmap's copy back, must each move
 * exactly the bytes they name, and only those.
 */
static void vcm_test_sync_bounced(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sync");
	struct device *dev = t->dev;
	struct page *pages[2];
	struct scatterlist sgl[2];
	dma_addr_t addr;
	u8 *cpu, *bounce;
	u64 limit;

	limit = vcm_test_pages_above_swiotlb(test, dev, pages, 2);
	dev->bus_dma_limit = limit;
	/* A limited device gets swiotlb's largest mapping. */
	KUNIT_EXPECT_EQ(test, dma_max_mapping_size(dev),
			swiotlb_max_mapping_size(dev));
	KUNIT_EXPECT_EQ(test, dma_get_required_mask(dev),
			dma_direct_get_required_mask(dev));

	cpu = page_address(pages[0]);
	memset(cpu, 0x11, PAGE_SIZE);
	addr = dma_map_page(dev, pages[0], 0, PAGE_SIZE, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, addr));
	KUNIT_ASSERT_LE(test, addr + PAGE_SIZE - 1, limit);
	bounce = vcm_test_bounce_view(dev, addr);
	/* The map copied the CPU's bytes out. */
	KUNIT_EXPECT_EQ(test, bounce[0], 0x11);
	KUNIT_EXPECT_EQ(test, bounce[PAGE_SIZE - 1], 0x11);

	/* The device writes; for_cpu of bytes 100..199 brings just those. */
	memset(bounce, 0x22, PAGE_SIZE);
	dma_sync_single_range_for_cpu(dev, addr, 100, 100, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, cpu[99], 0x11);
	KUNIT_EXPECT_EQ(test, cpu[100], 0x22);
	KUNIT_EXPECT_EQ(test, cpu[199], 0x22);
	KUNIT_EXPECT_EQ(test, cpu[200], 0x11);
	/* The CPU writes; for_device of bytes 300..399 sends just those. */
	memset(cpu, 0x33, PAGE_SIZE);
	dma_sync_single_range_for_device(dev, addr, 300, 100,
					 DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, bounce[299], 0x22);
	KUNIT_EXPECT_EQ(test, bounce[300], 0x33);
	KUNIT_EXPECT_EQ(test, bounce[399], 0x33);
	KUNIT_EXPECT_EQ(test, bounce[400], 0x22);
	/* A to-device sync for the CPU brings nothing back. */
	dma_sync_single_for_cpu(dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, cpu[0], 0x33);
	/* The unmap copies the device's bytes back. */
	memset(bounce, 0x44, PAGE_SIZE);
	dma_unmap_page(dev, addr, PAGE_SIZE, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, cpu[0], 0x44);
	KUNIT_EXPECT_EQ(test, cpu[PAGE_SIZE - 1], 0x44);

	/* The same through a list of two entries, the second at an offset. */
	memset(page_address(pages[1]), 0x55, PAGE_SIZE);
	sg_init_table(sgl, 2);
	sg_set_page(&sgl[0], pages[0], PAGE_SIZE, 0);
	sg_set_page(&sgl[1], pages[1], 512, 1024);
	KUNIT_ASSERT_EQ(test, dma_map_sg(dev, sgl, 2, DMA_BIDIRECTIONAL), 2);
	bounce = vcm_test_bounce_view(dev, sg_dma_address(&sgl[1]));
	memset(bounce, 0x66, 512);
	dma_sync_sg_for_cpu(dev, sgl, 2, DMA_BIDIRECTIONAL);
	cpu = page_address(pages[1]);
	KUNIT_EXPECT_EQ(test, cpu[1023], 0x55);
	KUNIT_EXPECT_EQ(test, cpu[1024], 0x66);
	KUNIT_EXPECT_EQ(test, cpu[1535], 0x66);
	KUNIT_EXPECT_EQ(test, cpu[1536], 0x55);
	memset(cpu + 1024, 0x77, 512);
	dma_sync_sg_for_device(dev, sgl, 2, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, bounce[0], 0x77);
	memset(bounce, 0x88, 512);
	dma_unmap_sg(dev, sgl, 2, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, cpu[1024], 0x88);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_BOUNCED), 3);
	vcm_test_no_errors(test, t);
	vcm_test_put_cma_pages(dev, pages, 2);
}

#ifdef CONFIG_DMA_VCM_HEAP
/* Every byte of @len at @p is @c. */
static bool vcm_test_all(const u8 *p, size_t len, u8 c)
{
	return !memchr_inv(p, c, len);
}

/* @c into, or (@check) checked in, every bounce slot of @sgt. */
static bool vcm_test_slots(struct device *dev, struct sg_table *sgt, u8 c,
			   bool check)
{
	struct scatterlist *s;
	bool ok = true;
	int i;

	for_each_sgtable_dma_sg(sgt, s, i) {
		u8 *slot = vcm_test_bounce_view(dev, sg_dma_address(s));

		if (check)
			ok &= vcm_test_all(slot, sg_dma_len(s), c);
		else
			memset(slot, c, sg_dma_len(s));
	}
	return ok;
}

/* A device's own io_tlb_mem over its pool, bouncing every mapping. */
struct vcm_test_forced_swiotlb {
	struct io_tlb_mem mem;
	struct io_tlb_mem *orig;
	struct device *dev;
};

static void vcm_test_unforce_swiotlb(void *data)
{
	struct vcm_test_forced_swiotlb *f = data;

	f->dev->dma_io_tlb_mem = f->orig;
}

static void vcm_test_force_swiotlb(struct kunit *test, struct device *dev)
{
	struct vcm_test_forced_swiotlb *f = kunit_kzalloc(test, sizeof(*f),
							  GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_TRUE_MSG(test, is_swiotlb_active(dev),
			      "swiotlb is off: boot with iommu=soft");
	/* A copy of the pool's io_tlb_mem cannot follow growing pools. */
	KUNIT_ASSERT_FALSE(test, IS_ENABLED(CONFIG_SWIOTLB_DYNAMIC));
	f->orig = dev->dma_io_tlb_mem;
	f->dev = dev;
	f->mem = *f->orig;
	f->mem.force_bounce = true;
	dev->dma_io_tlb_mem = &f->mem;
	ret = kunit_add_action_or_reset(test, vcm_test_unforce_swiotlb, f);
	KUNIT_ASSERT_EQ(test, 0, ret);
}

/*
 * One CPU access bracket of @dir on @dmabuf, whose vmap @cpu holds @was in
 * every byte: the device writes 0x44 into its bounce slots first, and the
 * CPU writes 0x55 inside the bracket.  What each side then holds shows
 * which way each end of the bracket synced.
 */
static void vcm_test_bracket(struct kunit *test, struct dma_buf *dmabuf,
			     struct device *dev, struct sg_table *sgt,
			     u8 *cpu, size_t len, enum dma_data_direction dir,
			     u8 was)
{
	bool in = dir == DMA_FROM_DEVICE, out = dir == DMA_TO_DEVICE;

	vcm_test_slots(dev, sgt, 0x44, false);
	KUNIT_EXPECT_EQ(test, 0, dma_buf_begin_cpu_access(dmabuf, dir));
	KUNIT_EXPECT_TRUE_MSG(test, vcm_test_all(cpu, len, in ? 0x44 : was),
			      "begin_cpu_access(%d)", dir);
	memset(cpu, 0x55, len);
	KUNIT_EXPECT_EQ(test, 0, dma_buf_end_cpu_access(dmabuf, dir));
	KUNIT_EXPECT_TRUE_MSG(test, vcm_test_slots(dev, sgt, out ? 0x55 : 0x44,
						   true),
			      "end_cpu_access(%d)", dir);
}

/*
 * The heap's CPU access bracket syncs every mapped importer, each way as
 * the bracket says.  An importer whose swiotlb forces bouncing -- its own
 * io_tlb_mem over the default pool, as a restricted DMA pool gives a
 * device -- makes the syncs visible: begin_cpu_access(FROM_DEVICE) brings
 * the device's bytes in, end_cpu_access(TO_DEVICE) sends the CPU's out,
 * and a bracket in the other direction moves nothing.  Every chunk of a
 * buffer of several (a 64 KiB chunk and single pages) is checked.
 */
static void vcm_test_heap_cpu_access(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-heap");
	unsigned long phys_before = vcm_test_nr_phys();
	size_t len = SZ_64K + 3 * PAGE_SIZE;
	struct dma_buf_attachment *att;
	struct device *dev = t->dev;
	struct iosys_map map;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	u8 *cpu;

	vcm_test_force_swiotlb(test, dev);

	dmabuf = vcm_heap_export("vcm-test", len, O_RDWR, VCM_MT_WB, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	att = dma_buf_attach(dmabuf, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, att);
	sgt = dma_buf_map_attachment_unlocked(att, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_ASSERT_EQ(test, 0, dma_buf_vmap_unlocked(dmabuf, &map));
	cpu = map.vaddr;
	/* Bounced, not mapped through the buffer; the map copied zeroes. */
	KUNIT_EXPECT_GT(test, sgt->orig_nents, 1);
	KUNIT_EXPECT_GT(test, vcm_test_stat(t, VCM_STAT_BOUNCED), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_SHARED), 0);
	KUNIT_EXPECT_TRUE(test, vcm_test_slots(dev, sgt, 0, true));

	/* A bracket for writing brings nothing in and sends the CPU's out. */
	vcm_test_bracket(test, dmabuf, dev, sgt, cpu, len, DMA_TO_DEVICE, 0);
	/* A bracket for reading brings the device's in and sends nothing. */
	vcm_test_bracket(test, dmabuf, dev, sgt, cpu, len, DMA_FROM_DEVICE,
			 0x55);

	dma_buf_vunmap_unlocked(dmabuf, &map);
	dma_buf_unmap_attachment_unlocked(att, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, att);
	/* The release runs from the file's last fput(), deferred here. */
	dma_buf_put(dmabuf);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), phys_before);
	vcm_test_no_errors(test, t);
}

/*
 * The typed heaps' buffers: write-combining (PWT) and uncached-minus
 * (PCD) in the exporter's vmap and the linear alias, the vmap and an
 * importer counted as mappers, the CPU access bracket harmless; the
 * release makes the linear alias write-back and empties the index.
 */
static void vcm_test_heap_typed(struct kunit *test)
{
	static const struct { enum vcm_mt mt; int cache; } types[] = {
		{ VCM_MT_WC, 1 }, { VCM_MT_UC, 2 },
	};
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-heap-typed");
	struct dma_buf_attachment *att;
	struct iosys_map map;
	struct dma_buf *dmabuf;
	struct sg_table *sgt;
	struct page *page;
	phys_addr_t pa;
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		dmabuf = vcm_heap_export("vcm-test", SZ_64K, O_RDWR,
					 types[i].mt, 0);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
		KUNIT_ASSERT_EQ(test, 0, dma_buf_vmap_unlocked(dmabuf, &map));
		page = vmalloc_to_page(map.vaddr);
		pa = page_to_phys(page);
		KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(map.vaddr),
				types[i].cache);
		KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page)),
				types[i].cache);
		KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
							  VCM_MAPPER_VMAP), 1);
		att = dma_buf_attach(dmabuf, t->dev);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, att);
		sgt = dma_buf_map_attachment_unlocked(att, DMA_BIDIRECTIONAL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
		KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
							  VCM_MAPPER_DEVICE), 1);
		ret = dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
		KUNIT_EXPECT_EQ(test, ret, 0);
		memset(map.vaddr, 0x3c, SZ_64K);
		ret = dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
		KUNIT_EXPECT_EQ(test, ret, 0);
		KUNIT_EXPECT_NULL(test, memchr_inv(page_address(page), 0x3c,
						   PAGE_SIZE));
		dma_buf_unmap_attachment_unlocked(att, sgt, DMA_BIDIRECTIONAL);
		KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
							  VCM_MAPPER_DEVICE), 0);
		dma_buf_detach(dmabuf, att);
		dma_buf_vunmap_unlocked(dmabuf, &map);
		dma_buf_put(dmabuf);
		flush_delayed_fput();
		KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
							  VCM_MAPPER_LINEAR),
				-ENOENT);
		KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page)),
				0);
	}
	vcm_test_no_errors(test, t);
}

/*
 * The low zones' heaps: every page of a vcm-dma buffer in ZONE_DMA, of a
 * vcm-dma32 buffer in ZONE_DMA32 or below, zeroed; and the buffer freed.
 */
static void vcm_test_heap_zones(struct kunit *test)
{
	static const struct { gfp_t zone; enum zone_type top; } zones[] = {
		{ __GFP_DMA, ZONE_DMA }, { __GFP_DMA32, ZONE_DMA32 },
	};
	unsigned long phys_before = vcm_test_nr_phys();
	struct dma_buf *dmabuf;
	struct iosys_map map;
	unsigned int i, bad;
	size_t off;

	for (i = 0; i < ARRAY_SIZE(zones); i++) {
		dmabuf = vcm_heap_export("vcm-test", SZ_64K + PAGE_SIZE, O_RDWR,
					 VCM_MT_WB, zones[i].zone);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
		KUNIT_ASSERT_EQ(test, 0, dma_buf_vmap_unlocked(dmabuf, &map));
		bad = 0;
		for (off = 0; off < dmabuf->size; off += PAGE_SIZE)
			bad += page_zonenum(vmalloc_to_page(map.vaddr + off)) >
			       zones[i].top;
		KUNIT_EXPECT_EQ_MSG(test, bad, 0, "zone %d", zones[i].top);
		KUNIT_EXPECT_NULL(test, memchr_inv(map.vaddr, 0, dmabuf->size));
		dma_buf_vunmap_unlocked(dmabuf, &map);
		dma_buf_put(dmabuf);
	}
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), phys_before);
}

/*
 * Heap discovery's rule: a one-to-one device maps a heap's buffers without
 * bouncing only if its mask and its bus limit reach the last byte of the
 * heap's memory and nothing forces it to bounce, and sees them contiguous
 * only if they are physically contiguous; behind an IOMMU it maps every
 * heap's, contiguous.  The files exist only for devices VCM serves.
 */
static void vcm_test_heap_discovery(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-heap-reach");
	const struct vcm_heap_reach low = { "low", 0, SZ_16M - 1, false };
	const struct vcm_heap_reach high = { "high", SZ_512M, SZ_1G - 1 };
	const struct vcm_heap_reach cma = { "cma", SZ_1M, SZ_2M - 1, true };
	const struct vcm_heap_reach mid = { "mid", SZ_16M, SZ_32M - 1, true };
	struct vcm_heap_reach edge = { "edge", SZ_1M, DMA_BIT_MASK(28) };
	struct device *dev = t->dev, *plain;
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, false, &high, false));
	KUNIT_EXPECT_FALSE(test, vcm_heap_maps_directly(dev, false, &high, true));
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, false, &cma, true));

	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(dev, DMA_BIT_MASK(28)));
	KUNIT_EXPECT_FALSE(test, vcm_heap_maps_directly(dev, false, &high, false));
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, false, &low, false));
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, false, &edge, false));
	edge.hi++;
	KUNIT_EXPECT_FALSE(test, vcm_heap_maps_directly(dev, false, &edge, false));
	/* The bus limit counts as the mask does. */
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, false, &mid, true));
	dev->bus_dma_limit = DMA_BIT_MASK(24);
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, false, &low, false));
	KUNIT_EXPECT_FALSE(test, vcm_heap_maps_directly(dev, false, &mid, true));
	dev->bus_dma_limit = 0;
	/* Behind an IOMMU the mask limits IOVA, not memory. */
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, true, &high, true));

	/* The listing of a served device is a line, possibly empty. */
	KUNIT_EXPECT_GT(test, vcm_heap_list(dev, false, buf), 0);
	KUNIT_EXPECT_EQ(test, buf[strlen(buf) - 1], '\n');
	vcm_test_force_swiotlb(test, dev);
	KUNIT_EXPECT_FALSE(test, vcm_heap_maps_directly(dev, false, &low, false));
	KUNIT_EXPECT_TRUE(test, vcm_heap_maps_directly(dev, true, &low, false));
	KUNIT_EXPECT_EQ(test, vcm_heap_list(dev, false, buf), 1);

	plain = kunit_device_register(test, "vcm-heap-plain");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, plain);
	KUNIT_EXPECT_EQ(test, vcm_heap_list(plain, false, buf), -ENODEV);
	vcm_test_no_errors(test, t);
}

/**
 * vcm_test_heap_release() - detach a heap buffer's importers and drop it
 * @test: the test
 * @dmabuf: the buffer, from vcm_heap_export()
 * @att: its attachments, all unmapped
 * @n: how many
 * @phys: the test's reference to the VCM buffer behind it, dropped
 * @phys_before: vcm_test_nr_phys() before the buffer was made
 *
 * Every VCM buffer made meanwhile must be gone after.
 */
void vcm_test_heap_release(struct kunit *test, struct dma_buf *dmabuf,
			   struct dma_buf_attachment **att, int n,
			   struct vcm_phys *phys, unsigned long phys_before)
{
	int i;

	for (i = 0; i < n; i++)
		dma_buf_detach(dmabuf, att[i]);
	vcm_phys_put(phys);
	/* The release runs from the file's last fput(), deferred here. */
	dma_buf_put(dmabuf);
	flush_delayed_fput();
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), phys_before);
}

/*
 * One-to-one importers of a heap buffer get its DMA segments only: its
 * chunks' bus addresses in order, split where the device's limits say
 * (b: three pages at most, nothing across 32 KiB: a 32 KiB window takes
 * 12, 12 and 8 KiB, the last cut by the boundary), and one reservation of
 * the buffer for the window, used by both.  An importer that bounces gets
 * a table of the buffer's pages, mapped the ordinary way.  A second map of
 * a mapped attachment is refused; the buffer lives until the last unmap.
 */
static void vcm_test_heap_segments_only(struct kunit *test)
{
	struct vcm_test_dev *t[3] = {
		vcm_test_device(test, "vcm-hsa"),
		vcm_test_device(test, "vcm-hsb"),
		vcm_test_device(test, "vcm-hsc"),
	};
	unsigned long phys_before = vcm_test_nr_phys();
	struct dma_buf_attachment *att[3];
	struct sg_table *sgt[3], *again;
	struct dma_buf *dmabuf;
	struct vcm_phys *phys;
	unsigned int nres;
	int i;

	t[1]->parms.max_segment_size = 3 * PAGE_SIZE;
	t[1]->parms.segment_boundary_mask = SZ_32K - 1;
	vcm_test_force_swiotlb(test, t[2]->dev);
	dmabuf = vcm_heap_export("vcm-test", SZ_64K + 3 * PAGE_SIZE, O_RDWR,
				 VCM_MT_WB, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	for (i = 0; i < 3; i++) {
		att[i] = dma_buf_attach(dmabuf, t[i]->dev);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, att[i]);
		sgt[i] = dma_buf_map_attachment_unlocked(att[i],
							 DMA_BIDIRECTIONAL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt[i]);
	}
	phys = vcm_phys_from_dma(t[0]->dev, sg_dma_address(sgt[0]->sgl));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_GT(test, vcm_phys_nr_chunks(phys), 1);
	vcm_test_check_segments(test, t[0]->dev, NULL, sgt[0], phys);
	vcm_test_check_segments(test, t[1]->dev, NULL, sgt[1], phys);
	/* The 64 KiB chunk alone takes six of b's segments. */
	KUNIT_EXPECT_GE(test, sgt[1]->nents, 6);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, t[0]->assoc->vcm,
						   &nres), 2);
	KUNIT_EXPECT_EQ(test, nres, 1);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t[0], VCM_STAT_SHARED), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t[1], VCM_STAT_SHARED), 1);
	KUNIT_EXPECT_NOT_NULL(test, vcm_test_sg_page(sgt[2]->sgl));
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t[2], VCM_STAT_SHARED), 0);
	KUNIT_EXPECT_GT(test, vcm_test_stat(t[2], VCM_STAT_BOUNCED), 0);
	/* The exporter's sync, done by an importer: by DMA address. */
	dma_sync_sgtable_for_cpu(t[1]->dev, sgt[1], DMA_BIDIRECTIONAL);
	dma_sync_sgtable_for_device(t[1]->dev, sgt[1], DMA_BIDIRECTIONAL);
	again = dma_buf_map_attachment_unlocked(att[0], DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(again), -EBUSY);

	/* The importers unmap one by one: the reservation goes last. */
	dma_buf_unmap_attachment_unlocked(att[0], sgt[0], DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, t[0]->assoc->vcm,
						   &nres), 1);
	dma_buf_unmap_attachment_unlocked(att[1], sgt[1], DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, t[0]->assoc->vcm,
						   &nres), 0);
	KUNIT_EXPECT_EQ(test, nres, 0);
	dma_buf_unmap_attachment_unlocked(att[2], sgt[2], DMA_BIDIRECTIONAL);
	vcm_test_heap_release(test, dmabuf, att, 3, phys, phys_before);
	for (i = 0; i < 3; i++)
		vcm_test_no_errors(test, t[i]);
}
#endif

/**
 * vcm_test_sg_page() - the page of an entry of an imported table
 * @s: the entry, as the importer has it
 *
 * Return: the page the exporter put there, the scrambling of
 * CONFIG_DMABUF_DEBUG undone (see mangle_sg_table()).
 */
struct page *vcm_test_sg_page(struct scatterlist *s)
{
	unsigned long link = s->page_link;

	if (IS_ENABLED(CONFIG_DMABUF_DEBUG))
		link ^= ~0xffUL;
	return (struct page *)(link & ~SG_PAGE_LINK_MASK);
}

/**
 * vcm_test_check_segments() - check a table of DMA segments of a buffer
 * @test: the test
 * @dev: the device the table was made for
 * @domain: its IOMMU domain, or NULL for a one-to-one device
 * @sgt: the table, from the heap's map of all of @phys
 * @phys: the buffer
 *
 * The segments must give the buffer's bytes in order (one-to-one: at
 * their bus addresses; behind @domain: translating to them), with no page
 * behind any entry, none longer than the device's maximum segment or
 * across its boundary, and as few as those limits allow: two segments
 * that follow each other in device space only where a limit parted them.
 */
void vcm_test_check_segments(struct kunit *test, struct device *dev,
			     struct iommu_domain *domain, struct sg_table *sgt,
			     struct vcm_phys *phys)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	unsigned int max = dma_get_max_seg_size(dev), chunk = 0;
	size_t in_chunk = 0, total = 0, prev_len = 0;
	dma_addr_t prev_end = 0;
	struct scatterlist *s;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, sgt->nents, sgt->orig_nents);
	for_each_sgtable_dma_sg(sgt, s, i) {
		dma_addr_t addr = sg_dma_address(s);
		size_t len = sg_dma_len(s);

		KUNIT_EXPECT_NULL(test, vcm_test_sg_page(s));
		KUNIT_EXPECT_EQ(test, s->length, len);
		KUNIT_EXPECT_LE(test, len, max);
		KUNIT_EXPECT_EQ(test, addr & ~(dma_addr_t)boundary,
				(addr + len - 1) & ~(dma_addr_t)boundary);
		if (i && addr == prev_end)
			KUNIT_EXPECT_TRUE_MSG(test, prev_len == max ||
					      !(addr & boundary),
					      "segment %u could have merged", i);
		prev_end = addr + len;
		prev_len = len;
		total += len;
		while (len) {
			phys_addr_t cpa;
			size_t clen, n;

			KUNIT_ASSERT_EQ(test, 0, vcm_phys_chunk(phys, chunk,
								&cpa, &clen));
			if (domain)
				KUNIT_EXPECT_EQ(test,
						iommu_iova_to_phys(domain, addr),
						cpa + in_chunk);
			else
				KUNIT_EXPECT_EQ(test, addr,
						phys_to_dma(dev, cpa + in_chunk));
			n = min(len, clen - in_chunk);
			addr += n;
			len -= n;
			in_chunk += n;
			if (in_chunk == clen) {
				chunk++;
				in_chunk = 0;
			}
		}
	}
	KUNIT_EXPECT_EQ(test, total, vcm_phys_size(phys));
}

/* Slots of @dev's swiotlb pool in use, or -1 where nothing counts them. */
static long vcm_test_swiotlb_used(struct device *dev)
{
#ifdef CONFIG_DEBUG_FS
	return atomic_long_read(&dev->dma_io_tlb_mem->total_used);
#else
	return -1;
#endif
}

/*
 * A one-to-one list whose entries the device cannot reach is bounced, a
 * segment per entry; a driver that leaks it (and frees its table, so that
 * nothing is left to read) must not leak the bounce slots: the teardown at
 * unbind gives back every one of them, twice over.
 */
static void vcm_test_leaked_bounced_sg(struct kunit *test)
{
	static const char * const names[] = { "vcm-bleak0", "vcm-bleak1" };
	struct vcm_test_dev *first = vcm_test_device(test, "vcm-bleak");
	struct page *pages[3];
	unsigned int round, i;
	u64 limit;

	limit = vcm_test_pages_above_swiotlb(test, first->dev, pages,
					     ARRAY_SIZE(pages));
	for (round = 0; round < ARRAY_SIZE(names); round++) {
		struct vcm_test_dev *t = vcm_test_device(test, names[round]);
		struct scatterlist *sgl;
		long before, mapped;

		before = vcm_test_swiotlb_used(t->dev);
		KUNIT_ASSERT_GE_MSG(test, before, 0,
				    "swiotlb counts its slots with CONFIG_DEBUG_FS");
		t->dev->bus_dma_limit = limit;
		sgl = kmalloc_array(ARRAY_SIZE(pages), sizeof(*sgl), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, sgl);
		sg_init_table(sgl, ARRAY_SIZE(pages));
		for (i = 0; i < ARRAY_SIZE(pages); i++)
			sg_set_page(&sgl[i], pages[i], PAGE_SIZE, 0);
		KUNIT_EXPECT_EQ(test, dma_map_sg(t->dev, sgl, ARRAY_SIZE(pages),
						 DMA_FROM_DEVICE),
				ARRAY_SIZE(pages));
		KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_BOUNCED),
				ARRAY_SIZE(pages));
		mapped = vcm_test_swiotlb_used(t->dev);
		KUNIT_EXPECT_GE(test, mapped - before, ARRAY_SIZE(pages));
		/* The driver frees its table and goes: the unbind tears down. */
		kfree(sgl);
		KUNIT_EXPECT_EQ(test, vcm_test_live(t), 1);
		vcm_release_device(t->dev);
		KUNIT_EXPECT_EQ(test, vcm_test_swiotlb_used(t->dev), before);
	}
	vcm_test_put_cma_pages(first->dev, pages, ARRAY_SIZE(pages));
}

/* Eight physically contiguous pages, 32 KiB aligned. */
struct page *vcm_test_block(struct kunit *test)
{
	struct page *block = alloc_pages(GFP_KERNEL, 3);

	KUNIT_ASSERT_NOT_NULL(test, block);
	return block;
}

/* Map one sg entry per page of @block; return the DMA segment count. */
static int vcm_test_map_pages_sg(struct kunit *test, struct vcm_test_dev *t,
				 struct sg_table *sgt, struct page *block)
{
	struct scatterlist *s;
	unsigned int i;
	int ret;

	KUNIT_ASSERT_EQ(test, 0, sg_alloc_table(sgt, 8, GFP_KERNEL));
	/*
	 * A reused list carries the DMA fields of its last mapping: the end
	 * of the new DMA segments must be marked, not found zero by luck.
	 */
	for_each_sgtable_sg(sgt, s, i) {
		sg_set_page(s, block + i, PAGE_SIZE, 0);
		sg_dma_address(s) = DMA_MAPPING_ERROR;
		sg_dma_len(s) = PAGE_SIZE;
	}
	ret = dma_map_sgtable(t->dev, sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_ASSERT_EQ(test, ret, 0);
	return sgt->nents;
}

static void vcm_test_sg_merge(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sg");
	struct page *block = vcm_test_block(test);
	struct sg_table sgt;

	KUNIT_EXPECT_EQ(test, vcm_test_map_pages_sg(test, t, &sgt, block), 1);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sgt.sgl),
			phys_to_dma(t->dev, page_to_phys(block)));
	KUNIT_EXPECT_EQ(test, sg_dma_len(sgt.sgl), 8 * PAGE_SIZE);
	/* The entry after the last segment ends the DMA list. */
	KUNIT_EXPECT_EQ(test, sg_dma_len(sg_next(sgt.sgl)), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_SG_MERGED), 7);
	dma_sync_sgtable_for_cpu(t->dev, &sgt, DMA_BIDIRECTIONAL);
	dma_sync_sgtable_for_device(t->dev, &sgt, DMA_BIDIRECTIONAL);
	dma_unmap_sgtable(t->dev, &sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	vcm_test_no_errors(test, t);
	sg_free_table(&sgt);
	__free_pages(block, 3);
}

static void vcm_test_sg_max_segment(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sgmax");
	struct page *block = vcm_test_block(test);
	struct scatterlist *s;
	struct sg_table sgt;
	unsigned int i;

	t->parms.max_segment_size = 3 * PAGE_SIZE;
	/* 3 + 3 + 2 pages. */
	KUNIT_EXPECT_EQ(test, vcm_test_map_pages_sg(test, t, &sgt, block), 3);
	for_each_sgtable_dma_sg(&sgt, s, i)
		KUNIT_EXPECT_LE(test, sg_dma_len(s), 3 * PAGE_SIZE);
	dma_unmap_sgtable(t->dev, &sgt, DMA_BIDIRECTIONAL, 0);
	vcm_test_no_errors(test, t);
	sg_free_table(&sgt);
	__free_pages(block, 3);
}

/*
 * A device whose segments may be UINT_MAX long (NVMe, mlx5 and GPUs set
 * that) and two entries that follow each other in DMA space, 0xfffff000
 * and 0x2000 bytes: together they exceed what a segment length can hold,
 * so they must stay two segments.  Laid out with the helpers every
 * backend's map_sg uses; the addresses need no memory behind them.
 */
static void vcm_test_sg_max_segment_wrap(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sgwrap");
	const unsigned int first = 0xfffff000, second = 0x2000;
	const dma_addr_t a = SZ_4G;
	struct scatterlist sgl[2], *out = NULL;
	int count = 0;

	t->parms.max_segment_size = UINT_MAX;
	t->parms.segment_boundary_mask = ULONG_MAX;
	sg_init_table(sgl, ARRAY_SIZE(sgl));
	count += vcm_sg_emit(t->assoc, sgl, &out, a, first, false);
	KUNIT_EXPECT_FALSE(test, vcm_sg_can_extend(t->dev, out, a + first,
						   second));
	count += vcm_sg_emit(t->assoc, sgl, &out, a + first, second,
			     vcm_sg_can_extend(t->dev, out, a + first, second));
	vcm_sg_end(out, count, ARRAY_SIZE(sgl));
	KUNIT_ASSERT_EQ(test, count, 2);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[0]), a);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[0]), first);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[1]), a + first);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[1]), second);
	/* Up to the limit exactly, it still merges. */
	KUNIT_EXPECT_TRUE(test, vcm_sg_can_extend(t->dev, &sgl[0], a + first,
						  UINT_MAX - first));
	KUNIT_EXPECT_FALSE(test, vcm_sg_can_extend(t->dev, &sgl[0], a + first,
						   UINT_MAX - first + 1));
}

static void vcm_test_sg_boundary(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sgbound");
	struct page *block = vcm_test_block(test);
	struct scatterlist *s;
	struct sg_table sgt;
	unsigned int i;

	/* 16 KiB boundary: the 32 KiB aligned block splits in two. */
	t->parms.segment_boundary_mask = 4 * PAGE_SIZE - 1;
	KUNIT_EXPECT_EQ(test, vcm_test_map_pages_sg(test, t, &sgt, block), 2);
	for_each_sgtable_dma_sg(&sgt, s, i) {
		dma_addr_t end = sg_dma_address(s) + sg_dma_len(s) - 1;

		KUNIT_EXPECT_EQ(test, sg_dma_address(s) >> (PAGE_SHIFT + 2),
				end >> (PAGE_SHIFT + 2));
	}
	dma_unmap_sgtable(t->dev, &sgt, DMA_BIDIRECTIONAL, 0);
	vcm_test_no_errors(test, t);
	sg_free_table(&sgt);
	__free_pages(block, 3);
}

static void vcm_test_sg_offsets(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sgoff");
	struct page *block = vcm_test_block(test);
	struct scatterlist sgl[4];
	int n;

	sg_init_table(sgl, 4);
	/* Runs up to the end of page 0, continues at page 1: merged. */
	sg_set_page(&sgl[0], block, PAGE_SIZE - 512, 512);
	sg_set_page(&sgl[1], block + 1, 1024, 0);
	/* A hole after it: a new segment. */
	sg_set_page(&sgl[2], block + 1, 1024, 2048);
	/* Not contiguous with the previous one either. */
	sg_set_page(&sgl[3], block + 4, 100, 8);
	n = dma_map_sg(t->dev, sgl, 4, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, n, 3);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[0]),
			phys_to_dma(t->dev, page_to_phys(block) + 512));
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[0]), PAGE_SIZE - 512 + 1024);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[1]),
			phys_to_dma(t->dev, page_to_phys(block + 1) + 2048));
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[1]), 1024);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[2]), 100);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[3]), 0);

	/* Unmapping with the wrong entry count is reported, and undone. */
	dma_unmap_sg(t->dev, sgl, 3, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_SIZE_MISMATCH), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	dma_unmap_sg(t->dev, sgl, 4, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 1);
	__free_pages(block, 3);
}

/*
 * Peer-to-peer memory at its PCI bus address (vcm_sg_p2pdma()): each such
 * entry is a DMA segment of its own, whose mark moves with it to the entry
 * that holds it; nothing merges into it, even where addresses follow, and
 * the span of a list's mapped segments passes over it.  The segments are
 * laid out here as a backend's map_sg lays them out, with the helpers
 * both backends use: no P2PDMA page exists without a PCI device that
 * publishes one (the QEMU scenarios' NVMe disk does, for the whole path:
 * p2pdma-nvme-cmb-bus-address).
 */
static void vcm_test_sg_bus_segments(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sgbus");
	const dma_addr_t a = SZ_1M, bus = SZ_4G - SZ_32M;
	struct scatterlist sgl[5], *out = NULL, *s;
	dma_addr_t first, end;
	int count = 0, i;

	if (!IS_ENABLED(CONFIG_NEED_SG_DMA_FLAGS))
		kunit_skip(test, "scatterlists carry no DMA flags (CONFIG_PCI_P2PDMA)");
	sg_init_table(sgl, ARRAY_SIZE(sgl));
	/* Entries 0 and 1 follow each other: one segment, in entry 0. */
	count += vcm_sg_emit(t->assoc, sgl, &out, a, PAGE_SIZE, false);
	count += vcm_sg_emit(t->assoc, sgl, &out, a + PAGE_SIZE, PAGE_SIZE,
			     vcm_sg_can_extend(t->dev, out, a + PAGE_SIZE,
					       PAGE_SIZE));
	/* Entry 2 as pci_p2pdma_map_segment() leaves it: segment 1. */
	sg_dma_address(&sgl[2]) = bus;
	sg_dma_len(&sgl[2]) = PAGE_SIZE;
	sg_dma_mark_bus_address(&sgl[2]);
	count += vcm_sg_emit_bus(t->assoc, sgl, &out, &sgl[2]);
	/* Neither an address after the bus segment nor one after 0 merges. */
	KUNIT_EXPECT_FALSE(test, vcm_sg_can_extend(t->dev, out, bus + PAGE_SIZE,
						   PAGE_SIZE));
	count += vcm_sg_emit(t->assoc, sgl, &out, a + 2 * PAGE_SIZE, PAGE_SIZE,
			     vcm_sg_can_extend(t->dev, out, a + 2 * PAGE_SIZE,
					       PAGE_SIZE));
	sg_dma_address(&sgl[4]) = bus + PAGE_SIZE;
	sg_dma_len(&sgl[4]) = PAGE_SIZE;
	sg_dma_mark_bus_address(&sgl[4]);
	count += vcm_sg_emit_bus(t->assoc, sgl, &out, &sgl[4]);
	vcm_sg_end(out, count, ARRAY_SIZE(sgl));

	KUNIT_ASSERT_EQ(test, count, 4);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[0]), a);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[0]), 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[1]), bus);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[2]), a + 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[3]), bus + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[4]), 0);
	for_each_sg(sgl, s, ARRAY_SIZE(sgl), i)
		KUNIT_EXPECT_EQ_MSG(test, sg_dma_is_bus_address(s),
				    i == 1 || i == 3, "entry %d", i);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_P2P_BUS), 2);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_SG_MERGED), 1);

	/* What a teardown would give back: from 0's start to 2's end. */
	vcm_sg_dma_span(sgl, count, &first, &end);
	KUNIT_EXPECT_EQ(test, first, a);
	KUNIT_EXPECT_EQ(test, end, a + 3 * PAGE_SIZE);
	/* A list of bus addresses alone holds nothing of the vcm's. */
	vcm_sg_dma_span(&sgl[3], 1, &first, &end);
	KUNIT_EXPECT_EQ(test, first, end);

	vcm_sg_unmark_bus(sgl, ARRAY_SIZE(sgl));
	for_each_sg(sgl, s, ARRAY_SIZE(sgl), i)
		KUNIT_EXPECT_FALSE_MSG(test, sg_dma_is_bus_address(s),
				       "entry %d", i);
	vcm_test_no_errors(test, t);
}

static void vcm_test_map_resource(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-res");
	phys_addr_t mmio = 0xfe000000;
	dma_addr_t addr;

	addr = dma_map_resource(t->dev, mmio, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, addr, (dma_addr_t)mmio);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 1);
	dma_unmap_resource(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	dma_unmap_resource(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 1);

	/* Beyond a 24-bit mask. */
	if (!dma_set_mask(t->dev, DMA_BIT_MASK(24))) {
		addr = dma_map_resource(t->dev, mmio, PAGE_SIZE,
					DMA_TO_DEVICE, 0);
		KUNIT_EXPECT_TRUE(test, dma_mapping_error(t->dev, addr));
		KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_MASK), 1);
	}
}

/* ---- CPU views and queries ------------------------------------------- */

static void vcm_test_get_sgtable(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-sgt");
	struct sg_table sgt;
	dma_addr_t handle;
	void *cpu;

	cpu = dma_alloc_coherent(t->dev, 5 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_ASSERT_EQ(test, 0, dma_get_sgtable(t->dev, &sgt, cpu, handle,
						 5 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, 1);
	KUNIT_EXPECT_PTR_EQ(test, sg_page(sgt.sgl), virt_to_page(cpu));
	KUNIT_EXPECT_EQ(test, sgt.sgl->length, 5 * PAGE_SIZE);
	sg_free_table(&sgt);

	KUNIT_EXPECT_EQ(test, -ENXIO, dma_get_sgtable(t->dev, &sgt, cpu,
						      handle + PAGE_SIZE,
						      PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -ENXIO, dma_get_sgtable(t->dev, &sgt, cpu,
						      handle,
						      6 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, -ENXIO, dma_mmap_coherent(t->dev, NULL, cpu,
							handle + PAGE_SIZE,
							PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, dma_can_mmap(t->dev));
	dma_free_coherent(t->dev, 5 * PAGE_SIZE, cpu, handle);
}

static void vcm_test_queries(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-query");

	KUNIT_EXPECT_EQ(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(32)));
	KUNIT_EXPECT_NE(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(12)));
	KUNIT_EXPECT_EQ(test, dma_get_required_mask(t->dev),
			dma_direct_get_required_mask(t->dev));
	KUNIT_EXPECT_EQ(test, dma_max_mapping_size(t->dev),
			dma_direct_max_mapping_size(t->dev));
	KUNIT_EXPECT_EQ(test, dma_opt_mapping_size(t->dev),
			dma_max_mapping_size(t->dev));
	KUNIT_EXPECT_EQ(test, dma_get_merge_boundary(t->dev), 0);
}

/* ---- native interface and teardown ----------------------------------- */

static void vcm_test_native_share(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-na");
	struct vcm_test_dev *b = vcm_test_device(test, "vcm-nb");
	unsigned long before = vcm_test_nr_phys();
	struct vcm_res *ra, *rb;
	struct vcm_phys *phys;

	phys = vcm_phys_alloc(a->dev, 3 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_EQ(test, vcm_phys_size(phys), 3 * PAGE_SIZE);
	ra = vcm_map_phys(a->dev, phys, DMA_TO_DEVICE);
	rb = vcm_map_phys(b->dev, phys, DMA_FROM_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ra);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, rb);
	/* One window: both devices see the buffer at one address. */
	KUNIT_EXPECT_EQ(test, vcm_res_addr(ra), vcm_res_addr(rb));
	KUNIT_EXPECT_EQ(test, kref_read(&phys->kref), 3);
	vcm_phys_put(phys);
	vcm_unmap(ra);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	vcm_unmap(rb);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	KUNIT_EXPECT_PTR_EQ(test, vcm_map_phys(a->dev, NULL, 7),
			    ERR_PTR(-EINVAL));
}

/* ---- shared buffers ---------------------------------------------------- */

/*
 * Does the index's bitmap agree with its tree at page frame @pfn?  Frames
 * beyond the bitmap count as held, and must be looked up.
 */
static bool vcm_test_map_agrees(unsigned long pfn)
{
	struct vcm_phys *phys;
	size_t off;
	bool held;

	phys = vcm_index_get(PFN_PHYS(pfn), PAGE_SIZE, &off);
	held = phys;
	if (phys)
		vcm_phys_put(phys);
	return pfn >= vcm_index_map_len ?
	       vcm_index_may_hold(PFN_PHYS(pfn)) :
	       vcm_index_may_hold(PFN_PHYS(pfn)) == held;
}

/*
 * Does the bitmap say @held for every page of the @n chunks @chunks, and
 * agree with the tree on the page before and after each?
 */
static void vcm_test_map_marks(struct kunit *test,
			       const struct vcm_chunk *chunks, unsigned int n,
			       bool held)
{
	unsigned long pfn;
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct vcm_chunk *c = &chunks[i];

		for (pfn = c->pfn; pfn < c->pfn + c->nr_pages; pfn++)
			KUNIT_EXPECT_EQ_MSG(test,
					    vcm_index_may_hold(PFN_PHYS(pfn)),
					    held, "pfn %#lx", pfn);
		KUNIT_EXPECT_TRUE(test, vcm_test_map_agrees(c->pfn - 1));
		KUNIT_EXPECT_TRUE(test,
				  vcm_test_map_agrees(c->pfn + c->nr_pages));
	}
}

/*
 * Index lookups: hits anywhere in a chunk, misses just outside.  The bitmap
 * in front of the tree marks exactly the pages of chunks, in part words and
 * whole ones, and forgets them with the buffer.
 */
static void vcm_test_index(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-index");
	struct page *other = alloc_page(GFP_KERNEL);
	struct vcm_chunk chunks[4], big_chunk;
	struct vcm_phys *phys, *got, *big;
	unsigned int nr_chunks;
	phys_addr_t start, end;
	size_t off = 1;

	KUNIT_ASSERT_NOT_NULL(test, other);
	/* Set up by the suite, for all memory there is. */
	KUNIT_ASSERT_GE(test, vcm_index_map_len, max_pfn);
	/* Memory beyond the bitmap (hot-added) always walks the tree. */
	KUNIT_EXPECT_TRUE(test,
			  vcm_index_may_hold(PFN_PHYS(vcm_index_map_len)));
	KUNIT_EXPECT_FALSE(test, vcm_index_may_hold(page_to_phys(other)));
	KUNIT_EXPECT_TRUE(test, vcm_test_map_agrees(page_to_pfn(other)));
	/*
	 * Orders 0 and 2: a 7-page buffer takes 4 + 1 + 1 + 1 pages, largest
	 * first; adjacent ones merge (the pages after the first four may be
	 * the ones that follow them).  An order-7 chunk covers whole words of
	 * the bitmap (on 64-bit machines two of them).
	 */
	phys = vcm_phys_alloc_chunks(t->dev, 7 * PAGE_SIZE, GFP_KERNEL,
				     BIT(0) | BIT(2));
	KUNIT_ASSERT_NOT_NULL(test, phys);
	KUNIT_EXPECT_LE(test, phys->nr_chunks, 4);
	KUNIT_EXPECT_GE(test, phys->chunks[0].nr_pages, 4);
	big = vcm_phys_alloc_chunks(t->dev, PAGE_SIZE << 7, GFP_KERNEL,
				    BIT(7));
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_EQ(test, big->nr_chunks, 1);
	/* Copies: the buffers' structs go with the buffers. */
	nr_chunks = min(phys->nr_chunks, ARRAY_SIZE(chunks));
	memcpy(chunks, phys->chunks, nr_chunks * sizeof(*chunks));
	big_chunk = big->chunks[0];
	vcm_test_map_marks(test, chunks, nr_chunks, true);
	vcm_test_map_marks(test, &big_chunk, 1, true);
	vcm_phys_put(big);
	vcm_test_map_marks(test, &big_chunk, 1, false);
	vcm_test_map_marks(test, chunks, nr_chunks, true);

	start = PFN_PHYS(phys->chunks[0].pfn);
	end = start + (phys->chunks[0].nr_pages << PAGE_SHIFT);
	got = vcm_index_get(start, 1, &off);
	KUNIT_EXPECT_PTR_EQ(test, got, phys);
	KUNIT_EXPECT_EQ(test, off, 0);
	vcm_phys_put(got);
	got = vcm_index_get(end - 10, 10, &off);
	KUNIT_EXPECT_PTR_EQ(test, got, phys);
	KUNIT_EXPECT_EQ(test, off,
			(phys->chunks[0].nr_pages << PAGE_SHIFT) - 10);
	vcm_phys_put(got);
	/* The last chunk: its offset counts the chunks before it. */
	start = PFN_PHYS(phys->chunks[phys->nr_chunks - 1].pfn);
	got = vcm_index_get(start + 5, 1, &off);
	KUNIT_EXPECT_PTR_EQ(test, got, phys);
	KUNIT_EXPECT_EQ(test, off,
			((phys->chunks[phys->nr_chunks - 1].pgoff) << PAGE_SHIFT) + 5);
	vcm_phys_put(got);
	/* A range that runs past the chunk is not only this buffer's. */
	KUNIT_EXPECT_NULL(test, vcm_index_get(end - 10, 11, &off));
	KUNIT_EXPECT_NULL(test, vcm_index_get(page_to_phys(other), PAGE_SIZE,
					      &off));
	KUNIT_EXPECT_NULL(test, vcm_index_get(start, 0, &off));

	vcm_phys_put(phys);
	/* Gone from the index with the buffer. */
	KUNIT_EXPECT_NULL(test, vcm_index_get(end - 10, 10, &off));
	vcm_test_map_marks(test, chunks, nr_chunks, false);
	__free_page(other);
}

/* The page behind a coherent buffer's CPU address. */
struct page *vcm_test_cpu_page(const void *cpu)
{
	return is_vmalloc_addr(cpu) ? vmalloc_to_page(cpu) : virt_to_page(cpu);
}

/* The live streaming mappings through @phys's reservations in @vcm. */
unsigned long vcm_test_shared_maps(struct vcm_phys *phys, struct vcm *vcm,
				   unsigned int *nres)
{
	unsigned long flags, maps = 0;
	struct vcm_res *res;
	struct vcm_edge *e;

	*nres = 0;
	spin_lock_irqsave(&phys->lock, flags);
	list_for_each_entry(res, &phys->res, phys_node) {
		if (res->vcm != vcm)
			continue;
		++*nres;
		list_for_each_entry(e, &res->edges, node)
			maps += e->maps;
	}
	spin_unlock_irqrestore(&phys->lock, flags);
	return maps;
}

/* Live mappings through @phys's reservations of direction @dir in @vcm. */
static unsigned long vcm_test_shared_maps_dir(struct vcm_phys *phys,
					      struct vcm *vcm,
					      enum dma_data_direction dir)
{
	unsigned long flags, maps = 0;
	struct vcm_res *res;
	struct vcm_edge *e;

	spin_lock_irqsave(&phys->lock, flags);
	list_for_each_entry(res, &phys->res, phys_node)
		if (res->vcm == vcm && res->dir == dir)
			list_for_each_entry(e, &res->edges, node)
				maps += e->maps;
	spin_unlock_irqrestore(&phys->lock, flags);
	return maps;
}

/* @phys's maps in @vcm, to the device and from it, are @to and @from. */
static void vcm_test_expect_dirs(struct kunit *test, struct vcm_phys *phys,
				 struct vcm *vcm, unsigned long to,
				 unsigned long from)
{
	unsigned long t = vcm_test_shared_maps_dir(phys, vcm, DMA_TO_DEVICE);
	unsigned long f = vcm_test_shared_maps_dir(phys, vcm, DMA_FROM_DEVICE);

	KUNIT_EXPECT_EQ(test, t, to);
	KUNIT_EXPECT_EQ(test, f, from);
}

/*
 * One-to-one, a page of a buffer mapped twice by the peer in two
 * directions, recorded and not: two reservations, and each unmap (whose
 * address is the same) drops the one of its own direction.  A native
 * mapping binds only where the device's limit reaches the buffer's last
 * byte: at the limit exactly it does, one byte short it is refused.
 */
static void vcm_test_share_direct_dirs(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-sda");
	struct vcm_test_dev *b = vcm_test_device(test, "vcm-sdb");
	struct vcm_test_dev *c = vcm_test_device(test, "vcm-sdc");
	struct vcm_test_dev *peers[2] = { b, c };
	struct vcm *vcm = a->assoc->vcm;
	struct vcm_phys *phys;
	dma_addr_t handle, to, from;
	struct vcm_res *res;
	phys_addr_t last;
	unsigned int i;
	void *cpu;

	c->assoc->untracked = true;
	cpu = dma_alloc_coherent(a->dev, 2 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	for (i = 0; i < ARRAY_SIZE(peers); i++) {
		struct device *dev = peers[i]->dev;

		to = dma_map_page(dev, virt_to_page(cpu), 0, 64, DMA_TO_DEVICE);
		from = dma_map_page(dev, virt_to_page(cpu), 0, 64,
				    DMA_FROM_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, to));
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, from));
		KUNIT_EXPECT_EQ(test, to, from);
		vcm_test_expect_dirs(test, phys, vcm, 1, 1);
		dma_unmap_page(dev, from, 64, DMA_FROM_DEVICE);
		vcm_test_expect_dirs(test, phys, vcm, 1, 0);
		dma_unmap_page(dev, to, 64, DMA_TO_DEVICE);
		vcm_test_expect_dirs(test, phys, vcm, 0, 0);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&vcm->nr_shared), 0);
	}

	last = PFN_PHYS(phys->chunks[0].pfn) + 2 * PAGE_SIZE - 1;
	b->dev->bus_dma_limit = phys_to_dma(b->dev, last);
	res = vcm_map_phys(b->dev, phys, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(res));
	if (!IS_ERR_OR_NULL(res))
		vcm_unmap(res);
	b->dev->bus_dma_limit = phys_to_dma(b->dev, last) - 1;
	KUNIT_EXPECT_PTR_EQ(test, vcm_map_phys(b->dev, phys, DMA_BIDIRECTIONAL),
			    ERR_PTR(-ERANGE));
	b->dev->bus_dma_limit = 0;
	vcm_phys_put(phys);
	dma_free_coherent(a->dev, 2 * PAGE_SIZE, cpu, handle);
	vcm_test_no_errors(test, a);
	vcm_test_no_errors(test, b);
}

/*
 * One-to-one: the peer's dma_map_sgtable() of the owner's buffer maps it
 * through the owner's reservation (one window), at the pages' bus
 * addresses, and keeps it alive past the owner's free.
 */
static void vcm_test_share_direct(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-sha");
	struct vcm_test_dev *b = vcm_test_device(test, "vcm-shb");
	unsigned long before = vcm_test_nr_phys();
	struct vcm_phys *phys;
	struct sg_table sgt;
	unsigned int nres;
	dma_addr_t handle, addr;
	void *cpu;

	cpu = dma_alloc_coherent(a->dev, 5 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_ASSERT_EQ(test, 0, dma_get_sgtable(a->dev, &sgt, cpu, handle,
						 5 * PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, 0, dma_map_sgtable(b->dev, &sgt,
						 DMA_BIDIRECTIONAL, 0));
	KUNIT_EXPECT_EQ(test, sgt.nents, 1);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sgt.sgl), handle);
	/* The owner's reservation serves the peer: one, with one edge. */
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, a->assoc->vcm, &nres),
			1);
	KUNIT_EXPECT_EQ(test, nres, 1);
	/* A page of it, by dma_map_page(): another use of the same. */
	addr = dma_map_page(b->dev, virt_to_page(cpu + PAGE_SIZE), 10, 100,
			    DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, addr));
	KUNIT_EXPECT_EQ(test, addr, handle + PAGE_SIZE + 10);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, a->assoc->vcm, &nres),
			2);
	KUNIT_EXPECT_EQ(test, nres, 1);

	/* The owner frees it: the memory stays for the peer. */
	dma_free_coherent(a->dev, 5 * PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, a->assoc->vcm, &nres),
			2);
	dma_unmap_page(b->dev, addr, 100, DMA_BIDIRECTIONAL);
	dma_unmap_sgtable(b->dev, &sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, a->assoc->vcm, &nres),
			0);
	KUNIT_EXPECT_EQ(test, nres, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&a->assoc->vcm->nr_shared), 0);
	vcm_phys_put(phys);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	KUNIT_EXPECT_EQ(test, vcm_test_live(b), 0);
	sg_free_table(&sgt);
	vcm_test_no_errors(test, a);
	vcm_test_no_errors(test, b);
}

/*
 * One-to-one, without records: a list that is not one buffer's (a page of
 * a shared buffer and a page of other memory) goes the ordinary way, and
 * its unmap is not taken for the buffer's shared mapping of the same page.
 * With records, an unmap with the wrong direction undoes the mapping it
 * names, not the other direction's.
 */
static void vcm_test_share_direct_unmaps(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-sua");
	struct device *dev = kunit_device_register(test, "vcm-sub");
	struct page *other = alloc_page(GFP_KERNEL);
	struct scatterlist sgl[2];
	struct vcm_test_dev b = { .dev = dev };
	struct vcm_phys *phys;
	dma_addr_t handle, p, q;
	void *cpu;

	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	b.assoc = vcm_attach_device(dev, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b.assoc);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, vcm_test_release, dev));
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask_and_coherent(dev,
							   DMA_BIT_MASK(64)));
	cpu = dma_alloc_coherent(a->dev, 2 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);

	p = dma_map_page(dev, virt_to_page(cpu), 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, p));
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps_dir(phys, b.assoc->vcm,
						       DMA_TO_DEVICE), 1);
	sg_init_table(sgl, 2);
	sg_set_page(&sgl[0], virt_to_page(cpu), PAGE_SIZE, 0);
	sg_set_page(&sgl[1], other, PAGE_SIZE, 0);
	KUNIT_ASSERT_GT(test, dma_map_sg(dev, sgl, 2, DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps_dir(phys, b.assoc->vcm,
						       DMA_TO_DEVICE), 1);
	dma_unmap_sg(dev, sgl, 2, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps_dir(phys, b.assoc->vcm,
						       DMA_TO_DEVICE), 1);
	dma_unmap_page(dev, p, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps_dir(phys, b.assoc->vcm,
						       DMA_TO_DEVICE), 0);

	/* Tracked: the direction mismatch is reported, the right one goes. */
	p = dma_map_page(a->dev, virt_to_page(cpu), 0, PAGE_SIZE,
			 DMA_TO_DEVICE);
	q = dma_map_page(a->dev, virt_to_page(cpu + PAGE_SIZE), 0, PAGE_SIZE,
			 DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(a->dev, p));
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(a->dev, q));
	dma_unmap_page(a->dev, p, PAGE_SIZE, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(a, VCM_ERR_DIR_MISMATCH), 1);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps_dir(phys, a->assoc->vcm,
						       DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps_dir(phys, a->assoc->vcm,
						       DMA_FROM_DEVICE), 1);
	dma_unmap_page(a->dev, q, PAGE_SIZE, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps_dir(phys, a->assoc->vcm,
						       DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&a->assoc->vcm->nr_shared), 0);
	vcm_phys_put(phys);
	dma_free_coherent(a->dev, 2 * PAGE_SIZE, cpu, handle);
	__free_page(other);
}

static void vcm_test_phys_from_dma(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-fa");
	struct vcm_test_dev *b = vcm_test_device(test, "vcm-fb");
	struct vcm_phys *phys;
	struct vcm_res *res;
	dma_addr_t handle;
	void *cpu;

	cpu = dma_alloc_coherent(a->dev, PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_PTR_EQ(test, vcm_phys_from_dma(b->dev, handle),
			    ERR_PTR(-ENOENT));
	res = vcm_map_phys(b->dev, phys, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, res);
	KUNIT_EXPECT_EQ(test, vcm_res_addr(res), handle);
	/* The buffer outlives the free while b still maps it. */
	dma_free_coherent(a->dev, PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, kref_read(&phys->kref), 2);
	vcm_unmap(res);
	vcm_phys_put(phys);
}

static void vcm_test_teardown_leftovers(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-leak");
	unsigned long before = vcm_test_nr_phys();
	unsigned long quarantined = vcm_test_nr_quarantined();
	struct page *page = alloc_page(GFP_KERNEL);
	struct vcm_phys *phys;
	struct vcm_res *res;
	dma_addr_t handle;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_NOT_NULL(test, dma_alloc_coherent(t->dev, PAGE_SIZE,
						       &handle, GFP_KERNEL));
	handle = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, handle));
	phys = vcm_phys_alloc(t->dev, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	res = vcm_map_phys(t->dev, phys, DMA_TO_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, res);

	/* The driver unbinds with all three still live. */
	vcm_detach_device(t->dev);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_LEAKED), 3);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	/*
	 * Nothing says the device stopped (it is not a PCI function with bus
	 * mastering off), and a window cannot cut it off: the coherent
	 * buffer is quarantined, not freed.
	 */
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 2);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_quarantined(), quarantined + 1);
	/* A device VCM let go takes no new native mapping ... */
	KUNIT_EXPECT_PTR_EQ(test, vcm_map_phys(t->dev, phys, DMA_TO_DEVICE),
			    ERR_PTR(-ENODEV));
	/* ... and the native holder still gets to let go, safely. */
	vcm_unmap(res);
	vcm_phys_put(phys);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	__free_page(page);
}

/*
 * A failed probe: the device goes back to its backend only once nothing
 * of VCM's is left to free (managed buffers are released after the
 * notification).
 */
static void vcm_test_failed_probe(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-noprobe");
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t handle, addr;
	void *cpu;

	KUNIT_ASSERT_NOT_NULL(test, page);
	cpu = dma_alloc_coherent(t->dev, PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	vcm_detach_unused_device(t->dev);
	KUNIT_EXPECT_EQ(test, t->assoc->state, VCM_ASSOC_ACTIVE);
	dma_free_coherent(t->dev, PAGE_SIZE, cpu, handle);

	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	vcm_detach_unused_device(t->dev);
	KUNIT_EXPECT_EQ(test, t->assoc->state, VCM_ASSOC_ACTIVE);
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);

	vcm_detach_unused_device(t->dev);
	KUNIT_EXPECT_EQ(test, t->assoc->state, VCM_ASSOC_IDLE);
	KUNIT_EXPECT_FALSE(test, dev_is_vcm(t->dev));
	vcm_test_no_errors(test, t);
	__free_page(page);
}

/*
 * More mappings in flight than there are record slots: the rest go to the
 * chains, and every unmap, in any order, finds its own record.  The same
 * page mapped twice with different sizes keeps the two apart.
 */
static void vcm_test_many_mappings(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-many");
	const int n = 4 * ARRAY_SIZE(t->assoc->table->slots);
	struct page *block = alloc_pages(GFP_KERNEL, 3);
	dma_addr_t *addr = kunit_kcalloc(test, n, sizeof(*addr), GFP_KERNEL);
	dma_addr_t a, b;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, block);
	KUNIT_ASSERT_NOT_NULL(test, addr);
	for (i = 0; i < n; i++) {
		addr[i] = dma_map_page(t->dev, block, i * 64, 64,
				       DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr[i]));
	}
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), n);
	/* Odd ones first, then even ones backwards, then one twice. */
	for (i = 1; i < n; i += 2)
		dma_unmap_page(t->dev, addr[i], 64, DMA_TO_DEVICE);
	for (i = n - 2; i >= 0; i -= 2)
		dma_unmap_page(t->dev, addr[i], 64, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	vcm_test_no_errors(test, t);
	dma_unmap_page(t->dev, addr[0], 64, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 1);

	a = dma_map_page(t->dev, block, 0, 128, DMA_TO_DEVICE);
	b = dma_map_page(t->dev, block, 0, 256, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, a, b);
	dma_unmap_page(t->dev, b, 256, DMA_TO_DEVICE);
	dma_unmap_page(t->dev, a, 128, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_SIZE_MISMATCH), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	__free_pages(block, 3);
}

static void vcm_test_untracked(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "vcm-notrack");
	struct page *block = vcm_test_block(test);
	struct vcm_test_dev t = { .dev = dev };
	dma_addr_t addr, handle;
	struct vcm_phys *phys;
	struct sg_table sgt;
	unsigned int nres;
	void *cpu;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	t.assoc = vcm_attach_device(dev, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t.assoc);
	KUNIT_ASSERT_EQ(test, 0,
			kunit_add_action_or_reset(test, vcm_test_release, dev));
	addr = dma_map_page(dev, block, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, addr));
	KUNIT_EXPECT_EQ(test, vcm_test_live(&t), 1);
	dma_unmap_page(dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_live(&t), 0);

	/* Without a record, unmap_sg finds the segments from the list. */
	KUNIT_EXPECT_EQ(test, vcm_test_map_pages_sg(test, &t, &sgt, block), 1);
	KUNIT_EXPECT_EQ(test, vcm_live_bytes(t.assoc), 8 * PAGE_SIZE);
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(&t), 0);
	KUNIT_EXPECT_EQ(test, vcm_live_bytes(t.assoc), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(&t, VCM_ERR_UNKNOWN_HANDLE), 0);
	sg_free_table(&sgt);
	__free_pages(block, 3);

	/*
	 * A page of a VCM buffer leaves the one-to-one fast path for the
	 * buffer's: an edge while mapped, none after the unmap.
	 */
	cpu = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	addr = dma_map_page(dev, virt_to_page(cpu + PAGE_SIZE), 8, 64,
			    DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, addr));
	KUNIT_EXPECT_EQ(test, addr, handle + PAGE_SIZE + 8);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, t.assoc->vcm, &nres),
			1);
	dma_unmap_page(dev, addr, 64, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, t.assoc->vcm, &nres),
			0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(&t), 0);
	vcm_phys_put(phys);
	dma_free_coherent(dev, 2 * PAGE_SIZE, cpu, handle);
}

/*
 * A buffer of scattered pages: memory is fragmented into every other page
 * (an order-1 block kept half), then a buffer of single pages is made of
 * the holes, more chunks than one kmalloc() array of them can hold (about
 * 52k at 80 bytes a chunk).  It is zeroed, every chunk holds what was
 * written to it, its pages are all in the index and leave it when it is
 * freed.
 */
static void vcm_test_phys_fragmented(struct kunit *test)
{
	const unsigned long nr = 53 * 1024;
	unsigned long i, got, zero = 0, bad = 0;
	struct vcm_phys *phys;
	struct page **held;

	held = kvcalloc(nr, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	for (got = 0; got < nr; got++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);

		if (!p)
			break;
		split_page(p, 1);
		held[got] = p;
		__free_page(p + 1);
	}
	phys = got == nr ? vcm_phys_alloc_chunks(NULL, nr * PAGE_SIZE,
						 GFP_KERNEL, BIT(0)) : NULL;
	for (i = 0; i < got; i++)
		__free_page(held[i]);
	kvfree(held);
	KUNIT_ASSERT_EQ_MSG(test, got, nr, "memory for the holes");
	KUNIT_ASSERT_NOT_NULL(test, phys);
	KUNIT_EXPECT_GT(test, phys->nr_chunks,
			KMALLOC_MAX_SIZE / sizeof(struct vcm_chunk));
	for (i = 0; i < phys->nr_chunks; i++) {
		const struct vcm_chunk *c = &phys->chunks[i];
		u32 *first = pfn_to_kaddr(c->pfn);
		u32 *last = (u32 *)pfn_to_kaddr(c->pfn + c->nr_pages) - 1;

		zero += *first || *last;
		*first = i;
		*last = ~i;
		KUNIT_EXPECT_TRUE(test, vcm_index_may_hold(PFN_PHYS(c->pfn)));
	}
	for (i = 0; i < phys->nr_chunks; i++) {
		const struct vcm_chunk *c = &phys->chunks[i];

		bad += *(u32 *)pfn_to_kaddr(c->pfn) != (u32)i ||
		       *((u32 *)pfn_to_kaddr(c->pfn + c->nr_pages) - 1) != (u32)~i;
	}
	KUNIT_EXPECT_EQ(test, zero, 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
	i = phys->chunks[0].pfn;
	vcm_phys_put(phys);
	KUNIT_EXPECT_FALSE(test, vcm_index_may_hold(PFN_PHYS(i)));
}

/*
 * Coherent memory is zeroed: freed buffers full of a pattern come back from
 * the page allocator, and the next allocations must not show it.  Single
 * pages, because those go back to this CPU's per-CPU list, last in, first
 * out (larger blocks merge in the buddy lists, and the next allocation of
 * that order may well be untouched, zero memory: no test at all).
 */
static void vcm_test_alloc_zeroed(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-zero");
	const size_t size = PAGE_SIZE;
	dma_addr_t handle[16];
	void *cpu[16];
	int i;

	migrate_disable();
	for (i = 0; i < ARRAY_SIZE(cpu); i++) {
		cpu[i] = dma_alloc_coherent(t->dev, size, &handle[i],
					    GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, cpu[i]);
		memset(cpu[i], 0xa5, size);
	}
	for (i = 0; i < ARRAY_SIZE(cpu); i++)
		dma_free_coherent(t->dev, size, cpu[i], handle[i]);
	for (i = 0; i < ARRAY_SIZE(cpu); i++) {
		cpu[i] = dma_alloc_coherent(t->dev, size, &handle[i],
					    GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, cpu[i]);
		KUNIT_EXPECT_NULL(test, memchr_inv(cpu[i], 0, size));
	}
	migrate_enable();
	for (i = 0; i < ARRAY_SIZE(cpu); i++)
		dma_free_coherent(t->dev, size, cpu[i], handle[i]);
	vcm_test_no_errors(test, t);
}

/**
 * vcm_test_cpu_cache() - the cache type the kernel's page tables give @va
 * @va: a kernel address, mapped
 *
 * Return: the index of the entry's PWT, PCD and PAT bits into the PAT
 * MSR (Linux's layout: 0 write-back, 1 write-combining, 2 uncached-minus),
 * or -1 where there is no entry or no x86 page table to read.
 */
int vcm_test_cpu_cache(const void *va)
{
#ifdef CONFIG_X86
	unsigned int level;
	pteval_t v, pat;
	pte_t *pte;

	pte = lookup_address((unsigned long)va, &level);
	if (!pte || !pte_present(*pte))
		return -1;
	v = pte_val(*pte);
	pat = level == PG_LEVEL_4K ? _PAGE_PAT : _PAGE_PAT_LARGE;
	return (v & _PAGE_PWT ? 1 : 0) | (v & _PAGE_PCD ? 2 : 0) |
	       (v & pat ? 4 : 0);
#else
	return -1;
#endif
}

/*
 * A write-combining buffer for a caller that may not start I/O (GFP_NOIO,
 * a block driver's): typed, and the allocation scope VCM puts its own
 * allocations in is the caller's again afterwards -- a scope the caller
 * had stays, none leaks out.
 */
static void vcm_test_alloc_wc_noio(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-wc-noio");
	unsigned int nofs;
	dma_addr_t handle;
	void *cpu;

	cpu = dma_alloc_attrs(t->dev, SZ_64K, &handle, GFP_NOIO,
			      DMA_ATTR_WRITE_COMBINE);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(cpu), 1);
	KUNIT_EXPECT_FALSE(test, current->flags &
			   (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS));
	dma_free_attrs(t->dev, SZ_64K, cpu, handle, DMA_ATTR_WRITE_COMBINE);

	nofs = memalloc_nofs_save();
	cpu = dma_alloc_attrs(t->dev, SZ_64K, &handle, GFP_NOIO,
			      DMA_ATTR_WRITE_COMBINE);
	KUNIT_EXPECT_TRUE(test, current->flags & PF_MEMALLOC_NOFS);
	KUNIT_EXPECT_FALSE(test, current->flags & PF_MEMALLOC_NOIO);
	memalloc_nofs_restore(nofs);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	dma_free_attrs(t->dev, SZ_64K, cpu, handle, DMA_ATTR_WRITE_COMBINE);
	vcm_test_no_errors(test, t);
}

/*
 * dma_alloc_wc() under VCM, without the pool: the buffer is
 * write-combining in the index (its linear alias and its device counted as
 * mappers), in the kernel's page tables for the address the driver got and
 * for the linear alias, and in a vmap VCM makes of it (counted while it
 * lives); after the free, its range is gone and the linear alias is
 * write-back again.  Linux's PAT layout makes write-combining PWT without
 * PCD (index 1).
 */
static void vcm_test_pool_on(void *unused)
{
	WRITE_ONCE(vcm_mt_pool_enabled, true);
}

static void vcm_test_alloc_wc(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-wc");
	const size_t size = 4 * PAGE_SIZE;
	struct vcm_phys *phys;
	dma_addr_t handle;
	struct page *page;
	phys_addr_t pa;
	void *cpu, *va;
	int i;

	va = page_address(ZERO_PAGE(0));
	KUNIT_ASSERT_EQ_MSG(test, vcm_test_cpu_cache(va), 0,
			    "no x86 page tables to read");
	/* Each buffer typed anew, as with dma=vcm,nopool. */
	WRITE_ONCE(vcm_mt_pool_enabled, false);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   vcm_test_pool_on,
							   NULL));
	cpu = dma_alloc_wc(t->dev, size, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	page = vcm_test_cpu_page(cpu);
	pa = page_to_phys(page);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(cpu), 1);
	for (i = 0; i < size / PAGE_SIZE; i++)
		KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page + i)),
				1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_LINEAR), 1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_DEVICE), 1);
	/* The CPU writes through it, and reads back what it wrote. */
	memset(cpu, 0x5a, size);
	KUNIT_EXPECT_NULL(test, memchr_inv(cpu, 0x5a, size));

	phys = vcm_phys_from_dma(t->dev, handle);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(phys));
	KUNIT_EXPECT_EQ(test, phys->mt, VCM_MT_WC);
	va = vcm_phys_vmap(phys);
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(va), 1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_VMAP), 1);
	KUNIT_EXPECT_NULL(test, memchr_inv(va, 0x5a, size));
	vcm_phys_vunmap(phys, va);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_VMAP), 0);
	vcm_phys_put(phys);

	dma_free_wc(t->dev, size, cpu, handle);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_LINEAR), -ENOENT);
	for (i = 0; i < size / PAGE_SIZE; i++)
		KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page + i)),
				0);
	/* One page, from the buddy allocator rather than CMA: the same. */
	cpu = dma_alloc_wc(t->dev, PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	page = vcm_test_cpu_page(cpu);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page)), 1);
	dma_free_wc(t->dev, PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype,
						  page_to_phys(page),
						  VCM_MAPPER_LINEAR), -ENOENT);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page)), 0);

	/* A buffer asked for without the attribute is write-back. */
	cpu = dma_alloc_coherent(t->dev, size, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(cpu), 0);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype,
						  page_to_phys(vcm_test_cpu_page(cpu)),
						  VCM_MAPPER_LINEAR), -ENOENT);
	dma_free_coherent(t->dev, size, cpu, handle);
	vcm_test_no_errors(test, t);
}

/*
 * The pool: a write-combining buffer comes from a 2 MiB block that the
 * pool typed and declared; freed, its pages stay typed in the pool, and
 * the next buffer is carved from the same block, zeroed again.  The
 * shrinker's work gives the unused block back write-back, out of the
 * index.
 */
static void vcm_test_alloc_wc_pool(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-wc-pool");
	const size_t size = 4 * PAGE_SIZE;
	dma_addr_t handle;
	struct page *page;
	phys_addr_t pa;
	void *cpu;

	vcm_mt_pool_shrink(ULONG_MAX, true);
	cpu = dma_alloc_wc(t->dev, size, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	page = vcm_test_cpu_page(cpu);
	pa = page_to_phys(page);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(cpu), 1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_DEVICE), 1);
	memset(cpu, 0x5a, size);
	dma_free_wc(t->dev, size, cpu, handle);
	/* Still the pool's: typed, declared, no device mapping it. */
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page)), 1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_LINEAR), 1);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_DEVICE), 0);

	cpu = dma_alloc_wc(t->dev, size, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, page_to_phys(vcm_test_cpu_page(cpu)) >> 21,
			pa >> 21);
	KUNIT_EXPECT_NULL(test, memchr_inv(cpu, 0, size));
	dma_free_wc(t->dev, size, cpu, handle);

	KUNIT_EXPECT_GE(test, vcm_mt_pool_shrink(ULONG_MAX, true), 512);
	KUNIT_EXPECT_EQ(test, vcm_memtype_mappers(&vcm_memtype, pa,
						  VCM_MAPPER_LINEAR), -ENOENT);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(page_address(page)), 0);
	vcm_test_no_errors(test, t);
}

/*
 * A write-combining request that may not sleep cannot change the linear
 * map: in tolerant mode (the default) it is given write-back, what
 * dma-direct gives it; nothing is typed, nothing left in the index.
 */
static void vcm_test_alloc_wc_atomic(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-wc-atomic");
	unsigned long nr = atomic_long_read(&vcm_memtype.nr);
	dma_addr_t handle;
	void *cpu;

	KUNIT_ASSERT_EQ(test, vcm_memtype.mode, VCM_MT_TOLERANT);
	cpu = dma_alloc_wc(t->dev, PAGE_SIZE, &handle, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(cpu), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vcm_memtype.nr), nr);
	dma_free_wc(t->dev, PAGE_SIZE, cpu, handle);
	vcm_test_no_errors(test, t);
}

struct vcm_test_busy {
	struct timer_list timer;
	struct vcm_track_slot *slot;
};

static void vcm_test_busy_release(struct timer_list *timer)
{
	struct vcm_test_busy *b = from_timer(b, timer, timer);

	/* As another CPU would put back a record it took to look at. */
	smp_store_release(&b->slot->state, VCM_SLOT_LIVE);
}

/*
 * An unmap whose record is BUSY in its slot at that moment (another CPU's
 * unmap of the same address took it to compare, and puts it back) waits
 * for it instead of calling the handle unmapped.  Here a timer plays the
 * other CPU.
 */
static void vcm_test_busy_slot(struct kunit *test)
{
	struct vcm_test_dev *t = vcm_test_device(test, "vcm-busy");
	struct vcm_test_busy *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_NOT_NULL(test, b);
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	for (i = 0; i < ARRAY_SIZE(t->assoc->table->slots); i++)
		if (t->assoc->table->slots[i].state == VCM_SLOT_LIVE &&
		    t->assoc->table->slots[i].rec.key == addr)
			b->slot = &t->assoc->table->slots[i];
	KUNIT_ASSERT_NOT_NULL(test, b->slot);

	WRITE_ONCE(b->slot->state, VCM_SLOT_BUSY);
	timer_setup(&b->timer, vcm_test_busy_release, 0);
	mod_timer(&b->timer, jiffies + msecs_to_jiffies(20));
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	timer_shutdown_sync(&b->timer);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	KUNIT_EXPECT_EQ(test, b->slot->state, VCM_SLOT_EMPTY);
	vcm_test_no_errors(test, t);
	__free_page(page);
}

static struct kunit_case vcm_test_cases[] = {
	KUNIT_CASE(vcm_test_shared_window),
	KUNIT_CASE(vcm_test_lifetime),
	KUNIT_CASE(vcm_test_declined),
	KUNIT_CASE(vcm_test_alloc_free),
	KUNIT_CASE(vcm_test_alloc_attrs),
	KUNIT_CASE(vcm_test_alloc_mask),
	KUNIT_CASE(vcm_test_alloc_failure),
	KUNIT_CASE(vcm_test_alloc_pages),
	KUNIT_CASE(vcm_test_free_bad_input),
	KUNIT_CASE(vcm_test_map_page),
	KUNIT_CASE(vcm_test_unmap_bad_input),
	KUNIT_CASE(vcm_test_map_beyond_mask),
	KUNIT_CASE(vcm_test_leaked_bounced_sg),
	KUNIT_CASE(vcm_test_sync_bounced),
#ifdef CONFIG_DMA_VCM_HEAP
	KUNIT_CASE(vcm_test_heap_cpu_access),
	KUNIT_CASE(vcm_test_heap_segments_only),
	KUNIT_CASE(vcm_test_heap_typed),
	KUNIT_CASE(vcm_test_heap_discovery),
	KUNIT_CASE(vcm_test_heap_zones),
#endif
	KUNIT_CASE(vcm_test_sg_merge),
	KUNIT_CASE(vcm_test_sg_max_segment),
	KUNIT_CASE(vcm_test_sg_max_segment_wrap),
	KUNIT_CASE(vcm_test_sg_boundary),
	KUNIT_CASE(vcm_test_sg_offsets),
	KUNIT_CASE(vcm_test_sg_bus_segments),
	KUNIT_CASE(vcm_test_map_resource),
	KUNIT_CASE(vcm_test_get_sgtable),
	KUNIT_CASE(vcm_test_queries),
	KUNIT_CASE(vcm_test_native_share),
	KUNIT_CASE(vcm_test_index),
	KUNIT_CASE(vcm_test_share_direct),
	KUNIT_CASE(vcm_test_share_direct_dirs),
	KUNIT_CASE(vcm_test_share_direct_unmaps),
	KUNIT_CASE(vcm_test_phys_from_dma),
	KUNIT_CASE(vcm_test_teardown_leftovers),
	KUNIT_CASE(vcm_test_failed_probe),
	KUNIT_CASE(vcm_test_many_mappings),
	KUNIT_CASE(vcm_test_untracked),
	KUNIT_CASE(vcm_test_alloc_zeroed),
	KUNIT_CASE(vcm_test_alloc_wc),
	KUNIT_CASE(vcm_test_alloc_wc_noio),
	KUNIT_CASE(vcm_test_alloc_wc_pool),
	KUNIT_CASE(vcm_test_alloc_wc_atomic),
	KUNIT_CASE(vcm_test_phys_fragmented),
	KUNIT_CASE(vcm_test_busy_slot),
	{}
};

/* The index's map, as VCM sets it up when it starts serving devices. */
static int vcm_test_suite_init(struct kunit_suite *suite)
{
	return vcm_index_map_init();
}

static struct kunit_suite vcm_test_suite = {
	.name = "dma-vcm",
	.suite_init = vcm_test_suite_init,
	.test_cases = vcm_test_cases,
};

kunit_test_suite(vcm_test_suite);

MODULE_DESCRIPTION("KUnit tests for Virtual Contiguous Memory");
MODULE_LICENSE("GPL");
