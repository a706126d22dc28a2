// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's load generator and sink (bench.sh):
 *   loadgen send HOST PORT COUNT [SIZE]   COUNT octet-counted messages of
 *                                         SIZE bytes (200) over one TCP
 *                                         connection, as fast as it takes them
 *   loadgen udp HOST PORT COUNT [SIZE]    the same, one UDP datagram each
 *   loadgen sink PORT COUNT IDLE-MS       take octet-counted TCP frames on
 *                                         127.0.0.1:PORT until COUNT of them
 *                                         or IDLE-MS without any; print the
 *                                         count and the ms from first to last
 *                                         (frames of priority 44, the rx
 *                                         agent's notices, are not counted)
 * and the host tests' senders and collector (test_agent.sh; the same as
 * syslogtool.py's, without a python process each):
 *   loadgen msgs tcp|lf|udp HOST PORT PREFIX COUNT [SIZE]
 *   loadgen collect tcp|udp PORT FILE     (until killed)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int lg_msg(char *b, unsigned long i, int size)
{
	int n = snprintf(b, size + 1, "<13>1 2024-01-01T00:00:00Z host bench - - - m %lu ", i);

	if (n < size)
		memset(b + n, 'x', size - n);
	return size;
}

/*
 * A socket connected to HOST:PORT, UDP or TCP; after saying why, -2 for a
 * bad address and -1 when it cannot connect (the exit statuses negated).
 */
static int lg_connect(const char *host, int port, bool udp)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "loadgen: bad address %s\n", host);
		return -2;
	}
	fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("loadgen: connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int lg_send(const char *host, int port, unsigned long count, int size, bool udp)
{
	static char buf[1 << 16];
	char m[4096];
	size_t have = 0;
	unsigned long i;
	int fd;

	if (size < 64 || size > (int)sizeof(m) - 1)
		return 2;
	fd = lg_connect(host, port, udp);
	if (fd < 0)
		return -fd;
	for (i = 0; i < count; i++) {
		int n = lg_msg(m, i, size);

		if (udp) {
			while (send(fd, m, n, 0) < 0)
				usleep(100);
			continue;
		}
		if (have + n + 16 > sizeof(buf)) {
			if (write(fd, buf, have) != (ssize_t)have) {
				perror("loadgen: write");
				return 1;
			}
			have = 0;
		}
		have += sprintf(buf + have, "%d ", n);
		memcpy(buf + have, m, n);
		have += n;
	}
	if (have && write(fd, buf, have) != (ssize_t)have)
		return 1;
	shutdown(fd, SHUT_WR);
	close(fd);
	return 0;
}

static int lg_sink(int port, unsigned long count, int idle_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char buf[1 << 20];
	unsigned long got = 0;
	size_t have = 0, need = 0;
	char head[4];
	double first = 0, last = 0;
	int one = 1, l, c = -1;
	bool in_len = true;

	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4)) {
		perror("loadgen: sink");
		return 1;
	}
	while (got < count) {
		struct pollfd p = { .fd = c >= 0 ? c : l, .events = POLLIN };
		ssize_t n;
		size_t i;

		if (poll(&p, 1, first ? idle_ms : 600000) <= 0)
			break;
		if (c < 0) {
			c = accept(l, NULL, NULL);
			continue;
		}
		n = read(c, buf, sizeof(buf));
		if (n <= 0) {
			close(c);
			c = -1;
			in_len = true;
			need = 0;
			continue;
		}
		/* octet counting, across reads: LEN SP then LEN bytes */
		for (i = 0; i < (size_t)n;) {
			if (in_len) {
				if (buf[i] == ' ') {
					in_len = false;
					have = 0;
				} else {
					need = need * 10 + (buf[i] - '0');
				}
				i++;
				continue;
			}
			size_t take = need - have < n - i ? need - have : n - i, k;

			for (k = 0; k < take && have + k < 4; k++)
				head[have + k] = buf[i + k];
			have += take;
			i += take;
			if (have == need) {
				if (need < 4 || memcmp(head, "<44>", 4)) {
					if (!got++)
						first = lg_now();
					last = lg_now();
				}
				in_len = true;
				need = 0;
			}
		}
	}
	printf("%lu %.0f\n", got, last - first);
	return 0;
}

