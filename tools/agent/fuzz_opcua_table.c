// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the OPC UA rx's table file (opcua_table.c), its
 * checksum made right first so that what follows it is what is fuzzed.
 * What loads must save back to the same bytes.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "opcua_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opcua_table t;
	uint8_t *buf, *again;
	size_t len;
	char err[128];

	buf = malloc(size + crypto_generichash_BYTES);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	crypto_generichash(buf + size, crypto_generichash_BYTES, buf, size, NULL, 0);
	opcua_table_init(&t);
	if (!opcua_table_load(&t, buf, size + crypto_generichash_BYTES, err, sizeof(err))) {
		if (opcua_table_save(&t, &again, &len))
			abort();
		if (len != size + crypto_generichash_BYTES || memcmp(again, buf, len))
			abort();
		free(again);
	} else if (t.n) {
		abort();	/* a file refused leaves the table empty */
	}
	opcua_table_free(&t);
	free(buf);
	return 0;
}
