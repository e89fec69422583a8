/*
 * endpoints.c: the endpoint table, data only (after Redis's command table).
 * Each row: method, path, handler, roles allowed, flags (http.h: the error
 * shape is one of them), body
 * limit (0: limits.max_body_bytes), metric name (unique: one series per row).
 */
#include "api.h"

#define CUSTOMER ROLE_CUSTOMER
#define LEAD ROLE_LEAD
#define AUDITOR ROLE_AUDITOR
#define PARTNER ROLE_PARTNER
#define ACT EP_BODY | EP_WRITE
#define TMF EP_TMF /* errors in TMF621's shape */

const struct endpoint endpoints[] = {
    {"GET", "/healthz", api_ops_healthz, ROLE_PUBLIC, 0, 0, "healthz"},
    {"GET", "/metrics", api_ops_metrics, ROLE_PUBLIC, 0, 0, "metrics"},
    {"POST", "/v1/tickets", api_tickets_create, CUSTOMER, EP_BODY | EP_WRITE, 16384,
     "tickets_create"},
    {"GET", "/v1/tickets", api_tickets_list, CUSTOMER | LEAD, 0, 0, "tickets_list"},
    {"GET", "/v1/tickets/{id}", api_tickets_get, CUSTOMER | LEAD, 0, 0, "tickets_get"},
    {"GET", "/v1/tickets/{id}/evidence", api_tickets_evidence, CUSTOMER | PARTNER | LEAD | AUDITOR,
     0, 0, "tickets_evidence"},
    {"POST", "/v1/tickets/{id}/notes", api_tickets_note, CUSTOMER, ACT, 16384, "tickets_note"},
    {"POST", "/v1/tickets/{id}/confirm", api_tickets_confirm, CUSTOMER, ACT, 4096,
     "tickets_confirm"},
    {"POST", "/v1/tickets/{id}/reopen", api_tickets_reopen, CUSTOMER, ACT, 16384, "tickets_reopen"},
    {"POST", "/v1/tickets/{id}/cancel", api_tickets_cancel, CUSTOMER, ACT, 16384, "tickets_cancel"},
    {"POST", "/v1/tickets/{id}/assign", api_tickets_assign, LEAD, ACT, 16384, "tickets_assign"},
    {"GET", "/v1/assignments", api_assignments_list, PARTNER | LEAD, 0, 0, "assignments_list"},
    {"GET", "/v1/assignments/{id}", api_assignments_get, PARTNER | LEAD, 0, 0, "assignments_get"},
    {"POST", "/v1/assignments/{id}/ack", api_assignments_ack, PARTNER | LEAD, ACT, 16384,
     "assignments_ack"},
    {"POST", "/v1/assignments/{id}/progress", api_assignments_progress, PARTNER | LEAD, ACT, 16384,
     "assignments_progress"},
    {"POST", "/v1/assignments/{id}/need-info", api_assignments_need_info, PARTNER | LEAD, ACT,
     16384, "assignments_need_info"},
    {"POST", "/v1/assignments/{id}/resolve", api_assignments_resolve, PARTNER | LEAD, ACT, 16384,
     "assignments_resolve"},
    {"POST", "/v1/assignments/{id}/handback", api_assignments_handback, PARTNER | LEAD, ACT, 16384,
     "assignments_handback"},
    {"GET", "/v1/deliveries", api_deliveries_list, LEAD, 0, 0, "deliveries_list"},
    {"POST", "/v1/deliveries/{id}/redeliver", api_deliveries_redeliver, LEAD, ACT, 1024,
     "deliveries_redeliver"},
    {"POST", "/v1/rules/explain", api_rules_explain, LEAD, EP_BODY, 4096, "rules_explain"},
    {"GET", "/v1/rules/check", api_rules_check, LEAD, 0, 0, "rules_check"},
    {"GET", "/tmf-api/troubleTicket/v4/troubleTicket", api_tmf_list, CUSTOMER | PARTNER | LEAD, TMF,
     0, "tmf_list"},
    {"POST", "/tmf-api/troubleTicket/v4/troubleTicket", api_tmf_create, CUSTOMER | LEAD,
     EP_BODY | EP_WRITE | TMF, 65536, "tmf_create"},
    {"POST", "/tmf-api/troubleTicket/v4/troubleTicket/", api_tmf_create, CUSTOMER | LEAD,
     EP_BODY | EP_WRITE | TMF, 65536, "tmf_create_slash"},
    {"GET", "/tmf-api/troubleTicket/v4/troubleTicket/{id}", api_tmf_get, CUSTOMER | PARTNER | LEAD,
     TMF, 0, "tmf_get"},
    {"PATCH", "/tmf-api/troubleTicket/v4/troubleTicket/{id}", api_tmf_patch, CUSTOMER | LEAD,
     EP_BODY | EP_WRITE | TMF, 65536, "tmf_patch"},
    {"DELETE", "/tmf-api/troubleTicket/v4/troubleTicket/{id}", api_tmf_delete, LEAD, EP_WRITE | TMF,
     0, "tmf_delete"},
    {"POST", "/tmf-api/troubleTicket/v4/hub", api_tmf_hub_add, LEAD, EP_BODY | EP_WRITE | TMF, 4096,
     "tmf_hub_add"},
    {"DELETE", "/tmf-api/troubleTicket/v4/hub/{id}", api_tmf_hub_delete, LEAD, EP_WRITE | TMF, 0,
     "tmf_hub_delete"},
    {"POST", "/v1/test/clock", api_test_clock, LEAD, EP_BODY | EP_TEST, 1024, "test_clock"},
    {"GET", "/v1/audit/sla", api_audit_sla, LEAD | AUDITOR, 0, 0, "audit_sla"},
    {"GET", "/v1/audit/breaches", api_audit_breaches, LEAD | AUDITOR, 0, 0, "audit_breaches"},
    {"GET", "/v1/audit/proof", api_audit_proof, LEAD | AUDITOR, 0, 0, "audit_proof"},
    {"GET", "/v1/audit/checkpoint", api_audit_checkpoint, LEAD | AUDITOR, 0, 0, "audit_checkpoint"},
};

const size_t n_endpoints = sizeof(endpoints) / sizeof(endpoints[0]);
