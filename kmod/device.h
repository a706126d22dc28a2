/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_DEVICE_H
#define _DIODE_DEVICE_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/hrtimer.h>
#include <linux/if_ether.h>
#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/dst_cache.h>
#include <net/gro_cells.h>

#include "keys.h"
#include "session.h"
#include "stats.h"

/*
 * A receiver's high-water mark: it accepts no session created before
 * @created, and of the session created at @created no frame up to @counter.
 * It only ever rises; diodectl keeps it across restarts of the receiver.
 */
struct diode_rx_mark {
	u64 created;
	u64 counter;
};

union diode_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/* A receiver's sessions: the one before, the one in use, the one announced. */
enum { DIODE_RX_PREVIOUS, DIODE_RX_CURRENT, DIODE_RX_NEXT, DIODE_RX_SLOTS };

/*
 * Every setting of a device, all that DIODE_CMD_SET_DEVICE changes
 * (uapi/diode.yaml documents each). A change builds a new one aside and
 * commits it whole (netlink.c).
 */
struct diode_config {
	enum diode_mode mode;
	struct diode_static_keys keys;
	union diode_sockaddr local, remote;	/* sa_family 0 when unset */
	u32 replay_window;
	u32 rekey_after_time;			/* seconds */
	u64 rekey_after_frames;
	u32 max_session_age;			/* seconds, 0 for no limit */
	/* What a sender announces: a change starts a new session. */
	u32 heartbeat_ms;
	u8 redundancy;
	u8 fec_data, fec_parity, fec_interleave;
	u64 rate;				/* bit/s on the wire, 0: no limit */
	enum diode_encap encap;
	int lower_ifindex;			/* DIODE_ENCAP_ETH */
	u16 ethertype;
	u8 dest_mac[ETH_ALEN];
};

/* A new device's settings, and what DIODE_A_REPLACE returns to. */
extern const struct diode_config diode_config_default;

/*
 * The configuration changes under rtnl, @lock and @config_lock (only the
 * unsetting of a lower device that goes away under rtnl alone). The mode,
 * the encapsulation, the addresses, the lower device and the EtherType
 * change only while the device is down; what changes while it is up and is
 * read without @lock (the data path, the heartbeat) is read under
 * @config_lock with diode_config_get(). The data path reaches the socket and
 * the sessions through RCU. A receiver's session slots change under
 * @rx_lock, since the data path promotes the next session.
 */
struct diode_device {
	struct net_device *dev;
	/* The namespace the device was created in; its UDP socket lives there. */
	struct net *creating_net;
	struct list_head device_list;
	struct mutex lock;

	struct diode_config config;
	seqlock_t config_lock;
	struct net_device __rcu *lower;		/* held while up */
	struct packet_type eth_pt;		/* a receiver's, while up */

	struct socket __rcu *sock;
	struct dst_cache dst_cache;
	struct gro_cells gro_cells;
	struct diode_pcpu_stats __percpu *stats;
	bool aead_logged;			/* under @lock */

	/* Sender: the session in use and the next one, announced ahead
	 * (session.c, as the receiver's sessions are).
	 */
	struct diode_session __rcu *tx_session;
	struct diode_session __rcu *tx_next;
	u16 recent_tags[DIODE_RECENT_TAGS];
	unsigned long tx_started;		/* jiffies, of tx_session */
	unsigned long tx_next_announced;	/* jiffies, of tx_next */
	struct delayed_work heartbeat_work;
	struct delayed_work rekey_work;
	/* Sender: copies waiting for later frames (see emit.c), and the pacer. */
	struct sk_buff_head repeat[DIODE_REDUNDANCY_MAX - 1];
	struct sk_buff_head pace_queue;
	struct hrtimer pace_timer;
	u64 pace_next_ns;			/* under pace_queue.lock */

	/* Receiver: sessions and the ANNOUNCE frames waiting for a key derivation. */
	struct diode_session __rcu *rx_sessions[DIODE_RX_SLOTS];
	spinlock_t rx_lock;
	struct delayed_work rx_retire_work;
	unsigned long rx_retire_at;		/* jiffies; under @rx_lock */
	struct diode_rx_mark rx_mark;		/* under @lock, with the sessions held */
	struct sk_buff_head announce_queue;	/* its lock: @deriving_tag, @held */
	u16 deriving_tag;			/* 0 when none */
	struct sk_buff_head held;		/* frames waiting for their session */
	struct work_struct announce_rx_work;
	unsigned long derive_tokens, derive_refill_at;
	/* Receiver: carrier while valid frames arrive (see receive.c). */
	unsigned long rx_last_valid;		/* jiffies */
	unsigned long rx_heartbeat;		/* jiffies, the sender's interval */
	struct delayed_work carrier_work;
};

int diode_device_init(void);
void diode_device_uninit(void);
bool diode_is_device(const struct net_device *dev);
/* Under rtnl and @lock: @config becomes the device's configuration. */
void diode_device_set_config(struct diode_device *diode,
			     const struct diode_config *config);

/*
 * Copies @member of the configuration to *@out where neither rtnl nor @lock
 * is held, never torn by a change that is being committed.
 */
#define diode_config_get(diode, member, out) do {			\
	unsigned int __seq;						\
									\
	BUILD_BUG_ON(sizeof(*(out)) != sizeof((diode)->config.member));	\
	do {								\
		__seq = read_seqbegin(&(diode)->config_lock);		\
		memcpy((out), &(diode)->config.member, sizeof(*(out)));	\
	} while (read_seqretry(&(diode)->config_lock, __seq));		\
} while (0)

/* Under rtnl: the MTU that fits the encapsulation and FEC settings. */
int diode_device_fit_mtu(struct diode_device *diode);

#endif /* _DIODE_DEVICE_H */
