// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the native interface of <linux/dma-vcm.h>,
 * for drivers that handle buffers and their mappings themselves: a buffer
 * is shared into any number of devices with no scatterlist, and each
 * mapping is an edge of the graph that keeps the buffer alive.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include "vcm.h"

/**
 * dev_is_vcm() - is a device's DMA served by VCM?
 * @dev: the device
 *
 * Return: true if the native calls below can be used with @dev.
 */
bool dev_is_vcm(struct device *dev)
{
	return !!vcm_assoc_of(dev);
}
EXPORT_SYMBOL_GPL(dev_is_vcm);

/**
 * vcm_phys_alloc() - allocate a physical buffer that a device can reach
 * @dev: the device whose constraints (coherent DMA mask, bus window) the
 *	buffer must meet
 * @size: bytes, rounded up to whole pages
 * @gfp: allocation flags
 *
 * The buffer is zeroed and is not mapped anywhere yet: map it with
 * vcm_map_phys() into @dev or into any other device that can reach it.
 *
 * Return: the buffer, holding one reference for the caller, or an ERR_PTR():
 * -ENODEV if @dev is not on VCM, -ENOMEM.
 */
struct vcm_phys *vcm_phys_alloc(struct device *dev, size_t size, gfp_t gfp)
{
	struct vcm_assoc *assoc = vcm_assoc_of(dev);
	struct vcm_phys *phys;

	if (!assoc)
		return ERR_PTR(-ENODEV);
	if (!size)
		return ERR_PTR(-EINVAL);
	phys = vcm_phys_alloc_contig(dev, PAGE_ALIGN(size), gfp,
				     dev->coherent_dma_mask);
	return phys ?: ERR_PTR(-ENOMEM);
}
EXPORT_SYMBOL_GPL(vcm_phys_alloc);

/*
 * The layout a buffer for @devs may have.  Behind IOMMUs: chunks of the
 * orders that every one of them maps with one page table entry (*@orders,
 * the intersection of their page sizes; an order that one of them cannot
 * map as a unit costs a high-order allocation for nothing).  Any one-to-one
 * device among them reaches the buffer at its physical address, so it must
 * be one contiguous chunk below every such device's coherent mask: the
 * first of them is returned, the lowest mask in *@limit.  Caller holds
 * vcm_graph_lock, which keeps each device's vcm.
 *
 * Return: NULL (chunks will do) or the first one-to-one device, or an
 * ERR_PTR(-ENODEV) if a device is not on VCM.
 */
static struct device *vcm_layout_for(struct device * const *devs,
				     unsigned int n, unsigned long *orders,
				     u64 *limit)
{
	struct device *direct = NULL;
	struct vcm_assoc *assoc;
	unsigned int i;

	lockdep_assert_held(&vcm_graph_lock);
	*orders = ~0UL;
	*limit = U64_MAX;
	for (i = 0; i < n; i++) {
		assoc = vcm_assoc_of(devs[i]);
		if (!assoc || assoc->state != VCM_ASSOC_ACTIVE)
			return ERR_PTR(-ENODEV);
		if (assoc->vcm->kind == VCM_KIND_IOMMU) {
			*orders &= assoc->vcm->domain->pgsize_bitmap >>
				   PAGE_SHIFT;
			continue;
		}
		direct = direct ?: devs[i];
		*limit = min(*limit, devs[i]->coherent_dma_mask);
	}
	return direct;
}

/* Does every one-to-one device of @devs reach all of @phys? */
static bool vcm_reachable_by_all(struct vcm_phys *phys,
				 struct device * const *devs, unsigned int n)
{
	struct vcm_assoc *assoc;
	unsigned int i;
	bool ok = true;

