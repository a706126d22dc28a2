// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl showconf: the configuration of a device as a file that setconf
 * takes back. The public part comes from DIODE_CMD_GET_DEVICE, the keys from
 * DIODE_CMD_GET_SECRETS, which only the real root may send. Every buffer
 * that holds a key is wiped, and the text goes out with write(2), past the
 * buffers of stdio.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <sodium.h>

#include "config.h"
#include "diodectl.h"
#include "genl.h"
#include "keys.h"
#include "showconf.h"

struct nlmsghdr *secrets_build_request(void *buf, uint16_t family,
				       const char *ifname)
{
	struct nlmsghdr *nlh;

	nlh = genl_msg_start(buf, family, DIODE_CMD_GET_SECRETS, NLM_F_ACK);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	return nlh;
}

static int secrets_attr_cb(const struct nlattr *attr, void *data)
{
	struct secrets *secrets = data;
	uint16_t type = mnl_attr_get_type(attr);
	uint8_t *key;

	switch (type) {
	case DIODE_A_PRIVATE_KEY:
		key = secrets->private_key;
		break;
	case DIODE_A_PRESHARED_KEY:
		key = secrets->preshared_key;
		break;
	default:
		/* The device's name and index, or what a newer kernel adds. */
		return MNL_CB_OK;
	}
	if (mnl_attr_get_payload_len(attr) != DIODE_KEY_LEN) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	memcpy(key, mnl_attr_get_payload(attr), DIODE_KEY_LEN);
	secrets->present |= 1u << type;
	return MNL_CB_OK;
}

