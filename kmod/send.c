// SPDX-License-Identifier: GPL-2.0
/*
 * The sender: every packet routed into the device is sealed under the current
 * session, fed to forward error correction and sent (emit.c). Once per
 * heartbeat interval, even when idle, the session's ANNOUNCE and a HEARTBEAT
 * go out, and groups and copies still waiting for more traffic are flushed.
 */
#include <linux/scatterlist.h>
#include <net/ip.h>

#include "compat.h"
#include "crypt.h"
#include "device.h"
#include "emit.h"
#include "messages.h"
#include "send.h"
#include "session.h"

/* Counters stay far below 2^64; the sender refuses to send past this. */
#define DIODE_COUNTER_LIMIT (U64_MAX - 1)

static void diode_tx_drop(struct diode_device *diode, struct sk_buff *skb)
{
	diode_stat_inc(diode->stats, DIODE_STAT_TX_DROPPED);
	dev_core_stats_tx_dropped_inc(diode->dev);
	kfree_skb(skb);
}

static void diode_seal(struct diode_device *diode, struct diode_session *session,
		       struct sk_buff *skb, enum diode_frame_type type);

static void diode_seal_finish(struct sk_buff *skb, int err)
{
	struct diode_device *diode = netdev_priv(skb->dev);
	struct diode_skb_cb *cb = diode_skb_cb(skb);
	struct diode_session *session = cb->session;
	unsigned int body_len = skb->len - DIODE_OVERHEAD;
	struct net_device *dev = skb->dev;
	struct sk_buff_head parity;
	struct sk_buff *p;

	diode_aead_request_put(cb->req, cb->req_slot);
	cb->req = NULL;
	if (err) {
		diode_tx_drop(diode, skb);
		goto out;
	}
	__skb_queue_head_init(&parity);
	local_bh_disable();
	switch (cb->type) {
	case DIODE_FRAME_DATA:
		diode_stat_inc(diode->stats, DIODE_STAT_TX_PACKETS);
		diode_stat_add(diode->stats, DIODE_STAT_TX_BYTES, body_len);
		if (session->fec_tx)
			diode_fec_tx_add(session->fec_tx, cb->counter, skb->data,
					 skb->len, &parity);
		break;
	case DIODE_FRAME_HEARTBEAT:
		diode_stat_inc(diode->stats, DIODE_STAT_TX_HEARTBEATS);
		break;
	case DIODE_FRAME_PARITY:
		diode_stat_inc(diode->stats, DIODE_STAT_TX_PARITY);
		break;
	default:
		break;
	}
	/* The tunnel's output path counts the frame in the device's standard
	 * statistics; diode's own count what the frames carry.
	 */
	diode_emit(diode, skb, session->redundancy);
	while ((p = __skb_dequeue(&parity))) {
		p->dev = dev;
		diode_seal(diode, diode_session_get(session), p, DIODE_FRAME_PARITY);
	}
	local_bh_enable();
out:
	diode_session_put(session);
	dev_put(dev);
}

static void diode_seal_done(diode_crypto_cb_arg arg, int err)
{
	diode_seal_finish(diode_crypto_cb_data(arg), err);
}

/*
 * Completes the checksum that the stack left to the device
 * (CHECKSUM_PARTIAL), as skb_checksum_help() would, on the linear and
 * private skb that sealing needs anyway: one csum_partial() over the data.
 */
static int diode_csum_complete(struct sk_buff *skb)
{
	int start = skb_checksum_start_offset(skb);
	int field = start + skb->csum_offset;

	if (unlikely(skb_is_gso(skb) || start < 0 || start >= skb->len ||
		     field + sizeof(__sum16) > skb->len))
		return -EINVAL;
	*(__sum16 *)(skb->data + field) =
		csum_fold(csum_partial(skb->data + start, skb->len - start, 0)) ?:
		CSUM_MANGLED_0;
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/*
 * Seals the body in @skb as a frame of @type and sends it. Consumes @skb and
 * a reference to @session, which the frame keeps until it is sent: one
 * packet costs one reference, taken in diode_xmit.
 */
static void diode_seal(struct diode_device *diode, struct diode_session *session,
		       struct sk_buff *skb, enum diode_frame_type type)
{
	struct diode_skb_cb *cb = diode_skb_cb(skb);
	unsigned int body_len;
	struct scatterlist *sg;
	int tailroom, ret;
	u64 counter;
	u8 *iv;

	/* Sealed in place: data shared with a clone (TCP keeps one for
	 * retransmission, the DIODE target's copy mode makes one) is copied
	 * first, whatever part of it the clone may own.
	 */
	if (skb_linearize(skb) || skb_cow(skb, DIODE_HEADROOM))
		goto drop;
	if (skb->ip_summed == CHECKSUM_PARTIAL && diode_csum_complete(skb))
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

	body_len = skb->len;
	diode_header_encode(skb_push(skb, DIODE_HEADER_LEN), type, session->tag,
			    counter);
	skb_put(skb, DIODE_AUTHTAG_LEN);

	cb->req = diode_aead_request_get(session, &iv, &sg, &cb->req_slot);
	if (!cb->req)
		goto drop;
	diode_nonce(iv, session->salt4, counter);
	sg_set_buf(sg, skb->data, skb->len);
	aead_request_set_callback(cb->req, 0, diode_seal_done, skb);
	aead_request_set_ad(cb->req, DIODE_HEADER_LEN);
	aead_request_set_crypt(cb->req, sg, sg, body_len, iv);
	cb->session = session;
	cb->counter = counter;
	cb->type = type;
	dev_hold(diode->dev);

	ret = crypto_aead_encrypt(cb->req);
	if (ret != -EINPROGRESS)
		diode_seal_finish(skb, ret);
	return;

drop:
	diode_session_put(session);
	diode_tx_drop(diode, skb);
}

netdev_tx_t diode_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);
	struct diode_session *session;
	struct sk_buff *segs, *next;

	if (READ_ONCE(diode->config.mode) != DIODE_MODE_TX)
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
	/* The last segment takes over the reference taken above. */
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		skb->dev = dev;
		diode_seal(diode, next ? diode_session_get(session) : session,
			   skb, DIODE_FRAME_DATA);
	}
	return NETDEV_TX_OK;

