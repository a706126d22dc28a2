// SPDX-License-Identifier: GPL-2.0
/*
 * The files channel's tx (docs/files.md): the outbox watched with inotify
 * and scanned, each complete file sent in Passes passes of a META record
 * (numbered: small, journalled, counted when lost) and its CHUNK records
 * (state: unnumbered, never journalled, since the file in the outbox is
 * their durable source), hashed as its first pass reads it, and moved to
 * Sent after the last pass. A periodic history of the files sent lets the rx name a file it
 * never saw.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "file.h"
#include "hmap.h"
#include "transport.h"

#define FTX_AHEAD	1024		/* chunks queued ahead of the socket */
#define FTX_READ	(1u << 20)	/* a pass reads its file this much at once */
#define FTX_HISTORY_AGE	(24 * 3600)	/* s: the history names the files of the last day */

TAILQ_HEAD(ftx_queue, ftx_file);

struct ftx_file {
	char *rel;
	uint64_t rel_hash;
	uint32_t slot;			/* in ftx.files */
	int fd;
	struct file_meta m;
	struct file_sha *hs;
	uint64_t hashed;		/* bytes, by the first pass */
	bool hashing;			/* m.sha256 not known yet */
	bool sha_due;			/* known, its META not yet queued */
	uint8_t passes_done;
	uint32_t next;			/* chunk of the pass under way */
	uint64_t due;			/* ms: the next pass may start */
	TAILQ_ENTRY(ftx_file) q;
	struct ftx_queue *in;		/* the queue it waits in, or NULL */
};

/* A file seen in the outbox, not yet taken. */
struct ftx_cand {
	char *rel;
	uint64_t size;
	int64_t mtime_ns;
	ino_t ino;
	uint64_t since;			/* ms: unchanged since */
	bool moved_in, skipped, seen;
};

struct ftx_hist {
	struct file_meta m;
	char *name;
	int64_t done_at;		/* wall clock, s */
};

/* A file a tx before a restart was sending: taken again under the same
 * transfer key when it is still the same, the passes it had sent done. */
struct ftx_resume {
	struct file_meta m;
	char *name;
	uint8_t passes_done;
	bool seen;
};

static struct {
	struct chan_fd ino;
	int outbox, sentdir;		/* directory fds */
	struct { int wd; char *rel; } *wds;
	size_t nwds;
	/* what the outbox holds is found by name: a hundred thousand files
	 * looked up in a list at every scan would stall the loop */
	struct ftx_cand *cands;
	size_t ncands;
	struct hmap cand_by_name;	/* name's hash -> cands[] */
	struct ftx_file **files;
	size_t nfiles;
	struct hmap file_by_name;	/* name's hash -> files[] */
	struct ftx_file *cur;		/* the file whose pass is under way */
	/* The files waiting for a pass, each queue in the order of due: the
	 * taken ones (due when taken), and those between two passes (due
	 * PassDelay after the last, a constant). */
	struct ftx_queue fresh, between;
	struct ftx_hist *hist;		/* a ring of HistoryFiles */
	size_t nhist, hist_next;
	size_t hist_cursor;		/* where the last send stopped */
	struct ftx_resume *resume;
	size_t nresume;
	uint32_t chunk;
	uint64_t next_scan, next_history, next_save;
	bool scan_now;
	bool save;			/* NAME.files is behind */
	uint8_t *buf;			/* a chunk record */
	uint8_t *rd;			/* what the pass read ahead of its chunks */
	const struct ftx_file *rd_file;
	uint64_t rd_off;
	size_t rd_len;
	uint64_t taken, sent, sent_bytes, passes, chunks, history_sent, skipped,
		 changed, read_errors, move_errors, resumed;
} ftx;

static int64_t wall_s(void)
{
	return time(NULL);
}

static uint32_t ftx_max_record(void)
{
	return FILE_MAX_RECORD;
}

/* ------------------------------------------------------ history file */

static void hex(char *out, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static int unhex(uint8_t *out, const char *s, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = v;
	}
	return 0;
}

static void hist_free(struct ftx_hist *h)
{
	free(h->name);
	h->name = NULL;
}

