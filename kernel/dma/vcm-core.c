// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the graph.
 *
 * This file owns the vcms, the device associations and the reservations:
 * their creation, their lookup and their teardown.  Elsewhere: the table of
 * live streaming mappings (vcm-track.c), which devices VCM takes
 * (vcm-attach.c), the native interface of <linux/dma-vcm.h>
 * (vcm-native.c), the DMA segments of scatterlists (vcm-sg.c).  It knows
 * nothing about how a kind of vcm produces device addresses: that is the
 * backend's job (vcm-direct.c, vcm-iommu.c).  The locks and reference
 * counts are described in vcm.h.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/export.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "vcm.h"

DEFINE_MUTEX(vcm_graph_lock);		/* see vcm.h */
LIST_HEAD(vcm_list);
LIST_HEAD(vcm_assoc_list);
static unsigned int vcm_next_id;

const char * const vcm_stat_names[VCM_NR_STATS] = {
	[VCM_STAT_ALLOC]		= "alloc",
	[VCM_STAT_FREE]			= "free",
	[VCM_STAT_ALLOC_PAGES]		= "alloc_pages",
	[VCM_STAT_FREE_PAGES]		= "free_pages",
	[VCM_STAT_MAP_PAGE]		= "map_page",
	[VCM_STAT_UNMAP_PAGE]		= "unmap_page",
	[VCM_STAT_MAP_SG]		= "map_sg",
	[VCM_STAT_UNMAP_SG]		= "unmap_sg",
	[VCM_STAT_MAP_RESOURCE]		= "map_resource",
	[VCM_STAT_UNMAP_RESOURCE]	= "unmap_resource",
	[VCM_STAT_SYNC]			= "sync",
	[VCM_STAT_MMAP]			= "mmap",
	[VCM_STAT_GET_SGTABLE]		= "get_sgtable",
	[VCM_STAT_BOUNCED]		= "bounced",
	[VCM_STAT_SG_MERGED]		= "sg_merged",
	[VCM_STAT_P2P_BUS]		= "p2p_bus",
	[VCM_STAT_SHARED]		= "shared",
	[VCM_STAT_PINNED]		= "pinned",
	[VCM_STAT_ALLOC_FAILED]		= "alloc_failed",
	[VCM_STAT_MAP_FAILED]		= "map_failed",
	[VCM_ERR_UNKNOWN_HANDLE]	= "err_unknown_handle",
	[VCM_ERR_SIZE_MISMATCH]		= "err_size_mismatch",
	[VCM_ERR_DIR_MISMATCH]		= "err_dir_mismatch",
	[VCM_ERR_OWNER_MISMATCH]	= "err_owner_mismatch",
	[VCM_ERR_MASK]			= "err_mask",
	[VCM_ERR_LEAKED]		= "err_leaked",
};

/* ------------------------------------------------------------------------
 * vcms
 */

static struct vcm *vcm_create(enum vcm_kind kind,
			      const struct vcm_backend *backend)
{
	struct vcm *vcm;

	lockdep_assert_held(&vcm_graph_lock);
	vcm = kzalloc(sizeof(*vcm), GFP_KERNEL);
	if (!vcm)
		return NULL;
	kref_init(&vcm->kref);
	vcm->kind = kind;
	vcm->backend = backend;
	vcm->id = vcm_next_id++;
	snprintf(vcm->name, sizeof(vcm->name), "%s-%u", backend->name,
		 vcm->id);
	INIT_LIST_HEAD(&vcm->assocs);
	spin_lock_init(&vcm->lock);
	vcm->res_tree = RB_ROOT;
	xa_init(&vcm->pins);
	list_add_tail(&vcm->node, &vcm_list);
	return vcm;
}

static void vcm_release(struct kref *kref)
{
	struct vcm *vcm = container_of(kref, struct vcm, kref);

	lockdep_assert_held(&vcm_graph_lock);
	/* Every reservation belongs to an assoc, and assocs are gone. */
	WARN_ON(!RB_EMPTY_ROOT(&vcm->res_tree));
	/*
	 * Recorded mappings took their pins with them at teardown; a page
	 * mapping a driver leaked without a record (notrack) leaves its
	 * buffer pinned for good, as a leaked mapping should.
	 */
	xa_destroy(&vcm->pins);
	if (vcm->kind == VCM_KIND_IOMMU)
		vcm_iommu_destroy(vcm);
	list_del(&vcm->node);
	kfree(vcm);
}

