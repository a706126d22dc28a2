// SPDX-License-Identifier: GPL-2.0
/* The rx's mirror (docs/opcua.md). */
#include <stdlib.h>
#include <string.h>

#include "opcua_mirror.h"
#include "opcua_ns.h"

#define WRITE_BITS	(UA_ACCESSLEVELMASK_WRITE | UA_ACCESSLEVELMASK_HISTORYWRITE | \
			 UA_ACCESSLEVELMASK_STATUSWRITE | UA_ACCESSLEVELMASK_TIMESTAMPWRITE)

void opcua_mirror_init(struct opcua_mirror *m, UA_Server *srv)
{
	memset(m, 0, sizeof(*m));
	m->srv = srv;
	/* a variable exists before its first value crosses */
	UA_Server_getConfig(srv)->allowEmptyVariables = UA_RULEHANDLING_ACCEPT;
}

void opcua_mirror_free(struct opcua_mirror *m)
{
	size_t i;

	for (i = 0; i < m->nwaiting; i++)
		opcua_msg_clear(&m->waiting[i]);
	free(m->waiting);
	UA_Array_delete(m->refs, m->nrefs, &UA_TYPES[UA_TYPES_ADDREFERENCESITEM]);
	UA_Array_delete(m->vars, m->nvars, &UA_TYPES[UA_TYPES_NODEID]);
	free(m->map);
	for (i = 0; i < OPCUA_MIRROR_OLD_MAPS; i++)
		free(m->old[i].map);
	memset(m, 0, sizeof(*m));
}

int opcua_mirror_namespaces(struct opcua_mirror *m, const struct opcua_msg *rec)
{
	UA_UInt16 *map = calloc(rec->nuris, sizeof(*map));
	char uri[OPCUA_MSG_MAX_ID + 1];
	size_t i;

	if (!map)
		return -1;
	/* index 0 is OPC UA's on every server; the rest by URI, added if new */
	for (i = 1; i < rec->nuris; i++) {
		memcpy(uri, rec->uris[i].data, rec->uris[i].length);
		uri[rec->uris[i].length] = 0;
		map[i] = UA_Server_addNamespace(m->srv, uri);
	}
	if (m->table && m->table != rec->table) {
		free(m->old[OPCUA_MIRROR_OLD_MAPS - 1].map);
		memmove(m->old + 1, m->old, sizeof(m->old) - sizeof(m->old[0]));
		m->old[0] = (struct opcua_mirror_map){ m->table, m->map, m->nmap };
	} else {
		free(m->map);
	}
	m->map = map;
	m->nmap = rec->nuris;
	m->table = rec->table;
	return 0;
}

/* The map of a link table: the current one's, or one kept. */
static bool map_of(const struct opcua_mirror *m, uint32_t table, const UA_UInt16 **map,
		   size_t *nmap)
{
	size_t i;

	if (m->table && table == m->table) {
		*map = m->map;
		*nmap = m->nmap;
		return true;
	}
	for (i = 0; i < OPCUA_MIRROR_OLD_MAPS; i++)
		if (m->old[i].map && m->old[i].table == table) {
			*map = m->old[i].map;
			*nmap = m->old[i].nmap;
			return true;
		}
	return false;
}

int opcua_mirror_current_id(const struct opcua_mirror *m, const struct opcua_msg *rec,
			    UA_NodeId *out)
{
	const UA_UInt16 *map;
	size_t nmap, i;

	if (!map_of(m, rec->table, &map, &nmap) || rec->node.namespaceIndex >= nmap)
		return -1;
	for (i = 0; i < m->nmap && m->map[i] != map[rec->node.namespaceIndex]; i++)
		;
	if (i == m->nmap || UA_NodeId_copy(&rec->node, out))
		return -1;
	out->namespaceIndex = (UA_UInt16)i;
	return 0;
}

/* The record's NodeIds in the server's indexes: 0, or -1. */
static int remap(const struct opcua_mirror *m, struct opcua_msg *rec)
{
	UA_AddNodesItem *it = &rec->item;
	UA_NodeAttributes *a = it->nodeAttributes.content.decoded.data;
	size_t i;

	if (opcua_ns_nodeid(&rec->node, m->map, m->nmap) ||
	    opcua_ns_nodeid(&it->parentNodeId.nodeId, m->map, m->nmap) ||
	    opcua_ns_nodeid(&it->referenceTypeId, m->map, m->nmap) ||
	    opcua_ns_index(&it->browseName.namespaceIndex, m->map, m->nmap) ||
	    opcua_ns_nodeid(&it->typeDefinition.nodeId, m->map, m->nmap))
		return -1;
	for (i = 0; i < rec->nrefs; i++)
		if (opcua_ns_nodeid(&rec->refs[i].referenceTypeId, m->map, m->nmap) ||
		    opcua_ns_nodeid(&rec->refs[i].targetNodeId.nodeId, m->map, m->nmap))
			return -1;
	/* nothing in the mirror is written by its clients */
	a->writeMask = 0;
	a->userWriteMask = 0;
	if (it->nodeClass == UA_NODECLASS_VARIABLE) {
		UA_VariableAttributes *v = (UA_VariableAttributes *)a;

		v->accessLevel &= (UA_Byte)~WRITE_BITS;
		v->userAccessLevel = v->accessLevel;
		return opcua_ns_nodeid(&v->dataType, m->map, m->nmap);
	}
	if (it->nodeClass == UA_NODECLASS_VARIABLETYPE)
		return opcua_ns_nodeid(&((UA_VariableTypeAttributes *)a)->dataType, m->map, m->nmap);
	return 0;
}

