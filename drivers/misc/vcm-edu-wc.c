// SPDX-License-Identifier: GPL-2.0
/*
 * vcm-edu: a write-combining buffer, as a driver that wants one gets it --
 * dma_alloc_wc(), dma_mmap_wc(), dma_free_wc() -- and checked by DMA.
 *
 *   /sys/kernel/debug/vcm-edu/<device>/wc   write:
 *	"alloc <bytes>"		allocate the buffer (dma_alloc_wc())
 *	"mmap wc|wb"		what the next mmap of this file asks:
 *				dma_mmap_wc() or dma_mmap_coherent()
 *	"to-device <seed>"	the engine reads the whole buffer, which must
 *				hold the pattern of <seed> (written by the CPU
 *				through a user mapping, say)
 *	"from-device <seed>"	the engine writes the pattern of <seed> into
 *				the whole buffer; the CPU checks it through the
 *				kernel address
 *	"free"			dma_free_wc()
 *   read: the result of the last command; after "alloc", the kernel
 *	address of the buffer (va=), the linear alias of its first page
 *	(linear=) and its physical address (pa=), for the page-table checks.
 *   mmap: the buffer, through the call "mmap" chose.
 *
 *   /sys/kernel/debug/vcm-edu/<device>/wcbench   write "<way> <bytes>
 *	<rounds>": time <rounds> allocations and frees of <bytes>, one
 *	after the other, the way <way> says: "wb" dma_alloc_coherent(),
 *	"wc" dma_alloc_wc(), "alsa" what ALSA does on x86 for a
 *	write-combining buffer (alloc_pages_exact(), set_memory_wc(), and at
 *	the free set_memory_wb(), free_pages_exact()); read: "way=.. bytes=..
 *	rounds=.. ns_per_round=.. own_set_memory=.. ok=1", the last the
 *	set_memory calls the driver itself made.
 *
 * Byte i of the pattern of seed s is (u8)(167 i + 13 (i >> 9) + 101 s):
 * tests/qemu/wccheck.c has the same.
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/set_memory.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "vcm-edu.h"

static u8 edu_wc_byte(unsigned long seed, size_t i)
{
	return (u8)(i * 167 + (i >> 9) * 13 + seed * 101);
}

/* Caller holds edu->lock; map_lock keeps an mmap off the fields. */
static void edu_wc_free(struct edu *edu)
{
	void *cpu;

	mutex_lock(&edu->map_lock);
	cpu = edu->wc_cpu;
	edu->wc_cpu = NULL;
	mutex_unlock(&edu->map_lock);
	if (cpu)
		dma_free_wc(&edu->pdev->dev, edu->wc_size, cpu, edu->wc_dma);
	edu->wc_size = 0;
}

static int edu_wc_alloc(struct edu *edu, size_t size)
{
	struct page *first;
	dma_addr_t dma;
	void *cpu;

	edu_wc_free(edu);
	if (!size || size > SZ_4M)
		return -EINVAL;
	cpu = dma_alloc_wc(&edu->pdev->dev, size, &dma, GFP_KERNEL);
	if (!cpu)
		return -ENOMEM;
	mutex_lock(&edu->map_lock);
	edu->wc_cpu = cpu;
	edu->wc_dma = dma;
	edu->wc_size = size;
	mutex_unlock(&edu->map_lock);
	first = is_vmalloc_addr(cpu) ? vmalloc_to_page(cpu) : virt_to_page(cpu);
	snprintf(edu->wc_result, sizeof(edu->wc_result),
		 "alloc ok=1 size=%zu va=%#lx linear=%#lx pa=%#llx dma=%pad\n",
		 size, (unsigned long)edu->wc_cpu,
		 (unsigned long)page_address(first),
		 (unsigned long long)page_to_phys(first), &edu->wc_dma);
	return 0;
}

/*
 * Move the whole buffer through the engine, EDU_MAX_XFER bytes at a time,
 * by way of a streaming bounce buffer: to the device, the engine reads
 * the buffer and the bounce buffer receives what it read; from the
 * device, the bounce buffer holds the pattern and the engine writes it
 * into the buffer.
 */
