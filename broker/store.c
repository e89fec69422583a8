/*
 * store.c: the LMDB environment, its read transactions, and the writer
 * thread that group-commits queued jobs (see store.h for the contract).
 *
 * Locks: `queue_mu` guards the job queue only. `map_lock` is a rwlock every
 * transaction of this process holds for reading while it lives; growing or
 * adopting a larger map (mdb_env_set_mapsize, which LMDB allows only with no
 * transaction active in the process) takes it for writing. It is contended
 * only while the map grows. It does not know what the records mean.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/statvfs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "log.h"
#include "progress.h"
#include "store.h"

static const char *const db_names[DB_COUNT] = {"meta",        "tickets",     "events",
                                               "leaves",      "tree",        "checkpoints",
                                               "tokens",      "customers",   "customer_tickets",
                                               "assignments", "queues",      "outbox",
                                               "outbox_due",  "due",         "sigs",
                                               "sigs_due",    "sig_counts",  "sla_agg",
                                               "sla_contrib", "index",       "index_of",
                                               "users",       "sessions",    "links",
                                               "cosigs",      "attachments", "attach_meta"};

struct store {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    size_t map_max;
    char *map_file;    /* the data file's real path, as /proc/self/maps names it */
    size_t file_rss0;  /* file-backed resident bytes when the store opened (the code, libraries) */
    size_t trim_bytes; /* store_read_trim's bound (0: long reads do not trim the map) */
    pthread_rwlock_t map_lock;

    pthread_mutex_t queue_mu;
    pthread_cond_t queue_cv;
    struct store_job *head, *tail;
    unsigned queue_len, depth, batch_max;
    int stopping, running;
    pthread_t writer;
    store_hook_fn hook;
    void *hook_ctx;
    pthread_t keeper; /* releases the map's pages (release_map) */
    int keeping;
    _Atomic int keeper_stop;
    int (*stop_need)(void *ctx); /* store_writer_on_stop's */
    store_write_fn stop_fn;
    void *stop_ctx;

    _Atomic uint64_t batches, jobs, full_errors, staged, stale_stages;
    /* store_writer_log's (writer thread): the log, and whether a batch's outcome in it is not
     * known (an append that failed, a commit that failed after its append) */
    struct store_log log;
    int logged;
    _Atomic int log_unsure; /* the log may hold batches this store has not (store_log_behind) */
    /* the writer's commits by duration (store_commit_latency) */
    _Atomic uint64_t commit_hist[STORE_COMMIT_BUCKETS + 1], commit_sum_us;
};

struct store_txn {
    struct store *s;
    MDB_txn *txn;
    int locked;                /* holds map_lock for reading */
    struct store_stage *stage; /* a staged transaction's record (see store.h) */
    struct wset *ws;           /* a logged batch's write set (store_writer_log), or NULL */
};

enum { WS_PUT = 1, WS_DEL = 2 }; /* a write set's operations (store.h) */
static const char WS_MAGIC[4] = {'S', 'W', 'S', '1'};
static const char META_LOG_SEQ[] = "replica/seq"; /* be64: the log's last batch in this store */
static enum seam_err log_append(struct store *s, struct store_txn *t);

/* A write set: the puts and deletes a transaction made, in order (store.h's format). */
struct wset {
    unsigned char *buf;
    size_t len, cap;
};

static void
wset_init(struct wset *w)
{
    w->cap = 4096;
    w->buf = xmalloc(w->cap);
    memcpy(w->buf, WS_MAGIC, sizeof(WS_MAGIC));
    w->len = sizeof(WS_MAGIC);
}

static void
wset_add(struct wset *w, unsigned op, enum store_db db, const void *key, size_t klen,
         const void *val, size_t vlen)
{
    size_t need = 2 + 4 + klen + (op == WS_PUT ? 4 + vlen : 0);
    if (w->cap - w->len < need) {
        w->cap = (w->cap + need) * 2;
        w->buf = xrealloc(w->buf, w->cap);
    }
    unsigned char *p = w->buf + w->len;
    *p++ = (unsigned char)op;
    *p++ = (unsigned char)db;
    for (int i = 3; i >= 0; i--)
        *p++ = (unsigned char)(klen >> (8 * i));
    memcpy(p, key, klen);
    p += klen;
    if (op == WS_PUT) {
        for (int i = 3; i >= 0; i--)
            *p++ = (unsigned char)(vlen >> (8 * i));
        if (vlen > 0)
            memcpy(p, val, vlen);
        p += vlen;
    }
    w->len = (size_t)(p - w->buf);
}

static size_t file_rss(void);
static void map_drop(struct store *s, size_t over);
static void *keeper_main(void *arg);
static enum seam_err stage_get(struct store_txn *t, enum store_db db, const void *key, size_t klen,
                               struct store_val *val);

/*
 * Fault injection (built with -DSEAM_FAULTS only, see store.h): LMDB(call,
 * expr) counts one call of the armed countdown and, when it is the one,
 * answers EIO without making the call. A commit that fails has ended its
 * transaction, as LMDB's own failing commit does. Without the flag these
 * are the plain calls.
 */
#ifdef SEAM_FAULTS
static _Atomic long fault_left;           /* calls until the fault; 0: none armed */
static _Atomic unsigned long fault_count; /* faults injected so far */

static int
fault_now(const char *call)
{
    long n = atomic_load(&fault_left);
    while (n > 0) {
        if (atomic_compare_exchange_weak(&fault_left, &n, n - 1)) {
            if (n != 1)
                return 0;
            atomic_fetch_add(&fault_count, 1);
            log_warnx("store: fault injected call=%s", call);
            return 1;
        }
    }
    return 0;
}

void
store_fault_arm(long n)
{
    atomic_store(&fault_left, n > 0 ? n : 0);
}

unsigned long
store_fault_count(void)
{
    return atomic_load(&fault_count);
}

#define LMDB(call, expr) (fault_now(call) ? EIO : (expr))
#define LMDB_COMMIT(txn)                                                                           \
    (fault_now("mdb_txn_commit") ? (mdb_txn_abort(txn), EIO) : mdb_txn_commit(txn))
#else
#define LMDB(call, expr) (expr)
#define LMDB_COMMIT(txn) mdb_txn_commit(txn)
#endif
static void count_commit(struct store *s, int64_t us);
static enum seam_err stage_put(struct store_txn *t, enum store_db db, const void *key, size_t klen,
                               const void *val, size_t vlen, unsigned flags);
static enum seam_err stage_del(struct store_txn *t, enum store_db db, const void *key, size_t klen);

static enum seam_err
map_err(int rc)
{
    switch (rc) {
    case 0:
        return SEAM_OK;
    case MDB_NOTFOUND:
        return SEAM_ENOTFOUND;
    case MDB_KEYEXIST:
        return SEAM_EEXIST;
    case MDB_MAP_FULL:
    case ENOSPC:
    case EDQUOT:
        return SEAM_EFULL;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return SEAM_ECORRUPT;
    default:
        return SEAM_EIO;
    }
}