	mutex_lock(&vcm_graph_lock);
	for (i = 0; i < n && ok; i++) {
		assoc = vcm_assoc_of(devs[i]);
		/* One that left VCM meanwhile maps nothing. */
		if (!assoc || assoc->state != VCM_ASSOC_ACTIVE ||
		    assoc->vcm->kind != VCM_KIND_ONE_TO_ONE)
			continue;
		ok = vcm_phys_reachable(devs[i], PFN_PHYS(phys->chunks[0].pfn),
					phys->size, devs[i]->coherent_dma_mask);
	}
	mutex_unlock(&vcm_graph_lock);
	return ok;
}

/**
 * vcm_phys_alloc_for() - allocate a buffer that a set of devices will map
 * @devs: the devices, all served by VCM
 * @n: how many, at least one
 * @size: bytes, rounded up to whole pages
 * @gfp: allocation flags; blocking
 *
 * The buffer's layout suits all of its mappers.  If one of them reaches
 * memory one-to-one, it is one contiguous chunk that every one-to-one
 * device of the set reaches (from CMA where one is configured); otherwise
 * it is made of chunks taken largest first, of the orders every IOMMU of
 * the set maps with one page table entry, falling back order by order.
 * It is zeroed, on the first device's NUMA node, and mapped nowhere yet:
 * map it with vcm_map_phys() or vcm_back().
 *
 * Context: process context; takes the graph lock and may sleep.
 *
 * Return: the buffer, holding one reference for the caller, or an ERR_PTR():
 * -EINVAL for no devices or no size, -ENODEV if a device is not on VCM,
 * -ERANGE if the one-to-one devices reach no memory in common, -ENOMEM.
 */
struct vcm_phys *vcm_phys_alloc_for(struct device * const *devs,
				    unsigned int n, size_t size, gfp_t gfp)
{
	struct vcm_phys *phys;
	unsigned long orders;
	struct device *direct;
	u64 limit;

	size = PAGE_ALIGN(size);
	if (!n || !size || !gfpflags_allow_blocking(gfp))
		return ERR_PTR(-EINVAL);
	/* The layout is decided under the lock, the memory taken outside. */
	mutex_lock(&vcm_graph_lock);
	direct = vcm_layout_for(devs, n, &orders, &limit);
	if (!IS_ERR_OR_NULL(direct))
		get_device(direct);
	mutex_unlock(&vcm_graph_lock);
	if (IS_ERR(direct))
		return ERR_CAST(direct);
	if (!direct)
		return vcm_phys_alloc_chunks(devs[0], size,
					     gfp & ~(__GFP_DMA | __GFP_DMA32),
					     orders) ?: ERR_PTR(-ENOMEM);

	phys = vcm_phys_alloc_contig(direct, size, gfp, limit);
	put_device(direct);
	if (!phys)
		return ERR_PTR(-ENOMEM);
	if (!vcm_reachable_by_all(phys, devs, n)) {
		vcm_phys_put(phys);
		return ERR_PTR(-ERANGE);
	}
	return phys;
}
EXPORT_SYMBOL_GPL(vcm_phys_alloc_for);

/**
 * vcm_phys_from_dma() - the buffer behind a device's DMA address
 * @dev: the device
 * @handle: the DMA address dma_alloc_attrs() or dma_alloc_pages() returned,
 *	or one of a live streaming mapping of a VCM buffer (any address in it)
 *
 * This is how a buffer allocated through the DMA API is shared: the caller
 * gets the buffer itself, not a scatterlist, and maps it into other devices
 * with vcm_map_phys().
 *
 * @dev is usually another driver's device, whose unbind may run at the
 * same time: the association is looked up, and used, under
 * vcm_graph_lock, which vcm_detach_locked() holds while it takes the
 * device out of its vcm.
 *
 * Context: process context; may sleep.
 *
 * Return: the buffer with a reference for the caller (drop it with
 * vcm_phys_put()), or an ERR_PTR(): -ENODEV if @dev is not on VCM, -ENOENT if
 * @handle is neither one of @dev's allocations nor in a buffer it maps.
 */
