// SPDX-License-Identifier: GPL-2.0
/*
 * The settings of a diode device, once; see settings.h. A new setting is a
 * member of struct device and a row here, with its parse and format
 * functions when no existing one fits.
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "settings.h"

static void *field(struct device *dev, const struct setting *s)
{
	return (char *)dev + s->offset;
}

static const void *field_of(const struct device *dev, const struct setting *s)
{
	return (const char *)dev + s->offset;
}

/* The value of a number kept as its attribute carries it. */
static uint64_t number(const struct device *dev, const struct setting *s)
{
	const void *value = field_of(dev, s);

	switch (s->size) {
	case sizeof(uint8_t):
		return *(const uint8_t *)value;
	case sizeof(uint16_t):
		return *(const uint16_t *)value;
	case sizeof(uint32_t):
		return *(const uint32_t *)value;
	default:
		return *(const uint64_t *)value;
	}
}

/*
 * set's word, or a file's value, for what one function of parse.c parses
 * into one member of the model: value_parse_mode() for parse_mode().
 */
#define VALUE_PARSER(parser)						\
	static int value_##parser(struct device *dev,			\
				  const struct setting *s,		\
				  const char *value,			\
				  struct parse_error *e)		\
	{								\
		return parser(value, field(dev, s), e);			\
	}

VALUE_PARSER(parse_mode)
VALUE_PARSER(parse_addr)
VALUE_PARSER(parse_remote)
VALUE_PARSER(parse_replay_window)
VALUE_PARSER(parse_rekey_time)
VALUE_PARSER(parse_rekey_frames)
VALUE_PARSER(parse_max_session_age)
VALUE_PARSER(parse_heartbeat_interval)
VALUE_PARSER(parse_redundancy)
VALUE_PARSER(parse_interleave)
VALUE_PARSER(parse_rate)
VALUE_PARSER(parse_encap)
VALUE_PARSER(parse_ethertype)
VALUE_PARSER(parse_dest_mac)

/* "none" removes a key; any other value names the file holding it. */
static int parse_key_file(struct device *dev, const struct setting *s,
			  const char *value, struct parse_error *e)
{
	const char *path = strcmp(value, "none") ? value : NULL;

	(void)e;
	if (s->attr == DIODE_A_PRIVATE_KEY)
		dev->private_key_file = path;
	else
		dev->preshared_key_file = path;
	return 0;
}

/* A key in the file itself; a message names it, never quotes it. */
static int parse_key_text(struct device *dev, const struct setting *s,
			  const char *value, struct parse_error *e)
{
	uint8_t *key = field(dev, s);
	struct parse_error why;

	if (key_from_base64(value, strlen(value), key, &why))
		return parse_fail(e, "invalid %s: %s", s->key, why.msg);
	if (key_is_zero(key))
		return parse_fail(e, "invalid %s: all zeros", s->key);
	return 0;
}

static int parse_peer(struct device *dev, const struct setting *s,
		      const char *value, struct parse_error *e)
{
	uint8_t *key = field(dev, s);

	if (!strcmp(value, "none")) {
		memset(key, 0, DIODE_KEY_LEN);
		return 0;
	}
	if (key_from_base64(value, strlen(value), key, e))
		return parse_fail(e, "invalid peer key '%s' (expected 44 base64 characters, as printed by diodectl pubkey, or none)",
				  value);
	return 0;
}

/* set's word for an address: "none" unsets it, as a file cannot. */
static int parse_addr_or_none(struct device *dev, const struct setting *s,
			      const char *value, struct parse_error *e)
{
	if (!strcmp(value, "none")) {
		addr_set_none(field(dev, s));
		return 0;
	}
	return s->parse_file(dev, s, value, e);
}

static int value_parse_fec(struct device *dev, const struct setting *s,
			   const char *value, struct parse_error *e)
{
	(void)s;
	return parse_fec(value, &dev->fec_data, &dev->fec_parity, e);
}

static int value_parse_lower(struct device *dev, const struct setting *s,
			     const char *value, struct parse_error *e)
{
	(void)s;
	return parse_lower(value, &dev->lower_ifindex, dev->lower_name, e);
}

