// SPDX-License-Identifier: GPL-2.0
/*
 * diode-agent: one channel of a unidirectional gateway. A tx agent takes
 * syslog over UDP and TCP on the OT side and sends it through diode0 with
 * the one-way transport (transport.c); an rx agent rebuilds it on the IT
 * side and forwards it to a collector. See docs/agents.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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

#include "agent.h"
#include "budget.h"
#include "conf.h"
#include "seglog.h"
#include "transport.h"

#define LEASE 65536		/* sequence numbers reserved in the state file */
#define MAX_DGRAM 65507

static volatile sig_atomic_t stop;
static struct conf cf;
static int ep;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
	fprintf(stderr, "diode-agent: %s: %s: %s\n", cf.name, what, strerror(errno));
	exit(1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void agent_path(const struct conf *c, char *buf, size_t len, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", c->state_dir, c->name, ext);
}

static void path(char *buf, size_t len, const char *ext)
{
	agent_path(&cf, buf, len, ext);
}

/* Write a state file whole or not at all: a new file, flushed, renamed. */
static int write_atomic(const char *ext, const char *data, size_t len)
{
	char p[512], tmp[520];
	int fd;

	path(p, sizeof(p), ext);
	snprintf(tmp, sizeof(tmp), "%s.new", p);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd)) {
		close(fd);
		return -1;
	}
	close(fd);
	return rename(tmp, p);
}

static void add_fd(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event e = { .events = events, .data.u64 = tag };

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
		die("epoll");
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int bound_socket(const struct addr *a, int type)
{
	int one = 1, fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int big = 8 << 20;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (type == SOCK_DGRAM && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len))
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 128))
		die("listen");
	return fd;
}

/* ---------------------------------------------------------------- TX */

enum { TAG_UDP = 1, TAG_LISTEN, TAG_CONN_BASE = 1 << 20 };

struct msg {
	uint32_t len;
	uint8_t data[];
};

struct conn {
	int fd;
	bool paused, octet, lf, known;
	size_t have;
	size_t skip;			/* bytes of a too-large frame left */
	struct sockaddr_storage from;
	uint8_t *buf;
};

static struct {
	int sock, udp, tcp;
	uint64_t epoch, next, lease_to;
	size_t dgram;			/* UDP payload bytes per datagram */
	struct msg **q;
	size_t qhead, qlen;
	struct conn **conns;
	size_t nconns;
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
	uint64_t rx_udp, rx_tcp, rx_bytes, accepted, conns_closed, too_large,
		 garbage, dropped_queue, sent_msgs, sent_dgrams, sent_bytes,
		 send_errors, pauses, heartbeats, restart_drop;
} tx;

static void tx_save(bool clean)
{
	char b[256];
	int n = snprintf(b, sizeof(b), "epoch %016" PRIx64 "\nlease %" PRIu64 " %" PRIu64 "\nclean %d\n",
			 tx.epoch, clean ? tx.next : tx.lease_to - LEASE,
			 clean ? tx.next : tx.lease_to, clean);

	if (write_atomic("tx", b, n))
		die("cannot write the state file");
}

static void tx_load(void)
{
	char p[512];
	uint64_t from, to;
	int clean;
	FILE *f;

	path(p, sizeof(p), "tx");
	f = fopen(p, "r");
	if (!f) {
		if (errno != ENOENT)
			die(p);
		if (getrandom(&tx.epoch, sizeof(tx.epoch), 0) != sizeof(tx.epoch))
			die("getrandom");
		tx.next = 1;
		fprintf(stderr, "diode-agent: %s: new epoch %016" PRIx64 "\n", cf.name, tx.epoch);
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
			cf.name, tx.epoch, tx.next);
	}
	tx.lease_to = tx.next + LEASE;
	tx_save(false);
}

int agent_tx_epoch(const struct conf *c, uint64_t *epoch)
{
	char p[512];
	uint64_t from, to;
	int clean;
	FILE *f;

	agent_path(c, p, sizeof(p), "tx");
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

size_t agent_dgram(int sock, const struct conf *c)
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
	tx.dgram = agent_dgram(tx.sock, &cf);
}

int agent_tx_socket(const struct conf *c, bool any_port)
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
	struct da_hdr h = { .type = DA_DROP, .channel = cf.id, .epoch = tx.epoch };
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
	struct da_hdr h = { .type = DA_HEARTBEAT, .channel = cf.id,
			    .epoch = tx.epoch, .seq = tx.next - 1, .msg_len = 4 };
	uint32_t iv = htonl(cf.heartbeat_ms);

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

	if (!cf.rate_bps)
		return true;
	cap = cf.rate_bps / 8.0 / 10;	/* a burst of 100 ms */
	if (cap < 2 * MAX_DGRAM)
		cap = 2 * MAX_DGRAM;
	tx.tokens += (now - tx.tokens_at) * (cf.rate_bps / 8000.0);
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
	tx.qhead = (tx.qhead + 1) % cf.queue;
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
		size_t n = da_put_fragment(tx.out, cf.id, tx.epoch, tx.next,
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
	if (cf.rate_bps)
		tx.tokens -= cost;
	tx_sent();
	return true;
}

