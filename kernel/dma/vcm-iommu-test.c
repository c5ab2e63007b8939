// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of VCM's iommu kind, suite "dma-vcm-iommu": a fake paging
 * domain with page tables of its own stands in for an IOMMU, so that every
 * case can check what each IOVA translates to, with which permissions, as
 * a device would find it.  Built only with the IOMMU backend
 * (CONFIG_DMA_VCM_IOMMU); the one-to-one kind and the graph are tested in
 * vcm-test.c, whose helpers (vcm-test.h) these cases use too.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/kthread.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include "vcm-iommu.h"
#include "vcm-test.h"

/*
 * A paging domain with page tables of its own: an xarray from IOVA page
 * frame to (physical page frame, page order, protection), so that tests can
 * check what every IOVA translates to and with which permissions, as a
 * device would find it.  It also counts: bytes mapped, bytes mapped per page
 * size, IOTLB syncs and full flushes, and mappings made with a gfp that may
 * sleep.  With a budget, mapping fails (after mapping what fits, as
 * hardware drivers may) once the budget is used up.  The counters are
 * updated under @lock, as two CPUs may map and unmap at once (tests read
 * them when nothing else runs).
 */
struct vcm_fake_iommu {
	struct iommu_domain domain;
	struct xarray pt;
	spinlock_t lock;	/* the counters below, and @budget */
	long live;
	unsigned long by_size[BITS_PER_LONG];
	long budget;
	int syncs;
	int flushes;
	int blocking_maps;
};

#define VCM_FAKE_PROT_BITS	8
#define VCM_FAKE_ORDER_BITS	6

static struct vcm_fake_iommu *to_fake(struct iommu_domain *d)
{
	return container_of(d, struct vcm_fake_iommu, domain);
}

static void *vcm_fake_pte(phys_addr_t paddr, unsigned int order, int prot)
{
	return xa_mk_value((PHYS_PFN(paddr) << (VCM_FAKE_ORDER_BITS +
						VCM_FAKE_PROT_BITS)) |
			   order << VCM_FAKE_PROT_BITS | (prot & 0xff));
}

/* The entry of the page covering @iova: a 4 KiB page, or a 2 MiB one. */
static unsigned long vcm_fake_lookup(struct vcm_fake_iommu *f,
				     unsigned long iova, unsigned long *index)
{
	void *e;

	*index = iova >> PAGE_SHIFT;
	e = xa_load(&f->pt, *index);
	if (!e) {
		*index = ALIGN_DOWN(iova, SZ_2M) >> PAGE_SHIFT;
		e = xa_load(&f->pt, *index);
		if (e && ((xa_to_value(e) >> VCM_FAKE_PROT_BITS) &
			  GENMASK(VCM_FAKE_ORDER_BITS - 1, 0)) != 9)
			e = NULL;
	}
	return e ? xa_to_value(e) : 0;
}

/* Protection of the page at @iova, or -1 if nothing is mapped there. */
static int vcm_fake_prot(struct vcm_fake_iommu *f, unsigned long iova)
{
	unsigned long index, pte = vcm_fake_lookup(f, iova, &index);

	return pte ? (int)(pte & 0xff) : -1;
}

static int vcm_fake_map_pages(struct iommu_domain *d, unsigned long iova,
			      phys_addr_t paddr, size_t pgsize, size_t pgcount,
			      int prot, gfp_t gfp, size_t *mapped)
{
	struct vcm_fake_iommu *f = to_fake(d);
	unsigned long flags;
	size_t i;
	int ret = 0;

	spin_lock_irqsave(&f->lock, flags);
	if (gfpflags_allow_blocking(gfp))
		f->blocking_maps++;
	if (f->budget >= 0) {
		if (pgsize * pgcount > f->budget) {
			pgcount = f->budget / pgsize;
			ret = -ENOMEM;
		}
		f->budget -= pgsize * pgcount;
	}
	spin_unlock_irqrestore(&f->lock, flags);
	for (i = 0; i < pgcount; i++) {
		unsigned long index = (iova + i * pgsize) >> PAGE_SHIFT;

		/* Mapping over a live entry is a bug of the caller. */
		if (xa_insert(&f->pt, index,
			      vcm_fake_pte(paddr + i * pgsize,
					   __ffs(pgsize) - PAGE_SHIFT, prot),
			      GFP_ATOMIC)) {
			ret = -EEXIST;
			break;
		}
	}
	spin_lock_irqsave(&f->lock, flags);
	f->live += pgsize * i;
	f->by_size[__ffs(pgsize)] += pgsize * i;
	spin_unlock_irqrestore(&f->lock, flags);
	*mapped = pgsize * i;
	return ret;
}

/* Like hardware drivers: stop at the first page that is not mapped. */
static size_t vcm_fake_unmap_pages(struct iommu_domain *d, unsigned long iova,
				   size_t pgsize, size_t pgcount,
				   struct iommu_iotlb_gather *gather)
{
	struct vcm_fake_iommu *f = to_fake(d);
	unsigned long flags;
	size_t i;

	for (i = 0; i < pgcount; i++)
		if (!xa_erase(&f->pt, (iova + i * pgsize) >> PAGE_SHIFT))
			break;
	spin_lock_irqsave(&f->lock, flags);
	f->live -= pgsize * i;
	spin_unlock_irqrestore(&f->lock, flags);
	return pgsize * i;
}

static void vcm_fake_count(struct vcm_fake_iommu *f, int *counter)
{
	unsigned long flags;

	spin_lock_irqsave(&f->lock, flags);
	++*counter;
	spin_unlock_irqrestore(&f->lock, flags);
}

static void vcm_fake_iotlb_sync(struct iommu_domain *d,
				struct iommu_iotlb_gather *gather)
{
	vcm_fake_count(to_fake(d), &to_fake(d)->syncs);
}

static void vcm_fake_flush_iotlb_all(struct iommu_domain *d)
{
	vcm_fake_count(to_fake(d), &to_fake(d)->flushes);
}

static phys_addr_t vcm_fake_iova_to_phys(struct iommu_domain *d,
					 dma_addr_t iova)
{
	unsigned long index, pte = vcm_fake_lookup(to_fake(d), iova, &index);

	if (!pte)
		return 0;
	return PFN_PHYS(pte >> (VCM_FAKE_ORDER_BITS + VCM_FAKE_PROT_BITS)) +
	       (iova - ((dma_addr_t)index << PAGE_SHIFT));
}

static const struct iommu_domain_ops vcm_fake_ops = {
	.map_pages	= vcm_fake_map_pages,
	.unmap_pages	= vcm_fake_unmap_pages,
	.iotlb_sync	= vcm_fake_iotlb_sync,
	.flush_iotlb_all = vcm_fake_flush_iotlb_all,
	.iova_to_phys	= vcm_fake_iova_to_phys,
};

static void vcm_fake_destroy(void *data)
{
	xa_destroy(data);
}

/* An sg list of @n whole pages, one an entry; the caller frees them. */
static void vcm_test_sg_pages(struct kunit *test, struct scatterlist *sgl,
			      struct page **pages, int n)
{
	int i;

	sg_init_table(sgl, n);
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
		sg_set_page(&sgl[i], pages[i], PAGE_SIZE, 0);
	}
}

/* A KUnit device behind its own fake IOMMU domain (4 KiB and 2 MiB pages). */
static struct vcm_test_dev *vcm_test_iommu_device(struct kunit *test,
						  const char *name,
						  unsigned int flags,
						  struct vcm_fake_iommu **fake)
{
	struct vcm_test_dev *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct vcm_fake_iommu *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->domain.type = IOMMU_DOMAIN_DMA;
	f->domain.ops = &vcm_fake_ops;
	f->domain.pgsize_bitmap = SZ_4K | SZ_2M;
	f->domain.geometry.aperture_end = DMA_BIT_MASK(48);
	f->domain.geometry.force_aperture = true;
	f->budget = -1;
	xa_init(&f->pt);
	spin_lock_init(&f->lock);
	ret = kunit_add_action_or_reset(test, vcm_fake_destroy, &f->pt);
	KUNIT_ASSERT_EQ(test, 0, ret);
	t->dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->dev);
	t->dev->dma_parms = &t->parms;
	t->assoc = vcm_attach_device_domain(t->dev, &f->domain, flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, t->assoc);
	ret = kunit_add_action_or_reset(test, vcm_test_release, t->dev);
	KUNIT_ASSERT_EQ(test, 0, ret);
	KUNIT_ASSERT_EQ(test, t->assoc->vcm->kind, VCM_KIND_IOMMU);
	ret = dma_set_mask_and_coherent(t->dev, DMA_BIT_MASK(64));
	KUNIT_ASSERT_EQ(test, 0, ret);
	*fake = f;
	return t;
}

/*
 * Another KUnit device in the domain of @f (two devices of one IOMMU
 * group), on VCM with @flags, released when the test ends.
 */
static struct device *vcm_test_iommu_peer(struct kunit *test,
					  const char *name,
					  struct vcm_fake_iommu *f,
					  unsigned int flags)
{
	struct device *dev = kunit_device_register(test, name);
	struct vcm_assoc *assoc;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	assoc = vcm_attach_device_domain(dev, &f->domain, flags);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, assoc);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test,
							   vcm_test_release,
							   dev));
	KUNIT_ASSERT_EQ(test, 0,
			dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)));
	return dev;
}

/*
 * A write-combining buffer behind an IOMMU: its reservation is mapped
 * without IOMMU_CACHE, a write-back one with it (the device is coherent),
 * and every streaming mapping of their pages follows its buffer, through
 * a reservation or not.
 */
static void vcm_test_iommu_wc(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-iwc",
						       VCM_ATTACH_TRACK, &f);
	const size_t size = 4 * PAGE_SIZE;
	struct scatterlist sg[2];
	dma_addr_t wc, wb, addr;
	void *cwc, *cwb;

	cwc = dma_alloc_wc(t->dev, size, &wc, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cwc);
	cwb = dma_alloc_coherent(t->dev, size, &wb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cwb);
	KUNIT_EXPECT_EQ(test, vcm_test_cpu_cache(cwc), 1);
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, wc) & (IOMMU_CACHE | IOMMU_READ),
			IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, wc + size - PAGE_SIZE) &
			(IOMMU_CACHE | IOMMU_READ), IOMMU_READ);
	KUNIT_EXPECT_TRUE(test, vcm_fake_prot(f, wb) & IOMMU_CACHE);

	addr = dma_map_page(t->dev, vcm_test_cpu_page(cwc + PAGE_SIZE), 0,
			    PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, addr) &
			(IOMMU_CACHE | IOMMU_READ), IOMMU_READ);
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	addr = dma_map_page(t->dev, vcm_test_cpu_page(cwb + PAGE_SIZE), 0,
			    PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_TRUE(test, vcm_fake_prot(f, addr) & IOMMU_CACHE);
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);

	/*
	 * Off any reservation: a range from the buffer's last page into the
	 * page after it, and a list of a page of each buffer.  The typed
	 * page is not cached, the other is.
	 */
	addr = dma_map_page(t->dev, vcm_test_cpu_page(cwc + size - PAGE_SIZE),
			    0, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, addr) &
			(IOMMU_CACHE | IOMMU_READ), IOMMU_READ);
	dma_unmap_page(t->dev, addr, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], vcm_test_cpu_page(cwc), PAGE_SIZE, 0);
	sg_set_page(&sg[1], vcm_test_cpu_page(cwb), PAGE_SIZE, 0);
	KUNIT_ASSERT_GT(test, dma_map_sg(t->dev, sg, 2, DMA_TO_DEVICE), 0);
	addr = sg_dma_address(sg);
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, addr) &
			(IOMMU_CACHE | IOMMU_READ), IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, addr + PAGE_SIZE) &
			(IOMMU_CACHE | IOMMU_READ), IOMMU_CACHE | IOMMU_READ);
	dma_unmap_sg(t->dev, sg, 2, DMA_TO_DEVICE);

	dma_free_coherent(t->dev, size, cwb, wb);
	dma_free_wc(t->dev, size, cwc, wc);
	vcm_test_no_errors(test, t);
}

