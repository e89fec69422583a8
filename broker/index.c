/*
 * index.c: the secondary indexes of tickets (index.h): the keys a ticket is
 * indexed under, their upkeep when its record is saved (the difference
 * between the stored key set and the new one, nothing when they are
 * equal), one step of a list's walk (index_seek), the first build on a
 * store without them, and their check against the records. It decides
 * nothing about tickets; which index a list walks is query.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "log.h"
#include "record.h"
#include "ticket.h"

#define META_INDEX "index.format"
#define META_INDEX_NEXT "index.next" /* the first ticket id a resumed build takes */
#define INDEX_FORMAT "1"

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
index_keys_of(const struct ticket *tk, size_t *len)
{
    struct keyset s = {0};
    keyset_add(&s, INDEX_STATUS, NULL, ticket_statuses[tk->status].name);
    for (unsigned i = 0; i < tk->flags.n; i++)
        keyset_add(&s, INDEX_FLAG, NULL, ticket_flags[tk->flags.v[i]].name);
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        for (unsigned j = 0; j < a->flags.n; j++)
            keyset_add(&s, INDEX_FLAG, NULL, ticket_flags[a->flags.v[j]].name);
        keyset_add(&s, INDEX_PARTNER, NULL, a->partner);
        if (assignment_is_live(a))
            keyset_add(&s, INDEX_OWNER, NULL, a->partner);
    }
    for (size_t k = 0; k < record_fact_count() && k < SEAM_FACTS_MAX; k++)
        keyset_add(&s, INDEX_FACT, record_fact_name(k), tk->facts[k]);
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

struct save_ctx {
    struct store_txn *t;
    const char *id;
    enum seam_err rc;
};

static int
save_one(void *arg, const char *key, size_t len, int added)
{
    struct save_ctx *s = arg;
    char k[INDEX_KEY_MAX + SEAM_ID_LEN];
    if (len > INDEX_KEY_MAX) {
        s->rc = SEAM_ECORRUPT;
        return 1;
    }
    memcpy(k, key, len);
    memcpy(k + len, s->id, SEAM_ID_LEN);
    if (added)
        s->rc = store_put(s->t, DB_INDEX, k, len + SEAM_ID_LEN, "", 0, 0);
    else {
        s->rc = store_del(s->t, DB_INDEX, k, len + SEAM_ID_LEN);
        if (s->rc == SEAM_ENOTFOUND)
            s->rc = SEAM_OK; /* already gone: the set is what counts */
    }
    return s->rc != SEAM_OK;
}

enum seam_err
index_save(struct store_txn *t, const struct ticket *tk, int fresh)
{
#ifdef SEAM_NO_INDEXES
    (void)t;
    (void)tk;
    (void)fresh;
    return SEAM_OK;
#else
    size_t nlen, olen = 0;
    char *neu = index_keys_of(tk, &nlen), *old = NULL;
    enum seam_err rc = SEAM_OK;
    if (!fresh) {
        struct store_val v;
        rc = store_get(t, DB_INDEX_OF, tk->id, SEAM_ID_LEN, &v);
        if (rc == SEAM_OK) {
            if (v.len == nlen && memcmp(v.data, neu, nlen) == 0) {
                free(neu);
                return SEAM_OK; /* nothing indexed changed */
            }
            old = xmalloc(v.len + 1); /* the map may move under the puts below */
            memcpy(old, v.data, v.len);
            olen = v.len;
        } else if (rc == SEAM_ENOTFOUND) {
            rc = SEAM_OK;
        }
    }
    if (rc == SEAM_OK) {
        struct save_ctx s = {t, tk->id, SEAM_OK};
        (void)index_diff(old, olen, neu, nlen, save_one, &s); /* s.rc says how it went */
        rc = s.rc;
    }
    if (rc == SEAM_OK)
        rc = store_put(t, DB_INDEX_OF, tk->id, SEAM_ID_LEN, neu, nlen, fresh ? STORE_APPEND : 0);
    free(old);
    free(neu);
    return rc;
#endif
}

