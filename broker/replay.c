/*
 * replay.c: the partners' used request signatures (see replay.h). This
 * module keeps the records and prunes them; it does not verify a
 * signature (auth.c does) nor decide what a refusal answers (the handler
 * does). Its one thread only decides when to queue a pruning job: the
 * writer does the pruning, like every other write.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth.h"
#include "log.h"
#include "replay.h"
#include "seam/evidence.h"

#define KEY_MAX (REPLAY_PARTNER_MAX + 1 + REPLAY_HASH_LEN)

enum seam_err
replay_sig_from(const char *partner, const json_t *signature, struct replay_sig *out)
{
    const char *s64 = json_string_value(json_object_get(signature, "s"));
    const json_t *ts = json_object_get(signature, "t");
    uint8_t sig[64];
    size_t n;
    if (partner == NULL || strlen(partner) >= REPLAY_PARTNER_MAX || s64 == NULL ||
        !json_is_integer(ts) || seam_b64_decode(s64, sig, sizeof(sig), &n) != 0 || n != 64)
        return SEAM_EINVAL;
    memset(out, 0, sizeof(*out));
    memcpy(out->partner, partner, strlen(partner));
    crypto_generichash(out->hash, REPLAY_HASH_LEN, sig, sizeof(sig), NULL, 0);
    /* Past t + window the window check refuses it; the second window is
     * for a wall clock that steps back after a record went. */
    out->expires_ms = ((int64_t)json_integer_value(ts) + 2 * SEAM_SIGNATURE_WINDOW_S) * 1000;
    return SEAM_OK;
}

/* partner || 0 || hash; returns its length. */
static size_t
sig_key(const struct replay_sig *sig, uint8_t key[KEY_MAX])
{
    size_t p = strlen(sig->partner);
    memcpy(key, sig->partner, p + 1);
    memcpy(key + p + 1, sig->hash, REPLAY_HASH_LEN);
    return p + 1 + REPLAY_HASH_LEN;
}

uint64_t
replay_count(struct store_txn *t, const char *partner)
{
    uint64_t n;
    return store_get_u64(t, DB_SIG_COUNTS, partner, strlen(partner), &n) == SEAM_OK ? n : 0;
}

int
replay_used(struct store_txn *t, const struct replay_sig *sig)
{
    uint8_t key[KEY_MAX];
    struct store_val v;
    return store_get(t, DB_SIGS, key, sig_key(sig, key), &v) == SEAM_OK;
}

int
replay_full(struct store_txn *t, const char *partner, unsigned max)
{
    return replay_count(t, partner) >= max;
}

static enum seam_err
count_put(struct store_txn *t, const char *partner, uint64_t n)
{
    uint8_t b[8];
    if (n == 0) {
        enum seam_err rc = store_del(t, DB_SIG_COUNTS, partner, strlen(partner));
        return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
    }
    be64_put(b, n);
    return store_put(t, DB_SIG_COUNTS, partner, strlen(partner), b, 8, 0);
}

struct bound {
    char partner[REPLAY_PARTNER_MAX];
    unsigned max;
};

static struct bound *
bound_new(const struct replay_sig *sig, unsigned max)
{
    struct bound *b = xcalloc(1, sizeof(*b));
    memcpy(b->partner, sig->partner, sizeof(b->partner));
    b->max = max;
    return b;
}

/* A stage's check, in the writer's transaction: still below the bound? */
static enum seam_err
below_bound(struct store_txn *t, void *arg)
{
    const struct bound *b = arg;
    return replay_full(t, b->partner, b->max) ? SEAM_ESTALE : SEAM_OK;
}

/* The count, kept by the writer (a stage's reads of it would go stale). */
static enum seam_err
count_one_more(struct store_txn *t, void *arg)
{
    const struct bound *b = arg;
    return count_put(t, b->partner, replay_count(t, b->partner) + 1);
}

enum seam_err
replay_record(struct store_txn *t, const struct replay_sig *sig, unsigned max)
{
    uint8_t key[KEY_MAX], due[8 + KEY_MAX];
    size_t klen = sig_key(sig, key);
    struct store_val v;
    /* In a stage this read is recorded: the key appearing since (the same
     * signature committed by another request) makes the stage stale. */
    enum seam_err rc = store_get(t, DB_SIGS, key, klen, &v);
    if (rc == SEAM_OK)
        return SEAM_EEXIST;
    if (rc != SEAM_ENOTFOUND)
        return rc;
    if (store_is_staged(t))
        store_stage_check(t, below_bound, bound_new(sig, max), free);
    else if (replay_full(t, sig->partner, max))
        return SEAM_EBUSY;
    be64_put(due, (uint64_t)sig->expires_ms);
    memcpy(due + 8, key, klen);
    rc = store_put(t, DB_SIGS, key, klen, due, 8, STORE_NOOVERWRITE);
    if (rc == SEAM_OK)
        rc = store_put(t, DB_SIGS_DUE, due, 8 + klen, "", 0, 0);
    if (rc == SEAM_OK)
        rc = store_defer(t, count_one_more, bound_new(sig, max), free);
    return rc;
}

