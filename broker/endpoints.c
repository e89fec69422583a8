/*
 * endpoints.c: the endpoint table, data only (after Redis's command table).
 * Each row: method, path, handler, roles allowed, flags (http.h: the error
 * shape is one of them), body limit (0: limits.max_body_bytes), metric name
 * (unique: one series per row), and for the routes of the state machine's
 * actions, the action (api.h's struct api_action).
 *
 * An action's route is one row: its handler is api_action, its roles are
 * those of its row in ticket_actions[] (ticket.c) that may take it over this
 * route (the lead takes a customer's actions only through TMF621), and
 * ACTION names the action, the body member that is its text, a check made
 * before all others (or NULL) and the body's fields. tests/unit/test_actions.c
 * walks both tables: every action a token may take has one route (the TMF
 * update has TMF621's PATCH), with roles its row allows.
 */
#include "api.h"

#define CUSTOMER ROLE_CUSTOMER
#define LEAD ROLE_LEAD
#define AUDITOR ROLE_AUDITOR
#define PARTNER ROLE_PARTNER
#define ACT EP_BODY | EP_WRITE
#define TMF EP_TMF /* errors in TMF621's shape */

/* An action's body fields, strings all: a free text (required: not empty), or a word. */
#define TEXT(name, required)                                                                       \
    {                                                                                              \
        name, JSON_STRING, required, (size_t)(required), DESCRIPTION_MAX                           \
    }
#define WORD(name, required, max)                                                                  \
    {                                                                                              \
        name, JSON_STRING, required, 1, max                                                        \
    }
/* The corrected facts of a complaint: an object (api_actions.c checks its members). */
#define FACTS(required)                                                                            \
    {                                                                                              \
        "facts", JSON_OBJECT, required, 0, 0                                                       \
    }
/* The attachments (attach.h) a text refers to: SHA-256 names (api_actions.c checks them). */
#define ATTACH                                                                                     \
    {                                                                                              \
        "attachments", JSON_ARRAY, 0, 0, 0                                                         \
    }
/* The action a route takes: kind, text member (or NULL), check (or NULL), the body's fields. */
#define ACTION(kind, text, check, ...)                                                             \
    &(const struct api_action)                                                                     \
    {                                                                                              \
        kind, text, (const struct body_field[]){__VA_ARGS__, {NULL, 0, 0, 0, 0}}, check, NULL      \
    }

/* The same, with the text member's old name still taken in its place (api.h):
 * either name, not empty, one of them required (api_action checks that). */
#define OLD_TEXT(name)                                                                             \
    {                                                                                              \
        name, JSON_STRING, 0, 1, DESCRIPTION_MAX                                                   \
    }
#define ACTION_OLD(kind, text, old, check, ...)                                                    \
    &(const struct api_action)                                                                     \
    {                                                                                              \
        kind, text, (const struct body_field[]){__VA_ARGS__, {NULL, 0, 0, 0, 0}}, check, old       \
    }

