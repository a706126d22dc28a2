// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA channel's tx (OT side, docs/opcua.md): a client of the
 * plant's server. Once connected it browses the address space from the
 * Objects folder and sends the link namespace table and every node, kept
 * as state; it subscribes to every variable and sends each DataValue the
 * subscription delivers as a numbered value record (an event, counted
 * when lost), keeping the last one of each as state. The carousel sends
 * the whole state again, spread over its period, within CarouselShare of
 * the channel's Rate (chan_share), so that an rx that lost some or
 * restarted converges; each pass begins with the model summary, and a
 * tombstone goes in three passes, then is forgotten (the rx's sweep
 * removes what it missed). Every Rebrowse, and on SIGUSR1, it browses
 * again and sends what changed: a node new or changed, a tombstone for
 * one gone. The client's connection, browses and subscription are
 * asynchronous requests run a turn of the loop at a time: the loop, and
 * the heartbeats with it, never wait on the source.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <open62541/client_config_default.h>
#include <open62541/client_subscriptions.h>
#include <open62541/plugin/log_stdout.h>

#include "chan.h"
#include "opcua.h"
#include "opcua_browse.h"
#include "opcua_msg.h"
#include "opcua_ns.h"
#include "opcua_sec.h"

#define RETRY_MS	2000	/* between connection attempts */
#define TURN_MS		20	/* the client's turn in the loop, at most this apart */
#define CONNECTING_MS	5	/* the same while a connection is under way */
#define ITEMS_AT_ONCE	500	/* monitored items a request creates */
#define GONE_PASSES	3	/* carousel passes a tombstone goes in */

struct state_rec {
	uint8_t *rec;
	uint32_t len;
	uint32_t passes;	/* a tombstone's passes so far */
};

enum tx_conn {
	TX_DOWN,		/* a connection tried at next_try */
	TX_CONNECTING,		/* until deadline */
	TX_CONNECTED,		/* a session */
	TX_CLOSING,		/* the session closed, the channel closing, until deadline */
};

static struct {
	UA_Client *c;
	enum tx_conn conn;
	uint64_t deadline;
	bool up;			/* connected, browsed, subscribed */
	struct opcua_browser *br;	/* a browse under way */
	bool br_again;			/* a browse after the connection's first */
	/* the subscription being made: its generation (callbacks of another
	 * are stale), the next node to monitor, and how it ended */
	uintptr_t sub_gen;
	size_t sub_next;
	bool subscribing, subscribed;
	UA_StatusCode sub_failed;
	UA_StatusCode said;		/* the last failure said (once each) */
	UA_StatusCode untrusted;	/* the server's certificate refused: why */
	char untrusted_subject[256];
	uint64_t next_try, next_browse;
	UA_UInt32 sub;			/* the subscription's id */
	struct opcua_ns ns;
	struct opcua_model model;
	/* [0] the namespace table, then each node, then each variable's
	 * last value (empty until the first) */
	struct state_rec *st;
	size_t nst;
	size_t *value_of;		/* node -> its value's state entry, or 0 */
	size_t cursor;
	uint64_t pass_start, last_pass_ms, stamp;
	uint64_t pass;			/* the last model summary's number */
	bool summary_due;		/* a pass begun, its summary not yet sent */
	struct chan_share share;	/* the carousel's share of Rate */
	uint8_t *buf;
	uint64_t connects, nodes, values, refused, carousel_sent, passes, rebrowses,
		 rebrowses_asked, nodes_changed, nodes_gone, tombstones_forgotten;
} tx;

/* SIGUSR1: a browse asked for, at the loop's next turn */
static volatile sig_atomic_t browse_asked;

static void on_usr1(int sig)
{
	(void)sig;
	browse_asked = 1;
}

/* open62541's check of the server's certificate (the TrustList), and what
 * it refused, to be said with the failure of the connection. */
static UA_StatusCode (*verify_trusted)(const UA_CertificateVerification *cv,
				       const UA_ByteString *cert);

static UA_StatusCode verify_server(const UA_CertificateVerification *cv, const UA_ByteString *cert)
{
	UA_StatusCode rc = verify_trusted(cv, cert);
	UA_String subject = UA_STRING_NULL;

	if (!rc)
		return rc;
	tx.untrusted = rc;
	tx.untrusted_subject[0] = 0;
	if (cv->getSubjectName && !cv->getSubjectName(&subject, (UA_ByteString *)cert)) {
		size_t n = subject.length < sizeof(tx.untrusted_subject) - 1 ?
			   subject.length : sizeof(tx.untrusted_subject) - 1, i;

		for (i = 0; i < n; i++)		/* printable only */
			tx.untrusted_subject[i] = subject.data[i] >= 0x20 && subject.data[i] < 0x7f ?
						  (char)subject.data[i] : '?';
		tx.untrusted_subject[n] = 0;
	}
	UA_String_clear(&subject);
	return rc;
}

