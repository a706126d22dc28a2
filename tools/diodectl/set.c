// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl set: every word is checked and every key file read before the
 * one request goes out, and the kernel applies that request all or nothing,
 * so a mistake anywhere leaves the device as it was.
 */
#include <sodium.h>

#include "diodectl.h"
#include "keys.h"
#include "set.h"

static void put_addr(struct nlmsghdr *nlh, uint16_t type,
		     const struct diode_addr *addr)
{
	mnl_attr_put(nlh, type, addr->len, &addr->sa);
}

/* FEC off is DIODE_A_FEC_DATA 0 alone: the kernel keeps the parity count. */
static void put_fec(struct nlmsghdr *nlh, const struct set_args *args)
{
	mnl_attr_put_u8(nlh, DIODE_A_FEC_DATA, args->fec_data);
	if (args->fec_data)
		mnl_attr_put_u8(nlh, DIODE_A_FEC_PARITY, args->fec_parity);
}

/* A nest, flagged as such: the kernel's strict policy wants NLA_F_NESTED. */
static void put_rx_mark(struct nlmsghdr *nlh, const struct set_args *args)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, DIODE_A_RX_MARK);

	nest->nla_type |= NLA_F_NESTED;
	mnl_attr_put_u64(nlh, DIODE_RX_MARK_A_CREATED, args->rx_mark_created);
	mnl_attr_put_u64(nlh, DIODE_RX_MARK_A_COUNTER, args->rx_mark_counter);
	mnl_attr_nest_end(nlh, nest);
}

struct nlmsghdr *set_build_request(void *buf, uint16_t family,
				   const struct set_args *args)
{
	struct nlmsghdr *nlh;

	nlh = genl_msg_start(buf, family, DIODE_CMD_SET_DEVICE, NLM_F_ACK);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, args->ifname);
	if (args->replace)
		mnl_attr_put(nlh, DIODE_A_REPLACE, 0, NULL);
	if (args->fields & SET_MODE)
		mnl_attr_put_u8(nlh, DIODE_A_MODE, args->mode);
	if (args->fields & SET_PRIVATE_KEY)
		mnl_attr_put(nlh, DIODE_A_PRIVATE_KEY, DIODE_KEY_LEN,
			     args->private_key);
	if (args->fields & SET_PEER)
		mnl_attr_put(nlh, DIODE_A_PEER_PUBLIC_KEY, DIODE_KEY_LEN,
			     args->peer_key);
	if (args->fields & SET_PRESHARED_KEY)
		mnl_attr_put(nlh, DIODE_A_PRESHARED_KEY, DIODE_KEY_LEN,
			     args->preshared_key);
	if (args->fields & SET_LOCAL)
		put_addr(nlh, DIODE_A_LOCAL, &args->local);
	if (args->fields & SET_REMOTE)
		put_addr(nlh, DIODE_A_REMOTE, &args->remote);
	if (args->fields & SET_REPLAY_WINDOW)
		mnl_attr_put_u32(nlh, DIODE_A_REPLAY_WINDOW,
				 args->replay_window);
	if (args->fields & SET_REKEY_TIME)
		mnl_attr_put_u32(nlh, DIODE_A_REKEY_AFTER_TIME,
				 args->rekey_after_time);
	if (args->fields & SET_REKEY_FRAMES)
		mnl_attr_put_u64(nlh, DIODE_A_REKEY_AFTER_FRAMES,
				 args->rekey_after_frames);
	if (args->fields & SET_MAX_SESSION_AGE)
		mnl_attr_put_u32(nlh, DIODE_A_MAX_SESSION_AGE,
				 args->max_session_age);
	if (args->fields & SET_HEARTBEAT)
		mnl_attr_put_u32(nlh, DIODE_A_HEARTBEAT_INTERVAL,
				 args->heartbeat_interval);
	if (args->fields & SET_REDUNDANCY)
		mnl_attr_put_u8(nlh, DIODE_A_REDUNDANCY, args->redundancy);
	if (args->fields & SET_FEC)
		put_fec(nlh, args);
	if (args->fields & SET_INTERLEAVE)
		mnl_attr_put_u8(nlh, DIODE_A_FEC_INTERLEAVE, args->interleave);
	if (args->fields & SET_RATE)
		mnl_attr_put_u64(nlh, DIODE_A_RATE, args->rate);
	if (args->fields & SET_ENCAP)
		mnl_attr_put_u8(nlh, DIODE_A_ENCAP, args->encap);
	if (args->fields & SET_LOWER)
		mnl_attr_put_u32(nlh, DIODE_A_LOWER_IFINDEX,
				 args->lower_ifindex);
	if (args->fields & SET_ETHERTYPE)
		mnl_attr_put_u16(nlh, DIODE_A_ETHERTYPE, args->ethertype);
	if (args->fields & SET_DEST_MAC)
		mnl_attr_put(nlh, DIODE_A_DEST_MAC, ETH_ALEN, args->dest_mac);
	if (args->fields & SET_RX_MARK)
		put_rx_mark(nlh, args);
	return nlh;
}

