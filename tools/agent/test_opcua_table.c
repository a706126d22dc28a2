// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the OPC UA rx's table (opcua_table.c). KTAP. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../../selftests/unit/ktap.h"
#include "opcua_msg.h"
#include "opcua_table.h"

static uint8_t a[256], b[256], c[256];
static long na, nb, nc;

/* Value records: a and b of one variable (two values), c of another. */
static bool records(void)
{
	struct opcua_msg m;
	UA_Int32 v = 1;

	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_VALUE;
	m.stamp = 1;
	m.table = 9;
	m.node = UA_NODEID_STRING(2, "Plant/V1");
	UA_Variant_setScalar(&m.value.value, &v, &UA_TYPES[UA_TYPES_INT32]);
	m.value.hasValue = true;
	na = opcua_msg_encode(a, sizeof(a), &m);
	v = 2;
	m.stamp = 2;
	nb = opcua_msg_encode(b, sizeof(b), &m);
	m.node = UA_NODEID_NUMERIC(3, 7);
	nc = opcua_msg_encode(c, sizeof(c), &m);
	return na > 0 && nb > 0 && nc > 0;
}

static bool test_put(void)
{
	struct opcua_table t;

	KTAP_EXPECT(records());
	opcua_table_init(&t);
	KTAP_EXPECT(opcua_table_put(&t, a, na) == 1);
	/* not applied yet: the copy is still to apply */
	KTAP_EXPECT(opcua_table_put(&t, a, na) == 1);
	opcua_table_applied(&t, a);
	KTAP_EXPECT(opcua_table_put(&t, a, na) == 0);
	KTAP_EXPECT(opcua_table_put(&t, b, nb) == 1);	/* its next value */
	KTAP_EXPECT(t.n == 1 && t.bytes == (uint64_t)nb);
	opcua_table_applied(&t, b);
	KTAP_EXPECT(opcua_table_put(&t, c, nc) == 1);	/* another key */
	opcua_table_applied(&t, c);
	KTAP_EXPECT(t.n == 2 && opcua_table_put(&t, b, nb) == 0);
	/* the namespace table's key is empty: one entry, a copy a copy */
	{
		UA_String u = UA_STRING("http://opcfoundation.org/UA/");
		struct opcua_msg m;
		uint8_t ns[64];
		long n;

		opcua_msg_init(&m);
		m.kind = OPCUA_MSG_NAMESPACES;
		m.stamp = m.table = 1;
		m.uris = &u;
		m.nuris = 1;
		n = opcua_msg_encode(ns, sizeof(ns), &m);
		KTAP_EXPECT(n > 0 && opcua_table_put(&t, ns, n) == 1);
		opcua_table_applied(&t, ns);
		KTAP_EXPECT(opcua_table_put(&t, ns, n) == 0 && t.n == 3);
	}
	/* a new generation: each to apply again, once */
	opcua_table_next_gen(&t);
	KTAP_EXPECT(opcua_table_put(&t, b, nb) == 1);
	opcua_table_applied(&t, b);
	KTAP_EXPECT(opcua_table_put(&t, b, nb) == 0 && opcua_table_put(&t, c, nc) == 1);
	opcua_table_free(&t);
	return true;
}

