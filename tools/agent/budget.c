// SPDX-License-Identifier: GPL-2.0
/* A sender's credit, and the link's shared rate budget: see budget.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "budget.h"

#define BG_MAGIC 0xda1ab06e

bool bg_credit_take(struct bg_credit *c, uint64_t bytes_s, uint64_t bytes, uint64_t now_ms)
{
	int64_t cap = (int64_t)(bytes_s * BG_CREDIT_BURST_MS);

	if (!c->running) {
		c->running = true;
		c->milli = 0;
		c->at_ms = now_ms;
	}
	if (now_ms > c->at_ms) {
		c->milli += (int64_t)((now_ms - c->at_ms > BG_CREDIT_BURST_MS ?
				       BG_CREDIT_BURST_MS : now_ms - c->at_ms) * bytes_s);
		if (c->milli > cap)
			c->milli = cap;
		c->at_ms = now_ms;
	}
	if (c->milli <= 0)
		return false;
	c->milli -= (int64_t)bytes * 1000;
	return true;
}

int bg_open_mem(struct bg *b, struct bg_shared *sh, uint64_t rate_bps, int prio)
{
	memset(b, 0, sizeof(*b));
	if (!rate_bps || prio < 0 || prio >= BG_PRIOS)
		return -1;
	b->sh = sh;
	b->rate_bps = rate_bps;
	b->prio = prio;
	/* a burst of 100 ms, at least two of the largest datagrams */
	b->burst_ns = 100000000ull;
	if ((unsigned __int128)2 * 65536 * 8 * 1000000000ull / rate_bps > b->burst_ns)
		b->burst_ns = (unsigned __int128)2 * 65536 * 8 * 1000000000ull / rate_bps;
	b->far_ns = (unsigned __int128)(4u << 20) * 8 * 1000000000ull / rate_bps;
	__atomic_store_n(&sh->magic, BG_MAGIC, __ATOMIC_RELAXED);
	return 0;
}

int bg_open(struct bg *b, const char *path, uint64_t rate_bps, int prio)
{
	struct bg_shared *sh;
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 || fstat(fd, &st))
		goto fail;
	/* a file of another size or kind is not a budget: start it again */
	if (st.st_size != sizeof(*sh) && (ftruncate(fd, 0) || ftruncate(fd, sizeof(*sh))))
		goto fail;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sh == MAP_FAILED)
		goto fail;
	close(fd);
	if (__atomic_load_n(&sh->magic, __ATOMIC_RELAXED) != BG_MAGIC || sh->version != 1) {
		memset(sh, 0, sizeof(*sh));
		sh->version = 1;
	}
	return bg_open_mem(b, sh, rate_bps, prio);
fail:
	fprintf(stderr, "diode-agent: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

bool bg_take(struct bg *b, uint64_t bytes, uint64_t now)
{
	uint64_t cost = (unsigned __int128)bytes * 8 * 1000000000ull / b->rate_bps;
	uint64_t old, next;
	int q;

	for (q = 0; q < b->prio; q++) {
		uint64_t w = __atomic_load_n(&b->sh->wanted_ns[q], __ATOMIC_RELAXED);

		if (w && now >= w && now - w < BG_HOLD_NS) {
			b->refused++;
			return false;		/* a higher class is waiting */
		}
	}
	old = __atomic_load_n(&b->sh->tat_ns, __ATOMIC_RELAXED);
	do {
		/* a virtual time behind, or further ahead than a burst and
		 * the largest message (a clock of another boot), starts
		 * again from now */
		uint64_t base = old > now && old - now <= b->burst_ns + b->far_ns ? old : now;

		next = base + cost;
		/* more than a burst goes only out of a full budget */
		if (next - now > b->burst_ns && base != now) {
			__atomic_store_n(&b->sh->wanted_ns[b->prio], now, __ATOMIC_RELAXED);
			b->refused++;
			return false;
		}
	} while (!__atomic_compare_exchange_n(&b->sh->tat_ns, &old, next, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}
