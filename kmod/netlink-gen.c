// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	uapi/diode.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink-gen.h"

#include <uapi/linux/diode.h>

/* Integer value ranges */
static const struct netlink_range_validation diode_a_replay_window_range = {
	.min	= DIODE_REPLAY_WINDOW_MIN,
	.max	= DIODE_REPLAY_WINDOW_MAX,
};

static const struct netlink_range_validation diode_a_rekey_after_time_range = {
	.min	= DIODE_REKEY_TIME_MIN,
	.max	= DIODE_REKEY_TIME_MAX,
};

static const struct netlink_range_validation diode_a_rekey_after_frames_range = {
	.min	= DIODE_REKEY_FRAMES_MIN,
	.max	= DIODE_REKEY_FRAMES_MAX,
};

static const struct netlink_range_validation diode_a_heartbeat_interval_range = {
	.min	= DIODE_HEARTBEAT_MS_MIN,
	.max	= DIODE_HEARTBEAT_MS_MAX,
};

/* Common nested types */
const struct nla_policy diode_rx_mark_nl_policy[DIODE_RX_MARK_A_PAD + 1] = {
	[DIODE_RX_MARK_A_CREATED] = { .type = NLA_U64, },
	[DIODE_RX_MARK_A_COUNTER] = { .type = NLA_U64, },
};

/* DIODE_CMD_GET_DEVICE - do */
const struct nla_policy diode_get_device_nl_policy[DIODE_A_IFNAME + 1] = {
	[DIODE_A_IFINDEX] = { .type = NLA_U32, },
	[DIODE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = DIODE_IFNAME_LEN_MAX, },
};

/* DIODE_CMD_SET_DEVICE - do */
const struct nla_policy diode_set_device_nl_policy[DIODE_A_REPLACE + 1] = {
	[DIODE_A_IFINDEX] = { .type = NLA_U32, },
	[DIODE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = DIODE_IFNAME_LEN_MAX, },
	[DIODE_A_MODE] = NLA_POLICY_MAX(NLA_U8, 2),
	[DIODE_A_PRIVATE_KEY] = NLA_POLICY_EXACT_LEN(DIODE_KEY_LEN),
	[DIODE_A_PEER_PUBLIC_KEY] = NLA_POLICY_EXACT_LEN(DIODE_KEY_LEN),
	[DIODE_A_PRESHARED_KEY] = NLA_POLICY_EXACT_LEN(DIODE_KEY_LEN),
	[DIODE_A_LOCAL] = { .type = NLA_BINARY, },
	[DIODE_A_REMOTE] = { .type = NLA_BINARY, },
	[DIODE_A_REPLAY_WINDOW] = NLA_POLICY_FULL_RANGE(NLA_U32, &diode_a_replay_window_range),
	[DIODE_A_REKEY_AFTER_TIME] = NLA_POLICY_FULL_RANGE(NLA_U32, &diode_a_rekey_after_time_range),
	[DIODE_A_REKEY_AFTER_FRAMES] = NLA_POLICY_FULL_RANGE(NLA_U64, &diode_a_rekey_after_frames_range),
	[DIODE_A_MAX_SESSION_AGE] = { .type = NLA_U32, },
	[DIODE_A_HEARTBEAT_INTERVAL] = NLA_POLICY_FULL_RANGE(NLA_U32, &diode_a_heartbeat_interval_range),
	[DIODE_A_REDUNDANCY] = NLA_POLICY_RANGE(NLA_U8, 1, DIODE_REDUNDANCY_MAX),
	[DIODE_A_FEC_DATA] = NLA_POLICY_MAX(NLA_U8, DIODE_FEC_DATA_MAX),
	[DIODE_A_FEC_PARITY] = NLA_POLICY_RANGE(NLA_U8, 1, DIODE_FEC_PARITY_MAX),
	[DIODE_A_FEC_INTERLEAVE] = NLA_POLICY_RANGE(NLA_U8, 1, DIODE_FEC_INTERLEAVE_MAX),
	[DIODE_A_RATE] = { .type = NLA_U64, },
	[DIODE_A_ENCAP] = NLA_POLICY_MAX(NLA_U8, 1),
	[DIODE_A_LOWER_IFINDEX] = { .type = NLA_U32, },
	[DIODE_A_ETHERTYPE] = NLA_POLICY_MIN(NLA_U16, DIODE_ETHERTYPE_MIN),
	[DIODE_A_DEST_MAC] = NLA_POLICY_EXACT_LEN(DIODE_MAC_LEN),
	[DIODE_A_RX_MARK] = NLA_POLICY_NESTED(diode_rx_mark_nl_policy),
	[DIODE_A_REPLACE] = { .type = NLA_FLAG, },
};

/* DIODE_CMD_RESET_SESSIONS - do */
const struct nla_policy diode_reset_sessions_nl_policy[DIODE_A_IFNAME + 1] = {
	[DIODE_A_IFINDEX] = { .type = NLA_U32, },
	[DIODE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = DIODE_IFNAME_LEN_MAX, },
};

/* DIODE_CMD_GET_SECRETS - do */
const struct nla_policy diode_get_secrets_nl_policy[DIODE_A_IFNAME + 1] = {
	[DIODE_A_IFINDEX] = { .type = NLA_U32, },
	[DIODE_A_IFNAME] = { .type = NLA_NUL_STRING, .len = DIODE_IFNAME_LEN_MAX, },
};

/* Ops table for diode */
const struct genl_ops diode_nl_ops[4] = {
	{
		.cmd		= DIODE_CMD_GET_DEVICE,
		.doit		= diode_nl_get_device_doit,
		.dumpit		= diode_nl_get_device_dumpit,
		.policy		= diode_get_device_nl_policy,
		.maxattr	= DIODE_A_IFNAME,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= DIODE_CMD_SET_DEVICE,
		.doit		= diode_nl_set_device_doit,
		.policy		= diode_set_device_nl_policy,
		.maxattr	= DIODE_A_REPLACE,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= DIODE_CMD_RESET_SESSIONS,
		.doit		= diode_nl_reset_sessions_doit,
		.policy		= diode_reset_sessions_nl_policy,
		.maxattr	= DIODE_A_IFNAME,
		.flags		= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd		= DIODE_CMD_GET_SECRETS,
		.doit		= diode_nl_get_secrets_doit,
		.policy		= diode_get_secrets_nl_policy,
		.maxattr	= DIODE_A_IFNAME,
		.flags		= GENL_ADMIN_PERM,
	},
};

static const struct genl_multicast_group diode_nl_mcgrps[] = {
	[DIODE_NLGRP_MONITOR] = { "monitor", },
};
