// SPDX-License-Identifier: GPL-2.0
/*
 * The diode network device: a layer-3 point-to-point interface with no link
 * layer header and no ARP, created with `ip link add NAME type diode`.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "compat.h"
#include "device.h"
#include "emit.h"
#include "eth.h"
#include "fec.h"
#include "messages.h"
#include "receive.h"
#include "send.h"
#include "session.h"
#include "socket.h"

/* Every diode device, so that a dying namespace can take its devices along. */
static LIST_HEAD(diode_devices);

const struct diode_config diode_config_default = {
	.mode = DIODE_MODE_NONE,
	.replay_window = DIODE_REPLAY_WINDOW_DEFAULT,
	.rekey_after_time = DIODE_REKEY_TIME_DEFAULT,
	.rekey_after_frames = DIODE_REKEY_FRAMES_DEFAULT,
	.max_session_age = DIODE_MAX_SESSION_AGE_DEFAULT,
	.heartbeat_ms = DIODE_HEARTBEAT_MS_DEFAULT,
	.redundancy = 1,
	.fec_parity = 1,
	.fec_interleave = 1,
	.encap = DIODE_ENCAP_UDP,
	.ethertype = DIODE_ETHERTYPE_DEFAULT,
	.dest_mac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};

void diode_device_set_config(struct diode_device *diode,
			     const struct diode_config *config)
{
	ASSERT_RTNL();
	lockdep_assert_held(&diode->lock);
	write_seqlock_bh(&diode->config_lock);
	diode->config = *config;
	write_sequnlock_bh(&diode->config_lock);
}

int diode_device_fit_mtu(struct diode_device *diode)
{
	unsigned int mtu = diode->dev->mtu, fec = 0;

	ASSERT_RTNL();
	if (diode->config.fec_data)
		fec = diode_fec_overhead(diode->config.fec_data);
	if (diode->config.encap == DIODE_ENCAP_ETH) {
		mtu = diode_eth_mtu(diode);
		if (!mtu)
			return 0;
	} else if (!fec || mtu + fec <= DIODE_DEFAULT_MTU) {
		return 0;
	} else {
		mtu = DIODE_DEFAULT_MTU;
	}
	/* A PARITY frame is as large as the largest frame of its group and
	 * its descriptor: it must fit the link too.
	 */
	mtu = mtu > fec + IPV4_MIN_MTU ? mtu - fec : IPV4_MIN_MTU;
	return mtu == diode->dev->mtu ? 0 : dev_set_mtu(diode->dev, mtu);
}

static int diode_link_open(struct diode_device *diode)
{
	if (diode->config.encap == DIODE_ENCAP_UDP)
		return diode_socket_open(diode);
	return diode->config.lower_ifindex ? diode_eth_open(diode) : 0;
}

static void diode_link_close(struct diode_device *diode)
{
	if (diode->config.encap == DIODE_ENCAP_UDP)
		diode_socket_close(diode);
	else
		diode_eth_close(diode);
}

static int diode_open(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);
	struct net_device *lower;
	int ret;

	mutex_lock(&diode->lock);
	ret = diode_link_open(diode);
	if (!ret) {
		ret = diode_session_start_tx(diode);
		if (ret)
			diode_link_close(diode);
	}
	/* A receiver kept its sessions while down. */
	if (!ret)
		diode_session_resume_rx(diode);
	/* A receiver has carrier once authentic frames arrive; a sender as
	 * long as the device it sends on is up.
	 */
	lower = rtnl_dereference(diode->lower);
	if (diode->config.mode == DIODE_MODE_RX || (lower && !netif_running(lower)))
		netif_carrier_off(dev);
	else
		netif_carrier_on(dev);
	mutex_unlock(&diode->lock);
	return ret;
}

