// SPDX-License-Identifier: GPL-2.0
/*
 * The receiver: frames arrive on the UDP socket or the lower Ethernet
 * device, are checked, opened under the session their tag names, pass the
 * replay window (after authentication only) and are delivered on the device
 * through GRO. Sealed frames are kept for forward error correction; PARITY
 * frames rebuild the lost ones, which then go the same way. ANNOUNCE frames
 * of unknown sessions go to a worker that derives keys at a bounded rate.
 * The device has carrier while authentic frames keep arriving.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/scatterlist.h>
#include <linux/timekeeping.h>
#include <linux/udp.h>
#include <net/gro_cells.h>

#include "compat.h"
#include "crypt.h"
#include "device.h"
#include "messages.h"
#include "netlink.h"
#include "receive.h"
#include "session.h"

/* ANNOUNCE frames that may wait for the worker; more are dropped. */
#define DIODE_ANNOUNCE_QUEUE_LEN 16
/* Frames that may wait for the derivation of their session's ANNOUNCE. */
#define DIODE_HELD_LEN 64
/* Key derivations for unknown sessions: a burst of this many, then one per
 * DIODE_DERIVE_INTERVAL.
 */
#define DIODE_DERIVE_BURST 8
#define DIODE_DERIVE_INTERVAL (HZ / 10)

static void diode_rx_drop(struct diode_device *diode, struct sk_buff *skb,
			  enum diode_stat reason)
{
	diode_stat_inc(diode->stats, reason);
	if (reason == DIODE_STAT_RX_DROPPED)
		dev_core_stats_rx_dropped_inc(diode->dev);
	else
		DEV_STATS_INC(diode->dev, rx_errors);
	kfree_skb(skb);
}

/* Find the session a tag names; returns it with a reference held. */
static struct diode_session *diode_rx_session_get(struct diode_device *diode,
						  u16 tag)
{
	struct diode_session *session;
	int slot;

	rcu_read_lock_bh();
	for (slot = 0; slot < DIODE_RX_SLOTS; slot++) {
		session = rcu_dereference_bh(diode->rx_sessions[slot]);
		if (session && session->tag == tag &&
		    kref_get_unless_zero(&session->ref))
			goto out;
	}
	session = NULL;
out:
	rcu_read_unlock_bh();
	return session;
}

static bool diode_rx_session_known(struct diode_device *diode,
				   const struct diode_frame *frame)
{
	struct diode_session *session;
	bool known = false;
	int slot;

	rcu_read_lock_bh();
	for (slot = 0; slot < DIODE_RX_SLOTS && !known; slot++) {
		session = rcu_dereference_bh(diode->rx_sessions[slot]);
		known = session && session->tag == frame->session_tag &&
			!memcmp(session->ephemeral_pub, frame->ephemeral,
				DIODE_KEY_LEN);
	}
	rcu_read_unlock_bh();
	return known;
}

static u64 diode_rx_session_top(struct diode_session *session)
{
	u64 top;

	spin_lock_bh(&session->replay_lock);
	top = diode_replay_top(session->replay);
	spin_unlock_bh(&session->replay_lock);
	return top;
}

static void diode_rx_mark_fold(struct diode_rx_mark *mark, u64 created,
			       u64 counter)
{
	if (created > mark->created) {
		mark->created = created;
		mark->counter = counter;
	} else if (created == mark->created && counter > mark->counter) {
		mark->counter = counter;
	}
}

void diode_rx_mark_read(struct diode_device *diode, struct diode_rx_mark *mark)
{
	struct diode_session *session;
	int slot;

	lockdep_assert_held(&diode->lock);
	*mark = diode->rx_mark;
	rcu_read_lock_bh();
	for (slot = 0; slot < DIODE_RX_SLOTS; slot++) {
		session = rcu_dereference_bh(diode->rx_sessions[slot]);
		if (session)
			diode_rx_mark_fold(mark, session->created,
					   diode_rx_session_top(session));
	}
	rcu_read_unlock_bh();
}

int diode_rx_mark_raise(struct diode_device *diode,
			const struct diode_rx_mark *mark)
{
	struct diode_rx_mark now;

	diode_rx_mark_read(diode, &now);
	if (mark->created < now.created ||
	    (mark->created == now.created && mark->counter < now.counter))
		return -ERANGE;
	diode->rx_mark = *mark;
	return 0;
}

