// SPDX-License-Identifier: GPL-2.0
/*
 * Ethernet encapsulation (docs/protocol.md, "Encapsulation"): frames go
 * straight onto a lower device under their own EtherType, to a fixed
 * destination MAC, so a fiber diode needs no IP address, no ARP and no
 * neighbour entry at all.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

#include "device.h"
#include "eth.h"
#include "messages.h"
#include "receive.h"

static int diode_eth_receive(struct sk_buff *skb, struct net_device *dev,
			     struct packet_type *pt, struct net_device *orig_dev)
{
	struct diode_device *diode = pt->af_packet_priv;

	if (skb->pkt_type == PACKET_LOOPBACK) {
		kfree_skb(skb);
		return NET_RX_DROP;
	}
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return NET_RX_DROP;
	diode_frame_receive(diode, skb);
	return NET_RX_SUCCESS;
}

unsigned int diode_eth_mtu(struct diode_device *diode)
{
	struct net_device *lower;

	ASSERT_RTNL();
	lower = __dev_get_by_index(dev_net(diode->dev), diode->config.lower_ifindex);
	if (!lower || lower->mtu <= DIODE_OVERHEAD)
		return 0;
	return lower->mtu - DIODE_OVERHEAD;
}

int diode_eth_open(struct diode_device *diode)
{
	struct net_device *lower;

	lower = __dev_get_by_index(dev_net(diode->dev), diode->config.lower_ifindex);
	if (!lower || lower->type != ARPHRD_ETHER)
		return -ENODEV;
	dev_hold(lower);
	rcu_assign_pointer(diode->lower, lower);
	if (diode->config.mode == DIODE_MODE_RX) {
		diode->eth_pt.type = htons(diode->config.ethertype);
		diode->eth_pt.dev = lower;
		diode->eth_pt.func = diode_eth_receive;
		diode->eth_pt.af_packet_priv = diode;
		dev_add_pack(&diode->eth_pt);
	}
	return 0;
}

void diode_eth_close(struct diode_device *diode)
{
	struct net_device *lower = rtnl_dereference(diode->lower);

	if (!lower)
		return;
	if (diode->eth_pt.dev) {
		/* Waits for receivers still running in the handler. */
		dev_remove_pack(&diode->eth_pt);
		diode->eth_pt.dev = NULL;
	}
	RCU_INIT_POINTER(diode->lower, NULL);
	synchronize_net();
	dev_put(lower);
}

int diode_eth_send(struct diode_device *diode, struct sk_buff *skb)
{
	struct net_device *lower;
	struct ethhdr *eth;
	int ret = -ENETDOWN;

	rcu_read_lock_bh();
	lower = rcu_dereference_bh(diode->lower);
	if (!lower)
		goto drop;
	ret = skb_cow_head(skb, LL_RESERVED_SPACE(lower));
	if (ret)
		goto drop;
	skb_scrub_packet(skb, !net_eq(dev_net(lower), dev_net(diode->dev)));
	eth = skb_push(skb, ETH_HLEN);
	diode_config_get(diode, dest_mac, &eth->h_dest);
	ether_addr_copy(eth->h_source, lower->dev_addr);
	eth->h_proto = htons(diode->config.ethertype);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, ETH_HLEN);
	skb->protocol = eth->h_proto;
	skb->ip_summed = CHECKSUM_NONE;
	skb->dev = lower;
	ret = dev_queue_xmit(skb);
	rcu_read_unlock_bh();
	return ret == NET_XMIT_SUCCESS || ret == NET_XMIT_CN ? 0 : -ENOBUFS;
drop:
	rcu_read_unlock_bh();
	kfree_skb(skb);
	return ret;
}