int
index_ready(struct store_txn *t)
{
#ifdef SEAM_NO_INDEXES
    (void)t;
    return 0;
#else
    struct store_val v;
    return store_get(t, DB_META, META_INDEX, strlen(META_INDEX), &v) == SEAM_OK &&
           v.len == strlen(INDEX_FORMAT) && memcmp(v.data, INDEX_FORMAT, v.len) == 0;
#endif
}

/* ---- a list's step ---- */

struct seek_ctx {
    const struct index_term *term;
    const char *bound;
    int strict;
    int found;
    char *out;
};

static int
seek_one(void *arg, struct store_val k, struct store_val v)
{
    struct seek_ctx *s = arg;
    (void)v;
    if (k.len != s->term->plen + SEAM_ID_LEN || memcmp(k.data, s->term->prefix, s->term->plen) != 0)
        return k.len < s->term->plen || memcmp(k.data, s->term->prefix, s->term->plen) != 0;
    const char *id = (const char *)k.data + s->term->plen;
    if (s->strict && memcmp(id, s->bound, SEAM_ID_LEN) >= 0)
        return 0;
    memcpy(s->out, id, SEAM_ID_LEN);
    s->out[SEAM_ID_LEN] = '\0';
    s->found = 1;
    return 1;
}

enum seam_err
index_seek(struct store_txn *t, const struct index_term *term, const char *bound, int strict,
           char out[SEAM_ID_LEN + 1])
{
    char start[INDEX_KEY_MAX + SEAM_ID_LEN];
    struct seek_ctx s = {term, bound, strict, 0, out};
    memcpy(start, term->prefix, term->plen);
    memcpy(start + term->plen, bound, SEAM_ID_LEN);
    enum seam_err rc = store_scan(t, term->db, start, term->plen + SEAM_ID_LEN, 1, seek_one, &s);
    if (rc != SEAM_OK)
        return rc;
    return s.found ? SEAM_OK : SEAM_ENOTFOUND;
}

/* ---- the first build ---- */

struct build_ctx {
    size_t batch;
    char (*ids)[SEAM_ID_LEN + 1];
    size_t n;
    int more;
    uint64_t built;
};

static int
build_collect(void *arg, struct store_val key, struct store_val val)
{
    struct build_ctx *b = arg;
    (void)val;
    if (key.len != SEAM_ID_LEN)
        return 0; /* not a ticket */
    memcpy(b->ids[b->n], key.data, SEAM_ID_LEN);
    b->ids[b->n][SEAM_ID_LEN] = '\0';
    if (b->n == b->batch) {
        b->more = 1;
        return 1; /* the next batch starts here */
    }
    b->n++;
    return 0;
}

static enum seam_err
build_batch(struct store_txn *t, void *arg)
{
    struct build_ctx *b = arg;
    struct store_val v;
    char start[SEAM_ID_LEN + 1] = "";
    enum seam_err rc = store_get(t, DB_META, META_INDEX_NEXT, strlen(META_INDEX_NEXT), &v);
    if (rc == SEAM_OK && v.len == SEAM_ID_LEN) {
        memcpy(start, v.data, v.len);
        start[v.len] = '\0';
    } else if (rc != SEAM_ENOTFOUND && rc != SEAM_OK) {
        return rc;
    }
    b->n = 0;
    b->more = 0;
    rc = store_scan(t, DB_TICKETS, start[0] ? start : NULL, strlen(start), 0, build_collect, b);
    for (size_t i = 0; rc == SEAM_OK && i < b->n; i++) {
        struct ticket tk;
        rc = record_load(t, b->ids[i], &tk);
        if (rc == SEAM_ECORRUPT)
            log_warnx("index: ticket=%s cannot be decoded; the indexes are left unbuilt",
                      b->ids[i]);
        if (rc == SEAM_OK) {
            rc = index_save(t, &tk, 0);
            ticket_free(&tk);
        }
    }
    if (rc != SEAM_OK)
        return rc;
    if (b->more)
        rc = store_put(t, DB_META, META_INDEX_NEXT, strlen(META_INDEX_NEXT), b->ids[b->n],
                       SEAM_ID_LEN, 0);
    else {
        rc = store_put(t, DB_META, META_INDEX, strlen(META_INDEX), INDEX_FORMAT,
                       strlen(INDEX_FORMAT), 0);
        if (rc == SEAM_OK) {
            rc = store_del(t, DB_META, META_INDEX_NEXT, strlen(META_INDEX_NEXT));
            if (rc == SEAM_ENOTFOUND)
                rc = SEAM_OK;
        }
    }
    if (rc == SEAM_OK)
        b->built += b->n;
    return rc;
}

