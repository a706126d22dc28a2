// SPDX-License-Identifier: GPL-2.0
/*
 * udpgen: numbered UDP datagrams for the selftests.
 *
 *   udpgen send DST PORT --count N --max-size M [--pps R] [--fixed-size]
 *   udpgen recv BIND PORT --count N --max-size M [--idle S] [--timeout S]
 *               [--fixed-size] [--ready FILE] [--drain]
 *
 * With --fixed-size (on both sides), every numbered datagram has M bytes.
 *
 * The selftests judge the link by what comes out of it, so every datagram
 * must say by itself whether it is one the sender sent, once and intact.
 * Datagrams of 1 to 7 bytes are too small to carry a number, yet the link
 * must carry them too: one of each size goes first, each its size repeated,
 * which is all a receiver can check of them. Then N numbered datagrams whose
 * sizes cycle from 8 to M (every length a frame can have, not only the
 * easy ones); after its 8-byte number, each holds bytes that depend on the
 * number, so that a datagram truncated, padded, spliced from two others or
 * given another's payload is caught as corrupt, not counted. The receiver
 * checks every datagram byte for byte and prints a JSON summary; it exits 0
 * only when every datagram arrived exactly once.
 *
 * It is C because the selftests start it twice per stream in qemu guests,
 * where a python interpreter took seconds to start. Exit statuses: 0, 1
 * when a datagram is missing, came twice or is corrupt (an empty one too),
 * 2 for bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PROG "udpgen"
#define SMALL_SIZES 7
#define BLOCK_SIZE (65536 + 4096)
#define RECV_BUF 65536
#define MAX_SIZE 65507
#define SEED 20261123u
#define MAX_SECONDS 1e9

static uint8_t block[BLOCK_SIZE];

/*
 * The block both ends derive the payloads from: any fixed bytes without
 * structure do, here xorshift64* from a fixed seed.
 */
static void make_block(void)
{
	uint64_t x = SEED;
	size_t n;

	for (n = 0; n < BLOCK_SIZE; n++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		block[n] = (x * 0x2545f4914f6cdd1dull) >> 56;
	}
}

struct opts {
	bool recv;
	const char *addr;
	long port;
	uint64_t count;
	long max_size;
	double pps;
	double idle;
	double timeout;
	bool fixed_size;
	bool drain;
	const char *ready;
};

static void usage(FILE *f)
{
	fputs("usage: " PROG " send DST PORT --count N --max-size M [--pps R] [--fixed-size]\n"
	      "       " PROG " recv BIND PORT --count N --max-size M [--idle S] [--timeout S]\n"
	      "                   [--fixed-size] [--ready FILE] [--drain]\n", f);
}

static void help(void)
{
	usage(stdout);
	fputs("\nNumbered UDP datagrams for the selftests: send sends 7 small datagrams\n"
	      "and N numbered ones to DST PORT (an IPv6 address when it has a ':');\n"
	      "recv checks what arrives at BIND PORT, prints a JSON summary and exits 0\n"
	      "only when every datagram arrived exactly once.\n"
	      "\n"
	      "  --count N      numbered datagrams (default 10000)\n"
	      "  --max-size M   their sizes cycle from 8 to M bytes (8..65507)\n"
	      "  --fixed-size   every numbered datagram of M bytes (on both sides)\n"
	      "  --pps R        send: at most R numbered datagrams a second\n"
	      "  --idle S       recv: stop after S seconds without a datagram (default 3.0)\n"
	      "  --timeout S    recv: stop after S seconds in all (default 120.0)\n"
	      "  --ready FILE   recv: create FILE once bound\n"
	      "  --drain        recv: keep receiving until idle, to catch late duplicates\n",
	      stdout);
	if (fflush(stdout) || ferror(stdout))
		exit(1);
	exit(0);
}

static void __attribute__((format(printf, 1, 2), noreturn)) bad_usage(const char *fmt, ...)
{
	va_list ap;

	usage(stderr);
	fputs(PROG ": error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
	exit(1);
}

static long long parse_int(const char *name, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end)
		bad_usage("argument %s: invalid int value: '%s'", name, s);
	if (errno == ERANGE || v < min || v > max)
		bad_usage("argument %s: %s is out of range (%lld to %lld)", name, s, min, max);
	return v;
}