/* A failure to connect, said once until another is, or a connection. */
static void say_down(UA_StatusCode rc)
{
	const struct conf_opcua *o = &chan_cf.opcua;
	UA_StatusCode why = tx.untrusted ? tx.untrusted : rc;
	/* BadCertificateInvalid to BadCertificateIssuerRevoked, one of ours
	 * the server's, or its own open62541 could not take */
	bool certificate = (rc & 0xffff0000) >= UA_STATUSCODE_BADCERTIFICATEINVALID &&
			   (rc & 0xffff0000) <= UA_STATUSCODE_BADCERTIFICATEISSUERREVOKED;

	if (why == tx.said)
		return;
	tx.said = why;
	fprintf(stderr, "diode-agent: %s: %s: ", chan_cf.name, o->endpoint);
	if (tx.untrusted)
		fprintf(stderr, "the server's certificate%s%s%s is not trusted (%s): it is not in "
			"TrustList", tx.untrusted_subject[0] ? " (" : "", tx.untrusted_subject,
			tx.untrusted_subject[0] ? ")" : "", UA_StatusCode_name(tx.untrusted));
	else if (rc == UA_STATUSCODE_BADUSERACCESSDENIED ||
		 rc == UA_STATUSCODE_BADIDENTITYTOKENINVALID ||
		 rc == UA_STATUSCODE_BADIDENTITYTOKENREJECTED)
		fprintf(stderr, o->username[0] ? "the server refused the identity of Username %s (%s): "
			"the user, or the password of PasswordFile, is not the server's" :
			"the server refused an anonymous session%s (%s): it may need Username and "
			"PasswordFile", o->username, UA_StatusCode_name(rc));
	else if (o->security_mode != UA_MESSAGESECURITYMODE_NONE &&
		 (rc == UA_STATUSCODE_BADSECURITYCHECKSFAILED ||
		  rc == UA_STATUSCODE_BADSECURITYPOLICYREJECTED ||
		  rc == UA_STATUSCODE_BADSECURITYMODEREJECTED || certificate))
		fprintf(stderr, "%s: does the server offer SecurityMode %s with SecurityPolicy %s, "
			"and trust Certificate?", UA_StatusCode_name(rc),
			o->security_mode == UA_MESSAGESECURITYMODE_SIGN ? "Sign" : "SignAndEncrypt",
			opcua_sec_policy_name(o->policies));
	else
		fprintf(stderr, "%s", UA_StatusCode_name(rc));
	fprintf(stderr, "; trying again every %d s\n", RETRY_MS / 1000);
}

static uint32_t tx_max_record(void)
{
	return OPCUA_MSG_MAX;
}

/* m encoded into tx.buf with the next stamp: its length, or 0 when it
 * cannot go (counted). One counter for every key, never reset while the
 * tx runs: a key's stamp rises with each change, and the rx orders a
 * key's records by it (its copies queued before a change are older). */
static uint32_t encode(struct opcua_msg *m)
{
	long n;

	m->stamp = ++tx.stamp;
	m->table = tx.ns.id;
	n = opcua_msg_encode(tx.buf, OPCUA_MSG_MAX, m);
	if (n == -OPCUA_MSG_E_TOO_LARGE || n > OPCUA_MSG_MAX) {
		chan_tx_too_large();
		return 0;
	}
	if (n < 0) {
		tx.refused++;
		return 0;
	}
	return (uint32_t)n;
}

/* tx.buf's record as state entry i, replacing what it held. */
static void keep(size_t i, uint32_t len)
{
	uint8_t *r = realloc(tx.st[i].rec, len);

	if (!r)
		chan_die("malloc");
	memcpy(r, tx.buf, len);
	tx.st[i].rec = r;
	tx.st[i].len = len;
}

static void on_value(UA_Client *c, UA_UInt32 sub, void *subctx, UA_UInt32 mon, void *monctx,
		     UA_DataValue *dv)
{
	size_t k = (size_t)(uintptr_t)monctx;
	struct opcua_msg m;
	uint32_t len;

	(void)c, (void)subctx, (void)mon;
	/* the subscription of a model browsed again, deleted */
	if (sub != tx.sub)
		return;
	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_VALUE;
	m.node = tx.model.nodes[k].node;
	if (UA_DataValue_copy(dv, &m.value)) {
		tx.refused++;
		return;
	}
	/* the source's indexes in NodeId values, the link's across */
	if (opcua_ns_variant(&m.value.value, tx.model.map, tx.model.nmap)) {
		tx.refused++;
		len = 0;
	} else {
		len = encode(&m);
	}
	UA_DataValue_clear(&m.value);
	if (!len)
		return;
	tx.values++;
	chan_tx_enqueue(tx.buf, len, tx.buf, 0);
	keep(tx.value_of[k], len);
}

