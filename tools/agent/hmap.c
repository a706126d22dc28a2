// SPDX-License-Identifier: GPL-2.0
/* A map of 64-bit keys to 32-bit values: see hmap.h. */
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

/* Keys are hashes already, or counters: mixed, so that either spreads. */
static size_t home(const struct hmap *m, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return key & (m->cap - 1);
}

static int grow(struct hmap *m)
{
	struct hmap old = *m;
	size_t i;

	m->cap = old.cap ? 2 * old.cap : 64;
	m->n = 0;
	m->s = calloc(m->cap, sizeof(*m->s));
	if (!m->s) {
		*m = old;
		return -1;
	}
	for (i = 0; i < old.cap; i++)
		if (old.s[i].used)
			hmap_put(m, old.s[i].key, old.s[i].val);
	free(old.s);
	return 0;
}

int hmap_put(struct hmap *m, uint64_t key, uint32_t val)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap && grow(m))
		return -1;
	for (i = home(m, key); m->s[i].used; i = (i + 1) & (m->cap - 1))
		;
	m->s[i] = (struct hmap_slot){ key, val, 1 };
	m->n++;
	return 0;
}

int hmap_next(const struct hmap *m, uint64_t key, size_t *pos, uint32_t *val)
{
	size_t i;

	if (!m->cap)
		return 0;
	/* *pos counts the slots of the run already looked at */
	for (i = (home(m, key) + *pos) & (m->cap - 1); m->s[i].used; i = (i + 1) & (m->cap - 1)) {
		++*pos;
		if (m->s[i].key == key) {
			*val = m->s[i].val;
			return 1;
		}
	}
	return 0;
}

static struct hmap_slot *find(const struct hmap *m, uint64_t key, uint32_t val)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = home(m, key); m->s[i].used; i = (i + 1) & (m->cap - 1))
		if (m->s[i].key == key && m->s[i].val == val)
			return &m->s[i];
	return NULL;
}

/* Linear probing's deletion: the slots after the hole that may move into
 * it do, so that no run is ever broken. */
int hmap_del(struct hmap *m, uint64_t key, uint32_t val)
{
	struct hmap_slot *s = find(m, key, val);
	size_t hole, i, h;

	if (!s)
		return -1;
	hole = s - m->s;
	m->s[hole].used = 0;
	m->n--;
	for (i = (hole + 1) & (m->cap - 1); m->s[i].used; i = (i + 1) & (m->cap - 1)) {
		h = home(m, m->s[i].key);
		/* i's home is cyclically in (hole, i]: it stays */
		if ((i > hole && h > hole && h <= i) || (i < hole && (h > hole || h <= i)))
			continue;
		m->s[hole] = m->s[i];
		m->s[i].used = 0;
		hole = i;
	}
	return 0;
}

int hmap_move(struct hmap *m, uint64_t key, uint32_t old, uint32_t new)
{
	struct hmap_slot *s = find(m, key, old);

	if (!s)
		return -1;
	s->val = new;
	return 0;
}

void hmap_clear(struct hmap *m)
{
	if (m->cap)
		memset(m->s, 0, m->cap * sizeof(*m->s));
	m->n = 0;
}

void hmap_free(struct hmap *m)
{
	free(m->s);
	memset(m, 0, sizeof(*m));
}

uint64_t hmap_hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}