#ifdef SEAM_NO_INDEXES
static enum seam_err
unmark(struct store_txn *t, void *arg)
{
    (void)arg;
    enum seam_err rc = store_del(t, DB_META, META_INDEX, strlen(META_INDEX));
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}
#endif

enum seam_err
index_migrate(struct store *s, size_t batch, uint64_t *built)
{
    struct store_txn *t;
    struct build_ctx b = {0};
    if (built != NULL)
        *built = 0;
#ifdef SEAM_NO_INDEXES
    (void)batch;
    (void)t;
    (void)b;
    return store_write(s, unmark, NULL, NULL, NULL);
#else
    enum seam_err rc = store_read_begin(s, &t);
    if (rc != SEAM_OK)
        return rc;
    int ready = index_ready(t);
    uint64_t total = store_count(t, DB_TICKETS);
    store_read_end(t);
    if (ready)
        return SEAM_OK;
    b.batch = batch > 0 ? batch : 2000;
    b.ids = xmalloc((b.batch + 1) * sizeof(*b.ids));
    log_info("index: building the ticket indexes, %llu tickets, %zu a transaction",
             (unsigned long long)total, b.batch);
    do {
        rc = store_write(s, build_batch, &b, NULL, NULL);
        if (rc == SEAM_OK)
            log_info("index: %llu of %llu tickets indexed", (unsigned long long)b.built,
                     (unsigned long long)total);
    } while (rc == SEAM_OK && b.more);
    free(b.ids);
    if (rc == SEAM_OK)
        log_info("index: the ticket indexes are built");
    if (built != NULL)
        *built = b.built;
    return rc;
#endif
}

/* ---- the check ---- */

static const char *
attr_name(char a)
{
    switch (a) {
    case INDEX_STATUS:
        return "status";
    case INDEX_FLAG:
        return "flag";
    case INDEX_OWNER:
        return "owner";
    case INDEX_PARTNER:
        return "partner";
    case INDEX_FACT:
        return "fact";
    }
    return "unknown attribute";
}

/* "status=resolved", "fact service=tv" for a key (len with its NUL) into out. */
static void
key_text(const char *key, size_t len, char *out, size_t n)
{
    char value[INDEX_KEY_MAX];
    size_t vl = len > 1 ? len - 1 : 0;
    if (vl > 0)
        vl--; /* past the attribute byte */
    memcpy(value, key + 1, vl);
    value[vl] = '\0';
    char *sep = strchr(value, '\x1f');
    if (sep != NULL)
        *sep = '=';
    snprintf(out, n, "%s%s%s", attr_name(key[0]), sep ? " " : "=", value);
}

struct verify_ctx {
    struct store_txn *t;
    evlog_report_fn report;
    void *ctx;
    uint64_t problems;
    const char *id;
};

static void
problem(struct verify_ctx *vc, const char *id, const char *key, size_t len, const char *what)
{
    char msg[INDEX_KEY_MAX + 160], kt[INDEX_KEY_MAX + 32];
    key_text(key, len, kt, sizeof(kt));
    snprintf(msg, sizeof(msg), "ticket %s: index %s: %s", id, kt, what);
    vc->problems++;
    vc->report(vc->ctx, msg);
}

