// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: the graph.
 *
 * This file owns the vcms, the device associations, the reservations and
 * the per-device table of live streaming mappings, and implements the native
 * interface of <linux/dma-vcm.h>.  It knows nothing about how a kind of vcm
 * produces device addresses: that is the backend's job (vcm-direct.c).  The
 * locks and reference counts are described in vcm.h.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/export.h>
#include <linux/hash.h>
#include <linux/iommu.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "vcm.h"

DEFINE_MUTEX(vcm_graph_lock);		/* see vcm.h */
LIST_HEAD(vcm_list);
LIST_HEAD(vcm_assoc_list);
static unsigned int vcm_next_id;
static struct kmem_cache *vcm_track_cache;

/* A record that found no free slot, chained in a bucket of the assoc. */
struct vcm_track {
	struct hlist_node node;
	struct vcm_track_rec rec;
};

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
	[VCM_STAT_ALLOC_FAILED]		= "alloc_failed",
	[VCM_STAT_MAP_FAILED]		= "map_failed",
	[VCM_ERR_UNKNOWN_HANDLE]	= "err_unknown_handle",
	[VCM_ERR_SIZE_MISMATCH]		= "err_size_mismatch",
	[VCM_ERR_DIR_MISMATCH]		= "err_dir_mismatch",
	[VCM_ERR_OWNER_MISMATCH]	= "err_owner_mismatch",
	[VCM_ERR_MASK]			= "err_mask",
	[VCM_ERR_LEAKED]		= "err_leaked",
};

static const char * const vcm_map_kind_names[] = {
	[VCM_MAP_PAGE]		= "page",
	[VCM_MAP_SG]		= "sg",
	[VCM_MAP_RESOURCE]	= "resource",
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
	list_add_tail(&vcm->node, &vcm_list);
	return vcm;
}

static void vcm_release(struct kref *kref)
{
	struct vcm *vcm = container_of(kref, struct vcm, kref);

	lockdep_assert_held(&vcm_graph_lock);
	/* Every reservation belongs to an assoc, and assocs are gone. */
	WARN_ON(!RB_EMPTY_ROOT(&vcm->res_tree));
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
		    vcm->iommu.domain == domain) {
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
	if (res) {
		phys = res->phys;
		kref_get(&phys->kref);
	}
	spin_unlock_irqrestore(&vcm->lock, irqflags);
	return phys;
}

static struct vcm_res *__vcm_res_create(struct vcm_assoc *assoc,
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
	res->flags = flags;
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
	return __vcm_res_create(assoc, phys, 0, phys->size, flags, dir, attrs,
				gfp, NULL);
}

/**
 * vcm_res_create_shared() - map a buffer for a device's streaming mapping
 * @assoc: the device
 * @phys: the buffer; the reservation takes its own reference
 * @dir: the direction of the mapping, which sets the IOMMU permissions
 * @attrs: DMA_ATTR_* of the mapping
 * @edge: the device's edge, which holds the reservation's first use
 *
 * Context: any: the IOMMU page tables are allocated with GFP_ATOMIC.
 *
 * Return: the reservation or an ERR_PTR() from the backend.
 */
struct vcm_res *vcm_res_create_shared(struct vcm_assoc *assoc,
				      struct vcm_phys *phys,
				      enum dma_data_direction dir,
				      unsigned long attrs,
				      struct vcm_edge *edge)
{
	return __vcm_res_create(assoc, phys, 0, phys->size, VCM_RES_SHARED,
				dir, attrs, GFP_ATOMIC, edge);
}

/* Take @res out of the graph and out of its backend; the memory stays. */
static void vcm_res_unbind(struct vcm_res *res)
{
	struct vcm *vcm = res->vcm;
	struct vcm_phys *phys = res->phys;
	unsigned long irqflags;

	spin_lock_irqsave(&vcm->lock, irqflags);
	if (!RB_EMPTY_NODE(&res->node))
		vcm_res_unlink_locked(vcm, res);
	spin_lock(&phys->lock);
	list_del(&res->phys_node);
	spin_unlock(&phys->lock);
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
	kref_put(&phys->kref, vcm_phys_release);
}

