/*
 * api_ops.c: what operators and auditors ask of the broker itself:
 * liveness, metrics, and the latest signed checkpoint of the evidence log.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"

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
    http_reply(r, 200,
               json_pack("{s:s, s:I}", "status", "ok", "uptime_s",
                         (json_int_t)((now_ms() - r->srv->started_ms) / 1000)));
}

void
api_ops_metrics(struct req *r)
{
    char *text = http_metrics_text(r->srv);
    http_reply_raw(r, 200, "text/plain; version=0.0.4", text, strlen(text));
}

void
api_audit_checkpoint(struct req *r)
{
    struct store_txn *t;
    uint64_t size = 0;
    char *note = NULL;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = evlog_checkpoint(t, &size, &note);
        store_read_end(t);
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "checkpoint read");
        return;
    }
    char *pk = keys_public_b64(&r->srv->keys);
    json_t *body = json_pack("{s:s, s:I, s:o, s:s}", "origin", r->srv->cfg->federation, "tree_size",
                             (json_int_t)size, "checkpoint", note ? json_string(note) : json_null(),
                             "public_key", pk);
    free(note);
    free(pk);
    http_reply(r, 200, body);
}