/* Every key the record implies is in DB_INDEX. */
static int
verify_present(void *arg, const char *key, size_t len, int added)
{
    struct verify_ctx *vc = arg;
    char k[INDEX_KEY_MAX + SEAM_ID_LEN];
    struct store_val v;
    (void)added;
    if (len > INDEX_KEY_MAX)
        return 0;
    memcpy(k, key, len);
    memcpy(k + len, vc->id, SEAM_ID_LEN);
    if (store_get(vc->t, DB_INDEX, k, len + SEAM_ID_LEN, &v) != SEAM_OK)
        problem(vc, vc->id, key, len, "missing (the record has it, the index does not)");
    return 0;
}

/* A key of the stored set the record does not imply, or one it lacks. */
static int
verify_set(void *arg, const char *key, size_t len, int added)
{
    struct verify_ctx *vc = arg;
    problem(vc, vc->id, key, len,
            added ? "missing from the ticket's key set" : "extra in the ticket's key set");
    return 0;
}

static int
verify_ticket(void *arg, const struct ticket *tk)
{
    struct verify_ctx *vc = arg;
    size_t nlen;
    char *keys = index_keys_of(tk, &nlen);
    struct store_val v;
    vc->id = tk->id;
    if (store_get(vc->t, DB_INDEX_OF, tk->id, SEAM_ID_LEN, &v) != SEAM_OK) {
        char msg[128];
        snprintf(msg, sizeof(msg), "ticket %s: index: no key set (the ticket is in no index)",
                 tk->id);
        vc->problems++;
        vc->report(vc->ctx, msg);
    } else {
        (void)index_diff(v.data, v.len, keys, nlen, verify_set, vc); /* never stops */
    }
    (void)index_diff(NULL, 0, keys, nlen, verify_present, vc); /* never stops */
    free(keys);
    return 0;
}

/* Whether set (DB_INDEX_OF's value) holds key (len with its NUL). */
static int
set_has(const char *set, size_t slen, const char *key, size_t len)
{
    for (size_t i = 0; i < slen;) {
        size_t l = strnlen(set + i, slen - i) + 1;
        if (l == len && memcmp(set + i, key, len) == 0)
            return 1;
        i += l;
    }
    return 0;
}

/* Every entry of DB_INDEX is in its ticket's key set, the record's by the check above. */
static int
verify_entry(void *arg, struct store_val k, struct store_val v)
{
    struct verify_ctx *vc = arg;
    struct store_val set;
    char id[SEAM_ID_LEN + 1];
    (void)v;
    const char *key = k.data;
    size_t len = k.len >= SEAM_ID_LEN ? k.len - SEAM_ID_LEN : 0;
    if (len < 2 || key[len - 1] != '\0' || len > INDEX_KEY_MAX) {
        char msg[96];
        snprintf(msg, sizeof(msg), "index: an entry of %zu bytes is not an index entry", k.len);
        vc->problems++;
        vc->report(vc->ctx, msg);
        return 0;
    }
    memcpy(id, key + len, SEAM_ID_LEN);
    id[SEAM_ID_LEN] = '\0';
    if (store_get(vc->t, DB_TICKETS, id, SEAM_ID_LEN, &set) != SEAM_OK)
        problem(vc, id, key, len, "extra (no such ticket)");
    else if (store_get(vc->t, DB_INDEX_OF, id, SEAM_ID_LEN, &set) != SEAM_OK ||
             !set_has(set.data, set.len, key, len))
        problem(vc, id, key, len, "extra (the index has it, the record does not)");
    return 0;
}

uint64_t
index_verify(struct store_txn *t, evlog_report_fn report, void *ctx)
{
    struct verify_ctx vc = {t, report, ctx, 0, NULL};
    if (!index_ready(t))
        return 0;
    if (ticket_scan(t, verify_ticket, &vc) != SEAM_OK ||
        store_scan(t, DB_INDEX, NULL, 0, 0, verify_entry, &vc) != SEAM_OK) {
        vc.problems++;
        report(ctx, "index: the store could not be read to the end");
    }
    return vc.problems;
}
