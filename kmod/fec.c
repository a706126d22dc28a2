// SPDX-License-Identifier: GPL-2.0
/*
 * Reed-Solomon forward error correction over sealed frames, on the kernel's
 * lib/reed_solomon (see fec.h for the layout).
 */
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/rslib.h>
#include <linux/slab.h>

#include "compat.h"
#include "fec.h"
#include "messages.h"

/* GF(2^8) over x^8 + x^4 + x^3 + x^2 + 1, first root 0, primitive element 1. */
#define DIODE_RS_SYMSIZE 8
#define DIODE_RS_GFPOLY 0x11d

/*
 * One code per number of parity shards, made once: encoding only reads its
 * tables, so senders share it freely; decoding writes its scratch buffers,
 * so receivers take the lock.
 *
 * Encoding is linear over GF(2^8): a parity symbol is the sum over the
 * members of each member's symbol times the parity that a lone 1 at that
 * member's distance from the end of the code word would have. encode_rs8()
 * gives those unit parities once per code (@unit[t][i]: distance t, parity
 * shard i); the sender then combines whole shard rows through a product
 * table rather than calling the library once per byte column, which costs
 * several times more.
 */
static struct {
	struct rs_control *rs;
	spinlock_t decode_lock;
	u8 unit[DIODE_FEC_DATA_MAX][DIODE_FEC_PARITY_MAX];
} diode_codes[DIODE_FEC_PARITY_MAX + 1];

/* diode_gf_product[a][b] = a * b in GF(2^8), the field of the codes. */
static u8 diode_gf_product[256][256];

static u8 diode_gf_mul(u8 a, u8 b)
{
	unsigned int x = a, product = 0;

	for (; b; b >>= 1, x <<= 1) {
		if (x & 0x100)
			x ^= DIODE_RS_GFPOLY;
		if (b & 1)
			product ^= x;
	}
	return product;
}

/*
 * Parity shards @shard[0..m-1] of the @k rows at @rows, @stride bytes apart,
 * over their first @len bytes.
 */
static void diode_fec_encode(unsigned int m, unsigned int k, const u8 *rows,
			     size_t stride, unsigned int len, u8 *const *shard)
{
	unsigned int i, n, j;

	for (i = 0; i < m; i++) {
		memset(shard[i], 0, len);
		for (n = 0; n < k; n++) {
			const u8 *row = rows + n * stride;
			const u8 *product =
				diode_gf_product[diode_codes[m].unit[k - 1 - n][i]];

			for (j = 0; j < len; j++)
				shard[i][j] ^= product[row[j]];
		}
	}
}

/*
 * Self-test at load: the row encoder must give what encode_rs8() gives
 * column by column, which is what the receiver's decode_rs8() undoes.
 */
static int diode_fec_selftest(void)
{
	enum { LEN = 8 };
	static const unsigned int sizes[] = { 1, 2, 17, DIODE_FEC_DATA_MAX };
	u8 rows[DIODE_FEC_DATA_MAX][LEN], column[DIODE_FEC_DATA_MAX];
	u8 out[DIODE_FEC_PARITY_MAX][LEN], *shard[DIODE_FEC_PARITY_MAX];
	u16 par[DIODE_FEC_PARITY_MAX];
	unsigned int m, s, k, i, n, j;

	for (n = 0; n < DIODE_FEC_DATA_MAX; n++)
		for (j = 0; j < LEN; j++)
			rows[n][j] = (u8)((n * LEN + j) * 167 + 13);
	for (i = 0; i < DIODE_FEC_PARITY_MAX; i++)
		shard[i] = out[i];
	for (m = 1; m <= DIODE_FEC_PARITY_MAX; m++) {
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			k = sizes[s];
			diode_fec_encode(m, k, &rows[0][0], LEN, LEN, shard);
			for (j = 0; j < LEN; j++) {
				for (n = 0; n < k; n++)
					column[n] = rows[n][j];
				memset(par, 0, sizeof(par));
				encode_rs8(diode_codes[m].rs, column, k, par, 0);
				for (i = 0; i < m; i++)
					if (out[i][j] != par[i])
						return -EINVAL;
			}
		}
	}
	return 0;
}