static void vcm_test_iommu_map_page(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-im",
						       VCM_ATTACH_TRACK, &f);
	struct page *page = alloc_page(GFP_KERNEL);
	struct page *block = vcm_test_block(test);
	dma_addr_t addr;
	int syncs;

	/* Behind an IOMMU, mappings above the IOVA rcache's range slow down. */
	KUNIT_EXPECT_EQ(test, dma_opt_mapping_size(t->dev),
			min(dma_max_mapping_size(t->dev), iova_rcache_range()));

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = dma_map_page(t->dev, page, 100, 200, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	/* An IOVA, not the physical address, with the offset kept ... */
	KUNIT_EXPECT_EQ(test, addr & ~PAGE_MASK, 100);
	KUNIT_EXPECT_EQ(test, f->live, PAGE_SIZE);
	/* ... that translates to this page, read-only for the device. */
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr),
			page_to_phys(page) + 100);
	KUNIT_EXPECT_TRUE(test, vcm_fake_prot(f, addr) & IOMMU_READ);
	KUNIT_EXPECT_FALSE(test, vcm_fake_prot(f, addr) & IOMMU_WRITE);
	syncs = f->syncs;
	dma_unmap_page(t->dev, addr, 200, DMA_TO_DEVICE);
	/* Strict: unmapped and invalidated before the call returns. */
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_GT(test, f->syncs, syncs);

	/* A mapping that crosses a granule takes both, and gives both back. */
	addr = dma_map_page(t->dev, block, PAGE_SIZE - 96, 200,
			    DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, f->live, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr + 150),
			page_to_phys(block) + PAGE_SIZE + 54);
	dma_unmap_page(t->dev, addr, 200, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, f->live, 0);

	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(28)));
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_LE(test, addr + PAGE_SIZE - 1, DMA_BIT_MASK(28));
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	/* MMIO gets an IOVA too, and gives it back. */
	addr = dma_map_resource(t->dev, 0xfe000000, 100, DMA_FROM_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, f->live, PAGE_SIZE);
	dma_unmap_resource(t->dev, addr, 100, DMA_FROM_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, dma_get_merge_boundary(t->dev), PAGE_SIZE - 1);
	KUNIT_EXPECT_EQ(test, dma_opt_mapping_size(t->dev),
			iova_rcache_range());
	vcm_test_no_errors(test, t);
	__free_pages(block, 3);
	__free_page(page);
}

static void vcm_test_iommu_reserved(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-ir",
						       VCM_ATTACH_TRACK, &f);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr[64], lo = SZ_4G - SZ_1M, hi = SZ_4G - 1;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	/* Like the MSI window: IOVAs there must never be handed out. */
	vcm_iommu_reserve(t->assoc->vcm, lo, hi);
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(32)));
	for (i = 0; i < ARRAY_SIZE(addr); i++) {
		addr[i] = dma_map_page(t->dev, page, 0, PAGE_SIZE,
				       DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr[i]));
		KUNIT_EXPECT_TRUE(test, addr[i] + PAGE_SIZE - 1 < lo ||
				  addr[i] > hi);
	}
	for (i = 0; i < ARRAY_SIZE(addr); i++)
		dma_unmap_page(t->dev, addr[i], PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	__free_page(page);
}

static void vcm_test_iommu_large_pages(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-il",
						       VCM_ATTACH_TRACK, &f);
	struct vcm_iommu *vi = t->assoc->vcm->iommu;
	dma_addr_t handle;
	u8 *cpu;

	cpu = dma_alloc_coherent(t->dev, SZ_4M, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	/* Two 2 MiB chunks at a 2 MiB aligned IOVA: two 2 MiB IOMMU pages. */
	KUNIT_EXPECT_EQ(test, handle & (SZ_2M - 1), 0);
	KUNIT_EXPECT_EQ(test, f->by_size[21], SZ_4M);
	KUNIT_EXPECT_EQ(test, f->by_size[12], 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vi->mapped[21]), SZ_4M);
	/* The CPU view covers the whole buffer, zeroed. */
	KUNIT_EXPECT_EQ(test, cpu[0], 0);
	KUNIT_EXPECT_EQ(test, cpu[SZ_4M - 1], 0);
	dma_free_coherent(t->dev, SZ_4M, cpu, handle);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vi->mapped[21]), 0);

	/* A 2 MiB page and two small ones: both sizes counted, both back. */
	cpu = dma_alloc_coherent(t->dev, SZ_2M + 2 * PAGE_SIZE, &handle,
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vi->mapped[21]), SZ_2M);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vi->mapped[PAGE_SHIFT]),
			2 * PAGE_SIZE);
	dma_free_coherent(t->dev, SZ_2M + 2 * PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vi->mapped[21]), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vi->mapped[PAGE_SHIFT]), 0);
	vcm_test_no_errors(test, t);
}

static void vcm_test_iommu_map_fails_halfway(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-if",
						       VCM_ATTACH_TRACK, &f);
	unsigned long before = vcm_test_nr_phys();
	unsigned int batch = PAGE_SIZE / sizeof(struct scatterlist);
	unsigned int nr_held = 2 * batch + 64;
	struct page *pages[4], **held;
	struct scatterlist sgl[4];
	struct vcm_phys *phys;
	struct vcm_res *res;
	dma_addr_t handle, again;
	long first_batch = 0;
	void *cpu;
	int i;

	/* Mapping a coherent buffer fails half way through. */
	f->budget = SZ_2M;
	cpu = dma_alloc_coherent(t->dev, SZ_4M, &handle, GFP_KERNEL);
	KUNIT_EXPECT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_STAT_ALLOC_FAILED), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->assoc->vcm->iommu->mapped[21]),
			0);

	/* The IOVA range went back: the next allocation can have it. */
	f->budget = -1;
	cpu = dma_alloc_coherent(t->dev, SZ_4M, &again, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, f->live, SZ_4M);
	dma_free_coherent(t->dev, SZ_4M, cpu, again);

	/*
	 * A native mapping of more chunks than one batch of iommu_map_sg()
	 * (a page of entries; lone pages: the second page of each order-1
	 * block is freed, the first kept, so no two of them are adjacent):
	 * the first batch maps and is accounted, the second fails two pages
	 * in.  Page tables and page-size counters both go back to nothing.
	 */
	held = kunit_kcalloc(test, nr_held, sizeof(*held), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, held);
	for (i = 0; i < nr_held; i++) {
		held[i] = alloc_pages(GFP_KERNEL, 1);
		KUNIT_ASSERT_NOT_NULL(test, held[i]);
		split_page(held[i], 1);
		__free_page(held[i] + 1);
	}
	phys = vcm_phys_alloc_chunks(NULL, (batch + 32) * PAGE_SIZE, GFP_KERNEL,
				     BIT(0));
	for (i = 0; i < nr_held; i++)
		__free_page(held[i]);
	KUNIT_ASSERT_NOT_NULL(test, phys);
	KUNIT_ASSERT_GT(test, phys->nr_chunks, batch + 8);
	for (i = 0; i < batch; i++)
		first_batch += phys->chunks[i].nr_pages << PAGE_SHIFT;
	f->budget = first_batch + 2 * PAGE_SIZE;
	res = vcm_map_phys(t->dev, phys, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_TRUE(test, IS_ERR(res));
	KUNIT_EXPECT_EQ(test, f->budget, 0);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&t->assoc->vcm->iommu->mapped[PAGE_SHIFT]),
			0);
	vcm_phys_put(phys);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	f->budget = -1;

	vcm_test_sg_pages(test, sgl, pages, 4);
	/* The third entry of an sg list fails to map. */
	f->budget = 2 * PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, dma_map_sg(t->dev, sgl, 4, DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	for (i = 0; i < 4; i++)
		__free_page(pages[i]);
}

static void vcm_test_iommu_sg(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-is",
						       VCM_ATTACH_TRACK, &f);
	struct scatterlist sgl[4];
	struct page *pages[4];
	int i, n;

	/* Whole pages, wherever they are, become one IOVA-contiguous run. */
	vcm_test_sg_pages(test, sgl, pages, 4);
	/* An entry not starting on a granule cannot join it. */
	sg_set_page(&sgl[3], pages[3], 1000, 24);
	n = dma_map_sg(t->dev, sgl, 4, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_EQ(test, n, 2);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[0]), 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[1]) & ~PAGE_MASK, 24);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[1]) & PAGE_MASK,
			sg_dma_address(&sgl[0]) + 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, f->live, 4 * PAGE_SIZE);
	dma_unmap_sg(t->dev, sgl, 4, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, f->live, 0);

	/* A 2-page max segment splits the run. */
	t->parms.max_segment_size = 2 * PAGE_SIZE;
	for (i = 0; i < 4; i++)
		sg_set_page(&sgl[i], pages[i], PAGE_SIZE, 0);
	n = dma_map_sg(t->dev, sgl, 4, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, n, 2);
	dma_unmap_sg(t->dev, sgl, 4, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	vcm_test_no_errors(test, t);
	for (i = 0; i < 4; i++)
		__free_page(pages[i]);
}

/*
 * Lazy mode: a device of an IOMMU group leaves while its partner's unmap
 * is queued.  The leave invalidates the IOTLB (nothing the leaver unmapped
 * stays reachable) but frees no queued IOVA: the partner's may belong to
 * an unmap that has not returned yet; the timer frees it once it is old
 * enough, and the last device's leave frees the rest.
 */
