/*
 * index_check.c: the ticket indexes against the records (index_check.h):
 * their first build on a store written without them, and seamctl verify's
 * check that they say what the records say. Both read every record, one at
 * a time (bounded memory); the indexes themselves are index.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "index_check.h"
#include "log.h"
#include "record.h"
#include "ticket.h"

#define META_INDEX_NEXT "index.next"   /* the first ticket id a resumed build takes */
#define META_INDEX_FACTS "index.facts" /* the fact names the indexes were built with */

/* The record module's fact names, as index.c takes them. */
static size_t
record_names(const char *names[SEAM_FACTS_MAX])
{
    size_t n = record_fact_count();
    if (n > SEAM_FACTS_MAX)
        n = SEAM_FACTS_MAX;
    for (size_t k = 0; k < n; k++)
        names[k] = record_fact_name(k);
    return n;
}

#ifndef SEAM_NO_INDEXES
/* The fact names, one a line, into out (malloc'd): what the indexes are built with. */
static char *
facts_text(size_t *len)
{
    const char *names[SEAM_FACTS_MAX];
    size_t n = record_names(names), total = 0;
    for (size_t k = 0; k < n; k++)
        total += strlen(names[k]) + 1;
    char *out = xmalloc(total + 1), *p = out;
    for (size_t k = 0; k < n; k++) {
        size_t l = strlen(names[k]);
        memcpy(p, names[k], l);
        p[l] = '\n';
        p += l + 1;
    }
    *p = '\0';
    *len = total;
    return out;
}
#endif

/* Marks the indexes as not built: the pending tickets' entries written first (a rebuild starts
 * from complete entries), then the format and the mark removed. */
static enum seam_err
unmark(struct store_txn *t, void *arg)
{
    (void)arg;
    enum seam_err rc = index_merge_all(t);
    const char *keys[] = {INDEX_META, INDEX_APPLIED, INDEX_COUNTS};
    for (size_t i = 0; rc == SEAM_OK && i < 3; i++) {
        rc = store_del(t, DB_META, keys[i], strlen(keys[i]));
        if (rc == SEAM_ENOTFOUND)
            rc = SEAM_OK;
    }
    return rc;
}

#ifndef SEAM_NO_INDEXES
static enum seam_err
counts_build_fn(struct store_txn *t, void *arg)
{
    return index_counts_build(t, arg);
}

/* A store whose indexes were built before the keys' counts were kept: counted from the entries. */
static enum seam_err
count_keys(struct store *s)
{
    uint64_t keys = 0;
    log_info("index: counting each key's entries (once, for a store kept before the counts)");
    enum seam_err rc = store_write(s, counts_build_fn, &keys, NULL, NULL);
    if (rc == SEAM_OK)
        log_info("index: the counts of %llu keys are kept", (unsigned long long)keys);
    return rc;
}

/* A store whose indexes were built before entries waited (no mark): the mark at its last ticket. */
static enum seam_err
mark_applied(struct store_txn *t, void *arg)
{
    char applied[SEAM_ID_LEN + 1];
    (void)arg;
    enum seam_err rc = index_applied(t, applied);
    return rc == SEAM_ENOTFOUND ? index_applied_init(t) : rc;
}
#endif

/* ---- the first build ---- */

