// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration files: reading, parsing and writing; see config.h. Values
 * are checked by the parsers of `diodectl set`, so that a file and the
 * command line accept the same things and fail with the same messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "keys.h"

/* The file is read into this much: one byte over the limit tells it. */
#define CONFIG_BUF_SIZE		(CONFIG_FILE_MAX + 2)

int config_read(const char *path, struct config_text *t,
		struct parse_error *e)
{
	bool from_stdin = !strcmp(path, "-");
	const char *quote = from_stdin ? "" : "'";
	ssize_t len;
	int fd, ret = 0;

	memset(t, 0, sizeof(*t));
	t->name = from_stdin ? "stdin" : path;
	fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return parse_fail(e, "cannot open '%s': %s", path,
				  strerror(errno));
	t->text = malloc(CONFIG_BUF_SIZE);
	if (!t->text) {
		ret = parse_fail(e, "cannot read %s%s%s: %s", quote, t->name,
				 quote, strerror(ENOMEM));
		goto out;
	}
	len = read_bounded(fd, t->text, CONFIG_FILE_MAX + 1);
	if (len < 0) {
		ret = parse_fail(e, "cannot read %s%s%s: %s", quote, t->name,
				 quote, strerror(errno));
		goto out;
	}
	if (len > CONFIG_FILE_MAX) {
		ret = parse_fail(e, "%s%s%s is too long for a configuration (more than %d bytes)",
				 quote, t->name, quote, CONFIG_FILE_MAX);
		goto out;
	}
	t->len = len;
	t->text[len] = '\0';
	t->others_can_read = file_others_can_read(fd);
out:
	if (!from_stdin)
		close(fd);
	return ret;
}

void config_text_free(struct config_text *t)
{
	if (t->text) {
		sodium_memzero(t->text, CONFIG_BUF_SIZE);
		free(t->text);
	}
	t->text = NULL;
	t->len = 0;
}

enum config_section {
	SECTION_NONE,
	SECTION_INTERFACE,
	SECTION_PEER,
};

static const char *const section_names[] = {
	[SECTION_INTERFACE] = "Interface",
	[SECTION_PEER] = "Peer",
};

/* A key from a file; a message names it, never quotes it. */
static int parse_key(const char *value, uint8_t key[DIODE_KEY_LEN],
		     const char *name, struct parse_error *e)
{
	struct parse_error why;

	if (key_from_base64(value, strlen(value), key, &why))
		return parse_fail(e, "invalid %s: %s", name, why.msg);
	if (key_is_zero(key))
		return parse_fail(e, "invalid %s: all zeros", name);
	return 0;
}

static int conf_mode(const char *value, struct set_args *a,
		     struct parse_error *e)
{
	return parse_mode(value, &a->mode, e);
}

static int conf_private_key(const char *value, struct set_args *a,
			    struct parse_error *e)
{
	return parse_key(value, a->private_key, "PrivateKey", e);
}

static int conf_local(const char *value, struct set_args *a,
		      struct parse_error *e)
{
	return parse_addr(value, &a->local, e);
}

static int conf_replay_window(const char *value, struct set_args *a,
			      struct parse_error *e)
{
	return parse_replay_window(value, &a->replay_window, e);
}

static int conf_rekey_time(const char *value, struct set_args *a,
			   struct parse_error *e)
{
	return parse_rekey_time(value, &a->rekey_after_time, e);
}

static int conf_rekey_frames(const char *value, struct set_args *a,
			     struct parse_error *e)
{
	return parse_rekey_frames(value, &a->rekey_after_frames, e);
}

static int conf_max_session_age(const char *value, struct set_args *a,
				struct parse_error *e)
{
	return parse_max_session_age(value, &a->max_session_age, e);
}

static int conf_heartbeat(const char *value, struct set_args *a,
			  struct parse_error *e)
{
	return parse_heartbeat_interval(value, &a->heartbeat_interval, e);
}

static int conf_redundancy(const char *value, struct set_args *a,
			   struct parse_error *e)
{
	return parse_redundancy(value, &a->redundancy, e);
}

