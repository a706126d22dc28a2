// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the files channel's records and name checks (file_rec.c). KTAP. */
#include <string.h>

#include "../../selftests/unit/ktap.h"
#include "be.h"
#include "file.h"

static uint8_t rec[FILE_META_FIXED + FILE_NAME_MAX + 1];

static size_t meta_sha(const char *name, uint64_t size, uint32_t chunk, bool sha)
{
	struct file_meta m = { .pass = 1, .passes = 2, .size = size, .chunk = chunk,
			       .mode = 0640, .mtime_ns = -5, .xfer = 77,
			       .flags = sha ? 0 : FILE_F_NOSHA,
			       .name = (const uint8_t *)name, .name_len = strlen(name) };

	memset(m.sha256, sha ? 0xab : 0, 32);
	m.key = file_key(&m);
	return file_put_meta(rec, sizeof(rec), &m);
}

static size_t meta(const char *name, uint64_t size, uint32_t chunk)
{
	return meta_sha(name, size, chunk, true);
}

static bool test_sha256_vector(void)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
		0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	struct file_sha *s = file_sha_new();
	uint8_t h[32];

	file_sha_update(s, "a", 1);
	file_sha_update(s, "bc", 2);
	file_sha_final(s, h);
	KTAP_EXPECT(!memcmp(h, abc, 32));
	return true;
}

static bool test_chunks(void)
{
	KTAP_EXPECT(file_nchunks(0, 1421) == 0);
	KTAP_EXPECT(file_nchunks(1, 1421) == 1 && file_chunk_len(1, 1421, 0) == 1);
	KTAP_EXPECT(file_nchunks(1421, 1421) == 1 && file_chunk_len(1421, 1421, 0) == 1421);
	KTAP_EXPECT(file_nchunks(1422, 1421) == 2 && file_chunk_len(1422, 1421, 1) == 1);
	KTAP_EXPECT(file_nchunks(1ull << 30, 1024) == 1u << 20);
	return true;
}

static bool test_meta_roundtrip(void)
{
	struct file_meta m;
	struct file_chunk c;
	size_t n = meta("a b/ünï/c.tar.gz", 123456789, 1421);

	KTAP_EXPECT(n == FILE_META_FIXED + strlen("a b/ünï/c.tar.gz"));
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == FILE_REC_META);
	KTAP_EXPECT(m.size == 123456789 && m.chunk == 1421 && m.mode == 0640 &&
		    m.mtime_ns == -5 && m.xfer == 77 && m.pass == 1 && m.passes == 2);
	KTAP_EXPECT(m.name_len == strlen("a b/ünï/c.tar.gz") && !memcmp(m.name, "a b/ünï/c.tar.gz", m.name_len));
	/* any field changed without the key: refused */
	rec[FILE_META_FIXED] ^= 1;
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_KEY);
	rec[FILE_META_FIXED] ^= 1;
	rec[19] ^= 1;	/* size */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_KEY);
	rec[19] ^= 1;
	rec[35] ^= 1;	/* mtime */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_KEY);
	rec[35] ^= 1;
	rec[75] ^= 1;	/* transfer */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_KEY);
	rec[75] ^= 1;
	/* the key does not depend on the content: the first pass goes first */
	rec[40] ^= 1;
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == FILE_REC_META);
	KTAP_EXPECT(file_decode(rec, n - 1, &m, &c) == -FILE_E_SHORT);
	KTAP_EXPECT(file_decode(rec, FILE_META_FIXED - 1, &m, &c) == -FILE_E_SHORT);
	return true;
}

static bool test_meta_fields(void)
{
	struct file_meta m;
	struct file_chunk c;
	size_t n;

	n = meta("x", 10, FILE_CHUNK_MIN - 1);
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	n = meta("x", (uint64_t)FILE_CHUNK_MIN * FILE_MAX_CHUNKS + 1, FILE_CHUNK_MIN);
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	n = meta("x", 10, 1000);
	rec[2] = 3;	/* pass 3 of 2 */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	rec[2] = 0;	/* no pass, not history */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	rec[1] = FILE_F_HISTORY;
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == FILE_REC_META);
	rec[1] = 4;	/* an unknown flag */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	n = meta("x", 10, 1000);
	be_put32(rec + 24, 010000);	/* a mode beyond the permission bits */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	rec[0] = 9;
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_TYPE);
	KTAP_EXPECT(file_decode(rec, 0, &m, &c) == -FILE_E_SHORT);
	return true;
}

