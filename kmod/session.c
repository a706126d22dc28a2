// SPDX-License-Identifier: GPL-2.0
/*
 * A session's life (docs/protocol.md, "Keys and sessions" and "Rekeying
 * without feedback"), all of it here. Made: the sender's from a fresh
 * ephemeral key, the receiver's from an ANNOUNCE, both ending in the same
 * AES-256-GCM key and nonce salt. Used: a sender holds a current session
 * and, ahead of a rekey, the next one, which it announces before it
 * switches to it, make before break; a receiver holds the previous, the
 * current and the next, and the first authentic frame under the next one
 * rotates them. Ended: a receiver's previous session a grace period after
 * that rotation, every session when the device stops them, and its keys
 * once the last frame in flight is done with it.
 */
#include <crypto/curve25519.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "compat.h"

#include "crypt.h"
#include "device.h"
#include "receive.h"
#include "send.h"
#include "session.h"

static void diode_session_free_rcu(struct rcu_head *rcu)
{
	struct diode_session *session = container_of(rcu, struct diode_session, rcu);

	diode_aead_slots_free(session->aead_slots);
	crypto_free_aead(session->aead);
	diode_fec_tx_free(session->fec_tx);
	diode_fec_rx_free(session->fec_rx);
	kfree(session->replay);
	kfree_sensitive(session);
}

static void diode_session_release(struct kref *ref)
{
	struct diode_session *session = container_of(ref, struct diode_session, ref);

	call_rcu(&session->rcu, diode_session_free_rcu);
}

void diode_session_put(struct diode_session *session)
{
	if (session)
		kref_put(&session->ref, diode_session_release);
}

static struct diode_session *diode_session_alloc(const struct diode_static_keys *keys,
						 const u8 ephemeral_dh[DIODE_KEY_LEN],
						 const u8 ephemeral_pub[DIODE_KEY_LEN],
						 u16 tag, u64 created)
{
	struct diode_session_keys skeys;
	struct diode_session *session;
	int ret;

	session = kzalloc(sizeof(*session), GFP_KERNEL);
	if (!session)
		return ERR_PTR(-ENOMEM);
	kref_init(&session->ref);
	spin_lock_init(&session->replay_lock);
	session->tag = tag;
	session->created = created;
	memcpy(session->ephemeral_pub, ephemeral_pub, DIODE_KEY_LEN);

	ret = diode_keys_derive(keys, ephemeral_dh, ephemeral_pub, tag, created,
				&skeys);
	if (ret)
		goto err_free;
	memcpy(session->salt4, skeys.salt4, sizeof(session->salt4));

	session->aead = crypto_alloc_aead("gcm(aes)", 0, 0);
	if (IS_ERR(session->aead)) {
		ret = PTR_ERR(session->aead);
		goto err_wipe;
	}
	ret = crypto_aead_setauthsize(session->aead, DIODE_AUTHTAG_LEN);
	if (!ret)
		ret = crypto_aead_setkey(session->aead, skeys.key, sizeof(skeys.key));
	if (ret)
		goto err_aead;
	session->aead_slots = diode_aead_slots_new(session->aead);
	if (!session->aead_slots) {
		ret = -ENOMEM;
		goto err_aead;
	}
	memzero_explicit(&skeys, sizeof(skeys));
	return session;

err_aead:
	crypto_free_aead(session->aead);
err_wipe:
	memzero_explicit(&skeys, sizeof(skeys));
err_free:
	kfree_sensitive(session);
	return ERR_PTR(ret);
}

/* Seal or open one buffer in process context, waiting for async completion. */
static int diode_session_crypt_sync(struct diode_session *session, u8 *buf,
				    unsigned int assoc_len, unsigned int text_len,
				    bool encrypt)
{
	DECLARE_CRYPTO_WAIT(wait);
	struct aead_request *req;
	struct scatterlist *sg;
	unsigned int total = assoc_len + text_len + (encrypt ? 0 : DIODE_AUTHTAG_LEN);
	u8 *iv;
	int ret;

	req = diode_aead_request_alloc(session->aead, &iv, &sg, GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	diode_nonce(iv, session->salt4, 0);
	sg_init_one(sg, buf, total + (encrypt ? DIODE_AUTHTAG_LEN : 0));
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done, &wait);
	aead_request_set_ad(req, assoc_len);
	if (encrypt) {
		aead_request_set_crypt(req, sg, sg, text_len, iv);
		ret = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	} else {
		aead_request_set_crypt(req, sg, sg, text_len + DIODE_AUTHTAG_LEN, iv);
		ret = crypto_wait_req(crypto_aead_decrypt(req), &wait);
	}
	kfree_sensitive(req);
	return ret;
}