static int conf_fec(const char *value, struct set_args *a,
		    struct parse_error *e)
{
	return parse_fec(value, &a->fec_data, &a->fec_parity, e);
}

static int conf_interleave(const char *value, struct set_args *a,
			   struct parse_error *e)
{
	return parse_interleave(value, &a->interleave, e);
}

static int conf_rate(const char *value, struct set_args *a,
		     struct parse_error *e)
{
	return parse_rate(value, &a->rate, e);
}

static int conf_encap(const char *value, struct set_args *a,
		      struct parse_error *e)
{
	return parse_encap(value, &a->encap, e);
}

static int conf_lower(const char *value, struct set_args *a,
		      struct parse_error *e)
{
	return parse_lower(value, &a->lower_ifindex, a->lower_name, e);
}

static int conf_ethertype(const char *value, struct set_args *a,
			  struct parse_error *e)
{
	return parse_ethertype(value, &a->ethertype, e);
}

static int conf_public_key(const char *value, struct set_args *a,
			   struct parse_error *e)
{
	return parse_key(value, a->peer_key, "PublicKey", e);
}

static int conf_preshared_key(const char *value, struct set_args *a,
			      struct parse_error *e)
{
	return parse_key(value, a->preshared_key, "PresharedKey", e);
}

static int conf_remote(const char *value, struct set_args *a,
		       struct parse_error *e)
{
	return parse_remote(value, &a->remote, e);
}

static int conf_dest_mac(const char *value, struct set_args *a,
			 struct parse_error *e)
{
	return parse_dest_mac(value, a->dest_mac, e);
}

static const struct config_key {
	const char *name;
	enum config_section section;
	enum set_field field;
	int (*parse)(const char *value, struct set_args *a,
		     struct parse_error *e);
} config_keys[] = {
	{ "Mode", SECTION_INTERFACE, SET_MODE, conf_mode },
	{ "PrivateKey", SECTION_INTERFACE, SET_PRIVATE_KEY, conf_private_key },
	{ "Local", SECTION_INTERFACE, SET_LOCAL, conf_local },
	{ "ReplayWindow", SECTION_INTERFACE, SET_REPLAY_WINDOW,
	  conf_replay_window },
	{ "RekeyAfterTime", SECTION_INTERFACE, SET_REKEY_TIME,
	  conf_rekey_time },
	{ "RekeyAfterFrames", SECTION_INTERFACE, SET_REKEY_FRAMES,
	  conf_rekey_frames },
	{ "MaxSessionAge", SECTION_INTERFACE, SET_MAX_SESSION_AGE,
	  conf_max_session_age },
	{ "HeartbeatInterval", SECTION_INTERFACE, SET_HEARTBEAT,
	  conf_heartbeat },
	{ "Redundancy", SECTION_INTERFACE, SET_REDUNDANCY, conf_redundancy },
	{ "FEC", SECTION_INTERFACE, SET_FEC, conf_fec },
	{ "Interleave", SECTION_INTERFACE, SET_INTERLEAVE, conf_interleave },
	{ "Rate", SECTION_INTERFACE, SET_RATE, conf_rate },
	{ "Encap", SECTION_INTERFACE, SET_ENCAP, conf_encap },
	{ "Lower", SECTION_INTERFACE, SET_LOWER, conf_lower },
	{ "EtherType", SECTION_INTERFACE, SET_ETHERTYPE, conf_ethertype },
	{ "PublicKey", SECTION_PEER, SET_PEER, conf_public_key },
	{ "PresharedKey", SECTION_PEER, SET_PRESHARED_KEY, conf_preshared_key },
	{ "Remote", SECTION_PEER, SET_REMOTE, conf_remote },
	/* Where the frames go, as Remote is for UDP: the other end's. */
	{ "DestMAC", SECTION_PEER, SET_DEST_MAC, conf_dest_mac },
};

