/*
 * sla.c: the assignments' SLA clocks and the index of their due instants
 * (see sla.h). It computes and records; the scheduler (scheduler.c) emits
 * the warnings and breaches when their instants come.
 */
#include <stdlib.h>
#include <string.h>

#include "sla.h"

const char *const sla_kind_names[SLA_KINDS] = {"warning_ack", "ack", "warning_resolve", "resolve"};

struct sla {
    const struct config *cfg;
    struct calendar **cals; /* one per config calendar, same order */
};

struct sla *
sla_new(const struct config *cfg)
{
    struct sla *s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->cals = xcalloc(cfg->ncalendars + 1, sizeof(*s->cals));
    for (size_t i = 0; i < cfg->ncalendars; i++) {
        s->cals[i] = calendar_new(&cfg->calendars[i]);
        if (s->cals[i] == NULL) {
            sla_free(s);
            return NULL;
        }
    }
    return s;
}

void
sla_free(struct sla *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->cfg->ncalendars; i++)
        calendar_free(s->cals[i]);
    free(s->cals);
    free(s);
}

static const struct config_sla *
policy_of(const struct config *cfg, const char *owner)
{
    const struct config_partner *p = config_partner_find(cfg, owner);
    return p ? p->sla : cfg->lead.sla;
}

struct calendar *
sla_calendar_of(const struct sla *s, const struct config *cfg, const char *owner)
{
    const struct config_sla *pol = policy_of(cfg, owner);
    for (size_t i = 0; i < cfg->ncalendars; i++)
        if (&cfg->calendars[i] == pol->calendar)
            return s->cals[i];
    return s->cals[0];
}

static void
due_key(int64_t at, enum sla_kind kind, const char *aid, uint8_t key[SLA_DUE_KEY_LEN])
{
    be64_put(key, (uint64_t)(at < 0 ? 0 : at));
    key[8] = (uint8_t)kind;
    memcpy(key + 9, aid, 21);
}

/* Sets (at >= 0) or clears (at < 0) one due instant, in the clock and the index. */
static enum seam_err
set_due(struct store_txn *t, struct assignment *asg, const char *ticket, enum sla_kind kind,
        int64_t at)
{
    uint8_t key[SLA_DUE_KEY_LEN];
    int64_t old = asg->sla.due_at[kind];
    enum seam_err rc;
    if (old >= 0) {
        due_key(old, kind, asg->id, key);
        rc = store_del(t, DB_DUE, key, sizeof(key));
        if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
            return rc;
    }
    asg->sla.due_at[kind] = at >= 0 ? at : SEAM_NULL_MS;
    if (kind == SLA_ACK)
        asg->due_ack = at >= 0 ? at : SEAM_NULL_MS;
    else if (kind == SLA_RESOLVE)
        asg->due_resolve = at >= 0 ? at : SEAM_NULL_MS;
    if (at < 0)
        return SEAM_OK;
    due_key(at, kind, asg->id, key);
    return store_put(t, DB_DUE, key, sizeof(key), ticket, 21, 0);
}

static int
kind_set_has(const struct kind_set *s, enum sla_kind kind)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i] == kind)
            return 1;
    return 0;
}

/* Schedules the resolve clock's warning and breach from a running segment's start. */
static enum seam_err
schedule_resolve(struct store_txn *t, struct calendar *cal, const struct config_sla *pol,
                 struct assignment *asg, const char *ticket, int64_t from)
{
    const struct sla_clock *k = &asg->sla;
    int64_t target = k->resolve_target_ms, elapsed = k->resolve_elapsed_ms;
    int64_t warn = (int64_t)((double)target * pol->warning_fraction);
    enum seam_err rc =
        set_due(t, asg, ticket, SLA_RESOLVE, calendar_add(cal, from, target - elapsed));
    if (rc == SEAM_OK && !kind_set_has(&k->warned, SLA_WARN_RESOLVE))
        rc = set_due(t, asg, ticket, SLA_WARN_RESOLVE,
                     warn > elapsed ? calendar_add(cal, from, warn - elapsed) : -1);
    return rc;
}

