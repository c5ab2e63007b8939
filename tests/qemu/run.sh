#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot one QEMU scenario and turn its VCMCHECK lines into results.
#
#   tests/qemu/run.sh <scenario>   stock | direct | bounce | vtd | vtd-lazy |
#                                  viommu | amdvi | kasan-direct | kasan-vtd |
#                                  bench
#   tests/qemu/run.sh --parse <scenario> [<log>]   only parse a console log
#
# The console log goes to $VCM_OUT/<scenario>.log, the result lines to
# $VCM_OUT/<scenario>.checks and stdout.  A check that passes proves
# nothing about the checks that never ran, so each scenario (but bench)
# has a manifest, tests/qemu/manifests/<scenario>, of the checks it must
# emit; a listed check not emitted and an emitted check not listed both
# fail.  The workload's last check, workload-completed, shows that it ran
# to its end; a scenario that ends without its VCM-END marker (printed
# by init even after a workload that died) failed too: crash or timeout.
#
# VCM_MANIFESTS overrides the manifest directory (self-test).
source "$(dirname "$0")/../lib/common.sh"

manifests=${VCM_MANIFESTS:-$VCM_REPO/tests/qemu/manifests}

# manifest_check <scenario> <manifest> <emitted name>...: fail lines for
# the difference between the manifest and the checks emitted.  A manifest
# line is a check name or a bash glob (names can hold a PCI address), with
# an optional count "x<N>": exactly N distinct emitted names must match.
manifest_check() {
	local scenario=$1 manifest=$2 pattern count extra name n
	local rel=tests/qemu/manifests/$scenario
	local -A emitted=() covered=()
	shift 2
	for name in "$@"; do emitted[$name]=1; done
	[ "$manifest" = "$manifests/$scenario" ] || rel=$manifest

	while read -r pattern count extra; do
		[ -n "$pattern" ] || continue
		if [ -n "$extra" ] || [[ -n $count && ! $count =~ ^x[0-9]+$ ]]; then
			echo "fail $scenario:manifest bad line \"$pattern $count $extra\" in $rel"
			continue
		fi
		n=0
		for name in "${!emitted[@]}"; do
			# shellcheck disable=SC2053	# a glob on purpose
			[[ $name == $pattern ]] || continue
			n=$((n + 1)); covered[$name]=1
		done
		if [ "$n" = 0 ] && [ "${count:-x1}" != x0 ]; then
			echo "fail $scenario:$pattern not emitted (manifest $rel${count:+, want $count})"
		elif [ -n "$count" ] && [ "$n" != "${count#x}" ]; then
			echo "fail $scenario:$pattern emitted by $n checks, want ${count#x} (manifest $rel)"
		fi
	done < <(sed 's/#.*//' "$manifest")

	for name in "$@"; do
		[ -n "${covered[$name]:-}" ] || echo "fail $scenario:$name not in manifest ($rel)"
		covered[$name]=1	# once per name
	done
}

# results <scenario> <log> [<qemu exit code>]: the scenario's result lines.
results() {
	local scenario=$1 log=$2 qrc=${3:-0} tag result name detail why
	local -a names=()

	while read -r tag result name detail; do
		if [[ ! $result =~ ^(pass|fail)$ || -z $name ]]; then
			# Garbled (e.g. the kernel wrote into the line): it cannot
			# count, and the check it was will show as not emitted.
			echo "fail $scenario:malformed-check $tag $result $name $detail"
			continue
		fi
		echo "$result $scenario:$name${detail:+ $detail}"
		names+=("$name")
	done < <(grep -a '^VCMCHECK ' "$log" | tr -d '\r')

	if grep -aq "^VCM-END $scenario" "$log"; then
		echo "pass $scenario:completed VCM-END marker seen"
	else
		why="crash or timeout"
		[ "$qrc" != 124 ] || why="timeout: QEMU killed"
		echo "fail $scenario:completed no VCM-END marker ($why), see $log"
	fi

	# bench measures, it asserts nothing: no manifest.
	[ "$scenario" != bench ] || return 0
	if [ -f "$manifests/$scenario" ]; then
		manifest_check "$scenario" "$manifests/$scenario" "${names[@]}"
	else
		echo "fail $scenario:manifest missing: tests/qemu/manifests/$scenario"
	fi
}

if [ "${1:-}" = --parse ]; then
	results "$2" "${3:-$VCM_OUT/$2.log}"
	exit 0
fi

scenario=$1
log=$VCM_OUT/$scenario.log
checks=$VCM_OUT/$scenario.checks
# The kasan-* scenarios boot the debug kernel (VCM_KERNEL=debug make kernel).
case $scenario in
kasan-*) kernel=$VCM_DEBUG_BUILD/arch/x86/boot/bzImage ;;
*)	kernel=$VCM_BUILD/arch/x86/boot/bzImage ;;
esac
[ -f "$kernel" ] || die "no kernel $kernel: run make kernel"

# The log buffer holds the whole boot: kernel-log-clean reads all of it.
# The NVMe disk has a controller memory buffer, published as P2PDMA memory
# (p2pdma_test); its queues stay in host memory, as without one.
args="console=ttyS0 panic=-1 oops=panic loglevel=4 log_buf_len=4M nvme.use_cmb_sqes=0 vcmtest=$scenario ${VCM_EXTRA_ARGS:-}"
dev=()
cpu=max
mem=1G
case $scenario in
stock)	;;
# Every streaming mapping bounces (swiotlb=force), one-to-one: the syncs
# carry the data, so one in the wrong direction or at the wrong offset
# shows as wrong data.  256 MiB of memory keeps swiotlb's pool, at the top
# of it, within the 28 bits of the edu engine; 8 MiB of disk data.
bounce)	args="$args dma=vcm swiotlb=force vcmmb=8"
	mem=256M ;;