/* Where the parser is, and on which line each section and key was seen. */
struct config_parser {
	enum config_kind kind;
	enum config_section section;
	unsigned int line;
	unsigned int section_line[ARRAY_SIZE(section_names)];
	unsigned int key_line[ARRAY_SIZE(config_keys)];
	struct set_args *args;
	struct parse_error *e;
};

/*
 * A word of the file that a message may quote: a short name of letters,
 * digits, '-' and '_'. A key pasted on a line of its own is neither, and
 * stays out of the message.
 */
static bool quotable(const char *word)
{
	const char *c;

	if (!*word || strlen(word) > 24)
		return false;
	for (c = word; *c; c++) {
		if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') &&
		    !(*c >= '0' && *c <= '9') && *c != '-' && *c != '_')
			return false;
	}
	return true;
}

/* [start, end) without the white space around it, as a string. */
static char *trim(char *start, char *end)
{
	while (start < end && (*start == ' ' || *start == '\t' ||
			       *start == '\r' || *start == '\v' ||
			       *start == '\f'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' ||
			       end[-1] == '\r' || end[-1] == '\v' ||
			       end[-1] == '\f'))
		end--;
	*end = '\0';
	return start;
}

static int parse_section(struct config_parser *p, char *line)
{
	size_t len = strlen(line);
	enum config_section s;
	char *name;

	if (line[len - 1] != ']')
		return parse_fail(p->e, "a section header is [Interface] or [Peer]");
	name = trim(line + 1, line + len - 1);
	for (s = SECTION_INTERFACE; s < ARRAY_SIZE(section_names); s++) {
		if (strcasecmp(name, section_names[s]))
			continue;
		if (p->section_line[s])
			return parse_fail(p->e, "a second [%s] section (the first is on line %u; a diode has one peer)",
					  section_names[s],
					  p->section_line[s]);
		p->section = s;
		p->section_line[s] = p->line;
		return 0;
	}
	if (quotable(name))
		return parse_fail(p->e, "unknown section [%s] (expected [Interface] or [Peer])",
				  name);
	return parse_fail(p->e, "unknown section (expected [Interface] or [Peer])");
}

static const struct config_key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(config_keys); i++) {
		if (!strcasecmp(name, config_keys[i].name))
			return &config_keys[i];
	}
	return NULL;
}

static int parse_setting(struct config_parser *p, char *line)
{
	const struct config_key *key;
	char *equals = strchr(line, '=');
	char *name, *value;
	size_t i;

	if (!equals)
		return parse_fail(p->e, "expected KEY = VALUE, [Interface] or [Peer]");
	name = trim(line, equals);
	value = trim(equals + 1, equals + 1 + strlen(equals + 1));
	if (!*name)
		return parse_fail(p->e, "a key is missing before '='");
	key = find_key(name);
	if (!key && quotable(name))
		return parse_fail(p->e, "unknown key '%s'%s%s%s", name,
				  p->section ? " in [" : "",
				  p->section ? section_names[p->section] : "",
				  p->section ? "]" : "");
	if (!key)
		return parse_fail(p->e, "unknown key (not quoted: it may be secret)");
	if (p->section == SECTION_NONE)
		return parse_fail(p->e, "%s is outside a section (it belongs in [%s])",
				  key->name, section_names[key->section]);
	if (p->section != key->section)
		return parse_fail(p->e, "%s belongs in [%s], not [%s]",
				  key->name, section_names[key->section],
				  section_names[p->section]);
	i = key - config_keys;
	if (p->key_line[i])
		return parse_fail(p->e, "%s is given twice (first on line %u)",
				  key->name, p->key_line[i]);
	if (!*value)
		return parse_fail(p->e, "%s needs a value", key->name);
	if (key->parse(value, p->args, p->e))
		return -1;
	p->key_line[i] = p->line;
	p->args->fields |= key->field;
	return 0;
}

static int parse_line(struct config_parser *p, char *start, char *end)
{
	char *hash, *line;

	if (memchr(start, '\0', end - start))
		return parse_fail(p->e, "a NUL byte (this is not a text file)");
	hash = memchr(start, '#', end - start);
	line = trim(start, hash ? hash : end);
	if (!*line)
		return 0;
	if (*line == '[')
		return parse_section(p, line);
	return parse_setting(p, line);
}