static void drop_state(void)
{
	size_t i;

	for (i = 0; i < tx.nst; i++)
		free(tx.st[i].rec);
	free(tx.st);
	free(tx.value_of);
	tx.st = NULL;
	tx.value_of = NULL;
	tx.nst = tx.cursor = 0;
	opcua_model_free(&tx.model);
}

/* The index of link NodeId id among old's nodes, or old->n. */
static size_t find_node(const struct opcua_model *old, const UA_NodeId *id)
{
	size_t j;

	for (j = 0; j < old->n && !UA_NodeId_equal(&old->nodes[j].node, id); j++)
		;
	return j;
}

/* A tombstone of the state before a browse that still has passes to go:
 * its node is not back in tx.model. Without a carousel no pass counts
 * them down: one is kept until the next browse. */
static bool tombstone_kept(const struct state_rec *r)
{
	struct opcua_msg m;
	bool kept;

	if (!chan_cf.opcua.carousel_ms || !r->len || r->rec[1] != OPCUA_MSG_GONE ||
	    opcua_msg_decode(r->rec, r->len, &m))
		return false;
	kept = find_node(&tx.model, &m.node) == tx.model.n;
	opcua_msg_clear(&m);
	return kept;
}

/*
 * The state of tx.model, from the state of the model before it (old, its
 * onst records ost, empty at a connection): the namespace table and each
 * node kept, with its stamp, where its record is the same; a node new or
 * changed, and a tombstone for each node gone, sent at once as numbered
 * records, ahead of the values that follow, which the rx could not apply
 * before their nodes (the transport sends state after what is numbered).
 * The last value of each variable that stays is kept, and each tombstone
 * that has passes to go, but for a node back. True in *moved when a node
 * kept its record at another place: the carousel's pass under way may
 * miss it.
 */
static int build_state(const struct opcua_model *old, struct state_rec *ost, size_t onst,
		       const size_t *ovalue_of, bool *moved)
{
	struct opcua_msg m;
	size_t i, j, vars = 0, gone = 0, v, g;
	uint32_t len;

	*moved = old->n && old->n != tx.model.n;
	for (i = 0; i < tx.model.n; i++)
		vars += tx.model.nodes[i].item.nodeClass == UA_NODECLASS_VARIABLE;
	for (j = 0; j < old->n; j++)
		gone += find_node(&tx.model, &old->nodes[j].node) == tx.model.n;
	for (j = 0; j < onst; j++)
		gone += tombstone_kept(&ost[j]);
	tx.nst = 1 + tx.model.n + vars + gone;
	tx.st = calloc(tx.nst, sizeof(*tx.st));
	tx.value_of = calloc(tx.model.n ? tx.model.n : 1, sizeof(*tx.value_of));
	if (!tx.st || !tx.value_of)
		chan_die("malloc");
	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_NAMESPACES;
	m.uris = tx.ns.uris;
	m.nuris = tx.ns.n;
	if (!(len = encode(&m)))
		return -1;
	keep(0, len);
	if (ost && ost[0].len == len && !memcmp(ost[0].rec + 12, tx.buf + 12, len - 12))
		memcpy(tx.st[0].rec + 4, ost[0].rec + 4, 8);
	else
		chan_tx_enqueue(tx.st[0].rec, tx.st[0].len, tx.st[0].rec, 0);
	for (i = 0, v = 1 + tx.model.n; i < tx.model.n; i++) {
		struct opcua_msg *n = &tx.model.nodes[i];

		j = find_node(old, &n->node);
		*moved |= j < old->n && j != i;
		if (n->item.nodeClass == UA_NODECLASS_VARIABLE) {
			tx.value_of[i] = v++;
			if (j < old->n && ovalue_of[j] && ost[ovalue_of[j]].len) {
				tx.st[tx.value_of[i]] = ost[ovalue_of[j]];
				ost[ovalue_of[j]] = (struct state_rec){ 0 };
			}
		}
		if (!(len = encode(n)))
			continue;
		/* the same content keeps its stamp, and goes with the carousel */
		if (j < old->n && ost[1 + j].len == len &&
		    !memcmp(ost[1 + j].rec + 12, tx.buf + 12, len - 12)) {
			keep(1 + i, len);
			memcpy(tx.st[1 + i].rec + 4, ost[1 + j].rec + 4, 8);
			continue;
		}
		keep(1 + i, len);
		tx.nodes_changed += j < old->n;
		chan_tx_enqueue(tx.st[1 + i].rec, len, tx.st[1 + i].rec, 0);
	}
	for (j = 0, g = 1 + tx.model.n + vars; j < onst; j++) {
		if (!tombstone_kept(&ost[j]))
			continue;
		tx.st[g++] = ost[j];
		ost[j] = (struct state_rec){ 0 };
	}
	for (j = 0; j < old->n; j++) {
		if (find_node(&tx.model, &old->nodes[j].node) < tx.model.n)
			continue;
		opcua_msg_init(&m);
		m.kind = OPCUA_MSG_GONE;
		m.node = old->nodes[j].node;
		if (!(len = encode(&m)))
			continue;
		keep(g, len);
		tx.nodes_gone++;
		chan_tx_enqueue(tx.st[g].rec, len, tx.st[g].rec, 0);
		g++;
	}
	tx.nodes = tx.model.n;
	return 0;
}

