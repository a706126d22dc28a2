/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gateway agents' one-way transport: the wire format (pure encode and
 * decode), and the receiver's reassembly and accounting. Nothing here does
 * I/O or reads a clock: time comes in as milliseconds, output goes out
 * through callbacks, so that the unit tests and the fuzzer drive it alone.
 * See docs/agents.md.
 */
#ifndef DIODE_AGENT_TRANSPORT_H
#define DIODE_AGENT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DA_MAGIC	0xda1a	/* first two bytes of every datagram */
#define DA_VERSION	1
#define DA_HDR_LEN	36
#define DA_MAX_FRAGS	4096
#define DA_MAX_MSG	(16u << 20)
#define DA_WINDOW	(1u << 20)	/* sequence numbers the RX remembers */
#define DA_MAX_PARTIALS	64
#define DA_MAX_DROP_RANGES 64

enum da_type {
	DA_DATA = 1,		/* a fragment of one message */
	DA_HEARTBEAT = 2,	/* seq = last sequence number sent, 0 for none */
	DA_DROP = 3,		/* ranges of sequence numbers dropped at source */
	DA_BATCH = 4,		/* whole messages of consecutive numbers */
	DA_STATE = 5,		/* whole messages outside the numbering (seq 0) */
};

enum da_reason {
	DA_R_QUEUE_FULL = 1,
	DA_R_TOO_LARGE = 2,
	DA_R_RESTART = 3,	/* numbers a TX that stopped unclean may have skipped */
	DA_R_MAX = 3,
};

enum da_err {
	DA_E_SHORT = 1, DA_E_MAGIC, DA_E_VERSION, DA_E_TYPE, DA_E_FIELD,
};

struct da_hdr {
	uint8_t type;
	uint16_t flags;		/* 0; receivers ignore it */
	uint16_t channel;
	uint16_t frag_index;
	uint16_t frag_count;
	uint16_t frag_size;	/* payload bytes of every fragment but the last */
	uint16_t reserved;	/* 0 */
	uint32_t msg_len;	/* DATA: the whole message; others: payload bytes */
	uint64_t epoch;
	uint64_t seq;
};

struct da_range {
	uint8_t reason;
	uint64_t first, last;
};

/* Encode a header into buf (DA_HDR_LEN bytes). */
void da_put_hdr(uint8_t *buf, const struct da_hdr *h);
/*
 * Decode and check one datagram: 0, or -DA_E_*. On success *payload and
 * *plen are the bytes after the header, consistent with the header (a DATA
 * fragment's size follows from msg_len, frag_size, index and count).
 */
int da_decode(const uint8_t *buf, size_t len, struct da_hdr *h,
	      const uint8_t **payload, size_t *plen);
/* A DROP payload: number of ranges (or -DA_E_*), ranges into out[max]. */
int da_decode_drop(const uint8_t *p, size_t len, struct da_range *out, int max);
/* Build a DROP payload; returns its length. cap must hold 2 + 17 * n. */
size_t da_put_drop(uint8_t *p, const struct da_range *r, int n);
/* Fragment size and count for a message of len bytes in datagrams of mtu
 * payload bytes (UDP payload): 0, or -1 when it would need too many. */
int da_split(uint32_t len, size_t dgram, uint16_t *frag_size, uint16_t *count);
/* One DATA datagram: header and fragment idx of msg; returns its length. */
size_t da_put_fragment(uint8_t *out, uint16_t channel, uint64_t epoch,
		       uint64_t seq, const uint8_t *msg, uint32_t len,
		       uint16_t frag_size, uint16_t count, uint16_t idx);

/*
 * A BATCH datagram being built: whole messages, each after its 16-bit
 * length, numbered from the header's seq on; frag_count says how many.
 */
struct da_batch {
	uint8_t *out;
	size_t len, cap;	/* bytes so far (header included); the datagram's */
	uint16_t n;
};

void da_batch_start(struct da_batch *b, uint8_t *out, size_t dgram);
/* Add a message: false (nothing added) when it does not fit. */
bool da_batch_add(struct da_batch *b, const uint8_t *msg, uint32_t len);
/* Write the header: the datagram's length. */
size_t da_batch_end(struct da_batch *b, uint16_t channel, uint64_t epoch,
		    uint64_t seq);
/* Or make it a STATE datagram: messages a protocol sends again until they
 * are superseded (a retained topic), neither numbered nor counted lost. */
