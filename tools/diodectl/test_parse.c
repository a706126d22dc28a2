// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pure logic of diodectl: words, addresses, numbers,
 * keys and JSON. Prints KTAP; exits non-zero when any test fails.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../selftests/unit/ktap.h"
#include "keys.h"
#include "parse.h"
#include "settings.h"

/* The bit of struct device's present that an attribute sets. */
#define HAS(attr)	(1ULL << (attr))

/* RFC 7748, section 6.1: Alice's and Bob's key pairs. */
static const char alice_private[] = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=";
static const char alice_public[] = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
static const char bob_private[] = "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";
static const char bob_public[] = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";

static bool addr_is(const char *word, int family, const char *host,
		    uint16_t port)
{
	struct diode_addr addr;
	struct parse_error e;
	char text[INET6_ADDRSTRLEN];
	const void *bytes;

	if (parse_addr(word, &addr, &e)) {
		ktap_diag("'%s' rejected: %s", word, e.msg);
		return false;
	}
	if (addr.sa.sa_family != family)
		return false;
	if (family == AF_INET) {
		bytes = &addr.in.sin_addr;
		if (addr.len != sizeof(addr.in) || ntohs(addr.in.sin_port) != port)
			return false;
	} else {
		bytes = &addr.in6.sin6_addr;
		if (addr.len != sizeof(addr.in6) ||
		    ntohs(addr.in6.sin6_port) != port)
			return false;
	}
	inet_ntop(family, bytes, text, sizeof(text));
	if (strcmp(text, host)) {
		ktap_diag("'%s' parsed as %s, not %s", word, text, host);
		return false;
	}
	return true;
}

/* Rejected, with a message that names the word. */
static bool addr_rejected(const char *word)
{
	struct diode_addr addr;
	struct parse_error e;

	if (!parse_addr(word, &addr, &e)) {
		ktap_diag("'%s' accepted", word);
		return false;
	}
	return strstr(e.msg, word) != NULL;
}

static bool test_ipv4_addresses(void)
{
	KTAP_EXPECT(addr_is("192.0.2.1", AF_INET, "192.0.2.1",
			    DIODE_DEFAULT_PORT));
	KTAP_EXPECT(addr_is("192.0.2.1:4000", AF_INET, "192.0.2.1", 4000));
	KTAP_EXPECT(addr_is("0.0.0.0", AF_INET, "0.0.0.0", DIODE_DEFAULT_PORT));
	KTAP_EXPECT(addr_is("any", AF_INET, "0.0.0.0", DIODE_DEFAULT_PORT));
	KTAP_EXPECT(addr_is("any:1", AF_INET, "0.0.0.0", 1));
	KTAP_EXPECT(addr_is("255.255.255.255:65535", AF_INET,
			    "255.255.255.255", 65535));
	return true;
}

static bool test_ipv6_addresses(void)
{
	KTAP_EXPECT(addr_is("[2001:db8::1]:4000", AF_INET6, "2001:db8::1",
			    4000));
	KTAP_EXPECT(addr_is("[2001:db8::1]", AF_INET6, "2001:db8::1",
			    DIODE_DEFAULT_PORT));
	KTAP_EXPECT(addr_is("2001:db8::1", AF_INET6, "2001:db8::1",
			    DIODE_DEFAULT_PORT));
	KTAP_EXPECT(addr_is("[::]", AF_INET6, "::", DIODE_DEFAULT_PORT));
	KTAP_EXPECT(addr_is("[::]:9", AF_INET6, "::", 9));
	KTAP_EXPECT(addr_is("::1", AF_INET6, "::1", DIODE_DEFAULT_PORT));
	KTAP_EXPECT(addr_is("[::ffff:192.0.2.1]:80", AF_INET6,
			    "::ffff:192.0.2.1", 80));
	/* Without brackets the last group is part of the address. */
	KTAP_EXPECT(addr_is("2001:db8::1:80", AF_INET6, "2001:db8::1:80",
			    DIODE_DEFAULT_PORT));
	return true;
}

static bool test_ipv6_scope(void)
{
	struct diode_addr addr;
	struct parse_error e;
	char text[ADDR_TEXT_SIZE];

	KTAP_EXPECT(!parse_addr("[fe80::1%7]:80", &addr, &e));
	KTAP_EXPECT(addr.in6.sin6_scope_id == 7);
	KTAP_EXPECT(!parse_addr("fe80::1%lo", &addr, &e));
	KTAP_EXPECT(addr.in6.sin6_scope_id == if_nametoindex("lo"));
	KTAP_EXPECT(addr_rejected("[fe80::1%no-such-if0]"));
	KTAP_EXPECT(addr_rejected("[fe80::1%0]"));
	KTAP_EXPECT(addr_rejected("[fe80::1%]"));
	KTAP_EXPECT(addr_rejected("192.0.2.1%lo"));
	KTAP_EXPECT(!parse_addr("[fe80::1%4000000]:80", &addr, &e));
	format_addr(&addr, text);
	KTAP_EXPECT(!strcmp(text, "[fe80::1%4000000]:80"));
	return true;
}

static bool test_bad_addresses(void)
{
	static const char *const bad[] = {
		"", "192.0.2", "192.0.2.256", "192.0.2.1.5", "01.2.3.4",
		"192.0.2.1:", "192.0.2.1:x", "192.0.2.1:80:81", "host.example",
		"anything", "[192.0.2.1]", "[::1", "::1]", "[::1]x", "[::1]:",
		"[::1]80", "[]", "[::1]:80:", "2001:db8::g", "[2001:db8:::1]",
		"any:0",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!addr_rejected(bad[i])) {
			ktap_diag("'%s' not rejected well", bad[i]);
			return false;
		}
	}
	return true;
}

static bool port_rejected(const char *word)
{
	struct parse_error e;
	uint16_t port;

	return parse_port(word, &port, &e) && strstr(e.msg, word);
}

static bool test_ports(void)
{
	struct parse_error e;
	uint16_t port;

	KTAP_EXPECT(!parse_port("1", &port, &e) && port == 1);
	KTAP_EXPECT(!parse_port("65535", &port, &e) && port == 65535);
	KTAP_EXPECT(!parse_port("051555", &port, &e) && port == 51555);
	KTAP_EXPECT(port_rejected("0"));
	KTAP_EXPECT(port_rejected("65536"));
	KTAP_EXPECT(port_rejected("4294967297"));
	KTAP_EXPECT(port_rejected("-1"));
	KTAP_EXPECT(port_rejected("+80"));
	KTAP_EXPECT(port_rejected(" 80"));
	KTAP_EXPECT(port_rejected("80 "));
	KTAP_EXPECT(port_rejected("0x50"));
	KTAP_EXPECT(parse_port("", &port, &e));
	/* The address parser reports the port and the whole word. */
	KTAP_EXPECT(parse_addr("192.0.2.1:0", &(struct diode_addr){}, &e));
	KTAP_EXPECT(strstr(e.msg, "port '0'") && strstr(e.msg, "192.0.2.1:0"));
	KTAP_EXPECT(parse_addr("[::1]:65536", &(struct diode_addr){}, &e));
	KTAP_EXPECT(strstr(e.msg, "port '65536'"));
	return true;
}