static bool test_file(void)
{
	struct opcua_table t, u;
	char err[128];
	uint8_t *f;
	size_t len, i;

	KTAP_EXPECT(records());
	opcua_table_init(&t);
	opcua_table_put(&t, b, nb);
	opcua_table_put(&t, c, nc);
	KTAP_EXPECT(!opcua_table_save(&t, &f, &len));
	KTAP_EXPECT(len == 12 + 4 + (size_t)nb + 4 + (size_t)nc + 32);
	opcua_table_init(&u);
	KTAP_EXPECT(!opcua_table_load(&u, f, len, err, sizeof(err)));
	KTAP_EXPECT(u.n == 2 && u.e[0].len == nb && !memcmp(u.e[0].rec, b, nb) &&
		    u.e[1].len == nc && !memcmp(u.e[1].rec, c, nc));
	/* loaded, not applied: each is to apply */
	KTAP_EXPECT(opcua_table_put(&u, c, nc) == 1);
	opcua_table_free(&u);
	/* any byte changed is refused, the table left empty */
	for (i = 0; i < len; i++) {
		f[i] ^= 0x20;
		KTAP_EXPECT(opcua_table_load(&u, f, len, err, sizeof(err)) == -1 && u.n == 0);
		f[i] ^= 0x20;
	}
	KTAP_EXPECT(opcua_table_load(&u, f, len - 1, err, sizeof(err)) == -1);
	KTAP_EXPECT(!strcmp(err, "checksum does not match: damaged"));
	free(f);
	opcua_table_free(&t);
	/* a key twice, checksummed as it should be: refused */
	len = 12 + 4 + na + 4 + nb + 32;
	f = malloc(len);
	KTAP_EXPECT(f);
	memcpy(f, "DAOU\0\0\0\1\0\0\0\2", 12);
	f[12] = f[13] = f[14] = 0;
	f[15] = (uint8_t)na;
	memcpy(f + 16, a, na);
	f[16 + na] = f[17 + na] = f[18 + na] = 0;
	f[19 + na] = (uint8_t)nb;
	memcpy(f + 20 + na, b, nb);
	crypto_generichash(f + len - 32, 32, f, len - 32, NULL, 0);
	KTAP_EXPECT(opcua_table_load(&u, f, len, err, sizeof(err)) == -1);
	KTAP_EXPECT(!strcmp(err, "record 1: a key twice"));
	/* the same with c second: loaded */
	memcpy(f + 20 + na, c, nc);
	len = 12 + 4 + na + 4 + nc + 32;
	f[19 + na] = (uint8_t)nc;
	crypto_generichash(f + len - 32, 32, f, len - 32, NULL, 0);
	KTAP_EXPECT(!opcua_table_load(&u, f, len, err, sizeof(err)) && u.n == 2);
	opcua_table_free(&u);
	free(f);
	return true;
}

/* The namespace table, which the sweep never removes. */
static long ns_record(uint8_t *buf, size_t cap)
{
	UA_String u = UA_STRING("http://opcfoundation.org/UA/");
	struct opcua_msg m;

	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_NAMESPACES;
	m.stamp = m.table = 1;
	m.uris = &u;
	m.nuris = 1;
	return opcua_msg_encode(buf, cap, &m);
}

static size_t swept_n;
static const uint8_t *swept_last;

static void on_swept(void *ctx, const uint8_t *rec, uint32_t len)
{
	(void)ctx, (void)len;
	swept_n++;
	swept_last = rec;
}

/* A record not heard in three passes heard whole is removed, and only
 * then; a pass not heard whole (a summary missed, another table id)
 * does not count. */
static bool test_sweep(void)
{
	struct opcua_table t;
	uint8_t ns[64];
	long nns = ns_record(ns, sizeof(ns));

	KTAP_EXPECT(records() && nns > 0);
	opcua_table_init(&t);
	/* before any summary: nothing to sweep, whatever the table holds */
	KTAP_EXPECT(opcua_table_put(&t, a, na) == 1 && opcua_table_put(&t, ns, nns) == 1 &&
		    opcua_table_put(&t, c, nc) == 1);
	opcua_table_applied(&t, ns);
	KTAP_EXPECT(!opcua_table_sweep(&t, on_swept, NULL) && t.n == 3);
	KTAP_EXPECT(!opcua_table_pass(&t, 9, 1));	/* its start only */
	KTAP_EXPECT(opcua_table_put(&t, a, na) == 1);	/* a heard in pass 1 */
	KTAP_EXPECT(!opcua_table_pass(&t, 9, 2));	/* 1 whole */
	KTAP_EXPECT(!opcua_table_pass(&t, 9, 3));	/* 2 whole */
	KTAP_EXPECT(opcua_table_pass(&t, 9, 4));	/* 3 whole: the sweep */
	swept_n = 0;
	/* c, put before pass 1 and never since, missed passes 1 to 3 */
	KTAP_EXPECT(opcua_table_sweep(&t, on_swept, NULL) == 1 && swept_n == 1);
	KTAP_EXPECT(swept_last != a && t.n == 2 && t.bytes == (uint64_t)(na + nns));
	/* the index made again: the namespace table still a copy, a held */
	KTAP_EXPECT(opcua_table_put(&t, ns, nns) == 0);
	/* a, heard in pass 1, missed 2 to 4 */
	KTAP_EXPECT(opcua_table_pass(&t, 9, 5));
	KTAP_EXPECT(opcua_table_sweep(&t, on_swept, NULL) == 1 && t.n == 1 && swept_n == 2);
	/* put again after the sweep: new, applied again */
	KTAP_EXPECT(opcua_table_put(&t, a, na) == 1 && opcua_table_put(&t, c, nc) == 1);
	KTAP_EXPECT(t.n == 3 && opcua_table_put(&t, ns, nns) == 0);
	/* pass 6 missed: 5 and 6 are not whole, 7 is */
	KTAP_EXPECT(!opcua_table_pass(&t, 9, 7));
	KTAP_EXPECT(opcua_table_pass(&t, 9, 8));
	KTAP_EXPECT(!opcua_table_sweep(&t, on_swept, NULL) && t.n == 3);
	KTAP_EXPECT(opcua_table_put(&t, c, nc) == 1);	/* c heard in pass 8 */
	KTAP_EXPECT(opcua_table_pass(&t, 9, 9) && !opcua_table_sweep(&t, NULL, NULL));
	/* 7, 8, 9 whole, and a heard in 5, which was not: a goes */
	KTAP_EXPECT(opcua_table_pass(&t, 9, 10));
	KTAP_EXPECT(opcua_table_sweep(&t, NULL, NULL) == 1 && t.n == 2);
	KTAP_EXPECT(opcua_table_put(&t, c, nc) == 1 && t.n == 2);
	/* another table id (the tx restarted): its first pass is not whole,
	 * nor one whose number went back */
	KTAP_EXPECT(!opcua_table_pass(&t, 10, 11));
	KTAP_EXPECT(!opcua_table_pass(&t, 10, 1));
	KTAP_EXPECT(!opcua_table_pass(&t, 10, 1));
	KTAP_EXPECT(opcua_table_pass(&t, 10, 2));
	/* c heard in pass 10: 1 (of table 10) is the only whole pass since */
	KTAP_EXPECT(!opcua_table_sweep(&t, NULL, NULL) && t.n == 2);
	opcua_table_free(&t);
	return true;
}

