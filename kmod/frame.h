/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wire format of a diode frame (docs/protocol.md, "Frames"): the 12-byte
 * header every frame starts with, the cleartext part of an ANNOUNCE, the
 * sealed bodies of the ANNOUNCE, the HEARTBEAT and the PARITY descriptor,
 * and the AES-GCM nonce built from the session salt and the counter.
 *
 * This file is pure logic on byte buffers, with no allocation and no kernel
 * services beyond types, byte order and memcpy, so that the host unit tests
 * (selftests/unit) compile it unchanged against a small shim of headers.
 *
 * Everything here runs on bytes that came off the link and that nobody has
 * authenticated yet: the parser reads only inside the length it is given and
 * rejects a frame as soon as one field is wrong, each reason apart, so the
 * receiver can count drops precisely.
 */
#ifndef _DIODE_FRAME_H
#define _DIODE_FRAME_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#include <linux/diode.h>

enum {
	DIODE_VERSION_1 = 1,
};

/* The 4-bit type field. Values not listed here are dropped, never guessed. */
enum diode_frame_type {
	DIODE_FRAME_DATA = 1,
	DIODE_FRAME_ANNOUNCE = 2,
	DIODE_FRAME_HEARTBEAT = 3,
	DIODE_FRAME_PARITY = 4,
};

enum {
	DIODE_HEADER_LEN = 12,
	DIODE_AUTHTAG_LEN = 16,
	/* ANNOUNCE cleartext: the sender's ephemeral public key E || created. */
	DIODE_ANNOUNCE_E_LEN = DIODE_KEY_LEN,
	DIODE_ANNOUNCE_CLEAR_LEN = DIODE_ANNOUNCE_E_LEN + 8,
	/* The smallest frames that can be valid: an empty body is allowed. */
	DIODE_FRAME_MIN_LEN = DIODE_HEADER_LEN + DIODE_AUTHTAG_LEN,
	DIODE_ANNOUNCE_MIN_LEN = DIODE_HEADER_LEN + DIODE_ANNOUNCE_CLEAR_LEN +
				 DIODE_AUTHTAG_LEN,
	/* AES-GCM nonce: 4-byte session salt || 8-byte big-endian counter. */
	DIODE_SALT_LEN = 4,
	DIODE_NONCE_LEN = DIODE_SALT_LEN + 8,
};

/*
 * Packed so that it can be laid over any byte of a received buffer: frames
 * come from an skb at whatever alignment the outer headers left them.
 */
struct diode_header {
	u8 ver_type;		/* version in the high nibble, type in the low */
	u8 flags;		/* sent as 0; any bit set is rejected */
	__be16 session_tag;	/* never 0 */
	__be64 counter;		/* 0 for ANNOUNCE only, and always */
} __packed;

struct diode_announce_clear {
	u8 ephemeral[DIODE_ANNOUNCE_E_LEN];
	__be64 created;		/* sender's clock, ns since the Unix epoch */
} __packed;

/*
 * The sealed bodies. Unlike the header, they are read only once their frame
 * has authenticated, and whoever reads one checks its values.
 */

/* The ANNOUNCE's: the parameters of the session it announces. */
struct diode_announce_params {
	__be32 heartbeat_ms;
	u8 redundancy;
	u8 fec_data;
	u8 fec_parity;
	u8 fec_interleave;
} __packed;

#define DIODE_ANNOUNCE_FRAME_LEN (DIODE_HEADER_LEN + DIODE_ANNOUNCE_CLEAR_LEN + \
				  sizeof(struct diode_announce_params) + \
				  DIODE_AUTHTAG_LEN)

/* The HEARTBEAT's: the sender's view of its own side of the link. */
struct diode_heartbeat {
	__be64 tx_packets;
	__be64 tx_dropped;
	__be64 uptime_ms;
} __packed;

/*
 * The start of a PARITY body, before the member offsets (one __be16 each)
 * and the parity shard (fec.h).
 */