static bool test_format_addr(void)
{
	static const char *const words[] = {
		"192.0.2.1:80", "0.0.0.0:51555", "[2001:db8::1]:65535",
		"[::]:51555",
	};
	struct diode_addr addr;
	struct parse_error e;
	char text[ADDR_TEXT_SIZE];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++) {
		KTAP_EXPECT(!parse_addr(words[i], &addr, &e));
		format_addr(&addr, text);
		if (strcmp(text, words[i])) {
			ktap_diag("'%s' printed as '%s'", words[i], text);
			return false;
		}
	}
	KTAP_EXPECT(!parse_addr("any", &addr, &e));
	format_addr(&addr, text);
	KTAP_EXPECT(!strcmp(text, "0.0.0.0:51555"));
	return true;
}

static bool window_is(const char *word, uint32_t expected)
{
	struct parse_error e;
	uint32_t window;

	return !parse_replay_window(word, &window, &e) && window == expected;
}

static bool window_rejected(const char *word)
{
	struct parse_error e;
	uint32_t window;

	return parse_replay_window(word, &window, &e) && strstr(e.msg, word);
}

static bool test_replay_window(void)
{
	KTAP_EXPECT(window_is("64", 64));
	KTAP_EXPECT(window_is("8192", 8192));
	KTAP_EXPECT(window_is("65536", 65536));
	KTAP_EXPECT(window_rejected("0"));
	KTAP_EXPECT(window_rejected("63"));
	KTAP_EXPECT(window_rejected("100"));
	KTAP_EXPECT(window_rejected("96"));
	KTAP_EXPECT(window_rejected("65504"));
	KTAP_EXPECT(window_rejected("65472") == false);
	KTAP_EXPECT(window_rejected("65600"));
	KTAP_EXPECT(window_rejected("131072"));
	KTAP_EXPECT(window_rejected("4294967296"));
	KTAP_EXPECT(window_rejected("18446744073709551680"));
	KTAP_EXPECT(window_rejected("-64"));
	KTAP_EXPECT(window_rejected("8k"));
	KTAP_EXPECT(window_rejected("0x2000"));
	return true;
}

static bool time_is(const char *word, uint32_t expected)
{
	struct parse_error e;
	uint32_t v;

	return !parse_rekey_time(word, &v, &e) && v == expected;
}

static bool time_rejected(const char *word)
{
	struct parse_error e;
	uint32_t v;

	return parse_rekey_time(word, &v, &e) && strstr(e.msg, word) &&
	       strstr(e.msg, "from 1 to 604800");
}

static bool frames_is(const char *word, uint64_t expected)
{
	struct parse_error e;
	uint64_t v;

	return !parse_rekey_frames(word, &v, &e) && v == expected;
}

static bool frames_rejected(const char *word)
{
	struct parse_error e;
	uint64_t v;

	return parse_rekey_frames(word, &v, &e) && strstr(e.msg, word) &&
	       strstr(e.msg, "from 1024 to 4294967296");
}

static bool age_is(const char *word, uint32_t expected)
{
	struct parse_error e;
	uint32_t v;

	return !parse_max_session_age(word, &v, &e) && v == expected;
}

static bool age_rejected(const char *word)
{
	struct parse_error e;
	uint32_t v;

	return parse_max_session_age(word, &v, &e) && strstr(e.msg, word) &&
	       strstr(e.msg, "0 for no limit");
}

static bool test_rekey_limits(void)
{
	KTAP_EXPECT(time_is("1", DIODE_REKEY_TIME_MIN));
	KTAP_EXPECT(time_is("120", DIODE_REKEY_TIME_DEFAULT));
	KTAP_EXPECT(time_is("604800", DIODE_REKEY_TIME_MAX));
	KTAP_EXPECT(time_rejected("0"));
	KTAP_EXPECT(time_rejected("604801"));
	KTAP_EXPECT(time_rejected("4294967296"));
	KTAP_EXPECT(time_rejected("-1"));
	KTAP_EXPECT(time_rejected("2m"));
	KTAP_EXPECT(time_rejected(" 5"));
	KTAP_EXPECT(time_rejected(""));

	KTAP_EXPECT(frames_is("1024", DIODE_REKEY_FRAMES_MIN));
	KTAP_EXPECT(frames_is("1073741824", DIODE_REKEY_FRAMES_DEFAULT));
	KTAP_EXPECT(frames_is("4294967296", DIODE_REKEY_FRAMES_MAX));
	KTAP_EXPECT(frames_rejected("1023"));
	KTAP_EXPECT(frames_rejected("0"));
	KTAP_EXPECT(frames_rejected("4294967297"));
	KTAP_EXPECT(frames_rejected("18446744073709551615"));
	KTAP_EXPECT(frames_rejected("18446744073709551616"));
	KTAP_EXPECT(frames_rejected("99999999999999999999999"));
	KTAP_EXPECT(frames_rejected("0x400"));
	KTAP_EXPECT(frames_rejected("1e9"));

	KTAP_EXPECT(age_is("0", 0));
	KTAP_EXPECT(age_is("3600", 3600));
	KTAP_EXPECT(age_is("4294967295", UINT32_MAX));
	KTAP_EXPECT(age_rejected("4294967296"));
	KTAP_EXPECT(age_rejected("-0"));
	KTAP_EXPECT(age_rejected("none"));
	KTAP_EXPECT(age_rejected("1h"));
	return true;
}

static bool test_modes_and_names(void)
{
	struct parse_error e;
	uint8_t mode;

	KTAP_EXPECT(!parse_mode("tx", &mode, &e) && mode == DIODE_MODE_TX);
	KTAP_EXPECT(!parse_mode("rx", &mode, &e) && mode == DIODE_MODE_RX);
	KTAP_EXPECT(!parse_mode("none", &mode, &e) && mode == DIODE_MODE_NONE);
	KTAP_EXPECT(parse_mode("TX", &mode, &e) && strstr(e.msg, "'TX'"));
	KTAP_EXPECT(!strcmp(mode_name(DIODE_MODE_RX), "rx"));
	KTAP_EXPECT(mode_name(DIODE_MODE_MAX + 1) == NULL);

	KTAP_EXPECT(!parse_ifname("diode0", &e));
	KTAP_EXPECT(!parse_ifname("abcdefghijklmno", &e));
	KTAP_EXPECT(parse_ifname("abcdefghijklmnop", &e));
	KTAP_EXPECT(parse_ifname("", &e));
	KTAP_EXPECT(parse_ifname(".", &e));
	KTAP_EXPECT(parse_ifname("..", &e));
	KTAP_EXPECT(parse_ifname("a/b", &e) && strstr(e.msg, "'a/b'"));
	KTAP_EXPECT(parse_ifname("a:b", &e));
	KTAP_EXPECT(parse_ifname("a b", &e));
	KTAP_EXPECT(parse_ifname("a\tb", &e));
	return true;
}

static bool key_matches(const char *text, const char *expected_base64)
{
	uint8_t key[DIODE_KEY_LEN];
	char out[KEY_BASE64_SIZE];
	struct parse_error e;

	if (key_from_base64(text, strlen(text), key, &e))
		return false;
	key_to_base64(key, out);
	return !strcmp(out, expected_base64);
}

/* Rejected, with a message that never quotes the (maybe secret) text. */
static bool key_rejected(const char *text)
{
	uint8_t key[DIODE_KEY_LEN];
	struct parse_error e;

	if (!key_from_base64(text, strlen(text), key, &e))
		return false;
	return !*text || !strstr(e.msg, text);
}

