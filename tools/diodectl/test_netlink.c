// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the netlink messages of diodectl, without a kernel:
 * the request `set` builds, the parsing and printing of the replies of
 * `show`, and the reading of errors with their extended ack. Prints KTAP;
 * exits non-zero when any test fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <sodium.h>

#include "../../selftests/unit/ktap.h"
#include "config.h"
#include "ipc.h"
#include "settings.h"
#include "monitor.h"
#include "show.h"

/* The bit of struct device's present that an attribute sets. */
#define HAS(attr)	(1ULL << (attr))

#define TEST_FAMILY	0x1234

/* The attributes of a message, by type; later ones replace earlier ones. */
struct attrs {
	const struct nlattr *tb[DIODE_A_MAX + 1];
	unsigned int count;
};

static int collect_attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *attrs = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= DIODE_A_MAX)
		attrs->tb[type] = attr;
	attrs->count++;
	return MNL_CB_OK;
}

static bool attr_is(const struct nlattr *attr, const void *payload,
		    size_t len)
{
	return attr && mnl_attr_get_payload_len(attr) == len &&
	       !memcmp(mnl_attr_get_payload(attr), payload, len);
}

static bool fill_set_args(struct device *args, const char *const *words,
			  size_t n)
{
	struct parse_error e;

	if (settings_from_words(n, (char *const *)words, args, &e)) {
		ktap_diag("settings_from_words: %s", e.msg);
		return false;
	}
	return true;
}

static bool sockaddr_in_is(const struct nlattr *attr, const char *host,
			   uint16_t port)
{
	struct sockaddr_in in = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
	};

	inet_pton(AF_INET, host, &in.sin_addr);
	return attr_is(attr, &in, sizeof(in));
}

static bool sockaddr_in6_is(const struct nlattr *attr, const char *host,
			    uint16_t port)
{
	struct sockaddr_in6 in6 = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(port),
	};

	inet_pton(AF_INET6, host, &in6.sin6_addr);
	return attr_is(attr, &in6, sizeof(in6));
}

static bool test_set_request_all(void)
{
	static const char *const words[] = {
		"diode0", "mode", "rx", "peer",
		"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=",
		"private-key", "none", "preshared-key", "/dev/null",
		"local", "[2001:db8::1]:4000", "remote", "[2001:db8::2]",
		"replay-window", "4096", "rekey-after-time", "604800",
		"rekey-after-frames", "4294967296", "max-session-age", "0",
	};
	char buf[IPC_SET_REQUEST_SIZE];
	const struct genlmsghdr *genl;
	struct device args;
	struct nlmsghdr *nlh;
	struct attrs attrs = { 0 };

	KTAP_EXPECT(fill_set_args(&args, words, ARRAY_SIZE(words)));
	memset(args.preshared_key, 0xaa, DIODE_KEY_LEN);
	nlh = ipc_build_set(buf, TEST_FAMILY, &args);
	KTAP_EXPECT(nlh->nlmsg_len <= sizeof(buf));
	KTAP_EXPECT(nlh->nlmsg_type == TEST_FAMILY);
	KTAP_EXPECT(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	genl = mnl_nlmsg_get_payload(nlh);
	KTAP_EXPECT(genl->cmd == DIODE_CMD_SET_DEVICE);
	KTAP_EXPECT(genl->version == DIODE_GENL_VERSION);
	KTAP_EXPECT(mnl_attr_parse(nlh, sizeof(*genl), collect_attr_cb,
				   &attrs) == MNL_CB_OK);
	KTAP_EXPECT(attrs.count == 11);
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_IFNAME], "diode0", 7));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_MODE],
			    &(uint8_t){ DIODE_MODE_RX }, 1));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_PEER_PUBLIC_KEY], args.peer_public_key,
			    DIODE_KEY_LEN));
	/* "none": 32 zero bytes remove the key. */
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_PRIVATE_KEY],
			    (uint8_t[DIODE_KEY_LEN]){ 0 }, DIODE_KEY_LEN));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_PRESHARED_KEY],
			    args.preshared_key, DIODE_KEY_LEN));
	KTAP_EXPECT(sockaddr_in6_is(attrs.tb[DIODE_A_LOCAL], "2001:db8::1",
				    4000));
	KTAP_EXPECT(sockaddr_in6_is(attrs.tb[DIODE_A_REMOTE], "2001:db8::2",
				    DIODE_DEFAULT_PORT));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_REPLAY_WINDOW],
			    &(uint32_t){ 4096 }, 4));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_REKEY_AFTER_TIME],
			    &(uint32_t){ 604800 }, 4));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_REKEY_AFTER_FRAMES],
			    &(uint64_t){ 1ULL << 32 }, 8));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_MAX_SESSION_AGE],
			    &(uint32_t){ 0 }, 4));
	return true;
}

static bool test_set_request_some(void)
{
	static const char *const words[] = {
		"d", "mode", "tx", "remote", "192.0.2.9:7",
	};
	char buf[IPC_SET_REQUEST_SIZE];
	struct device args;
	struct nlmsghdr *nlh;
	struct attrs attrs = { 0 };

	KTAP_EXPECT(fill_set_args(&args, words, ARRAY_SIZE(words)));
	nlh = ipc_build_set(buf, TEST_FAMILY, &args);
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_attr_cb,
		       &attrs);
	KTAP_EXPECT(attrs.count == 3);
	KTAP_EXPECT(sockaddr_in_is(attrs.tb[DIODE_A_REMOTE], "192.0.2.9", 7));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_IFNAME], "d", 2));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_MODE],
			    &(uint8_t){ DIODE_MODE_TX }, 1));
	return true;
}

static bool test_set_request_link(void)
{
	static const char *const words[] = {
		"diode0", "heartbeat-interval", "250ms", "redundancy", "2",
		"fec", "8/3", "interleave", "5", "rate", "25gbit",
		"encap", "eth", "lower", "lo", "ethertype", "0x0801",
		"dest-mac", "02:00:5e:10:00:01",
	};
	static const uint8_t mac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01 };
	char buf[IPC_SET_REQUEST_SIZE];
	struct device args;
	struct nlmsghdr *nlh;
	struct attrs attrs = { 0 };

	KTAP_EXPECT(fill_set_args(&args, words, ARRAY_SIZE(words)));
	nlh = ipc_build_set(buf, TEST_FAMILY, &args);
	KTAP_EXPECT(nlh->nlmsg_len <= sizeof(buf));
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_attr_cb,
		       &attrs);
	KTAP_EXPECT(attrs.count == 11);
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_HEARTBEAT_INTERVAL],
			    &(uint32_t){ 250 }, 4));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_REDUNDANCY], &(uint8_t){ 2 }, 1));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_FEC_DATA], &(uint8_t){ 8 }, 1));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_FEC_PARITY], &(uint8_t){ 3 }, 1));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_FEC_INTERLEAVE],
			    &(uint8_t){ 5 }, 1));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_RATE],
			    &(uint64_t){ 25000000000ULL }, 8));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_ENCAP],
			    &(uint8_t){ DIODE_ENCAP_ETH }, 1));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_LOWER_IFINDEX],
			    &(uint32_t){ if_nametoindex("lo") }, 4));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_ETHERTYPE],
			    &(uint16_t){ 0x0801 }, 2));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_DEST_MAC], mac, ETH_ALEN));
	return true;
}

