/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/limits.h>. */
#ifndef _DIODE_SHIM_LIMITS_H
#define _DIODE_SHIM_LIMITS_H

#define U16_MAX	((u16)~0U)
#define U64_MAX	((u64)~0ULL)

#endif
