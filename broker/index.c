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

#ifndef SEAM_NO_INDEXES
struct save_ctx {
    struct store_txn *t;
    const char *id;
    enum seam_err rc;
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
    size_t kl = index_entry(k, key, len, s->id);
    if (added)
        s->rc = store_put(s->t, DB_INDEX, k, kl, "", 0, 0);
    else {
        s->rc = store_del(s->t, DB_INDEX, k, kl);
        if (s->rc == SEAM_ENOTFOUND)
            s->rc = SEAM_OK; /* already gone: the set is what counts */
    }
    return s->rc != SEAM_OK;
}
#endif

enum seam_err
index_save(struct store_txn *t, const struct ticket *tk, int fresh, const char *const *facts,
           size_t nfacts)
{
#ifdef SEAM_NO_INDEXES
    (void)t;
    (void)tk;
    (void)fresh;
    (void)facts;
    (void)nfacts;
    return SEAM_OK;
#else
    size_t nlen, olen = 0;
    char *neu = index_keys_of(tk, facts, nfacts, &nlen), *old = NULL;
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

enum seam_err
index_seek(struct store_txn *t, const struct index_term *term, const char *bound, int strict,
           char out[SEAM_ID_LEN + 1])
{
    char start[INDEX_KEY_MAX + SEAM_ID_LEN];
    struct seek_ctx s = {term, NULL, SEAM_ID_LEN, strict, 0, out};
    size_t slen;
    if (term->db == DB_INDEX) {
        slen = index_entry(start, term->prefix, term->plen, bound);
        s.idlen = INDEX_ID_BYTES;
    } else {
        memcpy(start, term->prefix, term->plen);
        memcpy(start + term->plen, bound, SEAM_ID_LEN);
        slen = term->plen + SEAM_ID_LEN;
    }
    s.bound = start + term->plen;
    enum seam_err rc = store_scan(t, term->db, start, slen, 1, seek_one, &s);
    if (rc != SEAM_OK)
        return rc;
    return s.found ? SEAM_OK : SEAM_ENOTFOUND;
}
