#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs on Debian 12.  Idempotent: it asks apt
# only for packages that are missing, and runs "apt-get update" at most
# once per machine unless a package is missing from the lists.
source "$(dirname "$0")/common.sh"

PKGS="linux-source-6.12 qemu-system-x86 qemu-utils busybox-static ccache
coccinelle sparse gcc make flex bison bc libelf-dev libssl-dev cpio xz-utils
python3 rsync patch e2fsprogs kmod dwarves git graphviz"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "need root to install:$missing"
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
mkdir -p "$VCM_CACHE" "$CCACHE_DIR" "$VCM_OUT"
