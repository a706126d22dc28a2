// SPDX-License-Identifier: GPL-2.0
/*
 * The agents' one-way transport: wire format, reassembly and accounting.
 *
 * Header, 36 bytes, big-endian:
 *   0 magic 0xda1a   2 version   3 type   4 channel   6 flags
 *   8 msg_len   12 frag_index   14 frag_count   16 frag_size   18 reserved
 *  20 epoch (64 bits)   28 seq (64 bits)
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "transport.h"

enum { ST_UNKNOWN = 0, ST_DELIVERED, ST_LOST, ST_DROPPED };

struct da_partial {
	uint64_t seq;
	uint32_t msg_len;
	uint16_t count, frag_size, got;
	uint8_t *have;
	uint8_t *buf;
};

void da_put_hdr(uint8_t *b, const struct da_hdr *h)
{
	be_put16(b, DA_MAGIC);
	b[2] = DA_VERSION;
	b[3] = h->type;
	be_put16(b + 4, h->channel);
	be_put16(b + 6, h->flags);
	be_put32(b + 8, h->msg_len);
	be_put16(b + 12, h->frag_index);
	be_put16(b + 14, h->frag_count);
	be_put16(b + 16, h->frag_size);
	be_put16(b + 18, h->reserved);
	be_put64(b + 20, h->epoch);
	be_put64(b + 28, h->seq);
}

int da_decode(const uint8_t *b, size_t len, struct da_hdr *h,
	      const uint8_t **payload, size_t *plen)
{
	size_t n;

	if (len < DA_HDR_LEN)
		return -DA_E_SHORT;
	if (be_get16(b) != DA_MAGIC)
		return -DA_E_MAGIC;
	if (b[2] != DA_VERSION)
		return -DA_E_VERSION;
	memset(h, 0, sizeof(*h));
	h->type = b[3];
	h->channel = be_get16(b + 4);
	h->flags = be_get16(b + 6);
	h->msg_len = be_get32(b + 8);
	h->frag_index = be_get16(b + 12);
	h->frag_count = be_get16(b + 14);
	h->frag_size = be_get16(b + 16);
	h->reserved = be_get16(b + 18);
	h->epoch = be_get64(b + 20);
	h->seq = be_get64(b + 28);
	n = len - DA_HDR_LEN;
	*payload = b + DA_HDR_LEN;
	*plen = n;
	if (h->reserved)
		return -DA_E_FIELD;
	switch (h->type) {
	case DA_DATA:
		if (!h->seq || h->msg_len > DA_MAX_MSG || !h->frag_count ||
		    h->frag_count > DA_MAX_FRAGS ||
		    h->frag_index >= h->frag_count)
			return -DA_E_FIELD;
		if (h->frag_count == 1)
			return n == h->msg_len ? 0 : -DA_E_FIELD;
		if (!h->frag_size ||
		    (uint64_t)(h->frag_count - 1) * h->frag_size >= h->msg_len ||
		    (uint64_t)h->frag_count * h->frag_size < h->msg_len)
			return -DA_E_FIELD;
		if (h->frag_index < h->frag_count - 1)
			return n == h->frag_size ? 0 : -DA_E_FIELD;
		return n == h->msg_len - (uint32_t)(h->frag_count - 1) *
				    h->frag_size ? 0 : -DA_E_FIELD;
	case DA_BATCH:
	case DA_STATE: {
		const uint8_t *q = *payload;
		size_t left = n;
		uint16_t i;

		/* numbered from seq on, or (STATE) not numbered at all */
		if ((h->type == DA_BATCH ? !h->seq || h->seq > UINT64_MAX - (h->frag_count - 1) :
					   h->seq) ||
		    !h->frag_count || h->frag_count > DA_MAX_FRAGS ||
		    h->frag_index || h->frag_size || n != h->msg_len)
			return -DA_E_FIELD;
		/* frag_count messages fill the payload exactly */
		for (i = 0; i < h->frag_count; i++) {
			size_t l;

			if (left < 2 || (l = be_get16(q)) > left - 2)
				return -DA_E_FIELD;
			q += 2 + l;
			left -= 2 + l;
		}
		return left ? -DA_E_FIELD : 0;
	}
	case DA_HEARTBEAT:
	case DA_DROP:
		if (h->frag_index || h->frag_count || h->frag_size ||
		    n != h->msg_len)
			return -DA_E_FIELD;
		if (h->type == DA_HEARTBEAT && n < 4)
			return -DA_E_FIELD;
		return 0;
	default:
		return -DA_E_TYPE;
	}
}

