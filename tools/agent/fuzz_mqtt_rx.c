// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the MQTT channel's rx as a whole (mqtt_rx.c with its
 * state table and state file), fed sequences of records from a modelled
 * OT broker and tx, across a modelled link, to a fake IT broker.
 * fuzz_mqtt_msg and fuzz_mqtt_state check the record and the file alone;
 * this checks what sequences do: changes, carousel copies, tombstones,
 * events, loss, duplicates and reordering on the link, message expiry as
 * time passes, tx restarts with or without their table (a new epoch),
 * rx restarts that read the state file back, and an IT broker that goes
 * away, is busy, refuses, or comes back without its store.
 *
 * The broker side is mqtt_client.h's API, faked here (the rx is linked
 * with this file instead of mqtt_client.c): mqc_publish is where every
 * publication is checked. The rx is included, so that a restart can
 * zero its static state, as the process's exit does.
 *
 * Every payload names what the model sent (rN a retained message, eN an
 * event, empty a tombstone), so that the rx must:
 *  - publish only what the sender sent and the link delivered: under
 *    Prefix and its topic, with the channel's QoS, its retain flag, its
 *    properties, and a message expiry no longer than what was left of
 *    the original interval (a few seconds of rounding aside) and not
 *    used up; events only in the rx run they were delivered in;
 *  - publish each event at most once, in the order they were delivered;
 *  - publish a retained topic's versions in the order the OT broker had
 *    them, each once: never an older one after a newer one, nor one
 *    again, unless the broker lost it (it expired there, or a broker
 *    without our session is being re-asserted to);
 *  - keep its counters in step with the fake broker's and with one
 *    another: records and malformed ones delivered, published,
 *    refused, status messages, and what was queued against what left
 *    the queue; keep its queue and table within their bounds;
 *  - converge: after a clean carousel pass to a connected broker, the
 *    broker holds every retained message the tx holds (unless about to
 *    expire) and nothing of a topic the tx holds deleted.
 * Records of any bytes, and valid ones corrupted, are delivered only
 * when the rx must refuse them (the link is authenticated: what decodes
 * came from the tx), and must publish nothing.
 *
 * Left out: a full table (MaxTopics is the model's topics, which the rx
 * must then never find full), a crash (an rx killed between two commits
 * has saved changes it had not published), publishes libmosquitto took
 * and lost with a connection.
 */
#define mqtt_clock_ms fz_clock_ms
#include "mqtt_rx.c"
#include "fuzz_input.h"

#include <unistd.h>

#define NTOPICS		6
#define MAXV		2048	/* retained versions and events of one input */
#define INFLIGHT	32
#define LINK_DELAY_MS	1000	/* a datagram older than this is lost */
#define TX_KEEP_MS	30000	/* the tx keeps a tombstone three 10 s periods */
#define SLACK_MS	3000	/* whole seconds of expiry rounded twice, the link */

struct conf chan_cf;
static struct da_rx fz_da;
static uint64_t fz_now;
static char fz_dir[64];

uint64_t fz_clock_ms(void)
{
	return fz_now;
}

void chan_die(const char *what)
{
	dprintf(2, "chan_die: %s\n", what);
	abort();
}

void chan_stop(int status)
{
	(void)status;
	abort();
}

void chan_watch_set(struct chan_fd *f, uint32_t events)
{
	(void)f;
	(void)events;
}

void chan_path(const struct conf *c, char *buf, size_t len, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", fz_dir, c->name, ext);
}

const struct da_rx *chan_rx(void)
{
	return &fz_da;
}

void conf_wipe(struct conf *c)
{
	(void)c;
}

/* ---------------------------------------------------------- the model */

/* A retained version (a message or a tombstone) or an event, as the OT
 * broker had it. */
struct fz_ver {
	uint8_t topic;
	bool event, tomb, delivered, published;
	uint8_t props;		/* which content properties it carries */
	uint32_t expiry_s;	/* its interval at the OT broker, 0 none */
	uint64_t t_pub;		/* when the OT broker took it */
	uint32_t order;		/* events: place in the delivery order */
	uint32_t life;		/* events: the rx run it was delivered to */
};

/* The tx's table: per topic its version, stamp, and the copy it holds. */
struct fz_tx_entry {
	uint32_t ver;		/* 0: none */
	uint64_t stamp;
	uint64_t t_store;	/* the record's age is counted from it */
	uint32_t expiry_s;	/* the interval the tx's record carries */
};

