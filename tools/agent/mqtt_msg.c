// SPDX-License-Identifier: GPL-2.0
/*
 * The MQTT channel's record (docs/mqtt.md). Big-endian, like the
 * transport. Properties are written in one canonical order so that the
 * rx can tell a changed retained message from a re-sent one by comparing
 * bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "mqtt_msg.h"

#define FLAG_QOS	0x03
#define FLAG_RETAIN	0x04

/* The properties that cross, in the order a record holds them. */
static const uint8_t crossing[] = {
	MQTT_PROP_PAYLOAD_FORMAT_INDICATOR,
	MQTT_PROP_MESSAGE_EXPIRY_INTERVAL,
	MQTT_PROP_CONTENT_TYPE,
	MQTT_PROP_RESPONSE_TOPIC,
	MQTT_PROP_CORRELATION_DATA,
	MQTT_PROP_USER_PROPERTY,
};

/*
 * libmosquitto 2.0.11's mosquitto_validate_utf8 reads past len when a
 * sequence is cut short at the end, and may find its continuation there
 * (a topic's in the payload after it): it checks a copy ending in a NUL,
 * which continues no sequence.
 */
static bool utf8_ok(const void *s, size_t n)
{
	char small[256], *c = small;
	bool ok;

	if (n > 65535 || (n >= sizeof(small) && !(c = malloc(n + 1))))
		return false;
	memcpy(c, s, n);
	c[n] = 0;
	ok = mosquitto_validate_utf8(c, (int)n) == MOSQ_ERR_SUCCESS;
	if (c != small)
		free(c);
	return ok;
}

static bool topic_name_ok(const void *s, size_t n)
{
	return n >= 1 && utf8_ok(s, n) &&
	       mosquitto_pub_topic_check2(s, n) == MOSQ_ERR_SUCCESS;
}

/*
 * '$' topics are the broker's own ($SYS, and $CONTROL, which administers
 * mosquitto): nothing from the OT side may publish there. mosquitto's
 * broker disconnects a client that publishes to a topic of more than
 * MQTT_MSG_MAX_SLASHES '/', which its client library lets through: such
 * a record would cut the rx from its broker at every carousel turn.
 */
static bool topic_ok(const void *s, size_t n)
{
	const char *c = s;
	size_t i, slashes = 0;

	if (!topic_name_ok(s, n) || c[0] == '$')
		return false;
	for (i = 0; i < n; i++)
		slashes += c[i] == '/';
	return slashes <= MQTT_MSG_MAX_SLASHES;
}

/* One property as a record holds it; a and b point into the record. */
struct prop {
	uint8_t id;
	uint32_t num;
	const uint8_t *a, *b;
	uint16_t alen, blen;
};

static bool take_str(const uint8_t **p, const uint8_t *end,
		     const uint8_t **s, uint16_t *n)
{
	if (end - *p < 2)
		return false;
	*n = be_get16(*p);
	if (end - *p - 2 < *n)
		return false;
	*s = *p + 2;
	*p += 2 + *n;
	return true;
}

