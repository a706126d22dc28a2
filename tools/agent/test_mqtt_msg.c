// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the MQTT channel's record (mqtt_msg.c). KTAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../selftests/unit/ktap.h"
#include "mqtt_msg.h"

static uint8_t rec[1 << 16], rec2[1 << 16];

/*
 * A list as text, the crossing properties only, in the order a record
 * keeps them (identifier, then the list's order): read through
 * libmosquitto, independently of the encoder.
 */
static void describe(const mosquitto_property *l, char *out, size_t cap)
{
	static const int ids[] = { 1, 2, 3, 8, 9, 38 };
	const mosquitto_property *p;
	size_t n = 0, i, k;
	char *a, *b;
	void *bin;
	uint32_t u32;
	uint16_t len;
	uint8_t u8;

	out[0] = 0;
	for (i = 0; i < 6; i++)
		for (p = l; p; p = mosquitto_property_next(p)) {
			if (mosquitto_property_identifier(p) != ids[i])
				continue;
			n += snprintf(out + n, cap - n, "%d=", ids[i]);
			switch (ids[i]) {
			case 1:
				mosquitto_property_read_byte(p, 1, &u8, false);
				n += snprintf(out + n, cap - n, "%u;", u8);
				break;
			case 2:
				mosquitto_property_read_int32(p, 2, &u32, false);
				n += snprintf(out + n, cap - n, "%u;", u32);
				break;
			case 9:
				mosquitto_property_read_binary(p, 9, &bin, &len, false);
				for (k = 0; k < len; k++)
					n += snprintf(out + n, cap - n, "%02x",
						      ((uint8_t *)bin)[k]);
				n += snprintf(out + n, cap - n, ";");
				free(bin);
				break;
			case 38:
				mosquitto_property_read_string_pair(p, 38, &a, &b, false);
				n += snprintf(out + n, cap - n, "%s:%s;", a, b);
				free(a);
				free(b);
				break;
			default:
				mosquitto_property_read_string(p, ids[i], &a, false);
				n += snprintf(out + n, cap - n, "%s;", a);
				free(a);
			}
		}
}

static struct mqtt_msg msg(const char *topic, const char *payload, int qos,
			   bool retain)
{
	struct mqtt_msg m = {
		.kind = MQTT_MSG_PUBLISH, .qos = (uint8_t)qos, .retain = retain,
		.topic = topic, .topic_len = strlen(topic),
		.payload = (const uint8_t *)payload,
		.payload_len = (uint32_t)strlen(payload),
	};
	return m;
}

