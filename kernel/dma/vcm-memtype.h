/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual Contiguous Memory: memory types (private to kernel/dma/vcm*.c).
 *
 * Every mapper of a physical range -- the kernel's linear map, a vmap
 * alias, a user mapping, a device (IOMMU page tables or one-to-one) --
 * must agree on the range's memory type.  Two files keep that promise, as
 * arch/x86/mm/pat/ keeps its policy apart from its index:
 *
 *   vcm-memtype-policy.c  the types, which request may be given which type
 *                         (the matrix), the strict and tolerant modes, and
 *                         the report of a conflict;
 *   vcm-memtype.c         the index: physical range -> type and the count
 *                         of mappers of each range, on the kernel's
 *                         interval tree, with a lockless lookup for the
 *                         streaming hot path.
 *
 * A range enters the index when its owner -- the allocator that took the
 * pages and changed their linear alias -- declares its type, and leaves it
 * when the owner takes it back, which it may only do when no other mapper
 * is left.  Memory in no declared range is write-back and its mappers are
 * not counted: a streaming mapping of an ordinary page costs the lookup
 * and nothing else.
 */
#ifndef _KERNEL_DMA_VCM_MEMTYPE_H
#define _KERNEL_DMA_VCM_MEMTYPE_H

#include <linux/atomic.h>
#include <linux/rbtree.h>
#include <linux/seqlock.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct seq_file;

/* The memory types, most cached first.  Keep vcm_mt_names[] in step. */
enum vcm_mt {
	VCM_MT_WB,	/* write-back: cached; devices snoop */
	VCM_MT_WC,	/* write-combine: uncached, writes buffered */
	VCM_MT_UC,	/* uncached (x86: UC-) */
	VCM_MT_NR,
	/* A request only: whatever type the range has. */
	VCM_MT_ANY = VCM_MT_NR,
	/* A report only: the range has parts of more than one type. */
	VCM_MT_MIXED,
};

/* What the policy says of a request for one type of a range of another. */
enum vcm_mt_verdict {
	VCM_MT_SAME,		/* the type asked for, or any type asked */
	VCM_MT_FALLBACK,	/* safe with the range's type: tolerant only */
	VCM_MT_NEVER,		/* unsafe in every mode */
};

/* The two modes, chosen by dma=vcm,memtype=strict|tolerant. */
enum vcm_mt_mode {
	VCM_MT_TOLERANT,	/* a FALLBACK request gets the range's type */
	VCM_MT_STRICT,		/* a FALLBACK request is refused */
};

/* The kinds of mapper, counted apart.  Keep vcm_mapper_names[] in step. */
enum vcm_mapper_kind {
	VCM_MAPPER_LINEAR,	/* the kernel's linear (direct) map */
	VCM_MAPPER_VMAP,	/* a kernel vmap alias */
	VCM_MAPPER_USER,	/* a user mapping */
	VCM_MAPPER_DEVICE,	/* a device: IOMMU page tables or one-to-one */
	VCM_MAPPER_NR,
};

/**
 * struct vcm_mapper - who maps a range, for the count and for reports
 * @kind: what kind of mapping
 * @name: the device's name, or what else names the mapper (may be NULL)
 */
struct vcm_mapper {
	enum vcm_mapper_kind kind;
	const char *name;
};

#define VCM_MT_WHO_LEN	40	/* "device 0000:00:04.0", "user mapping" */

/**
 * struct vcm_mt_range - one declared range of the index
 * @it: the interval tree node: [@start, @last], inclusive
 * @start: first byte
 * @last: last byte
 * @subtree_last: the largest @last below this node (interval tree)
 * @type: its memory type
 * @mappers: mappers of (part of) the range, by kind; the owner's linear
 *	alias is one of them from the declaration on
 * @owner: who declared it, for debugfs and conflict reports
 * @rcu: frees the node after the lockless readers that may see it
 *
 * @start, @last and @type never change while the node is in the tree;
 * @mappers changes under the index's lock.
 */
