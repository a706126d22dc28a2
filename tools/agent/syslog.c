// SPDX-License-Identifier: GPL-2.0
/*
 * The syslog channel: the tx takes syslog over UDP and TCP (RFC 6587
 * octet counting or LF framing) on the OT side; the rx forwards every
 * message to a collector, over UDP or over TCP from a spool on disk, with
 * notices of what was lost. See docs/agents.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "seglog.h"
#include "syslog.h"
#include "transport.h"

/* ---------------------------------------------------------------- TX */

struct conn {
	struct chan_fd cfd;
	bool octet, lf, known;
	size_t have;
	size_t skip;			/* bytes of a too-large frame left */
	struct sockaddr_storage from;
	uint8_t *buf;
};

static struct {
	struct chan_fd udp, tcp;
	struct conn **conns;
	size_t nconns;
	bool paused;
	uint64_t rx_udp, rx_tcp, rx_bytes, accepted, conns_closed, garbage;
} tx;

static uint32_t syslog_max_record(void)
{
	return chan_cf.max_message + SYSLOG_HDR;
}

static void tx_pause(bool on)
{
	size_t i;

	tx.paused = on;
	for (i = 0; i < tx.nconns; i++)
		if (tx.conns[i])
			chan_rewatch(&tx.conns[i]->cfd, on ? 0 : EPOLLIN);
}

/* A message with its sender's address before it. */
static void tx_enqueue(int proto, const struct sockaddr_storage *from,
		       const uint8_t *data, size_t len)
{
	uint8_t h[SYSLOG_HDR] = { 1, proto };

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
	if (!chan_tx_enqueue(h, SYSLOG_HDR, data, len))
		tx.rx_bytes += len;
}

