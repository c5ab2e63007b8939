#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run VCM's KUnit suite and print one line per test case.  The suite is
# built into the QEMU scenarios' kernel (tests/configs/qemu.config), with
# KUnit off by default; one boot with kunit.enable=1 runs it and powers off
# (kunit_shutdown=), before any root file system.  The lines:
#   pass kunit:<case>
#   fail kunit:<case> <why>            failed, skipped, did not run, not listed
#   skip kunit:<case> expected: <why>  a skip tests/kunit/expected-skips allows
# plus "fail kunit:exit code <rc>, see <log>" if the boot failed or timed
# out, or never printed the suite's own result.  (tests/mutants/run.sh runs
# the same suite with kunit.py, whose small kernel rebuilds faster.)
#
#   tests/kunit/run.sh                        build, run, parse
#   tests/kunit/run.sh --parse <log> [<rc>]   only parse a log (self-test)
#
# VCM_KUNIT_EXPECTED and VCM_KUNIT_SKIPS override the two lists (self-test).
# VCM_KERNEL=debug runs the suite in the debug kernel (KASAN, lockdep,
# kmemleak), its lines labelled kunit-kasan: the races the suite provokes
# must not touch freed memory.
source "$(dirname "$0")/../lib/common.sh"

label=kunit
kernel=$VCM_BUILD
if [ "${VCM_KERNEL:-qemu}" = debug ]; then
	label=kunit-kasan
	kernel=$VCM_DEBUG_BUILD
fi

expected=${VCM_KUNIT_EXPECTED:-$VCM_REPO/tests/kunit/expected}
skips=${VCM_KUNIT_SKIPS:-$VCM_REPO/tests/kunit/expected-skips}

# listed <file>: its lines without comments and blank lines.
listed() {
	[ -f "$1" ] || return 0
	sed 's/#.*//; s/^[[:space:]]*//; s/[[:space:]]*$//; /^$/d' "$1"
}

# parse <log> <rc>: the result lines of a kunit.py log.
parse() {
	local log=$1 rc=$2 line name rest why at want
	local -A seen=() want_skip=() listed_case=()
	local -a order=()
	local re_case='^    (not ok|ok) [0-9]+ ([^[:space:]]+)(.*)$'
	local re_skip='^[[:space:]]*#[[:space:]]*[Ss][Kk][Ii][Pp]([[:space:]]+(.*))?$'

	while read -r name; do
		order+=("$name"); listed_case[$name]=1
	done < <(listed "$expected")
	# A skip entry is "<case>" (any reason) or "<case> <reason>".
	while read -r name rest; do
		want_skip[$name]=${rest:-*}
	done < <(listed "$skips")

	while IFS= read -r line; do
		line=${line%$'\r'}
		# Tolerate printk timestamps, should the KUnit config turn them on.
		[[ $line =~ ^\[\ *[0-9]+\.[0-9]+\]\ (.*)$ ]] && line=${BASH_REMATCH[1]}
		# KTAP: the cases of a suite are at 4 spaces; the parameters of a
		# parametrised case, one level deeper, are not cases of their own
		# (their case's line sums them up).
		[[ $line =~ $re_case ]] || continue
		name=${BASH_REMATCH[2]}; rest=${BASH_REMATCH[3]}
		seen[$name]=1
		if [ "${BASH_REMATCH[1]}" = "not ok" ]; then
			# KUnit's first "# <case>: EXPECTATION FAILED at <file:line>".
			at=$(grep -a -m1 -o "# $name: [A-Z]* FAILED at [^ ]*" "$log" |
			     sed 's/.* at /at /') || true
			echo "fail $label:$name failed${at:+ $at}, see $log"
		elif [[ $rest =~ $re_skip ]]; then
			# A skipped case proved nothing: a failure unless listed.
			why=${BASH_REMATCH[2]:-no reason given}
			want=${want_skip[$name]:-}
			if [ -n "$want" ] && { [ "$want" = "*" ] || [ "$want" = "$why" ]; }; then
				echo "skip $label:$name expected: $why"
			else
				echo "fail $label:$name skipped: $why"
			fi
		else
			echo "pass $label:$name"
		fi
		# Keep the list true: a new case must be added to it.
		[ -n "${listed_case[$name]:-}" ] ||
			echo "fail $label:$name not in tests/kunit/expected"
	done < "$log"

	# A case that never reported (not compiled in, or the kernel died
	# before it) is a failure, not an absence.
	for name in "${order[@]}"; do
		[ -n "${seen[$name]:-}" ] || echo "fail $label:$name did not run"
	done
	# The exit code (kunit.py's, or the boot's) tells of config, build or
	# boot failures: still failures.
	[ "$rc" = 0 ] || echo "fail $label:exit code $rc, see $log"
}

if [ "${1:-}" = --parse ]; then
	parse "$2" "${3:-0}"
	exit 0
fi

log=$VCM_OUT/$label.log
if ! bash "$VCM_REPO/tests/lib/build-kernel.sh" > "$VCM_OUT/build-$label.log" 2>&1; then
	echo "fail $label:build see $VCM_OUT/build-$label.log"
	exit 0
fi
# No dma=vcm: the suite sets up what it tests.  DMA-API debugging off, as
# in kunit.py's kernel: the suite misuses the API on purpose.  swiotlb on
# (iommu=soft), without forcing it: what a mask cannot reach is bounced.
# The debug kernel is several times slower under TCG.
limit=600
[ "$label" = kunit ] || limit=1200
timeout $limit qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 \
	-m 1G -nodefaults -display none -no-reboot -monitor none \
	-serial "file:$log" -kernel "$kernel/arch/x86/boot/bzImage" \
	-append "console=ttyS0 panic=-1 oops=panic dma_debug=off iommu=soft kunit.enable=1 kunit_shutdown=poweroff" \
	</dev/null && rc=0 || rc=$?
# The suite's own result line ends its run: without it the kernel died on
# the way (a panic also ends QEMU with 0).
if ! grep -aq '^\(\[ *[0-9.]*\] \)\?\(not \)\?ok [0-9]* dma-vcm' "$log" &&
   [ "$rc" = 0 ]; then
	rc=1
fi
parse "$log" "$rc"
# A memory-safety or locking report fails the run even where no case
# failed for it: KASAN fails only the case whose own thread it caught, and
# the suite's races run in threads of their own.  One early-boot report of
# the debug kernel is known and not VCM's (see tests/qemu/workload.sh).
reports=$(grep -a 'BUG: KASAN\|BUG: KFENCE\|UBSAN:\|possible circular locking\|inconsistent lock state\|BUG: sleeping function\|BUG: scheduling while atomic\|BUG: unable to handle' "$log" |
	  grep -v 'BUG: KASAN: wild-memory-access in rcu_is_watching' | head -n 3) || true
if [ -z "$reports" ]; then
	echo "pass $label:kernel-log-clean no KASAN, UBSAN or lockdep report"
else
	echo "fail $label:kernel-log-clean $(echo "$reports" | tr '\n' ' ')"
fi
exit 0