/* Read and check the property at *p: 0 and *p moved past it, or -error. */
static int next_prop(const uint8_t **p, const uint8_t *end, struct prop *o)
{
	memset(o, 0, sizeof(*o));
	if (*p >= end)
		return -MQTT_MSG_E_SHORT;
	o->id = *(*p)++;
	switch (o->id) {
	case MQTT_PROP_PAYLOAD_FORMAT_INDICATOR:
		if (*p >= end)
			return -MQTT_MSG_E_SHORT;
		o->num = *(*p)++;
		return o->num <= 1 ? 0 : -MQTT_MSG_E_PROP;
	case MQTT_PROP_MESSAGE_EXPIRY_INTERVAL:
		if (end - *p < 4)
			return -MQTT_MSG_E_SHORT;
		o->num = be_get32(*p);
		*p += 4;
		/* mosquitto reads 0 as no expiry: absent is its one form */
		return o->num ? 0 : -MQTT_MSG_E_PROP;
	case MQTT_PROP_CONTENT_TYPE:
		if (!take_str(p, end, &o->a, &o->alen))
			return -MQTT_MSG_E_SHORT;
		return utf8_ok(o->a, o->alen) ? 0 : -MQTT_MSG_E_PROP;
	case MQTT_PROP_RESPONSE_TOPIC:
		if (!take_str(p, end, &o->a, &o->alen))
			return -MQTT_MSG_E_SHORT;
		return topic_name_ok(o->a, o->alen) ? 0 : -MQTT_MSG_E_PROP;
	case MQTT_PROP_CORRELATION_DATA:
		return take_str(p, end, &o->a, &o->alen) ? 0 : -MQTT_MSG_E_SHORT;
	case MQTT_PROP_USER_PROPERTY:
		if (!take_str(p, end, &o->a, &o->alen) ||
		    !take_str(p, end, &o->b, &o->blen))
			return -MQTT_MSG_E_SHORT;
		return utf8_ok(o->a, o->alen) && utf8_ok(o->b, o->blen) ?
		       0 : -MQTT_MSG_E_PROP;
	}
	return -MQTT_MSG_E_PROP;
}

int mqtt_msg_decode(const uint8_t *buf, size_t len, struct mqtt_msg *m)
{
	const uint8_t *p, *end;
	struct prop pr;
	uint16_t i;
	int last = 0, err;

	memset(m, 0, sizeof(*m));
	if (len > MQTT_MSG_MAX)
		return -MQTT_MSG_E_TOO_LARGE;
	if (len < MQTT_MSG_HDR)
		return -MQTT_MSG_E_SHORT;
	if (buf[0] != MQTT_MSG_VERSION)
		return -MQTT_MSG_E_VERSION;
	m->kind = buf[1];
	if (m->kind != MQTT_MSG_PUBLISH && m->kind != MQTT_MSG_TOMBSTONE)
		return -MQTT_MSG_E_KIND;
	m->qos = buf[2] & FLAG_QOS;
	m->retain = buf[2] & FLAG_RETAIN;
	m->stamp = be_get64(buf + MQTT_MSG_OFF_STAMP);
	m->age_ms = be_get64(buf + MQTT_MSG_OFF_AGE);
	if ((buf[2] & ~(FLAG_QOS | FLAG_RETAIN)) || buf[3] || m->qos > 2 ||
	    (!m->retain && m->stamp))
		return -MQTT_MSG_E_FLAGS;
	m->topic_len = be_get16(buf + MQTT_MSG_OFF_CONTENT);
	m->nprops = be_get16(buf + MQTT_MSG_OFF_CONTENT + 2);
	m->payload_len = be_get32(buf + MQTT_MSG_OFF_CONTENT + 4);
	if (m->nprops > MQTT_MSG_MAX_PROPS)
		return -MQTT_MSG_E_PROP;
	if (len - MQTT_MSG_HDR < m->topic_len ||
	    len - MQTT_MSG_HDR - m->topic_len < m->payload_len)
		return -MQTT_MSG_E_SHORT;
	m->topic = (const char *)buf + MQTT_MSG_HDR;
	m->payload = buf + MQTT_MSG_HDR + m->topic_len;
	m->props = m->payload + m->payload_len;
	m->props_len = (uint32_t)(len - MQTT_MSG_HDR - m->topic_len - m->payload_len);
	if (!topic_ok(m->topic, m->topic_len))
		return -MQTT_MSG_E_TOPIC;
	if (m->kind == MQTT_MSG_TOMBSTONE) {
		if (!m->retain || m->qos)
			return -MQTT_MSG_E_FLAGS;
		if (m->payload_len || m->nprops)
			return -MQTT_MSG_E_TOMBSTONE;
	} else if (m->retain && !m->payload_len) {
		/* an empty retained message deletes: that is a tombstone */
		return -MQTT_MSG_E_TOMBSTONE;
	}
	p = m->props;
	end = p + m->props_len;
	for (i = 0; i < m->nprops; i++) {
		err = next_prop(&p, end, &pr);
		if (err)
			return err;
		/* one canonical order; only user properties repeat */
		if (pr.id < last || (pr.id == last && pr.id != MQTT_PROP_USER_PROPERTY))
			return -MQTT_MSG_E_PROP;
		last = pr.id;
		if (pr.id == MQTT_PROP_MESSAGE_EXPIRY_INTERVAL)
			m->expiry_s = pr.num;
	}
	if (p != end)
		return -MQTT_MSG_E_TRAILING;
	return 0;
}

