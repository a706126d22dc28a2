// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the link's shared budget and priorities (budget.c). KTAP. */
#include <string.h>

#include "../../selftests/unit/ktap.h"
#include "budget.h"

#define MS 1000000ull

static struct bg_shared sh;

/* Every 100 us of simulated time, each channel sends 1000-byte messages
 * while the budget lets it (lo first, then hi first, by turns): bytes each
 * got in [from, to). */
static void run(struct bg *hi, struct bg *lo, uint64_t from, uint64_t to,
		uint64_t *got_hi, uint64_t *got_lo)
{
	uint64_t t;
	int turn;

	for (t = from; t < to; t += MS / 10) {
		turn = (t / MS) & 1;	/* a message's worth comes every ms */
		while (turn && hi && bg_take(hi, 1000, t))
			*got_hi += 1000;
		while (lo && bg_take(lo, 1000, t))
			*got_lo += 1000;
		while (!turn && hi && bg_take(hi, 1000, t))
			*got_hi += 1000;
	}
}

static bool test_rate_exact(void)
{
	struct bg a;
	uint64_t got = 0, none = 0;

	memset(&sh, 0, sizeof(sh));
	KTAP_EXPECT(bg_open_mem(&a, &sh, 8000000, 4) == 0);	/* 1 MB/s */
	run(NULL, &a, 1000 * MS, 2000 * MS, &none, &got);
	/* one second's worth (less the last message, due at 2000 ms) and
	 * the 131.072 ms burst (2 datagrams of 64 KiB): 131 messages */
	KTAP_EXPECT(got == 999000 + 131000);
	return true;
}

static bool test_bulk_yields(void)
{
	struct bg hi, lo;
	uint64_t h = 0, l = 0;

	memset(&sh, 0, sizeof(sh));
	KTAP_EXPECT(bg_open_mem(&hi, &sh, 8000000, 0) == 0);
	KTAP_EXPECT(bg_open_mem(&lo, &sh, 8000000, 7) == 0);
	/* both busy for 1 s: lo gets the first burst only, hi the rest */
	run(&hi, &lo, 1000 * MS, 2000 * MS, &h, &l);
	KTAP_EXPECT(l == 131000 && h == 999000);
	/* hi stops: 10 ms later lo has the whole rate again */
	h = l = 0;
	run(NULL, &lo, 2000 * MS, 3000 * MS, &h, &l);
	KTAP_EXPECT(l >= 1000000 - 10000 && l <= 1000000 + 1000);
	/* equal priorities share */
	memset(&sh, 0, sizeof(sh));
	bg_open_mem(&hi, &sh, 8000000, 3);
	bg_open_mem(&lo, &sh, 8000000, 3);
	h = l = 0;
	run(&hi, &lo, 1000 * MS, 2000 * MS, &h, &l);
	KTAP_EXPECT(h > 400000 && l > 400000 && h + l == 999000 + 131000);
	return true;
}

static bool test_large_message_from_full(void)
{
	struct bg a;

	memset(&sh, 0, sizeof(sh));
	bg_open_mem(&a, &sh, 8000000, 4);
	/* 1 MiB is more than a burst: it goes out of a full budget, then
	 * nothing for about a second */
	KTAP_EXPECT(bg_take(&a, 1 << 20, 1000 * MS));
	KTAP_EXPECT(!bg_take(&a, 1000, 1500 * MS));
	KTAP_EXPECT(bg_take(&a, 1000, 2100 * MS));
	KTAP_EXPECT(!bg_take(&a, 1000, 1900 * MS));
	/* a virtual time of another boot, far ahead, starts again */
	sh.tat_ns = 1ull << 62;
	KTAP_EXPECT(bg_take(&a, 1000, 3000 * MS));
	return true;
}

/* A credit: empty at its start, filled at the rate for at most 100 ms,
 * a record larger than it out of a positive one, empty again after a
 * stop. */
static bool test_credit(void)
{
	struct bg_credit c = { 0 };
	uint64_t t = 1000, sent = 0;

	KTAP_EXPECT(!bg_credit_take(&c, 10000, 100, t));	/* 10 kB/s */
	KTAP_EXPECT(bg_credit_take(&c, 10000, 100, t + 1));	/* 10 B earned */
	KTAP_EXPECT(c.milli == 10 * 1000 - 100 * 1000);
	/* a second: 10 000 bytes, as 100-byte records asked every 10 ms */
	for (t += 10; t <= 2000; t += 10)
		while (bg_credit_take(&c, 10000, 100, t))
			sent += 100;
	KTAP_EXPECT(sent >= 9800 && sent <= 10100);
	/* idle for 10 s: at most 100 ms of credit, 1 000 bytes */
	t += 10000;
	for (sent = 0; bg_credit_take(&c, 10000, 100, t); sent += 100)
		;
	KTAP_EXPECT(sent >= 1000 && sent <= 1100);
	/* a record of 5 000 bytes out of a full credit leaves it negative */
	t += 200;
	KTAP_EXPECT(bg_credit_take(&c, 10000, 5000, t) && c.milli < 0);
	KTAP_EXPECT(!bg_credit_take(&c, 10000, 1, t + 100));
	c.running = false;
	KTAP_EXPECT(!bg_credit_take(&c, 10000, 1, t + 100000) && c.milli == 0);
	return true;
}

static const struct ktap_test tests[] = {
	{ "credit", test_credit },
	{ "rate_exact", test_rate_exact },
	{ "bulk_yields", test_bulk_yields },
	{ "large_message_from_full", test_large_message_from_full },
};

int main(void)
{
	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
