// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: devices on and off VCM.
 *
 * Which devices VCM takes: a device is served when it is a DMA master with
 * no DMA backend of its own, and, behind an IOMMU, only with its whole
 * IOMMU group, so that a domain has one IOVA allocator; vcm.exclude= keeps
 * devices off.  And the life of an association, which stands on the rest
 * of VCM: attaching a device to its vcm (vcm_attach_device_domain()), the
 * teardown of whatever its driver left behind -- records of streaming
 * mappings (vcm-track.c), shares and pins (vcm-share.c), buffers and
 * native mappings (vcm_teardown_assoc()) -- and its detach and release.
 * The graph it changes is vcm-core.c's; nothing below calls back up here.
 */
#define pr_fmt(fmt) "vcm: " fmt

#include <linux/device.h>
#include <linux/dma-direct.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
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

/**
 * vcm_group_blocker() - does @dev's IOMMU group keep it off VCM?
 * @dev: a device behind a translating IOMMU, not on VCM now
 *
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
 *
 * Context: caller holds vcm_graph_lock.
 *
 * Return: the reason, a string constant, or NULL if the group lets VCM
 * serve @dev.
 */
const char *vcm_group_blocker(struct device *dev)
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
static const char *vcm_cannot_serve(struct device *dev, bool behind_iommu,
				    struct iommu_domain *domain)
{
	if (!dev->dma_mask)
		return "not a DMA master";
	if (behind_iommu && !domain)

		return vcm_iommu_usable(dev) ?: vcm_group_blocker(dev);
	if (dev->dma_iommu)
		return "joined a translating IOMMU after VCM first saw it";
	if (dev->dma_ops && !vcm_assoc_of(dev))
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
static bool vcm_exclusion_holds(struct device *dev)
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
static void vcm_decline(struct device *dev, struct vcm_assoc *assoc,
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
static void vcm_forget_declined(struct device *dev)
{
	struct vcm_declined *d = vcm_declined_find(dev);

	if (d) {
		list_del(&d->node);
		kfree(d);
	}
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

	if (assoc->behind_iommu) {
		domain = domain ?: iommu_get_domain_for_dev(dev);
		vcm = IS_ENABLED(CONFIG_DMA_VCM_IOMMU) && domain ?
		      vcm_get(dev, &vcm_iommu_backend, domain,
			      flags & VCM_ATTACH_LAZY) : NULL;
	} else {
		vcm = vcm_get(dev, &vcm_direct_backend, NULL, false);
	}
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
	struct vcm_view view;
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
			vcm_res_drop_view(&view);
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
	if (assoc->vcm->backend->flush)
		assoc->vcm->backend->flush(assoc->vcm);
	set_dma_ops(dev, assoc->orig_ops);
	dev->dma_iommu = assoc->behind_iommu;
	list_del(&assoc->vcm_node);
	vcm_put(assoc->vcm);
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
		vcm_assoc_free(assoc);
	}
	vcm_forget_declined(dev);
	mutex_unlock(&vcm_graph_lock);
}
