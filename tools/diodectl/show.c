// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl show: asks the kernel for one device or for all of them, checks
 * every attribute of the replies, and prints them as text or as JSON. Only
 * public values come back from the kernel; the output cannot leak a secret.
 *
 * diodectl monitor: listens to the DIODE_MCGRP_MONITOR group and prints
 * every change of carrier the kernel announces, a line at a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "diodectl.h"
#include "genl.h"
#include "show.h"

static const char *const stat_names[] = {
	[DIODE_STAT_TX_PACKETS] = "tx_packets",
	[DIODE_STAT_TX_BYTES] = "tx_bytes",
	[DIODE_STAT_TX_ANNOUNCES] = "tx_announces",
	[DIODE_STAT_TX_SESSIONS] = "tx_sessions",
	[DIODE_STAT_TX_DROPPED] = "tx_dropped",
	[DIODE_STAT_RX_PACKETS] = "rx_packets",
	[DIODE_STAT_RX_BYTES] = "rx_bytes",
	[DIODE_STAT_RX_ANNOUNCES] = "rx_announces",
	[DIODE_STAT_RX_SESSIONS] = "rx_sessions",
	[DIODE_STAT_RX_MALFORMED] = "rx_malformed",
	[DIODE_STAT_RX_UNKNOWN_SESSION] = "rx_unknown_session",
	[DIODE_STAT_RX_UNAUTHENTIC] = "rx_unauthentic",
	[DIODE_STAT_RX_REPLAYED] = "rx_replayed",
	[DIODE_STAT_RX_DUPLICATE] = "rx_duplicate",
	[DIODE_STAT_RX_BAD_INNER] = "rx_bad_inner",
	[DIODE_STAT_RX_STALE_SESSION] = "rx_stale_session",
	[DIODE_STAT_RX_DROPPED] = "rx_dropped",
	[DIODE_STAT_RX_RATE_LIMITED] = "rx_rate_limited",
	[DIODE_STAT_TX_HEARTBEATS] = "tx_heartbeats",
	[DIODE_STAT_TX_PARITY] = "tx_parity",
	[DIODE_STAT_TX_REPEATS] = "tx_repeats",
	[DIODE_STAT_TX_PACING_DROPPED] = "tx_pacing_dropped",
	[DIODE_STAT_RX_HEARTBEATS] = "rx_heartbeats",
	[DIODE_STAT_RX_PARITY] = "rx_parity",
	[DIODE_STAT_RX_RECOVERED] = "rx_recovered",
	[DIODE_STAT_RX_LOST] = "rx_lost",
	[DIODE_STAT_RX_CARRIER_CHANGES] = "rx_carrier_changes",
};

static const char *const slot_names[] = {
	[DIODE_SESSION_PREVIOUS] = "previous",
	[DIODE_SESSION_CURRENT] = "current",
	[DIODE_SESSION_NEXT] = "next",
};

static int malformed(void)
{
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

static bool attr_len_is(const struct nlattr *attr, size_t len)
{
	return mnl_attr_get_payload_len(attr) == len;
}

static int session_attr_cb(const struct nlattr *attr, void *data)
{
	struct session_info *session = data;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case DIODE_SESSION_A_SLOT:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return malformed();
		session->slot = mnl_attr_get_u8(attr);
		break;
	case DIODE_SESSION_A_TAG:
		if (!attr_len_is(attr, sizeof(uint16_t)))
			return malformed();
		session->tag = mnl_attr_get_u16(attr);
		break;
	case DIODE_SESSION_A_CREATED:
		if (!attr_len_is(attr, sizeof(uint64_t)))
			return malformed();
		session->created = mnl_attr_get_u64(attr);
		break;
	case DIODE_SESSION_A_EPHEMERAL:
		if (!attr_len_is(attr, DIODE_KEY_LEN))
			return malformed();
		memcpy(session->ephemeral, mnl_attr_get_payload(attr),
		       DIODE_KEY_LEN);
		break;
	case DIODE_SESSION_A_COUNTER:
		if (!attr_len_is(attr, sizeof(uint64_t)))
			return malformed();
		session->counter = mnl_attr_get_u64(attr);
		break;
	default:
		/* Padding, or an attribute of a newer kernel. */
		return MNL_CB_OK;
	}
	session->present |= 1u << type;
	return MNL_CB_OK;
}

/* Each session is a nest of its own; the type of that nest carries nothing. */
static int sessions_attr_cb(const struct nlattr *attr, void *data)
{
	struct device_info *dev = data;
	struct session_info *session;

	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
	    dev->n_sessions == SESSIONS_MAX)
		return malformed();
	session = &dev->sessions[dev->n_sessions++];
	return mnl_attr_parse_nested(attr, session_attr_cb, session);
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	struct device_info *dev = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == DIODE_STAT_UNSPEC || type == DIODE_STAT_PAD)
		return MNL_CB_OK;
	if (!attr_len_is(attr, sizeof(uint64_t)) || dev->n_stats == STATS_MAX)
		return malformed();
	dev->stats[dev->n_stats].type = type;
	dev->stats[dev->n_stats].value = mnl_attr_get_u64(attr);
	dev->n_stats++;
	return MNL_CB_OK;
}

