/*
 * test_store.c: the store's writer against a real LMDB environment in a
 * temporary directory: group commit under concurrent submitters, a failing
 * job leaving no trace in its batch, map growth on MDB_MAP_FULL up to the
 * limit and a clean "full" beyond it, reads in their own transactions, and
 * STORE_APPEND: full pages for growing keys, the same result for any other.
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

static char *
tmpdir(void)
{
    char tmpl[] = "/tmp/seam-unit.XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void
rmtree(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
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
    char *dir = tmpdir();
    struct store *s;
    struct store_stats st = {0};
    struct fill f = {600, flags};
    if (dir != NULL && store_open(dir, (size_t)16 << 20, (size_t)64 << 20, 1, &s) == SEAM_OK) {
        if (store_write(s, fill_apply, &f, NULL, NULL) == SEAM_OK)
            store_stats(s, &st);
        store_close(s);
    }
    if (dir != NULL)
        rmtree(dir);
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

    char *dir = tmpdir();
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
    rmtree(dir);
    free(dir);
}

int
main(void)
{
    char *dir = tmpdir();
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
    free(jobs);
    rmtree(dir);
    free(dir);
    return done_testing();
}
