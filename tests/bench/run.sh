#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": dma_map_benchmark on dma-direct and on VCM in one boot;
# prints median map/unmap latencies and the VCM/direct ratios.  Not a test:
# nothing is asserted.
source "$(dirname "$0")/../lib/common.sh"

bash "$VCM_REPO/tests/lib/initramfs.sh"

# median(<values separated by spaces>), for the summaries below.
AWK_MEDIAN='
function median(str,   n, i, j, t, a) {
	n = split(str, a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
'

# One boot per configuration; each boot measures the stock backend and VCM
# on the same device, alternately.  DMA-API debug is off but in the
# *-dmadebug boots, whose stock backend keeps the records VCM's tracked
# mode keeps (the cross summary at the end compares the two).
boots=(
	"no-iommu|dma=vcm dma_debug=off|"
	"no-iommu-notrack|dma=vcm,notrack dma_debug=off|"
	"vtd-strict|dma=vcm intel_iommu=on iommu.strict=1 dma_debug=off|-device intel-iommu,intremap=off"
	"vtd-strict-notrack|dma=vcm,notrack intel_iommu=on iommu.strict=1 dma_debug=off|-device intel-iommu,intremap=off"
	"vtd-lazy|dma=vcm,lazy intel_iommu=on iommu.strict=0 dma_debug=off|-device intel-iommu,intremap=off"
	"no-iommu-icount|dma=vcm dma_debug=off|-icount shift=0,sleep=off"
	"no-iommu-notrack-icount|dma=vcm,notrack dma_debug=off|-icount shift=0,sleep=off"
	"vtd-strict-notrack-icount|dma=vcm,notrack intel_iommu=on iommu.strict=1 dma_debug=off|-device intel-iommu,intremap=off -icount shift=0,sleep=off"
	"no-iommu-dmadebug|dma=vcm,notrack|"
	"vtd-strict-dmadebug|dma=vcm,notrack intel_iommu=on iommu.strict=1|-device intel-iommu,intremap=off"
)
ran=" "
for boot in "${boots[@]}"; do
	IFS='|' read -r name args devs <<< "$boot"
	# VCM_BENCH_ONLY=<name>[,<name>...] runs only those boots;
	# VCM_BENCH_PARTS=<part>[,<part>...] only those parts (bench.sh);
	# VCM_BENCH_ARGS, more of the guest's command line (HOT_WORK=...).
	case ",${VCM_BENCH_ONLY:-$name}," in *",$name,"*) ;; *) continue ;; esac
	ran="$ran$name "
	log=$VCM_OUT/bench-$name.log
	echo
	echo "=== $name ($args): dma_map_benchmark, stock backend vs VCM ==="
	# shellcheck disable=SC2086
	[ -n "${VCM_BENCH_REUSE:-}" ] ||
	timeout 900 qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 \
		-m 1G -nodefaults -display none -no-reboot -monitor none \
		-serial "file:$log" -kernel "$VCM_BUILD/arch/x86/boot/bzImage" \
		-initrd "$VCM_OUT/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4 vcmtest=bench $args vcm.exclude=0000:00:12.0,0000:00:15.0,0000:02:01.0,0000:02:02.0 cma=160M ${VCM_BENCH_PARTS:+VCM_BENCH_PARTS=$VCM_BENCH_PARTS} ${VCM_BENCH_ARGS:-}" \
		$devs -device pci-testdev,addr=10.0 \
		-device edu,addr=12.0 -device edu,addr=13.0 -device edu,addr=14.0 \
		-device edu,addr=15.0 \
		-device pcie-pci-bridge,id=pb1,addr=16.0 \
		-device edu,bus=pb1,addr=1.0 -device edu,bus=pb1,addr=2.0 \
		-device pcie-pci-bridge,id=pb2,addr=17.0 \
		-device edu,bus=pb2,addr=1.0 -device edu,bus=pb2,addr=2.0 \
		</dev/null || true
	{ grep -a '^BENCHDEV\|^PGSIZES\|^index map' "$log" || true; } | tr -d '\r'
	{ grep -a '^SHAREBENCH' "$log" || true; } | tr -d '\r' | awk "$AWK_MEDIAN"'
