// SPDX-License-Identifier: GPL-2.0
/*
 * The tx's reading of a source server's address space (docs/opcua.md).
 * Breadth first, so that each node's first parent comes before it; the
 * further parents are known only once the whole tree has been walked,
 * and the records are made after it.
 */
#include <stdlib.h>
#include <string.h>

#include <open62541/client_highlevel.h>

#include "opcua_browse.h"

#define READ_CHUNK	64	/* nodes a Read asks for at once */
#define MAX_ATTRS	8	/* attributes read of one node */

/* Access level bits the mirror never grants (Part 3, AccessLevelType). */
#define WRITE_BITS	(UA_ACCESSLEVELMASK_WRITE | UA_ACCESSLEVELMASK_HISTORYWRITE | \
			 UA_ACCESSLEVELMASK_STATUSWRITE | UA_ACCESSLEVELMASK_TIMESTAMPWRITE)

struct bnode {
	UA_ReferenceDescription rd;	/* how it was reached: its first parent's */
	UA_NodeId parent;
	UA_AddReferencesItem *refs;	/* further parents, source indexes */
	size_t nrefs;
};

struct walk {
	UA_Client *c;
	struct bnode *v;
	size_t n, cap;
	size_t *slots;			/* hash index: node + 1, 0 empty */
	size_t nslots;
};

static struct bnode *find(struct walk *w, const UA_NodeId *id)
{
	size_t i = UA_NodeId_hash(id) & (w->nslots - 1);

	for (; w->slots[i]; i = (i + 1) & (w->nslots - 1))
		if (UA_NodeId_equal(&w->v[w->slots[i] - 1].rd.nodeId.nodeId, id))
			return &w->v[w->slots[i] - 1];
	return NULL;
}

static void index_node(struct walk *w, size_t k)
{
	size_t i = UA_NodeId_hash(&w->v[k].rd.nodeId.nodeId) & (w->nslots - 1);

	while (w->slots[i])
		i = (i + 1) & (w->nslots - 1);
	w->slots[i] = k + 1;
}

/* Room for one more node, the index kept at most half full. */
static UA_StatusCode grow(struct walk *w)
{
	size_t k;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct bnode *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return UA_STATUSCODE_BADOUTOFMEMORY;
		w->v = v;
		w->cap = cap;
	}
	if ((w->n + 1) * 2 > w->nslots) {
		size_t *s = calloc(w->nslots ? w->nslots * 2 : 512, sizeof(*s));

		if (!s)
			return UA_STATUSCODE_BADOUTOFMEMORY;
		free(w->slots);
		w->slots = s;
		w->nslots = w->nslots ? w->nslots * 2 : 512;
		for (k = 0; k < w->n; k++)
			index_node(w, k);
	}
	return UA_STATUSCODE_GOOD;
}

/* A reference from parent: a new node, a further parent, or nothing. */
static UA_StatusCode reached(struct walk *w, const UA_NodeId *parent,
			     const UA_ReferenceDescription *r)
{
	UA_AddReferencesItem ref;
	struct bnode *b;
	size_t i;
	UA_StatusCode rc;

	if (!UA_ExpandedNodeId_isLocal(&r->nodeId) || r->nodeId.nodeId.namespaceIndex == 0)
		return UA_STATUSCODE_GOOD;
	b = find(w, &r->nodeId.nodeId);
	if (!b) {
		if ((rc = grow(w)))
			return rc;
		b = &w->v[w->n];
		memset(b, 0, sizeof(*b));
		if ((rc = UA_ReferenceDescription_copy(r, &b->rd)) ||
		    (rc = UA_NodeId_copy(parent, &b->parent))) {
			UA_ReferenceDescription_clear(&b->rd);
			return rc;
		}
		index_node(w, w->n++);
		return UA_STATUSCODE_GOOD;
	}
	if (UA_NodeId_equal(&b->parent, parent) &&
	    UA_NodeId_equal(&b->rd.referenceTypeId, &r->referenceTypeId))
		return UA_STATUSCODE_GOOD;
	for (i = 0; i < b->nrefs; i++)
		if (UA_NodeId_equal(&b->refs[i].targetNodeId.nodeId, parent) &&
		    UA_NodeId_equal(&b->refs[i].referenceTypeId, &r->referenceTypeId))
			return UA_STATUSCODE_GOOD;
	if (b->nrefs >= OPCUA_MSG_MAX_REFS)
		return UA_STATUSCODE_GOOD;	/* the record's bound: the rest left out */
	UA_AddReferencesItem_init(&ref);
	ref.referenceTypeId = r->referenceTypeId;
	ref.targetNodeId.nodeId = *parent;
	return UA_Array_appendCopy((void **)&b->refs, &b->nrefs, &ref,
				   &UA_TYPES[UA_TYPES_ADDREFERENCESITEM]);
}

