// SPDX-License-Identifier: GPL-2.0
/*
 * rxfuzz: forged frames for a diode receiver, fast (selftests/fuzz.sh).
 *
 *   rxfuzz [options] --corpus FILE DST PORT
 *
 * Reads captured frames of a live link (one per line, the frame as hex in
 * the last field, as `wire.py frames` prints them) and sends DST:PORT frames
 * made from them and from nothing: first a sweep (every length of a frame of
 * each type, every bit, every value of every header byte and of the
 * ANNOUNCE's cleartext and the PARITY descriptor's place), then random
 * mutations (bit flips, bytes, truncation, extension, field-wise changes of
 * version, type, flags, tag, counter, ephemeral key, created, parity
 * descriptor and GCM tag, splicing, held-frame patterns, replays, frames
 * larger than the MTU) in rounds of one class each.
 *
 * Frame i depends only on the seed, the corpus, the start time (--now) and
 * i, so that any stretch of a run can be sent again or printed (--first,
 * --frames, --print): that is the reproducer of whatever a run finds. The
 * kernel CPU time of the guest (/proc/stat: system + irq + softirq, all
 * CPUs) is read around every round and summed per class; three classes are
 * yardsticks, frames of version 0 that the receiver refuses at its first
 * check. A JSON summary goes to stdout (or --json), with the counts the
 * receiver's counters are checked against: frames sent, and of them the
 * ANNOUNCE frames of the live session's tag and key (which the receiver
 * drops after a comparison, counting them nowhere) and the ANNOUNCE frames
 * it queues for its worker (each refused as stale or rate limited, or a
 * key derivation).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HDR 12
#define TAGLEN 16
#define ANN_LEN 76		/* header, E, created, 8 sealed bytes, tag */
#define E_OFF 12
#define CREATED_OFF 44
#define DESC_OFF 12		/* PARITY: base, count, M, index, 0, L */
#define BIG_MAX 65507		/* the largest UDP payload over IPv4 */
static size_t big_max = BIG_MAX;	/* max_len with --eth: no larger frames */
#define CORPUS_MAX 4096
#define BATCH_MAX 64

enum { T_DATA = 1, T_ANNOUNCE = 2, T_HEARTBEAT = 3, T_PARITY = 4 };

/* Classes of frames, each in rounds of its own, each with its CPU figure. */
enum cls {
	C_SWEEP, C_RANDOM, C_DATA, C_ANNOUNCE, C_HEARTBEAT, C_PARITY, C_SPLICE,
	C_HELD, C_REPLAY, C_DERIVE, C_BIG,
	/* The yardsticks of CPU time: frames of version 0, refused by the
	 * first check, short, of the MTU, or larger.
	 */
	C_BASE_SHORT, C_BASE_MTU, C_BASE_BIG, C_N
};
static const char *const cls_name[C_N] = {
	"sweep", "random", "data", "announce", "heartbeat", "parity", "splice",
	"held", "replay", "derive", "big", "base_short", "base_mtu", "base_big",
};
/*
 * One cycle of rounds: the weight of each class in the random phase. Frames
 * larger than the MTU cost some 30 times more to send and reassemble: one
 * round in BIG_EVERY is of them, and one of their yardstick.
 */
static const enum cls cycle[] = {
	C_RANDOM, C_DATA, C_ANNOUNCE, C_PARITY, C_HEARTBEAT, C_SPLICE, C_DATA,
	C_BASE_SHORT, C_HELD, C_RANDOM, C_PARITY, C_REPLAY, C_DERIVE, C_DATA,
	C_SPLICE, C_BASE_MTU, C_PARITY, C_ANNOUNCE,
};
#define CYCLE_LEN (sizeof(cycle) / sizeof(cycle[0]))
#define BIG_EVERY 128

struct frame {
	uint8_t *b;
	size_t len;
	int type;
	uint16_t tag;
	uint64_t counter;
};

static struct frame corpus[CORPUS_MAX];
static size_t ncorpus;
/* Indexes into corpus by type (1..4). */
static size_t *bytype[5];
static size_t nbytype[5];

/* The live session: the ANNOUNCE with the newest `created`. */
static uint16_t live_tag;
static uint8_t live_e[32];
static uint64_t live_created, live_counter_max;
static bool have_live;

/* The sweep's frames: one per type of the live session, and its longest DATA. */
#define NREP 5
static const struct frame *rep[NREP];

static size_t max_len = 1472;	/* the largest unfragmented payload */
static uint64_t seed = 1;
static uint64_t round_len = 512;
static uint64_t now_ns;		/* CLOCK_REALTIME at the start */

/* The X25519 points of small order (and their non-canonical forms). */
static const char *const low_order_hex[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"cdeb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
	"4c9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
	"d9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"daffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	"dbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
};
#define NLOW (sizeof(low_order_hex) / sizeof(low_order_hex[0]))
static uint8_t low_order[NLOW][32];

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "rxfuzz: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

/* ---- random numbers: each frame has its own generator ---------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x2545f4914f6cdd1dULL ^ b;
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct rng *r)	/* xoshiro256** */
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int one_in)
{
	return below(r, one_in) == 0;
}

