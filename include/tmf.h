/*
 * tmf.h: the TM Forum TMF621 (Trouble Ticket v4) view of seam tickets. A
 * TMF621 ticket is a seam ticket: filed, routed, worked and proven the same
 * way; the TMF attributes seam has no field of its own for (severity,
 * ticketType, name, externalId, note, relatedEntity, channel, ...) are kept
 * in the record's "tmf" object. Mapping (also in the README):
 *   severity   -> priority: Critical/Urgent -> urgent, High/Major -> high,
 *                 Medium/Normal -> normal, Low/Minor -> low (any other: 400);
 *                 a PATCH of the severity re-prioritises the ticket
 *   ticketType -> a service or symptom of that name; "connectivity" ->
 *                 service internet; "device" -> symptom equipment_fault
 *   relatedEntity role service / equipment (device, resource) / symptom,
 *                 by name or id, -> service / equipment / symptom
 *   no symptom found -> no_service (or the vocabulary's first)
 *   name (or the description's start) -> summary
 */
#ifndef SEAM_TMF_H
#define SEAM_TMF_H

#include <jansson.h>

#include "config.h"
#include "errors.h"
#include "store.h"
#include "ticket.h"
#include "tmf_note.h"

#define TMF_BASE "/tmf-api/troubleTicket/v4"

#define TMF_FIELD_MAX 256

/*
 * What is wrong with a TMF body: the error (E_INVALID_FIELD, E_MISSING_FIELD
 * or E_UNKNOWN_FIELD), the attribute as a path (note[2].text; a client's key
 * is cut to 64 bytes, between characters) and why, for http_error.
 */
struct tmf_problem {
    enum api_error code;
    char field[TMF_FIELD_MAX];
    char msg[200];
};

/*
 * Checks a create body against TMF621 v4's TroubleTicket_Create (every
 * attribute's type and bounds, down to the elements of arrays; keys the
 * schema does not know are refused at every level) and maps it onto a
 * complaint: fills in (malloc'd strings; ticket_input_free frees them) and
 * *attrs (the TMF attributes to keep; notes keep only their text: author and
 * date are seam's, see tmf_notes_stamp). On a problem returns -1 with *p
 * set and nothing allocated.
 */
int tmf_input(const struct config *cfg, const json_t *body, struct ticket_input *in, json_t **attrs,
              struct tmf_problem *p);

/*
 * Checks a PATCH body the same way: the attributes it changes (*attrs, new
 * reference; notes as in tmf_input) and the status asked for (*status,
 * borrowed from body: one of TroubleTicketStatusType's). -1 with *p set.
 */
int tmf_patch(const json_t *body, json_t **attrs, const char **status, struct tmf_problem *p);

/*
 * A JSON Patch (RFC 6902, application/json-patch+json) as the merge patch
 * tmf_patch checks (*merge, new reference): add and replace of a
 * TroubleTicket attribute ("/name") set it, remove removes it (null), and
 * add to "/note/-" appends a note (*append_notes = 1: the notes of *merge
 * are added to the ticket's, not put in their place). Any other operation
 * (move, copy, test) or path (inside an attribute) is refused: -1 with *p
 * naming the operation ([i].op, [i].path).
 */
int tmf_json_patch(const json_t *ops, json_t **merge, int *append_notes, struct tmf_problem *p);

/*
 * The facts of a complaint that a patch's attributes name (a related
 * entity of a fact's roles, the ticketType), as tmf_input maps them on
 * filing, into facts[] by enum fact with a bit each in the result: the
 * facts a patch does not name are not in it.
 */
unsigned tmf_patch_facts(const struct config *cfg, const json_t *attrs, const char *facts[]);

/* The TroubleTicket resource of a record (new reference). */
json_t *tmf_view(const struct ticket *tk);
/* The same view as JSON text (malloc'd, NUL-terminated; *len its length):
 * what a list page is made of. */
char *tmf_view_text(const struct ticket *tk, size_t *len);