static void hist_add(const struct file_meta *m, const char *name, int64_t at)
{
	struct ftx_hist *h = &ftx.hist[ftx.hist_next];

	hist_free(h);
	h->m = *m;
	h->m.flags = FILE_F_HISTORY;
	h->m.pass = 0;
	h->name = strdup(name);
	if (!h->name)
		chan_die("strdup");
	h->m.name = (const uint8_t *)h->name;
	h->done_at = at;
	ftx.hist_next = (ftx.hist_next + 1) % chan_cf.files.history_files;
	if (ftx.nhist < chan_cf.files.history_files)
		ftx.nhist++;
}

/* One line of StateDir/NAME.files: AT (the history's time, or the passes
 * sent of a file being sent), then the META's fields, the name in hex;
 * "-" for a hash not known yet. */
static void state_line(FILE *f, int64_t at, const struct file_meta *m, bool sha_known)
{
	char sha[65] = "-", *name = malloc(2 * m->name_len + 1);

	if (!name)
		chan_die("malloc");
	if (sha_known)
		hex(sha, m->sha256, 32);
	hex(name, m->name, m->name_len);
	fprintf(f, "%" PRId64 " %" PRIu64 " %" PRIu32 " %" PRIo32 " %" PRId64 " %u %" PRIu64
		" %s %s\n", at, m->size, m->chunk, m->mode, m->mtime_ns, m->passes, m->xfer, sha, name);
	free(name);
}

/* StateDir/NAME.files: the history, so that a restart still names them,
 * and the files being sent ("sending" lines), so that a restart sends them
 * on under the same transfer key, neither hashing again a file whose hash
 * it knew nor sending again the passes already sent. */
static void hist_save(void)
{
	char *b = NULL;
	size_t l = 0, i;
	FILE *f = open_memstream(&b, &l);

	if (!f)
		return;
	for (i = 0; i < ftx.nhist; i++) {
		struct ftx_hist *h = &ftx.hist[(ftx.hist_next + chan_cf.files.history_files - ftx.nhist + i) %
					       chan_cf.files.history_files];

		state_line(f, h->done_at, &h->m, true);
	}
	/* a file whose first pass has not started has nothing at the rx: a
	 * restart takes it as a new transfer */
	for (i = 0; i < ftx.nfiles; i++)
		if (ftx.files[i]->passes_done || ftx.files[i] == ftx.cur) {
			fprintf(f, "sending ");
			state_line(f, ftx.files[i]->passes_done, &ftx.files[i]->m, !ftx.files[i]->hashing);
		}
	fclose(f);
	if (chan_write_atomic("files", b, l, true))
		fprintf(stderr, "diode-agent: %s: cannot save the files' history: %s\n",
			chan_cf.name, strerror(errno));
	free(b);
}

/* Read back as untrusted: a line that does not check is skipped. */
static void hist_load(void)
{
	char p[512], *line = NULL, sha[65];
	size_t cap = 0;
	FILE *f;

	chan_path(&chan_cf, p, sizeof(p), "files");
	f = fopen(p, "r");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		struct file_meta m = { .flags = FILE_F_HISTORY };
		bool sending = !strncmp(line, "sending ", 8);
		char *name = malloc(strlen(line) + 1);
		uint8_t *raw = malloc(strlen(line) / 2 + 1);
		unsigned passes;
		int64_t at;
		size_t n;

		if (!name || !raw)
			chan_die("malloc");
		if (sscanf(line + (sending ? 8 : 0), "%" SCNd64 " %" SCNu64 " %" SCNu32 " %" SCNo32 " %" SCNd64 " %u %" SCNu64
			   " %64s %s", &at, &m.size, &m.chunk, &m.mode, &m.mtime_ns, &passes, &m.xfer,
			   sha, name) == 9 &&
		    ((sending && !strcmp(sha, "-")) || (strlen(sha) == 64 && !unhex(m.sha256, sha, 32))) &&
		    (n = strlen(name) / 2) && n <= FILE_NAME_MAX && !unhex(raw, name, n) &&
		    !memchr(raw, 0, n) && passes && passes <= 255 && m.chunk >= FILE_CHUNK_MIN &&
		    m.chunk <= FILE_CHUNK_MAX) {
			raw[n] = 0;
			m.passes = passes;
			m.name_len = n;
			m.name = raw;
			m.key = file_key(&m);
			if (!sending) {
				hist_add(&m, (char *)raw, at);
			} else if (at >= 0 && at < passes && (at == 0 || strcmp(sha, "-"))) {
				ftx.resume = realloc(ftx.resume, (ftx.nresume + 1) * sizeof(*ftx.resume));
				if (!ftx.resume)
					chan_die("realloc");
				m.flags = strcmp(sha, "-") ? 0 : FILE_F_NOSHA;
				ftx.resume[ftx.nresume++] = (struct ftx_resume){ .m = m, .name = (char *)raw,
									   .passes_done = at };
				raw = NULL;
			}
		}
		free(name);
		free(raw);
	}
	free(line);
	fclose(f);
}