static UA_StatusCode take(struct walk *w, const UA_NodeId *parent, const UA_BrowseResult *res)
{
	UA_StatusCode rc = res->statusCode;
	size_t i;

	for (i = 0; i < res->referencesSize && !rc; i++)
		rc = reached(w, parent, &res->references[i]);
	return rc;
}

/* Every forward hierarchical reference of one node, continuation and all. */
static UA_StatusCode browse_one(struct walk *w, const UA_NodeId *id)
{
	UA_BrowseDescription bd;
	UA_BrowseRequest rq;
	UA_BrowseResponse rs;
	UA_ByteString cp = UA_BYTESTRING_NULL;
	UA_StatusCode rc;

	UA_BrowseDescription_init(&bd);
	bd.nodeId = *id;
	bd.browseDirection = UA_BROWSEDIRECTION_FORWARD;
	bd.referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_HIERARCHICALREFERENCES);
	bd.includeSubtypes = true;
	bd.nodeClassMask = UA_NODECLASS_OBJECT | UA_NODECLASS_VARIABLE | UA_NODECLASS_METHOD;
	bd.resultMask = UA_BROWSERESULTMASK_ALL;
	UA_BrowseRequest_init(&rq);
	rq.nodesToBrowse = &bd;
	rq.nodesToBrowseSize = 1;
	rs = UA_Client_Service_browse(w->c, rq);
	rc = rs.responseHeader.serviceResult;
	if (!rc && rs.resultsSize != 1)
		rc = UA_STATUSCODE_BADUNEXPECTEDERROR;
	if (!rc && !(rc = take(w, id, &rs.results[0])))
		rc = UA_ByteString_copy(&rs.results[0].continuationPoint, &cp);
	UA_BrowseResponse_clear(&rs);
	while (!rc && cp.length) {
		UA_BrowseNextRequest nrq;
		UA_BrowseNextResponse nrs;

		UA_BrowseNextRequest_init(&nrq);
		nrq.continuationPoints = &cp;
		nrq.continuationPointsSize = 1;
		nrs = UA_Client_Service_browseNext(w->c, nrq);
		UA_ByteString_clear(&cp);
		rc = nrs.responseHeader.serviceResult;
		if (!rc && nrs.resultsSize != 1)
			rc = UA_STATUSCODE_BADUNEXPECTEDERROR;
		if (!rc && !(rc = take(w, id, &nrs.results[0])))
			rc = UA_ByteString_copy(&nrs.results[0].continuationPoint, &cp);
		UA_BrowseNextResponse_clear(&nrs);
	}
	UA_ByteString_clear(&cp);
	return rc;
}

