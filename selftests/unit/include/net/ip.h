/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <net/ip.h>: what messages.h uses. */
#ifndef _DIODE_SHIM_IP_H
#define _DIODE_SHIM_IP_H

#include <linux/netdevice.h>

#define IP_MAX_MTU	0xFFFFU

#endif
