/*
 * test_sla_agg.c: the SLA aggregates' histogram (every value read back
 * within the stated relative error; percentiles of random data, and of
 * merged histograms, within it of the exact nearest-rank percentile), and
 * the rows kept in a real store: after random tickets are recorded, changed
 * and emptied, the rows of any period of days are exactly the counts
 * computed from the tickets themselves (ticket-level counts once per ticket
 * however many days its assignments span), and the check names a row that
 * was tampered with.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla_agg.h"
#include "store.h"
#include "tap.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int
cmp64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static double
rel(double got, double want)
{
    if (want == 0)
        return got == 0 ? 0 : 1;
    double d = (got - want) / want;
    return d < 0 ? -d : d;
}

/* A random business time: zero now and then, else log-uniform from 1 ms to ~30 days. */
static int64_t
duration(void)
{
    if (rnd() % 20 == 0)
        return 0;
    double e = (double)(rnd() % 1000000) / 1000000.0 * 21.7; /* ln(2.6e9) */
    double v = 1;
    for (int i = 0; i < 100; i++) /* exp by repeated multiplication, no libm */
        v *= 1 + e / 100;
    return (int64_t)v;
}

static void
test_buckets(void)
{
    double worst = 0;
    int64_t v;
    for (int i = 0; i < 200000; i++) {
        v = (int64_t)(rnd() % 100000000000ULL) >> (rnd() % 36);
        double r = rel(sla_hist_value(sla_hist_bucket(v)), (double)v);
        if (r > worst)
            worst = r;
    }
    for (v = 0; v < 5000; v++) {
        double r = rel(sla_hist_value(sla_hist_bucket(v)), (double)v);
        if (r > worst)
            worst = r;
    }
    ok(worst <= SLA_HIST_ERROR, "every value reads back within %.4f (worst %.6f)", SLA_HIST_ERROR,
       worst);
    ok(sla_hist_bucket(0) == 0 && sla_hist_value(0) == 0, "0 is its own bucket and reads back 0");
    int mono = 1;
    for (v = 1; v < 100000; v++)
        mono &= sla_hist_bucket(v) >= sla_hist_bucket(v - 1);
    ok(mono, "buckets rise with the value");
    ok(sla_hist_bucket(INT64_MAX) == SLA_HIST_BUCKETS - 1, "a huge value goes to the last bucket");
}

static double
exact_pct(int64_t *v, size_t n, int p)
{
    qsort(v, n, sizeof(*v), cmp64);
    size_t rank = (size_t)((p * n + 99) / 100);
    return (double)v[(rank < 1 ? 1 : rank) - 1];
}

static void
test_quantiles(void)
{
    static int64_t a[SLA_HIST_BUCKETS], b[SLA_HIST_BUCKETS], m[SLA_HIST_BUCKETS];
    int64_t *all = malloc(40000 * sizeof(*all));
    double worst = 0, worst_merged = 0;
    int p_list[] = {1, 50, 90, 99, 100};
    ok(sla_hist_quantile(a, 50) < 0, "an empty histogram has no percentile");
    for (int round = 0; round < 40; round++) {
        memset(a, 0, sizeof(a));
        memset(b, 0, sizeof(b));
        size_t na = 1 + rnd() % 20000, nb = 1 + rnd() % 20000;
        for (size_t i = 0; i < na + nb; i++) {
            all[i] = duration();
            (i < na ? a : b)[sla_hist_bucket(all[i])]++;
        }
        for (unsigned k = 0; k < SLA_HIST_BUCKETS; k++)
            m[k] = a[k] + b[k];
        for (size_t j = 0; j < sizeof(p_list) / sizeof(p_list[0]); j++) {
            int p = p_list[j];
            int64_t *copy = malloc(na * sizeof(*copy));
            memcpy(copy, all, na * sizeof(*copy));
            double r = rel(sla_hist_quantile(a, p), exact_pct(copy, na, p));
            free(copy);
            if (r > worst)
                worst = r;
            copy = malloc((na + nb) * sizeof(*copy));
            memcpy(copy, all, (na + nb) * sizeof(*copy));
            r = rel(sla_hist_quantile(m, p), exact_pct(copy, na + nb, p));
            free(copy);
            if (r > worst_merged)
                worst_merged = r;
        }
    }
    free(all);
    ok(worst <= SLA_HIST_ERROR, "p1..p100 of random data within %.2f of the exact (worst %.6f)",
       SLA_HIST_ERROR, worst);
    ok(worst_merged <= SLA_HIST_ERROR,
       "... and of two histograms merged, against the union (worst %.6f)", worst_merged);
}

