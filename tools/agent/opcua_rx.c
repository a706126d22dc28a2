// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA channel's rx (IT side, docs/opcua.md): the mirror, an
 * open62541 server on Port, built from the records as they come
 * (opcua_mirror.c). The last record of each key is kept (opcua_table.c):
 * a copy of what the mirror has is not applied again, one older than it
 * (by the tx's stamp) is ignored, and the table,
 * saved in StateDir/NAME.opcua, gives a restarted rx its model and last
 * values at once, Uncertain until they come again. The server runs on a
 * thread of its own: in the
 * channel's loop it would answer a client's request only at the loop's
 * next turn, and a client asks one thing after the other. The records
 * reach it through open62541's thread-safe calls (UA_MULTITHREADING). A record that cannot be applied yet (a
 * node before the namespace table, a value before its node) is dropped:
 * the carousel brings it again. Each model summary begins a pass; what
 * three passes heard whole did not bring is swept from the table and
 * the mirror.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <open62541/plugin/accesscontrol_default.h>
#include <open62541/plugin/log_stdout.h>
#include <open62541/plugin/pki_default.h>
#include <open62541/server_config_default.h>

#include "chan.h"
#include "transport.h"
#include "opcua_mirror.h"
#include "opcua.h"
#include "opcua_msg.h"
#include "opcua_sec.h"
#include "opcua_table.h"

static struct {
	UA_Server *srv;
	pthread_t thread;
	volatile UA_Boolean running;
	struct opcua_mirror m;
	struct opcua_table t;
	bool silent;
	uint64_t saved_ms;
	uint64_t records, malformed, copies, older, values, values_waiting, silences, stale, gone;
	/* the last model summary; passes heard whole; what the sweep removed */
	uint64_t model_pass, model_nodes, passes_whole, swept, swept_nodes;
	/* the node records the sweep under way removed from the table */
	struct opcua_swept {
		uint8_t *rec;
		uint32_t len;
	} *unswept;
	size_t nunswept;
} rx;

static uint32_t rx_max_record(void)
{
	return OPCUA_MSG_MAX;
}

#define SAVE_EVERY_MS	5000

/* A record the table took: into the mirror, and marked applied when the
 * mirror has it (a node waiting, or unmapped, comes again). */
static void apply(const uint8_t *rec, uint32_t len)
{
	struct opcua_msg m;
	int rc = -1;

	if (opcua_msg_decode(rec, len, &m))
		return;
	switch (m.kind) {
	case OPCUA_MSG_NAMESPACES:
		if (opcua_mirror_namespaces(&rx.m, &m))
			chan_die("malloc");
		rc = 0;
		break;
	case OPCUA_MSG_NODE:
		rc = opcua_mirror_node(&rx.m, &m);
		break;
	case OPCUA_MSG_VALUE:
		rc = opcua_mirror_value(&rx.m, &m);
		rx.values += rc == 0;
		rx.values_waiting += rc == 1;
		break;
	case OPCUA_MSG_GONE:
		rc = opcua_mirror_gone(&rx.m, &m);
		rx.gone += rc == 0;
		/* a node that comes back reads BadWaitingForInitialData: its
		 * value, the same, is not a copy of what the mirror has */
		if (rc == 0)
			opcua_table_value_unapplied(&rx.t, rec);
		break;
	case OPCUA_MSG_MODEL:
		/* counted as a pass where it is heard (rx_deliver), not here:
		 * one loaded from the file begins none */
		rc = 0;
		break;
	default:
		break;
	}
	opcua_msg_clear(&m);
	if (rc == 0)
		opcua_table_applied(&rx.t, rec);
}

/* The saved table, applied: namespaces, nodes, values, in that order;
 * then Uncertain until the link brings them again. */
