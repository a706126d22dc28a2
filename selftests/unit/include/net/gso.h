/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <net/gso.h>: nothing that the host code uses. */
#ifndef _DIODE_SHIM_GSO_H
#define _DIODE_SHIM_GSO_H
#endif
