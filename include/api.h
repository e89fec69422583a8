/*
 * api.h: the handlers the endpoint table names, one file per resource.
 */
#ifndef SEAM_API_H
#define SEAM_API_H

#include "http.h"
#include "ticket.h"

/*
 * Queues one action (ticket.h) with the body checked against fields; the
 * answer comes after the commit. text_field names the body field that is the
 * action's text. signature: a partner's verified request signature, stolen.
 */
void api_act(struct req *r, enum ticket_action kind, const struct body_field *fields,
             const char *text_field, json_t *signature);
/*
 * The body of POST /v1/tickets, as http_fields_or_reply checks it: summary,
 * description, and a field per fact of cfg's table that the customer files
 * or the priority. out has API_TICKET_FIELDS_MAX entries; the last is the
 * {NULL} terminator.
 */
#define API_TICKET_FIELDS_MAX (FACT_MAX + 3)
void api_ticket_fields(const struct config *cfg, struct body_field *out);
/* Files a complaint (the input's strings and tmf are taken over); answers 201 after the commit. */
void api_file(struct req *r, const struct ticket_input *in, int tmf);

/*
 * Answers a ticket change that failed: 409 (conflict, or ticket_full),
 * 400, 413 or 404 (not_found's message) with what why says, else
 * http_error_from with what.
 */
void api_refusal_reply(struct req *r, enum seam_err rc, const struct ticket_refusal *why,
                       const char *not_found, const char *what);

void api_tickets_create(struct req *r);
void api_tickets_list(struct req *r);
void api_tickets_get(struct req *r);
void api_tickets_evidence(struct req *r);
void api_tickets_note(struct req *r);
void api_tickets_confirm(struct req *r);
void api_tickets_reopen(struct req *r);
void api_tickets_cancel(struct req *r);
void api_tickets_assign(struct req *r);
void api_assignments_list(struct req *r);
void api_assignments_get(struct req *r);
void api_assignments_ack(struct req *r);
void api_assignments_progress(struct req *r);
void api_assignments_need_info(struct req *r);
void api_assignments_resolve(struct req *r);
void api_assignments_handback(struct req *r);

void api_deliveries_list(struct req *r);
void api_deliveries_redeliver(struct req *r);

/*
 * The checks of a TMF621 create (tmf_input, then who files for whom) and of a
 * PATCH (tmf_patch), as the handlers make them after parsing the body: 0 with
 * *in filled (ticket_input_free) or *attrs (new reference) and *status
 * (borrowed from body); -1 after replying 400 in TMF's Error shape.
 */
int api_tmf_create_input_or_reply(struct req *r, const json_t *body, struct ticket_input *in);
int api_tmf_patch_input_or_reply(struct req *r, const json_t *body, json_t **attrs,
                                 const char **status);

void api_tmf_list(struct req *r);
void api_tmf_create(struct req *r);
void api_tmf_get(struct req *r);
void api_tmf_patch(struct req *r);
void api_tmf_delete(struct req *r);
void api_tmf_hub_add(struct req *r);
void api_tmf_hub_delete(struct req *r);

void api_rules_explain(struct req *r);
void api_rules_check(struct req *r);

void api_ops_healthz(struct req *r);
void api_ops_metrics(struct req *r);
void api_audit_checkpoint(struct req *r);
void api_audit_sla(struct req *r);
void api_audit_breaches(struct req *r);
void api_audit_proof(struct req *r);
void api_test_clock(struct req *r);

#endif
