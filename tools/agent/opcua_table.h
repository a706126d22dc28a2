/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rx's table of the OPC UA channel (docs/opcua.md): the last record
 * of each key (the namespace table, each node, each variable's value), so
 * that a record is ordered by its stamp against the one held (a copy the
 * carousel queued before a change, arriving after it, is older and
 * ignored) and a copy told from a change by its bytes (one encoding per
 * record), and so that a restarted rx serves the model and the last
 * values at once from its file. Pure logic but for the caller's file: the
 * table is written to and read from a buffer.
 */
#ifndef DIODE_AGENT_OPCUA_TABLE_H
#define DIODE_AGENT_OPCUA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opcua_msg.h"

struct opcua_entry {
	uint8_t *rec;
	uint32_t len;
	uint64_t applied;	/* the generation it was applied in, 0 not yet */
	uint64_t heard;		/* the pass it was last put in (opcua_table_pass) */
};

/* Passes heard whole that a node, a tombstone or a value may miss before
 * the sweep removes it (docs/opcua.md, Deletions). */
#define OPCUA_TABLE_SWEEP_PASSES 3

struct opcua_table {
	struct opcua_entry *e;	/* in the order the keys first came */
	size_t n, cap;
	size_t *slots;		/* hash index: entry + 1, 0 empty */
	size_t nslots;
	uint64_t gen;		/* from 1 */
	uint64_t bytes;
	bool dirty;		/* changed since the caller last saved it */
	/*
	 * The carousel's passes as the rx hears them: each model summary
	 * begins one, numbered here from 1 (0 before the first). A pass is
	 * heard whole when the summary after it is the next of the same
	 * table id: the rx heard its start and its end.
	 */
	uint64_t pass;
	uint64_t whole[OPCUA_TABLE_SWEEP_PASSES];	/* the last whole, oldest first */
	uint32_t sum_table;	/* the last summary's table id and pass number */
	uint64_t sum_pass;
};

void opcua_table_free(struct opcua_table *t);
void opcua_table_init(struct opcua_table *t);
/*
 * What opcua_table_put made of a record. Stamps order the records of one
 * link table id, that is of one run of the tx (its stamps start again
 * from 1 with the new table id it draws at each start): a record of
 * another table id than the one held is not compared by stamp, and is
 * another content (the table id is part of it).
 */
enum opcua_table_put_rc {
	OPCUA_TABLE_NOMEM = -1,
	/* the content held, applied in this generation: nothing to do (a
	 * stamp above the held one is taken) */
	OPCUA_TABLE_COPY = 0,
	/* new, changed, or not applied in this generation: stored, to apply,
	 * then to say so with opcua_table_applied */
	OPCUA_TABLE_APPLY = 1,
	/* a stamp below the held one, of the same table id: a copy queued
	 * before a change and arriving after it, ignored (not heard) */
	OPCUA_TABLE_OLDER = 2,
};

/* A record opcua_msg_decode accepted, against the one held of its key. */
enum opcua_table_put_rc opcua_table_put(struct opcua_table *t, const uint8_t *rec, size_t len);
void opcua_table_applied(struct opcua_table *t, const uint8_t *rec);
/* The record held of a key (OPCUA_MSG_T_* and the NodeId's bytes), or
 * NULL. */
struct opcua_entry *opcua_table_find(struct opcua_table *t, enum opcua_msg_table tb,
				     const uint8_t *key, size_t klen);
/*
 * The mirror removed the node of rec (a tombstone, or a node record the
 * sweep removed): the value held of that node is to apply again when it
 * comes, to the node added anew.
 */
void opcua_table_value_unapplied(struct opcua_table *t, const uint8_t *rec);
/*
 * A model summary heard: the table id and the pass number it carries.
 * True when it ends a pass heard whole, and the sweep is due.
 */
bool opcua_table_pass(struct opcua_table *t, uint32_t table, uint64_t pass);
/*
 * The sweep: every node, tombstone and value record not put in the last
 * OPCUA_TABLE_SWEEP_PASSES passes heard whole, nor since, removed; gone
 * (when not NULL) is told of each first (to remove a node from the
 * mirror). How many went.
 */
size_t opcua_table_sweep(struct opcua_table *t,
			 void (*gone)(void *ctx, const uint8_t *rec, uint32_t len), void *ctx);
/* A new generation: every record is to apply again when it comes (the
 * mirror's values turned Uncertain, or were loaded from the file). */
void opcua_table_next_gen(struct opcua_table *t);
/*
 * The table as a file's bytes (free *out): "DAOU", version 1, the count,
 * each record after its 32-bit length, a BLAKE2b-256 of all before it.
 */
int opcua_table_save(const struct opcua_table *t, uint8_t **out, size_t *len);
/* Into an empty table, every record checked: 0, or -1 and why in err. */
int opcua_table_load(struct opcua_table *t, const uint8_t *buf, size_t len, char *err,
		     size_t errlen);

#endif
