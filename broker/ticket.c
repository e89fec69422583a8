/*
 * ticket.c: filing and the state machine. A ticket is routed when it is
 * filed and again when it is reopened: each routing makes a round of
 * assignments (route.c decides the owners). Every change is one signed
 * event appended through evlog in the same transaction as the record
 * (record.c). Status follows the assignments: acknowledged until an owner
 * acknowledges, inProgress while one works it, resolved when no live
 * assignment remains.
 *
 * Each action is one row of ticket_actions[]: who may take it, from which
 * states, the event it writes and its visibility, its limit tier; ticket_act
 * checks what the row says, then runs the row's apply function for what
 * the action changes beyond that.
 */
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "json_fast.h"
#include "json_read.h"
#include "log.h"
#include "fanout.h"
#include "ebond.h"
#include "outbox.h"
#include "record.h"
#include "route.h"
#include "ticket.h"
#include "tmf_note.h"

/* The SLA clock calls, skipped when the context has no clocks. */
#define SLA(call)                                                                                  \
    do {                                                                                           \
        if (c->sla != NULL) {                                                                      \
            enum seam_err sla_rc_ = (call);                                                        \
            if (sla_rc_ != SEAM_OK)                                                                \
                return sla_rc_;                                                                    \
        }                                                                                          \
    } while (0)

/* An action refused with a reason for the answer. */
#define REFUSE(err, msg, fld)                                                                      \
    do {                                                                                           \
        why->message = (msg);                                                                      \
        why->field = (fld);                                                                        \
        return (err);                                                                              \
    } while (0)

enum limit_tier {
    TIER_ADD,    /* adds to the ticket: stops two reserves short of the limits */
    TIER_END,    /* takes a claim to its end: may use the first reserve */
    TIER_BROKER, /* the broker's own events: never refused */
};

/* ---- events ---- */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * An event's restricted content (format 2): each restricted value becomes a
 * disclosure (seam/evidence.h), kept beside the event, and the event signs
 * only its digest, in "sd". Made from the values' canonical text: no tree
 * is built.
 */
#define RESTRICTED_MAX 8

struct restricted {
    char *texts[RESTRICTED_MAX]; /* the disclosures, in the order they were made */
    char digests[RESTRICTED_MAX][2 * SEAM_HASH_LEN + 1];
    size_t n;
};

/* One more: member name's value, its canonical JSON text. */
static void
restricted_add(struct restricted *r, const char *name, const char *value, size_t vlen)
{
    assert(r->n < RESTRICTED_MAX);
    r->texts[r->n] = seam_disclosure_text(name, value, vlen, r->digests[r->n]);
    if (r->texts[r->n] == NULL)
        abort(); /* the names restricted are ours and plain */
    r->n++;
}

/* *sd the sorted digests and *disc the disclosures, as JSON arrays' texts (malloc'd); both
 * NULL when nothing is restricted (the event is of format 1, as every event was before). */
static void
restricted_finish(struct restricted *r, char **sd, char **disc)
{
    *sd = *disc = NULL;
    if (r->n == 0)
        return;
    /* sorted, so the digests say nothing of the members' order */
    const char *h[RESTRICTED_MAX];
    struct json_text a = {0}, b = {0};
    for (size_t i = 0; i < r->n; i++)
        h[i] = r->digests[i];
    qsort(h, r->n, sizeof(h[0]), cmp_str);
    json_text_lit(&a, "[");
    json_text_lit(&b, "[");
    for (size_t i = 0; i < r->n; i++) {
        if (i > 0) {
            json_text_lit(&a, ",");
            json_text_lit(&b, ",");
        }
        json_text_string(&a, h[i], strlen(h[i]));
        json_text_string(&b, r->texts[i], strlen(r->texts[i]));
        free(r->texts[i]);
    }
    json_text_lit(&a, "]");
    json_text_lit(&b, "]");
    json_text_add(&a, "", 1); /* their NULs */
    json_text_add(&b, "", 1);
    *sd = a.data;
    *disc = b.data;
    r->n = 0;
}

/*
 * Restricted content out of an event's data (event_member_restricted: the
 * text its timeline entry shows, a note, a reason, a question..., and the
 * customer's name and contact on ticket.created; a null is no content),
 * added to r. Returns the data left (canonical, malloc'd), or NULL when no
 * member of it is restricted.
 *
 * The data is canonical JSON built by this file, so it is read with the
 * pull reader and copied member by member: the members left keep their
 * canonical order and text, and a restricted member's text is its value's
 * canonical text, which its disclosure holds as it is.
 */
static char *
data_restrict(enum event_type type, const char *data, size_t dlen, struct restricted *res)
{
    if (event_types[type].text == NULL && type != EV_TICKET_CREATED)
        return NULL;
    struct json_read r;
    struct json_slice k, raw;
    struct json_text left = {0};
    size_t kept = 0, before = res->n;
    json_read_init(&r, data, dlen);
    if (!json_read_object(&r)) { /* ours, just built: never so */
        json_read_done(&r);
        return NULL;
    }
    json_text_lit(&left, "{");
    while (json_read_key(&r, &k)) {
        char name[64];
        int named = k.n < sizeof(name);
        if (named) {
            memcpy(name, k.s, k.n);
            name[k.n] = '\0';
        }
        /* the key is copied before the value is read: it may live in the reader's buffer */
        size_t mark = left.len;
        if (kept++ > 0)
            json_text_lit(&left, ",");
        json_text_string(&left, k.s, k.n);
        json_text_lit(&left, ":");
        if (!json_read_skip(&r, &raw, UINT_MAX))
            break;
        if (!named || (raw.n == 4 && memcmp(raw.s, "null", 4) == 0) ||
            !event_member_restricted(type, name)) {
            json_text_add(&left, raw.s, raw.n);
            continue;
        }
        left.len = mark; /* the member leaves the data for its disclosure */
        kept--;
        restricted_add(res, name, raw.s, raw.n);
    }
    int read = json_read_end(&r);
    json_read_done(&r);
    if (!read) /* nested past what the readers parse: the log refuses the event */
        while (res->n > before)
            free(res->texts[--res->n]);
    if (res->n == before) {
        free(left.data);
        return NULL;
    }
    json_text_lit(&left, "}");
    json_text_add(&left, "", 1); /* its NUL */
    return left.data;
}

/* Whether the actor's id names a person rather than a company: the lead's user or desk
 * (its role names the company), an audit firm's. */
static int
actor_id_restricted(enum role role)
{
    return role == ROLE_LEAD || role == ROLE_AUDITOR;
}

/*
 * Who acted, where a view may not see the person: the acting user
 * (actor.user) and the id of a lead's or auditor's principal (actor.id,
 * actor_id_restricted), each a disclosure named "actor.M" (seam/evidence.h:
 * it puts member M back into the actor), added to r. The actor's company
 * (its role, a partner's or customer's id) stays in clear.
 */
static void
actor_restrict(const struct principal *who, struct restricted *r)
{
    for (int i = 0; i < 2; i++) {
        const char *v = i == 0 ? who->subject : who->user;
        if (i == 0 ? !actor_id_restricted(who->role) : who->user[0] == '\0')
            continue;
        struct json_text t = {0};
        json_text_string(&t, v, strlen(v));
        restricted_add(r, i == 0 ? "actor.id" : "actor.user", t.data, t.len);
        free(t.data);
    }
}

/*
 * Appends one event to the ticket: seq and prev from the ticket's head,
 * data (a canonical JSON object's text) as its data, signed and logged by
 * evlog; the head advanced. The event's members are written in their
 * sorted order: its bytes are canonical JSON, as a verifier re-encodes them.
 * Restricted content is signed by digest (struct restricted).
 */
static enum seam_err
ticket_event(struct store_txn *t, const struct ticket_ctx *c, struct ticket *tk,
             enum event_type type, const struct principal *who, const char *at, const char *data,
             size_t dlen)
{
    struct json_text ev = {0};
    char num[24], *sd, *disc;
    struct restricted r = {.n = 0};
    char *left = data_restrict(type, data, dlen, &r);
    if (left != NULL) {
        data = left;
        dlen = strlen(left);
    }
    actor_restrict(who, &r);
    restricted_finish(&r, &sd, &disc);
    /* who acted: a restricted id or user (the acting user, users.h) is a disclosure */
    json_text_lit(&ev, "{\"actor\":{");
    if (!actor_id_restricted(who->role)) {
        json_text_lit(&ev, "\"id\":");
        json_text_string(&ev, who->subject, strlen(who->subject));
        json_text_lit(&ev, ",");
    }
    json_text_lit(&ev, "\"role\":");
    const char *role = auth_role_name(who->role);
    json_text_string(&ev, role, strlen(role));
    json_text_lit(&ev, "},\"at\":\"");
    json_text_add(&ev, at, strlen(at));
    json_text_lit(&ev, "\",\"data\":");
    json_text_add(&ev, data, dlen);
    json_text_lit(&ev, ",\"prev\":\"");
    json_text_add(&ev, tk->last, strlen(tk->last));
    json_text_lit(&ev, "\",");
    if (sd != NULL) {
        json_text_lit(&ev, "\"sd\":");
        json_text_add(&ev, sd, strlen(sd));
        json_text_lit(&ev, ",");
    }
    json_text_lit(&ev, "\"seq\":");
    int n = snprintf(num, sizeof(num), "%u", tk->events);
    json_text_add(&ev, num, (size_t)n);
    json_text_lit(&ev, ",\"ticket\":\"");
    json_text_add(&ev, tk->id, strlen(tk->id));
    json_text_lit(&ev, "\",\"type\":\"");
    const char *name = event_types[type].name;
    json_text_add(&ev, name, strlen(name));
    if (sd != NULL) /* json_text_lit takes a literal's size: one literal each */
        json_text_lit(&ev, "\",\"v\":2}");
    else
        json_text_lit(&ev, "\",\"v\":1}");
    enum seam_err rc = evlog_append_disclosed(t, c->lg, tk->id, tk->events, ev.data, ev.len, disc,
                                              disc ? strlen(disc) : 0);
    if (rc == SEAM_OK) {
        seam_sha256_hex(ev.data, ev.len, tk->last);
        tk->events++;
    }
    free(ev.data);
    free(left);
    free(sd);
    free(disc);
    return rc;
}

/* A member whose value is the object inner, finished. */
static void
obj_member(struct json_obj *o, const char *key, struct json_obj *inner)
{
    size_t n;
    char *text = json_obj_finish(inner, &n);
    json_obj_raw(o, key, text, n);
    free(text);
}

/* The object inner, finished, appended to an array's text. */
static void
obj_append(struct json_text *out, struct json_obj *inner)
{
    size_t n;
    char *text = json_obj_finish(inner, &n);
    json_text_add(out, text, n);
    free(text);
}