/* ---- rows in a store ---- */

static const char *const owners[] = {"alpha", "beta", "lead"};
#define NT 60
#define DAY 86400000LL
static struct ticket tks[NT];

/* A random ticket: 1-5 assignments over up to 40 days, random states and clocks. */
static void
make_ticket(struct ticket *tk, int i)
{
    memset(tk, 0, sizeof(*tk));
    snprintf(tk->id, sizeof(tk->id), "T%020d", i);
    tk->priority = (int)(rnd() % 4);
    tk->status = rnd() % 2 ? TS_RESOLVED : TS_IN_PROGRESS;
    int64_t t = 20000 * DAY + (int64_t)(rnd() % (30 * DAY));
    tk->created_at = t;
    tk->nassignments = 1 + rnd() % 5;
    tk->assignments = calloc(tk->nassignments, sizeof(struct assignment));
    for (size_t k = 0; k < tk->nassignments; k++) {
        struct assignment *a = &tk->assignments[k];
        t += (int64_t)(rnd() % (8 * DAY));
        snprintf(a->id, sizeof(a->id), "A%020d", i * 10 + (int)k);
        a->partner = (char *)owners[rnd() % 3];
        a->assigned_at = t;
        a->round = (int64_t)k;
        a->handback_reason = -1;
        a->resolved_at = a->handed_back_at = a->ended_at = -1;
        a->state = k + 1 < tk->nassignments    ? AS_HANDED_BACK
                   : tk->status == TS_RESOLVED ? AS_RESOLVED
                                               : AS_ACKNOWLEDGED;
        if (a->state == AS_HANDED_BACK) {
            a->handback_reason = (int)(rnd() % HB_COUNT);
            a->handed_back_at = t + 1000;
            a->held_ms = 1000;
        }
        if (rnd() % 4 == 0)
            flag_set_add(&a->flags, FLAG_DISPUTED);
        a->sla.present = 1;
        a->sla.ack_target_ms = 3600000;
        a->sla.resolve_target_ms = 86400000;
        a->sla.ack_business_ms = rnd() % 3 ? duration() : -1;
        a->sla.resolve_business_ms = duration();
        a->sla.breached.n = (uint8_t)(rnd() % 3);
    }
    if (rnd() % 3 == 0)
        flag_set_add(&tk->flags, FLAG_DISPUTED);
    tk->updated_at = t + 5000;
    tk->e2e.present = 1;
    tk->e2e.target_ms = 7200000;
    tk->e2e.resolved_business_ms = tk->status == TS_RESOLVED ? duration() : -1;
}

static void
add_count(void *ctx, unsigned field, int64_t v)
{
    ((int64_t *)ctx)[field] += v;
}

/* The expected counts of a period of days, overall and per owner, from the tickets. */
static void
expect(int64_t from_day, int64_t to_day, int64_t *all, int64_t (*per)[AGG_FIELDS])
{
    memset(all, 0, AGG_FIELDS * sizeof(int64_t));
    memset(per, 0, 3 * AGG_FIELDS * sizeof(int64_t));
    for (int i = 0; i < NT; i++) {
        const struct ticket *tk = &tks[i];
        int any = 0, mine[3] = {0};
        for (size_t k = 0; k < tk->nassignments; k++) {
            const struct assignment *a = &tk->assignments[k];
            int64_t d = sla_agg_day(a->assigned_at);
            if (d < from_day || d >= to_day)
                continue;
            int o = a->partner == owners[0] ? 0 : a->partner == owners[1] ? 1 : 2;
            sla_agg_assignment(tk, a, add_count, per[o]);
            sla_agg_assignment(tk, a, add_count, all);
            mine[o] = any = 1;
        }
        for (int o = 0; o < 3; o++)
            if (mine[o])
                sla_agg_ticket(tk, add_count, per[o]);
        if (any)
            sla_agg_ticket(tk, add_count, all);
    }
}

