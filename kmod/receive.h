/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_RECEIVE_H
#define _DIODE_RECEIVE_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/sock.h>

struct diode_device;
struct diode_rx_mark;

int diode_udp_receive(struct sock *sk, struct sk_buff *skb);
/* One frame from the link, at its header. Consumes @skb. */
void diode_frame_receive(struct diode_device *diode, struct sk_buff *skb);
void diode_carrier_worker(struct work_struct *work);
void diode_announce_rx_worker(struct work_struct *work);
/* Drops the frames waiting for the worker; the device is down. */
void diode_rx_purge(struct diode_device *diode);
/* Under @diode->lock: the mark, the sessions held included. */
void diode_rx_mark_read(struct diode_device *diode, struct diode_rx_mark *mark);
/* Under @diode->lock: raises the mark; -ERANGE, changing nothing, if
 * @mark is below the current one.
 */
int diode_rx_mark_raise(struct diode_device *diode,
			const struct diode_rx_mark *mark);

#endif /* _DIODE_RECEIVE_H */
