/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim: the kernel build force-includes its compiler_types.h into every
 * file; the unit test Makefile does the same with this one.
 */
#ifndef _DIODE_SHIM_COMPILER_TYPES_H
#define _DIODE_SHIM_COMPILER_TYPES_H

#define __packed	__attribute__((__packed__))
#define __aligned(x)	__attribute__((__aligned__(x)))
#define __always_inline	inline __attribute__((__always_inline__))
#define __maybe_unused	__attribute__((__unused__))
#define __bitwise

/* The kernel's configuration, as far as the shared sources ask. */
#ifdef __x86_64__
#define CONFIG_X86_64 1
#endif

#endif
