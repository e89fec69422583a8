/*
 * api_assignments.c: the owner's side. A partner (or the lead, for the
 * claims it owns) lists its queue with a cursor and may long-poll for new
 * claims, reads one assignment, and works it: acknowledge, progress, ask
 * the customer, resolve, or hand back with a reason. Another owner's
 * assignment is 404 for every one of these.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "longpoll.h"

#define WAIT_MAX_S 60

struct queue_query {
    char *state, *cursor;
    int limit;
};

static void
queue_query_free(void *p)
{
    struct queue_query *q = p;
    if (q == NULL)
        return;
    free(q->state);
    free(q->cursor);
    free(q);
}

/* Runs the query and sets the answer; 1 if the page had items. */
static int
queue_fill(struct req *r)
{
    struct queue_query *q = r->job;
    struct ticket_ctx c = {r->srv->cfg, &r->srv->lg, r->srv->sla};
    struct store_txn *t;
    json_t *page = NULL;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = ticket_queue(t, &c, &r->who, q->state, q->cursor, (unsigned)q->limit, &page);
        store_read_end(t);
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "queue");
        return 1;
    }
    int any = json_array_size(json_object_get(page, "items")) > 0;
    http_reply(r, 200, page);
    return any;
}

static void
queue_refill(struct req *r)
{
    (void)queue_fill(r);
}

void
api_assignments_list(struct req *r)
{
    static const char *const states[] = {"assigned",  "acknowledged", "inProgress",
                                         "resolved",  "handed_back",  "reassigned",
                                         "cancelled", "live",         NULL};
    struct ticket_ctx c = {r->srv->cfg, &r->srv->lg, r->srv->sla};
    const char *state, *cursor = http_query(r, "cursor");
    const char *wait_s = http_query(r, "wait");
    long wait = 0;
    int limit = http_limit_or_reply(r, 50, 200);
    if (limit < 0 ||
        http_enum_or_reply(r, "state", states, "an assignment state (or live)", &state) != 0)
        return;
    if (cursor != NULL && (strlen(cursor) != 21 || cursor[0] != 'A')) {
        http_error(r, E_BAD_PARAMETER, "cursor must be a next_cursor value", "cursor");
        return;
    }
    if (wait_s != NULL) {
        char *end;
        wait = strtol(wait_s, &end, 10);
        if (*wait_s == '\0' || *end != '\0' || wait < 0 || wait > WAIT_MAX_S) {
            http_error(r, E_BAD_PARAMETER, "wait is 0 to 60 seconds", "wait");
            return;
        }
    }
    struct queue_query *q = xcalloc(1, sizeof(*q));
    q->state = state ? xstrdup(state) : NULL;
    q->cursor = cursor ? xstrdup(cursor) : NULL;
    q->limit = limit;
    r->job = q;
    r->job_free = queue_query_free;
    const char *owner = ticket_queue_owner(&c, &r->who);
    uint64_t seen = longpoll_version(owner);
    if (queue_fill(r) || wait == 0)
        return;
    /* Nothing yet: park until a commit touches this owner or the wait ends. */
    free(r->reply);
    r->reply = NULL;
    r->replied = 0;
    longpoll_park(r, owner, seen, now_ms() + wait * 1000, queue_refill);
}

void
api_assignments_get(struct req *r)
{
    struct ticket_ctx c = {r->srv->cfg, &r->srv->lg, r->srv->sla};
    struct store_txn *t;
    json_t *record = NULL, *v = NULL;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = ticket_load_assignment(t, &c, &r->who, http_param(r, 0), &record);
        if (rc == SEAM_OK)
            v = ticket_assignment_view(t, &c, record, http_param(r, 0));
        store_read_end(t);
    }
    json_decref(record);
    if (rc == SEAM_ENOTFOUND || (rc == SEAM_OK && v == NULL)) {
        http_error(r, E_NOT_FOUND, "no such assignment", NULL);
        return;
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "assignment");
        return;
    }
    http_reply(r, 200, v);
}

#define TEXT(name, required)                                                                       \
    {                                                                                              \
        name, JSON_STRING, required, (size_t)(required), 8000                                      \
    }
#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, 0, 0                                                                           \
    }

void
api_assignments_ack(struct req *r)
{
    static const struct body_field f[] = {TEXT("note", 0), END};
    api_act(r, TA_ACK, f, "note", NULL);
}

void
api_assignments_progress(struct req *r)
{
    static const struct body_field f[] = {TEXT("note", 1), END};
    api_act(r, TA_PROGRESS, f, "note", NULL);
}

void
api_assignments_need_info(struct req *r)
{
    static const struct body_field f[] = {TEXT("question", 1), END};
    api_act(r, TA_NEED_INFO, f, "question", NULL);
}

void
api_assignments_resolve(struct req *r)
{
    static const struct body_field f[] = {TEXT("resolution", 1), END};
    api_act(r, TA_RESOLVE, f, "resolution", NULL);
}

void
api_assignments_handback(struct req *r)
{
    static const struct body_field f[] = {{"reason", JSON_STRING, 1, 1, 32},
                                          {"partner", JSON_STRING, 0, 1, 64},
                                          {"ticket", JSON_STRING, 0, 1, 64},
                                          TEXT("note", 0),
                                          END};
    static const char *const reasons[] = {"not_our_service", "belongs_to", "customer_side",
                                          "duplicate", NULL};
    /* The reason is checked here, before anything is queued. */
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL)
        return;
    const char *reason = json_string_value(json_object_get(body, "reason"));
    int known = 0;
    for (const char *const *k = reasons; reason && *k; k++)
        known |= strcmp(*k, reason) == 0;
    json_decref(body);
    if (reason != NULL && !known) {
        http_error(r, E_INVALID_FIELD, "a reason is one of " HANDBACK_REASONS, "reason");
        return;
    }
    api_act(r, TA_HANDBACK, f, "note", NULL);
}