/* The history's entries of the last day, as state records, as many as
 * the state queue takes: the next time on from where this one stopped. */
static void hist_send(void)
{
	uint8_t rec[FILE_META_FIXED + FILE_NAME_MAX];
	int64_t now = wall_s();
	size_t i, n;

	for (i = 0; i < ftx.nhist && chan_tx_state_room() > 0; i++) {
		struct ftx_hist *h = &ftx.hist[ftx.hist_cursor];

		ftx.hist_cursor = (ftx.hist_cursor + 1) % ftx.nhist;
		if (!h->name || now - h->done_at > FTX_HISTORY_AGE)
			continue;
		n = file_put_meta(rec, sizeof(rec), &h->m);
		if (!chan_tx_enqueue_state(rec, n))
			ftx.history_sent++;
	}
}

/* ------------------------------------------------------- the outbox */

static void watch_dir(const char *rel)
{
	char p[4352];
	int wd;
	size_t i;

	snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", ftx.outbox, rel);
	wd = inotify_add_watch(ftx.ino.fd, p, IN_CLOSE_WRITE | IN_MOVED_TO |
			       IN_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0)
		return;
	/* a number the kernel gave a folder since removed names this one now */
	for (i = 0; i < ftx.nwds; i++)
		if (ftx.wds[i].wd == wd) {
			if (strcmp(ftx.wds[i].rel, rel)) {
				free(ftx.wds[i].rel);
				ftx.wds[i].rel = strdup(rel);
				if (!ftx.wds[i].rel)
					chan_die("strdup");
			}
			return;
		}
	ftx.wds = realloc(ftx.wds, (ftx.nwds + 1) * sizeof(*ftx.wds));
	if (!ftx.wds)
		chan_die("realloc");
	ftx.wds[ftx.nwds].wd = wd;
	ftx.wds[ftx.nwds].rel = strdup(rel);
	if (!ftx.wds[ftx.nwds].rel)
		chan_die("strdup");
	ftx.nwds++;
}

static struct ftx_cand *cand_find(const char *rel)
{
	uint64_t h = hmap_hash(rel, strlen(rel));
	size_t pos = 0;
	uint32_t i;

	while (hmap_next(&ftx.cand_by_name, h, &pos, &i))
		if (ftx.cands[i].rel && !strcmp(ftx.cands[i].rel, rel))
			return &ftx.cands[i];
	ftx.cands = realloc(ftx.cands, (ftx.ncands + 1) * sizeof(*ftx.cands));
	if (!ftx.cands)
		chan_die("realloc");
	ftx.cands[ftx.ncands] = (struct ftx_cand){ .rel = strdup(rel) };
	if (!ftx.cands[ftx.ncands].rel || hmap_put(&ftx.cand_by_name, h, ftx.ncands))
		chan_die("malloc");
	return &ftx.cands[ftx.ncands++];
}

static bool busy(const char *rel)
{
	size_t pos = 0;
	uint32_t i;

	while (hmap_next(&ftx.file_by_name, hmap_hash(rel, strlen(rel)), &pos, &i))
		if (!strcmp(ftx.files[i]->rel, rel))
			return true;
	return false;
}