/* The attributes a node's record carries beyond what browsing gave. */
static size_t attrs_of(UA_NodeClass c, UA_UInt32 *ids)
{
	size_t n = 0;

	ids[n++] = UA_ATTRIBUTEID_DESCRIPTION;
	switch (c) {
	case UA_NODECLASS_OBJECT:
		ids[n++] = UA_ATTRIBUTEID_EVENTNOTIFIER;
		break;
	case UA_NODECLASS_VARIABLE:
		ids[n++] = UA_ATTRIBUTEID_DATATYPE;
		ids[n++] = UA_ATTRIBUTEID_VALUERANK;
		ids[n++] = UA_ATTRIBUTEID_ARRAYDIMENSIONS;
		ids[n++] = UA_ATTRIBUTEID_ACCESSLEVEL;
		ids[n++] = UA_ATTRIBUTEID_MINIMUMSAMPLINGINTERVAL;
		ids[n++] = UA_ATTRIBUTEID_HISTORIZING;
		break;
	default:
		break;
	}
	return n;
}

/* A scalar of type t read into dst, if the server gave one. */
static UA_StatusCode got(const UA_DataValue *dv, const UA_DataType *t, void *dst)
{
	if (!dv->hasValue || dv->status || !UA_Variant_hasScalarType(&dv->value, t))
		return UA_STATUSCODE_GOOD;
	UA_clear(dst, t);
	return UA_copy(dv->value.data, dst, t);
}

/* The class's attributes of b, from the values read (in attrs_of's order). */
static UA_StatusCode attributes(const struct bnode *b, const UA_DataValue *dv,
				UA_ExtensionObject *out)
{
	const UA_DataType *t;
	UA_StatusCode rc = UA_STATUSCODE_GOOD;
	void *a;

	switch (b->rd.nodeClass) {
	case UA_NODECLASS_OBJECT: {
		UA_ObjectAttributes *o = UA_ObjectAttributes_new();

		if (!o)
			return UA_STATUSCODE_BADOUTOFMEMORY;
		o->specifiedAttributes = UA_NODEATTRIBUTESMASK_DISPLAYNAME |
			UA_NODEATTRIBUTESMASK_DESCRIPTION | UA_NODEATTRIBUTESMASK_EVENTNOTIFIER;
		rc |= UA_LocalizedText_copy(&b->rd.displayName, &o->displayName);
		rc |= got(&dv[0], &UA_TYPES[UA_TYPES_LOCALIZEDTEXT], &o->description);
		rc |= got(&dv[1], &UA_TYPES[UA_TYPES_BYTE], &o->eventNotifier);
		a = o;
		t = &UA_TYPES[UA_TYPES_OBJECTATTRIBUTES];
		break;
	}
	case UA_NODECLASS_VARIABLE: {
		UA_VariableAttributes *v = UA_VariableAttributes_new();

		if (!v)
			return UA_STATUSCODE_BADOUTOFMEMORY;
		v->specifiedAttributes = UA_NODEATTRIBUTESMASK_DISPLAYNAME |
			UA_NODEATTRIBUTESMASK_DESCRIPTION | UA_NODEATTRIBUTESMASK_DATATYPE |
			UA_NODEATTRIBUTESMASK_VALUERANK | UA_NODEATTRIBUTESMASK_ARRAYDIMENSIONS |
			UA_NODEATTRIBUTESMASK_ACCESSLEVEL |
			UA_NODEATTRIBUTESMASK_MINIMUMSAMPLINGINTERVAL |
			UA_NODEATTRIBUTESMASK_HISTORIZING;
		rc |= UA_LocalizedText_copy(&b->rd.displayName, &v->displayName);
		rc |= got(&dv[0], &UA_TYPES[UA_TYPES_LOCALIZEDTEXT], &v->description);
		rc |= got(&dv[1], &UA_TYPES[UA_TYPES_NODEID], &v->dataType);
		rc |= got(&dv[2], &UA_TYPES[UA_TYPES_INT32], &v->valueRank);
		if (dv[3].hasValue && !dv[3].status &&
		    dv[3].value.type == &UA_TYPES[UA_TYPES_UINT32] &&
		    !UA_Variant_isScalar(&dv[3].value))
			rc |= UA_Array_copy(dv[3].value.data, dv[3].value.arrayLength,
					    (void **)&v->arrayDimensions, &UA_TYPES[UA_TYPES_UINT32]);
		if (!rc && v->arrayDimensions)
			v->arrayDimensionsSize = dv[3].value.arrayLength;
		rc |= got(&dv[4], &UA_TYPES[UA_TYPES_BYTE], &v->accessLevel);
		v->accessLevel &= (UA_Byte)~WRITE_BITS;
		rc |= got(&dv[5], &UA_TYPES[UA_TYPES_DOUBLE], &v->minimumSamplingInterval);
		rc |= got(&dv[6], &UA_TYPES[UA_TYPES_BOOLEAN], &v->historizing);
		a = v;
		t = &UA_TYPES[UA_TYPES_VARIABLEATTRIBUTES];
		break;
	}
	default: {
		/* a Method: the mirror has nothing to call, so none is executable */
		UA_MethodAttributes *m = UA_MethodAttributes_new();

		if (!m)
			return UA_STATUSCODE_BADOUTOFMEMORY;
		m->specifiedAttributes = UA_NODEATTRIBUTESMASK_DISPLAYNAME |
			UA_NODEATTRIBUTESMASK_DESCRIPTION | UA_NODEATTRIBUTESMASK_EXECUTABLE;
		rc |= UA_LocalizedText_copy(&b->rd.displayName, &m->displayName);
		rc |= got(&dv[0], &UA_TYPES[UA_TYPES_LOCALIZEDTEXT], &m->description);
		a = m;
		t = &UA_TYPES[UA_TYPES_METHODATTRIBUTES];
		break;
	}
	}
	UA_ExtensionObject_setValue(out, a, t);
	return rc ? UA_STATUSCODE_BADOUTOFMEMORY : UA_STATUSCODE_GOOD;
}