struct nlmsghdr *reset_build_request(void *buf, uint16_t family,
				     const char *ifname)
{
	struct nlmsghdr *nlh;

	nlh = genl_msg_start(buf, family, DIODE_CMD_RESET_SESSIONS, NLM_F_ACK);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	return nlh;
}

/* A key given as "none" stays all zeros, which removes it. */
static int read_secret_keys(struct set_args *args, struct parse_error *e)
{
	if ((args->fields & SET_PRIVATE_KEY) && args->private_key_path &&
	    key_read_file("private-key", args->private_key_path,
			  args->private_key, e))
		return -1;
	if ((args->fields & SET_PRESHARED_KEY) && args->preshared_key_path &&
	    key_read_file("preshared-key", args->preshared_key_path,
			  args->preshared_key, e))
		return -1;
	return 0;
}

/* Sends nlh, waits for the ack and prints the kernel's error or warning. */
static int send_acked(struct genl *g, struct nlmsghdr *nlh,
		      const char *context)
{
	int ret = genl_request(g, nlh, NULL, NULL);

	if (ret)
		genl_print_error(context, ret, g->extack);
	else if (g->extack[0])
		print_error("%s: warning: %s", context, g->extack);
	return ret ? 1 : 0;
}

int set_send(const struct set_args *args, const char *context)
{
	char buf[SET_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	struct genl g;
	int ret;

	if (genl_open(&g, context))
		return 1;
	nlh = set_build_request(buf, g.family, args);
	ret = send_acked(&g, nlh, context);
	sodium_memzero(buf, sizeof(buf));
	genl_close(&g);
	return ret;
}

int cmd_set(int argc, char *argv[])
{
	char context[sizeof("set ") + IFNAMSIZ];
	struct set_args args;
	struct parse_error e;
	int ret;

	if (parse_set_args(argc, argv, &args, &e) ||
	    read_secret_keys(&args, &e)) {
		print_error("set%s%s: %s", args.ifname ? " " : "",
			    args.ifname ? args.ifname : "", e.msg);
		ret = 1;
	} else {
		snprintf(context, sizeof(context), "set %s", args.ifname);
		ret = set_send(&args, context);
	}
	sodium_memzero(&args, sizeof(args));
	return ret;
}

int cmd_reset_sessions(int argc, char *argv[])
{
	char context[sizeof("reset-sessions ") + IFNAMSIZ];
	char buf[256];
	struct parse_error e;
	struct nlmsghdr *nlh;
	struct genl g;
	int ret;

	if (argc != 1) {
		print_error("reset-sessions: %s (usage: diodectl reset-sessions DEV)",
			    argc ? "too many words" : "a device name is needed");
		return 1;
	}
	if (parse_ifname(argv[0], &e)) {
		print_error("reset-sessions: %s", e.msg);
		return 1;
	}
	snprintf(context, sizeof(context), "reset-sessions %s", argv[0]);
	if (genl_open(&g, context))
		return 1;
	nlh = reset_build_request(buf, g.family, argv[0]);
	ret = send_acked(&g, nlh, context);
	genl_close(&g);
	return ret;
}
