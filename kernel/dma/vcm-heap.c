// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the dma-buf heap /dev/dma_heap/vcm.
 *
 * Every buffer is a vcm_phys of large chunks (2 MiB, 1 MiB, 64 KiB, then
 * 4 KiB, largest first), zeroed.  An importer that VCM serves, and that
 * reaches the buffer without bouncing, gets the buffer's shared
 * reservation in its address space -- mapped once per address space and
 * direction, the next importers only take a use of it -- described by its
 * DMA segments alone (vcm_share_map_phys_sgt()): behind an IOMMU a few
 * entries however fragmented the buffer is, and no table of the buffer's
 * pages is built or walked.  Any other importer gets a table of the
 * buffer's chunks (one entry per chunk, or per maximum segment of the
 * importer), mapped with its own DMA operations, as the system heap's
 * table would be.  CPU access, mmap and vmap behave as the system heap's
 * do.
 *
 * /dev/dma_heap/vcm-wc and /dev/dma_heap/vcm-uncached hand out the same
 * buffers write-combining and uncached (vcm-phys-type.c): the linear alias,
 * the exporter's vmap, every user mmap (counted as a mapper while it
 * lives) and every importer's mapping through VCM get the buffer's type.
 * An importer that maps the table with its own DMA operations (not served
 * by VCM, or bouncing) maps it as it maps anything, cacheable: the policy
 * decides, as for a write-back request -- given the buffer's type in
 * tolerant mode (on x86 a snooping device finds no cached line of memory
 * that no CPU maps cacheable), refused with -EBUSY in strict mode.  Their
 * CPU access bracket does no cache maintenance, and drains the CPU's
 * write-combining buffers (wmb()) when handing the buffer back to the
 * devices.  They exist only where the kernel can change the type of its
 * linear map (x86 with PAT).
 *
 * The heaps exist only with dma=vcm.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/cma.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "vcm.h"

/*
 * Chunk orders worth having: an IOMMU's 2 MiB page, then what the system
 * heap takes (1 MiB, 64 KiB, a page), so that where memory has no 2 MiB
 * block left a buffer is no more chunks than the system heap's.
 */
#define VCM_HEAP_ORDERS	(BIT(21 - PAGE_SHIFT) | BIT(20 - PAGE_SHIFT) | \
			 BIT(16 - PAGE_SHIFT) | BIT(0))

/**
 * struct vcm_heap_buffer - what a dma-buf of the heap holds
 * @phys: the memory (holds a reference)
 * @lock: protects @attachments (and each one's table and state), @vmap_cnt
 *	and @vaddr
 * @attachments: struct vcm_heap_attachment, one per importer
 * @vmap_cnt: users of @vaddr
 * @vaddr: the kernel mapping, while @vmap_cnt
 *
 * The buffer's memory type is @phys->mt, the heap's.
 */
struct vcm_heap_buffer {
	struct vcm_phys *phys;
	struct mutex lock;		/* see above */
	struct list_head attachments;
	unsigned int vmap_cnt;
	void *vaddr;
};

/**
 * struct vcm_heap_attachment - one importer of a buffer
 * @dev: the importing device
 * @sgt: while @mapped, the table handed to the importer: DMA segments only
 *	(@segments_only), or the buffer's chunks mapped with @dev's DMA
 *	operations
 * @node: entry in the buffer's list
 * @dir: the direction @sgt is mapped in
 * @mapped: @sgt is mapped for @dev
 * @segments_only: @sgt came from vcm_share_map_phys_sgt()
 */
struct vcm_heap_attachment {
	struct device *dev;
	struct sg_table sgt;
	struct list_head node;
	enum dma_data_direction dir;
	bool mapped;
	bool segments_only;
};

static int vcm_heap_attach(struct dma_buf *dmabuf,
			   struct dma_buf_attachment *attach)
{
	struct vcm_heap_buffer *buf = dmabuf->priv;
	struct vcm_heap_attachment *a;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->dev = attach->dev;
	attach->priv = a;
	mutex_lock(&buf->lock);
	list_add(&a->node, &buf->attachments);
	mutex_unlock(&buf->lock);
	return 0;
}