/* ---- the ticket's parts ---- */

static void
timeline_add(struct ticket *tk, int64_t at, enum event_type type, enum visibility vis,
             const char *text, const struct principal *who)
{
    tk->timeline = xrealloc(tk->timeline, (tk->ntimeline + 1) * sizeof(*tk->timeline));
    struct timeline_entry *e = &tk->timeline[tk->ntimeline++];
    e->at = at;
    e->type = type;
    e->status = tk->status;
    e->visibility = vis;
    e->text = text ? xstrdup(text) : NULL;
    e->by = who->user[0] != '\0' ? xstrdup(who->user) : NULL;
}

static void
set_str(char **field, const char *s)
{
    free(*field);
    *field = s ? xstrdup(s) : NULL;
}

/* The facts a ticket is routed by. */
static void
ticket_facts(const struct config *cfg, const struct ticket *tk, struct route_facts *f)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++)
        f->v[i] = tk->facts[i];
}

/* The facts as a canonical JSON object: every fact, null when not given. */
static void
facts_json(const struct config *cfg, struct json_obj *o, const char *key, char *const facts[])
{
    struct json_obj f = JSON_OBJ_INIT;
    for (size_t i = 0; i < cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++)
        json_obj_str(&f, cfg->fact_kinds[i].name, facts[i]);
    obj_member(o, key, &f);
}

/* [{"partner","role"}, ...] */
static void
owners_json(struct json_text *out, const struct route_owner *o, size_t n)
{
    json_text_lit(out, "[");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            json_text_lit(out, ",");
        json_text_lit(out, "{\"partner\":");
        json_text_string(out, o[i].partner, strlen(o[i].partner));
        json_text_lit(out, ",\"role\":");
        json_text_string(out, o[i].role, strlen(o[i].role));
        json_text_lit(out, "}");
    }
    json_text_lit(out, "]");
}

static enum seam_err
index_assignment(struct store_txn *t, const char *aid, const char *tid, const char *partner)
{
    enum seam_err rc = store_put(t, DB_ASSIGNMENTS, aid, TICKET_ID_LEN, tid, TICKET_ID_LEN,
                                 STORE_NOOVERWRITE | STORE_APPEND);
    if (rc != SEAM_OK)
        return rc;
    size_t plen = strlen(partner);
    char qk[256 + TICKET_ID_LEN];
    if (plen + 1 + TICKET_ID_LEN > sizeof(qk))
        return SEAM_EINVAL;
    memcpy(qk, partner, plen + 1);
    memcpy(qk + plen + 1, aid, TICKET_ID_LEN);
    return store_put(t, DB_QUEUES, qk, plen + 1 + TICKET_ID_LEN, tid, TICKET_ID_LEN, 0);
}

/* A new assignment of the ticket to partner, indexed; *index: its place. */
static enum seam_err
add_assignment(struct store_txn *t, const struct ticket_ctx *c, struct ticket *tk,
               const char *partner, const char *rule, int64_t chain_position, int64_t at_ms,
               size_t *index)
{
    char aid[TICKET_ID_LEN + 1];
    struct store_val v;
    do
        ticket_new_id(t, 'A', aid);
    while (store_get(t, DB_ASSIGNMENTS, aid, TICKET_ID_LEN, &v) == SEAM_OK);
    enum seam_err rc = index_assignment(t, aid, tk->id, partner);
    if (rc != SEAM_OK)
        return rc;
    tk->assignments = xrealloc(tk->assignments, (tk->nassignments + 1) * sizeof(*tk->assignments));
    struct assignment *a = &tk->assignments[tk->nassignments];
    memset(a, 0, sizeof(*a));
    memcpy(a->id, aid, sizeof(a->id));
    a->partner = xstrdup(partner);
    a->state = AS_ASSIGNED;
    a->rule = xstrdup(rule);
    a->round = tk->round;
    a->chain_position = chain_position;
    a->bounces = tk->bounces;
    a->due_ack = a->due_resolve = SEAM_NULL_MS;
    a->assigned_at = at_ms;
    a->acknowledged_at = a->resolved_at = a->ended_at = a->handed_back_at = SEAM_ABSENT_MS;
    a->handback_reason = -1;
    a->held_ms = SEAM_ABSENT_MS;
    a->event_seq = tk->events; /* the event about to be appended made it */
    *index = tk->nassignments++;
    SLA(sla_start(t, c->sla, c->cfg, tk, &tk->assignments[*index], at_ms));
    return SEAM_OK;
}

/*
 * Routes the ticket by its facts and opens a new round of assignments.
 * Writes the event's "route" member into o.
 */
static enum seam_err
route_round(struct store_txn *t, const struct ticket_ctx *c, struct ticket *tk, int64_t at_ms,
            struct json_obj *o)
{
    struct route_facts f;
    struct route_result res;
    ticket_facts(c->cfg, tk, &f);
    route_decide(c->cfg, &f, &res, NULL);
    const char *rule = res.rule ? res.rule->id : "unroutable";
    tk->round++;
    tk->bounces = 0; /* hand-backs in this round */
    set_str(&tk->rule, rule);
    tk->joint = res.joint;
    for (size_t i = 0; i < tk->nfallback; i++) {
        free(tk->fallback[i].role);
        free(tk->fallback[i].partner);
    }
    tk->fallback = xrealloc(tk->fallback, (res.nfallback + 1) * sizeof(*tk->fallback));
    tk->nfallback = res.nfallback;
    for (size_t i = 0; i < res.nfallback; i++) {
        tk->fallback[i].role = xstrdup(res.fallback[i].role);
        tk->fallback[i].partner = xstrdup(res.fallback[i].partner);
    }
    tk->customer_visible = res.rule && res.rule->customer_visible;
    set_str(&tk->topic, res.rule ? res.rule->label : NULL);
    /* Both say what the complaint is now: a round on corrected facts sets
     * or clears them (the events keep what each round said). */
    if (res.unroutable)
        flag_set_add(&tk->flags, FLAG_UNROUTABLE);
    else
        flag_set_del(&tk->flags, FLAG_UNROUTABLE);
    int out_of_bundle = !route_in_bundle(c->cfg, &f);
    if (out_of_bundle) /* routed all the same (the default rule), but visibly */
        flag_set_add(&tk->flags, FLAG_OUT_OF_BUNDLE);
    else
        flag_set_del(&tk->flags, FLAG_OUT_OF_BUNDLE);
    struct json_text made = {0};
    json_text_lit(&made, "[");
    for (size_t i = 0; i < res.nowners; i++) {
        size_t ai;
        enum seam_err rc = add_assignment(t, c, tk, res.owners[i].partner, rule, 0, at_ms, &ai);
        if (rc != SEAM_OK) {
            free(made.data);
            return rc;
        }
        struct json_obj m = JSON_OBJ_INIT;
        json_obj_str(&m, "id", tk->assignments[ai].id);
        json_obj_str(&m, "partner", tk->assignments[ai].partner);
        json_obj_str(&m, "rule", rule);
        json_obj_int(&m, "round", tk->round);
        if (i > 0)
            json_text_lit(&made, ",");
        obj_append(&made, &m);
    }
    json_text_lit(&made, "]");
    struct json_obj r = JSON_OBJ_INIT;
    json_obj_str(&r, "rule", rule);
    /* Which configuration decided (reload.h): a reload changes the rules of later routings. */
    if (c->cfg->version[0] != '\0')
        json_obj_str(&r, "config", c->cfg->version);
    json_obj_str(&r, "mode", res.joint ? "joint" : "single");
    facts_json(c->cfg, &r, "facts", tk->facts);
    struct json_text owners = {0}, fallback = {0};
    owners_json(&owners, res.owners, res.nowners);
    owners_json(&fallback, res.fallback, res.nfallback);
    json_obj_raw(&r, "owners", owners.data, owners.len);
    json_obj_raw(&r, "fallback", fallback.data, fallback.len);
    json_obj_bool(&r, "unroutable", res.unroutable);
    if (res.dep.applied) { /* owners given by the service's dependency (route.h) */
        struct json_obj d = JSON_OBJ_INIT;
        struct json_text up = {0};
        json_obj_str(&d, "mode", config_dependency_names[res.dep.mode]);
        json_obj_str(&d, "service", res.dep.service);
        owners_json(&up, res.dep.upstream, res.dep.nupstream);
        json_obj_raw(&d, "upstream", up.data, up.len);
        free(up.data);
        obj_member(&r, "dependency", &d);
    }
    if (out_of_bundle)
        json_obj_bool(&r, "out_of_bundle", 1);
    json_obj_raw(&r, "assignments", made.data, made.len);
    free(owners.data);
    free(fallback.data);
    free(made.data);
    obj_member(o, "route", &r);
    return SEAM_OK;
}

/* ---- limits per ticket (see ticket.h) ---- */

static size_t
tier_reserves(enum limit_tier tier)
{
    return tier == TIER_ADD ? 2 : 1;
}

/* The most events a ticket may hold after a change of this tier; 0: no limit. */
static size_t
events_cap(const struct config *cfg, enum limit_tier tier)
{
    size_t max = cfg->max_events_per_ticket, r = max / 16 < 4 ? 4 : max / 16;
    if (max == 0 || tier == TIER_BROKER)
        return 0;
    size_t keep = r * tier_reserves(tier);
    return max > keep ? max - keep : 1;
}

/* The most bytes a record may have after a change of this tier; 0: no limit. */
static size_t
bytes_cap(const struct config *cfg, enum limit_tier tier)
{
    size_t max = cfg->max_record_bytes;
    if (max == 0 || tier == TIER_BROKER)
        return 0;
    return max - max / 16 * tier_reserves(tier);
}

/* How many values a TMF attribute holds: an array's length, else one (none if absent). */
static size_t
tmf_values(const json_t *tmf, const char *key)
{
    json_t *v = json_object_get(tmf, key);
    return v == NULL || json_is_null(v) ? 0 : json_is_array(v) ? json_array_size(v) : 1;
}

/* The notes a ticket holds: on its timeline and among its TMF attributes. */
static size_t
notes_held(const struct ticket *tk)
{
    size_t n = 0;
    if (tk->tmf != NULL) {
        json_t *tmf = json_loads(tk->tmf, 0, NULL);
        n = tmf_values(tmf, "note");
        json_decref(tmf);
    }
    for (size_t i = 0; i < tk->ntimeline; i++)
        n += event_types[tk->timeline[i].type].note;
    return n;
}

/*
 * Whether the ticket, changed but without this change's timeline entry yet,
 * may take the event of type as a change of this tier; tmf_notes: the TMF
 * notes the change added. SEAM_ELIMIT with why filled if not. The bytes
 * are judged where the record is saved.
 */
