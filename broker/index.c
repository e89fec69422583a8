/*
 * index.c: the secondary indexes of tickets (index.h): the keys a ticket is
 * indexed under, their upkeep when its record is saved (the difference
 * between the stored key set and the new one, nothing when they are
 * equal), and one step of a list's walk (index_seek). It decides nothing
 * about tickets (which index a list walks is query.c's) and reads no
 * record: its caller gives it the ticket and the fact names (the first
 * build and the check against the records are index_check.c's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

size_t
index_key(char *out, enum index_attr attr, const char *name, const char *value)
{
    size_t n = 0, vl = strlen(value);
    if (vl > INDEX_VALUE_MAX)
        return 0;
    out[n++] = (char)attr;
    if (attr == INDEX_FACT) {
        size_t nl = strlen(name);
        if (nl > INDEX_VALUE_MAX)
            return 0;
        memcpy(out + n, name, nl);
        n += nl;
        out[n++] = '\x1f';
    }
    memcpy(out + n, value, vl + 1);
    return n + vl + 1;
}

static int
hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

size_t
index_entry(char *out, const char *key, size_t len, const char *id)
{
    memcpy(out, key, len);
    for (size_t i = 0; i < INDEX_ID_BYTES; i++) {
        int hi = hexval(id[1 + 2 * i]), lo = hexval(id[2 + 2 * i]);
        out[len + i] = (char)((hi < 0 ? 0 : hi) << 4 | (lo < 0 ? 0 : lo));
    }
    return len + INDEX_ID_BYTES;
}

void
index_entry_id(const void *packed, char out[SEAM_ID_LEN + 1])
{
    out[0] = 'T';
    hex_encode(packed, INDEX_ID_BYTES, out + 1);
    out[SEAM_ID_LEN] = '\0';
}

/* ---- a ticket's keys ---- */

struct keyset {
    char **v;
    size_t n, cap;
};

static void
keyset_add(struct keyset *s, enum index_attr attr, const char *name, const char *value)
{
    char key[INDEX_KEY_MAX];
    if (value == NULL || index_key(key, attr, name, value) == 0)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = xstrdup(key);
}

static int
key_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
index_keys_of(const struct ticket *tk, const char *const *facts, size_t nfacts, size_t *len)
{
    struct keyset s = {0};
    keyset_add(&s, INDEX_STATUS, NULL, ticket_statuses[tk->status].name);
    for (unsigned i = 0; i < tk->flags.n; i++)
        keyset_add(&s, INDEX_FLAG, NULL, ticket_flags[tk->flags.v[i]].name);
    for (int w = 0; w < WATCH_COUNT; w++)
        if (ticket_in_watch(tk, (enum ticket_watch)w))
            keyset_add(&s, INDEX_FLAG, NULL, ticket_watches[w]);
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        for (unsigned j = 0; j < a->flags.n; j++)
            keyset_add(&s, INDEX_FLAG, NULL, ticket_flags[a->flags.v[j]].name);
        keyset_add(&s, INDEX_PARTNER, NULL, a->partner);
        if (assignment_is_live(a))
            keyset_add(&s, INDEX_OWNER, NULL, a->partner);
    }
    for (size_t k = 0; k < nfacts && k < SEAM_FACTS_MAX; k++)
        keyset_add(&s, INDEX_FACT, facts[k], tk->facts[k]);
    qsort(s.v, s.n, sizeof(*s.v), key_cmp);
    size_t total = 0;
    for (size_t i = 0; i < s.n; i++)
        total += strlen(s.v[i]) + 1;
    char *out = xmalloc(total + 1), *p = out;
    const char *prev = NULL;
    for (size_t i = 0; i < s.n; i++) {
        if (prev == NULL || strcmp(prev, s.v[i]) != 0) {
            size_t l = strlen(s.v[i]) + 1;
            memcpy(p, s.v[i], l);
            p += l;
        }
        prev = s.v[i];
    }
    for (size_t i = 0; i < s.n; i++)
        free(s.v[i]);
    free(s.v);
    *len = (size_t)(p - out);
    return out;
}

