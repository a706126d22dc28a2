// SPDX-License-Identifier: GPL-2.0
/* The channel file: sections, keys and values in the style of diodectl's. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mosquitto.h>

#include "conf.h"

/*
 * HOST, HOST:PORT, [IPV6] or [IPV6]:PORT into host (cap bytes) and *port
 * (0 when not given): 0, or -1 when it is none of them. *bracketed tells
 * an address given in brackets.
 */
static int split_host_port(const char *s, char *host, size_t cap, unsigned long *port,
			   bool *bracketed)
{
	const char *p = NULL;
	char *end;

	if (strlen(s) >= cap)
		return -1;
	*bracketed = s[0] == '[';
	if (*bracketed) {
		const char *close = strchr(s, ']');

		if (!close)
			return -1;
		memcpy(host, s + 1, close - s - 1);
		host[close - s - 1] = 0;
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return -1;
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':'))
			return -1;	/* IPv6 goes in brackets */
		strcpy(host, s);
		if (colon) {
			host[colon - s] = 0;
			p = colon + 1;
		}
	}
	*port = 0;
	if (p) {
		if (!isdigit((unsigned char)*p))
			return -1;
		errno = 0;
		*port = strtoul(p, &end, 10);
		if (errno || *end || *port == 0 || *port > 65535)
			return -1;
	}
	return 0;
}

int parse_addr(const char *s, struct addr *a, uint16_t default_port)
{
	char host[128];
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM }, *res;
	unsigned long p;
	bool bracketed;

	if (split_host_port(s, host, sizeof(host), &p, &bracketed))
		return -1;
	if (!p)
		p = default_port;
	if (!strcmp(host, "any"))
		strcpy(host, "0.0.0.0");
	{
		unsigned char probe[16];

		if (inet_pton(AF_INET, host, probe) != 1 && inet_pton(AF_INET6, host, probe) != 1)
			return -1;
	}
	if (!p || getaddrinfo(host, NULL, &hints, &res))
		return -1;
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons(p);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(p);
	a->set = true;
	return 0;
}

const char *addr_str(const struct addr *a, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&a->ss;

		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(s->sin6_port));
	} else {
		const struct sockaddr_in *s = (const void *)&a->ss;

		inet_ntop(AF_INET, &s->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(s->sin_port));
	}
	return buf;
}

static const char *file;
static int line;

__attribute__((format(printf, 1, 2)))
static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "diode-agent: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int num(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (errno || *end || *out < min || *out > max)
		return -1;
	return 0;
}

/* 500, 500ms or 2s */
static int ms(const char *v, uint64_t min, uint64_t max, uint32_t *out)
{
	char buf[32], *end;
	uint64_t n, mul = 1;
	size_t l = strlen(v);

	if (l >= sizeof(buf) || !l)
		return -1;
	strcpy(buf, v);
	if (l > 2 && !strcmp(buf + l - 2, "ms"))
		buf[l - 2] = 0;
	else if (buf[l - 1] == 's') {
		buf[l - 1] = 0;
		mul = 1000;
	}
	if (!isdigit((unsigned char)*buf))
		return -1;
	errno = 0;
	n = strtoull(buf, &end, 10);
	if (errno || *end || n > UINT32_MAX || n * mul < min || n * mul > max)
		return -1;
	*out = n * mul;
	return 0;
}

static int rate(const char *v, uint64_t *out)
{
	static const char *units[] = { "bit", "kbit", "mbit", "gbit" };
	char *end;
	uint64_t n, mul = 1;
	int i;

	if (!strcmp(v, "none") || !strcmp(v, "0")) {
		*out = 0;
		return 0;
	}
	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		for (i = 0; i < 4; i++, mul *= 1000)
			if (!strcmp(end, units[i]))
				break;
		if (i == 4)
			return -1;
	}
	if (!n || n > UINT64_MAX / mul / 1000)
		return -1;
	*out = n * mul;
	return 0;
}

enum sect { S_NONE, S_CHANNEL, S_TRANSPORT, S_SYSLOG, S_MQTT, S_FILES, S_OPCUA, S_END };
static const char *sect_name[] = { "", "[Channel]", "[Transport]", "[Syslog]", "[MQTT]", "[Files]",
				   "[OPCUA]" };

