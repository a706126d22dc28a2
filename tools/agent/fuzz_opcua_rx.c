// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the OPC UA channel's rx as a whole (opcua_rx.c with
 * its table, opcua_table.c, and its mirror, opcua_mirror.c), fed
 * sequences of records. fuzz_opcua_msg and fuzz_opcua_table check the
 * record and the table alone; this checks what sequences do to the
 * mirror: value changes, carousel copies, summaries and sweeps, nodes
 * removed and back, records lost, repeated, late or corrupt, raw bytes,
 * the link falling silent, the tx restarting (a new link table id, its
 * stamps from 1, its namespaces in another order) and the rx restarting
 * (cleanly, from its saved file, or after a crash).
 *
 * The input drives a modelled tx over a source of 8 nodes (two folders
 * under Objects, six variables under them, one under another variable,
 * in two namespaces) whose records are encoded as opcua_tx.c would. The
 * mirror's open62541 server is replaced by a fake one (below: the eight
 * server calls opcua_mirror.c makes, defined here, which the linker
 * takes before libopen62541's), so that an input costs microseconds and
 * what the mirror does to the server is seen. Checked:
 *  - every value written to the server is one the tx sent for that node
 *    (the node found by its namespace URI and identifier: the indexes
 *    were mapped), status code and timestamps as sent; or the variable's
 *    BadWaitingForInitialData; or the value held turned
 *    Uncertain_LastUsableValue, nothing else changed;
 *  - a node is added under its own parent, of its class and browse name;
 *  - a variable's value never goes back to an older stamp of the same tx
 *    run (but after a sweep, a crash of the rx, or a record of another
 *    run arriving late, which docs/opcua.md leaves unordered);
 *  - the table and the waiting lists stay within the keys the tx has;
 *  - after a whole carousel pass at the end, the mirror has every node
 *    the tx has, the last value the tx sent of each variable, and none
 *    of the nodes the tx removed.
 * A corrupt record that still decodes is a forger's, and turns off the
 * checks that assume only the tx speaks (origin, bounds, the last pass).
 */
#include "opcua_rx.c"
#include "fuzz_input.h"

#include <unistd.h>

#define NSLOT		8
#define HIST		32
#define MAX_NODES	64
#define URI_OPCUA	"http://opcfoundation.org/UA/"

struct conf chan_cf;
static struct da_rx link_rx;
static uint64_t now_ms;
static char state_dir[64];

uint64_t chan_now_ms(void)
{
	return now_ms;
}

void chan_die(const char *what)
{
	dprintf(2, "chan_die: %s\n", what);
	abort();
}

void chan_path(const struct conf *c, char *buf, size_t len, const char *ext)
{
	snprintf(buf, len, "%s/%s.%s", state_dir, c->name, ext);
}

