// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "diode": reading and changing the configuration
 * of diode devices. Every attribute is under a strict policy; SET applies all
 * of its attributes or none.
 */
#include <linux/etherdevice.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/rtnetlink.h>

#include "compat.h"
#include "device.h"
#include "netlink.h"
#include "netlink-gen.h"
#include "receive.h"
#include "session.h"
#include "socket.h"
#include "version.h"

/* Slower than this, a sender could not even keep up with its heartbeats. */
#define DIODE_RATE_MIN 64000

/*
 * EtherTypes of protocols that the kernel, a network card or a switch
 * handles itself: a receiver's frames under one of them would also go to
 * that protocol (or never arrive), and its handler would see all of that
 * protocol's traffic. tools/diodectl/parse.c refuses the same list, with
 * names.
 */
static const u16 diode_ethertypes_taken[] = {
	0x0800,	/* IPv4 */
	0x0805,	/* X.25 */
	0x0806,	/* ARP */
	0x4305,	/* B.A.T.M.A.N. */
	0x8035,	/* RARP */
	0x809B,	/* AppleTalk */
	0x80F3,	/* AARP */
	0x8100,	/* 802.1Q VLAN */
	0x8137,	/* IPX */
	0x86DD,	/* IPv6 */
	0x8808,	/* Ethernet flow control */
	0x8809,	/* slow protocols (LACP) */
	0x8847,	/* MPLS */
	0x8848,	/* MPLS multicast */
	0x8863,	/* PPPoE discovery */
	0x8864,	/* PPPoE session */
	0x888E,	/* 802.1X */
	0x88A8,	/* 802.1ad VLAN */
	0x88CA,	/* TIPC */
	0x88CC,	/* LLDP */
	0x88E3,	/* MRP */
	0x88E5,	/* MACsec */
	0x88F7,	/* PTP */
	0x88F8,	/* NC-SI */
	0x88FB,	/* PRP */
	0x8902,	/* CFM */
	0x8906,	/* FCoE */
	0x8914,	/* FIP */
	0x8915,	/* RoCE */
	0x892F,	/* HSR */
	0x894F,	/* NSH */
	0x9100,	/* VLAN (QinQ) */
	0x9200,	/* VLAN (QinQ) */
	0x9300,	/* VLAN (QinQ) */
	0xDADA,	/* DSA tag */
	0xDADB,	/* DSA 802.1Q tag */
};

static bool diode_ethertype_taken(u16 ethertype)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(diode_ethertypes_taken); i++)
		if (diode_ethertypes_taken[i] == ethertype)
			return true;
	return false;
}

static const struct genl_multicast_group diode_mcgrps[] = {
	[DIODE_NLGRP_MONITOR] = { .name = DIODE_MCGRP_MONITOR },
};

static struct genl_family diode_family;

/* Under rtnl: the diode device the request names, or an error pointer. */
static struct net_device *diode_lookup(struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct nlattr **attrs = info->attrs;
	struct net_device *dev;

	if (attrs[DIODE_A_IFINDEX]) {
		dev = __dev_get_by_index(net, nla_get_u32(attrs[DIODE_A_IFINDEX]));
	} else if (attrs[DIODE_A_IFNAME]) {
		dev = __dev_get_by_name(net, nla_data(attrs[DIODE_A_IFNAME]));
	} else {
		GENL_SET_ERR_MSG(info, "name the device with DIODE_A_IFINDEX or DIODE_A_IFNAME");
		return ERR_PTR(-EINVAL);
	}
	if (!dev) {
		GENL_SET_ERR_MSG(info, "no such device");
		return ERR_PTR(-ENODEV);
	}
	if (!diode_is_device(dev)) {
		GENL_SET_ERR_MSG(info, "not a diode device");
		return ERR_PTR(-EOPNOTSUPP);
	}
	return dev;
}

static int diode_put_sockaddr(struct sk_buff *msg, int attr,
			      const union diode_sockaddr *addr)
{
	switch (addr->sa.sa_family) {
	case AF_INET:
		return nla_put(msg, attr, sizeof(addr->sin), &addr->sin);
	case AF_INET6:
		return nla_put(msg, attr, sizeof(addr->sin6), &addr->sin6);
	}
	return 0;
}

static int diode_put_session(struct sk_buff *msg, struct diode_session *session,
			     enum diode_session_slot slot, bool sender)
{
	struct nlattr *nest;
	u64 counter;

