/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * diode: encrypted one-way network link. User-space API.
 *
 * Devices are created and deleted through rtnetlink:
 *
 *   ip link add diode0 type diode
 *
 * and configured through the generic netlink family "diode" (DIODE_GENL_NAME,
 * version DIODE_GENL_VERSION). Every command needs CAP_NET_ADMIN in the
 * network namespace of the device and works only on diode devices, named by
 * DIODE_A_IFINDEX or DIODE_A_IFNAME.
 *
 * DIODE_CMD_GET_DEVICE
 *   With DIODE_A_IFINDEX or DIODE_A_IFNAME: one device. As a dump (NLM_F_DUMP)
 *   without them: every diode device of the namespace. The reply carries
 *   DIODE_A_IFINDEX, DIODE_A_IFNAME, DIODE_A_MODE, DIODE_A_PUBLIC_KEY (when a
 *   private key is set), DIODE_A_PEER_PUBLIC_KEY, DIODE_A_HAS_PRESHARED_KEY,
 *   DIODE_A_LOCAL, DIODE_A_REMOTE, DIODE_A_REPLAY_WINDOW, DIODE_A_SESSIONS and
 *   DIODE_A_STATS, DIODE_A_REKEY_AFTER_TIME, DIODE_A_REKEY_AFTER_FRAMES,
 *   DIODE_A_MAX_SESSION_AGE, DIODE_A_HEARTBEAT_INTERVAL, DIODE_A_REDUNDANCY,
 *   DIODE_A_FEC_DATA, DIODE_A_FEC_PARITY, DIODE_A_FEC_INTERLEAVE,
 *   DIODE_A_RATE, DIODE_A_ENCAP, DIODE_A_LOWER_IFINDEX (when set),
 *   DIODE_A_ETHERTYPE, DIODE_A_DEST_MAC, DIODE_A_CARRIER and, for a device
 *   in mode rx, DIODE_A_RX_MARK. Private keys and preshared keys are never
 *   returned by this command.
 *
 * DIODE_CMD_SET_DEVICE
 *   Changes the attributes given and keeps the others. It is all or nothing:
 *   when any attribute is invalid the device is left as it was and the error
 *   carries an extended ack message. The device must be down to change
 *   DIODE_A_MODE, DIODE_A_LOCAL, DIODE_A_REMOTE, DIODE_A_ENCAP,
 *   DIODE_A_LOWER_IFINDEX or DIODE_A_ETHERTYPE. Heartbeat, redundancy and
 *   FEC settings of a running sender take effect with its next session,
 *   which starts at once. A sender (tx) starts a new
 *   session every time it is brought up and whenever its keys change.
 *   DIODE_A_RX_MARK is taken only by a device in mode rx (after the
 *   request) and only raises the mark: a mark below the receiver's current
 *   one is refused with ERANGE. A mark above what the sessions the receiver
 *   holds have delivered makes it forget them, as DIODE_CMD_RESET_SESSIONS
 *   does; the sender's current session is learnt again from its next
 *   ANNOUNCE, above the mark.
 *
 * DIODE_CMD_RESET_SESSIONS
 *   A receiver forgets every session it holds. Its mark (DIODE_A_RX_MARK)
 *   stays, and now includes what those sessions delivered, so that a
 *   recording of them is still refused; a sender whose clock went
 *   backwards stays refused until its clock passes the mark (only a new
 *   device, which starts without a mark, takes it at once). A sender
 *   starts a new session.
 *
 * DIODE_CMD_LINK_EVENT
 *   Not a request: sent to the DIODE_MCGRP_MONITOR multicast group when a
 *   device's carrier comes or goes, with DIODE_A_IFINDEX, DIODE_A_IFNAME and
 *   DIODE_A_CARRIER.
 *
 * DIODE_CMD_GET_SECRETS
 *   The device's DIODE_A_PRIVATE_KEY and DIODE_A_PRESHARED_KEY (each only
 *   when set), for `diodectl showconf`. Needs CAP_NET_ADMIN in the initial
 *   user namespace: only the real root reads secrets back.
 */
#ifndef _UAPI_LINUX_DIODE_H
#define _UAPI_LINUX_DIODE_H

#define DIODE_GENL_NAME		"diode"
#define DIODE_GENL_VERSION	1

#define DIODE_KEY_LEN		32

