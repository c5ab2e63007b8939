// SPDX-License-Identifier: GPL-2.0
/*
 * heapshare <heap> <bytes> <share file> <peer>
 *
 * Allocates a buffer from /dev/dma_heap/<heap>, writes "heap <fd> <peer>"
 * into an edu device's debugfs share file (the driver takes its own
 * reference to the dma-buf behind the fd), and prints what the file then
 * reads.  Exit status 0 if every step worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/dma-heap.h>

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data data = {
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[128], cmd[128], line[512];
	int heap, share;
	ssize_t n;

	if (argc != 5) {
		fprintf(stderr, "usage: %s <heap> <bytes> <share file> <peer>\n",
			argv[0]);
		return 2;
	}
	snprintf(path, sizeof(path), "/dev/dma_heap/%s", argv[1]);
	heap = open(path, O_RDONLY | O_CLOEXEC);
	if (heap < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		return 1;
	}
	data.len = strtoull(argv[2], NULL, 0);
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data)) {
		printf("allocation of %llu bytes: %s\n",
		       (unsigned long long)data.len, strerror(errno));
		return 1;
	}
	share = open(argv[3], O_RDWR);
	if (share < 0) {
		printf("open %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "heap %u %s", data.fd, argv[4]);
	if (write(share, cmd, strlen(cmd)) < 0) {
		printf("%s: %s\n", cmd, strerror(errno));
		return 1;
	}
	n = pread(share, line, sizeof(line) - 1, 0);
	if (n < 0) {
		printf("read %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	line[n] = 0;
	fputs(line, stdout);
	close(data.fd);
	return 0;
}
