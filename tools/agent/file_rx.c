// SPDX-License-Identifier: GPL-2.0
/*
 * The files channel's rx (docs/files.md): each file rebuilt in the partial
 * area, KEY.data beside KEY.map (its META and a map of the chunks it has,
 * saved after the data is synced), checked whole (size, SHA-256) and
 * renamed into the inbox under its sanitised name, or moved to Failed
 * with a report. A file's map outlives it as a mark (done, failed,
 * missing, refused) so that a later pass, the history or a restart never
 * delivers or reports it twice.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "file.h"

#define FRX_MAX_PARTS	256		/* files rebuilt at once */
#define FRX_SAVE_MS	1000		/* maps saved (writeback started first) */
#define FRX_VERIFY_STEP	(4u << 20)	/* bytes hashed a turn of the loop (4 ms) */
#define FRX_PROGRESS	(16u << 20)	/* files this large show progress */
#define FRX_WRITE	(1u << 20)	/* consecutive chunks written at once */

enum frx_state { FRX_PARTIAL, FRX_DONE, FRX_FAILED, FRX_MISSING, FRX_REFUSED };
static const char *const state_name[] = { "partial", "done", "failed", "missing", "refused" };

struct frx_part {
	uint8_t *rec;			/* the META record; m.name points into it */
	size_t rec_len;
	struct file_meta m;
	int fd;
	uint8_t *map;
	long map_off;			/* where KEY.map has the map */
	uint32_t nchunks, have;
	uint64_t have_bytes;
	int64_t last_ms;		/* wall clock: last record of it */
	bool dirty, verifying;
	uint64_t verified;		/* bytes from the start hashed so far */
	struct file_sha *hs;
};

static struct {
	int inbox, partial, failed;	/* directory fds */
	struct frx_part *parts[FRX_MAX_PARTS];
	size_t nparts;
	/* a week of marks, looked up at every META and at every chunk of a
	 * file already done */
	struct file_marks marks;
	uint64_t next_save, next_check, next_prune;
	uint8_t *buf;
	/* consecutive chunks of one file not yet written: a write a chunk
	 * would be a system call every 1.4 KB */
	uint8_t *wb;
	struct frx_part *wb_part;
	uint32_t wb_first, wb_n;
	size_t wb_len;
	uint64_t delivered, delivered_bytes, failed_n, failed_deadline, failed_hash,
		 failed_disk, failed_path, missing, refused, collisions, chunks, dups,
		 unknown, bad, resumed, busy, already, superseded;
} frx;

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static uint32_t frx_max_record(void)
{
	return FILE_MAX_RECORD;
}

/* A name for a report: printable ASCII and UTF-8 bytes as they are, the
 * rest as \xNN. */
static void put_name(FILE *f, const uint8_t *n, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (n[i] < 0x20 || n[i] == 0x7f || n[i] == '\\')
			fprintf(f, "\\x%02x", n[i]);
		else
			fputc(n[i], f);
}

/* -------------------------------------------------------- the maps */

static void key_name(char *b, size_t len, uint64_t key, const char *ext)
{
	snprintf(b, len, "%016" PRIx64 ".%s", key, ext);
}

/* KEY.map, written whole or not at all: its state, time, META and, for a
 * partial file, the chunk map (*off: where it starts). */
static int map_write(uint64_t key, uint8_t state, int64_t at, const uint8_t *rec, size_t rec_len,
		     const uint8_t *map, uint32_t nchunks, long *off)
{
	char p[64], tmp[72];
	FILE *f;
	size_t i;
	int r;

	key_name(p, sizeof(p), key, "map");
	snprintf(tmp, sizeof(tmp), "%s.new", p);
	{
		int fd = openat(frx.partial, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd < 0)
			return -1;
		f = fdopen(fd, "w");
		if (!f) {
			close(fd);
			return -1;
		}
	}
	fprintf(f, "diode-files-map 1\nstate %s\ntime %" PRId64 "\nmeta ", state_name[state], at);
	for (i = 0; i < rec_len; i++)
		fprintf(f, "%02x", rec[i]);
	fprintf(f, "\nchunks %" PRIu32 "\n", state == FRX_PARTIAL ? nchunks : 0);
	if (state == FRX_PARTIAL) {
		*off = ftell(f);
		fwrite(map, 1, (nchunks + 7) / 8, f);
	}
	r = fflush(f) || ferror(f);
	r |= fclose(f);
	if (!r)
		r = renameat(frx.partial, tmp, frx.partial, p);
	if (r)
		unlinkat(frx.partial, tmp, 0);
	return r ? -1 : 0;
}