int diode_fec_init(void)
{
	u8 unit[DIODE_FEC_DATA_MAX] = { 1 };
	u16 par[DIODE_FEC_PARITY_MAX];
	unsigned int a, b, t, i;
	int m, ret;

	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			diode_gf_product[a][b] = diode_gf_mul(a, b);
	for (m = 1; m <= DIODE_FEC_PARITY_MAX; m++) {
		diode_codes[m].rs = init_rs(DIODE_RS_SYMSIZE, DIODE_RS_GFPOLY, 0, 1, m);
		if (!diode_codes[m].rs) {
			ret = -ENOMEM;
			goto err_free;
		}
		spin_lock_init(&diode_codes[m].decode_lock);
		for (t = 0; t < DIODE_FEC_DATA_MAX; t++) {
			memset(par, 0, sizeof(par));
			encode_rs8(diode_codes[m].rs, unit, t + 1, par, 0);
			for (i = 0; i < m; i++)
				diode_codes[m].unit[t][i] = par[i];
		}
	}
	ret = diode_fec_selftest();
	if (ret) {
		pr_err("diode: FEC self-test failed\n");
		m = DIODE_FEC_PARITY_MAX + 1;
		goto err_free;
	}
	return 0;

err_free:
	while (--m)
		free_rs(diode_codes[m].rs);
	return ret;
}

void diode_fec_uninit(void)
{
	int m;

	for (m = DIODE_FEC_PARITY_MAX; m >= 1; m--)
		free_rs(diode_codes[m].rs);
}

bool diode_fec_config_valid(const struct diode_fec_config *config)
{
	if (!config->data)
		return true;
	return config->data <= DIODE_FEC_DATA_MAX &&
	       config->parity >= 1 && config->parity <= DIODE_FEC_PARITY_MAX &&
	       config->interleave >= 1 &&
	       config->interleave <= DIODE_FEC_INTERLEAVE_MAX;
}

/* Byte j of the shard of a frame: its length, then the frame, then zeros. */
static u8 diode_shard_byte(const u8 *frame, unsigned int len, unsigned int j)
{
	if (j < 2)
		return j ? len & 0xff : len >> 8;
	return j - 2 < len ? frame[j - 2] : 0;
}

/* The sender. */

struct diode_fec_tx_group {
	spinlock_t lock;
	u8 count;
	u16 shard_len;
	u64 low, high;
	u64 counters[DIODE_FEC_DATA_MAX];
	u8 *shards;			/* K rows of DIODE_FEC_SHARD_MAX */
};

struct diode_fec_tx {
	struct diode_fec_config config;
	atomic_t turn;
	u8 *shards;
	struct diode_fec_tx_group groups[];
};

struct diode_fec_tx *diode_fec_tx_new(const struct diode_fec_config *config)
{
	unsigned int d = config->interleave, k = config->data, i;
	struct diode_fec_tx *fec;

	fec = kzalloc(struct_size(fec, groups, d), GFP_KERNEL);
	if (!fec)
		return NULL;
	fec->shards = kvmalloc_array(d * k, DIODE_FEC_SHARD_MAX, GFP_KERNEL);
	if (!fec->shards) {
		kfree(fec);
		return NULL;
	}
	fec->config = *config;
	for (i = 0; i < d; i++) {
		spin_lock_init(&fec->groups[i].lock);
		fec->groups[i].shards = fec->shards + i * k * DIODE_FEC_SHARD_MAX;
	}
	return fec;
}

void diode_fec_tx_free(struct diode_fec_tx *fec)
{
	if (!fec)
		return;
	kvfree(fec->shards);
	kfree(fec);
}

/* Under the group's lock: the group's parity bodies, and a fresh group. */
static void diode_fec_tx_close(struct diode_fec_tx *fec,
			       struct diode_fec_tx_group *g,
			       struct sk_buff_head *out)
{
	unsigned int k = g->count, m = fec->config.parity, len = g->shard_len;
	unsigned int desc_len = sizeof(struct diode_parity_desc) + 2 * k;
	struct sk_buff *skb[DIODE_FEC_PARITY_MAX];
	u8 *shard[DIODE_FEC_PARITY_MAX];
	unsigned int i, n;