static void queue(struct ftx_queue *in, struct ftx_file *f)
{
	TAILQ_INSERT_TAIL(in, f, q);
	f->in = in;
}

static void unqueue(struct ftx_file *f)
{
	if (f->in)
		TAILQ_REMOVE(f->in, f, q);
	f->in = NULL;
}

/* The file of a "sending" line named rel, when it is still the same. */
static struct ftx_resume *resume_find(const char *rel, uint64_t size, int64_t mtime_ns)
{
	size_t i;

	for (i = 0; i < ftx.nresume; i++)
		if (!strcmp(ftx.resume[i].name, rel)) {
			ftx.resume[i].seen = true;
			if (ftx.resume[i].m.size == size && ftx.resume[i].m.mtime_ns == mtime_ns)
				return &ftx.resume[i];
		}
	return NULL;
}

static void resume_drop(struct ftx_resume *r)
{
	free(r->name);
	*r = ftx.resume[--ftx.nresume];
}

/* A complete file, opened (never through a symlink): a new transfer, or
 * the same file as a tx before a restart was sending, its transfer
 * continued. */
static void take(struct ftx_cand *c, uint64_t now)
{
	struct ftx_file *f = calloc(1, sizeof(*f));
	struct ftx_resume *r;
	struct stat st;

	if (!f)
		chan_die("calloc");
	f->fd = openat(ftx.outbox, c->rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f->fd < 0 || fstat(f->fd, &st) || !S_ISREG(st.st_mode) || st.st_ino != c->ino) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		ftx.read_errors++;
		/* again when it has settled again */
		c->since = now;
		c->moved_in = false;
		return;
	}
	f->rel = c->rel;
	c->rel = NULL;
	f->m.size = st.st_size;
	f->m.mtime_ns = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
	f->m.mode = st.st_mode & 0777;
	f->m.chunk = ftx.chunk;
	f->m.passes = chan_cf.files.passes;
	f->m.name = (const uint8_t *)f->rel;
	f->m.name_len = strlen(f->rel);
	f->due = now;
	queue(&ftx.fresh, f);
	r = resume_find(f->rel, f->m.size, f->m.mtime_ns);
	if (r) {
		/* the same transfer, for the rx: what it has of it counts */
		f->m.xfer = r->m.xfer;
		if (!(r->m.flags & FILE_F_NOSHA) && r->m.chunk == f->m.chunk &&
		    r->m.passes == f->m.passes) {
			memcpy(f->m.sha256, r->m.sha256, 32);
			f->passes_done = r->passes_done;
		}
		resume_drop(r);
		ftx.resumed++;
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		f->m.xfer = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	}
	if (!f->passes_done) {
		f->hashing = true;
		f->hs = file_sha_new();
	}
	f->m.key = file_key(&f->m);
	f->rel_hash = hmap_hash(f->rel, strlen(f->rel));
	ftx.files = realloc(ftx.files, (ftx.nfiles + 1) * sizeof(*ftx.files));
	if (!ftx.files || hmap_put(&ftx.file_by_name, f->rel_hash, ftx.nfiles))
		chan_die("realloc");
	f->slot = ftx.nfiles;
	ftx.files[ftx.nfiles++] = f;
	ftx.taken++;
}

static void scan_dir(int dfd, const char *rel, uint64_t now, int depth)
{
	DIR *d;
	struct dirent *e;
	char sub[4352];

	if (depth > 64)
		return;
	watch_dir(rel);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		struct ftx_cand *c;
		int64_t mt;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
		    sizeof(sub))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sfd >= 0)
				scan_dir(sfd, sub, now, depth + 1);
			continue;
		}
		if (busy(sub))
			continue;
		c = cand_find(sub);
		c->seen = true;
		if (!S_ISREG(st.st_mode) || strlen(sub) > FILE_NAME_MAX) {
			/* a symlink, a device, a name too long: once */
			if (!c->skipped) {
				c->skipped = true;
				ftx.skipped++;
				fprintf(stderr, "diode-agent: %s: %s skipped: not a regular file or a name too long\n",
					chan_cf.name, sub);
			}
			continue;
		}
		mt = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
		if (c->size != (uint64_t)st.st_size || c->mtime_ns != mt || c->ino != st.st_ino ||
		    !c->since) {
			c->size = st.st_size;
			c->mtime_ns = mt;
			c->ino = st.st_ino;
			c->since = now;
			if (!c->moved_in && !resume_find(sub, c->size, c->mtime_ns))
				continue;
		}
		/* one a tx before a restart had taken needs no settling */
		if (c->moved_in || now - c->since >= chan_cf.files.settle_ms ||
		    resume_find(sub, c->size, c->mtime_ns))
			take(c, now);
	}
	closedir(d);
}