/* The mark: a nest flagged NLA_F_NESTED of two u64, both always sent. */
static bool test_set_request_rx_mark(void)
{
	static const char *const words[] = {
		"diode0", "rx-mark", "1700000000123456789:18446744073709551615",
	};
	char buf[IPC_SET_REQUEST_SIZE];
	struct device args;
	struct nlmsghdr *nlh;
	struct attrs attrs = { 0 }, mark = { 0 };
	const struct nlattr *nest;

	KTAP_EXPECT(fill_set_args(&args, words, ARRAY_SIZE(words)));
	nlh = ipc_build_set(buf, TEST_FAMILY, &args);
	KTAP_EXPECT(nlh->nlmsg_len <= sizeof(buf));
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_attr_cb,
		       &attrs);
	KTAP_EXPECT(attrs.count == 2);
	nest = attrs.tb[DIODE_A_RX_MARK];
	KTAP_EXPECT(nest && (nest->nla_type & NLA_F_NESTED));
	KTAP_EXPECT(mnl_attr_parse_nested(nest, collect_attr_cb, &mark) ==
		    MNL_CB_OK);
	KTAP_EXPECT(mark.count == 2);
	KTAP_EXPECT(attr_is(mark.tb[DIODE_RX_MARK_A_CREATED],
			    &(uint64_t){ 1700000000123456789ULL }, 8));
	KTAP_EXPECT(attr_is(mark.tb[DIODE_RX_MARK_A_COUNTER],
			    &(uint64_t){ UINT64_MAX }, 8));
	return true;
}

/* fec off is FEC_DATA 0 alone; none and 0 are what the kernel unsets with. */
static bool test_set_request_off(void)
{
	static const char *const words[] = {
		"diode0", "fec", "off", "rate", "none", "lower", "none",
	};
	char buf[IPC_SET_REQUEST_SIZE];
	struct device args;
	struct nlmsghdr *nlh;
	struct attrs attrs = { 0 };

	KTAP_EXPECT(fill_set_args(&args, words, ARRAY_SIZE(words)));
	nlh = ipc_build_set(buf, TEST_FAMILY, &args);
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_attr_cb,
		       &attrs);
	KTAP_EXPECT(attrs.count == 4);
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_FEC_DATA], &(uint8_t){ 0 }, 1));
	KTAP_EXPECT(!attrs.tb[DIODE_A_FEC_PARITY]);
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_RATE], &(uint64_t){ 0 }, 8));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_LOWER_IFINDEX],
			    &(uint32_t){ 0 }, 4));
	return true;
}