static enum seam_err
limits_allow(const struct config *cfg, const struct ticket *tk, enum limit_tier tier,
             enum event_type type, size_t tmf_notes, struct ticket_refusal *why)
{
    if (tier == TIER_BROKER)
        return SEAM_OK;
    size_t entry = event_types[type].note; /* this change's entry is a note */
    if (tmf_notes + entry > 0 && cfg->max_notes_per_ticket > 0 &&
        notes_held(tk) + entry > cfg->max_notes_per_ticket) {
        snprintf(why->text, sizeof(why->text),
                 "a ticket holds at most %u notes (limits.max_notes_per_ticket); file a new "
                 "complaint",
                 cfg->max_notes_per_ticket);
        why->message = why->text;
        why->field = tmf_notes > 0 ? "note" : NULL; /* the TMF attribute */
        return SEAM_ELIMIT;
    }
    size_t cap = events_cap(cfg, tier);
    if (cap > 0 && (size_t)tk->events + 1 > cap) {
        snprintf(why->text, sizeof(why->text),
                 "the ticket holds %u events; %s stop at %zu (limits.max_events_per_ticket %u "
                 "less the reserve for closing it and for the broker's own events)",
                 tk->events, tier == TIER_ADD ? "additions" : "changes of its state", cap,
                 cfg->max_events_per_ticket);
        why->message = why->text;
        why->field = NULL;
        return SEAM_ELIMIT;
    }
    return SEAM_OK;
}

static void
refuse_size(const struct config *cfg, enum limit_tier tier, struct ticket_refusal *why)
{
    snprintf(why->text, sizeof(why->text),
             "the ticket's record would pass %zu bytes, the most %s may make it "
             "(limits.max_record_bytes %zu less the reserve for closing it and for the broker's "
             "own events)",
             bytes_cap(cfg, tier), tier == TIER_ADD ? "an addition" : "a change of its state",
             cfg->max_record_bytes);
    why->message = why->text;
    why->field = NULL;
}

/* ---- push: what a change means for each push partner's claims ---- */

/*
 * After a change (in its transaction): queues a message for every claim of
 * a push partner that is new, changed state, or is live while its ticket's
 * status changed; never for the partner's own action. before: the states
 * of the first nbefore assignments before the change (assignments are only
 * ever appended).
 */
