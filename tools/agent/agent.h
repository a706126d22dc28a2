/* SPDX-License-Identifier: GPL-2.0 */
/* What agent.c (run, check, status) shares with replay.c. */
#ifndef DIODE_AGENT_AGENT_H
#define DIODE_AGENT_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define SYSLOG_HDR 24		/* the sender's address before each message */
/* the longest record of the journal and the spool: MaxMessage's most, its
 * sender's address, or a notice */
#define AGENT_MAX_REC ((1u << 20) + 1024)

/* StateDir/NAME.ext of the channel c */
void agent_path(const struct conf *c, char *buf, size_t len, const char *ext);
/* The tx's socket to Remote, never fragmenting; a source port of 0 when
 * any_port (a replay beside a running tx): the fd, or -1 said why. */
int agent_tx_socket(const struct conf *c, bool any_port);
/* UDP payload bytes per datagram on the socket's path (or MTU =) */
size_t agent_dgram(int sock, const struct conf *c);
/* The epoch in StateDir/NAME.tx: 0, or -1 said why. */
int agent_tx_epoch(const struct conf *c, uint64_t *epoch);

int replay_cmd(const char *file, int nranges, char **ranges);

#endif