struct diode_parity_desc {
	__be64 base;		/* the lowest counter of the group */
	u8 count;		/* members, 1 to K */
	u8 parity;		/* M */
	u8 index;		/* which parity shard this is, 0 to M - 1 */
	u8 reserved;		/* 0 */
	__be16 shard_len;	/* bytes of every shard of the group */
} __packed;

static_assert(sizeof(struct diode_header) == DIODE_HEADER_LEN,
	      "the header is 12 bytes on the wire");
static_assert(sizeof(struct diode_announce_clear) == DIODE_ANNOUNCE_CLEAR_LEN,
	      "the ANNOUNCE cleartext is 40 bytes on the wire");
static_assert(DIODE_ANNOUNCE_FRAME_LEN == 76,
	      "an ANNOUNCE is 76 bytes on the wire");
static_assert(sizeof(struct diode_heartbeat) == 24,
	      "the HEARTBEAT body is 24 bytes on the wire");
static_assert(sizeof(struct diode_parity_desc) == 14,
	      "the PARITY descriptor is 14 bytes on the wire");

/*
 * Result of diode_frame_parse(). Checks run in this order and the first
 * failure is returned, so a frame with several faults is counted once.
 * DIODE_FRAME_OK is 0 so that callers can write "if (err)".
 */
enum diode_frame_status {
	DIODE_FRAME_OK = 0,
	DIODE_FRAME_TOO_SHORT,		/* less than header + AEAD tag */
	DIODE_FRAME_BAD_VERSION,	/* version nibble is not 1 */
	DIODE_FRAME_BAD_TYPE,		/* type nibble is not 1 to 4 */
	DIODE_FRAME_BAD_FLAGS,		/* a flag bit is set */
	DIODE_FRAME_ZERO_TAG,		/* session tag 0, which no session has */
	DIODE_FRAME_ANNOUNCE_COUNTER,	/* ANNOUNCE with a counter not 0 */
	DIODE_FRAME_ZERO_COUNTER,	/* counter 0 on another type */
	DIODE_FRAME_ANNOUNCE_TOO_SHORT,	/* ANNOUNCE without E and created */
	DIODE_FRAME_NR_STATUS
};

/* What the parser learned. Lengths add up: ad_len + body_len + 16 == len. */
struct diode_frame {
	enum diode_frame_type type;
	u16 session_tag;
	u64 counter;
	/* AEAD associated data: the header, and for ANNOUNCE its cleartext. */
	size_t ad_len;
	/* Ciphertext between the associated data and the AEAD tag; may be 0. */
	size_t body_len;
	/* ANNOUNCE only; NULL and 0 otherwise. Points into the parsed buffer. */
	const u8 *ephemeral;
	u64 created;
};

static inline const char *diode_frame_status_str(enum diode_frame_status s)
{
	switch (s) {
	case DIODE_FRAME_OK:			return "ok";
	case DIODE_FRAME_TOO_SHORT:		return "too short";
	case DIODE_FRAME_BAD_VERSION:		return "bad version";
	case DIODE_FRAME_BAD_TYPE:		return "bad type";
	case DIODE_FRAME_BAD_FLAGS:		return "bad flags";
	case DIODE_FRAME_ZERO_TAG:		return "zero session tag";
	case DIODE_FRAME_ANNOUNCE_COUNTER:	return "announce counter not 0";
	case DIODE_FRAME_ZERO_COUNTER:		return "counter 0";
	case DIODE_FRAME_ANNOUNCE_TOO_SHORT:	return "announce too short";
	case DIODE_FRAME_NR_STATUS:		break;
	}
	return "?";
}

/*
 * Writes the 12-byte header to dst (any alignment). The sender owns the
 * protocol rules (counter 0 for ANNOUNCE only, tag non-zero); this only
 * lays out the bytes, so that tests can also build invalid frames with it.
 */