int da_decode_drop(const uint8_t *p, size_t len, struct da_range *out, int max)
{
	int n, i;

	if (len < 2)
		return -DA_E_SHORT;
	n = be_get16(p);
	if (n > max || len != 2 + 17 * (size_t)n)
		return -DA_E_FIELD;
	for (i = 0; i < n; i++) {
		const uint8_t *r = p + 2 + 17 * i;

		out[i].reason = r[0];
		out[i].first = be_get64(r + 1);
		out[i].last = be_get64(r + 9);
		if (!out[i].reason || out[i].reason > DA_R_MAX ||
		    !out[i].first || out[i].last < out[i].first ||
		    out[i].last - out[i].first >= DA_WINDOW)
			return -DA_E_FIELD;
	}
	return n;
}

size_t da_put_drop(uint8_t *p, const struct da_range *r, int n)
{
	int i;

	be_put16(p, n);
	for (i = 0; i < n; i++) {
		p[2 + 17 * i] = r[i].reason;
		be_put64(p + 3 + 17 * i, r[i].first);
		be_put64(p + 11 + 17 * i, r[i].last);
	}
	return 2 + 17 * (size_t)n;
}

int da_split(uint32_t len, size_t dgram, uint16_t *frag_size, uint16_t *count)
{
	size_t room, n;

	if (dgram <= DA_HDR_LEN || len > DA_MAX_MSG)
		return -1;
	room = dgram - DA_HDR_LEN;
	if (room > 65535)
		room = 65535;
	n = len ? (len + room - 1) / room : 1;
	if (n > DA_MAX_FRAGS)
		return -1;
	*count = n;
	*frag_size = n == 1 ? (len > 65535 ? 65535 : len) : room;
	return 0;
}

size_t da_put_fragment(uint8_t *out, uint16_t channel, uint64_t epoch,
		       uint64_t seq, const uint8_t *msg, uint32_t len,
		       uint16_t frag_size, uint16_t count, uint16_t idx)
{
	struct da_hdr h = {
		.type = DA_DATA, .channel = channel, .msg_len = len,
		.frag_index = idx, .frag_count = count, .frag_size = frag_size,
		.epoch = epoch, .seq = seq,
	};
	uint32_t off = (uint32_t)idx * frag_size;
	uint32_t n = count == 1 ? len : idx < count - 1 ? frag_size : len - off;

	da_put_hdr(out, &h);
	if (count == 1)
		off = 0;
	memcpy(out + DA_HDR_LEN, msg + off, n);
	return DA_HDR_LEN + n;
}

void da_batch_start(struct da_batch *b, uint8_t *out, size_t dgram)
{
	b->out = out;
	b->len = DA_HDR_LEN;
	b->cap = dgram;
	b->n = 0;
}

bool da_batch_add(struct da_batch *b, const uint8_t *msg, uint32_t len)
{
	if (b->n == DA_MAX_FRAGS || len > 65535 || b->len > b->cap ||
	    2 + (size_t)len > b->cap - b->len)
		return false;
	be_put16(b->out + b->len, len);
	memcpy(b->out + b->len + 2, msg, len);
	b->len += 2 + (size_t)len;
	b->n++;
	return true;
}

static size_t batch_end(struct da_batch *b, uint8_t type, uint16_t channel,
			uint64_t epoch, uint64_t seq)
{
	struct da_hdr h = {
		.type = type, .channel = channel,
		.msg_len = b->len - DA_HDR_LEN, .frag_count = b->n,
		.epoch = epoch, .seq = seq,
	};

	da_put_hdr(b->out, &h);
	return b->len;
}

size_t da_batch_end(struct da_batch *b, uint16_t channel, uint64_t epoch,
		    uint64_t seq)
{
	return batch_end(b, DA_BATCH, channel, epoch, seq);
}

size_t da_state_end(struct da_batch *b, uint16_t channel, uint64_t epoch)
{
	return batch_end(b, DA_STATE, channel, epoch, 0);
}

