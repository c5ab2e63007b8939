#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of "make bench": the kernel's dma_map_benchmark on one
# pci-testdev, bound alternately with the device excluded from VCM
# (/sys/module/vcm/parameters/exclude: the stock backend, dma-direct or
# dma-iommu under an IOMMU) and served by VCM, so that both run on the same
# device, IOMMU and conditions.  Prints
# "BENCH backend=.. granule=.. threads=.. rep=.. map=.. unmap=.." (us).
# With three edu devices (the first excluded at boot), also how a 4 MiB
# coherent buffer is mapped: "PGSIZES backend=.. size=.. pg4k=.. pg2048k=..".
# VCM_BENCH_PARTS (kernel command line, as run.sh passes it) picks parts:
# a comma-separated list of pgsizes, share, heap, hot, wc, map; all by
# default.
# HOT_REPS and HOT_WORK (a comma-separated list of <live>:<one|random|ring>)
# change the hot path's runs.
DEV=0000:00:10.0
EXCLUDE=/sys/module/vcm/parameters/exclude
base=direct
[ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ] && base=dma-iommu

part() { case ",${VCM_BENCH_PARTS:-pgsizes,share,heap,hot,wc,map}," in *",$1,"*) ;; *) return 1 ;; esac; }

part pgsizes &&
for b in $base:0000:00:12.0 vcm:0000:00:13.0; do
	e=/sys/kernel/debug/vcm-edu/${b#*:}
	[ -e "$e/pgsizes" ] || continue
	echo 4096 > "$e/pgsizes" && echo "PGSIZES backend=${b%%:*} $(cat "$e/pgsizes")"
done
# Sharing a 64 MiB coherent buffer of one edu device (VCM) with a second
# device: VCM native, VCM through the DMA API (dma_get_sgtable() +
# dma_map_sgtable()), the same two calls on a buffer of the same size
# between two edu devices on the stock backend (the two excluded at boot),
# and the per-page sg_table copy of today's dma-buf heaps; SHARE_REPS
# runs, the ways in turn within each: "SHAREBENCH <field>=<value>...".
e=/sys/kernel/debug/vcm-edu/0000:00:13.0
part share &&
for rep in $(seq "${SHARE_REPS:-5}"); do
	if [ -e "$e/sharebench" ] &&
	   echo "64 0000:00:14.0 0000:00:12.0 0000:00:15.0 ${SHARE_ROUNDS:-20}" > "$e/sharebench"; then
		echo "SHAREBENCH base=$base rep=$rep $(cat "$e/sharebench")"
	else
		echo "SHAREBENCH base=$base rep=$rep failed: $(cat "$e/sharebench" 2>&1)"
	fi
done
# The dma-buf way, like for like: a 64 MiB buffer of /dev/dma_heap/vcm
# and one of /dev/dma_heap/system imported by the same edu device on VCM,
# and the system heap's imported by the edu on its stock backend (the one
# excluded at boot: what a user has without dma=vcm) -- attach, map, CPU
# access bracket, unmap, detach, HEAP_ROUNDS times per run.  Memory is
# fragmented first, so that the buffers are of many chunks (both heaps
# fall back to single pages), and the runs alternate, HEAP_REPS of each:
# "HEAPBENCH heap=.. importer=.. first=.. rep=.. <field>=<value>...".
# The same three ways again with a second importer in the same address
# space (first=<device>, which holds its import meanwhile): two edu devices
# behind one PCIe-to-PCI bridge, one IOMMU group, on VCM (VPAIR) and on the
# stock backend (SPAIR, excluded at boot), as <first>+<second>.
# Each way twice: with the 64 KiB maximum DMA segment a PCI device has by
# default (seg=dev), and with the UINT_MAX that importers wanting
# contiguous device addresses set (seg=max: videobuf2-dma-contig's users,
# GPU drivers).
VPAIR=0000:01:01.0+0000:01:02.0
SPAIR=0000:02:01.0+0000:02:02.0
frag=/sys/kernel/debug/vcm-edu/fragment
part heap && [ -e /dev/dma_heap/system ] && {
	echo "${HEAP_FRAGMENT_MIB:-64}" > $frag ||
		echo "HEAPBENCH fragmentation failed"
	for rep in $(seq "${HEAP_REPS:-5}"); do
		for seg in dev:0 max:4294967295; do
			for w in vcm:0000:00:14.0 system:0000:00:14.0 system:0000:00:12.0 \
				 vcm:$VPAIR system:$VPAIR system:$SPAIR; do
				h=${w%%:*}; d=${w#*:}; first=none
				arg="${HEAP_ROUNDS:-10} ${seg#*:}"
				case $d in *+*) first=${d%+*}; d=${d#*+}; arg="$arg $first" ;; esac
				out=$(heapshare -b "$h" $((64 << 20)) \
					/sys/kernel/debug/vcm-edu/$d/heapbench "$arg" 2>&1) ||
					out="failed: $out"
				echo "HEAPBENCH heap=$h importer=$d first=$first seg=${seg%:*} rep=$rep $(echo $out)"
			done
		done
	done
	echo 0 > $frag
}
part heap && [ ! -e /dev/dma_heap/system ] &&
	echo "HEAPBENCH failed: no /dev/dma_heap/system"
# The streaming hot path at ns resolution: one edu device (the first,
# excluded at boot) bound alternately on its stock backend and on VCM,
# dma_map_page() + dma_unmap_page() pairs timed in nine batches per run
# (best and median batch), with 0 and with 1024 other mappings live; 1024
# live with a random one replaced by a random page of a pool per pair; a
# ring of 512 mapped, then unmapped (maps and unmaps timed apart); five
# runs per backend alternating: "HOTBENCH backend=.. mode=.. live=..
# ns_per_pair=.. best_ns=.." (HOT_WORK=<live>:<mode>,... to change them).
HOT=0000:00:12.0
edu_rebind() {	# edu_rebind <exclude list>
	echo "$HOT" > /sys/bus/pci/drivers/vcm-edu/unbind
	echo "$1" > $EXCLUDE
	echo "$HOT" > /sys/bus/pci/drivers/vcm-edu/bind
}
# How much of the index's map says "maybe a buffer": the hot path walks
# the index's tree only for a page in such a granule.
part hot && grep "^index map" /sys/kernel/debug/vcm/chunks
part hot &&
for rep in $(seq "${HOT_REPS:-5}"); do
	for name in $base vcm; do
		if [ "$name" = vcm ]; then edu_rebind ""; else edu_rebind "$HOT"; fi
		for w in $(echo "${HOT_WORK:-0:one,1024:one,1024:random,512:ring}" | tr , ' '); do
			echo "${HOT_PAIRS:-20000} ${w%%:*} ${w#*:}" > /sys/kernel/debug/vcm-edu/$HOT/hotbench &&
				echo "HOTBENCH rep=$rep base=$base $(cat /sys/kernel/debug/vcm-edu/$HOT/hotbench)" ||
				echo "HOTBENCH rep=$rep base=$base work=$w ok=0 failed"
		done
	done
done
part hot && edu_rebind "$HOT"
# Typed coherent memory at steady state: WC_ROUNDS allocations + frees of
# 64 KiB and of 2 MiB by one edu device on VCM, write-back
# (dma_alloc_coherent()), write-combining (dma_alloc_wc(): VCM's pool of
# typed memory) and ALSA's way (alloc_pages_exact() + set_memory_wc(),
# set_memory_wb() at the free), WC_REPS runs alternating, each after one
# round of warm-up; with the set_memory calls (VCM's, from memtype_pool,
# and the driver's own) and the growth of DirectMap4k over the run:
# "WCBENCH rep=.. way=.. bytes=.. ns_per_round=.. vcm_set_memory=..
# own_set_memory=.. directmap4k_kb=..".
WCDEV=/sys/kernel/debug/vcm-edu/0000:00:13.0
wc_calls() { sed -n 's/^set_memory_calls=//p' /sys/kernel/debug/vcm/memtype_pool; }
dm4k() { sed -n 's/^DirectMap4k: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
delta() { if [ -n "$1" ] && [ -n "$2" ]; then echo $(($2 - $1)); else echo missing; fi; }
part wc &&
for rep in $(seq "${WC_REPS:-5}"); do
	for size in 65536 2097152; do
		for way in wb wc alsa; do
			echo "$way $size 1" > $WCDEV/wcbench 2>/dev/null
			c0=$(wc_calls); d0=$(dm4k)
			if echo "$way $size ${WC_ROUNDS:-200}" > $WCDEV/wcbench; then
				out=$(cat $WCDEV/wcbench)
			else
				out="way=$way bytes=$size ok=0 failed"
			fi
			c1=$(wc_calls); d1=$(dm4k)
			echo "WCBENCH rep=$rep $out vcm_set_memory=$(delta "$c0" "$c1") directmap4k_kb=$(delta "$d0" "$d1")"
		done
	done
done
part map || exit 0

SECONDS_PER_RUN=${SECONDS_PER_RUN:-2}

bind() {
	echo dma_map_benchmark > /sys/bus/pci/devices/$1/driver_override
	echo "$1" > /sys/bus/pci/drivers_probe
}
unbind() {
	echo "$1" > /sys/bus/pci/drivers/dma_map_benchmark/unbind
}

for rep in 1 2 3; do
	for name in $base vcm; do
		bdf=$DEV
		if [ "$name" = vcm ]; then
			echo > $EXCLUDE
		else
			echo "$bdf,0000:00:12.0" > $EXCLUDE
		fi
		bind "$bdf"
		if [ "$rep" = 1 ]; then
			echo "BENCHDEV $name $bdf $(grep "^$bdf " /sys/kernel/debug/vcm/devices | cut -d' ' -f1-4)"
		fi
		for g in 1 16; do
			for t in 1 2; do
				out=$(dma_map_benchmark -s "$SECONDS_PER_RUN" -t "$t" -g "$g" -b 32)
				map=$(echo "$out" | sed -n 's/.*average map latency(us):\([0-9.]*\).*/\1/p')
				unmap=$(echo "$out" | sed -n 's/.*average unmap latency(us):\([0-9.]*\).*/\1/p')
				echo "BENCH backend=$name granule=$g threads=$t rep=$rep map=$map unmap=$unmap"
			done
		done
		unbind "$bdf"
	done
done
