// SPDX-License-Identifier: GPL-2.0
/*
 * The UDP socket of a device, a udp_tunnel socket in the namespace the device
 * was created in: a sender sends from it, a receiver's frames arrive on it
 * through the encap_rcv hook.
 */
#include <linux/ipv6.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp_tunnel.h>

#include "compat.h"
#include "device.h"
#include "receive.h"
#include "socket.h"

/*
 * A receiver that knows its sender's address and port connects its socket to
 * it. The stack then takes only that sender's datagrams for the device, and
 * finds the socket and the route of each one by early demultiplexing, from
 * the socket's cache, instead of a route lookup and a socket lookup per frame.
 */
static int diode_socket_connect_sender(struct socket *sock,
				       union diode_sockaddr *sender)
{
	int len = sender->sa.sa_family == AF_INET ? sizeof(sender->sin) :
						     sizeof(sender->sin6);

	return diode_compat_kernel_connect(sock, &sender->sa, len);
}

int diode_socket_open(struct diode_device *diode)
{
	struct udp_tunnel_sock_cfg tunnel_cfg = {
		.sk_user_data = diode,
		.encap_type = 1,
		.encap_rcv = diode_udp_receive,
	};
	struct udp_port_cfg cfg = {};
	const union diode_sockaddr *local = &diode->config.local;
	struct socket *sock;
	int family;
	int ret;

	/* A sender speaks the family of its remote, and so does a receiver
	 * that knows its sender; one without a local address or a remote
	 * listens on both families.
	 */
	if (diode->config.mode == DIODE_MODE_TX)
		family = diode->config.remote.sa.sa_family;
	else if (local->sa.sa_family)
		family = local->sa.sa_family;
	else
		family = diode->config.remote.sa.sa_family ?: AF_INET6;
	if (!family)
		return 0;

	cfg.family = family;
	if (family == AF_INET) {
		if (local->sa.sa_family == AF_INET) {
			cfg.local_ip = local->sin.sin_addr;
			cfg.local_udp_port = local->sin.sin_port;
		}
	} else {
		if (local->sa.sa_family == AF_INET6) {
			cfg.local_ip6 = local->sin6.sin6_addr;
			cfg.local_udp_port = local->sin6.sin6_port;
		}
		cfg.ipv6_v6only = local->sa.sa_family == AF_INET6 &&
				  !ipv6_addr_any(&local->sin6.sin6_addr);
	}
	if (diode->config.mode == DIODE_MODE_RX && !cfg.local_udp_port)
		cfg.local_udp_port = htons(DIODE_DEFAULT_PORT);

	ret = udp_sock_create(diode->creating_net, &cfg, &sock);
	if (ret)
		return ret;
	if (diode->config.mode == DIODE_MODE_RX && diode->config.remote.sa.sa_family) {
		ret = diode_socket_connect_sender(sock, &diode->config.remote);
		if (ret) {
			diode_compat_udp_tunnel_sock_release(sock);
			return ret;
		}
	}
	diode_compat_setup_udp_tunnel_sock(diode->creating_net, sock, &tunnel_cfg);
	dst_cache_reset(&diode->dst_cache);
	rcu_assign_pointer(diode->sock, sock);
	return 0;
}

void diode_socket_close(struct diode_device *diode)
{
	struct socket *sock = rtnl_dereference(diode->sock);

	if (!sock)
		return;
	/* First no sender may still use the socket, then no receiver may still
	 * run in its encap hook, which could queue work for the device.
	 */
	RCU_INIT_POINTER(diode->sock, NULL);
	synchronize_net();
	diode_compat_udp_tunnel_sock_release(sock);
	synchronize_net();
	dst_cache_reset(&diode->dst_cache);
}

static int diode_send4(struct diode_device *diode, struct socket *sock,
		       struct sk_buff *skb)
{
	const struct sockaddr_in *remote = &diode->config.remote.sin;
	struct rtable *rt;
	__be32 saddr;

