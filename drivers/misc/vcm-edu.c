// SPDX-License-Identifier: GPL-2.0
/*
 * DMA test driver for QEMU's "edu" educational PCI device (1234:11e8).
 *
 * The device has a 4 KiB buffer at device address 0x40000 and a DMA engine
 * that copies between that buffer and system memory.  This driver uses the
 * engine to check DMA mappings byte for byte, through the ordinary DMA API:
 *
 *   /sys/kernel/debug/vcm-edu/<device>/run        write N: run N rounds
 *   /sys/kernel/debug/vcm-edu/<device>/result     totals of all rounds
 *   /sys/kernel/debug/vcm-edu/<device>/isolation  write a probe name (see
 *                                                 edu_isolation()); read:
 *                                                 what its DMA did
 *   /sys/kernel/debug/vcm-edu/<device>/coherent   mmap: the coherent buffer,
 *                                                 through dma_mmap_coherent(),
 *                                                 filled with byte i = 7i + 3
 *   /sys/kernel/debug/vcm-edu/<device>/pgsizes    write N: allocate N KiB
 *                                                 coherent, kept until the
 *                                                 next write (0: free it);
 *                                                 read: how many bytes each
 *                                                 IOMMU page size would map
 *                                                 it
 *   /sys/kernel/debug/vcm-edu/<device>/leak       write 1: behave like a
 *                                                 buggy driver (see
 *                                                 edu_leak())
 *   /sys/kernel/debug/vcm-edu/<device>/atomic     write N: N rounds of
 *                                                 GFP_ATOMIC coherent and
 *                                                 dma_pool allocations made
 *                                                 under a spinlock, each
 *                                                 checked by a DMA round
 *                                                 trip; read: totals
 *   /sys/kernel/debug/vcm-edu/<device>/share      write "api <peer>" or
 *                                                 "native <peer>": share
 *                                                 a coherent buffer of this
 *                                                 device with edu <peer>,
 *                                                 or "heap <fd> <peer>": a
 *                                                 dma-buf (see edu_share());
 *                                                 then "free-owner" and
 *                                                 "unmap"; "reserve
 *                                                 <peer>": a range of the
 *                                                 peer backed, rebound and
 *                                                 unbacked (edu_reserve());
 *                                                 read: what each step saw
 *   /sys/kernel/debug/vcm-edu/<device>/sharebench write "<MiB> <VCM peer>
 *                                                 <stock peer> <stock
 *                                                 peer 2> <rounds>":
 *                                                 time sharing a buffer
 *                                                 of this device three
 *                                                 ways (edu_share_bench());
 *                                                 read: the result line
 *   /sys/kernel/debug/vcm-edu/<device>/heapbench  write "<fd> <rounds>":
 *                                                 time importing a dma-buf
 *                                                 (edu_heap_bench()); read:
 *                                                 the result line
 *   /sys/kernel/debug/vcm-edu/<device>/hotbench   write "<pairs> <live>":
 *                                                 time dma_map_page() +
 *                                                 dma_unmap_page() pairs
 *                                                 with <live> other
 *                                                 mappings outstanding
 *                                                 (edu_hot_bench()); read:
 *                                                 the result line
 *   /sys/kernel/debug/vcm-edu/fragment            write N: fragment N MiB of
 *                                                 memory into lone pages
 *                                                 (0: give them back)
 *   /sys/kernel/debug/vcm-edu/defer               write a device name: its
 *                                                 next probe allocates its
 *                                                 coherent buffer, then
 *                                                 returns -EPROBE_DEFER
 *   /sys/kernel/debug/vcm-edu/platform            write "add": register a
 *                                                 platform device, whose
 *                                                 driver maps and allocates
 *                                                 DMA memory at probe and
 *                                                 gives it back at remove;
 *                                                 "remove": unregister the
 *                                                 device while its driver
 *                                                 is bound; read: what the
 *                                                 driver saw
 *
 * A round copies random data of random length (1..4095 bytes: QEMU 7.2
 * aborts on a transfer that ends exactly at the end of the buffer) to the
 * device and back, once through a coherent buffer and once through two
 * streaming mappings, and compares.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-vcm.h>
#include <linux/dmapool.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define EDU_REG_IDENT		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_START		BIT(0)
#define EDU_CMD_TO_RAM		BIT(1)
#define EDU_BUF_ADDR		0x40000
#define EDU_MAX_XFER		4095
#define EDU_DMA_BITS		28	/* the device's default dma_mask */
#define EDU_TIMEOUT_MS		5000

struct edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct dentry *dir;
	struct mutex lock;		/* serialises runs; protects the counts */
	void *coh;			/* coherent buffer, EDU_MAX_XFER bytes */
	dma_addr_t coh_dma;
	unsigned long rounds, coherent_ok, streaming_ok, failed, corrupt;
	char last_error[96];
	char isolation[128];
	char pgsizes[160];
	unsigned long atomic_ok, atomic_failed;
	void *pg_cpu;			/* the pgsizes buffer, kept until */
	dma_addr_t pg_dma;		/* the next write (0: none) */
	size_t pg_size;
	struct edu_share *share;	/* a buffer shared with a peer */
	char share_result[320];
};

#define EDU_PROBE_LEN		256
#define EDU_PROBE_BUF		SZ_64K	/* the owner's buffer, shared-* */
#define EDU_POISON		0xa1

/* Did a DMA of @len bytes of @pattern land at @buf? */
static bool edu_landed(const u8 *buf, const u8 *pattern, size_t len)
{
	return !memcmp(buf, pattern, len);
}

static bool edu_untouched(const u8 *buf, size_t len)
{
	return !memchr_inv(buf, EDU_POISON, len);
}

/*
 * Run one transfer between @ram and byte @at of the engine's buffer, and
 * wait for the engine to finish.
 */
static int edu_dma_at(struct edu *edu, dma_addr_t ram, size_t at, size_t len,
		      bool to_ram)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(EDU_TIMEOUT_MS);
	u64 buf = EDU_BUF_ADDR + at;

	if (WARN_ON_ONCE(at + len > EDU_MAX_XFER))
		return -EINVAL;
	writeq(to_ram ? buf : ram, edu->regs + EDU_REG_DMA_SRC);
	writeq(to_ram ? ram : buf, edu->regs + EDU_REG_DMA_DST);
	writeq(len, edu->regs + EDU_REG_DMA_COUNT);
	writeq(EDU_CMD_START | (to_ram ? EDU_CMD_TO_RAM : 0),
	       edu->regs + EDU_REG_DMA_CMD);
	while (readq(edu->regs + EDU_REG_DMA_CMD) & EDU_CMD_START) {
		if (time_after(jiffies, timeout))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	return 0;
}

/* A transfer at the start of the engine's buffer. */
static int edu_dma(struct edu *edu, dma_addr_t ram, size_t len, bool to_ram)
{
	return edu_dma_at(edu, ram, 0, len, to_ram);
}

static int edu_fail(struct edu *edu, const char *what, int err)
{
	snprintf(edu->last_error, sizeof(edu->last_error), "%s: %d", what,
		 err);
	dev_err(&edu->pdev->dev, "%s failed: %d\n", what, err);
	return err;
}

static int edu_compare(struct edu *edu, const char *what, const u8 *got,
		       const u8 *want, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			edu->corrupt++;
			snprintf(edu->last_error, sizeof(edu->last_error),
				 "%s: byte %zu of %zu is %#x, not %#x", what,
				 i, len, got[i], want[i]);
			dev_err(&edu->pdev->dev, "%s\n", edu->last_error);
			return -EIO;
		}
	}
	return 0;
}

static int edu_round_coherent(struct edu *edu, u8 *ref, size_t len)
{
	int ret;

	get_random_bytes(ref, len);
	memcpy(edu->coh, ref, len);
	ret = edu_dma(edu, edu->coh_dma, len, false);
	if (ret)
		return edu_fail(edu, "coherent to device", ret);
	memset(edu->coh, 0, EDU_MAX_XFER);
	ret = edu_dma(edu, edu->coh_dma, len, true);
	if (ret)
		return edu_fail(edu, "coherent to RAM", ret);
	return edu_compare(edu, "coherent", edu->coh, ref, len);
}

static int edu_round_streaming(struct edu *edu, u8 *ref, size_t len)
{
	struct device *dev = &edu->pdev->dev;
	u8 *src, *dst;
	dma_addr_t addr;
	int ret = -ENOMEM;

	/*
	 * The engine addresses 28 bits.  Without an IOMMU or swiotlb to
	 * bounce, a buffer above 256 MiB cannot be mapped for it, so the
	 * streaming buffers come from ZONE_DMA, as such a driver's must.
	 */
	src = kmalloc(len, GFP_KERNEL | GFP_DMA);
	dst = kmalloc(len, GFP_KERNEL | GFP_DMA);
	if (!src || !dst)
		goto out;
	get_random_bytes(ref, len);
	memcpy(src, ref, len);
	memset(dst, 0, len);

	addr = dma_map_single(dev, src, len, DMA_TO_DEVICE);
	ret = dma_mapping_error(dev, addr);
	if (ret) {
		edu_fail(edu, "map to device", ret);
		goto out;
	}
	ret = edu_dma(edu, addr, len, false);
	dma_unmap_single(dev, addr, len, DMA_TO_DEVICE);
	if (ret) {
		edu_fail(edu, "streaming to device", ret);
		goto out;
	}

	addr = dma_map_single(dev, dst, len, DMA_FROM_DEVICE);
	ret = dma_mapping_error(dev, addr);
	if (ret) {
		edu_fail(edu, "map from device", ret);
		goto out;
	}
	ret = edu_dma(edu, addr, len, true);
	dma_unmap_single(dev, addr, len, DMA_FROM_DEVICE);
	if (ret) {
		edu_fail(edu, "streaming to RAM", ret);
		goto out;
	}
	ret = edu_compare(edu, "streaming", dst, ref, len);
out:
	kfree(dst);
	kfree(src);
	return ret;
}