/* An authentic inner packet must be a whole IPv4 or IPv6 packet. */
static bool diode_inner_valid(struct sk_buff *skb)
{
	unsigned int len = skb->len, ip_len;

	if (len < 1)
		return false;
	switch (skb->data[0] >> 4) {
	case 4: {
		const struct iphdr *iph = (const struct iphdr *)skb->data;

		if (len < sizeof(*iph) || iph->ihl < 5)
			return false;
		ip_len = ntohs(iph->tot_len);
		if (ip_len < iph->ihl * 4 || ip_len > len)
			return false;
		skb->protocol = htons(ETH_P_IP);
		break;
	}
	case 6: {
		const struct ipv6hdr *ip6h = (const struct ipv6hdr *)skb->data;

		if (len < sizeof(*ip6h))
			return false;
		ip_len = sizeof(*ip6h) + ntohs(ip6h->payload_len);
		if (ip_len > len)
			return false;
		skb->protocol = htons(ETH_P_IPV6);
		break;
	}
	default:
		return false;
	}
	return !pskb_trim(skb, ip_len);
}

static void diode_carrier_set(struct diode_device *diode, bool on)
{
	diode_stat_inc(diode->stats, DIODE_STAT_RX_CARRIER_CHANGES);
	if (on)
		netif_carrier_on(diode->dev);
	else
		netif_carrier_off(diode->dev);
	diode_netlink_notify_carrier(diode, on);
}

/* An authentic frame came in: the link is alive. */
static void diode_rx_alive(struct diode_device *diode)
{
	WRITE_ONCE(diode->rx_last_valid, jiffies);
	if (netif_carrier_ok(diode->dev))
		return;
	diode_carrier_set(diode, true);
	mod_delayed_work(system_power_efficient_wq, &diode->carrier_work,
			 DIODE_HEARTBEAT_MISSES * READ_ONCE(diode->rx_heartbeat));
}

void diode_carrier_worker(struct work_struct *work)
{
	struct diode_device *diode = container_of(to_delayed_work(work),
						  struct diode_device,
						  carrier_work);
	unsigned long deadline = READ_ONCE(diode->rx_last_valid) +
				 DIODE_HEARTBEAT_MISSES * READ_ONCE(diode->rx_heartbeat);
	unsigned long now = jiffies;

	if (time_before(now, deadline)) {
		queue_delayed_work(system_power_efficient_wq, &diode->carrier_work,
				   deadline - now);
		return;
	}
	if (netif_carrier_ok(diode->dev))
		diode_carrier_set(diode, false);
}

static void diode_frame_receive_one(struct diode_device *diode,
				    struct sk_buff *skb, bool rebuilt);

/*
 * Frames rebuilt by FEC are received like those from the link, except that
 * a rebuilt frame completes no repair of its own (its group is the one just
 * repaired): the list is worked through here, never from inside it.
 */
static void diode_rebuilt_receive(struct diode_device *diode,
				  struct sk_buff_head *rebuilt)
{
	struct sk_buff *frame;

	while ((frame = __skb_dequeue(rebuilt))) {
		diode_stat_inc(diode->stats, DIODE_STAT_RX_RECOVERED);
		diode_frame_receive_one(diode, frame, true);
	}
}

/* FEC rebuilds no member that the replay window already took. */
static bool diode_rx_have(void *arg, u64 counter)
{
	struct diode_session *session = arg;
	enum diode_replay_verdict verdict;

	spin_lock_bh(&session->replay_lock);
	verdict = diode_replay_check(session->replay, counter);
	spin_unlock_bh(&session->replay_lock);
	return verdict != DIODE_REPLAY_NEW;
}

static void diode_parity_receive(struct diode_device *diode,
				 struct diode_session *session,
				 struct sk_buff *skb)
{
	struct sk_buff_head rebuilt;

	diode_stat_inc(diode->stats, DIODE_STAT_RX_PARITY);
	__skb_queue_head_init(&rebuilt);
	if (session->fec_rx &&
	    !diode_fec_rx_parity(session->fec_rx, skb->data + DIODE_HEADER_LEN,
				 skb->len - DIODE_OVERHEAD, &rebuilt,
				 diode_rx_have, session)) {
		consume_skb(skb);
	} else {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_MALFORMED);
	}
	diode_rebuilt_receive(diode, &rebuilt);
}

