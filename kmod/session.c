// SPDX-License-Identifier: GPL-2.0
/*
 * Creating sessions: the sender's from a fresh ephemeral key, the receiver's
 * from an ANNOUNCE. Both end in the same AES-256-GCM key and nonce salt.
 */
#include <crypto/curve25519.h>
#include <linux/net.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "compat.h"

#include "crypt.h"
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
	if (!session->fec_rx)
		return -ENOMEM;
	return diode_aead_slots_keep_sealed(session->aead_slots);
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