/*
 * The list's filter, as TMF630 (REST API Design Guidelines, Part 1, "Query
 * Resources with attribute filtering") defines it, on the attributes seam
 * keeps: a clause per query argument, ATTR=V (equality) or ATTR.OP=V with
 * OP one of eq, gt, gte, lt, lte (the four comparisons on date attributes
 * only); V a comma-separated list of values, any of which matches (OR), as
 * do repeated equality arguments of one attribute; clauses of different
 * attributes or operators all hold (AND). The attributes, their kinds and
 * values: tmf.c's filter_attrs[] (docs/design.md lists them). Dates are
 * RFC 3339 date-times (an offset or Z) or a date alone (its midnight UTC),
 * compared by instant with a millisecond's precision.
 */
enum tmf_op { TMF_OP_EQ, TMF_OP_GT, TMF_OP_GTE, TMF_OP_LT, TMF_OP_LTE };

#define TMF_CLAUSES_MAX 32 /* clauses in one query */
#define TMF_VALUES_MAX 64  /* values of one clause (an OR list) */

struct tmf_clause {
    int attr; /* index in tmf.c's filter_attrs[] */
    enum tmf_op op;
    size_t nvalues;
    char *values[TMF_VALUES_MAX]; /* as given (equality on strings) */
    int64_t ms[TMF_VALUES_MAX];   /* the instants (date attributes) */
};

struct tmf_filter {
    size_t n;
    struct tmf_clause c[TMF_CLAUSES_MAX];
};

/*
 * Adds the query argument key=value to f (zeroed before the first). The
 * list's own arguments (fields, offset, limit) are not filters: the caller
 * keeps them out. -1 with *p set (E_BAD_PARAMETER, field: the argument's
 * name as given, cut to 64 bytes) for an attribute or operator seam does not
 * filter on, an operator the attribute does not take, an empty value, a
 * malformed date, a status or priority that is none, or too many clauses
 * or values; f is then as before.
 */
int tmf_filter_add(struct tmf_filter *f, const char *key, const char *value, struct tmf_problem *p);

/*
 * Whether the ticket passes every clause of f (arg: a struct tmf_filter),
 * judged on what tmf_view shows of it: struct ticket_filter's match.
 */
int tmf_filter_match(void *arg, const struct ticket *tk);

/*
 * Fills out (zeroed first) with what of f the lead's plain filter says too,
 * for a walk over an index: status when one clause asks for exactly one
 * status; creation times from creationDate's comparisons; and match with
 * f itself, which decides (the plain fields only narrow the walk). Returns
 * 1 when the plain fields say all f says (no clause but one status), so
 * that the walk's index keys alone decide which tickets pass.
 */
int tmf_filter_plain(const struct tmf_filter *f, struct ticket_filter *out);

/* Frees what f holds and zeroes it. */
void tmf_filter_free(struct tmf_filter *f);

/*
 * A listener's query (POST /hub's "query"), as TMF630 and MEF's
 * notification guidelines write it: clauses joined by '&', each ATTR=VALUES
 * (spaces around '=' allowed), VALUES comma-separated as OR:
 *   eventType=TroubleTicketStatusChangeEvent,TroubleTicketResolvedEvent
 *   event.troubleTicket.severity=Critical&event.troubleTicket.status=resolved
 *   event.troubleTicket.creationDate.gt=2026-01-01T00:00:00Z
 * eventType takes the names of the events seam sends (the first letter of
 * either case); event.troubleTicket.ATTR takes what the list's filter takes
 * (tmf_filter_add), judged on the ticket as the event shows it. An empty or
 * absent query: every event.
 */
struct tmf_hub_query {
    unsigned types; /* a bit per event type seam sends; 0: any */
    struct tmf_filter f;
};
/* Parses q into out (zeroed first); -1 with *p (field "query") when a clause
 * is not one of those above. Free out with tmf_hub_query_free either way. */
int tmf_hub_query_parse(const char *q, struct tmf_hub_query *out, struct tmf_problem *p);
/* Whether an event of that type about tk passes the query. */
int tmf_hub_query_match(const struct tmf_hub_query *q, const char *type, const struct ticket *tk);
void tmf_hub_query_free(struct tmf_hub_query *q);

