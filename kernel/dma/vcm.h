/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual Contiguous Memory: private definitions shared by kernel/dma/vcm*.c.
 *
 * The graph:
 *
 *   struct vcm        one device address space (a one-to-one bus window, an
 *                     IOMMU domain); shared by every device that uses it.
 *   struct vcm_assoc  the edge device <-> vcm.  It carries the device's copy
 *                     of the dma_map_ops (dev->dma_ops points at it, which
 *                     makes the device -> assoc lookup a container_of()), its
 *                     counters and the table of its live streaming mappings.
 *   struct vcm_phys   a physical buffer: an array of chunks.
 *   struct vcm_res    a reservation: an address range in one vcm, bound to a
 *                     vcm_phys.  Each binding is an edge vcm <-> vcm_phys,
 *                     listed on both ends.
 *
 * Locking, outermost first:
 *
 *   vcm_graph_lock (mutex, vcm-core.c): the list of vcms, the list of assocs,
 *       assoc state changes (attach, bind, unbind, detach), the assoc
 *       lists of each vcm, and native mappings (vcm_map_phys(), vcm_unmap())
 *       against the teardown of their device.  Never taken on a DMA API
 *       mapping path.
 *   vcm->lock (spinlock, irqsave): the vcm's tree of reservations.
 *   vcm_phys_list_lock (spinlock, irqsave, vcm-phys.c): the list of all live
 *       vcm_phys, read by debugfs (which takes each phys->lock inside it),
 *       and each one's @owner against vcm_phys_quarantine().
 *   phys->lock (spinlock, irqsave): the list of reservations bound to phys,
 *       and the users and device edges of each of them.  Nests inside
 *       vcm->lock.
 *   vcm_index_lock (spinlock, irqsave, vcm-index.c): writers of the index
 *       from page frames to buffers; its readers take no lock.
 *   vcm_memtype.lock (spinlock, irqsave, vcm-memtype.c): the memtype index
 *       and its mapper counts; nests inside phys->lock.  Leaf lock.
 *   bucket->lock (spinlock, irqsave): one bucket of an assoc's table of
 *       streaming mappings.  Leaf lock.
 *
 * Reference counts:
 *
 *   vcm->kref      one per assoc attached to it; the vcm dies with its last
 *                  device.
 *   phys->kref     one for its creator (the coherent allocation, or the
 *                  native API caller), one per reservation bound to it,
 *                  and one for each short-lived lookup through the index.
 *                  Its struct is freed after an RCU grace period, as the
 *                  index is read under RCU.
 *   res            owned by whoever created it (a coherent allocation or a
 *                  native mapping), or, for a shared reservation (one
 *                  made when a device maps pages of a VCM buffer through
 *                  the streaming DMA API), by its edges.  @users counts the
 *                  creator's hold (if any) and every edge mapping; the last
 *                  one out takes it out of its vcm's tree (under
 *                  vcm->lock) and unbinds it.  A native mapping torn down
 *                  with its device is marked VCM_RES_DEAD and freed by its
 *                  holder's vcm_unmap().
 *   assoc          lives from the first bind of its device until the
 *                  device is deleted: at BUS_NOTIFY_DEL_DEVICE if no driver
 *                  is bound, else at BUS_NOTIFY_REMOVED_DEVICE, after the
 *                  unbind that device_del() does in between.  A driver
 *                  never outlives its assoc (vcm-ops.c).
 */
#ifndef _KERNEL_DMA_VCM_H
#define _KERNEL_DMA_VCM_H

#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-vcm.h>
#include <linux/iommu.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/rbtree.h>
#include <linux/rbtree_latch.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <linux/swiotlb.h>
#include <linux/workqueue.h>
#include "vcm-memtype.h"

#define VCM_PREFIX "vcm: "

enum vcm_kind {
	VCM_KIND_ONE_TO_ONE,
	VCM_KIND_IOMMU,
};

/* vcm_attach_device() flags */
#define VCM_ATTACH_TRACK	BIT(0)	/* record every streaming mapping */
#define VCM_ATTACH_LAZY		BIT(1)	/* batch IOTLB invalidation */
#define VCM_ATTACH_EXCLUDED	BIT(2)	/* vcm.exclude= names the device */

/* Per-device counters, shown in debugfs.  Keep vcm_stat_names[] in sync. */
enum vcm_stat {
	VCM_STAT_ALLOC,
	VCM_STAT_FREE,
	VCM_STAT_ALLOC_PAGES,
	VCM_STAT_FREE_PAGES,
	VCM_STAT_MAP_PAGE,
	VCM_STAT_UNMAP_PAGE,
	VCM_STAT_MAP_SG,
	VCM_STAT_UNMAP_SG,
	VCM_STAT_MAP_RESOURCE,
	VCM_STAT_UNMAP_RESOURCE,
	VCM_STAT_SYNC,
	VCM_STAT_MMAP,
	VCM_STAT_GET_SGTABLE,
	VCM_STAT_BOUNCED,
	VCM_STAT_SG_MERGED,
	VCM_STAT_P2P_BUS,
	VCM_STAT_SHARED,	/* streaming maps through a buffer's reservation */
	VCM_STAT_PINNED,	/* ... and off it, pinning the buffers they reach */
	VCM_STAT_ALLOC_FAILED,
	VCM_STAT_MAP_FAILED,
	VCM_NR_CALL_STATS,
	/* Driver errors from here on. */
	VCM_ERR_UNKNOWN_HANDLE = VCM_NR_CALL_STATS,
	VCM_ERR_SIZE_MISMATCH,
	VCM_ERR_DIR_MISMATCH,
	VCM_ERR_OWNER_MISMATCH,
	VCM_ERR_MASK,
	VCM_ERR_LEAKED,
	VCM_NR_STATS,
};

extern const char * const vcm_stat_names[VCM_NR_STATS];

/* What a record in the streaming table describes. */
enum vcm_map_kind {
	VCM_MAP_PAGE,
	VCM_MAP_SG,
	VCM_MAP_RESOURCE,
};

