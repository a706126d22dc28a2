/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODECTL_SHOW_H
#define _DIODECTL_SHOW_H

#include <stdbool.h>
#include <stdio.h>

#include <libmnl/libmnl.h>

#include "parse.h"

/* The kernel keeps three sessions; a few more leave room to grow. */
#define SESSIONS_MAX	8
/* Room for all of enum diode_stat, and for counters of newer kernels. */
#define STATS_MAX	64

struct session_info {
	unsigned int present;	/* 1 << DIODE_SESSION_A_* */
	uint8_t slot;
	uint16_t tag;
	uint64_t created;
	uint8_t ephemeral[DIODE_KEY_LEN];
	uint64_t counter;
};

struct stat_value {
	uint16_t type;		/* enum diode_stat */
	uint64_t value;
};

/* One DIODE_CMD_GET_DEVICE reply. */
struct device_info {
	unsigned int present;	/* 1 << DIODE_A_* */
	uint32_t ifindex;
	char ifname[IFNAMSIZ];
	uint8_t mode;
	uint8_t public_key[DIODE_KEY_LEN];
	uint8_t peer_key[DIODE_KEY_LEN];
	bool has_preshared_key;
	struct diode_addr local;
	struct diode_addr remote;
	uint32_t replay_window;
	uint32_t rekey_after_time;
	uint64_t rekey_after_frames;
	uint32_t max_session_age;
	uint32_t heartbeat_interval;
	uint8_t redundancy;
	uint8_t fec_data;
	uint8_t fec_parity;
	uint8_t interleave;
	uint64_t rate;
	uint8_t encap;
	uint32_t lower_ifindex;
	uint16_t ethertype;
	uint8_t dest_mac[ETH_ALEN];
	bool carrier;
	uint64_t rx_mark_created;	/* DIODE_A_RX_MARK: a receiver's */
	uint64_t rx_mark_counter;
	unsigned int n_sessions;
	struct session_info sessions[SESSIONS_MAX];
	unsigned int n_stats;
	struct stat_value stats[STATS_MAX];
};

/* Returns 0, or -1 with errno EBADMSG when the reply is malformed. */
int device_parse(const struct nlmsghdr *nlh, struct device_info *dev);
void device_print_text(FILE *f, const struct device_info *dev);
void device_print_json(struct json_writer *j, const struct device_info *dev);

/*
 * `diodectl show DEV FIELD`: one value alone, as `set` takes it, for
 * scripts. Returns 0, or -1 with e saying why the device has no such value.
 */
int device_print_field(FILE *f, const struct device_info *dev,
		       const char *field, struct parse_error *e);
/* Whether FIELD is one that device_print_field() knows. */
bool show_field_known(const char *field);

/* One DIODE_CMD_LINK_EVENT notification. */
struct link_event {
	char ifname[IFNAMSIZ];
	bool carrier;
};

/*
 * Returns 1 for a link event, 0 for another message of the family, or -1
 * with errno EBADMSG when the event is malformed.
 */
int link_event_parse(const struct nlmsghdr *nlh, struct link_event *event);
/* "diode0: carrier on", a line. */
void link_event_print(FILE *f, const struct link_event *event);

#endif /* _DIODECTL_SHOW_H */