static int diode_stop(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	/* No frame can arrive and queue work once the socket is closed. */
	mutex_lock(&diode->lock);
	diode_link_close(diode);
	mutex_unlock(&diode->lock);
	cancel_delayed_work_sync(&diode->heartbeat_work);
	cancel_delayed_work_sync(&diode->carrier_work);
	cancel_delayed_work_sync(&diode->rekey_work);
	cancel_work_sync(&diode->announce_rx_work);
	cancel_delayed_work_sync(&diode->rx_retire_work);
	diode_rx_purge(diode);
	/* A receiver keeps its sessions: the sender goes on using them, and
	 * frames that come after the device is up again are delivered at
	 * once. A sender starts a new session when it comes up.
	 */
	mutex_lock(&diode->lock);
	if (diode->config.mode != DIODE_MODE_RX)
		diode_session_stop_all(diode);
	mutex_unlock(&diode->lock);
	diode_emit_stop(diode);
	return 0;
}

static int diode_init(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);
	int ret;

	diode->stats = netdev_alloc_pcpu_stats(struct diode_pcpu_stats);
	if (!diode->stats)
		return -ENOMEM;
	ret = dst_cache_init(&diode->dst_cache, GFP_KERNEL);
	if (ret)
		goto err_stats;
	ret = gro_cells_init(&diode->gro_cells, dev);
	if (ret)
		goto err_dst_cache;
	return 0;

err_dst_cache:
	dst_cache_destroy(&diode->dst_cache);
err_stats:
	free_percpu(diode->stats);
	return ret;
}

static void diode_device_cancel_work(struct diode_device *diode)
{
	cancel_delayed_work_sync(&diode->heartbeat_work);
	cancel_delayed_work_sync(&diode->rekey_work);
	cancel_work_sync(&diode->announce_rx_work);
	cancel_delayed_work_sync(&diode->rx_retire_work);
	cancel_delayed_work_sync(&diode->carrier_work);
}

static void diode_uninit(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	/* The data path may have queued work while the device went down. */
	diode_device_cancel_work(diode);
	diode_rx_purge(diode);
	mutex_lock(&diode->lock);
	diode_session_stop_all(diode);
	mutex_unlock(&diode->lock);
	list_del_init(&diode->device_list);
	gro_cells_destroy(&diode->gro_cells);
}

static void diode_destruct(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	/* A frame whose async decryption completed after ndo_uninit may have
	 * queued work again; with the last reference gone, none can now.
	 */
	diode_device_cancel_work(diode);

	/* Frames sealed while the device went down may have been queued. */
	diode_emit_stop(diode);
	dst_cache_destroy(&diode->dst_cache);
	free_percpu(diode->stats);
	memzero_explicit(&diode->config.keys, sizeof(diode->config.keys));
}

static const struct net_device_ops diode_netdev_ops = {
	.ndo_init = diode_init,
	.ndo_uninit = diode_uninit,
	.ndo_open = diode_open,
	.ndo_stop = diode_stop,
	.ndo_start_xmit = diode_xmit,
	.ndo_get_stats64 = dev_get_tstats64,
};

bool diode_is_device(const struct net_device *dev)
{
	return dev->netdev_ops == &diode_netdev_ops;
}

static void diode_setup(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	dev->netdev_ops = &diode_netdev_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	/* Sealing takes this CPU's ready request with bottom halves off, which
	 * netpoll's sends from hard interrupts would not respect.
	 */
	dev->priv_flags |= IFF_NO_QUEUE | IFF_DISABLE_NETPOLL;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = DIODE_HEADROOM;
	dev->needed_tailroom = DIODE_TAILROOM;
	dev->mtu = DIODE_DEFAULT_MTU;
	dev->min_mtu = IPV4_MIN_MTU;
	dev->max_mtu = DIODE_MAX_MTU;
	dev->features |= NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_GSO_SOFTWARE;
	dev->hw_features |= dev->features;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->needs_free_netdev = true;
	dev->priv_destructor = diode_destruct;
	diode_compat_set_lltx(dev);

	diode->dev = dev;
	INIT_LIST_HEAD(&diode->device_list);
	diode->config = diode_config_default;
	seqlock_init(&diode->config_lock);
	diode_emit_init(diode);
	mutex_init(&diode->lock);
	spin_lock_init(&diode->rx_lock);
	skb_queue_head_init(&diode->announce_queue);
	skb_queue_head_init(&diode->held);
	INIT_DELAYED_WORK(&diode->heartbeat_work, diode_heartbeat_worker);
	INIT_DELAYED_WORK(&diode->rekey_work, diode_session_rekey_worker);
	INIT_WORK(&diode->announce_rx_work, diode_announce_rx_worker);
	INIT_DELAYED_WORK(&diode->rx_retire_work, diode_session_retire_worker);
	INIT_DELAYED_WORK(&diode->carrier_work, diode_carrier_worker);
}

