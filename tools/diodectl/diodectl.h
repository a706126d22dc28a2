/* SPDX-License-Identifier: GPL-2.0 */
/* The commands of diodectl and what they share. */
#ifndef _DIODECTL_H
#define _DIODECTL_H

#include <stdarg.h>
#include <stdio.h>

/* Every message of the program is one line on stderr, "diodectl: ...". */
static inline void __attribute__((format(printf, 1, 2)))
print_error(const char *fmt, ...)
{
	va_list ap;

	fputs("diodectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* argv starts after the command word; each returns the exit status. */
int cmd_set(int argc, char *argv[]);
int cmd_show(int argc, char *argv[]);
int cmd_setconf(int argc, char *argv[]);
int cmd_addconf(int argc, char *argv[]);
int cmd_showconf(int argc, char *argv[]);
int cmd_reset_sessions(int argc, char *argv[]);
int cmd_monitor(int argc, char *argv[]);

#endif /* _DIODECTL_H */