enum seam_err
sla_start(struct store_txn *t, const struct sla *s, const struct config *cfg,
          const struct ticket *tk, struct assignment *asg, int64_t at)
{
    const struct config_sla *pol = policy_of(cfg, asg->partner);
    int prio = tk->priority >= 0 && tk->priority < PRIO_COUNT ? tk->priority : PRIO_NORMAL;
    struct calendar *cal = sla_calendar_of(s, cfg, asg->partner);
    int64_t ack = (int64_t)pol->targets[prio].ack_minutes * 60000;
    int64_t resolve = (int64_t)pol->targets[prio].resolve_minutes * 60000;
    int paused = tk->status == TS_PENDING;
    struct sla_clock *k = &asg->sla;
    free(k->policy);
    memset(k, 0, sizeof(*k));
    k->present = 1;
    k->policy = xstrdup(pol->id);
    k->assigned_ms = at;
    k->ack_target_ms = ack;
    k->resolve_target_ms = resolve;
    k->resolve_elapsed_ms = 0;
    k->running_since = paused ? SEAM_NULL_MS : at;
    for (int i = 0; i < SLA_KINDS; i++)
        k->due_at[i] = SEAM_ABSENT_MS;
    k->ack_business_ms = k->resolve_business_ms = SEAM_ABSENT_MS;
    enum seam_err rc = set_due(t, asg, tk->id, SLA_ACK, calendar_add(cal, at, ack));
    if (rc == SEAM_OK)
        rc = set_due(t, asg, tk->id, SLA_WARN_ACK,
                     calendar_add(cal, at, (int64_t)((double)ack * pol->warning_fraction)));
    if (rc == SEAM_OK && !paused)
        rc = schedule_resolve(t, cal, pol, asg, tk->id, at);
    return rc;
}

static void fold(const struct sla *s, const struct config *cfg, struct assignment *asg, int64_t at);

enum seam_err
sla_replan(struct store_txn *t, const struct sla *s, const struct config *cfg,
           const struct ticket *tk, struct assignment *asg, int64_t at)
{
    struct sla_clock *k = &asg->sla;
    if (!k->present)
        return SEAM_OK;
    const struct config_sla *pol = policy_of(cfg, asg->partner);
    int prio = tk->priority >= 0 && tk->priority < PRIO_COUNT ? tk->priority : PRIO_NORMAL;
    struct calendar *cal = sla_calendar_of(s, cfg, asg->partner);
    int64_t ack = (int64_t)pol->targets[prio].ack_minutes * 60000;
    enum seam_err rc = SEAM_OK;
    k->ack_target_ms = ack;
    k->resolve_target_ms = (int64_t)pol->targets[prio].resolve_minutes * 60000;
    /* The ack clock, while it runs: due from the claim's start by the new target. */
    if (k->due_at[SLA_ACK] >= 0 && !kind_set_has(&k->breached, SLA_ACK)) {
        rc = set_due(t, asg, tk->id, SLA_ACK, calendar_add(cal, k->assigned_ms, ack));
        if (rc == SEAM_OK && !kind_set_has(&k->warned, SLA_WARN_ACK))
            rc = set_due(
                t, asg, tk->id, SLA_WARN_ACK,
                calendar_add(cal, k->assigned_ms, (int64_t)((double)ack * pol->warning_fraction)));
    }
    /* The resolve clock, while it runs: the time so far kept, the rest by the new target. */
    if (rc == SEAM_OK && k->running_since >= 0 && k->due_at[SLA_RESOLVE] >= 0 &&
        !kind_set_has(&k->breached, SLA_RESOLVE)) {
        fold(s, cfg, asg, at);
        k->running_since = at;
        rc = schedule_resolve(t, cal, pol, asg, tk->id, at);
    }
    return rc;
}

/* Clears one due instant (no ticket needed). */
static enum seam_err
clear_due(struct store_txn *t, struct assignment *asg, enum sla_kind kind)
{
    return set_due(t, asg, NULL, kind, -1);
}

enum seam_err
sla_acked(struct store_txn *t, const struct sla *s, const struct config *cfg,
          struct assignment *asg, int64_t at)
{
    if (!asg->sla.present)
        return SEAM_OK;
    struct calendar *cal = sla_calendar_of(s, cfg, asg->partner);
    asg->sla.ack_business_ms = calendar_between(cal, asg->sla.assigned_ms, at);
    enum seam_err rc = clear_due(t, asg, SLA_ACK);
    return rc == SEAM_OK ? clear_due(t, asg, SLA_WARN_ACK) : rc;
}

/* Folds the running segment into the elapsed time; the clock is paused after. */
static void
fold(const struct sla *s, const struct config *cfg, struct assignment *asg, int64_t at)
{
    struct sla_clock *k = &asg->sla;
    if (k->running_since < 0)
        return;
    struct calendar *cal = sla_calendar_of(s, cfg, asg->partner);
    k->resolve_elapsed_ms += calendar_between(cal, k->running_since, at);
    k->running_since = SEAM_NULL_MS;
}

