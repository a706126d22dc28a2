/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	uapi/diode.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_DIODE_GEN_H
#define _LINUX_DIODE_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/diode.h>

/* Common nested types */
extern const struct nla_policy diode_rx_mark_nl_policy[DIODE_RX_MARK_A_PAD + 1];

extern const struct nla_policy diode_get_device_nl_policy[DIODE_A_IFNAME + 1];

extern const struct nla_policy diode_set_device_nl_policy[DIODE_A_REPLACE + 1];

extern const struct nla_policy diode_reset_sessions_nl_policy[DIODE_A_IFNAME + 1];

extern const struct nla_policy diode_get_secrets_nl_policy[DIODE_A_IFNAME + 1];

/* Ops table for diode */
extern const struct genl_ops diode_nl_ops[4];

int diode_nl_get_device_doit(struct sk_buff *skb, struct genl_info *info);
int diode_nl_get_device_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb);
int diode_nl_set_device_doit(struct sk_buff *skb, struct genl_info *info);
int diode_nl_reset_sessions_doit(struct sk_buff *skb, struct genl_info *info);
int diode_nl_get_secrets_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	DIODE_NLGRP_MONITOR,
};

#endif /* _LINUX_DIODE_GEN_H */