/*
 * Probes of IOMMU isolation.  The device's buffer holds a pattern; each
 * probe lets the device write it to a page through one IOVA:
 *
 *   mapped       through a live mapping: must land
 *   in-granule   past the mapped length but inside the mapped IOMMU page:
 *                lands, because an IOMMU protects whole pages (granules)
 *   after-unmap  through the IOVA of a mapping just unmapped: with strict
 *                invalidation it must fault and leave the page untouched
 *   after-free   through the address of a freed coherent buffer: must
 *                fault; the page is kept (get_page) to check it
 *   to-device    a write through a live DMA_TO_DEVICE mapping: the IOMMU
 *                maps it read-only for the device, so it must fault
 *
 * and on a buffer of another device, @owner (an edu device too), which
 * allocates a coherent buffer; this device maps one page of it (the third)
 * for streaming DMA, as an importer given one page would:
 *
 *   shared-to-device <owner>  a write through a DMA_TO_DEVICE mapping of
 *                the page must fault and leave the buffer untouched
 *   shared-outside <owner>    a write one page past a DMA_FROM_DEVICE
 *                mapping of the page (or before it) -- where the buffer's
 *                next page would be if the mapping covered it -- must fault
 *                and leave the rest of the buffer untouched
 *
 * One probe per write, so that the test can match each probe's IOVA with
 * the IOMMU's fault report in the kernel log.
 */
static int edu_probe_streaming(struct edu *edu, struct page *page,
			       size_t map_len, bool unmap_first,
			       enum dma_data_direction dir)
{
	struct device *dev = &edu->pdev->dev;
	u8 *buf = page_address(page);
	dma_addr_t addr;
	int ret;

	memset(buf, EDU_POISON, PAGE_SIZE);
	addr = dma_map_page(dev, page, 0, map_len, dir);
	ret = dma_mapping_error(dev, addr);
	if (ret)
		return ret;
	if (unmap_first)
		dma_unmap_page(dev, addr, map_len, dir);
	ret = edu_dma(edu, addr, EDU_PROBE_LEN, true);
	if (!unmap_first) {
		/*
		 * A fault is reported by an interrupt, maybe after the
		 * engine says it is done: keep the mapping until then, so
		 * that the report sees the address as it was.
		 */
		msleep(100);
		dma_unmap_page(dev, addr, map_len, dir);
	}
	snprintf(edu->isolation, sizeof(edu->isolation),
		 "iova=%pad mapped=%zu written=%d landed=%d untouched=%d\n",
		 &addr, unmap_first ? 0 : map_len, EDU_PROBE_LEN,
		 edu_landed(buf, edu->coh, EDU_PROBE_LEN),
		 edu_untouched(buf, PAGE_SIZE));
	return ret;
}

static int edu_probe_freed(struct edu *edu)
{
	struct device *dev = &edu->pdev->dev;
	struct page *freed;
	dma_addr_t addr;
	u8 *coh;
	int ret;

	coh = dma_alloc_coherent(dev, PAGE_SIZE, &addr, GFP_KERNEL);
	if (!coh || is_vmalloc_addr(coh))
		return -ENOMEM;
	memset(coh, EDU_POISON, PAGE_SIZE);
	freed = virt_to_page(coh);
	get_page(freed);
	dma_free_coherent(dev, PAGE_SIZE, coh, addr);
	ret = edu_dma(edu, addr, EDU_PROBE_LEN, true);
	snprintf(edu->isolation, sizeof(edu->isolation),
		 "iova=%pad mapped=0 written=%d landed=%d untouched=%d\n",
		 &addr, EDU_PROBE_LEN,
		 edu_landed(page_address(freed), edu->coh, EDU_PROBE_LEN),
		 edu_untouched(page_address(freed), PAGE_SIZE));
	put_page(freed);
	return ret;
}

/* The edu device named @name, with a reference (put_device()), or NULL. */
static struct edu *edu_find(const char *name)
{
	struct device *dev = bus_find_device_by_name(&pci_bus_type, NULL, name);
	struct edu *edu = NULL;

	if (dev && dev->driver && !strcmp(dev->driver->name, "vcm-edu"))
		edu = pci_get_drvdata(to_pci_dev(dev));
	if (!edu)
		put_device(dev);
	return edu;
}

/* The page at byte @off of the buffer @sgt describes (CPU entries). */
static struct page *edu_sgt_page(struct sg_table *sgt, size_t off)
{
	struct scatterlist *s;
	unsigned int i;

	for_each_sgtable_sg(sgt, s, i) {
		if (off < s->length)
			return nth_page(sg_page(s), (s->offset + off) >> PAGE_SHIFT);
		off -= s->length;
	}
	return NULL;
}

/* Is the buffer @buf untouched, but for page @skip (-1: none)? */
static bool edu_untouched_but(const u8 *buf, size_t size, int skip)
{
	size_t off;

	for (off = 0; off < size; off += PAGE_SIZE)
		if (off != skip * PAGE_SIZE && !edu_untouched(buf + off, PAGE_SIZE))
			return false;
	return true;
}

/*
 * Where shared-outside writes: the page after the mapping (or, if another
 * mapping of the device holds that address, the page before it), where the
 * buffer's next (previous) page would be if the mapping covered the whole
 * buffer.  Sets *@side to +1 or -1; 0 if both neighbours hold other
 * mappings (the probe cannot tell then).
 */
static dma_addr_t edu_outside_iova(struct device *dev, dma_addr_t addr,
				   struct sg_table *cpu, int *side)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	struct page *next;
	phys_addr_t pa;

	for (*side = 1; domain && *side >= -1; *side -= 2) {
		pa = iommu_iova_to_phys(domain, addr + *side * PAGE_SIZE);
		next = edu_sgt_page(cpu, (2 + *side) * PAGE_SIZE);
		if (!pa || pa == page_to_phys(next))
			return addr + *side * PAGE_SIZE;
	}
	*side = 0;
	return DMA_MAPPING_ERROR;
}

static int edu_probe_shared(struct edu *edu, const char *owner_name,
			    bool outside)
{
	enum dma_data_direction dir = outside ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	struct device *dev = &edu->pdev->dev, *odev;
	struct edu *owner = edu_find(owner_name);
	dma_addr_t obuf, addr, at;
	struct sg_table cpu;
	struct page *page;
	int ret, side = 0;
	u8 *buf, *target;

	if (!owner)
		return -ENODEV;
	odev = &owner->pdev->dev;
	ret = -EINVAL;
	if (owner == edu)
		goto put;
	ret = -ENOMEM;
	buf = dma_alloc_coherent(odev, EDU_PROBE_BUF, &obuf, GFP_KERNEL);
	if (!buf)
		goto put;
	memset(buf, EDU_POISON, EDU_PROBE_BUF);
	ret = dma_get_sgtable(odev, &cpu, buf, obuf, EDU_PROBE_BUF);
	if (ret)
		goto free;
	page = edu_sgt_page(&cpu, 2 * PAGE_SIZE);
	/* The owner's memory is coherent: nothing to sync, as for PRIME. */
	addr = dma_map_page_attrs(dev, page, 0, PAGE_SIZE, dir,
				  DMA_ATTR_SKIP_CPU_SYNC);
	ret = dma_mapping_error(dev, addr);
	if (ret)
		goto free_sgt;
	at = outside ? edu_outside_iova(dev, addr, &cpu, &side) : addr;
	target = buf + (2 + side) * PAGE_SIZE;
	ret = at == DMA_MAPPING_ERROR ? -EBUSY :
	      edu_dma(edu, at, EDU_PROBE_LEN, true);
	msleep(100);		/* as in edu_probe_streaming() */
	dma_unmap_page_attrs(dev, addr, PAGE_SIZE, dir, DMA_ATTR_SKIP_CPU_SYNC);
	snprintf(edu->isolation, sizeof(edu->isolation),
		 "iova=%pad mapped=%lu written=%d landed=%d untouched=%d\n",
		 &at, outside ? 0 : PAGE_SIZE, EDU_PROBE_LEN,
		 edu_landed(target, edu->coh, EDU_PROBE_LEN),
		 edu_untouched_but(buf, EDU_PROBE_BUF, outside ? 2 : -1));
free_sgt:
	sg_free_table(&cpu);
free:
	dma_free_coherent(odev, EDU_PROBE_BUF, buf, obuf);
put:
	put_device(odev);
	return ret;
}

