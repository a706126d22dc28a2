// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl show: asks the kernel for one device or for all of them, checks
 * every attribute of the replies, and prints them as text or as JSON. Only
 * public values come back from the kernel; the output cannot leak a secret.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>

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
		/* Padding, or an attribute of a newer kernel. */
		return 0;
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

struct show {
	FILE *out;
	bool json;
	struct json_writer writer;
	unsigned int devices;
};

static int show_device_cb(const struct nlmsghdr *nlh, void *data)
{
	struct show *show = data;
	struct device_info dev;

	if (device_parse(nlh, &dev))
		return MNL_CB_ERROR;
	if (show->json) {
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
			char **text, size_t *size)
{
	struct show show = { .json = json };
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
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

static int show_args(int argc, char *argv[], const char **ifname, bool *json)
{
	struct parse_error e;
	int i;

	*ifname = NULL;
	*json = false;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (argv[i][0] == '-') {
			print_error("show: unknown option '%s' (usage: diodectl show [DEV] [--json])",
				    argv[i]);
			return -1;
		} else if (!*ifname) {
			if (parse_ifname(argv[i], &e)) {
				print_error("show: %s", e.msg);
				return -1;
			}
			*ifname = argv[i];
		} else {
			print_error("show: unexpected word '%s' (usage: diodectl show [DEV] [--json])",
				    argv[i]);
			return -1;
		}
	}
	return 0;
}

int cmd_show(int argc, char *argv[])
{
	char context[sizeof("show ") + IFNAMSIZ];
	const char *ifname;
	char *text = NULL;
	struct genl g;
	size_t size = 0;
	int ret;
	bool json;

	if (show_args(argc, argv, &ifname, &json))
		return 1;
	snprintf(context, sizeof(context), "show%s%s", ifname ? " " : "",
		 ifname ? ifname : "");
	if (genl_open(&g, context))
		return 1;
	ret = show_collect(&g, ifname, json, &text, &size);
	if (ret)
		genl_print_error(context, ret, g.extack);
	else
		fwrite(text, 1, size, stdout);
	free(text);
	genl_close(&g);
	return ret ? 1 : 0;
}
