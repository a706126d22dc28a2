// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the MQTT channel's retained state (mqtt_state.c). KTAP. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "../../selftests/unit/ktap.h"
#include "mqtt_state.h"

static uint8_t rec[8192];
static char dir[64];

/* A retained record of topic t/ID: payload as given, "" for a tombstone. */
static size_t mk(int id, const char *payload, uint64_t stamp, uint32_t expiry)
{
	mosquitto_property *l = NULL;
	char topic[32];
	struct mqtt_msg m = {
		.kind = *payload ? MQTT_MSG_PUBLISH : MQTT_MSG_TOMBSTONE,
		.retain = true, .stamp = stamp, .topic = topic,
		.payload = (const uint8_t *)payload,
		.payload_len = (uint32_t)strlen(payload),
	};
	long n;

	m.topic_len = (size_t)snprintf(topic, sizeof(topic), "t/%d", id);
	if (expiry)
		mosquitto_property_add_int32(&l, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, expiry);
	n = mqtt_msg_encode(rec, sizeof(rec), &m, l);
	mosquitto_property_free_all(&l);
	if (n <= 0)
		abort();
	return (size_t)n;
}

static int id_of(const struct mqtt_state_entry *e)
{
	int id = 0, i;

	for (i = 2; i < e->topic_len; i++)
		id = id * 10 + e->rec[MQTT_MSG_HDR + i] - '0';
	return id;
}

static struct mqtt_state_entry *find(struct mqtt_state *s, int id)
{
	char topic[32];

	return mqtt_state_find(s, topic, (size_t)snprintf(topic, sizeof(topic),
							   "t/%d", id));
}

static bool test_rx_publishes_on_change(void)
{
	struct mqtt_state s;
	struct mqtt_state_entry *e;
	size_t n;

	KTAP_EXPECT(mqtt_state_init(&s, 100, 1 << 20) == 0);
	n = mk(1, "A", 5, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 1000, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e && e->stamp == 5 && e->since_ms == 1000 && !e->tombstone);
	/* the carousel's copy: same content, a later stamp and another age */
	n = mk(1, "A", 6, 0);
	mqtt_msg_set_age(rec, 777);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 2000, &e) == MQTT_STATE_SAME);
	KTAP_EXPECT(e->stamp == 6 && e->since_ms == 1000 && e->heard_ms == 2000);
	/* an older version, late: ignored */
	n = mk(1, "old", 3, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 2500, &e) == MQTT_STATE_STALE);
	KTAP_EXPECT(find(&s, 1)->len == mk(1, "A", 0, 0));
	n = mk(1, "B", 7, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 3000, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->stamp == 7 && e->since_ms == 3000);
	/* deleted, then the tombstone again */
	n = mk(1, "", 8, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 4000, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->tombstone && s.n == 1);
	n = mk(1, "", 9, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 4100, &e) == MQTT_STATE_SAME);
	/* a tombstone of a topic never seen: deleted on the IT side too */
	n = mk(2, "", 10, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 4200, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(s.n == 2 && s.last_stamp == 10);
	KTAP_EXPECT(mqtt_state_oldest_heard(&s) == 0);
	n = mk(3, "C", 11, 0);
	mqtt_state_put(&s, rec, n, false, 4300, &e);
	KTAP_EXPECT(mqtt_state_oldest_heard(&s) == 4300);
	/* events and garbage are not state */
	n = mk(1, "A", 0, 0);
	rec[2] = 0;
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, false, 5000, &e) == -MQTT_STATE_E_RECORD);
	KTAP_EXPECT(mqtt_state_put(&s, rec, 3, false, 5000, &e) == -MQTT_STATE_E_RECORD);
	KTAP_EXPECT(s.n == 3);
	mqtt_state_free(&s);
	return true;
}

