// SPDX-License-Identifier: GPL-2.0
/*
 * The broker connection of an MQTT channel: libmosquitto 2.0.11, not
 * threaded, its socket in the agent's epoll loop. See mqtt_client.h and
 * docs/mqtt.md.
 */
#define _GNU_SOURCE	/* getaddrinfo_a */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "mqtt_client.h"

static int lib_users;

__attribute__((format(printf, 2, 3)))
static void say(struct mqc *c, const char *fmt, ...)
{
	char buf[sizeof(c->last_say)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* a broker that stays away would otherwise fill the journal every 10 s */
	if (!strcmp(buf, c->last_say))
		return;
	strcpy(c->last_say, buf);
	fprintf(stderr, "diode-agent: mqtt: %s\n", buf);
}

static const char *version_name(int v)
{
	return v == MQTT_PROTOCOL_V5 ? "MQTT 5" : "MQTT 3.1.1";
}

static void retry_later(struct mqc *c)
{
	c->next_ms = c->now_ms + c->backoff_ms;
	c->backoff_ms = c->backoff_ms * 2 > MQC_BACKOFF_MAX_MS ? MQC_BACKOFF_MAX_MS : c->backoff_ms * 2;
}

static void go_down(struct mqc *c)
{
	bool was_up = c->state == MQC_UP;

	if (c->state == MQC_FATAL || c->state == MQC_IDLE)
		return;
	c->state = MQC_IDLE;
	c->subscribed = false;
	retry_later(c);
	/*
	 * libmosquitto drops the QoS 0 packets it had not written (the next
	 * connect empties its packet queue); QoS 1 and 2 stay in its message
	 * list and go again after the next CONNACK, so they stay in flight.
	 */
	c->qos0_lost += c->qos0_pending;
	c->qos0_pending = 0;
	memset(c->qos0_mids, 0, 65536 / 8);
	if (was_up && c->ops.disconnected)
		c->ops.disconnected(c->ops.ctx);
}

static void fatal(struct mqc *c)
{
	c->state = MQC_FATAL;
	mosquitto_disconnect(c->mosq);
}

/* CONNACK reason codes that another attempt will get again. */
static bool refusal_is_final(int rc, int version)
{
	if (version != MQTT_PROTOCOL_V5)
		return rc != CONNACK_REFUSED_SERVER_UNAVAILABLE;
	switch (rc) {
	case MQTT_RC_SERVER_UNAVAILABLE:
	case MQTT_RC_SERVER_BUSY:
	case MQTT_RC_QUOTA_EXCEEDED:
	case MQTT_RC_CONNECTION_RATE_EXCEEDED:
	case MQTT_RC_UNSPECIFIED:
	case MQTT_RC_IMPLEMENTATION_SPECIFIC:
	case MQTT_RC_USE_ANOTHER_SERVER:
	case MQTT_RC_SERVER_MOVED:
		return false;
	}
	return true;
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props)
{
	struct mqc *c = obj;
	const char *why;

	(void)m;
	/*
	 * A second CONNACK is the broker's error, not an answer: libmosquitto
	 * drops the connection itself when it refuses, and it is tried again.
	 */
	if (c->state != MQC_CONNECTING)
		return;
	if (rc) {
		/* libmosquitto gives a 3.1.1 broker's refusal of MQTT 5 as 0x84 */
		bool version = rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION ||
			       (c->version != MQTT_PROTOCOL_V5 && rc == CONNACK_REFUSED_PROTOCOL_VERSION);
		bool creds = rc == MQTT_RC_BAD_USERNAME_OR_PASSWORD ||
			     (c->version != MQTT_PROTOCOL_V5 && rc == CONNACK_REFUSED_BAD_USERNAME_PASSWORD);
		bool authz = rc == MQTT_RC_NOT_AUTHORIZED ||
			     (c->version != MQTT_PROTOCOL_V5 && rc == CONNACK_REFUSED_NOT_AUTHORIZED);

		c->fails_before_connack = 0;
		why = c->version == MQTT_PROTOCOL_V5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc);
		if (version)
			say(c, "broker %s refused %s (%s): set Version = %s in [MQTT]", c->broker,
			    version_name(c->version), why, c->version == MQTT_PROTOCOL_V5 ? "3.1.1" : "5");
		else if (creds || authz)
			/* mosquitto 2.0 answers a wrong password with "not authorized" */
			say(c, "broker %s refused the client (%s): check Username and PasswordFile in [MQTT], "
			    "and the broker's access control for ClientId %s", c->broker, why, c->client_id);
		else
			say(c, "broker %s refused the connection: %s (%d)%s", c->broker, why, rc,
			    refusal_is_final(rc, c->version) ? "" : "; trying again");
		if (version || creds || authz || refusal_is_final(rc, c->version))
			fatal(c);
		return;
	}
	c->state = MQC_UP;
	c->max_packet = 0;
	if (props)
		mosquitto_property_read_int32(props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &c->max_packet, false);
	c->backoff_ms = MQC_BACKOFF_MIN_MS;
	c->fails_before_connack = 0;
	c->connects++;
	c->last_say[0] = 0;
	say(c, "connected to %s (%s%s)", c->broker, version_name(c->version),
	    c->tx && (flags & 1) ? ", session present" : "");
	if (c->tx) {
		/*
		 * As mosquitto's own bridge subscribes: no local, retain as
		 * published (so the retain flag of a live message survives),
		 * retained messages sent at every subscription (0). QoS 1, so
		 * that the persistent session queues while the agent is away.
		 * libmosquitto sends only the QoS with 3.1.1.
		 */
		rc = mosquitto_subscribe_multiple(c->mosq, &c->sub_mid, c->ntopics, c->topics, 1,
						  MQTT_SUB_OPT_NO_LOCAL | MQTT_SUB_OPT_RETAIN_AS_PUBLISHED |
						  MQTT_SUB_OPT_SEND_RETAIN_ALWAYS, NULL);
		if (rc) {
			say(c, "broker %s: SUBSCRIBE not sent: %s", c->broker, mosquitto_strerror(rc));
			return;
		}
	}
	if (c->ops.connected)
		c->ops.connected(c->ops.ctx, flags & 1);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int count, const int *granted,
			 const mosquitto_property *props)
{
	struct mqc *c = obj;
	int i, refused = 0;

	(void)m;
	(void)props;
	if (mid != c->sub_mid)
		return;
	for (i = 0; i < count && i < c->ntopics; i++) {
		if (granted[i] >= 0x80) {
			refused++;
			say(c, "broker %s refused Topic %s: %s", c->broker, c->topics[i],
			    c->version == MQTT_PROTOCOL_V5 ? mosquitto_reason_string(granted[i]) : "failure");
		} else if (granted[i] < 1) {
			say(c, "broker %s granted QoS 0 for Topic %s: what is published while the agent "
			    "is away is lost", c->broker, c->topics[i]);
		}
	}
	c->subs_refused = refused;
	c->subscribed = refused < c->ntopics;
	if (count != c->ntopics)
		say(c, "broker %s answered %d filters of %d", c->broker, count, c->ntopics);
	/* one filter refused is reported and the others carried; none carried is a setup to fix */
	if (refused && refused >= c->ntopics) {
		say(c, "broker %s refused every Topic filter: nothing would be carried", c->broker);
		fatal(c);
	}
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
		       const mosquitto_property *props)
{
	struct mqc *c = obj;

	(void)m;
	if (c->state == MQC_FATAL)
		return;
	c->received++;
	if (c->ops.message)
		c->ops.message(c->ops.ctx, msg, c->version == MQTT_PROTOCOL_V5 ? props : NULL);
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int reason, const mosquitto_property *props)
{
	struct mqc *c = obj;
	uint16_t id = mid;

	(void)m;
	(void)props;
	if (c->qos0_mids[id / 8] & (1u << (id % 8))) {
		c->qos0_mids[id / 8] &= ~(1u << (id % 8));
		c->qos0_pending--;
	} else if (c->in_qos0_publish) {
		/* the QoS 0 message being handed over, written at once */
		c->qos0_done_now = true;
	} else if (c->inflight) {
		c->inflight--;
	}
	c->published++;
	if (reason >= 0x80) {
		c->publish_refused++;
		say(c, "broker %s refused a message: %s", c->broker, mosquitto_reason_string(reason));
	}
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
	struct mqc *c = obj;

	(void)m;
	(void)props;
	if (c->state == MQC_FATAL)
		return;
	if (c->state == MQC_UP)
		say(c, "lost %s: %s", c->broker, rc >= 0x80 ? mosquitto_reason_string(rc) : mosquitto_strerror(rc));
	else if (c->state == MQC_CONNECTING && rc == MOSQ_ERR_CONN_LOST && c->version == MQTT_PROTOCOL_V5 &&
		 ++c->fails_before_connack >= 3)
		/* the silent failure practitioners meet: a hang-up, no CONNACK at all */
		say(c, "broker %s closed the connection %d times before answering CONNECT: a broker "
		    "that speaks only MQTT 3.1.1 does this: if so, set Version = 3.1.1 in [MQTT]",
		    c->broker, c->fails_before_connack);
	else if (c->state == MQC_CONNECTING && rc == MOSQ_ERR_CONN_LOST)
		say(c, "broker %s closed the connection before answering CONNECT", c->broker);
	else if (c->state == MQC_CONNECTING)
		say(c, "broker %s: %s", c->broker, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
	go_down(c);
}

static void on_log(struct mosquitto *m, void *obj, int level, const char *s)
{
	(void)m;
	/* TLS errors come only this way: which file, which verification */
	if (level & MOSQ_LOG_ERR)
		say(obj, "libmosquitto: %s", s);
}

/* An encrypted key would make OpenSSL ask on the terminal: refuse it. */
static int no_key_password(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return 0;
}

/*
 * libmosquitto looks the broker's name up with getaddrinfo, which blocks
 * the loop for as long as a resolver that does not answer takes (5 s a
 * try by default). So a name is first looked up here without waiting
 * (getaddrinfo_a, on a thread of glibc's), and libmosquitto called only
 * once that lookup succeeded: its own then gets the answer at once from
 * /etc/hosts or from the resolver that has just given it. The block is
 * allocated apart: a lookup that cannot be cancelled keeps writing in it.
 */
struct mqc_lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char host[256];
};

