/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forward error correction (docs/protocol.md, "Loss resilience"): groups of
 * up to K sealed DATA frames, taken in turn by D interleaved groups, produce
 * M PARITY bodies with the Reed-Solomon code of the kernel's library (RS over
 * GF(2^8), one code word per byte position across the group; the arithmetic
 * is in rs.h). A receiver keeps the sealed frames it got, once they
 * authenticated, and rebuilds the missing ones of a group from any M of its
 * K + M frames; rebuilt frames are then authenticated and decrypted like any
 * other, so a forged or damaged parity can never produce a packet, and a
 * forged member never takes the place of an authentic one.
 *
 * A member's shard is its length (2 bytes, big-endian) followed by the
 * sealed frame, zero-padded to the longest shard of its group.
 */
#ifndef _DIODE_FEC_H
#define _DIODE_FEC_H

#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/diode.h>

#include "frame.h"

/* The largest sealed frame a group protects; larger ones go unprotected. */
#define DIODE_FEC_FRAME_MAX 1536
#define DIODE_FEC_SHARD_MAX (2 + DIODE_FEC_FRAME_MAX)

/*
 * How much larger than the largest DATA frame of its group a PARITY frame
 * is, with K members: its own header and tag, the descriptor, the offsets
 * and the length in front of every shard.
 */
static inline unsigned int diode_fec_overhead(unsigned int data)
{
	return DIODE_HEADER_LEN + DIODE_AUTHTAG_LEN +
	       sizeof(struct diode_parity_desc) + 2 * data + 2;
}

struct diode_fec_config {
	u8 data;		/* K, 0 for no FEC */
	u8 parity;		/* M */
	u8 interleave;		/* D */
};

bool diode_fec_config_valid(const struct diode_fec_config *config);

int diode_fec_init(void);

struct diode_fec_tx;
struct diode_fec_tx *diode_fec_tx_new(const struct diode_fec_config *config);
void diode_fec_tx_free(struct diode_fec_tx *fec);
/*
 * Takes a copy of a sealed DATA frame into its group. When that completes
 * the group, the group's PARITY bodies are appended to @parity: skbs with
 * room for a header in front and an AEAD tag behind, ready to be sealed.
 */
void diode_fec_tx_add(struct diode_fec_tx *fec, u64 counter, const u8 *frame,
		      unsigned int len, struct sk_buff_head *parity);
/* Closes every group that has members, so that a pause leaves none open. */
void diode_fec_tx_flush(struct diode_fec_tx *fec, struct sk_buff_head *parity);

struct diode_fec_rx;
struct diode_fec_rx *diode_fec_rx_new(const struct diode_fec_config *config);
void diode_fec_rx_free(struct diode_fec_rx *fec);
/*
 * A DATA frame about to be opened in place: its sealed bytes as a shard, in
 * a buffer of the receiver's, or NULL (too long for FEC, or no memory). The
 * caller gives it to diode_fec_rx_store() or diode_fec_rx_unstage().
 */
u8 *diode_fec_rx_stage(struct diode_fec_rx *fec, const u8 *frame,
		       unsigned int len);
/*
 * The frame of a staged shard authenticated and is new: the shard takes
 * its place in the store from an older frame, never from a newer, without
 * a copy. The store gives a buffer back for the next frame to stage.
 */
void diode_fec_rx_store(struct diode_fec_rx *fec, u64 counter, u8 *shard);
/* The frame of a staged shard will not be kept. */
void diode_fec_rx_unstage(struct diode_fec_rx *fec, u8 *shard);
/*
 * Whether the receiver already took the frame of @counter: a repair never
 * rebuilds those. Called under the store's lock.
 */
typedef bool diode_fec_have_t(void *arg, u64 counter);
/*
 * An authenticated DATA frame: if it belongs to a group whose parity came
 * first (frames overtake each other, e.g. when the sender moves between
 * CPUs), that group may now be repairable. Rebuilt frames go to @rebuilt.
 * Work is bounded by the groups held times K, and one repair.
 */
void diode_fec_rx_arrived(struct diode_fec_rx *fec, u64 counter,
			  struct sk_buff_head *rebuilt, diode_fec_have_t *have,
			  void *arg);
/*
 * Takes an authenticated PARITY body. Frames it lets us rebuild are
 * appended to @rebuilt as skbs holding a sealed frame, to be received like
 * any other. Returns 0, or -EINVAL for a body that makes no sense.
 */
int diode_fec_rx_parity(struct diode_fec_rx *fec, const u8 *body,
			unsigned int len, struct sk_buff_head *rebuilt,
			diode_fec_have_t *have, void *arg);

#endif /* _DIODE_FEC_H */
