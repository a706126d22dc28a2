// SPDX-License-Identifier: GPL-2.0
/* The OPC UA channel's certificate, key and trust list (opcua_sec.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "opcua_sec.h"

#define FILE_MAX	(1 << 20)	/* a certificate or key file */
#define URI_MAX		4096

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return -1;
}

/* A PEM password callback that gives none: an encrypted key is refused
 * rather than asked for on a terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* A file's bytes, read whole (at most FILE_MAX). */
struct blob {
	char *data;
	size_t len;
};

static void blob_free(struct blob *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->len);
	free(b->data);
	b->data = NULL;
}

static int slurp(const char *p, struct blob *b, char *err, size_t errlen, const char *what)
{
	FILE *f = fopen(p, "rb");
	struct stat st;
	size_t n;

	b->data = NULL;
	if (!f)
		return fail(err, errlen, "%s %s: %s", what, p, strerror(errno));
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
		fclose(f);
		return fail(err, errlen, "%s %s: not a file of at most %d bytes", what, p, FILE_MAX);
	}
	b->data = malloc((size_t)st.st_size + 1);
	if (!b->data) {
		fclose(f);
		return fail(err, errlen, "%s %s: out of memory", what, p);
	}
	n = fread(b->data, 1, (size_t)st.st_size + 1, f);
	fclose(f);
	b->len = (size_t)st.st_size + 1;
	if (n > (size_t)st.st_size || !n) {
		blob_free(b);
		return fail(err, errlen, "%s %s: %s", what, p, n ? "changed while read" : "empty");
	}
	b->len = n;
	return 0;
}

/* A read-only BIO of b, from its start. */
static BIO *bio_of(const struct blob *b)
{
	return BIO_new_mem_buf(b->data, (int)b->len);
}

static int der_of(X509 *x, UA_ByteString *out)
{
	unsigned char *p;
	int n = i2d_X509(x, NULL);

	if (n <= 0 || UA_ByteString_allocBuffer(out, (size_t)n))
		return -1;
	p = out->data;
	return i2d_X509(x, &p) == n ? 0 : -1;
}

/* Every certificate of file p (PEM, one or more; or one DER) appended to
 * s->trust. */
static int add_trusted(struct opcua_sec *s, const char *p, char *err, size_t errlen)
{
	size_t before = s->ntrust;
	struct blob f;
	BIO *b;
	X509 *x;

	if (slurp(p, &f, err, errlen, "TrustList"))
		return -1;
	if (!(b = bio_of(&f))) {
		blob_free(&f);
		return fail(err, errlen, "TrustList %s: out of memory", p);
	}
	for (;;) {
		x = PEM_read_bio_X509(b, NULL, no_password, NULL);
		if (!x && s->ntrust == before) {
			/* no PEM: one DER certificate */
			BIO_free(b);
			b = bio_of(&f);
			x = b ? d2i_X509_bio(b, NULL) : NULL;
		}
		if (!x)
			break;
		if (s->ntrust == OPCUA_SEC_MAX_TRUST || der_of(x, &s->trust[s->ntrust])) {
			X509_free(x);
			BIO_free(b);
			blob_free(&f);
			return fail(err, errlen, "TrustList %s: more than %d certificates in all, or "
				    "out of memory", p, OPCUA_SEC_MAX_TRUST);
		}
		s->ntrust++;
		X509_free(x);
	}
	BIO_free(b);
	blob_free(&f);
	if (s->ntrust == before)
		return fail(err, errlen, "TrustList %s: no certificate in it (PEM or DER)", p);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder: each of its files (names not starting with '.') in name order. */
static int add_folder(struct opcua_sec *s, const char *dir, char *err, size_t errlen)
{
	char *names[OPCUA_SEC_MAX_TRUST + 1], path[PATH_MAX];
	size_t n = 0, i;
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);
	int rc = 0;

	if (!d)
		return fail(err, errlen, "TrustList %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (n == OPCUA_SEC_MAX_TRUST || !(names[n] = strdup(e->d_name))) {
			rc = fail(err, errlen, "TrustList %s: more than %d files, or out of memory",
				  dir, OPCUA_SEC_MAX_TRUST);
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && !n)
		rc = fail(err, errlen, "TrustList %s: a folder with no certificate file", dir);
	qsort(names, n, sizeof(names[0]), by_name);
	for (i = 0; i < n; i++) {
		if (!rc) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			rc = add_trusted(s, path, err, errlen);
		}
		free(names[i]);
	}
	return rc;
}