	if (!session)
		return 0;
	if (sender) {
		counter = atomic64_read(&session->tx_counter);
	} else {
		spin_lock_bh(&session->replay_lock);
		counter = diode_replay_top(session->replay);
		spin_unlock_bh(&session->replay_lock);
	}
	nest = nla_nest_start(msg, DIODE_A_SESSIONS);
	if (!nest ||
	    nla_put_u8(msg, DIODE_SESSION_A_SLOT, slot) ||
	    nla_put_u16(msg, DIODE_SESSION_A_TAG, session->tag) ||
	    nla_put_u64_64bit(msg, DIODE_SESSION_A_CREATED, session->created,
			      DIODE_SESSION_A_PAD) ||
	    nla_put(msg, DIODE_SESSION_A_EPHEMERAL, DIODE_KEY_LEN,
		    session->ephemeral_pub) ||
	    nla_put_u64_64bit(msg, DIODE_SESSION_A_COUNTER, counter,
			      DIODE_SESSION_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Under @diode->lock: a receiver's mark, the sessions it holds included. */
static int diode_put_rx_mark(struct sk_buff *msg, struct diode_device *diode)
{
	struct diode_rx_mark mark;
	struct nlattr *nest;

	if (diode->config.mode != DIODE_MODE_RX)
		return 0;
	diode_rx_mark_read(diode, &mark);
	nest = nla_nest_start(msg, DIODE_A_RX_MARK);
	if (!nest ||
	    nla_put_u64_64bit(msg, DIODE_RX_MARK_A_CREATED, mark.created,
			      DIODE_RX_MARK_A_PAD) ||
	    nla_put_u64_64bit(msg, DIODE_RX_MARK_A_COUNTER, mark.counter,
			      DIODE_RX_MARK_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int diode_put_stats(struct sk_buff *msg, struct diode_device *diode)
{
	u64 counters[__DIODE_STAT_MAX];
	struct nlattr *nest;
	int i;

	diode_stats_read(diode->stats, counters);
	nest = nla_nest_start(msg, DIODE_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = DIODE_STAT_UNSPEC + 1; i < __DIODE_STAT_MAX; i++)
		if (i != DIODE_STAT_PAD &&
		    nla_put_u64_64bit(msg, i, counters[i], DIODE_STAT_PAD))
			return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* Under rtnl and @diode->lock: one device, as DIODE_CMD_GET_DEVICE answers. */
static int diode_fill_device(struct sk_buff *msg, struct diode_device *diode,
			     u32 portid, u32 seq, int flags)
{
	const struct diode_config *config = &diode->config;
	struct net_device *dev = diode->dev;
	const struct {
		struct diode_session __rcu **session;
		enum diode_session_slot slot;
		bool sender;
	} slots[] = {
		{ &diode->tx_session, DIODE_SESSION_CURRENT, true },
		{ &diode->tx_next, DIODE_SESSION_NEXT, true },
		{ &diode->rx_sessions[DIODE_RX_PREVIOUS], DIODE_SESSION_PREVIOUS, false },
		{ &diode->rx_sessions[DIODE_RX_CURRENT], DIODE_SESSION_CURRENT, false },
		{ &diode->rx_sessions[DIODE_RX_NEXT], DIODE_SESSION_NEXT, false },
	};
	struct nlattr *sessions;
	unsigned int slot;
	void *hdr;

	hdr = genlmsg_put(msg, portid, seq, &diode_family, flags,
			  DIODE_CMD_GET_DEVICE);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, DIODE_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, DIODE_A_IFNAME, dev->name) ||
	    nla_put_u8(msg, DIODE_A_MODE, config->mode) ||
	    (config->keys.has_private &&
	     nla_put(msg, DIODE_A_PUBLIC_KEY, DIODE_KEY_LEN, config->keys.public_key)) ||
	    (config->keys.has_peer &&
	     nla_put(msg, DIODE_A_PEER_PUBLIC_KEY, DIODE_KEY_LEN, config->keys.peer_key)) ||
	    nla_put_u8(msg, DIODE_A_HAS_PRESHARED_KEY, config->keys.has_psk) ||
	    diode_put_sockaddr(msg, DIODE_A_LOCAL, &config->local) ||
	    diode_put_sockaddr(msg, DIODE_A_REMOTE, &config->remote) ||
	    nla_put_u32(msg, DIODE_A_REPLAY_WINDOW, config->replay_window) ||
	    nla_put_u32(msg, DIODE_A_REKEY_AFTER_TIME, config->rekey_after_time) ||
	    nla_put_u64_64bit(msg, DIODE_A_REKEY_AFTER_FRAMES,
			      config->rekey_after_frames, DIODE_A_PAD) ||
	    nla_put_u32(msg, DIODE_A_MAX_SESSION_AGE, config->max_session_age) ||
	    nla_put_u32(msg, DIODE_A_HEARTBEAT_INTERVAL, config->heartbeat_ms) ||
	    nla_put_u8(msg, DIODE_A_REDUNDANCY, config->redundancy) ||
	    nla_put_u8(msg, DIODE_A_FEC_DATA, config->fec_data) ||
	    nla_put_u8(msg, DIODE_A_FEC_PARITY, config->fec_parity) ||
	    nla_put_u8(msg, DIODE_A_FEC_INTERLEAVE, config->fec_interleave) ||
	    nla_put_u64_64bit(msg, DIODE_A_RATE, config->rate, DIODE_A_PAD) ||
	    nla_put_u8(msg, DIODE_A_ENCAP, config->encap) ||
	    (config->lower_ifindex &&
	     nla_put_u32(msg, DIODE_A_LOWER_IFINDEX, config->lower_ifindex)) ||
	    nla_put_u16(msg, DIODE_A_ETHERTYPE, config->ethertype) ||
	    nla_put(msg, DIODE_A_DEST_MAC, ETH_ALEN, config->dest_mac) ||
	    nla_put_u8(msg, DIODE_A_CARRIER, netif_carrier_ok(dev)) ||
	    diode_put_rx_mark(msg, diode))
		goto err;

	sessions = nla_nest_start(msg, DIODE_A_SESSIONS);
	if (!sessions)
		goto err;
	rcu_read_lock_bh();
	for (slot = 0; slot < ARRAY_SIZE(slots); slot++) {
		if (diode_put_session(msg, rcu_dereference_bh(*slots[slot].session),
				      slots[slot].slot, slots[slot].sender)) {
			rcu_read_unlock_bh();
			goto err;
		}
	}
	rcu_read_unlock_bh();
	nla_nest_end(msg, sessions);
	if (diode_put_stats(msg, diode))
		goto err;
	genlmsg_end(msg, hdr);
	return 0;

err:
	genlmsg_cancel(msg, hdr);
	return -EMSGSIZE;
}

int diode_nl_get_device_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct diode_device *diode = info->user_ptr[0];
	struct sk_buff *msg;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = diode_fill_device(msg, diode, info->snd_portid, info->snd_seq, 0);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: how many diode devices earlier parts of the dump carried. */
int diode_nl_get_device_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	long index = 0;
	int ret = 0;

	rtnl_lock();
	for_each_netdev(net, dev) {
		struct diode_device *diode = netdev_priv(dev);

		if (!diode_is_device(dev))
			continue;
		if (index++ < cb->args[0])
			continue;
		mutex_lock(&diode->lock);
		ret = diode_fill_device(skb, diode, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI);
		mutex_unlock(&diode->lock);
		if (ret)
			break;
		cb->args[0] = index;
	}
	rtnl_unlock();
	/* A full message ends this part of the dump; the next one continues. */
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ?: skb->len;
}

static int diode_parse_sockaddr(struct genl_info *info, int attr,
				union diode_sockaddr *out)
{
	const struct nlattr *nla = info->attrs[attr];
	const struct sockaddr *sa = nla_data(nla);
	int len = nla_len(nla);

	memset(out, 0, sizeof(*out));
	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_UNSPEC)
		return 0;
	if (len == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		memcpy(&out->sin, sa, sizeof(out->sin));
		return 0;
	}
	if (IS_ENABLED(CONFIG_IPV6) && len == sizeof(struct sockaddr_in6) &&
	    sa->sa_family == AF_INET6) {
		memcpy(&out->sin6, sa, sizeof(out->sin6));
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(info->extack, nla,
			    "address must be a struct sockaddr_in or sockaddr_in6 (AF_UNSPEC to unset)");
	return -EINVAL;
}

static bool diode_sockaddr_any(const union diode_sockaddr *addr)
{
	if (addr->sa.sa_family == AF_INET)
		return addr->sin.sin_addr.s_addr == htonl(INADDR_ANY);
	return ipv6_addr_any(&addr->sin6.sin6_addr);
}

static __be16 diode_sockaddr_port(const union diode_sockaddr *addr)
{
	return addr->sa.sa_family == AF_INET ? addr->sin.sin_port :
					       addr->sin6.sin6_port;
}

/*
 * A new key, or all zeros to remove the key; private keys are clamped as
 * X25519 uses them.
 */
static void diode_take_key(const struct nlattr *nla, u8 key[DIODE_KEY_LEN],
			   bool *present, bool private)
{
	memcpy(key, nla_data(nla), DIODE_KEY_LEN);
	*present = memchr_inv(key, 0, DIODE_KEY_LEN) != NULL;
	if (*present && private)
		curve25519_clamp_secret(key);
}

/* The attributes of a request, taken into @config; only addresses can be malformed. */
static int diode_take_attrs(struct genl_info *info, struct diode_config *config)
{
	struct nlattr **attrs = info->attrs;
	int ret;

	if (attrs[DIODE_A_MODE])
		config->mode = nla_get_u8(attrs[DIODE_A_MODE]);
	if (attrs[DIODE_A_PRIVATE_KEY])
		diode_take_key(attrs[DIODE_A_PRIVATE_KEY], config->keys.private_key,
			       &config->keys.has_private, true);
	if (attrs[DIODE_A_PEER_PUBLIC_KEY])
		diode_take_key(attrs[DIODE_A_PEER_PUBLIC_KEY], config->keys.peer_key,
			       &config->keys.has_peer, false);
	if (attrs[DIODE_A_PRESHARED_KEY])
		diode_take_key(attrs[DIODE_A_PRESHARED_KEY], config->keys.psk,
			       &config->keys.has_psk, false);
	if (attrs[DIODE_A_LOCAL]) {
		ret = diode_parse_sockaddr(info, DIODE_A_LOCAL, &config->local);
		if (ret)
			return ret;
	}
	if (attrs[DIODE_A_REMOTE]) {
		ret = diode_parse_sockaddr(info, DIODE_A_REMOTE, &config->remote);
		if (ret)
			return ret;
	}
	if (attrs[DIODE_A_REPLAY_WINDOW])
		config->replay_window = nla_get_u32(attrs[DIODE_A_REPLAY_WINDOW]);
	if (attrs[DIODE_A_REKEY_AFTER_TIME])
		config->rekey_after_time = nla_get_u32(attrs[DIODE_A_REKEY_AFTER_TIME]);
	if (attrs[DIODE_A_REKEY_AFTER_FRAMES])
		config->rekey_after_frames = nla_get_u64(attrs[DIODE_A_REKEY_AFTER_FRAMES]);
	if (attrs[DIODE_A_MAX_SESSION_AGE])
		config->max_session_age = nla_get_u32(attrs[DIODE_A_MAX_SESSION_AGE]);
	if (attrs[DIODE_A_HEARTBEAT_INTERVAL])
		config->heartbeat_ms = nla_get_u32(attrs[DIODE_A_HEARTBEAT_INTERVAL]);
	if (attrs[DIODE_A_REDUNDANCY])
		config->redundancy = nla_get_u8(attrs[DIODE_A_REDUNDANCY]);
	if (attrs[DIODE_A_FEC_DATA])
		config->fec_data = nla_get_u8(attrs[DIODE_A_FEC_DATA]);
	if (attrs[DIODE_A_FEC_PARITY])
		config->fec_parity = nla_get_u8(attrs[DIODE_A_FEC_PARITY]);
	if (attrs[DIODE_A_FEC_INTERLEAVE])
		config->fec_interleave = nla_get_u8(attrs[DIODE_A_FEC_INTERLEAVE]);
	if (attrs[DIODE_A_RATE])
		config->rate = nla_get_u64(attrs[DIODE_A_RATE]);
	if (attrs[DIODE_A_ENCAP])
		config->encap = nla_get_u8(attrs[DIODE_A_ENCAP]);
	if (attrs[DIODE_A_LOWER_IFINDEX])
		config->lower_ifindex = nla_get_u32(attrs[DIODE_A_LOWER_IFINDEX]);
	if (attrs[DIODE_A_ETHERTYPE])
		config->ethertype = nla_get_u16(attrs[DIODE_A_ETHERTYPE]);
	if (attrs[DIODE_A_DEST_MAC])
		memcpy(config->dest_mac, nla_data(attrs[DIODE_A_DEST_MAC]), ETH_ALEN);
	return 0;
}

/*
 * The whole of @new, as the device would have it: what the policy cannot
 * check of single values, and what values mean together. An error names the
 * attribute when the request gave it. Derives what the keys of @new need:
 * a copy made from the defaults has none of it.
 */
static int diode_check_config(struct diode_device *diode,
			      struct genl_info *info, struct diode_config *new)
{
	const struct diode_config *now = &diode->config;
	bool running = netif_running(diode->dev);
	struct nlattr **attrs = info->attrs;
	struct net_device *lower;
	int ret;

	if (new->remote.sa.sa_family &&
	    (diode_sockaddr_any(&new->remote) || !diode_sockaddr_port(&new->remote))) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[DIODE_A_REMOTE],
				    "remote needs an address and a port");
		return -EINVAL;
	}
	if (new->local.sa.sa_family && new->remote.sa.sa_family &&
	    new->local.sa.sa_family != new->remote.sa.sa_family) {
		GENL_SET_ERR_MSG(info, "local and remote must be of the same address family");
		return -EINVAL;
	}
	if (running && (new->mode != now->mode ||
			memcmp(&new->local, &now->local, sizeof(new->local)) ||
			memcmp(&new->remote, &now->remote, sizeof(new->remote)))) {
		GENL_SET_ERR_MSG(info, "bring the device down to change its mode, local or remote");
		return -EBUSY;
	}
	if (new->replay_window % 64) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[DIODE_A_REPLAY_WINDOW],
				    "replay window must be a multiple of 64");
		return -EINVAL;
	}
	ret = diode_keys_prepare(&new->keys, new->mode == DIODE_MODE_TX);
	if (ret) {
		GENL_SET_ERR_MSG(info, "the peer public key is not usable (low-order point)");
		return ret;
	}
	if (new->rate && new->rate < DIODE_RATE_MIN) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[DIODE_A_RATE],
				    "rate must be 0 (no limit) or at least 64 kbit/s");
		return -EINVAL;
	}
	if (diode_ethertype_taken(new->ethertype)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[DIODE_A_ETHERTYPE],
				    "this EtherType is of a protocol the kernel or the link handles itself (IP, ARP, VLAN, MPLS, PPPoE, LLDP, ...): use one of diode's own, as the default 0x88b5");
		return -EINVAL;
	}
	if (is_zero_ether_addr(new->dest_mac)) {
		NL_SET_ERR_MSG_ATTR(info->extack, attrs[DIODE_A_DEST_MAC],
				    "the destination MAC cannot be all zeros");
		return -EINVAL;
	}
	/* Only when the request names it: a device in encap udp keeps the
	 * ifindex of a lower device that has gone since.
	 */
	if (attrs[DIODE_A_LOWER_IFINDEX] && new->lower_ifindex) {
		lower = __dev_get_by_index(dev_net(diode->dev), new->lower_ifindex);
		if (!lower || lower->type != ARPHRD_ETHER) {
			NL_SET_ERR_MSG_ATTR(info->extack, attrs[DIODE_A_LOWER_IFINDEX],
					    "the lower device must be an Ethernet device of the same namespace");
			return -EINVAL;
		}
	}
	if (running && (new->encap != now->encap ||
			new->lower_ifindex != now->lower_ifindex ||
			new->ethertype != now->ethertype)) {
		GENL_SET_ERR_MSG(info, "bring the device down to change its encapsulation, lower device or EtherType");
		return -EBUSY;
	}
	return 0;
}

