// SPDX-License-Identifier: GPL-2.0
/*
 * What the two ends of an MQTT channel share (mqtt.h): the broker's
 * connection in the channel's loop, the retained state's file and clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "mqtt.h"

uint64_t mqtt_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void broker_io(struct chan_fd *f, uint32_t events, uint64_t now)
{
	struct mqtt_broker *b = (struct mqtt_broker *)f;

	mqc_io(&b->mq, events, now);
}

void mqtt_broker_start(struct mqtt_broker *b, const struct mqc_ops *ops)
{
	if (mqc_init(&b->mq, &chan_cf, ops))
		exit(1);
	conf_wipe(&chan_cf);
	b->cfd = (struct chan_fd){ -1, broker_io };
	b->events = 0;
}

void mqtt_broker_tick(struct mqtt_broker *b, uint64_t now, int *timeout)
{
	int64_t t = mqc_tick(&b->mq, now);
	int fd = mqc_fd(&b->mq);
	uint32_t ev;

	if (mqc_fatal(&b->mq)) {
		chan_stop(1);
		return;
	}
	if (t >= 0 && t < *timeout)
		*timeout = (int)t;
	if (fd < 0) {
		b->cfd.fd = -1;
		return;
	}
	/* every turn: a new connection may have the old one's number */
	ev = mqc_events(&b->mq);
	b->cfd.fd = fd;
	b->events = ev;
	chan_watch_set(&b->cfd, ev);
}

static void table_path(char *p, size_t len)
{
	chan_path(&chan_cf, p, len, "state");
}

void mqtt_table_load(struct mqtt_state *s)
{
	char p[512], err[256];

	if (mqtt_state_init(s, chan_cf.mqtt.max_topics, chan_cf.mqtt.max_state_bytes))
		chan_die("malloc");
	table_path(p, sizeof(p));
	switch (mqtt_state_load(s, p, err, sizeof(err))) {
	case 0:
		fprintf(stderr, "diode-agent: %s: %zu retained topics from %s\n",
			chan_cf.name, s->n, p);
		break;
	case 1:
		break;
	default:
		fprintf(stderr, "diode-agent: %s: %s: %s; starting empty\n", chan_cf.name, p, err);
	}
}

void mqtt_table_save(const struct mqtt_state *s)
{
	char p[512], err[256];

	table_path(p, sizeof(p));
	if (mqtt_state_save(s, p, err, sizeof(err)))
		fprintf(stderr, "diode-agent: %s: cannot save %s: %s\n", chan_cf.name, p, err);
}