/* A DATA frame late for its group's parity may complete a repair. */
static void diode_late_member_receive(struct diode_device *diode,
				      struct diode_session *session, u64 counter)
{
	struct sk_buff_head rebuilt;

	__skb_queue_head_init(&rebuilt);
	diode_fec_rx_arrived(session->fec_rx, counter, &rebuilt, diode_rx_have,
			     session);
	diode_rebuilt_receive(diode, &rebuilt);
}

static void diode_open_finish(struct sk_buff *skb, int err)
{
	struct diode_device *diode = netdev_priv(skb->dev);
	struct diode_skb_cb *cb = diode_skb_cb(skb);
	struct diode_session *session = cb->session;
	struct net_device *dev = skb->dev;
	enum diode_replay_verdict verdict;
	u64 counter = cb->counter;
	unsigned int len;
	u64 lost;

	diode_aead_request_put(cb->req, cb->req_slot);
	if (err) {
		diode_fec_rx_unstage(session->fec_rx, cb->sealed);
		diode_rx_drop(diode, skb, err == -EBADMSG ? DIODE_STAT_RX_UNAUTHENTIC :
						     DIODE_STAT_RX_DROPPED);
		goto out;
	}
	spin_lock_bh(&session->replay_lock);
	lost = diode_replay_lost(session->replay);
	verdict = diode_replay_update(session->replay, counter);
	lost = diode_replay_lost(session->replay) - lost;
	spin_unlock_bh(&session->replay_lock);
	/* Only now, authentic and new, may the frame take a place in the
	 * store of FEC, from which no unverified frame can push it.
	 */
	if (verdict == DIODE_REPLAY_NEW && cb->sealed)
		diode_fec_rx_store(session->fec_rx, counter, cb->sealed);
	else
		diode_fec_rx_unstage(session->fec_rx, cb->sealed);
	if (verdict != DIODE_REPLAY_NEW) {
		diode_rx_drop(diode, skb, verdict == DIODE_REPLAY_DUPLICATE ?
				   DIODE_STAT_RX_DUPLICATE : DIODE_STAT_RX_REPLAYED);
		goto out;
	}
	if (lost)
		diode_stat_add(diode->stats, DIODE_STAT_RX_LOST, lost);

	if (unlikely(rcu_access_pointer(diode->rx_sessions[DIODE_RX_NEXT]) == session))
		diode_session_promote_rx(diode, session);
	local_bh_disable();
	diode_rx_alive(diode);
	local_bh_enable();

	switch (cb->type) {
	case DIODE_FRAME_HEARTBEAT:
		diode_stat_inc(diode->stats, DIODE_STAT_RX_HEARTBEATS);
		consume_skb(skb);
		goto out;
	case DIODE_FRAME_PARITY:
		local_bh_disable();
		diode_parity_receive(diode, session, skb);
		local_bh_enable();
		goto out;
	default:
		break;
	}

	__skb_pull(skb, DIODE_HEADER_LEN);
	if (pskb_trim(skb, skb->len - DIODE_AUTHTAG_LEN) || !diode_inner_valid(skb)) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_BAD_INNER);
		goto out;
	}
	len = skb->len;
	skb_scrub_packet(skb, true);
	memset(skb->cb, 0, sizeof(skb->cb));
	skb->dev = dev;
	skb_reset_mac_header(skb);
	skb_reset_network_header(skb);
	skb_probe_transport_header(skb);
	skb->pkt_type = PACKET_HOST;
	/* Authenticated end to end: the inner checksums need no second look. */
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = ~0;

	local_bh_disable();
	if (gro_cells_receive(&diode->gro_cells, skb) == NET_RX_SUCCESS) {
		diode_stat_inc(diode->stats, DIODE_STAT_RX_PACKETS);
		diode_stat_add(diode->stats, DIODE_STAT_RX_BYTES, len);
		dev_sw_netstats_rx_add(dev, len);
	} else {
		diode_stat_inc(diode->stats, DIODE_STAT_RX_DROPPED);
	}
	if (session->fec_rx && !cb->rebuilt)
		diode_late_member_receive(diode, session, counter);
	local_bh_enable();
