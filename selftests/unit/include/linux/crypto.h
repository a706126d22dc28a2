/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim for <linux/crypto.h>: nothing that the host code uses. */
#ifndef _DIODE_SHIM_CRYPTO_H
#define _DIODE_SHIM_CRYPTO_H
#endif
