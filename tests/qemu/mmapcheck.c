// SPDX-License-Identifier: GPL-2.0
/*
 * mmapcheck: map a file (the edu driver's coherent buffer, exported with
 * dma_mmap_coherent()) and check that byte i reads 7i + 3.
 *
 *   mmapcheck <file> <bytes>
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned char *p;
	size_t n, i;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s file bytes\n", argv[0]);
		return 2;
	}
	n = strtoul(argv[2], NULL, 0);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 2;
	}
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (p[i] != (unsigned char)(7 * i + 3)) {
			printf("byte %zu is %#x, not %#x\n", i, p[i],
			       (unsigned char)(7 * i + 3));
			return 1;
		}
	}
	printf("%zu bytes as expected\n", n);
	return 0;
}
