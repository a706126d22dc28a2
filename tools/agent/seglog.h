/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bounded log of records on disk: the tx's journal and the rx's spool.
 * A directory of segment files, 016x.seg, of at most an eighth of the
 * limit or 64 MiB (a single larger record has one of its own), each a
 * 24-byte header (magic, 0, a 64-bit tag, 0) and records of a 16-byte header (length, CRC-32 of
 * key and data, 64-bit key) and data. The files' bytes never exceed the
 * limit: the oldest segment goes (journal), or the record is refused
 * (spool). Everything read back is checked: a torn tail of the last
 * segment is cut, any other damage sets the file aside (NAME.corrupt).
 */
#ifndef DIODE_AGENT_SEGLOG_H
#define DIODE_AGENT_SEGLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SL_SEG_HDR 24
#define SL_REC_HDR 16

struct sl_seg {
	uint64_t id, size, nrec;
	uint64_t first_key, last_key;
};

struct sl_cursor {
	uint64_t seg, off;		/* segment id, offset in it */
};

struct sl {
	char dir[480];
	char magic[4];
	const char *who;		/* names the log in messages */
	uint64_t tag;			/* the journal's epoch; 0 for the spool */
	uint64_t limit, seg_max;
	uint32_t max_rec;		/* the longest data a record holds */
	bool drop_oldest, readonly;
	struct sl_seg *segs;
	size_t nsegs, cap;
	uint64_t total;			/* bytes of every segment file */
	uint64_t last_id;		/* the highest segment id seen */
	int wfd, rfd;
	uint64_t rfd_id;
	uint8_t *wbuf, *rbuf;		/* written, and read ahead */
	size_t wlen, rcap;
	uint64_t rstart, rlen;		/* the file's bytes in rbuf */
	uint64_t pushed_out;		/* records of segments removed to make room */
	uint64_t set_aside, cut_bytes, write_errors;
};

/*
 * Open (create) the log in dir, check every segment; 0, or -1 with the
 * reason printed. readonly: change nothing on disk (another process
 * writes), skip what does not check.
 */
int sl_open(struct sl *l, const char *dir, const char magic[4], uint64_t tag,
	    uint64_t limit, uint32_t max_rec, bool drop_oldest, bool readonly,
	    const char *who);
void sl_close(struct sl *l);
/* Append a record (buffered): 0, or -1 when it does not fit (spool full,
 * or longer than the log can ever hold). */
int sl_append(struct sl *l, uint64_t key, const void *data, uint32_t len);
void sl_flush(struct sl *l);
/* Flushed and on disk (at close); flushed and written back without
 * waiting (in an event loop, where a slow disk must not stall it). */
void sl_sync(struct sl *l);
void sl_writeback(struct sl *l);
/*
 * The record at *c, its data at *data until the next call: 1 and *c moved
 * past it, 0 at the end of the log, -1 when the file does not check
 * (changed under a reader, or damaged since it was opened).
 */
int sl_read(struct sl *l, struct sl_cursor *c, uint64_t *key,
	    const uint8_t **data, uint32_t *len);
/* The start of the log, or of the first segment that may hold key. */
void sl_first(struct sl *l, struct sl_cursor *c);
void sl_seek_key(struct sl *l, uint64_t key, struct sl_cursor *c);
/* Remove every segment before c's (all read). */
void sl_release(struct sl *l, const struct sl_cursor *c);
/* Move a cursor to the end of its segment (the rest does not check). */
void sl_skip(struct sl *l, struct sl_cursor *c);
/* Advance a cursor past a record of len data bytes read earlier. */
void sl_advance(struct sl *l, struct sl_cursor *c, uint32_t len);
/* A reader's position kept in dir/cursor: 0, or -1 (none or not valid:
 * then *c is the start of the log). */
int sl_load_cursor(struct sl *l, struct sl_cursor *c);
int sl_save_cursor(struct sl *l, const struct sl_cursor *c);
bool sl_empty(struct sl *l, const struct sl_cursor *c);

#endif
