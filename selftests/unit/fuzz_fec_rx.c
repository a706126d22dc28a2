// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the FEC groups of kmod/fec.c: the sender's groups
 * (diode_fec_tx_add/flush) and, above all, the receiver's parsing of PARITY
 * bodies and its store, groups and repairs (diode_fec_rx_parity, _store,
 * _arrived), compiled unchanged against the header shim (skbs of exactly
 * the size asked for, a lock that aborts when taken twice).
 *
 * The input is a configuration (K, M, D), a first counter, a mode, then a
 * program: DATA frames sent (of any length, the first 8 bytes their
 * counter), lost or delivered; the sender's PARITY bodies delivered, lost,
 * held back and delivered later; lost frames delivered late; counters
 * skipped (a group's offsets are 16 bits); groups flushed. A delivered DATA
 * frame is staged, stored and announced as arrived, as the receive path
 * does (in hostile mode after a forgery of it that is staged and given
 * back, as one that fails authentication is); so is a rebuilt frame that
 * is exactly one the sender sent, and not yet had.
 *
 * In hostile mode, PARITY bodies may also be damaged, or made up from the
 * input: a descriptor around the live counters with any count, M, index,
 * reserved byte, shard length and offsets, and a body of any length.
 *
 * It aborts unless:
 *  - diode_fec_rx_parity() refuses exactly the bodies that fec.h's layout
 *    and the configuration rule out, and takes every body the sender made;
 *  - every frame rebuilt has a sane length and, unless hostile, is exactly
 *    a frame the sender sent and the receiver did not have;
 *  - unless hostile, with frames and parity in order (nothing held, late or
 *    skipped), a group is whole once it has as many parity shards as
 *    members missing;
 *  - no access is out of bounds, no lock taken twice, nothing leaked.
 * Run by "make fuzz", not "make run".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/unaligned.h>

#include "fec.h"
#include "rs.h"
#include "fuzz_input.h"


enum {
	MAX_FRAMES = 512,
	MAX_HELD = 32,
	MAX_GROUPS = 256,
	DESC_LEN = sizeof(struct diode_parity_desc),
};

struct sent {
	u64 counter;
	unsigned int len;
	u8 *frame;		/* exactly len bytes */
	bool delivered;		/* given to the receiver */
	bool had;		/* delivered, or rebuilt and taken */
};

/* A group as the sender's parity describes it. */
struct group {
	u64 base;
	unsigned int count;
	u16 offsets[DIODE_FEC_DATA_MAX];
	u32 parity_seen;	/* indices delivered */
};

struct harness {
	struct diode_fec_config config;
	struct diode_fec_tx *tx;
	struct diode_fec_rx *rx;
	bool hostile;
	bool strict;		/* in order so far: the completeness check holds */
	u64 next;		/* the sender's next counter */
	unsigned int nsent;
	struct sent sent[MAX_FRAMES];
	unsigned int nheld;
	struct sk_buff *held[MAX_HELD];
	unsigned int ngroups;
	struct group groups[MAX_GROUPS];
};

static struct sent *find(struct harness *h, u64 counter)
{
	unsigned int lo = 0, hi = h->nsent, mid;

	/* Counters only grow. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->sent[mid].counter < counter)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nsent && h->sent[lo].counter == counter ?
	       &h->sent[lo] : NULL;
}

static bool have(void *arg, u64 counter)
{
	struct sent *s = find(arg, counter);

	return s && s->had;
}

/* An authentic new DATA frame, as the receive path keeps it. */
static void keep(struct harness *h, const struct sent *s)
{
	u8 *shard = diode_fec_rx_stage(h->rx, s->frame, s->len);

	if (!shard != (s->len > DIODE_FEC_FRAME_MAX))
		abort();
	if (shard)
		diode_fec_rx_store(h->rx, s->counter, shard);
}

static void take_rebuilt(struct harness *h, struct sk_buff_head *rebuilt)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(rebuilt))) {
		struct sent *s;
		__be64 c;

		if (skb->len < DIODE_FRAME_MIN_LEN ||
		    skb->len > DIODE_FEC_FRAME_MAX)
			abort();
		memcpy(&c, skb->data, sizeof(c));
		s = find(h, be64_to_cpu(c));
		if (s && (s->len != skb->len || memcmp(s->frame, skb->data, s->len)))
			s = NULL;
		if (!h->hostile && (!s || s->had))
			abort();
		/* What authentication and the replay window would let in. */
		if (s && !s->had) {
			s->had = true;
			keep(h, s);
		}
		kfree_skb(skb);
	}
}