struct vcm_phys *vcm_phys_from_dma(struct device *dev, dma_addr_t handle)
{
	struct vcm_phys *phys = ERR_PTR(-ENODEV);
	struct vcm_assoc *assoc;

	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_find(dev);
	if (assoc && assoc->state == VCM_ASSOC_ACTIVE) {
		phys = vcm_phys_lookup(assoc, handle,
				       VCM_RES_COHERENT | VCM_RES_PAGES);
		if (!phys)
			phys = vcm_share_phys_get(assoc, handle);
		if (!phys)
			phys = ERR_PTR(-ENOENT);
	}
	mutex_unlock(&vcm_graph_lock);
	return phys;
}
EXPORT_SYMBOL_GPL(vcm_phys_from_dma);

/**
 * vcm_phys_size() - size of a buffer
 * @phys: the buffer
 *
 * Return: its size in bytes, a multiple of PAGE_SIZE.
 */
size_t vcm_phys_size(const struct vcm_phys *phys)
{
	return phys->size;
}
EXPORT_SYMBOL_GPL(vcm_phys_size);

/*
 * Can [@offset, @offset + @size) of @phys be mapped for DMA in @dir?  A
 * part starts on a page and lies wholly inside the buffer.
 */
static bool vcm_part_ok(struct vcm_phys *phys, size_t offset, size_t size,
			enum dma_data_direction dir)
{
	return !IS_ERR_OR_NULL(phys) && valid_dma_direction(dir) &&
	       PAGE_ALIGNED(offset) && size && offset < phys->size &&
	       size <= phys->size - offset;
}

/**
 * vcm_map_phys_range() - map part of a buffer for a device
 * @dev: the device, served by VCM
 * @phys: the buffer
 * @offset: where the part starts, in bytes into the buffer, page aligned
 * @size: its length in bytes, rounded up to whole pages
 * @dir: the direction of the DMA it will do
 *
 * The mapping is an edge of the graph: it keeps @phys alive until
 * vcm_unmap(), and shows in debugfs.  No scatterlist is built.  Behind an
 * IOMMU the part gets one range of device addresses, whatever chunks it
 * spans; a one-to-one device reaches only a part that is physically
 * contiguous.
 *
 * Context: process context; takes the graph lock and may sleep.
 *
 * Return: the mapping (its address is vcm_res_addr()), or an ERR_PTR():
 * -ENODEV if @dev is not on VCM, -EINVAL for a bad direction, a part
 * outside the buffer or, for a one-to-one device, not contiguous, -ERANGE if
 * @dev cannot reach the buffer, -ENOMEM.
 */
struct vcm_res *vcm_map_phys_range(struct device *dev, struct vcm_phys *phys,
				   size_t offset, size_t size,
				   enum dma_data_direction dir)
{
	struct vcm_assoc *assoc;
	struct vcm_res *res;

	if (!vcm_part_ok(phys, offset, PAGE_ALIGN(size), dir))
		return ERR_PTR(-EINVAL);
	size = PAGE_ALIGN(size);
	/*
	 * Under the graph lock the device cannot be torn down meanwhile:
	 * a reservation is never added to a device VCM has let go.
	 */
	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_of(dev);
	if (assoc && assoc->state == VCM_ASSOC_ACTIVE)
		res = vcm_res_create_range(assoc, phys, offset, size,
					   VCM_RES_NATIVE, dir, 0, GFP_KERNEL,
					   NULL);
	else
		res = ERR_PTR(-ENODEV);
	mutex_unlock(&vcm_graph_lock);
	return res;
}
EXPORT_SYMBOL_GPL(vcm_map_phys_range);

/**
 * vcm_map_phys() - map a whole buffer for a device
 * @dev: the device, served by VCM
 * @phys: the buffer
 * @dir: the direction of the DMA it will do
 *
 * vcm_map_phys_range() of all of @phys.
 *
 * Context: process context; takes the graph lock and may sleep.
 *
 * Return: the mapping or an ERR_PTR(), as vcm_map_phys_range().
 */