static bool test_every_field(void)
{
	static const uint8_t corr[] = { 0, 1, 0xff, 0x80, 0 };
	mosquitto_property *l = NULL, *back = NULL;
	struct mqtt_msg m = msg("plant/line 1/température", "21.5\0x", 1, true), d;
	char want[4096], got[4096];
	long n;

	m.payload_len = 6;	/* a NUL inside */
	m.stamp = 0x0102030405060708ull;
	m.age_ms = 0x1a0b0c0d0e0full;
	/* not in identifier order, with the hop's own properties mixed in */
	KTAP_EXPECT(!mosquitto_property_add_string_pair(&l, 38, "site", "nord"));
	KTAP_EXPECT(!mosquitto_property_add_int32(&l, 2, 3600));
	KTAP_EXPECT(!mosquitto_property_add_int16(&l, MQTT_PROP_TOPIC_ALIAS, 7));
	KTAP_EXPECT(!mosquitto_property_add_string(&l, 8, "reply/to/me"));
	KTAP_EXPECT(!mosquitto_property_add_binary(&l, 9, corr, sizeof(corr)));
	KTAP_EXPECT(!mosquitto_property_add_string_pair(&l, 38, "site", "süd"));
	KTAP_EXPECT(!mosquitto_property_add_varint(&l, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 9));
	KTAP_EXPECT(!mosquitto_property_add_string(&l, 3, "application/json"));
	KTAP_EXPECT(!mosquitto_property_add_byte(&l, 1, 1));
	KTAP_EXPECT(!mosquitto_property_add_string_pair(&l, 38, "", ""));
	n = mqtt_msg_encode(rec, sizeof(rec), &m, l);
	KTAP_EXPECT(n > MQTT_MSG_HDR);
	KTAP_EXPECT(mqtt_msg_decode(rec, (size_t)n, &d) == 0);
	KTAP_EXPECT(d.kind == MQTT_MSG_PUBLISH && d.qos == 1 && d.retain);
	KTAP_EXPECT(d.stamp == m.stamp && d.age_ms == m.age_ms);
	KTAP_EXPECT(d.topic_len == m.topic_len &&
		    !memcmp(d.topic, m.topic, m.topic_len));
	KTAP_EXPECT(d.payload_len == 6 && !memcmp(d.payload, m.payload, 6));
	KTAP_EXPECT(d.nprops == 8 && d.expiry_s == 3600);
	/* a topic alias and a subscription identifier do not cross */
	KTAP_EXPECT(mqtt_msg_props(&d, 0, &back) == 0);
	KTAP_EXPECT(!mosquitto_property_read_int16(back, MQTT_PROP_TOPIC_ALIAS, NULL, false));
	KTAP_EXPECT(mosquitto_property_check_all(CMD_PUBLISH, back) == MOSQ_ERR_SUCCESS);
	describe(l, want, sizeof(want));
	describe(back, got, sizeof(got));
	KTAP_EXPECT(!strcmp(want, got));
	KTAP_EXPECT(strstr(got, "38=site:nord;38=site:süd;38=:;"));
	mosquitto_property_free_all(&back);
	/* 1.999 s in transit take 1 s off the expiry; 3600 s, all of it */
	KTAP_EXPECT(mqtt_msg_props(&d, 1999, &back) == 0);
	describe(back, got, sizeof(got));
	KTAP_EXPECT(strstr(got, "2=3599;"));
	mosquitto_property_free_all(&back);
	KTAP_EXPECT(mqtt_msg_props(&d, 3599999, &back) == 0);
	mosquitto_property_free_all(&back);
	KTAP_EXPECT(mqtt_msg_props(&d, 3600000, &back) == 1 && !back);
	mosquitto_property_free_all(&l);
	return true;
}

