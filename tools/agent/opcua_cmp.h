/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the OPC UA tests compare, source against mirror (docs/opcua.md):
 * read by a client with nothing of the agents' code, every NodeId written
 * with its namespace URI, so that two servers whose indexes differ
 * compare equal when their nodes are the same.
 */
#ifndef DIODE_AGENT_OPCUA_CMP_H
#define DIODE_AGENT_OPCUA_CMP_H

#include <stdbool.h>
#include <open62541/client.h>

/* A server's namespace array (free uri with UA_Array_delete). */
struct opcua_cmp_names {
	UA_String *uri;
	size_t n;
};

/*
 * A node under Objects (namespace 0 left out), as text: its NodeId; every
 * hierarchical reference to it (parent<reference type), sorted; its node
 * class, browse name, display name, data type, value rank and array
 * dimensions.
 */
struct opcua_cmp_line {
	char id[160];
	char parents[512];
	char attrs[512];
};

bool opcua_cmp_names(UA_Client *c, struct opcua_cmp_names *nm);
/* "nsu=URI;i=85" of a NodeId, in out. */
void opcua_cmp_uri_id(const struct opcua_cmp_names *nm, const UA_NodeId *id, char *out,
		      size_t cap);
/* Every node of c, sorted by id: true and *out (free it), or false. */
bool opcua_cmp_describe(UA_Client *c, struct opcua_cmp_line **out, size_t *n);

/* Every Variable under Objects outside namespace 0: true and *out
 * (UA_Array_delete), or false. */
bool opcua_cmp_variables(UA_Client *c, UA_NodeId **out, size_t *n);

/* A variable's DataValue with both timestamps, or its status
 * (UA_DataValue_clear it). */
UA_DataValue opcua_cmp_read(UA_Client *c, const UA_NodeId *id);

#endif
