#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the harness's result parsing, without a kernel: fake KUnit
# and console logs go through tests/kunit/run.sh --parse and
# tests/qemu/run.sh --parse, and every way a run can fall short (a case
# failed, skipped or missing, a check missing or unknown, a count off, no
# end marker, kunit.py failing) must come out as a "fail" line.  Every
# scenario's manifest goes through the QEMU parser.  make check runs it
# as its part "harness".
#
#   tests/lib/selftest-harness.sh      prints "pass|fail harness:<what>"
#                                      lines, exits 1 on a miss
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A scratch cache: the parsers must not need (or touch) the real one.
export VCM_CACHE=$tmp/cache
mkdir -p "$VCM_CACHE/out"
bad=0

# expect <output> <grep -x pattern> <what>: that line must be there.
expect() {
	if grep -qx -- "$2" "$1"; then
		echo "pass harness:$3"
	else
		echo "fail harness:$3: no line matching '$2' in:"
		sed 's/^/      /' "$1"
		bad=1
	fi
}

# expect_fails <output> <n> <what>: exactly n fail lines.
expect_fails() {
	local n
	n=$(grep -c '^fail ' "$1" || true)
	if [ "$n" = "$2" ]; then
		echo "pass harness:$3 ($n fail lines)"
	else
		echo "fail harness:$3: $n fail lines, want $2:"
		sed 's/^/      /' "$1"
		bad=1
	fi
}

# --- KUnit -------------------------------------------------------------
# The real list of cases; a log where all of them pass but where one is
# missing, one skipped, one failed, one unknown, one parametrised.
mapfile -t cases < <(sed 's/#.*//; /^[[:space:]]*$/d' "$repo/tests/kunit/expected")
kunit_log() {	# kunit_log <case to leave out>: the fake log on stdout
	echo "[12:00:00] Starting KUnit Kernel (1/1)..."
	echo "KTAP version 1"
	echo "1..1"
	echo "    KTAP version 1"
	echo "    # Subtest: dma-vcm"
	echo "    1..${#cases[@]}"
	local i=0 c
	for c in "${cases[@]}"; do
		i=$((i + 1))
		case $c in
		"$1") ;;
		vcm_test_alloc_mask)
			echo "    ok $i $c # SKIP no ZONE_DMA" ;;
		vcm_test_map_page)
			echo "        # $c: EXPECTATION FAILED at kernel/dma/vcm-test.c:290"
			echo "        Expected x == 0, but"
			echo "    not ok $i $c" ;;
		vcm_test_sg_merge)	# parametrised: its params are not cases
			echo "        KTAP version 1"
			echo "        # Subtest: $c"
			echo "        ok 1 four pages"
			echo "        not ok 2 one page # SKIP not here"
			echo "    ok $i $c" ;;
		*)	echo "    ok $i $c" ;;
		esac
	done
	echo "    ok $((i + 1)) vcm_test_brand_new"
	echo "# dma-vcm: pass:30 fail:1 skip:1 total:32"
	echo "ok 1 dma-vcm"
}