struct fz_rec {
	uint64_t seq;		/* 0: state */
	uint64_t sent_ms;
	uint32_t ver;
	uint32_t len;
	uint8_t b[256];
};

static struct {
	struct fz_ver v[MAXV + 1];
	uint32_t nv;
	struct fz_tx_entry tx[NTOPICS];
	uint64_t last_stamp, seq;
	uint32_t epoch;
	struct fz_rec link[INFLIGHT];
	size_t nlink;
	uint32_t order, last_order;
	uint32_t life;
	/* the fake IT broker */
	bool up, session, busy;
	int refuse;
	struct {
		uint32_t ver;	/* 0: holds nothing */
		uint64_t deadline;	/* 0: none */
	} store[NTOPICS];
	uint32_t last_pub[NTOPICS];	/* the newest version published */
	bool again[NTOPICS];	/* a broker without our session: once more */
	uint32_t refused_ver[NTOPICS];	/* the last version refused, a tombstone's ~0 */
	/* this rx run's counts, against its counters */
	uint64_t records, malformed, accepted, refused, status;
} m;

static uint8_t scratch[512];

static bool fz_expired(const struct fz_ver *v, uint64_t margin)
{
	return v->expiry_s && fz_now + margin >= v->t_pub + v->expiry_s * 1000ull;
}

/* A record of version ver as the tx sends it, into r. */
static void fz_encode(struct fz_rec *r, uint32_t ver, uint64_t stamp, uint64_t age,
		      uint32_t expiry_s)
{
	const struct fz_ver *v = &m.v[ver];
	mosquitto_property *props = NULL;
	char topic[8], payload[16], val[8];
	struct mqtt_msg msg = {
		.kind = v->tomb ? MQTT_MSG_TOMBSTONE : MQTT_MSG_PUBLISH,
		.qos = v->tomb ? 0 : v->props % 3,
		.retain = !v->event,
		.stamp = v->event ? 0 : stamp,
		.age_ms = age,
		.topic = topic,
		.payload = (const uint8_t *)payload,
	};
	long n;

	msg.topic_len = (size_t)snprintf(topic, sizeof(topic), "t/%u", v->topic);
	if (!v->tomb)
		msg.payload_len = (uint32_t)snprintf(payload, sizeof(payload), "%c%u",
						     v->event ? 'e' : 'r', ver);
	if (expiry_s)
		mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, expiry_s);
	if (v->props & 4)
		mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, "text/plain");
	snprintf(val, sizeof(val), "%u", v->props);
	if (v->props & 8)
		mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "k", val);
	n = mqtt_msg_encode(r->b, sizeof(r->b), &msg, props);
	mosquitto_property_free_all(&props);
	if (n < 0 || (size_t)n > sizeof(r->b))
		abort();
	r->len = (uint32_t)n;
	r->ver = ver;
	r->sent_ms = fz_now;
}

static void fz_send(const struct fz_rec *r)
{
	if (m.nlink < INFLIGHT)
		m.link[m.nlink++] = *r;
}

/* A copy of the tx's entry of topic t on the link. */
static void fz_send_entry(unsigned t)
{
	const struct fz_tx_entry *e = &m.tx[t];
	struct fz_rec r;

	if (!e->ver)
		return;
	fz_encode(&r, e->ver, e->stamp, fz_now - e->t_store, e->expiry_s);
	r.seq = 0;
	fz_send(&r);
}

static uint32_t fz_new_ver(unsigned t, bool event, bool tomb, uint8_t arg)
{
	static const uint32_t expiry[4] = { 0, 0, 5, 30 };
	struct fz_ver *v;

	if (m.nv == MAXV)
		return 0;
	v = &m.v[++m.nv];
	memset(v, 0, sizeof(*v));
	v->topic = (uint8_t)t;
	v->event = event;
	v->tomb = tomb;
	v->props = tomb ? 0 : (uint8_t)(m.nv * 7 + arg);
	v->expiry_s = tomb ? 0 : expiry[arg & 3];
	v->t_pub = fz_now;
	return m.nv;
}

/* The tx takes a retained version in: stamped, stored, sent at once. */
static void fz_tx_put(unsigned t, uint32_t ver)
{
	struct fz_tx_entry *e = &m.tx[t];

	e->ver = ver;
	e->stamp = ++m.last_stamp;
	e->t_store = fz_now;
	e->expiry_s = m.v[ver].expiry_s;
	fz_send_entry(t);
}