static void scan(uint64_t now)
{
	size_t i, j;
	int dfd = openat(ftx.outbox, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	for (i = 0; i < ftx.ncands; i++)
		ftx.cands[i].seen = false;
	for (i = 0; i < ftx.nresume; i++)
		ftx.resume[i].seen = false;
	if (dfd >= 0)
		scan_dir(dfd, "", now, 0);
	/* a file of a "sending" line gone or changed is forgotten */
	for (i = ftx.nresume; i > 0; i--)
		if (!ftx.resume[i - 1].seen || dfd < 0)
			resume_drop(&ftx.resume[i - 1]);
	/* forget what is gone, or taken */
	hmap_clear(&ftx.cand_by_name);
	for (i = j = 0; i < ftx.ncands; i++) {
		if (ftx.cands[i].rel && ftx.cands[i].seen) {
			if (hmap_put(&ftx.cand_by_name, hmap_hash(ftx.cands[i].rel, strlen(ftx.cands[i].rel)), j))
				chan_die("malloc");
			ftx.cands[j++] = ftx.cands[i];
		} else {
			free(ftx.cands[i].rel);
		}
	}
	ftx.ncands = j;
	ftx.scan_now = false;
	ftx.next_scan = now + (chan_cf.files.settle_ms / 4 < 100 ? 100 :
			       chan_cf.files.settle_ms / 4 > 1000 ? 1000 : chan_cf.files.settle_ms / 4);
}

/* A file renamed into the outbox is complete at once; anything else
 * brings the next scan forward. */
static void ino_read(struct chan_fd *cfd, uint32_t events, uint64_t now)
{
	char b[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	char *p;
	size_t i;

	(void)events;
	(void)now;
	while ((n = read(cfd->fd, b, sizeof(b))) > 0) {
		for (p = b; p < b + n; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len) {
			const struct inotify_event *e = (const void *)p;
			char rel[4352];

			ftx.scan_now = true;
			if (!(e->mask & IN_MOVED_TO) || e->mask & IN_ISDIR || !e->len)
				continue;
			for (i = 0; i < ftx.nwds && ftx.wds[i].wd != e->wd; i++)
				;
			if (i == ftx.nwds)
				continue;
			if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", ftx.wds[i].rel,
					     ftx.wds[i].rel[0] ? "/" : "", e->name) < sizeof(rel))
				cand_find(rel)->moved_in = true;
		}
	}
}

/* ------------------------------------------------------- the passes */

/* Sent/REL, its folders made; a name taken gets .1, .2, ... before its
 * extension. */
static int move_sent(const char *rel)
{
	char dir[4352], name[4352], try[4400];
	const char *slash = strrchr(rel, '/'), *base = slash ? slash + 1 : rel, *dot;
	int dfd = dup(ftx.sentdir), n, r = -1;
	char *s, *comp;

	if (dfd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - rel) : 0, rel);
	for (comp = strtok_r(dir, "/", &s); comp; comp = strtok_r(NULL, "/", &s)) {
		int sub;

		mkdirat(dfd, comp, 0755);
		sub = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		if (sub < 0)
			return -1;
		dfd = sub;
	}
	snprintf(name, sizeof(name), "%s", base);
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		dot = base + strlen(base);
	for (n = 0; n < 1000; n++) {
		if (n)
			snprintf(try, sizeof(try), "%.*s.%d%s", (int)(dot - base), base, n, dot);
		else
			snprintf(try, sizeof(try), "%s", name);
		r = renameat2(ftx.outbox, rel, dfd, try, RENAME_NOREPLACE);
		if (!r || errno != EEXIST)
			break;
	}
	close(dfd);
	return r;
}

