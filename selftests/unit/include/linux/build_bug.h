/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/build_bug.h>. */
#ifndef _DIODE_SHIM_BUILD_BUG_H
#define _DIODE_SHIM_BUILD_BUG_H

#ifndef static_assert
#define static_assert(expr, msg) _Static_assert(expr, msg)
#endif
#define BUILD_BUG_ON(cond) ((void)sizeof(char[1 - 2 * !!(cond)]))

#endif
