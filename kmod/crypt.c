// SPDX-License-Identifier: GPL-2.0
/*
 * AEAD requests: one with its IV and scatterlist in a single allocation, and
 * the slots of a session, one ready request per CPU for the data path.
 */
#include <linux/percpu.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include "compat.h"

#include "crypt.h"
#include "session.h"

struct aead_request *diode_aead_request_alloc(struct crypto_aead *aead,
					      u8 **iv, struct scatterlist **sg,
					      gfp_t gfp)
{
	size_t req_size = sizeof(struct aead_request) + crypto_aead_reqsize(aead);
	size_t sg_off = ALIGN(req_size, __alignof__(struct scatterlist));
	size_t iv_off = sg_off + sizeof(struct scatterlist);
	struct aead_request *req;

	req = kmalloc(iv_off + DIODE_NONCE_LEN, gfp);
	if (!req)
		return NULL;
	aead_request_set_tfm(req, aead);
	*sg = (struct scatterlist *)((u8 *)req + sg_off);
	*iv = (u8 *)req + iv_off;
	/* One entry, which each use points at its buffer with sg_set_buf(). */
	sg_init_table(*sg, 1);
	return req;
}

/*
 * Each CPU keeps one request of each session ready for the data path: a
 * request that an async driver still holds keeps its slot busy, and the next
 * packet on that CPU takes one from the heap instead. The requests themselves
 * come from kmalloc, as a driver may map them for DMA.
 */
struct diode_aead_slot {
	unsigned long busy;
	struct aead_request *req;
	struct scatterlist *sg;
	u8 *iv;
};

struct aead_request *diode_aead_request_get(struct diode_session *session,
					    u8 **iv, struct scatterlist **sg,
					    struct diode_aead_slot **slot)
{
	struct diode_aead_slot *mine;

	DEBUG_NET_WARN_ON_ONCE(!in_softirq());
	mine = this_cpu_ptr(session->aead_slots);
	/* Pairs with the release in diode_aead_request_put(), which may run
	 * on another CPU once an async driver is done with the request.
	 */
	if (!smp_load_acquire(&mine->busy)) {
		mine->busy = 1;
		*slot = mine;
		*sg = mine->sg;
		*iv = mine->iv;
		/* A driver may have pointed the request at a child tfm. */
		aead_request_set_tfm(mine->req, session->aead);
		return mine->req;
	}
	*slot = NULL;
	return diode_aead_request_alloc(session->aead, iv, sg, GFP_ATOMIC);
}

void diode_aead_request_put(struct aead_request *req, struct diode_aead_slot *slot)
{
	if (slot)
		smp_store_release(&slot->busy, 0);
	else
		kfree_sensitive(req);
}

void diode_aead_slots_free(struct diode_aead_slot __percpu *slots)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct diode_aead_slot *slot = per_cpu_ptr(slots, cpu);

		kfree_sensitive(slot->req);
	}
	free_percpu(slots);
}

struct diode_aead_slot __percpu *diode_aead_slots_new(struct crypto_aead *aead)
{
	struct diode_aead_slot __percpu *slots;
	int cpu;

	slots = alloc_percpu(struct diode_aead_slot);
	if (!slots)
		return NULL;
	for_each_possible_cpu(cpu) {
		struct diode_aead_slot *slot = per_cpu_ptr(slots, cpu);

		slot->req = diode_aead_request_alloc(aead, &slot->iv, &slot->sg,
						     GFP_KERNEL);
		if (!slot->req) {
			diode_aead_slots_free(slots);
			return NULL;
		}
	}
	return slots;
}