static void file_free(struct ftx_file *f)
{
	struct ftx_file *last = ftx.files[--ftx.nfiles];

	hmap_del(&ftx.file_by_name, f->rel_hash, f->slot);
	if (last != f) {
		hmap_move(&ftx.file_by_name, last->rel_hash, ftx.nfiles, f->slot);
		last->slot = f->slot;
		ftx.files[f->slot] = last;
	}
	unqueue(f);
	if (ftx.cur == f)
		ftx.cur = NULL;
	if (ftx.rd_file == f)
		ftx.rd_file = NULL;
	close(f->fd);
	file_sha_free(f->hs);
	free(f->rel);
	free(f);
}

/* Given up (changed or unreadable): left in the outbox, to be taken again
 * as the new file it is. */
static void file_drop(struct ftx_file *f, uint64_t *counter, const char *why)
{
	fprintf(stderr, "diode-agent: %s: %s %s, taken again when it settles\n",
		chan_cf.name, f->rel, why);
	(*counter)++;
	file_free(f);
	ftx.save = true;
}

static void file_done(struct ftx_file *f)
{
	ftx.sent++;
	ftx.sent_bytes += f->m.size;
	hist_add(&f->m, f->rel, wall_s());
	if (move_sent(f->rel)) {
		ftx.move_errors++;
		fprintf(stderr, "diode-agent: %s: %s sent, but not moved to Sent: %s\n",
			chan_cf.name, f->rel, strerror(errno));
	}
	file_free(f);
	ftx.save = true;
}

/* f's META, numbered, and a copy as state ahead of the chunks that
 * follow: a pass whose META is lost is a pass lost, unless one of the two
 * arrives. -1 when the queue has no room. */
static int meta_send(const struct ftx_file *f)
{
	uint8_t rec[FILE_META_FIXED + FILE_NAME_MAX];
	size_t n = file_put_meta(rec, sizeof(rec), &f->m);

	if (chan_tx_enqueue(rec, n, NULL, 0))
		return -1;
	chan_tx_enqueue_state(rec, n);
	return 0;
}

static bool unchanged(const struct ftx_file *f)
{
	struct stat st;

	return !fstat(f->fd, &st) && (uint64_t)st.st_size == f->m.size &&
	       st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec == f->m.mtime_ns;
}

/* The end of a first pass: the hash of what it read, which is what it
 * sent, goes in a META of its own. False when that must wait. */
static bool hash_end(struct ftx_file *f)
{
	if (f->hashing) {
		if (f->hashed != f->m.size || !unchanged(f)) {
			file_drop(f, &ftx.changed, "changed while it was sent");
			return false;
		}
		file_sha_final(f->hs, f->m.sha256);
		f->hs = NULL;
		f->hashing = false;
		f->sha_due = true;
		f->m.flags = 0;
		ftx.save = true;
	}
	if (f->sha_due && meta_send(f))
		return false;
	f->sha_due = false;
	return true;
}

/* The file due first, the head of one queue or the other. */
static struct ftx_file *first_due(void)
{
	struct ftx_file *a = TAILQ_FIRST(&ftx.fresh), *b = TAILQ_FIRST(&ftx.between);

	return !a ? b : !b ? a : a->due <= b->due ? a : b;
}

/* The file due first starts its next pass with its META, unless it
 * changed since it was taken. */
static void pass_start(uint64_t now)
{
	struct ftx_file *best = first_due();

	if (!best || best->due > now || !chan_tx_room())
		return;
	if (!unchanged(best)) {
		file_drop(best, &ftx.changed, "changed while it was sent");
		return;
	}
	best->m.pass = best->passes_done + 1;
	best->m.flags = best->hashing ? FILE_F_NOSHA : 0;
	if (meta_send(best))
		return;
	unqueue(best);
	best->next = 0;
	ftx.cur = best;
	/* its sending line from now on */
	if (!best->passes_done)
		ftx.save = true;
}

/* Chunks of the pass under way, up to FTX_AHEAD queued: true when it
 * queued some (the loop drains them next without waiting). */
