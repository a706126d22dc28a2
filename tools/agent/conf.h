/* SPDX-License-Identifier: GPL-2.0 */
/* diode-agent's channel configuration file (docs/agents.md). */
#ifndef DIODE_AGENT_CONF_H
#define DIODE_AGENT_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	bool set;
};

enum conf_protocol { CONF_SYSLOG, CONF_MQTT, CONF_FILES, CONF_OPCUA };

#define CONF_MQTT_TOPICS 64	/* Topic = filters of a tx */
#define CONF_MQTT_STR 1024	/* a line holds at most this */

/* [MQTT] (docs/mqtt.md, Configuration) */
struct conf_mqtt {
	char host[256];			/* Broker: a name or an address, no brackets */
	uint16_t port;			/* 1883, or 8883 with TLS, unless given */
	int version;			/* Version: 5, or 4 (MQTT_PROTOCOL_V311) */
	char client_id[CONF_MQTT_STR];	/* ClientId: diode-NAME-tx|rx */
	char username[CONF_MQTT_STR];	/* "" for none */
	bool has_password;
	char password[4096];		/* PasswordFile's first line; conf_wipe */
	char password_file[256];
	bool tls;			/* CAFile or CAPath given */
	char ca_file[256], ca_path[256], cert_file[256], key_file[256];
	char tls_version[16];		/* "" (libmosquitto's default), tlsv1.2, tlsv1.3 */
	bool insecure;			/* Insecure: no check of the broker's name */
	uint32_t keepalive_s;		/* KeepAlive, 5 to 65535 s */
	/* tx */
	int ntopics;
	char topics[CONF_MQTT_TOPICS][CONF_MQTT_STR];	/* Topic: default # */
	uint32_t session_expiry_s;	/* SessionExpiry: 0 clean, UINT32_MAX never */
	uint32_t carousel_ms;		/* CarouselPeriod, 0 = off */
	uint32_t carousel_share;	/* CarouselShare: percent of Rate */
	/* both */
	uint32_t max_topics;		/* MaxTopics */
	uint64_t max_state_bytes;	/* MaxStateBytes */
	/* rx */
	char prefix[CONF_MQTT_STR];	/* Prefix, "" for none */
	int qos;			/* QoS */
	char status_topic[CONF_MQTT_STR];	/* StatusTopic */
};

/* [Files] (docs/files.md, Configuration) */
struct conf_files {
	char outbox[256], sent[256];	/* tx */
	uint32_t settle_ms;		/* Settle */
	int passes;			/* Passes: 1 to 16 */
	uint32_t pass_delay_ms;		/* PassDelay */
	uint32_t history_ms;		/* History: 0 = off */
	uint32_t history_files;		/* HistoryFiles: the files it names */
	char inbox[256], partial[256], failed[256];	/* rx */
	uint32_t deadline_ms;		/* Deadline */
	uint64_t mark_age_ms;		/* MarkAge: what became of a file, kept that long */
};

#define CONF_OPCUA_TRUST 16	/* TrustList = given at most this often */
#define CONF_OPCUA_POL_NONE	1u	/* SecurityPolicy None */
#define CONF_OPCUA_POL_B256S256	2u	/* Basic256Sha256 */
#define CONF_OPCUA_POL_AES128	4u	/* Aes128_Sha256_RsaOaep */

/* [OPCUA] (docs/opcua.md, Configuration) */
struct conf_opcua {
	char endpoint[256];		/* tx: Endpoint, opc.tcp://HOST:PORT[/PATH] */
	uint32_t sampling_ms;		/* tx: SamplingInterval */
	uint32_t publishing_ms;		/* tx: PublishingInterval */
	uint32_t carousel_ms;		/* tx: Carousel, 0 = off */
	uint32_t carousel_share;	/* tx: CarouselShare, percent of Rate */
	uint32_t rebrowse_ms;		/* tx: Rebrowse, 0 = off */
	uint16_t port;			/* rx: Port, the mirror's */
	/* security (docs/opcua.md, Security) */
	int security_mode;		/* tx: SecurityMode, OPC UA's MessageSecurityMode:
					 * 1 None, 2 Sign, 3 SignAndEncrypt */
	unsigned policies;		/* SecurityPolicy: CONF_OPCUA_POL_* bits; the tx's
					 * one, the set the rx's mirror offers */
	char cert[256], key[256];	/* Certificate, PrivateKey: absolute paths */
	int ntrust;			/* TrustList: files or folders of certificates */
	char trust[CONF_OPCUA_TRUST][256];
	char username[256];		/* tx: Username, "" for anonymous */
	bool has_password;
	char password[1024];		/* tx: PasswordFile's first line; conf_wipe */
	char password_file[256];
	char users[256];		/* rx: Users, the mirror's NAME:PASSWORD file, or "" */
	bool anonymous;			/* rx: Anonymous, the mirror's anonymous sessions */
};

struct conf {
	char name[64];
	enum conf_protocol protocol;	/* Protocol */
	bool tx;			/* Role */
	uint16_t id;			/* Id */
	char state_dir[256];		/* StateDir */
	struct addr local, remote;	/* [Transport] Local, Remote */
	char device[32];		/* Device */
	uint32_t mtu;			/* MTU: 0 = auto */
	uint32_t heartbeat_ms;		/* HeartbeatInterval */
	uint32_t reorder_ms;		/* ReorderWait */
	uint64_t rate_bps;		/* Rate */
	uint32_t queue;			/* Queue: messages */
	struct addr listen_udp, listen_tcp;	/* [Syslog] */
	uint32_t max_message;		/* MaxMessage */
	struct addr collector;		/* Collector */
	bool collector_tcp;
	uint64_t spool_bytes;		/* Spool: bytes on disk for the collector */
	uint64_t journal_bytes;		/* Journal: tx bytes on disk, 0 = none */
	char link[32];			/* Link: the shared budget's name, or "" */
	uint64_t link_rate_bps;		/* LinkRate */
	int priority;			/* Priority: 0 (highest) to 7 */
	struct conf_mqtt mqtt;		/* [MQTT], with Protocol = mqtt */
	struct conf_files files;	/* [Files], with Protocol = files */
	struct conf_opcua opcua;	/* [OPCUA], with Protocol = opcua */
};

/* Read FILE (or stdin for "-"); on error print FILE:LINE: ... and fail. */
int conf_load(struct conf *c, const char *path);
/* Forget the MQTT and OPC UA passwords once the client has taken its copy. */
void conf_wipe(struct conf *c);
int parse_addr(const char *s, struct addr *a, uint16_t default_port);
const char *addr_str(const struct addr *a, char *buf, size_t len);

#endif
