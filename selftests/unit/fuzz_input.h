/* SPDX-License-Identifier: GPL-2.0 */
/* What the host fuzzers share: reading numbers off libFuzzer's input. */
#ifndef _DIODE_FUZZ_INPUT_H
#define _DIODE_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

/* The next @n bytes, big-endian, as a number; zeros once input runs out. */
static inline uint64_t take(struct input *in, unsigned int n)
{
	uint64_t v = 0;

	while (n--) {
		v <<= 8;
		if (in->left) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

#endif
