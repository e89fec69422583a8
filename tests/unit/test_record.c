/*
 * test_record.c: the record codec. Every record in tests/fixtures/records
 * (written by the broker before the record module, through the e2e flows:
 * filing, ack, progress, need-info, notes, resolve, each hand-back reason,
 * escalation, SLA warnings and breaches, TMF create and patch, reopen,
 * cancel, forced assignment) decodes, and encodes back to the same JSON
 * value (Jansson's json_equal), with "v":2 in its head; without the head it
 * is the record less "head". Old shapes (members absent, null, unknown)
 * survive; malformed records (truncated, wrong types, unknown names, bad
 * instants, a newer version) are SEAM_ECORRUPT and leave the ticket zeroed.
 * Times format and parse as format_time_ms writes them. The store round
 * trip: record_save then record_load; SEAM_ETOOBIG past max_bytes stores
 * nothing; a malformed id is SEAM_ENOTFOUND.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json_fast.h"
#include "record.h"
#include "store.h"
#include "tap.h"

static const char *dir = "tests/fixtures/records";

static char *
slurp(const char *path, size_t *len)
{
    char *text = NULL;
    if (read_file(path, 1 << 22, &text, len) != SEAM_OK)
        return NULL;
    return text;
}

/* Whether text re-encoded (with or without head) equals want (with "v":2 in
 * the head, or without the head). */
static int
round_trip(const char *name, const char *text, size_t len)
{
    struct ticket t;
    if (record_decode(text, len, &t) != SEAM_OK) {
        printf("# %s: does not decode\n", name);
        return 0;
    }
    json_t *want = json_loadb(text, len, 0, NULL);
    json_object_set_new(json_object_get(want, "head"), "v", json_integer(RECORD_VERSION));
    size_t n;
    char *got_text = record_encode(&t, 1, &n);
    json_t *got = json_loadb(got_text, n, 0, NULL);
    int same = got != NULL && json_equal(want, got);
    /* canonical (what Jansson's sorted compact dump writes) unless it keeps
     * members as they were stored (tmf, unknown ones) */
    char *canon = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    int canonical = canon != NULL && (strcmp(canon, got_text) == 0 || t.tmf != NULL ||
                                      strstr(got_text, "zz_new") != NULL);
    if (!same || !canonical) {
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
        printf("# %s: %s\n# want %s\n# got  %s\n", name, same ? "not canonical" : "differs", w,
               got_text);
        free(w);
    }
    free(canon);
    json_decref(got);
    free(got_text);
    /* the lead's view: without the head */
    json_object_del(want, "head");
    got_text = record_encode(&t, 0, &n);
    got = json_loadb(got_text, n, 0, NULL);
    int view = got != NULL && json_equal(want, got);
    if (!view)
        printf("# %s: the view without head differs\n", name);
    json_decref(got);
    free(got_text);
    json_decref(want);
    /* decoding the encoding gives the same encoding */
    struct ticket t2;
    char *e1 = record_encode(&t, 1, &n);
    int again = record_decode(e1, n, &t2) == SEAM_OK;
    size_t n2;
    char *e2 = again ? record_encode(&t2, 1, &n2) : NULL;
    again = again && n == n2 && memcmp(e1, e2, n) == 0;
    free(e1);
    free(e2);
    ticket_free(&t2);
    ticket_free(&t);
    return same && canonical && view && again;
}

static int
corrupt(const char *text)
{
    struct ticket t;
    memset(&t, 0x5a, sizeof(t));
    enum seam_err rc = record_decode(text, strlen(text), &t);
    struct ticket zero;
    memset(&zero, 0, sizeof(zero));
    return rc == SEAM_ECORRUPT && memcmp(&t, &zero, sizeof(t)) == 0;
}

