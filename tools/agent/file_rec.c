// SPDX-License-Identifier: GPL-2.0
/*
 * The files channel's records (docs/files.md, Wire format) and the checks
 * of a name. Everything here is pure: the receiver runs every record from
 * the link through file_decode, and the fuzzer does the same.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "be.h"
#include "file.h"

/* OpenSSL's SHA-256 uses the CPU's SHA extensions where there are some:
 * several times libsodium's portable one, and the hash is on the path of
 * every byte at both ends. */
struct file_sha *file_sha_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		abort();
	return (struct file_sha *)c;
}

void file_sha_update(struct file_sha *s, const void *p, size_t n)
{
	if (!EVP_DigestUpdate((EVP_MD_CTX *)s, p, n))
		abort();
}

void file_sha_final(struct file_sha *s, uint8_t out[32])
{
	if (!EVP_DigestFinal_ex((EVP_MD_CTX *)s, out, NULL))
		abort();
	EVP_MD_CTX_free((EVP_MD_CTX *)s);
}

void file_sha_free(struct file_sha *s)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)s);
}

/* The first 64 bits, big-endian, of a SHA-256 of a label and fields. */
static uint64_t key_of(const char *label, const uint8_t *fields, size_t len,
		       const uint8_t *tail, size_t tail_len)
{
	struct file_sha *st = file_sha_new();
	uint8_t h[32];

	file_sha_update(st, label, strlen(label) + 1);
	file_sha_update(st, fields, len);
	file_sha_update(st, tail, tail_len);
	file_sha_final(st, h);
	return be_get64(h);
}

uint64_t file_key(const struct file_meta *m)
{
	uint8_t b[30];

	be_put16(b, m->name_len);
	be_put64(b + 2, m->size);
	be_put32(b + 10, m->chunk);
	be_put64(b + 14, (uint64_t)m->mtime_ns);
	be_put64(b + 22, m->xfer);
	return key_of("diode-file-key-2", b, sizeof(b), m->name, m->name_len);
}

uint64_t file_content_key(const struct file_meta *m)
{
	uint8_t b[42];

	be_put16(b, m->name_len);
	be_put64(b + 2, m->size);
	memcpy(b + 10, m->sha256, 32);
	return key_of("diode-file-content-1", b, sizeof(b), m->name, m->name_len);
}

uint32_t file_nchunks(uint64_t size, uint32_t chunk)
{
	return size ? (uint32_t)((size - 1) / chunk + 1) : 0;
}

uint32_t file_chunk_len(uint64_t size, uint32_t chunk, uint32_t index)
{
	uint64_t off = (uint64_t)index * chunk;

	return size - off < chunk ? (uint32_t)(size - off) : chunk;
}

size_t file_put_meta(uint8_t *out, size_t cap, const struct file_meta *m)
{
	if (cap < FILE_META_FIXED + (size_t)m->name_len)
		return 0;
	out[0] = FILE_REC_META;
	out[1] = m->flags;
	out[2] = m->pass;
	out[3] = m->passes;
	be_put64(out + 4, m->key);
	be_put64(out + 12, m->size);
	be_put32(out + 20, m->chunk);
	be_put32(out + 24, m->mode);
	be_put64(out + 28, (uint64_t)m->mtime_ns);
	memcpy(out + 36, m->sha256, 32);
	be_put64(out + 68, m->xfer);
	be_put16(out + 76, m->name_len);
	memcpy(out + FILE_META_FIXED, m->name, m->name_len);
	return FILE_META_FIXED + m->name_len;
}

size_t file_put_chunk_hdr(uint8_t *out, uint64_t key, uint32_t index)
{
	out[0] = FILE_REC_CHUNK;
	be_put64(out + 1, key);
	be_put32(out + 9, index);
	return FILE_CHUNK_HDR;
}

