// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of kmod/rs.c, the Reed-Solomon arithmetic of FEC.
 *
 * The encoder is checked against a reference written here from the
 * definition of the code (rs.h): its own log and antilog tables of GF(2^8),
 * the generator multiplied out, and a plain systematic encoder by
 * polynomial division, one byte column at a time; the reference itself is
 * checked by evaluating its code words at the generator's roots. The solver
 * is checked by erasing every set of up to M shards (members and parity)
 * of groups of several sizes, a sample of them where there are too many,
 * and rebuilding: exactly the erased members must come back, and with fewer
 * parity shards held than members missing it must refuse and write nothing.
 * Every buffer is allocated to its exact size, so that AddressSanitizer
 * sees any access outside what rs.h allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/cpufeature.h>

#include "ktap.h"
#include "prng.h"
#include "rs.h"

#define KMAX DIODE_FEC_DATA_MAX
#define MMAX DIODE_FEC_PARITY_MAX
/* fec.h's DIODE_FEC_SHARD_MAX: a length, then a frame of up to 1536 bytes. */
#define SHARD_MAX (2 + 1536)

/* The reference field: alpha = x, antilog and log tables. */
static u8 ref_exp[510];
static u8 ref_log[256];

static void ref_init(void)
{
	unsigned int i, v = 1;

	for (i = 0; i < 255; i++) {
		ref_exp[i] = ref_exp[i + 255] = (u8)v;
		ref_log[v] = (u8)i;
		v <<= 1;
		if (v & 0x100)
			v ^= 0x11d;
	}
}

static u8 ref_mul(u8 a, u8 b)
{
	if (!a || !b)
		return 0;
	return ref_exp[ref_log[a] + ref_log[b]];
}

/*
 * g(x) = (x + alpha^0) ... (x + alpha^(m-1)), as its m + 1 coefficients from
 * the highest degree down: gen[0] = 1.
 */
static void ref_generator(unsigned int m, u8 *gen)
{
	unsigned int i, j;

	memset(gen, 0, m + 1);
	gen[0] = 1;
	for (i = 0; i < m; i++)
		/* Multiply the degree-i polynomial by (x + alpha^i). */
		for (j = i + 1; j > 0; j--)
			gen[j] ^= ref_mul(gen[j - 1], ref_exp[i]);
}

/*
 * The code word of the k data symbols @data (highest degree first): the
 * data, then the remainder of data(x) x^m divided by g(x), into @word
 * (k + m symbols). Long division, one quotient symbol at a time.
 */
static void ref_encode(unsigned int m, unsigned int k, const u8 *data, u8 *word)
{
	u8 gen[MMAX + 1];
	unsigned int i, j;
	u8 q;

	ref_generator(m, gen);
	memcpy(word, data, k);
	memset(word + k, 0, m);
	for (i = 0; i < k; i++) {
		q = word[i];
		for (j = 1; j <= m; j++)
			word[i + j] ^= ref_mul(q, gen[j]);
	}
	/* The division consumed the data: put it back in front. */
	memcpy(word, data, k);
}

/* word(alpha^r), word of n symbols, highest degree first (Horner). */
static u8 ref_eval(const u8 *word, unsigned int n, unsigned int r)
{
	u8 acc = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		acc = ref_mul(acc, ref_exp[r]) ^ word[i];
	return acc;
}

/* The reference field is a field over 0x11d, and alpha generates it. */
static bool test_reference_field(void)
{
	unsigned int a, b, seen = 0;
	u8 hit[256] = { 0 };

	for (a = 0; a < 255; a++) {
		if (!hit[ref_exp[a]])
			seen++;
		hit[ref_exp[a]] = 1;
	}
	KTAP_EXPECT(seen == 255 && !hit[0]);
	/* x^8 = x^4 + x^3 + x^2 + 1 */
	KTAP_EXPECT(ref_exp[8] == 0x1d);
	for (a = 1; a < 256; a++) {
		for (b = 1; b < 256; b++)
			if (ref_mul((u8)a, (u8)b) == 1)
				break;
		KTAP_EXPECT(b < 256);
	}
	return true;
}

/* rs.c's product table against the reference, every pair. */
static bool test_field_matches(void)
{
	unsigned int a, b;

	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			if (diode_rs_mul((u8)a, (u8)b) != ref_mul((u8)a, (u8)b)) {
				ktap_diag("%u * %u: %u, reference %u", a, b,
					  diode_rs_mul((u8)a, (u8)b),
					  ref_mul((u8)a, (u8)b));
				return false;
			}
	return true;
}

