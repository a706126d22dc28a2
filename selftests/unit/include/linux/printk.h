/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/printk.h>. */
#ifndef _DIODE_SHIM_PRINTK_H
#define _DIODE_SHIM_PRINTK_H

#include <stdio.h>

#define pr_err(...) fprintf(stderr, __VA_ARGS__)

#endif
