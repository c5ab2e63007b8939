/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual Contiguous Memory: what the KUnit files share (vcm-test.c, and
 * vcm-iommu-test.c where the IOMMU backend is built): a KUnit device on
 * VCM, and the looks into the graph their cases make.
 */
#ifndef _KERNEL_DMA_VCM_TEST_H
#define _KERNEL_DMA_VCM_TEST_H

#include <kunit/test.h>
#include "vcm.h"

struct iommu_domain;

/**
 * struct vcm_test_dev - a KUnit device on VCM
 * @dev: the device, released (and torn down) when its test ends
 * @assoc: its association with VCM
 * @parms: its DMA parameters (segment size and boundary)
 */
struct vcm_test_dev {
	struct device *dev;
	struct vcm_assoc *assoc;
	struct device_dma_parameters parms;
};

void vcm_test_release(void *data);
struct vcm_test_dev *vcm_test_device(struct kunit *test, const char *name);
long vcm_test_stat(struct vcm_test_dev *t, enum vcm_stat s);
long vcm_test_live(struct vcm_test_dev *t);
void vcm_test_no_errors(struct kunit *test, struct vcm_test_dev *t);
unsigned long vcm_test_nr_phys(void);
struct page *vcm_test_block(struct kunit *test);
struct page *vcm_test_cpu_page(const void *cpu);
int vcm_test_cpu_cache(const void *va);
unsigned long vcm_test_shared_maps(struct vcm_phys *phys, struct vcm *vcm,
				   unsigned int *nres);
struct dma_buf;
struct dma_buf_attachment;
void vcm_test_heap_release(struct kunit *test, struct dma_buf *dmabuf,
			   struct dma_buf_attachment **att, int n,
			   struct vcm_phys *phys, unsigned long phys_before);
struct page *vcm_test_sg_page(struct scatterlist *s);
void vcm_test_check_segments(struct kunit *test, struct device *dev,
			     struct iommu_domain *domain, struct sg_table *sgt,
			     struct vcm_phys *phys);

#endif /* _KERNEL_DMA_VCM_TEST_H */
