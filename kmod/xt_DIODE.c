// SPDX-License-Identifier: GPL-2.0
/*
 * xt_DIODE: an xtables target for IPv4 and IPv6 that sends the matched packet
 * into a diode device instead of along its route, or, with XT_DIODE_COPY, a
 * copy of it while the original continues.
 *
 * The device is named in the rule and looked up for every packet, so that
 * rules outlive the device being deleted and created again. When the device
 * is absent, down, not a diode or the packet does not fit its MTU, a steered
 * packet is dropped: traffic meant for a one-way link must never fall back
 * to its ordinary route, which may lead anywhere. In copy mode only the copy
 * is lost.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_ether.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_DIODE.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/rtnetlink.h>

#include "xt_compat.h"

/* The rtnl_link kind of diode.ko's devices (its KBUILD_MODNAME). */
#define XT_DIODE_KIND "diode"

/*
 * Not POSTROUTING: there the diode's own frames no longer carry the diode as
 * their device, which the recursion guard relies on.
 */
#define XT_DIODE_HOOKS ((1 << NF_INET_PRE_ROUTING) | (1 << NF_INET_LOCAL_IN) | \
			(1 << NF_INET_FORWARD) | (1 << NF_INET_LOCAL_OUT))

static bool xt_diode_is_diode(const struct net_device *dev)
{
	return dev->rtnl_link_ops &&
	       !strcmp(dev->rtnl_link_ops->kind, XT_DIODE_KIND);
}

static bool xt_diode_fits(const struct sk_buff *skb,
			  const struct net_device *dev)
{
	unsigned int mtu = READ_ONCE(dev->mtu);

	/* The diode segments GSO packets itself; each segment must fit. */
	if (skb_is_gso(skb))
		return skb_gso_validate_network_len(skb, mtu);
	return skb->len <= mtu;
}

static void xt_diode_xmit(struct sk_buff *skb, struct net_device *dev,
			  __be16 protocol)
{
	/* The packet leaves this host's IP stack here: its connection, route
	 * and departure time belong to the path it no longer takes.
	 */
	nf_reset_ct(skb);
	skb_dst_drop(skb);
	skb_clear_tstamp(skb);
	/* A layer-3 device: the packet starts at its network header. */
	skb->protocol = protocol;
	skb_reset_mac_header(skb);
	skb->mac_len = 0;
	skb->dev = dev;
	dev_queue_xmit(skb);
}

static unsigned int xt_diode_tg(struct sk_buff *skb,
				const struct xt_action_param *par,
				__be16 protocol)
{
	const struct xt_diode_tginfo *info = par->targinfo;
	bool copy = info->flags & XT_DIODE_COPY;
	struct net_device *dev;
	struct sk_buff *clone;

	/*
	 * A diode's frames pass LOCAL_OUT with the diode as their device (both
	 * UDP tunnel output paths keep skb->dev); capturing them again would
	 * loop. This is a property of the packet rather than of the CPU, so
	 * it also holds when the diode seals asynchronously and its frame
	 * leaves from a crypto completion on another CPU.
	 */
	if (xt_hooknum(par) == NF_INET_LOCAL_OUT && skb->dev &&
	    xt_diode_is_diode(skb->dev))
		return XT_CONTINUE;

	dev = dev_get_by_name_rcu(xt_net(par), info->dev);
	if (!dev || !xt_diode_is_diode(dev) || !netif_running(dev) ||
	    !xt_diode_fits(skb, dev))
		return copy ? XT_CONTINUE : NF_DROP;

	if (!copy) {
		xt_diode_xmit(skb, dev, protocol);
		return NF_STOLEN;
	}
	/* The diode unshares the data before sealing it in place. */
	clone = skb_clone(skb, GFP_ATOMIC);
	if (clone)
		xt_diode_xmit(clone, dev, protocol);
	return XT_CONTINUE;
}

static unsigned int xt_diode_tg4(struct sk_buff *skb,
				 const struct xt_action_param *par)
{
	return xt_diode_tg(skb, par, htons(ETH_P_IP));
}

static unsigned int xt_diode_tg6(struct sk_buff *skb,
				 const struct xt_action_param *par)
{
	return xt_diode_tg(skb, par, htons(ETH_P_IPV6));
}

static int xt_diode_tg_check(const struct xt_tgchk_param *par)
{
	const struct xt_diode_tginfo *info = par->targinfo;

	/* dev_valid_name() also rejects a name that is not NUL-terminated. */
	if (!dev_valid_name(info->dev)) {
		pr_info_ratelimited("invalid device name\n");
		return -EINVAL;
	}
	if (info->flags & ~XT_DIODE_FLAGS) {
		pr_info_ratelimited("unknown flags 0x%x\n",
				    info->flags & ~XT_DIODE_FLAGS);
		return -EINVAL;
	}
	/* Steering is a routing decision, which iptables makes in mangle (or
	 * raw, ahead of conntrack); nat sees only a connection's first packet.
	 */
	if (strcmp(par->table, "mangle") && strcmp(par->table, "raw")) {
		pr_info_ratelimited("only valid in the mangle and raw tables, not %s\n",
				    par->table);
		return -EINVAL;
	}
	return 0;
}

static struct xt_target xt_diode_tg_reg[] __read_mostly = {
	{
		.name		= "DIODE",
		.revision	= 0,
		.family		= NFPROTO_IPV4,
		.target		= xt_diode_tg4,
		.targetsize	= sizeof(struct xt_diode_tginfo),
		.checkentry	= xt_diode_tg_check,
		.hooks		= XT_DIODE_HOOKS,
		.me		= THIS_MODULE,
	},
	{
		.name		= "DIODE",
		.revision	= 0,
		.family		= NFPROTO_IPV6,
		.target		= xt_diode_tg6,
		.targetsize	= sizeof(struct xt_diode_tginfo),
		.checkentry	= xt_diode_tg_check,
		.hooks		= XT_DIODE_HOOKS,
		.me		= THIS_MODULE,
	},
};

static int __init xt_diode_tg_init(void)
{
	return xt_register_targets(xt_diode_tg_reg, ARRAY_SIZE(xt_diode_tg_reg));
}

static void __exit xt_diode_tg_exit(void)
{
	xt_unregister_targets(xt_diode_tg_reg, ARRAY_SIZE(xt_diode_tg_reg));
}

module_init(xt_diode_tg_init);
module_exit(xt_diode_tg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xtables: send packets into a diode device");
MODULE_ALIAS("ipt_DIODE");
MODULE_ALIAS("ip6t_DIODE");
