// SPDX-License-Identifier: GPL-2.0
/*
 * The last stage of the sender: every sealed frame goes out, and its copies
 * for redundancy follow it spread over the frames sent after it, so that a
 * burst of loss on the link does not take a frame and all its copies. With
 * a rate, frames leave through a pacer so that the receiver, which cannot
 * ask for less, is not overrun.
 */
#include <linux/hrtimer.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/udp.h>

#include "compat.h"
#include "device.h"
#include "emit.h"
#include "eth.h"
#include "socket.h"

/* Copy k of a frame goes out k * DIODE_REPEAT_SPREAD frames after it. */
#define DIODE_REPEAT_SPREAD 8
/* Frames that may wait for the pacer; more are dropped and counted. */
#define DIODE_PACE_QUEUE_LEN 4096
/* Bytes the pacer lets go at once after an idle moment. */
#define DIODE_PACE_BURST 65536

static void diode_wire_send(struct diode_device *diode, struct sk_buff *skb)
{
	int ret;

	if (diode->config.encap == DIODE_ENCAP_ETH)
		ret = diode_eth_send(diode, skb);
	else
		ret = diode_socket_send(diode, skb);
	if (ret) {
		diode_stat_inc(diode->stats, DIODE_STAT_TX_DROPPED);
		dev_core_stats_tx_dropped_inc(diode->dev);
	}
}

/* What a frame takes on the wire, outer headers included. */
static unsigned int diode_wire_len(const struct diode_device *diode,
				   const struct sk_buff *skb)
{
	if (diode->config.encap == DIODE_ENCAP_ETH)
		return skb->len + ETH_HLEN;
	if (diode->config.remote.sa.sa_family == AF_INET)
		return skb->len + sizeof(struct iphdr) + sizeof(struct udphdr);
	return skb->len + sizeof(struct ipv6hdr) + sizeof(struct udphdr);
}

/* Sends the frames that are due and sets the timer for the next one. */
static void diode_pace_run(struct diode_device *diode)
{
	struct sk_buff_head *queue = &diode->pace_queue;
	u64 rate, now = ktime_get_ns(), burst_ns;
	struct sk_buff_head due;
	struct sk_buff *skb;

	diode_config_get(diode, rate, &rate);

	__skb_queue_head_init(&due);
	spin_lock(&queue->lock);
	burst_ns = rate ? div64_u64((u64)DIODE_PACE_BURST * 8 * NSEC_PER_SEC, rate) : 0;
	while ((skb = skb_peek(queue))) {
		if (rate && diode->pace_next_ns > now)
			break;
		__skb_unlink(skb, queue);
		__skb_queue_tail(&due, skb);
		if (!rate)
			continue;
		if (now > burst_ns && diode->pace_next_ns < now - burst_ns)
			diode->pace_next_ns = now - burst_ns;
		diode->pace_next_ns += div64_u64((u64)diode_wire_len(diode, skb) *
						 8 * NSEC_PER_SEC, rate);
	}
	if (!skb_queue_empty(queue))
		hrtimer_start(&diode->pace_timer, ns_to_ktime(diode->pace_next_ns),
			      HRTIMER_MODE_ABS_SOFT);
	spin_unlock(&queue->lock);
	while ((skb = __skb_dequeue(&due)))
		diode_wire_send(diode, skb);
}

static enum hrtimer_restart diode_pace_timer(struct hrtimer *timer)
{
	struct diode_device *diode = container_of(timer, struct diode_device,
						  pace_timer);

	diode_pace_run(diode);
	return HRTIMER_NORESTART;
}

static void diode_transmit(struct diode_device *diode, struct sk_buff *skb)
{
	struct sk_buff_head *queue = &diode->pace_queue;
	unsigned long flags;
	bool queued = false;
	u64 rate;

	diode_config_get(diode, rate, &rate);
	if (!rate) {
		diode_wire_send(diode, skb);
		return;
	}
	/* The bound is checked where it is kept, so that CPUs queueing at
	 * once cannot pass it together.
	 */
	spin_lock_irqsave(&queue->lock, flags);
	if (skb_queue_len(queue) < DIODE_PACE_QUEUE_LEN) {
		__skb_queue_tail(queue, skb);
		queued = true;
	}
	spin_unlock_irqrestore(&queue->lock, flags);
	if (!queued) {
		diode_stat_inc(diode->stats, DIODE_STAT_TX_PACING_DROPPED);
		dev_core_stats_tx_dropped_inc(diode->dev);
		kfree_skb(skb);
		return;
	}
	diode_pace_run(diode);
}

void diode_emit(struct diode_device *diode, struct sk_buff *skb,
		unsigned int redundancy)
{
	struct sk_buff *copies[DIODE_REDUNDANCY_MAX];
	unsigned int k;

	/* Copies first: sending pushes the outer headers onto the frame. */
	for (k = 1; k < redundancy; k++)
		copies[k] = skb_copy(skb, GFP_ATOMIC);
	diode_transmit(diode, skb);
	for (k = 1; k < redundancy; k++) {
		struct sk_buff_head *queue = &diode->repeat[k - 1];
		unsigned long flags;

		/* One in, and one out once k * DIODE_REPEAT_SPREAD wait: under
		 * the lock, so that the bound holds whatever the CPUs.
		 */
		spin_lock_irqsave(&queue->lock, flags);
		if (copies[k])
			__skb_queue_tail(queue, copies[k]);
		skb = skb_queue_len(queue) > k * DIODE_REPEAT_SPREAD ?
		      __skb_dequeue(queue) : NULL;
		spin_unlock_irqrestore(&queue->lock, flags);
		if (skb) {
			diode_stat_inc(diode->stats, DIODE_STAT_TX_REPEATS);
			diode_transmit(diode, skb);
		}
	}
}

void diode_emit_flush(struct diode_device *diode)
{
	struct sk_buff *skb;
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(diode->repeat); k++) {
		while ((skb = skb_dequeue(&diode->repeat[k]))) {
			diode_stat_inc(diode->stats, DIODE_STAT_TX_REPEATS);
			diode_transmit(diode, skb);
		}
	}
}

void diode_emit_stop(struct diode_device *diode)
{
	unsigned int k;

	hrtimer_cancel(&diode->pace_timer);
	skb_queue_purge(&diode->pace_queue);
	for (k = 0; k < ARRAY_SIZE(diode->repeat); k++)
		skb_queue_purge(&diode->repeat[k]);
}

void diode_emit_init(struct diode_device *diode)
{
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(diode->repeat); k++)
		skb_queue_head_init(&diode->repeat[k]);
	skb_queue_head_init(&diode->pace_queue);
	diode_compat_hrtimer_setup(&diode->pace_timer, diode_pace_timer,
				   CLOCK_MONOTONIC, HRTIMER_MODE_ABS_SOFT);
}
