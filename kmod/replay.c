// SPDX-License-Identifier: GPL-2.0
/*
 * Anti-replay window: see replay.h for the definitions this implements.
 *
 * The bitmap is a ring of nwords = W / 64 + 1 words. Word "head" holds the
 * block of 64 counters that contains top, the words before it (modulo
 * nwords) the blocks below. The W counters of the window touch at most
 * W / 64 + 1 blocks, so every counter inside the window has its bit in the
 * ring, and the oldest word only ever holds bits below the window, which are
 * never looked at. Sliding forward by k blocks recycles the k oldest words;
 * a leap of nwords blocks or more simply clears the whole ring.
 *
 * The mapping of blocks to words is kept relative to head rather than
 * computed as block % nwords: nwords is not a power of two, and a 64-bit
 * modulo is a library call on 32-bit kernels.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/string.h>

#include "replay.h"

enum {
	REPLAY_WORD_SHIFT = 6,
	REPLAY_WORD_BITS = 1 << REPLAY_WORD_SHIFT,
	REPLAY_WORD_MASK = REPLAY_WORD_BITS - 1,
};

/*
 * Index in the ring of the word holding block, which the caller guarantees
 * to be at most nwords - 1 blocks below top's.
 */
static u32 word_of(const struct diode_replay *r, u64 block)
{
	u32 back = (u32)((r->top >> REPLAY_WORD_SHIFT) - block);

	return back <= r->head ? r->head - back : r->head + r->nwords - back;
}

static u64 bit_of(u64 counter)
{
	return 1ULL << (counter & REPLAY_WORD_MASK);
}

/*
 * Counters below the window: 0 .. floor - 1. As a count rather than as the
 * lowest counter of the window, so that it cannot go negative while top is
 * still below W.
 */
static u64 floor_of(u64 top, u32 window)
{
	return top >= window ? top - window + 1 : 0;
}

/* Unseen counters in first .. last, all inside the current window. */
static u64 count_unseen(const struct diode_replay *r, u64 first, u64 last)
{
	u64 first_block = first >> REPLAY_WORD_SHIFT;
	u64 last_block = last >> REPLAY_WORD_SHIFT;
	u64 block, unseen = 0, mask;

	for (block = first_block; block <= last_block; block++) {
		mask = ~0ULL;
		if (block == first_block)
			mask &= ~0ULL << (first & REPLAY_WORD_MASK);
		if (block == last_block)
			mask &= ~0ULL >> (REPLAY_WORD_MASK -
					  (last & REPLAY_WORD_MASK));
		unseen += hweight64(~r->bitmap[word_of(r, block)] & mask);
	}
	return unseen;
}

/* Makes counter, above top, the new top. */
static void advance(struct diode_replay *r, u64 counter)
{
	u64 old_floor = floor_of(r->top, r->window);
	u64 new_floor = floor_of(counter, r->window);
	u64 blocks, i;

	/*
	 * Before the ring moves: the counters that drop below the window are
	 * old_floor .. new_floor - 1. Those up to top were inside the window
	 * and the bitmap knows which arrived; those above top were leapt over
	 * and none did. Either part is at most W counters or O(1) to count.
	 */
	if (new_floor > old_floor) {
		u64 last = new_floor - 1;

		if (last > r->top) {
			r->lost += last - r->top;
			last = r->top;
		}
		r->lost += count_unseen(r, old_floor, last);
	}

	blocks = (counter >> REPLAY_WORD_SHIFT) - (r->top >> REPLAY_WORD_SHIFT);
	if (blocks >= r->nwords) {
		memset(r->bitmap, 0, r->nwords * sizeof(u64));
	} else {
		/* Recycled words only hold counters below the new window. */
		for (i = 0; i < blocks; i++) {
			r->head = r->head + 1 == r->nwords ? 0 : r->head + 1;
			r->bitmap[r->head] = 0;
		}
	}
	/* Read without the lock by diode_replay_above_top(). */
	WRITE_ONCE(r->top, counter);
}

int diode_replay_init(struct diode_replay *r, u32 window)
{
	if (!diode_replay_window_valid(window))
		return -EINVAL;

	r->window = window;
	r->nwords = window / REPLAY_WORD_BITS + 1;
	r->head = 0;
	r->top = 0;
	r->lost = 0;
	memset(r->bitmap, 0, r->nwords * sizeof(u64));
	/* Counter 0 is the ANNOUNCE's: never a data frame, never lost. */
	r->bitmap[0] = bit_of(0);
	return 0;
}

void diode_replay_start_at(struct diode_replay *r, u64 top)
{
	r->top = top;
	r->head = 0;
	memset(r->bitmap, 0xff, r->nwords * sizeof(u64));
	/* Counters above top in its own block are still to come. */
	r->bitmap[0] = ~0ULL >> (REPLAY_WORD_MASK - (top & REPLAY_WORD_MASK));
}

enum diode_replay_verdict diode_replay_check(const struct diode_replay *r,
					     u64 counter)
{
	if (counter > r->top)
		return DIODE_REPLAY_NEW;
	if (r->top - counter >= r->window)
		return DIODE_REPLAY_TOO_OLD;
	if (r->bitmap[word_of(r, counter >> REPLAY_WORD_SHIFT)] & bit_of(counter))
		return DIODE_REPLAY_DUPLICATE;
	return DIODE_REPLAY_NEW;
}

enum diode_replay_verdict diode_replay_update(struct diode_replay *r,
					      u64 counter)
{
	u64 *word;

	if (counter > r->top)
		advance(r, counter);
	else if (r->top - counter >= r->window)
		return DIODE_REPLAY_TOO_OLD;

	word = &r->bitmap[word_of(r, counter >> REPLAY_WORD_SHIFT)];
	if (*word & bit_of(counter))
		return DIODE_REPLAY_DUPLICATE;
	*word |= bit_of(counter);
	return DIODE_REPLAY_NEW;
}
