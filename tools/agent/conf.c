// SPDX-License-Identifier: GPL-2.0
/* The channel file: sections, keys and values in the style of diodectl's. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

int parse_addr(const char *s, struct addr *a, uint16_t default_port)
{
	char host[128], *end;
	const char *port = NULL;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM }, *res;
	unsigned long p = default_port;

	if (strlen(s) >= sizeof(host))
		return -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -1;
		memcpy(host, s + 1, close - s - 1);
		host[close - s - 1] = 0;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return -1;
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':'))
			return -1;	/* IPv6 goes in brackets */
		strcpy(host, s);
		if (colon) {
			host[colon - s] = 0;
			port = colon + 1;
		}
	}
	if (!strcmp(host, "any"))
		strcpy(host, "0.0.0.0");
	if (port) {
		if (!isdigit((unsigned char)*port))
			return -1;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *end || p == 0 || p > 65535)
			return -1;
	}
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

enum sect { S_NONE, S_CHANNEL, S_TRANSPORT, S_SYSLOG };
static const char *sect_name[] = { "", "[Channel]", "[Transport]", "[Syslog]" };

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
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

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

static int set_key(struct conf *c, int k, const char *v)
{
	uint64_t n;
	uint32_t t;
	const char *name = keys[k].name;

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
		if (strcmp(v, "syslog"))
			return bad("unknown Protocol '%s' (syslog)", looks_like_name(v) ? v : "...");
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

int conf_load(struct conf *c, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char buf[1024];
	int given[NKEYS] = { 0 }, sect_line[4] = { 0 };
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
		if (hash)
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
		if (given[k]) {
			bad("%s is given twice (first on line %d)", keys[k].name, given[k]);
			goto fail;
		}
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
		return bad("[Channel] has no Protocol (syslog)");
	line = sect_line[S_TRANSPORT] ? sect_line[S_TRANSPORT] : line;
	if (c->tx && !c->remote.set)
		return bad("a tx channel needs Remote in [Transport]");
	if (!c->tx && !c->local.set)
		return bad("an rx channel needs Local in [Transport]");
	line = sect_line[S_SYSLOG] ? sect_line[S_SYSLOG] : line;
	if (c->tx && !c->listen_udp.set && !c->listen_tcp.set)
		return bad("a tx syslog channel needs ListenUDP or ListenTCP in [Syslog]");
	if (!c->tx && !c->collector.set)
		return bad("an rx syslog channel needs Collector in [Syslog]");
	if (c->tx && (given[16] || given[17]))
		return line = given[16] ? given[16] : given[17],
		       bad("%s is for an rx channel", given[16] ? "Collector" : "Spool");
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