/**
 * struct vcm_track_segs - DMA segments of a list that hold something
 * @n: entries in @seg
 * @seg: device address and length of each, as map_sg left them
 *
 * A one-to-one list's segments hold nothing, but those that were bounced
 * hold swiotlb slots: the teardown of a list the driver leaked (and maybe
 * freed) must give each of them back, and only the record can say where
 * they are.  Allocated with the record, only for lists that bounced.
 */
struct vcm_track_segs {
	unsigned int n;
	struct {
		dma_addr_t addr;
		unsigned int len;
	} seg[] __counted_by(n);
};

/**
 * struct vcm_track_rec - what VCM remembers of a live streaming mapping
 * @key: device address (page, resource) or address of the sg list
 * @size: bytes mapped
 * @sg_first: for an sg list, device address of its first DMA segment ...
 * @sg_end: ... and end of its last, to tear it down once the list is gone
 * @held: for an sg list, the segments the backend must undo one by one
 *	(@seg_held), or NULL; freed with the record
 * @nents: for an sg list: entries passed in (high 16 bits: segments out)
 * @kind: enum vcm_map_kind
 * @dir: enum dma_data_direction
 * @shared: mapped through a VCM buffer's shared reservation (vcm-share.c)
 */
struct vcm_track_rec {
	unsigned long key;
	size_t size;
	dma_addr_t sg_first;
	dma_addr_t sg_end;
	struct vcm_track_segs *held;
	u32 nents;
	u8 kind;
	u8 dir;
	u8 shared;
};

/* What the record of a mapping says about how it was made. */
enum vcm_shared {
	VCM_NOT_SHARED,		/* by the backend */
	VCM_SHARED,		/* through a shared reservation */
	VCM_SHARED_UNKNOWN,	/* no record (dma=vcm,notrack) */
};

#define VCM_TRACK_SLOT_BITS	6
#define VCM_TRACK_PROBE		8
#define VCM_TRACK_BITS		8

/* vcm_track_slot.state */
enum {
	VCM_SLOT_EMPTY,
	VCM_SLOT_BUSY,		/* being written or being taken */
	VCM_SLOT_LIVE,		/* @rec is complete and stable */
};

/**
 * struct vcm_track_slot - a lock-free place for one record
 * @state: VCM_SLOT_*, changed with cmpxchg (see vcm-track.c)
 * @rec: the record, owned by whoever moved @state to VCM_SLOT_BUSY
 */
struct vcm_track_slot {
	unsigned int state;
	struct vcm_track_rec rec;
};

/**
 * struct vcm_track_bucket - overflow records of one hash value
 * @lock: protects @head
 * @head: records (struct vcm_track in vcm-track.c)
 */
struct vcm_track_bucket {
	spinlock_t lock;		/* protects head */
	struct hlist_head head;
};

/**
 * struct vcm_track_table - the live streaming mappings of a tracked device
 * @slots: in lock-free slots hashed by address or sg list ...
 * @track: ... and, where the slots near the hash are taken, in chains
 *
 * About 7 KiB: allocated only for a device whose mappings are recorded.
 */
struct vcm_track_table {
	struct vcm_track_slot slots[1 << VCM_TRACK_SLOT_BITS];
	struct vcm_track_bucket track[1 << VCM_TRACK_BITS];
};

/**
 * struct vcm_declined - a device VCM saw and does not serve
 * @node: entry in vcm_declined_list (vcm_graph_lock)
 * @dev: the device
 * @why: the reason, for debugfs
 *
 * What a device VCM declines costs instead of an association: it keeps its
 * original backend and VCM only remembers why, to say so once.
 */
struct vcm_declined {
	struct list_head node;
	struct device *dev;
	const char *why;
};

struct dentry;
struct iommu_domain;
struct vcm;
struct vcm_assoc;
struct vcm_res;

/**
 * struct vcm_backend - how one kind of vcm turns memory into device addresses
 * @name: the kind, for logs and debugfs
 * @alloc_phys: allocate a buffer for a coherent allocation of the device
 * @map_phys: map @size bytes at @phys for streaming DMA; sets *@bounced when
 *	the device reaches a bounce copy instead of @phys
 * @unmap_phys: undo @map_phys
 * @map_sg: map a scatterlist, merging what the device allows
 * @unmap_sg: undo @map_sg
 * @teardown_sg: undo @map_sg of a list that is gone, from the device
 *	addresses of its first segment and of the end of its last (optional)
 * @seg_held: does a mapped DMA segment at @addr hold something (a bounce
 *	slot) that only @unmap_phys of that segment gives back?  (optional:
 *	for backends whose @teardown_sg cannot find it from the span)
 * @sync_for_cpu: hand a streaming mapping back to the CPU
 * @sync_for_device: hand a streaming mapping to the device
 * @map_resource: map an MMIO range
 * @sync_sg_for_cpu: hand the CPU entries of a mapped list back to the CPU
 *	(optional: without it, each DMA segment is synced as one range)
 * @sync_sg_for_device: hand them to the device (optional, likewise)
 * @bind: give @res an address range in its vcm that reaches its vcm_phys;
 *	@gfp is the caller's, down to the page tables
 * @unbind: undo @bind, or @reserve (and @fill) of a reserved range
 * @reserve: give @res an address range with nothing behind it yet; NULL
 *	where device addresses are physical addresses (one-to-one)
 * @fill: map @res->phys from @res->offset into the range of @res, whole
 *	or not at all
 * @empty: undo @fill, with the IOTLB flushed before it returns
 * @supported: can a device with @mask use this vcm?
 * @required_mask: the smallest mask that reaches all memory
 * @max_mapping_size: largest single mapping
 * @opt_mapping_size: mapping size above which mappings get slower
 * @merge_boundary: boundary at which the backend merges segments (0: none)
 * @init: set up a new vcm of this kind for @dev's @domain (optional)
 * @destroy: undo @init, with the vcm's last device gone (optional)
 * @flush: complete every invalidation still pending, before a device
 *	leaves (optional)
 */
