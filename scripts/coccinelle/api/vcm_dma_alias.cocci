// SPDX-License-Identifier: GPL-2.0-only
///
/// Report second CPU mappings of DMA buffers that give them a memory type
/// of their own: set_memory_wc()/_uc()/_wt() on a coherent buffer,
/// ioremap*() or memremap() of its physical address, remap_pfn_range()
/// of it to user space write-combining or uncached, and vmap() or
/// set_memory_*() of dma_alloc_pages() memory with a type other than the
/// kernel's.  Each is a cache alias: two mappings of one physical range
/// with different types, which x86 PAT replaces silently for RAM and
/// dma=vcm's memory-type tracking refuses (memtype=strict) or gives the
/// buffer's type (tolerant).  Ask the DMA API for the type instead:
/// dma_alloc_wc() and dma_mmap_wc(), or DMA_ATTR_WRITE_COMBINE.
///
/// Report only: what replaces the alias depends on why the driver made it.
///
// Confidence: High
// Copyright: (C) 2026 The dma-vcm developers.
// Options: --no-includes --include-headers
// Requires: 1.0.8
// Keywords: dma_alloc_coherent, set_memory_wc, ioremap_wc, vmap, pgprot_writecombine
//

virtual patch
virtual context
virtual org
virtual report

// The names are spelled out (no identifier lists), so that spatch skips
// files without them before parsing; the messages read them back from the
// source line.
@initialize:python@
@@

import re

def vcm_call(pos):
	"""The name of the call at pos, read from the source."""
	try:
		with open(pos.file) as f:
			line = f.readlines()[int(pos.line) - 1]
	except (OSError, IndexError):
		return "?"
	m = re.match(r"\s*(\w+)\s*\(", line[int(pos.column):])
	return m.group(1) if m else "?"

// A coherent buffer's kernel address given a type by set_memory_*().
@typed depends on context || org || report@
expression cpu;
position a, s;
@@

cpu = \(dma_alloc_coherent@a\|dma_alloc_attrs@a\|dma_alloc_wc@a\|dmam_alloc_coherent@a\|dmam_alloc_attrs@a\|dma_alloc_noncoherent@a\)(...);
... when any
* \(set_memory_wc@s\|set_memory_uc@s\|set_memory_wt@s\)(<+... cpu ...+>, ...)

// The same, the pointer declared with it.
@typed_d depends on context || org || report@
type T;
identifier cpu;
position a, s;
@@

T cpu = \(dma_alloc_coherent@a\|dma_alloc_attrs@a\|dma_alloc_wc@a\|dmam_alloc_coherent@a\|dmam_alloc_attrs@a\|dma_alloc_noncoherent@a\)(...);
... when any
* \(set_memory_wc@s\|set_memory_uc@s\|set_memory_wt@s\)(<+... cpu ...+>, ...)