/*
 * A one-to-one window is identified by the bus offset map and the bus DMA
 * limit of the devices behind it: devices that agree on both see memory at
 * the same addresses and can share the vcm (and its reservations).
 */
static struct vcm *vcm_get_one_to_one(struct device *dev)
{
	struct vcm *vcm;

	lockdep_assert_held(&vcm_graph_lock);
	list_for_each_entry(vcm, &vcm_list, node) {
		if (vcm->kind == VCM_KIND_ONE_TO_ONE &&
		    vcm->window == dev->dma_range_map &&
		    vcm->bus_limit == dev->bus_dma_limit) {
			kref_get(&vcm->kref);
			return vcm;
		}
	}
	vcm = vcm_create(VCM_KIND_ONE_TO_ONE, &vcm_direct_backend);
	if (vcm) {
		vcm->window = dev->dma_range_map;
		vcm->bus_limit = dev->bus_dma_limit;
	}
	return vcm;
}

/*
 * An IOMMU domain is one address space: the devices attached to it (one
 * IOMMU group) share its vcm.
 */
static struct vcm *vcm_get_iommu(struct device *dev,
				 struct iommu_domain *domain, bool lazy)
{
	struct vcm *vcm;

	if (!IS_ENABLED(CONFIG_DMA_VCM_IOMMU))
		return NULL;

	lockdep_assert_held(&vcm_graph_lock);
	list_for_each_entry(vcm, &vcm_list, node) {
		if (vcm->kind == VCM_KIND_IOMMU &&
		    vcm->domain == domain) {
			kref_get(&vcm->kref);
			return vcm;
		}
	}
	vcm = vcm_create(VCM_KIND_IOMMU, &vcm_iommu_backend);
	if (vcm && vcm_iommu_init(vcm, dev, domain, lazy)) {
		list_del(&vcm->node);
		kfree(vcm);
		vcm = NULL;
	}
	return vcm;
}

/* ------------------------------------------------------------------------
 * Reservations
 *
 * The tree of a vcm is ordered by start address.  Equal starts are allowed:
 * in a one-to-one vcm two devices that map the same buffer get the same
 * address, and each mapping is its own edge.
 */

static void vcm_res_insert_locked(struct vcm *vcm, struct vcm_res *res)
{
	struct rb_node **link = &vcm->res_tree.rb_node, *parent = NULL;

	while (*link) {
		struct vcm_res *r = rb_entry(*link, struct vcm_res, node);

		parent = *link;
		link = res->start < r->start ? &parent->rb_left :
					       &parent->rb_right;
	}
	rb_link_node(&res->node, parent, link);
	rb_insert_color(&res->node, &vcm->res_tree);
	vcm->nr_res++;
}

/* Take @res out of @vcm's tree.  Caller holds vcm->lock. */
static void vcm_res_unlink_locked(struct vcm *vcm, struct vcm_res *res)
{
	rb_erase(&res->node, &vcm->res_tree);
	RB_CLEAR_NODE(&res->node);
	vcm->nr_res--;
}

/* First reservation starting at @addr, or NULL.  Caller holds vcm->lock. */
static struct vcm_res *vcm_res_first_at(struct vcm *vcm, dma_addr_t addr)
{
	struct rb_node *n = vcm->res_tree.rb_node;
	struct vcm_res *found = NULL;

	while (n) {
		struct vcm_res *r = rb_entry(n, struct vcm_res, node);

		if (addr < r->start) {
			n = n->rb_left;
		} else if (addr > r->start) {
			n = n->rb_right;
		} else {
			found = r;
			n = n->rb_left;
		}
	}
	return found;
}

/**
 * vcm_res_covering_locked() - the reservation an address falls into
 * @vcm: the address space
 * @addr: a device address
 *
 * The last reservation starting at or below @addr, if @addr is inside it.
 * In a vcm whose reservations do not overlap (the iommu kind) that is the
 * one reservation covering @addr.  Caller holds vcm->lock.
 *
 * Return: the reservation or NULL.
 */
struct vcm_res *vcm_res_covering_locked(struct vcm *vcm, dma_addr_t addr)
{
	struct rb_node *n = vcm->res_tree.rb_node;
	struct vcm_res *best = NULL;