/* Undo the mapping of @a's table and free it.  Caller holds buf->lock. */
static void vcm_heap_unmap_locked(struct vcm_heap_buffer *buf,
				  struct vcm_heap_attachment *a)
{
	lockdep_assert_held(&buf->lock);
	a->mapped = false;
	if (a->segments_only) {
		vcm_share_unmap_phys_sgt(a->dev, buf->phys, a->dir, &a->sgt);
		return;
	}
	dma_unmap_sgtable(a->dev, &a->sgt, a->dir, 0);
	sg_free_table(&a->sgt);
}

static void vcm_heap_detach(struct dma_buf *dmabuf,
			    struct dma_buf_attachment *attach)
{
	struct vcm_heap_buffer *buf = dmabuf->priv;
	struct vcm_heap_attachment *a = attach->priv;

	mutex_lock(&buf->lock);
	if (a->mapped) {
		dev_warn(a->dev, "vcm heap: detached with its buffer mapped: unmapped\n");
		vcm_heap_unmap_locked(buf, a);
	}
	list_del(&a->node);
	mutex_unlock(&buf->lock);
	kfree(a);
}

/*
 * May @dev map a typed buffer with its own DMA operations, which map it
 * cacheable?  The policy says, as for a write-back request.
 */
static int vcm_heap_foreign_ok(struct vcm_heap_buffer *buf,
			       struct device *dev)
{
	struct vcm_mapper who = {
		.kind = VCM_MAPPER_DEVICE, .name = dev_name(dev),
	};
	enum vcm_mt mt;
	int ret;

	ret = vcm_phys_memtype_ask(buf->phys, VCM_MT_WB, &who, &mt);
	if (ret)
		dev_warn(dev, "vcm heap: cannot import a %s buffer with its own DMA operations (memtype=strict)\n",
			 vcm_mt_name(buf->phys->mt));
	return ret;
}

/*
 * The buffer lock orders a map against the CPU access bracket, which reads
 * @mapped and the table.
 */