int secrets_parse(const struct nlmsghdr *nlh, struct secrets *secrets)
{
	sodium_memzero(secrets, sizeof(*secrets));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), secrets_attr_cb,
			   secrets) != MNL_CB_OK) {
		sodium_memzero(secrets, sizeof(*secrets));
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static bool has(unsigned int present, unsigned int attr)
{
	return present & (1u << attr);
}

/*
 * The [Interface] settings of link health, loss and Ethernet, each when the
 * kernel reports it. It reports no lower device when there is none.
 */
static void config_link_from_device(const struct device_info *dev,
				    struct set_args *args)
{
	if (has(dev->present, DIODE_A_HEARTBEAT_INTERVAL)) {
		args->heartbeat_interval = dev->heartbeat_interval;
		args->fields |= SET_HEARTBEAT;
	}
	if (has(dev->present, DIODE_A_REDUNDANCY)) {
		args->redundancy = dev->redundancy;
		args->fields |= SET_REDUNDANCY;
	}
	if (has(dev->present, DIODE_A_FEC_DATA)) {
		args->fec_data = dev->fec_data;
		args->fec_parity = dev->fec_parity;
		args->fields |= SET_FEC;
	}
	if (has(dev->present, DIODE_A_FEC_INTERLEAVE)) {
		args->interleave = dev->interleave;
		args->fields |= SET_INTERLEAVE;
	}
	if (has(dev->present, DIODE_A_RATE)) {
		args->rate = dev->rate;
		args->fields |= SET_RATE;
	}
	if (has(dev->present, DIODE_A_ENCAP)) {
		args->encap = dev->encap;
		args->fields |= SET_ENCAP;
	}
	if (has(dev->present, DIODE_A_LOWER_IFINDEX) && dev->lower_ifindex) {
		args->lower_ifindex = dev->lower_ifindex;
		if (!if_indextoname(dev->lower_ifindex, args->lower_name))
			args->lower_name[0] = '\0';
		args->fields |= SET_LOWER;
	}
	if (has(dev->present, DIODE_A_ETHERTYPE)) {
		args->ethertype = dev->ethertype;
		args->fields |= SET_ETHERTYPE;
	}
}

void config_from_device(const struct device_info *dev,
			const struct secrets *secrets, struct set_args *args)
{
	memset(args, 0, sizeof(*args));
	args->ifname = dev->ifname;
	if (has(dev->present, DIODE_A_MODE)) {
		args->mode = dev->mode;
		args->fields |= SET_MODE;
	}
	if (has(secrets->present, DIODE_A_PRIVATE_KEY)) {
		memcpy(args->private_key, secrets->private_key, DIODE_KEY_LEN);
		args->fields |= SET_PRIVATE_KEY;
	}
	if (has(dev->present, DIODE_A_LOCAL)) {
		args->local = dev->local;
		args->fields |= SET_LOCAL;
	}
	if (has(dev->present, DIODE_A_REPLAY_WINDOW)) {
		args->replay_window = dev->replay_window;
		args->fields |= SET_REPLAY_WINDOW;
	}
	if (has(dev->present, DIODE_A_REKEY_AFTER_TIME)) {
		args->rekey_after_time = dev->rekey_after_time;
		args->fields |= SET_REKEY_TIME;
	}
	if (has(dev->present, DIODE_A_REKEY_AFTER_FRAMES)) {
		args->rekey_after_frames = dev->rekey_after_frames;
		args->fields |= SET_REKEY_FRAMES;
	}
	if (has(dev->present, DIODE_A_MAX_SESSION_AGE)) {
		args->max_session_age = dev->max_session_age;
		args->fields |= SET_MAX_SESSION_AGE;
	}
	config_link_from_device(dev, args);
	if (has(dev->present, DIODE_A_PEER_PUBLIC_KEY)) {
		memcpy(args->peer_key, dev->peer_key, DIODE_KEY_LEN);
		args->fields |= SET_PEER;
	}
	if (has(secrets->present, DIODE_A_PRESHARED_KEY)) {
		memcpy(args->preshared_key, secrets->preshared_key,
		       DIODE_KEY_LEN);
		args->fields |= SET_PRESHARED_KEY;
	}
	if (has(dev->present, DIODE_A_REMOTE)) {
		args->remote = dev->remote;
		args->fields |= SET_REMOTE;
	}
	if (has(dev->present, DIODE_A_DEST_MAC)) {
		memcpy(args->dest_mac, dev->dest_mac, ETH_ALEN);
		args->fields |= SET_DEST_MAC;
	}
}

static int device_cb(const struct nlmsghdr *nlh, void *data)
{
	return device_parse(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

static int secrets_cb(const struct nlmsghdr *nlh, void *data)
{
	return secrets_parse(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

static void print_request_error(const char *context, int err,
				const char *extack)
{
	if (err != -EPERM) {
		genl_print_error(context, err, extack);
		return;
	}
	print_error("%s: showconf needs root (CAP_NET_ADMIN in the initial user namespace) to read the keys%s%s",
		    context, *extack ? ": " : "", extack);
}

/* Asks for the device and its keys; prints the error and returns -1. */
static int fetch(const char *ifname, const char *context,
		 struct device_info *dev, struct secrets *secrets)
{
	char buf[256];
	struct nlmsghdr *nlh;
	struct genl g;
	int ret;

	if (genl_open(&g, context))
		return -1;
	nlh = genl_msg_start(buf, g.family, DIODE_CMD_GET_DEVICE, NLM_F_ACK);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	ret = genl_request(&g, nlh, device_cb, dev);
	if (!ret) {
		nlh = secrets_build_request(buf, g.family, ifname);
		ret = genl_request(&g, nlh, secrets_cb, secrets);
	}
	if (ret)
		print_request_error(context, ret, g.extack);
	genl_close(&g);
	return ret ? -1 : 0;
}

static int write_all(int fd, const char *text, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		text += n;
		len -= n;
	}
	return 0;
}

static int print_config(const struct set_args *args, const char *context)
{
	char text[CONFIG_TEXT_SIZE];
	int len, ret = 0;

	len = config_format(text, sizeof(text), args);
	if (len < 0) {
		print_error("%s: the configuration does not fit %zu bytes",
			    context, sizeof(text));
		return 1;
	}
	if ((args->fields & (SET_PRIVATE_KEY | SET_PRESHARED_KEY)) &&
	    file_others_can_read(STDOUT_FILENO))
		print_error("%s: warning: writing secret keys to a file others can read; set umask 077 first",
			    context);
	if (fflush(stdout) || write_all(STDOUT_FILENO, text, len)) {
		print_error("%s: cannot write the output: %s", context,
			    strerror(errno));
		ret = 1;
	}
	sodium_memzero(text, sizeof(text));
	return ret;
}

int cmd_showconf(int argc, char *argv[])
{
	char context[sizeof("showconf ") + IFNAMSIZ];
	struct device_info dev;
	struct secrets secrets;
	struct set_args args;
	struct parse_error e;
	int ret = 1;

	if (argc != 1) {
		print_error("showconf: %s (usage: diodectl showconf DEV)",
			    argc ? "too many words" : "a device name is needed");
		return 1;
	}
	if (parse_ifname(argv[0], &e)) {
		print_error("showconf: %s", e.msg);
		return 1;
	}
	snprintf(context, sizeof(context), "showconf %s", argv[0]);
	memset(&secrets, 0, sizeof(secrets));
	memset(&args, 0, sizeof(args));
	if (fetch(argv[0], context, &dev, &secrets))
		goto out;
	config_from_device(&dev, &secrets, &args);
	/* A Lower line without a name would not go back through setconf. */
	if ((args.fields & SET_LOWER) && !args.lower_name[0]) {
		print_error("%s: the lower device (ifindex %u) has no name in this network namespace",
			    context, args.lower_ifindex);
		goto out;
	}
	if (!(args.fields & SET_PEER))
		print_error("%s: warning: the device has no peer PublicKey, which setconf needs",
			    context);
	ret = print_config(&args, context);
out:
	sodium_memzero(&secrets, sizeof(secrets));
	sodium_memzero(&args, sizeof(args));
	return ret;
}
