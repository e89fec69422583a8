/*
 * test_ticket.c: the state machine, row by row, through the real
 * ticket_create and ticket_act on a real store (the example federation,
 * SLA clocks running). For every row of ticket_actions[] and every status
 * (a ticket's action) or assignment state (an assignment's action) the
 * public actions reach, a fixture ticket is filed and driven there; then
 * every role applies the row's action. Allowed (role and state): one event
 * of the row's type (or the type its apply chooses), the timeline entry's
 * visibility as the row says or its apply decides, the events count one
 * up, an open ticket still with a live assignment. Refused: the row's
 * refusal (state), not found (role, not one's own), or the take-over
 * answer (the lead on a partner's claim), and the stored record, its
 * events count and the event log byte for byte as they were. Then the
 * checks an action makes before its state check and after it.
 *
 * The expectations are the documented state machine (specs[] below), kept
 * apart from the table: a row of ticket_actions[] that differs from it (a
 * state bit, a role, a refusal, an event) fails, once as a row and again on
 * each state or role it gets wrong; a new row without an entry fails too.
 *
 * One TAP line per (row, state, who): its name says which.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "evlog.h"
#include "sla.h"
#include "store.h"
#include "tap.h"
#include "ticket.h"

static struct store *st;
static struct config *cfg;
static struct ticket_ctx ctx;
static json_t *tmf_change;

static struct principal cust, other_cust, owner_p, other_p, lead, auditor, broker;

/* Who owns the claim of an assignment fixture: a partner, or the lead. */
enum owner_kind { OWN_PARTNER, OWN_LEAD };
static const char *const owner_names[] = {"partner's claim", "lead's claim"};

/* A fixture: a ticket, the assignment acted on, its due instants as filed. */
struct fixture {
    char tid[TICKET_ID_LEN + 1];
    char aid[TICKET_ID_LEN + 1];
    int64_t due0[SEAM_SLA_KINDS];
};

static void
principal(struct principal *p, enum role role, const char *subject)
{
    memset(p, 0, sizeof(*p));
    p->role = role;
    snprintf(p->subject, sizeof(p->subject), "%s", subject);
}

/* ---- writes ---- */

static enum seam_err
add_customers(struct store_txn *t, void *arg)
{
    (void)arg;
    enum seam_err rc = customer_add(t, cfg, "c1", "Ada", "triple-play", "north", NULL);
    if (rc == SEAM_OK)
        rc = customer_add(t, cfg, "c3", "Cy", "phone-only", "north", NULL);
    return rc != SEAM_OK ? rc : customer_add(t, cfg, "c2", "Bob", "triple-play", "north", NULL);
}

struct create_job {
    const struct ticket_input *in;
    struct ticket out;
};

static enum seam_err
create_fn(struct store_txn *t, void *arg)
{
    struct create_job *j = arg;
    ticket_free(&j->out); /* a batch tried again starts afresh */
    return ticket_create(t, &ctx, &cust, j->in, &j->out);
}

struct act_job {
    const struct principal *who;
    const struct ticket_action_req *a;
    struct ticket_refusal *why;
    struct ticket out;
};

static enum seam_err
act_fn(struct store_txn *t, void *arg)
{
    struct act_job *j = arg;
    ticket_free(&j->out); /* a batch tried again starts afresh */
    return ticket_act(t, &ctx, j->who, j->a, &j->out, j->why);
}

/* who applies a in its own transaction; why: the refusal (may point into itself). */
static enum seam_err
act(const struct principal *who, const struct ticket_action_req *a, struct ticket_refusal *why)
{
    struct act_job j = {.who = who, .a = a, .why = why};
    memset(why, 0, sizeof(*why));
    enum seam_err rc = store_write(st, act_fn, &j, evlog_hook, (void *)ctx.lg);
    ticket_free(&j.out);
    return rc;
}

/* A step of building a fixture: must succeed. */
static int
step(const struct principal *who, enum ticket_action kind, const char *target, const char *text,
     const char *partner, int reason)
{
    struct ticket_action_req a = {
        .kind = kind, .target = target, .text = text, .partner = partner, .reason = reason};
    struct ticket_refusal why;
    enum seam_err rc = act(who, &a, &why);
    if (rc != SEAM_OK)
        printf("# step %s on %s: %s (%s)\n", ticket_actions[kind].name, target, seam_strerror(rc),
               why.message ? why.message : "-");
    return rc == SEAM_OK;
}

/* The lead merges ticket tid into into: must succeed. */
static int
merge_step(const char *tid, const char *into)
{
    struct ticket_action_req a = {
        .kind = TA_MERGE, .target = tid, .text = "the same fault", .ticket_ref = into};
    struct ticket_refusal why;
    enum seam_err rc = act(&lead, &a, &why);
    if (rc != SEAM_OK)
        printf("# merge %s into %s: %s (%s)\n", tid, into, seam_strerror(rc),
               why.message ? why.message : "-");
    return rc == SEAM_OK;
}

/* ---- reads ---- */

static int
load(const char *tid, struct ticket *tk)
{
    struct store_txn *t;
    if (store_read_begin(st, &t) != SEAM_OK)
        return 0;
    enum seam_err rc = ticket_load(t, tid, tk);
    store_read_end(t);
    return rc == SEAM_OK;
}

/* What a refusal must leave alone: the record's bytes, its events count, the log. */
struct snap {
    char *bytes;
    size_t len;
    int64_t events;
    uint64_t logged;
};

static int
snap_take(const char *tid, struct snap *s)
{
    struct store_txn *t;
    struct store_val v;
    char last[65];
    memset(s, 0, sizeof(*s));
    if (store_read_begin(st, &t) != SEAM_OK)
        return 0;
    int okay = store_get(t, DB_TICKETS, tid, TICKET_ID_LEN, &v) == SEAM_OK &&
               ticket_head(t, tid, &s->events, last) == SEAM_OK;
    if (okay) {
        s->bytes = malloc(v.len);
        memcpy(s->bytes, v.data, v.len);
        s->len = v.len;
    }
    s->logged = store_count(t, DB_EVENTS);
    store_read_end(t);
    return okay;
}

static int
snap_same(const struct snap *a, const struct snap *b)
{
    return a->bytes && b->bytes && a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0 &&
           a->events == b->events && a->logged == b->logged;
}

/* The type of the ticket's event seq ("" if none); 1 if there is one. */
static int
event_type_at(const char *tid, uint32_t seq, char out[64])
{
    struct store_txn *t;
    char *bytes = NULL;
    size_t len;
    out[0] = '\0';
    if (store_read_begin(st, &t) != SEAM_OK)
        return 0;
    enum seam_err rc = evlog_event(t, tid, seq, &bytes, &len, NULL, NULL);
    store_read_end(t);
    if (rc != SEAM_OK)
        return 0;
    json_t *ev = json_loadb(bytes, len, 0, NULL);
    snprintf(out, 64, "%s", ev ? json_string_value(json_object_get(ev, "type")) : "?");
    json_decref(ev);
    free(bytes);
    return 1;
}