/* Returns 1 for an address, 0 for none (AF_UNSPEC), -1 when malformed. */
static int addr_from_attr(const struct nlattr *attr, struct diode_addr *addr)
{
	const void *payload = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);
	sa_family_t family;

	if (len < sizeof(family))
		return -1;
	memcpy(&family, payload, sizeof(family));
	if (family == AF_UNSPEC)
		return 0;
	if (!(family == AF_INET && len == sizeof(addr->in)) &&
	    !(family == AF_INET6 && len == sizeof(addr->in6)))
		return -1;
	memcpy(&addr->sa, payload, len);
	addr->len = len;
	return 1;
}

static bool key_from_attr(const struct nlattr *attr, uint8_t key[DIODE_KEY_LEN])
{
	if (!attr_len_is(attr, DIODE_KEY_LEN))
		return false;
	memcpy(key, mnl_attr_get_payload(attr), DIODE_KEY_LEN);
	return true;
}

static int u8_from_attr(const struct nlattr *attr, uint8_t *value)
{
	if (!attr_len_is(attr, sizeof(*value)))
		return -1;
	*value = mnl_attr_get_u8(attr);
	return 1;
}

static int u32_from_attr(const struct nlattr *attr, uint32_t *value)
{
	if (!attr_len_is(attr, sizeof(*value)))
		return -1;
	*value = mnl_attr_get_u32(attr);
	return 1;
}

struct rx_mark_parser {
	struct device_info *dev;
	unsigned int present;	/* 1 << DIODE_RX_MARK_A_* */
};

static int rx_mark_attr_cb(const struct nlattr *attr, void *data)
{
	struct rx_mark_parser *p = data;
	uint16_t type = mnl_attr_get_type(attr);
	uint64_t *value;

	switch (type) {
	case DIODE_RX_MARK_A_CREATED:
		value = &p->dev->rx_mark_created;
		break;
	case DIODE_RX_MARK_A_COUNTER:
		value = &p->dev->rx_mark_counter;
		break;
	default:
		/* Padding, or an attribute of a newer kernel. */
		return MNL_CB_OK;
	}
	if (!attr_len_is(attr, sizeof(uint64_t)))
		return malformed();
	*value = mnl_attr_get_u64(attr);
	p->present |= 1u << type;
	return MNL_CB_OK;
}

/* Both values, or the mark is malformed: half a mark would mislead. */
static int rx_mark_from_attr(const struct nlattr *attr, struct device_info *dev)
{
	const unsigned int needed = 1u << DIODE_RX_MARK_A_CREATED |
				    1u << DIODE_RX_MARK_A_COUNTER;
	struct rx_mark_parser p = { .dev = dev };

	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(attr, rx_mark_attr_cb, &p) < 0 ||
	    (p.present & needed) != needed)
		return -1;
	return 1;
}

/* Link health, loss resilience and Ethernet; see device_attr(). */
static int link_attr(const struct nlattr *attr, struct device_info *dev)
{
	switch (mnl_attr_get_type(attr)) {
	case DIODE_A_HEARTBEAT_INTERVAL:
		return u32_from_attr(attr, &dev->heartbeat_interval);
	case DIODE_A_REDUNDANCY:
		return u8_from_attr(attr, &dev->redundancy);
	case DIODE_A_FEC_DATA:
		return u8_from_attr(attr, &dev->fec_data);
	case DIODE_A_FEC_PARITY:
		return u8_from_attr(attr, &dev->fec_parity);
	case DIODE_A_FEC_INTERLEAVE:
		return u8_from_attr(attr, &dev->interleave);
	case DIODE_A_RATE:
		if (!attr_len_is(attr, sizeof(uint64_t)))
			return -1;
		dev->rate = mnl_attr_get_u64(attr);
		return 1;
	case DIODE_A_ENCAP:
		return u8_from_attr(attr, &dev->encap);
	case DIODE_A_LOWER_IFINDEX:
		return u32_from_attr(attr, &dev->lower_ifindex);
	case DIODE_A_ETHERTYPE:
		if (!attr_len_is(attr, sizeof(uint16_t)))
			return -1;
		dev->ethertype = mnl_attr_get_u16(attr);
		return 1;
	case DIODE_A_DEST_MAC:
		if (!attr_len_is(attr, ETH_ALEN))
			return -1;
		memcpy(dev->dest_mac, mnl_attr_get_payload(attr), ETH_ALEN);
		return 1;
	case DIODE_A_CARRIER:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return -1;
		dev->carrier = mnl_attr_get_u8(attr);
		return 1;
	case DIODE_A_RX_MARK:
		return rx_mark_from_attr(attr, dev);
	default:
		/* Padding, or an attribute of a newer kernel. */
		return 0;
	}
}