static void vcm_test_iommu_lazy_detach(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *a = vcm_test_iommu_device(test, "vcm-lda",
			VCM_ATTACH_TRACK | VCM_ATTACH_LAZY, &f);
	struct device *b = vcm_test_iommu_peer(test, "vcm-ldb", f,
					       VCM_ATTACH_TRACK |
					       VCM_ATTACH_LAZY);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr;
	int flushes;
	long flushed;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_PTR_EQ(test, vcm_assoc_of(b)->vcm, a->assoc->vcm);

	addr = dma_map_page(a->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(a->dev, addr));
	dma_unmap_page(a->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	flushes = f->flushes;
	flushed = atomic_long_read(&a->assoc->vcm->iommu->lazy_flushed);
	vcm_release_device(b);
	KUNIT_EXPECT_GT(test, f->flushes, flushes);
	KUNIT_EXPECT_EQ(test,
			atomic_long_read(&a->assoc->vcm->iommu->lazy_flushed),
			flushed);
	msleep(100);
	KUNIT_EXPECT_EQ(test,
			atomic_long_read(&a->assoc->vcm->iommu->lazy_flushed),
			flushed + 1);
	vcm_test_no_errors(test, a);
	__free_page(page);
}

static void vcm_test_iommu_lazy(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-iz",
			VCM_ATTACH_TRACK | VCM_ATTACH_LAZY, &f);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t *addrs = kunit_kcalloc(test, VCM_LAZY_ENTRIES + 1,
					  sizeof(*addrs), GFP_KERNEL);
	dma_addr_t addr;
	long flushed;
	int i, n, flushes;

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	flushes = f->flushes;
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	/*
	 * As with dma-iommu's flush queue: out of the page tables at once,
	 * no new translation can reach the page ...
	 */
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr), 0);
	/* ... the IOTLB flush and the IOVA's reuse wait for the batch ... */
	KUNIT_EXPECT_EQ(test, f->flushes, flushes);
	KUNIT_EXPECT_EQ(test,
			atomic_long_read(&t->assoc->vcm->iommu->lazy_flushed),
			0);
	msleep(100);
	/* ... which comes within the bounded delay. */
	KUNIT_EXPECT_GT(test, f->flushes, flushes);
	KUNIT_EXPECT_EQ(test,
			atomic_long_read(&t->assoc->vcm->iommu->lazy_flushed),
			1);

	/*
	 * A full queue is flushed by its CPU, in one batch: however the
	 * timer cut in, no more than a queue's worth waits.
	 */
	KUNIT_ASSERT_NOT_NULL(test, addrs);
	flushed = atomic_long_read(&t->assoc->vcm->iommu->lazy_flushed);
	migrate_disable();
	for (i = 0; i <= VCM_LAZY_ENTRIES; i++) {
		addrs[i] = dma_map_page(t->dev, page, 0, PAGE_SIZE,
					DMA_TO_DEVICE);
		if (dma_mapping_error(t->dev, addrs[i]))
			break;
	}
	for (n = i, i = 0; i < n; i++)
		dma_unmap_page(t->dev, addrs[i], PAGE_SIZE, DMA_TO_DEVICE);
	migrate_enable();
	KUNIT_ASSERT_EQ(test, n, VCM_LAZY_ENTRIES + 1);
	flushed = atomic_long_read(&t->assoc->vcm->iommu->lazy_flushed) -
		  flushed;
	KUNIT_EXPECT_GE(test, flushed, 1);
	KUNIT_EXPECT_LE(test, flushed, VCM_LAZY_ENTRIES + 1);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	msleep(100);
	KUNIT_EXPECT_EQ(test,
			atomic_long_read(&t->assoc->vcm->iommu->lazy_flushed),
			VCM_LAZY_ENTRIES + 2);
	vcm_test_no_errors(test, t);
	__free_page(page);
}

/*
 * A driver that unbinds with mappings live: VCM takes every one out of the
 * page tables, a scatterlist (whose memory is gone) from the IOVA range it
 * noted, a resource from its record.
 */
static void vcm_test_iommu_teardown(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-iteardown",
						       VCM_ATTACH_TRACK, &f);
	unsigned long before = vcm_test_nr_phys();
	struct scatterlist *sgl = kunit_kcalloc(test, 4, sizeof(*sgl),
						GFP_KERNEL);
	struct page *pages[4];
	dma_addr_t handle;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, sgl);
	vcm_test_sg_pages(test, sgl, pages, 4);
	t->parms.max_segment_size = 2 * PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, dma_map_sg(t->dev, sgl, 4, DMA_TO_DEVICE), 2);
	handle = dma_map_page(t->dev, pages[0], 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, handle));
	handle = dma_map_resource(t->dev, 0xfe000000, PAGE_SIZE,
				  DMA_TO_DEVICE, 0);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, handle));
	KUNIT_ASSERT_NOT_NULL(test, dma_alloc_coherent(t->dev, SZ_8K, &handle,
						       GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, f->live, 4 * PAGE_SIZE + 2 * PAGE_SIZE + SZ_8K);
	/* The list's memory is gone before the driver unbinds. */
	memset(sgl, 0, 4 * sizeof(*sgl));

	vcm_detach_device(t->dev);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_LEAKED), 4);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(t), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	for (i = 0; i < 4; i++)
		__free_page(pages[i]);
}

/* Fault reports say what the faulting address was to VCM. */
static void vcm_test_iommu_fault(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-ifault",
						       VCM_ATTACH_TRACK, &f);
	struct page *page = alloc_page(GFP_KERNEL);
	struct vcm *vcm = t->assoc->vcm;
	dma_addr_t addr, handle;
	char what[128];
	void *cpu;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_PTR_EQ(test, f->domain.handler_token, (void *)vcm);
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_FROM_DEVICE);
	/* The driver (report_iommu_fault()) goes on with its own report. */
	KUNIT_EXPECT_EQ(test, -ENOSYS,
			report_iommu_fault(&f->domain, t->dev, addr + 8,
					   IOMMU_FAULT_WRITE));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vcm->iommu->faults), 1);
	KUNIT_EXPECT_EQ(test, VCM_FAULT_UNMAPPED,
			vcm_iommu_fault_explain(vcm, addr + 8, what,
						sizeof(what)));
	KUNIT_EXPECT_NOT_NULL(test, strstr(what, "streaming mapping"));

	cpu = dma_alloc_coherent(t->dev, 3 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, VCM_FAULT_RES,
			vcm_iommu_fault_explain(vcm, handle + 2 * PAGE_SIZE,
						what, sizeof(what)));
	KUNIT_EXPECT_NOT_NULL(test, strstr(what, "live coherent buffer"));
	/* One byte past the end is not the buffer's. */
	KUNIT_EXPECT_NE(test, VCM_FAULT_RES,
			vcm_iommu_fault_explain(vcm, handle + 3 * PAGE_SIZE,
						what, sizeof(what)));
	dma_free_coherent(t->dev, 3 * PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, VCM_FAULT_UNMAPPED,
			vcm_iommu_fault_explain(vcm, handle + PAGE_SIZE, what,
						sizeof(what)));
	KUNIT_EXPECT_NOT_NULL(test, strstr(what, "coherent buffer"));
	/* Far from anything VCM handed out. */
	KUNIT_EXPECT_EQ(test, VCM_FAULT_UNKNOWN,
			vcm_iommu_fault_explain(vcm, DMA_BIT_MASK(40), what,
						sizeof(what)));
	vcm_test_no_errors(test, t);
	__free_page(page);
}

/*
 * GFP_ATOMIC coherent allocations (dma_pool_alloc() in an interrupt
 * handler) must not sleep anywhere, page tables included: the caller's gfp
 * reaches iommu_map().
 */
static void vcm_test_iommu_atomic_alloc(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-iatomic",
						       VCM_ATTACH_TRACK, &f);
	dma_addr_t handle;
	int blocking;
	void *cpu;

	blocking = f->blocking_maps;
	cpu = dma_alloc_coherent(t->dev, SZ_64K, &handle, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, f->blocking_maps, blocking);
	KUNIT_EXPECT_NE(test, iommu_iova_to_phys(&f->domain, handle), 0);
	dma_free_coherent(t->dev, SZ_64K, cpu, handle);
	/* A GFP_KERNEL one may sleep, and says so to the IOMMU driver. */
	cpu = dma_alloc_coherent(t->dev, SZ_64K, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_GT(test, f->blocking_maps, blocking);
	dma_free_coherent(t->dev, SZ_64K, cpu, handle);
	vcm_test_no_errors(test, t);
}

/* A native mapping gets the permissions of its direction, as DMA API ones. */
static void vcm_test_iommu_native_dir(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-inative",
						       VCM_ATTACH_TRACK, &f);
	struct vcm_phys *phys = vcm_phys_alloc(t->dev, 2 * PAGE_SIZE,
					       GFP_KERNEL);
	struct vcm_res *to, *from;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	to = vcm_map_phys(t->dev, phys, DMA_TO_DEVICE);
	from = vcm_map_phys(t->dev, phys, DMA_FROM_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, to);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, from);
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, vcm_res_addr(to)) &
			(IOMMU_READ | IOMMU_WRITE), IOMMU_READ);
	KUNIT_EXPECT_EQ(test, vcm_fake_prot(f, vcm_res_addr(from)) &
			(IOMMU_READ | IOMMU_WRITE), IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain,
						 vcm_res_addr(to) + PAGE_SIZE),
			PFN_PHYS(phys->chunks[0].pfn) + PAGE_SIZE);
	vcm_unmap(to);
	vcm_unmap(from);
	vcm_phys_put(phys);
	KUNIT_EXPECT_EQ(test, f->live, 0);
}

/*
 * An unmap of a handle that is not a streaming mapping stops at VCM: a
 * coherent buffer living at that address stays mapped.
 */
static void vcm_test_iommu_unknown_unmap(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-iunknown",
						       VCM_ATTACH_TRACK, &f);
	dma_addr_t handle;
	phys_addr_t phys;
	void *cpu;

	cpu = dma_alloc_coherent(t->dev, PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = iommu_iova_to_phys(&f->domain, handle);
	KUNIT_EXPECT_EQ(test, phys, virt_to_phys(cpu));
	dma_unmap_page(t->dev, handle, PAGE_SIZE, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(t, VCM_ERR_UNKNOWN_HANDLE), 1);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, handle), phys);
	KUNIT_EXPECT_EQ(test, f->live, PAGE_SIZE);
	dma_free_coherent(t->dev, PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, f->live, 0);
}

/*
 * The domain goes back to dma-iommu with nothing of VCM's in its page
 * tables, even what an untracked ("notrack") driver leaked; what the IOMMU
 * core mapped in a reserved region (a direct mapping) stays.
 */
static void vcm_test_iommu_hand_back(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-ihandback",
						       0, &f);
	struct scatterlist sgl[3];
	struct page *pages[3];
	dma_addr_t rmrr = SZ_1G, addr;
	int i;

	/* As iommu_create_device_direct_mappings() would have it. */
	KUNIT_ASSERT_EQ(test, 0, vcm_iommu_reserve(t->assoc->vcm, rmrr,
						   rmrr + SZ_64K - 1));
	KUNIT_ASSERT_EQ(test, 0, iommu_map(&f->domain, rmrr, rmrr, SZ_64K,
					   IOMMU_READ, GFP_KERNEL));
	vcm_test_sg_pages(test, sgl, pages, 3);
	t->parms.max_segment_size = PAGE_SIZE;
	t->parms.segment_boundary_mask = 2 * PAGE_SIZE - 1;
	KUNIT_ASSERT_EQ(test, dma_map_sg(t->dev, sgl, 3, DMA_TO_DEVICE), 3);
	addr = dma_map_page(t->dev, pages[0], 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, addr));
	KUNIT_EXPECT_EQ(test, f->live, SZ_64K + 4 * PAGE_SIZE);

	/* The driver unbinds without unmapping; VCM recorded nothing. */
	vcm_detach_device(t->dev);
	KUNIT_EXPECT_EQ(test, f->live, SZ_64K);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, rmrr + PAGE_SIZE),
			rmrr + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr), 0);
	iommu_unmap(&f->domain, rmrr, SZ_64K);
	for (i = 0; i < 3; i++)
		__free_page(pages[i]);
}

static void vcm_test_group_leave(void *dev)
{
	iommu_group_remove_device(dev);
}

/* @dev in @group, leaving it before it is unregistered. */
static void vcm_test_group_add(struct kunit *test, struct iommu_group *group,
			       struct device *dev)
{
	int ret;

	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(group, dev));
	ret = kunit_add_action_or_reset(test, vcm_test_group_leave, dev);
	KUNIT_ASSERT_EQ(test, 0, ret);
}