/*
 * The reference's code words vanish at the generator's roots. For data
 * that is a lone 1 they do not vanish at alpha^m too: a word of at most
 * m + 1 nonzero symbols cannot be a code word of the code with m + 1 roots,
 * whose distance is m + 2. So the reference is the code of exactly these
 * roots.
 */
static bool test_reference_is_the_code(void)
{
	struct prng p = { 0xfec };
	u8 data[KMAX], word[KMAX + MMAX];
	unsigned int m, k, r, t;

	for (m = 1; m <= MMAX; m++) {
		for (k = 1; k <= KMAX; k++) {
			for (t = 0; t < 4; t++) {
				unsigned int i;

				for (i = 0; i < k; i++)
					data[i] = (u8)prng_next(&p);
				if (t == 0) {
					memset(data, 0, k);
					data[prng_below(&p, k)] = 1;
				}
				ref_encode(m, k, data, word);
				for (r = 0; r < m; r++)
					KTAP_EXPECT(!ref_eval(word, k + m, r));
				if (t == 0)
					KTAP_EXPECT(ref_eval(word, k + m, m));
			}
		}
	}
	return true;
}

/* Values worked out by hand, which need no table at all. */
static bool test_known_answers(void)
{
	u8 rows[3][4] = {
		{ 0x01, 0x80, 0xff, 0x00 },
		{ 0x02, 0x80, 0x0f, 0x00 },
		{ 0x04, 0x01, 0xf0, 0x00 },
	};
	u8 out[2][4], *shard[2] = { out[0], out[1] };
	u8 one = 1;

	/* M = 1: g = x + 1, the parity is the sum (XOR) of the members. */
	diode_rs_encode(1, 3, &rows[0][0], 4, 4, shard);
	KTAP_EXPECT(out[0][0] == 0x07 && out[0][1] == 0x01 &&
		    out[0][2] == 0x00 && out[0][3] == 0x00);
	/*
	 * M = 2: g = (x + 1)(x + 2) = x^2 + 3x + 2, and a lone 1 in front of
	 * the parity leaves x^2 mod g = 3x + 2: shards 3 and 2.
	 */
	diode_rs_encode(2, 1, &one, 1, 1, shard);
	KTAP_EXPECT(out[0][0] == 3 && out[1][0] == 2);
	/* One step further: x^3 mod g = 3x^2 + 2x = 3(3x + 2) + 2x = 7x + 6. */
	{
		u8 two[2] = { 1, 0 };

		diode_rs_encode(2, 2, two, 1, 1, shard);
		KTAP_EXPECT(out[0][0] == 7 && out[1][0] == 6);
	}
	return true;
}

/*
 * diode_rs_encode() against the reference for every M and K, byte column
 * by byte column, rows @stride apart with other bytes between them that
 * must not count.
 */
static bool test_encode_matches_reference(void)
{
	enum { LEN = 9, STRIDE = LEN + 5 };
	struct prng p = { 21 };
	static u8 rows[KMAX * STRIDE];
	u8 out[MMAX][LEN], *shard[MMAX];
	u8 data[KMAX], word[KMAX + MMAX];
	unsigned int m, k, i, n, j;

	for (i = 0; i < MMAX; i++)
		shard[i] = out[i];
	for (m = 1; m <= MMAX; m++) {
		for (k = 1; k <= KMAX; k++) {
			for (i = 0; i < sizeof(rows); i++)
				rows[i] = (u8)prng_next(&p);
			/* Column 0 all zeros, column 1 a lone symbol. */
			for (n = 0; n < k; n++) {
				rows[n * STRIDE] = 0;
				rows[n * STRIDE + 1] = n == k / 2;
			}
			memset(out, 0x5a, sizeof(out));
			diode_rs_encode(m, k, rows, STRIDE, LEN, shard);
			for (j = 0; j < LEN; j++) {
				for (n = 0; n < k; n++)
					data[n] = rows[n * STRIDE + j];
				ref_encode(m, k, data, word);
				for (i = 0; i < m; i++) {
					if (out[i][j] == word[k + i])
						continue;
					ktap_diag("M %u K %u column %u shard %u: %u, reference %u",
						  m, k, j, i, out[i][j],
						  word[k + i]);
					return false;
				}
			}
			/* Shards beyond M untouched. */
			for (i = m; i < MMAX; i++)
				KTAP_EXPECT(out[i][0] == 0x5a);
		}
	}
	return true;
}