int chan_write_atomic(const char *ext, const char *data, size_t len, bool durable)
{
	char p[128];
	FILE *f;

	(void)durable;
	chan_path(&chan_cf, p, sizeof(p), ext);
	f = fopen(p, "w");
	if (!f || fwrite(data, 1, len, f) != len) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

const struct da_rx *chan_rx(void)
{
	return &link_rx;
}

/* ---- the fake server: what opcua_mirror.c asks of open62541 ---- */

struct fnode {
	UA_NodeId id;
	UA_NodeClass cls;
	UA_NodeId parent;
	UA_QualifiedName bn;
	UA_DataValue dv;
};

static struct fnode fnodes[MAX_NODES];
static size_t nfnodes;
static char *furis[OPCUA_MSG_MAX_NS + 2];
static size_t nfuris;
static UA_ServerConfig fconfig;
static bool checking;	/* the rx applies what the modelled tx sent */

static void fail(const char *why)
{
	dprintf(2, "fuzz_opcua_rx: %s\n", why);
	abort();
}

UA_ServerConfig *UA_Server_getConfig(UA_Server *s)
{
	(void)s;
	return &fconfig;
}

UA_UInt16 UA_Server_addNamespace(UA_Server *s, const char *name)
{
	size_t i;

	(void)s;
	for (i = 0; i < nfuris; i++)
		if (!strcmp(furis[i], name))
			return (UA_UInt16)i;
	furis[nfuris] = strdup(name);
	if (!furis[nfuris])
		abort();
	return (UA_UInt16)nfuris++;
}

static struct fnode *fnode_of(const UA_NodeId *id)
{
	size_t i;

	for (i = 0; i < nfnodes; i++)
		if (UA_NodeId_equal(&fnodes[i].id, id))
			return &fnodes[i];
	return NULL;
}

/* The server's namespace 0 stands for its standard nodes. */
static bool exists(const UA_NodeId *id)
{
	return id->namespaceIndex == 0 || fnode_of(id);
}

static void check_node(const struct fnode *n);

UA_StatusCode __UA_Server_addNode(UA_Server *s, const UA_NodeClass cls, const UA_NodeId *id,
				  const UA_NodeId *parent, const UA_NodeId *reftype,
				  const UA_QualifiedName bn, const UA_NodeId *typedef_,
				  const UA_NodeAttributes *attr, const UA_DataType *attr_type,
				  void *ctx, UA_NodeId *out)
{
	struct fnode *n;

	(void)s, (void)reftype, (void)typedef_, (void)attr, (void)attr_type, (void)ctx;
	if (out)
		fail("the mirror asked for a node id back");
	if (!exists(parent))
		return UA_STATUSCODE_BADPARENTNODEIDINVALID;
	if (exists(id))
		return UA_STATUSCODE_BADNODEIDEXISTS;
	if (nfnodes == MAX_NODES)
		return UA_STATUSCODE_BADOUTOFMEMORY;
	n = &fnodes[nfnodes++];
	memset(n, 0, sizeof(*n));
	n->cls = cls;
	if (UA_NodeId_copy(id, &n->id) || UA_NodeId_copy(parent, &n->parent) ||
	    UA_QualifiedName_copy(&bn, &n->bn))
		abort();
	check_node(n);
	return UA_STATUSCODE_GOOD;
}

UA_StatusCode UA_Server_addReference(UA_Server *s, const UA_NodeId src, const UA_NodeId reftype,
				     const UA_ExpandedNodeId target, UA_Boolean forward)
{
	(void)s, (void)reftype, (void)forward;
	if (!exists(&src))
		return UA_STATUSCODE_BADSOURCENODEIDINVALID;
	return exists(&target.nodeId) ? UA_STATUSCODE_GOOD : UA_STATUSCODE_BADTARGETNODEIDINVALID;
}

UA_StatusCode UA_Server_setMethodNodeCallback(UA_Server *s, const UA_NodeId id,
					      UA_MethodCallback cb)
{
	const struct fnode *n = fnode_of(&id);

	(void)s, (void)cb;
	return n && n->cls == UA_NODECLASS_METHOD ? UA_STATUSCODE_GOOD :
	       UA_STATUSCODE_BADNODEIDUNKNOWN;
}

static void check_write(const struct fnode *n, const UA_DataValue *dv);

UA_StatusCode __UA_Server_write(UA_Server *s, const UA_NodeId *id, const UA_AttributeId attr,
				const UA_DataType *type, const void *value)
{
	struct fnode *n = fnode_of(id);

	(void)s;
	if (attr != UA_ATTRIBUTEID_VALUE || type != &UA_TYPES[UA_TYPES_DATAVALUE])
		fail("the mirror wrote another attribute than a value");
	if (!n)
		return UA_STATUSCODE_BADNODEIDUNKNOWN;
	if (n->cls != UA_NODECLASS_VARIABLE)
		return UA_STATUSCODE_BADNODECLASSINVALID;
	check_write(n, value);
	UA_DataValue_clear(&n->dv);
	if (UA_DataValue_copy(value, &n->dv))
		abort();
	return UA_STATUSCODE_GOOD;
}

UA_DataValue UA_Server_read(UA_Server *s, const UA_ReadValueId *item,
			    UA_TimestampsToReturn ts)
{
	const struct fnode *n = fnode_of(&item->nodeId);
	UA_DataValue dv;

	(void)s, (void)ts;
	UA_DataValue_init(&dv);
	dv.hasStatus = true;
	if (!n || item->attributeId != UA_ATTRIBUTEID_VALUE)
		dv.status = UA_STATUSCODE_BADNODEIDUNKNOWN;
	else if (UA_DataValue_copy(&n->dv, &dv))
		abort();
	return dv;
}

static void fnode_clear(struct fnode *n)
{
	UA_NodeId_clear(&n->id);
	UA_NodeId_clear(&n->parent);
	UA_QualifiedName_clear(&n->bn);
	UA_DataValue_clear(&n->dv);
}

UA_StatusCode UA_Server_deleteNode(UA_Server *s, const UA_NodeId id, UA_Boolean refs)
{
	struct fnode *n = fnode_of(&id);

	(void)s, (void)refs;
	if (!n)
		return UA_STATUSCODE_BADNODEIDUNKNOWN;
	fnode_clear(n);
	*n = fnodes[--nfnodes];
	return UA_STATUSCODE_GOOD;
}

static void fserver_reset(void)
{
	while (nfnodes)
		fnode_clear(&fnodes[--nfnodes]);
	while (nfuris > 2)
		free(furis[--nfuris]);
}

/* ---- the modelled tx ---- */

static const char *const slot_uri[2] = { "urn:diode:fuzz:a", "urn:diode:fuzz:b" };
/* two folders under Objects, the variables under them, 7 under 6 */
static const int slot_parent[NSLOT] = { -1, -1, 0, 0, 0, 1, 1, 6 };

struct sent {
	uint32_t table;
	uint64_t stamp;
	int64_t v;
	UA_StatusCode status;
	UA_DateTime src, srv;
};

static struct {
	uint32_t table;
	int order;		/* the link table's URIs: a, b or b, a */
	uint64_t counter, pass;
	bool live[NSLOT];
	uint64_t node_stamp[NSLOT];
	bool gone_in_run[NSLOT];	/* a tombstone this run holds */
	bool has[NSLOT];		/* a value sent this run */
	struct sent val[NSLOT];
	uint64_t ns_stamp;
	uint64_t runs;
} tx;

static struct {
	struct sent *e;
	size_t n, cap;
} sent[NSLOT];

/* the last value written of each slot, for the order */
static struct {
	bool set;
	uint32_t table;
	uint64_t stamp;
} last[NSLOT];

static bool forged, unordered;
static uint8_t hist[HIST][512];
static size_t hist_len[HIST], nhist;
static uint64_t swept_seen, seq;

static UA_UInt16 link_ns(int slot)
{
	return (UA_UInt16)(1 + ((slot & 1) ^ tx.order));
}

/* The model's slot of a server NodeId, or -1. */
static int slot_of_server(const UA_NodeId *id)
{
	int slot;

	if (id->identifierType != UA_NODEIDTYPE_NUMERIC || id->namespaceIndex >= nfuris)
		return -1;
	slot = (int)id->identifier.numeric - 100;
	if (slot < 0 || slot >= NSLOT || strcmp(furis[id->namespaceIndex], slot_uri[slot & 1]))
		return -1;
	return slot;
}

static void check_node(const struct fnode *n)
{
	int slot = slot_of_server(&n->id), p;
	char name[8];

	if (!checking)
		return;
	if (slot < 0)
		fail("a node the tx never sent");
	p = slot_parent[slot];
	snprintf(name, sizeof(name), "n%d", slot);
	if (n->cls != (slot < 2 ? UA_NODECLASS_OBJECT : UA_NODECLASS_VARIABLE) ||
	    n->bn.name.length != strlen(name) || memcmp(n->bn.name.data, name, strlen(name)) ||
	    strcmp(furis[n->bn.namespaceIndex], slot_uri[slot & 1]))
		fail("a node not as the tx sent it");
	if (p < 0 ? !(n->parent.namespaceIndex == 0 &&
		      n->parent.identifier.numeric == UA_NS0ID_OBJECTSFOLDER) :
	    slot_of_server(&n->parent) != p)
		fail("a node under another parent");
}

static bool dv_is(const UA_DataValue *dv, const struct sent *s, bool status)
{
	return dv->value.type == &UA_TYPES[UA_TYPES_INT64] &&
	       UA_Variant_isScalar(&dv->value) && *(int64_t *)dv->value.data == s->v &&
	       (!status || (dv->hasStatus ? dv->status : 0) == s->status) &&
	       dv->hasSourceTimestamp && dv->sourceTimestamp == s->src &&
	       dv->hasServerTimestamp && dv->serverTimestamp == s->srv;
}

static void check_write(const struct fnode *n, const UA_DataValue *dv)
{
	int slot = slot_of_server(&n->id);
	const struct sent *match = NULL;
	size_t i;

	if (!checking)
		return;
	if (!dv->hasValue && dv->hasStatus && dv->status == UA_STATUSCODE_BADWAITINGFORINITIALDATA)
		return;
	if (slot < 0)
		fail("a value written to a node the tx never sent");
	if (dv->hasStatus && dv->status == UA_STATUSCODE_UNCERTAINLASTUSABLEVALUE) {
		UA_DataValue held = n->dv;

		held.status = dv->status;
		held.hasStatus = true;
		if (UA_order(&held, dv, &UA_TYPES[UA_TYPES_DATAVALUE]) == UA_ORDER_EQ)
			return;
	}
	/* the latest of equal values: the source may go back to one */
	for (i = 0; i < sent[slot].n; i++)
		if (dv_is(dv, &sent[slot].e[i], true) &&
		    (!match || sent[slot].e[i].stamp > match->stamp))
			match = &sent[slot].e[i];
	if (!match)
		fail("a value, status or timestamp the tx never sent");
	if (!unordered && last[slot].set && last[slot].table == match->table &&
	    match->stamp < last[slot].stamp)
		fail("a value went back to an older one");
	last[slot].set = true;
	last[slot].table = match->table;
	last[slot].stamp = match->stamp;
}

static void forget_order(void)
{
	memset(last, 0, sizeof(last));
}

static void deliver(const uint8_t *rec, size_t len)
{
	struct opcua_msg m;

	if (!opcua_msg_decode(rec, len, &m)) {
		if (m.table != tx.table)
			unordered = true;
		opcua_msg_clear(&m);
	}
	link_rx.last_heard_ms = now_ms;
	opcua_rx_proto.deliver(++seq, rec, len);
	if (rx.swept != swept_seen) {
		/* a late copy of a key the sweep removed is new again */
		swept_seen = rx.swept;
		forget_order();
	}
	if (!forged && (rx.t.n > 2 + 4 * NSLOT || rx.m.nwaiting > 2 * NSLOT))
		fail("more held than the tx has");
}

/* Encode m, keep it for late copies, and deliver it unless lost. */
static void tx_send(struct opcua_msg *m, bool lost)
{
	uint8_t buf[512];
	long n;

	m->table = tx.table;
	n = opcua_msg_encode(buf, sizeof(buf), m);
	if (n <= 0)
		fail("the model's record does not encode");
	memcpy(hist[nhist % HIST], buf, n);
	hist_len[nhist++ % HIST] = n;
	if (!lost)
		deliver(buf, n);
}

static void send_ns(bool lost)
{
	UA_String u[3];
	struct opcua_msg m;

	u[0] = UA_STRING(URI_OPCUA);
	u[1] = UA_STRING((char *)slot_uri[tx.order]);
	u[2] = UA_STRING((char *)slot_uri[!tx.order]);
	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_NAMESPACES;
	m.stamp = tx.ns_stamp;
	m.uris = u;
	m.nuris = 3;
	tx_send(&m, lost);
}

static void send_node(int slot, bool lost)
{
	UA_ObjectAttributes oa;
	UA_VariableAttributes va;
	struct opcua_msg m;
	char name[8];
	int p = slot_parent[slot];

	snprintf(name, sizeof(name), "n%d", slot);
	opcua_msg_init(&m);
	m.kind = tx.live[slot] ? OPCUA_MSG_NODE : OPCUA_MSG_GONE;
	m.stamp = tx.node_stamp[slot];
	m.node = UA_NODEID_NUMERIC(link_ns(slot), 100 + slot);
	if (tx.live[slot]) {
		m.item.parentNodeId = p < 0 ? UA_EXPANDEDNODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER) :
				      UA_EXPANDEDNODEID_NUMERIC(link_ns(p), 100 + p);
		m.item.referenceTypeId = UA_NODEID_NUMERIC(0, p < 0 ? UA_NS0ID_ORGANIZES :
							   UA_NS0ID_HASCOMPONENT);
		m.item.browseName = UA_QUALIFIEDNAME(link_ns(slot), name);
		if (slot < 2) {
			UA_ObjectAttributes_init(&oa);
			oa.displayName = UA_LOCALIZEDTEXT("", name);
			m.item.nodeClass = UA_NODECLASS_OBJECT;
			UA_ExtensionObject_setValueNoDelete(&m.item.nodeAttributes, &oa,
							    &UA_TYPES[UA_TYPES_OBJECTATTRIBUTES]);
			m.item.typeDefinition = UA_EXPANDEDNODEID_NUMERIC(0, UA_NS0ID_FOLDERTYPE);
		} else {
			UA_VariableAttributes_init(&va);
			va.displayName = UA_LOCALIZEDTEXT("", name);
			va.dataType = UA_TYPES[UA_TYPES_INT64].typeId;
			va.valueRank = UA_VALUERANK_SCALAR;
			va.accessLevel = UA_ACCESSLEVELMASK_READ;
			m.item.nodeClass = UA_NODECLASS_VARIABLE;
			UA_ExtensionObject_setValueNoDelete(&m.item.nodeAttributes, &va,
							    &UA_TYPES[UA_TYPES_VARIABLEATTRIBUTES]);
			m.item.typeDefinition =
				UA_EXPANDEDNODEID_NUMERIC(0, UA_NS0ID_BASEDATAVARIABLETYPE);
		}
	}
	tx_send(&m, lost);
}

