/*
 * sla_agg.c: the SLA aggregates (see sla_agg.h): what one ticket
 * contributes, the rows of DB_SLA_AGG kept in step with the records, the
 * histogram the percentiles come from, and the check of rows against
 * records. It reads no ticket record: its callers hand it decoded tickets.
 *
 * Encodings (all integers LEB128 varints, values zigzag):
 *   a row key:     be32 (day + 2^31) || priority + 1 || be16 link gap (0: a
 *                  day row) || owner id ("" for the overall ticket-level row)
 *   a count list:  (field - previous field, zigzag value) pairs, fields rising,
 *                  no zero value
 *   DB_SLA_AGG:    row key -> count list
 *   DB_SLA_CONTRIB: ticket id -> (key length, key, list length, list)...,
 *                  keys rising: the ticket's last contribution
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "log.h"
#include "sla_agg.h"

#define META_AGG "sla_agg.format" /* "2 " || the time zone the days are in */
#define META_AGG_NEXT "sla_agg.next"
/* 2: a reopened ticket's time resolved is not time without an owner (sla_agg_without_owner);
 * a store of format 1 has its contributions made again at the broker's next start. */
#define AGG_FORMAT "2"
#define KEY_MAX (4 + 1 + 2 + 256)

static struct calendar *lead_cal; /* set before threads; NULL: UTC */
static char lead_zone[128] = "UTC";

/* ---- the histogram ---- */

/* upper[b]: the largest value of bucket b (GAMMA^(b-1); 0 for bucket 0), by
 * repeated multiplication, so that no libm is needed and bucket and value
 * read the same table. */
static double upper[SLA_HIST_BUCKETS];
static pthread_once_t upper_once = PTHREAD_ONCE_INIT;

static void
upper_init(void)
{
    double u = 1.0;
    upper[0] = 0;
    for (unsigned b = 1; b < SLA_HIST_BUCKETS; b++) {
        upper[b] = u;
        u *= SLA_HIST_GAMMA;
    }
}

