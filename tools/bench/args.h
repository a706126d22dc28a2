/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line arguments shared by the benchmark's programs. */
#ifndef BENCH_ARGS_H
#define BENCH_ARGS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A whole decimal number from min to max, or exit 2 naming @what. */
static inline long bench_parse_num(const char *prog, const char *s, long min,
				   long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max) {
		fprintf(stderr, "%s: bad %s '%s' (%ld..%ld)\n", prog, what, s, min, max);
		exit(2);
	}
	return v;
}

/* An IPv4 or IPv6 address and a port into @ss; returns its length. */
static inline socklen_t bench_parse_addr(const char *prog, const char *addr,
					 const char *port,
					 struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	uint16_t p = bench_parse_num(prog, port, 1, 65535, "port");

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		return sizeof(*sin6);
	}
	fprintf(stderr, "%s: '%s' is not an IPv4 or IPv6 address\n", prog, addr);
	exit(2);
}

#endif /* BENCH_ARGS_H */
