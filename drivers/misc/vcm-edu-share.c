// SPDX-License-Identifier: GPL-2.0
/*
 * vcm-edu: one buffer shared between two edu devices, through the DMA
 * API, the native API of VCM, a reserved range or a dma-buf (debugfs
 * "share").
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-vcm.h>
#include <linux/iommu.h>
#include <linux/iosys-map.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "vcm-edu.h"

/*
 * Sharing one buffer between two edu devices, the way an unmodified driver
 * pair does it: the owner allocates a coherent buffer, and the peer maps
 * it either through the ordinary DMA API (dma_get_sgtable() on the owner,
 * dma_map_sgtable() on the peer) or through VCM's native interface.  The
 * owner's engine writes a pattern into the buffer, the peer's engine reads
 * it back out, and the bytes are compared.  The mapping stays until
 * "unmap", so that the test can look at VCM's graph meanwhile;
 * "free-owner" frees the owner's buffer first, while the peer still maps
 * it, and the peer reads it again.
 *
 * The data crosses every chunk of the buffer (every entry of the CPU's
 * table of it, as dma_get_sgtable() or the exporter gives it): the
 * engines move it through windows of at most EDU_MAX_XFER bytes, each
 * astride the boundary between two chunks (half a window on either side),
 * as few as touch every chunk.  A buffer of one chunk gets one window, at
 * an offset inside a page.  Where a device sees a window in two pieces
 * (one-to-one, two chunks apart in bus space), the engine moves each.
 */
#define EDU_SHARE_OFFSET	(2 * PAGE_SIZE + 100)
#define EDU_SHARE_WINDOWS	16
#define EDU_WINDOW_LEN		(EDU_MAX_XFER & ~1UL)

/* Where an engine sees a buffer: from @base on, or through @sgt. */
struct edu_view {
	dma_addr_t base;
	struct sg_table *sgt;
};

struct edu_window {
	size_t off, len;
};

struct edu_share {
	struct edu *peer;
	void *cpu;			/* the owner's buffer; NULL once freed */
	dma_addr_t dma;
	bool native;
	bool reserve;			/* res is a range from vcm_reserve() */
	struct vcm_phys *phys2;		/* the second buffer of edu_reserve() */
	struct sg_table sgt;		/* the peer's mapping: DMA API ... */
	struct vcm_res *res;		/* ... or native ... */
	struct dma_buf *dmabuf;		/* ... or both import a dma-buf */
	struct dma_buf_attachment *att[2];	/* owner, peer */
	struct sg_table *att_sgt[2];
	enum dma_data_direction att_dir[2];
	unsigned int expect_edges;	/* importers that map it directly */
	struct edu_view owner_view, peer_view;
	dma_addr_t owner_addr;		/* where each sees the first window */
	dma_addr_t peer_addr;
	unsigned int segments;
	size_t size;
	unsigned int chunks;		/* entries of the CPU's table */
	unsigned int crossed;		/* of them, those the windows touch */
	unsigned int nr_win;
	struct edu_window win[EDU_SHARE_WINDOWS];
	u8 *pattern;			/* @size bytes */
};

/* The device address of byte @off of a mapped table. */
static dma_addr_t edu_sgt_addr(struct sg_table *sgt, size_t off)
{
	struct scatterlist *s;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, s, i) {
		if (off < sg_dma_len(s))
			return sg_dma_address(s) + off;
		off -= sg_dma_len(s);
	}
	return DMA_MAPPING_ERROR;
}

/* Where the view @v puts byte @off of the buffer. */
static dma_addr_t edu_view_addr(const struct edu_view *v, size_t off)
{
	return v->sgt ? edu_sgt_addr(v->sgt, off) : v->base + off;
}

/*
 * Move bytes [@off, @off + @len) of the buffer seen through @v between RAM
 * and the start of @edu's engine buffer, a transfer for each piece of the
 * range that is contiguous for the device.
 */
