/*
 * api_actions.c: the routes of the state machine's actions (ticket.h's
 * ticket_actions[]), on tickets (note, confirm, reopen, cancel, assign, merge) and
 * on assignments (ack, progress, need-info, resolve, hand back). Their rows
 * in the endpoint table (endpoints.c) all name one handler, api_action,
 * and each points at its action's HTTP side (api.h's struct api_action):
 * the action, the body's fields, the member that is its text, an early
 * check. Adding an action reached over HTTP is one row of the endpoint
 * table, with its row and apply function in ticket.c.
 *
 * Acting is staged: the handler makes the change on its own thread against
 * a snapshot (the record, the signed event), and the writer only checks
 * that nothing it read has moved and stores it (store.h). A partner
 * configured with a signing key signs every action; the signature is
 * checked here, and recorded (against replays) in the action's own
 * transaction. A staff user holding a personal signing key (users.h) may
 * sign the same way, naming itself ("t=T,s=SIG,u=SUBJECT/NAME"): its
 * signature then stands for the partner's, and goes into the event as
 * "user_signature".
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "attach.h"
#include "fanout.h"
#include "json_fast.h"
#include "log.h"
#include "replay.h"
#include "ticket.h"
#include "users.h"

static char *
opt_dup(const json_t *body, const char *key)
{
    const char *s = json_string_value(json_object_get(body, key));
    return s ? xstrdup(s) : NULL;
}

struct act_job {
    struct store_job job;
    struct req *r;
    struct ticket_action_req a;
    char *text, *partner, *ticket_ref;
    char *facts[FACT_MAX]; /* a.facts' copies */
    char **attachments;    /* a.attachments' copies */
    struct ticket tk;      /* the ticket after the action */
    struct ticket_refusal why;
    int is_signed;         /* by a partner: its signature is recorded with the action */
    struct replay_sig sig; /* is_signed */
    enum seam_err refused; /* the signature's: SEAM_EEXIST replayed, SEAM_EBUSY over the bound */
};

static void
act_job_free(void *p)
{
    struct act_job *aj = p;
    if (aj == NULL)
        return;
    free(aj->text);
    free(aj->partner);
    free(aj->ticket_ref);
    for (size_t k = 0; k < FACT_MAX; k++)
        free(aj->facts[k]);
    for (size_t i = 0; i < aj->a.nattachments; i++)
        free(aj->attachments[i]);
    free(aj->attachments);
    json_decref(aj->a.signature);
    ticket_free(&aj->tk);
    free(aj);
}

static enum seam_err
act_apply(struct store_txn *t, struct store_job *job)
{
    struct act_job *aj = (struct act_job *)job;
    struct ticket_ctx c = {aj->r->cfg, &aj->r->srv->lg, aj->r->sla};
    ticket_free(&aj->tk);
    aj->refused = SEAM_OK;
    /* The signature is recorded first, in the action's own transaction: a
     * replay is refused as such, and a refused action records nothing. */
    if (aj->is_signed) {
        enum seam_err rc = replay_record(t, &aj->sig, aj->r->cfg->max_signed_per_partner);
        if (rc == SEAM_EEXIST || rc == SEAM_EBUSY)
            aj->refused = rc;
        if (rc != SEAM_OK)
            return rc;
    }
    return ticket_act(t, &c, &aj->r->who, &aj->a, &aj->tk, &aj->why);
}

/*
 * A body's "facts" (correcting a complaint, reopening with what it is now):
 * an object of the facts a complaint gives, each a value of its vocabulary
 * (null clears an optional one), at least one. Copied into aj; 0, or -1
 * after replying 400 with the field named ("facts.service").
 */
static int
facts_or_reply(struct req *r, const json_t *body, struct act_job *aj)
{
    const json_t *facts = json_object_get(body, "facts");
    const struct config *cfg = r->cfg;
    const char *key;
    json_t *v;
    char field[64];
    if (facts == NULL || json_is_null(facts))
        return 0;
    if (json_object_size(facts) == 0) {
        http_error(r, E_INVALID_FIELD, "name at least one fact", "facts");
        return -1;
    }
    json_object_foreach((json_t *)facts, key, v)
    {
        size_t k = 0;
        while (k < cfg->nfact_kinds && strcmp(cfg->fact_kinds[k].name, key) != 0)
            k++;
        snprintf(field, sizeof(field), "facts.%.50s", key);
        if (k == cfg->nfact_kinds || !fact_from_complaint(&cfg->fact_kinds[k])) {
            http_error(r, E_UNKNOWN_FIELD,
                       k == cfg->nfact_kinds
                           ? "not a fact of a complaint"
                           : "this fact comes from the customer record, not the complaint",
                       field);
            return -1;
        }
        if (json_is_null(v) && !cfg->fact_kinds[k].optional) {
            http_error(r, E_INVALID_FIELD, "this fact cannot be left out", field);
            return -1;
        }
        if (!json_is_null(v) &&
            (!json_is_string(v) || !strlist_has(&cfg->vocab[k], json_string_value(v)))) {
            http_error(r, E_INVALID_FIELD, "not a value of the federation's vocabulary", field);
            return -1;
        }
        aj->facts[k] = json_is_null(v) ? NULL : xstrdup(json_string_value(v));
        aj->a.facts[k] = aj->facts[k];
        aj->a.facts_given |= 1u << k;
    }
    return 0;
}