struct vcm_backend {
	const char *name;
	struct vcm_phys *(*alloc_phys)(struct vcm_assoc *assoc, size_t size,
				       gfp_t gfp, unsigned long attrs);
	dma_addr_t (*map_phys)(struct vcm_assoc *assoc, phys_addr_t phys,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs, bool *bounced);
	void (*unmap_phys)(struct vcm_assoc *assoc, dma_addr_t addr,
			   size_t size, enum dma_data_direction dir,
			   unsigned long attrs);
	int (*map_sg)(struct vcm_assoc *assoc, struct scatterlist *sgl,
		      int nents, enum dma_data_direction dir,
		      unsigned long attrs);
	void (*unmap_sg)(struct vcm_assoc *assoc, struct scatterlist *sgl,
			 int nents, int mapped, enum dma_data_direction dir,
			 unsigned long attrs);
	void (*teardown_sg)(struct vcm_assoc *assoc, dma_addr_t first,
			    dma_addr_t end);
	bool (*seg_held)(struct vcm_assoc *assoc, dma_addr_t addr);
	void (*sync_for_cpu)(struct vcm_assoc *assoc, dma_addr_t addr,
			     size_t size, enum dma_data_direction dir);
	void (*sync_for_device)(struct vcm_assoc *assoc, dma_addr_t addr,
				size_t size, enum dma_data_direction dir);
	void (*sync_sg_for_cpu)(struct vcm_assoc *assoc,
				struct scatterlist *sgl, int nents,
				enum dma_data_direction dir);
	void (*sync_sg_for_device)(struct vcm_assoc *assoc,
				   struct scatterlist *sgl, int nents,
				   enum dma_data_direction dir);
	dma_addr_t (*map_resource)(struct vcm_assoc *assoc, phys_addr_t phys,
				   size_t size, enum dma_data_direction dir,
				   unsigned long attrs);
	int (*bind)(struct vcm_assoc *assoc, struct vcm_res *res, gfp_t gfp);
	void (*unbind)(struct vcm_res *res);
	int (*reserve)(struct vcm_assoc *assoc, struct vcm_res *res);
	int (*fill)(struct vcm_assoc *assoc, struct vcm_res *res, gfp_t gfp);
	void (*empty)(struct vcm_res *res);
	int (*supported)(struct vcm_assoc *assoc, u64 mask);
	u64 (*required_mask)(struct vcm_assoc *assoc);
	size_t (*max_mapping_size)(struct vcm_assoc *assoc);
	size_t (*opt_mapping_size)(void);
	unsigned long (*merge_boundary)(struct vcm_assoc *assoc);
	int (*init)(struct vcm *vcm, struct device *dev,
		    struct iommu_domain *domain, bool lazy);
	void (*destroy)(struct vcm *vcm);
	void (*flush)(struct vcm *vcm);
};

struct vcm_iommu;

/**
 * struct vcm - one device address space
 * @kref: one reference per attached assoc
 * @kind: one-to-one window or IOMMU domain
 * @backend: the kind's operations
 * @id: small number for names and debugfs
 * @name: "direct-<id>" and the like
 * @window: identity of a one-to-one window: the bus offset map ...
 * @bus_limit: ... and the bus DMA limit shared by its devices
 * @node: entry in the list of vcms (vcm_graph_lock)
 * @assocs: attached devices (vcm_graph_lock)
 * @lock: protects @res_tree and @nr_res
 * @res_tree: reservations in this address space, by start address
 * @nr_res: number of reservations in @res_tree
 * @nr_shared: live streaming mappings of VCM buffers (shared reservations)
 *	made through this vcm: while it is zero, unmaps skip looking for one
 * @nr_pinned: buffer references (pins) held by live streaming mappings of
 *	this vcm that reach VCM buffers without going through them
 *	(vcm-share.c): while it is zero, unmaps skip looking for one
 * @pins: device address -> physical address, for the pinning page
 *	mappings whose unmap cannot tell it otherwise (xa_lock)
 * @domain: identity of an iommu kind: the device's default DMA domain,
 *	whose page tables VCM writes
 * @iommu: the iommu kind's own state, allocated by vcm_iommu_init()
 */
struct vcm {
	struct kref kref;
	enum vcm_kind kind;
	const struct vcm_backend *backend;
	unsigned int id;
	char name[24];
	const struct bus_dma_region *window;
	u64 bus_limit;
	struct list_head node;
	struct list_head assocs;
	spinlock_t lock;		/* see vcm.h header */
	struct rb_root res_tree;
	unsigned long nr_res;
	atomic_long_t nr_shared;
	atomic_long_t nr_pinned;
	struct xarray pins;
	struct iommu_domain *domain;
	struct vcm_iommu *iommu;
};

/**
 * struct vcm_chunk - a physically contiguous piece of a vcm_phys
 * @pfn: first page frame
 * @nr_pages: length in pages
 * @pgoff: pages of the buffer before this chunk
 * @phys: the buffer
 * @index: entry in the index from page frames to buffers (vcm-index.c)
 */
struct vcm_chunk {
	unsigned long pfn;
	unsigned long nr_pages;
	unsigned long pgoff;
	struct vcm_phys *phys;
	struct latch_tree_node index;
};

/* vcm_phys.flags */
#define VCM_PHYS_CMA		BIT(0)	/* chunk 0 came from dma_alloc_contiguous */
/* A device that was not stopped may still write it: never freed. */
#define VCM_PHYS_QUARANTINED	BIT(1)
/* Its chunks came from the memtype pool (vcm-mt-pool.c), and go back. */
#define VCM_PHYS_POOLED		BIT(2)

/* A run of pages of a buffer being allocated, before it has its chunks. */
struct vcm_run {
	unsigned long pfn;
	unsigned long nr_pages;
};