/* ---- the state machine as documented ---- */

/*
 * What each action is meant to be (docs/design.md "Shapes", include/ticket.h),
 * written here apart from ticket_actions[] so that a changed row fails: who
 * may take it, from which statuses or assignment states (0: any; an SLA
 * instant's own check decides), the refusal, the event and its visibility
 * (before what the apply functions decide). The table's rows are walked;
 * one without an entry here fails.
 */
struct spec {
    enum ticket_action kind;
    const char *name;
    unsigned roles, on_assignment, from;
    const char *refusal;
    enum event_type event;
    enum visibility visible;
};

#define S_TS(s) (1u << (s))
#define S_OPEN S_TS(TS_ACKNOWLEDGED) | S_TS(TS_IN_PROGRESS) | S_TS(TS_PENDING)
#define S_LIVE S_TS(AS_ASSIGNED) | S_TS(AS_ACKNOWLEDGED) | S_TS(AS_IN_PROGRESS)
#define S_WORKING S_TS(AS_ACKNOWLEDGED) | S_TS(AS_IN_PROGRESS)

static const struct spec specs[] = {
    {TA_NOTE, "note", ROLE_CUSTOMER | ROLE_LEAD, 0, S_OPEN | S_TS(TS_RESOLVED),
     "the ticket is closed; file a new complaint", EV_TICKET_NOTE, VIS_PUBLIC},
    {TA_CONFIRM, "confirm", ROLE_CUSTOMER | ROLE_LEAD, 0, S_TS(TS_RESOLVED),
     "only a resolved ticket can be confirmed", EV_TICKET_CONFIRMED, VIS_PUBLIC},
    {TA_REOPEN, "reopen", ROLE_CUSTOMER | ROLE_LEAD, 0, S_TS(TS_RESOLVED),
     "only a resolved ticket can be reopened", EV_TICKET_REOPENED, VIS_PUBLIC},
    {TA_CANCEL, "cancel", ROLE_CUSTOMER | ROLE_LEAD, 0, S_OPEN,
     "only an open ticket can be cancelled", EV_TICKET_CANCELLED, VIS_PUBLIC},
    {TA_ASSIGN, "assign", ROLE_LEAD, 0, S_OPEN,
     "only an open ticket can be assigned; reopen it first", EV_TICKET_ASSIGNED, VIS_INTERNAL},
    {TA_TMF_UPDATE, "tmf_update", ROLE_CUSTOMER | ROLE_LEAD, 0, S_OPEN | S_TS(TS_RESOLVED),
     "the ticket is closed", EV_TICKET_UPDATED, VIS_INTERNAL},
    {TA_FACTS, "facts", ROLE_CUSTOMER | ROLE_PARTNER | ROLE_LEAD, 0,
     S_TS(TS_ACKNOWLEDGED) | S_TS(TS_IN_PROGRESS),
     "only a ticket being worked on can have its facts corrected; a resolved one is reopened "
     "with them",
     EV_TICKET_FACTS_CHANGED, VIS_PUBLIC},
    {TA_MERGE, "merge", ROLE_LEAD, 0, S_OPEN | S_TS(TS_RESOLVED),
     "only an open or resolved ticket can be merged into another", EV_TICKET_MERGED, VIS_PUBLIC},
    {TA_ACK, "ack", ROLE_PARTNER | ROLE_LEAD, 1, S_TS(AS_ASSIGNED),
     "only an assigned claim can be acknowledged", EV_ASSIGNMENT_ACKNOWLEDGED, VIS_INTERNAL},
    {TA_RESOLVE, "resolve", ROLE_PARTNER | ROLE_LEAD, 1, S_LIVE, "this claim is no longer live",
     EV_ASSIGNMENT_RESOLVED, VIS_INTERNAL},
    {TA_PROGRESS, "progress", ROLE_PARTNER | ROLE_LEAD, 1, S_WORKING,
     "acknowledge the claim before reporting progress", EV_ASSIGNMENT_PROGRESS, VIS_INTERNAL},
    {TA_NEED_INFO, "need_info", ROLE_PARTNER | ROLE_LEAD, 1, S_WORKING,
     "acknowledge the claim before asking the customer", EV_ASSIGNMENT_NEED_INFO, VIS_PUBLIC},
    {TA_HANDBACK, "handback", ROLE_PARTNER | ROLE_LEAD, 1, S_LIVE, "this claim is no longer live",
     EV_ASSIGNMENT_HANDED_BACK, VIS_INTERNAL},
    {TA_ESCALATE, "escalate", ROLE_BROKER, 1, S_TS(AS_ASSIGNED),
     "the partner has taken the claim up", EV_ASSIGNMENT_ESCALATED, VIS_PUBLIC},
    {TA_SLA, "sla", ROLE_BROKER, 1, 0, NULL, EV_SLA_WARNING, VIS_INTERNAL},
    {TA_LINK, "link", ROLE_BROKER, 1, S_LIVE, "this claim is no longer live", EV_ASSIGNMENT_LINKED,
     VIS_INTERNAL},
    {TA_STATUS_UNKNOWN, "status_unknown", ROLE_BROKER, 1, S_LIVE, "this claim is no longer live",
     EV_ASSIGNMENT_STATUS_UNKNOWN, VIS_INTERNAL},
};

/* The documented entry of a row (by its name), or NULL. */
static const struct spec *
spec_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(specs) / sizeof(specs[0]); i++)
        if (strcmp(specs[i].name, name) == 0)
            return &specs[i];
    return NULL;
}

static const struct spec *
spec_of(enum ticket_action kind)
{
    return spec_find(ticket_actions[kind].name);
}

/* Whether a row says what its documented entry says. */
static int
row_is_spec(const struct ticket_action_row *row, const struct spec *sp)
{
    return row->kind == sp->kind && row->roles == sp->roles &&
           row->on_assignment == sp->on_assignment && row->from == sp->from &&
           (sp->refusal == NULL ? row->refusal == NULL
                                : row->refusal != NULL && strcmp(row->refusal, sp->refusal) == 0) &&
           row->event == sp->event && row->visible == sp->visible;
}

/* ---- fixtures ---- */

/* Files c1's complaint: internet, slow (fibernet's, in the north) or billing (the lead's). */
static int
file_ticket(enum owner_kind k, struct fixture *f)
{
    struct ticket_input in = {
        .summary = (char *)"slow line",
        .description = (char *)"the internet is slow every evening",
        .facts = {[FACT_SERVICE] = (char *)"internet",
                  [FACT_SYMPTOM] = (char *)(k == OWN_PARTNER ? "slow" : "billing")},
        .priority = PRIO_NORMAL};
    struct create_job j = {.in = &in};
    enum seam_err rc = store_write(st, create_fn, &j, evlog_hook, (void *)ctx.lg);
    const char *want = k == OWN_PARTNER ? owner_p.subject : cfg->lead.id;
    int okay =
        rc == SEAM_OK && j.out.nassignments == 1 && strcmp(j.out.assignments[0].partner, want) == 0;
    if (okay) {
        memcpy(f->tid, j.out.id, sizeof(f->tid));
        memcpy(f->aid, j.out.assignments[0].id, sizeof(f->aid));
        memcpy(f->due0, j.out.assignments[0].sla.due_at, sizeof(f->due0));
    } else {
        printf("# filing failed: %s\n", seam_strerror(rc));
    }
    ticket_free(&j.out);
    return okay;
}

