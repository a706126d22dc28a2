// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the files channel's rx as a whole, on a real
 * directory, fed sequences of records. fuzz_file_rec checks each record
 * alone; this checks what sequences do: passes, repeats, chunks out of
 * order or corrupt, hashes before and after their data, the history,
 * transfers that share a key or a content, restarts that read the maps
 * back, and records of any bytes.
 *
 * The input is a few model files (name, size, content, transfer) and then
 * operations on them. Whatever the order, the rx must:
 *  - deliver only the exact content of a model file whose hash it was
 *    given, under that file's name (or the name with .N added);
 *  - deliver no content under one name twice;
 *  - keep its partial files' maps and counts in step;
 *  - create nothing outside its three areas, and in its partial area only
 *    files of its own names.
 * The areas are on tmpfs, so that the rx's syncs cost nothing.
 */
#include "file_rx.c"
#include "fuzz_input.h"

#include <ftw.h>

#include "be.h"

#define MODELS		4
#define CHUNK		256
#define PASSES		2

struct conf chan_cf;

void chan_die(const char *what)
{
	dprintf(2, "chan_die: %s\n", what);
	abort();
}

static const char *const names[] = {
	"a.txt", "d/b", "d/b/c", "e", "../x", "CON.txt", "d/a.txt",
};

struct model {
	const char *name;
	uint64_t size;
	uint8_t seed;
	uint8_t xfer;
	uint8_t content[CHUNK * 24];
	uint8_t sha256[32];
	bool hash_sent;
};

static struct model models[MODELS];
static char root[64], inbox[96];
static uint64_t now_ms, delivered;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	if (f->level > 0 && remove(p))
		abort();
	return 0;
}

static void rx_start(void)
{
	snprintf(chan_cf.files.inbox, sizeof(chan_cf.files.inbox), "%s/in", root);
	snprintf(chan_cf.files.partial, sizeof(chan_cf.files.partial), "%s/partial", root);
	snprintf(chan_cf.files.failed, sizeof(chan_cf.files.failed), "%s/failed", root);
	file_rx_proto.rx_start();
}

/* What the agent's exit leaves to the kernel, undone here. */
static void rx_stop(void)
{
	file_rx_proto.stop();
	delivered += frx.delivered;
	close(frx.inbox);
	close(frx.partial);
	close(frx.failed);
	memset(&frx, 0, sizeof(frx));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "%s/fuzz_file_rx.XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(root))
		abort();
	snprintf(inbox, sizeof(inbox), "%s/in", root);
	snprintf(chan_cf.name, sizeof(chan_cf.name), "fuzz");
	chan_cf.files.deadline_ms = 3600000;
	chan_cf.files.mark_age_ms = 7 * 86400000ull;
	/* the rx's messages are its normal work here; the sanitizers' reports
	 * go to the descriptor, not to this stream */
	stderr = fopen("/dev/null", "w");
	return 0;
}

static void model_init(struct model *m, const uint8_t h[4])
{
	struct file_sha *s = file_sha_new();
	size_t i;

	m->name = names[h[0] % (sizeof(names) / sizeof(names[0]))];
	m->size = (uint64_t)h[1] * sizeof(m->content) / 255;
	m->seed = h[2];
	m->xfer = h[3];
	for (i = 0; i < m->size; i++)
		m->content[i] = (uint8_t)(m->seed * 131 + i * 7 + (i >> 8));
	file_sha_update(s, m->content, m->size);
	file_sha_final(s, m->sha256);
	m->hash_sent = false;
}

/* Transfers of one name and one xfer share a key: the rx must tell their
 * contents apart by the hash. */
static void meta_of(const struct model *m, uint8_t flags, uint8_t pass, struct file_meta *out)
{
	memset(out, 0, sizeof(*out));
	out->flags = flags;
	out->pass = pass;
	out->passes = PASSES;
	out->size = m->size;
	out->chunk = CHUNK;
	out->mode = 0644;
	out->mtime_ns = 1700000000000000000ll + (int64_t)(m->xfer & 3) * 1000000000ll;
	if (!(flags & FILE_F_NOSHA))
		memcpy(out->sha256, m->sha256, 32);
	out->xfer = m->xfer >> 2;
	out->name = (const uint8_t *)m->name;
	out->name_len = strlen(m->name);
	out->key = file_key(out);
}

