// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the transport: codec, reassembly, accounting. KTAP. */
#include <stdlib.h>
#include <string.h>

#include "../../selftests/unit/ktap.h"
#include "transport.h"

static uint64_t delivered[4096], ndel, gaps[64][2], ngaps, epochs;

static void on_del(void *c, uint64_t s, const uint8_t *m, uint32_t l)
{
	(void)c; (void)m; (void)l;
	delivered[ndel++ % 4096] = s;
}
static void on_gap(void *c, uint64_t a, uint64_t b)
{
	(void)c;
	gaps[ngaps % 64][0] = a;
	gaps[ngaps++ % 64][1] = b;
}
static void on_epoch(void *c, uint64_t o, uint64_t n, uint64_t j)
{
	(void)c; (void)o; (void)n; (void)j;
	epochs++;
}

static struct da_rx rx;
static uint8_t buf[65536];

static void reset(void)
{
	struct da_rx_ops ops = { on_del, on_gap, on_epoch, NULL };

	da_rx_free(&rx);
	da_rx_init(&rx, 7, 1 << 20, 100, &ops);
	ndel = ngaps = epochs = 0;
}

static void data(uint64_t epoch, uint64_t seq, uint32_t len, size_t dgram,
		 int skip_frag, uint64_t now)
{
	static uint8_t msg[1 << 20];
	uint16_t fs, n, i;

	memset(msg, (int)seq, len);
	da_split(len, dgram, &fs, &n);
	for (i = 0; i < n; i++) {
		size_t l = da_put_fragment(buf, 7, epoch, seq, msg, len, fs, n, n - 1 - i);

		if (n - 1 - i != skip_frag)
			da_rx_input(&rx, buf, l, now);
	}
}

static void heartbeat(uint64_t epoch, uint64_t last, uint64_t now)
{
	struct da_hdr h = { .type = DA_HEARTBEAT, .channel = 7, .epoch = epoch,
			    .seq = last, .msg_len = 4 };

	da_put_hdr(buf, &h);
	memset(buf + DA_HDR_LEN, 0, 4);
	da_rx_input(&rx, buf, DA_HDR_LEN + 4, now);
}

static bool test_codec_roundtrip(void)
{
	struct da_hdr h = { .type = DA_HEARTBEAT, .channel = 9, .epoch = 0x0102030405060708ull,
			    .seq = 42, .msg_len = 4 }, d;
	const uint8_t *p;
	size_t n;

	da_put_hdr(buf, &h);
	KTAP_EXPECT(buf[0] == 0xda && buf[1] == 0x1a && buf[2] == 1 && buf[3] == 2);
	KTAP_EXPECT(da_decode(buf, DA_HDR_LEN + 4, &d, &p, &n) == 0);
	KTAP_EXPECT(d.channel == 9 && d.epoch == h.epoch && d.seq == 42 && n == 4);
	KTAP_EXPECT(da_decode(buf, DA_HDR_LEN + 3, &d, &p, &n) == -DA_E_FIELD);
	KTAP_EXPECT(da_decode(buf, 10, &d, &p, &n) == -DA_E_SHORT);
	buf[2] = 2;
	KTAP_EXPECT(da_decode(buf, DA_HDR_LEN + 4, &d, &p, &n) == -DA_E_VERSION);
	return true;
}

static bool test_fragments_checked(void)
{
	static uint8_t msg[5000];
	struct da_hdr d;
	const uint8_t *p;
	uint16_t fs, n;
	size_t l, pl;

	KTAP_EXPECT(da_split(5000, 1472, &fs, &n) == 0 && n == 4 && fs == 1436);
	KTAP_EXPECT(da_split(0, 1472, &fs, &n) == 0 && n == 1);
	KTAP_EXPECT(da_split(DA_MAX_MSG, 100, &fs, &n) == -1);
	da_split(5000, 1472, &fs, &n);
	l = da_put_fragment(buf, 7, 1, 1, msg, 5000, fs, n, 3);
	KTAP_EXPECT(l == DA_HDR_LEN + 5000 - 3 * 1436);
	KTAP_EXPECT(da_decode(buf, l, &d, &p, &pl) == 0);
	KTAP_EXPECT(da_decode(buf, l - 1, &d, &p, &pl) == -DA_E_FIELD);
	return true;
}