static void fill(struct rng *r, uint8_t *p, size_t n)
{
	uint64_t v;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		v = rnd(r);
		memcpy(p + i, &v, 8);
	}
	if (i < n) {
		v = rnd(r);
		memcpy(p + i, &v, n - i);
	}
}

/* A length in 0..max, every one possible, short and header-sized ones often. */
static size_t any_len(struct rng *r, size_t max)
{
	switch (below(r, 4)) {
	case 0:
		return below(r, 100 < max ? 100 : max + 1);
	case 1:
		return below(r, max + 1);
	case 2: {
		static const size_t edges[] = { 0, 1, 11, 12, 13, 27, 28, 29,
			47, 48, 52, 60, 75, 76, 77, 92, 1472, 1473, 1536, 1537 };
		size_t e = edges[below(r, sizeof(edges) / sizeof(edges[0]))];

		return e <= max ? e : max;
	}
	default:
		return below(r, 1600 < max ? 1600 : max + 1);
	}
}

/* ---- frame fields ------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint8_t interesting8(struct rng *r)
{
	static const uint8_t v[] = { 0, 1, 2, 0x0f, 0x10, 0x11, 0x12, 0x13,
		0x14, 0x15, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0x81, 0xfe, 0xff };

	return v[below(r, sizeof(v))];
}

static const struct frame *pick(struct rng *r, int type)
{
	if (type && nbytype[type])
		return &corpus[bytype[type][below(r, nbytype[type])]];
	return &corpus[below(r, ncorpus)];
}

static uint16_t some_tag(struct rng *r)
{
	switch (below(r, 6)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return live_tag;
	case 3:
		return live_tag ^ (1u << below(r, 16));
	case 4:
		return pick(r, 0)->tag;
	default:
		return rnd(r);
	}
}

static uint64_t some_counter(struct rng *r, uint64_t near)
{
	static const uint64_t deltas[] = { 1, 2, 63, 64, 65, 8191, 8192, 8193,
		65535, 65536, 65537, 1u << 20, 1ULL << 32 };
	uint64_t d = deltas[below(r, sizeof(deltas) / sizeof(deltas[0]))];

	switch (below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return ~0ULL - below(r, 3);
	case 3:
		return 1ULL << 63 | below(r, 2);
	case 4:
		return near + d;
	case 5:
		return near - d;
	case 6:
		return near + below(r, 100000);
	case 7:
		return near > 100000 ? near - below(r, 100000) : below(r, 100000);
	case 8:
		return live_counter_max + below(r, 200000);
	default:
		return rnd(r) >> below(r, 64);
	}
}

static uint64_t some_created(struct rng *r, uint64_t was)
{
	const uint64_t sec = 1000000000ULL, day = 86400 * sec;

	switch (below(r, 12)) {
	case 0:
		return 0;
	case 1:
		return ~0ULL;
	case 2:
		return live_created;
	case 3:
		return live_created - 1;
	case 4:
		return live_created + 1;
	case 5:
		return now_ns + below(r, 60 * sec);
	case 6:
		return now_ns - day - below(r, 2 * sec);
	case 7:
		return now_ns - day + 2 * sec + below(r, sec);
	case 8:
		return now_ns + day * below(r, 10000);
	case 9:
		return was ^ (1ULL << below(r, 64));
	case 10:
		return was + below(r, 1000) - 500;
	default:
		return rnd(r);
	}
}

static void some_ephemeral(struct rng *r, uint8_t *e)
{
	switch (below(r, 6)) {
	case 0:
		memcpy(e, low_order[below(r, NLOW)], 32);
		break;
	case 1:
		memcpy(e, live_e, 32);
		break;
	case 2:
		memcpy(e, live_e, 32);
		e[below(r, 32)] ^= 1u << below(r, 8);
		break;
	case 3:
		if (nbytype[T_ANNOUNCE]) {
			memcpy(e, pick(r, T_ANNOUNCE)->b + E_OFF, 32);
			break;
		}
		/* fall through */
	default:
		fill(r, e, 32);
	}
}

/* ---- mutations of a frame in buf of *len bytes ------------------------ */

