/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Namespace indexes across the link (docs/opcua.md): the link namespace
 * table the tx keeps (URIs in the order it met them, index 0 OPC UA's,
 * only ever appended to), and the rewriting of every namespace index a
 * value holds through a map, from a source's indexes to the link's at
 * the tx, from the link's to the mirror's at the rx.
 */
#ifndef DIODE_AGENT_OPCUA_NS_H
#define DIODE_AGENT_OPCUA_NS_H

#include <stddef.h>
#include <stdint.h>
#include <open62541/types.h>

struct opcua_ns {
	uint32_t id;		/* the table's, drawn when it is made */
	UA_String *uris;
	size_t n;
};

/* A table of OPC UA's namespace alone: 0, or -1 out of memory. */
int opcua_ns_init(struct opcua_ns *t, uint32_t id);
void opcua_ns_free(struct opcua_ns *t);
/*
 * The map from the indexes of a server's namespace array to the table's,
 * the URIs it lacks appended: 0 and *map (free it) of n entries, or -1
 * (out of memory, or the table would pass OPCUA_MSG_MAX_NS).
 */
int opcua_ns_map(struct opcua_ns *t, const UA_String *array, size_t n, UA_UInt16 **map);

/* Rewrite an index, or one in each NodeId, ExpandedNodeId and
 * QualifiedName a value holds (scalars and arrays, in DataValues and
 * Variants within): 0, or -1 when an index is past the map (the value
 * then partly rewritten). An ExpandedNodeId naming its URI keeps it. */
int opcua_ns_index(UA_UInt16 *index, const UA_UInt16 *map, size_t n);
int opcua_ns_nodeid(UA_NodeId *id, const UA_UInt16 *map, size_t n);
int opcua_ns_variant(UA_Variant *v, const UA_UInt16 *map, size_t n);

#endif