static void send_value(int slot, bool lost)
{
	const struct sent *s = &tx.val[slot];
	struct opcua_msg m;
	int64_t v = s->v;

	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_VALUE;
	m.stamp = s->stamp;
	m.node = UA_NODEID_NUMERIC(link_ns(slot), 100 + slot);
	UA_Variant_setScalar(&m.value.value, &v, &UA_TYPES[UA_TYPES_INT64]);
	m.value.hasValue = true;
	m.value.status = s->status;
	m.value.hasStatus = s->status != UA_STATUSCODE_GOOD;
	m.value.sourceTimestamp = s->src;
	m.value.hasSourceTimestamp = true;
	m.value.serverTimestamp = s->srv;
	m.value.hasServerTimestamp = true;
	tx_send(&m, lost);
}

static void send_summary(bool lost)
{
	struct opcua_msg m;

	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_MODEL;
	m.stamp = ++tx.counter;
	m.pass = ++tx.pass;
	m.nodes = NSLOT;
	m.period_ms = 60000;
	tx_send(&m, lost);
}

/* A change at the source, or the same value subscribed again (same). */
static void change(int slot, uint8_t b, bool same, bool lost)
{
	static const UA_StatusCode status[4] = {
		UA_STATUSCODE_GOOD, UA_STATUSCODE_BADSENSORFAILURE,
		UA_STATUSCODE_UNCERTAINSENSORNOTACCURATE, UA_STATUSCODE_GOODCLAMPED,
	};
	struct sent *s = &tx.val[slot];

	if (!same || !s->stamp) {
		s->v = (int64_t)(tx.runs << 40 | tx.counter << 8 | b);
		s->status = status[b & 3];
		s->src = UA_DATETIME_UNIX_EPOCH + (int64_t)now_ms * UA_DATETIME_MSEC + (b >> 2);
		s->srv = s->src + UA_DATETIME_MSEC;
	}
	s->table = tx.table;
	s->stamp = ++tx.counter;
	tx.has[slot] = true;
	if (sent[slot].n == sent[slot].cap) {
		sent[slot].cap = sent[slot].cap ? 2 * sent[slot].cap : 16;
		sent[slot].e = realloc(sent[slot].e, sent[slot].cap * sizeof(*s));
		if (!sent[slot].e)
			abort();
	}
	sent[slot].e[sent[slot].n++] = *s;
	send_value(slot, lost);
}