static int value_parse_rx_mark(struct device *dev, const struct setting *s,
			       const char *value, struct parse_error *e)
{
	(void)s;
	return parse_rx_mark(value, &dev->rx_mark_created,
			     &dev->rx_mark_counter, e);
}

static bool format_number(const struct device *dev, const struct setting *s,
			  char text[SETTING_TEXT_SIZE])
{
	snprintf(text, SETTING_TEXT_SIZE, "%" PRIu64, number(dev, s));
	return true;
}

/* A value of a newer kernel than this tool knows goes unsaid in a file. */
static bool format_mode(const struct device *dev, const struct setting *s,
			char text[SETTING_TEXT_SIZE])
{
	(void)s;
	if (!mode_name(dev->mode))
		return false;
	snprintf(text, SETTING_TEXT_SIZE, "%s", mode_name(dev->mode));
	return true;
}

/* show names it all the same: "mode7". */
static bool show_mode(const struct device *dev, const struct setting *s,
		      char text[SETTING_TEXT_SIZE])
{
	if (!format_mode(dev, s, text))
		snprintf(text, SETTING_TEXT_SIZE, "mode%u", dev->mode);
	return true;
}

static bool show_key(const struct device *dev, const struct setting *s,
		     char text[SETTING_TEXT_SIZE])
{
	key_to_base64(field_of(dev, s), text);
	return true;
}

/* All zeros is no key: what a removed one is. */
static bool format_key(const struct device *dev, const struct setting *s,
		       char text[SETTING_TEXT_SIZE])
{
	if (key_is_zero(field_of(dev, s)))
		return false;
	return show_key(dev, s, text);
}

static bool show_has_preshared_key(const struct device *dev,
				   const struct setting *s,
				   char text[SETTING_TEXT_SIZE])
{
	(void)s;
	if (!dev->has_preshared_key)
		return false;
	snprintf(text, SETTING_TEXT_SIZE, "(set)");
	return true;
}

static bool format_address(const struct device *dev, const struct setting *s,
			   char text[SETTING_TEXT_SIZE])
{
	const struct diode_addr *addr = field_of(dev, s);

	if (addr->sa.sa_family == AF_UNSPEC)
		return false;
	format_addr(addr, text);
	return true;
}

static bool show_seconds(const struct device *dev, const struct setting *s,
			 char text[SETTING_TEXT_SIZE])
{
	snprintf(text, SETTING_TEXT_SIZE, "%" PRIu64 " seconds",
		 number(dev, s));
	return true;
}

static bool show_seconds_or_no_limit(const struct device *dev,
				     const struct setting *s,
				     char text[SETTING_TEXT_SIZE])
{
	if (number(dev, s))
		return show_seconds(dev, s, text);
	snprintf(text, SETTING_TEXT_SIZE, "no limit");
	return true;
}

static bool show_ms(const struct device *dev, const struct setting *s,
		    char text[SETTING_TEXT_SIZE])
{
	snprintf(text, SETTING_TEXT_SIZE, "%" PRIu64 " ms", number(dev, s));
	return true;
}

static bool format_fec(const struct device *dev, const struct setting *s,
		       char text[SETTING_TEXT_SIZE])
{
	(void)s;
	if (dev->fec_data)
		snprintf(text, SETTING_TEXT_SIZE, "%u/%u", dev->fec_data,
			 dev->fec_parity);
	else
		snprintf(text, SETTING_TEXT_SIZE, "off");
	return true;
}

static bool format_rate_setting(const struct device *dev,
				const struct setting *s,
				char text[SETTING_TEXT_SIZE])
{
	(void)s;
	format_rate(dev->rate, text);
	return true;
}

static bool show_rate(const struct device *dev, const struct setting *s,
		      char text[SETTING_TEXT_SIZE])
{
	if (dev->rate)
		return format_rate_setting(dev, s, text);
	snprintf(text, SETTING_TEXT_SIZE, "no limit");
	return true;
}