/* The record of b, in the link's indexes through map. */
static UA_StatusCode record(const struct bnode *b, const UA_DataValue *dv,
			    const UA_UInt16 *map, size_t nmap, struct opcua_msg *m)
{
	UA_AddNodesItem *it = &m->item;
	UA_StatusCode rc;
	size_t i;
	bool typed = b->rd.nodeClass != UA_NODECLASS_METHOD;

	m->kind = OPCUA_MSG_NODE;
	if ((rc = UA_NodeId_copy(&b->rd.nodeId.nodeId, &m->node)) ||
	    (rc = UA_NodeId_copy(&b->parent, &it->parentNodeId.nodeId)) ||
	    (rc = UA_NodeId_copy(&b->rd.referenceTypeId, &it->referenceTypeId)) ||
	    (rc = UA_QualifiedName_copy(&b->rd.browseName, &it->browseName)) ||
	    (typed && (rc = UA_NodeId_copy(&b->rd.typeDefinition.nodeId,
					   &it->typeDefinition.nodeId))) ||
	    (rc = attributes(b, dv, &it->nodeAttributes)) ||
	    (rc = UA_Array_copy(b->refs, b->nrefs, (void **)&m->refs,
				&UA_TYPES[UA_TYPES_ADDREFERENCESITEM])))
		return rc;
	it->nodeClass = b->rd.nodeClass;
	m->nrefs = b->nrefs;
	if (opcua_ns_nodeid(&m->node, map, nmap) ||
	    opcua_ns_nodeid(&it->parentNodeId.nodeId, map, nmap) ||
	    opcua_ns_nodeid(&it->referenceTypeId, map, nmap) ||
	    opcua_ns_index(&it->browseName.namespaceIndex, map, nmap) ||
	    opcua_ns_nodeid(&it->typeDefinition.nodeId, map, nmap))
		return UA_STATUSCODE_BADNODEIDINVALID;
	if (it->nodeClass == UA_NODECLASS_VARIABLE &&
	    opcua_ns_nodeid(&((UA_VariableAttributes *)it->nodeAttributes.content.decoded.data)
			    ->dataType, map, nmap))
		return UA_STATUSCODE_BADNODEIDINVALID;
	for (i = 0; i < m->nrefs; i++)
		if (opcua_ns_nodeid(&m->refs[i].referenceTypeId, map, nmap) ||
		    opcua_ns_nodeid(&m->refs[i].targetNodeId.nodeId, map, nmap))
			return UA_STATUSCODE_BADNODEIDINVALID;
	return UA_STATUSCODE_GOOD;
}