static int diode_newlink(struct net *src_net, struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);
	int ret;

	diode->creating_net = src_net;
	ret = register_netdevice(dev);
	if (ret)
		return ret;
	/* What crosses a one-way link is datagrams, which GRO merges only for
	 * a socket that asks, yet each pays GRO's look-ups (a socket lookup
	 * for UDP once a tunnel socket exists): off unless the user turns it
	 * on. The stack forces it on at registration, so it is cleared here.
	 */
	dev->wanted_features &= ~NETIF_F_GRO;
	netdev_update_features(dev);
	list_add(&diode->device_list, &diode_devices);
	return 0;
}
DIODE_COMPAT_NEWLINK(diode_newlink)

static struct rtnl_link_ops diode_link_ops __read_mostly = {
	.kind = KBUILD_MODNAME,
	.priv_size = sizeof(struct diode_device),
	.setup = diode_setup,
	.newlink = diode_newlink_compat,
};

/*
 * A device's socket lives in the namespace it was created in; when that
 * namespace goes away, so does the device, wherever it was moved.
 */
static void __net_exit diode_netns_pre_exit(struct net *net)
{
	struct diode_device *diode, *tmp;
	LIST_HEAD(kill);

	rtnl_lock();
	list_for_each_entry_safe(diode, tmp, &diode_devices, device_list) {
		if (diode->creating_net == net)
			unregister_netdevice_queue(diode->dev, &kill);
	}
	unregister_netdevice_many(&kill);
	rtnl_unlock();
}

static struct pernet_operations diode_net_ops = {
	.pre_exit = diode_netns_pre_exit,
};

/* A sender or receiver on Ethernet follows its lower device. */
static int diode_lower_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct diode_device *diode;

	list_for_each_entry(diode, &diode_devices, device_list) {
		if (diode->config.encap != DIODE_ENCAP_ETH ||
		    diode->config.lower_ifindex != dev->ifindex ||
		    !net_eq(dev_net(diode->dev), dev_net(dev)))
			continue;
		switch (event) {
		case NETDEV_UNREGISTER:
			dev_close(diode->dev);
			diode->config.lower_ifindex = 0;
			break;
		case NETDEV_CHANGEMTU:
			diode_device_fit_mtu(diode);
			break;
		case NETDEV_UP:
			if (diode->config.mode == DIODE_MODE_TX)
				netif_carrier_on(diode->dev);
			break;
		case NETDEV_DOWN:
			if (diode->config.mode == DIODE_MODE_TX)
				netif_carrier_off(diode->dev);
			break;
		}
	}
	return NOTIFY_DONE;
}

static struct notifier_block diode_lower_notifier = {
	.notifier_call = diode_lower_event,
};

int __init diode_device_init(void)
{
	int ret;

	ret = diode_fec_init();
	if (ret)
		return ret;
	ret = register_pernet_device(&diode_net_ops);
	if (ret)
		return ret;
	ret = register_netdevice_notifier(&diode_lower_notifier);
	if (ret)
		goto err_pernet;
	ret = rtnl_link_register(&diode_link_ops);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	unregister_netdevice_notifier(&diode_lower_notifier);
err_pernet:
	unregister_pernet_device(&diode_net_ops);
	return ret;
}

void diode_device_uninit(void)
{
	rtnl_link_unregister(&diode_link_ops);
	unregister_netdevice_notifier(&diode_lower_notifier);
	unregister_pernet_device(&diode_net_ops);
	rcu_barrier();
}