static bool test_base64_keys(void)
{
	KTAP_EXPECT(key_matches(alice_public, alice_public));
	KTAP_EXPECT(key_matches("  hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=\r\n",
				alice_public));
	KTAP_EXPECT(key_rejected(""));
	KTAP_EXPECT(key_rejected("\n"));
	/* 43 characters, 45, and the padding missing. */
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo"));
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=="));
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmoA"));
	/* A character outside the alphabet, URL-safe base64, inner space. */
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066Spjqqb*mo="));
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo="));
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2 Og0mOBr066SpjqqbTmo="));
	/* 'p' leaves low bits set that a 32-byte key cannot have. */
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmp="));
	/* 48 characters: 36 bytes. */
	KTAP_EXPECT(key_rejected("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmoAAAA="));
	return true;
}

static bool public_key_of(const char *private_base64, const char *expected)
{
	uint8_t private_key[DIODE_KEY_LEN], public_key[DIODE_KEY_LEN];
	char text[KEY_BASE64_SIZE];
	struct parse_error e;

	if (key_from_base64(private_base64, strlen(private_base64),
			    private_key, &e) ||
	    key_public_from_private(public_key, private_key))
		return false;
	key_to_base64(public_key, text);
	return !strcmp(text, expected);
}

static bool test_rfc7748_public_keys(void)
{
	KTAP_EXPECT(public_key_of(alice_private, alice_public));
	KTAP_EXPECT(public_key_of(bob_private, bob_public));
	return true;
}

static bool test_genkey(void)
{
	uint8_t a[DIODE_KEY_LEN], b[DIODE_KEY_LEN], pub[DIODE_KEY_LEN];
	char text[KEY_BASE64_SIZE];

	key_generate_private(a);
	key_generate_private(b);
	KTAP_EXPECT(memcmp(a, b, DIODE_KEY_LEN));
	/* Clamped as RFC 7748 says. */
	KTAP_EXPECT((a[0] & 7) == 0);
	KTAP_EXPECT((a[31] & 0xc0) == 0x40);
	key_to_base64(a, text);
	KTAP_EXPECT(strlen(text) == 44 && text[43] == '=');
	KTAP_EXPECT(!key_public_from_private(pub, a));
	KTAP_EXPECT(!key_is_zero(pub));
	key_generate_preshared(a);
	key_generate_preshared(b);
	KTAP_EXPECT(memcmp(a, b, DIODE_KEY_LEN));
	return true;
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(text, f);
	return !fclose(f);
}