/* A reply as the kernel would send it, with padding and a future attribute. */
static struct nlmsghdr *build_reply(char *buf, const char *ifname)
{
	struct nlmsghdr *nlh = ipc_msg_start(buf, TEST_FAMILY,
					      DIODE_CMD_GET_DEVICE, 0);
	struct sockaddr_in6 local = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(DIODE_DEFAULT_PORT),
	};
	struct sockaddr_in remote = {
		.sin_family = AF_INET,
		.sin_port = htons(9),
	};
	struct nlattr *nest, *session;
	uint8_t key[DIODE_KEY_LEN];

	inet_pton(AF_INET, "192.0.2.7", &remote.sin_addr);
	mnl_attr_put_u32(nlh, DIODE_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	mnl_attr_put_u8(nlh, DIODE_A_MODE, DIODE_MODE_TX);
	memset(key, 1, sizeof(key));
	mnl_attr_put(nlh, DIODE_A_PUBLIC_KEY, sizeof(key), key);
	memset(key, 0, sizeof(key));
	mnl_attr_put(nlh, DIODE_A_PEER_PUBLIC_KEY, sizeof(key), key);
	mnl_attr_put_u8(nlh, DIODE_A_HAS_PRESHARED_KEY, 1);
	mnl_attr_put(nlh, DIODE_A_LOCAL, sizeof(local), &local);
	mnl_attr_put(nlh, DIODE_A_REMOTE, sizeof(remote), &remote);
	mnl_attr_put_u32(nlh, DIODE_A_REPLAY_WINDOW, 8192);
	mnl_attr_put_u32(nlh, DIODE_A_REKEY_AFTER_TIME, 120);
	mnl_attr_put(nlh, DIODE_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, DIODE_A_REKEY_AFTER_FRAMES, 1ULL << 30);
	mnl_attr_put_u32(nlh, DIODE_A_MAX_SESSION_AGE, 0);
	mnl_attr_put_u32(nlh, DIODE_A_HEARTBEAT_INTERVAL, 250);
	mnl_attr_put_u8(nlh, DIODE_A_REDUNDANCY, 2);
	mnl_attr_put_u8(nlh, DIODE_A_FEC_DATA, 16);
	mnl_attr_put_u8(nlh, DIODE_A_FEC_PARITY, 4);
	mnl_attr_put_u8(nlh, DIODE_A_FEC_INTERLEAVE, 3);
	mnl_attr_put_u64(nlh, DIODE_A_RATE, 1500000);
	mnl_attr_put_u8(nlh, DIODE_A_ENCAP, DIODE_ENCAP_ETH);
	mnl_attr_put_u32(nlh, DIODE_A_LOWER_IFINDEX, if_nametoindex("lo"));
	mnl_attr_put_u16(nlh, DIODE_A_ETHERTYPE, DIODE_ETHERTYPE_DEFAULT);
	mnl_attr_put(nlh, DIODE_A_DEST_MAC, ETH_ALEN,
		     (uint8_t[ETH_ALEN]){ 0x02, 0, 0, 0, 0xab, 0x0c });
	mnl_attr_put_u8(nlh, DIODE_A_CARRIER, 1);
	mnl_attr_put(nlh, DIODE_A_MAX + 7, 3, "new");

	nest = mnl_attr_nest_start(nlh, DIODE_A_SESSIONS);
	session = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u8(nlh, DIODE_SESSION_A_SLOT, DIODE_SESSION_CURRENT);
	mnl_attr_put_u16(nlh, DIODE_SESSION_A_TAG, 0x1a2b);
	mnl_attr_put(nlh, DIODE_SESSION_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, DIODE_SESSION_A_CREATED,
			 1700000000123456789ULL);
	memset(key, 2, sizeof(key));
	mnl_attr_put(nlh, DIODE_SESSION_A_EPHEMERAL, sizeof(key), key);
	mnl_attr_put_u64(nlh, DIODE_SESSION_A_COUNTER, 42);
	mnl_attr_nest_end(nlh, session);
	session = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_u8(nlh, DIODE_SESSION_A_SLOT, 9);
	mnl_attr_nest_end(nlh, session);
	mnl_attr_nest_end(nlh, nest);

	nest = mnl_attr_nest_start(nlh, DIODE_A_STATS);
	mnl_attr_put(nlh, DIODE_STAT_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, DIODE_STAT_TX_PACKETS, 3);
	mnl_attr_put_u64(nlh, DIODE_STAT_RX_UNKNOWN_SESSION, 4);
	mnl_attr_put_u64(nlh, DIODE_STAT_RX_RATE_LIMITED, 6);
	mnl_attr_put_u64(nlh, DIODE_STAT_TX_HEARTBEATS, 7);
	mnl_attr_put_u64(nlh, DIODE_STAT_TX_PARITY, 8);
	mnl_attr_put_u64(nlh, DIODE_STAT_TX_REPEATS, 9);
	mnl_attr_put_u64(nlh, DIODE_STAT_TX_PACING_DROPPED, 10);
	mnl_attr_put_u64(nlh, DIODE_STAT_RX_HEARTBEATS, 11);
	mnl_attr_put_u64(nlh, DIODE_STAT_RX_PARITY, 12);
	mnl_attr_put_u64(nlh, DIODE_STAT_RX_RECOVERED, 13);
	mnl_attr_put_u64(nlh, DIODE_STAT_RX_LOST, 14);
	mnl_attr_put_u64(nlh, DIODE_STAT_RX_CARRIER_CHANGES, 15);
	mnl_attr_put_u64(nlh, DIODE_STAT_MAX + 1, 5);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static char *render(const struct device *dev, bool json)
{
	struct json_writer j;
	char *text = NULL;
	size_t size;
	FILE *f = open_memstream(&text, &size);

	if (json) {
		json_init(&j, f);
		json_open(&j, NULL, '[');
		show_device_json(&j, dev);
		json_close(&j, ']');
	} else {
		show_device_text(f, dev);
	}
	fclose(f);
	return text;
}

static bool text_is(const struct device *dev, bool json,
		    const char *expected)
{
	char *text = render(dev, json);
	bool ok = !strcmp(text, expected);

	if (!ok)
		ktap_diag("got:\n%s", text);
	free(text);
	return ok;
}

static bool test_reply_text(void)
{
	char buf[IPC_RECV_SIZE];
	struct device dev;

	KTAP_EXPECT(!ipc_parse_device(build_reply(buf, "diode0"), &dev));
	KTAP_EXPECT(dev.ifindex == 5 && dev.n_sessions == 2 &&
		    dev.n_stats == 13);
	KTAP_EXPECT(text_is(&dev, false,
		"interface: diode0\n"
		"  mode: tx\n"
		"  public key: AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
		"  preshared key: (set)\n"
		"  local: [::]:51555\n"
		"  remote: 192.0.2.7:9\n"
		"  replay window: 8192\n"
		"  rekey after time: 120 seconds\n"
		"  rekey after frames: 1073741824\n"
		"  max session age: no limit\n"
		"  heartbeat interval: 250 ms\n"
		"  redundancy: 2\n"
		"  fec: 16/4\n"
		"  interleave: 3\n"
		"  rate: 1500kbit\n"
		"  encap: eth\n"
		"  lower: lo\n"
		"  ethertype: 0x88b5\n"
		"  dest mac: 02:00:00:00:ab:0c\n"
		"  carrier: yes\n"
		"  session current:\n"
		"    tag: 0x1a2b\n"
		"    created: 2023-11-14T22:13:20.123456789Z\n"
		"    ephemeral key: AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n"
		"    counter: 42\n"
		"  session slot9:\n"
		"  statistics:\n"
		"    tx packets: 3\n"
		"    rx unknown session: 4\n"
		"    rx rate limited: 6\n"
		"    tx heartbeats: 7\n"
		"    tx parity: 8\n"
		"    tx repeats: 9\n"
		"    tx pacing dropped: 10\n"
		"    rx heartbeats: 11\n"
		"    rx parity: 12\n"
		"    rx recovered: 13\n"
		"    rx lost: 14\n"
		"    rx carrier changes: 15\n"
		"    stat 29: 5\n"));
	return true;
}

static bool test_reply_json(void)
{
	char buf[IPC_RECV_SIZE];
	struct device dev;

	KTAP_EXPECT(!ipc_parse_device(build_reply(buf, "d\"\\\x01"), &dev));
	KTAP_EXPECT(text_is(&dev, true,
		"[\n"
		"  {\n"
		"    \"interface\": \"d\\\"\\\\\\u0001\",\n"
		"    \"ifindex\": 5,\n"
		"    \"mode\": \"tx\",\n"
		"    \"public_key\": \"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\",\n"
		"    \"peer\": null,\n"
		"    \"preshared_key\": true,\n"
		"    \"local\": \"[::]:51555\",\n"
		"    \"remote\": \"192.0.2.7:9\",\n"
		"    \"replay_window\": 8192,\n"
		"    \"rekey_after_time\": 120,\n"
		"    \"rekey_after_frames\": 1073741824,\n"
		"    \"max_session_age\": 0,\n"
		"    \"heartbeat_interval\": 250,\n"
		"    \"redundancy\": 2,\n"
		"    \"fec_data\": 16,\n"
		"    \"fec_parity\": 4,\n"
		"    \"interleave\": 3,\n"
		"    \"rate\": 1500000,\n"
		"    \"encap\": \"eth\",\n"
		"    \"lower\": \"lo\",\n"
		"    \"lower_ifindex\": 1,\n"
		"    \"ethertype\": 34997,\n"
		"    \"dest_mac\": \"02:00:00:00:ab:0c\",\n"
		"    \"carrier\": true,\n"
		"    \"rx_mark\": null,\n"
		"    \"sessions\": [\n"
		"      {\n"
		"        \"slot\": \"current\",\n"
		"        \"tag\": 6699,\n"
		"        \"created\": \"2023-11-14T22:13:20.123456789Z\",\n"
		"        \"created_ns\": 1700000000123456789,\n"
		"        \"ephemeral_key\": \"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\",\n"
		"        \"counter\": 42\n"
		"      },\n"
		"      {\n"
		"        \"slot\": \"slot9\",\n"
		"        \"tag\": null,\n"
		"        \"created\": null,\n"
		"        \"created_ns\": null,\n"
		"        \"ephemeral_key\": null,\n"
		"        \"counter\": null\n"
		"      }\n"
		"    ],\n"
		"    \"stats\": {\n"
		"      \"tx_packets\": 3,\n"
		"      \"rx_unknown_session\": 4,\n"
		"      \"rx_rate_limited\": 6,\n"
		"      \"tx_heartbeats\": 7,\n"
		"      \"tx_parity\": 8,\n"
		"      \"tx_repeats\": 9,\n"
		"      \"tx_pacing_dropped\": 10,\n"
		"      \"rx_heartbeats\": 11,\n"
		"      \"rx_parity\": 12,\n"
		"      \"rx_recovered\": 13,\n"
		"      \"rx_lost\": 14,\n"
		"      \"rx_carrier_changes\": 15,\n"
		"      \"stat_29\": 5\n"
		"    }\n"
		"  }\n"
		"]\n"));
	return true;
}

/* A minimal device: only what the kernel always sends. */
static bool test_reply_minimal(void)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct device dev;
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	char *json;
	bool ok;

	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode1");
	mnl_attr_put_u8(nlh, DIODE_A_MODE, DIODE_MODE_NONE);
	mnl_attr_put(nlh, DIODE_A_REMOTE, sizeof(unspec), &unspec);
	KTAP_EXPECT(!ipc_parse_device(nlh, &dev));
	KTAP_EXPECT(text_is(&dev, false,
			    "interface: diode1\n  mode: none\n"));
	/* A module older than the link settings: null, not made up. */
	json = render(&dev, true);
	KTAP_EXPECT(json);
	ok = strstr(json, "\"max_session_age\": null,\n"
			  "    \"heartbeat_interval\": null,\n"
			  "    \"redundancy\": null,\n"
			  "    \"fec_data\": null,\n"
			  "    \"fec_parity\": null,\n"
			  "    \"interleave\": null,\n"
			  "    \"rate\": null,\n"
			  "    \"encap\": null,\n"
			  "    \"lower\": null,\n"
			  "    \"lower_ifindex\": null,\n"
			  "    \"ethertype\": null,\n"
			  "    \"dest_mac\": null,\n"
			  "    \"carrier\": null,\n");
	if (!ok)
		ktap_diag("got:\n%s", json);
	free(json);
	return ok;
}

