// SPDX-License-Identifier: GPL-2.0
/*
 * The OPC UA channel's rx (IT side, docs/opcua.md): the mirror, an
 * open62541 server on Port in the channel's loop, built from the records
 * as they come (opcua_mirror.c). A record that cannot be applied yet (a
 * node before the namespace table, a value before its node) is dropped:
 * the carousel brings it again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <open62541/plugin/log_stdout.h>
#include <open62541/server_config_default.h>

#include "chan.h"
#include "opcua_mirror.h"
#include "opcua.h"
#include "opcua_msg.h"

#define TURN_MS		20	/* the server's turn in the loop, at most this apart */

static struct {
	UA_Server *srv;
	struct opcua_mirror m;
	uint64_t records, malformed, values, values_waiting;
} rx;

static uint32_t rx_max_record(void)
{
	return OPCUA_MSG_MAX;
}

static void rx_start(void)
{
	UA_ServerConfig sc;

	memset(&sc, 0, sizeof(sc));
	sc.logging = UA_Log_Stdout_new(UA_LOGLEVEL_FATAL);
	if (!sc.logging || UA_ServerConfig_setMinimal(&sc, chan_cf.opcua.port, NULL) ||
	    !(rx.srv = UA_Server_newWithConfig(&sc)))
		chan_die("open62541 server");
	opcua_mirror_init(&rx.m, rx.srv);
	if (UA_Server_run_startup(rx.srv)) {
		fprintf(stderr, "diode-agent: %s: the mirror cannot listen on port %u\n",
			chan_cf.name, chan_cf.opcua.port);
		exit(1);
	}
}

static void rx_deliver(uint64_t seq, const uint8_t *rec, uint32_t len)
{
	struct opcua_msg m;
	int rc;

	(void)seq;
	rx.records++;
	if (opcua_msg_decode(rec, len, &m)) {
		rx.malformed++;
		return;
	}
	switch (m.kind) {
	case OPCUA_MSG_NAMESPACES:
		if (opcua_mirror_namespaces(&rx.m, &m))
			chan_die("malloc");
		break;
	case OPCUA_MSG_NODE:
		opcua_mirror_node(&rx.m, &m);
		break;
	case OPCUA_MSG_VALUE:
		rc = opcua_mirror_value(&rx.m, &m);
		rx.values += rc == 0;
		rx.values_waiting += rc == 1;
		break;
	default:
		break;
	}
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

static void rx_tick(uint64_t now, int *timeout)
{
	(void)now;
	UA_Server_run_iterate(rx.srv, false);
	if (*timeout > TURN_MS)
		*timeout = TURN_MS;
}

static void rx_status(FILE *f)
{
	fprintf(f, ",\"records\":%" PRIu64 ",\"records_malformed\":%" PRIu64
		",\"nodes\":%" PRIu64 ",\"nodes_waiting\":%zu,\"unmapped\":%" PRIu64
		",\"refused\":%" PRIu64 ",\"values\":%" PRIu64 ",\"values_waiting\":%" PRIu64,
		rx.records, rx.malformed, rx.m.added, rx.m.nwaiting, rx.m.unmapped, rx.m.refused,
		rx.values, rx.values_waiting);
}

static void rx_stop(void)
{
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
