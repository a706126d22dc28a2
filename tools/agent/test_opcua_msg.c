// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the OPC UA channel's records (opcua_msg.c). KTAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../selftests/unit/ktap.h"
#include "be.h"
#include "opcua_msg.h"

static uint8_t rec[OPCUA_MSG_MAX + 64], rec2[OPCUA_MSG_MAX + 64];

/* Encode m, decode it into d and encode d again: the same bytes. */
static long round_trip(const struct opcua_msg *m, struct opcua_msg *d)
{
	long n = opcua_msg_encode(rec, sizeof(rec), m), n2;

	if (n < 0) {
		ktap_diag("encode: %s", opcua_msg_strerror((int)n));
		return -1;
	}
	if (opcua_msg_decode(rec, (size_t)n, d)) {
		ktap_diag("decode: %s", opcua_msg_strerror(opcua_msg_decode(rec, (size_t)n, d)));
		return -1;
	}
	n2 = opcua_msg_encode(rec2, sizeof(rec2), d);
	if (n2 != n || memcmp(rec, rec2, (size_t)n)) {
		ktap_diag("encoded again: %ld bytes, not the same %ld", n2, n);
		opcua_msg_clear(d);
		return -1;
	}
	return n;
}

/* Decoding rec[0..n) fails, and leaves nothing held. */
static bool refused_any(size_t n)
{
	struct opcua_msg d;
	int rc = opcua_msg_decode(rec, n, &d);

	if (!rc) {
		ktap_diag("decode of %zu bytes accepted", n);
		opcua_msg_clear(&d);
	}
	return rc < 0 && !d.uris && !d.refs && !d.item.nodeAttributes.content.decoded.data;
}

/* Decoding rec[0..n) fails with exactly err, and leaves nothing held. */
static bool refused(size_t n, int err)
{
	struct opcua_msg d;
	int rc = opcua_msg_decode(rec, n, &d);

	if (rc != -err)
		ktap_diag("decode: %d (%s), expected -%d (%s)", rc, opcua_msg_strerror(rc),
			  err, opcua_msg_strerror(err));
	if (!rc)
		opcua_msg_clear(&d);
	return rc == -err && !d.uris && !d.refs && !d.item.nodeAttributes.content.decoded.data;
}

static void header(struct opcua_msg *m, uint8_t kind)
{
	opcua_msg_init(m);
	m->kind = kind;
	m->stamp = 7;
	m->table = 0xa1b2c3d4;
}

/* A Variable of Double[3] under a folder, with two further parents. */
struct node_fixture {
	struct opcua_msg m;
	UA_VariableAttributes va;
	UA_UInt32 dims[1];
	UA_AddReferencesItem refs[2];
};

static void node_fixture(struct node_fixture *f)
{
	size_t i;

	header(&f->m, OPCUA_MSG_NODE);
	f->m.node = UA_NODEID_STRING(2, "Line1/Motor3/Speeds");
	UA_VariableAttributes_init(&f->va);
	f->va.displayName = UA_LOCALIZEDTEXT("en-US", "Speeds");
	f->va.description = UA_LOCALIZEDTEXT("en-US", "three speeds, rpm");
	f->va.dataType = UA_TYPES[UA_TYPES_DOUBLE].typeId;
	f->va.valueRank = 1;
	f->dims[0] = 3;
	f->va.arrayDimensions = f->dims;
	f->va.arrayDimensionsSize = 1;
	f->va.accessLevel = UA_ACCESSLEVELMASK_READ;
	f->va.minimumSamplingInterval = 250.0;
	UA_AddNodesItem_init(&f->m.item);
	f->m.item.parentNodeId = UA_EXPANDEDNODEID_STRING(2, "Line1/Motor3");
	f->m.item.referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_HASCOMPONENT);
	f->m.item.browseName = UA_QUALIFIEDNAME(2, "Speeds");
	f->m.item.nodeClass = UA_NODECLASS_VARIABLE;
	UA_ExtensionObject_setValueNoDelete(&f->m.item.nodeAttributes, &f->va,
					    &UA_TYPES[UA_TYPES_VARIABLEATTRIBUTES]);
	f->m.item.typeDefinition =
		UA_EXPANDEDNODEID_NUMERIC(0, UA_NS0ID_BASEDATAVARIABLETYPE);
	for (i = 0; i < 2; i++) {
		UA_AddReferencesItem_init(&f->refs[i]);
		f->refs[i].referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES);
		f->refs[i].targetNodeId = UA_EXPANDEDNODEID_NUMERIC(3, 100 + (UA_UInt32)i);
	}
	f->m.refs = f->refs;
	f->m.nrefs = 2;
}

