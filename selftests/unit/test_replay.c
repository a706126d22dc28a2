// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kmod/replay.c, the anti-replay window. The deterministic
 * tests pin the definitions of replay.h (window edges, lost counting, counter
 * 0, the top of the counter space); the random test runs long mixed
 * sequences against a brute-force model that keeps every counter it has
 * ever accepted and recounts the lost ones from scratch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"
#include "prng.h"
#include "replay.h"

#define U64_MAX_ (~0ULL)

static const u32 windows[] = { 64, 128, 192, 1024, 8192, 65536 };
#define NR_WINDOWS (sizeof(windows) / sizeof(windows[0]))

static struct diode_replay *new_replay(u32 window)
{
	size_t size = diode_replay_size(window);
	struct diode_replay *r;

	if (!size)
		abort();
	/* Garbage, not zeros: init must not rely on zeroed memory. */
	r = malloc(size);
	if (!r)
		abort();
	memset(r, 0xa5, size);
	if (diode_replay_init(r, window))
		abort();
	return r;
}

static const char *vname(enum diode_replay_verdict v)
{
	switch (v) {
	case DIODE_REPLAY_NEW:		return "NEW";
	case DIODE_REPLAY_DUPLICATE:	return "DUPLICATE";
	case DIODE_REPLAY_TOO_OLD:	return "TOO_OLD";
	}
	return "?";
}

/* Not a verdict: what upd() returns when the window misbehaved. */
#define BROKEN ((enum diode_replay_verdict)-1)

/*
 * update(), checked on the way: check() must predict its verdict and must
 * not write anything, the lockless above_top() must never pass a counter
 * that check() refuses, and a refusal must leave the window as it was.
 */
static enum diode_replay_verdict upd(struct diode_replay *r, u64 c)
{
	size_t size = diode_replay_size(r->window);
	enum diode_replay_verdict pre, v;
	void *copy = malloc(size);

	if (!copy)
		abort();
	memcpy(copy, r, size);
	pre = diode_replay_check(r, c);
	if (memcmp(copy, r, size)) {
		ktap_diag("check(%llu) wrote to the window",
			  (unsigned long long)c);
		v = BROKEN;
		goto out;
	}
	if (diode_replay_above_top(r, c) && pre != DIODE_REPLAY_NEW) {
		ktap_diag("above_top(%llu) is wrong: check said %s",
			  (unsigned long long)c, vname(pre));
		v = BROKEN;
		goto out;
	}
	v = diode_replay_update(r, c);
	if (v != pre) {
		ktap_diag("check(%llu) said %s, update said %s",
			  (unsigned long long)c, vname(pre), vname(v));
		v = BROKEN;
	} else if (v != DIODE_REPLAY_NEW && memcmp(copy, r, size)) {
		ktap_diag("update(%llu) refused but wrote",
			  (unsigned long long)c);
		v = BROKEN;
	}
out:
	free(copy);
	return v;
}

static bool test_window_validation(void)
{
	static const u32 bad[] = { 0, 1, 32, 63, 65, 96, 100, 8191, 8193, 8224,
				   65472 + 1, 65536 + 64, 131072, ~0u };
	static const u32 good[] = { 64, 128, 192, 8192, 65472, 65536 };
	u64 mem[2 + 4 + 1025];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KTAP_EXPECT(!diode_replay_window_valid(bad[i]));
		KTAP_EXPECT(diode_replay_size(bad[i]) == 0);
		memset(mem, 0x5a, sizeof(mem));
		KTAP_EXPECT(diode_replay_init((void *)mem, bad[i]) == -EINVAL);
		KTAP_EXPECT(mem[0] == 0x5a5a5a5a5a5a5a5aULL &&
			    mem[4] == 0x5a5a5a5a5a5a5a5aULL);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		KTAP_EXPECT(diode_replay_window_valid(good[i]));
		KTAP_EXPECT(diode_replay_size(good[i]) ==
			    sizeof(struct diode_replay) +
			    (good[i] / 64 + 1) * 8);
		KTAP_EXPECT(diode_replay_size(good[i]) <= sizeof(mem));
	}
	KTAP_EXPECT(diode_replay_window_valid(DIODE_REPLAY_WINDOW_DEFAULT));
	return true;
}