enum seam_err
store_open(const char *dir, size_t map_size, size_t map_max, int create, struct store **out)
{
    struct store *s = xcalloc(1, sizeof(*s));
    MDB_txn *txn = NULL;
    int rc;
    struct stat st;

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (!create) {
            free(s);
            return SEAM_ENOTFOUND;
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            log_warn("store: mkdir dir=%s", dir);
            free(s);
            return SEAM_EIO;
        }
    }
    s->map_max = map_max;
    /* Writer-preferring, so that a steady stream of readers cannot starve
     * map growth; safe because no thread nests read transactions. */
    pthread_rwlockattr_t rwa;
    pthread_rwlockattr_init(&rwa);
    pthread_rwlockattr_setkind_np(&rwa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->map_lock, &rwa);
    pthread_rwlockattr_destroy(&rwa);
    pthread_mutex_init(&s->queue_mu, NULL);
    pthread_cond_init(&s->queue_cv, NULL);
    if ((rc = mdb_env_create(&s->env)) != 0 || (rc = mdb_env_set_maxdbs(s->env, DB_COUNT)) != 0 ||
        (rc = mdb_env_set_maxreaders(s->env, 512)) != 0)
        goto fail;
    /* Keep a larger map another process has set already. */
    if ((rc = mdb_env_set_mapsize(s->env, map_size)) != 0)
        goto fail;
    rc = mdb_env_open(s->env, dir, MDB_NOTLS | MDB_NORDAHEAD, 0600);
    if (rc != 0)
        goto fail;
    char real[PATH_MAX];
    if (realpath(dir, real) != NULL)
        s->map_file = xasprintf("%s/data.mdb", real);
    s->file_rss0 = file_rss();
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    if (dead > 0)
        log_info("store: cleared stale readers count=%d", dead);
    if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
        goto fail;
    for (int i = 0; i < DB_COUNT; i++)
        if ((rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i])) != 0)
            goto fail;
    if ((rc = mdb_txn_commit(txn)) != 0) {
        txn = NULL;
        goto fail;
    }
    /* the keeper from the start: a first open's migrations read the whole store */
    atomic_store(&s->keeper_stop, 0);
    s->keeping = pthread_create(&s->keeper, NULL, keeper_main, s) == 0;
    *out = s;
    return SEAM_OK;
fail:
    log_warnx("store: open dir=%s error=\"%s\"", dir, mdb_strerror(rc));
    if (txn)
        mdb_txn_abort(txn);
    if (s->env)
        mdb_env_close(s->env);
    free(s->map_file);
    free(s);
    return map_err(rc) == SEAM_ENOTFOUND ? SEAM_EIO : map_err(rc);
}

void
store_close(struct store *s)
{
    if (s == NULL)
        return;
    store_writer_stop(s);
    if (s->keeping) {
        atomic_store(&s->keeper_stop, 1);
        pthread_join(s->keeper, NULL);
    }
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->map_lock);
    pthread_mutex_destroy(&s->queue_mu);
    pthread_cond_destroy(&s->queue_cv);
    free(s->map_file);
    free(s);
}

/* Adopts a map another process grew (MDB_MAP_RESIZED). */
static void
adopt_map(struct store *s)
{
    pthread_rwlock_wrlock(&s->map_lock);
    mdb_env_set_mapsize(s->env, 0);
    pthread_rwlock_unlock(&s->map_lock);
}

static enum seam_err
txn_begin(struct store *s, unsigned flags, struct store_txn **out)
{
    for (int tries = 0; tries < 3; tries++) {
        MDB_txn *txn;
        pthread_rwlock_rdlock(&s->map_lock);
        int rc = LMDB("mdb_txn_begin", mdb_txn_begin(s->env, NULL, flags, &txn));
        if (rc == 0) {
            struct store_txn *t = xmalloc(sizeof(*t));
            t->s = s;
            t->txn = txn;
            t->locked = 1;
            t->stage = NULL;
            t->ws = NULL;
            *out = t;
            return SEAM_OK;
        }
        pthread_rwlock_unlock(&s->map_lock);
        if (rc != MDB_MAP_RESIZED) {
            log_warnx("store: txn_begin error=\"%s\"", mdb_strerror(rc));
            return map_err(rc);
        }
        adopt_map(s);
    }
    return SEAM_EIO;
}

enum seam_err
store_read_begin(struct store *s, struct store_txn **out)
{
    return txn_begin(s, MDB_RDONLY, out);
}

static void
txn_release(struct store_txn *t)
{
    if (t->locked)
        pthread_rwlock_unlock(&t->s->map_lock);
    if (t->ws != NULL)
        free(t->ws->buf);
    free(t->ws);
    free(t);
}

uint64_t
store_txn_id(struct store_txn *t)
{
    return (uint64_t)mdb_txn_id(t->txn);
}

void
store_read_end(struct store_txn *t)
{
    if (t == NULL)
        return;
    store_stage_free(t->stage);
    mdb_txn_abort(t->txn);
    txn_release(t);
}

struct first_key {
    const char *prefix;
    size_t plen;
    char *key; /* the first key with the prefix, malloc'd, or NULL */
    size_t len;
};

static int
first_with_prefix(void *arg, struct store_val k, struct store_val v)
{
    struct first_key *f = arg;
    (void)v;
    if (k.len >= f->plen && memcmp(k.data, f->prefix, f->plen) == 0) {
        f->key = xmalloc(k.len ? k.len : 1);
        memcpy(f->key, k.data, k.len);
        f->len = k.len;
    }
    return 1;
}

enum seam_err
store_del_prefix(struct store_txn *t, enum store_db db, const char *prefix)
{
    struct first_key f = {prefix, strlen(prefix), NULL, 0};
    enum seam_err rc;
    while ((rc = store_scan(t, db, prefix, f.plen, 0, first_with_prefix, &f)) == SEAM_OK &&
           f.key != NULL) {
        rc = store_del(t, db, f.key, f.len);
        free(f.key);
        f.key = NULL;
        if (rc != SEAM_OK)
            break;
    }
    return rc;
}

enum seam_err
store_get_u64(struct store_txn *t, enum store_db db, const void *key, size_t klen, uint64_t *out)
{
    struct store_val v;
    enum seam_err rc = store_get(t, db, key, klen, &v);
    *out = 0;
    if (rc != SEAM_OK)
        return rc;
    if (v.len != 8)
        return SEAM_ECORRUPT;
    *out = be64_get(v.data);
    return SEAM_OK;
}

enum seam_err
store_get(struct store_txn *t, enum store_db db, const void *key, size_t klen,
          struct store_val *val)
{
    if (t->stage != NULL)
        return stage_get(t, db, key, klen, val);
    MDB_val k = {klen, (void *)key}, v;
    int rc = LMDB("mdb_get", mdb_get(t->txn, t->s->dbi[db], &k, &v));
    if (rc != 0)
        return map_err(rc);
    val->data = v.mv_data;
    val->len = v.mv_size;
    return SEAM_OK;
}