static int edu_wc_move(struct edu *edu, unsigned long seed, bool to_device)
{
	struct device *dev = &edu->pdev->dev;
	size_t off, len, i;
	dma_addr_t bdma;
	u8 *bounce;
	int ret = 0;

	if (!edu->wc_cpu)
		return -ENXIO;
	bounce = kmalloc(EDU_MAX_XFER, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	for (off = 0; off < edu->wc_size && !ret; off += len) {
		len = min_t(size_t, EDU_MAX_XFER, edu->wc_size - off);
		for (i = 0; i < len; i++)
			bounce[i] = to_device ? EDU_POISON :
				    edu_wc_byte(seed, off + i);
		bdma = dma_map_single(dev, bounce, len, DMA_BIDIRECTIONAL);
		ret = dma_mapping_error(dev, bdma);
		if (ret)
			break;
		ret = edu_dma(edu, to_device ? edu->wc_dma + off : bdma, len,
			      false) ?:
		      edu_dma(edu, to_device ? bdma : edu->wc_dma + off, len,
			      true);
		dma_unmap_single(dev, bdma, len, DMA_BIDIRECTIONAL);
		if (ret)
			break;
		for (i = 0; i < len && !ret; i++) {
			u8 got = to_device ? bounce[i] :
				 ((u8 *)edu->wc_cpu)[off + i];

			if (got != edu_wc_byte(seed, off + i))
				ret = -EIO;
		}
		if (ret)
			snprintf(edu->wc_result, sizeof(edu->wc_result),
				 "%s ok=0 byte %zu of %zu is wrong\n",
				 to_device ? "to-device" : "from-device",
				 off + i - 1, edu->wc_size);
	}
	kfree(bounce);
	if (!ret)
		snprintf(edu->wc_result, sizeof(edu->wc_result),
			 "%s ok=1 bytes=%zu\n",
			 to_device ? "to-device" : "from-device", edu->wc_size);
	return ret;
}

static int edu_wc_cmd(struct edu *edu, char *cmd)
{
	unsigned long n;
	int ret;

	if (sscanf(cmd, "alloc %lu", &n) == 1) {
		ret = edu_wc_alloc(edu, n);
	} else if (!strcmp(cmd, "mmap wc") || !strcmp(cmd, "mmap wb")) {
		mutex_lock(&edu->map_lock);
		edu->wc_mmap_wb = !strcmp(cmd, "mmap wb");
		mutex_unlock(&edu->map_lock);
		return 0;
	} else if (sscanf(cmd, "to-device %lu", &n) == 1) {
		ret = edu_wc_move(edu, n, true);
	} else if (sscanf(cmd, "from-device %lu", &n) == 1) {
		ret = edu_wc_move(edu, n, false);
	} else if (!strcmp(cmd, "free")) {
		edu_wc_free(edu);
		strscpy(edu->wc_result, "free ok=1\n", sizeof(edu->wc_result));
		return 0;
	} else {
		return -EINVAL;
	}
	if (ret && !strstr(edu->wc_result, "ok=0"))
		snprintf(edu->wc_result, sizeof(edu->wc_result),
			 "%s ok=0 error=%d\n", cmd, ret);
	return ret;
}

static ssize_t edu_wc_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;

	mutex_lock(&edu->lock);
	edu->wc_result[0] = 0;
	mutex_unlock(&edu->lock);
	return edu_write_cmd(file, ubuf, count, edu_wc_cmd);
}

static ssize_t edu_wc_read(struct file *file, char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	struct edu *edu = file->private_data;

	return edu_read_result(edu, edu->wc_result, ubuf, count, ppos);
}

static int edu_wc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct edu *edu = file->private_data;
	struct device *dev = &edu->pdev->dev;
	int ret = -ENXIO;

	mutex_lock(&edu->map_lock);
	if (edu->wc_cpu && edu->wc_mmap_wb)
		ret = dma_mmap_coherent(dev, vma, edu->wc_cpu, edu->wc_dma,
					edu->wc_size);
	else if (edu->wc_cpu)
		ret = dma_mmap_wc(dev, vma, edu->wc_cpu, edu->wc_dma,
				  edu->wc_size);
	mutex_unlock(&edu->map_lock);
	return ret;
}

const struct file_operations edu_wc_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= edu_wc_read,
	.write	= edu_wc_write,
	.mmap	= edu_wc_mmap,
};

/* ALSA's way on x86 (sound/core/memalloc.c): pages, then their type. */
static int edu_wc_alsa_round(size_t size, unsigned long *calls)
{
#ifdef CONFIG_X86
	int pages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	void *p = alloc_pages_exact(size, GFP_KERNEL | __GFP_ZERO);
	int ret;

	if (!p)
		return -ENOMEM;
	ret = set_memory_wc((unsigned long)p, pages);
	(*calls)++;
	if (!ret) {
		ret = set_memory_wb((unsigned long)p, pages);
		(*calls)++;
	}
	/* A page that did not go back to write-back is not freed. */
	if (!ret)
		free_pages_exact(p, size);
	return ret;
#else
	return -EOPNOTSUPP;
#endif
}

static int edu_wc_bench(struct edu *edu, char *cmd)
{
	struct device *dev = &edu->pdev->dev;
	unsigned long size, rounds, i, calls = 0;
	char way[8];
	dma_addr_t handle;
	u64 t0, ns;
	int ret = 0;
	void *cpu;

	if (sscanf(cmd, "%7s %lu %lu", way, &size, &rounds) != 3 || !size ||
	    size > SZ_16M || !rounds)
		return -EINVAL;
	if (strcmp(way, "wb") && strcmp(way, "wc") && strcmp(way, "alsa"))
		return -EINVAL;
	t0 = ktime_get_ns();
	for (i = 0; i < rounds && !ret; i++) {
		if (way[0] == 'a') {
			ret = edu_wc_alsa_round(size, &calls);
			continue;
		}
		cpu = dma_alloc_attrs(dev, size, &handle, GFP_KERNEL,
				      way[1] == 'c' ? DMA_ATTR_WRITE_COMBINE : 0);
		if (!cpu) {
			ret = -ENOMEM;
			break;
		}
		dma_free_attrs(dev, size, cpu, handle,
			       way[1] == 'c' ? DMA_ATTR_WRITE_COMBINE : 0);
	}
	ns = ktime_get_ns() - t0;
	if (ret)
		snprintf(edu->wc_result, sizeof(edu->wc_result),
			 "way=%s bytes=%lu rounds=%lu ok=0 error=%d\n", way,
			 size, i, ret);
	else
		snprintf(edu->wc_result, sizeof(edu->wc_result),
			 "way=%s bytes=%lu rounds=%lu ns_per_round=%llu own_set_memory=%lu ok=1\n",
			 way, size, rounds, div_u64(ns, rounds), calls);
	return ret;
}

static ssize_t edu_wcbench_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	return edu_write_cmd(file, ubuf, count, edu_wc_bench);
}

const struct file_operations edu_wcbench_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= edu_wc_read,
	.write	= edu_wcbench_write,
};

/* The device goes: its buffer with it. */
void edu_wc_end(struct edu *edu)
{
	mutex_lock(&edu->lock);
	edu_wc_free(edu);
	mutex_unlock(&edu->lock);
}
