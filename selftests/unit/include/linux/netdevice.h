/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/netdevice.h>: what compat.h and messages.h use. */
#ifndef _DIODE_SHIM_NETDEVICE_H
#define _DIODE_SHIM_NETDEVICE_H

#include <linux/types.h>

#define HH_DATA_MOD	16
#define ETH_DATA_LEN	1500

struct net_device {
	bool lltx;
};

#endif