/* The UDP port used when none is configured. */
#define DIODE_DEFAULT_PORT	51555

#define DIODE_REPLAY_WINDOW_DEFAULT	8192
#define DIODE_REPLAY_WINDOW_MIN		64
#define DIODE_REPLAY_WINDOW_MAX		65536

#define DIODE_REKEY_TIME_DEFAULT	120
#define DIODE_REKEY_TIME_MIN		1
#define DIODE_REKEY_TIME_MAX		(7 * 24 * 3600)
#define DIODE_REKEY_FRAMES_DEFAULT	(1ULL << 30)
#define DIODE_REKEY_FRAMES_MIN		1024ULL
#define DIODE_REKEY_FRAMES_MAX		(1ULL << 32)

/*
 * A receiver refuses a session created longer ago than this, in seconds, by
 * its own clock (DIODE_A_MAX_SESSION_AGE; 0 means no limit). It is what
 * keeps a recorded session out of a receiver that has lost its mark (a new
 * device, or a crash since the mark was last saved). A day: far above the
 * default rekey time of 120 s, and room for a sender's clock that is hours
 * behind the receiver's; a sender that rekeys less often than about once a
 * day needs a receiver with a larger limit.
 */
#define DIODE_MAX_SESSION_AGE_DEFAULT	86400

#define DIODE_HEARTBEAT_MS_DEFAULT	1000
#define DIODE_HEARTBEAT_MS_MIN		100
#define DIODE_HEARTBEAT_MS_MAX		60000
/* A receiver loses carrier after this many heartbeat intervals without a
 * valid frame.
 */
#define DIODE_HEARTBEAT_MISSES		3

#define DIODE_REDUNDANCY_MAX		8
#define DIODE_FEC_DATA_MAX		32
#define DIODE_FEC_PARITY_MAX		16
#define DIODE_FEC_INTERLEAVE_MAX	16

/* IEEE 802 local experimental EtherType 1. */
#define DIODE_ETHERTYPE_DEFAULT		0x88B5

enum diode_cmd {
	DIODE_CMD_UNSPEC,
	DIODE_CMD_GET_DEVICE,
	DIODE_CMD_SET_DEVICE,
	DIODE_CMD_RESET_SESSIONS,
	DIODE_CMD_GET_SECRETS,
	DIODE_CMD_LINK_EVENT,
	__DIODE_CMD_MAX
};
#define DIODE_CMD_MAX (__DIODE_CMD_MAX - 1)

enum diode_mode {
	DIODE_MODE_NONE,	/* not configured: sends and receives nothing */
	DIODE_MODE_TX,		/* sender: seals packets routed into the device */
	DIODE_MODE_RX,		/* receiver: opens frames and delivers packets */
	__DIODE_MODE_MAX
};
#define DIODE_MODE_MAX (__DIODE_MODE_MAX - 1)

enum diode_encap {
	DIODE_ENCAP_UDP,	/* UDP over IPv4 or IPv6 (default) */
	DIODE_ENCAP_ETH,	/* raw Ethernet frames on a lower device */
	__DIODE_ENCAP_MAX
};
#define DIODE_ENCAP_MAX (__DIODE_ENCAP_MAX - 1)

/* The multicast group of DIODE_CMD_LINK_EVENT notifications. */
#define DIODE_MCGRP_MONITOR	"monitor"

