// SPDX-License-Identifier: GPL-2.0
/*
 * The MQTT benchmark's publisher and subscribers (bench_mqtt.sh), MQTT 5
 * clients of a broker on libmosquitto, not threaded, each on its own
 * poll loop:
 *   mqttgen pub HOST PORT TOPIC COUNT SIZE QOS
 *       COUNT messages of SIZE bytes on TOPIC, numbered from 0 (the number
 *       in decimal, a space, x up to SIZE), as fast as the broker takes
 *       them: QoS 0 paced by the socket alone (the next message when the
 *       last one is written), QoS 1 and 2 with at most WINDOW unacknowledged.
 *       Prints "COUNT ms" from the first message to the last written or
 *       acknowledged.
 *   mqttgen retain HOST PORT PREFIX N SIZE
 *       N retained messages of SIZE bytes, QoS 1, on PREFIX/0 to PREFIX/N-1
 *       (topic i holds number i); prints "N ms".
 *   mqttgen sub HOST PORT FILTER COUNT IDLE_MS [QOS]
 *       subscribes to FILTER (QoS 1 unless given), then counts the numbered
 *       messages 0 to COUNT-1 until all of them arrived, or IDLE_MS without
 *       any after the first (10 minutes before it); prints "received
 *       first_to_last_ms duplicates missing", received counting duplicates.
 *   mqttgen topics HOST PORT FILTER N IDLE_MS
 *       subscribes to FILTER and counts the distinct topics whose last level
 *       is a number below N until there are N, or IDLE_MS without a message
 *       (before the first one too); prints "distinct ms_since_subscribed
 *       first_to_last_ms duplicates", the times to the last new topic
 *       (duplicates: messages on a topic already counted).
 * Both subscribers write "subscribed" on stderr once the broker granted the
 * subscription, so that a script starts the publisher after that.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#define WINDOW 1000		/* QoS 1 and 2 messages unacknowledged at most */
#define FIRST_WAIT_MS 600000	/* a subscriber's wait for its first message */

static struct {
	struct mosquitto *m;
	bool connected, subscribed, failed;
	unsigned long done;		/* publisher: written (QoS 0) or acknowledged */
	/* subscribers */
	unsigned long count, distinct, received, dups, foreign;
	uint8_t *seen;			/* a bit per number or topic */
	bool topics;			/* count topics, not numbers */
	double first_ms, last_ms, heard_ms;
} g;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
		       const mosquitto_property *p)
{
	(void)m, (void)obj, (void)flags, (void)p;
	if (rc) {
		fprintf(stderr, "mqttgen: connection refused: %s\n", mosquitto_reason_string(rc));
		g.failed = true;
		return;
	}
	g.connected = true;
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *p)
{
	(void)m, (void)obj, (void)p;
	if (rc)
		fprintf(stderr, "mqttgen: connection lost: %s\n", mosquitto_strerror(rc));
	g.connected = false;
	g.failed = true;
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int reason,
		       const mosquitto_property *p)
{
	(void)m, (void)obj, (void)mid, (void)p;
	if (reason >= 0x80)
		fprintf(stderr, "mqttgen: the broker refused a message: %s\n", mosquitto_reason_string(reason));
	g.done++;
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted,
			 const mosquitto_property *p)
{
	(void)m, (void)obj, (void)mid, (void)p;
	if (n < 1 || granted[0] >= 0x80) {
		fprintf(stderr, "mqttgen: subscription refused\n");
		g.failed = true;
		return;
	}
	g.subscribed = true;
	fprintf(stderr, "subscribed\n");
}