/*
 * The messages at the head of the queue that fit a datagram alone, packed
 * into BATCH datagrams (one that goes alone as DATA) and sent TX_BATCH
 * datagrams a system call: false to stop draining until retry_at (or until
 * there is Rate again).
 */
#define TX_BATCH 32
static bool tx_send_batch(uint64_t now)
{
	static uint8_t out[TX_BATCH][MAX_DGRAM];
	static struct mmsghdr mh[TX_BATCH];
	static struct iovec iov[TX_BATCH];
	size_t cost[TX_BATCH], taken = 0;
	uint16_t nmsg[TX_BATCH];
	int k, j, r, e;

	for (k = 0; k < TX_BATCH && taken < tx.qlen; k++) {
		struct msg *m = tx.q[(tx.qhead + taken) % cf.queue];
		struct da_batch b;

		if (m->len + DA_HDR_LEN > tx.dgram)
			break;		/* it needs fragments */
		da_batch_start(&b, out[k], tx.dgram);
		while (taken + b.n < tx.qlen) {
			struct msg *n = tx.q[(tx.qhead + taken + b.n) % cf.queue];

			if (!da_batch_add(&b, n->data, n->len))
				break;
		}
		if (b.n > 1) {
			iov[k].iov_len = da_batch_end(&b, cf.id, tx.epoch, tx.next + taken);
		} else {
			/* alone, or filling a DATA datagram but not a BATCH one */
			iov[k].iov_len = da_put_fragment(out[k], cf.id, tx.epoch, tx.next + taken,
							 m->data, m->len, m->len, 1, 0);
			b.n = 1;
		}
		cost[k] = iov[k].iov_len + 28;
		if (!tx_may_send(cost[k], now))
			break;
		if (cf.rate_bps)
			tx.tokens -= cost[k];
		iov[k].iov_base = out[k];
		mh[k].msg_hdr = (struct msghdr){ .msg_iov = &iov[k], .msg_iovlen = 1 };
		nmsg[k] = b.n;
		taken += b.n;
	}
	if (!k)
		return false;
	tx_lease(taken);
	for (j = 0; j < k;) {
		r = sendmmsg(tx.sock, mh + j, k - j, 0);
		if (r > 0) {
			for (; r > 0; r--, j++) {
				tx.sent_dgrams++;
				tx.sent_bytes += iov[j].iov_len;
				while (nmsg[j]--)
					tx_sent();
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
		if ((e == EMSGSIZE && iov[j].iov_len > tx.dgram) ||
		    e == ENOBUFS || e == EAGAIN || e == EPERM) {
			/* not sent: built again, smaller now or after a pause */
			for (; j < k && cf.rate_bps; j++)
				tx.tokens += cost[j];
			if (e != EMSGSIZE)
				tx.retry_at = now + 10;
			return e == EMSGSIZE;
		}
		/* given up: the rx counts its messages lost */
		while (nmsg[j]--)
			tx_sent();
		j++;
	}
	return true;
}

/* Send what the queue holds, as far as the rate and the socket allow. */
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
}

static void tx_pause(bool on)
{
	size_t i;

	if (tx.paused == on)
		return;
	tx.paused = on;
	if (on)
		tx.pauses++;
	for (i = 0; i < tx.nconns; i++) {
		struct epoll_event e = { .events = on ? 0 : EPOLLIN,
					 .data.u64 = TAG_CONN_BASE + i };

		if (tx.conns[i])
			epoll_ctl(ep, EPOLL_CTL_MOD, tx.conns[i]->fd, &e);
	}
}

static void tx_enqueue(int proto, const struct sockaddr_storage *from,
		       const uint8_t *data, size_t len)
{
	struct msg *m;
	uint8_t *h;

	if (len > cf.max_message) {
		tx.too_large++;
		tx_drop(DA_R_TOO_LARGE);
		return;
	}
	if (tx.qlen == cf.queue) {
		tx.dropped_queue++;
		tx_drop(DA_R_QUEUE_FULL);
		return;
	}
	m = malloc(sizeof(*m) + SYSLOG_HDR + len);
	if (!m) {
		tx.dropped_queue++;
		tx_drop(DA_R_QUEUE_FULL);
		return;
	}
	m->len = SYSLOG_HDR + len;
	h = m->data;
	memset(h, 0, SYSLOG_HDR);
	h[0] = 1;
	h[1] = proto;
	if (from->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)from;

		h[4] = 6;
		memcpy(h + 2, &s->sin6_port, 2);
		memcpy(h + 8, &s->sin6_addr, 16);
	} else {
		const struct sockaddr_in *s = (const void *)from;

		h[4] = 4;
		memcpy(h + 2, &s->sin_port, 2);
		h[18] = h[19] = 0xff;
		memcpy(h + 20, &s->sin_addr, 4);
	}
	memcpy(h + SYSLOG_HDR, data, len);
	tx.q[(tx.qhead + tx.qlen) % cf.queue] = m;
	tx.qlen++;
	tx.rx_bytes += len;
}

