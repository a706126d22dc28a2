// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA client of the host tests (test_agent.sh, docs/opcua.md),
 * with nothing of the agents' code but opcua_cmp.c:
 *
 *   opcua_check dump URL             every node under Objects, a line
 *                                    each, by URI (opcua_cmp.h): diff the
 *                                    source's with the mirror's
 *   opcua_check values URL           prints "V variables, W waiting"
 *                                    (BadWaitingForInitialData)
 *   opcua_check read URL NODE        prints the value's status code name and
 *                                    source timestamp
 *   opcua_check write URL NODE       writes an Int32; prints the status
 *
 * URL is opc.tcp://HOST:PORT; NODE is URI|ID, ID as in "s=Plant/Flip" or
 * "i=42", found through the server's namespace array. Exit status 0 when
 * the dump is whole, no variable waits, a read got an answer, a write is
 * refused; 1 otherwise.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <open62541/client_config_default.h>
#include <open62541/client_highlevel.h>
#include <open62541/plugin/log_stdout.h>

#include "opcua_cmp.h"

static UA_Client *connect_to(const char *url)
{
	UA_ClientConfig cc;
	UA_Client *c;

	memset(&cc, 0, sizeof(cc));
	cc.logging = UA_Log_Stdout_new(UA_LOGLEVEL_FATAL);
	UA_ClientConfig_setDefault(&cc);
	c = UA_Client_newWithConfig(&cc);
	if (!c || UA_Client_connect(c, url)) {
		fprintf(stderr, "opcua_check: cannot connect to %s\n", url);
		exit(1);
	}
	return c;
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

static UA_DataValue read_value(UA_Client *c, const UA_NodeId *id)
{
	UA_ReadValueId r;
	UA_ReadRequest rq;
	UA_ReadResponse rs;
	UA_DataValue dv;

	UA_ReadValueId_init(&r);
	r.nodeId = *id;
	r.attributeId = UA_ATTRIBUTEID_VALUE;
	UA_ReadRequest_init(&rq);
	rq.nodesToRead = &r;
	rq.nodesToReadSize = 1;
	rq.timestampsToReturn = UA_TIMESTAMPSTORETURN_BOTH;
	rs = UA_Client_Service_read(c, rq);
	UA_DataValue_init(&dv);
	if (!rs.responseHeader.serviceResult && rs.resultsSize == 1)
		UA_DataValue_copy(&rs.results[0], &dv);
	else
		dv.status = rs.responseHeader.serviceResult ? rs.responseHeader.serviceResult :
			UA_STATUSCODE_BADUNEXPECTEDERROR;
	UA_ReadResponse_clear(&rs);
	return dv;
}

static int values(const char *url)
{
	UA_Client *c = connect_to(url);
	UA_NodeId *v;
	size_t n, i, waiting = 0;

	if (!opcua_cmp_variables(c, &v, &n))
		return 1;
	for (i = 0; i < n; i++) {
		UA_DataValue dv = read_value(c, &v[i]);

		waiting += dv.status == UA_STATUSCODE_BADWAITINGFORINITIALDATA;
		UA_DataValue_clear(&dv);
	}
	printf("%zu variables, %zu waiting\n", n, waiting);
	UA_Array_delete(v, n, &UA_TYPES[UA_TYPES_NODEID]);
	UA_Client_delete(c);
	return n && !waiting ? 0 : 1;
}

static int read_one(const char *url, const char *node)
{
	UA_Client *c = connect_to(url);
	UA_NodeId id = node_of(c, node);
	UA_DataValue dv = read_value(c, &id);

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

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "dump"))
		return dump(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "values"))
		return values(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "read"))
		return read_one(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "write"))
		return write_one(argv[2], argv[3]);
	fprintf(stderr, "usage: opcua_check dump URL | values URL | read URL NODE |"
		" write URL NODE\n");
	return 2;
}
