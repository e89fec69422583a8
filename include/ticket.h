/*
 * ticket.h: tickets, their assignments and their events, and the customer
 * records tickets belong to. Write functions run in the writer's
 * transaction (store_job apply); read functions in any read transaction.
 * A ticket record is JSON (the broker's own state); the views returned to
 * principals are built from it by ticket_view.
 */
#ifndef SEAM_TICKET_H
#define SEAM_TICKET_H

#include <jansson.h>

#include "auth.h"
#include "common.h"
#include "config.h"
#include "evlog.h"
#include "sla.h"
#include "store.h"

#define SUMMARY_MAX 200
#define DESCRIPTION_MAX 8000

struct ticket_ctx {
    const struct config *cfg;
    const struct evlog *lg;
    const struct sla *sla; /* the SLA clocks' calendars; NULL: no clocks */
};

struct ticket_input {
    char *summary, *description, *service, *symptom, *equipment; /* service, equipment optional */
    int priority;
    json_t *tmf;          /* TMF621 attributes to keep (tmf.h), or NULL */
    const char *customer; /* a lead filing for a customer; NULL: the filing customer */
};
/* Frees what an input owns (its strings, tmf, customer), not the struct. */
void ticket_input_free(struct ticket_input *in);

/*
 * Why a request was refused (409, 413 or 400), for the answer: static
 * strings, or message points at text (a limit's refusal names its number).
 */
struct ticket_refusal {
    const char *message;
    const char *field;
    char text[256];
};

/*
 * Creates a ticket filed by the customer `who`, routed by the boundary
 * rules in the same write: the ticket, its assignments and one signed event
 * recording the rule and the facts used. *record is a new reference.
 * SEAM_ELIMIT: the TMF attributes carry more notes or attachments than a
 * ticket may hold; SEAM_ETOOBIG: the record would pass its size limit
 * (see "Limits per ticket" below).
 */
enum seam_err ticket_create(struct store_txn *t, const struct ticket_ctx *c,
                            const struct principal *who, const struct ticket_input *in,
                            json_t **record) SEAM_WUR;

/* Loads a ticket record (new reference); SEAM_ENOTFOUND if there is none. */
enum seam_err ticket_load(struct store_txn *t, const char *id, json_t **record) SEAM_WUR;

/*
 * One assignment as its owner sees it: what it needs to act (the complaint,
 * region, priority, its own state and due times, the customer's name and
 * contact only where the partner's configuration allows), and the broker's
 * signed event that made the assignment. New reference, or NULL.
 */
json_t *ticket_assignment_view(struct store_txn *t, const struct ticket_ctx *c,
                               const json_t *record, const char *assignment);

/* The same view as compact JSON text (free it), built without Jansson
 * escaping the event's bytes: an answer's cost. NULL if there is no such
 * assignment. */
char *ticket_assignment_text(struct store_txn *t, const struct ticket_ctx *c, const json_t *record,
                             const char *assignment, size_t *len);

/* Loads the ticket of an assignment the caller owns; SEAM_ENOTFOUND otherwise. */
enum seam_err ticket_load_assignment(struct store_txn *t, const struct ticket_ctx *c,
                                     const struct principal *who, const char *assignment,
                                     json_t **record) SEAM_WUR;

/*
 * A page of the caller's queue (its assignments, oldest first) after cursor
 * (an assignment id or NULL), optionally only those in state ("live": any
 * live state). *page is {"items","next_cursor"}.
 */
enum seam_err ticket_queue(struct store_txn *t, const struct ticket_ctx *c,
                           const struct principal *who, const char *state, const char *cursor,
                           unsigned limit, json_t **page) SEAM_WUR;

/* The owner id of who's queue: the partner id, or the lead company's id. */
const char *ticket_queue_owner(const struct ticket_ctx *c, const struct principal *who);

/* Whether who may see the ticket at all (a customer: only its own). */
int ticket_visible(const json_t *record, const struct principal *who);

/*
 * The lead's view (ticket_view for ROLE_LEAD) straight from a stored
 * record's bytes: the record without its top-level "head", found by a scan
 * rather than a parse. NULL if the bytes do not have that shape. malloc'd.
 */
char *ticket_lead_bytes(const char *rec, size_t len, size_t *out_len);

/* What who sees of the record: the customer's one face, or the lead's view. */
json_t *ticket_view(const struct ticket_ctx *c, const json_t *record, const struct principal *who);

/* What the lead may filter the list by; NULL or 0: no filter. */
struct ticket_filter {
    const char *status;
    const char *partner;    /* has (or had) an assignment with this partner */
    const char *owner;      /* has a live assignment owned by this partner ("lead": the lead) */
    const char *flag;       /* the ticket or one of its assignments carries this flag */
    int64_t from_ms, to_ms; /* created in [from, to) */
};

/* A page of who's tickets, newest first, after cursor (a ticket id or NULL). */
enum seam_err ticket_list(struct store_txn *t, const struct ticket_ctx *c,
                          const struct principal *who, const struct ticket_filter *filter,
                          const char *cursor, unsigned limit, json_t **page) SEAM_WUR;

enum ticket_action {
    TA_NOTE,       /* customer: add information (answers a question: pending -> inProgress) */
    TA_CONFIRM,    /* customer: resolved -> closed */
    TA_REOPEN,     /* customer: resolved -> inProgress, routed again: a new assignment round */
    TA_CANCEL,     /* customer: any open status -> cancelled */
    TA_ASSIGN,     /* lead: force an owner, with a reason */
    TA_TMF_UPDATE, /* a TMF621 client: attributes changed (tmf.h), not the status */
    /* The actions from here on name an assignment, not a ticket. */
    TA_ACK,       /* the assignment's owner: assigned -> acknowledged */
    TA_RESOLVE,   /* the assignment's owner: -> resolved; the last live one resolves the ticket */
    TA_PROGRESS,  /* the owner: a note of work done (internal); acknowledged -> inProgress */
    TA_NEED_INFO, /* the owner: a question to the customer; the ticket is pending until answered */
    TA_HANDBACK,  /* a partner owner: not ours, with a reason; the claim moves along the chain */
    TA_ESCALATE,  /* the broker: a claim its partner never received goes to the lead */
    TA_SLA,       /* the broker: an SLA warning or breach came due (reason: its kind) */
};