/* Parses one attribute; returns 1 when kept, 0 when ignored, -1 if bad. */
static int device_attr(const struct nlattr *attr, struct device_info *dev)
{
	switch (mnl_attr_get_type(attr)) {
	case DIODE_A_IFINDEX:
		if (!attr_len_is(attr, sizeof(uint32_t)))
			return -1;
		dev->ifindex = mnl_attr_get_u32(attr);
		return 1;
	case DIODE_A_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_get_payload_len(attr) > IFNAMSIZ)
			return -1;
		strcpy(dev->ifname, mnl_attr_get_str(attr));
		return 1;
	case DIODE_A_MODE:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return -1;
		dev->mode = mnl_attr_get_u8(attr);
		return 1;
	case DIODE_A_PUBLIC_KEY:
		return key_from_attr(attr, dev->public_key) ? 1 : -1;
	case DIODE_A_PEER_PUBLIC_KEY:
		return key_from_attr(attr, dev->peer_key) ? 1 : -1;
	case DIODE_A_HAS_PRESHARED_KEY:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return -1;
		dev->has_preshared_key = mnl_attr_get_u8(attr);
		return 1;
	case DIODE_A_LOCAL:
		return addr_from_attr(attr, &dev->local);
	case DIODE_A_REMOTE:
		return addr_from_attr(attr, &dev->remote);
	case DIODE_A_REPLAY_WINDOW:
		if (!attr_len_is(attr, sizeof(uint32_t)))
			return -1;
		dev->replay_window = mnl_attr_get_u32(attr);
		return 1;
	case DIODE_A_REKEY_AFTER_TIME:
		if (!attr_len_is(attr, sizeof(uint32_t)))
			return -1;
		dev->rekey_after_time = mnl_attr_get_u32(attr);
		return 1;
	case DIODE_A_REKEY_AFTER_FRAMES:
		if (!attr_len_is(attr, sizeof(uint64_t)))
			return -1;
		dev->rekey_after_frames = mnl_attr_get_u64(attr);
		return 1;
	case DIODE_A_MAX_SESSION_AGE:
		if (!attr_len_is(attr, sizeof(uint32_t)))
			return -1;
		dev->max_session_age = mnl_attr_get_u32(attr);
		return 1;
	case DIODE_A_SESSIONS:
		return mnl_attr_parse_nested(attr, sessions_attr_cb, dev) < 0 ?
		       -1 : 1;
	case DIODE_A_STATS:
		return mnl_attr_parse_nested(attr, stats_attr_cb, dev) < 0 ?
		       -1 : 1;
	default:
		return link_attr(attr, dev);
	}
}

static int device_attr_cb(const struct nlattr *attr, void *data)
{
	struct device_info *dev = data;
	int ret = device_attr(attr, dev);

	if (ret < 0)
		return malformed();
	if (ret)
		dev->present |= 1u << mnl_attr_get_type(attr);
	return MNL_CB_OK;
}

int device_parse(const struct nlmsghdr *nlh, struct device_info *dev)
{
	memset(dev, 0, sizeof(*dev));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), device_attr_cb,
			   dev) != MNL_CB_OK ||
	    !(dev->present & (1u << DIODE_A_IFNAME))) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static bool device_has(const struct device_info *dev, enum diode_attr attr)
{
	return dev->present & (1u << attr);
}

static bool session_has(const struct session_info *session,
			enum diode_session_attr attr)
{
	return session->present & (1u << attr);
}

/* Names for values of a newer kernel than this tool knows: "mode 7". */
static const char *name_or_number(const char *const *names, size_t n,
				  unsigned int value, const char *what,
				  char *buf, size_t size)
{
	if (value < n && names[value])
		return names[value];
	snprintf(buf, size, "%s%u", what, value);
	return buf;
}

static const char *mode_text(uint8_t mode, char *buf, size_t size)
{
	const char *name = mode_name(mode);

	if (name)
		return name;
	snprintf(buf, size, "mode%u", mode);
	return buf;
}

static const char *slot_text(uint8_t slot, char *buf, size_t size)
{
	return name_or_number(slot_names, ARRAY_SIZE(slot_names), slot,
			      "slot", buf, size);
}

static const char *stat_key(uint16_t type, char *buf, size_t size)
{
	return name_or_number(stat_names, ARRAY_SIZE(stat_names), type,
			      "stat_", buf, size);
}

