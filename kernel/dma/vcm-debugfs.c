// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual Contiguous Memory: debugfs view of the graph, /sys/kernel/debug/vcm/.
 *
 *   vcms         every address space, with its devices and reservations
 *   devices      one line per device VCM has seen: state, vcm, live
 *                streaming mappings and bytes, call and error counters
 *   allocations  every live physical buffer: size, chunks, owner, mappings
 *                (map=<vcm>:<owner or "shared">@<address>, each followed by
 *                the devices that map it through the streaming API,
 *                edge=<device>:<mappings>), how many devices reach it
 *                (devices=), and whether it is quarantined
 *   chunks       the physical allocator by chunk order: chunks taken, and
 *                attempts that failed and fell back to a lower order
 *   graph        the whole graph in Graphviz DOT: vcms, devices, buffers,
 *                and an edge for every attachment and every mapping; the
 *                buffers only their owner maps are one node per owner
 *   errors       driver errors, summed over all devices
 *   memtype      the physical ranges with a memory type other than write-back:
 *                type, mappers by kind, owner (as x86's pat_memtype_list)
 *   memtype_conflicts
 *                the last memory-type conflicts: task, range, both mappers,
 *                both types, and whether the request was refused or given
 *                the range's type
 *   fail_iommu_map/
 *                fault injection into the IOMMU page tables
 *
 * Lines are "key=value" pairs after a name, so that scripts can read them.
 * The graph is read under its own locks; seq_file buffers the output, so no
 * lock is held across a copy to user space.
 */
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/seq_file.h>
#include "vcm.h"
#include "vcm-memtype.h"

static const char * const vcm_assoc_state_names[] = {
	[VCM_ASSOC_ACTIVE]	= "active",
	[VCM_ASSOC_IDLE]	= "idle",
	[VCM_ASSOC_DECLINED]	= "declined",
};

static const char *vcm_res_owner(const struct vcm_res *res)
{
	return res->owner ? dev_name(res->owner->dev) : "shared";
}

/* Devices that reach @phys: creators and edges.  Caller holds phys->lock. */
static unsigned int vcm_phys_devices_locked(struct vcm_phys *phys)
{
	unsigned int n = 0;
	struct vcm_res *res;
	struct vcm_edge *e;

	list_for_each_entry(res, &phys->res, phys_node) {
		n += !!res->owner;
		list_for_each_entry(e, &res->edges, node)
			n += e->assoc != res->owner;
	}
	return n;
}

static int vcm_vcms_show(struct seq_file *m, void *v)
{
	struct vcm_assoc *assoc;
	struct vcm_res *res;
	struct rb_node *n;
	struct vcm *vcm;
	unsigned long flags;

	mutex_lock(&vcm_graph_lock);
	list_for_each_entry(vcm, &vcm_list, node) {
		seq_printf(m, "%s kind=%s bus_limit=%#llx offset_map=%s reservations=%lu\n",
			   vcm->name, vcm->backend->name, vcm->bus_limit,
			   vcm->window ? "yes" : "no", vcm->nr_res);
		if (vcm->kind == VCM_KIND_IOMMU)
			vcm_iommu_show(m, vcm);
		list_for_each_entry(assoc, &vcm->assocs, vcm_node) {
			seq_printf(m, "  device %s\n", dev_name(assoc->dev));
			if (vcm->kind == VCM_KIND_IOMMU)
				vcm_show_streaming(m, assoc);
		}
		spin_lock_irqsave(&vcm->lock, flags);
		for (n = rb_first(&vcm->res_tree); n; n = rb_next(n)) {
			res = rb_entry(n, struct vcm_res, node);
			seq_printf(m, "  res %pad size=%zu owner=%s flags=%#x",
				   &res->start, res->size, vcm_res_owner(res),
				   res->flags);
			vcm_share_show(m, res);
			seq_putc(m, '\n');
		}
		spin_unlock_irqrestore(&vcm->lock, flags);
	}
	mutex_unlock(&vcm_graph_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_vcms);

static int vcm_devices_show(struct seq_file *m, void *v)
{
	struct vcm_declined *d;
	struct vcm_assoc *assoc;
	unsigned int i;

	mutex_lock(&vcm_graph_lock);
	list_for_each_entry(assoc, &vcm_assoc_list, node) {
		seq_printf(m, "%s driver=%s state=%s vcm=%s iommu=%d tracked=%d live_maps=%ld live_bytes=%ld",
			   dev_name(assoc->dev),
			   assoc->dev->driver ? assoc->dev->driver->name : "-",
			   vcm_assoc_state_names[assoc->state],
			   assoc->vcm ? assoc->vcm->name : "-",
			   assoc->behind_iommu, !assoc->untracked,
			   vcm_live_maps(assoc), vcm_live_bytes(assoc));
		for (i = 0; i < VCM_NR_STATS; i++)
			seq_printf(m, " %s=%ld", vcm_stat_names[i],
				   vcm_stat_read(assoc, i));
		if (assoc->declined)
			seq_printf(m, " reason=\"%s\"", assoc->declined);
		seq_putc(m, '\n');
	}
	list_for_each_entry(d, &vcm_declined_list, node)
		seq_printf(m, "%s driver=%s state=%s vcm=- reason=\"%s\"\n",
			   dev_name(d->dev),
			   d->dev->driver ? d->dev->driver->name : "-",
			   vcm_assoc_state_names[VCM_ASSOC_DECLINED], d->why);
	mutex_unlock(&vcm_graph_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_devices);

static int vcm_allocations_show(struct seq_file *m, void *v)
{
	struct vcm_phys *phys;
	struct vcm_res *res;
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	list_for_each_entry(phys, &vcm_phys_list, node) {
		seq_printf(m, "phys size=%zu chunks=%u owner=%s cma=%d quarantined=%d refs=%u",
			   phys->size, phys->nr_chunks,
			   phys->owner ? dev_name(phys->owner) : "-",
			   !!(phys->flags & VCM_PHYS_CMA),
			   !!(phys->flags & VCM_PHYS_QUARANTINED),
			   kref_read(&phys->kref));
		if (phys->mt != VCM_MT_WB)
			seq_printf(m, " memtype=%s", vcm_mt_name(phys->mt));
		for (i = 0; i < phys->nr_chunks; i++)
			seq_printf(m, " chunk=%#lx+%lu", phys->chunks[i].pfn,
				   phys->chunks[i].nr_pages);
		spin_lock(&phys->lock);
		seq_printf(m, " devices=%u", vcm_phys_devices_locked(phys));
		list_for_each_entry(res, &phys->res, phys_node) {
			seq_printf(m, " map=%s:%s@%pad", res->vcm->name,
				   vcm_res_owner(res), &res->start);
			vcm_share_show_edges_locked(m, res);
		}
		spin_unlock(&phys->lock);
		seq_putc(m, '\n');
	}
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_allocations);

static int vcm_chunks_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < VCM_CHUNK_STAT_ORDERS; i++)
		seq_printf(m, "order=%u bytes=%lu taken=%ld fell_back=%ld\n", i,
			   PAGE_SIZE << i,
			   atomic_long_read(&vcm_chunk_stats[i][0]),
			   atomic_long_read(&vcm_chunk_stats[i][1]));
	vcm_index_map_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_chunks);

static const char * const vcm_dir_names[] = {
	[DMA_BIDIRECTIONAL]	= "rw",
	[DMA_TO_DEVICE]		= "to-device",
	[DMA_FROM_DEVICE]	= "from-device",
	[DMA_NONE]		= "none",
};

/*
 * Is @phys a write-back buffer mapped by the device that owns it and
 * nothing else: one reservation, made by its owner, no device mapping it
 * through that reservation?  Caller holds phys->lock.
 */
static struct vcm_res *vcm_phys_sole_owner_locked(struct vcm_phys *phys)
{
	struct vcm_res *res;

	if (!list_is_singular(&phys->res) || phys->mt != VCM_MT_WB ||
	    (phys->flags & VCM_PHYS_QUARANTINED))
		return NULL;
	res = list_first_entry(&phys->res, struct vcm_res, phys_node);
	return res->owner && list_empty(&res->edges) ? res : NULL;
}

/* The mappings of one buffer: buffer -> vcm, and buffer -> device. */
static void vcm_graph_phys_locked(struct seq_file *m, struct vcm_phys *phys)
{
	struct vcm_res *res;
	struct vcm_edge *e;

	seq_printf(m, "  \"phys-%p\" [shape=folder, label=\"buffer %zu KiB\\n%u chunk(s), %s%s\"];\n",
		   phys, phys->size >> 10, phys->nr_chunks,
		   vcm_mt_name(phys->mt),
		   phys->flags & VCM_PHYS_QUARANTINED ? "\\nquarantined" : "");
	list_for_each_entry(res, &phys->res, phys_node) {
		seq_printf(m, "  \"phys-%p\" -> \"%s\" [label=\"%pad %s\"];\n",
			   phys, res->vcm->name, &res->start,
			   vcm_dir_names[res->dir]);
		if (res->owner)
			seq_printf(m, "  \"phys-%p\" -> \"%s\" [color=blue, label=\"owner\"];\n",
				   phys, dev_name(res->owner->dev));
		list_for_each_entry(e, &res->edges, node)
			seq_printf(m, "  \"phys-%p\" -> \"%s\" [color=red, label=\"shared x%lu\"];\n",
				   phys, dev_name(e->assoc->dev), e->maps);
	}
}

/* What one device alone maps of its own, gathered into one node. */
struct vcm_graph_own {
	struct vcm_assoc *assoc;
	struct vcm *vcm;
	unsigned long buffers;
	unsigned long bytes;
	unsigned long chunks;
};

/*
 * Count @phys into its owner's node, if its owner alone maps it.  @own
 * has a slot for every assoc.  Caller holds phys->lock.
 */
static bool vcm_graph_gather_locked(struct vcm_graph_own *own,
				    unsigned int nr, struct vcm_phys *phys)
{
	struct vcm_res *res = own ? vcm_phys_sole_owner_locked(phys) : NULL;
	unsigned int i;

	if (!res)
		return false;
	for (i = 0; i < nr && own[i].assoc; i++)
		if (own[i].assoc == res->owner && own[i].vcm == res->vcm)
			break;
	if (i == nr)
		return false;
	own[i].assoc = res->owner;
	own[i].vcm = res->vcm;
	own[i].buffers++;
	own[i].bytes += phys->size;
	own[i].chunks += phys->nr_chunks;
	return true;
}

static void vcm_graph_own_show(struct seq_file *m, struct vcm_graph_own *o)
{
	const char *dev = dev_name(o->assoc->dev);

	seq_printf(m, "  \"own-%s\" [shape=folder, style=dashed, label=\"%lu buffer(s), %lu KiB\\n%lu chunk(s), write-back\\nmapped by their owner alone\"];\n",
		   dev, o->buffers, o->bytes >> 10, o->chunks);
	seq_printf(m, "  \"own-%s\" -> \"%s\" [label=\"%lu reservation(s)\"];\n",
		   dev, o->vcm->name, o->buffers);
	seq_printf(m, "  \"own-%s\" -> \"%s\" [color=blue, label=\"owner\"];\n",
		   dev, dev);
}

/*
 * The graph in Graphviz DOT: "dot -Tsvg graph > graph.svg".  So that the
 * picture stays readable as a system grows, the buffers that only their
 * owner maps (most coherent buffers) are one node per owning device, with
 * their count, bytes and chunks; every other buffer -- shared, mapped in
 * more than one vcm, or quarantined -- is drawn on its own with every
 * mapper.  "allocations" lists them all.  Buffers are named by their
 * hashed address, stable for one boot.
 */
static int vcm_graph_show(struct seq_file *m, void *v)
{
	struct vcm_graph_own *own = NULL;
	struct vcm_assoc *assoc;
	struct vcm_phys *phys;
	unsigned int nr = 0, i;
	unsigned long flags;
	struct vcm *vcm;

	seq_puts(m, "digraph vcm {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
	mutex_lock(&vcm_graph_lock);
	list_for_each_entry(vcm, &vcm_list, node)
		seq_printf(m, "  \"%s\" [shape=box3d, label=\"%s\\n%s, %lu reservation(s)\"];\n",
			   vcm->name, vcm->name, vcm->backend->name,
			   vcm->nr_res);
	list_for_each_entry(assoc, &vcm_assoc_list, node) {
		if (!assoc->vcm)
			continue;
		nr++;
		seq_printf(m, "  \"%s\" [shape=component, label=\"%s\\n%s\\nlive maps %ld\"];\n",
			   dev_name(assoc->dev), dev_name(assoc->dev),
			   assoc->dev->driver ? assoc->dev->driver->name : "-",
			   vcm_live_maps(assoc));
		seq_printf(m, "  \"%s\" -> \"%s\" [style=dashed];\n",
			   dev_name(assoc->dev), assoc->vcm->name);
	}
	/* Without the room to gather them, every buffer is drawn. */
	if (nr)
		own = kcalloc(nr, sizeof(*own), GFP_KERNEL);
	spin_lock_irqsave(&vcm_phys_list_lock, flags);
	list_for_each_entry(phys, &vcm_phys_list, node) {
		spin_lock(&phys->lock);
		if (!vcm_graph_gather_locked(own, nr, phys))
			vcm_graph_phys_locked(m, phys);
		spin_unlock(&phys->lock);
	}
	spin_unlock_irqrestore(&vcm_phys_list_lock, flags);
	for (i = 0; own && i < nr && own[i].assoc; i++)
		vcm_graph_own_show(m, &own[i]);
	mutex_unlock(&vcm_graph_lock);
	kfree(own);
	seq_puts(m, "}\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_graph);

static int vcm_errors_show(struct seq_file *m, void *v)
{
	long sum[VCM_NR_STATS] = {};
	struct vcm_assoc *assoc;
	unsigned int i;

	mutex_lock(&vcm_graph_lock);
	list_for_each_entry(assoc, &vcm_assoc_list, node)
		for (i = VCM_NR_CALL_STATS; i < VCM_NR_STATS; i++)
			sum[i] += vcm_stat_read(assoc, i);
	mutex_unlock(&vcm_graph_lock);
	for (i = VCM_NR_CALL_STATS; i < VCM_NR_STATS; i++)
		seq_printf(m, "%s %ld\n", vcm_stat_names[i], sum[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_errors);

static int vcm_memtype_list_show(struct seq_file *m, void *v)
{
	vcm_memtype_show(&vcm_memtype, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_memtype_list);

static int vcm_memtype_pool_show(struct seq_file *m, void *v)
{
	vcm_mt_pool_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_memtype_pool);

static int vcm_memtype_conflicts_show(struct seq_file *m, void *v)
{
	vcm_mt_conflicts_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vcm_memtype_conflicts);

/**
 * vcm_debugfs_init() - create /sys/kernel/debug/vcm/
 */
void vcm_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("vcm", NULL);

	debugfs_create_file("vcms", 0400, dir, NULL, &vcm_vcms_fops);
	debugfs_create_file("devices", 0400, dir, NULL, &vcm_devices_fops);
	debugfs_create_file("allocations", 0400, dir, NULL,
			    &vcm_allocations_fops);
	debugfs_create_file("errors", 0400, dir, NULL, &vcm_errors_fops);
	debugfs_create_file("graph", 0400, dir, NULL, &vcm_graph_fops);
	debugfs_create_file("chunks", 0400, dir, NULL, &vcm_chunks_fops);
	debugfs_create_file("memtype", 0400, dir, NULL,
			    &vcm_memtype_list_fops);
	debugfs_create_file("memtype_conflicts", 0400, dir, NULL,
			    &vcm_memtype_conflicts_fops);
	debugfs_create_file("memtype_pool", 0400, dir, NULL,
			    &vcm_memtype_pool_fops);
	vcm_iommu_debugfs_init(dir);
}