static enum seam_err
push_changes(struct store_txn *t, const struct ticket_ctx *c, const struct ticket *tk,
             const uint8_t *before, size_t nbefore, int status_before, const struct principal *who,
             enum event_type event, const char *at)
{
    int status_changed = status_before >= 0 && (int)tk->status != status_before;
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        const struct config_partner *p = config_partner_find(c->cfg, a->partner);
        if (p == NULL || p->delivery == DELIVERY_PULL)
            continue;
        if (who->role == ROLE_PARTNER && strcmp(who->subject, a->partner) == 0)
            continue;
        if (p->delivery == DELIVERY_TMF621) { /* the partner's own TMF621 system (ebond.c) */
            int was_live = i < nbefore && before[i] <= AS_IN_PROGRESS;
            /* A reopen: the partner hears of it on the TroubleTicket its resolved claim had. */
            int reopened = event == EV_TICKET_REOPENED && i < nbefore && before[i] == AS_RESOLVED &&
                           a->round == tk->round - 1;
            const char *text = tk->ntimeline ? tk->timeline[tk->ntimeline - 1].text : NULL;
            enum seam_err rc = SEAM_OK;
            if (i >= nbefore || was_live || reopened)
                rc = ebond_queue(t, p, tk, a, i >= nbefore, event, text);
            if (rc != SEAM_OK)
                return rc;
            continue;
        }
        const char *type;
        if (i >= nbefore)
            type = "assignment.created";
        else if (before[i] != a->state || (status_changed && assignment_is_live(a)))
            type = "assignment.updated";
        else
            continue;
        size_t vlen;
        char *view = ticket_assignment_text(t, c, tk, a->id, &vlen);
        struct json_text body = {0};
        json_text_lit(&body, "{\"type\":\"");
        json_text_add(&body, type, strlen(type));
        json_text_lit(&body, "\",\"timestamp\":\"");
        json_text_add(&body, at, strlen(at));
        json_text_lit(&body, "\",\"event\":\"");
        json_text_add(&body, event_types[event].name, strlen(event_types[event].name));
        json_text_lit(&body, "\",\"data\":");
        if (view != NULL)
            json_text_add(&body, view, vlen);
        else
            json_text_lit(&body, "{}");
        json_text_lit(&body, "}");
        free(view);
        enum seam_err rc = outbox_enqueue_text(t, p, tk->id, a->id, type, body.data, body.len);
        free(body.data);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

/* ---- filing ---- */

void
ticket_input_free(struct ticket_input *in)
{
    free(in->summary);
    free(in->description);
    for (size_t i = 0; i < FACT_MAX; i++)
        free(in->facts[i]);
    free((char *)in->customer);
    free(in->duplicate_of);
    json_decref(in->tmf);
}

/* A fact's value from where its row says: the complaint (given), the customer
 * record, either (the complaint's if given, else the record's), the priority. */
static const char *
fact_value(const struct fact_kind *k, const char *given, const json_t *cust, const char *prio)
{
    switch (k->source) {
    case FACT_FROM_COMPLAINT:
        return given;
    case FACT_FROM_CUSTOMER:
        return json_string_value(json_object_get(cust, k->name));
    case FACT_FROM_EITHER:
        return given ? given : json_string_value(json_object_get(cust, k->name));
    case FACT_FROM_PRIORITY:
        break;
    }
    return prio;
}

/* The facts of a complaint in by customer record cust, by enum fact (borrowed). */
static void
input_facts(const struct config *cfg, const struct ticket_input *in, const json_t *cust,
            const char *facts[SEAM_FACTS_MAX])
{
    const struct fact_kind *kinds = cfg->fact_kinds;
    for (size_t i = 0; i < SEAM_FACTS_MAX; i++)
        facts[i] = NULL;
    for (size_t i = 0; i < cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++)
        facts[i] = fact_value(&kinds[i], in->facts[i], cust, priority_names[in->priority]);
}

/*
 * Whether earlier may be what customer files again at now with these facts:
 * the same customer's, open, not merged, filed within the window, and the
 * same facts but the priority (a fact given in one and not the other differs).
 */
static int
duplicate_candidate(const struct config *cfg, const struct ticket *earlier, const char *customer,
                    const char *const facts[], int64_t now)
{
    if (cfg->duplicate_window_minutes == 0 || !ticket_is_open(earlier) ||
        earlier->merged_into != NULL || earlier->customer == NULL ||
        strcmp(earlier->customer, customer) != 0 ||
        now - earlier->created_at > (int64_t)cfg->duplicate_window_minutes * 60000)
        return 0;
    for (size_t i = 0; i < cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++) {
        if (cfg->fact_kinds[i].source == FACT_FROM_PRIORITY)
            continue;
        const char *a = earlier->facts[i], *b = facts[i];
        if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
            return 0;
    }
    return 1;
}

struct dup_scan {
    struct store_txn *t;
    const struct config *cfg;
    const char *customer;
    size_t plen; /* the customer's id with its NUL */
    const char **facts;
    int64_t now;
    unsigned seen;
    char found[TICKET_ID_LEN + 1];
    enum seam_err rc;
};

static int
dup_one(void *ctx, struct store_val key, struct store_val val)
{
    struct dup_scan *d = ctx;
    (void)val;
    if (key.len != d->plen + TICKET_ID_LEN || memcmp(key.data, d->customer, d->plen) != 0)
        return 1; /* past the customer's tickets */
    char id[TICKET_ID_LEN + 1];
    memcpy(id, (const char *)key.data + d->plen, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    struct ticket tk;
    if (record_peek(d->t, id, &tk) != SEAM_OK)
        return 0; /* a record that cannot be read is passed over */
    int older = d->now - tk.created_at > (int64_t)d->cfg->duplicate_window_minutes * 60000;
    int hit = !older && duplicate_candidate(d->cfg, &tk, d->customer, d->facts, d->now);
    ticket_free(&tk);
    if (hit) {
        memcpy(d->found, id, sizeof(d->found));
        d->rc = SEAM_OK;
    }
    return hit || older || ++d->seen >= DUPLICATE_SCAN;
}

enum seam_err
ticket_find_duplicate(struct store_txn *t, const struct config *cfg, const char *customer,
                      const json_t *cust, const struct ticket_input *in,
                      char out[TICKET_ID_LEN + 1])
{
    const char *facts[SEAM_FACTS_MAX];
    if (cfg->duplicate_window_minutes == 0 || customer == NULL)
        return SEAM_ENOTFOUND;
    input_facts(cfg, in, cust, facts);
    size_t plen = strlen(customer) + 1;
    char *start = xmalloc(plen + TICKET_ID_LEN);
    memcpy(start, customer, plen);
    memset(start + plen, 0xff, TICKET_ID_LEN);
    struct dup_scan d = {.t = t,
                         .cfg = cfg,
                         .customer = customer,
                         .plen = plen,
                         .facts = facts,
                         .now = now_ms(),
                         .rc = SEAM_ENOTFOUND};
    enum seam_err rc = store_scan(t, DB_CUST_TICKETS, start, plen + TICKET_ID_LEN, 1, dup_one, &d);
    free(start);
    if (rc != SEAM_OK)
        return rc;
    if (d.rc == SEAM_OK)
        memcpy(out, d.found, TICKET_ID_LEN + 1);
    return d.rc;
}

enum seam_err
ticket_create(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
              const struct ticket_input *in, struct ticket *out)
{
    json_t *cust = NULL;
    struct ticket tk;
    char at[32];
    struct store_val v;
    enum seam_err rc;

    memset(&tk, 0, sizeof(tk));
    const char *customer = in->customer ? in->customer : who->subject;
    if (who->role != ROLE_CUSTOMER && !(who->role == ROLE_LEAD && in->customer))
        return SEAM_EINVAL;
    if (who->role == ROLE_CUSTOMER && in->customer && strcmp(in->customer, who->subject) != 0)
        return SEAM_EINVAL;
    if ((rc = customer_load(t, customer, &cust)) != SEAM_OK)
        return rc == SEAM_ENOTFOUND ? SEAM_EINVAL : rc;
    if (in->tmf != NULL &&
        (tmf_values(in->tmf, "note") > c->cfg->max_notes_per_ticket ||
         tmf_values(in->tmf, "attachment") > c->cfg->max_attachments_per_ticket)) {
        rc = SEAM_ELIMIT; /* the TMF face says which (api_tmf.c) */
        goto out;
    }
    do
        ticket_new_id(t, 'T', tk.id);
    while (store_get(t, DB_TICKETS, tk.id, TICKET_ID_LEN, &v) == SEAM_OK);
    int64_t now = now_ms();
    format_time_ms(now, at);
    /* A TMF client's notes are the filer's, written now, whatever the body said. */
    tmf_notes_stamp(json_object_get(in->tmf, "note"), who, at);
    const char *prio = priority_names[in->priority];

    tk.customer = xstrdup(customer);
    tk.channel = xstrdup(in->channel ? in->channel : ticket_channels[CH_API]);
    tk.status = TS_ACKNOWLEDGED;
    tk.priority = in->priority;
    tk.summary = xstrdup(in->summary);
    tk.description = xstrdup(in->description);
    /* Each fact from where its row says: the complaint, the customer record, the priority. */
    const struct fact_kind *kinds = c->cfg->fact_kinds;
    struct json_obj over = JSON_OBJ_INIT; /* the record's values the complaint overrode */
    size_t nover = 0;
    for (size_t i = 0; i < c->cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++) {
        const char *val = fact_value(&kinds[i], in->facts[i], cust, prio);
        if (kinds[i].source == FACT_FROM_EITHER && in->facts[i] != NULL) {
            /* The complaint overrides the record: the event says what the record said. */
            const char *rec = json_string_value(json_object_get(cust, kinds[i].name));
            if (rec == NULL || strcmp(rec, in->facts[i]) != 0) {
                json_obj_str(&over, kinds[i].name, rec);
                nover++;
            }
        }
        tk.filed[i] = val && kinds[i].source != FACT_FROM_PRIORITY ? xstrdup(val) : NULL;
        tk.facts[i] = val ? xstrdup(val) : NULL;
    }
    tk.created_at = tk.updated_at = now;
    tk.e2e.due = tk.e2e.running_since = tk.e2e.resolved_business_ms = SEAM_NULL_MS;
    /* The earlier ticket the request found is judged again here, in this
     * transaction (a read that the commit checks): still open, the same facts. */
    if (in->duplicate_of != NULL && ticket_id_valid(in->duplicate_of)) {
        struct ticket earlier;
        const char *facts[SEAM_FACTS_MAX];
        input_facts(c->cfg, in, cust, facts);
        if (record_peek(t, in->duplicate_of, &earlier) == SEAM_OK) {
            if (duplicate_candidate(c->cfg, &earlier, customer, facts, now)) {
                tk.duplicate_of = xstrdup(earlier.id);
                flag_set_add(&tk.flags, FLAG_POSSIBLE_DUPLICATE);
            }
            ticket_free(&earlier);
        }
    }
    struct json_obj d = JSON_OBJ_INIT;
    if (nover > 0)
        obj_member(&d, "record_facts", &over);
    else
        json_obj_free(&over);
    if ((rc = route_round(t, c, &tk, now, &d)) != SEAM_OK) {
        json_obj_free(&d);
        goto out;
    }
    if (c->sla != NULL)
        sla_e2e_start(c->sla, c->cfg, &tk, now);
    if (in->tmf != NULL) {
        char buf[4096];
        size_t len;
        char *text = json_dump_into(in->tmf, JSON_COMPACT, buf, sizeof(buf), &len);
        tk.tmf = text == buf ? xstrdup(buf) : text;
        if ((rc = json_obj_json(&d, "tmf", in->tmf)) != SEAM_OK) {
            json_obj_free(&d);
            goto out;
        }
    }
    timeline_add(&tk, now, EV_TICKET_CREATED, VIS_PUBLIC, NULL, who);
    json_obj_str(&d, "customer", customer);
    json_obj_str(&d, "channel", tk.channel);
    /* Who filed it and how to reach them, as the record says now: restricted. */
    const char *cname = json_string_value(json_object_get(cust, "name"));
    const char *ccontact = json_string_value(json_object_get(cust, "contact"));
    if (cname != NULL)
        json_obj_str(&d, "customer_name", cname);
    if (ccontact != NULL)
        json_obj_str(&d, "customer_contact", ccontact);
    json_obj_str(&d, "status", ticket_statuses[TS_ACKNOWLEDGED].name);
    json_obj_str(&d, "priority", prio);
    json_obj_str(&d, "summary", in->summary);
    json_obj_str(&d, "description", in->description);
    if (tk.duplicate_of != NULL)
        json_obj_str(&d, "duplicate_of", tk.duplicate_of);
    for (size_t i = 0; i < c->cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++)
        if (kinds[i].source != FACT_FROM_PRIORITY)
            json_obj_str(&d, kinds[i].name, tk.filed[i]);
    size_t dlen;
    char *data = json_obj_finish(&d, &dlen);
    rc = ticket_event(t, c, &tk, EV_TICKET_CREATED, who, at, data, dlen);
    free(data);
    if (rc != SEAM_OK)
        goto out;
    if ((rc = record_save(t, &tk, STORE_NOOVERWRITE | STORE_APPEND, bytes_cap(c->cfg, TIER_ADD))) !=
        SEAM_OK)
        goto out;
    if ((rc = push_changes(t, c, &tk, NULL, 0, -1, who, EV_TICKET_CREATED, at)) != SEAM_OK ||
        (rc = fanout_changed(t, &tk, -1, EV_TICKET_CREATED)) != SEAM_OK)
        goto out;
    size_t clen = strlen(customer);
    char *ik = xmalloc(clen + 1 + TICKET_ID_LEN);
    memcpy(ik, customer, clen + 1);
    memcpy(ik + clen + 1, tk.id, TICKET_ID_LEN);
    rc = store_put(t, DB_CUST_TICKETS, ik, clen + 1 + TICKET_ID_LEN, "", 0, 0);
    free(ik);
    if (rc != SEAM_OK)
        goto out;
    *out = tk;
    memset(&tk, 0, sizeof(tk));
out:
    ticket_free(&tk);
    json_decref(cust);
    return rc;
}

/* ---- attachments (attach.h) ---- */

static int
json_str_is(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

int
ticket_attachment_ref_visible(const struct ticket *tk, const json_t *ref,
                              const struct principal *who)
{
    json_int_t seq = json_integer_value(json_object_get(ref, "seq"));
    if (seq < 0 || (size_t)seq >= tk->ntimeline || !ticket_visible(tk, who))
        return 0;
    if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR)
        return 1;
    /* as the referring event's text is disclosed (views.c's view_disclose) */
    int customer_sees = ticket_entry_customer_visible(tk, &tk->timeline[seq]);
    if (who->role == ROLE_CUSTOMER)
        return customer_sees;
    return who->role == ROLE_PARTNER &&
           (customer_sees || json_str_is(json_object_get(ref, "role"), "customer") ||
            (json_str_is(json_object_get(ref, "role"), "partner") &&
             json_str_is(json_object_get(ref, "id"), who->subject)));
}

int
ticket_attachment_visible(const struct ticket *tk, const json_t *meta, const struct principal *who)
{
    if (!ticket_visible(tk, who))
        return 0;
    if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR)
        return 1;
    const json_t *by = json_object_get(meta, "by"), *ref;
    if (json_str_is(json_object_get(by, "role"), auth_role_name(who->role)) &&
        json_str_is(json_object_get(by, "id"), who->subject))
        return 1; /* the uploader's own */
    /* The customer's belongs to its complaint, which a partner with a claim on it sees. */
    if (who->role == ROLE_PARTNER && json_str_is(json_object_get(by, "role"), "customer"))
        return 1;
    size_t i;
    json_array_foreach(json_object_get(meta, "refs"), i, ref)
    {
        if (ticket_attachment_ref_visible(tk, ref, who))
            return 1;
    }
    return 0;
}

/*
 * The attachments an action refers to: each one of the ticket's that the
 * actor may read, named once; into the event's data as "attachments".
 */
static enum seam_err
attachments_check(struct store_txn *t, const struct ticket *tk, const struct principal *who,
                  const struct ticket_action_req *a, struct json_obj *data,
                  struct ticket_refusal *why)
{
    json_t *names = json_array();
    enum seam_err rc = SEAM_OK;
    for (size_t i = 0; i < a->nattachments && rc == SEAM_OK; i++) {
        json_t *meta = NULL;
        rc = attach_meta_load(t, tk->id, a->attachments[i], &meta);
        if (rc == SEAM_OK && !ticket_attachment_visible(tk, meta, who))
            rc = SEAM_ENOTFOUND;
        json_decref(meta);
        if (rc == SEAM_ENOTFOUND) {
            why->message = "no such attachment of this ticket: upload it to the ticket first";
            why->field = "attachments";
            rc = SEAM_EINVAL;
        }
        json_array_append_new(names, json_string(a->attachments[i]));
    }
    if (rc == SEAM_OK)
        rc = json_obj_json(data, "attachments", names);
    json_decref(names);
    return rc;
}

/* ---- the actions ---- */

/* What an action's apply function works with. */
struct act {
    struct store_txn *t;
    const struct ticket_ctx *c;
    const struct principal *who;
    const struct ticket_action_req *a;
    struct ticket *tk;
    size_t ai; /* the assignment acted on (the owner's actions) */
    char at[32];
    int64_t now;
    enum event_type type; /* the event it writes: the row's, unless apply chooses */
    enum visibility vis;  /* the timeline entry's: the row's, unless apply decides */
    struct json_obj *data;
    struct ticket_refusal *why;
};

static struct assignment *
act_asg(struct act *x)
{
    return &x->tk->assignments[x->ai];
}

/* Ends every live assignment with state (cancelled, reassigned); "ended": their ids. */
static void
end_live(struct act *x, enum assignment_state state)
{
    struct json_text ended = {0};
    json_text_lit(&ended, "[");
    int first = 1;
    for (size_t i = 0; i < x->tk->nassignments; i++) {
        struct assignment *a = &x->tk->assignments[i];
        if (!assignment_is_live(a))
            continue;
        a->state = state;
        a->ended_at = x->now;
        if (x->c->sla != NULL && sla_stop(x->t, x->c->sla, x->c->cfg, a, x->now) != SEAM_OK)
            log_warnx("ticket: SLA clock of %s not stopped", a->id);
        if (!first)
            json_text_lit(&ended, ",");
        first = 0;
        json_text_string(&ended, a->id, strlen(a->id));
    }
    json_text_lit(&ended, "]");
    json_obj_raw(x->data, "ended", ended.data, ended.len);
    free(ended.data);
}

/* Whether partner handed this round's claim back already. */
static int
handed_back_this_round(const struct ticket *tk, const char *partner)
{
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *a = &tk->assignments[i];
        if (a->round == tk->round && a->state == AS_HANDED_BACK && strcmp(a->partner, partner) == 0)
            return 1;
    }
    return 0;
}

static int
round_has_resolved(const struct ticket *tk)
{
    for (size_t i = 0; i < tk->nassignments; i++)
        if (tk->assignments[i].round == tk->round && tk->assignments[i].state == AS_RESOLVED)
            return 1;
    return 0;
}

