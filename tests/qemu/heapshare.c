// SPDX-License-Identifier: GPL-2.0
/*
 * heapshare <heap> <bytes> <share file> <peer>
 * heapshare -b <heap> <bytes> <heapbench file> "<rounds> <max seg> [<first>]"
 *
 * Allocates a buffer from /dev/dma_heap/<heap> -- or, with <heap> "vgem",
 * a dumb buffer of the vgem DRM driver exported through PRIME -- writes
 * "heap <fd> <peer>" into an edu device's debugfs share file (the driver
 * takes its own reference to the dma-buf behind the fd), or with -b
 * "<fd> <rounds> <max segment> [<first importer>]" into its heapbench
 * file, and prints
 * what the file then reads.  Exit status 0 if every step worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <linux/dma-heap.h>

/* A dma-buf of @len bytes exported by vgem (DRM PRIME), or -1. */
static int vgem_export(unsigned long long len)
{
	struct drm_mode_create_dumb dumb = {
		.width = 1024, .bpp = 32, .height = len / 4096,
	};
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC | DRM_RDWR };
	char path[32], name[16];
	struct drm_version v;
	int i, fd;

	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&v, 0, sizeof(v));
		memset(name, 0, sizeof(name));
		v.name = name;
		v.name_len = sizeof(name) - 1;
		if (!ioctl(fd, DRM_IOCTL_VERSION, &v) && !strcmp(name, "vgem"))
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		printf("no vgem device in /dev/dri\n");
		return -1;
	}
	if (ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &dumb)) {
		printf("vgem dumb buffer of %llu bytes: %s\n", len,
		       strerror(errno));
		return -1;
	}
	prime.handle = dumb.handle;
	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime)) {
		printf("vgem PRIME export: %s\n", strerror(errno));
		return -1;
	}
	/* The dma-buf holds the object: the device may go. */
	close(fd);
	return prime.fd;
}

int main(int argc, char **argv)
{
	struct dma_heap_allocation_data data = {
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[128], cmd[128], line[512];
	int heap, share, bench = 0;
	ssize_t n;

	if (argc == 6 && !strcmp(argv[1], "-b")) {
		bench = 1;
		argv++;
		argc--;
	}
	if (argc != 5) {
		fprintf(stderr, "usage: %s [-b] <heap> <bytes> <share or heapbench file> <peer or rounds>\n",
			argv[0]);
		return 2;
	}
	data.len = strtoull(argv[2], NULL, 0);
	if (!strcmp(argv[1], "vgem")) {
		heap = vgem_export(data.len);
		if (heap < 0)
			return 1;
		data.fd = heap;
	} else {
		snprintf(path, sizeof(path), "/dev/dma_heap/%s", argv[1]);
		heap = open(path, O_RDONLY | O_CLOEXEC);
		if (heap < 0) {
			printf("open %s: %s\n", path, strerror(errno));
			return 1;
		}
		if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data)) {
			printf("allocation of %llu bytes: %s\n",
			       (unsigned long long)data.len, strerror(errno));
			return 1;
		}
	}
	share = open(argv[3], O_RDWR);
	if (share < 0) {
		printf("open %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	if (bench)
		snprintf(cmd, sizeof(cmd), "%u %s", data.fd, argv[4]);
	else
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
