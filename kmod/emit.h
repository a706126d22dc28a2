/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODE_EMIT_H
#define _DIODE_EMIT_H

#include <linux/skbuff.h>

struct diode_device;

void diode_emit_init(struct diode_device *diode);
/* Sends a sealed frame, then its copies; bottom halves disabled. */
void diode_emit(struct diode_device *diode, struct sk_buff *skb,
		unsigned int redundancy);
/* Sends the copies still waiting for later frames; bottom halves disabled. */
void diode_emit_flush(struct diode_device *diode);
/* Drops whatever waits, once the device is down. */
void diode_emit_stop(struct diode_device *diode);

#endif /* _DIODE_EMIT_H */
