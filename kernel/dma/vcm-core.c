// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the graph.
 *
 * This file owns the vcms, the device associations and the reservations:
 * their creation, their lookup and their destruction.  It is the ground
 * floor: it calls no other file of VCM but through a table -- a vcm's
 * backend (vcm-direct.c, vcm-iommu.c) makes its device addresses, and
 * the dma_map_ops its devices get are handed down by the entry points
 * (vcm_graph_set_ops()).  What stands on it: the life of an association
 * (attach, teardown, detach: vcm-attach.c), shared buffers and pins
 * (vcm-share.c), the records of streaming mappings (vcm-track.c), the
 * native interface of <linux/dma-vcm.h> (vcm-native.c).  Buffers
 * (vcm-phys.c) and their index (vcm-index.c) lie beside it.  The locks
 * and reference counts are described in vcm.h.
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
/* The dma_map_ops VCM's devices get: vcm_graph_set_ops(), set once. */
static const struct dma_map_ops *vcm_ops_direct __ro_after_init;
static const struct dma_map_ops *vcm_ops_iommu __ro_after_init;

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
	if (vcm->backend->destroy)
		vcm->backend->destroy(vcm);
	list_del(&vcm->node);
	kfree(vcm);
}

/*
 * A one-to-one window is identified by the bus offset map and the bus DMA
 * limit of the devices behind it: devices that agree on both see memory at
 * the same addresses and can share the vcm (and its reservations).
 */
static struct vcm *vcm_get_one_to_one(struct device *dev,
				      const struct vcm_backend *backend)
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
	vcm = vcm_create(VCM_KIND_ONE_TO_ONE, backend);
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
				 const struct vcm_backend *backend,
				 struct iommu_domain *domain, bool lazy)
{
	struct vcm *vcm;

	lockdep_assert_held(&vcm_graph_lock);
	list_for_each_entry(vcm, &vcm_list, node) {
		if (vcm->kind == VCM_KIND_IOMMU &&
		    vcm->domain == domain) {
			kref_get(&vcm->kref);
			return vcm;
		}
	}
	vcm = vcm_create(VCM_KIND_IOMMU, backend);
	if (vcm && vcm->backend->init(vcm, dev, domain, lazy)) {
		list_del(&vcm->node);
		kfree(vcm);
		vcm = NULL;
	}
	return vcm;
}

/**
 * vcm_get() - the vcm a device's DMA goes through, made if needed
 * @dev: the device
 * @backend: the backend of a new vcm: the one-to-one kind's, or (with
 *	@domain) the iommu kind's, which must have an init method
 * @domain: the device's IOMMU domain, or NULL for a one-to-one window
 * @lazy: a new IOMMU vcm batches its IOTLB invalidation
 *
 * Context: caller holds vcm_graph_lock.
 *
 * Return: the vcm with a reference for the caller (vcm_put()), or NULL.
 */
struct vcm *vcm_get(struct device *dev, const struct vcm_backend *backend,
		    struct iommu_domain *domain, bool lazy)
{
	return domain ? vcm_get_iommu(dev, backend, domain, lazy) :
			vcm_get_one_to_one(dev, backend);
}

/**
 * vcm_put() - drop a reference to a vcm
 * @vcm: the vcm; freed, with its backend's state, with the last reference
 *
 * Context: caller holds vcm_graph_lock.
 */
void vcm_put(struct vcm *vcm)
{
	kref_put(&vcm->kref, vcm_release);
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
/* Take @res out of @vcm's tree.  Caller holds vcm->lock. */
void vcm_res_unlink_locked(struct vcm *vcm, struct vcm_res *res)
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
struct vcm_res *vcm_res_find_locked(struct vcm_assoc *assoc, dma_addr_t addr,
				    unsigned int flags)
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
 * vcm_res_link_phys_locked() - put a reservation on its buffer's list
 * @res: the reservation
 * @phys: its buffer
 *
 * From here until vcm_res_unlink_phys_locked() the reservation is one of
 * the buffer's device mappers, counted as such if the buffer is typed.
 * Caller holds @phys->lock.
 */
void vcm_res_link_phys_locked(struct vcm_res *res, struct vcm_phys *phys)
{
	list_add_tail(&res->phys_node, &phys->res);
	vcm_res_memtype_count(res, phys, true);
}

/**
 * vcm_res_unlink_phys_locked() - take a reservation off its buffer's list
 * @res: the reservation
 * @phys: its buffer
 *
 * Caller holds @phys->lock.
 */
void vcm_res_unlink_phys_locked(struct vcm_res *res, struct vcm_phys *phys)
{
	list_del_init(&res->phys_node);
	vcm_res_memtype_count(res, phys, false);
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
	vcm_res_link_phys_locked(res, phys);
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
		vcm_res_unlink_phys_locked(res, phys);
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
		vcm_phys_vunmap(phys, res->cpu_addr);
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

	/* Every device's copy has the entry points of the tables. */
	if (!ops || !vcm_ops_direct || ops->alloc != vcm_ops_direct->alloc)
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

/**
 * vcm_assoc_alloc() - a new association of a device with VCM
 * @dev: the device
 * @behind_iommu: its DMA goes through a translating IOMMU
 *
 * The association starts idle, with its own copy of the dma_map_ops its
 * kind of device gets (vcm_graph_set_ops()), and is listed.
 *
 * Context: caller holds vcm_graph_lock.
 *
 * Return: the association, or NULL.
 */
struct vcm_assoc *vcm_assoc_alloc(struct device *dev, bool behind_iommu)
{
	const struct dma_map_ops *ops = behind_iommu ? vcm_ops_iommu :
						       vcm_ops_direct;
	struct vcm_assoc *assoc;

	lockdep_assert_held(&vcm_graph_lock);
	if (WARN_ON_ONCE(!ops))
		return NULL;
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
	memcpy((void *)&assoc->ops, ops, sizeof(assoc->ops));
	assoc->dev = dev;
	assoc->state = VCM_ASSOC_IDLE;
	list_add_tail(&assoc->node, &vcm_assoc_list);
	return assoc;
}

/**
 * vcm_assoc_free() - forget a device
 * @assoc: its association, detached (idle or declined)
 *
 * Context: caller holds vcm_graph_lock.
 */
void vcm_assoc_free(struct vcm_assoc *assoc)
{
	lockdep_assert_held(&vcm_graph_lock);
	list_del(&assoc->node);
	free_percpu(assoc->cnt);
	kfree(assoc->table);
	kfree(assoc);
}

/**
 * vcm_graph_set_ops() - the dma_map_ops tables VCM's devices get
 * @direct: for a device of a one-to-one vcm
 * @iommu: for a device behind a translating IOMMU
 *
 * Handed down once by the entry points (vcm-ops.c), before any device is
 * attached, so that the graph does not reach up for them.  Each device
 * gets a copy of its table (vcm_assoc_alloc()); vcm_assoc_of() knows a
 * device served by VCM by the copy's entry points.
 */
void __init vcm_graph_set_ops(const struct dma_map_ops *direct,
			      const struct dma_map_ops *iommu)
{
	vcm_ops_direct = direct;
	vcm_ops_iommu = iommu;
}
