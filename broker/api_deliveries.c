/*
 * api_deliveries.c: the lead's view of push deliveries: list them (failed
 * ones are the dead letters) and send one again.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "forward.h"
#include "outbox.h"

void
api_deliveries_list(struct req *r)
{
    static const char *const states[] = {"pending", "delivered", "failed", "disabled", NULL};
    static const char *const channels[] = {"webhook", "tmf", "mail", "ebond", NULL};
    const char *state, *channel, *partner = http_query(r, "partner");
    const char *cursor = http_query(r, "cursor");
    struct store_txn *t;
    json_t *page = NULL;
    int limit = http_limit_or_reply(r, 50, 200);
    if (limit < 0 || http_enum_or_reply(r, "state", states, "a delivery state", &state) != 0 ||
        http_enum_or_reply(r, "channel", channels, "a delivery channel", &channel) != 0)
        return;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = outbox_list_channel(t, state, partner, channel, cursor, (unsigned)limit, &page);
        store_read_end(t);
    }
    if (rc == SEAM_EINVAL) {
        http_error(r, E_BAD_PARAMETER, "cursor must be a next_cursor value", "cursor");
        return;
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "deliveries");
        return;
    }
    /* The body is what was sent; show it as JSON rather than as a string. */
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(page, "items"), i, m)
    {
        json_object_set_new(m, "channel", json_string(outbox_channel(m)));
        if (json_object_get(m, "rcpt") != NULL)
            continue; /* an e-mail: its body is the message's text */
        json_t *body = json_loads(json_string_value(json_object_get(m, "body")), 0, NULL);
        json_object_set_new(m, "body", body ? body : json_null());
    }
    http_reply(r, 200, page);
}

struct redeliver_job {
    struct store_job job;
    struct req *r;
    json_t *message;
};

static void
redeliver_free(void *p)
{
    struct redeliver_job *rj = p;
    if (rj == NULL)
        return;
    json_decref(rj->message);
    free(rj);
}

static enum seam_err
redeliver_apply(struct store_txn *t, struct store_job *job)
{
    struct redeliver_job *rj = (struct redeliver_job *)job;
    json_decref(rj->message);
    rj->message = NULL;
    return outbox_redeliver(t, http_param(rj->r, 0), &rj->message);
}

static void
redeliver_done(struct store_job *job)
{
    struct redeliver_job *rj = (struct redeliver_job *)job;
    struct req *r = rj->r;
    if (job->rc == SEAM_OK) {
        forward_kick(r->srv->fwd);
        json_object_del(rj->message, "body");
        http_reply(r, 200, json_incref(rj->message));
    } else if (job->rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such delivery", NULL);
    } else {
        http_error_from(r, job->rc, "redeliver");
    }
    http_resume(r);
}

void
api_deliveries_redeliver(struct req *r)
{
    static const struct body_field none[] = {{NULL, 0, 0, 0, 0}};
    json_t *body = http_body_json_optional_or_reply(r);
    int bad = body == NULL || http_fields_or_reply(r, body, none) != 0;
    json_decref(body);
    if (bad)
        return;
    struct redeliver_job *rj = xcalloc(1, sizeof(*rj));
    rj->job.apply = redeliver_apply;
    rj->job.done = redeliver_done;
    rj->r = r;
    http_submit(r, &rj->job, rj, redeliver_free);
}
