/*
 * store.h: the LMDB environment of one data directory.
 *
 * Reads: store_read_begin() ... store_read_end() inside one handler call, on
 * one thread, short. Values returned by store_get/store_scan point into the
 * map and are valid only until the transaction ends: copy them out first.
 *
 * Writes: one writer thread owns every write transaction of the daemon.
 * Callers queue a struct store_job with store_submit(); the writer takes up
 * to batch_max queued jobs, applies each in its own nested transaction (a
 * job that fails leaves no trace), runs the batch hook (the evidence log
 * signs its checkpoint there), commits the batch durably once, and only
 * then calls each job's done callback. Offline tools (seamctl) use
 * store_write() instead, which runs one function in one transaction.
 *
 * The map grows (doubling, up to map_max) when a batch meets MDB_MAP_FULL;
 * the batch is then applied again, so apply functions must reset anything
 * they produced before. Stale reader slots are cleared at open and every
 * few seconds by the writer.
 */
#ifndef SEAM_STORE_H
#define SEAM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum store_db {
    DB_META,    /* small named values: tree size, checkpoint, ... */
    DB_TICKETS, /* ticket id -> ticket state (JSON) */
    DB_EVENTS, /* ticket id || be32 seq -> be64 leaf || sig[64] || event bytes [|| 0 || disclosures]
                */
    DB_LEAVES, /* be64 leaf index -> ticket id || be32 seq */
    DB_TREE,   /* level byte || be64 index -> node hash[32] */
    DB_CHECKPOINTS,  /* be64 tree size -> signed checkpoint note */
    DB_TOKENS,       /* BLAKE2b-256(token) -> token record (JSON) */
    DB_CUSTOMERS,    /* customer id -> customer record (JSON) */
    DB_CUST_TICKETS, /* customer id || 0 || ticket id -> "" */
    DB_ASSIGNMENTS,  /* assignment id -> ticket id */
    DB_QUEUES,       /* owner (partner or lead id) || 0 || assignment id -> ticket id */
    DB_OUTBOX,       /* be64 seq -> push message (JSON) */
    DB_OUTBOX_DUE,   /* be64 next attempt (ms) || be64 seq -> "" (pending messages) */
    DB_DUE,          /* be64 instant || SLA kind || assignment id -> ticket id */
    DB_SIGS,         /* partner id || 0 || BLAKE2b-128(signature) -> be64 expiry (ms) */
    DB_SIGS_DUE,     /* be64 expiry (ms) || partner id || 0 || hash -> "" (for pruning) */
    DB_SIG_COUNTS,   /* partner id -> be64 entries of DB_SIGS (the per-partner bound) */
    DB_SLA_AGG,      /* be32 day || priority || be16 gap || owner -> SLA counts (sla_agg.c) */
    DB_SLA_CONTRIB,  /* ticket id -> its last contribution to DB_SLA_AGG */
    DB_INDEX,        /* attribute byte || value || 0 || packed ticket id -> "" (index.h) */
    DB_INDEX_OF,     /* ticket id -> its index keys, sorted, each with its NUL (index.h) */
    DB_USERS,        /* user id (SUBJECT/NAME) -> user record (JSON, users.h) */
    DB_SESSIONS,     /* BLAKE2b-256(session id) -> session record (JSON) */
    DB_LINKS,        /* BLAKE2b-256(link) -> invitation or reset link (JSON) */
    DB_COSIGS,       /* be64 tree size -> that checkpoint with its witnesses' cosignatures */
    DB_ATTACHMENTS,  /* ticket id || SHA-256 (32 bytes) -> an attachment's bytes (attach.h) */
    DB_ATTACH_META,  /* ticket id || SHA-256 (32 bytes) -> what is known of it (JSON) */
    DB_COUNT
};

/*
 * Owners of the databases: only its owner names a database and reads or
 * writes it; every other module goes through the owner's functions
 * (ticket_scan, evlog_checkpoint_at, sla_due_each, ...). A row: the
 * databases, then the owners (broker/<owner>.c; the ticket module is
 * ticket.h's files, record.c alone knowing how a ticket is stored).
 * tests/e2e/t_layers.sh
 * holds the code to this table.
 *
 *   DB_TICKETS DB_CUST_TICKETS: ticket record ids query customer verify_records index_check
 *   DB_INDEX DB_INDEX_OF: index index_check query
 *   DB_CUSTOMERS DB_ASSIGNMENTS DB_QUEUES: ticket record ids query customer verify_records
 *   DB_EVENTS DB_LEAVES DB_TREE DB_CHECKPOINTS DB_COSIGS: evlog
 *   DB_TOKENS: auth
 *   DB_USERS DB_SESSIONS DB_LINKS: users
 *   DB_ATTACHMENTS DB_ATTACH_META: attach
 *   DB_OUTBOX DB_OUTBOX_DUE: outbox
 *   DB_DUE: sla
 *   DB_SIGS DB_SIGS_DUE DB_SIG_COUNTS: replay
 *   DB_SLA_AGG DB_SLA_CONTRIB: sla_agg
 *   DB_META: store evlog outbox sla tmf record sla_agg index index_check customer mail_in ebond
 *   (small named values, each under keys of its own: customer's "mail_addr/", mail_in's
 *   "mail_in/", "triage/", ebond's "ebond/")
 */

