// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA channel's records (docs/opcua.md). Our header and piece
 * lengths are big-endian, like the transport; the pieces are OPC UA's
 * binary encoding, and only open62541 reads or writes them.
 */
#include <stdlib.h>
#include <string.h>

#include "be.h"
#include "opcua_msg.h"

#define OFF_KIND	1
#define OFF_RESERVED	2
#define OFF_STAMP	4
#define OFF_TABLE	12

static const UA_String ns0_uri = UA_STRING_STATIC("http://opcfoundation.org/UA/");

void opcua_msg_init(struct opcua_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void opcua_msg_clear(struct opcua_msg *m)
{
	UA_Array_delete(m->uris, m->nuris, &UA_TYPES[UA_TYPES_STRING]);
	UA_NodeId_clear(&m->node);
	UA_AddNodesItem_clear(&m->item);
	UA_Array_delete(m->refs, m->nrefs, &UA_TYPES[UA_TYPES_ADDREFERENCESITEM]);
	UA_DataValue_clear(&m->value);
	opcua_msg_init(m);
}

/* The structure of a node class's attributes, or -1 for no class. */
static int attributes_type(UA_NodeClass c)
{
	switch (c) {
	case UA_NODECLASS_OBJECT:
		return UA_TYPES_OBJECTATTRIBUTES;
	case UA_NODECLASS_VARIABLE:
		return UA_TYPES_VARIABLEATTRIBUTES;
	case UA_NODECLASS_METHOD:
		return UA_TYPES_METHODATTRIBUTES;
	case UA_NODECLASS_OBJECTTYPE:
		return UA_TYPES_OBJECTTYPEATTRIBUTES;
	case UA_NODECLASS_VARIABLETYPE:
		return UA_TYPES_VARIABLETYPEATTRIBUTES;
	case UA_NODECLASS_REFERENCETYPE:
		return UA_TYPES_REFERENCETYPEATTRIBUTES;
	case UA_NODECLASS_DATATYPE:
		return UA_TYPES_DATATYPEATTRIBUTES;
	case UA_NODECLASS_VIEW:
		return UA_TYPES_VIEWATTRIBUTES;
	default:
		return -1;
	}
}

/* A NodeId the mirror can hold: in the link table's range, its string
 * small enough to be a key; null only where allowed. */
static bool nodeid_ok(const UA_NodeId *n, bool null_ok)
{
	if (UA_NodeId_isNull(n))
		return null_ok;
	if (n->namespaceIndex >= OPCUA_MSG_MAX_NS)
		return false;
	switch (n->identifierType) {
	case UA_NODEIDTYPE_STRING:
	case UA_NODEIDTYPE_BYTESTRING:
		return n->identifier.string.length <= OPCUA_MSG_MAX_ID;
	default:
		return true;
	}
}

/* The mirror holds one server's nodes, all named in the link table. */
static bool local_ok(const UA_ExpandedNodeId *n, bool null_ok)
{
	return n->namespaceUri.length == 0 && !n->namespaceUri.data &&
	       n->serverIndex == 0 && nodeid_ok(&n->nodeId, null_ok);
}

static int uri_cmp(const void *a, const void *b)
{
	const UA_String *x = *(const UA_String *const *)a;
	const UA_String *y = *(const UA_String *const *)b;

	if (x->length != y->length)
		return x->length < y->length ? -1 : 1;
	return memcmp(x->data, y->data, x->length);
}

/* Sorted, so that a table of long URIs that differ at their end costs
 * n log n comparisons, not n squared. */
static int check_namespaces(const struct opcua_msg *m)
{
	const UA_String **s;
	size_t i;
	int rc = 0;

	if (m->nuris < 1 || m->nuris > OPCUA_MSG_MAX_NS)
		return -OPCUA_MSG_E_PIECES;
	if (!UA_String_equal(&m->uris[0], &ns0_uri))
		return -OPCUA_MSG_E_URI;
	for (i = 1; i < m->nuris; i++)
		if (m->uris[i].length == 0 || m->uris[i].length > OPCUA_MSG_MAX_ID)
			return -OPCUA_MSG_E_URI;
	s = malloc(m->nuris * sizeof(*s));
	if (!s)
		return -OPCUA_MSG_E_NOMEM;
	for (i = 0; i < m->nuris; i++)
		s[i] = &m->uris[i];
	qsort(s, m->nuris, sizeof(*s), uri_cmp);
	for (i = 1; i < m->nuris && !rc; i++)
		if (!uri_cmp(&s[i - 1], &s[i]))
			rc = -OPCUA_MSG_E_URI;
	free(s);
	return rc;
}

static bool rank_ok(UA_Int32 rank, size_t ndims)
{
	if (rank < UA_VALUERANK_SCALAR_OR_ONE_DIMENSION || rank > OPCUA_MSG_MAX_DIMS)
		return false;
	return ndims == 0 || (rank > 0 && ndims == (size_t)rank);
}

/* What the class's attributes name: data types, ranks, no live value. */
static bool attributes_ok(const UA_AddNodesItem *it)
{
	const void *a = it->nodeAttributes.content.decoded.data;
	const UA_VariableAttributes *v = a;
	const UA_VariableTypeAttributes *vt = a;

	switch (it->nodeClass) {
	case UA_NODECLASS_VARIABLE:
		return !v->value.type && nodeid_ok(&v->dataType, false) &&
		       rank_ok(v->valueRank, v->arrayDimensionsSize);
	case UA_NODECLASS_VARIABLETYPE:
		return nodeid_ok(&vt->dataType, false) &&
		       rank_ok(vt->valueRank, vt->arrayDimensionsSize);
	default:
		return true;
	}
}

static int check_node(const struct opcua_msg *m)
{
	const UA_AddNodesItem *it = &m->item;
	int t = attributes_type(it->nodeClass);
	bool typed;
	size_t i, j;

	/* the decoder makes DECODED; a caller may lend its own */
	if (t < 0 || (it->nodeAttributes.encoding != UA_EXTENSIONOBJECT_DECODED &&
		      it->nodeAttributes.encoding != UA_EXTENSIONOBJECT_DECODED_NODELETE) ||
	    it->nodeAttributes.content.decoded.type != &UA_TYPES[t] ||
	    !it->nodeAttributes.content.decoded.data)
		return -OPCUA_MSG_E_NODE;
	if (!local_ok(&it->requestedNewNodeId, true) ||
	    !UA_NodeId_isNull(&it->requestedNewNodeId.nodeId) ||
	    !local_ok(&it->parentNodeId, false) ||
	    !nodeid_ok(&it->referenceTypeId, false))
		return -OPCUA_MSG_E_NODEID;
	typed = it->nodeClass == UA_NODECLASS_OBJECT ||
		it->nodeClass == UA_NODECLASS_VARIABLE;
	if (!local_ok(&it->typeDefinition, !typed) ||
	    (!typed && !UA_NodeId_isNull(&it->typeDefinition.nodeId)))
		return -OPCUA_MSG_E_NODEID;
	if (it->browseName.name.length == 0 ||
	    it->browseName.name.length > OPCUA_MSG_MAX_ID ||
	    it->browseName.namespaceIndex >= OPCUA_MSG_MAX_NS || !attributes_ok(it))
		return -OPCUA_MSG_E_NODE;
	if (m->nrefs > OPCUA_MSG_MAX_REFS)
		return -OPCUA_MSG_E_PIECES;
	for (i = 0; i < m->nrefs; i++) {
		const UA_AddReferencesItem *r = &m->refs[i];

		if (!UA_NodeId_isNull(&r->sourceNodeId) || r->isForward ||
		    r->targetServerUri.length || r->targetServerUri.data ||
		    r->targetNodeClass != UA_NODECLASS_UNSPECIFIED ||
		    !nodeid_ok(&r->referenceTypeId, false) ||
		    !local_ok(&r->targetNodeId, false))
			return -OPCUA_MSG_E_REF;
		if (UA_NodeId_equal(&r->referenceTypeId, &it->referenceTypeId) &&
		    UA_NodeId_equal(&r->targetNodeId.nodeId, &it->parentNodeId.nodeId))
			return -OPCUA_MSG_E_REF;
		for (j = 0; j < i; j++)
			if (UA_NodeId_equal(&r->referenceTypeId, &m->refs[j].referenceTypeId) &&
			    UA_NodeId_equal(&r->targetNodeId.nodeId,
					    &m->refs[j].targetNodeId.nodeId))
				return -OPCUA_MSG_E_REF;
	}
	return 0;
}

/* What the encoder and the decoder both refuse, beyond the bytes. */
static int check(const struct opcua_msg *m)
{
	if (m->stamp == 0 || m->table == 0)
		return -OPCUA_MSG_E_HEADER;
	switch (m->kind) {
	case OPCUA_MSG_NAMESPACES:
		return check_namespaces(m);
	case OPCUA_MSG_MODEL:
		/* passes count from 1: the rx tells one pass from the next by it */
		return m->pass && m->period_ms ? 0 : -OPCUA_MSG_E_MODEL;
	case OPCUA_MSG_NODE:
	case OPCUA_MSG_GONE:
	case OPCUA_MSG_VALUE:
		if (!nodeid_ok(&m->node, false))
			return -OPCUA_MSG_E_NODEID;
		return m->kind == OPCUA_MSG_NODE ? check_node(m) : 0;
	default:
		return -OPCUA_MSG_E_KIND;
	}
}

/* The pieces of a message, in order, as open62541 values. */
struct piece {
	const void *p;
	const UA_DataType *t;
};

static size_t pieces_of(const struct opcua_msg *m, struct piece *pc, size_t cap)
{
	size_t n = 0, i;

	switch (m->kind) {
	case OPCUA_MSG_NAMESPACES:
		for (i = 0; i < m->nuris && n < cap; i++)
			pc[n++] = (struct piece){ &m->uris[i], &UA_TYPES[UA_TYPES_STRING] };
		break;
	case OPCUA_MSG_MODEL:
		pc[n++] = (struct piece){ &m->pass, &UA_TYPES[UA_TYPES_UINT64] };
		pc[n++] = (struct piece){ &m->nodes, &UA_TYPES[UA_TYPES_UINT32] };
		pc[n++] = (struct piece){ &m->period_ms, &UA_TYPES[UA_TYPES_UINT32] };
		break;
	default:
		pc[n++] = (struct piece){ &m->node, &UA_TYPES[UA_TYPES_NODEID] };
		if (m->kind == OPCUA_MSG_NODE) {
			pc[n++] = (struct piece){ &m->item, &UA_TYPES[UA_TYPES_ADDNODESITEM] };
			for (i = 0; i < m->nrefs && n < cap; i++)
				pc[n++] = (struct piece){ &m->refs[i],
					&UA_TYPES[UA_TYPES_ADDREFERENCESITEM] };
		} else if (m->kind == OPCUA_MSG_VALUE) {
			pc[n++] = (struct piece){ &m->value, &UA_TYPES[UA_TYPES_DATAVALUE] };
		}
	}
	return n;
}

long opcua_msg_encode(uint8_t *buf, size_t cap, const struct opcua_msg *m)
{
	struct piece pc[OPCUA_MSG_MAX_NS + 2];
	size_t n, i, len = OPCUA_MSG_HDR, sz[OPCUA_MSG_MAX_NS + 2];
	int rc = check(m);

	if (rc)
		return rc;
	n = pieces_of(m, pc, OPCUA_MSG_MAX_NS + 2);
	for (i = 0; i < n; i++) {
		/* 0 is no value's size: open62541 could not size it */
		sz[i] = UA_calcSizeBinary(pc[i].p, pc[i].t);
		if (!sz[i])
			return -OPCUA_MSG_E_DECODE;
		if (sz[i] > OPCUA_MSG_MAX || len + 4 + sz[i] > OPCUA_MSG_MAX)
			return -OPCUA_MSG_E_TOO_LARGE;
		len += 4 + sz[i];
	}
	if (len > cap)
		return (long)len;
	buf[0] = OPCUA_MSG_VERSION;
	buf[OFF_KIND] = m->kind;
	be_put16(buf + OFF_RESERVED, 0);
	be_put64(buf + OFF_STAMP, m->stamp);
	be_put32(buf + OFF_TABLE, m->table);
	len = OPCUA_MSG_HDR;
	for (i = 0; i < n; i++) {
		UA_ByteString out = { sz[i], buf + len + 4 };

		be_put32(buf + len, (uint32_t)sz[i]);
		if (UA_encodeBinary(pc[i].p, pc[i].t, &out) != UA_STATUSCODE_GOOD ||
		    out.length != sz[i])
			return -OPCUA_MSG_E_DECODE;
		len += 4 + sz[i];
	}
	return (long)len;
}

/*
 * Decode the piece at *off into dst (initialized; left for the caller to
 * clear on an error) and take it only in the form open62541 writes:
 * UA_decodeBinary stops at the value's end, and accepts longer forms of
 * some values, which would give one value two records.
 */
static int piece(const uint8_t *buf, size_t len, size_t *off, void *dst,
		 const UA_DataType *t)
{
	UA_ByteString in, again = UA_BYTESTRING_NULL;
	uint32_t plen;
	int rc = 0;

	if (len - *off < 4)
		return -OPCUA_MSG_E_SHORT;
	plen = be_get32(buf + *off);
	if (plen > len - *off - 4)
		return -OPCUA_MSG_E_SHORT;
	in.length = plen;
	in.data = (UA_Byte *)buf + *off + 4;
	if (UA_decodeBinary(&in, dst, t, NULL) != UA_STATUSCODE_GOOD)
		return -OPCUA_MSG_E_DECODE;
	if (UA_encodeBinary(dst, t, &again) != UA_STATUSCODE_GOOD)
		return -OPCUA_MSG_E_NOMEM;
	if (again.length != plen || memcmp(again.data, in.data, plen))
		rc = -OPCUA_MSG_E_CANONICAL;
	UA_ByteString_clear(&again);
	*off += 4 + plen;
	return rc;
}

/* The next piece into a grown array of n elements of t. */
static int piece_append(const uint8_t *buf, size_t len, size_t *off, void **arr,
			size_t *n, size_t max, const UA_DataType *t)
{
	void *grown;

	if (*n >= max)
		return -OPCUA_MSG_E_PIECES;
	grown = realloc(*arr, (*n + 1) * t->memSize);
	if (!grown)
		return -OPCUA_MSG_E_NOMEM;
	*arr = grown;
	UA_init((char *)grown + *n * t->memSize, t);
	++*n;
	return piece(buf, len, off, (char *)grown + (*n - 1) * t->memSize, t);
}

static int decode_body(const uint8_t *buf, size_t len, size_t off, struct opcua_msg *m)
{
	int rc = 0;

	switch (m->kind) {
	case OPCUA_MSG_NAMESPACES:
		while (off < len && !rc)
			rc = piece_append(buf, len, &off, (void **)&m->uris, &m->nuris,
					  OPCUA_MSG_MAX_NS, &UA_TYPES[UA_TYPES_STRING]);
		return rc;
	case OPCUA_MSG_MODEL:
		if ((rc = piece(buf, len, &off, &m->pass, &UA_TYPES[UA_TYPES_UINT64])) ||
		    (rc = piece(buf, len, &off, &m->nodes, &UA_TYPES[UA_TYPES_UINT32])) ||
		    (rc = piece(buf, len, &off, &m->period_ms, &UA_TYPES[UA_TYPES_UINT32])))
			return rc;
		break;
	case OPCUA_MSG_NODE:
		if ((rc = piece(buf, len, &off, &m->node, &UA_TYPES[UA_TYPES_NODEID])) ||
		    (rc = piece(buf, len, &off, &m->item, &UA_TYPES[UA_TYPES_ADDNODESITEM])))
			return rc;
		while (off < len && !rc)
			rc = piece_append(buf, len, &off, (void **)&m->refs, &m->nrefs,
					  OPCUA_MSG_MAX_REFS,
					  &UA_TYPES[UA_TYPES_ADDREFERENCESITEM]);
		return rc;
	case OPCUA_MSG_GONE:
		if ((rc = piece(buf, len, &off, &m->node, &UA_TYPES[UA_TYPES_NODEID])))
			return rc;
		break;
	case OPCUA_MSG_VALUE:
		if ((rc = piece(buf, len, &off, &m->node, &UA_TYPES[UA_TYPES_NODEID])) ||
		    (rc = piece(buf, len, &off, &m->value, &UA_TYPES[UA_TYPES_DATAVALUE])))
			return rc;
		break;
	default:
		return -OPCUA_MSG_E_KIND;
	}
	return off == len ? 0 : -OPCUA_MSG_E_PIECES;
}

int opcua_msg_decode(const uint8_t *buf, size_t len, struct opcua_msg *m)
{
	int rc;

	opcua_msg_init(m);
	if (len < OPCUA_MSG_HDR)
		return -OPCUA_MSG_E_SHORT;
	if (len > OPCUA_MSG_MAX)
		return -OPCUA_MSG_E_TOO_LARGE;
	if (buf[0] != OPCUA_MSG_VERSION)
		return -OPCUA_MSG_E_VERSION;
	if (be_get16(buf + OFF_RESERVED))
		return -OPCUA_MSG_E_HEADER;
	m->kind = buf[OFF_KIND];
	m->stamp = be_get64(buf + OFF_STAMP);
	m->table = be_get32(buf + OFF_TABLE);
	rc = decode_body(buf, len, OPCUA_MSG_HDR, m);
	if (!rc)
		rc = check(m);
	if (rc)
		opcua_msg_clear(m);
	return rc;
}

enum opcua_msg_table opcua_msg_key(const uint8_t *rec, const uint8_t **key,
				   size_t *klen)
{
	*key = NULL;
	*klen = 0;
	switch (rec[OFF_KIND]) {
	case OPCUA_MSG_NAMESPACES:
		return OPCUA_MSG_T_NAMESPACES;
	case OPCUA_MSG_MODEL:
		return OPCUA_MSG_T_MODEL;
	default:
		*key = rec + OPCUA_MSG_HDR + 4;
		*klen = be_get32(rec + OPCUA_MSG_HDR);
		return rec[OFF_KIND] == OPCUA_MSG_VALUE ? OPCUA_MSG_T_VALUES :
							   OPCUA_MSG_T_NODES;
	}
}

uint64_t opcua_msg_stamp(const uint8_t *rec)
{
	return be_get64(rec + OFF_STAMP);
}

uint32_t opcua_msg_table_id(const uint8_t *rec)
{
	return be_get32(rec + OFF_TABLE);
}

void opcua_msg_set_stamp(uint8_t *rec, uint64_t stamp)
{
	be_put64(rec + OFF_STAMP, stamp);
}

bool opcua_msg_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && a[OFF_KIND] == b[OFF_KIND] &&
	       !memcmp(a + OFF_TABLE, b + OFF_TABLE, alen - OFF_TABLE);
}

