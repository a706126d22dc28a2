/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration files of diodectl setconf, addconf and showconf, in the
 * manner of wg(8)'s:
 *
 *   # a comment
 *   [Interface]
 *   Mode = tx
 *   PrivateKey = <base64>
 *   Local = 192.0.2.1:51555
 *   ReplayWindow = 8192
 *   RekeyAfterTime = 120
 *   RekeyAfterFrames = 1073741824
 *   MaxSessionAge = 86400
 *   HeartbeatInterval = 1000
 *   Redundancy = 1
 *   FEC = 16/4
 *   Interleave = 1
 *   Rate = 100mbit
 *   Encap = udp
 *   Lower = eth1
 *   EtherType = 0x88b5
 *
 *   [Peer]
 *   PublicKey = <base64>
 *   PresharedKey = <base64>
 *   Remote = 192.0.2.2:51555
 *   DestMAC = 02:00:00:00:00:02
 *
 * Section names and keys are case-insensitive, white space around them and
 * around '=' is ignored and '#' starts a comment. The keys are those of
 * settings.c. A file is turned into the struct device of one
 * DIODE_CMD_SET_DEVICE request, and a device back into a file. Nothing here
 * talks to the kernel.
 */
#ifndef _DIODECTL_CONFIG_H
#define _DIODECTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "parse.h"

/* The largest file read; a real one is well under 1 KiB. */
#define CONFIG_FILE_MAX		65536

/* Room for the longest text config_format() writes. */
#define CONFIG_TEXT_SIZE	1024

enum config_kind {
	/* setconf: [Interface] with a Mode, [Peer] with a PublicKey. */
	CONFIG_SET,
	/* addconf: [Interface]; Mode and [Peer] may be left out. */
	CONFIG_ADD,
};

/* A file read whole; its text may hold secrets. */
struct config_text {
	char *text;		/* len bytes and a NUL */
	size_t len;
	const char *name;	/* for messages: the path, or "stdin" for - */
	bool others_can_read;	/* a regular file its group or others read */
};

/*
 * Reads path, or stdin when path is "-". On failure returns -1 with e set;
 * call config_text_free() in any case.
 */
int config_read(const char *path, struct config_text *t,
		struct parse_error *e);

/* Wipes and frees the text; safe to call twice. */
void config_text_free(struct config_text *t);

/*
 * Parses the len bytes of text, which is changed in place and must have a
 * writable byte after them. Fills dev (zeroed first) with what the file
 * gives, and for setconf sets replace: the kernel returns every setting the
 * file leaves out to its default. ifname is left "". On failure returns -1 with *line the line at
 * fault (the section header or the last line for what is missing) and e the
 * reason, which never quotes a value that may be secret.
 */
int config_parse(char *text, size_t len, enum config_kind kind,
		 struct device *dev, unsigned int *line,
		 struct parse_error *e);

/*
 * Writes dev as a configuration file: the settings it has, as each
 * setting's format writes them (which leaves out keys that are all zeros,
 * addresses of family AF_UNSPEC, Lower when unset and DestMAC when
 * broadcast). [Peer] only when it has a line. Returns the length, or -1
 * when size is too small.
 */
int config_format(char *buf, size_t size, const struct device *dev);

#endif /* _DIODECTL_CONFIG_H */
