// SPDX-License-Identifier: GPL-2.0
/*
 * Reed-Solomon forward error correction over sealed frames (see fec.h for
 * the layout): the groups of the sender and the receiver. The arithmetic is
 * rs.c's, checked at load against the kernel's lib/reed_solomon.
 */
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/rslib.h>
#include <linux/slab.h>

#include "compat.h"
#include "fec.h"
#include "messages.h"
#include "rs.h"

/*
 * Self-test at load: the row encoder must give what the kernel's
 * lib/reed_solomon gives column by column, and the solver must undo it for
 * any erasures up to M.
 */
static int diode_fec_selftest_repair(void)
{
	enum { LEN = 8, K = 6, M = 3 };
	static u8 rows[K][LEN], par[M][LEN], out[K][LEN], scratch[M * LEN];
	const u8 *parity[M];
	struct diode_rs_row row[K];
	u8 *shard[M], *dst[K];
	unsigned int pattern, n, i, erased;

	for (n = 0; n < K; n++)
		for (i = 0; i < LEN; i++)
			rows[n][i] = (u8)(n * 31 + i * 7 + 1);
	for (i = 0; i < M; i++)
		shard[i] = par[i];
	diode_rs_encode(M, K, &rows[0][0], LEN, LEN, shard);
	/* Every set of members and parity shards lost, up to M in all. */
	for (pattern = 0; pattern < 1u << (K + M); pattern++) {
		erased = hweight32(pattern);
		if (erased > M)
			continue;
		for (n = 0; n < K; n++) {
			bool lost = pattern & BIT(n);

			row[n].data = lost ? NULL : rows[n];
			row[n].used = LEN;
			dst[n] = lost ? out[n] : NULL;
		}
		for (i = 0; i < M; i++)
			parity[i] = pattern & BIT(K + i) ? NULL : par[i];
		if (!diode_rs_solve(M, K, LEN, row, parity, dst, scratch))
			return -EINVAL;
		for (n = 0; n < K; n++)
			if (dst[n] && memcmp(out[n], rows[n], LEN))
				return -EINVAL;
	}
	return 0;
}

/*
 * Every size of group against encode_rs8(): row 0 is never zero, so that,
 * size by size, each unit parity diode_rs_encode() uses is checked exactly.
 */
static int diode_fec_selftest_encode(unsigned int m, struct rs_control *rs)
{
	enum { LEN = 8 };
	u8 rows[DIODE_FEC_DATA_MAX][LEN], column[DIODE_FEC_DATA_MAX];
	u8 out[DIODE_FEC_PARITY_MAX][LEN], *shard[DIODE_FEC_PARITY_MAX];
	u16 par[DIODE_FEC_PARITY_MAX];
	unsigned int k, i, n, j;

	for (n = 0; n < DIODE_FEC_DATA_MAX; n++)
		for (j = 0; j < LEN; j++)
			rows[n][j] = (u8)((n * LEN + j) * 167 + 13);
	for (i = 0; i < DIODE_FEC_PARITY_MAX; i++)
		shard[i] = out[i];
	for (k = 1; k <= DIODE_FEC_DATA_MAX; k++) {
		diode_rs_encode(m, k, &rows[0][0], LEN, LEN, shard);
		for (j = 0; j < LEN; j++) {
			for (n = 0; n < k; n++)
				column[n] = rows[n][j];
			memset(par, 0, sizeof(par));
			encode_rs8(rs, column, k, par, 0);
			for (i = 0; i < m; i++)
				if (out[i][j] != par[i])
					return -EINVAL;
		}
	}
	return 0;
}

