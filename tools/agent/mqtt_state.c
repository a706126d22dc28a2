// SPDX-License-Identifier: GPL-2.0
/*
 * The retained state of an MQTT channel, its carousel and its file
 * (docs/mqtt.md). The entries are an array in the carousel's order with
 * a hash index beside it; the index is keyed with a random key, since
 * topics come from the OT side's publishers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "be.h"
#include "mqtt_state.h"

#define FILE_MAGIC	"DAMQ"
#define FILE_VERSION	1
#define FILE_HDR	32
#define FILE_ENTRY	20
#define FILE_SUM	crypto_generichash_BYTES

_Static_assert(sizeof(((struct mqtt_state *)0)->key) == crypto_shorthash_KEYBYTES,
	       "the index's key is SipHash's");

int mqtt_state_init(struct mqtt_state *s, size_t max_topics, uint64_t max_bytes)
{
	memset(s, 0, sizeof(*s));
	if (sodium_init() < 0 || !max_topics || max_topics > UINT32_MAX / 4)
		return -1;
	randombytes_buf(s->key, sizeof(s->key));
	s->max_topics = max_topics;
	s->max_bytes = max_bytes;
	return 0;
}

static void clear(struct mqtt_state *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->e[i].rec);
	free(s->e);
	free(s->slots);
	s->e = NULL;
	s->slots = NULL;
	s->n = s->cap = s->nslots = 0;
	s->bytes = s->last_stamp = s->epoch = 0;
	s->car.cursor = 0;
}

void mqtt_state_free(struct mqtt_state *s)
{
	clear(s);
}

static uint64_t hash(const struct mqtt_state *s, const void *topic, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];

	crypto_shorthash(h, topic, len, s->key);
	return be_get64(h);
}

static const char *topic_of(const struct mqtt_state_entry *e)
{
	return (const char *)e->rec + MQTT_MSG_HDR;
}

/* The slot holding entry i + 1, or the empty one where it would go. */
static size_t probe(const struct mqtt_state *s, uint64_t h, const char *topic,
		    size_t len)
{
	size_t mask = s->nslots - 1, k = h & mask;
	const struct mqtt_state_entry *e;

	for (; s->slots[k]; k = (k + 1) & mask) {
		e = &s->e[s->slots[k] - 1];
		if (e->hash == h && e->topic_len == len &&
		    !memcmp(topic_of(e), topic, len))
			break;
	}
	return k;
}

static size_t slot_of(const struct mqtt_state *s, size_t i)
{
	const struct mqtt_state_entry *e = &s->e[i];

	return probe(s, e->hash, topic_of(e), e->topic_len);
}

struct mqtt_state_entry *mqtt_state_find(struct mqtt_state *s, const char *topic,
					 size_t len)
{
	size_t k;

	if (!s->n)
		return NULL;
	k = probe(s, hash(s, topic, len), topic, len);
	return s->slots[k] ? &s->e[s->slots[k] - 1] : NULL;
}