/* Why a belongs_to hand-back's partner was refused: code, message. */
static const struct {
    const char *code, *message;
} handback_refusals[] = {
    {"not_in_bundle",
     "the partner named provides no service of the customer's bundle in the customer's region, "
     "and no rule matching the complaint names it; the claim follows the rule's fallback chain"},
    {"handed_back", "the partner named has handed this claim back in this round already; the "
                    "claim follows the rule's fallback chain"},
    {"itself", "a partner cannot hand a claim back to itself; the claim follows the rule's "
               "fallback chain"},
};

const char *
handback_refusal_message(const char *code)
{
    for (size_t i = 0; code && i < sizeof(handback_refusals) / sizeof(handback_refusals[0]); i++)
        if (strcmp(handback_refusals[i].code, code) == 0)
            return handback_refusals[i].message;
    return NULL;
}

/*
 * Whether a belongs_to hand-back of asg may name partner (not the lead): NULL
 * and *because (why the partner is taken: route_handback_why) if it may, else
 * the code of handback_refusals[].
 */
static const char *
belongs_to_refusal(const struct ticket_ctx *c, const struct ticket *tk,
                   const struct assignment *asg, const char *partner, const char **because)
{
    struct route_facts f;
    ticket_facts(c->cfg, tk, &f);
    const char *why = route_handback_why(c->cfg, &f, partner);
    if (strcmp(partner, asg->partner) == 0)
        return "itself";
    if (why == NULL)
        return "not_in_bundle";
    if (handed_back_this_round(tk, partner))
        return "handed_back";
    *because = why;
    return NULL;
}

char *
ticket_belongs_to_choices(const struct ticket_ctx *c, const struct ticket *tk,
                          const char *assignment, size_t *len)
{
    const struct assignment *asg = ticket_find_assignment(tk, assignment);
    struct json_arr arr = JSON_ARR_INIT;
    for (size_t i = 0; asg != NULL && assignment_is_live(asg) && i < c->cfg->npartners; i++) {
        const struct config_partner *p = &c->cfg->partners[i];
        const char *because = NULL;
        if (belongs_to_refusal(c, tk, asg, p->id, &because) != NULL)
            continue;
        struct json_obj o = JSON_OBJ_INIT;
        json_obj_str(&o, "because", because);
        json_obj_str(&o, "name", p->name ? p->name : p->id);
        json_obj_str(&o, "partner", p->id);
        size_t n;
        char *text = json_obj_finish(&o, &n);
        json_arr_raw(&arr, text, n);
        free(text);
    }
    if (asg != NULL && assignment_is_live(asg)) { /* the lead, which decides, always may be named */
        struct json_obj o = JSON_OBJ_INIT;
        json_obj_str(&o, "because", "lead");
        json_obj_str(&o, "name", c->cfg->lead.name ? c->cfg->lead.name : c->cfg->lead.id);
        json_obj_str(&o, "partner", c->cfg->lead.id);
        size_t n;
        char *text = json_obj_finish(&o, &n);
        json_arr_raw(&arr, text, n);
        free(text);
    }
    return json_arr_finish(&arr, len);
}

/*
 * Who takes a claim handed back:
 *  - the round has bounced max_bounces times: the lead;
 *  - duplicate, or belongs_to the lead: the lead, which decides;
 *  - belongs_to X: X when X provides a service of the customer's bundle in
 *    the customer's region, or a rule matching the facts names it
 *    (route_handback_why), whether or not it is in the chain, unless it
 *    handed the claim back this round or is the partner handing back;
 *    otherwise X is refused (*refused: the code of handback_refusals[])
 *    and the claim goes on as for "not ours";
 *  - not ours (not_our_service, customer_side, a refused belongs_to): the
 *    next entry of the round's fallback chain that has not handed it back;
 *    the lead once the chain is spent (or when the chain names it).
 * Whatever the way, a claim that comes to the lead through a hand-back is
 * disputed (the caller flags it): nothing reaches the lead silently.
 * Writes the chain position of the new owner; *because: why X was taken.
 */
static const char *
next_owner(const struct ticket_ctx *c, const struct ticket *tk, const struct assignment *asg,
           const struct ticket_action_req *a, int64_t *position, const char **refused,
           const char **because)
{
    const char *lead = c->cfg->lead.id;
    *position = asg->chain_position;
    *refused = NULL;
    *because = NULL;
    if (tk->bounces >= (int64_t)c->cfg->max_bounces)
        return lead;
    if (a->reason == HB_DUPLICATE)
        return lead;
    if (a->reason == HB_BELONGS_TO) {
        if (strcmp(a->partner, "lead") == 0 || strcmp(a->partner, lead) == 0)
            return lead;
        *refused = belongs_to_refusal(c, tk, asg, a->partner, because);
        if (*refused == NULL)
            return config_partner_find(c->cfg, a->partner)->id;
    }
    for (size_t i = (size_t)(asg->chain_position > 0 ? asg->chain_position : 0); i < tk->nfallback;
         i++) {
        const char *p = tk->fallback[i].partner;
        if (p != NULL && !handed_back_this_round(tk, p) && strcmp(p, asg->partner) != 0) {
            *position = (int64_t)i + 1;
            return p;
        }
    }
    *position = (int64_t)tk->nfallback;
    return lead;
}

/* The claims handed back in this round, oldest first: who, why, and how long each held it. */
static void
bouncers_json(struct json_text *out, const struct ticket *tk)
{
    int first = 1;
    json_text_lit(out, "[");
    for (size_t i = 0; i < tk->nassignments; i++) {
        const struct assignment *b = &tk->assignments[i];
        if (b->round != tk->round || b->state != AS_HANDED_BACK)
            continue;
        struct json_obj o = JSON_OBJ_INIT;
        char at[32];
        format_time_ms(b->handed_back_at, at);
        json_obj_str(&o, "assignment", b->id);
        json_obj_str(&o, "partner", b->partner);
        json_obj_str(&o, "reason",
                     b->handback_reason >= 0 ? handback_reasons[b->handback_reason].name : NULL);
        json_obj_int(&o, "held_ms", b->held_ms);
        json_obj_str(&o, "handed_back_at", at);
        if (!first)
            json_text_lit(out, ",");
        first = 0;
        obj_append(out, &o);
    }
    json_text_lit(out, "]");
}

/* Whether the rule that made an assignment is customer-visible (a forced one is not). */
static int
rule_customer_visible(const struct config *cfg, const struct assignment *asg)
{
    for (size_t i = 0; i < cfg->nrules; i++)
        if (strcmp(cfg->rules[i].id, asg->rule) == 0)
            return cfg->rules[i].customer_visible;
    return 0;
}

/* The customer's actions. */

static enum seam_err
apply_note(struct act *x)
{
    if (x->tk->status == TS_PENDING) { /* the customer answered: the clocks run again */
        x->tk->status = TS_IN_PROGRESS;
        const struct ticket_ctx *c = x->c;
        SLA(sla_resume(x->t, c->sla, c->cfg, x->tk, x->now));
    }
    json_obj_str(x->data, "text", x->a->text);
    return SEAM_OK;
}

static enum seam_err
apply_confirm(struct act *x)
{
    x->tk->status = TS_CLOSED;
    return SEAM_OK;
}

/*
 * The complaint's facts corrected (TA_FACTS, a reopen that gives them): the
 * facts before and after go into the event ("facts_before", "facts"), so
 * the record of what was routed on what stays signed. Only facts a complaint
 * gives may be corrected; the customer record's come from the record.
 * SEAM_EINVAL (and *why) for a fact that may not be corrected or cleared,
 * SEAM_ECONFLICT for a correction that changes nothing.
 */
static enum seam_err
correct_facts(struct act *x)
{
    struct ticket *tk = x->tk;
    struct ticket_refusal *why = x->why;
    const struct config *cfg = x->c->cfg;
    if (x->a->facts_given == 0)
        return SEAM_OK;
    int changed = 0;
    for (size_t k = 0; k < cfg->nfact_kinds && k < SEAM_FACTS_MAX; k++) {
        if (!(x->a->facts_given & (1u << k)))
            continue;
        const struct fact_kind *fk = &cfg->fact_kinds[k];
        const char *v = x->a->facts[k];
        if (!fact_from_complaint(fk))
            REFUSE(SEAM_EINVAL, "only the facts a complaint gives can be corrected", "facts");
        if (v == NULL && !fk->optional)
            REFUSE(SEAM_EINVAL, "this fact cannot be left out", "facts");
        if (v != NULL && !strlist_has(&cfg->vocab[k], v))
            REFUSE(SEAM_EINVAL, "not a value of the federation's vocabulary", "facts");
        changed |=
            (v == NULL) != (tk->facts[k] == NULL) || (v != NULL && strcmp(v, tk->facts[k]) != 0);
    }
    if (!changed)
        REFUSE(SEAM_ECONFLICT, "the facts are already these", "facts");
    facts_json(cfg, x->data, "facts_before", tk->facts);
    for (size_t k = 0; k < cfg->nfact_kinds && k < SEAM_FACTS_MAX; k++)
        if (x->a->facts_given & (1u << k))
            set_str(&tk->facts[k], x->a->facts[k]);
    facts_json(cfg, x->data, "facts", tk->facts);
    return SEAM_OK;
}

/* Whether who may correct the facts: the lead, or a partner holding a live claim of the ticket. */
static enum seam_err
check_facts(struct act *x)
{
    if (x->who->role != ROLE_PARTNER)
        return SEAM_OK;
    for (size_t i = 0; i < x->tk->nassignments; i++) {
        const struct assignment *a = &x->tk->assignments[i];
        if (assignment_is_live(a) && strcmp(a->partner, x->who->subject) == 0)
            return SEAM_OK;
    }
    return SEAM_ENOTFOUND; /* a partner without a live claim: not its ticket */
}

/*
 * The live claims of the round end (reassigned: the SLA time so far stays
 * theirs) and a new round is routed on the corrected facts. A pending
 * ticket's question stays open: its clocks stay paused until the customer
 * answers.
 */
static enum seam_err
apply_facts(struct act *x)
{
    struct ticket_refusal *why = x->why;
    if (x->a->facts_given == 0)
        REFUSE(SEAM_EINVAL, "give the corrected facts", "facts");
    enum seam_err rc = correct_facts(x);
    if (rc != SEAM_OK)
        return rc;
    json_obj_str(x->data, "reason", x->a->text);
    end_live(x, AS_REASSIGNED);
    return route_round(x->t, x->c, x->tk, x->now, x->data);
}

