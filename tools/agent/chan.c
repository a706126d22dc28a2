// SPDX-License-Identifier: GPL-2.0
/*
 * The channel core (chan.h): the loop, the state files, the transport's tx
 * end (queue, numbers, pacing, journal, drops, heartbeats) and its rx end
 * (reassembly, the state that keeps a restart from delivering twice).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "budget.h"
#include "chan.h"
#include "seglog.h"
#include "transport.h"

#define LEASE 65536		/* sequence numbers reserved in the state file */
#define MAX_DGRAM 65507

struct conf chan_cf;
static const struct chan_proto *proto;
static volatile sig_atomic_t stop;
static int ep, exit_status;

uint64_t chan_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void chan_die(const char *what)
{
	fprintf(stderr, "diode-agent: %s: %s: %s\n", chan_cf.name, what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void chan_path(const struct conf *c, char *buf, size_t len, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", c->state_dir, c->name, ext);
}

/* A new file, flushed when durable, renamed over the old one. */
int chan_write_atomic(const char *ext, const char *data, size_t len, bool durable)
{
	char p[512], tmp[520];
	int fd;

	chan_path(&chan_cf, p, sizeof(p), ext);
	snprintf(tmp, sizeof(tmp), "%s.new", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len || (durable && fsync(fd))) {
		close(fd);
		return -1;
	}
	close(fd);
	return rename(tmp, p);
}

void chan_watch(struct chan_fd *f, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = f };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, f->fd, &e))
		chan_die("epoll");
}

void chan_rewatch(struct chan_fd *f, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = f };

	epoll_ctl(ep, EPOLL_CTL_MOD, f->fd, &e);
}

void chan_watch_set(struct chan_fd *f, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = f };

	if (epoll_ctl(ep, EPOLL_CTL_MOD, f->fd, &e) && errno == ENOENT)
		chan_watch(f, events);
}

void chan_stop(int status)
{
	stop = 1;
	exit_status = status;
}

void chan_unwatch(struct chan_fd *f)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, f->fd, NULL);
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int chan_bound_socket(const struct addr *a, int type)
{
	int one = 1, fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* a third of a second of a 1 Gbit/s link in full-size datagrams
	 * (each takes about 2.3 KB of buffer): a stall of the loop as long,
	 * the host busy with something else, loses nothing */
	int big = 64 << 20;

	if (fd < 0)
		chan_die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len))
		chan_die("bind");
	if (type == SOCK_STREAM && listen(fd, 128))
		chan_die("listen");
	return fd;
}

/* ---------------------------------------------------------------- TX */

struct msg {
	uint32_t len;
	uint8_t data[];
};

static struct {
	int sock;
	uint64_t epoch, next, lease_to;
	size_t dgram;			/* UDP payload bytes per datagram */
	uint32_t max_record;
	struct msg **q;
	size_t qhead, qlen;
	struct msg **sq;		/* state: sent unnumbered, after q */
	size_t shead, slen;
	bool paused;
	double tokens;
	uint64_t tokens_at, retry_at;
	struct da_range drops[16];
	int ndrops, drop_repeat[16];
	uint8_t out[MAX_DGRAM];
	struct bg bg;			/* the link's budget, when Link is set */
	bool bg_on;
	struct sl jr;			/* the journal, when Journal is on */
	bool jr_on;
	uint64_t jr_refused;
	/* counters */
	uint64_t too_large, dropped_queue, sent_msgs, sent_dgrams, sent_bytes,
		 send_errors, pauses, heartbeats, restart_drop, sent_state,
		 state_dropped;
} tx;

static void tx_save(bool clean)
{
	char b[256];
	int n = snprintf(b, sizeof(b), "epoch %016" PRIx64 "\nlease %" PRIu64 " %" PRIu64 "\nclean %d\n",
			 tx.epoch, clean ? tx.next : tx.lease_to - LEASE,
			 clean ? tx.next : tx.lease_to, clean);

	if (chan_write_atomic("tx", b, n, true))
		chan_die("cannot write the state file");
}

static void tx_load(void)
{
	char p[512];
	uint64_t from, to;
	int clean;
	FILE *f;

	chan_path(&chan_cf, p, sizeof(p), "tx");
	f = fopen(p, "r");
	if (!f) {
		if (errno != ENOENT)
			chan_die(p);
		if (getrandom(&tx.epoch, sizeof(tx.epoch), 0) != sizeof(tx.epoch))
			chan_die("getrandom");
		tx.next = 1;
		fprintf(stderr, "diode-agent: %s: new epoch %016" PRIx64 "\n", chan_cf.name, tx.epoch);
	} else {
		if (fscanf(f, "epoch %" SCNx64 " lease %" SCNu64 " %" SCNu64 " clean %d",
			   &tx.epoch, &from, &to, &clean) != 4 || !from || to < from) {
			fprintf(stderr, "diode-agent: %s is not a tx state file\n", p);
			exit(1);
		}
		fclose(f);
		tx.next = to;
		if (!clean && to > from) {
			tx.drops[0] = (struct da_range){ DA_R_RESTART, from, to - 1 };
			tx.drop_repeat[0] = 3;
			tx.ndrops = 1;
			tx.restart_drop = to - from;
		}
		fprintf(stderr, "diode-agent: %s: epoch %016" PRIx64 " kept, from %" PRIu64 "\n",
			chan_cf.name, tx.epoch, tx.next);
	}
	tx.lease_to = tx.next + LEASE;
	tx_save(false);
}

