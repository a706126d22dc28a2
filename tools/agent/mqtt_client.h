/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One connection to an MQTT broker through libmosquitto, driven by the
 * caller's epoll loop (docs/mqtt.md, "The broker connection"). The tx
 * subscribes to its Topic filters on a persistent session and hands every
 * message to ops->message; the rx publishes with mqc_publish.
 *
 * The loop, each turn:
 *	fd = mqc_fd(c), when not -1: EPOLL_CTL_MOD it to mqc_events(c), and
 *	    EPOLL_CTL_ADD it when that fails with ENOENT: a new connection's
 *	    socket, which may have the old one's number (a comparison of
 *	    numbers cannot tell them apart). The old one is closed already
 *	    (epoll forgot it): never DEL it, its number may be another fd of
 *	    the caller's by then;
 *	epoll_wait with at most mqc_tick()'s timeout;
 *	mqc_io(c, revents, now) when it fired; mqc_tick(c, now) every turn;
 *	exit 1 when mqc_fatal(c) (the reason was printed).
 */
#ifndef DIODE_AGENT_MQTT_CLIENT_H
#define DIODE_AGENT_MQTT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosquitto.h>

#include "conf.h"

/* Publishes handed to libmosquitto and not yet done (see mqc_publish). */
#define MQC_MAX_INFLIGHT 1024
/* Packets read in one mqc_io at most, so other fds get their turn. */
#define MQC_READ_BURST 64
#define MQC_BACKOFF_MIN_MS 500
#define MQC_BACKOFF_MAX_MS 10000

struct mqc_ops {
	/*
	 * tx: a message from the broker; props is NULL with MQTT 3.1.1. It
	 * may still be called a few times in the mqc_io that follows
	 * mqc_pause(true) (libmosquitto reads the packets it has begun).
	 */
	void (*message)(void *ctx, const struct mosquitto_message *m, const mosquitto_property *props);
	/* The broker accepted CONNECT (tx: the SUBSCRIBE is sent). */
	void (*connected)(void *ctx, bool session_present);
	/* The connection that connected reported is gone; a new one is tried. */
	void (*disconnected)(void *ctx);
	void *ctx;
};

enum mqc_state { MQC_IDLE, MQC_CONNECTING, MQC_UP, MQC_FATAL };

struct mqc {
	struct mosquitto *mosq;
	bool lib_ref;			/* counted in mosquitto_lib_init's users */
	struct mqc_ops ops;
	char broker[300];		/* host:port, for messages */
	char host[256];
	bool numeric;			/* host is an address: no lookup */
	struct mqc_lookup *lookup;	/* the name's lookup under way */
	char client_id[64];		/* for messages (cut) */
	uint16_t port;
	int keepalive_s;
	uint64_t now_ms;		/* the caller's time at the last mqc_io or mqc_tick */
	bool tx;
	int version;			/* MQTT_PROTOCOL_V5 or _V311 */
	enum mqc_state state;
	uint64_t next_ms;		/* IDLE: the next attempt */
	uint32_t backoff_ms;
	bool paused, read_now;
	uint32_t max_packet;		/* the broker's Maximum Packet Size (MQTT 5), 0: none */
	int fails_before_connack;	/* attempts closed without a CONNACK, in a row */
	int ntopics;
	char **topics;
	int sub_mid;
	/* rx: what mqc_publish handed to libmosquitto */
	size_t inflight;		/* QoS 1 and 2 not yet acknowledged */
	size_t qos0_pending;		/* QoS 0 not yet written to the socket */
	uint8_t *qos0_mids;		/* a bit per message id of those */
	bool in_qos0_publish, qos0_done_now;
	char last_say[512];		/* the last message printed, not repeated */
	/* counters, for the channel's status */
	uint64_t connects;		/* CONNACKs accepted */
	uint64_t published;		/* acknowledged (QoS 0: written) */
	uint64_t publish_refused;	/* acknowledged with a failure reason (MQTT 5) */
	uint64_t qos0_lost;		/* QoS 0 queued when a connection was lost */
	uint64_t received;		/* messages handed to ops->message */
	int subs_refused;		/* Topic filters the broker refused */
	bool subscribed;		/* tx: the SUBACK came, a filter or more granted */
};

/* 0, or -1 with the reason printed. Nothing is sent before mqc_tick. */
int mqc_init(struct mqc *c, const struct conf *cf, const struct mqc_ops *ops);
void mqc_free(struct mqc *c);
/* The socket to watch, or -1. */
int mqc_fd(const struct mqc *c);
/* EPOLLIN, | EPOLLOUT when there is something to write; 0 while paused with nothing to write. */
uint32_t mqc_events(const struct mqc *c);
void mqc_io(struct mqc *c, uint32_t revents, uint64_t now_ms);
/* Keepalive, timeouts, (re)connection with backoff: ms until it wants a tick again. */
int64_t mqc_tick(struct mqc *c, uint64_t now_ms);
/* The broker refused something retrying will not fix; the reason was printed. */
int mqc_fatal(const struct mqc *c);
bool mqc_connected(const struct mqc *c);
/* tx: stop reading from the broker, so that TCP holds it back and it queues. */
void mqc_pause(struct mqc *c, bool on);
/*
 * rx: 0 when libmosquitto took it; -1 when not connected or MQC_MAX_INFLIGHT
 * are under way (keep it, try again later); -2 when it can never be sent
 * (a topic or properties libmosquitto refuses, larger than the broker's
 * maximum packet size): the reason is printed once.
 */
int mqc_publish(struct mqc *c, const char *topic, const void *payload, uint32_t len, int qos,
		bool retain, const mosquitto_property *props);
size_t mqc_inflight(const struct mqc *c);

#endif
