// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl monitor: listens to the DIODE_MCGRP_MONITOR group and prints
 * every change of carrier the kernel announces, a line at a time.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "diodectl.h"
#include "ipc.h"
#include "monitor.h"

void link_event_print(FILE *f, const struct link_event *event)
{
	text_write_safe(f, event->ifname);
	fprintf(f, ": carrier %s\n", event->carrier ? "on" : "off");
}

struct monitor {
	const char *ifname;	/* only this device's events, or all: NULL */
	const char *context;
};

static int monitor_event_cb(const struct link_event *event, void *data)
{
	struct monitor *m = data;

	if (!event) {
		print_error("%s: warning: a malformed link event, skipped",
			    m->context);
		return MNL_CB_OK;
	}
	if (m->ifname && strcmp(event->ifname, m->ifname))
		return MNL_CB_OK;
	link_event_print(stdout, event);
	/* Whoever reads a pipe sees each event as it comes. */
	if (fflush(stdout)) {
		print_error("%s: cannot write the output: %s", m->context,
			    strerror(errno));
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/*
 * SIGINT and SIGTERM arrive on a file descriptor that poll() watches with
 * the socket, so that no signal slips in between a check and a wait.
 */
static int monitor_signals(const char *context)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    (fd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		print_error("%s: cannot catch signals: %s", context,
			    strerror(errno));
		return -1;
	}
	return fd;
}

/* Returns the exit status: 0 after a signal, 1 after an error. */
static int monitor_loop(struct ipc *ipc, struct monitor *m, int signal_fd)
{
	struct pollfd fds[] = {
		{ .fd = ipc_fd(ipc), .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		if (poll(fds, ARRAY_SIZE(fds), -1) < 0) {
			if (errno == EINTR)
				continue;
			print_error("%s: poll: %s", m->context, strerror(errno));
			return 1;
		}
		if (fds[1].revents)
			return 0;
		ret = ipc_read_events(ipc, monitor_event_cb, m);
		if (ret == -ENOBUFS) {
			print_error("%s: warning: events were lost (the socket's buffer overflowed)",
				    m->context);
			continue;
		}
		/* Only a failed write stops monitor_event_cb(). */
		if (ret > 0)
			return 1;
		if (ret < 0) {
			print_error("%s: %s", m->context, ipc->error);
			return 1;
		}
	}
}

static int monitor_args(int argc, char *argv[], const char **ifname)
{
	struct parse_error e;

	*ifname = NULL;
	if (argc > 1) {
		print_error("monitor: unexpected word '%s' (usage: diodectl monitor [DEV])",
			    argv[1]);
		return -1;
	}
	if (argc && argv[0][0] == '-') {
		print_error("monitor: unknown option '%s' (usage: diodectl monitor [DEV])",
			    argv[0]);
		return -1;
	}
	if (argc && parse_ifname(argv[0], &e)) {
		print_error("monitor: %s", e.msg);
		return -1;
	}
	*ifname = argc ? argv[0] : NULL;
	return 0;
}

int cmd_monitor(int argc, char *argv[])
{
	char context[sizeof("monitor ") + IFNAMSIZ];
	struct monitor m;
	struct ipc ipc;
	int signal_fd, ret = 1;

	if (monitor_args(argc, argv, &m.ifname))
		return 1;
	snprintf(context, sizeof(context), "monitor%s%s", m.ifname ? " " : "",
		 m.ifname ? m.ifname : "");
	m.context = context;
	if (ipc_open(&ipc)) {
		print_error("%s: %s", context, ipc.error);
		return 1;
	}
	if (!ipc.monitor_group) {
		print_error("%s: the diode module has no '%s' multicast group (it is older than this diodectl)",
			    context, DIODE_MCGRP_MONITOR);
		goto out;
	}
	/*
	 * A device to watch must exist, so that a typo is not watched
	 * forever; it is checked before joining, as an event could pass for
	 * the reply.
	 */
	if ((m.ifname && ipc_get_devices(&ipc, m.ifname, NULL, NULL)) ||
	    ipc_monitor_join(&ipc)) {
		print_error("%s: %s", context, ipc.error);
		goto out;
	}
	signal_fd = monitor_signals(context);
	if (signal_fd >= 0) {
		ret = monitor_loop(&ipc, &m, signal_fd);
		close(signal_fd);
	}
out:
	ipc_close(&ipc);
	return ret;
}
