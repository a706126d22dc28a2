/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/types.h>: the kernel's fixed-width types. */
#ifndef _DIODE_SHIM_TYPES_H
#define _DIODE_SHIM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* Plain integers here: the kernel's are __bitwise only for sparse. */
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint64_t __be64;
typedef uint16_t __le16;
typedef uint32_t __le32;
typedef uint64_t __le64;

/* The host tests run on one thread: see atomic.h. */
typedef struct {
	int counter;
} atomic_t;

#endif
