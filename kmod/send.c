// SPDX-License-Identifier: GPL-2.0
/*
 * The sender: every packet routed into the device is sealed under the current
 * session and sent to the remote; the session's ANNOUNCE goes out at start
 * and then once per second.
 */
#include <linux/scatterlist.h>
#include <net/ip.h>

#include "compat.h"
#include "crypt.h"
#include "device.h"
#include "messages.h"
#include "send.h"
#include "session.h"
#include "socket.h"

/* Counters stay far below 2^64; the sender refuses to send past this. */
#define DIODE_COUNTER_LIMIT (U64_MAX - 1)

static void diode_tx_drop(struct diode_device *diode, struct sk_buff *skb)
{
	diode_stat_inc(diode->stats, DIODE_STAT_TX_DROPPED);
	dev_core_stats_tx_dropped_inc(diode->dev);
	kfree_skb(skb);
}

static void diode_seal_finish(struct sk_buff *skb, int err)
{
	struct diode_device *diode = netdev_priv(skb->dev);
	struct diode_skb_cb *cb = diode_skb_cb(skb);
	unsigned int inner_len = skb->len - DIODE_OVERHEAD;
	struct net_device *dev = skb->dev;

	kfree_sensitive(cb->req);
	diode_session_put(cb->session);
	if (err) {
		diode_tx_drop(diode, skb);
	} else {
		/* The tunnel's output path counts the frame in the device's
		 * standard statistics; diode's own count inner packets.
		 */
		local_bh_disable();
		if (diode_socket_send(diode, skb)) {
			diode_stat_inc(diode->stats, DIODE_STAT_TX_DROPPED);
			dev_core_stats_tx_dropped_inc(dev);
		} else {
			diode_stat_inc(diode->stats, DIODE_STAT_TX_PACKETS);
			diode_stat_add(diode->stats, DIODE_STAT_TX_BYTES, inner_len);
		}
		local_bh_enable();
	}
	dev_put(dev);
}

static void diode_seal_done(diode_crypto_cb_arg arg, int err)
{
	diode_seal_finish(diode_crypto_cb_data(arg), err);
}

static void diode_seal(struct diode_device *diode, struct diode_session *session,
		       struct sk_buff *skb)
{
	struct diode_skb_cb *cb = diode_skb_cb(skb);
	unsigned int inner_len;
	struct scatterlist *sg;
	int tailroom, ret;
	u64 counter;
	u8 *iv;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		goto drop;
	if (skb_linearize(skb) || skb_cow_head(skb, DIODE_HEADROOM))
		goto drop;
	tailroom = skb_tailroom(skb);
	if (tailroom < DIODE_AUTHTAG_LEN &&
	    pskb_expand_head(skb, 0, DIODE_AUTHTAG_LEN - tailroom, GFP_ATOMIC))
		goto drop;
	counter = atomic64_inc_return(&session->tx_counter);
	if (counter > DIODE_COUNTER_LIMIT)
		goto drop;
	if (unlikely(counter == READ_ONCE(session->rekey_kick) ||
		     counter == READ_ONCE(session->rekey_limit)))
		mod_delayed_work(system_power_efficient_wq, &diode->rekey_work, 0);

	inner_len = skb->len;
	diode_header_encode(skb_push(skb, DIODE_HEADER_LEN), DIODE_FRAME_DATA,
			    session->tag, counter);
	skb_put(skb, DIODE_AUTHTAG_LEN);

	cb->req = diode_aead_request_alloc(session->aead, &iv, &sg, GFP_ATOMIC);
	if (!cb->req)
		goto drop;
	diode_nonce(iv, session->salt4, counter);
	sg_init_one(sg, skb->data, skb->len);
	aead_request_set_callback(cb->req, 0, diode_seal_done, skb);
	aead_request_set_ad(cb->req, DIODE_HEADER_LEN);
	aead_request_set_crypt(cb->req, sg, sg, inner_len, iv);
	cb->session = diode_session_get(session);
	cb->counter = counter;
	dev_hold(diode->dev);

	ret = crypto_aead_encrypt(cb->req);
	if (ret != -EINPROGRESS)
		diode_seal_finish(skb, ret);
	return;

drop:
	diode_tx_drop(diode, skb);
}

netdev_tx_t diode_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);
	struct diode_session *session;
	struct sk_buff *segs, *next;

	if (READ_ONCE(diode->mode) != DIODE_MODE_TX)
		goto drop;
	if (skb->protocol != htons(ETH_P_IP) && skb->protocol != htons(ETH_P_IPV6))
		goto drop;
	/* The device may be going down and dropping its session right now. */
	session = rcu_dereference_bh(diode->tx_session);
	if (!session || !kref_get_unless_zero(&session->ref))
		goto drop;

	if (skb_is_gso(skb)) {
		segs = skb_gso_segment(skb, 0);
		if (IS_ERR_OR_NULL(segs)) {
			diode_session_put(session);
			goto drop;
		}
		consume_skb(skb);
	} else {
		segs = skb;
		skb_mark_not_on_list(skb);
	}
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		skb->dev = dev;
		diode_seal(diode, session, skb);
	}
	diode_session_put(session);
	return NETDEV_TX_OK;

drop:
	diode_tx_drop(diode, skb);
	return NETDEV_TX_OK;
}

void diode_announce_worker(struct work_struct *work)
{
	struct diode_device *diode = container_of(to_delayed_work(work),
						  struct diode_device,
						  announce_work);
	struct diode_session __rcu *const *slots[] = {
		&diode->tx_session, &diode->tx_next
	};
	struct diode_session *session;
	struct sk_buff *skb;
	int i;

	/* The current session for receivers that start late, and the next one
	 * ahead of its use.
	 */
	for (i = 0; i < ARRAY_SIZE(slots); i++) {
		skb = alloc_skb(DIODE_HEADROOM + DIODE_ANNOUNCE_FRAME_LEN, GFP_KERNEL);
		if (!skb)
			break;
		rcu_read_lock_bh();
		session = rcu_dereference_bh(*slots[i]);
		if (session) {
			skb_reserve(skb, DIODE_HEADROOM);
			skb_put_data(skb, session->announce, DIODE_ANNOUNCE_FRAME_LEN);
			skb->dev = diode->dev;
			if (!diode_socket_send(diode, skb))
				diode_stat_inc(diode->stats, DIODE_STAT_TX_ANNOUNCES);
			skb = NULL;
		}
		rcu_read_unlock_bh();
		kfree_skb(skb);
	}
	queue_delayed_work(system_power_efficient_wq, &diode->announce_work, HZ);
}
