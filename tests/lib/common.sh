# SPDX-License-Identifier: GPL-2.0
# Shared settings of the dma-vcm harness.  Sourced, not run.
#
# Everything heavy lives outside the repository, under $VCM_CACHE:
#   linux-<ver>/      pristine Debian linux-source-6.12, unpacked once
#   src/              the work tree: pristine + our overlay + patches/
#   build-qemu/       O= build of the kernel booted by the QEMU scenarios
#   build-debug/      the same with KASAN, lockdep, kmemleak, fault injection
#   build-kunit/      O= build used by kunit.py
#   ccache/           the compiler cache
#   out/              logs, initramfs, disk images of the last run

set -euo pipefail

VCM_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VCM_CACHE=${VCM_CACHE:-/var/cache/dma-vcm}
VCM_TARBALL=${VCM_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
VCM_PRISTINE=$VCM_CACHE/linux-source-6.12
VCM_SRC=$VCM_CACHE/src
VCM_BUILD=$VCM_CACHE/build-qemu
VCM_DEBUG_BUILD=$VCM_CACHE/build-debug
VCM_KUNIT_BUILD=$VCM_CACHE/build-kunit
VCM_OUT=$VCM_CACHE/out
export CCACHE_DIR=${CCACHE_DIR:-$VCM_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Directories of the repository that mirror the kernel tree.
VCM_OVERLAY_DIRS="include kernel drivers Documentation scripts"
VCM_JOBS=${VCM_JOBS:-$(nproc)}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

kmake() {
	make -s -C "$VCM_SRC" CC="ccache gcc" HOSTCC="ccache gcc" \
		-j"$VCM_JOBS" "$@"
}

# kunit.py on VCM's suite, in the work tree, with ccache; extra arguments
# (a subcommand first: run, build, exec) are passed through.
kunit_py() {
	local cmd=$1

	shift
	(cd "$VCM_SRC" && python3 tools/testing/kunit/kunit.py "$cmd" \
		--arch=x86_64 --build_dir="$VCM_KUNIT_BUILD" "$@")
}
