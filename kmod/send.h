/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_SEND_H
#define _DIODE_SEND_H

#include <linux/netdevice.h>
#include <linux/workqueue.h>

netdev_tx_t diode_xmit(struct sk_buff *skb, struct net_device *dev);
void diode_heartbeat_worker(struct work_struct *work);

struct diode_device;
struct diode_session;
/* In process context: one more copy of @session's ANNOUNCE. */
void diode_send_announce(struct diode_device *diode,
			 struct diode_session *session);
/* Closes a session's open FEC groups and sends their PARITY frames. */
void diode_send_fec_flush(struct diode_device *diode,
			  struct diode_session *session);

#endif /* _DIODE_SEND_H */