static int edu_view_dma(struct edu *edu, const struct edu_view *v,
			size_t off, size_t len, bool to_ram)
{
	struct scatterlist *s;
	size_t done = 0, n;
	unsigned int i;
	int ret;

	if (!v->sgt)
		return edu_dma(edu, v->base + off, len, to_ram);
	for_each_sgtable_dma_sg(v->sgt, s, i) {
		if (off >= sg_dma_len(s)) {
			off -= sg_dma_len(s);
			continue;
		}
		n = min_t(size_t, len - done, sg_dma_len(s) - off);
		ret = edu_dma_at(edu, sg_dma_address(s) + off, done, n, to_ram);
		if (ret)
			return ret;
		done += n;
		off = 0;
		if (done == len)
			return 0;
	}
	return -ERANGE;
}

/*
 * The next chunk, @len bytes at *@start, of a buffer of sh->size bytes:
 * a window astride its end, unless the last window still reaches into it
 * (up to *@end).
 */
static void edu_share_layout_chunk(struct edu_share *sh, size_t *start,
				   size_t *end, size_t len)
{
	struct edu_window *w;
	size_t a;

	sh->chunks++;
	if (*start < *end) {		/* touched by the last window */
		sh->crossed++;
	} else if (sh->nr_win < EDU_SHARE_WINDOWS) {
		if (*start + len < sh->size)	/* astride the next boundary */
			a = max_t(size_t, *start, *start + len -
				  EDU_WINDOW_LEN / 2);
		else				/* the last chunk, alone */
			a = *start + min_t(size_t, EDU_SHARE_OFFSET,
					   len - min_t(size_t, len,
						       EDU_WINDOW_LEN));
		w = &sh->win[sh->nr_win++];
		w->off = a;
		w->len = min_t(size_t, EDU_WINDOW_LEN, sh->size - a);
		*end = a + w->len;
		sh->crossed++;
	}
	*start += len;
}

/*
 * Lay the windows out over the chunks of @phys, a VCM buffer, or else of
 * @cpu (its CPU entries), and make a random pattern of the buffer's size
 * for them.
 */
static int edu_share_layout(struct edu_share *sh, struct sg_table *cpu,
			    struct vcm_phys *phys, size_t size)
{
	size_t start = 0, end = 0, len;
	struct scatterlist *s;
	phys_addr_t addr;
	unsigned int i;

	sh->size = size;
	sh->pattern = kvmalloc(size, GFP_KERNEL);
	if (!sh->pattern)
		return -ENOMEM;
	get_random_bytes(sh->pattern, size);
	if (phys) {
		for (i = 0; !vcm_phys_chunk(phys, i, &addr, &len); i++)
			edu_share_layout_chunk(sh, &start, &end, len);
	} else {
		for_each_sgtable_sg(cpu, s, i)
			edu_share_layout_chunk(sh, &start, &end, s->length);
	}
	return sh->nr_win ? 0 : -EINVAL;
}

/* The owner's engine writes the pattern into every window of the buffer. */
static int edu_share_owner_writes(struct edu *edu, struct edu_share *sh)
{
	const struct edu_window *w;
	int ret;

	sh->owner_addr = edu_view_addr(&sh->owner_view, sh->win[0].off);
	for (w = sh->win; w < sh->win + sh->nr_win; w++) {
		memcpy(edu->coh, sh->pattern + w->off, w->len);
		ret = edu_dma(edu, edu->coh_dma, w->len, false);
		if (!ret)
			ret = edu_view_dma(edu, &sh->owner_view, w->off, w->len,
					   true);
		if (ret)
			return edu_fail(edu, "owner DMA", ret);
	}
	return 0;
}

/* Does the CPU see the pattern in every window of the buffer at @cpu? */
static int edu_share_cpu_reads(struct edu *edu, struct edu_share *sh,
			       const u8 *cpu)
{
	const struct edu_window *w;
	int ret = 0;

	for (w = sh->win; w < sh->win + sh->nr_win && !ret; w++)
		ret = edu_compare(edu, "CPU view", cpu + w->off,
				  sh->pattern + w->off, w->len);
	return ret;
}

/*
 * The peer's engine reads every window of the shared buffer into its own
 * coherent buffer: does each match the pattern?
 */