/* syslogtool.py's message(): its header, padded with x to size */
static int lg_test_msg(char *b, size_t cap, const char *prefix, unsigned long i, int size)
{
	int n = snprintf(b, cap, "<13>1 2024-01-01T00:00:00Z host app - - - %s %lu ", prefix, i);

	if (n < 0 || (size_t)n >= cap)
		return -1;
	if (n < size && (size_t)size < cap) {
		memset(b + n, 'x', size - n);
		n = size;
	}
	return n;
}

static int lg_write_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t r = write(fd, b, n);

		if (r <= 0)
			return -1;
		b += r;
		n -= r;
	}
	return 0;
}

static int lg_msgs(const char *proto, const char *host, int port, const char *prefix,
		   unsigned long count, int size)
{
	static char buf[1 << 18], m[1 << 16];
	bool udp = !strcmp(proto, "udp"), lf = !strcmp(proto, "lf");
	size_t have = 0;
	unsigned long i;
	char c;
	int fd, n;

	if (size < 0 || size >= (int)sizeof(m))
		return 2;
	fd = lg_connect(host, port, udp);
	if (fd < 0)
		return -fd;
	for (i = 0; i < count; i++) {
		n = lg_test_msg(m, sizeof(m), prefix, i, size);
		if (n < 0)
			return 2;
		if (udp) {
			if (send(fd, m, n, 0) != n)
				perror("loadgen: send");
			continue;
		}
		if (have + n + 16 > sizeof(buf)) {
			if (lg_write_all(fd, buf, have))
				return 1;
			have = 0;
		}
		if (!lf)
			have += sprintf(buf + have, "%d ", n);
		memcpy(buf + have, m, n);
		have += n;
		if (lf)
			buf[have++] = '\n';
	}
	if (!udp) {
		if (have && lg_write_all(fd, buf, have))
			return 1;
		/* the tx has read everything when it closes */
		shutdown(fd, SHUT_WR);
		if (read(fd, &c, 1) < 0)
			return 1;
	}
	close(fd);
	return 0;
}

static int lg_collect(const char *proto, int port, const char *file)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static char buf[1 << 20];
	bool udp = !strcmp(proto, "udp");
	int one = 1, big = 8 << 20, out, l, c;
	ssize_t n;

	out = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);
	l = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(l, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (out < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || (!udp && listen(l, 4))) {
		perror("loadgen: collect");
		return 1;
	}
	if (udp) {
		char pre[16];

		while ((n = recv(l, buf, sizeof(buf), 0)) >= 0) {
			int pl = snprintf(pre, sizeof(pre), "%zd ", n);

			if (lg_write_all(out, pre, pl) || lg_write_all(out, buf, n))
				return 1;
		}
		return 1;
	}
	while ((c = accept(l, NULL, NULL)) >= 0) {
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (lg_write_all(out, buf, n))
				return 1;
		close(c);
	}
	return 1;
}

int main(int argc, char **argv)
{
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "msgs"))
		return lg_msgs(argv[2], argv[3], atoi(argv[4]), argv[5], strtoul(argv[6], NULL, 10),
			       argc > 7 ? atoi(argv[7]) : 200);
	if (argc == 5 && !strcmp(argv[1], "collect"))
		return lg_collect(argv[2], atoi(argv[3]), argv[4]);
	if (argc >= 5 && (!strcmp(argv[1], "send") || !strcmp(argv[1], "udp")))
		return lg_send(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 10),
			       argc > 5 ? atoi(argv[5]) : 200, !strcmp(argv[1], "udp"));
	if (argc == 5 && !strcmp(argv[1], "sink"))
		return lg_sink(atoi(argv[2]), strtoul(argv[3], NULL, 10), atoi(argv[4]));
	fprintf(stderr, "usage: loadgen send|udp HOST PORT COUNT [SIZE]\n"
		"       loadgen sink PORT COUNT IDLE-MS\n"
		"       loadgen msgs tcp|lf|udp HOST PORT PREFIX COUNT [SIZE]\n"
		"       loadgen collect tcp|udp PORT FILE\n");
	return 2;
}