static void rx_send(const uint8_t *rec, size_t len)
{
	file_rx_proto.deliver(0, rec, len);
}

static void send_meta(struct model *m, uint8_t flags, uint8_t pass)
{
	uint8_t rec[FILE_META_FIXED + 16];
	struct file_meta fm;

	meta_of(m, flags, pass, &fm);
	rx_send(rec, file_put_meta(rec, sizeof(rec), &fm));
	if (!(flags & FILE_F_NOSHA))
		m->hash_sent = true;
}

static void send_chunk(const struct model *m, uint32_t index, bool corrupt)
{
	uint8_t rec[FILE_CHUNK_HDR + CHUNK];
	uint32_t n = file_nchunks(m->size, CHUNK);
	uint32_t len = index < n ? file_chunk_len(m->size, CHUNK, index) : 1;
	struct file_meta fm;

	meta_of(m, 0, 1, &fm);
	file_put_chunk_hdr(rec, fm.key, index);
	if (index < n)
		memcpy(rec + FILE_CHUNK_HDR, m->content + (size_t)index * CHUNK, len);
	else
		rec[FILE_CHUNK_HDR] = 0;
	if (corrupt)
		rec[FILE_CHUNK_HDR + len - 1] ^= 0x5a;
	rx_send(rec, FILE_CHUNK_HDR + len);
}

static void tick(void)
{
	int timeout = 1000;

	now_ms += 1500;
	file_rx_proto.tick(now_ms, &timeout);
}

/* A file whose chunks are all here is checked within a few turns, unless
 * it waits for its hash. */
static bool any_checking(void)
{
	size_t i;

	for (i = 0; i < frx.nparts; i++)
		if (frx.parts[i]->verifying &&
		    (frx.parts[i]->verified < frx.parts[i]->m.size || sha_known(&frx.parts[i]->m)))
			return true;
	return false;
}

static void check_parts(void)
{
	size_t i, j;

	if (frx.nparts > FRX_MAX_PARTS)
		abort();
	for (i = 0; i < frx.nparts; i++) {
		const struct frx_part *p = frx.parts[i];
		uint64_t bytes = 0;
		uint32_t have = 0, c;

		for (c = 0; c < p->nchunks; c++)
			if (p->map[c / 8] & (1u << (c % 8))) {
				have++;
				bytes += file_chunk_len(p->m.size, p->m.chunk, c);
			}
		if (have != p->have || bytes != p->have_bytes || p->nchunks != file_nchunks(p->m.size, p->m.chunk))
			abort();
		if (p->verified > p->m.size)
			abort();
		for (j = 0; j < i; j++)
			if (frx.parts[j]->m.key == p->m.key)
				abort();
	}
}