/* A partner's ticket in status s. */
static int
fixture_status(enum ticket_status s, struct fixture *f)
{
    if (!file_ticket(OWN_PARTNER, f))
        return 0;
    int okay = 1;
    switch (s) {
    case TS_ACKNOWLEDGED:
        break;
    case TS_IN_PROGRESS:
        okay = step(&owner_p, TA_ACK, f->aid, NULL, NULL, 0);
        break;
    case TS_PENDING:
        okay = step(&owner_p, TA_ACK, f->aid, NULL, NULL, 0) &&
               step(&owner_p, TA_NEED_INFO, f->aid, "which router?", NULL, 0);
        break;
    case TS_RESOLVED:
        okay = step(&owner_p, TA_RESOLVE, f->aid, "fixed", NULL, 0);
        break;
    case TS_CLOSED:
        okay = step(&owner_p, TA_RESOLVE, f->aid, "fixed", NULL, 0) &&
               step(&cust, TA_CONFIRM, f->tid, NULL, NULL, 0);
        break;
    case TS_CANCELLED:
        okay = step(&cust, TA_CANCEL, f->tid, "never mind", NULL, 0);
        break;
    case TS_COUNT:
        return 0;
    }
    struct ticket tk;
    if (!okay || !load(f->tid, &tk))
        return 0;
    okay = tk.status == s;
    ticket_free(&tk);
    return okay;
}

/* A ticket whose first assignment (owned as k says) is in state s. */
static int
fixture_state(enum assignment_state s, enum owner_kind k, struct fixture *f)
{
    const struct principal *owner = k == OWN_PARTNER ? &owner_p : &lead;
    if (!file_ticket(k, f))
        return 0;
    int okay = 1;
    switch (s) {
    case AS_ASSIGNED:
        break;
    case AS_ACKNOWLEDGED:
        okay = step(owner, TA_ACK, f->aid, NULL, NULL, 0);
        break;
    case AS_IN_PROGRESS:
        okay = step(owner, TA_ACK, f->aid, NULL, NULL, 0) &&
               step(owner, TA_PROGRESS, f->aid, "line tested", NULL, 0);
        break;
    case AS_RESOLVED:
        okay = step(owner, TA_RESOLVE, f->aid, "fixed", NULL, 0);
        break;
    case AS_HANDED_BACK:
        okay = step(owner, TA_HANDBACK, f->aid, "not ours", NULL, HB_NOT_OUR_SERVICE);
        break;
    case AS_CANCELLED:
        okay = step(&cust, TA_CANCEL, f->tid, "never mind", NULL, 0);
        break;
    case AS_REASSIGNED:
        okay = step(&lead, TA_ASSIGN, f->tid, "moved",
                    k == OWN_PARTNER ? other_p.subject : owner_p.subject, 0);
        break;
    case AS_UNDELIVERABLE:
        okay = step(&broker, TA_ESCALATE, f->aid, NULL, NULL, 0);
        break;
    case AS_MERGED: {
        struct fixture g;
        okay = file_ticket(OWN_PARTNER, &g) && merge_step(f->tid, g.tid);
        break;
    }
    case AS_COUNT:
        return 0;
    }
    struct ticket tk;
    if (!okay || !load(f->tid, &tk))
        return 0;
    const struct assignment *a = ticket_find_assignment(&tk, f->aid);
    okay = a != NULL && a->state == s;
    ticket_free(&tk);
    return okay;
}

/* ---- one decision ---- */

/* Valid arguments for a row's action. */
static struct ticket_action_req
valid_args(enum ticket_action kind, const struct fixture *f)
{
    struct ticket_action_req a = {.kind = kind};
    a.target = ticket_actions[kind].on_assignment ? f->aid : f->tid;
    switch (kind) {
    case TA_NOTE:
        a.text = "still slow";
        break;
    case TA_REOPEN:
        a.text = "it is back";
        break;
    case TA_CANCEL:
        a.text = "never mind";
        break;
    case TA_ASSIGN:
        a.text = "the lead decides";
        a.partner = other_p.subject;
        break;
    case TA_TMF_UPDATE:
        a.tmf = tmf_change;
        break;
    case TA_FACTS: /* filed as slow internet: it is the router failing */
        a.text = "the router fails";
        a.facts[FACT_SYMPTOM] = "equipment_fault";
        a.facts[FACT_EQUIPMENT] = "router";
        a.facts_given = 1u << FACT_SYMPTOM | 1u << FACT_EQUIPMENT;
        break;
    case TA_MERGE: { /* into a new open ticket of the same customer */
        static char into[TICKET_ID_LEN + 1];
        struct fixture g;
        a.text = "the same fault";
        a.ticket_ref = file_ticket(OWN_PARTNER, &g) ? memcpy(into, g.tid, sizeof(into)) : NULL;
        break;
    }
    case TA_RESOLVE:
        a.text = "fixed";
        break;
    case TA_PROGRESS:
        a.text = "line tested";
        break;
    case TA_NEED_INFO:
        a.text = "which router?";
        break;
    case TA_HANDBACK:
        a.text = "not ours";
        a.reason = HB_NOT_OUR_SERVICE;
        break;
    case TA_LINK: /* the partner's TroubleTicket */
        a.text = "TT-4711";
        break;
    case TA_STATUS_UNKNOWN:
        a.text = "status awaitingVendor";
        break;
    default:
        break;
    }
    return a;
}

/* Whether the rule that made an assignment lets the customer see its clocks. */
static int
rule_visible(const char *rule)
{
    for (size_t i = 0; i < cfg->nrules; i++)
        if (strcmp(cfg->rules[i].id, rule) == 0)
            return cfg->rules[i].customer_visible;
    return 0;
}

/*
 * who applies a to fixture f and must be refused with want (and message,
 * field) leaving everything as it was. name: what the TAP line says.
 */
static void
refused(const char *name, const struct principal *who, const struct fixture *f,
        const struct ticket_action_req *a, enum seam_err want, const char *message,
        const char *field)
{
    struct snap before, after;
    struct ticket_refusal why;
    int snapped = snap_take(f->tid, &before);
    enum seam_err rc = act(who, a, &why);
    snapped = snap_take(f->tid, &after) && snapped;
    int msg_ok = message == NULL ? why.message == NULL
                                 : why.message != NULL && strcmp(why.message, message) == 0;
    int field_ok =
        field == NULL ? why.field == NULL : why.field != NULL && strcmp(why.field, field) == 0;
    int same = snapped && snap_same(&before, &after);
    ok(rc == want && msg_ok && field_ok && same, "%s: %s%s%s%s", name, seam_strerror(want),
       message ? " \"" : "", message ? message : "", message ? "\"" : "");
    if (rc != want || !msg_ok || !field_ok || !same)
        printf("#   got %s, message \"%s\", field %s, %s\n", seam_strerror(rc),
               why.message ? why.message : "(none)", why.field ? why.field : "(none)",
               same ? "unchanged" : "CHANGED");
    free(before.bytes);
    free(after.bytes);
}

