#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make $VCM_SRC = Debian's linux-source-6.12 + patches/ + our overlay.
#
# The pristine tree is unpacked once.  The work tree is re-made from it
# only when patches/ changed; otherwise the overlay is synced by content
# (rsync --checksum), so unchanged files keep their mtimes and kbuild
# rebuilds only what we touched.
source "$(dirname "$0")/common.sh"

[ -f "$VCM_TARBALL" ] || die "$VCM_TARBALL missing: run tests/lib/setup.sh"
if [ ! -f "$VCM_PRISTINE/Makefile" ]; then
	log "unpacking $VCM_TARBALL"
	tar -C "$VCM_CACHE" -xf "$VCM_TARBALL"
fi

stamp=$(cat "$VCM_REPO"/patches/*.patch | sha1sum | cut -d' ' -f1)
if [ "$(cat "$VCM_SRC/.vcm-patches" 2>/dev/null)" != "$stamp" ]; then
	log "creating work tree $VCM_SRC"
	rm -rf "$VCM_SRC"
	cp -a "$VCM_PRISTINE" "$VCM_SRC"
	for p in "$VCM_REPO"/patches/*.patch; do
		patch -p1 -s -d "$VCM_SRC" < "$p" || die "patch $p failed"
	done
	echo "$stamp" > "$VCM_SRC/.vcm-patches"
	rm -f "$VCM_SRC/.vcm-manifest"
fi

# Overlay, and take back files that left the repository since last time.
cd "$VCM_REPO"
new=$(git ls-files -co --exclude-standard $VCM_OVERLAY_DIRS 2>/dev/null ||
      find $VCM_OVERLAY_DIRS -type f)
for f in $(comm -23 <(sort "$VCM_SRC/.vcm-manifest" 2>/dev/null) \
		    <(echo "$new" | sort)); do
	if [ -f "$VCM_PRISTINE/$f" ]; then
		cp "$VCM_PRISTINE/$f" "$VCM_SRC/$f"
	else
		rm -f "$VCM_SRC/$f"
	fi
done
# shellcheck disable=SC2086
echo "$new" | rsync -rc --files-from=- . "$VCM_SRC/"
echo "$new" > "$VCM_SRC/.vcm-manifest"
