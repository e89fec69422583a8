/*
 * audit.c: the SLA report and the breach list (see audit.h). The report
 * comes from the SLA aggregates (sla_agg.h) for whole days of the lead's
 * time zone, its percentiles from their histograms; or, exactly, from the
 * ticket records (?exact=1, a fact filter, a bound inside a day), counted
 * by the same functions, its percentiles from the sorted business times.
 * Time without owner is measured, not assumed: for every ticket, the time
 * while it was open that no live assignment covered. Also: building the
 * aggregates of a store written before them, and checking them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "progress.h"
#include "sla_agg.h"
#include "ticket.h"

/* What the report counts for one owner (or overall): the counts of
 * sla_agg.h by field and, for the exact report, the business times
 * themselves. */
struct owner_stats {
    char *owner;
    int64_t *c;                 /* AGG_FIELDS counts */
    char seen[SEAM_ID_LEN + 1]; /* the last ticket counted once for this owner */
    int64_t *times[3];          /* acknowledge, resolve, end to end (exact report only) */
    size_t n[3], cap[3];
};

struct acc {
    const struct audit_period *p;
    int exact; /* from the records; else from the aggregates */
    struct owner_stats *owners;
    size_t nowners;
    struct owner_stats all;
};

static void
push(struct owner_stats *s, int which, int64_t v)
{
    if (s->n[which] == s->cap[which]) {
        s->cap[which] = s->cap[which] ? s->cap[which] * 2 : 64;
        s->times[which] = xrealloc(s->times[which], s->cap[which] * sizeof(int64_t));
    }
    s->times[which][s->n[which]++] = v;
}

static void
stats_init(struct owner_stats *s, const char *owner, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->owner = xmalloc(len + 1);
    memcpy(s->owner, owner, len);
    s->owner[len] = '\0';
    s->c = xcalloc(AGG_FIELDS, sizeof(int64_t));
}

static void
stats_free(struct owner_stats *s)
{
    free(s->owner);
    free(s->c);
    for (int i = 0; i < 3; i++)
        free(s->times[i]);
}

static struct owner_stats *
stats_of(struct acc *a, const char *owner, size_t len)
{
    for (size_t i = 0; i < a->nowners; i++)
        if (strlen(a->owners[i].owner) == len && memcmp(a->owners[i].owner, owner, len) == 0)
            return &a->owners[i];
    a->owners = xrealloc(a->owners, (a->nowners + 1) * sizeof(*a->owners));
    struct owner_stats *s = &a->owners[a->nowners++];
    stats_init(s, owner, len);
    return s;
}

static void
add_count(void *ctx, unsigned field, int64_t v)
{
    ((int64_t *)ctx)[field] += v;
}

/* The business times the exact percentiles are read from: those the
 * histograms of sla_agg_assignment and sla_agg_ticket count. */
static void
exact_times(struct owner_stats *s, const struct assignment *asg)
{
    const struct sla_clock *k = &asg->sla;
    int64_t ack = k->present ? k->ack_business_ms : -1;
    int64_t res = k->present ? k->resolve_business_ms : -1;
    if (ack >= 0)
        push(s, 0, ack);
    if (asg->state == AS_RESOLVED && res >= 0)
        push(s, 1, res);
}

/* The exact report: every ticket record, counted by the same functions as the aggregates. */
static int
one_ticket(void *ctx, const struct ticket *tk)
{
    struct acc *a = ctx;
    int counted = 0;
    if (a->p->fact > 0 && a->p->fact <= SEAM_FACTS_MAX) {
        const char *v = tk->facts[a->p->fact - 1];
        if ((v == NULL) != (a->p->value == NULL) || (v != NULL && strcmp(v, a->p->value) != 0))
            return 0;
    }
    if (a->p->channel != NULL &&
        strcmp(tk->channel ? tk->channel : ticket_channels[CH_API], a->p->channel) != 0)
        return 0;
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *asg = &tk->assignments[i];
        int64_t at = asg->assigned_at;
        if ((a->p->from && at < a->p->from) || (a->p->to && at >= a->p->to))
            continue;
        if (a->p->partner && strcmp(a->p->partner, asg->partner) != 0)
            continue;
        struct owner_stats *s = stats_of(a, asg->partner, strlen(asg->partner));
        sla_agg_assignment(tk, asg, add_count, s->c);
        sla_agg_assignment(tk, asg, add_count, a->all.c);
        exact_times(s, asg);
        exact_times(&a->all, asg);
        if (strcmp(s->seen, tk->id) != 0) { /* once per ticket and owner */
            memcpy(s->seen, tk->id, sizeof(s->seen));
            sla_agg_ticket(tk, add_count, s->c);
        }
        counted = 1;
    }
    if (counted) {
        sla_agg_ticket(tk, add_count, a->all.c);
        int64_t took = tk->e2e.present ? tk->e2e.resolved_business_ms : -1;
        if (took >= 0)
            push(&a->all, 2, took);
    }
    return 0;
}

