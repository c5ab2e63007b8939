// SPDX-License-Identifier: GPL-2.0
/*
 * randfile <MiB>: write that many MiB of pseudo-random bytes to stdout.
 *
 * The test data of the QEMU scenarios.  Reading it from /dev/urandom costs
 * the guest kernel one ChaCha20 block per 64 bytes, which the debug kernel
 * (KASAN) under TCG turns into tens of seconds; this costs a few
 * instructions per 8 bytes.  The stream is xorshift64* (xorshift.h)
 * seeded from getrandom(): no two runs write the same data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "xorshift.h"

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

		xorshift_fill(buf, WORDS, &x);
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
