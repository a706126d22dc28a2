// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the configuration files of diodectl: parsing, every
 * error with its line, the resets of setconf, printing, the round trip of
 * printer and parser, and reading files and stdin. Prints KTAP; exits
 * non-zero when any test fails.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../../selftests/unit/ktap.h"
#include "config.h"
#include "keys.h"

/* The bit of struct device's present that an attribute sets. */
#define HAS(attr)	(1ULL << (attr))

/* RFC 7748, section 6.1. */
#define ALICE_PRIVATE	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define ALICE_PUBLIC	"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
#define BOB_PUBLIC	"3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="
#define PSK		"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="

static const char sender[] =
	"# The sender of the plant's diode\n"
	"[Interface]\n"
	"Mode = tx            # tx | rx | none\n"
	"PrivateKey = " ALICE_PRIVATE "\n"
	"Local = 192.0.2.1:51555\n"
	"ReplayWindow = 1024\n"
	"RekeyAfterTime = 60\n"
	"RekeyAfterFrames = 4294967296\n"
	"MaxSessionAge = 3600\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " BOB_PUBLIC "\n"
	"PresharedKey = " PSK "\n"
	"Remote = 192.0.2.2:4000\n";

/* A sender on raw Ethernet, with every setting of link health and loss. */
static const char eth_sender[] =
	"[Interface]\n"
	"Mode = tx\n"
	"HeartbeatInterval = 2s\n"
	"Redundancy = 2\n"
	"FEC = 16/4\n"
	"Interleave = 4\n"
	"Rate = 100mbit\n"
	"Encap = eth\n"
	"Lower = lo\n"
	"EtherType = 0x88B6\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " BOB_PUBLIC "\n"
	"DestMAC = 02:00:00:00:00:0A\n";

static bool key_is(const uint8_t key[DIODE_KEY_LEN], const char *base64)
{
	char text[KEY_BASE64_SIZE];

	key_to_base64(key, text);
	return !strcmp(text, base64);
}

static bool addr_text_is(const struct diode_addr *addr, const char *expected)
{
	char text[ADDR_TEXT_SIZE];

	format_addr(addr, text);
	if (strcmp(text, expected)) {
		ktap_diag("address %s, not %s", text, expected);
		return false;
	}
	return true;
}

/* Parses a copy of text; on failure leaves the line and message. */
static int parse(const char *text, enum config_kind kind,
		 struct device *args, unsigned int *line,
		 struct parse_error *e)
{
	char *copy = strdup(text);
	int ret;

	*line = 0;
	ret = config_parse(copy, strlen(text), kind, args, line, e);
	free(copy);
	return ret;
}

static bool parses(const char *text, enum config_kind kind,
		   struct device *args)
{
	struct parse_error e;
	unsigned int line;

	if (parse(text, kind, args, &line, &e)) {
		ktap_diag("line %u: %s", line, e.msg);
		return false;
	}
	return true;
}

static bool test_sender(void)
{
	struct device a;

	KTAP_EXPECT(parses(sender, CONFIG_SET, &a));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_MODE) | HAS(DIODE_A_PRIVATE_KEY) |
				  HAS(DIODE_A_LOCAL) |
				  HAS(DIODE_A_REPLAY_WINDOW) |
				  HAS(DIODE_A_REKEY_AFTER_TIME) |
				  HAS(DIODE_A_REKEY_AFTER_FRAMES) |
				  HAS(DIODE_A_MAX_SESSION_AGE) |
				  HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_PRESHARED_KEY) |
				  HAS(DIODE_A_REMOTE)));
	KTAP_EXPECT(!a.ifname[0]);
	KTAP_EXPECT(a.mode == DIODE_MODE_TX);
	KTAP_EXPECT(key_is(a.private_key, ALICE_PRIVATE));
	KTAP_EXPECT(key_is(a.peer_public_key, BOB_PUBLIC));
	KTAP_EXPECT(key_is(a.preshared_key, PSK));
	KTAP_EXPECT(addr_text_is(&a.local, "192.0.2.1:51555"));
	KTAP_EXPECT(addr_text_is(&a.remote, "192.0.2.2:4000"));
	KTAP_EXPECT(a.local.len == sizeof(struct sockaddr_in));
	KTAP_EXPECT(a.replay_window == 1024);
	KTAP_EXPECT(a.rekey_after_time == 60);
	KTAP_EXPECT(a.rekey_after_frames == 4294967296ULL);
	KTAP_EXPECT(a.max_session_age == 3600);
	return true;
}

static bool test_eth_sender(void)
{
	static const uint8_t mac[ETH_ALEN] = { 2, 0, 0, 0, 0, 0x0a };
	struct device a;

	KTAP_EXPECT(parses(eth_sender, CONFIG_SET, &a));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_MODE) |
				  HAS(DIODE_A_HEARTBEAT_INTERVAL) |
				  HAS(DIODE_A_REDUNDANCY) |
				  HAS(DIODE_A_FEC_DATA) |
				  HAS(DIODE_A_FEC_INTERLEAVE) |
				  HAS(DIODE_A_RATE) | HAS(DIODE_A_ENCAP) |
				  HAS(DIODE_A_LOWER_IFINDEX) |
				  HAS(DIODE_A_ETHERTYPE) |
				  HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_DEST_MAC)));
	KTAP_EXPECT(a.heartbeat_interval == 2000 && a.redundancy == 2);
	KTAP_EXPECT(a.fec_data == 16 && a.fec_parity == 4 &&
		    a.fec_interleave == 4);
	KTAP_EXPECT(a.rate == 100000000 && a.encap == DIODE_ENCAP_ETH);
	KTAP_EXPECT(a.lower_ifindex == if_nametoindex("lo") &&
		    !strcmp(a.lower_name, "lo"));
	KTAP_EXPECT(a.ethertype == 0x88b6);
	KTAP_EXPECT(!memcmp(a.dest_mac, mac, ETH_ALEN));
	return true;
}

