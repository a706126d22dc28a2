// SPDX-License-Identifier: GPL-2.0
/*
 * Reed-Solomon encoding and erasure repair over shard rows (see rs.h).
 *
 * Encoding is linear over GF(2^8): a parity symbol is the sum over the
 * members of each member's symbol times the parity that a lone 1 at that
 * member's distance from the end of the data would have. Those unit
 * parities are computed once per code (diode_rs_unit[m][t][i]: M = m,
 * distance t, parity shard i); the sender then combines whole shard rows
 * through a product table rather than encoding one byte column at a time,
 * which costs several times more. The receiver inverts the same linear map,
 * once per group, and rebuilds whole rows the same way (diode_rs_solve()).
 * Both use SIMD for the rows where the CPU has it (rs_simd.h).
 */
#include <linux/minmax.h>
#include <linux/string.h>

#include "rs.h"
#include "rs_simd.h"

/* diode_rs_product[a][b] = a * b in GF(2^8). */
static u8 diode_rs_product[256][256];
/* diode_rs_nibbles[a]: a * x, then a * (x << 4), for x = 0..15 (rs_simd.h) */
static u8 diode_rs_nibbles[256][32] __aligned(16);
/* diode_rs_inverse[a] * a = 1, for a != 0. */
static u8 diode_rs_inverse[256];
static u8 diode_rs_unit[DIODE_FEC_PARITY_MAX + 1][DIODE_FEC_DATA_MAX]
		       [DIODE_FEC_PARITY_MAX];

/* Carry-less multiplication, reduced by the field polynomial as it goes. */
static u8 diode_rs_mul_slow(u8 a, u8 b)
{
	unsigned int x = a, product = 0;

	for (; b; b >>= 1, x <<= 1) {
		if (x & 0x100)
			x ^= DIODE_RS_GFPOLY;
		if (b & 1)
			product ^= x;
	}
	return product;
}

/*
 * The unit parities of the code with m parity symbols: the remainders of
 * x^(m + t) modulo the generator, for t = 0 .. DIODE_FEC_DATA_MAX - 1, each
 * from the one before by a multiplication by x.
 */
static void diode_rs_init_code(unsigned int m)
{
	/* gen[i]: coefficient of x^i of g(x), monic of degree m. */
	u8 gen[DIODE_FEC_PARITY_MAX + 1] = { 1 };
	/* rem[i]: coefficient of x^i of the remainder, of degree < m. */
	u8 rem[DIODE_FEC_PARITY_MAX];
	u8 root = 1, top;
	unsigned int i, j, t;

	/* g(x) = product over j < m of (x + alpha^j), alpha = x = 2. */
	for (j = 0; j < m; j++) {
		for (i = j + 1; i > 0; i--)
			gen[i] = gen[i - 1] ^ diode_rs_mul_slow(root, gen[i]);
		gen[0] = diode_rs_mul_slow(root, gen[0]);
		root = diode_rs_mul_slow(root, 2);
	}
	/* x^m = g(x) + (the rest of g) in characteristic 2. */
	for (i = 0; i < m; i++)
		rem[i] = gen[i];
	for (t = 0; t < DIODE_FEC_DATA_MAX; t++) {
		/* Parity shard 0 is the highest-degree symbol. */
		for (i = 0; i < m; i++)
			diode_rs_unit[m][t][i] = rem[m - 1 - i];
		top = rem[m - 1];
		for (i = m - 1; i > 0; i--)
			rem[i] = rem[i - 1] ^ diode_rs_mul_slow(top, gen[i]);
		rem[0] = diode_rs_mul_slow(top, gen[0]);
	}
}

void diode_rs_init(void)
{
	unsigned int a, b, m;

	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++) {
			diode_rs_product[a][b] = diode_rs_mul_slow(a, b);
			if (diode_rs_product[a][b] == 1)
				diode_rs_inverse[a] = b;
		}
	for (a = 0; a < 256; a++)
		for (b = 0; b < 16; b++) {
			diode_rs_nibbles[a][b] = diode_rs_product[a][b];
			diode_rs_nibbles[a][16 + b] = diode_rs_product[a][b << 4];
		}
	for (m = 1; m <= DIODE_FEC_PARITY_MAX; m++)
		diode_rs_init_code(m);
}

u8 diode_rs_mul(u8 a, u8 b)
{
	return diode_rs_product[a][b];
}

/* @dst[0..len) ^= @factor * @src[0..len); @simd: from diode_rs_simd_begin() */
static void diode_rs_row_addmul(u8 *dst, const u8 *src, unsigned int len,
				u8 factor, enum diode_rs_simd simd)
{
	const u8 *product = diode_rs_product[factor];
	unsigned int j = 0, n;

	if (!factor)
		return;
	if (simd >= DIODE_RS_SIMD_AVX2 && len >= 32) {
		j = len & ~31u;
		diode_rs_avx2_addmul(dst, src, j / 32, diode_rs_nibbles[factor]);
	}
	if (simd >= DIODE_RS_SIMD_SSSE3 && len - j >= 16) {
		n = (len - j) / 16;
		diode_rs_simd_addmul(dst + j, src + j, n, diode_rs_nibbles[factor]);
		j += 16 * n;
	}
	for (; j < len; j++)
		dst[j] ^= product[src[j]];
}

