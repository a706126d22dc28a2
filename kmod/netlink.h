/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_NETLINK_H
#define _DIODE_NETLINK_H

int diode_genetlink_init(void);
void diode_genetlink_uninit(void);

struct diode_device;
/* Tells the monitor group that a device's carrier came or went. */
void diode_netlink_notify_carrier(struct diode_device *diode, bool carrier);

#endif /* _DIODE_NETLINK_H */
