/* SPDX-License-Identifier: GPL-2.0 */
/* Key generation and key files; libsodium only, no netlink. */
#ifndef _DIODECTL_KEYS_H
#define _DIODECTL_KEYS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "parse.h"

/* Longest key file accepted: a key with room for whitespace around it. */
#define KEY_FILE_MAX	128

void key_generate_private(uint8_t key[DIODE_KEY_LEN]);
void key_generate_preshared(uint8_t key[DIODE_KEY_LEN]);
int key_public_from_private(uint8_t public_key[DIODE_KEY_LEN],
			    const uint8_t private_key[DIODE_KEY_LEN]);

/* Reads up to size bytes; more than size - 1 means the file is too long. */
ssize_t read_bounded(int fd, char *buf, size_t size);

/* fd is a regular file that its group or others may read. */
bool file_others_can_read(int fd);

/*
 * Reads a base64 key from path, or from stdin when path is "-"; what names
 * the key in error messages.
 */
int key_read_file(const char *what, const char *path,
		  uint8_t key[DIODE_KEY_LEN], struct parse_error *e);

#endif /* _DIODECTL_KEYS_H */