static bool pass_fill(uint64_t now)
{
	struct ftx_file *f = ftx.cur;
	uint32_t total = file_nchunks(f->m.size, f->m.chunk);
	size_t queued = chan_cf.queue - chan_tx_state_room();
	uint32_t first = f->next;

	while (queued < FTX_AHEAD && f->next < total) {
		uint32_t len = file_chunk_len(f->m.size, f->m.chunk, f->next);
		uint64_t off = (uint64_t)f->next * f->m.chunk;

		/* a read a chunk would be a system call every 1.4 KB */
		if (ftx.rd_file != f || off < ftx.rd_off || off + len > ftx.rd_off + ftx.rd_len) {
			size_t want = FTX_READ / f->m.chunk * f->m.chunk;

			if (want > f->m.size - off)
				want = f->m.size - off;
			ftx.rd_file = NULL;
			if (pread(f->fd, ftx.rd, want, off) != (ssize_t)want) {
				file_drop(f, &ftx.read_errors, "could not be read whole");
				return true;
			}
			ftx.rd_file = f;
			ftx.rd_off = off;
			ftx.rd_len = want;
			if (f->hashing && off == f->hashed) {
				file_sha_update(f->hs, ftx.rd, want);
				f->hashed += want;
			}
		}
		memcpy(ftx.buf + FILE_CHUNK_HDR, ftx.rd + (off - ftx.rd_off), len);
		file_put_chunk_hdr(ftx.buf, f->m.key, f->next);
		if (chan_tx_enqueue_state(ftx.buf, FILE_CHUNK_HDR + len))
			break;
		f->next++;
		ftx.chunks++;
		queued++;
	}
	if (f->next < total)
		return f->next != first;
	if (!hash_end(f))
		return !ftx.cur;	/* dropped: on to the next */
	f->passes_done++;
	ftx.passes++;
	ftx.cur = NULL;
	if (f->passes_done == f->m.passes) {
		file_done(f);
	} else {
		f->due = now + chan_cf.files.pass_delay_ms;
		queue(&ftx.between, f);
		ftx.save = true;
	}
	return true;
}

static void ftx_tick(uint64_t now, int *timeout)
{
	struct ftx_file *next;
	bool more = false;

	if (ftx.scan_now || now >= ftx.next_scan)
		scan(now);
	if (!ftx.cur)
		pass_start(now);
	if (ftx.cur)
		more |= pass_fill(now);
	/* at most once a second: each save is an fsync, and many small files
	 * would have the loop wait for the disk most of the time */
	if (ftx.save && now >= ftx.next_save) {
		hist_save();
		ftx.save = false;
		ftx.next_save = now + 1000;
	}
	if (chan_cf.files.history_ms && now >= ftx.next_history) {
		hist_send();
		ftx.next_history = now + chan_cf.files.history_ms;
	}
	if (more) {
		*timeout = 0;
		return;
	}
	next = first_due();
	if (next && !ftx.cur && next->due - now < (uint64_t)*timeout)
		*timeout = next->due > now ? next->due - now : 0;
	if (ftx.next_scan - now < (uint64_t)*timeout)
		*timeout = ftx.next_scan > now ? ftx.next_scan - now : 0;
}

/* The chunk size: what fills a STATE datagram of the path alone. */
static uint32_t chunk_size(void)
{
	int s = chan_tx_socket(&chan_cf, true);
	size_t d;

	if (s < 0)
		exit(1);
	d = chan_dgram(s, &chan_cf);
	close(s);
	d -= DA_HDR_LEN + 2 + FILE_CHUNK_HDR;
	return d < FILE_CHUNK_MIN ? FILE_CHUNK_MIN : d > FILE_CHUNK_MAX ? FILE_CHUNK_MAX : d;
}

static int open_dir(const char *p, const char *key)
{
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "diode-agent: %s: %s %s: %s\n", chan_cf.name, key, p, strerror(errno));
		exit(1);
	}
	return fd;
}