/* ------------------------------------------------------------------------
 * The table of live streaming mappings
 *
 * Every streaming mapping is recorded so that unmap can be checked (unknown
 * handle, double unmap, size or direction mismatch) and so that mappings
 * still live when the driver unbinds can be reported and torn down.  A
 * page or resource is keyed by its device address, an sg list by the
 * address of the list; the same address may be mapped more than once.
 *
 * The mapping paths are hot, so records first go to a small open-addressed
 * array of slots per device, without a lock or an allocation: a record
 * may take any of the VCM_TRACK_PROBE slots from its hash on.  A slot is
 * claimed by moving its state from EMPTY to BUSY with cmpxchg; the owner
 * writes the record and publishes it with a release store of LIVE.  A
 * record is taken the same way, LIVE to BUSY, and the slot is given back
 * with a release store of EMPTY.  Between a reader's look at a LIVE slot
 * and its cmpxchg, the slot may have been taken and refilled with another
 * record: the taker checks the key again once it owns the slot, and puts
 * back what it did not want.
 *
 * A slot is BUSY only for the few instructions that copy a record, with
 * interrupts off, so that no holder can be interrupted by a caller on its
 * own CPU.  An unmap that finds nothing but saw a BUSY slot among its
 * probes looks again: the slot may hold its record (another unmap of the
 * same address took it to check and is about to put it back), and the
 * same address is legitimately mapped twice in a one-to-one vcm.  Only an
 * unmap that saw no BUSY slot may call the address unmapped.
 *
 * When the slots near the hash are all taken (many mappings in flight),
 * the record goes to a bucket of chained records, allocated, with a lock
 * per bucket: two CPUs mapping for one device rarely touch one bucket.
 */

static struct vcm_track_bucket *vcm_track_bucket(struct vcm_assoc *assoc,
						 unsigned long key)
{
	return &assoc->track[hash_long(key, VCM_TRACK_BITS)];
}

static struct vcm_track_slot *vcm_track_slot(struct vcm_assoc *assoc,
					     unsigned long key, unsigned int i)
{
	unsigned long h = hash_long(key, VCM_TRACK_SLOT_BITS) + i;

	return &assoc->slots[h & (ARRAY_SIZE(assoc->slots) - 1)];
}

/* Change a slot's state once the record is written or read. */
static void vcm_slot_set(struct vcm_track_slot *slot, unsigned int state)
{
	/* Orders the record accesses before; pairs with vcm_slot_live(). */
	smp_store_release(&slot->state, state);
}

static bool vcm_slot_live(struct vcm_track_slot *slot)
{
	/* Pairs with vcm_slot_set(): the record of a LIVE slot is complete. */
	return smp_load_acquire(&slot->state) == VCM_SLOT_LIVE;
}

static bool vcm_track_slot_add(struct vcm_assoc *assoc,
			       const struct vcm_track_rec *rec)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < VCM_TRACK_PROBE; i++) {
		struct vcm_track_slot *slot = vcm_track_slot(assoc, rec->key, i);
		unsigned int old = VCM_SLOT_EMPTY;

		if (READ_ONCE(slot->state) != VCM_SLOT_EMPTY)
			continue;
		local_irq_save(flags);
		if (!try_cmpxchg(&slot->state, &old, VCM_SLOT_BUSY)) {
			local_irq_restore(flags);
			continue;
		}
		slot->rec = *rec;
		vcm_slot_set(slot, VCM_SLOT_LIVE);
		local_irq_restore(flags);
		return true;
	}
	return false;
}

/* Is @rec the mapping the driver describes, to the last detail? */
static bool vcm_track_exact(const struct vcm_track_rec *rec, size_t size,
			    const u32 *nents, enum dma_data_direction dir)
{
	return rec->size == size && rec->dir == dir &&
	       (!nents || (rec->nents & 0xffff) == (*nents & 0xffff));
}

/*
 * Take a LIVE slot holding @want's key and kind (and, if @exact, its
 * size, entries and direction) into *@rec; the slot becomes EMPTY.  Sets
 * *@busy if a slot it probed was BUSY (see above).
 */