struct store;
struct store_txn;

struct store_val {
    const void *data;
    size_t len;
};

struct store_job;
typedef enum seam_err (*store_apply_fn)(struct store_txn *t, struct store_job *job);
typedef void (*store_done_fn)(struct store_job *job);

/* Embed in the caller's own structure. rc is set before done() runs. */
struct store_job {
    store_apply_fn apply; /* writer thread; may run more than once */
    store_done_fn done;   /* writer thread, after the durable commit */
    enum seam_err rc;
    struct store_job *next;    /* queue link, owned by the store */
    struct store_stage *stage; /* store_stage_job's, owned by the store */
    uint64_t order;            /* its stage's order (0: none), see store_stage_set_order */
};

struct store_stats {
    uint64_t batches;    /* committed batches */
    uint64_t jobs;       /* jobs in committed batches */
    uint64_t map_size;   /* bytes mapped */
    uint64_t used_bytes; /* pages in use times page size */
    uint64_t queue_len;  /* jobs waiting now */
    uint64_t full_errors;
    uint64_t staged;       /* jobs replayed from a stage */
    uint64_t stale_stages; /* stages found stale: those jobs were applied as usual */
};

/*
 * The writer's durable commits by how long each took (mdb_txn_commit, the
 * fsync included): counts[i] those of at most store_commit_buckets[i]
 * seconds, counts[STORE_COMMIT_BUCKETS] all of them; *sum_us their total.
 * Not cumulative (the caller adds them up). Any thread.
 */
#define STORE_COMMIT_BUCKETS 12
extern const double store_commit_buckets[STORE_COMMIT_BUCKETS];
void store_commit_latency(struct store *s, uint64_t counts[STORE_COMMIT_BUCKETS + 1],
                          uint64_t *sum_us);

/* Opens (create: also creates) the environment in dir. */
enum seam_err store_open(const char *dir, size_t map_size, size_t map_max, int create,
                         struct store **out) SEAM_WUR;
/* Stops the writer if running, then closes. NULL is a no-op. */
void store_close(struct store *s);

enum seam_err store_read_begin(struct store *s, struct store_txn **out) SEAM_WUR;
void store_read_end(struct store_txn *t);
/* The snapshot a transaction sees: equal ids, equal contents (any process's writes count). */
uint64_t store_txn_id(struct store_txn *t);

/* A count or sequence stored as 8 bytes big-endian: *out (0 and SEAM_ENOTFOUND if absent;
 * SEAM_ECORRUPT if the value is not 8 bytes). */
enum seam_err store_get_u64(struct store_txn *t, enum store_db db, const void *key, size_t klen,
                            uint64_t *out) SEAM_WUR;
/* SEAM_ENOTFOUND if absent. */
enum seam_err store_get(struct store_txn *t, enum store_db db, const void *key, size_t klen,
                        struct store_val *val) SEAM_WUR;
/*
 * STORE_NOOVERWRITE: SEAM_EEXIST if present. STORE_APPEND: a hint that the
 * key is likely the largest yet (a new id, the next index): the record is
 * then appended and its page left full, rather than split in half, which
 * keeps a store of ever-growing keys about half the size. A key that is not
 * the largest is put as usual; the result is the same either way.
 */
#define STORE_NOOVERWRITE 1u
#define STORE_APPEND 2u
enum seam_err store_put(struct store_txn *t, enum store_db db, const void *key, size_t klen,
                        const void *val, size_t vlen, unsigned flags) SEAM_WUR;
enum seam_err store_del(struct store_txn *t, enum store_db db, const void *key,
                        size_t klen) SEAM_WUR;

/*
 * Calls fn for each record with key >= start (all records if start is NULL),
 * in key order (reverse: from the last key <= start, backwards), until fn
 * returns non-zero.
 */
typedef int (*store_scan_fn)(void *ctx, struct store_val key, struct store_val val);
enum seam_err store_scan(struct store_txn *t, enum store_db db, const void *start, size_t slen,
                         int reverse, store_scan_fn fn, void *ctx) SEAM_WUR;
