/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim: the kernel's marked accesses, as volatile accesses. */
#ifndef _DIODE_SHIM_COMPILER_H
#define _DIODE_SHIM_COMPILER_H

#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile __typeof__(x) *)&(x) = (val))

#endif
