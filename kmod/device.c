// SPDX-License-Identifier: GPL-2.0
/*
 * The diode network device: a layer-3 point-to-point interface with no link
 * layer header and no ARP, created with `ip link add NAME type diode`.
 */
#include <linux/if_arp.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <net/rtnetlink.h>

#include "compat.h"
#include "device.h"
#include "messages.h"

static netdev_tx_t diode_xmit(struct sk_buff *skb, struct net_device *dev)
{
	/* No peer is configured yet: nothing can be sent. */
	dev->stats.tx_dropped++;
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops diode_netdev_ops = {
	.ndo_start_xmit = diode_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
};

static void diode_setup(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	dev->netdev_ops = &diode_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = DIODE_HEADROOM;
	dev->needed_tailroom = DIODE_TAILROOM;
	dev->mtu = DIODE_DEFAULT_MTU;
	dev->min_mtu = IPV4_MIN_MTU;
	dev->max_mtu = DIODE_MAX_MTU;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->needs_free_netdev = true;
	diode_compat_set_lltx(dev);

	diode->dev = dev;
}

static int diode_newlink(struct net *src_net, struct net_device *dev,
			 struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	return register_netdevice(dev);
}

static struct rtnl_link_ops diode_link_ops __read_mostly = {
	.kind = KBUILD_MODNAME,
	.priv_size = sizeof(struct diode_device),
	.setup = diode_setup,
	.newlink = diode_newlink,
};

int __init diode_device_init(void)
{
	return rtnl_link_register(&diode_link_ops);
}

void diode_device_uninit(void)
{
	rtnl_link_unregister(&diode_link_ops);
}