	lockdep_assert_held(&vcm->lock);
	while (n) {
		struct vcm_res *r = rb_entry(n, struct vcm_res, node);

		if (addr < r->start) {
			n = n->rb_left;
		} else {
			best = r;
			n = n->rb_right;
		}
	}
	return best && addr - best->start < best->size ? best : NULL;
}

/*
 * @assoc's reservation of a kind in @flags starting at @addr.  Caller holds
 * vcm->lock.
 */
static struct vcm_res *vcm_res_find_locked(struct vcm_assoc *assoc,
					   dma_addr_t addr, unsigned int flags)
{
	struct vcm_res *res = vcm_res_first_at(assoc->vcm, addr);
	struct rb_node *n;

	for (n = res ? &res->node : NULL; n; n = rb_next(n)) {
		res = rb_entry(n, struct vcm_res, node);
		if (res->start != addr)
			break;
		if (res->owner == assoc && (res->flags & flags))
			return res;
	}
	return NULL;
}

/**
 * vcm_phys_lookup() - the buffer behind one of a device's reservations
 * @assoc: the device
 * @addr: the address the device was given
 * @flags: VCM_RES_* kinds that qualify
 *
 * Return: the buffer with a reference for the caller, or NULL.
 */
struct vcm_phys *vcm_phys_lookup(struct vcm_assoc *assoc, dma_addr_t addr,
				 unsigned int flags)
{
	struct vcm *vcm = assoc->vcm;
	struct vcm_phys *phys = NULL;
	struct vcm_res *res;
	unsigned long irqflags;

	spin_lock_irqsave(&vcm->lock, irqflags);
	res = vcm_res_find_locked(assoc, addr, flags);
	if (res && res->phys) {
		phys = res->phys;
		kref_get(&phys->kref);
	}
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	return phys;
}

/* A new reservation's flags: its kind, and what its device needs. */
static unsigned int vcm_res_flags(struct vcm_assoc *assoc, unsigned int kind)
{
	return dev_is_dma_coherent(assoc->dev) ? kind :
						 kind | VCM_RES_NONCOHERENT;
}

/**
 * vcm_res_create_range() - bind part of a buffer into a device's address space
 * @assoc: the device
 * @phys: the buffer; the reservation takes its own reference
 * @offset: where the part starts in @phys, page aligned
 * @size: its length, whole pages
 * @flags: VCM_RES_* kind
 * @dir: the direction of the DMA it serves (the IOMMU permissions)
 * @attrs: DMA_ATTR_* of the request
 * @gfp: allocation context, down to the IOMMU page tables
 * @edge: for a shared reservation, the edge that holds its first use;
 *	NULL for one that @assoc owns
 *
 * Return: the reservation, or an ERR_PTR() from the backend.
 */
struct vcm_res *vcm_res_create_range(struct vcm_assoc *assoc,
				     struct vcm_phys *phys, size_t offset,
				     size_t size, unsigned int flags,
				     enum dma_data_direction dir,
				     unsigned long attrs, gfp_t gfp,
				     struct vcm_edge *edge)
{
	struct vcm *vcm = assoc->vcm;
	struct vcm_res *res;
	unsigned long irqflags;
	int ret;

	res = kzalloc(sizeof(*res), vcm_meta_gfp(gfp));
	if (!res)
		return ERR_PTR(-ENOMEM);
	res->vcm = vcm;
	res->phys = phys;
	res->owner = edge ? NULL : assoc;
	res->offset = offset;
	res->size = size;
	res->flags = vcm_res_flags(assoc, flags);
	res->dir = dir;
	res->attrs = attrs;
	res->users = 1;
	INIT_LIST_HEAD(&res->edges);
	ret = vcm->backend->bind(assoc, res, gfp);
	if (ret) {
		kfree(res);
		return ERR_PTR(ret);
	}

	kref_get(&phys->kref);
	spin_lock_irqsave(&vcm->lock, irqflags);
	spin_lock(&phys->lock);
	if (edge) {
		/* The first use of a shared reservation is its creator's. */
		edge->maps = 1;
		list_add_tail(&edge->node, &res->edges);
		atomic_long_inc(&vcm->nr_shared);
	}
	list_add_tail(&res->phys_node, &phys->res);
	spin_unlock(&phys->lock);
	vcm_res_insert_locked(vcm, res);
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	return res;
}

