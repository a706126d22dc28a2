/* SPDX-License-Identifier: GPL-2.0 */
/* Sessions: one ephemeral X25519 key of the sender and the AEAD key under it. */
#ifndef _DIODE_SESSION_H
#define _DIODE_SESSION_H

#include <crypto/aead.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

#include "fec.h"
#include "frame.h"
#include "keys.h"
#include "replay.h"

struct diode_aead_slot;

struct diode_session {
	struct kref ref;
	struct rcu_head rcu;
	struct crypto_aead *aead;
	struct diode_aead_slot __percpu *aead_slots;
	u8 salt4[DIODE_SALT4_LEN];
	u16 tag;
	u64 created;
	u8 ephemeral_pub[DIODE_KEY_LEN];

	/* The parameters the ANNOUNCE carries, and the FEC state under them. */
	u32 heartbeat_ms;
	u8 redundancy;
	struct diode_fec_config fec;
	struct diode_fec_tx *fec_tx;
	struct diode_fec_rx *fec_rx;

	/* Sender: the last counter taken; 0 is the ANNOUNCE's. */
	atomic64_t tx_counter;
	/* Sender: the counters at which the next session is prepared, and
	 * used as soon as the receiver has had a moment to learn it.
	 */
	u64 rekey_kick, rekey_limit;
	/* Sender: the ANNOUNCE, sealed once and sent as is. */
	u8 announce[DIODE_ANNOUNCE_FRAME_LEN];

	/* Receiver: the replay window, updated after authentication only. */
	spinlock_t replay_lock;
	struct diode_replay *replay;
};

/*
 * A receiver holds up to three sessions (previous, current, next): a new
 * session's tag differs from those of the sender's last three.
 */
#define DIODE_RECENT_TAGS 3

struct diode_session *diode_session_new_tx(const struct diode_static_keys *keys,
					   const struct diode_announce_params *params,
					   const u16 avoid_tags[DIODE_RECENT_TAGS]);
struct diode_session *diode_session_new_rx(const struct diode_static_keys *keys,
					   const u8 ephemeral_pub[DIODE_KEY_LEN],
					   u16 tag, u64 created, u32 replay_window);
int diode_session_open_announce(struct diode_session *session, u8 *frame,
				unsigned int len,
				struct diode_announce_params *params);
void diode_session_put(struct diode_session *session);
/* A receiver's: takes on the parameters of an authentic ANNOUNCE. */
int diode_session_set_params(struct diode_session *session,
			     const struct diode_announce_params *params);
/*
 * A receiver's session with FEC, before it is installed: the repair state,
 * and room with each CPU's ready request to keep a frame as it was sealed.
 */
int diode_session_fec_rx_init(struct diode_session *session);

static inline struct diode_session *diode_session_get(struct diode_session *s)
{
	kref_get(&s->ref);
	return s;
}

/*
 * An AEAD request with the IV and one scatterlist entry behind it, in a single
 * allocation. Freed with kfree_sensitive().
 */
struct aead_request *diode_aead_request_alloc(struct crypto_aead *aead,
					      u8 **iv, struct scatterlist **sg,
					      gfp_t gfp);
/*
 * The data path's request under @session, with bottom halves disabled: this
 * CPU's ready one if it is free (*@slot set), else one from the heap (*@slot
 * NULL). Given back with diode_aead_request_put(), on any CPU. What a used
 * request still holds (the nonce and, with the generic GCM template, GHASH
 * state) derives from the session's key, which the tfm holds as long as the
 * session lives: a ready request is reused as it is and wiped with the
 * session, one from the heap is wiped when it is freed.
 */
struct aead_request *diode_aead_request_get(struct diode_session *session,
					    u8 **iv, struct scatterlist **sg,
					    struct diode_aead_slot **slot);
void diode_aead_request_put(struct aead_request *req, struct diode_aead_slot *slot);
/*
 * Of a receiver's request under a session with FEC: DIODE_FEC_FRAME_MAX bytes
 * that live as long as the request, where a frame waits in its sealed form
 * until it has authenticated and may be kept for repairs.
 */
u8 *diode_aead_request_sealed(struct diode_aead_slot *slot, u8 *iv);

#endif /* _DIODE_SESSION_H */
