// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any datagram into an rx agent's port goes through
 * da_rx_input. The input is cut into datagrams by a length byte, so that
 * the fuzzer reaches reassembly, drop notices and epochs, with time moving.
 */
#include <stdlib.h>

#include "transport.h"

static void deliver(void *c, uint64_t s, const uint8_t *m, uint32_t l)
{
	volatile uint8_t x = 0;
	uint32_t i;

	(void)c; (void)s;
	for (i = 0; i < l; i++)
		x ^= m[i];	/* every delivered byte is readable */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct da_rx rx;
	struct da_rx_ops ops = { .deliver = deliver };
	uint64_t now = 1000;

	if (da_rx_init(&rx, 7, 65536, 50, &ops))
		abort();
	while (size >= 2) {
		size_t n = ((size_t)data[0] << 8 | data[1]) % 2048;

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		da_rx_input(&rx, data, n, now);
		now += n ? data[0] & 63 : 1;
		da_rx_tick(&rx, now);
		data += n;
		size -= n;
	}
	da_rx_flush(&rx);
	if (rx.c.lost + rx.c.delivered + rx.c.dropped[1] + rx.c.dropped[2] +
	    rx.c.dropped[3] < rx.c.late)
		abort();
	da_rx_free(&rx);
	return 0;
}
