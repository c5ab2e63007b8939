#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite: static checks, KUnit, QEMU scenarios.  Every
# result line ("pass|fail|skip <part>:<check> [detail]") is printed as its
# part produces it and kept in $VCM_OUT/check.results; the run ends with
# the line "N passed, N failed" (skip lines are neither) and exits non-zero
# if anything failed.
#
#   tests/check.sh [static] [cocci] [kunit] [qemu]    (default: all four)
source "$(dirname "$0")/lib/common.sh"

results=$VCM_OUT/check.results
parts=${*:-static cocci kunit qemu}
bash "$VCM_REPO/tests/lib/setup.sh"
: > "$results"

record() {	# record pass|fail name [detail]
	echo "$*" >> "$results"
	echo "$*"
}

# count <pass|fail|skip> [file]: result lines of that kind.
count() { grep -c "^$1 " "${2:-$results}" || true; }

# part <label> <command>...: run one part of the suite, printing its
# result lines as they come and adding them to $results.  A part whose
# script dies has not reported all its checks: that is a failure too.
part() {
	local label=$1 from rc=0 lines
	shift
	from=$(wc -l < "$results")
	"$@" | tee -a "$results" || rc=$?
	[ "$rc" = 0 ] || record fail "$label:harness" "$* exited with $rc"
	lines=$(mktemp)
	tail -n +"$((from + 1))" "$results" > "$lines"
	echo "--- $label: $(count pass "$lines") passed, $(count fail "$lines") failed, $(count skip "$lines") skipped"
	rm -f "$lines"
}

bash "$VCM_REPO/tests/lib/prepare-tree.sh"

if [[ " $parts " == *" static "* ]]; then
	# The parsers first: a harness that passes what it should fail
	# makes every later line worthless.
	part harness bash "$VCM_REPO/tests/lib/selftest-harness.sh"
	part static bash "$VCM_REPO/tests/lib/static.sh"
fi

# The semantic patches: their fixtures, and report mode over the
# subsystems where their patterns live.
if [[ " $parts " == *" cocci "* ]]; then
	part cocci bash "$VCM_REPO/tests/cocci/run.sh"
fi

if [[ " $parts " == *" kunit "* ]]; then
	part kunit bash "$VCM_REPO/tests/kunit/run.sh"
fi

if [[ " $parts " == *" qemu "* ]]; then
	if bash "$VCM_REPO/tests/lib/build-kernel.sh" > "$VCM_OUT/build.log" 2>&1; then
		record pass build:qemu-kernel
		qemu_kernel=1
	else
		tail -30 "$VCM_OUT/build.log"
		record fail build:qemu-kernel "see $VCM_OUT/build.log"
		qemu_kernel=
	fi
	# The debug kernel builds meanwhile, on what CPU time the scenarios
	# leave (TCG keeps about one core busy): niced, so that the guests'
	# timing does not change.  No other kernel builds at the same time.
	VCM_KERNEL=debug nice -n 19 bash "$VCM_REPO/tests/lib/build-kernel.sh" \
		> "$VCM_OUT/build-debug.log" 2>&1 &
	debug_build=$!
	if [ -n "$qemu_kernel" ]; then
		bash "$VCM_REPO/tests/lib/initramfs.sh"
		for s in stock direct bounce vtd vtd-lazy viommu amdvi; do
			part "$s" bash "$VCM_REPO/tests/qemu/run.sh" "$s"
		done
	fi
	# The same workloads on the debug kernel (KASAN, lockdep, kmemleak),
	# with fault injection.  One after the other: side by side (each
	# keeps about 1.3 cores busy) a guest ran so slowly that a long stretch
	# of the debug kernel's boot, before init, passed the soft-lockup
	# threshold (then 20 s; tests/qemu/run.sh gives that kernel 40 s).
	if wait "$debug_build"; then
		record pass build:debug-kernel
		[ -n "$qemu_kernel" ] || bash "$VCM_REPO/tests/lib/initramfs.sh"
		# The KUnit suite under KASAN first: its races (syncs and
		# lookups against a device going away) are only caught there.
		part kunit-kasan env VCM_KERNEL=debug \
			bash "$VCM_REPO/tests/kunit/run.sh"
		for s in kasan-direct kasan-vtd; do
			part "$s" bash "$VCM_REPO/tests/qemu/run.sh" "$s"
		done
	else
		tail -30 "$VCM_OUT/build-debug.log"
		record fail build:debug-kernel "see $VCM_OUT/build-debug.log"
	fi
fi

echo
echo "=== results ($results) ==="
grep '^fail ' "$results" || true
passed=$(count pass)
failed=$(count fail)
skipped=$(count skip)
[ "$skipped" = 0 ] || echo "$skipped skipped (allowed by tests/kunit/expected-skips)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