static bool sha_known(const struct file_meta *m)
{
	return !(m->flags & FILE_F_NOSHA);
}

/* A file delivered already, in another transfer: the same name, size and
 * content. */
static bool delivered_before(const struct file_meta *m)
{
	return file_marks_delivered(&frx.marks, file_content_key(m));
}

static struct file_mark *mark_find(uint64_t key)
{
	return file_marks_find(&frx.marks, key);
}

static void mark_set(const struct file_meta *m, uint8_t state, int64_t at)
{
	if (file_marks_set(&frx.marks, m->key,
			   state == FRX_DONE && sha_known(m) ? file_content_key(m) : 0, state, at))
		chan_die("malloc");
}

/* A mark, durable: the file's map says what became of it. */
static void mark(const uint8_t *rec, size_t len, const struct file_meta *m, uint8_t state)
{
	int64_t now = wall_ms() / 1000;
	uint64_t key = m->key;

	mark_set(m, state, now);
	if (map_write(key, state, now, rec, len, NULL, 0, NULL))
		fprintf(stderr, "diode-agent: %s: cannot write the mark of %016" PRIx64 ": %s\n",
			chan_cf.name, key, strerror(errno));
}

/* ------------------------------------------------------ the files */

static struct frx_part *part_find(uint64_t key)
{
	static size_t last;
	size_t i;

	if (last < frx.nparts && frx.parts[last]->m.key == key)
		return frx.parts[last];
	for (i = 0; i < frx.nparts; i++)
		if (frx.parts[i]->m.key == key)
			return frx.parts[last = i];
	return NULL;
}

static void part_free(struct frx_part *p)
{
	size_t i;

	for (i = 0; i < frx.nparts; i++)
		if (frx.parts[i] == p) {
			frx.parts[i] = frx.parts[--frx.nparts];
			break;
		}
	if (frx.wb_part == p)
		frx.wb_part = NULL;
	if (p->fd >= 0)
		close(p->fd);
	file_sha_free(p->hs);
	free(p->map);
	free(p->rec);
	free(p);
}

/* Failed/KEY.report: what the file was and why it failed. */
static void report(const struct file_meta *m, uint32_t have, uint32_t nchunks, const char *why)
{
	char p[64], sha[65];
	FILE *f;
	int fd, i;

	key_name(p, sizeof(p), m->key, "report");
	fd = openat(frx.failed, p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	strcpy(sha, "not known yet");
	for (i = 0; i < 32 && sha_known(m); i++)
		sprintf(sha + 2 * i, "%02x", m->sha256[i]);
	fprintf(stderr, "diode-agent: %s: failed: ", chan_cf.name);
	put_name(stderr, m->name, m->name_len);
	fprintf(stderr, ": %s (%" PRIu32 " of %" PRIu32 " chunks)\n", why, have, nchunks);
	if (!f) {
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "diode-agent: %s: cannot write %s: %s\n", chan_cf.name, p, strerror(errno));
		return;
	}
	fprintf(f, "name: ");
	put_name(f, m->name, m->name_len);
	fprintf(f, "\nreason: %s\nsize: %" PRIu64 "\nsha256: %s\nchunks: %" PRIu32 " of %" PRIu32
		"\nkey: %016" PRIx64 "\ntime: %" PRId64 "\n", why, m->size, sha, have, nchunks, m->key,
		wall_ms() / 1000);
	if (fclose(f))
		fprintf(stderr, "diode-agent: %s: cannot write %s: %s\n", chan_cf.name, p, strerror(errno));
}

/* The file given up: reported, its data kept beside the report when it
 * may help (a deadline, a hash that differs), removed otherwise. */
