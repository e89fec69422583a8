/*
 * ticket.c: the ticket model. A ticket record holds the ticket's fields,
 * its assignments, its public timeline and its head (number of events and
 * hash of the last), so that reading a ticket costs one lookup. Every change
 * is one event appended through evlog in the same transaction as the record.
 * A ticket is routed when it is filed and again when it is reopened: each
 * routing makes a round of assignments (route.c decides the owners). Status
 * follows the assignments: acknowledged until an owner acknowledges,
 * inProgress while one works it, resolved when no live assignment remains.
 */
#define _XOPEN_SOURCE 700 /* strptime */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "json_fast.h"
#include "log.h"
#include "outbox.h"
#include "tmf.h"
#include "route.h"
#include "ticket.h"

int
ticket_id_valid(const char *s)
{
    if (s == NULL || strlen(s) != TICKET_ID_LEN || s[0] != 'T')
        return 0;
    for (size_t i = 1; i < TICKET_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/*
 * Ids: "T" or "A", then 20 hex digits of one sequence both kinds share: 12
 * of the time in ms and 8 that count on from a random start; each id sorts
 * after every id taken before it, so queues and cursors keep their order
 * within a millisecond.
 *
 * Ids must also go into the store in that order, or a reader past a cursor
 * would never see an id committed after it below the cursor. The writer
 * keeps the largest id of each kind it has written (`written`: its own, or
 * a tool's in its one write). A staged change (store.h) takes its ids on a
 * request's thread, so the replay checks them against `written`. To keep
 * those checks passing, a stage reserves a block of ID_BLOCK numbers at its
 * first id, takes all its ids from it, and queues its job in the block's
 * order. A stage overtaken anyway is stale: the writer then makes the
 * change itself, with ids just above those it wrote, which stay below the
 * blocks of the stages still waiting.
 */
#define ID_BLOCK 256
static pthread_mutex_t id_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t reserved[10]; /* under id_mu: the last number handed out */
static uint64_t blocks;      /* under id_mu: blocks reserved (a stage's order) */
static uint8_t written[2][10];
static _Thread_local struct {
    uint8_t base[10];
    unsigned used;
} block; /* the block of the stage running on this thread */

static void
seq_add(uint8_t b[10], unsigned n)
{
    for (int i = 9; i >= 0 && n > 0; i--) {
        unsigned v = b[i] + (n & 0xff);
        b[i] = (uint8_t)v;
        n = (n >> 8) + (v >> 8);
    }
}

/* Under id_mu: n numbers in a row after every one handed out; the first in b. */
static void
reserve(uint8_t b[10], unsigned n)
{
    uint64_t ms = (uint64_t)now_ms();
    for (int i = 5; i >= 0; i--) {
        b[i] = (uint8_t)ms;
        ms >>= 8;
    }
    randombytes_buf(b + 6, 4);
    if (memcmp(b, reserved, 10) <= 0) { /* same millisecond (or the clock went back): count on */
        memcpy(b, reserved, 10);
        seq_add(b, 1);
    }
    memcpy(reserved, b, 10);
    seq_add(reserved, n - 1);
}

/* Written less than a second ago, by its time digits. */
static int
recent(const uint8_t b[10])
{
    int64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = (ms << 8) | b[i];
    return ms > 0 && now_ms() - ms < 1000;
}

struct id_claim {
    int kind; /* 0 ticket, 1 assignment */
    uint8_t b[10];
};

static enum seam_err
id_in_order(struct store_txn *t, void *arg)
{
    (void)t;
    struct id_claim *c = arg;
    if (memcmp(c->b, written[c->kind], 10) <= 0)
        return SEAM_ESTALE;
    memcpy(written[c->kind], c->b, 10);
    return SEAM_OK;
}

static void
new_id(struct store_txn *t, char prefix, char out[TICKET_ID_LEN + 1])
{
    int kind = prefix == 'A';
    uint8_t b[10];
    if (store_is_staged(t)) {
        if (store_stage_order(t) == 0) { /* the stage's first id */
            pthread_mutex_lock(&id_mu);
            reserve(block.base, ID_BLOCK);
            uint64_t order = ++blocks;
            pthread_mutex_unlock(&id_mu);
            store_stage_set_order(t, order);
            block.used = 0;
        }
        if (block.used < ID_BLOCK) {
            memcpy(b, block.base, 10);
            seq_add(b, block.used++);
        } else { /* a change of that many ids: out of its order, likely stale */
            pthread_mutex_lock(&id_mu);
            reserve(b, 1);
            pthread_mutex_unlock(&id_mu);
        }
        struct id_claim *c = xmalloc(sizeof(*c));
        c->kind = kind;
        memcpy(c->b, b, 10);
        store_stage_check(t, id_in_order, c, free);
    } else {
        pthread_mutex_lock(&id_mu);
        if (recent(written[kind])) {
            memcpy(b, written[kind], 10);
            seq_add(b, 1);
            if (memcmp(b, reserved, 10) > 0)
                memcpy(reserved, b, 10);
        } else {
            reserve(b, 1);
        }
        pthread_mutex_unlock(&id_mu);
        memcpy(written[kind], b, 10);
    }
    out[0] = prefix;
    hex_encode(b, 10, out + 1);
}

#define DUMP_BUF 16384 /* a record or an event dumped on the stack, if it fits */

/*
 * A record as stored: compact JSON, its keys in the order they were set.
 * Only signed events need sorted keys (their canonical bytes); sorting a
 * record's costs a sixth more on every change. max: its most bytes, or 0;
 * SEAM_ETOOBIG past it, nothing stored.
 */
static enum seam_err
put_json(struct store_txn *t, enum store_db db, const char *key, size_t klen, const json_t *j,
         unsigned flags, size_t max)
{
    char buf[DUMP_BUF];
    size_t len;
    char *text = json_dump_into(j, JSON_COMPACT, buf, sizeof(buf), &len);
    if (text == NULL)
        return SEAM_EINVAL;
    /* Never a record its readers cannot parse again (json_fast.h). */
    enum seam_err rc =
        json_stored_check(db == DB_TICKETS ? "ticket" : "record", key, klen, text, len);
    if (rc == SEAM_OK && max > 0 && len > max)
        rc = SEAM_ETOOBIG;
    if (rc == SEAM_OK)
        rc = store_put(t, db, key, klen, text, len, flags);
    if (text != buf)
        free(text);
    return rc;
}

static enum seam_err
get_json(struct store_txn *t, enum store_db db, const char *key, size_t klen, json_t **out)
{
    struct store_val v;
    enum seam_err rc = store_get(t, db, key, klen, &v);
    if (rc != SEAM_OK)
        return rc;
    json_t *j = json_loadb(v.data, v.len, 0, NULL);
    if (j == NULL)
        return SEAM_ECORRUPT;
    *out = j;
    return SEAM_OK;
}

/*
 * Appends one event of `type` to the ticket: seq and prev from the record's
 * head, signed and logged by evlog, and the head advanced.
 */
static enum seam_err
ticket_event(struct store_txn *t, const struct ticket_ctx *c, json_t *record, const char *type,
             const struct principal *who, const char *at, json_t *data)
{
    json_t *head = json_object_get(record, "head");
    const char *id = json_string_value(json_object_get(record, "id"));
    json_int_t seq = json_integer_value(json_object_get(head, "events"));
    const char *prev = json_string_value(json_object_get(head, "last"));
    char hash[65];

    json_t *ev =
        json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:o}", "v", 1, "type", type,
                  "ticket", id, "seq", seq, "prev", prev ? prev : "", "at", at, "actor", "role",
                  auth_role_name(who->role), "id", who->subject, "data", data);
    char buf[DUMP_BUF];
    size_t len;
    char *bytes = json_dump_into(ev, JSON_SORT_KEYS | JSON_COMPACT, buf, sizeof(buf), &len);
    json_decref(ev);
    if (bytes == NULL)
        return SEAM_EINVAL;
    enum seam_err rc = evlog_append(t, c->lg, id, (uint32_t)seq, bytes, len);
    if (rc == SEAM_OK) {
        seam_sha256_hex(bytes, len, hash);
        json_object_set_new(head, "events", json_integer(seq + 1));
        json_object_set_new(head, "last", json_string(hash));
    }
    if (bytes != buf)
        free(bytes);
    return rc;
}

static json_t *
opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int64_t parse_time_ms(const char *s);

/* The SLA clock calls, skipped when the context has no clocks. */
#define SLA(call)                                                                                  \
    do {                                                                                           \
        if (c->sla != NULL) {                                                                      \
            enum seam_err sla_rc_ = (call);                                                        \
            if (sla_rc_ != SEAM_OK)                                                                \
                return sla_rc_;                                                                    \
        }                                                                                          \
    } while (0)

/* Adds a flag once. */
static void
add_flag(json_t *holder, const char *flag)
{
    json_t *flags = json_object_get(holder, "flags"), *f;
    size_t i;
    json_array_foreach(flags, i, f)
    {
        if (strcmp(json_string_value(f), flag) == 0)
            return;
    }
    json_array_append_new(flags, json_string(flag));
}

