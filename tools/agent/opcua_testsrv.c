// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA source server of the tests (docs/opcua.md): an address space
 * like a plant's, in two namespaces, with variables of every built-in
 * type as scalars and as arrays in nested folders, three of them in a
 * second folder too (Plant/Favourites), their values changing on a timer,
 * one (Plant/Flip) whose status turns Bad and back, and a method without
 * arguments (Plant/Reset), which answers Good. SIGUSR1 changes the model
 * at the next tick: Plant/Extra added, Plant/Line0/Cell0/V1 removed.
 *
 *   opcua_testsrv [OPTIONS] PORT [VARIABLES]     (default 1000 variables)
 *
 * Every tick (500 ms) a tenth of the variables change, and Flip's status
 * turns. With -r RATE, RATE changes a second instead, the variables in
 * turn (every 10 ms, Flip as before); -r 0: nothing ever changes, Flip
 * neither (a source whose only traffic across is the carousel). Each
 * change of -r writes the variable's value of a tick never used before.
 * With -p N, a Browse returns at most N references of a node, and a
 * continuation point for the rest (a client must BrowseNext).
 *
 * Without options it offers SecurityPolicy None and anonymous sessions.
 * With -c CERT -k KEY -t TRUSTED -a URI (DER or PEM files; URI the
 * certificate's application URI) it requires SignAndEncrypt with a
 * secure policy (Basic256Sha256, Aes128_Sha256_RsaOaep, ...; None for
 * discovery only), a client certificate equal to TRUSTED; with -u USER
 * -w PASSWORD, that identity and no anonymous session; with
 * OPCUA_TEST_LOG set in the environment, it logs open62541's debug
 * messages on stdout.
 *
 * Listens on 127.0.0.1 and the other addresses of its network namespace
 * until SIGTERM or SIGINT. Every value is a function of the variable's
 * number and the tick, so a test can say what a variable held.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <open62541/server.h>
#include <open62541/plugin/accesscontrol_default.h>
#include <open62541/plugin/log_stdout.h>
#include <open62541/server_config_default.h>
#include "opcua_file.h"

#define TICK_MS		500
#define PER_FOLDER	50
#define ARRAY_LEN	4

/* The built-in types a variable holds; a Variant is held as BaseDataType
 * (it holds no scalar Variant), an ExtensionObject as a Structure. */
static const int types[] = {
	UA_TYPES_BOOLEAN, UA_TYPES_SBYTE, UA_TYPES_BYTE, UA_TYPES_INT16,
	UA_TYPES_UINT16, UA_TYPES_INT32, UA_TYPES_UINT32, UA_TYPES_INT64,
	UA_TYPES_UINT64, UA_TYPES_FLOAT, UA_TYPES_DOUBLE, UA_TYPES_STRING,
	UA_TYPES_DATETIME, UA_TYPES_GUID, UA_TYPES_BYTESTRING,
	UA_TYPES_XMLELEMENT, UA_TYPES_NODEID, UA_TYPES_EXPANDEDNODEID,
	UA_TYPES_STATUSCODE, UA_TYPES_QUALIFIEDNAME, UA_TYPES_LOCALIZEDTEXT,
	UA_TYPES_EXTENSIONOBJECT, UA_TYPES_DATAVALUE, UA_TYPES_VARIANT,
	UA_TYPES_DIAGNOSTICINFO,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static unsigned nvars = 1000;
static long rate = -1;			/* -r: changes a second; -1 the tenth a tick */
static long refs_per_node;		/* -p: 0 all at once */
static uint64_t changed;		/* by -r, since the start */
static UA_DateTime started;
static volatile sig_atomic_t change_model;
static UA_UInt16 ns_plant, ns_line;
static uint32_t tick;

/* One value of type t from seed, into p (initialized). */
static void fill(const UA_DataType *t, void *p, uint32_t seed)
{
	char text[32];

	snprintf(text, sizeof(text), "v%u", seed);
	switch (t->typeKind) {
	case UA_DATATYPEKIND_BOOLEAN:
		*(UA_Boolean *)p = seed & 1;
		break;
	case UA_DATATYPEKIND_FLOAT:
		*(UA_Float *)p = (UA_Float)seed / 4;
		break;
	case UA_DATATYPEKIND_DOUBLE:
		*(UA_Double *)p = (UA_Double)seed / 8;
		break;
	case UA_DATATYPEKIND_SBYTE:
	case UA_DATATYPEKIND_BYTE:
	case UA_DATATYPEKIND_INT16:
	case UA_DATATYPEKIND_UINT16:
	case UA_DATATYPEKIND_INT32:
	case UA_DATATYPEKIND_UINT32:
	case UA_DATATYPEKIND_INT64:
	case UA_DATATYPEKIND_UINT64:
		memcpy(p, &seed, t->memSize < 4 ? t->memSize : 4);
		break;
	case UA_DATATYPEKIND_STATUSCODE:
		*(UA_StatusCode *)p = seed & 1 ? UA_STATUSCODE_BADOUTOFRANGE : UA_STATUSCODE_GOOD;
		break;
	case UA_DATATYPEKIND_DATETIME:
		*(UA_DateTime *)p = UA_DATETIME_UNIX_EPOCH + (UA_DateTime)seed * UA_DATETIME_SEC;
		break;
	case UA_DATATYPEKIND_GUID:
		((UA_Guid *)p)->data1 = seed;
		((UA_Guid *)p)->data4[7] = 0x5a;
		break;
	case UA_DATATYPEKIND_STRING:
	case UA_DATATYPEKIND_BYTESTRING:
	case UA_DATATYPEKIND_XMLELEMENT:
		*(UA_String *)p = UA_STRING_ALLOC(text);
		break;
	case UA_DATATYPEKIND_NODEID:
		*(UA_NodeId *)p = UA_NODEID_NUMERIC(ns_line, seed);
		break;
	case UA_DATATYPEKIND_EXPANDEDNODEID:
		((UA_ExpandedNodeId *)p)->nodeId = UA_NODEID_NUMERIC(ns_plant, seed);
		break;
	case UA_DATATYPEKIND_QUALIFIEDNAME:
		*(UA_QualifiedName *)p = UA_QUALIFIEDNAME_ALLOC(ns_line, text);
		break;
	case UA_DATATYPEKIND_LOCALIZEDTEXT:
		*(UA_LocalizedText *)p = UA_LOCALIZEDTEXT_ALLOC("en", text);
		break;
	case UA_DATATYPEKIND_EXTENSIONOBJECT: {
		UA_Range r = { seed, seed + 1.5 };

		UA_ExtensionObject_setValueCopy(p, &r, &UA_TYPES[UA_TYPES_RANGE]);
		break;
	}
	case UA_DATATYPEKIND_DATAVALUE:
		((UA_DataValue *)p)->hasStatus = true;
		((UA_DataValue *)p)->status = seed & 1 ? UA_STATUSCODE_UNCERTAIN : 0;
		break;
	case UA_DATATYPEKIND_VARIANT:
		UA_Variant_setScalarCopy(p, &seed, &UA_TYPES[UA_TYPES_UINT32]);
		break;
	case UA_DATATYPEKIND_DIAGNOSTICINFO:
		((UA_DiagnosticInfo *)p)->hasSymbolicId = true;
		((UA_DiagnosticInfo *)p)->symbolicId = (UA_Int32)seed;
		break;
	}
}

static bool is_array(unsigned i)
{
	const UA_DataType *t = &UA_TYPES[types[i % NTYPES]];

	/* a Variant only as an array; otherwise every other round */
	return t->typeKind == UA_DATATYPEKIND_VARIANT || (i / NTYPES) % 2;
}

/* Variable i's value at a tick, as a Variant that owns it. */
static void value_of(unsigned i, uint32_t at, UA_Variant *v)
{
	const UA_DataType *t = &UA_TYPES[types[i % NTYPES]];
	size_t k, n = is_array(i) ? ARRAY_LEN : 1;
	void *data = UA_Array_new(n, t);

	for (k = 0; k < n; k++)
		fill(t, (char *)data + k * t->memSize, i * 1000 + at + (uint32_t)k);
	if (is_array(i)) {
		UA_Variant_setArray(v, data, n, t);
	} else {
		UA_Variant_setScalarCopy(v, data, t);
		UA_Array_delete(data, n, t);
	}
}

static UA_NodeId var_id(unsigned i)
{
	char id[64];

	snprintf(id, sizeof(id), "Plant/Line%u/Cell%u/V%u", i / (PER_FOLDER * 4),
		 i / PER_FOLDER % 4, i);
	/* every fourth in the other namespace, numeric: both kinds of NodeId,
	 * and an index the mirror has to map */
	return i % 4 == 3 ? UA_NODEID_NUMERIC(ns_line, 100000 + i) : UA_NODEID_STRING_ALLOC(ns_plant, id);
}

static void folder(UA_Server *s, UA_NodeId id, UA_NodeId parent, const char *name)
{
	UA_ObjectAttributes a = UA_ObjectAttributes_default;

	a.displayName = UA_LOCALIZEDTEXT("en", (char *)name);
	a.description = UA_LOCALIZEDTEXT("en", "a folder of the test plant");
	if (UA_Server_addObjectNode(s, id, parent, UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES),
				    UA_QUALIFIEDNAME(id.namespaceIndex, (char *)name),
				    UA_NODEID_NUMERIC(0, UA_NS0ID_FOLDERTYPE), a, NULL, NULL))
		exit(1);
}

static void variable(UA_Server *s, unsigned i, UA_NodeId parent)
{
	const UA_DataType *t = &UA_TYPES[types[i % NTYPES]];
	UA_VariableAttributes a = UA_VariableAttributes_default;
	UA_UInt32 dims[1] = { ARRAY_LEN };
	UA_NodeId id = var_id(i);
	char name[32];

	snprintf(name, sizeof(name), "V%u_%s", i, t->typeName);
	a.displayName = UA_LOCALIZEDTEXT("en", name);
	a.dataType = t->typeKind == UA_DATATYPEKIND_VARIANT ?
		UA_NODEID_NUMERIC(0, UA_NS0ID_BASEDATATYPE) :
		t->typeKind == UA_DATATYPEKIND_EXTENSIONOBJECT ?
		UA_NODEID_NUMERIC(0, UA_NS0ID_STRUCTURE) : t->typeId;
	if (is_array(i)) {
		a.valueRank = UA_VALUERANK_ONE_DIMENSION;
		a.arrayDimensions = dims;
		a.arrayDimensionsSize = 1;
	} else {
		a.valueRank = UA_VALUERANK_SCALAR;
	}
	a.accessLevel = UA_ACCESSLEVELMASK_READ | UA_ACCESSLEVELMASK_WRITE;
	value_of(i, 0, &a.value);
	if (UA_Server_addVariableNode(s, id, parent, UA_NODEID_NUMERIC(0, UA_NS0ID_HASCOMPONENT),
				      UA_QUALIFIEDNAME(id.namespaceIndex, name),
				      UA_NODEID_NUMERIC(0, UA_NS0ID_BASEDATAVARIABLETYPE),
				      a, NULL, NULL)) {
		fprintf(stderr, "opcua_testsrv: variable %u (%s) refused\n", i, t->typeName);
		exit(1);
	}
	UA_Variant_clear(&a.value);
	UA_NodeId_clear(&id);
}

static UA_StatusCode reset(UA_Server *s, const UA_NodeId *session, void *sctx,
			   const UA_NodeId *method, void *mctx, const UA_NodeId *object,
			   void *octx, size_t nin, const UA_Variant *in, size_t nout,
			   UA_Variant *out)
{
	(void)s, (void)session, (void)sctx, (void)method, (void)mctx, (void)object;
	(void)octx, (void)nin, (void)in, (void)nout, (void)out;
	return UA_STATUSCODE_GOOD;
}

static void build(UA_Server *s)
{
	UA_NodeId plant = UA_NODEID_STRING(ns_plant, "Plant");
	UA_NodeId line = UA_NODEID_NULL, cell = UA_NODEID_NULL;
	UA_VariableAttributes a = UA_VariableAttributes_default;
	UA_Int32 zero = 0;
	char id[48], name[16];
	unsigned i;

	folder(s, plant, UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER), "Plant");
	for (i = 0; i < nvars; i++) {
		if (i % (PER_FOLDER * 4) == 0) {
			snprintf(id, sizeof(id), "Plant/Line%u", i / (PER_FOLDER * 4));
			snprintf(name, sizeof(name), "Line%u", i / (PER_FOLDER * 4));
			line = UA_NODEID_STRING_ALLOC(ns_plant, id);
			folder(s, line, plant, name);
		}
		if (i % PER_FOLDER == 0) {
			snprintf(id, sizeof(id), "Plant/Line%u/Cell%u", i / (PER_FOLDER * 4),
				 i / PER_FOLDER % 4);
			snprintf(name, sizeof(name), "Cell%u", i / PER_FOLDER % 4);
			UA_NodeId_clear(&cell);
			cell = UA_NODEID_STRING_ALLOC(ns_plant, id);
			folder(s, cell, line, name);
		}
		variable(s, i, cell);
		if ((i + 1) % (PER_FOLDER * 4) == 0 || i + 1 == nvars)
			UA_NodeId_clear(&line);
	}
	UA_NodeId_clear(&cell);
	/* a folder whose variables have another parent too */
	folder(s, UA_NODEID_STRING(ns_plant, "Plant/Favourites"), plant, "Favourites");
	for (i = 0; i < nvars && i < 3; i++) {
		UA_NodeId v = var_id(i);

		if (UA_Server_addReference(s, UA_NODEID_STRING(ns_plant, "Plant/Favourites"),
					   UA_NODEID_NUMERIC(0, UA_NS0ID_ORGANIZES),
					   UA_EXPANDEDNODEID_NODEID(v), true))
			exit(1);
		UA_NodeId_clear(&v);
	}
	{
		UA_MethodAttributes m = UA_MethodAttributes_default;

		m.displayName = UA_LOCALIZEDTEXT("en", "Reset");
		m.executable = m.userExecutable = true;
		if (UA_Server_addMethodNode(s, UA_NODEID_STRING(ns_plant, "Plant/Reset"), plant,
					    UA_NODEID_NUMERIC(0, UA_NS0ID_HASCOMPONENT),
					    UA_QUALIFIEDNAME(ns_plant, "Reset"), m, reset,
					    0, NULL, 0, NULL, NULL, NULL))
			exit(1);
	}
	a.displayName = UA_LOCALIZEDTEXT("en", "Flip");
	a.description = UA_LOCALIZEDTEXT("en", "Bad and Good in turn, every tick");
	a.dataType = UA_TYPES[UA_TYPES_INT32].typeId;
	a.accessLevel = UA_ACCESSLEVELMASK_READ;
	UA_Variant_setScalar(&a.value, &zero, &UA_TYPES[UA_TYPES_INT32]);
	if (UA_Server_addVariableNode(s, UA_NODEID_STRING(ns_plant, "Plant/Flip"), plant,
				      UA_NODEID_NUMERIC(0, UA_NS0ID_HASCOMPONENT),
				      UA_QUALIFIEDNAME(ns_plant, "Flip"),
				      UA_NODEID_NUMERIC(0, UA_NS0ID_BASEDATAVARIABLETYPE),
				      a, NULL, NULL))
		exit(1);
}

