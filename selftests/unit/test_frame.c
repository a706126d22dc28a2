// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kmod/frame.h: the header encoder, the parser of
 * untrusted frames and the nonce builder. Built with AddressSanitizer, and
 * every truncated frame is parsed from a heap block of exactly its length,
 * so a read past the end is a failure, not luck.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktap.h"
#include "prng.h"
#include "frame.h"

static const u8 test_e[DIODE_ANNOUNCE_E_LEN] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};

static const enum diode_frame_type all_types[] = {
	DIODE_FRAME_DATA, DIODE_FRAME_ANNOUNCE, DIODE_FRAME_HEARTBEAT,
	DIODE_FRAME_PARITY,
};

/* A valid frame of the given type and total length in buf. */
static void build(u8 *buf, size_t len, enum diode_frame_type type,
		  u16 tag, u64 counter)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (u8)(0xc0 + i);
	diode_header_encode(buf, type, tag, counter);
	if (type == DIODE_FRAME_ANNOUNCE &&
	    len >= DIODE_HEADER_LEN + DIODE_ANNOUNCE_CLEAR_LEN)
		diode_announce_encode(buf + DIODE_HEADER_LEN, test_e,
				      0x1122334455667788ULL);
}

/* Parses a copy of buf[0..len) held in a heap block of exactly len bytes. */
static enum diode_frame_status parse_exact(const u8 *buf, size_t len,
					   struct diode_frame *f)
{
	enum diode_frame_status s;
	u8 *copy = malloc(len ? len : 1);

	if (!copy)
		abort();
	memcpy(copy, buf, len);
	s = diode_frame_parse(copy, len, f);
	/* The ephemeral pointer must not outlive the copy. */
	if (s == DIODE_FRAME_OK && f->ephemeral)
		f->ephemeral = buf + (f->ephemeral - copy);
	free(copy);
	return s;
}

static bool test_header_bytes(void)
{
	static const u8 want[DIODE_HEADER_LEN] = {
		0x11, 0x00, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};
	static const u8 want_announce[DIODE_HEADER_LEN + 40] = {
		0x12, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	};
	u8 buf[DIODE_HEADER_LEN + 40];

	memset(buf, 0xff, sizeof(buf));
	diode_header_encode(buf, DIODE_FRAME_DATA, 0xbeef,
			    0x0102030405060708ULL);
	KTAP_EXPECT(!memcmp(buf, want, sizeof(want)));
	KTAP_EXPECT(buf[DIODE_HEADER_LEN] == 0xff);	/* wrote 12 bytes only */

	diode_header_encode(buf, DIODE_FRAME_PARITY, 0xffff, ~0ULL);
	KTAP_EXPECT(buf[0] == 0x14 && buf[1] == 0 && buf[2] == 0xff &&
		    buf[3] == 0xff);
	KTAP_EXPECT(buf[4] == 0xff && buf[11] == 0xff);

	diode_header_encode(buf, DIODE_FRAME_ANNOUNCE, 1, 0);
	diode_announce_encode(buf + DIODE_HEADER_LEN, test_e,
			      0x1122334455667788ULL);
	KTAP_EXPECT(!memcmp(buf, want_announce, sizeof(want_announce)));
	return true;
}

static bool test_constants(void)
{
	KTAP_EXPECT(DIODE_HEADER_LEN == 12 && DIODE_AUTHTAG_LEN == 16);
	KTAP_EXPECT(DIODE_FRAME_MIN_LEN == 28);
	KTAP_EXPECT(DIODE_ANNOUNCE_CLEAR_LEN == 40);
	KTAP_EXPECT(DIODE_ANNOUNCE_MIN_LEN == 68);
	KTAP_EXPECT(DIODE_NONCE_LEN == 12);
	KTAP_EXPECT(DIODE_FRAME_DATA == 1 && DIODE_FRAME_ANNOUNCE == 2 &&
		    DIODE_FRAME_HEARTBEAT == 3 && DIODE_FRAME_PARITY == 4);
	KTAP_EXPECT(sizeof(struct diode_header) == 12);
	return true;
}

