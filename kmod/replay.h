/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-session anti-replay window over the 64-bit frame counter
 * (docs/protocol.md, "Replay and duplicates"), RFC 6479 style: a ring of
 * 64-bit words slid a whole word at a time, so that accepting a frame costs
 * a few instructions and no input can make it cost more than O(W / 64).
 *
 * Definitions, with T the highest counter accepted so far and W the window:
 *
 *  - The window is the W counters T - W + 1 .. T (those >= 0). A counter c
 *    is TOO_OLD when c <= T - W, i.e. when it lies W or more behind T:
 *    exactly W - 1 behind is still judged, exactly W behind is too old.
 *  - A counter above T is NEW and, once accepted, becomes T.
 *  - Counter 0 belongs to the session's ANNOUNCE, which is what created the
 *    session, so the window starts with T = 0 and 0 marked as seen. Data,
 *    heartbeat and parity frames count up from 1. A 0 fed to the window
 *    is thus DUPLICATE (or TOO_OLD once T >= W), never NEW, never lost.
 *  - Lost: a counter is lost once it has fallen below the window (c <= T - W)
 *    without ever having been accepted. lost counts exactly those, whatever
 *    the type of frame that carried them, including counters jumped over by
 *    a single leap larger than the window. Counters still inside the window
 *    are not counted yet: they may still arrive, reordered. So at any time
 *    lost = #{ c : 1 <= c <= T - W, c never accepted }.
 *
 * Memory is the caller's: diode_replay_size(W) bytes, any allocator, then
 * diode_replay_init(). Locking is the caller's too: every call on one window,
 * diode_replay_check() included, and every read of its fields, must be
 * serialized (e.g. a spinlock per session, taken in the receive path).
 * The one exception is diode_replay_above_top(). Nothing here sleeps,
 * allocates or fails at run time.
 */
#ifndef _DIODE_REPLAY_H
#define _DIODE_REPLAY_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <linux/diode.h>

enum diode_replay_verdict {
	DIODE_REPLAY_NEW = 0,	/* not seen, inside or above the window */
	DIODE_REPLAY_DUPLICATE,	/* seen before, still inside the window */
	DIODE_REPLAY_TOO_OLD,	/* below the window: counted as a replay */
};

struct diode_replay {
	u64 top;	/* T: the highest counter accepted; 0 at first */
	u64 lost;	/* see above */
	u32 window;	/* W, in frames */
	u32 nwords;	/* W / 64 + 1: the most words the window spans */
	u32 head;	/* index in bitmap[] of the word holding top */
	u64 bitmap[];	/* ring; word head: counters top & ~63 .. top | 63 */
};

static inline bool diode_replay_window_valid(u32 window)
{
	return window >= DIODE_REPLAY_WINDOW_MIN &&
	       window <= DIODE_REPLAY_WINDOW_MAX && !(window % 64);
}

/*
 * Bytes to allocate for a window of W frames, 0 when W is invalid. W + 64
 * bits: the window is not aligned on words, and one spare word lets the
 * ring slide by whole words without ever clearing a bit still in use.
 */
static inline size_t diode_replay_size(u32 window)
{
	if (!diode_replay_window_valid(window))
		return 0;
	return sizeof(struct diode_replay) +
	       (window / 64 + 1) * sizeof(u64);
}

/*
 * Makes r, of diode_replay_size(window) bytes, a fresh window in which only
 * counter 0 has been seen. Returns -EINVAL, and writes nothing, when window
 * is invalid.
 */
int diode_replay_init(struct diode_replay *r, u32 window);

/*
 * For a fresh window: every counter up to @top counts as seen, so that of a
 * session learnt again (after the receiver forgot it) nothing delivered
 * before is accepted twice. Counters at or below @top are never counted lost.
 */
void diode_replay_start_at(struct diode_replay *r, u64 top);

/*
 * What diode_replay_update() would answer now, without changing anything: a
 * cheap test before authentication, to drop frames that cannot be accepted
 * without spending a decryption on them. Never trust it alone: the window
 * may move between the two calls, which is why update checks again.
 */
enum diode_replay_verdict diode_replay_check(const struct diode_replay *r,
					     u64 counter);

/*
 * Judges counter and, if NEW, marks it seen, sliding the window forward when
 * counter is above top and adding to lost the counters that leave it unseen.
 * Call it only for frames that have authenticated: otherwise a forged counter
 * could slide the window and make genuine frames too old. DUPLICATE and
 * TOO_OLD change nothing. Work is O(min(jump, W) / 64) words.
 */
enum diode_replay_verdict diode_replay_update(struct diode_replay *r,
					      u64 counter);

/*
 * Whether counter lies above every counter accepted so far, which makes it
 * NEW. Safe without the lock, as a shortcut for diode_replay_check() on the
 * common in-order frame: top only grows, so a stale or torn read can only
 * call NEW a frame that the locked update after authentication refuses, or
 * send a new frame to the locked check.
 */
static inline bool diode_replay_above_top(const struct diode_replay *r,
					  u64 counter)
{
	return counter > READ_ONCE(r->top);
}

/* The highest counter accepted (0: none but the ANNOUNCE's). */
static inline u64 diode_replay_top(const struct diode_replay *r)
{
	return r->top;
}

static inline u64 diode_replay_lost(const struct diode_replay *r)
{
	return r->lost;
}

#endif /* _DIODE_REPLAY_H */
