// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA model across a simulated link (docs/opcua.md): opcua_testsrv
 * as the source, the tx's browse into records, each record encoded and
 * decoded as the link would carry it, the rx's mirror made from them;
 * then a client of its own browses source and mirror and compares them
 * node for node, by URI, and their values. KTAP.
 *
 *   test_opcua_mirror [./opcua_testsrv]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <open62541/client_config_default.h>
#include <open62541/client_highlevel.h>
#include <open62541/plugin/log_stdout.h>
#include <open62541/server_config_default.h>

#include "../../selftests/unit/ktap.h"
#include "opcua_browse.h"
#include "opcua_cmp.h"
#include "opcua_mirror.h"

#define NVARS		1000
/* Plant, 5 lines, 20 cells, the variables, Plant/Favourites, Plant/Flip,
 * Plant/Reset */
#define NNODES		(1 + NVARS / 200 + NVARS / 50 + NVARS + 3)
#define TABLE		0x5eed0001u

static const char *srv_path = "./opcua_testsrv";
static pid_t srv_pid, srv2_pid;
static int port;
static char src_url[64], mir_url[64];
static UA_Client *tx, *cli_src, *cli_mir;
static UA_Server *mirror_srv;
static struct opcua_mirror mirror;
static pthread_t mirror_thread;
static volatile UA_Boolean mirror_running = true;
static struct opcua_ns ns;
static struct opcua_model model;

static uint8_t rec[OPCUA_MSG_MAX];

/* Across the link: encoded, then decoded into d. */
static bool cross(struct opcua_msg *m, struct opcua_msg *d)
{
	long n;
	int rc;

	m->table = TABLE;
	m->stamp = 1;
	n = opcua_msg_encode(rec, sizeof(rec), m);
	if (n < 0) {
		ktap_diag("encode: %s", opcua_msg_strerror((int)n));
		return false;
	}
	rc = opcua_msg_decode(rec, (size_t)n, d);
	if (rc)
		ktap_diag("decode: %s", opcua_msg_strerror(rc));
	return !rc;
}

static UA_Client *client(const char *url)
{
	UA_ClientConfig cc;
	UA_Client *c;
	int i;

	memset(&cc, 0, sizeof(cc));
	cc.logging = UA_Log_Stdout_new(UA_LOGLEVEL_FATAL);
	UA_ClientConfig_setDefault(&cc);
	c = UA_Client_newWithConfig(&cc);
	if (!c)
		return NULL;
	for (i = 0; i < 100; i++) {
		if (UA_Client_connect(c, url) == UA_STATUSCODE_GOOD)
			return c;
		usleep(100000);
	}
	UA_Client_delete(c);
	return NULL;
}

static void *run_mirror(void *arg)
{
	(void)arg;
	UA_Server_run(mirror_srv, &mirror_running);
	return NULL;
}

static bool test_browse(void)
{
	const UA_NodeId objects = UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER);
	const UA_String plant = UA_STRING_STATIC("urn:diode:test:plant");
	size_t i, vars = 0, two_parents = 0;

	tx = client(src_url);
	KTAP_EXPECT(tx);
	KTAP_EXPECT(!opcua_ns_init(&ns, TABLE));
	KTAP_EXPECT(opcua_browse(tx, &ns, &objects, &model) == UA_STATUSCODE_GOOD);
	if (model.n != NNODES)
		ktap_diag("%zu nodes, expected %d", model.n, NNODES);
	KTAP_EXPECT(model.n == NNODES);
	for (i = 0; i < model.n; i++) {
		vars += model.nodes[i].item.nodeClass == UA_NODECLASS_VARIABLE;
		two_parents += model.nodes[i].nrefs == 1;
	}
	KTAP_EXPECT(vars == NVARS + 1);
	KTAP_EXPECT(two_parents == 3);	/* in Plant/Favourites too */
	/* OPC UA's, the source's own, its two */
	KTAP_EXPECT(ns.n == 4);
	KTAP_EXPECT(UA_String_equal(&ns.uris[2], &plant));
	return true;
}

/* Every record across the link, the nodes in reverse (children before
 * parents: they wait), into a mirror whose own namespace shifts the
 * indexes by one from the source's. */
