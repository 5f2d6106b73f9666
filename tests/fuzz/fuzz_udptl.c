/* libFuzzer target for sip/udptl: the datagram parser and the in-order
 * receiver. The input is split into datagrams at 0xff 0xfe markers so one
 * run exercises sequences (gaps, duplicates, wrap, FEC recovery). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sip/udptl.h"

static void
fuzz_deliver(const uint8_t *ifp, size_t len, uint16_t seq, void *arg)
{
	size_t *sum = arg;

	(void)seq;
	if (len > 0)
		*sum += ifp[0] + ifp[len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_udptl_rx rx;
	struct sip_udptl_packet pkt;
	size_t start = 0, i, sum = 0;

	sip_udptl_rx_init(&rx);
	for (i = 0; i + 1 < size; i++) {
		if (data[i] != 0xff || data[i + 1] != 0xfe)
			continue;
		sip_udptl_decode(data + start, i - start, &pkt);
		sip_udptl_rx_datagram(&rx, data + start, i - start, fuzz_deliver, &sum);
		start = i + 2;
	}
	sip_udptl_rx_datagram(&rx, data + start, size - start, fuzz_deliver, &sum);
	return 0;
}
