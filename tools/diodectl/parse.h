/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure logic of diodectl: parsing and checking of command-line words,
 * keys and addresses, and the text and JSON formatting of values. Nothing
 * here talks to the kernel, so all of it is covered by host unit tests.
 */
#ifndef _DIODECTL_PARSE_H
#define _DIODECTL_PARSE_H

#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <linux/diode.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A key in base64: 44 characters and the terminating NUL. */
#define KEY_BASE64_SIZE		45

/* Longest text of an address: "[IPv6%IFNAME]:PORT" and the NUL. */
#define ADDR_TEXT_SIZE		(INET6_ADDRSTRLEN + IFNAMSIZ + 9)

/* "18446744073709551615bit" and the NUL. */
#define RATE_TEXT_SIZE		24

/* "aa:bb:cc:dd:ee:ff" and the NUL. */
#define MAC_TEXT_SIZE		18

/* "2026-11-23T18:52:07.221568450Z" and the NUL, with room to spare. */
#define FORMAT_TIME_SIZE	64

/* "CREATED:COUNTER", two u64 in decimal, and the NUL. */
#define RX_MARK_TEXT_SIZE	42

/* A failed parse leaves a one-line message here, naming the bad word. */
struct parse_error {
	char msg[512];
};

int parse_fail(struct parse_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The UDP address of DIODE_A_LOCAL and DIODE_A_REMOTE. */
struct diode_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	};
	socklen_t len;
};

int parse_ifname(const char *word, struct parse_error *e);
int parse_mode(const char *word, uint8_t *mode, struct parse_error *e);
int parse_port(const char *word, uint16_t *port, struct parse_error *e);
int parse_addr(const char *word, struct diode_addr *addr,
	       struct parse_error *e);
/* No address: what the kernel takes to unset one (AF_UNSPEC, 16 bytes). */
void addr_set_none(struct diode_addr *addr);
int parse_replay_window(const char *word, uint32_t *window,
			struct parse_error *e);
/* The UDP address a sender sends to: a port, and not the any address. */
int parse_remote(const char *word, struct diode_addr *addr,
		 struct parse_error *e);
/* Against the DIODE_REKEY_* limits of the uapi. */
int parse_rekey_time(const char *word, uint32_t *seconds,
		     struct parse_error *e);
int parse_rekey_frames(const char *word, uint64_t *frames,
		       struct parse_error *e);
/* Seconds; 0 means no limit. */
int parse_max_session_age(const char *word, uint32_t *seconds,
			  struct parse_error *e);
/* Milliseconds, or a number with the unit ms or s: 500, 500ms, 2s. */
int parse_heartbeat_interval(const char *word, uint32_t *ms,
			     struct parse_error *e);
int parse_redundancy(const char *word, uint8_t *copies,
		     struct parse_error *e);
/* "K/M", or "off", which leaves *data 0 and *parity untouched. */
int parse_fec(const char *word, uint8_t *data, uint8_t *parity,
	      struct parse_error *e);
int parse_interleave(const char *word, uint8_t *depth, struct parse_error *e);
/* Bits per second, with tc's units (SI); 0 or "none" means no limit. */
int parse_rate(const char *word, uint64_t *bits, struct parse_error *e);
int parse_encap(const char *word, uint8_t *encap, struct parse_error *e);
/* A device that exists here: its index and name; "none" is index 0, "". */
int parse_lower(const char *word, uint32_t *ifindex, char name[IFNAMSIZ],
		struct parse_error *e);
int parse_ethertype(const char *word, uint16_t *ethertype,
		    struct parse_error *e);
int parse_dest_mac(const char *word, uint8_t mac[ETH_ALEN],
		   struct parse_error *e);
/*
 * A receiver's mark as `diodectl show DEV rx-mark` prints it: CREATED:COUNTER,
 * the creation time of a session (ns since the epoch) and a counter.
 */
int parse_rx_mark(const char *word, uint64_t *created, uint64_t *counter,
		  struct parse_error *e);
/* The protocol of an EtherType diode cannot use (see parse_ethertype), or NULL. */
const char *ethertype_taken(uint16_t ethertype);

const char *mode_name(uint8_t mode);
const char *encap_name(uint8_t encap);
void format_addr(const struct diode_addr *addr, char text[ADDR_TEXT_SIZE]);
/* As parse_rate() takes it, in the largest unit that keeps it whole. */
void format_rate(uint64_t bits, char text[RATE_TEXT_SIZE]);
void format_mac(const uint8_t mac[ETH_ALEN], char text[MAC_TEXT_SIZE]);
/* ns since the epoch as RFC 3339 UTC, with all nine digits of the ns. */
void format_time_ns(uint64_t ns, char text[FORMAT_TIME_SIZE]);
void format_rx_mark(uint64_t created, uint64_t counter,
		    char text[RX_MARK_TEXT_SIZE]);

/*
 * Keys as text. A key read from a file or stdin may be surrounded by
 * whitespace (a trailing newline, usually); the messages of these functions
 * never quote the text, which may be secret.
 */
int key_from_base64(const char *text, size_t len,
		    uint8_t key[DIODE_KEY_LEN], struct parse_error *e);
void key_to_base64(const uint8_t key[DIODE_KEY_LEN],
		   char text[KEY_BASE64_SIZE]);
bool key_is_zero(const uint8_t key[DIODE_KEY_LEN]);

/* A JSON string literal, quotes included, valid whatever the bytes of s. */
void json_write_string(FILE *f, const char *s);

/*
 * Writes indented JSON, one member per line, and puts the commas where they
 * belong. key is NULL for the values of an array and for the outermost value.
 */
struct json_writer {
	FILE *f;
	int depth;
	bool need_comma;
};

void json_init(struct json_writer *j, FILE *f);
void json_open(struct json_writer *j, const char *key, char bracket);
void json_close(struct json_writer *j, char bracket);
/* A NULL value is written as null. */
void json_string(struct json_writer *j, const char *key, const char *value);
void json_u64(struct json_writer *j, const char *key, uint64_t value);
void json_bool(struct json_writer *j, const char *key, bool value);
void json_null(struct json_writer *j, const char *key);
/* s for a terminal: bytes that are not printable ASCII become \xNN. */
void text_write_safe(FILE *f, const char *s);

#endif /* _DIODECTL_PARSE_H */
