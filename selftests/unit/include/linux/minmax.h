/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/minmax.h>: each argument evaluated once. */
#ifndef _DIODE_SHIM_MINMAX_H
#define _DIODE_SHIM_MINMAX_H

#define min(x, y) ({ __typeof__(x) _x = (x); __typeof__(y) _y = (y); \
		     _x < _y ? _x : _y; })
#define max(x, y) ({ __typeof__(x) _x = (x); __typeof__(y) _y = (y); \
		     _x > _y ? _x : _y; })
#define min_t(type, x, y) min((type)(x), (type)(y))
#define max_t(type, x, y) max((type)(x), (type)(y))
#define swap(a, b) do { __typeof__(a) _t = (a); (a) = (b); (b) = _t; } while (0)

#endif
