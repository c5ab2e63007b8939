#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run VCM's KUnit suite with kunit.py on x86_64 (QEMU, TCG) and print one
# "pass|fail kunit:<test>" line per test case.
source "$(dirname "$0")/../lib/common.sh"

log=$VCM_OUT/kunit.log
cd "$VCM_SRC"
# kunit.py runs its own make; give it ccache through CC.
python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
	--build_dir="$VCM_KUNIT_BUILD" \
	--kunitconfig="$VCM_REPO/tests/kunit/vcm.kunitconfig" \
	--make_options CC="ccache gcc" --jobs="$VCM_JOBS" \
	--timeout=600 --raw_output=all > "$log" 2>&1 && rc=0 || rc=$?
# KTAP: "ok N name" / "not ok N name" at test-case indent (4 spaces).
sed -n 's/^    \(not ok\|ok\) [0-9]* \([a-z_0-9]*\).*/\1 \2/p' "$log" |
	while read -r a b c; do
		if [ "$a" = ok ]; then
			echo "pass kunit:$b"
		else
			echo "fail kunit:$c"
		fi
	done
grep -q '^    ok ' "$log" || echo "fail kunit:run kunit.py rc=$rc, see $log"
