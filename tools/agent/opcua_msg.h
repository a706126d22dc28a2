/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The records of the OPC UA channel on the one-way link (docs/opcua.md):
 * a 16-byte header, then pieces in OPC UA's binary encoding, written and
 * read by open62541 itself. Pure encode and decode, no I/O, so that the
 * unit test and the fuzzer drive it alone. The decoder trusts nothing
 * and takes only the one form open62541 writes of each value, so that
 * records compare by their bytes.
 */
#ifndef DIODE_AGENT_OPCUA_MSG_H
#define DIODE_AGENT_OPCUA_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <open62541/types.h>

#define OPCUA_MSG_VERSION	1
#define OPCUA_MSG_HDR		16
#define OPCUA_MSG_MAX		(1u << 20)	/* the channel's largest record */
#define OPCUA_MSG_MAX_NS	1024		/* namespaces, and so an index */
#define OPCUA_MSG_MAX_ID	4096		/* a URI, a NodeId's string */
#define OPCUA_MSG_MAX_REFS	64		/* further parents of a node */
#define OPCUA_MSG_MAX_DIMS	32		/* a value rank, array dimensions */

enum opcua_msg_kind {
	OPCUA_MSG_NAMESPACES = 1,	/* the link namespace table */
	OPCUA_MSG_MODEL = 2,		/* the model summary, once a pass */
	OPCUA_MSG_NODE = 3,
	OPCUA_MSG_GONE = 4,		/* a node removed at the source */
	OPCUA_MSG_VALUE = 5,
};

/* The tables a record's key is in: a node and its tombstone share one. */
enum opcua_msg_table {
	OPCUA_MSG_T_NAMESPACES = 1,
	OPCUA_MSG_T_MODEL,
	OPCUA_MSG_T_NODES,
	OPCUA_MSG_T_VALUES,
};

enum opcua_msg_err {
	OPCUA_MSG_E_SHORT = 1,		/* shorter than its lengths say */
	OPCUA_MSG_E_VERSION,
	OPCUA_MSG_E_KIND,
	OPCUA_MSG_E_HEADER,		/* reserved bytes, stamp or table id 0 */
	OPCUA_MSG_E_PIECES,		/* too few or too many for the kind */
	OPCUA_MSG_E_DECODE,		/* open62541 does not decode a piece */
	OPCUA_MSG_E_CANONICAL,		/* not the form open62541 encodes */
	OPCUA_MSG_E_NODEID,		/* null, index, identifier, not local */
	OPCUA_MSG_E_URI,		/* first, empty, too long, repeated */
	OPCUA_MSG_E_NODE,		/* class, attributes, name, rank */
	OPCUA_MSG_E_REF,		/* a further parent */
	OPCUA_MSG_E_MODEL,		/* a pass or a period of 0 */
	OPCUA_MSG_E_TOO_LARGE,
	OPCUA_MSG_E_NOMEM,
	OPCUA_MSG_E_MAX = OPCUA_MSG_E_NOMEM,
};

/*
 * A record, to encode or as decoded. Only the kind's fields are used.
 * Decoded, the message owns what it holds (free with opcua_msg_clear);
 * to encode, the caller's values are only read.
 */
struct opcua_msg {
	uint8_t kind;
	uint64_t stamp;		/* the key's version at the tx, from 1 */
	uint32_t table;		/* the link namespace table's id, not 0 */
	/* NAMESPACES: the link table, index 0 OPC UA's own */
	UA_String *uris;
	size_t nuris;
	/* MODEL: sent at the start of each carousel pass */
	uint64_t pass;		/* from 1, one more each pass */
	uint32_t nodes;
	uint32_t period_ms;
	/* NODE, GONE, VALUE: the key */
	UA_NodeId node;
	/* NODE: the node as AddNodes would create it, without
	 * requestedNewNodeId; its further parents */
	UA_AddNodesItem item;
	UA_AddReferencesItem *refs;
	size_t nrefs;
	/* VALUE */
	UA_DataValue value;
};

void opcua_msg_init(struct opcua_msg *m);
void opcua_msg_clear(struct opcua_msg *m);
/*
 * Encode m into buf: the record's length, written only if it fits in
 * cap; or -OPCUA_MSG_E_*. It refuses what the decoder refuses, so what
 * it encodes decodes, to the same bytes.
 */
long opcua_msg_encode(uint8_t *buf, size_t cap, const struct opcua_msg *m);
/* Check a record: 0 and m filled (m initialized first, cleared on an
 * error), or -OPCUA_MSG_E_*. */
int opcua_msg_decode(const uint8_t *buf, size_t len, struct opcua_msg *m);
/*
 * The key of a record opcua_msg_decode accepted: its table
 * (OPCUA_MSG_T_*) and the NodeId piece's bytes (none for the table of
 * namespaces and the model's, which hold one record each).
 */
enum opcua_msg_table opcua_msg_key(const uint8_t *rec, const uint8_t **key,
				   size_t *klen);
/* The stamp and the link table id of a record opcua_msg_decode accepted. */
uint64_t opcua_msg_stamp(const uint8_t *rec);
uint32_t opcua_msg_table_id(const uint8_t *rec);
void opcua_msg_set_stamp(uint8_t *rec, uint64_t stamp);
/*
 * Two records opcua_msg_decode accepted say the same: their kind, table
 * id and pieces are alike (one encoding per value), whatever their
 * stamps, which only order them.
 */
bool opcua_msg_same(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
const char *opcua_msg_strerror(int err);

#endif