struct vcm_res *vcm_map_phys(struct device *dev, struct vcm_phys *phys,
			     enum dma_data_direction dir)
{
	if (IS_ERR_OR_NULL(phys))
		return ERR_PTR(-EINVAL);
	return vcm_map_phys_range(dev, phys, 0, phys->size, dir);
}
EXPORT_SYMBOL_GPL(vcm_map_phys);

/**
 * vcm_phys_nr_chunks() - how many physically contiguous chunks a buffer has
 * @phys: the buffer
 *
 * Return: the number of chunks, at least 1.
 */
unsigned int vcm_phys_nr_chunks(const struct vcm_phys *phys)
{
	return phys->nr_chunks;
}
EXPORT_SYMBOL_GPL(vcm_phys_nr_chunks);

/**
 * vcm_phys_chunk() - where one chunk of a buffer lies
 * @phys: the buffer
 * @i: the chunk, in buffer order, below vcm_phys_nr_chunks()
 * @addr: set to its physical address
 * @len: set to its length in bytes
 *
 * Return: 0, or -EINVAL for a chunk the buffer does not have.
 */
int vcm_phys_chunk(const struct vcm_phys *phys, unsigned int i,
		   phys_addr_t *addr, size_t *len)
{
	if (i >= phys->nr_chunks)
		return -EINVAL;
	*addr = PFN_PHYS(phys->chunks[i].pfn);
	*len = phys->chunks[i].nr_pages << PAGE_SHIFT;
	return 0;
}
EXPORT_SYMBOL_GPL(vcm_phys_chunk);

/* Sync one piece of a native mapping (vcm_phys_walk()). */
static int vcm_sync_piece(phys_addr_t paddr, size_t len, size_t done,
			  void *arg)
{
	struct vcm_res *res = arg;

	arch_sync_dma_for_device(paddr, len, res->dir);
	return 0;
}

static int vcm_sync_piece_cpu(phys_addr_t paddr, size_t len, size_t done,
			      void *arg)
{
	struct vcm_res *res = arg;

	if (res->dir != DMA_TO_DEVICE)
		arch_sync_dma_for_cpu(paddr, len, res->dir);
	return 0;
}

/* Sync [offset, offset + size) of a native mapping; report a bad one. */
static void vcm_sync_native(struct vcm_res *res, size_t offset, size_t size,
			    bool for_device)
{
	const char *bad = NULL;
	unsigned int flags;

	if (WARN_ON_ONCE(!(res->flags & VCM_RES_NATIVE)))
		return;
	if (offset >= res->size || size > res->size - offset)
		bad = "outside the mapping";
	else if (!res->phys)	/* the holder orders this and vcm_unback() */
		bad = "of an empty reserved range";
	if (bad) {
		pr_warn_ratelimited("vcm: sync of %zu bytes at %zu %s (%zu bytes) ignored\n",
				    size, offset, bad, res->size);
		return;
	}
	/*
	 * Lockless against the teardown of the device, which may free
	 * res->owner: what the device needs was noted in the flags when the
	 * mapping was made.  A mapping torn down with its device has nothing
	 * to sync; one torn down just now is synced harmlessly, as its
	 * buffer stays until vcm_unmap().
	 */
	flags = READ_ONCE(res->flags);
	if ((flags & VCM_RES_DEAD) || !(flags & VCM_RES_NONCOHERENT))
		return;
	vcm_phys_walk(res->phys, res->offset + offset, size,
		      for_device ? vcm_sync_piece : vcm_sync_piece_cpu, res);
}

/**
 * vcm_sync_for_device() - give a native mapping's memory to the device
 * @res: the mapping
 * @offset: bytes into the mapping
 * @size: bytes to hand over
 *
 * What dma_sync_single_for_device() is to a streaming mapping: after the
 * CPU wrote the range, before the device reads it.  Nothing to do on a
 * cache-coherent device.  A range outside the mapping, or a reserved range
 * with nothing behind it, is reported.
 */
