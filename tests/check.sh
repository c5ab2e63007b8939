#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The whole test suite: static checks, KUnit, QEMU scenarios.  Ends with
# the line "N passed, N failed" and exits non-zero if anything failed.
#
#   tests/check.sh [static] [kunit] [qemu]    (default: all three)
source "$(dirname "$0")/lib/common.sh"

results=$VCM_OUT/check.results
parts=${*:-static kunit qemu}
bash "$VCM_REPO/tests/lib/setup.sh"
: > "$results"

record() {	# record pass|fail name [detail]
	echo "$*" >> "$results"
	echo "$*"
}

bash "$VCM_REPO/tests/lib/prepare-tree.sh"

if [[ " $parts " == *" static "* ]]; then
	bash "$VCM_REPO/tests/lib/static.sh" | tee -a "$results" || true
fi

if [[ " $parts " == *" kunit "* ]]; then
	bash "$VCM_REPO/tests/kunit/run.sh" | tee -a "$results" || true
fi

if [[ " $parts " == *" qemu "* ]]; then
	if bash "$VCM_REPO/tests/lib/build-kernel.sh" > "$VCM_OUT/build.log" 2>&1; then
		record pass build:qemu-kernel
		bash "$VCM_REPO/tests/lib/initramfs.sh"
		for s in stock direct vtd vtd-lazy viommu; do
			bash "$VCM_REPO/tests/qemu/run.sh" "$s" >> "$results" || true
		done
	else
		tail -30 "$VCM_OUT/build.log"
		record fail build:qemu-kernel "see $VCM_OUT/build.log"
	fi
fi

echo
echo "=== results ($results) ==="
grep '^fail' "$results" || true
passed=$(grep -c '^pass' "$results" || true)
failed=$(grep -c '^fail' "$results" || true)
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