static bool test_in_order_exact(void)
{
	uint64_t s;

	reset();
	for (s = 1; s <= 1000; s++)
		data(5, s, 3000, 1472, -1, 10);
	heartbeat(5, 1000, 20);
	da_rx_tick(&rx, 1000);
	KTAP_EXPECT(rx.c.delivered == 1000 && rx.c.lost == 0 && ngaps == 0);
	KTAP_EXPECT(epochs == 1 && rx.joined_at == 1 && rx.base == 1001);
	return true;
}

static bool test_gap_after_wait(void)
{
	reset();
	data(5, 1, 10, 1472, -1, 0);
	data(5, 4, 10, 1472, -1, 0);
	da_rx_tick(&rx, 50);
	KTAP_EXPECT(rx.c.lost == 0);
	data(5, 3, 10, 1472, -1, 60);		/* reordered, in time */
	da_rx_tick(&rx, 200);
	KTAP_EXPECT(rx.c.lost == 1 && ngaps == 1 && gaps[0][0] == 2 && gaps[0][1] == 2);
	data(5, 2, 10, 1472, -1, 300);		/* late: lost no more */
	KTAP_EXPECT(rx.c.lost == 0 && rx.c.late == 1 && rx.c.delivered == 4);
	data(5, 2, 10, 1472, -1, 300);
	KTAP_EXPECT(rx.c.duplicates == 1 && rx.c.delivered == 4);
	return true;
}

static bool test_tail_loss_by_heartbeat(void)
{
	reset();
	data(5, 1, 10, 1472, -1, 0);
	heartbeat(5, 6, 10);
	da_rx_tick(&rx, 200);
	KTAP_EXPECT(rx.c.lost == 5 && ngaps == 1 && gaps[0][0] == 2 && gaps[0][1] == 6);
	return true;
}

static bool test_join_mid_stream(void)
{
	reset();
	heartbeat(9, 5000, 0);
	data(9, 5001, 10, 1472, -1, 1);
	da_rx_tick(&rx, 500);
	KTAP_EXPECT(rx.joined_at == 5001 && rx.c.lost == 0 && rx.c.delivered == 1);
	return true;
}

static bool test_missing_fragment_lost(void)
{
	reset();
	data(5, 1, 20000, 1472, 3, 0);
	data(5, 2, 100, 1472, -1, 0);
	da_rx_tick(&rx, 500);
	KTAP_EXPECT(rx.c.lost == 1 && rx.c.delivered == 1 && delivered[0] == 2);
	return true;
}

static bool test_drop_notice(void)
{
	struct da_range r = { DA_R_QUEUE_FULL, 2, 3 };
	struct da_hdr h = { .type = DA_DROP, .channel = 7, .epoch = 5 };

	reset();
	data(5, 1, 10, 1472, -1, 0);
	h.msg_len = da_put_drop(buf + DA_HDR_LEN, &r, 1);
	da_put_hdr(buf, &h);
	da_rx_input(&rx, buf, DA_HDR_LEN + h.msg_len, 0);
	data(5, 4, 10, 1472, -1, 0);
	da_rx_tick(&rx, 500);
	KTAP_EXPECT(rx.c.lost == 0 && rx.c.dropped[DA_R_QUEUE_FULL] == 2 && rx.base == 5);
	return true;
}

static bool test_huge_jump_bounded(void)
{
	reset();
	data(5, 1, 10, 1472, -1, 0);
	data(5, 1ull << 40, 10, 1472, -1, 0);
	da_rx_tick(&rx, 500);
	KTAP_EXPECT(rx.c.lost == (1ull << 40) - 2 && rx.c.delivered == 2);
	return true;
}

/* Messages of consecutive numbers in BATCH datagrams: each delivered once,
 * the layout checked, a message too long refusing the datagram whole. */