/* Room for one more entry, the index at most half full. */
static int grow(struct mqtt_state *s)
{
	struct mqtt_state_entry *e;
	uint32_t *slots;
	size_t n, i, k, mask;

	if (s->n == s->cap) {
		n = s->cap ? s->cap * 2 : 64;
		e = realloc(s->e, n * sizeof(*e));
		if (!e)
			return -MQTT_STATE_E_NOMEM;
		s->e = e;
		s->cap = n;
	}
	if (2 * (s->n + 1) <= s->nslots)
		return 0;
	n = s->nslots ? s->nslots * 2 : 128;
	slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -MQTT_STATE_E_NOMEM;
	mask = n - 1;
	for (i = 0; i < s->n; i++) {
		for (k = s->e[i].hash & mask; slots[k]; k = (k + 1) & mask)
			;
		slots[k] = (uint32_t)i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->nslots = n;
	return 0;
}

/* Empty slot k, moving back what a linear probe would no longer find. */
static void unslot(struct mqtt_state *s, size_t k)
{
	size_t mask = s->nslots - 1, j = k, home;

	s->slots[k] = 0;
	for (;;) {
		j = (j + 1) & mask;
		if (!s->slots[j])
			return;
		home = s->e[s->slots[j] - 1].hash & mask;
		/* j's entry may fill k if its home is not in (k, j] */
		if (((j - home) & mask) >= ((j - k) & mask)) {
			s->slots[k] = s->slots[j];
			s->slots[j] = 0;
			k = j;
		}
	}
}

static void move(struct mqtt_state *s, size_t from, size_t to)
{
	size_t k = slot_of(s, from);

	s->e[to] = s->e[from];
	s->slots[k] = (uint32_t)to + 1;
}

/*
 * Out of the array without changing which entries the carousel has sent
 * in this pass: those stay before its cursor, the others after it.
 */
void mqtt_state_remove(struct mqtt_state *s, struct mqtt_state_entry *e)
{
	size_t i = (size_t)(e - s->e), *c = &s->car.cursor;

	s->bytes -= e->len;
	unslot(s, slot_of(s, i));
	free(e->rec);
	if (i < *c) {
		if (i != *c - 1)
			move(s, *c - 1, i);
		if (*c - 1 != s->n - 1)
			move(s, s->n - 1, *c - 1);
		(*c)--;
	} else if (i != s->n - 1) {
		move(s, s->n - 1, i);
	}
	s->n--;
}

/*
 * A message published again with another expiry interval expires at
 * another time than the copy held: a change, so that the IT side's copy
 * expires with the OT side's. The same message sent again by the broker
 * has less of its interval left and expires when the held copy does, but
 * for the broker's rounding: it counts the interval in whole seconds
 * when it takes the message and when it sends it, a second each.
 */
static bool moves_expiry(const struct mqtt_state_entry *e,
			 const struct mqtt_msg *m, uint64_t now_ms)
{
	int64_t held = (int64_t)(e->since_ms + (uint64_t)e->expiry_s * 1000) -
		       (int64_t)mqtt_state_age_ms(e, e->since_ms);
	int64_t new = (int64_t)(now_ms + (uint64_t)m->expiry_s * 1000) -
		      (int64_t)(m->age_ms < MQTT_STATE_AGE_MAX ? m->age_ms :
				MQTT_STATE_AGE_MAX);

	return m->expiry_s && (new - held > 2000 || held - new > 2000);
}

int mqtt_state_put(struct mqtt_state *s, const uint8_t *rec, size_t len,
		   bool stamp, uint64_t now_ms, struct mqtt_state_entry **out)
{
	struct mqtt_state_entry *e;
	struct mqtt_msg m;
	uint8_t *copy;
	uint64_t h;
	size_t k;
	int err;

	*out = NULL;
	if (mqtt_msg_decode(rec, len, &m) || !m.retain)
		return -MQTT_STATE_E_RECORD;
	h = hash(s, m.topic, m.topic_len);
	e = NULL;
	if (s->n) {
		k = probe(s, h, m.topic, m.topic_len);
		if (s->slots[k])
			e = &s->e[s->slots[k] - 1];
	}
	if (e && !stamp && m.stamp < e->stamp)
		return MQTT_STATE_STALE;
	if (e && mqtt_msg_same(e->rec, e->len, rec, len) &&
	    !moves_expiry(e, &m, now_ms)) {
		if (!stamp) {
			e->stamp = m.stamp;
			mqtt_msg_set_stamp(e->rec, m.stamp);
			/* the file refuses an entry stamped above the last */
			if (m.stamp > s->last_stamp)
				s->last_stamp = m.stamp;
		}
		e->heard_ms = now_ms;
		*out = e;
		return MQTT_STATE_SAME;
	}
	if (s->bytes - (e ? e->len : 0) + len > s->max_bytes ||
	    (!e && s->n >= s->max_topics))
		return -MQTT_STATE_E_FULL;
	copy = malloc(len);
	if (!copy)
		return -MQTT_STATE_E_NOMEM;
	if (!e) {
		err = grow(s);
		if (err) {
			free(copy);
			return err;
		}
		k = probe(s, h, m.topic, m.topic_len);
		e = &s->e[s->n];
		s->slots[k] = (uint32_t)++s->n;
	} else {
		s->bytes -= e->len;
		free(e->rec);
	}
	memcpy(copy, rec, len);
	e->rec = copy;
	e->len = (uint32_t)len;
	e->topic_len = (uint16_t)m.topic_len;
	e->tombstone = m.kind == MQTT_MSG_TOMBSTONE;
	e->expiry_s = m.expiry_s;
	e->stamp = stamp ? ++s->last_stamp : m.stamp;
	mqtt_msg_set_stamp(e->rec, e->stamp);
	e->since_ms = e->heard_ms = now_ms;
	e->hash = h;
	e->unsent = false;
	s->bytes += len;
	if (e->stamp > s->last_stamp)
		s->last_stamp = e->stamp;
	*out = e;
	return MQTT_STATE_CHANGED;
}

uint64_t mqtt_state_age_ms(const struct mqtt_state_entry *e, uint64_t now_ms)
{
	uint64_t age = be_get64(e->rec + MQTT_MSG_OFF_AGE);

	if (age >= MQTT_STATE_AGE_MAX)
		return MQTT_STATE_AGE_MAX;
	if (now_ms > e->since_ms)
		age += now_ms - e->since_ms < MQTT_STATE_AGE_MAX ?
		       now_ms - e->since_ms : MQTT_STATE_AGE_MAX;
	return age < MQTT_STATE_AGE_MAX ? age : MQTT_STATE_AGE_MAX;
}

size_t mqtt_state_expire(struct mqtt_state *s, uint64_t now_ms,
			 uint64_t tombstone_ms)
{
	struct mqtt_state_entry *e;
	size_t i, gone = 0;

	/* downwards: what a removal moves comes from above, already seen */
	for (i = s->n; i-- > 0;) {
		e = &s->e[i];
		if (e->tombstone ? now_ms >= e->since_ms &&
				   now_ms - e->since_ms >= tombstone_ms :
				   e->expiry_s &&
				   mqtt_state_age_ms(e, now_ms) / 1000 >= e->expiry_s) {
			mqtt_state_remove(s, e);
			gone++;
		}
	}
	return gone;
}

void mqtt_state_rebase(struct mqtt_state *s, uint64_t epoch)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		s->e[i].stamp = 0;
		mqtt_msg_set_stamp(s->e[i].rec, 0);
	}
	s->last_stamp = 0;
	s->epoch = epoch;
}