/* Every type, random tags and counters, several body lengths. */
static bool test_round_trip(void)
{
	struct prng p = { 1 };
	u8 buf[256];
	int i;

	for (i = 0; i < 20000; i++) {
		enum diode_frame_type type = all_types[prng_below(&p, 4)];
		bool ann = type == DIODE_FRAME_ANNOUNCE;
		size_t min = ann ? DIODE_ANNOUNCE_MIN_LEN : DIODE_FRAME_MIN_LEN;
		size_t len = min + prng_below(&p, sizeof(buf) - min + 1);
		u16 tag = (u16)(1 + prng_below(&p, 0xffff));
		u64 counter = ann ? 0 : 1 + prng_below(&p, ~0ULL);
		struct diode_frame f;

		if (i == 1)
			counter = ann ? 0 : ~0ULL;
		build(buf, len, type, tag, counter);
		KTAP_EXPECT(diode_frame_parse(buf, len, &f) == DIODE_FRAME_OK);
		KTAP_EXPECT(f.type == type);
		KTAP_EXPECT(f.session_tag == tag);
		KTAP_EXPECT(f.counter == counter);
		KTAP_EXPECT(f.ad_len == (ann ? 52u : 12u));
		KTAP_EXPECT(f.ad_len + f.body_len + DIODE_AUTHTAG_LEN == len);
		if (ann) {
			KTAP_EXPECT(f.ephemeral == buf + DIODE_HEADER_LEN);
			KTAP_EXPECT(!memcmp(f.ephemeral, test_e, 32));
			KTAP_EXPECT(f.created == 0x1122334455667788ULL);
		} else {
			KTAP_EXPECT(!f.ephemeral && !f.created);
		}
	}
	return true;
}

/* The parser must not care where the frame starts: skbs are not aligned. */
static bool test_unaligned(void)
{
	u8 storage[128 + 8];
	struct diode_frame f;
	size_t off;

	for (off = 0; off < 8; off++) {
		u8 *buf = storage + off;

		build(buf, 100, DIODE_FRAME_ANNOUNCE, 0x1234, 0);
		KTAP_EXPECT(diode_frame_parse(buf, 100, &f) == DIODE_FRAME_OK);
		KTAP_EXPECT(f.created == 0x1122334455667788ULL);
		build(buf, 100, DIODE_FRAME_DATA, 0x1234, 0x8000000000000001ULL);
		KTAP_EXPECT(diode_frame_parse(buf, 100, &f) == DIODE_FRAME_OK);
		KTAP_EXPECT(f.counter == 0x8000000000000001ULL);
	}
	return true;
}

static bool expect_status(const u8 *buf, size_t len,
			  enum diode_frame_status want)
{
	struct diode_frame f, before;
	enum diode_frame_status got;

	memset(&f, 0xa5, sizeof(f));
	before = f;
	got = parse_exact(buf, len, &f);
	if (got != want) {
		ktap_diag("len %zu: got \"%s\", want \"%s\"", len,
			  diode_frame_status_str(got),
			  diode_frame_status_str(want));
		return false;
	}
	/* A rejected frame leaves nothing behind in *f. */
	if (got != DIODE_FRAME_OK && memcmp(&f, &before, sizeof(f))) {
		ktap_diag("len %zu: rejected but wrote *f", len);
		return false;
	}
	return true;
}

static bool test_reject_too_short(void)
{
	u8 buf[DIODE_ANNOUNCE_MIN_LEN];
	size_t len;
	size_t t;

	for (t = 0; t < 4; t++) {
		build(buf, sizeof(buf), all_types[t], 7,
		      all_types[t] == DIODE_FRAME_ANNOUNCE ? 0 : 7);
		for (len = 0; len < DIODE_FRAME_MIN_LEN; len++)
			KTAP_EXPECT(expect_status(buf, len,
						  DIODE_FRAME_TOO_SHORT));
	}
	/* Even a NULL buffer is never touched when len is too short. */
	KTAP_EXPECT(diode_frame_parse(NULL, 0, NULL) == DIODE_FRAME_TOO_SHORT);
	return true;
}

static bool test_reject_version(void)
{
	u8 buf[64];
	unsigned int v;

	for (v = 0; v < 16; v++) {
		build(buf, sizeof(buf), DIODE_FRAME_DATA, 7, 7);
		buf[0] = (u8)(v << 4 | DIODE_FRAME_DATA);
		KTAP_EXPECT(expect_status(buf, sizeof(buf),
					  v == 1 ? DIODE_FRAME_OK :
						   DIODE_FRAME_BAD_VERSION));
	}
	return true;
}