static void mut_field(struct rng *r, uint8_t *b, size_t *len)
{
	size_t n = *len;
	int type = n ? b[0] & 0x0f : 0;

	if (n < HDR) {
		if (n)
			b[below(r, n)] = rnd(r);
		return;
	}
	switch (below(r, 12)) {
	case 0:		/* version */
		b[0] = (uint8_t)(below(r, 16) << 4) | (b[0] & 0x0f);
		break;
	case 1:		/* type */
		b[0] = (b[0] & 0xf0) | (uint8_t)below(r, 16);
		break;
	case 2:		/* flags */
		b[1] = chance(r, 2) ? 1u << below(r, 8) : (uint8_t)rnd(r);
		break;
	case 3:
		put16(b + 2, some_tag(r));
		break;
	case 4:
	case 5:
		put64(b + 4, some_counter(r, get64(b + 4)));
		break;
	case 6:		/* ANNOUNCE cleartext, or where it would be */
		if (n >= E_OFF + 32)
			some_ephemeral(r, b + E_OFF);
		break;
	case 7:
		if (n >= CREATED_OFF + 8)
			put64(b + CREATED_OFF, some_created(r, get64(b + CREATED_OFF)));
		break;
	case 8:		/* the PARITY descriptor's place (sealed: only auth sees it) */
		if (n >= DESC_OFF + 14) {
			switch (below(r, 6)) {
			case 0:
				put64(b + DESC_OFF, some_counter(r, get64(b + DESC_OFF)));
				break;
			case 1:
				b[DESC_OFF + 8] = interesting8(r);	/* count */
				break;
			case 2:
				b[DESC_OFF + 9] = interesting8(r);	/* M */
				break;
			case 3:
				b[DESC_OFF + 10] = interesting8(r);	/* index */
				break;
			case 4:
				b[DESC_OFF + 11] = interesting8(r);
				break;
			default:
				put16(b + DESC_OFF + 12, rnd(r));	/* L */
			}
		}
		break;
	case 9:		/* the GCM tag */
		if (n >= TAGLEN) {
			if (chance(r, 2))
				b[n - TAGLEN + below(r, TAGLEN)] ^= 1u << below(r, 8);
			else
				memset(b + n - TAGLEN, chance(r, 2) ? 0 : 0xff, TAGLEN);
		}
		break;
	case 10:	/* a whole valid-looking header of another type */
		b[0] = 0x10 | (uint8_t)(1 + below(r, 4));
		b[1] = 0;
		if (type == T_ANNOUNCE)
			put64(b + 4, 1 + below(r, 1000));
		else if (chance(r, 4))
			put64(b + 4, 0);
		break;
	default: {	/* the header of another captured frame */
		const struct frame *o = pick(r, 0);

		memcpy(b, o->b, HDR);
	}
	}
}

static void mutate_once(struct rng *r, uint8_t *b, size_t *len, size_t cap)
{
	size_t n = *len, at, k;
	const struct frame *o;

	switch (below(r, 10)) {
	case 0:		/* one bit */
		if (n)
			b[below(r, n)] ^= 1u << below(r, 8);
		break;
	case 1:		/* a few bytes */
		for (k = 1 + below(r, 4); n && k; k--)
			b[below(r, n)] = chance(r, 2) ? interesting8(r) : rnd(r);
		break;
	case 2:		/* truncate */
		*len = below(r, n + 1);
		break;
	case 3:		/* extend */
		k = any_len(r, cap);
		if (k > n) {
			if (chance(r, 2))
				fill(r, b + n, k - n);
			else
				memset(b + n, chance(r, 2) ? 0 : 0xff, k - n);
			*len = k;
		}
		break;
	case 4:
	case 5:
	case 6:
		mut_field(r, b, len);
		break;
	case 7:		/* splice: this frame's start, another's end */
		o = pick(r, 0);
		at = below(r, n + 1);
		k = below(r, o->len + 1);
		if (at + (o->len - k) <= cap) {
			memcpy(b + at, o->b + k, o->len - k);
			*len = at + o->len - k;
		}
		break;
	case 8:		/* delete or duplicate a stretch */
		if (n > 1) {
			at = below(r, n);
			k = 1 + below(r, n - at);
			if (chance(r, 2)) {
				memmove(b + at, b + at + k, n - at - k);
				*len = n - k;
			} else if (n + k <= cap) {
				memmove(b + at + k, b + at, n - at);
				*len = n + k;
			}
		}
		break;
	default:	/* random stretch */
		if (n) {
			at = below(r, n);
			fill(r, b + at, 1 + below(r, n - at < 64 ? n - at : 64));
		}
	}
}

static size_t from_corpus(const struct frame *f, uint8_t *b)
{
	memcpy(b, f->b, f->len);
	return f->len;
}

static void mutate(struct rng *r, uint8_t *b, size_t *len, size_t cap)
{
	unsigned int k = 1 + (chance(r, 3) ? below(r, 6) : 0);

	while (k--)
		mutate_once(r, b, len, cap);
}

/* A frame with a right-looking header and random rest. */
static size_t plausible(struct rng *r, uint8_t *b, size_t cap)
{
	int type = 1 + below(r, 4);
	size_t n;

	if (type == T_ANNOUNCE && !chance(r, 4))
		n = ANN_LEN;
	else
		n = any_len(r, cap);
	if (n < HDR)
		n = HDR;
	fill(r, b, n);
	b[0] = 0x10 | type;
	b[1] = 0;
	put16(b + 2, some_tag(r));
	put64(b + 4, type == T_ANNOUNCE ? 0 : some_counter(r, live_counter_max));
	if (type == T_ANNOUNCE && n >= CREATED_OFF + 8) {
		some_ephemeral(r, b + E_OFF);
		put64(b + CREATED_OFF, some_created(r, now_ns));
	}
	return n;
}

/* ---- the sweep: deterministic, frame by frame ------------------------- */

/* Bytes whose every value the sweep sends, per frame of the sweep. */
static size_t sweep_bytes(int k)
{
	const struct frame *f = rep[k];

	if (!f || k == 4)
		return 0;
	if (f->type == T_ANNOUNCE)
		return CREATED_OFF + 8;		/* header, E, created */
	if (f->type == T_PARITY)
		return f->len < 64 ? f->len : 64;	/* header, descriptor, offsets */
	return HDR;
}

