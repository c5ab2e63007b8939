// SPDX-License-Identifier: GPL-2.0
/*
 * vcm-edu: the benchmarks of make bench (debugfs "sharebench",
 * "heapbench", "hotbench") and the memory fragmenter they use
 * ("fragment").
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-vcm.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/mmzone.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "vcm-edu.h"

/*
 * The sharing benchmark (make bench): the cost of giving a second device
 * access to a buffer of this device, three ways, each timed over a batch
 * of share + unshare pairs (one clock read per batch: ns per pair):
 *
 *   native  vcm_map_phys() + vcm_unmap() on a peer served by VCM: no
 *           scatterlist at all
 *   api     dma_get_sgtable() on the owner (one entry per chunk) +
 *           dma_map_sgtable() on the VCM peer, and back
 *   sgcopy  the dma-buf way of today (drivers/dma-buf/heaps/system_heap.c):
 *           a per-page sg_table built for the importer, dma_map_sgtable()
 *           on a peer on the stock backend (dma-direct or dma-iommu), and
 *           back; "sgcopy_vcm" is the same on the VCM peer
 *   api_stock  like for like with api: a coherent buffer of the same size
 *           allocated by the stock peer and shared the same way, with
 *           dma_get_sgtable() and dma_map_sgtable(), into a second device
 *           on the stock backend: what the same two calls cost without
 *           dma=vcm
 *
 * Metadata is what one share builds: scatterlist bytes, plus VCM's
 * reservation (the slab size of a native mapping) where VCM maps.  The
 * three devices get 32-bit masks for the run (no engine DMA happens; the
 * buffer may lie above the edu engine's 28 bits) and theirs back after.
 */
struct edu_bench {
	struct device *owner, *vpeer, *speer, *speer2;
	void *cpu, *scpu;
	dma_addr_t dma, sdma;
	size_t size;
	unsigned int rounds;
};

static struct page *edu_cpu_page(void *cpu)
{
	return is_vmalloc_addr(cpu) ? vmalloc_to_page(cpu) : virt_to_page(cpu);
}

/*
 * What one share of a table costs: @peer maps @sgt and unmaps it, and the
 * table is freed; *@meta is its scatterlist bytes.
 */