/* The same, in key order, for the records whose key starts with prefix. */
enum seam_err store_scan_prefix(struct store_txn *t, enum store_db db, const char *prefix,
                                store_scan_fn fn, void *ctx) SEAM_WUR;
/* Deletes every record of db whose key starts with prefix (a handful: each is found anew). */
enum seam_err store_del_prefix(struct store_txn *t, enum store_db db, const char *prefix) SEAM_WUR;
/* Number of records in db. */
uint64_t store_count(struct store_txn *t, enum store_db db);

/*
 * Staged writes: a job's apply function may run ahead, on the caller's own
 * thread, against a read snapshot, so that the writer only replays what it
 * did. In a staged transaction reads see the snapshot and the transaction's
 * own writes and are recorded with what they saw; puts and deletes are
 * recorded, not made (their result, SEAM_EEXIST or SEAM_ENOTFOUND, is what
 * the snapshot says); store_scan answers SEAM_ESTALE. Work that needs the
 * writer's own state (a counter, the log's tree) is handed over with
 * store_defer, a condition only the writer can judge with
 * store_stage_check.
 *
 * store_stage_replay, in the writer's transaction, first runs the checks
 * and checks every recorded read: if a check fails or a read now sees
 * otherwise, it answers SEAM_ESTALE having written nothing, and the job
 * should then run the usual way. Else it makes the writes and runs the
 * deferred work, in their order (any failure there is never SEAM_ESTALE).
 * A retried batch replays again, checks first.
 */
struct store_stage;
enum seam_err store_stage_begin(struct store *s, struct store_txn **out) SEAM_WUR;
int store_is_staged(const struct store_txn *t);
typedef enum seam_err (*store_defer_fn)(struct store_txn *t, void *arg);
/*
 * fn(t, arg): in a staged transaction at the replay (arg is then the
 * stage's: free_fn(arg) when it is freed, and the answer is SEAM_OK); in
 * any other, now, answering fn's result, arg freed after.
 */
enum seam_err store_defer(struct store_txn *t, store_defer_fn fn, void *arg,
                          void (*free_fn)(void *)) SEAM_WUR;
void store_stage_check(struct store_txn *t, store_defer_fn fn, void *arg, void (*free_fn)(void *));
/*
 * A stage's place among stages: jobs staged with an order wait in the queue
 * in ascending order (others in arrival order), so that a stage which took
 * an earlier number is replayed first.
 */
void store_stage_set_order(struct store_txn *t, uint64_t order);
uint64_t store_stage_order(const struct store_txn *t);
/* Ends the snapshot and returns what was staged, for the writer. */
struct store_stage *store_stage_end(struct store_txn *t);
enum seam_err store_stage_replay(struct store_txn *t, const struct store_stage *st) SEAM_WUR;
void store_stage_free(struct store_stage *st);
/*
 * Runs job->apply ahead, on the calling thread, in a staged transaction, and
 * keeps the stage in the job: the writer then replays it, or applies the job
 * as usual if it went stale (so apply must start afresh each time it runs).
 * Returns apply's result; nothing is kept unless SEAM_OK.
 */
enum seam_err store_stage_job(struct store *s, struct store_job *job);

/* The batch hook runs in the writer's transaction after the batch's jobs. */
typedef enum seam_err (*store_hook_fn)(struct store_txn *t, void *ctx);
enum seam_err store_writer_start(struct store *s, unsigned depth, unsigned batch_max,
                                 store_hook_fn hook, void *ctx) SEAM_WUR;
/* SEAM_EBUSY if the queue is full, SEAM_ESHUTDOWN if stopping (the job's stage is then freed). */
enum seam_err store_submit(struct store *s, struct store_job *job) SEAM_WUR;
/* Lets the queue drain, then stops the writer. */
void store_writer_stop(struct store *s);

/* One write transaction in the calling thread (tools only), with the hook. */
typedef enum seam_err (*store_write_fn)(struct store_txn *t, void *ctx);
/*
 * Work the writer does when it stops, its queue drained: if need(ctx) says
 * there is any, fn(t, ctx) in a batch of its own (with the hook). Call
 * before store_writer_start.
 */
void store_writer_on_stop(struct store *s, int (*need)(void *ctx), store_write_fn fn, void *ctx);
enum seam_err store_write(struct store *s, store_write_fn fn, void *ctx, store_hook_fn hook,
                          void *hook_ctx) SEAM_WUR;

/*
 * fn(t, ctx) in a transaction nested in t (the writer's, never a staged one):
 * its writes stay if it answers SEAM_OK and are undone otherwise, the rest of
 * t untouched either way. For loops that must isolate one failing item from
 * the others of the same job. Returns fn's result, or the storage's error.
 */
enum seam_err store_nested(struct store_txn *t, store_write_fn fn, void *ctx) SEAM_WUR;

