// SPDX-License-Identifier: GPL-2.0
/*
 * randfile <MiB>: write that many MiB of pseudo-random bytes to stdout.
 *
 * The test data of the QEMU scenarios.  Reading it from /dev/urandom costs
 * the guest kernel one ChaCha20 block per 64 bytes, which the debug kernel
 * (KASAN) under TCG turns into tens of seconds; this costs a few
 * instructions per 8 bytes.  The stream is xorshift64* (Marsaglia, Vigna)
 * seeded from getrandom(): no two runs write the same data, and no 8-byte
 * word repeats within 2^64 of them, so a block that lands in the wrong
 * place, or twice, changes the checksum.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#define WORDS	(1 << 17)	/* 1 MiB of 8-byte words */

static uint64_t buf[WORDS];

int main(int argc, char **argv)
{
	uint64_t x = 0;
	long mib;

	mib = argc == 2 ? strtol(argv[1], NULL, 0) : 0;
	if (mib <= 0) {
		fprintf(stderr, "usage: randfile <MiB>\n");
		return 2;
	}
	if (getrandom(&x, sizeof(x), 0) != sizeof(x)) {
		perror("getrandom");
		return 1;
	}
	x |= 1;		/* xorshift's state must not be 0 */
	while (mib--) {
		size_t done = 0;
		ssize_t n;
		int i;

		for (i = 0; i < WORDS; i++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			buf[i] = x * 0x2545f4914f6cdd1dULL;
		}
		while (done < sizeof(buf)) {
			n = write(STDOUT_FILENO, (char *)buf + done,
				  sizeof(buf) - done);
			if (n <= 0) {
				perror("write");
				return 1;
			}
			done += n;
		}
	}
	return 0;
}