static bool test_namespaces(void)
{
	UA_String uris[3] = { UA_STRING("http://opcfoundation.org/UA/"),
			      UA_STRING("urn:plant:source"), UA_STRING("urn:plant:line1") };
	struct opcua_msg m, d;
	const uint8_t *key;
	size_t klen;
	long n;

	header(&m, OPCUA_MSG_NAMESPACES);
	m.uris = uris;
	m.nuris = 3;
	n = round_trip(&m, &d);
	KTAP_EXPECT(n == OPCUA_MSG_HDR + 3 * 4 + (4 + 28) + (4 + 16) + (4 + 15));
	KTAP_EXPECT(d.kind == OPCUA_MSG_NAMESPACES && d.stamp == 7 && d.table == 0xa1b2c3d4);
	KTAP_EXPECT(d.nuris == 3 && UA_String_equal(&d.uris[2], &uris[2]));
	KTAP_EXPECT(opcua_msg_key(rec, &key, &klen) == OPCUA_MSG_T_NAMESPACES && !klen);
	opcua_msg_clear(&d);

	uris[0] = UA_STRING("urn:plant:source");	/* not OPC UA's first */
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_URI);
	uris[0] = UA_STRING("http://opcfoundation.org/UA/");
	uris[2] = UA_STRING("urn:plant:source");	/* twice */
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_URI);
	uris[2] = UA_STRING("");
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_URI);

	/* the decoder refuses the same, written around the encoder: the
	 * third URI made a copy of the second in place */
	uris[2] = UA_STRING("urn:plant:sourcX");
	n = opcua_msg_encode(rec, sizeof(rec), &m);
	KTAP_EXPECT(n > 0);
	rec[n - 1] = 'e';
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_URI));
	return true;
}

static bool test_namespaces_limit(void)
{
	static UA_String uris[OPCUA_MSG_MAX_NS + 1];
	static char text[OPCUA_MSG_MAX_NS + 1][16];
	struct opcua_msg m, d;
	size_t i;

	header(&m, OPCUA_MSG_NAMESPACES);
	uris[0] = UA_STRING("http://opcfoundation.org/UA/");
	for (i = 1; i <= OPCUA_MSG_MAX_NS; i++) {
		snprintf(text[i], sizeof(text[i]), "urn:ns:%zu", i);
		uris[i] = UA_STRING(text[i]);
	}
	m.uris = uris;
	m.nuris = OPCUA_MSG_MAX_NS;
	KTAP_EXPECT(round_trip(&m, &d) > 0 && d.nuris == OPCUA_MSG_MAX_NS);
	opcua_msg_clear(&d);
	m.nuris = OPCUA_MSG_MAX_NS + 1;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_PIECES);
	return true;
}

static bool test_model(void)
{
	struct opcua_msg m, d;
	const uint8_t *key;
	size_t klen;
	long n;

	header(&m, OPCUA_MSG_MODEL);
	m.pass = 0x0102030405060708ull;
	m.nodes = 10000;
	m.period_ms = 60000;
	n = round_trip(&m, &d);
	KTAP_EXPECT(n == OPCUA_MSG_HDR + 4 + 8 + 4 + 4 + 4 + 4);
	KTAP_EXPECT(d.pass == m.pass && d.nodes == 10000 && d.period_ms == 60000);
	KTAP_EXPECT(opcua_msg_key(rec, &key, &klen) == OPCUA_MSG_T_MODEL && !klen);
	/* OPC UA's little-endian inside a piece, our big-endian length */
	KTAP_EXPECT(be_get32(rec + OPCUA_MSG_HDR) == 8 && rec[OPCUA_MSG_HDR + 4] == 0x08);
	opcua_msg_clear(&d);

	memset(rec + n - 4, 0, 4);	/* the period */
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_MODEL));
	m.period_ms = 0;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_MODEL);
	/* the pass, from 1 */
	m.period_ms = 60000;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == n);
	memset(rec + OPCUA_MSG_HDR + 4, 0, 8);
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_MODEL));
	m.pass = 0;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_MODEL);
	/* each piece's length checked: a pass of 4 bytes, a period of 8 */
	m.pass = 1;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == n);
	be_put32(rec + OPCUA_MSG_HDR, 4);
	KTAP_EXPECT(refused_any((size_t)n));
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == n);
	be_put32(rec + n - 8, 8);
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_SHORT));
	return true;
}