static const char *const live_states[] = {"assigned", "acknowledged", "inProgress", NULL};

static int
is_live(const json_t *assignment)
{
    const char *st = json_string_value(json_object_get(assignment, "state"));
    for (const char *const *l = live_states; st && *l; l++)
        if (strcmp(st, *l) == 0)
            return 1;
    return 0;
}

static size_t
live_count(const json_t *record)
{
    size_t i, n = 0;
    json_t *a;
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        n += (size_t)is_live(a);
    }
    return n;
}

static int
status_is(const json_t *record, const char *status)
{
    const char *s = json_string_value(json_object_get(record, "status"));
    return s != NULL && strcmp(s, status) == 0;
}

static int
is_open(const json_t *record)
{
    return status_is(record, "acknowledged") || status_is(record, "inProgress") ||
           status_is(record, "pending");
}

static void
set_status(json_t *record, const char *status)
{
    json_object_set_new(record, "status", json_string(status));
}

/* One entry of the timeline; visibility "public" (the customer sees it) or "internal". */
static void
timeline_add(json_t *record, const char *at, const char *type, const char *visibility,
             const char *text)
{
    json_t *e = json_pack("{s:s, s:s, s:O, s:s}", "at", at, "type", type, "status",
                          json_object_get(record, "status"), "visibility", visibility);
    if (text != NULL)
        json_object_set_new(e, "text", json_string(text));
    json_array_append_new(json_object_get(record, "timeline"), e);
}

/* The facts a ticket is routed by: what was filed, and the customer's bundle and region. */
static void
record_facts(const json_t *record, struct route_facts *f)
{
    json_t *facts = json_object_get(record, "facts");
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < FACT_COUNT; i++)
        f->v[i] = json_string_value(json_object_get(facts, fact_names[i]));
}

static enum seam_err
index_assignment(struct store_txn *t, const char *aid, const char *tid)
{
    return store_put(t, DB_ASSIGNMENTS, aid, TICKET_ID_LEN, tid, TICKET_ID_LEN,
                     STORE_NOOVERWRITE | STORE_APPEND);
}

/* A new assignment of the ticket to partner; indexed; returned borrowed. */
static enum seam_err
add_assignment(struct store_txn *t, const struct ticket_ctx *c, json_t *record, const char *partner,
               const char *rule, int chain_position, const char *at, json_t **out)
{
    char aid[TICKET_ID_LEN + 1];
    struct store_val v;
    do
        new_id(t, 'A', aid);
    while (store_get(t, DB_ASSIGNMENTS, aid, TICKET_ID_LEN, &v) == SEAM_OK);
    /* event_seq: the event about to be appended is the one that made it. */
    json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:O, s:i, s:O, s:{s:n, s:n}, s:[], s:s, s:O}", "id",
                          aid, "partner", partner, "state", "assigned", "rule", rule, "round",
                          json_object_get(record, "round"), "chain_position", chain_position,
                          "bounces", json_object_get(record, "bounces"), "due", "ack", "resolve",
                          "flags", "assigned_at", at, "event_seq",
                          json_object_get(json_object_get(record, "head"), "events"));
    const char *tid = json_string_value(json_object_get(record, "id"));
    enum seam_err rc = index_assignment(t, aid, tid);
    if (rc == SEAM_OK) {
        char *qk = xasprintf("%s%c%s", partner, 0, aid);
        rc =
            store_put(t, DB_QUEUES, qk, strlen(partner) + 1 + TICKET_ID_LEN, tid, TICKET_ID_LEN, 0);
        free(qk);
    }
    if (rc != SEAM_OK) {
        json_decref(a);
        return rc;
    }
    json_array_append_new(json_object_get(record, "assignments"), a);
    SLA(sla_start(t, c->sla, c->cfg, record, a, parse_time_ms(at)));
    *out = a;
    return SEAM_OK;
}

/*
 * Routes the ticket by its facts and opens a new round of assignments.
 * Returns the route record for the event's data (new reference) in *route.
 */
static enum seam_err
route_round(struct store_txn *t, const struct ticket_ctx *c, json_t *record, const char *at,
            json_t **route)
{
    struct route_facts f;
    struct route_result res;
    record_facts(record, &f);
    route_decide(c->cfg, &f, &res, NULL);
    const char *rule = res.rule ? res.rule->id : "unroutable";
    json_int_t round = json_integer_value(json_object_get(record, "round")) + 1;
    json_object_set_new(record, "round", json_integer(round));
    json_object_set_new(record, "bounces", json_integer(0)); /* hand-backs in this round */
    json_object_set_new(record, "rule", json_string(rule));
    json_object_set_new(record, "mode", json_string(res.joint ? "joint" : "single"));
    json_object_set_new(record, "fallback", route_owners_json(res.fallback, res.nfallback));
    json_object_set_new(record, "customer_visible",
                        json_boolean(res.rule && res.rule->customer_visible));
    json_object_set_new(record, "topic",
                        res.rule && res.rule->label ? json_string(res.rule->label) : json_null());
    if (res.unroutable) {
        add_flag(record, "unroutable");
    }
    json_t *made = json_array();
    for (size_t i = 0; i < res.nowners; i++) {
        json_t *a;
        enum seam_err rc = add_assignment(t, c, record, res.owners[i].partner, rule, 0, at, &a);
        if (rc != SEAM_OK) {
            json_decref(made);
            return rc;
        }
        json_array_append_new(
            made, json_pack("{s:O, s:O, s:s, s:I}", "id", json_object_get(a, "id"), "partner",
                            json_object_get(a, "partner"), "rule", rule, "round", round));
    }
    *route = json_pack("{s:s, s:s, s:O, s:o, s:o, s:b, s:o}", "rule", rule, "mode",
                       res.joint ? "joint" : "single", "facts", json_object_get(record, "facts"),
                       "owners", route_owners_json(res.owners, res.nowners), "fallback",
                       route_owners_json(res.fallback, res.nfallback), "unroutable", res.unroutable,
                       "assignments", made);
    return SEAM_OK;
}

/* max: the record's most bytes after this change (0: no limit). */
static enum seam_err
save_record(struct store_txn *t, const json_t *record, size_t max)
{
    const char *id = json_string_value(json_object_get(record, "id"));
    return put_json(t, DB_TICKETS, id, TICKET_ID_LEN, record, 0, max);
}

/* ---- limits per ticket (see ticket.h) ---- */

enum limit_tier {
    TIER_ADD,    /* adds to the ticket: stops two reserves short of the limits */
    TIER_END,    /* takes a claim to its end: may use the first reserve */
    TIER_BROKER, /* the broker's own events: never refused */
};

static enum limit_tier
action_tier(enum ticket_action k)
{
    switch (k) {
    case TA_ACK:
    case TA_RESOLVE:
    case TA_HANDBACK:
    case TA_CONFIRM:
    case TA_CANCEL:
    case TA_ASSIGN:
        return TIER_END;
    case TA_SLA:
    case TA_ESCALATE:
        return TIER_BROKER;
    case TA_NOTE:
    case TA_REOPEN:
    case TA_TMF_UPDATE:
    case TA_PROGRESS:
    case TA_NEED_INFO:
        break;
    }
    return TIER_ADD;
}

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