static const char *vcm_test_blocker(struct device *dev)
{
	const char *why;

	mutex_lock(&vcm_graph_lock);
	why = vcm_group_blocker(dev);
	mutex_unlock(&vcm_graph_lock);
	return why;
}

/*
 * One IOVA allocator per domain: a device may go on VCM only if no partner
 * in its IOMMU group is bound outside VCM.  An unbound partner, or one
 * bound and served by VCM, lets the device in; one bound with no
 * association, or still bound after VCM let it go (idle), keeps it out.
 * KUnit devices are bound to a driver of the kunit bus when registered;
 * device_release_driver() and device_attach() unbind and bind them.  (A
 * partner that vcm.exclude= names: the vtd-lazy scenario's check
 * iommu-group-excluded-as-a-whole.)
 */
static void vcm_test_iommu_group_states(struct kunit *test)
{
	static const char outside[] =
		"IOMMU group has a device bound to a driver outside VCM";
	struct device *dev = kunit_device_register(test, "vcm-grp-dev");
	struct device *plain = kunit_device_register(test, "vcm-grp-plain");
	struct vcm_test_dev *served = vcm_test_device(test, "vcm-grp-vcm");
	struct iommu_group *group;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, plain);
	KUNIT_ASSERT_NOT_NULL(test, READ_ONCE(plain->driver));
	group = iommu_group_alloc();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	vcm_test_group_add(test, group, dev);
	/* Each device holds the group from here on. */
	iommu_group_put(group);
	/* Alone, and bound itself: the device never blocks itself. */
	KUNIT_EXPECT_NULL(test, vcm_test_blocker(dev));

	/* A partner bound outside VCM, unbound, bound again. */
	vcm_test_group_add(test, group, plain);
	KUNIT_EXPECT_STREQ(test, vcm_test_blocker(dev), outside);
	device_release_driver(plain);
	KUNIT_EXPECT_NULL(test, vcm_test_blocker(dev));
	KUNIT_EXPECT_EQ(test, device_attach(plain), 1);
	KUNIT_EXPECT_STREQ(test, vcm_test_blocker(dev), outside);
	device_release_driver(plain);

	/* A bound partner on VCM lets the device in ... */
	vcm_test_group_add(test, group, served->dev);
	KUNIT_EXPECT_NULL(test, vcm_test_blocker(dev));
	/* ... until VCM lets it go while it stays bound. */
	vcm_detach_device(served->dev);
	KUNIT_EXPECT_STREQ(test, vcm_test_blocker(dev), outside);
	device_release_driver(served->dev);
	KUNIT_EXPECT_NULL(test, vcm_test_blocker(dev));
}

/*
 * dma-iommu's per-device latch for PCI devices: 32-bit IOVAs first, until
 * that space is full once; from then on (and with iommu.forcedac=1 from
 * the start) the whole mask.  VCM reads and clears the same flag.
 */
/*
 * Behind two IOMMU domains: the peer maps the owner's buffer once, with
 * the owner's pages behind one IOVA range of its own, whatever part of the
 * buffer each mapping names; a second direction is a second range, read-
 * only for a to-device share.  The owner's free leaves the peer's mapping
 * intact; the peer's last unmap takes it down.
 */
static void vcm_test_iommu_share(struct kunit *test)
{
	struct vcm_fake_iommu *fa, *fb;
	struct vcm_test_dev *a = vcm_test_iommu_device(test, "vcm-isa",
						       VCM_ATTACH_TRACK, &fa);
	struct vcm_test_dev *b = vcm_test_iommu_device(test, "vcm-isb", 0,
						       &fb);
	unsigned long before = vcm_test_nr_phys();
	struct vcm_phys *phys, *found;
	struct sg_table sgt;
	dma_addr_t handle, base, addr, ro;
	unsigned int nres, i;
	u8 *cpu;

	cpu = dma_alloc_coherent(a->dev, 8 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_ASSERT_EQ(test, 0, dma_get_sgtable(a->dev, &sgt, cpu, handle,
						 8 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, sgt.orig_nents, phys->nr_chunks);
	KUNIT_ASSERT_EQ(test, 0, dma_map_sgtable(b->dev, &sgt,
						 DMA_BIDIRECTIONAL, 0));
	/* One DMA segment: the whole buffer, IOVA-contiguous. */
	KUNIT_EXPECT_EQ(test, sgt.nents, 1);
	KUNIT_EXPECT_EQ(test, sg_dma_len(sgt.sgl), 8 * PAGE_SIZE);
	base = sg_dma_address(sgt.sgl);
	KUNIT_EXPECT_EQ(test, fb->live, 8 * PAGE_SIZE);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&fb->domain,
							 base + i * PAGE_SIZE + 7),
				page_to_phys(vcm_test_cpu_page(cpu + i * PAGE_SIZE)) + 7);

	/*
	 * A page in the middle: a reservation of that page alone, as
	 * dma-iommu would map it -- the whole buffer's mapping grants more.
	 */
	addr = dma_map_page(b->dev, vcm_test_cpu_page(cpu + 5 * PAGE_SIZE), 64,
			    256, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, addr));
	KUNIT_EXPECT_EQ(test, offset_in_page(addr), 64);
	KUNIT_EXPECT_EQ(test, fb->live, 9 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&fb->domain, addr),
			page_to_phys(vcm_test_cpu_page(cpu + 5 * PAGE_SIZE)) + 64);
	/* The buffer behind a streaming address of the peer. */
	found = vcm_phys_from_dma(b->dev, addr);
	KUNIT_EXPECT_PTR_EQ(test, found, phys);
	vcm_phys_put(found);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, b->assoc->vcm, &nres),
			2);
	KUNIT_EXPECT_EQ(test, nres, 2);

	/* To the device: a range of its own, which the device cannot write. */
	ro = dma_map_page(b->dev, vcm_test_cpu_page(cpu), 0, PAGE_SIZE,
			  DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, ro));
	KUNIT_EXPECT_EQ(test, fb->live, 10 * PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, vcm_fake_prot(fb, ro) & IOMMU_WRITE);
	KUNIT_EXPECT_TRUE(test, vcm_fake_prot(fb, base) & IOMMU_WRITE);
	dma_unmap_page(b->dev, ro, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, fb->live, 9 * PAGE_SIZE);

	/* The owner frees: its own mapping goes, the peer's stays. */
	dma_free_coherent(a->dev, 8 * PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, fa->live, 0);
	KUNIT_EXPECT_EQ(test, fb->live, 9 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	dma_unmap_sgtable(b->dev, &sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, fb->live, PAGE_SIZE);
	dma_unmap_page(b->dev, addr, 256, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, fb->live, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&b->assoc->vcm->nr_shared), 0);
	vcm_phys_put(phys);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	sg_free_table(&sgt);
	vcm_test_no_errors(test, a);
	vcm_test_no_errors(test, b);
}

/*
 * Peer @b maps pages @p0 and @p1 of the buffer at @cpu as a list that is
 * not one run of it: the ordinary way, its two pages and nothing more.
 */
static void vcm_test_sg_off_buffer(struct kunit *test, struct vcm_test_dev *b,
				   struct vcm_fake_iommu *fb, u8 *cpu,
				   unsigned int p0, unsigned int p1,
				   enum dma_data_direction dir)
{
	struct scatterlist sgl[2];

	sg_init_table(sgl, 2);
	sg_set_page(&sgl[0], vcm_test_cpu_page(cpu + p0 * PAGE_SIZE),
		    PAGE_SIZE, 0);
	sg_set_page(&sgl[1], vcm_test_cpu_page(cpu + p1 * PAGE_SIZE),
		    PAGE_SIZE, 0);
	KUNIT_ASSERT_GT(test, dma_map_sg(b->dev, sgl, 2, dir), 0);
	KUNIT_EXPECT_EQ(test, fb->live, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&b->assoc->vcm->nr_shared), 0);
	dma_unmap_sg(b->dev, sgl, 2, dir);
	KUNIT_EXPECT_EQ(test, fb->live, 0);
}

/*
 * Map once per domain grants no more than dma-iommu would for the same
 * call: a reservation is reused only for the same pages, direction and
 * privilege.  Every partial range (first page, last page, a page inside,
 * a run across a chunk boundary, a range at an offset inside a page) gets
 * its own, covering just its pages; a list with a gap between its pages,
 * or out of buffer order, is not mapped through the buffer at all; a
 * second device of the same domain asking for the same pages and direction
 * reuses them.  Pages outside each grant do not translate through it, and
 * a to-device grant is never writable.
 */
static void vcm_test_iommu_share_grants(struct kunit *test)
{
	static const struct { unsigned int page, off, len; } ranges[] = {
		{ 0, 0, PAGE_SIZE }, { 7, 0, PAGE_SIZE }, { 3, 100, 200 },
		{ 1, 0, 3 * PAGE_SIZE }, { 2, PAGE_SIZE - 1, 2 },
		{ 0, 0, 8 * PAGE_SIZE },
	};
	static const enum dma_data_direction dirs[] = {
		DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
	};
	struct vcm_fake_iommu *fb;
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-gra");
	struct vcm_test_dev *b = vcm_test_iommu_device(test, "vcm-grb", 0, &fb);
	struct scatterlist sgl[2];
	dma_addr_t handle, addr, again;
	unsigned int r, d, nres;
	struct vcm_phys *phys;
	u8 *cpu;

	cpu = dma_alloc_attrs(a->dev, 8 * PAGE_SIZE, &handle, GFP_KERNEL, 0);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	for (r = 0; r < ARRAY_SIZE(ranges); r++) {
		for (d = 0; d < ARRAY_SIZE(dirs); d++) {
			unsigned int first = ranges[r].page;
			size_t off = ranges[r].off, len = ranges[r].len;
			size_t pages = PAGE_ALIGN(off + len) >> PAGE_SHIFT;
			dma_addr_t page0;
			int prot;

			addr = dma_map_page(b->dev,
					    vcm_test_cpu_page(cpu + first * PAGE_SIZE),
					    off, len, dirs[d]);
			KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, addr));
			KUNIT_EXPECT_EQ(test, fb->live, pages * PAGE_SIZE);
			page0 = addr - off;
			prot = vcm_fake_prot(fb, page0);
			KUNIT_EXPECT_EQ(test, !!(prot & IOMMU_WRITE),
					dirs[d] != DMA_TO_DEVICE);
			KUNIT_EXPECT_EQ(test, !!(prot & IOMMU_READ),
					dirs[d] != DMA_FROM_DEVICE);
			/* Nothing translates before or after the grant. */
			KUNIT_EXPECT_EQ(test, vcm_fake_prot(fb, page0 - 1), -1);
			KUNIT_EXPECT_EQ(test,
					vcm_fake_prot(fb, page0 + pages * PAGE_SIZE),
					-1);
			KUNIT_EXPECT_EQ(test,
					iommu_iova_to_phys(&fb->domain,
							   page0 + pages * PAGE_SIZE - 1),
					page_to_phys(vcm_test_cpu_page(cpu + (first + pages) *
								       PAGE_SIZE - 1)) +
					PAGE_SIZE - 1);
			/* The same request again: the same grant. */
			again = dma_map_page(b->dev,
					     vcm_test_cpu_page(cpu + first * PAGE_SIZE),
					     off, len, dirs[d]);
			KUNIT_EXPECT_EQ(test, again, addr);
			KUNIT_EXPECT_EQ(test, fb->live, pages * PAGE_SIZE);
			dma_unmap_page(b->dev, again, len, dirs[d]);
			dma_unmap_page(b->dev, addr, len, dirs[d]);
			KUNIT_EXPECT_EQ(test, fb->live, 0);
		}
	}

	/* Pages 1 and 3: a gap; 3 then 2: out of buffer order. */
	vcm_test_sg_off_buffer(test, b, fb, cpu, 1, 3, DMA_TO_DEVICE);
	vcm_test_sg_off_buffer(test, b, fb, cpu, 3, 2, DMA_FROM_DEVICE);
	/* Pages 2 and 3, in order: one run, through the buffer. */
	sg_init_table(sgl, 2);
	sg_set_page(&sgl[0], vcm_test_cpu_page(cpu + 2 * PAGE_SIZE), PAGE_SIZE,
		    0);
	sg_set_page(&sgl[1], vcm_test_cpu_page(cpu + 3 * PAGE_SIZE), 100, 0);
	KUNIT_ASSERT_EQ(test, dma_map_sg(b->dev, sgl, 2, DMA_FROM_DEVICE), 1);
	KUNIT_EXPECT_EQ(test, fb->live, 2 * PAGE_SIZE);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, b->assoc->vcm, &nres),
			1);
	KUNIT_EXPECT_EQ(test, nres, 1);
	vcm_phys_put(phys);
	dma_unmap_sg(b->dev, sgl, 2, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, fb->live, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&b->assoc->vcm->nr_shared), 0);

	dma_free_attrs(a->dev, 8 * PAGE_SIZE, cpu, handle, 0);
	vcm_test_no_errors(test, a);
	vcm_test_no_errors(test, b);
}