enum seam_err
store_put(struct store_txn *t, enum store_db db, const void *key, size_t klen, const void *val,
          size_t vlen, unsigned flags)
{
    if (t->stage != NULL)
        return stage_put(t, db, key, klen, val, vlen, flags);
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    unsigned mf = (flags & STORE_NOOVERWRITE) ? MDB_NOOVERWRITE : 0;
    int rc = MDB_KEYEXIST;
    /* MDB_APPEND refuses (MDB_KEYEXIST, nothing changed) a key that is not
     * past the last one; that key then goes in the ordinary way. */
    if (flags & STORE_APPEND)
        rc = LMDB("mdb_put", mdb_put(t->txn, t->s->dbi[db], &k, &v, MDB_APPEND));
    if (rc == MDB_KEYEXIST)
        rc = LMDB("mdb_put", mdb_put(t->txn, t->s->dbi[db], &k, &v, mf));
    if (rc == 0 && t->ws != NULL)
        wset_add(t->ws, WS_PUT, db, key, klen, val, vlen);
    return map_err(rc);
}

enum seam_err
store_del(struct store_txn *t, enum store_db db, const void *key, size_t klen)
{
    if (t->stage != NULL)
        return stage_del(t, db, key, klen);
    MDB_val k = {klen, (void *)key};
    int rc = LMDB("mdb_del", mdb_del(t->txn, t->s->dbi[db], &k, NULL));
    if (rc == 0 && t->ws != NULL)
        wset_add(t->ws, WS_DEL, db, key, klen, NULL, 0);
    return map_err(rc);
}

enum seam_err
store_scan(struct store_txn *t, enum store_db db, const void *start, size_t slen, int reverse,
           store_scan_fn fn, void *ctx)
{
    if (t->stage != NULL)
        return SEAM_ESTALE; /* what a scan saw cannot be checked cheaply */
    MDB_cursor *cur;
    MDB_val k = {slen, (void *)start}, v;
    int rc = LMDB("mdb_cursor_open", mdb_cursor_open(t->txn, t->s->dbi[db], &cur));
    if (rc != 0)
        return map_err(rc);
    if (start == NULL) {
        rc = LMDB("mdb_cursor_get", mdb_cursor_get(cur, &k, &v, reverse ? MDB_LAST : MDB_FIRST));
    } else {
        rc = LMDB("mdb_cursor_get", mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE));
        if (reverse) {
            if (rc == MDB_NOTFOUND)
                rc = LMDB("mdb_cursor_get", mdb_cursor_get(cur, &k, &v, MDB_LAST));
            else if (rc == 0 && (k.mv_size != slen || memcmp(k.mv_data, start, slen) != 0))
                rc = LMDB("mdb_cursor_get", mdb_cursor_get(cur, &k, &v, MDB_PREV));
        }
    }
    for (unsigned n = 1; rc == 0; n++) {
        struct store_val kv = {k.mv_data, k.mv_size}, vv = {v.mv_data, v.mv_size};
        progress_step(1); /* a no-op unless a tool turned it on */
        if (fn(ctx, kv, vv) != 0)
            break;
        /* The transaction holds map_lock: the map stays where it is. */
        if (t->s->trim_bytes > 0 && n % 256 == 0)
            map_drop(t->s, t->s->trim_bytes);
        rc = LMDB("mdb_cursor_get", mdb_cursor_get(cur, &k, &v, reverse ? MDB_PREV : MDB_NEXT));
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? SEAM_OK : map_err(rc);
}

struct prefix_scan {
    const char *prefix;
    size_t plen;
    store_scan_fn fn;
    void *ctx;
};

static int
prefix_one(void *arg, struct store_val k, struct store_val v)
{
    struct prefix_scan *ps = arg;
    if (k.len < ps->plen || memcmp(k.data, ps->prefix, ps->plen) != 0)
        return 1;
    return ps->fn(ps->ctx, k, v);
}

enum seam_err
store_scan_prefix(struct store_txn *t, enum store_db db, const char *prefix, store_scan_fn fn,
                  void *ctx)
{
    struct prefix_scan ps = {prefix, strlen(prefix), fn, ctx};
    return store_scan(t, db, prefix, ps.plen, 0, prefix_one, &ps);
}

uint64_t
store_count(struct store_txn *t, enum store_db db)
{
    MDB_stat st;
    if (mdb_stat(t->txn, t->s->dbi[db], &st) != 0)
        return 0;
    return st.ms_entries;
}

/* ---- staged transactions (see store.h) ---- */

enum stage_kind { OP_READ, OP_CHECK, OP_PUT, OP_DEL, OP_DEFER };

struct stage_op {
    enum stage_kind kind;
    enum store_db db;
    unsigned flags; /* OP_PUT */
    int found;      /* OP_READ: the key was there, with val */
    const void *key, *val;
    size_t klen, vlen;
    store_defer_fn fn; /* OP_CHECK, OP_DEFER */
    void *arg;
    void (*free_fn)(void *);
};

/* Copies of keys and values live in chunks that never move. */
struct stage_chunk {
    struct stage_chunk *next;
    size_t used, cap;
    char data[];
};

struct store_stage {
    struct stage_op *ops;
    size_t n, cap;
    struct stage_chunk *chunks;
    uint64_t order;
};

static const void *
stage_copy(struct store_stage *st, const void *p, size_t n)
{
    struct stage_chunk *c = st->chunks;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > 8192 ? n : 8192;
        c = xmalloc(sizeof(*c) + cap);
        c->used = 0;
        c->cap = cap;
        c->next = st->chunks;
        st->chunks = c;
    }
    char *out = c->data + c->used;
    if (n > 0)
        memcpy(out, p, n);
    c->used += n;
    return out;
}

static struct stage_op *
stage_push(struct store_stage *st, enum stage_kind kind, enum store_db db, const void *key,
           size_t klen)
{
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->ops = xrealloc(st->ops, st->cap * sizeof(*st->ops));
    }
    struct stage_op *o = &st->ops[st->n++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->db = db;
    o->key = key ? stage_copy(st, key, klen) : NULL;
    o->klen = klen;
    return o;
}

/* The latest staged word on a key: its read, put or delete; NULL if none. */
static const struct stage_op *
stage_find(const struct store_stage *st, enum store_db db, const void *key, size_t klen)
{
    for (size_t i = st->n; i-- > 0;) {
        const struct stage_op *o = &st->ops[i];
        if (o->key != NULL && o->db == db && o->klen == klen && memcmp(o->key, key, klen) == 0)
            return o;
    }
    return NULL;
}

