#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The mutation check (make mutants): apply each deliberate bug of
# tests/mutants/mutants.txt to the work tree, one at a time, run the part
# of the suite that must catch it, and put the file back.  Prints
# "pass mutants:<name> caught by ..." or "fail mutants:<name> survived",
# and ends with "N passed, N failed".
#
# The unmutated suite runs first (mutants:baseline): a case that fails
# without any mutant catches nothing, so a mutant counts as caught only by
# cases that passed in that baseline, and a baseline that does not
# complete fails the whole check.
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

# kunit_run <log>: build and run the suite as the tree is; 1 if it did
# not build.
kunit_run() {
	kunit_py build --kunitconfig="$kunitconfig" \
		--make_options CC="ccache gcc" --jobs="$VCM_JOBS" > "$1" 2>&1 ||
		return 1
	kunit_py exec --kunitconfig="$kunitconfig" --timeout=600 \
		--kernel_args=iommu=soft --raw_output=all >> "$1" 2>&1 || true
}

# The baseline: which cases pass with no mutant.
base=$VCM_OUT/mutant-baseline.log
if ! kunit_run "$base" || ! grep -q '^    ok ' "$base"; then
	record fail "mutants:baseline the unmutated suite did not run, see $base"
	exit 1
fi
declare -A passed=()
while read -r c; do passed[$c]=1; done < <(sed -n 's/^    ok [0-9]* \([a-z_0-9]*\).*/\1/p' "$base")
broken=$(sed -n 's/^    not ok [0-9]* \([a-z_0-9]*\).*/\1/p' "$base" | tr '\n' ' ')
if [ -n "$broken" ]; then
	record fail "mutants:baseline cases fail without a mutant: $broken(see $base)"
else
	record pass "mutants:baseline ${#passed[@]} cases pass unmutated"
fi

want=" $* "
$apply list | while read -r name file suite; do
	[ "$want" = "  " ] || [[ "$want" == *" $name "* ]] || continue
	log "mutant $name ($file)"
	mutated=$file
	$apply apply "$name" "$VCM_SRC"
	out=$VCM_OUT/mutant-$name.log
	case $suite in
	kunit)
		if ! kunit_run "$out"; then
			record fail "mutants:$name does not build, see $out"
			restore
			continue
		fi
		# Only cases that passed in the baseline catch anything.
		caught=
		for c in $(sed -n 's/^    not ok [0-9]* \([a-z_0-9]*\).*/\1/p' "$out"); do
			[ -n "${passed[$c]:-}" ] && caught="$caught $c"
		done
		if [ -n "$caught" ]; then
			record pass "mutants:$name caught by$caught"
		elif ! grep -q '^\(    \)\?\(not \)\?ok [0-9]* dma-vcm' "$out"; then
			record pass "mutants:$name caught: the suite did not complete, see $out"
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