/**
 * vcm_res_create() - bind a buffer into a device's address space
 * @assoc: the device
 * @phys: the buffer; the reservation takes its own reference
 * @flags: VCM_RES_* kind
 * @dir: the direction of the DMA it serves, which sets the IOMMU
 *	permissions (DMA_BIDIRECTIONAL for coherent buffers)
 * @attrs: DMA_ATTR_* of the request
 * @gfp: allocation context, down to the IOMMU page tables
 *
 * Return: the reservation, with its device address in ->start, or an
 * ERR_PTR() from the backend (-ERANGE: the device cannot reach the buffer).
 */
struct vcm_res *vcm_res_create(struct vcm_assoc *assoc,
			       struct vcm_phys *phys, unsigned int flags,
			       enum dma_data_direction dir,
			       unsigned long attrs, gfp_t gfp)
{
	return vcm_res_create_range(assoc, phys, 0, phys->size, flags, dir, attrs,
				    gfp, NULL);
}

/**
 * vcm_res_create_empty() - reserve device addresses with nothing behind them
 * @assoc: the device, active, whose backend can reserve
 * @size: bytes, whole pages
 *
 * Context: process context, under vcm_graph_lock (which keeps @assoc
 * active).
 *
 * Return: the reservation, owned by @assoc, with its address in ->start
 * and no buffer (VCM_RES_NATIVE | VCM_RES_RESERVED), or an ERR_PTR():
 * -EOPNOTSUPP if the backend has no addresses to reserve, -ENOMEM.
 */
struct vcm_res *vcm_res_create_empty(struct vcm_assoc *assoc, size_t size)
{
	struct vcm *vcm = assoc->vcm;
	struct vcm_res *res;
	unsigned long irqflags;
	int ret;

	lockdep_assert_held(&vcm_graph_lock);
	if (!vcm->backend->reserve)
		return ERR_PTR(-EOPNOTSUPP);
	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	res->vcm = vcm;
	res->owner = assoc;
	res->size = size;
	res->flags = vcm_res_flags(assoc, VCM_RES_NATIVE | VCM_RES_RESERVED);
	res->dir = DMA_NONE;
	res->users = 1;
	INIT_LIST_HEAD(&res->edges);
	INIT_LIST_HEAD(&res->phys_node);
	ret = vcm->backend->reserve(assoc, res);
	if (ret) {
		kfree(res);
		return ERR_PTR(ret);
	}
	spin_lock_irqsave(&vcm->lock, irqflags);
	vcm_res_insert_locked(vcm, res);
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	return res;
}

/**
 * vcm_res_create_shared() - map a buffer for a device's streaming mapping
 * @assoc: the device
 * @phys: the buffer; the reservation takes its own reference
 * @offset: where in @phys the range starts, page aligned
 * @size: bytes, whole pages
 * @dir: the direction of the mapping, which sets the IOMMU permissions
 * @attrs: DMA_ATTR_* of the mapping
 * @edge: the device's edge, which holds the reservation's first use
 *
 * Context: any: the IOMMU page tables are allocated with GFP_ATOMIC.
 *
 * Return: the reservation or an ERR_PTR() from the backend.
 */
struct vcm_res *vcm_res_create_shared(struct vcm_assoc *assoc,
				      struct vcm_phys *phys, size_t offset,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs,
				      struct vcm_edge *edge)
{
	return vcm_res_create_range(assoc, phys, offset, size, VCM_RES_SHARED,
				    dir, attrs, GFP_ATOMIC, edge);
}

/**
 * vcm_res_unbind() - take a reservation out of the graph and its backend
 * @res: the reservation; its memory stays, and so does the struct
 */
void vcm_res_unbind(struct vcm_res *res)
{
	struct vcm *vcm = res->vcm;
	struct vcm_phys *phys = res->phys;
	unsigned long irqflags;

	spin_lock_irqsave(&vcm->lock, irqflags);
	if (!RB_EMPTY_NODE(&res->node))
		vcm_res_unlink_locked(vcm, res);
	/* A reserved range may have nothing behind it. */
	if (phys) {
		spin_lock(&phys->lock);
		list_del(&res->phys_node);
		spin_unlock(&phys->lock);
	}
	spin_unlock_irqrestore(&vcm->lock, irqflags);

	vcm->backend->unbind(res);
}

/**
 * vcm_res_destroy() - unbind and free a reservation
 * @res: the reservation, in its vcm's tree or already erased by
 *	vcm_res_lookup()
 *
 * Drops the reservation's reference on its buffer, which frees the buffer
 * when it was the last one.
 */