static bool test_reject_type(void)
{
	u8 buf[128];
	unsigned int t;

	for (t = 0; t < 16; t++) {
		build(buf, sizeof(buf), DIODE_FRAME_DATA, 7, t == 2 ? 0 : 7);
		buf[0] = (u8)(0x10 | t);
		KTAP_EXPECT(expect_status(buf, sizeof(buf),
					  t >= 1 && t <= 4 ?
					  DIODE_FRAME_OK :
					  DIODE_FRAME_BAD_TYPE));
	}
	return true;
}

static bool test_reject_flags(void)
{
	u8 buf[64];
	unsigned int fl;

	for (fl = 1; fl < 256; fl++) {
		build(buf, sizeof(buf), DIODE_FRAME_HEARTBEAT, 7, 7);
		buf[1] = (u8)fl;
		KTAP_EXPECT(expect_status(buf, sizeof(buf),
					  DIODE_FRAME_BAD_FLAGS));
	}
	return true;
}

static bool test_reject_zero_tag(void)
{
	u8 buf[128];
	size_t t;

	for (t = 0; t < 4; t++) {
		bool ann = all_types[t] == DIODE_FRAME_ANNOUNCE;

		build(buf, sizeof(buf), all_types[t], 0, ann ? 0 : 1);
		KTAP_EXPECT(expect_status(buf, sizeof(buf),
					  DIODE_FRAME_ZERO_TAG));
		/* Only the tag is wrong: one bit of it makes the frame good. */
		build(buf, sizeof(buf), all_types[t], 0x8000, ann ? 0 : 1);
		KTAP_EXPECT(expect_status(buf, sizeof(buf), DIODE_FRAME_OK));
		build(buf, sizeof(buf), all_types[t], 1, ann ? 0 : 1);
		KTAP_EXPECT(expect_status(buf, sizeof(buf), DIODE_FRAME_OK));
	}
	return true;
}

static bool test_reject_counters(void)
{
	static const u64 nonzero[] = { 1, 2, 0x100, 1ULL << 63, ~0ULL };
	u8 buf[128];
	size_t i, t;

	for (i = 0; i < sizeof(nonzero) / sizeof(nonzero[0]); i++) {
		build(buf, sizeof(buf), DIODE_FRAME_ANNOUNCE, 7, nonzero[i]);
		KTAP_EXPECT(expect_status(buf, sizeof(buf),
					  DIODE_FRAME_ANNOUNCE_COUNTER));
	}
	for (t = 0; t < 4; t++) {
		if (all_types[t] == DIODE_FRAME_ANNOUNCE)
			continue;
		build(buf, sizeof(buf), all_types[t], 7, 0);
		KTAP_EXPECT(expect_status(buf, sizeof(buf),
					  DIODE_FRAME_ZERO_COUNTER));
		for (i = 0; i < sizeof(nonzero) / sizeof(nonzero[0]); i++) {
			build(buf, sizeof(buf), all_types[t], 7, nonzero[i]);
			KTAP_EXPECT(expect_status(buf, sizeof(buf),
						  DIODE_FRAME_OK));
		}
	}
	return true;
}

/*
 * Every prefix 0..N of a valid DATA and a valid ANNOUNCE, each in a heap
 * block of exactly its length.
 */
static bool test_truncated(void)
{
	enum { N = 200 };
	u8 buf[N];
	size_t len, t;

	for (t = 0; t < 4; t++) {
		bool ann = all_types[t] == DIODE_FRAME_ANNOUNCE;

		build(buf, N, all_types[t], 0x4242, ann ? 0 : 99);
		for (len = 0; len <= N; len++) {
			enum diode_frame_status want;
			struct diode_frame f;

			if (len < DIODE_FRAME_MIN_LEN)
				want = DIODE_FRAME_TOO_SHORT;
			else if (ann && len < DIODE_ANNOUNCE_MIN_LEN)
				want = DIODE_FRAME_ANNOUNCE_TOO_SHORT;
			else
				want = DIODE_FRAME_OK;
			KTAP_EXPECT(expect_status(buf, len, want));
			if (want == DIODE_FRAME_OK) {
				KTAP_EXPECT(parse_exact(buf, len, &f) == want);
				KTAP_EXPECT(f.body_len ==
					    len - f.ad_len - DIODE_AUTHTAG_LEN);
			}
		}
	}
	return true;
}