static enum seam_err
apply_reopen(struct act *x)
{
    struct ticket *tk = x->tk;
    enum seam_err rc = correct_facts(x); /* the customer may say what it is now */
    if (rc != SEAM_OK)
        return rc;
    tk->status = TS_IN_PROGRESS;
    /* Routed with the facts as they are now: the customer may have moved
     * or changed bundle since filing (the filed fields stay as signed). */
    json_t *cust = NULL;
    if (customer_load(x->t, tk->customer, &cust) == SEAM_OK) {
        const struct config *cfg = x->c->cfg;
        for (size_t i = 0; i < cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++)
            if (cfg->fact_kinds[i].source == FACT_FROM_CUSTOMER)
                set_str(&tk->facts[i],
                        json_string_value(json_object_get(cust, cfg->fact_kinds[i].name)));
        json_decref(cust);
    }
    json_obj_str(x->data, "reason", x->a->text);
    return route_round(x->t, x->c, tk, x->now, x->data);
}

static enum seam_err
apply_cancel(struct act *x)
{
    x->tk->status = TS_CANCELLED;
    json_obj_str(x->data, "reason", x->a->text);
    end_live(x, AS_CANCELLED);
    return SEAM_OK;
}

static enum seam_err
apply_tmf_update(struct act *x)
{
    /* TMF attributes change; the status goes through its own actions. */
    struct ticket *tk = x->tk;
    json_t *tmf = tk->tmf ? json_loads(tk->tmf, 0, NULL) : json_object();
    if (tmf == NULL)
        return SEAM_ECORRUPT;
    const char *k;
    json_t *attr;
    json_object_foreach(x->a->tmf, k, attr)
    {
        if (json_is_null(attr)) { /* RFC 7396: null removes the attribute */
            json_object_del(tmf, k);
        } else if (strcmp(k, "note") == 0) {
            json_t *old = json_object_get(tmf, "note"), *n, *notes = json_array();
            size_t i, j;
            if (x->a->tmf_append_notes) { /* JSON Patch add /note/-: the ticket's, then these */
                json_array_foreach(old, i, n)
                {
                    json_array_append(notes, n);
                }
            }
            /* The notes are the requester's, written now (also in the event's changes);
             * in a merge patch (RFC 7396: the array replaces the ticket's), a note with
             * the text of one the ticket has is that note, as it was. */
            char *taken = old ? xcalloc(json_array_size(old) + 1, 1) : NULL;
            json_array_foreach(attr, i, n)
            {
                json_t *same = NULL, *o;
                if (!x->a->tmf_append_notes)
                    json_array_foreach(old, j, o)
                    {
                        if (!taken[j] &&
                            json_equal(json_object_get(o, "text"), json_object_get(n, "text"))) {
                            taken[j] = 1;
                            same = o;
                            break;
                        }
                    }
                if (same == NULL)
                    tmf_note_stamp(n, x->who, x->at);
                json_array_append_new(notes, json_deep_copy(same ? same : n));
            }
            free(taken);
            json_object_set_new(tmf, "note", notes);
            json_obj_str(x->data, "note_change", x->a->tmf_append_notes ? "added" : "replaced");
        } else {
            json_object_set(tmf, k, attr);
        }
    }
    free(tk->tmf);
    tk->tmf = json_dumps(tmf, JSON_COMPACT);
    json_decref(tmf);
    if (tk->tmf == NULL)
        return SEAM_EINVAL;
    /* A severity re-prioritises the ticket (tmf_note.h's mapping) and re-plans its
     * running SLA clocks, in this signed event (priority: from, to). */
    json_t *sev = json_object_get(x->a->tmf, "severity");
    int prio = json_is_string(sev) ? tmf_priority_of_severity(json_string_value(sev)) : -1;
    if (prio >= 0 && prio != (int)tk->priority) {
        const struct ticket_ctx *c = x->c;
        json_t *change = json_pack(
            "{s:s?, s:s}", "from",
            tk->priority >= 0 && tk->priority < PRIO_COUNT ? priority_names[tk->priority] : NULL,
            "to", priority_names[prio]);
        enum seam_err rc = json_obj_json(x->data, "priority", change);
        json_decref(change);
        if (rc != SEAM_OK)
            return rc;
        tk->priority = prio;
        for (size_t i = 0; i < tk->nassignments; i++)
            if (assignment_is_live(&tk->assignments[i]))
                SLA(sla_replan(x->t, c->sla, c->cfg, tk, &tk->assignments[i], x->now));
        if (c->sla != NULL)
            sla_e2e_replan(c->sla, c->cfg, tk, x->now);
    }
    return json_obj_json(x->data, "changes", x->a->tmf);
}

static enum seam_err
check_assign(struct act *x)
{
    struct ticket_refusal *why = x->why;
    if (strcmp(x->a->partner, "lead") != 0 && config_partner_find(x->c->cfg, x->a->partner) == NULL)
        REFUSE(SEAM_EINVAL, "no such partner in the federation", "partner");
    return SEAM_OK;
}

static enum seam_err
apply_assign(struct act *x)
{
    const char *partner = x->a->partner;
    if (strcmp(partner, "lead") == 0)
        partner = x->c->cfg->lead.id;
    end_live(x, AS_REASSIGNED);
    size_t ai;
    enum seam_err rc = add_assignment(x->t, x->c, x->tk, partner, "forced", 0, x->now, &ai);
    if (rc != SEAM_OK)
        return rc;
    flag_set_add(&x->tk->assignments[ai].flags, FLAG_FORCED);
    x->tk->joint = 0;
    json_obj_str(x->data, "partner", partner);
    json_obj_str(x->data, "reason", x->a->text);
    json_obj_str(x->data, "assignment", x->tk->assignments[ai].id);
    return SEAM_OK;
}

/*
 * Merging: the ticket acted on (the merged one) is closed into another open
 * ticket of the same customer (the survivor, a->ticket_ref), in the same
 * transaction:
 *  - the merged ticket's live assignments end as "merged": their SLA clocks
 *    stop at the merge, the time they held stays theirs in the audit; the
 *    survivor is open, so its own live assignments carry the complaint and
 *    no claim is left without an owner;
 *  - the merged ticket is closed, flagged merged, merged_into names the
 *    survivor; its own signed events stay its own, verifiable as before;
 *  - the survivor gets a ticket.merge_received event (public on its
 *    timeline) naming the merged ticket, its summary and description, and
 *    the head of its chain before the merge (events, last SHA-256), so the
 *    two histories are bound to each other; its claims, clocks and status
 *    do not change.
 * The customer's list shows only tickets that were not merged.
 */
static enum seam_err
check_merge(struct act *x)
{
    struct ticket_refusal *why = x->why;
    const char *into = x->a->ticket_ref;
    if (into == NULL || !ticket_id_valid(into))
        REFUSE(SEAM_EINVAL, "into names the ticket this one is merged into", "into");
    if (strcmp(into, x->tk->id) == 0)
        REFUSE(SEAM_EINVAL, "a ticket cannot be merged into itself", "into");
    return SEAM_OK;
}

static enum seam_err
apply_merge(struct act *x)
{
    struct ticket_refusal *why = x->why;
    const struct ticket_ctx *c = x->c;
    struct ticket *tk = x->tk, into;
    enum seam_err rc = ticket_load(x->t, x->a->ticket_ref, &into);
    if (rc == SEAM_ENOTFOUND)
        REFUSE(SEAM_EINVAL, "no such ticket to merge into", "into");
    if (rc != SEAM_OK)
        return rc;
    if (into.customer == NULL || strcmp(into.customer, tk->customer) != 0) {
        ticket_free(&into);
        REFUSE(SEAM_ECONFLICT, "only tickets of the same customer can be merged", "into");
    }
    if (into.merged_into != NULL) {
        ticket_free(&into);
        REFUSE(SEAM_ECONFLICT,
               "the ticket named was itself merged into another; merge into that one", "into");
    }
    if (!ticket_is_open(&into)) {
        ticket_free(&into);
        REFUSE(SEAM_ECONFLICT, "a ticket can be merged only into an open one; reopen it first",
               "into");
    }
    /* The survivor's event first: it commits to the merged ticket's history as it stands. */
    enum ticket_status into_before = into.status;
    struct json_obj d = JSON_OBJ_INIT, head = JSON_OBJ_INIT;
    json_obj_str(&d, "from", tk->id);
    json_obj_str(&d, "summary", tk->summary);
    json_obj_str(&d, "description", tk->description);
    json_obj_str(&d, "reason", x->a->text);
    json_obj_int(&head, "events", tk->events);
    json_obj_str(&head, "last", tk->last);
    obj_member(&d, "from_head", &head);
    json_obj_str(&d, "status", ticket_statuses[into.status].name);
    if ((rc = limits_allow(c->cfg, &into, TIER_END, EV_TICKET_MERGE_RECEIVED, 0, why)) != SEAM_OK) {
        json_obj_free(&d);
        ticket_free(&into);
        if (why->field == NULL)
            why->field = "into";
        return rc;
    }
    into.updated_at = x->now;
    timeline_add(&into, x->now, EV_TICKET_MERGE_RECEIVED, VIS_PUBLIC, x->a->text, x->who);
    size_t dlen;
    char *text = json_obj_finish(&d, &dlen);
    rc = ticket_event(x->t, c, &into, EV_TICKET_MERGE_RECEIVED, x->who, x->at, text, dlen);
    free(text);
    if (rc == SEAM_OK &&
        (rc = record_save(x->t, &into, 0, bytes_cap(c->cfg, TIER_END))) == SEAM_ETOOBIG) {
        refuse_size(c->cfg, TIER_END, why);
        why->field = "into";
    }
    if (rc == SEAM_OK)
        rc = fanout_changed(x->t, &into, (int)into_before, EV_TICKET_MERGE_RECEIVED);
    ticket_free(&into);
    if (rc != SEAM_OK)
        return rc;
    /* Then the merged ticket: its claims end, it is closed into the survivor. */
    end_live(x, AS_MERGED);
    tk->status = TS_CLOSED;
    set_str(&tk->merged_into, x->a->ticket_ref);
    flag_set_add(&tk->flags, FLAG_MERGED);
    json_obj_str(x->data, "into", x->a->ticket_ref);
    json_obj_str(x->data, "reason", x->a->text);
    return SEAM_OK;
}

/* The owner's actions. */

static enum seam_err
apply_ack(struct act *x)
{
    struct assignment *asg = act_asg(x);
    const struct ticket_ctx *c = x->c;
    asg->state = AS_ACKNOWLEDGED;
    asg->acknowledged_at = x->now;
    SLA(sla_acked(x->t, c->sla, c->cfg, asg, x->now));
    if (x->tk->status == TS_ACKNOWLEDGED) {
        x->tk->status = TS_IN_PROGRESS;
        x->vis = VIS_PUBLIC; /* the customer sees work has started */
    }
    json_obj_str(x->data, "assignment", asg->id);
    return SEAM_OK;
}