/* Bytes written up to cap, counted past it, so that one pass sizes too. */
struct out {
	uint8_t *buf;
	size_t cap, len;
};

static void emit(struct out *o, const void *d, size_t n)
{
	if (o->len <= o->cap && n <= o->cap - o->len)
		memcpy(o->buf + o->len, d, n);
	o->len += n;
}

static void emit_str(struct out *o, const char *s, size_t n)
{
	uint8_t l[2];

	be_put16(l, (uint16_t)n);
	emit(o, l, 2);
	emit(o, s, n);
}

/* Append one property of the list to o: 0 or -error. */
static int emit_prop(struct out *o, const mosquitto_property *p, int id)
{
	uint8_t b[5] = { (uint8_t)id };
	char *s = NULL, *v = NULL;
	void *bin = NULL;
	uint32_t u32 = 0;
	uint16_t blen;
	uint8_t u8 = 0;
	int err = 0;

	switch (id) {
	case MQTT_PROP_PAYLOAD_FORMAT_INDICATOR:
		mosquitto_property_read_byte(p, id, &u8, false);
		if (u8 > 1)
			return -MQTT_MSG_E_PROP;
		b[1] = u8;
		emit(o, b, 2);
		return 0;
	case MQTT_PROP_MESSAGE_EXPIRY_INTERVAL:
		mosquitto_property_read_int32(p, id, &u32, false);
		be_put32(b + 1, u32);
		emit(o, b, 5);
		return 0;
	case MQTT_PROP_CORRELATION_DATA:
		if (!mosquitto_property_read_binary(p, id, &bin, &blen, false))
			return -MQTT_MSG_E_NOMEM;
		emit(o, b, 1);
		emit_str(o, bin, blen);
		free(bin);
		return 0;
	case MQTT_PROP_USER_PROPERTY:
		if (!mosquitto_property_read_string_pair(p, id, &s, &v, false))
			return -MQTT_MSG_E_NOMEM;
		if (!utf8_ok(s, strlen(s)) || !utf8_ok(v, strlen(v)))
			err = -MQTT_MSG_E_PROP;
		emit(o, b, 1);
		emit_str(o, s, strlen(s));
		emit_str(o, v, strlen(v));
		free(s);
		free(v);
		return err;
	}
	if (!mosquitto_property_read_string(p, id, &s, false))
		return -MQTT_MSG_E_NOMEM;
	if (id == MQTT_PROP_RESPONSE_TOPIC ? !topic_name_ok(s, strlen(s)) :
					     !utf8_ok(s, strlen(s)))
		err = -MQTT_MSG_E_PROP;
	emit(o, b, 1);
	emit_str(o, s, strlen(s));
	free(s);
	return err;
}

/* mosquitto reads an expiry of 0 as none: left out, so that a message
 * has one encoding. */
static bool skipped(const mosquitto_property *p, int id)
{
	uint32_t v;

	return id == MQTT_PROP_MESSAGE_EXPIRY_INTERVAL &&
	       mosquitto_property_read_int32(p, id, &v, false) && !v;
}