/* A further parent of node: Good, BadTargetNodeIdInvalid while the
 * parent is not there, or refused (counted). */
static UA_StatusCode refer(struct opcua_mirror *m, const UA_NodeId *node,
			   const UA_AddReferencesItem *r)
{
	UA_StatusCode rc = UA_Server_addReference(m->srv, *node, r->referenceTypeId,
						  r->targetNodeId, false);

	if (rc && rc != UA_STATUSCODE_BADTARGETNODEIDINVALID)
		m->refused++;
	return rc;
}

/* A method of the mirror: nothing to run, and no way to the source's.
 * Without a callback open62541 answers BadInternalError. */
static UA_StatusCode refuse_call(UA_Server *s, const UA_NodeId *session, void *sctx,
				 const UA_NodeId *method, void *mctx, const UA_NodeId *object,
				 void *octx, size_t nin, const UA_Variant *in, size_t nout,
				 UA_Variant *out)
{
	(void)s, (void)session, (void)sctx, (void)method, (void)mctx, (void)object;
	(void)octx, (void)nin, (void)in, (void)nout, (void)out;
	return UA_STATUSCODE_BADNOTEXECUTABLE;
}

/* Add a remapped record: 0, 1 its parent missing, -1 refused. */
static int add(struct opcua_mirror *m, struct opcua_msg *rec)
{
	const UA_AddNodesItem *it = &rec->item;
	UA_DataValue waiting;
	UA_StatusCode rc;
	size_t i;

	rc = __UA_Server_addNode(m->srv, it->nodeClass, &rec->node, &it->parentNodeId.nodeId,
				 &it->referenceTypeId, it->browseName,
				 &it->typeDefinition.nodeId,
				 it->nodeAttributes.content.decoded.data,
				 it->nodeAttributes.content.decoded.type, NULL, NULL);
	if (rc == UA_STATUSCODE_BADPARENTNODEIDINVALID)
		return 1;
	/* the carousel's copy of a node the mirror has */
	if (rc == UA_STATUSCODE_BADNODEIDEXISTS)
		return 0;
	if (rc) {
		m->refused++;
		return -1;
	}
	m->added++;
	for (i = 0; i < rec->nrefs; i++) {
		UA_AddReferencesItem *r = &rec->refs[i];

		if (refer(m, &rec->node, r) != UA_STATUSCODE_BADTARGETNODEIDINVALID)
			continue;
		if (UA_NodeId_copy(&rec->node, &r->sourceNodeId) ||
		    UA_Array_appendCopy((void **)&m->refs, &m->nrefs, r,
					&UA_TYPES[UA_TYPES_ADDREFERENCESITEM]))
			m->refused++;
		UA_NodeId_clear(&r->sourceNodeId);
	}
	if (it->nodeClass == UA_NODECLASS_METHOD &&
	    UA_Server_setMethodNodeCallback(m->srv, rec->node, refuse_call))
		m->refused++;
	if (it->nodeClass == UA_NODECLASS_VARIABLE) {
		if (UA_Array_appendCopy((void **)&m->vars, &m->nvars, &rec->node,
					&UA_TYPES[UA_TYPES_NODEID]))
			m->refused++;
		UA_DataValue_init(&waiting);
		waiting.hasStatus = true;
		waiting.status = UA_STATUSCODE_BADWAITINGFORINITIALDATA;
		UA_Server_writeDataValue(m->srv, rec->node, waiting);
	}
	return 0;
}

/* The waiting records and references whose parents have come, until
 * none has. */
static void retry(struct opcua_mirror *m)
{
	bool progress = true;
	size_t i;

	while (progress) {
		progress = false;
		for (i = 0; i < m->nwaiting; i++) {
			if (add(m, &m->waiting[i]) == 1)
				continue;
			opcua_msg_clear(&m->waiting[i]);
			m->waiting[i--] = m->waiting[--m->nwaiting];
			progress = true;
		}
	}
	for (i = 0; i < m->nrefs; i++) {
		if (refer(m, &m->refs[i].sourceNodeId, &m->refs[i]) ==
		    UA_STATUSCODE_BADTARGETNODEIDINVALID)
			continue;
		UA_AddReferencesItem_clear(&m->refs[i]);
		m->refs[i--] = m->refs[--m->nrefs];
	}
}

