/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <net/genetlink.h>: nothing that the host code uses. */
#ifndef _DIODE_SHIM_GENETLINK_H
#define _DIODE_SHIM_GENETLINK_H
#endif
