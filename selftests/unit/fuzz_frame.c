// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for diode_frame_parse(): any bytes from the link must
 * be parsed without reading outside them (AddressSanitizer sees the exact
 * extent of the fuzzer's input), and whatever is accepted must be exactly
 * what the encoder would have written. Run by "make fuzz", not "make run".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 again[DIODE_HEADER_LEN + DIODE_ANNOUNCE_CLEAR_LEN];
	enum diode_frame_status s;
	struct diode_frame f;

	s = diode_frame_parse(data, size, &f);
	if (s >= DIODE_FRAME_NR_STATUS)
		abort();
	if (s != DIODE_FRAME_OK)
		return 0;

	if (f.ad_len + f.body_len + DIODE_AUTHTAG_LEN != size)
		abort();
	if (!f.session_tag || (f.type == DIODE_FRAME_ANNOUNCE) != !f.counter)
		abort();
	diode_header_encode(again, f.type, f.session_tag, f.counter);
	if (f.type == DIODE_FRAME_ANNOUNCE) {
		if (f.ad_len != DIODE_HEADER_LEN + DIODE_ANNOUNCE_CLEAR_LEN ||
		    f.ephemeral != data + DIODE_HEADER_LEN)
			abort();
		diode_announce_encode(again + DIODE_HEADER_LEN, f.ephemeral,
				      f.created);
	} else if (f.ad_len != DIODE_HEADER_LEN || f.ephemeral || f.created) {
		abort();
	}
	if (memcmp(again, data, f.ad_len))
		abort();
	return 0;
}