static void part_fail(struct frx_part *p, const char *why, uint64_t *counter, bool keep)
{
	char d[64], k[64];

	report(&p->m, p->have, p->nchunks, why);
	key_name(d, sizeof(d), p->m.key, "data");
	key_name(k, sizeof(k), p->m.key, "partial");
	if (!keep || renameat(frx.partial, d, frx.failed, k))
		unlinkat(frx.partial, d, 0);
	(*counter)++;
	frx.failed_n++;
	mark(p->rec, p->rec_len, &p->m, FRX_FAILED);
	part_free(p);
}

/* The file not needed: another transfer delivered it. Its data removed,
 * its mark says done, so that what is still on its way of it is ignored. */
static void part_drop(struct frx_part *p, const char *why, uint64_t *counter)
{
	char d[64];

	fprintf(stderr, "diode-agent: %s: ", chan_cf.name);
	put_name(stderr, p->m.name, p->m.name_len);
	fprintf(stderr, ": %s\n", why);
	key_name(d, sizeof(d), p->m.key, "data");
	unlinkat(frx.partial, d, 0);
	(*counter)++;
	mark(p->rec, p->rec_len, &p->m, FRX_DONE);
	part_free(p);
}

/* The same file as p in another transfer that a tx gave up (it was
 * restarted before it saved the transfer, or the file was sent again):
 * the same name, size and mtime, and the same content as far as known. */
static bool same_file(const struct frx_part *p, const struct frx_part *q)
{
	return q != p && q->m.name_len == p->m.name_len &&
	       !memcmp(q->m.name, p->m.name, p->m.name_len) && q->m.size == p->m.size &&
	       q->m.mtime_ns == p->m.mtime_ns &&
	       (!sha_known(&q->m) || !memcmp(q->m.sha256, p->m.sha256, 32));
}

/* The chunks held back written: false when that failed the file. */
static bool wb_flush(void)
{
	struct frx_part *p = frx.wb_part;
	ssize_t n;

	frx.wb_part = NULL;
	if (!p)
		return true;
	n = pwrite(p->fd, frx.wb, frx.wb_len, (uint64_t)frx.wb_first * p->m.chunk);
	if (n == (ssize_t)frx.wb_len)
		return true;
	part_fail(p, n < 0 && errno == ENOSPC ? "disk full" : "write error", &frx.failed_disk, false);
	return false;
}

/* The folders of name under the inbox, made as needed, never through a
 * symlink: the last one's fd, or -1. */
static int inbox_dir(const uint8_t *name, size_t len, size_t *base)
{
	char comp[FILE_COMP_MAX + 1];
	size_t i, start;
	int dfd = dup(frx.inbox);

	for (start = 0; dfd >= 0; start = i + 1) {
		int sub;

		for (i = start; i < len && name[i] != '/'; i++)
			;
		if (i == len) {
			*base = start;
			return dfd;
		}
		memcpy(comp, name + start, i - start);
		comp[i - start] = 0;
		if (mkdirat(dfd, comp, 0755) && errno != EEXIST) {
			close(dfd);
			return -1;
		}
		sub = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = sub;
	}
	return -1;
}

/* Synced, then renamed into the inbox at once: a consumer sees all of it
 * or nothing. A name taken gets .1, .2, ... before its extension. */
static void part_deliver(struct frx_part *p)
{
	struct timespec t[2] = { { p->m.mtime_ns / 1000000000, p->m.mtime_ns % 1000000000 } };
	char d[64], base[FILE_COMP_MAX + 1], try[FILE_COMP_MAX + 16];
	size_t b, dot, i;
	int dfd, n, r = -1;

	if (t[0].tv_nsec < 0) {
		t[0].tv_sec--;
		t[0].tv_nsec += 1000000000;
	}
	t[1] = t[0];
	if (fchmod(p->fd, p->m.mode & 0777) || futimens(p->fd, t) || fsync(p->fd)) {
		part_fail(p, "cannot be written (sync)", &frx.failed_disk, false);
		return;
	}
	dfd = inbox_dir(p->m.name, p->m.name_len, &b);
	if (dfd < 0) {
		part_fail(p, "its folder cannot be made in the inbox (a file or symlink in the way?)",
			  &frx.failed_path, true);
		return;
	}
	memcpy(base, p->m.name + b, p->m.name_len - b);
	base[p->m.name_len - b] = 0;
	for (dot = strlen(base); dot > 1 && base[dot - 1] != '.'; dot--)
		;
	dot = dot > 1 ? dot - 1 : strlen(base);
	key_name(d, sizeof(d), p->m.key, "data");
	for (n = 0; n < 1000; n++) {
		if (n)
			snprintf(try, sizeof(try), "%.*s.%d%s", (int)dot, base, n, base + dot);
		else
			snprintf(try, sizeof(try), "%s", base);
		r = renameat2(frx.partial, d, dfd, try, RENAME_NOREPLACE);
		if (!r || errno != EEXIST)
			break;
	}
	close(dfd);
	if (r) {
		part_fail(p, "cannot be renamed into the inbox", &frx.failed_path, true);
		return;
	}
	frx.collisions += n > 0;
	frx.delivered++;
	frx.delivered_bytes += p->m.size;
	mark(p->rec, p->rec_len, &p->m, FRX_DONE);
	/* backwards: part_drop moves the last one into the place it frees */
	for (i = frx.nparts; i > 0; i--)
		if (same_file(p, frx.parts[i - 1]))
			part_drop(frx.parts[i - 1], "superseded: delivered in another transfer",
				  &frx.superseded);
	part_free(p);
}

