/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual Contiguous Memory: what only the IOMMU backend (vcm-iommu.c)
 * and its KUnit cases see -- a vcm's IOVA allocator, its lazy queues, the
 * log of recent unmaps that explains faults, and the per-CPU stacks of
 * one-granule IOVAs.  The rest of VCM holds a struct vcm_iommu only by
 * pointer (vcm->iommu) and reaches it through vcm.h's vcm_iommu_*().
 */
#ifndef _KERNEL_DMA_VCM_IOMMU_H
#define _KERNEL_DMA_VCM_IOMMU_H

#include <linux/iova.h>
#include <linux/timer.h>
#include "vcm.h"

#define VCM_LAZY_ENTRIES	128

/**
 * struct vcm_lazy_entry - an unmapped streaming range waiting for its flush
 * @iova: start, granule aligned
 * @size: bytes, granule aligned
 * @when: jiffies when it was queued
 *
 * Its page table entries are already cleared: only the IOTLB may still
 * hold translations, so the IOVA must not be reused before the flush.
 */
struct vcm_lazy_entry {
	dma_addr_t iova;
	size_t size;
	unsigned long when;
};

/**
 * struct vcm_lazy_queue - one CPU's unmaps waiting for the next IOTLB flush
 * @lock: protects @count, @entry and @freelist (the timer flushes from any
 *	CPU)
 * @count: entries queued
 * @entry: the unmapped ranges
 * @freelist: page-table pages the unmaps unlinked, freed after the flush
 * @flushing: bit 0 is held by whoever flushes the queue, and owns @batch
 * @batch: the entries being flushed
 */
struct vcm_lazy_queue {
	spinlock_t lock;		/* see above */
	unsigned int count;
	struct vcm_lazy_entry entry[VCM_LAZY_ENTRIES];
	struct list_head freelist;
	unsigned long flushing;
	struct vcm_lazy_entry batch[VCM_LAZY_ENTRIES];
};

#define VCM_UNMAP_LOG		16

/**
 * struct vcm_unmap_rec - an IOVA range given back, for fault reports
 * @iova: start, granule aligned
 * @size: bytes
 * @when: jiffies at the unmap
 * @what: what the range was ("streaming mapping", ...)
 */
struct vcm_unmap_rec {
	dma_addr_t iova;
	size_t size;
	unsigned long when;
	const char *what;
};

/**
 * struct vcm_unmap_log - the last VCM_UNMAP_LOG unmaps of one CPU
 * @next: slot of the next record, modulo VCM_UNMAP_LOG
 * @rec: the records
 *
 * Written by its CPU, which claims a slot per record; read by fault
 * reports from any CPU without synchronisation (see
 * vcm_iommu_find_unmap()).
 */
struct vcm_unmap_log {
	unsigned int next;
	struct vcm_unmap_rec rec[VCM_UNMAP_LOG];
};

/**
 * struct vcm_iova_range - a range of IOVA page frames, inclusive
 * @lo: first
 * @hi: last
 */
struct vcm_iova_range {
	unsigned long lo;
	unsigned long hi;
};

/*
 * struct vcm_iova_stack - one CPU's free one-granule IOVAs of a vcm
 * @nr: entries in @pfn
 * @pfn: IOVA page frames, the last freed on top
 */
#define VCM_IOVA_STACK	15
struct vcm_iova_stack {
	unsigned long nr;
	unsigned long pfn[VCM_IOVA_STACK];
};

/* What a faulting IOVA is to its vcm: vcm_iommu_fault_explain(). */
enum vcm_fault_class {
	VCM_FAULT_RES,		/* inside a live reservation */
	VCM_FAULT_MAPPED,	/* mapped: the access lacked permission */
	VCM_FAULT_UNMAPPED,	/* inside a range unmapped recently */
	VCM_FAULT_UNKNOWN,	/* never mapped, or unmapped long ago */
};

/**
 * struct vcm_iommu - what a vcm of the iommu kind adds (vcm-iommu.c)
 * @vcm: the vcm it belongs to
 * @iovad: VCM's IOVA allocator for the vcm's domain
 * @lazy: streaming unmaps are invalidated in batches
 * @queues: per-CPU queues of unmaps waiting for the next batch
 * @lazy_timer: bounds the wait of a queued unmap
 * @lazy_flushed: unmaps completed in batches
 * @resv: the IOMMU's reserved regions, kept out of @iovad
 * @kept: IOVA ranges kept out of @iovad (reserved regions, bridge windows
 *	and the gaps between dma-ranges), which are not VCM's to unmap
 * @nr_kept: entries in @kept
 * @mapped: bytes of reservations mapped, by log2 of the IOMMU page size
 * @unmaps: per-CPU log of recent unmaps, to explain faults
 * @faults: IOMMU faults reported to VCM
 * @fault_handler: VCM installed the domain's fault handler
 * @stacks: per-CPU stacks of free one-granule IOVAs, in front of @iovad
 *	(vcm_iova_alloc())
 */
struct vcm_iommu {
	struct vcm *vcm;
	struct iova_domain iovad;
	bool lazy;
	struct vcm_lazy_queue __percpu *queues;
	struct timer_list lazy_timer;
	atomic_long_t lazy_flushed;
	struct list_head resv;
	struct vcm_iova_range *kept;
	unsigned int nr_kept;
	atomic_long_t mapped[BITS_PER_LONG];
	struct vcm_unmap_log __percpu *unmaps;
	atomic_long_t faults;
	bool fault_handler;
	struct vcm_iova_stack __percpu *stacks;
};

enum vcm_fault_class vcm_iommu_fault_explain(struct vcm *vcm, dma_addr_t iova,
					     char *buf, size_t len);

#endif /* _KERNEL_DMA_VCM_IOMMU_H */
