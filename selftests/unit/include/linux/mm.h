/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/mm.h>: kvmalloc and friends, on the C library. */
#ifndef _DIODE_SHIM_MM_H
#define _DIODE_SHIM_MM_H

#include <linux/slab.h>

static inline void *kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return malloc(n * size);
}

static inline void *kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(n, size);
}

static inline void kvfree(const void *p)
{
	free((void *)p);
}

#endif
