/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_RECEIVE_H
#define _DIODE_RECEIVE_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/sock.h>

int diode_udp_receive(struct sock *sk, struct sk_buff *skb);
void diode_announce_rx_worker(struct work_struct *work);

#endif /* _DIODE_RECEIVE_H */