/*
 * A group: K members of @used bytes each, in buffers of exactly that size,
 * the same zero-padded to @len in @padded, and M parity shards of @len.
 */
struct group {
	unsigned int k, m, len;
	unsigned int used[KMAX];
	u8 *member[KMAX];
	u8 *padded;
	u8 *parity[MMAX];
	u8 *out[KMAX];
	u8 *scratch[MMAX + 1];	/* scratch[e]: e rows of len */
};

static void *xmalloc(size_t size)
{
	/* malloc(0) may return NULL; one byte less would still be caught. */
	void *p = malloc(size ? size : 1);

	if (!p)
		abort();
	return p;
}

static void group_new(struct group *g, struct prng *p, unsigned int k,
		      unsigned int m, unsigned int len)
{
	unsigned int n, i, e;

	memset(g, 0, sizeof(*g));
	g->k = k;
	g->m = m;
	g->len = len;
	g->padded = xmalloc((size_t)k * len);
	memset(g->padded, 0, (size_t)k * len);
	for (n = 0; n < k; n++) {
		/* Mostly full rows, some short, some empty. */
		unsigned int pick = (unsigned int)prng_below(p, 8);

		g->used[n] = pick < 5 ? len : pick < 7 ?
			     (unsigned int)prng_below(p, len + 1) : 0;
		g->member[n] = xmalloc(g->used[n]);
		for (i = 0; i < g->used[n]; i++)
			g->member[n][i] = (u8)prng_next(p);
		memcpy(g->padded + (size_t)n * len, g->member[n], g->used[n]);
		g->out[n] = xmalloc(len);
	}
	for (i = 0; i < m; i++)
		g->parity[i] = xmalloc(len);
	diode_rs_encode(m, k, g->padded, len, len, g->parity);
	for (e = 0; e <= m; e++)
		g->scratch[e] = xmalloc((size_t)e * len);
}

static void group_free(struct group *g)
{
	unsigned int n, i;

	for (n = 0; n < g->k; n++) {
		free(g->member[n]);
		free(g->out[n]);
	}
	for (i = 0; i < g->m; i++)
		free(g->parity[i]);
	for (i = 0; i <= g->m; i++)
		free(g->scratch[i]);
	free(g->padded);
}

/*
 * Erase the shards whose bit is set in @erased (members 0 .. K - 1, then
 * parity K .. K + M - 1) and solve. The members in @unwanted are erased but
 * not asked for. It must succeed exactly when no more members are missing
 * than parity shards are held, rebuild each member asked for exactly, and
 * write nothing else.
 */
static bool group_try(struct group *g, const bool *erased, const bool *unwanted)
{
	struct diode_rs_row rows[KMAX];
	const u8 *parity[MMAX];
	u8 *out[KMAX];
	unsigned int n, i, missing = 0, held = 0;
	bool ok, want;

	for (n = 0; n < g->k; n++) {
		rows[n].data = erased[n] ? NULL : g->member[n];
		rows[n].used = g->used[n];
		out[n] = erased[n] && !unwanted[n] ? g->out[n] : NULL;
		missing += erased[n];
		memset(g->out[n], 0xee, g->len);
	}
	for (i = 0; i < g->m; i++) {
		parity[i] = erased[g->k + i] ? NULL : g->parity[i];
		held += !erased[g->k + i];
	}
	want = missing <= held;
	ok = diode_rs_solve(g->m, g->k, g->len, rows, parity, out,
			    g->scratch[missing < g->m ? missing : g->m]);
	if (ok != want) {
		ktap_diag("K %u M %u len %u: %u missing, %u held: solve said %s",
			  g->k, g->m, g->len, missing, held, ok ? "yes" : "no");
		return false;
	}
	for (n = 0; n < g->k; n++) {
		bool rebuilt = ok && out[n];
		const u8 *expect = g->padded + (size_t)n * g->len;

		for (i = 0; i < g->len; i++) {
			if (rebuilt ? g->out[n][i] == expect[i] :
				      g->out[n][i] == 0xee)
				continue;
			ktap_diag("K %u M %u len %u: member %u byte %u: %u%s",
				  g->k, g->m, g->len, n, i, g->out[n][i],
				  rebuilt ? " rebuilt wrong" : " written");
			return false;
		}
	}
	return true;
}

/* Next set of @e indices out of @n, in lexicographic order. */
static bool next_combination(unsigned int *idx, unsigned int e, unsigned int n)
{
	unsigned int i = e;

	while (i > 0) {
		i--;
		if (idx[i] < n - e + i) {
			idx[i]++;
			for (i++; i < e; i++)
				idx[i] = idx[i - 1] + 1;
			return true;
		}
	}
	return false;
}

