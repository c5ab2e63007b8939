/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xorshift64* (Marsaglia, Vigna): the pseudo-random words of the QEMU
 * scenarios' test programs.  A few instructions per word, and no word
 * repeats within 2^64 of them, so data that lands in the wrong place, or
 * twice, changes a checksum.
 */
#ifndef VCM_TEST_XORSHIFT_H
#define VCM_TEST_XORSHIFT_H

#include <stddef.h>
#include <stdint.h>

/* Fill @words words at @p from *@state (never 0), which moves on. */
static inline void xorshift_fill(uint64_t *p, size_t words, uint64_t *state)
{
	uint64_t x = *state;
	size_t i;

	for (i = 0; i < words; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = x * 0x2545f4914f6cdd1dULL;
	}
	*state = x;
}

#endif