/*
 * Peer @b maps [page of buffer A, page of buffer B, a page of no buffer]
 * of owner @a: the ordinary way, which must still keep both buffers alive.
 * The owner's free of A frees nothing (behind an IOMMU, @fb's page tables
 * still translate to A's page, which is still A's); the unmap lets A go.
 */
static void vcm_test_pin_mixed_list(struct kunit *test, struct vcm_test_dev *a,
				    struct vcm_test_dev *b,
				    struct vcm_fake_iommu *fb)
{
	unsigned long before = vcm_test_nr_phys();
	struct vcm *vcm = b->assoc->vcm;
	struct scatterlist sgl[3];
	dma_addr_t ha, hb;
	struct page *other = alloc_page(GFP_KERNEL);
	phys_addr_t pa;
	void *ca, *cb;

	KUNIT_ASSERT_NOT_NULL(test, other);
	ca = dma_alloc_coherent(a->dev, PAGE_SIZE, &ha, GFP_KERNEL);
	cb = dma_alloc_coherent(a->dev, PAGE_SIZE, &hb, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ca);
	KUNIT_ASSERT_NOT_NULL(test, cb);
	pa = page_to_phys(vcm_test_cpu_page(ca));
	sg_init_table(sgl, 3);
	sg_set_page(&sgl[0], vcm_test_cpu_page(ca), PAGE_SIZE, 0);
	sg_set_page(&sgl[1], vcm_test_cpu_page(cb), PAGE_SIZE, 0);
	sg_set_page(&sgl[2], other, PAGE_SIZE, 0);
	KUNIT_ASSERT_GT(test, dma_map_sg(b->dev, sgl, 3, DMA_BIDIRECTIONAL), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vcm->nr_shared), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vcm->nr_pinned), 2);

	dma_free_coherent(a->dev, PAGE_SIZE, ca, ha);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 2);
	KUNIT_EXPECT_TRUE(test, vcm_index_may_hold(pa));
	if (fb)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&fb->domain,
							 sg_dma_address(sgl)),
				pa);
	dma_unmap_sg(b->dev, sgl, 3, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vcm->nr_pinned), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	dma_free_coherent(a->dev, PAGE_SIZE, cb, hb);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	__free_page(other);
}

/*
 * Every VCM buffer a mapping touches is kept alive by it, through the
 * buffer or not: lists that mix two buffers and other memory, behind an
 * IOMMU (recorded and not) and in a one-to-one window; and a page the
 * peer must bounce, whose copy back at unmap lands in the buffer.
 */
static void vcm_test_pin_unshared(struct kunit *test)
{
	struct vcm_fake_iommu *fa, *fb, *fc;
	struct vcm_test_dev *ia = vcm_test_iommu_device(test, "vcm-pia",
							VCM_ATTACH_TRACK, &fa);
	struct vcm_test_dev *ib = vcm_test_iommu_device(test, "vcm-pib", 0,
							&fb);
	struct vcm_test_dev *ic = vcm_test_iommu_device(test, "vcm-pic",
							VCM_ATTACH_TRACK, &fc);
	struct vcm_test_dev *da = vcm_test_device(test, "vcm-pda");
	struct vcm_test_dev *db = vcm_test_device(test, "vcm-pdb");
	unsigned long before;
	dma_addr_t h, addr;
	u8 *cpu;

	vcm_test_pin_mixed_list(test, ia, ib, fb);
	vcm_test_pin_mixed_list(test, ia, ic, fc);
	vcm_test_pin_mixed_list(test, da, db, NULL);

	/* Two pages of CMA, above swiotlb; @db's limit below them. */
	before = vcm_test_nr_phys();
	cpu = dma_alloc_coherent(da->dev, 2 * PAGE_SIZE, &h, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_ASSERT_TRUE(test, is_swiotlb_active(db->dev));
	KUNIT_ASSERT_GE(test, h, db->dev->dma_io_tlb_mem->defpool.end);
	db->dev->bus_dma_limit = db->dev->dma_io_tlb_mem->defpool.end - 1;
	memset(cpu + PAGE_SIZE, 0x5a, 64);
	addr = dma_map_page(db->dev, vcm_test_cpu_page(cpu + PAGE_SIZE), 0, 64,
			    DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(db->dev, addr));
	KUNIT_EXPECT_EQ(test, vcm_test_stat(db, VCM_STAT_BOUNCED), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&db->assoc->vcm->nr_pinned), 1);
	dma_free_coherent(da->dev, 2 * PAGE_SIZE, cpu, h);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	dma_unmap_page(db->dev, addr, 64, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&db->assoc->vcm->nr_pinned), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
	/* The list and the page pinned; neither went through a buffer. */
	KUNIT_EXPECT_EQ(test, vcm_test_stat(db, VCM_STAT_PINNED), 2);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(db, VCM_STAT_SHARED), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(ib, VCM_STAT_PINNED), 1);
	vcm_test_no_errors(test, ia);
	vcm_test_no_errors(test, ic);
	vcm_test_no_errors(test, db);
}

/*
 * A double unmap of a shared page never reaches the backend, which would
 * unmap what another mapping still uses; a driver that leaves shared
 * mappings behind has them dropped at its unbind, recorded or not.
 */
static void vcm_test_iommu_share_teardown(struct kunit *test)
{
	struct vcm_fake_iommu *fa, *fb, *fc;
	struct vcm_test_dev *a = vcm_test_iommu_device(test, "vcm-ita",
						       VCM_ATTACH_TRACK, &fa);
	struct vcm_test_dev *b = vcm_test_iommu_device(test, "vcm-itb",
						       VCM_ATTACH_TRACK, &fb);
	struct vcm_test_dev *c = vcm_test_iommu_device(test, "vcm-itc", 0,
						       &fc);
	dma_addr_t handle, p1, p2, p3;
	void *cpu;

	cpu = dma_alloc_coherent(a->dev, 2 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	p1 = dma_map_page(b->dev, vcm_test_cpu_page(cpu), 0, 100,
			  DMA_FROM_DEVICE);
	p2 = dma_map_page(b->dev, vcm_test_cpu_page(cpu + PAGE_SIZE), 0, 100,
			  DMA_FROM_DEVICE);
	p3 = dma_map_page(c->dev, vcm_test_cpu_page(cpu), 0, 100,
			  DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, p1));
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, p2));
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(c->dev, p3));
	/* A page each: a reservation each. */
	KUNIT_EXPECT_EQ(test, fb->live, 2 * PAGE_SIZE);
	dma_unmap_page(b->dev, p1, 100, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, fb->live, PAGE_SIZE);
	dma_unmap_page(b->dev, p1, 100, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, vcm_test_stat(b, VCM_ERR_UNKNOWN_HANDLE), 1);
	KUNIT_EXPECT_EQ(test, fb->live, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&fb->domain, p2),
			page_to_phys(vcm_test_cpu_page(cpu + PAGE_SIZE)));

	/* p2 (recorded) and p3 (not) are left behind: unbinds drop them. */
	mutex_lock(&vcm_graph_lock);
	KUNIT_EXPECT_EQ(test, vcm_teardown_assoc(b->assoc), 1);
	KUNIT_EXPECT_EQ(test, vcm_teardown_assoc(c->assoc), 1);
	mutex_unlock(&vcm_graph_lock);
	KUNIT_EXPECT_EQ(test, fb->live, 0);
	KUNIT_EXPECT_EQ(test, fc->live, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&b->assoc->vcm->nr_shared), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&c->assoc->vcm->nr_shared), 0);
	dma_free_coherent(a->dev, 2 * PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, fa->live, 0);
	vcm_test_no_errors(test, a);
}

/*
 * The native interface on part of a buffer: the chunk layout adds up, a
 * range gets one IOVA range of its own size with the buffer's pages
 * behind it, and bad ranges are refused.
 */