static void tx_udp_read(void)
{
	static uint8_t buf[65536];
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;
	int i;

	for (i = 0; i < 256; i++) {
		fl = sizeof(from);
		n = recvfrom(tx.udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		tx.rx_udp++;
		tx_enqueue(1, &from, buf, n);
	}
}

static void conn_close(size_t i)
{
	struct conn *c = tx.conns[i];

	close(c->fd);
	free(c->buf);
	free(c);
	tx.conns[i] = NULL;
	tx.conns_closed++;
}

static void tx_accept(void)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct conn *c;
	size_t i;
	int fd;

	while ((fd = accept4(tx.tcp, (struct sockaddr *)&from, &fl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		fl = sizeof(from);
		for (i = 0; i < tx.nconns && tx.conns[i]; i++)
			;
		if (i == tx.nconns) {
			tx.conns = realloc(tx.conns, ++tx.nconns * sizeof(*tx.conns));
			if (!tx.conns)
				die("realloc");
		}
		c = calloc(1, sizeof(*c));
		if (!c || !(c->buf = malloc(cf.max_message + 16)))
			die("malloc");
		c->fd = fd;
		c->from = from;
		tx.conns[i] = c;
		tx.accepted++;
		add_fd(fd, tx.paused ? 0 : EPOLLIN, TAG_CONN_BASE + i);
	}
}

/* Frames out of a connection's buffer (RFC 6587): -1 to close it. */
static int tx_frames(struct conn *c)
{
	size_t off = 0;

	while (off < c->have && tx.qlen < cf.queue) {
		uint8_t *p = c->buf + off;
		size_t left = c->have - off, i, len = 0;

		if (c->skip) {
			size_t n = left < c->skip ? left : c->skip;

			c->skip -= n;
			off += n;
			continue;
		}
		if (!c->known) {
			c->known = true;
			c->octet = p[0] >= '1' && p[0] <= '9';
		}
		if (c->octet) {
			for (i = 0; i < left && i < 8 && p[i] >= '0' && p[i] <= '9'; i++)
				len = len * 10 + (p[i] - '0');
			if (i == left)
				break;
			if (p[i] != ' ' || !i || p[0] == '0') {
				tx.garbage++;
				return -1;
			}
			if (len > cf.max_message) {
				tx.too_large++;
				tx_drop(DA_R_TOO_LARGE);
				c->skip = len;
				off += i + 1;
				continue;
			}
			if (left < i + 1 + len)
				break;
			tx.rx_tcp++;
			tx_enqueue(2, &c->from, p + i + 1, len);
			off += i + 1 + len;
		} else {
			uint8_t *lf = memchr(p, '\n', left);

			if (!lf) {
				if (left > cf.max_message) {
					/* the rest of this frame is skipped up to its LF */
					tx.too_large++;
					tx_drop(DA_R_TOO_LARGE);
					c->lf = true;
					off = c->have;
				}
				break;
			}
			if (c->lf) {
				c->lf = false;
			} else if (lf - p > 0) {
				tx.rx_tcp++;
				tx_enqueue(3, &c->from, p, lf - p);
			}
			off += lf - p + 1;
		}
	}
	memmove(c->buf, c->buf + off, c->have - off);
	c->have -= off;
	return 0;
}

static void tx_conn_read(size_t i)
{
	struct conn *c = tx.conns[i];
	ssize_t n;

	if (!c)
		return;
	if (c->lf && c->have) {
		/* inside a too-large LF frame: look for its end only */
		uint8_t *lf = memchr(c->buf, '\n', c->have);

		if (!lf)
			c->have = 0;
	}
	n = read(c->fd, c->buf + c->have, cf.max_message + 16 - c->have);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		tx_frames(c);
		conn_close(i);
		return;
	}
	c->have += n;
	if (c->lf) {
		uint8_t *lf = memchr(c->buf, '\n', c->have);

		if (!lf) {
			c->have = 0;
			return;
		}
		c->lf = false;
		c->have -= lf + 1 - c->buf;
		memmove(c->buf, lf + 1, c->have);
	}
	if (tx_frames(c))
		conn_close(i);
}

/* ---------------------------------------------------------------- RX */

static struct {
	int sock, coll;
	bool connected, connecting;
	uint64_t retry_at, last_save;
	struct da_rx rx;
	struct sl spool;		/* frames for a tcp collector, on disk */
	struct sl_cursor rd, done;	/* read into out; written whole */
	uint8_t *out;			/* frames read from the spool: LEN SP MSG */
	size_t out_len, out_sent, out_cap, frame_start;
	uint64_t fwd_msgs, fwd_gaps, coll_errors, coll_connects;
	/* what a full spool refused, announced as a gap once there is room */
	uint64_t run_msgs, run_notices, run_first, run_last;
	uint64_t spool_dropped, spool_dropped_notices, spool_corrupt;
	char host[256];
} rx;

/* An RFC 5424 message of this agent into b[1024]: its length. */
static int rfc5424(char *b, const char *msgid, const char *sd, const char *text)
{
	char ts[64];
	struct timespec t;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(b, 1024, "<44>1 %s.%06ldZ %s diode-agent %d %s %s %s",
		     ts, t.tv_nsec / 1000, rx.host, (int)getpid(), msgid, sd, text);
	return n < 1024 ? n : 1023;
}

/* The messages a full spool refused, as one gap, when it has room again. */
static void rx_spool_notice(void)
{
	char sd[320], text[160], b[1024];
	int n;

	if (!rx.run_msgs && !rx.run_notices)
		return;
	snprintf(sd, sizeof(sd), "[diode-gap@32473 channel=\"%s\" epoch=\"%016" PRIx64
		 "\" first=\"%" PRIu64 "\" last=\"%" PRIu64 "\" count=\"%" PRIu64
		 "\" reason=\"spool-full\" notices=\"%" PRIu64 "\"]",
		 cf.name, rx.rx.epoch, rx.run_first, rx.run_last, rx.run_msgs, rx.run_notices);
	snprintf(text, sizeof(text), "%" PRIu64 " messages and %" PRIu64
		 " notices dropped: the spool was full", rx.run_msgs, rx.run_notices);
	n = rfc5424(b, "gap", sd, text);
	if (sl_append(&rx.spool, 0, b, n))
		return;
	rx.fwd_gaps++;
	rx.run_msgs = rx.run_notices = 0;
}

/* A message for the collector (key: its sequence number, 0 a notice). */
static void rx_queue(uint64_t key, const uint8_t *m, size_t len)
{
	if (!cf.collector_tcp) {
		if (sendto(rx.coll, m, len, 0, (const struct sockaddr *)&cf.collector.ss,
			   cf.collector.len) < 0)
			rx.coll_errors++;
		return;
	}
	rx_spool_notice();
	/* while a refusal is not announced, nothing passes it */
	if (!rx.run_msgs && !rx.run_notices && !sl_append(&rx.spool, key, m, len))
		return;
	if (!key) {
		rx.run_notices++;
		rx.spool_dropped_notices++;
		return;
	}
	if (!rx.run_msgs || key < rx.run_first)
		rx.run_first = key;
	if (!rx.run_msgs || key > rx.run_last)
		rx.run_last = key;
	rx.run_msgs++;
	rx.spool_dropped++;
}

/* Frames from the spool into out, about 1 MiB ahead of the socket. */
static void rx_fill(void)
{
	while (rx.out_len - rx.frame_start < (1u << 20)) {
		const uint8_t *d;
		uint64_t key;
		uint32_t len;
		char pre[16];
		int pl, r = sl_read(&rx.spool, &rx.rd, &key, &d, &len);

		if (!r)
			return;
		if (r < 0) {
			/* a segment damaged since it was checked: what is left
			 * of it goes, once what came before is written */
			if (rx.frame_start == rx.out_len) {
				fprintf(stderr, "diode-agent: %s: spool segment %016" PRIx64
					" does not check, the rest of it skipped\n", cf.name, rx.rd.seg);
				rx.spool_corrupt++;
				sl_skip(&rx.spool, &rx.rd);
				rx.done = rx.rd;
			}
			return;
		}
		pl = snprintf(pre, sizeof(pre), "%u ", len);
		if (rx.out_len + pl + len > rx.out_cap) {
			if (rx.frame_start) {
				memmove(rx.out, rx.out + rx.frame_start, rx.out_len - rx.frame_start);
				rx.out_len -= rx.frame_start;
				rx.out_sent -= rx.frame_start;
				rx.frame_start = 0;
			}
			while (rx.out_len + pl + len > rx.out_cap) {
				rx.out_cap = rx.out_cap ? 2 * rx.out_cap : 1 << 21;
				rx.out = realloc(rx.out, rx.out_cap);
				if (!rx.out)
					die("realloc");
			}
		}
		memcpy(rx.out + rx.out_len, pre, pl);
		memcpy(rx.out + rx.out_len + pl, d, len);
		rx.out_len += pl + len;
	}
}

static void on_deliver(void *ctx, uint64_t seq, const uint8_t *m, uint32_t len)
{
	(void)ctx;
	(void)seq;
	if (len < SYSLOG_HDR || m[0] != 1)
		return;
	rx.fwd_msgs++;
	rx_queue(seq, m + SYSLOG_HDR, len - SYSLOG_HDR);
}

static void on_gap(void *ctx, uint64_t first, uint64_t last)
{
	char sd[256], text[128], b[1024];

	(void)ctx;
	snprintf(sd, sizeof(sd), "[diode-gap@32473 channel=\"%s\" epoch=\"%016" PRIx64
		 "\" first=\"%" PRIu64 "\" last=\"%" PRIu64 "\" count=\"%" PRIu64 "\"]",
		 cf.name, rx.rx.epoch, first, last, last - first + 1);
	snprintf(text, sizeof(text), "%" PRIu64 " messages lost", last - first + 1);
	rx.fwd_gaps++;
	rx_queue(0, (uint8_t *)b, rfc5424(b, "gap", sd, text));
}

static void on_epoch(void *ctx, uint64_t old, uint64_t epoch, uint64_t joined)
{
	char sd[256], b[1024];

	(void)ctx;
	snprintf(sd, sizeof(sd), "[diode-epoch@32473 channel=\"%s\" old=\"%016" PRIx64
		 "\" epoch=\"%016" PRIx64 "\" joined=\"%" PRIu64 "\"]", cf.name, old, epoch, joined);
	fprintf(stderr, "diode-agent: %s: epoch %016" PRIx64 ", joined at %" PRIu64 "\n",
		cf.name, epoch, joined);
	rx_queue(0, (uint8_t *)b, rfc5424(b, "epoch", sd, "sender epoch"));
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
 * below it, so that a replay after a restart is delivered once. The spool
 * is made durable first: what the state calls delivered is in it. */
static void rx_save(void)
{
	char *b = NULL;
	size_t l = 0;
	FILE *f;

	if (cf.collector_tcp) {
		sl_writeback(&rx.spool);
		if (sl_save_cursor(&rx.spool, &rx.done))
			fprintf(stderr, "diode-agent: %s: cannot save the spool's cursor: %s\n",
				cf.name, strerror(errno));
	}
	f = open_memstream(&b, &l);
	if (!f)
		return;
	if (rx.rx.have_epoch) {
		fprintf(f, "epoch %016" PRIx64 " joined %" PRIu64 " base %" PRIu64 "\n",
			rx.rx.epoch, rx.rx.joined_at, rx.rx.base);
		da_rx_each_lost(&rx.rx, save_lost, f);
		da_rx_each_delivered(&rx.rx, save_seq, f);
	}
	if (rx.run_msgs || rx.run_notices)
		fprintf(f, "refused %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			rx.run_msgs, rx.run_notices, rx.run_first, rx.run_last);
	fclose(f);
	if (write_atomic("rx", b, l))
		fprintf(stderr, "diode-agent: %s: cannot save the rx state: %s\n", cf.name, strerror(errno));
	free(b);
}

/* What a full spool refused and did not announce yet: announced later. */
static bool rx_load_refused(const char *line)
{
	uint64_t m, n, a, b;
	char extra;

	if (sscanf(line, "refused %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 "%c",
		   &m, &n, &a, &b, &extra) != 5 || extra != '\n')
		return false;
	if (m > UINT32_MAX || n > UINT32_MAX || a > b || (m && !a))
		return false;
	rx.run_msgs = m;
	rx.run_notices = n;
	rx.run_first = a;
	rx.run_last = b;
	return true;
}

/* Read back what rx_save wrote; any line that does not check is ignored
 * and counted (the file is input like any other). */
static void rx_load(void)
{
	char p[512], line[128] = "", extra;
	uint64_t epoch, joined, base, a, b, ignored = 0, marked = 0;
	FILE *f;

	path(p, sizeof(p), "rx");
	f = fopen(p, "r");
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;		/* nothing heard before the last stop */
	}
	if (rx_load_refused(line)) {
		fclose(f);
		return;
	}
	if (sscanf(line, "epoch %" SCNx64 " joined %" SCNu64 " base %" SCNu64 "%c",
		   &epoch, &joined, &base, &extra) != 4 || extra != '\n' ||
	    !base || !joined || joined > base) {
		fclose(f);
		fprintf(stderr, "diode-agent: %s: %s does not check, ignored\n", cf.name, p);
		return;
	}
	da_rx_resume(&rx.rx, epoch, joined, base);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "lost %" SCNu64 " %" SCNu64 "%c", &a, &b, &extra) == 3 && extra == '\n' &&
		    a >= joined && a <= b && b < base && base - a <= DA_WINDOW &&
		    (marked += b - a + 1) <= DA_WINDOW) {
			for (; a <= b; a++)
				da_rx_mark_lost(&rx.rx, a);
		} else if (rx_load_refused(line)) {
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
			cf.name, p, ignored);
	fprintf(stderr, "diode-agent: %s: resuming epoch %016" PRIx64 " at %" PRIu64 "\n",
		cf.name, epoch, base);
}