int opcua_mirror_node(struct opcua_mirror *m, struct opcua_msg *rec)
{
	struct opcua_msg *w;
	size_t i;
	int rc;

	if (rec->table != m->table || remap(m, rec)) {
		m->unmapped++;
		opcua_msg_clear(rec);
		return 1;
	}
	rc = add(m, rec);
	if (rc == 1) {
		/* the carousel's next copy replaces the one waiting */
		for (i = 0; i < m->nwaiting; i++)
			if (UA_NodeId_equal(&m->waiting[i].node, &rec->node)) {
				opcua_msg_clear(&m->waiting[i]);
				m->waiting[i] = *rec;
				opcua_msg_init(rec);
				return 1;
			}
		w = realloc(m->waiting, (m->nwaiting + 1) * sizeof(*w));
		if (!w) {
			opcua_msg_clear(rec);
			return -1;
		}
		m->waiting = w;
		m->waiting[m->nwaiting++] = *rec;
		opcua_msg_init(rec);
		return 1;
	}
	opcua_msg_clear(rec);
	if (rc == 0)
		retry(m);
	return rc;
}

int opcua_mirror_value(struct opcua_mirror *m, const struct opcua_msg *rec)
{
	UA_DataValue dv;
	UA_NodeId id;
	int rc = 0;

	if (rec->table != m->table || UA_NodeId_copy(&rec->node, &id))
		return 1;
	if (UA_DataValue_copy(&rec->value, &dv)) {
		UA_NodeId_clear(&id);
		return -1;
	}
	if (opcua_ns_nodeid(&id, m->map, m->nmap) ||
	    opcua_ns_variant(&dv.value, m->map, m->nmap)) {
		m->unmapped++;
		rc = 1;
	} else {
		UA_StatusCode w = UA_Server_writeDataValue(m->srv, id, dv);

		rc = w == UA_STATUSCODE_BADNODEIDUNKNOWN ? 1 : w ? -1 : 0;
	}
	UA_DataValue_clear(&dv);
	UA_NodeId_clear(&id);
	return rc;
}

size_t opcua_mirror_stale(struct opcua_mirror *m)
{
	UA_ReadValueId rv;
	UA_DataValue dv;
	size_t i, n = 0;

	UA_ReadValueId_init(&rv);
	rv.attributeId = UA_ATTRIBUTEID_VALUE;
	for (i = 0; i < m->nvars; i++) {
		rv.nodeId = m->vars[i];
		dv = UA_Server_read(m->srv, &rv, UA_TIMESTAMPSTORETURN_BOTH);
		if (!UA_StatusCode_isBad(dv.status) &&
		    dv.status != UA_STATUSCODE_UNCERTAINLASTUSABLEVALUE) {
			dv.status = UA_STATUSCODE_UNCERTAINLASTUSABLEVALUE;
			dv.hasStatus = true;
			n += UA_Server_writeDataValue(m->srv, m->vars[i], dv) == UA_STATUSCODE_GOOD;
		}
		UA_DataValue_clear(&dv);
	}
	return n;
}

int opcua_mirror_gone(struct opcua_mirror *m, const struct opcua_msg *rec)
{
	const UA_UInt16 *map;
	UA_StatusCode rc;
	size_t i, nmap;
	UA_NodeId id;

	if (!map_of(m, rec->table, &map, &nmap) || UA_NodeId_copy(&rec->node, &id))
		return 1;
	if (opcua_ns_nodeid(&id, map, nmap)) {
		UA_NodeId_clear(&id);
		m->unmapped++;
		return 1;
	}
	/* waiting for a parent that will not come, or a further parent */
	for (i = 0; i < m->nwaiting; i++)
		if (UA_NodeId_equal(&m->waiting[i].node, &id)) {
			opcua_msg_clear(&m->waiting[i]);
			m->waiting[i--] = m->waiting[--m->nwaiting];
		}
	for (i = 0; i < m->nrefs; i++)
		if (UA_NodeId_equal(&m->refs[i].sourceNodeId, &id)) {
			UA_AddReferencesItem_clear(&m->refs[i]);
			m->refs[i--] = m->refs[--m->nrefs];
		}
	rc = UA_Server_deleteNode(m->srv, id, true);
	for (i = 0; i < m->nvars; i++)
		if (UA_NodeId_equal(&m->vars[i], &id)) {
			UA_NodeId_clear(&m->vars[i]);
			m->vars[i] = m->vars[--m->nvars];
			break;
		}
	UA_NodeId_clear(&id);
	if (rc && rc != UA_STATUSCODE_BADNODEIDUNKNOWN) {
		m->refused++;
		return -1;
	}
	return 0;
}