static void vcm_test_iommu_native_range(struct kunit *test)
{
	struct vcm_fake_iommu *fa, *fb;
	struct vcm_test_dev *a = vcm_test_iommu_device(test, "vcm-nra",
						       VCM_ATTACH_TRACK, &fa);
	struct vcm_test_dev *b = vcm_test_iommu_device(test, "vcm-nrb", 0,
						       &fb);
	struct vcm_phys *phys;
	struct vcm_res *res;
	dma_addr_t handle;
	phys_addr_t addr;
	size_t len, total = 0;
	unsigned int i;
	void *cpu;

	cpu = dma_alloc_coherent(a->dev, 8 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	for (i = 0; i < vcm_phys_nr_chunks(phys); i++) {
		KUNIT_ASSERT_EQ(test, 0, vcm_phys_chunk(phys, i, &addr, &len));
		total += len;
	}
	KUNIT_EXPECT_EQ(test, total, 8 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vcm_phys_chunk(phys, i, &addr, &len), -EINVAL);

	res = vcm_map_phys_range(b->dev, phys, 2 * PAGE_SIZE, 3 * PAGE_SIZE - 5,
				 DMA_TO_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, res);
	KUNIT_EXPECT_EQ(test, fb->live, 3 * PAGE_SIZE);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ(test,
				iommu_iova_to_phys(&fb->domain,
						   vcm_res_addr(res) + i * PAGE_SIZE + 5),
				page_to_phys(vcm_test_cpu_page(cpu + (2 + i) * PAGE_SIZE)) + 5);
	KUNIT_EXPECT_FALSE(test, vcm_fake_prot(fb, vcm_res_addr(res)) &
				 IOMMU_WRITE);
	vcm_sync_for_device(res, 0, 3 * PAGE_SIZE);
	vcm_sync_for_cpu(res, PAGE_SIZE, PAGE_SIZE);
	vcm_unmap(res);
	KUNIT_EXPECT_EQ(test, fb->live, 0);

	KUNIT_EXPECT_PTR_EQ(test, vcm_map_phys_range(b->dev, phys, 7 * PAGE_SIZE,
						     2 * PAGE_SIZE,
						     DMA_TO_DEVICE),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, vcm_map_phys_range(b->dev, phys, 100,
						     PAGE_SIZE, DMA_TO_DEVICE),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, vcm_map_phys_range(b->dev, phys, 0, 0,
						     DMA_TO_DEVICE),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_EQ(test, fb->live, 0);
	vcm_phys_put(phys);
	dma_free_coherent(a->dev, 8 * PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, fa->live, 0);
	vcm_test_no_errors(test, b);
}

static void vcm_test_gone_cb(struct vcm_res *res, void *data)
{
	(*(int *)data)++;
}

/*
 * The holder of a native mapping is told once when the mapping's device
 * goes away; the mapping, unmapped from the device by then, is freed by
 * its vcm_unmap().
 */
static void vcm_test_native_gone(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-ga");
	struct vcm_test_dev *b = vcm_test_device(test, "vcm-gb");
	unsigned long before = vcm_test_nr_phys();
	struct vcm_phys *phys;
	struct vcm_res *res;
	int calls = 0;

	phys = vcm_phys_alloc(a->dev, 2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	res = vcm_map_phys_range(b->dev, phys, PAGE_SIZE, PAGE_SIZE,
				 DMA_FROM_DEVICE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, res);
	/* One window: the second page at its bus address. */
	KUNIT_EXPECT_EQ(test, vcm_res_addr(res),
			phys_to_dma(b->dev, PFN_PHYS(phys->chunks[0].pfn) +
					    PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, vcm_res_set_gone(res, vcm_test_gone_cb, &calls),
			0);
	vcm_phys_put(phys);

	mutex_lock(&vcm_graph_lock);
	KUNIT_EXPECT_EQ(test, vcm_teardown_assoc(b->assoc), 1);
	mutex_unlock(&vcm_graph_lock);
	KUNIT_EXPECT_EQ(test, calls, 1);
	KUNIT_EXPECT_EQ(test, vcm_res_set_gone(res, vcm_test_gone_cb, &calls),
			-ENODEV);
	vcm_sync_for_cpu(res, 0, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	vcm_unmap(res);
	KUNIT_EXPECT_EQ(test, calls, 1);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
}

struct vcm_test_syncer {
	struct vcm_res *res;
	struct device *dev;
	dma_addr_t handle;
	unsigned long rounds;
	unsigned long found;
	bool stop;
	struct completion done;
};

/*
 * The holder of a native mapping and the user of vcm_phys_from_dma() are
 * other drivers than the one whose device goes away: they go on calling
 * while it does, and must neither touch freed memory (KASAN, on the debug
 * kernel's run of this suite) nor see a half-gone device.
 */
static int vcm_test_sync_fn(void *data)
{
	struct vcm_test_syncer *r = data;

	while (!READ_ONCE(r->stop)) {
		struct vcm_phys *phys;

		vcm_sync_for_device(r->res, 0, PAGE_SIZE);
		vcm_sync_for_cpu(r->res, PAGE_SIZE, PAGE_SIZE);
		phys = vcm_phys_from_dma(r->dev, r->handle);
		if (!IS_ERR(phys))
			r->found++;
		vcm_phys_put(phys);
		r->rounds++;
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

/*
 * Native syncs and vcm_phys_from_dma() race the unregistration of the
 * mapping's device: both keep working until it is gone, and after it the
 * sync does nothing and the lookup says -ENODEV, with the association
 * freed under neither.
 */
static void vcm_test_native_race_unregister(struct kunit *test)
{
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-rua");
	struct vcm_test_dev *b = vcm_test_device(test, "vcm-rub");
	unsigned long before = vcm_test_nr_phys(), rounds;
	struct vcm_test_syncer r = {};
	struct task_struct *tsk;
	struct vcm_phys *phys;

	phys = vcm_phys_alloc(a->dev, 2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	r.res = vcm_map_phys(b->dev, phys, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, r.res);
	/* A streaming mapping of the buffer: the lookup's way in. */
	r.handle = dma_map_page(b->dev, pfn_to_page(phys->chunks[0].pfn), 0,
				PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(b->dev, r.handle));
	vcm_phys_put(phys);
	r.dev = b->dev;
	init_completion(&r.done);
	tsk = kthread_run(vcm_test_sync_fn, &r, "vcm-nrace");
	KUNIT_ASSERT_FALSE(test, IS_ERR(tsk));
	/*
	 * Let it find the device alive, then take the device away (the
	 * streaming mapping is left behind, and dropped with a report).
	 */
	while (!READ_ONCE(r.found))
		usleep_range(100, 200);
	vcm_release_device(b->dev);
	rounds = READ_ONCE(r.rounds);
	while (READ_ONCE(r.rounds) < rounds + 100)
		usleep_range(100, 200);
	WRITE_ONCE(r.stop, true);
	wait_for_completion(&r.done);
	KUNIT_EXPECT_GT(test, r.found, 0);
	KUNIT_EXPECT_PTR_EQ(test, vcm_phys_from_dma(b->dev, r.handle),
			    ERR_PTR(-ENODEV));
	vcm_sync_for_device(r.res, 0, 2 * PAGE_SIZE);
	/* The holder still owns the dead mapping, and its buffer. */
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);
	vcm_unmap(r.res);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
}

/* Physical address of byte @off of @phys (whose chunks are in order). */
static phys_addr_t vcm_test_phys_at(struct vcm_phys *phys, size_t off)
{
	phys_addr_t addr;
	unsigned int i;
	size_t len;

	for (i = 0; !vcm_phys_chunk(phys, i, &addr, &len); i++) {
		if (off < len)
			return addr + off;
		off -= len;
	}
	return 0;
}

/*
 * A reserved range keeps its addresses while buffers come and go behind
 * it: empty (nothing translates), backed (the buffer's pages, with the
 * direction's permissions), rebound (the other buffer, same addresses),
 * unbacked (nothing again, the buffer's reference dropped).  Misuse is
 * refused and leaves the range as it was; a range whose device goes away
 * is unmapped then and freed by its holder.
 */
static void vcm_test_iommu_reserve_back(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-rsv",
						       VCM_ATTACH_TRACK, &f);
	struct vcm_test_dev *o = vcm_test_device(test, "vcm-rsv-1to1");
	unsigned long before = vcm_test_nr_phys();
	struct vcm_phys *a, *b;
	struct vcm_res *res;
	dma_addr_t addr;
	int calls = 0;

	a = vcm_phys_alloc(t->dev, 4 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, a);
	b = vcm_phys_alloc(t->dev, 2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, b);

	KUNIT_EXPECT_PTR_EQ(test, vcm_reserve(o->dev, PAGE_SIZE),
			    ERR_PTR(-EOPNOTSUPP));
	KUNIT_EXPECT_PTR_EQ(test, vcm_reserve(t->dev, 0), ERR_PTR(-EINVAL));

	res = vcm_reserve(t->dev, 2 * PAGE_SIZE - 10);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, res);
	addr = vcm_res_addr(res);
	KUNIT_EXPECT_NE(test, addr, 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr), 0);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_PTR_EQ(test, vcm_phys_from_dma(t->dev, addr),
			    ERR_PTR(-ENOENT));

	/* Back it with pages 1 and 2 of @a, read-only for the device. */
	KUNIT_EXPECT_EQ(test, vcm_back(res, a, PAGE_SIZE, DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, vcm_res_addr(res), addr);
	KUNIT_EXPECT_EQ(test, f->live, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr + 3),
			vcm_test_phys_at(a, PAGE_SIZE + 3));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr + PAGE_SIZE),
			vcm_test_phys_at(a, 2 * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, vcm_fake_prot(f, addr) & IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, kref_read(&a->kref), 2);
	vcm_sync_for_device(res, 0, 2 * PAGE_SIZE);

	/* Misuse: backed already, too small, misaligned, bad direction. */
	KUNIT_EXPECT_EQ(test, vcm_back(res, b, 0, DMA_TO_DEVICE), -EBUSY);
	KUNIT_EXPECT_EQ(test, vcm_rebind(res, b, PAGE_SIZE, DMA_TO_DEVICE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vcm_rebind(res, a, 100, DMA_TO_DEVICE), -EINVAL);
	KUNIT_EXPECT_EQ(test, vcm_rebind(res, b, 0, DMA_NONE), -EINVAL);
	/* ... each refused before the old buffer was taken out. */
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr),
			vcm_test_phys_at(a, PAGE_SIZE));

	/* Rebind to @b, writable now, at the same addresses. */
	KUNIT_EXPECT_EQ(test, vcm_rebind(res, b, 0, DMA_FROM_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, vcm_res_addr(res), addr);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr + PAGE_SIZE),
			vcm_test_phys_at(b, PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, vcm_fake_prot(f, addr) & IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, kref_read(&a->kref), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&b->kref), 2);
	KUNIT_EXPECT_EQ(test, f->live, 2 * PAGE_SIZE);

	/* Unback: nothing translates, and the range stays reserved. */
	vcm_unback(res);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, addr), 0);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, kref_read(&b->kref), 1);
	vcm_unback(res);
	KUNIT_EXPECT_EQ(test, kref_read(&b->kref), 1);

	/* An IOMMU that runs out of page tables leaves the range empty. */
	f->budget = PAGE_SIZE;
	KUNIT_EXPECT_EQ(test, vcm_back(res, a, 0, DMA_TO_DEVICE), -ENOMEM);
	f->budget = -1;
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, kref_read(&a->kref), 1);
	KUNIT_EXPECT_EQ(test, vcm_back(res, a, 2 * PAGE_SIZE,
				       DMA_BIDIRECTIONAL), 0);

	/* The buffers' creator lets go: the range keeps @a alive. */
	vcm_phys_put(a);
	vcm_phys_put(b);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before + 1);

	/* The device goes: unmapped then, freed by the holder. */
	KUNIT_EXPECT_EQ(test, vcm_res_set_gone(res, vcm_test_gone_cb, &calls),
			0);
	mutex_lock(&vcm_graph_lock);
	KUNIT_EXPECT_EQ(test, vcm_teardown_assoc(t->assoc), 1);
	mutex_unlock(&vcm_graph_lock);
	KUNIT_EXPECT_EQ(test, calls, 1);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	KUNIT_EXPECT_EQ(test, vcm_back(res, a, 0, DMA_TO_DEVICE), -ENODEV);
	vcm_unback(res);
	vcm_unreserve(res);
	KUNIT_EXPECT_EQ(test, vcm_test_nr_phys(), before);
}

/* Chunk orders above 0 that the allocator tried since @before. */
static unsigned long vcm_test_orders_tried(const long before[][2])
{
	unsigned long tried = 0;
	unsigned int i;

	for (i = 1; i < VCM_CHUNK_STAT_ORDERS; i++)
		if (atomic_long_read(&vcm_chunk_stats[i][0]) +
		    atomic_long_read(&vcm_chunk_stats[i][1]) !=
		    before[i][0] + before[i][1])
			tried |= BIT(i);
	return tried;
}

/* Bytes in the chunks of @phys. */
static size_t vcm_test_chunk_bytes(struct vcm_phys *phys)
{
	size_t len, total = 0;
	phys_addr_t addr;
	unsigned int i;

	for (i = 0; !vcm_phys_chunk(phys, i, &addr, &len); i++)
		total += len;
	return total;
}

static void vcm_test_stats_snap(long snap[][2])
{
	unsigned int i;

	for (i = 0; i < VCM_CHUNK_STAT_ORDERS; i++) {
		snap[i][0] = atomic_long_read(&vcm_chunk_stats[i][0]);
		snap[i][1] = atomic_long_read(&vcm_chunk_stats[i][1]);
	}
}