static int edu_bench_map_free(struct device *peer, struct sg_table *sgt,
			      size_t *meta)
{
	int ret;

	*meta = sgt->orig_nents * sizeof(struct scatterlist);
	ret = dma_map_sgtable(peer, sgt, DMA_BIDIRECTIONAL,
			      DMA_ATTR_SKIP_CPU_SYNC);
	if (!ret)
		dma_unmap_sgtable(peer, sgt, DMA_BIDIRECTIONAL,
				  DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(sgt);
	return ret;
}

/* A per-page table of the buffer, as the system heap copies per importer. */
static int edu_bench_sgcopy_one(struct edu_bench *b, struct device *peer,
				size_t *meta)
{
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned int i;
	int ret;

	ret = sg_alloc_table(&sgt, b->size >> PAGE_SHIFT, GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, edu_cpu_page(b->cpu + i * PAGE_SIZE), PAGE_SIZE,
			    0);
	return edu_bench_map_free(peer, &sgt, meta);
}

/* dma_get_sgtable() on @owner's buffer, dma_map_sgtable() on @peer. */
static int edu_bench_api_one(struct edu_bench *b, struct device *owner,
			     void *cpu, dma_addr_t dma, struct device *peer,
			     size_t *meta)
{
	struct sg_table sgt;
	int ret;

	ret = dma_get_sgtable(owner, &sgt, cpu, dma, b->size);
	if (ret)
		return ret;
	return edu_bench_map_free(peer, &sgt, meta);
}

static int edu_bench_native_one(struct edu_bench *b, struct vcm_phys *phys,
				size_t *meta)
{
	struct vcm_res *res = vcm_map_phys(b->vpeer, phys, DMA_BIDIRECTIONAL);

	if (IS_ERR(res))
		return PTR_ERR(res);
	*meta = ksize(res);
	vcm_unmap(res);
	return 0;
}

enum {
	EDU_BENCH_NATIVE,
	EDU_BENCH_API,
	EDU_BENCH_SGCOPY,
	EDU_BENCH_SGCOPY_VCM,
	EDU_BENCH_API_STOCK,
	EDU_BENCH_N
};

static int edu_bench_run(struct edu_bench *b, struct vcm_phys *phys,
			 int way, u64 *ns, size_t *meta)
{
	unsigned int i;
	u64 t0;
	int ret = 0;

	t0 = ktime_get_ns();
	for (i = 0; i < b->rounds && !ret; i++) {
		switch (way) {
		case EDU_BENCH_NATIVE:
			ret = edu_bench_native_one(b, phys, meta);
			break;
		case EDU_BENCH_API:
			ret = edu_bench_api_one(b, b->owner, b->cpu, b->dma,
						b->vpeer, meta);
			break;
		case EDU_BENCH_API_STOCK:
			ret = edu_bench_api_one(b, b->speer, b->scpu, b->sdma,
						b->speer2, meta);
			break;
		case EDU_BENCH_SGCOPY:
			ret = edu_bench_sgcopy_one(b, b->speer, meta);
			break;
		default:
			ret = edu_bench_sgcopy_one(b, b->vpeer, meta);
			break;
		}
	}
	*ns = div_u64(ktime_get_ns() - t0, b->rounds);
	return ret;
}

static int edu_share_bench(struct edu *edu, unsigned int mib,
			   struct edu *vpeer, struct edu *speer,
			   struct edu *speer2, unsigned int rounds)
{
	static const char * const names[EDU_BENCH_N] = {
		"native", "api", "sgcopy", "sgcopy_vcm", "api_stock" };
	struct edu_bench b = {
		.owner = &edu->pdev->dev, .vpeer = &vpeer->pdev->dev,
		.speer = &speer->pdev->dev, .speer2 = &speer2->pdev->dev,
		.size = (size_t)mib << 20, .rounds = rounds,
	};
	struct device *devs[4] = { b.owner, b.vpeer, b.speer, b.speer2 };
	size_t meta[EDU_BENCH_N] = {}, n = 0;
	u64 ns[EDU_BENCH_N] = {};
	struct vcm_phys *phys;
	int i, ret = 0;

	for (i = 0; i < 4; i++)
		dma_set_mask_and_coherent(devs[i], DMA_BIT_MASK(32));
	b.cpu = dma_alloc_coherent(b.owner, b.size, &b.dma, GFP_KERNEL);
	b.scpu = dma_alloc_coherent(b.speer, b.size, &b.sdma, GFP_KERNEL);
	if (!b.cpu || !b.scpu) {
		ret = edu_fail(edu, "benchmark buffer", -ENOMEM);
		goto free;
	}
	phys = vcm_phys_from_dma(b.owner, b.dma);
	if (IS_ERR(phys)) {
		ret = edu_fail(edu, "vcm_phys_from_dma", PTR_ERR(phys));
		goto free;
	}
	for (i = 0; i < EDU_BENCH_N && !ret; i++) {
		ret = edu_bench_run(&b, phys, i, &ns[i], &meta[i]);
		if (ret)
			edu_fail(edu, names[i], ret);
	}
	vcm_phys_put(phys);
	/* Where VCM maps, its reservation is metadata too. */
	meta[EDU_BENCH_API] += meta[EDU_BENCH_NATIVE];
	meta[EDU_BENCH_SGCOPY_VCM] += meta[EDU_BENCH_NATIVE];
	n = scnprintf(edu->share_result, sizeof(edu->share_result),
		      "size_mib=%u rounds=%u iommu=%d", mib, rounds,
		      device_iommu_mapped(b.vpeer));
	for (i = 0; i < EDU_BENCH_N; i++)
		n += scnprintf(edu->share_result + n,
			       sizeof(edu->share_result) - n,
			       " %s_ns=%llu %s_meta=%zu", names[i], ns[i],
			       names[i], meta[i]);
free:
	if (b.cpu)
		dma_free_coherent(b.owner, b.size, b.cpu, b.dma);
	if (b.scpu)
		dma_free_coherent(b.speer, b.size, b.scpu, b.sdma);
	for (i = 0; i < 4; i++)
		dma_set_mask_and_coherent(devs[i], DMA_BIT_MASK(EDU_DMA_BITS));
	return ret;
}

/* "<MiB> <VCM peer> <stock owner> <stock peer> <rounds>" */
static int edu_sharebench_cmd(struct edu *edu, char *cmd)
{
	char vname[32], sname[32], sname2[32];
	struct edu *vpeer, *speer, *speer2;
	unsigned int mib, rounds;
	int ret = -ENODEV;

	if (sscanf(cmd, "%u %31s %31s %31s %u", &mib, vname, sname, sname2,
		   &rounds) != 5 || !mib || mib > 1024 || !rounds)
		return -EINVAL;
	vpeer = edu_find(vname);
	speer = edu_find(sname);
	speer2 = edu_find(sname2);
	if (vpeer && speer && speer2 && vpeer != edu && speer != edu &&
	    speer2 != edu && speer2 != speer) {
		edu->share_result[0] = 0;
		ret = edu_share_bench(edu, mib, vpeer, speer, speer2, rounds);
	}
	if (vpeer)
		put_device(&vpeer->pdev->dev);
	if (speer)
		put_device(&speer->pdev->dev);
	if (speer2)
		put_device(&speer2->pdev->dev);
	return ret;
}

static ssize_t edu_sharebench_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	return edu_write_cmd(file, ubuf, count, edu_sharebench_cmd);
}