/* Every chunk is here: what did not arrive in order is hashed back from
 * the disk, a step a turn. */
static void verify_step(struct frx_part *p, size_t *budget)
{
	uint8_t h[32];

	while (p->verified < p->m.size && *budget) {
		size_t want = p->m.size - p->verified < (1u << 20) ? p->m.size - p->verified : 1u << 20;
		ssize_t n = pread(p->fd, frx.buf, want, p->verified);

		if (n != (ssize_t)want) {
			part_fail(p, "cannot be read back", &frx.failed_disk, false);
			return;
		}
		file_sha_update(p->hs, frx.buf, n);
		p->verified += n;
		*budget = *budget > (size_t)n ? *budget - n : 0;
	}
	if (p->verified < p->m.size || !sha_known(&p->m))
		return;
	file_sha_final(p->hs, h);
	p->hs = NULL;
	if (memcmp(h, p->m.sha256, 32))
		part_fail(p, "SHA-256 differs", &frx.failed_hash, true);
	else if (delivered_before(&p->m))	/* while both were on their way */
		part_drop(p, "delivered already, in another transfer", &frx.already);
	else
		part_deliver(p);
}

static void verify_start(struct frx_part *p)
{
	struct stat st;

	if (frx.wb_part == p && !wb_flush())
		return;
	p->verifying = true;
	if (fstat(p->fd, &st) || (uint64_t)st.st_size != p->m.size)
		part_fail(p, "size differs", &frx.failed_hash, true);
}

static struct frx_part *part_new(const uint8_t *rec, size_t len)
{
	struct frx_part *p = calloc(1, sizeof(*p));
	struct file_chunk c;

	if (!p || !(p->rec = malloc(len)))
		chan_die("malloc");
	memcpy(p->rec, rec, len);
	p->rec_len = len;
	file_decode(p->rec, len, &p->m, &c);
	p->nchunks = file_nchunks(p->m.size, p->m.chunk);
	p->map = calloc(1, (p->nchunks + 7) / 8 + 1);
	if (!p->map)
		chan_die("calloc");
	p->fd = -1;
	p->last_ms = wall_ms();
	p->hs = file_sha_new();
	frx.parts[frx.nparts++] = p;
	return p;
}

/* A file heard of for the first time: its place made in the partial
 * area, the whole size reserved so that a full disk fails it now. */