long mqtt_msg_encode(uint8_t *buf, size_t cap, const struct mqtt_msg *m,
		     const mosquitto_property *props)
{
	struct out o = { .buf = buf, .cap = cap };
	const mosquitto_property *p;
	uint8_t h[MQTT_MSG_HDR] = { MQTT_MSG_VERSION, m->kind };
	size_t i, n = 0, seen;
	int err;

	if (m->kind != MQTT_MSG_PUBLISH && m->kind != MQTT_MSG_TOMBSTONE)
		return -MQTT_MSG_E_KIND;
	if (m->qos > 2 || (!m->retain && m->stamp))
		return -MQTT_MSG_E_FLAGS;
	if (!topic_ok(m->topic, m->topic_len))
		return -MQTT_MSG_E_TOPIC;
	if (m->kind == MQTT_MSG_TOMBSTONE) {
		if (!m->retain || m->qos)
			return -MQTT_MSG_E_FLAGS;
		if (m->payload_len)
			return -MQTT_MSG_E_TOMBSTONE;
		/* a deleted topic keeps no properties */
		props = NULL;
	} else if (m->retain && !m->payload_len) {
		return -MQTT_MSG_E_TOMBSTONE;
	}
	if (m->payload_len > MQTT_MSG_MAX)
		return -MQTT_MSG_E_TOO_LARGE;
	o.len = MQTT_MSG_HDR;
	emit(&o, m->topic, m->topic_len);
	emit(&o, m->payload, m->payload_len);
	for (i = 0; i < sizeof(crossing); i++) {
		seen = 0;
		for (p = props; p; p = mosquitto_property_next(p)) {
			if (mosquitto_property_identifier(p) != crossing[i] ||
			    skipped(p, crossing[i]))
				continue;
			if (seen++ && crossing[i] != MQTT_PROP_USER_PROPERTY)
				return -MQTT_MSG_E_PROP;
			err = emit_prop(&o, p, crossing[i]);
			if (err)
				return err;
			if (++n > MQTT_MSG_MAX_PROPS)
				return -MQTT_MSG_E_PROP;
		}
	}
	if (o.len > MQTT_MSG_MAX)
		return -MQTT_MSG_E_TOO_LARGE;
	h[2] = (uint8_t)(m->qos | (m->retain ? FLAG_RETAIN : 0));
	be_put64(h + MQTT_MSG_OFF_STAMP, m->stamp);
	be_put64(h + MQTT_MSG_OFF_AGE, m->age_ms);
	be_put16(h + MQTT_MSG_OFF_CONTENT, (uint16_t)m->topic_len);
	be_put16(h + MQTT_MSG_OFF_CONTENT + 2, (uint16_t)n);
	be_put32(h + MQTT_MSG_OFF_CONTENT + 4, m->payload_len);
	if (o.len <= cap)
		memcpy(buf, h, MQTT_MSG_HDR);
	return (long)o.len;
}

/* NUL-terminated copies for libmosquitto, which takes C strings. */
static char *cstr(const uint8_t *s, uint16_t n)
{
	char *c = malloc((size_t)n + 1);

	if (c) {
		memcpy(c, s, n);
		c[n] = 0;
	}
	return c;
}

static int add_prop(mosquitto_property **l, const struct prop *pr,
		    uint64_t age_ms)
{
	char *a = NULL, *b = NULL;
	int rc;

	switch (pr->id) {
	case MQTT_PROP_PAYLOAD_FORMAT_INDICATOR:
		rc = mosquitto_property_add_byte(l, pr->id, (uint8_t)pr->num);
		break;
	case MQTT_PROP_MESSAGE_EXPIRY_INTERVAL:
		if (age_ms / 1000 >= pr->num)
			return 1;
		rc = mosquitto_property_add_int32(l, pr->id,
						  pr->num - (uint32_t)(age_ms / 1000));
		break;
	case MQTT_PROP_CORRELATION_DATA:
		rc = mosquitto_property_add_binary(l, pr->id, pr->a, pr->alen);
		break;
	default:
		a = cstr(pr->a, pr->alen);
		if (!a)
			return -MQTT_MSG_E_NOMEM;
		if (pr->id != MQTT_PROP_USER_PROPERTY) {
			rc = mosquitto_property_add_string(l, pr->id, a);
			break;
		}
		b = cstr(pr->b, pr->blen);
		rc = b ? mosquitto_property_add_string_pair(l, pr->id, a, b) :
			 MOSQ_ERR_NOMEM;
	}
	free(a);
	free(b);
	if (rc == MOSQ_ERR_NOMEM)
		return -MQTT_MSG_E_NOMEM;
	return rc == MOSQ_ERR_SUCCESS ? 0 : -MQTT_MSG_E_PROP;
}