/* The length arithmetic holds up to SIZE_MAX (only the cleartext is read). */
static bool test_huge_length(void)
{
	u8 buf[DIODE_ANNOUNCE_MIN_LEN];
	struct diode_frame f;

	build(buf, sizeof(buf), DIODE_FRAME_ANNOUNCE, 3, 0);
	KTAP_EXPECT(diode_frame_parse(buf, SIZE_MAX, &f) == DIODE_FRAME_OK);
	KTAP_EXPECT(f.body_len == SIZE_MAX - 52 - 16);
	build(buf, sizeof(buf), DIODE_FRAME_DATA, 3, 3);
	KTAP_EXPECT(diode_frame_parse(buf, SIZE_MAX, &f) == DIODE_FRAME_OK);
	KTAP_EXPECT(f.body_len == SIZE_MAX - 12 - 16);
	return true;
}

/*
 * An independent statement of the rules, in the documented order, checked
 * against the parser for every value of the first two bytes, with zero and
 * non-zero tags and counters, and lengths around both minimums.
 */
static enum diode_frame_status model(u8 b0, u8 flags, u16 tag, u64 counter,
				     size_t len)
{
	unsigned int ver = b0 >> 4, type = b0 & 15;

	if (len < 28)
		return DIODE_FRAME_TOO_SHORT;
	if (ver != 1)
		return DIODE_FRAME_BAD_VERSION;
	if (type == 0 || type > 4)
		return DIODE_FRAME_BAD_TYPE;
	if (flags != 0)
		return DIODE_FRAME_BAD_FLAGS;
	if (tag == 0)
		return DIODE_FRAME_ZERO_TAG;
	if (type == 2 && counter != 0)
		return DIODE_FRAME_ANNOUNCE_COUNTER;
	if (type != 2 && counter == 0)
		return DIODE_FRAME_ZERO_COUNTER;
	if (type == 2 && len < 68)
		return DIODE_FRAME_ANNOUNCE_TOO_SHORT;
	return DIODE_FRAME_OK;
}

static bool test_exhaustive_first_bytes(void)
{
	static const size_t lens[] = { 27, 28, 67, 68 };
	static const u16 tags[] = { 0, 1 };
	static const u64 counters[] = { 0, 1 };
	u8 buf[68];
	unsigned int b0, fl;
	size_t l, t, c;
	unsigned long n = 0;

	for (b0 = 0; b0 < 256; b0++)
		for (fl = 0; fl < 256; fl++)
			for (l = 0; l < 4; l++)
				for (t = 0; t < 2; t++)
					for (c = 0; c < 2; c++) {
						struct diode_frame f;

						build(buf, sizeof(buf), 1,
						      tags[t], counters[c]);
						buf[0] = (u8)b0;
						buf[1] = (u8)fl;
						KTAP_EXPECT(diode_frame_parse(
							buf, lens[l], &f) ==
							model((u8)b0, (u8)fl,
							      tags[t],
							      counters[c],
							      lens[l]));
						n++;
					}
	ktap_diag("%lu combinations", n);
	return true;
}

/* Random bytes: the parser must agree with the model on all of them. */
static bool test_random_bytes(void)
{
	struct prng p = { 42 };
	u8 buf[96];
	int i;

	for (i = 0; i < 200000; i++) {
		size_t len = prng_below(&p, sizeof(buf) + 1), j;
		struct diode_frame f;
		u16 tag;
		u64 counter;

		for (j = 0; j < sizeof(buf); j++)
			buf[j] = (u8)prng_next(&p);
		/* Bias towards valid fields so that later checks are reached. */
		if (prng_below(&p, 2))
			buf[0] = (u8)(0x10 | prng_below(&p, 6));
		if (prng_below(&p, 2))
			buf[1] = 0;
		if (prng_below(&p, 4) == 0)
			memset(buf + 4, 0, 8);
		tag = (u16)(buf[2] << 8 | buf[3]);
		counter = 0;
		for (j = 4; j < 12; j++)
			counter = counter << 8 | buf[j];
		KTAP_EXPECT(parse_exact(buf, len, &f) ==
			    model(buf[0], buf[1], tag, counter, len));
	}
	return true;
}

