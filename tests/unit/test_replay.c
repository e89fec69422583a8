/*
 * test_replay.c: the used partner signatures against a real store in a
 * temporary directory: a signature is recorded once and then refused as
 * used; the bound is per partner and evicts nothing; two stages of one
 * signature (two identical requests prepared at once against one
 * snapshot) cannot both be replayed, nor two stages past the bound; a
 * refused job leaves nothing; pruning goes oldest first, a bounded number
 * at a time, and frees the partner's room.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "replay.h"
#include "seam/evidence.h"
#include "tap.h"

/* A signature as auth_partner_signature describes it: number n, time t. */
static struct replay_sig
sig_of(const char *partner, int n, long long t)
{
    uint8_t raw[64];
    struct replay_sig s;
    memset(raw, 0, sizeof(raw));
    memcpy(raw, &n, sizeof(n));
    char *b64 = seam_b64_encode(raw, sizeof(raw));
    json_t *j = json_pack("{s:I, s:s}", "t", (json_int_t)t, "s", b64);
    if (replay_sig_from(partner, j, &s) != SEAM_OK)
        abort();
    json_decref(j);
    free(b64);
    return s;
}

struct rec {
    struct replay_sig sig;
    unsigned max;
    int fail_after; /* return SEAM_EINVAL after recording (a refused action) */
    enum seam_err rc;
};

static enum seam_err
record_fn(struct store_txn *t, void *ctx)
{
    struct rec *r = ctx;
    r->rc = replay_record(t, &r->sig, r->max);
    if (r->rc == SEAM_OK && r->fail_after)
        return SEAM_EINVAL;
    return r->rc;
}

static enum seam_err
record(struct store *s, struct replay_sig sig, unsigned max)
{
    struct rec r = {sig, max, 0, SEAM_OK};
    return store_write(s, record_fn, &r, NULL, NULL);
}

static uint64_t
count_of(struct store *s, const char *partner)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) != SEAM_OK)
        return (uint64_t)-1;
    uint64_t n = replay_count(t, partner);
    store_read_end(t);
    return n;
}

static int
used(struct store *s, struct replay_sig sig)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) != SEAM_OK)
        return -1;
    int u = replay_used(t, &sig);
    store_read_end(t);
    return u;
}

/* A stage of one recording, as a request thread prepares it. */
static struct store_stage *
staged(struct store *s, struct replay_sig sig, unsigned max, enum seam_err *rc)
{
    struct store_txn *t;
    if (store_stage_begin(s, &t) != SEAM_OK)
        return NULL;
    *rc = replay_record(t, &sig, max);
    return store_stage_end(t);
}

struct replay_ctx {
    const struct store_stage *st;
    enum seam_err rc;
};

static enum seam_err
replay_fn(struct store_txn *t, void *ctx)
{
    struct replay_ctx *r = ctx;
    r->rc = store_stage_replay(t, r->st);
    return r->rc;
}

struct prune_ctx {
    int64_t now;
    unsigned budget, pruned;
};

static enum seam_err
prune_fn(struct store_txn *t, void *ctx)
{
    struct prune_ctx *p = ctx;
    return replay_prune(t, p->now, p->budget, &p->pruned);
}

static uint64_t
entries(struct store *s, enum store_db db)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) != SEAM_OK)
        return (uint64_t)-1;
    uint64_t n = store_count(t, db);
    store_read_end(t);
    return n;
}