static void part_create(const uint8_t *rec, size_t len)
{
	struct frx_part *p = part_new(rec, len);
	char d[64];

	key_name(d, sizeof(d), p->m.key, "data");
	p->fd = openat(frx.partial, d, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (p->fd < 0) {
		part_fail(p, strerror(errno), &frx.failed_disk, false);
		return;
	}
	if (p->m.size && fallocate(p->fd, 0, 0, p->m.size)) {
		if (errno != EOPNOTSUPP || ftruncate(p->fd, p->m.size)) {
			part_fail(p, errno == ENOSPC ? "disk full" : strerror(errno), &frx.failed_disk, false);
			return;
		}
	}
	if (map_write(p->m.key, FRX_PARTIAL, p->last_ms / 1000, p->rec, p->rec_len, p->map, p->nchunks,
		      &p->map_off)) {
		part_fail(p, errno == ENOSPC ? "disk full" : strerror(errno), &frx.failed_disk, false);
		return;
	}
	if (!p->nchunks)
		verify_start(p);
}

/* The hash of a file that came before it (its first pass, hashed by the
 * tx as it went): its META taken, and written into its map. */
static void part_sha(struct frx_part *p, const uint8_t *rec, size_t len)
{
	struct file_chunk c;

	if (len != p->rec_len)	/* the same key is the same name */
		return;
	memcpy(p->rec, rec, len);
	file_decode(p->rec, len, &p->m, &c);
	if (delivered_before(&p->m)) {
		part_drop(p, "delivered already, in another transfer", &frx.already);
		return;
	}
	if (frx.wb_part == p && !wb_flush())
		return;
	if (sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE) ||
	    map_write(p->m.key, FRX_PARTIAL, p->last_ms / 1000, p->rec, p->rec_len, p->map,
		      p->nchunks, &p->map_off))
		fprintf(stderr, "diode-agent: %s: cannot save the map of %016" PRIx64 ": %s\n",
			chan_cf.name, p->m.key, strerror(errno));
}

static void meta_in(const struct file_meta *m, const uint8_t *rec, size_t len)
{
	struct frx_part *p = part_find(m->key);
	int e;

	if (p) {
		/* the history repeats for a day: only a pass keeps a file alive */
		if (!(m->flags & FILE_F_HISTORY))
			p->last_ms = wall_ms();
		if (!sha_known(&p->m) && sha_known(m))
			part_sha(p, rec, len);
		return;
	}
	/* a later pass, the history, or a META lost and sent again */
	if (mark_find(m->key))
		return;
	if (sha_known(m) && delivered_before(m)) {
		frx.already++;
		mark(rec, len, m, FRX_DONE);
		return;
	}
	if (m->flags & FILE_F_HISTORY) {
		report(m, 0, file_nchunks(m->size, m->chunk),
		       "missing: the sender's history names it, nothing of it arrived");
		frx.missing++;
		frx.failed_n++;
		mark(rec, len, m, FRX_MISSING);
		return;
	}
	e = file_name_check(m->name, m->name_len);
	if (e) {
		fprintf(stderr, "diode-agent: %s: name refused (%s): ", chan_cf.name, file_name_err_str(e));
		put_name(stderr, m->name, m->name_len);
		fputc('\n', stderr);
		frx.refused++;
		mark(rec, len, m, FRX_REFUSED);
		return;
	}
	if (frx.nparts == FRX_MAX_PARTS) {
		frx.busy++;	/* a later pass brings it again */
		return;
	}
	part_create(rec, len);
}

static void chunk_in(const struct file_chunk *c)
{
	struct frx_part *p = part_find(c->key);

	if (!p) {
		if (mark_find(c->key))
			frx.dups++;
		else
			frx.unknown++;
		return;
	}
	if (c->index >= p->nchunks || c->len != file_chunk_len(p->m.size, p->m.chunk, c->index)) {
		frx.bad++;
		return;
	}
	p->last_ms = wall_ms();
	if (p->verifying || p->map[c->index / 8] & (1u << (c->index % 8))) {
		frx.dups++;
		return;
	}
	if (frx.wb_part != p || c->index != frx.wb_first + frx.wb_n ||
	    frx.wb_len + c->len > FRX_WRITE) {
		struct frx_part *w = frx.wb_part;

		if (!wb_flush() && w == p)
			return;
		frx.wb_part = p;
		frx.wb_first = c->index;
		frx.wb_n = 0;
		frx.wb_len = 0;
	}
	memcpy(frx.wb + frx.wb_len, c->data, c->len);
	frx.wb_len += c->len;
	/* hashed as it comes while it comes in order: a file that arrived
	 * whole in its first pass is not read back */
	if ((uint64_t)c->index * p->m.chunk == p->verified) {
		file_sha_update(p->hs, c->data, c->len);
		p->verified += c->len;
	}
	frx.wb_n++;
	p->map[c->index / 8] |= 1u << (c->index % 8);
	p->have++;
	p->have_bytes += c->len;
	p->dirty = true;
	frx.chunks++;
	if (p->have == p->nchunks)
		verify_start(p);
}

