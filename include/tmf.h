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
#include "store.h"
#include "ticket.h"

#define TMF_BASE "/tmf-api/troubleTicket/v4"

/*
 * Checks a create body and maps it onto a complaint: fills in (malloc'd
 * strings; the caller frees them) and *attrs (the TMF attributes to keep).
 * On a problem returns -1 with *field and *msg set.
 */
int tmf_input(const struct config *cfg, const json_t *body, struct ticket_input *in, json_t **attrs,
              const char **field, const char **msg);

/* Checks a PATCH body: the attributes it changes (*attrs) and the status asked for (*status). */
int tmf_patch(const json_t *body, json_t **attrs, const char **status, const char **field,
              const char **msg);

/* The TroubleTicket resource of a record (new reference). */
json_t *tmf_view(const json_t *record);

/* Listeners (POST /hub): stored in the store. */
enum seam_err tmf_hub_add(struct store_txn *t, const char *callback, const char *query,
                          json_t **hub) SEAM_WUR;
enum seam_err tmf_hub_delete(struct store_txn *t, const char *id) SEAM_WUR;

/*
 * After a change, in its transaction: queues the TMF events for every
 * listener: create, status change (and resolved), attribute value change.
 */
enum seam_err tmf_notify(struct store_txn *t, const json_t *record, const char *status_before,
                         const char *event) SEAM_WUR;

#endif