/* The tx forgets what expired, and tombstones after their turns. */
static void fz_tx_expire(void)
{
	unsigned t;

	for (t = 0; t < NTOPICS; t++) {
		struct fz_tx_entry *e = &m.tx[t];

		if (e->ver && (m.v[e->ver].tomb ? fz_now - e->t_store >= TX_KEEP_MS :
			       e->expiry_s && (fz_now - e->t_store) / 1000 >= e->expiry_s))
			e->ver = 0;
	}
}

/*
 * The tx starts again in a new epoch: with its table (its stamps go on),
 * or without (from 1 again), then learning the OT broker's retained
 * messages as it subscribes, their intervals reduced as the broker does.
 */
static void fz_tx_restart(bool keep)
{
	uint64_t old = m.epoch;
	unsigned t;

	m.epoch++;
	m.seq = 0;
	m.nlink = 0;	/* the old epoch's datagrams: no longer taken */
	if (!keep) {
		m.last_stamp = 0;
		for (t = 0; t < NTOPICS; t++) {
			struct fz_tx_entry *e = &m.tx[t];
			const struct fz_ver *v = &m.v[e->ver];
			uint32_t gone = (uint32_t)((fz_now - v->t_pub) / 1000);

			if (!e->ver || v->tomb || fz_expired(v, 0)) {
				e->ver = 0;
				continue;
			}
			e->stamp = ++m.last_stamp;
			e->t_store = fz_now;
			e->expiry_s = v->expiry_s ? v->expiry_s - gone : 0;
		}
	}
	mqtt_rx_proto.epoch(old, m.epoch, 1);
	for (t = 0; t < NTOPICS; t++)
		fz_send_entry(t);
}

/* ------------------------------------------------------ the fake broker */

int mqc_init(struct mqc *c, const struct conf *cf, const struct mqc_ops *ops)
{
	(void)cf;
	memset(c, 0, sizeof(*c));
	c->ops = *ops;
	return 0;
}

void mqc_free(struct mqc *c)
{
	(void)c;
}

int mqc_fd(const struct mqc *c)
{
	(void)c;
	return -1;
}

uint32_t mqc_events(const struct mqc *c)
{
	(void)c;
	return 0;
}

void mqc_io(struct mqc *c, uint32_t revents, uint64_t now_ms)
{
	(void)c;
	(void)revents;
	(void)now_ms;
}

int64_t mqc_tick(struct mqc *c, uint64_t now_ms)
{
	(void)c;
	(void)now_ms;
	return -1;
}

int mqc_fatal(const struct mqc *c)
{
	(void)c;
	return 0;
}

bool mqc_connected(const struct mqc *c)
{
	(void)c;
	return m.up;
}

size_t mqc_inflight(const struct mqc *c)
{
	(void)c;
	return 0;
}

static __attribute__((noreturn)) void fz_fail(const char *why, const char *topic,
					      const void *payload, uint32_t len)
{
	dprintf(2, "fuzz_mqtt_rx: %s: topic %s, payload %.*s\n", why, topic, (int)len,
		(const char *)payload);
	abort();
}

/* The version a payload names (it ends where len says), or 0. */
static uint32_t fz_ver_of(const char *p, uint32_t len)
{
	uint32_t ver = 0, i;

	for (i = 1; i < len && i < 6 && p[i] >= '0' && p[i] <= '9'; i++)
		ver = ver * 10 + (uint32_t)(p[i] - '0');
	return i == len && ver <= m.nv ? ver : 0;
}

/* A publication's properties against its version's. */
static void fz_check_props(const struct fz_ver *v, const mosquitto_property *props,
			   const char *topic)
{
	char *s = NULL, *k = NULL, *val = NULL, want[8];
	uint32_t left = 0;

	if (chan_cf.mqtt.version != MQTT_PROTOCOL_V5) {
		if (props)
			fz_fail("properties with MQTT 3.1.1", topic, "", 0);
		return;
	}
	mosquitto_property_read_int32(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &left, false);
	if (!v->expiry_s != !left || left > v->expiry_s ||
	    (left && fz_now + left * 1000ull > v->t_pub + v->expiry_s * 1000ull + SLACK_MS))
		fz_fail("message expiry not what was left of it", topic, "", 0);
	if (!mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &s, false) !=
	    !(v->props & 4))
		fz_fail("content type", topic, "", 0);
	free(s);
	snprintf(want, sizeof(want), "%u", v->props);
	if (mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &k, &val, false) ?
	    !(v->props & 8) || strcmp(k, "k") || strcmp(val, want) : !!(v->props & 8))
		fz_fail("user property", topic, "", 0);
	free(k);
	free(val);
}