enum seam_err
sla_pause(struct store_txn *t, const struct sla *s, const struct config *cfg, struct ticket *tk,
          int64_t at)
{
    for (size_t i = 0; i < tk->nassignments; i++) {
        struct assignment *asg = &tk->assignments[i];
        if (!assignment_is_live(asg) || !asg->sla.present)
            continue;
        fold(s, cfg, asg, at);
        enum seam_err rc = clear_due(t, asg, SLA_RESOLVE);
        if (rc == SEAM_OK)
            rc = clear_due(t, asg, SLA_WARN_RESOLVE);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

enum seam_err
sla_resume(struct store_txn *t, const struct sla *s, const struct config *cfg, struct ticket *tk,
           int64_t at)
{
    for (size_t i = 0; i < tk->nassignments; i++) {
        struct assignment *asg = &tk->assignments[i];
        struct sla_clock *k = &asg->sla;
        if (!assignment_is_live(asg) || !k->present || k->running_since >= 0 ||
            k->resolve_business_ms >= 0)
            continue;
        k->running_since = at;
        enum seam_err rc = schedule_resolve(t, sla_calendar_of(s, cfg, asg->partner),
                                            policy_of(cfg, asg->partner), asg, tk->id, at);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

enum seam_err
sla_stop(struct store_txn *t, const struct sla *s, const struct config *cfg, struct assignment *asg,
         int64_t at)
{
    if (!asg->sla.present)
        return SEAM_OK;
    fold(s, cfg, asg, at);
    /* The business time the claim was held: what its owner is charged with. */
    asg->sla.resolve_business_ms = asg->sla.resolve_elapsed_ms;
    enum seam_err rc = SEAM_OK;
    for (int k = 0; k < SLA_KINDS && rc == SEAM_OK; k++)
        rc = clear_due(t, asg, (enum sla_kind)k);
    return rc;
}

int
sla_kind_parse(const char *name)
{
    for (int k = 0; k < SLA_KINDS; k++)
        if (name && strcmp(name, sla_kind_names[k]) == 0)
            return k;
    return -1;
}

int
sla_fired(struct store_txn *t, struct assignment *asg, enum sla_kind kind, int64_t at)
{
    struct sla_clock *k = &asg->sla;
    if (at < 0 || !k->present || !assignment_is_live(asg) || k->due_at[kind] != at)
        return 0; /* a null or absent instant never comes */
    struct kind_set *list =
        kind == SLA_WARN_ACK || kind == SLA_WARN_RESOLVE ? &k->warned : &k->breached;
    if (list->n < SEAM_SLA_KINDS)
        list->v[list->n++] = (uint8_t)kind;
    /* The instant stays visible in "due"; only its index entry goes. */
    uint8_t key[SLA_DUE_KEY_LEN];
    due_key(at, kind, asg->id, key);
    k->due_at[kind] = SEAM_NULL_MS;
    return store_del(t, DB_DUE, key, sizeof(key)) == SEAM_OK ? 1 : -1;
}

enum seam_err
sla_drop(struct store_txn *t, const uint8_t *key, size_t len)
{
    enum seam_err rc = store_del(t, DB_DUE, key, len);
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}

static struct calendar *
lead_calendar(const struct sla *s, const struct config *cfg)
{
    return sla_calendar_of(s, cfg, cfg->lead.id);
}

void
sla_e2e_start(const struct sla *s, const struct config *cfg, struct ticket *tk, int64_t at)
{
    int prio = tk->priority >= 0 && tk->priority < PRIO_COUNT ? tk->priority : PRIO_NORMAL;
    int64_t target = (int64_t)cfg->lead.sla->targets[prio].resolve_minutes * 60000;
    struct e2e_clock *e = &tk->e2e;
    free(e->policy);
    e->present = 1;
    e->policy = xstrdup(cfg->lead.sla->id);
    e->target_ms = target;
    e->elapsed_ms = 0;
    e->running_since = at;
    e->due = calendar_add(lead_calendar(s, cfg), at, target);
    e->resolved_business_ms = SEAM_NULL_MS;
}

void
sla_e2e_replan(const struct sla *s, const struct config *cfg, struct ticket *tk, int64_t at)
{
    struct e2e_clock *e = &tk->e2e;
    if (!e->present)
        return;
    int prio = tk->priority >= 0 && tk->priority < PRIO_COUNT ? tk->priority : PRIO_NORMAL;
    struct calendar *cal = lead_calendar(s, cfg);
    e->target_ms = (int64_t)cfg->lead.sla->targets[prio].resolve_minutes * 60000;
    if (e->running_since >= 0) {
        e->elapsed_ms += calendar_between(cal, e->running_since, at);
        e->running_since = at;
        e->due = calendar_add(cal, at, e->target_ms - e->elapsed_ms);
    }
}

void
sla_e2e_status(const struct sla *s, const struct config *cfg, struct ticket *tk,
               enum ticket_status before, int64_t at)
{
    struct e2e_clock *e = &tk->e2e;
    enum ticket_status now = tk->status;
    if (!e->present || before == now)
        return;
    /* Stopped or paused: pending, resolved, closed, cancelled. */
    int stopped = now == TS_PENDING || !ticket_statuses[now].open;
    struct calendar *cal = lead_calendar(s, cfg);
    if (e->running_since >= 0 && stopped) { /* the clock stops or pauses */
        e->elapsed_ms += calendar_between(cal, e->running_since, at);
        e->running_since = SEAM_NULL_MS;
        e->due = SEAM_NULL_MS;
        if (now == TS_RESOLVED)
            e->resolved_business_ms = e->elapsed_ms;
    } else if (e->running_since < 0 && !stopped) { /* answered, or reopened */
        e->due = calendar_add(cal, at, e->target_ms - e->elapsed_ms);
        e->running_since = at;
        e->resolved_business_ms = SEAM_NULL_MS;
    }
}

struct parked_ctx {
    void (*report)(void *ctx, const char *problem);
    void *ctx;
    uint64_t n;
};

static const char *
field_or_unknown(const json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return s != NULL ? s : "?";
}

static int
parked_one(void *arg, struct store_val k, struct store_val v)
{
    struct parked_ctx *p = arg;
    (void)k;
    json_t *rec = json_loadb(v.data, v.len, 0, NULL);
    char *text = xasprintf(
        "ticket %s: SLA instant (%s of assignment %s, due %s) set aside by the scheduler at %s: "
        "%s; repair or close the ticket",
        field_or_unknown(rec, "ticket"), field_or_unknown(rec, "kind"),
        field_or_unknown(rec, "assignment"), field_or_unknown(rec, "due"),
        field_or_unknown(rec, "parked_at"), field_or_unknown(rec, "error"));
    json_decref(rec);
    p->report(p->ctx, text);
    free(text);
    p->n++;
    return 0;
}

uint64_t
sla_parked_report(struct store_txn *t, void (*report)(void *ctx, const char *problem), void *ctx)
{
    struct parked_ctx p = {report, ctx, 0};
    if (store_scan_prefix(t, DB_META, SLA_PARKED_PREFIX, parked_one, &p) != SEAM_OK)
        report(ctx, "the scheduler's set-aside instants could not be read");
    return p.n;
}

/* ---- the due index, read and worked by the scheduler through these ---- */

struct due_each_ctx {
    sla_due_fn fn;
    void *ctx;
};

static int
due_one(void *arg, struct store_val k, struct store_val v)
{
    struct due_each_ctx *e = arg;
    const uint8_t *key = k.data;
    struct sla_due d;
    if (k.len != SLA_DUE_KEY_LEN || v.len != 21)
        return 0; /* not an entry this module wrote */
    memcpy(d.key, key, SLA_DUE_KEY_LEN);
    d.at = (int64_t)be64_get(key);
    d.kind = (enum sla_kind)(key[8] % SLA_KINDS);
    memcpy(d.assignment, key + 9, 21);
    d.assignment[21] = '\0';
    memcpy(d.ticket, v.data, 21);
    d.ticket[21] = '\0';
    return e->fn(e->ctx, &d);
}

enum seam_err
sla_due_each(struct store_txn *t, sla_due_fn fn, void *ctx)
{
    struct due_each_ctx e = {fn, ctx};
    return store_scan(t, DB_DUE, NULL, 0, 0, due_one, &e);
}

enum seam_err
sla_due_drop(struct store_txn *t, const struct sla_due *d)
{
    return sla_drop(t, d->key, SLA_DUE_KEY_LEN);
}

enum seam_err
sla_park(struct store_txn *t, const struct sla_due *d, enum seam_err why)
{
    char hex[2 * SLA_DUE_KEY_LEN + 1], due[32], at[32];
    hex_encode(d->key, SLA_DUE_KEY_LEN, hex);
    format_time_ms(d->at, due);
    format_time_ms(now_ms(), at);
    char *k = xasprintf("%s%s", SLA_PARKED_PREFIX, hex);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ticket", d->ticket, "assignment",
                            d->assignment, "kind", sla_kind_names[d->kind], "due", due, "parked_at",
                            at, "error", seam_strerror(why));
    char *text = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    enum seam_err rc = sla_due_drop(t, d);
    if (rc == SEAM_OK)
        rc = store_put(t, DB_META, k, strlen(k), text, strlen(text), 0);
    free(k);
    free(text);
    return rc;
}
