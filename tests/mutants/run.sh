#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The mutation check (make mutants): apply each deliberate bug of
# tests/mutants/mutants.txt to the work tree, one at a time, run the part
# of the suite that must catch it, and put the file back.  Prints
# "pass mutants:<name> caught by ..." or "fail mutants:<name> survived",
# and ends with "N passed, N failed".
#
#   tests/mutants/run.sh [name...]     (default: every mutant)
source "$(dirname "$0")/../lib/common.sh"

list=$VCM_REPO/tests/mutants/mutants.txt
apply="python3 $VCM_REPO/tests/mutants/apply.py $list"
results=$VCM_OUT/mutants.results
bash "$VCM_REPO/tests/lib/setup.sh"
bash "$VCM_REPO/tests/lib/prepare-tree.sh"
$apply check "$VCM_REPO" >/dev/null || die "the mutant list does not match the code"
: > "$results"

record() {	# record pass|fail name detail
	echo "$*" | tee -a "$results"
}

# Whatever happens, the work tree goes back to the repository's files
# (prepare-tree.sh would also restore them, by content, next time).
restore() {
	[ -n "${mutated:-}" ] && cp "$VCM_REPO/$mutated" "$VCM_SRC/$mutated"
	mutated=
}
trap restore EXIT

kunitconfig=$VCM_REPO/tests/kunit/vcm.kunitconfig
want=" $* "
$apply list | while read -r name file suite; do
	[ "$want" = "  " ] || [[ "$want" == *" $name "* ]] || continue
	log "mutant $name ($file)"
	mutated=$file
	$apply apply "$name" "$VCM_SRC"
	out=$VCM_OUT/mutant-$name.log
	case $suite in
	kunit)
		if ! kunit_py build --kunitconfig="$kunitconfig" \
			--make_options CC="ccache gcc" --jobs="$VCM_JOBS" \
			> "$out" 2>&1; then
			record fail "mutants:$name does not build, see $out"
			restore
			continue
		fi
		kunit_py exec --kunitconfig="$kunitconfig" --timeout=600 \
			--kernel_args=iommu=soft \
			--raw_output=all >> "$out" 2>&1 && rc=0 || rc=$?
		caught=$(sed -n 's/^    not ok [0-9]* \([a-z_0-9]*\).*/\1/p' "$out" | tr '\n' ' ')
		if [ -n "$caught" ]; then
			record pass "mutants:$name caught by $caught"
		elif [ "$rc" != 0 ] || ! grep -q '^    ok ' "$out"; then
			record pass "mutants:$name caught: the suite did not complete (rc=$rc), see $out"
		else
			record fail "mutants:$name survived $file, see $out"
		fi
		;;
	*)
		record fail "mutants:$name unknown suite $suite"
		;;
	esac
	restore
done
echo
grep '^fail' "$results" || true
echo "$(grep -c '^pass' "$results") passed, $(grep -c '^fail' "$results") failed"
! grep -q '^fail' "$results"