static bool test_canonical_and_sizing(void)
{
	mosquitto_property *a = NULL, *b = NULL;
	struct mqtt_msg m = msg("a/b", "x", 2, false), d;
	long n, k;

	mosquitto_property_add_string_pair(&a, 38, "k", "1");
	mosquitto_property_add_string(&a, 3, "text/plain");
	mosquitto_property_add_string_pair(&a, 38, "k", "2");
	mosquitto_property_add_byte(&b, 1, 0);
	mosquitto_property_add_string(&b, 3, "text/plain");
	mosquitto_property_add_string_pair(&b, 38, "k", "1");
	mosquitto_property_add_string_pair(&b, 38, "k", "2");
	mosquitto_property_add_int32(&b, 2, 0);	/* none, to mosquitto */
	n = mqtt_msg_encode(rec, sizeof(rec), &m, a);
	/* the same properties in another order, with a PFI: one more */
	k = mqtt_msg_encode(rec2, sizeof(rec2), &m, b);
	KTAP_EXPECT(n > 0 && k == n + 2);
	KTAP_EXPECT(mqtt_msg_decode(rec2, (size_t)k, &d) == 0 && d.nprops == 4 &&
		    d.expiry_s == 0);
	mosquitto_property_free_all(&b);
	mosquitto_property_add_string(&b, 3, "text/plain");
	mosquitto_property_add_string_pair(&b, 38, "k", "1");
	mosquitto_property_add_string_pair(&b, 38, "k", "2");
	k = mqtt_msg_encode(rec2, sizeof(rec2), &m, b);
	KTAP_EXPECT(k == n && !memcmp(rec, rec2, (size_t)n));
	/* user properties keep their order: swapped, another message */
	mosquitto_property_free_all(&b);
	mosquitto_property_add_string_pair(&b, 38, "k", "2");
	mosquitto_property_add_string_pair(&b, 38, "k", "1");
	mosquitto_property_add_string(&b, 3, "text/plain");
	k = mqtt_msg_encode(rec2, sizeof(rec2), &m, b);
	KTAP_EXPECT(k == n && !mqtt_msg_same(rec, (size_t)n, rec2, (size_t)k));
	/* too small a buffer: the size, and nothing written past cap */
	memset(rec2, 0xee, sizeof(rec2));
	KTAP_EXPECT(mqtt_msg_encode(rec2, 10, &m, a) == n);
	KTAP_EXPECT(rec2[10] == 0xee && rec2[(size_t)n - 1] == 0xee);
	KTAP_EXPECT(mqtt_msg_encode(NULL, 0, &m, a) == n);
	KTAP_EXPECT(mqtt_msg_encode(rec2, (size_t)n, &m, a) == n &&
		    !memcmp(rec, rec2, (size_t)n));
	/* stamp and age are not content */
	mqtt_msg_set_stamp(rec2, 99);
	mqtt_msg_set_age(rec2, 12345);
	KTAP_EXPECT(mqtt_msg_decode(rec2, (size_t)n, &d) == -MQTT_MSG_E_FLAGS);
	m.retain = true;
	n = mqtt_msg_encode(rec, sizeof(rec), &m, a);
	memcpy(rec2, rec, (size_t)n);
	mqtt_msg_set_stamp(rec2, 99);
	mqtt_msg_set_age(rec2, 12345);
	KTAP_EXPECT(mqtt_msg_decode(rec2, (size_t)n, &d) == 0 && d.stamp == 99 &&
		    d.age_ms == 12345);
	KTAP_EXPECT(mqtt_msg_same(rec, (size_t)n, rec2, (size_t)n));
	rec2[n - 1] ^= 1;
	KTAP_EXPECT(!mqtt_msg_same(rec, (size_t)n, rec2, (size_t)n));
	mosquitto_property_free_all(&a);
	mosquitto_property_free_all(&b);
	return true;
}

/* The remaining expiry interval is not content; its presence is. */
static bool test_same_but_expiry(void)
{
	struct mqtt_msg m = msg("a/b", "v", 1, true);
	mosquitto_property *l = NULL;
	long n, k;
	int pfi;

	for (pfi = 0; pfi < 2; pfi++) {
		if (pfi)
			mosquitto_property_add_byte(&l, 1, 1);
		mosquitto_property_add_string_pair(&l, 38, "k", "v");
		mosquitto_property_add_int32(&l, 2, 3600);
		n = mqtt_msg_encode(rec, sizeof(rec), &m, l);
		mosquitto_property_free_all(&l);
		if (pfi)
			mosquitto_property_add_byte(&l, 1, 1);
		mosquitto_property_add_string_pair(&l, 38, "k", "v");
		mosquitto_property_add_int32(&l, 2, 3599);
		k = mqtt_msg_encode(rec2, sizeof(rec2), &m, l);
		KTAP_EXPECT(n == k && memcmp(rec, rec2, (size_t)n));
		KTAP_EXPECT(mqtt_msg_same(rec, (size_t)n, rec2, (size_t)k));
		rec2[k - 1] ^= 1;	/* the user property's value */
		KTAP_EXPECT(!mqtt_msg_same(rec, (size_t)n, rec2, (size_t)k));
		mosquitto_property_free_all(&l);
		/* without an expiry: another message */
		if (pfi)
			mosquitto_property_add_byte(&l, 1, 1);
		mosquitto_property_add_string_pair(&l, 38, "k", "vvvvvv");
		k = mqtt_msg_encode(rec2, sizeof(rec2), &m, l);
		KTAP_EXPECT(n == k && !mqtt_msg_same(rec, (size_t)n, rec2, (size_t)k));
		mosquitto_property_free_all(&l);
	}
	return true;
}

