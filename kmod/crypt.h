/* SPDX-License-Identifier: GPL-2.0 */
/* What a packet carries through an asynchronous AEAD operation. */
#ifndef _DIODE_CRYPT_H
#define _DIODE_CRYPT_H

#include <linux/skbuff.h>

struct diode_session;
struct aead_request;
struct diode_aead_slot;

struct diode_skb_cb {
	struct diode_session *session;	/* holds a reference */
	struct aead_request *req;
	struct diode_aead_slot *req_slot;	/* see diode_aead_request_get() */
	u64 counter;
	/* A receiver's DATA frame under FEC: its sealed copy, kept for
	 * repairs once it has authenticated (see diode_aead_request_sealed()).
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
