// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: buffers of a memory type other than write-back.
 *
 * A buffer allocated write-combining (DMA_ATTR_WRITE_COMBINE) or uncached
 * is given its type by its allocator before any address of it is handed
 * out, and keeps it for its whole life:
 *
 *  - each chunk is declared in the memtype index (vcm-memtype.c), owned by
 *    the buffer, the chunk's linear alias counted as its first mapper;
 *  - the linear alias changes type through set_memory_wc()/set_memory_uc(),
 *    so that x86 PAT's own record of the pages (their memtype page flags)
 *    says the same, and so that a user mapping of them through
 *    remap_pfn_range() is given that type by PAT as well;
 *  - every other mapper VCM makes asks the buffer (vcm_phys_memtype_get()):
 *    vmap aliases are made with the type, IOMMU mappings without
 *    IOMMU_CACHE, user mappings with the type's page protection; the
 *    policy (vcm-memtype-policy.c) decides what a request for another type
 *    is given, and reports it;
 *  - when the buffer is freed, each chunk is taken back from the index and
 *    its linear alias made write-back again (set_memory_wb()) before its
 *    pages go back to the allocator.  A chunk for which either fails is
 *    never freed: no page leaves VCM with a type other than write-back.
 *
 * Buffers of write-back memory are not in the index: their mappers are not
 * counted, and each is given write-back, as x86 PAT gives RAM its pages'
 * type.  Nothing of this file runs for them.
 *
 * A type change of the linear map flushes the caches of the range and the
 * TLBs of every CPU, and may split large pages of the direct map: it
 * sleeps.  Only allocations that may block can be typed, and only where
 * the kernel can change the type of its linear map (x86 with PAT).
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/mm.h>
#include <linux/set_memory.h>
#include "vcm.h"

/* Type changes of the linear map VCM made, for debugfs (memtype_pool). */
atomic_long_t vcm_mt_set_memory_calls;

#ifdef CONFIG_X86
#include <asm/memtype.h>

/**
 * vcm_memtype_can_type() - can buffers be given a type other than write-back?
 *
 * Return: true where the kernel can change the type of its linear map.
 */
bool vcm_memtype_can_type(void)
{
	return pat_enabled();
}

static int vcm_cpu_set_type(unsigned long va, int nr_pages, enum vcm_mt mt)
{
	atomic_long_inc(&vcm_mt_set_memory_calls);
	switch (mt) {
	case VCM_MT_WB:
		return set_memory_wb(va, nr_pages);
	case VCM_MT_WC:
		return set_memory_wc(va, nr_pages);
	case VCM_MT_UC:
		return set_memory_uc(va, nr_pages);
	default:
		return -EINVAL;
	}
}
#else
bool vcm_memtype_can_type(void)
{
	return false;
}

static int vcm_cpu_set_type(unsigned long va, int nr_pages, enum vcm_mt mt)
{
	return -EOPNOTSUPP;
}
#endif

/**
 * vcm_mt_pgprot() - the page protection of a CPU mapping of a type
 * @prot: the protection the mapping would have if write-back
 * @mt: the type
 *
 * Return: @prot with the cache attributes of @mt.
 */
pgprot_t vcm_mt_pgprot(pgprot_t prot, enum vcm_mt mt)
{
	switch (mt) {
	case VCM_MT_WC:
		return pgprot_writecombine(prot);
	case VCM_MT_UC:
		return pgprot_noncached(prot);
	default:
		return prot;
	}
}

/**
 * vcm_mt_set_linear() - change the type of the linear alias of pages
 * @pfn: the first page frame
 * @nr_pages: how many
 * @mt: the type
 *
 * Highmem pages have no linear alias: nothing to change.
 *
 * Context: process context; sleeps.
 *
 * Return: 0 or the error of set_memory_*().
 */
int vcm_mt_set_linear(unsigned long pfn, unsigned long nr_pages,
		      enum vcm_mt mt)
{
	if (PageHighMem(pfn_to_page(pfn)))
		return 0;
	if (nr_pages > INT_MAX)
		return -E2BIG;
	return vcm_cpu_set_type((unsigned long)pfn_to_kaddr(pfn), nr_pages, mt);
}