/**
 * struct vcm_phys - a physical buffer
 * @kref: see the header comment
 * @size: bytes, a multiple of PAGE_SIZE
 * @flags: VCM_PHYS_*
 * @owner: device whose allocation created it, or NULL (holds a reference)
 * @node: entry in the list of live buffers (vcm_phys_list_lock)
 * @lock: protects @res
 * @res: reservations bound to this buffer
 * @rcu: frees the struct after readers of the index are done with it
 * @free_work: frees the memory from process context, when the last
 *	reference went in atomic context
 * @nr_chunks: entries in @chunks
 * @chunks: the memory, in buffer order: @one for a buffer of one chunk,
 *	else an array of its own (kvmalloc: a buffer of scattered pages has
 *	tens of thousands), freed with the struct after a grace period
 * @one: the chunk of a one-chunk buffer
 * @mt: its memory type (vcm-phys-type.c), write-back unless its allocator
 *	gave it another before handing out any address of it; never changed
 *	after
 * @nr_typed: chunks, from the first, that have @mt in the memtype index
 *	and their linear alias (0 for a write-back buffer)
 */
struct vcm_phys {
	struct kref kref;
	size_t size;
	unsigned int flags;
	struct device *owner;
	struct list_head node;
	spinlock_t lock;		/* see vcm.h header */
	struct list_head res;
	struct rcu_head rcu;
	struct work_struct free_work;
	unsigned int nr_chunks;
	struct vcm_chunk *chunks;
	struct vcm_chunk one;
	enum vcm_mt mt;
	unsigned int nr_typed;
};

/* vcm_res.flags */
#define VCM_RES_COHERENT	BIT(0)	/* made by dma_alloc_attrs() */
#define VCM_RES_PAGES		BIT(1)	/* made by dma_alloc_pages() */
#define VCM_RES_NATIVE		BIT(2)	/* made by vcm_map_phys() */
#define VCM_RES_DEAD		BIT(3)	/* torn down under its owner's feet */
#define VCM_RES_SHARED		BIT(4)	/* made by a streaming map of its pages */
#define VCM_RES_RESERVED	BIT(5)	/* made by vcm_reserve(), maybe empty */
/* Made for a device that is not cache-coherent: its syncs do something. */
#define VCM_RES_NONCOHERENT	BIT(6)
/* The kinds a device may map again through the streaming DMA API. */
#define VCM_RES_SHAREABLE	(VCM_RES_COHERENT | VCM_RES_PAGES | VCM_RES_SHARED)

/**
 * struct vcm_edge - a device's streaming mappings of a reservation
 * @node: entry in the reservation's list (phys->lock)
 * @assoc: the device
 * @maps: its live mappings through the reservation
 */
struct vcm_edge {
	struct list_head node;
	struct vcm_assoc *assoc;
	unsigned long maps;
};

/**
 * struct vcm_res_acct - what a backend mapped of a reservation's range
 * @bytes: bytes mapped at each page size
 * @shift: log2 of those page sizes (0: unused; 0xff in the last: more
 *	sizes than the record holds)
 *
 * The IOMMU backend's page-size accounting (vcm-iommu.c) of the range as
 * it was filled, so that emptying it takes the counts back without a walk
 * over the buffer's chunks.
 */
struct vcm_res_acct {
	unsigned long bytes[2];
	u8 shift[2];
};

/**
 * struct vcm_res - a reservation: an address range of a vcm bound to a buffer
 * @vcm: the address space
 * @start: first device address
 * @size: bytes
 * @offset: where in @phys the range starts (0 but for a native mapping of
 *	part of a buffer)
 * @phys: the buffer it reaches (holds a reference); NULL while a reserved
 *	range has nothing behind it.  Changed under vcm_graph_lock and
 *	@vcm->lock, so that either one keeps it stable.
 * @owner: the device that made it; NULL for a shared reservation
 * @cpu_addr: what the CPU view returned to the driver was
 * @attrs: DMA_ATTR_* it was made with
 * @flags: VCM_RES_*
 * @dir: direction of the DMA it serves (bidirectional for coherent buffers)
 * @node: entry in @vcm's res_tree (vcm->lock)
 * @phys_node: entry in @phys's list (phys->lock)
 * @gone: the native holder's callback for the device going away
 * @gone_data: its argument
 * @users: the creator's hold plus every edge mapping; 0 once it is going
 *	(phys->lock)
 * @edges: devices that map it through the streaming DMA API (phys->lock)
 * @acct: the backend's record of what it mapped of the range (changed
 *	where the range is filled and emptied, which nothing runs at once)
 */
struct vcm_res {
	struct vcm *vcm;
	dma_addr_t start;
	size_t size;
	size_t offset;
	struct vcm_phys *phys;
	struct vcm_assoc *owner;
	void *cpu_addr;
	unsigned long attrs;
	unsigned int flags;
	enum dma_data_direction dir;
	struct rb_node node;
	struct list_head phys_node;
	void (*gone)(struct vcm_res *res, void *data);
	void *gone_data;
	unsigned long users;
	struct list_head edges;
	struct vcm_res_acct acct;
};

/**
 * struct vcm_counters - one CPU's share of a device's counters
 * @stat: indexed by enum vcm_stat
 * @live_maps: streaming mappings made minus mappings undone on this CPU
 * @live_bytes: the same in bytes
 */
struct vcm_counters {
	long stat[VCM_NR_STATS];
	long live_maps;
	long live_bytes;
};

enum vcm_assoc_state {
	VCM_ASSOC_ACTIVE,	/* our ops are installed */
	VCM_ASSOC_IDLE,		/* driver unbound, original ops restored */
	VCM_ASSOC_DECLINED,	/* device kept its original backend */
};

/**
 * struct vcm_assoc - the edge between a device and its vcm
 * @ops: the device's copy of vcm_dma_ops; dev->dma_ops points here.  It is
 *	written once, before the assoc is published, and const from then on.
 * @dev: the device
 * @vcm: its address space, NULL while declined
 * @orig_ops: dev->dma_ops before VCM took over
 * @state: see enum vcm_assoc_state
 * @behind_iommu: the device sat behind a translating IOMMU when first seen
 * @untracked: streaming mappings are counted, not recorded (dma=vcm,notrack)
 * @bounced: a streaming mapping of the device was bounced (set once, never
 *	cleared): until then its syncs have nothing to copy
 * @declined: why the device keeps its original backend (a device that was
 *	served before; one never served has a struct vcm_declined instead)
 * @node: entry in the list of assocs (vcm_graph_lock)
 * @vcm_node: entry in @vcm's list of devices (vcm_graph_lock)
 * @cnt: per-CPU counters, so that counting costs no atomic operation on
 *	the mapping paths; read them with vcm_stat_read()
 * @table: its live streaming mappings, from the first attach that records
 *	them (VCM_ATTACH_TRACK) until the device is released; NULL before
 */