/*
 * The subscription to every variable of tx.model, made a request at a
 * time (the subscription, then its items ITEMS_AT_ONCE a request), each
 * sent as the one before is answered. A callback of a subscription the
 * tx has given up on (another generation) changes nothing.
 */
static void items_next(void);

static bool current(void *ud)
{
	return (uintptr_t)ud == tx.sub_gen;
}

static void subscribe_failed(UA_StatusCode rc)
{
	tx.subscribing = false;
	tx.sub_failed = rc ? rc : UA_STATUSCODE_BADUNEXPECTEDERROR;
}

static void on_items(UA_Client *c, void *ud, UA_UInt32 id, void *r)
{
	UA_CreateMonitoredItemsResponse *rs = r;

	(void)c, (void)id;
	if (!current(ud))
		return;
	if (rs->responseHeader.serviceResult)
		subscribe_failed(rs->responseHeader.serviceResult);
	else
		items_next();
}

static void items_next(void)
{
	UA_MonitoredItemCreateRequest items[ITEMS_AT_ONCE];
	UA_Client_DataChangeNotificationCallback cbs[ITEMS_AT_ONCE];
	void *ctx[ITEMS_AT_ONCE];
	UA_CreateMonitoredItemsRequest rq;
	UA_StatusCode rc;
	size_t n;

	for (n = 0; tx.sub_next < tx.model.n && n < ITEMS_AT_ONCE; tx.sub_next++) {
		size_t i = tx.sub_next;

		if (tx.model.nodes[i].item.nodeClass != UA_NODECLASS_VARIABLE)
			continue;
		items[n] = UA_MonitoredItemCreateRequest_default(tx.model.source[i]);
		items[n].requestedParameters.samplingInterval = chan_cf.opcua.sampling_ms;
		/* every change of a publishing interval, not the last alone */
		items[n].requestedParameters.queueSize =
			chan_cf.opcua.publishing_ms / chan_cf.opcua.sampling_ms + 1;
		cbs[n] = on_value;
		ctx[n++] = (void *)(uintptr_t)i;
	}
	if (!n) {
		tx.subscribing = false;
		tx.subscribed = true;
		return;
	}
	UA_CreateMonitoredItemsRequest_init(&rq);
	rq.subscriptionId = tx.sub;
	rq.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
	rq.itemsToCreate = items;
	rq.itemsToCreateSize = n;
	/* open62541 copies the request, the contexts and the callbacks */
	rc = UA_Client_MonitoredItems_createDataChanges_async(tx.c, rq, ctx, cbs, NULL, on_items,
							      (void *)(uintptr_t)tx.sub_gen, NULL);
	if (rc)
		subscribe_failed(rc);
}

static void on_deleted(UA_Client *c, void *ud, UA_UInt32 id, void *r)
{
	(void)c, (void)ud, (void)id, (void)r;
}

/* A subscription of a model the tx no longer has, at the server. */
static void unsubscribe(UA_UInt32 sub)
{
	UA_DeleteSubscriptionsRequest rq;

	UA_DeleteSubscriptionsRequest_init(&rq);
	rq.subscriptionIds = &sub;
	rq.subscriptionIdsSize = 1;
	/* not sent: the session's end deletes it */
	UA_Client_Subscriptions_delete_async(tx.c, rq, on_deleted, NULL, NULL);
}

static void on_subscription(UA_Client *c, void *ud, UA_UInt32 id, void *r)
{
	UA_CreateSubscriptionResponse *rs = r;

	(void)c, (void)id;
	if (!current(ud)) {
		if (!rs->responseHeader.serviceResult)
			unsubscribe(rs->subscriptionId);
		return;
	}
	if (rs->responseHeader.serviceResult) {
		subscribe_failed(rs->responseHeader.serviceResult);
		return;
	}
	tx.sub = rs->subscriptionId;
	items_next();
}