static int edu_share_peer_reads(struct edu *edu, struct edu_share *sh)
{
	const struct edu_window *w;
	struct edu *peer = sh->peer;
	int ret;

	/*
	 * The owner's engine wrote the buffer after the peer mapped it
	 * (without a CPU sync, as PRIME importers map): hand it to the peer,
	 * which reads a bounce copy where its mapping bounced.
	 */
	if (!sh->res && !sh->dmabuf)
		dma_sync_sgtable_for_device(&peer->pdev->dev, &sh->sgt,
					    DMA_BIDIRECTIONAL);
	sh->peer_addr = edu_view_addr(&sh->peer_view, sh->win[0].off);
	for (w = sh->win; w < sh->win + sh->nr_win; w++) {
		memset(peer->coh, 0, EDU_MAX_XFER);
		ret = edu_view_dma(peer, &sh->peer_view, w->off, w->len, false);
		if (!ret)
			ret = edu_dma(peer, peer->coh_dma, w->len, true);
		if (ret)
			return edu_fail(edu, "peer DMA", ret);
		ret = edu_compare(edu, "peer read", peer->coh,
				  sh->pattern + w->off, w->len);
		if (ret)
			return ret;
	}
	return 0;
}

static int edu_share_map(struct edu *edu, struct edu_share *sh)
{
	struct device *dev = &edu->pdev->dev, *pdev = &sh->peer->pdev->dev;
	struct vcm_phys *phys;
	int ret;

	if (sh->native) {
		phys = vcm_phys_from_dma(dev, sh->dma);
		if (IS_ERR(phys))
			return edu_fail(edu, "vcm_phys_from_dma", PTR_ERR(phys));
		if (sh->reserve) {
			sh->res = vcm_reserve(pdev, EDU_SHARE_SIZE);
			ret = IS_ERR(sh->res) ? PTR_ERR(sh->res) :
			      vcm_back(sh->res, phys, 0, DMA_BIDIRECTIONAL);
			if (ret && !IS_ERR(sh->res))
				vcm_unreserve(sh->res);
			if (ret)
				sh->res = ERR_PTR(ret);
		} else {
			sh->res = vcm_map_phys(pdev, phys, DMA_BIDIRECTIONAL);
		}
		/* The mapping holds the buffer from here on. */
		vcm_phys_put(phys);
		if (IS_ERR(sh->res)) {
			ret = PTR_ERR(sh->res);
			sh->res = NULL;
			/* A one-to-one peer has no addresses to reserve. */
			if (ret == -EOPNOTSUPP)
				return ret;
			return edu_fail(edu, sh->reserve ? "vcm_reserve" :
					"vcm_map_phys", ret);
		}
		sh->peer_view.base = vcm_res_addr(sh->res);
		sh->segments = 1;
		return 0;
	}
	ret = dma_get_sgtable(dev, &sh->sgt, sh->cpu, sh->dma, EDU_SHARE_SIZE);
	if (ret)
		return edu_fail(edu, "dma_get_sgtable", ret);
	/*
	 * As PRIME importers map an exported buffer (drm_gem_map_dma_buf()):
	 * the owner's coherent memory needs no CPU sync, and DMA-API debug
	 * would call a synced mapping over it an overlap.
	 */
	ret = dma_map_sgtable(pdev, &sh->sgt, DMA_BIDIRECTIONAL,
			      DMA_ATTR_SKIP_CPU_SYNC);
	if (ret) {
		sg_free_table(&sh->sgt);
		return edu_fail(edu, "dma_map_sgtable on the peer", ret);
	}
	sh->peer_view.sgt = &sh->sgt;
	sh->segments = sh->sgt.nents;
	return 0;
}