const char *opcua_msg_strerror(int err)
{
	static const char *const s[] = {
		[OPCUA_MSG_E_SHORT] = "shorter than its lengths say",
		[OPCUA_MSG_E_VERSION] = "unknown version",
		[OPCUA_MSG_E_KIND] = "unknown kind",
		[OPCUA_MSG_E_HEADER] = "reserved bytes set, or a stamp or table id of 0",
		[OPCUA_MSG_E_PIECES] = "too few or too many pieces for its kind",
		[OPCUA_MSG_E_DECODE] = "a piece open62541 does not decode",
		[OPCUA_MSG_E_CANONICAL] = "a piece not in the form open62541 encodes",
		[OPCUA_MSG_E_NODEID] = "a NodeId null, out of the link table, too long or not local",
		[OPCUA_MSG_E_URI] = "a namespace URI first not OPC UA's, empty, too long or repeated",
		[OPCUA_MSG_E_NODE] = "a node's class, attributes, browse name or value rank",
		[OPCUA_MSG_E_REF] = "a further parent not an inverse local reference, or repeated",
		[OPCUA_MSG_E_MODEL] = "a model summary with a pass or a period of 0",
		[OPCUA_MSG_E_TOO_LARGE] = "larger than 1 MiB",
		[OPCUA_MSG_E_NOMEM] = "out of memory",
	};

	if (err < 0)
		err = -err;
	return err > 0 && err <= OPCUA_MSG_E_MAX ? s[err] : "unknown error";
}
