// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any message delivered on an OPC UA channel is decoded
 * as a record. What the decoder accepts must encode back to the same
 * bytes (one record per value: the rx compares records by their bytes),
 * and its key must be the NodeId piece the decoder read.
 */
#include <stdlib.h>
#include <string.h>

#include "opcua_msg.h"

static uint8_t again[OPCUA_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opcua_msg m;
	const uint8_t *key;
	size_t klen;
	long n;

	if (opcua_msg_decode(data, size, &m))
		return 0;
	n = opcua_msg_encode(again, sizeof(again), &m);
	if (n < 0 || (size_t)n != size || memcmp(again, data, size))
		abort();
	switch (opcua_msg_key(data, &key, &klen)) {
	case OPCUA_MSG_T_NAMESPACES:
		if (m.kind != OPCUA_MSG_NAMESPACES || key || klen)
			abort();
		break;
	case OPCUA_MSG_T_MODEL:
		if (m.kind != OPCUA_MSG_MODEL || key || klen)
			abort();
		break;
	case OPCUA_MSG_T_NODES:
	case OPCUA_MSG_T_VALUES:
		if ((m.kind == OPCUA_MSG_VALUE) !=
		    (opcua_msg_key(data, &key, &klen) == OPCUA_MSG_T_VALUES) ||
		    m.kind == OPCUA_MSG_NAMESPACES || m.kind == OPCUA_MSG_MODEL ||
		    klen != UA_calcSizeBinary(&m.node, &UA_TYPES[UA_TYPES_NODEID]) ||
		    key != data + OPCUA_MSG_HDR + 4)
			abort();
		break;
	default:
		abort();
	}
	opcua_msg_clear(&m);
	return 0;
}
