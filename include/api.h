/*
 * api.h: the handlers the endpoint table names, one file per resource.
 */
#ifndef SEAM_API_H
#define SEAM_API_H

#include "http.h"
#include "ticket.h"

/*
 * The HTTP side of an action of the state machine (ticket.h's
 * ticket_actions[]). Its route is a row of the endpoint table
 * (endpoints.c): path, roles (those of the action's row that may take it
 * over this route), body limit and metric name are the row's, the handler
 * is api_action, and the row's action member points at one of these for
 * the rest. So an action reached over HTTP is one endpoint row (and its row
 * and apply function in ticket.c); tests/unit/test_actions.c checks that the
 * two tables agree.
 */
struct api_action {
    enum ticket_action kind;
    const char *text;                /* the body member that is the action's text; NULL: none */
    const struct body_field *fields; /* the body, as http_fields_or_reply checks it */
    /*
     * NULL, or a check of the body made first, before a partner's signature
     * and the fields are (a body is then required): 0, or -1 after replying.
     */
    int (*check)(struct req *r, const json_t *body);
    /*
     * NULL, or the old name of the text member, still taken in its place
     * (not beside it): a note's text is "note" on every action, and a
     * customer's note took "text". With it, the text is required (not
     * empty) under one name or the other.
     */
    const char *old_text;
};

/*
 * The handler of every action route: checks a signing partner's signature
 * and the body as r->ep->action says, then queues the action; the answer
 * (the ticket, or the owner's assignment) comes after the commit.
 */
void api_action(struct req *r);
/* The hand-back's check: a reason, if given as a string, is a known one. */
int api_handback_check(struct req *r, const json_t *body);
/*
 * The body of POST /v1/tickets, as http_fields_or_reply checks it: summary,
 * description, and a field per fact of cfg's table that the customer files
 * or the priority. out has API_TICKET_FIELDS_MAX entries; the last is the
 * {NULL} terminator.
 */
#define API_TICKET_FIELDS_MAX (FACT_MAX + 3)
void api_ticket_fields(const struct config *cfg, struct body_field *out);
/* Files a complaint (the input's strings and tmf are taken over); answers 201 after the commit,
 * as /v1 (tmf 0) or TMF621 v4 (1) or v5 (5) answer. */
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
void api_overview(struct req *r);
void api_tickets_get(struct req *r);
void api_tickets_evidence(struct req *r);
void api_assignments_list(struct req *r);
void api_assignments_get(struct req *r);

/* api_attachments.c: a ticket's attachments (attach.h): upload, list, one */
void api_attachments_create(struct req *r);
void api_attachments_list(struct req *r);
void api_attachments_get(struct req *r);

void api_deliveries_list(struct req *r);
void api_deliveries_redeliver(struct req *r);
/* api_mail.c: a customer's mail settings; the lead's triage queue of mail in */
void api_customers_mail(struct req *r);
void api_mail_triage(struct req *r);
void api_mail_triage_attach(struct req *r);
void api_mail_triage_file(struct req *r);
void api_mail_triage_dismiss(struct req *r);

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
/* A tmf621 partner's hub event (api_ebond.c). */
void api_ebond_event(struct req *r);
/* The same handlers for a face: v5 nonzero for TMF621 v5 (tmf.h, "TMF621 v5"; api_tmf5.c). */
void api_tmf_list_version(struct req *r, int v5);
void api_tmf_create_version(struct req *r, int v5);
void api_tmf_get_version(struct req *r, int v5);
void api_tmf_patch_version(struct req *r, int v5);
void api_tmf_hub_add_version(struct req *r, int v5);
void api_tmf5_list(struct req *r);
void api_tmf5_create(struct req *r);
void api_tmf5_get(struct req *r);
void api_tmf5_patch(struct req *r);
void api_tmf5_hub_add(struct req *r);
void api_tmf5_hub_get(struct req *r);

void api_rules_explain(struct req *r);
void api_rules_check(struct req *r);
void api_vocabulary(struct req *r);

void api_ops_healthz(struct req *r);
void api_ops_metrics(struct req *r);
void api_audit_checkpoint(struct req *r);
void api_evidence_key(struct req *r);
void api_audit_sla(struct req *r);
void api_audit_breaches(struct req *r);
void api_audit_proof(struct req *r);
void api_test_clock(struct req *r);

void api_sessions_create(struct req *r);
void api_sessions_current(struct req *r);
void api_sessions_end(struct req *r);
void api_sessions_end_all(struct req *r);
void api_password_set(struct req *r);
void api_users_list(struct req *r);
void api_users_create(struct req *r);
void api_users_disable(struct req *r);
void api_users_reset(struct req *r);
void api_users_key_set(struct req *r);
void api_users_key_revoke(struct req *r);
void api_users_email_set(struct req *r);
void api_users_email_delete(struct req *r);

#endif