struct vcm_mt_range {
	struct rb_node it;
	phys_addr_t start;
	phys_addr_t last;
	phys_addr_t subtree_last;
	enum vcm_mt type;
	unsigned int mappers[VCM_MAPPER_NR];
	char owner[VCM_MT_WHO_LEN];
	struct rcu_head rcu;
};

/**
 * struct vcm_memtype_index - physical ranges and their memory types
 * @root: the declared ranges, disjoint, in an interval tree
 * @lock: serialises writers: declarations, mapper counts, the tree
 * @seq: bumped around every change of @root's shape, for lockless readers
 * @nr: ranges in @root; while zero, a lookup returns at once
 * @mode: the policy's mode for this index
 *
 * The system has one (vcm_memtype); the KUnit suite makes its own.
 */
struct vcm_memtype_index {
	struct rb_root_cached root;
	spinlock_t lock;		/* the tree and every count in it */
	seqcount_spinlock_t seq;
	atomic_long_t nr;
	enum vcm_mt_mode mode;
};

extern struct vcm_memtype_index vcm_memtype;

/* vcm-memtype-policy.c */
const char *vcm_mt_name(enum vcm_mt type);
const char *vcm_mt_mode_name(enum vcm_mt_mode mode);
enum vcm_mt_verdict vcm_mt_judge(enum vcm_mt have, enum vcm_mt want);
int vcm_mt_decide(enum vcm_mt_mode mode, enum vcm_mt have, enum vcm_mt want,
		  enum vcm_mt *got);
void vcm_mt_describe(char *buf, size_t len, const struct vcm_mapper *who);
void vcm_mt_report(phys_addr_t start, phys_addr_t last, const char *have_who,
		   enum vcm_mt have, const struct vcm_mapper *want_who,
		   enum vcm_mt want, int ret);
bool vcm_mt_parse_option(const char *opt, enum vcm_mt_mode *mode);
unsigned long vcm_mt_conflicts(void);
void vcm_mt_conflicts_show(struct seq_file *m);

/* vcm-memtype.c */
void vcm_memtype_init(struct vcm_memtype_index *idx, enum vcm_mt_mode mode);
int vcm_memtype_declare(struct vcm_memtype_index *idx, phys_addr_t start,
			size_t size, enum vcm_mt type, const char *owner,
			gfp_t gfp);
int vcm_memtype_undeclare(struct vcm_memtype_index *idx, phys_addr_t start,
			  size_t size);
int vcm_memtype_get(struct vcm_memtype_index *idx, phys_addr_t start,
		    size_t size, enum vcm_mt want,
		    const struct vcm_mapper *who, enum vcm_mt *got);
void vcm_memtype_put(struct vcm_memtype_index *idx, phys_addr_t start,
		     size_t size, const struct vcm_mapper *who);
bool __vcm_memtype_typed(struct vcm_memtype_index *idx, phys_addr_t start,
			 size_t size);
int vcm_memtype_mappers(struct vcm_memtype_index *idx, phys_addr_t addr,
			enum vcm_mapper_kind kind);
void vcm_memtype_show(struct vcm_memtype_index *idx, struct seq_file *m);

/**
 * vcm_memtype_typed() - does any declared range overlap a physical range?
 * @idx: the index
 * @start: first byte
 * @size: bytes
 *
 * The streaming hot path's question, answered without a lock: nothing but
 * a counter read while no range is declared, one lockless lookup after.
 * A range being declared or taken back is owned by its allocator and is
 * not mapped by anyone else meanwhile, so the answer cannot be stale for
 * the pages a caller may map.
 *
 * Context: any, NMI excepted.
 *
 * Return: true if [@start, @start + @size) overlaps a declared range.
 */
static inline bool vcm_memtype_typed(struct vcm_memtype_index *idx,
				     phys_addr_t start, size_t size)
{
	if (likely(!atomic_long_read(&idx->nr)))
		return false;
	return __vcm_memtype_typed(idx, start, size);
}

#endif /* _KERNEL_DMA_VCM_MEMTYPE_H */