static double binomial(unsigned int n, unsigned int e)
{
	double b = 1;
	unsigned int i;

	for (i = 1; i <= e; i++)
		b = b * (n - e + i) / i;
	return b;
}

/*
 * Every pattern of exactly @e erased shards of @g, one member in 3 of the
 * erased ones not asked for in some patterns; returns the patterns tried,
 * 0 on failure.
 */
static unsigned long try_all(struct group *g, unsigned int e)
{
	unsigned int n = g->k + g->m, idx[KMAX + MMAX], i;
	bool erased[KMAX + MMAX], unwanted[KMAX];
	unsigned long tried = 0;

	for (i = 0; i < e; i++)
		idx[i] = i;
	do {
		memset(erased, 0, sizeof(erased));
		memset(unwanted, 0, sizeof(unwanted));
		for (i = 0; i < e; i++) {
			erased[idx[i]] = true;
			if (idx[i] < g->k && (tried + i) % 7 == 3)
				unwanted[idx[i]] = true;
		}
		if (!group_try(g, erased, unwanted))
			return 0;
		tried++;
	} while (next_combination(idx, e, n));
	return tried;
}

/* @count random patterns of exactly @e erased shards. */
static unsigned long try_random(struct group *g, struct prng *p, unsigned int e,
				unsigned long count)
{
	unsigned int n = g->k + g->m, perm[KMAX + MMAX], i, j, t;
	bool erased[KMAX + MMAX], unwanted[KMAX] = { false };
	unsigned long c;

	for (c = 0; c < count; c++) {
		for (i = 0; i < n; i++)
			perm[i] = i;
		memset(erased, 0, sizeof(erased));
		/* The first e of a partial shuffle. */
		for (i = 0; i < e; i++) {
			j = i + (unsigned int)prng_below(p, n - i);
			t = perm[i];
			perm[i] = perm[j];
			perm[j] = t;
			erased[perm[i]] = true;
		}
		if (!group_try(g, erased, unwanted))
			return 0;
	}
	return count;
}

/* Runs of @e consecutive shards, at every position, and the members only. */
static unsigned long try_runs(struct group *g, unsigned int e)
{
	unsigned int n = g->k + g->m, s, i;
	bool erased[KMAX + MMAX], unwanted[KMAX] = { false };
	unsigned long tried = 0;

	for (s = 0; s + e <= n; s++) {
		memset(erased, 0, sizeof(erased));
		for (i = s; i < s + e; i++)
			erased[i] = true;
		if (!group_try(g, erased, unwanted))
			return 0;
		tried++;
	}
	return tried;
}

/*
 * Up to M erasures: every pattern while they number at most LIMIT for a
 * given count of erasures, else a random sample and every run. Then up to
 * two more erasures than M, which must be refused whenever members are
 * among them beyond the parity held.
 */
static bool check_code(struct prng *p, unsigned int k, unsigned int m,
		       unsigned int len, unsigned long *patterns)
{
	enum { LIMIT = 70000, SAMPLE = 3000 };
	struct group g;
	unsigned int e, emax = m + 2 < k + m ? m + 2 : k + m;
	unsigned long t;

	group_new(&g, p, k, m, len);
	for (e = 0; e <= emax; e++) {
		if (binomial(k + m, e) <= LIMIT) {
			t = try_all(&g, e);
		} else {
			t = try_random(&g, p, e, SAMPLE);
			if (t)
				t += try_runs(&g, e);
		}
		if (!t) {
			ktap_diag("K %u M %u: failed with %u erased", k, m, e);
			group_free(&g);
			return false;
		}
		*patterns += t;
	}
	group_free(&g);
	return true;
}

static const struct {
	unsigned int k, m;
} codes[] = {
	{ 1, 1 }, { 1, 2 }, { 2, 1 }, { 2, 2 }, { 3, 2 }, { 4, 2 }, { 6, 3 },
	{ 8, 8 }, { 10, 4 }, { 16, 4 }, { 16, 8 }, { 32, 1 }, { 32, 2 },
	{ 32, 4 }, { 1, 16 }, { 5, 16 }, { 16, 16 }, { 20, 12 }, { 32, 16 },
};