static int decode_meta(const uint8_t *r, size_t len, struct file_meta *m)
{
	static const uint8_t zero[32];

	if (len < FILE_META_FIXED)
		return -FILE_E_SHORT;
	m->flags = r[1];
	m->pass = r[2];
	m->passes = r[3];
	m->key = be_get64(r + 4);
	m->size = be_get64(r + 12);
	m->chunk = be_get32(r + 20);
	m->mode = be_get32(r + 24);
	m->mtime_ns = (int64_t)be_get64(r + 28);
	memcpy(m->sha256, r + 36, 32);
	m->xfer = be_get64(r + 68);
	m->name_len = be_get16(r + 76);
	m->name = r + FILE_META_FIXED;
	if (len != FILE_META_FIXED + (size_t)m->name_len)
		return -FILE_E_SHORT;
	if (m->flags & ~(FILE_F_HISTORY | FILE_F_NOSHA) || !m->passes || m->pass > m->passes ||
	    !(m->flags & FILE_F_HISTORY) != !!m->pass)
		return -FILE_E_FIELD;
	/* only a first pass goes before its hash, and then says so */
	if (m->flags & FILE_F_NOSHA && (m->pass != 1 || memcmp(m->sha256, zero, 32)))
		return -FILE_E_FIELD;
	if (m->chunk < FILE_CHUNK_MIN || m->chunk > FILE_CHUNK_MAX || m->mode & ~07777u ||
	    m->size > (uint64_t)m->chunk * FILE_MAX_CHUNKS)
		return -FILE_E_FIELD;
	if (!m->name_len || m->name_len > FILE_NAME_MAX)
		return -FILE_E_FIELD;
	if (m->key != file_key(m))
		return -FILE_E_KEY;
	return FILE_REC_META;
}

static int decode_chunk(const uint8_t *r, size_t len, struct file_chunk *c)
{
	if (len <= FILE_CHUNK_HDR)
		return -FILE_E_SHORT;
	if (len > FILE_CHUNK_HDR + FILE_CHUNK_MAX)
		return -FILE_E_FIELD;
	c->key = be_get64(r + 1);
	c->index = be_get32(r + 9);
	c->len = len - FILE_CHUNK_HDR;
	c->data = r + FILE_CHUNK_HDR;
	if (c->index >= FILE_MAX_CHUNKS)
		return -FILE_E_FIELD;
	return FILE_REC_CHUNK;
}

int file_decode(const uint8_t *rec, size_t len, struct file_meta *m,
		struct file_chunk *c)
{
	if (!len)
		return -FILE_E_SHORT;
	switch (rec[0]) {
	case FILE_REC_META:
		return decode_meta(rec, len, m);
	case FILE_REC_CHUNK:
		return decode_chunk(rec, len, c);
	}
	return -FILE_E_TYPE;
}

/* CON, PRN, AUX, NUL, COM1-9 and LPT1-9, with any extension: a share of
 * the inbox seen from Windows would open the device, not the file. */
static bool device_name(const uint8_t *c, size_t n)
{
	static const char *const dev[] = { "CON", "PRN", "AUX", "NUL" };
	size_t stem = 0, i;

	while (stem < n && c[stem] != '.')
		stem++;
	while (stem > 0 && c[stem - 1] == ' ')
		stem--;
	if (stem == 3) {
		for (i = 0; i < 4; i++)
			if (!strncasecmp((const char *)c, dev[i], 3))
				return true;
	}
	return stem == 4 && (!strncasecmp((const char *)c, "COM", 3) ||
			     !strncasecmp((const char *)c, "LPT", 3)) &&
	       c[3] >= '1' && c[3] <= '9';
}

int file_name_check(const uint8_t *name, size_t len)
{
	size_t i, start;

	if (!len)
		return FILE_N_EMPTY;
	if (len > FILE_NAME_MAX)
		return FILE_N_LONG;
	if (name[0] == '/')
		return FILE_N_ABSOLUTE;
	for (i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] == 0x7f || name[i] == '\\')
			return FILE_N_CONTROL;
	for (start = 0; start <= len; start = i + 1) {
		size_t n;

		for (i = start; i < len && name[i] != '/'; i++)
			;
		n = i - start;
		if (!n)
			return FILE_N_EMPTY;
		if ((n == 1 && name[start] == '.') ||
		    (n == 2 && name[start] == '.' && name[start + 1] == '.'))
			return FILE_N_DOTDOT;
		if (n > FILE_COMP_MAX)
			return FILE_N_LONG;
		/* the receiver's own areas may live in the inbox */
		if (n >= 7 && !memcmp(name + start, ".diode-", 7))
			return FILE_N_RESERVED;
		if (device_name(name + start, n))
			return FILE_N_DEVICE;
	}
	return 0;
}

const char *file_name_err_str(int e)
{
	static const char *const s[] = {
		"ok", "empty component", "absolute", "'.' or '..'", "control character or backslash",
		"too long", "reserved (.diode-)", "device name",
	};

	return e >= 0 && e <= FILE_N_DEVICE ? s[e] : "?";
}
