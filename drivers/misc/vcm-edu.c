// SPDX-License-Identifier: GPL-2.0
/*
 * DMA test driver for QEMU's "edu" educational PCI device (1234:11e8).
 * This file drives the device; sharing, the benchmarks and a platform
 * device are in vcm-edu-share.c, vcm-edu-bench.c and vcm-edu-plat.c
 * (vcm-edu.h says what they share).
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
 *   /sys/kernel/debug/vcm-edu/<device>/wc         a write-combining buffer,
 *                                                 checked by DMA and mapped
 *                                                 to user space (see
 *                                                 vcm-edu-wc.c)
 *   /sys/kernel/debug/vcm-edu/<device>/wcbench    time typed allocations
 *                                                 (vcm-edu-wc.c)
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
 *   /sys/kernel/debug/vcm-edu/<device>/heapbench  write "<fd> <rounds>
 *                                                 <max segment, 0: the
 *                                                 device's> [<first
 *                                                 importer>]":
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
#include "vcm-edu.h"

#define EDU_REG_IDENT		0x00
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_START		BIT(0)
#define EDU_CMD_TO_RAM		BIT(1)
#define EDU_BUF_ADDR		0x40000

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
int edu_dma_at(struct edu *edu, dma_addr_t ram, size_t at, size_t len,
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
int edu_dma(struct edu *edu, dma_addr_t ram, size_t len, bool to_ram)
{
	return edu_dma_at(edu, ram, 0, len, to_ram);
}

int edu_fail(struct edu *edu, const char *what, int err)
{
	snprintf(edu->last_error, sizeof(edu->last_error), "%s: %d", what,
		 err);
	dev_err(&edu->pdev->dev, "%s failed: %d\n", what, err);
	return err;
}

int edu_compare(struct edu *edu, const char *what, const u8 *got,
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

/*
 * One streaming DMA of @len bytes between @buf and the device's buffer:
 * to the device, or back to RAM (@to_ram), mapped for just that.
 */
static int edu_stream(struct edu *edu, void *buf, size_t len, bool to_ram)
{
	enum dma_data_direction dir = to_ram ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
	struct device *dev = &edu->pdev->dev;
	dma_addr_t addr;
	int ret;

	addr = dma_map_single(dev, buf, len, dir);
	ret = dma_mapping_error(dev, addr);
	if (ret)
		return edu_fail(edu, to_ram ? "map from device" :
				"map to device", ret);
	ret = edu_dma(edu, addr, len, to_ram);
	dma_unmap_single(dev, addr, len, dir);
	if (ret)
		return edu_fail(edu, to_ram ? "streaming to RAM" :
				"streaming to device", ret);
	return 0;
}

static int edu_round_streaming(struct edu *edu, u8 *ref, size_t len)
{
	u8 *src, *dst;
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

	ret = edu_stream(edu, src, len, false) ?:
	      edu_stream(edu, dst, len, true) ?:
	      edu_compare(edu, "streaming", dst, ref, len);
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
struct edu *edu_find(const char *name)
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
struct page *edu_sgt_page(struct sg_table *sgt, size_t off)
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

	edu->isolation[0] = 0;
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
int edu_get_cmd(char *buf, size_t size, const char __user *ubuf,
		size_t count)
{
	if (count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	return 0;
}

/**
 * edu_write_cmd() - what every command file of the device does on a write
 * @file: the debugfs file, whose private data is the device
 * @ubuf: the command, from user space
 * @count: its length
 * @fn: what the command does, called under the device's lock with the
 *	command NUL-terminated and trimmed
 *
 * Return: @count, or the error of reading the command or of @fn.
 */
ssize_t edu_write_cmd(struct file *file, const char __user *ubuf,
		      size_t count, int (*fn)(struct edu *edu, char *cmd))
{
	struct edu *edu = file->private_data;
	char cmd[64];
	int ret;

	ret = edu_get_cmd(cmd, sizeof(cmd), ubuf, count);
	if (ret)
		return ret;
	mutex_lock(&edu->lock);
	ret = fn(edu, strim(cmd));
	mutex_unlock(&edu->lock);
	return ret ?: count;
}

static ssize_t edu_isolation_write(struct file *file,
				   const char __user *ubuf, size_t count,
				   loff_t *ppos)
{
	return edu_write_cmd(file, ubuf, count, edu_isolation);
}

/*
 * One of the result strings of @edu, copied out under the lock and to
 * user space after it: a fault in copy_to_user() takes mmap_lock, which
 * must not nest inside edu->lock (see struct edu).
 */
ssize_t edu_read_result(struct edu *edu, const char *text,
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

static int edu_leak_cmd(struct edu *edu, char *cmd)
{
	return edu_leak(edu, !strcmp(cmd, "sg"));
}

static ssize_t edu_leak_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	return edu_write_cmd(file, ubuf, count, edu_leak_cmd);
}

static const struct file_operations edu_leak_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= edu_leak_write,
};

/*
 * User space sees the coherent buffer through the DMA API's mmap, under
 * map_lock only (see struct edu): the tests map it between runs.
 */
static int edu_coherent_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct edu *edu = file->private_data;
	u8 *buf = edu->coh;
	int i, ret;

	if (vma->vm_end - vma->vm_start > PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&edu->map_lock);
	for (i = 0; i < EDU_MAX_XFER; i++)
		buf[i] = 7 * i + 3;
	ret = dma_mmap_coherent(&edu->pdev->dev, vma, edu->coh, edu->coh_dma,
				EDU_MAX_XFER);
	mutex_unlock(&edu->map_lock);
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
	mutex_init(&edu->map_lock);

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
	debugfs_create_file_unsafe("wc", 0600, edu->dir, edu, &edu_wc_fops);
	debugfs_create_file("wcbench", 0600, edu->dir, edu, &edu_wcbench_fops);
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
	edu_wc_end(edu);
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
