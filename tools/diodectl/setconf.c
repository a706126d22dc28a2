// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl setconf and addconf: a configuration file becomes one
 * DIODE_CMD_SET_DEVICE request. The whole file is read and checked before
 * anything is sent, and the kernel applies the request all or nothing, so a
 * mistake anywhere in the file leaves the device as it was. setconf's
 * request carries the replace flag: the kernel, not diodectl, knows what
 * the settings the file leaves out go back to.
 */
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "diodectl.h"
#include "set.h"

static int usage_error(const char *cmd, int argc)
{
	const char *what;

	if (argc < 1)
		what = "a device name is needed";
	else if (argc < 2)
		what = "a configuration file is needed (a path, or - for stdin)";
	else
		what = "too many words";
	print_error("%s: %s (usage: diodectl %s DEV FILE)", cmd, what, cmd);
	return 1;
}

static void warn_if_others_can_read(const struct config_text *t,
				    const struct device *dev,
				    const char *context)
{
	if (!t->others_can_read ||
	    (!device_has(dev, DIODE_A_PRIVATE_KEY) &&
	     !device_has(dev, DIODE_A_PRESHARED_KEY)))
		return;
	if (!strcmp(t->name, "stdin"))
		print_error("%s: warning: the file on stdin holds secret keys and others can read it",
			    context);
	else
		print_error("%s: warning: %s holds secret keys and others can read it (chmod 600 %s)",
			    context, t->name, t->name);
}

static int run_conf(const char *cmd, enum config_kind kind, int argc,
		    char *argv[])
{
	char context[sizeof("setconf ") + IFNAMSIZ];
	struct config_text t;
	struct parse_error e;
	struct device dev;
	unsigned int line;
	int ret = 1;

	if (argc != 2)
		return usage_error(cmd, argc);
	if (parse_ifname(argv[0], &e)) {
		print_error("%s: %s", cmd, e.msg);
		return 1;
	}
	snprintf(context, sizeof(context), "%s %s", cmd, argv[0]);
	memset(&dev, 0, sizeof(dev));
	if (config_read(argv[1], &t, &e)) {
		print_error("%s: %s", context, e.msg);
		goto out;
	}
	if (config_parse(t.text, t.len, kind, &dev, &line, &e)) {
		print_error("%s: %s:%u: %s", context, t.name, line, e.msg);
		goto out;
	}
	warn_if_others_can_read(&t, &dev, context);
	config_text_free(&t);
	strcpy(dev.ifname, argv[0]);
	ret = set_apply(&dev, context);
out:
	config_text_free(&t);
	sodium_memzero(&dev, sizeof(dev));
	return ret;
}

int cmd_setconf(int argc, char *argv[])
{
	return run_conf("setconf", CONFIG_SET, argc, argv);
}

int cmd_addconf(int argc, char *argv[])
{
	return run_conf("addconf", CONFIG_ADD, argc, argv);
}
