/*
 * record.h: the stored form of a ticket (struct ticket, seam/ticket.h). The
 * record module is the only code that knows how a ticket is stored; the
 * rest of the broker works on struct ticket.
 *
 * The encoding is JSON with the member names and shapes today's records
 * have (so that the lead's view is the stored bytes without "head"), keys
 * sorted as Jansson's JSON_SORT_KEYS writes them, no space. Version 2 says
 * so inside "head" ({"v":2,"events":N,"last":"..."}); a record without "v"
 * is version 1 and reads the same. Members the model does not know (at the
 * top and in each assignment) are kept verbatim in extra[] and written back.
 *
 * What a stored record may lack, and how struct ticket says it (encode
 * writes the member only when present):
 * - instants and durations: SEAM_ABSENT_MS (absent) or SEAM_NULL_MS (null);
 *   counters (round, bounces, chain_position, event_seq) SEAM_ABSENT_MS;
 * - strings: NULL is null for service, equipment, topic, a fallback owner's
 *   partner; absent for the others;
 * - customer_visible -1: neither customer_visible nor topic (records before
 *   rules had labels); joint -1: no "mode"; fallback NULL: no "fallback"
 *   (an empty one is a non-NULL pointer with nfallback 0);
 * - facts all NULL: no "facts"; filed[FACT_PRIORITY] is unused (the
 *   priority is t->priority); sla.present / e2e.present 0: no clock; tmf
 *   NULL: no "tmf"; handback_reason -1: none.
 *
 * Instants are RFC 3339 "YYYY-MM-DDTHH:MM:SS.mmmZ" (as format_time_ms
 * writes them); a record with an instant of another shape is corrupt.
 * Thread-safe: no state.
 */
#ifndef SEAM_RECORD_H
#define SEAM_RECORD_H

#include <stddef.h>

#include "common.h"
#include "seam/ticket.h"
#include "store.h"

/*
 * The facts of the configuration's table (config->fact_kinds), by index: the
 * names a record stores t->facts[] and t->filed[] under. fact_kinds[]'s
 * until called; a program calls it once it has loaded its configuration
 * (seam-broker and seamctl do, before any thread reads a record).
 * A stored fact the table does not name is passed over on reading.
 */
struct fact_kind;
void record_use_facts(const struct fact_kind *kinds, size_t n);
/* How many names there are, and the one at i (NULL past the end). */
size_t record_fact_count(void);
const char *record_fact_name(size_t i);

/* The version record_encode writes into "head". */
#define RECORD_VERSION 2

/*
 * Decodes bytes[0..len) into *out (zeroed first; ticket_free releases it).
 * SEAM_ECORRUPT if they are not a record this module can read (malformed
 * JSON, a wrong type, an unknown name, a version newer than RECORD_VERSION):
 * then *out is left zeroed.
 */
enum seam_err record_decode(const void *bytes, size_t len, struct ticket *out) SEAM_WUR;

/*
 * Each ticket record a write set (store.h: a replicated batch) puts, decoded:
 * fn(ctx, ticket) in order. A record this module cannot read is passed over
 * (seamctl verify names it); SEAM_ECORRUPT if the write set is malformed.
 */
typedef void (*record_each_fn)(void *ctx, const struct ticket *tk);
enum seam_err record_ws_each(const void *ws, size_t len, record_each_fn fn, void *ctx) SEAM_WUR;

/*
 * The record of t (malloc'd, NUL-terminated; *len its length if len is not
 * NULL). with_head 0 leaves "head" out: the lead's view of the ticket.
 */
char *record_encode(const struct ticket *t, int with_head, size_t *len);

/*
 * The ticket id (SEAM_ID_LEN bytes, NUL-terminated) from the store.
 * SEAM_ENOTFOUND when there is no such ticket or id is not a ticket id;
 * SEAM_ECORRUPT when its record cannot be decoded; store errors as they are.
 */
enum seam_err record_load(struct store_txn *t, const char *id, struct ticket *out) SEAM_WUR;

/*
 * A glance at a record: only its id, customer, status, created_at, facts
 * and merged_into are read into *out (ticket_free), the rest is stepped
 * over unparsed. For questions over many records that need no more (the
 * duplicate check on filing).
 */
enum seam_err record_peek(struct store_txn *t, const char *id, struct ticket *out) SEAM_WUR;

/*
 * Stores tk's record (with its head) under its id; store_flags as
 * store_put's. SEAM_ETOOBIG (nothing stored) when max_bytes > 0 and the
 * record is larger; SEAM_ECORRUPT (logged) if it nests deeper than
 * JSON_DEPTH_STORED (json_stored_check); store errors as they are.
 */
enum seam_err record_save(struct store_txn *t, const struct ticket *tk, unsigned store_flags,
                          size_t max_bytes) SEAM_WUR;

/* ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (25 bytes at least); its length (24). */
size_t record_time_format(int64_t ms, char *out);
struct json_obj;
/* An instant as a member of an object being built (json_fast.h) as records hold it: nothing
 * when SEAM_ABSENT_MS, null when SEAM_NULL_MS, else its RFC 3339 text. */
void record_time_member(struct json_obj *o, const char *key, int64_t ms);
/* s[0..n) in that shape as ms: 1, or 0 if it is not in that shape. */
int record_time_parse(const char *s, size_t n, int64_t *ms);

/*
 * The store's record format: DB_META "format" (absent: 1, the records of
 * the broker before this module; 2: records re-encoded by this module; 3:
 * timeline entries may name the acting user, "by", which a build of format
 * 2 cannot read: a store of format 2 is stamped 3 without a rewrite).
 * SEAM_ECORRUPT if the value is not a number.
 */
#define RECORD_FORMAT 3
enum seam_err record_format_get(struct store_txn *t, unsigned *format) SEAM_WUR;

/*
 * Brings the store to RECORD_FORMAT: re-encodes every ticket record through
 * the codec, batch records per write transaction (its own transactions,
 * through store_write: call it before the writer starts, or from a tool),
 * logging progress, then sets the format. Idempotent; interrupted, it
 * resumes after the last batch done (DB_META "format.next"). *migrated (if
 * not NULL): records rewritten. SEAM_ECORRUPT (logged, naming the ticket)
 * if a record cannot be decoded, or the store is newer than RECORD_FORMAT;
 * store errors as they are.
 */
enum seam_err record_migrate(struct store *s, size_t batch, uint64_t *migrated) SEAM_WUR;

/*
 * The store's format, in its own read transaction: *format as
 * record_format_get gives it. A caller that finds it above RECORD_FORMAT
 * must not write (a newer build wrote the store): the broker and seamctl
 * refuse such a store before anything else.
 */
enum seam_err record_format_read(struct store *s, unsigned *format) SEAM_WUR;

/*
 * Records RECORD_FORMAT in a new store (seamctl init): in its own write
 * transaction, only when the store has no format yet and holds no ticket
 * (a store of records written before the format existed is format 1 and is
 * left to record_migrate). SEAM_OK when written or not needed.
 */
enum seam_err record_format_stamp(struct store *s) SEAM_WUR;

#endif