int chan_tx_epoch(const struct conf *c, uint64_t *epoch)
{
	char p[512];
	uint64_t from, to;
	int clean;
	FILE *f;

	chan_path(c, p, sizeof(p), "tx");
	f = fopen(p, "r");
	if (!f) {
		fprintf(stderr, "diode-agent: %s: %s\n", p, strerror(errno));
		return -1;
	}
	if (fscanf(f, "epoch %" SCNx64 " lease %" SCNu64 " %" SCNu64 " clean %d",
		   epoch, &from, &to, &clean) != 4) {
		fclose(f);
		fprintf(stderr, "diode-agent: %s is not a tx state file\n", p);
		return -1;
	}
	fclose(f);
	return 0;
}

size_t chan_dgram(int sock, const struct conf *c)
{
	int mtu = c->mtu;
	socklen_t l = sizeof(mtu);
	bool v6 = c->remote.ss.ss_family == AF_INET6;
	size_t d;

	if (!mtu && getsockopt(sock, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
			       v6 ? IPV6_MTU : IP_MTU, &mtu, &l))
		mtu = 1280;
	d = mtu - (v6 ? 40 : 20) - 8;
	return d > MAX_DGRAM ? MAX_DGRAM : d;
}

/* After a crash the journal says how far the tx got: only the numbers
 * after its last record were skipped. */
static void tx_journal_restart(void)
{
	struct da_range *r = &tx.drops[0];
	uint64_t last = 0;
	size_t i;

	if (!tx.ndrops || r->reason != DA_R_RESTART)
		return;
	for (i = tx.jr.nsegs; i > 0; i--)
		if (tx.jr.segs[i - 1].nrec) {
			last = tx.jr.segs[i - 1].last_key;
			break;
		}
	if (last < r->first || last > r->last)
		return;
	if (last == r->last) {
		tx.ndrops = 0;
		tx.restart_drop = 0;
		return;
	}
	tx.restart_drop -= last + 1 - r->first;
	r->first = last + 1;
}

static void tx_mtu(void)
{
	tx.dgram = chan_dgram(tx.sock, &chan_cf);
}