/* The values that read differently: FEC off, no rate limit, no carrier. */
static bool test_reply_link_off(void)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct device dev;

	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode2");
	mnl_attr_put_u8(nlh, DIODE_A_FEC_DATA, 0);
	mnl_attr_put_u8(nlh, DIODE_A_FEC_PARITY, 4);
	mnl_attr_put_u64(nlh, DIODE_A_RATE, 0);
	mnl_attr_put_u8(nlh, DIODE_A_ENCAP, DIODE_ENCAP_MAX + 1);
	mnl_attr_put_u32(nlh, DIODE_A_LOWER_IFINDEX, 0x7ffffff0);
	mnl_attr_put_u8(nlh, DIODE_A_CARRIER, 0);
	KTAP_EXPECT(!ipc_parse_device(nlh, &dev));
	KTAP_EXPECT(text_is(&dev, false,
		"interface: diode2\n"
		"  fec: off\n"
		"  rate: no limit\n"
		"  encap: encap2\n"
		"  lower: ifindex 2147483632 (not in this namespace)\n"
		"  carrier: no\n"));
	KTAP_EXPECT(text_is(&dev, true,
		"[\n"
		"  {\n"
		"    \"interface\": \"diode2\",\n"
		"    \"ifindex\": null,\n"
		"    \"mode\": null,\n"
		"    \"public_key\": null,\n"
		"    \"peer\": null,\n"
		"    \"preshared_key\": false,\n"
		"    \"local\": null,\n"
		"    \"remote\": null,\n"
		"    \"replay_window\": null,\n"
		"    \"rekey_after_time\": null,\n"
		"    \"rekey_after_frames\": null,\n"
		"    \"max_session_age\": null,\n"
		"    \"heartbeat_interval\": null,\n"
		"    \"redundancy\": null,\n"
		"    \"fec_data\": 0,\n"
		"    \"fec_parity\": 4,\n"
		"    \"interleave\": null,\n"
		"    \"rate\": 0,\n"
		"    \"encap\": \"encap2\",\n"
		"    \"lower\": null,\n"
		"    \"lower_ifindex\": 2147483632,\n"
		"    \"ethertype\": null,\n"
		"    \"dest_mac\": null,\n"
		"    \"carrier\": false,\n"
		"    \"rx_mark\": null,\n"
		"    \"sessions\": [],\n"
		"    \"stats\": {}\n"
		"  }\n"
		"]\n"));
	return true;
}

static bool reply_rejected(uint16_t type, const void *payload, size_t len);

/* A receiver's reply: its mark, with the pad the kernel may put in it. */
static struct nlmsghdr *build_rx_reply(char *buf, uint64_t created,
				       uint64_t counter)
{
	struct nlmsghdr *nlh = ipc_msg_start(buf, TEST_FAMILY,
					      DIODE_CMD_GET_DEVICE, 0);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode3");
	mnl_attr_put_u8(nlh, DIODE_A_MODE, DIODE_MODE_RX);
	nest = mnl_attr_nest_start(nlh, DIODE_A_RX_MARK);
	mnl_attr_put(nlh, DIODE_RX_MARK_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, DIODE_RX_MARK_A_CREATED, created);
	mnl_attr_put_u64(nlh, DIODE_RX_MARK_A_COUNTER, counter);
	mnl_attr_put_u32(nlh, DIODE_RX_MARK_A_MAX + 1, 7);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static bool field_is(const struct device *dev, const char *field,
		     int ret, const char *expected)
{
	struct parse_error e = { "" };
	char *text = NULL;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	bool ok;

	ok = show_device_field(f, dev, field, &e) == ret;
	fclose(f);
	ok = ok && !strcmp(ret ? e.msg : text, expected);
	if (!ok)
		ktap_diag("got %s '%s'", ret ? "error" : "text", ret ? e.msg : text);
	if (ok && ret)
		ok = !*text;
	free(text);
	return ok;
}

static bool test_reply_rx_mark(void)
{
	char buf[IPC_RECV_SIZE], stats[512];
	struct device dev;

	KTAP_EXPECT(!ipc_parse_device(build_rx_reply(buf, 1700000000123456789ULL,
						 42), &dev));
	KTAP_EXPECT(dev.rx_mark_created == 1700000000123456789ULL &&
		    dev.rx_mark_counter == 42);
	KTAP_EXPECT(text_is(&dev, false,
		"interface: diode3\n"
		"  mode: rx\n"
		"  rx mark: created 2023-11-14T22:13:20.123456789Z, counter 42\n"));
	KTAP_EXPECT(text_is(&dev, true,
		"[\n"
		"  {\n"
		"    \"interface\": \"diode3\",\n"
		"    \"ifindex\": null,\n"
		"    \"mode\": \"rx\",\n"
		"    \"public_key\": null,\n"
		"    \"peer\": null,\n"
		"    \"preshared_key\": false,\n"
		"    \"local\": null,\n"
		"    \"remote\": null,\n"
		"    \"replay_window\": null,\n"
		"    \"rekey_after_time\": null,\n"
		"    \"rekey_after_frames\": null,\n"
		"    \"max_session_age\": null,\n"
		"    \"heartbeat_interval\": null,\n"
		"    \"redundancy\": null,\n"
		"    \"fec_data\": null,\n"
		"    \"fec_parity\": null,\n"
		"    \"interleave\": null,\n"
		"    \"rate\": null,\n"
		"    \"encap\": null,\n"
		"    \"lower\": null,\n"
		"    \"lower_ifindex\": null,\n"
		"    \"ethertype\": null,\n"
		"    \"dest_mac\": null,\n"
		"    \"carrier\": null,\n"
		"    \"rx_mark\": {\n"
		"      \"created\": \"2023-11-14T22:13:20.123456789Z\",\n"
		"      \"created_ns\": 1700000000123456789,\n"
		"      \"counter\": 42\n"
		"    },\n"
		"    \"sessions\": [],\n"
		"    \"stats\": {}\n"
		"  }\n"
		"]\n"));
	/* show DEV rx-mark: what set DEV rx-mark takes. */
	KTAP_EXPECT(field_is(&dev, "rx-mark", 0, "1700000000123456789:42\n"));
	KTAP_EXPECT(field_is(&dev, "mode", 0, "rx\n"));

	/* A new receiver's mark. */
	KTAP_EXPECT(!ipc_parse_device(build_rx_reply(buf, 0, 0), &dev));
	KTAP_EXPECT(text_is(&dev, false,
		"interface: diode3\n  mode: rx\n  rx mark: none\n"));
	KTAP_EXPECT(field_is(&dev, "rx-mark", 0, "0:0\n"));
	KTAP_EXPECT(!ipc_parse_device(build_rx_reply(buf, UINT64_MAX, UINT64_MAX),
				  &dev));
	KTAP_EXPECT(field_is(&dev, "rx-mark", 0,
			     "18446744073709551615:18446744073709551615\n"));

	/* A sender has none; an older module sends none. */
	KTAP_EXPECT(!ipc_parse_device(build_reply(buf, "diode0"), &dev));
	KTAP_EXPECT(field_is(&dev, "rx-mark", -1,
			     "no rx-mark: only a receiver (mode rx) has one, and this device is in mode tx"));
	KTAP_EXPECT(field_is(&dev, "mode", 0, "tx\n"));
	/* A counter newer than this diodectl goes by its number. */
	snprintf(stats, sizeof(stats),
		"tx_packets 3\n"
		"rx_unknown_session 4\n"
		"rx_rate_limited 6\n"
		"tx_heartbeats 7\n"
		"tx_parity 8\n"
		"tx_repeats 9\n"
		"tx_pacing_dropped 10\n"
		"rx_heartbeats 11\n"
		"rx_parity 12\n"
		"rx_recovered 13\n"
		"rx_lost 14\n"
		"rx_carrier_changes 15\n"
		"stat_%d 5\n", DIODE_STAT_MAX + 1);
	KTAP_EXPECT(field_is(&dev, "statistics", 0, stats));
	dev.mode = DIODE_MODE_RX;
	KTAP_EXPECT(field_is(&dev, "rx-mark", -1,
			     "the diode module does not report an rx-mark (it is older than this diodectl)"));
	dev.present &= ~(1u << DIODE_A_MODE);
	KTAP_EXPECT(field_is(&dev, "mode", -1,
			     "the diode module did not report the mode"));
	KTAP_EXPECT(show_field_known("rx-mark") && show_field_known("mode") &&
		    show_field_known("statistics") && !show_field_known("--json") &&
		    !show_field_known("stats"));
	return true;
}

/* Half a mark, or a mark of the wrong size, is no mark. */
static bool rx_mark_rejected(int omit, size_t counter_len)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct device dev;
	uint8_t bytes[16] = { 0 };

	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode3");
	nest = mnl_attr_nest_start(nlh, DIODE_A_RX_MARK);
	if (omit != DIODE_RX_MARK_A_CREATED)
		mnl_attr_put_u64(nlh, DIODE_RX_MARK_A_CREATED, 1);
	if (omit != DIODE_RX_MARK_A_COUNTER)
		mnl_attr_put(nlh, DIODE_RX_MARK_A_COUNTER, counter_len, bytes);
	mnl_attr_nest_end(nlh, nest);
	errno = 0;
	return ipc_parse_device(nlh, &dev) && errno == EBADMSG;
}