static void subscribe(void)
{
	UA_CreateSubscriptionRequest srq = UA_CreateSubscriptionRequest_default();
	UA_StatusCode rc;

	srq.requestedPublishingInterval = chan_cf.opcua.publishing_ms;
	tx.sub = 0;
	tx.sub_next = 0;
	tx.sub_failed = 0;
	tx.subscribing = true;
	tx.subscribed = false;
	rc = UA_Client_Subscriptions_create_async(tx.c, srq, NULL, NULL, NULL, on_subscription,
						  (void *)(uintptr_t)++tx.sub_gen, NULL);
	if (rc)
		subscribe_failed(rc);
}

/* The connection's security as open62541 made it: mode, policy, identity. */
static const char *security(void)
{
	static const char *const modes[] = { "?", "None", "Sign", "SignAndEncrypt" };
	static char buf[512];
	UA_Variant mode, policy;
	const UA_String *uri = NULL;
	UA_MessageSecurityMode m = 0;

	if (!UA_Client_getConnectionAttribute(tx.c, UA_QUALIFIEDNAME(0, "securityMode"), &mode) &&
	    UA_Variant_hasScalarType(&mode, &UA_TYPES[UA_TYPES_MESSAGESECURITYMODE]))
		m = *(UA_MessageSecurityMode *)mode.data;
	if (!UA_Client_getConnectionAttribute(tx.c, UA_QUALIFIEDNAME(0, "securityPolicyUri"),
					      &policy) &&
	    UA_Variant_hasScalarType(&policy, &UA_TYPES[UA_TYPES_STRING]))
		uri = policy.data;
	snprintf(buf, sizeof(buf), "security %s, policy %.*s, %s%s", modes[m < 4 ? m : 0],
		 uri && uri->length < 200 ? (int)uri->length : 1, uri && uri->length < 200 ?
		 (const char *)uri->data : "?", chan_cf.opcua.username[0] ? "user " : "anonymous",
		 chan_cf.opcua.username);
	return buf;
}

/*
 * Down: the state dropped, and whatever the client had under way given up
 * (its callbacks, called as it closes, find another generation); a
 * connection tried again in RETRY_MS, once the channel is closed. The
 * session is closed asynchronously too: a server that stopped answering
 * would hold a CloseSession for the client's whole timeout.
 */
static void down(uint64_t now)
{
	UA_Client_disconnectAsync(tx.c);
	tx.conn = TX_CLOSING;
	tx.deadline = now + 2 * (uint64_t)UA_Client_getConfig(tx.c)->timeout;
	tx.sub_gen++;
	opcua_browse_free(tx.br);
	tx.br = NULL;
	tx.subscribing = tx.subscribed = false;
	tx.sub = 0;
	tx.up = false;
	tx.next_try = now + RETRY_MS;
	drop_state();
}

/* The channel closed after down(): a connection can be tried. Past its
 * deadline, the client is closed at once. */
static void closing(uint64_t now)
{
	UA_SecureChannelState cs;

	UA_Client_getState(tx.c, &cs, NULL, NULL);
	if (cs != UA_SECURECHANNELSTATE_CLOSED && now < tx.deadline)
		return;
	if (cs != UA_SECURECHANNELSTATE_CLOSED)
		UA_Client_disconnect(tx.c);
	tx.conn = TX_DOWN;
}

static void browse_start(bool again)
{
	const UA_NodeId objects = UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER);
	UA_StatusCode rc;

	tx.br = opcua_browse_start(tx.c, &tx.ns, &objects, &rc);
	tx.br_again = again;
	if (!tx.br && !again) {
		say_down(rc);
		down(chan_now_ms());
	}
}

/* The connection under way: a session, or why not within the client's
 * timeout (open62541 gives an asynchronous connection none). */
static void connecting(uint64_t now)
{
	UA_SessionState ss;
	UA_StatusCode rc;

	UA_Client_getState(tx.c, NULL, &ss, &rc);
	if (ss == UA_SESSIONSTATE_ACTIVATED) {
		tx.conn = TX_CONNECTED;
		browse_start(false);
		return;
	}
	if (!rc && now < tx.deadline)
		return;
	say_down(rc ? rc : UA_STATUSCODE_BADTIMEOUT);
	down(now);
}

static void connect_source(uint64_t now)
{
	UA_StatusCode rc;

	tx.next_try = now + RETRY_MS;
	tx.untrusted = 0;
	tx.deadline = now + UA_Client_getConfig(tx.c)->timeout;
	rc = UA_Client_connectAsync(tx.c, chan_cf.opcua.endpoint);
	tx.conn = TX_CONNECTING;
	if (rc) {
		say_down(rc);
		down(now);
	}
}