static int edu_isolation(struct edu *edu, char *probe)
{
	char *verb = strsep(&probe, " ");
	struct page *page;
	int ret;

	/* The pattern goes into the device's buffer first. */
	get_random_bytes(edu->coh, EDU_PROBE_LEN);
	ret = edu_dma(edu, edu->coh_dma, EDU_PROBE_LEN, false);
	if (ret)
		return ret;
	if (probe && sysfs_streq(verb, "shared-to-device"))
		return edu_probe_shared(edu, strim(probe), false);
	if (probe && sysfs_streq(verb, "shared-outside"))
		return edu_probe_shared(edu, strim(probe), true);
	if (probe)
		return -EINVAL;
	if (sysfs_streq(verb, "after-free"))
		return edu_probe_freed(edu);

	page = alloc_page(GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	if (sysfs_streq(verb, "mapped"))
		ret = edu_probe_streaming(edu, page, EDU_PROBE_LEN, false,
					  DMA_FROM_DEVICE);
	else if (sysfs_streq(verb, "in-granule"))
		ret = edu_probe_streaming(edu, page, EDU_PROBE_LEN / 2, false,
					  DMA_FROM_DEVICE);
	else if (sysfs_streq(verb, "after-unmap"))
		ret = edu_probe_streaming(edu, page, EDU_PROBE_LEN, true,
					  DMA_FROM_DEVICE);
	else if (sysfs_streq(verb, "to-device"))
		ret = edu_probe_streaming(edu, page, EDU_PROBE_LEN, false,
					  DMA_TO_DEVICE);
	else
		ret = -EINVAL;
	__free_page(page);
	return ret;
}

/* A command written to one of the debugfs files, NUL-terminated in @buf. */
static int edu_get_cmd(char *buf, size_t size, const char __user *ubuf,
		       size_t count)
{
	if (count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	return 0;
}

static ssize_t edu_isolation_write(struct file *file,
				   const char __user *ubuf, size_t count,
				   loff_t *ppos)
{
	struct edu *edu = file->private_data;
	char probe[48];
	int ret;

	ret = edu_get_cmd(probe, sizeof(probe), ubuf, count);
	if (ret)
		return ret;
	mutex_lock(&edu->lock);
	edu->isolation[0] = 0;
	ret = edu_isolation(edu, strim(probe));
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

/* Read one of the result strings of @edu, under its lock. */
/*
 * A result line, copied out under the lock and to user space after it:
 * edu->lock nests inside mmap_lock (edu_coherent_mmap()), so a fault in
 * copy_to_user() must not happen under it.
 */
static ssize_t edu_read_result(struct edu *edu, const char *text,
			       char __user *ubuf, size_t count, loff_t *ppos)
{
	char line[200];

	mutex_lock(&edu->lock);
	strscpy(line, text, sizeof(line));
	mutex_unlock(&edu->lock);
	return simple_read_from_buffer(ubuf, count, ppos, line, strlen(line));
}

static ssize_t edu_isolation_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;

	return edu_read_result(edu, edu->isolation, ubuf, count, ppos);
}

/*
 * How an IOMMU maps a coherent buffer: iommu_map() covers each physically
 * contiguous run with the largest page sizes that the alignment of IOVA
 * and physical address allow (iommu_pgsize()); the same split of the
 * buffer's pages, from dma_get_sgtable(), at its DMA address tells how
 * many bytes each page size maps, whichever DMA backend allocated it.
 */
static int edu_pgsizes(struct edu *edu, size_t size)
{
	struct device *dev = &edu->pdev->dev;
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);
	unsigned long bytes[BITS_PER_LONG] = {}, pgsizes;
	struct scatterlist *sg;
	struct sg_table sgt;
	dma_addr_t handle, iova;
	char *out = edu->pgsizes;
	int i, n, ret;
	void *cpu;

	if (!domain || !(domain->type & __IOMMU_DOMAIN_PAGING))
		return -ENODEV;
	pgsizes = domain->pgsize_bitmap;
	cpu = dma_alloc_coherent(dev, size, &handle, GFP_KERNEL);
	if (!cpu)
		return -ENOMEM;
	ret = dma_get_sgtable(dev, &sgt, cpu, handle, size);
	if (ret)
		goto out_free;
	iova = handle;
	for_each_sgtable_sg(&sgt, sg, i) {
		phys_addr_t phys = sg_phys(sg);
		size_t len = sg->length;

		while (len) {
			unsigned long fit = pgsizes & GENMASK(__fls(len), 0);

			if ((iova | phys) & ~PAGE_MASK)
				break;
			if (iova | phys)
				fit &= GENMASK(__ffs(iova | phys), 0);
			if (!fit)
				break;
			bytes[__fls(fit)] += 1UL << __fls(fit);
			iova += 1UL << __fls(fit);
			phys += 1UL << __fls(fit);
			len -= 1UL << __fls(fit);
		}
	}
	sg_free_table(&sgt);
	n = scnprintf(out, sizeof(edu->pgsizes), "size=%zu iova=%pad", size,
		      &handle);
	for (i = 0; i < BITS_PER_LONG; i++)
		if (bytes[i])
			n += scnprintf(out + n, sizeof(edu->pgsizes) - n,
				       " pg%luk=%lu", (1UL << i) >> 10,
				       bytes[i]);
	scnprintf(out + n, sizeof(edu->pgsizes) - n, "\n");
	/* Kept, so that the IOMMU's own record of it can be read too. */
	edu->pg_cpu = cpu;
	edu->pg_dma = handle;
	edu->pg_size = size;
	return 0;
out_free:
	dma_free_coherent(dev, size, cpu, handle);
	return ret;
}

static void edu_pgsizes_free(struct edu *edu)
{
	if (edu->pg_cpu)
		dma_free_coherent(&edu->pdev->dev, edu->pg_size, edu->pg_cpu,
				  edu->pg_dma);
	edu->pg_cpu = NULL;
}

static ssize_t edu_pgsizes_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;
	unsigned int kib;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &kib);
	if (ret)
		return ret;
	mutex_lock(&edu->lock);
	edu->pgsizes[0] = 0;
	edu_pgsizes_free(edu);
	ret = kib ? edu_pgsizes(edu, (size_t)kib << 10) : 0;
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

static ssize_t edu_pgsizes_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;

	return edu_read_result(edu, edu->pgsizes, ubuf, count, ppos);
}

static const struct file_operations edu_pgsizes_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= edu_pgsizes_read,
	.write	= edu_pgsizes_write,
};

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
#define EDU_SHARE_SIZE		SZ_64K
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
 * Lay the windows out over the chunks of @cpu (its CPU entries), and make
 * a random pattern of the buffer's size for them.
 */