const char *da_reason_name(int reason)
{
	switch (reason) {
	case DA_R_QUEUE_FULL: return "queue-full";
	case DA_R_TOO_LARGE: return "too-large";
	case DA_R_RESTART: return "restart";
	default: return "unknown";
	}
}

/* The receiver. */

#define CELL(rx, s) ((rx)->ring[(s) & (DA_WINDOW - 1)])

static void partial_free(struct da_rx *rx, int i)
{
	struct da_partial *p = rx->partials[i];

	if (!p)
		return;
	rx->partial_bytes -= p->msg_len + p->count;
	free(p->have);
	free(p->buf);
	free(p);
	rx->partials[i] = NULL;
}

static void partial_drop_seq(struct da_rx *rx, uint64_t seq)
{
	int i;

	for (i = 0; i < DA_MAX_PARTIALS; i++)
		if (rx->partials[i] && rx->partials[i]->seq == seq)
			partial_free(rx, i);
}

int da_rx_init(struct da_rx *rx, uint16_t channel, uint32_t max_msg,
	       uint32_t reorder_ms, const struct da_rx_ops *ops)
{
	memset(rx, 0, sizeof(*rx));
	rx->ring = calloc(DA_WINDOW, 1);
	if (!rx->ring)
		return -1;
	rx->channel = channel;
	rx->max_msg = max_msg > DA_MAX_MSG ? DA_MAX_MSG : max_msg;
	rx->reorder_ms = reorder_ms;
	rx->max_partial_bytes = 4 * (size_t)rx->max_msg + (1 << 20);
	rx->ops = *ops;
	return 0;
}

void da_rx_free(struct da_rx *rx)
{
	int i;

	for (i = 0; i < DA_MAX_PARTIALS; i++)
		partial_free(rx, i);
	free(rx->ring);
	rx->ring = NULL;
}

static void gap(struct da_rx *rx, uint64_t first, uint64_t last)
{
	rx->c.lost += last - first + 1;
	rx->c.gaps++;
	if (rx->ops.gap)
		rx->ops.gap(rx->ops.ctx, first, last);
}

/* Unknown numbers in [a, b] (all <= top) become lost, reported by range. */
static void lost_cells(struct da_rx *rx, uint64_t a, uint64_t b)
{
	uint64_t x, run = 0;
	bool in_run = false;

	for (x = a; x <= b && x >= a; x++) {
		if (CELL(rx, x) == ST_UNKNOWN) {
			CELL(rx, x) = ST_LOST;
			partial_drop_seq(rx, x);
			if (!in_run) {
				in_run = true;
				run = x;
			}
		} else if (in_run) {
			gap(rx, run, x - 1);
			in_run = false;
		}
		if (x == UINT64_MAX)
			break;
	}
	if (in_run)
		gap(rx, run, b);
}

static void advance_base(struct da_rx *rx)
{
	while (rx->base <= rx->top && CELL(rx, rx->base) != ST_UNKNOWN)
		rx->base++;
}

/* Make the ring cover s: what falls out of the window unresolved is lost. */
static void advance_top(struct da_rx *rx, uint64_t s)
{
	uint64_t x;

	if (s <= rx->top)
		return;
	if (s >= DA_WINDOW && rx->base < s - DA_WINDOW + 1) {
		uint64_t nb = s - DA_WINDOW + 1;

		if (rx->base <= rx->top)
			lost_cells(rx, rx->base, nb - 1 < rx->top ? nb - 1 : rx->top);
		if (nb - 1 > rx->top) {
			uint64_t from = rx->base > rx->top + 1 ? rx->base : rx->top + 1;

			if (from <= nb - 1)
				gap(rx, from, nb - 1);
		}
		rx->base = nb;
	}
	if (s - rx->top >= DA_WINDOW)
		memset(rx->ring, 0, DA_WINDOW);
	else
		for (x = rx->top + 1; x <= s; x++)
			CELL(rx, x) = ST_UNKNOWN;
	rx->top = s;
}

static void start_wait(struct da_rx *rx, uint64_t now)
{
	if (rx->wait_deadline || rx->highest < rx->base)
		return;
	rx->wait_upto = rx->highest;
	rx->wait_deadline = now + rx->reorder_ms + 1;
}

static void saw(struct da_rx *rx, uint64_t s, uint64_t now)
{
	if (s > rx->highest)
		rx->highest = s;
	start_wait(rx, now);
}