static bool diode_rx_mark_below(const struct diode_rx_mark *a,
				const struct diode_rx_mark *b)
{
	return a->created < b->created ||
	       (a->created == b->created && a->counter < b->counter);
}

/*
 * The mark a request gives, checked against the current one and the mode
 * the device will have; *@raise tells whether it is above the current one.
 */
static int diode_take_rx_mark(struct diode_device *diode,
			      struct genl_info *info,
			      const struct diode_config *new,
			      struct diode_rx_mark *mark, bool *raise)
{
	struct nlattr *nla = info->attrs[DIODE_A_RX_MARK];
	struct nlattr *tb[DIODE_RX_MARK_A_MAX + 1];
	struct diode_rx_mark now;
	int ret;

	if (new->mode != DIODE_MODE_RX) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "only a receiver (mode rx) has a mark");
		return -EINVAL;
	}
	ret = nla_parse_nested(tb, DIODE_RX_MARK_A_MAX, nla,
			       diode_rx_mark_nl_policy, info->extack);
	if (ret)
		return ret;
	if (!tb[DIODE_RX_MARK_A_CREATED] || !tb[DIODE_RX_MARK_A_COUNTER]) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "a mark needs both its creation time and its counter");
		return -EINVAL;
	}
	mark->created = nla_get_u64(tb[DIODE_RX_MARK_A_CREATED]);
	mark->counter = nla_get_u64(tb[DIODE_RX_MARK_A_COUNTER]);
	diode_rx_mark_read(diode, &now);
	if (diode_rx_mark_below(mark, &now)) {
		NL_SET_ERR_MSG_ATTR(info->extack, nla,
				    "a mark only rises: this one is below the receiver's current mark");
		return -ERANGE;
	}
	*raise = diode_rx_mark_below(&now, mark);
	return 0;
}