	g->count = 0;
	for (i = 0; i < m; i++) {
		struct diode_parity_desc *desc;
		u8 *body;

		skb[i] = alloc_skb(DIODE_HEADROOM + desc_len + len + DIODE_TAILROOM,
				   GFP_ATOMIC);
		if (!skb[i]) {
			while (i--)
				kfree_skb(skb[i]);
			return;
		}
		skb_reserve(skb[i], DIODE_HEADROOM);
		body = skb_put(skb[i], desc_len + len);
		desc = (struct diode_parity_desc *)body;
		desc->base = cpu_to_be64(g->low);
		desc->count = k;
		desc->parity = m;
		desc->index = i;
		desc->reserved = 0;
		desc->shard_len = cpu_to_be16(len);
		for (n = 0; n < k; n++)
			put_unaligned_be16(g->counters[n] - g->low,
					   body + sizeof(*desc) + 2 * n);
		shard[i] = body + desc_len;
	}
	for (n = 0; n < k; n++) {
		u8 *row = g->shards + n * DIODE_FEC_SHARD_MAX;
		unsigned int used = 2 + get_unaligned_be16(row);

		memset(row + used, 0, len - used);
	}
	diode_fec_encode(m, k, g->shards, DIODE_FEC_SHARD_MAX, len, shard);
	for (i = 0; i < m; i++)
		__skb_queue_tail(out, skb[i]);
}

void diode_fec_tx_add(struct diode_fec_tx *fec, u64 counter, const u8 *frame,
		      unsigned int len, struct sk_buff_head *parity)
{
	struct diode_fec_tx_group *g;
	u8 *row;

	if (len > DIODE_FEC_FRAME_MAX)
		return;
	g = &fec->groups[(unsigned int)atomic_inc_return(&fec->turn) %
			 fec->config.interleave];
	spin_lock_bh(&g->lock);
	/* Offsets from the lowest counter are 16 bits: a member that would
	 * stretch the group further starts a new one.
	 */
	if (g->count && max(g->high, counter) - min(g->low, counter) > U16_MAX)
		diode_fec_tx_close(fec, g, parity);
	if (!g->count) {
		g->low = counter;
		g->high = counter;
		g->shard_len = 0;
	}
	row = g->shards + g->count * DIODE_FEC_SHARD_MAX;
	put_unaligned_be16(len, row);
	memcpy(row + 2, frame, len);
	g->counters[g->count++] = counter;
	g->low = min(g->low, counter);
	g->high = max(g->high, counter);
	g->shard_len = max_t(unsigned int, g->shard_len, 2 + len);
	if (g->count == fec->config.data)
		diode_fec_tx_close(fec, g, parity);
	spin_unlock_bh(&g->lock);
}

void diode_fec_tx_flush(struct diode_fec_tx *fec, struct sk_buff_head *parity)
{
	unsigned int i;

	for (i = 0; i < fec->config.interleave; i++) {
		struct diode_fec_tx_group *g = &fec->groups[i];

		spin_lock_bh(&g->lock);
		if (g->count)
			diode_fec_tx_close(fec, g, parity);
		spin_unlock_bh(&g->lock);
	}
}

/* The receiver. */

struct diode_fec_slot {
	u64 counter;			/* 0: empty */
	u16 len;
	u8 frame[DIODE_FEC_FRAME_MAX];
};

struct diode_fec_rx_group {
	u64 base;
	u64 last_used;
	u16 shard_len;
	u8 count;
	bool done;
	u16 have;			/* parity shards held, a bit each */
	u16 offsets[DIODE_FEC_DATA_MAX];
	u8 *parity;			/* M rows of DIODE_FEC_SHARD_MAX */
};

struct diode_fec_rx {
	struct diode_fec_config config;
	spinlock_t lock;
	u64 clock;
	u32 nslots;			/* a power of two */
	struct diode_fec_slot *slots;
	u8 *parity;
	unsigned int ngroups;
	/* Groups that hold parity and wait for members: none, and an arriving
	 * member need not take the lock to look for one.
	 */
	unsigned int waiting;
	struct diode_fec_rx_group groups[];
};

struct diode_fec_rx *diode_fec_rx_new(const struct diode_fec_config *config)
{
	unsigned int k = config->data, m = config->parity, d = config->interleave;
	unsigned int ngroups = 2 * d, i;
	struct diode_fec_rx *fec;

	fec = kzalloc(struct_size(fec, groups, ngroups), GFP_KERNEL);
	if (!fec)
		return NULL;
	/* Frames are kept for as long as two rounds of interleaved groups,
	 * their parity included, take on the link.
	 */
	fec->nslots = roundup_pow_of_two(2 * (k + m) * d);
	fec->slots = kvcalloc(fec->nslots, sizeof(*fec->slots), GFP_KERNEL);
	fec->parity = kvmalloc_array(ngroups * m, DIODE_FEC_SHARD_MAX, GFP_KERNEL);
	if (!fec->slots || !fec->parity) {
		diode_fec_rx_free(fec);
		return NULL;
	}
	spin_lock_init(&fec->lock);
	fec->config = *config;
	fec->ngroups = ngroups;
	for (i = 0; i < ngroups; i++) {
		fec->groups[i].parity = fec->parity + i * m * DIODE_FEC_SHARD_MAX;
		fec->groups[i].done = true;
	}
	return fec;
}