void vcm_sync_for_device(struct vcm_res *res, size_t offset, size_t size)
{
	vcm_sync_native(res, offset, size, true);
}
EXPORT_SYMBOL_GPL(vcm_sync_for_device);

/**
 * vcm_sync_for_cpu() - give a native mapping's memory back to the CPU
 * @res: the mapping
 * @offset: bytes into the mapping
 * @size: bytes to hand over
 *
 * What dma_sync_single_for_cpu() is to a streaming mapping: after the
 * device wrote the range, before the CPU reads it.
 */
void vcm_sync_for_cpu(struct vcm_res *res, size_t offset, size_t size)
{
	vcm_sync_native(res, offset, size, false);
}
EXPORT_SYMBOL_GPL(vcm_sync_for_cpu);

/**
 * vcm_res_set_gone() - be told when a native mapping's device goes away
 * @res: a mapping returned by vcm_map_phys() or vcm_map_phys_range(), or
 *	a range from vcm_reserve()
 * @gone: called once if the device's driver unbinds or the device is
 *	removed while the mapping is live: VCM has then unmapped it from
 *	the device, and the holder must stop using its address and call
 *	vcm_unmap() to free it.  It runs under VCM's graph lock, so it must
 *	not call back into VCM: it flags or schedules.
 * @data: passed to @gone
 *
 * Context: process context; takes the graph lock and may sleep.
 *
 * Return: 0, or -ENODEV if the device went away already (no call follows).
 */
