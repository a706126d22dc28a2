/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The files channel of diode-agent (docs/files.md): file_tx.c takes the
 * files of an outbox and sends each in passes; file_rx.c rebuilds them in
 * a partial area and renames each, checked, into the inbox. file_rec.c is
 * what both ends share: the records' wire format and the checks of a name,
 * pure functions the unit test and the fuzzer drive alone.
 */
#ifndef DIODE_AGENT_FILE_H
#define DIODE_AGENT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"

#define FILE_REC_META	1
#define FILE_REC_CHUNK	2

struct chan_proto;

#define FILE_META_FIXED	78	/* a META record before its name */
#define FILE_CHUNK_HDR	13	/* a CHUNK record before its data */
#define FILE_NAME_MAX	4095	/* bytes of a relative name */
#define FILE_COMP_MAX	255	/* bytes of one of its components */
#define FILE_CHUNK_MIN	256
#define FILE_CHUNK_MAX	65000
/* The receiver's chunk map of a file is at most 32 MiB. */
#define FILE_MAX_CHUNKS	(1u << 28)
#define FILE_MAX_RECORD	(FILE_CHUNK_HDR + FILE_CHUNK_MAX)

/* META flags */
#define FILE_F_HISTORY	1	/* from the history: every pass was sent */
#define FILE_F_NOSHA	2	/* sha256 not yet known (all zero): the tx hashes
				 * the file as it sends its first pass, and sends
				 * the META again, with it, at the pass's end */

struct file_meta {
	uint8_t flags;
	uint8_t pass, passes;	/* this pass (1..passes); 0 in the history */
	uint64_t key;		/* file_key() of the fields below */
	uint64_t size;
	uint32_t chunk;		/* bytes of every chunk but the last */
	uint32_t mode;		/* permission bits */
	int64_t mtime_ns;
	uint8_t sha256[32];
	/* this transfer: the tx's clock (ns) when it took the file; a file
	 * that failed is tried again when it comes in another transfer */
	uint64_t xfer;
	uint16_t name_len;
	const uint8_t *name;	/* relative to the outbox, not terminated */
};

struct file_chunk {
	uint64_t key;
	uint32_t index;
	uint32_t len;
	const uint8_t *data;
};

enum file_err {
	FILE_E_SHORT = 1, FILE_E_TYPE, FILE_E_FIELD, FILE_E_KEY,
};

/* Why a name is refused: 0 when it is none of them. */
enum file_name_err {
	FILE_N_EMPTY = 1, FILE_N_ABSOLUTE, FILE_N_DOTDOT, FILE_N_CONTROL,
	FILE_N_LONG, FILE_N_RESERVED, FILE_N_DEVICE,
};

/* SHA-256, incrementally (OpenSSL); final frees it. Out of memory aborts. */
struct file_sha;
struct file_sha *file_sha_new(void);
void file_sha_update(struct file_sha *s, const void *p, size_t n);
void file_sha_final(struct file_sha *s, uint8_t out[32]);
void file_sha_free(struct file_sha *s);

/* The transfer key: what names a transfer on the link and at the rx,
 * the first 64 bits of a SHA-256 of the META's fields the tx knows when
 * it takes the file (not its content, so that the first pass needs no
 * hash before it starts). */
uint64_t file_key(const struct file_meta *m);
/* What the rx compares to recognise a file it has delivered already,
 * sent again in another transfer: name, size and content. */
uint64_t file_content_key(const struct file_meta *m);
uint32_t file_nchunks(uint64_t size, uint32_t chunk);
/* The length of chunk index of a file (index < file_nchunks). */
uint32_t file_chunk_len(uint64_t size, uint32_t chunk, uint32_t index);

/* Records into out (cap bytes): their length, or 0 when it does not fit. */
size_t file_put_meta(uint8_t *out, size_t cap, const struct file_meta *m);
size_t file_put_chunk_hdr(uint8_t *out, uint64_t key, uint32_t index);

/* The record's type (FILE_REC_*) with m or c filled in, or -FILE_E_*:
 * every field checked against the others and the key against the fields;
 * pointers into rec. The name is the receiver's to judge (below): a name
 * it refuses is counted as such, not as a malformed record. */
int file_decode(const uint8_t *rec, size_t len, struct file_meta *m,
		struct file_chunk *c);
/* A name the receiver may create under its inbox: 0, or FILE_N_*. */
int file_name_check(const uint8_t *name, size_t len);
const char *file_name_err_str(int e);

/* The rx's marks (file_marks.c): a mark's content key is that of a file
 * delivered, 0 for any other. Out of memory: -1. */
struct file_mark {
	uint64_t key;
	uint64_t content;
	uint8_t state;			/* the rx's */
	int64_t at;			/* wall clock, s */
};
struct file_marks {
	struct file_mark *v;
	size_t n, cap;
	struct hmap by_key, by_content;
};
struct file_mark *file_marks_find(struct file_marks *ms, uint64_t key);
bool file_marks_delivered(const struct file_marks *ms, uint64_t content);
int file_marks_set(struct file_marks *ms, uint64_t key, uint64_t content, uint8_t state, int64_t at);
/* Marks older than before go, gone() told of each first: how many. */
size_t file_marks_prune(struct file_marks *ms, int64_t before,
			void (*gone)(const struct file_mark *k, void *arg), void *arg);
void file_marks_free(struct file_marks *ms);

extern const struct chan_proto file_tx_proto, file_rx_proto;

#endif
