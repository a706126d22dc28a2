// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any message delivered on an MQTT channel is decoded
 * as a record. What the decoder accepts must become a property list
 * libmosquitto takes for a PUBLISH, and encode back to the same bytes
 * (one encoding per message: the rx compares records by their bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "mqtt_msg.h"

static uint8_t again[MQTT_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mosquitto_property *l = NULL;
	struct mqtt_msg m;
	long n;
	int rc;

	if (mqtt_msg_decode(data, size, &m))
		return 0;
	rc = mqtt_msg_props(&m, m.age_ms, &l);
	if (rc < 0 && rc != -MQTT_MSG_E_NOMEM)
		abort();
	if (rc == 1 && (!m.expiry_s || m.age_ms / 1000 < m.expiry_s))
		abort();
	if (mosquitto_property_check_all(CMD_PUBLISH, l) != MOSQ_ERR_SUCCESS)
		abort();
	mosquitto_property_free_all(&l);
	if (mqtt_msg_props(&m, 0, &l))
		abort();
	n = mqtt_msg_encode(again, sizeof(again), &m, l);
	if (n < 0 || (size_t)n != size || memcmp(again, data, size))
		abort();
	mosquitto_property_free_all(&l);
	return 0;
}