static bool test_mirror_model(void)
{
	struct opcua_msg m, d;
	size_t i;

	UA_ServerConfig sc;

	memset(&sc, 0, sizeof(sc));
	sc.logging = UA_Log_Stdout_new(UA_LOGLEVEL_ERROR);
	KTAP_EXPECT(!UA_ServerConfig_setMinimal(&sc, (UA_UInt16)(port + 1), NULL));
	mirror_srv = UA_Server_newWithConfig(&sc);
	KTAP_EXPECT(mirror_srv);
	KTAP_EXPECT(UA_Server_addNamespace(mirror_srv, "urn:diode:test:mirror-own") == 2);
	opcua_mirror_init(&mirror, mirror_srv);
	opcua_msg_init(&m);
	m.kind = OPCUA_MSG_NAMESPACES;
	m.uris = ns.uris;
	m.nuris = ns.n;
	KTAP_EXPECT(cross(&m, &d));
	KTAP_EXPECT(!opcua_mirror_namespaces(&mirror, &d));
	opcua_msg_clear(&d);
	for (i = model.n; i-- > 0;) {
		KTAP_EXPECT(cross(&model.nodes[i], &d));
		KTAP_EXPECT(opcua_mirror_node(&mirror, &d) >= 0);
	}
	if (mirror.added != NNODES || mirror.nwaiting || mirror.nrefs || mirror.refused)
		ktap_diag("added %lu, waiting %zu and %zu references, refused %lu",
			  (unsigned long)mirror.added, mirror.nwaiting, mirror.nrefs,
			  (unsigned long)mirror.refused);
	KTAP_EXPECT(mirror.added == NNODES && !mirror.nwaiting && !mirror.nrefs &&
		    !mirror.refused);
	KTAP_EXPECT(!pthread_create(&mirror_thread, NULL, run_mirror, NULL));
	cli_mir = client(mir_url);
	cli_src = client(src_url);
	KTAP_EXPECT(cli_mir && cli_src);
	return true;
}

static bool test_same_nodes(void)
{
	struct opcua_cmp_line *a, *b;
	size_t na, nb, i, diff = 0;

	KTAP_EXPECT(opcua_cmp_describe(cli_src, &a, &na));
	KTAP_EXPECT(opcua_cmp_describe(cli_mir, &b, &nb));
	if (na != nb)
		ktap_diag("source %zu nodes, mirror %zu", na, nb);
	KTAP_EXPECT(na == NNODES && nb == NNODES);
	for (i = 0; i < na; i++)
		if (strcmp(a[i].id, b[i].id) || strcmp(a[i].parents, b[i].parents) ||
		    strcmp(a[i].attrs, b[i].attrs)) {
			if (diff++ < 5)
				ktap_diag("source %s %s %s\n# mirror %s %s %s", a[i].id,
					  a[i].parents, a[i].attrs, b[i].id, b[i].parents,
					  b[i].attrs);
		}
	free(a);
	free(b);
	KTAP_EXPECT(!diff);
	return true;
}

/* The mirror's NodeId of link NodeId id. */
static UA_NodeId on_mirror(const UA_NodeId *id)
{
	UA_NodeId m;

	UA_NodeId_copy(id, &m);
	opcua_ns_nodeid(&m, mirror.map, mirror.nmap);
	return m;
}

/*
 * Before its first value a mirror variable reads BadWaitingForInitialData;
 * after the values crossed, each reads as the tx read it at the source:
 * the value (its NodeIds and names mapped back to the link's indexes), the
 * status code and the source timestamp. Plant/Flip, whose status turns
 * at every tick, is read again after a tick and crosses again.
 */
