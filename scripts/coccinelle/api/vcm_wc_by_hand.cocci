// SPDX-License-Identifier: GPL-2.0-only
///
/// Write-combining DMA buffers made by hand -- pages allocated, their
/// linear map made write-combining with set_memory_wc(), then mapped with
/// dma_map_single() -- become dma_alloc_wc(), their release (unmap,
/// set_memory_wb(), free) dma_free_wc(), and a user mapping made
/// write-combining by hand (pgprot_writecombine() before
/// dma_mmap_coherent()) of such a file's buffers dma_mmap_wc().
/// dma_alloc_wc() gives the buffer one memory type in every CPU and device
/// mapping of it wherever the DMA layer honours DMA_ATTR_WRITE_COMBINE
/// (on x86, dma=vcm does), and under dma=vcm costs no set_memory call per
/// buffer once its pool is warm.
///
/// Converted only where the three steps follow each other in one function
/// with the same buffer and size, or where a helper that types the pages
/// it allocates when its flag argument is true (ALSA's do_alloc_pages())
/// is called so and its result mapped with dma_map_single() right after;
/// and not where the file syncs that mapping (the same handle, in the
/// direction it was mapped): a buffer of dma_alloc_wc() takes no syncs.  Report mode lists every other
/// set_memory_wc() and set_memory_uc(), and the user mappings made
/// write-combining by hand, with the reason they were left alone.
///
// Confidence: Moderate
// Copyright: (C) 2026 The dma-vcm developers.
// Options: --no-includes --include-headers
// Requires: 1.0.8
// Keywords: set_memory_wc, set_memory_wb, dma_map_single, dma_alloc_wc, dma_mmap_wc
//

virtual patch
virtual context
virtual org
virtual report

//----------------------------------------------------------
// The candidates, in every mode
//----------------------------------------------------------

// The buffer allocated, typed and mapped by hand in one function.
@cand@
expression p, size, gfp, dev, addr, dir;
statement S, S2;
position pos;
@@

\(p = alloc_pages_exact(size, gfp);\|p = (void *)__get_free_pages(gfp, get_order(size));\)
if (!p) S
set_memory_wc@pos((unsigned long)p, \(size >> PAGE_SHIFT\|PFN_UP(size)\|size / PAGE_SIZE\));
addr = dma_map_single(dev, p, size, dir);
if (dma_mapping_error(dev, addr)) S2

// A helper that types the pages it allocates when its flag says so, and
// one that makes them write-back again before it frees them; the first
// one's gfp_t variable gives the allocation flags.
@wchelper exists@
identifier F, wc, g;
expression E, N, G;
@@

F(...)
{
  ... when any
  gfp_t g = G;
  ... when any
  if (wc)
    set_memory_wc(E, N);
  ... when any
}

@wcfree exists@
identifier F2, wc;
expression E, N;
@@

F2(...)
{
  ... when any
  if (wc)
    set_memory_wb(E, N);
  ... when any
}

// The helper called with its flag set, its result mapped right after.
@hcand@
identifier wchelper.F;
expression p, dev, size, addr, dir;
identifier ip;
type T;
statement S, S2;
position pos;
@@

(
p = F@pos(..., true);
if (!p) S
addr = dma_map_single(dev, p, size, dir);
if (dma_mapping_error(dev, addr)) S2
|
T ip = F@pos(..., true);
if (!ip) S
addr = dma_map_single(dev, ip, size, dir);
if (dma_mapping_error(dev, addr)) S2
)

// A sync of such a mapping: the same handle, in the direction it was
// mapped in (DMA-API debug holds syncs to it).  A coherent buffer takes
// none, so the file is left alone.
@syncs@
expression cand.addr, cand.dir;
expression d, o, n;
position pos;
@@

(
\(dma_sync_single_for_cpu@pos\|dma_sync_single_for_device@pos\)(d, addr, n, dir)
|
\(dma_sync_single_range_for_cpu@pos\|dma_sync_single_range_for_device@pos\)(d, addr, o, n, dir)
)

@hsyncs@
expression hcand.addr, hcand.dir;
expression d, o, n;
position pos;
@@

(
\(dma_sync_single_for_cpu@pos\|dma_sync_single_for_device@pos\)(d, addr, n, dir)
|
\(dma_sync_single_range_for_cpu@pos\|dma_sync_single_range_for_device@pos\)(d, addr, o, n, dir)
)

//----------------------------------------------------------
// Patch mode
//----------------------------------------------------------

@alloc depends on patch && cand && !syncs@
expression p, size, gfp, dev, addr, dir;
statement S, S2;
@@

(
- p = alloc_pages_exact(size, gfp);
+ p = dma_alloc_wc(dev, size, &addr, gfp);
|
- p = (void *)__get_free_pages(gfp, get_order(size));
+ p = dma_alloc_wc(dev, size, &addr, gfp);
)
  if (!p) S
- set_memory_wc((unsigned long)p, \(size >> PAGE_SHIFT\|PFN_UP(size)\|size / PAGE_SIZE\));
- addr = dma_map_single(dev, p, size, dir);
- if (dma_mapping_error(dev, addr)) S2

@helper_alloc depends on patch && hcand && !hsyncs@
identifier wchelper.F;
expression wchelper.G;
expression p, dev, size, addr, dir;
identifier ip;
type T;
statement S, S2;
@@

