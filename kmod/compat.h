/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where differences between the supported kernels (6.1, 6.12
 * and Debian's newest, and what lies between) are handled.
 */
#ifndef _DIODE_COMPAT_H
#define _DIODE_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>
#include <linux/crypto.h>
#include <linux/hrtimer.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>
#include <net/udp_tunnel.h>

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

/*
 * Before 6.12 (6.1 at least) a policy's range pointer was not const, and the
 * policies scripts/netlink-gen makes point at const ranges; kmod/Kbuild
 * tells which from the kernel's header.
 */
#ifdef DIODE_NLA_RANGE_MUTABLE
#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {				\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (struct netlink_range_validation *)(_range),		\
}
#endif

/*
 * 6.2 split the operations of a generic netlink family: its pre_doit() and
 * post_doit() are passed a struct genl_split_ops, 6.1's a struct genl_ops.
 * They are declared as taking a `const diode_compat_genl_ops *`.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
typedef struct genl_split_ops diode_compat_genl_ops;
#else
typedef struct genl_ops diode_compat_genl_ops;
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

/* 6.13 added hrtimer_setup(), which sets the callback too; hrtimer_init()
 * went away later. */
static inline void diode_compat_hrtimer_setup(struct hrtimer *timer,
					      enum hrtimer_restart (*fn)(struct hrtimer *),
					      clockid_t clock, enum hrtimer_mode mode)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
	hrtimer_setup(timer, fn, clock, mode);
#else
	hrtimer_init(timer, clock, mode);
	timer->function = fn;
#endif
}

/*
 * 6.15 passes rtnl_link_ops::newlink() its arguments in a struct
 * rtnl_newlink_params. DIODE_COMPAT_NEWLINK(fn) defines fn##_compat with the
 * kernel's signature, calling fn(link_net, dev) with the namespace the
 * older kernels passed as src_net.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define DIODE_COMPAT_NEWLINK(fn)					\
static int fn##_compat(struct net_device *dev,				\
		       struct rtnl_newlink_params *params,		\
		       struct netlink_ext_ack *extack)			\
{									\
	return fn(rtnl_newlink_link_net(params), dev);			\
}
#else
#define DIODE_COMPAT_NEWLINK(fn)					\
static int fn##_compat(struct net *src_net, struct net_device *dev,	\
		       struct nlattr *tb[], struct nlattr *data[],	\
		       struct netlink_ext_ack *extack)			\
{									\
	return fn(src_net, dev);					\
}
#endif

/* 6.17 gave the UDP tunnel transmit helpers the control block's flags as a
 * last argument: udp_tunnel_xmit_skb(... nocheck DIODE_COMPAT_CB_FLAGS). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
#define DIODE_COMPAT_CB_FLAGS , 0
#else
#define DIODE_COMPAT_CB_FLAGS
#endif

/* 6.19 passes socket addresses to kernel_connect() as sockaddr_unsized. */
static inline int diode_compat_kernel_connect(struct socket *sock,
					      struct sockaddr *addr, int len)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 19, 0)
	return kernel_connect(sock, (struct sockaddr_unsized *)addr, len, 0);
#else
	return kernel_connect(sock, addr, len, 0);
#endif
}

/*
 * setup_udp_tunnel_sock() and udp_tunnel_sock_release() take the struct
 * sock in newer kernels (7.2 and 7.3 have both), and stable and distribution
 * kernels took the change back one function at a time (a 7.0 with only the
 * first exists), so the version cannot tell: Kbuild reads each off the
 * kernel's headers (DIODE_UDP_TUNNEL_*_SK).
 */
static inline void diode_compat_setup_udp_tunnel_sock(struct net *net,
						      struct socket *sock,
						      struct udp_tunnel_sock_cfg *cfg)
{
#ifdef DIODE_UDP_TUNNEL_SETUP_SK
	setup_udp_tunnel_sock(net, sock->sk, cfg);
#else
	setup_udp_tunnel_sock(net, sock, cfg);
#endif
}

static inline void diode_compat_udp_tunnel_sock_release(struct socket *sock)
{
#ifdef DIODE_UDP_TUNNEL_RELEASE_SK
	udp_tunnel_sock_release(sock->sk);
#else
	udp_tunnel_sock_release(sock);
#endif
}

#endif /* _DIODE_COMPAT_H */