int chan_tx_socket(const struct conf *c, bool any_port)
{
	int pmtu = IP_PMTUDISC_DO, big = 4 << 20, fd;
	bool v6 = c->remote.ss.ss_family == AF_INET6;
	struct addr local = c->local;

	fd = socket(c->remote.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* never fragmented: a datagram too large is refused, not split */
	if (v6) {
		pmtu = IPV6_PMTUDISC_DO;
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	} else {
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (c->device[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->device, strlen(c->device)))
		goto fail;
	if (local.set && any_port) {
		if (local.ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&local.ss)->sin6_port = 0;
		else
			((struct sockaddr_in *)&local.ss)->sin_port = 0;
	}
	if (local.set && bind(fd, (struct sockaddr *)&local.ss, local.len))
		goto fail;
	if (connect(fd, (const struct sockaddr *)&c->remote.ss, c->remote.len))
		goto fail;
	return fd;
fail:
	fprintf(stderr, "diode-agent: %s: the socket to Remote: %s\n", c->name, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Send one datagram: 0, or -1 to try again later (counted). */
static int tx_send(const uint8_t *b, size_t n)
{
	if (send(tx.sock, b, n, 0) == (ssize_t)n) {
		tx.sent_dgrams++;
		tx.sent_bytes += n;
		return 0;
	}
	tx.send_errors++;
	if (errno == EMSGSIZE)
		tx_mtu();
	return -1;
}

static void tx_send_drops(bool repeat)
{
	uint8_t b[DA_HDR_LEN + 2 + 17 * 16];
	struct da_range r[16];
	struct da_hdr h = { .type = DA_DROP, .channel = chan_cf.id, .epoch = tx.epoch };
	int i, n = 0;

	for (i = 0; i < tx.ndrops; i++)
		if (tx.drop_repeat[i] > 0 && (repeat || tx.drop_repeat[i] == 4))
			r[n++] = tx.drops[i];
	if (!n)
		return;
	h.msg_len = da_put_drop(b + DA_HDR_LEN, r, n);
	da_put_hdr(b, &h);
	if (tx_send(b, DA_HDR_LEN + h.msg_len))
		return;
	for (i = 0; i < tx.ndrops; i++)
		if (tx.drop_repeat[i] > 0 && (repeat || tx.drop_repeat[i] == 4))
			tx.drop_repeat[i]--;
}

/* Numbers next to next + n - 1 are about to be used. */
static void tx_lease(uint64_t n)
{
	if (tx.next + n >= tx.lease_to) {
		tx.lease_to = tx.next + n + LEASE;
		tx_save(false);
	}
}

/* A sequence number given up at the source, announced at once. */
static void tx_drop(int reason)
{
	int i;

	tx_lease(1);
	if (tx.ndrops && tx.drops[tx.ndrops - 1].reason == reason &&
	    tx.drops[tx.ndrops - 1].last + 1 == tx.next &&
	    tx.drop_repeat[tx.ndrops - 1] == 4) {
		tx.drops[tx.ndrops - 1].last = tx.next++;
		return;
	}
	if (tx.ndrops == 16) {
		memmove(tx.drops, tx.drops + 1, 15 * sizeof(tx.drops[0]));
		memmove(tx.drop_repeat, tx.drop_repeat + 1, 15 * sizeof(int));
		tx.ndrops--;
	}
	i = tx.ndrops++;
	tx.drops[i] = (struct da_range){ reason, tx.next, tx.next };
	tx.drop_repeat[i] = 4;	/* once now, then with three heartbeats */
	tx.next++;
}

static void tx_heartbeat(void)
{
	struct da_hdr h = { .type = DA_HEARTBEAT, .channel = chan_cf.id,
			    .epoch = tx.epoch, .seq = tx.next - 1, .msg_len = 4 };
	uint32_t iv = htonl(chan_cf.heartbeat_ms);

	da_put_hdr(tx.out, &h);
	memcpy(tx.out + DA_HDR_LEN, &iv, 4);
	if (!tx_send(tx.out, DA_HDR_LEN + 4))
		tx.heartbeats++;
	tx_send_drops(true);
	tx_mtu();
	if (tx.jr_on)
		sl_writeback(&tx.jr);
}

static bool tx_tokens(size_t bytes, uint64_t now)
{
	double cap;

	if (!chan_cf.rate_bps)
		return true;
	cap = chan_cf.rate_bps / 8.0 / 10;	/* a burst of 100 ms */
	if (cap < 2 * MAX_DGRAM)
		cap = 2 * MAX_DGRAM;
	tx.tokens += (now - tx.tokens_at) * (chan_cf.rate_bps / 8000.0);
	tx.tokens_at = now;
	if (tx.tokens > cap)
		tx.tokens = cap;
	/* a message larger than the burst goes out of a full bucket */
	return tx.tokens >= (double)bytes || tx.tokens >= cap;
}

/* The channel's own Rate, then the link's budget shared by priority. */
static bool tx_may_send(size_t bytes, uint64_t now)
{
	struct timespec ts;

	if (!tx_tokens(bytes, now))
		return false;
	if (!tx.bg_on)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return bg_take(&tx.bg, bytes, (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec);
}

/* A message is out (or given up after a send error, for the rx to count
 * lost): journalled under its number and off the queue. */
static void tx_sent(void)
{
	struct msg *m = tx.q[tx.qhead];

	if (tx.jr_on && sl_append(&tx.jr, tx.next, m->data, m->len))
		tx.jr_refused++;
	tx.next++;
	tx.sent_msgs++;
	free(m);
	tx.qhead = (tx.qhead + 1) % chan_cf.queue;
	tx.qlen--;
}

/* The message at the head of the queue, in fragments, one send each:
 * false to stop draining until retry_at. */
static bool tx_send_fragments(struct msg *m, uint16_t fs, uint16_t cnt, uint64_t now)
{
	size_t cost = m->len + (size_t)cnt * (DA_HDR_LEN + 28);
	uint16_t i;

	if (!tx_may_send(cost, now))
		return false;
	tx_lease(1);
	for (i = 0; i < cnt; i++) {
		size_t n = da_put_fragment(tx.out, chan_cf.id, tx.epoch, tx.next,
					   m->data, m->len, fs, cnt, i);

		while (tx_send(tx.out, n)) {
			if (errno == EMSGSIZE && n > tx.dgram + 0u) {
				/* the path shrank: send the rest again */
				break;
			}
			if (errno != ECONNREFUSED && errno != EPERM &&
			    errno != ENOBUFS && errno != EAGAIN) {
				break;
			}
			/* counted; retried after a short pause */
			if (errno == ENOBUFS || errno == EAGAIN || errno == EPERM) {
				if (i == 0) {
					tx.retry_at = now + 10;
					return false;
				}
				usleep(1000);
			}
		}
	}
	if (chan_cf.rate_bps)
		tx.tokens -= cost;
	tx_sent();
	return true;
}

#define TX_BATCH 32
/* the datagrams of one sendmmsg, numbered or state, and the records of each */
static uint8_t batch_out[TX_BATCH][MAX_DGRAM];
static struct mmsghdr batch_mh[TX_BATCH];
static struct iovec batch_iov[TX_BATCH];
static uint16_t batch_n[TX_BATCH];

/*
 * Datagrams [0, k) of the batch, TX_BATCH a system call: done(j, sent) for
 * each one out, or given up after an error that trying again would meet
 * too. False when the rest must wait for retry_at; true to go on (the rest,
 * if any, built again for a path that shrank).
 */
static bool tx_flush(int k, const size_t *cost, uint64_t now, void (*done)(int j, bool sent))
{
	int j, r, e;

	for (j = 0; j < k;) {
		r = sendmmsg(tx.sock, batch_mh + j, k - j, 0);
		if (r > 0) {
			for (; r > 0; r--, j++) {
				tx.sent_dgrams++;
				tx.sent_bytes += batch_iov[j].iov_len;
				done(j, true);
			}
			continue;
		}
		/* datagram j was refused: counted */
		e = errno;
		tx.send_errors++;
		if (e == ECONNREFUSED)
			continue;	/* an earlier datagram's ICMP: again */
		if (e == EMSGSIZE)
			tx_mtu();
		if ((e == EMSGSIZE && batch_iov[j].iov_len > tx.dgram) ||
		    e == ENOBUFS || e == EAGAIN || e == EPERM) {
			/* not sent: built again, smaller now or after a pause */
			for (; j < k && chan_cf.rate_bps; j++)
				tx.tokens += cost[j];
			if (e != EMSGSIZE)
				tx.retry_at = now + 10;
			return e == EMSGSIZE;
		}
		done(j++, false);
	}
	return true;
}

/* Datagram k of the batch, len bytes holding n records, taken if the rate
 * lets it go now. */
static bool tx_batch_take(int k, size_t len, uint16_t n, size_t *cost, uint64_t now)
{
	cost[k] = len + 28;
	if (!tx_may_send(cost[k], now))
		return false;
	if (chan_cf.rate_bps)
		tx.tokens -= cost[k];
	batch_iov[k] = (struct iovec){ .iov_base = batch_out[k], .iov_len = len };
	batch_mh[k].msg_hdr = (struct msghdr){ .msg_iov = &batch_iov[k], .msg_iovlen = 1 };
	batch_n[k] = n;
	return true;
}

/* Numbered messages out, or given up: the rx counts those lost. */
static void tx_batch_done(int j, bool sent)
{
	(void)sent;
	while (batch_n[j]--)
		tx_sent();
}

/*
 * The messages at the head of the queue that fit a datagram alone, packed
 * into BATCH datagrams (one that goes alone as DATA): false to stop
 * draining until retry_at (or until there is Rate again).
 */
static bool tx_send_batch(uint64_t now)
{
	size_t cost[TX_BATCH], taken = 0;
	int k;

	for (k = 0; k < TX_BATCH && taken < tx.qlen; k++) {
		struct msg *m = tx.q[(tx.qhead + taken) % chan_cf.queue];
		struct da_batch b;
		size_t len;

		if (m->len + DA_HDR_LEN > tx.dgram)
			break;		/* it needs fragments */
		da_batch_start(&b, batch_out[k], tx.dgram);
		while (taken + b.n < tx.qlen) {
			struct msg *n = tx.q[(tx.qhead + taken + b.n) % chan_cf.queue];

			if (!da_batch_add(&b, n->data, n->len))
				break;
		}
		if (b.n > 1) {
			len = da_batch_end(&b, chan_cf.id, tx.epoch, tx.next + taken);
		} else {
			/* alone, or filling a DATA datagram but not a BATCH one */
			len = da_put_fragment(batch_out[k], chan_cf.id, tx.epoch, tx.next + taken,
					      m->data, m->len, m->len, 1, 0);
			b.n = 1;
		}
		if (!tx_batch_take(k, len, b.n, cost, now))
			break;
		taken += b.n;
	}
	if (!k)
		return false;
	tx_lease(taken);
	return tx_flush(k, cost, now, tx_batch_done);
}

static void tx_state_pop(void)
{
	free(tx.sq[tx.shead]);
	tx.shead = (tx.shead + 1) % chan_cf.queue;
	tx.slen--;
}

/* State records out (or given up, counted dropped). */
static void tx_state_done(int j, bool sent)
{
	if (sent)
		tx.sent_state += batch_n[j];
	else
		tx.state_dropped += batch_n[j];
	while (batch_n[j]--)
		tx_state_pop();
}

/* State records, as many as a STATE datagram holds a datagram: false to
 * stop draining. A record that no longer fits a datagram alone (the path
 * shrank) goes numbered. */
static bool tx_send_state(uint64_t now)
{
	size_t cost[TX_BATCH], taken = 0;
	int k;

	for (k = 0; k < TX_BATCH && taken < tx.slen; k++) {
		struct da_batch b;
		size_t len;

		da_batch_start(&b, batch_out[k], tx.dgram);
		while (taken + b.n < tx.slen) {
			struct msg *m = tx.sq[(tx.shead + taken + b.n) % chan_cf.queue];

			if (!da_batch_add(&b, m->data, m->len))
				break;
		}
		if (!b.n) {
			struct msg *m = tx.sq[tx.shead];

			if (k)
				break;	/* sent on the next turn, numbered */
			chan_tx_enqueue(m->data, m->len, m->data, 0);
			tx_state_pop();
			return true;
		}
		len = da_state_end(&b, chan_cf.id, tx.epoch);
		if (!tx_batch_take(k, len, b.n, cost, now))
			break;
		taken += b.n;
	}
	return k && tx_flush(k, cost, now, tx_state_done);
}

/* Send what the queues hold, as far as the rate and the socket allow:
 * numbered records first, state when they are out. */
static void tx_drain(uint64_t now)
{
	/* numbers given up are announced before any later number is sent */
	tx_send_drops(false);
	if (now < tx.retry_at)
		return;
	while (tx.qlen) {
		struct msg *m = tx.q[tx.qhead];
		uint16_t fs, cnt;

		da_split(m->len, tx.dgram, &fs, &cnt);
		if (!(cnt > 1 ? tx_send_fragments(m, fs, cnt, now) : tx_send_batch(now)))
			return;
	}
	while (tx.slen && !tx.qlen)
		if (!tx_send_state(now))
			return;
}

static void tx_pause(bool on)
{
	if (tx.paused == on)
		return;
	tx.paused = on;
	if (on)
		tx.pauses++;
	if (proto->tx_pause)
		proto->tx_pause(on);
}

size_t chan_tx_room(void)
{
	return chan_cf.queue - tx.qlen;
}

uint64_t chan_carousel_bytes_s(uint32_t share)
{
	return chan_cf.rate_bps / 8 * share / 100;
}

uint32_t chan_state_overhead(void)
{
	return DA_HDR_LEN + 28;
}

void chan_share_init(struct chan_share *s, uint32_t share)
{
	memset(s, 0, sizeof(*s));
	s->bytes_s = chan_carousel_bytes_s(share);
}

bool chan_share_take(struct chan_share *s, size_t len, uint64_t now_ms)
{
	if (s->bytes_s && !bg_credit_take(&s->credit, s->bytes_s, len + chan_state_overhead(), now_ms))
		return false;
	s->charged += len + chan_state_overhead();
	return true;
}

void chan_tx_too_large(void)
{
	tx.too_large++;
	tx_drop(DA_R_TOO_LARGE);
}

int chan_tx_enqueue_state(const void *rec, size_t len)
{
	struct msg *m;

	/* too large for a datagram of its own: numbered, in fragments */
	if (len + 2 + DA_HDR_LEN > tx.dgram)
		return chan_tx_enqueue(rec, len, rec, 0);
	m = tx.slen < chan_cf.queue ? malloc(sizeof(*m) + len) : NULL;
	if (!m) {
		tx.state_dropped++;
		return -1;
	}
	m->len = len;
	memcpy(m->data, rec, len);
	tx.sq[(tx.shead + tx.slen) % chan_cf.queue] = m;
	tx.slen++;
	return 0;
}

size_t chan_tx_state_room(void)
{
	return chan_cf.queue - tx.slen;
}

int chan_tx_enqueue(const void *hdr, size_t hlen, const void *data, size_t len)
{
	struct msg *m;

	if (hlen + len > tx.max_record) {
		chan_tx_too_large();
		return -1;
	}
	m = tx.qlen < chan_cf.queue ? malloc(sizeof(*m) + hlen + len) : NULL;
	if (!m) {
		tx.dropped_queue++;
		tx_drop(DA_R_QUEUE_FULL);
		return -1;
	}
	m->len = hlen + len;
	memcpy(m->data, hdr, hlen);
	if (len)
		memcpy(m->data + hlen, data, len);
	tx.q[(tx.qhead + tx.qlen) % chan_cf.queue] = m;
	tx.qlen++;
	return 0;
}

static void tx_start(void)
{
	tx_load();
	if (chan_cf.journal_bytes) {
		char p[512];

		chan_path(&chan_cf, p, sizeof(p), "journal");
		if (sl_open(&tx.jr, p, "DAJ1", tx.epoch, chan_cf.journal_bytes,
			    CHAN_MAX_REC, true, false, chan_cf.name))
			exit(1);
		tx.jr_on = true;
		tx_journal_restart();
	}
	if (chan_cf.link[0]) {
		char p[512];

		snprintf(p, sizeof(p), "%s/link-%s.budget", chan_cf.state_dir, chan_cf.link);
		if (bg_open(&tx.bg, p, chan_cf.link_rate_bps, chan_cf.priority))
			exit(1);
		tx.bg_on = true;
	}
	tx.max_record = proto->max_record();
	tx.q = calloc(chan_cf.queue, sizeof(*tx.q));
	tx.sq = calloc(chan_cf.queue, sizeof(*tx.sq));
	if (!tx.q || !tx.sq)
		chan_die("calloc");
	tx.sock = chan_tx_socket(&chan_cf, false);
	if (tx.sock < 0)
		exit(1);
	nonblock(tx.sock);
	tx_mtu();
	tx.tokens_at = chan_now_ms();
	proto->tx_start();
	if (tx.ndrops)
		tx_send_drops(false);
}

/* What is queued goes out before the state is saved clean. */
static void tx_stop(void)
{
	int i;

	for (i = 0; i < 2000 && tx.qlen; i++) {
		tx_drain(chan_now_ms());
		if (tx.qlen)
			usleep(1000);
	}
	tx_heartbeat();
	tx_save(!tx.qlen);
	if (tx.jr_on)
		sl_sync(&tx.jr);
}

static void tx_status(FILE *f)
{
	fprintf(f, ",\"epoch\":\"%016" PRIx64 "\",\"next_seq\":%" PRIu64 ",\"datagram\":%zu",
		tx.epoch, tx.next, tx.dgram);
	proto->tx_status(f);
	fprintf(f, ",\"too_large\":%" PRIu64 ",\"dropped_queue_full\":%" PRIu64
		",\"restart_skipped\":%" PRIu64 ",\"queued\":%zu,\"paused\":%" PRIu64
		",\"sent_messages\":%" PRIu64 ",\"sent_datagrams\":%" PRIu64 ",\"sent_bytes\":%" PRIu64
		",\"send_errors\":%" PRIu64 ",\"heartbeats\":%" PRIu64
		",\"state_queued\":%zu,\"sent_state\":%" PRIu64 ",\"state_dropped\":%" PRIu64,
		tx.too_large, tx.dropped_queue, tx.restart_drop, tx.qlen, tx.pauses,
		tx.sent_msgs, tx.sent_dgrams, tx.sent_bytes, tx.send_errors, tx.heartbeats,
		tx.slen, tx.sent_state, tx.state_dropped);
	if (tx.jr_on) {
		struct sl *j = &tx.jr;
		size_t a, b;

		for (a = 0; a < j->nsegs && !j->segs[a].nrec; a++)
			;
		for (b = j->nsegs; b > 0 && !j->segs[b - 1].nrec; b--)
			;
		fprintf(f, ",\"journal_bytes\":%" PRIu64 ",\"journal_first\":%" PRIu64
			",\"journal_last\":%" PRIu64 ",\"journal_pushed_out\":%" PRIu64
			",\"journal_refused\":%" PRIu64 ",\"journal_set_aside\":%" PRIu64,
			j->total, a < j->nsegs ? j->segs[a].first_key : 0,
			b ? j->segs[b - 1].last_key : 0, j->pushed_out, tx.jr_refused,
			j->set_aside);
	}
	if (tx.bg_on)
		fprintf(f, ",\"link\":\"%s\",\"priority\":%d,\"link_waits\":%" PRIu64,
			chan_cf.link, chan_cf.priority, tx.bg.refused);
}

/* ---------------------------------------------------------------- RX */

static struct {
	struct chan_fd sock;
	uint64_t last_save;
	struct da_rx rx;
} rx;

const struct da_rx *chan_rx(void)
{
	return &rx.rx;
}

static void on_deliver(void *ctx, uint64_t seq, const uint8_t *m, uint32_t len)
{
	(void)ctx;
	proto->deliver(seq, m, len);
}

static void on_gap(void *ctx, uint64_t first, uint64_t last)
{
	(void)ctx;
	proto->gap(first, last);
}

static void on_epoch(void *ctx, uint64_t old, uint64_t epoch, uint64_t joined)
{
	(void)ctx;
	fprintf(stderr, "diode-agent: %s: epoch %016" PRIx64 ", joined at %" PRIu64 "\n",
		chan_cf.name, epoch, joined);
	proto->epoch(old, epoch, joined);
}

static void save_seq(void *arg, uint64_t s)
{
	fprintf(arg, "%" PRIu64 "\n", s);
}

static void save_lost(void *arg, uint64_t a, uint64_t b)
{
	fprintf(arg, "lost %" PRIu64 " %" PRIu64 "\n", a, b);
}

/* The rx state: what was delivered above base, and what was counted lost
 * below it, so that a replay after a restart is delivered once. The
 * protocol makes its output durable first: what the state calls delivered
 * is in it. */
static void rx_save(void)
{
	char *b = NULL;
	size_t l = 0;
	FILE *f;

	if (proto->rx_commit)
		proto->rx_commit();
	f = open_memstream(&b, &l);
	if (!f)
		return;
	if (rx.rx.have_epoch) {
		fprintf(f, "epoch %016" PRIx64 " joined %" PRIu64 " base %" PRIu64 "\n",
			rx.rx.epoch, rx.rx.joined_at, rx.rx.base);
		da_rx_each_lost(&rx.rx, save_lost, f);
		da_rx_each_delivered(&rx.rx, save_seq, f);
	}
	if (proto->rx_save)
		proto->rx_save(f);
	fclose(f);
	if (chan_write_atomic("rx", b, l, true))
		fprintf(stderr, "diode-agent: %s: cannot save the rx state: %s\n", chan_cf.name, strerror(errno));
	free(b);
}

/* Read back what rx_save wrote; any line that does not check is ignored
 * and counted (the file is input like any other). */
static void rx_load(void)
{
	char p[512], line[128] = "", extra;
	uint64_t epoch, joined, base, a, b, ignored = 0, marked = 0;
	FILE *f;

	chan_path(&chan_cf, p, sizeof(p), "rx");
	f = fopen(p, "r");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;		/* nothing heard before the last stop */
	}
	if (proto->rx_load && proto->rx_load(line)) {
		fclose(f);
		return;		/* the protocol's lines only */
	}
	if (sscanf(line, "epoch %" SCNx64 " joined %" SCNu64 " base %" SCNu64 "%c",
		   &epoch, &joined, &base, &extra) != 4 || extra != '\n' ||
	    !base || !joined || joined > base) {
		fclose(f);
		fprintf(stderr, "diode-agent: %s: %s does not check, ignored\n", chan_cf.name, p);
		return;
	}
	da_rx_resume(&rx.rx, epoch, joined, base);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "lost %" SCNu64 " %" SCNu64 "%c", &a, &b, &extra) == 3 && extra == '\n' &&
		    a >= joined && a <= b && b < base && base - a <= DA_WINDOW &&
		    (marked += b - a + 1) <= DA_WINDOW) {
			for (; a <= b; a++)
				da_rx_mark_lost(&rx.rx, a);
		} else if (proto->rx_load && proto->rx_load(line)) {
			continue;
		} else if (sscanf(line, "%" SCNu64 "%c", &a, &extra) == 2 && extra == '\n' &&
			   a >= base && a - base < DA_WINDOW) {
			da_rx_mark_delivered(&rx.rx, a);
		} else {
			ignored++;
		}
	}
	fclose(f);
	if (ignored)
		fprintf(stderr, "diode-agent: %s: %s: %" PRIu64 " lines do not check, ignored\n",
			chan_cf.name, p, ignored);
	fprintf(stderr, "diode-agent: %s: resuming epoch %016" PRIx64 " at %" PRIu64 "\n",
		chan_cf.name, epoch, base);
}

/* Datagrams from the link, RX_BATCH a system call, up to 512 a turn. */
#define RX_BATCH 32
static void rx_read(struct chan_fd *fd, uint32_t events, uint64_t now)
{
	static uint8_t b[RX_BATCH][65536];
	static struct mmsghdr mh[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	int k, j, n;

	(void)events;
	for (j = 0; j < RX_BATCH; j++) {
		iov[j] = (struct iovec){ b[j], sizeof(b[j]) };
		mh[j].msg_hdr = (struct msghdr){ .msg_iov = &iov[j], .msg_iovlen = 1 };
	}
	for (k = 0; k < 512 / RX_BATCH; k++) {
		n = recvmmsg(fd->fd, mh, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (j = 0; j < n; j++)
			da_rx_input(&rx.rx, b[j], mh[j].msg_len, now);
		if (n < RX_BATCH)
			return;
	}
}

static void rx_start(void)
{
	struct da_rx_ops ops = { on_deliver, on_gap, on_epoch, NULL };

	if (da_rx_init(&rx.rx, chan_cf.id, proto->max_record(), chan_cf.reorder_ms, &ops))
		chan_die("malloc");
	proto->rx_start();
	rx_load();
	rx.sock.fd = chan_bound_socket(&chan_cf.local, SOCK_DGRAM);
	rx.sock.io = rx_read;
	if (chan_cf.device[0] && setsockopt(rx.sock.fd, SOL_SOCKET, SO_BINDTODEVICE,
					    chan_cf.device, strlen(chan_cf.device)))
		chan_die("SO_BINDTODEVICE");
	chan_watch(&rx.sock, EPOLLIN);
}

/* Datagrams the kernel dropped with the socket's buffer full: this host
 * was too slow to read them, the link did not lose them. */
static uint32_t rx_socket_drops(void)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	if (getsockopt(rx.sock.fd, SOL_SOCKET, SO_MEMINFO, mi, &len) ||
	    len <= SK_MEMINFO_DROPS * sizeof(mi[0]))
		return 0;
	return mi[SK_MEMINFO_DROPS];
}

static void rx_status(FILE *f, uint64_t now)
{
	struct da_rx *x = &rx.rx;
	bool up = x->last_heard_ms && now - x->last_heard_ms <
		3 * (x->hb_interval_ms ? x->hb_interval_ms : 1000);
	int r;

	fprintf(f, ",\"link\":\"%s\",\"last_heard_ms\":%" PRId64 ",\"epoch\":\"%016" PRIx64 "\""
		",\"joined_at\":%" PRIu64 ",\"next_expected\":%" PRIu64 ",\"highest\":%" PRIu64,
		up ? "up" : "down", x->last_heard_ms ? (int64_t)(now - x->last_heard_ms) : -1,
		x->epoch, x->joined_at, x->base, x->highest);
	fprintf(f, ",\"datagrams\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"other_channel\":%" PRIu64
		",\"fragments\":%" PRIu64 ",\"heartbeats\":%" PRIu64 ",\"drop_notices\":%" PRIu64
		",\"delivered\":%" PRIu64 ",\"delivered_bytes\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"late\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"gaps\":%" PRIu64
		",\"epochs\":%" PRIu64 ",\"evicted\":%" PRIu64 ",\"state\":%" PRIu64
		",\"state_other_epoch\":%" PRIu64,
		x->c.datagrams, x->c.malformed, x->c.other_channel, x->c.fragments,
		x->c.heartbeats, x->c.drop_notices, x->c.delivered, x->c.delivered_bytes,
		x->c.lost, x->c.late, x->c.duplicates, x->c.gaps, x->c.epochs, x->c.evicted,
		x->c.state, x->c.state_other_epoch);
	for (r = 1; r <= DA_R_MAX; r++)
		fprintf(f, ",\"dropped_%s\":%" PRIu64, da_reason_name(r), x->c.dropped[r]);
	fprintf(f, ",\"too_old\":%" PRIu64 ",\"socket_drops\":%" PRIu32, x->c.too_old,
		rx_socket_drops());
	proto->rx_status(f);
}

/* ---------------------------------------------------------------- loop */

static void status_write(void)
{
	char *b = NULL;
	size_t l = 0;
	FILE *f = open_memstream(&b, &l);

	if (!f)
		return;
	fprintf(f, "{\"channel\":\"%s\",\"id\":%u,\"role\":\"%s\",\"protocol\":\"%s\",\"pid\":%d",
		chan_cf.name, chan_cf.id, chan_cf.tx ? "tx" : "rx", proto->name, (int)getpid());
	if (chan_cf.tx)
		tx_status(f);
	else
		rx_status(f, chan_now_ms());
	fprintf(f, "}\n");
	fclose(f);
	/* a snapshot for `diode-agent status`, written every second: an fsync
	 * here stalled the loop for tens of milliseconds */
	chan_write_atomic("status", b, l, false);
	free(b);
}

int chan_run(const struct chan_proto *p)
{
	struct epoll_event ev[64];
	uint64_t now, next_hb = 0, next_status = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int i, n, timeout;

	proto = p;
	if (mkdir(chan_cf.state_dir, 0700) && errno != EEXIST)
		chan_die(chan_cf.state_dir);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		chan_die("epoll");
	if (chan_cf.tx)
		tx_start();
	else
		rx_start();
	fprintf(stderr, "diode-agent: %s: %s channel %u running\n", chan_cf.name,
		chan_cf.tx ? "tx" : "rx", chan_cf.id);

	while (!stop) {
		now = chan_now_ms();
		timeout = 100;
		if (chan_cf.tx) {
			if (now >= next_hb) {
				tx_heartbeat();
				next_hb = now + chan_cf.heartbeat_ms;
			}
			tx_drain(now);
			tx_pause(tx.qlen >= chan_cf.queue / 2 + 1 && tx.qlen > 0 ? true :
				 tx.qlen <= chan_cf.queue / 4 ? false : tx.paused);
			if (tx.qlen || tx.slen)
				timeout = 1;
		} else {
			int64_t t = da_rx_tick(&rx.rx, now);

			if (t >= 0 && t < timeout)
				timeout = t;
			if (now - rx.last_save >= 5000) {
				rx_save();
				rx.last_save = now;
			}
		}
		if (proto->tick)
			proto->tick(now, &timeout);
		if (now >= next_status) {
			status_write();
			next_status = now + 1000;
		}
		if (chan_cf.tx && tx.jr_on)
			sl_flush(&tx.jr);
		n = epoll_wait(ep, ev, 64, timeout);
		now = chan_now_ms();
		for (i = 0; i < n; i++) {
			struct chan_fd *f = ev[i].data.ptr;

			f->io(f, ev[i].events, now);
			if (chan_cf.tx)
				tx_drain(now);
		}
	}
	if (chan_cf.tx) {
		tx_stop();
	} else {
		/* up to 2 s for the protocol's output; what is left stays
		 * where the protocol keeps it */
		for (i = 0; i < 200 && proto->rx_draining && proto->rx_draining(chan_now_ms()); i++)
			usleep(10000);
		rx_save();
	}
	status_write();
	if (proto->stop)
		proto->stop();
	if (chan_cf.tx && tx.jr_on)
		sl_close(&tx.jr);
	return exit_status;
}