static bool test_values(void)
{
	struct opcua_msg *v, d;
	size_t n, i, checked = 0, bad = 0;
	UA_DataValue got;
	UA_NodeId id;
	UA_UInt16 *back;

	id = on_mirror(&model.nodes[model.n - 1].node);
	got = opcua_cmp_read(cli_mir, &id);
	KTAP_EXPECT(got.hasStatus && got.status == UA_STATUSCODE_BADWAITINGFORINITIALDATA);
	UA_DataValue_clear(&got);
	UA_NodeId_clear(&id);

	KTAP_EXPECT(opcua_read_values(tx, &model, &v, &n) == UA_STATUSCODE_GOOD);
	KTAP_EXPECT(n == NVARS + 1);
	for (i = 0; i < n; i++) {
		KTAP_EXPECT(cross(&v[i], &d));
		KTAP_EXPECT(opcua_mirror_value(&mirror, &d) == 0);
		opcua_msg_clear(&d);
	}
	/* the mirror's indexes back to the link's, to compare */
	back = calloc(mirror.nmap + 8, sizeof(*back));
	KTAP_EXPECT(back);
	for (i = 0; i < mirror.nmap; i++)
		back[mirror.map[i]] = (UA_UInt16)i;
	for (i = 0; i < n; i++) {
		id = on_mirror(&v[i].node);
		got = opcua_cmp_read(cli_mir, &id);
		UA_NodeId_clear(&id);
		KTAP_EXPECT(!opcua_ns_variant(&got.value, back, mirror.nmap + 8));
		if (!UA_equal(&got.value, &v[i].value.value, &UA_TYPES[UA_TYPES_VARIANT]) ||
		    got.status != v[i].value.status ||
		    got.sourceTimestamp != v[i].value.sourceTimestamp) {
			UA_String s = UA_STRING_NULL;

			if (bad++ < 5) {
				UA_print(&got, &UA_TYPES[UA_TYPES_DATAVALUE], &s);
				ktap_diag("value %zu: mirror %.*s", i, (int)s.length, (char *)s.data);
				UA_String_clear(&s);
				UA_print(&v[i].value, &UA_TYPES[UA_TYPES_DATAVALUE], &s);
				ktap_diag("value %zu: source %.*s", i, (int)s.length, (char *)s.data);
				UA_String_clear(&s);
			}
		}
		checked++;
		UA_DataValue_clear(&got);
	}
	free(back);
	for (i = 0; i < n; i++)
		opcua_msg_clear(&v[i]);
	free(v);
	KTAP_EXPECT(checked == NVARS + 1 && !bad);
	return true;
}

/* Plant/Flip: Bad one tick, Good the next; each status crosses. */
static bool test_flip(void)
{
	UA_NodeId src = UA_NODEID_STRING(2, "Plant/Flip"), id;
	UA_DataValue s, m;
	struct opcua_msg v, d;
	UA_StatusCode seen[2];
	size_t i;
	int k;

	for (i = 0; i < model.n; i++)
		if (UA_NodeId_equal(&model.source[i], &src))
			break;
	KTAP_EXPECT(i < model.n);
	id = on_mirror(&model.nodes[i].node);
	for (k = 0; k < 2; k++) {
		int tries = 0;

		/* the next tick's status: the first read after it changed */
		do {
			s = opcua_cmp_read(tx, &src);
			if (k == 0 || s.status != seen[0])
				break;
			UA_DataValue_clear(&s);
			usleep(50 * 1000);
		} while (++tries < 100);
		opcua_msg_init(&v);
		v.kind = OPCUA_MSG_VALUE;
		v.node = model.nodes[i].node;
		v.value = s;
		KTAP_EXPECT(cross(&v, &d));
		KTAP_EXPECT(opcua_mirror_value(&mirror, &d) == 0);
		opcua_msg_clear(&d);
		m = opcua_cmp_read(cli_mir, &id);
		KTAP_EXPECT(m.status == s.status && m.sourceTimestamp == s.sourceTimestamp);
		seen[k] = s.status;
		UA_DataValue_clear(&s);
		UA_DataValue_clear(&m);
	}
	UA_NodeId_clear(&id);
	KTAP_EXPECT(seen[0] != seen[1]);
	KTAP_EXPECT(seen[0] == UA_STATUSCODE_BADSENSORFAILURE ||
		    seen[1] == UA_STATUSCODE_BADSENSORFAILURE);
	return true;
}

/* The link silent: a Good value reads Uncertain_LastUsableValue, its
 * value and source timestamp kept; its next record brings Good back. */