/* The bytes of a value record, written out by hand from Part 6, not by
 * open62541: the framing and open62541's encoding both checked. */
static bool test_value_bytes(void)
{
	static const uint8_t want[] = {
		1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0xa1, 0xb2, 0xc3, 0xd4,
		0, 0, 0, 4, 0x01, 2, 0x07, 0x00,	/* ns=2;i=7, four-byte form */
		0, 0, 0, 18,
		0x01 | 0x02 | 0x04,			/* value, status, source time */
		6, 42, 0, 0, 0,				/* Int32 42 */
		0x00, 0x00, 0x90, 0x40,			/* Uncertain_LastUsableValue */
		0x00, 0x40, 0x23, 0x2f, 0x6c, 0x62, 0xdb, 0x01,
	};
	struct opcua_msg m, d;
	UA_Int32 v = 42;
	long n;

	header(&m, OPCUA_MSG_VALUE);
	m.node = UA_NODEID_NUMERIC(2, 7);
	UA_Variant_setScalar(&m.value.value, &v, &UA_TYPES[UA_TYPES_INT32]);
	m.value.hasValue = true;
	m.value.status = UA_STATUSCODE_UNCERTAINLASTUSABLEVALUE;
	m.value.hasStatus = true;
	m.value.sourceTimestamp = 0x01db626c2f234000ll;
	m.value.hasSourceTimestamp = true;
	n = round_trip(&m, &d);
	KTAP_EXPECT(n == (long)sizeof(want));
	if (memcmp(rec, want, sizeof(want))) {
		for (long i = 0; i < n; i++)
			if (rec[i] != want[i])
				ktap_diag("byte %ld: %02x, expected %02x", i, rec[i], want[i]);
		return false;
	}
	KTAP_EXPECT(d.value.status == UA_STATUSCODE_UNCERTAINLASTUSABLEVALUE);
	KTAP_EXPECT(d.value.sourceTimestamp == 0x01db626c2f234000ll);
	KTAP_EXPECT(!d.value.hasServerTimestamp);
	KTAP_EXPECT(*(UA_Int32 *)d.value.value.data == 42);
	opcua_msg_clear(&d);
	return true;
}

/*
 * Every built-in type as a scalar and as an array of 3, with a status
 * and both timestamps: decoded equal to what was encoded, type and all
 * (a Variant holds no scalar Variant: only an array of them).
 */
static bool test_value_types(void)
{
	struct opcua_msg m, d;
	const UA_DataType *t;
	void *scalar, *arr;
	size_t id;

	for (id = UA_TYPES_BOOLEAN; id <= UA_TYPES_DIAGNOSTICINFO; id++) {
		t = &UA_TYPES[id];
		header(&m, OPCUA_MSG_VALUE);
		m.node = UA_NODEID_NUMERIC(4, (UA_UInt32)id);
		scalar = UA_new(t);
		arr = UA_Array_new(3, t);
		KTAP_EXPECT(scalar && arr);
		if (t->typeKind == UA_DATATYPEKIND_VARIANT)
			UA_Variant_setArray(&m.value.value, arr, 3, t);
		else
			UA_Variant_setScalar(&m.value.value, scalar, t);
		m.value.hasValue = true;
		m.value.status = UA_STATUSCODE_BADSENSORFAILURE;
		m.value.hasStatus = true;
		m.value.sourceTimestamp = 133000000000000000ll + (UA_DateTime)id;
		m.value.hasSourceTimestamp = true;
		m.value.serverTimestamp = 133000000000000001ll;
		m.value.hasServerTimestamp = true;
		m.value.sourcePicoseconds = 9;
		m.value.hasSourcePicoseconds = true;
		if (round_trip(&m, &d) < 0) {
			ktap_diag("scalar %s", t->typeName);
			return false;
		}
		KTAP_EXPECT(UA_equal(&m.value, &d.value, &UA_TYPES[UA_TYPES_DATAVALUE]));
		KTAP_EXPECT(d.value.value.type == t);
		opcua_msg_clear(&d);
		UA_Variant_setArray(&m.value.value, arr, 3, t);
		if (round_trip(&m, &d) < 0) {
			ktap_diag("array %s", t->typeName);
			return false;
		}
		KTAP_EXPECT(UA_equal(&m.value, &d.value, &UA_TYPES[UA_TYPES_DATAVALUE]));
		KTAP_EXPECT(d.value.value.arrayLength == 3 && d.value.value.type == t);
		opcua_msg_clear(&d);
		UA_delete(scalar, t);
		UA_Array_delete(arr, 3, t);
	}
	return true;
}