uint64_t mqtt_state_oldest_heard(const struct mqtt_state *s)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->e[i].tombstone && (!t || s->e[i].heard_ms < t))
			t = s->e[i].heard_ms;
	return t;
}

void mqtt_state_carousel_set(struct mqtt_state *s, uint32_t period_ms,
			     uint64_t max_bytes_s, uint32_t overhead)
{
	s->car.period_ms = period_ms;
	s->car.max_bytes_s = max_bytes_s;
	s->car.overhead = overhead;
}

struct mqtt_state_entry *mqtt_state_carousel_next(struct mqtt_state *s,
						  uint64_t now_ms)
{
	struct mqtt_carousel *c = &s->car;
	struct mqtt_state_entry *e;
	uint64_t rate, total;

	if (!c->period_ms || !s->n) {
		c->credit.running = false;
		return NULL;
	}
	/* rounded up: a pass never takes longer than the period */
	total = s->bytes + (uint64_t)s->n * c->overhead;
	rate = (total * 1000 + c->period_ms - 1) / c->period_ms;
	if (c->max_bytes_s && rate > c->max_bytes_s)
		rate = c->max_bytes_s;
	if (c->cursor >= s->n)
		c->cursor = 0;
	e = &s->e[c->cursor];
	if (!bg_credit_take(&c->credit, rate, e->len + c->overhead, now_ms))
		return NULL;
	if (!c->cursor) {
		if (c->passes)
			c->last_pass_ms = now_ms - c->pass_start_ms;
		c->pass_start_ms = now_ms;
		c->passes++;
	}
	c->cursor++;
	c->sent++;
	c->sent_bytes += e->len;
	return e;
}

static int say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int mqtt_state_load_buf(struct mqtt_state *s, const uint8_t *buf, size_t len,
			char *err, size_t errlen)
{
	uint8_t sum[FILE_SUM];
	struct mqtt_state_entry *e;
	struct mqtt_msg m;
	const uint8_t *p, *end;
	uint64_t last_stamp, since, heard;
	uint32_t count, i, rlen;
	int rc;

	clear(s);
	if (len < FILE_HDR + FILE_SUM)
		return say(err, errlen, "%zu bytes: too short for a state file", len);
	if (memcmp(buf, FILE_MAGIC, 4))
		return say(err, errlen, "not a state file (magic)");
	if (be_get32(buf + 4) != FILE_VERSION)
		return say(err, errlen, "version %u, not %u", be_get32(buf + 4),
			   FILE_VERSION);
	crypto_generichash(sum, sizeof(sum), buf, len - FILE_SUM, NULL, 0);
	if (sodium_memcmp(sum, buf + len - FILE_SUM, FILE_SUM))
		return say(err, errlen, "checksum does not match: damaged");
	last_stamp = be_get64(buf + 16);
	count = be_get32(buf + 24);
	if (be_get32(buf + 28))
		return say(err, errlen, "reserved field not 0");
	if (count > s->max_topics)
		return say(err, errlen, "%u topics, more than %zu", count,
			   s->max_topics);
	p = buf + FILE_HDR;
	end = buf + len - FILE_SUM;
	for (i = 0; i < count; i++) {
		if (end - p < FILE_ENTRY) {
			rc = say(err, errlen, "entry %u: cut short", i);
			goto fail;
		}
		since = be_get64(p);
		heard = be_get64(p + 8);
		rlen = be_get32(p + 16);
		p += FILE_ENTRY;
		if (since >= MQTT_STATE_TIME_MAX || heard >= MQTT_STATE_TIME_MAX) {
			rc = say(err, errlen, "entry %u: a time out of range", i);
			goto fail;
		}
		if ((size_t)(end - p) < rlen) {
			rc = say(err, errlen, "entry %u: record of %u bytes cut short",
				 i, rlen);
			goto fail;
		}
		rc = mqtt_msg_decode(p, rlen, &m);
		if (rc || !m.retain) {
			rc = say(err, errlen, "entry %u: %s", i, rc ?
				 mqtt_msg_strerror(rc) : "not retained");
			goto fail;
		}
		if (m.stamp > last_stamp) {
			rc = say(err, errlen, "entry %u: stamp above the last", i);
			goto fail;
		}
		if (mqtt_state_find(s, m.topic, m.topic_len)) {
			rc = say(err, errlen, "entry %u: topic twice", i);
			goto fail;
		}
		rc = mqtt_state_put(s, p, rlen, false, heard, &e);
		if (rc != MQTT_STATE_CHANGED) {
			rc = say(err, errlen, "entry %u: %s", i,
				 rc == -MQTT_STATE_E_FULL ? "more bytes than the limit" :
				 "out of memory");
			goto fail;
		}
		e->since_ms = since;
		p += rlen;
	}
	if (p != end) {
		rc = say(err, errlen, "%zu bytes after the last entry",
			 (size_t)(end - p));
		goto fail;
	}
	s->epoch = be_get64(buf + 8);
	s->last_stamp = last_stamp;
	return 0;
fail:
	clear(s);
	return rc;
}

