/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cache type that the kernel's page tables give an address, read from
 * ptdump (CONFIG_PTDUMP_DEBUGFS): shared by the test programs that check
 * memory types (wccheck, heapfill).
 *
 * Linux's PAT layout: the PWT, PCD and PAT bits of an entry index the PAT
 * MSR, which Linux programs WB, WC, UC-, UC, WB, WP, UC-, WT.
 */
#ifndef VCM_TEST_PTDUMP_H
#define VCM_TEST_PTDUMP_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PTDUMP "/sys/kernel/debug/page_tables/"

static const char * const ptdump_cache_names[8] = {
	"write-back", "write-combining", "uncached-minus", "uncached",
	"write-back", "write-protect", "uncached-minus", "write-through",
};

/*
 * Describe in @out ("pte=<PWT>,<PCD>,<PAT> cache=<type>") the cache type
 * that the page tables dumped in @file give @addr; 0 if it is mapped.
 */
static inline int ptdump_cache(const char *file, unsigned long addr,
			       char *out, size_t len)
{
	char line[512];
	unsigned long lo, hi;
	FILE *f = fopen(file, "r");

	if (!f) {
		snprintf(out, len, "pte=absent cache=absent (%s: %s)", file,
			 strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		int pwt, pcd, pat;

		if (sscanf(line, "0x%lx-0x%lx", &lo, &hi) != 2 ||
		    addr < lo || addr >= hi)
			continue;
		fclose(f);
		if (!strstr(line, " RW ") && !strstr(line, " ro ")) {
			snprintf(out, len, "pte=absent cache=absent (not present)");
			return 1;
		}
		pwt = !!strstr(line, " PWT ");
		pcd = !!strstr(line, " PCD ");
		pat = !!strstr(line, " PAT ");
		snprintf(out, len, "pte=%s,%s,%s cache=%s", pwt ? "PWT" : "-",
			 pcd ? "PCD" : "-", pat ? "PAT" : "-",
			 ptdump_cache_names[pat << 2 | pcd << 1 | pwt]);
		return 0;
	}
	fclose(f);
	snprintf(out, len, "pte=absent cache=absent (%#lx not in %s)", addr,
		 file);
	return 1;
}

#endif