/* A node and those under it gone at the source: tombstones at once. */
static void remove_node(int slot, uint16_t lost)
{
	int i;

	if (!tx.live[slot])
		return;
	tx.live[slot] = false;
	tx.has[slot] = false;
	tx.gone_in_run[slot] = true;
	tx.node_stamp[slot] = ++tx.counter;
	send_node(slot, lost & 1);
	for (i = slot + 1; i < NSLOT; i++)
		if (slot_parent[i] == slot)
			remove_node(i, lost >> 1);
}

static void tx_start(uint8_t flags, uint16_t lost)
{
	int i;

	tx.runs++;
	tx.table = (uint32_t)(0x10000 + tx.runs * 7919);
	tx.order = flags & 1;
	tx.counter = 0;
	tx.pass = 0;
	tx.ns_stamp = ++tx.counter;
	memset(tx.gone_in_run, 0, sizeof(tx.gone_in_run));
	/* what the tx's last run left in flight may still come, unordered */
	unordered = false;
	send_ns(lost & 1);
	for (i = 0; i < NSLOT; i++)
		if (tx.live[i]) {
			tx.node_stamp[i] = ++tx.counter;
			send_node(i, lost >> (i + 1) & 1);
		}
	for (i = 2; i < NSLOT; i++) {
		tx.has[i] = false;
		if (tx.live[i])
			change(i, flags >> 1, flags & 2, lost >> (i + 8) & 1);
	}
}