static bool test_key_files(void)
{
	char path[] = "/tmp/diodectl-test-XXXXXX";
	uint8_t key[DIODE_KEY_LEN];
	char text[KEY_BASE64_SIZE];
	struct parse_error e;
	char long_text[KEY_FILE_MAX + 2];
	int fd;

	fd = mkstemp(path);
	KTAP_EXPECT(fd >= 0);
	close(fd);

	KTAP_EXPECT(write_file(path, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n"));
	KTAP_EXPECT(!key_read_file("private-key", path, key, &e));
	key_to_base64(key, text);
	KTAP_EXPECT(!strcmp(text, alice_private));

	KTAP_EXPECT(write_file(path, "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC=\n"));
	KTAP_EXPECT(key_read_file("private-key", path, key, &e));
	KTAP_EXPECT(strstr(e.msg, "private-key") && strstr(e.msg, path));
	KTAP_EXPECT(!strstr(e.msg, "dwdtCnMY"));

	/* Whitespace around a key fits, a longer file does not. */
	memset(long_text, ' ', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	memcpy(long_text + 10, alice_private, 44);
	long_text[sizeof(long_text) - 2] = '\0';
	KTAP_EXPECT(write_file(path, long_text));
	KTAP_EXPECT(!key_read_file("private-key", path, key, &e));
	long_text[sizeof(long_text) - 2] = ' ';
	KTAP_EXPECT(write_file(path, long_text));
	KTAP_EXPECT(key_read_file("private-key", path, key, &e));
	KTAP_EXPECT(strstr(e.msg, "too long"));

	KTAP_EXPECT(write_file(path, ""));
	KTAP_EXPECT(key_read_file("preshared-key", path, key, &e));

	unlink(path);
	KTAP_EXPECT(key_read_file("preshared-key", path, key, &e));
	KTAP_EXPECT(strstr(e.msg, "No such file"));
	return true;
}

static char *json_of(const char *s)
{
	char *text = NULL;
	size_t size;
	FILE *f = open_memstream(&text, &size);

	json_write_string(f, s);
	fclose(f);
	return text;
}

static bool json_is(const char *s, const char *expected)
{
	char *text = json_of(s);
	bool ok = text && !strcmp(text, expected);

	if (!ok)
		ktap_diag("JSON of '%s' is %s, not %s", s, text, expected);
	free(text);
	return ok;
}

static bool test_json_escaping(void)
{
	KTAP_EXPECT(json_is("diode0", "\"diode0\""));
	KTAP_EXPECT(json_is("", "\"\""));
	KTAP_EXPECT(json_is("a\"b", "\"a\\\"b\""));
	KTAP_EXPECT(json_is("a\\b", "\"a\\\\b\""));
	KTAP_EXPECT(json_is("\n\r\t", "\"\\n\\r\\t\""));
	KTAP_EXPECT(json_is("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""));
	KTAP_EXPECT(json_is("/", "\"/\""));
	/* UTF-8 passes; what is not UTF-8 becomes U+FFFD. */
	KTAP_EXPECT(json_is("d\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
			    "\"d\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""));
	KTAP_EXPECT(json_is("\xff", "\"\\ufffd\""));
	KTAP_EXPECT(json_is("\xc0\x80", "\"\\ufffd\\ufffd\""));
	KTAP_EXPECT(json_is("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""));
	/* Overlong encodings of U+07FF and U+FFFF. */
	KTAP_EXPECT(json_is("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\""));
	KTAP_EXPECT(json_is("\xf0\x8f\xbf\xbf",
			    "\"\\ufffd\\ufffd\\ufffd\\ufffd\""));
	KTAP_EXPECT(json_is("\xf4\x90\x80\x80",
			    "\"\\ufffd\\ufffd\\ufffd\\ufffd\""));
	KTAP_EXPECT(json_is("a\xc3", "\"a\\ufffd\""));
	KTAP_EXPECT(json_is("\xe2\x82", "\"\\ufffd\\ufffd\""));
	return true;
}

static bool test_json_writer(void)
{
	struct json_writer j;
	char *text = NULL;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	bool ok;

	json_init(&j, f);
	json_open(&j, NULL, '[');
	json_open(&j, NULL, '{');
	json_string(&j, "name", "x\"y");
	json_u64(&j, "big", UINT64_MAX);
	json_bool(&j, "yes", true);
	json_null(&j, "none");
	json_string(&j, "null string", NULL);
	json_open(&j, "empty", '[');
	json_close(&j, ']');
	json_open(&j, "list", '[');
	json_u64(&j, NULL, 1);
	json_u64(&j, NULL, 2);
	json_close(&j, ']');
	json_close(&j, '}');
	json_open(&j, NULL, '{');
	json_close(&j, '}');
	json_close(&j, ']');
	fclose(f);
	ok = !strcmp(text,
		     "[\n"
		     "  {\n"
		     "    \"name\": \"x\\\"y\",\n"
		     "    \"big\": 18446744073709551615,\n"
		     "    \"yes\": true,\n"
		     "    \"none\": null,\n"
		     "    \"null string\": null,\n"
		     "    \"empty\": [],\n"
		     "    \"list\": [\n"
		     "      1,\n"
		     "      2\n"
		     "    ]\n"
		     "  },\n"
		     "  {}\n"
		     "]\n");
	if (!ok)
		ktap_diag("got:\n%s", text);
	free(text);
	KTAP_EXPECT(ok);

	text = NULL;
	f = open_memstream(&text, &size);
	json_init(&j, f);
	json_open(&j, NULL, '[');
	json_close(&j, ']');
	fclose(f);
	ok = !strcmp(text, "[]\n");
	free(text);
	KTAP_EXPECT(ok);
	return true;
}

static bool test_text_safe(void)
{
	char *text = NULL;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	bool ok;

	text_write_safe(f, "a\x1b[2J\\\xc3\xa9~");
	fclose(f);
	ok = !strcmp(text, "a\\x1b[2J\\\\\\xc3\\xa9~");
	if (!ok)
		ktap_diag("got %s", text);
	free(text);
	return ok;
}

/*
 * Rejected with exactly the message expected: the word quoted and what the
 * word should have been.
 */
static bool message_is(int ret, const struct parse_error *e,
		       const char *expected)
{
	if (!ret) {
		ktap_diag("accepted, expected: %s", expected);
		return false;
	}
	if (strcmp(e->msg, expected)) {
		ktap_diag("message '%s', expected '%s'", e->msg, expected);
		return false;
	}
	return true;
}

static bool heartbeat_is(const char *word, uint32_t expected)
{
	struct parse_error e;
	uint32_t ms = 0;

	if (parse_heartbeat_interval(word, &ms, &e)) {
		ktap_diag("'%s' rejected: %s", word, e.msg);
		return false;
	}
	return ms == expected;
}

static bool heartbeat_rejected(const char *word)
{
	struct parse_error e;
	char expected[256];
	uint32_t ms;

	snprintf(expected, sizeof(expected),
		 "invalid heartbeat interval '%s' (100ms to 60s: milliseconds, or a number with the unit ms or s)",
		 word);
	return message_is(parse_heartbeat_interval(word, &ms, &e), &e,
			  expected);
}

static bool test_heartbeat_interval(void)
{
	KTAP_EXPECT(heartbeat_is("100", DIODE_HEARTBEAT_MS_MIN));
	KTAP_EXPECT(heartbeat_is("1000", DIODE_HEARTBEAT_MS_DEFAULT));
	KTAP_EXPECT(heartbeat_is("60000", DIODE_HEARTBEAT_MS_MAX));
	KTAP_EXPECT(heartbeat_is("500ms", 500));
	KTAP_EXPECT(heartbeat_is("2s", 2000));
	KTAP_EXPECT(heartbeat_is("60s", 60000));
	KTAP_EXPECT(heartbeat_is("0100ms", 100));
	KTAP_EXPECT(heartbeat_rejected("99"));
	KTAP_EXPECT(heartbeat_rejected("60001"));
	KTAP_EXPECT(heartbeat_rejected("0s"));
	KTAP_EXPECT(heartbeat_rejected("61s"));
	/* 2^32 s would wrap around to 0 ms in 32 bits, 2^32 ms to 0. */
	KTAP_EXPECT(heartbeat_rejected("4294967296s"));
	KTAP_EXPECT(heartbeat_rejected("4294967396"));
	KTAP_EXPECT(heartbeat_rejected("500us"));
	KTAP_EXPECT(heartbeat_rejected("1m"));
	KTAP_EXPECT(heartbeat_rejected("1.5s"));
	KTAP_EXPECT(heartbeat_rejected("ms"));
	KTAP_EXPECT(heartbeat_rejected("-500"));
	KTAP_EXPECT(heartbeat_rejected("500 ms"));
	KTAP_EXPECT(heartbeat_rejected("500MS"));
	KTAP_EXPECT(heartbeat_rejected(""));
	return true;
}

static bool test_redundancy_and_interleave(void)
{
	struct parse_error e;
	uint8_t v;

	KTAP_EXPECT(!parse_redundancy("1", &v, &e) && v == 1);
	KTAP_EXPECT(!parse_redundancy("8", &v, &e) && v == DIODE_REDUNDANCY_MAX);
	KTAP_EXPECT(message_is(parse_redundancy("0", &v, &e), &e,
			       "invalid redundancy '0' (1 to 8 copies of every frame)"));
	KTAP_EXPECT(message_is(parse_redundancy("9", &v, &e), &e,
			       "invalid redundancy '9' (1 to 8 copies of every frame)"));
	/* 257 would be 1 in a u8. */
	KTAP_EXPECT(parse_redundancy("257", &v, &e));
	KTAP_EXPECT(parse_redundancy("x", &v, &e));
	KTAP_EXPECT(parse_redundancy("-1", &v, &e));

	KTAP_EXPECT(!parse_interleave("1", &v, &e) && v == 1);
	KTAP_EXPECT(!parse_interleave("16", &v, &e) &&
		    v == DIODE_FEC_INTERLEAVE_MAX);
	KTAP_EXPECT(message_is(parse_interleave("0", &v, &e), &e,
			       "invalid interleave '0' (1 to 16 FEC groups filled in turn)"));
	KTAP_EXPECT(message_is(parse_interleave("17", &v, &e), &e,
			       "invalid interleave '17' (1 to 16 FEC groups filled in turn)"));
	KTAP_EXPECT(parse_interleave("272", &v, &e));
	KTAP_EXPECT(parse_interleave("4x", &v, &e));
	return true;
}

static bool fec_rejected(const char *word)
{
	struct parse_error e;
	char expected[256];
	uint8_t data, parity;

	snprintf(expected, sizeof(expected),
		 "invalid FEC '%s' (K/M: 1 to 32 data frames and 1 to 16 parity frames per group, as 16/4; or off)",
		 word);
	return message_is(parse_fec(word, &data, &parity, &e), &e, expected);
}

static bool test_fec(void)
{
	struct parse_error e;
	uint8_t data, parity;

	KTAP_EXPECT(!parse_fec("16/4", &data, &parity, &e) && data == 16 &&
		    parity == 4);
	KTAP_EXPECT(!parse_fec("1/1", &data, &parity, &e) && data == 1 &&
		    parity == 1);
	KTAP_EXPECT(!parse_fec("32/16", &data, &parity, &e) &&
		    data == DIODE_FEC_DATA_MAX && parity == DIODE_FEC_PARITY_MAX);
	/* off: data 0, and the parity count is left alone. */
	parity = 7;
	KTAP_EXPECT(!parse_fec("off", &data, &parity, &e) && data == 0 &&
		    parity == 7);
	KTAP_EXPECT(fec_rejected("0/4"));
	KTAP_EXPECT(fec_rejected("33/4"));
	KTAP_EXPECT(fec_rejected("16/0"));
	KTAP_EXPECT(fec_rejected("16/17"));
	KTAP_EXPECT(fec_rejected("16"));
	KTAP_EXPECT(fec_rejected("16/"));
	KTAP_EXPECT(fec_rejected("/4"));
	KTAP_EXPECT(fec_rejected("16/4/2"));
	KTAP_EXPECT(fec_rejected("16:4"));
	KTAP_EXPECT(fec_rejected("0016/4"));
	KTAP_EXPECT(fec_rejected("272/4"));
	KTAP_EXPECT(fec_rejected("16/260"));
	KTAP_EXPECT(fec_rejected("-1/4"));
	KTAP_EXPECT(fec_rejected("OFF"));
	KTAP_EXPECT(fec_rejected("none"));
	KTAP_EXPECT(fec_rejected(""));
	return true;
}

static bool rate_is(const char *word, uint64_t expected)
{
	struct parse_error e;
	uint64_t bits = 1;

	if (parse_rate(word, &bits, &e)) {
		ktap_diag("'%s' rejected: %s", word, e.msg);
		return false;
	}
	return bits == expected;
}

static bool rate_rejected(const char *word)
{
	struct parse_error e;
	char expected[256];
	uint64_t bits;

	snprintf(expected, sizeof(expected),
		 "invalid rate '%s' (bits per second: a whole number with an optional unit bit, kbit, mbit, gbit or tbit, as 100mbit; 0 or none for no limit)",
		 word);
	return message_is(parse_rate(word, &bits, &e), &e, expected);
}

static bool rate_too_large(const char *word)
{
	struct parse_error e;
	char expected[256];
	uint64_t bits;

	snprintf(expected, sizeof(expected),
		 "invalid rate '%s' (too large: at most 18446744073709551615bit)",
		 word);
	return message_is(parse_rate(word, &bits, &e), &e, expected);
}

static bool rate_prints(uint64_t bits, const char *expected)
{
	char text[RATE_TEXT_SIZE];

	format_rate(bits, text);
	if (strcmp(text, expected)) {
		ktap_diag("%llu printed as '%s', not '%s'",
			  (unsigned long long)bits, text, expected);
		return false;
	}
	return rate_is(text, bits);
}

static bool test_rate(void)
{
	KTAP_EXPECT(rate_is("0", 0));
	KTAP_EXPECT(rate_is("none", 0));
	KTAP_EXPECT(rate_is("0mbit", 0));
	KTAP_EXPECT(rate_is("1", 1));
	KTAP_EXPECT(rate_is("9600", 9600));
	KTAP_EXPECT(rate_is("9600bit", 9600));
	KTAP_EXPECT(rate_is("64kbit", 64000));
	KTAP_EXPECT(rate_is("100mbit", 100000000));
	KTAP_EXPECT(rate_is("10gbit", 10000000000ULL));
	KTAP_EXPECT(rate_is("2tbit", 2000000000000ULL));
	KTAP_EXPECT(rate_is("18446744073709551615", UINT64_MAX));
	KTAP_EXPECT(rate_is("18446744tbit", 18446744000000000000ULL));
	KTAP_EXPECT(rate_too_large("18446744073709551616"));
	KTAP_EXPECT(rate_too_large("18446745tbit"));
	KTAP_EXPECT(rate_too_large("18446744073709552kbit"));
	KTAP_EXPECT(rate_rejected("-1"));
	KTAP_EXPECT(rate_rejected("-100mbit"));
	KTAP_EXPECT(rate_rejected("+100mbit"));
	KTAP_EXPECT(rate_rejected("1.5gbit"));
	KTAP_EXPECT(rate_rejected("100Mbit"));
	KTAP_EXPECT(rate_rejected("100mbps"));
	KTAP_EXPECT(rate_rejected("100mibit"));
	KTAP_EXPECT(rate_rejected("100 mbit"));
	KTAP_EXPECT(rate_rejected("mbit"));
	KTAP_EXPECT(rate_rejected("100mbitx"));
	KTAP_EXPECT(rate_rejected("0x10"));
	KTAP_EXPECT(rate_rejected("unlimited"));
	KTAP_EXPECT(rate_rejected(""));
	/* Printed in the largest unit that keeps it whole, and back. */
	KTAP_EXPECT(rate_prints(100000000, "100mbit"));
	KTAP_EXPECT(rate_prints(1500000, "1500kbit"));
	KTAP_EXPECT(rate_prints(2000000000000ULL, "2tbit"));
	KTAP_EXPECT(rate_prints(999, "999bit"));
	KTAP_EXPECT(rate_prints(UINT64_MAX, "18446744073709551615bit"));
	KTAP_EXPECT(rate_prints(0, "0"));
	return true;
}

static bool test_encap(void)
{
	struct parse_error e;
	uint8_t encap = 9;

	KTAP_EXPECT(!parse_encap("udp", &encap, &e) &&
		    encap == DIODE_ENCAP_UDP);
	KTAP_EXPECT(!parse_encap("eth", &encap, &e) &&
		    encap == DIODE_ENCAP_ETH);
	KTAP_EXPECT(message_is(parse_encap("ip", &encap, &e), &e,
			       "invalid encapsulation 'ip' (expected udp or eth)"));
	KTAP_EXPECT(message_is(parse_encap("UDP", &encap, &e), &e,
			       "invalid encapsulation 'UDP' (expected udp or eth)"));
	KTAP_EXPECT(parse_encap("", &encap, &e));
	KTAP_EXPECT(!strcmp(encap_name(DIODE_ENCAP_ETH), "eth"));
	KTAP_EXPECT(encap_name(DIODE_ENCAP_MAX + 1) == NULL);
	return true;
}

static bool test_lower(void)
{
	char name[IFNAMSIZ] = "x";
	struct parse_error e;
	uint32_t ifindex = 5;

	KTAP_EXPECT(!parse_lower("lo", &ifindex, name, &e));
	KTAP_EXPECT(ifindex == if_nametoindex("lo") && ifindex &&
		    !strcmp(name, "lo"));
	KTAP_EXPECT(!parse_lower("none", &ifindex, name, &e));
	KTAP_EXPECT(ifindex == 0 && !name[0]);
	KTAP_EXPECT(message_is(parse_lower("no-such-if0", &ifindex, name, &e),
			       &e, "lower device 'no-such-if0' does not exist (expected a device of this network namespace, or none)"));
	KTAP_EXPECT(message_is(parse_lower("a/b", &ifindex, name, &e), &e,
			       "invalid lower device 'a/b' (a device name, or none)"));
	KTAP_EXPECT(message_is(parse_lower("0123456789abcdef", &ifindex, name,
					   &e), &e,
			       "invalid lower device '0123456789abcdef' (a device name, or none)"));
	KTAP_EXPECT(parse_lower("", &ifindex, name, &e));
	return true;
}

static bool ethertype_rejected(const char *word)
{
	struct parse_error e;
	char expected[256];
	uint16_t v;

	snprintf(expected, sizeof(expected),
		 "invalid EtherType '%s' (0x0600 to 0xffff, in hex as 0x88b5 or in decimal)",
		 word);
	return message_is(parse_ethertype(word, &v, &e), &e, expected);
}

static bool test_ethertype(void)
{
	struct parse_error e;
	uint16_t v;

	KTAP_EXPECT(!parse_ethertype("0x88b5", &v, &e) &&
		    v == DIODE_ETHERTYPE_DEFAULT);
	KTAP_EXPECT(!parse_ethertype("0X88B5", &v, &e) && v == 0x88b5);
	KTAP_EXPECT(!parse_ethertype("34997", &v, &e) && v == 0x88b5);
	KTAP_EXPECT(!parse_ethertype("0x0600", &v, &e) && v == 0x0600);
	KTAP_EXPECT(!parse_ethertype("1536", &v, &e) && v == 0x0600);
	KTAP_EXPECT(!parse_ethertype("0xffff", &v, &e) && v == 0xffff);
	KTAP_EXPECT(ethertype_rejected("0x05ff"));
	KTAP_EXPECT(ethertype_rejected("1535"));
	KTAP_EXPECT(ethertype_rejected("0"));
	KTAP_EXPECT(ethertype_rejected("0x10000"));
	KTAP_EXPECT(ethertype_rejected("65536"));
	KTAP_EXPECT(ethertype_rejected("0x1000000000000000088b5"));
	KTAP_EXPECT(ethertype_rejected("0x"));
	KTAP_EXPECT(ethertype_rejected("0x88g5"));
	KTAP_EXPECT(ethertype_rejected("88b5"));
	KTAP_EXPECT(ethertype_rejected("-0x88b5"));
	KTAP_EXPECT(ethertype_rejected(" 0x88b5"));
	KTAP_EXPECT(ethertype_rejected(""));
	return true;
}

/* The EtherTypes the kernel or the link handles are refused by name. */
static bool test_ethertype_taken(void)
{
	static const struct {
		const char *word;
		const char *message;
	} taken[] = {
		{ "0x0800", "invalid EtherType '0x0800' (0x0800 is IPv4's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)" },
		{ "2054", "invalid EtherType '2054' (0x0806 is ARP's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)" },
		{ "0x86DD", "invalid EtherType '0x86DD' (0x86dd is IPv6's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)" },
		{ "0x8100", "invalid EtherType '0x8100' (0x8100 is 802.1Q VLAN's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)" },
		{ "0x88a8", "invalid EtherType '0x88a8' (0x88a8 is 802.1ad VLAN's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)" },
		{ "0x9100", "invalid EtherType '0x9100' (0x9100 is QinQ VLAN's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)" },
	};
	static const uint16_t also_taken[] = {
		0x8035, 0x8847, 0x8848, 0x8863, 0x8864, 0x88cc, 0x88e5,
		0x88f7, 0x8808, 0x8809, 0x9200, 0x9300,
	};
	struct parse_error e;
	uint16_t v = 0x1234;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(taken); i++) {
		KTAP_EXPECT(message_is(parse_ethertype(taken[i].word, &v, &e),
				       &e, taken[i].message));
		KTAP_EXPECT(v == 0x1234);
	}
	for (i = 0; i < ARRAY_SIZE(also_taken); i++)
		KTAP_EXPECT(ethertype_taken(also_taken[i]));
	/* diode's own, and others nobody on the link handles. */
	KTAP_EXPECT(!ethertype_taken(0x88b5) && !ethertype_taken(0x88b6));
	KTAP_EXPECT(!parse_ethertype("0x88b6", &v, &e) && v == 0x88b6);
	KTAP_EXPECT(!parse_ethertype("0x0801", &v, &e) && v == 0x0801);
	KTAP_EXPECT(!parse_ethertype("0x9000", &v, &e) && v == 0x9000);
	return true;
}

static bool rx_mark_rejected(const char *word)
{
	struct parse_error e;
	uint64_t created = 7, counter = 8;
	char expected[256];

	snprintf(expected, sizeof(expected),
		 "invalid rx-mark '%s' (CREATED:COUNTER, two whole numbers of at most 20 digits, as diodectl show DEV rx-mark prints it)",
		 word);
	return message_is(parse_rx_mark(word, &created, &counter, &e), &e,
			  expected) && created == 7 && counter == 8;
}

static bool test_rx_mark(void)
{
	char text[RX_MARK_TEXT_SIZE];
	uint64_t created, counter;
	struct parse_error e;

	KTAP_EXPECT(!parse_rx_mark("1700000000123456789:42", &created,
				   &counter, &e));
	KTAP_EXPECT(created == 1700000000123456789ULL && counter == 42);
	format_rx_mark(created, counter, text);
	KTAP_EXPECT(!strcmp(text, "1700000000123456789:42"));
	KTAP_EXPECT(!parse_rx_mark("0:0", &created, &counter, &e));
	KTAP_EXPECT(created == 0 && counter == 0);
	KTAP_EXPECT(!parse_rx_mark("18446744073709551615:18446744073709551615",
				   &created, &counter, &e));
	KTAP_EXPECT(created == UINT64_MAX && counter == UINT64_MAX);
	format_rx_mark(created, counter, text);
	KTAP_EXPECT(!strcmp(text, "18446744073709551615:18446744073709551615"));
	KTAP_EXPECT(rx_mark_rejected(""));
	KTAP_EXPECT(rx_mark_rejected(":"));
	KTAP_EXPECT(rx_mark_rejected("12"));
	KTAP_EXPECT(rx_mark_rejected("12:"));
	KTAP_EXPECT(rx_mark_rejected(":12"));
	KTAP_EXPECT(rx_mark_rejected("1:2:3"));
	KTAP_EXPECT(rx_mark_rejected("-1:2"));
	KTAP_EXPECT(rx_mark_rejected("1:+2"));
	KTAP_EXPECT(rx_mark_rejected(" 1:2"));
	KTAP_EXPECT(rx_mark_rejected("1:2\n"));
	KTAP_EXPECT(rx_mark_rejected("0x10:2"));
	KTAP_EXPECT(rx_mark_rejected("18446744073709551616:0"));
	KTAP_EXPECT(rx_mark_rejected("0:18446744073709551616"));
	KTAP_EXPECT(rx_mark_rejected("000000000000000000001:0"));
	KTAP_EXPECT(rx_mark_rejected("2026-12-05T03:41:18Z:4"));
	return true;
}

static bool mac_rejected(const char *word)
{
	struct parse_error e;
	char expected[256];
	uint8_t mac[ETH_ALEN];

	snprintf(expected, sizeof(expected),
		 "invalid destination MAC address '%s' (six bytes in hex, as 02:00:00:00:00:02)",
		 word);
	return message_is(parse_dest_mac(word, mac, &e), &e, expected);
}

static bool test_dest_mac(void)
{
	static const uint8_t expected[ETH_ALEN] = {
		0x02, 0xab, 0xcd, 0xef, 0x00, 0x9f,
	};
	char text[MAC_TEXT_SIZE];
	uint8_t mac[ETH_ALEN];
	struct parse_error e;

	KTAP_EXPECT(!parse_dest_mac("02:ab:cd:ef:00:9f", mac, &e));
	KTAP_EXPECT(!memcmp(mac, expected, ETH_ALEN));
	KTAP_EXPECT(!parse_dest_mac("02:AB:Cd:eF:00:9F", mac, &e));
	KTAP_EXPECT(!memcmp(mac, expected, ETH_ALEN));
	format_mac(mac, text);
	KTAP_EXPECT(!strcmp(text, "02:ab:cd:ef:00:9f"));
	KTAP_EXPECT(!parse_dest_mac("ff:ff:ff:ff:ff:ff", mac, &e));
	KTAP_EXPECT(mac[0] == 0xff && mac[5] == 0xff);
	KTAP_EXPECT(mac_rejected("02:ab:cd:ef:00"));
	KTAP_EXPECT(mac_rejected("02:ab:cd:ef:00:9"));
	KTAP_EXPECT(mac_rejected("02:ab:cd:ef:00:9f:"));
	KTAP_EXPECT(mac_rejected("02:ab:cd:ef:00:9f:01"));
	KTAP_EXPECT(mac_rejected("02-ab-cd-ef-00-9f"));
	KTAP_EXPECT(mac_rejected("2:ab:cd:ef:00:9f"));
	KTAP_EXPECT(mac_rejected("02ab.cdef.009f"));
	KTAP_EXPECT(mac_rejected("02:ab:cd:ef:00:9g"));
	KTAP_EXPECT(mac_rejected(""));
	KTAP_EXPECT(message_is(parse_dest_mac("00:00:00:00:00:00", mac, &e), &e,
			       "invalid destination MAC address '00:00:00:00:00:00' (all zeros is no address)"));
	return true;
}

static int parse_words(struct device *args, struct parse_error *e, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, e);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	return settings_from_words(argc, argv, args, e);
}

static bool test_set_args(void)
{
	struct device a;
	struct parse_error e;
	uint8_t alice[DIODE_KEY_LEN];

	KTAP_EXPECT(!key_from_base64(alice_public, 44, alice, &e));
	KTAP_EXPECT(!parse_words(&a, &e, "diode0", "mode", "tx",
				 "private-key", "/etc/diode/private",
				 "peer", alice_public, "preshared-key", "-",
				 "local", "[::]:4000", "remote", "[2001:db8::2]",
				 "replay-window", "1024", "rekey-after-time", "30",
				 "rekey-after-frames", "2048",
				 "max-session-age", "86400", NULL));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_MODE) | HAS(DIODE_A_PRIVATE_KEY) |
				  HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_PRESHARED_KEY) |
				  HAS(DIODE_A_LOCAL) | HAS(DIODE_A_REMOTE) |
				  HAS(DIODE_A_REPLAY_WINDOW) |
				  HAS(DIODE_A_REKEY_AFTER_TIME) |
				  HAS(DIODE_A_REKEY_AFTER_FRAMES) |
				  HAS(DIODE_A_MAX_SESSION_AGE)));
	KTAP_EXPECT(a.rekey_after_time == 30 && a.rekey_after_frames == 2048 &&
		    a.max_session_age == 86400);
	KTAP_EXPECT(!strcmp(a.ifname, "diode0"));
	KTAP_EXPECT(a.mode == DIODE_MODE_TX);
	KTAP_EXPECT(!strcmp(a.private_key_file, "/etc/diode/private"));
	KTAP_EXPECT(!strcmp(a.preshared_key_file, "-"));
	KTAP_EXPECT(!memcmp(a.peer_public_key, alice, DIODE_KEY_LEN));
	KTAP_EXPECT(a.local.sa.sa_family == AF_INET6 &&
		    ntohs(a.local.in6.sin6_port) == 4000);
	KTAP_EXPECT(a.remote.sa.sa_family == AF_INET6 &&
		    ntohs(a.remote.in6.sin6_port) == DIODE_DEFAULT_PORT);
	KTAP_EXPECT(a.replay_window == 1024);

	/* none unsets an address, whatever the family of the other. */
	KTAP_EXPECT(!parse_words(&a, &e, "diode0", "local", "none", "remote",
				 "[2001:db8::1]", NULL));
	KTAP_EXPECT(a.local.sa.sa_family == AF_UNSPEC && a.local.len == 16);
	KTAP_EXPECT(a.remote.sa.sa_family == AF_INET6);
	KTAP_EXPECT(!parse_words(&a, &e, "diode0", "remote", "none", NULL));
	KTAP_EXPECT(a.present == HAS(DIODE_A_REMOTE) &&
		    a.remote.sa.sa_family == AF_UNSPEC && a.remote.len == 16);

	KTAP_EXPECT(!parse_words(&a, &e, "diode0", "peer", "none",
				 "preshared-key", "none", "private-key",
				 "none", NULL));
	KTAP_EXPECT(key_is_zero(a.peer_public_key));
	KTAP_EXPECT(!a.preshared_key_file && !a.private_key_file);
	KTAP_EXPECT(a.present == (HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_PRESHARED_KEY) |
				  HAS(DIODE_A_PRIVATE_KEY)));
	return true;
}

static bool test_set_args_link(void)
{
	static const uint8_t mac[ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };
	struct device a;
	struct parse_error e;

	KTAP_EXPECT(!parse_words(&a, &e, "diode0", "heartbeat-interval", "2s",
				 "redundancy", "3", "fec", "16/4",
				 "interleave", "4", "rate", "100mbit",
				 "encap", "eth", "lower", "lo",
				 "ethertype", "0x88b6",
				 "dest-mac", "02:00:00:00:00:02", NULL));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_HEARTBEAT_INTERVAL) |
				  HAS(DIODE_A_REDUNDANCY) |
				  HAS(DIODE_A_FEC_DATA) |
				  HAS(DIODE_A_FEC_INTERLEAVE) |
				  HAS(DIODE_A_RATE) | HAS(DIODE_A_ENCAP) |
				  HAS(DIODE_A_LOWER_IFINDEX) |
				  HAS(DIODE_A_ETHERTYPE) |
				  HAS(DIODE_A_DEST_MAC)));
	KTAP_EXPECT(a.heartbeat_interval == 2000 && a.redundancy == 3);
	KTAP_EXPECT(a.fec_data == 16 && a.fec_parity == 4 &&
		    a.fec_interleave == 4);
	KTAP_EXPECT(a.rate == 100000000 && a.encap == DIODE_ENCAP_ETH);
	KTAP_EXPECT(a.lower_ifindex == if_nametoindex("lo") &&
		    !strcmp(a.lower_name, "lo"));
	KTAP_EXPECT(a.ethertype == 0x88b6);
	KTAP_EXPECT(!memcmp(a.dest_mac, mac, ETH_ALEN));

	KTAP_EXPECT(!parse_words(&a, &e, "diode0", "fec", "off", "rate", "none",
				 "lower", "none", "encap", "udp", NULL));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_FEC_DATA) | HAS(DIODE_A_RATE) |
				  HAS(DIODE_A_LOWER_IFINDEX) |
				  HAS(DIODE_A_ENCAP)));
	KTAP_EXPECT(a.fec_data == 0 && a.rate == 0 && a.lower_ifindex == 0 &&
		    a.encap == DIODE_ENCAP_UDP);

	/* A receiver's mark, with other words or alone. */
	KTAP_EXPECT(!parse_words(&a, &e, "diode0", "mode", "rx", "rx-mark",
				 "1700000000123456789:42", NULL));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_MODE) | HAS(DIODE_A_RX_MARK)));
	KTAP_EXPECT(a.rx_mark_created == 1700000000123456789ULL &&
		    a.rx_mark_counter == 42);
	return true;
}