int mqtt_msg_props(const struct mqtt_msg *m, uint64_t age_ms,
		   mosquitto_property **out)
{
	const uint8_t *p = m->props, *end = m->props + m->props_len;
	struct prop pr;
	uint16_t i;
	int rc = 0;

	*out = NULL;
	for (i = 0; i < m->nprops && !rc; i++) {
		rc = next_prop(&p, end, &pr);
		if (!rc)
			rc = add_prop(out, &pr, age_ms);
	}
	if (rc) {
		mosquitto_property_free_all(out);
		*out = NULL;
	}
	return rc;
}

/* Where a valid record's expiry value is, or len: in the canonical order
 * the interval is the first property, or the second after a PFI. */
static size_t expiry_at(const uint8_t *r, size_t len)
{
	size_t p = MQTT_MSG_HDR + be_get16(r + MQTT_MSG_OFF_CONTENT) +
		   (size_t)be_get32(r + MQTT_MSG_OFF_CONTENT + 4);

	if (p < len && r[p] == MQTT_PROP_PAYLOAD_FORMAT_INDICATOR)
		p += 2;
	return p < len && r[p] == MQTT_PROP_MESSAGE_EXPIRY_INTERVAL ? p + 1 : len;
}

bool mqtt_msg_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t x;

	if (alen != blen || alen < MQTT_MSG_HDR)
		return false;
	x = expiry_at(a, alen);
	if (x != expiry_at(b, blen) || memcmp(a, b, MQTT_MSG_OFF_STAMP) ||
	    memcmp(a + MQTT_MSG_OFF_CONTENT, b + MQTT_MSG_OFF_CONTENT,
		   x - MQTT_MSG_OFF_CONTENT))
		return false;
	return x == alen || !memcmp(a + x + 4, b + x + 4, alen - x - 4);
}

void mqtt_msg_set_stamp(uint8_t *rec, uint64_t stamp)
{
	be_put64(rec + MQTT_MSG_OFF_STAMP, stamp);
}

void mqtt_msg_set_age(uint8_t *rec, uint64_t age_ms)
{
	be_put64(rec + MQTT_MSG_OFF_AGE, age_ms);
}

const char *mqtt_msg_strerror(int err)
{
	static const char *const s[] = {
		[MQTT_MSG_E_SHORT] = "shorter than its lengths",
		[MQTT_MSG_E_VERSION] = "unknown version",
		[MQTT_MSG_E_KIND] = "unknown kind",
		[MQTT_MSG_E_FLAGS] = "bad flags, QoS or stamp",
		[MQTT_MSG_E_TOPIC] = "topic not a valid topic name",
		[MQTT_MSG_E_TOMBSTONE] = "bad tombstone",
		[MQTT_MSG_E_PROP] = "bad property",
		[MQTT_MSG_E_TRAILING] = "bytes after the properties",
		[MQTT_MSG_E_TOO_LARGE] = "too large",
		[MQTT_MSG_E_NOMEM] = "out of memory",
	};

	if (err < 0)
		err = -err;
	return err >= 1 && err <= MQTT_MSG_E_MAX ? s[err] : "unknown error";
}