struct vcm_assoc {
	const struct dma_map_ops ops;
	struct device *dev;
	struct vcm *vcm;
	const struct dma_map_ops *orig_ops;
	enum vcm_assoc_state state;
	bool behind_iommu;
	bool untracked;
	bool bounced;
	const char *declined;
	struct list_head node;
	struct list_head vcm_node;
	struct vcm_counters __percpu *cnt;
	struct vcm_track_table *table;
};

/* Flags for VCM's own bookkeeping allocations made on behalf of @gfp. */
static inline gfp_t vcm_meta_gfp(gfp_t gfp)
{
	return gfpflags_allow_blocking(gfp) ? GFP_KERNEL : GFP_ATOMIC;
}

static __always_inline void vcm_stat_inc(struct vcm_assoc *assoc,
					 enum vcm_stat s)
{
	this_cpu_inc(assoc->cnt->stat[s]);
}

static __always_inline void vcm_live_add(struct vcm_assoc *assoc, long maps,
					 long bytes)
{
	this_cpu_add(assoc->cnt->live_maps, maps);
	this_cpu_add(assoc->cnt->live_bytes, bytes);
}

/* Sum of all CPUs' shares of the counter at @offset in vcm_counters. */
static inline long vcm_counter_read(struct vcm_assoc *assoc, size_t offset)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(long *)((void *)per_cpu_ptr(assoc->cnt, cpu) + offset);
	return sum;
}

#define vcm_stat_read(assoc, s) \
	vcm_counter_read(assoc, offsetof(struct vcm_counters, stat[s]))
#define vcm_live_maps(assoc) \
	vcm_counter_read(assoc, offsetof(struct vcm_counters, live_maps))
#define vcm_live_bytes(assoc) \
	vcm_counter_read(assoc, offsetof(struct vcm_counters, live_bytes))