static void frx_deliver(uint64_t seq, const uint8_t *rec, uint32_t len)
{
	struct file_meta m;
	struct file_chunk c;

	(void)seq;
	switch (file_decode(rec, len, &m, &c)) {
	case FILE_REC_META:
		meta_in(&m, rec, len);
		return;
	case FILE_REC_CHUNK:
		chunk_in(&c);
		return;
	}
	frx.bad++;
}

/* The META records numbered: one lost is counted by the transport, and
 * the next pass or the history brings the file again. */
static void frx_gap(uint64_t first, uint64_t last)
{
	(void)first;
	(void)last;
}

static void frx_epoch(uint64_t old, uint64_t epoch, uint64_t joined)
{
	(void)old;
	(void)epoch;
	(void)joined;
}

/* A map written over in place: its bits are only ever set, so a write cut
 * short leaves an older map, never a wrong one; the file's mtime is when
 * the file was last heard of. */
static int map_update(const struct frx_part *p)
{
	char n[64];
	int fd, r;

	key_name(n, sizeof(n), p->m.key, "map");
	fd = openat(frx.partial, n, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = pwrite(fd, p->map, (p->nchunks + 7) / 8, p->map_off) == (ssize_t)((p->nchunks + 7) / 8);
	close(fd);
	return r ? 0 : -1;
}

/*
 * The maps of the files that changed, after the writeback of their data
 * was started. Nothing here waits for the disk (an fdatasync of a large
 * file stalls the loop long enough for the socket to overflow): a map may
 * claim chunks a power cut then takes from the disk, which the hash check
 * finds (the file fails, reported), never delivered wrong.
 */
static void save_maps(void)
{
	size_t i;

	wb_flush();
	for (i = 0; i < frx.nparts; i++) {
		struct frx_part *p = frx.parts[i];

		if (!p->dirty)
			continue;
		if (sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE) || map_update(p)) {
			fprintf(stderr, "diode-agent: %s: cannot save the map of %016" PRIx64 ": %s\n",
				chan_cf.name, p->m.key, strerror(errno));
			continue;
		}
		p->dirty = false;
	}
}

static void progress(void)
{
	struct frx_part *big = NULL;
	size_t i;

	for (i = 0; i < frx.nparts; i++)
		if (frx.parts[i]->m.size >= FRX_PROGRESS && (!big || frx.parts[i]->m.size > big->m.size))
			big = frx.parts[i];
	if (!big)
		return;
	fprintf(stderr, "\r%s: ", chan_cf.name);
	put_name(stderr, big->m.name, big->m.name_len);
	fprintf(stderr, " %" PRIu64 "%% of %" PRIu64 " MiB%s", big->have_bytes * 100 / big->m.size,
		big->m.size >> 20, big->verifying ? ", checking" : "");
	fprintf(stderr, "\033[K");
}

static void mark_gone(const struct file_mark *k, void *arg)
{
	char n[64];

	(void)arg;
	key_name(n, sizeof(n), k->key, "map");
	unlinkat(frx.partial, n, 0);
}

/* Marks older than MarkAge go, their maps with them: a year of files
 * would otherwise be a year of small files in the partial area. */
static void marks_prune(void)
{
	file_marks_prune(&frx.marks, wall_ms() / 1000 - (int64_t)(chan_cf.files.mark_age_ms / 1000),
			 mark_gone, NULL);
}

/* A quarter of MarkAge, between a second and an hour: a walk of every
 * mark each time. */
static uint64_t prune_every(void)
{
	uint64_t ms = chan_cf.files.mark_age_ms / 4;

	return ms < 1000 ? 1000 : ms > 3600000 ? 3600000 : ms;
}

