/*
 * test_store.c: the store's writer against a real LMDB environment in a
 * temporary directory: group commit under concurrent submitters, a failing
 * job leaving no trace in its batch, map growth on MDB_MAP_FULL up to the
 * limit and a clean "full" beyond it, reads in their own transactions, and
 * STORE_APPEND: full pages for growing keys, the same result for any other;
 * staged transactions: what they read and write, their replay, and stale
 * stages that leave no trace; the queue order of staged jobs; and the
 * map's pages leaving the resident set once read.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"

struct put_job {
    struct store_job job;
    char key[32];
    size_t vlen;
    int fail; /* return SEAM_EINVAL after writing */
    atomic_int *done;
};

static enum seam_err
put_apply(struct store_txn *t, struct store_job *job)
{
    struct put_job *p = (struct put_job *)job;
    char *val = calloc(1, p->vlen + 1);
    memset(val, 'v', p->vlen);
    enum seam_err rc = store_put(t, DB_META, p->key, strlen(p->key), val, p->vlen, 0);
    free(val);
    if (rc == SEAM_OK && p->fail)
        return SEAM_EINVAL;
    return rc;
}

static void
put_done(struct store_job *job)
{
    struct put_job *p = (struct put_job *)job;
    atomic_fetch_add(p->done, 1);
}

static int
wait_for(atomic_int *n, int want)
{
    for (int i = 0; i < 2000 && atomic_load(n) < want; i++)
        usleep(5000);
    return atomic_load(n) == want;
}

struct submitter {
    struct store *s;
    struct put_job *jobs;
    int first, count;
};

static void *
submit_many(void *arg)
{
    struct submitter *sb = arg;
    for (int i = sb->first; i < sb->first + sb->count; i++)
        while (store_submit(sb->s, &sb->jobs[i].job) == SEAM_EBUSY)
            usleep(100);
    return NULL;
}

/* Puts `n` records of 1,600 bytes (a ticket record's size) under growing keys. */
struct fill {
    int n;
    unsigned flags;
};

