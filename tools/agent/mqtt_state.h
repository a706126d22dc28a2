/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The retained state of one MQTT channel (docs/mqtt.md): topic -> the
 * last record of it (a message or a tombstone), with its stamp (the tx's
 * version of the topic). The tx stamps each change and re-sends every
 * topic by the carousel; the rx publishes a record only when its content
 * changed and ignores one older than what it holds. Saved to a file
 * written atomically and loaded strictly. Pure logic but for the file:
 * time comes in as milliseconds (of a clock that survives a restart,
 * since the file keeps times).
 */
#ifndef DIODE_AGENT_MQTT_STATE_H
#define DIODE_AGENT_MQTT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "mqtt_msg.h"

/* Older than any message expiry interval (32-bit seconds) lasts. */
#define MQTT_STATE_AGE_MAX	((UINT32_MAX + 1ull) * 1000)
/* The file's times are below it: a clock's, far from overflowing. */
#define MQTT_STATE_TIME_MAX	(1ull << 62)

enum mqtt_state_verdict {
	MQTT_STATE_SAME = 0,		/* what the table held: nothing to publish */
	MQTT_STATE_CHANGED = 1,		/* new content: send (tx), publish (rx) */
	MQTT_STATE_STALE = 2,		/* rx: older than the table's: ignore */
};

enum mqtt_state_err {
	MQTT_STATE_E_RECORD = 1,	/* not a valid retained record */
	MQTT_STATE_E_FULL,		/* max_topics or max_bytes */
	MQTT_STATE_E_NOMEM,
};

struct mqtt_state_entry {
	uint8_t *rec;		/* its stamp is the entry's; its age as of since_ms */
	uint32_t len;
	uint16_t topic_len;	/* the topic is at rec + MQTT_MSG_HDR */
	bool tombstone;
	uint32_t expiry_s;
	uint64_t stamp;
	uint64_t since_ms;	/* this content stored */
	uint64_t heard_ms;	/* last confirmed: by the OT broker (tx), the link (rx) */
	uint64_t hash;
	bool unsent;		/* rx: this content not yet queued for the broker */
};

struct mqtt_carousel {
	uint32_t period_ms;	/* 0: no carousel */
	uint64_t max_bytes_s;	/* its share of the channel's rate; 0: unbounded */
	uint32_t overhead;	/* bytes a re-send costs beyond its record */
	struct bg_credit credit;
	size_t cursor;		/* entries before it are sent in this pass */
	uint64_t pass_start_ms;
	uint64_t passes;	/* begun */
	uint64_t last_pass_ms;	/* how long the last whole pass took */
	uint64_t sent, sent_bytes;
};

struct mqtt_state {
	struct mqtt_state_entry *e;	/* in the carousel's order */
	size_t n, cap;
	uint32_t *slots;		/* hash index: entry + 1, 0 empty */
	size_t nslots;
	uint8_t key[16];
	size_t max_topics;
	uint64_t max_bytes;
	uint64_t bytes;			/* the records' total */
	uint64_t epoch;			/* of the tx the stamps are from */
	uint64_t last_stamp;
	struct mqtt_carousel car;
};

int mqtt_state_init(struct mqtt_state *s, size_t max_topics, uint64_t max_bytes);
void mqtt_state_free(struct mqtt_state *s);
struct mqtt_state_entry *mqtt_state_find(struct mqtt_state *s, const char *topic,
					 size_t len);
/*
 * Take a retained record (a retained message or a tombstone) of len bytes
 * in. stamp: the tx gives the record a new stamp when its content changed
 * (the record's own is ignored); the rx keeps the record's, and a stamp
 * below the table's is STALE. Returns the verdict, *out the entry (for
 * SAME and CHANGED), or -MQTT_STATE_E_*.
 */
int mqtt_state_put(struct mqtt_state *s, const uint8_t *rec, size_t len,
		   bool stamp, uint64_t now_ms, struct mqtt_state_entry **out);
void mqtt_state_remove(struct mqtt_state *s, struct mqtt_state_entry *e);
/* Forget tombstones older than tombstone_ms and messages past their
 * expiry: how many went. */
size_t mqtt_state_expire(struct mqtt_state *s, uint64_t now_ms,
			 uint64_t tombstone_ms);
/* rx: the tx was reset, its stamps start again: the table's are 0. */
void mqtt_state_rebase(struct mqtt_state *s, uint64_t epoch);
/* The age a copy of e sent now carries (mqtt_msg_set_age); at most
 * MQTT_STATE_AGE_MAX. */
uint64_t mqtt_state_age_ms(const struct mqtt_state_entry *e, uint64_t now_ms);
/* The oldest heard_ms of the messages (tombstones not counted), or 0. */
uint64_t mqtt_state_oldest_heard(const struct mqtt_state *s);

/*
 * The carousel re-sends every entry, round robin, once per period_ms: at
 * the rate the table's bytes (with overhead each) need for that, at most
 * max_bytes_s, so a pass takes longer when the share is too small. Ask
 * for the next entry until NULL, at least every BG_CREDIT_BURST_MS: the
 * entry to send now (a copy, its age set to mqtt_state_age_ms), or NULL
 * when none is due.
 */
void mqtt_state_carousel_set(struct mqtt_state *s, uint32_t period_ms,
			     uint64_t max_bytes_s, uint32_t overhead);
struct mqtt_state_entry *mqtt_state_carousel_next(struct mqtt_state *s,
						  uint64_t now_ms);

/*
 * The file: 0 saved (path.tmp written, synced and renamed), or -1 with
 * err said why. Loading into an empty table: 0 loaded, 1 no file, -1
 * refused with err (the table left empty).
 */
int mqtt_state_save(const struct mqtt_state *s, const char *path, char *err,
		    size_t errlen);
int mqtt_state_load(struct mqtt_state *s, const char *path, char *err,
		    size_t errlen);
int mqtt_state_load_buf(struct mqtt_state *s, const uint8_t *buf, size_t len,
			char *err, size_t errlen);

#endif
