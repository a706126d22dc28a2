// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for kmod/replay.c, the anti-replay window. The input is
 * a program: a window size, then operations that each feed one counter to
 * the window (near the highest counter accepted, at the window's edges, at
 * word boundaries, far above it, at the top of the counter space, replays of
 * counters accepted before, any 64-bit value) or start a fresh window
 * (another size, maybe above a start_at mark). A reference model that keeps
 * every counter accepted since the last fresh window judges each one by the
 * definitions of replay.h, and the harness aborts when the window disagrees:
 *
 *  - check() and update() give the model's verdict; check() writes nothing;
 *    above_top() never passes a counter that check() refuses;
 *  - a counter above the highest accepted is always NEW; no counter is ever
 *    NEW twice, nor at or below a start_at mark; refusals change nothing;
 *  - top is the highest counter accepted (or the mark);
 *  - lost = #{ c : 1 <= c <= T - W, c never accepted, c above the mark }.
 *
 * Every window is allocated to its exact size, so AddressSanitizer sees any
 * access outside it. Run by "make fuzz", not "make run".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/errno.h>

#include "replay.h"
#include "fuzz_input.h"


/* Valid sizes, and a few invalid ones (never accepted by init). */
static const u32 windows[] = {
	64, 128, 192, 256, 448, 1024, 4096, 8192, 65472, 65536,
	64, 128, 0, 63, 65, 65536 + 64,
};
#define NR_WINDOWS (sizeof(windows) / sizeof(windows[0]))

enum { MAX_OPS = 4096 };

struct model {
	u32 w;
	u64 top;	/* T */
	u64 mark;	/* every counter up to it counts as seen (0: just 0) */
	u64 lost;	/* the window's, to check it never decreases */
	size_t n;	/* counters accepted since the fresh window, sorted */
	u64 accepted[MAX_OPS];
};