enum diode_attr {
	DIODE_A_UNSPEC,
	DIODE_A_IFINDEX,		/* u32 */
	DIODE_A_IFNAME,			/* string, less than IFNAMSIZ */
	DIODE_A_MODE,			/* u8, enum diode_mode */
	DIODE_A_PRIVATE_KEY,		/* DIODE_KEY_LEN bytes, X25519; write only;
					 * all zeros removes the key */
	DIODE_A_PUBLIC_KEY,		/* DIODE_KEY_LEN bytes; read only */
	DIODE_A_PEER_PUBLIC_KEY,	/* DIODE_KEY_LEN bytes, X25519;
					 * all zeros removes the key */
	DIODE_A_PRESHARED_KEY,		/* DIODE_KEY_LEN bytes; write only;
					 * all zeros removes the key */
	DIODE_A_HAS_PRESHARED_KEY,	/* u8 0 or 1; read only */
	DIODE_A_LOCAL,			/* struct sockaddr_in or sockaddr_in6:
					 * the address and UDP port to send from
					 * (tx) or to receive on (rx); the
					 * unspecified address means any */
	DIODE_A_REMOTE,			/* struct sockaddr_in or sockaddr_in6: where
					 * a sender sends to */
	DIODE_A_REPLAY_WINDOW,		/* u32, frames, DIODE_REPLAY_WINDOW_MIN to
					 * DIODE_REPLAY_WINDOW_MAX, a multiple of 64 */
	DIODE_A_SESSIONS,		/* nest of nests (each typed DIODE_A_SESSIONS)
					 * of enum diode_session_attr; read only */
	DIODE_A_STATS,			/* nest of enum diode_stat, each u64; read only */
	DIODE_A_PAD,
	DIODE_A_REKEY_AFTER_TIME,	/* u32, seconds: a sender starts a new
					 * session after this long,
					 * DIODE_REKEY_TIME_MIN to _MAX */
	DIODE_A_REKEY_AFTER_FRAMES,	/* u64: or after this many frames,
					 * DIODE_REKEY_FRAMES_MIN to _MAX */
	DIODE_A_MAX_SESSION_AGE,	/* u32, seconds: a receiver refuses a
					 * session created longer ago than this
					 * by its own clock; 0 means no limit;
					 * default DIODE_MAX_SESSION_AGE_DEFAULT */
	DIODE_A_HEARTBEAT_INTERVAL,	/* u32, ms, DIODE_HEARTBEAT_MS_MIN to _MAX:
					 * a sender sends a HEARTBEAT this often;
					 * receivers learn it from the ANNOUNCE */
	DIODE_A_REDUNDANCY,		/* u8, 1 to DIODE_REDUNDANCY_MAX: a sender
					 * sends every frame this many times */
	DIODE_A_FEC_DATA,		/* u8, 0 (no FEC) to DIODE_FEC_DATA_MAX:
					 * frames per FEC group */
	DIODE_A_FEC_PARITY,		/* u8, 1 to DIODE_FEC_PARITY_MAX: PARITY
					 * frames per group */
	DIODE_A_FEC_INTERLEAVE,		/* u8, 1 to DIODE_FEC_INTERLEAVE_MAX:
					 * groups filled in turn */
	DIODE_A_RATE,			/* u64, bits per second on the wire a
					 * sender paces itself to; 0: no limit */
	DIODE_A_ENCAP,			/* u8, enum diode_encap */
	DIODE_A_LOWER_IFINDEX,		/* u32: the device DIODE_ENCAP_ETH sends
					 * on or receives from; 0 unsets it */
	DIODE_A_ETHERTYPE,		/* u16, at least 0x0600 (default
					 * DIODE_ETHERTYPE_DEFAULT), and not
					 * the type of a protocol that the
					 * kernel or the link itself handles
					 * (IPv4, ARP, IPv6, VLAN tags, MPLS,
					 * PPPoE, LLDP, MACsec, PTP, ...) */
	DIODE_A_DEST_MAC,		/* 6 bytes: where DIODE_ENCAP_ETH sends to
					 * (default broadcast) */
	DIODE_A_CARRIER,		/* u8 0 or 1; read only: a receiver has
					 * carrier while valid frames arrive */
	DIODE_A_RX_MARK,		/* nest of enum diode_rx_mark_attr, both
					 * given: a receiver's high-water mark
					 * (mode rx only); it only rises */
	__DIODE_A_MAX
};
#define DIODE_A_MAX (__DIODE_A_MAX - 1)

/* A session as seen by a sender (its own) or a receiver (those it holds). */
enum diode_session_attr {
	DIODE_SESSION_A_UNSPEC,
	DIODE_SESSION_A_SLOT,		/* u8, enum diode_session_slot */
	DIODE_SESSION_A_TAG,		/* u16, the session tag of the header */
	DIODE_SESSION_A_CREATED,	/* u64, sender's clock, ns since the epoch */
	DIODE_SESSION_A_EPHEMERAL,	/* DIODE_KEY_LEN bytes, public E */
	DIODE_SESSION_A_COUNTER,	/* u64: tx, the last counter sent; rx, the
					 * highest counter authenticated */
	DIODE_SESSION_A_PAD,
	__DIODE_SESSION_A_MAX
};
#define DIODE_SESSION_A_MAX (__DIODE_SESSION_A_MAX - 1)

