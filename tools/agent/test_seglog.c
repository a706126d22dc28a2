// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the journal's and the spool's files (seglog.c). KTAP. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../selftests/unit/ktap.h"
#include "seglog.h"

static char dir[64];
static uint8_t rec[4096];

static void fresh(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		exit(1);
}

static int fill(struct sl *l, uint64_t from, uint64_t n, uint32_t len)
{
	uint64_t k;

	for (k = from; k < from + n; k++) {
		memset(rec, (int)k, len);
		if (sl_append(l, k, rec, len))
			return (int)(k - from);
	}
	return (int)n;
}

/* read everything from c: records, and whether keys and data check */
static uint64_t drain(struct sl *l, struct sl_cursor *c, uint64_t *first, bool *ok)
{
	const uint8_t *d;
	uint64_t key, n = 0, prev = 0;
	uint32_t len, i;

	*ok = true;
	while (sl_read(l, c, &key, &d, &len) == 1) {
		if (!n)
			*first = key;
		else if (key != prev + 1)
			*ok = false;
		for (i = 0; i < len; i++)
			if (d[i] != (uint8_t)key)
				*ok = false;
		prev = key;
		n++;
	}
	return n;
}

static bool test_journal_bounded(void)
{
	struct sl l;
	struct sl_cursor c;
	uint64_t first = 0, n, kept = 0;
	bool ok;
	size_t i;

	fresh();
	KTAP_EXPECT(sl_open(&l, dir, "DAJ1", 5, 1 << 20, 1 << 16, true, false, "t") == 0);
	KTAP_EXPECT(fill(&l, 1, 10000, 224) == 10000);
	KTAP_EXPECT(l.total <= 1 << 20 && l.total > 3 * (1 << 20) / 4);
	for (i = 0; i < l.nsegs; i++)
		kept += l.segs[i].nrec;
	KTAP_EXPECT(kept + l.pushed_out == 10000);
	sl_first(&l, &c);
	n = drain(&l, &c, &first, &ok);
	KTAP_EXPECT(ok && n == kept && first == 10000 - kept + 1);
	sl_seek_key(&l, 9990, &c);
	KTAP_EXPECT(c.seg == l.segs[l.nsegs - 1].id);
	sl_close(&l);
	/* reopened: the same records, and another epoch's are removed */
	KTAP_EXPECT(sl_open(&l, dir, "DAJ1", 5, 1 << 20, 1 << 16, true, false, "t") == 0);
	KTAP_EXPECT(l.segs[0].first_key == first && l.segs[l.nsegs - 1].last_key == 10000);
	sl_close(&l);
	KTAP_EXPECT(sl_open(&l, dir, "DAJ1", 6, 1 << 20, 1 << 16, true, false, "t") == 0);
	KTAP_EXPECT(l.nsegs == 0 && l.total == 0);
	sl_close(&l);
	return true;
}

static bool test_spool_refuses_and_resumes(void)
{
	struct sl l;
	struct sl_cursor c, mid;
	uint64_t first = 0, n, key;
	const uint8_t *d;
	uint32_t len;
	bool ok;
	int i, kept;

	fresh();
	KTAP_EXPECT(sl_open(&l, dir, "DAS1", 0, 65536, 1 << 16, false, false, "t") == 0);
	kept = fill(&l, 1, 1000, 200);
	/* 8 segments of 8192 bytes hold 37 records each, a 9th the rest */
	KTAP_EXPECT(kept == 302 && l.total <= 65536 && l.nsegs == 9);
	KTAP_EXPECT(sl_append(&l, 5000, rec, 200) == -1);
	sl_first(&l, &c);
	for (i = 0; i < 100; i++)
		KTAP_EXPECT(sl_read(&l, &c, &key, &d, &len) == 1 && key == (uint64_t)i + 1);
	mid = c;
	KTAP_EXPECT(sl_save_cursor(&l, &c) == 0);
	sl_release(&l, &c);
	sl_close(&l);
	KTAP_EXPECT(sl_open(&l, dir, "DAS1", 0, 65536, 1 << 16, false, false, "t") == 0);
	KTAP_EXPECT(sl_load_cursor(&l, &c) == 0 && c.seg == mid.seg && c.off == mid.off);
	n = drain(&l, &c, &first, &ok);
	KTAP_EXPECT(ok && first == 101 && n == (uint64_t)kept - 100);
	KTAP_EXPECT(sl_empty(&l, &c));
	/* a cursor that names no record's start: from its segment's start */
	{
		FILE *f;
		char p[128];

		snprintf(p, sizeof(p), "%s/cursor", dir);
		f = fopen(p, "w");
		fprintf(f, "%llu 25\n", (unsigned long long)mid.seg);
		fclose(f);
		KTAP_EXPECT(sl_load_cursor(&l, &c) == -1 && c.seg == mid.seg && c.off == SL_SEG_HDR);
		f = fopen(p, "w");
		fprintf(f, "garbage\n");
		fclose(f);
		KTAP_EXPECT(sl_load_cursor(&l, &c) == -1);
	}
	sl_close(&l);
	return true;
}