/* A frame with several faults is counted once, under the first check. */
static bool test_precedence(void)
{
	u8 buf[DIODE_ANNOUNCE_MIN_LEN];

	build(buf, sizeof(buf), DIODE_FRAME_ANNOUNCE, 0, 5);
	buf[0] = 0x2f;
	buf[1] = 1;
	KTAP_EXPECT(expect_status(buf, 27, DIODE_FRAME_TOO_SHORT));
	KTAP_EXPECT(expect_status(buf, 40, DIODE_FRAME_BAD_VERSION));
	buf[0] = 0x1f;
	KTAP_EXPECT(expect_status(buf, 40, DIODE_FRAME_BAD_TYPE));
	buf[0] = 0x12;
	KTAP_EXPECT(expect_status(buf, 40, DIODE_FRAME_BAD_FLAGS));
	buf[1] = 0;
	KTAP_EXPECT(expect_status(buf, 40, DIODE_FRAME_ZERO_TAG));
	buf[3] = 1;
	KTAP_EXPECT(expect_status(buf, 40, DIODE_FRAME_ANNOUNCE_COUNTER));
	buf[11] = 0;
	KTAP_EXPECT(expect_status(buf, 40, DIODE_FRAME_ANNOUNCE_TOO_SHORT));
	return true;
}

static bool test_status_names(void)
{
	int i, j;

	for (i = 0; i < DIODE_FRAME_NR_STATUS; i++) {
		const char *a = diode_frame_status_str(i);

		KTAP_EXPECT(strcmp(a, "?"));
		for (j = 0; j < i; j++)
			KTAP_EXPECT(strcmp(a, diode_frame_status_str(j)));
	}
	KTAP_EXPECT(!strcmp(diode_frame_status_str(DIODE_FRAME_NR_STATUS), "?"));
	return true;
}

static bool test_nonce(void)
{
	static const u8 salt[DIODE_SALT_LEN] = { 0xde, 0xad, 0xbe, 0xef };
	static const u8 want[DIODE_NONCE_LEN] = {
		0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};
	static const u8 want_max[DIODE_NONCE_LEN] = {
		0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff,
	};
	u8 nonce[DIODE_NONCE_LEN + 1];
	u8 hdr[DIODE_HEADER_LEN];

	memset(nonce, 0x55, sizeof(nonce));
	diode_nonce(nonce, salt, 0x0102030405060708ULL);
	KTAP_EXPECT(!memcmp(nonce, want, DIODE_NONCE_LEN));
	KTAP_EXPECT(nonce[DIODE_NONCE_LEN] == 0x55);
	diode_nonce(nonce, salt, ~0ULL);
	KTAP_EXPECT(!memcmp(nonce, want_max, DIODE_NONCE_LEN));
	/* The nonce carries the counter exactly as the header does. */
	diode_header_encode(hdr, DIODE_FRAME_DATA, 9, 0xfedcba9876543210ULL);
	diode_nonce(nonce, salt, 0xfedcba9876543210ULL);
	KTAP_EXPECT(!memcmp(nonce + 4, hdr + 4, 8));
	return true;
}

static const struct ktap_test tests[] = {
	{ "constants", test_constants },
	{ "header_bytes", test_header_bytes },
	{ "round_trip", test_round_trip },
	{ "unaligned", test_unaligned },
	{ "reject_too_short", test_reject_too_short },
	{ "reject_version", test_reject_version },
	{ "reject_type", test_reject_type },
	{ "reject_flags", test_reject_flags },
	{ "reject_zero_tag", test_reject_zero_tag },
	{ "reject_counters", test_reject_counters },
	{ "truncated_every_length", test_truncated },
	{ "huge_length", test_huge_length },
	{ "precedence", test_precedence },
	{ "exhaustive_first_bytes", test_exhaustive_first_bytes },
	{ "random_bytes", test_random_bytes },
	{ "status_names", test_status_names },
	{ "nonce", test_nonce },
};

int main(void)
{
	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