static bool vcm_track_slot_take(struct vcm_assoc *assoc,
				const struct vcm_track_rec *want,
				const u32 *nents, bool exact,
				struct vcm_track_rec *rec, bool *busy)
{
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < VCM_TRACK_PROBE; i++) {
		struct vcm_track_slot *slot = vcm_track_slot(assoc, want->key,
							     i);
		unsigned int old = VCM_SLOT_LIVE;
		bool match;

		if (!vcm_slot_live(slot)) {
			*busy |= READ_ONCE(slot->state) == VCM_SLOT_BUSY;
			continue;
		}
		if (READ_ONCE(slot->rec.key) != want->key)
			continue;
		local_irq_save(flags);
		if (!try_cmpxchg(&slot->state, &old, VCM_SLOT_BUSY)) {
			local_irq_restore(flags);
			*busy = true;
			continue;
		}
		/* Ours now, and stable: is it still the one we saw? */
		match = slot->rec.key == want->key &&
			slot->rec.kind == want->kind &&
			(!exact || vcm_track_exact(&slot->rec, want->size, nents,
						   want->dir));
		if (match)
			*rec = slot->rec;
		vcm_slot_set(slot, match ? VCM_SLOT_EMPTY : VCM_SLOT_LIVE);
		local_irq_restore(flags);
		if (match)
			return true;
	}
	return false;
}

/* Take the chained record that matches best, if any, into *@rec. */
static bool vcm_track_chain_take(struct vcm_assoc *assoc,
				 const struct vcm_track_rec *want,
				 const u32 *nents, struct vcm_track_rec *rec)
{
	struct vcm_track_bucket *b = vcm_track_bucket(assoc, want->key);
	struct vcm_track *t, *match = NULL;
	unsigned long flags;

	/*
	 * An unmap follows its map, which the driver made visible to this
	 * CPU when it handed the address over: an empty bucket is empty.
	 */
	if (hlist_empty(&b->head))
		return false;
	spin_lock_irqsave(&b->lock, flags);
	hlist_for_each_entry(t, &b->head, node) {
		if (t->rec.key != want->key || t->rec.kind != want->kind)
			continue;
		if (!match)
			match = t;
		if (vcm_track_exact(&t->rec, want->size, nents, want->dir)) {
			match = t;
			break;
		}
	}
	if (match)
		hlist_del(&match->node);
	spin_unlock_irqrestore(&b->lock, flags);
	if (!match)
		return false;
	*rec = match->rec;
	kmem_cache_free(vcm_track_cache, match);
	return true;
}

/**
 * vcm_track_add() - record a live streaming mapping
 * @assoc: the device
 * @kind: page, sg list or resource
 * @key: device address (page, resource) or sg list address
 * @size: bytes mapped
 * @nents: for an sg list: entries passed in (high 16 bits: segments out)
 * @dir: direction
 * @shared: made through a VCM buffer's shared reservation
 *
 * For a device attached without tracking, the mapping is only counted.
 * An sg list is still the caller's to read here: its DMA segments are
 * noted from it.
 *
 * Return: 0, or -ENOMEM when the record cannot be allocated; the caller
 * must then fail the mapping, which it would otherwise not be able to check.
 */
int vcm_track_add(struct vcm_assoc *assoc, enum vcm_map_kind kind,
		  unsigned long key, size_t size, u32 nents,
		  enum dma_data_direction dir, bool shared)
{
	struct vcm_track_rec rec = {
		.key = key, .size = size, .nents = nents, .kind = kind,
		.dir = dir, .shared = shared,
	};
	struct vcm_track_bucket *b;
	struct vcm_track *t;
	unsigned long flags;

	if (assoc->untracked) {
		vcm_live_add(assoc, 1, size);
		return 0;
	}
	if (kind == VCM_MAP_SG)
		vcm_sg_dma_span((struct scatterlist *)key, nents >> 16,
				&rec.sg_first, &rec.sg_end);
	if (!vcm_track_slot_add(assoc, &rec)) {
		t = kmem_cache_alloc(vcm_track_cache,
				     GFP_ATOMIC | __GFP_NOWARN);
		if (!t)
			return -ENOMEM;
		t->rec = rec;
		b = vcm_track_bucket(assoc, key);
		spin_lock_irqsave(&b->lock, flags);
		hlist_add_head(&t->node, &b->head);
		spin_unlock_irqrestore(&b->lock, flags);
	}
	vcm_live_add(assoc, 1, size);
	return 0;
}

