/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_DEVICE_H
#define _DIODE_DEVICE_H

#include <linux/netdevice.h>

/* Per-device state; grows with the data path and the key schedule. */
struct diode_device {
	struct net_device *dev;
};

int diode_device_init(void);
void diode_device_uninit(void);

#endif /* _DIODE_DEVICE_H */