static struct sg_table *vcm_heap_map(struct dma_buf_attachment *attach,
				     enum dma_data_direction dir)
{
	struct vcm_heap_buffer *buf = attach->dmabuf->priv;
	struct vcm_heap_attachment *a = attach->priv;
	struct device *dev = attach->dev;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (a->mapped) {
		ret = -EBUSY;
		goto out;
	}
	a->segments_only = !vcm_share_map_phys_sgt(dev, buf->phys, dir,
						   &a->sgt);
	if (!a->segments_only) {
		ret = vcm_heap_foreign_ok(buf, dev);
		if (ret)
			goto out;
		ret = vcm_phys_to_sgtable_max(buf->phys, &a->sgt,
					      dma_get_max_seg_size(dev),
					      GFP_KERNEL);
		if (ret)
			goto out;
		ret = dma_map_sgtable(dev, &a->sgt, dir, 0);
		if (ret) {
			sg_free_table(&a->sgt);
			goto out;
		}
	}
	a->dir = dir;
	a->mapped = true;
out:
	mutex_unlock(&buf->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void vcm_heap_unmap(struct dma_buf_attachment *attach,
			   struct sg_table *sgt, enum dma_data_direction dir)
{
	struct vcm_heap_buffer *buf = attach->dmabuf->priv;
	struct vcm_heap_attachment *a = attach->priv;

	mutex_lock(&buf->lock);
	if (a->mapped && sgt == &a->sgt)
		vcm_heap_unmap_locked(buf, a);
	else
		dev_warn(a->dev, "vcm heap: unmap of a table it was not given: ignored\n");
	mutex_unlock(&buf->lock);
}

/* The CPU's side of the bracket.  Caller holds buf->lock. */
static void vcm_heap_cpu_caches(struct vcm_heap_buffer *buf, bool for_cpu)
{
	if (buf->phys->mt == VCM_MT_WB) {
		if (buf->vmap_cnt && for_cpu)
			invalidate_kernel_vmap_range(buf->vaddr,
						     buf->phys->size);
		else if (buf->vmap_cnt)
			flush_kernel_vmap_range(buf->vaddr, buf->phys->size);
		return;
	}
	/*
	 * No CPU cache holds a typed buffer, but the CPU's write-combining
	 * buffers may hold writes to it.
	 */
	if (!for_cpu)
		wmb();	/* drained before a device reads the buffer */
}

/* Hand the buffer to the CPU (@for_cpu) or back to every mapped importer. */
static int vcm_heap_cpu_access(struct dma_buf *dmabuf,
			       enum dma_data_direction dir, bool for_cpu)
{
	struct vcm_heap_buffer *buf = dmabuf->priv;
	struct vcm_heap_attachment *a;

	mutex_lock(&buf->lock);
	vcm_heap_cpu_caches(buf, for_cpu);
	list_for_each_entry(a, &buf->attachments, node) {
		if (!a->mapped)
			continue;
		if (a->segments_only)
			vcm_share_sync_phys(a->dev, buf->phys, dir, !for_cpu);
		else if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->sgt, dir);
	}
	mutex_unlock(&buf->lock);
	return 0;
}

static int vcm_heap_begin_cpu_access(struct dma_buf *dmabuf,
				     enum dma_data_direction dir)
{
	return vcm_heap_cpu_access(dmabuf, dir, true);
}

static int vcm_heap_end_cpu_access(struct dma_buf *dmabuf,
				   enum dma_data_direction dir)
{
	return vcm_heap_cpu_access(dmabuf, dir, false);
}

static const struct vcm_mapper vcm_heap_user = {
	.kind = VCM_MAPPER_USER, .name = "heap mmap",
};

/* A user mapping of a typed buffer, split or copied by fork. */
static void vcm_heap_vm_open(struct vm_area_struct *vma)
{
	struct vcm_heap_buffer *buf = vma->vm_private_data;
	enum vcm_mt mt;

	vcm_phys_memtype_get(buf->phys, buf->phys->mt, &vcm_heap_user, &mt);
}

static void vcm_heap_vm_close(struct vm_area_struct *vma)
{
	struct vcm_heap_buffer *buf = vma->vm_private_data;

	vcm_phys_memtype_put(buf->phys, &vcm_heap_user);
}

static const struct vm_operations_struct vcm_heap_vm_ops = {
	.open	= vcm_heap_vm_open,
	.close	= vcm_heap_vm_close,
};

/*
 * A user mapping has the buffer's type.  One of a typed buffer is one of
 * its mappers for as long as it lives: its file holds the dma-buf, and so
 * the buffer, until the mapping is gone.
 */
static int vcm_heap_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct vcm_heap_buffer *buf = dmabuf->priv;
	struct vcm_phys *phys = buf->phys;
	enum vcm_mt mt;
	int ret;

	if (phys->mt == VCM_MT_WB)
		return vcm_phys_mmap(phys, vma);
	ret = vcm_phys_memtype_get(phys, phys->mt, &vcm_heap_user, &mt);
	if (ret)
		return ret;
	vma->vm_page_prot = vcm_mt_pgprot(vma->vm_page_prot, mt);
	ret = vcm_phys_mmap(phys, vma);
	if (ret) {
		vcm_phys_memtype_put(phys, &vcm_heap_user);
		return ret;
	}
	vma->vm_private_data = buf;
	vma->vm_ops = &vcm_heap_vm_ops;
	return 0;
}

static int vcm_heap_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vcm_heap_buffer *buf = dmabuf->priv;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (!buf->vmap_cnt) {
		buf->vaddr = vcm_phys_vmap(buf->phys);
		if (!buf->vaddr)
			ret = -ENOMEM;
	}
	if (!ret) {
		buf->vmap_cnt++;
		iosys_map_set_vaddr(map, buf->vaddr);
	}
	mutex_unlock(&buf->lock);
	return ret;
}

static void vcm_heap_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct vcm_heap_buffer *buf = dmabuf->priv;

	mutex_lock(&buf->lock);
	if (!--buf->vmap_cnt) {
		vcm_phys_vunmap(buf->phys, buf->vaddr);
		buf->vaddr = NULL;
	}
	mutex_unlock(&buf->lock);
	iosys_map_clear(map);
}

static void vcm_heap_release(struct dma_buf *dmabuf)
{
	struct vcm_heap_buffer *buf = dmabuf->priv;

	WARN_ON(buf->vmap_cnt);
	vcm_phys_put(buf->phys);
	mutex_destroy(&buf->lock);
	kfree(buf);
}