# direct and amdvi boot a CPU that says AMD family 17h (Zen), as AMD-Vi
# machines are: the kernel then lets peer-to-peer DMA go through the host
# bridge, which the other scenarios refuse (p2pdma_test).
direct)	args="$args dma=vcm"
	cpu=max,family=23,model=1 ;;
vtd)	args="$args dma=vcm intel_iommu=on"
	dev+=(-device intel-iommu,intremap=off) ;;
# The debug kernel is several times slower under TCG: 8 MiB of disk data
# instead of 64, on smaller disks (mke2fs), keep its scenarios within a
# few minutes.  Its soft-lockup threshold is 40 s (watchdog_thresh=20)
# instead of 20: ACPI's interpreter alone runs for 16 s in one initcall
# there (acpi_init, with initcall_debug, before VCM serves any device),
# and a slow boot once passed 20 s.  The other scenarios keep 20 s, for
# VCM's code as for everything else.
kasan-direct)
	args="$args dma=vcm vcmmb=8 watchdog_thresh=20" ;;
kasan-vtd)
	args="$args dma=vcm vcmmb=8 intel_iommu=on watchdog_thresh=20"
	dev+=(-device intel-iommu,intremap=off) ;;
vtd-lazy)
	# The first edu behind the bridge is kept off VCM, and so its group.
	# Two more e1000e share an IOMMU group behind a second bridge (on a
	# slot after the first bridge's, so that it gets bus 2): one leaves
	# while the other carries traffic (lazy_detach_test).
	args="$args dma=vcm,lazy intel_iommu=on vcm.exclude=0000:01:01.0"
	dev+=(-device intel-iommu,intremap=off
	      -device pcie-pci-bridge,id=pb2,addr=0x18
	      -netdev hubport,id=n2,hubid=0
	      -device e1000e,bus=pb2,addr=1.0,netdev=n2,mac=52:54:00:00:00:03
	      -netdev hubport,id=n3,hubid=1
	      -device e1000e,bus=pb2,addr=2.0,netdev=n3,mac=52:54:00:00:00:04) ;;
# The one scenario in strict memory-type mode (memtype_wc_test).
viommu)	args="$args dma=vcm,memtype=strict"
	dev+=(-device virtio-iommu-pci) ;;
amdvi)	# QEMU's AMD-Vi, without interrupt remapping (TCG has no split
	# irqchip); the kernel takes it from the IVRS table.
	# QEMU 7.2's AMD-Vi loses the DMA of devices behind the PCIe-PCI
	# bridge: a second edu on the root bus carries the sharing tests.
	args="$args dma=vcm"
	cpu=max,family=23,model=1
	dev+=(-device amd-iommu -device edu,addr=7.0) ;;
bench)	args="$args dma_debug=off" ;;
*)	die "unknown scenario $scenario" ;;
esac

disks=()
case $scenario in kasan-*) disk_mb=64 ;; *) disk_mb=256 ;; esac
if [ "$scenario" != bench ]; then
	# Per scenario: a log and disks of its own, kept for a look after it.
	for d in nvme vblk; do
		rm -f "$VCM_OUT/$scenario-$d.img"
		truncate -s "${disk_mb}M" "$VCM_OUT/$scenario-$d.img"
	done
	rm -f "$VCM_OUT/$scenario-nvme2.img"
	truncate -s 4M "$VCM_OUT/$scenario-nvme2.img"
	# The second NVMe disk (serial vcm1), on the root bus too, cannot
	# reach the first one's memory buffer: q35's host bridge is not one
	# that routes peer-to-peer DMA (p2pdma_test).
	disks=(-drive "file=$VCM_OUT/$scenario-nvme.img,if=none,id=d0,format=raw,cache=unsafe"
	       -device nvme,drive=d0,serial=vcm0,cmb_size_mb=4
	       -drive "file=$VCM_OUT/$scenario-nvme2.img,if=none,id=d2,format=raw,cache=unsafe"
	       -device nvme,drive=d2,serial=vcm1
	       -drive "file=$VCM_OUT/$scenario-vblk.img,if=none,id=d1,format=raw,cache=unsafe"
	       -device virtio-blk-pci,drive=d1,iommu_platform=on,disable-legacy=on
	       -netdev hubport,id=n0,hubid=0 -device e1000e,netdev=n0,mac=52:54:00:00:00:01
	       -netdev hubport,id=n1,hubid=0 -device e1000e,netdev=n1,mac=52:54:00:00:00:02)
fi

log "scenario $scenario: booting"
start=$(date +%s)
# The debug kernel is several times slower: it gets more time.
case $scenario in kasan-*) limit=1800 ;; *) limit=900 ;; esac
timeout "${VCM_QEMU_TIMEOUT:-$limit}" qemu-system-x86_64 \
	-machine q35 -accel tcg -cpu "$cpu" -smp 2 -m "$mem" \
	-nodefaults -display none -no-reboot -monitor none \
	-serial "file:$log" \
	-kernel "$kernel" -initrd "$VCM_OUT/initramfs.cpio.gz" \
	-append "$args" \
	"${dev[@]}" "${disks[@]}" \
	-device edu -device pci-testdev \
	-device pcie-pci-bridge,id=pb -device edu,bus=pb,addr=1.0 \
	-device edu,bus=pb,addr=2.0 </dev/null && qrc=0 || qrc=$?
log "scenario $scenario: finished in $(( $(date +%s) - start ))s"

results "$scenario" "$log" "$qrc" > "$checks"
cat "$checks"
