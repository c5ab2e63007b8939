#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure (tinyconfig + tests/configs/qemu.config) and build the kernel
# booted by the QEMU scenarios.  Extra make arguments (W=1, C=1, a target
# list) are passed through.
#
# VCM_KERNEL=debug builds the debug kernel of the kasan-* scenarios instead:
# the same plus tests/configs/debug.config (KASAN, lockdep, kmemleak, fault
# injection), in its own build directory.
source "$(dirname "$0")/common.sh"

frags=$VCM_REPO/tests/configs/qemu.config
build=$VCM_BUILD
if [ "${VCM_KERNEL:-qemu}" = debug ]; then
	frags="$frags $VCM_REPO/tests/configs/debug.config"
	build=$VCM_DEBUG_BUILD
fi
mkdir -p "$build"
# shellcheck disable=SC2086
if ! cat $frags | cmp -s - "$build/.vcm-fragment" ||
   [ "$VCM_SRC/.vcm-patches" -nt "$build/.config" ]; then
	log "configuring $build"
	kmake O="$build" tinyconfig >/dev/null
	# shellcheck disable=SC2086
	"$VCM_SRC/scripts/kconfig/merge_config.sh" -m -O "$build" \
		"$build/.config" $frags >/dev/null
	kmake O="$build" olddefconfig >/dev/null
	# A typo or an unmet dependency must not pass silently: each
	# symbol's last setting in the fragments is what .config says.
	# shellcheck disable=SC2086
	awk '/^CONFIG_[A-Za-z0-9_]*=/ { sym = $0; sub(/=.*/, "", sym); set[sym] = $0 }
	     /^# CONFIG_[A-Za-z0-9_]* is not set$/ { set[$2] = $0 }
	     END { for (s in set) print set[s] }' $frags |
	while read -r line; do
		case "$line" in
		CONFIG_*) grep -qx "$line" "$build/.config" ;;
		*)	sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$build/.config" ;;
		esac || die "fragment line '$line' did not survive olddefconfig"
	done
	# shellcheck disable=SC2086
	cat $frags > "$build/.vcm-fragment"
fi
log "building kernel in $build $*"
kmake O="$build" "${@:-bzImage}"