static enum seam_err
stage_get(struct store_txn *t, enum store_db db, const void *key, size_t klen,
          struct store_val *val)
{
    const struct stage_op *o = stage_find(t->stage, db, key, klen);
    if (o == NULL) {
        MDB_val k = {klen, (void *)key}, v;
        int rc = LMDB("mdb_get", mdb_get(t->txn, t->s->dbi[db], &k, &v));
        if (rc != 0 && rc != MDB_NOTFOUND)
            return map_err(rc);
        struct stage_op *r = stage_push(t->stage, OP_READ, db, key, klen);
        if (rc == 0) {
            r->found = 1;
            r->val = stage_copy(t->stage, v.mv_data, v.mv_size);
            r->vlen = v.mv_size;
        }
        o = r;
    }
    if (o->kind == OP_DEL || (o->kind == OP_READ && !o->found))
        return SEAM_ENOTFOUND;
    val->data = o->val;
    val->len = o->vlen;
    return SEAM_OK;
}

static enum seam_err
stage_put(struct store_txn *t, enum store_db db, const void *key, size_t klen, const void *val,
          size_t vlen, unsigned flags)
{
    if (flags & STORE_NOOVERWRITE) {
        struct store_val v;
        enum seam_err rc = stage_get(t, db, key, klen, &v);
        if (rc != SEAM_ENOTFOUND)
            return rc == SEAM_OK ? SEAM_EEXIST : rc;
    }
    struct stage_op *o = stage_push(t->stage, OP_PUT, db, key, klen);
    o->flags = flags;
    o->val = stage_copy(t->stage, val, vlen);
    o->vlen = vlen;
    return SEAM_OK;
}

static enum seam_err
stage_del(struct store_txn *t, enum store_db db, const void *key, size_t klen)
{
    struct store_val v;
    enum seam_err rc = stage_get(t, db, key, klen, &v);
    if (rc == SEAM_OK)
        stage_push(t->stage, OP_DEL, db, key, klen);
    return rc;
}

enum seam_err
store_stage_begin(struct store *s, struct store_txn **out)
{
    enum seam_err rc = txn_begin(s, MDB_RDONLY, out);
    if (rc == SEAM_OK)
        (*out)->stage = xcalloc(1, sizeof(struct store_stage));
    return rc;
}

int
store_is_staged(const struct store_txn *t)
{
    return t->stage != NULL;
}

static void
stage_fn(struct store_txn *t, enum stage_kind kind, store_defer_fn fn, void *arg,
         void (*free_fn)(void *))
{
    assert(t->stage != NULL);
    struct stage_op *o = stage_push(t->stage, kind, DB_META, NULL, 0);
    o->fn = fn;
    o->arg = arg;
    o->free_fn = free_fn;
}

enum seam_err
store_defer(struct store_txn *t, store_defer_fn fn, void *arg, void (*free_fn)(void *))
{
    if (t->stage != NULL) {
        stage_fn(t, OP_DEFER, fn, arg, free_fn);
        return SEAM_OK;
    }
    enum seam_err rc = fn(t, arg);
    if (free_fn != NULL)
        free_fn(arg);
    return rc;
}

void
store_stage_check(struct store_txn *t, store_defer_fn fn, void *arg, void (*free_fn)(void *))
{
    stage_fn(t, OP_CHECK, fn, arg, free_fn);
}

void
store_stage_set_order(struct store_txn *t, uint64_t order)
{
    assert(t->stage != NULL);
    t->stage->order = order;
}

uint64_t
store_stage_order(const struct store_txn *t)
{
    return t->stage != NULL ? t->stage->order : 0;
}

struct store_stage *
store_stage_end(struct store_txn *t)
{
    struct store_stage *st = t->stage;
    t->stage = NULL;
    store_read_end(t);
    return st;
}

/* The checks and the recorded reads; writes nothing. */
static enum seam_err
stage_check(struct store_txn *t, const struct store_stage *st)
{
    for (size_t i = 0; i < st->n; i++) {
        const struct stage_op *o = &st->ops[i];
        if (o->kind == OP_CHECK) {
            enum seam_err rc = o->fn(t, o->arg);
            if (rc != SEAM_OK)
                return rc;
        }
        if (o->kind != OP_READ)
            continue;
        MDB_val k = {o->klen, (void *)o->key}, v;
        int rc = LMDB("mdb_get", mdb_get(t->txn, t->s->dbi[o->db], &k, &v));
        if (rc != 0 && rc != MDB_NOTFOUND)
            return map_err(rc);
        if (o->found != (rc == 0) ||
            (rc == 0 && (v.mv_size != o->vlen || memcmp(v.mv_data, o->val, o->vlen) != 0)))
            return SEAM_ESTALE;
    }
    return SEAM_OK;
}

/* Every read held, so every staged result holds: the writes, in order. */
static enum seam_err
stage_write(struct store_txn *t, const struct store_stage *st)
{
    for (size_t i = 0; i < st->n; i++) {
        const struct stage_op *o = &st->ops[i];
        enum seam_err rc = SEAM_OK;
        if (o->kind == OP_PUT)
            rc = store_put(t, o->db, o->key, o->klen, o->val, o->vlen, o->flags);
        else if (o->kind == OP_DEL)
            rc = store_del(t, o->db, o->key, o->klen);
        else if (o->kind == OP_DEFER)
            rc = o->fn(t, o->arg);
        if (rc != SEAM_OK)
            return rc == SEAM_ESTALE ? SEAM_EIO : rc;
    }
    return SEAM_OK;
}

enum seam_err
store_stage_replay(struct store_txn *t, const struct store_stage *st)
{
    assert(t->stage == NULL);
    enum seam_err rc = stage_check(t, st);
    return rc != SEAM_OK ? rc : stage_write(t, st);
}

enum seam_err
store_stage_job(struct store *s, struct store_job *job)
{
    struct store_txn *t;
    enum seam_err rc = store_stage_begin(s, &t);
    if (rc != SEAM_OK)
        return rc;
    rc = job->apply(t, job);
    struct store_stage *st = store_stage_end(t);
    if (rc == SEAM_OK) {
        store_stage_free(job->stage);
        job->stage = st;
        job->order = st->order;
    } else {
        store_stage_free(st);
    }
    return rc;
}

void
store_stage_free(struct store_stage *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->n; i++)
        if (st->ops[i].free_fn != NULL)
            st->ops[i].free_fn(st->ops[i].arg);
    for (struct stage_chunk *c = st->chunks, *next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(st->ops);
    free(st);
}

/*
 * LMDB reports a short write as EIO, so a commit that failed on a full file
 * system may say EIO rather than ENOSPC: ask the volume.
 */
static int
volume_full(struct store *s)
{
    mdb_filehandle_t fd;
    struct statvfs vs;
    if (mdb_env_get_fd(s->env, &fd) != 0 || fstatvfs(fd, &vs) != 0)
        return 0;
    return (uint64_t)vs.f_bavail * vs.f_frsize < ((uint64_t)1 << 20);
}

