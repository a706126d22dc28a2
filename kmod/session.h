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

#endif /* _DIODE_SESSION_H */