static void coll_connect(uint64_t now)
{
	int one = 1;

	rx.coll = socket(cf.collector.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rx.coll < 0)
		die("socket");
	setsockopt(rx.coll, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(rx.coll, (const struct sockaddr *)&cf.collector.ss, cf.collector.len) &&
	    errno != EINPROGRESS) {
		close(rx.coll);
		rx.coll = -1;
		rx.retry_at = now + 500;
		return;
	}
	rx.connecting = true;
	add_fd(rx.coll, EPOLLOUT, 2);
}

static void coll_lost(uint64_t now)
{
	rx.coll_errors++;
	close(rx.coll);
	rx.coll = -1;
	rx.connected = rx.connecting = false;
	/* a frame half written is written again whole */
	rx.out_sent = rx.frame_start;
	rx.retry_at = now + 500;
}

/* Move frame_start (and the spool's cursor) past the frames written whole;
 * the spool's segments read whole are removed. */
static void coll_frames(void)
{
	uint64_t seg = rx.done.seg;

	while (rx.frame_start < rx.out_sent) {
		size_t len = 0, i = rx.frame_start;

		while (rx.out[i] != ' ')
			len = len * 10 + (rx.out[i++] - '0');
		if (i + 1 + len > rx.out_sent)
			break;
		rx.frame_start = i + 1 + len;
		sl_advance(&rx.spool, &rx.done, len);
	}
	if (rx.done.seg != seg)
		sl_release(&rx.spool, &rx.done);
}