int mqtt_state_load(struct mqtt_state *s, const char *path, char *err,
		    size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	size_t off = 0;
	ssize_t r;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return say(err, errlen, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return say(err, errlen, "%s: not a regular file", path);
	}
	/* the records, an entry header each, the file's header and sum */
	if ((uint64_t)st.st_size > s->max_bytes + (uint64_t)s->max_topics *
	    FILE_ENTRY + FILE_HDR + FILE_SUM) {
		close(fd);
		return say(err, errlen, "%s: %lld bytes, more than the limits allow",
			   path, (long long)st.st_size);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return say(err, errlen, "%s: out of memory", path);
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	if (off != (size_t)st.st_size) {
		free(buf);
		return say(err, errlen, "%s: read %zu of %lld bytes", path, off,
			   (long long)st.st_size);
	}
	rc = mqtt_state_load_buf(s, buf, off, err, errlen);
	free(buf);
	if (rc) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		say(err, errlen, "%s: %s", path, why);
	}
	return rc;
}

/* Written through stdio and hashed on the way. */
struct wr {
	FILE *f;
	crypto_generichash_state h;
};

static void wr(struct wr *w, const void *d, size_t n)
{
	crypto_generichash_update(&w->h, d, n);
	fwrite(d, 1, n, w->f);
}

int mqtt_state_save(const struct mqtt_state *s, const char *path, char *err,
		    size_t errlen)
{
	uint8_t hdr[FILE_HDR] = FILE_MAGIC, eh[FILE_ENTRY], sum[FILE_SUM];
	char tmp[4096], dir[4096];
	struct wr w;
	size_t i;
	int fd, bad;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return say(err, errlen, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return say(err, errlen, "%s: %s", tmp, strerror(errno));
	w.f = fdopen(fd, "w");
	if (!w.f) {
		close(fd);
		unlink(tmp);
		return say(err, errlen, "%s: %s", tmp, strerror(errno));
	}
	crypto_generichash_init(&w.h, NULL, 0, FILE_SUM);
	be_put32(hdr + 4, FILE_VERSION);
	be_put64(hdr + 8, s->epoch);
	be_put64(hdr + 16, s->last_stamp);
	be_put32(hdr + 24, (uint32_t)s->n);
	wr(&w, hdr, sizeof(hdr));
	for (i = 0; i < s->n; i++) {
		be_put64(eh, s->e[i].since_ms);
		be_put64(eh + 8, s->e[i].heard_ms);
		be_put32(eh + 16, s->e[i].len);
		wr(&w, eh, sizeof(eh));
		wr(&w, s->e[i].rec, s->e[i].len);
	}
	crypto_generichash_final(&w.h, sum, sizeof(sum));
	fwrite(sum, 1, sizeof(sum), w.f);
	bad = fflush(w.f) || ferror(w.f) || fsync(fd);
	if (fclose(w.f) || bad) {
		say(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		say(err, errlen, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* the rename itself on disk */
	snprintf(dir, sizeof(dir), "%s", path);
	fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}