static int edu_share_layout(struct edu_share *sh, struct sg_table *cpu,
			    size_t size)
{
	size_t start = 0, end = 0, a, len;
	struct edu_window *w;
	struct scatterlist *s;
	unsigned int i;

	sh->size = size;
	sh->pattern = kvmalloc(size, GFP_KERNEL);
	if (!sh->pattern)
		return -ENOMEM;
	get_random_bytes(sh->pattern, size);
	for_each_sgtable_sg(cpu, s, i) {
		len = s->length;
		sh->chunks++;
		if (start < end) {		/* touched by the last window */
			sh->crossed++;
		} else if (sh->nr_win < EDU_SHARE_WINDOWS) {
			if (start + len < size)	/* astride the next boundary */
				a = max_t(size_t, start, start + len -
					  EDU_WINDOW_LEN / 2);
			else			/* the last chunk, alone */
				a = start + min_t(size_t, EDU_SHARE_OFFSET,
						  len - min_t(size_t, len,
							      EDU_WINDOW_LEN));
			w = &sh->win[sh->nr_win++];
			w->off = a;
			w->len = min_t(size_t, EDU_WINDOW_LEN, size - a);
			end = a + w->len;
			sh->crossed++;
		}
		start += len;
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

static void edu_share_end(struct edu *edu)
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
	ret = edu_share_layout(sh, &cpu, EDU_SHARE_SIZE);
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
	 * The owner writes, through windows over the chunks of its table
	 * (their lengths: the pages of an imported table are not the
	 * importer's to look at).
	 */
	ret = edu_heap_map(sh, 0, DMA_FROM_DEVICE);
	if (ret)
		return edu_fail(edu, "owner's dma_buf_map_attachment", ret);
	ret = edu_share_layout(sh, sh->att_sgt[0], sh->dmabuf->size);
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

/*
 * The sharing benchmark (make bench): the cost of giving a second device
 * access to a buffer of this device, three ways, each timed over a batch
 * of share + unshare pairs (one clock read per batch: ns per pair):
 *
 *   native  vcm_map_phys() + vcm_unmap() on a peer served by VCM: no
 *           scatterlist at all
 *   api     dma_get_sgtable() on the owner (one entry per chunk) +
 *           dma_map_sgtable() on the VCM peer, and back
 *   sgcopy  the dma-buf way of today (drivers/dma-buf/heaps/system_heap.c):
 *           a per-page sg_table built for the importer, dma_map_sgtable()
 *           on a peer on the stock backend (dma-direct or dma-iommu), and
 *           back; "sgcopy_vcm" is the same on the VCM peer
 *   api_stock  like for like with api: a coherent buffer of the same size
 *           allocated by the stock peer and shared the same way, with
 *           dma_get_sgtable() and dma_map_sgtable(), into a second device
 *           on the stock backend: what the same two calls cost without
 *           dma=vcm
 *
 * Metadata is what one share builds: scatterlist bytes, plus VCM's
 * reservation (the slab size of a native mapping) where VCM maps.  The
 * three devices get 32-bit masks for the run (no engine DMA happens; the
 * buffer may lie above the edu engine's 28 bits) and theirs back after.
 */
static ssize_t edu_share_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos);

struct edu_bench {
	struct device *owner, *vpeer, *speer, *speer2;
	void *cpu, *scpu;
	dma_addr_t dma, sdma;
	size_t size;
	unsigned int rounds;
};

static struct page *edu_cpu_page(void *cpu)
{
	return is_vmalloc_addr(cpu) ? vmalloc_to_page(cpu) : virt_to_page(cpu);
}

/* A per-page table of the buffer, as the system heap copies per importer. */
static int edu_bench_sgcopy_one(struct edu_bench *b, struct device *peer,
				size_t *meta)
{
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned int i;
	int ret;

	ret = sg_alloc_table(&sgt, b->size >> PAGE_SHIFT, GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, edu_cpu_page(b->cpu + i * PAGE_SIZE), PAGE_SIZE,
			    0);
	*meta = sgt.orig_nents * sizeof(*sg);
	ret = dma_map_sgtable(peer, &sgt, DMA_BIDIRECTIONAL,
			      DMA_ATTR_SKIP_CPU_SYNC);
	if (!ret)
		dma_unmap_sgtable(peer, &sgt, DMA_BIDIRECTIONAL,
				  DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(&sgt);
	return ret;
}

/* dma_get_sgtable() on @owner's buffer, dma_map_sgtable() on @peer. */
static int edu_bench_api_one(struct edu_bench *b, struct device *owner,
			     void *cpu, dma_addr_t dma, struct device *peer,
			     size_t *meta)
{
	struct sg_table sgt;
	int ret;

	ret = dma_get_sgtable(owner, &sgt, cpu, dma, b->size);
	if (ret)
		return ret;
	*meta = sgt.orig_nents * sizeof(struct scatterlist);
	ret = dma_map_sgtable(peer, &sgt, DMA_BIDIRECTIONAL,
			      DMA_ATTR_SKIP_CPU_SYNC);
	if (!ret)
		dma_unmap_sgtable(peer, &sgt, DMA_BIDIRECTIONAL,
				  DMA_ATTR_SKIP_CPU_SYNC);
	sg_free_table(&sgt);
	return ret;
}

static int edu_bench_native_one(struct edu_bench *b, struct vcm_phys *phys,
				size_t *meta)
{
	struct vcm_res *res = vcm_map_phys(b->vpeer, phys, DMA_BIDIRECTIONAL);

	if (IS_ERR(res))
		return PTR_ERR(res);
	*meta = ksize(res);
	vcm_unmap(res);
	return 0;
}

enum {
	EDU_BENCH_NATIVE,
	EDU_BENCH_API,
	EDU_BENCH_SGCOPY,
	EDU_BENCH_SGCOPY_VCM,
	EDU_BENCH_API_STOCK,
	EDU_BENCH_N
};

static int edu_bench_run(struct edu_bench *b, struct vcm_phys *phys,
			 int way, u64 *ns, size_t *meta)
{
	unsigned int i;
	u64 t0;
	int ret = 0;

	t0 = ktime_get_ns();
	for (i = 0; i < b->rounds && !ret; i++) {
		switch (way) {
		case EDU_BENCH_NATIVE:
			ret = edu_bench_native_one(b, phys, meta);
			break;
		case EDU_BENCH_API:
			ret = edu_bench_api_one(b, b->owner, b->cpu, b->dma,
						b->vpeer, meta);
			break;
		case EDU_BENCH_API_STOCK:
			ret = edu_bench_api_one(b, b->speer, b->scpu, b->sdma,
						b->speer2, meta);
			break;
		case EDU_BENCH_SGCOPY:
			ret = edu_bench_sgcopy_one(b, b->speer, meta);
			break;
		default:
			ret = edu_bench_sgcopy_one(b, b->vpeer, meta);
			break;
		}
	}
	*ns = div_u64(ktime_get_ns() - t0, b->rounds);
	return ret;
}

static int edu_share_bench(struct edu *edu, unsigned int mib,
			   struct edu *vpeer, struct edu *speer,
			   struct edu *speer2, unsigned int rounds)
{
	static const char * const names[EDU_BENCH_N] = {
		"native", "api", "sgcopy", "sgcopy_vcm", "api_stock" };
	struct edu_bench b = {
		.owner = &edu->pdev->dev, .vpeer = &vpeer->pdev->dev,
		.speer = &speer->pdev->dev, .speer2 = &speer2->pdev->dev,
		.size = (size_t)mib << 20, .rounds = rounds,
	};
	struct device *devs[4] = { b.owner, b.vpeer, b.speer, b.speer2 };
	size_t meta[EDU_BENCH_N] = {}, n = 0;
	u64 ns[EDU_BENCH_N] = {};
	struct vcm_phys *phys;
	int i, ret = 0;

	for (i = 0; i < 4; i++)
		dma_set_mask_and_coherent(devs[i], DMA_BIT_MASK(32));
	b.cpu = dma_alloc_coherent(b.owner, b.size, &b.dma, GFP_KERNEL);
	b.scpu = dma_alloc_coherent(b.speer, b.size, &b.sdma, GFP_KERNEL);
	if (!b.cpu || !b.scpu) {
		ret = edu_fail(edu, "benchmark buffer", -ENOMEM);
		goto free;
	}
	phys = vcm_phys_from_dma(b.owner, b.dma);
	if (IS_ERR(phys)) {
		ret = edu_fail(edu, "vcm_phys_from_dma", PTR_ERR(phys));
		goto free;
	}
	for (i = 0; i < EDU_BENCH_N && !ret; i++) {
		ret = edu_bench_run(&b, phys, i, &ns[i], &meta[i]);
		if (ret)
			edu_fail(edu, names[i], ret);
	}
	vcm_phys_put(phys);
	/* Where VCM maps, its reservation is metadata too. */
	meta[EDU_BENCH_API] += meta[EDU_BENCH_NATIVE];
	meta[EDU_BENCH_SGCOPY_VCM] += meta[EDU_BENCH_NATIVE];
	n = scnprintf(edu->share_result, sizeof(edu->share_result),
		      "size_mib=%u rounds=%u iommu=%d", mib, rounds,
		      device_iommu_mapped(b.vpeer));
	for (i = 0; i < EDU_BENCH_N; i++)
		n += scnprintf(edu->share_result + n,
			       sizeof(edu->share_result) - n,
			       " %s_ns=%llu %s_meta=%zu", names[i], ns[i],
			       names[i], meta[i]);
free:
	if (b.cpu)
		dma_free_coherent(b.owner, b.size, b.cpu, b.dma);
	if (b.scpu)
		dma_free_coherent(b.speer, b.size, b.scpu, b.sdma);
	for (i = 0; i < 4; i++)
		dma_set_mask_and_coherent(devs[i], DMA_BIT_MASK(EDU_DMA_BITS));
	return ret;
}

static ssize_t edu_sharebench_write(struct file *file,
				    const char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct edu *edu = file->private_data, *vpeer, *speer, *speer2;
	char cmd[128], vname[32], sname[32], sname2[32];
	unsigned int mib, rounds;
	int ret;

	ret = edu_get_cmd(cmd, sizeof(cmd), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(cmd, "%u %31s %31s %31s %u", &mib, vname, sname, sname2,
		   &rounds) != 5 || !mib || mib > 1024 || !rounds)
		return -EINVAL;
	vpeer = edu_find(vname);
	speer = edu_find(sname);
	speer2 = edu_find(sname2);
	ret = -ENODEV;
	if (vpeer && speer && speer2 && vpeer != edu && speer != edu &&
	    speer2 != edu && speer2 != speer) {
		mutex_lock(&edu->lock);
		edu->share_result[0] = 0;
		ret = edu_share_bench(edu, mib, vpeer, speer, speer2, rounds);
		mutex_unlock(&edu->lock);
	}
	if (vpeer)
		put_device(&vpeer->pdev->dev);
	if (speer)
		put_device(&speer->pdev->dev);
	if (speer2)
		put_device(&speer2->pdev->dev);
	return ret ?: count;
}

static const struct file_operations edu_sharebench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_sharebench_write,
	.read	= edu_share_read,
};

/*
 * The dma-buf way of sharing, measured like for like (make bench): this
 * device imports a dma-buf (from /dev/dma_heap/vcm or /dev/dma_heap/system,
 * whichever user space passes) @rounds times -- dma_buf_attach(),
 * dma_buf_map_attachment(), the CPU access bracket, unmap, detach -- timed
 * as one batch, one clock read at each end.  One more import is held
 * while its metadata is counted: the importer's scatterlist (entries, and
 * the bytes sg_alloc_table() takes for them) and the IOMMU page-table
 * pages its mapping added (NR_SECONDARY_PAGETABLE, where 6.12 accounts
 * them).  The exporter's own attachment struct is left out for both.
 */
static size_t edu_sg_bytes(unsigned int nents)
{
	if (nents <= SG_MAX_SINGLE_ALLOC)
		return kmalloc_size_roundup(nents * sizeof(struct scatterlist));
	return DIV_ROUND_UP(nents, SG_MAX_SINGLE_ALLOC - 1) * PAGE_SIZE;
}

static int edu_heap_import(struct device *dev, struct dma_buf *dmabuf,
			   struct dma_buf_attachment **att,
			   struct sg_table **sgt)
{
	*att = dma_buf_attach(dmabuf, dev);
	if (IS_ERR(*att))
		return PTR_ERR(*att);
	*sgt = dma_buf_map_attachment_unlocked(*att, DMA_BIDIRECTIONAL);
	if (IS_ERR(*sgt)) {
		dma_buf_detach(dmabuf, *att);
		return PTR_ERR(*sgt);
	}
	return 0;
}

static void edu_heap_release(struct dma_buf *dmabuf,
			     struct dma_buf_attachment *att,
			     struct sg_table *sgt)
{
	dma_buf_unmap_attachment_unlocked(att, sgt, DMA_BIDIRECTIONAL);
	dma_buf_detach(dmabuf, att);
}

static int edu_heap_bench(struct edu *edu, int fd, unsigned int rounds)
{
	struct device *dev = &edu->pdev->dev;
	struct dma_buf_attachment *att;
	struct dma_buf *dmabuf;
	unsigned int i, nents, segs;
	struct sg_table *sgt;
	long pt0, pt1;
	u64 t0, ns;
	int ret;

	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	/* No engine DMA happens: the buffer may lie above the 28 bits. */
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	ret = edu_heap_import(dev, dmabuf, &att, &sgt);
	if (ret)
		goto put;
	nents = sgt->orig_nents;
	segs = sgt->nents;
	/*
	 * The page-table pages of the mapping: what its (strict) unmap gives
	 * back.  A count taken around the map would also see pages that
	 * earlier unmaps freed meanwhile.
	 */
	pt0 = global_node_page_state(NR_SECONDARY_PAGETABLE);
	edu_heap_release(dmabuf, att, sgt);
	pt1 = global_node_page_state(NR_SECONDARY_PAGETABLE);

	t0 = ktime_get_ns();
	for (i = 0; i < rounds && !ret; i++) {
		ret = edu_heap_import(dev, dmabuf, &att, &sgt);
		if (ret)
			break;
		ret = dma_buf_begin_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
		if (!ret)
			ret = dma_buf_end_cpu_access(dmabuf, DMA_BIDIRECTIONAL);
		edu_heap_release(dmabuf, att, sgt);
	}
	ns = div_u64(ktime_get_ns() - t0, rounds);
	if (!ret)
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "size=%zu rounds=%u iommu=%d ns=%llu nents=%u segs=%u sg_bytes=%zu pt_pages=%ld",
			  dmabuf->size, rounds, device_iommu_mapped(dev), ns,
			  nents, segs, edu_sg_bytes(nents), pt0 - pt1);
put:
	dma_set_mask_and_coherent(dev, DMA_BIT_MASK(EDU_DMA_BITS));
	dma_buf_put(dmabuf);
	return ret;
}

static ssize_t edu_heapbench_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;
	unsigned int rounds;
	char cmd[32];
	int fd, ret;

	ret = edu_get_cmd(cmd, sizeof(cmd), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(cmd, "%d %u", &fd, &rounds) != 2 || !rounds)
		return -EINVAL;
	mutex_lock(&edu->lock);
	edu->share_result[0] = 0;
	ret = edu_heap_bench(edu, fd, rounds);
	if (ret)
		edu_fail(edu, "heap benchmark", ret);
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

static const struct file_operations edu_heapbench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_heapbench_write,
	.read	= edu_share_read,
};