/* 1 while the name is being looked up, 0 when it was found, -1 on failure */
static int lookup(struct mqc *c)
{
	struct mqc_lookup *l = c->lookup;
	struct gaicb *list[1];
	int rc;

	if (c->numeric)
		return 0;
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			return -1;
		strcpy(l->host, c->host);
		l->hints.ai_family = AF_UNSPEC;
		l->hints.ai_socktype = SOCK_STREAM;
		l->cb.ar_name = l->host;
		l->cb.ar_request = &l->hints;
		list[0] = &l->cb;
		rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
		if (rc) {
			free(l);
			say(c, "broker %s: name lookup: %s", c->broker, gai_strerror(rc));
			return -1;
		}
		c->lookup = l;
	}
	rc = gai_error(&l->cb);
	if (rc == EAI_INPROGRESS)
		return 1;
	if (l->cb.ar_result)
		freeaddrinfo(l->cb.ar_result);
	free(l);
	c->lookup = NULL;
	if (rc) {
		say(c, "broker %s: name lookup: %s", c->broker, gai_strerror(rc == EAI_SYSTEM ? errno : rc));
		return -1;
	}
	return 0;
}

static void lookup_cancel(struct mqc *c)
{
	struct mqc_lookup *l = c->lookup;

	if (!l)
		return;
	c->lookup = NULL;
	/* not cancelled: glibc's thread still has it, left to it */
	if (gai_cancel(&l->cb) == EAI_NOTCANCELED)
		return;
	if (l->cb.ar_result)
		freeaddrinfo(l->cb.ar_result);
	free(l);
}