/* Variable i's value of tick at, written with a source timestamp. */
static void change(UA_Server *s, unsigned i, uint32_t at)
{
	UA_NodeId id = var_id(i);
	UA_DataValue dv;

	UA_DataValue_init(&dv);
	value_of(i, at, &dv.value);
	dv.hasValue = true;
	dv.sourceTimestamp = UA_DateTime_now();
	dv.hasSourceTimestamp = true;
	UA_Server_writeDataValue(s, id, dv);
	UA_DataValue_clear(&dv);
	UA_NodeId_clear(&id);
}

/* -r RATE: the changes due since the start, the variables in turn, each
 * pass over them with ticks of its own (from 1 000 000, above on_tick's) */
static void on_rate(UA_Server *s, void *arg)
{
	uint64_t due = (uint64_t)((UA_DateTime_nowMonotonic() - started) / UA_DATETIME_MSEC) *
		       (uint64_t)rate / 1000;

	(void)arg;
	for (; changed < due; changed++) {
		unsigned i = (unsigned)(changed % nvars);

		if (i == 1 && change_model)
			continue;
		change(s, i, 1000000u + (uint32_t)(changed / nvars));
	}
}

/* Every tick a tenth of the variables change (without -r), and Flip's
 * status turns (but with -r 0). */
static void on_tick(UA_Server *s, void *arg)
{
	UA_DataValue dv;
	UA_Int32 flip;
	unsigned i;

	(void)arg;
	tick++;
	if (change_model == 1) {
		UA_VariableAttributes a = UA_VariableAttributes_default;
		UA_Double x = 42;
		UA_NodeId v1 = var_id(1);

		change_model = 2;
		a.displayName = UA_LOCALIZEDTEXT("en", "Extra");
		a.dataType = UA_TYPES[UA_TYPES_DOUBLE].typeId;
		a.accessLevel = UA_ACCESSLEVELMASK_READ;
		UA_Variant_setScalar(&a.value, &x, &UA_TYPES[UA_TYPES_DOUBLE]);
		if (UA_Server_addVariableNode(s, UA_NODEID_STRING(ns_plant, "Plant/Extra"),
					      UA_NODEID_STRING(ns_plant, "Plant"),
					      UA_NODEID_NUMERIC(0, UA_NS0ID_HASCOMPONENT),
					      UA_QUALIFIEDNAME(ns_plant, "Extra"),
					      UA_NODEID_NUMERIC(0, UA_NS0ID_BASEDATAVARIABLETYPE),
					      a, NULL, NULL) ||
		    UA_Server_deleteNode(s, v1, true))
			exit(1);
		UA_NodeId_clear(&v1);
	}
	for (i = tick % 10; rate < 0 && i < nvars; i += 10)
		if (i != 1 || !change_model)
			change(s, i, tick);
	if (!rate)
		return;
	UA_DataValue_init(&dv);
	flip = (UA_Int32)tick;
	UA_Variant_setScalar(&dv.value, &flip, &UA_TYPES[UA_TYPES_INT32]);
	dv.hasValue = true;
	dv.status = tick % 2 ? UA_STATUSCODE_BADSENSORFAILURE : UA_STATUSCODE_GOOD;
	dv.hasStatus = true;
	dv.sourceTimestamp = UA_DateTime_now();
	dv.hasSourceTimestamp = true;
	UA_Server_writeDataValue(s, UA_NODEID_STRING(ns_plant, "Plant/Flip"), dv);
}

