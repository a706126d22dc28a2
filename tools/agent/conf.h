/* SPDX-License-Identifier: GPL-2.0 */
/* diode-agent's channel configuration file (docs/agents.md). */
#ifndef DIODE_AGENT_CONF_H
#define DIODE_AGENT_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool set;
};

struct conf {
	char name[64];
	bool tx;			/* Role */
	uint16_t id;			/* Id */
	char state_dir[256];		/* StateDir */
	struct addr local, remote;	/* [Transport] Local, Remote */
	char device[32];		/* Device */
	uint32_t mtu;			/* MTU: 0 = auto */
	uint32_t heartbeat_ms;		/* HeartbeatInterval */
	uint32_t reorder_ms;		/* ReorderWait */
	uint64_t rate_bps;		/* Rate */
	uint32_t queue;			/* Queue: messages */
	struct addr listen_udp, listen_tcp;	/* [Syslog] */
	uint32_t max_message;		/* MaxMessage */
	struct addr collector;		/* Collector */
	bool collector_tcp;
	uint64_t spool_bytes;		/* Spool: bytes on disk for the collector */
	uint64_t journal_bytes;		/* Journal: tx bytes on disk, 0 = none */
	char link[32];			/* Link: the shared budget's name, or "" */
	uint64_t link_rate_bps;		/* LinkRate */
	int priority;			/* Priority: 0 (highest) to 7 */
};

/* Read FILE (or stdin for "-"); on error print FILE:LINE: ... and fail. */
int conf_load(struct conf *c, const char *path);
int parse_addr(const char *s, struct addr *a, uint16_t default_port);
const char *addr_str(const struct addr *a, char *buf, size_t len);

#endif
