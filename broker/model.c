/*
 * model.c: the name tables of the ticket model (include/seam/ticket.h) and
 * the small questions asked of a struct ticket. Each closed set of names has
 * one row per enum value, in enum order, so that a value indexes its row; a
 * name is read back by a linear search of a handful of rows. Nothing here
 * knows how a ticket is stored (record.c does) nor how it changes (ticket.c).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "seam/ticket.h"
#include "sla.h"

const struct ticket_status_row ticket_statuses[TS_COUNT] = {
    {TS_ACKNOWLEDGED, "acknowledged", 1, 1},
    {TS_IN_PROGRESS, "inProgress", 1, 1},
    {TS_PENDING, "pending", 1, 1},
    {TS_RESOLVED, "resolved", 0, 1},
    {TS_CLOSED, "closed", 0, 0},
    {TS_CANCELLED, "cancelled", 0, 0},
};

const struct assignment_state_row assignment_states[AS_COUNT] = {
    {AS_ASSIGNED, "assigned", 1},       {AS_ACKNOWLEDGED, "acknowledged", 1},
    {AS_IN_PROGRESS, "inProgress", 1},  {AS_RESOLVED, "resolved", 0},
    {AS_HANDED_BACK, "handed_back", 0}, {AS_CANCELLED, "cancelled", 0},
    {AS_REASSIGNED, "reassigned", 0},   {AS_UNDELIVERABLE, "undeliverable", 0},
    {AS_MERGED, "merged", 0},
};

/* The notes are the entries ticket.c's limits count (limits.max_notes_per_ticket):
 * a ticket.updated's TMF notes are counted among the TMF attributes instead. */
const struct event_type_row event_types[EV_COUNT] = {
    {EV_TICKET_CREATED, "ticket.created", 0, NULL},
    {EV_TICKET_NOTE, "ticket.note", 1, "text"},
    {EV_TICKET_CONFIRMED, "ticket.confirmed", 0, NULL},
    {EV_TICKET_REOPENED, "ticket.reopened", 0, "reason"},
    {EV_TICKET_CANCELLED, "ticket.cancelled", 0, "reason"},
    {EV_TICKET_UPDATED, "ticket.updated", 0, "changes"},
    {EV_TICKET_ASSIGNED, "ticket.assigned", 0, "reason"},
    {EV_ASSIGNMENT_ACKNOWLEDGED, "assignment.acknowledged", 0, NULL},
    {EV_ASSIGNMENT_PROGRESS, "assignment.progress", 1, "note"},
    {EV_ASSIGNMENT_NEED_INFO, "assignment.need_info", 1, "question"},
    {EV_ASSIGNMENT_RESOLVED, "assignment.resolved", 0, "resolution"},
    {EV_ASSIGNMENT_HANDED_BACK, "assignment.handed_back", 0, "note"},
    {EV_ASSIGNMENT_ESCALATED, "assignment.escalated", 0, "reason"},
    {EV_SLA_WARNING, "sla.warning", 0, NULL},
    {EV_SLA_BREACHED, "sla.breached", 0, NULL},
    {EV_TICKET_FACTS_CHANGED, "ticket.facts_changed", 0, "reason"},
    {EV_TICKET_MERGED, "ticket.merged", 0, "reason"},
    {EV_TICKET_MERGE_RECEIVED, "ticket.merge_received", 0, "reason"},
    {EV_ASSIGNMENT_LINKED, "assignment.linked", 0, NULL},
    {EV_ASSIGNMENT_STATUS_UNKNOWN, "assignment.status_unknown", 0, "reason"},
};

int
event_member_restricted(enum event_type type, const char *member)
{
    if ((unsigned)type >= EV_COUNT || member == NULL)
        return 0;
    if (event_types[type].text != NULL && strcmp(event_types[type].text, member) == 0)
        return 1;
    if (strcmp(member, "route") == 0) /* who the rules gave it to, and who comes next */
        return 1;
    if (strcmp(member, "attachments") == 0) /* the files a text refers to, as the text */
        return 1;
    return type == EV_TICKET_CREATED &&
           (strcmp(member, "customer_name") == 0 || strcmp(member, "customer_contact") == 0);
}

const struct handback_reason_row handback_reasons[HB_COUNT] = {
    {HB_NOT_OUR_SERVICE, "not_our_service", 0, 0},
    {HB_BELONGS_TO, "belongs_to", 1, 0},
    {HB_CUSTOMER_SIDE, "customer_side", 0, 0},
    {HB_DUPLICATE, "duplicate", 0, 1},
};

const struct ticket_flag_row ticket_flags[FLAG_COUNT] = {
    {FLAG_UNROUTABLE, "unroutable"},
    {FLAG_DISPUTED, "disputed"},
    {FLAG_ESCALATED, "escalated"},
    {FLAG_BREACHED, "breached"},
    {FLAG_FORCED, "forced"},
    {FLAG_DUPLICATE, "duplicate"},
    {FLAG_OUT_OF_BUNDLE, "out_of_bundle"},
    {FLAG_POSSIBLE_DUPLICATE, "possible_duplicate"},
    {FLAG_MERGED, "merged"},
};

const char *const ticket_watches[WATCH_COUNT] = {"bouncing", "at_risk"};

const char *const visibility_names[VIS_COUNT] = {"public", "internal"};

const char *const ticket_channels[CH_COUNT] = {"web", "email", "phone", "tmf621", "api"};

int
ticket_channel_parse(const char *name)
{
    for (int i = 0; name != NULL && i < CH_COUNT; i++)
        if (strcmp(ticket_channels[i], name) == 0)
            return i;
    return -1;
}

/* The index of the row of rows[0..n) (each size bytes, its name at offset
 * off) named s, or -1. */
