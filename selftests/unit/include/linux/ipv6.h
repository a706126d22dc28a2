/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/ipv6.h>: messages.h takes the header's size. */
#ifndef _DIODE_SHIM_IPV6_H
#define _DIODE_SHIM_IPV6_H

#include <linux/types.h>

struct ipv6hdr {
	u8 bytes[40];
};

#endif
