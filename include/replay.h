/*
 * replay.h: the partners' request signatures already used, kept in the
 * store so that a signed request is carried out at most once, across
 * restarts and whatever else arrives meanwhile.
 *
 * A signature is recorded in the same transaction as the action it signed
 * (nothing is recorded for a refused request), and kept until its
 * timestamp can no longer pass the window check (twice the window after
 * it, to allow for a clock that steps back). Each partner may hold at most
 * limits.max_signed_per_partner of them: past that its further signed
 * requests are refused until some expire; nobody's entries are ever
 * evicted early, so one partner's traffic cannot make room for replaying
 * another's requests. Expired entries are pruned by the writer, a bounded
 * number per job, in jobs queued by a small thread (replay_pruner_start).
 *
 * Records (store.h): DB_SIGS, partner || 0 || BLAKE2b-128(signature) ->
 * be64 expiry; DB_SIGS_DUE, be64 expiry || the same key -> "" (pruning in
 * expiry order); DB_SIG_COUNTS, partner -> be64 number of its DB_SIGS.
 */
#ifndef SEAM_REPLAY_H
#define SEAM_REPLAY_H

#include <jansson.h>

#include "common.h"
#include "store.h"

#define REPLAY_HASH_LEN 16
#define REPLAY_PARTNER_MAX 64

struct replay_sig {
    char partner[REPLAY_PARTNER_MAX]; /* the signing partner's id */
    uint8_t hash[REPLAY_HASH_LEN];    /* BLAKE2b-128 of the 64 signature bytes */
    int64_t expires_ms;               /* when the record may go */
};

/*
 * Fills *out from the partner's id and the signature as
 * auth_partner_signature() describes it ("t": timestamp, "s": base64
 * signature). SEAM_EINVAL if it holds no such signature.
 */
enum seam_err replay_sig_from(const char *partner, const json_t *signature,
                              struct replay_sig *out) SEAM_WUR;

/*
 * In the transaction of the signed action, before the action: records the
 * signature. SEAM_EEXIST: it was used already (a replay); SEAM_EBUSY: the
 * partner holds max signatures already (none is evicted). Either way
 * nothing is written. In a staged transaction the record is a recorded
 * read (the key absent) and puts, and the bound is a check with the count
 * kept by deferred work, so that two stages of one signature, or past the
 * bound, cannot both be replayed (store.h).
 */
enum seam_err replay_record(struct store_txn *t, const struct replay_sig *sig,
                            unsigned max) SEAM_WUR;

/* In a read transaction: 1 if the signature is recorded (used already). */
int replay_used(struct store_txn *t, const struct replay_sig *sig);

/* In a read transaction: 1 if the partner holds max signatures or more. */
int replay_full(struct store_txn *t, const char *partner, unsigned max);

/* In a read transaction: the number of signatures the partner holds. */
uint64_t replay_count(struct store_txn *t, const char *partner);

/*
 * In a write transaction: deletes at most budget records that expired by
 * now, oldest first; *pruned says how many went.
 */
enum seam_err replay_prune(struct store_txn *t, int64_t now, unsigned budget,
                           unsigned *pruned) SEAM_WUR;

/*
 * A thread that looks once a second for expired records and has the
 * writer prune them (REPLAY_PRUNE_BATCH per job, again at once while more
 * are due). Start after the writer, stop before it.
 */
#define REPLAY_PRUNE_BATCH 1024
struct replay_pruner;
struct replay_pruner *replay_pruner_start(struct store *s);
void replay_pruner_stop(struct replay_pruner *p);

#endif
