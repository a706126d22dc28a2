/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A map of 64-bit keys to 32-bit values (an index into the caller's
 * array), open addressing with linear probing: what lets the files
 * channel find a name among a hundred thousand in constant time. A key
 * may be given more than one value (two names with one hash): hmap_next
 * walks them all, and the caller checks which is its own.
 */
#ifndef DIODE_AGENT_HMAP_H
#define DIODE_AGENT_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_slot {
	uint64_t key;
	uint32_t val;
	uint32_t used;
};

struct hmap {
	struct hmap_slot *s;
	size_t cap, n;			/* cap a power of two, n below cap / 2 */
};

/* Out of memory aborts (chan_die) in the agents; -1 here. */
int hmap_put(struct hmap *m, uint64_t key, uint32_t val);
/* The first value of key after *pos (start with *pos = 0): 1, or 0 when
 * there is none left. */
int hmap_next(const struct hmap *m, uint64_t key, size_t *pos, uint32_t *val);
/* Removes key's value val; 0, or -1 when it was not there. */
int hmap_del(struct hmap *m, uint64_t key, uint32_t val);
/* key's value old becomes new (the item moved in the caller's array). */
int hmap_move(struct hmap *m, uint64_t key, uint32_t old, uint32_t new);
void hmap_clear(struct hmap *m);
void hmap_free(struct hmap *m);
/* FNV-1a of a string of n bytes: the key of a name. */
uint64_t hmap_hash(const void *p, size_t n);

#endif