static u16 diode_session_new_tag(const u16 avoid[DIODE_RECENT_TAGS])
{
	u16 tag;
	int i;

again:
	tag = get_random_u32() & 0xffff;
	if (!tag)
		goto again;
	for (i = 0; i < DIODE_RECENT_TAGS; i++)
		if (tag == avoid[i])
			goto again;
	return tag;
}

struct diode_session *diode_session_new_tx(const struct diode_static_keys *keys,
					   const struct diode_announce_params *params,
					   const u16 avoid_tags[DIODE_RECENT_TAGS])
{
	u8 ephemeral[DIODE_KEY_LEN], ephemeral_pub[DIODE_KEY_LEN];
	u8 ephemeral_dh[DIODE_KEY_LEN];
	struct diode_session *session;
	u8 *clear;
	int ret;

	if (!keys->ready)
		return ERR_PTR(-ENOKEY);
	curve25519_generate_secret(ephemeral);
	if (!curve25519_generate_public(ephemeral_pub, ephemeral) ||
	    !curve25519(ephemeral_dh, ephemeral, keys->peer_key)) {
		session = ERR_PTR(-EINVAL);
		goto out;
	}
	session = diode_session_alloc(keys, ephemeral_dh, ephemeral_pub,
				      diode_session_new_tag(avoid_tags),
				      ktime_get_real_ns());
	if (IS_ERR(session))
		goto out;
	ret = diode_session_set_params(session, params);
	if (ret)
		goto err_put;
	if (session->fec.data) {
		session->fec_tx = diode_fec_tx_new(&session->fec);
		if (!session->fec_tx) {
			ret = -ENOMEM;
			goto err_put;
		}
	}

	diode_header_encode(session->announce, DIODE_FRAME_ANNOUNCE,
			    session->tag, 0);
	clear = session->announce + DIODE_HEADER_LEN;
	memcpy(clear, session->ephemeral_pub, DIODE_KEY_LEN);
	put_unaligned_be64(session->created, clear + DIODE_KEY_LEN);
	memcpy(clear + DIODE_ANNOUNCE_CLEAR_LEN, params, sizeof(*params));
	ret = diode_session_crypt_sync(session, session->announce,
				       DIODE_HEADER_LEN + DIODE_ANNOUNCE_CLEAR_LEN,
				       sizeof(*params), true);
	if (ret)
		goto err_put;
	goto out;

err_put:
	diode_session_put(session);
	session = ERR_PTR(ret);
out:
	memzero_explicit(ephemeral, sizeof(ephemeral));
	memzero_explicit(ephemeral_dh, sizeof(ephemeral_dh));
	return session;
}

struct diode_session *diode_session_new_rx(const struct diode_static_keys *keys,
					   const u8 ephemeral_pub[DIODE_KEY_LEN],
					   u16 tag, u64 created, u32 replay_window)
{
	u8 ephemeral_dh[DIODE_KEY_LEN];
	struct diode_session *session;
	size_t size;
	int ret;

	if (!keys->ready)
		return ERR_PTR(-ENOKEY);
	if (!curve25519(ephemeral_dh, keys->private_key, ephemeral_pub))
		return ERR_PTR(-EINVAL);
	session = diode_session_alloc(keys, ephemeral_dh, ephemeral_pub, tag,
				      created);
	memzero_explicit(ephemeral_dh, sizeof(ephemeral_dh));
	if (IS_ERR(session))
		return session;
	size = diode_replay_size(replay_window);
	session->replay = size ? kzalloc(size, GFP_KERNEL) : NULL;
	ret = !size ? -EINVAL : !session->replay ? -ENOMEM :
	      diode_replay_init(session->replay, replay_window);
	if (ret) {
		diode_session_put(session);
		return ERR_PTR(ret);
	}
	return session;
}

int diode_session_fec_rx_init(struct diode_session *session)
{
	session->fec_rx = diode_fec_rx_new(&session->fec);
	return session->fec_rx ? 0 : -ENOMEM;
}