unsigned
sla_hist_bucket(int64_t ms)
{
    pthread_once(&upper_once, upper_init);
    if (ms <= 0)
        return 0;
    double v = (double)ms;
    unsigned lo = 1, hi = SLA_HIST_BUCKETS - 1; /* the first bucket whose upper >= v */
    if (v > upper[hi])
        return hi;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (upper[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

double
sla_hist_value(unsigned bucket)
{
    pthread_once(&upper_once, upper_init);
    if (bucket == 0 || bucket >= SLA_HIST_BUCKETS)
        return 0;
    return 2.0 * upper[bucket] / (SLA_HIST_GAMMA + 1.0);
}

double
sla_hist_quantile(const int64_t *counts, int p)
{
    int64_t n = 0, seen = 0;
    for (unsigned b = 0; b < SLA_HIST_BUCKETS; b++)
        n += counts[b];
    if (n <= 0)
        return -1;
    int64_t rank = ((int64_t)p * n + 99) / 100;
    if (rank < 1)
        rank = 1;
    for (unsigned b = 0; b < SLA_HIST_BUCKETS; b++) {
        seen += counts[b];
        if (seen >= rank)
            return sla_hist_value(b);
    }
    return sla_hist_value(SLA_HIST_BUCKETS - 1);
}

/* ---- a contribution ---- */

/* Whether round's claims came to the lead, disputed, after hand-backs. */
static int
round_disputed(const struct ticket *tk, int64_t round)
{
    for (size_t i = 0; i < tk->nassignments; i++)
        if (tk->assignments[i].round == round &&
            flag_set_has(&tk->assignments[i].flags, FLAG_DISPUTED))
            return 1;
    return 0;
}

void
sla_agg_assignment(const struct ticket *tk, const struct assignment *asg, sla_agg_add_fn add,
                   void *ctx)
{
    const struct sla_clock *k = &asg->sla;
    int64_t ack = k->present ? k->ack_business_ms : -1;
    int64_t res = k->present ? k->resolve_business_ms : -1;
    add(ctx, AGG_ASSIGNMENTS, 1);
    if (ack >= 0) {
        add(ctx, AGG_ACKED, 1);
        add(ctx, AGG_ACK_WITHIN, ack <= k->ack_target_ms);
        add(ctx, AGG_HIST_ACK + sla_hist_bucket(ack), 1);
    }
    if (asg->state == AS_RESOLVED && res >= 0) {
        add(ctx, AGG_RESOLVED, 1);
        add(ctx, AGG_RESOLVE_WITHIN, res <= k->resolve_target_ms);
        add(ctx, AGG_HIST_RESOLVE + sla_hist_bucket(res), 1);
    }
    add(ctx, AGG_BREACHES, k->breached.n);
    if (asg->state == AS_HANDED_BACK) {
        add(ctx, AGG_HANDBACKS, 1);
        if (res > 0)
            add(ctx, AGG_HANDBACK_MS, res);
        if (asg->handback_reason >= 0 && asg->handback_reason < HB_COUNT)
            add(ctx, AGG_HB_REASON + (unsigned)asg->handback_reason, 1);
        if (round_disputed(tk, asg->round)) {
            add(ctx, AGG_DISPUTED_HANDBACKS, 1);
            if (asg->held_ms > 0)
                add(ctx, AGG_DISPUTED_HANDBACK_MS, asg->held_ms);
        }
    }
    add(ctx, AGG_DISPUTED, flag_set_has(&tk->flags, FLAG_DISPUTED));
}

int64_t
sla_agg_without_owner(const struct ticket *tk)
{
    /* An open ticket's end is "now"; any instant not before its last
     * assignment gives the same sum (only gaps before an assignment count),
     * so the record alone decides it and nothing changes with time alone.
     * A gap after a claim's resolution, before a claim of a later round, is
     * the time the ticket sat resolved until the customer reopened it: the
     * customer's, not a gap (a reopening starts a round at once). */
    int64_t covered = tk->created_at, end = INT64_MAX, total = 0, covered_round = -1;
    int resolved = 0; /* the coverage so far ended with a claim's resolution */
    if (tk->status == TS_RESOLVED || tk->status == TS_CLOSED || tk->status == TS_CANCELLED)
        end = tk->updated_at;
    /* Assignments are appended in time order; each covers from assignment to its end. */
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        int64_t from = a->assigned_at, to = end;
        const int64_t ends[] = {a->resolved_at, a->handed_back_at, a->ended_at};
        int by_resolution = 0;
        for (int k = 0; k < 3; k++)
            if (ends[k] >= 0 && ends[k] < to) {
                to = ends[k];
                by_resolution = k == 0;
            }
        if (from > covered && from <= end && !(resolved && a->round > covered_round))
            total += from - covered;
        if (to > covered || (from > covered && resolved && a->round > covered_round)) {
            covered = to > from ? to : from;
            resolved = by_resolution;
            covered_round = a->round;
        }
    }
    /* A resolved ticket's time after its last resolution is the customer's, not a gap. */
    return total;
}

void
sla_agg_ticket(const struct ticket *tk, sla_agg_add_fn add, void *ctx)
{
    add(ctx, AGG_TICKETS, 1);
    for (int f = 0; f < FLAG_COUNT; f++)
        add(ctx, AGG_FLAGGED + (unsigned)f, ticket_has_flag(tk, (enum ticket_flag)f));
    add(ctx, AGG_WITHOUT_OWNER_MS, sla_agg_without_owner(tk));
    int64_t took = tk->e2e.present ? tk->e2e.resolved_business_ms : -1;
    if (took >= 0) {
        add(ctx, AGG_E2E_RESOLVED, 1);
        add(ctx, AGG_E2E_WITHIN, took <= tk->e2e.target_ms);
        add(ctx, AGG_HIST_E2E + sla_hist_bucket(took), 1);
    }
}

/* ---- sparse count lists ---- */

struct svec {
    size_t n, cap;
    uint32_t *f;
    int64_t *v;
};

static void
svec_add(struct svec *s, uint32_t f, int64_t v)
{
    if (v == 0)
        return;
    size_t lo = s->n, hi = s->n;
    if (s->n > 0 && s->f[s->n - 1] >= f) /* else: appended, as a decoded list is */
        lo = 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->f[mid] < f)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n && s->f[lo] == f) {
        s->v[lo] += v;
        if (s->v[lo] == 0) {
            memmove(s->f + lo, s->f + lo + 1, (s->n - lo - 1) * sizeof(*s->f));
            memmove(s->v + lo, s->v + lo + 1, (s->n - lo - 1) * sizeof(*s->v));
            s->n--;
        }
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->f = xrealloc(s->f, s->cap * sizeof(*s->f));
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    memmove(s->f + lo + 1, s->f + lo, (s->n - lo) * sizeof(*s->f));
    memmove(s->v + lo + 1, s->v + lo, (s->n - lo) * sizeof(*s->v));
    s->f[lo] = f;
    s->v[lo] = v;
    s->n++;
}

static void
svec_free(struct svec *s)
{
    free(s->f);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

struct buf {
    unsigned char *p;
    size_t n, cap;
};

static void
buf_put(struct buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void
buf_varint(struct buf *b, uint64_t x)
{
    unsigned char t[10];
    size_t n = 0;
    do {
        t[n] = (unsigned char)(x & 0x7f);
        x >>= 7;
        if (x)
            t[n] |= 0x80;
        n++;
    } while (x);
    buf_put(b, t, n);
}

/* 0 at the end or on a malformed varint. */
static int
get_varint(const unsigned char **p, const unsigned char *end, uint64_t *x)
{
    uint64_t v = 0;
    for (unsigned sh = 0; *p < end && sh < 64; sh += 7) {
        unsigned char c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << sh;
        if (!(c & 0x80)) {
            *x = v;
            return 1;
        }
    }
    return 0;
}

static void
svec_encode(const struct svec *s, struct buf *b)
{
    uint32_t prev = 0;
    for (size_t i = 0; i < s->n; i++) {
        buf_varint(b, s->f[i] - prev);
        prev = s->f[i];
        uint64_t v = (uint64_t)s->v[i];
        buf_varint(b, (v << 1) ^ (uint64_t)(s->v[i] >> 63));
    }
}

/* Calls fn for each pair of an encoded list; SEAM_ECORRUPT if malformed. */
static enum seam_err
list_each(const unsigned char *p, size_t len, void (*fn)(void *, uint32_t, int64_t), void *ctx)
{
    const unsigned char *end = p + len;
    uint64_t f = 0, d, z;
    while (p < end) {
        if (!get_varint(&p, end, &d) || !get_varint(&p, end, &z))
            return SEAM_ECORRUPT;
        f += d;
        if (f >= AGG_FIELDS)
            return SEAM_ECORRUPT;
        fn(ctx, (uint32_t)f, (int64_t)(z >> 1) ^ -(int64_t)(z & 1));
    }
    return SEAM_OK;
}

static void
svec_add_cb(void *ctx, uint32_t f, int64_t v)
{
    svec_add(ctx, f, v);
}

struct svec_neg {
    struct svec *s;
};

static void
svec_sub_cb(void *ctx, uint32_t f, int64_t v)
{
    svec_add(((struct svec_neg *)ctx)->s, f, -v);
}

/* ---- days ---- */

int
sla_agg_use(const struct config *cfg)
{
    calendar_free(lead_cal);
    lead_cal = NULL;
    snprintf(lead_zone, sizeof(lead_zone), "UTC");
    if (cfg == NULL || cfg->lead.calendar == NULL || cfg->lead.calendar->timezone == NULL)
        return 0;
    lead_cal = calendar_new(cfg->lead.calendar);
    if (lead_cal == NULL)
        return -1;
    snprintf(lead_zone, sizeof(lead_zone), "%s", cfg->lead.calendar->timezone);
    return 0;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
day_in(struct calendar *cal, int64_t ms)
{
    return cal ? calendar_day_number(cal, ms) : floor_div(ms, 86400000);
}

int64_t
sla_agg_day(int64_t ms)
{
    return day_in(lead_cal, ms);
}

int64_t
sla_agg_day_start(int64_t day)
{
    return lead_cal ? calendar_day_start(lead_cal, day) : day * 86400000;
}

int64_t
sla_agg_parse_date(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31 ||
        y < 1970)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return -1;
    return sla_agg_day_start(days_from_civil(y, m, d));
}

/* ---- a ticket's contribution, by row ---- */

struct entry {
    unsigned char key[KEY_MAX];
    size_t klen;
    struct svec v;
};

struct contrib {
    struct entry *e;
    size_t n, cap;
};

static size_t
make_key(unsigned char *k, int64_t day, int prio, unsigned gap, const char *owner)
{
    uint32_t d = (uint32_t)(day + 2147483648LL);
    size_t olen = strlen(owner);
    if (olen > KEY_MAX - 7)
        olen = KEY_MAX - 7;
    k[0] = (unsigned char)(d >> 24);
    k[1] = (unsigned char)(d >> 16);
    k[2] = (unsigned char)(d >> 8);
    k[3] = (unsigned char)d;
    k[4] = (unsigned char)(prio + 1);
    k[5] = (unsigned char)(gap >> 8);
    k[6] = (unsigned char)gap;
    memcpy(k + 7, owner, olen);
    return 7 + olen;
}

static int
key_cmp(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static struct svec *
contrib_row(struct contrib *c, const unsigned char *key, size_t klen)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (key_cmp(c->e[mid].key, c->e[mid].klen, key, klen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->n && key_cmp(c->e[lo].key, c->e[lo].klen, key, klen) == 0)
        return &c->e[lo].v;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->e = xrealloc(c->e, c->cap * sizeof(*c->e));
    }
    memmove(c->e + lo + 1, c->e + lo, (c->n - lo) * sizeof(*c->e));
    memset(&c->e[lo], 0, sizeof(c->e[lo]));
    memcpy(c->e[lo].key, key, klen);
    c->e[lo].klen = klen;
    c->n++;
    return &c->e[lo].v;
}

static void
contrib_free(struct contrib *c)
{
    for (size_t i = 0; i < c->n; i++)
        svec_free(&c->e[i].v);
    free(c->e);
    memset(c, 0, sizeof(*c));
}

struct signed_add {
    struct svec *s;
    int sign;
};

static void
signed_add_cb(void *ctx, unsigned field, int64_t v)
{
    struct signed_add *a = ctx;
    svec_add(a->s, field, a->sign * v);
}

static int
cmp_day(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* The ticket-level rows of owner (NULL: every owner, the overall row ""). */
static void
ticket_rows(struct contrib *c, const struct ticket *tk, const int64_t *days, const char *owner)
{
    int64_t *mine = xmalloc((tk->nassignments + 1) * sizeof(*mine));
    size_t n = 0;
    unsigned char key[KEY_MAX];
    for (size_t i = 0; i < tk->nassignments; i++)
        if (owner == NULL || strcmp(tk->assignments[i].partner, owner) == 0)
            mine[n++] = days[i];
    qsort(mine, n, sizeof(*mine), cmp_day);
    int64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && mine[i] == prev)
            continue;
        size_t kl = make_key(key, mine[i], tk->priority, 0, owner ? owner : "");
        struct signed_add a = {contrib_row(c, key, kl), 1};
        sla_agg_ticket(tk, signed_add_cb, &a);
        if (i > 0) {
            int64_t gap = mine[i] - prev;
            kl = make_key(key, prev, tk->priority, gap > 65535 ? 65535 : (unsigned)gap,
                          owner ? owner : "");
            struct signed_add l = {contrib_row(c, key, kl), -1};
            sla_agg_ticket(tk, signed_add_cb, &l);
        }
        prev = mine[i];
    }
    free(mine);
}

static void
contrib_of(struct calendar *cal, const struct ticket *tk, struct contrib *c)
{
    unsigned char key[KEY_MAX];
    if (tk->nassignments == 0)
        return;
    int64_t *days = xmalloc(tk->nassignments * sizeof(*days));
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        days[i] = day_in(cal, a->assigned_at);
        size_t kl = make_key(key, days[i], tk->priority, 0, a->partner);
        struct signed_add s = {contrib_row(c, key, kl), 1};
        sla_agg_assignment(tk, a, signed_add_cb, &s);
    }
    ticket_rows(c, tk, days, NULL);
    for (size_t i = 0; i < tk->nassignments; i++) {
        int first = 1;
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(tk->assignments[j].partner, tk->assignments[i].partner) != 0;
        if (first)
            ticket_rows(c, tk, days, tk->assignments[i].partner);
    }
    free(days);
}

static void
contrib_encode(const struct contrib *c, struct buf *b)
{
    struct buf l = {0};
    for (size_t i = 0; i < c->n; i++) {
        if (c->e[i].v.n == 0)
            continue;
        l.n = 0;
        svec_encode(&c->e[i].v, &l);
        buf_varint(b, c->e[i].klen);
        buf_put(b, c->e[i].key, c->e[i].klen);
        buf_varint(b, l.n);
        buf_put(b, l.p, l.n);
    }
    free(l.p);
}

/* Calls fn for each row of an encoded contribution. */
static enum seam_err
contrib_each(const unsigned char *p, size_t len,
             void (*fn)(void *, const unsigned char *, size_t, const unsigned char *, size_t),
             void *ctx)
{
    const unsigned char *end = p + len;
    uint64_t kl, ll;
    while (p < end) {
        if (!get_varint(&p, end, &kl) || kl > KEY_MAX || kl < 7 || (size_t)(end - p) < kl)
            return SEAM_ECORRUPT;
        const unsigned char *k = p;
        p += kl;
        if (!get_varint(&p, end, &ll) || (size_t)(end - p) < ll)
            return SEAM_ECORRUPT;
        fn(ctx, k, kl, p, ll);
        p += ll;
    }
    return SEAM_OK;
}

struct sub_ctx {
    struct contrib *c;
    enum seam_err rc;
};

static void
sub_row(void *arg, const unsigned char *k, size_t kl, const unsigned char *l, size_t ll)
{
    struct sub_ctx *s = arg;
    struct svec_neg n = {contrib_row(s->c, k, kl)};
    if (list_each(l, ll, svec_sub_cb, &n) != SEAM_OK)
        s->rc = SEAM_ECORRUPT;
}

/* ---- keeping the rows ---- */

/* A row's delta added to the row in the store; a row summing to nothing is deleted. */
struct apply_ctx {
    struct store_txn *t;
    struct buf row;
    struct svec sum;
    enum seam_err rc;
};

static void
apply_row(void *arg, const unsigned char *k, size_t kl, const unsigned char *l, size_t ll)
{
    struct apply_ctx *a = arg;
    struct store_val cur;
    enum seam_err rc;
    if (a->rc != SEAM_OK)
        return;
    a->sum.n = 0;
    rc = store_get(a->t, DB_SLA_AGG, k, kl, &cur);
    if (rc == SEAM_OK)
        rc = list_each(cur.data, cur.len, svec_add_cb, &a->sum);
    else if (rc == SEAM_ENOTFOUND)
        rc = SEAM_OK;
    if (rc == SEAM_OK)
        rc = list_each(l, ll, svec_add_cb, &a->sum);
    if (rc == SEAM_OK && a->sum.n == 0) {
        rc = store_del(a->t, DB_SLA_AGG, k, kl);
        if (rc == SEAM_ENOTFOUND)
            rc = SEAM_OK;
    } else if (rc == SEAM_OK) {
        a->row.n = 0;
        svec_encode(&a->sum, &a->row);
        rc = store_put(a->t, DB_SLA_AGG, k, kl, a->row.p, a->row.n, 0);
    }
    a->rc = rc;
}

/* The rows' deltas of one save, encoded as a contribution. */
struct deltas {
    size_t n;
    unsigned char p[];
};

static enum seam_err
apply_deltas(struct store_txn *t, void *arg)
{
    const struct deltas *d = arg;
    struct apply_ctx a = {t, {0}, {0}, SEAM_OK};
    enum seam_err rc = contrib_each(d->p, d->n, apply_row, &a);
    free(a.row.p);
    svec_free(&a.sum);
    return rc != SEAM_OK ? rc : a.rc;
}

enum seam_err
sla_agg_record(struct store_txn *t, const struct ticket *tk)
{
    struct contrib now = {0}, delta = {0};
    struct buf enc = {0}, denc = {0};
    struct store_val old;
    enum seam_err rc;
    size_t idlen = strlen(tk->id);
    contrib_of(lead_cal, tk, &now);
    contrib_encode(&now, &enc);
    rc = store_get(t, DB_SLA_CONTRIB, tk->id, idlen, &old);
    if (rc == SEAM_OK && old.len == enc.n && memcmp(old.data, enc.p, enc.n) == 0)
        goto out; /* nothing the report counts has changed */
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
        goto out;
    /* delta = new - old, by row */
    for (size_t i = 0; i < now.n; i++) {
        struct svec *d = contrib_row(&delta, now.e[i].key, now.e[i].klen);
        for (size_t j = 0; j < now.e[i].v.n; j++)
            svec_add(d, now.e[i].v.f[j], now.e[i].v.v[j]);
    }
    if (rc == SEAM_OK) {
        struct sub_ctx s = {&delta, SEAM_OK};
        if (contrib_each(old.data, old.len, sub_row, &s) != SEAM_OK || s.rc != SEAM_OK) {
            log_warnx("sla_agg: ticket=%s stored contribution is malformed", tk->id);
            rc = SEAM_ECORRUPT;
            goto out;
        }
    }
    rc = SEAM_OK;
    if (enc.n > 0)
        rc = store_put(t, DB_SLA_CONTRIB, tk->id, idlen, enc.p, enc.n, 0);
    else {
        rc = store_del(t, DB_SLA_CONTRIB, tk->id, idlen);
        if (rc == SEAM_ENOTFOUND)
            rc = SEAM_OK;
    }
    contrib_encode(&delta, &denc);
    if (rc == SEAM_OK && denc.n > 0) {
        /* The rows are shared by every ticket of a partner's day: a staged
         * save hands their update to the writer rather than reading them on
         * its snapshot (which any other save of the day would make stale). */
        struct deltas *d = xmalloc(sizeof(*d) + denc.n);
        d->n = denc.n;
        memcpy(d->p, denc.p, denc.n);
        rc = store_defer(t, apply_deltas, d, free);
    }
out:
    contrib_free(&now);
    contrib_free(&delta);
    free(enc.p);
    free(denc.p);
    return rc;
}

/* ---- the format mark and a resumed build ---- */

int
sla_agg_ready(struct store_txn *t)
{
    struct store_val v;
    char want[160];
    int n = snprintf(want, sizeof(want), "%s %s", AGG_FORMAT, lead_zone);
    if (store_get(t, DB_META, META_AGG, strlen(META_AGG), &v) != SEAM_OK)
        return 0;
    return v.len == (size_t)n && memcmp(v.data, want, (size_t)n) == 0;
}

enum seam_err
sla_agg_set_ready(struct store_txn *t, int ready)
{
    char want[160];
    int n = snprintf(want, sizeof(want), "%s %s", AGG_FORMAT, lead_zone);
    if (ready)
        return store_put(t, DB_META, META_AGG, strlen(META_AGG), want, (size_t)n, 0);
    enum seam_err rc = store_del(t, DB_META, META_AGG, strlen(META_AGG));
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}

enum seam_err
sla_agg_build_next(struct store_txn *t, char *id, size_t size)
{
    struct store_val v;
    enum seam_err rc = store_get(t, DB_META, META_AGG_NEXT, strlen(META_AGG_NEXT), &v);
    id[0] = '\0';
    if (rc == SEAM_ENOTFOUND)
        return SEAM_OK;
    if (rc != SEAM_OK)
        return rc;
    if (v.len >= size)
        return SEAM_ECORRUPT;
    memcpy(id, v.data, v.len);
    id[v.len] = '\0';
    return SEAM_OK;
}

enum seam_err
sla_agg_set_build_next(struct store_txn *t, const char *id)
{
    if (id != NULL)
        return store_put(t, DB_META, META_AGG_NEXT, strlen(META_AGG_NEXT), id, strlen(id), 0);
    enum seam_err rc = store_del(t, DB_META, META_AGG_NEXT, strlen(META_AGG_NEXT));
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}

/* ---- reading the rows of a period ---- */

struct rows_ctx {
    int64_t to_day;
    sla_agg_row_fn fn;
    void *ctx;
    struct svec s;
    enum seam_err rc;
};

static int
key_day(const unsigned char *k, int64_t *day, unsigned *gap)
{
    *day =
        (int64_t)(((uint32_t)k[0] << 24) | ((uint32_t)k[1] << 16) | ((uint32_t)k[2] << 8) | k[3]) -
        2147483648LL;
    *gap = (unsigned)k[5] << 8 | k[6];
    return 0;
}

static int
one_row(void *arg, struct store_val k, struct store_val v)
{
    struct rows_ctx *r = arg;
    int64_t day;
    unsigned gap;
    if (k.len < 7) {
        r->rc = SEAM_ECORRUPT;
        return 1;
    }
    key_day(k.data, &day, &gap);
    if (day >= r->to_day)
        return 1;
    /* A link row counts only when the later of its days is in the period too. */
    if (gap > 0 && r->to_day != INT64_MAX && day + gap >= r->to_day)
        return 0;
    /* Decoded straight into arrays of AGG_FIELDS: a row's fields rise, each at most once. */
    const unsigned char *p = v.data, *end = p + v.len;
    uint64_t f = 0, d, z;
    size_t n = 0;
    while (p < end) {
        if (!get_varint(&p, end, &d) || !get_varint(&p, end, &z) || (n > 0 && d == 0) ||
            (f += d) >= AGG_FIELDS || n == AGG_FIELDS) {
            r->rc = SEAM_ECORRUPT;
            return 1;
        }
        r->s.f[n] = (uint32_t)f;
        r->s.v[n++] = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
    }
    r->fn(r->ctx, (const char *)k.data + 7, k.len - 7, r->s.f, r->s.v, n);
    return 0;
}

enum seam_err
sla_agg_rows(struct store_txn *t, int64_t from_day, int64_t to_day, sla_agg_row_fn fn, void *ctx)
{
    struct rows_ctx r = {to_day, fn, ctx, {0}, SEAM_OK};
    r.s.f = xmalloc(AGG_FIELDS * sizeof(*r.s.f));
    r.s.v = xmalloc(AGG_FIELDS * sizeof(*r.s.v));
    unsigned char start[4];
    uint32_t d = (uint32_t)(from_day + 2147483648LL);
    start[0] = (unsigned char)(d >> 24);
    start[1] = (unsigned char)(d >> 16);
    start[2] = (unsigned char)(d >> 8);
    start[3] = (unsigned char)d;
    enum seam_err rc = store_scan(t, DB_SLA_AGG, start, 4, 0, one_row, &r);
    svec_free(&r.s);
    return rc != SEAM_OK ? rc : r.rc;
}

/* ---- the check ---- */

/* A linear fingerprint per day: sum of value x hash(row key but day, field). */
struct day_sum {
    int64_t day;
    uint64_t want, got;
    int used;
};

struct sla_agg_check {
    struct calendar *cal, *own; /* the days' time zone: the store's, as its mark says */
    struct config_calendar zone;
    char zone_name[128];
    struct day_sum *d;
    size_t cap, n;
    uint64_t contribs; /* tickets with a stored contribution */
};

static uint64_t
mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static struct day_sum *
day_slot(struct sla_agg_check *c, int64_t day)
{
    if (c->n * 2 >= c->cap) {
        struct day_sum *old = c->d;
        size_t ocap = c->cap;
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->d = xcalloc(c->cap, sizeof(*c->d));
        c->n = 0;
        for (size_t i = 0; i < ocap; i++)
            if (old[i].used) {
                struct day_sum *s = day_slot(c, old[i].day);
                s->want = old[i].want;
                s->got = old[i].got;
            }
        free(old);
    }
    size_t i = mix((uint64_t)day) & (c->cap - 1);
    while (c->d[i].used && c->d[i].day != day)
        i = (i + 1) & (c->cap - 1);
    if (!c->d[i].used) {
        c->d[i].used = 1;
        c->d[i].day = day;
        c->n++;
    }
    return &c->d[i];
}

struct fold {
    struct sla_agg_check *c;
    int got;
    uint64_t h;
    struct day_sum *slot;
};

static void
fold_pair(void *arg, uint32_t f, int64_t v)
{
    struct fold *fo = arg;
    uint64_t term = (uint64_t)v * mix(fo->h ^ ((uint64_t)f * 0x9e3779b97f4a7c15ULL));
    if (fo->got)
        fo->slot->got += term;
    else
        fo->slot->want += term;
}

static void
fold_row(struct fold *fo, const unsigned char *k, size_t kl, const unsigned char *l, size_t ll)
{
    int64_t day;
    unsigned gap;
    uint64_t h = 1469598103934665603ULL;
    key_day(k, &day, &gap);
    for (size_t i = 4; i < kl; i++)
        h = (h ^ k[i]) * 1099511628211ULL;
    fo->h = h;
    fo->slot = day_slot(fo->c, day);
    (void)list_each(l, ll, fold_pair, fo); /* malformed: reported by the comparison */
}

static void
fold_want(void *arg, const unsigned char *k, size_t kl, const unsigned char *l, size_t ll)
{
    fold_row(arg, k, kl, l, ll);
}

struct sla_agg_check *
sla_agg_check_new(struct store_txn *t)
{
    struct sla_agg_check *c = xcalloc(1, sizeof(*c));
    struct store_val v;
    c->cal = lead_cal;
    /* The days are in the zone the store's rows were built in, whatever this tool was given. */
    if (store_get(t, DB_META, META_AGG, strlen(META_AGG), &v) == SEAM_OK && v.len > 2 &&
        v.len - 2 < sizeof(c->zone_name) && memcmp(v.data, AGG_FORMAT " ", 2) == 0) {
        memcpy(c->zone_name, (const char *)v.data + 2, v.len - 2);
        c->zone_name[v.len - 2] = '\0';
        if (strcmp(c->zone_name, lead_zone) != 0) {
            c->zone.timezone = c->zone_name;
            c->zone.always = 1;
            c->own = strcmp(c->zone_name, "UTC") == 0 ? NULL : calendar_new(&c->zone);
            c->cal = c->own;
        }
    }
    return c;
}

uint64_t
sla_agg_check_ticket(struct sla_agg_check *c, struct store_txn *t, const struct ticket *tk,
                     void (*report)(void *, const char *), void *ctx)
{
    struct contrib now = {0};
    struct buf enc = {0};
    struct store_val old;
    uint64_t problems = 0;
    char msg[200];
    contrib_of(c->cal, tk, &now);
    contrib_encode(&now, &enc);
    enum seam_err rc = store_get(t, DB_SLA_CONTRIB, tk->id, strlen(tk->id), &old);
    if (rc == SEAM_OK)
        c->contribs++;
    if ((rc == SEAM_ENOTFOUND && enc.n > 0) ||
        (rc == SEAM_OK && (old.len != enc.n || memcmp(old.data, enc.p, enc.n) != 0)) ||
        (rc != SEAM_OK && rc != SEAM_ENOTFOUND)) {
        snprintf(msg, sizeof(msg),
                 "ticket %s: its SLA aggregate contribution differs from its record", tk->id);
        report(ctx, msg);
        problems++;
    }
    /* The days' fingerprints take what the record says. */
    struct fold fo = {c, 0, 0, NULL};
    (void)contrib_each(enc.p, enc.n, fold_want, &fo);
    contrib_free(&now);
    free(enc.p);
    return problems;
}

static int
fold_got(void *arg, struct store_val k, struct store_val v)
{
    if (k.len >= 7)
        fold_row(arg, k.data, k.len, v.data, v.len);
    return 0;
}

uint64_t
sla_agg_check_end(struct sla_agg_check *c, struct store_txn *t,
                  void (*report)(void *, const char *), void *ctx)
{
    uint64_t problems = 0;
    char msg[200];
    struct fold fo = {c, 1, 0, NULL};
    if (store_scan(t, DB_SLA_AGG, NULL, 0, 0, fold_got, &fo) != SEAM_OK) {
        report(ctx, "sla aggregates: scan failed");
        problems++;
    }
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->d[i].used || c->d[i].want == c->d[i].got)
            continue;
        char when[32];
        format_time_ms(c->cal ? calendar_day_start(c->cal, c->d[i].day) : c->d[i].day * 86400000,
                       when);
        snprintf(msg, sizeof(msg),
                 "sla aggregates: the rows of the day starting %s are not the sum of the "
                 "records' contributions",
                 when);
        report(ctx, msg);
        problems++;
    }
    uint64_t stored = store_count(t, DB_SLA_CONTRIB);
    if (stored != c->contribs) {
        snprintf(msg, sizeof(msg),
                 "sla aggregates: %llu stored contributions belong to no ticket record",
                 (unsigned long long)(stored - c->contribs));
        report(ctx, msg);
        problems++;
    }
    calendar_free(c->own);
    free(c->d);
    free(c);
    return problems;
}