void vcm_res_destroy(struct vcm_res *res)
{
	struct vcm_phys *phys = res->phys;

	if (!(res->flags & VCM_RES_DEAD))
		vcm_res_unbind(res);
	/* The CPU view of a coherent buffer of several chunks. */
	if ((res->flags & VCM_RES_COHERENT) && is_vmalloc_addr(res->cpu_addr))
		vunmap(res->cpu_addr);
	kfree(res);
	if (phys)
		kref_put(&phys->kref, vcm_phys_release);
}

/* ------------------------------------------------------------------------
 * Associations
 */

/**
 * vcm_assoc_of() - the VCM association of a device served by VCM
 * @dev: the device
 *
 * Return: the association, or NULL if @dev's DMA is not served by VCM.
 */
struct vcm_assoc *vcm_assoc_of(struct device *dev)
{
	const struct dma_map_ops *ops = get_dma_ops(dev);

	if (!ops || ops->alloc != vcm_dma_ops.alloc)
		return NULL;
	return container_of(ops, struct vcm_assoc, ops);
}

/**
 * vcm_assoc_find() - the association of a device, in any state
 * @dev: the device
 *
 * Context: caller holds vcm_graph_lock.
 *
 * Return: the association, or NULL if VCM has not seen @dev.
 */
struct vcm_assoc *vcm_assoc_find(struct device *dev)
{
	struct vcm_assoc *assoc;

	lockdep_assert_held(&vcm_graph_lock);
	list_for_each_entry(assoc, &vcm_assoc_list, node)
		if (assoc->dev == dev)
			return assoc;
	return NULL;
}

static struct vcm_assoc *vcm_assoc_alloc(struct device *dev,
					 bool behind_iommu)
{
	struct vcm_assoc *assoc;

	assoc = kzalloc(sizeof(*assoc), GFP_KERNEL);
	if (!assoc)
		return NULL;
	assoc->cnt = alloc_percpu(struct vcm_counters);
	if (!assoc->cnt) {
		kfree(assoc);
		return NULL;
	}
	/*
	 * Remember this once: after VCM takes over a device behind an IOMMU,
	 * dev->dma_iommu no longer tells, and a rebind must not mistake it
	 * for a one-to-one device.
	 */
	assoc->behind_iommu = behind_iommu;
	/* Nobody sees the copy before set_dma_ops(): write it once here. */
	memcpy((void *)&assoc->ops, assoc->behind_iommu ? &vcm_iommu_dma_ops :
	       &vcm_dma_ops, sizeof(assoc->ops));
	assoc->dev = dev;
	assoc->state = VCM_ASSOC_IDLE;
	list_add_tail(&assoc->node, &vcm_assoc_list);
	return assoc;
}

/**
 * vcm_attach_device_domain() - put a device on VCM, behind a given domain
 * @dev: the device, whose driver is about to probe
 * @domain: the IOMMU domain the device's DMA goes through, or NULL to
 *	decide from the device (its default DMA domain if dma-iommu serves
 *	it, else a one-to-one window); tests pass a domain of their own
 * @flags: VCM_ATTACH_TRACK to record every streaming mapping, to check
 *	every unmap (without it mappings are only counted); VCM_ATTACH_LAZY
 *	to batch IOTLB invalidation if the device is behind an IOMMU;
 *	VCM_ATTACH_EXCLUDED if vcm.exclude= names the device
 *
 * Idempotent: a device already on VCM keeps its association.  A device VCM
 * cannot serve keeps its backend, with one notice, and costs no
 * association (vcm_decline()).
 *
 * Return: the association if @dev is now served by VCM, NULL if it is not,
 * or an ERR_PTR() on allocation failure.
 */
