// SPDX-License-Identifier: GPL-2.0
/*
 * The MQTT channel's rx (IT side): publishes each record on the IT broker
 * under Prefix, with its retain flag and properties, the message expiry
 * reduced by the time the message spent on its way. A retained topic is
 * published only when its content changed (the carousel's copies are
 * not), and the whole table again after each connection to the broker,
 * so that a broker restarted empty is whole again. A retained status
 * topic tells IT subscribers how the link is (docs/mqtt.md).
 */
#include <inttypes.h>
#include <mqtt_protocol.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "mqtt.h"
#include "transport.h"

#define STATUS_EVERY_MS 5000
/* What waits for the broker, at most: Queue records and these bytes. */
#define QUEUE_BYTES_MAX (64u << 20)
/* A deleted topic is remembered a day, so that no older copy brings it
 * back. */
#define TOMBSTONE_KEEP_MS (86400ull * 1000)

struct rx_out {
	uint8_t *rec;
	uint32_t len;
	uint64_t queued_ms;	/* the clock's, for the time spent here */
};

static struct {
	struct mqtt_broker b;
	struct mqtt_state st;
	struct rx_out *q;		/* records to publish, Queue of them */
	size_t head, len, bytes;
	size_t reassert;		/* table entries left to publish again */
	bool dirty, link_up;
	uint64_t status_ms, expired_ms;
	char *topic;			/* Prefix and a record's topic */
	uint64_t records, malformed, events, changes, unchanged, stale,
		 tombstones, expired, published, refused, dropped_queue, state_full,
		 connects, reasserted, status_published;
} rx;

static uint32_t rx_max_record(void)
{
	return MQTT_MAX_RECORD;
}

/* false when the record was dropped (counted) */
static bool rx_push(const uint8_t *rec, uint32_t len)
{
	struct rx_out *o;

	if (rx.len == chan_cf.queue || rx.bytes + len > QUEUE_BYTES_MAX) {
		rx.dropped_queue++;
		return false;
	}
	o = &rx.q[(rx.head + rx.len) % chan_cf.queue];
	o->rec = malloc(len);
	if (!o->rec) {
		rx.dropped_queue++;
		return false;
	}
	memcpy(o->rec, rec, len);
	o->len = len;
	o->queued_ms = mqtt_clock_ms();
	rx.len++;
	rx.bytes += len;
	return true;
}

static void rx_deliver(uint64_t seq, const uint8_t *rec, uint32_t len)
{
	struct mqtt_state_entry *e;
	struct mqtt_msg m;
	int v;

	rx.records++;
	/* events come numbered (once each), state unnumbered (seq 0) */
	if (mqtt_msg_decode(rec, len, &m) || (!seq && !m.retain)) {
		rx.malformed++;
		return;
	}
	if (!m.retain) {
		rx.events++;
		rx_push(rec, len);
		return;
	}
	v = mqtt_state_put(&rx.st, rec, len, false, mqtt_clock_ms(), &e);
	if (v == MQTT_STATE_SAME && !e->unsent) {
		rx.unchanged++;
	} else if (v == MQTT_STATE_STALE) {
		rx.stale++;
	} else if (v == MQTT_STATE_CHANGED || v == MQTT_STATE_SAME) {
		/* a change, or one a full queue dropped: the table holds it
		 * either way, so a copy would be SAME and never published.
		 * The record, not the entry: its age is as of now. */
		rx.changes++;
		rx.tombstones += e->tombstone;
		rx.dirty |= v == MQTT_STATE_CHANGED;
		e->unsent = !rx_push(rec, len);
	} else {
		rx.state_full++;
		rx_push(rec, len);
	}
}

/* Records lost on the link are counted by the transport; the carousel
 * makes up for the state among them. */
static void rx_gap(uint64_t first, uint64_t last)
{
	(void)first;
	(void)last;
}

static void rx_epoch(uint64_t old, uint64_t epoch, uint64_t joined)
{
	(void)old;
	(void)joined;
	/* the tx started again without its table: its stamps start again */
	if (rx.st.epoch != epoch) {
		mqtt_state_rebase(&rx.st, epoch);
		rx.dirty = true;
	}
}

/*
 * Publish one record: 0 done (or given up: expired, refused), -1 to try
 * again later (not connected, too much in flight).
 */