/* The report from the aggregates: the rows of the period's days. */
static void
one_row(void *ctx, const char *owner, size_t len, const uint32_t *field, const int64_t *v, size_t n)
{
    struct acc *a = ctx;
    const char *only = a->p->partner;
    if (len == 0) { /* the overall ticket-level row: counted by its owner's when one is asked */
        if (only == NULL)
            for (size_t i = 0; i < n; i++)
                a->all.c[field[i]] += v[i];
        return;
    }
    if (only && (strlen(only) != len || memcmp(only, owner, len) != 0))
        return;
    struct owner_stats *s = stats_of(a, owner, len);
    for (size_t i = 0; i < n; i++) {
        s->c[field[i]] += v[i];
        if (only || field[i] < AGG_TICKETS)
            a->all.c[field[i]] += v[i];
    }
}

static int
cmp64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* Nearest-rank percentile, in minutes, of the times (sorted) or of the
 * histogram from field hist on; null without data. */
static json_t *
pct(const struct acc *a, const struct owner_stats *s, int which, unsigned hist, int p)
{
    if (a->exact) {
        size_t n = s->n[which];
        if (n == 0)
            return json_null();
        size_t rank = (size_t)((p * n + 99) / 100);
        if (rank < 1)
            rank = 1;
        return json_real((double)s->times[which][rank - 1] / 60000.0);
    }
    double v = sla_hist_quantile(s->c + hist, p);
    return v < 0 ? json_null() : json_real(v / 60000.0);
}

static json_t *
ratio(int64_t part, int64_t whole)
{
    return whole ? json_real(100.0 * (double)part / (double)whole) : json_null();
}

static json_t *
clock_json(const struct acc *a, const struct owner_stats *s, int which, unsigned count,
           unsigned within, unsigned hist)
{
    const int64_t *c = s->c;
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "count", (json_int_t)c[count], "within_sla",
                     (json_int_t)c[within], "compliance_pct", ratio(c[within], c[count]), "p50_min",
                     pct(a, s, which, hist, 50), "p90_min", pct(a, s, which, hist, 90), "p99_min",
                     pct(a, s, which, hist, 99));
}

static json_t *
stats_json(const struct acc *a, const struct owner_stats *s)
{
    const int64_t *c = s->c;
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:o, s:o, s:I, s:I, s:f, s:I}", "owner", s->owner, "tickets",
        (json_int_t)c[AGG_TICKETS], "assignments", (json_int_t)c[AGG_ASSIGNMENTS], "acknowledge",
        clock_json(a, s, 0, AGG_ACKED, AGG_ACK_WITHIN, AGG_HIST_ACK), "resolve",
        clock_json(a, s, 1, AGG_RESOLVED, AGG_RESOLVE_WITHIN, AGG_HIST_RESOLVE), "breaches",
        (json_int_t)c[AGG_BREACHES], "handbacks", (json_int_t)c[AGG_HANDBACKS],
        "handback_attributed_min", (double)c[AGG_HANDBACK_MS] / 60000.0, "disputed",
        (json_int_t)c[AGG_DISPUTED]);
    json_t *reasons = json_object();
    for (int r = 0; r < HB_COUNT; r++)
        json_object_set_new(reasons, handback_reasons[r].name,
                            json_integer(c[AGG_HB_REASON + (unsigned)r]));
    json_object_set_new(o, "handback_reasons", reasons);
    json_t *flags = json_object();
    for (int f = 0; f < FLAG_COUNT; f++)
        json_object_set_new(flags, ticket_flags[f].name,
                            json_integer(c[AGG_FLAGGED + (unsigned)f]));
    json_object_set_new(o, "flags", flags);
    json_object_set_new(o, "disputed_handbacks", json_integer(c[AGG_DISPUTED_HANDBACKS]));
    json_object_set_new(o, "disputed_handback_min",
                        json_real((double)c[AGG_DISPUTED_HANDBACK_MS] / 60000.0));
    return o;
}