static inline void diode_header_encode(void *dst, enum diode_frame_type type,
				       u16 session_tag, u64 counter)
{
	struct diode_header *h = dst;

	h->ver_type = (DIODE_VERSION_1 << 4) | ((u8)type & 0x0f);
	h->flags = 0;
	h->session_tag = cpu_to_be16(session_tag);
	h->counter = cpu_to_be64(counter);
}

/* Writes the 40-byte ANNOUNCE cleartext (E || created) to dst. */
static inline void diode_announce_encode(void *dst,
					 const u8 ephemeral[DIODE_ANNOUNCE_E_LEN],
					 u64 created)
{
	struct diode_announce_clear *a = dst;

	memcpy(a->ephemeral, ephemeral, DIODE_ANNOUNCE_E_LEN);
	a->created = cpu_to_be64(created);
}

/*
 * Validates the cleartext parts of a received frame of len bytes and fills
 * *f (left untouched unless DIODE_FRAME_OK). It reads no byte at or beyond
 * buf + len, whatever len is. Authentication is the caller's next step:
 * passing here means only that the frame is worth a table lookup and,
 * perhaps, a decryption.
 */
static inline enum diode_frame_status
diode_frame_parse(const void *buf, size_t len, struct diode_frame *f)
{
	const struct diode_header *h = buf;
	const struct diode_announce_clear *a;
	const u8 *ephemeral = NULL;
	u64 counter, created = 0;
	size_t ad_len;
	u8 version, type;
	u16 tag;

	if (len < DIODE_FRAME_MIN_LEN)
		return DIODE_FRAME_TOO_SHORT;

	version = h->ver_type >> 4;
	type = h->ver_type & 0x0f;
	if (version != DIODE_VERSION_1)
		return DIODE_FRAME_BAD_VERSION;
	if (type < DIODE_FRAME_DATA || type > DIODE_FRAME_PARITY)
		return DIODE_FRAME_BAD_TYPE;
	/* No flag is defined yet: one set means a peer we do not understand. */
	if (h->flags)
		return DIODE_FRAME_BAD_FLAGS;

	tag = be16_to_cpu(h->session_tag);
	if (!tag)
		return DIODE_FRAME_ZERO_TAG;

	/*
	 * Counter 0 is the ANNOUNCE's and nobody else's: the nonce of a data
	 * frame must never equal the ANNOUNCE's under the same key, and the
	 * replay window treats 0 as already used.
	 */
	counter = be64_to_cpu(h->counter);
	if (type == DIODE_FRAME_ANNOUNCE && counter)
		return DIODE_FRAME_ANNOUNCE_COUNTER;
	if (type != DIODE_FRAME_ANNOUNCE && !counter)
		return DIODE_FRAME_ZERO_COUNTER;

	ad_len = DIODE_HEADER_LEN;
	if (type == DIODE_FRAME_ANNOUNCE) {
		if (len < DIODE_ANNOUNCE_MIN_LEN)
			return DIODE_FRAME_ANNOUNCE_TOO_SHORT;
		a = (const void *)(h + 1);
		ad_len += DIODE_ANNOUNCE_CLEAR_LEN;
		ephemeral = a->ephemeral;
		created = be64_to_cpu(a->created);
	}

	f->type = type;
	f->ephemeral = ephemeral;
	f->created = created;
	f->session_tag = tag;
	f->counter = counter;
	f->ad_len = ad_len;
	f->body_len = len - ad_len - DIODE_AUTHTAG_LEN;
	return DIODE_FRAME_OK;
}

/*
 * The 96-bit AES-GCM nonce of a frame. Unique per (key, frame) because the
 * key and salt are fresh per session and counters never repeat within one.
 */
static inline void diode_nonce(u8 nonce[DIODE_NONCE_LEN],
			       const u8 salt[DIODE_SALT_LEN], u64 counter)
{
	__be64 c = cpu_to_be64(counter);

	memcpy(nonce, salt, DIODE_SALT_LEN);
	memcpy(nonce + DIODE_SALT_LEN, &c, sizeof(c));
}

#endif /* _DIODE_FRAME_H */