static void edu_share_unmap(struct edu_share *sh)
{
	if (sh->res && sh->reserve) {
		vcm_unreserve(sh->res);
	} else if (sh->res) {
		vcm_unmap(sh->res);
	} else {
		dma_unmap_sgtable(&sh->peer->pdev->dev, &sh->sgt,
				  DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
		sg_free_table(&sh->sgt);
	}
}

static void edu_share_free_owner(struct edu *edu, struct edu_share *sh)
{
	dma_free_coherent(&edu->pdev->dev, EDU_SHARE_SIZE, sh->cpu, sh->dma);
	sh->cpu = NULL;
}

/*
 * Can both engines reach every page of the dma-buf?  Behind an IOMMU they
 * can; a one-to-one edu reaches 28 bits, and without swiotlb (all RAM below
 * 4 GiB) a buffer above that cannot be mapped for it: the heap cannot know
 * its importers' limits, so the test tells and the workload allocates again.
 */
static bool edu_heap_reachable(struct edu_share *sh, struct device **devs)
{
	struct iosys_map map;
	bool ok = true;
	size_t off;
	int i;

	if (dma_buf_vmap_unlocked(sh->dmabuf, &map))
		return false;
	for (off = 0; off < sh->dmabuf->size && ok; off += PAGE_SIZE) {
		phys_addr_t pa = page_to_phys(vmalloc_to_page(map.vaddr + off));

		for (i = 0; i < 2; i++)
			ok &= device_iommu_mapped(devs[i]) ||
			      phys_to_dma(devs[i], pa) + PAGE_SIZE - 1 <=
			      dma_get_mask(devs[i]);
	}
	dma_buf_vunmap_unlocked(sh->dmabuf, &map);
	return ok;
}

static void edu_heap_end(struct edu_share *sh);

/* A share of @edu's with the edu device named @peer_name, which it holds. */
static struct edu_share *edu_share_new(struct edu *edu, const char *peer_name)
{
	struct edu_share *sh;

	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	if (!sh)
		return ERR_PTR(-ENOMEM);
	sh->peer = edu_find(peer_name);
	if (!sh->peer || sh->peer == edu) {
		if (sh->peer)
			put_device(&sh->peer->pdev->dev);
		kfree(sh);
		return ERR_PTR(-ENODEV);
	}
	return sh;
}

void edu_share_end(struct edu *edu)
{
	struct edu_share *sh = edu->share;

	if (sh->dmabuf)
		edu_heap_end(sh);
	else
		edu_share_unmap(sh);
	if (sh->cpu)
		edu_share_free_owner(edu, sh);
	if (sh->phys2)
		vcm_phys_put(sh->phys2);
	put_device(&sh->peer->pdev->dev);
	kvfree(sh->pattern);
	kfree(sh);
	edu->share = NULL;
}

/* The windows over the chunks of the owner's coherent buffer. */
static int edu_share_coherent_layout(struct edu *edu, struct edu_share *sh)
{
	struct sg_table cpu;
	int ret;

	ret = dma_get_sgtable(&edu->pdev->dev, &cpu, sh->cpu, sh->dma,
			      EDU_SHARE_SIZE);
	if (ret)
		return edu_fail(edu, "dma_get_sgtable", ret);
	ret = edu_share_layout(sh, &cpu, NULL, EDU_SHARE_SIZE);
	sg_free_table(&cpu);
	return ret ? edu_fail(edu, "share layout", ret) : 0;
}

static int edu_share_start(struct edu *edu, const char *peer_name,
			   bool native, bool reserve)
{
	struct edu_share *sh;
	int ret;

	sh = edu_share_new(edu, peer_name);
	if (IS_ERR(sh))
		return PTR_ERR(sh);
	sh->native = native || reserve;
	sh->reserve = reserve;
	sh->cpu = dma_alloc_coherent(&edu->pdev->dev, EDU_SHARE_SIZE,
				     &sh->dma, GFP_KERNEL);
	if (!sh->cpu) {
		ret = edu_fail(edu, "shared buffer", -ENOMEM);
		goto put;
	}
	ret = edu_share_coherent_layout(edu, sh);
	if (!ret)
		ret = edu_share_map(edu, sh);
	if (ret)
		goto free;
	sh->owner_view.base = sh->dma;
	edu->share = sh;

	ret = edu_share_owner_writes(edu, sh) ?:
	      edu_share_cpu_reads(edu, sh, sh->cpu);
	return ret ?: edu_share_peer_reads(edu, sh);

free:
	dma_free_coherent(&edu->pdev->dev, EDU_SHARE_SIZE, sh->cpu, sh->dma);
put:
	put_device(&sh->peer->pdev->dev);
	kvfree(sh->pattern);
	kfree(sh);
	return ret;
}

/*
 * Does @dev reach the pages of @sgt directly -- behind an IOMMU, or at
 * their bus addresses -- rather than through swiotlb's bounce buffers?
 * Those are the importers that VCM maps through the buffer itself.  (An
 * importer must not look at the pages of a dma-buf's table, which
 * CONFIG_DMABUF_DEBUG scrambles: the DMA address is what it has.)
 */
static bool edu_maps_directly(struct device *dev, struct sg_table *sgt)
{
	return device_iommu_mapped(dev) ||
	       !swiotlb_find_pool(dev, dma_to_phys(dev, sg_dma_address(sgt->sgl)));
}

static void edu_heap_end(struct edu_share *sh)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!sh->att[i])
			continue;
		if (sh->att_sgt[i])
			dma_buf_unmap_attachment_unlocked(sh->att[i],
							  sh->att_sgt[i],
							  sh->att_dir[i]);
		dma_buf_detach(sh->dmabuf, sh->att[i]);
	}
	dma_buf_put(sh->dmabuf);
}

