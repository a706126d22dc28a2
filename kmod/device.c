// SPDX-License-Identifier: GPL-2.0
/*
 * The diode network device: a layer-3 point-to-point interface with no link
 * layer header and no ARP, created with `ip link add NAME type diode`.
 */
#include <linux/if_arp.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "compat.h"
#include "device.h"
#include "messages.h"
#include "receive.h"
#include "send.h"
#include "session.h"
#include "socket.h"

/* Every diode device, so that a dying namespace can take its devices along. */
static LIST_HEAD(diode_devices);

static struct diode_announce_params diode_session_params(struct diode_device *diode)
{
	return (struct diode_announce_params) {
		.heartbeat_ms = cpu_to_be32(MSEC_PER_SEC),
		.redundancy = 1,
	};
}

/*
 * A sender starts a new session: at every start and whenever its keys
 * change. Without keys or while down it has none and drops what it is given.
 */
int diode_device_start_session(struct diode_device *diode)
{
	struct diode_announce_params params = diode_session_params(diode);
	struct diode_session *session, *old;

	if (diode->mode != DIODE_MODE_TX || !netif_running(diode->dev))
		return 0;
	if (!diode->keys.ready) {
		diode_session_put(rcu_replace_pointer(diode->tx_session, NULL,
						      lockdep_is_held(&diode->lock)));
		return 0;
	}
	session = diode_session_new_tx(&diode->keys, &params, diode->recent_tags);
	if (IS_ERR(session))
		return PTR_ERR(session);
	diode->recent_tags[1] = diode->recent_tags[0];
	diode->recent_tags[0] = session->tag;
	old = rcu_replace_pointer(diode->tx_session, session,
				  lockdep_is_held(&diode->lock));
	diode_session_put(old);
	diode_stat_inc(diode->stats, DIODE_STAT_TX_SESSIONS);
	mod_delayed_work(system_power_efficient_wq, &diode->announce_work, 0);
	return 0;
}

void diode_device_stop_sessions(struct diode_device *diode)
{
	int slot;

	diode_session_put(rcu_replace_pointer(diode->tx_session, NULL,
					      lockdep_is_held(&diode->lock)));
	for (slot = 0; slot < DIODE_RX_SLOTS; slot++)
		diode_session_put(rcu_replace_pointer(diode->rx_sessions[slot], NULL,
						      lockdep_is_held(&diode->lock)));
}

static int diode_open(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);
	int ret;

	mutex_lock(&diode->lock);
	ret = diode_socket_open(diode);
	if (!ret) {
		ret = diode_device_start_session(diode);
		if (ret)
			diode_socket_close(diode);
	}
	mutex_unlock(&diode->lock);
	return ret;
}

static int diode_stop(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	/* No frame can arrive and queue work once the socket is closed. */
	mutex_lock(&diode->lock);
	diode_socket_close(diode);
	mutex_unlock(&diode->lock);
	cancel_delayed_work_sync(&diode->announce_work);
	cancel_work_sync(&diode->announce_rx_work);
	skb_queue_purge(&diode->announce_queue);
	mutex_lock(&diode->lock);
	diode_device_stop_sessions(diode);
	mutex_unlock(&diode->lock);
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

static void diode_uninit(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	list_del_init(&diode->device_list);
	gro_cells_destroy(&diode->gro_cells);
}

static void diode_destruct(struct net_device *dev)
{
	struct diode_device *diode = netdev_priv(dev);

	dst_cache_destroy(&diode->dst_cache);
	free_percpu(diode->stats);
	memzero_explicit(&diode->keys, sizeof(diode->keys));
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
	dev->priv_flags |= IFF_NO_QUEUE;
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
	diode->replay_window = DIODE_REPLAY_WINDOW_DEFAULT;
	mutex_init(&diode->lock);
	skb_queue_head_init(&diode->announce_queue);
	INIT_DELAYED_WORK(&diode->announce_work, diode_announce_worker);
	INIT_WORK(&diode->announce_rx_work, diode_announce_rx_worker);
}

static int diode_newlink(struct net *src_net, struct net_device *dev,
			 struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	struct diode_device *diode = netdev_priv(dev);
	int ret;

	diode->creating_net = src_net;
	ret = register_netdevice(dev);
	if (ret)
		return ret;
	list_add(&diode->device_list, &diode_devices);
	return 0;
}

static struct rtnl_link_ops diode_link_ops __read_mostly = {
	.kind = KBUILD_MODNAME,
	.priv_size = sizeof(struct diode_device),
	.setup = diode_setup,
	.newlink = diode_newlink,
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

int __init diode_device_init(void)
{
	int ret;

	ret = register_pernet_device(&diode_net_ops);
	if (ret)
		return ret;
	ret = rtnl_link_register(&diode_link_ops);
	if (ret)
		unregister_pernet_device(&diode_net_ops);
	return ret;
}

void diode_device_uninit(void)
{
	rtnl_link_unregister(&diode_link_ops);
	unregister_pernet_device(&diode_net_ops);
	rcu_barrier();
}