/* Timeline entries that are notes: a customer's, a partner's progress and questions. */
static int
is_note(const char *type)
{
    return strcmp(type, "ticket.note") == 0 || strcmp(type, "assignment.progress") == 0 ||
           strcmp(type, "assignment.need_info") == 0;
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
notes_held(const json_t *record)
{
    size_t i, n = tmf_values(json_object_get(record, "tmf"), "note");
    json_t *e;
    json_array_foreach(json_object_get(record, "timeline"), i, e)
    {
        const char *type = json_string_value(json_object_get(e, "type"));
        n += (size_t)(type != NULL && is_note(type));
    }
    return n;
}

/*
 * Whether the record, changed but without this change's timeline entry yet,
 * may take the event of type as a change of this tier; tmf_notes: the TMF
 * notes the change added. SEAM_ELIMIT with why filled if not. The bytes
 * are judged where the record is saved.
 */
static enum seam_err
limits_allow(const struct config *cfg, const json_t *record, enum limit_tier tier, const char *type,
             size_t tmf_notes, struct ticket_refusal *why)
{
    if (tier == TIER_BROKER)
        return SEAM_OK;
    size_t entry = (size_t)is_note(type); /* this change's entry is a note */
    if (tmf_notes + entry > 0 && cfg->max_notes_per_ticket > 0 &&
        notes_held(record) + entry > cfg->max_notes_per_ticket) {
        snprintf(why->text, sizeof(why->text),
                 "a ticket holds at most %u notes (limits.max_notes_per_ticket); file a new "
                 "complaint",
                 cfg->max_notes_per_ticket);
        why->message = why->text;
        why->field = tmf_notes > 0 ? "note" : NULL; /* the TMF attribute */
        return SEAM_ELIMIT;
    }
    size_t cap = events_cap(cfg, tier);
    json_int_t events =
        json_integer_value(json_object_get(json_object_get(record, "head"), "events"));
    if (cap > 0 && (size_t)events + 1 > cap) {
        snprintf(why->text, sizeof(why->text),
                 "the ticket holds %lld events; %s stop at %zu (limits.max_events_per_ticket %u "
                 "less the reserve for closing it and for the broker's own events)",
                 (long long)events, tier == TIER_ADD ? "additions" : "changes of its state", cap,
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

/* The states of the assignments before a change, {id: state}. */
static json_t *
states_before(const json_t *record)
{
    json_t *m = json_object(), *a;
    size_t i;
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        json_object_set(m, json_string_value(json_object_get(a, "id")),
                        json_object_get(a, "state"));
    }
    return m;
}

/*
 * After a change (in its transaction): queues a message for every claim of
 * a push partner that is new, changed state, or is live while its ticket's
 * status changed; never for the partner's own action.
 */
static enum seam_err
push_changes(struct store_txn *t, const struct ticket_ctx *c, const json_t *record,
             const json_t *before, const char *status_before, const struct principal *who,
             const char *event, const char *at)
{
    json_t *a;
    size_t i;
    int status_changed = status_before && !status_is(record, status_before);
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        const char *partner = json_string_value(json_object_get(a, "partner"));
        const struct config_partner *p = config_partner_find(c->cfg, partner);
        if (p == NULL || p->delivery != DELIVERY_PUSH)
            continue;
        if (who->role == ROLE_PARTNER && strcmp(who->subject, partner) == 0)
            continue;
        const char *aid = json_string_value(json_object_get(a, "id"));
        json_t *was = before ? json_object_get(before, aid) : NULL;
        const char *type;
        if (was == NULL)
            type = "assignment.created";
        else if (!json_equal(was, json_object_get(a, "state")) || (status_changed && is_live(a)))
            type = "assignment.updated";
        else
            continue;
        json_t *view = ticket_assignment_view(t, c, record, aid);
        json_t *body = json_pack("{s:s, s:s, s:s, s:o}", "type", type, "timestamp", at, "event",
                                 event, "data", view ? view : json_object());
        enum seam_err rc =
            outbox_enqueue(t, p, json_string_value(json_object_get(record, "id")), aid, type, body);
        if (rc != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

void
ticket_input_free(struct ticket_input *in)
{
    free(in->summary);
    free(in->description);
    free(in->service);
    free(in->symptom);
    free(in->equipment);
    free((char *)in->customer);
    json_decref(in->tmf);
}

enum seam_err
ticket_create(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
              const struct ticket_input *in, json_t **out)
{
    json_t *cust = NULL, *record = NULL, *route = NULL;
    char tid[TICKET_ID_LEN + 1], at[32];
    struct store_val v;
    enum seam_err rc;

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
        new_id(t, 'T', tid);
    while (store_get(t, DB_TICKETS, tid, TICKET_ID_LEN, &v) == SEAM_OK);
    format_time_ms(now_ms(), at);
    /* A TMF client's notes are the filer's, written now, whatever the body said. */
    tmf_notes_stamp(json_object_get(in->tmf, "note"), who, at);
    const char *bundle = json_string_value(json_object_get(cust, "bundle"));
    const char *region = json_string_value(json_object_get(cust, "region"));
    const char *prio = priority_names[in->priority];

    json_t *facts = json_pack("{s:o, s:s, s:o, s:s, s:s, s:s}", "service", opt_string(in->service),
                              "symptom", in->symptom, "equipment", opt_string(in->equipment),
                              "region", region, "bundle", bundle, "priority", prio);
    record = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:s, "
                       "s:o, s:i, s:[], s:[], s:[], s:{s:i, s:s}}",
                       "id", tid, "customer", customer, "status", "acknowledged", "priority", prio,
                       "summary", in->summary, "description", in->description, "service",
                       opt_string(in->service), "symptom", in->symptom, "equipment",
                       opt_string(in->equipment), "bundle", bundle, "region", region, "created_at",
                       at, "updated_at", at, "facts", facts, "round", 0, "assignments", "timeline",
                       "flags", "head", "events", 0, "last", "");
    if (record == NULL) {
        rc = SEAM_EINVAL;
        goto out;
    }
    if ((rc = route_round(t, c, record, at, &route)) != SEAM_OK)
        goto out;
    if (c->sla != NULL)
        sla_e2e_start(c->sla, c->cfg, record, parse_time_ms(at));
    if (in->tmf != NULL)
        json_object_set(record, "tmf", in->tmf);
    timeline_add(record, at, "ticket.created", "public", NULL);
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:O}", "customer",
                             customer, "status", "acknowledged", "priority", prio, "summary",
                             in->summary, "service", opt_string(in->service), "symptom",
                             in->symptom, "equipment", opt_string(in->equipment), "description",
                             in->description, "bundle", bundle, "region", region, "route", route);
    if (in->tmf != NULL)
        json_object_set(data, "tmf", in->tmf);
    if ((rc = ticket_event(t, c, record, "ticket.created", who, at, data)) != SEAM_OK)
        goto out;
    if ((rc = put_json(t, DB_TICKETS, tid, TICKET_ID_LEN, record, STORE_NOOVERWRITE | STORE_APPEND,
                       bytes_cap(c->cfg, TIER_ADD))) != SEAM_OK)
        goto out;
    if ((rc = push_changes(t, c, record, NULL, NULL, who, "ticket.created", at)) != SEAM_OK ||
        (rc = tmf_notify(t, record, NULL, "ticket.created")) != SEAM_OK)
        goto out;
    char *ik = xasprintf("%s%c%s", customer, 0, tid);
    rc = store_put(t, DB_CUST_TICKETS, ik, strlen(customer) + 1 + TICKET_ID_LEN, "", 0, 0);
    free(ik);
    if (rc != SEAM_OK)
        goto out;
    *out = record;
    record = NULL;
out:
    json_decref(route);
    json_decref(record);
    json_decref(cust);
    return rc;
}

enum seam_err
ticket_load(struct store_txn *t, const char *id, json_t **record)
{
    if (!ticket_id_valid(id))
        return SEAM_ENOTFOUND;
    return get_json(t, DB_TICKETS, id, TICKET_ID_LEN, record);
}

static int
has_partner(const json_t *record, const char *partner, int live_only)
{
    json_t *a;
    size_t i;
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        const char *p = json_string_value(json_object_get(a, "partner"));
        if (p && strcmp(p, partner) == 0 && (!live_only || is_live(a)))
            return 1;
    }
    return 0;
}

int
ticket_visible(const json_t *record, const struct principal *who)
{
    switch (who->role) {
    case ROLE_LEAD:
    case ROLE_AUDITOR:
        return 1;
    case ROLE_CUSTOMER: {
        const char *c = json_string_value(json_object_get(record, "customer"));
        return c != NULL && strcmp(c, who->subject) == 0;
    }
    case ROLE_PARTNER:
        return has_partner(record, who->subject, 0);
    case ROLE_BROKER:
        return 0;
    }
    return 0;
}

static const char *
company_name(const struct config *cfg, const char *partner)
{
    if (strcmp(partner, cfg->lead.id) == 0)
        return cfg->lead.name;
    const struct config_partner *p = config_partner_find(cfg, partner);
    return p ? p->name : partner;
}

json_t *
ticket_view(const struct ticket_ctx *c, const json_t *record, const struct principal *who)
{
    static const char *const public_fields[] = {
        "id",      "status",    "priority",   "summary",    "description", "service",
        "symptom", "equipment", "created_at", "updated_at", NULL};
    json_t *v, *e, *a;
    size_t i;

    if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR) {
        v = json_deep_copy(record);
        json_object_del(v, "head"); /* the record's bookkeeping stays inside */
        return v;
    }
    /* The customer's one face: public fields, public timeline, and who works
     * on it only where the rule says so. Nothing partner-internal. */
    v = json_object();
    for (const char *const *f = public_fields; *f; f++) {
        json_t *x = json_object_get(record, *f);
        if (x)
            json_object_set(v, *f, x);
    }
    json_t *timeline = json_array();
    int customer_visible = json_is_true(json_object_get(record, "customer_visible"));
    json_array_foreach(json_object_get(record, "timeline"), i, e)
    {
        const char *vis = json_string_value(json_object_get(e, "visibility"));
        const char *type = json_string_value(json_object_get(e, "type"));
        if (vis == NULL || strcmp(vis, "public") != 0)
            continue;
        /* SLA clocks only under a customer-visible rule: also for entries
         * stored public before their visibility followed the rule. */
        if (type != NULL && strncmp(type, "sla.", 4) == 0 && !customer_visible)
            continue;
        json_t *pe = json_pack("{s:O, s:O, s:O}", "at", json_object_get(e, "at"), "type",
                               json_object_get(e, "type"), "status", json_object_get(e, "status"));
        if (json_object_get(e, "text"))
            json_object_set(pe, "text", json_object_get(e, "text"));
        json_array_append_new(timeline, pe);
    }
    json_object_set_new(v, "timeline", timeline);
    if (json_is_true(json_object_get(record, "customer_visible"))) {
        json_t *names = json_array();
        json_array_foreach(json_object_get(record, "assignments"), i, a)
        {
            if (!is_live(a))
                continue;
            json_t *name =
                json_string(company_name(c->cfg, json_string_value(json_object_get(a, "partner"))));
            int dup = 0;
            size_t k;
            json_t *n;
            json_array_foreach(names, k, n)
            {
                dup |= json_equal(n, name);
            }
            if (dup)
                json_decref(name);
            else
                json_array_append_new(names, name);
        }
        json_object_set_new(v, "handled_by", names);
        if (json_is_string(json_object_get(record, "topic")))
            json_object_set(v, "topic", json_object_get(record, "topic"));
    }
    return v;
}