int vcm_res_set_gone(struct vcm_res *res,
		     void (*gone)(struct vcm_res *res, void *data), void *data)
{
	int ret = -ENODEV;

	mutex_lock(&vcm_graph_lock);
	if (!(res->flags & VCM_RES_DEAD)) {
		res->gone = gone;
		res->gone_data = data;
		ret = 0;
	}
	mutex_unlock(&vcm_graph_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vcm_res_set_gone);

/**
 * vcm_res_addr() - device address of a mapping or reserved range
 * @res: a mapping from vcm_map_phys() or vcm_map_phys_range(), or a range
 *	from vcm_reserve()
 *
 * Return: the address at which the device reaches the start of the mapped
 * part of the buffer (of the range, for a reserved range).
 */
dma_addr_t vcm_res_addr(const struct vcm_res *res)
{
	return res->start;
}
EXPORT_SYMBOL_GPL(vcm_res_addr);

/**
 * vcm_unmap() - remove a native mapping or reserved range
 * @res: a mapping from vcm_map_phys() or vcm_map_phys_range(), or a range
 *	from vcm_reserve(); the buffer is freed if this was its last user
 *
 * If the mapping's device went away first, VCM unmapped it from the device
 * then (vcm_teardown_assoc()); this only frees it.  The graph lock orders
 * the two, so the mapping is unbound exactly once.
 *
 * Context: process context; takes the graph lock and may sleep.
 */
void vcm_unmap(struct vcm_res *res)
{
	if (WARN_ON_ONCE(!(res->flags & VCM_RES_NATIVE)))
		return;
	mutex_lock(&vcm_graph_lock);
	vcm_res_destroy(res);
	mutex_unlock(&vcm_graph_lock);
}
EXPORT_SYMBOL_GPL(vcm_unmap);

/*
 * Reserved ranges: device addresses first, memory later.
 *
 * A driver that must hand a device an address before it has the memory
 * (a ring of buffers recycled at fixed addresses, a range the device was
 * programmed with once) reserves the range, backs it with a buffer, and
 * later unbacks it or rebinds it to another buffer, all at the same
 * addresses.  It is the split 6.16 made upstream as dma_iova_try_alloc(),
 * dma_iova_link() and dma_iova_unlink(), with the buffer as the unit and
 * the range an edge of the graph like any mapping.  Only a device behind
 * an IOMMU has addresses to reserve: a one-to-one device reaches memory at
 * its physical address.
 */

static bool vcm_res_is_reserved(struct vcm_res *res)
{
	return !IS_ERR_OR_NULL(res) &&
	       !WARN_ON_ONCE(!(res->flags & VCM_RES_RESERVED));
}

/**
 * vcm_reserve() - reserve a range of device addresses, with no memory behind
 * @dev: the device, served by VCM behind an IOMMU
 * @size: bytes, rounded up to whole pages
 *
 * The range is allocated below the device's DMA mask.  Until vcm_back(),
 * the device faults on any access to it.
 *
 * Context: process context; takes the graph lock and may sleep.
 *
 * Return: the reservation (its address is vcm_res_addr()), or an ERR_PTR():
 * -ENODEV if @dev is not on VCM, -EOPNOTSUPP if its addresses are physical
 * addresses (map buffers with vcm_map_phys() instead), -EINVAL for a zero
 * @size, -ENOMEM if no room is left below the mask.
 */
struct vcm_res *vcm_reserve(struct device *dev, size_t size)
{
	struct vcm_assoc *assoc;
	struct vcm_res *res;

	size = PAGE_ALIGN(size);
	if (!size)
		return ERR_PTR(-EINVAL);
	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_of(dev);
	if (assoc && assoc->state == VCM_ASSOC_ACTIVE)
		res = vcm_res_create_empty(assoc, size);
	else
		res = ERR_PTR(-ENODEV);
	mutex_unlock(&vcm_graph_lock);
	return res;
}
EXPORT_SYMBOL_GPL(vcm_reserve);

/* Fill @res with part of @phys.  Caller holds vcm_graph_lock. */
static int vcm_back_locked(struct vcm_res *res, struct vcm_phys *phys,
			   size_t offset, enum dma_data_direction dir)
{
	struct vcm *vcm = res->vcm;
	unsigned long flags;
	int ret;

	lockdep_assert_held(&vcm_graph_lock);
	if (res->flags & VCM_RES_DEAD)
		return -ENODEV;
	if (res->phys)
		return -EBUSY;
	if (!vcm_part_ok(phys, offset, res->size, dir))
		return -EINVAL;

	/*
	 * ->phys changes under vcm->lock, for the backend's fill to read;
	 * a reader that sees it before the fill is done finds the range
	 * being filled, with the buffer kept alive by the caller's hold.
	 */
	spin_lock_irqsave(&vcm->lock, flags);
	res->phys = phys;
	res->offset = offset;
	res->dir = dir;
	spin_unlock_irqrestore(&vcm->lock, flags);
	ret = vcm->backend->fill(res->owner, res, GFP_KERNEL);

	spin_lock_irqsave(&vcm->lock, flags);
	if (ret) {
		res->phys = NULL;
		res->dir = DMA_NONE;
	} else {
		kref_get(&phys->kref);
		spin_lock(&phys->lock);
		vcm_res_link_phys_locked(res, phys);
		spin_unlock(&phys->lock);
	}
	spin_unlock_irqrestore(&vcm->lock, flags);
	return ret;
}

/* Empty @res, if it is backed.  Caller holds vcm_graph_lock. */
static void vcm_unback_locked(struct vcm_res *res)
{
	struct vcm *vcm = res->vcm;
	struct vcm_phys *phys = res->phys;
	unsigned long flags;

	lockdep_assert_held(&vcm_graph_lock);
	/* Its device went away: VCM unmapped it then (vcm_teardown_assoc()). */
	if (!phys || (res->flags & VCM_RES_DEAD))
		return;
	vcm->backend->empty(res);
	spin_lock_irqsave(&vcm->lock, flags);
	spin_lock(&phys->lock);
	vcm_res_unlink_phys_locked(res, phys);
	spin_unlock(&phys->lock);
	res->phys = NULL;
	res->dir = DMA_NONE;
	spin_unlock_irqrestore(&vcm->lock, flags);
	kref_put(&phys->kref, vcm_phys_release);
}

/**
 * vcm_back() - put a buffer behind a reserved range
 * @res: a range from vcm_reserve(), with nothing behind it
 * @phys: the buffer; the range takes its own reference
 * @offset: where in @phys the range's memory starts, page aligned; the
 *	whole range must fit in @phys from there
 * @dir: the direction of the DMA the device will do, which sets the
 *	IOMMU permissions
 *
 * The device reaches [@offset, @offset + size of @res) of @phys at the
 * range's addresses when this returns.  Sync with vcm_sync_for_device()
 * and vcm_sync_for_cpu() as for any native mapping.
 *
 * Context: process context; takes the graph lock and may sleep.
 *
 * Return: 0, -EBUSY if the range is backed already, -EINVAL for a bad
 * direction or a buffer too small, -ENODEV if the device went away,
 * -ENOMEM (the range stays empty).
 */
int vcm_back(struct vcm_res *res, struct vcm_phys *phys, size_t offset,
	     enum dma_data_direction dir)
{
	int ret;

	if (!vcm_res_is_reserved(res))
		return -EINVAL;
	mutex_lock(&vcm_graph_lock);
	ret = vcm_back_locked(res, phys, offset, dir);
	mutex_unlock(&vcm_graph_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vcm_back);

/**
 * vcm_unback() - take the buffer out from behind a reserved range
 * @res: a range from vcm_reserve()
 *
 * The device can no longer reach the buffer when this returns (the IOTLB
 * is invalidated, whatever the lazy setting), and the range keeps its
 * addresses for the next vcm_back().  The buffer is freed if this was its
 * last user.  Nothing happens to an empty range.
 *
 * Context: process context; takes the graph lock and may sleep.
 */
void vcm_unback(struct vcm_res *res)
{
	if (!vcm_res_is_reserved(res))
		return;
	mutex_lock(&vcm_graph_lock);
	vcm_unback_locked(res);
	mutex_unlock(&vcm_graph_lock);
}
EXPORT_SYMBOL_GPL(vcm_unback);

/**
 * vcm_rebind() - put another buffer behind a reserved range
 * @res: a range from vcm_reserve(), backed or empty
 * @phys: the new buffer
 * @offset: where in @phys the range's memory starts, as for vcm_back()
 * @dir: the direction of the DMA the device will do
 *
 * vcm_unback() and vcm_back() in one step that no other call on the range
 * comes between: the device sees the old buffer, then nothing, then the new
 * one, always at the same addresses.  A new buffer that does not fit is
 * refused before the old one is taken out.
 *
 * Context: process context; takes the graph lock and may sleep.
 *
 * Return: 0, or as vcm_back(); on -ENOMEM the range is left empty.
 */
int vcm_rebind(struct vcm_res *res, struct vcm_phys *phys, size_t offset,
	       enum dma_data_direction dir)
{
	int ret = -EINVAL;

	if (!vcm_res_is_reserved(res))
		return -EINVAL;
	mutex_lock(&vcm_graph_lock);
	if (res->flags & VCM_RES_DEAD) {
		ret = -ENODEV;
	} else if (vcm_part_ok(phys, offset, res->size, dir)) {
		vcm_unback_locked(res);
		ret = vcm_back_locked(res, phys, offset, dir);
	}
	mutex_unlock(&vcm_graph_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vcm_rebind);

/**
 * vcm_unreserve() - give back a reserved range
 * @res: a range from vcm_reserve(); a buffer still behind it is unbacked
 *	first
 *
 * Context: process context; takes the graph lock and may sleep.
 */
void vcm_unreserve(struct vcm_res *res)
{
	if (!vcm_res_is_reserved(res))
		return;
	vcm_unmap(res);
}
EXPORT_SYMBOL_GPL(vcm_unreserve);