/**
 * vcm_track_del() - retire a live streaming mapping, checking the caller
 * @assoc: the device
 * @kind: page, sg list or resource
 * @key: as passed to vcm_track_add()
 * @size: in: the size the driver claims; out: the size that was mapped
 * @nents: for an sg list, in: the entry count the driver claims; out: the
 *	count recorded at map time; NULL otherwise
 * @dir: in: the direction the driver claims; out: the recorded one
 * @shared: set to how the mapping was made (VCM_SHARED_UNKNOWN without a
 *	record)
 *
 * When the same address is mapped more than once, an exact match is
 * preferred.  Mismatches are reported, and the caller goes on with what was
 * recorded, so that a wrong size never releases the wrong bounce slots.
 *
 * For a device attached without tracking, only the counters change, and
 * the caller goes on with what it passed in.
 *
 * Return: false if there is no such mapping (reported): the caller must not
 * touch anything.
 */
bool vcm_track_del(struct vcm_assoc *assoc, enum vcm_map_kind kind,
		   unsigned long key, size_t *size, u32 *nents,
		   enum dma_data_direction *dir, enum vcm_shared *shared)
{
	struct vcm_track_rec want = {
		.key = key, .size = *size, .kind = kind, .dir = *dir,
	}, rec;

	if (assoc->untracked) {
		vcm_live_add(assoc, -1, -(long)*size);
		*shared = VCM_SHARED_UNKNOWN;
		return true;
	}

	for (;;) {
		bool busy = false;

		if (vcm_track_slot_take(assoc, &want, nents, true, &rec, &busy) ||
		    vcm_track_chain_take(assoc, &want, nents, &rec) ||
		    vcm_track_slot_take(assoc, &want, nents, false, &rec,
					&busy))
			break;
		if (!busy) {
			vcm_report(assoc, VCM_ERR_UNKNOWN_HANDLE,
				   "unmap of %s %#lx (%zu bytes) that is not mapped (double unmap?)\n",
				   vcm_map_kind_names[kind], key, *size);
			return false;
		}
		/* A BUSY slot is released within a few instructions. */
		cpu_relax();
	}
	if (kind != VCM_MAP_SG && rec.size != *size)
		vcm_report(assoc, VCM_ERR_SIZE_MISMATCH,
			   "unmap of %s %#lx with size %zu, mapped with %zu\n",
			   vcm_map_kind_names[kind], key, *size, rec.size);
	if (nents && (rec.nents & 0xffff) != (*nents & 0xffff))
		vcm_report(assoc, VCM_ERR_SIZE_MISMATCH,
			   "unmap of sg %#lx with %u entries, mapped with %u\n",
			   key, *nents & 0xffff, rec.nents & 0xffff);
	if (rec.dir != *dir)
		vcm_report(assoc, VCM_ERR_DIR_MISMATCH,
			   "unmap of %s %#lx with direction %d, mapped with %d\n",
			   vcm_map_kind_names[kind], key, *dir, rec.dir);

	/* The mapping is undone as it was made. */
	*size = rec.size;
	*dir = rec.dir;
	*shared = rec.shared ? VCM_SHARED : VCM_NOT_SHARED;
	if (nents)
		*nents = rec.nents;
	vcm_live_add(assoc, -1, -(long)rec.size);
	return true;
}

static void vcm_show_rec(struct seq_file *m, const struct vcm_track_rec *rec,
			 unsigned long *sg)
{
	if (rec->kind == VCM_MAP_SG)
		(*sg)++;
	else
		seq_printf(m, "    iova %#lx+%#zx %s\n", rec->key, rec->size,
			   vcm_map_kind_names[rec->kind]);
}

/**
 * vcm_show_streaming() - list a device's live streaming IOVA ranges
 * @m: the debugfs file
 * @assoc: the device
 *
 * Pages and resources are listed by address; sg lists only by count, as
 * their record is keyed by the list.  The slots are read without taking
 * them: a record retired meanwhile may still show.
 */
void vcm_show_streaming(struct seq_file *m, struct vcm_assoc *assoc)
{
	unsigned long flags, sg = 0;
	struct vcm_track_rec rec;
	struct vcm_track *t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(assoc->slots); i++) {
		if (!vcm_slot_live(&assoc->slots[i]))
			continue;
		/* A snapshot for debugfs: racy by design, see above. */
		rec = data_race(assoc->slots[i].rec);
		vcm_show_rec(m, &rec, &sg);
	}
	for (i = 0; i < ARRAY_SIZE(assoc->track); i++) {
		spin_lock_irqsave(&assoc->track[i].lock, flags);
		hlist_for_each_entry(t, &assoc->track[i].head, node)
			vcm_show_rec(m, &t->rec, &sg);
		spin_unlock_irqrestore(&assoc->track[i].lock, flags);
	}
	if (sg)
		seq_printf(m, "    sg lists %lu\n", sg);
}