static uint64_t sweep_len_of(int k, int part)
{
	const struct frame *f = rep[k];

	if (!f)
		return 0;
	switch (part) {
	case 0:
		return max_len + 1;		/* every length */
	case 1:
		return f->len * 8;		/* every bit */
	default:
		return sweep_bytes(k) * 256;	/* every value of some bytes */
	}
}

static uint64_t sweep_total(void)
{
	uint64_t n = 0;
	int k, part;

	for (k = 0; k < NREP; k++)
		for (part = 0; part < 3; part++)
			n += sweep_len_of(k, part);
	return n;
}

static size_t sweep_frame(uint64_t i, uint8_t *b)
{
	struct rng r;
	int k, part;
	uint64_t n;
	size_t len;

	rng_init(&r, seed, i);
	for (k = 0; k < NREP; k++) {
		for (part = 0; part < 3; part++) {
			n = sweep_len_of(k, part);
			if (i >= n) {
				i -= n;
				continue;
			}
			len = from_corpus(rep[k], b);
			switch (part) {
			case 0:
				if (i > len)
					fill(&r, b + len, i - len);
				return i;
			case 1:
				b[i / 8] ^= 1u << (i % 8);
				return len;
			default:
				b[i / 256] = i % 256;
				return len;
			}
		}
	}
	return 0;
}

/* ---- frame i of the run ------------------------------------------------ */

static uint64_t nsweep;

static enum cls class_of(uint64_t i)
{
	uint64_t round;

	if (i < nsweep)
		return C_SWEEP;
	round = (i - nsweep) / round_len;
	if (big_max > max_len && round % BIG_EVERY == BIG_EVERY - 1)
		return C_BIG;
	if (big_max > max_len && round % BIG_EVERY == BIG_EVERY / 2 - 1)
		return C_BASE_BIG;
	return cycle[round % CYCLE_LEN];
}

static size_t make_frame_of(uint64_t i, uint8_t *b, enum cls *clsp)
{
	enum cls c = class_of(i);
	struct rng r;
	size_t len, cap = max_len;
	const struct frame *f;
	uint16_t tag;

	*clsp = c;
	if (c == C_SWEEP)
		return sweep_frame(i, b);
	rng_init(&r, seed, i);
	switch (c) {
	case C_RANDOM:
		if (chance(&r, 2)) {
			len = any_len(&r, cap);
			fill(&r, b, len);
		} else {
			len = plausible(&r, b, cap);
		}
		if (chance(&r, 3))
			mutate(&r, b, &len, cap);
		return len;
	case C_DATA:
	case C_ANNOUNCE:
	case C_HEARTBEAT:
	case C_PARITY:
		f = pick(&r, c == C_DATA ? T_DATA : c == C_ANNOUNCE ? T_ANNOUNCE :
			 c == C_HEARTBEAT ? T_HEARTBEAT : T_PARITY);
		len = from_corpus(f, b);
		if (c == C_ANNOUNCE && chance(&r, 4)) {
			/* A forged ANNOUNCE of the right length: new session or not. */
			put16(b + 2, some_tag(&r));
			some_ephemeral(&r, b + E_OFF);
			put64(b + CREATED_OFF, some_created(&r, get64(b + CREATED_OFF)));
			fill(&r, b + CREATED_OFF + 8, ANN_LEN - CREATED_OFF - 8);
			if (chance(&r, 2))
				return len;
		}
		mutate(&r, b, &len, cap);
		return len;
	case C_SPLICE: {
		const struct frame *g = pick(&r, 0);
		size_t at;

		f = pick(&r, 0);
		at = below(&r, f->len + 1);
		len = from_corpus(f, b);
		if (chance(&r, 2)) {
			/* f's header, g's body and tag */
			if (f->len >= HDR && g->len >= HDR) {
				memcpy(b + HDR, g->b + HDR, g->len - HDR);
				len = g->len;
			}
		} else {
			/* f's first `at` bytes, g's last bytes */
			size_t k = below(&r, g->len + 1);

			memcpy(b + at, g->b + k, g->len - k);
			len = at + g->len - k;
		}
		if (chance(&r, 2))
			mutate(&r, b, &len, cap);
		return len;
	}
	case C_HELD: {
		/* Groups of 8: an ANNOUNCE of a new tag, then frames with that tag,
		 * which the receiver may hold while the ANNOUNCE waits.
		 */
		struct rng g;

		rng_init(&g, seed ^ 0x5eed, i / 8);
		tag = rnd(&g) | 1;
		if (i % 8 == 0) {
			f = pick(&r, T_ANNOUNCE);
			len = from_corpus(f, b);
			put16(b + 2, tag);
			some_ephemeral(&r, b + E_OFF);
			if (chance(&r, 2))
				put64(b + CREATED_OFF, now_ns + below(&r, 1000000000ULL));
			else
				put64(b + CREATED_OFF, some_created(&r, live_created));
			return len;
		}
		{
			static const int sealed[] = { T_DATA, T_DATA, T_HEARTBEAT,
						      T_PARITY };

			f = pick(&r, sealed[below(&r, 4)]);
		}
		len = from_corpus(f, b);
		put16(b + 2, tag);
		if (chance(&r, 4))
			mutate(&r, b, &len, cap);
		return len;
	}
	case C_REPLAY:
		f = pick(&r, 0);
		len = from_corpus(f, b);
		if (chance(&r, 2) && len >= HDR && f->type != T_ANNOUNCE)
			put64(b + 4, some_counter(&r, f->counter));
		return len;
	case C_DERIVE:
		/* An ANNOUNCE of a new session, fresh and of the right length:
		 * without the rate limit, each would cost a key derivation.
		 */
		f = pick(&r, T_ANNOUNCE);
		len = from_corpus(f, b);
		put16(b + 2, rnd(&r) | 1);
		if (chance(&r, 8))
			memcpy(b + E_OFF, low_order[below(&r, NLOW)], 32);
		else
			fill(&r, b + E_OFF, 32);
		put64(b + CREATED_OFF, now_ns + below(&r, 1000000000ULL));
		fill(&r, b + CREATED_OFF + 8, ANN_LEN - CREATED_OFF - 8);
		return len;
	case C_BASE_SHORT:
	case C_BASE_MTU:
		len = c == C_BASE_SHORT ? 28 + below(&r, 100) :
		      max_len - below(&r, 128);
		fill(&r, b, len);
		b[0] &= 0x0f;
		return len;
	case C_BASE_BIG:
	case C_BIG: {
		/* Larger than the MTU: the receiver gets them reassembled. */
		size_t want = max_len + 1 + below(&r, BIG_MAX - max_len);

		if (chance(&r, 4))
			want = BIG_MAX - below(&r, 2);
		if (c == C_BASE_BIG) {
			fill(&r, b, want);
			b[0] &= 0x0f;
			return want;
		}
		f = pick(&r, 0);
		len = from_corpus(f, b);
		if (want > len) {
			fill(&r, b + len, want - len);
			len = want;
		}
		if (chance(&r, 2))
			mut_field(&r, b, &len);
		return len;
	}
	default:
		return 0;
	}
}

