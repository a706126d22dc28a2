/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <net/udp_tunnel.h>: the names compat.h's helpers take; no socket opens. */
#ifndef _DIODE_SHIM_UDP_TUNNEL_H
#define _DIODE_SHIM_UDP_TUNNEL_H

struct net;
struct socket;
struct sockaddr;
struct udp_tunnel_sock_cfg;

int kernel_connect(struct socket *sock, struct sockaddr *addr, int len, int flags);
void setup_udp_tunnel_sock(struct net *net, struct socket *sock,
			   struct udp_tunnel_sock_cfg *cfg);
void udp_tunnel_sock_release(struct socket *sock);

#endif