struct key {
	const char *name;
	enum sect sect;
};
static const struct key keys[] = {
	{ "Name", S_CHANNEL }, { "Role", S_CHANNEL }, { "Protocol", S_CHANNEL },
	{ "Id", S_CHANNEL }, { "StateDir", S_CHANNEL },
	{ "Local", S_TRANSPORT }, { "Remote", S_TRANSPORT },
	{ "Device", S_TRANSPORT }, { "MTU", S_TRANSPORT },
	{ "HeartbeatInterval", S_TRANSPORT }, { "ReorderWait", S_TRANSPORT },
	{ "Rate", S_TRANSPORT }, { "Queue", S_TRANSPORT },
	{ "ListenUDP", S_SYSLOG }, { "ListenTCP", S_SYSLOG },
	{ "MaxMessage", S_SYSLOG }, { "Collector", S_SYSLOG },
	{ "Spool", S_SYSLOG }, { "Journal", S_TRANSPORT },
	{ "Link", S_TRANSPORT }, { "LinkRate", S_TRANSPORT }, { "Priority", S_TRANSPORT },
	/* K_BROKER and after, in the order of enum mqtt_key */
	{ "Broker", S_MQTT }, { "Version", S_MQTT }, { "ClientId", S_MQTT },
	{ "Username", S_MQTT }, { "PasswordFile", S_MQTT }, { "CAFile", S_MQTT },
	{ "CAPath", S_MQTT }, { "CertFile", S_MQTT }, { "KeyFile", S_MQTT },
	{ "TLSVersion", S_MQTT }, { "Insecure", S_MQTT }, { "KeepAlive", S_MQTT },
	{ "Topic", S_MQTT }, { "SessionExpiry", S_MQTT }, { "CarouselPeriod", S_MQTT },
	{ "CarouselShare", S_MQTT }, { "MaxTopics", S_MQTT }, { "MaxStateBytes", S_MQTT },
	{ "Prefix", S_MQTT }, { "QoS", S_MQTT }, { "StatusTopic", S_MQTT },
	/* K_OUTBOX and after, in the order of enum files_key */
	{ "Outbox", S_FILES }, { "Sent", S_FILES }, { "Settle", S_FILES },
	{ "Passes", S_FILES }, { "PassDelay", S_FILES }, { "History", S_FILES },
	{ "Inbox", S_FILES }, { "Partial", S_FILES }, { "Failed", S_FILES },
	{ "Deadline", S_FILES },
	/* K_ENDPOINT and after, in the order of enum opcua_key */
	{ "Endpoint", S_OPCUA }, { "SamplingInterval", S_OPCUA },
	{ "PublishingInterval", S_OPCUA }, { "Carousel", S_OPCUA }, { "Rebrowse", S_OPCUA },
	{ "Port", S_OPCUA }, { "SecurityMode", S_OPCUA }, { "SecurityPolicy", S_OPCUA },
	{ "Certificate", S_OPCUA }, { "PrivateKey", S_OPCUA }, { "TrustList", S_OPCUA },
	{ "Username", S_OPCUA }, { "PasswordFile", S_OPCUA }, { "Users", S_OPCUA },
	{ "Anonymous", S_OPCUA }, { "CarouselShare", S_OPCUA },
};
enum mqtt_key {
	K_BROKER = 22, K_VERSION, K_CLIENTID, K_USERNAME, K_PASSWORDFILE, K_CAFILE,
	K_CAPATH, K_CERTFILE, K_KEYFILE, K_TLSVERSION, K_INSECURE, K_KEEPALIVE,
	K_TOPIC, K_SESSIONEXPIRY, K_CAROUSELPERIOD, K_CAROUSELSHARE, K_MAXTOPICS,
	K_MAXSTATEBYTES, K_PREFIX, K_QOS, K_STATUSTOPIC, K_END
};
enum files_key {
	K_OUTBOX = K_END, K_SENT, K_SETTLE, K_PASSES, K_PASSDELAY, K_HISTORY,
	K_INBOX, K_PARTIAL, K_FAILED, K_DEADLINE, K_FILES_END
};
enum opcua_key {
	K_ENDPOINT = K_FILES_END, K_SAMPLING, K_PUBLISHING, K_CAROUSEL, K_REBROWSE, K_PORT,
	K_SECMODE, K_SECPOLICY, K_CERT, K_PKEY, K_TRUST, K_UA_USER, K_UA_PASSWORDFILE,
	K_USERS, K_ANONYMOUS, K_UA_CAROUSELSHARE, K_OPCUA_END
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS == K_OPCUA_END, "keys[] and enum opcua_key disagree");

static bool looks_like_name(const char *s)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return n && n <= 24;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}


/*
 * The MQTT keys' durations need a unit (30s, 5m, 1d): unlike
 * HeartbeatInterval's, a bare number here would most likely be meant as
 * seconds, and taken as ms it would pass unnoticed. Only 0 goes bare.
 */
