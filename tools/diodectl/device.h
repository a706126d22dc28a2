/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one model of a diode device in diodectl: what the kernel reports of
 * it, what `set` or a configuration file changes, and what showconf writes
 * back. Each value is marked present by the DIODE_A_* attribute that
 * carries it, so a model read from the kernel and one parsed from words
 * say the same thing the same way.
 */
#ifndef _DIODECTL_DEVICE_H
#define _DIODECTL_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

/* The kernel keeps three sessions; a few more leave room to grow. */
#define DEVICE_SESSIONS_MAX	8
/* Room for all of enum diode_stat, and for counters of newer kernels. */
#define DEVICE_STATS_MAX	64

struct device_session {
	unsigned int present;	/* 1 << DIODE_SESSION_A_* */
	uint8_t slot;
	uint16_t tag;
	uint64_t created;
	uint8_t ephemeral[DIODE_KEY_LEN];
	uint64_t counter;
};

struct device_stat {
	uint16_t type;		/* enum diode_stat */
	uint64_t value;
};

struct device {
	char ifname[IFNAMSIZ];
	uint32_t ifindex;
	/* 1 << DIODE_A_*: what the kernel reported, or what a request sets. */
	uint64_t present;
	/* setconf: what the request leaves out goes back to its default. */
	bool replace;

	/* Each as its attribute carries it; see settings.c. */
	uint8_t mode;
	uint8_t private_key[DIODE_KEY_LEN];
	uint8_t public_key[DIODE_KEY_LEN];
	uint8_t peer_public_key[DIODE_KEY_LEN];
	uint8_t preshared_key[DIODE_KEY_LEN];
	uint8_t has_preshared_key;
	struct diode_addr local;
	struct diode_addr remote;
	uint32_t replay_window;
	uint32_t rekey_after_time;
	uint64_t rekey_after_frames;
	uint32_t max_session_age;
	uint32_t heartbeat_interval;
	uint8_t redundancy;
	/* fec_data 0 is FEC off, and then fec_parity is not sent. */
	uint8_t fec_data;
	uint8_t fec_parity;
	uint8_t fec_interleave;
	uint64_t rate;
	uint8_t encap;
	/* 0 for none; the name is what a file says, "" when not known. */
	uint32_t lower_ifindex;
	char lower_name[IFNAMSIZ];
	uint16_t ethertype;
	uint8_t dest_mac[ETH_ALEN];
	uint8_t carrier;
	uint64_t rx_mark_created;
	uint64_t rx_mark_counter;

	/*
	 * `set` names files for the secret keys, read only once every word
	 * is known good; NULL for none (remove the key).
	 */
	const char *private_key_file;
	const char *preshared_key_file;

	unsigned int n_sessions;
	struct device_session sessions[DEVICE_SESSIONS_MAX];
	unsigned int n_stats;
	struct device_stat stats[DEVICE_STATS_MAX];
};

static inline bool device_has(const struct device *dev, unsigned int attr)
{
	return dev->present & (1ULL << attr);
}

static inline void device_mark(struct device *dev, unsigned int attr)
{
	dev->present |= 1ULL << attr;
}

static inline void device_unmark(struct device *dev, unsigned int attr)
{
	dev->present &= ~(1ULL << attr);
}

#endif /* _DIODECTL_DEVICE_H */