static bool format_encap(const struct device *dev, const struct setting *s,
			 char text[SETTING_TEXT_SIZE])
{
	(void)s;
	if (!encap_name(dev->encap))
		return false;
	snprintf(text, SETTING_TEXT_SIZE, "%s", encap_name(dev->encap));
	return true;
}

static bool show_encap(const struct device *dev, const struct setting *s,
		       char text[SETTING_TEXT_SIZE])
{
	if (!format_encap(dev, s, text))
		snprintf(text, SETTING_TEXT_SIZE, "encap%u", dev->encap);
	return true;
}

/*
 * A file names the device: as it was given, or as the kernel's index is
 * named here (showconf refuses a device that has no name here).
 */
static bool format_lower(const struct device *dev, const struct setting *s,
			 char text[SETTING_TEXT_SIZE])
{
	char name[IF_NAMESIZE];

	(void)s;
	if (!dev->lower_ifindex)
		return false;
	if (!dev->lower_name[0] && !if_indextoname(dev->lower_ifindex, name))
		name[0] = '\0';
	snprintf(text, SETTING_TEXT_SIZE, "%s",
		 dev->lower_name[0] ? dev->lower_name : name);
	return true;
}

static bool show_lower(const struct device *dev, const struct setting *s,
		       char text[SETTING_TEXT_SIZE])
{
	char name[IF_NAMESIZE];

	(void)s;
	if (!dev->lower_ifindex)
		return false;
	if (if_indextoname(dev->lower_ifindex, name))
		snprintf(text, SETTING_TEXT_SIZE, "%s", name);
	else
		snprintf(text, SETTING_TEXT_SIZE,
			 "ifindex %u (not in this namespace)",
			 dev->lower_ifindex);
	return true;
}

static bool format_ethertype(const struct device *dev,
			     const struct setting *s,
			     char text[SETTING_TEXT_SIZE])
{
	(void)s;
	snprintf(text, SETTING_TEXT_SIZE, "0x%04x", dev->ethertype);
	return true;
}

static bool show_mac(const struct device *dev, const struct setting *s,
		     char text[SETTING_TEXT_SIZE])
{
	format_mac(field_of(dev, s), text);
	return true;
}

