/*
 * seam/ticket.h: the ticket model of seam, as C types.
 *
 * A ticket is the customer's one complaint. Over its life it has one or more
 * assignments (one company's share of it: a partner's, or the lead
 * company's as owner of last resort), a timeline (what happened, each entry
 * public or internal), flags, its routing (the rule, its mode and fallback
 * chain), the lead's end-to-end clock and the head of its signed event
 * chain. Every change of a ticket is one signed event (DESIGN.md, invariant
 * 3); the record described here is the broker's state, rebuilt and checked
 * against those events by `seamctl verify`.
 *
 * Each closed set of names (statuses, assignment states, event types,
 * hand-back reasons, flags) is an enum with one table row per value: its
 * wire name and what the code needs to know about it. A name is always
 * written and read through these tables, never as a string literal.
 *
 * Strings of a struct ticket are its own (malloc'd, NUL-terminated, valid
 * UTF-8); ticket_free releases them. Instants are milliseconds since the
 * epoch (UTC); on the wire they are RFC 3339 with milliseconds.
 */
#ifndef SEAM_TICKET_MODEL_H
#define SEAM_TICKET_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* A ticket id: "T" and 20 characters; an assignment id: "A" and 20. */
#define SEAM_ID_LEN 21

/* An instant or a duration that is null on the wire, and one that is absent. */
#define SEAM_NULL_MS (-1)
#define SEAM_ABSENT_MS (-2)

/* ---- ticket status: what the customer sees ---- */

enum ticket_status {
    TS_ACKNOWLEDGED, /* filed and owned; nobody has started */
    TS_IN_PROGRESS,  /* an owner works on it */
    TS_PENDING,      /* waiting on the customer's answer; the clocks pause */
    TS_RESOLVED,     /* every claim resolved; the customer may confirm or reopen */
    TS_CLOSED,       /* confirmed */
    TS_CANCELLED,    /* cancelled by the customer */
    TS_COUNT
};

struct ticket_status_row {
    enum ticket_status status;
    const char *name;    /* on the wire (TMF621's TroubleTicketStatusType names) */
    unsigned open : 1;   /* must have a live assignment (invariant 1) */
    unsigned active : 1; /* a customer may still add to it (open or resolved) */
};
extern const struct ticket_status_row ticket_statuses[TS_COUNT];

/* ---- assignment state: one company's share ---- */

enum assignment_state {
    AS_ASSIGNED,      /* given to its owner, not yet taken up */
    AS_ACKNOWLEDGED,  /* taken up */
    AS_IN_PROGRESS,   /* worked on */
    AS_RESOLVED,      /* its owner resolved it */
    AS_HANDED_BACK,   /* its owner said it is not theirs, with a reason */
    AS_CANCELLED,     /* the ticket was cancelled */
    AS_REASSIGNED,    /* the lead gave the ticket to another owner */
    AS_UNDELIVERABLE, /* its partner never received it; the lead took it */
    AS_MERGED,        /* its ticket was merged into another, whose owners carry the complaint */
    AS_COUNT
};

struct assignment_state_row {
    enum assignment_state state;
    const char *name;
    unsigned live : 1; /* an accountable owner holds it */
};
extern const struct assignment_state_row assignment_states[AS_COUNT];

/* ---- event types: every change of a ticket is one signed event ---- */