/*
 * A replicated log (replica.h) the writer's batches go through. With one set,
 * the writer records every put and delete its batch's transaction makes, on
 * every database, in order (the write set; a job or nested transaction that is
 * undone leaves nothing in it), and before the durable commit hands it to
 * append(ctx, after, ws, len, &seq), after being the log's sequence this store
 * holds: only if append answers SEAM_OK with seq = after + 1 does the batch
 * commit, storing seq with it; otherwise the batch is undone and its jobs
 * answered SEAM_EUNAVAIL. Since such an outcome is unknown (the log may hold
 * the batch and its answer be lost), the writer's next batch first calls
 * catch_up(ctx), which brings the store to the log's end (store_log_apply).
 * An append that answers SEAM_ESTALE says the log has moved past `after`
 * (another writer appended, e.g. seamctl): the writer catches up at once and
 * makes the batch again on the store as it now is, up to three times.
 * Batches that change nothing are not appended. store_write's (the tools',
 * the start's migrations) are never. Call before store_writer_start.
 *
 * A write set: "SWS1", then for each write in order: op (1 put, 2 delete),
 * the database (enum store_db), be32 key length, the key, and for a put be32
 * value length and the value. Applying it is deterministic: a put as a plain
 * put, a delete of a record that must be there.
 */
struct store_log {
    enum seam_err (*append)(void *ctx, uint64_t after, const void *ws, size_t len, uint64_t *seq);
    enum seam_err (*catch_up)(void *ctx);
    void *ctx;
};
void store_writer_log(struct store *s, const struct store_log *log);
/*
 * store_write through the log set by store_writer_log, for a tool with no
 * writer thread (seamctl in a replicated federation): the store is first
 * brought to the log's end (catch_up), then the write is appended as a batch
 * of its own and committed with its sequence. SEAM_EUNAVAIL if the log did
 * not take it (nothing committed; the log may have moved: try again).
 */
enum seam_err store_write_logged(struct store *s, store_write_fn fn, void *ctx) SEAM_WUR;
/*
 * The log holds batches this store has not applied (a tool appended one):
 * the writer brings the store to the log's end before its next batch, and a
 * batch that does nothing is queued so that this happens now. Any thread.
 */
void store_log_behind(struct store *s);
/* The log's sequence this store holds (0: none yet). */
enum seam_err store_log_seq(struct store_txn *t, uint64_t *seq) SEAM_WUR;
/*
 * Applies the log's batch seq (a write set) in one transaction, with seq:
 * SEAM_EEXIST if the store holds it already (nothing done), SEAM_ESTALE if it
 * does not follow the store's sequence, SEAM_ECORRUPT if it is malformed or
 * deletes what the store does not hold. Not while the writer runs a log of its
 * own, except from its catch_up.
 */
enum seam_err store_log_apply(struct store *s, uint64_t seq, const void *ws, size_t len) SEAM_WUR;
/*
 * Each write of a write set in order: fn(ctx, db, key, value), value NULL for a
 * delete. Stops at the first answer other than SEAM_OK and returns it;
 * SEAM_ECORRUPT if the write set is malformed (what came before it was seen).
 */
typedef enum seam_err (*store_ws_fn)(void *ctx, enum store_db db, struct store_val key,
                                     const struct store_val *val);
enum seam_err store_ws_each(const void *ws, size_t len, store_ws_fn fn, void *ctx) SEAM_WUR;

void store_stats(struct store *s, struct store_stats *out);

/*
 * Tools that read the whole store (seamctl verify, report, backup): the
 * pages of the map a process has read count in its resident set, so one
 * long read of a big store would hold the store's size resident. With a
 * bound set, store_scan (every 256 records) and store_backup (every 10 ms)
 * drop the map's page-table entries once its resident bytes pass the bound;
 * pages read again fault back in from the page cache, and values the
 * caller still holds stay valid. 0, the default, never drops (the broker's
 * writer releases its own map, see store.c). Call before reading, from the
 * thread that reads.
 */
void store_read_trim(struct store *s, size_t bytes);

/* Hot, compacted copy of the environment into dir (which must be empty). */
enum seam_err store_backup(struct store *s, const char *dir) SEAM_WUR;

#ifdef SEAM_FAULTS
/*
 * Fault injection, in builds with -DSEAM_FAULTS only (make faults): the
 * store counts its LMDB calls (begin, get, put, del, cursor, commit) on
 * every thread from the moment it is armed, and the n-th one fails with
 * EIO (SEAM_EIO) without being made; then nothing more fails until it is
 * armed again. n = 0 disarms. store_fault_count says how many faults were
 * injected so far, each also logged ("store: fault injected call=...").
 */
void store_fault_arm(long n);
unsigned long store_fault_count(void);
#endif

#endif