/*
 * Tear down one streaming mapping a driver left behind.  Pages and
 * resources are unmapped through the backend (giving back bounce slots and
 * IOVAs).  An sg list's memory may already be freed: the backend tears it
 * down from the DMA range noted at map time.  In a one-to-one vcm that
 * undoes nothing, as its segments were never bounced unless the device's
 * mask forced it.
 */
static void vcm_track_teardown(struct vcm_assoc *assoc,
			       const struct vcm_track_rec *rec)
{
	const struct vcm_backend *be = assoc->vcm->backend;
	dma_addr_t addr = rec->kind == VCM_MAP_SG ? rec->sg_first : rec->key;

	vcm_report(assoc, VCM_ERR_LEAKED,
		   "%s %#lx (%zu bytes) still mapped at unbind, unmapping\n",
		   vcm_map_kind_names[rec->kind], rec->key, rec->size);
	vcm_live_add(assoc, -1, -(long)rec->size);
	/* A mapping through a shared buffer is only an edge to drop. */
	if (rec->shared && vcm_share_unmap(assoc, addr, 1, rec->dir, true))
		return;
	if (rec->kind != VCM_MAP_SG)
		be->unmap_phys(assoc, rec->key, rec->size, rec->dir,
			       DMA_ATTR_SKIP_CPU_SYNC);
	else if (be->teardown_sg)
		be->teardown_sg(assoc, rec->sg_first, rec->sg_end);
}

/* Tear down every streaming mapping left; return how many there were. */
static unsigned long vcm_track_flush(struct vcm_assoc *assoc)
{
	unsigned long n = 0;
	struct vcm_track *t;
	struct hlist_node *tmp;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(assoc->slots); i++) {
		struct vcm_track_slot *slot = &assoc->slots[i];
		unsigned int old = VCM_SLOT_LIVE;
		struct vcm_track_rec rec;
		unsigned long flags;

		local_irq_save(flags);
		if (!try_cmpxchg(&slot->state, &old, VCM_SLOT_BUSY)) {
			local_irq_restore(flags);
			continue;
		}
		rec = slot->rec;
		vcm_slot_set(slot, VCM_SLOT_EMPTY);
		local_irq_restore(flags);
		vcm_track_teardown(assoc, &rec);
		n++;
	}
	for (i = 0; i < ARRAY_SIZE(assoc->track); i++) {
		struct vcm_track_bucket *b = &assoc->track[i];
		unsigned long flags;
		HLIST_HEAD(dead);

		spin_lock_irqsave(&b->lock, flags);
		hlist_move_list(&b->head, &dead);
		spin_unlock_irqrestore(&b->lock, flags);

		hlist_for_each_entry_safe(t, tmp, &dead, node) {
			vcm_track_teardown(assoc, &t->rec);
			kmem_cache_free(vcm_track_cache, t);
			n++;
		}
	}
	return n;
}

/* ------------------------------------------------------------------------
 * DMA segments of scatterlists, for the backends
 */

/**
 * vcm_sg_dma_span() - where the DMA segments of a mapped list lie
 * @sgl: the list
 * @count: its DMA segments
 * @first: set to the device address of the first segment
 * @end: set to the end of the last segment
 */
void vcm_sg_dma_span(struct scatterlist *sgl, int count, dma_addr_t *first,
		     dma_addr_t *end)
{
	struct scatterlist *s, *last = sgl;
	int i;

	for_each_sg(sgl, s, count, i)
		last = s;
	*first = sg_dma_address(sgl);
	*end = sg_dma_address(last) + sg_dma_len(last);
}

/**
 * vcm_sg_can_extend() - may DMA segment @out grow by an entry?
 * @dev: the device, whose segment limits apply
 * @out: the last DMA segment so far
 * @addr: device address of the entry
 * @len: its length
 *
 * Return: true if the entry starts where @out ends and the grown segment
 * stays within max_segment_size and does not cross the segment boundary.
 */
