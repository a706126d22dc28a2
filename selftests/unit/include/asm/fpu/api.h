/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim: a process may always use its own FPU. */
#ifndef _DIODE_SHIM_ASM_FPU_API_H
#define _DIODE_SHIM_ASM_FPU_API_H

#include <stdbool.h>

#define XFEATURE_MASK_SSE (1 << 1)
#define XFEATURE_MASK_YMM (1 << 2)

/* A host whose CPU has AVX2 runs an OS that saves its registers. */
static inline int cpu_has_xfeatures(unsigned long long mask, const char **name)
{
	(void)mask;
	(void)name;
	return 1;
}

static inline bool irq_fpu_usable(void)
{
	return true;
}

static inline void kernel_fpu_begin(void)
{
}

static inline void kernel_fpu_end(void)
{
}

#endif
