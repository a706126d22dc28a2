/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the OPC UA test programs (opcua_check, opcua_testsrv) share: a
 * certificate, key or trust file read whole, up to 1 MiB.
 */
#ifndef DIODE_AGENT_OPCUA_FILE_H
#define DIODE_AGENT_OPCUA_FILE_H

#include <stdio.h>
#include <stdlib.h>

#include <open62541/types.h>

/* The file at path, or a message naming prog and an exit with status. */
static inline UA_ByteString opcua_file_read(const char *prog, const char *path, int status)
{
	UA_ByteString b = UA_BYTESTRING_NULL;
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || n > (1 << 20) ||
	    fseek(f, 0, SEEK_SET) || UA_ByteString_allocBuffer(&b, (size_t)n) ||
	    fread(b.data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: cannot read %s\n", prog, path);
		exit(status);
	}
	fclose(f);
	return b;
}

#endif