static struct group *group_of(struct harness *h, const u8 *body)
{
	const struct diode_parity_desc *desc = (const void *)body;
	u64 base = be64_to_cpu(desc->base);
	struct group *g;
	unsigned int i;

	for (i = 0; i < h->ngroups; i++)
		if (h->groups[i].base == base && h->groups[i].count == desc->count)
			return &h->groups[i];
	if (h->ngroups == MAX_GROUPS)
		return NULL;
	g = &h->groups[h->ngroups++];
	g->base = base;
	g->count = desc->count;
	g->parity_seen = 0;
	for (i = 0; i < g->count; i++)
		g->offsets[i] = get_unaligned_be16(body + DESC_LEN + 2 * i);
	return g;
}

/* What fec.h and the configuration allow; the parser must agree. */
static bool parity_valid(const struct harness *h, const u8 *body,
			 unsigned int len)
{
	const struct diode_parity_desc *desc = (const void *)body;
	unsigned int shard_len;

	if (len < DESC_LEN)
		return false;
	shard_len = be16_to_cpu(desc->shard_len);
	return be64_to_cpu(desc->base) >= 1 &&
	       be64_to_cpu(desc->base) <= U64_MAX - U16_MAX &&
	       desc->count >= 1 && desc->count <= h->config.data &&
	       desc->parity == h->config.parity &&
	       desc->index < h->config.parity && !desc->reserved &&
	       shard_len >= 2 + DIODE_FRAME_MIN_LEN &&
	       shard_len <= DIODE_FEC_SHARD_MAX &&
	       len == DESC_LEN + 2u * desc->count + shard_len;
}

/* Gives a body to the receiver; @honest: the sender's, unchanged. */
static void deliver_parity(struct harness *h, const u8 *body, unsigned int len,
			   bool honest)
{
	struct sk_buff_head rebuilt;
	struct group *g = NULL;
	unsigned int n, missing = 0;
	int ret;

	if (honest) {
		g = group_of(h, body);
		if (g)
			g->parity_seen |= 1u << body[10];
	}
	__skb_queue_head_init(&rebuilt);
	ret = diode_fec_rx_parity(h->rx, body, len, &rebuilt, have, h);
	if (ret != (parity_valid(h, body, len) ? 0 : -EINVAL))
		abort();
	/* Unless hostile, which sends frames too short to be sealed ones. */
	if (honest && ret && !h->hostile)
		abort();
	take_rebuilt(h, &rebuilt);
	if (!g || h->hostile || !h->strict)
		return;
	for (n = 0; n < g->count; n++) {
		struct sent *s = find(h, g->base + g->offsets[n]);

		if (!s)
			abort();
		missing += !s->had;
	}
	if (missing && missing <= (unsigned int)__builtin_popcount(g->parity_seen))
		abort();
}

/* Delivers a DATA frame as the receive path does. */
static void deliver_data(struct harness *h, struct sent *s)
{
	struct sk_buff_head rebuilt;

	if (s->had)
		return;
	s->delivered = true;
	s->had = true;
	if (h->hostile && s->len && s->len <= DIODE_FEC_FRAME_MAX) {
		u8 forged[DIODE_FEC_FRAME_MAX];

		memcpy(forged, s->frame, s->len);
		forged[s->len - 1] ^= 1;
		diode_fec_rx_unstage(h->rx, diode_fec_rx_stage(h->rx, forged,
								s->len));
	}
	keep(h, s);
	__skb_queue_head_init(&rebuilt);
	diode_fec_rx_arrived(h->rx, s->counter, &rebuilt, have, h);
	take_rebuilt(h, &rebuilt);
}

