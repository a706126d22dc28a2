/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/percpu.h>: one CPU, whose variable is plain memory. */
#ifndef _DIODE_SHIM_PERCPU_H
#define _DIODE_SHIM_PERCPU_H

#include <stdlib.h>

#define __percpu
#define alloc_percpu(type) ((type *)calloc(1, sizeof(type)))
#define free_percpu(p) free(p)
#define per_cpu_ptr(p, cpu) ((void)(cpu), (p))
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < 1; (cpu)++)

#define this_cpu_xchg(pcp, v) ({			\
	__typeof__(pcp) __old = (pcp);			\
	(pcp) = (v);					\
	__old;						\
})
#define this_cpu_cmpxchg(pcp, o, n) ({			\
	__typeof__(pcp) __old = (pcp);			\
	if (__old == (o))				\
		(pcp) = (n);				\
	__old;						\
})

#endif