/* Reasons a partner may give for a hand-back. */
#define HANDBACK_REASONS "not_our_service, belongs_to, customer_side, duplicate"

struct ticket_action_req {
    enum ticket_action kind;
    const char *target;     /* ticket id; assignment id for TA_ACK and TA_RESOLVE */
    const char *text;       /* note, reason or resolution */
    const char *partner;    /* TA_ASSIGN: a partner id or "lead"; TA_HANDBACK: belongs_to */
    const char *reason;     /* TA_HANDBACK: one of HANDBACK_REASONS */
    const char *ticket_ref; /* TA_HANDBACK duplicate: the ticket it duplicates */
    json_t *signature;      /* a partner's verified signature of its request, kept in the event */
    int64_t due_ms;         /* TA_SLA: the due instant that came */
    json_t *tmf;            /* TA_TMF_UPDATE: the attributes */
};

/*
 * Limits per ticket (limits.max_notes_per_ticket, max_events_per_ticket,
 * max_attachments_per_ticket, max_record_bytes). A reserve of R events
 * (max_events / 16, at least 4) and of B bytes (max_record_bytes / 16):
 *  - additions (a note, progress, a question, a TMF update, reopening, a
 *    filing): at most max_notes notes, max_events - 2R events and
 *    max_record_bytes - 2B bytes after the change;
 *  - the steps that take a claim to its end (acknowledge, resolve, hand
 *    back, confirm, cancel, the lead's assign): max_events - R events and
 *    max_record_bytes - B bytes;
 *  - the broker's own events (SLA warnings and breaches, escalations):
 *    never refused, so that an open ticket keeps an accountable owner and
 *    its breaches on record; the last reserve is theirs.
 * Notes: customer notes, partner progress and questions, and TMF notes.
 */

/*
 * Applies one action as one signed event. SEAM_ENOTFOUND: no such ticket or
 * assignment, or not who's; SEAM_ECONFLICT: the state machine forbids it;
 * SEAM_EINVAL: a bad argument; SEAM_ELIMIT: the ticket holds as many notes
 * or events as it may; SEAM_ETOOBIG: the record would pass its size limit.
 * All but the first fill *why. *record: the ticket after the action (new
 * reference).
 */
enum seam_err ticket_act(struct store_txn *t, const struct ticket_ctx *c,
                         const struct principal *who, const struct ticket_action_req *a,
                         json_t **record, struct ticket_refusal *why) SEAM_WUR;

/* Customers: {"id","name","bundle","region","contact"?,"created_at"}. */
enum seam_err customer_add(struct store_txn *t, const struct config *cfg, const char *id,
                           const char *name, const char *bundle, const char *region,
                           const char *contact) SEAM_WUR;
enum seam_err customer_load(struct store_txn *t, const char *id, json_t **record) SEAM_WUR;
/* Changes a customer's bundle, region or contact (NULL: unchanged); its tickets
 * keep what they were filed with and are routed with the new facts on reopen. */
enum seam_err customer_update(struct store_txn *t, const struct config *cfg, const char *id,
                              const char *bundle, const char *region, const char *contact) SEAM_WUR;

/*
 * Checks every ticket record against its signed creation event: the fields
 * the customer filed, the customer, bundle and region must be what the event
 * says. Calls report per problem; returns the number of problems.
 */
uint64_t ticket_verify_records(struct store_txn *t, evlog_report_fn report, void *ctx);

/* RFC 3339 UTC ("2026-01-02T03:04:05.678Z") to ms since the epoch; -1 if malformed. */
int64_t ticket_parse_time(const char *s);

/* Calls fn for every ticket who may see, newest first, until fn returns non-zero. */
typedef int (*ticket_each_fn)(void *ctx, const json_t *record);
enum seam_err ticket_each(struct store_txn *t, const struct principal *who, ticket_each_fn fn,
                          void *ctx) SEAM_WUR;

/* Whether s could be a ticket id (shape only). */
int ticket_id_valid(const char *s);

/*
 * Reads for other modules, which own no ticket data and reach the tickets
 * database only through these (the owners of each database: store.h).
 */

/* ticket_lead_bytes of ticket id's stored record; NULL if none or not of that shape. */
char *ticket_lead_text(struct store_txn *t, const char *id, size_t *len);

/* Calls fn for every ticket, oldest first (id order), until it returns non-zero;
 * a record that does not parse is skipped. */
enum seam_err ticket_scan(struct store_txn *t, ticket_each_fn fn, void *ctx) SEAM_WUR;

/*
 * What ticket id's record says of its event chain: the number of events and
 * the last event's SHA-256 (hex; "" if absent). SEAM_ENOTFOUND: no record. A
 * record that does not parse says 0 events.
 */
enum seam_err ticket_head(struct store_txn *t, const char *id, int64_t *events,
                          char last[65]) SEAM_WUR;

/* Calls fn with every ticket record's key as stored (any length), in order. */
typedef int (*ticket_key_fn)(void *ctx, const void *key, size_t len);
enum seam_err ticket_each_key(struct store_txn *t, ticket_key_fn fn, void *ctx) SEAM_WUR;

/* The number of ticket records. */
uint64_t ticket_count(struct store_txn *t);

#endif
