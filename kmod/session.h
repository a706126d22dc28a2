/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions: one ephemeral X25519 key of the sender and the AEAD key under it,
 * and a device's sessions from the first to the last (session.c).
 */
#ifndef _DIODE_SESSION_H
#define _DIODE_SESSION_H

#include <crypto/aead.h>
#include <linux/kref.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "fec.h"
#include "frame.h"
#include "keys.h"
#include "replay.h"

struct diode_aead_slot;
struct diode_device;

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
	 * used as soon as the receiver has had a moment to learn it (the data
	 * path kicks diode_session_rekey_worker() at either).
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

/* Under @diode->lock: a device's first session logs which AES-GCM it uses. */
void diode_session_log_aead(struct diode_device *diode,
			    const struct diode_session *session);

/*
 * Under rtnl and @diode->lock: a sender's new session, used at once; a
 * receiver or a device that is down has nothing to start.
 */
int diode_session_start_tx(struct diode_device *diode);
/* A sender's rekey, make before break: see docs/protocol.md. */
void diode_session_rekey_worker(struct work_struct *work);

/* Under @diode->lock: a receiver's newly accepted session. */
void diode_session_install_rx(struct diode_device *diode,
			      struct diode_session *session);
/*
 * An authentic frame under @session, which the data path found in the
 * receiver's next slot: the sender switched to it.
 */
void diode_session_promote_rx(struct diode_device *diode,
			      struct diode_session *session);
void diode_session_retire_worker(struct work_struct *work);
/* Under @diode->lock, as a receiver comes up with the sessions it kept. */
void diode_session_resume_rx(struct diode_device *diode);

/* Under @diode->lock: the device holds no session any more. */
void diode_session_stop_all(struct diode_device *diode);

#endif /* _DIODE_SESSION_H */