static void coll_write(uint64_t now)
{
	ssize_t n;
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 2 };

	if (!cf.collector_tcp)
		return;
	if (rx.coll < 0) {
		if (now >= rx.retry_at)
			coll_connect(now);
		return;
	}
	if (rx.connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(rx.coll, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			coll_lost(now);
			return;
		}
		struct pollfd pf = { .fd = rx.coll, .events = POLLOUT };
		if (poll(&pf, 1, 0) != 1)
			return;
		rx.connecting = false;
		rx.connected = true;
		rx.coll_connects++;
	}
	rx_fill();
	while (rx.out_sent < rx.out_len) {
		n = send(rx.coll, rx.out + rx.out_sent, rx.out_len - rx.out_sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			coll_lost(now);
			return;
		}
		rx.out_sent += n;
		if (rx.out_sent == rx.out_len) {
			coll_frames();
			rx_fill();
		}
	}
	coll_frames();
	if (rx.out_sent == rx.out_len) {
		rx.out_len = rx.out_sent = rx.frame_start = 0;
	}
	e.events = EPOLLIN | (rx.out_sent < rx.out_len ? EPOLLOUT : 0);
	epoll_ctl(ep, EPOLL_CTL_MOD, rx.coll, &e);
}

/* The collector never sends; a read of 0 is its end. */
static void coll_read(uint64_t now)
{
	char b[512];
	ssize_t n = recv(rx.coll, b, sizeof(b), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && !rx.connecting))
		coll_lost(now);
}