static bool test_tx_stamps_changes(void)
{
	struct mqtt_state s;
	struct mqtt_state_entry *e;
	struct mqtt_msg m;
	size_t n;

	KTAP_EXPECT(mqtt_state_init(&s, 100, 1 << 20) == 0);
	n = mk(1, "A", 0, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 10, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->stamp == 1);
	/* the OT broker sends it again (a reconnection): not a change */
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 20, &e) == MQTT_STATE_SAME);
	KTAP_EXPECT(e->stamp == 1 && e->heard_ms == 20 && e->since_ms == 10);
	n = mk(2, "B", 99, 0);	/* the record's stamp is not the tx's */
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 30, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->stamp == 2);
	n = mk(1, "A2", 0, 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 40, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->stamp == 3 && s.last_stamp == 3);
	KTAP_EXPECT(mqtt_msg_decode(e->rec, e->len, &m) == 0 && m.stamp == 3);
	KTAP_EXPECT(m.payload_len == 2 && !memcmp(m.payload, "A2", 2));
	mqtt_state_free(&s);
	return true;
}

/* Random puts and removals against a plain array of what must be held. */
static bool test_index_against_model(void)
{
	enum { N = 5000 };
	static char held[N];
	struct mqtt_state s;
	struct mqtt_state_entry *e;
	unsigned seed = 5;
	uint64_t bytes;
	size_t i, count;
	int op, id;
	char p[16];

	KTAP_EXPECT(mqtt_state_init(&s, N, 1 << 30) == 0);
	memset(held, 0, sizeof(held));
	for (op = 0; op < 200000; op++) {
		id = rand_r(&seed) % N;
		if (rand_r(&seed) % 3) {
			snprintf(p, sizeof(p), "v%d", rand_r(&seed) % 4);
			held[id] = (char)(p[1] - '0' + 1);
			KTAP_EXPECT(mqtt_state_put(&s, rec, mk(id, p, 0, 0), true,
						   (uint64_t)op, &e) >= 0);
		} else if ((e = find(&s, id))) {
			KTAP_EXPECT(held[id]);
			mqtt_state_remove(&s, e);
			held[id] = 0;
		} else {
			KTAP_EXPECT(!held[id]);
		}
		if (op % 20000)
			continue;
		for (id = 0, count = 0; id < N; id++) {
			e = find(&s, id);
			KTAP_EXPECT(!e == !held[id]);
			if (e) {
				count++;
				KTAP_EXPECT(e->rec[e->len - 1] == '0' + held[id] - 1);
			}
		}
		for (i = 0, bytes = 0; i < s.n; i++)
			bytes += s.e[i].len;
		KTAP_EXPECT(count == s.n && bytes == s.bytes);
	}
	mqtt_state_free(&s);
	return true;
}