const struct endpoint endpoints[] = {
    {"GET", "/healthz", api_ops_healthz, ROLE_PUBLIC, 0, 0, "healthz", NULL},
    {"GET", "/metrics", api_ops_metrics, ROLE_PUBLIC, 0, 0, "metrics", NULL},
    {"POST", "/v1/tickets", api_tickets_create, CUSTOMER | LEAD, EP_BODY | EP_WRITE, 16384,
     "tickets_create", NULL},
    {"GET", "/v1/tickets", api_tickets_list, CUSTOMER | LEAD, 0, 0, "tickets_list", NULL},
    {"GET", "/v1/overview", api_overview, LEAD | AUDITOR, 0, 0, "overview", NULL},
    {"GET", "/v1/tickets/{id}", api_tickets_get, CUSTOMER | LEAD, 0, 0, "tickets_get", NULL},
    {"GET", "/v1/tickets/{id}/evidence", api_tickets_evidence, CUSTOMER | PARTNER | LEAD | AUDITOR,
     0, 0, "tickets_evidence", NULL},
    {"GET", "/v1/evidence/key", api_evidence_key, CUSTOMER | PARTNER | LEAD | AUDITOR, 0, 0,
     "evidence_key", NULL},
    {"POST", "/v1/tickets/{id}/notes", api_action, CUSTOMER, ACT, 16384, "tickets_note",
     ACTION_OLD(TA_NOTE, "note", "text", NULL, OLD_TEXT("note"), OLD_TEXT("text"), ATTACH)},
    {"POST", "/v1/tickets/{id}/confirm", api_action, CUSTOMER, ACT, 4096, "tickets_confirm",
     ACTION(TA_CONFIRM, "comment", NULL, TEXT("comment", 0))},
    {"POST", "/v1/tickets/{id}/reopen", api_action, CUSTOMER, ACT, 16384, "tickets_reopen",
     ACTION(TA_REOPEN, "reason", NULL, TEXT("reason", 1), FACTS(0), ATTACH)},
    {"POST", "/v1/tickets/{id}/facts", api_action, PARTNER | LEAD, ACT, 16384, "tickets_facts",
     ACTION(TA_FACTS, "reason", NULL, TEXT("reason", 1), FACTS(1))},
    {"POST", "/v1/tickets/{id}/cancel", api_action, CUSTOMER, ACT, 16384, "tickets_cancel",
     ACTION(TA_CANCEL, "reason", NULL, TEXT("reason", 0))},
    {"POST", "/v1/tickets/{id}/assign", api_action, LEAD, ACT, 16384, "tickets_assign",
     ACTION(TA_ASSIGN, "reason", NULL, TEXT("reason", 1), WORD("partner", 1, 64))},
    {"POST", "/v1/tickets/{id}/merge", api_action, LEAD, ACT, 16384, "tickets_merge",
     ACTION(TA_MERGE, "reason", NULL, WORD("into", 1, 64), TEXT("reason", 0))},
    {"POST", "/v1/tickets/{id}/attachments", api_attachments_create, CUSTOMER | PARTNER | LEAD,
     EP_RAW | EP_WRITE, 0, "attachments_create", NULL},
    {"GET", "/v1/tickets/{id}/attachments", api_attachments_list,
     CUSTOMER | PARTNER | LEAD | AUDITOR, 0, 0, "attachments_list", NULL},
    {"GET", "/v1/tickets/{id}/attachments/{sha256}", api_attachments_get,
     CUSTOMER | PARTNER | LEAD | AUDITOR, 0, 0, "attachments_get", NULL},
    {"GET", "/v1/vocabulary", api_vocabulary, CUSTOMER | PARTNER | LEAD | AUDITOR, 0, 0,
     "vocabulary", NULL},
    {"GET", "/v1/assignments", api_assignments_list, PARTNER | LEAD, 0, 0, "assignments_list",
     NULL},
    {"GET", "/v1/assignments/{id}", api_assignments_get, PARTNER | LEAD, 0, 0, "assignments_get",
     NULL},
    {"POST", "/v1/assignments/{id}/ack", api_action, PARTNER | LEAD, ACT, 16384, "assignments_ack",
     ACTION(TA_ACK, "note", NULL, TEXT("note", 0))},
    {"POST", "/v1/assignments/{id}/progress", api_action, PARTNER | LEAD, ACT, 16384,
     "assignments_progress", ACTION(TA_PROGRESS, "note", NULL, TEXT("note", 1), ATTACH)},
    {"POST", "/v1/assignments/{id}/need-info", api_action, PARTNER | LEAD, ACT, 16384,
     "assignments_need_info", ACTION(TA_NEED_INFO, "question", NULL, TEXT("question", 1), ATTACH)},
    {"POST", "/v1/assignments/{id}/resolve", api_action, PARTNER | LEAD, ACT, 16384,
     "assignments_resolve", ACTION(TA_RESOLVE, "resolution", NULL, TEXT("resolution", 1), ATTACH)},
    {"POST", "/v1/assignments/{id}/handback", api_action, PARTNER | LEAD, ACT, 16384,
     "assignments_handback",
     ACTION(TA_HANDBACK, "note", api_handback_check, WORD("reason", 1, 32), WORD("partner", 0, 64),
            WORD("ticket", 0, 64), TEXT("note", 0), ATTACH)},
    {"GET", "/v1/deliveries", api_deliveries_list, LEAD, 0, 0, "deliveries_list", NULL},
    {"POST", "/v1/deliveries/{id}/redeliver", api_deliveries_redeliver, LEAD, ACT, 1024,
     "deliveries_redeliver", NULL},
    {"PUT", "/v1/customers/{id}/mail", api_customers_mail, CUSTOMER | LEAD, ACT, 4096,
     "customers_mail", NULL},
    {"GET", "/v1/mail/triage", api_mail_triage, LEAD, 0, 0, "mail_triage", NULL},
    {"POST", "/v1/mail/triage/{id}/attach", api_mail_triage_attach, LEAD, EP_BODY | EP_WRITE, 4096,
     "mail_triage_attach", NULL},
    {"POST", "/v1/mail/triage/{id}/file", api_mail_triage_file, LEAD, EP_BODY | EP_WRITE, 4096,
     "mail_triage_file", NULL},
    {"POST", "/v1/mail/triage/{id}/dismiss", api_mail_triage_dismiss, LEAD, EP_BODY | EP_WRITE,
     4096, "mail_triage_dismiss", NULL},
    {"POST", "/v1/rules/explain", api_rules_explain, LEAD, EP_BODY, 4096, "rules_explain", NULL},
    {"GET", "/v1/rules/check", api_rules_check, LEAD, 0, 0, "rules_check", NULL},
    {"GET", "/tmf-api/troubleTicket/v4/troubleTicket", api_tmf_list, CUSTOMER | PARTNER | LEAD, TMF,
     0, "tmf_list", NULL},
    {"POST", "/tmf-api/troubleTicket/v4/troubleTicket", api_tmf_create, CUSTOMER | LEAD,
     EP_BODY | EP_WRITE | TMF, 65536, "tmf_create", NULL},
    {"POST", "/tmf-api/troubleTicket/v4/troubleTicket/", api_tmf_create, CUSTOMER | LEAD,
     EP_BODY | EP_WRITE | TMF, 65536, "tmf_create_slash", NULL},
    {"GET", "/tmf-api/troubleTicket/v4/troubleTicket/{id}", api_tmf_get, CUSTOMER | PARTNER | LEAD,
     TMF, 0, "tmf_get", NULL},
    {"PATCH", "/tmf-api/troubleTicket/v4/troubleTicket/{id}", api_tmf_patch, CUSTOMER | LEAD,
     EP_BODY | EP_WRITE | TMF, 65536, "tmf_patch", NULL},
    {"DELETE", "/tmf-api/troubleTicket/v4/troubleTicket/{id}", api_tmf_delete, LEAD, EP_WRITE | TMF,
     0, "tmf_delete", NULL},
    {"POST", "/tmf-api/troubleTicket/v4/hub", api_tmf_hub_add, LEAD, EP_BODY | EP_WRITE | TMF, 4096,
     "tmf_hub_add", NULL},
    {"DELETE", "/tmf-api/troubleTicket/v4/hub/{id}", api_tmf_hub_delete, LEAD, EP_WRITE | TMF, 0,
     "tmf_hub_delete", NULL},
    /* A tmf621 partner's hub calls back here; the capability in the path is the credential. */
    {"POST", "/v1/ebond/{partner}/events/{capability}", api_ebond_event, ROLE_PUBLIC,
     EP_BODY | EP_WRITE, 65536, "ebond_event", NULL},
    /* TMF621 v5 (api_tmf5.c): the same tickets, v5's shapes; DELETEs are v4's handlers. */
    {"GET", "/tmf-api/troubleTicketManagement/v5/troubleTicket", api_tmf5_list,
     CUSTOMER | PARTNER | LEAD, TMF, 0, "tmf5_list", NULL},
    {"POST", "/tmf-api/troubleTicketManagement/v5/troubleTicket", api_tmf5_create, CUSTOMER | LEAD,
     EP_BODY | EP_WRITE | TMF, 65536, "tmf5_create", NULL},
    {"GET", "/tmf-api/troubleTicketManagement/v5/troubleTicket/{id}", api_tmf5_get,
     CUSTOMER | PARTNER | LEAD, TMF, 0, "tmf5_get", NULL},
    {"PATCH", "/tmf-api/troubleTicketManagement/v5/troubleTicket/{id}", api_tmf5_patch,
     CUSTOMER | LEAD, EP_BODY | EP_WRITE | TMF, 65536, "tmf5_patch", NULL},
    {"DELETE", "/tmf-api/troubleTicketManagement/v5/troubleTicket/{id}", api_tmf_delete, LEAD,
     EP_WRITE | TMF, 0, "tmf5_delete", NULL},
    {"POST", "/tmf-api/troubleTicketManagement/v5/hub", api_tmf5_hub_add, LEAD,
     EP_BODY | EP_WRITE | TMF, 4096, "tmf5_hub_add", NULL},
    {"GET", "/tmf-api/troubleTicketManagement/v5/hub/{id}", api_tmf5_hub_get, LEAD, TMF, 0,
     "tmf5_hub_get", NULL},
    {"DELETE", "/tmf-api/troubleTicketManagement/v5/hub/{id}", api_tmf_hub_delete, LEAD,
     EP_WRITE | TMF, 0, "tmf5_hub_delete", NULL},
    {"POST", "/v1/sessions", api_sessions_create, ROLE_PUBLIC, EP_BODY | EP_WRITE, 4096,
     "sessions_create", NULL},
    {"GET", "/v1/sessions/current", api_sessions_current, CUSTOMER | PARTNER | LEAD | AUDITOR, 0, 0,
     "sessions_current", NULL},
    {"DELETE", "/v1/sessions/current", api_sessions_end, CUSTOMER | PARTNER | LEAD | AUDITOR,
     EP_WRITE, 0, "sessions_end", NULL},
    {"DELETE", "/v1/sessions", api_sessions_end_all, CUSTOMER | PARTNER | LEAD | AUDITOR, EP_WRITE,
     0, "sessions_end_all", NULL},
    {"POST", "/v1/password", api_password_set, ROLE_PUBLIC, EP_BODY | EP_WRITE, 4096,
     "password_set", NULL},
    {"GET", "/v1/users", api_users_list, PARTNER | LEAD, 0, 0, "users_list", NULL},
    {"POST", "/v1/users", api_users_create, PARTNER | LEAD, EP_BODY | EP_WRITE, 4096,
     "users_create", NULL},
    {"POST", "/v1/users/{subject}/{name}/disable", api_users_disable, PARTNER | LEAD,
     EP_BODY | EP_WRITE, 1024, "users_disable", NULL},
    {"POST", "/v1/users/{subject}/{name}/reset", api_users_reset, PARTNER | LEAD,
     EP_BODY | EP_WRITE, 1024, "users_reset", NULL},
    {"PUT", "/v1/users/{subject}/{name}/key", api_users_key_set, PARTNER | LEAD | AUDITOR,
     EP_BODY | EP_WRITE, 1024, "users_key_set", NULL},
    {"DELETE", "/v1/users/{subject}/{name}/key", api_users_key_revoke, PARTNER | LEAD | AUDITOR,
     EP_WRITE, 0, "users_key_revoke", NULL},
    {"PUT", "/v1/users/{subject}/{name}/email", api_users_email_set, PARTNER | LEAD | AUDITOR,
     EP_BODY | EP_WRITE, 1024, "users_email_set", NULL},
    {"DELETE", "/v1/users/{subject}/{name}/email", api_users_email_delete, PARTNER | LEAD | AUDITOR,
     EP_WRITE, 0, "users_email_delete", NULL},
    {"POST", "/v1/test/clock", api_test_clock, LEAD, EP_BODY | EP_TEST, 1024, "test_clock", NULL},
    /* A partner: its supervisors only, its own figures (api_audit.c). */
    {"GET", "/v1/audit/sla", api_audit_sla, LEAD | AUDITOR | PARTNER, 0, 0, "audit_sla", NULL},
    {"GET", "/v1/audit/breaches", api_audit_breaches, LEAD | AUDITOR | PARTNER, 0, 0,
     "audit_breaches", NULL},
    {"GET", "/v1/audit/proof", api_audit_proof, LEAD | AUDITOR, 0, 0, "audit_proof", NULL},
    {"GET", "/v1/audit/checkpoint", api_audit_checkpoint, LEAD | AUDITOR, 0, 0, "audit_checkpoint",
     NULL},
};

const size_t n_endpoints = sizeof(endpoints) / sizeof(endpoints[0]);
_Static_assert(sizeof(endpoints) / sizeof(endpoints[0]) <= MAX_ENDPOINTS,
               "more endpoints than MAX_ENDPOINTS (http.h): raise it");