/* The index just past the JSON value starting at s[i] (compact JSON); 0 if malformed. */
static size_t
skip_value(const char *s, size_t n, size_t i)
{
    int depth = 0, in_str = 0;
    for (; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"') {
                in_str = 0;
                if (depth == 0)
                    return i + 1;
            }
            continue;
        }
        if (ch == '"')
            in_str = 1;
        else if (ch == '{' || ch == '[')
            depth++;
        else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return i + 1;
            if (depth < 0)
                return i; /* a scalar ended by its container */
        } else if (ch == ',' && depth == 0)
            return i;
    }
    return 0;
}

char *
ticket_lead_bytes(const char *s, size_t n, size_t *out_len)
{
    static const char key[] = "\"head\"";
    const size_t klen = sizeof(key) - 1;
    if (n < 2 || s[0] != '{')
        return NULL;
    /* Member by member: a name, ':', a value, then ',' or the closing '}'. */
    for (size_t i = 1; i < n && s[i] == '"';) {
        size_t colon = skip_value(s, n, i);
        if (colon == 0 || colon >= n || s[colon] != ':')
            return NULL;
        size_t end = skip_value(s, n, colon + 1);
        if (end == 0 || end >= n || (s[end] != ',' && s[end] != '}'))
            return NULL;
        if (colon - i == klen && memcmp(s + i, key, klen) == 0) {
            size_t from = i, to = end;
            if (s[end] == ',')
                to = end + 1; /* "head":v, */
            else if (s[i - 1] == ',')
                from = i - 1; /* ,"head":v} */
            char *out = xmalloc(n - (to - from) + 1);
            memcpy(out, s, from);
            memcpy(out + from, s + to, n - to);
            *out_len = n - (to - from);
            out[*out_len] = '\0';
            return out;
        }
        if (s[end] == '}')
            break;
        i = end + 1;
    }
    return NULL;
}

static int
has_flag(const json_t *record, const char *flag)
{
    json_t *a, *f;
    size_t i, j;
    json_array_foreach(json_object_get(record, "flags"), j, f)
    {
        if (strcmp(json_string_value(f), flag) == 0)
            return 1;
    }
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        json_array_foreach(json_object_get(a, "flags"), j, f)
        {
            if (strcmp(json_string_value(f), flag) == 0)
                return 1;
        }
    }
    return 0;
}

/* RFC 3339 UTC ("...Z") to ms; -1 if malformed. */
static int64_t
parse_time_ms(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = 0;
    if (end == NULL)
        return -1;
    if (*end == '.') {
        int digits = 0;
        for (end++; *end >= '0' && *end <= '9'; end++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*end - '0');
        while (digits > 0 && digits < 3) {
            ms *= 10;
            digits++;
        }
    }
    if (strcmp(end, "Z") != 0)
        return -1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static int
filter_ok(const struct ticket_ctx *c, const json_t *record, const struct ticket_filter *f)
{
    if (f == NULL)
        return 1;
    if (f->status && !status_is(record, f->status))
        return 0;
    if (f->partner && !has_partner(record, f->partner, 0))
        return 0;
    if (f->owner &&
        !has_partner(record, strcmp(f->owner, "lead") == 0 ? c->cfg->lead.id : f->owner, 1))
        return 0;
    if (f->flag && !has_flag(record, f->flag))
        return 0;
    if (f->from_ms || f->to_ms) {
        int64_t created = parse_time_ms(json_string_value(json_object_get(record, "created_at")));
        if ((f->from_ms && created < f->from_ms) || (f->to_ms && created >= f->to_ms))
            return 0;
    }
    return 1;
}

int64_t
ticket_parse_time(const char *s)
{
    return s ? parse_time_ms(s) : -1;
}

struct list_ctx {
    struct store_txn *t;
    const struct ticket_ctx *c;
    const struct principal *who;
    const struct ticket_filter *filter;
    size_t prefix_len;
    const char *prefix;
    unsigned limit;
    json_t *items;
    const char *cursor;
    int more;
    char last[TICKET_ID_LEN + 1];
};

static int
list_one(void *ctx, struct store_val k, struct store_val v)
{
    struct list_ctx *l = ctx;
    char id[TICKET_ID_LEN + 1];
    json_t *rec = NULL;
    (void)v;
    if (k.len != l->prefix_len + TICKET_ID_LEN || memcmp(k.data, l->prefix, l->prefix_len) != 0)
        return 1;
    memcpy(id, (const char *)k.data + l->prefix_len, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    if (l->cursor && strcmp(id, l->cursor) >= 0)
        return 0; /* the cursor itself: start after it */
    if (ticket_load(l->t, id, &rec) != SEAM_OK)
        return 0;
    if (!filter_ok(l->c, rec, l->filter)) {
        json_decref(rec);
        return 0;
    }
    if (json_array_size(l->items) == l->limit) {
        json_decref(rec);
        l->more = 1;
        return 1;
    }
    json_array_append_new(l->items, ticket_view(l->c, rec, l->who));
    json_decref(rec);
    memcpy(l->last, id, sizeof(id));
    return 0;
}

enum seam_err
ticket_list(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
            const struct ticket_filter *filter, const char *cursor, unsigned limit, json_t **page)
{
    struct list_ctx l = {
        .t = t, .c = c, .who = who, .filter = filter, .limit = limit, .cursor = cursor};
    char *start = NULL, *prefix = NULL;
    size_t slen;
    enum store_db db;
    enum seam_err rc;

    if (who->role == ROLE_CUSTOMER) {
        db = DB_CUST_TICKETS;
        l.prefix_len = strlen(who->subject) + 1;
        prefix = xmalloc(l.prefix_len);
        memcpy(prefix, who->subject, l.prefix_len); /* with its NUL */
    } else if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR) {
        db = DB_TICKETS;
        l.prefix_len = 0;
        prefix = xstrdup("");
    } else {
        return SEAM_EINVAL;
    }
    l.prefix = prefix;
    slen = l.prefix_len + TICKET_ID_LEN;
    start = xmalloc(slen);
    memcpy(start, prefix, l.prefix_len);
    if (cursor)
        memcpy(start + l.prefix_len, cursor, TICKET_ID_LEN);
    else
        memset(start + l.prefix_len, 0xff, TICKET_ID_LEN);
    l.items = json_array();
    rc = store_scan(t, db, start, slen, 1, list_one, &l);
    free(start);
    free(prefix);
    if (rc != SEAM_OK) {
        json_decref(l.items);
        return rc;
    }
    *page = json_pack("{s:o, s:o}", "items", l.items, "next_cursor",
                      l.more ? json_string(l.last) : json_null());
    return SEAM_OK;
}

/* ---- actions ---- */

#define REFUSE(err, msg, fld)                                                                      \
    do {                                                                                           \
        why->message = (msg);                                                                      \
        why->field = (fld);                                                                        \
        rc = (err);                                                                                \
        goto out;                                                                                  \
    } while (0)

static json_t *
find_assignment(json_t *record, const char *aid)
{
    json_t *a;
    size_t i;
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        if (strcmp(json_string_value(json_object_get(a, "id")), aid) == 0)
            return a;
    }
    return NULL;
}

/* Ends every live assignment with state (cancelled, reassigned); their ids. */
static json_t *
end_live(struct store_txn *t, const struct ticket_ctx *c, json_t *record, const char *state,
         const char *at)
{
    json_t *ended = json_array(), *a;
    size_t i;
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        if (!is_live(a))
            continue;
        json_object_set_new(a, "state", json_string(state));
        json_object_set_new(a, "ended_at", json_string(at));
        if (c->sla != NULL && sla_stop(t, c->sla, c->cfg, a, parse_time_ms(at)) != SEAM_OK)
            log_warnx("ticket: SLA clock of %s not stopped",
                      json_string_value(json_object_get(a, "id")));
        json_array_append(ended, json_object_get(a, "id"));
    }
    return ended;
}