/* Report a driver error: count it, and say who did what, rate limited. */
#define vcm_report(assoc, err, fmt, ...)				\
	do {								\
		struct vcm_assoc *__a = (assoc);			\
									\
		vcm_stat_inc(__a, err);					\
		dev_warn_ratelimited(__a->dev, VCM_PREFIX fmt,		\
				     ##__VA_ARGS__);			\
	} while (0)

/* vcm-core.c: the graph */
extern struct mutex vcm_graph_lock;
extern struct list_head vcm_list;
extern struct list_head vcm_assoc_list;
void vcm_graph_set_ops(const struct dma_map_ops *direct,
		       const struct dma_map_ops *iommu);
struct vcm *vcm_get(struct device *dev, const struct vcm_backend *backend,
		    struct iommu_domain *domain, bool lazy);
void vcm_put(struct vcm *vcm);
struct vcm_assoc *vcm_assoc_alloc(struct device *dev, bool behind_iommu);
void vcm_assoc_free(struct vcm_assoc *assoc);
struct vcm_assoc *vcm_assoc_of(struct device *dev);
struct vcm_assoc *vcm_assoc_find(struct device *dev);
void vcm_res_unlink_locked(struct vcm *vcm, struct vcm_res *res);
struct vcm_res *vcm_res_find_locked(struct vcm_assoc *assoc, dma_addr_t addr,
				    unsigned int flags);
struct vcm_res *vcm_res_covering_locked(struct vcm *vcm, dma_addr_t addr);
struct vcm_phys *vcm_phys_lookup(struct vcm_assoc *assoc, dma_addr_t addr,
				 unsigned int flags);
struct vcm_res *vcm_res_create(struct vcm_assoc *assoc,
			       struct vcm_phys *phys, unsigned int flags,
			       enum dma_data_direction dir,
			       unsigned long attrs, gfp_t gfp);
void vcm_res_link_phys_locked(struct vcm_res *res, struct vcm_phys *phys);
void vcm_res_unlink_phys_locked(struct vcm_res *res, struct vcm_phys *phys);
struct vcm_res *vcm_res_create_range(struct vcm_assoc *assoc,
				     struct vcm_phys *phys, size_t offset,
				     size_t size, unsigned int flags,
				     enum dma_data_direction dir,
				     unsigned long attrs, gfp_t gfp,
				     struct vcm_edge *edge);
struct vcm_res *vcm_res_create_empty(struct vcm_assoc *assoc, size_t size);
struct vcm_res *vcm_res_create_shared(struct vcm_assoc *assoc,
				      struct vcm_phys *phys, size_t offset,
				      size_t size, enum dma_data_direction dir,
				      unsigned long attrs,
				      struct vcm_edge *edge);
void vcm_res_unbind(struct vcm_res *res);
void vcm_res_destroy(struct vcm_res *res);

/* vcm-sg.c: DMA segments of scatterlists */
int vcm_sg_p2pdma(struct pci_p2pdma_map_state *state, struct device *dev,
		  struct scatterlist *s);
int vcm_sg_emit_bus(struct vcm_assoc *assoc, struct scatterlist *sgl,
		    struct scatterlist **out, struct scatterlist *s);
void vcm_sg_unmark_bus(struct scatterlist *sgl, int nents);
void vcm_sg_end(struct scatterlist *out, int count, int nents);

/*
 * Inline: the map loops of every backend call these once per entry of
 * lists of up to thousands of entries.
 */
/**
 * vcm_sg_can_extend() - may DMA segment @out grow by an entry?
 * @dev: the device, whose segment limits apply
 * @out: the last DMA segment so far
 * @addr: device address of the entry
 * @len: its length
 *
 * Return: true if @out is not at a PCI bus address (peer-to-peer memory),
 * the entry starts where @out ends and the grown segment stays within
 * max_segment_size and does not cross the segment boundary.
 */
static inline bool vcm_sg_can_extend(struct device *dev,
				     struct scatterlist *out,
				     dma_addr_t addr, unsigned int len)
{
	dma_addr_t start = sg_dma_address(out);
	unsigned long boundary;
	unsigned int max;

	/* Scattered pages, the common case, fail here: read no limits. */
	if (addr != start + sg_dma_len(out) || sg_dma_is_bus_address(out))
		return false;
	boundary = dma_get_seg_boundary(dev);
	max = dma_get_max_seg_size(dev);
	/*
	 * The length test is a subtraction, as in dma-iommu: with a
	 * max_segment_size of UINT_MAX (NVMe, mlx5, GPUs) the sum would wrap
	 * in unsigned int and let a segment of wrapped length through, which
	 * the unmap would then cover only in part.
	 */
	return sg_dma_len(out) <= max && len <= max - sg_dma_len(out) &&
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
static inline int vcm_sg_emit(struct vcm_assoc *assoc, struct scatterlist *sgl,
			      struct scatterlist **out, dma_addr_t addr,
			      unsigned int len, bool merge)
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

void vcm_sg_dma_span(struct scatterlist *sgl, int count, dma_addr_t *first,
		     dma_addr_t *end);

/* vcm-attach.c: devices on and off VCM */
bool vcm_excluded(struct device *dev);
const char *vcm_group_blocker(struct device *dev);
extern struct list_head vcm_declined_list;
struct vcm_assoc *vcm_attach_device(struct device *dev, unsigned int flags);
struct vcm_assoc *vcm_attach_device_domain(struct device *dev,
					   struct iommu_domain *domain,
					   unsigned int flags);
unsigned long vcm_teardown_assoc(struct vcm_assoc *assoc);
void vcm_detach_device(struct device *dev);
void vcm_detach_unused_device(struct device *dev);
void vcm_release_device(struct device *dev);

/*
 * The bus address at which a one-to-one device reaches [phys, phys + size)
 * without bouncing, or DMA_MAPPING_ERROR if it must bounce (swiotlb forced,
 * beyond the mask or bus limit, or a kmalloc buffer of a non-coherent
 * device): dma-direct's own test.
 */
static __always_inline dma_addr_t vcm_direct_addr(struct device *dev,
						  phys_addr_t phys,
						  size_t size,
						  enum dma_data_direction dir)
{
	dma_addr_t addr = phys_to_dma(dev, phys);

	if (is_swiotlb_force_bounce(dev) ||
	    unlikely(!dma_capable(dev, addr, size, true)) ||
	    dma_kmalloc_needs_bounce(dev, size, dir))
		return DMA_MAPPING_ERROR;
	return addr;
}

/* vcm-track.c */
int __vcm_track_add(struct vcm_assoc *assoc, enum vcm_map_kind kind,
		    unsigned long key, size_t size, u32 nents,
		    enum dma_data_direction dir, bool shared);
bool __vcm_track_del(struct vcm_assoc *assoc, enum vcm_map_kind kind,
		     unsigned long key, size_t *size, u32 *nents,
		     enum dma_data_direction *dir, enum vcm_shared *shared);

/*
 * Note a new streaming mapping: counted, and recorded if the device is
 * tracked (__vcm_track_add()).  Return: 0 or -ENOMEM.
 */
static __always_inline int vcm_track_add(struct vcm_assoc *assoc,
					 enum vcm_map_kind kind,
					 unsigned long key, size_t size,
					 u32 nents, enum dma_data_direction dir,
					 bool shared)
{
	if (assoc->untracked) {
		vcm_live_add(assoc, 1, size);
		return 0;
	}
	return __vcm_track_add(assoc, kind, key, size, nents, dir, shared);
}

/*
 * Retire a streaming mapping: uncounted, and checked against its record if
 * the device is tracked (__vcm_track_del()).  Return: false if the caller
 * must not undo anything.
 */
static __always_inline bool vcm_track_del(struct vcm_assoc *assoc,
					  enum vcm_map_kind kind,
					  unsigned long key, size_t *size,
					  u32 *nents,
					  enum dma_data_direction *dir,
					  enum vcm_shared *shared)
{
	if (assoc->untracked) {
		vcm_live_add(assoc, -1, -(long)*size);
		*shared = VCM_SHARED_UNKNOWN;
		return true;
	}
	return __vcm_track_del(assoc, kind, key, size, nents, dir, shared);
}

unsigned long vcm_track_flush(struct vcm_assoc *assoc);
struct vcm_track_table *vcm_track_table_alloc(void);

void vcm_show_streaming(struct seq_file *m, struct vcm_assoc *assoc);

/* vcm-phys.c */
#define VCM_CHUNK_STAT_ORDERS	(MAX_PAGE_ORDER + 1)
extern struct list_head vcm_phys_list;
extern spinlock_t vcm_phys_list_lock;
extern atomic_long_t vcm_chunk_stats[VCM_CHUNK_STAT_ORDERS][2];
struct vcm_phys *vcm_phys_alloc_contig(struct device *dev, size_t size,
				       gfp_t gfp, u64 limit);
/* vcm_phys_alloc_chunks(): large chunks only where they are free */
#define VCM_ORDERS_IF_FREE	BIT(BITS_PER_LONG - 1)
struct vcm_phys *vcm_phys_alloc_chunks(struct device *dev, size_t size,
				       gfp_t gfp, unsigned long orders);
bool vcm_phys_reachable(struct device *dev, phys_addr_t phys, size_t size,
			u64 limit);
void vcm_phys_release(struct kref *kref);
void vcm_phys_quarantine(struct vcm_phys *phys);
void *vcm_phys_vmap(struct vcm_phys *phys);
void vcm_phys_vunmap(struct vcm_phys *phys, void *va);
void vcm_free_run(unsigned long pfn, unsigned long nr_pages);
struct vcm_phys *vcm_phys_from_runs(struct device *dev,
				    const struct vcm_run *runs, unsigned int n,
				    size_t size, enum vcm_mt mt);
int vcm_phys_to_sgtable(struct vcm_phys *phys, struct sg_table *sgt,
			gfp_t gfp);
typedef int (*vcm_piece_fn)(phys_addr_t paddr, size_t len, size_t done,
			    void *arg);
int vcm_phys_walk(struct vcm_phys *phys, size_t offset, size_t size,
		  vcm_piece_fn fn, void *arg);
phys_addr_t vcm_phys_contiguous(struct vcm_phys *phys, size_t offset,
				size_t size);
int vcm_phys_to_sgtable_max(struct vcm_phys *phys, struct sg_table *sgt,
			    size_t max_seg, gfp_t gfp);
int vcm_phys_mmap(struct vcm_phys *phys, struct vm_area_struct *vma);

static inline struct page *vcm_phys_page(struct vcm_phys *phys)
{
	return pfn_to_page(phys->chunks[0].pfn);
}

/* vcm-phys-type.c */
extern atomic_long_t vcm_mt_set_memory_calls;
bool vcm_memtype_can_type(void);
pgprot_t vcm_mt_pgprot(pgprot_t prot, enum vcm_mt mt);
int vcm_phys_set_type(struct vcm_phys *phys, enum vcm_mt mt);
int vcm_mt_set_linear(unsigned long pfn, unsigned long nr_pages,
		      enum vcm_mt mt);
bool vcm_mt_untype(unsigned long pfn, unsigned long nr_pages, enum vcm_mt mt);
int vcm_phys_memtype_ask(struct vcm_phys *phys, enum vcm_mt want,
			 const struct vcm_mapper *who, enum vcm_mt *got);
int vcm_phys_memtype_get(struct vcm_phys *phys, enum vcm_mt want,
			 const struct vcm_mapper *who, enum vcm_mt *got);
void vcm_phys_memtype_put(struct vcm_phys *phys, const struct vcm_mapper *who);
void vcm_res_memtype_count(struct vcm_res *res, struct vcm_phys *phys,
			   bool get);

/* vcm-mt-pool.c */
extern bool vcm_mt_pool_enabled;
struct vcm_phys *vcm_mt_pool_alloc(struct device *dev, size_t size,
				   enum vcm_mt mt, u64 limit, bool contiguous);
void vcm_mt_pool_free(struct vcm_phys *phys);
unsigned long vcm_mt_pool_shrink(unsigned long nr_pages, bool wait);
int vcm_mt_pool_init(void);
void vcm_mt_pool_show(struct seq_file *m);

/* IOMMU_* protection of a mapping of memory of type @mt. */
static inline int vcm_mt_iommu_prot(int prot, enum vcm_mt mt)
{
	return mt == VCM_MT_WB ? prot : prot & ~IOMMU_CACHE;
}

/*
 * vcm-index.c: the index from page frames to buffers.  Its read side is
 * here, inline, because every streaming mapping asks it once.
 */
extern struct latch_tree_root vcm_index;
extern atomic_long_t vcm_index_chunks;

static __always_inline struct vcm_chunk *to_chunk(struct latch_tree_node *n)
{
	return container_of(n, struct vcm_chunk, index);
}

static __always_inline bool vcm_index_less(struct latch_tree_node *a,
					   struct latch_tree_node *b)
{
	return to_chunk(a)->pfn < to_chunk(b)->pfn;
}

static __always_inline int vcm_index_comp(void *key,
					  struct latch_tree_node *n)
{
	unsigned long pfn = *(unsigned long *)key;
	struct vcm_chunk *c = to_chunk(n);

	if (pfn < c->pfn)
		return -1;
	return pfn - c->pfn < c->nr_pages ? 0 : 1;
}

static const struct latch_tree_ops vcm_index_ops = {
	.less = vcm_index_less,
	.comp = vcm_index_comp,
};

/*
 * The chunk holding all of [paddr, paddr + size), or NULL.  Caller holds
 * rcu_read_lock(); the chunk's buffer is not pinned.
 */
static __always_inline struct vcm_chunk *vcm_index_find_rcu(phys_addr_t paddr,
							    size_t size)
{
	unsigned long pfn = PHYS_PFN(paddr);
	struct latch_tree_node *n;
	struct vcm_chunk *c;

	n = latch_tree_find(&pfn, &vcm_index, &vcm_index_ops);
	if (!n)
		return NULL;
	c = to_chunk(n);
	/* A range running past the chunk is not (only) this buffer's. */
	if (PHYS_PFN(paddr + size - 1) - c->pfn >= c->nr_pages)
		return NULL;
	return c;
}

/*
 * The index's first stage (vcm-index.c): one bit per page frame, set while
 * the page is in a chunk.  Pages past the bitmap's end, or all of them if
 * there is no bitmap, may be.
 */
extern unsigned long *vcm_index_map;
extern unsigned long vcm_index_map_len;

/*
 * May @paddr be in a VCM buffer?  If not, it certainly is not, and that is
 * all a streaming mapping of memory VCM did not allocate costs: one bit
 * test, no lock, no tree.  Any context.
 */
static __always_inline bool vcm_index_may_hold(phys_addr_t paddr)
{
	unsigned long pfn = PHYS_PFN(paddr);

	/* Pairs with vcm_index_map_init(): within the length, a map. */
	return pfn >= smp_load_acquire(&vcm_index_map_len) ||
	       test_bit(pfn, vcm_index_map);
}

/* Offset in its buffer of @paddr, which lies in chunk @c. */
static inline size_t vcm_chunk_offset(const struct vcm_chunk *c,
				      phys_addr_t paddr)
{
	return ((c->pgoff + PHYS_PFN(paddr) - c->pfn) << PAGE_SHIFT) +
	       offset_in_page(paddr);
}

int vcm_index_map_init(void);
void vcm_index_map_show(struct seq_file *m);
void vcm_index_add(struct vcm_phys *phys);
void vcm_index_del(struct vcm_phys *phys);
struct vcm_phys *vcm_index_get(phys_addr_t paddr, size_t size,
			       size_t *offset);

/* vcm-share.c */
dma_addr_t vcm_share_map_page(struct vcm_assoc *assoc, phys_addr_t paddr,
			      size_t size, enum dma_data_direction dir,
			      unsigned long attrs, bool *shared);
int vcm_share_map_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
		     int nents, enum dma_data_direction dir,
		     unsigned long attrs);
bool vcm_share_unmap(struct vcm_assoc *assoc, dma_addr_t addr, size_t size,
		     enum dma_data_direction dir, bool recorded);
bool vcm_share_sg_was_shared(struct vcm_assoc *assoc, struct scatterlist *sgl,
			     int nents);
struct vcm_phys *vcm_share_phys_get(struct vcm_assoc *assoc, dma_addr_t addr);
bool vcm_share_direct_ok(struct device *dev, phys_addr_t paddr, size_t size);
int vcm_share_map_phys_sgt(struct device *dev, struct vcm_phys *phys,
			   enum dma_data_direction dir, struct sg_table *sgt);
void vcm_share_unmap_phys_sgt(struct device *dev, struct vcm_phys *phys,
			      enum dma_data_direction dir,
			      struct sg_table *sgt);
void vcm_share_sync_phys(struct device *dev, struct vcm_phys *phys,
			 enum dma_data_direction dir, bool for_device);
/**
 * struct vcm_view - a creator's vmap of a buffer that stays for others
 * @va: the vmap, or NULL
 * @phys: the buffer, held until the view is gone: no page of it may be
 *	freed (and turned write-back) while the alias still maps it
 */
struct vcm_view {
	void *va;
	struct vcm_phys *phys;
};

bool vcm_res_end_creator_locked(struct vcm_res *res, struct vcm_view *view);
void vcm_res_free_handle(struct vcm_assoc *assoc, dma_addr_t handle,
			 size_t size, void *cpu, unsigned int flags);
bool vcm_res_owns_any(struct vcm_assoc *assoc);
struct vcm_res *vcm_res_take_any(struct vcm_assoc *assoc, bool *last,
				 struct vcm_view *view);
void vcm_res_drop_view(struct vcm_view *view);
unsigned long vcm_share_teardown(struct vcm_assoc *assoc);
size_t vcm_pin_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
		  int nents);
