/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <net/rtnetlink.h>: nothing that the host code uses. */
#ifndef _DIODE_SHIM_RTNETLINK_H
#define _DIODE_SHIM_RTNETLINK_H
#endif