int diode_fec_init(void)
{
	struct rs_control *rs;
	unsigned int m;
	int ret;

	diode_rs_init();
	/* The library's codes serve as the reference, then go. */
	for (m = 1; m <= DIODE_FEC_PARITY_MAX; m++) {
		rs = init_rs(DIODE_RS_SYMSIZE, DIODE_RS_GFPOLY, DIODE_RS_FCR,
			     DIODE_RS_PRIM, m);
		if (!rs)
			return -ENOMEM;
		ret = diode_fec_selftest_encode(m, rs);
		free_rs(rs);
		if (ret)
			goto err;
	}
	ret = diode_fec_selftest_repair();
	if (ret)
		goto err;
	return 0;
err:
	pr_err("diode: FEC self-test failed\n");
	return ret;
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
	diode_rs_encode(m, k, g->shards, DIODE_FEC_SHARD_MAX, len, shard);
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

/*
 * An authentic member, as its shard: length, then the sealed frame, in a
 * buffer of DIODE_FEC_SHARD_MAX bytes. A frame is copied once, into a spare
 * buffer before it is opened in place (diode_fec_rx_stage()); if it
 * authenticates, that buffer takes the place of the slot's, which becomes
 * the spare. A frame that does not authenticate changes no slot.
 */
struct diode_fec_slot {
	u64 counter;			/* 0: empty */
	u8 *shard;
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
	/* Each CPU's spare buffer, or NULL: a frame staged while another
	 * still holds it (asynchronous crypto) gets one from the heap, and
	 * a buffer given back to a CPU that has a spare goes to the heap.
	 * Buffers: one per slot and per CPU, and one per frame being opened.
	 */
	u8 * __percpu *spare;
	u8 *parity;
	u8 *scratch;			/* DIODE_FEC_PARITY_MAX shards, for repairs */
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
	fec->spare = alloc_percpu(u8 *);
	fec->parity = kvmalloc_array(ngroups * m, DIODE_FEC_SHARD_MAX, GFP_KERNEL);
	fec->scratch = kvmalloc_array(DIODE_FEC_PARITY_MAX, DIODE_FEC_SHARD_MAX,
				      GFP_KERNEL);
	if (!fec->slots || !fec->spare || !fec->parity || !fec->scratch) {
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
	unsigned int i;
	int cpu;

	if (!fec)
		return;
	if (fec->spare) {
		for_each_possible_cpu(cpu)
			kfree(*per_cpu_ptr(fec->spare, cpu));
		free_percpu(fec->spare);
	}
	for (i = 0; fec->slots && i < fec->nslots; i++)
		kfree(fec->slots[i].shard);
	kvfree(fec->scratch);
	kvfree(fec->parity);
	kvfree(fec->slots);
	kfree(fec);
}

static struct diode_fec_slot *diode_fec_slot(struct diode_fec_rx *fec,
					     u64 counter)
{
	return &fec->slots[counter & (fec->nslots - 1)];
}

u8 *diode_fec_rx_stage(struct diode_fec_rx *fec, const u8 *frame,
		       unsigned int len)
{
	u8 *shard;

	if (len > DIODE_FEC_FRAME_MAX)
		return NULL;
	shard = this_cpu_xchg(*fec->spare, NULL);
	if (!shard) {
		shard = kmalloc(DIODE_FEC_SHARD_MAX, GFP_ATOMIC);
		if (!shard)
			return NULL;
	}
	put_unaligned_be16(len, shard);
	memcpy(shard + 2, frame, len);
	return shard;
}

void diode_fec_rx_unstage(struct diode_fec_rx *fec, u8 *shard)
{
	if (shard && this_cpu_cmpxchg(*fec->spare, NULL, shard))
		kfree(shard);
}

void diode_fec_rx_store(struct diode_fec_rx *fec, u64 counter, u8 *shard)
{
	struct diode_fec_slot *slot;

	spin_lock_bh(&fec->lock);
	slot = diode_fec_slot(fec, counter);
	if (slot->counter < counter) {
		slot->counter = counter;
		swap(slot->shard, shard);
	}
	spin_unlock_bh(&fec->lock);
	diode_fec_rx_unstage(fec, shard);
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
 * Under @fec->lock: rebuild the members of @g that never arrived and that
 * the receiver does not have yet, if the parity shards held are enough.
 * Parity shard @fresh, if it is one held (< M), is read at @fresh_shard
 * rather than from the group. Work is bounded by the group's size (see
 * diode_rs_solve()).
 */
static void diode_fec_rx_repair(struct diode_fec_rx *fec,
				struct diode_fec_rx_group *g,
				struct sk_buff_head *rebuilt,
				diode_fec_have_t *have, void *arg,
				unsigned int fresh, const u8 *fresh_shard)
{
	unsigned int m = fec->config.parity, len = g->shard_len;
	struct diode_rs_row rows[DIODE_FEC_DATA_MAX];
	struct sk_buff *skb[DIODE_FEC_DATA_MAX] = {};
	u8 *out[DIODE_FEC_DATA_MAX] = {};
	const u8 *parity[DIODE_FEC_PARITY_MAX];
	unsigned int nmissing = 0, i, n;
	u32 wanted = 0;
	bool solved;

	for (n = 0; n < g->count; n++) {
		u64 counter = g->base + g->offsets[n];
		const struct diode_fec_slot *slot = diode_fec_slot(fec, counter);

		if (slot->counter == counter) {
			rows[n].data = slot->shard;
			rows[n].used = 2 + get_unaligned_be16(slot->shard);
			continue;
		}
		rows[n].data = NULL;
		if (++nmissing > hweight16(g->have))
			return;
		if (!have(arg, counter))
			wanted |= BIT(n);
	}
	if (!wanted) {
		diode_fec_rx_group_set(fec, g, g->have, true);
		return;
	}
	for (i = 0; i < m; i++)
		parity[i] = !(g->have & BIT(i)) ? NULL : i == fresh ? fresh_shard :
			    g->parity + i * DIODE_FEC_SHARD_MAX;
	for (n = 0; n < g->count; n++) {
		if (!(wanted & BIT(n)))
			continue;
		skb[n] = alloc_skb(DIODE_HEADROOM + len, GFP_ATOMIC);
		if (!skb[n])
			goto free;
		skb_reserve(skb[n], DIODE_HEADROOM);
		out[n] = skb_put(skb[n], len);
	}
	solved = diode_rs_solve(m, g->count, len, rows, parity, out, fec->scratch);
	diode_fec_rx_group_set(fec, g, g->have, true);
	if (!solved)
		goto free;

	for (n = 0; n < g->count; n++) {
		unsigned int flen;

		if (!skb[n])
			continue;
		flen = get_unaligned_be16(skb[n]->data);
		/* Authentication judges the bytes; this keeps the lengths sane. */
		if (flen < DIODE_FRAME_MIN_LEN || flen > len - 2) {
			kfree_skb(skb[n]);
			continue;
		}
		__skb_pull(skb[n], 2);
		__skb_trim(skb[n], flen);
		__skb_queue_tail(rebuilt, skb[n]);
	}
	return;
free:
	for (n = 0; n < g->count; n++)
		kfree_skb(skb[n]);
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
			  struct sk_buff_head *rebuilt, diode_fec_have_t *have,
			  void *arg)
{
	struct diode_fec_rx_group *g;
	unsigned int i, n;

	/* The frame was stored under the lock before this look, so a parity
	 * that came in since then either repaired with it already or counts
	 * as waiting here.
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
				diode_fec_rx_repair(fec, g, rebuilt, have, arg,
						    DIODE_FEC_PARITY_MAX, NULL);
				break;
			}
		}
	}
	spin_unlock_bh(&fec->lock);
}

int diode_fec_rx_parity(struct diode_fec_rx *fec, const u8 *body,
			unsigned int len, struct sk_buff_head *rebuilt,
			diode_fec_have_t *have, void *arg)
{
	const struct diode_parity_desc *desc = (const void *)body;
	unsigned int desc_len, shard_len;
	struct diode_fec_rx_group *g;
	u64 base;

	if (len < sizeof(*desc))
		return -EINVAL;
	desc_len = sizeof(*desc) + 2 * desc->count;
	shard_len = be16_to_cpu(desc->shard_len);
	base = be64_to_cpu(desc->base);
	/* Members are DATA frames: no counter 0, none past the counter space
	 * (an empty store slot reads as counter 0).
	 */
	if (!base || base > U64_MAX - U16_MAX ||
	    !desc->count || desc->count > fec->config.data ||
	    desc->parity != fec->config.parity ||
	    desc->index >= fec->config.parity || desc->reserved ||
	    shard_len < 2 + DIODE_FRAME_MIN_LEN || shard_len > DIODE_FEC_SHARD_MAX ||
	    len != desc_len + shard_len)
		return -EINVAL;

	spin_lock_bh(&fec->lock);
	g = diode_fec_rx_group(fec, desc, body + sizeof(*desc));
	g->last_used = ++fec->clock;
	if (!g->done && g->shard_len == shard_len && !(g->have & BIT(desc->index))) {
		/* Read where it lies, and kept only if the group still waits:
		 * when nothing was lost, the group's first parity finds it
		 * whole and the rest are not needed.
		 */
		diode_fec_rx_group_set(fec, g, g->have | BIT(desc->index), false);
		diode_fec_rx_repair(fec, g, rebuilt, have, arg, desc->index,
				    body + desc_len);
		if (!g->done)
			memcpy(g->parity + desc->index * DIODE_FEC_SHARD_MAX,
			       body + desc_len, shard_len);
	}
	spin_unlock_bh(&fec->lock);
	return 0;
}