int diode_session_set_params(struct diode_session *session,
			     const struct diode_announce_params *params)
{
	u32 heartbeat_ms = be32_to_cpu(params->heartbeat_ms);
	struct diode_fec_config fec = {
		.data = params->fec_data,
		.parity = params->fec_parity,
		.interleave = params->fec_interleave,
	};

	if (heartbeat_ms < DIODE_HEARTBEAT_MS_MIN ||
	    heartbeat_ms > DIODE_HEARTBEAT_MS_MAX ||
	    !params->redundancy || params->redundancy > DIODE_REDUNDANCY_MAX ||
	    !diode_fec_config_valid(&fec))
		return -EINVAL;
	session->heartbeat_ms = heartbeat_ms;
	session->redundancy = params->redundancy;
	session->fec = fec;
	return 0;
}

/* Authenticate a received ANNOUNCE (a private, linear copy) and read its body. */
int diode_session_open_announce(struct diode_session *session, u8 *frame,
				unsigned int len,
				struct diode_announce_params *params)
{
	unsigned int assoc_len = DIODE_HEADER_LEN + DIODE_ANNOUNCE_CLEAR_LEN;
	int ret;

	if (len != DIODE_ANNOUNCE_FRAME_LEN)
		return -EBADMSG;
	ret = diode_session_crypt_sync(session, frame, assoc_len,
				       sizeof(*params), false);
	if (!ret)
		memcpy(params, frame + assoc_len, sizeof(*params));
	return ret;
}

/* A generic C fallback is many times slower than AES-NI: say which it is. */
void diode_session_log_aead(struct diode_device *diode,
			    const struct diode_session *session)
{
	if (diode->aead_logged)
		return;
	diode->aead_logged = true;
	netdev_info(diode->dev, "AES-256-GCM by %s\n",
		    crypto_aead_driver_name(session->aead));
}

/* A sender's sessions: the one in use and, ahead of a rekey, the next. */

/* The counter at which a sender prepares its next session: 7/8 of the limit. */
static u64 diode_rekey_kick(const struct diode_device *diode)
{
	return diode->config.rekey_after_frames -
	       diode->config.rekey_after_frames / 8;
}

/* The least time a next session is announced before it is used. */
#define DIODE_REKEY_MIN_LEAD (HZ / 10)

/* How long a next session is announced before it is used. */
static unsigned long diode_rekey_lead(const struct diode_device *diode)
{
	return min_t(unsigned long, HZ, diode->config.rekey_after_time * HZ / 2);
}

static struct diode_announce_params diode_session_params(struct diode_device *diode)
{
	const struct diode_config *config = &diode->config;

	return (struct diode_announce_params) {
		.heartbeat_ms = cpu_to_be32(config->heartbeat_ms),
		.redundancy = config->redundancy,
		.fec_data = config->fec_data,
		.fec_parity = config->fec_data ? config->fec_parity : 0,
		.fec_interleave = config->fec_data ? config->fec_interleave : 0,
	};
}

static struct diode_session *diode_session_next_tx(struct diode_device *diode)
{
	struct diode_announce_params params = diode_session_params(diode);
	struct diode_session *session;

	session = diode_session_new_tx(&diode->config.keys, &params, diode->recent_tags);
	if (IS_ERR(session))
		return session;
	session->rekey_kick = diode_rekey_kick(diode);
	session->rekey_limit = diode->config.rekey_after_frames;
	memmove(&diode->recent_tags[1], &diode->recent_tags[0],
		sizeof(diode->recent_tags) - sizeof(diode->recent_tags[0]));
	diode->recent_tags[0] = session->tag;
	diode_session_log_aead(diode, session);
	diode_stat_inc(diode->stats, DIODE_STAT_TX_SESSIONS);
	return session;
}

static void diode_session_replace_tx(struct diode_device *diode,
				     struct diode_session __rcu **slot,
				     struct diode_session *session)
{
	diode_session_put(rcu_replace_pointer(*slot, session,
					      lockdep_is_held(&diode->lock)));
}

/*
 * A sender starts a new session at once: at every start and whenever its
 * keys change. Without keys or while down it has none and drops what it is
 * given. Under @lock.
 */