/* A table loaded from its file (an rx restarted) marks nothing heard: a
 * record the carousel no longer sends goes after three whole passes. */
static bool test_sweep_loaded(void)
{
	struct opcua_table t, u;
	char err[128];
	uint8_t *f;
	size_t len;
	uint64_t p;

	KTAP_EXPECT(records());
	opcua_table_init(&t);
	opcua_table_put(&t, b, nb);
	opcua_table_put(&t, c, nc);
	KTAP_EXPECT(!opcua_table_save(&t, &f, &len));
	opcua_table_free(&t);
	opcua_table_init(&u);
	KTAP_EXPECT(!opcua_table_load(&u, f, len, err, sizeof(err)) && u.n == 2);
	free(f);
	for (p = 100; p < 103; p++) {
		KTAP_EXPECT(!opcua_table_pass(&u, 5, p));
		KTAP_EXPECT(opcua_table_put(&u, c, nc) >= 0);	/* the carousel's c */
	}
	KTAP_EXPECT(opcua_table_pass(&u, 5, 103));
	KTAP_EXPECT(opcua_table_sweep(&u, NULL, NULL) == 1 && u.n == 1);
	KTAP_EXPECT(u.e[0].len == nc && !memcmp(u.e[0].rec, c, nc));
	opcua_table_free(&u);
	return true;
}

/* A value record of Plant/V1: its value, stamp and link table id. */
static long value_record(uint8_t *buf, size_t cap, UA_Int32 v, uint64_t stamp, uint32_t table)
{
	struct opcua_msg m;

	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_VALUE;
	m.stamp = stamp;
	m.table = table;
	m.node = UA_NODEID_STRING(2, "Plant/V1");
	UA_Variant_setScalar(&m.value.value, &v, &UA_TYPES[UA_TYPES_INT32]);
	m.value.hasValue = true;
	return opcua_msg_encode(buf, cap, &m);
}