/* Broadcast is where a DestMAC left out goes back to, so it goes unsaid. */
static bool format_dest_mac(const struct device *dev, const struct setting *s,
			    char text[SETTING_TEXT_SIZE])
{
	static const uint8_t broadcast[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	if (!memcmp(field_of(dev, s), broadcast, ETH_ALEN))
		return false;
	return show_mac(dev, s, text);
}

static bool show_carrier(const struct device *dev, const struct setting *s,
			 char text[SETTING_TEXT_SIZE])
{
	(void)s;
	snprintf(text, SETTING_TEXT_SIZE, "%s", dev->carrier ? "yes" : "no");
	return true;
}

/* The exact value, for `set`, is what `show DEV rx-mark` prints. */
static bool show_rx_mark(const struct device *dev, const struct setting *s,
			 char text[SETTING_TEXT_SIZE])
{
	char created[FORMAT_TIME_SIZE];

	(void)s;
	if (!dev->rx_mark_created && !dev->rx_mark_counter) {
		snprintf(text, SETTING_TEXT_SIZE, "none");
		return true;
	}
	format_time_ns(dev->rx_mark_created, created);
	snprintf(text, SETTING_TEXT_SIZE, "created %s, counter %" PRIu64,
		 created, dev->rx_mark_counter);
	return true;
}

/* The value as show's text has it, or null when the kernel sent none. */
static void json_text(struct json_writer *j, const struct device *dev,
		      const struct setting *s)
{
	setting_format_t format = s->show_format ? s->show_format : s->format;
	char text[SETTING_TEXT_SIZE];

	if (device_has(dev, s->attr) && format(dev, s, text))
		json_string(j, s->json_name, text);
	else
		json_null(j, s->json_name);
}

static void json_number(struct json_writer *j, const struct device *dev,
			const struct setting *s)
{
	if (device_has(dev, s->attr))
		json_u64(j, s->json_name, number(dev, s));
	else
		json_null(j, s->json_name);
}

/* false, not null, when the kernel did not say. */
static void json_flag(struct json_writer *j, const struct device *dev,
		      const struct setting *s)
{
	json_bool(j, s->json_name, number(dev, s));
}

static void json_flag_or_null(struct json_writer *j, const struct device *dev,
			      const struct setting *s)
{
	if (device_has(dev, s->attr))
		json_flag(j, dev, s);
	else
		json_null(j, s->json_name);
}

/* Two numbers, of which fec_data 0 is FEC off. */
static void json_fec(struct json_writer *j, const struct device *dev,
		     const struct setting *s)
{
	json_number(j, dev, s);
	if (device_has(dev, DIODE_A_FEC_PARITY))
		json_u64(j, "fec_parity", dev->fec_parity);
	else
		json_null(j, "fec_parity");
}

static void json_lower(struct json_writer *j, const struct device *dev,
		       const struct setting *s)
{
	char name[IF_NAMESIZE];
	bool has = device_has(dev, s->attr) && dev->lower_ifindex;

	json_string(j, s->json_name, has &&
		    if_indextoname(dev->lower_ifindex, name) ? name : NULL);
	if (has)
		json_u64(j, "lower_ifindex", dev->lower_ifindex);
	else
		json_null(j, "lower_ifindex");
}

/* As a session's: the time as text and in ns, and the counter; or null. */
static void json_rx_mark(struct json_writer *j, const struct device *dev,
			 const struct setting *s)
{
	char created[FORMAT_TIME_SIZE];

	if (!device_has(dev, s->attr)) {
		json_null(j, s->json_name);
		return;
	}
	format_time_ns(dev->rx_mark_created, created);
	json_open(j, s->json_name, '{');
	json_string(j, "created", created);
	json_u64(j, "created_ns", dev->rx_mark_created);
	json_u64(j, "counter", dev->rx_mark_counter);
	json_close(j, '}');
}

#define FIELD(member) \
	.offset = offsetof(struct device, member), \
	.size = sizeof(((struct device *)NULL)->member)

/* In the order of show's lines, set's request and a file's lines. */
const struct setting settings[] = {
	{ .word = "mode", .key = "Mode", .section = SECTION_INTERFACE,
	  .attr = DIODE_A_MODE, FIELD(mode), .parse = value_parse_mode,
	  .format = format_mode, .label = "mode", .show_format = show_mode,
	  .json_name = "mode", .json = json_text },
	{ .attr = DIODE_A_PUBLIC_KEY, FIELD(public_key),
	  .label = "public key", .show_format = show_key,
	  .json_name = "public_key", .json = json_text },
	{ .word = "private-key", .key = "PrivateKey",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_PRIVATE_KEY,
	  FIELD(private_key), .parse = parse_key_file,
	  .parse_file = parse_key_text, .format = format_key },
	{ .word = "peer", .key = "PublicKey", .section = SECTION_PEER,
	  .attr = DIODE_A_PEER_PUBLIC_KEY, FIELD(peer_public_key),
	  .parse = parse_peer, .parse_file = parse_key_text,
	  .format = format_key, .label = "peer", .json_name = "peer",
	  .json = json_text },
	{ .word = "preshared-key", .key = "PresharedKey",
	  .section = SECTION_PEER, .attr = DIODE_A_PRESHARED_KEY,
	  FIELD(preshared_key), .parse = parse_key_file,
	  .parse_file = parse_key_text, .format = format_key },
	{ .attr = DIODE_A_HAS_PRESHARED_KEY, FIELD(has_preshared_key),
	  .label = "preshared key", .show_format = show_has_preshared_key,
	  .json_name = "preshared_key", .json = json_flag },
	{ .word = "local", .key = "Local", .section = SECTION_INTERFACE,
	  .attr = DIODE_A_LOCAL, FIELD(local), .parse = parse_addr_or_none,
	  .parse_file = value_parse_addr, .format = format_address,
	  .label = "local", .json_name = "local", .json = json_text },
	{ .word = "remote", .key = "Remote", .section = SECTION_PEER,
	  .attr = DIODE_A_REMOTE, FIELD(remote), .parse = parse_addr_or_none,
	  .parse_file = value_parse_remote, .format = format_address,
	  .label = "remote", .json_name = "remote", .json = json_text },
	{ .word = "replay-window", .key = "ReplayWindow",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_REPLAY_WINDOW,
	  FIELD(replay_window), .parse = value_parse_replay_window,
	  .format = format_number, .label = "replay window",
	  .json_name = "replay_window", .json = json_number },
	{ .word = "rekey-after-time", .key = "RekeyAfterTime",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_REKEY_AFTER_TIME,
	  FIELD(rekey_after_time), .parse = value_parse_rekey_time,
	  .format = format_number, .label = "rekey after time",
	  .show_format = show_seconds, .json_name = "rekey_after_time",
	  .json = json_number },
	{ .word = "rekey-after-frames", .key = "RekeyAfterFrames",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_REKEY_AFTER_FRAMES,
	  FIELD(rekey_after_frames), .parse = value_parse_rekey_frames,
	  .format = format_number, .label = "rekey after frames",
	  .json_name = "rekey_after_frames", .json = json_number },
	{ .word = "max-session-age", .key = "MaxSessionAge",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_MAX_SESSION_AGE,
	  FIELD(max_session_age), .parse = value_parse_max_session_age,
	  .format = format_number, .label = "max session age",
	  .show_format = show_seconds_or_no_limit,
	  .json_name = "max_session_age", .json = json_number },
	{ .word = "heartbeat-interval", .key = "HeartbeatInterval",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_HEARTBEAT_INTERVAL,
	  FIELD(heartbeat_interval), .parse = value_parse_heartbeat_interval,
	  .format = format_number, .label = "heartbeat interval",
	  .show_format = show_ms, .json_name = "heartbeat_interval",
	  .json = json_number },
	{ .word = "redundancy", .key = "Redundancy",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_REDUNDANCY,
	  FIELD(redundancy), .parse = value_parse_redundancy,
	  .format = format_number, .label = "redundancy",
	  .json_name = "redundancy", .json = json_number },
	/* With DIODE_A_FEC_PARITY, which ipc.c sends only when FEC is on. */
	{ .word = "fec", .key = "FEC", .section = SECTION_INTERFACE,
	  .attr = DIODE_A_FEC_DATA, FIELD(fec_data), .parse = value_parse_fec,
	  .format = format_fec, .label = "fec", .json_name = "fec_data",
	  .json = json_fec },
	{ .word = "interleave", .key = "Interleave",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_FEC_INTERLEAVE,
	  FIELD(fec_interleave), .parse = value_parse_interleave,
	  .format = format_number, .label = "interleave",
	  .json_name = "interleave", .json = json_number },
	{ .word = "rate", .key = "Rate", .section = SECTION_INTERFACE,
	  .attr = DIODE_A_RATE, FIELD(rate), .parse = value_parse_rate,
	  .format = format_rate_setting, .label = "rate",
	  .show_format = show_rate, .json_name = "rate",
	  .json = json_number },
	{ .word = "encap", .key = "Encap", .section = SECTION_INTERFACE,
	  .attr = DIODE_A_ENCAP, FIELD(encap), .parse = value_parse_encap,
	  .format = format_encap, .label = "encap", .show_format = show_encap,
	  .json_name = "encap", .json = json_text },
	{ .word = "lower", .key = "Lower", .section = SECTION_INTERFACE,
	  .attr = DIODE_A_LOWER_IFINDEX, FIELD(lower_ifindex),
	  .parse = value_parse_lower, .format = format_lower,
	  .label = "lower", .show_format = show_lower, .json_name = "lower",
	  .json = json_lower },
	{ .word = "ethertype", .key = "EtherType",
	  .section = SECTION_INTERFACE, .attr = DIODE_A_ETHERTYPE,
	  FIELD(ethertype), .parse = value_parse_ethertype,
	  .format = format_ethertype, .label = "ethertype",
	  .json_name = "ethertype", .json = json_number },
	/* Where the frames go, as Remote is for UDP: the other end's. */
	{ .word = "dest-mac", .key = "DestMAC", .section = SECTION_PEER,
	  .attr = DIODE_A_DEST_MAC, FIELD(dest_mac),
	  .parse = value_parse_dest_mac, .format = format_dest_mac,
	  .label = "dest mac", .show_format = show_mac,
	  .json_name = "dest_mac", .json = json_text },
	{ .attr = DIODE_A_CARRIER, FIELD(carrier), .label = "carrier",
	  .show_format = show_carrier, .json_name = "carrier",
	  .json = json_flag_or_null },
	/* State, not configuration: set's alone, never a file's. */
	{ .word = "rx-mark", .attr = DIODE_A_RX_MARK,
	  .parse = value_parse_rx_mark,
	  .label = "rx mark", .show_format = show_rx_mark,
	  .json_name = "rx_mark", .json = json_rx_mark },
};

const size_t settings_count = ARRAY_SIZE(settings);

const struct setting *setting_by_attr(unsigned int attr)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		if (settings[i].attr == attr)
			return &settings[i];
	}
	return NULL;
}

