/*
 * sla.c: the assignments' SLA clocks and the index of their due instants
 * (see sla.h). It computes and records; the scheduler (scheduler.c) emits
 * the warnings and breaches when their instants come.
 */
#include <stdlib.h>
#include <string.h>

#include "sla.h"

const char *const sla_kind_names[SLA_KINDS] = {"warning_ack", "ack", "warning_resolve", "resolve"};
static const char *const due_fields[SLA_KINDS] = {"warn_ack_ms", "due_ack_ms", "warn_resolve_ms",
                                                  "due_resolve_ms"};

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

static int64_t
ms_of(const json_t *sla, const char *k)
{
    json_t *v = json_object_get(sla, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
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
set_due(struct store_txn *t, json_t *asg, const char *ticket, enum sla_kind kind, int64_t at)
{
    json_t *sla = json_object_get(asg, "sla");
    const char *aid = json_string_value(json_object_get(asg, "id"));
    uint8_t key[SLA_DUE_KEY_LEN];
    int64_t old = ms_of(sla, due_fields[kind]);
    enum seam_err rc;
    if (old >= 0) {
        due_key(old, kind, aid, key);
        rc = store_del(t, DB_DUE, key, sizeof(key));
        if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
            return rc;
    }
    json_object_set_new(sla, due_fields[kind], at >= 0 ? json_integer(at) : json_null());
    if (kind == SLA_ACK || kind == SLA_RESOLVE) {
        char iso[32];
        json_t *due = json_object_get(asg, "due");
        if (at >= 0)
            format_time_ms(at, iso);
        json_object_set_new(due, kind == SLA_ACK ? "ack" : "resolve",
                            at >= 0 ? json_string(iso) : json_null());
    }
    if (at < 0)
        return SEAM_OK;
    due_key(at, kind, aid, key);
    return store_put(t, DB_DUE, key, sizeof(key), ticket, 21, 0);
}

static int
already(const json_t *sla, const char *list, enum sla_kind kind)
{
    json_t *v;
    size_t i;
    json_array_foreach(json_object_get(sla, list), i, v)
    {
        if (strcmp(json_string_value(v), sla_kind_names[kind]) == 0)
            return 1;
    }
    return 0;
}

/* Schedules the resolve clock's warning and breach from a running segment's start. */
static enum seam_err
schedule_resolve(struct store_txn *t, struct calendar *cal, const struct config_sla *pol,
                 json_t *asg, const char *ticket, int64_t from)
{
    json_t *sla = json_object_get(asg, "sla");
    int64_t target = ms_of(sla, "resolve_target_ms"), elapsed = ms_of(sla, "resolve_elapsed_ms");
    int64_t warn = (int64_t)((double)target * pol->warning_fraction);
    enum seam_err rc =
        set_due(t, asg, ticket, SLA_RESOLVE, calendar_add(cal, from, target - elapsed));
    if (rc == SEAM_OK && !already(sla, "warned", SLA_WARN_RESOLVE))
        rc = set_due(t, asg, ticket, SLA_WARN_RESOLVE,
                     warn > elapsed ? calendar_add(cal, from, warn - elapsed) : -1);
    return rc;
}

enum seam_err
sla_start(struct store_txn *t, const struct sla *s, const struct config *cfg, const json_t *record,
          json_t *asg, int64_t at)
{
    const char *owner = json_string_value(json_object_get(asg, "partner"));
    const char *ticket = json_string_value(json_object_get(record, "id"));
    const struct config_sla *pol = policy_of(cfg, owner);
    int prio = priority_parse(json_string_value(json_object_get(record, "priority")));
    struct calendar *cal = sla_calendar_of(s, cfg, owner);
    if (prio < 0)
        prio = PRIO_NORMAL;
    int64_t ack = (int64_t)pol->targets[prio].ack_minutes * 60000;
    int64_t resolve = (int64_t)pol->targets[prio].resolve_minutes * 60000;
    const char *status = json_string_value(json_object_get(record, "status"));
    int paused = status && strcmp(status, "pending") == 0;
    json_object_set_new(asg, "sla",
                        json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:[], s:[]}", "policy", pol->id,
                                  "assigned_ms", (json_int_t)at, "ack_target_ms", (json_int_t)ack,
                                  "resolve_target_ms", (json_int_t)resolve, "resolve_elapsed_ms",
                                  (json_int_t)0, "running_since",
                                  paused ? json_null() : json_integer(at), "warned", "breached"));
    enum seam_err rc = set_due(t, asg, ticket, SLA_ACK, calendar_add(cal, at, ack));
    if (rc == SEAM_OK)
        rc = set_due(t, asg, ticket, SLA_WARN_ACK,
                     calendar_add(cal, at, (int64_t)((double)ack * pol->warning_fraction)));
    if (rc == SEAM_OK && !paused)
        rc = schedule_resolve(t, cal, pol, asg, ticket, at);
    return rc;
}

/* Clears one due instant (no ticket needed). */
static enum seam_err
clear_due(struct store_txn *t, json_t *asg, enum sla_kind kind)
{
    return set_due(t, asg, NULL, kind, -1);
}

enum seam_err
sla_acked(struct store_txn *t, const struct sla *s, const struct config *cfg, json_t *asg,
          int64_t at)
{
    json_t *sla = json_object_get(asg, "sla");
    if (sla == NULL)
        return SEAM_OK;
    struct calendar *cal =
        sla_calendar_of(s, cfg, json_string_value(json_object_get(asg, "partner")));
    json_object_set_new(sla, "ack_business_ms",
                        json_integer(calendar_between(cal, ms_of(sla, "assigned_ms"), at)));
    enum seam_err rc = clear_due(t, asg, SLA_ACK);
    return rc == SEAM_OK ? clear_due(t, asg, SLA_WARN_ACK) : rc;
}

