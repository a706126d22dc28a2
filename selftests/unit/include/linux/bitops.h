/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/bitops.h>: only what the diode sources use. */
#ifndef _DIODE_SHIM_BITOPS_H
#define _DIODE_SHIM_BITOPS_H

#include <linux/types.h>

static inline unsigned int hweight64(u64 w)
{
	return (unsigned int)__builtin_popcountll(w);
}

#endif