/* ns since the epoch as RFC 3339 UTC, with all nine digits of the ns. */
static void format_time_ns(uint64_t ns, char *text, size_t size)
{
	time_t seconds = ns / 1000000000;
	struct tm tm;
	size_t len;

	if (!gmtime_r(&seconds, &tm) ||
	    !(len = strftime(text, size, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(text, size, "%" PRIu64 "ns", ns);
		return;
	}
	snprintf(text + len, size - len, ".%09" PRIu64 "Z", ns % 1000000000);
}

static void print_key_text(FILE *f, const char *indent, const char *label,
			   const uint8_t key[DIODE_KEY_LEN])
{
	char text[KEY_BASE64_SIZE];

	key_to_base64(key, text);
	fprintf(f, "%s%s: %s\n", indent, label, text);
}

static void print_addr_text(FILE *f, const char *label,
			    const struct diode_addr *addr)
{
	char text[ADDR_TEXT_SIZE];

	format_addr(addr, text);
	fprintf(f, "  %s: %s\n", label, text);
}

static void print_session_text(FILE *f, const struct session_info *session)
{
	char buf[64];

	if (session_has(session, DIODE_SESSION_A_SLOT))
		fprintf(f, "  session %s:\n",
			slot_text(session->slot, buf, sizeof(buf)));
	else
		fputs("  session:\n", f);
	if (session_has(session, DIODE_SESSION_A_TAG))
		fprintf(f, "    tag: 0x%04x\n", session->tag);
	if (session_has(session, DIODE_SESSION_A_CREATED)) {
		format_time_ns(session->created, buf, sizeof(buf));
		fprintf(f, "    created: %s\n", buf);
	}
	if (session_has(session, DIODE_SESSION_A_EPHEMERAL))
		print_key_text(f, "    ", "ephemeral key", session->ephemeral);
	if (session_has(session, DIODE_SESSION_A_COUNTER))
		fprintf(f, "    counter: %" PRIu64 "\n", session->counter);
}

static const char *encap_text(uint8_t encap, char *buf, size_t size)
{
	const char *name = encap_name(encap);

	if (name)
		return name;
	snprintf(buf, size, "encap%u", encap);
	return buf;
}

/* The name of the lower device here, or NULL when it has none. */
static const char *lower_name(const struct device_info *dev,
			      char name[IF_NAMESIZE])
{
	if (!device_has(dev, DIODE_A_LOWER_IFINDEX) || !dev->lower_ifindex)
		return NULL;
	return if_indextoname(dev->lower_ifindex, name);
}

static void print_fec_text(FILE *f, const struct device_info *dev)
{
	if (!device_has(dev, DIODE_A_FEC_DATA))
		return;
	if (!dev->fec_data)
		fputs("  fec: off\n", f);
	else
		fprintf(f, "  fec: %u/%u\n", dev->fec_data, dev->fec_parity);
}

static void print_lower_text(FILE *f, const struct device_info *dev)
{
	char name[IF_NAMESIZE];

	if (!device_has(dev, DIODE_A_LOWER_IFINDEX) || !dev->lower_ifindex)
		return;
	if (lower_name(dev, name))
		fprintf(f, "  lower: %s\n", name);
	else
		fprintf(f, "  lower: ifindex %u (not in this namespace)\n",
			dev->lower_ifindex);
}

/* Link health, loss resilience, pacing and Ethernet. */
static void print_link_text(FILE *f, const struct device_info *dev)
{
	char rate[RATE_TEXT_SIZE], mac[MAC_TEXT_SIZE], buf[32];

	if (device_has(dev, DIODE_A_HEARTBEAT_INTERVAL))
		fprintf(f, "  heartbeat interval: %u ms\n",
			dev->heartbeat_interval);
	if (device_has(dev, DIODE_A_REDUNDANCY))
		fprintf(f, "  redundancy: %u\n", dev->redundancy);
	print_fec_text(f, dev);
	if (device_has(dev, DIODE_A_FEC_INTERLEAVE))
		fprintf(f, "  interleave: %u\n", dev->interleave);
	if (device_has(dev, DIODE_A_RATE) && dev->rate) {
		format_rate(dev->rate, rate);
		fprintf(f, "  rate: %s\n", rate);
	} else if (device_has(dev, DIODE_A_RATE)) {
		fputs("  rate: no limit\n", f);
	}
	if (device_has(dev, DIODE_A_ENCAP))
		fprintf(f, "  encap: %s\n",
			encap_text(dev->encap, buf, sizeof(buf)));
	print_lower_text(f, dev);
	if (device_has(dev, DIODE_A_ETHERTYPE))
		fprintf(f, "  ethertype: 0x%04x\n", dev->ethertype);
	if (device_has(dev, DIODE_A_DEST_MAC)) {
		format_mac(dev->dest_mac, mac);
		fprintf(f, "  dest mac: %s\n", mac);
	}
	if (device_has(dev, DIODE_A_CARRIER))
		fprintf(f, "  carrier: %s\n", dev->carrier ? "yes" : "no");
}

/* The JSON key of a counter, with spaces: "rx unknown session: 3". */
static void print_stat_text(FILE *f, const struct stat_value *stat)
{
	char buf[32];
	const char *c;

	fputs("    ", f);
	for (c = stat_key(stat->type, buf, sizeof(buf)); *c; c++)
		fputc(*c == '_' ? ' ' : *c, f);
	fprintf(f, ": %" PRIu64 "\n", stat->value);
}

/* The exact value, for `set`, is what `show DEV rx-mark` prints. */
static void print_rx_mark_text(FILE *f, const struct device_info *dev)
{
	char buf[64];

	if (!device_has(dev, DIODE_A_RX_MARK))
		return;
	if (!dev->rx_mark_created && !dev->rx_mark_counter) {
		fputs("  rx mark: none\n", f);
		return;
	}
	format_time_ns(dev->rx_mark_created, buf, sizeof(buf));
	fprintf(f, "  rx mark: created %s, counter %" PRIu64 "\n", buf,
		dev->rx_mark_counter);
}

void device_print_text(FILE *f, const struct device_info *dev)
{
	unsigned int i;
	char buf[32];

	fputs("interface: ", f);
	text_write_safe(f, dev->ifname);
	fputc('\n', f);
	if (device_has(dev, DIODE_A_MODE))
		fprintf(f, "  mode: %s\n", mode_text(dev->mode, buf, sizeof(buf)));
	if (device_has(dev, DIODE_A_PUBLIC_KEY))
		print_key_text(f, "  ", "public key", dev->public_key);
	if (device_has(dev, DIODE_A_PEER_PUBLIC_KEY) &&
	    !key_is_zero(dev->peer_key))
		print_key_text(f, "  ", "peer", dev->peer_key);
	if (dev->has_preshared_key)
		fputs("  preshared key: (set)\n", f);
	if (device_has(dev, DIODE_A_LOCAL))
		print_addr_text(f, "local", &dev->local);
	if (device_has(dev, DIODE_A_REMOTE))
		print_addr_text(f, "remote", &dev->remote);
	if (device_has(dev, DIODE_A_REPLAY_WINDOW))
		fprintf(f, "  replay window: %u\n", dev->replay_window);
	if (device_has(dev, DIODE_A_REKEY_AFTER_TIME))
		fprintf(f, "  rekey after time: %u seconds\n",
			dev->rekey_after_time);
	if (device_has(dev, DIODE_A_REKEY_AFTER_FRAMES))
		fprintf(f, "  rekey after frames: %" PRIu64 "\n",
			dev->rekey_after_frames);
	if (device_has(dev, DIODE_A_MAX_SESSION_AGE)) {
		if (dev->max_session_age)
			fprintf(f, "  max session age: %u seconds\n",
				dev->max_session_age);
		else
			fputs("  max session age: no limit\n", f);
	}
	print_link_text(f, dev);
	print_rx_mark_text(f, dev);
	for (i = 0; i < dev->n_sessions; i++)
		print_session_text(f, &dev->sessions[i]);
	if (dev->n_stats)
		fputs("  statistics:\n", f);
	for (i = 0; i < dev->n_stats; i++)
		print_stat_text(f, &dev->stats[i]);
}

static void json_key(struct json_writer *j, const char *name, bool present,
		     const uint8_t key[DIODE_KEY_LEN])
{
	char text[KEY_BASE64_SIZE];

	if (!present) {
		json_null(j, name);
		return;
	}
	key_to_base64(key, text);
	json_string(j, name, text);
}

static void json_addr(struct json_writer *j, const char *name, bool present,
		      const struct diode_addr *addr)
{
	char text[ADDR_TEXT_SIZE];

	if (!present) {
		json_null(j, name);
		return;
	}
	format_addr(addr, text);
	json_string(j, name, text);
}

static void json_optional_u64(struct json_writer *j, const char *name,
			      bool present, uint64_t value)
{
	if (present)
		json_u64(j, name, value);
	else
		json_null(j, name);
}

static void print_link_json(struct json_writer *j,
			    const struct device_info *dev)
{
	char buf[MAC_TEXT_SIZE], name[IF_NAMESIZE];
	bool has_mac = device_has(dev, DIODE_A_DEST_MAC);

	json_optional_u64(j, "heartbeat_interval",
			  device_has(dev, DIODE_A_HEARTBEAT_INTERVAL),
			  dev->heartbeat_interval);
	json_optional_u64(j, "redundancy", device_has(dev, DIODE_A_REDUNDANCY),
			  dev->redundancy);
	json_optional_u64(j, "fec_data", device_has(dev, DIODE_A_FEC_DATA),
			  dev->fec_data);
	json_optional_u64(j, "fec_parity", device_has(dev, DIODE_A_FEC_PARITY),
			  dev->fec_parity);
	json_optional_u64(j, "interleave",
			  device_has(dev, DIODE_A_FEC_INTERLEAVE),
			  dev->interleave);
	json_optional_u64(j, "rate", device_has(dev, DIODE_A_RATE), dev->rate);
	json_string(j, "encap", device_has(dev, DIODE_A_ENCAP) ?
		    encap_text(dev->encap, buf, sizeof(buf)) : NULL);
	json_string(j, "lower", lower_name(dev, name));
	json_optional_u64(j, "lower_ifindex",
			  device_has(dev, DIODE_A_LOWER_IFINDEX) &&
			  dev->lower_ifindex, dev->lower_ifindex);
	json_optional_u64(j, "ethertype", device_has(dev, DIODE_A_ETHERTYPE),
			  dev->ethertype);
	if (has_mac)
		format_mac(dev->dest_mac, buf);
	json_string(j, "dest_mac", has_mac ? buf : NULL);
	if (device_has(dev, DIODE_A_CARRIER))
		json_bool(j, "carrier", dev->carrier);
	else
		json_null(j, "carrier");
}

static void print_session_json(struct json_writer *j,
			       const struct session_info *session)
{
	bool has_created = session_has(session, DIODE_SESSION_A_CREATED);
	char buf[64];

	json_open(j, NULL, '{');
	json_string(j, "slot", session_has(session, DIODE_SESSION_A_SLOT) ?
		    slot_text(session->slot, buf, sizeof(buf)) : NULL);
	json_optional_u64(j, "tag", session_has(session, DIODE_SESSION_A_TAG),
			  session->tag);
	if (has_created)
		format_time_ns(session->created, buf, sizeof(buf));
	json_string(j, "created", has_created ? buf : NULL);
	json_optional_u64(j, "created_ns", has_created, session->created);
	json_key(j, "ephemeral_key",
		 session_has(session, DIODE_SESSION_A_EPHEMERAL),
		 session->ephemeral);
	json_optional_u64(j, "counter",
			  session_has(session, DIODE_SESSION_A_COUNTER),
			  session->counter);
	json_close(j, '}');
}

/* As a session's: the time as text and in ns, and the counter; or null. */
static void print_rx_mark_json(struct json_writer *j,
			       const struct device_info *dev)
{
	char buf[64];

	if (!device_has(dev, DIODE_A_RX_MARK)) {
		json_null(j, "rx_mark");
		return;
	}
	format_time_ns(dev->rx_mark_created, buf, sizeof(buf));
	json_open(j, "rx_mark", '{');
	json_string(j, "created", buf);
	json_u64(j, "created_ns", dev->rx_mark_created);
	json_u64(j, "counter", dev->rx_mark_counter);
	json_close(j, '}');
}

void device_print_json(struct json_writer *j, const struct device_info *dev)
{
	unsigned int i;
	char buf[32];

	json_open(j, NULL, '{');
	json_string(j, "interface", dev->ifname);
	json_optional_u64(j, "ifindex", device_has(dev, DIODE_A_IFINDEX),
			  dev->ifindex);
	json_string(j, "mode", device_has(dev, DIODE_A_MODE) ?
		    mode_text(dev->mode, buf, sizeof(buf)) : NULL);
	json_key(j, "public_key", device_has(dev, DIODE_A_PUBLIC_KEY),
		 dev->public_key);
	json_key(j, "peer", device_has(dev, DIODE_A_PEER_PUBLIC_KEY) &&
		 !key_is_zero(dev->peer_key), dev->peer_key);
	json_bool(j, "preshared_key", dev->has_preshared_key);
	json_addr(j, "local", device_has(dev, DIODE_A_LOCAL), &dev->local);
	json_addr(j, "remote", device_has(dev, DIODE_A_REMOTE), &dev->remote);
	json_optional_u64(j, "replay_window",
			  device_has(dev, DIODE_A_REPLAY_WINDOW),
			  dev->replay_window);
	json_optional_u64(j, "rekey_after_time",
			  device_has(dev, DIODE_A_REKEY_AFTER_TIME),
			  dev->rekey_after_time);
	json_optional_u64(j, "rekey_after_frames",
			  device_has(dev, DIODE_A_REKEY_AFTER_FRAMES),
			  dev->rekey_after_frames);
	json_optional_u64(j, "max_session_age",
			  device_has(dev, DIODE_A_MAX_SESSION_AGE),
			  dev->max_session_age);
	print_link_json(j, dev);
	print_rx_mark_json(j, dev);
	json_open(j, "sessions", '[');
	for (i = 0; i < dev->n_sessions; i++)
		print_session_json(j, &dev->sessions[i]);
	json_close(j, ']');
	json_open(j, "stats", '{');
	for (i = 0; i < dev->n_stats; i++)
		json_u64(j, stat_key(dev->stats[i].type, buf, sizeof(buf)),
			 dev->stats[i].value);
	json_close(j, '}');
	json_close(j, '}');
}

static const char *const show_fields[] = { "mode", "rx-mark", "statistics" };

bool show_field_known(const char *field)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(show_fields); i++) {
		if (!strcmp(field, show_fields[i]))
			return true;
	}
	return false;
}