static bool diode_announced_changed(const struct diode_config *old,
				    const struct diode_config *new)
{
	return new->heartbeat_ms != old->heartbeat_ms ||
	       new->redundancy != old->redundancy ||
	       new->fec_data != old->fec_data ||
	       (new->fec_data && (new->fec_parity != old->fec_parity ||
				  new->fec_interleave != old->fec_interleave));
}

/* Under rtnl: the MTU a failed request changed goes back to what it was. */
static void diode_restore_mtu(struct diode_device *diode, unsigned int mtu)
{
	if (diode->dev->mtu != mtu && dev_set_mtu(diode->dev, mtu))
		netdev_warn(diode->dev, "cannot restore the MTU %u\n", mtu);
}

/*
 * @new, checked whole, becomes the device's configuration; @old receives the
 * one it replaces, which comes back if what follows fails. Only the MTU and
 * a sender's new session can fail, and they come first: a link that cannot
 * carry the MTU it had gets a smaller one.
 */
static int diode_commit_config(struct diode_device *diode,
			       struct genl_info *info,
			       const struct diode_config *new,
			       struct diode_config *old)
{
	bool keys_changed = !diode_keys_equal(&new->keys, &diode->config.keys);
	bool mode_changed = new->mode != diode->config.mode;
	bool restart = keys_changed || mode_changed ||
		       diode_announced_changed(&diode->config, new);
	unsigned int old_mtu = diode->dev->mtu;
	int ret;