static int
cmp_owner(const void *x, const void *y)
{
    return strcmp(((const struct owner_stats *)x)->owner, ((const struct owner_stats *)y)->owner);
}

/* Whether instant ms (0: open) is a day's start in the lead's time zone; its day. */
static int
day_bound(int64_t ms, int64_t open, int64_t *day)
{
    if (ms == 0) {
        *day = open;
        return 1;
    }
    *day = sla_agg_day(ms);
    return sla_agg_day_start(*day) == ms;
}

enum seam_err
audit_sla(struct store_txn *t, const struct audit_period *p, json_t **out)
{
    struct acc a = {.p = p};
    char from[32] = "", to[32] = "";
    int64_t from_day, to_day;
    enum seam_err rc;
    stats_init(&a.all, "all", 3);
    /* The aggregates answer whole days of the lead's time zone, without a fact filter. */
    a.exact = p->exact || p->fact != 0 || p->channel != NULL ||
              !day_bound(p->from, INT32_MIN + 1, &from_day) ||
              !day_bound(p->to, INT64_MAX, &to_day) || !sla_agg_ready(t);
    if (a.exact)
        rc = ticket_scan(t, one_ticket, &a);
    else
        rc = sla_agg_rows(t, from_day, to_day, one_row, &a);
    /* An owner the period gave no assignment (only rows that cancel) is not one of it. */
    size_t kept = 0;
    for (size_t i = 0; i < a.nowners; i++) {
        if (a.owners[i].c[AGG_ASSIGNMENTS] > 0)
            a.owners[kept++] = a.owners[i];
        else
            stats_free(&a.owners[i]);
    }
    a.nowners = kept;
    if (a.nowners > 0)
        qsort(a.owners, a.nowners, sizeof(*a.owners), cmp_owner);
    json_t *owners = json_array();
    for (size_t i = 0; i < a.nowners; i++) {
        for (int w = 0; w < 3; w++)
            if (a.owners[i].n[w] > 0) /* times[w] is NULL when there are none */
                qsort(a.owners[i].times[w], a.owners[i].n[w], sizeof(int64_t), cmp64);
        json_array_append_new(owners, stats_json(&a, &a.owners[i]));
        stats_free(&a.owners[i]);
    }
    for (int w = 0; w < 3; w++)
        if (a.all.n[w] > 0)
            qsort(a.all.times[w], a.all.n[w], sizeof(int64_t), cmp64);
    json_t *overall = stats_json(&a, &a.all);
    json_object_set_new(overall, "time_without_owner_ms",
                        json_integer(a.all.c[AGG_WITHOUT_OWNER_MS]));
    /* The lead's end-to-end clock: the customer's experience, bounces included. */
    json_object_set_new(overall, "end_to_end",
                        clock_json(&a, &a.all, 2, AGG_E2E_RESOLVED, AGG_E2E_WITHIN, AGG_HIST_E2E));
    json_t *e2e = json_object_get(overall, "end_to_end");
    json_object_set(e2e, "resolved", json_object_get(e2e, "count"));
    json_object_del(e2e, "count");
    stats_free(&a.all);
    free(a.owners);
    if (rc != SEAM_OK) {
        json_decref(owners);
        json_decref(overall);
        return rc;
    }
    if (p->from)
        format_time_ms(p->from, from);
    if (p->to)
        format_time_ms(p->to, to);
    *out = json_pack("{s:{s:s?, s:s?}, s:s?, s:o, s:o, s:{s:s, s:f}}", "period", "from",
                     p->from ? from : NULL, "to", p->to ? to : NULL, "partner", p->partner,
                     "owners", owners, "overall", overall, "percentiles", "source",
                     a.exact ? "records" : "aggregates", "relative_error",
                     a.exact ? 0.0 : SLA_HIST_ERROR);
    return SEAM_OK;
}

static void
csv_num(char **out, size_t *len, const json_t *v)
{
    char tmp[64] = "";
    if (json_is_integer(v))
        snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(tmp, sizeof(tmp), "%.2f", json_real_value(v));
    size_t n = strlen(tmp);
    *out = xrealloc(*out, *len + n + 2);
    memcpy(*out + *len, tmp, n);
    *len += n;
    (*out)[(*len)++] = ',';
    (*out)[*len] = '\0';
}

