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

#include <sodium.h>

#include "config.h"
#include "diodectl.h"
#include "ipc.h"
#include "keys.h"

/* Asks for the device and its keys; prints the error and returns -1. */
static int fetch(const char *ifname, const char *context, struct device *dev)
{
	struct ipc ipc;
	int ret;

	if (ipc_open(&ipc)) {
		print_error("%s: %s", context, ipc.error);
		return -1;
	}
	ret = ipc_get_device(&ipc, ifname, dev);
	if (!ret)
		ret = ipc_get_secrets(&ipc, dev);
	if (ret == -EPERM)
		print_error("%s: showconf needs root (CAP_NET_ADMIN in the initial user namespace) to read the keys%s%s",
			    context, ipc.extack[0] ? ": " : "", ipc.extack);
	else if (ret)
		print_error("%s: %s", context, ipc.error);
	ipc_close(&ipc);
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

static int print_config(const struct device *dev, const char *context)
{
	char text[CONFIG_TEXT_SIZE];
	int len, ret = 0;

	len = config_format(text, sizeof(text), dev);
	if (len < 0) {
		print_error("%s: the configuration does not fit %zu bytes",
			    context, sizeof(text));
		return 1;
	}
	if ((device_has(dev, DIODE_A_PRIVATE_KEY) ||
	     device_has(dev, DIODE_A_PRESHARED_KEY)) &&
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
	char lower[IF_NAMESIZE];
	struct parse_error e;
	struct device dev;
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
	memset(&dev, 0, sizeof(dev));
	if (fetch(argv[0], context, &dev))
		goto out;
	/* A Lower line without a name would not go back through setconf. */
	if (device_has(&dev, DIODE_A_LOWER_IFINDEX) && dev.lower_ifindex &&
	    !if_indextoname(dev.lower_ifindex, lower)) {
		print_error("%s: the lower device (ifindex %u) has no name in this network namespace",
			    context, dev.lower_ifindex);
		goto out;
	}
	if (!device_has(&dev, DIODE_A_PEER_PUBLIC_KEY))
		print_error("%s: warning: the device has no peer PublicKey, which setconf needs",
			    context);
	ret = print_config(&dev, context);
out:
	sodium_memzero(&dev, sizeof(dev));
	return ret;
}