/*
 * A buffer for a set of devices is laid out for all of them: behind IOMMUs
 * only the orders every one maps with one entry are tried (2 MiB and
 * 64 KiB pages have no order in common: small pages only), and a
 * one-to-one mapper makes it one contiguous chunk below its mask.
 */
static void vcm_test_iommu_alloc_for(struct kunit *test)
{
	struct vcm_fake_iommu *fa, *fb;
	struct vcm_test_dev *a = vcm_test_iommu_device(test, "vcm-afa", 0,
						       &fa);
	struct vcm_test_dev *b = vcm_test_iommu_device(test, "vcm-afb", 0,
						       &fb);
	struct vcm_test_dev *o = vcm_test_device(test, "vcm-afo");
	struct device *stranger = kunit_device_register(test, "vcm-afx");
	long snap[VCM_CHUNK_STAT_ORDERS][2];
	struct device *devs[3];
	struct vcm_phys *phys;
	const size_t sz = SZ_4M;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, stranger);
	fb->domain.pgsize_bitmap = SZ_4K | SZ_64K;

	/* @a alone: 2 MiB chunks first. */
	devs[0] = a->dev;
	vcm_test_stats_snap(snap);
	phys = vcm_phys_alloc_for(devs, 1, sz, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_EQ(test, vcm_test_orders_tried(snap), BIT(9));
	KUNIT_EXPECT_EQ(test, vcm_phys_size(phys), sz);
	KUNIT_EXPECT_EQ(test, vcm_test_chunk_bytes(phys), sz);
	vcm_phys_put(phys);

	/* @b alone: 64 KiB chunks. */
	devs[0] = b->dev;
	vcm_test_stats_snap(snap);
	phys = vcm_phys_alloc_for(devs, 1, sz, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_EQ(test, vcm_test_orders_tried(snap), BIT(4));
	vcm_phys_put(phys);

	/* Both: no large order they share.  Not a page more than asked. */
	devs[0] = a->dev;
	devs[1] = b->dev;
	vcm_test_stats_snap(snap);
	phys = vcm_phys_alloc_for(devs, 2, sz + PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_EQ(test, vcm_test_orders_tried(snap), 0);
	KUNIT_EXPECT_EQ(test, vcm_phys_size(phys), sz + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vcm_test_chunk_bytes(phys), sz + PAGE_SIZE);
	vcm_phys_put(phys);

	/* With a one-to-one device: one chunk it reaches, zeroed. */
	devs[2] = o->dev;
	KUNIT_ASSERT_EQ(test, dma_set_coherent_mask(o->dev, DMA_BIT_MASK(32)),
			0);
	phys = vcm_phys_alloc_for(devs, 3, 3 * PAGE_SIZE - 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_EQ(test, vcm_phys_nr_chunks(phys), 1);
	KUNIT_EXPECT_EQ(test, vcm_phys_size(phys), 3 * PAGE_SIZE);
	KUNIT_EXPECT_LE(test, PFN_PHYS(phys->chunks[0].pfn) + 3 * PAGE_SIZE - 1,
			DMA_BIT_MASK(32));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(pfn_to_kaddr(phys->chunks[0].pfn),
					    0, 3 * PAGE_SIZE));
	vcm_phys_put(phys);

	/* Refused: a device not on VCM, no devices, no size, atomic. */
	devs[1] = stranger;
	KUNIT_EXPECT_PTR_EQ(test, vcm_phys_alloc_for(devs, 2, sz, GFP_KERNEL),
			    ERR_PTR(-ENODEV));
	KUNIT_EXPECT_PTR_EQ(test, vcm_phys_alloc_for(devs, 0, sz, GFP_KERNEL),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, vcm_phys_alloc_for(devs, 1, 0, GFP_KERNEL),
			    ERR_PTR(-EINVAL));
	KUNIT_EXPECT_PTR_EQ(test, vcm_phys_alloc_for(devs, 1, sz, GFP_ATOMIC),
			    ERR_PTR(-EINVAL));
}

struct vcm_test_racer {
	struct device *dev;
	struct page *page;
	int rounds;
	int failed;
	struct completion done;
};

static int vcm_test_race_fn(void *data)
{
	struct vcm_test_racer *r = data;
	dma_addr_t addr;
	int i;

	for (i = 0; i < r->rounds; i++) {
		addr = dma_map_page(r->dev, r->page, 0, PAGE_SIZE,
				    DMA_BIDIRECTIONAL);
		if (dma_mapping_error(r->dev, addr)) {
			r->failed++;
			continue;
		}
		dma_unmap_page(r->dev, addr, PAGE_SIZE, DMA_BIDIRECTIONAL);
	}
	complete(&r->done);
	return 0;
}

/*
 * Two threads share and unshare one buffer into one domain at once (two
 * devices of one vcm, as an IOMMU group has them): every mapping works,
 * and nothing is left when they are done.
 */
static void vcm_test_share_concurrent(struct kunit *test)
{
	struct vcm_fake_iommu *fa, *fb;
	struct vcm_test_dev *a = vcm_test_iommu_device(test, "vcm-ica",
						       VCM_ATTACH_TRACK, &fa);
	struct vcm_test_dev *b = vcm_test_iommu_device(test, "vcm-icb",
						       VCM_ATTACH_TRACK, &fb);
	struct vcm_test_racer r[2] = {};
	struct task_struct *tsk;
	dma_addr_t handle;
	unsigned int i;
	void *cpu;

	cpu = dma_alloc_coherent(a->dev, PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	for (i = 0; i < 2; i++) {
		r[i].dev = b->dev;
		r[i].page = virt_to_page(cpu);
		r[i].rounds = 2000;
		init_completion(&r[i].done);
		tsk = kthread_run(vcm_test_race_fn, &r[i], "vcm-race%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(tsk));
	}
	for (i = 0; i < 2; i++) {
		wait_for_completion(&r[i].done);
		KUNIT_EXPECT_EQ(test, r[i].failed, 0);
	}
	KUNIT_EXPECT_EQ(test, atomic_long_read(&b->assoc->vcm->nr_shared), 0);
	KUNIT_EXPECT_EQ(test, vcm_test_live(b), 0);
	KUNIT_EXPECT_EQ(test, fb->live, 0);
	dma_free_coherent(a->dev, PAGE_SIZE, cpu, handle);
	KUNIT_EXPECT_EQ(test, fa->live, 0);
	vcm_test_no_errors(test, b);
}

static void vcm_test_iommu_pci_32bit_latch(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-i32",
						       VCM_ATTACH_TRACK, &f);
	struct dev_iommu *param = kunit_kzalloc(test, sizeof(*param),
						GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t a, b;

	KUNIT_ASSERT_NOT_NULL(test, param);
	KUNIT_ASSERT_NOT_NULL(test, page);
	/* As iommu_setup_dma_ops() leaves a PCI device. */
	param->pci_32bit_workaround = true;
	t->dev->iommu = param;
	/* One page of 32-bit IOVA space is left. */
	KUNIT_ASSERT_EQ(test, 0, vcm_iommu_reserve(t->assoc->vcm, 2 * PAGE_SIZE,
						   SZ_4G - 1));
	a = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, a));
	KUNIT_EXPECT_LT(test, a, SZ_4G);
	KUNIT_EXPECT_TRUE(test, param->pci_32bit_workaround);
	b = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, b));
	KUNIT_EXPECT_GE(test, b, SZ_4G);
	KUNIT_EXPECT_FALSE(test, param->pci_32bit_workaround);
	dma_unmap_page(t->dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_page(t->dev, b, PAGE_SIZE, DMA_TO_DEVICE);
	t->dev->iommu = NULL;
	vcm_test_no_errors(test, t);
	__free_page(page);
}

/*
 * One-granule IOVAs go back to a per-CPU stack when unmapped and come
 * from it again (vcm_iova_pop()): given back, more of them than a stack
 * holds, and asked for again, with more besides, no IOVA is handed out
 * twice and each translates to the page mapped there; a device whose mask
 * is narrower than what the stack holds gets an IOVA below its mask.
 * (Wherever the scheduler moves the test, every stack holds only IOVAs
 * of the test's own vcm.)
 */
static void vcm_test_iommu_iova_stack(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-istk",
						       VCM_ATTACH_TRACK, &f);
	struct page *block = vcm_test_block(test);
	/* More than a stack holds, then as many again as it holds. */
	unsigned int i, j, n = 2 * VCM_IOVA_STACK + 1;
	dma_addr_t a[3 * VCM_IOVA_STACK + 1];

	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(32)));
	for (i = 0; i < n; i++) {
		a[i] = dma_map_page(t->dev, block, 0, PAGE_SIZE,
				    DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, a[i]));
		KUNIT_EXPECT_GT(test, a[i], DMA_BIT_MASK(28));
	}
	for (i = 0; i < n; i++)
		dma_unmap_page(t->dev, a[i], PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	/* Every IOVA given back is handed out once, and only once. */
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		a[i] = dma_map_page(t->dev, block, 0, PAGE_SIZE,
				    DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, a[i]));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, a[i], a[j]);
	}
	KUNIT_EXPECT_EQ(test, f->live, ARRAY_SIZE(a) * PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(a); i++) {
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(&f->domain, a[i]),
				page_to_phys(block));
		dma_unmap_page(t->dev, a[i], PAGE_SIZE, DMA_TO_DEVICE);
	}
	KUNIT_EXPECT_EQ(test, f->live, 0);
	/* The stack holds IOVAs near 4 GiB, none of them for this mask. */
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(28)));
	for (i = 0; i < n; i++) {
		a[i] = dma_map_page(t->dev, block, 0, PAGE_SIZE,
				    DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, a[i]));
		KUNIT_EXPECT_LE(test, a[i] + PAGE_SIZE - 1, DMA_BIT_MASK(28));
	}
	for (i = 0; i < n; i++)
		dma_unmap_page(t->dev, a[i], PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	vcm_test_no_errors(test, t);
	__free_pages(block, 3);
}

/*
 * A list of one buffer that its shared reservation cannot carry (an entry
 * would cross the peer's segment boundary at its place in the buffer) is
 * given back to the ordinary path: the use it took of the reservation is
 * dropped on the way, and nothing else.  The buffer's references and the
 * vcm's share count are what they were before, while mapped (but for the
 * pins of the ordinary path) and after.
 */
static void vcm_test_iommu_share_boundary(struct kunit *test)
{
	struct vcm_fake_iommu *fb;
	struct vcm_test_dev *a = vcm_test_device(test, "vcm-sba");
	struct vcm_test_dev *b = vcm_test_iommu_device(test, "vcm-sbb",
						       VCM_ATTACH_TRACK, &fb);
	struct vcm *vcm = b->assoc->vcm;
	struct scatterlist sgl[2];
	struct vcm_phys *phys;
	unsigned int refs;
	dma_addr_t handle;
	u8 *cpu;

	b->parms.segment_boundary_mask = SZ_64K - 1;
	cpu = dma_alloc_coherent(a->dev, 32 * PAGE_SIZE, &handle, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	phys = vcm_phys_from_dma(a->dev, handle);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	refs = kref_read(&phys->kref);
	/* 8 + 16 pages, one run: a 24-page span, the second entry 64 KiB. */
	sg_init_table(sgl, 2);
	sg_set_page(&sgl[0], virt_to_page(cpu), 8 * PAGE_SIZE, 0);
	sg_set_page(&sgl[1], virt_to_page(cpu + 8 * PAGE_SIZE), 16 * PAGE_SIZE,
		    0);
	KUNIT_ASSERT_GT(test, dma_map_sg(b->dev, sgl, 2, DMA_TO_DEVICE), 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&vcm->nr_shared), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&phys->kref),
			refs + atomic_long_read(&vcm->nr_pinned));
	KUNIT_EXPECT_EQ(test, vcm_test_stat(b, VCM_STAT_SHARED), 0);
	dma_unmap_sg(b->dev, sgl, 2, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, kref_read(&phys->kref), refs);
	KUNIT_EXPECT_EQ(test, fb->live, 0);
	vcm_phys_put(phys);
	dma_free_coherent(a->dev, 32 * PAGE_SIZE, cpu, handle);
	vcm_test_no_errors(test, b);
}