static bool test_tombstone(void)
{
	mosquitto_property *l = NULL, *back = (mosquitto_property *)1;
	struct mqtt_msg m = msg("gone/topic", "", 0, true), d;
	long n;

	m.kind = MQTT_MSG_TOMBSTONE;
	m.stamp = 7;
	mosquitto_property_add_string_pair(&l, 38, "a", "b");
	n = mqtt_msg_encode(rec, sizeof(rec), &m, l);
	KTAP_EXPECT(n == MQTT_MSG_HDR + 10);
	KTAP_EXPECT(mqtt_msg_decode(rec, (size_t)n, &d) == 0);
	KTAP_EXPECT(d.kind == MQTT_MSG_TOMBSTONE && d.retain && d.stamp == 7 &&
		    d.nprops == 0 && d.payload_len == 0);
	KTAP_EXPECT(mqtt_msg_props(&d, 0, &back) == 0 && !back);
	m.qos = 1;
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_FLAGS);
	m.qos = 0;
	m.retain = false;
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_FLAGS);
	m.retain = true;
	m.payload_len = 1;
	m.payload = (const uint8_t *)"x";
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_TOMBSTONE);
	/* an empty retained message is a deletion: only as a tombstone */
	m = msg("gone/topic", "", 1, true);
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_TOMBSTONE);
	/* an empty event is an event */
	m.retain = false;
	n = mqtt_msg_encode(rec, sizeof(rec), &m, NULL);
	KTAP_EXPECT(n == MQTT_MSG_HDR + 10 && mqtt_msg_decode(rec, (size_t)n, &d) == 0);
	mosquitto_property_free_all(&l);
	return true;
}

static bool test_encoder_refuses(void)
{
	static const char *const bad_topics[] = {
		"", "a/+/b", "a/#", "#", "+", "$SYS/broker/uptime",
		"$CONTROL/dynamic-security/v1", "a\x01" "b", "a\xc3", "a\xed\xa0\x80",
		"\xc0\xaf",
	};
	mosquitto_property *l = NULL;
	struct mqtt_msg m = msg("ok", "p", 0, false);
	char deep[1024];
	size_t i;

	for (i = 0; i < sizeof(bad_topics) / sizeof(bad_topics[0]); i++) {
		m.topic = bad_topics[i];
		m.topic_len = strlen(bad_topics[i]);
		if (mqtt_msg_encode(rec, sizeof(rec), &m, NULL) != -MQTT_MSG_E_TOPIC) {
			ktap_diag("topic %zu accepted", i);
			return false;
		}
	}
	/* mosquitto's broker takes 200 slashes, not 201 */
	for (i = 0; i < 402; i += 2)
		deep[i] = 'a', deep[i + 1] = '/';
	m.topic = deep;
	m.topic_len = 401;
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) > 0);
	m.topic_len = 402;
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_TOPIC);
	m = msg("ok", "p", 3, false);
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_FLAGS);
	m = msg("ok", "p", 0, false);
	m.stamp = 1;	/* events have no version */
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_FLAGS);
	m.stamp = 0;
	m.kind = 3;
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, NULL) == -MQTT_MSG_E_KIND);
	m.kind = MQTT_MSG_PUBLISH;
	mosquitto_property_add_byte(&l, 1, 2);
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, l) == -MQTT_MSG_E_PROP);
	mosquitto_property_free_all(&l);
	mosquitto_property_add_byte(&l, 1, 1);
	mosquitto_property_add_byte(&l, 1, 1);
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, l) == -MQTT_MSG_E_PROP);
	mosquitto_property_free_all(&l);
	mosquitto_property_add_string(&l, 8, "reply/+");
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, l) == -MQTT_MSG_E_PROP);
	mosquitto_property_free_all(&l);
	for (i = 0; i <= MQTT_MSG_MAX_PROPS; i++)
		mosquitto_property_add_string_pair(&l, 38, "n", "v");
	KTAP_EXPECT(mqtt_msg_encode(rec, sizeof(rec), &m, l) == -MQTT_MSG_E_PROP);
	mosquitto_property_free_all(&l);
	return true;
}

/* A record built by hand, so that the decoder is tried on what the
 * encoder never writes. */