/* Frame i into b; its length, its class into *clsp. */
static size_t make_frame(uint64_t i, uint8_t *b, enum cls *clsp)
{
	size_t len = make_frame_of(i, b, clsp);

	/* Splices and extensions stay within what the link carries. */
	return len < big_max ? len : big_max;
}

/* Frames the receiver takes for a repeat of its live ANNOUNCE: dropped
 * silently, counted nowhere, by design (a held session's tag and E).
 */
static bool silent(const uint8_t *b, size_t len)
{
	return have_live && len == ANN_LEN && b[0] == 0x12 && b[1] == 0 &&
	       ((unsigned int)b[2] << 8 | b[3]) == live_tag &&
	       get64(b + 4) == 0 && !memcmp(b + E_OFF, live_e, 32);
}

/* An ANNOUNCE that the receiver queues for its worker (a well-formed frame
 * of the right length, of no session held), which then refuses it as stale,
 * or as rate limited, or spends a key derivation on it: the receiver's
 * counters tell how many derivations the run cost.
 */
static bool derivable(const uint8_t *b, size_t len)
{
	return len == ANN_LEN && b[0] == 0x12 && b[1] == 0 && (b[2] || b[3]) &&
	       get64(b + 4) == 0 && !silent(b, len);
}

/* ---- the corpus ------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t unhex(const char *s, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return 0;
		out[i] = hi << 4 | lo;
	}
	return n / 2;
}

static void load_corpus(const char *path)
{
	char *line = NULL, *hex;
	size_t cap = 0, n, i;
	ssize_t got;
	FILE *fp = fopen(path, "r");
	int t;

	if (!fp)
		die("%s: %s", path, strerror(errno));
	while ((got = getline(&line, &cap, fp)) > 0 && ncorpus < CORPUS_MAX) {
		while (got && (line[got - 1] == '\n' || line[got - 1] == ' '))
			line[--got] = 0;
		hex = strrchr(line, ' ');
		hex = hex ? hex + 1 : line;
		n = strlen(hex);
		if (n < 2 * HDR || n % 2 || n / 2 > BIG_MAX)
			continue;
		struct frame *f = &corpus[ncorpus];

		f->b = malloc(n / 2);
		if (!f->b)
			die("out of memory");
		f->len = unhex(hex, n, f->b);
		if (f->len < HDR || f->b[0] >> 4 != 1 ||
		    (f->b[0] & 0x0f) < T_DATA || (f->b[0] & 0x0f) > T_PARITY) {
			free(f->b);
			continue;
		}
		f->type = f->b[0] & 0x0f;
		f->tag = (uint16_t)(f->b[2] << 8 | f->b[3]);
		f->counter = get64(f->b + 4);
		ncorpus++;
	}
	free(line);
	fclose(fp);
	if (!ncorpus)
		die("%s: no frame", path);
	for (t = 1; t <= 4; t++)
		bytype[t] = calloc(ncorpus, sizeof(size_t));
	for (i = 0; i < ncorpus; i++) {
		struct frame *f = &corpus[i];

		bytype[f->type][nbytype[f->type]++] = i;
		if (f->type == T_ANNOUNCE && f->len == ANN_LEN &&
		    (!have_live || get64(f->b + CREATED_OFF) > live_created)) {
			have_live = true;
			live_tag = f->tag;
			live_created = get64(f->b + CREATED_OFF);
			memcpy(live_e, f->b + E_OFF, 32);
		}
	}
	for (i = 0; i < ncorpus; i++) {
		const struct frame *f = &corpus[i];

		if (!have_live || f->tag != live_tag || f->type == T_ANNOUNCE)
			continue;
		if (f->counter > live_counter_max)
			live_counter_max = f->counter;
		if (!rep[f->type - 1])
			rep[f->type - 1] = f;
		/* rep[1] is the ANNOUNCE; the last is the longest DATA */
		if (f->type == T_DATA && (!rep[4] || f->len > rep[4]->len))
			rep[4] = f;
	}
	for (i = 0; i < ncorpus; i++)
		if (corpus[i].type == T_ANNOUNCE && have_live &&
		    corpus[i].tag == live_tag &&
		    !memcmp(corpus[i].b + E_OFF, live_e, 32)) {
			rep[1] = &corpus[i];
			break;
		}
}

