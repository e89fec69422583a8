/*
 * audit.c: the SLA report and the breach list (see audit.h), computed from
 * the tickets, whose clocks hold the business times (sla.c). Time
 * without owner is measured, not assumed: for every ticket, the time while
 * it was open that no live assignment covered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "ticket.h"

struct owner_stats {
    char *owner;     /* a copy: the records it came from are freed as the scan goes */
    json_t *tickets; /* set of ticket ids */
    long assignments, acked, ack_within, resolved, resolve_within, breaches, handbacks, disputed;
    int64_t handback_ms;
    /* Its tickets carrying each flag (ticket_flags[]), and its hand-backs in
     * rounds that ended with the lead, disputed, with the time it held them. */
    long flagged[FLAG_COUNT];
    long disputed_handbacks;
    int64_t disputed_handback_ms;
    char seen[SEAM_ID_LEN + 1]; /* the last ticket counted in flagged[] */
    int64_t *ack_times, *resolve_times;
    size_t nack, nres, cap_ack, cap_res;
};

struct acc {
    int64_t *e2e;
    size_t ne2e, cap_e2e;
    long e2e_within;
    const struct audit_period *p;
    struct owner_stats *owners;
    size_t nowners;
    struct owner_stats all;
    int64_t without_owner_ms;
    long tickets;
};

static void
push(int64_t **a, size_t *n, size_t *cap, int64_t v)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *a = xrealloc(*a, *cap * sizeof(int64_t));
    }
    (*a)[(*n)++] = v;
}

static struct owner_stats *
stats_of(struct acc *a, const char *owner)
{
    for (size_t i = 0; i < a->nowners; i++)
        if (strcmp(a->owners[i].owner, owner) == 0)
            return &a->owners[i];
    a->owners = xrealloc(a->owners, (a->nowners + 1) * sizeof(*a->owners));
    struct owner_stats *s = &a->owners[a->nowners++];
    memset(s, 0, sizeof(*s));
    s->owner = xstrdup(owner);
    s->tickets = json_object();
    return s;
}

static void
count(struct owner_stats *s, const char *ticket, const struct assignment *asg, int disputed)
{
    const struct sla_clock *k = &asg->sla;
    json_object_set_new(s->tickets, ticket, json_true());
    s->assignments++;
    int64_t ack = k->present ? k->ack_business_ms : -1;
    int64_t res = k->present ? k->resolve_business_ms : -1;
    if (ack >= 0) {
        s->acked++;
        s->ack_within += ack <= k->ack_target_ms;
        push(&s->ack_times, &s->nack, &s->cap_ack, ack);
    }
    if (asg->state == AS_RESOLVED && res >= 0) {
        s->resolved++;
        s->resolve_within += res <= k->resolve_target_ms;
        push(&s->resolve_times, &s->nres, &s->cap_res, res);
    }
    s->breaches += k->breached.n;
    if (asg->state == AS_HANDED_BACK) {
        s->handbacks++;
        if (res > 0)
            s->handback_ms += res;
    }
    s->disputed += disputed;
}

/* The open time of a ticket no live assignment covered. */
static int64_t
gaps(const struct ticket *tk)
{
    int64_t covered = tk->created_at;
    int64_t end = now_ms(), total = 0;
    if (tk->status == TS_RESOLVED || tk->status == TS_CLOSED || tk->status == TS_CANCELLED)
        end = tk->updated_at;
    /* Assignments are appended in time order; each covers from assignment to its end. */
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        int64_t from = a->assigned_at;
        int64_t to = end;
        const int64_t ends[] = {a->resolved_at, a->handed_back_at, a->ended_at};
        for (int k = 0; k < 3; k++)
            if (ends[k] >= 0 && ends[k] < to)
                to = ends[k];
        if (from > covered && from <= end)
            total += from - covered;
        if (to > covered)
            covered = to;
    }
    /* A resolved ticket's time after its last resolution is the customer's, not a gap. */
    return total;
}

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

/* The flags of a ticket, once per ticket for s; and s's hand-back asg if it led to a dispute. */
static void
count_flags(struct owner_stats *s, const struct ticket *tk, const struct assignment *asg)
{
    if (strcmp(s->seen, tk->id) != 0) {
        memcpy(s->seen, tk->id, sizeof(s->seen));
        for (int f = 0; f < FLAG_COUNT; f++)
            s->flagged[f] += ticket_has_flag(tk, (enum ticket_flag)f);
    }
    if (asg->state == AS_HANDED_BACK && round_disputed(tk, asg->round)) {
        s->disputed_handbacks++;
        if (asg->held_ms > 0)
            s->disputed_handback_ms += asg->held_ms;
    }
}