int device_print_field(FILE *f, const struct device_info *dev,
		       const char *field, struct parse_error *e)
{
	char buf[RX_MARK_TEXT_SIZE];
	unsigned int i;

	if (!strcmp(field, "mode")) {
		if (!device_has(dev, DIODE_A_MODE))
			return parse_fail(e, "the diode module did not report the mode");
		fprintf(f, "%s\n", mode_text(dev->mode, buf, sizeof(buf)));
		return 0;
	}
	if (!strcmp(field, "statistics")) {
		for (i = 0; i < dev->n_stats; i++)
			fprintf(f, "%s %" PRIu64 "\n",
				stat_key(dev->stats[i].type, buf, sizeof(buf)),
				dev->stats[i].value);
		return 0;
	}
	if (strcmp(field, "rx-mark"))
		return parse_fail(e, "unknown field '%s'", field);
	if (!device_has(dev, DIODE_A_RX_MARK)) {
		if (device_has(dev, DIODE_A_MODE) && dev->mode != DIODE_MODE_RX)
			return parse_fail(e, "no rx-mark: only a receiver (mode rx) has one, and this device is in mode %s",
					  mode_text(dev->mode, buf, sizeof(buf)));
		return parse_fail(e, "the diode module does not report an rx-mark (it is older than this diodectl)");
	}
	format_rx_mark(dev->rx_mark_created, dev->rx_mark_counter, buf);
	fprintf(f, "%s\n", buf);
	return 0;
}