int mqc_init(struct mqc *c, const struct conf *cf, const struct mqc_ops *ops)
{
	const struct conf_mqtt *m = &cf->mqtt;
	/*
	 * The broker keeps the session while the agent is away: the tx's
	 * queues QoS 1 messages; the rx's tells it, by CONNACK's session
	 * present, whether the broker kept its state (its retained messages)
	 * since the last connection.
	 */
	bool clean = !m->session_expiry_s;
	mosquitto_property *props = NULL;
	int rc, i;

	memset(c, 0, sizeof(*c));
	c->ops = *ops;
	c->tx = cf->tx;
	c->version = m->version;
	c->state = MQC_IDLE;
	c->backoff_ms = MQC_BACKOFF_MIN_MS;
	strcpy(c->host, m->host);
	{
		unsigned char probe[16];

		c->numeric = inet_pton(AF_INET, m->host, probe) == 1 || inet_pton(AF_INET6, m->host, probe) == 1;
	}
	snprintf(c->client_id, sizeof(c->client_id), "%.*s", (int)sizeof(c->client_id) - 1, m->client_id);
	c->port = m->port;
	c->keepalive_s = m->keepalive_s;
	snprintf(c->broker, sizeof(c->broker), strchr(m->host, ':') ? "[%s]:%u" : "%s:%u", m->host, m->port);
	if (!lib_users++)
		mosquitto_lib_init();
	c->lib_ref = true;
	c->qos0_mids = calloc(1, 65536 / 8);
	c->mosq = mosquitto_new(m->client_id, clean, c);
	if (!c->qos0_mids || !c->mosq) {
		fprintf(stderr, "diode-agent: mqtt: %s\n", strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	if (cf->tx) {
		c->ntopics = m->ntopics;
		c->topics = calloc(m->ntopics, sizeof(*c->topics));
		if (!c->topics)
			goto nomem;
		for (i = 0; i < m->ntopics; i++)
			if (!(c->topics[i] = strdup(m->topics[i])))
				goto nomem;
	}
	mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, m->version);
	mosquitto_connect_v5_callback_set(c->mosq, on_connect);
	mosquitto_disconnect_v5_callback_set(c->mosq, on_disconnect);
	mosquitto_message_v5_callback_set(c->mosq, on_message);
	mosquitto_subscribe_v5_callback_set(c->mosq, on_subscribe);
	mosquitto_publish_v5_callback_set(c->mosq, on_publish);
	mosquitto_log_callback_set(c->mosq, on_log);
	if (m->username[0] &&
	    (rc = mosquitto_username_pw_set(c->mosq, m->username, m->has_password ? m->password : NULL))) {
		fprintf(stderr, "diode-agent: mqtt: Username: %s\n", mosquitto_strerror(rc));
		goto fail;
	}
	if (m->tls) {
		rc = mosquitto_tls_set(c->mosq, m->ca_file[0] ? m->ca_file : NULL,
				       m->ca_path[0] ? m->ca_path : NULL, m->cert_file[0] ? m->cert_file : NULL,
				       m->key_file[0] ? m->key_file : NULL, no_key_password);
		if (!rc)
			rc = mosquitto_tls_opts_set(c->mosq, 1, m->tls_version[0] ? m->tls_version : NULL, NULL);
		if (!rc)
			rc = mosquitto_tls_insecure_set(c->mosq, m->insecure);
		if (rc) {
			fprintf(stderr, "diode-agent: mqtt: TLS (CAFile, CAPath, CertFile, KeyFile): %s\n",
				mosquitto_strerror(rc));
			goto fail;
		}
	}
	if (m->version == MQTT_PROTOCOL_V5 && !clean) {
		/*
		 * libmosquitto 2.0.11 takes CONNECT properties only from
		 * mosquitto_connect_bind_v5, which connects blocking (a
		 * broker that does not answer SYN would hold the loop for
		 * minutes). That call stores the properties before it checks
		 * the keepalive, and the async connects send what is stored:
		 * an invalid keepalive of 1 stores them and connects nowhere.
		 */
		if (mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
						 m->session_expiry_s))
			goto nomem;
		rc = mosquitto_connect_bind_v5(c->mosq, m->host, m->port, 1, NULL, props);
		mosquitto_property_free_all(&props);
		if (rc != MOSQ_ERR_INVAL || mosquitto_socket(c->mosq) != -1) {
			fprintf(stderr, "diode-agent: mqtt: this libmosquitto does not take the session expiry "
				"as 2.0.11 does (%s)\n", mosquitto_strerror(rc));
			goto fail;
		}
	}
	return 0;
nomem:
	fprintf(stderr, "diode-agent: mqtt: %s\n", strerror(ENOMEM));
fail:
	mqc_free(c);
	return -1;
}