static int
one_ticket(void *ctx, const struct ticket *tk)
{
    struct acc *a = ctx;
    int disputed = flag_set_has(&tk->flags, FLAG_DISPUTED), counted = 0;
    if (a->p->fact > 0 && a->p->fact <= SEAM_FACTS_MAX) {
        const char *v = tk->facts[a->p->fact - 1];
        if ((v == NULL) != (a->p->value == NULL) || (v != NULL && strcmp(v, a->p->value) != 0))
            return 0;
    }
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *asg = &tk->assignments[i];
        int64_t at = asg->assigned_at;
        if ((a->p->from && at < a->p->from) || (a->p->to && at >= a->p->to))
            continue;
        if (a->p->partner && strcmp(a->p->partner, asg->partner) != 0)
            continue;
        count(stats_of(a, asg->partner), tk->id, asg, disputed);
        count(&a->all, tk->id, asg, disputed);
        count_flags(stats_of(a, asg->partner), tk, asg);
        count_flags(&a->all, tk, asg);
        counted = 1;
    }
    if (counted) {
        a->tickets++;
        a->without_owner_ms += gaps(tk);
        int64_t took = tk->e2e.present ? tk->e2e.resolved_business_ms : -1;
        if (took >= 0) {
            push(&a->e2e, &a->ne2e, &a->cap_e2e, took);
            a->e2e_within += took <= tk->e2e.target_ms;
        }
    }
    return 0;
}

static int
cmp64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* Nearest-rank percentile, in minutes; null without data. */
static json_t *
pct(int64_t *v, size_t n, int p)
{
    if (n == 0)
        return json_null();
    qsort(v, n, sizeof(*v), cmp64);
    size_t rank = (size_t)((p * n + 99) / 100);
    if (rank < 1)
        rank = 1;
    return json_real((double)v[rank - 1] / 60000.0);
}

static json_t *
ratio(long part, long whole)
{
    return whole ? json_real(100.0 * (double)part / (double)whole) : json_null();
}

static json_t *
stats_json(struct owner_stats *s)
{
    const char *name = s->owner;
    json_t *o = json_pack(
        "{s:s, s:I, s:I, s:{s:I, s:I, s:o, s:o, s:o, s:o}, s:{s:I, s:I, s:o, s:o, s:o, s:o}, "
        "s:I, s:I, s:f, s:I}",
        "owner", name, "tickets", (json_int_t)json_object_size(s->tickets), "assignments",
        (json_int_t)s->assignments, "acknowledge", "count", (json_int_t)s->acked, "within_sla",
        (json_int_t)s->ack_within, "compliance_pct", ratio(s->ack_within, s->acked), "p50_min",
        pct(s->ack_times, s->nack, 50), "p90_min", pct(s->ack_times, s->nack, 90), "p99_min",
        pct(s->ack_times, s->nack, 99), "resolve", "count", (json_int_t)s->resolved, "within_sla",
        (json_int_t)s->resolve_within, "compliance_pct", ratio(s->resolve_within, s->resolved),
        "p50_min", pct(s->resolve_times, s->nres, 50), "p90_min",
        pct(s->resolve_times, s->nres, 90), "p99_min", pct(s->resolve_times, s->nres, 99),
        "breaches", (json_int_t)s->breaches, "handbacks", (json_int_t)s->handbacks,
        "handback_attributed_min", (double)s->handback_ms / 60000.0, "disputed",
        (json_int_t)s->disputed);
    json_t *flags = json_object();
    for (int f = 0; f < FLAG_COUNT; f++)
        json_object_set_new(flags, ticket_flags[f].name, json_integer(s->flagged[f]));
    json_object_set_new(o, "flags", flags);
    json_object_set_new(o, "disputed_handbacks", json_integer(s->disputed_handbacks));
    json_object_set_new(o, "disputed_handback_min",
                        json_real((double)s->disputed_handback_ms / 60000.0));
    json_decref(s->tickets);
    free(s->owner);
    free(s->ack_times);
    free(s->resolve_times);
    return o;
}

enum seam_err
audit_sla(struct store_txn *t, const struct audit_period *p, json_t **out)
{
    struct acc a = {.p = p};
    char from[32] = "", to[32] = "";
    a.all.tickets = json_object();
    a.all.owner = xstrdup("all");
    enum seam_err rc = ticket_scan(t, one_ticket, &a);
    json_t *owners = json_array();
    for (size_t i = 0; i < a.nowners; i++)
        json_array_append_new(owners, stats_json(&a.owners[i]));
    json_t *overall = stats_json(&a.all);
    json_object_set_new(overall, "tickets", json_integer(a.tickets));
    json_object_set_new(overall, "time_without_owner_ms", json_integer(a.without_owner_ms));
    /* The lead's end-to-end clock: the customer's experience, bounces included. */
    json_object_set_new(overall, "end_to_end",
                        json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "resolved", (json_int_t)a.ne2e,
                                  "within_sla", (json_int_t)a.e2e_within, "compliance_pct",
                                  ratio(a.e2e_within, (long)a.ne2e), "p50_min",
                                  pct(a.e2e, a.ne2e, 50), "p90_min", pct(a.e2e, a.ne2e, 90),
                                  "p99_min", pct(a.e2e, a.ne2e, 99)));
    free(a.e2e);
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
    *out =
        json_pack("{s:{s:s?, s:s?}, s:s?, s:o, s:o}", "period", "from", p->from ? from : NULL, "to",
                  p->to ? to : NULL, "partner", p->partner, "owners", owners, "overall", overall);
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