static bool test_limits_and_expiry(void)
{
	struct mqtt_state s;
	struct mqtt_state_entry *e;
	size_t n;
	int i;

	KTAP_EXPECT(mqtt_state_init(&s, 10, 1 << 20) == 0);
	for (i = 0; i < 10; i++)
		KTAP_EXPECT(mqtt_state_put(&s, rec, mk(i, "x", 0, 0), true, 0, &e) ==
			    MQTT_STATE_CHANGED);
	KTAP_EXPECT(mqtt_state_put(&s, rec, mk(10, "x", 0, 0), true, 0, &e) ==
		    -MQTT_STATE_E_FULL && s.n == 10 && !find(&s, 10));
	/* a change of a topic held is no new topic */
	KTAP_EXPECT(mqtt_state_put(&s, rec, mk(3, "y", 0, 0), true, 0, &e) ==
		    MQTT_STATE_CHANGED);
	mqtt_state_free(&s);
	KTAP_EXPECT(mqtt_state_init(&s, 10, 3 * (MQTT_MSG_HDR + 4)) == 0);
	for (i = 0; i < 3; i++)
		KTAP_EXPECT(mqtt_state_put(&s, rec, mk(i, "x", 0, 0), true, 0, &e) ==
			    MQTT_STATE_CHANGED);
	KTAP_EXPECT(mqtt_state_put(&s, rec, mk(1, "xx", 0, 0), true, 0, &e) ==
		    -MQTT_STATE_E_FULL);
	KTAP_EXPECT(s.bytes == 3 * (MQTT_MSG_HDR + 4));
	mqtt_state_free(&s);

	/* tombstones for tombstone_ms; messages until their expiry, with
	 * the age they arrived with */
	KTAP_EXPECT(mqtt_state_init(&s, 100, 1 << 20) == 0);
	mqtt_state_put(&s, rec, mk(1, "", 0, 0), true, 1000, &e);
	mqtt_state_put(&s, rec, mk(2, "forever", 0, 0), true, 1000, &e);
	mqtt_state_put(&s, rec, mk(3, "60s", 0, 60), true, 1000, &e);
	n = mk(4, "60s, 30 already", 0, 60);
	mqtt_msg_set_age(rec, 30000);
	mqtt_state_put(&s, rec, n, true, 1000, &e);
	KTAP_EXPECT(e->expiry_s == 60 && mqtt_state_age_ms(e, 1000) == 30000);
	KTAP_EXPECT(mqtt_state_age_ms(e, 2500) == 31500);
	KTAP_EXPECT(mqtt_state_expire(&s, 30999, 30000) == 0 && s.n == 4);
	KTAP_EXPECT(mqtt_state_expire(&s, 31000, 30000) == 2 && s.n == 2);
	KTAP_EXPECT(!find(&s, 1) && !find(&s, 4) && find(&s, 2) && find(&s, 3));
	KTAP_EXPECT(mqtt_state_expire(&s, 60999, 30000) == 0);
	KTAP_EXPECT(mqtt_state_expire(&s, 61000, 30000) == 1 && find(&s, 2) && s.n == 1);
	/* a 100-day interval, 60 days spent: 40 days left, to the ms */
	n = mk(5, "long", 0, 8640000);
	mqtt_msg_set_age(rec, 5184000000ull);
	mqtt_state_put(&s, rec, n, true, 1000, &e);
	KTAP_EXPECT(mqtt_state_age_ms(e, 1001) == 5184000001ull);
	KTAP_EXPECT(mqtt_state_expire(&s, 3456000999ull, 0) == 0);
	KTAP_EXPECT(mqtt_state_expire(&s, 3456001000ull, 0) == 1 && !find(&s, 5));
	/* an age beyond any interval: expired whatever the interval */
	n = mk(6, "old", 0, UINT32_MAX);
	mqtt_msg_set_age(rec, UINT64_MAX);
	mqtt_state_put(&s, rec, n, true, 1000, &e);
	KTAP_EXPECT(mqtt_state_age_ms(e, 5000) == MQTT_STATE_AGE_MAX);
	KTAP_EXPECT(mqtt_state_expire(&s, 5000, 0) == 1 && !find(&s, 6));
	mqtt_state_free(&s);
	return true;
}

/* The broker's copy of a retained message with less of its interval
 * left is no change; a publication that moves its expiry is. */
