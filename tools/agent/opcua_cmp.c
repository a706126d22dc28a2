// SPDX-License-Identifier: GPL-2.0
/*
 * What the OPC UA tests compare (opcua_cmp.h): a server's nodes under
 * Objects as lines of text, every NodeId with its namespace URI, read by
 * a client with nothing of the agents' code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <open62541/client_highlevel.h>

#include "opcua_cmp.h"

/* Room for twice the nodes. */
static bool grow(struct opcua_cmp_line **l, UA_NodeId **todo, size_t *cap)
{
	struct opcua_cmp_line *nl = realloc(*l, *cap * 2 * sizeof(**l));
	UA_NodeId *nt;

	if (!nl)
		return false;
	memset(nl + *cap, 0, *cap * sizeof(*nl));
	*l = nl;
	nt = realloc(*todo, *cap * 2 * sizeof(**todo));
	if (!nt)
		return false;
	memset(nt + *cap, 0, *cap * sizeof(*nt));
	*todo = nt;
	*cap *= 2;
	return true;
}

bool opcua_cmp_names(UA_Client *c, struct opcua_cmp_names *nm)
{
	UA_Variant v;

	if (UA_Client_readValueAttribute(c, UA_NODEID_NUMERIC(0, UA_NS0ID_SERVER_NAMESPACEARRAY),
					 &v) || v.type != &UA_TYPES[UA_TYPES_STRING])
		return false;
	nm->uri = v.data;
	nm->n = v.arrayLength;
	return true;
}

void opcua_cmp_uri_id(const struct opcua_cmp_names *nm, const UA_NodeId *id, char *out,
		      size_t cap)
{
	UA_NodeId local = *id;
	UA_String s = UA_STRING_NULL;
	const UA_String *u = id->namespaceIndex < nm->n ? &nm->uri[id->namespaceIndex] : NULL;

	local.namespaceIndex = 0;
	UA_NodeId_print(&local, &s);
	snprintf(out, cap, "nsu=%.*s;%.*s", u ? (int)u->length : 1, u ? (char *)u->data : "?",
		 (int)s.length, (char *)s.data);
	UA_String_clear(&s);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The parents in one order, whatever order each server browsed them in. */
static void sort_parents(struct opcua_cmp_line *t)
{
	char copy[sizeof(t->parents)], *p[64], *save = NULL, *tok;
	size_t n = 0, i, len = 0;

	memcpy(copy, t->parents, sizeof(copy));
	for (tok = strtok_r(copy, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save))
		p[n++] = tok;
	qsort(p, n, sizeof(*p), str_cmp);
	t->parents[0] = 0;
	for (i = 0; i < n; i++)
		len += snprintf(t->parents + len, sizeof(t->parents) - len, "%s%s", i ? "," : "", p[i]);
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct opcua_cmp_line *)a)->id, ((const struct opcua_cmp_line *)b)->id);
}

static struct opcua_cmp_line *find_line(struct opcua_cmp_line *l, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(l[i].id, id))
			return &l[i];
	return NULL;
}

