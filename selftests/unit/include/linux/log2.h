/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/log2.h>. */
#ifndef _DIODE_SHIM_LOG2_H
#define _DIODE_SHIM_LOG2_H

/* The smallest power of two >= n, for 1 <= n <= 2^63. */
static inline unsigned long roundup_pow_of_two(unsigned long n)
{
	return n <= 1 ? 1 : 1UL << (64 - __builtin_clzl(n - 1));
}

#endif