/* The retained version a publication of topic t is: a message names its
 * own; a tombstone is the oldest delivered one after the last published
 * (or that one again when republishing is allowed). */
static uint32_t fz_which(unsigned t, const char *p, uint32_t len, bool again)
{
	uint32_t ver, from = m.last_pub[t] + !again;

	if (len) {
		ver = fz_ver_of(p, len);
		return ver && !m.v[ver].event && !m.v[ver].tomb &&
		       m.v[ver].topic == t && m.v[ver].delivered ? ver : 0;
	}
	for (ver = from ? from : 1; ver <= m.nv; ver++)
		if (!m.v[ver].event && m.v[ver].tomb && m.v[ver].topic == t && m.v[ver].delivered)
			return ver;
	return 0;
}

static void fz_retained(unsigned t, const char *topic, const char *p, uint32_t len,
			const mosquitto_property *props)
{
	const struct fz_ver *last = &m.v[m.last_pub[t]];
	/* a message the broker no longer holds (expired there), or about to
	 * expire: the rx's table and the tx's round its interval apart */
	bool lost = m.last_pub[t] && !last->tomb &&
		    (m.store[t].ver != m.last_pub[t] || fz_expired(last, SLACK_MS));
	/* the rx re-asserts its table after its queue */
	bool reasserting = rx.reassert && !rx.len && m.again[t];
	uint32_t ver = fz_which(t, p, len, lost || reasserting);

	if (!ver)
		fz_fail("a retained message not sent, not delivered, or not after the last published",
			topic, p, len);
	if (ver < m.last_pub[t] || (ver == m.last_pub[t] && !lost && !reasserting))
		fz_fail("a retained version older than published, or again", topic, p, len);
	fz_check_props(&m.v[ver], props, topic);
	m.last_pub[t] = ver;
	if (reasserting)
		m.again[t] = false;
	m.v[ver].published = true;
	m.store[t].ver = len ? ver : 0;
	m.store[t].deadline = 0;
	if (len && chan_cf.mqtt.version == MQTT_PROTOCOL_V5) {
		uint32_t left = 0;

		mosquitto_property_read_int32(props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &left,
					      false);
		m.store[t].deadline = left ? fz_now + left * 1000ull : 0;
	}
}

static void fz_event(unsigned t, const char *topic, const char *p, uint32_t len,
		     const mosquitto_property *props)
{
	uint32_t ver = fz_ver_of(p, len);
	struct fz_ver *v = &m.v[ver];

	if (!ver || !v->event || !v->delivered || v->life != m.life || v->topic != t)
		fz_fail("an event not sent, not delivered in this run, or on another topic",
			topic, p, len);
	if (v->published)
		fz_fail("an event published twice", topic, p, len);
	if (v->order <= m.last_order)
		fz_fail("events out of their delivery order", topic, p, len);
	fz_check_props(v, props, topic);
	v->published = true;
	m.last_order = v->order;
}

int mqc_publish(struct mqc *c, const char *topic, const void *payload, uint32_t len, int qos,
		bool retain, const mosquitto_property *props)
{
	size_t plen = strlen(chan_cf.mqtt.prefix);
	const char *p = payload;
	unsigned t;

	(void)c;
	if (!m.up)
		fz_fail("published while not connected", topic, payload, len);
	if (m.busy)
		return -1;
	if (!strcmp(topic, chan_cf.mqtt.status_topic)) {
		if (qos != 1 || !retain || !len || p[0] != '{' || p[len - 1] != '}' || props)
			fz_fail("a status message", topic, payload, len);
		m.status++;
		return 0;
	}
	if (strncmp(topic, chan_cf.mqtt.prefix, plen) || strncmp(topic + plen, "t/", 2) ||
	    strlen(topic + plen) != 3 || (t = (unsigned)(topic[plen + 2] - '0')) >= NTOPICS)
		fz_fail("a topic the sender never used", topic, payload, len);
	if (qos != chan_cf.mqtt.qos)
		fz_fail("not the channel's QoS", topic, payload, len);
	if (len && p[0] != (retain ? 'r' : 'e'))
		fz_fail("a retain flag not the message's", topic, payload, len);
	if (!len && !retain)
		fz_fail("an empty event", topic, payload, len);
	if (m.refuse) {
		/* given up for good: that version may never reach the broker */
		m.refuse--;
		m.refused++;
		if (retain)
			m.refused_ver[t] = len ? fz_ver_of(p, len) : UINT32_MAX;
		return -2;
	}
	if (retain)
		fz_retained(t, topic, p, len, props);
	else
		fz_event(t, topic, p, len, props);
	m.accepted++;
	return 0;
}