static bool test_node(void)
{
	struct node_fixture f;
	const UA_VariableAttributes *va;
	const uint8_t *key, *key2;
	size_t klen, klen2;
	struct opcua_msg d, g;
	long n;

	node_fixture(&f);
	n = round_trip(&f.m, &d);
	KTAP_EXPECT(n > 0);
	KTAP_EXPECT(UA_NodeId_equal(&d.node, &f.m.node));
	KTAP_EXPECT(UA_equal(&d.item, &f.m.item, &UA_TYPES[UA_TYPES_ADDNODESITEM]));
	KTAP_EXPECT(d.nrefs == 2 && UA_equal(&d.refs[1], &f.refs[1],
					     &UA_TYPES[UA_TYPES_ADDREFERENCESITEM]));
	va = d.item.nodeAttributes.content.decoded.data;
	KTAP_EXPECT(d.item.nodeAttributes.content.decoded.type ==
		    &UA_TYPES[UA_TYPES_VARIABLEATTRIBUTES]);
	KTAP_EXPECT(va->valueRank == 1 && va->arrayDimensionsSize == 1 &&
		    va->arrayDimensions[0] == 3);
	KTAP_EXPECT(UA_NodeId_equal(&va->dataType, &UA_TYPES[UA_TYPES_DOUBLE].typeId));
	opcua_msg_clear(&d);

	/* a node and its tombstone share a key; its value is elsewhere */
	KTAP_EXPECT(opcua_msg_key(rec, &key, &klen) == OPCUA_MSG_T_NODES);
	KTAP_EXPECT(klen == UA_calcSizeBinary(&f.m.node, &UA_TYPES[UA_TYPES_NODEID]));
	header(&g, OPCUA_MSG_GONE);
	g.node = f.m.node;
	n = round_trip(&g, &d);
	KTAP_EXPECT(n == (long)(OPCUA_MSG_HDR + 4 + klen));
	opcua_msg_clear(&d);
	KTAP_EXPECT(opcua_msg_key(rec, &key2, &klen2) == OPCUA_MSG_T_NODES);
	KTAP_EXPECT(klen2 == klen);
	g.kind = OPCUA_MSG_VALUE;
	g.value.hasStatus = true;
	g.value.status = UA_STATUSCODE_BADWAITINGFORINITIALDATA;
	KTAP_EXPECT(opcua_msg_encode(rec2, sizeof(rec2), &g) > 0);
	KTAP_EXPECT(opcua_msg_key(rec2, &key2, &klen2) == OPCUA_MSG_T_VALUES);
	KTAP_EXPECT(klen2 == klen && !memcmp(key2, rec2 + OPCUA_MSG_HDR + 4, klen));
	node_fixture(&f);
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &f.m) > 0);
	KTAP_EXPECT(opcua_msg_key(rec, &key, &klen) == OPCUA_MSG_T_NODES &&
		    !memcmp(key, key2, klen));
	return true;
}

/* Each change makes the encoder refuse with err, and the decoder the
 * record encoded before it and patched after (where bytes can say it). */
