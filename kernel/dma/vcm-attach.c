// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: which devices VCM takes.  The policy, apart
 * from the graph that carries it out (vcm-core.c): a device is served when
 * it is a DMA master with no DMA backend of its own, and, behind an IOMMU,
 * only with its whole IOMMU group, so that a domain has one IOVA allocator.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include "vcm.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "vcm."

/*
 * Comma-separated device names (dev_name()) that keep their backend.
 * Writable at run time: readers hold kernel_param_lock().
 */
static char *vcm_exclude;
module_param_named(exclude, vcm_exclude, charp, 0644);
MODULE_PARM_DESC(exclude, "devices (by name, comma-separated) VCM leaves alone");

/**
 * vcm_excluded() - did the administrator keep a device off VCM?
 * @dev: the device
 *
 * Return: true if vcm.exclude= names @dev.
 */
bool vcm_excluded(struct device *dev)
{
	const char *name = dev_name(dev), *p;
	size_t len = strlen(name);
	bool found = false;

	kernel_param_lock(THIS_MODULE);
	for (p = vcm_exclude; p && *p && !found; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		/* A value written through sysfs ends in a newline. */
		found = !strncmp(p, name, len) &&
			(p[len] == ',' || p[len] == '\n' || !p[len]);
	}
	kernel_param_unlock(THIS_MODULE);
	return found;
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
		if (vcm->kind == VCM_KIND_IOMMU && vcm->domain == domain)
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

/**
 * vcm_cannot_serve() - why VCM cannot serve a device
 * @dev: the device, not on VCM now
 * @behind_iommu: it sat behind a translating IOMMU when VCM first saw it
 * @domain: the domain a test imposes, or NULL
 *
 * Context: caller holds vcm_graph_lock.
 *
 * Return: the reason, or NULL if VCM can serve the device.
 */
const char *vcm_cannot_serve(struct device *dev, bool behind_iommu,
			     struct iommu_domain *domain)
{
	if (!dev->dma_mask)
		return "not a DMA master";
	if (behind_iommu && !domain)

		return vcm_iommu_usable(dev) ?: vcm_group_blocker(dev);
	if (dev->dma_iommu)
		return "joined a translating IOMMU after VCM first saw it";
	if (dev->dma_ops && dev->dma_ops->alloc != vcm_dma_ops.alloc)
		return "has its own dma_map_ops";
	if (force_dma_unencrypted(dev))
		return "needs unencrypted DMA memory";
	return NULL;
}

/**
 * vcm_exclusion_holds() - does vcm.exclude= keep a device on its backend?
 * @dev: a device vcm.exclude= names
 *
 * It does unless VCM owns the device's IOMMU domain (see
 * vcm_group_blocker()).  Caller holds vcm_graph_lock.
 *
 * Return: true if the device stays excluded.
 */
bool vcm_exclusion_holds(struct device *dev)
{
	if (!vcm_domain_owner(dev)) {
		dev_info(dev, VCM_PREFIX "excluded by vcm.exclude=\n");
		return true;
	}
	dev_notice(dev, VCM_PREFIX "vcm.exclude= not honoured: VCM serves its IOMMU group, and a domain has one IOVA allocator; unbind the whole group to hand it back\n");
	return false;
}

/* Devices declined before VCM ever served them (vcm_graph_lock). */
LIST_HEAD(vcm_declined_list);

static struct vcm_declined *vcm_declined_find(struct device *dev)
{
	struct vcm_declined *d;

	lockdep_assert_held(&vcm_graph_lock);
	list_for_each_entry(d, &vcm_declined_list, node)
		if (d->dev == dev)
			return d;
	return NULL;
}

/**
 * vcm_decline() - leave a device on its original backend, and say why
 * @dev: the device
 * @assoc: its association if VCM served it before (it stays, idle, with
 *	the counters of that time), else NULL
 * @why: the reason, a string constant
 *
 * The reason is logged once per change and shown in debugfs.  A device VCM
 * never served gets a few bytes for that, not an association.
 *
 * Context: caller holds vcm_graph_lock.
 */
void vcm_decline(struct device *dev, struct vcm_assoc *assoc,
		 const char *why)
{
	struct vcm_declined *d = assoc ? NULL : vcm_declined_find(dev);
	const char *before = assoc ? assoc->declined : d ? d->why : NULL;

	if (before != why)
		dev_info(dev, VCM_PREFIX "not served: %s\n", why);
	if (assoc) {
		assoc->declined = why;
		assoc->state = VCM_ASSOC_DECLINED;
		return;
	}
	if (!d) {
		/* Without the record only debugfs misses the reason. */
		d = kzalloc(sizeof(*d), GFP_KERNEL);
		if (!d)
			return;
		d->dev = dev;
		list_add_tail(&d->node, &vcm_declined_list);
	}
	d->why = why;
}

/**
 * vcm_forget_declined() - drop the record of a declined device
 * @dev: the device, now served or going away
 *
 * Context: caller holds vcm_graph_lock.
 */
void vcm_forget_declined(struct device *dev)
{
	struct vcm_declined *d = vcm_declined_find(dev);

	if (d) {
		list_del(&d->node);
		kfree(d);
	}
}
