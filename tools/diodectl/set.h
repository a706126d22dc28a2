/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODECTL_SET_H
#define _DIODECTL_SET_H

#include "genl.h"
#include "parse.h"

/* Room for a DIODE_CMD_SET_DEVICE request with every attribute. */
#define SET_REQUEST_SIZE	512

/* Builds the one DIODE_CMD_SET_DEVICE request that applies args. */
struct nlmsghdr *set_build_request(void *buf, uint16_t family,
				   const struct set_args *args);

/* DIODE_CMD_RESET_SESSIONS of the device ifname. */
struct nlmsghdr *reset_build_request(void *buf, uint16_t family,
				     const char *ifname);

/*
 * Opens the netlink socket, sends the request that applies args and waits
 * for the ack; prints any error after context. Returns the exit status.
 */
int set_send(const struct set_args *args, const char *context);

#endif /* _DIODECTL_SET_H */