const struct file_operations edu_sharebench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_sharebench_write,
	.read	= edu_share_read,
};

/*
 * The dma-buf way of sharing, measured like for like (make bench): this
 * device imports a dma-buf (from /dev/dma_heap/vcm or /dev/dma_heap/system,
 * whichever user space passes) @rounds times -- dma_buf_attach(),
 * dma_buf_map_attachment(), the CPU access bracket, unmap, detach -- timed
 * as one batch, one clock read at each end.  One more import is held
 * while its metadata is counted: the importer's scatterlist (entries, and
 * the bytes sg_alloc_table() takes for them), the IOMMU page-table
 * pages its mapping added (NR_SECONDARY_PAGETABLE, where 6.12 accounts
 * them) and, where an importer on VCM maps a VCM buffer, VCM's
 * reservation: the slab size of one, which overstates what a second
 * importer adds (an edge).  The exporter's own attachment struct is left
 * out for both.
 */
static int edu_vcm_res_bytes(struct device *dev, struct sg_table *sgt,
			     size_t *bytes)
{
	struct vcm_phys *phys;
	struct vcm_res *res;

	*bytes = 0;
	if (!dev_is_vcm(dev))
		return 0;
	phys = vcm_phys_from_dma(dev, sg_dma_address(sgt->sgl));
	/* Not a VCM buffer: VCM keeps nothing for the mapping. */
	if (PTR_ERR(phys) == -ENOENT)
		return 0;
	if (IS_ERR(phys))
		return PTR_ERR(phys);
	res = vcm_map_phys_range(dev, phys, 0, PAGE_SIZE, DMA_TO_DEVICE);
	vcm_phys_put(phys);
	if (IS_ERR(res))
		return PTR_ERR(res);
	*bytes = ksize(res);
	vcm_unmap(res);
	return 0;
}

static size_t edu_sg_bytes(unsigned int nents)
{
	if (nents <= SG_MAX_SINGLE_ALLOC)
		return kmalloc_size_roundup(nents * sizeof(struct scatterlist));
	return DIV_ROUND_UP(nents, SG_MAX_SINGLE_ALLOC - 1) * PAGE_SIZE;
}

static int edu_heap_import(struct device *dev, struct dma_buf *dmabuf,
			   struct dma_buf_attachment **att,
			   struct sg_table **sgt)
{
	*att = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(*att))
		return PTR_ERR(*att);
	*sgt = dma_buf_map_attachment_unlocked(*att, DMA_BIDIRECTIONAL);
	if (IS_ERR(*sgt)) {
		dma_buf_detach(dmabuf, *att);
		return PTR_ERR(*sgt);
	}
	return 0;
}

static void edu_heap_release(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *att,
			     struct sg_table *sgt)
{
	dma_buf_unmap_attachment_unlocked(att, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, att);
}

/* The steps of one import, timed apart: where a way spends its time. */
enum edu_heap_step {
	EDU_HEAP_ATTACH, EDU_HEAP_MAP, EDU_HEAP_CPU, EDU_HEAP_UNMAP,
	EDU_HEAP_DETACH, EDU_HEAP_STEPS
};

/* One round of the benchmark, each step's time added to @step_ns. */
static int edu_heap_round(struct device *dev, struct dma_buf *dmabuf,
			  u64 *step_ns)
{
	struct dma_buf_attachment *att;
	struct sg_table *sgt;
	u64 t[EDU_HEAP_STEPS + 1];
	int i, ret;

	t[0] = ktime_get_ns();
	att = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(att))
		return PTR_ERR(att);
	t[1] = ktime_get_ns();
	sgt = dma_buf_map_attachment_unlocked(att, DMA_BIDIRECTIONAL);
	if (IS_ERR(sgt)) {
		dma_buf_detach(dmabuf, att);
		return PTR_ERR(sgt);
	}
	t[2] = ktime_get_ns();
	ret = dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
	if (!ret)
		ret = dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
	t[3] = ktime_get_ns();
	dma_buf_unmap_attachment_unlocked(att, sgt, DMA_BIDIRECTIONAL);
	t[4] = ktime_get_ns();
	dma_buf_detach(dmabuf, att);
	t[5] = ktime_get_ns();
	for (i = 0; i < EDU_HEAP_STEPS; i++)
		step_ns[i] += t[i + 1] - t[i];
	return ret;
}

/*
 * @first, if not NULL, imports the buffer before this device does and
 * keeps it mapped while the rounds run: this device is then a second
 * importer, in the same address space as @first where the two share an
 * IOMMU group (or both are one-to-one), and what is counted and timed is
 * what the second import adds.  @max_seg, if not 0, is the importers'
 * maximum DMA segment for the run: a PCI device has 64 KiB unless its
 * driver says more, as the importers of dma-bufs that want contiguous
 * device addresses do (videobuf2-dma-contig's users, GPU drivers:
 * UINT_MAX).
 */