/* ---- the rx, started and stopped as opcua_rx_proto's would ---- */

static void rx_up(void)
{
	fserver_reset();
	opcua_mirror_init(&rx.m, NULL);
	opcua_table_init(&rx.t);
	load();
	swept_seen = rx.swept;
}

static void rx_down(bool clean)
{
	if (clean)
		save(now_ms);
	opcua_table_free(&rx.t);
	opcua_mirror_free(&rx.m);
	free(rx.unswept);
	memset(&rx, 0, sizeof(rx));
}

static void tick(void)
{
	int timeout = 1000;

	opcua_rx_proto.tick(now_ms, &timeout);
}

/* A whole carousel pass, nothing lost, and what the mirror must hold. */
static void settle(void)
{
	int i;

	now_ms += 1;
	tick();
	send_summary(false);
	send_ns(false);
	for (i = 0; i < NSLOT; i++)
		if (tx.live[i] || tx.gone_in_run[i])
			send_node(i, false);
	for (i = 2; i < NSLOT; i++)
		if (tx.live[i] && tx.has[i])
			send_value(i, false);
	send_summary(false);
	for (i = 0; i < NSLOT; i++) {
		UA_NodeId id = UA_NODEID_NUMERIC(UA_Server_addNamespace(NULL, slot_uri[i & 1]),
						 100 + i);
		const struct fnode *n = fnode_of(&id);

		if (tx.live[i] && !n)
			fail("a node of the tx missing after a whole pass");
		if (tx.gone_in_run[i] && !tx.live[i] && n)
			fail("a node the tx removed still there after a whole pass");
		if (n && tx.live[i] && tx.has[i] && !dv_is(&n->dv, &tx.val[i], true))
			fail("a value other than the tx's last after a whole pass");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	snprintf(state_dir, sizeof(state_dir), "%s/fuzz_opcua_rx.XXXXXX",
		 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm");
	if (!mkdtemp(state_dir))
		abort();
	snprintf(chan_cf.name, sizeof(chan_cf.name), "fuzz");
	chan_cf.heartbeat_ms = 1000;
	/* the mirror's server has a namespace of its own: indexes differ */
	furis[0] = strdup(URI_OPCUA);
	furis[1] = strdup("urn:diode:fuzz:mirror");
	nfuris = 2;
	/* the rx's messages are its normal work here */
	stderr = fopen("/dev/null", "w");
	return 0;
}

/* A corrupt record that still decodes: a forger's, not the tx's. */
static void forge(const uint8_t *rec, size_t len)
{
	struct opcua_msg m;

	if (opcua_msg_decode(rec, len, &m))
		return;
	opcua_msg_clear(&m);
	forged = true;
	checking = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t op, a, b, c, raw[sizeof(hist[0])];
	char p[128];
	int i;

	chan_path(&chan_cf, p, sizeof(p), "opcua");
	unlink(p);
	memset(&tx, 0, sizeof(tx));
	for (i = 0; i < NSLOT; i++)
		sent[i].n = 0;
	forget_order();
	forged = unordered = false;
	nhist = 0;
	now_ms = 1000000;
	memset(&link_rx, 0, sizeof(link_rx));
	checking = true;
	for (i = 0; i < NSLOT; i++)
		tx.live[i] = true;
	rx_up();
	tx_start(0, 0);
	while (fuzz_take(&data, &size, &op) && fuzz_take(&data, &size, &a)) {
		/* the next byte, also the next operation's: ops stay short */
		b = size ? data[0] : 0;
		switch (op % 12) {
		case 0:
		case 1:
			if (tx.live[a % 6 + 2])
				change(a % 6 + 2, b, op & 0x10, op & 0x20);
			break;
		case 2:	/* the carousel's copy of a key */
			if (a % 3 == 0)
				send_ns(false);
			else if (a % 3 == 1 && (tx.live[a / 3 % NSLOT] || tx.gone_in_run[a / 3 % NSLOT]))
				send_node(a / 3 % NSLOT, false);
			else if (a % 3 == 2 && tx.has[a / 3 % 6 + 2])
				send_value(a / 3 % 6 + 2, false);
			break;
		case 3:	/* late, or again */
			if (nhist && a < nhist && (nhist <= HIST || a < HIST))
				deliver(hist[(nhist - 1 - a) % HIST], hist_len[(nhist - 1 - a) % HIST]);
			break;
		case 4:	/* corrupt */
			if (nhist && fuzz_take(&data, &size, &b)) {
				size_t h = (nhist - 1) % HIST, len = hist_len[h];

				memcpy(raw, hist[h], len);
				if (op & 0x10)
					len = a % len;
				else
					raw[a % len] ^= b ? b : 1;
				forge(raw, len);
				deliver(raw, len);
			}
			break;
		case 5:	/* any bytes */
			c = (uint8_t)(a < size ? a : size);
			memcpy(raw, data, c);
			data += c;
			size -= c;
			forge(raw, c);
			deliver(raw, c);
			break;
		case 6:
			if (op & 0x10)
				tx.pass++;	/* a browse moved the pass: a number skipped */
			send_summary(op & 0x20);
			break;
		case 7:
			remove_node(a % NSLOT, b);
			break;
		case 8:	/* a node back, its value subscribed again */
			i = a % NSLOT;
			if (!tx.live[i] && (slot_parent[i] < 0 || tx.live[slot_parent[i]])) {
				tx.live[i] = true;
				tx.gone_in_run[i] = false;
				tx.node_stamp[i] = ++tx.counter;
				send_node(i, op & 0x10);
				if (i >= 2)
					change(i, b, op & 0x20, op & 0x40);
			}
			break;
		case 9:
			tx_start(a, b | (uint16_t)op << 8);
			break;
		case 10:
			rx_down(a & 1);
			if (!(a & 1))
				forget_order();	/* what it had not saved is lost */
			rx_up();
			break;
		case 11:
			now_ms += (uint64_t)(a + 1) * 100;
			tick();
			break;
		}
	}
	if (!forged)
		settle();
	rx_down(false);
	return 0;
}