/* Listeners (POST /hub): stored in the store. */
enum seam_err tmf_hub_add(struct store_txn *t, const char *callback, const char *query,
                          json_t **hub) SEAM_WUR;
/* The same for a face's version (4 or 5): a v5 listener receives v5's
 * events (tmf5_event) and its answer is v5's Hub (with @type). */
enum seam_err tmf_hub_add_version(struct store_txn *t, const char *callback, const char *query,
                                  int version, json_t **hub) SEAM_WUR;
enum seam_err tmf_hub_delete(struct store_txn *t, const char *id) SEAM_WUR;
/* A listener as registered, in a face's shape (version 4 or 5, whatever
 * face registered it): SEAM_ENOTFOUND if there is none of that id. */
enum seam_err tmf_hub_get(struct store_txn *t, const char *id, int version, json_t **hub) SEAM_WUR;

/*
 * After a change, in its transaction: queues the TMF events for every
 * listener: create, status change (and resolved, or information required
 * when the ticket goes pending on a question), attribute value change.
 * A fanout observer (fanout.h): main registers it; ticket.c never calls it.
 */
enum seam_err tmf_notify(struct store_txn *t, const struct ticket *tk, int status_before,
                         enum event_type event) SEAM_WUR;

/* ---- TMF621 v5 ---- */

/*
 * TMF621 v5 (tmf5.c): the TM Forum TMF621 v5 (5.0.1) face of seam tickets, beside v4
 * (tmf.h) and over the same tickets: a v5 body is checked where v5 differs
 * from v4 and turned into the v4 body it amounts to, which v4's checks and
 * actions then take (one model, one state machine); a ticket's v4 view is
 * turned into its v5 resource. Where the two versions differ:
 *   externalId (v4, a string)  <-> externalIdentifier (v5, an array of
 *       ExternalIdentifier): the record keeps both in step (the first
 *       identifier's id is the externalId), see tmf5_keep_external;
 *   relatedEntity {role, id, name, ...} <-> {role, entity: EntityRef};
 *   relatedParty {role, id, ...} <-> {role, partyOrPartyRole: PartyRef};
 *   statusChange {status, changeDate, changeReason} <-> statusChangeHistory
 *       {status, statusChangeDate, statusChangeReason};
 *   every object of the resource carries its @type (v5's Extensible).
 */
#define TMF5_BASE "/tmf-api/troubleTicketManagement/v5"

/*
 * Checks what of a v5 TroubleTicket body (create, patch: a PATCH's body or
 * the merge patch a JSON Patch amounts to) is v5's own and turns the body
 * into v4's: *v4 (new reference) for tmf_input or tmf_patch, *external
 * (new reference, or NULL when the body does not name it; JSON null when a
 * patch removes it) the externalIdentifier array with each element's @type.
 * Attributes v5 has and seam does not carry (troubleTicketSpecification,
 * troubleTicketCharacteristic), v4's own (externalId, statusChange) and,
 * in a patch, the server's statusChangeHistory are refused. -1 with *p
 * (fields named as v5 names them: relatedEntity[0].entity.id).
 */
int tmf5_body(const json_t *body, int patch, json_t **v4, json_t **external, struct tmf_problem *p);

/* Puts external (as tmf5_body gives it; NULL: nothing) into the TMF
 * attributes a create or patch keeps: externalIdentifier, and externalId
 * the first identifier's id (null when there is none). */
void tmf5_keep_external(json_t *attrs, const json_t *external);

/* The v5 TroubleTicket resource of a record (new reference). */
json_t *tmf5_view(const struct ticket *tk);
/* The same from the ticket's v4 view (taken over). */
json_t *tmf5_of_v4(json_t *v4, const struct ticket *tk);

/* A v5 hub event (new reference): @type and eventType the type, id and
 * eventId the event's id, eventTime and timeOccurred at, and the ticket's
 * v5 resource as event.troubleTicket (borrowed). */
json_t *tmf5_event(const char *type, const char *id, const char *at, json_t *ticket);

#endif
