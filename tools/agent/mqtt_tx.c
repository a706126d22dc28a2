// SPDX-License-Identifier: GPL-2.0
/*
 * The MQTT channel's tx (OT side): a client of the OT broker whose every
 * message becomes a record (mqtt_msg.c). A message that is not retained
 * is an event, sent once, numbered: the rx counts every one lost. A
 * retained one is state: sent unnumbered when its content changed,
 * stamped by the state table, and sent again by the carousel so that an
 * rx that lost it converges without asking (docs/mqtt.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt.h"

/*
 * After each subscription the broker sends every retained topic it holds:
 * one the table holds that did not come was deleted while the tx was away
 * (a deletion published with QoS 0 is not queued for an absent client).
 * MQTT marks no end of that burst: the tx waits for this long without a
 * retained message, and never while paused.
 */
#define SWEEP_QUIET_MS 5000

static struct {
	struct mqtt_broker b;
	struct mqtt_state st;
	uint8_t *rec;			/* MQTT_MAX_RECORD bytes */
	bool dirty;			/* the table changed since it was saved */
	uint64_t saved_ms, expired_ms;
	bool sweep, paused;		/* a subscription's retained burst to check */
	uint64_t sweep_from;		/* the table's clock at the connection */
	uint64_t retained_ms;		/* the loop's clock at the last retained message */
	uint64_t received, events, changes, unchanged, tombstones, refused,
		 state_full, carousel_dropped, connects, swept;
} tx;

static uint32_t tx_max_record(void)
{
	return MQTT_MAX_RECORD;
}

/* A copy of a state entry, its age as of now, onto the state queue. */
static int tx_send_entry(const struct mqtt_state_entry *e, uint64_t clock_ms)
{
	memcpy(tx.rec, e->rec, e->len);
	mqtt_msg_set_age(tx.rec, mqtt_state_age_ms(e, clock_ms));
	return chan_tx_enqueue_state(tx.rec, e->len);
}

static void tx_message(void *ctx, const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	struct mqtt_msg m = {
		.kind = MQTT_MSG_PUBLISH, .qos = msg->qos, .retain = msg->retain,
		.topic = msg->topic, .topic_len = strlen(msg->topic),
		.payload = msg->payload, .payload_len = msg->payloadlen,
	};
	struct mqtt_state_entry *e;
	uint64_t now = mqtt_clock_ms();
	long n;
	int v;

	(void)ctx;
	tx.received++;
	if (m.retain)
		tx.retained_ms = chan_now_ms();
	/* an empty retained message deletes its topic */
	if (m.retain && !m.payload_len) {
		m.kind = MQTT_MSG_TOMBSTONE;
		m.qos = 0;
	}
	n = mqtt_msg_encode(tx.rec, MQTT_MAX_RECORD, &m, props);
	if (n == -MQTT_MSG_E_TOO_LARGE || n > MQTT_MAX_RECORD) {
		chan_tx_too_large();
		return;
	}
	if (n < 0) {
		/* what the IT broker would refuse, or a topic of the broker's own */
		tx.refused++;
		return;
	}
	if (!m.retain) {
		tx.events++;
		chan_tx_enqueue(tx.rec, n, tx.rec, 0);
		return;
	}
	v = mqtt_state_put(&tx.st, tx.rec, n, true, now, &e);
	if (v == MQTT_STATE_SAME) {
		tx.unchanged++;
	} else if (v == MQTT_STATE_CHANGED) {
		tx.changes++;
		tx.tombstones += e->tombstone;
		tx.dirty = true;
		tx_send_entry(e, now);
	} else {
		/* the table is full: this change still goes, once */
		tx.state_full++;
		chan_tx_enqueue_state(tx.rec, n);
	}
}

static void tx_connected(void *ctx, bool session_present)
{
	(void)ctx;
	tx.connects++;
	tx.sweep = true;
	tx.sweep_from = mqtt_clock_ms();
	tx.retained_ms = chan_now_ms();
	fprintf(stderr, "diode-agent: %s: connected to the broker (%s session)\n",
		chan_cf.name, session_present ? "its" : "a new");
}

static void tx_disconnected(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "diode-agent: %s: the broker went away\n", chan_cf.name);
}

static void tx_start(void)
{
	static const struct mqc_ops ops = { tx_message, tx_connected, tx_disconnected, NULL };

	tx.rec = malloc(MQTT_MAX_RECORD);
	if (!tx.rec)
		chan_die("malloc");
	mqtt_table_load(&tx.st);
	/* the share of Rate and what a re-send costs, as the channel counts them */
	mqtt_state_carousel_set(&tx.st, chan_cf.mqtt.carousel_ms,
				chan_carousel_bytes_s(chan_cf.mqtt.carousel_share),
				chan_state_overhead());
	tx.saved_ms = tx.expired_ms = chan_now_ms();
	mqtt_broker_start(&tx.b, &ops);
}