static volatile UA_Boolean running = true;

static void stop(int sig)
{
	(void)sig;
	running = false;
}

static void on_usr1(int sig)
{
	(void)sig;
	if (!change_model)
		change_model = 1;
}

static UA_ByteString file_of(const char *p)
{
	return opcua_file_read("opcua_testsrv", p, 2);
}

/* SignAndEncrypt only, with the secure policies; the client's certificate
 * trusted; anonymous, or the one user. */
static UA_Server *secure_server(UA_UInt16 port, const char *cert, const char *key,
				const char *trusted, const char *uri, const char *user,
				const char *password)
{
	UA_ByteString c = file_of(cert), k = file_of(key), t = file_of(trusted);
	UA_UsernamePasswordLogin login;
	UA_ServerConfig sc;
	size_t i, n;

	memset(&sc, 0, sizeof(sc));
	sc.logging = UA_Log_Stdout_new(getenv("OPCUA_TEST_LOG") ? UA_LOGLEVEL_DEBUG :
				       UA_LOGLEVEL_FATAL);
	if (UA_ServerConfig_setDefaultWithSecureSecurityPolicies(&sc, port, &c, &k, &t, 1,
								 NULL, 0, NULL, 0) ||
	    UA_ServerConfig_addSecurityPolicyNone(&sc, &c))	/* for discovery only */
		return NULL;
	UA_ByteString_clear(&c);
	UA_ByteString_clear(&k);
	UA_ByteString_clear(&t);
	for (i = n = 0; i < sc.endpointsSize; i++) {
		if (sc.endpoints[i].securityMode == UA_MESSAGESECURITYMODE_SIGNANDENCRYPT)
			sc.endpoints[n++] = sc.endpoints[i];
		else
			UA_EndpointDescription_clear(&sc.endpoints[i]);
	}
	sc.endpointsSize = n;
	UA_String_clear(&sc.applicationDescription.applicationUri);
	sc.applicationDescription.applicationUri = UA_STRING_ALLOC(uri);
	if (user) {
		login.username = UA_STRING((char *)user);
		login.password = UA_STRING((char *)password);
		if (UA_AccessControl_default(&sc, false, NULL, 1, &login))
			return NULL;
	}
	return UA_Server_newWithConfig(&sc);
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *trusted = NULL, *uri = NULL, *user = NULL,
		   *password = "";
	UA_Server *s;
	int port, rc, o;

	while ((o = getopt(argc, argv, "c:k:t:a:u:w:r:p:")) != -1) {
		const char **to = o == 'c' ? &cert : o == 'k' ? &key : o == 't' ? &trusted :
				  o == 'a' ? &uri : o == 'u' ? &user : o == 'w' ? &password : NULL;

		if (o == 'r') {
			rate = strtol(optarg, NULL, 10);
			if (rate < 0 || rate > 10000000)
				return 2;
			continue;
		}
		if (o == 'p') {
			refs_per_node = strtol(optarg, NULL, 10);
			if (refs_per_node < 1 || refs_per_node > 1000000)
				return 2;
			continue;
		}
		if (!to)
			return 2;
		*to = optarg;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 2 || argc > 3 || (port = atoi(argv[1])) <= 0 || port > 65535 ||
	    (argc == 3 && (nvars = (unsigned)atoi(argv[2])) == 0) ||
	    (cert && (!key || !trusted || !uri)) || (user && !cert)) {
		fprintf(stderr, "usage: opcua_testsrv [-c CERT -k KEY -t TRUSTED -a URI "
			"[-u USER -w PASSWORD]] [-r RATE] [-p REFS] PORT [VARIABLES]\n");
		return 2;
	}
	if (cert) {
		if (!(s = secure_server((UA_UInt16)port, cert, key, trusted, uri, user, password)))
			return 1;
	} else {
		s = UA_Server_new();
		if (!s || UA_ServerConfig_setMinimal(UA_Server_getConfig(s), (UA_UInt16)port, NULL))
			return 1;
	}
	UA_Server_getConfig(s)->maxReferencesPerNode = (UA_UInt32)refs_per_node;
	ns_plant = UA_Server_addNamespace(s, "urn:diode:test:plant");
	ns_line = UA_Server_addNamespace(s, "urn:diode:test:line");
	build(s);
	started = UA_DateTime_nowMonotonic();
	if (UA_Server_addRepeatedCallback(s, on_tick, NULL, TICK_MS, NULL) ||
	    (rate > 0 && UA_Server_addRepeatedCallback(s, on_rate, NULL, 10, NULL)))
		return 1;
	signal(SIGTERM, stop);
	signal(SIGINT, stop);
	signal(SIGUSR1, on_usr1);
	rc = UA_Server_run(s, &running) == UA_STATUSCODE_GOOD ? 0 : 1;
	UA_Server_delete(s);
	return rc;
}