static const struct dma_buf_ops vcm_heap_buf_ops = {
	.attach			= vcm_heap_attach,
	.detach			= vcm_heap_detach,
	.map_dma_buf		= vcm_heap_map,
	.unmap_dma_buf		= vcm_heap_unmap,
	.begin_cpu_access	= vcm_heap_begin_cpu_access,
	.end_cpu_access		= vcm_heap_end_cpu_access,
	.mmap			= vcm_heap_mmap,
	.vmap			= vcm_heap_vmap,
	.vunmap			= vcm_heap_vunmap,
	.release		= vcm_heap_release,
};

/**
 * vcm_heap_export() - allocate a buffer of a heap and export it
 * @name: the exporter's name, the heap's
 * @len: bytes, rounded up to pages
 * @fd_flags: flags of the dma-buf's file
 * @mt: the buffer's memory type
 * @zone: 0 for memory anywhere, or the zone modifier (__GFP_DMA32,
 *	__GFP_DMA) of the zone the memory must lie in or below
 *
 * What an allocation from one of VCM's heaps does, without the heap (the
 * KUnit suite allocates so).
 *
 * Return: the dma-buf, or an ERR_PTR(): -EINVAL for a length of 0 or of
 * more than all memory, -ENOMEM, the error of giving the buffer its type,
 * or that of dma_buf_export().
 */
struct dma_buf *vcm_heap_export(const char *name, unsigned long len,
				u32 fd_flags, enum vcm_mt mt, gfp_t zone)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct vcm_heap_buffer *buf;
	struct dma_buf *dmabuf;
	int ret;

	if (!len || len > totalram_pages() << PAGE_SHIFT)
		return ERR_PTR(-EINVAL);
	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);
	/*
	 * Charged to the allocating task's memory cgroup.  A request that
	 * the memory, or the cgroup's limit, cannot hold fails with -ENOMEM
	 * after reclaim, without calling the OOM killer.
	 */
	buf->phys = vcm_phys_alloc_chunks(NULL, PAGE_ALIGN(len),
					  GFP_KERNEL | __GFP_ACCOUNT |
					  __GFP_RETRY_MAYFAIL | zone,
					  VCM_HEAP_ORDERS | VCM_ORDERS_IF_FREE);
	if (!buf->phys) {
		dmabuf = ERR_PTR(-ENOMEM);
		goto free;
	}
	ret = vcm_phys_set_type(buf->phys, mt);
	if (ret) {
		dmabuf = ERR_PTR(ret);
		goto put;
	}

	exp_info.exp_name = name;
	exp_info.ops = &vcm_heap_buf_ops;
	exp_info.size = buf->phys->size;
	exp_info.flags = fd_flags;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (!IS_ERR(dmabuf))
		return dmabuf;
put:
	/* Its free makes every chunk already typed write-back again. */
	vcm_phys_put(buf->phys);
free:
	mutex_destroy(&buf->lock);
	kfree(buf);
	return dmabuf;
}

/**
 * struct vcm_heap_info - one of VCM's heaps
 * @name: its name in /dev/dma_heap
 * @mt: the memory type of its buffers
 * @zone: the zone modifier its memory is allocated with: none (any
 *	memory), __GFP_DMA32 or __GFP_DMA
 * @added: the heap exists
 */
struct vcm_heap_info {
	const char *name;
	enum vcm_mt mt;
	gfp_t zone;
	bool added;
};

/*
 * The heaps, in the order heap discovery lists them: memory of every kind
 * before the scarce memory of the low zones.  Their drvdata is their entry.
 * @added is written once, at boot, before any device is served.
 */
static struct vcm_heap_info vcm_heaps[] = {
	{ "vcm", VCM_MT_WB },
	{ "vcm-wc", VCM_MT_WC },
	{ "vcm-uncached", VCM_MT_UC },
	{ "vcm-dma32", VCM_MT_WB, __GFP_DMA32 },
	{ "vcm-dma", VCM_MT_WB, __GFP_DMA },
};

static struct dma_buf *vcm_heap_allocate(struct dma_heap *heap,
					 unsigned long len, u32 fd_flags,
					 u64 heap_flags)
{
	struct vcm_heap_info *info = dma_heap_get_drvdata(heap);

	return vcm_heap_export(info->name, len, fd_flags, info->mt,
			       info->zone);
}