/*
 * Fragment the page allocator's memory, for benchmarks of buffers made of
 * many chunks: order-1 blocks are taken until only @mib MiB are free, the
 * second page of each freed again and the first kept, so that the free
 * memory is lone pages, no buddy of which is free.  One kept page in
 * eight goes back then, so that order-1 requests (which the kernel makes)
 * still find blocks, and so do EDU_FRAG_SPARE blocks of order 3, set aside
 * before and freed after: the kernel stacks of new tasks are such blocks
 * where KASAN rules out vmalloc'd stacks, and a fork that finds none
 * calls the OOM killer.  (Order-0 requests take the lone pages first.)
 * Writing 0 gives the kept pages back.
 */
#define EDU_FRAG_SPARE	128
static LIST_HEAD(edu_fragments);
static DEFINE_MUTEX(edu_fragments_lock);	/* protects edu_fragments */

static ssize_t edu_fragment_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct page *page, *tmp;
	LIST_HEAD(spare);
	unsigned long i, n;
	unsigned int mib;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &mib);
	if (ret)
		return ret;
	n = (unsigned long)mib << (20 - PAGE_SHIFT);
	mutex_lock(&edu_fragments_lock);
	for (i = 0; mib && i < EDU_FRAG_SPARE; i++) {
		page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				   3);
		if (!page)
			break;
		list_add(&page->lru, &spare);
	}
	while (mib && global_zone_page_state(NR_FREE_PAGES) > n) {
		page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				   1);
		if (!page)
			break;
		split_page(page, 1);
		__free_page(page + 1);
		list_add(&page->lru, &edu_fragments);
	}
	/* All back (0), or one kept page in eight (see above). */
	i = 0;
	list_for_each_entry_safe(page, tmp, &edu_fragments, lru) {
		if (mib && i++ % 8)
			continue;
		list_del(&page->lru);
		__free_page(page);
	}
	list_for_each_entry_safe(page, tmp, &spare, lru) {
		list_del(&page->lru);
		__free_pages(page, 3);
	}
	mutex_unlock(&edu_fragments_lock);
	return count;
}

static const struct file_operations edu_fragment_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_fragment_write,
};

/*
 * The streaming hot path, at ns resolution: @pairs dma_map_page() +
 * dma_unmap_page() pairs of one page, timed in EDU_HOT_BATCHES batches
 * (one clock read per batch), with @live other mappings outstanding
 * meanwhile.  The best batch is the cost of the path itself (under TCG,
 * noise only ever adds), the median what a run sees.  Whatever backend
 * serves the device is measured: the benchmark toggles the device between
 * VCM and its stock backend (vcm.exclude= and a rebind), so both run on
 * the same device.  The device gets a 32-bit mask for the run, so that no
 * mapping bounces; no engine DMA happens.
 *
 * Two more workloads, on pages drawn at random from a pool of
 * EDU_HOT_POOL (as a driver's buffers are, not one hot page):
 *
 *   random  @live mappings outstanding; each pair unmaps one of them,
 *           chosen at random, and maps a random page of the pool in its
 *           place (ns per pair)
 *   ring    @live pages mapped one after the other, then unmapped in the
 *           same order, as a ring of receive buffers is filled and
 *           drained: the maps and the unmaps timed apart (one clock read
 *           at each end and one between), ns per map and per unmap
 */
#define EDU_HOT_BATCHES	9
#define EDU_HOT_POOL	4096

enum edu_hot_mode { EDU_HOT_ONE, EDU_HOT_RANDOM, EDU_HOT_RING };

/* What a batch of the hot-path benchmark works on. */
struct edu_hot {
	struct device *dev;
	struct page *page;
	/* random and ring: */
	struct page **pool;		/* EDU_HOT_POOL pages */
	dma_addr_t *slot;		/* the outstanding mappings ... */
	struct page **slot_page;	/* ... and their pages */
	unsigned int nr_slots;
	u16 *rnd;			/* two random numbers per pair */
	u64 split;			/* ring: the clock between the halves */
	/* edu_hot_iommu_batch() only: */
	struct iommu_domain *domain;
	dma_addr_t addr;
	int prot;
};