/* name is a model's name, or it with .N put before its extension. */
static bool name_of(const char *name, const struct model *m)
{
	const char *slash = strrchr(m->name, '/'), *dot = strrchr(m->name, '.');
	size_t stem = dot && dot > (slash ? slash + 1 : m->name) ? (size_t)(dot - m->name) : strlen(m->name);
	const char *p = name + stem;

	if (!strcmp(name, m->name))
		return true;
	if (strncmp(name, m->name, stem) || *p++ != '.' || *p < '1' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return !strcmp(p, m->name + stem);
}

/* Each content delivered under a name, at most once. */
static struct {
	const char *name;
	const uint8_t *sha256;
} found[64];
static size_t nfound;

static void check_file(const char *rel, int fd)
{
	static uint8_t buf[sizeof(models[0].content) + 1];
	ssize_t n = read(fd, buf, sizeof(buf));
	size_t i, j;

	if (n < 0)
		abort();
	for (i = 0; i < MODELS; i++)
		if (models[i].hash_sent && name_of(rel, &models[i]) && (uint64_t)n == models[i].size &&
		    !memcmp(buf, models[i].content, n))
			break;
	if (i == MODELS) {
		dprintf(2, "delivered %s: not the content of a model file of that name\n", rel);
		abort();
	}
	for (j = 0; j < nfound; j++)
		if (!strcmp(found[j].name, models[i].name) && !memcmp(found[j].sha256, models[i].sha256, 32)) {
			dprintf(2, "delivered %s: the same content under that name twice\n", rel);
			abort();
		}
	if (nfound == sizeof(found) / sizeof(found[0]))
		abort();
	found[nfound].name = models[i].name;
	found[nfound++].sha256 = models[i].sha256;
}

static void walk(const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		char p[512], r[256];
		struct stat st;
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (lstat(p, &st))
			abort();
		if (S_ISDIR(st.st_mode)) {
			walk(p, r);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			abort();
		fd = open(p, O_RDONLY);
		if (fd < 0)
			abort();
		check_file(r, fd);
		close(fd);
	}
	closedir(d);
}

/* Only the three areas in the root, only the rx's own names in Partial. */
static void check_areas(void)
{
	DIR *d = opendir(root);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			if (strcmp(e->d_name, "in") && strcmp(e->d_name, "partial") && strcmp(e->d_name, "failed"))
				abort();
			n++;
		}
	closedir(d);
	if (n != 3)
		abort();
	d = opendir(chan_cf.files.partial);
	if (!d)
		abort();
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (l < 20 || strspn(e->d_name, "0123456789abcdef") != 16 ||
		    (strcmp(e->d_name + 16, ".map") && strcmp(e->d_name + 16, ".data"))) {
			dprintf(2, "partial area: %s\n", e->d_name);
			abort();
		}
	}
	closedir(d);
}

/*
 * Input: MODELS times four bytes (name, size, content, transfer), then
 * operations, a byte each and some with an argument: the low three bits
 * the operation, the next two the model.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t op, arg, rec[512];
	size_t i;
	int turns;

	if (size < MODELS * 4)
		return 0;
	for (i = 0; i < MODELS; i++)
		model_init(&models[i], data + 4 * i);
	data += MODELS * 4;
	size -= MODELS * 4;
	if (mkdir(inbox, 0755))
		abort();
	delivered = 0;
	rx_start();
	while (fuzz_take(&data, &size, &op)) {
		struct model *m = &models[(op >> 3) % MODELS];
		uint32_t n = file_nchunks(m->size, CHUNK), c;

		switch (op & 7) {
		case 0:		/* a pass */
			send_meta(m, 0, 1 + ((op >> 5) & 1));
			break;
		case 1:		/* a first pass before its hash */
			send_meta(m, FILE_F_NOSHA, 1);
			break;
		case 2:		/* the history */
			send_meta(m, FILE_F_HISTORY, 0);
			break;
		case 3:		/* one chunk, or an index past the end */
			if (fuzz_take(&data, &size, &arg))
				send_chunk(m, arg % (n + 2), false);
			break;
		case 4:		/* every chunk, in order or backwards */
			for (c = 0; c < n; c++)
				send_chunk(m, op & 0x20 ? n - 1 - c : c, false);
			break;
		case 5:		/* a chunk whose data is not the file's */
			if (fuzz_take(&data, &size, &arg) && n)
				send_chunk(m, arg % n, true);
			break;
		case 6:		/* time passes; or the agent is restarted */
			if (op & 0x20) {
				rx_stop();
				rx_start();
			} else {
				tick();
			}
			break;
		case 7:		/* a record of any bytes */
			if (fuzz_take(&data, &size, &arg)) {
				size_t len = arg < size ? arg : size;

				memcpy(rec, data, len);
				data += len;
				size -= len;
				rx_send(rec, len);
			}
			break;
		}
		check_parts();
	}
	for (turns = 0; any_checking() && turns < 64; turns++)
		tick();
	if (any_checking())
		abort();
	check_parts();
	rx_stop();
	check_areas();
	nfound = 0;
	walk(inbox, "");
	if (nfound != delivered) {
		dprintf(2, "%zu files in the inbox, %" PRIu64 " counted delivered\n", nfound, delivered);
		abort();
	}
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