static const struct dma_heap_ops vcm_heap_ops = {
	.allocate = vcm_heap_allocate,
};

/*
 * [*@lo, *@hi]: the physical memory of the populated zones an allocation
 * with @gfp may take pages from.  False if there are none.
 */
static bool vcm_heap_zone_span(gfp_t gfp, phys_addr_t *lo, phys_addr_t *hi)
{
	enum zone_type highest = gfp_zone(gfp);
	unsigned long lo_pfn = ULONG_MAX, hi_pfn = 0;
	struct zone *zone;

	for_each_populated_zone(zone) {
		if (zone_idx(zone) > highest)
			continue;
		lo_pfn = min(lo_pfn, zone->zone_start_pfn);
		hi_pfn = max(hi_pfn, zone_end_pfn(zone));
	}
	if (!hi_pfn)
		return false;
	*lo = PFN_PHYS(lo_pfn);
	*hi = PFN_PHYS(hi_pfn) - 1;
	return true;
}

/**
 * vcm_heap_init() - create VCM's dma-buf heaps
 *
 * /dev/dma_heap/vcm, vcm-wc and vcm-uncached take memory anywhere;
 * vcm-dma32 and vcm-dma only below 4 GiB and in ZONE_DMA, where the kernel
 * has those zones and they hold memory.  The typed heaps only where the
 * kernel can change the type of its linear map.
 *
 * Return: 0 or the error of dma_heap_add().
 */
int vcm_heap_init(void)
{
	phys_addr_t lo, hi;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vcm_heaps); i++) {
		struct dma_heap_export_info exp_info = {
			.name = vcm_heaps[i].name,
			.ops = &vcm_heap_ops,
			.priv = &vcm_heaps[i],
		};
		gfp_t zone = vcm_heaps[i].zone;
		struct dma_heap *heap;

		if (vcm_heaps[i].mt != VCM_MT_WB && !vcm_memtype_can_type())
			continue;
		if ((zone == __GFP_DMA32 && !IS_ENABLED(CONFIG_ZONE_DMA32)) ||
		    (zone == __GFP_DMA && !IS_ENABLED(CONFIG_ZONE_DMA)) ||
		    (zone && !vcm_heap_zone_span(zone, &lo, &hi)))
			continue;
		heap = dma_heap_add(&exp_info);
		if (IS_ERR(heap))
			return PTR_ERR(heap);
		vcm_heaps[i].added = true;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Heap discovery
 *
 * For a device VCM serves: the heaps whose buffers it maps without
 * bouncing, and those whose buffers it sees as one range of DMA addresses.
 * Behind an IOMMU every heap's buffer is mapped into one range of IOVA
 * below the device's mask, whatever its memory.  One-to-one, the device
 * must reach the memory the heap allocates from at its bus address, with
 * no forced bouncing; and only a heap of physically contiguous buffers is
 * contiguous there.  Besides VCM's heaps: the system heap (any memory,
 * pages) and the CMA heap of the default CMA area (contiguous, in that
 * area), when the kernel has them.
 */

/* Every heap there is, VCM's first, in the order of the listing. */
static unsigned int vcm_heap_reaches(struct vcm_heap_reach *r)
{
	struct cma *cma = dev_get_cma_area(NULL);
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(vcm_heaps); i++) {
		if (!vcm_heaps[i].added ||
		    !vcm_heap_zone_span(GFP_KERNEL | vcm_heaps[i].zone,
					&r[n].lo, &r[n].hi))
			continue;
		r[n].name = vcm_heaps[i].name;
		r[n++].contiguous = false;
	}
	if (IS_ENABLED(CONFIG_DMABUF_HEAPS_SYSTEM) &&
	    vcm_heap_zone_span(GFP_HIGHUSER, &r[n].lo, &r[n].hi)) {
		r[n].name = "system";
		r[n++].contiguous = false;
	}
	if (IS_ENABLED(CONFIG_DMABUF_HEAPS_CMA) && cma && cma_get_size(cma)) {
		r[n].name = cma_get_name(cma);
		r[n].lo = cma_get_base(cma);
		r[n].hi = r[n].lo + cma_get_size(cma) - 1;
		r[n++].contiguous = true;
	}
	return n;
}