void mqc_free(struct mqc *c)
{
	int i;

	lookup_cancel(c);
	if (c->mosq)
		mosquitto_destroy(c->mosq);
	c->mosq = NULL;
	if (c->lib_ref && !--lib_users)
		mosquitto_lib_cleanup();
	c->lib_ref = false;
	for (i = 0; i < c->ntopics && c->topics; i++)
		free(c->topics[i]);
	free(c->topics);
	c->topics = NULL;
	c->ntopics = 0;
	free(c->qos0_mids);
	c->qos0_mids = NULL;
}

/*
 * -1 exactly when libmosquitto has no socket open (IDLE: it closed it
 * before it said so), so a caller never has to remove a closed fd from
 * its epoll set. FATAL keeps a socket until its DISCONNECT is written.
 */
int mqc_fd(const struct mqc *c)
{
	if (!c->mosq || c->state == MQC_IDLE)
		return -1;
	return mosquitto_socket(c->mosq);
}

uint32_t mqc_events(const struct mqc *c)
{
	uint32_t ev = 0;

	if (mqc_fd(c) < 0)
		return 0;
	if ((!c->paused || c->state != MQC_UP) && c->state != MQC_FATAL)
		ev |= EPOLLIN;
	if (mosquitto_want_write(c->mosq))
		ev |= EPOLLOUT;
	return ev;
}

