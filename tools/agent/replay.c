// SPDX-License-Identifier: GPL-2.0
/*
 * diode-agent replay FILE RANGE...: send again, from the tx's journal,
 * the messages of sequence numbers FIRST-LAST (or N) after a known outage.
 * The rx delivers a number it counted lost (late) and nothing it already
 * delivered. A separate process beside a running tx (or none): it reads
 * the journal without changing it, sends from a port of its own, at the
 * channel's Rate. Exit 0: every range sent; 3: a range not (or no longer)
 * in the journal, and then nothing is sent; 1: any other error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "conf.h"
#include "seglog.h"
#include "transport.h"

struct replay_range {
	uint64_t first, last;
};

static int replay_parse(const char *s, struct replay_range *r)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	r->first = strtoull(s, &end, 10);
	r->last = r->first;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		r->last = strtoull(end + 1, &end, 10);
	}
	return errno || *end || !r->first || r->last < r->first ? -1 : 0;
}

static uint64_t replay_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One datagram, retried while the path is only busy: 0 or -1. */
static int replay_send(int fd, const uint8_t *b, size_t n, uint64_t *errors)
{
	int tries;

	for (tries = 0; tries < 2000; tries++) {
		if (send(fd, b, n, 0) == (ssize_t)n)
			return 0;
		++*errors;
		if (errno != ENOBUFS && errno != EAGAIN && errno != EPERM &&
		    errno != ECONNREFUSED && errno != EINTR)
			return -1;
		usleep(1000);
	}
	return -1;
}

int replay_cmd(const char *file, int nranges, char **args)
{
	static uint8_t out[65536];
	struct replay_range *r;
	struct conf c;
	struct sl j;
	uint64_t epoch, first = 0, last = 0, msgs = 0, dgrams = 0, missing = 0;
	uint64_t errors = 0, budget_at, sent_bytes = 0;
	size_t dgram, a, b;
	char dir[512];
	int i, fd, bad = 0;

	if (conf_load(&c, file))
		return 1;
	if (!c.tx) {
		fprintf(stderr, "diode-agent: %s: replay is for a tx channel\n", c.name);
		return 1;
	}
	r = calloc(nranges, sizeof(*r));
	if (!r)
		return 1;
	for (i = 0; i < nranges; i++)
		if (replay_parse(args[i], &r[i])) {
			fprintf(stderr, "diode-agent: replay: '%s' is not a range (FIRST-LAST or N, from 1)\n", args[i]);
			return 2;
		}
	if (!c.journal_bytes) {
		fprintf(stderr, "diode-agent: %s: no journal (Journal = off): nothing can be replayed\n", c.name);
		return 3;
	}
	if (chan_tx_epoch(&c, &epoch))
		return 3;
	chan_path(&c, dir, sizeof(dir), "journal");
	if (sl_open(&j, dir, "DAJ1", epoch, c.journal_bytes, CHAN_MAX_REC, true, true, c.name))
		return 1;
	for (a = 0; a < j.nsegs && !j.segs[a].nrec; a++)
		;
	for (b = j.nsegs; b > 0 && !j.segs[b - 1].nrec; b--)
		;
	if (a < j.nsegs) {
		first = j.segs[a].first_key;
		last = j.segs[b - 1].last_key;
	}
	for (i = 0; i < nranges; i++) {
		if (a == j.nsegs) {
			fprintf(stderr, "diode-agent: %s: %" PRIu64 "-%" PRIu64 " is not in the journal (it is empty)\n",
				c.name, r[i].first, r[i].last);
			bad = 1;
		} else if (r[i].first < first || r[i].last > last) {
			fprintf(stderr, "diode-agent: %s: %" PRIu64 "-%" PRIu64 " is not in the journal "
				"(it holds %" PRIu64 "-%" PRIu64 ")\n", c.name, r[i].first, r[i].last, first, last);
			bad = 1;
		}
	}
	if (bad) {
		fprintf(stderr, "diode-agent: %s: nothing replayed\n", c.name);
		sl_close(&j);
		return 3;
	}
	fd = chan_tx_socket(&c, true);
	if (fd < 0)
		return 1;
	dgram = chan_dgram(fd, &c);
	budget_at = replay_ms();
	for (i = 0; i < nranges; i++) {
		struct sl_cursor cur;
		uint64_t key, want = r[i].first;
		const uint8_t *data;
		uint32_t len;
		int got;

		sl_seek_key(&j, r[i].first, &cur);
		while ((got = sl_read(&j, &cur, &key, &data, &len)) == 1 && key <= r[i].last) {
			uint16_t fs, cnt, k;

			if (key < want)
				continue;
			missing += key - want;
			want = key + 1;
			if (da_split(len, dgram, &fs, &cnt))
				continue;
			for (k = 0; k < cnt; k++) {
				size_t n = da_put_fragment(out, c.id, epoch, key, data, len, fs, cnt, k);

				if (replay_send(fd, out, n, &errors)) {
					fprintf(stderr, "diode-agent: %s: replay of %" PRIu64 ": %s\n",
						c.name, key, strerror(errno));
					return 1;
				}
				dgrams++;
				sent_bytes += n + 28;
			}
			msgs++;
			/* the channel's Rate holds for a replay too */
			if (c.rate_bps) {
				uint64_t due = budget_at + sent_bytes * 8000 / c.rate_bps, now = replay_ms();

				if (due > now)
					usleep((due - now) * 1000);
			}
		}
		if (got < 0) {
			fprintf(stderr, "diode-agent: %s: the journal does not check after %" PRIu64
				" (changed under the replay?): %" PRIu64 "-%" PRIu64 " replayed in part\n",
				c.name, want - 1, r[i].first, r[i].last);
			return 1;
		}
		if (want <= r[i].last)
			missing += r[i].last - want + 1;
	}
	close(fd);
	sl_close(&j);
	printf("replayed %" PRIu64 " messages in %" PRIu64 " datagrams from %d ranges; "
	       "%" PRIu64 " numbers have no record (dropped at source); %" PRIu64 " send errors retried\n",
	       msgs, dgrams, nranges, missing, errors);
	return 0;
}
