// SPDX-License-Identifier: GPL-2.0
/*
 * udpflood: a one-way UDP load generator and counting sink for the benchmark
 * (scripts/bench). Python cannot send fast enough under qemu's TCG; this
 * batches with sendmmsg/recvmmsg so that the tool costs little next to the
 * network path under test.
 *
 *   udpflood send ADDR PORT --size N (--seconds S | --count N) [--rate PPS]
 *   udpflood recv ADDR PORT [--ready FILE] [--idle S]
 *
 * The sender sends for S seconds or exactly N datagrams and prints one JSON
 * object: datagrams and bytes sent, send errors, the seconds it sent for, the
 * CLOCK_MONOTONIC time it started at, and the busy and total ticks of every
 * CPU from /proc/stat across that interval. The receiver counts until
 * SIGTERM/SIGINT, or until it has seen traffic and then none for --idle
 * seconds, and prints datagrams and bytes received, the seconds from the
 * first to the last and the CLOCK_MONOTONIC times of both, and the CPU ticks
 * from the first datagram to its exit: all the work of a path that still
 * delivers after the sender stopped. With one CPU under qemu's -icount, the
 * sink's last time minus the sender's start is the instructions the whole
 * path spent on the count sent (scripts/bench-guest).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "args.h"

#define BATCH 64
#define MAX_CPUS 64
#define MAX_PAYLOAD 65507

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "udpflood: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpflood send ADDR PORT --size BYTES (--seconds S | --count N) [--rate PPS]\n"
		"       udpflood recv ADDR PORT [--ready FILE] [--idle S]\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* IPv4 or IPv6 literal; the family decides the socket's. */
struct cpu_ticks {
	int n;
	unsigned long long busy[MAX_CPUS], total[MAX_CPUS];
};

/* Per-CPU ticks from /proc/stat; idle and iowait count as not busy. */
static void read_cpu_ticks(struct cpu_ticks *t)
{
	unsigned long long v[10];
	char line[512];
	FILE *f;
	int cpu;

	f = fopen("/proc/stat", "r");
	if (!f)
		die("/proc/stat");
	t->n = 0;
	while (fgets(line, sizeof(line), f)) {
		int i, got;

		/* "cpu N" lines only: %d would read the total's first figure */
		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		memset(v, 0, sizeof(v));
		got = sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			     &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			     &v[6], &v[7], &v[8], &v[9]);
		if (got < 5 || cpu < 0 || cpu >= MAX_CPUS)
			continue;
		/* guest and guest_nice are already inside user and nice. */
		t->total[cpu] = 0;
		for (i = 0; i < 8; i++)
			t->total[cpu] += v[i];
		t->busy[cpu] = t->total[cpu] - v[3] - v[4];
		if (cpu + 1 > t->n)
			t->n = cpu + 1;
	}
	fclose(f);
}

static void print_cpu_ticks(const struct cpu_ticks *before, const struct cpu_ticks *after)
{
	int i;

	printf("\"clk_tck\": %ld, \"cpu_busy\": [", sysconf(_SC_CLK_TCK));
	for (i = 0; i < after->n; i++)
		printf("%s%llu", i ? ", " : "", after->busy[i] - before->busy[i]);
	printf("], \"cpu_total\": [");
	for (i = 0; i < after->n; i++)
		printf("%s%llu", i ? ", " : "", after->total[i] - before->total[i]);
	printf("]");
}