/*
 * who applies a to fixture f and it must be taken: one event of its row's
 * type (or, for an SLA instant, the one the kind chooses), the timeline
 * entry's visibility as the row says or the action decides, invariant 1.
 */
static void
allowed(const char *name, const struct principal *who, const struct fixture *f,
        const struct ticket_action_req *a)
{
    const struct spec *row = spec_of(a->kind);
    struct ticket tb = {.nassignments = 0}, ta = {.nassignments = 0};
    struct snap before, after;
    struct ticket_refusal why;
    char type[64], extra[64];
    char problem[256] = "";
    if (!load(f->tid, &tb) || !snap_take(f->tid, &before)) {
        ok(0, "%s: the fixture loads", name);
        ticket_free(&tb);
        return;
    }
    enum event_type want_type = row->event;
    enum visibility want_vis = row->visible;
    const struct assignment *asg = row->on_assignment ? ticket_find_assignment(&tb, f->aid) : NULL;
    if (a->kind == TA_SLA) {
        int breach = a->reason == SLA_ACK || a->reason == SLA_RESOLVE;
        want_type = breach ? EV_SLA_BREACHED : EV_SLA_WARNING;
        want_vis = asg && rule_visible(asg->rule) ? VIS_PUBLIC : VIS_INTERNAL;
    }
    enum seam_err rc = act(who, a, &why);
    if (rc != SEAM_OK) {
        snprintf(problem, sizeof(problem), "refused: %s (%s)", seam_strerror(rc),
                 why.message ? why.message : "-");
        goto report;
    }
    if (!load(f->tid, &ta) || !snap_take(f->tid, &after)) {
        snprintf(problem, sizeof(problem), "the ticket does not load after");
        goto report;
    }
    /* The decisions the apply functions make. */
    if (a->kind == TA_ACK && tb.status == TS_ACKNOWLEDGED)
        want_vis = VIS_PUBLIC; /* work has started */
    if ((a->kind == TA_RESOLVE || a->kind == TA_HANDBACK) && ta.status == TS_RESOLVED)
        want_vis = VIS_PUBLIC; /* the ticket is resolved */
    const struct timeline_entry *e = ta.ntimeline ? &ta.timeline[ta.ntimeline - 1] : NULL;
    if (ta.events != tb.events + 1 || after.events != before.events + 1)
        snprintf(problem, sizeof(problem), "events %u -> %u", tb.events, ta.events);
    else if (after.logged != before.logged + (a->kind == TA_MERGE ? 2 : 1))
        snprintf(problem, sizeof(problem), "%llu events logged, not %s",
                 (unsigned long long)(after.logged - before.logged),
                 a->kind == TA_MERGE ? "two (one on each ticket)" : "one");
    else if (!event_type_at(f->tid, tb.events, type) ||
             strcmp(type, event_types[want_type].name) != 0)
        snprintf(problem, sizeof(problem), "event %u is \"%s\", not %s", tb.events, type,
                 event_types[want_type].name);
    else if (event_type_at(f->tid, tb.events + 1, extra))
        snprintf(problem, sizeof(problem), "a second event %s", extra);
    else if (ta.ntimeline != tb.ntimeline + 1 || e == NULL || e->type != want_type)
        snprintf(problem, sizeof(problem), "timeline %zu -> %zu entries", tb.ntimeline,
                 ta.ntimeline);
    else if (e->visibility != want_vis)
        snprintf(problem, sizeof(problem), "the entry is %s, not %s",
                 visibility_names[e->visibility], visibility_names[want_vis]);
    else if (e->status != ta.status)
        snprintf(problem, sizeof(problem), "the entry says status %s, the ticket %s",
                 ticket_statuses[e->status].name, ticket_statuses[ta.status].name);
    else if (ticket_is_open(&ta) && ticket_live_count(&ta) == 0)
        snprintf(problem, sizeof(problem), "invariant 1: open (%s) without a live assignment",
                 ticket_statuses[ta.status].name);
    free(after.bytes);
report:
    ok(problem[0] == '\0', "%s: taken, one %s event, %s", name, event_types[want_type].name,
       visibility_names[want_vis]);
    if (problem[0])
        printf("#   %s\n", problem);
    free(before.bytes);
    ticket_free(&tb);
    ticket_free(&ta);
}

/* ---- the table ---- */

static int
can(const struct spec *row, const struct principal *who)
{
    return (row->roles & who->role) != 0;
}

/* The rows that act on a ticket, from every status. */
static void
ticket_row(const struct spec *row)
{
    for (int s = 0; s < TS_COUNT; s++) {
        struct fixture f;
        const char *sn = ticket_statuses[s].name;
        char name[200];
        if (!fixture_status((enum ticket_status)s, &f)) {
            ok(0, "%s from %s: the fixture is built", row->name, sn);
            continue;
        }
        int from = row->from == 0 || (row->from & (1u << s));
        struct ticket_action_req a = valid_args(row->kind, &f);
        /* First those that must change nothing, on one fixture. */
        const struct {
            const char *name;
            const struct principal *who;
        } others[] = {{"another customer", &other_cust},
                      {"the partner", &owner_p},
                      {"the auditor", &auditor},
                      {"the broker", &broker}};
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
            snprintf(name, sizeof(name), "%s from %s by %s", row->name, sn, others[i].name);
            if (can(row, others[i].who) && others[i].who != &other_cust)
                printf("# %s may act: covered below\n", others[i].name);
            else
                refused(name, others[i].who, &f, &a, SEAM_ENOTFOUND, NULL, NULL);
        }
        if (row->kind == TA_ASSIGN) { /* the partner named is checked before the state */
            struct ticket_action_req bad = a;
            bad.partner = "nobody";
            snprintf(name, sizeof(name), "%s from %s by the lead to an unknown partner", row->name,
                     sn);
            refused(name, &lead, &f, &bad, SEAM_EINVAL, "no such partner in the federation",
                    "partner");
        }
        /* A partner may take a ticket's action only while it holds a live
         * claim of it: the fixture's owner while the ticket is open, never
         * another partner. */
        if (row->roles & ROLE_PARTNER) {
            snprintf(name, sizeof(name), "%s from %s by a partner without a claim", row->name, sn);
            refused(name, &other_p, &f, &a, SEAM_ENOTFOUND, NULL, NULL);
            snprintf(name, sizeof(name), "%s from %s by the claim's owner", row->name, sn);
            int live = s == TS_ACKNOWLEDGED || s == TS_IN_PROGRESS || s == TS_PENDING;
            if (!live)
                refused(name, &owner_p, &f, &a, SEAM_ENOTFOUND, NULL, NULL);
            else if (!from)
                refused(name, &owner_p, &f, &a, SEAM_ECONFLICT, row->refusal, NULL);
            else {
                allowed(name, &owner_p, &f, &a);
                if (!fixture_status((enum ticket_status)s, &f)) {
                    ok(0, "%s from %s: the fixture is built again", row->name, sn);
                    continue;
                }
                a = valid_args(row->kind, &f);
            }
        }
        /* Then the customer and the lead, each on a fixture of its own. */
        const struct principal *sides[] = {&cust, &lead};
        const char *side_names[] = {"the customer", "the lead"};
        for (size_t i = 0; i < 2; i++) {
            snprintf(name, sizeof(name), "%s from %s by %s", row->name, sn, side_names[i]);
            if (!can(row, sides[i]))
                refused(name, sides[i], &f, &a, SEAM_ENOTFOUND, NULL, NULL);
            else if (!from)
                refused(name, sides[i], &f, &a, SEAM_ECONFLICT, row->refusal, NULL);
            else {
                allowed(name, sides[i], &f, &a);
                if (!fixture_status((enum ticket_status)s, &f)) {
                    ok(0, "%s from %s: the fixture is built again", row->name, sn);
                    break;
                }
                a = valid_args(row->kind, &f);
            }
        }
    }
}

