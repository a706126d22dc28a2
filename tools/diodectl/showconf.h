/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODECTL_SHOWCONF_H
#define _DIODECTL_SHOWCONF_H

#include <libmnl/libmnl.h>

#include "parse.h"
#include "show.h"

/* One DIODE_CMD_GET_SECRETS reply. */
struct secrets {
	unsigned int present;	/* 1 << DIODE_A_PRIVATE_KEY, _PRESHARED_KEY */
	uint8_t private_key[DIODE_KEY_LEN];
	uint8_t preshared_key[DIODE_KEY_LEN];
};

/* DIODE_CMD_GET_SECRETS of the device ifname. */
struct nlmsghdr *secrets_build_request(void *buf, uint16_t family,
				       const char *ifname);

/* Returns 0, or -1 with errno EBADMSG when the reply is malformed. */
int secrets_parse(const struct nlmsghdr *nlh, struct secrets *secrets);

/*
 * The configuration of a device, as setconf would apply it. The lower
 * device is named as in this network namespace; args->lower_name is "" when
 * it has no name here.
 */
void config_from_device(const struct device_info *dev,
			const struct secrets *secrets, struct set_args *args);

#endif /* _DIODECTL_SHOWCONF_H */