static int
live(const json_t *asg)
{
    const char *st = json_string_value(json_object_get(asg, "state"));
    return st &&
           (!strcmp(st, "assigned") || !strcmp(st, "acknowledged") || !strcmp(st, "inProgress"));
}

/* Folds the running segment into the elapsed time; the clock is paused after. */
static void
fold(const struct sla *s, const struct config *cfg, json_t *asg, int64_t at)
{
    json_t *sla = json_object_get(asg, "sla");
    int64_t since = ms_of(sla, "running_since");
    if (since < 0)
        return;
    struct calendar *cal =
        sla_calendar_of(s, cfg, json_string_value(json_object_get(asg, "partner")));
    json_object_set_new(
        sla, "resolve_elapsed_ms",
        json_integer(ms_of(sla, "resolve_elapsed_ms") + calendar_between(cal, since, at)));
    json_object_set_new(sla, "running_since", json_null());
}

enum seam_err
sla_pause(struct store_txn *t, const struct sla *s, const struct config *cfg, json_t *record,
          int64_t at)
{
    json_t *asg;
    size_t i;
    json_array_foreach(json_object_get(record, "assignments"), i, asg)
    {
        if (!live(asg) || json_object_get(asg, "sla") == NULL)
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
sla_resume(struct store_txn *t, const struct sla *s, const struct config *cfg, json_t *record,
           int64_t at)
{
    json_t *asg;
    size_t i;
    const char *ticket = json_string_value(json_object_get(record, "id"));
    json_array_foreach(json_object_get(record, "assignments"), i, asg)
    {
        json_t *sla = json_object_get(asg, "sla");
        if (!live(asg) || sla == NULL || ms_of(sla, "running_since") >= 0 ||
            ms_of(sla, "resolve_business_ms") >= 0)
            continue;
        const char *owner = json_string_value(json_object_get(asg, "partner"));
        json_object_set_new(sla, "running_since", json_integer(at));
        enum seam_err rc = schedule_resolve(t, sla_calendar_of(s, cfg, owner),
                                            policy_of(cfg, owner), asg, ticket, at);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

enum seam_err
sla_stop(struct store_txn *t, const struct sla *s, const struct config *cfg, json_t *asg,
         int64_t at)
{
    json_t *sla = json_object_get(asg, "sla");
    if (sla == NULL)
        return SEAM_OK;
    fold(s, cfg, asg, at);
    /* The business time the claim was held: what its owner is charged with. */
    json_object_set_new(sla, "resolve_business_ms", json_integer(ms_of(sla, "resolve_elapsed_ms")));
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
sla_fired(struct store_txn *t, json_t *asg, enum sla_kind kind, int64_t at)
{
    json_t *sla = json_object_get(asg, "sla");
    if (sla == NULL || !live(asg) || ms_of(sla, due_fields[kind]) != at)
        return 0;
    const char *list = kind == SLA_WARN_ACK || kind == SLA_WARN_RESOLVE ? "warned" : "breached";
    json_array_append_new(json_object_get(sla, list), json_string(sla_kind_names[kind]));
    /* The instant stays visible in "due"; only its index entry goes. */
    uint8_t key[SLA_DUE_KEY_LEN];
    due_key(at, kind, json_string_value(json_object_get(asg, "id")), key);
    json_object_set_new(sla, due_fields[kind], json_null());
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
sla_e2e_start(const struct sla *s, const struct config *cfg, json_t *record, int64_t at)
{
    int prio = priority_parse(json_string_value(json_object_get(record, "priority")));
    int64_t target =
        (int64_t)cfg->lead.sla->targets[prio < 0 ? PRIO_NORMAL : prio].resolve_minutes * 60000;
    char due[32];
    format_time_ms(calendar_add(lead_calendar(s, cfg), at, target), due);
    json_object_set_new(record, "e2e",
                        json_pack("{s:s, s:I, s:I, s:I, s:s, s:n}", "policy", cfg->lead.sla->id,
                                  "target_ms", (json_int_t)target, "elapsed_ms", (json_int_t)0,
                                  "running_since", (json_int_t)at, "due", due,
                                  "resolved_business_ms"));
}

static int
is_status(const char *s, const char *const *set)
{
    for (; s && *set; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

void
sla_e2e_status(const struct sla *s, const struct config *cfg, json_t *record, const char *before,
               int64_t at)
{
    static const char *const stopped[] = {"pending", "resolved", "closed", "cancelled", NULL};
    json_t *e2e = json_object_get(record, "e2e");
    const char *now = json_string_value(json_object_get(record, "status"));
    if (e2e == NULL || before == NULL || now == NULL || strcmp(before, now) == 0)
        return;
    struct calendar *cal = lead_calendar(s, cfg);
    int64_t since = ms_of(e2e, "running_since");
    int64_t elapsed = ms_of(e2e, "elapsed_ms");
    if (since >= 0 && is_status(now, stopped)) { /* the clock stops or pauses */
        elapsed += calendar_between(cal, since, at);
        json_object_set_new(e2e, "elapsed_ms", json_integer(elapsed));
        json_object_set_new(e2e, "running_since", json_null());
        json_object_set_new(e2e, "due", json_null());
        if (strcmp(now, "resolved") == 0)
            json_object_set_new(e2e, "resolved_business_ms", json_integer(elapsed));
    } else if (since < 0 && !is_status(now, stopped)) { /* answered, or reopened */
        char due[32];
        format_time_ms(calendar_add(cal, at, ms_of(e2e, "target_ms") - elapsed), due);
        json_object_set_new(e2e, "running_since", json_integer(at));
        json_object_set_new(e2e, "due", json_string(due));
        json_object_set_new(e2e, "resolved_business_ms", json_null());
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