static size_t raw(uint8_t *b, int kind, int flags, uint64_t stamp,
		  const char *topic, const char *payload, int nprops,
		  const void *props, size_t plen)
{
	size_t t = strlen(topic), p = strlen(payload);

	memset(b, 0, MQTT_MSG_HDR);
	b[0] = 1;
	b[1] = (uint8_t)kind;
	b[2] = (uint8_t)flags;
	mqtt_msg_set_stamp(b, stamp);
	b[MQTT_MSG_OFF_CONTENT] = (uint8_t)(t >> 8);
	b[MQTT_MSG_OFF_CONTENT + 1] = (uint8_t)t;
	b[MQTT_MSG_OFF_CONTENT + 2] = (uint8_t)(nprops >> 8);
	b[MQTT_MSG_OFF_CONTENT + 3] = (uint8_t)nprops;
	b[MQTT_MSG_OFF_CONTENT + 6] = (uint8_t)(p >> 8);
	b[MQTT_MSG_OFF_CONTENT + 7] = (uint8_t)p;
	memcpy(b + MQTT_MSG_HDR, topic, t);
	memcpy(b + MQTT_MSG_HDR + t, payload, p);
	memcpy(b + MQTT_MSG_HDR + t + p, props, plen);
	return MQTT_MSG_HDR + t + p + plen;
}

#define RAW(err, kind, flags, stamp, topic, payload, n, props)		\
	do {								\
		size_t _l = raw(rec, kind, flags, stamp, topic, payload, n, \
				props, sizeof(props) - 1);		\
		int _e = mqtt_msg_decode(rec, _l, &d);			\
		if (_e != (err)) {					\
			ktap_diag("line %d: %d, not %d", __LINE__, _e, err); \
			return false;					\
		}							\
	} while (0)

