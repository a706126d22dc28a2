// SPDX-License-Identifier: GPL-2.0
/*
 * Configuration files: reading, parsing and writing; see config.h. Values
 * are checked by the parsers of `diodectl set`, so that a file and the
 * command line accept the same things and fail with the same messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "keys.h"
#include "settings.h"

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

static const char *const section_names[] = {
	[SECTION_INTERFACE] = "Interface",
	[SECTION_PEER] = "Peer",
};

/* Where the parser is, and on which line each section and key was seen. */
struct config_parser {
	enum config_kind kind;
	enum config_section section;
	unsigned int line;
	unsigned int section_line[ARRAY_SIZE(section_names)];
	unsigned int key_line[DIODE_A_MAX + 1];	/* by attribute */
	struct device *dev;
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

static int parse_setting(struct config_parser *p, char *line)
{
	const struct setting *s;
	char *equals = strchr(line, '=');
	char *name, *value;

	if (!equals)
		return parse_fail(p->e, "expected KEY = VALUE, [Interface] or [Peer]");
	name = trim(line, equals);
	value = trim(equals + 1, equals + 1 + strlen(equals + 1));
	if (!*name)
		return parse_fail(p->e, "a key is missing before '='");
	s = setting_by_key(name);
	if (!s && quotable(name))
		return parse_fail(p->e, "unknown key '%s'%s%s%s", name,
				  p->section ? " in [" : "",
				  p->section ? section_names[p->section] : "",
				  p->section ? "]" : "");
	if (!s)
		return parse_fail(p->e, "unknown key (not quoted: it may be secret)");
	if (p->section == SECTION_NONE)
		return parse_fail(p->e, "%s is outside a section (it belongs in [%s])",
				  s->key, section_names[s->section]);
	if (p->section != s->section)
		return parse_fail(p->e, "%s belongs in [%s], not [%s]",
				  s->key, section_names[s->section],
				  section_names[p->section]);
	if (p->key_line[s->attr])
		return parse_fail(p->e, "%s is given twice (first on line %u)",
				  s->key, p->key_line[s->attr]);
	if (!*value)
		return parse_fail(p->e, "%s needs a value", s->key);
	if ((s->parse_file ? s->parse_file : s->parse)(p->dev, s, value, p->e))
		return -1;
	p->key_line[s->attr] = p->line;
	device_mark(p->dev, s->attr);
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

/* What the whole file must have; *line is where the fault shows. */
static int check_complete(struct config_parser *p, unsigned int *line)
{
	const struct device *dev = p->dev;
	unsigned int interface = p->section_line[SECTION_INTERFACE];
	unsigned int peer = p->section_line[SECTION_PEER];
	char local[ADDR_TEXT_SIZE], remote[ADDR_TEXT_SIZE];
	unsigned int local_line, remote_line;

	*line = p->line ? p->line : 1;
	if (!interface)
		return parse_fail(p->e, "no [Interface] section");
	if (p->kind == CONFIG_SET && !device_has(dev, DIODE_A_MODE)) {
		*line = interface;
		return parse_fail(p->e, "[Interface] has no Mode (tx, rx or none)");
	}
	if (peer && !device_has(dev, DIODE_A_PEER_PUBLIC_KEY)) {
		*line = peer;
		return parse_fail(p->e, "[Peer] has no PublicKey");
	}
	if (p->kind == CONFIG_SET && !peer)
		return parse_fail(p->e, "no [Peer] section (setconf needs the peer's PublicKey)");
	if (device_has(dev, DIODE_A_LOCAL) && device_has(dev, DIODE_A_REMOTE) &&
	    dev->local.sa.sa_family != dev->remote.sa.sa_family) {
		local_line = p->key_line[DIODE_A_LOCAL];
		remote_line = p->key_line[DIODE_A_REMOTE];
		*line = local_line > remote_line ? local_line : remote_line;
		format_addr(&dev->local, local);
		format_addr(&dev->remote, remote);
		return parse_fail(p->e, "Local %s and Remote %s are not of the same address family (any is IPv4; [::] is IPv6)",
				  local, remote);
	}
	return 0;
}

int config_parse(char *text, size_t len, enum config_kind kind,
		 struct device *dev, unsigned int *line,
		 struct parse_error *e)
{
	struct config_parser p = {
		.kind = kind,
		.dev = dev,
		.e = e,
	};
	char *end = text + len, *next, *newline;

	memset(dev, 0, sizeof(*dev));
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
	dev->replace = kind == CONFIG_SET;
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

/* A section's lines, in the order of settings[]; false when it has none. */
static bool append_section(struct text_buf *t, const struct device *dev,
			   enum config_section section)
{
	char text[SETTING_TEXT_SIZE];
	bool any = false;
	size_t i;

	for (i = 0; i < settings_count; i++) {
		const struct setting *s = &settings[i];

		if (s->section != section || !device_has(dev, s->attr) ||
		    !s->format(dev, s, text))
			continue;
		if (!any && section == SECTION_PEER)
			text_append(t, "\n[Peer]\n");
		text_append(t, "%s = %s\n", s->key, text);
		any = true;
	}
	/* The text of a key is as secret as the key. */
	sodium_memzero(text, sizeof(text));
	return any;
}

int config_format(char *buf, size_t size, const struct device *dev)
{
	struct text_buf t = { .buf = buf, .size = size };

	if (!size)
		return -1;
	buf[0] = '\0';
	text_append(&t, "[Interface]\n");
	append_section(&t, dev, SECTION_INTERFACE);
	append_section(&t, dev, SECTION_PEER);
	if (t.overflow) {
		sodium_memzero(buf, size);
		return -1;
	}
	return t.len;
}
