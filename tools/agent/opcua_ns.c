// SPDX-License-Identifier: GPL-2.0
/* Namespace indexes across the link (docs/opcua.md). */
#include <stdlib.h>

#include "opcua_msg.h"
#include "opcua_ns.h"

static const UA_String ns0_uri = UA_STRING_STATIC("http://opcfoundation.org/UA/");

int opcua_ns_init(struct opcua_ns *t, uint32_t id)
{
	t->id = id;
	t->n = 1;
	t->uris = UA_Array_new(1, &UA_TYPES[UA_TYPES_STRING]);
	if (!t->uris || UA_String_copy(&ns0_uri, &t->uris[0])) {
		UA_Array_delete(t->uris, t->uris ? 1 : 0, &UA_TYPES[UA_TYPES_STRING]);
		t->uris = NULL;
		t->n = 0;
		return -1;
	}
	return 0;
}

void opcua_ns_free(struct opcua_ns *t)
{
	UA_Array_delete(t->uris, t->n, &UA_TYPES[UA_TYPES_STRING]);
	t->uris = NULL;
	t->n = 0;
}

static int find_or_append(struct opcua_ns *t, const UA_String *uri)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (UA_String_equal(&t->uris[i], uri))
			return (int)i;
	if (t->n >= OPCUA_MSG_MAX_NS || uri->length == 0 || uri->length > OPCUA_MSG_MAX_ID ||
	    UA_Array_appendCopy((void **)&t->uris, &t->n, uri, &UA_TYPES[UA_TYPES_STRING]))
		return -1;
	return (int)t->n - 1;
}

int opcua_ns_map(struct opcua_ns *t, const UA_String *array, size_t n, UA_UInt16 **map)
{
	size_t i;
	int k;

	*map = calloc(n ? n : 1, sizeof(**map));
	if (!*map)
		return -1;
	for (i = 0; i < n; i++) {
		k = find_or_append(t, &array[i]);
		if (k < 0) {
			free(*map);
			*map = NULL;
			return -1;
		}
		(*map)[i] = (UA_UInt16)k;
	}
	return 0;
}

int opcua_ns_index(UA_UInt16 *index, const UA_UInt16 *map, size_t n)
{
	if (*index >= n)
		return -1;
	*index = map[*index];
	return 0;
}

int opcua_ns_nodeid(UA_NodeId *id, const UA_UInt16 *map, size_t n)
{
	return opcua_ns_index(&id->namespaceIndex, map, n);
}

/* One value of type t at p. */
static int value(void *p, const UA_DataType *t, const UA_UInt16 *map, size_t n)
{
	switch (t->typeKind) {
	case UA_DATATYPEKIND_NODEID:
		return opcua_ns_nodeid(p, map, n);
	case UA_DATATYPEKIND_EXPANDEDNODEID: {
		UA_ExpandedNodeId *e = p;

		return e->namespaceUri.length ? 0 : opcua_ns_nodeid(&e->nodeId, map, n);
	}
	case UA_DATATYPEKIND_QUALIFIEDNAME:
		return opcua_ns_index(&((UA_QualifiedName *)p)->namespaceIndex, map, n);
	case UA_DATATYPEKIND_VARIANT:
		return opcua_ns_variant(p, map, n);
	case UA_DATATYPEKIND_DATAVALUE:
		return ((UA_DataValue *)p)->hasValue ?
			opcua_ns_variant(&((UA_DataValue *)p)->value, map, n) : 0;
	default:
		return 0;
	}
}

int opcua_ns_variant(UA_Variant *v, const UA_UInt16 *map, size_t n)
{
	size_t i, count;

	if (!v->type || !v->data)
		return 0;
	count = UA_Variant_isScalar(v) ? 1 : v->arrayLength;
	for (i = 0; i < count; i++)
		if (value((char *)v->data + i * v->type->memSize, v->type, map, n))
			return -1;
	return 0;
}