const struct setting *setting_by_key(const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		if (settings[i].key && !strcasecmp(key, settings[i].key))
			return &settings[i];
	}
	return NULL;
}

static const struct setting *setting_by_word(const char *word)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		if (settings[i].word && !strcmp(word, settings[i].word))
			return &settings[i];
	}
	return NULL;
}

/* "mode, private-key, ... or rx-mark": every word, for messages. */
static const char *word_list(char *text, size_t size)
{
	size_t i, len = 0, left = 0;

	for (i = 0; i < ARRAY_SIZE(settings); i++)
		left += settings[i].word != NULL;
	text[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		if (!settings[i].word)
			continue;
		left--;
		len += snprintf(text + len, size - len, "%s%s",
				settings[i].word,
				!left ? "" : left == 1 ? " or " : ", ");
	}
	return text;
}

static int families_differ(const struct device *dev, struct parse_error *e)
{
	char local[ADDR_TEXT_SIZE], remote[ADDR_TEXT_SIZE];

	format_addr(&dev->local, local);
	format_addr(&dev->remote, remote);
	return parse_fail(e, "local %s and remote %s are not of the same address family (any is IPv4; [::] is IPv6)",
			  local, remote);
}

static bool reads_stdin(const char *path)
{
	return path && !strcmp(path, "-");
}

