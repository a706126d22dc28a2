// SPDX-License-Identifier: GPL-2.0
/* The journal's and the spool's files on disk: see seglog.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include "be.h"
#include "seglog.h"

#define SL_WBUF (256u << 10)
/* A segment is read whole when checked: at most 64 MiB (and a record). */
#define SL_SEG_CAP (64ull << 20)
#define SL_RBUF (256u << 10)

static void sl_path(const struct sl *l, char *b, size_t n, uint64_t id, const char *ext)
{
	snprintf(b, n, "%s/%016" PRIx64 ".%s", l->dir, id, ext);
}

static void sl_say(const struct sl *l, const char *fmt, const char *file,
		  uint64_t n)
{
	fprintf(stderr, "diode-agent: %s: ", l->who);
	fprintf(stderr, fmt, file, n);
	fputc('\n', stderr);
}

static int sl_read_all(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int sl_write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = write(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= r;
	}
	return 0;
}

static struct sl_seg *sl_push_seg(struct sl *l, uint64_t id)
{
	if (l->nsegs == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct sl_seg *s = realloc(l->segs, cap * sizeof(*s));

		if (!s)
			return NULL;
		l->segs = s;
		l->cap = cap;
	}
	memset(&l->segs[l->nsegs], 0, sizeof(l->segs[0]));
	l->segs[l->nsegs].id = id;
	if (id > l->last_id)
		l->last_id = id;
	return &l->segs[l->nsegs++];
}

static void sl_set_aside(struct sl *l, uint64_t id, const char *why)
{
	char p[560], q[560];

	sl_path(l, p, sizeof(p), id, "seg");
	if (l->readonly) {
		fprintf(stderr, "diode-agent: %s: %s: %s, skipped\n", l->who, p, why);
		return;
	}
	sl_path(l, q, sizeof(q), id, "corrupt");
	rename(p, q);
	l->set_aside++;
	fprintf(stderr, "diode-agent: %s: %s: %s, set aside as %s\n", l->who, p, why, q);
}

/* Check one segment file; add it to the list when it holds anything. */
static void sl_check_seg(struct sl *l, uint64_t id, bool last)
{
	char p[560];
	uint8_t *b = NULL;
	struct stat st;
	struct sl_seg seg = { .id = id };
	/* a file of a larger limit than today's is still a segment */
	uint64_t off, most = SL_SEG_CAP + SL_REC_HDR + l->max_rec;
	int fd;

	sl_path(l, p, sizeof(p), id, "seg");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		sl_say(l, "%s: cannot read it (%" PRIu64 "), skipped", p, errno);
		return;
	}
	if ((uint64_t)st.st_size > most || st.st_size < SL_SEG_HDR) {
		close(fd);
		sl_set_aside(l, id, st.st_size < SL_SEG_HDR ? "no header" : "longer than a segment can be");
		return;
	}
	b = malloc(st.st_size ? st.st_size : 1);
	if (!b || sl_read_all(fd, b, st.st_size)) {
		free(b);
		close(fd);
		sl_say(l, "%s: cannot read it (%" PRIu64 "), skipped", p, errno);
		return;
	}
	close(fd);
	if (memcmp(b, l->magic, 4) || be_get32(b + 4) || be_get64(b + 16)) {
		free(b);
		sl_set_aside(l, id, "not a segment of this log");
		return;
	}
	if (be_get64(b + 8) != l->tag) {
		free(b);
		if (!l->readonly) {
			unlink(p);
			fprintf(stderr, "diode-agent: %s: %s belongs to another epoch, removed\n", l->who, p);
		}
		return;
	}
	for (off = SL_SEG_HDR; off < (uint64_t)st.st_size;) {
		uint64_t left = st.st_size - off;
		uint32_t len;

		if (left < SL_REC_HDR)
			break;
		len = be_get32(b + off);
		if (len > l->max_rec || len > left - SL_REC_HDR ||
		    libdeflate_crc32(0, b + off + 8, 8 + (size_t)len) != be_get32(b + off + 4))
			break;
		if (!seg.nrec)
			seg.first_key = be_get64(b + off + 8);
		seg.last_key = be_get64(b + off + 8);
		seg.nrec++;
		off += SL_REC_HDR + len;
	}
	free(b);
	if (off < (uint64_t)st.st_size) {
		if (!last) {
			sl_set_aside(l, id, "a record does not check");
			return;
		}
		/* the end of the last segment: a write cut short */
		if (!l->readonly) {
			if (truncate(p, off)) {
				sl_set_aside(l, id, "a torn tail that cannot be cut");
				return;
			}
			l->cut_bytes += st.st_size - off;
			fprintf(stderr, "diode-agent: %s: %s: %" PRIu64 " bytes of a torn tail cut\n",
				l->who, p, (uint64_t)st.st_size - off);
		}
	}
	seg.size = off;
	if (!sl_push_seg(l, id))
		return;
	l->segs[l->nsegs - 1] = seg;
	l->total += off;
}