int
index_diff(const char *old, size_t olen, const char *neu, size_t nlen, index_diff_fn fn, void *ctx)
{
    size_t i = 0, j = 0;
    while (i < olen || j < nlen) {
        /* a set that does not end with its NUL is read as far as it goes */
        size_t ol = i < olen ? strnlen(old + i, olen - i) : 0;
        size_t nl = j < nlen ? strnlen(neu + j, nlen - j) : 0;
        int c;
        if (i >= olen)
            c = 1;
        else if (j >= nlen)
            c = -1;
        else {
            size_t m = ol < nl ? ol : nl;
            c = memcmp(old + i, neu + j, m);
            if (c == 0)
                c = ol < nl ? -1 : ol > nl ? 1 : 0;
        }
        int stop = 0;
        if (c < 0)
            stop = fn(ctx, old + i, ol + 1, 0);
        else if (c > 0)
            stop = fn(ctx, neu + j, nl + 1, 1);
        if (stop)
            return stop;
        if (c <= 0)
            i += ol + 1;
        if (c >= 0)
            j += nl + 1;
    }
    return 0;
}

/* ---- upkeep ---- */

int
index_set_has(const char *set, size_t slen, const char *key, size_t len)
{
    for (size_t i = 0; i < slen;) {
        size_t l = strnlen(set + i, slen - i) + 1;
        if (l == len && memcmp(set + i, key, len) == 0)
            return 1;
        i += l;
    }
    return 0;
}

enum seam_err
index_applied(struct store_txn *t, char out[SEAM_ID_LEN + 1])
{
    struct store_val v;
    enum seam_err rc = store_get(t, DB_META, INDEX_APPLIED, strlen(INDEX_APPLIED), &v);
    if (rc != SEAM_OK)
        return rc;
    if (v.len != SEAM_ID_LEN)
        return SEAM_ECORRUPT;
    memcpy(out, v.data, SEAM_ID_LEN);
    out[SEAM_ID_LEN] = '\0';
    return SEAM_OK;
}

static int
last_key(void *arg, struct store_val k, struct store_val v)
{
    (void)v;
    if (k.len == SEAM_ID_LEN)
        memcpy(arg, k.data, SEAM_ID_LEN);
    return k.len == SEAM_ID_LEN;
}

enum seam_err
index_applied_init(struct store_txn *t)
{
    char id[SEAM_ID_LEN + 1];
    memset(id, '0', SEAM_ID_LEN);
    id[0] = 'T';
    id[SEAM_ID_LEN] = '\0';
    enum seam_err rc = store_scan(t, DB_INDEX_OF, NULL, 0, 1, last_key, id);
    if (rc == SEAM_OK)
        rc = store_put(t, DB_META, INDEX_APPLIED, strlen(INDEX_APPLIED), id, SEAM_ID_LEN, 0);
    return rc;
}

/* ---- the counts of the keys (INDEX_COUNTS) ---- */

static size_t
count_key(char *out, const char *key, size_t len)
{
    size_t pl = strlen(INDEX_COUNT_PREFIX);
    memcpy(out, INDEX_COUNT_PREFIX, pl);
    memcpy(out + pl, key, len);
    return pl + len;
}

enum seam_err
index_count_of(struct store_txn *t, const char *key, size_t len, uint64_t *n)
{
    char k[sizeof(INDEX_COUNT_PREFIX) + INDEX_KEY_MAX];
    *n = 0;
    if (len > INDEX_KEY_MAX)
        return SEAM_EINVAL;
    enum seam_err rc = store_get_u64(t, DB_META, k, count_key(k, key, len), n);
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}

/* Sets key's count to n (none kept for 0). */
static enum seam_err
count_put(struct store_txn *t, const char *key, size_t len, uint64_t n)
{
    char k[sizeof(INDEX_COUNT_PREFIX) + INDEX_KEY_MAX];
    uint8_t b[8];
    size_t kl = count_key(k, key, len);
    if (n == 0) {
        enum seam_err rc = store_del(t, DB_META, k, kl);
        return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
    }
    be64_put(b, n);
    return store_put(t, DB_META, k, kl, b, 8, 0);
}

int
index_counts_ready(struct store_txn *t)
{
    struct store_val v;
    return index_ready(t) &&
           store_get(t, DB_META, INDEX_COUNTS, strlen(INDEX_COUNTS), &v) == SEAM_OK;
}

