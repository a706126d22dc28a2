/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_RECEIVE_H
#define _DIODE_RECEIVE_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/sock.h>

struct diode_device;

int diode_udp_receive(struct sock *sk, struct sk_buff *skb);
/* One frame from the link, at its header. Consumes @skb. */
void diode_frame_receive(struct diode_device *diode, struct sk_buff *skb);
void diode_carrier_worker(struct work_struct *work);
void diode_announce_rx_worker(struct work_struct *work);

#endif /* _DIODE_RECEIVE_H */
