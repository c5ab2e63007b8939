#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks of everything the project adds to the kernel:
#   checkpatch --strict on each file and on each patch, kernel-doc on each
#   file, and a W=1 + sparse (C=2) build of our objects with no warning.
# Prints "pass|fail static:<what> <detail>" lines.
source "$(dirname "$0")/common.sh"

cd "$VCM_SRC"
files=$(cd "$VCM_REPO" && git ls-files -co --exclude-standard \
	'include/*.h' 'kernel/*.[ch]' 'drivers/*.[ch]')
out=$VCM_OUT/static
mkdir -p "$out"

# In file mode checkpatch cannot see that kernel-parameters.txt documents
# an __setup() (it only looks at the patch it is given), so that one check
# is replaced by a grep of the patched tree.  Its ENOSYS check ("invalid
# syscall nr and nothing else") is ignored too: IOMMU fault handlers must
# return -ENOSYS for "not handled" (report_iommu_fault()), and nothing of
# ours is a system call.
for opt in $(cd "$VCM_REPO" && grep -ho '__setup("[^"]*"' $files | cut -d'"' -f2); do
	if grep -q "^	$opt" Documentation/admin-guide/kernel-parameters.txt; then
		echo "pass static:documented-$opt"
	else
		echo "fail static:documented-$opt not in kernel-parameters.txt"
	fi
done

for f in $files; do
	name=${f//\//_}
	if scripts/checkpatch.pl --strict --quiet --ignore UNDOCUMENTED_SETUP,ENOSYS \
			-f "$f" \
			> "$out/checkpatch-$name.log" 2>&1; then
		echo "pass static:checkpatch-$f"
	else
		echo "fail static:checkpatch-$f $(grep -c '^\(ERROR\|WARNING\|CHECK\)' "$out/checkpatch-$name.log") findings, see $out/checkpatch-$name.log"
	fi
	scripts/kernel-doc -Wall -none "$f" > "$out/kdoc-$name.log" 2>&1
	if [ -s "$out/kdoc-$name.log" ]; then
		echo "fail static:kernel-doc-$f see $out/kdoc-$name.log"
	else
		echo "pass static:kernel-doc-$f"
	fi
done

for p in "$VCM_REPO"/patches/*.patch; do
	name=$(basename "$p")
	if scripts/checkpatch.pl --strict --quiet "$p" \
			> "$out/checkpatch-$name.log" 2>&1; then
		echo "pass static:checkpatch-$name"
	else
		echo "fail static:checkpatch-$name see $out/checkpatch-$name.log"
	fi
done

# Our ABI descriptions must parse as the kernel's ABI tool reads them (it
# prints what it cannot parse, and finds each "What:" entry).
for f in $(cd "$VCM_REPO" && git ls-files -co --exclude-standard 'Documentation/ABI/*'); do
	abi=$(mktemp -d)
	mkdir -p "$abi/testing"
	cp "$VCM_REPO/$f" "$abi/testing/"
	whats=$(grep -c '^What:' "$VCM_REPO/$f")
	found=$(perl scripts/get_abi.pl --dir "$abi" search . 2>&1 | grep -c '^/sys/')
	warn=$(perl scripts/get_abi.pl --dir "$abi" validate 2>&1)
	rm -rf "$abi"
	if [ -z "$warn" ] && [ "$whats" -gt 0 ] && [ "$found" = "$whats" ]; then
		echo "pass static:abi-$f $whats entries"
	else
		echo "fail static:abi-$f $found of $whats entries found; ${warn:-no warning}"
	fi
done

# make mutants is not part of make check, but its list must keep matching
# the code it mutates: each mutant's lines once in its file.
if python3 "$VCM_REPO/tests/mutants/apply.py" "$VCM_REPO/tests/mutants/mutants.txt" \
		check "$VCM_REPO" > "$out/mutants-list.log" 2>&1; then
	echo "pass static:mutant-list-applies $(cat "$out/mutants-list.log")"
else
	echo "fail static:mutant-list-applies $(head -n1 "$out/mutants-list.log")"
fi

# W=1 and sparse on exactly our sources, compiled from the repository
# through its top-level Kbuild against the configured QEMU kernel tree
# (which has the KUnit suite too).
bash "$VCM_REPO/tests/lib/build-kernel.sh" > "$out/build.log" 2>&1 ||
	{ echo "fail static:build see $out/build.log"; exit 0; }
objs=$(grep -o '[a-z/_-]*\.o' "$VCM_REPO/Kbuild" | sort -u)
# shellcheck disable=SC2086
(cd "$VCM_REPO" && rm -f $objs)
# shellcheck disable=SC2086
kmake O="$VCM_BUILD" M="$VCM_REPO" W=1 C=2 $objs > "$out/w1-sparse.log" 2>&1 ||
	echo "make failed" >> "$out/w1-sparse.log"
# One report is the kernel's own: latch_tree_insert() (rbtree_latch.h, the
# index of vcm-share.c, as kernel/module/tree_lookup.c uses it) links nodes
# with rb_link_node_rcu(), whose rcu_assign_pointer() on a plain rb_node
# pointer sparse calls a comparison of address spaces, at rbtree.h:74.  That
# line alone is let through, by file and line.
known='include/linux/rbtree.h:74:9: error: incompatible types in comparison expression (different address spaces)'
if grep -E 'warning|error|failed' "$out/w1-sparse.log" | grep -vF "$known" > "$out/w1-sparse.findings"; then
	echo "fail static:w1-sparse $(wc -l < "$out/w1-sparse.findings") findings, see $out/w1-sparse.findings"
else
	echo "pass static:w1-sparse $(echo $objs | wc -w) objects"
fi