/* Datagrams from the link, RX_BATCH a system call, up to 512 a turn. */
#define RX_BATCH 32
static void rx_read(uint64_t now)
{
	static uint8_t b[RX_BATCH][65536];
	static struct mmsghdr mh[RX_BATCH];
	static struct iovec iov[RX_BATCH];
	int k, j, n;

	for (j = 0; j < RX_BATCH; j++) {
		iov[j] = (struct iovec){ b[j], sizeof(b[j]) };
		mh[j].msg_hdr = (struct msghdr){ .msg_iov = &iov[j], .msg_iovlen = 1 };
	}
	for (k = 0; k < 512 / RX_BATCH; k++) {
		n = recvmmsg(rx.sock, mh, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (j = 0; j < n; j++)
			da_rx_input(&rx.rx, b[j], mh[j].msg_len, now);
		if (n < RX_BATCH)
			return;
	}
}

/* ---------------------------------------------------------------- status */

static void status_write(void)
{
	char *b = NULL;
	size_t l = 0;
	FILE *f = open_memstream(&b, &l);
	uint64_t now = now_ms();
	int r;

	if (!f)
		return;
	fprintf(f, "{\"channel\":\"%s\",\"id\":%u,\"role\":\"%s\",\"protocol\":\"syslog\",\"pid\":%d",
		cf.name, cf.id, cf.tx ? "tx" : "rx", (int)getpid());
	if (cf.tx) {
		fprintf(f, ",\"epoch\":\"%016" PRIx64 "\",\"next_seq\":%" PRIu64 ",\"datagram\":%zu"
			",\"received_udp\":%" PRIu64 ",\"received_tcp\":%" PRIu64 ",\"received_bytes\":%" PRIu64
			",\"connections\":%" PRIu64 ",\"connections_closed\":%" PRIu64
			",\"too_large\":%" PRIu64 ",\"garbage\":%" PRIu64 ",\"dropped_queue_full\":%" PRIu64
			",\"restart_skipped\":%" PRIu64 ",\"queued\":%zu,\"paused\":%" PRIu64
			",\"sent_messages\":%" PRIu64 ",\"sent_datagrams\":%" PRIu64 ",\"sent_bytes\":%" PRIu64
			",\"send_errors\":%" PRIu64 ",\"heartbeats\":%" PRIu64,
			tx.epoch, tx.next, tx.dgram, tx.rx_udp, tx.rx_tcp, tx.rx_bytes, tx.accepted,
			tx.conns_closed, tx.too_large, tx.garbage, tx.dropped_queue, tx.restart_drop,
			tx.qlen, tx.pauses, tx.sent_msgs, tx.sent_dgrams, tx.sent_bytes, tx.send_errors,
			tx.heartbeats);
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
				cf.link, cf.priority, tx.bg.refused);
	} else {
		struct da_rx *x = &rx.rx;
		bool up = x->last_heard_ms && now - x->last_heard_ms <
			3 * (x->hb_interval_ms ? x->hb_interval_ms : 1000);

		fprintf(f, ",\"link\":\"%s\",\"last_heard_ms\":%" PRId64 ",\"epoch\":\"%016" PRIx64 "\""
			",\"joined_at\":%" PRIu64 ",\"next_expected\":%" PRIu64 ",\"highest\":%" PRIu64,
			up ? "up" : "down", x->last_heard_ms ? (int64_t)(now - x->last_heard_ms) : -1,
			x->epoch, x->joined_at, x->base, x->highest);
		fprintf(f, ",\"datagrams\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"other_channel\":%" PRIu64
			",\"fragments\":%" PRIu64 ",\"heartbeats\":%" PRIu64 ",\"drop_notices\":%" PRIu64
			",\"delivered\":%" PRIu64 ",\"delivered_bytes\":%" PRIu64 ",\"lost\":%" PRIu64
			",\"late\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"gaps\":%" PRIu64
			",\"epochs\":%" PRIu64 ",\"evicted\":%" PRIu64,
			x->c.datagrams, x->c.malformed, x->c.other_channel, x->c.fragments,
			x->c.heartbeats, x->c.drop_notices, x->c.delivered, x->c.delivered_bytes,
			x->c.lost, x->c.late, x->c.duplicates, x->c.gaps, x->c.epochs, x->c.evicted);
		for (r = 1; r <= DA_R_MAX; r++)
			fprintf(f, ",\"dropped_%s\":%" PRIu64, da_reason_name(r), x->c.dropped[r]);
		fprintf(f, ",\"too_old\":%" PRIu64 ",\"collector\":\"%s\",\"forwarded\":%" PRIu64
			",\"gap_messages\":%" PRIu64 ",\"spool_bytes\":%" PRIu64 ",\"spool_dropped\":%" PRIu64
			",\"spool_dropped_notices\":%" PRIu64 ",\"spool_set_aside\":%" PRIu64
			",\"spool_corrupt\":%" PRIu64 ",\"collector_errors\":%" PRIu64
			",\"collector_connects\":%" PRIu64,
			x->c.too_old, !cf.collector_tcp ? "udp" : rx.connected ? "connected" : "down",
			rx.fwd_msgs, rx.fwd_gaps, rx.spool.total, rx.spool_dropped,
			rx.spool_dropped_notices, rx.spool.set_aside, rx.spool_corrupt,
			rx.coll_errors, rx.coll_connects);
	}
	fprintf(f, "}\n");
	fclose(f);
	write_atomic("status", b, l);
	free(b);
}