enum event_type {
    EV_TICKET_CREATED,
    EV_TICKET_NOTE,
    EV_TICKET_CONFIRMED,
    EV_TICKET_REOPENED,
    EV_TICKET_CANCELLED,
    EV_TICKET_UPDATED, /* TMF621 attributes changed */
    EV_TICKET_ASSIGNED,
    EV_ASSIGNMENT_ACKNOWLEDGED,
    EV_ASSIGNMENT_PROGRESS,
    EV_ASSIGNMENT_NEED_INFO,
    EV_ASSIGNMENT_RESOLVED,
    EV_ASSIGNMENT_HANDED_BACK,
    EV_ASSIGNMENT_ESCALATED,
    EV_SLA_WARNING,
    EV_SLA_BREACHED,
    EV_TICKET_FACTS_CHANGED,  /* the complaint's facts corrected; routed again */
    EV_TICKET_MERGED,         /* on the ticket merged into another (closed by it) */
    EV_TICKET_MERGE_RECEIVED, /* on the ticket another was merged into */
    /* A tmf621 partner's system made the claim a TroubleTicket. */
    EV_ASSIGNMENT_LINKED,
    /* That system gave a status its map does not know. */
    EV_ASSIGNMENT_STATUS_UNKNOWN,
    EV_COUNT
};

struct event_type_row {
    enum event_type type;
    const char *name;  /* "ticket.created", ... */
    unsigned note : 1; /* counts towards limits.max_notes_per_ticket */
    /* The member of the event's data that holds its text (the timeline
     * entry's text: a note, a reason, a question...), or NULL. Restricted:
     * signed as a salted digest, disclosed only to whoever may read it. */
    const char *text;
};
extern const struct event_type_row event_types[EV_COUNT];

/*
 * Whether member of an event of this type's data is restricted content:
 * the type's text member, the routing decision ("route": who the rules gave
 * the claim to and who comes next), and on ticket.created the customer's
 * name and contact (customer_name, customer_contact) as the customer record
 * had them, and the attachments a text refers to ("attachments").
 */
int event_member_restricted(enum event_type type, const char *member);

/* ---- channels: the way a complaint came ---- */

enum ticket_channel {
    CH_WEB,    /* the customer's portal (a signed-in session) */
    CH_EMAIL,  /* the e-mail intake */
    CH_PHONE,  /* the lead's desk, for a customer who called */
    CH_TMF621, /* the TMF621 face */
    CH_API,    /* a client with a bearer token */
    CH_COUNT
};
extern const char *const ticket_channels[CH_COUNT];
/* The channel of a name, or -1. */
int ticket_channel_parse(const char *name);

/* ---- hand-back reasons ---- */

enum handback_reason {
    HB_NOT_OUR_SERVICE, /* the next in the rule's fallback chain */
    HB_BELONGS_TO,      /* names the partner (or the lead) it belongs to */
    HB_CUSTOMER_SIDE,   /* the fault is the customer's; the chain goes on */
    HB_DUPLICATE,       /* names the ticket it duplicates; the lead decides */
    HB_COUNT
};

struct handback_reason_row {
    enum handback_reason reason;
    const char *name;
    unsigned names_partner : 1; /* the request must name a partner ("partner") */
    unsigned names_ticket : 1;  /* the request must name a ticket ("ticket") */
};
extern const struct handback_reason_row handback_reasons[HB_COUNT];

/* ---- flags, on a ticket or on one of its assignments ---- */

enum ticket_flag {
    FLAG_UNROUTABLE,         /* no rule could be resolved: the lead owns it */
    FLAG_DISPUTED,           /* reached the lead through hand-backs (or bounced past max_bounces) */
    FLAG_ESCALATED,          /* an SLA breach or an undeliverable claim reached the lead */
    FLAG_BREACHED,           /* this assignment breached an SLA target */
    FLAG_FORCED,             /* the lead assigned it */
    FLAG_DUPLICATE,          /* handed back as a duplicate */
    FLAG_OUT_OF_BUNDLE,      /* the complaint's service is not in the customer's bundle */
    FLAG_POSSIBLE_DUPLICATE, /* filed with the same facts while an earlier one is open */
    FLAG_MERGED,             /* merged into another ticket (merged_into) */
    FLAG_COUNT
};

struct ticket_flag_row {
    enum ticket_flag flag;
    const char *name;
};
extern const struct ticket_flag_row ticket_flags[FLAG_COUNT];

/* Flags in the order they were raised, each once. */
struct flag_set {
    uint8_t n;
    uint8_t v[FLAG_COUNT];
};

