// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and formatting for diodectl; see parse.h. No netlink in here.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "parse.h"

int parse_fail(struct parse_error *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* The rules of the kernel's dev_valid_name(), so that bad names fail here. */
int parse_ifname(const char *word, struct parse_error *e)
{
	const char *c;

	if (!*word || strlen(word) >= IFNAMSIZ)
		return parse_fail(e, "invalid interface name '%s' (1 to %d characters)",
				  word, IFNAMSIZ - 1);
	if (!strcmp(word, ".") || !strcmp(word, ".."))
		return parse_fail(e, "invalid interface name '%s'", word);
	for (c = word; *c; c++) {
		if (*c == '/' || *c == ':' || isspace((unsigned char)*c))
			return parse_fail(e, "invalid interface name '%s' (no '/', ':' or spaces)",
					  word);
	}
	return 0;
}

static const char *const mode_names[] = {
	[DIODE_MODE_NONE] = "none",
	[DIODE_MODE_TX] = "tx",
	[DIODE_MODE_RX] = "rx",
};

const char *mode_name(uint8_t mode)
{
	return mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : NULL;
}

int parse_mode(const char *word, uint8_t *mode, struct parse_error *e)
{
	uint8_t m;

	for (m = 0; m < ARRAY_SIZE(mode_names); m++) {
		if (!strcmp(word, mode_names[m])) {
			*mode = m;
			return 0;
		}
	}
	return parse_fail(e, "invalid mode '%s' (expected tx, rx or none)", word);
}

/* Plain decimal only: no sign, no spaces, no hex, nothing above max. */
static bool parse_decimal(const char *word, uint64_t max, uint64_t *value)
{
	uint64_t v = 0, digit;

	if (!*word)
		return false;
	for (; *word; word++) {
		if (*word < '0' || *word > '9')
			return false;
		digit = *word - '0';
		if (v > (max - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*value = v;
	return true;
}

static bool parse_u32(const char *word, uint32_t *value)
{
	uint64_t v;

	if (!parse_decimal(word, UINT32_MAX, &v))
		return false;
	*value = v;
	return true;
}

int parse_port(const char *word, uint16_t *port, struct parse_error *e)
{
	uint32_t v;

	if (!parse_u32(word, &v) || v < 1 || v > 65535)
		return parse_fail(e, "invalid port '%s' (1 to 65535)", word);
	*port = v;
	return 0;
}

int parse_replay_window(const char *word, uint32_t *window,
			struct parse_error *e)
{
	uint32_t v;

	if (!parse_u32(word, &v) || v < DIODE_REPLAY_WINDOW_MIN ||
	    v > DIODE_REPLAY_WINDOW_MAX || v % 64)
		return parse_fail(e, "invalid replay window '%s' (a multiple of 64 from %d to %d)",
				  word, DIODE_REPLAY_WINDOW_MIN,
				  DIODE_REPLAY_WINDOW_MAX);
	*window = v;
	return 0;
}

int parse_rekey_time(const char *word, uint32_t *seconds,
		     struct parse_error *e)
{
	uint32_t v;

	if (!parse_u32(word, &v) || v < DIODE_REKEY_TIME_MIN ||
	    v > DIODE_REKEY_TIME_MAX)
		return parse_fail(e, "invalid rekey time '%s' (seconds, from %d to %d)",
				  word, DIODE_REKEY_TIME_MIN,
				  DIODE_REKEY_TIME_MAX);
	*seconds = v;
	return 0;
}

int parse_rekey_frames(const char *word, uint64_t *frames,
		       struct parse_error *e)
{
	uint64_t v;

	if (!parse_decimal(word, UINT64_MAX, &v) ||
	    v < DIODE_REKEY_FRAMES_MIN || v > DIODE_REKEY_FRAMES_MAX)
		return parse_fail(e, "invalid rekey frame count '%s' (from %llu to %llu)",
				  word, (unsigned long long)DIODE_REKEY_FRAMES_MIN,
				  (unsigned long long)DIODE_REKEY_FRAMES_MAX);
	*frames = v;
	return 0;
}

int parse_max_session_age(const char *word, uint32_t *seconds,
			  struct parse_error *e)
{
	if (!parse_u32(word, seconds))
		return parse_fail(e, "invalid max session age '%s' (seconds, 0 for no limit, up to %u)",
				  word, UINT32_MAX);
	return 0;
}

/*
 * A number and the unit right after it: *unit points at what follows the
 * digits, "" when nothing does.
 */
static bool parse_number_unit(const char *word, uint64_t max, uint64_t *value,
			      const char **unit)
{
	char digits[sizeof("18446744073709551615")];
	size_t len = strspn(word, "0123456789");

	if (!len || len >= sizeof(digits))
		return false;
	memcpy(digits, word, len);
	digits[len] = '\0';
	*unit = word + len;
	return parse_decimal(digits, max, value);
}

int parse_heartbeat_interval(const char *word, uint32_t *ms,
			     struct parse_error *e)
{
	const char *unit;
	uint64_t v;
	bool ok;

	ok = parse_number_unit(word, UINT32_MAX, &v, &unit);
	if (ok && !strcmp(unit, "s"))
		v *= 1000;
	else if (ok && *unit && strcmp(unit, "ms"))
		ok = false;
	if (!ok || v < DIODE_HEARTBEAT_MS_MIN || v > DIODE_HEARTBEAT_MS_MAX)
		return parse_fail(e, "invalid heartbeat interval '%s' (%dms to %ds: milliseconds, or a number with the unit ms or s)",
				  word, DIODE_HEARTBEAT_MS_MIN,
				  DIODE_HEARTBEAT_MS_MAX / 1000);
	*ms = v;
	return 0;
}

int parse_redundancy(const char *word, uint8_t *copies,
		     struct parse_error *e)
{
	uint32_t v;

	if (!parse_u32(word, &v) || v < 1 || v > DIODE_REDUNDANCY_MAX)
		return parse_fail(e, "invalid redundancy '%s' (1 to %d copies of every frame)",
				  word, DIODE_REDUNDANCY_MAX);
	*copies = v;
	return 0;
}

int parse_fec(const char *word, uint8_t *data, uint8_t *parity,
	      struct parse_error *e)
{
	const char *slash = strchr(word, '/');
	char k[sizeof("32")];
	uint32_t d, p;

	if (!strcmp(word, "off")) {
		*data = 0;
		return 0;
	}
	if (!slash || (size_t)(slash - word) >= sizeof(k))
		goto bad;
	memcpy(k, word, slash - word);
	k[slash - word] = '\0';
	if (!parse_u32(k, &d) || d < 1 || d > DIODE_FEC_DATA_MAX ||
	    !parse_u32(slash + 1, &p) || p < 1 || p > DIODE_FEC_PARITY_MAX)
		goto bad;
	*data = d;
	*parity = p;
	return 0;

bad:
	return parse_fail(e, "invalid FEC '%s' (K/M: 1 to %d data frames and 1 to %d parity frames per group, as 16/4; or off)",
			  word, DIODE_FEC_DATA_MAX, DIODE_FEC_PARITY_MAX);
}

int parse_interleave(const char *word, uint8_t *depth, struct parse_error *e)
{
	uint32_t v;

	if (!parse_u32(word, &v) || v < 1 || v > DIODE_FEC_INTERLEAVE_MAX)
		return parse_fail(e, "invalid interleave '%s' (1 to %d FEC groups filled in turn)",
				  word, DIODE_FEC_INTERLEAVE_MAX);
	*depth = v;
	return 0;
}

/* tc's units of rate, in bits: SI, the largest first for format_rate(). */
static const struct rate_unit {
	const char *name;
	uint64_t bits;
} rate_units[] = {
	{ "tbit", 1000000000000ULL },
	{ "gbit", 1000000000ULL },
	{ "mbit", 1000000ULL },
	{ "kbit", 1000ULL },
	{ "bit", 1ULL },
};

int parse_rate(const char *word, uint64_t *bits, struct parse_error *e)
{
	const char *unit = word + strspn(word, "0123456789");
	const struct rate_unit *u = NULL;
	uint64_t v;
	size_t i;

	if (!strcmp(word, "none")) {
		*bits = 0;
		return 0;
	}
	/* A plain number is in bits, the last unit. */
	if (!*unit)
		u = &rate_units[ARRAY_SIZE(rate_units) - 1];
	for (i = 0; *unit && i < ARRAY_SIZE(rate_units); i++) {
		if (!strcmp(unit, rate_units[i].name))
			u = &rate_units[i];
	}
	if (unit == word || !u)
		return parse_fail(e, "invalid rate '%s' (bits per second: a whole number with an optional unit bit, kbit, mbit, gbit or tbit, as 100mbit; 0 or none for no limit)",
				  word);
	/* Only digits and a known unit are left: what fails is the size. */
	if (!parse_number_unit(word, UINT64_MAX / u->bits, &v, &unit))
		return parse_fail(e, "invalid rate '%s' (too large: at most %" PRIu64 "bit)",
				  word, UINT64_MAX);
	*bits = v * u->bits;
	return 0;
}

void format_rate(uint64_t bits, char text[RATE_TEXT_SIZE])
{
	size_t i;

	for (i = 0; bits && i < ARRAY_SIZE(rate_units); i++) {
		if (bits % rate_units[i].bits)
			continue;
		snprintf(text, RATE_TEXT_SIZE, "%" PRIu64 "%s",
			 bits / rate_units[i].bits, rate_units[i].name);
		return;
	}
	snprintf(text, RATE_TEXT_SIZE, "0");
}

static const char *const encap_names[] = {
	[DIODE_ENCAP_UDP] = "udp",
	[DIODE_ENCAP_ETH] = "eth",
};

const char *encap_name(uint8_t encap)
{
	return encap < ARRAY_SIZE(encap_names) ? encap_names[encap] : NULL;
}

int parse_encap(const char *word, uint8_t *encap, struct parse_error *e)
{
	uint8_t i;

	for (i = 0; i < ARRAY_SIZE(encap_names); i++) {
		if (!strcmp(word, encap_names[i])) {
			*encap = i;
			return 0;
		}
	}
	return parse_fail(e, "invalid encapsulation '%s' (expected udp or eth)",
			  word);
}

int parse_lower(const char *word, uint32_t *ifindex, char name[IFNAMSIZ],
		struct parse_error *e)
{
	if (!strcmp(word, "none")) {
		*ifindex = 0;
		name[0] = '\0';
		return 0;
	}
	if (parse_ifname(word, e))
		return parse_fail(e, "invalid lower device '%s' (a device name, or none)",
				  word);
	*ifindex = if_nametoindex(word);
	if (!*ifindex && errno == ENODEV)
		return parse_fail(e, "lower device '%s' does not exist (expected a device of this network namespace, or none)",
				  word);
	if (!*ifindex)
		return parse_fail(e, "cannot look up lower device '%s': %s",
				  word, strerror(errno));
	strcpy(name, word);
	return 0;
}

/* Hex digits only, no prefix: the caller has taken the "0x" off. */
static bool parse_hex(const char *word, uint64_t max, uint64_t *value)
{
	uint64_t v = 0, digit;

	if (!*word)
		return false;
	for (; *word; word++) {
		if (!isxdigit((unsigned char)*word))
			return false;
		digit = isdigit((unsigned char)*word) ? *word - '0' :
			(tolower((unsigned char)*word) - 'a' + 10);
		if (v > (max - digit) / 16)
			return false;
		v = v * 16 + digit;
	}
	*value = v;
	return true;
}

/*
 * EtherTypes of protocols that the kernel, a network card or a switch
 * handles itself: frames under one of them would also go to that protocol
 * (or never arrive). The kernel refuses the same list (kmod/netlink.c).
 */
static const struct {
	uint16_t type;
	const char *name;
} ethertypes_taken[] = {
	{ 0x0800, "IPv4" },
	{ 0x0805, "X.25" },
	{ 0x0806, "ARP" },
	{ 0x4305, "B.A.T.M.A.N." },
	{ 0x8035, "RARP" },
	{ 0x809b, "AppleTalk" },
	{ 0x80f3, "AARP" },
	{ 0x8100, "802.1Q VLAN" },
	{ 0x8137, "IPX" },
	{ 0x86dd, "IPv6" },
	{ 0x8808, "Ethernet flow control" },
	{ 0x8809, "slow protocols (LACP)" },
	{ 0x8847, "MPLS" },
	{ 0x8848, "MPLS multicast" },
	{ 0x8863, "PPPoE discovery" },
	{ 0x8864, "PPPoE session" },
	{ 0x888e, "802.1X" },
	{ 0x88a8, "802.1ad VLAN" },
	{ 0x88ca, "TIPC" },
	{ 0x88cc, "LLDP" },
	{ 0x88e3, "MRP" },
	{ 0x88e5, "MACsec" },
	{ 0x88f7, "PTP" },
	{ 0x88f8, "NC-SI" },
	{ 0x88fb, "PRP" },
	{ 0x8902, "CFM" },
	{ 0x8906, "FCoE" },
	{ 0x8914, "FIP" },
	{ 0x8915, "RoCE" },
	{ 0x892f, "HSR" },
	{ 0x894f, "NSH" },
	{ 0x9100, "QinQ VLAN" },
	{ 0x9200, "QinQ VLAN" },
	{ 0x9300, "QinQ VLAN" },
	{ 0xdada, "DSA" },
	{ 0xdadb, "DSA 802.1Q" },
};

const char *ethertype_taken(uint16_t ethertype)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ethertypes_taken); i++) {
		if (ethertypes_taken[i].type == ethertype)
			return ethertypes_taken[i].name;
	}
	return NULL;
}

int parse_ethertype(const char *word, uint16_t *ethertype,
		    struct parse_error *e)
{
	const char *taken;
	uint64_t v;
	bool ok;

	if (word[0] == '0' && (word[1] == 'x' || word[1] == 'X'))
		ok = parse_hex(word + 2, UINT16_MAX, &v);
	else
		ok = parse_decimal(word, UINT16_MAX, &v);
	/* Below 0x0600 the field is an IEEE 802.3 length, not a type. */
	if (!ok || v < ETH_P_802_3_MIN)
		return parse_fail(e, "invalid EtherType '%s' (0x%04x to 0xffff, in hex as 0x88b5 or in decimal)",
				  word, ETH_P_802_3_MIN);
	taken = ethertype_taken(v);
	if (taken)
		return parse_fail(e, "invalid EtherType '%s' (0x%04x is %s's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)",
				  word, (unsigned int)v, taken);
	*ethertype = v;
	return 0;
}

int parse_dest_mac(const char *word, uint8_t mac[ETH_ALEN],
		   struct parse_error *e)
{
	const char *c = word;
	uint64_t byte;
	char hex[3];
	int i;

	for (i = 0; i < ETH_ALEN; i++, c += 3) {
		/* Two hex digits, then ':' or, after the last, the end. */
		if (!isxdigit((unsigned char)c[0]) ||
		    !isxdigit((unsigned char)c[1]) ||
		    c[2] != (i == ETH_ALEN - 1 ? '\0' : ':'))
			return parse_fail(e, "invalid destination MAC address '%s' (six bytes in hex, as 02:00:00:00:00:02)",
					  word);
		memcpy(hex, c, 2);
		hex[2] = '\0';
		parse_hex(hex, UINT8_MAX, &byte);
		mac[i] = byte;
	}
	if (sodium_is_zero(mac, ETH_ALEN))
		return parse_fail(e, "invalid destination MAC address '%s' (all zeros is no address)",
				  word);
	return 0;
}

void format_time_ns(uint64_t ns, char text[FORMAT_TIME_SIZE])
{
	time_t seconds = ns / 1000000000;
	struct tm tm;
	size_t len;

	if (!gmtime_r(&seconds, &tm) ||
	    !(len = strftime(text, FORMAT_TIME_SIZE, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(text, FORMAT_TIME_SIZE, "%" PRIu64 "ns", ns);
		return;
	}
	snprintf(text + len, FORMAT_TIME_SIZE - len, ".%09" PRIu64 "Z",
		 ns % 1000000000);
}

void format_mac(const uint8_t mac[ETH_ALEN], char text[MAC_TEXT_SIZE])
{
	snprintf(text, MAC_TEXT_SIZE, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int parse_rx_mark(const char *word, uint64_t *created, uint64_t *counter,
		  struct parse_error *e)
{
	const char *colon = strchr(word, ':');
	char digits[sizeof("18446744073709551615")];
	uint64_t c, n;

	if (!colon || (size_t)(colon - word) >= sizeof(digits))
		goto bad;
	memcpy(digits, word, colon - word);
	digits[colon - word] = '\0';
	if (!parse_decimal(digits, UINT64_MAX, &c) ||
	    !parse_decimal(colon + 1, UINT64_MAX, &n))
		goto bad;
	*created = c;
	*counter = n;
	return 0;

bad:
	return parse_fail(e, "invalid rx-mark '%s' (CREATED:COUNTER, two whole numbers of at most 20 digits, as diodectl show DEV rx-mark prints it)",
			  word);
}

void format_rx_mark(uint64_t created, uint64_t counter,
		    char text[RX_MARK_TEXT_SIZE])
{
	snprintf(text, RX_MARK_TEXT_SIZE, "%" PRIu64 ":%" PRIu64, created,
		 counter);
}

/* The zone of a link-local IPv6 address: an interface name or index. */
static bool parse_ipv6_scope(const char *scope, uint32_t *scope_id)
{
	if (parse_u32(scope, scope_id))
		return *scope_id != 0;
	*scope_id = if_nametoindex(scope);
	return *scope_id != 0;
}

static bool parse_ipv6_host(char *host, struct diode_addr *addr)
{
	char *percent = strchr(host, '%');
	uint32_t scope_id = 0;

	if (percent) {
		*percent = '\0';
		if (!parse_ipv6_scope(percent + 1, &scope_id))
			return false;
	}
	if (inet_pton(AF_INET6, host, &addr->in6.sin6_addr) != 1)
		return false;
	addr->in6.sin6_family = AF_INET6;
	addr->in6.sin6_scope_id = scope_id;
	addr->len = sizeof(addr->in6);
	return true;
}

static bool parse_ipv4_host(const char *host, struct diode_addr *addr)
{
	if (!strcmp(host, "any"))
		host = "0.0.0.0";
	if (inet_pton(AF_INET, host, &addr->in.sin_addr) != 1)
		return false;
	addr->in.sin_family = AF_INET;
	addr->len = sizeof(addr->in);
	return true;
}

/*
 * Splits word into host and port text: "[HOST]:PORT", "[HOST]", "HOST:PORT"
 * when HOST has no colon, else all of word is HOST (a bare IPv6 address).
 */
static bool split_host_port(const char *word, char *host, size_t host_size,
			    const char **port, bool *bracketed)
{
	const char *host_end, *colon;

	*port = NULL;
	*bracketed = word[0] == '[';
	if (*bracketed) {
		word++;
		host_end = strchr(word, ']');
		if (!host_end)
			return false;
		if (host_end[1] == ':')
			*port = host_end + 2;
		else if (host_end[1])
			return false;
	} else {
		colon = strchr(word, ':');
		if (colon && colon == strrchr(word, ':')) {
			host_end = colon;
			*port = colon + 1;
		} else {
			host_end = word + strlen(word);
		}
	}
	if ((size_t)(host_end - word) >= host_size)
		return false;
	memcpy(host, word, host_end - word);
	host[host_end - word] = '\0';
	return true;
}

int parse_addr(const char *word, struct diode_addr *addr,
	       struct parse_error *e)
{
	char host[INET6_ADDRSTRLEN + IFNAMSIZ + 1];
	uint16_t port = DIODE_DEFAULT_PORT;
	const char *port_text;
	bool bracketed, ok;

	memset(addr, 0, sizeof(*addr));
	if (!split_host_port(word, host, sizeof(host), &port_text, &bracketed))
		goto bad_address;
	if (bracketed || strchr(host, ':'))
		ok = parse_ipv6_host(host, addr);
	else
		ok = parse_ipv4_host(host, addr);
	if (!ok)
		goto bad_address;
	if (port_text && parse_port(port_text, &port, e))
		return parse_fail(e, "invalid port '%s' in '%s' (1 to 65535)",
				  port_text, word);
	if (addr->sa.sa_family == AF_INET)
		addr->in.sin_port = htons(port);
	else
		addr->in6.sin6_port = htons(port);
	return 0;

bad_address:
	return parse_fail(e, "invalid address '%s' (expected 192.0.2.1[:PORT], [2001:db8::1][:PORT] or any[:PORT])",
			  word);
}

static void format_ipv6_scope(uint32_t scope_id, char *text, size_t size)
{
	char name[IF_NAMESIZE];

	if (!scope_id)
		*text = '\0';
	else if (if_indextoname(scope_id, name))
		snprintf(text, size, "%%%s", name);
	else
		snprintf(text, size, "%%%u", scope_id);
}

void format_addr(const struct diode_addr *addr, char text[ADDR_TEXT_SIZE])
{
	char host[INET6_ADDRSTRLEN], scope[1 + IFNAMSIZ];

	if (addr->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &addr->in.sin_addr, host, sizeof(host));
		snprintf(text, ADDR_TEXT_SIZE, "%s:%u", host,
			 ntohs(addr->in.sin_port));
	} else if (addr->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &addr->in6.sin6_addr, host, sizeof(host));
		format_ipv6_scope(addr->in6.sin6_scope_id, scope, sizeof(scope));
		snprintf(text, ADDR_TEXT_SIZE, "[%s%s]:%u", host, scope,
			 ntohs(addr->in6.sin6_port));
	} else {
		snprintf(text, ADDR_TEXT_SIZE, "(family %u)", addr->sa.sa_family);
	}
}

int key_from_base64(const char *text, size_t len,
		    uint8_t key[DIODE_KEY_LEN], struct parse_error *e)
{
	size_t key_len;

	while (len && isspace((unsigned char)*text)) {
		text++;
		len--;
	}
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (len != KEY_BASE64_SIZE - 1)
		return parse_fail(e, "a key is %d base64 characters, not %zu",
				  KEY_BASE64_SIZE - 1, len);
	/* libsodium also rejects a key whose unused low bits are not zero. */
	if (sodium_base642bin(key, DIODE_KEY_LEN, text, len, NULL, &key_len,
			      NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    key_len != DIODE_KEY_LEN) {
		sodium_memzero(key, DIODE_KEY_LEN);
		return parse_fail(e, "the key is not valid base64");
	}
	return 0;
}

void key_to_base64(const uint8_t key[DIODE_KEY_LEN],
		   char text[KEY_BASE64_SIZE])
{
	sodium_bin2base64(text, KEY_BASE64_SIZE, key, DIODE_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

bool key_is_zero(const uint8_t key[DIODE_KEY_LEN])
{
	return sodium_is_zero(key, DIODE_KEY_LEN);
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 if none. */
static size_t utf8_sequence_len(const unsigned char *s)
{
	uint32_t code_point;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		code_point = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		code_point = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		code_point = s[0] & 0x07;
	} else {
		return 0;
	}
	/* A NUL terminator is no continuation byte: the loop stops on it. */
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		code_point = code_point << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && code_point < 0x800) ||
	    (len == 4 && code_point < 0x10000) || code_point > 0x10ffff ||
	    (code_point >= 0xd800 && code_point <= 0xdfff))
		return 0;
	return len;
}

void json_write_string(FILE *f, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	size_t len;

	fputc('"', f);
	while (*c) {
		switch (*c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*c < 0x20 || *c == 0x7f) {
				fprintf(f, "\\u%04x", *c);
				break;
			}
			len = utf8_sequence_len(c);
			if (!len) {
				/* Not UTF-8: JSON cannot carry the byte. */
				fputs("\\ufffd", f);
				break;
			}
			fwrite(c, 1, len, f);
			c += len - 1;
		}
		c++;
	}
	fputc('"', f);
}

void json_init(struct json_writer *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma = false;
}

static void json_begin_value(struct json_writer *j, const char *key)
{
	if (j->need_comma)
		fputc(',', j->f);
	if (j->depth)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	if (key) {
		json_write_string(j->f, key);
		fputs(": ", j->f);
	}
	j->need_comma = true;
}

void json_open(struct json_writer *j, const char *key, char bracket)
{
	json_begin_value(j, key);
	fputc(bracket, j->f);
	j->depth++;
	j->need_comma = false;
}

void json_close(struct json_writer *j, char bracket)
{
	bool empty = !j->need_comma;

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(bracket, j->f);
	if (!j->depth)
		fputc('\n', j->f);
	j->need_comma = true;
}

void json_string(struct json_writer *j, const char *key, const char *value)
{
	json_begin_value(j, key);
	if (value)
		json_write_string(j->f, value);
	else
		fputs("null", j->f);
}

void json_u64(struct json_writer *j, const char *key, uint64_t value)
{
	json_begin_value(j, key);
	fprintf(j->f, "%" PRIu64, value);
}

void json_bool(struct json_writer *j, const char *key, bool value)
{
	json_begin_value(j, key);
	fputs(value ? "true" : "false", j->f);
}

void json_null(struct json_writer *j, const char *key)
{
	json_begin_value(j, key);
	fputs("null", j->f);
}

void text_write_safe(FILE *f, const char *s)
{
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", f);
		else if (*c < 0x20 || *c > 0x7e)
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
}

void addr_set_none(struct diode_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sa.sa_family = AF_UNSPEC;
	addr->len = sizeof(struct sockaddr_in);
}

static bool addr_is_unspecified(const struct diode_addr *addr)
{
	if (addr->sa.sa_family == AF_INET)
		return addr->in.sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&addr->in6.sin6_addr);
}

int parse_remote(const char *word, struct diode_addr *addr,
		 struct parse_error *e)
{
	if (parse_addr(word, addr, e))
		return -1;
	if (addr_is_unspecified(addr))
		return parse_fail(e, "invalid remote '%s' (an address is needed, not any)",
				  word);
	return 0;
}