/* The sender's new PARITY bodies: each delivered, lost, held or damaged. */
static void handle_parity(struct harness *h, struct input *in,
			  struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		unsigned int fate = (unsigned int)take(in, 1);

		/* Sealed frames of their own: they take counters too. */
		h->next++;
		switch (fate & 7) {
		case 0:
		case 1:
		case 2:
		case 3:
			deliver_parity(h, skb->data, skb->len, true);
			break;
		case 4:
			break;
		case 5:
			if (h->nheld < MAX_HELD) {
				h->held[h->nheld++] = skb;
				h->strict = false;
				continue;
			}
			deliver_parity(h, skb->data, skb->len, true);
			break;
		default:
			if (h->hostile && skb->len) {
				/* A damaged body, in any field. */
				unsigned int at = (unsigned int)take(in, 2) % skb->len;

				skb->data[at] ^= (u8)(1 + (fate >> 3));
				deliver_parity(h, skb->data, skb->len, false);
				h->strict = false;
			} else {
				deliver_parity(h, skb->data, skb->len, true);
			}
			break;
		}
		kfree_skb(skb);
	}
}

static void send_data(struct harness *h, struct input *in, unsigned int op)
{
	struct sk_buff_head q;
	struct sent *s;
	unsigned int i, len;

	if (h->nsent == MAX_FRAMES)
		return;
	if (op & 0x40)
		len = (unsigned int)take(in, 2) % (DIODE_FEC_FRAME_MAX + 9);
	else
		len = DIODE_FRAME_MIN_LEN + (unsigned int)take(in, 1) % 48;
	/* Sealed frames are never shorter; let the hostile mode try. */
	if (len < DIODE_FRAME_MIN_LEN && !h->hostile)
		len = DIODE_FRAME_MIN_LEN;
	/*
	 * Unprotected, it takes a counter in no group: enough of them would
	 * stretch a group beyond what the receiver's store holds.
	 */
	if (len > DIODE_FEC_FRAME_MAX)
		h->strict = false;
	s = &h->sent[h->nsent++];
	s->counter = h->next++;
	s->len = len;
	s->frame = malloc(len ? len : 1);
	if (!s->frame)
		abort();
	for (i = 0; i < len; i++)
		s->frame[i] = (u8)(s->counter * 131 + i * 7 + op);
	/* The counter, for take_rebuilt() to tell which frame came back. */
	if (len >= 8) {
		__be64 c = cpu_to_be64(s->counter);

		memcpy(s->frame, &c, 8);
	}
	s->delivered = false;
	s->had = false;

	__skb_queue_head_init(&q);
	diode_fec_tx_add(h->tx, s->counter, s->frame, len, &q);
	/* One in four lost. */
	if ((op & 0x30) != 0x30)
		deliver_data(h, s);
	handle_parity(h, in, &q);
}