/* Doubles the map up to map_max. Called with no transaction of ours alive. */
static enum seam_err
grow_map(struct store *s)
{
    MDB_envinfo info;
    enum seam_err rc = SEAM_OK;
    pthread_rwlock_wrlock(&s->map_lock);
    mdb_env_info(s->env, &info);
    size_t next = info.me_mapsize * 2;
    if (next > s->map_max)
        next = s->map_max;
    if (next <= info.me_mapsize) {
        rc = SEAM_EFULL;
    } else if (mdb_env_set_mapsize(s->env, next) != 0) {
        rc = SEAM_EIO;
    } else {
        log_info("store: map grown from_mb=%zu to_mb=%zu", info.me_mapsize >> 20, next >> 20);
    }
    pthread_rwlock_unlock(&s->map_lock);
    return rc;
}

/*
 * Applies jobs [first, ...) (n of them) and the hook in one transaction and
 * commits. Returns SEAM_EFULL when the map was full (nothing committed),
 * another error if the batch could not commit; job->rc holds each job's own
 * result.
 */
/*
 * A staged job's replay, straight in the batch's transaction: its checks
 * write nothing, and its writes fail only when the storage does, so it
 * needs no nested transaction of its own (which would copy every page the
 * batch has touched). SEAM_ESTALE: apply it the usual way. A failure after
 * the first write sets *midway: the batch must start again (with this job
 * applied the usual way, unless the map was full and is to grow).
 */
static enum seam_err
replay_job(struct store *s, struct store_txn *t, struct store_job *j, int *midway)
{
    enum seam_err rc = stage_check(t, j->stage);
    if (rc == SEAM_OK) {
        rc = stage_write(t, j->stage);
        if (rc != SEAM_OK) {
            *midway = 1;
            if (rc != SEAM_EFULL) {
                store_stage_free(j->stage);
                j->stage = NULL;
            }
        }
        return rc;
    }
    if (rc == SEAM_ESTALE) {
        atomic_fetch_add(&s->stale_stages, 1);
        store_stage_free(j->stage);
        j->stage = NULL;
    }
    return rc;
}

/*
 * Applies n jobs in one write transaction, runs the hook, and durably
 * commits. Returns SEAM_EFULL when the map was full (nothing committed),
 * SEAM_ESTALE when a replay failed midway (nothing committed; start
 * again), another error if the batch could not commit; job->rc holds each
 * job's own result.
 */
static enum seam_err
apply_batch(struct store *s, struct store_job *first, unsigned n, int logged, int *disk_full)
{
    struct store_txn *t;
    enum seam_err rc = txn_begin(s, 0, &t);
    int changed = 0;
    if (rc != SEAM_OK)
        return rc;
    if (logged) {
        t->ws = xcalloc(1, sizeof(*t->ws));
        wset_init(t->ws);
    }
    struct store_job *j = first;
    for (unsigned i = 0; i < n; i++, j = j->next) {
        if (j->stage != NULL) {
            int midway = 0;
            j->rc = replay_job(s, t, j, &midway);
            if (midway) {
                rc = j->rc == SEAM_EFULL ? SEAM_EFULL : SEAM_ESTALE;
                goto abort;
            }
            if (j->rc != SEAM_ESTALE) {
                changed |= j->rc == SEAM_OK;
                continue;
            }
        }
        MDB_txn *child, *parent = t->txn;
        int mrc = LMDB("mdb_txn_begin", mdb_txn_begin(s->env, parent, 0, &child));
        if (mrc != 0) {
            rc = map_err(mrc);
            goto abort;
        }
        t->txn = child;
        size_t ws_mark = t->ws != NULL ? t->ws->len : 0;
        j->rc = j->apply(t, j);
        t->txn = parent;
        if (j->rc != SEAM_OK && t->ws != NULL)
            t->ws->len = ws_mark; /* undone with its transaction */
        if (j->rc == SEAM_OK) {
            mrc = LMDB_COMMIT(child);
            if (mrc != 0) {
                rc = map_err(mrc);
                goto abort;
            }
            changed = 1;
        } else {
            mdb_txn_abort(child);
            if (j->rc == SEAM_EFULL) {
                rc = SEAM_EFULL;
                goto abort;
            }
        }
    }
    if (changed && s->hook != NULL && (rc = s->hook(t, s->hook_ctx)) != SEAM_OK)
        goto abort;
    if (t->ws != NULL && t->ws->len > sizeof(WS_MAGIC) && (rc = log_append(s, t)) != SEAM_OK)
        goto abort;
    int64_t commit_start = mono_us();
    int mrc = LMDB_COMMIT(t->txn);
    if (mrc == 0)
        count_commit(s, mono_us() - commit_start);
    else if (t->ws != NULL && t->ws->len > sizeof(WS_MAGIC))
        s->log_unsure = 1; /* in the log, not here: the next batch catches up first */
    txn_release(t);
    if (mrc != 0) {
        log_warnx("store: commit error=\"%s\"", mdb_strerror(mrc));
        *disk_full = mrc == ENOSPC || mrc == EDQUOT || (mrc == EIO && volume_full(s));
        return *disk_full ? SEAM_EFULL : map_err(mrc);
    }
    return SEAM_OK;
abort:
    mdb_txn_abort(t->txn);
    txn_release(t);
    return rc;
}

/* How often a batch is made again when the log has moved past the store (store_log). */
#define LOG_MOVED_TRIES 3

/* Applies a batch, growing the map as often as needed. */
static enum seam_err
commit_batch(struct store *s, struct store_job *first, unsigned n, int logged)
{
    logged = logged && s->logged;
    int moved = 0; /* times the log had moved past this store when the batch was appended */
    for (;;) {
        if (logged && s->log_unsure) {
            /* the log may hold a batch this store has not: take it (and any other) first */
            if (s->log.catch_up(s->log.ctx) != SEAM_OK)
                return SEAM_EUNAVAIL;
            s->log_unsure = 0;
        }
        int disk_full = 0;
        enum seam_err rc = apply_batch(s, first, n, logged, &disk_full);
        if (rc == SEAM_ESTALE && logged && s->log_unsure) /* the log had moved: catch up */
            if (++moved > LOG_MOVED_TRIES)
                return SEAM_EUNAVAIL;
        if (rc == SEAM_ESTALE)
            continue; /* a replay failed midway; that job now goes the usual way */
        if (rc != SEAM_EFULL)
            return rc;
        if (disk_full) {
            /* A bigger map would not help: the file system itself is full. */
            atomic_fetch_add(&s->full_errors, 1);
            log_warnx("store: storage full: no space left on the data volume; writes "
                      "refused until space is freed");
            return SEAM_EFULL;
        }
        if (grow_map(s) != SEAM_OK) {
            atomic_fetch_add(&s->full_errors, 1);
            log_warnx("store: storage full; writes refused until space is freed or "
                      "limits.map_max_mb is raised");
            return SEAM_EFULL;
        }
    }
}