static bool test_repair(void)
{
	struct prng p = { 1998 };
	unsigned long patterns = 0;
	size_t c;

	for (c = 0; c < sizeof(codes) / sizeof(codes[0]); c++)
		KTAP_EXPECT(check_code(&p, codes[c].k, codes[c].m,
				       1 + (unsigned int)prng_below(&p, 12),
				       &patterns));
	ktap_diag("%lu erasure patterns", patterns);
	return true;
}

/* The largest shards, on the largest codes and a few others. */
static bool test_repair_full_shards(void)
{
	struct prng p = { 2024 };
	struct group g;
	size_t c;

	for (c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		unsigned int k = codes[c].k, m = codes[c].m, e;

		if (k + m < 16)
			continue;
		group_new(&g, &p, k, m, SHARD_MAX);
		for (e = 0; e <= m + 1; e += 1 + m / 4) {
			if (!try_random(&g, &p, e, 8) || !try_runs(&g, e)) {
				group_free(&g);
				return false;
			}
		}
		group_free(&g);
	}
	return true;
}

/* A damaged parity shard rebuilds a wrong member: the solver uses parity. */
static bool test_damaged_parity(void)
{
	struct prng p = { 5 };
	struct diode_rs_row rows[4];
	const u8 *parity[2];
	u8 *out[4] = { NULL };
	struct group g;
	unsigned int n;
	bool ok, same;

	group_new(&g, &p, 4, 2, 16);
	for (n = 0; n < 4; n++) {
		rows[n].data = n == 1 ? NULL : g.member[n];
		rows[n].used = g.used[n];
	}
	out[1] = g.out[1];
	g.parity[1][3] ^= 0x40;
	parity[0] = NULL;
	parity[1] = g.parity[1];
	ok = diode_rs_solve(2, 4, 16, rows, parity, out, g.scratch[1]);
	same = !memcmp(g.out[1], g.padded + 16, 16);
	group_free(&g);
	KTAP_EXPECT(ok);
	KTAP_EXPECT(!same);
	return true;
}

/*
 * The rows done thirty-two bytes at a time (AVX2), sixteen (SSSE3) and
 * through the product table (rs_simd.h) give the same parity, and repair
 * alike, at every length around the blocks' edges, with every M (the
 * sender's shards four at a time with AVX2, the rest one by one). What the
 * host lacks is left out.
 */
static bool test_simd_matches_table(void)
{
	static const struct {
		bool no_simd, no_avx2;
	} ways[] = { { true, true }, { false, true }, { false, false } };
	struct prng p = { 1616 };
	u8 *parity[MMAX];
	unsigned int len, i, w, mismatches = 0;
	unsigned long repaired = 0;
	struct group g;

	if (!__builtin_cpu_supports("ssse3")) {
		ktap_diag("the host has no SSSE3: one way only");
		return false;
	}
	if (!__builtin_cpu_supports("avx2"))
		ktap_diag("the host has no AVX2: two ways only");
	for (len = 0; len <= 140; len++) {
		unsigned int k = 1 + (unsigned int)prng_below(&p, KMAX);
		unsigned int m = 1 + len % MMAX;

		diode_unit_no_simd = true;
		group_new(&g, &p, k, m, len);
		for (i = 0; i < m; i++)
			parity[i] = xmalloc(len);
		for (w = 0; w < sizeof(ways) / sizeof(ways[0]); w++) {
			diode_unit_no_simd = ways[w].no_simd;
			diode_unit_no_avx2 = ways[w].no_avx2;
			diode_rs_encode(m, k, g.padded, len, len, parity);
			for (i = 0; i < m; i++)
				mismatches += !!memcmp(parity[i], g.parity[i], len);
			repaired += try_random(&g, &p, m, 4);
		}
		for (i = 0; i < m; i++)
			free(parity[i]);
		group_free(&g);
	}
	diode_unit_no_simd = false;
	diode_unit_no_avx2 = false;
	ktap_diag("%lu repairs", repaired);
	KTAP_EXPECT(!mismatches);
	KTAP_EXPECT(repaired == 141 * 3 * 4);
	return true;
}

static const struct ktap_test tests[] = {
	{ "reference_field", test_reference_field },
	{ "field_matches_reference", test_field_matches },
	{ "reference_is_the_code", test_reference_is_the_code },
	{ "known_answers", test_known_answers },
	{ "encode_matches_reference", test_encode_matches_reference },
	{ "repair_every_erasure", test_repair },
	{ "repair_full_shards", test_repair_full_shards },
	{ "damaged_parity_rebuilds_wrong", test_damaged_parity },
	{ "simd_matches_table", test_simd_matches_table },
};

int main(void)
{
	ref_init();
	diode_rs_init();
	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