static int sl_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int sl_open(struct sl *l, const char *dir, const char magic[4], uint64_t tag,
	    uint64_t limit, uint32_t max_rec, bool drop_oldest, bool readonly,
	    const char *who)
{
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *d;
	DIR *dh;

	memset(l, 0, sizeof(*l));
	l->wfd = l->rfd = -1;
	l->who = who;
	if (strlen(dir) >= sizeof(l->dir)) {
		fprintf(stderr, "diode-agent: %s: %s: path too long\n", who, dir);
		return -1;
	}
	strcpy(l->dir, dir);
	memcpy(l->magic, magic, 4);
	l->tag = tag;
	l->limit = limit;
	l->seg_max = limit / 8 > SL_SEG_HDR + SL_REC_HDR ? limit / 8 : limit;
	if (l->seg_max > SL_SEG_CAP)
		l->seg_max = SL_SEG_CAP;
	l->max_rec = max_rec;
	l->drop_oldest = drop_oldest;
	l->readonly = readonly;
	if (!readonly && !(l->wbuf = malloc(SL_WBUF)))
		return -1;
	if (!readonly && mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "diode-agent: %s: %s: %s\n", who, dir, strerror(errno));
		return -1;
	}
	dh = opendir(dir);
	if (!dh) {
		if (readonly && errno == ENOENT)
			return 0;
		fprintf(stderr, "diode-agent: %s: %s: %s\n", who, dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dh))) {
		char *end;
		uint64_t id;

		if (strlen(d->d_name) != 20 || strcmp(d->d_name + 16, ".seg"))
			continue;
		errno = 0;
		id = strtoull(d->d_name, &end, 16);
		if (errno || end != d->d_name + 16 || !id)
			continue;
		if (n == cap) {
			uint64_t *t = realloc(ids, (cap = cap ? 2 * cap : 64) * sizeof(*ids));

			if (!t)
				break;
			ids = t;
		}
		ids[n++] = id;
	}
	closedir(dh);
	if (n)
		qsort(ids, n, sizeof(*ids), sl_cmp);
	for (i = 0; i < n; i++)
		sl_check_seg(l, ids[i], i == n - 1);
	if (n && ids[n - 1] > l->last_id)
		l->last_id = ids[n - 1];	/* set aside or removed: not again */
	free(ids);
	/* a log larger than its limit now (the limit was lowered) sheds or
	 * refuses until it fits */
	return 0;
}

void sl_flush(struct sl *l)
{
	if (!l->wlen)
		return;
	if (l->wfd < 0 || sl_write_all(l->wfd, l->wbuf, l->wlen)) {
		if (!l->write_errors++)
			fprintf(stderr, "diode-agent: %s: cannot write: %s\n", l->who, strerror(errno));
	}
	l->wlen = 0;
}

void sl_sync(struct sl *l)
{
	sl_flush(l);
	if (l->wfd >= 0)
		fdatasync(l->wfd);
}

