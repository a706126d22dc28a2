/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODECTL_SET_H
#define _DIODECTL_SET_H

#include "device.h"

/*
 * Sends the one request that applies what dev has and waits for the ack;
 * prints any error after context. Returns the exit status.
 */
int set_apply(const struct device *dev, const char *context);

#endif /* _DIODECTL_SET_H */