/* A first pass before its hash: said, and only a first pass. */
static bool test_meta_nosha(void)
{
	struct file_meta m;
	struct file_chunk c;
	size_t n = meta_sha("x", 10, 1000, false);

	KTAP_EXPECT(file_decode(rec, n, &m, &c) == FILE_REC_META && m.flags == FILE_F_NOSHA);
	rec[36] = 1;	/* a hash while it says there is none */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	rec[36] = 0;
	rec[2] = 2;	/* a second pass */
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	rec[2] = 0;
	rec[1] = FILE_F_NOSHA | FILE_F_HISTORY;
	KTAP_EXPECT(file_decode(rec, n, &m, &c) == -FILE_E_FIELD);
	return true;
}

/* The content key: name, size and hash; not the transfer, mtime, chunk. */
static bool test_content_key(void)
{
	struct file_meta a = { .size = 5, .chunk = 1000, .mtime_ns = 1, .xfer = 1,
			       .name = (const uint8_t *)"a", .name_len = 1 }, b;
	uint64_t k = file_content_key(&a);

	b = a;
	b.xfer = 2;
	b.mtime_ns = 2;
	b.chunk = 2000;
	KTAP_EXPECT(file_content_key(&b) == k && file_key(&b) != file_key(&a));
	b.sha256[31] = 1;
	KTAP_EXPECT(file_content_key(&b) != k);
	b = a;
	b.size = 6;
	KTAP_EXPECT(file_content_key(&b) != k);
	b = a;
	b.name = (const uint8_t *)"b";
	KTAP_EXPECT(file_content_key(&b) != k);
	return true;
}

static bool test_chunk_records(void)
{
	uint8_t b[FILE_CHUNK_HDR + FILE_CHUNK_MAX + 1] = { 0 };
	struct file_meta m;
	struct file_chunk c;

	KTAP_EXPECT(file_put_chunk_hdr(b, 0x1122334455667788ull, 7) == FILE_CHUNK_HDR);
	KTAP_EXPECT(file_decode(b, FILE_CHUNK_HDR, &m, &c) == -FILE_E_SHORT);
	KTAP_EXPECT(file_decode(b, FILE_CHUNK_HDR + 5, &m, &c) == FILE_REC_CHUNK);
	KTAP_EXPECT(c.key == 0x1122334455667788ull && c.index == 7 && c.len == 5 &&
		    c.data == b + FILE_CHUNK_HDR);
	KTAP_EXPECT(file_decode(b, sizeof(b), &m, &c) == -FILE_E_FIELD);
	be_put32(b + 9, FILE_MAX_CHUNKS);
	KTAP_EXPECT(file_decode(b, FILE_CHUNK_HDR + 5, &m, &c) == -FILE_E_FIELD);
	return true;
}

