#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the busybox initramfs of the QEMU scenarios: $VCM_OUT/initramfs.cpio.gz
source "$(dirname "$0")/common.sh"

out=$VCM_OUT/initramfs.cpio.gz
stage=$VCM_OUT/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,mnt}
cp /bin/busybox "$stage/bin/busybox"
gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/ethcheck" \
	"$VCM_REPO/tests/qemu/ethcheck.c"
gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/mmapcheck" \
	"$VCM_REPO/tests/qemu/mmapcheck.c"
gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/randfile" \
	"$VCM_REPO/tests/qemu/randfile.c"
gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/wccheck" \
	"$VCM_REPO/tests/qemu/wccheck.c"
gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/p2pio" \
	"$VCM_REPO/tests/qemu/p2pio.c"
cp "$VCM_REPO/tests/qemu/init" "$stage/init"
cp "$VCM_REPO/tests/qemu/workload.sh" "$stage/workload.sh"
# The kernel's own benchmark tool, from the work tree.
gcc -static -O2 -idirafter "$VCM_SRC/include" -o "$stage/bin/dma_map_benchmark" \
	"$VCM_SRC/tools/testing/selftests/dma/dma_map_benchmark.c"
cp "$VCM_REPO/tests/bench/bench.sh" "$stage/bench.sh"
# The kernel's dma-buf heap selftest and the heap sharing helper, against
# the work tree's UAPI headers.
hdr=$VCM_OUT/headers
# (Through the kernel's build directory: the source tree stays clean.)
make -s -C "$VCM_SRC" O="$VCM_BUILD" headers_install \
	INSTALL_HDR_PATH="$hdr" >/dev/null
gcc -static -O2 -Wall -I "$hdr/include" -o "$stage/bin/dmabuf-heap" \
	"$VCM_SRC/tools/testing/selftests/dmabuf-heaps/dmabuf-heap.c"
gcc -static -O2 -Wall -Wextra -Werror -I "$hdr/include" \
	-o "$stage/bin/heapshare" "$VCM_REPO/tests/qemu/heapshare.c"
gcc -static -O2 -Wall -Wextra -Werror -I "$hdr/include" \
	-o "$stage/bin/heapfill" "$VCM_REPO/tests/qemu/heapfill.c"
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