/failed/ { print; next }
{
	delete f
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	for (k in f) if (k ~ /_ns$/) ns[k] = ns[k] " " f[k]
	for (k in f) if (k ~ /_meta$/) meta[k] = f[k]
	size = f["size_mib"]; iommu = f["iommu"]; rounds = f["rounds"]; base = f["base"]; runs++
}
END {
	if (!runs) exit
	printf "share %s MiB into a second device (iommu=%s, %d runs of %s rounds, median ns per share+unshare, metadata bytes per share):\n", size, iommu, runs, rounds
	printf "  %-40s %12s %10s\n", "way", "time ns", "metadata"
	n = split("native:VCM native (vcm_map_phys)|api:VCM DMA API (get_sgtable+map_sgtable)|api_stock:the same calls, stock " base "|sgcopy:per-page sg copy, stock " base "|sgcopy_vcm:per-page sg copy, VCM", ways, "|")
	for (i = 1; i <= n; i++) {
		split(ways[i], p, ":")
		if (ns[p[1] "_ns"] == "") { printf "  %-40s %12s\n", p[2], "missing"; continue }
		m[p[1]] = median(ns[p[1] "_ns"])
		printf "  %-40s %12d %10d\n", p[2], m[p[1]], meta[p[1] "_meta"]
	}
	if (m["api"] && m["api_stock"] && meta["api_meta"])
		printf "  like for like, the DMA API on VCM vs on stock %s: %.2fx the time, %.2fx the metadata\n", base, m["api"] / m["api_stock"], meta["api_meta"] / meta["api_stock_meta"]
	if (m["native"] && m["api_stock"])
		printf "  VCM native vs the DMA API on stock %s: %.1fx faster\n", base, m["api_stock"] / m["native"]
}'
	# The dma-buf way: medians over the runs; a way whose runs failed is
	# shown as failed, never as 0.
	{ grep -a '^HEAPBENCH' "$log" || true; } | tr -d '\r' | awk "$AWK_MEDIAN"'