/* The decimal number at s (n bytes), up to a space or the end; -1 if none. */
static long long number(const char *s, size_t n)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < n && s[i] != ' '; i++) {
		if (s[i] < '0' || s[i] > '9' || i > 15)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return i ? (long long)v : -1;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
		       const mosquitto_property *p)
{
	long long k;

	(void)m, (void)obj, (void)p;
	g.heard_ms = now_ms();
	if (g.topics) {
		const char *slash = strrchr(msg->topic, '/');
		const char *t = slash ? slash + 1 : msg->topic;

		k = number(t, strlen(t));
	} else {
		k = number(msg->payload, msg->payloadlen);
	}
	if (k < 0 || (unsigned long long)k >= g.count) {
		g.foreign++;
		return;
	}
	g.received++;
	if (!g.first_ms)
		g.first_ms = g.heard_ms;
	if (g.seen[k / 8] & (1u << (k % 8))) {
		g.dups++;
		return;
	}
	g.seen[k / 8] |= 1u << (k % 8);
	g.distinct++;
	g.last_ms = g.heard_ms;
}

/*
 * One turn of the loop: wait for the socket up to timeout ms, read what
 * came (every packet there is), write what is queued. -1 when the
 * connection is gone.
 */
static int turn(int timeout)
{
	struct pollfd p = { .fd = mosquitto_socket(g.m), .events = POLLIN };
	int rc = 0, i;

	if (p.fd < 0)
		return -1;
	if (mosquitto_want_write(g.m))
		p.events |= POLLOUT;
	if (poll(&p, 1, timeout) < 0 && errno != EINTR)
		return -1;
	if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
		/*
		 * libmosquitto reads one packet a call when nothing is queued
		 * for QoS 1 or 2: read on until the socket is empty (EAGAIN).
		 */
		for (i = 0; i < 4096; i++) {
			errno = 0;
			rc = mosquitto_loop_read(g.m, 1);
			if (rc || errno == EAGAIN || errno == EWOULDBLOCK)
				break;
		}
	}
	if (!rc && (p.revents & POLLOUT))
		rc = mosquitto_loop_write(g.m, 1);
	if (!rc)
		rc = mosquitto_loop_misc(g.m);
	if (rc == MOSQ_ERR_NO_CONN && !g.failed)
		return 0;
	return rc || g.failed ? -1 : 0;
}

