/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The OPC UA channel's security files (docs/opcua.md, Security): the
 * application certificate and private key of [OPCUA] and its trust list,
 * read (PEM or DER) and checked before open62541 is given them in DER:
 * the key is the certificate's, an RSA key of 2048 to 4096 bits, and the
 * certificate names its application URI in its subjectAltName (open62541
 * and the peers compare it with the application's description). The
 * crypto itself is open62541's; this only reads files.
 */
#ifndef DIODE_AGENT_OPCUA_SEC_H
#define DIODE_AGENT_OPCUA_SEC_H

#include <open62541/types.h>

#include "conf.h"

#define OPCUA_SEC_MAX_TRUST 256		/* certificates in a trust list */

struct opcua_sec {
	UA_ByteString cert;		/* DER */
	UA_ByteString key;		/* DER; wiped by opcua_sec_free */
	UA_ByteString *trust;		/* DER, one certificate each */
	size_t ntrust;
	UA_String uri;			/* the certificate's application URI */
};

/* Certificate, PrivateKey and TrustList of o: 0, or -1 with why in err
 * (never a key's bytes). */
int opcua_sec_load(const struct conf_opcua *o, struct opcua_sec *s, char *err, size_t errlen);
void opcua_sec_free(struct opcua_sec *s);

/* The policy's URI; bit is one CONF_OPCUA_POL_*. */
UA_String opcua_sec_policy_uri(unsigned bit);
/* The policy's name as [OPCUA] spells it. */
const char *opcua_sec_policy_name(unsigned bit);

#endif
