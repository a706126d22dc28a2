/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The row operation of rs.c, dst ^= f * src over GF(2^8), many bytes at a
 * time on x86-64: f * x is f * (x & 15) ^ f * (x & 0xf0), and PSHUFB looks
 * both halves up in two 16-byte tables at once, sixteen bytes with SSSE3,
 * thirty-two with AVX2. With AVX2 the sender's parity shards are also done
 * four at a time, so that each member's row is loaded and split into
 * nibbles once for four shards instead of once for each. Elsewhere, or
 * where the FPU cannot be used (an interrupt that came in while it was),
 * rs.c keeps the product table.
 */
#ifndef _DIODE_RS_SIMD_H
#define _DIODE_RS_SIMD_H

#include <linux/types.h>

/* What the caller may use until diode_rs_simd_end(), each level all below it. */
enum diode_rs_simd {
	DIODE_RS_SIMD_NONE,
	DIODE_RS_SIMD_SSSE3,	/* diode_rs_simd_addmul() */
	DIODE_RS_SIMD_AVX2,	/* diode_rs_avx2_addmul(), _addmul4() */
};

#ifdef CONFIG_X86_64
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>

static inline enum diode_rs_simd diode_rs_simd_begin(void)
{
	if (!boot_cpu_has(X86_FEATURE_SSSE3) || !irq_fpu_usable())
		return DIODE_RS_SIMD_NONE;
	kernel_fpu_begin();
	if (boot_cpu_has(X86_FEATURE_AVX2) &&
	    cpu_has_xfeatures(XFEATURE_MASK_SSE | XFEATURE_MASK_YMM, NULL))
		return DIODE_RS_SIMD_AVX2;
	return DIODE_RS_SIMD_SSSE3;
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
#define DIODE_RS_YMM_CLOBBERS DIODE_RS_XMM_CLOBBERS, "xmm8", "xmm9", "xmm10", \
	"xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#else
#define DIODE_RS_XMM_CLOBBERS
#define DIODE_RS_YMM_CLOBBERS
#endif

static const u8 diode_rs_low_nibbles[32] __aligned(32) = {
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
	15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15
};

/*
 * dst ^= f * src over @blocks (at least one) blocks of 16 bytes; @tables:
 * f * x for x = 0..15, then f * (x << 4) for x = 0..15.
 */
static inline void diode_rs_simd_addmul(u8 *dst, const u8 *src,
					unsigned long blocks, const u8 *tables)
{
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
		     : [tables] "r" (tables), [mask] "r" (diode_rs_low_nibbles)
		     : "memory", "cc" DIODE_RS_XMM_CLOBBERS);
}

/*
 * The loops below run an offset from -32 * @blocks up to 0 against
 * pointers to the ends of the rows, so that one register walks them all.
 */
#define DIODE_RS_AVX2_SPLIT						\
	"vmovdqu (%[src],%[off]), %%ymm0\n\t"				\
	"vpsrlw $4, %%ymm0, %%ymm1\n\t"				\
	"vpand %%ymm7, %%ymm0, %%ymm0\n\t"				\
	"vpand %%ymm7, %%ymm1, %%ymm1\n\t"
#define DIODE_RS_AVX2_ADD(dst, low, high)				\
	"vpshufb %%ymm0, %%" low ", %%ymm2\n\t"			\
	"vpshufb %%ymm1, %%" high ", %%ymm3\n\t"			\
	"vpxor %%ymm3, %%ymm2, %%ymm2\n\t"				\
	"vpxor (%[" dst "],%[off]), %%ymm2, %%ymm2\n\t"		\
	"vmovdqu %%ymm2, (%[" dst "],%[off])\n\t"
#define DIODE_RS_AVX2_LOOP_END						\
	"add $32, %[off]\n\t"						\
	"jnz 1b\n\t"							\
	"vzeroupper"

/* diode_rs_simd_addmul() over @blocks (at least one) blocks of 32 bytes. */
static inline void diode_rs_avx2_addmul(u8 *dst, const u8 *src,
					unsigned long blocks, const u8 *tables)
{
	long off = -32 * (long)blocks;

	asm volatile("vbroadcasti128 (%[t0]), %%ymm8\n\t"
		     "vbroadcasti128 16(%[t0]), %%ymm9\n\t"
		     "vmovdqa %[mask], %%ymm7\n"
		     "1:\n\t"
		     DIODE_RS_AVX2_SPLIT
		     DIODE_RS_AVX2_ADD("d0", "ymm8", "ymm9")
		     DIODE_RS_AVX2_LOOP_END
		     : [off] "+r" (off)
		     : [src] "r" (src - off), [d0] "r" (dst - off),
		       [t0] "r" (tables), [mask] "m" (diode_rs_low_nibbles)
		     : "memory", "cc" DIODE_RS_YMM_CLOBBERS);
}

/*
 * @dst[i] ^= f_i * src for i = 0..3 over @blocks (at least one) blocks of
 * 32 bytes; @tables[i] as for diode_rs_simd_addmul(), of f_i.
 */
static inline void diode_rs_avx2_addmul4(u8 *const *dst, const u8 *src,
					 unsigned long blocks,
					 const u8 *const *tables)
{
	long off = -32 * (long)blocks;

	asm volatile("vbroadcasti128 (%[t0]), %%ymm8\n\t"
		     "vbroadcasti128 16(%[t0]), %%ymm9\n\t"
		     "vbroadcasti128 (%[t1]), %%ymm10\n\t"
		     "vbroadcasti128 16(%[t1]), %%ymm11\n\t"
		     "vbroadcasti128 (%[t2]), %%ymm12\n\t"
		     "vbroadcasti128 16(%[t2]), %%ymm13\n\t"
		     "vbroadcasti128 (%[t3]), %%ymm14\n\t"
		     "vbroadcasti128 16(%[t3]), %%ymm15\n\t"
		     "vmovdqa %[mask], %%ymm7\n"
		     "1:\n\t"
		     DIODE_RS_AVX2_SPLIT
		     DIODE_RS_AVX2_ADD("d0", "ymm8", "ymm9")
		     DIODE_RS_AVX2_ADD("d1", "ymm10", "ymm11")
		     DIODE_RS_AVX2_ADD("d2", "ymm12", "ymm13")
		     DIODE_RS_AVX2_ADD("d3", "ymm14", "ymm15")
		     DIODE_RS_AVX2_LOOP_END
		     : [off] "+r" (off)
		     : [src] "r" (src - off), [d0] "r" (dst[0] - off),
		       [d1] "r" (dst[1] - off), [d2] "r" (dst[2] - off),
		       [d3] "r" (dst[3] - off), [t0] "r" (tables[0]),
		       [t1] "r" (tables[1]), [t2] "r" (tables[2]),
		       [t3] "r" (tables[3]), [mask] "m" (diode_rs_low_nibbles)
		     : "memory", "cc" DIODE_RS_YMM_CLOBBERS);
}
#else
static inline enum diode_rs_simd diode_rs_simd_begin(void)
{
	return DIODE_RS_SIMD_NONE;
}

static inline void diode_rs_simd_end(void)
{
}

static inline void diode_rs_simd_addmul(u8 *dst, const u8 *src,
					unsigned long blocks, const u8 *tables)
{
}

static inline void diode_rs_avx2_addmul(u8 *dst, const u8 *src,
					unsigned long blocks, const u8 *tables)
{
}

static inline void diode_rs_avx2_addmul4(u8 *const *dst, const u8 *src,
					 unsigned long blocks,
					 const u8 *const *tables)
{
}
#endif

#endif /* _DIODE_RS_SIMD_H */