echo "== KUnit: a skip, a failure, a missing case, an unlisted case"
kunit_log vcm_test_iommu_lazy > "$tmp/kunit.log"
bash "$repo/tests/kunit/run.sh" --parse "$tmp/kunit.log" 0 > "$tmp/k1"
grep -v '^pass' "$tmp/k1" | sed 's/^/      /'
expect "$tmp/k1" "pass kunit:vcm_test_shared_window" "a passing case passes"
expect "$tmp/k1" "pass kunit:vcm_test_sg_merge" "a parametrised case is one case"
expect "$tmp/k1" "fail kunit:vcm_test_alloc_mask skipped: no ZONE_DMA" "a skip is a failure"
expect "$tmp/k1" "fail kunit:vcm_test_map_page failed at kernel/dma/vcm-test.c:290, see .*" "a failure says where"
expect "$tmp/k1" "fail kunit:vcm_test_iommu_lazy did not run" "a missing case is a failure"
expect "$tmp/k1" "fail kunit:vcm_test_brand_new not in tests/kunit/expected" "an unlisted case is a failure"
expect_fails "$tmp/k1" 4 "nothing else fails"
if [ "$(grep -c '^pass ' "$tmp/k1")" = $((${#cases[@]} - 3 + 1)) ]; then
	echo "pass harness:every other case passes"
else
	echo "fail harness:every other case passes: pass count"; bad=1
fi

echo "== KUnit: the skip allowed by expected-skips, kunit.py failing"
echo "vcm_test_alloc_mask no ZONE_DMA	# the reason must match" > "$tmp/skips"
VCM_KUNIT_SKIPS=$tmp/skips bash "$repo/tests/kunit/run.sh" --parse "$tmp/kunit.log" 2 > "$tmp/k2"
expect "$tmp/k2" "skip kunit:vcm_test_alloc_mask expected: no ZONE_DMA" "a listed skip is a skip"
expect "$tmp/k2" "fail kunit:exit code 2, see $tmp/kunit.log" "kunit.py's exit code counts"
expect_fails "$tmp/k2" 4 "and no other change"
echo "vcm_test_alloc_mask some other reason" > "$tmp/skips"
VCM_KUNIT_SKIPS=$tmp/skips bash "$repo/tests/kunit/run.sh" --parse "$tmp/kunit.log" 0 > "$tmp/k3"
expect "$tmp/k3" "fail kunit:vcm_test_alloc_mask skipped: no ZONE_DMA" "a skip for another reason fails"

echo "== KUnit: a kernel that died before the suite"
printf '[12:00:00] Building KUnit Kernel ...\nERROR: build failed\n' > "$tmp/kunit-dead.log"
bash "$repo/tests/kunit/run.sh" --parse "$tmp/kunit-dead.log" 1 > "$tmp/k4"
expect_fails "$tmp/k4" $((${#cases[@]} + 1)) "every case did not run, plus the exit code"

# --- QEMU ----------------------------------------------------------------
# console <scenario>: a clean console log made from the real manifest,
# globs filled in with made-up PCI addresses.
console() {
	local pattern count n i
	echo "VCM-BEGIN $1"
	echo "[    1.000000] some kernel line"
	while read -r pattern count; do
		[ -n "$pattern" ] || continue
		n=${count#x}; n=${n:-1}
		for ((i = 0; i < n; i++)); do
			printf 'VCMCHECK pass %s detail %d\r\n' "${pattern/\*/00:0$i.0}" "$i"
		done
	done < <(sed 's/#.*//' "$repo/tests/qemu/manifests/$1")
	echo "VCM-END $1"
}

# Every scenario that has a manifest: a clean log of it passes whole.
for m in "$repo"/tests/qemu/manifests/*; do
	s=${m##*/}
	console "$s" > "$VCM_CACHE/out/$s.log"
	bash "$repo/tests/qemu/run.sh" --parse "$s" > "$tmp/$s"
	expect_fails "$tmp/$s" 0 "$s: a clean log of its manifest ($(grep -c '^pass ' "$tmp/$s") passes)"
done
expect "$tmp/vtd" "pass vtd:unbind-clean-0000:00:00.0 detail 0" "check lines become results"
expect "$tmp/vtd" "pass vtd:completed VCM-END marker seen" "the end marker is a check"

echo "== QEMU: a missing check, an unknown one, a count off, a died workload"
# vtd: no iommu-group-shared, one unbind-clean fewer, a new check, a
# garbled line, and the workload stopped before its end; init's VCM-END
# still comes.
console vtd | grep -v 'iommu-group-shared\|unbind-clean-0000:00:06.0\|workload-completed' |
	sed 's/^VCM-END/VCMCHECK pass brand-new-check x\nVCMCHECK pas[    9.1] oops\n&/' \
	> "$tmp/vtd.log"
bash "$repo/tests/qemu/run.sh" --parse vtd "$tmp/vtd.log" > "$tmp/q1"
grep -v '^pass' "$tmp/q1" | sed 's/^/      /'
expect "$tmp/q1" "fail vtd:iommu-group-shared not emitted (manifest tests/qemu/manifests/vtd)" "a missing check fails"
want=$(sed -n 's/^unbind-clean-0000:\* x\([0-9]*\).*/\1/p' "$repo/tests/qemu/manifests/vtd")
expect "$tmp/q1" "fail vtd:unbind-clean-0000:\* emitted by $((want - 1)) checks, want $want (manifest tests/qemu/manifests/vtd)" "a count off fails"
expect "$tmp/q1" "fail vtd:brand-new-check not in manifest (tests/qemu/manifests/vtd)" "an unknown check fails"
expect "$tmp/q1" "fail vtd:workload-completed not emitted (manifest tests/qemu/manifests/vtd)" "a workload that died fails"
expect "$tmp/q1" "fail vtd:malformed-check VCMCHECK pas\[ 9.1\] oops" "a garbled check line fails"
expect_fails "$tmp/q1" 5 "nothing else fails"

echo "== QEMU: a crash (no VCM-END), no manifest, bench"
console direct | sed '/VCM-END/d' > "$tmp/direct.log"
bash "$repo/tests/qemu/run.sh" --parse direct "$tmp/direct.log" > "$tmp/q2"
expect "$tmp/q2" "fail direct:completed no VCM-END marker (crash or timeout), see $tmp/direct.log" "no end marker fails"
expect_fails "$tmp/q2" 1 "the rest of that log is clean"
mkdir "$tmp/nomanifests"
VCM_MANIFESTS=$tmp/nomanifests bash "$repo/tests/qemu/run.sh" --parse direct "$VCM_CACHE/out/direct.log" > "$tmp/q3"
expect "$tmp/q3" "fail direct:manifest missing: tests/qemu/manifests/direct" "a scenario without manifest fails"
printf 'VCM-BEGIN bench\nVCM-END bench\n' > "$tmp/bench.log"
bash "$repo/tests/qemu/run.sh" --parse bench "$tmp/bench.log" > "$tmp/q4"
expect_fails "$tmp/q4" 0 "bench needs no manifest"

exit "$bad"