static void ftx_start(void)
{
	struct stat a, b;

	TAILQ_INIT(&ftx.fresh);
	TAILQ_INIT(&ftx.between);
	ftx.outbox = open_dir(chan_cf.files.outbox, "Outbox");
	ftx.sentdir = open_dir(chan_cf.files.sent, "Sent");
	if (fstat(ftx.outbox, &a) || fstat(ftx.sentdir, &b) || a.st_dev != b.st_dev) {
		fprintf(stderr, "diode-agent: %s: Sent must be on the Outbox's file system\n", chan_cf.name);
		exit(1);
	}
	/* files moved to Sent would be taken again */
	{
		char *o = realpath(chan_cf.files.outbox, NULL), *t = realpath(chan_cf.files.sent, NULL);
		size_t n = o ? strlen(o) : 0;
		bool inside = o && t && !strncmp(o, t, n) && (t[n] == '/' || !t[n]);

		free(o);
		free(t);
		if (inside) {
			fprintf(stderr, "diode-agent: %s: Sent must not be in the Outbox\n", chan_cf.name);
			exit(1);
		}
	}
	ftx.buf = malloc(FILE_MAX_RECORD);
	ftx.rd = malloc(FTX_READ);
	if (!ftx.buf || !ftx.rd)
		chan_die("malloc");
	ftx.chunk = chunk_size();
	ftx.hist = calloc(chan_cf.files.history_files, sizeof(*ftx.hist));
	if (!ftx.hist)
		chan_die("calloc");
	hist_load();
	ftx.ino.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ftx.ino.fd < 0)
		chan_die("inotify");
	ftx.ino.io = ino_read;
	chan_watch(&ftx.ino, EPOLLIN);
	ftx.scan_now = true;
	fprintf(stderr, "diode-agent: %s: outbox %s, chunks of %u bytes, %d passes\n",
		chan_cf.name, chan_cf.files.outbox, ftx.chunk, chan_cf.files.passes);
}

static void ftx_status(FILE *f)
{
	uint64_t total = 0, have = 0;
	size_t i;

	for (i = 0; i < ftx.nfiles; i++) {
		struct ftx_file *x = ftx.files[i];

		total += x->m.size * x->m.passes;
		have += x->m.size * x->passes_done;
		if (x == ftx.cur)
			have += (uint64_t)x->next * x->m.chunk < x->m.size ?
				(uint64_t)x->next * x->m.chunk : x->m.size;
	}
	fprintf(f, ",\"files_taken\":%" PRIu64 ",\"files_sent\":%" PRIu64 ",\"bytes_sent\":%" PRIu64
		",\"passes\":%" PRIu64 ",\"chunks\":%" PRIu64 ",\"chunk_size\":%" PRIu32
		",\"history_sent\":%" PRIu64 ",\"in_progress\":%zu,\"in_progress_percent\":%" PRIu64
		",\"skipped\":%" PRIu64 ",\"changed\":%" PRIu64 ",\"read_errors\":%" PRIu64
		",\"move_errors\":%" PRIu64 ",\"resumed\":%" PRIu64,
		ftx.taken, ftx.sent, ftx.sent_bytes, ftx.passes, ftx.chunks, ftx.chunk,
		ftx.history_sent, ftx.nfiles, total ? have * 100 / total : 0, ftx.skipped,
		ftx.changed, ftx.read_errors, ftx.move_errors, ftx.resumed);
}

static void ftx_stop(void)
{
	size_t i;

	if (ftx.save)
		hist_save();
	for (i = 0; i < chan_cf.files.history_files; i++)
		hist_free(&ftx.hist[i]);
	free(ftx.hist);
	while (ftx.nresume)
		resume_drop(&ftx.resume[0]);
	free(ftx.resume);
	while (ftx.nfiles)
		file_free(ftx.files[0]);
	free(ftx.files);
	for (i = 0; i < ftx.ncands; i++)
		free(ftx.cands[i].rel);
	free(ftx.cands);
	hmap_free(&ftx.file_by_name);
	hmap_free(&ftx.cand_by_name);
}

const struct chan_proto file_tx_proto = {
	.name = "files",
	.max_record = ftx_max_record,
	.tx_start = ftx_start,
	.tx_status = ftx_status,
	.tick = ftx_tick,
	.stop = ftx_stop,
};
