#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the dma=vcm kernel with NVMe, virtio-blk, two e1000e
# and three edu devices, run the checksummed workload, and show VCM's view
# of it: a table of the devices, and the graph (Graphviz DOT, rendered to
# SVG) taken while one edu device's buffer was shared with another.
source "$(dirname "$0")/lib/common.sh"

bash "$VCM_REPO/tests/lib/initramfs.sh"
bash "$VCM_REPO/tests/qemu/run.sh" direct > /dev/null
log=$VCM_OUT/direct.log

# snapshot <title>: a section of the workload's snapshot, from the console.
snapshot() {
	sed -n "/^=== $1 ===/,/^===/p" "$log" | grep -av '^===' | tr -d '\r'
}

echo "=== checks ==="
cat "$VCM_OUT/direct.checks"

echo
echo "=== VCM devices while a buffer is shared (/sys/kernel/debug/vcm) ==="
snapshot "VCM allocations while shared" > "$VCM_OUT/demo-allocations"
snapshot "VCM devices while shared" | awk -v allocs="$VCM_OUT/demo-allocations" '
	BEGIN {
		while ((getline line < allocs) > 0) {
			n = split(line, f, " ")
			for (i = 1; i <= n; i++) {
				if (f[i] ~ /^owner=/)
					owned[substr(f[i], 7)]++
				if (f[i] ~ /^edge=/) {
					d = substr(f[i], 6); sub(/:[0-9]+$/, "", d)
					shared[d]++
				}
			}
		}
		printf "%-14s %-10s %-9s %9s %12s %8s %7s %7s\n", "device", "driver",
		       "vcm", "live maps", "live bytes", "buffers", "shares", "errors"
	}
	{
		errs = 0
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			v[kv[1]] = kv[2]
			if (kv[1] ~ /^err_/)
				errs += kv[2]
		}
		printf "%-14s %-10s %-9s %9s %12s %8d %7d %7d\n", $1, v["driver"],
		       v["vcm"], v["live_maps"], v["live_bytes"], owned[$1],
		       shared[$1], errs
	}'

dot_file=$VCM_OUT/vcm-graph.dot
snapshot "VCM graph" > "$dot_file"
echo
if [ -s "$dot_file" ] && dot -Tsvg "$dot_file" -o "$VCM_OUT/vcm-graph.svg"; then
	echo "graph: $dot_file"
	echo "       $VCM_OUT/vcm-graph.svg (shared buffers: red edges)"
else
	echo "graph: none rendered ($dot_file)"
fi

if grep -q '^fail' "$VCM_OUT/direct.checks"; then
	echo "FAIL (console log: $log)"
	exit 1
fi
echo "PASS"