static bool test_expiry_moves(void)
{
	struct mqtt_state s, r;
	struct mqtt_state_entry *e, *c;
	size_t n;

	KTAP_EXPECT(mqtt_state_init(&s, 100, 1 << 20) == 0);
	KTAP_EXPECT(mqtt_state_init(&r, 100, 1 << 20) == 0);
	n = mk(1, "v", 0, 3600);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 10000, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(mqtt_state_put(&r, e->rec, e->len, false, 10050, &c) ==
		    MQTT_STATE_CHANGED);
	/* the tx reconnects 2.5 s later: 3598 s left, or 3597, or 3599 */
	n = mk(1, "v", 0, 3598);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 12500, &e) == MQTT_STATE_SAME);
	n = mk(1, "v", 0, 3597);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 12500, &e) == MQTT_STATE_SAME);
	n = mk(1, "v", 0, 3599);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 12500, &e) == MQTT_STATE_SAME);
	KTAP_EXPECT(e->expiry_s == 3600 && e->stamp == 1);
	/* the carousel's copy a minute on, 50 ms in transit: the same */
	memcpy(rec, e->rec, e->len);
	mqtt_msg_set_age(rec, mqtt_state_age_ms(e, 70000));
	KTAP_EXPECT(mqtt_state_put(&r, rec, e->len, false, 70050, &c) == MQTT_STATE_SAME);
	/* published again with its whole interval: 20 s more to live */
	n = mk(1, "v", 0, 3600);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 30000, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->stamp == 2);
	KTAP_EXPECT(mqtt_state_put(&r, e->rec, e->len, false, 30050, &c) ==
		    MQTT_STATE_CHANGED);
	/* or with a shorter one */
	n = mk(1, "v", 0, 60);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 31000, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->expiry_s == 60 && e->stamp == 3);
	/* again 1.5 s later: within the broker's rounding; 3 s later: not */
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 32500, &e) == MQTT_STATE_SAME);
	KTAP_EXPECT(mqtt_state_put(&s, rec, n, true, 34000, &e) == MQTT_STATE_CHANGED);
	KTAP_EXPECT(e->stamp == 4);
	mqtt_state_free(&s);
	mqtt_state_free(&r);
	return true;
}

static bool test_rebase(void)
{
	struct mqtt_state s;
	struct mqtt_state_entry *e;

	KTAP_EXPECT(mqtt_state_init(&s, 100, 1 << 20) == 0);
	mqtt_state_rebase(&s, 0xaaa);
	mqtt_state_put(&s, rec, mk(1, "A", 500, 0), false, 0, &e);
	mqtt_state_put(&s, rec, mk(2, "B", 600, 0), false, 0, &e);
	/* the tx's state was removed: its stamps begin at 1 */
	KTAP_EXPECT(mqtt_state_put(&s, rec, mk(1, "A", 1, 0), false, 0, &e) ==
		    MQTT_STATE_STALE);
	mqtt_state_rebase(&s, 0xbbb);
	KTAP_EXPECT(s.epoch == 0xbbb && s.last_stamp == 0 && find(&s, 2)->stamp == 0);
	KTAP_EXPECT(mqtt_state_put(&s, rec, mk(1, "A", 1, 0), false, 0, &e) ==
		    MQTT_STATE_SAME);
	/* a stamp taken from a copy counts, or the file would not load */
	KTAP_EXPECT(e->stamp == 1 && s.last_stamp == 1);
	KTAP_EXPECT(mqtt_state_put(&s, rec, mk(2, "B2", 2, 0), false, 0, &e) ==
		    MQTT_STATE_CHANGED);
	KTAP_EXPECT(mqtt_state_put(&s, rec, mk(2, "B", 1, 0), false, 0, &e) ==
		    MQTT_STATE_STALE);
	mqtt_state_free(&s);
	return true;
}

static size_t slurp(const char *path, uint8_t **buf)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f || fstat(fileno(f), &st))
		abort();
	*buf = malloc((size_t)st.st_size + 1);
	n = fread(*buf, 1, (size_t)st.st_size, f);
	fclose(f);
	return n;
}

static void reseal(uint8_t *b, size_t n)
{
	crypto_generichash(b + n - 32, 32, b, n - 32, NULL, 0);
}

