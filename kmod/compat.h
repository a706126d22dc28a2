/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where differences between the supported kernels (6.1 and
 * 6.12, and what lies between) are handled.
 */
#ifndef _DIODE_COMPAT_H
#define _DIODE_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>
#include <linux/crypto.h>

/* 6.12 moved the unaligned access helpers to linux/. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* 6.5 moved skb_gso_segment() to its own header. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <net/gso.h>
#endif

/*
 * 6.3 changed the completion callback of async crypto requests to take the
 * request's data pointer instead of the request. Callbacks are declared as
 * `void cb(diode_crypto_cb_arg arg, int err)` and read their data with
 * diode_crypto_cb_data(arg).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
typedef void *diode_crypto_cb_arg;
static inline void *diode_crypto_cb_data(void *arg)
{
	return arg;
}
#else
typedef struct crypto_async_request *diode_crypto_cb_arg;
static inline void *diode_crypto_cb_data(struct crypto_async_request *req)
{
	return req->data;
}
#endif

/* 6.11 turned the NETIF_F_LLTX feature into the dev->lltx flag. */
static inline void diode_compat_set_lltx(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

#endif /* _DIODE_COMPAT_H */
