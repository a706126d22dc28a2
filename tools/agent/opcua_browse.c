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
#include <open62541/client_highlevel_async.h>

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

/*
 * A browse under way: each step is one request, sent from the callback of
 * the one before, so that the client's loop (UA_Client_run_iterate, a
 * turn at a time) drives it and the caller's loop is never held.
 */
struct opcua_browser {
	UA_Client *c;
	struct opcua_ns *ns;
	UA_NodeId root;
	struct walk w;
	UA_UInt16 *map;			/* the source's indexes -> the link's */
	size_t nmap;
	/* the nodes of the Browse request out, copies: taking a result grows
	 * w.v, which moves it; a request of one, the root, first */
	UA_NodeId *ids;
	size_t nids;
	bool root_done;
	size_t next;			/* w.v's next node to browse */
	/* its response, taken result by result, in order: a result with a
	 * continuation point is followed (BrowseNext) before the next, so
	 * that nodes are met in the order one node a request would */
	UA_BrowseResponse rs;
	size_t taken;
	size_t cont;			/* the result a BrowseNext continues */
	size_t read_from, read_to;	/* the nodes of the Read out */
	struct opcua_model out;
	UA_StatusCode rc;		/* GOODCALLAGAIN while under way */
	unsigned pending;		/* requests out: 0 or 1 */
	bool abandoned;			/* freed while a request was out */
};

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
	memset(w, 0, sizeof(*w));
}

static void browser_delete(struct opcua_browser *b)
{
	walk_free(&b->w);
	UA_NodeId_clear(&b->root);
	UA_Array_delete(b->ids, b->nids, &UA_TYPES[UA_TYPES_NODEID]);
	UA_BrowseResponse_clear(&b->rs);
	free(b->map);
	opcua_model_free(&b->out);
	free(b);
}

/* A callback's response arrived: false when nothing is to be done with
 * it (the browse ended or was abandoned, then freed here). */
static bool answered(struct opcua_browser *b, UA_StatusCode service)
{
	b->pending--;
	if (b->abandoned) {
		browser_delete(b);
		return false;
	}
	if (b->rc != UA_STATUSCODE_GOODCALLAGAIN)
		return false;
	if (service) {
		b->rc = service;
		return false;
	}
	return true;
}

static void step(struct opcua_browser *b);

/* A request sent, or the browse failed with why. */
static void sent(struct opcua_browser *b, UA_StatusCode rc)
{
	if (rc)
		b->rc = rc;
	else
		b->pending++;
}

static void on_browse_next(UA_Client *c, void *ud, UA_UInt32 id, UA_BrowseNextResponse *rs);

/* Follow the continuation point of the result of ids[k]. */
static void browse_next(struct opcua_browser *b, size_t k, const UA_ByteString *cp)
{
	UA_BrowseNextRequest rq;

	b->cont = k;
	UA_BrowseNextRequest_init(&rq);
	rq.continuationPoints = (UA_ByteString *)cp;
	rq.continuationPointsSize = 1;
	sent(b, UA_Client_sendAsyncBrowseNextRequest(b->c, &rq, on_browse_next, b, NULL));
}

/* The answer for ids[b->cont] alone: taken, then its continuation. */
static void continued(struct opcua_browser *b, const UA_BrowseResult *r, size_t n)
{
	UA_StatusCode rc;

	if (n != 1) {
		b->rc = UA_STATUSCODE_BADUNEXPECTEDERROR;
		return;
	}
	if ((rc = take(&b->w, &b->ids[b->cont], r))) {
		b->rc = rc;
		return;
	}
	if (r->continuationPoint.length)
		browse_next(b, b->cont, &r->continuationPoint);
	else
		step(b);
}

static void on_browse_next(UA_Client *c, void *ud, UA_UInt32 id, UA_BrowseNextResponse *rs)
{
	struct opcua_browser *b = ud;

	(void)c, (void)id;
	if (answered(b, rs->responseHeader.serviceResult))
		continued(b, rs->results, rs->resultsSize);
}

static void on_browse_again(UA_Client *c, void *ud, UA_UInt32 id, UA_BrowseResponse *rs)
{
	struct opcua_browser *b = ud;

	(void)c, (void)id;
	if (answered(b, rs->responseHeader.serviceResult))
		continued(b, rs->results, rs->resultsSize);
}

static void on_browse(UA_Client *c, void *ud, UA_UInt32 id, UA_BrowseResponse *rs)
{
	struct opcua_browser *b = ud;

	(void)c, (void)id;
	if (!answered(b, rs->responseHeader.serviceResult))
		return;
	if (rs->resultsSize != b->nids) {
		b->rc = UA_STATUSCODE_BADUNEXPECTEDERROR;
		return;
	}
	/* taken over: the library clears what the callback leaves */
	b->rs = *rs;
	UA_BrowseResponse_init(rs);
	b->taken = 0;
	step(b);
}

/* Browse n nodes of b->ids from the first: every forward hierarchical
 * reference. */
