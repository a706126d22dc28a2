/* SPDX-License-Identifier: GPL-2.0 */
/* A generic netlink connection to the diode family. */
#ifndef _DIODECTL_GENL_H
#define _DIODECTL_GENL_H

#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/* Room for the largest message the kernel sends: one device, or an error. */
#define GENL_RECV_SIZE	32768

struct genl {
	struct mnl_socket *nl;
	uint16_t family;
	/* The DIODE_MCGRP_MONITOR group, 0 when the module has none. */
	uint32_t monitor_group;
	uint32_t portid;
	uint32_t seq;
	/* The kernel's extended ack message for the last error, or "". */
	char extack[256];
};

/*
 * Opens the socket and finds the diode family. On failure prints the reason
 * after context (the command) and returns -1.
 */
int genl_open(struct genl *g, const char *context);
void genl_close(struct genl *g);

/*
 * Takes g->family and g->monitor_group from the controller's reply to
 * CTRL_CMD_GETFAMILY; what the reply lacks stays as it was. Returns
 * MNL_CB_OK, or MNL_CB_ERROR when its attributes are malformed.
 */
int genl_parse_family(const struct nlmsghdr *nlh, struct genl *g);

/* Starts a request of the diode family: netlink and generic headers. */
struct nlmsghdr *genl_msg_start(void *buf, uint16_t family, uint8_t cmd,
				uint16_t flags);

/*
 * Sends nlh and feeds every reply message to data_cb, until the ack or the
 * end of the dump. Returns 0 or a negative errno, with g->extack filled.
 */
int genl_request(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t data_cb,
		 void *data);

/*
 * The status an NLMSG_ERROR or NLMSG_DONE message carries: 0 or a negative
 * errno, and the extended ack message, if any, copied to extack.
 */
int genl_msg_status(const struct nlmsghdr *nlh, char *extack,
		    size_t extack_size);

/* Prints "diodectl: CONTEXT: strerror(-err)[: extack]". */
void genl_print_error(const char *context, int err, const char *extack);

#endif /* _DIODECTL_GENL_H */