static bool test_reply_rx_mark_malformed(void)
{
	uint8_t bytes[8] = { 0 };

	KTAP_EXPECT(rx_mark_rejected(DIODE_RX_MARK_A_CREATED, 8));
	KTAP_EXPECT(rx_mark_rejected(DIODE_RX_MARK_A_COUNTER, 8));
	KTAP_EXPECT(rx_mark_rejected(0, 4));
	KTAP_EXPECT(rx_mark_rejected(0, 16));
	KTAP_EXPECT(!rx_mark_rejected(0, 8));
	/* A u64 where the nest should be. */
	KTAP_EXPECT(reply_rejected(DIODE_A_RX_MARK, bytes, 8));
	KTAP_EXPECT(reply_rejected(DIODE_A_RX_MARK, bytes, 0));
	return true;
}

static bool reply_rejected(uint16_t type, const void *payload, size_t len)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct device dev;

	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode0");
	mnl_attr_put(nlh, type, len, payload);
	errno = 0;
	return ipc_parse_device(nlh, &dev) && errno == EBADMSG;
}

static bool test_reply_malformed(void)
{
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in in = { .sin_family = AF_INET };
	uint8_t bytes[64] = { 0 };
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct device dev;

	KTAP_EXPECT(reply_rejected(DIODE_A_PUBLIC_KEY, bytes, 31));
	KTAP_EXPECT(reply_rejected(DIODE_A_PEER_PUBLIC_KEY, bytes, 33));
	KTAP_EXPECT(reply_rejected(DIODE_A_MODE, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_REPLAY_WINDOW, bytes, 2));
	KTAP_EXPECT(reply_rejected(DIODE_A_REKEY_AFTER_TIME, bytes, 8));
	KTAP_EXPECT(reply_rejected(DIODE_A_REKEY_AFTER_FRAMES, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_MAX_SESSION_AGE, bytes, 1));
	KTAP_EXPECT(reply_rejected(DIODE_A_HEARTBEAT_INTERVAL, bytes, 2));
	KTAP_EXPECT(reply_rejected(DIODE_A_REDUNDANCY, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_FEC_DATA, bytes, 0));
	KTAP_EXPECT(reply_rejected(DIODE_A_FEC_PARITY, bytes, 2));
	KTAP_EXPECT(reply_rejected(DIODE_A_FEC_INTERLEAVE, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_RATE, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_ENCAP, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_LOWER_IFINDEX, bytes, 8));
	KTAP_EXPECT(reply_rejected(DIODE_A_ETHERTYPE, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_DEST_MAC, bytes, ETH_ALEN + 2));
	KTAP_EXPECT(reply_rejected(DIODE_A_DEST_MAC, bytes, ETH_ALEN - 1));
	KTAP_EXPECT(reply_rejected(DIODE_A_CARRIER, bytes, 4));
	KTAP_EXPECT(reply_rejected(DIODE_A_IFNAME, "abcdefghijklmnop", 17));
	KTAP_EXPECT(reply_rejected(DIODE_A_IFNAME, "abc", 3));
	KTAP_EXPECT(reply_rejected(DIODE_A_LOCAL, &in, sizeof(in) - 1));
	KTAP_EXPECT(reply_rejected(DIODE_A_LOCAL, &in6, sizeof(in)));
	KTAP_EXPECT(reply_rejected(DIODE_A_REMOTE, &in, 1));
	in.sin_family = AF_UNIX;
	KTAP_EXPECT(reply_rejected(DIODE_A_REMOTE, &in, sizeof(in)));

	/* No interface name. */
	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_u8(nlh, DIODE_A_MODE, DIODE_MODE_TX);
	KTAP_EXPECT(ipc_parse_device(nlh, &dev));

	/* A counter that is not a u64. */
	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode0");
	nest = mnl_attr_nest_start(nlh, DIODE_A_STATS);
	mnl_attr_put_u32(nlh, DIODE_STAT_TX_PACKETS, 1);
	mnl_attr_nest_end(nlh, nest);
	KTAP_EXPECT(ipc_parse_device(nlh, &dev));

	/* A session that is no nest. */
	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode0");
	nest = mnl_attr_nest_start(nlh, DIODE_A_SESSIONS);
	mnl_attr_put(nlh, 0, 2, "xx");
	mnl_attr_nest_end(nlh, nest);
	KTAP_EXPECT(ipc_parse_device(nlh, &dev));

	/* Only a header. */
	nlh = mnl_nlmsg_put_header(buf);
	KTAP_EXPECT(ipc_parse_device(nlh, &dev));
	return true;
}

/* An NLMSG_ERROR as the kernel sends it, optionally echoing the request. */
static struct nlmsghdr *build_error(char *buf, int error, bool capped,
				    const char *msg)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	char request_buf[128];
	struct nlmsghdr *request;
	struct nlmsgerr *err;

	request = ipc_msg_start(request_buf, TEST_FAMILY,
				 DIODE_CMD_SET_DEVICE, NLM_F_ACK);
	mnl_attr_put_u32(request, DIODE_A_REPLAY_WINDOW, 100);
	nlh->nlmsg_type = NLMSG_ERROR;
	if (capped) {
		err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
		err->msg = *request;
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	} else {
		err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err) +
						 request->nlmsg_len -
						 sizeof(*request));
		memcpy(&err->msg, request, request->nlmsg_len);
	}
	err->error = error;
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 32);
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	return nlh;
}

static bool test_error_status(void)
{
	static const char msg[] = "replay window must be a multiple of 64";
	char buf[512], extack[256];
	struct nlmsghdr *nlh;

	nlh = build_error(buf, -EINVAL, true, msg);
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) == -EINVAL);
	KTAP_EXPECT(!strcmp(extack, msg));

	nlh = build_error(buf, -EINVAL, false, msg);
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) == -EINVAL);
	KTAP_EXPECT(!strcmp(extack, msg));

	nlh = build_error(buf, -ENODEV, true, NULL);
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) == -ENODEV);
	KTAP_EXPECT(!extack[0]);

	/* An ack may carry a warning. */
	nlh = build_error(buf, 0, true, "careful");
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) == 0);
	KTAP_EXPECT(!strcmp(extack, "careful"));

	/* A message longer than the buffer is cut, not overflowed. */
	nlh = build_error(buf, -EINVAL, true, msg);
	KTAP_EXPECT(ipc_msg_status(nlh, extack, 7) == -EINVAL);
	KTAP_EXPECT(!strcmp(extack, "replay"));

	/* Truncated: no room for struct nlmsgerr. */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	mnl_nlmsg_put_extra_header(nlh, 4);
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) == -EBADMSG);
	return true;
}