static bool test_decoder_refuses(void)
{
	struct mqtt_msg m = msg("t/1", "payload", 1, true), d;
	mosquitto_property *l = NULL;
	size_t i, n;
	long k;

	RAW(0, 1, 5, 3, "t", "p", 2, "\x01\x01\x26\x00\x01k\x00\x01v");
	RAW(-MQTT_MSG_E_KIND, 0, 0, 0, "t", "p", 0, "");
	RAW(-MQTT_MSG_E_KIND, 3, 0, 0, "t", "p", 0, "");
	RAW(-MQTT_MSG_E_FLAGS, 1, 3, 0, "t", "p", 0, "");
	RAW(-MQTT_MSG_E_FLAGS, 1, 8, 0, "t", "p", 0, "");
	RAW(-MQTT_MSG_E_FLAGS, 1, 0x80, 0, "t", "p", 0, "");
	RAW(-MQTT_MSG_E_FLAGS, 1, 0, 1, "t", "p", 0, "");
	RAW(-MQTT_MSG_E_FLAGS, 2, 5, 1, "t", "", 0, "");
	RAW(-MQTT_MSG_E_FLAGS, 2, 0, 1, "t", "", 0, "");
	RAW(-MQTT_MSG_E_TOMBSTONE, 2, 4, 1, "t", "p", 0, "");
	RAW(-MQTT_MSG_E_TOMBSTONE, 2, 4, 1, "t", "", 1, "\x01\x01");
	RAW(-MQTT_MSG_E_TOMBSTONE, 1, 4, 1, "t", "", 0, "");
	RAW(-MQTT_MSG_E_TOPIC, 1, 0, 0, "", "p", 0, "");
	RAW(-MQTT_MSG_E_TOPIC, 1, 0, 0, "a/+", "p", 0, "");
	RAW(-MQTT_MSG_E_TOPIC, 1, 0, 0, "a/#", "p", 0, "");
	RAW(-MQTT_MSG_E_TOPIC, 1, 0, 0, "$SYS/x", "p", 0, "");
	RAW(-MQTT_MSG_E_TOPIC, 1, 0, 0, "\xff", "p", 0, "");
	RAW(-MQTT_MSG_E_TOPIC, 1, 0, 0, "a\x7f", "p", 0, "");
	/* a sequence cut short, its continuation in the payload after it */
	RAW(-MQTT_MSG_E_TOPIC, 1, 0, 0, "a\xe6", "\xb8\xa9", 0, "");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 2, "\x03\x00\x01\xe6\x26\x00\x00\x00\x00");
	RAW(-MQTT_MSG_E_TRAILING, 1, 0, 0, "t", "p", 0, "\x01\x01");
	RAW(-MQTT_MSG_E_TRAILING, 1, 0, 0, "t", "p", 1, "\x01\x01x");
	RAW(-MQTT_MSG_E_SHORT, 1, 0, 0, "t", "p", 2, "\x01\x01");
	RAW(-MQTT_MSG_E_SHORT, 1, 0, 0, "t", "p", 1, "\x01");
	RAW(-MQTT_MSG_E_SHORT, 1, 0, 0, "t", "p", 1, "\x02\x00\x00\x01");
	RAW(-MQTT_MSG_E_SHORT, 1, 0, 0, "t", "p", 1, "\x03\x00\x05" "abcd");
	RAW(-MQTT_MSG_E_SHORT, 1, 0, 0, "t", "p", 1, "\x26\x00\x01k\x00");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x01\x02");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x02\x00\x00\x00\x00");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x03\x00\x01\xff");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x08\x00\x01#");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x08\x00\x00");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x26\x00\x01\x00\x00\x00");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x23\x00\x07");	/* alias */
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 1, "\x0b\x01");	/* sub id */
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 2, "\x03\x00\x00\x01\x01");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", 2, "\x01\x01\x01\x01");
	RAW(0, 1, 0, 0, "t", "p", 2, "\x26\x00\x00\x00\x00\x26\x00\x00\x00\x00");
	RAW(0, 1, 0, 0, "t", "p", 1, "\x09\x00\x00");
	RAW(-MQTT_MSG_E_PROP, 1, 0, 0, "t", "p", MQTT_MSG_MAX_PROPS + 1, "");
	rec[0] = 2;
	KTAP_EXPECT(mqtt_msg_decode(rec, MQTT_MSG_HDR + 2, &d) == -MQTT_MSG_E_VERSION);
	rec[0] = 1;
	rec[3] = 1;
	KTAP_EXPECT(mqtt_msg_decode(rec, MQTT_MSG_HDR + 2, &d) == -MQTT_MSG_E_FLAGS);
	KTAP_EXPECT(mqtt_msg_decode(rec, MQTT_MSG_MAX + 1, &d) == -MQTT_MSG_E_TOO_LARGE);
	/* every proper prefix of a full record is refused */
	mosquitto_property_add_byte(&l, 1, 1);
	mosquitto_property_add_int32(&l, 2, 60);
	mosquitto_property_add_string(&l, 3, "c");
	mosquitto_property_add_string(&l, 8, "r");
	mosquitto_property_add_binary(&l, 9, "\x00", 1);
	mosquitto_property_add_string_pair(&l, 38, "k", "v");
	k = mqtt_msg_encode(rec2, sizeof(rec2), &m, l);
	KTAP_EXPECT(k > 0 && mqtt_msg_decode(rec2, (size_t)k, &d) == 0);
	for (n = 0; n < (size_t)k; n++)
		if (mqtt_msg_decode(rec2, n, &d) == 0) {
			ktap_diag("prefix of %zu bytes accepted", n);
			return false;
		}
	/* and so is any byte after it */
	rec2[k] = 0;
	KTAP_EXPECT(mqtt_msg_decode(rec2, (size_t)k + 1, &d) == -MQTT_MSG_E_TRAILING);
	/* lengths that reach past the end */
	for (i = MQTT_MSG_OFF_CONTENT; i < MQTT_MSG_HDR; i++) {
		memcpy(rec, rec2, (size_t)k);
		rec[i] = 0xff;
		KTAP_EXPECT(mqtt_msg_decode(rec, (size_t)k, &d) < 0);
	}
	mosquitto_property_free_all(&l);
	return true;
}

/* Random messages: UTF-8 topics, binary payloads, random properties,
 * each through encode, decode and back into a list, equal. */