static int duration(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	};
	char *end;
	uint64_t n;
	size_t i;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	if (!*end) {
		if (n || min)
			return -1;
		*out = 0;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			break;
	if (i == sizeof(units) / sizeof(units[0]) || n > UINT64_MAX / units[i].ms)
		return -1;
	n *= units[i].ms;
	if (n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* 67108864, 65536K, 64M or 1G (powers of 1024) */
static int size(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t n, mul = 1;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	if (!strcmp(end, "K"))
		mul = 1 << 10;
	else if (!strcmp(end, "M"))
		mul = 1 << 20;
	else if (!strcmp(end, "G"))
		mul = 1 << 30;
	else if (*end)
		return -1;
	if (n > UINT64_MAX / mul || n * mul < min || n * mul > max)
		return -1;
	*out = n * mul;
	return 0;
}

/* 10 or 10% */
static int percent(const char *v, uint64_t min, uint64_t max, uint32_t *out)
{
	char buf[8];
	size_t l = strlen(v);
	uint64_t n;

	if (!l || l >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	if (buf[l - 1] == '%')
		buf[l - 1] = 0;
	if (num(buf, min, max, &n))
		return -1;
	*out = n;
	return 0;
}

static int abs_path(const char *v, char *out, size_t len)
{
	if (v[0] != '/' || strlen(v) >= len)
		return -1;
	strcpy(out, v);
	return 0;
}

/* A name (letters, digits, '-', '.', '_') or an IPv4 address. */
static bool host_ok(const char *h)
{
	size_t n = strlen(h);

	if (!n || n > 253 || h[0] == '-' || h[0] == '.')
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.' && *h != '_')
			return false;
	return true;
}

/* HOST, HOST:PORT, [IPV6] or [IPV6]:PORT; the port's default comes later */
static int broker(const char *v, struct conf_mqtt *m)
{
	char host[256];
	unsigned char probe[16];
	unsigned long p;
	bool bracketed;

	if (split_host_port(v, host, sizeof(host), &p, &bracketed))
		return -1;
	if (bracketed ? inet_pton(AF_INET6, host, probe) != 1 : !host_ok(host))
		return -1;
	m->port = p;
	strcpy(m->host, host);
	return 0;
}

static bool utf8_ok(const char *v)
{
	return mosquitto_validate_utf8(v, strlen(v)) == MOSQ_ERR_SUCCESS;
}

#define PASSWORD_MAX 4096	/* the largest password buffer, its NUL included */

/*
 * The first line of a file only its owner (and maybe its group) may read:
 * what is readable by every user is no secret, and is refused. At most
 * cap - 1 bytes, into out.
 */
static int read_password(const char *p, char *out, size_t cap, bool *has)
{
	char buf[PASSWORD_MAX + 1];
	struct stat st;
	size_t n = 0, l;
	ssize_t r;
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return bad("PasswordFile %s: %s", p, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return bad("PasswordFile %s: not a file", p);
	}
	if (st.st_mode & S_IRWXO) {
		close(fd);
		return bad("PasswordFile %s is open to every user (mode %04o): chmod o-rwx",
			   p, (unsigned)(st.st_mode & 07777));
	}
	if (st.st_mode & (S_IRGRP | S_IWGRP))
		fprintf(stderr, "diode-agent: %s:%d: warning: PasswordFile %s is open to its group (mode %04o)\n",
			file, line, p, (unsigned)(st.st_mode & 07777));
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += r;
	close(fd);
	l = 0;
	while (l < n && buf[l] != '\n')
		l++;
	if (l >= cap) {
		explicit_bzero(buf, sizeof(buf));
		return bad("PasswordFile %s: the first line is longer than %zu bytes", p, cap - 1);
	}
	if (l && buf[l - 1] == '\r')
		l--;
	if (!l || memchr(buf, 0, l)) {
		explicit_bzero(buf, sizeof(buf));
		return bad("PasswordFile %s: the first line is %s", p, l ? "not text" : "empty");
	}
	memcpy(out, buf, l);
	out[l] = 0;
	*has = true;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}
_Static_assert(sizeof(((struct conf_mqtt *)0)->password) <= PASSWORD_MAX &&
	       sizeof(((struct conf_opcua *)0)->password) <= PASSWORD_MAX, "PASSWORD_MAX");

void conf_wipe(struct conf *c)
{
	explicit_bzero(c->mqtt.password, sizeof(c->mqtt.password));
	c->mqtt.has_password = false;
	explicit_bzero(c->opcua.password, sizeof(c->opcua.password));
	c->opcua.has_password = false;
}

/* A topic filter (sub) or name (pub) we may use: never one of the broker's. */
static const char *topic_bad(const char *v, bool filter)
{
	if (!utf8_ok(v))
		return "not valid UTF-8";
	if (v[0] == '$')
		return "a topic starting with $ is the broker's own";
	if (filter ? mosquitto_sub_topic_check(v) : mosquitto_pub_topic_check(v))
		return filter ? "not a valid topic filter" : "a topic name has no + or #";
	return NULL;
}

static int set_mqtt_key(struct conf *c, int k, const char *v)
{
	struct conf_mqtt *m = &c->mqtt;
	const char *why;
	uint64_t n;
	int i;

	switch (k) {
	case K_BROKER:
		if (broker(v, m))
			return bad("invalid Broker (HOST or HOST:PORT, [IPV6]:PORT)");
		return 0;
	case K_VERSION:
		if (!strcmp(v, "5"))
			m->version = MQTT_PROTOCOL_V5;
		else if (!strcmp(v, "3.1.1"))
			m->version = MQTT_PROTOCOL_V311;
		else
			return bad("invalid Version (5 or 3.1.1)");
		return 0;
	case K_CLIENTID:
		if (!utf8_ok(v))
			return bad("invalid ClientId (not valid UTF-8)");
		strcpy(m->client_id, v);
		return 0;
	case K_USERNAME:
		if (!utf8_ok(v))
			return bad("invalid Username (not valid UTF-8)");
		strcpy(m->username, v);
		return 0;
	case K_PASSWORDFILE:
		if (abs_path(v, m->password_file, sizeof(m->password_file)))
			return bad("invalid PasswordFile (an absolute path)");
		return read_password(v, m->password, sizeof(m->password), &m->has_password);
	case K_CAFILE: case K_CERTFILE: case K_KEYFILE:
		if (abs_path(v, k == K_CAFILE ? m->ca_file : k == K_CERTFILE ? m->cert_file : m->key_file,
			 sizeof(m->ca_file)))
			return bad("invalid %s (an absolute path)", keys[k].name);
		if (access(v, R_OK))
			return bad("%s %s: %s", keys[k].name, v, strerror(errno));
		return 0;
	case K_CAPATH: {
		struct stat st;

		if (abs_path(v, m->ca_path, sizeof(m->ca_path)))
			return bad("invalid CAPath (an absolute path)");
		if (stat(v, &st))
			return bad("CAPath %s: %s", v, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return bad("CAPath %s: not a folder", v);
		return 0;
	}
	case K_TLSVERSION:
		if (strcmp(v, "tlsv1.2") && strcmp(v, "tlsv1.3"))
			return bad("invalid TLSVersion (tlsv1.2 or tlsv1.3)");
		strcpy(m->tls_version, v);
		return 0;
	case K_INSECURE:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad("invalid Insecure (yes or no)");
		m->insecure = !strcmp(v, "yes");
		return 0;
	case K_KEEPALIVE:
		if (duration(v, 5000, 65535000, &n) || n % 1000)
			return bad("invalid KeepAlive (5s to 65535s, in whole seconds)");
		m->keepalive_s = n / 1000;
		return 0;
	case K_TOPIC:
		if ((why = topic_bad(v, true)))
			return bad("invalid Topic: %s", why);
		for (i = 0; i < m->ntopics; i++)
			if (!strcmp(m->topics[i], v))
				return bad("Topic %s is given twice", v);
		if (m->ntopics == CONF_MQTT_TOPICS)
			return bad("more than %d Topic filters", CONF_MQTT_TOPICS);
		strcpy(m->topics[m->ntopics++], v);
		return 0;
	case K_SESSIONEXPIRY:
		if (!strcmp(v, "never")) {
			m->session_expiry_s = UINT32_MAX;
			return 0;
		}
		if (duration(v, 0, (UINT32_MAX - 1ull) * 1000, &n) || n % 1000)
			return bad("invalid SessionExpiry (0, a duration in whole seconds as 1d, or never)");
		m->session_expiry_s = n / 1000;
		return 0;
	case K_CAROUSELPERIOD:
		if (duration(v, 0, 7 * 86400000ull, &n) || (n && n < 1000))
			return bad("invalid CarouselPeriod (0 for none, or 1s to 7d)");
		m->carousel_ms = n;
		return 0;
	case K_CAROUSELSHARE:
		if (percent(v, 1, 100, &m->carousel_share))
			return bad("invalid CarouselShare (1%% to 100%% of Rate)");
		return 0;
	case K_MAXTOPICS:
		if (num(v, 1, 10000000, &n))
			return bad("invalid MaxTopics (1 to 10000000)");
		m->max_topics = n;
		return 0;
	case K_MAXSTATEBYTES:
		if (size(v, 1 << 16, 1ull << 36, &m->max_state_bytes))
			return bad("invalid MaxStateBytes (64K to 64G: bytes, or with K, M or G)");
		return 0;
	case K_PREFIX:
		if ((why = topic_bad(v, false)))
			return bad("invalid Prefix: %s", why);
		strcpy(m->prefix, v);
		return 0;
	case K_QOS:
		if (num(v, 0, 2, &n))
			return bad("invalid QoS (0, 1 or 2)");
		m->qos = n;
		return 0;
	case K_STATUSTOPIC:
		if ((why = topic_bad(v, false)))
			return bad("invalid StatusTopic: %s", why);
		strcpy(m->status_topic, v);
		return 0;
	}
	return -1;
}

static int set_files_key(struct conf *c, int k, const char *v)
{
	struct conf_files *f = &c->files;
	char *dirs[] = { f->outbox, f->sent, f->inbox, f->partial, f->failed };
	uint64_t n;

	switch (k) {
	case K_OUTBOX: case K_SENT: case K_INBOX: case K_PARTIAL: case K_FAILED:
		if (abs_path(v, dirs[k == K_OUTBOX ? 0 : k == K_SENT ? 1 : k - K_INBOX + 2],
			     sizeof(f->outbox)))
			return bad("invalid %s (an absolute path)", keys[k].name);
		return 0;
	case K_SETTLE:
		if (duration(v, 0, 3600000, &n))
			return bad("invalid Settle (0, or up to 1h: 2s, 500ms)");
		f->settle_ms = n;
		return 0;
	case K_PASSES:
		if (num(v, 1, 16, &n))
			return bad("invalid Passes (1 to 16)");
		f->passes = n;
		return 0;
	case K_PASSDELAY:
		if (duration(v, 0, 86400000, &n))
			return bad("invalid PassDelay (0, or up to 1d: 5s, 10m)");
		f->pass_delay_ms = n;
		return 0;
	case K_HISTORY:
		if (duration(v, 0, 86400000, &n) || (n && n < 100))
			return bad("invalid History (0 for none, or 100ms to 1d)");
		f->history_ms = n;
		return 0;
	case K_DEADLINE:
		if (duration(v, 1000, 30 * 86400000ull, &n))
			return bad("invalid Deadline (1s to 30d)");
		f->deadline_ms = n;
		return 0;
	}
	return -1;
}

/* [Files]: the keys of the role given, the rx's areas by default in the
 * inbox (names starting with .diode- are refused from the link). */
static int files_check(struct conf *c, const int *given)
{
	struct conf_files *f = &c->files;
	int k;

	for (k = K_OUTBOX; k < K_FILES_END; k++)
		if (given[k] && (k < K_INBOX) != c->tx)
			return line = given[k], bad("%s is for %s channel", keys[k].name,
						    c->tx ? "an rx" : "a tx");
	if (c->tx && (!f->outbox[0] || !f->sent[0]))
		return bad("a tx files channel needs Outbox and Sent in [Files]");
	if (!c->tx && !f->inbox[0])
		return bad("an rx files channel needs Inbox in [Files]");
	if (!c->tx && !f->partial[0] && snprintf(f->partial, sizeof(f->partial), "%s/.diode-partial",
						 f->inbox) >= (int)sizeof(f->partial))
		return bad("Inbox too long for the default Partial");
	if (!c->tx && !f->failed[0] && snprintf(f->failed, sizeof(f->failed), "%s/.diode-failed",
						f->inbox) >= (int)sizeof(f->failed))
		return bad("Inbox too long for the default Failed");
	return 0;
}

static const char *const ua_modes[] = { "", "None", "Sign", "SignAndEncrypt" };
static const char *const ua_policies[] = { "None", "Basic256Sha256", "Aes128_Sha256_RsaOaep" };

/* SecurityPolicy: names separated by spaces or commas, each once. */
static int ua_policy_set(const char *v, unsigned *out)
{
	char name[32];
	size_t n, i;

	*out = 0;
	for (;;) {
		v += strspn(v, " \t,");
		if (!*v)
			return *out ? 0 : -1;
		n = strcspn(v, " \t,");
		if (n >= sizeof(name))
			return -1;
		memcpy(name, v, n);
		name[n] = 0;
		v += n;
		for (i = 0; i < sizeof(ua_policies) / sizeof(ua_policies[0]); i++)
			if (!strcmp(name, ua_policies[i]))
				break;
		if (i == sizeof(ua_policies) / sizeof(ua_policies[0]) || (*out & 1u << i))
			return -1;
		*out |= 1u << i;
	}
}

/* Certificate, PrivateKey, TrustList, Users: an absolute path to a file
 * we can read (or a folder, for TrustList); a private key or a list of
 * passwords no other user reads. */
static int ua_readable(int k, const char *v, char *out, size_t len)
{
	struct stat st;
	int fd;

	if (abs_path(v, out, len))
		return bad("invalid %s (an absolute path)", keys[k].name);
	fd = open(v, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return bad("%s %s: %s", keys[k].name, v, strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return bad("%s %s: %s", keys[k].name, v, strerror(errno));
	}
	close(fd);
	if (!S_ISREG(st.st_mode) && !(k == K_TRUST && S_ISDIR(st.st_mode)))
		return bad("%s %s: not a file%s", keys[k].name, v, k == K_TRUST ? " or a folder" : "");
	if ((k == K_PKEY || k == K_USERS) && (st.st_mode & S_IRWXO))
		return bad("%s %s is open to every user (mode %04o): chmod o-rwx",
			   keys[k].name, v, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int set_opcua_key(struct conf *c, int k, const char *v)
{
	struct conf_opcua *o = &c->opcua;
	uint64_t n;
	int i;

	switch (k) {
	case K_SECMODE:
		for (i = 1; i < 4 && strcmp(v, ua_modes[i]); i++)
			;
		if (i == 4)
			return bad("invalid SecurityMode '%s' (None, Sign or SignAndEncrypt)",
				   looks_like_name(v) ? v : "...");
		o->security_mode = i;
		return 0;
	case K_SECPOLICY:
		if (ua_policy_set(v, &o->policies))
			return bad("invalid SecurityPolicy (None, Basic256Sha256 or Aes128_Sha256_RsaOaep; "
				   "an rx's list each once)");
		return 0;
	case K_CERT:
		return ua_readable(k, v, o->cert, sizeof(o->cert));
	case K_PKEY:
		return ua_readable(k, v, o->key, sizeof(o->key));
	case K_TRUST:
		if (o->ntrust == CONF_OPCUA_TRUST)
			return bad("TrustList given more than %d times", CONF_OPCUA_TRUST);
		for (i = 0; i < o->ntrust; i++)
			if (!strcmp(o->trust[i], v))
				return bad("TrustList %s is given twice", v);
		if (ua_readable(k, v, o->trust[o->ntrust], sizeof(o->trust[0])))
			return -1;
		o->ntrust++;
		return 0;
	case K_UA_USER:
		if (!utf8_ok(v) || strlen(v) >= sizeof(o->username))
			return bad("invalid Username (UTF-8, at most %zu bytes)", sizeof(o->username) - 1);
		strcpy(o->username, v);
		return 0;
	case K_UA_PASSWORDFILE:
		if (abs_path(v, o->password_file, sizeof(o->password_file)))
			return bad("invalid PasswordFile (an absolute path)");
		return read_password(v, o->password, sizeof(o->password), &o->has_password);
	case K_USERS:
		return ua_readable(k, v, o->users, sizeof(o->users));
	case K_ANONYMOUS:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return bad("invalid Anonymous (yes or no)");
		o->anonymous = !strcmp(v, "yes");
		return 0;
	case K_ENDPOINT:
		if (strncmp(v, "opc.tcp://", 10) || !v[10] || strlen(v) >= sizeof(o->endpoint))
			return bad("invalid Endpoint (opc.tcp://HOST:PORT)");
		strcpy(o->endpoint, v);
		return 0;
	case K_SAMPLING: case K_PUBLISHING:
		if (duration(v, 10, 3600000, &n))
			return bad("invalid %s (10ms to 1h)", keys[k].name);
		*(k == K_SAMPLING ? &o->sampling_ms : &o->publishing_ms) = n;
		return 0;
	case K_CAROUSEL:
		if (duration(v, 0, 7 * 86400000ull, &n) || (n && n < 1000))
			return bad("invalid Carousel (0 for none, or 1s to 7d)");
		o->carousel_ms = n;
		return 0;
	case K_UA_CAROUSELSHARE:
		if (percent(v, 1, 100, &o->carousel_share))
			return bad("invalid CarouselShare (1%% to 100%% of Rate)");
		return 0;
	case K_REBROWSE:
		if (duration(v, 0, 7 * 86400000ull, &n) || (n && n < 1000))
			return bad("invalid Rebrowse (0 for none, or 1s to 7d)");
		o->rebrowse_ms = n;
		return 0;
	case K_PORT:
		if (num(v, 1, 65535, &n))
			return bad("invalid Port (1 to 65535)");
		o->port = n;
		return 0;
	}
	return -1;
}

/*
 * [OPCUA]: the keys of the role given; a tx needs its source. Security:
 * a tx's mode and policy agree (None with None); a secure side (a tx's
 * Sign or SignAndEncrypt, an rx offering a policy other than None) has
 * its certificate, key and trust list, and only it has them; a password
 * never crosses a channel without security.
 */
static int opcua_check(struct conf *c, const int *given)
{
	static const int tx_only[] = { K_ENDPOINT, K_SAMPLING, K_PUBLISHING, K_CAROUSEL,
				       K_UA_CAROUSELSHARE, K_REBROWSE, K_SECMODE, K_UA_USER,
				       K_UA_PASSWORDFILE };
	static const int rx_only[] = { K_PORT, K_USERS, K_ANONYMOUS };
	static const int files[] = { K_CERT, K_PKEY, K_TRUST };
	struct conf_opcua *o = &c->opcua;
	const char *need;
	bool secure;
	size_t i;

	for (i = 0; i < sizeof(tx_only) / sizeof(tx_only[0]); i++)
		if (!c->tx && given[tx_only[i]])
			return line = given[tx_only[i]], bad("%s is for a tx channel", keys[tx_only[i]].name);
	for (i = 0; i < sizeof(rx_only) / sizeof(rx_only[0]); i++)
		if (c->tx && given[rx_only[i]])
			return line = given[rx_only[i]], bad("%s is for an rx channel", keys[rx_only[i]].name);
	if (c->tx && !o->endpoint[0])
		return bad("a tx opcua channel needs Endpoint in [OPCUA]");
	if (c->tx) {
		if (o->policies & (o->policies - 1))
			return line = given[K_SECPOLICY], bad("a tx has one SecurityPolicy");
		if (o->security_mode == 1 && o->policies != CONF_OPCUA_POL_NONE)
			return line = given[K_SECPOLICY],
			       bad("SecurityPolicy %s needs SecurityMode Sign or SignAndEncrypt",
				   ua_policies[__builtin_ctz(o->policies)]);
		if (o->security_mode != 1 && o->policies == CONF_OPCUA_POL_NONE)
			return line = given[K_SECMODE],
			       bad("SecurityMode %s needs SecurityPolicy Basic256Sha256 or "
				   "Aes128_Sha256_RsaOaep", ua_modes[o->security_mode]);
		secure = o->security_mode != 1;
		need = "SecurityMode Sign or SignAndEncrypt";
	} else {
		secure = o->policies & ~CONF_OPCUA_POL_NONE;
		need = "a SecurityPolicy other than None";
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!secure && given[files[i]])
			return line = given[files[i]], bad("%s needs %s", keys[files[i]].name, need);
		if (secure && !given[files[i]])
			return line = given[c->tx ? K_SECMODE : K_SECPOLICY],
			       bad("%s needs Certificate, PrivateKey and TrustList in [OPCUA] (no %s)",
				   c->tx ? "SecurityMode Sign or SignAndEncrypt" :
				   "a SecurityPolicy other than None", keys[files[i]].name);
	}
	if (given[K_UA_PASSWORDFILE] && !given[K_UA_USER])
		return line = given[K_UA_PASSWORDFILE], bad("PasswordFile needs Username");
	if (given[K_UA_USER] && !given[K_UA_PASSWORDFILE])
		return line = given[K_UA_USER], bad("Username needs PasswordFile");
	if (given[K_UA_USER] && !secure)
		return line = given[K_UA_USER],
		       bad("Username needs SecurityMode Sign or SignAndEncrypt (a password is not "
			   "sent without security)");
	if (given[K_USERS] && !secure)
		return line = given[K_USERS],
		       bad("Users needs a SecurityPolicy other than None (a password is not "
			   "sent without security)");
	if (!o->anonymous && !given[K_USERS])
		return line = given[K_ANONYMOUS], bad("Anonymous = no needs Users");
	return 0;
}

static int set_key(struct conf *c, int k, const char *v)
{
	uint64_t n;
	uint32_t t;
	const char *name = keys[k].name;

	if (k >= K_ENDPOINT)
		return set_opcua_key(c, k, v);
	if (k >= K_OUTBOX)
		return set_files_key(c, k, v);
	if (k >= K_BROKER)
		return set_mqtt_key(c, k, v);
	switch (k) {
	case 0:
		if (!looks_like_name(v))
			return bad("invalid Name (letters, digits, - and _, at most 24)");
		strcpy(c->name, v);
		return 0;
	case 1:
		if (strcmp(v, "tx") && strcmp(v, "rx"))
			return bad("invalid Role '%s' (tx or rx)", looks_like_name(v) ? v : "...");
		c->tx = !strcmp(v, "tx");
		return 0;
	case 2:
		if (strcmp(v, "syslog") && strcmp(v, "mqtt") && strcmp(v, "files") &&
		    strcmp(v, "opcua"))
			return bad("unknown Protocol '%s' (syslog, mqtt, files or opcua)",
				   looks_like_name(v) ? v : "...");
		c->protocol = !strcmp(v, "mqtt") ? CONF_MQTT : !strcmp(v, "files") ? CONF_FILES :
			      !strcmp(v, "opcua") ? CONF_OPCUA : CONF_SYSLOG;
		return 0;
	case 3:
		if (num(v, 1, 65535, &n))
			return bad("invalid Id (1 to 65535)");
		c->id = n;
		return 0;
	case 4:
		if (v[0] != '/' || strlen(v) >= sizeof(c->state_dir))
			return bad("invalid StateDir (an absolute path)");
		strcpy(c->state_dir, v);
		return 0;
	case 5: case 6: case 13: case 14:
		if (parse_addr(v, k == 5 ? &c->local : k == 6 ? &c->remote :
			       k == 13 ? &c->listen_udp : &c->listen_tcp,
			       k == 13 || k == 14 ? 514 : 5140))
			return bad("invalid %s (an address and port: 192.0.2.2:5140, [2001:db8::2]:5140)", name);
		if (k == 6 && ((struct sockaddr_in *)&c->remote.ss)->sin_family == AF_INET &&
		    ((struct sockaddr_in *)&c->remote.ss)->sin_addr.s_addr == 0)
			return bad("invalid Remote: not 'any'");
		return 0;
	case 7:
		if (!looks_like_name(v) || strlen(v) >= 16)
			return bad("invalid Device (an interface name)");
		strcpy(c->device, v);
		return 0;
	case 8:
		if (!strcmp(v, "auto")) {
			c->mtu = 0;
			return 0;
		}
		if (num(v, 576, 65535, &n))
			return bad("invalid MTU (auto, or 576 to 65535)");
		c->mtu = n;
		return 0;
	case 9:
		if (ms(v, 100, 60000, &t))
			return bad("invalid HeartbeatInterval (100ms to 60s)");
		c->heartbeat_ms = t;
		return 0;
	case 10:
		if (ms(v, 1, 60000, &t))
			return bad("invalid ReorderWait (1ms to 60s)");
		c->reorder_ms = t;
		return 0;
	case 11:
		if (rate(v, &c->rate_bps))
			return bad("invalid Rate (0, none, or a number with bit, kbit, mbit or gbit)");
		return 0;
	case 12:
		if (num(v, 16, 1 << 22, &n))
			return bad("invalid Queue (16 to 4194304 messages)");
		c->queue = n;
		return 0;
	case 15:
		if (num(v, 480, 1 << 20, &n))
			return bad("invalid MaxMessage (480 to 1048576 bytes)");
		c->max_message = n;
		return 0;
	case 16:
		if (!strncmp(v, "tcp:", 4))
			c->collector_tcp = true;
		else if (!strncmp(v, "udp:", 4))
			c->collector_tcp = false;
		else
			return bad("invalid Collector (tcp:ADDRESS:PORT or udp:ADDRESS:PORT)");
		if (parse_addr(v + 4, &c->collector, 514))
			return bad("invalid Collector (tcp:ADDRESS:PORT or udp:ADDRESS:PORT)");
		return 0;
	case 17:
		if (num(v, 1 << 16, 1ull << 40, &n))
			return bad("invalid Spool (65536 to 1099511627776 bytes)");
		c->spool_bytes = n;
		return 0;
	case 18:
		if (!strcmp(v, "0") || !strcmp(v, "off")) {
			c->journal_bytes = 0;
			return 0;
		}
		if (num(v, 1 << 20, 1ull << 40, &n))
			return bad("invalid Journal (off, or 1048576 to 1099511627776 bytes)");
		c->journal_bytes = n;
		return 0;
	case 19:
		if (!looks_like_name(v))
			return bad("invalid Link (a name: letters, digits, - and _, at most 24)");
		strcpy(c->link, v);
		return 0;
	case 20:
		if (rate(v, &c->link_rate_bps) || !c->link_rate_bps)
			return bad("invalid LinkRate (a number with bit, kbit, mbit or gbit)");
		return 0;
	case 21:
		if (num(v, 0, 7, &n))
			return bad("invalid Priority (0, the highest, to 7)");
		c->priority = n;
		return 0;
	}
	return -1;
}

/* The [MQTT] keys together, and the defaults that depend on others. */
static int mqtt_check(struct conf *c, const int *given)
{
	static const int tx_only[] = { K_TOPIC, K_CAROUSELPERIOD, K_CAROUSELSHARE };
	static const int rx_only[] = { K_PREFIX, K_QOS, K_STATUSTOPIC };
	static const int tls_only[] = { K_CERTFILE, K_KEYFILE, K_TLSVERSION, K_INSECURE };
	struct conf_mqtt *m = &c->mqtt;
	size_t i;

	for (i = 0; i < sizeof(tx_only) / sizeof(tx_only[0]); i++)
		if (!c->tx && given[tx_only[i]])
			return line = given[tx_only[i]], bad("%s is for a tx channel", keys[tx_only[i]].name);
	for (i = 0; i < sizeof(rx_only) / sizeof(rx_only[0]); i++)
		if (c->tx && given[rx_only[i]])
			return line = given[rx_only[i]], bad("%s is for an rx channel", keys[rx_only[i]].name);
	m->tls = given[K_CAFILE] || given[K_CAPATH];
	for (i = 0; i < sizeof(tls_only) / sizeof(tls_only[0]); i++)
		if (!m->tls && given[tls_only[i]])
			return line = given[tls_only[i]],
			       bad("%s needs CAFile or CAPath (TLS is on with them)", keys[tls_only[i]].name);
	if (given[K_CERTFILE] && !given[K_KEYFILE])
		return line = given[K_CERTFILE], bad("CertFile needs KeyFile");
	if (given[K_KEYFILE] && !given[K_CERTFILE])
		return line = given[K_KEYFILE], bad("KeyFile needs CertFile");
	if (given[K_PASSWORDFILE] && !given[K_USERNAME])
		return line = given[K_PASSWORDFILE], bad("PasswordFile needs Username");
	if (!m->port)
		m->port = m->tls ? 8883 : 1883;
	if (!m->client_id[0])
		snprintf(m->client_id, sizeof(m->client_id), "diode-%s-%s", c->name, c->tx ? "tx" : "rx");
	if (c->tx && !m->ntopics)
		strcpy(m->topics[m->ntopics++], "#");
	if (!c->tx && !m->status_topic[0])
		snprintf(m->status_topic, sizeof(m->status_topic), "diode/%s/status", c->name);
	return 0;
}

static int load(struct conf *c, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char buf[1024];
	int given[NKEYS] = { 0 }, sect_line[S_END] = { 0 };
	enum sect sect = S_NONE;
	bool proto = false;
	const char *base;
	size_t k;

	file = f == stdin ? "stdin" : path;
	line = 0;
	if (!f) {
		fprintf(stderr, "diode-agent: %s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(c, 0, sizeof(*c));
	strcpy(c->state_dir, "/var/lib/diode-agent");
	c->heartbeat_ms = 1000;
	c->reorder_ms = 200;
	c->queue = 65536;
	c->max_message = 65536;
	c->spool_bytes = 256u << 20;
	c->journal_bytes = 64u << 20;
	c->priority = 4;
	strcpy(c->mqtt.host, "127.0.0.1");
	c->mqtt.version = MQTT_PROTOCOL_V5;
	c->mqtt.keepalive_s = 30;
	c->mqtt.session_expiry_s = 86400;
	c->mqtt.carousel_ms = 60000;
	c->mqtt.carousel_share = 10;
	c->mqtt.max_topics = 100000;
	c->mqtt.max_state_bytes = 64u << 20;
	c->mqtt.qos = 1;
	c->files.settle_ms = 2000;
	c->files.passes = 2;
	c->files.pass_delay_ms = 5000;
	c->files.history_ms = 10000;
	c->files.deadline_ms = 3600000;
	c->opcua.sampling_ms = 250;
	c->opcua.publishing_ms = 500;
	c->opcua.carousel_ms = 60000;
	c->opcua.carousel_share = 10;
	c->opcua.rebrowse_ms = 600000;
	c->opcua.port = 4840;
	c->opcua.security_mode = 1;
	c->opcua.policies = CONF_OPCUA_POL_NONE;
	c->opcua.anonymous = true;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)strcspn(base, "."), base);
	if (!looks_like_name(c->name))
		strcpy(c->name, "channel");

	while (fgets(buf, sizeof(buf), f)) {
		char *s = buf, *eq, *key, *val, *hash;

		line++;
		if (!strchr(buf, '\n') && !feof(f))
			goto fail_long;
		if (line == 1 && !memcmp(s, "\xef\xbb\xbf", 3))
			s += 3;
		hash = strchr(s, '#');
		s = trim(s);
		/* In [MQTT], # is the topic filters' wildcard: only a whole line is a comment there */
		if (hash && (sect != S_MQTT || *s == '#' || *s == '['))
			*hash = 0;
		s = trim(s);
		if (!*s)
			continue;
		if (*s == '[') {
			if (!strcasecmp(s, "[Channel]"))
				sect = S_CHANNEL;
			else if (!strcasecmp(s, "[Transport]"))
				sect = S_TRANSPORT;
			else if (!strcasecmp(s, "[Syslog]"))
				sect = S_SYSLOG;
			else if (!strcasecmp(s, "[MQTT]"))
				sect = S_MQTT;
			else if (!strcasecmp(s, "[Files]"))
				sect = S_FILES;
			else if (!strcasecmp(s, "[OPCUA]"))
				sect = S_OPCUA;
			else {
				s[strcspn(s, "]")] = 0;
				bad("unknown section%s%s%s", looks_like_name(s + 1) ? " '[" : "",
				    looks_like_name(s + 1) ? s + 1 : "", looks_like_name(s + 1) ? "]'" : "");
				goto fail;
			}
			if (sect_line[sect]) {
				bad("%s is given twice (first on line %d)", sect_name[sect], sect_line[sect]);
				goto fail;
			}
			sect_line[sect] = line;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			bad("expected KEY = VALUE");
			goto fail;
		}
		*eq = 0;
		key = trim(s);
		val = trim(eq + 1);
		/* a name in two sections (Username) is the current one's */
		for (k = 0; k < NKEYS; k++)
			if (!strcasecmp(key, keys[k].name) && keys[k].sect == sect)
				break;
		if (k == NKEYS)
			for (k = 0; k < NKEYS; k++)
				if (!strcasecmp(key, keys[k].name))
					break;
		if (k == NKEYS) {
			if (looks_like_name(key))
				bad("unknown key '%s'%s%s", key, sect ? " in " : "", sect_name[sect]);
			else
				bad("unknown key");
			goto fail;
		}
		if (sect == S_NONE) {
			bad("%s is outside a section (it belongs in %s)", keys[k].name, sect_name[keys[k].sect]);
			goto fail;
		}
		if (keys[k].sect != sect) {
			bad("%s belongs in %s, not %s", keys[k].name, sect_name[keys[k].sect], sect_name[sect]);
			goto fail;
		}
		if (given[k] && k != K_TOPIC && k != K_TRUST) {
			bad("%s is given twice (first on line %d)", keys[k].name, given[k]);
			goto fail;
		}
		if (!given[k])
			given[k] = line;
		if (!*val) {
			bad("%s has no value", keys[k].name);
			goto fail;
		}
		if (set_key(c, k, val))
			goto fail;
		if (k == 2)
			proto = true;
	}
	if (f != stdin)
		fclose(f);
	if (!sect_line[S_CHANNEL])
		return bad("no [Channel] section");
	line = sect_line[S_CHANNEL];
	if (!given[1])
		return bad("[Channel] has no Role (tx or rx)");
	if (!given[3])
		return bad("[Channel] has no Id (1 to 65535)");
	if (!proto)
		return bad("[Channel] has no Protocol (syslog, mqtt, files or opcua)");
	line = sect_line[S_TRANSPORT] ? sect_line[S_TRANSPORT] : line;
	if (c->tx && !c->remote.set)
		return bad("a tx channel needs Remote in [Transport]");
	if (!c->tx && !c->local.set)
		return bad("an rx channel needs Local in [Transport]");
	if (c->protocol == CONF_OPCUA) {
		int other = sect_line[S_SYSLOG] ? S_SYSLOG : sect_line[S_MQTT] ? S_MQTT :
			    sect_line[S_FILES] ? S_FILES : 0;

		if (other)
			return line = sect_line[other], bad("%s is not for Protocol = opcua",
							    sect_name[other]);
		line = sect_line[S_OPCUA] ? sect_line[S_OPCUA] : sect_line[S_CHANNEL];
		if (opcua_check(c, given))
			return -1;
		line = sect_line[S_TRANSPORT] ? sect_line[S_TRANSPORT] : sect_line[S_CHANNEL];
		goto transport;
	}
	if (sect_line[S_OPCUA])
		return line = sect_line[S_OPCUA], bad("[OPCUA] is for Protocol = opcua");
	if (c->protocol == CONF_MQTT) {
		if (sect_line[S_SYSLOG])
			return line = sect_line[S_SYSLOG], bad("[Syslog] is for Protocol = syslog, not mqtt");
		if (sect_line[S_FILES])
			return line = sect_line[S_FILES], bad("[Files] is for Protocol = files");
		if (mqtt_check(c, given))
			return -1;
		line = sect_line[S_TRANSPORT] ? sect_line[S_TRANSPORT] : sect_line[S_CHANNEL];
		goto transport;
	}
	if (c->protocol == CONF_FILES) {
		if (sect_line[S_SYSLOG] || sect_line[S_MQTT])
			return line = sect_line[S_SYSLOG] ? sect_line[S_SYSLOG] : sect_line[S_MQTT],
			       bad("%s is not for Protocol = files", sect_line[S_SYSLOG] ? "[Syslog]" : "[MQTT]");
		line = sect_line[S_FILES] ? sect_line[S_FILES] : sect_line[S_CHANNEL];
		if (files_check(c, given))
			return -1;
		line = sect_line[S_TRANSPORT] ? sect_line[S_TRANSPORT] : sect_line[S_CHANNEL];
		goto transport;
	}
	if (sect_line[S_FILES])
		return line = sect_line[S_FILES], bad("[Files] is for Protocol = files");
	if (sect_line[S_MQTT])
		return line = sect_line[S_MQTT], bad("[MQTT] is for Protocol = mqtt, not syslog");
	line = sect_line[S_SYSLOG] ? sect_line[S_SYSLOG] : line;
	if (c->tx && !c->listen_udp.set && !c->listen_tcp.set)
		return bad("a tx syslog channel needs ListenUDP or ListenTCP in [Syslog]");
	if (!c->tx && !c->collector.set)
		return bad("an rx syslog channel needs Collector in [Syslog]");
	if (c->tx && (given[16] || given[17]))
		return line = given[16] ? given[16] : given[17],
		       bad("%s is for an rx channel", given[16] ? "Collector" : "Spool");
transport:
	for (k = 18; k <= 21; k++)
		if (!c->tx && given[k])
			return line = given[k], bad("%s is for a tx channel", keys[k].name);
	if (!c->tx && (given[13] || given[14] || given[6]))
		return line = given[13] ? given[13] : given[14] ? given[14] : given[6],
		       bad("%s is for a tx channel", given[13] ? "ListenUDP" : given[14] ? "ListenTCP" : "Remote");
	if (given[19] && !given[20])
		return line = given[19], bad("Link needs LinkRate, the rate the link's channels share");
	if (!given[19] && (given[20] || given[21]))
		return line = given[20] ? given[20] : given[21],
		       bad("%s needs Link, the name of the budget it belongs to", given[20] ? "LinkRate" : "Priority");
	return 0;
fail_long:
	bad("line too long");
fail:
	if (f != stdin)
		fclose(f);
	return -1;
}

int conf_load(struct conf *c, const char *path)
{
	if (!load(c, path))
		return 0;
	conf_wipe(c);
	return -1;
}