static void new_epoch(struct da_rx *rx, uint64_t epoch, uint64_t first)
{
	uint64_t old = rx->epoch;
	bool had = rx->have_epoch;
	int i;

	for (i = 0; i < DA_MAX_PARTIALS; i++)
		partial_free(rx, i);
	memset(rx->ring, 0, DA_WINDOW);
	rx->have_epoch = true;
	rx->epoch = epoch;
	rx->joined_at = first;
	rx->base = first;
	rx->top = first - 1;
	rx->highest = first - 1;
	rx->wait_deadline = 0;
	rx->c.epochs++;
	if (rx->ops.epoch)
		rx->ops.epoch(rx->ops.ctx, had ? old : 0, epoch, first);
}

void da_rx_resume(struct da_rx *rx, uint64_t epoch, uint64_t joined_at,
		  uint64_t base)
{
	rx->have_epoch = true;
	rx->epoch = epoch;
	rx->joined_at = joined_at;
	rx->base = base;
	rx->top = base - 1;
	rx->highest = base - 1;
}

void da_rx_mark_delivered(struct da_rx *rx, uint64_t seq)
{
	if (seq < rx->base)
		return;
	advance_top(rx, seq);
	CELL(rx, seq) = ST_DELIVERED;
}

void da_rx_mark_lost(struct da_rx *rx, uint64_t seq)
{
	if (seq >= rx->base || seq + DA_WINDOW <= rx->top || !seq)
		return;
	CELL(rx, seq) = ST_LOST;
}

void da_rx_each_lost(struct da_rx *rx,
		     void (*fn)(void *, uint64_t, uint64_t), void *arg)
{
	uint64_t x, lo = rx->top >= DA_WINDOW ? rx->top - DA_WINDOW + 1 : 1, run = 0;
	bool in = false;

	if (lo < rx->joined_at)
		lo = rx->joined_at;
	for (x = lo; x < rx->base && x >= lo; x++) {
		if (CELL(rx, x) == ST_LOST) {
			if (!in)
				run = x;
			in = true;
		} else if (in) {
			fn(arg, run, x - 1);
			in = false;
		}
	}
	if (in)
		fn(arg, run, rx->base - 1);
}

void da_rx_each_delivered(struct da_rx *rx, void (*fn)(void *, uint64_t),
			  void *arg)
{
	uint64_t x;

	for (x = rx->base; x <= rx->top && x >= rx->base; x++)
		if (CELL(rx, x) == ST_DELIVERED)
			fn(arg, x);
}

static void complete(struct da_rx *rx, uint64_t s, const uint8_t *msg,
		     uint32_t len, uint64_t now)
{
	if (s >= rx->base) {
		advance_top(rx, s);
		if (CELL(rx, s) != ST_UNKNOWN) {
			rx->c.duplicates++;
			return;
		}
	} else {
		if (s + DA_WINDOW <= rx->top) {
			rx->c.too_old++;
			return;
		}
		if (CELL(rx, s) != ST_LOST) {
			rx->c.duplicates++;
			return;
		}
		/* counted lost before this process started: not here */
		if (rx->c.lost)
			rx->c.lost--;
		rx->c.late++;
	}
	CELL(rx, s) = ST_DELIVERED;
	rx->c.delivered++;
	rx->c.delivered_bytes += len;
	if (rx->ops.deliver)
		rx->ops.deliver(rx->ops.ctx, s, msg, len);
	advance_base(rx);
	saw(rx, s, now);
}

/* Is s already resolved, as far as the RX can tell? */
static bool resolved(struct da_rx *rx, uint64_t s)
{
	if (s >= rx->base)
		return s <= rx->top && CELL(rx, s) != ST_UNKNOWN;
	return s + DA_WINDOW <= rx->top || CELL(rx, s) != ST_LOST;
}

static void evict_oldest(struct da_rx *rx)
{
	int i, old = -1;

	for (i = 0; i < DA_MAX_PARTIALS; i++)
		if (rx->partials[i] &&
		    (old < 0 || rx->partials[i]->seq < rx->partials[old]->seq))
			old = i;
	if (old >= 0) {
		partial_free(rx, old);
		rx->c.evicted++;
	}
}