struct vcm_assoc *vcm_attach_device_domain(struct device *dev,
					   struct iommu_domain *domain,
					   unsigned int flags)
{
	struct vcm_assoc *assoc;
	bool behind_iommu;
	const char *why;
	struct vcm *vcm;

	mutex_lock(&vcm_graph_lock);
	if ((flags & VCM_ATTACH_EXCLUDED) && vcm_exclusion_holds(dev)) {
		assoc = NULL;
		goto out;
	}
	assoc = vcm_assoc_find(dev);
	if (assoc && assoc->state == VCM_ASSOC_ACTIVE)
		goto out;
	behind_iommu = assoc ? assoc->behind_iommu : domain || dev->dma_iommu;
	why = vcm_cannot_serve(dev, behind_iommu, domain);
	if (why) {
		vcm_decline(dev, assoc, why);
		assoc = NULL;
		goto out;
	}
	vcm_forget_declined(dev);
	assoc = assoc ?: vcm_assoc_alloc(dev, behind_iommu);
	if (!assoc) {
		assoc = ERR_PTR(-ENOMEM);
		goto out;
	}
	/* Recorded once, recorded until the device goes: see @table. */
	if ((flags & VCM_ATTACH_TRACK) && !assoc->table) {
		assoc->table = vcm_track_table_alloc();
		if (!assoc->table) {
			assoc = ERR_PTR(-ENOMEM);
			goto out;
		}
	}

	if (assoc->behind_iommu)
		vcm = vcm_get_iommu(dev, domain ?: iommu_get_domain_for_dev(dev),
				    flags & VCM_ATTACH_LAZY);
	else
		vcm = vcm_get_one_to_one(dev);
	if (!vcm) {
		assoc = ERR_PTR(-ENOMEM);
		goto out;
	}
	assoc->vcm = vcm;
	assoc->untracked = !(flags & VCM_ATTACH_TRACK);
	assoc->declined = NULL;
	list_add_tail(&assoc->vcm_node, &vcm->assocs);
	assoc->orig_ops = dev->dma_ops;
	set_dma_ops(dev, &assoc->ops);
	/* dma-iommu's direct calls would win over any dma_map_ops. */
	dev->dma_iommu = false;
	assoc->state = VCM_ASSOC_ACTIVE;
out:
	mutex_unlock(&vcm_graph_lock);
	return assoc;
}

/**
 * vcm_attach_device() - put a device on VCM
 * @dev: the device, whose driver is about to probe
 * @flags: see vcm_attach_device_domain()
 *
 * Return: see vcm_attach_device_domain().
 */
struct vcm_assoc *vcm_attach_device(struct device *dev, unsigned int flags)
{
	return vcm_attach_device_domain(dev, NULL, flags);
}

/* The first reservation @assoc owns in its vcm.  Caller holds vcm->lock. */
static struct vcm_res *vcm_res_first_owned_locked(struct vcm_assoc *assoc)
{
	struct rb_node *node;

	for (node = rb_first(&assoc->vcm->res_tree); node; node = rb_next(node))
		if (rb_entry(node, struct vcm_res, node)->owner == assoc)
			return rb_entry(node, struct vcm_res, node);
	return NULL;
}

/* Does @assoc own a reservation in its vcm? */
static bool vcm_res_owns_any(struct vcm_assoc *assoc)
{
	unsigned long irqflags;
	bool found;

	spin_lock_irqsave(&assoc->vcm->lock, irqflags);
	found = vcm_res_first_owned_locked(assoc);
	spin_unlock_irqrestore(&assoc->vcm->lock, irqflags);
	return found;
}

/*
 * End @res's creator's hold, under @res's vcm's lock: true if it has no
 * user left, and is now out of the tree for the caller to destroy; false
 * if other devices of the vcm still map it, and it stays as a shared
 * reservation (*@view: the creator's CPU view, to unmap after the lock).
 */
static bool vcm_res_end_creator(struct vcm_res *res, void **view)
{
	bool last;

	lockdep_assert_held(&res->vcm->lock);
	*view = NULL;
	if (res->flags & VCM_RES_NATIVE) {
		last = true;
	} else {
		spin_lock(&res->phys->lock);
		last = vcm_res_end_creator_locked(res, view);
		spin_unlock(&res->phys->lock);
	}
	if (last)
		vcm_res_unlink_locked(res->vcm, res);
	return last;
}

/* The CPU view a creator left on a reservation that stays. */
static void vcm_res_drop_view(void *view)
{
	if (is_vmalloc_addr(view))
		vunmap(view);
}

/*
 * The first reservation @assoc still owns: taken out of @vcm's tree (true),
 * or, if other devices still map it, turned into a shared one (false, and
 * *@view is the CPU view to drop).
 */
static struct vcm_res *vcm_res_take_any(struct vcm_assoc *assoc, bool *last,
					void **view)
{
	struct vcm *vcm = assoc->vcm;
	unsigned long irqflags;
	struct vcm_res *res;

	spin_lock_irqsave(&vcm->lock, irqflags);
	res = vcm_res_first_owned_locked(assoc);
	if (res)
		*last = vcm_res_end_creator(res, view);
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	return res;
}