static void browse(struct opcua_browser *b, size_t first, size_t n,
		   UA_ClientAsyncBrowseCallback cb)
{
	UA_BrowseDescription bd[READ_CHUNK];
	UA_BrowseRequest rq;
	size_t i;

	for (i = 0; i < n; i++) {
		UA_BrowseDescription_init(&bd[i]);
		bd[i].nodeId = b->ids[first + i];
		bd[i].browseDirection = UA_BROWSEDIRECTION_FORWARD;
		bd[i].referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_HIERARCHICALREFERENCES);
		bd[i].includeSubtypes = true;
		bd[i].nodeClassMask = UA_NODECLASS_OBJECT | UA_NODECLASS_VARIABLE |
				      UA_NODECLASS_METHOD;
		bd[i].resultMask = UA_BROWSERESULTMASK_ALL;
	}
	UA_BrowseRequest_init(&rq);
	rq.nodesToBrowse = bd;
	rq.nodesToBrowseSize = n;
	sent(b, UA_Client_sendAsyncBrowseRequest(b->c, &rq, cb, b, NULL));
}

static void on_read(UA_Client *c, void *ud, UA_UInt32 id, UA_ReadResponse *rs);

/* Read the attributes of the next nodes, to make their records. */
static void read_next(struct opcua_browser *b)
{
	UA_ReadValueId ids[READ_CHUNK * MAX_ATTRS];
	UA_UInt32 attr[MAX_ATTRS];
	UA_ReadRequest rq;
	size_t k, j, n = 0;

	b->read_from = b->read_to;
	b->read_to = b->read_from + READ_CHUNK < b->w.n ? b->read_from + READ_CHUNK : b->w.n;
	for (k = b->read_from; k < b->read_to; k++) {
		size_t na = attrs_of(b->w.v[k].rd.nodeClass, attr);

		for (j = 0; j < na; j++) {
			UA_ReadValueId_init(&ids[n]);
			ids[n].nodeId = b->w.v[k].rd.nodeId.nodeId;
			ids[n++].attributeId = attr[j];
		}
	}
	UA_ReadRequest_init(&rq);
	rq.nodesToRead = ids;
	rq.nodesToReadSize = n;
	rq.timestampsToReturn = UA_TIMESTAMPSTORETURN_NEITHER;
	sent(b, UA_Client_sendAsyncReadRequest(b->c, &rq, on_read, b, NULL));
}

static void on_read(UA_Client *c, void *ud, UA_UInt32 id, UA_ReadResponse *rs)
{
	struct opcua_browser *b = ud;
	UA_UInt32 attr[MAX_ATTRS];
	size_t k, first = 0, n = 0;
	UA_StatusCode rc = UA_STATUSCODE_GOOD;

	(void)c, (void)id;
	if (!answered(b, rs->responseHeader.serviceResult))
		return;
	for (k = b->read_from; k < b->read_to; k++)
		n += attrs_of(b->w.v[k].rd.nodeClass, attr);
	if (rs->resultsSize != n) {
		b->rc = UA_STATUSCODE_BADUNEXPECTEDERROR;
		return;
	}
	for (k = b->read_from; k < b->read_to && !rc; k++) {
		rc = record(&b->w.v[k], &rs->results[first], b->map, b->nmap, &b->out.nodes[k]);
		if (!rc)
			rc = UA_NodeId_copy(&b->w.v[k].rd.nodeId.nodeId, &b->out.source[k]);
		first += attrs_of(b->w.v[k].rd.nodeClass, attr);
	}
	if (rc)
		b->rc = rc;
	else
		step(b);
}

/*
 * The next request once one is answered: the rest of a Browse response
 * taken (a continuation followed where one is), then the next nodes to
 * browse, breadth first, then their attributes read, then done.
 */
static void step(struct opcua_browser *b)
{
	UA_StatusCode rc;
	size_t k;

	for (; b->taken < b->rs.resultsSize; b->taken++) {
		const UA_BrowseResult *r = &b->rs.results[b->taken];

		/* the server's continuation points are few (5 a session in
		 * open62541's): one it had none left for is browsed alone,
		 * once those before it are followed and released */
		if (r->statusCode == UA_STATUSCODE_BADNOCONTINUATIONPOINTS) {
			b->cont = b->taken++;
			browse(b, b->cont, 1, on_browse_again);
			return;
		}
		if ((rc = take(&b->w, &b->ids[b->taken], r))) {
			b->rc = rc;
			return;
		}
		if (r->continuationPoint.length) {
			k = b->taken++;
			browse_next(b, k, &r->continuationPoint);
			return;
		}
	}
	UA_BrowseResponse_clear(&b->rs);
	b->taken = 0;
	UA_Array_delete(b->ids, b->nids, &UA_TYPES[UA_TYPES_NODEID]);
	b->ids = NULL;
	b->nids = 0;
	if (!b->root_done || b->next < b->w.n) {
		size_t n = !b->root_done ? 1 : b->w.n - b->next < READ_CHUNK ?
			   b->w.n - b->next : READ_CHUNK;

		b->ids = UA_Array_new(n, &UA_TYPES[UA_TYPES_NODEID]);
		if (!b->ids) {
			b->rc = UA_STATUSCODE_BADOUTOFMEMORY;
			return;
		}
		b->nids = n;
		rc = !b->root_done ? UA_NodeId_copy(&b->root, &b->ids[0]) : UA_STATUSCODE_GOOD;
		for (k = 0; b->root_done && k < n && !rc; k++)
			rc = UA_NodeId_copy(&b->w.v[b->next + k].rd.nodeId.nodeId, &b->ids[k]);
		if (rc) {
			b->rc = rc;
			return;
		}
		if (b->root_done)
			b->next += n;
		b->root_done = true;
		browse(b, 0, n, on_browse);
		return;
	}
	if (!b->out.nodes && b->w.n) {
		b->out.nodes = calloc(b->w.n, sizeof(*b->out.nodes));
		b->out.source = calloc(b->w.n, sizeof(*b->out.source));
		if (!b->out.nodes || !b->out.source) {
			b->rc = UA_STATUSCODE_BADOUTOFMEMORY;
			return;
		}
		b->out.n = b->w.n;
	}
	if (b->read_to < b->w.n) {
		read_next(b);
		return;
	}
	b->out.map = b->map;
	b->out.nmap = b->nmap;
	b->map = NULL;
	b->rc = UA_STATUSCODE_GOOD;
}

