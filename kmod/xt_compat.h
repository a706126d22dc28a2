/* SPDX-License-Identifier: GPL-2.0 */
/* What xt_DIODE needs to build on both 6.1 and 6.12. */
#ifndef _XT_DIODE_COMPAT_H
#define _XT_DIODE_COMPAT_H

#include <linux/version.h>

/* 6.5 moved skb_gso_validate_network_len() to its own header. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <net/gso.h>
#endif

#endif /* _XT_DIODE_COMPAT_H */
