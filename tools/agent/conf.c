// SPDX-License-Identifier: GPL-2.0
/*
 * The channel file: sections, keys and values in the style of diodectl's.
 * Each key is one row of keys[] (its section, the role it is for, its kind,
 * field, range, default and help); a key of a usual kind needs that row, its
 * enum key_id and its field in struct conf, nothing else.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
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

/* Every key of the file, in the order of keys[] below. */
enum key_id {
	K_NAME, K_ROLE, K_PROTOCOL, K_ID, K_STATEDIR,
	K_LOCAL, K_REMOTE, K_DEVICE, K_MTU, K_HEARTBEAT, K_REORDER, K_RATE, K_QUEUE,
	K_JOURNAL, K_LINK, K_LINKRATE, K_PRIORITY,
	K_LISTENUDP, K_LISTENTCP, K_MAXMESSAGE, K_COLLECTOR, K_SPOOL,
	K_BROKER, K_VERSION, K_CLIENTID, K_USERNAME, K_PASSWORDFILE, K_CAFILE,
	K_CAPATH, K_CERTFILE, K_KEYFILE, K_TLSVERSION, K_INSECURE, K_KEEPALIVE,
	K_TOPIC, K_SESSIONEXPIRY, K_CAROUSELPERIOD, K_CAROUSELSHARE, K_MAXTOPICS,
	K_MAXSTATEBYTES, K_PREFIX, K_QOS, K_STATUSTOPIC,
	K_OUTBOX, K_SENT, K_SETTLE, K_PASSES, K_PASSDELAY, K_HISTORY, K_HISTORYFILES,
	K_INBOX, K_PARTIAL, K_FAILED, K_DEADLINE, K_MARKAGE,
	K_ENDPOINT, K_SAMPLING, K_PUBLISHING, K_CAROUSEL, K_REBROWSE, K_PORT,
	K_SECMODE, K_SECPOLICY, K_CERT, K_PKEY, K_TRUST, K_UA_USER, K_UA_PASSWORDFILE,
	K_USERS, K_ANONYMOUS, K_UA_CAROUSELSHARE, K_END
};

/* A value of one of the usual kinds is read by its row alone. */
enum kind {
	KD_FN,		/* its own: set() */
	KD_NUM,		/* a number, min to max, or the word for none */
	KD_MS,		/* 500, 500ms or 2s, min to max ms */
	KD_DURATION,	/* with a unit (only 0 goes bare), min to max ms */
	KD_SIZE,	/* bytes, or with K, M or G, min to max */
	KD_PERCENT,	/* 10 or 10%, min to max */
	KD_RATE,	/* 0, none, or a number with bit, kbit, mbit or gbit; at least min */
	KD_YESNO,
	KD_PATH,	/* an absolute path */
	KD_NAME,	/* letters, digits, - and _, at most 24, and at most max */
	KD_UTF8,	/* UTF-8 that fits the field */
	KD_ADDR,	/* ADDRESS:PORT, the port min when not given */
	KD_TOPIC,	/* an MQTT topic name */
};
enum role { R_ANY, R_TX, R_RX };

/* A number's field is 1 (bool), 2, 4 or 8 bytes; a string's, its size. */
#define FIELD(f) .off = offsetof(struct conf, f), .len = sizeof(((struct conf *)0)->f)

struct key {
	const char *name;
	enum sect sect;
	enum role role;		/* the channels it is for */
	enum kind kind;
	bool repeats;		/* a list: given as often as there are items */
	bool none0;		/* 0 (none) is allowed below min */
	const char *none;	/* a word for 0, as "off" */
	bool secret;		/* a file no other user may read */
	size_t off, len;	/* its field in struct conf */
	uint64_t min, max;
	uint64_t def;		/* a number's default, when not 0 */
	const char *help;	/* what "invalid NAME (HELP)" says */
	int (*set)(struct conf *c, const struct key *k, const char *v);
};

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
 * passwords (a secret key) no other user reads. */