/* What the broker holds, as time passes. */
static void fz_broker_expire(void)
{
	unsigned t;

	for (t = 0; t < NTOPICS; t++)
		if (m.store[t].deadline && fz_now >= m.store[t].deadline)
			m.store[t].ver = m.store[t].deadline = 0;
}

static void fz_connect(void)
{
	unsigned t;

	if (m.up)
		return;
	m.up = true;
	if (!m.session)
		for (t = 0; t < NTOPICS; t++)
			m.again[t] = true;
	rx.b.mq.ops.connected(rx.b.mq.ops.ctx, m.session);
	m.session = true;
}

static void fz_disconnect(void)
{
	if (!m.up)
		return;
	m.up = false;
	rx.b.mq.ops.disconnected(rx.b.mq.ops.ctx);
}

/* --------------------------------------------------------------- the rx */

static void fz_rx_check(void)
{
	uint64_t queued = 0;
	size_t i;

	for (i = 0; i < rx.len; i++)
		queued += rx.q[(rx.head + i) % chan_cf.queue].len;
	if (rx.records != m.records || rx.malformed != m.malformed ||
	    rx.published != m.accepted || rx.refused != m.refused ||
	    rx.status_published != m.status) {
		dprintf(2, "fuzz_mqtt_rx: counters: records %" PRIu64 "/%" PRIu64 " malformed %"
			PRIu64 "/%" PRIu64 " published %" PRIu64 "/%" PRIu64 " refused %" PRIu64
			"/%" PRIu64 " status %" PRIu64 "/%" PRIu64 "\n", rx.records, m.records,
			rx.malformed, m.malformed, rx.published, m.accepted, rx.refused, m.refused,
			rx.status_published, m.status);
		abort();
	}
	/* what went into the queue is published, expired, refused or there */
	if (rx.events + rx.changes + rx.state_full - rx.dropped_queue !=
	    rx.published + rx.expired + rx.refused - rx.reasserted + rx.len) {
		dprintf(2, "fuzz_mqtt_rx: queue accounting\n");
		abort();
	}
	if (rx.len > chan_cf.queue || queued != rx.bytes || rx.bytes > QUEUE_BYTES_MAX ||
	    rx.st.n > NTOPICS || rx.st.bytes > chan_cf.mqtt.max_state_bytes || rx.state_full) {
		dprintf(2, "fuzz_mqtt_rx: bounds\n");
		abort();
	}
}

static void fz_tick(void)
{
	int timeout = 1000;

	mqtt_rx_proto.tick(fz_now, &timeout);
}

static void fz_rx_start(void)
{
	memset(&rx, 0, sizeof(rx));
	m.records = m.malformed = m.accepted = m.refused = m.status = 0;
	m.life++;
	mqtt_rx_proto.rx_start();
	if (rx.st.epoch && rx.st.epoch != m.epoch) {
		dprintf(2, "fuzz_mqtt_rx: the state file's epoch is not the tx's\n");
		abort();
	}
}

/* As the channel stops: drain while connected, commit, stop. Datagrams
 * on their way and the broker connection go with the process. */
static void fz_rx_restart(void)
{
	int i;

	for (i = 0; i < 200 && mqtt_rx_proto.rx_draining(fz_now); i++)
		;
	fz_rx_check();
	mqtt_rx_proto.rx_commit();
	mqtt_rx_proto.stop();
	m.nlink = 0;
	m.up = false;	/* the broker keeps the session, not the connection */
	fz_rx_start();
}

static void fz_deliver(uint64_t seq, const uint8_t *rec, uint32_t len)
{
	m.records++;
	mqtt_rx_proto.deliver(seq, rec, len);
}