/**
 * vcm_heap_maps_directly() - does a device map a heap's buffers unbounced?
 * @dev: the device, served by VCM
 * @iommu: it is behind an IOMMU
 * @r: where the heap's buffers lie
 * @contiguous: and does it see each as one range of DMA addresses?
 *
 * Behind an IOMMU: always.  One-to-one: if (for @contiguous) the buffers
 * are physically contiguous and the share path would map all of the
 * heap's memory directly, which is the test it applies to each chunk of an
 * imported buffer (vcm_share_map_phys_sgt()).
 *
 * Return: true if so.
 */
bool vcm_heap_maps_directly(struct device *dev, bool iommu,
			    const struct vcm_heap_reach *r, bool contiguous)
{
	if (iommu)
		return true;
	if (contiguous && !r->contiguous)
		return false;
	return vcm_share_direct_ok(dev, r->lo, r->hi - r->lo + 1);
}

/**
 * vcm_heap_list() - the heaps a device maps without bouncing
 * @dev: the device
 * @contiguous: only those whose buffers @dev sees as one range of DMA
 *	addresses
 * @buf: a sysfs buffer (PAGE_SIZE), for their names, space-separated, in
 *	order of preference, and a newline
 *
 * Context: process context; takes the graph lock.
 *
 * Return: the length written, or -ENODEV if VCM does not serve @dev.
 */
ssize_t vcm_heap_list(struct device *dev, bool contiguous, char *buf)
{
	struct vcm_heap_reach r[ARRAY_SIZE(vcm_heaps) + 2];
	struct vcm_assoc *assoc;
	unsigned int i, n;
	bool iommu;
	int len = 0;

	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_of(dev);
	if (!assoc || assoc->state != VCM_ASSOC_ACTIVE) {
		mutex_unlock(&vcm_graph_lock);
		return -ENODEV;
	}
	iommu = assoc->vcm->kind == VCM_KIND_IOMMU;
	mutex_unlock(&vcm_graph_lock);

	n = vcm_heap_reaches(r);
	for (i = 0; i < n; i++) {
		if (!vcm_heap_maps_directly(dev, iommu, &r[i], contiguous))
			continue;
		len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "",
				     r[i].name);
	}
	return len + sysfs_emit_at(buf, len, "\n");
}

static ssize_t dma_heaps_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return vcm_heap_list(dev, false, buf);
}
static DEVICE_ATTR_RO(dma_heaps);

static ssize_t dma_heaps_contiguous_show(struct device *dev,
					 struct device_attribute *attr,
					 char *buf)
{
	return vcm_heap_list(dev, true, buf);
}
static DEVICE_ATTR_RO(dma_heaps_contiguous);

static struct attribute *vcm_heap_dev_attrs[] = {
	&dev_attr_dma_heaps.attr,
	&dev_attr_dma_heaps_contiguous.attr,
	NULL
};

static const struct attribute_group vcm_heap_dev_group = {
	.attrs = vcm_heap_dev_attrs,
};

/**
 * vcm_heap_sysfs_add() - give a device VCM serves its heap discovery files
 * @dev: the device, whose driver is binding
 *
 * dma_heaps and dma_heaps_contiguous in the device's sysfs directory, as
 * the IOMMU core adds iommu_group to it.  Again for a device that has them
 * already is harmless.
 *
 * Context: process context, not under the graph lock (a read of the files
 * takes it, and their removal waits for the reads).
 */
void vcm_heap_sysfs_add(struct device *dev)
{
	int ret = sysfs_update_group(&dev->kobj, &vcm_heap_dev_group);

	if (ret)
		dev_warn(dev, VCM_PREFIX "no dma_heaps in sysfs: %d\n", ret);
}

/**
 * vcm_heap_sysfs_remove() - take the heap discovery files away
 * @dev: the device, whose driver is gone
 *
 * Harmless for a device that has none.
 *
 * Context: as vcm_heap_sysfs_add().
 */
void vcm_heap_sysfs_remove(struct device *dev)
{
	sysfs_remove_group(&dev->kobj, &vcm_heap_dev_group);
}