bool vcm_sg_can_extend(struct device *dev, struct scatterlist *out,
		       dma_addr_t addr, unsigned int len)
{
	dma_addr_t start = sg_dma_address(out);
	unsigned long boundary = dma_get_seg_boundary(dev);

	return addr == start + sg_dma_len(out) &&
	       sg_dma_len(out) + len <= dma_get_max_seg_size(dev) &&
	       !((start ^ (addr + len - 1)) & ~(dma_addr_t)boundary);
}

/**
 * vcm_sg_emit() - add a mapped entry to the DMA segments of a list
 * @assoc: the device, for its merge counter
 * @sgl: the list, whose DMA fields are written in place: segment n goes
 *	into entry n, which is never ahead of the entry being mapped
 * @out: the last DMA segment so far, NULL before the first; updated
 * @addr: device address of the entry
 * @len: its length
 * @merge: the entry continues *@out (the backend's verdict)
 *
 * Return: 1 if the entry started a new DMA segment, 0 if it was merged.
 */
int vcm_sg_emit(struct vcm_assoc *assoc, struct scatterlist *sgl,
		struct scatterlist **out, dma_addr_t addr, unsigned int len,
		bool merge)
{
	if (merge) {
		sg_dma_len(*out) += len;
		vcm_stat_inc(assoc, VCM_STAT_SG_MERGED);
		return 0;
	}
	*out = *out ? sg_next(*out) : sgl;
	sg_dma_address(*out) = addr;
	sg_dma_len(*out) = len;
	return 1;
}

/**
 * vcm_sg_end() - mark the end of the DMA segments of a mapped list
 * @out: the last DMA segment
 * @count: DMA segments
 * @nents: entries of the list
 *
 * The entry after the last segment gets a zero DMA length: sync_sg and
 * unmap_sg stop there, with or without a record of the mapping.
 */
void vcm_sg_end(struct scatterlist *out, int count, int nents)
{
	if (count < nents)
		sg_dma_len(sg_next(out)) = 0;
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

	if (!ops || ops->map_page != vcm_dma_ops.map_page)
		return NULL;
	return container_of(ops, struct vcm_assoc, ops);
}

static struct vcm_assoc *vcm_assoc_find(struct device *dev)
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
	unsigned int i;

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
	for (i = 0; i < ARRAY_SIZE(assoc->track); i++) {
		spin_lock_init(&assoc->track[i].lock);
		INIT_HLIST_HEAD(&assoc->track[i].head);
	}
	list_add_tail(&assoc->node, &vcm_assoc_list);
	return assoc;
}

/* Reasons vcm_group_check() gives, by return value. */
static const char * const vcm_group_blockers[] = {
	[1] = "IOMMU group has a device excluded by vcm.exclude=",
	[2] = "IOMMU group has a device bound to a driver outside VCM",
};

static int vcm_group_check(struct device *other, void *dev)
{
	struct vcm_assoc *a;

	if (other == dev)
		return 0;
	a = vcm_assoc_find(other);
	if (a && a->state == VCM_ASSOC_ACTIVE)
		return 0;
	if (vcm_excluded(other))
		return 1;
	if (READ_ONCE(other->driver))
		return 2;
	return 0;
}

/*
 * The vcm that owns the IOVA space of @dev's IOMMU domain, if VCM serves
 * some device of its group: then VCM, and nobody else, must serve @dev.
 */
static struct vcm *vcm_domain_owner(struct device *dev)
{
	struct iommu_domain *domain;
	struct vcm *vcm;

	lockdep_assert_held(&vcm_graph_lock);
	if (!dev->dma_iommu)
		return NULL;
	domain = iommu_get_domain_for_dev(dev);
	list_for_each_entry(vcm, &vcm_list, node)
		if (vcm->kind == VCM_KIND_IOMMU && vcm->iommu.domain == domain)
			return vcm;
	return NULL;
}

