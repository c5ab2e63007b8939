#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure (tinyconfig + tests/configs/qemu.config) and build the kernel
# booted by the QEMU scenarios.  Extra make arguments (W=1, C=1, a target
# list) are passed through.
source "$(dirname "$0")/common.sh"

frag=$VCM_REPO/tests/configs/qemu.config
mkdir -p "$VCM_BUILD"
if ! cmp -s "$frag" "$VCM_BUILD/.vcm-fragment" ||
   [ "$VCM_SRC/.vcm-patches" -nt "$VCM_BUILD/.config" ]; then
	log "configuring $VCM_BUILD"
	kmake O="$VCM_BUILD" tinyconfig >/dev/null
	"$VCM_SRC/scripts/kconfig/merge_config.sh" -m -O "$VCM_BUILD" \
		"$VCM_BUILD/.config" "$frag" >/dev/null
	kmake O="$VCM_BUILD" olddefconfig >/dev/null
	# A typo or an unmet dependency must not pass silently.
	while read -r line; do
		case "$line" in CONFIG_*) ;; *) continue ;; esac
		grep -qx "$line" "$VCM_BUILD/.config" ||
			die "fragment line '$line' did not survive olddefconfig"
	done < "$frag"
	cp "$frag" "$VCM_BUILD/.vcm-fragment"
fi
log "building kernel in $VCM_BUILD $*"
kmake O="$VCM_BUILD" "${@:-bzImage}"