#ifndef SEAM_NO_INDEXES
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
            const char *names[SEAM_FACTS_MAX];
            size_t n = record_names(names);
            rc = index_save(t, &tk, INDEX_REBUILD, names, n);
            ticket_free(&tk);
        }
    }
    if (rc != SEAM_OK)
        return rc;
    if (b->more)
        rc = store_put(t, DB_META, META_INDEX_NEXT, strlen(META_INDEX_NEXT), b->ids[b->n],
                       SEAM_ID_LEN, 0);
    else {
        size_t flen;
        char *facts = facts_text(&flen);
        rc = store_put(t, DB_META, INDEX_META, strlen(INDEX_META), INDEX_FORMAT,
                       strlen(INDEX_FORMAT), 0);
        if (rc == SEAM_OK)
            rc = index_applied_init(t);
        if (rc == SEAM_OK)
            rc = index_counts_build(t, NULL);
        if (rc == SEAM_OK)
            rc = store_put(t, DB_META, META_INDEX_FACTS, strlen(META_INDEX_FACTS), facts, flen, 0);
        free(facts);
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

#endif

enum seam_err
index_migrate(struct store *s, size_t batch, uint64_t *built)
{
    if (built != NULL)
        *built = 0;
#ifdef SEAM_NO_INDEXES
    (void)batch;
    return store_write(s, unmark, NULL, NULL, NULL);
#else
    struct store_txn *t;
    struct build_ctx b = {0};
    enum seam_err rc = store_read_begin(s, &t);
    if (rc != SEAM_OK)
        return rc;
    char applied[SEAM_ID_LEN + 1], format[16] = "";
    int ready = index_ready(t), same = 0, marked = index_applied(t, applied) == SEAM_OK;
    int counted = index_counts_ready(t);
    uint64_t total = store_count(t, DB_TICKETS);
    size_t flen;
    char *facts = facts_text(&flen);
    struct store_val v;
    if (store_get(t, DB_META, META_INDEX_FACTS, strlen(META_INDEX_FACTS), &v) == SEAM_OK)
        same = v.len == flen && memcmp(v.data, facts, flen) == 0;
    if (!ready && store_get(t, DB_META, INDEX_META, strlen(INDEX_META), &v) == SEAM_OK)
        snprintf(format, sizeof(format), "%.*s", v.len < 8 ? (int)v.len : 8, (const char *)v.data);
    store_read_end(t);
    free(facts);
    if (format[0] != '\0') {
        /* Built by a broker whose tickets had fewer keys (index.h, INDEX_FORMAT): every
         * ticket's entries are rebuilt from its record. */
        log_info("index: the indexes are of format %s, this broker keeps format %s", format,
                 INDEX_FORMAT);
        if ((rc = store_write(s, unmark, NULL, NULL, NULL)) != SEAM_OK)
            return rc;
    }
    if (ready && same) {
        if (!marked && (rc = store_write(s, mark_applied, NULL, NULL, NULL)) != SEAM_OK)
            return rc;
        if (!counted && (rc = count_keys(s)) != SEAM_OK)
            return rc;
        if ((rc = store_read_begin(s, &t)) != SEAM_OK)
            return rc;
        index_pending_set(index_pending_count(t, UINT64_MAX));
        store_read_end(t);
        return SEAM_OK;
    }
    if (ready) {
        /* Keys of facts the configuration no longer declares, none of those it now declares:
         * each ticket's entries are rebuilt from its record. */
        log_info("index: the declared facts changed since the indexes were built");
        if ((rc = store_write(s, unmark, NULL, NULL, NULL)) != SEAM_OK)
            return rc;
    }
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
    const char *applied; /* index_applied's mark, or NULL */
    int counts;          /* the keys' counts are kept (INDEX_COUNTS): checked run by run */
    char run[INDEX_KEY_MAX];
    size_t run_len;
    uint64_t run_n;
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

/*
 * Whether a key is the check's: not a fact the configuration does not
 * declare (a record keeps such a fact unread; its keys stay until the
 * broker, started with that configuration, rebuilds the indexes).
 */
static int
checkable(const char *key, size_t len)
{
    if (key[0] != INDEX_FACT)
        return 1;
    const char *sep = memchr(key + 1, '\x1f', len - 1);
    const char *names[SEAM_FACTS_MAX];
    size_t n = record_names(names), nl = sep ? (size_t)(sep - key - 1) : 0;
    for (size_t k = 0; k < n; k++)
        if (strlen(names[k]) == nl && memcmp(names[k], key + 1, nl) == 0)
            return 1;
    return 0;
}

/* Every key the record implies is in DB_INDEX. */
static int
verify_present(void *arg, const char *key, size_t len, int added)
{
    struct verify_ctx *vc = arg;
    char k[INDEX_KEY_MAX + INDEX_ID_BYTES];
    struct store_val v;
    (void)added;
    if (len > INDEX_KEY_MAX)
        return 0;
    size_t kl = index_entry(k, key, len, vc->id);
    if (store_get(vc->t, DB_INDEX, k, kl, &v) != SEAM_OK)
        problem(vc, vc->id, key, len, "missing (the record has it, the index does not)");
    return 0;
}

/* A key of the stored set the record does not imply, or one it lacks. */
static int
verify_set(void *arg, const char *key, size_t len, int added)
{
    struct verify_ctx *vc = arg;
    if (!checkable(key, len))
        return 0;
    problem(vc, vc->id, key, len,
            added ? "missing from the ticket's key set" : "extra in the ticket's key set");
    return 0;
}

static int
verify_ticket(void *arg, const struct ticket *tk)
{
    struct verify_ctx *vc = arg;
    size_t nlen;
    const char *names[SEAM_FACTS_MAX];
    size_t nn = record_names(names);
    char *keys = index_keys_of(tk, names, nn, &nlen);
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
    /* a ticket above the mark has its set only (index.h) */
    if (vc->applied == NULL || strcmp(tk->id, vc->applied) <= 0)
        (void)index_diff(NULL, 0, keys, nlen, verify_present, vc); /* never stops */
    free(keys);
    return 0;
}

/* The run of entries of one key ended: its count as kept. */
static void
verify_run(struct verify_ctx *vc)
{
    uint64_t kept;
    char msg[INDEX_KEY_MAX + 160], kt[INDEX_KEY_MAX + 32];
    if (!vc->counts || vc->run_n == 0)
        return;
    if (index_count_of(vc->t, vc->run, vc->run_len, &kept) == SEAM_OK && kept == vc->run_n)
        return;
    key_text(vc->run, vc->run_len, kt, sizeof(kt));
    snprintf(msg, sizeof(msg), "index %s: the count kept is %llu, the entries are %llu", kt,
             (unsigned long long)kept, (unsigned long long)vc->run_n);
    vc->problems++;
    vc->report(vc->ctx, msg);
}

/* A count kept for a key that has no entry in DB_INDEX. */
struct probe {
    const char *key;
    size_t len;
    int found;
};

static int
first_entry(void *arg, struct store_val k, struct store_val v)
{
    struct probe *p = arg;
    (void)v;
    p->found = k.len > p->len && memcmp(k.data, p->key, p->len) == 0;
    return 1;
}

static int
verify_count(void *arg, struct store_val k, struct store_val v)
{
    struct verify_ctx *vc = arg;
    size_t pl = strlen(INDEX_COUNT_PREFIX);
    char msg[INDEX_KEY_MAX + 160], kt[INDEX_KEY_MAX + 32];
    (void)v;
    if (k.len <= pl + 1 || k.len - pl > INDEX_KEY_MAX)
        return 0;
    struct probe p = {(const char *)k.data + pl, k.len - pl, 0};
    if (store_scan(vc->t, DB_INDEX, p.key, p.len, 0, first_entry, &p) != SEAM_OK || p.found)
        return 0;
    key_text(p.key, p.len, kt, sizeof(kt));
    snprintf(msg, sizeof(msg), "index %s: a count is kept, the key has no entry", kt);
    vc->problems++;
    vc->report(vc->ctx, msg);
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
    size_t len = k.len >= INDEX_ID_BYTES ? k.len - INDEX_ID_BYTES : 0;
    if (len < 2 || key[len - 1] != '\0' || len > INDEX_KEY_MAX) {
        char msg[96];
        snprintf(msg, sizeof(msg), "index: an entry of %zu bytes is not an index entry", k.len);
        vc->problems++;
        vc->report(vc->ctx, msg);
        return 0;
    }
    index_entry_id(key + len, id);
    if (vc->run_n > 0 && (len != vc->run_len || memcmp(key, vc->run, len) != 0)) {
        verify_run(vc);
        vc->run_n = 0;
    }
    if (vc->run_n++ == 0) {
        memcpy(vc->run, key, len);
        vc->run_len = len;
    }
    if (!checkable(key, len))
        return 0;
    if (store_get(vc->t, DB_TICKETS, id, SEAM_ID_LEN, &set) != SEAM_OK)
        problem(vc, id, key, len, "extra (no such ticket)");
    else if (vc->applied != NULL && strcmp(id, vc->applied) > 0)
        problem(vc, id, key, len, "extra (the ticket's entries are pending, above the mark)");
    else if (store_get(vc->t, DB_INDEX_OF, id, SEAM_ID_LEN, &set) != SEAM_OK ||
             !index_set_has(set.data, set.len, key, len))
        problem(vc, id, key, len, "extra (the index has it, the record does not)");
    return 0;
}

uint64_t
index_verify(struct store_txn *t, evlog_report_fn report, void *ctx)
{
    char applied[SEAM_ID_LEN + 1];
    struct verify_ctx vc = {.t = t, .report = report, .ctx = ctx};
    if (!index_ready(t))
        return 0;
    enum seam_err rc = index_applied(t, applied);
    if (rc == SEAM_OK)
        vc.applied = applied;
    else if (rc != SEAM_ENOTFOUND) {
        report(ctx, "index: the mark of the pending entries cannot be read");
        return 1;
    }
    vc.counts = index_counts_ready(t);
    if (ticket_scan(t, verify_ticket, &vc) != SEAM_OK ||
        store_scan(t, DB_INDEX, NULL, 0, 0, verify_entry, &vc) != SEAM_OK ||
        (vc.counts &&
         store_scan_prefix(t, DB_META, INDEX_COUNT_PREFIX, verify_count, &vc) != SEAM_OK)) {
        vc.problems++;
        report(ctx, "index: the store could not be read to the end");
    }
    verify_run(&vc); /* the last key's */
    return vc.problems;
}
