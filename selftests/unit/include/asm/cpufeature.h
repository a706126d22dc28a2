/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim: CPU features are the host's, unless a test turns SIMD off
 * (diode_unit_no_simd) or AVX2 alone (diode_unit_no_avx2) to compare rs.c's
 * ways of doing a row.
 */
#ifndef _DIODE_SHIM_ASM_CPUFEATURE_H
#define _DIODE_SHIM_ASM_CPUFEATURE_H

#include <stdbool.h>

__attribute__((weak)) bool diode_unit_no_simd;
__attribute__((weak)) bool diode_unit_no_avx2;

#define X86_FEATURE_SSSE3 "ssse3"
#define X86_FEATURE_AVX2 "avx2"
#define boot_cpu_has(feature)						\
	(!diode_unit_no_simd && __builtin_cpu_supports(feature) &&	\
	 !(diode_unit_no_avx2 && !__builtin_strcmp(feature, "avx2")))

#endif