/* Read the attributes of nodes [from, to) and make their records. */
static UA_StatusCode read_chunk(struct walk *w, size_t from, size_t to, const UA_UInt16 *map,
				size_t nmap, struct opcua_model *out)
{
	UA_ReadValueId ids[READ_CHUNK * MAX_ATTRS];
	size_t first[READ_CHUNK + 1], k, j, n = 0;
	UA_UInt32 attr[MAX_ATTRS];
	UA_ReadRequest rq;
	UA_ReadResponse rs;
	UA_StatusCode rc;

	for (k = from; k < to; k++) {
		size_t na = attrs_of(w->v[k].rd.nodeClass, attr);

		first[k - from] = n;
		for (j = 0; j < na; j++) {
			UA_ReadValueId_init(&ids[n]);
			ids[n].nodeId = w->v[k].rd.nodeId.nodeId;
			ids[n++].attributeId = attr[j];
		}
	}
	first[to - from] = n;
	UA_ReadRequest_init(&rq);
	rq.nodesToRead = ids;
	rq.nodesToReadSize = n;
	rq.timestampsToReturn = UA_TIMESTAMPSTORETURN_NEITHER;
	rs = UA_Client_Service_read(w->c, rq);
	rc = rs.responseHeader.serviceResult;
	if (!rc && rs.resultsSize != n)
		rc = UA_STATUSCODE_BADUNEXPECTEDERROR;
	for (k = from; k < to && !rc; k++) {
		struct opcua_msg *m = &out->nodes[k];

		rc = record(&w->v[k], &rs.results[first[k - from]], map, nmap, m);
		if (!rc)
			rc = UA_NodeId_copy(&w->v[k].rd.nodeId.nodeId, &out->source[k]);
	}
	UA_ReadResponse_clear(&rs);
	return rc;
}

static UA_StatusCode source_map(UA_Client *c, struct opcua_ns *ns, UA_UInt16 **map,
				size_t *nmap)
{
	UA_Variant v;
	UA_StatusCode rc;

	rc = UA_Client_readValueAttribute(c, UA_NODEID_NUMERIC(0, UA_NS0ID_SERVER_NAMESPACEARRAY),
					  &v);
	if (rc)
		return rc;
	if (v.type != &UA_TYPES[UA_TYPES_STRING] || UA_Variant_isScalar(&v) || !v.arrayLength) {
		UA_Variant_clear(&v);
		return UA_STATUSCODE_BADTYPEMISMATCH;
	}
	*nmap = v.arrayLength;
	if (opcua_ns_map(ns, v.data, v.arrayLength, map))
		rc = UA_STATUSCODE_BADOUTOFMEMORY;
	UA_Variant_clear(&v);
	return rc;
}

static void walk_free(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		UA_ReferenceDescription_clear(&w->v[i].rd);
		UA_NodeId_clear(&w->v[i].parent);
		UA_Array_delete(w->v[i].refs, w->v[i].nrefs, &UA_TYPES[UA_TYPES_ADDREFERENCESITEM]);
	}
	free(w->v);
	free(w->slots);
}

UA_StatusCode opcua_browse(UA_Client *c, struct opcua_ns *ns, const UA_NodeId *root,
			   struct opcua_model *out)
{
	struct walk w = { .c = c };
	UA_UInt16 *map = NULL;
	size_t nmap = 0, i;
	UA_StatusCode rc;