/*
 * A body's "attachments": the SHA-256 names of attachments of the ticket
 * (attach.h), each once, at most limits.max_attachments_per_ticket.
 * Copied into aj; 0, or -1 after replying 400.
 */
static int
attachments_or_reply(struct req *r, const json_t *body, struct act_job *aj)
{
    const json_t *list = json_object_get(body, "attachments"), *v;
    size_t i, n = json_array_size(list);
    if (n == 0)
        return 0;
    if (n > r->cfg->max_attachments_per_ticket) {
        http_error(r, E_INVALID_FIELD, "more than limits.max_attachments_per_ticket",
                   "attachments");
        return -1;
    }
    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(v);
        int again = 0;
        for (size_t k = 0; name != NULL && k < i; k++)
            again |= strcmp(name, json_string_value(json_array_get(list, k))) == 0;
        if (!attach_name_valid(name) || again) {
            http_error(r, E_INVALID_FIELD,
                       again ? "names an attachment twice"
                             : "each must be an attachment's SHA-256 (64 lower-case hex digits)",
                       "attachments");
            return -1;
        }
    }
    aj->attachments = xcalloc(n, sizeof(*aj->attachments));
    json_array_foreach(list, i, v) aj->attachments[i] = xstrdup(json_string_value(v));
    aj->a.attachments = (const char *const *)aj->attachments;
    aj->a.nattachments = n;
    return 0;
}

static void
signed_limit_reply(struct req *r)
{
    http_error(r, E_SIGNED_LIMIT,
               "this partner has as many signed requests within the replay window as "
               "limits.max_signed_per_partner allows; retry when older ones expire",
               NULL);
}

/* Builds the answer, on the request's own thread once it is resumed. */
static void
act_finish(struct req *r)
{
    struct act_job *aj = r->job;
    struct store_job *job = &aj->job;
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    struct store_txn *t;
    if (job->rc != SEAM_OK && job->rc == aj->refused) {
        if (aj->refused == SEAM_EEXIST)
            http_error(r, E_UNAUTHORIZED, "this signed request was replayed", NULL);
        else
            signed_limit_reply(r);
        return;
    }
    switch (job->rc) {
    case SEAM_OK:
        /* The owner of a claim gets its assignment back; others the ticket. */
        if (ticket_actions[aj->a.kind].on_assignment &&
            store_read_begin(r->srv->store, &t) == SEAM_OK) {
            size_t len = 0;
            char *text = ticket_assignment_text(t, &c, &aj->tk, aj->a.target, &len);
            /* and the action's own signed event (the action wrote the last), as a member
             * added to the assignment's text */
            struct json_text out = {0};
            if (text != NULL && len >= 2 && text[len - 1] == '}') {
                json_text_add(&out, text, len - 1);
                size_t mark = out.len;
                json_text_lit(&out, ",\"action_event\":");
                if (aj->tk.events == 0 ||
                    ticket_event_text(t, &aj->tk, aj->tk.events - 1, &out) != 0)
                    out.len = mark;
                json_text_lit(&out, "}");
            } else {
                json_text_lit(&out, "{}");
            }
            store_read_end(t);
            free(text);
            http_reply_json_text(r, 200, out.data, out.len);
        } else if (r->who.role == ROLE_PARTNER) {
            /* A partner correcting the facts: what it may know, not a
             * customer's or the lead's view of the ticket. */
            json_t *facts = json_object();
            for (size_t k = 0; k < c.cfg->nfact_kinds && k < SEAM_FACTS_MAX; k++)
                if (fact_from_complaint(&c.cfg->fact_kinds[k]))
                    json_object_set_new(facts, c.cfg->fact_kinds[k].name,
                                        aj->tk.facts[k] ? json_string(aj->tk.facts[k])
                                                        : json_null());
            http_reply(r, 200,
                       json_pack("{s:s, s:s, s:I, s:o}", "id", aj->tk.id, "status",
                                 ticket_statuses[aj->tk.status].name, "round",
                                 (json_int_t)aj->tk.round, "facts", facts));
        } else {
            size_t len;
            char *text = ticket_view_text(&c, &aj->tk, &r->who, &len);
            http_reply_json_text(r, 200, text, len);
        }
        break;
    default:
        api_refusal_reply(r, job->rc, &aj->why, "no such ticket or assignment", "ticket action");
    }
}

