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

#include <open62541/plugin/accesscontrol_default.h>
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

#define OPCUA_SEC_MAX_USERS 1000		/* lines of a Users file */

/*
 * The mirror's users, from the Users file: a NAME:PASSWORD line each
 * (the first ':' splits; a name of at most 255 bytes of UTF-8, a password
 * of at most 1023; empty lines and lines starting with '#' skipped), each
 * name once: 0, or -1 with why and the line in err (never a password).
 */
int opcua_sec_users(const char *path, UA_UsernamePasswordLogin **out, size_t *n, char *err,
		    size_t errlen);
/* The logins wiped and freed. */
void opcua_sec_users_free(UA_UsernamePasswordLogin *l, size_t n);

/* The policy's URI; bit is one CONF_OPCUA_POL_*. */
UA_String opcua_sec_policy_uri(unsigned bit);
/* The policy's name as [OPCUA] spells it. */
const char *opcua_sec_policy_name(unsigned bit);

#endif