bool opcua_cmp_describe(UA_Client *c, struct opcua_cmp_line **out, size_t *n)
{
	struct opcua_cmp_names nm;
	UA_NodeId *todo;
	size_t ntodo = 1, k, i;
	size_t cap = 4096;
	struct opcua_cmp_line *l = calloc(cap, sizeof(*l));
	char pid[160], tid[160];

	todo = calloc(cap, sizeof(*todo));
	if (!l || !todo || !opcua_cmp_names(c, &nm))
		return false;
	todo[0] = UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER);
	*n = 0;
	for (k = 0; k < ntodo; k++) {
		UA_BrowseRequest rq;
		UA_BrowseResponse rs;
		UA_BrowseDescription bd;

		UA_BrowseDescription_init(&bd);
		bd.nodeId = todo[k];
		bd.browseDirection = UA_BROWSEDIRECTION_FORWARD;
		bd.referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_HIERARCHICALREFERENCES);
		bd.includeSubtypes = true;
		bd.resultMask = UA_BROWSERESULTMASK_ALL;
		UA_BrowseRequest_init(&rq);
		rq.nodesToBrowse = &bd;
		rq.nodesToBrowseSize = 1;
		rs = UA_Client_Service_browse(c, rq);
		if (rs.responseHeader.serviceResult || rs.resultsSize != 1 ||
		    rs.results[0].continuationPoint.length)
			return false;
		opcua_cmp_uri_id(&nm, &todo[k], pid, sizeof(pid));
		for (i = 0; i < rs.results[0].referencesSize; i++) {
			UA_ReferenceDescription *r = &rs.results[0].references[i];
			struct opcua_cmp_line *t;
			char rt[160];
			size_t len;

			if (r->nodeId.nodeId.namespaceIndex == 0)
				continue;
			opcua_cmp_uri_id(&nm, &r->nodeId.nodeId, tid, sizeof(tid));
			t = find_line(l, *n, tid);
			if (!t) {
				if (*n + 1 >= cap && !grow(&l, &todo, &cap))
					return false;
				t = &l[(*n)++];
				snprintf(t->id, sizeof(t->id), "%s", tid);
				UA_NodeId_copy(&r->nodeId.nodeId, &todo[ntodo++]);
			}
			opcua_cmp_uri_id(&nm, &r->referenceTypeId, rt, sizeof(rt));
			len = strlen(t->parents);
			snprintf(t->parents + len, sizeof(t->parents) - len, "%s%s<%s", len ? "," : "",
				 pid, rt);
		}
		UA_BrowseResponse_clear(&rs);
	}
	for (k = 1; k < ntodo; k++) {
		static const UA_AttributeId attr[] = {
			UA_ATTRIBUTEID_NODECLASS, UA_ATTRIBUTEID_BROWSENAME,
			UA_ATTRIBUTEID_DISPLAYNAME, UA_ATTRIBUTEID_DATATYPE,
			UA_ATTRIBUTEID_VALUERANK, UA_ATTRIBUTEID_ARRAYDIMENSIONS,
		};
		UA_ReadValueId ids[6];
		UA_ReadRequest rq;
		UA_ReadResponse rs;
		struct opcua_cmp_line *t;
		size_t len = 0;

		opcua_cmp_uri_id(&nm, &todo[k], tid, sizeof(tid));
		t = find_line(l, *n, tid);
		for (i = 0; i < 6; i++) {
			UA_ReadValueId_init(&ids[i]);
			ids[i].nodeId = todo[k];
			ids[i].attributeId = attr[i];
		}
		UA_ReadRequest_init(&rq);
		rq.nodesToRead = ids;
		rq.nodesToReadSize = 6;
		rs = UA_Client_Service_read(c, rq);
		if (rs.responseHeader.serviceResult || rs.resultsSize != 6)
			return false;
		for (i = 0; i < 6; i++) {
			UA_DataValue *dv = &rs.results[i];
			UA_String s = UA_STRING_NULL;

			if (!dv->hasValue || dv->status) {
				len += snprintf(t->attrs + len, sizeof(t->attrs) - len, "|-");
				continue;
			}
			if (dv->value.type == &UA_TYPES[UA_TYPES_NODEID]) {
				opcua_cmp_uri_id(&nm, dv->value.data, pid, sizeof(pid));
				len += snprintf(t->attrs + len, sizeof(t->attrs) - len, "|%s", pid);
				continue;
			}
			if (dv->value.type == &UA_TYPES[UA_TYPES_QUALIFIEDNAME]) {
				UA_QualifiedName *q = dv->value.data;
				const UA_String *u = &nm.uri[q->namespaceIndex];

				len += snprintf(t->attrs + len, sizeof(t->attrs) - len, "|%.*s:%.*s",
						(int)u->length, (char *)u->data,
						(int)q->name.length, (char *)q->name.data);
				continue;
			}
			UA_print(&dv->value, &UA_TYPES[UA_TYPES_VARIANT], &s);
			len += snprintf(t->attrs + len, sizeof(t->attrs) - len, "|%.*s",
					(int)s.length, (char *)s.data);
			UA_String_clear(&s);
		}
		UA_ReadResponse_clear(&rs);
	}
	for (k = 0; k < *n; k++)
		sort_parents(&l[k]);
	UA_Array_delete(todo, ntodo, &UA_TYPES[UA_TYPES_NODEID]);
	UA_Array_delete(nm.uri, nm.n, &UA_TYPES[UA_TYPES_STRING]);
	qsort(l, *n, sizeof(*l), line_cmp);
	*out = l;
	return true;
}