static void fragment(struct da_rx *rx, const struct da_hdr *h,
		     const uint8_t *p, size_t n, uint64_t now)
{
	struct da_partial *pa = NULL;
	int i, free_slot = -1;

	for (i = 0; i < DA_MAX_PARTIALS; i++) {
		if (!rx->partials[i]) {
			if (free_slot < 0)
				free_slot = i;
		} else if (rx->partials[i]->seq == h->seq) {
			pa = rx->partials[i];
			break;
		}
	}
	if (pa && (pa->msg_len != h->msg_len || pa->count != h->frag_count ||
		   pa->frag_size != h->frag_size)) {
		rx->c.malformed++;
		return;
	}
	if (!pa) {
		size_t need = h->msg_len + h->frag_count;

		while (free_slot < 0 ||
		       rx->partial_bytes + need > rx->max_partial_bytes) {
			evict_oldest(rx);
			if (free_slot < 0)
				for (i = 0; i < DA_MAX_PARTIALS; i++)
					if (!rx->partials[i]) {
						free_slot = i;
						break;
					}
			if (!rx->partial_bytes && free_slot >= 0)
				break;
		}
		pa = calloc(1, sizeof(*pa));
		if (!pa)
			return;
		pa->have = calloc(h->frag_count, 1);
		pa->buf = malloc(h->msg_len);
		if (!pa->have || !pa->buf) {
			free(pa->have);
			free(pa->buf);
			free(pa);
			return;
		}
		pa->seq = h->seq;
		pa->msg_len = h->msg_len;
		pa->count = h->frag_count;
		pa->frag_size = h->frag_size;
		rx->partials[free_slot] = pa;
		rx->partial_bytes += need;
		i = free_slot;
	}
	if (pa->have[h->frag_index])
		return;		/* the kernel de-duplicates; a replay may not */
	pa->have[h->frag_index] = 1;
	memcpy(pa->buf + (size_t)h->frag_index * h->frag_size, p, n);
	if (++pa->got < pa->count)
		return;
	complete(rx, pa->seq, pa->buf, pa->msg_len, now);
	partial_free(rx, i);
}

static void drop_notice(struct da_rx *rx, const struct da_range *r, uint64_t now)
{
	uint64_t x;

	advance_top(rx, r->last);
	for (x = r->first; x <= r->last; x++) {
		if (x < rx->base) {
			/* a restart's range says "may have skipped": what was
			 * counted lost may have been sent, and stays lost */
			if (x + DA_WINDOW > rx->top && CELL(rx, x) == ST_LOST &&
			    r->reason != DA_R_RESTART) {
				CELL(rx, x) = ST_DROPPED;
				if (rx->c.lost)
					rx->c.lost--;
				rx->c.dropped[r->reason]++;
			}
		} else if (CELL(rx, x) == ST_UNKNOWN) {
			CELL(rx, x) = ST_DROPPED;
			partial_drop_seq(rx, x);
			rx->c.dropped[r->reason]++;
		}
	}
	advance_base(rx);
	saw(rx, r->last, now);
}

/* A DATA fragment (or a whole message) of the current epoch. */
static void data_in(struct da_rx *rx, const struct da_hdr *h,
		    const uint8_t *p, size_t n, uint64_t now)
{
	rx->c.fragments++;
	if (resolved(rx, h->seq)) {
		if (h->frag_index)
			return;
		if (h->seq < rx->base && h->seq + DA_WINDOW <= rx->top)
			rx->c.too_old++;
		else
			rx->c.duplicates++;
		return;
	}
	if (h->frag_count == 1)
		complete(rx, h->seq, p, h->msg_len, now);
	else
		fragment(rx, h, p, n, now);
	saw(rx, h->seq, now);
}

/* The messages of a BATCH or STATE datagram (da_decode checked their
 * layout) within MaxMessage, or the datagram is malformed. */
static bool batch_lengths_ok(struct da_rx *rx, const struct da_hdr *h,
			     const uint8_t *p)
{
	const uint8_t *q;
	uint16_t i;

	for (q = p, i = 0; i < h->frag_count; q += 2 + be_get16(q), i++)
		if (be_get16(q) > rx->max_msg) {
			rx->c.malformed++;
			return false;
		}
	return true;
}

/* Each message of a BATCH as a DATA message of one fragment; one too
 * long refuses the datagram whole. */