static bool test_batch(void)
{
	static uint8_t msg[2000];
	struct da_batch b;
	struct da_hdr d;
	const uint8_t *p;
	size_t l, pl;
	uint32_t i;

	reset();
	memset(msg, 'm', sizeof(msg));
	da_batch_start(&b, buf, 1472);
	for (i = 0; da_batch_add(&b, msg, 100 + i); i++)
		;
	/* 1440 bytes: 2 + 31 more do not fit in 1472, 2 + 30 do */
	KTAP_EXPECT(i == 13 && b.len == 1440 && !da_batch_add(&b, msg, 31) &&
		    b.n == 13 && da_batch_add(&b, msg, 30) && b.len == 1472);
	l = da_batch_end(&b, 7, 5, 10);
	KTAP_EXPECT(da_decode(buf, l, &d, &p, &pl) == 0 && d.type == DA_BATCH &&
		    d.frag_count == 14 && d.seq == 10 && pl == l - DA_HDR_LEN);
	KTAP_EXPECT(da_decode(buf, l - 1, &d, &p, &pl) == -DA_E_FIELD);
	buf[l] = 0;
	KTAP_EXPECT(da_decode(buf, l + 1, &d, &p, &pl) == -DA_E_FIELD);
	buf[15]++;			/* frag_count: one more than there is */
	KTAP_EXPECT(da_decode(buf, l, &d, &p, &pl) == -DA_E_FIELD);
	buf[15]--;
	da_rx_input(&rx, buf, l, 0);
	KTAP_EXPECT(rx.c.delivered == 14 && ndel == 14 && delivered[0] == 10 &&
		    delivered[13] == 23 && rx.joined_at == 10 && rx.base == 24);
	da_rx_input(&rx, buf, l, 0);
	KTAP_EXPECT(rx.c.delivered == 14 && rx.c.duplicates == 14);
	/* numbers 24 to 26 never come: lost, once */
	da_batch_start(&b, buf, 1472);
	da_batch_add(&b, msg, 5);
	da_batch_add(&b, msg, 0);
	l = da_batch_end(&b, 7, 5, 27);
	da_rx_input(&rx, buf, l, 0);
	da_rx_tick(&rx, 500);
	KTAP_EXPECT(rx.c.delivered == 16 && rx.c.lost == 3 && ngaps == 1 &&
		    gaps[0][0] == 24 && gaps[0][1] == 26);
	/* a message longer than MaxMessage refuses the whole datagram */
	da_rx_free(&rx);
	{
		struct da_rx_ops ops = { on_del, on_gap, on_epoch, NULL };

		da_rx_init(&rx, 7, 1000, 100, &ops);
	}
	da_batch_start(&b, buf, 4000);
	da_batch_add(&b, msg, 10);
	da_batch_add(&b, msg, 1001);
	l = da_batch_end(&b, 7, 5, 1);
	da_rx_input(&rx, buf, l, 0);
	KTAP_EXPECT(rx.c.malformed == 1 && rx.c.delivered == 0 && !rx.have_epoch);
	/* numbers past 2^64 are refused */
	da_batch_start(&b, buf, 1472);
	da_batch_add(&b, msg, 1);
	da_batch_add(&b, msg, 1);
	l = da_batch_end(&b, 7, 5, UINT64_MAX);
	KTAP_EXPECT(da_decode(buf, l, &d, &p, &pl) == -DA_E_FIELD);
	return true;
}

/* STATE datagrams: delivered with seq 0, again when they come again,
 * never numbered or counted lost; only of the epoch followed; seq 0. */
static bool test_state_unnumbered(void)
{
	static uint8_t msg[100], st[1472];
	struct da_batch b;
	struct da_hdr d;
	const uint8_t *p;
	size_t l, pl;

	reset();
	memset(msg, 's', sizeof(msg));
	da_batch_start(&b, st, sizeof(st));
	da_batch_add(&b, msg, 100);
	da_batch_add(&b, msg, 7);
	l = da_state_end(&b, 7, 5);
	KTAP_EXPECT(da_decode(st, l, &d, &p, &pl) == 0 && d.type == DA_STATE &&
		    d.frag_count == 2 && d.seq == 0);
	/* before any numbered message of epoch 5: not delivered */
	da_rx_input(&rx, st, l, 0);
	KTAP_EXPECT(ndel == 0 && rx.c.state_other_epoch == 2 && !rx.have_epoch);
	data(5, 1, 10, 1472, -1, 0);
	da_rx_input(&rx, st, l, 10);
	da_rx_input(&rx, st, l, 20);
	KTAP_EXPECT(ndel == 5 && delivered[1] == 0 && delivered[4] == 0 &&
		    rx.c.state == 4 && rx.c.delivered == 1 && rx.c.duplicates == 0);
	heartbeat(5, 1, 30);
	da_rx_tick(&rx, 1000);
	KTAP_EXPECT(rx.c.lost == 0 && rx.base == 2 && ngaps == 0);
	/* a STATE datagram with a number is refused */
	st[35] = 1;
	KTAP_EXPECT(da_decode(st, l, &d, &p, &pl) == -DA_E_FIELD);
	return true;
}