static bool test_file(void)
{
	struct mqtt_state s, t;
	struct mqtt_state_entry *e, *f;
	char path[128], tmp[140], err[300];
	uint8_t *buf, *copy;
	size_t n, i, k;
	int id;

	snprintf(path, sizeof(path), "%s/ch.mqtt", dir);
	KTAP_EXPECT(mqtt_state_init(&s, 1000, 1 << 20) == 0);
	KTAP_EXPECT(mqtt_state_init(&t, 1000, 1 << 20) == 0);
	KTAP_EXPECT(mqtt_state_load(&t, path, err, sizeof(err)) == 1);
	for (id = 0; id < 300; id++) {
		n = mk(id, id % 7 ? "value" : "", 0, (uint32_t)(id % 3 * 100));
		mqtt_msg_set_age(rec, (uint32_t)id);
		mqtt_state_put(&s, rec, n, true, 1000 + (uint64_t)id, &e);
		e->heard_ms = 5000 + (uint64_t)id;
	}
	mqtt_state_remove(&s, find(&s, 17));
	s.epoch = 0x1234567890abcdefull;
	KTAP_EXPECT(mqtt_state_save(&s, path, err, sizeof(err)) == 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	KTAP_EXPECT(access(tmp, F_OK) != 0);
	KTAP_EXPECT(mqtt_state_load(&t, path, err, sizeof(err)) == 0);
	KTAP_EXPECT(t.n == 299 && t.bytes == s.bytes && t.epoch == s.epoch &&
		    t.last_stamp == 300);
	for (i = 0; i < s.n; i++) {
		e = &s.e[i];
		f = find(&t, id_of(e));
		KTAP_EXPECT(f && f->len == e->len && !memcmp(f->rec, e->rec, e->len));
		KTAP_EXPECT(f->stamp == e->stamp && f->since_ms == e->since_ms &&
			    f->heard_ms == e->heard_ms && f->tombstone == e->tombstone &&
			    f->expiry_s == e->expiry_s);
	}
	KTAP_EXPECT(!find(&t, 17));
	/* saved again over the old one: the new content */
	mqtt_state_put(&s, rec, mk(17, "back", 0, 0), true, 9000, &e);
	KTAP_EXPECT(mqtt_state_save(&s, path, err, sizeof(err)) == 0);
	KTAP_EXPECT(mqtt_state_load(&t, path, err, sizeof(err)) == 0 && t.n == 300 &&
		    find(&t, 17)->stamp == 301);

	/* every byte damaged, and every length cut short: refused, nothing held */
	n = slurp(path, &buf);
	copy = malloc(n + 64);
	for (i = 0; i < n; i++) {
		memcpy(copy, buf, n);
		copy[i] ^= 0x20;
		if (mqtt_state_load_buf(&t, copy, n, err, sizeof(err)) != -1 || t.n) {
			ktap_diag("byte %zu damaged: accepted", i);
			return false;
		}
	}
	KTAP_EXPECT(strstr(err, "checksum"));
	for (i = 0; i < n; i += 7)
		KTAP_EXPECT(mqtt_state_load_buf(&t, buf, i, err, sizeof(err)) == -1 && !t.n);

	/* damage with a good checksum: each refused with its reason */
#define REFUSED(what) do {						\
		reseal(copy, k);					\
		KTAP_EXPECT(mqtt_state_load_buf(&t, copy, k, err, sizeof(err)) == -1); \
		KTAP_EXPECT(!t.n && !t.bytes);				\
		if (!strstr(err, what)) {				\
			ktap_diag("'%s', not '%s'", err, what);		\
			return false;					\
		}							\
	} while (0)
	k = n;
	memcpy(copy, buf, n);
	copy[32 + 20 + 1] = 3;		/* first record's kind */
	REFUSED("entry 0: unknown kind");
	memcpy(copy, buf, n);
	copy[32 + 20 + 2] = 0;		/* not retained */
	REFUSED("entry 0: ");
	memcpy(copy, buf, n);
	copy[23] = 5;			/* last stamp below the records' */
	REFUSED("stamp above the last");
	memcpy(copy, buf, n);
	copy[26] = 0x10;		/* 4140 entries */
	REFUSED("more than 1000");
	memcpy(copy, buf, n);
	copy[27] -= 1;			/* one entry fewer than there are */
	REFUSED("bytes after the last entry");
	memcpy(copy, buf, n);
	copy[31] = 1;
	REFUSED("reserved");
	memcpy(copy, buf, n);
	copy[32] = 0x40;		/* the first entry's since_ms, 2^62 */
	REFUSED("entry 0: a time out of range");
	memcpy(copy, buf, n);
	copy[4 + 3] = 2;
	REFUSED("version 2");
	memcpy(copy, buf, n);
	copy[0] = 'X';
	REFUSED("magic");
	/* the first entry twice */
	k = n + 20 + ((size_t)buf[32 + 18] << 8 | buf[32 + 19]);
	memcpy(copy, buf, 32);
	memcpy(copy + 32, buf + 32, k - n);
	memcpy(copy + 32 + (k - n), buf + 32, n - 32);
	copy[27] += 1;
	REFUSED("topic twice");
	k = n;
	memcpy(copy, buf, n);
	copy[32 + 16] = 0x7f;		/* a record longer than the file */
	REFUSED("cut short");
	free(buf);
	free(copy);

	/* the file on disk: its name in the error; the limits of the table */
	KTAP_EXPECT(truncate(path, (off_t)n - 1) == 0);
	KTAP_EXPECT(mqtt_state_load(&t, path, err, sizeof(err)) == -1);
	KTAP_EXPECT(strstr(err, path) && strstr(err, "checksum"));
	mqtt_state_free(&t);
	KTAP_EXPECT(mqtt_state_save(&s, path, err, sizeof(err)) == 0);
	KTAP_EXPECT(mqtt_state_init(&t, 100, 1000) == 0);
	KTAP_EXPECT(mqtt_state_load(&t, path, err, sizeof(err)) == -1);
	KTAP_EXPECT(strstr(err, "limits"));
	mqtt_state_free(&t);
	mqtt_state_free(&s);
	return true;
}

