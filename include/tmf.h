/*
 * tmf.h: the TM Forum TMF621 (Trouble Ticket v4) view of seam tickets. A
 * TMF621 ticket is a seam ticket: filed, routed, worked and proven the same
 * way; the TMF attributes seam has no field of its own for (severity,
 * ticketType, name, externalId, note, relatedEntity, channel, ...) are kept
 * in the record's "tmf" object. Mapping (also in the README):
 *   severity   -> priority: Critical/Urgent -> urgent, High/Major -> high,
 *                 Low/Minor -> low, anything else -> normal
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
 * The facts of a complaint that a patch's attributes name (a related
 * entity of a fact's roles, the ticketType), as tmf_input maps them on
 * filing, into facts[] by enum fact with a bit each in the result: the
 * facts a patch does not name are not in it.
 */
unsigned tmf_patch_facts(const struct config *cfg, const json_t *attrs, const char *facts[]);

/* The TroubleTicket resource of a record (new reference). */
json_t *tmf_view(const struct ticket *tk);

/* Listeners (POST /hub): stored in the store. */
enum seam_err tmf_hub_add(struct store_txn *t, const char *callback, const char *query,
                          json_t **hub) SEAM_WUR;
enum seam_err tmf_hub_delete(struct store_txn *t, const char *id) SEAM_WUR;

/*
 * After a change, in its transaction: queues the TMF events for every
 * listener: create, status change (and resolved), attribute value change.
 * A fanout observer (fanout.h): main registers it; ticket.c never calls it.
 */
enum seam_err tmf_notify(struct store_txn *t, const struct ticket *tk, int status_before,
                         enum event_type event) SEAM_WUR;

#endif
