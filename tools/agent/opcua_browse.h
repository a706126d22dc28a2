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
/*
 * The same browse without holding the caller: begun here (NULL and why in
 * *rc when it cannot be), one request at a time, each sent as the one
 * before is answered in the client's UA_Client_run_iterate. ns is changed
 * when the first answer comes, and must outlive the browse.
 */
struct opcua_browser;
struct opcua_browser *opcua_browse_start(UA_Client *c, struct opcua_ns *ns,
					 const UA_NodeId *root, UA_StatusCode *rc);
/* GOODCALLAGAIN while under way; then Good and *out filled, or why not. */
UA_StatusCode opcua_browse_poll(struct opcua_browser *b, struct opcua_model *out);
/* Done with b (NULL taken). A request still out keeps it until its
 * answer, a timeout or the client's disconnection calls back. */
void opcua_browse_free(struct opcua_browser *b);
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
