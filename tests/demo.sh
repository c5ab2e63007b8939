#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the dma=vcm kernel with NVMe, virtio-blk, two e1000e
# and edu, run the checksummed workload, show VCM's per-device summary.
source "$(dirname "$0")/lib/common.sh"

bash "$VCM_REPO/tests/lib/initramfs.sh"
bash "$VCM_REPO/tests/qemu/run.sh" direct > /dev/null
log=$VCM_OUT/direct.log
echo "=== checks ==="
cat "$VCM_OUT/direct.checks"
echo "=== VCM per-device summary (/sys/kernel/debug/vcm/devices) ==="
sed -n '/^=== VCM per-device summary ===/,/^VCMCHECK/p' "$log" |
	grep -av '^===\|^VCMCHECK' | tr -d '\r'
if grep -q '^fail' "$VCM_OUT/direct.checks"; then
	echo "FAIL (console log: $log)"
	exit 1
fi
echo "PASS"