static void fz_link_deliver(size_t k, bool dup)
{
	struct fz_rec r = m.link[k];
	struct fz_ver *v = &m.v[r.ver];

	if (!dup || r.seq) {
		memmove(&m.link[k], &m.link[k + 1], (m.nlink - k - 1) * sizeof(m.link[0]));
		m.nlink--;
	}
	if (v->event) {
		v->delivered = true;
		v->order = ++m.order;
		v->life = m.life;
	} else {
		v->delivered = true;
	}
	fz_deliver(r.seq, r.b, r.len);
}

static void fz_link_drop(size_t k)
{
	if (m.link[k].seq)
		mqtt_rx_proto.gap(m.link[k].seq, m.link[k].seq);
	memmove(&m.link[k], &m.link[k + 1], (m.nlink - k - 1) * sizeof(m.link[0]));
	m.nlink--;
}

static void fz_advance(uint64_t ms)
{
	size_t k;

	fz_now += ms;
	for (k = m.nlink; k-- > 0;)
		if (fz_now - m.link[k].sent_ms > LINK_DELAY_MS)
			fz_link_drop(k);
	fz_tx_expire();
	fz_broker_expire();
}

/* Deliver rec only when the rx must refuse it: what decodes came from
 * the tx, across an authenticated link. */
static void fz_deliver_bad(uint64_t seq, const uint8_t *rec, uint32_t len)
{
	struct mqtt_msg msg;

	if (!mqtt_msg_decode(rec, len, &msg) && (seq || msg.retain))
		return;
	m.malformed++;
	fz_deliver(seq, rec, len);
}

/* A clean pass: the broker there, every entry of the tx delivered, the
 * queue flushed; then what the broker holds is what the tx holds. */
static void fz_converge(void)
{
	unsigned t;
	int i;

	m.busy = false;
	m.refuse = 0;
	fz_connect();
	for (i = 0; i < 3; i++) {
		fz_advance(100);
		for (t = 0; t < NTOPICS; t++) {
			fz_send_entry(t);
			while (m.nlink)
				fz_link_deliver(0, false);
			fz_tick();
		}
	}
	fz_rx_check();
	for (t = 0; t < NTOPICS; t++) {
		const struct fz_tx_entry *e = &m.tx[t];
		const struct fz_ver *v = &m.v[e->ver];

		if (!e->ver || (!v->tomb && fz_expired(v, SLACK_MS + 1000)) ||
		    m.refused_ver[t] == (v->tomb ? UINT32_MAX : e->ver))
			continue;
		if (m.store[t].ver != (v->tomb ? 0 : e->ver)) {
			dprintf(2, "fuzz_mqtt_rx: topic t/%u: the broker holds %u, the tx %s %u\n",
				t, m.store[t].ver, v->tomb ? "deleted it at" : "holds", e->ver);
			abort();
		}
	}
}

