/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/string.h>: the C library has the same functions. */
#ifndef _DIODE_SHIM_STRING_H
#define _DIODE_SHIM_STRING_H

#include <string.h>

#endif