static void tx_udp_read(struct chan_fd *f, uint32_t events, uint64_t now)
{
	static uint8_t buf[65536];
	struct sockaddr_storage from;
	socklen_t fl;
	ssize_t n;
	int i;

	(void)events;
	(void)now;
	for (i = 0; i < 256; i++) {
		fl = sizeof(from);
		n = recvfrom(f->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		tx.rx_udp++;
		tx_enqueue(1, &from, buf, n);
	}
}

static void conn_close(struct conn *c)
{
	size_t i;

	for (i = 0; i < tx.nconns; i++)
		if (tx.conns[i] == c)
			tx.conns[i] = NULL;
	close(c->cfd.fd);
	free(c->buf);
	free(c);
	tx.conns_closed++;
}

static void tx_conn_read(struct chan_fd *f, uint32_t events, uint64_t now);

static void tx_accept(struct chan_fd *f, uint32_t events, uint64_t now)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct conn *c;
	size_t i;
	int fd;

	(void)events;
	(void)now;
	while ((fd = accept4(f->fd, (struct sockaddr *)&from, &fl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		fl = sizeof(from);
		for (i = 0; i < tx.nconns && tx.conns[i]; i++)
			;
		if (i == tx.nconns) {
			tx.conns = realloc(tx.conns, ++tx.nconns * sizeof(*tx.conns));
			if (!tx.conns)
				chan_die("realloc");
		}
		c = calloc(1, sizeof(*c));
		if (!c || !(c->buf = malloc(chan_cf.max_message + 16)))
			chan_die("malloc");
		c->cfd = (struct chan_fd){ fd, tx_conn_read };
		c->from = from;
		tx.conns[i] = c;
		tx.accepted++;
		chan_watch(&c->cfd, tx.paused ? 0 : EPOLLIN);
	}
}

/* Frames out of a connection's buffer (RFC 6587): -1 to close it. */
static int tx_frames(struct conn *c)
{
	size_t off = 0;

	while (off < c->have && chan_tx_room()) {
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
			if (len > chan_cf.max_message) {
				chan_tx_too_large();
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
				if (left > chan_cf.max_message) {
					/* the rest of this frame is skipped up to its LF */
					chan_tx_too_large();
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


static void tx_conn_read(struct chan_fd *f, uint32_t events, uint64_t now)
{
	struct conn *c = (struct conn *)f;
	ssize_t n;

	(void)events;
	(void)now;
	if (c->lf && c->have) {
		/* inside a too-large LF frame: look for its end only */
		uint8_t *lf = memchr(c->buf, '\n', c->have);

		if (!lf)
			c->have = 0;
	}
	n = read(c->cfd.fd, c->buf + c->have, chan_cf.max_message + 16 - c->have);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		tx_frames(c);
		conn_close(c);
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
		conn_close(c);
}

static void tx_start(void)
{
	if (chan_cf.listen_udp.set) {
		tx.udp = (struct chan_fd){ chan_bound_socket(&chan_cf.listen_udp, SOCK_DGRAM), tx_udp_read };
		chan_watch(&tx.udp, EPOLLIN);
	}
	if (chan_cf.listen_tcp.set) {
		tx.tcp = (struct chan_fd){ chan_bound_socket(&chan_cf.listen_tcp, SOCK_STREAM), tx_accept };
		chan_watch(&tx.tcp, EPOLLIN);
	}
}

static void tx_status(FILE *f)
{
	fprintf(f, ",\"received_udp\":%" PRIu64 ",\"received_tcp\":%" PRIu64 ",\"received_bytes\":%" PRIu64
		",\"connections\":%" PRIu64 ",\"connections_closed\":%" PRIu64 ",\"garbage\":%" PRIu64,
		tx.rx_udp, tx.rx_tcp, tx.rx_bytes, tx.accepted, tx.conns_closed, tx.garbage);
}

/* ---------------------------------------------------------------- RX */

static struct {
	struct chan_fd coll;
	bool connected, connecting;
	uint64_t retry_at;
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
		 chan_cf.name, chan_rx()->epoch, rx.run_first, rx.run_last, rx.run_msgs, rx.run_notices);
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
	if (!chan_cf.collector_tcp) {
		if (sendto(rx.coll.fd, m, len, 0, (const struct sockaddr *)&chan_cf.collector.ss,
			   chan_cf.collector.len) < 0)
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
					" does not check, the rest of it skipped\n", chan_cf.name, rx.rd.seg);
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
					chan_die("realloc");
			}
		}
		memcpy(rx.out + rx.out_len, pre, pl);
		memcpy(rx.out + rx.out_len + pl, d, len);
		rx.out_len += pl + len;
	}
}

static void rx_deliver(uint64_t seq, const uint8_t *m, uint32_t len)
{
	if (len < SYSLOG_HDR || m[0] != 1)
		return;
	rx.fwd_msgs++;
	rx_queue(seq, m + SYSLOG_HDR, len - SYSLOG_HDR);
}

static void rx_gap(uint64_t first, uint64_t last)
{
	char sd[256], text[128], b[1024];

	snprintf(sd, sizeof(sd), "[diode-gap@32473 channel=\"%s\" epoch=\"%016" PRIx64
		 "\" first=\"%" PRIu64 "\" last=\"%" PRIu64 "\" count=\"%" PRIu64 "\"]",
		 chan_cf.name, chan_rx()->epoch, first, last, last - first + 1);
	snprintf(text, sizeof(text), "%" PRIu64 " messages lost", last - first + 1);
	rx.fwd_gaps++;
	rx_queue(0, (uint8_t *)b, rfc5424(b, "gap", sd, text));
}

static void rx_epoch(uint64_t old, uint64_t epoch, uint64_t joined)
{
	char sd[256], b[1024];

	snprintf(sd, sizeof(sd), "[diode-epoch@32473 channel=\"%s\" old=\"%016" PRIx64
		 "\" epoch=\"%016" PRIx64 "\" joined=\"%" PRIu64 "\"]", chan_cf.name, old, epoch, joined);
	rx_queue(0, (uint8_t *)b, rfc5424(b, "epoch", sd, "sender epoch"));
}

/* The spool durable, and its cursor saved, before the channel's state
 * says what was delivered. */
static void rx_commit(void)
{
	if (!chan_cf.collector_tcp)
		return;
	sl_writeback(&rx.spool);
	if (sl_save_cursor(&rx.spool, &rx.done))
		fprintf(stderr, "diode-agent: %s: cannot save the spool's cursor: %s\n",
			chan_cf.name, strerror(errno));
}

static void rx_save(FILE *f)
{
	if (rx.run_msgs || rx.run_notices)
		fprintf(f, "refused %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
			rx.run_msgs, rx.run_notices, rx.run_first, rx.run_last);
}

/* What a full spool refused and did not announce yet: announced later. */
static bool rx_load(const char *line)
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

static void coll_connect(uint64_t now)
{
	int one = 1;

	rx.coll.fd = socket(chan_cf.collector.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rx.coll.fd < 0)
		chan_die("socket");
	setsockopt(rx.coll.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(rx.coll.fd, (const struct sockaddr *)&chan_cf.collector.ss, chan_cf.collector.len) &&
	    errno != EINPROGRESS) {
		close(rx.coll.fd);
		rx.coll.fd = -1;
		rx.retry_at = now + 500;
		return;
	}
	rx.connecting = true;
	chan_watch(&rx.coll, EPOLLOUT);
}

static void coll_lost(uint64_t now)
{
	rx.coll_errors++;
	close(rx.coll.fd);
	rx.coll.fd = -1;
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

	if (!chan_cf.collector_tcp)
		return;
	if (rx.coll.fd < 0) {
		if (now >= rx.retry_at)
			coll_connect(now);
		return;
	}
	if (rx.connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(rx.coll.fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			coll_lost(now);
			return;
		}
		struct pollfd pf = { .fd = rx.coll.fd, .events = POLLOUT };
		if (poll(&pf, 1, 0) != 1)
			return;
		rx.connecting = false;
		rx.connected = true;
		rx.coll_connects++;
	}
	rx_fill();
	while (rx.out_sent < rx.out_len) {
		n = send(rx.coll.fd, rx.out + rx.out_sent, rx.out_len - rx.out_sent, MSG_NOSIGNAL);
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
	chan_rewatch(&rx.coll, EPOLLIN | (rx.out_sent < rx.out_len ? EPOLLOUT : 0));
}

/* The collector never sends; a read of 0 is its end. */
static void coll_io(struct chan_fd *f, uint32_t events, uint64_t now)
{
	char b[512];
	ssize_t n;

	(void)f;
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	n = recv(rx.coll.fd, b, sizeof(b), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && !rx.connecting))
		coll_lost(now);
}

static void rx_start(void)
{
	gethostname(rx.host, sizeof(rx.host) - 1);
	if (!rx.host[0] || strchr(rx.host, ' '))
		strcpy(rx.host, "-");
	rx.coll = (struct chan_fd){ -1, coll_io };
	if (chan_cf.collector_tcp) {
		char p[512];

		chan_path(&chan_cf, p, sizeof(p), "spool");
		if (sl_open(&rx.spool, p, "DAS1", 0, chan_cf.spool_bytes, CHAN_MAX_REC,
			    false, false, chan_cf.name))
			exit(1);
		sl_load_cursor(&rx.spool, &rx.done);
		rx.rd = rx.done;
		if (!sl_empty(&rx.spool, &rx.done))
			fprintf(stderr, "diode-agent: %s: %" PRIu64 " bytes spooled for the collector\n",
				chan_cf.name, rx.spool.total);
	} else {
		rx.coll.fd = socket(chan_cf.collector.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (rx.coll.fd < 0)
			chan_die("socket");
	}
}

static void rx_tick(uint64_t now, int *timeout)
{
	if (chan_cf.tx || !chan_cf.collector_tcp)
		return;
	rx_spool_notice();
	coll_write(now);
	if (rx.coll.fd < 0 && *timeout > 100)
		*timeout = 100;
}

/* Up to the channel's last moments for a collector that is there. */
static bool rx_draining(uint64_t now)
{
	if (!chan_cf.collector_tcp || rx.coll.fd < 0 ||
	    !(rx.out_sent < rx.out_len || !sl_empty(&rx.spool, &rx.rd) ||
	      rx.run_msgs || rx.run_notices))
		return false;
	rx_spool_notice();
	coll_write(now);
	return true;
}

static void rx_status(FILE *f)
{
	fprintf(f, ",\"collector\":\"%s\",\"forwarded\":%" PRIu64
		",\"gap_messages\":%" PRIu64 ",\"spool_bytes\":%" PRIu64 ",\"spool_dropped\":%" PRIu64
		",\"spool_dropped_notices\":%" PRIu64 ",\"spool_set_aside\":%" PRIu64
		",\"spool_corrupt\":%" PRIu64 ",\"collector_errors\":%" PRIu64
		",\"collector_connects\":%" PRIu64,
		!chan_cf.collector_tcp ? "udp" : rx.connected ? "connected" : "down",
		rx.fwd_msgs, rx.fwd_gaps, rx.spool.total, rx.spool_dropped,
		rx.spool_dropped_notices, rx.spool.set_aside, rx.spool_corrupt,
		rx.coll_errors, rx.coll_connects);
}

static void syslog_stop(void)
{
	if (!chan_cf.tx && chan_cf.collector_tcp)
		sl_close(&rx.spool);
}

const struct chan_proto syslog_proto = {
	.name = "syslog",
	.max_record = syslog_max_record,
	.tx_start = tx_start,
	.tx_pause = tx_pause,
	.tx_status = tx_status,
	.rx_start = rx_start,
	.deliver = rx_deliver,
	.gap = rx_gap,
	.epoch = rx_epoch,
	.rx_commit = rx_commit,
	.rx_save = rx_save,
	.rx_load = rx_load,
	.rx_draining = rx_draining,
	.rx_status = rx_status,
	.tick = rx_tick,
	.stop = syslog_stop,
};