/* Partners who handed this round's claim back already. */
static int
handed_back_this_round(const json_t *record, const char *partner)
{
    json_t *a;
    size_t i;
    json_t *round = json_object_get(record, "round");
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        const char *st = json_string_value(json_object_get(a, "state"));
        if (json_equal(json_object_get(a, "round"), round) && strcmp(st, "handed_back") == 0 &&
            strcmp(json_string_value(json_object_get(a, "partner")), partner) == 0)
            return 1;
    }
    return 0;
}

static int
round_has_resolved(const json_t *record)
{
    json_t *a;
    size_t i;
    json_t *round = json_object_get(record, "round");
    json_array_foreach(json_object_get(record, "assignments"), i, a)
    {
        if (json_equal(json_object_get(a, "round"), round) &&
            strcmp(json_string_value(json_object_get(a, "state")), "resolved") == 0)
            return 1;
    }
    return 0;
}

/*
 * Who takes a claim handed back, and whether that makes it disputed:
 *  - the round has bounced max_bounces times: the lead, disputed;
 *  - duplicate: the lead, which decides;
 *  - belongs_to X: X if X could own the complaint under the rules and has
 *    not handed it back this round; otherwise the lead, disputed;
 *  - not ours (not_our_service, customer_side): the next entry of the
 *    round's fallback chain that has not handed it back (the lead, when the
 *    chain names it, as a planned step); the lead, disputed, once the chain
 *    is spent.
 * Writes the chain position of the new owner.
 */
static const char *
next_owner(const struct ticket_ctx *c, const json_t *record, const json_t *asg,
           const struct ticket_action_req *a, int *position, int *disputed)
{
    const char *lead = c->cfg->lead.id;
    json_int_t pos = json_integer_value(json_object_get(asg, "chain_position"));
    json_t *chain = json_object_get(record, "fallback");
    *position = (int)pos;
    *disputed = 0;
    if (json_integer_value(json_object_get(record, "bounces")) >= (json_int_t)c->cfg->max_bounces) {
        *disputed = 1;
        return lead;
    }
    if (strcmp(a->reason, "duplicate") == 0)
        return lead;
    if (strcmp(a->reason, "belongs_to") == 0) {
        struct route_facts f;
        record_facts(record, &f);
        if (strcmp(a->partner, "lead") != 0 && strcmp(a->partner, lead) != 0 &&
            route_possible_owner(c->cfg, &f, a->partner) &&
            !handed_back_this_round(record, a->partner))
            return config_partner_find(c->cfg, a->partner)->id;
        *disputed = strcmp(a->partner, "lead") != 0 && strcmp(a->partner, lead) != 0;
        return lead;
    }
    for (size_t i = (size_t)pos; i < json_array_size(chain); i++) {
        const char *p = json_string_value(json_object_get(json_array_get(chain, i), "partner"));
        if (p != NULL && !handed_back_this_round(record, p) &&
            strcmp(p, json_string_value(json_object_get(asg, "partner"))) != 0) {
            *position = (int)i + 1;
            return p;
        }
    }
    *position = (int)json_array_size(chain);
    *disputed = 1;
    return lead;
}

/* Whether the rule that made an assignment is customer-visible (a forced one is not). */
static int
rule_customer_visible(const struct config *cfg, const json_t *asg)
{
    const char *id = json_string_value(json_object_get(asg, "rule"));
    for (size_t i = 0; id != NULL && i < cfg->nrules; i++)
        if (strcmp(cfg->rules[i].id, id) == 0)
            return cfg->rules[i].customer_visible;
    return 0;
}

/*
 * An action of an assignment's owner. Sets the event's type, visibility and
 * data; REFUSE-style errors fill why.
 */
static enum seam_err
owner_act(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
          const struct ticket_action_req *a, json_t *record, const char *at, const char **type,
          const char **visibility, json_t **data, struct ticket_refusal *why)
{
    enum seam_err rc = SEAM_OK;
    json_t *asg = find_assignment(record, a->target);
    if (asg == NULL)
        return SEAM_ECORRUPT;
    const char *owner = json_string_value(json_object_get(asg, "partner"));
    const char *lead = c->cfg->lead.id;
    if (a->kind == TA_SLA) {
        int kind = sla_kind_parse(a->reason);
        if (who->role != ROLE_BROKER || kind < 0)
            return SEAM_ENOTFOUND;
        int fired = sla_fired(t, asg, (enum sla_kind)kind, a->due_ms);
        if (fired < 0)
            return SEAM_EIO;
        if (fired == 0)
            REFUSE(SEAM_ECONFLICT, "stale due instant", NULL);
        int breach = kind == SLA_ACK || kind == SLA_RESOLVE;
        *type = breach ? "sla.breached" : "sla.warning";
        /* The customer sees a claim's clocks only where its rule says so. */
        *visibility = rule_customer_visible(c->cfg, asg) ? "public" : "internal";
        char due[32];
        format_time_ms(a->due_ms, due);
        if (breach) { /* flagged, and escalated: the lead sees it among its escalations */
            add_flag(asg, "breached");
            add_flag(record, "escalated");
        }
        *data = json_pack("{s:O, s:O, s:s, s:s}", "assignment", json_object_get(asg, "id"),
                          "partner", json_object_get(asg, "partner"), "clock",
                          kind == SLA_WARN_ACK || kind == SLA_ACK ? "ack" : "resolve", "due", due);
        return SEAM_OK;
    }
    if (a->kind == TA_ESCALATE) {
        /* Only a claim its partner never took up: one it acknowledged is its own. */
        if (who->role != ROLE_BROKER)
            return SEAM_ENOTFOUND;
        if (strcmp(json_string_value(json_object_get(asg, "state")), "assigned") != 0)
            REFUSE(SEAM_ECONFLICT, "the partner has taken the claim up", NULL);
        *type = "assignment.escalated";
        json_object_set_new(asg, "state", json_string("undeliverable"));
        SLA(sla_stop(t, c->sla, c->cfg, asg, parse_time_ms(at)));
        json_object_set_new(asg, "ended_at", json_string(at));
        json_t *na;
        rc = add_assignment(t, c, record, lead, json_string_value(json_object_get(record, "rule")),
                            (int)json_integer_value(json_object_get(asg, "chain_position")), at,
                            &na);
        if (rc != SEAM_OK)
            return rc;
        add_flag(na, "escalated");
        *data = json_pack("{s:O, s:s, s:O}", "assignment", json_object_get(asg, "id"), "reason",
                          a->text ? a->text : "undeliverable", "next", json_object_get(na, "id"));
        return SEAM_OK;
    }
    int mine = (who->role == ROLE_PARTNER && strcmp(owner, who->subject) == 0) ||
               (who->role == ROLE_LEAD && strcmp(owner, lead) == 0);
    if (!mine && who->role != ROLE_LEAD)
        return SEAM_ENOTFOUND;
    if (!mine)
        REFUSE(SEAM_ECONFLICT,
               "this assignment belongs to a partner; take it over with /assign first", NULL);
    const char *st = json_string_value(json_object_get(asg, "state"));
    json_t *id = json_object_get(asg, "id");
    *visibility = "internal";
    switch (a->kind) {
    case TA_ACK:
        if (strcmp(st, "assigned") != 0)
            REFUSE(SEAM_ECONFLICT, "only an assigned claim can be acknowledged", NULL);
        *type = "assignment.acknowledged";
        json_object_set_new(asg, "state", json_string("acknowledged"));
        json_object_set_new(asg, "acknowledged_at", json_string(at));
        SLA(sla_acked(t, c->sla, c->cfg, asg, parse_time_ms(at)));
        if (status_is(record, "acknowledged")) {
            set_status(record, "inProgress");
            *visibility = "public"; /* the customer sees work has started */
        }
        *data = json_pack("{s:O}", "assignment", id);
        break;
    case TA_PROGRESS:
        if (strcmp(st, "acknowledged") != 0 && strcmp(st, "inProgress") != 0)
            REFUSE(SEAM_ECONFLICT, "acknowledge the claim before reporting progress", NULL);
        *type = "assignment.progress";
        json_object_set_new(asg, "state", json_string("inProgress"));
        if (status_is(record, "acknowledged"))
            set_status(record, "inProgress");
        *data = json_pack("{s:O, s:s}", "assignment", id, "note", a->text);
        break;
    case TA_NEED_INFO:
        if (strcmp(st, "acknowledged") != 0 && strcmp(st, "inProgress") != 0)
            REFUSE(SEAM_ECONFLICT, "acknowledge the claim before asking the customer", NULL);
        if (status_is(record, "pending"))
            REFUSE(SEAM_ECONFLICT, "the customer has a question to answer already", NULL);
        *type = "assignment.need_info";
        *visibility = "public"; /* the question is for the customer */
        json_object_set_new(asg, "state", json_string("inProgress"));
        set_status(record, "pending");
        SLA(sla_pause(t, c->sla, c->cfg, record, parse_time_ms(at))); /* the clocks wait too */
        *data = json_pack("{s:O, s:s}", "assignment", id, "question", a->text);
        break;
    case TA_RESOLVE:
        if (!is_live(asg))
            REFUSE(SEAM_ECONFLICT, "this claim is no longer live", NULL);
        *type = "assignment.resolved";
        json_object_set_new(asg, "state", json_string("resolved"));
        json_object_set_new(asg, "resolved_at", json_string(at));
        SLA(sla_stop(t, c->sla, c->cfg, asg, parse_time_ms(at)));
        json_object_set_new(asg, "resolution", json_string(a->text));
        if (live_count(record) == 0) {
            set_status(record, "resolved");
            *visibility = "public";
        }
        *data = json_pack("{s:O, s:s}", "assignment", id, "resolution", a->text);
        break;
    case TA_HANDBACK: {
        if (who->role != ROLE_PARTNER)
            REFUSE(SEAM_ECONFLICT, "the lead is the owner of last resort; it cannot hand back",
                   NULL);
        if (!is_live(asg))
            REFUSE(SEAM_ECONFLICT, "this claim is no longer live", NULL);
        if (strcmp(a->reason, "belongs_to") == 0 &&
            (a->partner == NULL ||
             (config_partner_find(c->cfg, a->partner) == NULL && strcmp(a->partner, "lead") != 0)))
            REFUSE(SEAM_EINVAL, "belongs_to names the partner (or lead) the claim belongs to",
                   "partner");
        if (strcmp(a->reason, "duplicate") == 0 && !ticket_id_valid(a->ticket_ref))
            REFUSE(SEAM_EINVAL, "duplicate names the ticket it duplicates", "ticket");
        *type = "assignment.handed_back";
        int64_t held =
            now_ms() - ticket_parse_time(json_string_value(json_object_get(asg, "assigned_at")));
        json_object_set_new(asg, "state", json_string("handed_back"));
        SLA(sla_stop(t, c->sla, c->cfg, asg, parse_time_ms(at)));
        json_object_set_new(asg, "handed_back_at", json_string(at));
        json_object_set_new(asg, "handback_reason", json_string(a->reason));
        json_object_set_new(asg, "held_ms", json_integer(held > 0 ? held : 0));
        json_object_set_new(
            record, "bounces",
            json_integer(json_integer_value(json_object_get(record, "bounces")) + 1));
        *data = json_pack("{s:O, s:s, s:s?, s:s?, s:s?, s:I}", "assignment", id, "reason",
                          a->reason, "belongs_to", a->partner, "duplicate_of", a->ticket_ref,
                          "note", a->text, "held_ms", (json_int_t)(held > 0 ? held : 0));
        if (live_count(record) > 0)
            break; /* a joint share: the other owners carry on */
        if (round_has_resolved(record)) {
            set_status(record, "resolved");
            *visibility = "public";
            break;
        }
        int position, disputed;
        const char *next = next_owner(c, record, asg, a, &position, &disputed);
        json_t *na;
        rc = add_assignment(t, c, record, next, json_string_value(json_object_get(record, "rule")),
                            position, at, &na);
        if (rc != SEAM_OK)
            return rc;
        if (disputed) {
            add_flag(na, "disputed");
            add_flag(record, "disputed");
        }
        if (strcmp(a->reason, "duplicate") == 0)
            add_flag(na, "duplicate");
        json_object_set_new(*data, "next",
                            json_pack("{s:O, s:s, s:b}", "assignment", json_object_get(na, "id"),
                                      "partner", next, "disputed", disputed));
        break;
    }
    default:
        return SEAM_EINVAL;
    }
out:
    return rc;
}