static int edu_heap_map(struct edu_share *sh, int i,
			enum dma_data_direction dir)
{
	struct sg_table *sgt;

	sgt = dma_buf_map_attachment_unlocked(sh->att[i], dir);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);
	sh->att_sgt[i] = sgt;
	sh->att_dir[i] = dir;
	return 0;
}

static void edu_heap_unmap(struct edu_share *sh, int i)
{
	dma_buf_unmap_attachment_unlocked(sh->att[i], sh->att_sgt[i],
					  sh->att_dir[i]);
	sh->att_sgt[i] = NULL;
}

/*
 * Share a dma-buf (from a heap) between the two devices, in the order the
 * dma-buf rules want for importers that may bounce: the owner maps it,
 * its engine writes the pattern, it unmaps; the CPU checks the bytes
 * through vmap between begin and end of CPU access; the peer maps it and
 * its engine reads the pattern back.  Then the owner maps it again, so
 * that both mappings are live for the look at VCM's graph until "unmap".
 */
static int edu_heap_start(struct edu *edu, int fd, const char *peer_name)
{
	struct device *devs[2] = { &edu->pdev->dev };
	struct vcm_phys *phys;
	struct iosys_map map;
	struct edu_share *sh;
	int i, ret;

	sh = edu_share_new(edu, peer_name);
	if (IS_ERR(sh))
		return PTR_ERR(sh);
	sh->dmabuf = dma_buf_get(fd);
	if (IS_ERR(sh->dmabuf)) {
		ret = PTR_ERR(sh->dmabuf);
		put_device(&sh->peer->pdev->dev);
		kfree(sh);
		return ret;
	}
	devs[1] = &sh->peer->pdev->dev;
	if (!edu_heap_reachable(sh, devs)) {
		dma_buf_put(sh->dmabuf);
		put_device(&sh->peer->pdev->dev);
		kfree(sh);
		return -ERANGE;
	}
	edu->share = sh;
	for (i = 0; i < 2; i++) {
		sh->att[i] = dma_buf_attach(sh->dmabuf, devs[i]);
		if (IS_ERR(sh->att[i])) {
			ret = PTR_ERR(sh->att[i]);
			sh->att[i] = NULL;
			return edu_fail(edu, "dma_buf_attach", ret);
		}
	}

	/*
	 * The owner writes, through windows over the chunks of the buffer:
	 * VCM's, if the owner maps a VCM buffer (an importer on VCM gets
	 * DMA segments only), else of its table (their lengths: the pages of
	 * an imported table are not the importer's to look at).
	 */
	ret = edu_heap_map(sh, 0, DMA_FROM_DEVICE);
	if (ret)
		return edu_fail(edu, "owner's dma_buf_map_attachment", ret);
	phys = vcm_phys_from_dma(devs[0], sg_dma_address(sh->att_sgt[0]->sgl));
	ret = edu_share_layout(sh, sh->att_sgt[0], IS_ERR(phys) ? NULL : phys,
			       sh->dmabuf->size);
	if (!IS_ERR(phys))
		vcm_phys_put(phys);
	if (ret) {
		edu_heap_unmap(sh, 0);
		return edu_fail(edu, "share layout", ret);
	}
	sh->owner_view.sgt = sh->att_sgt[0];
	ret = edu_share_owner_writes(edu, sh);
	edu_heap_unmap(sh, 0);
	sh->owner_view.sgt = NULL;
	if (ret)
		return ret;

	/* The CPU reads. */
	ret = dma_buf_begin_cpu_access(sh->dmabuf, DMA_FROM_DEVICE);
	if (!ret)
		ret = dma_buf_vmap_unlocked(sh->dmabuf, &map);
	if (ret)
		return edu_fail(edu, "CPU access", ret);
	ret = edu_share_cpu_reads(edu, sh, map.vaddr);
	dma_buf_vunmap_unlocked(sh->dmabuf, &map);
	dma_buf_end_cpu_access(sh->dmabuf, DMA_FROM_DEVICE);
	if (ret)
		return ret;

	/* The peer reads; then both keep it mapped. */
	ret = edu_heap_map(sh, 1, DMA_TO_DEVICE);
	if (ret)
		return edu_fail(edu, "peer's dma_buf_map_attachment", ret);
	sh->peer_view.sgt = sh->att_sgt[1];
	sh->segments = sh->att_sgt[1]->nents;
	ret = edu_share_peer_reads(edu, sh);
	if (ret)
		return ret;
	/*
	 * Read-only for the device: DMA-API debug calls two writable
	 * mappings of one cache line from two devices an overlap.  An
	 * exporter that caches an attachment's first mapping (DRM PRIME)
	 * kept it, and gives it back for its own direction only.
	 */
	ret = edu_heap_map(sh, 0, sh->dmabuf->ops->cache_sgt_mapping ?
			   DMA_FROM_DEVICE : DMA_TO_DEVICE);
	if (ret)
		return edu_fail(edu, "owner's second map", ret);
	for (i = 0; i < 2; i++)
		sh->expect_edges += edu_maps_directly(devs[i], sh->att_sgt[i]);
	return 0;
}