static bool set_rejected(const char *needle, ...)
{
	struct device a;
	struct parse_error e;
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, needle);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	if (!settings_from_words(argc, argv, &a, &e)) {
		ktap_diag("accepted, expected an error with '%s'", needle);
		return false;
	}
	if (!strstr(e.msg, needle) || strchr(e.msg, '\n')) {
		ktap_diag("message '%s' lacks '%s'", e.msg, needle);
		return false;
	}
	return true;
}

static bool test_set_args_rejected(void)
{
	KTAP_EXPECT(set_rejected("device", NULL));
	KTAP_EXPECT(set_rejected("nothing to set", "diode0", NULL));
	KTAP_EXPECT(set_rejected("'bad/name'", "bad/name", "mode", "tx", NULL));
	KTAP_EXPECT(set_rejected("'modes'", "diode0", "modes", "tx", NULL));
	KTAP_EXPECT(set_rejected("'mode' needs a value", "diode0", "mode",
				 NULL));
	KTAP_EXPECT(set_rejected("'mode' is given twice", "diode0", "mode",
				 "tx", "mode", "rx", NULL));
	KTAP_EXPECT(set_rejected("'up'", "diode0", "mode", "up", NULL));
	KTAP_EXPECT(set_rejected("'abc'", "diode0", "peer", "abc", NULL));
	KTAP_EXPECT(set_rejected("'1.2.3'", "diode0", "mode", "tx",
				 "remote", "1.2.3", NULL));
	KTAP_EXPECT(set_rejected("'100'", "diode0", "replay-window", "100",
				 NULL));
	KTAP_EXPECT(set_rejected("'any:80'", "diode0", "remote", "any:80",
				 NULL));
	KTAP_EXPECT(set_rejected("'[::]'", "diode0", "remote", "[::]", NULL));
	KTAP_EXPECT(set_rejected("local 0.0.0.0:51555 and remote [2001:db8::1]:51555",
				 "diode0", "local", "any", "remote",
				 "[2001:db8::1]", NULL));
	KTAP_EXPECT(set_rejected("stdin", "diode0", "private-key", "-",
				 "preshared-key", "-", NULL));
	KTAP_EXPECT(set_rejected("max-session-age, heartbeat-interval, redundancy, fec, interleave, rate, encap, lower, ethertype, dest-mac or rx-mark)",
				 "diode0", "rekey", "5", NULL));
	KTAP_EXPECT(set_rejected("invalid rekey time '0'", "diode0",
				 "rekey-after-time", "0", NULL));
	KTAP_EXPECT(set_rejected("invalid rekey frame count '512'", "diode0",
				 "rekey-after-frames", "512", NULL));
	KTAP_EXPECT(set_rejected("invalid max session age '-5'", "diode0",
				 "max-session-age", "-5", NULL));
	KTAP_EXPECT(set_rejected("'max-session-age' is given twice", "diode0",
				 "max-session-age", "5", "max-session-age", "6",
				 NULL));
	KTAP_EXPECT(set_rejected("'rekey-after-time' needs a value", "diode0",
				 "rekey-after-time", NULL));
	return true;
}