struct counts_build {
    struct store_txn *t;
    char key[INDEX_KEY_MAX];
    size_t len;
    uint64_t n, keys;
    enum seam_err rc;
};

static int
entry_counted(void *arg, struct store_val k, struct store_val v)
{
    struct counts_build *b = arg;
    (void)v;
    if (k.len <= INDEX_ID_BYTES || k.len - INDEX_ID_BYTES > INDEX_KEY_MAX)
        return 0;
    size_t len = k.len - INDEX_ID_BYTES;
    if (b->n > 0 && len == b->len && memcmp(k.data, b->key, len) == 0) {
        b->n++;
        return 0;
    }
    if (b->n > 0 && (b->rc = count_put(b->t, b->key, b->len, b->n)) != SEAM_OK)
        return 1;
    memcpy(b->key, k.data, len);
    b->len = len;
    b->n = 1;
    b->keys++;
    return 0;
}

enum seam_err
index_counts_build(struct store_txn *t, uint64_t *keys)
{
    struct counts_build b = {.t = t};
    enum seam_err rc = store_del_prefix(t, DB_META, INDEX_COUNT_PREFIX); /* those kept before */
    if (rc == SEAM_OK)
        rc = store_scan(t, DB_INDEX, NULL, 0, 0, entry_counted, &b);
    if (rc == SEAM_OK)
        rc = b.rc;
    if (rc == SEAM_OK && b.n > 0)
        rc = count_put(t, b.key, b.len, b.n);
    if (rc == SEAM_OK)
        rc = store_put(t, DB_META, INDEX_COUNTS, strlen(INDEX_COUNTS), "1", 1, 0);
    if (keys != NULL)
        *keys = b.keys;
    return rc;
}

#ifndef SEAM_NO_INDEXES
static _Atomic uint64_t pending; /* tickets this process left pending (index.h) */

/* The moves of the keys' counts a save makes, added up and written once (deltas_flush). */
#define DELTAS_MAX 48
struct deltas {
    size_t n;
    struct {
        char key[INDEX_KEY_MAX];
        size_t len;
        long delta;
    } d[DELTAS_MAX];
};

static enum seam_err
deltas_flush(struct store_txn *t, struct deltas *ds)
{
    enum seam_err rc = SEAM_OK;
    for (size_t i = 0; rc == SEAM_OK && i < ds->n; i++) {
        uint64_t n;
        if (ds->d[i].delta == 0)
            continue;
        rc = index_count_of(t, ds->d[i].key, ds->d[i].len, &n);
        if (rc == SEAM_OK) {
            long long v = (long long)n + ds->d[i].delta;
            rc = count_put(t, ds->d[i].key, ds->d[i].len, v < 0 ? 0 : (uint64_t)v);
        }
    }
    ds->n = 0;
    return rc;
}

static enum seam_err
deltas_add(struct store_txn *t, struct deltas *ds, const char *key, size_t len, long delta)
{
    for (size_t i = 0; i < ds->n; i++)
        if (ds->d[i].len == len && memcmp(ds->d[i].key, key, len) == 0) {
            ds->d[i].delta += delta;
            return SEAM_OK;
        }
    enum seam_err rc = ds->n == DELTAS_MAX ? deltas_flush(t, ds) : SEAM_OK;
    if (rc != SEAM_OK)
        return rc;
    memcpy(ds->d[ds->n].key, key, len);
    ds->d[ds->n].len = len;
    ds->d[ds->n++].delta = delta;
    return SEAM_OK;
}

struct save_ctx {
    struct store_txn *t;
    const char *id;
    enum seam_err rc;
    int dels_only;     /* the deletes of a difference, not its puts */
    struct deltas *ds; /* the counts' moves */
};