/*
 * The carousel in simulated time, asked every tick ms: the send times of
 * each topic (ids below 4096).
 */
struct sends {
	uint64_t last[4096];
	uint64_t count[4096];
	uint64_t max_gap;
	uint64_t bytes;
};

static void turn(struct mqtt_state *s, struct sends *r, uint64_t from,
		 uint64_t to, uint64_t tick)
{
	struct mqtt_state_entry *e;
	uint64_t t;
	int id;

	for (t = from; t < to; t += tick)
		while ((e = mqtt_state_carousel_next(s, t))) {
			id = id_of(e);
			if (r->count[id] && t - r->last[id] > r->max_gap)
				r->max_gap = t - r->last[id];
			r->last[id] = t;
			r->count[id]++;
			r->bytes += e->len + s->car.overhead;
		}
}

static bool test_carousel_period(void)
{
	static struct sends r;
	struct mqtt_state s;
	struct mqtt_state_entry *e;
	char p[600];
	uint64_t total;
	int id;

	KTAP_EXPECT(mqtt_state_init(&s, 4096, 1 << 24) == 0);
	for (id = 0; id < 1000; id++) {
		memset(p, 'a' + id % 26, sizeof(p));
		p[50 + id % 450] = 0;
		mqtt_state_put(&s, rec, mk(id, p, 0, 0), true, 0, &e);
	}
	mqtt_state_carousel_set(&s, 10000, 0, 64);
	total = s.bytes + 64 * s.n;
	memset(&r, 0, sizeof(r));
	/* 3.5 periods: each topic three times, every 10 s at most */
	turn(&s, &r, 0, 35000, 10);
	for (id = 0; id < 1000; id++)
		if (r.count[id] != 3 && r.count[id] != 4) {
			ktap_diag("topic %d sent %llu times", id,
				  (unsigned long long)r.count[id]);
			return false;
		}
	ktap_diag("%llu passes, the last %llu ms, a topic's longest wait %llu ms",
		  (unsigned long long)s.car.passes,
		  (unsigned long long)s.car.last_pass_ms,
		  (unsigned long long)r.max_gap);
	KTAP_EXPECT(r.max_gap <= 10000 && r.max_gap >= 9900);
	KTAP_EXPECT(s.car.last_pass_ms <= 10000 && s.car.last_pass_ms >= 9900);
	/* at the rate the period needs, not more: 3.5 periods' worth */
	KTAP_EXPECT(r.bytes <= total * 35 / 10 + 1000 && r.bytes >= total * 35 / 10 - 1000);

	/* a share of half that rate: a pass takes two periods, and the
	 * bytes in any second stay within the share and one burst */
	mqtt_state_carousel_set(&s, 10000, (total * 1000 / 10000) / 2, 64);
	memset(&r, 0, sizeof(r));
	turn(&s, &r, 35000, 36000, 10);
	KTAP_EXPECT(r.bytes <= total / 20 + total / 100 + 1000);
	turn(&s, &r, 36000, 95000, 10);
	KTAP_EXPECT(s.car.last_pass_ms >= 19900 && s.car.last_pass_ms <= 20100);
	KTAP_EXPECT(r.max_gap >= 19900 && r.max_gap <= 20100);
	mqtt_state_free(&s);
	return true;
}