static bool test_node_refused(void)
{
	struct node_fixture f;
	UA_AddReferencesItem many[OPCUA_MSG_MAX_REFS + 1];
	UA_ObjectAttributes oa;
	UA_Double one = 1;
	char big[OPCUA_MSG_MAX_ID + 2];
	size_t i;

	UA_ObjectAttributes_init(&oa);
#define REFUSES(change, err)						\
	do {								\
		node_fixture(&f);					\
		change;							\
		KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &f.m) == -(err)); \
	} while (0)
	REFUSES(f.m.node = UA_NODEID_NULL, OPCUA_MSG_E_NODEID);
	REFUSES(f.m.node.namespaceIndex = OPCUA_MSG_MAX_NS, OPCUA_MSG_E_NODEID);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	REFUSES(f.m.node = UA_NODEID_STRING(2, big), OPCUA_MSG_E_NODEID);
	REFUSES(f.m.item.parentNodeId.serverIndex = 1, OPCUA_MSG_E_NODEID);
	REFUSES(f.m.item.parentNodeId.namespaceUri = UA_STRING("urn:x"), OPCUA_MSG_E_NODEID);
	REFUSES(f.m.item.requestedNewNodeId = UA_EXPANDEDNODEID_NUMERIC(2, 1),
		OPCUA_MSG_E_NODEID);
	REFUSES(f.m.item.referenceTypeId = UA_NODEID_NULL, OPCUA_MSG_E_NODEID);
	REFUSES(f.m.item.typeDefinition = UA_EXPANDEDNODEID_NUMERIC(0, 0), OPCUA_MSG_E_NODEID);
	REFUSES(f.va.dataType.namespaceIndex = OPCUA_MSG_MAX_NS, OPCUA_MSG_E_NODE);
	REFUSES(f.m.item.nodeClass = UA_NODECLASS_UNSPECIFIED, OPCUA_MSG_E_NODE);
	REFUSES(f.m.item.nodeClass = UA_NODECLASS_OBJECT, OPCUA_MSG_E_NODE);
	REFUSES(UA_ExtensionObject_setValueNoDelete(&f.m.item.nodeAttributes, &oa,
						    &UA_TYPES[UA_TYPES_OBJECTATTRIBUTES]),
		OPCUA_MSG_E_NODE);
	REFUSES(f.m.item.browseName = UA_QUALIFIEDNAME(2, ""), OPCUA_MSG_E_NODE);
	REFUSES(UA_Variant_setScalar(&f.va.value, &one, &UA_TYPES[UA_TYPES_DOUBLE]),
		OPCUA_MSG_E_NODE);
	REFUSES(f.va.valueRank = 2, OPCUA_MSG_E_NODE);
	REFUSES(f.va.valueRank = -4, OPCUA_MSG_E_NODE);
	REFUSES(f.va.valueRank = UA_VALUERANK_SCALAR, OPCUA_MSG_E_NODE);
	REFUSES(f.refs[1].isForward = true, OPCUA_MSG_E_REF);
	REFUSES(f.refs[1].sourceNodeId = UA_NODEID_NUMERIC(2, 5), OPCUA_MSG_E_REF);
	REFUSES(f.refs[1].targetNodeId.nodeId = f.refs[0].targetNodeId.nodeId,
		OPCUA_MSG_E_REF);
	REFUSES((f.refs[1].targetNodeId = f.m.item.parentNodeId,
		 f.refs[1].referenceTypeId = f.m.item.referenceTypeId), OPCUA_MSG_E_REF);
	REFUSES(f.refs[0].targetNodeClass = UA_NODECLASS_OBJECT, OPCUA_MSG_E_REF);
	for (i = 0; i <= OPCUA_MSG_MAX_REFS; i++) {
		UA_AddReferencesItem_init(&many[i]);
		many[i].referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES);
		many[i].targetNodeId = UA_EXPANDEDNODEID_NUMERIC(3, (UA_UInt32)i + 1);
	}
	REFUSES((f.m.refs = many, f.m.nrefs = OPCUA_MSG_MAX_REFS + 1), OPCUA_MSG_E_PIECES);
	node_fixture(&f);
	f.m.refs = many;
	f.m.nrefs = OPCUA_MSG_MAX_REFS;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &f.m) > 0);
#undef REFUSES
	return true;
}