/* Whether an SLA instant of kind may still fire on a claim in state s. */
static int
sla_live(enum sla_kind kind, enum assignment_state s)
{
    if (kind == SLA_WARN_ACK || kind == SLA_ACK)
        return s == AS_ASSIGNED; /* the ack clock stops when it is taken up */
    return s == AS_ASSIGNED || s == AS_ACKNOWLEDGED || s == AS_IN_PROGRESS;
}

/* The SLA row on a claim in state s: each kind's instant, fired or stale. */
static void
sla_row(const struct spec *row, enum assignment_state s, enum owner_kind k, struct fixture *f)
{
    const char *sn = assignment_states[s].name;
    char name[200];
    for (int kind = 0; kind < SLA_KINDS; kind++) {
        struct ticket tk;
        if (!load(f->tid, &tk)) {
            ok(0, "sla: the fixture loads");
            return;
        }
        const struct assignment *asg = ticket_find_assignment(&tk, f->aid);
        int64_t due = asg && asg->sla.due_at[kind] >= 0 ? asg->sla.due_at[kind] : f->due0[kind];
        ticket_free(&tk);
        if (due < 0) {
            printf("# sla %s on a %s: the policy sets no such instant\n", sla_kind_names[kind],
                   owner_names[k]);
            continue;
        }
        struct ticket_action_req a = {
            .kind = TA_SLA, .target = f->aid, .reason = kind, .due_ms = due};
        if (sla_live((enum sla_kind)kind, s)) {
            struct ticket_action_req stale = a;
            stale.due_ms = due - 1;
            snprintf(name, sizeof(name), "%s %s from %s (%s) by the broker, an instant not due",
                     row->name, sla_kind_names[kind], sn, owner_names[k]);
            refused(name, &broker, f, &stale, SEAM_ECONFLICT, "stale due instant", NULL);
            snprintf(name, sizeof(name), "%s %s from %s (%s) by the broker", row->name,
                     sla_kind_names[kind], sn, owner_names[k]);
            allowed(name, &broker, f, &a);
            if (!fixture_state(s, k, f)) {
                ok(0, "sla from %s: the fixture is built again", sn);
                return;
            }
        } else {
            snprintf(name, sizeof(name), "%s %s from %s (%s) by the broker: the clock stopped",
                     row->name, sla_kind_names[kind], sn, owner_names[k]);
            refused(name, &broker, f, &a, SEAM_ECONFLICT, "stale due instant", NULL);
        }
    }
    /* A kind out of range is no instant at all. */
    const int bad[] = {-1, SLA_KINDS};
    for (size_t i = 0; i < 2; i++) {
        struct ticket_action_req a = {
            .kind = TA_SLA, .target = f->aid, .reason = bad[i], .due_ms = f->due0[SLA_RESOLVE]};
        snprintf(name, sizeof(name), "%s of kind %d from %s (%s) by the broker", row->name, bad[i],
                 sn, owner_names[k]);
        refused(name, &broker, f, &a, SEAM_ENOTFOUND, NULL, NULL);
    }
}

/* The rows that act on an assignment, from every state, on a claim owned as k says. */
static void
assignment_row(const struct spec *row, enum owner_kind k)
{
    for (int s = 0; s < AS_COUNT; s++) {
        struct fixture f;
        const char *sn = assignment_states[s].name;
        const char *on = owner_names[k];
        char name[200];
        if (k == OWN_LEAD && s == AS_HANDED_BACK)
            continue; /* the lead never hands back: no public action reaches it */
        if (!fixture_state((enum assignment_state)s, k, &f)) {
            ok(0, "%s from %s (%s): the fixture is built", row->name, sn, on);
            continue;
        }
        int from = row->from == 0 || (row->from & (1u << s));
        struct ticket_action_req a = valid_args(row->kind, &f);
        /* Those that may not act on this claim at all. */
        const struct {
            const char *name;
            const struct principal *who;
        } never[] = {
            {"the customer", &cust}, {"another partner", &other_p}, {"the auditor", &auditor}};
        for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
            snprintf(name, sizeof(name), "%s from %s (%s) by %s", row->name, sn, on, never[i].name);
            refused(name, never[i].who, &f, &a, SEAM_ENOTFOUND, NULL, NULL);
        }
        if (k == OWN_PARTNER && !can(row, &owner_p)) {
            snprintf(name, sizeof(name), "%s from %s (%s) by its partner", row->name, sn, on);
            refused(name, &owner_p, &f, &a, SEAM_ENOTFOUND, NULL, NULL);
        }
        snprintf(name, sizeof(name), "%s from %s (%s) by the lead", row->name, sn, on);
        if (!can(row, &lead))
            refused(name, &lead, &f, &a, SEAM_ENOTFOUND, NULL, NULL);
        else if (k == OWN_PARTNER)
            refused(name, &lead, &f, &a, SEAM_ECONFLICT,
                    "this assignment belongs to a partner; take it over with /assign first", NULL);
        else if (row->kind == TA_HANDBACK) /* checked before the state */
            refused(name, &lead, &f, &a, SEAM_ECONFLICT,
                    "the lead is the owner of last resort; it cannot hand back", NULL);
        snprintf(name, sizeof(name), "%s from %s (%s) by the broker", row->name, sn, on);
        if (!can(row, &broker))
            refused(name, &broker, &f, &a, SEAM_ENOTFOUND, NULL, NULL);

        /* The owner (or the broker, for its rows), by the state. */
        const struct principal *actor = can(row, &broker)          ? &broker
                                        : k == OWN_PARTNER         ? &owner_p
                                        : row->kind != TA_HANDBACK ? &lead
                                                                   : NULL;
        if (actor == NULL || !can(row, actor))
            continue;
        if (row->kind == TA_SLA) {
            sla_row(row, (enum assignment_state)s, k, &f);
            continue;
        }
        snprintf(name, sizeof(name), "%s from %s (%s) by %s", row->name, sn, on,
                 actor == &broker ? "the broker"
                 : actor == &lead ? "the lead"
                                  : "its partner");
        if (from)
            allowed(name, actor, &f, &a);
        else
            refused(name, actor, &f, &a, SEAM_ECONFLICT, row->refusal, NULL);
    }
}