/* On the writer's thread, after the commit: wake the owners, hand back. */
static void
act_done(struct store_job *job)
{
    struct act_job *aj = (struct act_job *)job;
    if (job->rc == SEAM_OK)
        fanout_ticket_committed(&aj->tk);
    http_resume_to(aj->r, act_finish);
}

/*
 * A user's signature, header "t=T,s=SIG,u=SUBJECT/NAME": the signer must be
 * the acting user or, on its principal's own token, one of the principal's
 * users (who then is the acting user, proven by the signature); active,
 * holding a signing key the signature verifies with. 0 and *out as
 * auth_partner_signature() gives it, with "user"; or -1 after replying.
 */
static int
user_signature_or_reply(struct req *r, const char *header, json_t **out)
{
    const char *u = strstr(header, ",u=");
    char core[256], signer[USER_ID_MAX + 1], subject[64], name[USER_NAME_MAX + 1];
    uint8_t pk[32];
    json_t *user = NULL;
    struct store_txn *t;
    const char *why = "malformed seam-signature header (t=TIMESTAMP,s=BASE64,u=USER)";
    size_t n = (size_t)(u - header);
    if (n >= sizeof(core) || strlen(u + 3) > USER_ID_MAX ||
        users_id_split(u + 3, subject, name) != 0)
        goto refuse;
    memcpy(core, header, n);
    core[n] = '\0';
    snprintf(signer, sizeof(signer), "%s", u + 3);
    why = "the request is signed by another user than the one acting";
    /* The lead's own tokens name a person or a machine; its users are the lead company's. */
    const char *home = r->who.role == ROLE_LEAD ? r->cfg->lead.id : r->who.subject;
    if (r->who.user[0] != '\0' ? strcmp(r->who.user, signer) != 0 : strcmp(subject, home) != 0)
        goto refuse;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = users_load(t, signer, &user);
        store_read_end(t);
    }
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND) {
        http_error_from(r, rc, "signature");
        return -1;
    }
    const char *role = json_string_value(json_object_get(user, "role"));
    const char *kind = json_string_value(json_object_get(user, "kind"));
    why = "the signing user holds no active signing key";
    if (rc != SEAM_OK || role == NULL || kind == NULL ||
        auth_role_parse(role) != (int)r->who.role || strlen(kind) >= sizeof(r->who.kind) ||
        users_key_get(user, pk) != 0)
        goto refuse;
    if (auth_partner_signature(pk, core, r->method, r->path, r->body, r->body_len, out, &why) !=
        SEAM_OK)
        goto refuse;
    json_object_set_new(*out, "user", json_string(signer));
    if (r->who.user[0] == '\0') { /* the principal's token, acting as its signing user */
        snprintf(r->who.user, sizeof(r->who.user), "%s", signer);
        snprintf(r->who.kind, sizeof(r->who.kind), "%s", kind);
    }
    json_decref(user);
    return 0;
refuse:
    log_info("req=%s user signature refused principal=%s: %s", r->id, r->who.subject, why);
    json_decref(user);
    http_error(r, E_UNAUTHORIZED, why, NULL);
    return -1;
}

