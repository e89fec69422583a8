/*
 * index.h: the secondary indexes of tickets, part of the ticket module
 * (ticket.h's files): what a ticket is indexed under, their upkeep in the
 * write that saves its record, their first build on a store written
 * without them, and their check against the records.
 *
 * An index key names one attribute and one value: an attribute byte, the
 * value, a NUL. DB_INDEX holds key || the ticket id's 10 bytes (its 20 hex
 * digits packed: index_entry) -> "" for every key of every ticket; DB_INDEX_OF holds ticket id ->
 * that ticket's keys (sorted, each with its NUL, one after the other). A save computes the ticket's
 * keys, compares them with the stored set (the old record is not decoded),
 * and deletes and puts only the difference: nothing at all when nothing
 * indexed changed. Within one key the ticket ids sort as they were taken,
 * that is by creation time (ids.c): walking a key backwards gives its
 * tickets newest first, and a ticket id is a cursor into any key.
 *
 * Their first build and their check against the records: index_check.h.
 *
 * The attributes: INDEX_STATUS (the status's name), INDEX_FLAG (each flag
 * of the ticket or of one of its assignments, and each watch list it is in
 * now: seam/ticket.h's bouncing and at_risk), INDEX_OWNER (the partner of
 * each live assignment: the owner now; the lead company's id for the
 * lead), INDEX_PARTNER (the partner of every assignment the ticket ever
 * had), INDEX_FACT (each fact the ticket is routed by now, priority among
 * them: the fact's name, 0x1f, its value). The customer's tickets are
 * the customer's tickets (store.h: customer || 0 || ticket id), the same shape; the
 * creation time is the ticket id's (ids.c).
 *
 * Built with -DSEAM_NO_INDEXES, nothing is maintained and every list scans
 * as it did before the indexes (the bench's comparison build); such a build
 * marks the store's indexes as not built, so that the next build with them
 * builds them again.
 */
#ifndef SEAM_INDEX_H
#define SEAM_INDEX_H

#include <stddef.h>

#include "common.h"
#include "seam/ticket.h"
#include "store.h"

enum index_attr {
    INDEX_STATUS = 's',
    INDEX_FLAG = 'f',
    INDEX_OWNER = 'o',
    INDEX_PARTNER = 'p',
    INDEX_FACT = 'k',
};

/* The longest value an index key holds; a longer value is not indexed (no
 * vocabulary, partner or status comes near it) and a filter naming one is refused. */
#define INDEX_VALUE_MAX 200
/* The longest key: the attribute, a fact's name, 0x1f, the value, the NUL. */
#define INDEX_KEY_MAX (2 + 2 * INDEX_VALUE_MAX + 1)

/*
 * One key into out (INDEX_KEY_MAX bytes): attr, value (for INDEX_FACT:
 * name, 0x1f, value), the NUL. Returns its length with the NUL, 0 if a part
 * is longer than INDEX_VALUE_MAX.
 */
size_t index_key(char *out, enum index_attr attr, const char *name, const char *value);
/* Whether key (len bytes: a key of a ticket's set, or an entry, which begins with one) is a
 * watch list's (seam/ticket.h: bouncing, at_risk), the keys index format 2 added. */
int index_key_is_watch(const void *key, size_t len);

/* An entry of DB_INDEX: key (len with its NUL) and the ticket id packed, into out
 * (len + INDEX_ID_BYTES bytes); its length. index_entry_id: the id back from the packed bytes. */
#define INDEX_ID_BYTES 10
size_t index_entry(char *out, const char *key, size_t len, const char *id);
void index_entry_id(const void *packed, char out[SEAM_ID_LEN + 1]);

/*
 * The ticket's keys, sorted and each once, as DB_INDEX_OF stores them
 * (malloc'd; *len their bytes). facts[0..nfacts): the names of the facts by
 * index (record.h's: the names the record stores them under).
 */
char *index_keys_of(const struct ticket *tk, const char *const *facts, size_t nfacts, size_t *len);

/*
 * The difference between two key sets as index_keys_of gives them: fn(ctx,
 * key, len (with its NUL), 0) for each key of old not in new, fn(..., 1) for
 * each of new not in old, in key order; stops at the first non-zero answer
 * and returns it. 0 when all went.
 */
typedef int (*index_diff_fn)(void *ctx, const char *key, size_t len, int added);
int index_diff(const char *old, size_t olen, const char *neu, size_t nlen, index_diff_fn fn,
               void *ctx);

/*
 * Brings the ticket's index entries to what tk says, in the caller's write
 * transaction (a staged one too: the work is handed to the writer with
 * store_defer). INDEX_FRESH: the ticket is new (no stored set to read);
 * INDEX_UPDATE: a save of a stored ticket; INDEX_REBUILD: the first build
 * or a rebuild (index_check.c), which puts every key of the set whether the
 * stored set has it or not. facts as index_keys_of's. record_save calls it.
 *
 * Entries applied later (the cost of a filing): a new ticket's keys go into
 * DB_INDEX_OF at once, but its DB_INDEX entries wait, so that the B-tree
 * pages at the end of each key's range are written once for many filings
 * rather than once for every commit. DB_META INDEX_APPLIED holds the
 * largest ticket id whose entries are in DB_INDEX: a ticket above it has
 * its key set and no entry (a save of it changes the set only), every one
 * at or below it has all its entries. index_merge moves the pending
 * tickets' entries in and raises the mark; index_seek walks the pending
 * tickets' sets above the mark, then DB_INDEX below it, so a list sees
 * every ticket either way. Without the mark (a store being built) every
 * save writes its entries at once.
 */