/* The URI of x's subjectAltName: 0, or -1. */
static int uri_of(X509 *x, UA_String *out)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, rc = -1;

	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const unsigned char *d;
		int len;

		if (g->type != GEN_URI)
			continue;
		d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
		len = ASN1_STRING_length(g->d.uniformResourceIdentifier);
		if (len <= 0 || len > URI_MAX || memchr(d, 0, (size_t)len))
			break;
		out->data = UA_malloc((size_t)len);
		if (!out->data)
			break;
		memcpy(out->data, d, (size_t)len);
		out->length = (size_t)len;
		rc = 0;
		break;
	}
	GENERAL_NAMES_free(names);
	return rc;
}

static int load_own(const struct conf_opcua *o, struct opcua_sec *s, char *err, size_t errlen)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	struct blob f;
	unsigned char *p;
	int n, bits, rc = -1;
	BIO *b;

	if (slurp(o->cert, &f, err, errlen, "Certificate"))
		return -1;
	if ((b = bio_of(&f)))
		x = PEM_read_bio_X509(b, NULL, no_password, NULL);
	BIO_free(b);
	if (!x && (b = bio_of(&f))) {
		x = d2i_X509_bio(b, NULL);
		BIO_free(b);
	}
	blob_free(&f);
	if (!x)
		return fail(err, errlen, "Certificate %s: not a certificate (PEM or DER)", o->cert);
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		fail(err, errlen, "Certificate %s has expired", o->cert);
		goto out;
	}
	if (uri_of(x, &s->uri)) {
		fail(err, errlen, "Certificate %s: no URI in its subjectAltName (the application "
		     "URI, up to %d bytes)", o->cert, URI_MAX);
		goto out;
	}
	if (slurp(o->key, &f, err, errlen, "PrivateKey"))
		goto out;
	if ((b = bio_of(&f)))
		k = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	BIO_free(b);
	if (!k && (b = bio_of(&f))) {
		k = d2i_PrivateKey_bio(b, NULL);
		BIO_free(b);
	}
	blob_free(&f);
	if (!k) {
		fail(err, errlen, "PrivateKey %s: not a private key without a passphrase (PEM or DER)",
		     o->key);
		goto out;
	}
	bits = EVP_PKEY_get_bits(k);
	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || bits < 2048 || bits > 4096) {
		fail(err, errlen, "PrivateKey %s: not an RSA key of 2048 to 4096 bits", o->key);
		goto out;
	}
	if (X509_check_private_key(x, k) != 1) {
		fail(err, errlen, "PrivateKey %s is not the key of Certificate %s", o->key, o->cert);
		goto out;
	}
	if (der_of(x, &s->cert)) {
		fail(err, errlen, "Certificate %s: out of memory", o->cert);
		goto out;
	}
	n = i2d_PrivateKey(k, NULL);
	if (n <= 0 || UA_ByteString_allocBuffer(&s->key, (size_t)n)) {
		fail(err, errlen, "PrivateKey %s: cannot be encoded", o->key);
		goto out;
	}
	p = s->key.data;
	if (i2d_PrivateKey(k, &p) != n) {
		fail(err, errlen, "PrivateKey %s: cannot be encoded", o->key);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}

int opcua_sec_load(const struct conf_opcua *o, struct opcua_sec *s, char *err, size_t errlen)
{
	struct stat st;
	int i;

	memset(s, 0, sizeof(*s));
	s->trust = calloc(OPCUA_SEC_MAX_TRUST, sizeof(*s->trust));
	if (!s->trust)
		return fail(err, errlen, "out of memory");
	if (load_own(o, s, err, errlen))
		goto fail;
	for (i = 0; i < o->ntrust; i++) {
		if (stat(o->trust[i], &st)) {
			fail(err, errlen, "TrustList %s: %s", o->trust[i], strerror(errno));
			goto fail;
		}
		if (S_ISDIR(st.st_mode) ? add_folder(s, o->trust[i], err, errlen) :
		    add_trusted(s, o->trust[i], err, errlen))
			goto fail;
	}
	return 0;
fail:
	opcua_sec_free(s);
	return -1;
}