static int edu_heap_bench(struct edu *edu, int fd, unsigned int rounds,
			  unsigned int max_seg, struct edu *first)
{
	struct device *dev = &edu->pdev->dev;
	struct device *fdev = first ? &first->pdev->dev : NULL;
	struct dma_buf_attachment *att, *fatt = NULL;
	u64 step_ns[EDU_HEAP_STEPS] = {};
	struct sg_table *sgt, *fsgt;
	unsigned int seg0 = dma_get_max_seg_size(dev), fseg0 = 0;
	struct dma_buf *dmabuf;
	unsigned int i, nents, segs;
	size_t vcm_bytes;
	long pt0, pt1;
	u64 t0, ns;
	int ret;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	/* No engine DMA happens: the buffer may lie above the 28 bits. */
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (max_seg)
		dma_set_max_seg_size(dev, max_seg);
	if (fdev) {
		fseg0 = dma_get_max_seg_size(fdev);
		dma_set_mask_and_coherent(fdev, DMA_BIT_MASK(32));
		if (max_seg)
			dma_set_max_seg_size(fdev, max_seg);
		ret = edu_heap_import(fdev, dmabuf, &fatt, &fsgt);
		if (ret)
			goto put;
	}
	ret = edu_heap_import(dev, dmabuf, &att, &sgt);
	if (ret)
		goto release_first;
	nents = sgt->orig_nents;
	segs = sgt->nents;
	ret = edu_vcm_res_bytes(dev, sgt, &vcm_bytes);
	/*
	 * The page-table pages of the mapping: what its (strict) unmap gives
	 * back.  A count taken around the map would also see pages that
	 * earlier unmaps freed meanwhile.
	 */
	pt0 = global_node_page_state(NR_SECONDARY_PAGETABLE);
	edu_heap_release(dmabuf, att, sgt);
	pt1 = global_node_page_state(NR_SECONDARY_PAGETABLE);

	t0 = ktime_get_ns();
	for (i = 0; i < rounds && !ret; i++)
		ret = edu_heap_round(dev, dmabuf, step_ns);
	ns = div_u64(ktime_get_ns() - t0, rounds);
	if (!ret)
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "size=%zu rounds=%u max_seg=%u iommu=%d first=%s ns=%llu attach_ns=%llu map_ns=%llu cpu_ns=%llu unmap_ns=%llu detach_ns=%llu nents=%u segs=%u sg_bytes=%zu pt_pages=%ld vcm_bytes=%zu",
			  dmabuf->size, rounds, dma_get_max_seg_size(dev),
			  device_iommu_mapped(dev),
			  fdev ? dev_name(fdev) : "none", ns,
			  div_u64(step_ns[EDU_HEAP_ATTACH], rounds),
			  div_u64(step_ns[EDU_HEAP_MAP], rounds),
			  div_u64(step_ns[EDU_HEAP_CPU], rounds),
			  div_u64(step_ns[EDU_HEAP_UNMAP], rounds),
			  div_u64(step_ns[EDU_HEAP_DETACH], rounds),
			  nents, segs, edu_sg_bytes(nents), pt0 - pt1,
			  vcm_bytes);
release_first:
	if (fatt)
		edu_heap_release(dmabuf, fatt, fsgt);
put:
	if (fdev) {
		dma_set_max_seg_size(fdev, fseg0);
		dma_set_mask_and_coherent(fdev, DMA_BIT_MASK(EDU_DMA_BITS));
	}
	dma_set_max_seg_size(dev, seg0);
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(EDU_DMA_BITS));
	dma_buf_put(dmabuf);
	return ret;
}

/* "<dma-buf fd> <rounds> <max segment, 0: the device's> [<first importer>]" */
static int edu_heapbench_cmd(struct edu *edu, char *cmd)
{
	unsigned int rounds, max_seg;
	struct edu *first = NULL;
	char name[32];
	int fd, n, ret;

	n = sscanf(cmd, "%d %u %u %31s", &fd, &rounds, &max_seg, name);
	if (n < 3 || !rounds)
		return -EINVAL;
	if (n == 4) {
		first = edu_find(name);
		if (!first || first == edu) {
			ret = -ENODEV;
			goto out;
		}
		/*
		 * The first importer's mask changes for the run: hold its
		 * lock too, taken after this device's and only tried, so
		 * that two devices naming each other cannot deadlock.
		 */
		if (!mutex_trylock(&first->lock)) {
			ret = -EBUSY;
			goto out;
		}
	}
	edu->share_result[0] = 0;
	ret = edu_heap_bench(edu, fd, rounds, max_seg, first);
	if (ret)
		edu_fail(edu, "heap benchmark", ret);
	if (first)
		mutex_unlock(&first->lock);
out:
	if (first)
		put_device(&first->pdev->dev);
	return ret;
}