/* The first browse of a connection done: the state sent, and the
 * subscription begun. */
static void browsed(uint64_t now, struct opcua_model *nm)
{
	bool moved;

	tx.model = *nm;
	if (build_state(&(struct opcua_model){ 0 }, NULL, 0, NULL, &moved)) {
		say_down(UA_STATUSCODE_BADENCODINGERROR);
		down(now);
		return;
	}
	tx.pass_start = now;
	tx.summary_due = true;
	tx.next_browse = now + chan_cf.opcua.rebrowse_ms;
	subscribe();
}

/* The subscription of a connection's first model made: mirrored. */
static void connected(void)
{
	tx.up = true;
	tx.said = 0;
	tx.connects++;
	fprintf(stderr, "diode-agent: %s: %s: %zu nodes, %zu namespaces (%s)\n", chan_cf.name,
		chan_cf.opcua.endpoint, tx.model.n, tx.ns.n, security());
}

/*
 * A browse again done: the new state built from the old, and the
 * subscription made again for the new model (its first notifications
 * send every value again); the old one deleted, its notifications
 * ignored meanwhile (on_value).
 */
static void rebrowsed(uint64_t now, struct opcua_model *nm)
{
	struct opcua_model old = tx.model;
	struct state_rec *ost = tx.st;
	size_t *ovalue_of = tx.value_of, onst = tx.nst, i;
	bool moved = false;

	unsubscribe(tx.sub);
	tx.sub = 0;
	tx.model = *nm;
	if (build_state(&old, ost, onst, ovalue_of, &moved)) {
		fprintf(stderr, "diode-agent: %s: %s: the model browsed again could not be "
			"encoded; connecting again\n", chan_cf.name, chan_cf.opcua.endpoint);
		down(now);
	} else {
		subscribe();
	}
	for (i = 0; i < onst; i++)
		free(ost[i].rec);
	free(ost);
	free(ovalue_of);
	opcua_model_free(&old);
	tx.cursor = tx.cursor < tx.nst ? tx.cursor : tx.nst;
	/* the pass under way may have missed a node that moved: its next
	 * summary skips a number, so that the rx does not count it whole */
	tx.pass += moved;
}

/* A browse asked for, or due: while the last one's subscription is still
 * being made, it waits. */
static void rebrowse(uint64_t now)
{
	tx.next_browse = now + chan_cf.opcua.rebrowse_ms;
	tx.rebrowses++;
	browse_start(true);
}

/* What the client did this turn: the browse, the subscription, the
 * session. */
static void client_turn(uint64_t now)
{
	struct opcua_model nm;
	UA_SessionState ss;
	UA_StatusCode rc;

	UA_Client_run_iterate(tx.c, 0);
	if (tx.conn == TX_CLOSING) {
		closing(now);
		return;
	}
	if (tx.conn == TX_CONNECTING) {
		connecting(now);
		return;
	}
	UA_Client_getState(tx.c, NULL, &ss, NULL);
	if (ss != UA_SESSIONSTATE_ACTIVATED) {
		fprintf(stderr, "diode-agent: %s: %s went away\n", chan_cf.name,
			chan_cf.opcua.endpoint);
		down(now);
		return;
	}
	if (tx.br && (rc = opcua_browse_poll(tx.br, &nm)) != UA_STATUSCODE_GOODCALLAGAIN) {
		bool again = tx.br_again;

		opcua_browse_free(tx.br);
		tx.br = NULL;
		if (!rc) {
			if (again)
				rebrowsed(now, &nm);
			else
				browsed(now, &nm);
		} else if (!again) {
			say_down(rc);
			down(now);
		}
		/* a browse again that failed keeps the model it had */
		return;
	}
	if (tx.sub_failed) {
		if (tx.up)
			fprintf(stderr, "diode-agent: %s: %s: the model browsed again could not be "
				"subscribed to (%s); connecting again\n", chan_cf.name,
				chan_cf.opcua.endpoint, UA_StatusCode_name(tx.sub_failed));
		else
			say_down(tx.sub_failed);
		down(now);
		return;
	}
	if (tx.subscribed) {
		tx.subscribed = false;
		if (!tx.up)
			connected();
	}
}

static UA_StatusCode no_key_password(UA_ClientConfig *cc, UA_ByteString *password)
{
	(void)cc, (void)password;
	return UA_STATUSCODE_BADSECURITYCHECKSFAILED;
}

/* [OPCUA]'s security into cc (made with its defaults): the certificate,
 * key and trust list, the mode and policy, the identity. Exits on what
 * open62541 refuses. */