static int start(const char *host, int port)
{
	double t0;

	mosquitto_lib_init();
	g.m = mosquitto_new(NULL, true, NULL);
	if (!g.m)
		return -1;
	mosquitto_int_option(g.m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_connect_v5_callback_set(g.m, on_connect);
	mosquitto_disconnect_v5_callback_set(g.m, on_disconnect);
	mosquitto_publish_v5_callback_set(g.m, on_publish);
	mosquitto_subscribe_v5_callback_set(g.m, on_subscribe);
	mosquitto_message_v5_callback_set(g.m, on_message);
	if (mosquitto_connect(g.m, host, port, 60)) {
		fprintf(stderr, "mqttgen: cannot connect to %s:%d\n", host, port);
		return -1;
	}
	t0 = now_ms();
	while (!g.connected)
		if (turn(100) || now_ms() - t0 > 10000) {
			fprintf(stderr, "mqttgen: no CONNACK from %s:%d\n", host, port);
			return -1;
		}
	return 0;
}

static void finish(void)
{
	double t0 = now_ms();

	g.failed = false;
	mosquitto_disconnect(g.m);
	while (mosquitto_want_write(g.m) && now_ms() - t0 < 2000)
		if (turn(100))
			break;
	mosquitto_destroy(g.m);
	mosquitto_lib_cleanup();
}

/* COUNT messages on TOPIC, or with retain on TOPIC/i. */
static int pub(const char *host, int port, const char *topic, unsigned long count, int size,
	       int qos, bool retain)
{
	char *payload, t[1024];
	unsigned long i = 0;
	double t0;

	if (size < 20 || size > 1 << 20 || qos < 0 || qos > 2 || strlen(topic) > 1000)
		return 2;
	payload = malloc(size);
	if (!payload || start(host, port))
		return 1;
	memset(payload, 'x', size);
	t0 = now_ms();
	while (g.done < count) {
		/* QoS 0: the next message once the last one is written */
		while (i < count && !mosquitto_want_write(g.m) && i - g.done < WINDOW) {
			int n = snprintf(payload, size, "%lu ", i), rc;

			payload[n] = 'x';	/* snprintf's NUL */
			if (retain)
				snprintf(t, sizeof(t), "%s/%lu", topic, i);
			rc = mosquitto_publish_v5(g.m, NULL, retain ? t : topic, size, payload, qos,
						  retain, NULL);
			if (rc) {
				fprintf(stderr, "mqttgen: publish: %s\n", mosquitto_strerror(rc));
				return 1;
			}
			i++;
		}
		/* QoS 0: done once the last one is written (on_publish may come later) */
		if (!qos && i == count && !mosquitto_want_write(g.m))
			break;
		if (turn(i < count && !mosquitto_want_write(g.m) && i - g.done < WINDOW ? 0 : 1000)) {
			fprintf(stderr, "mqttgen: lost the broker after %lu of %lu\n", g.done, count);
			return 1;
		}
	}
	printf("%lu %.0f\n", count, now_ms() - t0);
	fflush(stdout);
	finish();
	free(payload);
	return 0;
}

static int sub(const char *host, int port, const char *filter, unsigned long count, int idle_ms,
	       int qos, bool topics)
{
	double t_sub = 0;

	if (!count || qos < 0 || qos > 2)
		return 2;
	g.count = count;
	g.topics = topics;
	g.seen = calloc(count / 8 + 1, 1);
	if (!g.seen || start(host, port))
		return 1;
	if (mosquitto_subscribe_v5(g.m, NULL, filter, qos, 0, NULL))
		return 1;
	while (!g.subscribed)
		if (turn(1000))
			return 1;
	t_sub = now_ms();
	/* silence counts from the last message of any kind */
	while (g.distinct < count) {
		double now = now_ms();
		double left = g.heard_ms ? g.heard_ms + idle_ms - now :
			      t_sub + (topics ? idle_ms : FIRST_WAIT_MS) - now;

		if (left <= 0 || turn(left < 1000 ? (int)left + 1 : 1000))
			break;
	}
	if (topics)
		printf("%lu %.0f %.0f %lu\n", g.distinct, g.last_ms ? g.last_ms - t_sub : 0,
		       g.last_ms ? g.last_ms - g.first_ms : 0, g.dups);
	else
		printf("%lu %.0f %lu %lu\n", g.received, g.last_ms ? g.last_ms - g.first_ms : 0,
		       g.dups, count - g.distinct);
	fflush(stdout);
	if (g.foreign)
		fprintf(stderr, "mqttgen: %lu messages not numbered below %lu\n", g.foreign, count);
	finish();
	free(g.seen);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 8 && !strcmp(argv[1], "pub"))
		return pub(argv[2], atoi(argv[3]), argv[4], strtoul(argv[5], NULL, 10), atoi(argv[6]),
			   atoi(argv[7]), false);
	if (argc == 7 && !strcmp(argv[1], "retain"))
		return pub(argv[2], atoi(argv[3]), argv[4], strtoul(argv[5], NULL, 10), atoi(argv[6]),
			   1, true);
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "sub"))
		return sub(argv[2], atoi(argv[3]), argv[4], strtoul(argv[5], NULL, 10), atoi(argv[6]),
			   argc > 7 ? atoi(argv[7]) : 1, false);
	if (argc == 7 && !strcmp(argv[1], "topics"))
		return sub(argv[2], atoi(argv[3]), argv[4], strtoul(argv[5], NULL, 10), atoi(argv[6]),
			   1, true);
	fprintf(stderr, "usage: mqttgen pub HOST PORT TOPIC COUNT SIZE QOS\n"
		"       mqttgen retain HOST PORT PREFIX N SIZE\n"
		"       mqttgen sub HOST PORT FILTER COUNT IDLE_MS [QOS]\n"
		"       mqttgen topics HOST PORT FILTER N IDLE_MS\n");
	return 2;
}
