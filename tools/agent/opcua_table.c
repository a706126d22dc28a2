// SPDX-License-Identifier: GPL-2.0
/* The rx's table of the OPC UA channel (opcua_table.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "opcua_msg.h"
#include "opcua_table.h"

#define MAGIC		"DAOU"
#define VERSION		1
#define HDR		12
#define SUM		crypto_generichash_BYTES

/* A key: its table's number and its NodeId's bytes. */
static uint64_t key_hash(enum opcua_msg_table tb, const uint8_t *k, size_t klen)
{
	uint64_t h = 14695981039346656037ull ^ tb;
	size_t i;

	for (i = 0; i < klen; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

static size_t *slot_of_key(struct opcua_table *t, enum opcua_msg_table tb, const uint8_t *k,
			   size_t klen)
{
	size_t i = key_hash(tb, k, klen) & (t->nslots - 1);
	const uint8_t *hk;
	size_t hlen;

	/* the namespace table's and the model's keys are empty, and NULL */
	while (t->slots[i] && !(opcua_msg_key(t->e[t->slots[i] - 1].rec, &hk, &hlen) == tb &&
				hlen == klen && (!klen || !memcmp(hk, k, klen))))
		i = (i + 1) & (t->nslots - 1);
	return &t->slots[i];
}

static size_t *slot_of(struct opcua_table *t, const uint8_t *rec)
{
	const uint8_t *k;
	size_t klen;
	enum opcua_msg_table tb = opcua_msg_key(rec, &k, &klen);

	return slot_of_key(t, tb, k, klen);
}

/* Room for one more key, the index at most half full. */
static int grow(struct opcua_table *t)
{
	size_t i;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct opcua_entry *e = realloc(t->e, cap * sizeof(*e));

		if (!e)
			return -1;
		t->e = e;
		t->cap = cap;
	}
	if ((t->n + 1) * 2 > t->nslots) {
		size_t *old = t->slots, nold = t->nslots;

		t->nslots = nold ? nold * 2 : 2048;
		t->slots = calloc(t->nslots, sizeof(*t->slots));
		if (!t->slots) {
			t->slots = old;
			t->nslots = nold;
			return -1;
		}
		free(old);
		for (i = 0; i < t->n; i++)
			*slot_of(t, t->e[i].rec) = i + 1;
	}
	return 0;
}

enum opcua_table_put_rc opcua_table_put(struct opcua_table *t, const uint8_t *rec, size_t len)
{
	struct opcua_entry *e;
	uint64_t stamp = opcua_msg_stamp(rec);
	uint8_t *copy;
	size_t *s;

	if (grow(t))
		return OPCUA_TABLE_NOMEM;
	s = slot_of(t, rec);
	e = *s ? &t->e[*s - 1] : NULL;
	if (e && opcua_msg_table_id(e->rec) == opcua_msg_table_id(rec) &&
	    stamp < opcua_msg_stamp(e->rec))
		return OPCUA_TABLE_OLDER;
	if (e && opcua_msg_same(e->rec, e->len, rec, len)) {
		/* the same content sent again (a value subscribed again): a
		 * copy queued before it is older than it */
		if (stamp != opcua_msg_stamp(e->rec)) {
			opcua_msg_set_stamp(e->rec, stamp);
			t->dirty = true;
		}
		e->heard = t->pass;
		return e->applied == t->gen ? OPCUA_TABLE_COPY : OPCUA_TABLE_APPLY;
	}
	copy = malloc(len);
	if (!copy)
		return OPCUA_TABLE_NOMEM;
	memcpy(copy, rec, len);
	if (!e) {
		e = &t->e[t->n];
		*s = ++t->n;
	} else {
		t->bytes -= e->len;
		free(e->rec);
	}
	e->rec = copy;
	e->len = (uint32_t)len;
	e->applied = 0;
	e->heard = t->pass;
	t->bytes += len;
	t->dirty = true;
	return OPCUA_TABLE_APPLY;
}

bool opcua_table_pass(struct opcua_table *t, uint32_t table, uint64_t pass)
{
	bool whole = t->pass && table == t->sum_table && pass == t->sum_pass + 1;

	if (whole) {
		memmove(t->whole, t->whole + 1, sizeof(t->whole) - sizeof(t->whole[0]));
		t->whole[OPCUA_TABLE_SWEEP_PASSES - 1] = t->pass;
	}
	t->sum_table = table;
	t->sum_pass = pass;
	t->pass++;
	return whole && t->whole[0];
}

/* The kinds the carousel sends every pass, keyed by a NodeId. */
static bool sweepable(const uint8_t *rec)
{
	const uint8_t *k;
	size_t klen;
	enum opcua_msg_table tb = opcua_msg_key(rec, &k, &klen);

	return tb == OPCUA_MSG_T_NODES || tb == OPCUA_MSG_T_VALUES;
}

size_t opcua_table_sweep(struct opcua_table *t,
			 void (*gone)(void *ctx, const uint8_t *rec, uint32_t len), void *ctx)
{
	size_t i, kept = 0, n0 = t->n;

	/* heard before the oldest of the last whole passes began: missed
	 * that one, the ones after it, and any partial pass between */
	if (!t->whole[0])
		return 0;
	for (i = 0; i < t->n; i++) {
		struct opcua_entry *e = &t->e[i];

		if (sweepable(e->rec) && e->heard < t->whole[0]) {
			if (gone)
				gone(ctx, e->rec, e->len);
			t->bytes -= e->len;
			free(e->rec);
			continue;
		}
		t->e[kept++] = *e;
	}
	t->n = kept;
	if (kept == n0)
		return 0;
	t->dirty = true;
	/* the index made again: a sweep is once a pass, and rare to remove */
	memset(t->slots, 0, t->nslots * sizeof(*t->slots));
	for (i = 0; i < t->n; i++)
		*slot_of(t, t->e[i].rec) = i + 1;
	return n0 - kept;
}

void opcua_table_applied(struct opcua_table *t, const uint8_t *rec)
{
	size_t *s;

	if (!t->nslots)
		return;
	s = slot_of(t, rec);
	if (*s)
		t->e[*s - 1].applied = t->gen;
}

void opcua_table_value_unapplied(struct opcua_table *t, const uint8_t *rec)
{
	const uint8_t *k;
	size_t klen, *s;

	if (!t->nslots)
		return;
	opcua_msg_key(rec, &k, &klen);
	s = slot_of_key(t, OPCUA_MSG_T_VALUES, k, klen);
	if (*s)
		t->e[*s - 1].applied = 0;
}

struct opcua_entry *opcua_table_find(struct opcua_table *t, enum opcua_msg_table tb,
				     const uint8_t *key, size_t klen)
{
	size_t *s;

	if (!t->nslots)
		return NULL;
	s = slot_of_key(t, tb, key, klen);
	return *s ? &t->e[*s - 1] : NULL;
}

void opcua_table_init(struct opcua_table *t)
{
	memset(t, 0, sizeof(*t));
	t->gen = 1;
}

void opcua_table_next_gen(struct opcua_table *t)
{
	t->gen++;
}

void opcua_table_free(struct opcua_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].rec);
	free(t->e);
	free(t->slots);
	opcua_table_init(t);
}

