/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vcm-edu: what the parts of the driver share.  vcm-edu.c drives the
 * device (its engine, the data rounds, the isolation probes, the probe and
 * the debugfs files); vcm-edu-share.c shares buffers between two edu
 * devices; vcm-edu-bench.c holds the benchmarks (make bench) and the
 * memory fragmenter; vcm-edu-plat.c a platform device for the life cycle
 * PCI never shows.
 */
#ifndef _DRIVERS_MISC_VCM_EDU_H
#define _DRIVERS_MISC_VCM_EDU_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/scatterlist.h>

#define EDU_MAX_XFER		4095
#define EDU_DMA_BITS		28	/* the device's default dma_mask */
#define EDU_TIMEOUT_MS		5000

struct edu_share;

/**
 * struct edu - one edu device
 * @pdev: its PCI function
 * @regs: its registers
 * @dir: its debugfs directory
 * @lock: serialises runs; protects the counts and the result strings
 * @map_lock: serialises the mmaps of the device's buffers and the changes
 *	of the wc buffer's fields (@wc_cpu to @wc_mmap_wb); nests inside
 *	@lock and inside mmap_lock.  VCM's graph lock is taken under @lock
 *	(the native API) and cpu_hotplug_lock under it, which ptdump's
 *	mem_hotplug_lock -> mmap_lock makes a cycle if @lock were taken
 *	under mmap_lock: so the mmaps take only this one
 * @coh: coherent buffer, EDU_MAX_XFER bytes ...
 * @coh_dma: ... at this device address
 * @rounds: data rounds run ...
 * @coherent_ok: ... right through the coherent buffer ...
 * @streaming_ok: ... and through streaming mappings
 * @failed: rounds that failed
 * @corrupt: transfers whose data came out wrong
 * @last_error: what went wrong last
 * @isolation: the result line of the last isolation probe
 * @pgsizes: the result line of the last pgsizes run
 * @atomic_ok: atomic allocations that worked ...
 * @atomic_failed: ... and that failed
 * @pg_cpu: the pgsizes buffer, kept until the next write ...
 * @pg_dma: ... at this address (0: none) ...
 * @pg_size: ... of this size
 * @share: a buffer shared with a peer (vcm-edu-share.c)
 * @share_result: the result line of the last share or bench step
 * @wc_cpu: the write-combining buffer (vcm-edu-wc.c), or NULL ...
 * @wc_dma: ... at this device address ...
 * @wc_size: ... of this size
 * @wc_mmap_wb: the next mmap of it asks write-back (dma_mmap_coherent())
 * @wc_result: the result line of the last command on it
 */
struct edu {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct dentry *dir;
	struct mutex lock;		/* serialises runs; protects the counts */
	struct mutex map_lock;		/* see above */
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
	void *wc_cpu;
	dma_addr_t wc_dma;
	size_t wc_size;
	bool wc_mmap_wb;
	char wc_result[160];
};

#define EDU_PROBE_LEN		256
#define EDU_PROBE_BUF		SZ_64K	/* the owner's buffer, shared-* */
#define EDU_POISON		0xa1

/* vcm-edu.c */
int edu_dma_at(struct edu *edu, dma_addr_t ram, size_t at, size_t len,
	       bool to_ram);
int edu_dma(struct edu *edu, dma_addr_t ram, size_t len, bool to_ram);
int edu_fail(struct edu *edu, const char *what, int err);
int edu_compare(struct edu *edu, const char *what, const u8 *got,
		const u8 *want, size_t len);
struct edu *edu_find(const char *name);
int edu_get_cmd(char *buf, size_t size, const char __user *ubuf,
		size_t count);
ssize_t edu_write_cmd(struct file *file, const char __user *ubuf,
		      size_t count, int (*fn)(struct edu *edu, char *cmd));
struct page *edu_sgt_page(struct sg_table *sgt, size_t off);
ssize_t edu_read_result(struct edu *edu, const char *text,
			char __user *ubuf, size_t count, loff_t *ppos);

/* vcm-edu-share.c */
#define EDU_SHARE_SIZE		SZ_64K
extern const struct file_operations edu_share_fops;
ssize_t edu_share_read(struct file *file, char __user *ubuf, size_t count,
		       loff_t *ppos);
void edu_share_end(struct edu *edu);

/* vcm-edu-bench.c */
extern const struct file_operations edu_sharebench_fops;
extern const struct file_operations edu_heapbench_fops;
extern const struct file_operations edu_fragment_fops;
extern const struct file_operations edu_hotbench_fops;

/* vcm-edu-wc.c */
extern const struct file_operations edu_wc_fops;
extern const struct file_operations edu_wcbench_fops;
void edu_wc_end(struct edu *edu);

/* vcm-edu-plat.c */
extern struct platform_driver edu_plat_driver;
extern const struct file_operations edu_plat_fops;

#endif /* _DRIVERS_MISC_VCM_EDU_H */