struct show {
	FILE *out;
	bool json;
	const char *field;	/* show DEV FIELD: that value alone */
	bool field_failed;
	struct parse_error e;
	struct json_writer writer;
	unsigned int devices;
};

static int show_device_cb(const struct nlmsghdr *nlh, void *data)
{
	struct show *show = data;
	struct device_info dev;

	if (device_parse(nlh, &dev))
		return MNL_CB_ERROR;
	if (show->field) {
		if (device_print_field(show->out, &dev, show->field, &show->e))
			show->field_failed = true;
	} else if (show->json) {
		device_print_json(&show->writer, &dev);
	} else {
		if (show->devices)
			fputc('\n', show->out);
		device_print_text(show->out, &dev);
	}
	show->devices++;
	return MNL_CB_OK;
}

/*
 * The output is collected in memory and printed only once the kernel has
 * answered in full, so that a failure never leaves half a JSON document.
 */
static int show_collect(struct genl *g, const char *ifname, bool json,
			const char *field, struct parse_error *e, char **text,
			size_t *size)
{
	struct show show = { .json = json, .field = field };
	char buf[256];
	struct nlmsghdr *nlh;
	int ret;

	show.out = open_memstream(text, size);
	if (!show.out)
		return -errno;
	json_init(&show.writer, show.out);
	if (json)
		json_open(&show.writer, NULL, '[');
	nlh = genl_msg_start(buf, g->family, DIODE_CMD_GET_DEVICE,
			     ifname ? NLM_F_ACK : NLM_F_DUMP);
	if (ifname)
		mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	ret = genl_request(g, nlh, show_device_cb, &show);
	if (json)
		json_close(&show.writer, ']');
	if (fclose(show.out) && !ret)
		ret = -errno;
	if (!ret && show.field_failed) {
		*e = show.e;
		ret = 1;
	}
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

#define SHOW_USAGE "usage: diodectl show [DEV] [--json], or diodectl show DEV mode|rx-mark|statistics"

static int show_args(int argc, char *argv[], const char **ifname, bool *json,
		     const char **field)
{
	struct parse_error e;
	int i;

	*ifname = NULL;
	*json = false;
	*field = NULL;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (argv[i][0] == '-') {
			print_error("show: unknown option '%s' (" SHOW_USAGE ")",
				    argv[i]);
			return -1;
		} else if (!*ifname) {
			if (parse_ifname(argv[i], &e)) {
				print_error("show: %s", e.msg);
				return -1;
			}
			*ifname = argv[i];
		} else if (!*field && show_field_known(argv[i])) {
			*field = argv[i];
		} else {
			print_error("show: unexpected word '%s' (" SHOW_USAGE ")",
				    argv[i]);
			return -1;
		}
	}
	if (*field && *json) {
		print_error("show: --json prints every field; %s alone is plain text (" SHOW_USAGE ")",
			    *field);
		return -1;
	}
	return 0;
}