void diode_fec_rx_free(struct diode_fec_rx *fec)
{
	if (!fec)
		return;
	kvfree(fec->parity);
	kvfree(fec->slots);
	kfree(fec);
}

static struct diode_fec_slot *diode_fec_slot(struct diode_fec_rx *fec,
					     u64 counter)
{
	return &fec->slots[counter & (fec->nslots - 1)];
}

void diode_fec_rx_store(struct diode_fec_rx *fec, u64 counter, const u8 *frame,
			unsigned int len)
{
	struct diode_fec_slot *slot;

	if (len > DIODE_FEC_FRAME_MAX)
		return;
	spin_lock_bh(&fec->lock);
	slot = diode_fec_slot(fec, counter);
	slot->counter = counter;
	slot->len = len;
	memcpy(slot->frame, frame, len);
	spin_unlock_bh(&fec->lock);
}

void diode_fec_rx_forget(struct diode_fec_rx *fec, u64 counter)
{
	struct diode_fec_slot *slot;

	spin_lock_bh(&fec->lock);
	slot = diode_fec_slot(fec, counter);
	if (slot->counter == counter)
		slot->counter = 0;
	spin_unlock_bh(&fec->lock);
}

/* Under @fec->lock: @g's parity shards held and whether it is finished. */
static void diode_fec_rx_group_set(struct diode_fec_rx *fec,
				   struct diode_fec_rx_group *g, u16 have,
				   bool done)
{
	bool was_waiting = g->have && !g->done, waiting = have && !done;

	g->have = have;
	g->done = done;
	WRITE_ONCE(fec->waiting, fec->waiting + waiting - was_waiting);
}

/*
 * Under @fec->lock: rebuild the members of @g that never arrived, if the
 * parity shards held are enough. Work is bounded by the group's size: at
 * most one Reed-Solomon decode per byte of its shards.
 */
static void diode_fec_rx_repair(struct diode_fec_rx *fec,
				struct diode_fec_rx_group *g,
				struct sk_buff_head *rebuilt)
{
	unsigned int m = fec->config.parity, len = g->shard_len;
	const struct diode_fec_slot *rows[DIODE_FEC_DATA_MAX];
	int erasures[DIODE_FEC_DATA_MAX + DIODE_FEC_PARITY_MAX];
	struct sk_buff *out[DIODE_FEC_PARITY_MAX];
	unsigned int missing[DIODE_FEC_PARITY_MAX];
	u8 column[DIODE_FEC_DATA_MAX];
	u16 par[DIODE_FEC_PARITY_MAX];
	unsigned int nmissing = 0, neras, i, j, r;
	int ret = 0;

	for (i = 0; i < g->count; i++) {
		u64 counter = g->base + g->offsets[i];
		const struct diode_fec_slot *slot = diode_fec_slot(fec, counter);

		rows[i] = slot->counter == counter ? slot : NULL;
		if (!rows[i]) {
			if (nmissing == m)
				return;
			missing[nmissing++] = i;
		}
	}
	if (!nmissing) {
		diode_fec_rx_group_set(fec, g, g->have, true);
		return;
	}
	if (nmissing > hweight16(g->have))
		return;

	neras = 0;
	for (r = 0; r < nmissing; r++)
		erasures[neras++] = missing[r];
	for (i = 0; i < m; i++) {
		if (!(g->have & BIT(i)))
			erasures[neras++] = g->count + i;
	}
	for (r = 0; r < nmissing; r++) {
		out[r] = alloc_skb(DIODE_HEADROOM + len, GFP_ATOMIC);
		if (!out[r])
			goto free;
		skb_reserve(out[r], DIODE_HEADROOM);
		skb_put(out[r], len);
	}