/* After any libmosquitto call: a socket it closed is a connection gone. */
static void check(struct mqc *c, int rc)
{
	if (c->state == MQC_FATAL)
		return;
	if (rc || mosquitto_socket(c->mosq) < 0) {
		/* the TLS handshake's failures close the socket without on_disconnect */
		if (c->state != MQC_IDLE && rc && rc != MOSQ_ERR_CONN_REFUSED)
			say(c, "broker %s: %s", c->broker, mosquitto_strerror(rc));
		go_down(c);
	}
}

/*
 * mosquitto_loop_read reads one packet when no QoS 2 exchange is under
 * way (its max_packets is ignored): one epoll turn a message. So it is
 * called again while it stopped on a whole packet rather than on EAGAIN,
 * up to MQC_READ_BURST packets, and not once the caller paused.
 */
static int read_some(struct mqc *c)
{
	enum mqc_state was = c->state;
	int i, rc = 0;

	for (i = 0; i < MQC_READ_BURST; i++) {
		errno = 0;
		rc = mosquitto_loop_read(c->mosq, 1);
		if (rc || errno == EAGAIN || errno == EWOULDBLOCK || c->state != was ||
		    (c->paused && c->state == MQC_UP) || mosquitto_socket(c->mosq) < 0)
			break;
	}
	return rc;
}

