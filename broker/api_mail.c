/*
 * api_mail.c: e-mail's endpoints. PUT /v1/customers/{id}/mail sets a
 * customer's address, language and notifications preference (the customer
 * its own, the lead any customer's); GET /v1/mail/triage is the lead's queue
 * of mail in that nothing else could take (mail_in.c), and POST
 * /v1/mail/triage/{id}/attach|file|dismiss its desk's way of emptying it,
 * each item once.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fanout.h"
#include "forward.h"
#include "log.h"
#include "mail_in.h"

struct mail_job {
    struct store_job job;
    struct req *r;
    char *email, *language;
    int notifications;
    json_t *record;
};

static void
mail_job_free(void *p)
{
    struct mail_job *mj = p;
    if (mj == NULL)
        return;
    free(mj->email);
    free(mj->language);
    json_decref(mj->record);
    free(mj);
}

static enum seam_err
mail_apply(struct store_txn *t, struct store_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    json_decref(mj->record);
    mj->record = NULL;
    return customer_set_mail(t, http_param(mj->r, 0), mj->email, mj->language, mj->notifications,
                             &mj->record);
}

static void
mail_done(struct store_job *job)
{
    struct mail_job *mj = (struct mail_job *)job;
    struct req *r = mj->r;
    if (job->rc == SEAM_OK) {
        json_t *on = json_object_get(mj->record, "notifications");
        json_t *email = json_object_get(mj->record, "email");
        http_reply(r, 200,
                   json_pack("{s:O, s:o, s:s, s:b}", "id", json_object_get(mj->record, "id"),
                             "email", email ? json_incref(email) : json_null(), "language",
                             customer_mail_language(mj->record), "notifications",
                             !json_is_false(on)));
    } else if (job->rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such customer", NULL);
    } else if (job->rc == SEAM_EEXIST) {
        http_error(r, E_ADDRESS_TAKEN, "this address is another customer's", "email");
    } else if (job->rc == SEAM_EINVAL) {
        http_error(r, E_INVALID_FIELD, "not a mail address or a language the broker writes in",
                   "email");
    } else {
        http_error_from(r, job->rc, "customer mail");
    }
    http_resume(r);
}

void
api_customers_mail(struct req *r)
{
    static const struct body_field fields[] = {
        {"email", JSON_STRING, 0, 0, 254}, {"language", JSON_STRING, 0, 2, 8}, {NULL, 0, 0, 0, 0}};
    const char *id = http_param(r, 0);
    /* A customer sets its own; another's is not there for it (404, no existence leak). */
    if (r->who.role == ROLE_CUSTOMER && strcmp(r->who.subject, id) != 0) {
        http_error(r, E_NOT_FOUND, "no such customer", NULL);
        return;
    }
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL)
        return;
    if (!json_is_object(body)) {
        http_error(r, E_INVALID_FIELD, "the body must be an object", NULL);
        json_decref(body);
        return;
    }
    int notifications = -1;
    json_t *on = json_object_get(body, "notifications");
    if (on != NULL) {
        if (!json_is_boolean(on)) {
            http_error(r, E_INVALID_FIELD, "must be true or false", "notifications");
            json_decref(body);
            return;
        }
        notifications = json_is_true(on);
        json_object_del(body, "notifications");
    }
    if (http_fields_or_reply(r, body, fields) != 0) {
        json_decref(body);
        return;
    }
    const char *email = json_string_value(json_object_get(body, "email"));
    const char *lang = json_string_value(json_object_get(body, "language"));
    if (email != NULL && email[0] != '\0' && !customer_email_valid(email)) {
        http_error(r, E_INVALID_FIELD, "not a mail address (local@domain)", "email");
        json_decref(body);
        return;
    }
    if (lang != NULL && !customer_language_valid(lang)) {
        http_error(r, E_INVALID_FIELD, "a language the broker writes mail in: en, nb", "language");
        json_decref(body);
        return;
    }
    struct mail_job *mj = xcalloc(1, sizeof(*mj));
    mj->job.apply = mail_apply;
    mj->job.done = mail_done;
    mj->r = r;
    mj->email = email ? xstrdup(email) : NULL;
    mj->language = lang ? xstrdup(lang) : NULL;
    mj->notifications = notifications;
    json_decref(body);
    http_submit(r, &mj->job, mj, mail_job_free);
}

void
api_mail_triage(struct req *r)
{
    struct store_txn *t;
    json_t *page = NULL;
    int limit = http_limit_or_reply(r, 50, 200);
    if (limit < 0)
        return;
    const char *state = http_query(r, "state");
    if (state == NULL)
        state = "open";
    if (strcmp(state, "open") != 0 && strcmp(state, "attached") != 0 &&
        strcmp(state, "filed") != 0 && strcmp(state, "dismissed") != 0 &&
        strcmp(state, "all") != 0) {
        http_error(r, E_BAD_PARAMETER, "one of open, attached, filed, dismissed, all", "state");
        return;
    }
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = mail_triage_list(t, http_query(r, "cursor"), strcmp(state, "all") ? state : NULL,
                              (unsigned)limit, &page);
        store_read_end(t);
    }
    if (rc == SEAM_EINVAL) {
        http_error(r, E_BAD_PARAMETER, "cursor must be a next_cursor value", "cursor");
        return;
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "triage");
        return;
    }
    http_reply(r, 200, page);
}

