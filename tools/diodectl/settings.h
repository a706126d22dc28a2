/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one table of a device's settings: for each, the word of `diodectl
 * set`, the key of a configuration file, the attribute that carries it and
 * where the model keeps it, how its value is parsed and how it is written
 * for `set` and a file, for show's text and for show's JSON. set, setconf,
 * addconf, show, showconf and the netlink messages all go by it, in its
 * order. Nothing here prints or talks to the kernel.
 */
#ifndef _DIODECTL_SETTINGS_H
#define _DIODECTL_SETTINGS_H

#include <stddef.h>

#include "device.h"
#include "parse.h"

/* Room for the longest value text of a setting. */
#define SETTING_TEXT_SIZE	128

enum config_section {
	SECTION_NONE,
	SECTION_INTERFACE,
	SECTION_PEER,
};

struct setting;

typedef int (*setting_parse_t)(struct device *dev, const struct setting *s,
			       const char *value, struct parse_error *e);
/* Writes the text of the value; false when there is none to write. */
typedef bool (*setting_format_t)(const struct device *dev,
				 const struct setting *s,
				 char text[SETTING_TEXT_SIZE]);
typedef void (*setting_json_t)(struct json_writer *j,
			       const struct device *dev,
			       const struct setting *s);

struct setting {
	/* `diodectl set`'s word, or NULL. */
	const char *word;
	/* A configuration file's key and its section, or NULL. */
	const char *key;
	enum config_section section;
	/* The attribute that carries the value and marks it present. */
	unsigned int attr;
	/*
	 * Where struct device keeps the value: the attribute's payload as
	 * it is, for all but the attributes ipc.c encodes itself.
	 */
	size_t offset;
	size_t size;
	/* set's word; NULL for what only the kernel sets. */
	setting_parse_t parse;
	/* A file's value, where it differs from the word's. */
	setting_parse_t parse_file;
	/* As set and a file take it; a file leaves out what has none. */
	setting_format_t format;
	/* show: "  LABEL: TEXT", by show_format or else format. */
	const char *label;
	setting_format_t show_format;
	/* show --json: the member, written by json. */
	const char *json_name;
	setting_json_t json;
};

extern const struct setting settings[];
extern const size_t settings_count;

/* The setting of an attribute, or NULL. */
const struct setting *setting_by_attr(unsigned int attr);
/* The setting of a file's key (case-insensitive), or NULL. */
const struct setting *setting_by_key(const char *key);

/*
 * argv: DEV and then pairs of WORD VALUE. Fills dev (zeroed first), except
 * the secret keys, which the caller reads from their files once all words
 * are known good.
 */
int settings_from_words(int argc, char *const argv[], struct device *dev,
			struct parse_error *e);

#endif /* _DIODECTL_SETTINGS_H */