/* Each new word, through set: its own message, and nothing half applied. */
static bool test_set_args_link_rejected(void)
{
	KTAP_EXPECT(set_rejected("'rx-mark' is given twice", "diode0",
				 "rx-mark", "1:2", "rx-mark", "3:4", NULL));
	KTAP_EXPECT(set_rejected("invalid rx-mark '1.5'", "diode0",
				 "rx-mark", "1.5", NULL));
	KTAP_EXPECT(set_rejected("'rx-mark' needs a value", "diode0",
				 "rx-mark", NULL));
	KTAP_EXPECT(set_rejected("invalid heartbeat interval '50ms' (100ms to 60s: milliseconds, or a number with the unit ms or s)",
				 "diode0", "heartbeat-interval", "50ms", NULL));
	KTAP_EXPECT(set_rejected("invalid redundancy '0' (1 to 8 copies of every frame)",
				 "diode0", "redundancy", "0", NULL));
	KTAP_EXPECT(set_rejected("invalid FEC '16/0' (K/M: 1 to 32 data frames and 1 to 16 parity frames per group, as 16/4; or off)",
				 "diode0", "fec", "16/0", NULL));
	KTAP_EXPECT(set_rejected("invalid interleave '17' (1 to 16 FEC groups filled in turn)",
				 "diode0", "interleave", "17", NULL));
	KTAP_EXPECT(set_rejected("invalid rate '10Gbit' (bits per second: a whole number with an optional unit bit, kbit, mbit, gbit or tbit, as 100mbit; 0 or none for no limit)",
				 "diode0", "rate", "10Gbit", NULL));
	KTAP_EXPECT(set_rejected("invalid rate '99999999tbit' (too large: at most 18446744073709551615bit)",
				 "diode0", "rate", "99999999tbit", NULL));
	KTAP_EXPECT(set_rejected("invalid encapsulation 'raw' (expected udp or eth)",
				 "diode0", "encap", "raw", NULL));
	KTAP_EXPECT(set_rejected("lower device 'no-such-if0' does not exist (expected a device of this network namespace, or none)",
				 "diode0", "lower", "no-such-if0", NULL));
	KTAP_EXPECT(set_rejected("invalid EtherType '0x0800x' (0x0600 to 0xffff, in hex as 0x88b5 or in decimal)",
				 "diode0", "ethertype", "0x0800x", NULL));
	KTAP_EXPECT(set_rejected("invalid destination MAC address '02:00:00:00:00' (six bytes in hex, as 02:00:00:00:00:02)",
				 "diode0", "dest-mac", "02:00:00:00:00", NULL));
	KTAP_EXPECT(set_rejected("'fec' is given twice", "diode0", "fec", "off",
				 "fec", "16/4", NULL));
	KTAP_EXPECT(set_rejected("'dest-mac' needs a value", "diode0",
				 "dest-mac", NULL));
	/* A bad word after good ones fails the whole request. */
	KTAP_EXPECT(set_rejected("invalid redundancy '9'", "diode0", "rate",
				 "1gbit", "fec", "8/2", "redundancy", "9",
				 NULL));
	return true;
}