BEGIN { nsteps = split("attach map cpu unmap detach", steps) }
/failed/ { fails[$2 " " $3] = fails[$2 " " $3] + 1; print; next }
{
	delete f
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	w = "heap=" f["heap"] " importer=" f["importer"] " first=" f["first"] " seg=" f["seg"]
	ns[w] = ns[w] " " f["ns"]
	for (k = 1; k <= nsteps; k++)
		st[w, steps[k]] = st[w, steps[k]] " " f[steps[k] "_ns"]
	# A count that is absent makes the metadata missing, never smaller.
	meta[w] = f["sg_bytes"] == "" || f["pt_pages"] == "" || f["vcm_bytes"] == "" ? "" : \
		f["sg_bytes"] + 4096 * f["pt_pages"] + f["vcm_bytes"]
	line[w] = sprintf("nents=%s segs=%s sg_bytes=%s pt_pages=%s vcm_bytes=%s", f["nents"], f["segs"], f["sg_bytes"], f["pt_pages"], f["vcm_bytes"])
	iommu = f["iommu"]; seen = 1
}
END {
	if (!seen) exit
	n = split("vcm 0000:00:14.0 none VCM heap, VCM importer|system 0000:00:14.0 none system heap, VCM importer|system 0000:00:12.0 none system heap, stock importer|vcm 0000:01:02.0 0000:01:01.0 VCM heap, VCM 2nd importer|system 0000:01:02.0 0000:01:01.0 system heap, VCM 2nd importer|system 0000:02:02.0 0000:02:01.0 system heap, stock 2nd importer", ways, "|")
	split("dev max", segs, " ")
	seglabel["dev"] = "the PCI default maximum DMA segment, 64 KiB"
	seglabel["max"] = "maximum DMA segment UINT_MAX, as videobuf2-dma-contig users and GPU drivers set"
	for (g = 1; g <= 2; g++) {
	sg = segs[g]
	delete m; delete md
	printf "sharing a 64 MiB heap buffer into a device the dma-buf way (memory fragmented; attach+map+CPU bracket+unmap+detach; median of runs; %s):\n", seglabel[sg]
	for (i = 1; i <= n; i++) {
		split(ways[i], p, " ")
		p[5] = substr(ways[i], length(p[1] p[2] p[3]) + 4)
		w = "heap=" p[1] " importer=" p[2] " first=" p[3] " seg=" sg
		if (i == 4)
			printf "a second importer in the same address space (the first holds its import; same IOMMU group):\n"
		if (ns[w] == "") { printf "  %-34s failed\n", p[5]; continue }
		m[i] = median(ns[w]); md[i] = meta[w]
		printf "  %-34s %10d ns %9s metadata bytes (%s)\n", p[5], m[i], md[i] == "" ? "missing" : md[i], line[w]
		printf "  %-34s", ""
		for (k = 1; k <= nsteps; k++)
			printf " %s=%s", steps[k], st[w, steps[k]] ~ /[0-9]/ ? sprintf("%d", median(st[w, steps[k]])) : "missing"
		printf " (ns, medians)\n"
	}
	if (m[1] && m[3] && md[1])
		printf "  VCM heap vs the system heap on the stock backend: %.1fx faster, %.1fx less metadata (iommu=%s seg=%s; goals behind an IOMMU: 5x, 20x)\n", m[3] / m[1], md[3] / md[1], iommu, sg
	if (m[4] && m[6] && md[4])
		printf "  2nd importer, VCM heap vs the system heap on the stock backend: %.1fx faster, %.1fx less metadata (iommu=%s seg=%s)\n", m[6] / m[4], md[6] / md[4], iommu, sg
	}
}'
	{ grep -a '^WCBENCH' "$log" || true; } | tr -d '\r' | awk "$AWK_MEDIAN"'
function val(str) { return str == "" ? "missing" : sprintf("%d", median(str)) }
function ratio(a, b) { return a == "" || b == "" ? "missing" : sprintf("%.2f", median(a) / median(b)) }
{
	delete f
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	k = f["way"] " " f["bytes"]; sizes[f["bytes"]] = 1; seen = 1
	if (f["ok"] != 1) { failed[k]++; next }
	ns[k] = ns[k] " " f["ns_per_round"]
	if (f["vcm_set_memory"] == "missing" || f["own_set_memory"] == "") lost[k] = 1
	if (f["directmap4k_kb"] == "missing") dlost[k] = 1
	calls[k] += f["vcm_set_memory"] + f["own_set_memory"]; rounds[k] += f["rounds"]
	dm[k] += f["directmap4k_kb"]
}
function per(k) { return !rounds[k] || lost[k] ? "missing" : sprintf("%.2f", calls[k] / rounds[k]) }
function grow(k) { return !rounds[k] || dlost[k] ? "missing" : sprintf("%d", dm[k]) }
END {
	if (!seen) exit
	printf "typed coherent memory, alloc+free at steady state, same edu device on VCM (ns per round, median of runs):\n"
	printf "  %-8s | %10s %10s %10s | %8s %9s | set_memory calls per round wb/wc/alsa | DirectMap4k growth kB wb/wc/alsa\n", "bytes", "wb", "wc (pool)", "alsa way", "wc/wb", "alsa/wc"
	for (b in sizes)
		printf "  %-8s | %10s %10s %10s | %8s %9s | %s/%s/%s | %s/%s/%s%s\n", b,
		       val(ns["wb " b]), val(ns["wc " b]), val(ns["alsa " b]),
		       ratio(ns["wc " b], ns["wb " b]), ratio(ns["alsa " b], ns["wc " b]),
		       per("wb " b), per("wc " b), per("alsa " b),
		       grow("wb " b), grow("wc " b), grow("alsa " b),
		       failed["wb " b] + failed["wc " b] + failed["alsa " b] ? " (some runs failed)" : ""
	print "  (goals: wc within 1.5x of wb, alsa >= 10x wc, no DirectMap4k growth for wc)"
}'
	{ grep -a '^HOTBENCH' "$log" || true; } | tr -d '\r' | awk "$AWK_MEDIAN"'