static bool test_done_status(void)
{
	char buf[256], extack[256];
	struct nlmsghdr *nlh;
	int *status;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) == 0);

	status = mnl_nlmsg_put_extra_header(nlh, sizeof(*status));
	*status = 0;
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) == 0);

	*status = -EMSGSIZE;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump failed");
	KTAP_EXPECT(ipc_msg_status(nlh, extack, sizeof(extack)) ==
		    -EMSGSIZE);
	KTAP_EXPECT(!strcmp(extack, "dump failed"));
	return true;
}

/* RFC 7748, section 6.1. */
#define ALICE_PRIVATE	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define BOB_PUBLIC	"3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="
#define PSK		"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="

static bool parse_config(const char *text, enum config_kind kind,
			 struct device *args)
{
	char *copy = strdup(text);
	struct parse_error e;
	unsigned int line;
	int ret;

	ret = config_parse(copy, strlen(copy), kind, args, &line, &e);
	free(copy);
	if (ret)
		ktap_diag("line %u: %s", line, e.msg);
	return !ret;
}

static struct nlmsghdr *request_attrs(char *buf, const struct device *args,
				      struct attrs *attrs)
{
	struct nlmsghdr *nlh = ipc_build_set(buf, TEST_FAMILY, args);

	memset(attrs, 0, sizeof(*attrs));
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_attr_cb, attrs);
	return nlh;
}

static bool key_attr_is(const struct nlattr *attr, const char *base64)
{
	uint8_t key[DIODE_KEY_LEN];
	struct parse_error e;

	return !key_from_base64(base64, strlen(base64), key, &e) &&
	       attr_is(attr, key, DIODE_KEY_LEN);
}

/*
 * setconf of a file with the least it can hold: its two settings and the
 * replace flag, with which the kernel returns everything else to its default.
 */
static bool test_setconf_request_replaces(void)
{
	char buf[IPC_SET_REQUEST_SIZE];
	const struct genlmsghdr *genl;
	struct device args;
	struct nlmsghdr *nlh;
	struct attrs attrs;

	KTAP_EXPECT(parse_config("[Interface]\nMode = rx\n[Peer]\nPublicKey = "
				 BOB_PUBLIC "\n", CONFIG_SET, &args));
	strcpy(args.ifname, "diode0");
	nlh = request_attrs(buf, &args, &attrs);
	genl = mnl_nlmsg_get_payload(nlh);
	KTAP_EXPECT(genl->cmd == DIODE_CMD_SET_DEVICE);
	KTAP_EXPECT(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	KTAP_EXPECT(attrs.count == 4);
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_IFNAME], "diode0", 7));
	/* A flag: no payload. */
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_REPLACE], "", 0));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_MODE],
			    &(uint8_t){ DIODE_MODE_RX }, 1));
	KTAP_EXPECT(key_attr_is(attrs.tb[DIODE_A_PEER_PUBLIC_KEY],
				BOB_PUBLIC));
	/* A receiver's mark is state, which setconf leaves alone. */
	KTAP_EXPECT(!attrs.tb[DIODE_A_RX_MARK]);

	/* addconf changes only what the file gives. */
	KTAP_EXPECT(parse_config("[Interface]\nMode = rx\n[Peer]\nPublicKey = "
				 BOB_PUBLIC "\n", CONFIG_ADD, &args));
	strcpy(args.ifname, "diode0");
	request_attrs(buf, &args, &attrs);
	KTAP_EXPECT(attrs.count == 3 && !attrs.tb[DIODE_A_REPLACE]);
	sodium_memzero(buf, sizeof(buf));
	return true;
}

static bool test_addconf_request(void)
{
	char buf[IPC_SET_REQUEST_SIZE];
	struct device args;
	struct attrs attrs;

	KTAP_EXPECT(parse_config("[Interface]\nMaxSessionAge = 600\n"
				 "[Peer]\nPublicKey = " BOB_PUBLIC "\n"
				 "PresharedKey = " PSK "\n", CONFIG_ADD, &args));
	strcpy(args.ifname, "d");
	request_attrs(buf, &args, &attrs);
	KTAP_EXPECT(attrs.count == 4);
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_IFNAME], "d", 2));
	KTAP_EXPECT(attr_is(attrs.tb[DIODE_A_MAX_SESSION_AGE],
			    &(uint32_t){ 600 }, 4));
	KTAP_EXPECT(key_attr_is(attrs.tb[DIODE_A_PEER_PUBLIC_KEY],
				BOB_PUBLIC));
	KTAP_EXPECT(key_attr_is(attrs.tb[DIODE_A_PRESHARED_KEY], PSK));
	sodium_memzero(buf, sizeof(buf));
	return true;
}

static bool only_ifname(const struct nlmsghdr *nlh, uint8_t cmd)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	struct attrs attrs = { 0 };

	mnl_attr_parse(nlh, sizeof(*genl), collect_attr_cb, &attrs);
	return nlh->nlmsg_type == TEST_FAMILY &&
	       nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK) &&
	       genl->cmd == cmd && genl->version == DIODE_GENL_VERSION &&
	       attrs.count == 1 &&
	       attr_is(attrs.tb[DIODE_A_IFNAME], "diode7", 7);
}

static bool test_reset_and_secrets_requests(void)
{
	char buf[IPC_REQUEST_SIZE];

	KTAP_EXPECT(only_ifname(ipc_build_request(buf, TEST_FAMILY,
						  DIODE_CMD_RESET_SESSIONS,
						  NLM_F_ACK, "diode7"),
				DIODE_CMD_RESET_SESSIONS));
	KTAP_EXPECT(only_ifname(ipc_build_request(buf, TEST_FAMILY,
						  DIODE_CMD_GET_SECRETS,
						  NLM_F_ACK, "diode7"),
				DIODE_CMD_GET_SECRETS));
	return true;
}

static struct nlmsghdr *secrets_reply(char *buf, bool private_key,
				      size_t psk_len)
{
	struct nlmsghdr *nlh = ipc_msg_start(buf, TEST_FAMILY,
					      DIODE_CMD_GET_SECRETS, 0);
	uint8_t key[DIODE_KEY_LEN + 1];

	mnl_attr_put_u32(nlh, DIODE_A_IFINDEX, 5);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode0");
	memset(key, 0x11, sizeof(key));
	if (private_key)
		mnl_attr_put(nlh, DIODE_A_PRIVATE_KEY, DIODE_KEY_LEN, key);
	memset(key, 0x22, sizeof(key));
	if (psk_len)
		mnl_attr_put(nlh, DIODE_A_PRESHARED_KEY, psk_len, key);
	return nlh;
}

static bool test_secrets_reply(void)
{
	struct device secrets = { 0 };
	char buf[512];
	uint8_t key[DIODE_KEY_LEN];

	KTAP_EXPECT(!ipc_parse_secrets(secrets_reply(buf, true, DIODE_KEY_LEN),
				       &secrets));
	KTAP_EXPECT(secrets.present == (HAS(DIODE_A_PRIVATE_KEY) |
					HAS(DIODE_A_PRESHARED_KEY)));
	memset(key, 0x11, sizeof(key));
	KTAP_EXPECT(!memcmp(secrets.private_key, key, DIODE_KEY_LEN));
	memset(key, 0x22, sizeof(key));
	KTAP_EXPECT(!memcmp(secrets.preshared_key, key, DIODE_KEY_LEN));

	KTAP_EXPECT(!ipc_parse_secrets(secrets_reply(buf, false, 0), &secrets));
	KTAP_EXPECT(!secrets.present && key_is_zero(secrets.private_key));

	errno = 0;
	KTAP_EXPECT(ipc_parse_secrets(secrets_reply(buf, true,
						    DIODE_KEY_LEN + 1),
				      &secrets) && errno == EBADMSG);
	/* Nothing of a rejected reply is kept. */
	KTAP_EXPECT(!secrets.present && key_is_zero(secrets.private_key));
	return true;
}