/* ---- the checks around the state check ---- */

static void
test_argument_checks(void)
{
    struct fixture f;
    char tref[TICKET_ID_LEN + 1];

    /* A question while the customer has one to answer: after the state check. */
    if (fixture_status(TS_PENDING, &f)) {
        struct ticket_action_req a = valid_args(TA_NEED_INFO, &f);
        refused("need_info while pending (claim inProgress) by its partner", &owner_p, &f, &a,
                SEAM_ECONFLICT, "the customer has a question to answer already", NULL);
    } else {
        ok(0, "need_info while pending: the fixture is built");
    }

    /* Hand-backs whose reason needs what the request does not name. */
    if (!fixture_state(AS_ACKNOWLEDGED, OWN_PARTNER, &f)) {
        ok(0, "hand-back arguments: the fixture is built");
        return;
    }
    memcpy(tref, f.tid, sizeof(tref));
    struct ticket_action_req a = valid_args(TA_HANDBACK, &f);
    a.reason = HB_BELONGS_TO;
    a.partner = NULL;
    refused("handback belongs_to without a partner", &owner_p, &f, &a, SEAM_EINVAL,
            "belongs_to names the partner (or lead) the claim belongs to", "partner");
    a.partner = "nobody";
    refused("handback belongs_to an unknown partner", &owner_p, &f, &a, SEAM_EINVAL,
            "belongs_to names the partner (or lead) the claim belongs to", "partner");
    a = valid_args(TA_HANDBACK, &f);
    a.reason = HB_DUPLICATE;
    refused("handback duplicate without a ticket", &owner_p, &f, &a, SEAM_EINVAL,
            "duplicate names the ticket it duplicates", "ticket");
    a.ticket_ref = "T-not-an-id";
    refused("handback duplicate of a malformed ticket id", &owner_p, &f, &a, SEAM_EINVAL,
            "duplicate names the ticket it duplicates", "ticket");
    a = valid_args(TA_HANDBACK, &f);
    a.reason = HB_COUNT;
    refused("handback with a reason out of range", &owner_p, &f, &a, SEAM_EINVAL, NULL, NULL);
    a.reason = -1;
    refused("handback with a negative reason", &owner_p, &f, &a, SEAM_EINVAL, NULL, NULL);
    /* With what they need, they are taken. */
    a = valid_args(TA_HANDBACK, &f);
    a.reason = HB_DUPLICATE;
    a.ticket_ref = tref;
    allowed("handback duplicate naming a ticket by its partner", &owner_p, &f, &a);
    if (fixture_state(AS_ACKNOWLEDGED, OWN_PARTNER, &f)) {
        a = valid_args(TA_HANDBACK, &f);
        a.reason = HB_BELONGS_TO;
        a.partner = other_p.subject;
        allowed("handback belongs_to a partner by its partner", &owner_p, &f, &a);
    }

    /* The state is checked before the arguments an apply function checks. */
    if (fixture_state(AS_RESOLVED, OWN_PARTNER, &f)) {
        a = valid_args(TA_HANDBACK, &f);
        a.reason = HB_BELONGS_TO;
        a.partner = NULL;
        refused("handback belongs_to without a partner of a resolved claim", &owner_p, &f, &a,
                SEAM_ECONFLICT, ticket_actions[TA_HANDBACK].refusal, NULL);
    }

    /* What names nothing is not found. */
    struct ticket_action_req none = {.kind = TA_ACK, .target = "A00000000000000000000"};
    refused("ack of an assignment that does not exist", &owner_p, &f, &none, SEAM_ENOTFOUND, NULL,
            NULL);
    none = (struct ticket_action_req){
        .kind = TA_NOTE, .target = "T00000000000000000000", .text = "hello"};
    struct ticket_refusal why;
    ok(act(&cust, &none, &why) == SEAM_ENOTFOUND, "note on a ticket that does not exist");
}

/* Files a complaint as who (a customer) with in; *out the ticket (ticket_free). */
struct create_as {
    const struct principal *who;
    const struct ticket_input *in;
    struct ticket out;
};

static enum seam_err
create_as_fn(struct store_txn *t, void *arg)
{
    struct create_as *j = arg;
    ticket_free(&j->out);
    return ticket_create(t, &ctx, j->who, j->in, &j->out);
}

/* The merge's checks, in the order the action makes them. */
static void
test_merge_checks(void)
{
    struct fixture f, g, h;
    if (!file_ticket(OWN_PARTNER, &f) || !file_ticket(OWN_PARTNER, &g)) {
        ok(0, "merge checks: the fixtures are built");
        return;
    }
    struct ticket_action_req a = {.kind = TA_MERGE, .target = f.tid, .text = "the same"};
    refused("merge naming no ticket", &lead, &f, &a, SEAM_EINVAL,
            "into names the ticket this one is merged into", "into");
    a.ticket_ref = "T-nope";
    refused("merge into a malformed id", &lead, &f, &a, SEAM_EINVAL,
            "into names the ticket this one is merged into", "into");
    a.ticket_ref = f.tid;
    refused("merge into itself", &lead, &f, &a, SEAM_EINVAL,
            "a ticket cannot be merged into itself", "into");
    a.ticket_ref = "T00000000000000000000";
    refused("merge into a ticket that does not exist", &lead, &f, &a, SEAM_EINVAL,
            "no such ticket to merge into", "into");
    /* Another customer's ticket. */
    struct ticket_input in = {
        .summary = (char *)"slow",
        .description = (char *)"slow",
        .facts = {[FACT_SERVICE] = (char *)"internet", [FACT_SYMPTOM] = (char *)"slow"},
        .priority = PRIO_NORMAL};
    struct create_as other = {.who = &other_cust, .in = &in};
    if (store_write(st, create_as_fn, &other, evlog_hook, (void *)ctx.lg) == SEAM_OK) {
        a.ticket_ref = other.out.id;
        refused("merge into another customer's ticket", &lead, &f, &a, SEAM_ECONFLICT,
                "only tickets of the same customer can be merged", "into");
    } else {
        ok(0, "merge checks: another customer's ticket is filed");
    }
    ticket_free(&other.out);
    /* A closed one. */
    if (fixture_status(TS_CLOSED, &h)) {
        a.ticket_ref = h.tid;
        refused("merge into a closed ticket", &lead, &f, &a, SEAM_ECONFLICT,
                "a ticket can be merged only into an open one; reopen it first", "into");
    }
    /* Into g, then into f (merged): a chain is refused at its merged link. */
    a.ticket_ref = g.tid;
    struct ticket_refusal why;
    ok(act(&lead, &a, &why) == SEAM_OK, "merge f into g by the lead");
    struct ticket tf, tg;
    if (load(f.tid, &tf) && load(g.tid, &tg)) {
        const struct assignment *fa = ticket_find_assignment(&tf, f.aid);
        ok(tf.status == TS_CLOSED && tf.merged_into && strcmp(tf.merged_into, g.tid) == 0 &&
               flag_set_has(&tf.flags, FLAG_MERGED),
           "the merged ticket is closed, flagged merged, naming the survivor");
        ok(fa && fa->state == AS_MERGED && fa->ended_at >= 0 && ticket_live_count(&tf) == 0,
           "its live claim ended as merged");
        ok(ticket_is_open(&tg) && ticket_live_count(&tg) == 1 &&
               tg.timeline[tg.ntimeline - 1].type == EV_TICKET_MERGE_RECEIVED &&
               tg.timeline[tg.ntimeline - 1].visibility == VIS_PUBLIC,
           "the survivor stays open with its owner and records the merge publicly");
        ticket_free(&tf);
        ticket_free(&tg);
    } else {
        ok(0, "merge: the tickets load");
    }
    if (file_ticket(OWN_PARTNER, &h)) {
        struct ticket_action_req b = {
            .kind = TA_MERGE, .target = h.tid, .text = "x", .ticket_ref = f.tid};
        refused("merge into a merged ticket", &lead, &h, &b, SEAM_ECONFLICT,
                "the ticket named was itself merged into another; merge into that one", "into");
        /* A ticket that received a merge may itself be merged on. */
        b.target = g.tid;
        b.ticket_ref = h.tid;
        ok(act(&lead, &b, &why) == SEAM_OK, "the survivor merged on into a third ticket");
    }
}