	*old = diode->config;
	diode_device_set_config(diode, new);
	ret = diode_device_fit_mtu(diode);
	if (ret) {
		GENL_SET_ERR_MSG(info, "the MTU of the device cannot be changed to fit these settings (the lower device's MTU?); nothing was changed");
		goto err_config;
	}
	if (restart) {
		ret = diode_session_start_tx(diode);
		if (ret) {
			GENL_SET_ERR_MSG(info, "cannot start a session with these keys");
			goto err_mtu;
		}
	}

	/* A receiver's sessions outlive its going down, but not its keys or
	 * its mode. Its mark stays: keys set again may be the same.
	 */
	if (old->mode == DIODE_MODE_RX && (keys_changed || mode_changed))
		diode_session_stop_all(diode);
	/* New limits apply from the next session on; the rekey timer looks
	 * at them again now.
	 */
	if ((new->rekey_after_time != old->rekey_after_time ||
	     new->rekey_after_frames != old->rekey_after_frames) &&
	    netif_running(diode->dev) && new->mode == DIODE_MODE_TX)
		mod_delayed_work(system_power_efficient_wq, &diode->rekey_work, 0);
	return 0;

err_mtu:
	diode_restore_mtu(diode, old_mtu);
err_config:
	diode_device_set_config(diode, old);
	return ret;
}