static void frx_tick(uint64_t now, int *timeout)
{
	size_t i, budget = FRX_VERIFY_STEP;
	int64_t w;

	/* a delivery may remove other files than its own (superseded) */
	for (i = frx.nparts; i > 0 && budget; i--)
		if (i <= frx.nparts && frx.parts[i - 1]->verifying)
			verify_step(frx.parts[i - 1], &budget);
	for (i = 0; i < frx.nparts; i++)
		if (frx.parts[i]->verifying &&
		    (frx.parts[i]->verified < frx.parts[i]->m.size || sha_known(&frx.parts[i]->m)))
			*timeout = 0;
	if (now >= frx.next_save) {
		save_maps();
		frx.next_save = now + FRX_SAVE_MS;
		if (isatty(2))
			progress();
	}
	if (now >= frx.next_check) {
		w = wall_ms();
		for (i = frx.nparts; i > 0; i--) {
			struct frx_part *p = frx.parts[i - 1];

			if (!p->verifying && w - p->last_ms > (int64_t)chan_cf.files.deadline_ms)
				part_fail(p, "deadline: not complete in time", &frx.failed_deadline, true);
		}
		frx.next_check = now + 1000;
	}
	if (now >= frx.next_prune) {
		marks_prune();
		frx.next_prune = now + prune_every();
	}
}

static void frx_commit(void)
{
	save_maps();
}

/* ------------------------------------------------ start and status */

/* KEY.map read back as untrusted input: its META through the decoder,
 * its map's length from the META, anything else and it is ignored. */
static void map_load(const char *fname, int64_t now)
{
	char *b = NULL, st[16], *meta, *nl;
	size_t len = 0, mlen, i;
	uint64_t key;
	uint32_t nchunks;
	int64_t at;
	int s, fd = openat(frx.partial, fname, O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	struct file_meta m;
	struct file_chunk c;
	uint8_t *rec = NULL;
	struct frx_part *p;
	struct stat fst;

	if (!f || fstat(fd, &fst)) {
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
		return;
	}
	b = malloc(FILE_MAX_CHUNKS / 8 + 4 * FILE_NAME_MAX);
	if (!b)
		chan_die("malloc");
	len = fread(b, 1, FILE_MAX_CHUNKS / 8 + 4 * FILE_NAME_MAX - 1, f);
	fclose(f);
	b[len] = 0;
	if (sscanf(fname, "%16" SCNx64 ".map", &key) != 1 ||
	    sscanf(b, "diode-files-map 1\nstate %15s\ntime %" SCNd64 "\nmeta ", st, &at) != 2)
		goto bad;
	for (s = 0; s <= FRX_REFUSED && strcmp(st, state_name[s]); s++)
		;
	meta = strstr(b, "\nmeta ");
	if (s > FRX_REFUSED || !meta)
		goto bad;
	meta += 6;
	nl = strchr(meta, '\n');
	if (!nl || (nl - meta) % 2 || sscanf(nl, "\nchunks %" SCNu32 "\n", &nchunks) != 1)
		goto bad;
	mlen = (nl - meta) / 2;
	rec = malloc(mlen + 1);
	if (!rec)
		chan_die("malloc");
	for (i = 0; i < mlen; i++) {
		unsigned v;

		if (sscanf(meta + 2 * i, "%2x", &v) != 1)
			goto bad;
		rec[i] = v;
	}
	if (file_decode(rec, mlen, &m, &c) != FILE_REC_META || m.key != key)
		goto bad;
	if (s != FRX_PARTIAL) {
		if ((now - at * 1000) > (int64_t)chan_cf.files.mark_age_ms)
			unlinkat(frx.partial, fname, 0);
		else
			mark_set(&m, s, at);
		goto out;
	}
	nl = strchr(nl + 1, '\n');
	if (!nl || nchunks != file_nchunks(m.size, m.chunk) ||
	    (size_t)(b + len - (nl + 1)) != (nchunks + 7) / 8 || frx.nparts == FRX_MAX_PARTS)
		goto bad;
	p = part_new(rec, mlen);
	memcpy(p->map, nl + 1, (nchunks + 7) / 8);
	p->map_off = nl + 1 - b;
	p->last_ms = (fst.st_mtime > at ? fst.st_mtime : at) * 1000ll;
	{
		char d[64];

		key_name(d, sizeof(d), key, "data");
		p->fd = openat(frx.partial, d, O_RDWR | O_CLOEXEC);
	}
	if (p->fd < 0) {
		part_free(p);
		goto bad;
	}
	for (i = 0; i < nchunks; i++)
		if (p->map[i / 8] & (1u << (i % 8))) {
			p->have++;
			p->have_bytes += file_chunk_len(m.size, m.chunk, i);
		}
	frx.resumed++;
	fprintf(stderr, "diode-agent: %s: resuming ", chan_cf.name);
	put_name(stderr, m.name, m.name_len);
	fprintf(stderr, ": %" PRIu32 " of %" PRIu32 " chunks\n", p->have, nchunks);
	if (p->have == nchunks)
		verify_start(p);
	goto out;
bad:
	fprintf(stderr, "diode-agent: %s: %s does not check, ignored\n", chan_cf.name, fname);
out:
	free(rec);
	free(b);
}

static int open_area(const char *p, const char *key, bool make)
{
	int fd;

	if (make && mkdir(p, 0700) && errno != EEXIST) {
		fprintf(stderr, "diode-agent: %s: %s %s: %s\n", chan_cf.name, key, p, strerror(errno));
		exit(1);
	}
	fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "diode-agent: %s: %s %s: %s\n", chan_cf.name, key, p, strerror(errno));
		exit(1);
	}
	return fd;
}