# A value, or "missing" where no run of it succeeded; a ratio likewise.
function val(str) { return str == "" ? "missing" : sprintf("%d", median(str)) }
function ratio(a, b) { return a == "" || b == "" ? "missing" : sprintf("%.2f", median(a) / median(b)) }
function row(label, k1, k2, w) {
	printf "  %-14s | %8s %8s %10s | %8s %8s %10s\n", label,
	       val(med[k1]), val(med[k2]), ratio(med[k2], med[k1]),
	       val(bst[k1]), val(bst[k2]), ratio(bst[k2], bst[k1])
}
{
	delete f
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	base = f["base"]
	if (f["work"] != "") { split(f["work"], w, ":"); f["live"] = w[1]; f["mode"] = w[2] }
	m = f["mode"] == "" ? "one" : f["mode"]
	lives[m] = lives[m] == "" ? f["live"] : (index(" " lives[m] " ", " " f["live"] " ") ? lives[m] : lives[m] " " f["live"])
	if (f["ok"] != 1) { failed++; next }
	k = f["backend"] " " m " " f["live"]
	if (m == "ring") {
		med[k " map"] = med[k " map"] " " f["map_ns"]
		bst[k " map"] = bst[k " map"] " " f["map_best_ns"]
		med[k " unmap"] = med[k " unmap"] " " f["unmap_ns"]
		bst[k " unmap"] = bst[k " unmap"] " " f["unmap_best_ns"]
	} else {
		med[k] = med[k] " " f["ns_per_pair"]
		bst[k] = bst[k] " " f["best_ns"]
	}
	if (m == "one" && f["iommu_best_ns"] > 0)
		floor[f["live"]] = floor[f["live"]] " " f["iommu_best_ns"]
}
END {
	if (!base) exit
	printf "streaming hot path, same edu device, ns per operation\n"
	printf "(runs alternate between the backends; per run the median and the best of 9 batches):\n"
	printf "  %-14s | %-28s | %-28s\n", "", "median batch (median of runs)", "best batch (median of runs)"
	printf "  %-14s | %8s %8s %10s | %8s %8s %10s\n", "workload", "stock", "vcm", "vcm/stock", "stock", "vcm", "vcm/stock"
	n = split(lives["one"], l1, " ")
	for (i = 1; i <= n; i++)
		row("one page, " l1[i], "stock one " l1[i], "vcm one " l1[i])
	n = split(lives["random"], l2, " ")
	for (i = 1; i <= n; i++)
		row("random, " l2[i], "stock random " l2[i], "vcm random " l2[i])
	n = split(lives["ring"], l3, " ")
	for (i = 1; i <= n; i++) {
		row("ring " l3[i] " map", "stock ring " l3[i] " map", "vcm ring " l3[i] " map")
		row("ring " l3[i] " unmap", "stock ring " l3[i] " unmap", "vcm ring " l3[i] " unmap")
	}
	printf "  (stock = %s; one page: map+unmap pairs of one page with N others live; random: N live, a random\n", base
	printf "  one unmapped and a random page of a 4096-page pool mapped per pair; ring: N maps, then N unmaps)\n"
	if (failed)
		printf "  %d runs failed (ok=0) and are left out\n", failed
	n = split(lives["one"], l1, " ")
	if (floor[l1[1]] != "" || floor[l1[2]] != "") {
		printf "  the IOMMU driver alone (iommu_unmap + iommu_map of the page at one IOVA, best batch):\n"
		for (i = 1; i <= n; i++)
			printf "  %-14s | %8s ns, %s of stock: the vcm/stock of a DMA layer that cost nothing\n", l1[i], val(floor[l1[i]]), ratio(floor[l1[i]], bst["stock one " l1[i]])
	}
}'
	{ grep -a '^BENCH ' "$log" || true; } | tr -d '\r' | awk '
