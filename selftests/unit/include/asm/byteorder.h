/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <asm/byteorder.h>: conversions to and from big endian. */
#ifndef _DIODE_SHIM_BYTEORDER_H
#define _DIODE_SHIM_BYTEORDER_H

#include <linux/types.h>

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static inline __be16 cpu_to_be16(u16 x) { return __builtin_bswap16(x); }
static inline __be32 cpu_to_be32(u32 x) { return __builtin_bswap32(x); }
static inline __be64 cpu_to_be64(u64 x) { return __builtin_bswap64(x); }
#elif __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
static inline __be16 cpu_to_be16(u16 x) { return x; }
static inline __be32 cpu_to_be32(u32 x) { return x; }
static inline __be64 cpu_to_be64(u64 x) { return x; }
#else
#error "unknown byte order"
#endif

/* Swapping is its own inverse. */
static inline u16 be16_to_cpu(__be16 x) { return cpu_to_be16(x); }
static inline u32 be32_to_cpu(__be32 x) { return cpu_to_be32(x); }
static inline u64 be64_to_cpu(__be64 x) { return cpu_to_be64(x); }

#endif