static void batch_in(struct da_rx *rx, const struct da_hdr *h,
		     const uint8_t *p, uint64_t now)
{
	struct da_hdr m = *h;
	const uint8_t *q;
	uint16_t i;

	if (!batch_lengths_ok(rx, h, p))
		return;
	if (!rx->have_epoch || h->epoch != rx->epoch)
		new_epoch(rx, h->epoch, h->seq);
	rx->last_heard_ms = now;
	m.type = DA_DATA;
	m.frag_count = 1;
	for (q = p, i = 0; i < h->frag_count; i++) {
		m.seq = h->seq + i;
		m.msg_len = be_get16(q);
		data_in(rx, &m, q + 2, m.msg_len, now);
		q += 2 + m.msg_len;
	}
}

/*
 * The messages of a STATE datagram, each delivered as it is, unnumbered:
 * no order, no accounting. Only of the epoch the receiver follows, whose
 * numbered messages came before (the protocol's state is of that tx).
 */
static void state_in(struct da_rx *rx, const struct da_hdr *h,
		     const uint8_t *p, uint64_t now)
{
	const uint8_t *q;
	uint16_t i;

	if (!batch_lengths_ok(rx, h, p))
		return;
	rx->last_heard_ms = now;
	if (!rx->have_epoch || h->epoch != rx->epoch) {
		rx->c.state_other_epoch += h->frag_count;
		return;
	}
	for (q = p, i = 0; i < h->frag_count; i++) {
		uint16_t l = be_get16(q);

		rx->c.state++;
		rx->ops.deliver(rx->ops.ctx, 0, q + 2, l);
		q += 2 + l;
	}
}

void da_rx_input(struct da_rx *rx, const uint8_t *buf, size_t len,
		 uint64_t now)
{
	struct da_range ranges[DA_MAX_DROP_RANGES];
	const uint8_t *p;
	struct da_hdr h;
	size_t n;
	int i, nr;

	rx->c.datagrams++;
	if (da_decode(buf, len, &h, &p, &n)) {
		rx->c.malformed++;
		return;
	}
	if (h.channel != rx->channel) {
		rx->c.other_channel++;
		return;
	}
	switch (h.type) {
	case DA_DATA:
		if (h.msg_len > rx->max_msg) {
			rx->c.malformed++;
			return;
		}
		if (!rx->have_epoch || h.epoch != rx->epoch)
			new_epoch(rx, h.epoch, h.seq);
		rx->last_heard_ms = now;
		data_in(rx, &h, p, n, now);
		return;
	case DA_BATCH:
		batch_in(rx, &h, p, now);
		return;
	case DA_STATE:
		state_in(rx, &h, p, now);
		return;
	case DA_HEARTBEAT:
		rx->c.heartbeats++;
		rx->last_heard_ms = now;
		rx->hb_interval_ms = be_get32(p);
		if (h.seq == UINT64_MAX) {
			rx->c.malformed++;
			return;
		}
		if (!rx->have_epoch || h.epoch != rx->epoch)
			new_epoch(rx, h.epoch, h.seq + 1);
		else
			saw(rx, h.seq, now);
		return;
	case DA_DROP:
		nr = da_decode_drop(p, n, ranges, DA_MAX_DROP_RANGES);
		if (nr < 0) {
			rx->c.malformed++;
			return;
		}
		rx->c.drop_notices++;
		rx->last_heard_ms = now;
		if (!rx->have_epoch || h.epoch != rx->epoch)
			return;		/* joined later: nothing to account */
		for (i = 0; i < nr; i++)
			if (ranges[i].last >= rx->joined_at)
				drop_notice(rx, &ranges[i], now);
		return;
	}
}

static void give_up(struct da_rx *rx, uint64_t upto)
{
	if (upto < rx->base)
		return;
	advance_top(rx, upto);
	lost_cells(rx, rx->base, upto);
	advance_base(rx);
}

int64_t da_rx_tick(struct da_rx *rx, uint64_t now)
{
	if (rx->wait_deadline && now >= rx->wait_deadline) {
		rx->wait_deadline = 0;
		give_up(rx, rx->wait_upto);
		start_wait(rx, now);
	}
	if (!rx->wait_deadline)
		return -1;
	return (int64_t)(rx->wait_deadline - now);
}

void da_rx_flush(struct da_rx *rx)
{
	rx->wait_deadline = 0;
	if (rx->have_epoch)
		give_up(rx, rx->highest);
}