/* A receiver as GET_DEVICE and GET_SECRETS describe it. */
static void receiver_reply(char *buf, struct device *dev, bool with_peer)
{
	struct sockaddr_in6 local = {
		.sin6_family = AF_INET6,
		.sin6_port = htons(4000),
	};
	struct parse_error e;
	struct nlmsghdr *nlh;
	uint8_t key[DIODE_KEY_LEN];

	inet_pton(AF_INET6, "2001:db8::2", &local.sin6_addr);
	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_u32(nlh, DIODE_A_IFINDEX, 3);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode0");
	mnl_attr_put_u8(nlh, DIODE_A_MODE, DIODE_MODE_RX);
	memset(key, 1, sizeof(key));
	mnl_attr_put(nlh, DIODE_A_PUBLIC_KEY, sizeof(key), key);
	if (with_peer) {
		key_from_base64(BOB_PUBLIC, 44, key, &e);
		mnl_attr_put(nlh, DIODE_A_PEER_PUBLIC_KEY, sizeof(key), key);
	}
	mnl_attr_put_u8(nlh, DIODE_A_HAS_PRESHARED_KEY, 1);
	mnl_attr_put(nlh, DIODE_A_LOCAL, sizeof(local), &local);
	mnl_attr_put_u32(nlh, DIODE_A_REPLAY_WINDOW, 65536);
	mnl_attr_put_u32(nlh, DIODE_A_REKEY_AFTER_TIME, 30);
	mnl_attr_put_u64(nlh, DIODE_A_REKEY_AFTER_FRAMES, 2048);
	mnl_attr_put_u32(nlh, DIODE_A_MAX_SESSION_AGE, 3600);
	mnl_attr_put_u32(nlh, DIODE_A_HEARTBEAT_INTERVAL, 500);
	mnl_attr_put_u8(nlh, DIODE_A_REDUNDANCY, 2);
	mnl_attr_put_u8(nlh, DIODE_A_FEC_DATA, 8);
	mnl_attr_put_u8(nlh, DIODE_A_FEC_PARITY, 2);
	mnl_attr_put_u8(nlh, DIODE_A_FEC_INTERLEAVE, 4);
	mnl_attr_put_u64(nlh, DIODE_A_RATE, 10000000000ULL);
	mnl_attr_put_u8(nlh, DIODE_A_ENCAP, DIODE_ENCAP_ETH);
	mnl_attr_put_u32(nlh, DIODE_A_LOWER_IFINDEX, if_nametoindex("lo"));
	mnl_attr_put_u16(nlh, DIODE_A_ETHERTYPE, 0x9000);
	/* The default: a DestMAC that showconf leaves unsaid. */
	mnl_attr_put(nlh, DIODE_A_DEST_MAC, ETH_ALEN,
		     (uint8_t[ETH_ALEN]){ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff });
	mnl_attr_put_u8(nlh, DIODE_A_CARRIER, 1);
	ipc_parse_device(nlh, dev);
}

/* And its keys, as GET_SECRETS adds them. */
static void receiver_secrets(char *buf, struct device *dev)
{
	struct parse_error e;
	struct nlmsghdr *nlh;
	uint8_t key[DIODE_KEY_LEN];

	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_SECRETS, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode0");
	key_from_base64(ALICE_PRIVATE, 44, key, &e);
	mnl_attr_put(nlh, DIODE_A_PRIVATE_KEY, sizeof(key), key);
	key_from_base64(PSK, 44, key, &e);
	mnl_attr_put(nlh, DIODE_A_PRESHARED_KEY, sizeof(key), key);
	ipc_parse_secrets(nlh, dev);
	sodium_memzero(key, sizeof(key));
}

static const char receiver_config[] =
	"[Interface]\n"
	"Mode = rx\n"
	"PrivateKey = " ALICE_PRIVATE "\n"
	"Local = [2001:db8::2]:4000\n"
	"ReplayWindow = 65536\n"
	"RekeyAfterTime = 30\n"
	"RekeyAfterFrames = 2048\n"
	"MaxSessionAge = 3600\n"
	"HeartbeatInterval = 500\n"
	"Redundancy = 2\n"
	"FEC = 8/2\n"
	"Interleave = 4\n"
	"Rate = 10gbit\n"
	"Encap = eth\n"
	"Lower = lo\n"
	"EtherType = 0x9000\n"
	"\n"
	"[Peer]\n"
	"PublicKey = " BOB_PUBLIC "\n"
	"PresharedKey = " PSK "\n";

static bool test_showconf_text(void)
{
	char buf[2048], keys[512], text[CONFIG_TEXT_SIZE];
	struct device dev;
	int len;

	receiver_reply(buf, &dev, true);
	receiver_secrets(keys, &dev);
	len = config_format(text, sizeof(text), &dev);
	KTAP_EXPECT(len == (int)strlen(receiver_config));
	if (strcmp(text, receiver_config)) {
		ktap_diag("got:\n%s", text);
		return false;
	}
	/* And show prints the new settings as text. */
	KTAP_EXPECT(text_is(&dev, false,
		"interface: diode0\n"
		"  mode: rx\n"
		"  public key: AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
		"  peer: " BOB_PUBLIC "\n"
		"  preshared key: (set)\n"
		"  local: [2001:db8::2]:4000\n"
		"  replay window: 65536\n"
		"  rekey after time: 30 seconds\n"
		"  rekey after frames: 2048\n"
		"  max session age: 3600 seconds\n"
		"  heartbeat interval: 500 ms\n"
		"  redundancy: 2\n"
		"  fec: 8/2\n"
		"  interleave: 4\n"
		"  rate: 10gbit\n"
		"  encap: eth\n"
		"  lower: lo\n"
		"  ethertype: 0x9000\n"
		"  dest mac: ff:ff:ff:ff:ff:ff\n"
		"  carrier: yes\n"));
	return true;
}

/* Without a peer or secrets, showconf prints what there is. */
static bool test_showconf_partial(void)
{
	char buf[2048], text[CONFIG_TEXT_SIZE];
	struct device dev;

	receiver_reply(buf, &dev, false);
	KTAP_EXPECT(!(dev.present & HAS(DIODE_A_PEER_PUBLIC_KEY)));
	KTAP_EXPECT(config_format(text, sizeof(text), &dev) > 0);
	KTAP_EXPECT(!strcmp(text,
		"[Interface]\n"
		"Mode = rx\n"
		"Local = [2001:db8::2]:4000\n"
		"ReplayWindow = 65536\n"
		"RekeyAfterTime = 30\n"
		"RekeyAfterFrames = 2048\n"
		"MaxSessionAge = 3600\n"
		"HeartbeatInterval = 500\n"
		"Redundancy = 2\n"
		"FEC = 8/2\n"
		"Interleave = 4\n"
		"Rate = 10gbit\n"
		"Encap = eth\n"
		"Lower = lo\n"
		"EtherType = 0x9000\n"));
	return true;
}

/*
 * The round trip as the kernel sees it: what GET_DEVICE and GET_SECRETS
 * report, through showconf and setconf, comes back as the same attributes.
 */
