/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Virtual Contiguous Memory (VCM): native interface.
 *
 * Drivers do not need this header: with "dma=vcm" the ordinary DMA API
 * (dma_alloc_attrs(), dma_map_sgtable(), ...) is served by VCM.  These calls
 * are for drivers that want to share one physical buffer between devices
 * without building a scatterlist per device, or to reserve device
 * addresses first and put buffers behind them later.  See
 * Documentation/core-api/dma-vcm.rst.
 */
#ifndef _LINUX_DMA_VCM_H
#define _LINUX_DMA_VCM_H

#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/gfp_types.h>
#include <linux/types.h>

struct device;
struct vcm_phys;
struct vcm_res;

#ifdef CONFIG_DMA_VCM
bool dev_is_vcm(struct device *dev);
struct vcm_phys *vcm_phys_alloc(struct device *dev, size_t size, gfp_t gfp);
struct vcm_phys *vcm_phys_alloc_for(struct device * const *devs,
				    unsigned int n, size_t size, gfp_t gfp);
struct vcm_phys *vcm_phys_from_dma(struct device *dev, dma_addr_t handle);
void vcm_phys_put(struct vcm_phys *phys);
size_t vcm_phys_size(const struct vcm_phys *phys);
unsigned int vcm_phys_nr_chunks(const struct vcm_phys *phys);
int vcm_phys_chunk(const struct vcm_phys *phys, unsigned int i,
		   phys_addr_t *addr, size_t *len);
struct vcm_res *vcm_map_phys(struct device *dev, struct vcm_phys *phys,
			     enum dma_data_direction dir);
struct vcm_res *vcm_map_phys_range(struct device *dev, struct vcm_phys *phys,
				   size_t offset, size_t size,
				   enum dma_data_direction dir);
dma_addr_t vcm_res_addr(const struct vcm_res *res);
void vcm_sync_for_device(struct vcm_res *res, size_t offset, size_t size);
void vcm_sync_for_cpu(struct vcm_res *res, size_t offset, size_t size);
int vcm_res_set_gone(struct vcm_res *res,
		     void (*gone)(struct vcm_res *res, void *data), void *data);
void vcm_unmap(struct vcm_res *res);
struct vcm_res *vcm_reserve(struct device *dev, size_t size);
int vcm_back(struct vcm_res *res, struct vcm_phys *phys, size_t offset,
	     enum dma_data_direction dir);
void vcm_unback(struct vcm_res *res);
int vcm_rebind(struct vcm_res *res, struct vcm_phys *phys, size_t offset,
	       enum dma_data_direction dir);
void vcm_unreserve(struct vcm_res *res);
#else
static inline bool dev_is_vcm(struct device *dev)
{
	return false;
}

static inline struct vcm_phys *vcm_phys_alloc(struct device *dev,
					      size_t size, gfp_t gfp)
{
	return ERR_PTR(-ENODEV);
}

static inline struct vcm_phys *vcm_phys_alloc_for(struct device * const *devs,
						  unsigned int n, size_t size,
						  gfp_t gfp)
{
	return ERR_PTR(-ENODEV);
}

static inline struct vcm_phys *vcm_phys_from_dma(struct device *dev,
						 dma_addr_t handle)
{
	return ERR_PTR(-ENODEV);
}

static inline void vcm_phys_put(struct vcm_phys *phys)
{
}

static inline size_t vcm_phys_size(const struct vcm_phys *phys)
{
	return 0;
}

static inline struct vcm_res *vcm_map_phys(struct device *dev,
					   struct vcm_phys *phys,
					   enum dma_data_direction dir)
{
	return ERR_PTR(-ENODEV);
}

static inline dma_addr_t vcm_res_addr(const struct vcm_res *res)
{
	return 0;
}

static inline unsigned int vcm_phys_nr_chunks(const struct vcm_phys *phys)
{
	return 0;
}

static inline int vcm_phys_chunk(const struct vcm_phys *phys, unsigned int i,
				 phys_addr_t *addr, size_t *len)
{
	return -ENODEV;
}

static inline struct vcm_res *vcm_map_phys_range(struct device *dev,
						 struct vcm_phys *phys,
						 size_t offset, size_t size,
						 enum dma_data_direction dir)
{
	return ERR_PTR(-ENODEV);
}

static inline void vcm_sync_for_device(struct vcm_res *res, size_t offset,
				       size_t size)
{
}

static inline void vcm_sync_for_cpu(struct vcm_res *res, size_t offset,
				    size_t size)
{
}

static inline int vcm_res_set_gone(struct vcm_res *res,
				   void (*gone)(struct vcm_res *res,
						void *data),
				   void *data)
{
	return -ENODEV;
}

static inline void vcm_unmap(struct vcm_res *res)
{
}

static inline struct vcm_res *vcm_reserve(struct device *dev, size_t size)
{
	return ERR_PTR(-ENODEV);
}

static inline int vcm_back(struct vcm_res *res, struct vcm_phys *phys,
			   size_t offset, enum dma_data_direction dir)
{
	return -ENODEV;
}

static inline void vcm_unback(struct vcm_res *res)
{
}

static inline int vcm_rebind(struct vcm_res *res, struct vcm_phys *phys,
			     size_t offset, enum dma_data_direction dir)
{
	return -ENODEV;
}

static inline void vcm_unreserve(struct vcm_res *res)
{
}
#endif /* CONFIG_DMA_VCM */

#endif /* _LINUX_DMA_VCM_H */