static bool test_case_insensitive(void)
{
	struct device a;

	KTAP_EXPECT(parses("[INTERFACE]\nmode = rx\nPRIVATEKEY = " ALICE_PRIVATE
			   "\nlocal = any\nreplaywindow = 64\n"
			   "REKEYAFTERTIME = 1\nrekeyafterframes = 1024\n"
			   "maxSessionAge = 0\n[peer]\npublickey = " BOB_PUBLIC
			   "\nPRESHAREDKEY = " PSK "\n", CONFIG_SET, &a));
	KTAP_EXPECT(a.mode == DIODE_MODE_RX);
	KTAP_EXPECT(a.present == (HAS(DIODE_A_MODE) | HAS(DIODE_A_PRIVATE_KEY) |
				  HAS(DIODE_A_LOCAL) |
				  HAS(DIODE_A_REPLAY_WINDOW) |
				  HAS(DIODE_A_REKEY_AFTER_TIME) |
				  HAS(DIODE_A_REKEY_AFTER_FRAMES) |
				  HAS(DIODE_A_MAX_SESSION_AGE) |
				  HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_PRESHARED_KEY)));
	KTAP_EXPECT(addr_text_is(&a.local, "0.0.0.0:51555"));
	KTAP_EXPECT(a.replay_window == 64 && a.rekey_after_time == 1 &&
		    a.rekey_after_frames == 1024 && !a.max_session_age);
	KTAP_EXPECT(parses("[interface]\nheartbeatinterval = 100\n"
			   "REDUNDANCY = 1\nfec = off\ninterleave = 1\n"
			   "rate = none\nencap = udp\nlower = none\n"
			   "ethertype = 1536\n[peer]\ndestmac = "
			   "ff:ff:ff:ff:ff:fe\npublickey = " BOB_PUBLIC "\n",
			   CONFIG_ADD, &a));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_HEARTBEAT_INTERVAL) |
				  HAS(DIODE_A_REDUNDANCY) |
				  HAS(DIODE_A_FEC_DATA) |
				  HAS(DIODE_A_FEC_INTERLEAVE) |
				  HAS(DIODE_A_RATE) | HAS(DIODE_A_ENCAP) |
				  HAS(DIODE_A_LOWER_IFINDEX) |
				  HAS(DIODE_A_ETHERTYPE) |
				  HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_DEST_MAC)));
	KTAP_EXPECT(!a.fec_data && !a.rate && !a.lower_ifindex &&
		    a.ethertype == 0x0600 && a.dest_mac[5] == 0xfe);
	return true;
}

static bool test_comments_and_spaces(void)
{
	struct device a;

	/* A byte order mark, CRLF, tabs, comments, no newline at the end. */
	KTAP_EXPECT(parses("\xef\xbb\xbf# comment\r\n"
			   "   # indented comment\r\n"
			   "\t[ Interface ]\t# section comment\r\n"
			   "\r\n"
			   "Mode\t=\ttx#no space before the comment\r\n"
			   "  Local=[2001:db8::1]:9  \r\n"
			   "[Peer]\r\n"
			   "#PresharedKey = " PSK "\r\n"
			   "PublicKey =" BOB_PUBLIC "#\r\n"
			   "Remote = [2001:db8::2]", CONFIG_SET, &a));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_MODE) | HAS(DIODE_A_LOCAL) |
				  HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_REMOTE)));
	KTAP_EXPECT(addr_text_is(&a.local, "[2001:db8::1]:9"));
	KTAP_EXPECT(addr_text_is(&a.remote, "[2001:db8::2]:51555"));
	KTAP_EXPECT(key_is(a.peer_public_key, BOB_PUBLIC));
	return true;
}

/* Refused at line, with a one-line message that holds needle. */
static bool refused(enum config_kind kind, const char *text,
		    unsigned int line, const char *needle)
{
	struct device a;
	struct parse_error e;
	unsigned int at;

	if (!parse(text, kind, &a, &at, &e)) {
		ktap_diag("accepted, expected line %u: %s", line, needle);
		return false;
	}
	if (at != line || !strstr(e.msg, needle) || strchr(e.msg, '\n')) {
		ktap_diag("line %u: '%s', expected line %u: '%s'", at, e.msg,
			  line, needle);
		return false;
	}
	return true;
}

#define IFACE	"[Interface]\nMode = tx\n"
#define PEER	"[Peer]\nPublicKey = " BOB_PUBLIC "\n"