function median(k,   n, i, j, t, a) {
	n = split(vals[k], a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	cfg = f["granule"] " " f["threads"]
	seen = 1
	if (f["backend"] != "vcm") f["backend"] = "stock"
	vals[f["backend"] " map " cfg] = vals[f["backend"] " map " cfg] " " f["map"]
	vals[f["backend"] " unmap " cfg] = vals[f["backend"] " unmap " cfg] " " f["unmap"]
}
END {
	if (!seen) exit
	printf "%-7s %-7s | %-17s | %-17s | %-13s\n", "pages", "threads", "stock map/unmap", "vcm map/unmap", "ratio vcm/stock"
	split("1 1,1 2,16 1,16 2", order, ",")
	for (c = 1; c <= 4; c++) {
		cfg = order[c]; split(cfg, gt, " ")
		dm = median("stock map " cfg); du = median("stock unmap " cfg)
		vm = median("vcm map " cfg); vu = median("vcm unmap " cfg)
		printf "%-7s %-7s | %7.1f / %7.1f | %7.1f / %7.1f | %5.2f / %5.2f\n", gt[1], gt[2], dm, du, vm, vu, dm ? vm / dm : 0, du ? vu / du : 0
	}
	print "(median of 3 runs each, microseconds, dma_map_benchmark under TCG)"
}'
done

# VCM's tracked mode (the default where CONFIG_DMA_API_DEBUG=y: every
# streaming mapping recorded, every unmap checked) against the stock
# backend under DMA-API debug, which keeps the same records: boot <tracked>
# (DMA-API debug off) against boot <debug> (on), which differ in nothing
# else; only when both ran in this invocation.
cross() {	# cross <tracked boot> <debug boot>
	case "$ran" in *" $1 "*) ;; *) return 0 ;; esac
	case "$ran" in *" $2 "*) ;; *) return 0 ;; esac
	echo
	echo "=== VCM tracked ($1, no DMA-API debug) vs the stock backend under DMA-API debug ($2) ==="
	{ grep -a '^HOTBENCH' "$VCM_OUT/bench-$1.log" | sed 's/^/T /' || true
	  grep -a '^HOTBENCH' "$VCM_OUT/bench-$2.log" | sed 's/^/D /' || true
	} | tr -d '\r' | awk "$AWK_MEDIAN"'
function v(str) { return str == "" ? "missing" : sprintf("%d", median(str)) }
{
	delete f
	for (i = 3; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (f["ok"] != 1 || f["mode"] == "ring") next
	k = f["mode"] ", " f["live"]; keys[k] = 1
	if ($1 == "T" && f["backend"] == "vcm") t[k] = t[k] " " f["best_ns"]
	if ($1 == "D" && f["backend"] == "stock") d[k] = d[k] " " f["best_ns"]
}
END {
	printf "  %-14s | %14s %14s %10s\n", "workload", "vcm tracked", "stock+debug", "ratio"
	for (k in keys)
		printf "  %-14s | %14s %14s %10s\n", k, v(t[k]), v(d[k]),
		       t[k] == "" || d[k] == "" ? "missing" : sprintf("%.2f", median(t[k]) / median(d[k]))
	print "  (ns per map+unmap pair, best batch, medians of the runs; different boots)"
}'
}
cross no-iommu no-iommu-dmadebug
cross vtd-strict vtd-strict-dmadebug
