/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rx's mirror (docs/opcua.md): the records of the link made into an
 * open62541 server's nodes, with the source's NodeIds (their namespace
 * indexes mapped through the URIs), names, classes, attributes and
 * hierarchy, read-only; and its variables' values, status codes and
 * timestamps as the source had them.
 */
#ifndef DIODE_AGENT_OPCUA_MIRROR_H
#define DIODE_AGENT_OPCUA_MIRROR_H

#include <open62541/server.h>

#include "opcua_msg.h"

/* The maps of link tables before the current one that the mirror keeps:
 * a node added under a table the tx left (it restarted) can still be
 * removed, by the sweep, until this many more restarts. */
#define OPCUA_MIRROR_OLD_MAPS 4

struct opcua_mirror_map {
	uint32_t table;
	UA_UInt16 *map;			/* link index -> the server's */
	size_t nmap;
};

struct opcua_mirror {
	UA_Server *srv;
	uint32_t table;			/* the link table mapped; 0 none yet */
	UA_UInt16 *map;			/* link index -> the server's */
	size_t nmap;
	struct opcua_mirror_map old[OPCUA_MIRROR_OLD_MAPS];	/* newest first */
	struct opcua_msg *waiting;	/* nodes whose parent is not there yet */
	size_t nwaiting;
	/* further parents not there yet: sourceNodeId the node */
	UA_AddReferencesItem *refs;
	size_t nrefs;
	UA_NodeId *vars;		/* the variables added, the server's ids */
	size_t nvars;
	uint64_t added, refused, unmapped;
};

/* Mirror into srv, whose configuration it adjusts (empty variables). */
void opcua_mirror_init(struct opcua_mirror *m, UA_Server *srv);
void opcua_mirror_free(struct opcua_mirror *m);
/* A namespaces record: its URIs added to the server: 0, or -1. */
int opcua_mirror_namespaces(struct opcua_mirror *m, const struct opcua_msg *rec);
/*
 * A node record, decoded (taken: the mirror clears it): 0 added, with
 * the nodes that were waiting for it; 1 waiting for its parent, or for
 * the namespaces of its table (unmapped); -1 refused by the server. A
 * further parent not there yet is referred to once it is.
 * A Variable reads BadWaitingForInitialData until its first value.
 */
int opcua_mirror_node(struct opcua_mirror *m, struct opcua_msg *rec);
/* A value record (read, not taken): 0 written, 1 unmapped or no such
 * node, -1 refused by the server. */
int opcua_mirror_value(struct opcua_mirror *m, const struct opcua_msg *rec);

/* A tombstone, or a node record the sweep removed: the node deleted,
 * with its references, or no longer waiting for its parent (its NodeId
 * remapped through its table's map, the current one or one kept): 0 gone
 * or never there, 1 unmapped, -1 refused by the server. */
int opcua_mirror_gone(struct opcua_mirror *m, const struct opcua_msg *rec);
/* The NodeId of rec, a record of the mirror's link table or of one kept,
 * in the indexes of the mirror's table (through the server's): 0, or -1
 * when a table lacks its namespace. */
int opcua_mirror_current_id(const struct opcua_mirror *m, const struct opcua_msg *rec,
			    UA_NodeId *out);
/*
 * The link fell silent: every variable whose value is not Bad reads
 * Uncertain_LastUsableValue, its value and timestamps kept, until its
 * next value record brings the source's status back. How many turned.
 */
size_t opcua_mirror_stale(struct opcua_mirror *m);

#endif