/* Hand-backs naming a partner, and every arrival at the lead after them disputed. */
static void
test_handback_targets(void)
{
    struct fixture f;
    struct ticket tk;
    struct ticket_refusal why;
    /* c1 (triple-play, north): fibernet's claim, named to nordtel, the phone
     * provider of the bundle; the rule's chain (lead) does not name it. */
    if (fixture_state(AS_ACKNOWLEDGED, OWN_PARTNER, &f)) {
        struct ticket_action_req a = {.kind = TA_HANDBACK,
                                      .target = f.aid,
                                      .reason = HB_BELONGS_TO,
                                      .partner = "nordtel",
                                      .text = "the line"};
        ok(act(&owner_p, &a, &why) == SEAM_OK, "belongs_to a bundle partner outside the chain");
        if (load(f.tid, &tk)) {
            const struct assignment *n = &tk.assignments[tk.nassignments - 1];
            const struct assignment *b = ticket_find_assignment(&tk, f.aid);
            ok(strcmp(n->partner, "nordtel") == 0 && !flag_set_has(&n->flags, FLAG_DISPUTED) && b &&
                   b->belongs_to_refused == NULL,
               "  nordtel owns it now, not disputed");
            /* nordtel names fibernet back: fibernet handed it back this round. */
            struct ticket_action_req c = {.kind = TA_HANDBACK,
                                          .target = n->id,
                                          .reason = HB_BELONGS_TO,
                                          .partner = "fibernet"};
            ok(act(&other_p, &c, &why) == SEAM_OK, "belongs_to the partner that bounced it");
            ticket_free(&tk);
            if (load(f.tid, &tk)) {
                const struct assignment *l = &tk.assignments[tk.nassignments - 1];
                const struct assignment *nb = &tk.assignments[tk.nassignments - 2];
                ok(strcmp(l->partner, cfg->lead.id) == 0 &&
                       flag_set_has(&l->flags, FLAG_DISPUTED) &&
                       flag_set_has(&tk.flags, FLAG_DISPUTED),
                   "  refused; the chain's last step, the lead, takes it disputed");
                ok(nb->belongs_to_refused && strcmp(nb->belongs_to_refused, "handed_back") == 0,
                   "  the refusal is on the record: handed_back");
                ticket_free(&tk);
            }
        }
    } else {
        ok(0, "hand-back targets: the fixture is built");
    }
    /* c3 (phone-only): nordtel's phone claim named to skyview, which serves
     * no service of that bundle: refused; the chain (wiring: the lead) goes on. */
    struct principal c3;
    principal(&c3, ROLE_CUSTOMER, "c3");
    struct ticket_input in = {
        .summary = (char *)"no tone",
        .description = (char *)"no dial tone",
        .facts = {[FACT_SERVICE] = (char *)"phone", [FACT_SYMPTOM] = (char *)"no_dial_tone"},
        .priority = PRIO_NORMAL};
    struct create_as j = {.who = &c3, .in = &in};
    if (store_write(st, create_as_fn, &j, evlog_hook, (void *)ctx.lg) == SEAM_OK &&
        strcmp(j.out.assignments[0].partner, "nordtel") == 0) {
        struct ticket_action_req a = {.kind = TA_HANDBACK,
                                      .target = j.out.assignments[0].id,
                                      .reason = HB_BELONGS_TO,
                                      .partner = "skyview"};
        ok(act(&other_p, &a, &why) == SEAM_OK, "belongs_to a partner outside the bundle: taken");
        if (load(j.out.id, &tk)) {
            const struct assignment *b = &tk.assignments[0], *l = &tk.assignments[1];
            ok(b->belongs_to_refused && strcmp(b->belongs_to_refused, "not_in_bundle") == 0,
               "  skyview refused: not_in_bundle");
            ok(tk.nassignments == 2 && strcmp(l->partner, cfg->lead.id) == 0 &&
                   flag_set_has(&l->flags, FLAG_DISPUTED),
               "  the chain's planned lead takes it, disputed");
            ticket_free(&tk);
        }
        /* Out of bundle: c3 files about TV. */
        in.facts[FACT_SERVICE] = (char *)"tv";
        in.facts[FACT_SYMPTOM] = (char *)"no_signal";
        struct create_as o = {.who = &c3, .in = &in};
        ok(store_write(st, create_as_fn, &o, evlog_hook, (void *)ctx.lg) == SEAM_OK &&
               flag_set_has(&o.out.flags, FLAG_OUT_OF_BUNDLE),
           "a complaint about a service outside the bundle is flagged out_of_bundle");
        /* The same facts again, naming the first: possible_duplicate. */
        struct ticket_input again = in;
        again.duplicate_of = o.out.id;
        struct create_as d = {.who = &c3, .in = &again};
        ok(store_write(st, create_as_fn, &d, evlog_hook, (void *)ctx.lg) == SEAM_OK &&
               flag_set_has(&d.out.flags, FLAG_POSSIBLE_DUPLICATE) && d.out.duplicate_of &&
               strcmp(d.out.duplicate_of, o.out.id) == 0,
           "the same facts while the first is open: possible_duplicate, linked");
        /* Other facts naming it: not a duplicate. */
        again.facts[FACT_SYMPTOM] = (char *)"degraded";
        ticket_free(&d.out);
        ok(store_write(st, create_as_fn, &d, evlog_hook, (void *)ctx.lg) == SEAM_OK &&
               !flag_set_has(&d.out.flags, FLAG_POSSIBLE_DUPLICATE) && d.out.duplicate_of == NULL,
           "other facts: not flagged, whatever the request named");
        ticket_free(&d.out);
        ticket_free(&o.out);
    } else {
        ok(0, "hand-back targets: c3's phone ticket goes to nordtel");
    }
    ticket_free(&j.out);
}