/*
 * The pages of the map this process has read count in its resident set,
 * though they are the kernel's page cache (clean, shared, reclaimable), so
 * reading a growing store through the map would grow the resident set with
 * the store. Dropping the map's page-table entries keeps it to what was
 * read since; the next read of such a page maps it again from the page
 * cache (a minor fault). Nothing is lost: the map is shared and read-only,
 * and the file holds every committed page.
 *
 * Every RELEASE_MAP_MS a thread of its own (the keeper, from store_open to
 * store_close) looks at how much of the process's resident set is file pages
 * beyond what it was at open (the code and the libraries), and drops the
 * map's entries only once that is more than RELEASE_MAP_BYTES: each drop
 * costs every page read again a fault, and the pages every request reads
 * (the B-trees' upper levels) are read again right after it. A light load
 * then keeps its pages mapped; a heavy one is released about as often as
 * its reads need. Not the writer itself: one long transaction (a clock
 * step that breaches thousands of claims) reads hundreds of MiB of the map
 * between two of its batches.
 */
#define RELEASE_MAP_MS 25
#define RELEASE_MAP_BYTES (48u << 20)
#define IDLE_MS 250 /* the writer's wait for a job, between its checks of stale readers */

/* The process's resident file-backed bytes (/proc/self/statm's third field: RssFile + RssShmem), or
 * 0. */
static size_t
file_rss(void)
{
    unsigned long size, resident, shared = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu %lu %lu", &size, &resident, &shared) != 3)
        shared = 0;
    fclose(f);
    return (size_t)shared * (size_t)sysconf(_SC_PAGESIZE);
}

/* Drops the map's page-table entries if the map's resident bytes exceed over; the caller keeps the
 * map where it is (holds map_lock, or a transaction that does). */
static void
map_drop(struct store *s, size_t over)
{
    /* LMDB does not tell where its map is (me_mapaddr is only for
     * MDB_FIXEDMAP): the process's own table of mappings does. */
    char line[PATH_MAX + 128];
    if (s->map_file == NULL || file_rss() < s->file_rss0 + over)
        return;
    FILE *f = fopen("/proc/self/maps", "r");
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        unsigned long lo, hi;
        int at = 0;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) == 2 && at > 0 &&
            strcmp(line + at, s->map_file) == 0)
            madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
    if (f != NULL)
        fclose(f);
}

static void
release_map(struct store *s)
{
    pthread_rwlock_rdlock(&s->map_lock); /* the map stays where it is */
    map_drop(s, RELEASE_MAP_BYTES);
    pthread_rwlock_unlock(&s->map_lock);
}

void
store_read_trim(struct store *s, size_t bytes)
{
    s->trim_bytes = bytes;
}

struct sync_job {
    struct store_job job;
    store_write_fn fn;
    void *ctx;
};

static enum seam_err
sync_apply(struct store_txn *t, struct store_job *job)
{
    struct sync_job *sj = (struct sync_job *)job;
    return sj->fn(t, sj->ctx);
}

static void
stop_done(struct store_job *job)
{
    if (job->rc != SEAM_OK)
        log_warnx("store: the writer's last work failed: %s", seam_strerror(job->rc));
}

/* store_writer_on_stop's work, if it has any, in a batch of its own (writer thread). */
static void
stop_work(struct store *s)
{
    if (s->stop_fn == NULL || !s->stop_need(s->stop_ctx))
        return;
    struct sync_job sj = {
        .job = {.apply = sync_apply, .done = stop_done}, .fn = s->stop_fn, .ctx = s->stop_ctx};
    enum seam_err rc = commit_batch(s, &sj.job, 1, 1);
    if (rc == SEAM_OK)
        atomic_fetch_add(&s->batches, 1);
    else if (sj.job.rc == SEAM_OK)
        sj.job.rc = rc;
    sj.job.done(&sj.job);
}

static void *
keeper_main(void *arg)
{
    struct store *s = arg;
    const struct timespec period = {0, RELEASE_MAP_MS * 1000000L};
    while (!atomic_load(&s->keeper_stop)) {
        nanosleep(&period, NULL);
        release_map(s);
    }
    return NULL;
}

static void *
writer_main(void *arg)
{
    struct store *s = arg;
    time_t last_check = time(NULL);
    for (;;) {
        pthread_mutex_lock(&s->queue_mu);
        while (s->head == NULL && !s->stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += IDLE_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->queue_cv, &s->queue_mu, &until);
        }
        if (s->head == NULL && s->stopping) {
            pthread_mutex_unlock(&s->queue_mu);
            stop_work(s); /* a clean stop leaves none */
            break;
        }
        struct store_job *first = s->head, *last = first;
        unsigned n = 1;
        while (n < s->batch_max && last->next != NULL) {
            last = last->next;
            n++;
        }
        s->head = last->next;
        if (s->head == NULL)
            s->tail = NULL;
        s->queue_len -= n;
        last->next = NULL;
        pthread_mutex_unlock(&s->queue_mu);

        enum seam_err rc = commit_batch(s, first, n, 1);
        if (rc == SEAM_OK) {
            atomic_fetch_add(&s->batches, 1);
            atomic_fetch_add(&s->jobs, n);
        }
        for (struct store_job *j = first, *next; j != NULL; j = next) {
            next = j->next;
            if (rc != SEAM_OK && j->rc == SEAM_OK)
                j->rc = rc;
            if (j->stage != NULL) {
                if (rc == SEAM_OK && j->rc == SEAM_OK)
                    atomic_fetch_add(&s->staged, 1);
                store_stage_free(j->stage);
                j->stage = NULL;
            }
            j->done(j);
        }
        if (time(NULL) - last_check >= 5) {
            int dead = 0;
            mdb_reader_check(s->env, &dead);
            if (dead > 0)
                log_info("store: cleared stale readers count=%d", dead);
            last_check = time(NULL);
        }
    }
    return NULL;
}

enum seam_err
store_writer_start(struct store *s, unsigned depth, unsigned batch_max, store_hook_fn hook,
                   void *ctx)
{
    s->depth = depth;
    s->batch_max = batch_max;
    s->hook = hook;
    s->hook_ctx = ctx;
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
        return SEAM_EIO;
    s->running = 1;
    return SEAM_OK;
}

enum seam_err
store_submit(struct store *s, struct store_job *job)
{
    pthread_mutex_lock(&s->queue_mu);
    enum seam_err refused = s->stopping || !s->running ? SEAM_ESHUTDOWN
                            : s->queue_len >= s->depth ? SEAM_EBUSY
                                                       : SEAM_OK;
    if (refused != SEAM_OK) {
        pthread_mutex_unlock(&s->queue_mu);
        store_stage_free(job->stage);
        job->stage = NULL;
        return refused;
    }
    job->next = NULL;
    job->rc = SEAM_OK;
    struct store_job **at = s->tail ? &s->tail->next : &s->head;
    if (job->order != 0) { /* before the first job of a later order */
        at = &s->head;
        while (*at != NULL && ((*at)->order == 0 || (*at)->order < job->order))
            at = &(*at)->next;
    }
    job->next = *at;
    *at = job;
    if (job->next == NULL)
        s->tail = job;
    s->queue_len++;
    pthread_cond_signal(&s->queue_cv);
    pthread_mutex_unlock(&s->queue_mu);
    return SEAM_OK;
}

