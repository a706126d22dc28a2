/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything diodectl says to the kernel and hears from it, over the
 * generic netlink family diode: a device read into the model, the model
 * sent as a SET_DEVICE request, and the link events of monitor. Nothing
 * here prints: a failure leaves its reason in ipc->error for the command.
 */
#ifndef _DIODECTL_IPC_H
#define _DIODECTL_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "device.h"

/* Room for the largest message the kernel sends: one device, or an error. */
#define IPC_RECV_SIZE		32768
/* Room for a DIODE_CMD_SET_DEVICE request with every attribute. */
#define IPC_SET_REQUEST_SIZE	512
/* Room for a request that names a device and nothing more. */
#define IPC_REQUEST_SIZE	256

struct ipc {
	struct mnl_socket *nl;
	uint16_t family;
	/* The DIODE_MCGRP_MONITOR group, 0 when the module has none. */
	uint32_t monitor_group;
	uint32_t portid;
	uint32_t seq;
	/* The kernel's extended ack message for the last request, or "". */
	char extack[256];
	/* Why the last call failed, to print after the command's context. */
	char error[512];
};

/*
 * Each call returns 0, or a negative errno with ipc->error saying why (and
 * ipc->extack the kernel's own message, when it gave one).
 */

/* Opens the socket and finds the diode family. */
int ipc_open(struct ipc *ipc);
void ipc_close(struct ipc *ipc);

/*
 * Reads the device ifname, or every device when ifname is NULL, and hands
 * each to cb (when not NULL), which returns MNL_CB_OK to go on.
 */
int ipc_get_devices(struct ipc *ipc, const char *ifname,
		    int (*cb)(const struct device *dev, void *data),
		    void *data);
int ipc_get_device(struct ipc *ipc, const char *ifname, struct device *dev);
/* Adds the secret keys of dev->ifname to dev (DIODE_CMD_GET_SECRETS). */
int ipc_get_secrets(struct ipc *ipc, struct device *dev);
/* Applies what dev has of the settings, in one request. */
int ipc_set_device(struct ipc *ipc, const struct device *dev);
int ipc_reset_sessions(struct ipc *ipc, const char *ifname);

/* One DIODE_CMD_LINK_EVENT notification. */
struct link_event {
	char ifname[IFNAMSIZ];
	bool carrier;
};

int ipc_monitor_join(struct ipc *ipc);
/* What poll() watches for the next events. */
int ipc_fd(const struct ipc *ipc);
/*
 * Receives what is there and hands each link event to cb, or NULL for one
 * that is malformed and skipped; cb returns MNL_CB_STOP to stop. Returns 0,
 * 1 when cb stopped, -ENOBUFS when events were lost, or a negative errno.
 */
int ipc_read_events(struct ipc *ipc,
		    int (*cb)(const struct link_event *event, void *data),
		    void *data);

/* The messages themselves, for the unit tests. */
struct nlmsghdr *ipc_msg_start(void *buf, uint16_t family, uint8_t cmd,
			       uint16_t flags);
/* A request of cmd that names the device ifname alone. */
struct nlmsghdr *ipc_build_request(void *buf, uint16_t family, uint8_t cmd,
				   uint16_t flags, const char *ifname);
struct nlmsghdr *ipc_build_set(void *buf, uint16_t family,
			       const struct device *dev);
/* Each returns 0, or -1 with errno EBADMSG when the message is malformed. */
int ipc_parse_device(const struct nlmsghdr *nlh, struct device *dev);
/* A rejected reply leaves no key behind. */
int ipc_parse_secrets(const struct nlmsghdr *nlh, struct device *dev);
/* 1 for a link event, 0 for another message of the family, or -1. */
int ipc_parse_link_event(const struct nlmsghdr *nlh, struct link_event *event);
/*
 * Takes ipc->family and ipc->monitor_group from the controller's reply to
 * CTRL_CMD_GETFAMILY; what the reply lacks stays as it was. Returns
 * MNL_CB_OK, or MNL_CB_ERROR when its attributes are malformed.
 */
int ipc_parse_family(const struct nlmsghdr *nlh, struct ipc *ipc);
/*
 * The status an NLMSG_ERROR or NLMSG_DONE message carries: 0 or a negative
 * errno, and the extended ack message, if any, copied to extack.
 */
int ipc_msg_status(const struct nlmsghdr *nlh, char *extack,
		   size_t extack_size);

#endif /* _DIODECTL_IPC_H */
