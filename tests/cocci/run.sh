#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The semantic patches of scripts/coccinelle/api/vcm_*.cocci, on their
# fixtures and on the kernel.  Prints "pass|fail cocci:<what> <detail>".
#
# Fixtures: tests/cocci/<script>/<case>.c.  In patch mode spatch must turn
# <case>.c into <case>.res, or leave it unchanged where there is no .res
# (a case that must not be converted); in report mode it must print
# exactly the lines of <case>.report (sorted).  Each is a check.
#
# Then every script runs in report mode through "make coccicheck" in the
# overlaid tree over the subsystems where the patterns live, and the
# number of reports is printed (a check that spatch ran, not a count that
# must hold).  With --tree, over the whole tree instead.
source "$(dirname "$0")/../lib/common.sh"

dirs="drivers/dma-buf drivers/media drivers/gpu/drm sound drivers/misc"
tree=
[ "${1:-}" = --tree ] && tree=1 dirs=tree
fixtures=$VCM_REPO/tests/cocci
out=$VCM_OUT/cocci
mkdir -p "$out"
flags="--very-quiet --no-includes --include-headers"

for sp in "$VCM_REPO"/scripts/coccinelle/api/vcm_*.cocci; do
	name=$(basename "$sp" .cocci)
	n=0
	[ -n "$tree" ] && n=1
	for c in "$fixtures/$name"/*.c; do
		if [ ! -e "$c" ] || [ -n "$tree" ]; then continue; fi
		n=$((n + 1))
		case=$(basename "$c" .c)
		want=$fixtures/$name/$case.res
		[ -e "$want" ] || want=$c
		# A script with no rule for patch mode (report only) changes
		# nothing, which spatch says instead of writing the file.
		rc=0
		# shellcheck disable=SC2086
		(cd "$fixtures/$name" && spatch --sp-file "$sp" -D patch $flags \
			"$case.c" -o "$out/$name-$case.c") > "$out/$name-$case.log" 2>&1 || rc=$?
		if [ "$rc" != 0 ] && grep -q "^No rules apply" "$out/$name-$case.log"; then
			rc=0
			cp "$c" "$out/$name-$case.c"
		fi
		if [ "$rc" != 0 ]; then
			echo "fail cocci:$name/$case-patch spatch failed, see $out/$name-$case.log"
		elif ! [ -e "$out/$name-$case.c" ]; then
			echo "fail cocci:$name/$case-patch no output, see $out/$name-$case.log"
		elif diff -u "$want" "$out/$name-$case.c" > "$out/$name-$case.diff"; then
			[ "$want" = "$c" ] && what="left unchanged" || what="converted as $case.res"
			echo "pass cocci:$name/$case-patch $what"
		else
			echo "fail cocci:$name/$case-patch differs from $(basename "$want"), see $out/$name-$case.diff"
		fi
		rm -f "$out/$name-$case.c"
		# shellcheck disable=SC2086
		(cd "$fixtures/$name" && spatch --sp-file "$sp" -D report --no-show-diff $flags "$case.c") \
			2> "$out/$name-$case-report.log" | sort > "$out/$name-$case.report"
		if [ ! -e "$fixtures/$name/$case.report" ]; then
			echo "fail cocci:$name/$case-report no $case.report in tests/cocci/$name"
		elif diff -u "$fixtures/$name/$case.report" "$out/$name-$case.report" \
				> "$out/$name-$case-report.diff"; then
			echo "pass cocci:$name/$case-report $(wc -l < "$out/$name-$case.report") lines as expected"
		else
			echo "fail cocci:$name/$case-report differs, see $out/$name-$case-report.diff"
		fi
	done
	[ "$n" -gt 0 ] || echo "fail cocci:$name-fixtures none in tests/cocci/$name"

	# The script through coccicheck, as a kernel developer runs it.
	for d in $dirs; do
		log=$out/$name-coccicheck-${d//\//_}.log
		m=M=$d
		[ "$d" = tree ] && m=
		# shellcheck disable=SC2086
		if make -C "$VCM_SRC" coccicheck MODE=report \
				COCCI="scripts/coccinelle/api/$name.cocci" \
				$m > "$log" 2>&1; then
			r=$(grep -c ': \(WARNING\|INFO\): ' "$log" || true)
			w=$(grep -c ': WARNING: ' "$log" || true)
			echo "pass cocci:coccicheck-$name-${d//\//_} $r reports ($w WARNING, the rest INFO) in $d"
		else
			echo "fail cocci:coccicheck-$name-${d//\//_} make coccicheck failed, see $log"
		fi
	done
done