/* Seconds (or packets a second): a finite decimal number from min to max. */
static double parse_float(const char *name, const char *s, double min, bool min_open,
			  double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || !isfinite(v))
		bad_usage("argument %s: invalid float value: '%s'", name, s);
	if (v < min || (min_open && v == min) || v > max)
		bad_usage("argument %s: %s is out of range (%s %g, at most %g)", name, s,
			  min_open ? "above" : "from", min, max);
	return v;
}

enum opt_id { O_COUNT, O_MAX_SIZE, O_PPS, O_FIXED, O_IDLE, O_TIMEOUT, O_READY, O_DRAIN, O_HELP };

static const struct {
	const char *name;
	enum opt_id id;
	bool value;
	bool send;
	bool recv;
} optdefs[] = {
	{ "count", O_COUNT, true, true, true },
	{ "max-size", O_MAX_SIZE, true, true, true },
	{ "pps", O_PPS, true, true, false },
	{ "fixed-size", O_FIXED, false, true, true },
	{ "idle", O_IDLE, true, false, true },
	{ "timeout", O_TIMEOUT, true, false, true },
	{ "ready", O_READY, true, false, true },
	{ "drain", O_DRAIN, false, false, true },
	{ "help", O_HELP, false, true, true },
};
#define N_OPTS (sizeof(optdefs) / sizeof(optdefs[0]))

/* The option of this subcommand named by @arg ("--name", "--name=value" or
 * an unambiguous prefix of the name, as argparse takes them). */
static size_t find_opt(const struct opts *o, const char *arg, size_t len)
{
	size_t i, found = N_OPTS, matches = 0;

	for (i = 0; i < N_OPTS; i++) {
		if (!(o->recv ? optdefs[i].recv : optdefs[i].send))
			continue;
		if (strncmp(optdefs[i].name, arg, len))
			continue;
		if (strlen(optdefs[i].name) == len)
			return i;
		found = i;
		matches++;
	}
	if (matches == 1)
		return found;
	bad_usage("%s option: --%.*s", matches ? "ambiguous" : "unrecognized",
		  (int)len, arg);
}