	rt = dst_cache_get_ip4(&diode->dst_cache, &saddr);
	if (!rt) {
		struct flowi4 fl4 = {
			.daddr = remote->sin_addr.s_addr,
			.flowi4_proto = IPPROTO_UDP,
			.fl4_dport = remote->sin_port,
			.fl4_sport = inet_sk(sock->sk)->inet_sport,
		};

		if (diode->config.local.sa.sa_family == AF_INET)
			fl4.saddr = diode->config.local.sin.sin_addr.s_addr;
		rt = ip_route_output_key(sock_net(sock->sk), &fl4);
		if (IS_ERR(rt))
			return PTR_ERR(rt);
		if (rt->dst.dev == diode->dev) {
			ip_rt_put(rt);
			return -ELOOP;
		}
		saddr = fl4.saddr;
		dst_cache_set_ip4(&diode->dst_cache, &rt->dst, saddr);
	}
	udp_tunnel_xmit_skb(rt, sock->sk, skb, saddr, remote->sin_addr.s_addr,
			    0, ip4_dst_hoplimit(&rt->dst), 0,
			    inet_sk(sock->sk)->inet_sport, remote->sin_port,
			    !net_eq(sock_net(sock->sk), dev_net(diode->dev)),
			    false DIODE_COMPAT_CB_FLAGS);
	return 0;
}

static int diode_send6(struct diode_device *diode, struct socket *sock,
		       struct sk_buff *skb)
{
	const struct sockaddr_in6 *remote = &diode->config.remote.sin6;
	/* A copy: 6.1 takes the addresses as non-const. */
	struct in6_addr daddr = remote->sin6_addr;
	struct dst_entry *dst;
	struct in6_addr saddr;

	dst = dst_cache_get_ip6(&diode->dst_cache, &saddr);
	if (!dst) {
		struct flowi6 fl6 = {
			.daddr = remote->sin6_addr,
			.flowi6_proto = IPPROTO_UDP,
			.fl6_dport = remote->sin6_port,
			.fl6_sport = inet_sk(sock->sk)->inet_sport,
		};

		if (diode->config.local.sa.sa_family == AF_INET6)
			fl6.saddr = diode->config.local.sin6.sin6_addr;
		dst = ip6_dst_lookup_flow(sock_net(sock->sk), sock->sk, &fl6,
					  NULL);
		if (IS_ERR(dst))
			return PTR_ERR(dst);
		if (dst->dev == diode->dev) {
			dst_release(dst);
			return -ELOOP;
		}
		saddr = fl6.saddr;
		dst_cache_set_ip6(&diode->dst_cache, dst, &saddr);
	}
	udp_tunnel6_xmit_skb(dst, sock->sk, skb, diode->dev, &saddr,
			     &daddr, 0, ip6_dst_hoplimit(dst), 0,
			     inet_sk(sock->sk)->inet_sport, remote->sin6_port,
			     false DIODE_COMPAT_CB_FLAGS);
	return 0;
}

/*
 * Send one sealed frame to the remote. Consumes @skb. Called with bottom
 * halves disabled (the dst cache is per CPU).
 */
int diode_socket_send(struct diode_device *diode, struct sk_buff *skb)
{
	struct socket *sock;
	int ret = -ENOTCONN;

	/* The tunnel output counts from here: the frame is the payload. */
	skb_reset_inner_network_header(skb);
	rcu_read_lock_bh();
	sock = rcu_dereference_bh(diode->sock);
	if (sock) {
		skb->mark = 0;
		if (diode->config.remote.sa.sa_family == AF_INET) {
			ret = diode_send4(diode, sock, skb);
		} else {
			/* The frame is a packet of its own: the inner packet's
			 * connection, extensions and timestamp must not follow
			 * it into conntrack and NAT. The IPv4 tunnel output
			 * scrubs it itself, the IPv6 one does not.
			 */
			skb_scrub_packet(skb, !net_eq(sock_net(sock->sk),
						      dev_net(diode->dev)));
			ret = diode_send6(diode, sock, skb);
		}
	}
	rcu_read_unlock_bh();
	if (ret)
		kfree_skb(skb);
	return ret;
}
