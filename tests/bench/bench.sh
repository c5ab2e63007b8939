#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of "make bench": the kernel's dma_map_benchmark on one
# pci-testdev, bound alternately with the device excluded from VCM
# (/sys/module/vcm/parameters/exclude: the stock backend, dma-direct or
# dma-iommu under an IOMMU) and served by VCM, so that both run on the same
# device, IOMMU and conditions.  Prints
# "BENCH backend=.. granule=.. threads=.. rep=.. map=.. unmap=.." (us).
# With two edu devices (the first excluded at boot), also how a 4 MiB
# coherent buffer is mapped: "PGSIZES backend=.. size=.. pg4k=.. pg2048k=..".
DEV=0000:00:10.0
EXCLUDE=/sys/module/vcm/parameters/exclude
base=direct
[ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ] && base=dma-iommu

for b in $base:0000:00:12.0 vcm:0000:00:13.0; do
	e=/sys/kernel/debug/vcm-edu/${b#*:}
	[ -e "$e/pgsizes" ] || continue
	echo 4096 > "$e/pgsizes" && echo "PGSIZES backend=${b%%:*} $(cat "$e/pgsizes")"
done
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