static int edu_hot_batch(struct edu_hot *h, unsigned int pairs)
{
	unsigned int i;
	dma_addr_t addr;

	for (i = 0; i < pairs; i++) {
		addr = dma_map_page(h->dev, h->page, 0, PAGE_SIZE,
				    DMA_TO_DEVICE);
		if (dma_mapping_error(h->dev, addr))
			return -EIO;
		dma_unmap_page(h->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	}
	return 0;
}

static dma_addr_t edu_hot_map(struct edu_hot *h, struct page *page)
{
	return dma_map_page(h->dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
}

static void edu_hot_unmap(struct edu_hot *h, dma_addr_t addr)
{
	dma_unmap_page(h->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
}

/* A random slot out of the outstanding mappings takes a random page. */
static int edu_hot_random_batch(struct edu_hot *h, unsigned int pairs)
{
	unsigned int i, k;

	for (i = 0; i < pairs; i++) {
		k = h->rnd[2 * i] % h->nr_slots;
		edu_hot_unmap(h, h->slot[k]);
		h->slot_page[k] = h->pool[h->rnd[2 * i + 1] % EDU_HOT_POOL];
		h->slot[k] = edu_hot_map(h, h->slot_page[k]);
		if (dma_mapping_error(h->dev, h->slot[k])) {
			h->slot_page[k] = NULL;
			return -EIO;
		}
	}
	return 0;
}

/* The ring filled with random pages of the pool, then drained in order. */
static int edu_hot_ring_batch(struct edu_hot *h, unsigned int pairs)
{
	unsigned int i;

	for (i = 0; i < h->nr_slots; i++) {
		h->slot[i] = edu_hot_map(h, h->pool[h->rnd[i] % EDU_HOT_POOL]);
		if (dma_mapping_error(h->dev, h->slot[i])) {
			while (i--)
				edu_hot_unmap(h, h->slot[i]);
			return -EIO;
		}
	}
	h->split = ktime_get_ns();
	for (i = 0; i < h->nr_slots; i++)
		edu_hot_unmap(h, h->slot[i]);
	return 0;
}

static int edu_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * edu_hot_time() - run @batch of @per pairs once untimed (caches and
 * TCG's translations warm), then EDU_HOT_BATCHES times with one clock
 * read around each; the median and the best batch, in ns per pair.  A
 * batch that reads the clock between its two halves (h->split) gets
 * each half's median and best: [0] the first, [1] the second.
 */
static int edu_hot_time(int (*batch)(struct edu_hot *h, unsigned int pairs),
			struct edu_hot *h, unsigned int per, u64 median[2],
			u64 best[2])
{
	u64 ns[2][EDU_HOT_BATCHES], t0, t1;
	unsigned int i, k;
	int ret;

	ret = batch(h, per);
	for (i = 0; !ret && i < EDU_HOT_BATCHES; i++) {
		h->split = 0;
		t0 = ktime_get_ns();
		ret = batch(h, per);
		t1 = ktime_get_ns();
		ns[0][i] = (h->split ?: t1) - t0;
		ns[1][i] = h->split ? t1 - h->split : 0;
	}
	if (ret)
		return ret;
	for (k = 0; k < 2; k++) {
		sort(ns[k], EDU_HOT_BATCHES, sizeof(u64), edu_cmp_u64, NULL);
		median[k] = div_u64(ns[k][EDU_HOT_BATCHES / 2], per);
		best[k] = div_u64(ns[k][0], per);
	}
	return 0;
}

/*
 * The IOMMU driver's own share of a pair: the page mapped at @addr (by the
 * DMA API, so that no one else uses that IOVA meanwhile) is unmapped and
 * mapped again at the same place with iommu_unmap() (clear, and the IOTLB
 * flush a strict unmap makes) and iommu_map(), @pairs times.  What the DMA
 * API's pair costs beyond this is the DMA layer's: allocating the IOVA,
 * the entry points, bookkeeping.  Leaves the mapping as it found it, or
 * returns -ENOMEM if the page could not be mapped back (-EIO: the unmap
 * failed, nothing changed).
 */
static int edu_hot_iommu_batch(struct edu_hot *h, unsigned int pairs)
{
	phys_addr_t phys = page_to_phys(h->page);
	unsigned int i;

	for (i = 0; i < pairs; i++) {
		if (iommu_unmap(h->domain, h->addr, PAGE_SIZE) != PAGE_SIZE)
			return -EIO;
		if (iommu_map(h->domain, h->addr, phys, PAGE_SIZE, h->prot,
			      GFP_KERNEL) &&
		    iommu_map(h->domain, h->addr, phys, PAGE_SIZE, h->prot,
			      GFP_KERNEL))
			return -ENOMEM;
	}
	return 0;
}

/*
 * edu_hot_iommu() - median and best batch of edu_hot_iommu_batch(), in
 * ns per pair, for a device behind a translating IOMMU; 0 and 0 else.
 * Should the page not be mapped back at its IOVA, the DMA mapping is left
 * held, and the page with it (an extra reference): unmapping an IOVA that
 * the page tables no longer hold would look like a driver's double unmap
 * to the DMA layer.
 */
static int edu_hot_iommu(struct device *dev, struct page *page,
			 unsigned int per, u64 *median, u64 *best)
{
	struct edu_hot h = {
		.dev = dev, .page = page,
		.domain = iommu_get_domain_for_dev(dev),
		/* As the DMA API maps DMA_TO_DEVICE (dma_info_to_prot()). */
		.prot = IOMMU_READ |
			(dev_is_dma_coherent(dev) ? IOMMU_CACHE : 0),
	};
	u64 m[2], b[2];
	int ret;

	*median = *best = 0;
	if (!h.domain || !(h.domain->type & __IOMMU_DOMAIN_PAGING))
		return 0;
	h.addr = dma_map_page(dev, page, 0, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, h.addr))
		return -EIO;
	ret = edu_hot_time(edu_hot_iommu_batch, &h, per, m, b);
	*median = m[0];
	*best = b[0];
	if (ret == -ENOMEM) {
		get_page(page);
		dev_err(dev, "hot bench: IOVA %pad lost its page (iommu_map() failed twice); mapping and page left held\n",
			&h.addr);
		return ret;
	}
	dma_unmap_page(dev, h.addr, PAGE_SIZE, DMA_TO_DEVICE);
	return ret;
}

static void edu_hot_pool_free(struct edu_hot *h)
{
	unsigned int i;

	for (i = 0; h->pool && i < EDU_HOT_POOL && h->pool[i]; i++)
		__free_page(h->pool[i]);
	kfree(h->pool);
	kfree(h->slot);
	kfree(h->slot_page);
	kfree(h->rnd);
}

/*
 * The pool of the random and ring workloads, @slots outstanding mappings
 * and @nr_rnd random numbers; the random workload's slots are mapped.
 */
static int edu_hot_pool(struct edu_hot *h, unsigned int slots,
			unsigned int nr_rnd, bool map)
{
	unsigned int i;

	h->pool = kcalloc(EDU_HOT_POOL, sizeof(*h->pool), GFP_KERNEL);
	h->slot = kcalloc(slots, sizeof(*h->slot), GFP_KERNEL);
	h->slot_page = kcalloc(slots, sizeof(*h->slot_page), GFP_KERNEL);
	h->rnd = kcalloc(nr_rnd, sizeof(*h->rnd), GFP_KERNEL);
	if (!h->pool || !h->slot || !h->slot_page || !h->rnd)
		return -ENOMEM;
	for (i = 0; i < EDU_HOT_POOL; i++) {
		h->pool[i] = alloc_page(GFP_KERNEL);
		if (!h->pool[i])
			return -ENOMEM;
	}
	get_random_bytes(h->rnd, nr_rnd * sizeof(*h->rnd));
	h->nr_slots = slots;
	for (i = 0; map && i < slots; i++) {
		h->slot_page[i] = h->pool[get_random_u32_below(EDU_HOT_POOL)];
		h->slot[i] = edu_hot_map(h, h->slot_page[i]);
		if (dma_mapping_error(h->dev, h->slot[i])) {
			h->slot_page[i] = NULL;
			return -EIO;
		}
	}
	return 0;
}

/* Unmap what the random workload left mapped. */
static void edu_hot_pool_unmap(struct edu_hot *h)
{
	unsigned int i;

	for (i = 0; h->slot_page && i < h->nr_slots; i++)
		if (h->slot_page[i])
			edu_hot_unmap(h, h->slot[i]);
}

static int edu_hot_pooled(struct edu *edu, enum edu_hot_mode mode,
			  unsigned int per, unsigned int live)
{
	struct edu_hot h = { .dev = &edu->pdev->dev };
	bool ring = mode == EDU_HOT_RING;
	u64 ns[2] = {}, best[2] = {};
	int ret;

	ret = edu_hot_pool(&h, live, ring ? live : 2 * per, !ring);
	if (!ret)
		ret = edu_hot_time(ring ? edu_hot_ring_batch :
				   edu_hot_random_batch, &h, ring ? live : per,
				   ns, best);
	if (!ring)
		edu_hot_pool_unmap(&h);
	edu_hot_pool_free(&h);
	if (ring)
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "backend=%s mode=ring live=%u batches=%u map_ns=%llu map_best_ns=%llu unmap_ns=%llu unmap_best_ns=%llu ok=%d",
			  dev_is_vcm(h.dev) ? "vcm" : "stock", live,
			  EDU_HOT_BATCHES, ns[0], best[0], ns[1], best[1],
			  !ret);
	else
		scnprintf(edu->share_result, sizeof(edu->share_result),
			  "backend=%s mode=random live=%u pairs=%u ns_per_pair=%llu best_ns=%llu ok=%d",
			  dev_is_vcm(h.dev) ? "vcm" : "stock", live,
			  per * EDU_HOT_BATCHES, ns[0], best[0], !ret);
	return ret;
}

static int edu_hot_bench(struct edu *edu, unsigned int pairs,
			 unsigned int live, enum edu_hot_mode mode)
{
	unsigned int n = 0, per = max(pairs / EDU_HOT_BATCHES, 1U);
	struct device *dev = &edu->pdev->dev;
	u64 ns[2] = {}, best[2] = {}, iommu_ns = 0, iommu_best = 0;
	struct page *page, **held;
	struct edu_hot h;
	dma_addr_t *held_dma;
	int ret = -ENOMEM;

	if (mode != EDU_HOT_ONE) {
		dma_set_mask(dev, DMA_BIT_MASK(32));
		ret = edu_hot_pooled(edu, mode, per, live);
		dma_set_mask(dev, DMA_BIT_MASK(EDU_DMA_BITS));
		return ret;
	}
	held = kcalloc(live, sizeof(*held), GFP_KERNEL);
	held_dma = kcalloc(live, sizeof(*held_dma), GFP_KERNEL);
	page = alloc_page(GFP_KERNEL);
	if ((live && (!held || !held_dma)) || !page)
		goto out;
	dma_set_mask(dev, DMA_BIT_MASK(32));
	for (n = 0; n < live; n++) {
		held[n] = alloc_page(GFP_KERNEL);
		if (!held[n])
			goto unmap;
		held_dma[n] = dma_map_page(dev, held[n], 0, PAGE_SIZE,
					   DMA_TO_DEVICE);
		if (dma_mapping_error(dev, held_dma[n])) {
			__free_page(held[n]);
			goto unmap;
		}
	}
	h = (struct edu_hot){ .dev = dev, .page = page };
	ret = edu_hot_time(edu_hot_batch, &h, per, ns, best);
	if (!ret)
		ret = edu_hot_iommu(dev, page, per, &iommu_ns, &iommu_best);
	scnprintf(edu->share_result, sizeof(edu->share_result),
		  "backend=%s mode=one live=%u pairs=%u ns_per_pair=%llu best_ns=%llu iommu_ns=%llu iommu_best_ns=%llu ok=%d",
		  dev_is_vcm(dev) ? "vcm" : "stock", live,
		  per * EDU_HOT_BATCHES, ns[0], best[0], iommu_ns, iommu_best,
		  !ret);
unmap:
	while (n--) {
		dma_unmap_page(dev, held_dma[n], PAGE_SIZE, DMA_TO_DEVICE);
		__free_page(held[n]);
	}
	dma_set_mask(dev, DMA_BIT_MASK(EDU_DMA_BITS));
out:
	if (page)
		__free_page(page);
	kfree(held_dma);
	kfree(held);
	return ret;
}

static ssize_t edu_hotbench_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	static const char * const modes[] = {
		[EDU_HOT_ONE] = "one", [EDU_HOT_RANDOM] = "random",
		[EDU_HOT_RING] = "ring",
	};
	struct edu *edu = file->private_data;
	unsigned int pairs, live;
	char cmd[40], mode[8] = "one";
	int ret, m;

	ret = edu_get_cmd(cmd, sizeof(cmd), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(cmd, "%u %u %7s", &pairs, &live, mode) < 2 || !pairs ||
	    live > 65536)
		return -EINVAL;
	m = match_string(modes, ARRAY_SIZE(modes), mode);
	if (m < 0 || (m != EDU_HOT_ONE && !live))
		return -EINVAL;
	mutex_lock(&edu->lock);
	edu->share_result[0] = 0;
	ret = edu_hot_bench(edu, pairs, live, m);
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

static const struct file_operations edu_hotbench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_hotbench_write,
	.read	= edu_share_read,
};

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
	struct edu *edu = file->private_data;
	char cmd[64];
	int ret;

	ret = edu_get_cmd(cmd, sizeof(cmd), ubuf, count);
	if (ret)
		return ret;
	mutex_lock(&edu->lock);
	ret = edu_share(edu, strim(cmd));
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

static ssize_t edu_share_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
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

static const struct file_operations edu_share_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_share_write,
	.read	= edu_share_read,
};