static int
save_one(void *arg, const char *key, size_t len, int added)
{
    struct save_ctx *s = arg;
    char k[INDEX_KEY_MAX + INDEX_ID_BYTES];
    if (len > INDEX_KEY_MAX) {
        s->rc = SEAM_ECORRUPT;
        return 1;
    }
    if (added && s->dels_only)
        return 0;
    size_t kl = index_entry(k, key, len, s->id);
    if (added) {
        s->rc = store_put(s->t, DB_INDEX, k, kl, "", 0, STORE_NOOVERWRITE);
        if (s->rc == SEAM_OK)
            s->rc = deltas_add(s->t, s->ds, key, len, 1);
        else if (s->rc == SEAM_EEXIST)
            s->rc = SEAM_OK; /* there already (a rebuild puts every key) */
    } else {
        s->rc = store_del(s->t, DB_INDEX, k, kl);
        if (s->rc == SEAM_OK)
            s->rc = deltas_add(s->t, s->ds, key, len, -1);
        else if (s->rc == SEAM_ENOTFOUND)
            s->rc = SEAM_OK; /* already gone: the set is what counts */
    }
    return s->rc != SEAM_OK;
}

struct save_job {
    char id[SEAM_ID_LEN + 1];
    enum index_save_mode mode;
    size_t nlen;
    char *keys; /* index_keys_of's, owned */
};

static void
save_job_free(void *arg)
{
    struct save_job *j = arg;
    free(j->keys);
    free(j);
}

/* The save itself: in the writer's transaction (store_defer), reading the set and the mark as
 * they are there, never on a staged snapshot (a merge would make every stage of the moment
 * stale). */
static enum seam_err
save_keys(struct store_txn *t, void *arg)
{
    struct save_job *j = arg;
    char applied[SEAM_ID_LEN + 1];
    enum seam_err rc = j->mode == INDEX_REBUILD ? SEAM_ENOTFOUND : index_applied(t, applied);
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
        return rc; /* never taken for "no mark": the entries would go in above it */
    int later = rc == SEAM_OK && strcmp(j->id, applied) > 0;
    char *old = NULL;
    size_t olen = 0;
    rc = SEAM_OK;
    if (j->mode != INDEX_FRESH) {
        struct store_val v;
        rc = store_get(t, DB_INDEX_OF, j->id, SEAM_ID_LEN, &v);
        if (rc == SEAM_OK) {
            if (j->mode == INDEX_UPDATE && v.len == j->nlen &&
                memcmp(v.data, j->keys, j->nlen) == 0)
                return SEAM_OK;       /* nothing indexed changed */
            old = xmalloc(v.len + 1); /* the map may move under the puts below */
            memcpy(old, v.data, v.len);
            olen = v.len;
        } else if (rc == SEAM_ENOTFOUND) {
            rc = SEAM_OK;
        }
    }
    if (rc == SEAM_OK && !later) {
        struct deltas ds; /* about 20 KiB: only its count set, on every save */
        ds.n = 0;
        struct save_ctx s = {t, j->id, SEAM_OK, 0, &ds};
        int rebuild = j->mode == INDEX_REBUILD;
        /* A rebuild puts every key (a stored set may name keys that have no entry: its
         * ticket's entries were pending, or a broker built without the indexes saved it),
         * then deletes those of the stored set it no longer has. */
        (void)index_diff(rebuild ? NULL : old, rebuild ? 0 : olen, j->keys, j->nlen, save_one, &s);
        if (s.rc == SEAM_OK && rebuild && old != NULL) {
            s.dels_only = 1;
            (void)index_diff(old, olen, j->keys, j->nlen, save_one, &s);
        }
        rc = s.rc == SEAM_OK ? deltas_flush(t, &ds) : s.rc;
    }
    if (rc == SEAM_OK)
        rc = store_put(t, DB_INDEX_OF, j->id, SEAM_ID_LEN, j->keys, j->nlen,
                       j->mode == INDEX_FRESH ? STORE_APPEND : 0);
    if (rc == SEAM_OK && later && j->mode == INDEX_FRESH)
        pending++;
    free(old);
    return rc;
}
#endif

enum seam_err
index_save(struct store_txn *t, const struct ticket *tk, enum index_save_mode mode,
           const char *const *facts, size_t nfacts)
{
#ifdef SEAM_NO_INDEXES
    (void)t;
    (void)tk;
    (void)mode;
    (void)facts;
    (void)nfacts;
    return SEAM_OK;
#else
    struct save_job *j = xmalloc(sizeof(*j));
    memcpy(j->id, tk->id, SEAM_ID_LEN);
    j->id[SEAM_ID_LEN] = '\0';
    j->mode = mode;
    j->keys = index_keys_of(tk, facts, nfacts, &j->nlen);
    return store_defer(t, save_keys, j, save_job_free);
#endif
}

