// SPDX-License-Identifier: GPL-2.0
/*
 * wccheck: the user side of the memory-type checks (memtype_wc_test).
 *
 *   wccheck map <file> <bytes> fill|verify <seed>
 *	map <bytes> of <file> (the edu driver's write-combining buffer, made
 *	by dma_mmap_wc() or dma_mmap_coherent()), print the cache type that
 *	the page-table entries of the mapping give it, read from this
 *	process's own page tables (/sys/kernel/debug/page_tables/
 *	current_kernel, which covers user space too), then write the
 *	pattern of <seed> through it or check that it holds that pattern
 *   wccheck pte <address>
 *	print the cache type of a kernel address, from the kernel's page
 *	tables (/sys/kernel/debug/page_tables/kernel)
 *
 * Output: "pte=<PWT>,<PCD>,<PAT> cache=<type>" (Linux's PAT layout: the
 * three bits index the PAT MSR, which Linux programs WB, WC, UC-, UC, WB,
 * WP, UC-, WT), then "ok bytes=N" or what went wrong.  Exit status 0 only
 * if the page tables were read and the data was right.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ptdump.h"

/* Byte @i of the pattern of @seed; the edu driver has the same. */
static unsigned char pattern(unsigned long seed, unsigned long i)
{
	return (unsigned char)(i * 167 + (i >> 9) * 13 + seed * 101);
}

static int map(const char *file, size_t n, const char *what,
	       unsigned long seed)
{
	unsigned char *p;
	char pte[160];
	size_t i;
	int fd, bad;

	fd = open(file, O_RDWR);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 2;
	}
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 3;
	}
	/* Fault the first page in, so that its entry exists. */
	(void)*(volatile unsigned char *)p;
	bad = ptdump_cache(PTDUMP "current_kernel", (unsigned long)p, pte,
			   sizeof(pte));
	printf("%s\n", pte);
	if (!strcmp(what, "fill")) {
		for (i = 0; i < n; i++)
			p[i] = pattern(seed, i);
	} else {
		for (i = 0; i < n; i++) {
			if (p[i] != pattern(seed, i)) {
				printf("byte %zu is %#x, not %#x\n", i, p[i],
				       pattern(seed, i));
				return 1;
			}
		}
	}
	munmap(p, n);
	close(fd);
	if (bad)
		return 1;
	printf("ok bytes=%zu\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "map") &&
	    (!strcmp(argv[4], "fill") || !strcmp(argv[4], "verify")))
		return map(argv[2], strtoul(argv[3], NULL, 0), argv[4],
			   strtoul(argv[5], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "pte")) {
		char pte[160];
		int ret = ptdump_cache(PTDUMP "kernel",
				       strtoul(argv[2], NULL, 16), pte,
				       sizeof(pte));

		printf("%s\n", pte);
		return ret;
	}
	fprintf(stderr, "usage: %s map <file> <bytes> fill|verify <seed>\n"
		"       %s pte <hex address>\n", argv[0], argv[0]);
	return 2;
}