/*
 * Under rtnl and @diode->lock: the sessions held are all below a mark raised
 * above what they delivered, and are forgotten; the sender's current session
 * is learnt again from its next ANNOUNCE, above the mark. Frames
 * authenticated since the mark was checked may have raised it past the
 * request's: it then stays where it is.
 */
static void diode_commit_rx_mark(struct diode_device *diode,
				 const struct diode_rx_mark *mark)
{
	diode_session_stop_all(diode);
	diode_rx_mark_raise(diode, mark);
}

/*
 * As MACsec's changelink: the configuration is copied (or, with
 * DIODE_A_REPLACE, the defaults taken), the request applied to the copy,
 * the copy checked whole, and only then committed. Both copies may hold
 * keys.
 */
int diode_nl_set_device_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct diode_device *diode = info->user_ptr[0];
	struct diode_rx_mark mark;
	struct {
		struct diode_config new, old;
	} *set;
	bool raise = false;
	int ret;

	set = kmalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return -ENOMEM;
	/* Assigned from either without a temporary that would hold keys. */
	if (info->attrs[DIODE_A_REPLACE])
		set->new = diode_config_default;
	else
		set->new = diode->config;
	ret = diode_take_attrs(info, &set->new);
	if (!ret)
		ret = diode_check_config(diode, info, &set->new);
	if (!ret && info->attrs[DIODE_A_RX_MARK])
		ret = diode_take_rx_mark(diode, info, &set->new, &mark, &raise);
	if (!ret)
		ret = diode_commit_config(diode, info, &set->new, &set->old);
	if (!ret && raise)
		diode_commit_rx_mark(diode, &mark);
	kfree_sensitive(set);
	return ret;
}