static unsigned int key_line(const struct config_parser *p,
			     enum set_field field)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(config_keys); i++) {
		if (config_keys[i].field == field)
			return p->key_line[i];
	}
	return 0;
}

/* What the whole file must have; *line is where the fault shows. */
static int check_complete(struct config_parser *p, unsigned int *line)
{
	const struct set_args *a = p->args;
	unsigned int interface = p->section_line[SECTION_INTERFACE];
	unsigned int peer = p->section_line[SECTION_PEER];
	char local[ADDR_TEXT_SIZE], remote[ADDR_TEXT_SIZE];
	unsigned int local_line, remote_line;

	*line = p->line ? p->line : 1;
	if (!interface)
		return parse_fail(p->e, "no [Interface] section");
	if (p->kind == CONFIG_SET && !(a->fields & SET_MODE)) {
		*line = interface;
		return parse_fail(p->e, "[Interface] has no Mode (tx, rx or none)");
	}
	if (peer && !(a->fields & SET_PEER)) {
		*line = peer;
		return parse_fail(p->e, "[Peer] has no PublicKey");
	}
	if (p->kind == CONFIG_SET && !peer)
		return parse_fail(p->e, "no [Peer] section (setconf needs the peer's PublicKey)");
	if ((a->fields & SET_LOCAL) && (a->fields & SET_REMOTE) &&
	    a->local.sa.sa_family != a->remote.sa.sa_family) {
		local_line = key_line(p, SET_LOCAL);
		remote_line = key_line(p, SET_REMOTE);
		*line = local_line > remote_line ? local_line : remote_line;
		format_addr(&a->local, local);
		format_addr(&a->remote, remote);
		return parse_fail(p->e, "Local %s and Remote %s are not of the same address family (any is IPv4; [::] is IPv6)",
				  local, remote);
	}
	return 0;
}

int config_parse(char *text, size_t len, enum config_kind kind,
		 struct set_args *args, unsigned int *line,
		 struct parse_error *e)
{
	struct config_parser p = {
		.kind = kind,
		.args = args,
		.e = e,
	};
	char *end = text + len, *next, *newline;

	memset(args, 0, sizeof(*args));
	/* A byte order mark, as some editors write. */
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		text += 3;
	for (; text < end; text = next) {
		newline = memchr(text, '\n', end - text);
		next = newline ? newline + 1 : end;
		p.line++;
		if (parse_line(&p, text, newline ? newline : end)) {
			*line = p.line;
			return -1;
		}
	}
	if (check_complete(&p, line))
		return -1;
	args->replace = kind == CONFIG_SET;
	return 0;
}

struct text_buf {
	char *buf;
	size_t size;
	size_t len;
	bool overflow;
};

static void __attribute__((format(printf, 2, 3)))
text_append(struct text_buf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->size - t->len)
		t->overflow = true;
	else
		t->len += n;
}

static bool has_key(const struct set_args *a, enum set_field field,
		    const uint8_t key[DIODE_KEY_LEN])
{
	return (a->fields & field) && !key_is_zero(key);
}

static bool has_addr(const struct set_args *a, enum set_field field,
		     const struct diode_addr *addr)
{
	return (a->fields & field) && addr->sa.sa_family != AF_UNSPEC;
}