/* A folder's node record, or (gone) its tombstone. */
static long node_record(uint8_t *buf, size_t cap, bool gone, uint64_t stamp)
{
	UA_ObjectAttributes oa;
	struct opcua_msg m;

	opcua_msg_init(&m);
	m.kind = gone ? OPCUA_MSG_GONE : OPCUA_MSG_NODE;
	m.stamp = stamp;
	m.table = 9;
	m.node = UA_NODEID_STRING(2, "Plant/Line0");
	if (!gone) {
		UA_ObjectAttributes_init(&oa);
		oa.displayName = UA_LOCALIZEDTEXT("", "Line0");
		m.item.parentNodeId = UA_EXPANDEDNODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER);
		m.item.referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES);
		m.item.browseName = UA_QUALIFIEDNAME(2, "Line0");
		m.item.nodeClass = UA_NODECLASS_OBJECT;
		UA_ExtensionObject_setValueNoDelete(&m.item.nodeAttributes, &oa,
						    &UA_TYPES[UA_TYPES_OBJECTATTRIBUTES]);
		m.item.typeDefinition = UA_EXPANDEDNODEID_NUMERIC(0, UA_NS0ID_FOLDERTYPE);
	}
	return opcua_msg_encode(buf, cap, &m);
}

/* The table holds this record, byte for byte. */
static bool holds(const struct opcua_table *t, const uint8_t *rec, long len)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].len == len && !memcmp(t->e[i].rec, rec, len))
			return true;
	return false;
}

/*
 * The two paths of a value: a change (numbered) and the carousel's copy
 * queued before it, arriving after it. The copy is older by its stamp
 * and ignored; a newer record is applied; the same content under a newer
 * stamp is a copy whose stamp is taken; an equal stamp is applied only
 * when its content differs. A tx restarted (another table id, stamps
 * from 1 again) is told by content, never ignored.
 */
static bool test_order(void)
{
	uint8_t v1_5[256], v2_7[256], v2_9[256], v3_8[256], v1_7[256], r[256];
	long n1_5, n2_7, n2_9, n3_8, n1_7, n;
	struct opcua_table t;

	n1_5 = value_record(v1_5, sizeof(v1_5), 1, 5, 9);
	n2_7 = value_record(v2_7, sizeof(v2_7), 2, 7, 9);
	n2_9 = value_record(v2_9, sizeof(v2_9), 2, 9, 9);
	n3_8 = value_record(v3_8, sizeof(v3_8), 3, 8, 9);
	n1_7 = value_record(v1_7, sizeof(v1_7), 1, 7, 9);
	KTAP_EXPECT(n1_5 > 0 && n2_7 > 0 && n2_9 > 0 && n3_8 > 0 && n1_7 > 0);
	opcua_table_init(&t);
	KTAP_EXPECT(opcua_table_put(&t, v1_5, n1_5) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, v1_5);
	/* the change to 2, then the copy of 1 the carousel queued before it */
	KTAP_EXPECT(opcua_table_put(&t, v2_7, n2_7) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, v2_7);
	t.dirty = false;
	KTAP_EXPECT(opcua_table_put(&t, v1_5, n1_5) == OPCUA_TABLE_OLDER);
	KTAP_EXPECT(t.n == 1 && holds(&t, v2_7, n2_7) && !t.dirty);
	/* not even in a new generation (the link silent, then back) */
	opcua_table_next_gen(&t);
	KTAP_EXPECT(opcua_table_put(&t, v1_5, n1_5) == OPCUA_TABLE_OLDER);
	KTAP_EXPECT(opcua_table_put(&t, v2_7, n2_7) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, v2_7);
	KTAP_EXPECT(opcua_table_put(&t, v2_7, n2_7) == OPCUA_TABLE_COPY);
	/* an equal stamp, another content (the tx never makes one): applied */
	KTAP_EXPECT(opcua_table_put(&t, v1_7, n1_7) == OPCUA_TABLE_APPLY);
	KTAP_EXPECT(holds(&t, v1_7, n1_7));
	opcua_table_applied(&t, v1_7);
	KTAP_EXPECT(opcua_table_put(&t, v2_7, n2_7) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, v2_7);
	/* 2 sent again with a new stamp (a subscription made again): a copy,
	 * its stamp taken, so that 3, changed between, is older */
	t.dirty = false;
	KTAP_EXPECT(opcua_table_put(&t, v2_9, n2_9) == OPCUA_TABLE_COPY);
	KTAP_EXPECT(holds(&t, v2_9, n2_9) && t.dirty);
	KTAP_EXPECT(opcua_table_put(&t, v3_8, n3_8) == OPCUA_TABLE_OLDER);
	KTAP_EXPECT(opcua_table_put(&t, v2_7, n2_7) == OPCUA_TABLE_OLDER);
	/* the tx restarted: a new table id, its stamps from 1 again */
	n = value_record(r, sizeof(r), 4, 1, 10);
	KTAP_EXPECT(n > 0 && opcua_table_put(&t, r, n) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, r);
	KTAP_EXPECT(opcua_table_put(&t, r, n) == OPCUA_TABLE_COPY && t.n == 1);
	n = value_record(r, sizeof(r), 5, 2, 10);
	KTAP_EXPECT(n > 0 && opcua_table_put(&t, r, n) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, r);
	n = value_record(r, sizeof(r), 4, 1, 10);
	KTAP_EXPECT(n > 0 && opcua_table_put(&t, r, n) == OPCUA_TABLE_OLDER);
	/* the same value under another table id is another content */
	n = value_record(r, sizeof(r), 5, 3, 11);
	KTAP_EXPECT(n > 0 && opcua_table_put(&t, r, n) == OPCUA_TABLE_APPLY);
	opcua_table_free(&t);
	return true;
}