static bool test_errors(void)
{
	static const struct {
		enum config_kind kind;
		const char *text;
		unsigned int line;
		const char *needle;
	} cases[] = {
		{ CONFIG_SET, IFACE "[Peers]\n", 3, "unknown section [Peers]" },
		{ CONFIG_SET, IFACE "[Peer\n", 3, "[Interface] or [Peer]" },
		{ CONFIG_SET, IFACE "[Peer] x\n", 3, "[Interface] or [Peer]" },
		{ CONFIG_SET, IFACE "[]\n", 3, "unknown section" },
		{ CONFIG_SET, IFACE "ListenPort = 5\n" PEER, 3,
		  "unknown key 'ListenPort' in [Interface]" },
		{ CONFIG_SET, IFACE PEER "AllowedIPs = 0.0.0.0/0\n", 5,
		  "unknown key 'AllowedIPs' in [Peer]" },
		{ CONFIG_SET, "Mode = tx\n" IFACE PEER, 1,
		  "Mode is outside a section (it belongs in [Interface])" },
		{ CONFIG_SET, "\n# c\nFoo = 1\n", 3, "unknown key 'Foo'" },
		{ CONFIG_SET, IFACE "mode = rx\n" PEER, 3,
		  "Mode is given twice (first on line 2)" },
		{ CONFIG_SET, IFACE PEER "\npublickey = " ALICE_PUBLIC "\n", 6,
		  "PublicKey is given twice (first on line 4)" },
		{ CONFIG_SET, IFACE PEER "[Peer]\n", 5,
		  "a second [Peer] section (the first is on line 3" },
		{ CONFIG_SET, IFACE "[interface]\n" PEER, 3,
		  "a second [Interface] section (the first is on line 1" },
		{ CONFIG_SET, IFACE "PrivateKey = abc\n" PEER, 3,
		  "invalid PrivateKey: a key is 44 base64 characters, not 3" },
		{ CONFIG_SET, IFACE "PrivateKey = "
		  "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC*=\n" PEER, 3,
		  "invalid PrivateKey: the key is not valid base64" },
		{ CONFIG_SET, IFACE "PrivateKey = "
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" PEER, 3,
		  "invalid PrivateKey: all zeros" },
		{ CONFIG_SET, IFACE "[Peer]\nPublicKey = " ALICE_PUBLIC "A\n", 4,
		  "invalid PublicKey: a key is 44 base64 characters, not 45" },
		{ CONFIG_SET, IFACE PEER "PresharedKey = x y\n", 5,
		  "invalid PresharedKey" },
		{ CONFIG_SET, IFACE "Local = 192.0.2\n" PEER, 3,
		  "invalid address '192.0.2'" },
		{ CONFIG_SET, IFACE "Local = 192.0.2.1:0\n" PEER, 3,
		  "invalid port '0'" },
		{ CONFIG_SET, IFACE PEER "Remote = any\n", 5,
		  "invalid remote 'any'" },
		{ CONFIG_SET, IFACE PEER "Remote = example.com\n", 5,
		  "invalid address 'example.com'" },
		{ CONFIG_SET, IFACE "ReplayWindow = 100\n" PEER, 3,
		  "invalid replay window '100'" },
		{ CONFIG_SET, IFACE "ReplayWindow = -64\n" PEER, 3,
		  "invalid replay window '-64'" },
		{ CONFIG_SET, IFACE "RekeyAfterTime = 0\n" PEER, 3,
		  "invalid rekey time '0' (seconds, from 1 to 604800)" },
		{ CONFIG_SET, IFACE "RekeyAfterTime = 604801\n" PEER, 3,
		  "invalid rekey time '604801'" },
		{ CONFIG_SET, IFACE "RekeyAfterFrames = 1023\n" PEER, 3,
		  "invalid rekey frame count '1023' (from 1024 to 4294967296)" },
		{ CONFIG_SET, IFACE "RekeyAfterFrames = 4294967297\n" PEER, 3,
		  "invalid rekey frame count '4294967297'" },
		{ CONFIG_SET, IFACE "MaxSessionAge = 1h\n" PEER, 3,
		  "invalid max session age '1h'" },
		{ CONFIG_SET, IFACE "MaxSessionAge = 4294967296\n" PEER, 3,
		  "invalid max session age '4294967296'" },
		/* Values are not case-insensitive: modes are as for set. */
		{ CONFIG_SET, "[Interface]\nMode = TX\n" PEER, 2,
		  "invalid mode 'TX'" },
		{ CONFIG_SET, IFACE "Local =\n" PEER, 3, "Local needs a value" },
		{ CONFIG_SET, IFACE "Local = # none\n" PEER, 3,
		  "Local needs a value" },
		{ CONFIG_SET, IFACE "Local\n" PEER, 3, "expected KEY = VALUE" },
		{ CONFIG_SET, IFACE " = 1\n" PEER, 3, "a key is missing" },
		{ CONFIG_SET, IFACE "Local = any\n" PEER
		  "Remote = [2001:db8::1]\n", 6,
		  "Local 0.0.0.0:51555 and Remote [2001:db8::1]:51555 are not of the same address family" },
		{ CONFIG_SET, "[Interface]\nMode = tx\nRemote = 192.0.2.1\n", 3,
		  "Remote belongs in [Peer], not [Interface]" },
		{ CONFIG_SET, IFACE "[Peer]\nLocal = any\n", 4,
		  "Local belongs in [Interface], not [Peer]" },
		/* The settings of link health, loss and Ethernet. */
		{ CONFIG_SET, IFACE "HeartbeatInterval = 99ms\n" PEER, 3,
		  "invalid heartbeat interval '99ms' (100ms to 60s: milliseconds, or a number with the unit ms or s)" },
		{ CONFIG_SET, IFACE "Redundancy = 9\n" PEER, 3,
		  "invalid redundancy '9' (1 to 8 copies of every frame)" },
		{ CONFIG_SET, IFACE "FEC = 16/17\n" PEER, 3,
		  "invalid FEC '16/17' (K/M: 1 to 32 data frames and 1 to 16 parity frames per group, as 16/4; or off)" },
		{ CONFIG_SET, IFACE "Interleave = 0\n" PEER, 3,
		  "invalid interleave '0' (1 to 16 FEC groups filled in turn)" },
		{ CONFIG_SET, IFACE "Rate = 1.5gbit\n" PEER, 3,
		  "invalid rate '1.5gbit' (bits per second: a whole number with an optional unit bit, kbit, mbit, gbit or tbit, as 100mbit; 0 or none for no limit)" },
		{ CONFIG_SET, IFACE "Rate = 20000000tbit\n" PEER, 3,
		  "invalid rate '20000000tbit' (too large: at most 18446744073709551615bit)" },
		{ CONFIG_SET, IFACE "Encap = ETH\n" PEER, 3,
		  "invalid encapsulation 'ETH' (expected udp or eth)" },
		{ CONFIG_SET, IFACE "Lower = no-such-if0\n" PEER, 3,
		  "lower device 'no-such-if0' does not exist (expected a device of this network namespace, or none)" },
		{ CONFIG_SET, IFACE "Lower = eth 1\n" PEER, 3,
		  "invalid lower device 'eth 1' (a device name, or none)" },
		{ CONFIG_SET, IFACE "EtherType = 0x0800 0x86dd\n" PEER, 3,
		  "invalid EtherType '0x0800 0x86dd' (0x0600 to 0xffff, in hex as 0x88b5 or in decimal)" },
		{ CONFIG_SET, IFACE "EtherType = 1500\n" PEER, 3,
		  "invalid EtherType '1500' (0x0600 to 0xffff, in hex as 0x88b5 or in decimal)" },
		{ CONFIG_SET, IFACE PEER "DestMAC = 02:00:00:00:00\n", 5,
		  "invalid destination MAC address '02:00:00:00:00' (six bytes in hex, as 02:00:00:00:00:02)" },
		{ CONFIG_SET, IFACE PEER "DestMAC = 00:00:00:00:00:00\n", 5,
		  "invalid destination MAC address '00:00:00:00:00:00' (all zeros is no address)" },
		{ CONFIG_SET, IFACE "DestMAC = 02:00:00:00:00:02\n" PEER, 3,
		  "DestMAC belongs in [Peer], not [Interface]" },
		{ CONFIG_SET, IFACE PEER "Encap = eth\n", 5,
		  "Encap belongs in [Interface], not [Peer]" },
		{ CONFIG_SET, IFACE PEER "Lower = lo\n", 5,
		  "Lower belongs in [Interface], not [Peer]" },
		{ CONFIG_SET, IFACE PEER "EtherType = 0x88b5\n", 5,
		  "EtherType belongs in [Interface], not [Peer]" },
		{ CONFIG_SET, IFACE "Fec = off\nFEC = 8/2\n" PEER, 4,
		  "FEC is given twice (first on line 3)" },
		{ CONFIG_SET, IFACE "Rate =\n" PEER, 3, "Rate needs a value" },
		{ CONFIG_SET, IFACE "Heartbeat = 1s\n" PEER, 3,
		  "unknown key 'Heartbeat' in [Interface]" },
		/* What is missing: at the section header, or the last line. */
		{ CONFIG_SET, "", 1, "no [Interface] section" },
		{ CONFIG_SET, "# only a comment\n\n", 2, "no [Interface] section" },
		{ CONFIG_SET, PEER "\n# end", 4, "no [Interface] section" },
		{ CONFIG_SET, "# a\n[Interface]\nLocal = any\n" PEER, 2,
		  "[Interface] has no Mode" },
		{ CONFIG_SET, IFACE "\n# end\n", 4, "no [Peer] section" },
		{ CONFIG_SET, IFACE "[Peer]\nRemote = 192.0.2.1\n\n", 3,
		  "[Peer] has no PublicKey" },
		/* addconf: Mode and [Peer] may be absent, not the rest. */
		{ CONFIG_ADD, "", 1, "no [Interface] section" },
		{ CONFIG_ADD, "[Interface]\n[Peer]\nPresharedKey = " PSK "\n", 2,
		  "[Peer] has no PublicKey" },
		{ CONFIG_ADD, "[Interface]\nFoo = bar\n", 2, "unknown key 'Foo'" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (!refused(cases[i].kind, cases[i].text, cases[i].line,
			     cases[i].needle)) {
			ktap_diag("case %zu", i);
			return false;
		}
	}
	return true;
}

/* A NUL inside the text, which strlen() would not see. */
static bool test_nul_byte(void)
{
	static const char text[] = "[Interface]\nMode = tx\nLo\0cal = any\n";
	struct device a;
	struct parse_error e;
	unsigned int line;
	char copy[sizeof(text)];

	memcpy(copy, text, sizeof(text));
	KTAP_EXPECT(config_parse(copy, sizeof(text) - 1, CONFIG_ADD, &a,
				 &line, &e));
	KTAP_EXPECT(line == 3 && strstr(e.msg, "NUL byte"));
	return true;
}

/* A key misplaced anywhere never ends up in the message. */
static bool secret_stays_out(const char *text, const char *secret)
{
	struct device a;
	struct parse_error e;
	unsigned int line;

	if (!parse(text, CONFIG_SET, &a, &line, &e))
		return false;
	if (strstr(e.msg, secret)) {
		ktap_diag("message quotes the key: %s", e.msg);
		return false;
	}
	return true;
}

static bool test_secrets_not_quoted(void)
{
	/* The key's body is quoted in no message, whatever the mistake. */
	static const char body[] = "dwdtCnMYpX08FsFyUbJmRd9M";

	KTAP_EXPECT(secret_stays_out(IFACE ALICE_PRIVATE "\n" PEER, body));
	KTAP_EXPECT(secret_stays_out(IFACE "[" ALICE_PRIVATE "]\n", body));
	KTAP_EXPECT(secret_stays_out(IFACE "PrivateKey = " ALICE_PRIVATE "x\n",
				     body));
	KTAP_EXPECT(secret_stays_out(IFACE "PrivateKey = "
				     "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=\n",
				     body));
	KTAP_EXPECT(secret_stays_out(IFACE "PrivateKey " ALICE_PRIVATE "\n",
				     body));
	KTAP_EXPECT(secret_stays_out(IFACE PEER "PresharedKey = " ALICE_PRIVATE
				     " " ALICE_PRIVATE "\n", body));
	KTAP_EXPECT(secret_stays_out(IFACE "PrivateKey = " ALICE_PRIVATE "\n"
				     "PrivateKey = " ALICE_PRIVATE "\n", body));
	return true;
}

/*
 * setconf leaves the defaults to the kernel: the request carries what the
 * file gives and the replace flag, which returns the rest to its default.
 */
static bool test_setconf_replaces(void)
{
	struct device a;

	KTAP_EXPECT(parses(IFACE PEER, CONFIG_SET, &a));
	KTAP_EXPECT(a.replace);
	/* A receiver's mark is state: no file sets it. */
	KTAP_EXPECT(a.present == (HAS(DIODE_A_MODE) |
				  HAS(DIODE_A_PEER_PUBLIC_KEY)));
	KTAP_EXPECT(key_is(a.peer_public_key, BOB_PUBLIC));

	/* What the file gives is sent. */
	KTAP_EXPECT(parses(sender, CONFIG_SET, &a));
	KTAP_EXPECT(a.replace);
	KTAP_EXPECT(key_is(a.private_key, ALICE_PRIVATE));
	KTAP_EXPECT(key_is(a.preshared_key, PSK));
	KTAP_EXPECT(addr_text_is(&a.local, "192.0.2.1:51555"));
	KTAP_EXPECT(addr_text_is(&a.remote, "192.0.2.2:4000"));
	KTAP_EXPECT(a.replay_window == 1024 && a.rekey_after_time == 60 &&
		    a.rekey_after_frames == 4294967296ULL &&
		    a.max_session_age == 3600);
	KTAP_EXPECT(parses(eth_sender, CONFIG_SET, &a));
	KTAP_EXPECT(a.heartbeat_interval == 2000 && a.redundancy == 2 &&
		    a.fec_data == 16 && a.fec_parity == 4 && a.fec_interleave == 4);
	KTAP_EXPECT(a.rate == 100000000 && a.encap == DIODE_ENCAP_ETH &&
		    !strcmp(a.lower_name, "lo") && a.ethertype == 0x88b6);
	KTAP_EXPECT(a.dest_mac[0] == 2 && a.dest_mac[5] == 0x0a);

	/* addconf keeps what the file leaves out. */
	KTAP_EXPECT(parses(IFACE PEER, CONFIG_ADD, &a));
	KTAP_EXPECT(!a.replace);
	return true;
}

static bool test_addconf_only_given(void)
{
	struct device a;

	KTAP_EXPECT(parses("[Interface]\nRekeyAfterTime = 30\n", CONFIG_ADD,
			   &a));
	KTAP_EXPECT(a.present == HAS(DIODE_A_REKEY_AFTER_TIME) &&
		    a.rekey_after_time == 30);
	KTAP_EXPECT(parses("[Interface]\n", CONFIG_ADD, &a));
	KTAP_EXPECT(a.present == 0);
	KTAP_EXPECT(parses("[Interface]\n[Peer]\nPublicKey = " ALICE_PUBLIC
			   "\nPresharedKey = " PSK "\n", CONFIG_ADD, &a));
	KTAP_EXPECT(a.present == (HAS(DIODE_A_PEER_PUBLIC_KEY) |
				  HAS(DIODE_A_PRESHARED_KEY)));
	return true;
}

static bool format_is(const struct device *a, const char *expected)
{
	char text[CONFIG_TEXT_SIZE];
	int len = config_format(text, sizeof(text), a);

	if (len < 0 || (size_t)len != strlen(expected) ||
	    strcmp(text, expected)) {
		ktap_diag("got (%d):\n%s", len, len < 0 ? "" : text);
		return false;
	}
	return true;
}

/*
 * What a device holds after setconf, as showconf reads it: the file's
 * settings, and for the others what the replace flag returns them to, the
 * kernel's defaults (uapi/diode.yaml): no keys, no addresses.
 */
static void as_replaced(struct device *a)
{
	unsigned int absent = ~a->present;

	if (absent & HAS(DIODE_A_LOCAL))
		addr_set_none(&a->local);
	if (absent & HAS(DIODE_A_REMOTE))
		addr_set_none(&a->remote);
	if (absent & HAS(DIODE_A_REPLAY_WINDOW))
		a->replay_window = DIODE_REPLAY_WINDOW_DEFAULT;
	if (absent & HAS(DIODE_A_REKEY_AFTER_TIME))
		a->rekey_after_time = DIODE_REKEY_TIME_DEFAULT;
	if (absent & HAS(DIODE_A_REKEY_AFTER_FRAMES))
		a->rekey_after_frames = DIODE_REKEY_FRAMES_DEFAULT;
	if (absent & HAS(DIODE_A_MAX_SESSION_AGE))
		a->max_session_age = DIODE_MAX_SESSION_AGE_DEFAULT;
	if (absent & HAS(DIODE_A_HEARTBEAT_INTERVAL))
		a->heartbeat_interval = DIODE_HEARTBEAT_MS_DEFAULT;
	if (absent & HAS(DIODE_A_REDUNDANCY))
		a->redundancy = 1;
	if (absent & HAS(DIODE_A_FEC_INTERLEAVE))
		a->fec_interleave = 1;
	if (absent & HAS(DIODE_A_ENCAP))
		a->encap = DIODE_ENCAP_UDP;
	if (absent & HAS(DIODE_A_ETHERTYPE))
		a->ethertype = DIODE_ETHERTYPE_DEFAULT;
	if (absent & HAS(DIODE_A_DEST_MAC))
		memset(a->dest_mac, 0xff, ETH_ALEN);
	/* Keys, FEC, rate and lower device: zeros, as config_parse left them. */
	a->present |= HAS(DIODE_A_PRIVATE_KEY) | HAS(DIODE_A_PRESHARED_KEY) |
		      HAS(DIODE_A_LOCAL) | HAS(DIODE_A_REMOTE) |
		      HAS(DIODE_A_REPLAY_WINDOW) |
		      HAS(DIODE_A_REKEY_AFTER_TIME) |
		      HAS(DIODE_A_REKEY_AFTER_FRAMES) |
		      HAS(DIODE_A_MAX_SESSION_AGE) |
		      HAS(DIODE_A_HEARTBEAT_INTERVAL) |
		      HAS(DIODE_A_REDUNDANCY) | HAS(DIODE_A_FEC_DATA) |
		      HAS(DIODE_A_FEC_INTERLEAVE) | HAS(DIODE_A_RATE) |
		      HAS(DIODE_A_ENCAP) | HAS(DIODE_A_LOWER_IFINDEX) |
		      HAS(DIODE_A_ETHERTYPE) | HAS(DIODE_A_DEST_MAC);
}

static bool test_format(void)
{
	struct device a;

	KTAP_EXPECT(parses(sender, CONFIG_SET, &a));
	KTAP_EXPECT(format_is(&a,
		"[Interface]\n"
		"Mode = tx\n"
		"PrivateKey = " ALICE_PRIVATE "\n"
		"Local = 192.0.2.1:51555\n"
		"ReplayWindow = 1024\n"
		"RekeyAfterTime = 60\n"
		"RekeyAfterFrames = 4294967296\n"
		"MaxSessionAge = 3600\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " BOB_PUBLIC "\n"
		"PresharedKey = " PSK "\n"
		"Remote = 192.0.2.2:4000\n"));

	/*
	 * Unset keys, addresses and lower device are left out, and so is the
	 * broadcast DestMAC; numbers always shown.
	 */
	KTAP_EXPECT(parses(IFACE PEER, CONFIG_SET, &a));
	as_replaced(&a);
	KTAP_EXPECT(format_is(&a,
		"[Interface]\n"
		"Mode = tx\n"
		"ReplayWindow = 8192\n"
		"RekeyAfterTime = 120\n"
		"RekeyAfterFrames = 1073741824\n"
		"MaxSessionAge = 86400\n"
		"HeartbeatInterval = 1000\n"
		"Redundancy = 1\n"
		"FEC = off\n"
		"Interleave = 1\n"
		"Rate = 0\n"
		"Encap = udp\n"
		"EtherType = 0x88b5\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " BOB_PUBLIC "\n"));

	/* In canonical form: ms, the largest unit of rate, hex in lower case. */
	KTAP_EXPECT(parses(eth_sender, CONFIG_SET, &a));
	KTAP_EXPECT(format_is(&a,
		"[Interface]\n"
		"Mode = tx\n"
		"HeartbeatInterval = 2000\n"
		"Redundancy = 2\n"
		"FEC = 16/4\n"
		"Interleave = 4\n"
		"Rate = 100mbit\n"
		"Encap = eth\n"
		"Lower = lo\n"
		"EtherType = 0x88b6\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " BOB_PUBLIC "\n"
		"DestMAC = 02:00:00:00:00:0a\n"));

	/* A DestMAC alone makes a [Peer]. */
	memset(&a, 0, sizeof(a));
	a.present = HAS(DIODE_A_MODE) | HAS(DIODE_A_DEST_MAC);
	memset(a.dest_mac, 0x11, ETH_ALEN);
	KTAP_EXPECT(format_is(&a, "[Interface]\nMode = none\n\n[Peer]\n"
				  "DestMAC = 11:11:11:11:11:11\n"));

	/* No peer at all: no [Peer]. */
	memset(&a, 0, sizeof(a));
	a.present = HAS(DIODE_A_MODE) | HAS(DIODE_A_PEER_PUBLIC_KEY) |
		    HAS(DIODE_A_PRESHARED_KEY);
	KTAP_EXPECT(format_is(&a, "[Interface]\nMode = none\n"));
	return true;
}

static bool test_format_too_small(void)
{
	char text[100];
	struct device a;
	size_t i;

	KTAP_EXPECT(parses(sender, CONFIG_SET, &a));
	KTAP_EXPECT(config_format(text, sizeof(text), &a) == -1);
	/* Nothing of the keys is left in the buffer. */
	for (i = 0; i < sizeof(text); i++)
		KTAP_EXPECT(!text[i]);
	KTAP_EXPECT(config_format(text, 0, &a) == -1);
	return true;
}

static bool args_equal(const struct device *a, const struct device *b)
{
	return a->present == b->present && a->mode == b->mode &&
	       !memcmp(a->private_key, b->private_key, DIODE_KEY_LEN) &&
	       !memcmp(a->peer_public_key, b->peer_public_key, DIODE_KEY_LEN) &&
	       !memcmp(a->preshared_key, b->preshared_key, DIODE_KEY_LEN) &&
	       a->local.len == b->local.len &&
	       !memcmp(&a->local.sa, &b->local.sa, a->local.len) &&
	       a->remote.len == b->remote.len &&
	       !memcmp(&a->remote.sa, &b->remote.sa, a->remote.len) &&
	       a->replay_window == b->replay_window &&
	       a->rekey_after_time == b->rekey_after_time &&
	       a->rekey_after_frames == b->rekey_after_frames &&
	       a->max_session_age == b->max_session_age &&
	       a->heartbeat_interval == b->heartbeat_interval &&
	       a->redundancy == b->redundancy && a->fec_data == b->fec_data &&
	       (!a->fec_data || a->fec_parity == b->fec_parity) &&
	       a->fec_interleave == b->fec_interleave && a->rate == b->rate &&
	       a->encap == b->encap && a->lower_ifindex == b->lower_ifindex &&
	       !strcmp(a->lower_name, b->lower_name) &&
	       a->ethertype == b->ethertype &&
	       !memcmp(a->dest_mac, b->dest_mac, ETH_ALEN);
}

/* setconf(showconf) is the identity: parse, replace, print, and again. */
static bool round_trips(const char *text)
{
	char printed[CONFIG_TEXT_SIZE], reprinted[CONFIG_TEXT_SIZE];
	struct device first, second;

	if (!parses(text, CONFIG_SET, &first))
		return false;
	as_replaced(&first);
	if (config_format(printed, sizeof(printed), &first) < 0 ||
	    !parses(printed, CONFIG_SET, &second))
		return false;
	as_replaced(&second);
	if (!args_equal(&first, &second)) {
		ktap_diag("not the same after a round trip:\n%s", printed);
		return false;
	}
	if (config_format(reprinted, sizeof(reprinted), &second) < 0 ||
	    strcmp(printed, reprinted)) {
		ktap_diag("printed twice differently:\n%s", reprinted);
		return false;
	}
	return true;
}

static bool test_round_trip(void)
{
	KTAP_EXPECT(round_trips(sender));
	KTAP_EXPECT(round_trips(eth_sender));
	KTAP_EXPECT(round_trips(IFACE PEER));
	KTAP_EXPECT(round_trips("[Interface]\nMode = rx\nFEC = 32/16\n"
				"HeartbeatInterval = 60s\nRate = 1500001\n"
				"Interleave = 16\nRedundancy = 8\n"
				"EtherType = 65535\n"
				"[Peer]\nPublicKey = " ALICE_PUBLIC "\n"
				"DestMAC = ff:ff:ff:ff:ff:ff\n"));
	KTAP_EXPECT(round_trips("[interface]\nmode=rx\nlocal=[::]:7\n"
				"privatekey=" ALICE_PRIVATE "\nmaxsessionage=1\n"
				"[peer]\npublickey=" ALICE_PUBLIC "\n"));
	KTAP_EXPECT(round_trips("[Interface]\nMode = none\n"
				"Local = [fe80::1%4000000]:1\n"
				"RekeyAfterFrames = 1024\n"
				"[Peer]\nPublicKey = " ALICE_PUBLIC "\n"
				"Remote = [fe80::2%4000000]:65535\n"
				"PresharedKey = " PSK "\n"));
	KTAP_EXPECT(round_trips("[Interface]\nMode = tx\n"
				"Local = 0.0.0.0:51555\n"
				"RekeyAfterTime = 604800\n"
				"MaxSessionAge = 4294967295\n"
				"[Peer]\nPublicKey = " ALICE_PUBLIC "\n"
				"Remote = 255.255.255.255:1\n"));
	return true;
}

/* The printed text of a parse of every key, in the order showconf uses. */
static bool test_round_trip_every_setting(void)
{
	struct device a, b;
	char text[CONFIG_TEXT_SIZE];
	struct parse_error e;

	memset(&a, 0, sizeof(a));
	a.present = HAS(DIODE_A_MODE) | HAS(DIODE_A_PRIVATE_KEY) |
		    HAS(DIODE_A_PEER_PUBLIC_KEY) | HAS(DIODE_A_PRESHARED_KEY) |
		    HAS(DIODE_A_LOCAL) | HAS(DIODE_A_REMOTE) |
		    HAS(DIODE_A_REPLAY_WINDOW) | HAS(DIODE_A_REKEY_AFTER_TIME) |
		    HAS(DIODE_A_REKEY_AFTER_FRAMES) |
		    HAS(DIODE_A_MAX_SESSION_AGE) |
		    HAS(DIODE_A_HEARTBEAT_INTERVAL) | HAS(DIODE_A_REDUNDANCY) |
		    HAS(DIODE_A_FEC_DATA) | HAS(DIODE_A_FEC_INTERLEAVE) |
		    HAS(DIODE_A_RATE) | HAS(DIODE_A_ENCAP) |
		    HAS(DIODE_A_LOWER_IFINDEX) | HAS(DIODE_A_ETHERTYPE) |
		    HAS(DIODE_A_DEST_MAC);
	a.mode = DIODE_MODE_RX;
	key_generate_private(a.private_key);
	key_generate_private(a.peer_public_key);
	key_generate_preshared(a.preshared_key);
	KTAP_EXPECT(!parse_addr("[2001:db8::1]:2", &a.local, &e));
	KTAP_EXPECT(!parse_addr("[2001:db8::2]:3", &a.remote, &e));
	a.replay_window = DIODE_REPLAY_WINDOW_MAX;
	a.rekey_after_time = DIODE_REKEY_TIME_MAX;
	a.rekey_after_frames = DIODE_REKEY_FRAMES_MAX;
	a.max_session_age = 86400;
	a.heartbeat_interval = DIODE_HEARTBEAT_MS_MAX;
	a.redundancy = DIODE_REDUNDANCY_MAX;
	a.fec_data = DIODE_FEC_DATA_MAX;
	a.fec_parity = DIODE_FEC_PARITY_MAX;
	a.fec_interleave = DIODE_FEC_INTERLEAVE_MAX;
	a.rate = UINT64_MAX;
	a.encap = DIODE_ENCAP_ETH;
	a.lower_ifindex = if_nametoindex("lo");
	strcpy(a.lower_name, "lo");
	a.ethertype = 0xffff;
	memset(a.dest_mac, 0xfe, ETH_ALEN);
	KTAP_EXPECT(config_format(text, sizeof(text), &a) > 0);
	KTAP_EXPECT(parses(text, CONFIG_SET, &b));
	KTAP_EXPECT(args_equal(&a, &b));
	sodium_memzero(text, sizeof(text));
	return true;
}

static bool write_file(const char *path, const char *text, size_t len,
		       mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, text, len) == (ssize_t)len && !fchmod(fd, mode);
	return !close(fd) && ok;
}

