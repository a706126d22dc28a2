// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for kmod/rs.c, the Reed-Solomon repair of FEC groups.
 * The input chooses K (1 to 32) and M (1 to 16), the shard length (0 to
 * 23), the length of each member (shorter than the
 * shard, empty, or longer: only the shard's length counts), their bytes,
 * which shards are erased (members and parity, any number, more than M
 * included), which erased members are asked for, and maybe one damaged
 * parity byte. The group is encoded with diode_rs_encode(), then solved.
 * It aborts unless:
 *
 *  - the solver succeeds exactly when no more members are missing than
 *    parity shards are held (a Reed-Solomon code is never singular);
 *  - with undamaged parity, every member asked for comes back exactly, as
 *    encoded (zero-padded, or cut, to the shard length);
 *  - nothing else is written: not the members not asked for, not anything
 *    when it refuses.
 *
 * Every buffer is carved to its exact size out of an arena whose gaps are
 * poisoned for AddressSanitizer, so that any access outside what rs.h
 * allows is reported, without an allocation per input. Run by "make fuzz",
 * not "make run".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "rs.h"
#include "fuzz_input.h"


#define KMAX DIODE_FEC_DATA_MAX
#define MMAX DIODE_FEC_PARITY_MAX
/* fec.h's DIODE_FEC_SHARD_MAX: a length, then a frame of up to 1536 bytes. */
#define SHARD_MAX (2 + 1536)
#define USED_MAX (SHARD_MAX + 6 * 8)

/* Members, padded, laid out for the encoder, results; parity, scratch. */
static u8 arena[KMAX * (USED_MAX + 3 * SHARD_MAX) + 2 * MMAX * SHARD_MAX +
		(3 * KMAX + MMAX + 4) * 32] __attribute__((aligned(64)));
static size_t arena_used;

/* Poisons what the last input used: the rest still is. */
static void arena_reset(void)
{
	ASAN_POISON_MEMORY_REGION(arena, arena_used);
	arena_used = 0;
}

/* @size bytes, 8-aligned, with at least 16 poisoned bytes before them. */
static u8 *carve(size_t size)
{
	size_t start = (arena_used + 16 + 7) & ~(size_t)7;

	if (start + size + 16 > sizeof(arena))
		abort();
	ASAN_UNPOISON_MEMORY_REGION(arena + start, size);
	arena_used = start + size;
	return arena + start;
}

static bool diode_rs_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	unsigned int k, m, len, flags, n, i, missing = 0, held = 0;
	unsigned int used[KMAX], damage = 0;
	struct diode_rs_row rows[KMAX];
	const u8 *parity[MMAX];
	u8 *member[KMAX], *padded[KMAX], *out[KMAX], *result[KMAX];
	u8 *shard[MMAX], *scratch;
	u64 erased, unwanted;
	const u8 *content;
	size_t ncontent, at = 0;
	bool ok;

	if (!diode_rs_ready) {
		diode_rs_init();
		ASAN_POISON_MEMORY_REGION(arena, sizeof(arena));
		diode_rs_ready = true;
	}
	arena_reset();

	k = 1 + (unsigned int)take(&in, 1) % KMAX;
	m = 1 + (unsigned int)take(&in, 1) % MMAX;
	/*
	 * Work grows with K M len, and nothing in rs.c depends on the length
	 * but the loops over it: shards of up to 23 bytes here (test_fec
	 * takes the largest).
	 */
	len = (unsigned int)take(&in, 1) % 24;
	flags = (unsigned int)take(&in, 1);
	erased = take(&in, 6);
	unwanted = take(&in, 4);
	if (flags & 1)
		damage = (unsigned int)take(&in, 2);
	for (n = 0; n < k; n++) {
		unsigned int u = (unsigned int)take(&in, 1);

		used[n] = u < 200 ? u % (len + 1) :
			  u < 250 ? len : len + (u - 249) * 8;
	}
	content = in.p;
	ncontent = in.left;

	/* The members, and the same zero-padded or cut to the shard. */
	for (n = 0; n < k; n++) {
		member[n] = carve(used[n]);
		for (i = 0; i < used[n]; i++, at++)
			member[n][i] = ncontent ? content[at % ncontent] :
						  (u8)(at * 131 + 7);
		padded[n] = carve(len);
		memset(padded[n], 0, len);
		memcpy(padded[n], member[n], used[n] < len ? used[n] : len);
	}
	for (i = 0; i < m; i++)
		shard[i] = carve(len);
	/* The encoder takes the rows at a stride: one after the other. */
	{
		u8 *rowsbuf = carve((size_t)k * len);

		for (n = 0; n < k; n++)
			memcpy(rowsbuf + (size_t)n * len, padded[n], len);
		diode_rs_encode(m, k, rowsbuf, len, len, shard);
	}
	if ((flags & 1) && len && m)
		shard[(damage >> 11) % m][damage % len] ^= 1 + (flags >> 1 & 63);

	for (n = 0; n < k; n++) {
		bool lost = erased >> n & 1;

		rows[n].data = lost ? NULL : member[n];
		rows[n].used = used[n];
		result[n] = carve(len);
		memset(result[n], 0xee, len);
		out[n] = lost && !(unwanted >> n & 1) ? result[n] : NULL;
		missing += lost;
	}
	for (i = 0; i < m; i++) {
		bool lost = erased >> (k + i) & 1;

		parity[i] = lost ? NULL : shard[i];
		held += !lost;
	}
	scratch = carve((size_t)(missing < held ? missing : held) * len);

	ok = diode_rs_solve(m, k, len, rows, parity, out, scratch);
	if (ok != (missing <= held))
		abort();
	for (n = 0; n < k; n++) {
		if (ok && out[n]) {
			if (!(flags & 1) && memcmp(result[n], padded[n], len))
				abort();
			continue;
		}
		for (i = 0; i < len; i++)
			if (result[n][i] != 0xee)
				abort();
	}
	arena_reset();
	return 0;
}
