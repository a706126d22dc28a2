/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/udp.h>: messages.h takes the header's size. */
#ifndef _DIODE_SHIM_UDP_H
#define _DIODE_SHIM_UDP_H

#include <linux/types.h>

struct udphdr {
	u8 bytes[8];
};

#endif