static bool test_fresh(void)
{
	size_t i;

	for (i = 0; i < NR_WINDOWS; i++) {
		struct diode_replay *r = new_replay(windows[i]);

		KTAP_EXPECT(diode_replay_top(r) == 0);
		KTAP_EXPECT(diode_replay_lost(r) == 0);
		/* 0 is the ANNOUNCE's: already used. */
		KTAP_EXPECT(upd(r, 0) == DIODE_REPLAY_DUPLICATE);
		KTAP_EXPECT(diode_replay_check(r, 1) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(diode_replay_check(r, U64_MAX_) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(upd(r, 1) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(upd(r, 1) == DIODE_REPLAY_DUPLICATE);
		KTAP_EXPECT(diode_replay_top(r) == 1);
		free(r);
	}
	return true;
}

static bool test_in_order(void)
{
	size_t i;
	u64 c;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];
		struct diode_replay *r = new_replay(w);
		u64 n = 3 * (u64)w + 1000;

		for (c = 1; c <= n; c++) {
			KTAP_EXPECT(diode_replay_update(r, c) ==
				    DIODE_REPLAY_NEW);
			KTAP_EXPECT(diode_replay_top(r) == c);
		}
		KTAP_EXPECT(diode_replay_lost(r) == 0);
		/* Everything is now either a duplicate or too old. */
		for (c = 0; c <= n; c++)
			KTAP_EXPECT(diode_replay_check(r, c) ==
				    (n - c < w ? DIODE_REPLAY_DUPLICATE :
						 DIODE_REPLAY_TOO_OLD));
		free(r);
	}
	return true;
}

/*
 * The edges, at every alignment of top within a word: a counter exactly
 * W - 1 behind top is judged (NEW, then DUPLICATE), exactly W behind is
 * TOO_OLD.
 */
static bool test_edges(void)
{
	size_t i;
	u64 j;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];

		for (j = 0; j < 130; j++) {
			struct diode_replay *r = new_replay(w);
			u64 top = 2 * (u64)w + j;

			KTAP_EXPECT(upd(r, top) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(upd(r, top - w) == DIODE_REPLAY_TOO_OLD);
			KTAP_EXPECT(upd(r, top - w - 1) == DIODE_REPLAY_TOO_OLD);
			KTAP_EXPECT(upd(r, top - (w - 1)) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(upd(r, top - (w - 1)) ==
				    DIODE_REPLAY_DUPLICATE);
			KTAP_EXPECT(upd(r, top - 1) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(upd(r, top) == DIODE_REPLAY_DUPLICATE);
			/*
			 * One more step: W - 1 behind becomes W behind, from
			 * DUPLICATE to TOO_OLD; it was seen, so it is not lost.
			 */
			KTAP_EXPECT(upd(r, top + 1) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(upd(r, top - (w - 1)) ==
				    DIODE_REPLAY_TOO_OLD);
			KTAP_EXPECT(upd(r, top - (w - 2)) == DIODE_REPLAY_NEW);
			/* Lost: 1 .. top + 1 - W, all but top - W + 1. */
			KTAP_EXPECT(diode_replay_lost(r) == top + 1 - w - 1);
			free(r);
		}
	}
	return true;
}

/* Before top reaches W, the window reaches down to counter 0. */
static bool test_start(void)
{
	size_t i;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];
		struct diode_replay *r = new_replay(w);

		KTAP_EXPECT(upd(r, w - 1) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(diode_replay_lost(r) == 0);
		KTAP_EXPECT(upd(r, 0) == DIODE_REPLAY_DUPLICATE);
		KTAP_EXPECT(upd(r, w) == DIODE_REPLAY_NEW);
		/* 0 has left the window, but it was seen: not lost. */
		KTAP_EXPECT(diode_replay_lost(r) == 0);
		KTAP_EXPECT(upd(r, 0) == DIODE_REPLAY_TOO_OLD);
		KTAP_EXPECT(upd(r, 1) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(upd(r, w + 1) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(diode_replay_lost(r) == 0);
		KTAP_EXPECT(upd(r, w + 2) == DIODE_REPLAY_NEW);
		/* 2 left unseen. */
		KTAP_EXPECT(diode_replay_lost(r) == 1);
		KTAP_EXPECT(upd(r, 2) == DIODE_REPLAY_TOO_OLD);
		KTAP_EXPECT(upd(r, 3) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(diode_replay_lost(r) == 1);
		free(r);
	}
	return true;
}

/*
 * A session learnt again above a mark: nothing up to the mark is new, every
 * counter above it is, and only counters above the mark can be lost.
 */
static bool test_start_at(void)
{
	static const u64 marks[] = { 0, 1, 62, 63, 64, 65, 1000, 70000 };
	size_t i, j;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];

		for (j = 0; j < sizeof(marks) / sizeof(marks[0]); j++) {
			u64 m = marks[j], c;
			struct diode_replay *r = new_replay(w);

			diode_replay_start_at(r, m);
			KTAP_EXPECT(diode_replay_top(r) == m);
			for (c = m > 200 ? m - 200 : 0; c <= m; c++)
				KTAP_EXPECT(diode_replay_check(r, c) != DIODE_REPLAY_NEW);
			/* Every counter of the block above the mark is new. */
			for (c = m + 1; c <= (m | 63) + 1; c++)
				KTAP_EXPECT(diode_replay_check(r, c) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(upd(r, m + 2) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(upd(r, m + 1) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(upd(r, m + 1) == DIODE_REPLAY_DUPLICATE);
			/* Leap by twice the window: what lay at or below the
			 * mark is not lost; m + 3 up to the new window's
			 * floor, w + 2 counters never seen, are.
			 */
			KTAP_EXPECT(upd(r, m + 4 + 2 * (u64)w) == DIODE_REPLAY_NEW);
			KTAP_EXPECT(diode_replay_lost(r) == (u64)w + 2);
			free(r);
		}
	}
	return true;
}

/* Small cases worked out by hand. */
static bool test_lost_by_hand(void)
{
	struct diode_replay *r = new_replay(64);
	u64 c;

	KTAP_EXPECT(upd(r, 10) == DIODE_REPLAY_NEW);
	KTAP_EXPECT(diode_replay_lost(r) == 0);
	/* Window 37..100: 1..36 below, of which only 10 arrived. */
	KTAP_EXPECT(upd(r, 100) == DIODE_REPLAY_NEW);
	KTAP_EXPECT(diode_replay_lost(r) == 35);
	/* Odd counters 37..99 arrive late; the even ones never do. */
	for (c = 37; c < 100; c += 2)
		KTAP_EXPECT(upd(r, c) == DIODE_REPLAY_NEW);
	KTAP_EXPECT(diode_replay_lost(r) == 35);
	/* Window 101..164: 37..100 leave, 38..98 even (31) unseen. */
	KTAP_EXPECT(upd(r, 164) == DIODE_REPLAY_NEW);
	KTAP_EXPECT(diode_replay_lost(r) == 35 + 31);
	/* A leap far beyond: 101..163 unseen, 165..999-64 leapt over. */
	KTAP_EXPECT(upd(r, 1000) == DIODE_REPLAY_NEW);
	KTAP_EXPECT(diode_replay_lost(r) == 35 + 31 + 63 + (936 - 165 + 1));
	KTAP_EXPECT(upd(r, 936) == DIODE_REPLAY_TOO_OLD);
	KTAP_EXPECT(upd(r, 937) == DIODE_REPLAY_NEW);
	free(r);
	return true;
}

/* Permutations inside the window arrive intact and nothing is lost. */
static bool test_reordered(void)
{
	struct prng p = { 7 };
	size_t i;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];
		struct diode_replay *r = new_replay(w);
		u64 *perm = malloc(w * sizeof(*perm));
		u64 base = 1, round, k;

		if (!perm)
			abort();
		for (round = 0; round < 4; round++) {
			/* Shuffle base .. base + w - 1: all within W of each other. */
			for (k = 0; k < w; k++)
				perm[k] = base + k;
			for (k = w - 1; k > 0; k--) {
				u64 j = prng_below(&p, k + 1), t = perm[k];

				perm[k] = perm[j];
				perm[j] = t;
			}
			for (k = 0; k < w; k++)
				KTAP_EXPECT(diode_replay_update(r, perm[k]) ==
					    DIODE_REPLAY_NEW);
			for (k = 0; k < w; k++)
				KTAP_EXPECT(diode_replay_update(r, perm[k]) ==
					    DIODE_REPLAY_DUPLICATE);
			base += w;
		}
		KTAP_EXPECT(diode_replay_lost(r) == 0);
		KTAP_EXPECT(diode_replay_top(r) == base - 1);
		free(perm);
		free(r);
	}
	return true;
}

/*
 * Leaps of any size cost O(W / 64), and lost stays exact: a few huge ones
 * near the top of the counter space and many of about a window. Expected:
 * lost = (T - W) - #{accepted counters in 1 .. T - W}.
 */
static bool test_big_jumps(void)
{
	enum { LEAPS = 2000 };
	static u64 accepted[LEAPS + 8];
	size_t i;
	u64 k;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];
		struct diode_replay *r = new_replay(w);
		size_t n = 0, below = 0;
		u64 c;

#define ACCEPT(x) do {							\
			KTAP_EXPECT(upd(r, (x)) == DIODE_REPLAY_NEW);	\
			accepted[n++] = (x);				\
		} while (0)
/* Accepted counters are increasing, except where noted: count those below. */
#define EXPECT_LOST() do {						\
			u64 upto = diode_replay_top(r) - w;		\
									\
			while (below < n && accepted[below] <= upto)	\
				below++;				\
			KTAP_EXPECT(diode_replay_lost(r) == upto - below); \
		} while (0)

		ACCEPT(1);
		ACCEPT(1ULL << 40);
		EXPECT_LOST();
		KTAP_EXPECT(diode_replay_lost(r) == (1ULL << 40) - w - 1);
		KTAP_EXPECT(upd(r, 1) == DIODE_REPLAY_TOO_OLD);
		KTAP_EXPECT(upd(r, (1ULL << 40) - w) == DIODE_REPLAY_TOO_OLD);
		/* Out of order: keep the list sorted by swapping it in. */
		ACCEPT((1ULL << 40) - w + 1);
		accepted[n - 1] = accepted[n - 2];
		accepted[n - 2] = (1ULL << 40) - w + 1;
		EXPECT_LOST();

		/* Leaps of W, W + 1, W + 64, 2W and W - 1, over and over. */
		c = 1ULL << 40;
		for (k = 0; k < LEAPS; k++) {
			static const u64 extra[] = { 0, 1, 64, 0, (u64)-1 };

			c += w + (k % 5 == 3 ? w : extra[k % 5]);
			ACCEPT(c);
			EXPECT_LOST();
		}

		/* To the very last counter, in one leap. */
		ACCEPT(U64_MAX_);
		EXPECT_LOST();
		KTAP_EXPECT(diode_replay_lost(r) == U64_MAX_ - w - (n - 1));
		KTAP_EXPECT(diode_replay_top(r) == U64_MAX_);
		KTAP_EXPECT(upd(r, U64_MAX_) == DIODE_REPLAY_DUPLICATE);
		KTAP_EXPECT(upd(r, U64_MAX_ - (w - 1)) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(upd(r, U64_MAX_ - w) == DIODE_REPLAY_TOO_OLD);
		KTAP_EXPECT(upd(r, 0) == DIODE_REPLAY_TOO_OLD);
		KTAP_EXPECT(upd(r, c) == DIODE_REPLAY_TOO_OLD);
		KTAP_EXPECT(diode_replay_lost(r) == U64_MAX_ - w - (n - 1));
		free(r);
#undef ACCEPT
#undef EXPECT_LOST
	}
	return true;
}

/* The last counters of the space, one by one, and a leap straight to 2^64-1. */
static bool test_top_of_space(void)
{
	size_t i;
	u64 c;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];
		struct diode_replay *r = new_replay(w);
		u64 start = U64_MAX_ - 3 * (u64)w;

		KTAP_EXPECT(upd(r, start) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(diode_replay_lost(r) == start - w);
		for (c = start + 1; c != 0; c++)	/* stops after 2^64-1 */
			KTAP_EXPECT(diode_replay_update(r, c) ==
				    DIODE_REPLAY_NEW);
		KTAP_EXPECT(diode_replay_top(r) == U64_MAX_);
		/* start - W + 1 .. start - 1 never came and have left too. */
		KTAP_EXPECT(diode_replay_lost(r) == start - 1);
		for (c = U64_MAX_ - (w - 1); c != 0; c++)
			KTAP_EXPECT(diode_replay_check(r, c) ==
				    DIODE_REPLAY_DUPLICATE);
		KTAP_EXPECT(diode_replay_check(r, U64_MAX_ - w) ==
			    DIODE_REPLAY_TOO_OLD);
		free(r);

		r = new_replay(w);
		KTAP_EXPECT(upd(r, U64_MAX_) == DIODE_REPLAY_NEW);
		/* Everything from 1 to 2^64-1-W was never seen. */
		KTAP_EXPECT(diode_replay_lost(r) == U64_MAX_ - w);
		KTAP_EXPECT(upd(r, U64_MAX_ - 1) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(upd(r, U64_MAX_ - (w - 1)) == DIODE_REPLAY_NEW);
		KTAP_EXPECT(upd(r, U64_MAX_ - w) == DIODE_REPLAY_TOO_OLD);
		KTAP_EXPECT(diode_replay_lost(r) == U64_MAX_ - w);
		free(r);
	}
	return true;
}

/*
 * The brute-force model: a plain bit per counter of a region
 * [base, base + span), counter 0 seen from the start, the rules of replay.h
 * applied literally. Lost is kept counter by counter: when top moves, every
 * counter that falls to T - W or below is looked up one at a time (those
 * outside the region, never seen, are counted without a loop); and it is
 * recounted from scratch over 1 .. T - W at checkpoints.
 */
struct model {
	u64 base, span, top, lost;
	u32 w;
	u64 *seen;
};

static bool model_seen(const struct model *m, u64 c)
{
	if (c == 0)
		return true;
	if (c < m->base || c - m->base >= m->span)
		return false;
	return m->seen[(c - m->base) / 64] >> ((c - m->base) % 64) & 1;
}

/* Unseen counters in a .. b (a <= b), one lookup per counter of the region. */
static u64 model_unseen(const struct model *m, u64 a, u64 b)
{
	u64 n = 0, lo, hi, c;

	/* 0 is the ANNOUNCE's, seen from the start. */
	if (a == 0) {
		if (b == 0)
			return 0;
		a = 1;
	}
	/* Region part, if any. */
	lo = a > m->base ? a : m->base;
	hi = m->base + (m->span - 1);
	if (b < hi)
		hi = b;
	if (lo <= hi) {
		for (c = lo;; c++) {
			n += !model_seen(m, c);
			if (c == hi)
				break;
		}
		/* Outside the region nothing was seen but 0. */
		n += (lo - a) + (b - hi);
	} else {
		n = b - a + 1;
	}
	return n;
}

static enum diode_replay_verdict model_update(struct model *m, u64 c)
{
	if (c <= m->top && m->top - c >= m->w)
		return DIODE_REPLAY_TOO_OLD;
	if (model_seen(m, c))
		return DIODE_REPLAY_DUPLICATE;
	m->seen[(c - m->base) / 64] |= 1ULL << ((c - m->base) % 64);
	if (c > m->top) {
		/* Below the window: 0 .. top - W; it grows to c - W. */
		if (c >= m->w) {
			u64 from = m->top >= m->w ? m->top - m->w + 1 : 0;

			m->lost += model_unseen(m, from, c - m->w);
		}
		m->top = c;
	}
	return DIODE_REPLAY_NEW;
}

/* From scratch: counters 1 .. top - W never seen. */
static u64 model_lost_full(const struct model *m)
{
	u64 upto, lost, c, end;

	if (m->top < m->w)
		return 0;
	upto = m->top - m->w;
	lost = upto;
	if (upto < m->base)
		return lost;
	end = upto - m->base;			/* region offsets 0 .. end */
	for (c = 0; c <= end && c < m->span; c += 64) {
		u64 word = m->seen[c / 64];

		if (end - c < 63)
			word &= ~0ULL >> (63 - (end - c));
		lost -= (u64)__builtin_popcountll(word);
	}
	return lost;
}

static u64 add_clamped(u64 a, u64 b)
{
	return a > U64_MAX_ - b ? U64_MAX_ : a + b;
}

/*
 * One random sequence: mostly in order with small gaps, plus reordering,
 * duplicates, replays of old counters, the exact edges, word boundaries,
 * leaps of about a window and counter 0. Returns the operations done, 0 on
 * failure.
 */
static u64 random_sequence(struct prng *p, u32 w, u64 base, u64 span,
			   unsigned int ops, unsigned int full_every)
{
	struct diode_replay *r = new_replay(w);
	struct model m = { .base = base, .span = span, .w = w };
	u64 history[256] = { 0 };
	unsigned int i, nhist = 0;

	m.seen = calloc(span / 64 + 1, sizeof(u64));
	if (!m.seen)
		abort();

	for (i = 0; i < ops; i++) {
		u64 cur = m.top > base ? m.top : base, c, d;
		unsigned int pick = (unsigned int)prng_below(p, 100);
		enum diode_replay_verdict want, got;

		if (pick < 50) {
			d = prng_below(p, 4) ? 1 : 1 + prng_below(p, 6);
			c = add_clamped(cur, d);
		} else if (pick < 65) {
			d = prng_below(p, (u64)w + 64);
			c = cur - (d < cur - base ? d : cur - base);
		} else if (pick < 75) {
			static const int edge[] = { -1, 0, 1, 2 };

			d = (u64)w + (u64)(s64)edge[prng_below(p, 4)];
			c = m.top >= d ? m.top - d : base;
		} else if (pick < 85) {
			c = nhist ? history[prng_below(p, nhist)] : cur;
		} else if (pick < 90) {
			c = add_clamped(cur, 1 + prng_below(p, 3 * (u64)w));
		} else if (pick < 95) {
			static const int edge[] = { -65, -64, -63, -1, 0, 1,
						    63, 64, 65 };

			d = (u64)w + (u64)(s64)edge[prng_below(p, 9)];
			c = add_clamped(cur, d);
		} else if (pick < 97) {
			c = prng_below(p, 2);	/* 0 or 1 */
		} else {
			c = add_clamped(cur | 63, prng_below(p, 3));
		}
		/* Stay inside the model's region (0 is always allowed). */
		if (c != 0 && c < base)
			c = base;
		if (c != 0 && c - base >= span)
			break;

		want = model_update(&m, c);
		got = upd(r, c);
		if (got != want) {
			ktap_diag("W %u base %llu op %u: counter %llu: got %s, want %s",
				  w, (unsigned long long)base, i,
				  (unsigned long long)c, vname(got),
				  vname(want));
			goto fail;
		}
		if (diode_replay_top(r) != m.top) {
			ktap_diag("W %u op %u: top %llu, want %llu", w, i,
				  (unsigned long long)diode_replay_top(r),
				  (unsigned long long)m.top);
			goto fail;
		}
		if (diode_replay_lost(r) != m.lost ||
		    (i % full_every == 0 && m.lost != model_lost_full(&m))) {
			ktap_diag("W %u base %llu op %u: lost %llu, model %llu, recounted %llu",
				  w, (unsigned long long)base, i,
				  (unsigned long long)diode_replay_lost(r),
				  (unsigned long long)m.lost,
				  (unsigned long long)model_lost_full(&m));
			goto fail;
		}
		if (got == DIODE_REPLAY_NEW) {
			history[nhist < 256 ? nhist : prng_below(p, 256)] = c;
			if (nhist < 256)
				nhist++;
		}
	}
	if (diode_replay_lost(r) != model_lost_full(&m)) {
		ktap_diag("W %u base %llu: final lost %llu, recounted %llu", w,
			  (unsigned long long)base,
			  (unsigned long long)diode_replay_lost(r),
			  (unsigned long long)model_lost_full(&m));
		goto fail;
	}
	free(m.seen);
	free(r);
	return i ? i : 1;
fail:
	free(m.seen);
	free(r);
	return 0;
}

static bool test_random_vs_model(void)
{
	struct prng p = { 20240601 };
	u64 total = 0, done;
	size_t i;
	int s, b;

	for (i = 0; i < NR_WINDOWS; i++) {
		u32 w = windows[i];
		unsigned int ops = w >= 65536 ? 1000 : 3000;
		int seeds = w >= 65536 ? 3 : 6;
		/* Room for the walk: on average about W / 8 per operation. */
		u64 span = (u64)ops * (8 + w / 4);

		for (s = 0; s < seeds; s++) {
			for (b = 0; b < 3; b++) {
				u64 base = b == 0 ? 0 :
					   b == 1 ? (1ULL << 40) + prng_below(&p, 1000) :
						    U64_MAX_ - span + 1;

				done = random_sequence(&p, w, base, span, ops,
						       97);
				KTAP_EXPECT(done);
				total += done;
			}
		}
	}
	ktap_diag("%llu operations checked against the model",
		  (unsigned long long)total);
	KTAP_EXPECT(total >= 100000);
	return true;
}

/* One long sequence: 100000 operations on one window. */
static bool test_long_sequence(void)
{
	struct prng p = { 99 };
	u32 w = 1024;
	u64 done = random_sequence(&p, w, 0, 100000ULL * (8 + w / 4), 100000,
				   1000);

	ktap_diag("%llu operations", (unsigned long long)done);
	KTAP_EXPECT(done == 100000);
	return true;
}

static const struct ktap_test tests[] = {
	{ "window_validation", test_window_validation },
	{ "fresh", test_fresh },
	{ "in_order", test_in_order },
	{ "window_edges", test_edges },
	{ "start_of_session", test_start },
	{ "start_above_mark", test_start_at },
	{ "lost_by_hand", test_lost_by_hand },
	{ "reordered_within_window", test_reordered },
	{ "big_jumps", test_big_jumps },
	{ "top_of_counter_space", test_top_of_space },
	{ "random_vs_model", test_random_vs_model },
	{ "long_sequence", test_long_sequence },
};

int main(void)
{
	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