static enum seam_err
fill_apply(struct store_txn *t, void *ctx)
{
    const struct fill *f = ctx;
    char key[16], val[1600];
    memset(val, 'r', sizeof(val));
    for (int i = 0; i < f->n; i++) {
        snprintf(key, sizeof(key), "T%06d", i * 2);
        enum seam_err rc = store_put(t, DB_TICKETS, key, strlen(key), val, sizeof(val), f->flags);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

/* Bytes in use after filling a new store with `flags`. */
static uint64_t
filled_bytes(unsigned flags)
{
    char *dir = tap_tmpdir();
    struct store *s;
    struct store_stats st = {0};
    struct fill f = {600, flags};
    if (dir != NULL && store_open(dir, (size_t)16 << 20, (size_t)64 << 20, 1, &s) == SEAM_OK) {
        if (store_write(s, fill_apply, &f, NULL, NULL) == SEAM_OK)
            store_stats(s, &st);
        store_close(s);
    }
    if (dir != NULL)
        tap_rmtree(dir);
    free(dir);
    return st.used_bytes;
}

struct odd_put {
    const char *key, *val;
    unsigned flags;
};

static enum seam_err
odd_apply(struct store_txn *t, void *ctx)
{
    const struct odd_put *p = ctx;
    return store_put(t, DB_TICKETS, p->key, strlen(p->key), p->val, strlen(p->val), p->flags);
}

static void
test_append(void)
{
    uint64_t plain = filled_bytes(STORE_NOOVERWRITE);
    uint64_t appended = filled_bytes(STORE_NOOVERWRITE | STORE_APPEND);
    ok(plain > 0 && appended > 0 && appended * 10 < plain * 7,
       "600 growing records of 1,600 bytes: %llu bytes appended, %llu put plainly",
       (unsigned long long)appended, (unsigned long long)plain);

    char *dir = tap_tmpdir();
    struct store *s;
    struct store_txn *t;
    struct store_val v;
    struct fill f = {10, STORE_APPEND};
    ok(store_open(dir, 1 << 20, (size_t)16 << 20, 1, &s) == SEAM_OK &&
           store_write(s, fill_apply, &f, NULL, NULL) == SEAM_OK,
       "ten records appended");
    struct odd_put mid = {"T000003", "middle", STORE_NOOVERWRITE | STORE_APPEND};
    ok(store_write(s, odd_apply, &mid, NULL, NULL) == SEAM_OK,
       "a key that is not the largest is still put with STORE_APPEND");
    struct odd_put dup = {"T000004", "again", STORE_NOOVERWRITE | STORE_APPEND};
    ok(store_write(s, odd_apply, &dup, NULL, NULL) == SEAM_EEXIST,
       "STORE_APPEND with STORE_NOOVERWRITE: an existing key is SEAM_EEXIST");
    struct odd_put last = {"T000018", "over", STORE_APPEND};
    ok(store_write(s, odd_apply, &last, NULL, NULL) == SEAM_OK,
       "STORE_APPEND without STORE_NOOVERWRITE overwrites the last key");
    ok(store_read_begin(s, &t) == SEAM_OK, "read transaction");
    ok(store_get(t, DB_TICKETS, "T000003", 7, &v) == SEAM_OK && v.len == 6 &&
           memcmp(v.data, "middle", 6) == 0,
       "the middle key holds its record");
    ok(store_get(t, DB_TICKETS, "T000004", 7, &v) == SEAM_OK && v.len == 1600,
       "the refused put changed nothing");
    ok(store_get(t, DB_TICKETS, "T000018", 7, &v) == SEAM_OK && v.len == 4 &&
           memcmp(v.data, "over", 4) == 0,
       "the last key was overwritten");
    ok(store_count(t, DB_TICKETS) == 11, "eleven records in all");
    store_read_end(t);
    store_close(s);
    tap_rmtree(dir);
    free(dir);
}

/* ---- staged transactions ---- */

static enum seam_err
put_str(struct store_txn *t, const char *k, const char *v)
{
    return store_put(t, DB_META, k, strlen(k), v, strlen(v), 0);
}

static enum seam_err
seed_apply(struct store_txn *t, void *ctx)
{
    (void)ctx;
    enum seam_err rc = put_str(t, "a", "1");
    return rc != SEAM_OK ? rc : put_str(t, "b", "2");
}

static int
has(struct store *s, const char *k, const char *want)
{
    struct store_txn *t;
    struct store_val v;
    if (store_read_begin(s, &t) != SEAM_OK)
        return 0;
    enum seam_err rc = store_get(t, DB_META, k, strlen(k), &v);
    int r = want == NULL
                ? rc == SEAM_ENOTFOUND
                : rc == SEAM_OK && v.len == strlen(want) && memcmp(v.data, want, v.len) == 0;
    store_read_end(t);
    return r;
}

static int deferred_runs, deferred_frees, check_answer;

static enum seam_err
deferred(struct store_txn *t, void *arg)
{
    deferred_runs++;
    return put_str(t, "deferred", arg);
}

static enum seam_err
checked(struct store_txn *t, void *arg)
{
    (void)t;
    (void)arg;
    return check_answer;
}

static void
counted_free(void *arg)
{
    (void)arg;
    deferred_frees++;
}

/* store_defer outside a stage: the work runs at once. */
static enum seam_err
defer_now_apply(struct store_txn *t, void *ctx)
{
    if (store_is_staged(t))
        return SEAM_EINVAL;
    return store_defer(t, ctx != NULL ? checked : deferred, "yes", counted_free);
}

/* The stage of test_stage: reads a, puts c, deletes b, defers one write. */
static struct store_stage *
stage_of(struct store *s)
{
    struct store_txn *t;
    struct store_val v;
    if (store_stage_begin(s, &t) != SEAM_OK)
        return NULL;
    int good = store_is_staged(t) && store_get(t, DB_META, "a", 1, &v) == SEAM_OK && v.len == 1 &&
               put_str(t, "c", "3") == SEAM_OK && store_del(t, DB_META, "b", 1) == SEAM_OK;
    store_stage_check(t, checked, NULL, counted_free);
    good = good && store_defer(t, deferred, "yes", counted_free) == SEAM_OK;
    struct store_stage *st = store_stage_end(t);
    if (!good) {
        store_stage_free(st);
        return NULL;
    }
    return st;
}

struct replay_ctx {
    struct store_stage *st;
    enum seam_err rc;
};

static enum seam_err
replay_apply(struct store_txn *t, void *ctx)
{
    struct replay_ctx *r = ctx;
    r->rc = store_stage_replay(t, r->st);
    return r->rc;
}

static enum seam_err
odd_put_meta(struct store_txn *t, void *ctx)
{
    struct odd_put *o = ctx;
    return put_str(t, o->key, o->val);
}

static enum seam_err
change_a(struct store_txn *t, void *ctx)
{
    return put_str(t, "a", ctx);
}

struct order_job {
    struct store_job job;
    char name;
    char *log;
    pthread_mutex_t *gate; /* held by the test while it fills the queue */
    atomic_int *done;
};

static enum seam_err
order_apply(struct store_txn *t, struct store_job *job)
{
    struct order_job *o = (struct order_job *)job;
    (void)t;
    if (o->gate != NULL) {
        pthread_mutex_lock(o->gate);
        pthread_mutex_unlock(o->gate);
    }
    size_t n = strlen(o->log);
    o->log[n] = o->name;
    o->log[n + 1] = '\0';
    return SEAM_OK;
}

static void
order_done(struct store_job *job)
{
    atomic_fetch_add(((struct order_job *)job)->done, 1);
}

/* A job whose work is staged: puts its key; counts how often apply ran where. */
struct staged_put {
    struct store_job job;
    const char *key, *val;
    int applied;
    atomic_int *done;
};

static enum seam_err
staged_put_apply(struct store_txn *t, struct store_job *job)
{
    struct staged_put *p = (struct staged_put *)job;
    struct store_val v;
    p->applied++;
    enum seam_err rc = store_get(t, DB_META, "a", 1, &v); /* what the stage depends on */
    return rc != SEAM_OK ? rc : put_str(t, p->key, p->val);
}

static void
staged_put_done(struct store_job *job)
{
    atomic_fetch_add(((struct staged_put *)job)->done, 1);
}

static void
test_stage(void)
{
    char *dir = tap_tmpdir();
    struct store *s;
    struct store_txn *t;
    struct store_val v;
    ok(store_open(dir, 1 << 20, (size_t)16 << 20, 1, &s) == SEAM_OK &&
           store_write(s, seed_apply, NULL, NULL, NULL) == SEAM_OK,
       "stage: a store with a=1, b=2");

    /* What a staged transaction answers, and that it writes nothing itself. */
    ok(store_stage_begin(s, &t) == SEAM_OK, "stage: begin");
    ok(put_str(t, "c", "3") == SEAM_OK && store_get(t, DB_META, "c", 1, &v) == SEAM_OK &&
           v.len == 1 && memcmp(v.data, "3", 1) == 0,
       "stage: reads see its own puts");
    ok(store_put(t, DB_META, "a", 1, "x", 1, STORE_NOOVERWRITE) == SEAM_EEXIST &&
           store_put(t, DB_META, "c", 1, "x", 1, STORE_NOOVERWRITE) == SEAM_EEXIST,
       "stage: STORE_NOOVERWRITE refuses keys of the snapshot and its own");
    ok(store_del(t, DB_META, "zz", 2) == SEAM_ENOTFOUND &&
           store_del(t, DB_META, "b", 1) == SEAM_OK &&
           store_get(t, DB_META, "b", 1, &v) == SEAM_ENOTFOUND,
       "stage: deletes answer as the snapshot would, and are seen");
    ok(store_scan(t, DB_META, NULL, 0, 0, NULL, NULL) == SEAM_ESTALE,
       "stage: a scan is refused as stale");
    store_read_end(t); /* abandoned */
    ok(has(s, "b", "2") && has(s, "c", NULL), "stage: an abandoned stage changed nothing");

    /* A replay whose reads still hold makes the writes and the deferred work. */
    struct replay_ctx r = {stage_of(s), SEAM_OK};
    check_answer = SEAM_OK;
    ok(r.st != NULL && deferred_runs == 0, "stage: staged; deferred work not yet run");
    ok(store_write(s, replay_apply, &r, NULL, NULL) == SEAM_OK && r.rc == SEAM_OK &&
           deferred_runs == 1,
       "stage: the replay succeeds and runs the deferred work once");
    ok(has(s, "c", "3") && has(s, "b", NULL) && has(s, "deferred", "yes"),
       "stage: the replay made the puts, the delete and the deferred write");
    store_stage_free(r.st);
    ok(deferred_frees == 2, "stage: freeing it frees what the checks and deferred work hold");
    ok(store_write(s, defer_now_apply, NULL, NULL, NULL) == SEAM_OK && deferred_runs == 2 &&
           deferred_frees == 3 && has(s, "deferred", "yes"),
       "defer: in the writer's own transaction the work runs at once and its arg is freed");
    check_answer = SEAM_ECONFLICT;
    ok(store_write(s, defer_now_apply, "fail", NULL, NULL) == SEAM_ECONFLICT && deferred_frees == 4,
       "defer: ... and its failure is the answer, the arg freed all the same");
    check_answer = SEAM_OK;

    /* A read that moved: stale, and nothing written. */
    ok(store_write(s, seed_apply, NULL, NULL, NULL) == SEAM_OK, "stage: b back");
    r.st = stage_of(s);
    ok(store_write(s, change_a, "9", NULL, NULL) == SEAM_OK, "stage: a changes after the stage");
    deferred_runs = 0;
    ok(store_write(s, replay_apply, &r, NULL, NULL) == SEAM_ESTALE && deferred_runs == 0,
       "stage: a changed read makes the replay stale before any work");
    ok(has(s, "b", "2") && has(s, "deferred", "yes"), "stage: the stale replay wrote nothing");
    store_stage_free(r.st);

    /* A read of an absent key: unrelated changes leave the stage fresh... */
    struct store_txn *t2;
    ok(store_stage_begin(s, &t2) == SEAM_OK &&
           store_get(t2, DB_META, "new", 3, &v) == SEAM_ENOTFOUND &&
           put_str(t2, "d", "4") == SEAM_OK,
       "stage: reads an absent key");
    r.st = store_stage_end(t2);
    ok(store_write(s, change_a, "8", NULL, NULL) == SEAM_OK &&
           store_write(s, replay_apply, &r, NULL, NULL) == SEAM_OK && has(s, "d", "4"),
       "stage: unrelated changes leave it fresh, and it is written");
    store_stage_free(r.st);
    /* ... but the key appearing makes it stale. */
    ok(store_stage_begin(s, &t2) == SEAM_OK &&
           store_get(t2, DB_META, "new", 3, &v) == SEAM_ENOTFOUND &&
           put_str(t2, "e", "5") == SEAM_OK,
       "stage: reads the absent key again");
    r.st = store_stage_end(t2);
    struct odd_put appear = {"new", "x", 0};
    ok(store_write(s, odd_put_meta, &appear, NULL, NULL) == SEAM_OK &&
           store_write(s, replay_apply, &r, NULL, NULL) == SEAM_ESTALE && has(s, "e", NULL),
       "stage: a key that appeared since makes it stale, nothing written");
    store_stage_free(r.st);

    /* A failing check is stale as well. */
    r.st = stage_of(s);
    check_answer = SEAM_ESTALE;
    ok(r.st != NULL && store_write(s, replay_apply, &r, NULL, NULL) == SEAM_ESTALE &&
           has(s, "c", "3") && has(s, "b", "2"),
       "stage: a failed check is stale, nothing written");
    store_stage_free(r.st);
    check_answer = SEAM_OK;

    /* Through the writer: a fresh stage is replayed, a stale one applied anew. */
    atomic_int done = 0;
    struct store_stats st;
    ok(store_writer_start(s, 64, 16, NULL, NULL) == SEAM_OK, "stage: writer");
    struct staged_put p1 = {.job = {.apply = staged_put_apply, .done = staged_put_done},
                            .key = "p1",
                            .val = "one",
                            .done = &done};
    ok(store_stage_job(s, &p1.job) == SEAM_OK && p1.job.stage != NULL && p1.applied == 1 &&
           has(s, "p1", NULL),
       "stage: store_stage_job ran apply ahead and wrote nothing");
    ok(store_submit(s, &p1.job) == SEAM_OK && wait_for(&done, 1) && p1.job.rc == SEAM_OK &&
           p1.applied == 1 && has(s, "p1", "one"),
       "stage: the writer replayed it without applying again");
    struct staged_put p2 = {.job = {.apply = staged_put_apply, .done = staged_put_done},
                            .key = "p2",
                            .val = "two",
                            .done = &done};
    ok(store_stage_job(s, &p2.job) == SEAM_OK, "stage: another staged job");
    struct put_job move = {.job = {put_apply, put_done, 0, NULL}, .vlen = 3, .done = &done};
    snprintf(move.key, sizeof(move.key), "a");
    ok(store_submit(s, &move.job) == SEAM_OK && wait_for(&done, 2), "stage: what it read changes");
    ok(store_submit(s, &p2.job) == SEAM_OK && wait_for(&done, 3) && p2.job.rc == SEAM_OK &&
           p2.applied == 2 && has(s, "p2", "two"),
       "stage: a stale stage is applied anew by the writer");
    store_stats(s, &st);
    ok(st.staged == 1 && st.stale_stages == 1, "stage: counted: %llu replayed, %llu stale",
       (unsigned long long)st.staged, (unsigned long long)st.stale_stages);

    /* The queue keeps staged jobs in their order, others in arrival order. */
    pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
    char log[16] = "";
    atomic_store(&done, 0);
    struct order_job first = {{order_apply, order_done, 0, NULL, NULL, 0}, 'F', log, &gate, &done};
    struct order_job o[4] = {
        {{order_apply, order_done, 0, NULL, NULL, 3}, 'B', log, NULL, &done},
        {{order_apply, order_done, 0, NULL, NULL, 1}, 'C', log, NULL, &done},
        {{order_apply, order_done, 0, NULL, NULL, 0}, 'D', log, NULL, &done},
        {{order_apply, order_done, 0, NULL, NULL, 2}, 'E', log, NULL, &done},
    };
    pthread_mutex_lock(&gate);
    ok(store_submit(s, &first.job) == SEAM_OK, "order: a job holds the writer");
    usleep(50000);
    for (int i = 0; i < 4; i++)
        if (store_submit(s, &o[i].job) != SEAM_OK)
            break;
    pthread_mutex_unlock(&gate);
    ok(wait_for(&done, 5) && strcmp(log, "FCEBD") == 0,
       "order: queued B3 C1 D E2, applied %s (want FCEBD)", log);

    store_close(s);
    tap_rmtree(dir);
    free(dir);
}

/* ---- the map's pages leave the resident set ---- */

static long
rss_file_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "RssFile: %ld", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kb;
}

#define BIG_RECORDS 160 /* MiB: well above the 48 MiB the store lets stay mapped */
static enum seam_err
big_apply(struct store_txn *t, void *ctx)
{
    (void)ctx;
    size_t n = 1 << 20;
    char *val = malloc(n);
    memset(val, 'r', n);
    enum seam_err rc = SEAM_OK;
    for (int i = 0; i < BIG_RECORDS && rc == SEAM_OK; i++) {
        char key[16];
        snprintf(key, sizeof(key), "big%03d", i);
        rc = store_put(t, DB_META, key, strlen(key), val, n, 0);
    }
    free(val);
    return rc;
}

struct touch {
    unsigned long sum;
    int left; /* records still to read; <0: all */
};

static int
touch_one(void *ctx, struct store_val k, struct store_val v)
{
    (void)k;
    struct touch *tc = ctx;
    if (tc->left == 0)
        return 1;
    if (tc->left > 0)
        tc->left--;
    for (size_t i = 0; i < v.len; i += 4096)
        tc->sum += ((const unsigned char *)v.data)[i];
    return 0;
}

struct slow_job {
    struct store_job job;
    long before, peak;
    int records;
    atomic_int *done;
};

static int
slow_one(void *ctx, struct store_val k, struct store_val v)
{
    struct slow_job *sj = ctx;
    (void)k;
    unsigned long sum = 0;
    for (size_t i = 0; i < v.len; i += 4096)
        sum += ((const unsigned char *)v.data)[i];
    if (sum > 0)
        sj->records++;
    usleep(3000);
    long now = rss_file_kb() - sj->before;
    if (now > sj->peak)
        sj->peak = now;
    return 0;
}

static enum seam_err
slow_apply(struct store_txn *t, struct store_job *job)
{
    struct slow_job *sj = (struct slow_job *)job;
    sj->records = 0;
    sj->peak = 0;
    return store_scan(t, DB_META, NULL, 0, 0, slow_one, sj);
}

static void
slow_done(struct store_job *job)
{
    atomic_fetch_add(((struct slow_job *)job)->done, 1);
}

static void
test_release(void)
{
    char *dir = tap_tmpdir();
    struct store *s;
    struct store_txn *t;
    struct touch tc = {0, 32};
    ok(store_open(dir, (size_t)256 << 20, (size_t)512 << 20, 1, &s) == SEAM_OK &&
           store_write(s, big_apply, NULL, NULL, NULL) == SEAM_OK &&
           store_writer_start(s, 16, 16, NULL, NULL) == SEAM_OK,
       "release: %d MiB stored, writer running", BIG_RECORDS);
    long before = rss_file_kb();
    ok(store_read_begin(s, &t) == SEAM_OK &&
           store_scan(t, DB_META, NULL, 0, 0, touch_one, &tc) == SEAM_OK,
       "release: 32 MiB read through the map");
    store_read_end(t);
    usleep(800000);
    long light = rss_file_kb();
    ok(light - before > 28 * 1024,
       "release: below 48 MiB the pages stay mapped (%ld KiB above the start after 0.8 s)",
       light - before);
    /* One long write transaction reads every page, a MiB each 3 ms: the writer is busy
     * throughout, and the map's pages leave the resident set all the same. */
    atomic_int done = 0;
    struct slow_job sj = {
        .job = {.apply = slow_apply, .done = slow_done}, .before = before, .done = &done};
    ok(store_submit(s, &sj.job) == SEAM_OK && wait_for(&done, 1) && sj.records == BIG_RECORDS,
       "release: one write job read all %d MiB, slowly (%d records)", BIG_RECORDS, sj.records);
    ok(sj.peak > 48 * 1024 && sj.peak <= 112 * 1024,
       "release: while it ran the map's resident pages peaked at %ld KiB above the start "
       "(bounded: dropped past 48 MiB though the writer never paused)",
       sj.peak);
    long after = rss_file_kb();
    ok(after - before <= 72 * 1024,
       "release: after it, no more than the bound stays mapped (%ld KiB above the start)",
       after - before);
    tc = (struct touch){0, -1};
    ok(store_read_begin(s, &t) == SEAM_OK &&
           store_scan(t, DB_META, NULL, 0, 0, touch_one, &tc) == SEAM_OK &&
           tc.sum == 1UL * BIG_RECORDS * 256 * 'r',
       "release: and the data reads back whole");
    store_read_end(t);
    store_close(s);
    tap_rmtree(dir);
    free(dir);
}

/* ---- the replicated log's write sets (store_ws_each, store_log_apply) ---- */

struct ws_buf {
    unsigned char b[512];
    size_t n;
};

static void
ws_be32(struct ws_buf *w, size_t v)
{
    w->b[w->n++] = (unsigned char)(v >> 24);
    w->b[w->n++] = (unsigned char)(v >> 16);
    w->b[w->n++] = (unsigned char)(v >> 8);
    w->b[w->n++] = (unsigned char)v;
}

/* Adds a put (val non-NULL) or a delete of key in db, as the writer records them (store.h). */
static void
ws_add(struct ws_buf *w, enum store_db db, const char *key, const char *val)
{
    if (w->n == 0) {
        memcpy(w->b, "SWS1", 4);
        w->n = 4;
    }
    w->b[w->n++] = val != NULL ? 1 : 2;
    w->b[w->n++] = (unsigned char)db;
    ws_be32(w, strlen(key));
    memcpy(w->b + w->n, key, strlen(key));
    w->n += strlen(key);
    if (val != NULL) {
        ws_be32(w, strlen(val));
        memcpy(w->b + w->n, val, strlen(val));
        w->n += strlen(val);
    }
}

struct seen {
    char text[256];
    int stop_at, calls;
};

static enum seam_err
seen_one(void *ctx, enum store_db db, struct store_val key, const struct store_val *val)
{
    struct seen *sn = ctx;
    size_t n = strlen(sn->text);
    snprintf(sn->text + n, sizeof(sn->text) - n, "%s%d:%.*s=%.*s", n ? " " : "", (int)db,
             (int)key.len, (const char *)key.data, val ? (int)val->len : 1,
             val ? (const char *)val->data : "-");
    return ++sn->calls == sn->stop_at ? SEAM_ECONFLICT : SEAM_OK;
}

/* A log of two writers for store_write_logged: the other appends a batch first (`theirs`). */
struct two_logs {
    struct store *s;
    struct ws_buf theirs;
    int appends, catch_ups, made;
    uint64_t last; /* the log's last sequence */
};

static enum seam_err
two_append(void *ctx, uint64_t after, const void *ws, size_t len, uint64_t *seq)
{
    struct two_logs *l = ctx;
    (void)ws;
    (void)len;
    if (l->appends++ == 0 && l->last == 1)
        l->last = 2; /* the other writer appends just before this store's first try */
    if (after != l->last)
        return SEAM_ESTALE; /* the log has moved past the store */
    *seq = ++l->last;
    return SEAM_OK;
}

static enum seam_err
two_catch_up(void *ctx)
{
    struct two_logs *l = ctx;
    l->catch_ups++;
    enum seam_err rc = store_log_apply(l->s, l->last, l->theirs.b, l->theirs.n);
    return rc == SEAM_EEXIST ? SEAM_OK : rc;
}

static enum seam_err
ours_fn(struct store_txn *t, void *ctx)
{
    struct two_logs *l = ctx;
    struct store_val v;
    l->made++;
    /* made on the store as it is: the other writer's record is there the second time */
    const char *val = store_get(t, DB_META, "theirs", 6, &v) == SEAM_OK ? "after" : "before";
    return store_put(t, DB_META, "ours", 4, val, strlen(val), 0);
}

static void
test_write_sets(void)
{
    char *dir = tap_tmpdir();
    struct store *s;
    struct store_txn *t;
    struct store_val v;
    struct ws_buf w = {0}, gone = {0};
    ws_add(&w, DB_META, "ws-a", "1");
    ws_add(&w, DB_CUSTOMERS, "c9", "{\"id\":\"c9\"}");
    ws_add(&w, DB_META, "ws-b", "");
    ws_add(&w, DB_META, "ws-b", NULL);
    struct seen sn = {.stop_at = -1};
    char want[128];
    snprintf(want, sizeof(want), "%d:ws-a=1 %d:c9={\"id\":\"c9\"} %d:ws-b= %d:ws-b=-", DB_META,
             DB_CUSTOMERS, DB_META, DB_META);
    ok(store_ws_each(w.b, w.n, seen_one, &sn) == SEAM_OK && strcmp(sn.text, want) == 0,
       "write set: each write in order, a delete without a value (%s)", sn.text);
    sn = (struct seen){.stop_at = 2};
    ok(store_ws_each(w.b, w.n, seen_one, &sn) == SEAM_ECONFLICT && sn.calls == 2,
       "write set: the reader stops at the first answer that is not SEAM_OK, and returns it");
    int cut_ok = 1;
    for (size_t len = 0; len < w.n; len++) {
        sn = (struct seen){.stop_at = -1};
        enum seam_err rc = store_ws_each(w.b, len, seen_one, &sn);
        /* a cut at a write's end is a shorter write set; anywhere else it is malformed */
        if (rc != SEAM_OK && rc != SEAM_ECORRUPT)
            cut_ok = 0;
        if (len < 4 && rc != SEAM_ECORRUPT)
            cut_ok = 0;
    }
    ok(cut_ok, "write set: cut at every length, it reads clean or answers SEAM_ECORRUPT");
    unsigned char bad[64];
    memcpy(bad, w.b, 16);
    bad[4] = 3; /* no such operation */
    ok(store_ws_each(bad, 16, seen_one, &(struct seen){.stop_at = -1}) == SEAM_ECORRUPT,
       "write set: an unknown operation is SEAM_ECORRUPT");
    memcpy(bad, w.b, 16);
    bad[5] = DB_COUNT; /* no such database */
    ok(store_ws_each(bad, 16, seen_one, &(struct seen){.stop_at = -1}) == SEAM_ECORRUPT,
       "write set: an unknown database is SEAM_ECORRUPT");
    memcpy(bad, w.b, 16);
    bad[0] = 'X';
    ok(store_ws_each(bad, 16, seen_one, &(struct seen){.stop_at = -1}) == SEAM_ECORRUPT,
       "write set: without its magic it is SEAM_ECORRUPT");

    ok(store_open(dir, 1 << 20, (size_t)16 << 20, 1, &s) == SEAM_OK, "write set: a new store");
    ok(store_log_apply(s, 2, w.b, w.n) == SEAM_ESTALE,
       "write set: batch 2 on a store that holds none does not follow (SEAM_ESTALE)");
    ok(store_log_apply(s, 1, w.b, w.n) == SEAM_OK, "write set: batch 1 applies");
    uint64_t seq = 0;
    ok(store_read_begin(s, &t) == SEAM_OK && store_log_seq(t, &seq) == SEAM_OK && seq == 1 &&
           store_get(t, DB_META, "ws-a", 4, &v) == SEAM_OK && v.len == 1 &&
           store_get(t, DB_CUSTOMERS, "c9", 2, &v) == SEAM_OK &&
           store_get(t, DB_META, "ws-b", 4, &v) == SEAM_ENOTFOUND,
       "write set: ... its puts and its delete are in the store, with its sequence");
    store_read_end(t);
    ok(store_log_apply(s, 1, w.b, w.n) == SEAM_EEXIST,
       "write set: the same batch again is SEAM_EEXIST (held already)");
    ws_add(&gone, DB_META, "ws-new", "x");
    ws_add(&gone, DB_META, "never-was", NULL);
    ok(store_log_apply(s, 2, gone.b, gone.n) == SEAM_ECORRUPT,
       "write set: a batch deleting what the store does not hold is SEAM_ECORRUPT");
    ok(store_read_begin(s, &t) == SEAM_OK && store_log_seq(t, &seq) == SEAM_OK && seq == 1 &&
           store_get(t, DB_META, "ws-new", 6, &v) == SEAM_ENOTFOUND,
       "write set: ... and nothing of it is applied");
    store_read_end(t);
    ok(store_log_apply(s, 2, w.b, w.n - 1) == SEAM_ECORRUPT,
       "write set: a truncated batch is SEAM_ECORRUPT");

    /* Another writer appends batch 2 just before this store's batch: made again after it. */
    struct two_logs l = {.s = s, .last = 1};
    ws_add(&l.theirs, DB_META, "theirs", "x");
    struct store_log lg = {.append = two_append, .catch_up = two_catch_up, .ctx = &l};
    store_writer_log(s, &lg);
    ok(store_write_logged(s, ours_fn, &l) == SEAM_OK,
       "log moved: a write through a log another writer appended to first succeeds");
    ok(l.catch_ups == 2 && l.made == 2 && l.appends == 2,
       "log moved: ... refused once, the store caught up (%d times, the first before the "
       "write), the write made again (%d) and appended (%d tries)",
       l.catch_ups, l.made, l.appends);
    ok(store_read_begin(s, &t) == SEAM_OK && store_log_seq(t, &seq) == SEAM_OK && seq == 3 &&
           store_get(t, DB_META, "theirs", 6, &v) == SEAM_OK &&
           store_get(t, DB_META, "ours", 4, &v) == SEAM_OK && v.len == 5 &&
           memcmp(v.data, "after", 5) == 0,
       "log moved: ... both batches are in the store, ours after theirs, at sequence 3");
    store_read_end(t);
    l.last = 5; /* the log is past the store, which cannot catch up: nothing written */
    l.appends = l.made = 0;
    struct ws_buf none = {0};
    l.theirs = none;
    ws_add(&l.theirs, DB_META, "x", NULL); /* a delete of what is not there: cannot apply */
    ok(store_write_logged(s, ours_fn, &l) == SEAM_EUNAVAIL,
       "log moved: a store that cannot reach the log's end writes nothing (SEAM_EUNAVAIL)");
    store_close(s);
    tap_rmtree(dir);
    free(dir);
}

static int
count_one(void *arg, struct store_val k, struct store_val v)
{
    (void)k;
    (void)v;
    ++*(int *)arg;
    return 0;
}

int
main(void)
{
    char *dir = tap_tmpdir();
    struct store *s;
    struct store_stats st;
    struct store_txn *t;
    struct store_val v;
    atomic_int done = 0;
    enum { N = 2000, THREADS = 8 };

    ok(store_open(dir, 1 << 20, (size_t)64 << 20, 1, &s) == SEAM_OK, "open a new store");
    ok(store_writer_start(s, 64, 512, NULL, NULL) == SEAM_OK, "start the writer");

    struct put_job *jobs = calloc(N, sizeof(*jobs));
    for (int i = 0; i < N; i++) {
        jobs[i].job.apply = put_apply;
        jobs[i].job.done = put_done;
        snprintf(jobs[i].key, sizeof(jobs[i].key), "k%05d", i);
        jobs[i].vlen = 100;
        jobs[i].done = &done;
        jobs[i].fail = (i % 100 == 7);
    }
    pthread_t th[THREADS];
    struct submitter sb[THREADS];
    for (int i = 0; i < THREADS; i++) {
        sb[i] = (struct submitter){s, jobs, i * (N / THREADS), N / THREADS};
        pthread_create(&th[i], NULL, submit_many, &sb[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    ok(wait_for(&done, N), "all %d jobs answered", N);
    store_stats(s, &st);
    ok(st.jobs == N && st.batches < N, "group commit: %llu jobs in %llu commits",
       (unsigned long long)st.jobs, (unsigned long long)st.batches);
    int rc_ok = 1, present_ok = 1;
    ok(store_read_begin(s, &t) == SEAM_OK, "read transaction");
    for (int i = 0; i < N; i++) {
        enum seam_err want = jobs[i].fail ? SEAM_EINVAL : SEAM_OK;
        if (jobs[i].job.rc != want)
            rc_ok = 0;
        int present = store_get(t, DB_META, jobs[i].key, strlen(jobs[i].key), &v) == SEAM_OK;
        if (present == jobs[i].fail)
            present_ok = 0;
    }
    store_read_end(t);
    ok(rc_ok, "each job got its own result");
    int in_k019 = 0, in_k0199 = 0, in_none = 0;
    ok(store_read_begin(s, &t) == SEAM_OK &&
           store_scan_prefix(t, DB_META, "k019", count_one, &in_k019) == SEAM_OK &&
           store_scan_prefix(t, DB_META, "k0199", count_one, &in_k0199) == SEAM_OK &&
           store_scan_prefix(t, DB_META, "kz", count_one, &in_none) == SEAM_OK,
       "prefix scans");
    store_read_end(t);
    ok(in_k019 == 99 && in_k0199 == 10 && in_none == 0,
       "a prefix scan sees exactly the keys that start with it (%d, %d, %d)", in_k019, in_k0199,
       in_none);
    ok(present_ok, "failed jobs left no trace; their batch-mates were committed");

    /* Map growth: 1 MiB map, writes of 2 MiB each. */
    atomic_store(&done, 0);
    struct put_job big = {.job = {put_apply, put_done, 0, NULL}, .vlen = 2 << 20, .done = &done};
    snprintf(big.key, sizeof(big.key), "big");
    ok(store_submit(s, &big.job) == SEAM_OK && wait_for(&done, 1) && big.job.rc == SEAM_OK,
       "a write larger than the map grows the map");
    store_stats(s, &st);
    ok(st.map_size > (1 << 20), "the map grew to %llu bytes", (unsigned long long)st.map_size);
    /* Beyond map_max: a clean SEAM_EFULL, nothing damaged. */
    struct put_job huge = {.job = {put_apply, put_done, 0, NULL}, .vlen = 80 << 20, .done = &done};
    snprintf(huge.key, sizeof(huge.key), "huge");
    ok(store_submit(s, &huge.job) == SEAM_OK && wait_for(&done, 2) && huge.job.rc == SEAM_EFULL,
       "a write beyond map_max fails with SEAM_EFULL");
    store_stats(s, &st);
    ok(st.full_errors == 1, "the full error is counted");
    ok(store_read_begin(s, &t) == SEAM_OK && store_get(t, DB_META, "big", 3, &v) == SEAM_OK &&
           v.len == (2 << 20) && store_get(t, DB_META, "huge", 4, &v) == SEAM_ENOTFOUND,
       "committed data intact after the refused write");
    store_read_end(t);
    atomic_store(&done, 0);
    struct put_job after = {.job = {put_apply, put_done, 0, NULL}, .vlen = 10, .done = &done};
    snprintf(after.key, sizeof(after.key), "after");
    ok(store_submit(s, &after.job) == SEAM_OK && wait_for(&done, 1) && after.job.rc == SEAM_OK,
       "the writer takes writes again after a full error");

    store_writer_stop(s);
    ok(store_submit(s, &after.job) == SEAM_ESHUTDOWN, "no submissions after stop");
    store_close(s);

    /* Reopen: everything durable is there. */
    ok(store_open(dir, 1 << 20, (size_t)64 << 20, 0, &s) == SEAM_OK, "reopen");
    ok(store_read_begin(s, &t) == SEAM_OK && store_get(t, DB_META, "after", 5, &v) == SEAM_OK &&
           store_count(t, DB_META) == (uint64_t)(N - N / 100 + 2),
       "reopened store holds every committed record");
    store_read_end(t);
    store_close(s);
    ok(store_open("/nonexistent/seam", 1 << 20, 1 << 20, 0, &s) == SEAM_ENOTFOUND,
       "opening a missing directory without create fails");
    test_append();
    test_stage();
    test_release();
    test_write_sets();
    free(jobs);
    tap_rmtree(dir);
    free(dir);
    return done_testing();
}