drop:
	diode_tx_drop(diode, skb);
	return NETDEV_TX_OK;
}

void diode_send_announce(struct diode_device *diode,
			 struct diode_session *session)
{
	struct sk_buff *skb;

	skb = alloc_skb(DIODE_HEADROOM + DIODE_ANNOUNCE_FRAME_LEN, GFP_KERNEL);
	if (!skb)
		return;
	skb_reserve(skb, DIODE_HEADROOM);
	skb_put_data(skb, session->announce, DIODE_ANNOUNCE_FRAME_LEN);
	skb->dev = diode->dev;
	local_bh_disable();
	diode_emit(diode, skb, session->redundancy);
	local_bh_enable();
	diode_stat_inc(diode->stats, DIODE_STAT_TX_ANNOUNCES);
}

static void diode_send_announces(struct diode_device *diode)
{
	struct diode_session __rcu *const *slots[] = {
		&diode->tx_session, &diode->tx_next
	};
	struct diode_session *session;
	int i;

	/* The current session for receivers that start late, and the next one
	 * ahead of its use.
	 */
	for (i = 0; i < ARRAY_SIZE(slots); i++) {
		rcu_read_lock_bh();
		session = rcu_dereference_bh(*slots[i]);
		if (session && !kref_get_unless_zero(&session->ref))
			session = NULL;
		rcu_read_unlock_bh();
		if (!session)
			continue;
		diode_send_announce(diode, session);
		diode_session_put(session);
	}
}

void diode_send_fec_flush(struct diode_device *diode,
			  struct diode_session *session)
{
	struct sk_buff_head parity;
	struct sk_buff *p;

	if (!session->fec_tx)
		return;
	__skb_queue_head_init(&parity);
	local_bh_disable();
	diode_fec_tx_flush(session->fec_tx, &parity);
	while ((p = __skb_dequeue(&parity))) {
		p->dev = diode->dev;
		diode_seal(diode, diode_session_get(session), p,
			   DIODE_FRAME_PARITY);
	}
	local_bh_enable();
}

/* A HEARTBEAT under the current session, then what waits for more traffic. */
static void diode_send_heartbeat(struct diode_device *diode)
{
	struct diode_heartbeat *hb;
	struct diode_session *session;
	u64 stats[__DIODE_STAT_MAX];
	struct sk_buff *skb;

	skb = alloc_skb(DIODE_HEADROOM + sizeof(*hb) + DIODE_TAILROOM, GFP_KERNEL);
	if (!skb)
		return;
	skb_reserve(skb, DIODE_HEADROOM);
	diode_stats_read(diode->stats, stats);
	hb = skb_put(skb, sizeof(*hb));
	hb->tx_packets = cpu_to_be64(stats[DIODE_STAT_TX_PACKETS]);
	hb->tx_dropped = cpu_to_be64(stats[DIODE_STAT_TX_DROPPED] +
				     stats[DIODE_STAT_TX_PACING_DROPPED]);
	hb->uptime_ms = cpu_to_be64(ktime_get_boottime_ns() / NSEC_PER_MSEC);
	skb->dev = diode->dev;

	rcu_read_lock_bh();
	session = rcu_dereference_bh(diode->tx_session);
	if (!session || !kref_get_unless_zero(&session->ref)) {
		rcu_read_unlock_bh();
		kfree_skb(skb);
		return;
	}
	diode_seal(diode, diode_session_get(session), skb, DIODE_FRAME_HEARTBEAT);
	rcu_read_unlock_bh();
	diode_send_fec_flush(diode, session);
	local_bh_disable();
	diode_emit_flush(diode);
	local_bh_enable();
	diode_session_put(session);
}

void diode_heartbeat_worker(struct work_struct *work)
{
	struct diode_device *diode = container_of(to_delayed_work(work),
						  struct diode_device,
						  heartbeat_work);
	u32 interval;

	diode_send_announces(diode);
	diode_send_heartbeat(diode);
	diode_config_get(diode, heartbeat_ms, &interval);
	queue_delayed_work(system_power_efficient_wq, &diode->heartbeat_work,
			   msecs_to_jiffies(interval));
}