/* Copy @len bytes to or from byte @off of a VCM buffer, chunk by chunk. */
static void edu_phys_copy(struct vcm_phys *phys, size_t off, u8 *buf,
			  size_t len, bool to_phys)
{
	phys_addr_t addr;
	unsigned int i;
	size_t n, clen;

	for (i = 0; len && !vcm_phys_chunk(phys, i, &addr, &clen); i++) {
		if (off >= clen) {
			off -= clen;
			continue;
		}
		n = min(len, clen - off);
		if (to_phys)
			memcpy(phys_to_virt(addr + off), buf, n);
		else
			memcpy(buf, phys_to_virt(addr + off), n);
		buf += n;
		len -= n;
		off = 0;
	}
}

/*
 * The reserved-range half of the native interface, on real DMA: the peer's
 * range, backed with the owner's buffer by edu_share_start() (the peer's
 * engine read the owner's pattern through it), is rebound to a second
 * buffer, allocated for both devices (vcm_phys_alloc_for()) and filled by
 * the CPU, and the peer's engine must read that buffer's new pattern at
 * the same address; then it is unbacked, and a write of the peer's engine
 * through it must land in neither buffer (the IOMMU faults).
 */
static int edu_reserve(struct edu *edu, struct edu_share *sh, bool *same,
		       bool *untouched)
{
	struct device *devs[2] = { &edu->pdev->dev, &sh->peer->pdev->dev };
	const struct edu_window *w = &sh->win[0];
	u8 *old = sh->cpu + w->off, *got;
	struct edu *peer = sh->peer;
	int ret;

	sh->phys2 = vcm_phys_alloc_for(devs, 2, EDU_SHARE_SIZE, GFP_KERNEL);
	if (IS_ERR(sh->phys2)) {
		ret = PTR_ERR(sh->phys2);
		sh->phys2 = NULL;
		return edu_fail(edu, "vcm_phys_alloc_for", ret);
	}
	get_random_bytes(sh->pattern, sh->size);
	edu_phys_copy(sh->phys2, 0, sh->pattern, sh->size, true);
	ret = vcm_rebind(sh->res, sh->phys2, 0, DMA_BIDIRECTIONAL);
	if (ret)
		return edu_fail(edu, "vcm_rebind", ret);
	vcm_sync_for_device(sh->res, 0, sh->size);
	*same = vcm_res_addr(sh->res) + w->off == sh->peer_addr;
	ret = edu_share_peer_reads(edu, sh);
	if (ret)
		return ret;

	vcm_unback(sh->res);
	get_random_bytes(peer->coh, w->len);
	ret = edu_dma(peer, peer->coh_dma, w->len, false);
	if (ret)
		return edu_fail(edu, "peer DMA", ret);
	/* Whether the engine reports the fault or not, nothing may land. */
	edu_dma(peer, sh->peer_addr, w->len, true);
	got = kmalloc(w->len, GFP_KERNEL);
	if (!got)
		return -ENOMEM;
	edu_phys_copy(sh->phys2, w->off, got, w->len, false);
	*untouched = !memcmp(got, sh->pattern + w->off, w->len) &&
		     memcmp(old, peer->coh, w->len);
	kfree(got);
	return 0;
}

