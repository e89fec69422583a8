/*
 * api_mail.c: e-mail's endpoints. PUT /v1/customers/{id}/mail sets a
 * customer's address, language and notifications preference (the customer
 * its own, the lead any customer's); GET /v1/mail/triage is the lead's queue
 * of mail in that nothing else could take (mail_in.c).
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
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
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = mail_triage_list(t, http_query(r, "cursor"), (unsigned)limit, &page);
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