/* ---- ticket_walk: what a principal sees, filtered, newest first ---- */

#define WALK_MAX 4096

struct walk_ids {
    char ids[WALK_MAX][TICKET_ID_LEN + 1];
    size_t n;
};

static int
walk_collect(void *arg, const struct ticket *tk)
{
    struct walk_ids *w = arg;
    if (w->n < WALK_MAX)
        snprintf(w->ids[w->n++], TICKET_ID_LEN + 1, "%s", tk->id);
    return 0;
}

/* The extra predicate: tickets whose id's last character is even (about half). */
static int
walk_even(void *arg, const struct ticket *tk)
{
    (void)arg;
    return (tk->id[TICKET_ID_LEN - 1] & 1) == 0;
}

struct walk_expect {
    const struct principal *who;
    const char *status; /* NULL: no filter at all */
    struct walk_ids *out;
};

static int
walk_expected(void *arg, const struct ticket *tk)
{
    struct walk_expect *e = arg;
    if (ticket_visible(tk, e->who) &&
        (e->status == NULL ||
         (strcmp(ticket_statuses[tk->status].name, e->status) == 0 && walk_even(NULL, tk))) &&
        !(e->who->role == ROLE_CUSTOMER && tk->merged_into != NULL))
        walk_collect(e->out, tk);
    return 0;
}

static void
test_walk(void)
{
    const struct principal *whos[] = {&cust, &owner_p, &lead};
    const char *const sts[] = {"acknowledged", "resolved", "cancelled"};
    struct walk_ids *got = calloc(1, sizeof(*got)), *want = calloc(1, sizeof(*want));
    struct store_txn *t;
    if (got == NULL || want == NULL || store_read_begin(st, &t) != SEAM_OK) {
        ok(0, "ticket_walk: a read");
        free(got);
        free(want);
        return;
    }
    for (size_t w = 0; w < sizeof(whos) / sizeof(whos[0]); w++)
        for (size_t s = 0; s < sizeof(sts) / sizeof(sts[0]); s++) {
            struct ticket_filter f = {.status = sts[s], .match = walk_even};
            struct walk_expect e = {whos[w], sts[s], want};
            got->n = want->n = 0;
            enum seam_err rc = ticket_walk(t, &ctx, whos[w], &f, NULL, walk_collect, got, NULL);
            int same = rc == SEAM_OK && ticket_scan(t, walk_expected, &e) == SEAM_OK &&
                       got->n == want->n && want->n > 0;
            for (size_t i = 0; same && i < got->n; i++) /* the scan is oldest first */
                same = strcmp(got->ids[i], want->ids[want->n - 1 - i]) == 0;
            ok(same,
               "ticket_walk as %s, status %s and a predicate: the %zu a scan finds, newest "
               "first (walked %zu)",
               whos[w]->subject, sts[s], want->n, got->n);
        }
    /* Another customer, no filter: its own only (c1's are most of the store). */
    struct walk_expect e = {&other_cust, NULL, want};
    got->n = want->n = 0;
    int same = ticket_walk(t, &ctx, &other_cust, NULL, NULL, walk_collect, got, NULL) == SEAM_OK &&
               ticket_scan(t, walk_expected, &e) == SEAM_OK && got->n == want->n;
    for (size_t i = 0; same && i < got->n; i++)
        same = strcmp(got->ids[i], want->ids[want->n - 1 - i]) == 0;
    ok(same, "ticket_walk as another customer, no filter: its %zu tickets only (walked %zu)",
       want->n, got->n);
    store_read_end(t);
    free(got);
    free(want);
}

int
main(void)
{
    char *errors = NULL, *dir = tap_tmpdir();
    struct keys keys;
    if (sodium_init() < 0 || dir == NULL)
        return 1;
    crypto_sign_keypair(keys.pk, keys.sk);
    struct evlog lg = {&keys, "seam.test/ticket"};
    ok(config_load("conf/seam.json", &cfg, &errors) == SEAM_OK, "the example federation loads");
    free(errors);
    ok(store_open(dir, 1 << 20, (size_t)1 << 30, 1, &st) == SEAM_OK, "a store in a temp dir");
    struct sla *sla = cfg ? sla_new(cfg) : NULL;
    ok(sla != NULL, "the SLA calendars open");
    if (cfg == NULL || st == NULL || sla == NULL)
        return done_testing();
    ctx = (struct ticket_ctx){cfg, &lg, sla};
    ok(store_write(st, add_customers, NULL, NULL, NULL) == SEAM_OK, "two customers");
    principal(&cust, ROLE_CUSTOMER, "c1");
    principal(&other_cust, ROLE_CUSTOMER, "c2");
    principal(&owner_p, ROLE_PARTNER, "fibernet");
    principal(&other_p, ROLE_PARTNER, "nordtel");
    principal(&lead, ROLE_LEAD, "agent-1");
    principal(&auditor, ROLE_AUDITOR, "auditor-1");
    principal(&broker, ROLE_BROKER, "seam-broker");
    tmf_change = json_pack("{s:s}", "name", "renamed");

    for (int r = 0; r < TA_COUNT; r++) {
        const struct ticket_action_row *row = &ticket_actions[r];
        const struct spec *sp = spec_find(row->name);
        ok(row->kind == (enum ticket_action)r && row->name != NULL, "row %d is action %s's", r,
           row->name ? row->name : "?");
        ok(sp != NULL, "row %s has its documented entry in this test", row->name ? row->name : "?");
        if (sp == NULL)
            continue;
        ok(row_is_spec(row, sp),
           "row %s: roles, states, refusal, event and visibility as documented", row->name);
        if (!row_is_spec(row, sp))
            printf("#   roles %#x (want %#x), from %#x (want %#x), refusal \"%s\", event %s, %s\n",
                   row->roles, sp->roles, row->from, sp->from,
                   row->refusal ? row->refusal : "(none)", event_types[row->event].name,
                   visibility_names[row->visible]);
        /* The behaviour is judged by the documented entry: a row that
         * differs fails on each state it gets wrong too. */
        if (!sp->on_assignment)
            ticket_row(sp);
        else {
            assignment_row(sp, OWN_PARTNER);
            assignment_row(sp, OWN_LEAD);
        }
    }
    test_argument_checks();
    test_merge_checks();
    test_handback_targets();
    test_walk();

    json_decref(tmf_change);
    sla_free(sla);
    store_close(st);
    config_free(cfg);
    tap_rmtree(dir);
    free(dir);
    return done_testing();
}