/* Topics removed and added while a pass is under way: every topic held
 * through a whole pass is sent in it exactly once. */
static bool test_carousel_churn(void)
{
	static uint64_t added[4096], in_pass[4096];
	struct mqtt_state s;
	struct mqtt_state_entry *e;
	uint64_t t, start = 0, pass, cur = 0;
	unsigned seed = 9;
	int id, next = 500;

	KTAP_EXPECT(mqtt_state_init(&s, 4096, 1 << 24) == 0);
	for (id = 0; id < 500; id++)
		mqtt_state_put(&s, rec, mk(id, "value", 0, 0), true, 0, &e);
	mqtt_state_carousel_set(&s, 2000, 0, 0);
	for (t = 0; t < 60000 && next < 4096; t += 10) {
		if (rand_r(&seed) % 4 == 0) {
			e = &s.e[rand_r(&seed) % s.n];
			added[id_of(e)] = UINT64_MAX;
			mqtt_state_remove(&s, e);
		}
		if (rand_r(&seed) % 4 == 0) {
			mqtt_state_put(&s, rec, mk(next, "new", 0, 0), true, t, &e);
			added[next++] = t;
		}
		while ((e = mqtt_state_carousel_next(&s, t))) {
			pass = s.car.passes;
			if (pass != cur) {
				/* cur ended: whoever was there when it began */
				for (id = 0; id < next && cur; id++)
					if (added[id] < start && in_pass[id] != cur) {
						ktap_diag("topic %d not in pass %llu", id,
							  (unsigned long long)cur);
						return false;
					}
				cur = pass;
				start = s.car.pass_start_ms;
			}
			id = id_of(e);
			if (in_pass[id] == pass) {
				ktap_diag("topic %d twice in pass %llu", id,
					  (unsigned long long)pass);
				return false;
			}
			in_pass[id] = pass;
		}
	}
	KTAP_EXPECT(s.car.passes > 20);
	mqtt_state_free(&s);
	return true;
}

static const struct ktap_test tests[] = {
	{ "rx_publishes_on_change", test_rx_publishes_on_change },
	{ "tx_stamps_changes", test_tx_stamps_changes },
	{ "index_against_model", test_index_against_model },
	{ "limits_and_expiry", test_limits_and_expiry },
	{ "expiry_moves", test_expiry_moves },
	{ "rebase", test_rebase },
	{ "file", test_file },
	{ "carousel_period", test_carousel_period },
	{ "carousel_churn", test_carousel_churn },
};

int main(void)
{
	char cmd[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/test_mqtt_state.%d", (int)getpid());
	if (mkdir(dir, 0700))
		return 1;
	rc = ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? 1 : rc;
}