static enum seam_err
apply_progress(struct act *x)
{
    struct assignment *asg = act_asg(x);
    asg->state = AS_IN_PROGRESS;
    if (x->tk->status == TS_ACKNOWLEDGED)
        x->tk->status = TS_IN_PROGRESS;
    json_obj_str(x->data, "assignment", asg->id);
    json_obj_str(x->data, "note", x->a->text);
    return SEAM_OK;
}

static enum seam_err
apply_need_info(struct act *x)
{
    struct ticket_refusal *why = x->why;
    const struct ticket_ctx *c = x->c;
    if (x->tk->status == TS_PENDING)
        REFUSE(SEAM_ECONFLICT, "the customer has a question to answer already", NULL);
    struct assignment *asg = act_asg(x);
    asg->state = AS_IN_PROGRESS;
    x->tk->status = TS_PENDING;
    SLA(sla_pause(x->t, c->sla, c->cfg, x->tk, x->now)); /* the clocks wait too */
    json_obj_str(x->data, "assignment", asg->id);
    json_obj_str(x->data, "question", x->a->text);
    return SEAM_OK;
}

static enum seam_err
apply_resolve(struct act *x)
{
    struct assignment *asg = act_asg(x);
    const struct ticket_ctx *c = x->c;
    asg->state = AS_RESOLVED;
    asg->resolved_at = x->now;
    SLA(sla_stop(x->t, c->sla, c->cfg, asg, x->now));
    set_str(&asg->resolution, x->a->text);
    if (ticket_live_count(x->tk) == 0) {
        x->tk->status = TS_RESOLVED;
        x->vis = VIS_PUBLIC;
    }
    json_obj_str(x->data, "assignment", asg->id);
    json_obj_str(x->data, "resolution", x->a->text);
    return SEAM_OK;
}

static enum seam_err
check_handback(struct act *x)
{
    struct ticket_refusal *why = x->why;
    if (x->who->role != ROLE_PARTNER)
        REFUSE(SEAM_ECONFLICT, "the lead is the owner of last resort; it cannot hand back", NULL);
    return SEAM_OK;
}

static enum seam_err
apply_handback(struct act *x)
{
    struct ticket_refusal *why = x->why;
    const struct ticket_ctx *c = x->c;
    const struct ticket_action_req *a = x->a;
    struct ticket *tk = x->tk;
    if (a->reason < 0 || a->reason >= HB_COUNT)
        return SEAM_EINVAL;
    if (handback_reasons[a->reason].names_partner &&
        (a->partner == NULL ||
         (config_partner_find(c->cfg, a->partner) == NULL && strcmp(a->partner, "lead") != 0)))
        REFUSE(SEAM_EINVAL, "belongs_to names the partner (or lead) the claim belongs to",
               "partner");
    if (handback_reasons[a->reason].names_ticket && !ticket_id_valid(a->ticket_ref))
        REFUSE(SEAM_EINVAL, "duplicate names the ticket it duplicates", "ticket");
    struct assignment *asg = act_asg(x);
    int64_t held = x->now - asg->assigned_at;
    if (held < 0)
        held = 0;
    asg->state = AS_HANDED_BACK;
    SLA(sla_stop(x->t, c->sla, c->cfg, asg, x->now));
    asg->handed_back_at = x->now;
    asg->handback_reason = a->reason;
    asg->held_ms = held;
    tk->bounces++;
    json_obj_str(x->data, "assignment", asg->id);
    json_obj_str(x->data, "reason", handback_reasons[a->reason].name);
    json_obj_str(x->data, "belongs_to", a->partner);
    json_obj_str(x->data, "duplicate_of", a->ticket_ref);
    json_obj_str(x->data, "note", a->text);
    json_obj_int(x->data, "held_ms", held);
    if (ticket_live_count(tk) > 0)
        return SEAM_OK; /* a joint share: the other owners carry on */
    if (round_has_resolved(tk)) {
        tk->status = TS_RESOLVED;
        x->vis = VIS_PUBLIC;
        return SEAM_OK;
    }
    int64_t position;
    const char *refused, *because;
    const char *next = next_owner(c, tk, asg, a, &position, &refused, &because);
    if (a->reason == HB_BELONGS_TO) { /* what became of the partner named, on the record */
        set_str(&asg->belongs_to, a->partner);
        set_str(&asg->belongs_to_refused, refused);
        struct json_obj b = JSON_OBJ_INIT;
        json_obj_str(&b, "partner", a->partner);
        json_obj_bool(&b, "accepted", refused == NULL);
        if (refused != NULL) {
            json_obj_str(&b, "code", refused);
            json_obj_str(&b, "message", handback_refusal_message(refused));
        } else {
            json_obj_str(&b, "because", because);
        }
        obj_member(x->data, "belongs_to_outcome", &b);
    }
    int disputed = strcmp(next, c->cfg->lead.id) == 0; /* nothing reaches the lead silently */
    size_t ni;
    enum seam_err rc = add_assignment(x->t, c, tk, next, tk->rule, position, x->now, &ni);
    if (rc != SEAM_OK)
        return rc;
    struct assignment *na = &tk->assignments[ni];
    if (disputed) {
        flag_set_add(&na->flags, FLAG_DISPUTED);
        flag_set_add(&tk->flags, FLAG_DISPUTED);
    }
    if (a->reason == HB_DUPLICATE)
        flag_set_add(&na->flags, FLAG_DUPLICATE);
    struct json_obj n = JSON_OBJ_INIT;
    json_obj_str(&n, "assignment", na->id);
    json_obj_str(&n, "partner", next);
    json_obj_bool(&n, "disputed", disputed);
    if (disputed) {
        struct json_text bouncers = {0};
        bouncers_json(&bouncers, tk);
        json_obj_raw(&n, "bouncers", bouncers.data, bouncers.len);
        free(bouncers.data);
    }
    obj_member(x->data, "next", &n);
    return SEAM_OK;
}

/* The broker's own. */

static enum seam_err
apply_escalate(struct act *x)
{
    /* Only a claim its partner never took up: one it acknowledged is its own. */
    const struct ticket_ctx *c = x->c;
    struct assignment *asg = act_asg(x);
    asg->state = AS_UNDELIVERABLE;
    SLA(sla_stop(x->t, c->sla, c->cfg, asg, x->now));
    asg->ended_at = x->now;
    size_t ni;
    enum seam_err rc = add_assignment(x->t, c, x->tk, c->cfg->lead.id, x->tk->rule,
                                      asg->chain_position, x->now, &ni);
    if (rc != SEAM_OK)
        return rc;
    asg = act_asg(x); /* the array may have moved */
    flag_set_add(&x->tk->assignments[ni].flags, FLAG_ESCALATED);
    json_obj_str(x->data, "assignment", asg->id);
    json_obj_str(x->data, "reason", x->a->text ? x->a->text : "undeliverable");
    json_obj_str(x->data, "next", x->tk->assignments[ni].id);
    return SEAM_OK;
}

/* The claim's TroubleTicket in a tmf621 partner's system (ebond.c): signed; nothing else. */
static enum seam_err
apply_link(struct act *x)
{
    if (x->a->text == NULL || x->a->text[0] == '\0')
        return SEAM_EINVAL;
    json_obj_str(x->data, "assignment", act_asg(x)->id);
    json_obj_str(x->data, "partner", act_asg(x)->partner);
    json_obj_str(x->data, "partner_ticket", x->a->text);
    return SEAM_OK;
}

/* A status the partner's system gave that its map does not know: the lead sees it among its
 * escalations (as an SLA breach is); the claim stays the partner's. */
static enum seam_err
apply_status_unknown(struct act *x)
{
    if (x->a->text == NULL || x->a->text[0] == '\0')
        return SEAM_EINVAL;
    flag_set_add(&x->tk->flags, FLAG_ESCALATED);
    json_obj_str(x->data, "assignment", act_asg(x)->id);
    json_obj_str(x->data, "reason", x->a->text);
    return SEAM_OK;
}

static enum seam_err
check_sla(struct act *x)
{
    if (x->a->reason < 0 || x->a->reason >= SLA_KINDS)
        return SEAM_ENOTFOUND;
    return SEAM_OK;
}

static enum seam_err
apply_sla(struct act *x)
{
    struct ticket_refusal *why = x->why;
    struct assignment *asg = act_asg(x);
    enum sla_kind kind = (enum sla_kind)x->a->reason;
    int fired = sla_fired(x->t, asg, kind, x->a->due_ms);
    if (fired < 0)
        return SEAM_EIO;
    if (fired == 0)
        REFUSE(SEAM_ECONFLICT, "stale due instant", NULL);
    int breach = kind == SLA_ACK || kind == SLA_RESOLVE;
    x->type = breach ? EV_SLA_BREACHED : EV_SLA_WARNING;
    /* The customer sees a claim's clocks only where its rule says so. */
    x->vis = rule_customer_visible(x->c->cfg, asg) ? VIS_PUBLIC : VIS_INTERNAL;
    char due[32];
    format_time_ms(x->a->due_ms, due);
    if (breach) { /* flagged, and escalated: the lead sees it among its escalations */
        flag_set_add(&asg->flags, FLAG_BREACHED);
        flag_set_add(&x->tk->flags, FLAG_ESCALATED);
    }
    json_obj_str(x->data, "assignment", asg->id);
    json_obj_str(x->data, "partner", asg->partner);
    json_obj_str(x->data, "clock", kind == SLA_WARN_ACK || kind == SLA_ACK ? "ack" : "resolve");
    json_obj_str(x->data, "due", due);
    return SEAM_OK;
}

#define TS(s) (1u << (s))
#define AS(s) (1u << (s))
#define OPEN TS(TS_ACKNOWLEDGED) | TS(TS_IN_PROGRESS) | TS(TS_PENDING)
#define LIVE AS(AS_ASSIGNED) | AS(AS_ACKNOWLEDGED) | AS(AS_IN_PROGRESS)
#define WORKING AS(AS_ACKNOWLEDGED) | AS(AS_IN_PROGRESS)
#define CUSTOMER_SIDE ROLE_CUSTOMER | ROLE_LEAD
#define OWNER ROLE_PARTNER | ROLE_LEAD

/* How each action checks and changes the ticket beyond what its row says. */
static const struct {
    enum seam_err (*check)(struct act *x); /* before the state check, or NULL */
    enum seam_err (*apply)(struct act *x);
} action_fns[TA_COUNT] = {
    [TA_NOTE] = {NULL, apply_note},
    [TA_CONFIRM] = {NULL, apply_confirm},
    [TA_REOPEN] = {NULL, apply_reopen},
    [TA_CANCEL] = {NULL, apply_cancel},
    [TA_ASSIGN] = {check_assign, apply_assign},
    [TA_TMF_UPDATE] = {NULL, apply_tmf_update},
    [TA_FACTS] = {check_facts, apply_facts},
    [TA_MERGE] = {check_merge, apply_merge},
    [TA_ACK] = {NULL, apply_ack},
    [TA_RESOLVE] = {NULL, apply_resolve},
    [TA_PROGRESS] = {NULL, apply_progress},
    [TA_NEED_INFO] = {NULL, apply_need_info},
    [TA_HANDBACK] = {check_handback, apply_handback},
    [TA_ESCALATE] = {NULL, apply_escalate},
    [TA_SLA] = {check_sla, apply_sla},
    [TA_LINK] = {NULL, apply_link},
    [TA_STATUS_UNKNOWN] = {NULL, apply_status_unknown},
};

