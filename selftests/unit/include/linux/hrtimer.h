/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/hrtimer.h>: what compat.h's helper names; no timer runs. */
#ifndef _DIODE_SHIM_HRTIMER_H
#define _DIODE_SHIM_HRTIMER_H

#include <time.h>

enum hrtimer_restart { HRTIMER_NORESTART, HRTIMER_RESTART };
enum hrtimer_mode { HRTIMER_MODE_REL };

struct hrtimer {
	enum hrtimer_restart (*function)(struct hrtimer *timer);
};

void hrtimer_init(struct hrtimer *timer, clockid_t clock, enum hrtimer_mode mode);

#endif