/* A node and its tombstone share a key: a copy of the node queued before
 * the tombstone does not bring it back; the node back after it does. */
static bool test_order_tombstone(void)
{
	uint8_t node3[512], gone5[128], node6[512];
	long n3 = node_record(node3, sizeof(node3), false, 3);
	long g5 = node_record(gone5, sizeof(gone5), true, 5);
	long n6 = node_record(node6, sizeof(node6), false, 6);
	struct opcua_table t;

	KTAP_EXPECT(n3 > 0 && g5 > 0 && n6 > 0);
	opcua_table_init(&t);
	KTAP_EXPECT(opcua_table_put(&t, node3, n3) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, node3);
	KTAP_EXPECT(opcua_table_put(&t, gone5, g5) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, gone5);
	KTAP_EXPECT(opcua_table_put(&t, node3, n3) == OPCUA_TABLE_OLDER);
	KTAP_EXPECT(t.n == 1 && holds(&t, gone5, g5));
	KTAP_EXPECT(opcua_table_put(&t, node6, n6) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, node6);
	KTAP_EXPECT(opcua_table_put(&t, gone5, g5) == OPCUA_TABLE_OLDER);
	KTAP_EXPECT(t.n == 1 && holds(&t, node6, n6));
	opcua_table_free(&t);
	return true;
}

/* An rx restarted keeps the order: the file holds the last stamp taken,
 * and a copy older than it is still ignored. */
static bool test_order_file(void)
{
	uint8_t v1_5[256], v2_7[256], v2_9[256], v3_8[256], *f;
	long n1_5 = value_record(v1_5, sizeof(v1_5), 1, 5, 9);
	long n2_7 = value_record(v2_7, sizeof(v2_7), 2, 7, 9);
	long n2_9 = value_record(v2_9, sizeof(v2_9), 2, 9, 9);
	long n3_8 = value_record(v3_8, sizeof(v3_8), 3, 8, 9);
	struct opcua_table t, u;
	char err[128];
	size_t len;

	KTAP_EXPECT(n1_5 > 0 && n2_7 > 0 && n2_9 > 0 && n3_8 > 0);
	opcua_table_init(&t);
	KTAP_EXPECT(opcua_table_put(&t, v2_7, n2_7) == OPCUA_TABLE_APPLY);
	opcua_table_applied(&t, v2_7);
	KTAP_EXPECT(opcua_table_put(&t, v2_9, n2_9) == OPCUA_TABLE_COPY);
	KTAP_EXPECT(!opcua_table_save(&t, &f, &len));
	opcua_table_free(&t);
	opcua_table_init(&u);
	KTAP_EXPECT(!opcua_table_load(&u, f, len, err, sizeof(err)) && !u.dirty);
	free(f);
	KTAP_EXPECT(opcua_table_put(&u, v3_8, n3_8) == OPCUA_TABLE_OLDER);
	KTAP_EXPECT(opcua_table_put(&u, v1_5, n1_5) == OPCUA_TABLE_OLDER && !u.dirty);
	/* loaded, not applied: the copy is to apply */
	KTAP_EXPECT(opcua_table_put(&u, v2_9, n2_9) == OPCUA_TABLE_APPLY && !u.dirty);
	opcua_table_free(&u);
	return true;
}

int main(void)
{
	static const struct ktap_test tests[] = {
		{ "put", test_put },
		{ "file", test_file },
		{ "sweep", test_sweep },
		{ "sweep_loaded", test_sweep_loaded },
		{ "order", test_order },
		{ "order_tombstone", test_order_tombstone },
		{ "order_file", test_order_file },
	};

	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
