// SPDX-License-Identifier: GPL-2.0
/*
 * p2pio: O_DIRECT block I/O whose buffers are peer-to-peer memory.
 *
 *   p2pio <provider PCI address> <block device> <offset> <bytes>
 *
 * Maps two buffers of <bytes> from the P2PDMA memory a PCI device publishes
 * (/sys/bus/pci/devices/<addr>/p2pmem/allocate: an NVMe controller memory
 * buffer), fills the first with a pattern, writes it to the block device at
 * <offset> with O_DIRECT (the disk's controller reads peer memory) and
 * reads it back with O_DIRECT into the second (the controller writes peer
 * memory).  Both buffers must hold the pattern, and a buffered read of the
 * same range (through the page cache, emptied first) must too: the data
 * reached the disk, not only the peer memory.
 *
 * Prints one line and exits 0 if all three agree.  A transfer the kernel
 * refuses exits 2 and names the errno (EREMOTEIO: the device cannot reach
 * the peer memory), any other failure exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xorshift.h"

/* Index of the first word where @a and @b differ, or @words. */
static size_t first_diff(const volatile uint64_t *a, const uint64_t *b,
			 size_t words)
{
	size_t i;

	for (i = 0; i < words; i++)
		if (a[i] != b[i])
			break;
	return i;
}

static int fail(int code, const char *what)
{
	printf("%s: %s (errno %d)\n", what, strerror(errno), errno);
	return code;
}

/*
 * All @bytes of @buf written to (@to_disk) or read from @fd at @off: 0,
 * or 2 if the kernel refused with EREMOTEIO, 1 for any other failure.
 */
static int xfer(int fd, int to_disk, volatile void *buf, size_t bytes,
		off_t off, const char *what)
{
	ssize_t n = to_disk ? pwrite(fd, (void *)buf, bytes, off) :
			    pread(fd, (void *)buf, bytes, off);

	if (n < 0)
		return fail(errno == EREMOTEIO ? 2 : 1, what);
	if ((size_t)n != bytes) {
		printf("%s: %zd of %zu bytes\n", what, n, bytes);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char path[256];
	uint64_t *want, *got, seed;
	volatile uint64_t *src, *dst;
	size_t bytes, words, d;
	ssize_t n;
	off_t off;
	int mem, blk, cached, ret;
	void *map;

	if (argc != 5) {
		fprintf(stderr, "usage: %s <pci address> <block device> <offset> <bytes>\n",
			argv[0]);
		return 1;
	}
	off = strtoll(argv[3], NULL, 0);
	bytes = strtoul(argv[4], NULL, 0);
	words = bytes / sizeof(uint64_t);
	if (!bytes || bytes % 4096 || off % 4096) {
		fprintf(stderr, "offset and size must be whole pages\n");
		return 1;
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
		 argv[1]);
	mem = open(path, O_RDWR);
	if (mem < 0)
		return fail(1, path);
	map = mmap(NULL, 2 * bytes, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0);
	if (map == MAP_FAILED)
		return fail(1, "mmap of p2pmem");
	src = map;
	dst = (volatile uint64_t *)((char *)map + bytes);

	want = malloc(bytes);
	got = aligned_alloc(4096, bytes);
	if (!want || !got)
		return fail(1, "malloc");
	seed = ((uint64_t)off ^ bytes) | 1;
	xorshift_fill(want, words, &seed);
	for (d = 0; d < words; d++) {
		src[d] = want[d];
		dst[d] = ~want[d];
	}

	blk = open(argv[2], O_RDWR | O_DIRECT);
	if (blk < 0)
		return fail(1, argv[2]);
	ret = xfer(blk, 1, src, bytes, off, "O_DIRECT write from p2pmem");
	if (!ret)
		ret = xfer(blk, 0, dst, bytes, off, "O_DIRECT read into p2pmem");
	if (ret)
		return ret;
	close(blk);

	d = first_diff(src, want, words);
	if (d != words) {
		printf("source p2pmem changed at byte %zu\n", d * 8);
		return 1;
	}
	d = first_diff(dst, want, words);
	if (d != words) {
		printf("p2pmem read back differs at byte %zu\n", d * 8);
		return 1;
	}

	/* What the disk holds, through the page cache, emptied first. */
	cached = open(argv[2], O_RDONLY);
	if (cached < 0)
		return fail(1, argv[2]);
	posix_fadvise(cached, 0, 0, POSIX_FADV_DONTNEED);
	n = pread(cached, got, bytes, off);
	if (n < 0 || (size_t)n != bytes)
		return fail(1, "buffered read");
	d = first_diff(got, want, words);
	if (d != words) {
		printf("disk differs from the p2pmem source at byte %zu\n",
		       d * 8);
		return 1;
	}
	printf("%zu bytes at %lld: p2pmem -> disk -> p2pmem and disk -> page cache all match\n",
	       bytes, (long long)off);
	munmap(map, 2 * bytes);
	close(mem);
	return 0;
}
