/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_SOCKET_H
#define _DIODE_SOCKET_H

#include <linux/skbuff.h>

struct diode_device;

int diode_socket_open(struct diode_device *diode);
void diode_socket_close(struct diode_device *diode);
int diode_socket_send(struct diode_device *diode, struct sk_buff *skb);

#endif /* _DIODE_SOCKET_H */