static int vcm_chunk_type(const struct vcm_chunk *c, enum vcm_mt mt,
			  const char *owner)
{
	phys_addr_t start = PFN_PHYS(c->pfn);
	size_t size = c->nr_pages << PAGE_SHIFT;
	int ret;

	ret = vcm_memtype_declare(&vcm_memtype, start, size, mt, owner,
				  GFP_KERNEL);
	if (ret)
		return ret;
	ret = vcm_mt_set_linear(c->pfn, c->nr_pages, mt);
	if (ret) {
		/* A failed set_memory_*() leaves no reservation behind. */
		pr_warn("memtype: [mem %pa+%#zx] of %s cannot be made %s: %d\n",
			&start, size, owner, vcm_mt_name(mt), ret);
		vcm_memtype_undeclare(&vcm_memtype, start, size);
	}
	return ret;
}

/**
 * vcm_mt_untype() - make typed pages write-back again, before they are freed
 * @pfn: the first page frame of a range declared in the index
 * @nr_pages: its pages, as declared
 * @mt: its type
 *
 * The range leaves the index (only its owner's linear alias may be left)
 * and its linear alias is made write-back.  If either fails, the pages
 * must not be freed: they stay out of the page allocator for good, and are
 * listed in the index if they are still typed.
 *
 * Context: process context; sleeps.
 *
 * Return: true if the pages may be freed.
 */
bool vcm_mt_untype(unsigned long pfn, unsigned long nr_pages, enum vcm_mt mt)
{
	phys_addr_t start = PFN_PHYS(pfn);
	size_t size = nr_pages << PAGE_SHIFT;
	int ret;

	might_sleep();
	if (vcm_memtype_undeclare(&vcm_memtype, start, size))
		goto leak;
	ret = vcm_mt_set_linear(pfn, nr_pages, VCM_MT_WB);
	if (!ret)
		return true;
	pr_err("memtype: [mem %pa+%#zx] cannot be made write-back again: %d\n",
	       &start, size, ret);
	/* Still of its type: keep it listed as such. */
	vcm_memtype_declare(&vcm_memtype, start, size, mt, "leaked",
			    GFP_KERNEL);
leak:
	pr_err("memtype: [mem %pa+%#zx] is %s, never freed\n", &start, size,
	       vcm_mt_name(mt));
	return false;
}

/* Who declared a buffer's chunks, for the index and its reports. */
static const char *vcm_phys_owner_name(struct vcm_phys *phys,
				       char name[VCM_MT_WHO_LEN])
{
	unsigned long flags;

	/*
	 * Copied under the list lock: vcm_phys_quarantine() takes the owner
	 * away under it, and drops the device only after it.
	 */
	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	strscpy(name, phys->owner ? dev_name(phys->owner) : "vcm",
		VCM_MT_WHO_LEN);
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);
	return name;
}

/**
 * vcm_phys_set_type() - give a new buffer a memory type
 * @phys: the buffer, just allocated: write-back, mapped by nobody yet
 * @mt: the type
 *
 * Chunk by chunk: declared in the index, then the linear alias changed.
 * On failure the chunks already typed stay typed, counted in
 * @phys->nr_typed: the free of the buffer makes them write-back again.
 * (vcm_mt_pool_alloc() serves most typed buffers from memory typed
 * already; this is the way for the rest.)
 *
 * Context: process context; sleeps.
 *
 * Return: 0; -EOPNOTSUPP where the linear map cannot change type; an error
 * of the index or of set_memory_*().
 */
int vcm_phys_set_type(struct vcm_phys *phys, enum vcm_mt mt)
{
	char name[VCM_MT_WHO_LEN];
	const char *owner;
	unsigned int i;
	int ret;

	might_sleep();
	if (mt == VCM_MT_WB)
		return 0;
	if (!vcm_memtype_can_type())
		return -EOPNOTSUPP;
	owner = vcm_phys_owner_name(phys, name);
	phys->mt = mt;
	for (i = 0; i < phys->nr_chunks; i++) {
		ret = vcm_chunk_type(&phys->chunks[i], mt, owner);
		if (ret)
			return ret;
		phys->nr_typed = i + 1;
		cond_resched();
	}
	return 0;
}