/* ---- CPU time ---------------------------------------------------------- */

struct cpu {
	uint64_t kernel, total;
};

static struct cpu cpu_now(void)
{
	unsigned long long v[10] = { 0 };
	struct cpu c = { 0, 0 };
	char buf[512];
	FILE *fp = fopen("/proc/stat", "r");
	int i;

	if (!fp)
		return c;
	if (fgets(buf, sizeof(buf), fp) &&
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]) >= 7) {
		/* user nice system idle iowait irq softirq steal guest guest_nice */
		c.kernel = v[2] + v[5] + v[6];
		for (i = 0; i < 8; i++)
			c.total += v[i];
	}
	fclose(fp);
	return c;
}

static double real_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct cls_stat {
	uint64_t frames, bytes, kernel_ticks, total_ticks, ns;
};

static volatile sig_atomic_t stop;

/* The run's end: --frames sent, or --seconds gone, but not before --min-frames. */
static uint64_t run_first, run_frames, run_min, t_end;

static bool finished(uint64_t i, uint64_t now)
{
	uint64_t sent = i - run_first;

	if (sent < run_min)
		return false;
	if (run_frames && sent >= run_frames)
		return true;
	return t_end && now && now >= t_end;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* A UDP socket from SPORT to HOST:PORT (into *dst); larger than the MTU is
 * fragmented here, never refused.
 */
static int open_udp(const char *host, unsigned int port, unsigned int sport,
		    struct sockaddr_storage *dst, socklen_t *dst_len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)dst;
	struct sockaddr_storage src = { 0 };
	int family, fd, v;

	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		family = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*dst_len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		family = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*dst_len = sizeof(*s6);
	} else {
		die("%s: not an address", host);
	}
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (family == AF_INET) {
		v = IP_PMTUDISC_DONT;
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
		((struct sockaddr_in *)&src)->sin_family = AF_INET;
		((struct sockaddr_in *)&src)->sin_port = htons(sport);
	} else {
		v = IPV6_PMTUDISC_DONT;
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));
		((struct sockaddr_in6 *)&src)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&src)->sin6_port = htons(sport);
	}
	v = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (bind(fd, (struct sockaddr *)&src, family == AF_INET ?
		 sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
		die("bind to port %u: %s", sport, strerror(errno));
	return fd;
}

/* With --eth: frames as Ethernet payloads on DEV, broadcast, of the diode's
 * EtherType, from a source address of their own (so that the test tells
 * them from the sender's).
 */
static const char *eth_dev;
static unsigned int eth_type = 0x88b5;
static uint8_t eth_src[6] = { 0x02, 0, 0, 0, 0x66, 0x7a };
static uint8_t eth_hdr[14];

static int open_eth(const char *dev, struct sockaddr_storage *dst,
		    socklen_t *dst_len)
{
	struct sockaddr_ll *ll = (struct sockaddr_ll *)dst;
	int fd = socket(AF_PACKET, SOCK_RAW, 0), v = 4 << 20;

	if (fd < 0)
		die("packet socket: %s", strerror(errno));
	ll->sll_family = AF_PACKET;
	ll->sll_ifindex = if_nametoindex(dev);
	if (!ll->sll_ifindex)
		die("%s: no such device", dev);
	ll->sll_halen = 6;
	memset(ll->sll_addr, 0xff, 6);
	*dst_len = sizeof(*ll);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	memset(eth_hdr, 0xff, 6);
	memcpy(eth_hdr + 6, eth_src, 6);
	eth_hdr[12] = eth_type >> 8;
	eth_hdr[13] = eth_type;
	return fd;
}

static void usage(void)
{
	fprintf(stderr,
"usage: rxfuzz --corpus FILE [options] DST PORT\n"
"       rxfuzz --corpus FILE [options] --eth DEV\n"
"  --frames N      send N frames (default 100000 without --seconds)\n"
"  --seconds S     stop after S seconds, if N are not sent by then\n"
"  --min-frames N  with --seconds, keep going until N are sent (default:\n"
"                  the sweep and one cycle of rounds, every class once)\n"
"  --first I       start at frame I (default 0: the sweep, then random)\n"
"  --seed S        the run's seed (default 1)\n"
"  --sport P       send from this UDP port (default 40404)\n"
"  --max-len L     largest payload sent unfragmented (default 1472)\n"
"  --round R       frames per round of one class (default 512)\n"
"  --no-sweep      random frames only\n"
"  --print         print the frames (index class hex) instead of sending\n"
"  --json FILE     write the summary there instead of stdout\n"
"  --progress S    a line on stderr every S seconds (default 0: none)\n"
"  --eth DEV       send Ethernet frames on DEV (encap eth), broadcast, from\n"
"                  02:00:00:00:66:7a; no larger than --max-len (1500 then)\n"
"  --ethertype T   their EtherType (default 0x88b5)\n"
"  --now NS        the start time the frames are made with (default: the\n"
"                  clock; the summary gives it)\n"
"  --idle-probe S  first measure the kernel's CPU time for S seconds without\n"
"                  forged frames, and give each class's figure less that\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "corpus", required_argument, NULL, 'c' },
		{ "frames", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "min-frames", required_argument, NULL, 'm' },
		{ "first", required_argument, NULL, 'f' },
		{ "seed", required_argument, NULL, 's' },
		{ "sport", required_argument, NULL, 'p' },
		{ "max-len", required_argument, NULL, 'L' },
		{ "round", required_argument, NULL, 'r' },
		{ "no-sweep", no_argument, NULL, 'S' },
		{ "print", no_argument, NULL, 'P' },
		{ "json", required_argument, NULL, 'j' },
		{ "progress", required_argument, NULL, 'g' },
		{ "idle-probe", required_argument, NULL, 'i' },
		{ "now", required_argument, NULL, 'N' },
		{ "eth", required_argument, NULL, 'e' },
		{ "ethertype", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 },
	};
	const char *corpus_path = NULL, *json_path = NULL;
	uint64_t frames = 0, first = 0, min_frames = 0;
	double seconds = 0, progress = 0, idle_probe = 0;
	bool no_sweep = false, print = false;
	unsigned int sport = 40404;
	int opt, fd;
	struct sockaddr_storage dst = { 0 };
	socklen_t dst_len;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': corpus_path = optarg; break;
		case 'n': frames = strtoull(optarg, NULL, 0); break;
		case 't': seconds = atof(optarg); break;
		case 'm': min_frames = strtoull(optarg, NULL, 0); break;
		case 'f': first = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'p': sport = atoi(optarg); break;
		case 'L': max_len = strtoul(optarg, NULL, 0); break;
		case 'r': round_len = strtoull(optarg, NULL, 0); break;
		case 'S': no_sweep = true; break;
		case 'P': print = true; break;
		case 'j': json_path = optarg; break;
		case 'g': progress = atof(optarg); break;
		case 'i': idle_probe = atof(optarg); break;
		case 'N': now_ns = strtoull(optarg, NULL, 0); break;
		case 'e': eth_dev = optarg; break;
		case 'E': eth_type = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (eth_dev && max_len == 1472)
		max_len = 1500;
	if (eth_dev)
		big_max = max_len;
	if (!corpus_path || (!print && argc - optind != (eth_dev ? 0 : 2)) || !round_len ||
	    max_len < 1 || max_len > BIG_MAX - 1)
		usage();
	for (size_t k = 0; k < NLOW; k++)
		unhex(low_order_hex[k], 64, low_order[k]);
	if (!now_ns) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		now_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	}
	load_corpus(corpus_path);
	nsweep = no_sweep ? 0 : sweep_total();
	if (!frames && seconds <= 0)
		frames = 100000;
	/* A slow kernel (a debug build) must still give every class, and so
	 * every yardstick, a figure.
	 */
	if (seconds > 0 && !min_frames && first < nsweep + CYCLE_LEN * round_len)
		min_frames = nsweep + CYCLE_LEN * round_len - first;
	run_first = first;
	run_frames = frames;
	run_min = min_frames;

	static uint8_t bufs[BATCH_MAX][BIG_MAX + 16];
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX][2];
	struct cls_stat st[C_N] = { 0 };
	uint64_t sent = 0, silent_n = 0, derivable_n = 0, big_n = 0, errs = 0, i = first;
	uint64_t t0, t_last_progress, idle_ticks = 0, idle_ns = 0;
	double real_start;
	int last_err = 0;

	if (print) {
		for (; i < first + frames; i++) {
			enum cls c;
			size_t len = make_frame(i, bufs[0], &c), k;

			printf("%" PRIu64 " %s ", i, cls_name[c]);
			for (k = 0; k < len; k++)
				printf("%02x", bufs[0][k]);
			printf("\n");
		}
		return 0;
	}

	if (eth_dev)
		fd = open_eth(eth_dev, &dst, &dst_len);
	else
		fd = open_udp(argv[optind], atoi(argv[optind + 1]), sport, &dst, &dst_len);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	/* What the guest's kernel spends while no forged frame is sent (the
	 * real traffic, the captures): subtracted from each class's figure.
	 */
	if (idle_probe > 0) {
		struct cpu a = cpu_now();
		uint64_t ta = mono_ns();

		usleep((useconds_t)(idle_probe * 1e6));
		struct cpu b = cpu_now();

		idle_ticks = b.kernel - a.kernel;
		idle_ns = mono_ns() - ta;
	}
	t0 = t_last_progress = mono_ns();
	real_start = real_now();
	if (seconds > 0)
		t_end = t0 + (uint64_t)(seconds * 1e9);
	for (;;) {
		enum cls c = class_of(i), c2;
		unsigned int n = 0, done, failed = 0;
		uint64_t now = mono_ns(), ta;
		struct cpu a, b;

		if (stop || finished(i, now))
			break;
		if (progress > 0 && now - t_last_progress >= progress * 1e9) {
			fprintf(stderr, "rxfuzz: %" PRIu64 " frames, %.0f/s, next %" PRIu64 "\n",
				sent, sent / ((now - t0) / 1e9), i);
			t_last_progress = now;
		}
		/* One round of one class, batch by batch. */
		a = cpu_now();
		ta = now;
		do {
			for (n = 0; n < BATCH_MAX && !finished(i + n, 0); n++) {
				size_t len = make_frame(i + n, bufs[n], &c2);

				if (c2 != c)
					break;
				/* The Ethernet header, with --eth, then the frame. */
				iov[n][0].iov_base = eth_hdr;
				iov[n][0].iov_len = eth_dev ? sizeof(eth_hdr) : 0;
				iov[n][1].iov_base = bufs[n];
				iov[n][1].iov_len = len;
				memset(&msgs[n].msg_hdr, 0, sizeof(msgs[n].msg_hdr));
				msgs[n].msg_hdr.msg_name = &dst;
				msgs[n].msg_hdr.msg_namelen = dst_len;
				msgs[n].msg_hdr.msg_iov = iov[n];
				msgs[n].msg_hdr.msg_iovlen = 2;
			}
			for (done = 0; done < n && !stop;) {
				int got = sendmmsg(fd, msgs + done, n - done, 0);

				if (got > 0) {
					done += got;
					continue;
				}
				/* No buffer for the moment: wait, never skip. */
				if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
					usleep(1000);
					continue;
				}
				/* A frame the stack refuses is not sent: count it, go on. */
				errs++;
				failed++;
				last_err = errno;
				iov[done][1].iov_len = 0;
				done++;
			}
			for (unsigned int k = 0; k < done; k++) {
				size_t len = iov[k][1].iov_len;

				silent_n += silent(bufs[k], len);
				derivable_n += derivable(bufs[k], len);
				big_n += len > max_len;
				st[c].bytes += len;
			}
			sent += done - failed;
			st[c].frames += done - failed;
			failed = 0;
			i += done;
		} while (n && done == n && !stop && class_of(i) == c &&
			 !finished(i, mono_ns()));
		b = cpu_now();
		st[c].kernel_ticks += b.kernel - a.kernel;
		st[c].total_ticks += b.total - a.total;
		st[c].ns += mono_ns() - ta;
		if (!n)
			break;
	}
	double wall = (mono_ns() - t0) / 1e9;
	long hz = sysconf(_SC_CLK_TCK);
	/* Kernel ticks per second of the guest without forged frames. */
	double idle_rate = idle_ns ? idle_ticks / (idle_ns / 1e9) : 0;
	FILE *out = json_path ? fopen(json_path, "w") : stdout;

	if (!out)
		die("%s: %s", json_path, strerror(errno));
	fprintf(out, "{\"seed\": %" PRIu64 ", \"now\": %" PRIu64 ", \"first\": %" PRIu64
		", \"frames\": %" PRIu64 ", \"next\": %" PRIu64
		", \"sweep\": %" PRIu64 ", \"seconds\": %.3f, \"frames_per_s\": %.0f"
		", \"silent_announces\": %" PRIu64 ", \"derivable_announces\": %" PRIu64
		", \"fragmented\": %" PRIu64
		", \"send_errors\": %" PRIu64 ", \"last_error\": \"%s\""
		", \"corpus\": {\"frames\": %zu, \"data\": %zu, \"announce\": %zu"
		", \"heartbeat\": %zu, \"parity\": %zu, \"live_tag\": %u}"
		", \"clk_tck\": %ld, \"idle_kernel_ticks_per_s\": %.2f"
		", \"stopped\": %s, \"from\": %.3f, \"to\": %.3f, \"classes\": {",
		seed, now_ns, first, sent, i, nsweep, wall, sent / (wall > 0 ? wall : 1),
		silent_n, derivable_n, big_n, errs, last_err ? strerror(last_err) : "",
		ncorpus, nbytype[1], nbytype[2], nbytype[3], nbytype[4],
		live_tag, hz, idle_rate, stop ? "true" : "false", real_start,
		real_now());
	for (int c = 0, comma = 0; c < C_N; c++) {
		double net;

		if (!st[c].frames)
			continue;
		net = st[c].kernel_ticks - idle_rate * st[c].ns / 1e9;
		fprintf(out, "%s\"%s\": {\"frames\": %" PRIu64 ", \"bytes\": %" PRIu64
			", \"seconds\": %.3f, \"kernel_ticks\": %" PRIu64
			", \"total_ticks\": %" PRIu64 ", \"kernel_us_per_frame\": %.2f"
			", \"net_kernel_us_per_frame\": %.2f}",
			comma ? ", " : "", cls_name[c], st[c].frames, st[c].bytes,
			st[c].ns / 1e9, st[c].kernel_ticks, st[c].total_ticks,
			st[c].kernel_ticks * 1e6 / hz / st[c].frames,
			(net > 0 ? net : 0) * 1e6 / hz / st[c].frames);
		comma = 1;
	}
	fprintf(out, "}}\n");
	if (out != stdout)
		fclose(out);
	return 0;
}
