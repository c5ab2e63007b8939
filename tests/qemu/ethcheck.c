// SPDX-License-Identifier: GPL-2.0
/*
 * ethcheck: send raw Ethernet frames with checked payloads from one
 * interface and receive them on another (the two NICs sit on one QEMU hub).
 *
 *   ethcheck <tx-if> <rx-if> <frames>
 *
 * Each frame carries a sequence number, a random payload of random length
 * and a checksum of both.  Prints "sent=N received=N good=N bad=N lost=N"
 * and exits 0 only if every frame arrived intact.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE_VCMTEST 0x88b5	/* IEEE local experimental */
#define MIN_PAYLOAD 46
#define MAX_PAYLOAD 1500
#define HDR_BYTES 12			/* seq, len, sum */

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Fletcher-32 over the payload after the header. */
static uint32_t fletcher32(const uint8_t *p, size_t n)
{
	uint32_t a = 0xffff, b = 0xffff;

	while (n--) {
		a = (a + *p++) % 65535;
		b = (b + a) % 65535;
	}
	return b << 16 | a;
}

static int open_if(const char *name, int *ifindex, uint8_t mac[6])
{
	struct sockaddr_ll sll = { 0 };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_VCMTEST));

	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
		perror(name);
		exit(2);
	}
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror(name);
		exit(2);
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETHERTYPE_VCMTEST);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bind");
		exit(2);
	}
	return fd;
}

/*
 * Receive until @want good frames have arrived or no frame came for @ms
 * milliseconds; count good and bad frames.
 */
static void drain(int rx, int ms, unsigned char *seen, unsigned int frames,
		  unsigned int *good, unsigned int *bad, unsigned int *dup,
		  unsigned int want)
{
	uint8_t buf[2048];
	struct pollfd pfd = { .fd = rx, .events = POLLIN };

	while (*good < want && poll(&pfd, 1, ms) > 0) {
		ssize_t n = recv(rx, buf, sizeof(buf), 0);
		uint32_t seq, len, sum;
		uint8_t *pl = buf + 14;

		if (n < 14 + HDR_BYTES)
			continue;
		memcpy(&seq, pl, 4);
		memcpy(&len, pl + 4, 4);
		memcpy(&sum, pl + 8, 4);
		if (seq >= frames || len < HDR_BYTES || len > MAX_PAYLOAD ||
		    n < 14 + (ssize_t)len ||
		    fletcher32(pl + HDR_BYTES, len - HDR_BYTES) !=
		    (sum ^ seq)) {
			(*bad)++;
			continue;
		}
		if (seen[seq]++)
			(*dup)++;
		else
			(*good)++;
	}
}

int main(int argc, char **argv)
{
	unsigned int frames, i, good = 0, bad = 0, dup = 0;
	int txi, rxi, tx, rx;
	uint8_t txmac[6], rxmac[6], frame[14 + MAX_PAYLOAD];
	uint32_t rnd = (uint32_t)time(NULL) | 1;
	unsigned char *seen;

	if (argc != 4) {
		fprintf(stderr, "usage: %s tx-if rx-if frames\n", argv[0]);
		return 2;
	}
	frames = strtoul(argv[3], NULL, 0);
	seen = calloc(frames, 1);
	tx = open_if(argv[1], &txi, txmac);
	rx = open_if(argv[2], &rxi, rxmac);
	drain(rx, 0, seen, frames, &good, &bad, &dup, frames);
	good = bad = dup = 0;

	for (i = 0; i < frames; i++) {
		uint32_t len = MIN_PAYLOAD + xorshift(&rnd) %
			       (MAX_PAYLOAD - MIN_PAYLOAD + 1);
		uint8_t *pl = frame + 14;
		uint16_t type = htons(ETHERTYPE_VCMTEST);
		uint32_t j, sum;
		struct sockaddr_ll to = { 0 };

		memcpy(frame, rxmac, 6);
		memcpy(frame + 6, txmac, 6);
		memcpy(frame + 12, &type, 2);
		for (j = HDR_BYTES; j < len; j++)
			pl[j] = xorshift(&rnd);
		sum = fletcher32(pl + HDR_BYTES, len - HDR_BYTES) ^ i;
		memcpy(pl, &i, 4);
		memcpy(pl + 4, &len, 4);
		memcpy(pl + 8, &sum, 4);
		to.sll_family = AF_PACKET;
		to.sll_ifindex = txi;
		to.sll_halen = 6;
		memcpy(to.sll_addr, rxmac, 6);
		while (sendto(tx, frame, 14 + len, 0, (struct sockaddr *)&to,
			      sizeof(to)) < 0) {
			/* ENOMEM: an allocation failed (fault injection). */
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != ENOMEM) {
				perror("sendto");
				return 2;
			}
			usleep(1000);
		}
		/*
		 * Flow control: let the receiver catch up every 8 frames, so
		 * that a slow (emulated, translated) receive path drops
		 * nothing and a lost frame means a DMA problem.
		 */
		if (i % 8 == 7)
			drain(rx, 200, seen, frames, &good, &bad, &dup, i + 1);
	}
	drain(rx, 2000, seen, frames, &good, &bad, &dup, frames);
	printf("sent=%u good=%u bad=%u dup=%u lost=%u\n", frames, good, bad,
	       dup, frames - good);
	return good == frames && !bad ? 0 : 1;
}