int diode_session_start_tx(struct diode_device *diode)
{
	struct diode_session *session = NULL, *old;

	if (diode->config.mode != DIODE_MODE_TX || !netif_running(diode->dev))
		return 0;
	if (diode->config.keys.ready) {
		session = diode_session_next_tx(diode);
		if (IS_ERR(session))
			return PTR_ERR(session);
	}
	old = rcu_dereference_protected(diode->tx_session,
					lockdep_is_held(&diode->lock));
	if (old)
		diode_session_get(old);
	/* Its ANNOUNCE goes first, before any frame can be sealed under it:
	 * a frame that overtook it would be of a session the receiver does
	 * not know yet. The heartbeat sends it again at once.
	 */
	if (session)
		diode_send_announce(diode, session);
	diode_session_replace_tx(diode, &diode->tx_next, NULL);
	diode_session_replace_tx(diode, &diode->tx_session, session);
	if (old) {
		/* As at a rekey: the frames of open groups get their parity. */
		diode_send_fec_flush(diode, old);
		diode_session_put(old);
	}
	diode->tx_started = jiffies;
	if (session) {
		mod_delayed_work(system_power_efficient_wq, &diode->heartbeat_work, 0);
		mod_delayed_work(system_power_efficient_wq, &diode->rekey_work,
				 diode->config.rekey_after_time * HZ - diode_rekey_lead(diode));
	}
	return 0;
}

/*
 * Make before break: when the current session is old enough, or has sealed
 * enough frames (the data path kicks this work), prepare the next session
 * and announce it; one lead time later, switch to it.
 */
void diode_session_rekey_worker(struct work_struct *work)
{
	struct diode_device *diode = container_of(to_delayed_work(work),
						  struct diode_device, rekey_work);
	unsigned long lead = diode_rekey_lead(diode), now = jiffies, due;
	struct diode_session *current_session, *next;

	mutex_lock(&diode->lock);
	current_session = rcu_dereference_protected(diode->tx_session,
						    lockdep_is_held(&diode->lock));
	next = rcu_dereference_protected(diode->tx_next,
					 lockdep_is_held(&diode->lock));
	if (diode->config.mode != DIODE_MODE_TX || !netif_running(diode->dev) ||
	    !current_session)
		goto out;

	if (next) {
		due = diode->tx_next_announced + lead;
		/* Past its frame limit, the session gives way sooner. */
		if (atomic64_read(&current_session->tx_counter) >=
		    diode->config.rekey_after_frames &&
		    time_before(diode->tx_next_announced + DIODE_REKEY_MIN_LEAD, due))
			due = diode->tx_next_announced + DIODE_REKEY_MIN_LEAD;
		if (time_before(now, due)) {
			mod_delayed_work(system_power_efficient_wq, &diode->rekey_work,
					 due - now);
			goto out;
		}
		/* Its ANNOUNCE once more, right before its first frame: a
		 * receiver that was down when it was announced learns it now
		 * rather than a heartbeat later.
		 */
		diode_send_announce(diode, next);
		rcu_assign_pointer(diode->tx_next, NULL);
		diode_session_get(current_session);
		diode_session_replace_tx(diode, &diode->tx_session, next);
		/* Frames of the old session still in open groups get their
		 * parity now: no heartbeat of that session will come.
		 */
		diode_send_fec_flush(diode, current_session);
		diode_session_put(current_session);
		diode->tx_started = now;
		mod_delayed_work(system_power_efficient_wq, &diode->rekey_work,
				 diode->config.rekey_after_time * HZ - lead);
		goto out;
	}

	due = diode->tx_started + diode->config.rekey_after_time * HZ - lead;
	/* The limits may have changed since the session began. */
	WRITE_ONCE(current_session->rekey_kick, diode_rekey_kick(diode));
	WRITE_ONCE(current_session->rekey_limit, diode->config.rekey_after_frames);
	if (time_before(now, due) &&
	    atomic64_read(&current_session->tx_counter) < current_session->rekey_kick) {
		mod_delayed_work(system_power_efficient_wq, &diode->rekey_work,
				 due - now);
		goto out;
	}
	next = diode_session_next_tx(diode);
	if (IS_ERR(next)) {
		/* Keep sending on the current session; try again soon. */
		mod_delayed_work(system_power_efficient_wq, &diode->rekey_work, HZ);
		goto out;
	}
	rcu_assign_pointer(diode->tx_next, next);
	diode->tx_next_announced = now;
	mod_delayed_work(system_power_efficient_wq, &diode->heartbeat_work, 0);
	mod_delayed_work(system_power_efficient_wq, &diode->rekey_work, lead);
out:
	mutex_unlock(&diode->lock);
}

/* A receiver's sessions: the previous, the current and the next. */

/* How long a receiver keeps the previous session once the next is in use. */
#define DIODE_RX_GRACE (2 * HZ)

/*
 * Under @rx_lock: the next session becomes current, the current one previous,
 * kept for a grace period for frames delayed on the link. Returns the session
 * that was previous, for the caller to put.
 */
static struct diode_session *diode_session_rotate_rx(struct diode_device *diode,
						     struct diode_session *next)
{
	struct diode_session __rcu **slots = diode->rx_sessions;
	struct diode_session *retired;