enum seam_err
ticket_act(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
           const struct ticket_action_req *a, json_t **out, struct ticket_refusal *why)
{
    json_t *record = NULL, *data = NULL, *asg = NULL, *before = NULL;
    char at[32], tid[TICKET_ID_LEN + 1], *status_before = NULL;
    const char *type = NULL, *visibility = "public", *text = a->text;
    enum seam_err rc = SEAM_OK;
    struct store_val v;

    why->message = NULL;
    why->field = NULL;
    if (a->kind >= TA_ACK) { /* the owner's actions name an assignment */
        if (a->target == NULL || strlen(a->target) != TICKET_ID_LEN || a->target[0] != 'A')
            return SEAM_ENOTFOUND;
        /* A store that fails is not "no such assignment": the scheduler would drop the instant. */
        if ((rc = store_get(t, DB_ASSIGNMENTS, a->target, TICKET_ID_LEN, &v)) != SEAM_OK)
            return rc;
        if (v.len != TICKET_ID_LEN)
            return SEAM_ENOTFOUND;
        memcpy(tid, v.data, TICKET_ID_LEN);
        tid[TICKET_ID_LEN] = '\0';
    } else {
        if (!ticket_id_valid(a->target))
            return SEAM_ENOTFOUND;
        memcpy(tid, a->target, sizeof(tid));
    }
    if ((rc = ticket_load(t, tid, &record)) != SEAM_OK)
        return rc;
    if ((who->role != ROLE_BROKER && !ticket_visible(record, who)) || who->role == ROLE_AUDITOR) {
        rc = SEAM_ENOTFOUND;
        goto out;
    }
    format_time_ms(now_ms(), at);
    before = states_before(record);
    status_before = xstrdup(json_string_value(json_object_get(record, "status")));

    switch (a->kind) {
    case TA_NOTE:
        if (!is_open(record) && !status_is(record, "resolved"))
            REFUSE(SEAM_ECONFLICT, "the ticket is closed; file a new complaint", NULL);
        type = "ticket.note";
        if (status_is(record, "pending")) { /* the customer answered: the clocks run again */
            set_status(record, "inProgress");
            if (c->sla != NULL &&
                (rc = sla_resume(t, c->sla, c->cfg, record, parse_time_ms(at))) != SEAM_OK)
                goto out;
        }
        data = json_pack("{s:s}", "text", text);
        break;
    case TA_CONFIRM:
        if (!status_is(record, "resolved"))
            REFUSE(SEAM_ECONFLICT, "only a resolved ticket can be confirmed", NULL);
        type = "ticket.confirmed";
        set_status(record, "closed");
        data = json_object();
        break;
    case TA_REOPEN: {
        json_t *route = NULL;
        if (!status_is(record, "resolved"))
            REFUSE(SEAM_ECONFLICT, "only a resolved ticket can be reopened", NULL);
        type = "ticket.reopened";
        set_status(record, "inProgress");
        /* Routed with the facts as they are now: the customer may have moved
         * or changed bundle since filing (the filed fields stay as signed). */
        json_t *cust = NULL, *facts = json_object_get(record, "facts");
        if (customer_load(t, json_string_value(json_object_get(record, "customer")), &cust) ==
            SEAM_OK) {
            json_object_set(facts, "bundle", json_object_get(cust, "bundle"));
            json_object_set(facts, "region", json_object_get(cust, "region"));
            json_decref(cust);
        }
        if ((rc = route_round(t, c, record, at, &route)) != SEAM_OK)
            goto out;
        data = json_pack("{s:s, s:o}", "reason", text, "route", route);
        break;
    }
    case TA_CANCEL:
        if (!is_open(record))
            REFUSE(SEAM_ECONFLICT, "only an open ticket can be cancelled", NULL);
        type = "ticket.cancelled";
        set_status(record, "cancelled");
        data = json_pack("{s:s?, s:o}", "reason", text, "ended",
                         end_live(t, c, record, "cancelled", at));
        break;
    case TA_TMF_UPDATE: {
        /* TMF attributes change; the status goes through its own actions. */
        if (!is_open(record) && !status_is(record, "resolved"))
            REFUSE(SEAM_ECONFLICT, "the ticket is closed", NULL);
        json_t *tmf = json_object_get(record, "tmf");
        if (tmf == NULL) {
            tmf = json_object();
            json_object_set_new(record, "tmf", tmf);
        }
        const char *k;
        json_t *attr;
        /* The notes are the requester's, written now (also in the event's changes). */
        tmf_notes_stamp(json_object_get(a->tmf, "note"), who, at);
        json_object_foreach(a->tmf, k, attr)
        {
            if (strcmp(k, "note") == 0) { /* notes are added, never replaced */
                json_t *notes = json_object_get(tmf, "note"), *n;
                size_t i;
                if (notes == NULL) {
                    notes = json_array();
                    json_object_set_new(tmf, "note", notes);
                }
                json_array_foreach(attr, i, n)
                {
                    json_array_append_new(notes, json_deep_copy(n));
                }
            } else {
                json_object_set(tmf, k, attr);
            }
        }
        type = "ticket.updated";
        visibility = "internal";
        data = json_pack("{s:O}", "changes", a->tmf);
        break;
    }
    case TA_ASSIGN: {
        const char *partner = a->partner;
        if (strcmp(partner, "lead") == 0)
            partner = c->cfg->lead.id;
        else if (config_partner_find(c->cfg, partner) == NULL)
            REFUSE(SEAM_EINVAL, "no such partner in the federation", "partner");
        if (!is_open(record))
            REFUSE(SEAM_ECONFLICT, "only an open ticket can be assigned; reopen it first", NULL);
        type = "ticket.assigned";
        visibility = "internal";
        json_t *ended = end_live(t, c, record, "reassigned", at);
        if ((rc = add_assignment(t, c, record, partner, "forced", 0, at, &asg)) != SEAM_OK) {
            json_decref(ended);
            goto out;
        }
        add_flag(asg, "forced");
        json_object_set_new(record, "mode", json_string("single"));
        data = json_pack("{s:s, s:s, s:O, s:o}", "partner", partner, "reason", text, "assignment",
                         json_object_get(asg, "id"), "ended", ended);
        break;
    }
    case TA_ACK:
    case TA_RESOLVE:
    case TA_PROGRESS:
    case TA_NEED_INFO:
    case TA_HANDBACK:
    case TA_ESCALATE:
    case TA_SLA:
        rc = owner_act(t, c, who, a, record, at, &type, &visibility, &data, why);
        if (rc != SEAM_OK)
            goto out;
        break;
    }
    enum limit_tier tier = action_tier(a->kind);
    if ((rc = limits_allow(c->cfg, record, tier, type,
                           a->kind == TA_TMF_UPDATE ? tmf_values(a->tmf, "note") : 0, why)) !=
        SEAM_OK)
        goto out;
    if (c->sla != NULL) /* the lead's end-to-end clock follows the status */
        sla_e2e_status(c->sla, c->cfg, record, status_before, parse_time_ms(at));
    if (a->signature != NULL) /* the partner's own word, provable later */
        json_object_set(data, "partner_signature", a->signature);
    json_object_set_new(data, "status",
                        json_string(json_string_value(json_object_get(record, "status"))));
    json_object_set_new(record, "updated_at", json_string(at));
    timeline_add(record, at, type, visibility, text);
    if ((rc = ticket_event(t, c, record, type, who, at, data)) != SEAM_OK)
        goto out;
    data = NULL; /* the event took it */
    if ((rc = save_record(t, record, bytes_cap(c->cfg, tier))) != SEAM_OK) {
        if (rc == SEAM_ETOOBIG)
            refuse_size(c->cfg, tier, why);
        goto out;
    }
    if ((rc = push_changes(t, c, record, before, status_before, who, type, at)) != SEAM_OK ||
        (rc = tmf_notify(t, record, status_before, type)) != SEAM_OK)
        goto out;
    /* Invariant 1: an open ticket always has a live assignment. */
    assert(!is_open(record) || live_count(record) > 0);
    *out = record;
    record = NULL;
out:
    json_decref(before);
    free(status_before);
    json_decref(data);
    json_decref(record);
    return rc;
}

