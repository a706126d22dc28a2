/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_VERSION_H
#define _DIODE_VERSION_H
#define DIODE_VERSION "0.1.0"
#endif
