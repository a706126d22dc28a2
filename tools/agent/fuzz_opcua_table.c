// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the OPC UA rx's table file (opcua_table.c), its
 * checksum made right first so that what follows it is what is fuzzed.
 * What loads must save back to the same bytes. Then the file's records,
 * a key any number of times, are put in turn into a table, as the link
 * brings them: a record older than the one held leaves it as it was,
 * any other is then held byte for byte (a copy takes its stamp).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "opcua_msg.h"
#include "opcua_table.h"

/* The record t holds of rec's key, or NULL. */
static const struct opcua_entry *held(const struct opcua_table *t, const uint8_t *rec)
{
	const uint8_t *k, *hk;
	size_t klen, hlen, i;
	enum opcua_msg_table tb = opcua_msg_key(rec, &k, &klen);

	for (i = 0; i < t->n; i++)
		if (opcua_msg_key(t->e[i].rec, &hk, &hlen) == tb && hlen == klen &&
		    (!klen || !memcmp(hk, k, klen)))
			return &t->e[i];
	return NULL;
}

/* The records after the file's 12-byte header, each after its length. */
static void stream(const uint8_t *data, size_t size)
{
	const struct opcua_entry *e;
	struct opcua_table t;
	struct opcua_msg m;
	uint8_t *before = NULL;
	uint32_t blen = 0, rlen;
	size_t off = 12;
	int rc;

	opcua_table_init(&t);
	while (off <= size && size - off >= 4 && (rlen = be_get32(data + off)) <= size - off - 4) {
		const uint8_t *rec = data + off + 4;

		off += 4 + rlen;
		if (opcua_msg_decode(rec, rlen, &m))
			continue;
		opcua_msg_clear(&m);
		free(before);
		before = NULL;
		e = held(&t, rec);
		if (e) {
			blen = e->len;
			before = malloc(blen);
			if (!before)
				abort();
			memcpy(before, e->rec, blen);
		}
		rc = opcua_table_put(&t, rec, rlen);
		if (rc == OPCUA_TABLE_NOMEM)
			abort();
		e = held(&t, rec);
		if (!e)
			abort();
		if (rc == OPCUA_TABLE_OLDER ? !before || e->len != blen || memcmp(e->rec, before, blen) :
		    e->len != rlen || memcmp(e->rec, rec, rlen))
			abort();
		opcua_table_applied(&t, rec);
	}
	free(before);
	opcua_table_free(&t);
}

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
	stream(data, size);
	return 0;
}