/**
 * vcm_res_free_handle() - the creator of a buffer frees it
 * @assoc: the device
 * @handle: the address the allocation returned
 * @size: the size the driver gives
 * @cpu: the CPU address (or page) the driver gives
 * @flags: VCM_RES_COHERENT or VCM_RES_PAGES
 *
 * Checks that the driver describes the buffer the way it was allocated: a
 * wrong size is reported and the buffer freed as allocated; a wrong CPU
 * address means the handle and the pointer disagree about which buffer
 * is meant, so nothing is freed.  A buffer that other devices of the vcm
 * still map through this reservation stays mapped for them
 * (vcm_res_end_creator_locked()); everything is decided under the vcm's
 * lock, so that neither a racing double free nor a racing unmap sees the
 * reservation half gone.
 */
void vcm_res_free_handle(struct vcm_assoc *assoc, dma_addr_t handle,
			 size_t size, void *cpu, unsigned int flags)
{
	struct vcm *vcm = assoc->vcm;
	struct vcm_res *res;
	unsigned long irqflags;
	void *view = NULL;
	bool last = false;

	spin_lock_irqsave(&vcm->lock, irqflags);
	res = vcm_res_find_locked(assoc, handle, flags);
	if (!res) {
		vcm_report(assoc, VCM_ERR_UNKNOWN_HANDLE,
			   "free of %pad (%zu bytes), which is not allocated (double free?)\n",
			   &handle, size);
	} else if (cpu != res->cpu_addr) {
		vcm_report(assoc, VCM_ERR_OWNER_MISMATCH,
			   "free of %pad with CPU address %p, allocated at %p: not freed\n",
			   &handle, cpu, res->cpu_addr);
		res = NULL;
	} else {
		if (PAGE_ALIGN(size) != res->size)
			vcm_report(assoc, VCM_ERR_SIZE_MISMATCH,
				   "free of %pad with size %zu, allocated with %zu\n",
				   &handle, size, res->size);
		last = vcm_res_end_creator(res, &view);
	}
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	if (res && last)
		vcm_res_destroy(res);
	vcm_res_drop_view(view);
}

/*
 * Can @dev no longer start a DMA?  Only a PCI function with bus mastering
 * off says so (its driver's pci_disable_device() or pci_clear_master(); a
 * pcim_enable_device() driver gets that from devres before the unbind
 * notification).  Of any other device nothing is known.
 */
static bool vcm_device_stopped(struct device *dev)
{
	return dev_is_pci(dev) && !to_pci_dev(dev)->is_busmaster;
}

/*
 * A coherent buffer left behind: unmapped and freed, unless the device may
 * still reach it.  Behind an IOMMU the unmap (strict) cuts the device off;
 * in a one-to-one vcm the device reaches the pages at their physical
 * address whatever VCM does, so unless the device is known to be stopped
 * the memory is quarantined, never freed.
 */
static void vcm_teardown_buffer(struct vcm_assoc *assoc, struct vcm_res *res)
{
	if (assoc->vcm->kind == VCM_KIND_ONE_TO_ONE &&
	    !vcm_device_stopped(assoc->dev)) {
		vcm_report(assoc, VCM_ERR_LEAKED,
			   "buffer %pad (%zu bytes) still allocated at unbind: quarantined, the device may still write it\n",
			   &res->start, res->size);
		vcm_phys_quarantine(res->phys);
	} else {
		vcm_report(assoc, VCM_ERR_LEAKED,
			   "buffer %pad (%zu bytes) still allocated at unbind, freeing\n",
			   &res->start, res->size);
	}
	vcm_res_destroy(res);
}

/**
 * vcm_teardown_assoc() - release everything a device still holds in its vcm
 * @assoc: the device, whose driver is gone
 *
 * Streaming mappings, coherent buffers and native mappings left behind are
 * reported one by one and released: with the driver gone nobody can use
 * them, and keeping them would leak.  Memory the device may still write is
 * quarantined instead (vcm_teardown_buffer()).  Caller holds
 * vcm_graph_lock, which orders this against vcm_unmap().
 *
 * Return: how many objects were left behind.
 */