static void tx_pause(bool on)
{
	tx.paused = on;
	mqc_pause(&tx.b.mq, on);
}

/* Every message of the table that the broker did not send again since the
 * connection becomes a tombstone. */
static void tx_sweep(void)
{
	uint64_t now = mqtt_clock_ms();
	size_t i, n = 0;

	for (i = 0; i < tx.st.n; i++) {
		struct mqtt_state_entry *e = &tx.st.e[i];
		struct mqtt_msg m = { .kind = MQTT_MSG_TOMBSTONE, .retain = true };
		long len;

		if (e->tombstone || e->heard_ms >= tx.sweep_from)
			continue;
		m.topic = (const char *)e->rec + MQTT_MSG_HDR;
		m.topic_len = e->topic_len;
		len = mqtt_msg_encode(tx.rec, MQTT_MAX_RECORD, &m, NULL);
		if (len > 0 && mqtt_state_put(&tx.st, tx.rec, len, true, now, &e) ==
			       MQTT_STATE_CHANGED) {
			tx_send_entry(e, now);
			n++;
		}
	}
	if (n) {
		tx.swept += n;
		tx.dirty = true;
		fprintf(stderr, "diode-agent: %s: %zu retained topics gone from the broker "
			"while away: deleted\n", chan_cf.name, n);
	}
}

static void tx_tick(uint64_t now, int *timeout)
{
	struct mqtt_state_entry *e;
	uint64_t clock_ms = mqtt_clock_ms();
	/* tombstones go round the carousel a few times before they go */
	uint64_t keep = 3ull * (chan_cf.mqtt.carousel_ms ? chan_cf.mqtt.carousel_ms : 60000);

	mqtt_broker_tick(&tx.b, now, timeout);
	if (tx.sweep && tx.b.mq.subscribed && !tx.paused &&
	    now - tx.retained_ms >= SWEEP_QUIET_MS) {
		tx.sweep = false;
		tx_sweep();
	}
	/* changes first: the carousel takes only the state queue's lower half */
	while (chan_tx_state_room() > chan_cf.queue / 2 &&
	       (e = mqtt_state_carousel_next(&tx.st, clock_ms)))
		if (tx_send_entry(e, clock_ms))
			tx.carousel_dropped++;
	/* the carousel's credit is capped at BG_CREDIT_BURST_MS: a turn
	 * later than that loses rate */
	if (tx.st.car.credit.running && *timeout > BG_CREDIT_BURST_MS / 2)
		*timeout = BG_CREDIT_BURST_MS / 2;
	if (now - tx.expired_ms >= 1000) {
		if (mqtt_state_expire(&tx.st, clock_ms, keep))
			tx.dirty = true;
		tx.expired_ms = now;
	}
	if (tx.dirty && now - tx.saved_ms >= 5000) {
		mqtt_table_save(&tx.st);
		tx.dirty = false;
		tx.saved_ms = now;
	}
}

static void tx_status(FILE *f)
{
	const struct mqtt_carousel *c = &tx.st.car;

	fprintf(f, ",\"broker\":\"%s\",\"broker_connects\":%" PRIu64
		",\"received\":%" PRIu64 ",\"events\":%" PRIu64 ",\"retained_changes\":%" PRIu64
		",\"retained_unchanged\":%" PRIu64 ",\"tombstones\":%" PRIu64 ",\"refused\":%" PRIu64
		",\"state_full\":%" PRIu64 ",\"topics\":%zu,\"state_bytes\":%" PRIu64
		",\"carousel_passes\":%" PRIu64 ",\"carousel_last_pass_ms\":%" PRIu64
		",\"carousel_sent\":%" PRIu64 ",\"carousel_dropped\":%" PRIu64
		",\"swept\":%" PRIu64,
		mqc_connected(&tx.b.mq) ? "connected" : "down", tx.connects,
		tx.received, tx.events, tx.changes, tx.unchanged, tx.tombstones, tx.refused,
		tx.state_full, tx.st.n, tx.st.bytes, c->passes, c->last_pass_ms, c->sent,
		tx.carousel_dropped, tx.swept);
}

static void tx_stop(void)
{
	mqtt_table_save(&tx.st);
	mqc_free(&tx.b.mq);
	mqtt_state_free(&tx.st);
	free(tx.rec);
}

const struct chan_proto mqtt_tx_proto = {
	.name = "mqtt",
	.max_record = tx_max_record,
	.tx_start = tx_start,
	.tx_pause = tx_pause,
	.tx_status = tx_status,
	.tick = tx_tick,
	.stop = tx_stop,
};