static int
row_parse(const void *rows, size_t n, size_t size, size_t off, const char *s)
{
    if (s == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *name = *(const char *const *)((const char *)rows + i * size + off);
        if (strcmp(name, s) == 0)
            return (int)i;
    }
    return -1;
}

#define PARSE(type, rows, n, s)                                                                    \
    row_parse((rows), (n), sizeof(struct type), offsetof(struct type, name), (s))

int
ticket_status_parse(const char *s)
{
    return PARSE(ticket_status_row, ticket_statuses, TS_COUNT, s);
}

int
assignment_state_parse(const char *s)
{
    return PARSE(assignment_state_row, assignment_states, AS_COUNT, s);
}

int
event_type_parse(const char *s)
{
    return PARSE(event_type_row, event_types, EV_COUNT, s);
}

int
handback_reason_parse(const char *s)
{
    return PARSE(handback_reason_row, handback_reasons, HB_COUNT, s);
}

int
ticket_flag_parse(const char *s)
{
    return PARSE(ticket_flag_row, ticket_flags, FLAG_COUNT, s);
}

int
ticket_watch_parse(const char *s)
{
    return row_parse(ticket_watches, WATCH_COUNT, sizeof(ticket_watches[0]), 0, s);
}

int
visibility_parse(const char *s)
{
    return row_parse(visibility_names, VIS_COUNT, sizeof(visibility_names[0]), 0, s);
}

static void
extra_free(struct extra_member *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(x[i].key);
        free(x[i].json);
    }
    free(x);
}

void
ticket_free(struct ticket *t)
{
    if (t == NULL)
        return;
    free(t->customer);
    free(t->summary);
    free(t->description);
    for (size_t i = 0; i < SEAM_FACTS_MAX; i++) {
        free(t->filed[i]);
        free(t->facts[i]);
    }
    free(t->rule);
    for (size_t i = 0; i < t->nfallback; i++) {
        free(t->fallback[i].role);
        free(t->fallback[i].partner);
    }
    free(t->fallback);
    free(t->topic);
    for (size_t i = 0; i < t->nassignments; i++) {
        struct assignment *a = &t->assignments[i];
        free(a->partner);
        free(a->rule);
        free(a->resolution);
        free(a->belongs_to);
        free(a->belongs_to_refused);
        free(a->sla.policy);
        extra_free(a->extra, a->nextra);
    }
    free(t->assignments);
    for (size_t i = 0; i < t->ntimeline; i++) {
        free(t->timeline[i].text);
        free(t->timeline[i].by);
    }
    free(t->timeline);
    free(t->e2e.policy);
    free(t->tmf);
    free(t->duplicate_of);
    free(t->channel);
    free(t->merged_into);
    extra_free(t->extra, t->nextra);
    memset(t, 0, sizeof(*t));
}

struct assignment *
ticket_find_assignment(const struct ticket *t, const char *id)
{
    for (size_t i = 0; i < t->nassignments; i++)
        if (strcmp(t->assignments[i].id, id) == 0)
            return &t->assignments[i];
    return NULL;
}

int
assignment_is_live(const struct assignment *a)
{
    return (unsigned)a->state < AS_COUNT && assignment_states[a->state].live;
}

size_t
ticket_live_count(const struct ticket *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nassignments; i++)
        n += (size_t)assignment_is_live(&t->assignments[i]);
    return n;
}

int
ticket_is_open(const struct ticket *t)
{
    return (unsigned)t->status < TS_COUNT && ticket_statuses[t->status].open;
}

int
flag_set_has(const struct flag_set *s, enum ticket_flag f)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i] == (uint8_t)f)
            return 1;
    return 0;
}

void
flag_set_add(struct flag_set *s, enum ticket_flag f)
{
    if (!flag_set_has(s, f) && s->n < FLAG_COUNT)
        s->v[s->n++] = (uint8_t)f;
}

void
flag_set_del(struct flag_set *s, enum ticket_flag f)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i] == (uint8_t)f) {
            memmove(&s->v[i], &s->v[i + 1], s->n - i - 1);
            s->n--;
            return;
        }
}

int
ticket_has_flag(const struct ticket *t, enum ticket_flag f)
{
    if (flag_set_has(&t->flags, f))
        return 1;
    for (size_t i = 0; i < t->nassignments; i++)
        if (flag_set_has(&t->assignments[i].flags, f))
            return 1;
    return 0;
}

static int
kinds_have(const struct kind_set *s, enum sla_kind kind)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i] == (uint8_t)kind)
            return 1;
    return 0;
}

/* A clock past its warning that still runs toward its breach: the warning came (warned), the
 * breach is due (its instant pending: neither fired nor cleared by a pause or a stop). */
static int
clock_at_risk(const struct sla_clock *k, enum sla_kind warning, enum sla_kind breach)
{
    return kinds_have(&k->warned, warning) && !kinds_have(&k->breached, breach) &&
           k->due_at[breach] >= 0;
}

int
ticket_in_watch(const struct ticket *t, enum ticket_watch w)
{
    switch (w) {
    case WATCH_BOUNCING:
        return ticket_is_open(t) && t->bounces > 0;
    case WATCH_AT_RISK:
        for (size_t i = 0; i < t->nassignments; i++) {
            const struct assignment *a = &t->assignments[i];
            if (assignment_is_live(a) && a->sla.present &&
                (clock_at_risk(&a->sla, SLA_WARN_ACK, SLA_ACK) ||
                 clock_at_risk(&a->sla, SLA_WARN_RESOLVE, SLA_RESOLVE)))
                return 1;
        }
        return 0;
    case WATCH_COUNT:
        break;
    }
    return 0;
}