int
main(void)
{
    char *dir = tap_tmpdir();
    struct store *s;
    long long now = 2000000000; /* seconds */
    enum seam_err rc1, rc2;
    if (sodium_init() < 0)
        return 1;
    ok(store_open(dir, 1 << 20, (size_t)64 << 20, 1, &s) == SEAM_OK, "open a new store");

    /* Once, then refused as used. */
    struct replay_sig a1 = sig_of("nordtel", 1, now);
    ok(record(s, a1, 100) == SEAM_OK && used(s, a1) == 1 && count_of(s, "nordtel") == 1,
       "a new signature is recorded and counted");
    ok(record(s, a1, 100) == SEAM_EEXIST && count_of(s, "nordtel") == 1,
       "the same signature again is refused as used, nothing counted");
    ok(a1.expires_ms == (now + 2 * SEAM_SIGNATURE_WINDOW_S) * 1000,
       "kept until twice the window after its timestamp");
    struct replay_sig other = sig_of("fibernet", 1, now);
    ok(record(s, other, 100) == SEAM_OK, "the same signature bytes of another partner are its own");

    /* A refused action records nothing. */
    struct rec refused = {sig_of("nordtel", 2, now), 100, 1, SEAM_OK};
    ok(store_write(s, record_fn, &refused, NULL, NULL) == SEAM_EINVAL && refused.rc == SEAM_OK &&
           used(s, refused.sig) == 0 && count_of(s, "nordtel") == 1,
       "a refused action leaves no record and no count");

    /* The bound: per partner, nothing evicted. */
    int took = 0;
    enum seam_err last = SEAM_OK;
    for (int i = 0; i < 6; i++) {
        last = record(s, sig_of("skyview", 100 + i, now), 4);
        took += last == SEAM_OK;
    }
    ok(took == 4 && last == SEAM_EBUSY && count_of(s, "skyview") == 4,
       "past its bound a partner's further signatures are refused (SEAM_EBUSY)");
    ok(used(s, sig_of("skyview", 100, now)) == 1 && used(s, sig_of("skyview", 103, now)) == 1,
       "... and none of its own records went");
    ok(used(s, a1) == 1 && record(s, sig_of("nordtel", 3, now), 4) == SEAM_OK,
       "another partner's records stay, and it still has room");

    /* Two identical requests staged at once against one snapshot. */
    struct replay_sig dup = sig_of("nordtel", 50, now);
    struct replay_ctx r1 = {staged(s, dup, 100, &rc1), SEAM_OK};
    struct replay_ctx r2 = {staged(s, dup, 100, &rc2), SEAM_OK};
    ok(r1.st && r2.st && rc1 == SEAM_OK && rc2 == SEAM_OK,
       "stage: two stages of one signature both pass against the snapshot");
    ok(store_write(s, replay_fn, &r1, NULL, NULL) == SEAM_OK && used(s, dup) == 1,
       "stage: the first replay records it");
    uint64_t n = count_of(s, "nordtel");
    ok(store_write(s, replay_fn, &r2, NULL, NULL) == SEAM_ESTALE && count_of(s, "nordtel") == n,
       "stage: the second goes stale (its recorded read of the absent key moved), "
       "writing nothing");
    ok(record(s, dup, 100) == SEAM_EEXIST, "stage: ... and applied anew it is refused as used");
    store_stage_free((struct store_stage *)r1.st);
    store_stage_free((struct store_stage *)r2.st);

    /* Two stages of different signatures when one place is left. */
    ok(record(s, sig_of("fibernet", 2, now), 3) == SEAM_OK && count_of(s, "fibernet") == 2,
       "stage: fibernet one below a bound of 3");
    r1.st = staged(s, sig_of("fibernet", 3, now), 3, &rc1);
    r2.st = staged(s, sig_of("fibernet", 4, now), 3, &rc2);
    ok(rc1 == SEAM_OK && rc2 == SEAM_OK && store_write(s, replay_fn, &r1, NULL, NULL) == SEAM_OK,
       "stage: the first of two takes the last place");
    ok(store_write(s, replay_fn, &r2, NULL, NULL) == SEAM_ESTALE && count_of(s, "fibernet") == 3 &&
           used(s, sig_of("fibernet", 4, now)) == 0,
       "stage: the second's check of the bound fails: stale, nothing written");
    ok(record(s, sig_of("fibernet", 4, now), 3) == SEAM_EBUSY,
       "stage: ... and applied anew it is over the bound");
    store_stage_free((struct store_stage *)r1.st);
    store_stage_free((struct store_stage *)r2.st);

    /* Pruning: oldest first, bounded, frees the partner's room. */
    for (int i = 0; i < 5; i++)
        ok(record(s, sig_of("old", i, now - 1000 - i), 5) == SEAM_OK, "an old signature %d", i);
    uint64_t total = entries(s, DB_SIGS);
    ok(entries(s, DB_SIGS_DUE) == total, "every record has its expiry entry");
    int64_t later = (now - 1000 + 2 * SEAM_SIGNATURE_WINDOW_S) * 1000 + 1;
    struct prune_ctx p = {later, 2, 0};
    ok(store_write(s, prune_fn, &p, NULL, NULL) == SEAM_OK && p.pruned == 2 &&
           count_of(s, "old") == 3 && entries(s, DB_SIGS) == total - 2,
       "prune: at most its budget, and the counts follow");
    ok(used(s, sig_of("old", 4, now - 1004)) == 0 && used(s, sig_of("old", 3, now - 1003)) == 0 &&
           used(s, sig_of("old", 0, now - 1000)) == 1,
       "prune: the oldest went first");
    ok(record(s, sig_of("old", 9, now), 5) == SEAM_OK, "prune: the partner has room again");
    p.budget = 100;
    ok(store_write(s, prune_fn, &p, NULL, NULL) == SEAM_OK && p.pruned == 3 &&
           count_of(s, "old") == 1 && used(s, sig_of("old", 9, now)) == 1,
       "prune: only what expired goes");
    ok(used(s, a1) == 1 && count_of(s, "skyview") == 4, "prune: nothing unexpired went");
    p.now = (now + 2 * SEAM_SIGNATURE_WINDOW_S) * 1000 + 1;
    ok(store_write(s, prune_fn, &p, NULL, NULL) == SEAM_OK && entries(s, DB_SIGS) == 0 &&
           entries(s, DB_SIGS_DUE) == 0 && entries(s, DB_SIG_COUNTS) == 0,
       "prune: once all expired, nothing is left, counts included");

    store_close(s);
    tap_rmtree(dir);
    free(dir);
    return done_testing();
}
