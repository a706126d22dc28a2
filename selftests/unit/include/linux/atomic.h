/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/atomic.h>: the host tests run on one thread. */
#ifndef _DIODE_SHIM_ATOMIC_H
#define _DIODE_SHIM_ATOMIC_H

#include <linux/types.h>

/* Wraps around like the kernel's. */
static inline int atomic_inc_return(atomic_t *v)
{
	v->counter = (int)((unsigned int)v->counter + 1);
	return v->counter;
}

#endif