static int do_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "seconds", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'c' },
		{ 0 }
	};
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	struct sockaddr_storage dst;
	struct cpu_ticks before, after;
	unsigned long long sent = 0, errors = 0;
	long size = -1, seconds = -1, rate = 0, count = 0;
	double start, end, elapsed;
	socklen_t dlen;
	char *payload;
	int fd, c, i;

	while ((c = getopt_long(argc, argv, "s:t:r:c:", opts, NULL)) != -1) {
		switch (c) {
		case 's': size = bench_parse_num("udpflood", optarg, 1, MAX_PAYLOAD, "size"); break;
		case 't': seconds = bench_parse_num("udpflood", optarg, 1, 3600, "seconds"); break;
		case 'r': rate = bench_parse_num("udpflood", optarg, 0, 100000000, "rate"); break;
		case 'c': count = bench_parse_num("udpflood", optarg, 1, 1000000000, "count"); break;
		default: usage();
		}
	}
	if (argc - optind != 2 || size < 0 || (seconds < 0) == !count)
		usage();
	dlen = bench_parse_addr("udpflood", argv[optind], argv[optind + 1], &dst);

	fd = socket(dst.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	/* Connected: the route is looked up once, as a real sender's would be. */
	if (connect(fd, (struct sockaddr *)&dst, dlen))
		die("connect");
	payload = calloc(1, size);
	if (!payload)
		die("calloc");
	iov.iov_base = payload;
	iov.iov_len = size;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	read_cpu_ticks(&before);
	start = now();
	end = start + seconds;
	while (!stop) {
		int batch = BATCH, n;
		double t = now();

		/* A path that refuses everything must not hold the sender forever. */
		if (count ? sent >= (unsigned long long)count || errors >= (unsigned long long)count :
			    t >= end)
			break;
		if (count && count - sent < (unsigned long long)batch)
			batch = count - sent;
		if (rate) {
			/* Paced: send what the schedule owes, in batches. */
			double due = (t - start) * rate - sent;

			if (due < 1) {
				usleep((useconds_t)((1 - due) / rate * 1e6) + 1);
				continue;
			}
			if (due < batch)
				batch = (int)due;
		}
		n = sendmmsg(fd, msgs, batch, 0);
		if (n < 0) {
			/* No route buffer or a queue full: the datagram is lost
			 * here, count it and go on.
			 */
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED ||
			    errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EINTR) {
				errors++;
				continue;
			}
			die("sendmmsg");
		}
		sent += n;
	}
	elapsed = now() - start;
	read_cpu_ticks(&after);

	printf("{\"sent\": %llu, \"bytes\": %llu, \"errors\": %llu, \"seconds\": %.6f, "
	       "\"start\": %.9f, ", sent, sent * (unsigned long long)size, errors, elapsed, start);
	print_cpu_ticks(&before, &after);
	printf("}\n");
	free(payload);
	close(fd);
	return 0;
}

static int do_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ready", required_argument, NULL, 'R' },
		{ "idle", required_argument, NULL, 'i' },
		{ 0 }
	};
	static char bufs[BATCH][MAX_PAYLOAD];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	struct sockaddr_storage addr;
	unsigned long long packets = 0, bytes = 0;
	struct cpu_ticks before = { 0 }, after = { 0 };
	const char *ready = NULL;
	double first = 0, last = 0;
	long idle = 0;
	int rcvbuf = 32 << 20;
	socklen_t alen;
	int fd, c, i;

	while ((c = getopt_long(argc, argv, "R:i:", opts, NULL)) != -1) {
		switch (c) {
		case 'R': ready = optarg; break;
		case 'i': idle = bench_parse_num("udpflood", optarg, 1, 3600, "idle"); break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	alen = bench_parse_addr("udpflood", argv[optind], argv[optind + 1], &addr);

	fd = socket(addr.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	/* A deep buffer so that the sink is not where datagrams are lost;
	 * FORCE passes rmem_max as root.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		die("SO_RCVBUF");
	if (bind(fd, (struct sockaddr *)&addr, alen))
		die("bind");
	for (i = 0; i < BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f || fclose(f))
			die(ready);
	}

	while (!stop) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n;

		/* Wake up now and then to notice the idle timeout. */
		n = poll(&pfd, 1, 200);
		if (n < 0 && errno != EINTR)
			die("poll");
		if (n > 0) {
			n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("recvmmsg");
			for (i = 0; i < n; i++)
				bytes += msgs[i].msg_len;
			if (n > 0) {
				last = now();
				if (!packets) {
					first = last;
					read_cpu_ticks(&before);
				}
				packets += n;
			}
		}
		if (idle && packets && now() - last > idle)
			break;
	}
	if (packets)
		read_cpu_ticks(&after);
	printf("{\"received\": %llu, \"bytes\": %llu, \"span\": %.6f, \"cpu_seconds\": %.6f, "
	       "\"first\": %.9f, \"last\": %.9f, ", packets, bytes, packets ? last - first : 0.0,
	       packets ? now() - first : 0.0, first, last);
	print_cpu_ticks(&before, &after);
	printf("}\n");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc - 1, argv + 1);
	usage();
	return 2;
}