int opcua_table_save(const struct opcua_table *t, uint8_t **out, size_t *len)
{
	size_t i, off = HDR;
	uint8_t *b;

	*len = HDR + 4 * t->n + t->bytes + SUM;
	b = malloc(*len);
	if (!b)
		return -1;
	memcpy(b, MAGIC, 4);
	be_put32(b + 4, VERSION);
	be_put32(b + 8, (uint32_t)t->n);
	for (i = 0; i < t->n; i++) {
		be_put32(b + off, t->e[i].len);
		memcpy(b + off + 4, t->e[i].rec, t->e[i].len);
		off += 4 + t->e[i].len;
	}
	crypto_generichash(b + off, SUM, b, off, NULL, 0);
	*out = b;
	return 0;
}

int opcua_table_load(struct opcua_table *t, const uint8_t *buf, size_t len, char *err,
		     size_t errlen)
{
	uint8_t sum[SUM];
	struct opcua_msg m;
	size_t off = HDR, i, n;
	uint32_t rlen;
	int rc;

	if (len < HDR + SUM || memcmp(buf, MAGIC, 4) || be_get32(buf + 4) != VERSION) {
		snprintf(err, errlen, "not a table of version %d", VERSION);
		return -1;
	}
	crypto_generichash(sum, SUM, buf, len - SUM, NULL, 0);
	if (memcmp(sum, buf + len - SUM, SUM)) {
		snprintf(err, errlen, "checksum does not match: damaged");
		return -1;
	}
	n = be_get32(buf + 8);
	for (i = 0; i < n; i++) {
		if (len - SUM - off < 4 || (rlen = be_get32(buf + off)) > len - SUM - off - 4) {
			snprintf(err, errlen, "record %zu: shorter than its length", i);
			goto fail;
		}
		rc = opcua_msg_decode(buf + off + 4, rlen, &m);
		if (rc) {
			snprintf(err, errlen, "record %zu: %s", i, opcua_msg_strerror(rc));
			goto fail;
		}
		opcua_msg_clear(&m);
		rc = opcua_table_put(t, buf + off + 4, rlen);
		if (rc == OPCUA_TABLE_NOMEM || t->n != i + 1) {
			snprintf(err, errlen, "record %zu: %s", i,
				 rc == OPCUA_TABLE_NOMEM ? "out of memory" : "a key twice");
			goto fail;
		}
		off += 4 + rlen;
	}
	if (off != len - SUM) {
		snprintf(err, errlen, "bytes after the last record");
		goto fail;
	}
	/* what the file holds */
	t->dirty = false;
	return 0;
fail:
	opcua_table_free(t);
	return -1;
}