void opcua_sec_free(struct opcua_sec *s)
{
	size_t i;

	if (s->key.data)
		OPENSSL_cleanse(s->key.data, s->key.length);
	UA_ByteString_clear(&s->key);
	UA_ByteString_clear(&s->cert);
	for (i = 0; s->trust && i < s->ntrust; i++)
		UA_ByteString_clear(&s->trust[i]);
	free(s->trust);
	UA_String_clear(&s->uri);
	memset(s, 0, sizeof(*s));
}

/* UTF-8 without control characters (a user's name). */
static bool utf8(const UA_Byte *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		unsigned c = p[i], more = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 :
					  (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;

		/* no control characters; the sequence whole */
		if (more == 4 || c < 0x20 || c == 0x7f || more > n - i - 1)
			return false;
		if (more == 1 && c < 0xc2)
			return false;
		for (k = 1; k <= more; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += more + 1;
	}
	return true;
}

int opcua_sec_users(const char *path, UA_UsernamePasswordLogin **out, size_t *n, char *err,
		    size_t errlen)
{
	UA_UsernamePasswordLogin *l = calloc(OPCUA_SEC_MAX_USERS, sizeof(*l));
	struct blob f;
	size_t at = 0, line = 0, i;

	*out = NULL;
	*n = 0;
	if (!l)
		return fail(err, errlen, "out of memory");
	if (slurp(path, &f, err, errlen, "Users")) {
		free(l);
		return -1;
	}
	while (at < f.len) {
		char *s = f.data + at, *eol = memchr(s, '\n', f.len - at), *colon;
		size_t len = eol ? (size_t)(eol - s) : f.len - at, name, pw;

		at += len + 1;
		line++;
		if (len && s[len - 1] == '\r')
			len--;
		if (!len || s[0] == '#')
			continue;
		colon = memchr(s, ':', len);
		if (!colon || colon == s || (size_t)(colon - s) + 1 == len) {
			fail(err, errlen, "Users %s:%zu: not NAME:PASSWORD", path, line);
			goto fail;
		}
		name = (size_t)(colon - s);
		pw = len - name - 1;
		if (name > 255 || !utf8((UA_Byte *)s, name) || pw > 1023 || memchr(colon + 1, 0, pw)) {
			fail(err, errlen, "Users %s:%zu: a name of 1 to 255 bytes of UTF-8, a password "
			     "of 1 to 1023 bytes", path, line);
			goto fail;
		}
		for (i = 0; i < *n; i++)
			if (l[i].username.length == name && !memcmp(l[i].username.data, s, name))
				break;
		if (i < *n) {
			fail(err, errlen, "Users %s:%zu: a name given twice", path, line);
			goto fail;
		}
		if (*n == OPCUA_SEC_MAX_USERS) {
			fail(err, errlen, "Users %s: more than %d users", path, OPCUA_SEC_MAX_USERS);
			goto fail;
		}
		if (UA_ByteString_allocBuffer(&l[*n].username, name) ||
		    UA_ByteString_allocBuffer(&l[*n].password, pw)) {
			(*n)++;
			fail(err, errlen, "Users %s: out of memory", path);
			goto fail;
		}
		memcpy(l[*n].username.data, s, name);
		memcpy(l[*n].password.data, colon + 1, pw);
		(*n)++;
	}
	blob_free(&f);
	if (!*n) {
		free(l);
		return fail(err, errlen, "Users %s: no user in it", path);
	}
	*out = l;
	return 0;
fail:
	blob_free(&f);
	opcua_sec_users_free(l, *n);
	*n = 0;
	return -1;
}

void opcua_sec_users_free(UA_UsernamePasswordLogin *l, size_t n)
{
	size_t i;

	for (i = 0; l && i < n; i++) {
		if (l[i].password.data)
			OPENSSL_cleanse(l[i].password.data, l[i].password.length);
		UA_String_clear(&l[i].username);
		UA_String_clear(&l[i].password);
	}
	free(l);
}

#define POLICY "http://opcfoundation.org/UA/SecurityPolicy#"
static const char *const names[] = { "None", "Basic256Sha256", "Aes128_Sha256_RsaOaep" };
static const char *const uris[] = { POLICY "None", POLICY "Basic256Sha256",
				    POLICY "Aes128_Sha256_RsaOaep" };

const char *opcua_sec_policy_name(unsigned bit)
{
	return bit && bit < 8 ? names[__builtin_ctz(bit)] : "?";
}

UA_String opcua_sec_policy_uri(unsigned bit)
{
	return UA_STRING((char *)uris[bit && bit < 8 ? __builtin_ctz(bit) : 0]);
}
