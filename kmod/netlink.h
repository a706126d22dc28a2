/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_NETLINK_H
#define _DIODE_NETLINK_H

int diode_genetlink_init(void);
void diode_genetlink_uninit(void);

#endif /* _DIODE_NETLINK_H */
