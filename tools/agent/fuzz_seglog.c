// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the journal's and spool's files as they may be found
 * after a crash or an attack on the disk. The input is cut into up to
 * three segment files and a cursor file by 16-bit lengths; the log is
 * opened (checked), read whole from its cursor, appended to and closed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seglog.h"

static char dir[64];

static void put(const char *name, const uint8_t *d, size_t n)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return;
	if (write(fd, d, n) < 0)
		abort();
	close(fd);
}

static void empty_dir(void)
{
	struct dirent *e;
	char p[400];
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "0000000000000001.seg", "0000000000000002.seg",
				       "0000000000000003.seg", "cursor" };
	struct sl_cursor c;
	struct sl l;
	const uint8_t *rec;
	uint64_t key;
	uint32_t len;
	bool spool, readonly;
	int i, n;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_seglog.%d", (int)getpid());
		mkdir(dir, 0700);
	}
	if (size < 1)
		return 0;
	spool = data[0] & 1;
	readonly = data[0] & 2;
	data++, size--;
	empty_dir();
	for (i = 0; i < 4 && size >= 2; i++) {
		size_t k = (size_t)data[0] << 8 | data[1];

		data += 2, size -= 2;
		if (k > size)
			k = size;
		put(names[i], data, k);
		data += k, size -= k;
	}
	if (sl_open(&l, dir, spool ? "DAS1" : "DAJ1", 0, 65536, 4096, !spool, readonly, "fuzz"))
		return 0;
	if (spool)
		sl_load_cursor(&l, &c);
	else
		sl_seek_key(&l, 3, &c);
	for (n = 0; n < 10000 && sl_read(&l, &c, &key, &rec, &len) == 1; n++)
		if (len > 4096)
			abort();
	for (i = 0; i < 40 && !readonly; i++)
		sl_append(&l, i, data, size < 4096 ? size : 4096);
	sl_first(&l, &c);
	for (n = 0; n < 10000 && sl_read(&l, &c, &key, &rec, &len) == 1; n++)
		;
	sl_close(&l);
	return 0;
}