static bool test_stale(void)
{
	UA_NodeId src = UA_NODEID_STRING(2, "Plant/Line0/Cell0/V5"), id;
	UA_DataValue before, after, s;
	struct opcua_msg v, d;
	size_t i;

	for (i = 0; i < model.n; i++)
		if (UA_NodeId_equal(&model.source[i], &src))
			break;
	KTAP_EXPECT(i < model.n);
	id = on_mirror(&model.nodes[i].node);
	before = opcua_cmp_read(cli_mir, &id);
	KTAP_EXPECT(before.status == UA_STATUSCODE_GOOD);
	KTAP_EXPECT(opcua_mirror_stale(&mirror) >= NVARS / 2);
	after = opcua_cmp_read(cli_mir, &id);
	KTAP_EXPECT(after.status == UA_STATUSCODE_UNCERTAINLASTUSABLEVALUE);
	KTAP_EXPECT(UA_equal(&after.value, &before.value, &UA_TYPES[UA_TYPES_VARIANT]));
	KTAP_EXPECT(after.sourceTimestamp == before.sourceTimestamp);
	UA_DataValue_clear(&before);
	UA_DataValue_clear(&after);
	/* turned once: a second silence changes nothing */
	KTAP_EXPECT(opcua_mirror_stale(&mirror) == 0);

	s = opcua_cmp_read(tx, &src);
	opcua_msg_init(&v);
	v.kind = OPCUA_MSG_VALUE;
	v.node = model.nodes[i].node;
	v.value = s;
	KTAP_EXPECT(cross(&v, &d));
	KTAP_EXPECT(opcua_mirror_value(&mirror, &d) == 0);
	opcua_msg_clear(&d);
	after = opcua_cmp_read(cli_mir, &id);
	KTAP_EXPECT(after.status == UA_STATUSCODE_GOOD && after.sourceTimestamp == s.sourceTimestamp);
	UA_DataValue_clear(&after);
	UA_DataValue_clear(&s);
	UA_NodeId_clear(&id);
	return true;
}

/* A client's write to the mirror is refused; the source, which would
 * take it, still holds its own value. A method the source runs is not
 * executable on the mirror. */
/* The source again, giving at most 3 references a Browse (the rest by
 * continuation points): the browse follows them, and makes the same
 * records, in the same order, as from one that gives them all at once. */
static bool test_browse_continued(void)
{
	const UA_NodeId objects = UA_NODEID_NUMERIC(0, UA_NS0ID_OBJECTSFOLDER);
	static uint8_t again[OPCUA_MSG_MAX];
	struct opcua_model m2;
	struct opcua_ns ns2;
	UA_Client *c;
	char url[64], sport[16], nvars[16];
	int p2 = 20000 + (port - 40000) + 1;	/* odd: no other instance's */
	size_t i, same = 0;

	snprintf(url, sizeof(url), "opc.tcp://127.0.0.1:%d", p2);
	snprintf(sport, sizeof(sport), "%d", p2);
	snprintf(nvars, sizeof(nvars), "%d", NVARS);
	srv2_pid = fork();
	if (srv2_pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || !freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(126);
		execl(srv_path, srv_path, "-p", "3", sport, nvars, (char *)NULL);
		_exit(127);
	}
	KTAP_EXPECT(srv2_pid > 0);
	c = client(url);
	KTAP_EXPECT(c);
	KTAP_EXPECT(!opcua_ns_init(&ns2, TABLE));
	KTAP_EXPECT(opcua_browse(c, &ns2, &objects, &m2) == UA_STATUSCODE_GOOD);
	KTAP_EXPECT(m2.n == model.n && ns2.n == ns.n);
	for (i = 0; i < m2.n && i < model.n; i++) {
		long a, b;

		model.nodes[i].stamp = m2.nodes[i].stamp = 1;
		model.nodes[i].table = m2.nodes[i].table = TABLE;
		a = opcua_msg_encode(rec, sizeof(rec), &model.nodes[i]);
		b = opcua_msg_encode(again, sizeof(again), &m2.nodes[i]);
		same += a > 0 && a == b && !memcmp(rec, again, (size_t)a);
	}
	if (same != model.n)
		ktap_diag("%zu of %zu records the same", same, model.n);
	KTAP_EXPECT(same == model.n);
	opcua_model_free(&m2);
	opcua_ns_free(&ns2);
	UA_Client_disconnect(c);
	UA_Client_delete(c);
	kill(srv2_pid, SIGTERM);
	waitpid(srv2_pid, NULL, 0);
	return true;
}

