/*
 * tmf5.h: the TM Forum TMF621 v5 (5.0.1) face of seam tickets, beside v4
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
 * It knows no HTTP.
 */
#ifndef SEAM_TMF5_H
#define SEAM_TMF5_H

#include <jansson.h>

#include "tmf.h"

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
