/* SPDX-License-Identifier: GPL-2.0 */
/* The syslog channel of diode-agent (syslog.c). */
#ifndef DIODE_AGENT_SYSLOG_H
#define DIODE_AGENT_SYSLOG_H

#include "chan.h"

#define SYSLOG_HDR 24		/* the sender's address before each message */

extern const struct chan_proto syslog_proto;

#endif