int diode_nl_reset_sessions_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct diode_device *diode = info->user_ptr[0];

	if (diode->config.mode == DIODE_MODE_TX)
		return diode_session_start_tx(diode);
	/* The mark stays: a recording of a session forgotten here is still
	 * refused.
	 */
	diode_session_stop_all(diode);
	return 0;
}

int diode_nl_get_secrets_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct diode_device *diode = info->user_ptr[0];
	const struct diode_static_keys *keys = &diode->config.keys;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &diode_family, 0, DIODE_CMD_GET_SECRETS);
	if (!hdr ||
	    nla_put_u32(msg, DIODE_A_IFINDEX, diode->dev->ifindex) ||
	    (keys->has_private &&
	     nla_put(msg, DIODE_A_PRIVATE_KEY, DIODE_KEY_LEN, keys->private_key)) ||
	    (keys->has_psk &&
	     nla_put(msg, DIODE_A_PRESHARED_KEY, DIODE_KEY_LEN, keys->psk))) {
		/* The message may hold key material. */
		memzero_explicit(msg->data, msg->len + skb_tailroom(msg));
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/*
 * Every request but a dump names one device, and works on it under rtnl
 * and its lock, which post_doit releases.
 */
static int diode_nl_pre_doit(const diode_compat_genl_ops *ops,
			     struct sk_buff *skb, struct genl_info *info)
{
	struct diode_device *diode;
	struct net_device *dev;

	rtnl_lock();
	dev = diode_lookup(info);
	if (IS_ERR(dev)) {
		rtnl_unlock();
		return PTR_ERR(dev);
	}
	diode = netdev_priv(dev);
	mutex_lock(&diode->lock);
	info->user_ptr[0] = diode;
	return 0;
}

static void diode_nl_post_doit(const diode_compat_genl_ops *ops,
			       struct sk_buff *skb, struct genl_info *info)
{
	struct diode_device *diode = info->user_ptr[0];

	mutex_unlock(&diode->lock);
	rtnl_unlock();
}

static struct genl_family diode_family __ro_after_init = {
	.name = DIODE_GENL_NAME,
	.version = DIODE_GENL_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = diode_nl_ops,
	.n_ops = ARRAY_SIZE(diode_nl_ops),
	.pre_doit = diode_nl_pre_doit,
	.post_doit = diode_nl_post_doit,
	.mcgrps = diode_mcgrps,
	.n_mcgrps = ARRAY_SIZE(diode_mcgrps),
	.resv_start_op = DIODE_CMD_LINK_EVENT + 1,
};

void diode_netlink_notify_carrier(struct diode_device *diode, bool carrier)
{
	struct net_device *dev = diode->dev;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &diode_family, 0, DIODE_CMD_LINK_EVENT);
	if (!hdr ||
	    nla_put_u32(msg, DIODE_A_IFINDEX, dev->ifindex) ||
	    nla_put_string(msg, DIODE_A_IFNAME, dev->name) ||
	    nla_put_u8(msg, DIODE_A_CARRIER, carrier)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&diode_family, dev_net(dev), msg, 0,
				DIODE_NLGRP_MONITOR, GFP_ATOMIC);
}

/* Before the devices: they use the family from when they exist. */
int __init diode_genetlink_init(void)
{
	return genl_register_family(&diode_family);
}

/* After the devices, which may send notifications until they are gone. */
void diode_genetlink_uninit(void)
{
	genl_unregister_family(&diode_family);
}