static int rx_publish(const uint8_t *rec, uint32_t len, uint64_t waited_ms)
{
	mosquitto_property *props = NULL;
	size_t plen = strlen(chan_cf.mqtt.prefix);
	struct mqtt_msg m;
	int r;

	if (mqtt_msg_decode(rec, len, &m))
		return 0;
	r = mqtt_msg_props(&m, m.age_ms + waited_ms, &props);
	if (r == 1) {
		rx.expired++;
		return 0;
	}
	if (r < 0)
		return 0;
	memcpy(rx.topic + plen, m.topic, m.topic_len);
	rx.topic[plen + m.topic_len] = 0;
	if (chan_cf.mqtt.version != MQTT_PROTOCOL_V5) {
		mosquitto_property_free_all(&props);
		props = NULL;
	}
	r = mqc_publish(&rx.b.mq, rx.topic, m.payload, m.payload_len, chan_cf.mqtt.qos,
			m.retain, props);
	mosquitto_property_free_all(&props);
	if (r == -1)
		return -1;
	if (r)
		rx.refused++;	/* said why, once */
	else
		rx.published++;
	return 0;
}

/* The queue first, then what a new connection re-asserts. */
static void rx_flush(void)
{
	uint64_t now = mqtt_clock_ms();

	if (!mqc_connected(&rx.b.mq))
		return;
	while (rx.len) {
		struct rx_out *o = &rx.q[rx.head];

		if (rx_publish(o->rec, o->len, now > o->queued_ms ? now - o->queued_ms : 0))
			return;
		rx.bytes -= o->len;
		free(o->rec);
		rx.head = (rx.head + 1) % chan_cf.queue;
		rx.len--;
	}
	while (rx.reassert) {
		struct mqtt_state_entry *e;

		if (rx.reassert > rx.st.n)
			rx.reassert = rx.st.n;
		if (!rx.reassert)
			break;
		e = &rx.st.e[rx.reassert - 1];
		/* a deleted topic is not on a broker that lost its store */
		if (!e->tombstone &&
		    rx_publish(e->rec, e->len, now > e->since_ms ? now - e->since_ms : 0))
			return;
		/* a tombstone is not re-asserted, and the queue before may
		 * have published what it deletes */
		e->unsent &= e->tombstone;
		rx.reasserted += !e->tombstone;
		rx.reassert--;
	}
}

/* A broker without this client's session lost it, and its retained
 * messages with it: restarted, or never seen. */
static void rx_connected(void *ctx, bool session_present)
{
	(void)ctx;
	rx.connects++;
	rx.status_ms = 0;
	if (session_present)
		return;
	rx.reassert = rx.st.n;
	fprintf(stderr, "diode-agent: %s: the broker has no session of ours, %zu retained topics "
		"to assert\n", chan_cf.name, rx.st.n);
}

static void rx_disconnected(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "diode-agent: %s: the broker went away\n", chan_cf.name);
}

static void rx_start(void)
{
	static const struct mqc_ops ops = { NULL, rx_connected, rx_disconnected, NULL };

	rx.q = calloc(chan_cf.queue, sizeof(*rx.q));
	rx.topic = malloc(strlen(chan_cf.mqtt.prefix) + 65536);
	if (!rx.q || !rx.topic)
		chan_die("malloc");
	memcpy(rx.topic, chan_cf.mqtt.prefix, strlen(chan_cf.mqtt.prefix));
	mqtt_table_load(&rx.st);
	mqtt_broker_start(&rx.b, &ops);
}

/* The link as IT subscribers see it, on StatusTopic, retained. */
static void rx_status_publish(uint64_t now)
{
	const struct da_rx *x = chan_rx();
	uint64_t clock_ms = mqtt_clock_ms(), oldest = mqtt_state_oldest_heard(&rx.st);
	uint64_t dropped = 0;
	bool up = x->last_heard_ms && now - x->last_heard_ms <
		3 * (x->hb_interval_ms ? x->hb_interval_ms : 1000);
	char b[512];
	int r, n;

	if (!mqc_connected(&rx.b.mq) ||
	    (up == rx.link_up && rx.status_ms && now - rx.status_ms < STATUS_EVERY_MS))
		return;
	for (r = 1; r <= DA_R_MAX; r++)
		dropped += x->c.dropped[r];
	n = snprintf(b, sizeof(b), "{\"channel\":\"%s\",\"link\":\"%s\",\"epoch\":\"%016" PRIx64 "\""
		     ",\"last_heard_ms\":%" PRId64 ",\"lost\":%" PRIu64 ",\"dropped_at_source\":%" PRIu64
		     ",\"topics\":%zu,\"oldest_state_age_ms\":%" PRId64 "}",
		     chan_cf.name, up ? "up" : "down", x->epoch,
		     x->last_heard_ms ? (int64_t)(now - x->last_heard_ms) : -1,
		     x->c.lost, dropped, rx.st.n,
		     oldest && clock_ms > oldest ? (int64_t)(clock_ms - oldest) : oldest ? 0 : -1);
	if (mqc_publish(&rx.b.mq, chan_cf.mqtt.status_topic, b, n, 1, true, NULL))
		return;
	rx.status_published++;
	rx.link_up = up;
	rx.status_ms = now;
}