/* Index of the first accepted counter >= c. */
static size_t lower_bound(const struct model *m, u64 c)
{
	size_t lo = 0, hi = m->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (m->accepted[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool model_seen(const struct model *m, u64 c)
{
	size_t i;

	if (c <= m->mark)
		return true;
	i = lower_bound(m, c);
	return i < m->n && m->accepted[i] == c;
}

static enum diode_replay_verdict model_verdict(const struct model *m, u64 c)
{
	if (c > m->top)
		return DIODE_REPLAY_NEW;
	if (m->top - c >= m->w)
		return DIODE_REPLAY_TOO_OLD;
	return model_seen(m, c) ? DIODE_REPLAY_DUPLICATE : DIODE_REPLAY_NEW;
}

static void model_accept(struct model *m, u64 c)
{
	size_t i = lower_bound(m, c);

	/* Never twice, never at or below the mark. */
	if (c <= m->mark || (i < m->n && m->accepted[i] == c))
		abort();
	memmove(&m->accepted[i + 1], &m->accepted[i],
		(m->n - i) * sizeof(m->accepted[0]));
	m->accepted[i] = c;
	m->n++;
	if (c > m->top)
		m->top = c;
}

/* Counters 1 .. T - W above the mark that were never accepted. */
static u64 model_lost(const struct model *m)
{
	u64 upto;

	if (m->top < m->w)
		return 0;
	upto = m->top - m->w;
	if (upto <= m->mark)
		return 0;
	/* Every accepted counter lies above the mark. */
	return upto - m->mark - lower_bound(m, upto + 1);
}

struct state {
	struct diode_replay *r;
	size_t size;
	struct model m;
	/* One window per size, each of exactly its size, kept across inputs:
	 * a fresh allocation for every input would cost more than the rest.
	 */
	struct diode_replay *pool[NR_WINDOWS];
	u64 copy[(sizeof(struct diode_replay) + 1025 * sizeof(u64)) / sizeof(u64)];
};

/* A fresh window of windows[pick] (if valid), above @mark if not 0. */
static void fresh(struct state *s, unsigned int pick, u64 mark)
{
	u32 w = windows[pick % NR_WINDOWS];
	size_t size = diode_replay_size(w);

	if (!size) {
		/* Refused, and nothing written to the memory given. */
		u64 mem[8];

		if (diode_replay_window_valid(w))
			abort();
		memset(mem, 0x5a, sizeof(mem));
		if (diode_replay_init((void *)mem, w) != -EINVAL)
			abort();
		for (size_t i = 0; i < 8; i++)
			if (mem[i] != 0x5a5a5a5a5a5a5a5aULL)
				abort();
		if (s->r)
			return;
		pick = 0;
		w = windows[0];
		size = diode_replay_size(w);
	}
	pick %= NR_WINDOWS;
	if (!s->pool[pick]) {
		s->pool[pick] = malloc(size);
		if (!s->pool[pick])
			abort();
	}
	if (size > sizeof(s->copy))
		abort();
	s->r = s->pool[pick];
	s->size = size;
	/* Garbage, not zeros: init must not rely on zeroed memory. */
	memset(s->r, 0xa5, size);
	if (diode_replay_init(s->r, w))
		abort();
	s->m.w = w;
	s->m.top = 0;
	s->m.mark = 0;
	s->m.lost = 0;
	s->m.n = 0;
	if (mark) {
		diode_replay_start_at(s->r, mark);
		s->m.top = mark;
		s->m.mark = mark;
	}
	if (diode_replay_top(s->r) != s->m.top || diode_replay_lost(s->r))
		abort();
}

/*
 * Bytes of the window compared before and after a check or a refusal: all
 * of it up to 8192 frames, only the fields above that, where copying 8 KiB
 * for every counter would cost most of the run. A stray write to the
 * bitmap that matters changes a later verdict, which the model sees.
 */
static size_t compared(const struct state *s)
{
	return s->m.w <= 8192 ? s->size : sizeof(struct diode_replay);
}

/* Feeds one counter to the window and the model; aborts on a difference. */
static void feed(struct state *s, u64 c)
{
	struct diode_replay *r = s->r;
	struct model *m = &s->m;
	enum diode_replay_verdict want, pre, got;
	size_t n = compared(s);
	u64 lost;

	memcpy(s->copy, r, n);
	want = model_verdict(m, c);
	pre = diode_replay_check(r, c);
	if (pre != want || memcmp(s->copy, r, n))
		abort();
	if (diode_replay_above_top(r, c) != (c > m->top))
		abort();
	got = diode_replay_update(r, c);
	if (got != want)
		abort();
	if (c > m->top && got != DIODE_REPLAY_NEW)
		abort();
	if (got == DIODE_REPLAY_NEW)
		model_accept(m, c);
	else if (memcmp(s->copy, r, n))
		abort();
	if (diode_replay_top(r) != m->top)
		abort();
	lost = diode_replay_lost(r);
	if (lost != model_lost(m) || lost < m->lost)
		abort();
	m->lost = lost;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state s;
	struct input in = { data, size };
	unsigned int ops = 0;

	if (!size)
		return 0;
	s.r = NULL;
	fresh(&s, (unsigned int)take(&in, 1), 0);
	while (in.left && ops++ < MAX_OPS) {
		unsigned int op = (unsigned int)take(&in, 1);
		unsigned int arg = op >> 4;	/* 0 .. 15 */
		s64 d = (s64)arg - 8;		/* -8 .. 7 */
		u64 t = s.m.top, w = s.m.w, c;

		/* Sums wrap around the counter space: any value is a counter. */
		switch (op & 15) {
		case 0:
		case 1:
			c = t + 1 + arg;
			break;
		case 2:
			c = t - take(&in, 1);
			break;
		case 3:
			c = t - w + (u64)d;
			break;
		case 4:
			c = t + w + (u64)d;
			break;
		case 5:
			c = t + take(&in, 2);
			break;
		case 6:
			c = t - take(&in, 2);
			break;
		case 7:
			c = t + take(&in, 4);
			break;
		case 8:
			c = take(&in, 8);
			break;
		case 9:
			c = s.m.n ? s.m.accepted[take(&in, 2) % s.m.n] : t;
			break;
		case 10:
			c = (t | 63) + (u64)d;
			break;
		case 11:
			c = ~0ULL - take(&in, 1);
			break;
		case 12:
			c = arg;
			break;
		case 13: {
			unsigned int pick = (unsigned int)take(&in, 1);
			u64 mark = arg < 8 ? 0 :
				   arg < 12 ? take(&in, 2) :
				   arg < 14 ? take(&in, 8) : ~0ULL - take(&in, 1);

			fresh(&s, pick, mark);
			continue;
		}
		case 14:
			c = t - w + 1 - take(&in, 1);
			break;
		default:
			c = t + w - 64 + take(&in, 1);
			break;
		}
		feed(&s, c);
	}
	return 0;
}
