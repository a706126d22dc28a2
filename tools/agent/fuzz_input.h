/* SPDX-License-Identifier: GPL-2.0 */
/* What the fuzzers of a whole rx share: their input, read a byte at a time. */
#ifndef DIODE_FUZZ_INPUT_H
#define DIODE_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The input's next byte into *b; false once the input is used up. */
static inline bool fuzz_take(const uint8_t **d, size_t *n, uint8_t *b)
{
	if (!*n)
		return false;
	*b = **d;
	(*d)++;
	(*n)--;
	return true;
}

#endif