struct got {
    int64_t all[AGG_FIELDS], per[3][AGG_FIELDS];
};

static void
row(void *ctx, const char *owner, size_t len, const uint32_t *f, const int64_t *v, size_t n)
{
    struct got *g = ctx;
    int o = -1;
    for (int k = 0; k < 3; k++)
        if (strlen(owners[k]) == len && memcmp(owners[k], owner, len) == 0)
            o = k;
    for (size_t i = 0; i < n; i++) {
        if (o >= 0)
            g->per[o][f[i]] += v[i];
        if (len == 0 || f[i] < AGG_TICKETS)
            g->all[f[i]] += v[i];
    }
}

static enum seam_err
record_all(struct store_txn *t, void *ctx)
{
    (void)ctx;
    enum seam_err rc = SEAM_OK;
    for (int i = 0; rc == SEAM_OK && i < NT; i++)
        rc = sla_agg_record(t, &tks[i]);
    return rc;
}

/* Whether the rows of every period of a random sample equal the expected counts. */
static int
periods_agree(struct store *s, int *checked)
{
    static struct got g;
    static int64_t all[AGG_FIELDS], per[3][AGG_FIELDS];
    struct store_txn *t;
    int same = 1;
    if (store_read_begin(s, &t) != SEAM_OK)
        return 0;
    for (int k = 0; k < 60; k++) {
        int64_t from = 20000 + (int64_t)(rnd() % 70) - 2, to = from + 1 + (int64_t)(rnd() % 60);
        if (k == 0) {
            from = INT32_MIN + 1;
            to = INT64_MAX;
        }
        memset(&g, 0, sizeof(g));
        expect(from, to, all, per);
        if (sla_agg_rows(t, from, to, row, &g) != SEAM_OK)
            same = 0;
        same &= memcmp(g.all, all, sizeof(all)) == 0 && memcmp(g.per, per, sizeof(per)) == 0;
        (*checked)++;
    }
    store_read_end(t);
    return same;
}

static int
fails(void *ctx, struct store_val k, struct store_val v)
{
    (void)v;
    memcpy(ctx, k.data, k.len < 64 ? k.len : 64);
    return 1;
}

static char tampered_key[64];
static size_t tampered_len;
static unsigned char saved[65536];
static size_t saved_len;

static enum seam_err
tamper(struct store_txn *t, void *ctx)
{
    (void)ctx;
    static const unsigned char extra[] = {AGG_BREACHES, 2}; /* one more breach */
    enum seam_err rc = store_scan(t, DB_SLA_AGG, NULL, 0, 0, fails, tampered_key);
    struct store_val v;
    if (rc != SEAM_OK)
        return rc;
    tampered_len = 7 + strlen(tampered_key + 7);
    if ((rc = store_get(t, DB_SLA_AGG, tampered_key, tampered_len, &v)) != SEAM_OK)
        return rc;
    if (v.len > sizeof(saved))
        return SEAM_EINVAL;
    memcpy(saved, v.data, v.len);
    saved_len = v.len;
    /* a row of one breach in place of the old one */
    return store_put(t, DB_SLA_AGG, tampered_key, tampered_len, extra, sizeof(extra), 0);
}

static enum seam_err
untamper(struct store_txn *t, void *ctx)
{
    (void)ctx;
    return store_put(t, DB_SLA_AGG, tampered_key, tampered_len, saved, saved_len, 0);
}

static int problems_named;

static void
count_problem(void *ctx, const char *msg)
{
    (void)ctx;
    if (strstr(msg, "sla aggregates") != NULL || strstr(msg, "SLA aggregate") != NULL)
        problems_named++;
}

static uint64_t
check_all(struct store *s)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) != SEAM_OK)
        return 999;
    struct sla_agg_check *c = sla_agg_check_new(t);
    uint64_t n = 0;
    for (int i = 0; i < NT; i++)
        n += sla_agg_check_ticket(c, t, &tks[i], count_problem, NULL);
    n += sla_agg_check_end(c, t, count_problem, NULL);
    store_read_end(t);
    return n;
}

static enum seam_err
mark_ready(struct store_txn *t, void *ctx)
{
    (void)ctx;
    return sla_agg_set_ready(t, 1);
}