/*
 * A receiver's high-water mark, in DIODE_A_RX_MARK: it accepts no session
 * created before CREATED and, of the session created at CREATED, no frame
 * whose counter is CREATED's COUNTER or lower. It rises as the receiver
 * accepts sessions and authenticates frames, and keeps what the sessions
 * it forgot delivered; it lasts as long as the device. Read it before the
 * device goes and set it on the next one (diodectl show DEV rx-mark, set DEV
 * rx-mark), so that a receiver restarted refuses what it delivered before.
 * A new device's mark is 0:0.
 */
enum diode_rx_mark_attr {
	DIODE_RX_MARK_A_UNSPEC,
	DIODE_RX_MARK_A_CREATED,	/* u64, the sender's clock, ns since the
					 * epoch, as DIODE_SESSION_A_CREATED */
	DIODE_RX_MARK_A_COUNTER,	/* u64 */
	DIODE_RX_MARK_A_PAD,
	__DIODE_RX_MARK_A_MAX
};
#define DIODE_RX_MARK_A_MAX (__DIODE_RX_MARK_A_MAX - 1)

enum diode_session_slot {
	DIODE_SESSION_PREVIOUS,
	DIODE_SESSION_CURRENT,
	DIODE_SESSION_NEXT,
};

/*
 * Counters of a device, in DIODE_A_STATS. Every frame a receiver drops is
 * counted under exactly one reason.
 */
enum diode_stat {
	DIODE_STAT_UNSPEC,
	DIODE_STAT_TX_PACKETS,		/* inner packets sealed (one the link then
					 * refuses counts in tx_dropped too) */
	DIODE_STAT_TX_BYTES,		/* their inner bytes */
	DIODE_STAT_TX_ANNOUNCES,	/* ANNOUNCE frames sent */
	DIODE_STAT_TX_SESSIONS,		/* sessions started */
	DIODE_STAT_TX_DROPPED,		/* packets not sent: no session, no route,
					 * not IP, counter exhausted, no memory */
	DIODE_STAT_RX_PACKETS,		/* inner packets delivered */
	DIODE_STAT_RX_BYTES,		/* their inner bytes */
	DIODE_STAT_RX_ANNOUNCES,	/* ANNOUNCE frames that authenticated */
	DIODE_STAT_RX_SESSIONS,		/* sessions accepted */
	DIODE_STAT_RX_MALFORMED,	/* too short, bad version, type or flags */
	DIODE_STAT_RX_UNKNOWN_SESSION,	/* no session holds the tag */
	DIODE_STAT_RX_UNAUTHENTIC,	/* authentication failed */
	DIODE_STAT_RX_REPLAYED,		/* counter older than the replay window */
	DIODE_STAT_RX_DUPLICATE,	/* counter seen before, inside the window */
	DIODE_STAT_RX_BAD_INNER,	/* authentic, but not a valid IP packet */
	DIODE_STAT_RX_STALE_SESSION,	/* ANNOUNCE of a session created before
					 * the mark (DIODE_A_RX_MARK), or older
					 * than DIODE_A_MAX_SESSION_AGE */
	DIODE_STAT_RX_DROPPED,		/* dropped for lack of memory or queue */
	DIODE_STAT_RX_RATE_LIMITED,	/* ANNOUNCE of an unknown session dropped
					 * because key derivations are rate
					 * limited */
	DIODE_STAT_PAD,
	DIODE_STAT_TX_HEARTBEATS,	/* HEARTBEAT frames sent */
	DIODE_STAT_TX_PARITY,		/* PARITY frames sent */
	DIODE_STAT_TX_REPEATS,		/* extra copies sent for redundancy */
	DIODE_STAT_TX_PACING_DROPPED,	/* frames dropped: the pacing queue
					 * was full */
	DIODE_STAT_RX_HEARTBEATS,	/* HEARTBEAT frames that authenticated */
	DIODE_STAT_RX_PARITY,		/* PARITY frames that authenticated */
	DIODE_STAT_RX_RECOVERED,	/* frames rebuilt from PARITY frames */
	DIODE_STAT_RX_LOST,		/* counters that left the replay window
					 * never received nor recovered */
	DIODE_STAT_RX_CARRIER_CHANGES,	/* carrier came or went */
	__DIODE_STAT_MAX
};
#define DIODE_STAT_MAX (__DIODE_STAT_MAX - 1)

#endif /* _UAPI_LINUX_DIODE_H */