char *
audit_sla_csv(const json_t *report)
{
    static const char header[] =
        "owner,tickets,assignments,ack_count,ack_within_sla,ack_compliance_pct,ack_p50_min,"
        "ack_p90_min,ack_p99_min,resolve_count,resolve_within_sla,resolve_compliance_pct,"
        "resolve_p50_min,resolve_p90_min,resolve_p99_min,breaches,handbacks,"
        "handback_attributed_min,disputed,time_without_owner_ms,disputed_handbacks,"
        "disputed_handback_min";
    static const char *const clocks[] = {"acknowledge", "resolve"};
    static const char *const fields[] = {"count",   "within_sla", "compliance_pct",
                                         "p50_min", "p90_min",    "p99_min"};
    size_t len = strlen(header);
    char *out = xstrdup(header);
    for (int f = 0; f < FLAG_COUNT; f++) { /* a column per flag of the model's table */
        size_t n = strlen(ticket_flags[f].name);
        out = xrealloc(out, len + n + 7);
        len += (size_t)sprintf(out + len, ",flag_%s", ticket_flags[f].name);
    }
    out = xrealloc(out, len + 2);
    out[len++] = '\n';
    out[len] = '\0';
    json_t *rows = json_copy(json_object_get(report, "owners"));
    json_array_append(rows, json_object_get(report, "overall"));
    json_t *row;
    size_t i;
    json_array_foreach(rows, i, row)
    {
        const char *owner = json_string_value(json_object_get(row, "owner"));
        out = xrealloc(out, len + strlen(owner) + 2);
        len += (size_t)sprintf(out + len, "%s,", owner);
        csv_num(&out, &len, json_object_get(row, "tickets"));
        csv_num(&out, &len, json_object_get(row, "assignments"));
        for (int c = 0; c < 2; c++)
            for (int f = 0; f < 6; f++)
                csv_num(&out, &len, json_object_get(json_object_get(row, clocks[c]), fields[f]));
        csv_num(&out, &len, json_object_get(row, "breaches"));
        csv_num(&out, &len, json_object_get(row, "handbacks"));
        csv_num(&out, &len, json_object_get(row, "handback_attributed_min"));
        csv_num(&out, &len, json_object_get(row, "disputed"));
        csv_num(&out, &len, json_object_get(row, "time_without_owner_ms"));
        csv_num(&out, &len, json_object_get(row, "disputed_handbacks"));
        csv_num(&out, &len, json_object_get(row, "disputed_handback_min"));
        for (int f = 0; f < FLAG_COUNT; f++)
            csv_num(&out, &len,
                    json_object_get(json_object_get(row, "flags"), ticket_flags[f].name));
        out[len - 1] = '\n';
    }
    json_decref(rows);
    return out;
}

struct breach_ctx {
    const struct audit_period *p;
    json_t *list;
    unsigned limit;
    int more;
    char last[TICKET_ID_LEN + 1];
};

static int
breaches_of(void *ctx, const struct ticket *tk)
{
    struct breach_ctx *b = ctx;
    size_t before = json_array_size(b->list);
    int full = before >= b->limit;
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *asg = &tk->assignments[i];
        int64_t at = asg->assigned_at;
        if ((b->p->from && at < b->p->from) || (b->p->to && at >= b->p->to) ||
            (b->p->partner && strcmp(b->p->partner, asg->partner) != 0))
            continue;
        for (unsigned j = 0; asg->sla.present && j < asg->sla.breached.n; j++) {
            if (full) { /* a ticket with breaches after a full page: there is more */
                b->more = 1;
                return 1;
            }
            int ack = asg->sla.breached.v[j] == SLA_ACK;
            int64_t due = ack ? asg->due_ack : asg->due_resolve;
            char at_due[32], *ev = xasprintf("/v1/tickets/%s/evidence", tk->id);
            if (due >= 0)
                format_time_ms(due, at_due);
            json_array_append_new(b->list,
                                  json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "ticket", tk->id,
                                            "assignment", asg->id, "partner", asg->partner, "clock",
                                            ack ? "ack" : "resolve", "due",
                                            due >= 0 ? json_string(at_due) : json_null(), "policy",
                                            asg->sla.policy, "evidence", ev));
            free(ev);
        }
    }
    if (json_array_size(b->list) > before)
        memcpy(b->last, tk->id, sizeof(b->last));
    return 0;
}