out:
	diode_session_put(session);
	dev_put(dev);
}

static void diode_open_done(diode_crypto_cb_arg arg, int err)
{
	diode_open_finish(diode_crypto_cb_data(arg), err);
}

/*
 * A frame of a session whose ANNOUNCE waits for its key derivation waits
 * too, so that the first frames of a session, which overtake the worker,
 * are not lost. Bounded: DIODE_HELD_LEN frames, and only those whose tag
 * an ANNOUNCE in the queue or in the worker's hands carries.
 */
static bool diode_rx_hold(struct diode_device *diode, struct sk_buff *skb,
			  u16 tag)
{
	struct sk_buff_head *queue = &diode->announce_queue;
	const struct diode_header *hdr;
	struct sk_buff *announce;
	bool pending, held = false;

	spin_lock_bh(&queue->lock);
	pending = diode->deriving_tag == tag;
	skb_queue_walk(queue, announce) {
		if (pending)
			break;
		hdr = (const struct diode_header *)announce->data;
		pending = be16_to_cpu(hdr->session_tag) == tag;
	}
	if (pending && skb_queue_len(&diode->held) < DIODE_HELD_LEN) {
		skb->dev = NULL;
		__skb_queue_tail(&diode->held, skb);
		held = true;
	}
	spin_unlock_bh(&queue->lock);
	return held;
}

/* In process context: the held frames go round again, their session known. */
static void diode_rx_release_held(struct diode_device *diode)
{
	struct sk_buff_head *queue = &diode->announce_queue;
	struct sk_buff_head held;
	struct sk_buff *skb;

	__skb_queue_head_init(&held);
	spin_lock_bh(&queue->lock);
	skb_queue_splice_init(&diode->held, &held);
	spin_unlock_bh(&queue->lock);
	local_bh_disable();
	while ((skb = __skb_dequeue(&held)))
		diode_frame_receive(diode, skb);
	local_bh_enable();
}

void diode_rx_purge(struct diode_device *diode)
{
	struct sk_buff_head *queue = &diode->announce_queue;
	struct sk_buff_head dropped;

	__skb_queue_head_init(&dropped);
	spin_lock_bh(&queue->lock);
	skb_queue_splice_init(queue, &dropped);
	skb_queue_splice_init(&diode->held, &dropped);
	diode->deriving_tag = 0;
	spin_unlock_bh(&queue->lock);
	__skb_queue_purge(&dropped);
}

/* DATA, HEARTBEAT and PARITY frames: sealed under a session held. */
static void diode_sealed_receive(struct diode_device *diode, struct sk_buff *skb,
				 const struct diode_frame *frame, bool rebuilt)
{
	u16 tag = frame->session_tag;
	u64 counter = frame->counter;
	struct diode_skb_cb *cb = diode_skb_cb(skb);
	enum diode_replay_verdict verdict;
	struct diode_session *session;
	struct scatterlist *sg;
	int ret;
	u8 *iv;

	session = diode_rx_session_get(diode, tag);
	if (!session) {
		if (diode_rx_hold(diode, skb, tag))
			return;
		/* Its ANNOUNCE may have been installed since the look above. */
		session = diode_rx_session_get(diode, tag);
	}
	if (!session) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_UNKNOWN_SESSION);
		return;
	}
	/* A read-only look first, so that hopeless frames cost no decryption;
	 * the window itself changes only after authentication. A frame in
	 * order, above the window, needs no lock for it.
	 */
	if (!diode_replay_above_top(session->replay, counter)) {
		spin_lock_bh(&session->replay_lock);
		verdict = diode_replay_check(session->replay, counter);
		spin_unlock_bh(&session->replay_lock);
		if (verdict != DIODE_REPLAY_NEW) {
			diode_rx_drop(diode, skb, verdict == DIODE_REPLAY_DUPLICATE ?
					   DIODE_STAT_RX_DUPLICATE :
					   DIODE_STAT_RX_REPLAYED);
			goto put;
		}
	}
	if (skb_linearize_cow(skb)) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_DROPPED);
		goto put;
	}
	cb->req = diode_aead_request_get(session, &iv, &sg, &cb->req_slot);
	if (!cb->req) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_DROPPED);
		goto put;
	}
	cb->sealed = NULL;
	if (session->fec_rx && frame->type == DIODE_FRAME_DATA)
		cb->sealed = diode_fec_rx_stage(session->fec_rx, skb->data,
						skb->len);
	diode_nonce(iv, session->salt4, counter);
	sg_set_buf(sg, skb->data, skb->len);
	aead_request_set_callback(cb->req, 0, diode_open_done, skb);
	aead_request_set_ad(cb->req, DIODE_HEADER_LEN);
	aead_request_set_crypt(cb->req, sg, sg, skb->len - DIODE_HEADER_LEN, iv);
	cb->session = session;
	cb->counter = counter;
	cb->type = frame->type;
	cb->rebuilt = rebuilt;
	skb->dev = diode->dev;
	dev_hold(diode->dev);

	ret = crypto_aead_decrypt(cb->req);
	if (ret != -EINPROGRESS)
		diode_open_finish(skb, ret);
	return;