/* Broadcast is where a DestMAC left out goes back to, so it goes unsaid. */
static bool has_dest_mac(const struct set_args *a)
{
	static const uint8_t broadcast[ETH_ALEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	return (a->fields & SET_DEST_MAC) &&
	       memcmp(a->dest_mac, broadcast, ETH_ALEN);
}

static void append_key(struct text_buf *t, const char *name,
		       const uint8_t key[DIODE_KEY_LEN])
{
	char text[KEY_BASE64_SIZE];

	key_to_base64(key, text);
	text_append(t, "%s = %s\n", name, text);
	sodium_memzero(text, sizeof(text));
}

static void append_addr(struct text_buf *t, const char *name,
			const struct diode_addr *addr)
{
	char text[ADDR_TEXT_SIZE];

	format_addr(addr, text);
	text_append(t, "%s = %s\n", name, text);
}

static void append_rate(struct text_buf *t, uint64_t bits)
{
	char text[RATE_TEXT_SIZE];

	format_rate(bits, text);
	text_append(t, "Rate = %s\n", text);
}

static void append_mac(struct text_buf *t, const char *name,
		       const uint8_t mac[ETH_ALEN])
{
	char text[MAC_TEXT_SIZE];

	format_mac(mac, text);
	text_append(t, "%s = %s\n", name, text);
}

int config_format(char *buf, size_t size, const struct set_args *a)
{
	struct text_buf t = { .buf = buf, .size = size };

	if (!size)
		return -1;
	buf[0] = '\0';
	text_append(&t, "[Interface]\n");
	if ((a->fields & SET_MODE) && mode_name(a->mode))
		text_append(&t, "Mode = %s\n", mode_name(a->mode));
	if (has_key(a, SET_PRIVATE_KEY, a->private_key))
		append_key(&t, "PrivateKey", a->private_key);
	if (has_addr(a, SET_LOCAL, &a->local))
		append_addr(&t, "Local", &a->local);
	if (a->fields & SET_REPLAY_WINDOW)
		text_append(&t, "ReplayWindow = %" PRIu32 "\n",
			    a->replay_window);
	if (a->fields & SET_REKEY_TIME)
		text_append(&t, "RekeyAfterTime = %" PRIu32 "\n",
			    a->rekey_after_time);
	if (a->fields & SET_REKEY_FRAMES)
		text_append(&t, "RekeyAfterFrames = %" PRIu64 "\n",
			    a->rekey_after_frames);
	if (a->fields & SET_MAX_SESSION_AGE)
		text_append(&t, "MaxSessionAge = %" PRIu32 "\n",
			    a->max_session_age);
	if (a->fields & SET_HEARTBEAT)
		text_append(&t, "HeartbeatInterval = %" PRIu32 "\n",
			    a->heartbeat_interval);
	if (a->fields & SET_REDUNDANCY)
		text_append(&t, "Redundancy = %u\n", a->redundancy);
	if ((a->fields & SET_FEC) && a->fec_data)
		text_append(&t, "FEC = %u/%u\n", a->fec_data, a->fec_parity);
	else if (a->fields & SET_FEC)
		text_append(&t, "FEC = off\n");
	if (a->fields & SET_INTERLEAVE)
		text_append(&t, "Interleave = %u\n", a->interleave);
	if (a->fields & SET_RATE)
		append_rate(&t, a->rate);
	if ((a->fields & SET_ENCAP) && encap_name(a->encap))
		text_append(&t, "Encap = %s\n", encap_name(a->encap));
	if ((a->fields & SET_LOWER) && a->lower_ifindex)
		text_append(&t, "Lower = %s\n", a->lower_name);
	if (a->fields & SET_ETHERTYPE)
		text_append(&t, "EtherType = 0x%04x\n", a->ethertype);
	if (has_key(a, SET_PEER, a->peer_key) ||
	    has_key(a, SET_PRESHARED_KEY, a->preshared_key) ||
	    has_addr(a, SET_REMOTE, &a->remote) || has_dest_mac(a))
		text_append(&t, "\n[Peer]\n");
	if (has_key(a, SET_PEER, a->peer_key))
		append_key(&t, "PublicKey", a->peer_key);
	if (has_key(a, SET_PRESHARED_KEY, a->preshared_key))
		append_key(&t, "PresharedKey", a->preshared_key);
	if (has_addr(a, SET_REMOTE, &a->remote))
		append_addr(&t, "Remote", &a->remote);
	if (has_dest_mac(a))
		append_mac(&t, "DestMAC", a->dest_mac);
	if (t.overflow) {
		sodium_memzero(buf, size);
		return -1;
	}
	return t.len;
}
