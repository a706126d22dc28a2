/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rate budgets: a sender's own credit (below), and the budget shared by
 * the tx channels of one link, with strict priority: a file StateDir/link-NAME.budget mapped by every channel that
 * names the link. The budget is a GCRA (a virtual time, advanced by the
 * cost of what is sent, at most a burst ahead of now) updated lock-free,
 * so a channel that dies holding nothing leaves nothing locked. A channel
 * waits while a channel of a higher priority (a lower number) found the
 * budget spent within the last BG_HOLD_NS: the bulk yields to it.
 */
#ifndef DIODE_AGENT_BUDGET_H
#define DIODE_AGENT_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define BG_PRIOS 8
#define BG_HOLD_NS 10000000ull		/* 10 ms */

struct bg_shared {
	uint32_t magic, version;
	uint64_t tat_ns;		/* the budget's virtual time */
	uint64_t wanted_ns[BG_PRIOS];	/* last time a class found it spent */
};

struct bg {
	struct bg_shared *sh;
	uint64_t rate_bps, burst_ns, far_ns;
	int prio;
	uint64_t refused;
};

/*
 * A credit of one sender's own (a carousel's share of its channel's Rate):
 * filled at the rate given at each take, at most BG_CREDIT_BURST_MS of it,
 * in thousandths of a byte. What is taken goes out of a positive credit,
 * a record larger than the whole credit too, and may leave it negative.
 * Ask at least every BG_CREDIT_BURST_MS while sending, or rate is lost.
 */
#define BG_CREDIT_BURST_MS 100
struct bg_credit {
	int64_t milli;
	uint64_t at_ms;
	bool running;		/* false: starts empty at the next take */
};
bool bg_credit_take(struct bg_credit *c, uint64_t bytes_s, uint64_t bytes, uint64_t now_ms);

/* Map (create) the budget file: 0, or -1 said why. */
int bg_open(struct bg *b, const char *path, uint64_t rate_bps, int prio);
/* Map an anonymous budget shared with bg_share's (the unit tests). */
int bg_open_mem(struct bg *b, struct bg_shared *sh, uint64_t rate_bps, int prio);
/* May bytes go now (ns of CLOCK_MONOTONIC)? Taken from the budget if so. */
bool bg_take(struct bg *b, uint64_t bytes, uint64_t now_ns);

#endif