static void tx_security(UA_ClientConfig *cc)
{
	struct conf_opcua *o = &chan_cf.opcua;
	UA_String uri = opcua_sec_policy_uri(o->policies);
	struct opcua_sec s;
	UA_StatusCode rc;
	char err[512];
	size_t i;

	if (o->security_mode == UA_MESSAGESECURITYMODE_NONE) {
		if (UA_ClientConfig_setDefault(cc))
			chan_die("open62541 client");
	} else {
		if (opcua_sec_load(o, &s, err, sizeof(err))) {
			fprintf(stderr, "diode-agent: %s: %s\n", chan_cf.name, err);
			exit(1);
		}
		/* an encrypted key is refused (opcua_sec), never asked for */
		cc->privateKeyPasswordCallback = no_key_password;
		rc = UA_ClientConfig_setDefaultEncryption(cc, s.cert, s.key, s.trust, s.ntrust,
							  NULL, 0);
		for (i = 0; !rc && i < cc->securityPoliciesSize; i++)
			if (UA_String_equal(&cc->securityPolicies[i].policyUri, &uri))
				break;
		if (rc || i == cc->securityPoliciesSize) {
			fprintf(stderr, "diode-agent: %s: open62541 refused Certificate %s or "
				"PrivateKey %s for SecurityPolicy %s (%s)\n", chan_cf.name, o->cert,
				o->key, opcua_sec_policy_name(o->policies),
				UA_StatusCode_name(rc ? rc : UA_STATUSCODE_BADSECURITYPOLICYREJECTED));
			exit(1);
		}
		/* the servers compare it with the certificate's */
		UA_String_clear(&cc->clientDescription.applicationUri);
		cc->clientDescription.applicationUri = s.uri;
		s.uri = UA_STRING_NULL;
		opcua_sec_free(&s);
		verify_trusted = cc->certificateVerification.verifyCertificate;
		if (!verify_trusted)
			chan_die("open62541 certificate verification");
		cc->certificateVerification.verifyCertificate = verify_server;
	}
	cc->securityMode = (UA_MessageSecurityMode)o->security_mode;
	UA_String_clear(&cc->securityPolicyUri);
	if (UA_String_copy(&uri, &cc->securityPolicyUri))
		chan_die("malloc");
	if (o->username[0] &&
	    UA_ClientConfig_setAuthenticationUsername(cc, o->username, o->password))
		chan_die("malloc");
	/* the client holds its copy */
	conf_wipe(&chan_cf);
}

static void tx_start(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	UA_ClientConfig cc;
	uint32_t id = 0;

	/* a new table id each start: the rx maps the URIs again */
	while (!id)
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			chan_die("getrandom");
	if (opcua_ns_init(&tx.ns, id))
		chan_die("malloc");
	tx.buf = malloc(OPCUA_MSG_MAX);
	memset(&cc, 0, sizeof(cc));
	cc.logging = UA_Log_Stdout_new(UA_LOGLEVEL_FATAL);
	if (!tx.buf || !cc.logging)
		chan_die("open62541 client");
	tx_security(&cc);
	if (!(tx.c = UA_Client_newWithConfig(&cc)))
		chan_die("open62541 client");
	chan_share_init(&tx.share, chan_cf.opcua.carousel_share);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		chan_die("sigaction");
}

/*
 * Spread one pass over the period: the entries due by now, while the
 * state queue has more than half its room (changes first) and the share
 * of Rate has credit. A pass the share cannot carry within the period
 * takes longer, and the next starts when it ends.
 */
/*
 * The model summary that begins a pass, ahead of the pass's records in
 * the state queue: false while it cannot go yet (no room, no credit). A
 * summary the queue drops leaves a gap in the numbers the rx hears, and
 * the rx does not count the pass whole.
 */
static bool summary(uint64_t now)
{
	struct opcua_msg m;
	uint32_t len;

	if (chan_tx_state_room() <= chan_cf.queue / 2)
		return false;
	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_MODEL;
	m.pass = tx.pass + 1;
	m.nodes = (uint32_t)tx.model.n;
	m.period_ms = chan_cf.opcua.carousel_ms;
	if (!(len = encode(&m)))
		return true;
	if (!chan_share_take(&tx.share, len, now))
		return false;
	tx.pass++;
	chan_tx_enqueue_state(tx.buf, len);
	return true;
}

/* An entry of the state sent by the carousel: a tombstone that has gone
 * in its passes is forgotten (an rx that missed them has the sweep). */
static void sent(struct state_rec *r)
{
	tx.carousel_sent++;
	if (r->rec[1] != OPCUA_MSG_GONE || ++r->passes < GONE_PASSES)
		return;
	free(r->rec);
	r->rec = NULL;
	r->len = 0;
	tx.tombstones_forgotten++;
}