/* ---- the lead's watch lists: states of the record, filtered as flags ---- */

/*
 * Two of the lead's lists are no flag (nothing raises them once for all)
 * but what the record says now, coming and going as the ticket changes:
 *  - bouncing: an open ticket handed back at least once in its current
 *    round (bounces > 0, the ping-pong count; a reopening or a correction
 *    of its facts routes it afresh and starts again from 0);
 *  - at_risk: a live claim one of whose SLA clocks (acknowledge, resolve)
 *    is past its warning (its sla.warning came: "warned") and still runs
 *    toward its breach (due, neither breached nor paused).
 * Each filters the lead's list as a flag does (?flag=) and is indexed as
 * one (index.h); neither is in a view's "flags" nor a column of the audit.
 */
enum ticket_watch { WATCH_BOUNCING, WATCH_AT_RISK, WATCH_COUNT };
extern const char *const ticket_watches[WATCH_COUNT];

/* ---- visibility of a timeline entry ---- */

enum visibility { VIS_PUBLIC, VIS_INTERNAL, VIS_COUNT };
extern const char *const visibility_names[VIS_COUNT];

/* ---- lookups ---- */

/* The value named s (NUL-terminated), or -1 when no row has that name. */
int ticket_status_parse(const char *s);
int assignment_state_parse(const char *s);
int event_type_parse(const char *s);
int handback_reason_parse(const char *s);
int ticket_flag_parse(const char *s);
int ticket_watch_parse(const char *s);
int visibility_parse(const char *s);

/* ---- the SLA clocks ---- */

/* The kinds of an assignment's due instants, in the order of sla.h. */
#define SEAM_SLA_KINDS 4

/* A set of SLA kinds in the order they fired. */
struct kind_set {
    uint8_t n;
    uint8_t v[SEAM_SLA_KINDS];
};

/*
 * An assignment's clock (sla.h): its policy and targets, the business time
 * elapsed on the resolve clock, the running segment's start (SEAM_NULL_MS
 * while paused), its pending due instants by kind (SEAM_NULL_MS once fired
 * or cleared, SEAM_ABSENT_MS never set), the business time it took to
 * acknowledge and to resolve (SEAM_ABSENT_MS until then), and the warnings
 * and breaches it has had.
 */
struct sla_clock {
    int present; /* 0: no clock (a broker without calendars) */
    char *policy;
    int64_t assigned_ms, ack_target_ms, resolve_target_ms, resolve_elapsed_ms;
    int64_t running_since;
    int64_t due_at[SEAM_SLA_KINDS];
    int64_t ack_business_ms, resolve_business_ms;
    struct kind_set warned, breached;
};

/* The lead's end-to-end clock of a ticket (sla.h). */
struct e2e_clock {
    int present;
    char *policy;
    int64_t target_ms, elapsed_ms;
    int64_t running_since;        /* SEAM_NULL_MS: stopped or paused */
    int64_t due;                  /* SEAM_NULL_MS: none while stopped */
    int64_t resolved_business_ms; /* SEAM_NULL_MS until resolved */
};

/* A member the model does not know, kept as it was: its key and JSON text. */
struct extra_member {
    char *key;
    char *json;
};

/* ---- an assignment ---- */

struct assignment {
    char id[SEAM_ID_LEN + 1];
    char *partner; /* the owner: a partner id, or the lead company's id */
    enum assignment_state state;
    char *rule; /* the rule that made it, "forced", or "unroutable" */
    int64_t round, chain_position, bounces, event_seq;
    int64_t due_ack, due_resolve; /* as shown ("due"): SEAM_NULL_MS when none */
    struct flag_set flags;
    int64_t assigned_at;
    int64_t acknowledged_at, resolved_at, ended_at, handed_back_at; /* SEAM_ABSENT_MS */
    char *resolution;                                               /* NULL: none */
    int handback_reason;                                            /* -1: none */
    /* A belongs_to hand-back: the partner it named, and why that partner was
     * refused (a code of handback_refusals[] in ticket.c; NULL: it took the claim). */
    char *belongs_to, *belongs_to_refused;
    int64_t held_ms; /* SEAM_ABSENT_MS */
    struct sla_clock sla;
    struct extra_member *extra; /* members of a stored record the model does not know */
    size_t nextra;
};