static void load(void)
{
	char p[512], err[256];
	uint8_t *buf = NULL;
	long len = -1;
	size_t i;
	FILE *f;
	int kind;

	chan_path(&chan_cf, p, sizeof(p), "opcua");
	f = fopen(p, "r");
	if (!f) {
		if (errno != ENOENT)
			fprintf(stderr, "diode-agent: %s: %s: %s\n", chan_cf.name, p, strerror(errno));
		return;
	}
	if (!fseek(f, 0, SEEK_END) && (len = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (buf = malloc(len)) && fread(buf, 1, len, f) != (size_t)len)
		len = -1;
	fclose(f);
	if (len <= 0 || !buf || opcua_table_load(&rx.t, buf, len, err, sizeof(err))) {
		fprintf(stderr, "diode-agent: %s: %s: %s; starting empty\n", chan_cf.name, p,
			len <= 0 || !buf ? "cannot read it" : err);
		free(buf);
		return;
	}
	free(buf);
	for (kind = OPCUA_MSG_NAMESPACES; kind <= OPCUA_MSG_VALUE; kind++)
		for (i = 0; i < rx.t.n; i++)
			if (rx.t.e[i].rec[1] == kind)
				apply(rx.t.e[i].rec, rx.t.e[i].len);
	rx.stale += opcua_mirror_stale(&rx.m);
	opcua_table_next_gen(&rx.t);
	fprintf(stderr, "diode-agent: %s: %zu records from %s, Uncertain until refreshed\n",
		chan_cf.name, rx.t.n, p);
}

static void save(uint64_t now)
{
	uint8_t *b;
	size_t len;

	if (opcua_table_save(&rx.t, &b, &len))
		chan_die("malloc");
	if (chan_write_atomic("opcua", (const char *)b, len, true))
		fprintf(stderr, "diode-agent: %s: cannot save the mirror's table\n", chan_cf.name);
	free(b);
	rx.t.dirty = false;
	rx.saved_ms = now;
}

static void *serve(void *arg)
{
	(void)arg;
	while (rx.running)
		UA_Server_run_iterate(rx.srv, true);
	return NULL;
}

/* The IT clients' certificates that open62541 accepts, in cv. */
static UA_StatusCode trust(UA_CertificateVerification *cv, const struct opcua_sec *s)
{
	const UA_Logger *logging = cv->logging;
	UA_StatusCode rc;

	if (cv->clear)
		cv->clear(cv);
	rc = UA_CertificateVerification_Trustlist(cv, s->trust, s->ntrust, NULL, 0, NULL, 0);
	cv->logging = logging;
	return rc;
}

/*
 * The mirror's server configuration: SecurityPolicy None alone, as
 * open62541's minimal one; or the policies of [OPCUA] with the mirror's
 * certificate and key, each other than None offered with Sign and with
 * SignAndEncrypt, an IT client's certificate accepted when in TrustList,
 * None kept for discovery only unless it is offered. Anonymous sessions
 * are allowed (the mirror is read-only) unless Anonymous = no, and the
 * users of Users. Exits on what open62541 refuses.
 */
static void rx_config(UA_ServerConfig *sc)
{
	const struct conf_opcua *o = &chan_cf.opcua;
	static const unsigned secure[] = { CONF_OPCUA_POL_B256S256, CONF_OPCUA_POL_AES128 };
	UA_UsernamePasswordLogin *users = NULL;
	size_t i, nusers = 0;
	struct opcua_sec s;
	UA_StatusCode rc;
	char err[512];

	if (o->policies == CONF_OPCUA_POL_NONE) {
		if (UA_ServerConfig_setMinimal(sc, o->port, NULL))
			chan_die("open62541 server");
		return;
	}
	if (opcua_sec_load(o, &s, err, sizeof(err))) {
		fprintf(stderr, "diode-agent: %s: %s\n", chan_cf.name, err);
		exit(1);
	}
	if (UA_ServerConfig_setBasics_withPort(sc, o->port))
		chan_die("open62541 server");
	/* IT clients compare it with the certificate's; the mirror's own
	 * namespace (index 1) is named by it too */
	UA_String_clear(&sc->applicationDescription.applicationUri);
	sc->applicationDescription.applicationUri = s.uri;
	s.uri = UA_STRING_NULL;
	rc = trust(&sc->secureChannelPKI, &s);
	if (!rc)
		rc = trust(&sc->sessionPKI, &s);
	if (!rc)
		rc = UA_ServerConfig_addSecurityPolicyNone(sc, &s.cert);
	if (!rc && (o->policies & CONF_OPCUA_POL_NONE))
		rc = UA_ServerConfig_addEndpoint(sc, opcua_sec_policy_uri(CONF_OPCUA_POL_NONE),
						 UA_MESSAGESECURITYMODE_NONE);
	for (i = 0; !rc && i < sizeof(secure) / sizeof(secure[0]); i++) {
		if (!(o->policies & secure[i]))
			continue;
		rc = secure[i] == CONF_OPCUA_POL_B256S256 ?
		     UA_ServerConfig_addSecurityPolicyBasic256Sha256(sc, &s.cert, &s.key) :
		     UA_ServerConfig_addSecurityPolicyAes128Sha256RsaOaep(sc, &s.cert, &s.key);
		if (!rc)
			rc = UA_ServerConfig_addEndpoint(sc, opcua_sec_policy_uri(secure[i]),
							 UA_MESSAGESECURITYMODE_SIGN);
		if (!rc)
			rc = UA_ServerConfig_addEndpoint(sc, opcua_sec_policy_uri(secure[i]),
							 UA_MESSAGESECURITYMODE_SIGNANDENCRYPT);
	}
	sc->securityPolicyNoneDiscoveryOnly = !(o->policies & CONF_OPCUA_POL_NONE);
	if (o->users[0] && opcua_sec_users(o->users, &users, &nusers, err, sizeof(err))) {
		fprintf(stderr, "diode-agent: %s: %s\n", chan_cf.name, err);
		exit(1);
	}
	/* a password goes encrypted, on a None channel too: open62541 names a
	 * secure policy in the token's (allowNonePolicyPassword stays false) */
	if (!rc)
		rc = UA_AccessControl_default(sc, o->anonymous, NULL, nusers, users);
	opcua_sec_users_free(users, nusers);
	opcua_sec_free(&s);
	if (rc) {
		fprintf(stderr, "diode-agent: %s: open62541 refused the mirror's Certificate %s, "
			"PrivateKey %s or TrustList (%s)\n", chan_cf.name, o->cert, o->key,
			UA_StatusCode_name(rc));
		exit(1);
	}
}

static void rx_start(void)
{
	UA_ServerConfig sc;

	memset(&sc, 0, sizeof(sc));
	sc.logging = UA_Log_Stdout_new(UA_LOGLEVEL_FATAL);
	if (!sc.logging)
		chan_die("open62541 server");
	rx_config(&sc);
	if (!(rx.srv = UA_Server_newWithConfig(&sc)))
		chan_die("open62541 server");
	opcua_mirror_init(&rx.m, rx.srv);
	opcua_table_init(&rx.t);
	load();
	if (UA_Server_run_startup(rx.srv)) {
		fprintf(stderr, "diode-agent: %s: the mirror cannot listen on port %u\n",
			chan_cf.name, chan_cf.opcua.port);
		exit(1);
	}
	rx.running = true;
	if (pthread_create(&rx.thread, NULL, serve, NULL))
		chan_die("pthread_create");
}

/* A node record the sweep removes from the table: kept, for the mirror
 * once the sweep no longer moves the table's entries (a tombstone or a
 * value leaves nothing behind). */
static void swept(void *ctx, const uint8_t *rec, uint32_t len)
{
	struct opcua_swept *p;

	(void)ctx;
	rx.swept++;
	if (rec[1] != OPCUA_MSG_NODE)
		return;
	if (!(p = realloc(rx.unswept, (rx.nunswept + 1) * sizeof(*p))) ||
	    !(p[rx.nunswept].rec = malloc(len)))
		chan_die("malloc");
	rx.unswept = p;
	memcpy(p[rx.nunswept].rec, rec, len);
	p[rx.nunswept++].len = len;
}

/*
 * The record held of the key that names, in the mirror's link table, the
 * node of m, a record of a table before it: the tx restarted with its
 * namespaces in another order, and the same node has another key. NULL
 * when there is none.
 */
static struct opcua_entry *now_held(const struct opcua_msg *m, enum opcua_msg_table tb)
{
	UA_ByteString key = UA_BYTESTRING_NULL;
	struct opcua_entry *e;
	UA_NodeId id;

	if (m->table == rx.m.table || opcua_mirror_current_id(&rx.m, m, &id))
		return NULL;
	if (UA_encodeBinary(&id, &UA_TYPES[UA_TYPES_NODEID], &key))
		chan_die("malloc");
	e = opcua_table_find(&rx.t, tb, key.data, key.length);
	UA_ByteString_clear(&key);
	UA_NodeId_clear(&id);
	return e && opcua_msg_table_id(e->rec) == rx.m.table ? e : NULL;
}

/* The nodes of the records swept leave the mirror, unless a record of
 * the mirror's table names them, and their values, under either key,
 * are to apply again when they come back, as after a tombstone. */
static void unswept(void)
{
	struct opcua_entry *e;
	struct opcua_msg m;
	uint8_t *rec;

	while (rx.nunswept) {
		rec = rx.unswept[--rx.nunswept].rec;
		if (!opcua_msg_decode(rec, rx.unswept[rx.nunswept].len, &m)) {
			e = now_held(&m, OPCUA_MSG_T_NODES);
			if (!(e && e->rec[1] == OPCUA_MSG_NODE) && opcua_mirror_gone(&rx.m, &m) == 0) {
				rx.swept_nodes++;
				opcua_table_value_unapplied(&rx.t, rec);
				if ((e = now_held(&m, OPCUA_MSG_T_VALUES)))
					e->applied = 0;
			}
			opcua_msg_clear(&m);
		}
		free(rec);
	}
}

/* A model summary: a pass of the carousel begins, and the one before it
 * ends; when that one was heard whole, what the last three whole passes
 * did not bring is gone from the source (docs/opcua.md, Deletions). */
static void summary(const struct opcua_msg *m)
{
	rx.model_pass = m->pass;
	rx.model_nodes = m->nodes;
	if (!opcua_table_pass(&rx.t, m->table, m->pass))
		return;
	rx.passes_whole++;
	opcua_table_sweep(&rx.t, swept, NULL);
	unswept();
}

static void rx_deliver(uint64_t seq, const uint8_t *rec, uint32_t len)
{
	struct opcua_msg m;

	(void)seq;
	rx.records++;
	if (opcua_msg_decode(rec, len, &m)) {
		rx.malformed++;
		return;
	}
	switch (opcua_table_put(&rx.t, rec, len)) {
	case OPCUA_TABLE_NOMEM:
		chan_die("malloc");
		break;
	case OPCUA_TABLE_OLDER:
		/* the change after it is on the mirror: it must not go back */
		rx.older++;
		opcua_msg_clear(&m);
		return;
	case OPCUA_TABLE_COPY:
		rx.copies++;
		break;
	case OPCUA_TABLE_APPLY:
		apply(rec, len);
		break;
	}
	if (m.kind == OPCUA_MSG_MODEL)
		summary(&m);
	opcua_msg_clear(&m);
}

/* The transport counts what was lost; the carousel repairs it. */
static void rx_gap(uint64_t first, uint64_t last)
{
	(void)first, (void)last;
}

static void rx_epoch(uint64_t old, uint64_t epoch, uint64_t joined)
{
	(void)old, (void)epoch, (void)joined;
}

/*
 * Silent beyond twice the heartbeat (the tx's, as it announces it): the
 * mirror's values turn Uncertain, once; each comes back with its next
 * record (a change, or the carousel's copy).
 */
static void rx_tick(uint64_t now, int *timeout)
{
	const struct da_rx *x = chan_rx();
	uint64_t hb = x->hb_interval_ms ? x->hb_interval_ms : chan_cf.heartbeat_ms;
	bool silent = x->last_heard_ms && now - x->last_heard_ms > 2 * hb;

	if (silent && !rx.silent) {
		rx.silences++;
		rx.stale += opcua_mirror_stale(&rx.m);
		/* the carousel's copies bring the source's status back */
		opcua_table_next_gen(&rx.t);
		fprintf(stderr, "diode-agent: %s: the link is silent: the mirror's values are "
			"Uncertain until they come again\n", chan_cf.name);
	}
	rx.silent = silent;
	if (rx.t.dirty && now - rx.saved_ms >= SAVE_EVERY_MS)
		save(now);
	/* woken the moment it would turn silent */
	if (x->last_heard_ms && !silent && *timeout > (int)(x->last_heard_ms + 2 * hb + 1 - now))
		*timeout = (int)(x->last_heard_ms + 2 * hb + 1 - now);
}

static void rx_status(FILE *f)
{
	fprintf(f, ",\"records\":%" PRIu64 ",\"records_malformed\":%" PRIu64
		",\"copies\":%" PRIu64 ",\"older\":%" PRIu64 ",\"table\":%zu,\"nodes\":%" PRIu64
		",\"nodes_waiting\":%zu,\"unmapped\":%" PRIu64 ",\"refused\":%" PRIu64
		",\"values\":%" PRIu64 ",\"values_waiting\":%" PRIu64
		",\"silences\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"gone\":%" PRIu64
		",\"model_pass\":%" PRIu64 ",\"model_nodes\":%" PRIu64 ",\"passes_whole\":%" PRIu64
		",\"swept\":%" PRIu64 ",\"swept_nodes\":%" PRIu64,
		rx.records, rx.malformed, rx.copies, rx.older, rx.t.n, rx.m.added, rx.m.nwaiting,
		rx.m.unmapped, rx.m.refused, rx.values, rx.values_waiting, rx.silences, rx.stale,
		rx.gone, rx.model_pass, rx.model_nodes, rx.passes_whole, rx.swept, rx.swept_nodes);
}

static void rx_stop(void)
{
	rx.running = false;
	pthread_join(rx.thread, NULL);
	save(chan_now_ms());
	opcua_table_free(&rx.t);
	free(rx.unswept);
	UA_Server_run_shutdown(rx.srv);
	opcua_mirror_free(&rx.m);
	UA_Server_delete(rx.srv);
}

const struct chan_proto opcua_rx_proto = {
	.name = "opcua",
	.max_record = rx_max_record,
	.rx_start = rx_start,
	.deliver = rx_deliver,
	.gap = rx_gap,
	.epoch = rx_epoch,
	.rx_status = rx_status,
	.tick = rx_tick,
	.stop = rx_stop,
};