static void carousel(uint64_t now)
{
	size_t due;

	if (!chan_cf.opcua.carousel_ms || !tx.nst)
		return;
	if (tx.cursor == tx.nst) {
		if (now - tx.pass_start < chan_cf.opcua.carousel_ms)
			return;
		tx.cursor = 0;
		tx.pass_start = now;
		tx.passes++;
		tx.summary_due = true;
	}
	if (tx.summary_due) {
		if (!summary(now))
			return;
		tx.summary_due = false;
	}
	due = now - tx.pass_start >= chan_cf.opcua.carousel_ms ? tx.nst :
	      tx.nst * (now - tx.pass_start) / chan_cf.opcua.carousel_ms + 1;
	for (; tx.cursor < due && chan_tx_state_room() > chan_cf.queue / 2; tx.cursor++) {
		if (!tx.st[tx.cursor].len)
			continue;
		if (!chan_share_take(&tx.share, tx.st[tx.cursor].len, now))
			break;
		if (!chan_tx_enqueue_state(tx.st[tx.cursor].rec, tx.st[tx.cursor].len))
			sent(&tx.st[tx.cursor]);
	}
	if (tx.cursor == tx.nst)
		tx.last_pass_ms = now - tx.pass_start;
}

static void tx_tick(uint64_t now, int *timeout)
{
	bool idle;

	if (tx.conn == TX_DOWN && now >= tx.next_try)
		connect_source(now);
	idle = tx.up && !tx.br && !tx.subscribing;
	if (browse_asked && (idle || !tx.up)) {
		/* not mirrored yet, the browse under way is after it */
		browse_asked = 0;
		if (tx.up) {
			tx.rebrowses_asked++;
			fprintf(stderr, "diode-agent: %s: %s: browsing again, as asked (SIGUSR1)\n",
				chan_cf.name, chan_cf.opcua.endpoint);
			rebrowse(now);
		}
	}
	if (idle && chan_cf.opcua.rebrowse_ms && now >= tx.next_browse)
		rebrowse(now);
	if (tx.conn != TX_DOWN)
		client_turn(now);
	carousel(now);
	/* the client's answers are read at each turn: soon while a
	 * connection, a browse or a subscription waits on them */
	if (*timeout > TURN_MS)
		*timeout = TURN_MS;
	if ((tx.conn == TX_CONNECTING || tx.conn == TX_CLOSING) && *timeout > CONNECTING_MS)
		*timeout = CONNECTING_MS;
	if ((tx.br || tx.subscribing) && *timeout > 1)
		*timeout = 1;
}

static void tx_status(FILE *f)
{
	uint64_t state_bytes = 0;
	size_t i, tombstones = 0;

	for (i = 0; i < tx.nst; i++) {
		state_bytes += tx.st[i].len;
		tombstones += tx.st[i].len && tx.st[i].rec[1] == OPCUA_MSG_GONE;
	}
	fprintf(f, ",\"source\":\"%s\",\"connects\":%" PRIu64 ",\"nodes\":%" PRIu64
		",\"namespaces\":%zu,\"values\":%" PRIu64 ",\"refused\":%" PRIu64
		",\"carousel_passes\":%" PRIu64 ",\"carousel_sent\":%" PRIu64
		",\"carousel_bytes\":%" PRIu64 ",\"carousel_last_pass_ms\":%" PRIu64
		",\"carousel_share_bytes_s\":%" PRIu64 ",\"state_bytes\":%" PRIu64
		",\"rebrowses\":%" PRIu64 ",\"rebrowses_asked\":%" PRIu64
		",\"nodes_changed\":%" PRIu64 ",\"nodes_gone\":%" PRIu64
		",\"model_pass\":%" PRIu64 ",\"tombstones\":%zu,\"tombstones_forgotten\":%" PRIu64,
		tx.up ? "connected" : "down", tx.connects, tx.nodes, tx.ns.n, tx.values,
		tx.refused, tx.passes, tx.carousel_sent, tx.share.charged, tx.last_pass_ms,
		tx.share.bytes_s, state_bytes, tx.rebrowses, tx.rebrowses_asked,
		tx.nodes_changed, tx.nodes_gone, tx.pass, tombstones, tx.tombstones_forgotten);
}

static void tx_stop(void)
{
	UA_Client_disconnect(tx.c);
	opcua_browse_free(tx.br);
	UA_Client_delete(tx.c);
	drop_state();
	opcua_ns_free(&tx.ns);
	free(tx.buf);
}

const struct chan_proto opcua_tx_proto = {
	.name = "opcua",
	.max_record = tx_max_record,
	.tx_status = tx_status,
	.tx_start = tx_start,
	.tick = tx_tick,
	.stop = tx_stop,
};