/* The source's namespace array: its indexes mapped into the link table. */
static void on_namespaces(UA_Client *c, void *ud, UA_UInt32 id, UA_ReadResponse *rs)
{
	struct opcua_browser *b = ud;
	const UA_DataValue *dv = rs->resultsSize == 1 ? &rs->results[0] : NULL;

	(void)c, (void)id;
	if (!answered(b, rs->responseHeader.serviceResult))
		return;
	if (!dv || !dv->hasValue || dv->status || dv->value.type != &UA_TYPES[UA_TYPES_STRING] ||
	    UA_Variant_isScalar(&dv->value) || !dv->value.arrayLength) {
		b->rc = dv && dv->status ? dv->status : UA_STATUSCODE_BADTYPEMISMATCH;
		return;
	}
	b->nmap = dv->value.arrayLength;
	if (opcua_ns_map(b->ns, dv->value.data, dv->value.arrayLength, &b->map)) {
		b->rc = UA_STATUSCODE_BADOUTOFMEMORY;
		return;
	}
	if (grow(&b->w))
		b->rc = UA_STATUSCODE_BADOUTOFMEMORY;
	else
		step(b);
}

struct opcua_browser *opcua_browse_start(UA_Client *c, struct opcua_ns *ns,
					 const UA_NodeId *root, UA_StatusCode *rc)
{
	struct opcua_browser *b = calloc(1, sizeof(*b));
	UA_ReadValueId rv;
	UA_ReadRequest rq;

	if (!b || UA_NodeId_copy(root, &b->root)) {
		free(b);
		*rc = UA_STATUSCODE_BADOUTOFMEMORY;
		return NULL;
	}
	b->c = c;
	b->ns = ns;
	b->rc = UA_STATUSCODE_GOODCALLAGAIN;
	UA_ReadValueId_init(&rv);
	rv.nodeId = UA_NODEID_NUMERIC(0, UA_NS0ID_SERVER_NAMESPACEARRAY);
	rv.attributeId = UA_ATTRIBUTEID_VALUE;
	UA_ReadRequest_init(&rq);
	rq.nodesToRead = &rv;
	rq.nodesToReadSize = 1;
	*rc = UA_Client_sendAsyncReadRequest(c, &rq, on_namespaces, b, NULL);
	if (*rc) {
		browser_delete(b);
		return NULL;
	}
	b->pending = 1;
	return b;
}

UA_StatusCode opcua_browse_poll(struct opcua_browser *b, struct opcua_model *out)
{
	/* failed, or sent nothing more: ended once nothing is out */
	if (b->rc == UA_STATUSCODE_GOODCALLAGAIN || b->pending)
		return UA_STATUSCODE_GOODCALLAGAIN;
	if (b->rc == UA_STATUSCODE_GOOD) {
		*out = b->out;
		memset(&b->out, 0, sizeof(b->out));
	}
	return b->rc;
}

void opcua_browse_free(struct opcua_browser *b)
{
	if (!b)
		return;
	if (b->pending)
		b->abandoned = true;	/* freed by the callback, which comes */
	else
		browser_delete(b);
}

UA_StatusCode opcua_browse(UA_Client *c, struct opcua_ns *ns, const UA_NodeId *root,
			   struct opcua_model *out)
{
	struct opcua_browser *b;
	UA_StatusCode rc;

	memset(out, 0, sizeof(*out));
	if (!(b = opcua_browse_start(c, ns, root, &rc)))
		return rc;
	/* every request times out (the client's timeout): this ends */
	while ((rc = opcua_browse_poll(b, out)) == UA_STATUSCODE_GOODCALLAGAIN)
		UA_Client_run_iterate(c, 50);
	opcua_browse_free(b);
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
