/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tx's reading of a source server's address space (docs/opcua.md):
 * the nodes under a root, as the node records that cross the link, in
 * the link table's namespace indexes; and the values of its variables
 * as value records.
 */
#ifndef DIODE_AGENT_OPCUA_BROWSE_H
#define DIODE_AGENT_OPCUA_BROWSE_H

#include <open62541/client.h>

#include "opcua_msg.h"
#include "opcua_ns.h"

struct opcua_model {
	/* NODE records, each after its parent; stamp and table left 0 */
	struct opcua_msg *nodes;
	size_t n;
	/* the source's NodeId of each, in the source's indexes */
	UA_NodeId *source;
	/* the source's namespace indexes to the link table's */
	UA_UInt16 *map;
	size_t nmap;
};

/*
 * Browse c from root by forward hierarchical references: every Object,
 * Variable and Method outside namespace 0 once, under the first parent
 * it was reached from, the others as further parents. Namespace 0 is
 * left out (the mirror has its own): references to its nodes (Objects,
 * a type definition, a data type) are kept. The link table ns gains the
 * source's URIs. Good and *out filled (opcua_model_free), or why not.
 */
UA_StatusCode opcua_browse(UA_Client *c, struct opcua_ns *ns, const UA_NodeId *root,
			   struct opcua_model *out);
void opcua_model_free(struct opcua_model *m);
/*
 * The value of every Variable of the model, read now, as value records
 * (stamp and table left 0) in *out (n of them; free each with
 * opcua_msg_clear, then the array), the values' namespace indexes in the
 * link table's: Good, or why not.
 */
UA_StatusCode opcua_read_values(UA_Client *c, const struct opcua_model *m,
				struct opcua_msg **out, size_t *n);

#endif