bool opcua_cmp_variables(UA_Client *c, UA_NodeId **out, size_t *n)
{
	UA_NodeId *todo = NULL, *vars = NULL;
	size_t ntodo = 0, k, i;
	UA_NodeId objects = UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER);
	bool ok = !UA_Array_appendCopy((void **)&todo, &ntodo, &objects,
				       &UA_TYPES[UA_TYPES_NODEID]);

	*n = 0;
	for (k = 0; ok && k < ntodo; k++) {
		UA_BrowseDescription bd;
		UA_BrowseRequest rq;
		UA_BrowseResponse rs;

		UA_BrowseDescription_init(&bd);
		bd.nodeId = todo[k];
		bd.browseDirection = UA_BROWSEDIRECTION_FORWARD;
		bd.referenceTypeId = UA_NODEID_NUMERIC(0, UA_NS0ID_HIERARCHICALREFERENCES);
		bd.includeSubtypes = true;
		bd.resultMask = UA_BROWSERESULTMASK_NODECLASS;
		UA_BrowseRequest_init(&rq);
		rq.nodesToBrowse = &bd;
		rq.nodesToBrowseSize = 1;
		rs = UA_Client_Service_browse(c, rq);
		ok = !rs.responseHeader.serviceResult && rs.resultsSize == 1 &&
		     !rs.results[0].continuationPoint.length;
		for (i = 0; ok && i < rs.results[0].referencesSize; i++) {
			UA_ReferenceDescription *r = &rs.results[0].references[i];
			size_t j;

			if (r->nodeId.nodeId.namespaceIndex == 0)
				continue;
			for (j = 0; j < ntodo && !UA_NodeId_equal(&todo[j], &r->nodeId.nodeId); j++)
				;
			if (j < ntodo)
				continue;
			ok = !UA_Array_appendCopy((void **)&todo, &ntodo, &r->nodeId.nodeId,
						  &UA_TYPES[UA_TYPES_NODEID]) &&
			     (r->nodeClass != UA_NODECLASS_VARIABLE ||
			      !UA_Array_appendCopy((void **)&vars, n, &r->nodeId.nodeId,
						   &UA_TYPES[UA_TYPES_NODEID]));
		}
		UA_BrowseResponse_clear(&rs);
	}
	UA_Array_delete(todo, ntodo, &UA_TYPES[UA_TYPES_NODEID]);
	if (!ok) {
		UA_Array_delete(vars, *n, &UA_TYPES[UA_TYPES_NODEID]);
		vars = NULL;
		*n = 0;
	}
	*out = vars;
	return ok;
}

UA_DataValue opcua_cmp_read(UA_Client *c, const UA_NodeId *id)
{
	UA_ReadValueId r;
	UA_ReadRequest rq;
	UA_ReadResponse rs;
	UA_DataValue dv;

	UA_ReadValueId_init(&r);
	r.nodeId = *id;
	r.attributeId = UA_ATTRIBUTEID_VALUE;
	UA_ReadRequest_init(&rq);
	rq.nodesToRead = &r;
	rq.nodesToReadSize = 1;
	rq.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
	rs = UA_Client_Service_read(c, rq);
	UA_DataValue_init(&dv);
	if (rs.responseHeader.serviceResult || rs.resultsSize != 1) {
		dv.hasStatus = true;
		dv.status = rs.responseHeader.serviceResult ? rs.responseHeader.serviceResult :
			UA_STATUSCODE_BADUNEXPECTEDERROR;
	} else {
		UA_DataValue_copy(&rs.results[0], &dv);
	}
	UA_ReadResponse_clear(&rs);
	return dv;
}
