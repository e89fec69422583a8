/*
 * api_ebond.c: the callback a tmf621 partner's hub calls (ebond.h):
 * POST /v1/ebond/{partner}/events/{capability} with a TMF621 v4 event
 * ({"eventType", "event": {"troubleTicket": {...}}}). The capability is the
 * credential: one per partner and listener, of which the store keeps only
 * the hash; a wrong one is 401, another partner's 403, and neither changes
 * anything. The TroubleTicket's externalId names the claim: another
 * partner's claim is 403, no claim 404. Otherwise its status becomes the
 * claim's actions (ebond_apply), in one write; 200 says what was done.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "ebond.h"
#include "ebond_client.h"
#include "fanout.h"
#include "log.h"

struct ebond_job {
    struct store_job job;
    struct req *r;
    const struct config_partner *p;
    json_t *tt;
    struct ticket tk;
    struct ebond_outcome o;
    struct ticket_refusal why;
};

static void
ebond_job_free(void *arg)
{
    struct ebond_job *j = arg;
    if (j == NULL)
        return;
    json_decref(j->tt);
    ticket_free(&j->tk);
    free(j);
}

static enum seam_err
ebond_job_apply(struct store_txn *t, struct store_job *job)
{
    struct ebond_job *j = (struct ebond_job *)job;
    struct ticket_ctx c = {j->r->cfg, &j->r->srv->lg, j->r->sla};
    ticket_free(&j->tk);
    return ebond_apply(t, &c, j->p, j->tt, &j->tk, &j->o, &j->why);
}

static void
ebond_job_done(struct store_job *job)
{
    struct ebond_job *j = (struct ebond_job *)job;
    struct req *r = j->r;
    ebond_client_count_event(j->p->id, ebond_client_outcome(job->rc, &j->o));
    switch (job->rc) {
    case SEAM_OK:
        if (j->tk.id[0] != '\0')
            fanout_ticket_committed(&j->tk);
        http_reply(r, 200,
                   json_pack("{s:s, s:s, s:i, s:b}", "assignment", j->o.assignment, "status",
                             j->o.status, "actions", j->o.acted, "unknown_status", j->o.unknown));
        break;
    case SEAM_ECONFLICT:
        log_warnx("ebond: callback refused partner=%s assignment=%s: %s", j->p->id, j->o.assignment,
                  j->why.message ? j->why.message : "state");
        if (j->o.forbidden)
            http_error(r, E_FORBIDDEN, j->why.message, "event.troubleTicket.externalId");
        else
            api_refusal_reply(r, job->rc, &j->why, "no such claim", "ebond event");
        break;
    case SEAM_EINVAL:
        http_error(r, E_INVALID_FIELD, "a TroubleTicket with id, externalId and status",
                   "event.troubleTicket");
        break;
    default:
        api_refusal_reply(r, job->rc, &j->why, "no such claim", "ebond event");
    }
    http_resume(r);
}

void
api_ebond_event(struct req *r)
{
    const char *partner = http_param(r, 0), *cap = http_param(r, 1);
    const struct config_partner *p = config_partner_find(r->cfg, partner);
    struct store_txn *t;
    int verdict = 401;
    /* The credential first: nothing of the body is read for a caller without it. */
    if (p != NULL && p->delivery == DELIVERY_TMF621 &&
        store_read_begin(r->srv->store, &t) == SEAM_OK) {
        verdict = ebond_capability_check(t, r->cfg, partner, cap);
        store_read_end(t);
    } else if (p == NULL || p->delivery != DELIVERY_TMF621) {
        /* Not a tmf621 partner: the capability may still be another's. */
        if (store_read_begin(r->srv->store, &t) == SEAM_OK) {
            verdict = ebond_capability_check(t, r->cfg, "", cap) == 403 ? 403 : 401;
            store_read_end(t);
        }
    }
    if (verdict != 0) {
        log_warnx("ebond: callback refused partner=%.64s: %s", partner ? partner : "",
                  verdict == 403 ? "another partner's capability" : "no listener has it");
        if (verdict == 403)
            http_error(r, E_FORBIDDEN, "this capability is another partner's", NULL);
        else
            http_error(r, E_UNAUTHORIZED, "no listener of this partner has this capability", NULL);
        return;
    }
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL)
        return;
    json_t *tt = json_object_get(json_object_get(body, "event"), "troubleTicket");
    if (!json_is_object(tt)) {
        http_error(r, E_MISSING_FIELD, "an event carries its TroubleTicket", "event.troubleTicket");
        json_decref(body);
        return;
    }
    struct ebond_job *j = xcalloc(1, sizeof(*j));
    j->job.apply = ebond_job_apply;
    j->job.done = ebond_job_done;
    j->r = r;
    j->p = p;
    j->tt = json_incref(tt);
    json_decref(body);
    http_submit(r, &j->job, j, ebond_job_free);
}