static bool test_showconf_setconf_round_trip(void)
{
	char reply[2048], keys[512], text[CONFIG_TEXT_SIZE];
	char buf[IPC_SET_REQUEST_SIZE];
	struct attrs request, device;
	struct device dev, args;
	struct nlmsghdr *nlh;
	static const int same[] = {
		DIODE_A_MODE, DIODE_A_PEER_PUBLIC_KEY, DIODE_A_LOCAL,
		DIODE_A_REPLAY_WINDOW, DIODE_A_REKEY_AFTER_TIME,
		DIODE_A_REKEY_AFTER_FRAMES, DIODE_A_MAX_SESSION_AGE,
		DIODE_A_HEARTBEAT_INTERVAL, DIODE_A_REDUNDANCY,
		DIODE_A_FEC_DATA, DIODE_A_FEC_PARITY, DIODE_A_FEC_INTERLEAVE,
		DIODE_A_RATE, DIODE_A_ENCAP, DIODE_A_LOWER_IFINDEX,
		DIODE_A_ETHERTYPE,
	};
	const struct nlattr *a, *b;
	size_t i;

	receiver_reply(reply, &dev, true);
	receiver_secrets(keys, &dev);
	KTAP_EXPECT(config_format(text, sizeof(text), &dev) > 0);
	KTAP_EXPECT(parse_config(text, CONFIG_SET, &args));
	strcpy(args.ifname, "diode0");
	request_attrs(buf, &args, &request);

	nlh = (struct nlmsghdr *)reply;
	memset(&device, 0, sizeof(device));
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), collect_attr_cb,
		       &device);
	for (i = 0; i < ARRAY_SIZE(same); i++) {
		a = request.tb[same[i]];
		b = device.tb[same[i]];
		if (!a || !b || !attr_is(a, mnl_attr_get_payload(b),
					 mnl_attr_get_payload_len(b))) {
			ktap_diag("attribute %d differs", same[i]);
			return false;
		}
	}
	KTAP_EXPECT(attr_is(request.tb[DIODE_A_PRIVATE_KEY],
			    dev.private_key, DIODE_KEY_LEN));
	KTAP_EXPECT(attr_is(request.tb[DIODE_A_PRESHARED_KEY],
			    dev.preshared_key, DIODE_KEY_LEN));
	/*
	 * No remote on a receiver, and the default broadcast DestMAC: the
	 * file leaves them out, and the replace flag returns them to that.
	 */
	KTAP_EXPECT(request.tb[DIODE_A_REPLACE]);
	KTAP_EXPECT(!device.tb[DIODE_A_REMOTE] && !request.tb[DIODE_A_REMOTE]);
	KTAP_EXPECT(!request.tb[DIODE_A_DEST_MAC]);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(buf, sizeof(buf));
	return true;
}

static struct nlmsghdr *link_event(char *buf, const char *ifname,
				   int carrier)
{
	struct nlmsghdr *nlh = ipc_msg_start(buf, TEST_FAMILY,
					      DIODE_CMD_LINK_EVENT, 0);

	/* A notification: no request flag, sequence number nor port. */
	nlh->nlmsg_flags = 0;
	mnl_attr_put_u32(nlh, DIODE_A_IFINDEX, 9);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	if (carrier >= 0)
		mnl_attr_put_u8(nlh, DIODE_A_CARRIER, carrier);
	return nlh;
}

static bool event_prints(const struct nlmsghdr *nlh, const char *expected)
{
	struct link_event event;
	char *text = NULL;
	size_t size;
	FILE *f;
	bool ok;

	if (ipc_parse_link_event(nlh, &event) != 1)
		return false;
	f = open_memstream(&text, &size);
	link_event_print(f, &event);
	fclose(f);
	ok = !strcmp(text, expected);
	if (!ok)
		ktap_diag("got '%s'", text);
	free(text);
	return ok;
}

static bool test_link_events(void)
{
	struct link_event event;
	struct nlmsghdr *nlh;
	char buf[256];

	KTAP_EXPECT(event_prints(link_event(buf, "diode0", 1),
				 "diode0: carrier on\n"));
	KTAP_EXPECT(event_prints(link_event(buf, "diode0", 0),
				 "diode0: carrier off\n"));
	KTAP_EXPECT(event_prints(link_event(buf, "d\x1b", 1),
				 "d\\x1b: carrier on\n"));
	KTAP_EXPECT(ipc_parse_link_event(link_event(buf, "diode0", 1), &event) ==
		    1 && !strcmp(event.ifname, "diode0") && event.carrier);
	/* Another command of the family is no event. */
	nlh = ipc_msg_start(buf, TEST_FAMILY, DIODE_CMD_GET_DEVICE, 0);
	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, "diode0");
	KTAP_EXPECT(ipc_parse_link_event(nlh, &event) == 0);
	/* No carrier, a carrier of the wrong size, a name too long. */
	errno = 0;
	KTAP_EXPECT(ipc_parse_link_event(link_event(buf, "diode0", -1), &event) ==
		    -1 && errno == EBADMSG);
	nlh = link_event(buf, "diode0", -1);
	mnl_attr_put_u32(nlh, DIODE_A_CARRIER, 1);
	KTAP_EXPECT(ipc_parse_link_event(nlh, &event) == -1);
	KTAP_EXPECT(ipc_parse_link_event(link_event(buf, "abcdefghijklmnop", 1),
				     &event) == -1);
	nlh = mnl_nlmsg_put_header(buf);
	KTAP_EXPECT(ipc_parse_link_event(nlh, &event) == -1);
	return true;
}

/* The controller's answer about the family, with its multicast groups. */
static struct nlmsghdr *family_reply(char *buf, bool monitor)
{
	struct nlmsghdr *nlh = ipc_msg_start(buf, GENL_ID_CTRL,
					      CTRL_CMD_NEWFAMILY, 0);
	struct nlattr *groups, *group;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DIODE_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x25);
	groups = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	group = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 11);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "monitorx");
	mnl_attr_nest_end(nlh, group);
	if (monitor) {
		group = mnl_attr_nest_start(nlh, 2);
		mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME,
				  DIODE_MCGRP_MONITOR);
		mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 12);
		mnl_attr_nest_end(nlh, group);
	}
	mnl_attr_nest_end(nlh, groups);
	return nlh;
}

static bool test_family_groups(void)
{
	struct ipc g = { 0 };
	char buf[512];

	KTAP_EXPECT(ipc_parse_family(family_reply(buf, true), &g) ==
		    MNL_CB_OK);
	KTAP_EXPECT(g.family == 0x25 && g.monitor_group == 12);
	memset(&g, 0, sizeof(g));
	KTAP_EXPECT(ipc_parse_family(family_reply(buf, false), &g) ==
		    MNL_CB_OK);
	KTAP_EXPECT(g.family == 0x25 && g.monitor_group == 0);
	return true;
}

static const struct ktap_test tests[] = {
	{ "set_request_all", test_set_request_all },
	{ "set_request_some", test_set_request_some },
	{ "set_request_link", test_set_request_link },
	{ "set_request_off", test_set_request_off },
	{ "set_request_rx_mark", test_set_request_rx_mark },
	{ "reply_text", test_reply_text },
	{ "reply_json", test_reply_json },
	{ "reply_minimal", test_reply_minimal },
	{ "reply_link_off", test_reply_link_off },
	{ "reply_malformed", test_reply_malformed },
	{ "reply_rx_mark", test_reply_rx_mark },
	{ "reply_rx_mark_malformed", test_reply_rx_mark_malformed },
	{ "error_status", test_error_status },
	{ "done_status", test_done_status },
	{ "setconf_request_replaces", test_setconf_request_replaces },
	{ "addconf_request", test_addconf_request },
	{ "reset_and_secrets_requests", test_reset_and_secrets_requests },
	{ "secrets_reply", test_secrets_reply },
	{ "showconf_text", test_showconf_text },
	{ "showconf_partial", test_showconf_partial },
	{ "showconf_setconf_round_trip", test_showconf_setconf_round_trip },
	{ "link_events", test_link_events },
	{ "family_groups", test_family_groups },
};

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	return ktap_run_tests(tests, ARRAY_SIZE(tests));
}