static ssize_t edu_heapbench_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	return edu_write_cmd(file, ubuf, count, edu_heapbench_cmd);
}

const struct file_operations edu_heapbench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_heapbench_write,
	.read	= edu_share_read,
};

/*
 * Fragment the page allocator's memory, for benchmarks of buffers made of
 * many chunks: order-1 blocks are taken until only @mib MiB are free, the
 * second page of each freed again and the first kept, so that the free
 * memory is lone pages, no buddy of which is free.  One kept page in
 * eight goes back then, so that order-1 requests (which the kernel makes)
 * still find blocks, and so do EDU_FRAG_SPARE blocks of order 3, set aside
 * before and freed after: the kernel stacks of new tasks are such blocks
 * where KASAN rules out vmalloc'd stacks, and a fork that finds none
 * calls the OOM killer.  (Order-0 requests take the lone pages first.)
 * While it runs, the kernel's own requests of orders 1 to 3 find blocks
 * too: the taking stops while EDU_FRAG_KEEP_PAGES are still free in blocks
 * of order EDU_FRAG_KEEP_ORDER or more.  (Taking the last of them, which
 * the order-1 requests do once no smaller block is left, once left a new
 * task waiting for its stack until the OOM killer took the shell.)
 * Writing 0 gives the kept pages back.
 */
#define EDU_FRAG_SPARE		128
#define EDU_FRAG_KEEP_ORDER	3
#define EDU_FRAG_KEEP_PAGES	(SZ_4M >> PAGE_SHIFT)
static LIST_HEAD(edu_fragments);
static DEFINE_MUTEX(edu_fragments_lock);	/* protects edu_fragments */

/* Free pages in blocks of 2^@order pages or more: a lockless snapshot. */
static unsigned long edu_free_pages_from(unsigned int order)
{
	unsigned long pages = 0;
	struct zone *zone;
	unsigned int o;

	for_each_populated_zone(zone)
		for (o = order; o < NR_PAGE_ORDERS; o++)
			/* Unlocked: an estimate is all the stop needs. */
			pages += data_race(zone->free_area[o].nr_free) << o;
	return pages;
}

static ssize_t edu_fragment_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct page *page, *tmp;
	LIST_HEAD(spare);
	unsigned long i, n;
	unsigned int mib;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &mib);
	if (ret)
		return ret;
	n = (unsigned long)mib << (20 - PAGE_SHIFT);
	mutex_lock(&edu_fragments_lock);
	for (i = 0; mib && i < EDU_FRAG_SPARE; i++) {
		page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				   3);
		if (!page)
			break;
		list_add(&page->lru, &spare);
	}
	for (i = 0; mib && global_zone_page_state(NR_FREE_PAGES) > n; i++) {
		/* The look at every zone's free lists, once in 64 pages. */
		if (!(i % 64) && edu_free_pages_from(EDU_FRAG_KEEP_ORDER) <
				 EDU_FRAG_KEEP_PAGES)
			break;
		page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				   1);
		if (!page)
			break;
		split_page(page, 1);
		__free_page(page + 1);
		list_add(&page->lru, &edu_fragments);
	}
	/* All back (0), or one kept page in eight (see above). */
	i = 0;
	list_for_each_entry_safe(page, tmp, &edu_fragments, lru) {
		if (mib && i++ % 8)
			continue;
		list_del(&page->lru);
		__free_page(page);
	}
	list_for_each_entry_safe(page, tmp, &spare, lru) {
		list_del(&page->lru);
		__free_pages(page, 3);
	}
	mutex_unlock(&edu_fragments_lock);
	return count;
}

const struct file_operations edu_fragment_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_fragment_write,
};

/*
 * The streaming hot path, at ns resolution: @pairs dma_map_page() +
 * dma_unmap_page() pairs of one page, timed in EDU_HOT_BATCHES batches
 * (one clock read per batch), with @live other mappings outstanding
 * meanwhile.  The best batch is the cost of the path itself (under TCG,
 * noise only ever adds), the median what a run sees.  Whatever backend
 * serves the device is measured: the benchmark toggles the device between
 * VCM and its stock backend (vcm.exclude= and a rebind), so both run on
 * the same device.  The device gets a 32-bit mask for the run, so that no
 * mapping bounces; no engine DMA happens.
 *
 * Two more workloads, on pages drawn at random from a pool of
 * EDU_HOT_POOL (as a driver's buffers are, not one hot page):
 *
 *   random  @live mappings outstanding; each pair unmaps one of them,
 *           chosen at random, and maps a random page of the pool in its
 *           place (ns per pair)
 *   ring    @live pages mapped one after the other, then unmapped in the
 *           same order, as a ring of receive buffers is filled and
 *           drained: the maps and the unmaps timed apart (one clock read
 *           at each end and one between), ns per map and per unmap
 */