/* One step of the share test; the result line says what it saw. */
static int edu_share(struct edu *edu, char *cmd)
{
	char *verb = strsep(&cmd, " "), *peer = cmd;
	struct edu_share *sh = edu->share;
	int ret;

	edu->last_error[0] = 0;
	if (!strcmp(verb, "heap")) {
		char *fd = strsep(&peer, " ");
		unsigned int n;

		if (sh || !peer || kstrtouint(fd, 10, &n))
			return -EINVAL;
		ret = edu_heap_start(edu, n, strim(peer));
		sh = edu->share;
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "heap owner=%pad peer=%pad segments=%u chunks=%u crossed=%u windows=%u expect_edges=%u reachable=%d ok=%d",
			  sh ? &sh->owner_addr : &edu->coh_dma,
			  sh ? &sh->peer_addr : &edu->coh_dma,
			  sh ? sh->segments : 0, sh ? sh->chunks : 0,
			  sh ? sh->crossed : 0, sh ? sh->nr_win : 0,
			  sh ? sh->expect_edges : 0, ret != -ERANGE, !ret);
		return ret == -ENODEV || ret == -EBADF ? ret : 0;
	}
	if (!strcmp(verb, "api") || !strcmp(verb, "native")) {
		if (sh || !peer)
			return -EINVAL;
		ret = edu_share_start(edu, strim(peer), !strcmp(verb, "native"),
				      false);
		sh = edu->share;
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "%s owner=%pad peer=%pad segments=%u chunks=%u crossed=%u windows=%u ok=%d",
			  verb, sh ? &sh->owner_addr : &edu->coh_dma,
			  sh ? &sh->peer_addr : &edu->coh_dma,
			  sh ? sh->segments : 0, sh ? sh->chunks : 0,
			  sh ? sh->crossed : 0, sh ? sh->nr_win : 0, !ret);
		return 0;
	}
	if (!strcmp(verb, "reserve")) {
		bool same = false, untouched = false;
		int rebind = -EAGAIN;

		if (sh || !peer)
			return -EINVAL;
		ret = edu_share_start(edu, strim(peer), true, true);
		sh = edu->share;
		if (!ret)
			rebind = edu_reserve(edu, sh, &same, &untouched);
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "reserve peer=%pad unsupported=%d back_read_ok=%d rebind_same_addr=%d rebind_read_ok=%d unback_untouched=%d ok=%d",
			  sh ? &sh->peer_addr : &edu->coh_dma,
			  ret == -EOPNOTSUPP, !ret, same, !rebind, untouched,
			  !rebind && same && untouched);
		return 0;
	}
	if (!sh)
		return -EINVAL;
	if (!strcmp(verb, "free-owner") && sh->cpu && !sh->dmabuf) {
		edu_share_free_owner(edu, sh);
		ret = edu_share_peer_reads(edu, sh);
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "free-owner peer_reads_ok=%d", !ret);
		return 0;
	}
	if (!strcmp(verb, "unmap")) {
		edu_share_end(edu);
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "unmap ok=1");
		return 0;
	}
	return -EINVAL;
}

static ssize_t edu_share_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	return edu_write_cmd(file, ubuf, count, edu_share);
}

ssize_t edu_share_read(struct file *file, char __user *ubuf, size_t count,
		       loff_t *ppos)
{
	struct edu *edu = file->private_data;
	char line[sizeof(edu->share_result) + sizeof(edu->last_error) + 20];
	int n;

	mutex_lock(&edu->lock);
	n = scnprintf(line, sizeof(line), "%s%s%s%s\n", edu->share_result,
		      edu->last_error[0] ? " last_error=\"" : "",
		      edu->last_error, edu->last_error[0] ? "\"" : "");
	mutex_unlock(&edu->lock);
	return simple_read_from_buffer(ubuf, count, ppos, line, n);
}

const struct file_operations edu_share_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_share_write,
	.read	= edu_share_read,
};
