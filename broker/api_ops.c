/*
 * api_ops.c: what operators and auditors ask of the broker itself:
 * liveness, metrics, and the latest signed checkpoint of the evidence log.
 */
#include <stdlib.h>
#include <string.h>

#include "witness_client.h"
#include "api.h"
#include "log.h"
#include "replica.h"
#include "scheduler.h"
#include "ticket.h"

void
api_ops_healthz(struct req *r)
{
    struct store_txn *t;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "healthz read");
        return;
    }
    store_read_end(t);
    json_t *body = json_pack("{s:s, s:I}", "status", "ok", "uptime_s",
                             (json_int_t)((now_ms() - r->srv->started_ms) / 1000));
    if (r->srv->replica != NULL) {
        /* replicated: which role this node has, for a load balancer that sends writes to the
         * leader (replica.h) */
        struct replica_state st;
        replica_state(r->srv->replica, &st);
        json_object_set_new(body, "role", json_string(st.leads ? "leader" : "standby"));
        json_object_set_new(body, "leader", json_string(st.leader));
    }
    http_reply(r, 200, body);
}

void
api_ops_metrics(struct req *r)
{
    if (http_metrics_access_or_reply(r) != 0)
        return;
    char *text = http_metrics_text(r->srv);
    http_reply_raw(r, 200, "text/plain; version=0.0.4", text, strlen(text));
}

void
api_audit_checkpoint(struct req *r)
{
    struct store_txn *t;
    uint64_t size = 0, cos_size;
    char *note = NULL, *cosigned = NULL;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = evlog_checkpoint(t, &size, &note);
        if (rc == SEAM_OK) /* the witnesses' cosignatures, as stored: a restart keeps them */
            rc = evlog_cosigned_latest(t, &cos_size, &cosigned);
        store_read_end(t);
    }
    if (rc != SEAM_OK) {
        free(note);
        http_error_from(r, rc, "checkpoint read");
        return;
    }
    char *pk = keys_public_b64(&r->srv->keys);
    json_t *body =
        json_pack("{s:s, s:I, s:o, s:s, s:s+}", "origin", r->cfg->federation, "tree_size",
                  (json_int_t)size, "checkpoint", note ? json_string(note) : json_null(),
                  "public_key", pk, "webhook_public_key", "whpk_", pk);
    json_object_set_new(body, "cosigned_checkpoint",
                        cosigned ? json_string(cosigned) : json_null());
    json_object_set_new(body, "witnesses", witness_client_status());
    free(cosigned);
    free(note);
    free(pk);
    http_reply(r, 200, body);
}

/*
 * The broker's public key and the evidence log's origin, to whoever is signed
 * in: what a page checks a ticket's evidence with, from an answer of its own
 * (the evidence document names its key too, but a document cannot vouch for
 * itself).
 */
void
api_evidence_key(struct req *r)
{
    char *pk = keys_public_b64(&r->srv->keys);
    http_reply(r, 200, json_pack("{s:s, s:s}", "origin", r->cfg->federation, "public_key", pk));
    free(pk);
}

/* The test clock: moves the broker's time forward (seam-broker -T only). */
void
api_test_clock(struct req *r)
{
    static const struct body_field f[] = {
        {"advance_ms", JSON_INTEGER, 0, 0, 0}, {"to", JSON_STRING, 0, 1, 40}, {NULL, 0, 0, 0, 0}};
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL || http_fields_or_reply(r, body, f) != 0) {
        json_decref(body);
        return;
    }
    json_int_t ms = json_integer_value(json_object_get(body, "advance_ms"));
    const char *to = json_string_value(json_object_get(body, "to"));
    if (to != NULL) {
        int64_t target = ticket_parse_time(to);
        ms = target < 0 ? -1 : target - now_ms();
    }
    json_decref(body);
    if (ms < 0 || ms > 366LL * 86400000 || clock_advance(ms) != 0) {
        http_error(r, E_INVALID_FIELD, "the clock moves forward only, by at most a year",
                   to ? "to" : "advance_ms");
        return;
    }
    scheduler_kick(r->srv->scheduler);
    char now[32];
    format_time_ms(now_ms(), now);
    http_reply(r, 200, json_pack("{s:s}", "now", now));
}