	retired = rcu_replace_pointer(slots[DIODE_RX_PREVIOUS],
				      rcu_dereference_protected(slots[DIODE_RX_CURRENT],
						lockdep_is_held(&diode->rx_lock)),
				      lockdep_is_held(&diode->rx_lock));
	rcu_assign_pointer(slots[DIODE_RX_CURRENT], next);
	RCU_INIT_POINTER(slots[DIODE_RX_NEXT], NULL);
	diode->rx_retire_at = jiffies + DIODE_RX_GRACE;
	mod_delayed_work(system_power_efficient_wq, &diode->rx_retire_work,
			 DIODE_RX_GRACE);
	return retired;
}

/* The first authentic frame of the next session: the sender switched to it. */
void diode_session_promote_rx(struct diode_device *diode,
			      struct diode_session *session)
{
	struct diode_session *retired = NULL;

	spin_lock_bh(&diode->rx_lock);
	if (rcu_access_pointer(diode->rx_sessions[DIODE_RX_NEXT]) == session)
		retired = diode_session_rotate_rx(diode, session);
	spin_unlock_bh(&diode->rx_lock);
	diode_session_put(retired);
}

/*
 * A newly accepted session waits as the next one until its first frame
 * arrives. A sender announces a session only once it uses the one before:
 * a next session still waiting is in use by now and becomes current. The
 * first session of all is current at once.
 */
void diode_session_install_rx(struct diode_device *diode,
			      struct diode_session *session)
{
	struct diode_session __rcu **slots = diode->rx_sessions;
	struct diode_session *retired = NULL, *waiting;

	spin_lock_bh(&diode->rx_lock);
	waiting = rcu_dereference_protected(slots[DIODE_RX_NEXT],
					    lockdep_is_held(&diode->rx_lock));
	if (!rcu_access_pointer(slots[DIODE_RX_CURRENT])) {
		rcu_assign_pointer(slots[DIODE_RX_CURRENT], session);
		spin_unlock_bh(&diode->rx_lock);
		return;
	}
	if (waiting)
		retired = diode_session_rotate_rx(diode, waiting);
	rcu_assign_pointer(slots[DIODE_RX_NEXT], session);
	spin_unlock_bh(&diode->rx_lock);
	diode_session_put(retired);
}

/* The previous session of a receiver is dropped a grace period after the
 * next one came into use: frames delayed on the link still find it.
 */
void diode_session_retire_worker(struct work_struct *work)
{
	struct diode_device *diode = container_of(to_delayed_work(work),
						  struct diode_device,
						  rx_retire_work);
	struct diode_session *old = NULL;
	unsigned long now = jiffies;

	/* A run that was already under way when the next session came into
	 * use must not take the session that just became previous: that one
	 * has its own grace period, and the run queued for it.
	 */
	spin_lock_bh(&diode->rx_lock);
	if (!time_before(now, diode->rx_retire_at))
		old = rcu_replace_pointer(diode->rx_sessions[DIODE_RX_PREVIOUS], NULL,
					  lockdep_is_held(&diode->rx_lock));
	spin_unlock_bh(&diode->rx_lock);
	diode_session_put(old);
}

/* Going down cancelled the retirement of the previous session: a grace
 * period runs again from now.
 */
void diode_session_resume_rx(struct diode_device *diode)
{
	if (rcu_access_pointer(diode->rx_sessions[DIODE_RX_PREVIOUS]))
		mod_delayed_work(system_power_efficient_wq, &diode->rx_retire_work,
				 DIODE_RX_GRACE);
}

void diode_session_stop_all(struct diode_device *diode)
{
	struct diode_session *old[DIODE_RX_SLOTS];
	int slot;

	/* What a receiver delivered stays refused when it learns a session again. */
	diode_rx_mark_read(diode, &diode->rx_mark);

	diode_session_replace_tx(diode, &diode->tx_next, NULL);
	diode_session_replace_tx(diode, &diode->tx_session, NULL);
	spin_lock_bh(&diode->rx_lock);
	for (slot = 0; slot < DIODE_RX_SLOTS; slot++)
		old[slot] = rcu_replace_pointer(diode->rx_sessions[slot], NULL,
						lockdep_is_held(&diode->rx_lock));
	spin_unlock_bh(&diode->rx_lock);
	for (slot = 0; slot < DIODE_RX_SLOTS; slot++)
		diode_session_put(old[slot]);
}