static bool test_read_file(void)
{
	char path[] = "/tmp/diodectl-config-XXXXXX";
	struct config_text t;
	struct parse_error e;
	struct device a;
	unsigned int line;
	char *big;
	int fd;

	fd = mkstemp(path);
	KTAP_EXPECT(fd >= 0);
	close(fd);

	KTAP_EXPECT(write_file(path, sender, strlen(sender), 0600));
	KTAP_EXPECT(!config_read(path, &t, &e));
	KTAP_EXPECT(t.len == strlen(sender) && !strcmp(t.text, sender));
	KTAP_EXPECT(!strcmp(t.name, path) && !t.others_can_read);
	KTAP_EXPECT(!config_parse(t.text, t.len, CONFIG_SET, &a, &line, &e));
	KTAP_EXPECT(key_is(a.private_key, ALICE_PRIVATE));
	config_text_free(&t);
	KTAP_EXPECT(!t.text);
	config_text_free(&t);

	KTAP_EXPECT(!chmod(path, 0640));
	KTAP_EXPECT(!config_read(path, &t, &e) && t.others_can_read);
	config_text_free(&t);
	KTAP_EXPECT(!chmod(path, 0604));
	KTAP_EXPECT(!config_read(path, &t, &e) && t.others_can_read);
	config_text_free(&t);

	/* The largest file, and one byte more. */
	big = malloc(CONFIG_FILE_MAX + 1);
	KTAP_EXPECT(big);
	memset(big, '\n', CONFIG_FILE_MAX + 1);
	memcpy(big, "[Interface]", 11);
	KTAP_EXPECT(write_file(path, big, CONFIG_FILE_MAX, 0600));
	KTAP_EXPECT(!config_read(path, &t, &e) && t.len == CONFIG_FILE_MAX);
	KTAP_EXPECT(!config_parse(t.text, t.len, CONFIG_ADD, &a, &line, &e));
	config_text_free(&t);
	KTAP_EXPECT(write_file(path, big, CONFIG_FILE_MAX + 1, 0600));
	KTAP_EXPECT(config_read(path, &t, &e));
	KTAP_EXPECT(strstr(e.msg, path) && strstr(e.msg, "too long"));
	config_text_free(&t);
	free(big);

	unlink(path);
	KTAP_EXPECT(config_read(path, &t, &e));
	KTAP_EXPECT(strstr(e.msg, "cannot open") &&
		    strstr(e.msg, "No such file"));
	config_text_free(&t);
	KTAP_EXPECT(config_read("/", &t, &e));
	KTAP_EXPECT(strstr(e.msg, "Is a directory"));
	config_text_free(&t);
	return true;
}