void
store_writer_on_stop(struct store *s, int (*need)(void *ctx), store_write_fn fn, void *ctx)
{
    s->stop_need = need;
    s->stop_fn = fn;
    s->stop_ctx = ctx;
}

void
store_writer_stop(struct store *s)
{
    pthread_mutex_lock(&s->queue_mu);
    int running = s->running;
    s->stopping = 1;
    pthread_cond_signal(&s->queue_cv);
    pthread_mutex_unlock(&s->queue_mu);
    if (running) {
        pthread_join(s->writer, NULL);
        s->running = 0;
    }
}

enum seam_err
store_write(struct store *s, store_write_fn fn, void *ctx, store_hook_fn hook, void *hook_ctx)
{
    struct sync_job sj = {.job = {.apply = sync_apply}, .fn = fn, .ctx = ctx};
    store_hook_fn saved = s->hook;
    void *saved_ctx = s->hook_ctx;
    s->hook = hook;
    s->hook_ctx = hook_ctx;
    enum seam_err rc = commit_batch(s, &sj.job, 1, 0);
    s->hook = saved;
    s->hook_ctx = saved_ctx;
    return rc != SEAM_OK ? rc : sj.job.rc;
}

static enum seam_err
noop_apply(struct store_txn *t, struct store_job *job)
{
    (void)t;
    (void)job;
    return SEAM_OK;
}

static void
noop_done(struct store_job *job)
{
    free(job);
}

void
store_log_behind(struct store *s)
{
    struct store_job *job = xcalloc(1, sizeof(*job));
    job->apply = noop_apply;
    job->done = noop_done;
    s->log_unsure = 1;
    if (store_submit(s, job) != SEAM_OK)
        free(job); /* the writer is busy or stopping: its next batch catches up all the same */
}

enum seam_err
store_write_logged(struct store *s, store_write_fn fn, void *ctx)
{
    struct sync_job sj = {.job = {.apply = sync_apply}, .fn = fn, .ctx = ctx};
    if (!s->logged)
        return SEAM_EINVAL;
    s->log_unsure = 1; /* the log may hold batches this store has not: take them first */
    enum seam_err rc = commit_batch(s, &sj.job, 1, 1);
    return rc != SEAM_OK ? rc : sj.job.rc;
}

enum seam_err
store_nested(struct store_txn *t, store_write_fn fn, void *ctx)
{
    assert(t->stage == NULL && t->txn != NULL);
    MDB_txn *child, *parent = t->txn;
    int mrc = LMDB("mdb_txn_begin", mdb_txn_begin(t->s->env, parent, 0, &child));
    if (mrc != 0)
        return map_err(mrc);
    t->txn = child;
    size_t ws_mark = t->ws != NULL ? t->ws->len : 0;
    enum seam_err rc = fn(t, ctx);
    t->txn = parent;
    if (rc != SEAM_OK) {
        mdb_txn_abort(child);
        if (t->ws != NULL)
            t->ws->len = ws_mark;
        return rc;
    }
    mrc = LMDB_COMMIT(child);
    if (mrc != 0 && t->ws != NULL)
        t->ws->len = ws_mark;
    return mrc != 0 ? map_err(mrc) : SEAM_OK;
}

const double store_commit_buckets[STORE_COMMIT_BUCKETS] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                                           0.05,   0.1,   0.25,  0.5,   1,    2.5};

static void
count_commit(struct store *s, int64_t us)
{
    size_t b = 0;
    while (b < STORE_COMMIT_BUCKETS && (double)us / 1e6 > store_commit_buckets[b])
        b++;
    atomic_fetch_add(&s->commit_hist[b], 1);
    atomic_fetch_add(&s->commit_sum_us, (uint64_t)(us > 0 ? us : 0));
}

void
store_commit_latency(struct store *s, uint64_t counts[STORE_COMMIT_BUCKETS + 1], uint64_t *sum_us)
{
    for (size_t b = 0; b <= STORE_COMMIT_BUCKETS; b++)
        counts[b] = atomic_load(&s->commit_hist[b]);
    *sum_us = atomic_load(&s->commit_sum_us);
}

void
store_stats(struct store *s, struct store_stats *out)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &st);
    out->batches = atomic_load(&s->batches);
    out->jobs = atomic_load(&s->jobs);
    out->full_errors = atomic_load(&s->full_errors);
    out->staged = atomic_load(&s->staged);
    out->stale_stages = atomic_load(&s->stale_stages);
    out->map_size = info.me_mapsize;
    out->used_bytes = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
    pthread_mutex_lock(&s->queue_mu);
    out->queue_len = s->queue_len;
    pthread_mutex_unlock(&s->queue_mu);
}

struct drain {
    struct store *s;
    int in, out;     /* the pipe the copy writes to; the backup's file */
    uint64_t copied; /* bytes written to the file */
    int err;         /* the first error writing the file (errno), or 0 */
};

/*
 * A copy with a bound on its resident set (store_read_trim): LMDB writes the
 * copy to a pipe and this thread moves it to the file, dropping the map's
 * pages past a quarter of the bound after each chunk. The copy's reader
 * waits for the pipe, and the pipe for this thread, so it reads at most the
 * pipe's and LMDB's buffers (a few MiB) ahead of a drop, whatever the
 * machine's load: a thread that only looked at the map every few
 * milliseconds let a fast copy read tens of MiB between two looks.
 */
static void *
drain_main(void *arg)
{
    struct drain *d = arg;
    enum { CHUNK = 256 << 10 };
    char *buf = xmalloc(CHUNK);
    for (;;) {
        ssize_t n = read(d->in, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n && d->err == 0;) {
            ssize_t w = write(d->out, buf + off, (size_t)(n - off));
            if (w < 0 && errno != EINTR)
                d->err = errno;
            off += w > 0 ? w : 0;
        }
        uint64_t before = d->copied >> 20;
        d->copied += (uint64_t)n;
        if ((d->copied >> 20) > before)
            progress_step((d->copied >> 20) - before);
        pthread_rwlock_rdlock(&d->s->map_lock);
        map_drop(d->s, d->s->trim_bytes / 4);
        pthread_rwlock_unlock(&d->s->map_lock);
    }
    free(buf);
    return NULL;
}

/*
 * The copy's file is made here, mode 0600, rather than by mdb_env_copy2,
 * which creates it with the process's umask (0644 under the usual 022):
 * the store holds customers' contacts and token hashes. No umask is
 * changed (it is the whole process's), and the file is never readable by
 * others, not even while it is written.
 */