/*
 * One IOVA allocator per domain, decided per IOMMU group.  The devices of
 * a group share one domain, whose IOVAs either dma-iommu or VCM hands out,
 * never both:
 *
 * - While VCM serves a device of the group, VCM owns the domain, and every
 *   device of the group that binds is VCM's, even one vcm.exclude= names
 *   (vcm_attach_device_domain() says so): dma-iommu would allocate from
 *   its own allocator in a domain whose page tables VCM writes.
 * - Otherwise VCM takes the group only if no other device of it is bound
 *   to a driver outside VCM or excluded (it would bind to dma-iommu).
 * - When the group's last device leaves VCM, the vcm dies and hands the
 *   domain back with no mapping of VCM's left (vcm_iommu_destroy()).
 *
 * Every bind goes through vcm_graph_lock, so the answer holds until the
 * next attach.
 */
static const char *vcm_group_blocker(struct device *dev)
{
	struct iommu_group *group;
	int ret = 0;

	lockdep_assert_held(&vcm_graph_lock);
	if (vcm_domain_owner(dev))
		return NULL;
	group = iommu_group_get(dev);
	if (group) {
		ret = iommu_group_for_each_dev(group, dev, vcm_group_check);
		iommu_group_put(group);
	}
	return ret > 0 && ret < ARRAY_SIZE(vcm_group_blockers) ?
	       vcm_group_blockers[ret] : NULL;
}

/* Why VCM cannot serve @dev, or NULL if it can. */
static const char *vcm_cannot_serve(struct vcm_assoc *assoc,
				    struct iommu_domain *domain)
{
	struct device *dev = assoc->dev;

	if (!dev->dma_mask)
		return "not a DMA master";
	if (assoc->behind_iommu && !domain)
		return vcm_iommu_usable(dev) ?: vcm_group_blocker(dev);
	if (dev->dma_iommu)
		return "joined a translating IOMMU after VCM first saw it";
	if (dev->dma_ops && dev->dma_ops->map_page != vcm_dma_ops.map_page)
		return "has its own dma_map_ops";
	if (force_dma_unencrypted(dev))
		return "needs unencrypted DMA memory";
	return NULL;
}

/*
 * A device vcm.exclude= names keeps its backend, unless VCM owns its IOMMU
 * domain (see vcm_group_blocker()).  Return: true if it stays excluded.
 */
static bool vcm_exclusion_holds(struct device *dev)
{
	if (!vcm_domain_owner(dev)) {
		dev_info(dev, VCM_PREFIX "excluded by vcm.exclude=\n");
		return true;
	}
	dev_notice(dev, VCM_PREFIX "vcm.exclude= not honoured: VCM serves its IOMMU group, and a domain has one IOVA allocator; unbind the whole group to hand it back\n");
	return false;
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
 * cannot serve keeps its backend, with one notice.
 *
 * Return: the association if @dev is now served by VCM, NULL if it is not,
 * or an ERR_PTR() on allocation failure.
 */
struct vcm_assoc *vcm_attach_device_domain(struct device *dev,
					   struct iommu_domain *domain,
					   unsigned int flags)
{
	struct vcm_assoc *assoc;
	const char *why;
	struct vcm *vcm;

	mutex_lock(&vcm_graph_lock);
	if ((flags & VCM_ATTACH_EXCLUDED) && vcm_exclusion_holds(dev)) {
		assoc = NULL;
		goto out;
	}
	assoc = vcm_assoc_find(dev) ?:
		vcm_assoc_alloc(dev, domain || dev->dma_iommu);
	if (!assoc) {
		assoc = ERR_PTR(-ENOMEM);
		goto out;
	}
	if (assoc->state == VCM_ASSOC_ACTIVE)
		goto out;

	why = vcm_cannot_serve(assoc, domain);
	if (why) {
		if (assoc->declined != why)
			dev_info(dev, VCM_PREFIX "not served: %s\n", why);
		assoc->declined = why;
		assoc->state = VCM_ASSOC_DECLINED;
		assoc = NULL;
		goto out;
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
			   "native mapping %pad (%zu bytes) still live at unbind, unmapping\n",
			   &res->start, res->size);
		vcm_res_unbind(res);
		res->flags |= VCM_RES_DEAD;
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
		kfree(assoc);
	}
	mutex_unlock(&vcm_graph_lock);
}

/* ------------------------------------------------------------------------
 * Native interface
 */

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
 * Return: the buffer with a reference for the caller (drop it with
 * vcm_phys_put()), or an ERR_PTR(): -ENODEV if @dev is not on VCM, -ENOENT if
 * @handle is neither one of @dev's allocations nor in a buffer it maps.
 */