static bool test_read_only(void)
{
	UA_NodeId src = UA_NODEID_STRING(2, "Plant/Line0/Cell0/V5"), id;
	UA_Variant v;
	UA_Int32 x = -12345, *now;
	UA_StatusCode rc;
	size_t i;

	for (i = 0; i < model.n; i++)
		if (UA_NodeId_equal(&model.source[i], &src))
			break;
	KTAP_EXPECT(i < model.n);
	id = on_mirror(&model.nodes[i].node);
	UA_Variant_setScalar(&v, &x, &UA_TYPES[UA_TYPES_INT32]);
	rc = UA_Client_writeValueAttribute(cli_mir, id, &v);
	UA_NodeId_clear(&id);
	if (rc != UA_STATUSCODE_BADNOTWRITABLE)
		ktap_diag("write to the mirror: %s", UA_StatusCode_name(rc));
	KTAP_EXPECT(rc == UA_STATUSCODE_BADNOTWRITABLE);
	KTAP_EXPECT(!UA_Client_readValueAttribute(cli_src, src, &v));
	now = v.data;
	KTAP_EXPECT(v.type == &UA_TYPES[UA_TYPES_INT32] && *now != x);
	UA_Variant_clear(&v);

	{
		UA_NodeId plant = UA_NODEID_STRING(2, "Plant"), reset = UA_NODEID_STRING(2, "Plant/Reset");
		UA_NodeId mp, mr;
		UA_Variant *out = NULL;
		size_t nout = 0;

		KTAP_EXPECT(UA_Client_call(cli_src, plant, reset, 0, NULL, &nout, &out) ==
			    UA_STATUSCODE_GOOD);
		UA_Array_delete(out, nout, &UA_TYPES[UA_TYPES_VARIANT]);
		for (i = 0; i < model.n && !UA_NodeId_equal(&model.source[i], &plant); i++)
			;
		KTAP_EXPECT(i < model.n);
		mp = on_mirror(&model.nodes[i].node);
		for (i = 0; i < model.n && !UA_NodeId_equal(&model.source[i], &reset); i++)
			;
		KTAP_EXPECT(i < model.n && model.nodes[i].item.nodeClass == UA_NODECLASS_METHOD);
		mr = on_mirror(&model.nodes[i].node);
		rc = UA_Client_call(cli_mir, mp, mr, 0, NULL, &nout, &out);
		if (rc != UA_STATUSCODE_BADNOTEXECUTABLE)
			ktap_diag("call on the mirror: %s", UA_StatusCode_name(rc));
		KTAP_EXPECT(rc == UA_STATUSCODE_BADNOTEXECUTABLE);
		UA_NodeId_clear(&mp);
		UA_NodeId_clear(&mr);
	}
	return true;
}

int main(int argc, char **argv)
{
	static const struct ktap_test tests[] = {
		{ "browse_source", test_browse },
		{ "browse_continued", test_browse_continued },
		{ "mirror_model", test_mirror_model },
		{ "same_nodes", test_same_nodes },
		{ "values", test_values },
		{ "flip", test_flip },
		{ "read_only", test_read_only },
		{ "stale", test_stale },
	};
	char nvars[16], sport[16];
	int rc;

	if (argc > 1)
		srv_path = argv[1];
	port = 40000 + (int)(getpid() % 10000) * 2;
	snprintf(src_url, sizeof(src_url), "opc.tcp://127.0.0.1:%d", port);
	snprintf(mir_url, sizeof(mir_url), "opc.tcp://127.0.0.1:%d", port + 1);
	snprintf(sport, sizeof(sport), "%d", port);
	snprintf(nvars, sizeof(nvars), "%d", NVARS);
	srv_pid = fork();
	if (srv_pid == 0) {
		/* gone with the test, however the test ends (a sanitizer's abort) */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || !freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(126);
		execl(srv_path, srv_path, sport, nvars, (char *)NULL);
		_exit(127);
	}
	rc = ktap_run_tests(tests, sizeof(tests) / sizeof(tests[0]));
	if (mirror_srv) {
		mirror_running = false;
		pthread_join(mirror_thread, NULL);
	}
	if (tx)
		UA_Client_delete(tx);
	if (cli_src)
		UA_Client_delete(cli_src);
	if (cli_mir)
		UA_Client_delete(cli_mir);
	opcua_model_free(&model);
	opcua_ns_free(&ns);
	opcua_mirror_free(&mirror);
	if (mirror_srv)
		UA_Server_delete(mirror_srv);
	kill(srv_pid, SIGTERM);
	waitpid(srv_pid, NULL, 0);
	return rc;
}