static uint64_t lost_ranges[8][2], nlost;

static void on_lost(void *c, uint64_t a, uint64_t b)
{
	(void)c;
	lost_ranges[nlost % 8][0] = a;
	lost_ranges[nlost++ % 8][1] = b;
}

/* What was counted lost is saved and restored: a replay after a restart
 * delivers it once; a restart's drop range leaves it lost. */
static bool test_lost_kept_for_replay(void)
{
	struct da_range r = { DA_R_RESTART, 1, 9 };
	struct da_hdr h = { .type = DA_DROP, .channel = 7, .epoch = 5 };
	uint64_t base;

	reset();
	data(5, 1, 10, 1472, -1, 0);
	data(5, 4, 10, 1472, -1, 0);
	heartbeat(5, 6, 0);
	da_rx_tick(&rx, 500);
	da_rx_tick(&rx, 1000);
	KTAP_EXPECT(rx.c.lost == 4 && rx.base == 7);
	nlost = 0;
	da_rx_each_lost(&rx, on_lost, NULL);
	KTAP_EXPECT(nlost == 2 && lost_ranges[0][0] == 2 && lost_ranges[0][1] == 3 &&
		    lost_ranges[1][0] == 5 && lost_ranges[1][1] == 6);
	base = rx.base;
	reset();				/* the rx restarted */
	da_rx_resume(&rx, 5, 1, base);
	da_rx_mark_lost(&rx, 2);
	da_rx_mark_lost(&rx, 3);
	da_rx_mark_lost(&rx, 5);
	h.msg_len = da_put_drop(buf + DA_HDR_LEN, &r, 1);
	da_put_hdr(buf, &h);
	da_rx_input(&rx, buf, DA_HDR_LEN + h.msg_len, 600);
	KTAP_EXPECT(rx.c.dropped[DA_R_RESTART] == 3 && rx.base == 10);	/* 7 to 9 */
	data(5, 2, 10, 1472, -1, 700);		/* replayed */
	data(5, 3, 10, 1472, -1, 700);
	data(5, 5, 10, 1472, -1, 700);
	data(5, 2, 10, 1472, -1, 700);		/* twice */
	data(5, 1, 10, 1472, -1, 700);		/* delivered before */
	data(5, 6, 10, 1472, -1, 700);		/* not restored: not delivered */
	KTAP_EXPECT(rx.c.delivered == 3 && rx.c.late == 3 && rx.c.duplicates == 3 &&
		    rx.c.lost == 0 && epochs == 0);
	data(5, 9 + DA_WINDOW, 10, 1472, -1, 800);
	data(5, 4, 10, 1472, -1, 800);		/* out of the window now */
	KTAP_EXPECT(rx.c.too_old == 1);
	return true;
}

static const struct ktap_test tests[] = {
	{ "codec_roundtrip", test_codec_roundtrip },
	{ "fragments_checked", test_fragments_checked },
	{ "in_order_exact", test_in_order_exact },
	{ "gap_after_wait", test_gap_after_wait },
	{ "tail_loss_by_heartbeat", test_tail_loss_by_heartbeat },
	{ "join_mid_stream", test_join_mid_stream },
	{ "missing_fragment_lost", test_missing_fragment_lost },
	{ "drop_notice", test_drop_notice },
	{ "huge_jump_bounded", test_huge_jump_bounded },
	{ "lost_kept_for_replay", test_lost_kept_for_replay },
	{ "batch", test_batch },
	{ "state_unnumbered", test_state_unnumbered },
};

int main(void)
{
	int rc = ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));

	da_rx_free(&rx);
	return rc;
}