	memset(out, 0, sizeof(*out));
	rc = source_map(c, ns, &map, &nmap);
	if (!rc)
		rc = grow(&w);
	if (!rc)
		rc = browse_one(&w, root);
	/* a copy: browsing a node grows w.v, which moves it */
	for (i = 0; i < w.n && !rc; i++) {
		UA_NodeId id;

		rc = UA_NodeId_copy(&w.v[i].rd.nodeId.nodeId, &id);
		if (!rc)
			rc = browse_one(&w, &id);
		UA_NodeId_clear(&id);
	}
	if (!rc && w.n) {
		out->nodes = calloc(w.n, sizeof(*out->nodes));
		out->source = calloc(w.n, sizeof(*out->source));
		if (!out->nodes || !out->source)
			rc = UA_STATUSCODE_BADOUTOFMEMORY;
		else
			out->n = w.n;
	}
	for (i = 0; i < w.n && !rc; i += READ_CHUNK)
		rc = read_chunk(&w, i, i + READ_CHUNK < w.n ? i + READ_CHUNK : w.n, map, nmap, out);
	walk_free(&w);
	out->map = map;
	out->nmap = nmap;
	if (rc)
		opcua_model_free(out);
	return rc;
}

/* The values of the variables among nodes [from, to) into out[*n...]. */
static UA_StatusCode values_chunk(UA_Client *c, const struct opcua_model *m, size_t from,
				  size_t to, struct opcua_msg *out, size_t *n)
{
	UA_ReadValueId ids[READ_CHUNK * MAX_ATTRS];
	const struct opcua_msg *node[READ_CHUNK * MAX_ATTRS];
	UA_ReadRequest rq;
	UA_ReadResponse rs;
	UA_StatusCode rc;
	size_t k, nids = 0;

	for (k = from; k < to; k++) {
		if (m->nodes[k].item.nodeClass != UA_NODECLASS_VARIABLE)
			continue;
		UA_ReadValueId_init(&ids[nids]);
		ids[nids].nodeId = m->source[k];
		ids[nids].attributeId = UA_ATTRIBUTEID_VALUE;
		node[nids++] = &m->nodes[k];
	}
	if (!nids)
		return UA_STATUSCODE_GOOD;
	UA_ReadRequest_init(&rq);
	rq.nodesToRead = ids;
	rq.nodesToReadSize = nids;
	rq.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
	rs = UA_Client_Service_read(c, rq);
	rc = rs.responseHeader.serviceResult;
	if (!rc && rs.resultsSize != nids)
		rc = UA_STATUSCODE_BADUNEXPECTEDERROR;
	for (k = 0; k < nids && !rc; k++) {
		struct opcua_msg *v = &out[*n];

		opcua_msg_init(v);
		v->kind = OPCUA_MSG_VALUE;
		++*n;
		if ((rc = UA_NodeId_copy(&node[k]->node, &v->node)) ||
		    (rc = UA_DataValue_copy(&rs.results[k], &v->value)))
			break;
		if (opcua_ns_variant(&v->value.value, m->map, m->nmap))
			rc = UA_STATUSCODE_BADNODEIDINVALID;
	}
	UA_ReadResponse_clear(&rs);
	return rc;
}

UA_StatusCode opcua_read_values(UA_Client *c, const struct opcua_model *m,
				struct opcua_msg **out, size_t *n)
{
	UA_StatusCode rc = UA_STATUSCODE_GOOD;
	size_t i;

	*n = 0;
	*out = calloc(m->n ? m->n : 1, sizeof(**out));
	if (!*out)
		return UA_STATUSCODE_BADOUTOFMEMORY;
	for (i = 0; i < m->n && !rc; i += READ_CHUNK * MAX_ATTRS)
		rc = values_chunk(c, m, i, i + READ_CHUNK * MAX_ATTRS < m->n ?
				  i + READ_CHUNK * MAX_ATTRS : m->n, *out, n);
	if (rc) {
		for (i = 0; i < *n; i++)
			opcua_msg_clear(&(*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void opcua_model_free(struct opcua_model *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		opcua_msg_clear(&m->nodes[i]);
		UA_NodeId_clear(&m->source[i]);
	}
	free(m->nodes);
	free(m->source);
	free(m->map);
	memset(m, 0, sizeof(*m));
}