static void
test_rows(void)
{
    char *dir = tap_tmpdir();
    struct store *s = NULL;
    int checked = 0;
    ok(dir && store_open(dir, 1 << 24, 1 << 28, 1, &s) == SEAM_OK, "a store");
    for (int i = 0; i < NT; i++)
        make_ticket(&tks[i], i);
    ok(store_write(s, record_all, NULL, NULL, NULL) == SEAM_OK, "random tickets recorded");
    ok(periods_agree(s, &checked), "the rows of %d periods are the tickets' counts exactly",
       checked);
    /* Change some tickets (fewer or other assignments, other states), record again. */
    for (int i = 0; i < NT; i += 3) {
        free(tks[i].assignments);
        make_ticket(&tks[i], i);
    }
    ok(store_write(s, record_all, NULL, NULL, NULL) == SEAM_OK, "changed tickets recorded");
    checked = 0;
    ok(periods_agree(s, &checked), "... the rows follow: %d periods agree", checked);
    ok(store_write(s, record_all, NULL, NULL, NULL) == SEAM_OK, "recorded again, unchanged");
    checked = 0;
    ok(periods_agree(s, &checked), "... recording is idempotent");
    ok(store_write(s, mark_ready, NULL, NULL, NULL) == SEAM_OK && check_all(s) == 0,
       "the check finds nothing wrong");
    ok(store_write(s, tamper, NULL, NULL, NULL) == SEAM_OK, "a row tampered with");
    problems_named = 0;
    ok(check_all(s) == 1 && problems_named == 1, "the check names the day of the tampered row");
    /* Every ticket without assignments: the rows are gone. */
    ok(store_write(s, untamper, NULL, NULL, NULL) == SEAM_OK && check_all(s) == 0,
       "the row put back, the check passes again");
    for (int i = 0; i < NT; i++) {
        free(tks[i].assignments);
        tks[i].assignments = NULL;
        tks[i].nassignments = 0;
    }
    struct store_txn *t;
    ok(store_write(s, record_all, NULL, NULL, NULL) == SEAM_OK &&
           store_read_begin(s, &t) == SEAM_OK,
       "tickets without assignments recorded");
    uint64_t left = store_count(t, DB_SLA_AGG) + store_count(t, DB_SLA_CONTRIB);
    store_read_end(t);
    ok(left == 0, "no row and no contribution is left (%llu)", (unsigned long long)left);
    store_close(s);
    tap_rmtree(dir);
    free(dir);
}

/* The lead's days in its time zone, across a daylight-saving change. */
static void
test_days(void)
{
    struct config cfg;
    struct config_calendar oslo;
    memset(&cfg, 0, sizeof(cfg));
    memset(&oslo, 0, sizeof(oslo));
    oslo.timezone = "Europe/Oslo";
    oslo.always = 1;
    cfg.lead.calendar = &oslo;
    ok(sla_agg_use(&cfg) == 0, "the lead's calendar in Europe/Oslo");
    /* 2030-03-31: summer time from 01:00Z; the day starts at 22:00Z the evening before. */
    int64_t noon = 1901188800000LL; /* 2030-03-31T12:00:00Z */
    int64_t d = sla_agg_day(noon);
    ok(sla_agg_day_start(d) == 1901142000000LL, "31 March 2030 starts at 30 March 23:00Z (winter)");
    ok(sla_agg_day_start(d + 1) == 1901224800000LL,
       "1 April 2030 starts at 31 March 22:00Z (summer)");
    ok(sla_agg_parse_date("2030-04-01") == 1901224800000LL, "a date names its start in the zone");
    ok(sla_agg_day(1901224800000LL - 1) == d && sla_agg_day(1901224800000LL) == d + 1,
       "the last millisecond of a day and the first of the next");
    ok(sla_agg_parse_date("2030-02-29") < 0 && sla_agg_parse_date("2030-4-01") < 0 &&
           sla_agg_parse_date("2030-04-01T") < 0 && sla_agg_parse_date("1969-12-31") < 0,
       "no 29 February 2030, no short or long forms");
    ok(sla_agg_use(NULL) == 0 && sla_agg_day_start(sla_agg_day(noon)) == 1901145600000LL,
       "without a calendar, UTC days");
}

int
main(void)
{
    test_days();
    test_buckets();
    test_quantiles();
    test_rows();
    return done_testing();
}