int cmd_show(int argc, char *argv[])
{
	char context[sizeof("show ") + IFNAMSIZ];
	const char *ifname, *field;
	struct parse_error e;
	char *text = NULL;
	struct genl g;
	size_t size = 0;
	int ret;
	bool json;

	if (show_args(argc, argv, &ifname, &json, &field))
		return 1;
	snprintf(context, sizeof(context), "show%s%s", ifname ? " " : "",
		 ifname ? ifname : "");
	if (genl_open(&g, context))
		return 1;
	ret = show_collect(&g, ifname, json, field, &e, &text, &size);
	if (ret > 0)
		print_error("%s: %s", context, e.msg);
	else if (ret)
		genl_print_error(context, ret, g.extack);
	else
		fwrite(text, 1, size, stdout);
	free(text);
	genl_close(&g);
	return ret ? 1 : 0;
}

struct link_event_parser {
	struct link_event *event;
	unsigned int present;	/* 1 << DIODE_A_* */
};

static int link_event_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_event_parser *p = data;
	struct link_event *event = p->event;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case DIODE_A_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_get_payload_len(attr) > IFNAMSIZ)
			return malformed();
		strcpy(event->ifname, mnl_attr_get_str(attr));
		break;
	case DIODE_A_CARRIER:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return malformed();
		event->carrier = mnl_attr_get_u8(attr);
		break;
	default:
		/* The index, which the name makes redundant, or what is new. */
		return MNL_CB_OK;
	}
	p->present |= 1u << type;
	return MNL_CB_OK;
}

int link_event_parse(const struct nlmsghdr *nlh, struct link_event *event)
{
	const unsigned int needed = 1u << DIODE_A_IFNAME |
				    1u << DIODE_A_CARRIER;
	struct link_event_parser p = { .event = event };
	const struct genlmsghdr *genl;

	memset(event, 0, sizeof(*event));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		goto bad;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != DIODE_CMD_LINK_EVENT)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*genl), link_event_attr_cb, &p) !=
	    MNL_CB_OK || (p.present & needed) != needed)
		goto bad;
	return 1;

bad:
	errno = EBADMSG;
	return -1;
}

void link_event_print(FILE *f, const struct link_event *event)
{
	text_write_safe(f, event->ifname);
	fprintf(f, ": carrier %s\n", event->carrier ? "on" : "off");
}