#define EDU_HOT_BATCHES	9
#define EDU_HOT_POOL	4096

enum edu_hot_mode { EDU_HOT_ONE, EDU_HOT_RANDOM, EDU_HOT_RING };

/* What a batch of the hot-path benchmark works on. */
struct edu_hot {
	struct device *dev;
	struct page *page;
	/* random and ring: */
	struct page **pool;		/* EDU_HOT_POOL pages */
	dma_addr_t *slot;		/* the outstanding mappings ... */
	struct page **slot_page;	/* ... and their pages */
	unsigned int nr_slots;
	u16 *rnd;			/* two random numbers per pair */
	u64 split;			/* ring: the clock between the halves */
	/* edu_hot_iommu_batch() only: */
	struct iommu_domain *domain;
	dma_addr_t addr;
	int prot;
};

static int edu_hot_batch(struct edu_hot *h, unsigned int pairs)
{
	unsigned int i;
	dma_addr_t addr;

	for (i = 0; i < pairs; i++) {
		addr = dma_map_page(h->dev, h->page, 0, PAGE_SIZE,
				    DMA_TO_DEVICE);
		if (dma_mapping_error(h->dev, addr))
			return -EIO;
		dma_unmap_page(h->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	}
	return 0;
}

static dma_addr_t edu_hot_map(struct edu_hot *h, struct page *page)
{
	return dma_map_page(h->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
}

static void edu_hot_unmap(struct edu_hot *h, dma_addr_t addr)
{
	dma_unmap_page(h->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
}

/* A random slot out of the outstanding mappings takes a random page. */
static int edu_hot_random_batch(struct edu_hot *h, unsigned int pairs)
{
	unsigned int i, k;

	for (i = 0; i < pairs; i++) {
		k = h->rnd[2 * i] % h->nr_slots;
		edu_hot_unmap(h, h->slot[k]);
		h->slot_page[k] = h->pool[h->rnd[2 * i + 1] % EDU_HOT_POOL];
		h->slot[k] = edu_hot_map(h, h->slot_page[k]);
		if (dma_mapping_error(h->dev, h->slot[k])) {
			h->slot_page[k] = NULL;
			return -EIO;
		}
	}
	return 0;
}

/* The ring filled with random pages of the pool, then drained in order. */
static int edu_hot_ring_batch(struct edu_hot *h, unsigned int pairs)
{
	unsigned int i;

	for (i = 0; i < h->nr_slots; i++) {
		h->slot[i] = edu_hot_map(h, h->pool[h->rnd[i] % EDU_HOT_POOL]);
		if (dma_mapping_error(h->dev, h->slot[i])) {
			while (i--)
				edu_hot_unmap(h, h->slot[i]);
			return -EIO;
		}
	}
	h->split = ktime_get_ns();
	for (i = 0; i < h->nr_slots; i++)
		edu_hot_unmap(h, h->slot[i]);
	return 0;
}

static int edu_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * edu_hot_time() - run @batch of @per pairs once untimed (caches and
 * TCG's translations warm), then EDU_HOT_BATCHES times with one clock
 * read around each; the median and the best batch, in ns per pair.  A
 * batch that reads the clock between its two halves (h->split) gets
 * each half's median and best: [0] the first, [1] the second.
 */
static int edu_hot_time(int (*batch)(struct edu_hot *h, unsigned int pairs),
			struct edu_hot *h, unsigned int per, u64 median[2],
			u64 best[2])
{
	u64 ns[2][EDU_HOT_BATCHES], t0, t1;
	unsigned int i, k;
	int ret;

	ret = batch(h, per);
	for (i = 0; !ret && i < EDU_HOT_BATCHES; i++) {
		h->split = 0;
		t0 = ktime_get_ns();
		ret = batch(h, per);
		t1 = ktime_get_ns();
		ns[0][i] = (h->split ?: t1) - t0;
		ns[1][i] = h->split ? t1 - h->split : 0;
	}
	if (ret)
		return ret;
	for (k = 0; k < 2; k++) {
		sort(ns[k], EDU_HOT_BATCHES, sizeof(u64), edu_cmp_u64, NULL);
		median[k] = div_u64(ns[k][EDU_HOT_BATCHES / 2], per);
		best[k] = div_u64(ns[k][0], per);
	}
	return 0;
}

/*
 * The IOMMU driver's own share of a pair: the page mapped at @addr (by the
 * DMA API, so that no one else uses that IOVA meanwhile) is unmapped and
 * mapped again at the same place with iommu_unmap() (clear, and the IOTLB
 * flush a strict unmap makes) and iommu_map(), @pairs times.  What the DMA
 * API's pair costs beyond this is the DMA layer's: allocating the IOVA,
 * the entry points, bookkeeping.  Leaves the mapping as it found it, or
 * returns -ENOMEM if the page could not be mapped back (-EIO: the unmap
 * failed, nothing changed).
 */
static int edu_hot_iommu_batch(struct edu_hot *h, unsigned int pairs)
{
	phys_addr_t phys = page_to_phys(h->page);
	unsigned int i;

	for (i = 0; i < pairs; i++) {
		if (iommu_unmap(h->domain, h->addr, PAGE_SIZE) != PAGE_SIZE)
			return -EIO;
		if (iommu_map(h->domain, h->addr, phys, PAGE_SIZE, h->prot,
			      GFP_KERNEL) &&
		    iommu_map(h->domain, h->addr, phys, PAGE_SIZE, h->prot,
			      GFP_KERNEL))
			return -ENOMEM;
	}
	return 0;
}

/*
 * edu_hot_iommu() - median and best batch of edu_hot_iommu_batch(), in
 * ns per pair, for a device behind a translating IOMMU; 0 and 0 else.
 * Should the page not be mapped back at its IOVA, the DMA mapping is left
 * held, and the page with it (an extra reference): unmapping an IOVA that
 * the page tables no longer hold would look like a driver's double unmap
 * to the DMA layer.
 */
static int edu_hot_iommu(struct device *dev, struct page *page,
			 unsigned int per, u64 *median, u64 *best)
{
	struct edu_hot h = {
		.dev = dev, .page = page,
		.domain = iommu_get_domain_for_dev(dev),
		/* As the DMA API maps DMA_TO_DEVICE (dma_info_to_prot()). */
		.prot = IOMMU_READ |
			(dev_is_dma_coherent(dev) ? IOMMU_CACHE : 0),
	};
	u64 m[2], b[2];
	int ret;

	*median = *best = 0;
	if (!h.domain || !(h.domain->type & __IOMMU_DOMAIN_PAGING))
		return 0;
	h.addr = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, h.addr))
		return -EIO;
	ret = edu_hot_time(edu_hot_iommu_batch, &h, per, m, b);
	*median = m[0];
	*best = b[0];
	if (ret == -ENOMEM) {
		get_page(page);
		dev_err(dev, "hot bench: IOVA %pad lost its page (iommu_map() failed twice); mapping and page left held\n",
			&h.addr);
		return ret;
	}
	dma_unmap_page(dev, h.addr, PAGE_SIZE, DMA_TO_DEVICE);
	return ret;
}

static void edu_hot_pool_free(struct edu_hot *h)
{
	unsigned int i;

	for (i = 0; h->pool && i < EDU_HOT_POOL && h->pool[i]; i++)
		__free_page(h->pool[i]);
	kfree(h->pool);
	kfree(h->slot);
	kfree(h->slot_page);
	kfree(h->rnd);
}

/*
 * The pool of the random and ring workloads, @slots outstanding mappings
 * and @nr_rnd random numbers; the random workload's slots are mapped.
 */
static int edu_hot_pool(struct edu_hot *h, unsigned int slots,
			unsigned int nr_rnd, bool map)
{
	unsigned int i;

	h->pool = kcalloc(EDU_HOT_POOL, sizeof(*h->pool), GFP_KERNEL);
	h->slot = kcalloc(slots, sizeof(*h->slot), GFP_KERNEL);
	h->slot_page = kcalloc(slots, sizeof(*h->slot_page), GFP_KERNEL);
	h->rnd = kcalloc(nr_rnd, sizeof(*h->rnd), GFP_KERNEL);
	if (!h->pool || !h->slot || !h->slot_page || !h->rnd)
		return -ENOMEM;
	for (i = 0; i < EDU_HOT_POOL; i++) {
		h->pool[i] = alloc_page(GFP_KERNEL);
		if (!h->pool[i])
			return -ENOMEM;
	}
	get_random_bytes(h->rnd, nr_rnd * sizeof(*h->rnd));
	h->nr_slots = slots;
	for (i = 0; map && i < slots; i++) {
		h->slot_page[i] = h->pool[get_random_u32_below(EDU_HOT_POOL)];
		h->slot[i] = edu_hot_map(h, h->slot_page[i]);
		if (dma_mapping_error(h->dev, h->slot[i])) {
			h->slot_page[i] = NULL;
			return -EIO;
		}
	}
	return 0;
}

/* Unmap what the random workload left mapped. */
static void edu_hot_pool_unmap(struct edu_hot *h)
{
	unsigned int i;

	for (i = 0; h->slot_page && i < h->nr_slots; i++)
		if (h->slot_page[i])
			edu_hot_unmap(h, h->slot[i]);
}

static int edu_hot_pooled(struct edu *edu, enum edu_hot_mode mode,
			  unsigned int per, unsigned int live)
{
	struct edu_hot h = { .dev = &edu->pdev->dev };
	bool ring = mode == EDU_HOT_RING;
	u64 ns[2] = {}, best[2] = {};
	int ret;

	ret = edu_hot_pool(&h, live, ring ? live : 2 * per, !ring);
	if (!ret)
		ret = edu_hot_time(ring ? edu_hot_ring_batch :
				   edu_hot_random_batch, &h, ring ? live : per,
				   ns, best);
	if (!ring)
		edu_hot_pool_unmap(&h);
	edu_hot_pool_free(&h);
	if (ring)
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "backend=%s mode=ring live=%u batches=%u map_ns=%llu map_best_ns=%llu unmap_ns=%llu unmap_best_ns=%llu ok=%d",
			  dev_is_vcm(h.dev) ? "vcm" : "stock", live,
			  EDU_HOT_BATCHES, ns[0], best[0], ns[1], best[1],
			  !ret);
	else
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "backend=%s mode=random live=%u pairs=%u ns_per_pair=%llu best_ns=%llu ok=%d",
			  dev_is_vcm(h.dev) ? "vcm" : "stock", live,
			  per * EDU_HOT_BATCHES, ns[0], best[0], !ret);
	return ret;
}

