/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim: a process may always use its own FPU. */
#ifndef _DIODE_SHIM_ASM_FPU_API_H
#define _DIODE_SHIM_ASM_FPU_API_H

#include <stdbool.h>

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