unsigned long vcm_teardown_assoc(struct vcm_assoc *assoc)
{
	unsigned long n;
	struct vcm_res *res;
	void *view;
	bool last;

	lockdep_assert_held(&vcm_graph_lock);
	/* Recorded mappings first: they know whether they were shared. */
	n = vcm_track_flush(assoc);
	n += vcm_share_teardown(assoc);
	while ((res = vcm_res_take_any(assoc, &last, &view))) {
		n++;
		if (!last) {
			/* Other devices map it still: it stays, for them. */
			vcm_report(assoc, VCM_ERR_LEAKED,
				   "buffer %pad (%zu bytes) still allocated at unbind, left to the devices that map it\n",
				   &res->start, res->size);
			if (assoc->vcm->kind == VCM_KIND_ONE_TO_ONE &&
			    !vcm_device_stopped(assoc->dev))
				vcm_phys_quarantine(res->phys);
			vcm_res_drop_view(view);
			continue;
		}
		if (!(res->flags & VCM_RES_NATIVE)) {
			vcm_teardown_buffer(assoc, res);
			continue;
		}
		/*
		 * Its holder will still call vcm_unmap(): unmap it from the
		 * device now, free it then.
		 */
		vcm_report(assoc, VCM_ERR_LEAKED,
			   "%s %pad (%zu bytes) still live at unbind, unmapping\n",
			   res->flags & VCM_RES_RESERVED ? "reserved range" :
			   "native mapping", &res->start, res->size);
		vcm_res_unbind(res);
		/* vcm_sync_native() reads the flags without a lock. */
		WRITE_ONCE(res->flags, res->flags | VCM_RES_DEAD);
		if (res->gone)
			res->gone(res, res->gone_data);
	}
	return n;
}

static void vcm_detach_locked(struct vcm_assoc *assoc)
{
	struct device *dev = assoc->dev;
	unsigned long left;

	lockdep_assert_held(&vcm_graph_lock);
	if (assoc->state != VCM_ASSOC_ACTIVE)
		return;
	left = vcm_teardown_assoc(assoc);
	if (left)
		dev_warn(dev, VCM_PREFIX "driver left %lu DMA objects behind\n",
			 left);
	/* Nothing this device unmapped may stay reachable once it is gone. */
	if (assoc->vcm->kind == VCM_KIND_IOMMU)
		vcm_iommu_flush(assoc->vcm);
	set_dma_ops(dev, assoc->orig_ops);
	dev->dma_iommu = assoc->behind_iommu;
	list_del(&assoc->vcm_node);
	kref_put(&assoc->vcm->kref, vcm_release);
	assoc->vcm = NULL;
	assoc->state = VCM_ASSOC_IDLE;
}

/**
 * vcm_detach_device() - give a device back its original DMA backend
 * @dev: the device, whose driver has unbound
 *
 * The device's counters stay (debugfs shows them) until it is released.
 */
void vcm_detach_device(struct device *dev)
{
	struct vcm_assoc *assoc;

	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_find(dev);
	if (assoc)
		vcm_detach_locked(assoc);
	mutex_unlock(&vcm_graph_lock);
}

/**
 * vcm_detach_unused_device() - give a device its backend back if it is unused
 * @dev: the device, whose driver failed to probe
 *
 * The driver core tells the bus that a probe failed before it releases the
 * probe's managed resources, and those buffers must come back to VCM.  A
 * device that holds nothing of VCM's can go back to its original backend
 * right away; one that does stays attached (the next bind finds it so, and
 * its unbind or removal tears down whatever a buggy probe left).
 */
void vcm_detach_unused_device(struct device *dev)
{
	struct vcm_assoc *assoc;

	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_find(dev);
	if (assoc && assoc->state == VCM_ASSOC_ACTIVE &&
	    !vcm_live_maps(assoc) && !vcm_res_owns_any(assoc))
		vcm_detach_locked(assoc);
	mutex_unlock(&vcm_graph_lock);
}

/**
 * vcm_release_device() - forget a device that is going away
 * @dev: the device
 */
void vcm_release_device(struct device *dev)
{
	struct vcm_assoc *assoc;

	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_find(dev);
	if (assoc) {
		vcm_detach_locked(assoc);
		list_del(&assoc->node);
		free_percpu(assoc->cnt);
		kfree(assoc->table);
		kfree(assoc);
	}
	vcm_forget_declined(dev);
	mutex_unlock(&vcm_graph_lock);
}
