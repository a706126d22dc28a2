/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _DIODECTL_MONITOR_H
#define _DIODECTL_MONITOR_H

#include <stdio.h>

#include "ipc.h"

/* "diode0: carrier on", a line. */
void link_event_print(FILE *f, const struct link_event *event);

#endif /* _DIODECTL_MONITOR_H */
