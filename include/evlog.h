/*
 * evlog.h: the broker's evidence log inside the store: each event signed
 * and stored under its ticket, appended as a leaf of one RFC 6962 Merkle
 * log, and a signed checkpoint after every committed batch.
 *
 * evlog_append and evlog_hook run in the writer's transaction (evlog_append
 * may also run in a staged one: it signs there, and the writer stores); export and
 * proofs in any read transaction; evlog_verify_store offline.
 */
#ifndef SEAM_EVLOG_H
#define SEAM_EVLOG_H

#include <stdint.h>

#include "common.h"
#include "keys.h"
#include "seam/evidence.h"
#include "store.h"

#define TICKET_ID_LEN 21 /* "T" + 20 characters */

struct evlog {
    const struct keys *keys;
    const char *origin; /* the federation: the checkpoint's origin line */
};

/*
 * Signs bytes (a canonical event of ticket id, number seq) and appends it:
 * the event record, its leaf and the tree nodes above it (at the replay in
 * a staged transaction, where the leaf's index is known).
 */
enum seam_err evlog_append(struct store_txn *t, const struct evlog *lg, const char *ticket,
                           uint32_t seq, const char *bytes, size_t len) SEAM_WUR;

/*
 * The same, for an event with restricted content (format 2): disc (dlen
 * bytes, no NUL) is the JSON array of its disclosures, kept beside it.
 */
enum seam_err evlog_append_disclosed(struct store_txn *t, const struct evlog *lg,
                                     const char *ticket, uint32_t seq, const char *bytes,
                                     size_t len, const char *disc, size_t dlen) SEAM_WUR;

/* The batch hook: signs a checkpoint if the tree grew since the last one. */
enum seam_err evlog_hook(struct store_txn *t, void *lg);

/* Tree size and latest checkpoint note (malloc'd); size 0 and NULL if none. */
enum seam_err evlog_checkpoint(struct store_txn *t, uint64_t *size, char **note) SEAM_WUR;

/*
 * The evidence document of one ticket (seam/evidence.h), malloc'd, ends in
 * "\n": every event whole with every disclosure (the lead's view).
 */
enum seam_err evlog_export(struct store_txn *t, const struct evlog *lg, const char *ticket,
                           char **doc, size_t *len) SEAM_WUR;

/*
 * What one principal may see of a ticket's events (views.c decides, evlog
 * only follows): shown says whether an event (its signed JSON, parsed) is
 * shown or given by its hash only; disclose whether a shown event's
 * restricted member (its name and value) is disclosed. name is the view as the signed head
 * names it ("customer:ID", "partner:ID", "lead", "auditor").
 */
struct evlog_view {
    const char *name;
    int (*shown)(void *ctx, const json_t *ev);
    int (*disclose)(void *ctx, const json_t *ev, const char *member, const json_t *value);
    void *ctx;
    /* The members whose value disclose reads (NULL-terminated; NULL: every one): for the
     * others evlog_event_disclosures gives it a NULL value and parses none. */
    const char *const *value_members;
};

/*
 * The evidence document of one ticket as view shows it (NULL: everything).
 * Format seam-evidence/1 while every event is whole and none has
 * restricted content, seam-evidence/2 otherwise.
 */
enum seam_err evlog_export_view(struct store_txn *t, const struct evlog *lg, const char *ticket,
                                const struct evlog_view *view, char **doc, size_t *len) SEAM_WUR;

/*
 * A copy of event seq of ticket (malloc'd, NUL-terminated); SEAM_ENOTFOUND if
 * none. If sig is not NULL, the broker's signature is copied there, and if
 * leaf is not NULL, the event's leaf index.
 */
enum seam_err evlog_event(struct store_txn *t, const char *ticket, uint32_t seq, char **bytes,
                          size_t *len, uint8_t sig[SEAM_SIG_LEN], uint64_t *leaf) SEAM_WUR;

/*
 * The disclosures stored with event seq of ticket that view->disclose lets
 * through (every one if view is NULL; view->shown is not asked), as the text
 * of a JSON array of their texts in *out (malloc'd, *out_len bytes, *count
 * disclosures; "[]" when none). disclose is given the event without its
 * data (who acted, seq, type, time): it decides by the member and its value.
 */
enum seam_err evlog_event_disclosures(struct store_txn *t, const char *ticket, uint32_t seq,
                                      const struct evlog_view *view, char **out, size_t *out_len,
                                      size_t *count) SEAM_WUR;

/* Node-store callback over a transaction, for proofs. ctx is a store_txn. */
int evlog_node(void *ctx, unsigned level, uint64_t index, uint8_t out[SEAM_HASH_LEN]);

/*
 * The ticket records, which evlog_verify_store checks against the log
 * without reading them itself (the ticket module owns them: seamctl passes
 * ticket_head and ticket_each_key of ticket.h). head: the number of events
 * and the last event's hash (hex, "" if none) a record says it has,
 * SEAM_ENOTFOUND without a record; each_key: fn with every record's key.
 */
struct evlog_records {
    enum seam_err (*head)(struct store_txn *t, const char *id, int64_t *events, char last[65]);
    enum seam_err (*each_key)(struct store_txn *t,
                              int (*fn)(void *ctx, const void *key, size_t len), void *ctx);
};

/*
 * Checks the whole store against pk: every event's signature and chain,
 * every leaf and tree node, every checkpoint, and (recs not NULL) the
 * ticket records' heads. Calls report once per problem (at most max_reports
 * times) and returns the number of problems; *events gets the number of
 * events.
 */
typedef void (*evlog_report_fn)(void *ctx, const char *problem);
uint64_t evlog_verify_store(struct store_txn *t, const uint8_t pk[32],
                            const struct evlog_records *recs, evlog_report_fn report, void *ctx,
                            uint64_t *events);

/*
 * Checkpoints the witnesses cosigned (DB_COSIGS): note is the signed
 * checkpoint of size with one or more cosignature lines after the broker's
 * (witness_client.c checked them). evlog_cosigned_put (the writer) stores
 * it, replacing what that size had; SEAM_EINVAL if it is not the
 * checkpoint the broker signed for that size followed by signature lines.
 * evlog_cosigned_latest: the one of the largest size (malloc'd) and that
 * size; 0 and NULL if none. The evidence exports give it as their
 * checkpoint when it holds every event of the ticket.
 */
enum seam_err evlog_cosigned_put(struct store_txn *t, uint64_t size, const char *note) SEAM_WUR;
enum seam_err evlog_cosigned_latest(struct store_txn *t, uint64_t *size, char **note) SEAM_WUR;

/*
 * Checks every stored cosigned checkpoint offline: well formed, its log
 * part the checkpoint signed for its size, and each cosignature line by one
 * of the n witnesses verifying with that witness's key (*verified counts
 * them; *unknown the lines of witnesses not given). Calls report once per
 * problem and returns their number.
 */
uint64_t evlog_verify_cosigned(struct store_txn *t, const struct seam_witness *w, size_t n,
                               evlog_report_fn report, void *ctx, uint64_t *verified,
                               uint64_t *unknown);

/* The signed checkpoint of exactly size leaves (malloc'd); SEAM_ENOTFOUND if none was signed. */
enum seam_err evlog_checkpoint_at(struct store_txn *t, uint64_t size, char **note) SEAM_WUR;

#endif
