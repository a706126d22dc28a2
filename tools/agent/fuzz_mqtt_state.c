// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the MQTT channel's state file, as it may be found on
 * disk. The first input byte asks the harness to seal the rest with its
 * right checksum, so that the fuzzer reaches the parser behind it. What
 * loads must be a consistent table: every entry found by its topic, the
 * bytes counted, and the carousel and expiry run on it.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "mqtt_state.h"

static uint8_t buf[1 << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mqtt_state s;
	struct mqtt_state_entry *e;
	struct mqtt_msg m;
	char err[300];
	uint64_t bytes = 0, t;
	size_t i, n;

	if (size < 1 || size - 1 + crypto_generichash_BYTES > sizeof(buf))
		return 0;
	n = size - 1;
	memcpy(buf, data + 1, n);
	if (data[0] & 1) {
		crypto_generichash(buf + n, crypto_generichash_BYTES, buf, n, NULL, 0);
		n += crypto_generichash_BYTES;
	}
	if (mqtt_state_init(&s, 64, 1 << 16))
		abort();
	if (mqtt_state_load_buf(&s, buf, n, err, sizeof(err))) {
		if (s.n || s.bytes || !err[0])
			abort();
		return 0;
	}
	for (i = 0; i < s.n; i++) {
		e = &s.e[i];
		if (mqtt_msg_decode(e->rec, e->len, &m) || !m.retain ||
		    m.stamp > s.last_stamp ||
		    mqtt_state_find(&s, m.topic, m.topic_len) != e)
			abort();
		bytes += e->len;
	}
	if (bytes != s.bytes || s.n > 64 || bytes > 1 << 16)
		abort();
	mqtt_state_carousel_set(&s, 1000, 0, 28);
	for (t = 0; t < 2000; t += 50)
		while (mqtt_state_carousel_next(&s, t))
			;
	/* what is left has not expired */
	t = MQTT_STATE_TIME_MAX - 1;
	mqtt_state_expire(&s, t, 0);
	for (i = 0; i < s.n; i++)
		if (s.e[i].tombstone ? s.e[i].since_ms <= t : s.e[i].expiry_s &&
		    mqtt_state_age_ms(&s.e[i], t) / 1000 >= s.e[i].expiry_s)
			abort();
	mqtt_state_free(&s);
	return 0;
}