/* text with the first occurrence of from replaced by to (malloc'd). */
static char *
replace(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    if (p == NULL)
        return NULL;
    return xasprintf("%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
}

struct save_ctx {
    const char *sample;
    int good;
};

static enum seam_err
save_apply(struct store_txn *txn, void *ctx)
{
    struct save_ctx *sc = ctx;
    struct ticket a, b;
    if (record_decode(sc->sample, strlen(sc->sample), &a) != SEAM_OK)
        return SEAM_OK;
    size_t n;
    char *e = record_encode(&a, 1, &n);
    int good = record_save(txn, &a, 0, n - 1) == SEAM_ETOOBIG &&
               record_load(txn, a.id, &b) == SEAM_ENOTFOUND;
    good = good && record_save(txn, &a, 0, n) == SEAM_OK && record_load(txn, a.id, &b) == SEAM_OK;
    if (good) {
        size_t n2;
        char *e2 = record_encode(&b, 1, &n2);
        good = n == n2 && memcmp(e, e2, n) == 0;
        free(e2);
        ticket_free(&b);
    }
    good = good && record_load(txn, "T123", &b) == SEAM_ENOTFOUND &&
           record_load(txn, "A01a22c561a06df615b2f", &b) == SEAM_ENOTFOUND;
    free(e);
    ticket_free(&a);
    sc->good = good;
    return SEAM_OK;
}

/* The migration: records put as the old broker wrote them, some marked done. */
struct mig_ctx {
    char *texts[5];
    char ids[5][SEAM_ID_LEN + 1];
    const char *next;   /* format.next to set, or NULL */
    const char *format; /* format to set, or NULL */
    int v2[5];          /* after: whether each record's head has "v":2 */
    unsigned fmt;
};

static enum seam_err
mig_put(struct store_txn *t, void *ctx)
{
    struct mig_ctx *m = ctx;
    enum seam_err rc = SEAM_OK;
    for (int i = 0; i < 5 && rc == SEAM_OK; i++)
        rc = store_put(t, DB_TICKETS, m->ids[i], SEAM_ID_LEN, m->texts[i], strlen(m->texts[i]), 0);
    if (rc == SEAM_OK && m->next)
        rc = store_put(t, DB_META, "format.next", 11, m->next, strlen(m->next), 0);
    if (rc == SEAM_OK && m->format)
        rc = store_put(t, DB_META, "format", 6, m->format, strlen(m->format), 0);
    return rc;
}

static enum seam_err
mig_look(struct store_txn *t, void *ctx)
{
    struct mig_ctx *m = ctx;
    struct store_val v;
    for (int i = 0; i < 5; i++) {
        m->v2[i] = 0;
        if (store_get(t, DB_TICKETS, m->ids[i], SEAM_ID_LEN, &v) == SEAM_OK) {
            char *text = xasprintf("%.*s", (int)v.len, (const char *)v.data);
            m->v2[i] = strstr(text, "\"v\":2") != NULL;
            free(text);
        }
    }
    return record_format_get(t, &m->fmt);
}

/* Puts the records (and META values), migrates with batch 2; the result. */
static enum seam_err
mig_run(struct mig_ctx *m, uint64_t *rewritten)
{
    char *sdir = tap_tmpdir();
    struct store *s = NULL;
    enum seam_err rc = SEAM_EIO;
    if (sdir && store_open(sdir, 1 << 24, 1 << 26, 1, &s) == SEAM_OK &&
        store_write(s, mig_put, m, NULL, NULL) == SEAM_OK) {
        rc = record_migrate(s, 2, rewritten);
        if (store_write(s, mig_look, m, NULL, NULL) != SEAM_OK)
            rc = SEAM_EIO;
    }
    if (s)
        store_close(s);
    if (sdir)
        tap_rmtree(sdir);
    free(sdir);
    return rc;
}

int
main(void)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        dir = "../tests/fixtures/records";
        d = opendir(dir);
    }
    ok(d != NULL, "the fixtures are there");
    if (d == NULL)
        return done_testing();
    int files = 0, good = 0;
    size_t bench_bytes = 0;
    char *sample = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strstr(de->d_name, ".json") == NULL)
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        size_t len;
        char *text = slurp(path, &len);
        files++;
        good += text != NULL && round_trip(de->d_name, text, len);
        /* RECORD_BENCH=N: decode and encode it N times more (for callgrind) */
        for (long i = 0, n = text && getenv("RECORD_BENCH") ? atol(getenv("RECORD_BENCH")) : 0;
             i < n; i++) {
            struct ticket bt;
            if (record_decode(text, len, &bt) == SEAM_OK) {
                size_t blen;
                free(record_encode(&bt, 1, &blen));
                ticket_free(&bt);
            }
        }
        bench_bytes += text ? len : 0;
        if (text != NULL && strstr(text, "\"sla\"") && strstr(text, "\"handback_reason\"") &&
            sample == NULL)
            sample = xstrdup(text);
        free(text);
        free(path);
    }
    closedir(d);
    if (getenv("RECORD_BENCH"))
        printf("# %zu bytes of records, each decoded and encoded %s times more\n", bench_bytes,
               getenv("RECORD_BENCH"));
    ok(files >= 30 && good == files, "%d of %d records written by the broker round trip", good,
       files);
    if (sample == NULL)
        return done_testing();

    /* members the model does not know are kept, at the top and in an assignment */
    char *x = replace(sample, "{\"id\":", "{\"zz_new\":{\"a\":[1,2.5,null]},\"id\":");
    char *y = replace(x, "\"partner\":", "\"later\":\"\\u00e9\",\"partner\":");
    ok(y != NULL && round_trip("unknown members", y, strlen(y)), "unknown members kept verbatim");
    free(x);
    free(y);

    /* older shapes: no customer_visible/topic, no e2e, no sla, no tmf */
    struct ticket t;
    if (record_decode(sample, strlen(sample), &t) == SEAM_OK) {
        t.customer_visible = -1;
        free(t.topic);
        t.topic = NULL;
        t.e2e.present = 0;
        t.assignments[0].sla.present = 0;
        t.assignments[0].due_ack = SEAM_ABSENT_MS;
        t.assignments[0].due_resolve = SEAM_ABSENT_MS;
        size_t n;
        char *old = record_encode(&t, 1, &n);
        json_t *j = json_loadb(old, n, 0, NULL);
        ok(j && !json_object_get(j, "customer_visible") && !json_object_get(j, "topic") &&
               !json_object_get(j, "e2e") &&
               !json_object_get(json_array_get(json_object_get(j, "assignments"), 0), "sla") &&
               !json_object_get(json_array_get(json_object_get(j, "assignments"), 0), "due"),
           "absent members stay absent");
        json_object_del(json_object_get(j, "head"), "v"); /* a version 1 record */
        char *v1 = json_dumps(j, JSON_COMPACT);
        ok(round_trip("old shape", v1, strlen(v1)), "an old shape round trips");
        free(v1);
        json_decref(j);
        free(old);
        ticket_free(&t);
    }

    /* malformed records */
    int all = 1;
    size_t slen = strlen(sample);
    for (size_t n = 0; n < slen; n += 7) {
        char *cut = xasprintf("%.*s", (int)n, sample);
        all &= corrupt(cut);
        free(cut);
    }
    ok(all, "every truncation is SEAM_ECORRUPT and leaves the ticket zeroed");
    static const char *const swaps[][2] = {
        {"\"status\":\"", "\"status\":\"x"},
        {"\"state\":\"", "\"state\":\"x"},
        {"\"type\":\"", "\"type\":\"x"},
        {"\"visibility\":\"", "\"visibility\":\"x"},
        {"\"handback_reason\":\"", "\"handback_reason\":\"x"},
        {"\"priority\":\"", "\"priority\":\"x"},
        {"\"round\":", "\"round\":\"1\",\"x\":"},
        {"\"assignments\":[", "\"assignments\":{},\"x\":["},
        {"\"created_at\":\"", "\"created_at\":\"1"},
        {"\"at\":\"20", "\"at\":\"19"},
        {"\"events\":", "\"v\":3,\"events\":"},
        {"\"events\":", "\"events\":-"},
        {"\"warned\":[", "\"warned\":[\"soon\","},
        {"\"id\":\"", "\"id\":\"TOOLONGTOOLONGTOOLONGTOOLONG"},
        {"\"customer\":\"", "\"customer\":\"\\ud800"},
        {"\"due\":{", "\"due\":{\"x\":1,"},
        /* Negative numbers stand for null and absent in the model. */
        {"\"round\":", "\"round\":-"},
        {"\"bounces\":", "\"bounces\":-1"},
        {"\"chain_position\":", "\"chain_position\":-1"},
        {"\"held_ms\":", "\"held_ms\":-1"},
        {"\"created_at\":\"20", "\"created_at\":\"19"},
    };
    all = 1;
    for (size_t i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
        char *bad = replace(sample, swaps[i][0], swaps[i][1]);
        int c = bad != NULL && corrupt(bad);
        if (!c)
            printf("# not refused: %s\n", swaps[i][1]);
        all &= c;
        free(bad);
    }
    ok(all, "wrong types, unknown names, bad instants, negative numbers, a newer version: "
            "SEAM_ECORRUPT");
    ok(corrupt("") && corrupt("[]") && corrupt("{}") && corrupt("null"),
       "not a record: SEAM_ECORRUPT");

    /* times */
    all = 1;
    int64_t samples[] = {0,
                         1,
                         999,
                         1796040169990,
                         951782400000 /* 2000-02-29 */,
                         4102444799999,
                         253402300799999 /* 9999-12-31T23:59:59.999 */};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char want[32], got[32];
        int64_t back;
        format_time_ms(samples[i], want);
        record_time_format(samples[i], got);
        all &= strcmp(want, got) == 0 && record_time_parse(got, strlen(got), &back) &&
               back == samples[i];
    }
    for (int64_t ms = 0; ms < 4102444800000; ms += 7777777777) {
        char want[32], got[32];
        int64_t back;
        format_time_ms(ms, want);
        record_time_format(ms, got);
        all &= strcmp(want, got) == 0 && record_time_parse(want, strlen(want), &back) && back == ms;
    }
    ok(all, "instants formatted as format_time_ms writes them and parsed back");
    int64_t ms;
    ok(!record_time_parse("2026-02-29T00:00:00.000Z", 24, &ms) &&
           !record_time_parse("2026-11-30T24:00:00.000Z", 24, &ms) &&
           !record_time_parse("2026-11-30T12:00:00Z", 20, &ms) &&
           !record_time_parse("2026-11-30 12:00:00.000Z", 24, &ms),
       "instants of another shape refused");

    /* the store */
    char *sdir = tap_tmpdir();
    struct store *s = NULL;
    struct save_ctx sc = {sample, 0};
    ok(sdir && store_open(sdir, 1 << 24, 1 << 26, 1, &s) == SEAM_OK &&
           store_write(s, save_apply, &sc, NULL, NULL) == SEAM_OK && sc.good,
       "record_save then record_load; past max_bytes nothing is stored; bad ids not found");
    if (s)
        store_close(s);
    if (sdir)
        tap_rmtree(sdir);
    free(sdir);
    /* the migration over five records of the old broker, two a transaction */
    struct mig_ctx m;
    memset(&m, 0, sizeof(m));
    d = opendir(dir);
    int k = 0;
    while (d != NULL && k < 5 && (de = readdir(d)) != NULL) {
        if (strstr(de->d_name, ".json") == NULL)
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        size_t len;
        m.texts[k] = slurp(path, &len);
        free(path);
        json_t *j = json_loads(m.texts[k], 0, NULL);
        snprintf(m.ids[k], sizeof(m.ids[k]), "%s", json_string_value(json_object_get(j, "id")));
        json_decref(j);
        k++;
    }
    if (d)
        closedir(d);
    /* in key order */
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++)
            if (strcmp(m.ids[i], m.ids[j]) > 0) {
                char tmp[SEAM_ID_LEN + 1], *tt = m.texts[i];
                memcpy(tmp, m.ids[i], sizeof(tmp));
                memcpy(m.ids[i], m.ids[j], sizeof(tmp));
                memcpy(m.ids[j], tmp, sizeof(tmp));
                m.texts[i] = m.texts[j];
                m.texts[j] = tt;
            }
    uint64_t rewritten = 0;
    enum seam_err rc = mig_run(&m, &rewritten);
    ok(k == 5 && rc == SEAM_OK && rewritten == 5 && m.fmt == RECORD_FORMAT && m.v2[0] && m.v2[1] &&
           m.v2[2] && m.v2[3] && m.v2[4],
       "migrate: every record re-encoded to version 2, the format set to %u", RECORD_FORMAT);
    m.next = m.ids[2];
    rc = mig_run(&m, &rewritten);
    ok(rc == SEAM_OK && rewritten == 3 && m.fmt == RECORD_FORMAT && !m.v2[0] && !m.v2[1] &&
           m.v2[2] && m.v2[3] && m.v2[4],
       "migrate: interrupted, it resumes where format.next says");
    m.next = NULL;
    m.format = "2";
    rc = mig_run(&m, &rewritten);
    ok(rc == SEAM_OK && rewritten == 0 && !m.v2[0] && m.fmt == 3,
       "migrate: a store at format 2 has no record rewritten, and is stamped 3 (its records are "
       "format 3's)");
    m.format = "4";
    rc = mig_run(&m, &rewritten);
    ok(rc == SEAM_ECORRUPT && m.fmt == 4 && !m.v2[0], "migrate: a newer store is refused");
    m.format = NULL;
    free(m.texts[1]);
    m.texts[1] = xstrdup("{\"id\":\"broken\"");
    rc = mig_run(&m, &rewritten);
    ok(rc == SEAM_ECORRUPT && m.fmt == 1, "migrate: a record it cannot read stops it at format 1");
    for (int i = 0; i < 5; i++)
        free(m.texts[i]);
    free(sample);
    return done_testing();
}