void mqc_io(struct mqc *c, uint32_t revents, uint64_t now_ms)
{
	bool dying = revents & (EPOLLERR | EPOLLHUP);
	int rc = 0;

	if (mqc_fd(c) < 0)
		return;
	c->now_ms = now_ms;
	if (c->state == MQC_FATAL) {
		/* the DISCONNECT, after which libmosquitto closes the socket */
		if (revents & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			mosquitto_loop_write(c->mosq, 1);
		return;
	}
	/*
	 * While connecting, reading also drives the TLS handshake, which may
	 * wait for the socket to be writable. A socket in error is read even
	 * while paused, or epoll would report it forever.
	 */
	if (((revents & EPOLLIN) && (!c->paused || c->state != MQC_UP)) || dying ||
	    (c->state == MQC_CONNECTING && (revents & EPOLLOUT)))
		rc = read_some(c);
	check(c, rc);
	if (mqc_fd(c) >= 0 && (revents & EPOLLOUT)) {
		rc = mosquitto_loop_write(c->mosq, 1);
		check(c, rc);
	}
}

static void connect_now(struct mqc *c)
{
	int rc;

	/*
	 * Non-blocking connect: the CONNECT goes when the socket becomes
	 * writable (a name was looked up before: lookup()).
	 */
	c->state = MQC_CONNECTING;
	errno = 0;
	rc = mosquitto_connect_bind_async(c->mosq, c->host, c->port, c->keepalive_s, NULL);
	if (!rc && mosquitto_socket(c->mosq) >= 0)
		return;
	if (rc == MOSQ_ERR_EAI)
		say(c, "broker %s: %s", c->broker, gai_strerror(errno));
	else if (rc == MOSQ_ERR_ERRNO)
		say(c, "broker %s: %s", c->broker, strerror(errno));
	else
		say(c, "broker %s: %s", c->broker, mosquitto_strerror(rc));
	/*
	 * MOSQ_ERR_TLS here may be a file libmosquitto could not load as well
	 * as a handshake that failed at once (on loopback the broker answers
	 * before SSL_connect returns): tried again, the reason said once.
	 */
	go_down(c);
}

int64_t mqc_tick(struct mqc *c, uint64_t now_ms)
{
	int rc;

	c->now_ms = now_ms;
	if (c->state == MQC_IDLE) {
		if (now_ms < c->next_ms)
			return c->next_ms - now_ms;
		rc = lookup(c);
		if (rc > 0)
			return 10;
		if (rc < 0) {
			retry_later(c);
			return c->next_ms - now_ms;
		}
		connect_now(c);
	}
	if (c->state == MQC_FATAL)
		return 1000;
	if (c->state == MQC_IDLE)
		return c->next_ms > now_ms ? c->next_ms - now_ms : 0;
	if (c->read_now && !c->paused && c->state == MQC_UP) {
		/* TLS may hold records it decrypted before the pause */
		c->read_now = false;
		rc = mosquitto_loop_read(c->mosq, 1);
		check(c, rc);
	}
	if (c->state == MQC_UP || c->state == MQC_CONNECTING) {
		/* keepalive; it also gives up a connection without CONNACK after KeepAlive */
		rc = mosquitto_loop_misc(c->mosq);
		check(c, rc);
	}
	if (c->state == MQC_IDLE)
		return c->next_ms > now_ms ? c->next_ms - now_ms : 0;
	return 1000;
}

static uint32_t varint_len(uint32_t n)
{
	return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

/* The bytes of a property list in a packet (MQTT 5, 2.2.2.2). */
static uint32_t props_len(const mosquitto_property *props)
{
	const mosquitto_property *p;
	uint32_t n = 0;

	for (p = props; p; p = mosquitto_property_next(p)) {
		int id = mosquitto_property_identifier(p);
		char *a = NULL, *b = NULL;
		void *bin = NULL;
		uint16_t bl = 0;
		uint32_t v = 0;

		n += 1;
		switch (id) {
		case MQTT_PROP_PAYLOAD_FORMAT_INDICATOR: case MQTT_PROP_REQUEST_PROBLEM_INFORMATION:
		case MQTT_PROP_REQUEST_RESPONSE_INFORMATION: case MQTT_PROP_MAXIMUM_QOS:
		case MQTT_PROP_RETAIN_AVAILABLE: case MQTT_PROP_WILDCARD_SUB_AVAILABLE:
		case MQTT_PROP_SUBSCRIPTION_ID_AVAILABLE: case MQTT_PROP_SHARED_SUB_AVAILABLE:
			n += 1;
			break;
		case MQTT_PROP_SERVER_KEEP_ALIVE: case MQTT_PROP_RECEIVE_MAXIMUM:
		case MQTT_PROP_TOPIC_ALIAS_MAXIMUM: case MQTT_PROP_TOPIC_ALIAS:
			n += 2;
			break;
		case MQTT_PROP_SUBSCRIPTION_IDENTIFIER:
			mosquitto_property_read_varint(p, id, &v, false);
			n += varint_len(v);
			break;
		case MQTT_PROP_CORRELATION_DATA: case MQTT_PROP_AUTHENTICATION_DATA:
			mosquitto_property_read_binary(p, id, &bin, &bl, false);
			n += 2 + bl;
			break;
		case MQTT_PROP_USER_PROPERTY:
			mosquitto_property_read_string_pair(p, id, &a, &b, false);
			n += 4 + (a ? strlen(a) : 0) + (b ? strlen(b) : 0);
			break;
		case MQTT_PROP_CONTENT_TYPE: case MQTT_PROP_RESPONSE_TOPIC:
		case MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER: case MQTT_PROP_AUTHENTICATION_METHOD:
		case MQTT_PROP_RESPONSE_INFORMATION: case MQTT_PROP_SERVER_REFERENCE:
		case MQTT_PROP_REASON_STRING:
			mosquitto_property_read_string(p, id, &a, false);
			n += 2 + (a ? strlen(a) : 0);
			break;
		default:	/* the four-byte ones */
			n += 4;
		}
		free(a);
		free(b);
		free(bin);
	}
	return n;
}

/*
 * The whole PUBLISH packet. libmosquitto 2.0.11 checks a message against
 * the broker's Maximum Packet Size before queueing it with an estimate a
 * few bytes short (no fixed header byte, one byte of packet id), then
 * again exactly when it writes the packet, and there it logs without its
 * handle and fails an assert: the process aborts. So the exact size is
 * checked here first.
 */
static uint64_t publish_len(const struct mqc *c, size_t tlen, uint32_t len, int qos,
			    const mosquitto_property *props)
{
	uint64_t rem = 2 + tlen + (qos ? 2 : 0) + (uint64_t)len;
	uint32_t pl;

	if (c->version == MQTT_PROTOCOL_V5) {
		pl = props_len(props);
		rem += varint_len(pl) + pl;
	}
	return 1 + varint_len(rem > UINT32_MAX ? UINT32_MAX : (uint32_t)rem) + rem;
}

int mqc_publish(struct mqc *c, const char *topic, const void *payload, uint32_t len, int qos,
		bool retain, const mosquitto_property *props)
{
	int rc, mid = 0;

	/*
	 * libmosquitto 2.0.11 queues a QoS 1 or 2 message in its list
	 * before it finds there is no connection (and returns NO_CONN with
	 * it kept, to send after the next CONNACK), and its packet queue has
	 * no bound either: so nothing is handed over while not connected,
	 * and at most MQC_MAX_INFLIGHT are under way.
	 */
	if (c->state != MQC_UP || mqc_inflight(c) >= MQC_MAX_INFLIGHT)
		return -1;
	if (c->version != MQTT_PROTOCOL_V5)
		props = NULL;
	if (len > MQTT_MAX_PAYLOAD) {
		say(c, "a message to %s cannot be published: %s", topic, mosquitto_strerror(MOSQ_ERR_PAYLOAD_SIZE));
		return -2;
	}
	if (c->max_packet && publish_len(c, strlen(topic), len, qos, props) > c->max_packet) {
		say(c, "a message to %s cannot be published: larger than the broker's Maximum Packet Size, %u",
		    topic, c->max_packet);
		return -2;
	}
	for (;;) {
		c->in_qos0_publish = !qos;
		c->qos0_done_now = false;
		rc = mosquitto_publish_v5(c->mosq, &mid, topic, (int)len, payload, qos, retain, props);
		c->in_qos0_publish = false;
		/* the broker's Maximum QoS (MQTT 5 CONNACK) is below ours */
		if (rc != MOSQ_ERR_QOS_NOT_SUPPORTED || !qos)
			break;
		qos--;
	}
	switch (rc) {
	case MOSQ_ERR_SUCCESS:
		break;
	case MOSQ_ERR_NO_CONN:
	case MOSQ_ERR_CONN_LOST:
	case MOSQ_ERR_ERRNO:
	case MOSQ_ERR_TLS:
		/* QoS 0 is dropped with the connection; QoS 1 and 2 go after the next CONNACK */
		if (!qos)
			return -1;
		break;
	default:
		say(c, "a message to %s cannot be published: %s", topic, mosquitto_strerror(rc));
		return -2;
	}
	if (qos) {
		c->inflight++;
	} else if (!c->qos0_done_now) {
		c->qos0_mids[(uint16_t)mid / 8] |= 1u << ((uint16_t)mid % 8);
		c->qos0_pending++;
	}
	return 0;
}

int mqc_fatal(const struct mqc *c)
{
	return c->state == MQC_FATAL;
}

bool mqc_connected(const struct mqc *c)
{
	return c->state == MQC_UP;
}

void mqc_pause(struct mqc *c, bool on)
{
	if (c->paused && !on)
		c->read_now = true;
	c->paused = on;
}

size_t mqc_inflight(const struct mqc *c)
{
	return c->inflight + c->qos0_pending;
}