put:
	diode_session_put(session);
}

static void diode_announce_receive(struct diode_device *diode,
				   struct sk_buff *skb,
				   const struct diode_frame *frame)
{
	struct sk_buff_head *queue = &diode->announce_queue;
	bool queued = false;

	/* Only an ANNOUNCE of the right length can be authentic: a wrong one
	 * costs no derivation.
	 */
	if (skb->len != DIODE_ANNOUNCE_FRAME_LEN) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_MALFORMED);
		return;
	}
	/* The common case, a repeat of a session already held, costs a
	 * comparison.
	 */
	if (diode_rx_session_known(diode, frame)) {
		consume_skb(skb);
		return;
	}
	if (skb_linearize_cow(skb)) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_DROPPED);
		return;
	}
	skb->dev = NULL;
	spin_lock_bh(&queue->lock);
	if (skb_queue_len(queue) < DIODE_ANNOUNCE_QUEUE_LEN) {
		__skb_queue_tail(queue, skb);
		queued = true;
	}
	spin_unlock_bh(&queue->lock);
	if (!queued) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_RATE_LIMITED);
		return;
	}
	queue_work(system_unbound_wq, &diode->announce_rx_work);
}

static void diode_frame_receive_one(struct diode_device *diode,
				    struct sk_buff *skb, bool rebuilt)
{
	struct diode_frame frame;

	/* A sender never takes anything from the link. */
	if (READ_ONCE(diode->config.mode) != DIODE_MODE_RX) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_DROPPED);
		return;
	}
	if (skb_linearize(skb)) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_MALFORMED);
		return;
	}
	/* Frames may wait for a worker or for async crypto, outside this RCU
	 * section: they must not keep the noref route of the outer packet.
	 */
	skb_dst_drop(skb);
	if (diode_frame_parse(skb->data, skb->len, &frame)) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_MALFORMED);
		return;
	}
	if (frame.type == DIODE_FRAME_ANNOUNCE)
		diode_announce_receive(diode, skb, &frame);
	else
		diode_sealed_receive(diode, skb, &frame, rebuilt);
}

void diode_frame_receive(struct diode_device *diode, struct sk_buff *skb)
{
	diode_frame_receive_one(diode, skb, false);
}

/* The encap_rcv hook of the UDP socket: consumes every frame (returns 0). */
int diode_udp_receive(struct sock *sk, struct sk_buff *skb)
{
	struct diode_device *diode = rcu_dereference_sk_user_data(sk);

	if (!diode) {
		kfree_skb(skb);
		return 0;
	}
	if (!pskb_may_pull(skb, sizeof(struct udphdr))) {
		diode_rx_drop(diode, skb, DIODE_STAT_RX_MALFORMED);
		return 0;
	}
	__skb_pull(skb, sizeof(struct udphdr));
	diode_frame_receive(diode, skb);
	return 0;
}

static bool diode_derive_allowed(struct diode_device *diode)
{
	unsigned long now = jiffies;
	unsigned long refill = (now - diode->derive_refill_at) / DIODE_DERIVE_INTERVAL;

	if (refill) {
		diode->derive_tokens = min_t(unsigned long, DIODE_DERIVE_BURST,
					     diode->derive_tokens + refill);
		diode->derive_refill_at = now;
	}
	if (!diode->derive_tokens)
		return false;
	diode->derive_tokens--;
	return true;
}

