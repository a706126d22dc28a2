/* SPDX-License-Identifier: GPL-2.0 */
/* Sizes of the wire format (docs/protocol.md) that the device depends on. */
#ifndef _DIODE_MESSAGES_H
#define _DIODE_MESSAGES_H

#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>

#include "frame.h"

enum {
	DIODE_OVERHEAD = DIODE_HEADER_LEN + DIODE_AUTHTAG_LEN,
	/* The largest outer header: IPv6 and UDP. */
	DIODE_OUTER_MAX = sizeof(struct ipv6hdr) + sizeof(struct udphdr),
	/*
	 * Room in front of an inner packet for what the device puts there: the
	 * diode header, the largest outer header and an Ethernet header as
	 * the stack reserves it (HH_DATA_MOD bytes). Every packet built for
	 * diode0 reserves this much, so each byte more is paid on every
	 * packet: with LL_MAX_HEADER (128 in Debian's kernels) a 64-byte
	 * datagram took a 1 KiB buffer, zeroed on allocation, where MACsec's
	 * took 512 bytes. A lower device that needs more room gets it where
	 * the frame leaves, at the cost of a copy.
	 */
	DIODE_HEADROOM = HH_DATA_MOD + DIODE_OUTER_MAX + DIODE_HEADER_LEN,
	DIODE_TAILROOM = DIODE_AUTHTAG_LEN,
	/* Fits an Ethernet link of 1500 bytes with an IPv6 outer header. */
	DIODE_DEFAULT_MTU = ETH_DATA_LEN - DIODE_OUTER_MAX - DIODE_OVERHEAD,
	DIODE_MAX_MTU = IP_MAX_MTU - DIODE_OUTER_MAX - DIODE_OVERHEAD,
};

#endif /* _DIODE_MESSAGES_H */