void vcm_unpin_sg(struct vcm_assoc *assoc, struct scatterlist *sgl,
		  int nents);
unsigned long vcm_pin_range(phys_addr_t paddr, size_t size);
int vcm_pin_note(struct vcm_assoc *assoc, dma_addr_t addr, phys_addr_t paddr,
		 size_t size, unsigned long pins, bool bounced);
void vcm_unpin_range(phys_addr_t paddr, size_t size);
void vcm_unmap_pinned(struct vcm_assoc *assoc, dma_addr_t addr, size_t size,
		      enum dma_data_direction dir, unsigned long attrs);
void vcm_share_show(struct seq_file *m, struct vcm_res *res);
void vcm_share_show_edges_locked(struct seq_file *m, struct vcm_res *res);

/* vcm-heap.c */
struct dma_buf;

/**
 * struct vcm_heap_reach - where the buffers of a dma-buf heap may lie
 * @name: the heap
 * @lo: lowest physical address of its memory
 * @hi: highest
 * @contiguous: each buffer is one physically contiguous range
 */
struct vcm_heap_reach {
	const char *name;
	phys_addr_t lo, hi;
	bool contiguous;
};

#ifdef CONFIG_DMA_VCM_HEAP
int vcm_heap_init(void);
struct dma_buf *vcm_heap_export(const char *name, unsigned long len,
				u32 fd_flags, enum vcm_mt mt, gfp_t zone);
