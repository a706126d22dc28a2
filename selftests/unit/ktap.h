/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal KTAP output for host unit tests. A test program calls
 * ktap_plan(n), then ktap_result() once per test, and returns ktap_exit().
 */
#ifndef _DIODE_KTAP_H
#define _DIODE_KTAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

static int ktap_count, ktap_failures;

static inline void ktap_plan(int tests)
{
	printf("TAP version 13\n1..%d\n", tests);
}

/* Print a diagnostic line, shown under the test it belongs to. */
static inline void ktap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static inline void ktap_result(bool ok, const char *name)
{
	ktap_count++;
	if (!ok)
		ktap_failures++;
	printf("%sok %d %s\n", ok ? "" : "not ", ktap_count, name);
}

/* Inside a test function returning bool: fail it with a message. */
#define KTAP_EXPECT(cond)						\
	do {								\
		if (!(cond)) {						\
			ktap_diag("%s:%d: expected %s", __FILE__,	\
				  __LINE__, #cond);			\
			return false;					\
		}							\
	} while (0)

static inline int ktap_exit(void)
{
	return ktap_failures ? 1 : 0;
}

struct ktap_test {
	const char *name;
	bool (*run)(void);
};

/* Run a table of tests in order and return the program's exit status. */
static inline int ktap_run_tests(const struct ktap_test *tests, size_t n)
{
	size_t i;

	/* Sanitizer reports end the process with _exit(): keep no output back. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ktap_plan((int)n);
	for (i = 0; i < n; i++)
		ktap_result(tests[i].run(), tests[i].name);
	return ktap_exit();
}

#endif /* _DIODE_KTAP_H */