static int ua_readable(const struct key *k, const char *v, char *out, size_t len, bool folder)
{
	struct stat st;
	int fd;

	if (abs_path(v, out, len))
		return bad("invalid %s (an absolute path)", k->name);
	fd = open(v, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return bad("%s %s: %s", k->name, v, strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return bad("%s %s: %s", k->name, v, strerror(errno));
	}
	close(fd);
	if (!S_ISREG(st.st_mode) && !(folder && S_ISDIR(st.st_mode)))
		return bad("%s %s: not a file%s", k->name, v, folder ? " or a folder" : "");
	if (k->secret && (st.st_mode & S_IRWXO))
		return bad("%s %s is open to every user (mode %04o): chmod o-rwx",
			   k->name, v, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* ------------------------------------------- the keys of their own */

static int set_role(struct conf *c, const struct key *k, const char *v)
{
	(void)k;
	if (strcmp(v, "tx") && strcmp(v, "rx"))
		return bad("invalid Role '%s' (tx or rx)", looks_like_name(v) ? v : "...");
	c->tx = !strcmp(v, "tx");
	return 0;
}

static int set_protocol(struct conf *c, const struct key *k, const char *v)
{
	(void)k;
	if (strcmp(v, "syslog") && strcmp(v, "mqtt") && strcmp(v, "files") && strcmp(v, "opcua"))
		return bad("unknown Protocol '%s' (syslog, mqtt, files or opcua)",
			   looks_like_name(v) ? v : "...");
	c->protocol = !strcmp(v, "mqtt") ? CONF_MQTT : !strcmp(v, "files") ? CONF_FILES :
		      !strcmp(v, "opcua") ? CONF_OPCUA : CONF_SYSLOG;
	return 0;
}

static int set_remote(struct conf *c, const struct key *k, const char *v)
{
	if (parse_addr(v, &c->remote, k->min))
		return bad("invalid Remote (%s)", k->help);
	if (((struct sockaddr_in *)&c->remote.ss)->sin_family == AF_INET &&
	    ((struct sockaddr_in *)&c->remote.ss)->sin_addr.s_addr == 0)
		return bad("invalid Remote: not 'any'");
	return 0;
}

static int set_collector(struct conf *c, const struct key *k, const char *v)
{
	if (!strncmp(v, "tcp:", 4))
		c->collector_tcp = true;
	else if (!strncmp(v, "udp:", 4))
		c->collector_tcp = false;
	else
		return bad("invalid Collector (%s)", k->help);
	if (parse_addr(v + 4, &c->collector, k->min))
		return bad("invalid Collector (%s)", k->help);
	return 0;
}

static int set_broker(struct conf *c, const struct key *k, const char *v)
{
	if (broker(v, &c->mqtt))
		return bad("invalid Broker (%s)", k->help);
	return 0;
}

static int set_version(struct conf *c, const struct key *k, const char *v)
{
	if (!strcmp(v, "5"))
		c->mqtt.version = MQTT_PROTOCOL_V5;
	else if (!strcmp(v, "3.1.1"))
		c->mqtt.version = MQTT_PROTOCOL_V311;
	else
		return bad("invalid Version (%s)", k->help);
	return 0;
}

static int set_tls_version(struct conf *c, const struct key *k, const char *v)
{
	if (strcmp(v, "tlsv1.2") && strcmp(v, "tlsv1.3"))
		return bad("invalid TLSVersion (%s)", k->help);
	strcpy(c->mqtt.tls_version, v);
	return 0;
}

/* A PasswordFile of either section: the first line read now. */
static int set_password_file(struct conf *c, const struct key *k, const char *v)
{
	bool ua = k->sect == S_OPCUA;

	if (abs_path(v, (char *)c + k->off, k->len))
		return bad("invalid PasswordFile (%s)", k->help);
	return ua ? read_password(v, c->opcua.password, sizeof(c->opcua.password), &c->opcua.has_password) :
		    read_password(v, c->mqtt.password, sizeof(c->mqtt.password), &c->mqtt.has_password);
}

/* CAFile, CertFile, KeyFile: a file we can read. */
static int set_readable(struct conf *c, const struct key *k, const char *v)
{
	if (abs_path(v, (char *)c + k->off, k->len))
		return bad("invalid %s (%s)", k->name, k->help);
	if (access(v, R_OK))
		return bad("%s %s: %s", k->name, v, strerror(errno));
	return 0;
}

static int set_ca_path(struct conf *c, const struct key *k, const char *v)
{
	struct stat st;

	if (abs_path(v, c->mqtt.ca_path, sizeof(c->mqtt.ca_path)))
		return bad("invalid CAPath (%s)", k->help);
	if (stat(v, &st))
		return bad("CAPath %s: %s", v, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bad("CAPath %s: not a folder", v);
	return 0;
}

static int set_keepalive(struct conf *c, const struct key *k, const char *v)
{
	uint64_t n;

	if (duration(v, k->min, k->max, &n) || n % 1000)
		return bad("invalid KeepAlive (%s)", k->help);
	c->mqtt.keepalive_s = n / 1000;
	return 0;
}

static int set_topic(struct conf *c, const struct key *k, const char *v)
{
	struct conf_mqtt *m = &c->mqtt;
	const char *why = topic_bad(v, true);
	int i;

	(void)k;
	if (why)
		return bad("invalid Topic: %s", why);
	for (i = 0; i < m->ntopics; i++)
		if (!strcmp(m->topics[i], v))
			return bad("Topic %s is given twice", v);
	if (m->ntopics == CONF_MQTT_TOPICS)
		return bad("more than %d Topic filters", CONF_MQTT_TOPICS);
	strcpy(m->topics[m->ntopics++], v);
	return 0;
}

static int set_session_expiry(struct conf *c, const struct key *k, const char *v)
{
	uint64_t n;

	if (!strcmp(v, "never")) {
		c->mqtt.session_expiry_s = UINT32_MAX;
		return 0;
	}
	if (duration(v, k->min, k->max, &n) || n % 1000)
		return bad("invalid SessionExpiry (%s)", k->help);
	c->mqtt.session_expiry_s = n / 1000;
	return 0;
}

static int set_security_mode(struct conf *c, const struct key *k, const char *v)
{
	int i;

	(void)k;
	for (i = 1; i < 4 && strcmp(v, ua_modes[i]); i++)
		;
	if (i == 4)
		return bad("invalid SecurityMode '%s' (None, Sign or SignAndEncrypt)",
			   looks_like_name(v) ? v : "...");
	c->opcua.security_mode = i;
	return 0;
}

static int set_security_policy(struct conf *c, const struct key *k, const char *v)
{
	if (ua_policy_set(v, &c->opcua.policies))
		return bad("invalid SecurityPolicy (%s)", k->help);
	return 0;
}

/* Certificate, PrivateKey, Users: a file we can read. */
static int set_ua_file(struct conf *c, const struct key *k, const char *v)
{
	return ua_readable(k, v, (char *)c + k->off, k->len, false);
}

static int set_trust(struct conf *c, const struct key *k, const char *v)
{
	struct conf_opcua *o = &c->opcua;
	int i;

	if (o->ntrust == CONF_OPCUA_TRUST)
		return bad("TrustList given more than %d times", CONF_OPCUA_TRUST);
	for (i = 0; i < o->ntrust; i++)
		if (!strcmp(o->trust[i], v))
			return bad("TrustList %s is given twice", v);
	if (ua_readable(k, v, o->trust[o->ntrust], sizeof(o->trust[0]), true))
		return -1;
	o->ntrust++;
	return 0;
}

static int set_endpoint(struct conf *c, const struct key *k, const char *v)
{
	if (strncmp(v, "opc.tcp://", 10) || !v[10] || strlen(v) >= sizeof(c->opcua.endpoint))
		return bad("invalid Endpoint (%s)", k->help);
	strcpy(c->opcua.endpoint, v);
	return 0;
}

/* ------------------------------------------------------ the keys */

#define DAY (86400000ull)

static const struct key keys[] = {
	[K_NAME] = { "Name", S_CHANNEL, .kind = KD_NAME, FIELD(name), .max = 24,
		     .help = "letters, digits, - and _, at most 24" },
	[K_ROLE] = { "Role", S_CHANNEL, .set = set_role },
	[K_PROTOCOL] = { "Protocol", S_CHANNEL, .set = set_protocol },
	[K_ID] = { "Id", S_CHANNEL, .kind = KD_NUM, FIELD(id), .min = 1, .max = 65535,
		   .help = "1 to 65535" },
	[K_STATEDIR] = { "StateDir", S_CHANNEL, .kind = KD_PATH, FIELD(state_dir),
			 .help = "an absolute path" },

	[K_LOCAL] = { "Local", S_TRANSPORT, .kind = KD_ADDR, FIELD(local), .min = 5140,
		      .help = "an address and port: 192.0.2.2:5140, [2001:db8::2]:5140" },
	[K_REMOTE] = { "Remote", S_TRANSPORT, R_TX, .min = 5140,
		       .help = "an address and port: 192.0.2.2:5140, [2001:db8::2]:5140",
		       .set = set_remote },
	[K_DEVICE] = { "Device", S_TRANSPORT, .kind = KD_NAME, FIELD(device), .max = 15,
		       .help = "an interface name" },
	[K_MTU] = { "MTU", S_TRANSPORT, .kind = KD_NUM, FIELD(mtu), .none = "auto", .min = 576,
		    .max = 65535, .help = "auto, or 576 to 65535" },
	[K_HEARTBEAT] = { "HeartbeatInterval", S_TRANSPORT, .kind = KD_MS, FIELD(heartbeat_ms),
			  .min = 100, .max = 60000, .def = 1000, .help = "100ms to 60s" },
	[K_REORDER] = { "ReorderWait", S_TRANSPORT, .kind = KD_MS, FIELD(reorder_ms),
			.min = 1, .max = 60000, .def = 200, .help = "1ms to 60s" },
	[K_RATE] = { "Rate", S_TRANSPORT, .kind = KD_RATE, FIELD(rate_bps),
		     .help = "0, none, or a number with bit, kbit, mbit or gbit" },
	[K_QUEUE] = { "Queue", S_TRANSPORT, .kind = KD_NUM, FIELD(queue), .min = 16, .max = 1 << 22,
		      .def = 65536, .help = "16 to 4194304 messages" },
	[K_JOURNAL] = { "Journal", S_TRANSPORT, R_TX, KD_NUM, FIELD(journal_bytes), .none = "off",
			.none0 = true, .min = 1 << 20, .max = 1ull << 40, .def = 64u << 20,
			.help = "off, or 1048576 to 1099511627776 bytes" },
	[K_LINK] = { "Link", S_TRANSPORT, R_TX, KD_NAME, FIELD(link), .max = 24,
		     .help = "a name: letters, digits, - and _, at most 24" },
	[K_LINKRATE] = { "LinkRate", S_TRANSPORT, R_TX, KD_RATE, FIELD(link_rate_bps), .min = 1,
			 .help = "a number with bit, kbit, mbit or gbit" },
	[K_PRIORITY] = { "Priority", S_TRANSPORT, R_TX, KD_NUM, FIELD(priority), .max = 7,
			 .def = 4, .help = "0, the highest, to 7" },

	[K_LISTENUDP] = { "ListenUDP", S_SYSLOG, R_TX, KD_ADDR, FIELD(listen_udp), .min = 514,
			  .help = "an address and port: 192.0.2.2:5140, [2001:db8::2]:5140" },
	[K_LISTENTCP] = { "ListenTCP", S_SYSLOG, R_TX, KD_ADDR, FIELD(listen_tcp), .min = 514,
			  .help = "an address and port: 192.0.2.2:5140, [2001:db8::2]:5140" },
	[K_MAXMESSAGE] = { "MaxMessage", S_SYSLOG, .kind = KD_NUM, FIELD(max_message),
			   .min = 480, .max = 1 << 20, .def = 65536, .help = "480 to 1048576 bytes" },
	[K_COLLECTOR] = { "Collector", S_SYSLOG, R_RX, .min = 514,
			  .help = "tcp:ADDRESS:PORT or udp:ADDRESS:PORT", .set = set_collector },
	[K_SPOOL] = { "Spool", S_SYSLOG, R_RX, KD_NUM, FIELD(spool_bytes), .min = 1 << 16,
		      .max = 1ull << 40, .def = 256u << 20, .help = "65536 to 1099511627776 bytes" },

	[K_BROKER] = { "Broker", S_MQTT, .help = "HOST or HOST:PORT, [IPV6]:PORT", .set = set_broker },
	[K_VERSION] = { "Version", S_MQTT, FIELD(mqtt.version), .def = MQTT_PROTOCOL_V5,
			.help = "5 or 3.1.1", .set = set_version },
	[K_CLIENTID] = { "ClientId", S_MQTT, .kind = KD_UTF8, FIELD(mqtt.client_id),
			 .help = "not valid UTF-8" },
	[K_USERNAME] = { "Username", S_MQTT, .kind = KD_UTF8, FIELD(mqtt.username),
			 .help = "not valid UTF-8" },
	[K_PASSWORDFILE] = { "PasswordFile", S_MQTT, FIELD(mqtt.password_file),
			     .help = "an absolute path", .set = set_password_file },
	[K_CAFILE] = { "CAFile", S_MQTT, FIELD(mqtt.ca_file), .help = "an absolute path",
		       .set = set_readable },
	[K_CAPATH] = { "CAPath", S_MQTT, .help = "an absolute path", .set = set_ca_path },
	[K_CERTFILE] = { "CertFile", S_MQTT, FIELD(mqtt.cert_file), .help = "an absolute path",
			 .set = set_readable },
	[K_KEYFILE] = { "KeyFile", S_MQTT, FIELD(mqtt.key_file), .help = "an absolute path",
			.set = set_readable },
	[K_TLSVERSION] = { "TLSVersion", S_MQTT, .help = "tlsv1.2 or tlsv1.3", .set = set_tls_version },
	[K_INSECURE] = { "Insecure", S_MQTT, .kind = KD_YESNO, FIELD(mqtt.insecure),
			 .help = "yes or no" },
	[K_KEEPALIVE] = { "KeepAlive", S_MQTT, .min = 5000, .max = 65535000, .def = 30,
			  FIELD(mqtt.keepalive_s), .help = "5s to 65535s, in whole seconds",
			  .set = set_keepalive },
	[K_TOPIC] = { "Topic", S_MQTT, R_TX, .repeats = true, .set = set_topic },
	[K_SESSIONEXPIRY] = { "SessionExpiry", S_MQTT, .max = (UINT32_MAX - 1ull) * 1000,
			      .def = 86400, FIELD(mqtt.session_expiry_s),
			      .help = "0, a duration in whole seconds as 1d, or never",
			      .set = set_session_expiry },
	[K_CAROUSELPERIOD] = { "CarouselPeriod", S_MQTT, R_TX, KD_DURATION, .none0 = true,
			       FIELD(mqtt.carousel_ms), .min = 1000, .max = 7 * DAY, .def = 60000,
			       .help = "0 for none, or 1s to 7d" },
	[K_CAROUSELSHARE] = { "CarouselShare", S_MQTT, R_TX, KD_PERCENT, FIELD(mqtt.carousel_share),
			      .min = 1, .max = 100, .def = 10, .help = "1% to 100% of Rate" },
	[K_MAXTOPICS] = { "MaxTopics", S_MQTT, .kind = KD_NUM, FIELD(mqtt.max_topics), .min = 1,
			  .max = 10000000, .def = 100000, .help = "1 to 10000000" },
	[K_MAXSTATEBYTES] = { "MaxStateBytes", S_MQTT, .kind = KD_SIZE, FIELD(mqtt.max_state_bytes),
			      .min = 1 << 16, .max = 1ull << 36, .def = 64u << 20,
			      .help = "64K to 64G: bytes, or with K, M or G" },
	[K_PREFIX] = { "Prefix", S_MQTT, R_RX, KD_TOPIC, FIELD(mqtt.prefix) },
	[K_QOS] = { "QoS", S_MQTT, R_RX, KD_NUM, FIELD(mqtt.qos), .max = 2, .def = 1,
		    .help = "0, 1 or 2" },
	[K_STATUSTOPIC] = { "StatusTopic", S_MQTT, R_RX, KD_TOPIC, FIELD(mqtt.status_topic) },

	[K_OUTBOX] = { "Outbox", S_FILES, R_TX, KD_PATH, FIELD(files.outbox),
		       .help = "an absolute path" },
	[K_SENT] = { "Sent", S_FILES, R_TX, KD_PATH, FIELD(files.sent), .help = "an absolute path" },
	[K_SETTLE] = { "Settle", S_FILES, R_TX, KD_DURATION, FIELD(files.settle_ms),
		       .max = 3600000, .def = 2000, .help = "0, or up to 1h: 2s, 500ms" },
	[K_PASSES] = { "Passes", S_FILES, R_TX, KD_NUM, FIELD(files.passes), .min = 1, .max = 16,
		       .def = 2, .help = "1 to 16" },
	[K_PASSDELAY] = { "PassDelay", S_FILES, R_TX, KD_DURATION, FIELD(files.pass_delay_ms),
			  .max = DAY, .def = 5000, .help = "0, or up to 1d: 5s, 10m" },
	[K_HISTORY] = { "History", S_FILES, R_TX, KD_DURATION, .none0 = true,
			FIELD(files.history_ms), .min = 100, .max = DAY, .def = 10000,
			.help = "0 for none, or 100ms to 1d" },
	[K_HISTORYFILES] = { "HistoryFiles", S_FILES, R_TX, KD_NUM, FIELD(files.history_files),
			     .min = 1, .max = 100000, .def = 64, .help = "1 to 100000" },
	[K_INBOX] = { "Inbox", S_FILES, R_RX, KD_PATH, FIELD(files.inbox), .help = "an absolute path" },
	[K_PARTIAL] = { "Partial", S_FILES, R_RX, KD_PATH, FIELD(files.partial),
			.help = "an absolute path" },
	[K_FAILED] = { "Failed", S_FILES, R_RX, KD_PATH, FIELD(files.failed),
		       .help = "an absolute path" },
	[K_DEADLINE] = { "Deadline", S_FILES, R_RX, KD_DURATION, FIELD(files.deadline_ms),
			 .min = 1000, .max = 30 * DAY, .def = 3600000, .help = "1s to 30d" },
	[K_MARKAGE] = { "MarkAge", S_FILES, R_RX, KD_DURATION, FIELD(files.mark_age_ms),
			.min = 2 * DAY, .max = 365 * DAY, .def = 7 * DAY, .help = "2d to 365d" },

	[K_ENDPOINT] = { "Endpoint", S_OPCUA, R_TX, .help = "opc.tcp://HOST:PORT",
			 .set = set_endpoint },
	[K_SAMPLING] = { "SamplingInterval", S_OPCUA, R_TX, KD_DURATION, FIELD(opcua.sampling_ms),
			 .min = 10, .max = 3600000, .def = 250, .help = "10ms to 1h" },
	[K_PUBLISHING] = { "PublishingInterval", S_OPCUA, R_TX, KD_DURATION,
			   FIELD(opcua.publishing_ms), .min = 10, .max = 3600000, .def = 500,
			   .help = "10ms to 1h" },
	[K_CAROUSEL] = { "Carousel", S_OPCUA, R_TX, KD_DURATION, .none0 = true,
			 FIELD(opcua.carousel_ms), .min = 1000, .max = 7 * DAY, .def = 60000,
			 .help = "0 for none, or 1s to 7d" },
	[K_REBROWSE] = { "Rebrowse", S_OPCUA, R_TX, KD_DURATION, .none0 = true,
			 FIELD(opcua.rebrowse_ms), .min = 1000, .max = 7 * DAY, .def = 600000,
			 .help = "0 for none, or 1s to 7d" },
	[K_PORT] = { "Port", S_OPCUA, R_RX, KD_NUM, FIELD(opcua.port), .min = 1, .max = 65535,
		     .def = 4840, .help = "1 to 65535" },
	[K_SECMODE] = { "SecurityMode", S_OPCUA, R_TX, FIELD(opcua.security_mode), .def = 1,
			.set = set_security_mode },
	[K_SECPOLICY] = { "SecurityPolicy", S_OPCUA, FIELD(opcua.policies),
			  .def = CONF_OPCUA_POL_NONE,
			  .help = "None, Basic256Sha256 or Aes128_Sha256_RsaOaep; an rx's list each once",
			  .set = set_security_policy },
	[K_CERT] = { "Certificate", S_OPCUA, FIELD(opcua.cert), .set = set_ua_file },
	[K_PKEY] = { "PrivateKey", S_OPCUA, FIELD(opcua.key), .secret = true, .set = set_ua_file },
	[K_TRUST] = { "TrustList", S_OPCUA, .repeats = true, .set = set_trust },
	[K_UA_USER] = { "Username", S_OPCUA, R_TX, KD_UTF8, FIELD(opcua.username),
			.help = "UTF-8, at most 255 bytes" },
	[K_UA_PASSWORDFILE] = { "PasswordFile", S_OPCUA, R_TX, FIELD(opcua.password_file),
				.help = "an absolute path", .set = set_password_file },
	[K_USERS] = { "Users", S_OPCUA, R_RX, FIELD(opcua.users), .secret = true, .set = set_ua_file },
	[K_ANONYMOUS] = { "Anonymous", S_OPCUA, R_RX, KD_YESNO, FIELD(opcua.anonymous), .def = 1,
			  .help = "yes or no" },
	[K_UA_CAROUSELSHARE] = { "CarouselShare", S_OPCUA, R_TX, KD_PERCENT,
				 FIELD(opcua.carousel_share), .min = 1, .max = 100, .def = 10,
				 .help = "1% to 100% of Rate" },
};
_Static_assert(sizeof(keys) / sizeof(keys[0]) == K_END, "keys[] and enum key_id disagree");

static void put(struct conf *c, const struct key *k, uint64_t n)
{
	void *p = (char *)c + k->off;

	switch (k->len) {
	case 1:
		*(uint8_t *)p = n;
		return;
	case 2:
		*(uint16_t *)p = n;
		return;
	case 4:
		*(uint32_t *)p = n;
		return;
	}
	*(uint64_t *)p = n;
}

/* Every number's default, from its row. */
static void defaults(struct conf *c)
{
	size_t i;

	for (i = 0; i < K_END; i++)
		if (keys[i].def)
			put(c, &keys[i], keys[i].def);
}

static int set_key(struct conf *c, const struct key *k, const char *v)
{
	char *s = (char *)c + k->off;
	const char *why;
	uint64_t n = 0;
	uint32_t t;
	int bad_value = 0;

	switch (k->kind) {
	case KD_FN:
		return k->set(c, k, v);
	case KD_NUM:
		if (k->none && !strcmp(v, k->none))
			break;
		bad_value = num(v, k->none0 ? 0 : k->min, k->max, &n) || (k->none0 && n && n < k->min);
		break;
	case KD_MS:
		bad_value = ms(v, k->min, k->max, &t);
		n = t;
		break;
	case KD_DURATION:
		bad_value = duration(v, k->none0 ? 0 : k->min, k->max, &n) ||
			    (k->none0 && n && n < k->min);
		break;
	case KD_SIZE:
		bad_value = size(v, k->min, k->max, &n);
		break;
	case KD_PERCENT:
		bad_value = percent(v, k->min, k->max, &t);
		n = t;
		break;
	case KD_RATE:
		bad_value = rate(v, &n) || n < k->min;
		break;
	case KD_YESNO:
		bad_value = strcmp(v, "yes") && strcmp(v, "no");
		n = !strcmp(v, "yes");
		break;
	case KD_PATH:
		if (abs_path(v, s, k->len))
			return bad("invalid %s (%s)", k->name, k->help);
		return 0;
	case KD_NAME:
		if (!looks_like_name(v) || strlen(v) > k->max)
			return bad("invalid %s (%s)", k->name, k->help);
		strcpy(s, v);
		return 0;
	case KD_UTF8:
		if (!utf8_ok(v) || strlen(v) >= k->len)
			return bad("invalid %s (%s)", k->name, k->help);
		strcpy(s, v);
		return 0;
	case KD_ADDR:
		if (parse_addr(v, (struct addr *)s, k->min))
			return bad("invalid %s (%s)", k->name, k->help);
		return 0;
	case KD_TOPIC:
		if ((why = topic_bad(v, false)))
			return bad("invalid %s: %s", k->name, why);
		strcpy(s, v);
		return 0;
	}
	if (bad_value)
		return bad("invalid %s (%s)", k->name, k->help);
	put(c, k, n);
	return 0;
}

/* The keys given that are not for the channel's role. */
static int role_check(const struct conf *c, const int *given)
{
	size_t i;

	for (i = 0; i < K_END; i++)
		if (given[i] && keys[i].role == (c->tx ? R_RX : R_TX))
			return line = given[i], bad("%s is for %s channel", keys[i].name,
						    c->tx ? "an rx" : "a tx");
	return 0;
}

/* [Files]: the rx's areas by default in the inbox (names starting with
 * .diode- are refused from the link). */
static int files_check(struct conf *c)
{
	struct conf_files *f = &c->files;

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

/*
 * [OPCUA]: a tx needs its source. Security:
 * a tx's mode and policy agree (None with None); a secure side (a tx's
 * Sign or SignAndEncrypt, an rx offering a policy other than None) has
 * its certificate, key and trust list, and only it has them; a password
 * never crosses a channel without security.
 */
static int opcua_check(struct conf *c, const int *given)
{
	static const int files[] = { K_CERT, K_PKEY, K_TRUST };
	struct conf_opcua *o = &c->opcua;
	const char *need;
	bool secure;
	size_t i;

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

/* The [MQTT] keys together, and the defaults that depend on others. */
static int mqtt_check(struct conf *c, const int *given)
{
	static const int tls_only[] = { K_CERTFILE, K_KEYFILE, K_TLSVERSION, K_INSECURE };
	struct conf_mqtt *m = &c->mqtt;
	size_t i;

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

/* The sections of other protocols than the channel's. */
static int protocol_sections(const struct conf *c, const int *sect_line)
{
	int other;

	switch (c->protocol) {
	case CONF_OPCUA:
		other = sect_line[S_SYSLOG] ? S_SYSLOG : sect_line[S_MQTT] ? S_MQTT :
			sect_line[S_FILES] ? S_FILES : 0;
		if (other)
			return line = sect_line[other], bad("%s is not for Protocol = opcua",
							    sect_name[other]);
		return 0;
	case CONF_FILES:
		other = sect_line[S_SYSLOG] ? S_SYSLOG : sect_line[S_MQTT] ? S_MQTT : 0;
		if (other)
			return line = sect_line[other], bad("%s is not for Protocol = files",
							    sect_name[other]);
		break;
	case CONF_MQTT:
		if (sect_line[S_SYSLOG])
			return line = sect_line[S_SYSLOG], bad("[Syslog] is for Protocol = syslog, not mqtt");
		if (sect_line[S_FILES])
			return line = sect_line[S_FILES], bad("[Files] is for Protocol = files");
		break;
	case CONF_SYSLOG:
		if (sect_line[S_FILES])
			return line = sect_line[S_FILES], bad("[Files] is for Protocol = files");
		if (sect_line[S_MQTT])
			return line = sect_line[S_MQTT], bad("[MQTT] is for Protocol = mqtt, not syslog");
		break;
	}
	if (sect_line[S_OPCUA])
		return line = sect_line[S_OPCUA], bad("[OPCUA] is for Protocol = opcua");
	return 0;
}

static int load(struct conf *c, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char buf[1024];
	int given[K_END] = { 0 }, sect_line[S_END] = { 0 };
	enum sect sect = S_NONE;
	const char *base;
	size_t k;

	file = f == stdin ? "stdin" : path;
	line = 0;
	if (!f) {
		fprintf(stderr, "diode-agent: %s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(c, 0, sizeof(*c));
	defaults(c);
	strcpy(c->state_dir, "/var/lib/diode-agent");
	strcpy(c->mqtt.host, "127.0.0.1");
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
		for (k = 0; k < K_END; k++)
			if (!strcasecmp(key, keys[k].name) && keys[k].sect == sect)
				break;
		if (k == K_END)
			for (k = 0; k < K_END; k++)
				if (!strcasecmp(key, keys[k].name))
					break;
		if (k == K_END) {
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
		if (given[k] && !keys[k].repeats) {
			bad("%s is given twice (first on line %d)", keys[k].name, given[k]);
			goto fail;
		}
		if (!given[k])
			given[k] = line;
		if (!*val) {
			bad("%s has no value", keys[k].name);
			goto fail;
		}
		if (set_key(c, &keys[k], val))
			goto fail;
	}
	if (f != stdin)
		fclose(f);
	if (!sect_line[S_CHANNEL])
		return bad("no [Channel] section");
	line = sect_line[S_CHANNEL];
	if (!given[K_ROLE])
		return bad("[Channel] has no Role (tx or rx)");
	if (!given[K_ID])
		return bad("[Channel] has no Id (1 to 65535)");
	if (!given[K_PROTOCOL])
		return bad("[Channel] has no Protocol (syslog, mqtt, files or opcua)");
	line = sect_line[S_TRANSPORT] ? sect_line[S_TRANSPORT] : line;
	if (c->tx && !c->remote.set)
		return bad("a tx channel needs Remote in [Transport]");
	if (!c->tx && !c->local.set)
		return bad("an rx channel needs Local in [Transport]");
	if (protocol_sections(c, sect_line) || role_check(c, given))
		return -1;
	switch (c->protocol) {
	case CONF_OPCUA:
		line = sect_line[S_OPCUA] ? sect_line[S_OPCUA] : sect_line[S_CHANNEL];
		if (opcua_check(c, given))
			return -1;
		break;
	case CONF_MQTT:
		if (mqtt_check(c, given))
			return -1;
		break;
	case CONF_FILES:
		line = sect_line[S_FILES] ? sect_line[S_FILES] : sect_line[S_CHANNEL];
		if (files_check(c))
			return -1;
		break;
	case CONF_SYSLOG:
		line = sect_line[S_SYSLOG] ? sect_line[S_SYSLOG] : line;
		if (c->tx && !c->listen_udp.set && !c->listen_tcp.set)
			return bad("a tx syslog channel needs ListenUDP or ListenTCP in [Syslog]");
		if (!c->tx && !c->collector.set)
			return bad("an rx syslog channel needs Collector in [Syslog]");
		break;
	}
	if (given[K_LINK] && !given[K_LINKRATE])
		return line = given[K_LINK], bad("Link needs LinkRate, the rate the link's channels share");
	if (!given[K_LINK] && (given[K_LINKRATE] || given[K_PRIORITY]))
		return line = given[K_LINKRATE] ? given[K_LINKRATE] : given[K_PRIORITY],
		       bad("%s needs Link, the name of the budget it belongs to",
			   given[K_LINKRATE] ? "LinkRate" : "Priority");
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