/* ---- the pending tickets' entries ---- */

#ifndef SEAM_NO_INDEXES
struct merge_ctx {
    const char *applied;
    size_t max, n;
    char (*ids)[SEAM_ID_LEN + 1];
    char **sets;
    size_t *lens;
};

static int
merge_collect(void *arg, struct store_val k, struct store_val v)
{
    struct merge_ctx *m = arg;
    if (k.len != SEAM_ID_LEN || memcmp(k.data, m->applied, SEAM_ID_LEN) == 0)
        return 0; /* the mark's own ticket is applied */
    if (m->n == m->max)
        return 1;
    memcpy(m->ids[m->n], k.data, SEAM_ID_LEN);
    m->ids[m->n][SEAM_ID_LEN] = '\0';
    m->sets[m->n] = xmalloc(v.len + 1); /* the map may move under the puts */
    memcpy(m->sets[m->n], v.data, v.len);
    m->lens[m->n++] = v.len;
    return 0;
}
#endif

enum seam_err
index_merge(struct store_txn *t, size_t max, size_t *merged)
{
    if (merged != NULL)
        *merged = 0;
#ifdef SEAM_NO_INDEXES
    (void)t;
    (void)max;
    return SEAM_OK;
#else
    char applied[SEAM_ID_LEN + 1];
    enum seam_err rc = max == 0 ? SEAM_ENOTFOUND : index_applied(t, applied);
    if (rc != SEAM_OK)
        return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
    struct merge_ctx m = {.applied = applied, .max = max};
    m.ids = xmalloc(max * sizeof(*m.ids));
    m.sets = xmalloc(max * sizeof(*m.sets));
    m.lens = xmalloc(max * sizeof(*m.lens));
    rc = store_scan(t, DB_INDEX_OF, applied, SEAM_ID_LEN, 0, merge_collect, &m);
    struct deltas *ds = xcalloc(1, sizeof(*ds));
    for (size_t i = 0; rc == SEAM_OK && i < m.n; i++) {
        struct save_ctx s = {t, m.ids[i], SEAM_OK, 0, ds};
        (void)index_diff(NULL, 0, m.sets[i], m.lens[i], save_one, &s);
        rc = s.rc;
    }
    if (rc == SEAM_OK)
        rc = deltas_flush(t, ds);
    free(ds);
    if (rc == SEAM_OK && m.n > 0)
        rc = store_put(t, DB_META, INDEX_APPLIED, strlen(INDEX_APPLIED), m.ids[m.n - 1],
                       SEAM_ID_LEN, 0);
    if (rc == SEAM_OK) {
        uint64_t p = pending;
        pending = m.n < max || p < m.n ? 0 : p - m.n;
        if (merged != NULL)
            *merged = m.n;
    }
    for (size_t i = 0; i < m.n; i++)
        free(m.sets[i]);
    free(m.ids);
    free(m.sets);
    free(m.lens);
    return rc;
#endif
}

enum seam_err
index_merge_all(struct store_txn *t)
{
    size_t merged;
    enum seam_err rc;
    do
        rc = index_merge(t, INDEX_MERGE_MAX, &merged);
    while (rc == SEAM_OK && merged == INDEX_MERGE_MAX);
    return rc;
}

int
index_merge_wanted(int all)
{
#ifdef SEAM_NO_INDEXES
    (void)all;
    return 0;
#else
    uint64_t p = pending;
    return p >= INDEX_MERGE_AT || (all && p > 0);
#endif
}

void
index_pending_set(uint64_t n)
{
#ifdef SEAM_NO_INDEXES
    (void)n;
#else
    pending = n;
#endif
}

struct count_ctx {
    const char *applied;
    uint64_t n, max;
};

static int
count_one(void *arg, struct store_val k, struct store_val v)
{
    struct count_ctx *c = arg;
    (void)v;
    if (k.len == SEAM_ID_LEN && memcmp(k.data, c->applied, SEAM_ID_LEN) != 0)
        c->n++;
    return c->n >= c->max;
}

