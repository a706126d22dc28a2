/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_ETH_H
#define _DIODE_ETH_H

#include <linux/skbuff.h>

struct diode_device;

/* Under rtnl and the device's lock. */
int diode_eth_open(struct diode_device *diode);
void diode_eth_close(struct diode_device *diode);
/* The MTU left on the lower device, or 0 when there is none. */
unsigned int diode_eth_mtu(struct diode_device *diode);
/* Sends one sealed frame on the lower device. Consumes @skb. */
int diode_eth_send(struct diode_device *diode, struct sk_buff *skb);

#endif /* _DIODE_ETH_H */
