/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim for <linux/skbuff.h>: a buffer of exactly the size asked for
 * (so that AddressSanitizer sees past its ends), the few operations fec.c
 * uses, each aborting where the kernel's would panic, and a plain queue.
 * Like the kernel's header, it brings in the basics with it.
 */
#ifndef _DIODE_SHIM_SKBUFF_H
#define _DIODE_SHIM_SKBUFF_H

#include <stdlib.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/types.h>

struct sk_buff {
	struct sk_buff *next;
	u8 *head;		/* @size bytes */
	u8 *data;		/* @len bytes, from head + headroom */
	unsigned int size;
	unsigned int len;
};

struct sk_buff_head {
	struct sk_buff *first, *last;
	u32 qlen;
};

static inline struct sk_buff *alloc_skb(unsigned int size, gfp_t gfp)
{
	struct sk_buff *skb = malloc(sizeof(*skb));

	(void)gfp;
	if (!skb)
		return NULL;
	skb->head = malloc(size ? size : 1);
	if (!skb->head) {
		free(skb);
		return NULL;
	}
	skb->next = NULL;
	skb->data = skb->head;
	skb->size = size;
	skb->len = 0;
	return skb;
}

static inline void kfree_skb(struct sk_buff *skb)
{
	if (!skb)
		return;
	free(skb->head);
	free(skb);
}

/* Room before the data; only on an empty buffer. */
static inline void skb_reserve(struct sk_buff *skb, int len)
{
	if (len < 0 || skb->len || len > (int)skb->size - (skb->data - skb->head))
		abort();
	skb->data += len;
}

static inline void *skb_put(struct sk_buff *skb, unsigned int len)
{
	u8 *tail = skb->data + skb->len;

	if (len > skb->size - (unsigned int)(tail - skb->head))
		abort();
	skb->len += len;
	return tail;
}

static inline void *__skb_pull(struct sk_buff *skb, unsigned int len)
{
	if (len > skb->len)
		abort();
	skb->len -= len;
	return skb->data += len;
}

static inline void __skb_trim(struct sk_buff *skb, unsigned int len)
{
	if (len > skb->len)
		abort();
	skb->len = len;
}

static inline void __skb_queue_head_init(struct sk_buff_head *list)
{
	list->first = NULL;
	list->last = NULL;
	list->qlen = 0;
}

static inline void __skb_queue_tail(struct sk_buff_head *list,
				    struct sk_buff *skb)
{
	skb->next = NULL;
	if (list->last)
		list->last->next = skb;
	else
		list->first = skb;
	list->last = skb;
	list->qlen++;
}

static inline struct sk_buff *__skb_dequeue(struct sk_buff_head *list)
{
	struct sk_buff *skb = list->first;

	if (!skb)
		return NULL;
	list->first = skb->next;
	if (!list->first)
		list->last = NULL;
	list->qlen--;
	skb->next = NULL;
	return skb;
}

#endif