static bool test_damage_set_aside(void)
{
	struct sl l;
	char p[128];
	uint64_t segs, tail;
	int fd;

	fresh();
	KTAP_EXPECT(sl_open(&l, dir, "DAJ1", 5, 1 << 20, 1 << 16, true, false, "t") == 0);
	fill(&l, 1, 2000, 224);
	segs = l.nsegs;
	tail = l.segs[l.nsegs - 1].size;
	sl_close(&l);
	/* a byte of the first segment's first record, a torn tail */
	snprintf(p, sizeof(p), "%s/%016x.seg", dir, 1);
	fd = open(p, O_WRONLY);
	KTAP_EXPECT(pwrite(fd, "\xff", 1, SL_SEG_HDR + SL_REC_HDR + 3) == 1);
	close(fd);
	snprintf(p, sizeof(p), "%s/%016llx.seg", dir, (unsigned long long)segs);
	fd = open(p, O_WRONLY | O_APPEND);
	KTAP_EXPECT(write(fd, "\0\0\1\0torn", 8) == 8);
	close(fd);
	KTAP_EXPECT(sl_open(&l, dir, "DAJ1", 5, 1 << 20, 1 << 16, true, false, "t") == 0);
	KTAP_EXPECT(l.set_aside == 1 && l.cut_bytes == 8 && l.nsegs == segs - 1);
	KTAP_EXPECT(l.segs[l.nsegs - 1].size == tail && l.segs[l.nsegs - 1].last_key == 2000);
	snprintf(p, sizeof(p), "%s/%016x.corrupt", dir, 1);
	KTAP_EXPECT(access(p, F_OK) == 0);
	/* appending again starts a segment of its own */
	KTAP_EXPECT(sl_append(&l, 2001, rec, 10) == 0 && l.segs[l.nsegs - 1].id == segs + 1);
	sl_close(&l);
	return true;
}

/* Random files where segments should be: never a crash, never a record
 * that does not check. */
static bool test_random_files(void)
{
	struct sl l;
	struct sl_cursor c;
	unsigned seed = 1;
	int round, i, j;

	for (round = 0; round < 50; round++) {
		uint64_t first, n;
		bool ok;

		fresh();
		KTAP_EXPECT(sl_open(&l, dir, "DAS1", 0, 1 << 20, 4096, false, false, "t") == 0);
		fill(&l, 1, 50, 100);
		sl_close(&l);
		for (i = 1; i <= 3; i++) {
			char p[128];
			uint8_t b[8192];
			int len = rand_r(&seed) % sizeof(b);
			FILE *f;

			for (j = 0; j < len; j++)
				b[j] = rand_r(&seed);
			if (len >= 24 && i != 3)
				memcpy(b, "DAS1\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24);
			if (len >= 40 && i == 2)
				memcpy(b + 24, "\0\0\0\x10", 4);
			snprintf(p, sizeof(p), "%s/%016x.seg", dir, 0x100 + i);
			f = fopen(p, "w");
			fwrite(b, 1, len, f);
			fclose(f);
		}
		KTAP_EXPECT(sl_open(&l, dir, "DAS1", 0, 1 << 20, 4096, false, false, "t") == 0);
		sl_first(&l, &c);
		n = drain(&l, &c, &first, &ok);
		KTAP_EXPECT(n == 50 && first == 1 && ok);
		sl_close(&l);
	}
	return true;
}

static const struct ktap_test tests[] = {
	{ "journal_bounded", test_journal_bounded },
	{ "spool_refuses_and_resumes", test_spool_refuses_and_resumes },
	{ "damage_set_aside", test_damage_set_aside },
	{ "random_files", test_random_files },
};

int main(void)
{
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/test_seglog.%d", (int)getpid());
	rc = ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	fresh();
	return rc;
}
