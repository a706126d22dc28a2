/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where differences between the supported kernels (6.1 and
 * 6.12, and what lies between) are handled.
 */
#ifndef _DIODE_COMPAT_H
#define _DIODE_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>

/* 6.11 turned the NETIF_F_LLTX feature into the dev->lltx flag. */
static inline void diode_compat_set_lltx(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

#endif /* _DIODE_COMPAT_H */
