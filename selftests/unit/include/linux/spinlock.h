/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for <linux/spinlock.h>: one thread, so a lock is a flag, and
 * taking it twice or releasing it unheld aborts.
 */
#ifndef _DIODE_SHIM_SPINLOCK_H
#define _DIODE_SHIM_SPINLOCK_H

#include <stdlib.h>
#include <linux/atomic.h>

typedef struct {
	bool held;
} spinlock_t;

static inline void spin_lock_init(spinlock_t *lock)
{
	lock->held = false;
}

static inline void spin_lock_bh(spinlock_t *lock)
{
	if (lock->held)
		abort();
	lock->held = true;
}

static inline void spin_unlock_bh(spinlock_t *lock)
{
	if (!lock->held)
		abort();
	lock->held = false;
}

#endif
