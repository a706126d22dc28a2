/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A seeded generator for the unit tests (splitmix64): the same seed gives
 * the same sequence on every host, so a failure can be replayed by its seed.
 */
#ifndef _DIODE_PRNG_H
#define _DIODE_PRNG_H

#include <stdint.h>

struct prng {
	uint64_t state;
};

static inline uint64_t prng_next(struct prng *p)
{
	uint64_t z = (p->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in 0 .. n - 1 for tests; n > 0. */
static inline uint64_t prng_below(struct prng *p, uint64_t n)
{
	return prng_next(p) % n;
}

#endif /* _DIODE_PRNG_H */