enum seam_err
store_backup(struct store *s, const char *dir)
{
    char *path = xasprintf("%s/data.mdb", dir);
    int rc = 0, fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int pipefd[2] = {-1, -1};
    struct drain d = {.s = s, .out = fd};
    pthread_t drain;
    int draining = 0;
    if (fd < 0 || fchmod(fd, 0600) != 0)
        rc = errno;
    if (rc == 0 && s->trim_bytes > 0) {
        if (pipe2(pipefd, O_CLOEXEC) != 0) {
            rc = errno;
        } else {
            (void)fcntl(pipefd[1], F_SETPIPE_SZ, 1 << 20); /* fewer wake-ups; the default works */
            d.in = pipefd[0];
            draining = pthread_create(&drain, NULL, drain_main, &d) == 0;
            if (!draining)
                rc = EAGAIN;
        }
    }
    if (rc == 0)
        rc = mdb_env_copyfd2(s->env, draining ? pipefd[1] : fd, MDB_CP_COMPACT);
    if (pipefd[1] >= 0)
        close(pipefd[1]); /* the drain reads to the end, then stops */
    if (draining) {
        pthread_join(drain, NULL);
        if (rc == 0)
            rc = d.err;
    }
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0)
        rc = errno;
    if (rc != 0) {
        log_warnx("store: backup dir=%s error=\"%s\"", dir, mdb_strerror(rc));
        if (fd >= 0)
            unlink(path);
    }
    free(path);
    return map_err(rc);
}

/* ---- the replicated log (store_writer_log) ---- */

void
store_writer_log(struct store *s, const struct store_log *log)
{
    s->log = *log;
    s->logged = 1;
}

static enum seam_err
log_seq_put(struct store_txn *t, uint64_t seq)
{
    uint8_t b[8];
    be64_put(b, seq);
    MDB_val k = {strlen(META_LOG_SEQ), (void *)META_LOG_SEQ}, v = {8, b};
    return map_err(LMDB("mdb_put", mdb_put(t->txn, t->s->dbi[DB_META], &k, &v, 0)));
}

enum seam_err
store_log_seq(struct store_txn *t, uint64_t *seq)
{
    enum seam_err rc = store_get_u64(t, DB_META, META_LOG_SEQ, strlen(META_LOG_SEQ), seq);
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}

/*
 * The batch's write set to the log, after the sequence this store holds, and
 * that sequence's successor stored with it (not in the write set: applying it
 * stores it the same way). A failure leaves the outcome unknown (the append
 * may have been stored and its answer lost): the next batch catches up first.
 */
static enum seam_err
log_append(struct store *s, struct store_txn *t)
{
    uint64_t after, seq = 0;
    enum seam_err rc = store_log_seq(t, &after);
    if (rc != SEAM_OK)
        return rc;
    rc = s->log.append(s->log.ctx, after, t->ws->buf, t->ws->len, &seq);
    if (rc != SEAM_OK) {
        s->log_unsure = 1;
        return rc == SEAM_ESTALE ? SEAM_ESTALE : SEAM_EUNAVAIL;
    }
    if (seq != after + 1) {
        log_warnx("store: the log took the batch at seq=%llu, after=%llu", (unsigned long long)seq,
                  (unsigned long long)after);
        s->log_unsure = 1;
        return SEAM_EUNAVAIL;
    }
    return log_seq_put(t, seq);
}

struct ws_apply {
    uint64_t seq;
    const unsigned char *ws;
    size_t len;
    struct store_txn *t;
};

static uint32_t
be32_get_(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum seam_err
store_ws_each(const void *ws, size_t len, store_ws_fn fn, void *ctx)
{
    const unsigned char *p = ws, *end = p + len;
    if (len < sizeof(WS_MAGIC) || memcmp(p, WS_MAGIC, sizeof(WS_MAGIC)) != 0)
        return SEAM_ECORRUPT;
    p += sizeof(WS_MAGIC);
    while (p < end) {
        if (end - p < 6 || (p[0] != WS_PUT && p[0] != WS_DEL) || p[1] >= DB_COUNT)
            return SEAM_ECORRUPT;
        int put = p[0] == WS_PUT;
        enum store_db db = (enum store_db)p[1];
        size_t klen = be32_get_(p + 2), vlen = 0;
        p += 6;
        if ((size_t)(end - p) < klen)
            return SEAM_ECORRUPT;
        const unsigned char *key = p, *val = NULL;
        p += klen;
        if (put) {
            if (end - p < 4)
                return SEAM_ECORRUPT;
            vlen = be32_get_(p);
            p += 4;
            if ((size_t)(end - p) < vlen)
                return SEAM_ECORRUPT;
            val = p;
            p += vlen;
        }
        enum seam_err rc =
            fn(ctx, db, (struct store_val){key, klen}, put ? &(struct store_val){val, vlen} : NULL);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

/* One write of a batch from the log, in the applying transaction (ctx). */
static enum seam_err
ws_apply_one(void *ctx, enum store_db db, struct store_val key, const struct store_val *val)
{
    const struct ws_apply *a = ctx;
    struct store_txn *t = a->t;
    MDB_val k = {key.len, (void *)key.data},
            v = {val ? val->len : 0, val ? (void *)val->data : NULL};
    int mrc = val != NULL ? LMDB("mdb_put", mdb_put(t->txn, t->s->dbi[db], &k, &v, 0))
                          : LMDB("mdb_del", mdb_del(t->txn, t->s->dbi[db], &k, NULL));
    if (mrc == MDB_NOTFOUND) {
        /* the leader deleted what it had: this store does not hold the same */
        log_warnx("store: the log's batch seq=%llu deletes a record this store does not "
                  "hold (db=%s)",
                  (unsigned long long)a->seq, db_names[db]);
        return SEAM_ECORRUPT;
    }
    return mrc != 0 ? map_err(mrc) : SEAM_OK;
}

static enum seam_err
ws_apply_fn(struct store_txn *t, void *ctx)
{
    struct ws_apply *a = ctx;
    uint64_t have;
    enum seam_err rc = store_log_seq(t, &have);
    if (rc != SEAM_OK)
        return rc;
    if (a->seq <= have)
        return SEAM_EEXIST;
    if (a->seq != have + 1) {
        log_warnx("store: the log's batch seq=%llu does not follow this store's seq=%llu",
                  (unsigned long long)a->seq, (unsigned long long)have);
        return SEAM_ESTALE;
    }
    a->t = t;
    if ((rc = store_ws_each(a->ws, a->len, ws_apply_one, a)) != SEAM_OK)
        return rc;
    return log_seq_put(t, a->seq);
}

enum seam_err
store_log_apply(struct store *s, uint64_t seq, const void *ws, size_t len)
{
    struct ws_apply a = {seq, ws, len, NULL};
    return store_write(s, ws_apply_fn, &a, NULL, NULL);
}