uint64_t
index_pending_count(struct store_txn *t, uint64_t max)
{
    char applied[SEAM_ID_LEN + 1];
    struct count_ctx c = {applied, 0, max};
    if (index_applied(t, applied) != SEAM_OK ||
        store_scan(t, DB_INDEX_OF, applied, SEAM_ID_LEN, 0, count_one, &c) != SEAM_OK)
        return 0;
    return c.n;
}

int
index_ready(struct store_txn *t)
{
#ifdef SEAM_NO_INDEXES
    (void)t;
    return 0;
#else
    struct store_val v;
    return store_get(t, DB_META, INDEX_META, strlen(INDEX_META), &v) == SEAM_OK &&
           v.len == strlen(INDEX_FORMAT) && memcmp(v.data, INDEX_FORMAT, v.len) == 0;
#endif
}

/* ---- a list's step ---- */

struct seek_ctx {
    const struct index_term *term;
    const char *bound; /* as the keys hold it: packed for DB_INDEX */
    size_t idlen;
    int strict;
    int found;
    char *out;
};

static int
seek_one(void *arg, struct store_val k, struct store_val v)
{
    struct seek_ctx *s = arg;
    (void)v;
    if (k.len != s->term->plen + s->idlen || memcmp(k.data, s->term->prefix, s->term->plen) != 0)
        return k.len < s->term->plen || memcmp(k.data, s->term->prefix, s->term->plen) != 0;
    const char *id = (const char *)k.data + s->term->plen;
    if (s->strict && memcmp(id, s->bound, s->idlen) >= 0)
        return 0;
    if (s->term->db == DB_INDEX) {
        index_entry_id(id, s->out);
    } else {
        memcpy(s->out, id, SEAM_ID_LEN);
        s->out[SEAM_ID_LEN] = '\0';
    }
    s->found = 1;
    return 1;
}

/* The key a term's walk starts at, for a ticket id bound, into start; its length, and the bytes of
 * an id as the term's keys hold it (*idlen: packed in DB_INDEX). */
static size_t
term_start(const struct index_term *term, const char *bound, char *start, size_t *idlen)
{
    if (term->db == DB_INDEX) {
        *idlen = INDEX_ID_BYTES;
        return index_entry(start, term->prefix, term->plen, bound);
    }
    memcpy(start, term->prefix, term->plen);
    memcpy(start + term->plen, bound, SEAM_ID_LEN);
    *idlen = SEAM_ID_LEN;
    return term->plen + SEAM_ID_LEN;
}

/* A pending ticket's set, newest first from the bound down to the mark. */
struct pend_ctx {
    const struct index_term *term;
    const char *applied, *bound;
    int strict, found;
    unsigned steps;
    char *out;
};

static int
pend_one(void *arg, struct store_val k, struct store_val v)
{
    struct pend_ctx *p = arg;
    if (k.len != SEAM_ID_LEN)
        return 0;
    if (memcmp(k.data, p->applied, SEAM_ID_LEN) <= 0)
        return 1; /* DB_INDEX has the rest */
    if (p->strict && memcmp(k.data, p->bound, SEAM_ID_LEN) >= 0)
        return 0;
    p->steps++;
    if (!index_set_has(v.data, v.len, p->term->prefix, p->term->plen))
        return 0;
    memcpy(p->out, k.data, SEAM_ID_LEN);
    p->out[SEAM_ID_LEN] = '\0';
    p->found = 1;
    return 1;
}

enum seam_err
index_seek(struct store_txn *t, const struct index_term *term, const char *applied,
           const char *bound, int strict, char out[SEAM_ID_LEN + 1], unsigned *work)
{
    char start[INDEX_KEY_MAX + SEAM_ID_LEN];
    struct seek_ctx s = {term, NULL, SEAM_ID_LEN, strict, 0, out};
    size_t slen;
    enum seam_err rc;
    if (term->db == DB_INDEX && applied != NULL && strcmp(bound, applied) > 0) {
        struct pend_ctx p = {term, applied, bound, strict, 0, 0, out};
        rc = store_scan(t, DB_INDEX_OF, bound, SEAM_ID_LEN, 1, pend_one, &p);
        if (work != NULL)
            *work += p.steps;
        if (rc != SEAM_OK || p.found)
            return rc;
        bound = applied; /* its entries, and those below, are in DB_INDEX */
        s.strict = 0;
    }
    slen = term_start(term, bound, start, &s.idlen);
    s.bound = start + term->plen;
    rc = store_scan(t, term->db, start, slen, 1, seek_one, &s);
    if (rc != SEAM_OK)
        return rc;
    return s.found ? SEAM_OK : SEAM_ENOTFOUND;
}

