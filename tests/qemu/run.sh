#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot one QEMU scenario and turn its VCMCHECK lines into results.
#
#   tests/qemu/run.sh <scenario>   stock | direct | vtd | vtd-lazy | viommu
#
# The console log goes to $VCM_OUT/<scenario>.log, the check lines to
# $VCM_OUT/<scenario>.checks.  A scenario that does not finish, or that
# ends without its VCM-END marker, adds a failed check.
source "$(dirname "$0")/../lib/common.sh"

scenario=$1
log=$VCM_OUT/$scenario.log
checks=$VCM_OUT/$scenario.checks
kernel=$VCM_BUILD/arch/x86/boot/bzImage
[ -f "$kernel" ] || die "no kernel: run make kernel"

args="console=ttyS0 panic=-1 oops=panic loglevel=4 vcmtest=$scenario ${VCM_EXTRA_ARGS:-}"
dev=()
case $scenario in
stock)	;;
direct)	args="$args dma=vcm" ;;
vtd)	args="$args dma=vcm intel_iommu=on"
	dev+=(-device intel-iommu,intremap=off) ;;
vtd-lazy)
	# The first edu behind the bridge is kept off VCM, and so its group.
	args="$args dma=vcm,lazy intel_iommu=on vcm.exclude=0000:01:01.0"
	dev+=(-device intel-iommu,intremap=off) ;;
viommu)	args="$args dma=vcm"
	dev+=(-device virtio-iommu-pci) ;;
bench)	args="$args dma_debug=off" ;;
*)	die "unknown scenario $scenario" ;;
esac

disks=()
if [ "$scenario" != bench ]; then
	for d in nvme vblk; do
		rm -f "$VCM_OUT/$d.img"
		truncate -s 256M "$VCM_OUT/$d.img"
	done
	disks=(-drive "file=$VCM_OUT/nvme.img,if=none,id=d0,format=raw,cache=unsafe"
	       -device nvme,drive=d0,serial=vcm0
	       -drive "file=$VCM_OUT/vblk.img,if=none,id=d1,format=raw,cache=unsafe"
	       -device virtio-blk-pci,drive=d1,iommu_platform=on,disable-legacy=on
	       -netdev hubport,id=n0,hubid=0 -device e1000e,netdev=n0,mac=52:54:00:00:00:01
	       -netdev hubport,id=n1,hubid=0 -device e1000e,netdev=n1,mac=52:54:00:00:00:02)
fi

log "scenario $scenario: booting"
start=$(date +%s)
timeout "${VCM_QEMU_TIMEOUT:-900}" qemu-system-x86_64 \
	-machine q35 -accel tcg -cpu max -smp 2 -m 1G \
	-nodefaults -display none -no-reboot -monitor none \
	-serial "file:$log" \
	-kernel "$kernel" -initrd "$VCM_OUT/initramfs.cpio.gz" \
	-append "$args" \
	"${dev[@]}" "${disks[@]}" \
	-device edu -device pci-testdev \
	-device pcie-pci-bridge,id=pb -device edu,bus=pb,addr=1.0 \
	-device edu,bus=pb,addr=2.0 </dev/null || true
log "scenario $scenario: finished in $(( $(date +%s) - start ))s"

grep -a '^VCMCHECK ' "$log" | tr -d '\r' | sed "s/^VCMCHECK \([a-z]*\) /\1 $scenario:/" > "$checks" || true
grep -aq "^VCM-END $scenario" "$log" ||
	echo "fail $scenario:completed no VCM-END marker (crash or timeout), see $log" >> "$checks"
cat "$checks"
