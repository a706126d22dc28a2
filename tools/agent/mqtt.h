/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MQTT channel of diode-agent (docs/mqtt.md): mqtt_tx.c subscribes to
 * the OT broker and sends records, the retained ones again by the
 * carousel; mqtt_rx.c publishes them on the IT broker, a retained topic
 * only when its content changed. mqtt.c is what both ends share: the
 * broker connection in the channel's loop, the state file, the clock.
 */
#ifndef DIODE_AGENT_MQTT_H
#define DIODE_AGENT_MQTT_H

#include <stdbool.h>
#include <stdint.h>

#include "chan.h"
#include "mqtt_client.h"
#include "mqtt_state.h"

/* The largest record a channel carries: a journal's record at most. */
#define MQTT_MAX_RECORD (CHAN_MAX_REC - 1024)

struct mqtt_broker {
	struct chan_fd cfd;
	struct mqc mq;
	uint32_t events;	/* what the loop watches for */
};

extern const struct chan_proto mqtt_tx_proto, mqtt_rx_proto;

/* The state table's clock: ms of the wall clock, which a restart keeps. */
uint64_t mqtt_clock_ms(void);
/* The broker, connecting at once; exits with the reason when it cannot. */
void mqtt_broker_start(struct mqtt_broker *b, const struct mqc_ops *ops);
/* Every turn: keepalive, reconnection, the socket watched as it wants. */
void mqtt_broker_tick(struct mqtt_broker *b, uint64_t now, int *timeout);
/* StateDir/NAME.state loaded into s (made empty when it does not check). */
void mqtt_table_load(struct mqtt_state *s);
void mqtt_table_save(const struct mqtt_state *s);

#endif