	spin_lock(&diode_codes[m].decode_lock);
	for (j = 0; j < len && ret >= 0; j++) {
		for (i = 0; i < g->count; i++)
			column[i] = rows[i] ? diode_shard_byte(rows[i]->frame,
							       rows[i]->len, j) : 0;
		for (i = 0; i < m; i++)
			par[i] = g->have & BIT(i) ?
				 g->parity[i * DIODE_FEC_SHARD_MAX + j] : 0;
		ret = decode_rs8(diode_codes[m].rs, column, par, g->count, NULL,
				 neras, erasures, 0, NULL);
		for (r = 0; r < nmissing; r++)
			out[r]->data[j] = column[missing[r]];
	}
	spin_unlock(&diode_codes[m].decode_lock);
	diode_fec_rx_group_set(fec, g, g->have, true);
	if (ret < 0)
		goto free;

	for (r = 0; r < nmissing; r++) {
		unsigned int flen = get_unaligned_be16(out[r]->data);

		/* Authentication judges the bytes; this keeps the lengths sane. */
		if (flen < DIODE_FRAME_MIN_LEN || flen > len - 2) {
			kfree_skb(out[r]);
			continue;
		}
		__skb_pull(out[r], 2);
		__skb_trim(out[r], flen);
		__skb_queue_tail(rebuilt, out[r]);
	}
	return;
free:
	while (r--)
		kfree_skb(out[r]);
}

static struct diode_fec_rx_group *diode_fec_rx_group(struct diode_fec_rx *fec,
						     const struct diode_parity_desc *desc,
						     const u8 *offsets)
{
	struct diode_fec_rx_group *g, *oldest = &fec->groups[0];
	u64 base = be64_to_cpu(desc->base);
	unsigned int i;

	for (i = 0; i < fec->ngroups; i++) {
		g = &fec->groups[i];
		if (g->last_used && g->base == base && g->count == desc->count)
			return g;
		if (g->last_used < oldest->last_used)
			oldest = g;
	}
	g = oldest;
	g->base = base;
	g->count = desc->count;
	g->shard_len = be16_to_cpu(desc->shard_len);
	diode_fec_rx_group_set(fec, g, 0, false);
	for (i = 0; i < g->count; i++)
		g->offsets[i] = get_unaligned_be16(offsets + 2 * i);
	return g;
}

void diode_fec_rx_arrived(struct diode_fec_rx *fec, u64 counter,
			  struct sk_buff_head *rebuilt)
{
	struct diode_fec_rx_group *g;
	unsigned int i, n;

	/* The frame was stored under the lock before it was opened, so a
	 * parity that came in since then either repaired with it already or
	 * counts as waiting here.
	 */
	if (!READ_ONCE(fec->waiting))
		return;
	spin_lock_bh(&fec->lock);
	for (i = 0; i < fec->ngroups; i++) {
		g = &fec->groups[i];
		if (g->done || !g->have || counter < g->base ||
		    counter - g->base > U16_MAX)
			continue;
		for (n = 0; n < g->count; n++) {
			if (g->base + g->offsets[n] == counter) {
				diode_fec_rx_repair(fec, g, rebuilt);
				break;
			}
		}
	}
	spin_unlock_bh(&fec->lock);
}

int diode_fec_rx_parity(struct diode_fec_rx *fec, const u8 *body,
			unsigned int len, struct sk_buff_head *rebuilt)
{
	const struct diode_parity_desc *desc = (const void *)body;
	unsigned int desc_len, shard_len;
	struct diode_fec_rx_group *g;

	if (len < sizeof(*desc))
		return -EINVAL;
	desc_len = sizeof(*desc) + 2 * desc->count;
	shard_len = be16_to_cpu(desc->shard_len);
	if (!desc->count || desc->count > fec->config.data ||
	    desc->parity != fec->config.parity ||
	    desc->index >= fec->config.parity || desc->reserved ||
	    shard_len < 2 + DIODE_FRAME_MIN_LEN || shard_len > DIODE_FEC_SHARD_MAX ||
	    len != desc_len + shard_len)
		return -EINVAL;

	spin_lock_bh(&fec->lock);
	g = diode_fec_rx_group(fec, desc, body + sizeof(*desc));
	g->last_used = ++fec->clock;
	if (!g->done && g->shard_len == shard_len && !(g->have & BIT(desc->index))) {
		memcpy(g->parity + desc->index * DIODE_FEC_SHARD_MAX,
		       body + desc_len, shard_len);
		diode_fec_rx_group_set(fec, g, g->have | BIT(desc->index), false);
		diode_fec_rx_repair(fec, g, rebuilt);
	}
	spin_unlock_bh(&fec->lock);
	return 0;
}
