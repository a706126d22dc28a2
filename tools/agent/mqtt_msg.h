/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record an MQTT message becomes on the one-way link (docs/mqtt.md):
 * a fixed header, the topic, the payload and the MQTT 5 properties that
 * still mean something after the hop. Pure encode and decode, no I/O, so
 * that the unit test and the fuzzer drive it alone. The decoder trusts
 * nothing: what it accepts, libmosquitto accepts to publish.
 */
#ifndef DIODE_AGENT_MQTT_MSG_H
#define DIODE_AGENT_MQTT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#define MQTT_MSG_VERSION	1
#define MQTT_MSG_HDR		28
#define MQTT_MSG_MAX		(16u << 20)	/* the transport's largest message */
#define MQTT_MSG_MAX_PROPS	1024
#define MQTT_MSG_MAX_SLASHES	200	/* mosquitto's TOPIC_HIERARCHY_LIMIT */

#define MQTT_MSG_OFF_STAMP	4
#define MQTT_MSG_OFF_AGE	12
#define MQTT_MSG_OFF_CONTENT	20	/* what follows is the message */

enum mqtt_msg_kind {
	MQTT_MSG_PUBLISH = 1,
	MQTT_MSG_TOMBSTONE = 2,		/* a retained topic deleted */
};

enum mqtt_msg_err {
	MQTT_MSG_E_SHORT = 1,		/* shorter than its lengths say */
	MQTT_MSG_E_VERSION,
	MQTT_MSG_E_KIND,
	MQTT_MSG_E_FLAGS,		/* QoS, retain, reserved bits */
	MQTT_MSG_E_TOPIC,		/* empty, not UTF-8, wildcard, '$' */
	MQTT_MSG_E_TOMBSTONE,		/* payload or properties on a tombstone */
	MQTT_MSG_E_PROP,		/* unknown, repeated, out of order, bad value */
	MQTT_MSG_E_TRAILING,		/* bytes after the last property */
	MQTT_MSG_E_TOO_LARGE,
	MQTT_MSG_E_NOMEM,
	MQTT_MSG_E_MAX = MQTT_MSG_E_NOMEM,
};

/*
 * A message, to encode or as decoded: decoded, its pointers are into the
 * record (topic is not NUL-terminated) and props is the encoded property
 * section, turned into a libmosquitto list by mqtt_msg_props().
 */
struct mqtt_msg {
	uint8_t kind;
	uint8_t qos;
	bool retain;
	uint64_t stamp;		/* a retained topic's version at the tx; 0 for events */
	uint64_t age_ms;	/* time spent at the tx when this copy was sent */
	const char *topic;
	size_t topic_len;
	const uint8_t *payload;
	uint32_t payload_len;
	const uint8_t *props;
	uint32_t props_len;
	uint16_t nprops;
	uint32_t expiry_s;	/* the message expiry interval, 0 for none */
};

/*
 * Encode m with the properties of props that cross the link (the others,
 * a topic alias or a subscription identifier, are the hop's own and
 * left out, and a tombstone has none) into buf. Returns the record's length, and writes it only if
 * it fits in cap; or -MQTT_MSG_E_*. A record it encodes, mqtt_msg_decode
 * accepts, and one message has one encoding (properties in identifier
 * order, user properties in theirs), so records compare by their bytes.
 */
long mqtt_msg_encode(uint8_t *buf, size_t cap, const struct mqtt_msg *m,
		     const mosquitto_property *props);
/* Check a record: 0 and m filled, or -MQTT_MSG_E_*. */
int mqtt_msg_decode(const uint8_t *buf, size_t len, struct mqtt_msg *m);
/*
 * The properties of a decoded message as a list to publish with (NULL
 * when it has none; free with mosquitto_property_free_all), its expiry
 * reduced by age_ms: 0, 1 when the message has expired (no list), or
 * -MQTT_MSG_E_*.
 */
int mqtt_msg_props(const struct mqtt_msg *m, uint64_t age_ms,
		   mosquitto_property **out);
/*
 * Two valid records carry the same message, whatever their stamp, age and
 * remaining expiry interval: a retained message the broker sends again
 * has less of its interval left, and is no new content (mqtt_state
 * compares when each expires).
 */
bool mqtt_msg_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
void mqtt_msg_set_stamp(uint8_t *rec, uint64_t stamp);
void mqtt_msg_set_age(uint8_t *rec, uint64_t age_ms);
const char *mqtt_msg_strerror(int err);

#endif