static bool test_read_stdin(void)
{
	char path[] = "/tmp/diodectl-config-XXXXXX";
	struct config_text t;
	struct parse_error e;
	struct device a;
	unsigned int line;
	int fd, saved;
	bool ok;

	fd = mkstemp(path);
	KTAP_EXPECT(fd >= 0);
	close(fd);
	KTAP_EXPECT(write_file(path, IFACE PEER "Foo = 1\n",
			       strlen(IFACE PEER "Foo = 1\n"), 0644));
	fd = open(path, O_RDONLY);
	unlink(path);
	KTAP_EXPECT(fd >= 0);
	saved = dup(STDIN_FILENO);
	dup2(fd, STDIN_FILENO);
	close(fd);
	ok = !config_read("-", &t, &e);
	dup2(saved, STDIN_FILENO);
	close(saved);
	KTAP_EXPECT(ok);
	KTAP_EXPECT(!strcmp(t.name, "stdin"));
	/* A file redirected to stdin is checked as any other file. */
	KTAP_EXPECT(t.others_can_read);
	KTAP_EXPECT(config_parse(t.text, t.len, CONFIG_SET, &a, &line, &e));
	KTAP_EXPECT(line == 5 && strstr(e.msg, "'Foo'"));
	config_text_free(&t);
	return true;
}

static const struct ktap_test tests[] = {
	{ "sender", test_sender },
	{ "eth_sender", test_eth_sender },
	{ "case_insensitive", test_case_insensitive },
	{ "comments_and_spaces", test_comments_and_spaces },
	{ "errors", test_errors },
	{ "nul_byte", test_nul_byte },
	{ "secrets_not_quoted", test_secrets_not_quoted },
	{ "setconf_replaces", test_setconf_replaces },
	{ "addconf_only_given", test_addconf_only_given },
	{ "format", test_format },
	{ "format_too_small", test_format_too_small },
	{ "round_trip", test_round_trip },
	{ "round_trip_every_setting", test_round_trip_every_setting },
	{ "read_file", test_read_file },
	{ "read_stdin", test_read_stdin },
};

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	return ktap_run_tests(tests, ARRAY_SIZE(tests));
}
