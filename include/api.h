/*
 * api.h: the handlers the endpoint table names, one file per resource.
 */
#ifndef SEAM_API_H
#define SEAM_API_H

#include "http.h"

void api_tickets_create(struct req *r);
void api_tickets_list(struct req *r);
void api_tickets_get(struct req *r);
void api_tickets_evidence(struct req *r);
void api_tickets_note(struct req *r);
void api_tickets_confirm(struct req *r);
void api_tickets_reopen(struct req *r);
void api_tickets_cancel(struct req *r);
void api_tickets_assign(struct req *r);
void api_assignments_ack(struct req *r);
void api_assignments_resolve(struct req *r);

void api_rules_explain(struct req *r);
void api_rules_check(struct req *r);

void api_ops_healthz(struct req *r);
void api_ops_metrics(struct req *r);
void api_audit_checkpoint(struct req *r);

#endif