@script:python depends on report@
a << typed.a;
s << typed.s;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() gives the buffer of %s() at line %s a type of its own: a cache alias; allocate it with dma_alloc_wc() (or DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

@script:python depends on org@
a << typed.a;
s << typed.s;
@@

coccilib.org.print_todo(s[0], "%s() gives the buffer of %s() at line %s a type of its own: a cache alias; allocate it with dma_alloc_wc() (or DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

@script:python depends on report@
a << typed_d.a;
s << typed_d.s;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() gives the buffer of %s() at line %s a type of its own: a cache alias; allocate it with dma_alloc_wc() (or DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

@script:python depends on org@
a << typed_d.a;
s << typed_d.s;
@@

coccilib.org.print_todo(s[0], "%s() gives the buffer of %s() at line %s a type of its own: a cache alias; allocate it with dma_alloc_wc() (or DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

// Its physical address mapped again by ioremap*() or memremap().
@remapped depends on context || org || report@
expression cpu;
position a, s;
@@

cpu = \(dma_alloc_coherent@a\|dma_alloc_attrs@a\|dma_alloc_wc@a\|dmam_alloc_coherent@a\|dmam_alloc_attrs@a\|dma_alloc_noncoherent@a\)(...);
... when any
* \(ioremap@s\|ioremap_wc@s\|ioremap_uc@s\|ioremap_wt@s\|ioremap_cache@s\|memremap@s\)(<+... \(virt_to_phys(cpu)\|__pa(cpu)\) ...+>, ...)

// The same, the pointer declared with it.
@remapped_d depends on context || org || report@
type T;
identifier cpu;
position a, s;
@@

T cpu = \(dma_alloc_coherent@a\|dma_alloc_attrs@a\|dma_alloc_wc@a\|dmam_alloc_coherent@a\|dmam_alloc_attrs@a\|dma_alloc_noncoherent@a\)(...);
... when any
* \(ioremap@s\|ioremap_wc@s\|ioremap_uc@s\|ioremap_wt@s\|ioremap_cache@s\|memremap@s\)(<+... \(virt_to_phys(cpu)\|__pa(cpu)\) ...+>, ...)

@script:python depends on report@
a << remapped.a;
s << remapped.s;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() maps the buffer of %s() at line %s a second time: a cache alias; use the address the DMA API gave" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

@script:python depends on org@
a << remapped.a;
s << remapped.s;
@@

coccilib.org.print_todo(s[0], "%s() maps the buffer of %s() at line %s a second time: a cache alias; use the address the DMA API gave" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

@script:python depends on report@
a << remapped_d.a;
s << remapped_d.s;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() maps the buffer of %s() at line %s a second time: a cache alias; use the address the DMA API gave" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

@script:python depends on org@
a << remapped_d.a;
s << remapped_d.s;
@@

coccilib.org.print_todo(s[0], "%s() maps the buffer of %s() at line %s a second time: a cache alias; use the address the DMA API gave" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line))

// Mapped to user space write-combining or uncached by hand.
@user depends on context || org || report@
expression cpu;
identifier prot = {pgprot_writecombine, pgprot_noncached};
expression E;
position a, s;
@@

cpu = \(dma_alloc_coherent@a\|dma_alloc_attrs@a\|dma_alloc_wc@a\|dmam_alloc_coherent@a\|dmam_alloc_attrs@a\|dma_alloc_noncoherent@a\)(...);
... when any
* \(remap_pfn_range@s\|io_remap_pfn_range@s\|vm_insert_pfn_prot@s\)(..., <+... cpu ...+>, ..., prot(E))

// The same, the pointer declared with it.
@user_d depends on context || org || report@
type T;
identifier cpu;
identifier prot = {pgprot_writecombine, pgprot_noncached};
expression E;
position a, s;
@@

T cpu = \(dma_alloc_coherent@a\|dma_alloc_attrs@a\|dma_alloc_wc@a\|dmam_alloc_coherent@a\|dmam_alloc_attrs@a\|dma_alloc_noncoherent@a\)(...);
... when any
* \(remap_pfn_range@s\|io_remap_pfn_range@s\|vm_insert_pfn_prot@s\)(..., <+... cpu ...+>, ..., prot(E))

@script:python depends on report@
a << user.a;
s << user.s;
prot << user.prot;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() maps the buffer of %s() at line %s to user space with a type of its own (%s); use dma_mmap_attrs() (dma_mmap_wc() for a dma_alloc_wc() buffer)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line, prot))

@script:python depends on org@
a << user.a;
s << user.s;
prot << user.prot;
@@

coccilib.org.print_todo(s[0], "%s() maps the buffer of %s() at line %s to user space with a type of its own (%s); use dma_mmap_attrs() (dma_mmap_wc() for a dma_alloc_wc() buffer)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line, prot))

@script:python depends on report@
a << user_d.a;
s << user_d.s;
prot << user_d.prot;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() maps the buffer of %s() at line %s to user space with a type of its own (%s); use dma_mmap_attrs() (dma_mmap_wc() for a dma_alloc_wc() buffer)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line, prot))

@script:python depends on org@
a << user_d.a;
s << user_d.s;
prot << user_d.prot;
@@

coccilib.org.print_todo(s[0], "%s() maps the buffer of %s() at line %s to user space with a type of its own (%s); use dma_mmap_attrs() (dma_mmap_wc() for a dma_alloc_wc() buffer)" % (vcm_call(s[0]), vcm_call(a[0]), a[0].line, prot))

// dma_alloc_pages() memory vmapped with a type of its own.
@pages_vmap depends on context || org || report@
expression cpu;
identifier prot = {pgprot_writecombine, pgprot_noncached};
expression E;
position a, s;
@@

cpu = dma_alloc_pages@a(...);
... when any
* vmap@s(<+... cpu ...+>, ..., prot(E))

// The same, the pointer declared with it.
@pages_vmap_d depends on context || org || report@
type T;
identifier cpu;
identifier prot = {pgprot_writecombine, pgprot_noncached};
expression E;
position a, s;
@@

T cpu = dma_alloc_pages@a(...);
... when any
* vmap@s(<+... cpu ...+>, ..., prot(E))

@script:python depends on report@
a << pages_vmap.a;
s << pages_vmap.s;
prot << pages_vmap.prot;
@@

coccilib.report.print_report(s[0], "WARNING: " + "vmap() gives the pages of dma_alloc_pages() at line %s a type of their own (%s): a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (a[0].line, prot))

@script:python depends on org@
a << pages_vmap.a;
s << pages_vmap.s;
prot << pages_vmap.prot;
@@

coccilib.org.print_todo(s[0], "vmap() gives the pages of dma_alloc_pages() at line %s a type of their own (%s): a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (a[0].line, prot))

@script:python depends on report@
a << pages_vmap_d.a;
s << pages_vmap_d.s;
prot << pages_vmap_d.prot;
@@

coccilib.report.print_report(s[0], "WARNING: " + "vmap() gives the pages of dma_alloc_pages() at line %s a type of their own (%s): a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (a[0].line, prot))

@script:python depends on org@
a << pages_vmap_d.a;
s << pages_vmap_d.s;
prot << pages_vmap_d.prot;
@@

coccilib.org.print_todo(s[0], "vmap() gives the pages of dma_alloc_pages() at line %s a type of their own (%s): a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (a[0].line, prot))

// dma_alloc_pages() memory given a type by set_memory_*().
@pages_typed depends on context || org || report@
expression cpu;
position a, s;
@@

cpu = dma_alloc_pages@a(...);
... when any
* \(set_memory_wc@s\|set_memory_uc@s\|set_memory_wt@s\)(<+... page_address(cpu) ...+>, ...)

// The same, the pointer declared with it.
@pages_typed_d depends on context || org || report@
type T;
identifier cpu;
position a, s;
@@

T cpu = dma_alloc_pages@a(...);
... when any
* \(set_memory_wc@s\|set_memory_uc@s\|set_memory_wt@s\)(<+... page_address(cpu) ...+>, ...)

@script:python depends on report@
a << pages_typed.a;
s << pages_typed.s;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() gives the pages of dma_alloc_pages() at line %s a type of their own: a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), a[0].line))

@script:python depends on org@
a << pages_typed.a;
s << pages_typed.s;
@@

coccilib.org.print_todo(s[0], "%s() gives the pages of dma_alloc_pages() at line %s a type of their own: a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), a[0].line))

@script:python depends on report@
a << pages_typed_d.a;
s << pages_typed_d.s;
@@

coccilib.report.print_report(s[0], "WARNING: " + "%s() gives the pages of dma_alloc_pages() at line %s a type of their own: a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), a[0].line))

@script:python depends on org@
a << pages_typed_d.a;
s << pages_typed_d.s;
@@

coccilib.org.print_todo(s[0], "%s() gives the pages of dma_alloc_pages() at line %s a type of their own: a cache alias; allocate them with dma_alloc_attrs(..., DMA_ATTR_WRITE_COMBINE)" % (vcm_call(s[0]), a[0].line))
