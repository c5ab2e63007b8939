// SPDX-License-Identifier: GPL-2.0
/*
 * heapfill <heap> <bytes> [<page offset>]
 *
 * Allocates a buffer of <bytes> from /dev/dma_heap/<heap>, fills it with
 * pseudo-random words through one mmap() of the dma-buf and checks every
 * word through a second mmap() (page tables built anew, from the heap's
 * own list of the buffer's pages): a page missing, or mapped twice, shows
 * as a wrong word.  With <page offset>, a third mmap() from that page of
 * the buffer to its end (vm_pgoff: an offset inside a chunk, across the
 * chunks after it) is checked too.  CPU access is bracketed with
 * DMA_BUF_IOCTL_SYNC, as the dma-buf rules want.  With HEAPFILL_MEMCG set
 * to a cgroup's memory.current, its value before the allocation and while
 * the buffer is held are printed too (memcg_before=, memcg_held=); with
 * HEAPFILL_PTE set, the cache type the page tables give the first mapping
 * (pte=, cache=: ptdump.h); with HEAPFILL_MEMTYPE set to VCM's memtype
 * list, the user mappers it counts on the heap's ranges (owner=vcm) while
 * the first mapping lives, in a child forked meanwhile (the mapping
 * copied), and after its munmap (users=<mapped>/<forked>/<unmapped>,
 * each the lowest and highest count over the ranges, "lo-hi" if they
 * differ).  Prints one line; exit status 0 if every word was right.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include "ptdump.h"
#include "xorshift.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cpu_access(int fd, unsigned long long flags)
{
	struct dma_buf_sync sync = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
}

/*
 * The user mapper counts of the heap's ranges in VCM's memtype list, as
 * "lo" or "lo-hi" into @out; "none" if no range is listed.
 */
static void memtype_users(const char *list, char *out, size_t len)
{
	unsigned int u, lo = ~0u, hi = 0;
	char line[256], *q;
	FILE *f = fopen(list, "r");

	snprintf(out, len, "none");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		q = strstr(line, " user=");
		if (!q || !strstr(line, " owner=vcm\n") ||
		    sscanf(q, " user=%u", &u) != 1)
			continue;
		lo = u < lo ? u : lo;
		hi = u > hi ? u : hi;
	}
	fclose(f);
	if (lo == ~0u)
		return;
	if (lo == hi)
		snprintf(out, len, "%u", lo);
	else
		snprintf(out, len, "%u-%u", lo, hi);
}

/* Counted while mapped, in a forked child, and after the munmap. */
static char users[3][16];

static void memtype_users_forked(const char *list)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		memtype_users(list, users[1], sizeof(users[1]));
		if (write(fds[1], users[1], sizeof(users[1])) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], users[1], sizeof(users[1])) < 0)
		users[1][0] = 0;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/*
 * Map @fd from page @skip to its end (@len bytes in all) and fill it
 * (@check 0) or check it (1); return the 4 KiB blocks that were wrong.
 */
static char pte[160];

static long long pass(int fd, size_t len, int check, size_t skip)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL, w[512];
	unsigned long long rw = check ? DMA_BUF_SYNC_READ : DMA_BUF_SYNC_WRITE;
	size_t off, mlen = len - skip * 4096;
	long long bad = 0;
	uint64_t *p;

	p = mmap(NULL, mlen, check ? PROT_READ : PROT_WRITE, MAP_SHARED, fd,
		 skip * 4096);
	if (p == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return -1;
	}
	if (!check && !pte[0] && getenv("HEAPFILL_PTE")) {
		p[0] = 0;
		ptdump_cache(PTDUMP "current_kernel", (unsigned long)p, pte,
			     sizeof(pte));
	}
	if (!check && !users[0][0] && getenv("HEAPFILL_MEMTYPE")) {
		memtype_users(getenv("HEAPFILL_MEMTYPE"), users[0],
			      sizeof(users[0]));
		memtype_users_forked(getenv("HEAPFILL_MEMTYPE"));
	}
	if (cpu_access(fd, DMA_BUF_SYNC_START | rw)) {
		printf("sync start: %s\n", strerror(errno));
		munmap(p, mlen);
		return -1;
	}
	/* The words of block i are the i-th 512 of the stream. */
	for (off = 0; off < len / 8; off += 512) {
		xorshift_fill(w, 512, &state);
		if (off < skip * 512)
			continue;
		if (!check)
			memcpy(p + off - skip * 512, w, sizeof(w));
		else if (memcmp(p + off - skip * 512, w, sizeof(w)))
			bad++;
	}
	if (cpu_access(fd, DMA_BUF_SYNC_END | rw))
		bad = -1;
	munmap(p, mlen);
	if (!check && users[0][0] && !users[2][0])
		memtype_users(getenv("HEAPFILL_MEMTYPE"), users[2],
			      sizeof(users[2]));
	return bad;
}

/* A cgroup's memory.current, or -1. */
static long long memcg_read(const char *file)
{
	long long v = -1;
	FILE *f;

	if (!file)
		return -1;
	f = fopen(file, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	const char *memcg = getenv("HEAPFILL_MEMCG");
	long long before = memcg_read(memcg), held;
	struct dma_heap_allocation_data data = {
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	long long bad, bad_off = 0;
	size_t skip = 0;
	char path[64];
	double t0, t1;
	int heap;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s heap bytes [page offset]\n",
			argv[0]);
		return 2;
	}
	data.len = strtoull(argv[2], NULL, 0);
	if (argc == 4)
		skip = strtoull(argv[3], NULL, 0);
	if (!data.len || data.len % 4096 || skip >= data.len / 4096) {
		fprintf(stderr, "bytes: a multiple of 4096, above the offset\n");
		return 2;
	}
	snprintf(path, sizeof(path), "/dev/dma_heap/%s", argv[1]);
	heap = open(path, O_RDONLY | O_CLOEXEC);
	if (heap < 0) {
		printf("%s: %s\n", path, strerror(errno));
		return 1;
	}
	t0 = now_ms();
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data)) {
		printf("heap=%s bytes=%llu alloc: %s ok=0", argv[1],
		       (unsigned long long)data.len, strerror(errno));
		if (memcg)
			printf(" memcg_before=%lld memcg_after=%lld", before,
			       memcg_read(memcg));
		printf("\n");
		return 1;
	}
	t1 = now_ms();
	bad = pass(data.fd, data.len, 0, 0);
	if (!bad)
		bad = pass(data.fd, data.len, 1, 0);
	if (!bad && skip)
		bad_off = pass(data.fd, data.len, 1, skip);
	held = memcg_read(memcg);
	printf("heap=%s bytes=%llu alloc_ms=%.1f bad_blocks=%lld",
	       argv[1], (unsigned long long)data.len, t1 - t0, bad);
	if (skip)
		printf(" from_page=%zu bad_blocks=%lld", skip, bad_off);
	if (memcg)
		printf(" memcg_before=%lld memcg_held=%lld", before, held);
	if (pte[0])
		printf(" %s", pte);
	if (users[0][0])
		printf(" users=%s/%s/%s", users[0], users[1][0] ? users[1] : "?",
		       users[2]);
	printf(" ok=%d\n", !bad && !bad_off);
	close(data.fd);
	close(heap);
	return bad || bad_off ? 1 : 0;
}
