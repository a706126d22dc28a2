/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AEAD requests (crypt.c), and what a packet carries through an asynchronous
 * AEAD operation.
 */
#ifndef _DIODE_CRYPT_H
#define _DIODE_CRYPT_H

#include <crypto/aead.h>
#include <linux/skbuff.h>

struct diode_session;
struct diode_aead_slot;

/*
 * An AEAD request with the IV and one scatterlist entry behind it, in a single
 * allocation. Freed with kfree_sensitive().
 */
struct aead_request *diode_aead_request_alloc(struct crypto_aead *aead,
					      u8 **iv, struct scatterlist **sg,
					      gfp_t gfp);

/* The slots of a session under @aead: NULL when memory runs out. */
struct diode_aead_slot __percpu *diode_aead_slots_new(struct crypto_aead *aead);
/* Wipes the requests: they may still hold what derives from the key. */
void diode_aead_slots_free(struct diode_aead_slot __percpu *slots);

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

struct diode_skb_cb {
	struct diode_session *session;	/* holds a reference */
	struct aead_request *req;
	struct diode_aead_slot *req_slot;	/* see diode_aead_request_get() */
	u64 counter;
	/* A receiver's DATA frame under FEC: its sealed copy, kept for
	 * repairs once it has authenticated (see diode_fec_rx_stage()).
	 */
	u8 *sealed;
	u8 type;			/* enum diode_frame_type */
	bool rebuilt;			/* a receiver's frame rebuilt by FEC */
};

static inline struct diode_skb_cb *diode_skb_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct diode_skb_cb) > sizeof(skb->cb));
	return (struct diode_skb_cb *)skb->cb;
}

#endif /* _DIODE_CRYPT_H */