/* Under @diode->lock: authenticate one ANNOUNCE and install its session. */
static enum diode_stat diode_announce_process(struct diode_device *diode,
					      struct sk_buff *skb)
{
	struct diode_announce_params params;
	struct diode_session *session;
	struct diode_frame frame;
	u64 now;

	if (diode->config.mode != DIODE_MODE_RX || !diode->config.keys.ready)
		return DIODE_STAT_RX_DROPPED;
	/* The skb is a private linear copy, parsed once already. */
	if (diode_frame_parse(skb->data, skb->len, &frame) ||
	    frame.type != DIODE_FRAME_ANNOUNCE)
		return DIODE_STAT_RX_MALFORMED;
	if (diode_rx_session_known(diode, &frame))
		return __DIODE_STAT_MAX;
	/* Older than the mark: no derivation spent on it. */
	if (frame.created < diode->rx_mark.created)
		return DIODE_STAT_RX_STALE_SESSION;
	now = ktime_get_real_ns();
	if (diode->config.max_session_age && now > frame.created &&
	    now - frame.created > (u64)diode->config.max_session_age * NSEC_PER_SEC)
		return DIODE_STAT_RX_STALE_SESSION;
	if (!diode_derive_allowed(diode))
		return DIODE_STAT_RX_RATE_LIMITED;

	session = diode_session_new_rx(&diode->config.keys, frame.ephemeral,
				       frame.session_tag, frame.created,
				       diode->config.replay_window);
	if (IS_ERR(session))
		return PTR_ERR(session) == -EINVAL ? DIODE_STAT_RX_UNAUTHENTIC :
						     DIODE_STAT_RX_DROPPED;
	if (diode_session_open_announce(session, skb->data, skb->len, &params)) {
		diode_session_put(session);
		return DIODE_STAT_RX_UNAUTHENTIC;
	}
	diode_stat_inc(diode->stats, DIODE_STAT_RX_ANNOUNCES);
	/* Authentic, but asking for what this receiver cannot do. */
	if (diode_session_set_params(session, &params)) {
		diode_session_put(session);
		return DIODE_STAT_RX_MALFORMED;
	}
	if (session->fec.data && diode_session_fec_rx_init(session)) {
		diode_session_put(session);
		return DIODE_STAT_RX_DROPPED;
	}
	/* The session the mark names, learnt again (the receiver restarted
	 * or forgot it): it goes on above what was delivered of it.
	 */
	if (frame.created == diode->rx_mark.created)
		diode_replay_start_at(session->replay, diode->rx_mark.counter);
	diode_rx_mark_fold(&diode->rx_mark, frame.created, 0);
	diode_session_log_aead(diode, session);
	WRITE_ONCE(diode->rx_heartbeat, msecs_to_jiffies(session->heartbeat_ms));
	diode_session_install_rx(diode, session);
	local_bh_disable();
	diode_rx_alive(diode);
	local_bh_enable();
	diode_stat_inc(diode->stats, DIODE_STAT_RX_SESSIONS);
	return __DIODE_STAT_MAX;
}

void diode_announce_rx_worker(struct work_struct *work)
{
	struct diode_device *diode = container_of(work, struct diode_device,
						  announce_rx_work);
	enum diode_stat result;
	struct sk_buff *skb;

	struct sk_buff_head *queue = &diode->announce_queue;
	const struct diode_header *hdr;

	for (;;) {
		spin_lock_bh(&queue->lock);
		skb = __skb_dequeue(queue);
		if (skb) {
			hdr = (const struct diode_header *)skb->data;
			diode->deriving_tag = be16_to_cpu(hdr->session_tag);
		}
		spin_unlock_bh(&queue->lock);
		if (!skb)
			break;
		mutex_lock(&diode->lock);
		result = diode_announce_process(diode, skb);
		mutex_unlock(&diode->lock);
		if (result == __DIODE_STAT_MAX) {
			consume_skb(skb);
		} else {
			diode_stat_inc(diode->stats, result);
			kfree_skb(skb);
		}
		spin_lock_bh(&queue->lock);
		diode->deriving_tag = 0;
		spin_unlock_bh(&queue->lock);
		diode_rx_release_held(diode);
		cond_resched();
	}
}