/* The first and last byte of a buffer's first chunk, for a report. */
static void vcm_phys_first_range(const struct vcm_phys *phys,
				 phys_addr_t *start, phys_addr_t *last)
{
	*start = PFN_PHYS(phys->chunks[0].pfn);
	*last = *start + (phys->chunks[0].nr_pages << PAGE_SHIFT) - 1;
}

/**
 * vcm_phys_memtype_ask() - the type a mapper of a buffer is given
 * @phys: the buffer
 * @want: the type the mapper asks for, or VCM_MT_ANY
 * @who: the mapper
 * @got: where to store the type it is given
 *
 * The policy decides once for the buffer, whose chunks all have its type;
 * a conflict is reported once, naming the buffer's first chunk.  The
 * mapper is not counted: vcm_phys_memtype_get() does that.
 *
 * Context: any.
 *
 * Return: 0 and *@got; -EBUSY if the request is refused.
 */
int vcm_phys_memtype_ask(struct vcm_phys *phys, enum vcm_mt want,
			 const struct vcm_mapper *who, enum vcm_mt *got)
{
	char name[VCM_MT_WHO_LEN];
	phys_addr_t start, last;
	int ret;

	if (!phys->nr_typed) {
		*got = VCM_MT_WB;
		return 0;
	}
	ret = vcm_mt_decide(vcm_memtype.mode, phys->mt, want, got);
	if (ret || (want != VCM_MT_ANY && want != phys->mt)) {
		vcm_phys_first_range(phys, &start, &last);
		vcm_mt_report(start, last, vcm_phys_owner_name(phys, name),
			      phys->mt, who, want, ret);
	}
	return ret;
}

/* Count @who on (@get) or off each typed chunk of @phys. */
static void vcm_phys_memtype_count(struct vcm_phys *phys,
				   const struct vcm_mapper *who, bool get)
{
	enum vcm_mt mt;
	unsigned int i;

	for (i = 0; i < phys->nr_typed; i++) {
		phys_addr_t start = PFN_PHYS(phys->chunks[i].pfn);
		size_t size = phys->chunks[i].nr_pages << PAGE_SHIFT;

		if (!get)
			vcm_memtype_put(&vcm_memtype, start, size, who);
		else
			WARN_ON_ONCE(vcm_memtype_get(&vcm_memtype, start, size,
						     VCM_MT_ANY, who, &mt));
	}
}

/**
 * vcm_phys_memtype_get() - a mapper of a buffer asks for a type
 * @phys: the buffer
 * @want: the type the mapper asks for, or VCM_MT_ANY
 * @who: the mapper
 * @got: where to store the type it is given
 *
 * vcm_phys_memtype_ask(), and if the request is granted, @who is counted
 * as a mapper of every chunk of a typed buffer until
 * vcm_phys_memtype_put().
 *
 * Context: any.
 *
 * Return: 0 and *@got; -EBUSY if the request is refused.
 */
int vcm_phys_memtype_get(struct vcm_phys *phys, enum vcm_mt want,
			 const struct vcm_mapper *who, enum vcm_mt *got)
{
	int ret = vcm_phys_memtype_ask(phys, want, who, got);

	if (!ret)
		vcm_phys_memtype_count(phys, who, true);
	return ret;
}

/**
 * vcm_phys_memtype_put() - a mapper of a buffer is gone
 * @phys: the buffer
 * @who: the mapper, as given to vcm_phys_memtype_get()
 *
 * Context: any.
 */
void vcm_phys_memtype_put(struct vcm_phys *phys, const struct vcm_mapper *who)
{
	vcm_phys_memtype_count(phys, who, false);
}

/**
 * vcm_res_memtype_count() - a reservation joins or leaves its buffer
 * @res: the reservation
 * @phys: its buffer
 * @get: true when it joins
 *
 * A reservation is a device mapper of its buffer for as long as it is on
 * the buffer's list; a device maps whatever type the buffer has (the
 * backend leaves IOMMU_CACHE out of its mappings of a typed buffer).
 * Caller holds @phys->lock; the index's lock nests inside it.
 */
void vcm_res_memtype_count(struct vcm_res *res, struct vcm_phys *phys,
			   bool get)
{
	struct vcm_mapper who = {
		.kind = VCM_MAPPER_DEVICE, .name = res->vcm->name,
	};

	lockdep_assert_held(&phys->lock);
	if (phys->nr_typed)
		vcm_phys_memtype_count(phys, &who, get);
}
