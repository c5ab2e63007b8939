#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make series": emit the project as a git format-patch series against
# Debian's linux-source-6.12, in $VCM_OUT/series/.  It applies with
# "git am" to a git tree of that source.
#
# The base commit holds only the pristine files the series modifies, which
# is all "git am" needs; the series then adds our files and patches/ in an
# order where every step builds.
source "$(dirname "$0")/common.sh"

work=$VCM_OUT/series-git
rm -rf "$work" "$VCM_OUT/series"
mkdir -p "$work"
cd "$work"
git init -q
git config user.name "dma-vcm developers"
git config user.email "dma-vcm@localhost"

for f in $(grep -h '^+++ b/' "$VCM_REPO"/patches/*.patch | cut -c7-); do
	mkdir -p "$(dirname "$f")"
	cp "$VCM_PRISTINE/$f" "$f"
done
git add -A && git commit -qm "base: Debian linux-source-6.12 (files touched by the series)"

add() {	# add <subject> <body> <repo files...>
	local subject=$1 body=$2
	shift 2
	for f in "$@"; do
		mkdir -p "$(dirname "$f")"
		cp "$VCM_REPO/$f" "$f"
	done
	git add -f "$@"
	git commit -qs -m "$subject" -m "$body"
}

# The DMA core's P2PDMA flag, which VCM's operations set, comes first.
git am -q "$VCM_REPO"/patches/0006-*.patch
add "dma-vcm: Virtual Contiguous Memory core, one-to-one and IOMMU backends" \
"VCM keeps every device address space, device, physical buffer and
mapping in a graph and serves it to unmodified drivers as a dma_map_ops
provider, switched on with dma=vcm.  Behind a translating IOMMU, VCM
owns the IOVAs of the device's domain and writes its page tables.  See
Documentation/core-api/dma-vcm.rst." \
	include/linux/dma-vcm.h kernel/dma/vcm.h kernel/dma/vcm-iommu.h \
	$(cd "$VCM_REPO" && ls kernel/dma/vcm-*.c | grep -v -- '-test\.c$')
git am -q "$VCM_REPO/patches/0001-dma-vcm-Kconfig-and-build-glue.patch"
add "dma-vcm: KUnit tests" \
"Every dma_map_ops member of the one-to-one backend, driven through the
DMA API on KUnit devices, and every report VCM gives for bad input; the
IOMMU backend on a fake IOMMU, in a suite of its own." \
	kernel/dma/vcm-test.h kernel/dma/vcm-test.c kernel/dma/vcm-iommu-test.c
mkdir -p drivers/misc
cp "$VCM_REPO"/drivers/misc/vcm-edu*.[ch] drivers/misc/
patch -p1 -s < "$VCM_REPO/patches/0002-misc-vcm-edu-DMA-test-driver-for-QEMU-edu.patch"
git add -A
git commit -qs -m "misc: vcm-edu: DMA test driver for QEMU's edu device" \
	-m "A small PCI driver whose DMA engine lets the VCM tests prove data
integrity through coherent and streaming mappings."
mkdir -p Documentation/core-api
cp "$VCM_REPO/Documentation/core-api/dma-vcm.rst" Documentation/core-api/
git add -f Documentation/core-api/dma-vcm.rst
patch -p1 -s < "$VCM_REPO/patches/0003-Documentation-dma-vcm.patch"
git add -A
git commit -qs -m "Documentation: dma-vcm" \
	-m "The core-api page of VCM, and dma=vcm in kernel-parameters.txt."

# The IOMMU drivers' fault reports, which VCM's fault handler explains.
git am -q "$VCM_REPO"/patches/000[45]-*.patch

git format-patch -q -o "$VCM_OUT/series" "$(git rev-list --max-parents=0 HEAD)"
ls "$VCM_OUT/series"