int settings_from_words(int argc, char *const argv[], struct device *dev,
			struct parse_error *e)
{
	const struct setting *s;
	char words[512];
	int i;

	memset(dev, 0, sizeof(*dev));
	if (argc < 1)
		return parse_fail(e, "a device name is needed (diodectl set DEV ...)");
	if (parse_ifname(argv[0], e))
		return -1;
	strcpy(dev->ifname, argv[0]);
	for (i = 1; i < argc; i += 2) {
		s = setting_by_word(argv[i]);
		if (!s)
			return parse_fail(e, "unknown word '%s' (expected %s)",
					  argv[i],
					  word_list(words, sizeof(words)));
		if (device_has(dev, s->attr))
			return parse_fail(e, "'%s' is given twice", s->word);
		if (i + 1 == argc)
			return parse_fail(e, "'%s' needs a value", s->word);
		if (s->parse(dev, s, argv[i + 1], e))
			return -1;
		device_mark(dev, s->attr);
	}
	if (!dev->present)
		return parse_fail(e, "nothing to set (give at least one of %s)",
				  word_list(words, sizeof(words)));
	if (device_has(dev, DIODE_A_LOCAL) && device_has(dev, DIODE_A_REMOTE) &&
	    dev->local.sa.sa_family != AF_UNSPEC &&
	    dev->remote.sa.sa_family != AF_UNSPEC &&
	    dev->local.sa.sa_family != dev->remote.sa.sa_family)
		return families_differ(dev, e);
	if (reads_stdin(dev->private_key_file) &&
	    reads_stdin(dev->preshared_key_file))
		return parse_fail(e, "private-key and preshared-key cannot both be read from '-' (stdin)");
	return 0;
}
