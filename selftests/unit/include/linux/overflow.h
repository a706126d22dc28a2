/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/overflow.h>: sizes here never come near overflowing. */
#ifndef _DIODE_SHIM_OVERFLOW_H
#define _DIODE_SHIM_OVERFLOW_H

#define struct_size(p, member, n) \
	(sizeof(*(p)) + (size_t)(n) * sizeof(*(p)->member))

#endif
