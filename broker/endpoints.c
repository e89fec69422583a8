/*
 * endpoints.c: the endpoint table, data only (after Redis's command table).
 * Each row: method, path, handler, roles allowed, flags (http.h), body
 * limit (0: limits.max_body_bytes), metric name.
 */
#include "api.h"

#define CUSTOMER ROLE_CUSTOMER
#define LEAD ROLE_LEAD
#define AUDITOR ROLE_AUDITOR
#define PARTNER ROLE_PARTNER
#define ACT EP_BODY | EP_WRITE

const struct endpoint endpoints[] = {
    {"GET", "/healthz", api_ops_healthz, ROLE_PUBLIC, 0, 0, "healthz"},
    {"GET", "/metrics", api_ops_metrics, ROLE_PUBLIC, 0, 0, "metrics"},
    {"POST", "/v1/tickets", api_tickets_create, CUSTOMER, EP_BODY | EP_WRITE, 16384,
     "tickets_create"},
    {"GET", "/v1/tickets", api_tickets_list, CUSTOMER | LEAD | AUDITOR, 0, 0, "tickets_list"},
    {"GET", "/v1/tickets/{id}", api_tickets_get, CUSTOMER | LEAD | AUDITOR, 0, 0, "tickets_get"},
    {"GET", "/v1/tickets/{id}/evidence", api_tickets_evidence, CUSTOMER | LEAD | AUDITOR, 0, 0,
     "tickets_evidence"},
    {"GET", "/v1/audit/checkpoint", api_audit_checkpoint, LEAD | AUDITOR, 0, 0, "audit_checkpoint"},
};

const size_t n_endpoints = sizeof(endpoints) / sizeof(endpoints[0]);