/* ---- a key's tickets counted ---- */

struct keycount_ctx {
    const struct index_term *term;
    const char *applied, *bound; /* bound as the keys hold it (packed for DB_INDEX) */
    size_t idlen;
    int strict, pending; /* pending: DB_INDEX_OF's sets above the mark */
    unsigned long max, seen, n;
    int ended; /* the key (or the pending sets) ran out before max */
};

static int
keycount_one(void *arg, struct store_val k, struct store_val v)
{
    struct keycount_ctx *c = arg;
    if (c->pending) {
        if (k.len != SEAM_ID_LEN)
            return 0;
        if (memcmp(k.data, c->applied, SEAM_ID_LEN) <= 0) {
            c->ended = 1;
            return 1;
        }
        if (c->strict && memcmp(k.data, c->bound, SEAM_ID_LEN) >= 0)
            return 0;
        if (c->seen++ == c->max)
            return 1;
        c->n += index_set_has(v.data, v.len, c->term->prefix, c->term->plen);
        return 0;
    }
    if (k.len < c->term->plen || memcmp(k.data, c->term->prefix, c->term->plen) != 0) {
        c->ended = 1;
        return 1;
    }
    if (k.len != c->term->plen + c->idlen)
        return 0;
    if (c->strict && memcmp((const char *)k.data + c->term->plen, c->bound, c->idlen) >= 0)
        return 0;
    if (c->seen++ == c->max)
        return 1;
    c->n++;
    return 0;
}

enum seam_err
index_count(struct store_txn *t, const struct index_term *term, const char *applied,
            const char *bound, int strict, int all, unsigned long max, unsigned long *n,
            int *complete)
{
    char start[INDEX_KEY_MAX + SEAM_ID_LEN];
    struct keycount_ctx c = {
        .term = term, .applied = applied, .bound = bound, .strict = strict, .max = max};
    enum seam_err rc;
    *n = 0;
    *complete = 0;
    if (term->db == DB_INDEX && applied != NULL && strcmp(bound, applied) > 0) {
        c.pending = 1;
        rc = store_scan(t, DB_INDEX_OF, bound, SEAM_ID_LEN, 1, keycount_one, &c);
        if (rc != SEAM_OK)
            return rc;
        if (!c.ended && c.seen <= c.max) /* none at or below the mark: the pending sets were all */
            c.ended = 1;
        if (!c.ended) {
            *n = c.n;
            return SEAM_OK; /* out of steps among the pending sets */
        }
        bound = applied; /* its entries, and those below, are in DB_INDEX */
        c.strict = 0;
        c.pending = 0;
        c.ended = 0;
    }
    if (all && term->db == DB_INDEX && index_counts_ready(t)) {
        uint64_t kept; /* every entry of the key: those of the tickets at or below the mark */
        if ((rc = index_count_of(t, term->prefix, term->plen, &kept)) != SEAM_OK)
            return rc;
        *n = c.n + kept;
        *complete = 1;
        return SEAM_OK;
    }
    size_t slen = term_start(term, bound, start, &c.idlen);
    c.bound = start + term->plen;
    rc = store_scan(t, term->db, start, slen, 1, keycount_one, &c);
    if (rc != SEAM_OK)
        return rc;
    *n = c.n;
    *complete = c.ended || c.seen <= c.max;
    return SEAM_OK;
}

int
index_key_is_watch(const void *key, size_t len)
{
    for (int w = 0; w < WATCH_COUNT; w++) {
        char k[INDEX_KEY_MAX];
        size_t kl = index_key(k, INDEX_FLAG, NULL, ticket_watches[w]);
        if (len >= kl && memcmp(key, k, kl) == 0)
            return 1;
    }
    return 0;
}
