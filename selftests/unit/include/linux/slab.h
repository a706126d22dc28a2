/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/slab.h>: the C library's allocator, exact sizes. */
#ifndef _DIODE_SHIM_SLAB_H
#define _DIODE_SHIM_SLAB_H

#include <stdlib.h>

typedef unsigned int gfp_t;
#define GFP_KERNEL	0x1u
#define GFP_ATOMIC	0x2u

static inline void *kmalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return malloc(size);
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, size);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

#endif
