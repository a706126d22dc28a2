// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA client of the host tests (test_agent.sh, docs/opcua.md),
 * with nothing of the agents' code but opcua_cmp.c:
 *
 *   opcua_check dump URL             every node under Objects, a line
 *                                    each, by URI (opcua_cmp.h): diff the
 *                                    source's with the mirror's
 *   opcua_check values URL           prints "V variables, W waiting, U
 *                                    uncertain" (BadWaitingForInitialData,
 *                                    UncertainLastUsableValue)
 *   opcua_check read URL NODE        prints the value's status code name and
 *                                    source timestamp
 *   opcua_check write URL NODE       writes an Int32; prints the status
 *   opcua_check security URL         prints the connection's security mode and
 *                                    policy URI
 *   opcua_check watch URL SECONDS    subscribes to every variable for that
 *                                    long; prints "N values, B backwards":
 *                                    notifications, and those whose source
 *                                    timestamp is below the one before of
 *                                    their variable (a value gone back)
 *
 * Before the command, the client's security (default: None, anonymous):
 *   -m MODE -p POLICY                None, Sign or SignAndEncrypt; a policy
 *                                    name (Basic256Sha256, ...)
 *   -c CERT -k KEY -a URI            its certificate, key (PEM or DER) and
 *                                    application URI (the certificate's)
 *   -t TRUSTED                       a certificate the server's must be
 *   -u USER -w PASSWORD              a username identity
 * A connection made with another mode than asked is a failure. With
 * OPCUA_TEST_LOG set in the environment, open62541 logs (debug) on stdout.
 *
 * URL is opc.tcp://HOST:PORT; NODE is URI|ID, ID as in "s=Plant/Flip" or
 * "i=42", found through the server's namespace array. Exit status 0 when
 * the dump is whole, no variable waits, a read got an answer, a write is
 * refused, a watch saw values and none went back; 1 otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <open62541/client_config_default.h>
#include <open62541/client_highlevel.h>
#include <open62541/client_subscriptions.h>
#include <open62541/plugin/log_stdout.h>

#include "opcua_cmp.h"
#include "opcua_file.h"

static struct {
	const char *mode, *policy, *cert, *key, *uri, *trusted, *user, *password;
} opt;

static UA_ByteString file_of(const char *p)
{
	return opcua_file_read("opcua_check", p, 1);
}

static UA_MessageSecurityMode mode_of(const char *m)
{
	if (!m || !strcmp(m, "None"))
		return UA_MESSAGESECURITYMODE_NONE;
	if (!strcmp(m, "Sign"))
		return UA_MESSAGESECURITYMODE_SIGN;
	if (!strcmp(m, "SignAndEncrypt"))
		return UA_MESSAGESECURITYMODE_SIGNANDENCRYPT;
	fprintf(stderr, "opcua_check: unknown mode %s\n", m);
	exit(2);
}

static UA_Client *connect_to(const char *url)
{
	UA_MessageSecurityMode mode = mode_of(opt.mode);
	UA_ClientConfig cc;
	UA_Client *c;
	UA_Variant v;
	UA_StatusCode rc;
	char uri[128];

	memset(&cc, 0, sizeof(cc));
	cc.logging = UA_Log_Stdout_new(getenv("OPCUA_TEST_LOG") ? UA_LOGLEVEL_DEBUG :
				       UA_LOGLEVEL_FATAL);
	if (opt.cert) {
		UA_ByteString cert = file_of(opt.cert), key = file_of(opt.key);
		UA_ByteString trusted = opt.trusted ? file_of(opt.trusted) : UA_BYTESTRING_NULL;

		if (UA_ClientConfig_setDefaultEncryption(&cc, cert, key, &trusted, opt.trusted ? 1 : 0,
							 NULL, 0)) {
			fprintf(stderr, "opcua_check: certificate or key refused\n");
			exit(1);
		}
		UA_ByteString_clear(&cert);
		UA_ByteString_clear(&key);
		UA_ByteString_clear(&trusted);
		UA_String_clear(&cc.clientDescription.applicationUri);
		cc.clientDescription.applicationUri = UA_STRING_ALLOC(opt.uri ? opt.uri : "");
	} else {
		UA_ClientConfig_setDefault(&cc);
	}
	cc.securityMode = mode;
	snprintf(uri, sizeof(uri), "http://opcfoundation.org/UA/SecurityPolicy#%s",
		 opt.policy ? opt.policy : "None");
	cc.securityPolicyUri = UA_STRING_ALLOC(uri);
	if (opt.user)
		UA_ClientConfig_setAuthenticationUsername(&cc, opt.user, opt.password ? opt.password : "");
	c = UA_Client_newWithConfig(&cc);
	if (!c || (rc = UA_Client_connect(c, url))) {
		fprintf(stderr, "opcua_check: cannot connect to %s: %s\n", url,
			c ? UA_StatusCode_name(rc) : "no client");
		exit(1);
	}
	if (UA_Client_getConnectionAttribute(c, UA_QUALIFIEDNAME(0, "securityMode"), &v) ||
	    !UA_Variant_hasScalarType(&v, &UA_TYPES[UA_TYPES_MESSAGESECURITYMODE]) ||
	    *(UA_MessageSecurityMode *)v.data != mode) {
		fprintf(stderr, "opcua_check: %s: not the security mode asked for\n", url);
		exit(1);
	}
	return c;
}

static int security(const char *url)
{
	static const char *const modes[] = { "?", "None", "Sign", "SignAndEncrypt" };
	UA_Client *c = connect_to(url);
	UA_MessageSecurityMode m;
	UA_Variant v;
	UA_String p;

	UA_Client_getConnectionAttribute(c, UA_QUALIFIEDNAME(0, "securityMode"), &v);
	m = *(UA_MessageSecurityMode *)v.data;
	if (UA_Client_getConnectionAttribute(c, UA_QUALIFIEDNAME(0, "securityPolicyUri"), &v) ||
	    !UA_Variant_hasScalarType(&v, &UA_TYPES[UA_TYPES_STRING]))
		return 1;
	p = *(UA_String *)v.data;
	printf("%s %.*s\n", modes[m < 4 ? m : 0], (int)p.length, (const char *)p.data);
	UA_Client_delete(c);
	return 0;
}

/* URI|ID as a NodeId of c's. */
static UA_NodeId node_of(UA_Client *c, const char *arg)
{
	const char *bar = strchr(arg, '|');
	struct opcua_cmp_names nm;
	UA_String uri;
	UA_NodeId id;
	char text[512];
	size_t i;

	if (!bar || !opcua_cmp_names(c, &nm)) {
		fprintf(stderr, "opcua_check: %s: not URI|ID, or no namespace array\n", arg);
		exit(1);
	}
	uri.data = (UA_Byte *)arg;
	uri.length = (size_t)(bar - arg);
	for (i = 0; i < nm.n && !UA_String_equal(&nm.uri[i], &uri); i++)
		;
	UA_Array_delete(nm.uri, nm.n, &UA_TYPES[UA_TYPES_STRING]);
	snprintf(text, sizeof(text), "ns=%zu;%s", i, bar + 1);
	if (i == nm.n || UA_NodeId_parse(&id, UA_STRING(text))) {
		fprintf(stderr, "opcua_check: %s: no such namespace, or not an ID\n", arg);
		exit(1);
	}
	return id;
}

static int dump(const char *url)
{
	struct opcua_cmp_line *l;
	UA_Client *c = connect_to(url);
	size_t n, i;

	if (!opcua_cmp_describe(c, &l, &n)) {
		fprintf(stderr, "opcua_check: browsing %s failed\n", url);
		return 1;
	}
	/* a line a node: open62541 prints a Variant on several */
	for (i = 0; i < n; i++) {
		char *p;

		for (p = l[i].attrs; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		printf("%s %s %s\n", l[i].id, l[i].parents, l[i].attrs);
	}
	free(l);
	UA_Client_delete(c);
	return 0;
}

static int values(const char *url)
{
	UA_Client *c = connect_to(url);
	UA_NodeId *v;
	size_t n, i, waiting = 0, uncertain = 0;

	if (!opcua_cmp_variables(c, &v, &n))
		return 1;
	for (i = 0; i < n; i++) {
		UA_DataValue dv = opcua_cmp_read(c, &v[i]);

		waiting += dv.status == UA_STATUSCODE_BADWAITINGFORINITIALDATA;
		uncertain += dv.status == UA_STATUSCODE_UNCERTAINLASTUSABLEVALUE;
		UA_DataValue_clear(&dv);
	}
	printf("%zu variables, %zu waiting, %zu uncertain\n", n, waiting, uncertain);
	UA_Array_delete(v, n, &UA_TYPES[UA_TYPES_NODEID]);
	UA_Client_delete(c);
	return n && !waiting ? 0 : 1;
}

static int read_one(const char *url, const char *node)
{
	UA_Client *c = connect_to(url);
	UA_NodeId id = node_of(c, node);
	UA_DataValue dv = opcua_cmp_read(c, &id);

	printf("%s %" PRId64 "\n", UA_StatusCode_name(dv.status), dv.sourceTimestamp);
	UA_DataValue_clear(&dv);
	UA_NodeId_clear(&id);
	UA_Client_delete(c);
	return 0;
}

static int write_one(const char *url, const char *node)
{
	UA_Client *c = connect_to(url);
	UA_NodeId id = node_of(c, node);
	UA_Int32 x = -1;
	UA_Variant v;
	UA_StatusCode rc;

	UA_Variant_setScalar(&v, &x, &UA_TYPES[UA_TYPES_INT32]);
	rc = UA_Client_writeValueAttribute(c, id, &v);
	printf("%s\n", UA_StatusCode_name(rc));
	UA_NodeId_clear(&id);
	UA_Client_delete(c);
	return UA_StatusCode_isBad(rc) ? 0 : 1;
}

#define WATCH_AT_ONCE	500	/* monitored items a request creates */

/* watch: the last source timestamp of each variable, what was seen */
static struct {
	UA_DateTime *last;
	UA_NodeId *vars;
	size_t n;
	uint64_t values, backwards;
} w;

static void on_watched(UA_Client *c, UA_UInt32 sub, void *subctx, UA_UInt32 mon, void *monctx,
		       UA_DataValue *dv)
{
	size_t i = (size_t)(uintptr_t)monctx;
	UA_String id = UA_STRING_NULL;

	(void)c, (void)sub, (void)subctx, (void)mon;
	if (i >= w.n || !dv->hasSourceTimestamp)
		return;
	w.values++;
	if (dv->sourceTimestamp < w.last[i]) {
		/* the first few said, for the test's log */
		if (w.backwards++ < 5 && !UA_NodeId_print(&w.vars[i], &id))
			fprintf(stderr, "opcua_check: %.*s went back from %" PRId64 " to %" PRId64
				"\n", (int)id.length, (const char *)id.data, w.last[i],
				dv->sourceTimestamp);
		UA_String_clear(&id);
	}
	w.last[i] = dv->sourceTimestamp;
}

static int watch(const char *url, const char *seconds)
{
	UA_Client *c = connect_to(url);
	UA_CreateSubscriptionRequest srq = UA_CreateSubscriptionRequest_default();
	UA_CreateSubscriptionResponse srs;
	UA_MonitoredItemCreateRequest items[WATCH_AT_ONCE];
	UA_Client_DataChangeNotificationCallback cbs[WATCH_AT_ONCE];
	void *ctx[WATCH_AT_ONCE];
	UA_DateTime end;
	size_t i, k;
	long s = strtol(seconds, NULL, 10);

	if (s <= 0 || s > 3600 || !opcua_cmp_variables(c, &w.vars, &w.n) || !w.n)
		return 1;
	w.last = calloc(w.n, sizeof(*w.last));
	if (!w.last)
		return 1;
	srq.requestedPublishingInterval = 50;
	srs = UA_Client_Subscriptions_create(c, srq, NULL, NULL, NULL);
	if (srs.responseHeader.serviceResult) {
		fprintf(stderr, "opcua_check: subscription: %s\n",
			UA_StatusCode_name(srs.responseHeader.serviceResult));
		return 1;
	}
	for (i = 0; i < w.n; i += k) {
		UA_CreateMonitoredItemsRequest rq;
		UA_CreateMonitoredItemsResponse rs;

		for (k = 0; k < WATCH_AT_ONCE && i + k < w.n; k++) {
			items[k] = UA_MonitoredItemCreateRequest_default(w.vars[i + k]);
			/* the mirror's fastest: a value gone back only until the
			 * next change is seen */
			items[k].requestedParameters.samplingInterval = 0;
			items[k].requestedParameters.queueSize = 100;
			cbs[k] = on_watched;
			ctx[k] = (void *)(uintptr_t)(i + k);
		}
		UA_CreateMonitoredItemsRequest_init(&rq);
		rq.subscriptionId = srs.subscriptionId;
		rq.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
		rq.itemsToCreate = items;
		rq.itemsToCreateSize = k;
		rs = UA_Client_MonitoredItems_createDataChanges(c, rq, ctx, cbs, NULL);
		if (rs.responseHeader.serviceResult) {
			fprintf(stderr, "opcua_check: monitored items: %s\n",
				UA_StatusCode_name(rs.responseHeader.serviceResult));
			return 1;
		}
		UA_CreateMonitoredItemsResponse_clear(&rs);
	}
	end = UA_DateTime_nowMonotonic() + s * UA_DATETIME_SEC;
	while (UA_DateTime_nowMonotonic() < end)
		if (UA_Client_run_iterate(c, 50)) {
			fprintf(stderr, "opcua_check: %s went away\n", url);
			return 1;
		}
	printf("%" PRIu64 " values, %" PRIu64 " backwards\n", w.values, w.backwards);
	UA_Client_delete(c);
	UA_Array_delete(w.vars, w.n, &UA_TYPES[UA_TYPES_NODEID]);
	free(w.last);
	return w.values && !w.backwards ? 0 : 1;
}

int main(int argc, char **argv)
{
	int o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((o = getopt(argc, argv, "+m:p:c:k:a:t:u:w:")) != -1) {
		const char **to = o == 'm' ? &opt.mode : o == 'p' ? &opt.policy : o == 'c' ? &opt.cert :
				  o == 'k' ? &opt.key : o == 'a' ? &opt.uri : o == 't' ? &opt.trusted :
				  o == 'u' ? &opt.user : o == 'w' ? &opt.password : NULL;

		if (!to)
			return 2;
		*to = optarg;
	}
	if ((opt.cert != NULL) != (opt.key != NULL)) {
		fprintf(stderr, "opcua_check: -c and -k go together\n");
		return 2;
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc == 3 && !strcmp(argv[1], "security"))
		return security(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return dump(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "values"))
		return values(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "watch"))
		return watch(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "read"))
		return read_one(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "write"))
		return write_one(argv[2], argv[3]);
	fprintf(stderr, "usage: opcua_check [OPTIONS] dump URL | values URL | read URL NODE |"
		" write URL NODE | security URL | watch URL SECONDS\n");
	return 2;
}
