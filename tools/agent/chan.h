/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The channel core of diode-agent: one event loop, the state files, and
 * the one-way transport's two ends. The tx end queues finished records
 * and sends them (numbered, paced, journalled, announced when dropped);
 * the rx end reassembles them and hands each to its protocol once. A
 * protocol (syslog.c) fills a struct chan_proto and never touches the
 * transport. See docs/agents.md.
 */
#ifndef DIODE_AGENT_CHAN_H
#define DIODE_AGENT_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "budget.h"
#include "conf.h"

/* the longest record of the journal and the spool: MaxMessage's most, its
 * protocol's header, or a notice */
#define CHAN_MAX_REC ((1u << 20) + 1024)

/* The configuration of the running channel. */
extern struct conf chan_cf;

/* A descriptor in the loop: protocols embed it and get it back in io. */
struct chan_fd {
	int fd;
	void (*io)(struct chan_fd *f, uint32_t events, uint64_t now);
};

struct chan_proto {
	const char *name;
	/* The largest record the tx queues, the rx accepts. */
	uint32_t (*max_record)(void);
	/* tx: open the protocol's side; stop reading while the queue is full */
	void (*tx_start)(void);
	void (*tx_pause)(bool on);
	void (*tx_status)(FILE *f);
	/* rx: open the protocol's side; each record once, in order of
	 * arrival; numbers lost; a new epoch of the tx */
	void (*rx_start)(void);
	void (*deliver)(uint64_t seq, const uint8_t *rec, uint32_t len);
	void (*gap)(uint64_t first, uint64_t last);
	void (*epoch)(uint64_t old, uint64_t epoch, uint64_t joined);
	/* rx: make durable what was delivered, before the state says so;
	 * its own lines in the state file (load: true when line is its) */
	void (*rx_commit)(void);
	void (*rx_save)(FILE *f);
	bool (*rx_load)(const char *line);
	/* rx: true while it still has output it can write before exit */
	bool (*rx_draining)(uint64_t now);
	void (*rx_status)(FILE *f);
	/* Both: every turn of the loop; lower *timeout_ms to be called sooner */
	void (*tick)(uint64_t now, int *timeout_ms);
	void (*stop)(void);
};

uint64_t chan_now_ms(void);
__attribute__((noreturn)) void chan_die(const char *what);
/* StateDir/NAME.ext of the channel c */
void chan_path(const struct conf *c, char *buf, size_t len, const char *ext);
/* A state file of this channel, whole or not at all; on disk before it
 * replaces the old one when durable. */
int chan_write_atomic(const char *ext, const char *data, size_t len, bool durable);
int chan_bound_socket(const struct addr *a, int type);

void chan_watch(struct chan_fd *f, uint32_t events);
void chan_rewatch(struct chan_fd *f, uint32_t events);
void chan_unwatch(struct chan_fd *f);

/* tx: queue a record made of two parts (a protocol's header, then its
 * data): 0, or -1 when it was dropped (counted, announced to the rx). */
int chan_tx_enqueue(const void *hdr, size_t hlen, const void *data, size_t len);
/* tx: queue a record of state, which the protocol sends again until it is
 * superseded: unnumbered, after the numbered records, never counted lost
 * (numbered when it does not fit a datagram). 0, or -1 when the state
 * queue was full (counted). */
int chan_tx_enqueue_state(const void *rec, size_t len);
size_t chan_tx_state_room(void);
/*
 * tx: a carousel's share of the channel's Rate (CarouselShare, percent):
 * the bytes a second the protocol's carousel of state may take, 0 when
 * the channel has no Rate (unbounded); and what one record of state sent
 * costs against it beyond its own bytes (the transport's header, UDP and
 * IP: a record alone in its datagram, which is the most it costs).
 */
uint64_t chan_carousel_bytes_s(uint32_t share);
uint32_t chan_state_overhead(void);
/*
 * A carousel paced by its share (a bg_credit at bytes_s): each record
 * charged with its bytes and chan_state_overhead().
 */
struct chan_share {
	uint64_t bytes_s;	/* 0: unbounded */
	struct bg_credit credit;
	uint64_t charged;	/* bytes taken, overhead included */
};
void chan_share_init(struct chan_share *s, uint32_t share);
bool chan_share_take(struct chan_share *s, size_t len, uint64_t now_ms);
/* tx: a record larger than max_record, given up at the source. */
void chan_tx_too_large(void);
/* tx: records the queue can still take. */
size_t chan_tx_room(void);

/* rx: the transport's receiver, its epoch and counters. */
struct da_rx;
const struct da_rx *chan_rx(void);

/* The channel's loop until SIGTERM or SIGINT, or chan_stop: the exit
 * status. */
int chan_run(const struct chan_proto *p);
/* End the loop as a signal would, then exit with status. */
void chan_stop(int status);
/* Watch f for events, whether or not the loop watched its fd before (a
 * descriptor closed and opened again under the same number is not). */
void chan_watch_set(struct chan_fd *f, uint32_t events);

/* For replay.c. The tx's socket to Remote, never fragmenting; a source
 * port of 0 when any_port (a replay beside a running tx): the fd, or -1
 * said why. */
int chan_tx_socket(const struct conf *c, bool any_port);
/* UDP payload bytes per datagram on the socket's path (or MTU =) */
size_t chan_dgram(int sock, const struct conf *c);
/* The epoch in StateDir/NAME.tx: 0, or -1 said why. */
int chan_tx_epoch(const struct conf *c, uint64_t *epoch);

#endif
