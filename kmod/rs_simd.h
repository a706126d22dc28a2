/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The row operation of rs.c, dst ^= f * src over GF(2^8), sixteen bytes at a
 * time with SSSE3 on x86-64: f * x is f * (x & 15) ^ f * (x & 0xf0), and
 * PSHUFB looks both halves up in two 16-byte tables at once. A parity shard
 * of a full-size frame costs about one instruction per byte this way instead
 * of six through the product table. Elsewhere, or where the FPU cannot be
 * used (an interrupt that came in while it was), rs.c keeps the table.
 */
#ifndef _DIODE_RS_SIMD_H
#define _DIODE_RS_SIMD_H

#include <linux/types.h>

#ifdef CONFIG_X86_64
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>

/* Whether the caller may use diode_rs_simd_addmul() until diode_rs_simd_end(). */
static inline bool diode_rs_simd_begin(void)
{
	if (!boot_cpu_has(X86_FEATURE_SSSE3) || !irq_fpu_usable())
		return false;
	kernel_fpu_begin();
	return true;
}

static inline void diode_rs_simd_end(void)
{
	kernel_fpu_end();
}

/*
 * The kernel is built without SSE: the compiler keeps nothing in an xmm
 * register and refuses to hear of them in a clobber list. A build with SSE
 * (the host unit tests) must be told.
 */
#ifdef __SSE__
#define DIODE_RS_XMM_CLOBBERS , "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"
#else
#define DIODE_RS_XMM_CLOBBERS
#endif

/*
 * dst ^= f * src over @blocks (at least one) blocks of 16 bytes; @tables:
 * f * x for x = 0..15, then f * (x << 4) for x = 0..15.
 */
static inline void diode_rs_simd_addmul(u8 *dst, const u8 *src,
					unsigned long blocks, const u8 *tables)
{
	static const u8 low_nibbles[16] __aligned(16) = {
		15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15
	};

	asm volatile("movdqu (%[tables]), %%xmm6\n\t"
		     "movdqu 16(%[tables]), %%xmm7\n\t"
		     "movdqa (%[mask]), %%xmm5\n"
		     "1:\n\t"
		     "movdqu (%[src]), %%xmm0\n\t"
		     "movdqa %%xmm0, %%xmm1\n\t"
		     "psrlw $4, %%xmm1\n\t"
		     "pand %%xmm5, %%xmm0\n\t"
		     "pand %%xmm5, %%xmm1\n\t"
		     "movdqa %%xmm6, %%xmm2\n\t"
		     "pshufb %%xmm0, %%xmm2\n\t"
		     "movdqa %%xmm7, %%xmm3\n\t"
		     "pshufb %%xmm1, %%xmm3\n\t"
		     "pxor %%xmm3, %%xmm2\n\t"
		     "movdqu (%[dst]), %%xmm4\n\t"
		     "pxor %%xmm4, %%xmm2\n\t"
		     "movdqu %%xmm2, (%[dst])\n\t"
		     "add $16, %[src]\n\t"
		     "add $16, %[dst]\n\t"
		     "dec %[blocks]\n\t"
		     "jnz 1b"
		     : [src] "+r" (src), [dst] "+r" (dst), [blocks] "+r" (blocks)
		     : [tables] "r" (tables), [mask] "r" (low_nibbles)
		     : "memory", "cc" DIODE_RS_XMM_CLOBBERS);
}
#else
static inline bool diode_rs_simd_begin(void)
{
	return false;
}

static inline void diode_rs_simd_end(void)
{
}

static inline void diode_rs_simd_addmul(u8 *dst, const u8 *src,
					unsigned long blocks, const u8 *tables)
{
}
#endif

#endif /* _DIODE_RS_SIMD_H */