void
api_action(struct req *r)
{
    const struct api_action *act = r->ep->action;
    json_t *body = NULL, *signature = NULL;
    /* The action's own check comes first, on a body it requires. */
    if (act->check != NULL) {
        body = http_body_json_or_reply(r);
        if (body == NULL || act->check(r, body) != 0) {
            json_decref(body);
            return;
        }
    }
    /* A partner configured with a signing key signs every action; its
     * signature goes into the event, so what it said is its own. A user's
     * own signature stands for it. */
    const char *sighdr = http_header_value(r, "seam-signature");
    if (sighdr != NULL && strstr(sighdr, ",u=") != NULL) {
        if (user_signature_or_reply(r, sighdr, &signature) != 0) {
            json_decref(body);
            return;
        }
    } else if (r->who.role == ROLE_PARTNER) {
        const struct config_partner *p = config_partner_find(r->cfg, r->who.subject);
        const char *why = NULL;
        if (p != NULL && p->has_signing_key &&
            auth_partner_signature(p->signing_key, http_header_value(r, "seam-signature"),
                                   r->method, r->path, r->body, r->body_len, &signature,
                                   &why) != SEAM_OK) {
            http_error(r, E_UNAUTHORIZED, why, NULL);
            json_decref(body);
            return;
        }
    }
    if (body == NULL)
        body = http_body_json_optional_or_reply(r);
    if (body == NULL || http_fields_or_reply(r, body, act->fields) != 0) {
        json_decref(body);
        json_decref(signature);
        return;
    }
    /* One name for a note's text ("note"); the old one still taken in its place. */
    const char *text_member = act->text;
    if (act->old_text != NULL) {
        json_t *now = json_object_get(body, act->text), *old = json_object_get(body, act->old_text);
        const char *why = NULL, *field = act->text;
        enum api_error e = E_INVALID_FIELD;
        if (now != NULL && old != NULL) {
            why = "the text is given once: as note (its old name, text, is still taken alone)";
            field = act->old_text;
        } else if (now == NULL && old == NULL) {
            why = "the text is required (note)";
            e = E_MISSING_FIELD;
        } else if (now == NULL) { /* (its bounds are the fields': not empty) */
            text_member = act->old_text;
        }
        if (why != NULL) {
            http_error(r, e, why, field);
            json_decref(body);
            json_decref(signature);
            return;
        }
    }
    struct replay_sig sig;
    if (signature != NULL) {
        /* Refused early when the store says so now; the action's own
         * transaction records the signature and judges again. */
        struct store_txn *t;
        int used = 0, full = 0;
        /* A user's signature is its company's (the signer's SUBJECT), not the token's subject:
         * the lead's tokens each have their own, and one of its user's signed requests must not
         * be taken again through another of them. */
        char signer[64];
        const char *user = json_string_value(json_object_get(signature, "user"));
        const char *slash = user ? strchr(user, '/') : NULL;
        snprintf(signer, sizeof(signer), "%.*s", slash ? (int)(slash - user) : 63,
                 slash ? user : r->who.subject);
        enum seam_err rc = replay_sig_from(signer, signature, &sig);
        if (rc == SEAM_OK && (rc = store_read_begin(r->srv->store, &t)) == SEAM_OK) {
            used = replay_used(t, &sig);
            full = replay_full(t, sig.partner, r->cfg->max_signed_per_partner);
            store_read_end(t);
        }
        if (rc != SEAM_OK || used || full) {
            if (rc != SEAM_OK)
                http_error_from(r, rc, "signature");
            else if (used)
                http_error(r, E_UNAUTHORIZED, "this signed request was replayed", NULL);
            else
                signed_limit_reply(r);
            json_decref(body);
            json_decref(signature);
            return;
        }
    }
    struct act_job *aj = xcalloc(1, sizeof(*aj));
    aj->is_signed = signature != NULL;
    if (aj->is_signed)
        aj->sig = sig;
    aj->job.apply = act_apply;
    aj->job.done = act_done;
    aj->r = r;
    aj->a.kind = act->kind;
    aj->a.target = http_param(r, 0);
    aj->text = text_member ? opt_dup(body, text_member) : NULL;
    aj->partner = opt_dup(body, "partner");
    /* The ticket a request names: a duplicate's original, or the one merged into. */
    aj->ticket_ref = opt_dup(body, act->kind == TA_MERGE ? "into" : "ticket");
    aj->a.text = aj->text;
    aj->a.partner = aj->partner;
    aj->a.reason = handback_reason_parse(json_string_value(json_object_get(body, "reason")));
    aj->a.ticket_ref = aj->ticket_ref;
    aj->a.signature = signature;
    if (facts_or_reply(r, body, aj) != 0 || attachments_or_reply(r, body, aj) != 0) {
        json_decref(body);
        act_job_free(aj);
        return;
    }
    json_decref(body);
    enum seam_err staged = store_stage_job(r->srv->store, &aj->job);
    if (staged == SEAM_ELIMIT || staged == SEAM_ETOOBIG) {
        /* A ticket at its limits is refused here, on the snapshot taken after
         * the request came (a refusal changes nothing, so that is its place
         * in the order): the writer spends nothing on a full ticket. */
        aj->job.rc = staged;
        r->job = aj;
        r->job_free = act_job_free;
        act_finish(r);
        return;
    }
    /* Any other failure is the writer's to answer. */
    http_submit(r, &aj->job, aj, act_job_free);
}