static void edu_free_sgt(void *data)
{
	struct sg_table *sgt = data;
	struct scatterlist *s;
	int i;

	for_each_sgtable_sg(sgt, s, i)
		if (sg_page(s))
			__free_page(sg_page(s));
	sg_free_table(sgt);
	kfree(sgt);
}

/*
 * Behave like a buggy driver, for the device removal test: map a page and
 * a two-page scatterlist for streaming DMA and allocate a coherent buffer,
 * and never undo any of it.  The memory of the list (pages and table) is
 * freed with the driver's managed resources, as a driver's would be;
 * whoever serves the device's DMA must tear down the mappings themselves
 * when the driver is gone.  The mappings are DMA_TO_DEVICE and nothing
 * ever runs a DMA with them.  "sg" leaks the list alone (where every
 * mapping bounces, its swiotlb slots must come back at the unbind).
 */
static int edu_leak(struct edu *edu, bool sg_only)
{
	struct device *dev = &edu->pdev->dev;
	struct sg_table *sgt;
	struct scatterlist *s;
	dma_addr_t handle;
	int i, ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return -ENOMEM;
	ret = sg_alloc_table(sgt, 2, GFP_KERNEL);
	if (ret) {
		kfree(sgt);
		return ret;
	}
	for_each_sgtable_sg(sgt, s, i) {
		struct page *page = alloc_page(GFP_KERNEL | GFP_DMA);

		if (!page) {
			edu_free_sgt(sgt);
			return -ENOMEM;
		}
		sg_set_page(s, page, PAGE_SIZE, 0);
	}
	ret = devm_add_action_or_reset(dev, edu_free_sgt, sgt);
	if (ret)
		return ret;
	ret = dma_map_sgtable(dev, sgt, DMA_TO_DEVICE, 0);
	if (ret || sg_only)
		return ret;
	handle = dma_map_page(dev, sg_page(sgt->sgl), 0, PAGE_SIZE,
			      DMA_TO_DEVICE);
	if (dma_mapping_error(dev, handle))
		return -ENOMEM;
	if (!dma_alloc_coherent(dev, PAGE_SIZE, &handle, GFP_KERNEL))
		return -ENOMEM;
	dev_info(dev, "left 3 DMA objects mapped, on purpose\n");
	return 0;
}

static ssize_t edu_leak_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;
	char cmd[8];
	int ret;

	ret = edu_get_cmd(cmd, sizeof(cmd), ubuf, count);
	if (ret)
		return ret;
	mutex_lock(&edu->lock);
	ret = edu_leak(edu, sysfs_streq(cmd, "sg"));
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

static const struct file_operations edu_leak_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_leak_write,
};

/* User space sees the coherent buffer through the DMA API's mmap. */
static int edu_coherent_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct edu *edu = file->private_data;
	u8 *buf = edu->coh;
	int i, ret;

	if (vma->vm_end - vma->vm_start > PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&edu->lock);
	for (i = 0; i < EDU_MAX_XFER; i++)
		buf[i] = 7 * i + 3;
	ret = dma_mmap_coherent(&edu->pdev->dev, vma, edu->coh, edu->coh_dma,
				EDU_MAX_XFER);
	mutex_unlock(&edu->lock);
	return ret;
}

static const struct file_operations edu_coherent_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.mmap	= edu_coherent_mmap,
};

static const struct file_operations edu_isolation_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= edu_isolation_read,
	.write	= edu_isolation_write,
};

static ssize_t edu_run_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;
	unsigned int n, i;
	size_t len;
	u8 *ref;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &n);
	if (ret)
		return ret;
	ref = kmalloc(EDU_MAX_XFER, GFP_KERNEL);
	if (!ref)
		return -ENOMEM;

	mutex_lock(&edu->lock);
	for (i = 0; i < n; i++) {
		len = get_random_u32_inclusive(1, EDU_MAX_XFER);
		edu->rounds++;
		if (edu_round_coherent(edu, ref, len))
			edu->failed++;
		else
			edu->coherent_ok++;
		if (edu_round_streaming(edu, ref, len))
			edu->failed++;
		else
			edu->streaming_ok++;
	}
	mutex_unlock(&edu->lock);
	kfree(ref);
	return count;
}

static const struct file_operations edu_run_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_run_write,
};

static int edu_result_show(struct seq_file *m, void *v)
{
	struct edu *edu = m->private;

	mutex_lock(&edu->lock);
	seq_printf(m, "rounds=%lu coherent_ok=%lu streaming_ok=%lu failed=%lu corrupt=%lu",
		   edu->rounds, edu->coherent_ok, edu->streaming_ok,
		   edu->failed, edu->corrupt);
	if (edu->last_error[0])
		seq_printf(m, " last_error=\"%s\"", edu->last_error);
	seq_putc(m, '\n');
	mutex_unlock(&edu->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_result);

/*
 * Allocations in atomic context, as xhci and ehci make them (dma_pool_alloc()
 * with GFP_ATOMIC from their interrupt paths): made under a spinlock, with
 * the caller's gfp.  Whatever backend serves the device must not sleep on
 * the way, page tables included; CONFIG_DEBUG_ATOMIC_SLEEP reports it if
 * it does.  Each buffer then carries a DMA round trip, checked.
 */
static DEFINE_SPINLOCK(edu_atomic_lock);

static int edu_check_buffer(struct edu *edu, u8 *cpu, dma_addr_t handle,
			    size_t len)
{
	u8 *ref = kmalloc(len, GFP_KERNEL);
	int ret;

	if (!ref)
		return -ENOMEM;
	get_random_bytes(ref, len);
	memcpy(cpu, ref, len);
	ret = edu_dma(edu, handle, len, false);
	if (!ret) {
		memset(cpu, 0, len);
		ret = edu_dma(edu, handle, len, true);
	}
	if (!ret)
		ret = edu_compare(edu, "atomic", cpu, ref, len);
	kfree(ref);
	return ret;
}

static int edu_atomic_coherent(struct edu *edu, size_t size)
{
	struct device *dev = &edu->pdev->dev;
	dma_addr_t handle;
	u8 *cpu;
	int ret;

	spin_lock(&edu_atomic_lock);
	cpu = dma_alloc_coherent(dev, size, &handle, GFP_ATOMIC);
	spin_unlock(&edu_atomic_lock);
	if (!cpu)
		return edu_fail(edu, "atomic coherent allocation", -ENOMEM);
	ret = edu_check_buffer(edu, cpu, handle,
			       min_t(size_t, size, EDU_MAX_XFER));
	dma_free_coherent(dev, size, cpu, handle);
	return ret;
}

static int edu_atomic_pool(struct edu *edu)
{
	struct device *dev = &edu->pdev->dev;
	struct dma_pool *pool;
	dma_addr_t handle;
	int ret = -ENOMEM;
	u8 *cpu;

	pool = dma_pool_create("vcm-edu-atomic", dev, 512, 64, 0);
	if (!pool)
		return edu_fail(edu, "dma_pool_create", -ENOMEM);
	spin_lock(&edu_atomic_lock);
	cpu = dma_pool_alloc(pool, GFP_ATOMIC, &handle);
	spin_unlock(&edu_atomic_lock);
	if (cpu) {
		ret = edu_check_buffer(edu, cpu, handle, 512);
		dma_pool_free(pool, cpu, handle);
	} else {
		edu_fail(edu, "atomic dma_pool_alloc", ret);
	}
	dma_pool_destroy(pool);
	return ret;
}

static ssize_t edu_atomic_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;
	unsigned int n, i;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 0, &n);
	if (ret)
		return ret;
	mutex_lock(&edu->lock);
	for (i = 0; i < n; i++) {
		if (edu_atomic_coherent(edu, PAGE_SIZE) ||
		    edu_atomic_coherent(edu, SZ_64K) || edu_atomic_pool(edu))
			edu->atomic_failed++;
		else
			edu->atomic_ok++;
	}
	mutex_unlock(&edu->lock);
	return count;
}

static ssize_t edu_atomic_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;
	char out[64];
	size_t n;

	mutex_lock(&edu->lock);
	n = scnprintf(out, sizeof(out), "atomic_ok=%lu atomic_failed=%lu\n",
		      edu->atomic_ok, edu->atomic_failed);
	mutex_unlock(&edu->lock);
	return simple_read_from_buffer(ubuf, count, ppos, out, n);
}

static const struct file_operations edu_atomic_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= edu_atomic_read,
	.write	= edu_atomic_write,
};

/*
 * A platform device for the life cycle that PCI never shows: device_del()
 * of a platform device tells the bus BUS_NOTIFY_DEL_DEVICE while the driver
 * is still bound, and only then unbinds it.  The driver maps and allocates
 * at probe, and gives everything back at remove() (and devres, after it),
 * through whichever backend served it at probe: that backend must still
 * serve it then.
 */