(
- p = F(..., true);
+ p = dma_alloc_wc(dev, size, &addr, G);
  if (!p) S
- addr = dma_map_single(dev, p, size, dir);
- if (dma_mapping_error(dev, addr)) S2
|
- T ip = F(..., true);
+ T ip = dma_alloc_wc(dev, size, &addr, G);
  if (!ip) S
- addr = dma_map_single(dev, ip, size, dir);
- if (dma_mapping_error(dev, addr)) S2
)

@free depends on patch && alloc@
expression p, size, dev, addr, dir;
@@

- dma_unmap_single(dev, addr, size, dir);
- set_memory_wb((unsigned long)p, \(size >> PAGE_SHIFT\|PFN_UP(size)\|size / PAGE_SIZE\));
(
- free_pages_exact(p, size);
+ dma_free_wc(dev, size, p, addr);
|
- free_pages((unsigned long)p, get_order(size));
+ dma_free_wc(dev, size, p, addr);
)

@helper_free depends on patch && helper_alloc@
identifier wcfree.F2;
expression p, size, size2, dev, addr, dir;
@@

- dma_unmap_single(dev, addr, size, dir);
- F2(p, size2, true);
+ dma_free_wc(dev, size, p, addr);

@mmap depends on patch && (alloc || helper_alloc)@
expression dev, vma, cpu, addr, size;
@@

- vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
  ...
- dma_mmap_coherent(dev, vma, cpu, addr, size)
+ dma_mmap_wc(dev, vma, cpu, addr, size)

//----------------------------------------------------------
// Context mode
//----------------------------------------------------------

@depends on context@
expression E, N;
@@

(
* set_memory_wc(E, N)
|
* set_memory_uc(E, N)
|
* pgprot_writecombine(...)
)

//----------------------------------------------------------
// Report and org modes: what patch mode converts, and what it leaves
//----------------------------------------------------------

@r_wc depends on report || org@
position pos != cand.pos;
expression E, N;
@@

set_memory_wc@pos(E, N)

@r_uc depends on report || org@
position pos;
expression E, N;
@@

set_memory_uc@pos(E, N)

@r_mmap depends on report || org@
position pos;
expression dev, vma, cpu, addr, size;
@@

vma->vm_page_prot = pgprot_writecombine@pos(vma->vm_page_prot);
...
dma_mmap_coherent(dev, vma, cpu, addr, size)

@script:python depends on report && cand && !syncs@
pos << cand.pos;
@@

coccilib.report.print_report(pos[0], "WARNING: write-combining DMA buffer made by hand: use dma_alloc_wc() (patch mode converts it)")

@script:python depends on org && cand && !syncs@
pos << cand.pos;
@@

coccilib.org.print_todo(pos[0], "write-combining DMA buffer made by hand: use dma_alloc_wc()")

@script:python depends on report && hcand && !hsyncs@
pos << hcand.pos;
F << wchelper.F;
@@

coccilib.report.print_report(pos[0], "WARNING: write-combining DMA buffer made by hand through %s(): use dma_alloc_wc() (patch mode converts it)" % F)

@script:python depends on org && hcand && !hsyncs@
pos << hcand.pos;
F << wchelper.F;
@@

coccilib.org.print_todo(pos[0], "write-combining DMA buffer made by hand through %s(): use dma_alloc_wc()" % F)

@script:python depends on report && cand@
pos << cand.pos;
sp << syncs.pos;
@@

coccilib.report.print_report(pos[0], "INFO: write-combining DMA buffer made by hand left alone: its mapping is synced (line %s), which a buffer of dma_alloc_wc() must not be; convert by hand" % sp[0].line)

@script:python depends on org && cand@
pos << cand.pos;
sp << syncs.pos;
@@

coccilib.org.print_todo(pos[0], "write-combining DMA buffer made by hand left alone: its mapping is synced (line %s)" % sp[0].line)

@script:python depends on report && hcand@
pos << hcand.pos;
sp << hsyncs.pos;
@@

coccilib.report.print_report(pos[0], "INFO: write-combining DMA buffer made by hand left alone: its mapping is synced (line %s), which a buffer of dma_alloc_wc() must not be; convert by hand" % sp[0].line)

@script:python depends on org && hcand@
pos << hcand.pos;
sp << hsyncs.pos;
@@

coccilib.org.print_todo(pos[0], "write-combining DMA buffer made by hand left alone: its mapping is synced (line %s)" % sp[0].line)

@script:python depends on report@
pos << r_wc.pos;
@@

coccilib.report.print_report(pos[0], "INFO: set_memory_wc() left alone: not followed, in this function, by dma_map_single() of the same buffer and size; if its pages are a DMA buffer, allocate them with dma_alloc_wc()")

@script:python depends on org@
pos << r_wc.pos;
@@

coccilib.org.print_todo(pos[0], "set_memory_wc() left alone: not followed by dma_map_single() of the same buffer and size")

@script:python depends on report@
pos << r_uc.pos;
@@

coccilib.report.print_report(pos[0], "INFO: set_memory_uc() left alone: no DMA attribute asks for uncached memory")

@script:python depends on org@
pos << r_uc.pos;
@@

coccilib.org.print_todo(pos[0], "set_memory_uc() left alone: no DMA attribute asks for uncached memory")

@script:python depends on report && !cand && !hcand@
pos << r_mmap.pos;
@@

coccilib.report.print_report(pos[0], "INFO: user mapping made write-combining by hand left alone: this file allocates no write-combining buffer by hand; if the buffer comes from dma_alloc_wc(), use dma_mmap_wc()")

@script:python depends on org && !cand && !hcand@
pos << r_mmap.pos;
@@

coccilib.org.print_todo(pos[0], "user mapping made write-combining by hand left alone: no write-combining buffer made by hand in this file")
