/*
 * ticket.h: the broker's side of the ticket model (include/seam/ticket.h):
 * filing, the state machine of actions, the views each principal gets,
 * queries, and the customer records tickets belong to. Write functions run
 * in the writer's transaction (store_job apply); read functions in any read
 * transaction. How a ticket is stored is record.h's business alone.
 *
 * The parts, a file each: ticket.c (filing and the state machine, one row
 * of ticket_actions[] per action), ids.c (ticket and assignment ids),
 * views.c (what each principal sees), query.c (lists, queues, loading what
 * a principal may see), customer.c (customer records), verify_records.c
 * (records against their signed creation events).
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
#include "seam/ticket.h"

struct json_text; /* json_fast.h */

#define SUMMARY_MAX 200
#define DESCRIPTION_MAX 8000

struct ticket_ctx {
    const struct config *cfg;
    const struct evlog *lg;
    const struct sla *sla; /* the SLA clocks' calendars; NULL: no clocks */
};

struct ticket_input {
    char *summary, *description;
    /* The facts the customer files (fact_kinds' FACT_FROM_COMPLAINT rows), by
     * enum fact; NULL: not given (an optional fact). The others come from
     * the customer record and the priority. */
    char *facts[FACT_MAX];
    int priority;
    json_t *tmf;          /* TMF621 attributes to keep (tmf.h), or NULL */
    char *duplicate_of;   /* an earlier ticket ticket_find_duplicate found, or NULL: it is
                           * checked again when filing, and the ticket flagged if it holds */
    const char *customer; /* a lead filing for a customer; NULL: the filing customer */
    const char *channel;  /* ticket_channels[]: the way it came (borrowed); NULL: "api" */
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

/* ---- ids (ids.c) ---- */

/* Whether s could be a ticket id (shape only). */
int ticket_id_valid(const char *s);
/* Whether s could be an assignment id (shape only). */
int assignment_id_valid(const char *s);
/* A new id of kind prefix ('T' or 'A'), in commit order (see ids.c). */
void ticket_new_id(struct store_txn *t, char prefix, char out[TICKET_ID_LEN + 1]);

/* ---- filing and actions (ticket.c) ---- */

/*
 * Creates a ticket filed by the customer `who`, routed by the boundary
 * rules in the same write: the ticket, its assignments and one signed event
 * recording the rule and the facts used. *out: the ticket (ticket_free).
 * SEAM_ELIMIT: the TMF attributes carry more notes or attachments than a
 * ticket may hold; SEAM_ETOOBIG: the record would pass its size limit
 * (see "Limits per ticket" below).
 */
enum seam_err ticket_create(struct store_txn *t, const struct ticket_ctx *c,
                            const struct principal *who, const struct ticket_input *in,
                            struct ticket *out) SEAM_WUR;

/*
 * The customer's most recent open ticket (among its DUPLICATE_SCAN newest)
 * filed within cfg->duplicate_window_minutes with the same facts (all but
 * the priority) as the complaint in, whose customer facts come from the
 * record cust: its id in out. SEAM_ENOTFOUND if none (or the window is 0).
 * A read: any transaction but a staged one (it scans).
 */
#define DUPLICATE_SCAN 16
enum seam_err ticket_find_duplicate(struct store_txn *t, const struct config *cfg,
                                    const char *customer, const json_t *cust,
                                    const struct ticket_input *in,
                                    char out[TICKET_ID_LEN + 1]) SEAM_WUR;

/* The message of a belongs_to refusal's code (struct assignment's belongs_to_refused). */
const char *handback_refusal_message(const char *code);

enum ticket_action {
    TA_NOTE,       /* customer: add information (answers a question: pending -> inProgress) */
    TA_CONFIRM,    /* customer: resolved -> closed */
    TA_REOPEN,     /* customer: resolved -> inProgress, routed again: a new assignment round */
    TA_CANCEL,     /* customer: any open status -> cancelled */
    TA_ASSIGN,     /* lead: force an owner, with a reason */
    TA_TMF_UPDATE, /* a TMF621 client: attributes changed (tmf.h), not the status */
    TA_FACTS,      /* the lead, the owner of a live claim (/v1), the customer (TMF621's
                    * PATCH): the complaint's facts corrected, the live claims of the
                    * round end and a new round is routed */
    TA_MERGE,      /* lead: merged into another open ticket of the same customer (ticket_ref) */
    /* The actions from here on name an assignment, not a ticket. */
    TA_ACK,       /* the assignment's owner: assigned -> acknowledged */
    TA_RESOLVE,   /* the assignment's owner: -> resolved; the last live one resolves the ticket */
    TA_PROGRESS,  /* the owner: a note of work done (internal); acknowledged -> inProgress */
    TA_NEED_INFO, /* the owner: a question to the customer; the ticket is pending until answered */
    TA_HANDBACK,  /* a partner owner: not ours, with a reason; the claim moves along the chain */
    TA_ESCALATE,  /* the broker: a claim its partner never received goes to the lead */
    TA_SLA,       /* the broker: an SLA warning or breach came due (reason: its kind) */
    TA_LINK,      /* the broker: a tmf621 partner's TroubleTicket of the claim (text: its id) */
    TA_STATUS_UNKNOWN, /* the broker: its status is not in the partner's map (text: why);
                        * the ticket is flagged escalated, the claim stays */
    TA_COUNT
};

/*
 * The state machine, one row per action (ticket.c): who may take it, from
 * which states of the ticket (on a ticket) or of the assignment (on an
 * assignment), the event it writes and its visibility, and which limit tier
 * it falls in (see "Limits per ticket"). What an action changes beyond that
 * is its row's apply function.
 */
struct ticket_action_row {
    enum ticket_action kind;
    const char *name;        /* for the docs and the tests */
    unsigned roles;          /* the roles that may take it: auth.h's ROLE_* bits */
    unsigned on_assignment;  /* names an assignment, not a ticket */
    unsigned from;           /* bits of enum ticket_status, or of enum assignment_state */
    const char *refusal;     /* the message when the state forbids it */
    enum event_type event;   /* the event it writes (some rows choose among several) */
    enum visibility visible; /* the timeline entry's visibility (some rows decide) */
    int tier;                /* limit tier: 0 an addition, 1 an end step, 2 the broker's own */
};
extern const struct ticket_action_row ticket_actions[TA_COUNT];

struct ticket_action_req {
    enum ticket_action kind;
    const char *target;     /* ticket id; assignment id for the owner's actions */
    const char *text;       /* note, reason or resolution */
    const char *partner;    /* TA_ASSIGN: a partner id or "lead"; TA_HANDBACK: belongs_to */
    int reason;             /* TA_HANDBACK: enum handback_reason; TA_SLA: enum sla_kind */
    const char *ticket_ref; /* TA_HANDBACK duplicate: the ticket it duplicates; TA_MERGE: the
                             * ticket it is merged into */
    json_t *signature;      /* a partner's verified signature of its request, kept in the event */
    int64_t due_ms;         /* TA_SLA: the due instant that came */
    json_t *tmf;            /* TA_TMF_UPDATE: the attributes (null: removed, RFC 7396) */
    int tmf_append_notes;   /* TA_TMF_UPDATE: tmf's notes are added (JSON Patch add /note/-),
                             * not put in the place of the ticket's (merge patch) */
    /* TA_FACTS, TA_REOPEN: corrected facts of the complaint (fact_kinds'
     * FACT_FROM_COMPLAINT rows), by enum fact: bit k of facts_given says
     * fact k is given; its value NULL clears an optional fact. */
    const char *facts[FACT_MAX];
    unsigned facts_given;
    /* Attachments of the ticket (attach.h) the action's text refers to, by SHA-256: each must
     * be one the actor may read; the event names them ("attachments", restricted as its text). */
    const char *const *attachments;
    size_t nattachments;
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
 * All but the first fill *why. *out: the ticket after the action
 * (ticket_free).
 */
enum seam_err ticket_act(struct store_txn *t, const struct ticket_ctx *c,
                         const struct principal *who, const struct ticket_action_req *a,
                         struct ticket *out, struct ticket_refusal *why) SEAM_WUR;

/* ---- queries (query.c) ---- */

/* Loads a ticket (ticket_free); SEAM_ENOTFOUND if there is none. */
enum seam_err ticket_load(struct store_txn *t, const char *id, struct ticket *out) SEAM_WUR;

/* Whether who may see the ticket at all (a customer: only its own). */
int ticket_visible(const struct ticket *tk, const struct principal *who);

/*
 * Whether who may read an attachment of tk (attach.h), given its description
 * meta: the lead and auditors all; the uploader its own; else as the texts
 * of the events that refer to it ("refs") are disclosed in who's evidence:
 * the customer those on its timeline, a partner the customer's, its own and
 * those on the customer's timeline. One no text refers to yet: the
 * customer's belongs to its complaint (its partners read it too), a
 * partner's or the lead's is theirs and the lead's (and auditors'). ticket.c
 */
int ticket_attachment_visible(const struct ticket *tk, const json_t *meta,
                              const struct principal *who);
/* Whether who may see that one reference of an attachment ({"seq","role","id"}) was made. */
int ticket_attachment_ref_visible(const struct ticket *tk, const json_t *ref,
                                  const struct principal *who);

/* Loads the ticket of an assignment the caller owns; SEAM_ENOTFOUND otherwise. */
enum seam_err ticket_load_assignment(struct store_txn *t, const struct ticket_ctx *c,
                                     const struct principal *who, const char *assignment,
                                     struct ticket *out) SEAM_WUR;

/* The ticket id an assignment belongs to; SEAM_ENOTFOUND if none. */
enum seam_err ticket_of_assignment(struct store_txn *t, const char *assignment,
                                   char tid[TICKET_ID_LEN + 1]) SEAM_WUR;

/* The owner id of who's queue: the partner id, or the lead company's id. */
const char *ticket_queue_owner(const struct ticket_ctx *c, const struct principal *who);

/*
 * A page of the caller's queue (its assignments, oldest first) after cursor
 * (an assignment id or NULL), optionally only those in state ("live": any
 * live state). *page: the JSON text {"items","next_cursor"} (free it).
 */
enum seam_err ticket_queue(struct store_txn *t, const struct ticket_ctx *c,
                           const struct principal *who, const char *state, const char *cursor,
                           unsigned limit, char **page, size_t *len) SEAM_WUR;

typedef int (*ticket_each_fn)(void *ctx, const struct ticket *tk);

/* What the lead may filter the list by; NULL or 0: no filter. */
struct ticket_filter {
    const char *status;
    const char *partner;    /* has (or had) an assignment with this partner */
    const char *owner;      /* has a live assignment owned by this partner ("lead": the lead) */
    const char *flag;       /* the ticket or one of its assignments carries this flag, or the
                             * ticket is in this watch list (seam/ticket.h: bouncing, at_risk) */
    int64_t from_ms, to_ms; /* created in [from, to) */
    /* by enum fact (the configuration's table): the ticket's fact (as corrected) is this; NULL:
     * any */
    const char *facts[FACT_MAX];
    /* An extra predicate (a TMF621 filter's): the ticket is kept only if it answers non-zero;
     * NULL: none. It is checked on each ticket the indexes give, never used to pick one. */
    int (*match)(void *arg, const struct ticket *tk);
    void *match_arg;
};

/*
 * Calls fn for each ticket who may see (the lead, the auditor: all; a
 * customer: its own, but those merged into another; a partner: those it has
 * or had a claim on, through its partner key) that passes the filter,
 * newest first, strictly after cursor (a ticket id, or NULL: from the
 * newest), until fn returns non-zero. It walks the secondary indexes of the
 * filter's plain fields together (index.h; docs/design.md says which):
 * never every ticket when a field of the filter is set, only the status,
 * partner, owner, flag and facts narrowing the walk; created_from/to bound
 * it by ticket id. SEAM_EINVAL for the broker.
 *
 * A walk does a bounded amount of work (TICKET_WALK_BUDGET: an index seek
 * counts 1, a ticket read 16): when it runs out before the end and before
 * fn stopped it, *resume (if not NULL) is a cursor to go on from (every
 * ticket above it was given to fn or did not pass); else *resume is "".
 * Filters that few tickets meet together stay this fast, their pages short.
 */
#define TICKET_WALK_BUDGET 16384
enum seam_err ticket_walk(struct store_txn *t, const struct ticket_ctx *c,
                          const struct principal *who, const struct ticket_filter *filter,
                          const char *cursor, ticket_each_fn fn, void *ctx,
                          char resume[TICKET_ID_LEN + 1]) SEAM_WUR;
/* The budget of the walks from now on (tests; 0: TICKET_WALK_BUDGET). Not thread-safe. */
void ticket_walk_budget(unsigned work);

/*
 * How many tickets the walk would give below cursor (NULL: all), in at most
 * work steps (as the walk counts them): *n the count, *complete whether it
 * reached the last (else the work ran out first). When the index keys
 * decide the filter exactly for who (the lead, an auditor or a partner, no
 * predicate, no creation range, the indexes built) it reads no record,
 * each candidate a step; else it reads each, as the walk does.
 */
enum seam_err ticket_walk_count(struct store_txn *t, const struct ticket_ctx *c,
                                const struct principal *who, const struct ticket_filter *filter,
                                const char *cursor, unsigned work, unsigned long *n,
                                int *complete) SEAM_WUR;

/* A page of who's tickets, newest first, after cursor (a ticket id or NULL):
 * the JSON text {"items","next_cursor"} (free it). ticket_walk's walk: a
 * page is short, with a next_cursor, when the walk ran out of its budget. */
enum seam_err ticket_list(struct store_txn *t, const struct ticket_ctx *c,
                          const struct principal *who, const struct ticket_filter *filter,
                          const char *cursor, unsigned limit, char **page, size_t *len) SEAM_WUR;

/* Calls fn for every ticket, oldest first (id order), until it returns
 * non-zero; a record that cannot be read is passed over. */
enum seam_err ticket_scan(struct store_txn *t, ticket_each_fn fn, void *ctx) SEAM_WUR;
/* The same from the ticket id start on (NULL: the first). */
enum seam_err ticket_scan_from(struct store_txn *t, const char *start, ticket_each_fn fn,
                               void *ctx) SEAM_WUR;

/* RFC 3339 UTC ("2026-01-02T03:04:05.678Z") to ms since the epoch; -1 if malformed. */
int64_t ticket_parse_time(const char *s);

/* ---- views (views.c) ---- */

/*
 * What who sees of the ticket as JSON text (free it): the customer's one
 * face (public fields, the public timeline, who works on it where the rule
 * allows), or the lead's and the auditor's view (the whole record but its
 * event-chain head).
 */
char *ticket_view_text(const struct ticket_ctx *c, const struct ticket *tk,
                       const struct principal *who, size_t *len);

/*
 * Whether the customer sees a timeline entry: a public one, and an SLA
 * clock's only under a customer-visible rule. The customer's face and its
 * evidence (ticket_evidence) both follow it.
 */
int ticket_entry_customer_visible(const struct ticket *tk, const struct timeline_entry *e);

/*
 * The ticket's evidence document as who may see it (evlog_export_view):
 *  - the lead and the auditor: every event, every disclosure;
 *  - the customer: the events of its timeline (ticket_entry_customer_visible
 *    of the event's timeline entry), with their texts; the routing only
 *    where the rule lets it see who works on it;
 *  - a partner: the filing, the customer's own events, and the events that
 *    name it or one of its assignments (as actor, owner, next owner, or
 *    claim ended); their texts where it wrote them, the customer did, or the
 *    timeline shows them to the customer; the customer's name and contact
 *    only where its configuration allows; the routing where it names it.
 * Every other event is given by its hash alone. An event signed before
 * restricted content was signed by digest (format 1) is shown whole only
 * when who may see all of its restricted members, else by its hash.
 */
enum seam_err ticket_evidence(struct store_txn *t, const struct ticket_ctx *c,
                              const struct ticket *tk, const struct principal *who, char **doc,
                              size_t *len) SEAM_WUR;

/* The whole record but its head as a Jansson tree (new reference), or NULL. */
json_t *ticket_record_json(const struct ticket *tk);

/*
 * The lead's view straight from a stored record's bytes: the record without
 * its top-level "head", found by a scan rather than a parse, and each SLA
 * clock's instant in RFC 3339 beside its ms counter (NAME_at after NAME_ms,
 * running_since_at after running_since), as ticket_view_text writes the
 * lead's view. NULL if the bytes do not have that shape. malloc'd.
 */
char *ticket_lead_bytes(const char *rec, size_t len, size_t *out_len);

/*
 * One assignment as its owner sees it, as JSON text (free it): what it
 * needs to act (the complaint, region, priority, its own state and due
 * times, the customer's name and contact only where the partner's
 * configuration allows), and the broker's signed event that made the
 * assignment. NULL if there is no such assignment.
 */
/*
 * The signed event seq of a ticket as a JSON object's text, appended to out:
 * seq, type, the event itself ("event": its canonical bytes, a JSON object;
 * restricted members appear by digest, in "sd"), its exact bytes ("bytes":
 * what the signature is over, a string), signature (base64) and
 * leaf_index. 0, or -1 if there is none. An action's answer carries its own
 * event so.
 */
int ticket_event_text(struct store_txn *t, const struct ticket *tk, uint32_t seq,
                      struct json_text *out);

char *ticket_assignment_text(struct store_txn *t, const struct ticket_ctx *c,
                             const struct ticket *tk, const char *assignment, size_t *len);

/*
 * The companies a belongs_to hand-back of the live claim may name now, as the
 * hand-back would take them (route_handback_why, not the claim's own partner,
 * not one that handed it back this round), then the lead, which always may
 * be named: [{"because","name","partner"}, ...] ("bundle", "rules" or
 * "lead"); [] for a claim that is not live. malloc'd.
 */
char *ticket_belongs_to_choices(const struct ticket_ctx *c, const struct ticket *tk,
                                const char *assignment, size_t *len);

/* ---- customers (customer.c) ---- */

/* Customers: {"id","name","bundle","region","contact"?,"created_at"}. */
enum seam_err customer_add(struct store_txn *t, const struct config *cfg, const char *id,
                           const char *name, const char *bundle, const char *region,
                           const char *contact) SEAM_WUR;
enum seam_err customer_load(struct store_txn *t, const char *id, json_t **record) SEAM_WUR;
/* Calls fn for every customer record (borrowed), in id order. */
typedef void (*customer_each_fn)(void *ctx, const json_t *record);
enum seam_err customer_each(struct store_txn *t, customer_each_fn fn, void *ctx) SEAM_WUR;
/* Changes a customer's bundle, region or contact (NULL: unchanged); its tickets
 * keep what they were filed with and are routed with the new facts on reopen. */
enum seam_err customer_update(struct store_txn *t, const struct config *cfg, const char *id,
                              const char *bundle, const char *region, const char *contact) SEAM_WUR;

/* Sets the customer record's facts of the configuration other than bundle and region
 * (facts: an object of fact name to value; a fact whose source is "record" or "either",
 * a value of its vocabulary, else SEAM_EINVAL and nothing changes). */
enum seam_err customer_set_facts(struct store_txn *t, const struct config *cfg, const char *id,
                                 const json_t *facts) SEAM_WUR;

/*
 * E-mail (customer.c): the record's "email" (unique among customers, indexed
 * case-insensitively), "language" (customer_language_valid: "en", "nb") and
 * "notifications" (false: no mail; absent: on). email "" removes the address;
 * NULL, or notifications -1, leaves that one as it is. SEAM_EINVAL: a bad
 * address or language; SEAM_EEXIST: another customer's address. *record: the
 * record after (a new reference), if record is not NULL.
 */
enum seam_err customer_set_mail(struct store_txn *t, const char *id, const char *email,
                                const char *language, int notifications, json_t **record) SEAM_WUR;
/* The customer whose address email is; SEAM_ENOTFOUND if none. */
enum seam_err customer_by_email(struct store_txn *t, const char *email, char id[64]) SEAM_WUR;
int customer_email_valid(const char *s);
int customer_language_valid(const char *lang);
/* The record's language for mail, "en" if it has none we write in. */
const char *customer_mail_language(const json_t *rec);

/* ---- verification (verify_records.c) ---- */

/*
 * Checks every ticket record against its signed creation event: the fields
 * the customer filed, the customer, bundle and region must be what the event
 * says. Calls report per problem; returns the number of problems.
 */
uint64_t ticket_verify_records(struct store_txn *t, evlog_report_fn report, void *ctx);
/*
 * seamctl verify: every attachment's bytes hash to its name (attach.h), and
 * every attachment an event names (its "attachments" disclosure) is there,
 * whole. Returns the number of problems, each reported.
 */
uint64_t ticket_verify_attachments(struct store_txn *t, evlog_report_fn report, void *ctx);

/*
 * Reads for other modules, which own no ticket data and reach the tickets
 * database only through these (the owners of each database: store.h).
 */

/* ticket_lead_bytes of ticket id's stored record; NULL if none or not of that shape. */
char *ticket_lead_text(struct store_txn *t, const char *id, size_t *len);

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