size_t da_state_end(struct da_batch *b, uint16_t channel, uint64_t epoch);

struct da_rx_counters {
	uint64_t datagrams;	/* everything read from the socket */
	uint64_t malformed;	/* refused by da_decode */
	uint64_t other_channel;
	uint64_t fragments;	/* DATA datagrams, and messages of a BATCH */
	uint64_t heartbeats;
	uint64_t drop_notices;
	uint64_t delivered;	/* messages */
	uint64_t delivered_bytes;
	uint64_t lost;		/* sequence numbers given up after the wait */
	uint64_t late;		/* arrived after being counted lost (lost -1) */
	uint64_t duplicates;
	uint64_t too_old;	/* below what the RX remembers: not delivered */
	uint64_t dropped[DA_R_MAX + 1];	/* at source, by reason */
	uint64_t gaps;		/* gap events (ranges of lost numbers) */
	uint64_t epochs;	/* epochs seen (restarts keep theirs) */
	uint64_t evicted;	/* partial messages evicted for memory */
	uint64_t state;		/* unnumbered messages delivered (STATE) */
	uint64_t state_other_epoch;	/* STATE messages before their epoch's numbers */
};

struct da_rx_ops {
	/* A message, once; seq 0 for an unnumbered one (STATE), which may
	 * come again. */
	void (*deliver)(void *ctx, uint64_t seq, const uint8_t *msg, uint32_t len);
	/* A range of lost sequence numbers, reported once after the wait. */
	void (*gap)(void *ctx, uint64_t first, uint64_t last);
	/* A new epoch: the TX was reset (or this RX joined). */
	void (*epoch)(void *ctx, uint64_t old_epoch, uint64_t new_epoch,
		      uint64_t joined_at);
	void *ctx;
};

struct da_partial;

struct da_rx {
	uint16_t channel;
	uint32_t max_msg;
	uint32_t reorder_ms;
	bool have_epoch;
	uint64_t epoch;
	uint64_t joined_at;	/* first sequence number of this epoch seen */
	uint64_t base;		/* every number below is resolved */
	uint64_t top;		/* highest number with a state in ring */
	uint64_t highest;	/* highest number known sent (data, heartbeat) */
	uint64_t wait_upto;	/* numbers up to it are lost at wait_deadline */
	uint64_t wait_deadline;	/* 0: no wait running */
	uint64_t last_heard_ms;
	uint32_t hb_interval_ms;
	uint8_t *ring;		/* DA_WINDOW states, indexed by seq */
	struct da_partial *partials[DA_MAX_PARTIALS];
	size_t partial_bytes, max_partial_bytes;
	struct da_rx_counters c;
	struct da_rx_ops ops;
};

int da_rx_init(struct da_rx *rx, uint16_t channel, uint32_t max_msg,
	       uint32_t reorder_ms, const struct da_rx_ops *ops);
void da_rx_free(struct da_rx *rx);
/* Continue an epoch from saved state: numbers below base are resolved. */
void da_rx_resume(struct da_rx *rx, uint64_t epoch, uint64_t joined_at,
		  uint64_t base);
void da_rx_input(struct da_rx *rx, const uint8_t *buf, size_t len,
		 uint64_t now_ms);
/* Give up on numbers whose wait is over; returns ms to the next deadline,
 * or -1 when none is running. */
int64_t da_rx_tick(struct da_rx *rx, uint64_t now_ms);
/* Resolve everything pending now (at exit, after the last heartbeat). */
void da_rx_flush(struct da_rx *rx);
/* Sequence numbers received above base, for saving: calls fn for each
 * delivered number in [base, top]. */
void da_rx_each_delivered(struct da_rx *rx, void (*fn)(void *, uint64_t),
			  void *arg);
/* Mark seq delivered (restoring saved state after da_rx_resume). */
void da_rx_mark_delivered(struct da_rx *rx, uint64_t seq);
/* Numbers counted lost below base and still in the window, by range (so
 * that a replay after a restart is still delivered), and their restore:
 * after da_rx_resume, before any da_rx_mark_delivered. */
void da_rx_each_lost(struct da_rx *rx,
		     void (*fn)(void *, uint64_t, uint64_t), void *arg);
void da_rx_mark_lost(struct da_rx *rx, uint64_t seq);

const char *da_reason_name(int reason);

#endif