struct vcm_phys *vcm_phys_from_dma(struct device *dev, dma_addr_t handle)
{
	struct vcm_assoc *assoc = vcm_assoc_of(dev);
	struct vcm_phys *phys;

	if (!assoc)
		return ERR_PTR(-ENODEV);
	phys = vcm_phys_lookup(assoc, handle,
			       VCM_RES_COHERENT | VCM_RES_PAGES);
	if (!phys)
		phys = vcm_share_phys_get(assoc, handle);
	return phys ?: ERR_PTR(-ENOENT);
}
EXPORT_SYMBOL_GPL(vcm_phys_from_dma);

/**
 * vcm_phys_put() - drop a reference to a buffer
 * @phys: the buffer; freed when its last mapping and reference are gone
 */
void vcm_phys_put(struct vcm_phys *phys)
{
	if (!IS_ERR_OR_NULL(phys))
		kref_put(&phys->kref, vcm_phys_release);
}
EXPORT_SYMBOL_GPL(vcm_phys_put);

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

	size = PAGE_ALIGN(size);
	if (IS_ERR_OR_NULL(phys) || !valid_dma_direction(dir) ||
	    !PAGE_ALIGNED(offset) || !size ||
	    offset >= phys->size || size > phys->size - offset)
		return ERR_PTR(-EINVAL);
	/*
	 * Under the graph lock the device cannot be torn down meanwhile:
	 * a reservation is never added to a device VCM has let go.
	 */
	mutex_lock(&vcm_graph_lock);
	assoc = vcm_assoc_of(dev);
	if (assoc && assoc->state == VCM_ASSOC_ACTIVE)
		res = __vcm_res_create(assoc, phys, offset, size,
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

/* Sync [offset, offset + size) of a native mapping; false: bad range. */
static bool vcm_sync_native(struct vcm_res *res, size_t offset, size_t size,
			    bool for_device)
{
	if (WARN_ON_ONCE(!(res->flags & VCM_RES_NATIVE)) ||
	    offset >= res->size || size > res->size - offset)
		return false;
	/* A mapping torn down with its device has nothing to sync. */
	if ((res->flags & VCM_RES_DEAD) || dev_is_dma_coherent(res->owner->dev))
		return true;
	vcm_phys_walk(res->phys, res->offset + offset, size,
		      for_device ? vcm_sync_piece : vcm_sync_piece_cpu, res);
	return true;
}

/**
 * vcm_sync_for_device() - give a native mapping's memory to the device
 * @res: the mapping
 * @offset: bytes into the mapping
 * @size: bytes to hand over
 *
 * What dma_sync_single_for_device() is to a streaming mapping: after the
 * CPU wrote the range, before the device reads it.  Nothing to do on a
 * cache-coherent device.  A range outside the mapping is reported.
 */
void vcm_sync_for_device(struct vcm_res *res, size_t offset, size_t size)
{
	if (!vcm_sync_native(res, offset, size, true))
		pr_warn_ratelimited("vcm: sync of %zu bytes at %zu of a %zu-byte mapping ignored\n",
				    size, offset, res->size);
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
	if (!vcm_sync_native(res, offset, size, false))
		pr_warn_ratelimited("vcm: sync of %zu bytes at %zu of a %zu-byte mapping ignored\n",
				    size, offset, res->size);
}
EXPORT_SYMBOL_GPL(vcm_sync_for_cpu);

/**
 * vcm_res_set_gone() - be told when a native mapping's device goes away
 * @res: a mapping returned by vcm_map_phys() or vcm_map_phys_range()
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
 * vcm_res_addr() - device address of a mapping
 * @res: a mapping returned by vcm_map_phys()
 *
 * Return: the address at which the device reaches the start of the buffer.
 */
dma_addr_t vcm_res_addr(const struct vcm_res *res)
{
	return res->start;
}
EXPORT_SYMBOL_GPL(vcm_res_addr);

/**
 * vcm_unmap() - remove a mapping made by vcm_map_phys()
 * @res: the mapping; the buffer is freed if this was its last user
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

static int __init vcm_core_init(void)
{
	vcm_track_cache = KMEM_CACHE(vcm_track, 0);
	return vcm_track_cache ? 0 : -ENOMEM;
}
core_initcall(vcm_core_init);