void sl_writeback(struct sl *l)
{
	sl_flush(l);
	if (l->wfd >= 0)
		sync_file_range(l->wfd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

void sl_close(struct sl *l)
{
	if (!l->readonly)
		sl_sync(l);
	if (l->wfd >= 0)
		close(l->wfd);
	if (l->rfd >= 0)
		close(l->rfd);
	free(l->segs);
	free(l->wbuf);
	free(l->rbuf);
	memset(l, 0, sizeof(*l));
	l->wfd = l->rfd = -1;
}

static void sl_remove_first(struct sl *l)
{
	char p[560];

	sl_path(l, p, sizeof(p), l->segs[0].id, "seg");
	unlink(p);
	if (l->rfd >= 0 && l->rfd_id == l->segs[0].id) {
		close(l->rfd);
		l->rfd = -1;
		l->rlen = 0;
	}
	l->total -= l->segs[0].size;
	l->pushed_out += l->segs[0].nrec;
	memmove(l->segs, l->segs + 1, (l->nsegs - 1) * sizeof(l->segs[0]));
	l->nsegs--;
}

static int sl_new_seg(struct sl *l)
{
	/* ids only grow: a reader never takes a new file for an old one */
	uint64_t id = l->last_id + 1;
	uint8_t h[SL_SEG_HDR] = { 0 };
	char p[560];

	sl_flush(l);
	if (l->wfd >= 0)
		close(l->wfd);
	sl_path(l, p, sizeof(p), id, "seg");
	l->wfd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	memcpy(h, l->magic, 4);
	be_put64(h + 8, l->tag);
	if (l->wfd < 0 || sl_write_all(l->wfd, h, SL_SEG_HDR)) {
		if (!l->write_errors++)
			fprintf(stderr, "diode-agent: %s: %s: %s\n", l->who, p, strerror(errno));
		if (l->wfd >= 0)
			close(l->wfd);
		l->wfd = -1;
		unlink(p);
		return -1;
	}
	if (!sl_push_seg(l, id))
		return -1;
	l->segs[l->nsegs - 1].size = SL_SEG_HDR;
	l->total += SL_SEG_HDR;
	return 0;
}

int sl_append(struct sl *l, uint64_t key, const void *data, uint32_t len)
{
	uint64_t rec = SL_REC_HDR + (uint64_t)len;
	struct sl_seg *last;
	bool fresh;
	uint8_t *r;

	if (l->readonly || len > l->max_rec || rec + SL_SEG_HDR > l->limit)
		return -1;
	last = l->nsegs ? &l->segs[l->nsegs - 1] : NULL;
	fresh = !last || l->wfd < 0 ||
		(last->size > SL_SEG_HDR && last->size + rec > l->seg_max);
	if (fresh) {
		sl_flush(l);
		if (l->wfd >= 0)
			close(l->wfd);
		l->wfd = -1;
	}
	while (l->total + rec + (fresh ? SL_SEG_HDR : 0) > l->limit) {
		if (!l->drop_oldest || !l->nsegs || (!fresh && l->nsegs == 1))
			return -1;
		sl_remove_first(l);
	}
	if (fresh && sl_new_seg(l))
		return -1;
	if (l->wlen + rec > SL_WBUF)
		sl_flush(l);
	last = &l->segs[l->nsegs - 1];
	if (rec > SL_WBUF) {
		uint8_t h[SL_REC_HDR];

		be_put32(h, len);
		be_put64(h + 8, key);
		be_put32(h + 4, libdeflate_crc32(libdeflate_crc32(0, h + 8, 8), data, len));
		if (sl_write_all(l->wfd, h, SL_REC_HDR) || sl_write_all(l->wfd, data, len)) {
			l->write_errors++;
			return -1;
		}
	} else {
		r = l->wbuf + l->wlen;
		be_put32(r, len);
		be_put64(r + 8, key);
		memcpy(r + SL_REC_HDR, data, len);
		be_put32(r + 4, libdeflate_crc32(0, r + 8, 8 + (size_t)len));
		l->wlen += rec;
	}
	if (!last->nrec)
		last->first_key = key;
	last->last_key = key;
	last->nrec++;
	last->size += rec;
	l->total += rec;
	return 0;
}

/* Read the file from off (up to end) into the window: bytes there. */
static uint64_t sl_fill(struct sl *l, uint64_t off, uint64_t end, uint64_t need)
{
	uint64_t want = need > SL_RBUF ? need : SL_RBUF, got = 0;
	ssize_t r;

	if (want > end - off)
		want = end - off;
	if (want > l->rcap) {
		uint8_t *b = realloc(l->rbuf, want);

		if (!b)
			return 0;
		l->rbuf = b;
		l->rcap = want;
	}
	l->rstart = off;
	l->rlen = 0;
	while (got < want) {
		r = pread(l->rfd, l->rbuf + got, want - got, off + got);
		if (r <= 0)
			break;
		got += r;
	}
	l->rlen = got;
	return got;
}

static struct sl_seg *sl_find(struct sl *l, uint64_t id, size_t *idx)
{
	size_t i;

	for (i = 0; i < l->nsegs; i++)
		if (l->segs[i].id == id) {
			if (idx)
				*idx = i;
			return &l->segs[i];
		}
	return NULL;
}

void sl_first(struct sl *l, struct sl_cursor *c)
{
	c->seg = l->nsegs ? l->segs[0].id : 1;
	c->off = SL_SEG_HDR;
}

void sl_seek_key(struct sl *l, uint64_t key, struct sl_cursor *c)
{
	size_t i;

	sl_first(l, c);
	for (i = 0; i < l->nsegs; i++)
		if (l->segs[i].nrec && l->segs[i].last_key >= key) {
			c->seg = l->segs[i].id;
			return;
		}
	if (l->nsegs) {
		c->seg = l->segs[l->nsegs - 1].id;
		c->off = l->segs[l->nsegs - 1].size;
	}
}

/* Move a cursor at the end of a segment to the next one. */
static struct sl_seg *sl_norm(struct sl *l, struct sl_cursor *c)
{
	size_t i;
	struct sl_seg *s = sl_find(l, c->seg, &i);

	if (!s) {
		/* removed under the cursor (journal): the oldest left */
		for (i = 0; i < l->nsegs && l->segs[i].id < c->seg; i++)
			;
		if (i == l->nsegs)
			return NULL;
		c->seg = l->segs[i].id;
		c->off = SL_SEG_HDR;
		s = &l->segs[i];
	}
	if (c->off < SL_SEG_HDR)
		c->off = SL_SEG_HDR;
	while (c->off >= s->size && i + 1 < l->nsegs) {
		s = &l->segs[++i];
		c->seg = s->id;
		c->off = SL_SEG_HDR;
	}
	return s;
}

bool sl_empty(struct sl *l, const struct sl_cursor *c)
{
	struct sl_cursor t = *c;
	struct sl_seg *s = sl_norm(l, &t);

	return !s || t.off >= s->size;
}

void sl_skip(struct sl *l, struct sl_cursor *c)
{
	struct sl_seg *s = sl_norm(l, c);

	if (s)
		c->off = s->size;
	sl_norm(l, c);
}

void sl_advance(struct sl *l, struct sl_cursor *c, uint32_t len)
{
	sl_norm(l, c);
	c->off += SL_REC_HDR + (uint64_t)len;
	sl_norm(l, c);
}

int sl_read(struct sl *l, struct sl_cursor *c, uint64_t *key,
	    const uint8_t **data, uint32_t *len)
{
	struct sl_seg *s = sl_norm(l, c);
	const uint8_t *h;
	uint64_t avail;
	uint32_t n;

	if (!s || c->off >= s->size)
		return 0;
	if (!l->readonly && s == &l->segs[l->nsegs - 1])
		sl_flush(l);
	if (l->rfd < 0 || l->rfd_id != s->id) {
		char p[560];

		if (l->rfd >= 0)
			close(l->rfd);
		sl_path(l, p, sizeof(p), s->id, "seg");
		l->rfd = open(p, O_RDONLY | O_CLOEXEC);
		l->rfd_id = s->id;
		l->rlen = 0;
		if (l->rfd < 0)
			return -1;
	}
	if (s->size - c->off < SL_REC_HDR)
		return -1;
	/* records come out of a window of the file read ahead */
	if (c->off < l->rstart || c->off + SL_REC_HDR > l->rstart + l->rlen) {
		if (sl_fill(l, c->off, s->size, SL_REC_HDR) < SL_REC_HDR)
			return -1;
	}
	h = l->rbuf + (c->off - l->rstart);
	n = be_get32(h);
	if (n > l->max_rec || n > s->size - c->off - SL_REC_HDR)
		return -1;
	avail = l->rstart + l->rlen - c->off;
	if (avail < SL_REC_HDR + (uint64_t)n) {
		if (sl_fill(l, c->off, s->size, SL_REC_HDR + (uint64_t)n) < SL_REC_HDR + (uint64_t)n)
			return -1;
		h = l->rbuf;
	}
	if (libdeflate_crc32(0, h + 8, 8 + (size_t)n) != be_get32(h + 4))
		return -1;
	*key = be_get64(h + 8);
	*data = h + SL_REC_HDR;
	*len = n;
	c->off += SL_REC_HDR + (uint64_t)n;
	return 1;
}

void sl_release(struct sl *l, const struct sl_cursor *c)
{
	while (l->nsegs > 1 && l->segs[0].id < c->seg)
		sl_remove_first(l);
}

int sl_load_cursor(struct sl *l, struct sl_cursor *c)
{
	char p[560], b[64], extra;
	struct sl_seg *s;
	uint64_t seg, off;
	FILE *f;
	int ok;

	sl_first(l, c);
	snprintf(p, sizeof(p), "%s/cursor", l->dir);
	f = fopen(p, "r");
	if (!f)
		return -1;
	ok = fgets(b, sizeof(b), f) && sscanf(b, "%" SCNu64 " %" SCNu64 "%c", &seg, &off, &extra) == 3 &&
	     extra == '\n';
	fclose(f);
	if (!ok) {
		fprintf(stderr, "diode-agent: %s: %s does not check, read from the start\n", l->who, p);
		return -1;
	}
	/* segments before the cursor's were read whole */
	if (l->nsegs && seg > l->segs[l->nsegs - 1].id) {
		fprintf(stderr, "diode-agent: %s: %s names no segment, read from the start\n", l->who, p);
		return -1;
	}
	while (l->nsegs > 1 && l->segs[0].id < seg)
		sl_remove_first(l);
	s = sl_find(l, seg, NULL);
	if (!s)
		return 0;	/* its segment was read and removed: start */
	/* off must fall on a record's start: walk the segment's records */
	{
		struct sl_cursor t = { seg, SL_SEG_HDR };
		const uint8_t *data;
		uint64_t key;
		uint32_t len;

		while (t.seg == seg && t.off < off && sl_read(l, &t, &key, &data, &len) == 1)
			;
		if (t.seg != seg || t.off != off) {
			if (!(t.seg != seg && off == s->size)) {
				fprintf(stderr, "diode-agent: %s: %s: offset %" PRIu64 " is not a record's, read from the segment's start\n",
					l->who, p, off);
				c->seg = seg;
				return -1;
			}
		}
	}
	c->seg = seg;
	c->off = off;
	return 0;
}

int sl_save_cursor(struct sl *l, const struct sl_cursor *c)
{
	char p[560], q[570], b[64];
	int fd, n;

	snprintf(p, sizeof(p), "%s/cursor", l->dir);
	snprintf(q, sizeof(q), "%s.new", p);
	n = snprintf(b, sizeof(b), "%" PRIu64 " %" PRIu64 "\n", c->seg, c->off);
	fd = open(q, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (sl_write_all(fd, (uint8_t *)b, n) || fsync(fd)) {
		close(fd);
		return -1;
	}
	close(fd);
	return rename(q, p);
}
