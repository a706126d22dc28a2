/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Reed-Solomon arithmetic of FEC (fec.h): GF(2^8), the encoder of parity
 * shards and the erasure solver that rebuilds missing members, over whole
 * shard rows. Pure computation on the caller's memory: nothing here
 * allocates, locks, sleeps or fails at run time, and it includes nothing
 * but types, string functions and, on x86-64, the CPU feature and FPU
 * calls of rs_simd.h, so that the host unit tests compile it unchanged.
 *
 * The code is the one lib/reed_solomon builds with
 * init_rs(DIODE_RS_SYMSIZE, DIODE_RS_GFPOLY, DIODE_RS_FCR, DIODE_RS_PRIM, M):
 * symbols of GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1, the primitive element
 * alpha = x, the generator g(x) = (x - alpha^0)(x - alpha^1)...(x - alpha^(M-1)).
 * A group of K members and M parity shards is one code word per byte
 * column: member 0 holds the highest-degree data symbol, member K - 1 the
 * lowest; parity shard 0 the highest-degree parity symbol. That is,
 * parity shard i of column j is par[i] of encode_rs8(rs, column j, K, par, 0);
 * fec.c checks it against the library at load.
 */
#ifndef _DIODE_RS_H
#define _DIODE_RS_H

#include <linux/types.h>
#include <linux/diode.h>

#define DIODE_RS_SYMSIZE 8
#define DIODE_RS_GFPOLY 0x11d
#define DIODE_RS_FCR 0
#define DIODE_RS_PRIM 1

/* Builds the tables; once, before any other call. */
void diode_rs_init(void);

/* a * b in GF(2^8), from the tables. */
u8 diode_rs_mul(u8 a, u8 b);

/*
 * Parity shards @shard[0..m-1] of the @k rows at @rows, @stride bytes apart,
 * over their first @len bytes. 1 <= m <= DIODE_FEC_PARITY_MAX and
 * 1 <= k <= DIODE_FEC_DATA_MAX.
 */
void diode_rs_encode(unsigned int m, unsigned int k, const u8 *rows,
		     size_t stride, unsigned int len, u8 *const *shard);

/* A member's shard row: @used bytes at @data, zeros after them. */
struct diode_rs_row {
	const u8 *data;			/* NULL: missing */
	unsigned int used;
};

/*
 * Rebuilds the missing rows of a group of @k (@rows[n].data NULL) from as
 * many of the parity shards held (@parity[i], NULL when not held) over the
 * first @len bytes, into @out[n] for each missing n whose @out[n] is not
 * NULL (@len bytes each). Only min(@rows[n].used, @len) bytes of a row
 * present are read. @scratch holds as many rows of @len bytes as there are
 * missing rows (DIODE_FEC_PARITY_MAX at most). Limits on m and k as for
 * diode_rs_encode().
 *
 * Returns false, having written nothing to @out, when more rows are missing
 * than parity shards are held, or when the system is singular, which a
 * Reed-Solomon code never is. Parity shards that do not belong to the group
 * cannot be told from good ones: they rebuild wrong rows.
 */
bool diode_rs_solve(unsigned int m, unsigned int k, unsigned int len,
		    const struct diode_rs_row *rows, const u8 *const *parity,
		    u8 *const *out, u8 *scratch);

#endif /* _DIODE_RS_H */