enum seam_err
customer_add(struct store_txn *t, const struct config *cfg, const char *id, const char *name,
             const char *bundle, const char *region, const char *contact)
{
    char at[32];
    if (id == NULL || strlen(id) == 0 || strlen(id) > 63 || name == NULL || strlen(name) > 200 ||
        (contact && strlen(contact) > 200))
        return SEAM_EINVAL;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return SEAM_EINVAL;
    if (config_bundle_find(cfg, bundle) == NULL || !strlist_has(&cfg->regions, region))
        return SEAM_EINVAL;
    format_time_ms(now_ms(), at);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name", name, "bundle", bundle,
                            "region", region, "created_at", at);
    if (contact)
        json_object_set_new(rec, "contact", json_string(contact));
    enum seam_err rc = put_json(t, DB_CUSTOMERS, id, strlen(id), rec, STORE_NOOVERWRITE, 0);
    json_decref(rec);
    return rc;
}

enum seam_err
customer_update(struct store_txn *t, const struct config *cfg, const char *id, const char *bundle,
                const char *region, const char *contact)
{
    json_t *rec = NULL;
    enum seam_err rc = customer_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    if ((bundle && config_bundle_find(cfg, bundle) == NULL) ||
        (region && !strlist_has(&cfg->regions, region)) || (contact && strlen(contact) > 200)) {
        json_decref(rec);
        return SEAM_EINVAL;
    }
    if (bundle)
        json_object_set_new(rec, "bundle", json_string(bundle));
    if (region)
        json_object_set_new(rec, "region", json_string(region));
    if (contact)
        json_object_set_new(rec, "contact", json_string(contact));
    rc = put_json(t, DB_CUSTOMERS, id, strlen(id), rec, 0, 0);
    json_decref(rec);
    return rc;
}

enum seam_err
customer_load(struct store_txn *t, const char *id, json_t **record)
{
    struct store_val v;
    enum seam_err rc = store_get(t, DB_CUSTOMERS, id, strlen(id), &v);
    if (rc != SEAM_OK)
        return rc;
    json_t *j = json_cache_load(v.data, v.len); /* every filing reads its customer */
    if (j == NULL)
        return SEAM_ECORRUPT;
    *record = j;
    return SEAM_OK;
}

struct verify_ctx {
    struct store_txn *t;
    evlog_report_fn report;
    void *ctx;
    uint64_t problems;
};