static int status_cmd(const char *file, bool json)
{
	char p[512], b[8192], *s, *e;
	size_t n;
	FILE *f;

	if (conf_load(&cf, file))
		return 1;
	path(p, sizeof(p), "status");
	f = fopen(p, "r");
	if (!f) {
		fprintf(stderr, "diode-agent: %s: %s\n", p, strerror(errno));
		return 1;
	}
	n = fread(b, 1, sizeof(b) - 1, f);
	fclose(f);
	b[n] = 0;
	if (json) {
		fputs(b, stdout);
		return 0;
	}
	/* {"k":v,...} as "k: v" lines */
	for (s = b + 1; *s && *s != '}';) {
		char *colon = strchr(s, ':');

		if (!colon)
			break;
		e = colon + 1;
		if (*e == '"')
			e = strchr(e + 1, '"') + 1;
		else
			e += strcspn(e, ",}");
		printf("%.*s: %.*s\n", (int)(colon - s - 2), s + 1,
		       (int)(e - colon - 1 - (colon[1] == '"') * 2), colon + 1 + (colon[1] == '"'));
		s = *e == ',' ? e + 1 : e;
	}
	return 0;
}

/* ---------------------------------------------------------------- main */

static int run(const char *file)
{
	struct epoll_event ev[64];
	uint64_t now, next_hb = 0, next_status = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	int i, n, timeout;

	if (conf_load(&cf, file))
		return 1;
	if (mkdir(cf.state_dir, 0700) && errno != EEXIST)
		die(cf.state_dir);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll");
	if (cf.tx) {
		tx_load();
		if (cf.journal_bytes) {
			char p[512];

			path(p, sizeof(p), "journal");
			if (sl_open(&tx.jr, p, "DAJ1", tx.epoch, cf.journal_bytes,
				    AGENT_MAX_REC, true, false, cf.name))
				exit(1);
			tx.jr_on = true;
			tx_journal_restart();
		}
		if (cf.link[0]) {
			char p[512];

			snprintf(p, sizeof(p), "%s/link-%s.budget", cf.state_dir, cf.link);
			if (bg_open(&tx.bg, p, cf.link_rate_bps, cf.priority))
				exit(1);
			tx.bg_on = true;
		}
		tx.q = calloc(cf.queue, sizeof(*tx.q));
		if (!tx.q)
			die("calloc");
		tx.sock = agent_tx_socket(&cf, false);
		if (tx.sock < 0)
			exit(1);
		nonblock(tx.sock);
		tx_mtu();
		tx.tokens_at = now_ms();
		if (cf.listen_udp.set) {
			tx.udp = bound_socket(&cf.listen_udp, SOCK_DGRAM);
			add_fd(tx.udp, EPOLLIN, TAG_UDP);
		}
		if (cf.listen_tcp.set) {
			tx.tcp = bound_socket(&cf.listen_tcp, SOCK_STREAM);
			add_fd(tx.tcp, EPOLLIN, TAG_LISTEN);
		}
		if (tx.ndrops)
			tx_send_drops(false);
	} else {
		struct da_rx_ops ops = { on_deliver, on_gap, on_epoch, NULL };

		gethostname(rx.host, sizeof(rx.host) - 1);
		if (!rx.host[0] || strchr(rx.host, ' '))
			strcpy(rx.host, "-");
		if (da_rx_init(&rx.rx, cf.id, cf.max_message + SYSLOG_HDR, cf.reorder_ms, &ops))
			die("malloc");
		if (cf.collector_tcp) {
			char p[512];

			path(p, sizeof(p), "spool");
			if (sl_open(&rx.spool, p, "DAS1", 0, cf.spool_bytes, AGENT_MAX_REC,
				    false, false, cf.name))
				exit(1);
			sl_load_cursor(&rx.spool, &rx.done);
			rx.rd = rx.done;
			if (!sl_empty(&rx.spool, &rx.done))
				fprintf(stderr, "diode-agent: %s: %" PRIu64 " bytes spooled for the collector\n",
					cf.name, rx.spool.total);
		}
		rx_load();
		rx.sock = bound_socket(&cf.local, SOCK_DGRAM);
		if (cf.device[0] && setsockopt(rx.sock, SOL_SOCKET, SO_BINDTODEVICE, cf.device, strlen(cf.device)))
			die("SO_BINDTODEVICE");
		add_fd(rx.sock, EPOLLIN, 1);
		rx.coll = -1;
		if (!cf.collector_tcp) {
			rx.coll = socket(cf.collector.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (rx.coll < 0)
				die("socket");
		}
	}
	fprintf(stderr, "diode-agent: %s: %s channel %u running\n", cf.name, cf.tx ? "tx" : "rx", cf.id);

	while (!stop) {
		now = now_ms();
		timeout = 100;
		if (cf.tx) {
			if (now >= next_hb) {
				tx_heartbeat();
				next_hb = now + cf.heartbeat_ms;
			}
			tx_drain(now);
			tx_pause(tx.qlen >= cf.queue / 2 + 1 && tx.qlen > 0 ? true :
				 tx.qlen <= cf.queue / 4 ? false : tx.paused);
			if (tx.qlen)
				timeout = 1;
		} else {
			int64_t t = da_rx_tick(&rx.rx, now);

			if (t >= 0 && t < timeout)
				timeout = t;
			if (cf.collector_tcp) {
				rx_spool_notice();
				coll_write(now);
			}
			if (cf.collector_tcp && rx.coll < 0)
				timeout = timeout < 100 ? timeout : 100;
			if (now - rx.last_save >= 5000) {
				rx_save();
				rx.last_save = now;
			}
		}
		if (now >= next_status) {
			status_write();
			next_status = now + 1000;
		}
		if (cf.tx && tx.jr_on)
			sl_flush(&tx.jr);
		n = epoll_wait(ep, ev, 64, timeout);
		now = now_ms();
		for (i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (cf.tx) {
				if (tag == TAG_UDP)
					tx_udp_read();
				else if (tag == TAG_LISTEN)
					tx_accept();
				else
					tx_conn_read(tag - TAG_CONN_BASE);
				tx_drain(now);
			} else if (tag == 1) {
				rx_read(now);
			} else if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				coll_read(now);
			}
		}
	}
	if (cf.tx) {
		/* what is queued goes out before the state is saved clean */
		for (i = 0; i < 2000 && tx.qlen; i++) {
			tx_drain(now_ms());
			if (tx.qlen)
				usleep(1000);
		}
		tx_heartbeat();
		tx_save(!tx.qlen);
		if (tx.jr_on)
			sl_sync(&tx.jr);
	} else {
		/* up to 2 s for a collector that is there; what is left
		 * stays spooled */
		for (i = 0; i < 200 && cf.collector_tcp && rx.coll >= 0 &&
		     (rx.out_sent < rx.out_len || !sl_empty(&rx.spool, &rx.rd) ||
		      rx.run_msgs || rx.run_notices); i++) {
			rx_spool_notice();
			coll_write(now_ms());
			usleep(10000);
		}
		rx_save();
	}
	status_write();
	if (cf.tx && tx.jr_on)
		sl_close(&tx.jr);
	if (!cf.tx && cf.collector_tcp)
		sl_close(&rx.spool);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: diode-agent run FILE\n"
		"       diode-agent check FILE\n"
		"       diode-agent status [--json] FILE\n"
		"       diode-agent replay FILE FIRST[-LAST]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "run"))
		return run(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return conf_load(&cf, argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "status"))
		return status_cmd(argv[2], false);
	if (argc == 4 && !strcmp(argv[1], "status") && !strcmp(argv[2], "--json"))
		return status_cmd(argv[3], true);
	if (argc >= 4 && !strcmp(argv[1], "replay"))
		return replay_cmd(argv[2], argc - 3, argv + 3);
	return usage();
}