/*
 * The per-CPU stack of one-granule IOVAs at its limit: the IOVA on top is
 * handed out again to a request whose limit is its last byte exactly, and
 * kept back from one whose limit stops a granule short.
 */
static void vcm_test_iommu_iova_stack_limit(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-istl",
						       VCM_ATTACH_TRACK, &f);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t a, b, c;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, 0, dma_set_mask(t->dev, DMA_BIT_MASK(32)));
	migrate_disable();
	a = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(t->dev, a));
	dma_unmap_page(t->dev, a, PAGE_SIZE, DMA_TO_DEVICE);
	/* One granule short of @a's last byte: not @a. */
	t->dev->bus_dma_limit = a - 1;
	b = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_FALSE(test, dma_mapping_error(t->dev, b));
	KUNIT_EXPECT_LE(test, b + PAGE_SIZE - 1, a - 1);
	/* Its last byte exactly: @a again, from the top of the stack. */
	t->dev->bus_dma_limit = a + PAGE_SIZE - 1;
	c = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, c, a);
	migrate_enable();
	dma_unmap_page(t->dev, b, PAGE_SIZE, DMA_TO_DEVICE);
	dma_unmap_page(t->dev, c, PAGE_SIZE, DMA_TO_DEVICE);
	t->dev->bus_dma_limit = 0;
	KUNIT_EXPECT_EQ(test, f->live, 0);
	vcm_test_no_errors(test, t);
	__free_page(page);
}

/*
 * Lazy mode, with this CPU's queue full and its batch owned by another
 * flusher (as when the timer flushes it, or the CPU interrupted its own
 * flush): the unmap cannot wait for room, so it invalidates the IOTLB
 * itself and frees its IOVA at once; the queue keeps what it holds, for
 * the timer.
 */
static void vcm_test_iommu_lazy_full(struct kunit *test)
{
	struct vcm_fake_iommu *f;
	struct vcm_test_dev *t = vcm_test_iommu_device(test, "vcm-ilf",
			VCM_ATTACH_TRACK | VCM_ATTACH_LAZY, &f);
	struct vcm_iommu *vi = t->assoc->vcm->iommu;
	struct page *page = alloc_page(GFP_KERNEL);
	struct vcm_lazy_queue *q;
	dma_addr_t addr, again;
	int i, flushes;

	KUNIT_ASSERT_NOT_NULL(test, page);
	migrate_disable();
	q = this_cpu_ptr(vi->queues);
	KUNIT_ASSERT_FALSE(test, test_and_set_bit_lock(0, &q->flushing));
	for (i = 0; i < VCM_LAZY_ENTRIES; i++) {
		addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
		if (dma_mapping_error(t->dev, addr))
			break;
		dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	}
	KUNIT_EXPECT_EQ(test, READ_ONCE(q->count), VCM_LAZY_ENTRIES);
	addr = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_FALSE(test, dma_mapping_error(t->dev, addr));
	flushes = f->flushes;
	dma_unmap_page(t->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_GT(test, f->flushes, flushes);
	KUNIT_EXPECT_EQ(test, READ_ONCE(q->count), VCM_LAZY_ENTRIES);
	/* Freed at once: the next map takes it back. */
	again = dma_map_page(t->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, again, addr);
	dma_unmap_page(t->dev, again, PAGE_SIZE, DMA_TO_DEVICE);
	clear_bit_unlock(0, &q->flushing);
	migrate_enable();
	msleep(100);
	KUNIT_EXPECT_EQ(test, READ_ONCE(q->count), 0);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	vcm_test_no_errors(test, t);
	__free_page(page);
}

#ifdef CONFIG_DMA_VCM_HEAP
/*
 * Behind an IOMMU a heap buffer of several chunks is one IOVA range, which
 * importers get as DMA segments only: the first importer of the domain
 * maps it, the second in the same direction takes a use of the same
 * range (same address, no page mapped anew), an importer in the other
 * direction gets its own, read-only for a to-device map; an importer in
 * another domain maps it there.  The ranges go with their last importer.
 */
static void vcm_test_iommu_heap_segments_only(struct kunit *test)
{
	size_t len = SZ_64K + 3 * PAGE_SIZE;
	struct vcm_fake_iommu *f, *fc;
	struct vcm_test_dev *a = vcm_test_iommu_device(test, "vcm-ihsa", 0,
						       &f);
	struct vcm_test_dev *c = vcm_test_iommu_device(test, "vcm-ihsc", 0,
						       &fc);
	struct device *b = vcm_test_iommu_peer(test, "vcm-ihsb", f, 0);
	static const enum dma_data_direction dirs[4] = {
		DMA_BIDIRECTIONAL, DMA_BIDIRECTIONAL, DMA_TO_DEVICE,
		DMA_BIDIRECTIONAL,
	};
	unsigned long phys_before = vcm_test_nr_phys();
	struct dma_buf_attachment *att[4];
	struct device *devs[4];
	struct sg_table *sgt[4];
	struct dma_buf *dmabuf;
	struct vcm_phys *phys;
	unsigned int nres;
	int i;

	devs[0] = a->dev;
	devs[1] = b;
	devs[2] = b;
	devs[3] = c->dev;
	dmabuf = vcm_heap_export("vcm-test", len, O_RDWR, VCM_MT_WB, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	for (i = 0; i < 4; i++) {
		att[i] = dma_buf_attach(dmabuf, devs[i]);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, att[i]);
		sgt[i] = dma_buf_map_attachment_unlocked(att[i], dirs[i]);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt[i]);
	}
	phys = vcm_phys_from_dma(a->dev, sg_dma_address(sgt[0]->sgl));
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, phys);
	KUNIT_EXPECT_GT(test, vcm_phys_nr_chunks(phys), 1);
	for (i = 0; i < 4; i++)
		vcm_test_check_segments(test, devs[i],
					i == 3 ? &fc->domain : &f->domain,
					sgt[i], phys);
	/* 64 KiB segments at most: two for the buffer's 76 KiB. */
	KUNIT_EXPECT_EQ(test, sgt[0]->nents, 2);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sgt[1]->sgl),
			sg_dma_address(sgt[0]->sgl));
	KUNIT_EXPECT_NE(test, sg_dma_address(sgt[2]->sgl),
			sg_dma_address(sgt[0]->sgl));
	KUNIT_EXPECT_EQ(test, f->live, 2 * len);
	KUNIT_EXPECT_EQ(test, fc->live, len);
	KUNIT_EXPECT_TRUE(test, vcm_fake_prot(f, sg_dma_address(sgt[0]->sgl)) &
				IOMMU_WRITE);
	KUNIT_EXPECT_FALSE(test, vcm_fake_prot(f, sg_dma_address(sgt[2]->sgl)) &
				 IOMMU_WRITE);
	KUNIT_EXPECT_EQ(test, vcm_test_shared_maps(phys, a->assoc->vcm, &nres),
			3);
	KUNIT_EXPECT_EQ(test, nres, 2);

	dma_buf_unmap_attachment_unlocked(att[0], sgt[0], dirs[0]);
	KUNIT_EXPECT_EQ(test, f->live, 2 * len);
	dma_buf_unmap_attachment_unlocked(att[1], sgt[1], dirs[1]);
	KUNIT_EXPECT_EQ(test, f->live, len);
	dma_buf_unmap_attachment_unlocked(att[2], sgt[2], dirs[2]);
	KUNIT_EXPECT_EQ(test, f->live, 0);
	dma_buf_unmap_attachment_unlocked(att[3], sgt[3], dirs[3]);
	KUNIT_EXPECT_EQ(test, fc->live, 0);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&a->assoc->vcm->nr_shared), 0);
	vcm_test_heap_release(test, dmabuf, att, 4, phys, phys_before);
	vcm_test_no_errors(test, a);
	vcm_test_no_errors(test, c);
}
#endif

static struct kunit_case vcm_iommu_test_cases[] = {
	KUNIT_CASE(vcm_test_iommu_map_page),
	KUNIT_CASE(vcm_test_iommu_wc),
	KUNIT_CASE(vcm_test_iommu_reserved),
	KUNIT_CASE(vcm_test_iommu_large_pages),
	KUNIT_CASE(vcm_test_iommu_map_fails_halfway),
	KUNIT_CASE(vcm_test_iommu_sg),
	KUNIT_CASE(vcm_test_iommu_lazy),
	KUNIT_CASE(vcm_test_iommu_lazy_detach),
	KUNIT_CASE(vcm_test_iommu_lazy_full),
	KUNIT_CASE(vcm_test_iommu_teardown),
	KUNIT_CASE(vcm_test_iommu_fault),
	KUNIT_CASE(vcm_test_iommu_atomic_alloc),
	KUNIT_CASE(vcm_test_iommu_native_dir),
	KUNIT_CASE(vcm_test_iommu_unknown_unmap),
	KUNIT_CASE(vcm_test_iommu_hand_back),
	KUNIT_CASE(vcm_test_iommu_group_states),
	KUNIT_CASE(vcm_test_iommu_pci_32bit_latch),
	KUNIT_CASE(vcm_test_iommu_iova_stack),
	KUNIT_CASE(vcm_test_iommu_iova_stack_limit),
	KUNIT_CASE(vcm_test_iommu_share),
	KUNIT_CASE(vcm_test_iommu_share_grants),
	KUNIT_CASE(vcm_test_iommu_share_boundary),
#ifdef CONFIG_DMA_VCM_HEAP
	KUNIT_CASE(vcm_test_iommu_heap_segments_only),
#endif
	KUNIT_CASE(vcm_test_pin_unshared),
	KUNIT_CASE(vcm_test_iommu_share_teardown),
	KUNIT_CASE(vcm_test_iommu_native_range),
	KUNIT_CASE(vcm_test_native_gone),
	KUNIT_CASE(vcm_test_native_race_unregister),
	KUNIT_CASE(vcm_test_iommu_reserve_back),
	KUNIT_CASE(vcm_test_iommu_alloc_for),
	KUNIT_CASE(vcm_test_share_concurrent),
	{}
};

/* The index's map, as VCM sets it up when it starts serving devices. */
static int vcm_iommu_test_suite_init(struct kunit_suite *suite)
{
	return vcm_index_map_init();
}

static struct kunit_suite vcm_iommu_test_suite = {
	.name = "dma-vcm-iommu",
	.suite_init = vcm_iommu_test_suite_init,
	.test_cases = vcm_iommu_test_cases,
};

kunit_test_suite(vcm_iommu_test_suite);

MODULE_DESCRIPTION("KUnit tests for VCM's IOMMU backend");
MODULE_LICENSE("GPL");