static bool test_random_round_trips(void)
{
	static const char *const atoms[] = {
		"a", "plant", "é", "温度", "🙂", " ", "-", "x_1", "$", "Ω",
	};
	static uint8_t payload[3000];
	char topic[512], want[8192], got[8192], s1[64], s2[64];
	mosquitto_property *l, *back;
	struct mqtt_msg m, d;
	unsigned seed = 17;
	int round, j, lv, np;
	long n;

	for (round = 0; round < 3000; round++) {
		topic[0] = 0;
		for (lv = rand_r(&seed) % 6; lv >= 0; lv--) {
			for (j = rand_r(&seed) % 4; j >= 0; j--)
				strcat(topic, atoms[rand_r(&seed) % 10]);
			if (lv)
				strcat(topic, "/");
		}
		if (topic[0] == '$')
			topic[0] = 'd';
		memset(&m, 0, sizeof(m));
		m.kind = MQTT_MSG_PUBLISH;
		m.qos = (uint8_t)(rand_r(&seed) % 3);
		m.retain = rand_r(&seed) & 1;
		m.stamp = m.retain ? (uint64_t)rand_r(&seed) << 31 : 0;
		m.age_ms = (uint32_t)rand_r(&seed);
		m.topic = topic;
		m.topic_len = strlen(topic);
		m.payload_len = 1 + (uint32_t)(rand_r(&seed) % sizeof(payload));
		for (j = 0; j < (int)m.payload_len; j++)
			payload[j] = (uint8_t)rand_r(&seed);
		m.payload = payload;
		l = NULL;
		if (rand_r(&seed) & 1)
			mosquitto_property_add_byte(&l, 1, rand_r(&seed) & 1);
		if (rand_r(&seed) & 1)
			mosquitto_property_add_int32(&l, 2, 1 + rand_r(&seed) % 100000);
		if (rand_r(&seed) & 1)
			mosquitto_property_add_string(&l, 3, atoms[rand_r(&seed) % 10]);
		if (rand_r(&seed) & 1)
			mosquitto_property_add_string(&l, 8, topic);
		if (rand_r(&seed) & 1)
			mosquitto_property_add_binary(&l, 9, payload,
						      (uint16_t)(rand_r(&seed) % 40));
		for (np = rand_r(&seed) % 5; np > 0; np--) {
			snprintf(s1, sizeof(s1), "k%d", rand_r(&seed) % 3);
			snprintf(s2, sizeof(s2), "%s%d", atoms[rand_r(&seed) % 10],
				 rand_r(&seed));
			mosquitto_property_add_string_pair(&l, 38, s1, s2);
		}
		n = mqtt_msg_encode(rec, sizeof(rec), &m, l);
		KTAP_EXPECT(n > 0);
		KTAP_EXPECT(mqtt_msg_decode(rec, (size_t)n, &d) == 0);
		KTAP_EXPECT(d.qos == m.qos && d.retain == m.retain &&
			    d.stamp == m.stamp && d.age_ms == m.age_ms);
		KTAP_EXPECT(d.topic_len == m.topic_len &&
			    !memcmp(d.topic, topic, d.topic_len));
		KTAP_EXPECT(d.payload_len == m.payload_len &&
			    !memcmp(d.payload, payload, d.payload_len));
		KTAP_EXPECT(mqtt_msg_props(&d, 0, &back) == 0);
		describe(l, want, sizeof(want));
		describe(back, got, sizeof(got));
		KTAP_EXPECT(!strcmp(want, got));
		/* and the list it gave, encoded again, is the same record */
		KTAP_EXPECT(mqtt_msg_encode(rec2, sizeof(rec2), &m, back) == n &&
			    !memcmp(rec, rec2, (size_t)n));
		mosquitto_property_free_all(&l);
		mosquitto_property_free_all(&back);
	}
	return true;
}

static const struct ktap_test tests[] = {
	{ "every_field", test_every_field },
	{ "canonical_and_sizing", test_canonical_and_sizing },
	{ "same_but_expiry", test_same_but_expiry },
	{ "tombstone", test_tombstone },
	{ "encoder_refuses", test_encoder_refuses },
	{ "decoder_refuses", test_decoder_refuses },
	{ "random_round_trips", test_random_round_trips },
};

int main(void)
{
	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
