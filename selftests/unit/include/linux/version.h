/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim: the newest kernel supported, so compat.h takes its plainest way. */
#ifndef _DIODE_SHIM_VERSION_H
#define _DIODE_SHIM_VERSION_H

#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#define LINUX_VERSION_CODE KERNEL_VERSION(6, 12, 0)

#endif
