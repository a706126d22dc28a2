// SPDX-License-Identifier: GPL-2.0
/*
 * Keys of diodectl: X25519 private keys clamped as RFC 7748 describes, so
 * that they are the same keys whoever computes with them, preshared keys,
 * and reading keys from files without leaving copies behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"

void key_generate_private(uint8_t key[DIODE_KEY_LEN])
{
	randombytes_buf(key, DIODE_KEY_LEN);
	key[0] &= 248;
	key[31] &= 127;
	key[31] |= 64;
}

void key_generate_preshared(uint8_t key[DIODE_KEY_LEN])
{
	randombytes_buf(key, DIODE_KEY_LEN);
}

int key_public_from_private(uint8_t public_key[DIODE_KEY_LEN],
			    const uint8_t private_key[DIODE_KEY_LEN])
{
	return crypto_scalarmult_curve25519_base(public_key, private_key);
}

ssize_t read_bounded(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

bool file_others_can_read(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode) &&
	       (st.st_mode & (S_IRGRP | S_IROTH));
}

/* A key given where its file belongs must not be echoed in the message. */
static bool looks_like_key(const char *path)
{
	uint8_t key[DIODE_KEY_LEN];
	struct parse_error e;
	bool is_key;

	is_key = !key_from_base64(path, strlen(path), key, &e);
	sodium_memzero(key, sizeof(key));
	return is_key;
}

static int open_failed(const char *what, const char *path, const char *where,
		       int err, struct parse_error *e)
{
	if (looks_like_key(path))
		return parse_fail(e, "%s takes a file name or -, not the key itself (the command line is visible to every user)",
				  what);
	return parse_fail(e, "%s: cannot open %s: %s", what, where,
			  strerror(err));
}

int key_read_file(const char *what, const char *path,
		  uint8_t key[DIODE_KEY_LEN], struct parse_error *e)
{
	bool from_stdin = !strcmp(path, "-");
	const char *quote = from_stdin ? "" : "'";
	char buf[KEY_FILE_MAX + 1], where[200];
	struct parse_error why;
	ssize_t len;
	int fd, ret;

	snprintf(where, sizeof(where), "%s%s%s", quote,
		 from_stdin ? "stdin" : path, quote);
	fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return open_failed(what, path, where, errno, e);
	len = read_bounded(fd, buf, sizeof(buf));
	if (len < 0)
		ret = parse_fail(e, "%s: cannot read %s: %s", what, where,
				 strerror(errno));
	else if (len > KEY_FILE_MAX)
		ret = parse_fail(e, "%s: %s is too long for a key (more than %d bytes)",
				 what, where, KEY_FILE_MAX);
	else if (key_from_base64(buf, len, key, &why))
		ret = parse_fail(e, "%s: %s holds no valid key: %s", what,
				 where, why.msg);
	else
		ret = 0;
	sodium_memzero(buf, sizeof(buf));
	if (!from_stdin)
		close(fd);
	return ret;
}