const struct ticket_action_row ticket_actions[TA_COUNT] = {
    {TA_NOTE, "note", CUSTOMER_SIDE, 0, OPEN | TS(TS_RESOLVED),
     "the ticket is closed; file a new complaint", EV_TICKET_NOTE, VIS_PUBLIC, TIER_ADD},
    {TA_CONFIRM, "confirm", CUSTOMER_SIDE, 0, TS(TS_RESOLVED),
     "only a resolved ticket can be confirmed", EV_TICKET_CONFIRMED, VIS_PUBLIC, TIER_END},
    {TA_REOPEN, "reopen", CUSTOMER_SIDE, 0, TS(TS_RESOLVED),
     "only a resolved ticket can be reopened", EV_TICKET_REOPENED, VIS_PUBLIC, TIER_ADD},
    {TA_CANCEL, "cancel", CUSTOMER_SIDE, 0, OPEN, "only an open ticket can be cancelled",
     EV_TICKET_CANCELLED, VIS_PUBLIC, TIER_END},
    {TA_ASSIGN, "assign", ROLE_LEAD, 0, OPEN,
     "only an open ticket can be assigned; reopen it first", EV_TICKET_ASSIGNED, VIS_INTERNAL,
     TIER_END},
    {TA_TMF_UPDATE, "tmf_update", CUSTOMER_SIDE, 0, OPEN | TS(TS_RESOLVED), "the ticket is closed",
     EV_TICKET_UPDATED, VIS_INTERNAL, TIER_ADD},
    {TA_FACTS, "facts", ROLE_CUSTOMER | ROLE_PARTNER | ROLE_LEAD, 0,
     TS(TS_ACKNOWLEDGED) | TS(TS_IN_PROGRESS),
     "only a ticket being worked on can have its facts corrected; a resolved one is reopened "
     "with them",
     EV_TICKET_FACTS_CHANGED, VIS_PUBLIC, TIER_END},
    {TA_MERGE, "merge", ROLE_LEAD, 0, OPEN | TS(TS_RESOLVED),
     "only an open or resolved ticket can be merged into another", EV_TICKET_MERGED, VIS_PUBLIC,
     TIER_END},
    {TA_ACK, "ack", OWNER, 1, AS(AS_ASSIGNED), "only an assigned claim can be acknowledged",
     EV_ASSIGNMENT_ACKNOWLEDGED, VIS_INTERNAL, TIER_END},
    {TA_RESOLVE, "resolve", OWNER, 1, LIVE, "this claim is no longer live", EV_ASSIGNMENT_RESOLVED,
     VIS_INTERNAL, TIER_END},
    {TA_PROGRESS, "progress", OWNER, 1, WORKING, "acknowledge the claim before reporting progress",
     EV_ASSIGNMENT_PROGRESS, VIS_INTERNAL, TIER_ADD},
    {TA_NEED_INFO, "need_info", OWNER, 1, WORKING,
     "acknowledge the claim before asking the customer", EV_ASSIGNMENT_NEED_INFO, VIS_PUBLIC,
     TIER_ADD},
    {TA_HANDBACK, "handback", OWNER, 1, LIVE, "this claim is no longer live",
     EV_ASSIGNMENT_HANDED_BACK, VIS_INTERNAL, TIER_END},
    {TA_ESCALATE, "escalate", ROLE_BROKER, 1, AS(AS_ASSIGNED), "the partner has taken the claim up",
     EV_ASSIGNMENT_ESCALATED, VIS_PUBLIC, TIER_BROKER},
    {TA_SLA, "sla", ROLE_BROKER, 1, 0, NULL, EV_SLA_WARNING, VIS_INTERNAL, TIER_BROKER},
    {TA_LINK, "link", ROLE_BROKER, 1, LIVE, "this claim is no longer live", EV_ASSIGNMENT_LINKED,
     VIS_INTERNAL, TIER_BROKER},
    {TA_STATUS_UNKNOWN, "status_unknown", ROLE_BROKER, 1, LIVE, "this claim is no longer live",
     EV_ASSIGNMENT_STATUS_UNKNOWN, VIS_INTERNAL, TIER_BROKER},
};

/* The ticket an action names: the ticket itself, or the assignment's. */
static enum seam_err
action_ticket(struct store_txn *t, const struct ticket_action_req *a, char tid[TICKET_ID_LEN + 1])
{
    if (ticket_actions[a->kind].on_assignment)
        return ticket_of_assignment(t, a->target, tid);
    if (!ticket_id_valid(a->target))
        return SEAM_ENOTFOUND;
    memcpy(tid, a->target, TICKET_ID_LEN + 1);
    return SEAM_OK;
}

/* Whether who owns the assignment: the partner it names, or the lead its own. */
static int
owns(const struct ticket_ctx *c, const struct principal *who, const struct assignment *asg)
{
    return (who->role == ROLE_PARTNER && strcmp(asg->partner, who->subject) == 0) ||
           (who->role == ROLE_LEAD && strcmp(asg->partner, c->cfg->lead.id) == 0);
}

static enum seam_err
act_apply(struct act *x, const struct ticket_action_row *row)
{
    struct ticket_refusal *why = x->why;
    struct ticket *tk = x->tk;
    const struct principal *who = x->who;
    if (!(row->roles & who->role))
        return SEAM_ENOTFOUND;
    if (row->on_assignment) {
        struct assignment *asg = ticket_find_assignment(tk, x->a->target);
        if (asg == NULL)
            return SEAM_ECORRUPT; /* indexed, but not in its ticket */
        x->ai = (size_t)(asg - tk->assignments);
        if (row->roles != ROLE_BROKER && !owns(x->c, who, asg)) {
            if (who->role != ROLE_LEAD)
                return SEAM_ENOTFOUND;
            REFUSE(SEAM_ECONFLICT,
                   "this assignment belongs to a partner; take it over with /assign first", NULL);
        }
    }
    enum seam_err rc;
    if (action_fns[row->kind].check != NULL && (rc = action_fns[row->kind].check(x)) != SEAM_OK)
        return rc;
    unsigned state = row->on_assignment ? act_asg(x)->state : tk->status;
    if (row->from != 0 && !(row->from & (1u << state)))
        REFUSE(SEAM_ECONFLICT, row->refusal, NULL);
    return action_fns[row->kind].apply(x);
}

enum seam_err
ticket_act(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
           const struct ticket_action_req *a, struct ticket *out, struct ticket_refusal *why)
{
    struct ticket tk;
    char tid[TICKET_ID_LEN + 1];
    uint8_t *before = NULL;
    struct json_obj data = JSON_OBJ_INIT;
    enum seam_err rc;

    why->message = NULL;
    why->field = NULL;
    if (a->kind >= TA_COUNT)
        return SEAM_EINVAL;
    const struct ticket_action_row *row = &ticket_actions[a->kind];
    if ((rc = action_ticket(t, a, tid)) != SEAM_OK)
        return rc;
    if ((rc = ticket_load(t, tid, &tk)) != SEAM_OK)
        return rc;
    if ((who->role != ROLE_BROKER && !ticket_visible(&tk, who)) || who->role == ROLE_AUDITOR) {
        rc = SEAM_ENOTFOUND;
        goto out;
    }
    struct act x = {.t = t,
                    .c = c,
                    .who = who,
                    .a = a,
                    .tk = &tk,
                    .now = now_ms(),
                    .type = row->event,
                    .vis = row->visible,
                    .data = &data,
                    .why = why};
    format_time_ms(x.now, x.at);
    size_t nbefore = tk.nassignments;
    before = xmalloc(nbefore + 1);
    for (size_t i = 0; i < nbefore; i++)
        before[i] = (uint8_t)tk.assignments[i].state;
    enum ticket_status status_before = tk.status;

    if ((rc = act_apply(&x, row)) != SEAM_OK)
        goto out;
    enum limit_tier tier = (enum limit_tier)row->tier;
    if ((rc = limits_allow(c->cfg, &tk, tier, x.type,
                           a->kind == TA_TMF_UPDATE ? tmf_values(a->tmf, "note") : 0, why)) !=
        SEAM_OK)
        goto out;
    if (c->sla != NULL) /* the lead's end-to-end clock follows the status */
        sla_e2e_status(c->sla, c->cfg, &tk, status_before, x.now);
    if (a->signature != NULL && /* the partner's (or its user's) own word, provable later */
        (rc = json_obj_json(
             &data, json_object_get(a->signature, "user") ? "user_signature" : "partner_signature",
             a->signature)) != SEAM_OK)
        goto out;
    if (a->nattachments > 0 && (rc = attachments_check(t, &tk, who, a, &data, why)) != SEAM_OK)
        goto out;
    json_obj_str(&data, "status", ticket_statuses[tk.status].name);
    tk.updated_at = x.now;
    timeline_add(&tk, x.now, x.type, x.vis, a->text, who);
    size_t dlen;
    char *text = json_obj_finish(&data, &dlen);
    rc = ticket_event(t, c, &tk, x.type, who, x.at, text, dlen);
    free(text);
    if (rc != SEAM_OK)
        goto out;
    for (size_t i = 0; i < a->nattachments && rc == SEAM_OK; i++)
        rc = attach_refer(t, tk.id, a->attachments[i], tk.events - 1, auth_role_name(who->role),
                          who->subject);
    if (rc != SEAM_OK)
        goto out;
    if ((rc = record_save(t, &tk, 0, bytes_cap(c->cfg, tier))) != SEAM_OK) {
        if (rc == SEAM_ETOOBIG)
            refuse_size(c->cfg, tier, why);
        goto out;
    }
    if ((rc = push_changes(t, c, &tk, before, nbefore, (int)status_before, who, x.type, x.at)) !=
            SEAM_OK ||
        (rc = fanout_changed(t, &tk, (int)status_before, x.type)) != SEAM_OK)
        goto out;
    /* Invariant 1: an open ticket always has a live assignment. */
    assert(!ticket_is_open(&tk) || ticket_live_count(&tk) > 0);
    *out = tk;
    memset(&tk, 0, sizeof(tk));
out:
    json_obj_free(&data);
    free(before);
    ticket_free(&tk);
    return rc;
}