static int edu_hot_bench(struct edu *edu, unsigned int pairs,
			 unsigned int live, enum edu_hot_mode mode)
{
	unsigned int n = 0, per = max(pairs / EDU_HOT_BATCHES, 1U);
	struct device *dev = &edu->pdev->dev;
	u64 ns[2] = {}, best[2] = {}, iommu_ns = 0, iommu_best = 0;
	struct page *page, **held;
	struct edu_hot h;
	dma_addr_t *held_dma;
	int ret = -ENOMEM;

	if (mode != EDU_HOT_ONE) {
		dma_set_mask(dev, DMA_BIT_MASK(32));
		ret = edu_hot_pooled(edu, mode, per, live);
		dma_set_mask(dev, DMA_BIT_MASK(EDU_DMA_BITS));
		return ret;
	}
	held = kcalloc(live, sizeof(*held), GFP_KERNEL);
	held_dma = kcalloc(live, sizeof(*held_dma), GFP_KERNEL);
	page = alloc_page(GFP_KERNEL);
	if ((live && (!held || !held_dma)) || !page)
		goto out;
	dma_set_mask(dev, DMA_BIT_MASK(32));
	for (n = 0; n < live; n++) {
		held[n] = alloc_page(GFP_KERNEL);
		if (!held[n])
			goto unmap;
		held_dma[n] = dma_map_page(dev, held[n], 0, PAGE_SIZE,
					   DMA_TO_DEVICE);
		if (dma_mapping_error(dev, held_dma[n])) {
			__free_page(held[n]);
			goto unmap;
		}
	}
	h = (struct edu_hot){ .dev = dev, .page = page };
	ret = edu_hot_time(edu_hot_batch, &h, per, ns, best);
	if (!ret)
		ret = edu_hot_iommu(dev, page, per, &iommu_ns, &iommu_best);
	scnprintf(edu->share_result, sizeof(edu->share_result),
		  "backend=%s mode=one live=%u pairs=%u ns_per_pair=%llu best_ns=%llu iommu_ns=%llu iommu_best_ns=%llu ok=%d",
		  dev_is_vcm(dev) ? "vcm" : "stock", live,
		  per * EDU_HOT_BATCHES, ns[0], best[0], iommu_ns, iommu_best,
		  !ret);
unmap:
	while (n--) {
		dma_unmap_page(dev, held_dma[n], PAGE_SIZE, DMA_TO_DEVICE);
		__free_page(held[n]);
	}
	dma_set_mask(dev, DMA_BIT_MASK(EDU_DMA_BITS));
out:
	if (page)
		__free_page(page);
	kfree(held_dma);
	kfree(held);
	return ret;
}

/* "<pairs> <live> [one|random|ring]" */
static int edu_hotbench_cmd(struct edu *edu, char *cmd)
{
	static const char * const modes[] = {
		[EDU_HOT_ONE] = "one", [EDU_HOT_RANDOM] = "random",
		[EDU_HOT_RING] = "ring",
	};
	unsigned int pairs, live;
	char mode[8] = "one";
	int m;

	if (sscanf(cmd, "%u %u %7s", &pairs, &live, mode) < 2 || !pairs ||
	    live > 65536)
		return -EINVAL;
	m = match_string(modes, ARRAY_SIZE(modes), mode);
	if (m < 0 || (m != EDU_HOT_ONE && !live))
		return -EINVAL;
	edu->share_result[0] = 0;
	return edu_hot_bench(edu, pairs, live, m);
}

static ssize_t edu_hotbench_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	return edu_write_cmd(file, ubuf, count, edu_hotbench_cmd);
}

const struct file_operations edu_hotbench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_hotbench_write,
	.read	= edu_share_read,
};