/* Records patched by hand: what no encoder writes. */
static bool test_refused_bytes(void)
{
	struct node_fixture f;
	struct opcua_msg g;
	long n, i;

	node_fixture(&f);
	f.m.nrefs = 0;		/* a cut after a further parent is a record */
	n = opcua_msg_encode(rec, sizeof(rec), &f.m);
	KTAP_EXPECT(n > 0);
	for (i = 0; i < n; i++)		/* every cut refused, never a crash */
		KTAP_EXPECT(refused_any((size_t)i));
	f.m.nrefs = 2;
	n = opcua_msg_encode(rec, sizeof(rec), &f.m);
	KTAP_EXPECT(n > 0);
	memcpy(rec2, rec, (size_t)n);
	KTAP_EXPECT(refused(OPCUA_MSG_HDR - 1, OPCUA_MSG_E_SHORT));
	rec[0] = 2;
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_VERSION));
	rec[0] = 1;
	rec[1] = 6;
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_KIND));
	rec[1] = 3;
	rec[3] = 1;
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_HEADER));
	rec[3] = 0;
	memset(rec + 4, 0, 8);
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_HEADER));
	memcpy(rec, rec2, (size_t)n);
	memset(rec + 12, 0, 4);
	KTAP_EXPECT(refused((size_t)n, OPCUA_MSG_E_HEADER));
	memcpy(rec, rec2, (size_t)n);
	KTAP_EXPECT(opcua_msg_decode(rec, (size_t)n, &g) == 0);
	opcua_msg_clear(&g);
	rec[n] = 0;			/* a byte after the last piece */
	KTAP_EXPECT(refused((size_t)n + 1, OPCUA_MSG_E_SHORT));
	memcpy(rec + n, "\0\0\0\0", 4);	/* an empty piece after it */
	KTAP_EXPECT(refused((size_t)n + 4, OPCUA_MSG_E_DECODE));

	/* a tombstone of ns=0;i=85, then a second piece; then the NodeId
	 * with a byte after it inside its piece */
	static const uint8_t gone[] = {
		1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
		0, 0, 0, 2, 0x00, 85,
		0, 0, 0, 2, 0x00, 85,
	};
	memcpy(rec, gone, sizeof(gone));
	KTAP_EXPECT(opcua_msg_decode(rec, sizeof(gone) - 6, &g) == 0);
	KTAP_EXPECT(g.kind == OPCUA_MSG_GONE && g.stamp == 1 && g.table == 1 &&
		    g.node.namespaceIndex == 0 && g.node.identifier.numeric == 85);
	opcua_msg_clear(&g);
	KTAP_EXPECT(refused(sizeof(gone), OPCUA_MSG_E_PIECES));
	rec[19] = 3;
	rec[22] = 0;
	KTAP_EXPECT(refused(23, OPCUA_MSG_E_CANONICAL));
	/* the same NodeId in the four-byte form, which open62541 reads */
	static const uint8_t four[] = {
		1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
		0, 0, 0, 4, 0x01, 0, 85, 0,
	};
	memcpy(rec, four, sizeof(four));
	KTAP_EXPECT(refused(sizeof(four), OPCUA_MSG_E_CANONICAL));
	rec[19] = 5;			/* a length past the record */
	KTAP_EXPECT(refused(sizeof(four), OPCUA_MSG_E_SHORT));
	rec[16] = 0x80;
	KTAP_EXPECT(refused(sizeof(four), OPCUA_MSG_E_SHORT));
	return true;
}

/* A value too large for a record is refused whole, and a record longer
 * than the largest is refused before anything is read. */
static bool test_too_large(void)
{
	struct opcua_msg m;
	UA_ByteString b;
	long n;

	header(&m, OPCUA_MSG_VALUE);
	m.node = UA_NODEID_NUMERIC(2, 1);
	KTAP_EXPECT(UA_ByteString_allocBuffer(&b, OPCUA_MSG_MAX) == UA_STATUSCODE_GOOD);
	memset(b.data, 0x5a, b.length);
	UA_Variant_setScalar(&m.value.value, &b, &UA_TYPES[UA_TYPES_BYTESTRING]);
	m.value.hasValue = true;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_TOO_LARGE);
	b.length = OPCUA_MSG_MAX - OPCUA_MSG_HDR - 4 - 4 - 4 - 1 - 1 - 4;
	n = opcua_msg_encode(rec, sizeof(rec), &m);
	KTAP_EXPECT(n == OPCUA_MSG_MAX);
	b.length++;
	KTAP_EXPECT(opcua_msg_encode(rec, sizeof(rec), &m) == -OPCUA_MSG_E_TOO_LARGE);
	/* the length alone, when the buffer is too small */
	b.length--;
	KTAP_EXPECT(opcua_msg_encode(rec, 100, &m) == OPCUA_MSG_MAX);
	UA_ByteString_clear(&b);
	KTAP_EXPECT(refused(OPCUA_MSG_MAX + 1, OPCUA_MSG_E_TOO_LARGE));
	return true;
}

int main(void)
{
	static const struct ktap_test tests[] = {
		{ "namespaces", test_namespaces },
		{ "namespaces_limit", test_namespaces_limit },
		{ "model", test_model },
		{ "value_bytes", test_value_bytes },
		{ "value_types", test_value_types },
		{ "node", test_node },
		{ "node_refused", test_node_refused },
		{ "refused_bytes", test_refused_bytes },
		{ "too_large", test_too_large },
	};

	return ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
}