struct expired {
    int64_t now;
    unsigned n, budget;
    uint8_t (*keys)[8 + KEY_MAX];
    size_t *lens;
};

static int
collect_expired(void *ctx, struct store_val k, struct store_val v)
{
    struct expired *e = ctx;
    (void)v;
    if (e->n == e->budget || k.len < 8 + 2 || k.len > 8 + KEY_MAX)
        return e->n == e->budget;
    if ((int64_t)be64_get(k.data) > e->now)
        return 1;
    memcpy(e->keys[e->n], k.data, k.len);
    e->lens[e->n++] = k.len;
    return 0;
}

enum seam_err
replay_prune(struct store_txn *t, int64_t now, unsigned budget, unsigned *pruned)
{
    struct expired e = {now, 0, budget, xcalloc(budget, 8 + KEY_MAX),
                        xcalloc(budget, sizeof(size_t))};
    enum seam_err rc = store_scan(t, DB_SIGS_DUE, NULL, 0, 0, collect_expired, &e);
    for (unsigned i = 0; rc == SEAM_OK && i < e.n; i++) {
        const uint8_t *k = e.keys[i];
        const char *partner = (const char *)k + 8;
        size_t plen = strnlen(partner, e.lens[i] - 8);
        if (plen == e.lens[i] - 8) { /* not ours: no partner terminator */
            rc = store_del(t, DB_SIGS_DUE, k, e.lens[i]);
            continue;
        }
        if ((rc = store_del(t, DB_SIGS_DUE, k, e.lens[i])) != SEAM_OK)
            break;
        rc = store_del(t, DB_SIGS, k + 8, e.lens[i] - 8);
        if (rc == SEAM_OK) {
            uint64_t n = replay_count(t, partner);
            rc = count_put(t, partner, n > 0 ? n - 1 : 0);
        } else if (rc == SEAM_ENOTFOUND) {
            rc = SEAM_OK;
        }
    }
    if (rc == SEAM_OK)
        *pruned = e.n;
    free(e.keys);
    free(e.lens);
    return rc;
}

/* ---- the pruning thread ---- */

struct prune_job {
    struct store_job job;
    struct replay_pruner *p;
    unsigned pruned;
};

struct replay_pruner {
    struct store *s;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping, job_done;
    struct prune_job pj;
};

static enum seam_err
prune_apply(struct store_txn *t, struct store_job *job)
{
    struct prune_job *pj = (struct prune_job *)job;
    pj->pruned = 0;
    return replay_prune(t, now_ms(), REPLAY_PRUNE_BATCH, &pj->pruned);
}

static void
prune_done(struct store_job *job)
{
    struct prune_job *pj = (struct prune_job *)job;
    struct replay_pruner *p = pj->p;
    if (job->rc != SEAM_OK)
        log_warnx("replay: pruning used signatures failed error=\"%s\"", seam_strerror(job->rc));
    pthread_mutex_lock(&p->mu);
    p->job_done = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static int
first_expiry(void *ctx, struct store_val k, struct store_val v)
{
    (void)v;
    if (k.len >= 8)
        *(int64_t *)ctx = (int64_t)be64_get(k.data);
    return 1;
}

static void *
pruner_main(void *arg)
{
    struct replay_pruner *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        pthread_mutex_unlock(&p->mu);
        int64_t first = INT64_MAX;
        struct store_txn *t;
        if (store_read_begin(p->s, &t) == SEAM_OK) {
            if (store_scan(t, DB_SIGS_DUE, NULL, 0, 0, first_expiry, &first) != SEAM_OK)
                first = INT64_MAX;
            store_read_end(t);
        }
        pthread_mutex_lock(&p->mu);
        if (first <= now_ms() && !p->stopping) {
            p->job_done = 0;
            if (store_submit(p->s, &p->pj.job) == SEAM_OK) {
                while (!p->job_done)
                    pthread_cond_wait(&p->cv, &p->mu);
                if (p->pj.job.rc == SEAM_OK && p->pj.pruned == REPLAY_PRUNE_BATCH)
                    continue; /* more are due: go on at once */
            }
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        while (!p->stopping && pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct replay_pruner *
replay_pruner_start(struct store *s)
{
    struct replay_pruner *p = xcalloc(1, sizeof(*p));
    p->s = s;
    p->pj.job.apply = prune_apply;
    p->pj.job.done = prune_done;
    p->pj.p = p;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->thread, NULL, pruner_main, p) != 0)
        fatalx("cannot start the pruner of used signatures");
    return p;
}

void
replay_pruner_stop(struct replay_pruner *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