static int
verify_record(void *arg, struct store_val k, struct store_val v)
{
    static const char *const fields[] = {"customer", "summary",   "description", "service",
                                         "symptom",  "equipment", "priority",    "bundle",
                                         "region",   NULL};
    struct verify_ctx *vc = arg;
    char id[TICKET_ID_LEN + 1], msg[256], *bytes = NULL;
    size_t len;
    if (k.len != TICKET_ID_LEN)
        return 0;
    memcpy(id, k.data, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    json_t *rec = json_loadb(v.data, v.len, 0, NULL), *ev = NULL;
    if (rec == NULL) {
        snprintf(msg, sizeof(msg), "ticket %s: record is not JSON", id);
        goto bad;
    }
    if (evlog_event(vc->t, id, 0, &bytes, &len, NULL, NULL) != SEAM_OK)
        goto out; /* the log check reports a missing creation event */
    ev = json_loads(bytes, 0, NULL);
    json_t *data = json_object_get(ev, "data");
    const char *at = json_string_value(json_object_get(ev, "at"));
    const char *created = json_string_value(json_object_get(rec, "created_at"));
    if (!json_equal(json_object_get(rec, "id"), json_object_get(ev, "ticket")) || at == NULL ||
        created == NULL || strcmp(at, created) != 0) {
        snprintf(msg, sizeof(msg),
                 "ticket %s: record's id or creation time differs from its "
                 "signed creation event",
                 id);
        goto bad;
    }
    for (const char *const *f = fields; *f; f++)
        if (!json_equal(json_object_get(rec, *f), json_object_get(data, *f))) {
            snprintf(msg, sizeof(msg),
                     "ticket %s: record's %s differs from its signed creation "
                     "event (record edited)",
                     id, *f);
            goto bad;
        }
    goto out;
bad:
    vc->problems++;
    vc->report(vc->ctx, msg);
out:
    free(bytes);
    json_decref(ev);
    json_decref(rec);
    return 0;
}

uint64_t
ticket_verify_records(struct store_txn *t, evlog_report_fn report, void *ctx)
{
    struct verify_ctx vc = {t, report, ctx, 0};
    if (store_scan(t, DB_TICKETS, NULL, 0, 0, verify_record, &vc) != SEAM_OK) {
        report(ctx, "tickets: scan failed");
        return 1;
    }
    return vc.problems;
}

/* ---- the owner's side: its queue and its assignments ---- */

const char *
ticket_queue_owner(const struct ticket_ctx *c, const struct principal *who)
{
    return who->role == ROLE_LEAD ? c->cfg->lead.id : who->subject;
}

/* The assignment view without its event; *asg_out: the assignment. */
static json_t *
assignment_base(struct store_txn *t, const struct ticket_ctx *c, const json_t *record,
                const char *aid, json_t **asg_out)
{
    static const char *const from_ticket[] = {"summary",   "description", "service",  "symptom",
                                              "equipment", "region",      "priority", NULL};
    static const char *const from_assignment[] = {"id",
                                                  "state",
                                                  "round",
                                                  "rule",
                                                  "assigned_at",
                                                  "due",
                                                  "flags",
                                                  "bounces",
                                                  "chain_position",
                                                  "acknowledged_at",
                                                  "resolved_at",
                                                  "resolution",
                                                  "handed_back_at",
                                                  "handback_reason",
                                                  NULL};
    json_t *asg = find_assignment((json_t *)record, aid);
    if (asg == NULL)
        return NULL;
    json_t *v = json_object();
    for (const char *const *f = from_assignment; *f; f++)
        if (json_object_get(asg, *f))
            json_object_set(v, *f, json_object_get(asg, *f));
    json_object_set(v, "ticket", json_object_get(record, "id"));
    json_object_set(v, "ticket_status", json_object_get(record, "status"));
    for (const char *const *f = from_ticket; *f; f++)
        json_object_set(v, *f, json_object_get(record, *f));
    /* The customer's data only where the partner's configuration allows. */
    const char *partner = json_string_value(json_object_get(asg, "partner"));
    const struct config_partner *p = config_partner_find(c->cfg, partner);
    int see_name = p ? p->see_name : 1, see_contact = p ? p->see_contact : 1; /* lead: all */
    json_t *cust = NULL, *cv = json_object();
    if ((see_name || see_contact) &&
        customer_load(t, json_string_value(json_object_get(record, "customer")), &cust) ==
            SEAM_OK) {
        if (see_name)
            json_object_set(cv, "name", json_object_get(cust, "name"));
        if (see_contact && json_object_get(cust, "contact"))
            json_object_set(cv, "contact", json_object_get(cust, "contact"));
    }
    json_decref(cust);
    json_object_set_new(v, "customer", cv);
    *asg_out = asg;
    return v;
}

#define SIG64_SIZE 96 /* a signature in base64 (88) and its NUL, with room */

/* The signed event that made the assignment: its bytes (free them), signature, leaf. */
static int
assignment_event(struct store_txn *t, const json_t *record, const json_t *asg, char **bytes,
                 size_t *len, char sig64[SIG64_SIZE], uint64_t *leaf)
{
    uint8_t sig[SEAM_SIG_LEN];
    json_int_t seq = json_integer_value(json_object_get(asg, "event_seq"));
    if (evlog_event(t, json_string_value(json_object_get(record, "id")), (uint32_t)seq, bytes, len,
                    sig, leaf) != SEAM_OK)
        return 0;
    char *b64 = seam_b64_encode(sig, SEAM_SIG_LEN);
    snprintf(sig64, SIG64_SIZE, "%s", b64);
    free(b64);
    return 1;
}

json_t *
ticket_assignment_view(struct store_txn *t, const struct ticket_ctx *c, const json_t *record,
                       const char *aid)
{
    json_t *asg, *v = assignment_base(t, c, record, aid, &asg);
    char *bytes, sig64[SIG64_SIZE];
    size_t len;
    uint64_t leaf;
    if (v != NULL && assignment_event(t, record, asg, &bytes, &len, sig64, &leaf)) {
        json_object_set_new(v, "event",
                            json_pack("{s:s%, s:s, s:I}", "bytes", bytes, len, "signature", sig64,
                                      "leaf_index", (json_int_t)leaf));
        free(bytes);
    }
    return v;
}

char *
ticket_assignment_text(struct store_txn *t, const struct ticket_ctx *c, const json_t *record,
                       const char *aid, size_t *out_len)
{
    json_t *asg, *v = assignment_base(t, c, record, aid, &asg);
    if (v == NULL)
        return NULL;
    char buf[8192], *bytes, sig64[SIG64_SIZE];
    size_t blen, elen;
    uint64_t leaf;
    char *base = json_dump_into(v, JSON_COMPACT, buf, sizeof(buf), &blen);
    json_decref(v);
    if (base == NULL)
        return NULL;
    struct json_text out = {0};
    json_text_add(&out, base, blen - 1); /* all but the closing brace */
    if (base != buf)
        free(base);
    if (assignment_event(t, record, asg, &bytes, &elen, sig64, &leaf)) {
        /* The event's bytes as a JSON string, escaped here rather than by
         * Jansson, which spends more on them than on the whole view. */
        json_text_lit(&out, ",\"event\":{\"bytes\":");
        json_text_string(&out, bytes, elen);
        char tail[SIG64_SIZE + 64];
        int n = snprintf(tail, sizeof(tail), ",\"signature\":\"%s\",\"leaf_index\":%llu}", sig64,
                         (unsigned long long)leaf);
        json_text_add(&out, tail, (size_t)n);
        free(bytes);
    }
    json_text_lit(&out, "}");
    *out_len = out.len;
    return out.data;
}

enum seam_err
ticket_load_assignment(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
                       const char *aid, json_t **out)
{
    struct store_val v;
    char tid[TICKET_ID_LEN + 1];
    json_t *record = NULL;
    if (aid == NULL || strlen(aid) != TICKET_ID_LEN || aid[0] != 'A')
        return SEAM_ENOTFOUND;
    enum seam_err grc = store_get(t, DB_ASSIGNMENTS, aid, TICKET_ID_LEN, &v);
    if (grc != SEAM_OK)
        return grc; /* SEAM_ENOTFOUND, or the store failed (not the client's 404) */
    if (v.len != TICKET_ID_LEN)
        return SEAM_ENOTFOUND;
    memcpy(tid, v.data, TICKET_ID_LEN);
    tid[TICKET_ID_LEN] = '\0';
    enum seam_err rc = ticket_load(t, tid, &record);
    if (rc != SEAM_OK)
        return rc;
    json_t *asg = find_assignment(record, aid);
    const char *owner = asg ? json_string_value(json_object_get(asg, "partner")) : NULL;
    if (owner == NULL || strcmp(owner, ticket_queue_owner(c, who)) != 0) {
        json_decref(record);
        return SEAM_ENOTFOUND;
    }
    *out = record;
    return SEAM_OK;
}

struct queue_ctx {
    struct store_txn *t;
    const struct ticket_ctx *c;
    const char *prefix;
    size_t prefix_len;
    const char *state;
    const char *cursor;
    unsigned limit;
    json_t *items;
    int more;
    char last[TICKET_ID_LEN + 1];
};

static int
queue_one(void *ctx, struct store_val k, struct store_val v)
{
    struct queue_ctx *q = ctx;
    char aid[TICKET_ID_LEN + 1], tid[TICKET_ID_LEN + 1];
    json_t *record = NULL;
    if (k.len != q->prefix_len + TICKET_ID_LEN || memcmp(k.data, q->prefix, q->prefix_len) != 0 ||
        v.len != TICKET_ID_LEN)
        return 1;
    memcpy(aid, (const char *)k.data + q->prefix_len, TICKET_ID_LEN);
    aid[TICKET_ID_LEN] = '\0';
    if (q->cursor && strcmp(aid, q->cursor) <= 0)
        return 0;
    memcpy(tid, v.data, TICKET_ID_LEN);
    tid[TICKET_ID_LEN] = '\0';
    if (ticket_load(q->t, tid, &record) != SEAM_OK)
        return 0;
    json_t *asg = find_assignment(record, aid);
    int keep = asg != NULL;
    if (keep && q->state != NULL)
        keep = strcmp(q->state, "live") == 0
                   ? is_live(asg)
                   : strcmp(json_string_value(json_object_get(asg, "state")), q->state) == 0;
    if (keep && json_array_size(q->items) == q->limit) {
        q->more = 1;
        json_decref(record);
        return 1;
    }
    if (keep) {
        json_array_append_new(q->items, ticket_assignment_view(q->t, q->c, record, aid));
        memcpy(q->last, aid, sizeof(aid));
    }
    json_decref(record);
    return 0;
}

enum seam_err
ticket_queue(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
             const char *state, const char *cursor, unsigned limit, json_t **page)
{
    const char *owner = ticket_queue_owner(c, who);
    struct queue_ctx q = {.t = t, .c = c, .state = state, .cursor = cursor, .limit = limit};
    q.prefix_len = strlen(owner) + 1;
    char *prefix = xmalloc(q.prefix_len + TICKET_ID_LEN);
    memcpy(prefix, owner, q.prefix_len); /* with its NUL */
    q.prefix = prefix;
    size_t slen = q.prefix_len;
    if (cursor) {
        memcpy(prefix + q.prefix_len, cursor, TICKET_ID_LEN);
        slen += TICKET_ID_LEN;
    }
    q.items = json_array();
    enum seam_err rc = store_scan(t, DB_QUEUES, prefix, slen, 0, queue_one, &q);
    free(prefix);
    if (rc != SEAM_OK) {
        json_decref(q.items);
        return rc;
    }
    *page = json_pack("{s:o, s:o}", "items", q.items, "next_cursor",
                      q.more ? json_string(q.last) : json_null());
    return SEAM_OK;
}

struct each_ctx {
    const struct principal *who;
    ticket_each_fn fn;
    void *ctx;
};

static int
each_one(void *arg, struct store_val k, struct store_val v)
{
    struct each_ctx *e = arg;
    (void)k;
    json_t *record = json_loadb(v.data, v.len, 0, NULL);
    int stop = 0;
    if (record != NULL && ticket_visible(record, e->who))
        stop = e->fn(e->ctx, record);
    json_decref(record);
    return stop;
}

enum seam_err
ticket_each(struct store_txn *t, const struct principal *who, ticket_each_fn fn, void *ctx)
{
    struct each_ctx e = {who, fn, ctx};
    return store_scan(t, DB_TICKETS, NULL, 0, 1, each_one, &e);
}