struct edu_plat {
	const struct dma_map_ops *ops;	/* get_dma_ops() at probe */
	void *coh;
	dma_addr_t coh_dma;
	void *buf;
	dma_addr_t buf_dma;
	struct scatterlist sg[2];
	struct page *pages[2];
};

static DEFINE_MUTEX(edu_plat_lock);	/* the device and the result */
static struct platform_device *edu_plat_dev;
static char edu_plat_result[160];

static __printf(1, 2) void edu_plat_say(const char *fmt, ...)
{
	size_t n = strlen(edu_plat_result);
	va_list args;

	va_start(args, fmt);
	vscnprintf(edu_plat_result + n, sizeof(edu_plat_result) - n, fmt,
		   args);
	va_end(args);
}

static int edu_plat_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct edu_plat *p;
	dma_addr_t managed;
	int i, n, ret;

	p = devm_kzalloc(dev, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
	if (ret)
		return ret;
	p->ops = get_dma_ops(dev);
	if (!dmam_alloc_coherent(dev, PAGE_SIZE, &managed, GFP_KERNEL))
		return -ENOMEM;
	p->coh = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &p->coh_dma,
				    GFP_KERNEL);
	if (!p->coh)
		return -ENOMEM;
	p->buf = devm_kzalloc(dev, 512, GFP_KERNEL);
	if (!p->buf)
		goto err_coh;
	p->buf_dma = dma_map_single(dev, p->buf, 512, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, p->buf_dma))
		goto err_coh;
	sg_init_table(p->sg, 2);
	for (i = 0; i < 2; i++) {
		p->pages[i] = alloc_page(GFP_KERNEL);
		if (!p->pages[i])
			goto err_pages;
		sg_set_page(&p->sg[i], p->pages[i], PAGE_SIZE, 0);
	}
	n = dma_map_sg(dev, p->sg, 2, DMA_FROM_DEVICE);
	if (!n)
		goto err_pages;
	platform_set_drvdata(pdev, p);
	edu_plat_say("probe: ops=%s", p->ops ? "dma_map_ops" : "direct");
	return 0;

err_pages:
	while (i--)
		__free_page(p->pages[i]);
	dma_unmap_single(dev, p->buf_dma, 512, DMA_TO_DEVICE);
err_coh:
	dma_free_coherent(dev, 2 * PAGE_SIZE, p->coh, p->coh_dma);
	return -ENOMEM;
}

static void edu_plat_remove(struct platform_device *pdev)
{
	struct edu_plat *p = platform_get_drvdata(pdev);
	struct device *dev = &pdev->dev;
	int i;

	edu_plat_say(" remove: same_backend=%d bound=%d",
		     get_dma_ops(dev) == p->ops, !!dev->driver);
	dma_unmap_sg(dev, p->sg, 2, DMA_FROM_DEVICE);
	for (i = 0; i < 2; i++)
		__free_page(p->pages[i]);
	dma_unmap_single(dev, p->buf_dma, 512, DMA_TO_DEVICE);
	dma_free_coherent(dev, 2 * PAGE_SIZE, p->coh, p->coh_dma);
}

static struct platform_driver edu_plat_driver = {
	.driver.name	= "vcm-edu-plat",
	.probe		= edu_plat_probe,
	.remove		= edu_plat_remove,
};

static int edu_plat_add(void)
{
	struct platform_device_info info = {
		.name = "vcm-edu-plat",
		.id = PLATFORM_DEVID_NONE,
		.dma_mask = DMA_BIT_MASK(32),
	};
	struct platform_device *pdev;

	if (edu_plat_dev)
		return -EBUSY;
	edu_plat_result[0] = 0;
	pdev = platform_device_register_full(&info);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	edu_plat_dev = pdev;
	return 0;
}

static ssize_t edu_plat_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char cmd[8];
	int ret;

	ret = edu_get_cmd(cmd, sizeof(cmd), ubuf, count);
	if (ret)
		return ret;
	ret = -EINVAL;
	mutex_lock(&edu_plat_lock);
	if (sysfs_streq(cmd, "add")) {
		ret = edu_plat_add();
	} else if (sysfs_streq(cmd, "remove") && edu_plat_dev) {
		/* Bound or not, as device_del() finds it. */
		platform_device_unregister(edu_plat_dev);
		edu_plat_dev = NULL;
		ret = 0;
	}
	mutex_unlock(&edu_plat_lock);
	return ret ?: count;
}

static ssize_t edu_plat_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char out[sizeof(edu_plat_result) + 1];
	size_t n;

	mutex_lock(&edu_plat_lock);
	n = scnprintf(out, sizeof(out), "%s\n", edu_plat_result);
	mutex_unlock(&edu_plat_lock);
	return simple_read_from_buffer(ubuf, count, ppos, out, n);
}

static const struct file_operations edu_plat_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= edu_plat_read,
	.write	= edu_plat_write,
};

static struct dentry *edu_debugfs_root;

/* The device whose next probe defers (edu_defer_lock). */
static char edu_defer_name[32];
static DEFINE_SPINLOCK(edu_defer_lock);

static ssize_t edu_defer_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char name[sizeof(edu_defer_name)];
	ssize_t len;

	len = strncpy_from_user(name, ubuf, min(count, sizeof(name) - 1));
	if (len < 0)
		return len;
	name[len] = 0;
	spin_lock(&edu_defer_lock);
	strscpy(edu_defer_name, strim(name), sizeof(edu_defer_name));
	spin_unlock(&edu_defer_lock);
	return count;
}

static const struct file_operations edu_defer_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_defer_write,
};

/* Should this probe defer?  Each request defers one probe. */
static bool edu_defer_once(struct pci_dev *pdev)
{
	bool defer;

	spin_lock(&edu_defer_lock);
	defer = !strcmp(edu_defer_name, pci_name(pdev));
	if (defer)
		edu_defer_name[0] = 0;
	spin_unlock(&edu_defer_lock);
	return defer;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct edu *edu;
	int ret;

	edu = devm_kzalloc(dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	mutex_init(&edu->lock);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), "vcm-edu");
	if (ret)
		return ret;
	edu->regs = pcim_iomap_table(pdev)[0];
	pci_set_master(pdev);

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (ret)
		return dev_err_probe(dev, ret, "no usable DMA mask\n");
	edu->coh = dmam_alloc_coherent(dev, EDU_MAX_XFER, &edu->coh_dma,
				       GFP_KERNEL);
	if (!edu->coh)
		return -ENOMEM;
	/* A probe that defers late, with managed DMA memory to give back. */
	if (edu_defer_once(pdev))
		return dev_err_probe(dev, -EPROBE_DEFER,
				     "deferring this probe, as asked\n");

	edu->dir = debugfs_create_dir(pci_name(pdev), edu_debugfs_root);
	debugfs_create_file("run", 0200, edu->dir, edu, &edu_run_fops);
	debugfs_create_file("result", 0400, edu->dir, edu, &edu_result_fops);
	debugfs_create_file("isolation", 0600, edu->dir, edu,
			    &edu_isolation_fops);
	debugfs_create_file("pgsizes", 0600, edu->dir, edu, &edu_pgsizes_fops);
	debugfs_create_file("leak", 0200, edu->dir, edu, &edu_leak_fops);
	debugfs_create_file("atomic", 0600, edu->dir, edu, &edu_atomic_fops);
	debugfs_create_file("share", 0600, edu->dir, edu, &edu_share_fops);
	debugfs_create_file("heapbench", 0600, edu->dir, edu,
			    &edu_heapbench_fops);
	debugfs_create_file("sharebench", 0600, edu->dir, edu,
			    &edu_sharebench_fops);
	debugfs_create_file("hotbench", 0600, edu->dir, edu,
			    &edu_hotbench_fops);
	/*
	 * debugfs' protecting proxy has no mmap; this test file does without
	 * it (the driver must not be unbound while the buffer is mapped).
	 */
	debugfs_create_file_unsafe("coherent", 0400, edu->dir, edu,
				   &edu_coherent_fops);
	pci_set_drvdata(pdev, edu);
	dev_info(dev, "edu %#x, coherent buffer at %pad\n",
		 readl(edu->regs + EDU_REG_IDENT), &edu->coh_dma);
	return 0;
}

static void edu_remove(struct pci_dev *pdev)
{
	struct edu *edu = pci_get_drvdata(pdev);

	debugfs_remove_recursive(edu->dir);
	edu_pgsizes_free(edu);
	if (edu->share)
		edu_share_end(edu);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= "vcm-edu",
	.id_table	= edu_ids,
	.probe		= edu_probe,
	.remove		= edu_remove,
};

static int __init edu_init(void)
{
	int ret;

	edu_debugfs_root = debugfs_create_dir("vcm-edu", NULL);
	debugfs_create_file("fragment", 0200, edu_debugfs_root, NULL,
			    &edu_fragment_fops);
	debugfs_create_file("defer", 0200, edu_debugfs_root, NULL,
			    &edu_defer_fops);
	debugfs_create_file("platform", 0600, edu_debugfs_root, NULL,
			    &edu_plat_fops);
	ret = platform_driver_register(&edu_plat_driver);
	if (ret)
		return ret;
	ret = pci_register_driver(&edu_driver);
	if (ret)
		platform_driver_unregister(&edu_plat_driver);
	return ret;
}
module_init(edu_init);

static void __exit edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
	platform_driver_unregister(&edu_plat_driver);
	debugfs_remove_recursive(edu_debugfs_root);
}
module_exit(edu_exit);

MODULE_DESCRIPTION("DMA test driver for QEMU's edu device");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
