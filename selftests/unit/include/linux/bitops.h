/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/bitops.h>: only what the diode sources use. */
#ifndef _DIODE_SHIM_BITOPS_H
#define _DIODE_SHIM_BITOPS_H

#include <linux/types.h>

#define BIT(nr)	(1UL << (nr))

static inline unsigned int hweight16(u16 w)
{
	return (unsigned int)__builtin_popcount(w);
}

static inline unsigned int hweight32(u32 w)
{
	return (unsigned int)__builtin_popcount(w);
}

static inline unsigned int hweight64(u64 w)
{
	return (unsigned int)__builtin_popcountll(w);
}

#endif
