// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl set and reset-sessions. set checks every word and reads every
 * key file before the one request goes out, and the kernel applies that
 * request all or nothing, so a mistake anywhere leaves the device as it
 * was.
 */
#include <sodium.h>

#include "diodectl.h"
#include "ipc.h"
#include "keys.h"
#include "settings.h"

/* A key given as "none" stays all zeros, which removes it. */
static int read_secret_keys(struct device *dev, struct parse_error *e)
{
	if (device_has(dev, DIODE_A_PRIVATE_KEY) && dev->private_key_file &&
	    key_read_file("private-key", dev->private_key_file,
			  dev->private_key, e))
		return -1;
	if (device_has(dev, DIODE_A_PRESHARED_KEY) &&
	    dev->preshared_key_file &&
	    key_read_file("preshared-key", dev->preshared_key_file,
			  dev->preshared_key, e))
		return -1;
	return 0;
}

/* Prints how a request ended: the kernel's error, or its warning. */
static int report(struct ipc *ipc, int ret, const char *context)
{
	if (ret)
		print_error("%s: %s", context, ipc->error);
	else if (ipc->extack[0])
		print_error("%s: warning: %s", context, ipc->extack);
	return ret ? 1 : 0;
}

int set_apply(const struct device *dev, const char *context)
{
	struct ipc ipc;
	int ret;

	if (ipc_open(&ipc)) {
		print_error("%s: %s", context, ipc.error);
		return 1;
	}
	ret = report(&ipc, ipc_set_device(&ipc, dev), context);
	ipc_close(&ipc);
	return ret;
}

int cmd_set(int argc, char *argv[])
{
	char context[sizeof("set ") + IFNAMSIZ];
	struct parse_error e;
	struct device dev;
	int ret;

	if (settings_from_words(argc, argv, &dev, &e) ||
	    read_secret_keys(&dev, &e)) {
		print_error("set%s%s: %s", dev.ifname[0] ? " " : "",
			    dev.ifname, e.msg);
		ret = 1;
	} else {
		snprintf(context, sizeof(context), "set %s", dev.ifname);
		ret = set_apply(&dev, context);
	}
	sodium_memzero(&dev, sizeof(dev));
	return ret;
}

int cmd_reset_sessions(int argc, char *argv[])
{
	char context[sizeof("reset-sessions ") + IFNAMSIZ];
	struct parse_error e;
	struct ipc ipc;
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
	if (ipc_open(&ipc)) {
		print_error("%s: %s", context, ipc.error);
		return 1;
	}
	ret = report(&ipc, ipc_reset_sessions(&ipc, argv[0]), context);
	ipc_close(&ipc);
	return ret;
}