/*
 * Row by row, each member's row read once for every four shards where the
 * CPU has AVX2 (see rs_simd.h), then once for each shard left.
 */
void diode_rs_encode(unsigned int m, unsigned int k, const u8 *rows,
		     size_t stride, unsigned int len, u8 *const *shard)
{
	enum diode_rs_simd simd = diode_rs_simd_begin();
	unsigned int wide = simd >= DIODE_RS_SIMD_AVX2 ? len & ~31u : 0;
	unsigned int i, n, j;

	for (i = 0; i < m; i++)
		memset(shard[i], 0, len);
	for (n = 0; n < k; n++) {
		const u8 *row = rows + n * stride, *unit = diode_rs_unit[m][k - 1 - n];

		for (i = 0; wide && i + 4 <= m; i += 4) {
			u8 *const dst[4] = { shard[i], shard[i + 1], shard[i + 2],
					     shard[i + 3] };
			const u8 *const tables[4] = {
				diode_rs_nibbles[unit[i]], diode_rs_nibbles[unit[i + 1]],
				diode_rs_nibbles[unit[i + 2]], diode_rs_nibbles[unit[i + 3]]
			};

			diode_rs_avx2_addmul4(dst, row, wide / 32, tables);
			for (j = 0; j < 4; j++)
				diode_rs_row_addmul(shard[i + j] + wide, row + wide,
						    len - wide, unit[i + j], simd);
		}
		for (; i < m; i++)
			diode_rs_row_addmul(shard[i], row, len, unit[i], simd);
	}
	if (simd)
		diode_rs_simd_end();
}

/*
 * A parity shard is a known linear combination of the rows; with the rows
 * present taken out, e shards leave an e x e system over the e missing rows,
 * inverted once by Gauss-Jordan elimination and applied row by row. Every
 * square part of a Reed-Solomon code's parity map is invertible (the code is
 * MDS), so the pivot search never fails on a real code. Work: e (k + e) row
 * operations of @len bytes, and e^3 for the inversion.
 */
bool diode_rs_solve(unsigned int m, unsigned int k, unsigned int len,
		    const struct diode_rs_row *rows, const u8 *const *parity,
		    u8 *const *out, u8 *scratch)
{
	u8 a[DIODE_FEC_PARITY_MAX][DIODE_FEC_PARITY_MAX];
	u8 inv[DIODE_FEC_PARITY_MAX][DIODE_FEC_PARITY_MAX];
	unsigned int missing[DIODE_FEC_PARITY_MAX], held[DIODE_FEC_PARITY_MAX];
	unsigned int e = 0, h = 0, i, n, r, c, pivot;
	enum diode_rs_simd simd;
	u8 f;

	for (n = 0; n < k; n++) {
		if (rows[n].data)
			continue;
		if (e == m)
			return false;
		missing[e++] = n;
	}
	for (i = 0; i < m && h < e; i++)
		if (parity[i])
			held[h++] = i;
	if (h < e)
		return false;

	/* The map of the missing rows to the shards held. */
	for (r = 0; r < e; r++)
		for (c = 0; c < e; c++) {
			a[r][c] = diode_rs_unit[m][k - 1 - missing[c]][held[r]];
			inv[r][c] = r == c;
		}
	for (c = 0; c < e; c++) {
		for (pivot = c; pivot < e && !a[pivot][c]; pivot++)
			;
		if (pivot == e)
			return false;
		if (pivot != c) {
			for (i = 0; i < e; i++) {
				swap(a[c][i], a[pivot][i]);
				swap(inv[c][i], inv[pivot][i]);
			}
		}
		f = diode_rs_inverse[a[c][c]];
		for (i = 0; i < e; i++) {
			a[c][i] = diode_rs_product[f][a[c][i]];
			inv[c][i] = diode_rs_product[f][inv[c][i]];
		}
		for (r = 0; r < e; r++) {
			if (r == c || !a[r][c])
				continue;
			f = a[r][c];
			for (i = 0; i < e; i++) {
				a[r][i] ^= diode_rs_product[f][a[c][i]];
				inv[r][i] ^= diode_rs_product[f][inv[c][i]];
			}
		}
	}

	simd = diode_rs_simd_begin();
	/* The shards without the rows present. */
	for (r = 0; r < e; r++) {
		u8 *syndrome = scratch + r * len;

		memcpy(syndrome, parity[held[r]], len);
		for (n = 0; n < k; n++) {
			u8 unit = diode_rs_unit[m][k - 1 - n][held[r]];

			if (rows[n].data)
				diode_rs_row_addmul(syndrome, rows[n].data,
						    min(rows[n].used, len), unit,
						    simd);
		}
	}
	for (c = 0; c < e; c++) {
		u8 *row = out[missing[c]];

		if (!row)
			continue;
		memset(row, 0, len);
		for (r = 0; r < e; r++)
			diode_rs_row_addmul(row, scratch + r * len, len,
					    inv[c][r], simd);
	}
	if (simd)
		diode_rs_simd_end();
	return true;
}