bool vcm_heap_maps_directly(struct device *dev, bool iommu,
			    const struct vcm_heap_reach *r, bool contiguous);
ssize_t vcm_heap_list(struct device *dev, bool contiguous, char *buf);
void vcm_heap_sysfs_add(struct device *dev);
void vcm_heap_sysfs_remove(struct device *dev);
#else
static inline int vcm_heap_init(void)
{
	return 0;
}

static inline void vcm_heap_sysfs_add(struct device *dev)
{
}

static inline void vcm_heap_sysfs_remove(struct device *dev)
{
}
#endif

/* vcm-direct.c */
extern const struct vcm_backend vcm_direct_backend;

/* vcm-iommu.c */
extern const struct vcm_backend vcm_iommu_backend;
#ifdef CONFIG_DMA_VCM_IOMMU
void vcm_iommu_debugfs_init(struct dentry *dir);
const char *vcm_iommu_usable(struct device *dev);
int vcm_iommu_init(struct vcm *vcm, struct device *dev,
		   struct iommu_domain *domain, bool lazy);
void vcm_iommu_destroy(struct vcm *vcm);
void vcm_iommu_flush(struct vcm *vcm);
size_t vcm_iommu_opt_mapping_size(void);
int vcm_iommu_reserve(struct vcm *vcm, phys_addr_t start, phys_addr_t end);
void vcm_iommu_show(struct seq_file *m, struct vcm *vcm);
#else
static inline void vcm_iommu_debugfs_init(struct dentry *dir)
{
}

static inline const char *vcm_iommu_usable(struct device *dev)
{
	return "kernel built without IOMMU DMA support";
}

static inline int vcm_iommu_init(struct vcm *vcm, struct device *dev,
				 struct iommu_domain *domain, bool lazy)
{
	return -ENODEV;
}

static inline void vcm_iommu_destroy(struct vcm *vcm)
{
}

static inline void vcm_iommu_flush(struct vcm *vcm)
{
}

static inline size_t vcm_iommu_opt_mapping_size(void)
{
	return SIZE_MAX;
}

static inline void vcm_iommu_show(struct seq_file *m, struct vcm *vcm)
{
}
#endif

/* vcm-debugfs.c */
void vcm_debugfs_init(void);

#endif /* _KERNEL_DMA_VCM_H */