enum index_save_mode { INDEX_UPDATE, INDEX_FRESH, INDEX_REBUILD };
enum seam_err index_save(struct store_txn *t, const struct ticket *tk, enum index_save_mode mode,
                         const char *const *facts, size_t nfacts) SEAM_WUR;

#define INDEX_APPLIED "index.applied"
/* The mark into out; SEAM_ENOTFOUND when there is none (every ticket's entries are written at
 * once). */
enum seam_err index_applied(struct store_txn *t, char out[SEAM_ID_LEN + 1]) SEAM_WUR;
/* Sets the mark to the largest ticket id with a key set (the indexes are complete). */
enum seam_err index_applied_init(struct store_txn *t) SEAM_WUR;

/*
 * Writes the entries of up to max pending tickets (oldest first) and raises
 * the mark past them; *merged (if not NULL) how many. INDEX_MERGE_AT: the
 * pending tickets at which the writer merges after a batch
 * (index_merge_wanted(0)); a stopping writer merges any (index_merge_wanted(1)).
 * The count is this process's (index_pending_set at open: those left by a
 * process before).
 */
#define INDEX_MERGE_AT 256
#define INDEX_MERGE_MAX 1024
enum seam_err index_merge(struct store_txn *t, size_t max, size_t *merged) SEAM_WUR;
/* Every pending ticket's, INDEX_MERGE_MAX at a time. */
enum seam_err index_merge_all(struct store_txn *t) SEAM_WUR;
int index_merge_wanted(int all);
void index_pending_set(uint64_t n);
/* Pending tickets from the mark on (at most max counted). */
uint64_t index_pending_count(struct store_txn *t, uint64_t max);

/* Whether set (a DB_INDEX_OF value) holds key (len with its NUL). */
int index_set_has(const char *set, size_t slen, const char *key, size_t len);

/*
 * Whether the store's indexes are built (DB_META INDEX_META holds
 * INDEX_FORMAT); a list walks them only then, and scans otherwise. The
 * format changes when a ticket gets keys it did not have before (format 2:
 * the watch lists' flag keys): a store built with another format is built
 * again at open (index_check.h), as one without them is.
 */
#define INDEX_META "index.format"
#define INDEX_FORMAT "2"
int index_ready(struct store_txn *t);

/*
 * How many tickets each key holds, kept with the entries: DB_META
 * INDEX_COUNT_PREFIX || key -> be64, the entries of the key in DB_INDEX
 * (the pending tickets' are counted from their sets, index_count). Every
 * put of a new entry and delete of one moves its key's count in the same
 * transaction. INDEX_COUNTS marks them as right: set when they are counted
 * from the entries (index_counts_build: a build, or the first open of a store
 * kept before them), removed with INDEX_META. seamctl verify checks them.
 */
#define INDEX_COUNT_PREFIX "index.n:"
#define INDEX_COUNTS "index.counts"
int index_counts_ready(struct store_txn *t);
/* The counts of every key from the entries of DB_INDEX, and the mark; *keys: keys counted. */
enum seam_err index_counts_build(struct store_txn *t, uint64_t *keys) SEAM_WUR;
/* The count kept for key (its attribute, value and NUL): *n (0 when none is kept). */
enum seam_err index_count_of(struct store_txn *t, const char *key, size_t len,
                             uint64_t *n) SEAM_WUR;

/*
 * The tickets of one index key, newest first: the id of the newest ticket
 * of the key (or of a customer's tickets, or of every ticket, when db says so) at or below
 * bound (strictly below when strict), into out. SEAM_ENOTFOUND when there
 * is none. For the lists (query.c): the prefix is a key of index_key or
 * customer || 0. applied: index_applied's mark (NULL: none); *work grows by
 * the sets of pending tickets read on the way (each a step of a walk).
 */
struct index_term {
    enum store_db db; /* DB_INDEX; the customer's tickets; every ticket (prefix "") */
    char prefix[INDEX_KEY_MAX];
    size_t plen;
};
enum seam_err index_seek(struct store_txn *t, const struct index_term *term, const char *applied,
                         const char *bound, int strict, char out[SEAM_ID_LEN + 1],
                         unsigned *work) SEAM_WUR;

/*
 * The tickets of one key below bound (bound itself too unless strict), counted with one cursor
 * (no seek a ticket): *n, at most max of them read (the pending sets above the mark and the
 * entries below it, each one); *complete whether the key's last was reached. all: bound is
 * above every ticket (no cursor, no upper date): then the entries below the mark are the key's
 * count (INDEX_COUNTS), read once, when the counts are kept.
 */
enum seam_err index_count(struct store_txn *t, const struct index_term *term, const char *applied,
                          const char *bound, int strict, int all, unsigned long max,
                          unsigned long *n, int *complete) SEAM_WUR;

#endif
