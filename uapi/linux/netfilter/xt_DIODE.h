/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The DIODE xtables target: send the matched packet, or a copy of it, into a
 * diode device. Shared by xt_DIODE.ko and the iptables extension libxt_DIODE.
 */
#ifndef _UAPI_XT_DIODE_H
#define _UAPI_XT_DIODE_H

#include <linux/if.h>
#include <linux/types.h>

/* Send a copy and let the original packet continue on its way. */
#define XT_DIODE_COPY	(1U << 0)
#define XT_DIODE_FLAGS	XT_DIODE_COPY

struct xt_diode_tginfo {
	/* The device is bound by name, NUL-terminated: it may come and go
	 * while the rule exists.
	 */
	char dev[IFNAMSIZ];
	__u32 flags;
};

#endif /* _UAPI_XT_DIODE_H */