enum seam_err
audit_breaches(struct store_txn *t, const struct ticket_ctx *c, const struct audit_period *p,
               const char *cursor, unsigned limit, json_t **list)
{
    struct breach_ctx b = {p, json_array(), limit, 0, ""};
    /* assigned in [from, to) implies created before to; the flag and the partner narrow it */
    struct ticket_filter f = {
        .flag = ticket_flags[FLAG_BREACHED].name, .partner = p->partner, .to_ms = p->to};
    struct principal auditor = {.role = ROLE_AUDITOR};
    char resume[TICKET_ID_LEN + 1];
    enum seam_err rc = ticket_walk(t, c, &auditor, &f, cursor, breaches_of, &b, resume);
    if (rc != SEAM_OK) {
        json_decref(b.list);
        return rc;
    }
    if (resume[0] != '\0') { /* out of budget: a short page, and where to go on */
        b.more = 1;
        memcpy(b.last, resume, sizeof(b.last));
    }
    *list = json_pack("{s:o, s:o}", "items", b.list, "next_cursor",
                      b.more ? json_string(b.last) : json_null());
    return SEAM_OK;
}

/* ---- building the aggregates of an older store, and checking them ---- */

struct build_ctx {
    struct store_txn *t;
    size_t batch, n;
    uint64_t done;
    enum seam_err rc;
    char next[SEAM_ID_LEN + 1]; /* where the next batch starts; "" when none */
};

static int
build_one(void *arg, const struct ticket *tk)
{
    struct build_ctx *b = arg;
    if (b->n == b->batch) {
        snprintf(b->next, sizeof(b->next), "%s", tk->id);
        return 1;
    }
    b->rc = sla_agg_record(b->t, tk);
    b->n++;
    return b->rc != SEAM_OK;
}

static enum seam_err
build_batch(struct store_txn *t, void *arg)
{
    struct build_ctx *b = arg;
    char start[SEAM_ID_LEN + 1];
    enum seam_err rc = sla_agg_build_next(t, start, sizeof(start));
    if (rc != SEAM_OK)
        return rc;
    b->t = t;
    b->n = 0;
    b->next[0] = '\0';
    b->rc = SEAM_OK;
    rc = ticket_scan_from(t, start[0] ? start : NULL, build_one, b);
    if (rc == SEAM_OK)
        rc = b->rc;
    if (rc == SEAM_OK)
        rc = sla_agg_set_build_next(t, b->next[0] ? b->next : NULL);
    if (rc == SEAM_OK && b->next[0] == '\0')
        rc = sla_agg_set_ready(t, 1);
    return rc;
}

enum seam_err
audit_agg_build(struct store *s, size_t batch)
{
    struct store_txn *t;
    struct build_ctx b = {0};
    uint64_t total;
    enum seam_err rc = store_read_begin(s, &t);
    if (rc != SEAM_OK)
        return rc;
    int ready = sla_agg_ready(t);
    total = ticket_count(t);
    store_read_end(t);
    if (ready)
        return SEAM_OK;
    b.batch = batch > 0 ? batch : 2000;
    log_info("sla aggregates: building for %llu tickets, %zu a transaction",
             (unsigned long long)total, b.batch);
    do {
        rc = store_write(s, build_batch, &b, NULL, NULL);
        if (rc == SEAM_OK) {
            b.done += b.n;
            log_info("sla aggregates: %llu of %llu tickets done", (unsigned long long)b.done,
                     (unsigned long long)total);
        }
    } while (rc == SEAM_OK && b.next[0] != '\0');
    if (rc == SEAM_OK)
        log_info("sla aggregates: built");
    else
        log_warnx("sla aggregates: build failed: %s", seam_strerror(rc));
    return rc;
}

struct verify_ctx {
    struct store_txn *t;
    struct sla_agg_check *c;
    void (*report)(void *, const char *);
    void *ctx;
    uint64_t problems;
};

static int
verify_one(void *arg, const struct ticket *tk)
{
    struct verify_ctx *v = arg;
    v->problems += sla_agg_check_ticket(v->c, v->t, tk, v->report, v->ctx);
    return 0;
}

uint64_t
audit_agg_verify(struct store_txn *t, void (*report)(void *, const char *), void *ctx)
{
    /* A store written before the aggregates has none until the broker's first start, and one
     * of another format (or time zone) has them made again then: not checked until. */
    if (!sla_agg_ready(t))
        return 0;
    struct verify_ctx v = {t, sla_agg_check_new(t), report, ctx, 0};
    progress_phase("sla aggregates", ticket_count(t));
    if (ticket_scan(t, verify_one, &v) != SEAM_OK) {
        report(ctx, "sla aggregates: ticket scan failed");
        v.problems++;
    }
    return v.problems + sla_agg_check_end(v.c, t, report, ctx);
}
