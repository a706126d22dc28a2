/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for <linux/rslib.h>. Only diode_fec_init() uses the library, for
 * its self-test against rs.c; on the host there is none: init_rs() fails,
 * and the host tests call diode_rs_init() instead.
 */
#ifndef _DIODE_SHIM_RSLIB_H
#define _DIODE_SHIM_RSLIB_H

#include <stdlib.h>
#include <linux/types.h>

struct rs_control;

static inline struct rs_control *init_rs(int symsize, int gfpoly, int fcr,
					 int prim, int nroots)
{
	(void)symsize, (void)gfpoly, (void)fcr, (void)prim, (void)nroots;
	return NULL;
}

static inline int encode_rs8(struct rs_control *rs, u8 *data, int len,
			     u16 *par, u16 invmsk)
{
	(void)rs, (void)data, (void)len, (void)par, (void)invmsk;
	abort();
}

static inline void free_rs(struct rs_control *rs)
{
	(void)rs;
}

#endif