/* Does @s look like a negative number (argparse takes it as a positional)? */
static bool negative_number(const char *s)
{
	char *end;

	if (s[0] != '-')
		return false;
	strtod(s, &end);
	return end != s && !*end;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	const char *values[N_OPTS] = { 0 };
	const char *positional[2];
	size_t n_positional = 0;
	bool options_done = false;
	int i;

	if (argc < 2)
		bad_usage("the following arguments are required: {send,recv}");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		help();
	if (!strcmp(argv[1], "recv"))
		o->recv = true;
	else if (strcmp(argv[1], "send"))
		bad_usage("argument cmd: invalid choice: '%s' (choose from 'send', 'recv')",
			  argv[1]);

	for (i = 2; i < argc; i++) {
		const char *arg = argv[i], *eq;
		size_t opt, len;

		if (options_done || arg[0] != '-' || !arg[1] || negative_number(arg)) {
			if (n_positional == 2)
				bad_usage("unrecognized arguments: %s", arg);
			positional[n_positional++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		if (!strcmp(arg, "-h"))
			help();
		if (arg[1] != '-')
			bad_usage("unrecognized arguments: %s", arg);
		eq = strchr(arg + 2, '=');
		len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		opt = find_opt(o, arg + 2, len);
		if (optdefs[opt].id == O_HELP)
			help();
		if (!optdefs[opt].value) {
			if (eq)
				bad_usage("argument --%s: ignored explicit argument '%s'",
					  optdefs[opt].name, eq + 1);
			values[opt] = "";
		} else if (eq) {
			values[opt] = eq + 1;
		} else if (i + 1 < argc) {
			values[opt] = argv[++i];
		} else {
			bad_usage("argument --%s: expected one argument", optdefs[opt].name);
		}
	}
	if (n_positional < 2)
		bad_usage("the following arguments are required: %s",
			  n_positional ? "port" : o->recv ? "bind, port" : "dst, port");
	if (!values[O_MAX_SIZE])
		bad_usage("the following arguments are required: --max-size");

	o->addr = positional[0];
	o->port = parse_int("port", positional[1], 0, 65535);
	/* The receiver keeps a bit for each number, and counts in 64 bits. */
	o->count = values[O_COUNT] ?
		parse_int("--count", values[O_COUNT], 0, (long long)(SIZE_MAX / 2) - 8) :
		10000;
	o->max_size = parse_int("--max-size", values[O_MAX_SIZE], 8, MAX_SIZE);
	o->pps = values[O_PPS] ? parse_float("--pps", values[O_PPS], 0, false, 1e12) : 0;
	o->idle = values[O_IDLE] ?
		parse_float("--idle", values[O_IDLE], 0, true, MAX_SECONDS) : 3.0;
	o->timeout = values[O_TIMEOUT] ?
		parse_float("--timeout", values[O_TIMEOUT], 0, false, MAX_SECONDS) : 120.0;
	o->fixed_size = values[O_FIXED];
	o->drain = values[O_DRAIN];
	o->ready = values[O_READY];
}

static int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		die("clock_gettime");
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t payload_size(const struct opts *o, uint64_t seq)
{
	return o->fixed_size ? (size_t)o->max_size : 8 + seq % (uint64_t)(o->max_size - 7);
}

/* Where in the block the bytes after number @seq start: (seq * 7919) % 4096. */
static const uint8_t *payload_bytes(uint64_t seq)
{
	return block + (seq % 4096) * 7919 % 4096;
}

/* A socket of the family of @addr ("a:b" is IPv6) and its address. */
static int open_socket(const struct opts *o, struct sockaddr_storage *ss, socklen_t *len)
{
	int family = strchr(o->addr, ':') ? AF_INET6 : AF_INET;
	struct addrinfo hints = {
		.ai_family = family,
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICSERV | (o->recv ? AI_PASSIVE : 0),
	};
	struct addrinfo *ai;
	char port[8];
	int fd, err;

	snprintf(port, sizeof(port), "%ld", o->port);
	err = getaddrinfo(*o->addr ? o->addr : NULL, port, &hints, &ai);
	if (err) {
		fprintf(stderr, PROG ": '%s': %s\n", o->addr,
			err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err));
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	return fd;
}

static void send_one(int fd, const void *buf, size_t len,
		     const struct sockaddr_storage *ss, socklen_t ss_len)
{
	ssize_t n;

	do
		n = sendto(fd, buf, len, 0, (const struct sockaddr *)ss, ss_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		die("sendto");
	if ((size_t)n != len) {
		fprintf(stderr, PROG ": sendto: %zd of %zu bytes sent\n", n, len);
		exit(1);
	}
}

static int do_send(const struct opts *o)
{
	static uint8_t buf[MAX_SIZE];
	struct sockaddr_storage ss;
	socklen_t ss_len;
	int fd = open_socket(o, &ss, &ss_len);
	double gap = o->pps ? 1.0 / o->pps : 0;
	int64_t start = now_ns();
	uint64_t seq;
	size_t size;
	int i;

	for (size = 1; size <= SMALL_SIZES; size++) {
		memset(buf, (int)size, size);
		send_one(fd, buf, size, &ss, ss_len);
	}
	for (seq = 0; seq < o->count; seq++) {
		size = payload_size(o, seq);
		for (i = 0; i < 8; i++)
			buf[i] = seq >> (56 - 8 * i);
		memcpy(buf + 8, payload_bytes(seq), size - 8);
		send_one(fd, buf, size, &ss, ss_len);
		if (gap) {
			/* The (seq + 1)th gap after the start: no drift. */
			double at = start + (double)(seq + 1) * gap * 1e9;
			struct timespec ts;
			int err;

			if (at > (double)INT64_MAX / 2)
				at = (double)INT64_MAX / 2;
			if ((int64_t)at <= now_ns())
				continue;
			ts.tv_sec = (int64_t)at / 1000000000;
			ts.tv_nsec = (int64_t)at % 1000000000;
			do
				err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			while (err == EINTR);
			if (err) {
				errno = err;
				die("clock_nanosleep");
			}
		}
	}
	if (close(fd))
		die("close");
	return 0;
}

/*
 * Waits up to @timeout_ns for a datagram, as Python's recv on a socket with
 * a timeout does; returns its length, or -1 when none came in time.
 */
static ssize_t recv_timeout(int fd, uint8_t *buf, int64_t timeout_ns)
{
	int64_t until = now_ns() + timeout_ns;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		int64_t left = until - now_ns();
		struct timespec ts;
		ssize_t n;
		int ready;

		if (left <= 0)
			return -1;
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		ready = ppoll(&pfd, 1, &ts, NULL);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			die("poll");
		if (!ready)
			continue;	/* the time left is checked above */
		n = recv(fd, buf, RECV_BUF, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			die("recv");
	}
}

static int do_recv(const struct opts *o)
{
	static uint8_t buf[RECV_BUF];
	uint64_t small[SMALL_SIZES + 1] = { 0 };
	uint64_t small_unique = 0, small_dups = 0;
	uint64_t unique = 0, arrived = 0, corrupt = 0;
	uint64_t expected, missing, duplicates;
	struct sockaddr_storage ss;
	socklen_t ss_len;
	int fd = open_socket(o, &ss, &ss_len);
	int rcvbuf = 32 << 20;
	int64_t deadline, idle = (int64_t)(o->idle * 1e9);
	uint8_t *seen;
	bool ok;

	seen = calloc(o->count / 8 + 1, 1);
	if (!seen)
		die("a bit for each datagram");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		die("SO_RCVBUF");
	if (bind(fd, (struct sockaddr *)&ss, ss_len))
		die("bind");
	if (o->ready) {
		int rfd = open(o->ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

		if (rfd < 0 || close(rfd))
			die(o->ready);
	}

	deadline = now_ns() + (int64_t)(o->timeout * 1e9);
	while (now_ns() < deadline) {
		ssize_t len = recv_timeout(fd, buf, idle > 0 ? idle : 1);
		uint64_t seq;
		int i;

		if (len < 0) {
			/* Nothing yet: the link may still be coming up. */
			if (unique || small_unique)
				break;
			continue;
		}
		if (len < 8) {
			bool same = len > 0;

			for (i = 0; i < len; i++)
				same = same && buf[i] == len;
			if (!same) {
				corrupt++;
			} else if (small[len]++) {
				small_dups++;
			} else {
				small_unique++;
			}
			continue;
		}
		for (seq = 0, i = 0; i < 8; i++)
			seq = seq << 8 | buf[i];
		if (seq >= o->count || (size_t)len != payload_size(o, seq) ||
		    memcmp(buf + 8, payload_bytes(seq), len - 8)) {
			corrupt++;
			continue;
		}
		arrived++;
		if (!(seen[seq / 8] & 1u << seq % 8)) {
			seen[seq / 8] |= 1u << seq % 8;
			unique++;
		}
		if (unique == o->count && small_unique == SMALL_SIZES && !o->drain)
			break;
	}
	free(seen);
	if (close(fd))
		die("close");

	expected = o->count + SMALL_SIZES;
	duplicates = arrived - unique + small_dups;
	missing = o->count - unique + SMALL_SIZES - small_unique;
	printf("{\"expected\": %llu, \"unique\": %llu, \"duplicates\": %llu, "
	       "\"corrupt\": %llu, \"missing\": %llu}\n",
	       (unsigned long long)expected,
	       (unsigned long long)(unique + small_unique),
	       (unsigned long long)duplicates, (unsigned long long)corrupt,
	       (unsigned long long)missing);
	if (fflush(stdout) || ferror(stdout))
		die("stdout");
	ok = !missing && !duplicates && !corrupt;
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };

	parse_args(argc, argv, &o);
	make_block();
	return o.recv ? do_recv(&o) : do_send(&o);
}