static bool test_names(void)
{
	static const struct { const char *n; int e; } t[] = {
		{ "a.txt", 0 }, { "a b/ünï cödé/名前 1", 0 }, { " spaces ", 0 }, { "..x", 0 },
		{ "x..", 0 }, { "a/.b", 0 }, { "CONSOLE", 0 }, { "COM0", 0 }, { "x/.diode", 0 },
		{ "/etc/passwd", FILE_N_ABSOLUTE }, { "..", FILE_N_DOTDOT }, { "a/../b", FILE_N_DOTDOT },
		{ "a/..", FILE_N_DOTDOT }, { "./a", FILE_N_DOTDOT }, { "a//b", FILE_N_EMPTY },
		{ "a/", FILE_N_EMPTY }, { "", FILE_N_EMPTY }, { "a\nb", FILE_N_CONTROL },
		{ "a\\b", FILE_N_CONTROL }, { "a\x7f", FILE_N_CONTROL },
		{ ".diode-partial/x", FILE_N_RESERVED }, { "d/.diode-failed", FILE_N_RESERVED },
		{ "CON", FILE_N_DEVICE }, { "con.txt", FILE_N_DEVICE }, { "d/Lpt9.x.y", FILE_N_DEVICE },
		{ "nul ", FILE_N_DEVICE }, { "COM1", FILE_N_DEVICE }, { "aux", FILE_N_DEVICE },
	};
	char long_comp[FILE_COMP_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int e = file_name_check((const uint8_t *)t[i].n, strlen(t[i].n));

		if (e != t[i].e)
			ktap_diag("%s: %d, expected %d", t[i].n, e, t[i].e);
		KTAP_EXPECT(e == t[i].e);
	}
	memset(long_comp, 'a', sizeof(long_comp) - 1);
	long_comp[sizeof(long_comp) - 1] = 0;
	KTAP_EXPECT(file_name_check((const uint8_t *)long_comp, FILE_COMP_MAX) == 0);
	KTAP_EXPECT(file_name_check((const uint8_t *)long_comp, FILE_COMP_MAX + 1) == FILE_N_LONG);
	KTAP_EXPECT(file_name_check((const uint8_t *)"a\0b", 3) == FILE_N_CONTROL);
	return true;
}

static size_t gone_n;
static int64_t gone_max_at;

static void gone(const struct file_mark *k, void *arg)
{
	(void)arg;
	gone_n++;
	if (k->at > gone_max_at)
		gone_max_at = k->at;
}

/* Marks found by key, the delivered ones by content; a mark set again
 * loses its old content; pruning drops exactly the old ones, telling of
 * each, and every other is still found both ways. */
static bool test_marks(void)
{
	struct file_marks ms = { 0 };
	uint64_t i;

	KTAP_EXPECT(!file_marks_find(&ms, 1) && !file_marks_delivered(&ms, 1));
	for (i = 1; i <= 1000; i++)
		KTAP_EXPECT(!file_marks_set(&ms, i, i % 2 ? 0 : 5000 + i, i % 5, (int64_t)i));
	KTAP_EXPECT(ms.n == 1000);
	KTAP_EXPECT(file_marks_find(&ms, 7) && file_marks_find(&ms, 7)->state == 2);
	KTAP_EXPECT(file_marks_delivered(&ms, 5002) && !file_marks_delivered(&ms, 5001));
	KTAP_EXPECT(!file_marks_set(&ms, 2, 9999, 1, 2));
	KTAP_EXPECT(!file_marks_delivered(&ms, 5002) && file_marks_delivered(&ms, 9999) && ms.n == 1000);
	KTAP_EXPECT(file_marks_prune(&ms, 501, gone, NULL) == 500);
	KTAP_EXPECT(gone_n == 500 && gone_max_at == 500 && ms.n == 500);
	/* the places freed are taken again */
	for (i = 2001; i <= 2500; i++)
		KTAP_EXPECT(!file_marks_set(&ms, i, 0, 0, 3000));
	for (i = 1; i <= 1000; i++) {
		struct file_mark *k = file_marks_find(&ms, i);

		KTAP_EXPECT(i <= 500 ? !k : k && k->key == i && k->at == (int64_t)i);
		KTAP_EXPECT(file_marks_delivered(&ms, 5000 + i) == (i > 500 && i % 2 == 0));
	}
	KTAP_EXPECT(!file_marks_delivered(&ms, 9999));
	file_marks_free(&ms);
	return true;
}

static const struct ktap_test tests[] = {
	{ "marks", test_marks },
	{ "sha256_vector", test_sha256_vector },
	{ "chunks", test_chunks },
	{ "meta_roundtrip", test_meta_roundtrip },
	{ "meta_fields", test_meta_fields },
	{ "meta_nosha", test_meta_nosha },
	{ "content_key", test_content_key },
	{ "chunk_records", test_chunk_records },
	{ "names", test_names },
};

int main(void)
{
	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
