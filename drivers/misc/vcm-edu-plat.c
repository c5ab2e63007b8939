// SPDX-License-Identifier: GPL-2.0
/*
 * vcm-edu: a platform device whose driver is bound while the device is
 * deleted (debugfs "platform").
 */
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vcm-edu.h"

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

struct platform_driver edu_plat_driver = {
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

const struct file_operations edu_plat_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= edu_plat_read,
	.write	= edu_plat_write,
};