static void rx_tick(uint64_t now, int *timeout)
{
	mqtt_broker_tick(&rx.b, now, timeout);
	rx_flush();
	if (rx.len || rx.reassert)
		*timeout = *timeout < 10 ? *timeout : 10;
	if (now - rx.expired_ms >= 1000) {
		if (mqtt_state_expire(&rx.st, mqtt_clock_ms(), TOMBSTONE_KEEP_MS))
			rx.dirty = true;
		rx.expired_ms = now;
	}
	rx_status_publish(now);
}

static void rx_commit(void)
{
	if (!rx.dirty)
		return;
	mqtt_table_save(&rx.st);
	rx.dirty = false;
}

/* At exit, what is queued and in flight, while the broker is there. */
static bool rx_draining(uint64_t now)
{
	int timeout = 0;

	rx_tick(now, &timeout);
	mqc_io(&rx.b.mq, EPOLLIN | EPOLLOUT, now);
	return mqc_connected(&rx.b.mq) && (rx.len || mqc_inflight(&rx.b.mq));
}

static void rx_status(FILE *f)
{
	fprintf(f, ",\"broker\":\"%s\",\"broker_connects\":%" PRIu64
		",\"records\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"events\":%" PRIu64
		",\"retained_changes\":%" PRIu64 ",\"retained_unchanged\":%" PRIu64
		",\"stale\":%" PRIu64 ",\"tombstones\":%" PRIu64 ",\"expired\":%" PRIu64
		",\"published\":%" PRIu64 ",\"refused\":%" PRIu64
		",\"queued\":%zu,\"dropped_queue_full\":%" PRIu64
		",\"state_full\":%" PRIu64 ",\"topics\":%zu,\"state_bytes\":%" PRIu64
		",\"reasserted\":%" PRIu64 ",\"status_published\":%" PRIu64,
		mqc_connected(&rx.b.mq) ? "connected" : "down", rx.connects,
		rx.records, rx.malformed, rx.events, rx.changes, rx.unchanged, rx.stale,
		rx.tombstones, rx.expired, rx.published, rx.refused, rx.len, rx.dropped_queue,
		rx.state_full, rx.st.n, rx.st.bytes, rx.reasserted, rx.status_published);
}

/*
 * The queue dies with the process, and a re-assertion under way with it:
 * the topics whose content they held leave the table before it is saved,
 * so that their next copy is a change, published then. Kept, the copy
 * would compare SAME and the broker, which has our session, would never
 * have it. No older copy comes after a restart: the link's datagrams
 * went with the socket.
 */
static void rx_forget_unsent(void)
{
	struct mqtt_state_entry *e;
	struct mqtt_msg m;
	size_t i;

	for (i = 0; i < rx.len; i++) {
		const struct rx_out *o = &rx.q[(rx.head + i) % chan_cf.queue];

		if (!mqtt_msg_decode(o->rec, o->len, &m) && m.retain &&
		    (e = mqtt_state_find(&rx.st, m.topic, m.topic_len)))
			e->unsent = true;
	}
	for (i = 0; i < rx.reassert && i < rx.st.n; i++)
		rx.st.e[i].unsent |= !rx.st.e[i].tombstone;
	for (i = rx.st.n; i-- > 0;)
		if (rx.st.e[i].unsent)
			mqtt_state_remove(&rx.st, &rx.st.e[i]);
}

static void rx_stop(void)
{
	rx_forget_unsent();
	while (rx.len) {
		free(rx.q[rx.head].rec);
		rx.head = (rx.head + 1) % chan_cf.queue;
		rx.len--;
	}
	mqtt_table_save(&rx.st);
	mqc_free(&rx.b.mq);
	mqtt_state_free(&rx.st);
	free(rx.q);
	free(rx.topic);
}

const struct chan_proto mqtt_rx_proto = {
	.name = "mqtt",
	.max_record = rx_max_record,
	.rx_start = rx_start,
	.deliver = rx_deliver,
	.gap = rx_gap,
	.epoch = rx_epoch,
	.rx_commit = rx_commit,
	.rx_draining = rx_draining,
	.rx_status = rx_status,
	.tick = rx_tick,
	.stop = rx_stop,
};