/* ---- a timeline entry ---- */

struct timeline_entry {
    int64_t at;
    enum event_type type;
    enum ticket_status status; /* the ticket's status after the change */
    enum visibility visibility;
    char *text; /* NULL: none */
    char *by;   /* the acting user ("fibernet/alice", users.h), or NULL: none */
};

/* ---- an owner named by a rule, resolved ---- */

struct ticket_owner {
    char *role;    /* as the rule names it */
    char *partner; /* the partner id it resolved to (or the lead's id); NULL: none */
};

/* ---- the ticket ---- */

/* The facts a ticket can carry (config.h's enum fact: service, symptom,
 * equipment, region, bundle, priority). */
#define SEAM_FACTS_MAX 16

struct ticket {
    char id[SEAM_ID_LEN + 1];
    char *customer;
    enum ticket_status status;
    int priority; /* config.h's enum priority */
    char *summary, *description;
    /* The facts as filed (signed in ticket.created; NULL: not given), and
     * the facts the ticket is routed by now (a reopen takes the customer's
     * bundle and region as they are then). Indexed by enum fact. */
    char *filed[SEAM_FACTS_MAX];
    char *facts[SEAM_FACTS_MAX];
    int64_t created_at, updated_at;
    /* The current round of routing. */
    int64_t round, bounces;
    char *rule;
    int joint; /* mode: "joint" or "single" */
    struct ticket_owner *fallback;
    size_t nfallback;
    int customer_visible; /* the rule lets the customer see who works on it */
    char *topic;          /* the rule's label for the customer; NULL: none */
    struct assignment *assignments;
    size_t nassignments;
    struct timeline_entry *timeline;
    size_t ntimeline;
    struct flag_set flags;
    struct e2e_clock e2e;
    char *tmf; /* TMF621 attributes kept (a JSON object's text), or NULL */
    /* The earlier open ticket of the same customer with the same facts
     * (possible_duplicate), and the ticket this one was merged into; NULL: none. */
    char *duplicate_of, *merged_into;
    /* The way the complaint came (ticket_channels[]: web, email, phone, tmf621, api), as its
     * signed creation event says; NULL: filed before channels were recorded. */
    char *channel;
    /* The head of the event chain: events so far, the last one's SHA-256 (hex). */
    uint32_t events;
    char last[65];
    struct extra_member *extra;
    size_t nextra;
};

/* Releases what a ticket owns and zeroes it; NULL is a no-op. */
void ticket_free(struct ticket *t);

/* The assignment with that id, or NULL. */
struct assignment *ticket_find_assignment(const struct ticket *t, const char *id);

/* Whether the assignment is live (an accountable owner holds it). */
int assignment_is_live(const struct assignment *a);
/* The number of live assignments. */
size_t ticket_live_count(const struct ticket *t);
/* Whether the ticket is open (acknowledged, inProgress, pending). */
int ticket_is_open(const struct ticket *t);
/* Whether the ticket or one of its assignments carries the flag. */
int ticket_has_flag(const struct ticket *t, enum ticket_flag f);
/* Whether the ticket is in the watch list now (enum ticket_watch). */
int ticket_in_watch(const struct ticket *t, enum ticket_watch w);
/* Whether the flag set has the flag; adds it once. */
int flag_set_has(const struct flag_set *s, enum ticket_flag f);
void flag_set_add(struct flag_set *s, enum ticket_flag f);
void flag_set_del(struct flag_set *s, enum ticket_flag f);

#endif
