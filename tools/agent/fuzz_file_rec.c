// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any record delivered on a files channel goes through
 * file_decode. What it accepts must stay within the record, agree with
 * its own bounds, and encode back to the same bytes (a META) or point at
 * its data (a CHUNK); the name check must hold on every accepted name.
 * The key is checked by the decoder: the dictionary cannot guess it, so
 * one input in two gets a right key before it is decoded.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "file.h"

static uint8_t again[FILE_META_FIXED + FILE_NAME_MAX];

/* What file_name_check promises, checked another way: relative, every
 * component non-empty and neither . nor .., no control byte. */
static bool name_safe(const uint8_t *n, size_t len)
{
	size_t i, start = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && n[i] < 0x20)
			return false;
		if (i < len && n[i] != '/')
			continue;
		if (i == start || (i - start == 1 && n[start] == '.') ||
		    (i - start == 2 && n[start] == '.' && n[start + 1] == '.'))
			return false;
		start = i + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *rec = malloc(size ? size : 1);
	struct file_meta m;
	struct file_chunk c;
	int t, e;

	if (!rec)
		return 0;
	memcpy(rec, data, size);
	if (size >= FILE_META_FIXED && rec[0] == FILE_REC_META && (rec[size - 1] & 1) &&
	    FILE_META_FIXED + (size_t)be_get16(rec + 76) == size) {
		/* the key made right half the time, or the decoder's key check
		 * would stop nearly every input before the rest */
		struct file_meta k = { .size = be_get64(rec + 12), .chunk = be_get32(rec + 20),
				       .mtime_ns = (int64_t)be_get64(rec + 28), .xfer = be_get64(rec + 68),
				       .name = rec + FILE_META_FIXED, .name_len = size - FILE_META_FIXED };

		be_put64(rec + 4, file_key(&k));
	}
	t = file_decode(rec, size, &m, &c);
	if (t == FILE_REC_META) {
		if (m.name != rec + FILE_META_FIXED || m.name_len + (size_t)FILE_META_FIXED != size ||
		    file_nchunks(m.size, m.chunk) > FILE_MAX_CHUNKS)
			abort();
		if (file_put_meta(again, sizeof(again), &m) != size || memcmp(again, rec, size))
			abort();
		if (!file_name_check(m.name, m.name_len) && !name_safe(m.name, m.name_len))
			abort();
	} else if (t == FILE_REC_CHUNK) {
		if (c.data != rec + FILE_CHUNK_HDR || c.len + (size_t)FILE_CHUNK_HDR != size ||
		    c.len > FILE_CHUNK_MAX || c.index >= FILE_MAX_CHUNKS)
			abort();
	} else if (t >= 0) {
		abort();
	}
	free(rec);
	return 0;
}