struct monitor {
	uint16_t family;
	const char *ifname;	/* only this device's events, or all: NULL */
	const char *context;
};

static int monitor_event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct monitor *m = data;
	struct link_event event;
	int ret;

	if (nlh->nlmsg_type != m->family)
		return MNL_CB_OK;
	ret = link_event_parse(nlh, &event);
	if (ret < 0)
		print_error("%s: warning: a malformed link event, skipped",
			    m->context);
	if (ret <= 0 || (m->ifname && strcmp(event.ifname, m->ifname)))
		return MNL_CB_OK;
	link_event_print(stdout, &event);
	/* Whoever reads a pipe sees each event as it comes. */
	if (fflush(stdout)) {
		print_error("%s: cannot write the output: %s", m->context,
			    strerror(errno));
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/*
 * SIGINT and SIGTERM arrive on a file descriptor that poll() watches with
 * the socket, so that no signal slips in between a check and a wait.
 */
static int monitor_signals(const char *context)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    (fd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		print_error("%s: cannot catch signals: %s", context,
			    strerror(errno));
		return -1;
	}
	return fd;
}

/* Returns the exit status: 0 after a signal, 1 after an error. */
static int monitor_loop(struct genl *g, struct monitor *m, int signal_fd)
{
	struct pollfd fds[] = {
		{ .fd = mnl_socket_get_fd(g->nl), .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};
	char buf[GENL_RECV_SIZE];
	ssize_t len;
	int ret;

	for (;;) {
		if (poll(fds, ARRAY_SIZE(fds), -1) < 0) {
			if (errno == EINTR)
				continue;
			print_error("%s: poll: %s", m->context, strerror(errno));
			return 1;
		}
		if (fds[1].revents)
			return 0;
		len = mnl_socket_recvfrom(g->nl, buf, sizeof(buf));
		if (len < 0 && errno == ENOBUFS) {
			print_error("%s: warning: events were lost (the socket's buffer overflowed)",
				    m->context);
			continue;
		}
		if (len < 0) {
			print_error("%s: cannot receive: %s", m->context,
				    strerror(errno));
			return 1;
		}
		/* Notifications have no sequence number nor port to match. */
		ret = mnl_cb_run(buf, len, 0, 0, monitor_event_cb, m);
		/* Only a failed write stops monitor_event_cb(). */
		if (ret == MNL_CB_STOP)
			return 1;
		if (ret == MNL_CB_ERROR) {
			print_error("%s: %s", m->context, strerror(errno));
			return 1;
		}
	}
}

static int monitor_args(int argc, char *argv[], const char **ifname)
{
	struct parse_error e;

	*ifname = NULL;
	if (argc > 1) {
		print_error("monitor: unexpected word '%s' (usage: diodectl monitor [DEV])",
			    argv[1]);
		return -1;
	}
	if (argc && argv[0][0] == '-') {
		print_error("monitor: unknown option '%s' (usage: diodectl monitor [DEV])",
			    argv[0]);
		return -1;
	}
	if (argc && parse_ifname(argv[0], &e)) {
		print_error("monitor: %s", e.msg);
		return -1;
	}
	*ifname = argc ? argv[0] : NULL;
	return 0;
}

/* A device to watch must exist, so that a typo is not watched forever. */
static int monitor_check_device(struct genl *g, const char *ifname,
				const char *context)
{
	char buf[256];
	struct nlmsghdr *nlh;
	int ret;

	nlh = genl_msg_start(buf, g->family, DIODE_CMD_GET_DEVICE, NLM_F_ACK);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	ret = genl_request(g, nlh, NULL, NULL);
	if (ret)
		genl_print_error(context, ret, g->extack);
	return ret;
}

int cmd_monitor(int argc, char *argv[])
{
	char context[sizeof("monitor ") + IFNAMSIZ];
	struct monitor m;
	struct genl g;
	int signal_fd, ret = 1;

	if (monitor_args(argc, argv, &m.ifname))
		return 1;
	snprintf(context, sizeof(context), "monitor%s%s", m.ifname ? " " : "",
		 m.ifname ? m.ifname : "");
	m.context = context;
	if (genl_open(&g, context))
		return 1;
	m.family = g.family;
	if (!g.monitor_group) {
		print_error("%s: the diode module has no '%s' multicast group (it is older than this diodectl)",
			    context, DIODE_MCGRP_MONITOR);
		goto out;
	}
	/* Checked before joining: an event could pass for the reply. */
	if (m.ifname && monitor_check_device(&g, m.ifname, context))
		goto out;
	if (mnl_socket_setsockopt(g.nl, NETLINK_ADD_MEMBERSHIP,
				  &g.monitor_group,
				  sizeof(g.monitor_group)) < 0) {
		print_error("%s: cannot join the '%s' multicast group: %s",
			    context, DIODE_MCGRP_MONITOR, strerror(errno));
		goto out;
	}
	signal_fd = monitor_signals(context);
	if (signal_fd >= 0) {
		ret = monitor_loop(&g, &m, signal_fd);
		close(signal_fd);
	}
out:
	genl_close(&g);
	return ret;
}