static const struct ktap_test tests[] = {
	{ "ipv4_addresses", test_ipv4_addresses },
	{ "ipv6_addresses", test_ipv6_addresses },
	{ "ipv6_scope", test_ipv6_scope },
	{ "bad_addresses", test_bad_addresses },
	{ "ports", test_ports },
	{ "format_addr", test_format_addr },
	{ "replay_window", test_replay_window },
	{ "rekey_limits", test_rekey_limits },
	{ "modes_and_names", test_modes_and_names },
	{ "base64_keys", test_base64_keys },
	{ "rfc7748_public_keys", test_rfc7748_public_keys },
	{ "genkey", test_genkey },
	{ "key_files", test_key_files },
	{ "json_escaping", test_json_escaping },
	{ "json_writer", test_json_writer },
	{ "text_safe", test_text_safe },
	{ "heartbeat_interval", test_heartbeat_interval },
	{ "redundancy_and_interleave", test_redundancy_and_interleave },
	{ "fec", test_fec },
	{ "rate", test_rate },
	{ "encap", test_encap },
	{ "lower", test_lower },
	{ "ethertype", test_ethertype },
	{ "ethertype_taken", test_ethertype_taken },
	{ "rx_mark", test_rx_mark },
	{ "dest_mac", test_dest_mac },
	{ "set_args", test_set_args },
	{ "set_args_link", test_set_args_link },
	{ "set_args_rejected", test_set_args_rejected },
	{ "set_args_link_rejected", test_set_args_link_rejected },
};

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	return ktap_run_tests(tests, ARRAY_SIZE(tests));
}