/* The state file's folder, gone with the process. */
static void fz_cleanup(void)
{
	char path[128];

	chan_path(&chan_cf, path, sizeof(path), "state");
	unlink(path);
	rmdir(fz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(fz_dir, sizeof(fz_dir), "%s/fuzz_mqtt_rx.XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(fz_dir))
		abort();
	atexit(fz_cleanup);
	snprintf(chan_cf.name, sizeof(chan_cf.name), "fuzz");
	snprintf(chan_cf.mqtt.prefix, sizeof(chan_cf.mqtt.prefix), "it/");
	snprintf(chan_cf.mqtt.status_topic, sizeof(chan_cf.mqtt.status_topic), "diode/status");
	chan_cf.mqtt.max_topics = NTOPICS;
	chan_cf.mqtt.max_state_bytes = 1 << 20;
	/* the rx's messages are its normal work here; the sanitizers' reports
	 * go to the descriptor, not to this stream */
	stderr = fopen("/dev/null", "w");
	return 0;
}

/*
 * Input: a byte of configuration (QoS, MQTT version, Queue), then
 * operations, a byte each and some with an argument: the low four bits
 * the operation, the high four its detail (a topic, a choice).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128];
	uint8_t cfg, op, arg;

	if (!fuzz_take(&data, &size, &cfg))
		return 0;
	chan_cf.mqtt.qos = cfg & 1;
	chan_cf.mqtt.version = cfg & 2 ? MQTT_PROTOCOL_V311 : MQTT_PROTOCOL_V5;
	/* Queue at its least, 16, to fill it */
	chan_cf.queue = 16 + ((cfg >> 2) & 7) * 8;
	memset(&m, 0, sizeof(m));
	m.epoch = 1;
	fz_now = 1700000000000ull;
	chan_path(&chan_cf, path, sizeof(path), "state");
	unlink(path);
	fz_rx_start();
	mqtt_rx_proto.epoch(0, m.epoch, 1);
	while (fuzz_take(&data, &size, &op)) {
		unsigned hi = op >> 4, t = hi % NTOPICS;
		uint32_t ver;
		struct fz_rec r;

		switch (op & 15) {
		case 0:		/* the OT broker takes a retained message */
			if ((ver = fz_new_ver(t, false, false, (uint8_t)hi)))
				fz_tx_put(t, ver);
			break;
		case 1:		/* it deletes a topic */
			if (m.tx[t].ver && !m.v[m.tx[t].ver].tomb &&
			    (ver = fz_new_ver(t, false, true, 0)))
				fz_tx_put(t, ver);
			break;
		case 2:		/* an event, numbered */
			if ((ver = fz_new_ver(t, true, false, (uint8_t)hi))) {
				fz_encode(&r, ver, 0, hi & 8 ? 1500 : 0, m.v[ver].expiry_s);
				r.seq = ++m.seq;
				fz_send(&r);
			}
			break;
		case 3:		/* the carousel: a topic, or all of them */
			if (hi & 8)
				for (t = 0; t < NTOPICS; t++)
					fz_send_entry(t);
			else
				fz_send_entry(t);
			break;
		case 4:		/* the link delivers one, or a copy of it */
			if (fuzz_take(&data, &size, &arg) && m.nlink)
				fz_link_deliver(arg % m.nlink, hi & 1);
			break;
		case 5:		/* all, in order or backwards */
			while (m.nlink)
				fz_link_deliver(hi & 1 ? m.nlink - 1 : 0, false);
			break;
		case 6:		/* the link loses one */
			if (fuzz_take(&data, &size, &arg) && m.nlink)
				fz_link_drop(arg % m.nlink);
			break;
		case 7: {	/* time passes */
			static const uint64_t far[8] = {
				1000, 2500, 4000, 10000, 31000, 300000, 7200000, 90000000,
			};

			fz_advance(hi & 8 ? far[hi & 7] : (hi + 1) * 61);
			break;
		}
		case 8:
			fz_tick();
			break;
		case 9:
			mqtt_rx_proto.rx_commit();
			break;
		case 10:
			fz_rx_restart();
			break;
		case 11:	/* the broker connection goes, or comes */
			if (hi & 1)
				fz_disconnect();
			else
				fz_connect();
			break;
		case 12:	/* the broker restarts, with its store or without */
			fz_disconnect();
			if (!(hi & 1)) {
				m.session = false;
				memset(m.store, 0, sizeof(m.store));
			}
			break;
		case 13:	/* the broker is busy, or refuses a few */
			if (hi & 8)
				m.refuse = hi & 7;
			else
				m.busy = hi & 1;
			break;
		case 14:	/* the tx restarts, or the transport tells the epoch again */
			if (hi & 2)
				mqtt_rx_proto.epoch(m.epoch, m.epoch, 1);
			else
				fz_tx_restart(hi & 1);
			break;
		case 15:	/* a record of any bytes, or a valid one corrupted */
			if (!fuzz_take(&data, &size, &arg))
				break;
			if (hi & 1) {
				if ((ver = fz_new_ver(t, hi & 2, false, arg))) {
					fz_encode(&r, ver, hi & 2 ? 0 : 1, 0, 0);
					m.nv--;
					if (arg % (r.len + 1) == r.len)
						r.len /= 2;
					else
						r.b[arg % r.len] ^= (uint8_t)(1u << (hi >> 1 & 7));
					fz_deliver_bad(hi & 4 ? ++m.seq : 0, r.b, r.len);
				}
			} else {
				size_t len = arg < size ? arg : size;

				memcpy(scratch, data, len);
				data += len;
				size -= len;
				fz_deliver_bad(hi & 2 ? ++m.seq : 0, scratch, (uint32_t)len);
			}
			break;
		}
		fz_rx_check();
	}
	fz_converge();
	mqtt_rx_proto.stop();
	return 0;
}