/* ---- resolving triage items ---- */

struct triage_job {
    struct store_job job;
    struct req *r;
    struct mail_triage_op op;
    char id[32], by[128];
    char *ticket, *customer, *reason;
    struct mail_triage_result res;
};

static void
triage_job_free(void *p)
{
    struct triage_job *tj = p;
    if (tj == NULL)
        return;
    free(tj->ticket);
    free(tj->customer);
    free(tj->reason);
    json_decref(tj->res.item);
    ticket_free(&tj->res.tk);
    free(tj);
}

static enum seam_err
triage_apply(struct store_txn *t, struct store_job *job)
{
    struct triage_job *tj = (struct triage_job *)job;
    struct ticket_ctx c = {tj->r->cfg, &tj->r->srv->lg, tj->r->sla};
    return mail_triage_resolve(t, &c, &tj->op, &tj->res);
}

static void
triage_done(struct store_job *job)
{
    struct triage_job *tj = (struct triage_job *)job;
    struct req *r = tj->r;
    enum seam_err rc = job->rc;
    if (rc == SEAM_OK) {
        if (tj->res.has_ticket)
            fanout_ticket_committed(&tj->res.tk);
        forward_kick(r->srv->fwd);
        log_info("req=%s triage item %s %s by=%s%s%s", r->id, tj->id, tj->op.op, tj->by,
                 tj->res.has_ticket ? " ticket=" : "", tj->res.has_ticket ? tj->res.tk.id : "");
        http_reply(r, 200, json_incref(tj->res.item));
    } else if (rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such triage item", NULL);
    } else if (rc == SEAM_ECONFLICT) {
        http_error(r, E_CONFLICT, tj->res.why, NULL);
    } else if (rc == SEAM_EINVAL) {
        http_error(r, E_INVALID_FIELD, tj->res.why, tj->res.field);
    } else {
        http_error_from(r, rc, "triage");
    }
    http_resume(r);
}

static void
triage_resolve(struct req *r, const char *op)
{
    static const struct body_field attach[] = {{"ticket", JSON_STRING, 1, 1, 64},
                                               {NULL, 0, 0, 0, 0}};
    static const struct body_field file[] = {{"customer", JSON_STRING, 0, 1, 63},
                                             {NULL, 0, 0, 0, 0}};
    static const struct body_field dismiss[] = {{"reason", JSON_STRING, 1, 1, 500},
                                                {NULL, 0, 0, 0, 0}};
    const struct body_field *fields = strcmp(op, "attach") == 0 ? attach
                                      : strcmp(op, "file") == 0 ? file
                                                                : dismiss;
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL)
        return;
    json_t *confirm = json_object_get(body, "confirm_sender");
    if (confirm != NULL && !json_is_boolean(confirm)) {
        http_error(r, E_INVALID_FIELD, "must be true or false", "confirm_sender");
        json_decref(body);
        return;
    }
    int confirmed = json_is_true(confirm);
    json_object_del(body, "confirm_sender");
    if (strcmp(op, "dismiss") == 0 && confirm != NULL) {
        http_error(r, E_INVALID_FIELD, "not a member of this request", "confirm_sender");
        json_decref(body);
        return;
    }
    if (http_fields_or_reply(r, body, fields) != 0) {
        json_decref(body);
        return;
    }
    struct triage_job *tj = xcalloc(1, sizeof(*tj));
    tj->job.apply = triage_apply;
    tj->job.done = triage_done;
    tj->r = r;
    snprintf(tj->id, sizeof(tj->id), "%s", http_param(r, 0));
    snprintf(tj->by, sizeof(tj->by), "lead:%s",
             r->who.user[0] != '\0' ? r->who.user : r->who.subject);
    const char *x;
    if ((x = json_string_value(json_object_get(body, "ticket"))) != NULL)
        tj->ticket = xstrdup(x);
    if ((x = json_string_value(json_object_get(body, "customer"))) != NULL)
        tj->customer = xstrdup(x);
    if ((x = json_string_value(json_object_get(body, "reason"))) != NULL)
        tj->reason = xstrdup(x);
    json_decref(body);
    tj->op = (struct mail_triage_op){.id = tj->id,
                                     .op = op,
                                     .ticket = tj->ticket,
                                     .customer = tj->customer,
                                     .reason = tj->reason,
                                     .confirm_sender = confirmed,
                                     .by = tj->by};
    http_submit(r, &tj->job, tj, triage_job_free);
}

void
api_mail_triage_attach(struct req *r)
{
    triage_resolve(r, "attach");
}

void
api_mail_triage_file(struct req *r)
{
    triage_resolve(r, "file");
}

void
api_mail_triage_dismiss(struct req *r)
{
    triage_resolve(r, "dismiss");
}
