# SPDX-License-Identifier: GPL-2.0
# dma-vcm harness.  See README.md.

.PHONY: all setup tree kernel demo check static cocci cocci-tree kunit qemu bench series mutants clean

all: demo

setup:
	@bash tests/lib/setup.sh

tree: setup
	@bash tests/lib/prepare-tree.sh

kernel: tree
	@bash tests/lib/build-kernel.sh

demo: kernel
	@bash tests/demo.sh

check:
	@bash tests/check.sh

static cocci kunit qemu:
	@bash tests/check.sh $@

# Every semantic patch in report mode over the whole kernel tree.
cocci-tree: tree
	@bash tests/cocci/run.sh --tree

bench: kernel
	@bash tests/bench/run.sh

series: tree
	@bash tests/lib/series.sh

mutants:
	@bash tests/mutants/run.sh

clean:
	rm -rf "$${VCM_CACHE:-/var/cache/dma-vcm}/out"