static void frx_start(void)
{
	struct stat a, b, c;
	struct dirent *e;
	DIR *d;

	frx.inbox = open_area(chan_cf.files.inbox, "Inbox", false);
	frx.partial = open_area(chan_cf.files.partial, "Partial", true);
	frx.failed = open_area(chan_cf.files.failed, "Failed", true);
	if (fstat(frx.inbox, &a) || fstat(frx.partial, &b) || fstat(frx.failed, &c) ||
	    a.st_dev != b.st_dev || a.st_dev != c.st_dev) {
		fprintf(stderr, "diode-agent: %s: Partial and Failed must be on the Inbox's file system\n",
			chan_cf.name);
		exit(1);
	}
	frx.buf = malloc(1u << 20);
	frx.wb = malloc(FRX_WRITE);
	if (!frx.buf || !frx.wb)
		chan_die("malloc");
	d = fdopendir(dup(frx.partial));
	if (!d)
		chan_die("Partial");
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l == 20 && !strcmp(e->d_name + 16, ".map"))
			map_load(e->d_name, wall_ms());
	}
	closedir(d);
}

static void frx_status(FILE *f)
{
	uint64_t total = 0, have = 0;
	size_t i;

	for (i = 0; i < frx.nparts; i++) {
		total += frx.parts[i]->m.size;
		have += frx.parts[i]->have_bytes;
	}
	fprintf(f, ",\"files_delivered\":%" PRIu64 ",\"bytes_delivered\":%" PRIu64
		",\"files_failed\":%" PRIu64 ",\"failed_deadline\":%" PRIu64 ",\"failed_hash\":%" PRIu64
		",\"failed_disk\":%" PRIu64 ",\"failed_path\":%" PRIu64 ",\"missing\":%" PRIu64
		",\"refused_names\":%" PRIu64 ",\"collisions\":%" PRIu64 ",\"in_progress\":%zu"
		",\"in_progress_percent\":%" PRIu64 ",\"chunks\":%" PRIu64 ",\"chunks_duplicate\":%" PRIu64
		",\"chunks_unknown\":%" PRIu64 ",\"bad_records\":%" PRIu64 ",\"resumed\":%" PRIu64
		",\"busy\":%" PRIu64 ",\"already_delivered\":%" PRIu64 ",\"superseded\":%" PRIu64,
		frx.delivered, frx.delivered_bytes, frx.failed_n, frx.failed_deadline, frx.failed_hash,
		frx.failed_disk, frx.failed_path, frx.missing, frx.refused, frx.collisions, frx.nparts,
		total ? have * 100 / total : 0, frx.chunks, frx.dups, frx.unknown, frx.bad,
		frx.resumed, frx.busy, frx.already, frx.superseded);
}

static void frx_stop(void)
{
	save_maps();
	if (isatty(2))
		fputc('\n', stderr);
	while (frx.nparts)
		part_free(frx.parts[0]);
	file_marks_free(&frx.marks);
	free(frx.buf);
	free(frx.wb);
}

const struct chan_proto file_rx_proto = {
	.name = "files",
	.max_record = frx_max_record,
	.rx_start = frx_start,
	.deliver = frx_deliver,
	.gap = frx_gap,
	.epoch = frx_epoch,
	.rx_commit = frx_commit,
	.rx_status = frx_status,
	.tick = frx_tick,
	.stop = frx_stop,
};