/* A PARITY body made up from the input, around the live counters. */
static void made_up_parity(struct harness *h, struct input *in)
{
	u8 body[DESC_LEN + 2 * 255 + DIODE_FEC_SHARD_MAX + 8];
	struct diode_parity_desc *desc = (void *)body;
	unsigned int how = (unsigned int)take(in, 1), i, len, shard_len, count;
	u64 base;
	u8 *copy;

	base = how & 1 ? take(in, 8) :
	       h->next - take(in, 1) - (how & 2 ? 65536 : 0);
	desc->base = cpu_to_be64(base);
	count = how & 4 ? (unsigned int)take(in, 1) :
			  1 + (unsigned int)take(in, 1) % h->config.data;
	desc->count = (u8)count;
	desc->parity = how & 8 ? (u8)take(in, 1) : h->config.parity;
	desc->index = how & 16 ? (u8)take(in, 1) :
				 (u8)(take(in, 1) % h->config.parity);
	desc->reserved = how & 32 ? (u8)take(in, 1) : 0;
	shard_len = how & 64 ? (unsigned int)take(in, 2) :
			       2 + DIODE_FRAME_MIN_LEN + (unsigned int)take(in, 1);
	if (shard_len > DIODE_FEC_SHARD_MAX + 8)
		shard_len = DIODE_FEC_SHARD_MAX + 8;
	desc->shard_len = cpu_to_be16((u16)shard_len);
	for (i = 0; i < count; i++)
		put_unaligned_be16((u16)(how & 128 ? take(in, 2) : take(in, 1)),
				   body + DESC_LEN + 2 * i);
	len = DESC_LEN + 2 * count + shard_len;
	for (i = DESC_LEN + 2 * count; i < len; i++)
		body[i] = (u8)take(in, 1);
	/* Now and then, a body a little short or long, or cut anywhere. */
	switch (take(in, 1) & 7) {
	case 0:
		len = (unsigned int)take(in, 2) % (len + 1);
		break;
	case 1:
		len -= len ? 1 : 0;
		break;
	case 2:
		len += 1;
		body[len - 1] = 0;
		break;
	}
	/* Exactly as long as it says, for AddressSanitizer. */
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, body, len);
	deliver_parity(h, copy, len, false);
	free(copy);
	h->strict = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct harness h;
	static bool ready;
	static const u64 starts[] = { 1, 65530, (1ULL << 32) - 5, 1ULL << 63 };
	struct input in = { data, size };
	struct sk_buff_head q;
	unsigned int flags, i;
	bool large;

	if (!ready) {
		diode_rs_init();
		ready = true;
	}
	memset(&h, 0, sizeof(h));
	/*
	 * The receiver's store takes 2 (K + M) D frames of 1.5 KiB, allocated
	 * and zeroed for every input: up to 3 MiB, which costs a hundred
	 * times the rest. So mostly K <= 8, M <= 4, D <= 2; any size when
	 * the first byte is 0xff.
	 */
	i = (unsigned int)take(&in, 1);
	large = i == 0xff;
	h.config.data = 1 + (u8)(i % (large ? DIODE_FEC_DATA_MAX : 8));
	i = (unsigned int)take(&in, 1);
	h.config.parity = 1 + (u8)(i % (large ? DIODE_FEC_PARITY_MAX : 4));
	i = (unsigned int)take(&in, 1);
	h.config.interleave = 1 + (u8)(i % (large ? DIODE_FEC_INTERLEAVE_MAX : 2));
	if (!diode_fec_config_valid(&h.config))
		abort();
	flags = (unsigned int)take(&in, 1);
	h.hostile = flags & 1;
	h.strict = true;
	h.next = starts[flags >> 1 & 3] + (flags >> 3);
	h.tx = diode_fec_tx_new(&h.config);
	h.rx = diode_fec_rx_new(&h.config);
	if (!h.tx || !h.rx)
		abort();

	while (in.left) {
		unsigned int op = (unsigned int)take(&in, 1);

		switch (op & 7) {
		default:
			send_data(&h, &in, op);
			break;
		case 4:
			__skb_queue_head_init(&q);
			diode_fec_tx_flush(h.tx, &q);
			handle_parity(&h, &in, &q);
			break;
		case 5: {
			/* A lost frame, late. */
			unsigned int pick = (unsigned int)take(&in, 1);

			for (i = 0; i < h.nsent; i++) {
				struct sent *s = &h.sent[(pick + i) % h.nsent];

				if (!s->had) {
					deliver_data(&h, s);
					h.strict = false;
					break;
				}
			}
			break;
		}
		case 6:
			if (h.hostile && (op & 8 || !h.nheld)) {
				made_up_parity(&h, &in);
			} else if (h.nheld) {
				struct sk_buff *skb = h.held[0];

				memmove(&h.held[0], &h.held[1],
					--h.nheld * sizeof(h.held[0]));
				deliver_parity(&h, skb->data, skb->len, true);
				kfree_skb(skb);
			}
			break;
		case 7:
			/* Counters taken by other frames, or a leap. */
			h.next += op & 0x80 ? take(&in, 2) + 65000 : take(&in, 1);
			h.strict = false;
			break;
		}
	}

	for (i = 0; i < h.nheld; i++)
		kfree_skb(h.held[i]);
	for (i = 0; i < h.nsent; i++)
		free(h.sent[i].frame);
	diode_fec_tx_free(h.tx);
	diode_fec_rx_free(h.rx);
	return 0;
}
