/*
 * api_tmf.c: the TMF621 Trouble Ticket v4 face under /tmf-api/troubleTicket/v4.
 * The same tickets, tokens, routing, state machine and evidence as /v1;
 * errors in TMF621's Error shape (http.c does that for this path). A
 * customer sees its own tickets, a partner those it has claims on, the
 * lead all; a customer or the lead (for a customer named in relatedParty)
 * files; only the lead deletes, which cancels and erases nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "attach.h"
#include "fanout.h"
#include "json_fast.h"
#include "tmf.h"

/* ?fields=a,b: only those attributes (exactly), as the conformance kit expects;
 * v5's resource keeps its id, href and @type (v5's Extensible requires @type). */
static json_t *
select_fields(json_t *view, const char *fields, int v5)
{
    if (fields == NULL || fields[0] == '\0')
        return view;
    json_t *out = json_object();
    if (v5) {
        const char *always[] = {"id", "href", "@type"};
        for (size_t i = 0; i < 3; i++)
            if (json_object_get(view, always[i]))
                json_object_set(out, always[i], json_object_get(view, always[i]));
    }
    char *copy = xstrdup(fields), *save = NULL;
    for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
        while (*f == ' ')
            f++;
        json_t *v = json_object_get(view, f);
        if (v != NULL)
            json_object_set(out, f, v);
    }
    free(copy);
    json_decref(view);
    return out;
}

/*
 * The list: the tickets who may see, newest first, that pass the filter
 * (tmf.h's, TMF630's attribute filtering), a page of them from offset, and
 * how many pass in all (X-Total-Count) when that is known cheaply: the walk
 * ends within the page, or the rest is counted within TMF_COUNT_WORK steps
 * (query.c's ticket_walk_count: on the index keys alone when they decide
 * the filter, reading no record; a quarter of that reading records
 * otherwise). A broad filter on a large store answers its page without it. The filter is a struct
 * ticket_filter (its match decides; its plain fields narrow the walk) and the walk query.c's
 * ticket_walk, so that an index can serve it.
 */
#define TMF_COUNT_WORK 2048

struct list_ctx {
    struct req *r;
    json_t *items;        /* the page as a tree when fields= selects attributes */
    struct json_arr page; /* else as text, written straight from each ticket */
    long offset, limit, total, shown;
    const char *fields;
    int v5;                       /* TMF621 v5's resource (tmf.h, "TMF621 v5"), else v4's */
    int more;                     /* a ticket passes past the page */
    char last[TICKET_ID_LEN + 1]; /* the last ticket counted in total */
};

static int
list_one(void *ctx, const struct ticket *tk)
{
    struct list_ctx *l = ctx;
    if (l->total >= l->offset + l->limit) {
        l->more = 1; /* the page is full: the rest is counted apart, or not */
        return 1;
    }
    if (l->total >= l->offset) {
        if (l->items != NULL) {
            json_array_append_new(
                l->items, select_fields(l->v5 ? tmf5_view(tk) : tmf_view(tk), l->fields, l->v5));
        } else {
            size_t n;
            char *text = tmf_view_text(tk, &n);
            json_arr_raw(&l->page, text, n);
            free(text);
        }
        l->shown++;
    }
    l->total++;
    memcpy(l->last, tk->id, sizeof(l->last));
    return 0;
}

static long
long_param(struct req *r, const char *name, long dflt, long max, int *bad)
{
    const char *s = http_query(r, name);
    char *end;
    if (s == NULL)
        return dflt;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > max) {
        if (!*bad)
            http_error(r, E_BAD_PARAMETER, "not a valid number here", name);
        *bad = 1;
    }
    return v;
}

/* Every query argument but the list's own is a filter clause; the first problem is kept. */
struct filter_ctx {
    struct tmf_filter *f;
    struct tmf_problem p;
    int bad;
};

static void
filter_arg(void *cls, const char *key, const char *value)
{
    struct filter_ctx *fc = cls;
    if (!strcmp(key, "fields") || !strcmp(key, "offset") || !strcmp(key, "limit") || fc->bad)
        return;
    if (tmf_filter_add(fc->f, key, value, &fc->p) != 0)
        fc->bad = 1;
}

void
api_tmf_list_version(struct req *r, int v5)
{
    int bad = 0;
    struct list_ctx l = {r, NULL, JSON_ARR_INIT, 0, 0, 0, 0, http_query(r, "fields"), v5, 0, ""};
    struct store_txn *t;
    struct tmf_filter *tf = xcalloc(1, sizeof(*tf));
    struct filter_ctx fc = {tf, {0}, 0};
    struct ticket_filter f;
    l.offset = long_param(r, "offset", 0, 1000000000, &bad);
    l.limit = long_param(r, "limit", 100, 1000, &bad);
    if (!bad)
        http_query_each(r, filter_arg, &fc);
    if (!bad && fc.bad)
        http_error(r, fc.p.code, fc.p.msg, fc.p.field);
    if (bad || fc.bad) {
        tmf_filter_free(tf);
        free(tf);
        return;
    }
    int exact = tmf_filter_plain(tf, &f);
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    if ((l.fields != NULL && l.fields[0] != '\0') || v5)
        l.items = json_array();
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    /* The walk goes on until the page is full and one more passes, or to the end (then the
     * count is the total); past the page, the index keys count the rest when they decide the
     * filter, within TMF_COUNT_WORK steps. */
    int counted = 0;
    char from[TICKET_ID_LEN + 1], resume[TICKET_ID_LEN + 1];
    if (rc == SEAM_OK) {
        const char *cursor = NULL;
        while ((rc = ticket_walk(t, &c, &r->who, &f, cursor, list_one, &l, resume)) == SEAM_OK &&
               resume[0] != '\0' && !l.more) {
            memcpy(from, resume, sizeof(from));
            cursor = from;
        }
        counted = rc == SEAM_OK && !l.more;
        if (rc == SEAM_OK && l.more) {
            unsigned long rest = 0, all = 0;
            if (exact)
                f.match = NULL; /* the keys decide (tmf_filter_plain) */
            /* Every ticket of the filter at once, where one key's count is kept (index.h) */
            if (exact &&
                ticket_walk_count(t, &c, &r->who, &f, NULL, TMF_COUNT_WORK, &all, &counted) ==
                    SEAM_OK &&
                counted)
                l.total = (long)all;
            else if (ticket_walk_count(t, &c, &r->who, &f, l.total ? l.last : NULL,
                                       exact ? TMF_COUNT_WORK : TMF_COUNT_WORK / 4, &rest,
                                       &counted) == SEAM_OK &&
                     counted)
                l.total += (long)rest;
            else
                counted = 0;
        }
        store_read_end(t);
    }
    tmf_filter_free(tf);
    free(tf);
    if (rc != SEAM_OK) {
        json_decref(l.items);
        json_arr_free(&l.page);
        http_error_from(r, rc, "tmf list");
        return;
    }
    char n[32];
    snprintf(n, sizeof(n), "%ld", l.total);
    if (counted)
        http_header(r, "X-Total-Count", n);
    snprintf(n, sizeof(n), "%ld", l.shown);
    http_header(r, "X-Result-Count", n);
    if (l.items != NULL) {
        http_reply(r, 200, l.items);
        return;
    }
    size_t len;
    char *text = json_arr_finish(&l.page, &len);
    http_reply_json_text(r, 200, text, len);
}

void
api_tmf_list(struct req *r)
{
    api_tmf_list_version(r, 0);
}

int
api_tmf_create_input_or_reply(struct req *r, const json_t *body, struct ticket_input *in)
{
    struct tmf_problem p;
    json_t *attrs = NULL, *party;
    const char *customer = NULL;
    size_t i;
    if (tmf_input(r->cfg, body, in, &attrs, &p) != 0) {
        http_error(r, p.code, p.msg, p.field);
        return -1;
    }
    in->tmf = attrs;
    /* A ticket's limits, said here with the attribute (ticket_create checks them too). */
    const struct config *cfg = r->cfg;
    json_t *notes = json_object_get(attrs, "note"), *att = json_object_get(attrs, "attachment");
    size_t natt = att == NULL ? 0 : json_is_array(att) ? json_array_size(att) : 1;
    if (json_array_size(notes) > cfg->max_notes_per_ticket ||
        natt > cfg->max_attachments_per_ticket) {
        char m[128];
        int many_notes = json_array_size(notes) > cfg->max_notes_per_ticket;
        snprintf(m, sizeof(m), "a ticket holds at most %u %s (limits.%s)",
                 many_notes ? cfg->max_notes_per_ticket : cfg->max_attachments_per_ticket,
                 many_notes ? "notes" : "attachments",
                 many_notes ? "max_notes_per_ticket" : "max_attachments_per_ticket");
        http_error(r, E_TICKET_FULL, m, many_notes ? "note" : "attachment");
        ticket_input_free(in);
        memset(in, 0, sizeof(*in));
        return -1;
    }
    /* The lead files for a customer named in relatedParty. */
    json_array_foreach(json_object_get(body, "relatedParty"), i, party)
    {
        const char *role = json_string_value(json_object_get(party, "role"));
        if (role && strcasecmp(role, "customer") == 0)
            customer = json_string_value(json_object_get(party, "id"));
    }
    if (r->who.role == ROLE_LEAD && customer == NULL) {
        http_error(r, E_MISSING_FIELD, "the lead names the customer: relatedParty role customer",
                   "relatedParty");
    } else if (r->who.role == ROLE_CUSTOMER && customer && strcmp(customer, r->who.subject)) {
        http_error(r, E_INVALID_FIELD, "a customer files for itself", "relatedParty");
    } else {
        in->customer = customer ? xstrdup(customer) : NULL;
        in->channel = ticket_channels[CH_TMF621];
        return 0;
    }
    ticket_input_free(in);
    memset(in, 0, sizeof(*in));
    return -1;
}

void
api_tmf_create_version(struct req *r, int v5)
{
    json_t *body = http_body_json_or_reply(r), *external = NULL;
    struct ticket_input in;
    if (body == NULL)
        return;
    if (v5) { /* v5's own shapes, as the v4 body they amount to (tmf.h, "TMF621 v5") */
        struct tmf_problem p;
        json_t *v4;
        if (tmf5_body(body, 0, &v4, &external, &p) != 0) {
            http_error(r, p.code, p.msg, p.field[0] ? p.field : NULL);
            json_decref(body);
            return;
        }
        json_decref(body);
        body = v4;
    }
    if (api_tmf_create_input_or_reply(r, body, &in) == 0) {
        tmf5_keep_external(in.tmf, external);
        api_file(r, &in, v5 ? 5 : 1);
    }
    json_decref(external);
    json_decref(body);
}

/*
 * The ticket's attachments (attach.h) the caller may read, as TMF621
 * AttachmentRefOrValue references after those the filing carried: id the
 * SHA-256, url and href where the broker serves it, name, mimeType, size.
 */
static void
tmf_attachments_add(json_t *view, const struct ticket *tk, const json_t *list,
                    const struct principal *who)
{
    json_t *m, *arr = json_object_get(view, "attachment");
    size_t i;
    json_array_foreach(list, i, m)
    {
        if (!ticket_attachment_visible(tk, m, who))
            continue;
        const char *sha = json_string_value(json_object_get(m, "sha256"));
        char *url = xasprintf("/v1/tickets/%s/attachments/%s", tk->id, sha);
        if (arr == NULL) {
            arr = json_array();
            json_object_set_new(view, "attachment", arr);
        }
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:O, s:O, s:{s:O, s:s}, s:s}", "id", sha, "href", url,
                           "url", url, "name", json_object_get(m, "name"), "mimeType",
                           json_object_get(m, "type"), "size", "amount", json_object_get(m, "size"),
                           "units", "bytes", "@type", "AttachmentRef"));
        free(url);
    }
}

void
api_tmf_create(struct req *r)
{
    api_tmf_create_version(r, 0);
}

void
api_tmf_get_version(struct req *r, int v5)
{
    struct store_txn *t;
    struct ticket tk;
    json_t *files = NULL;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = ticket_load(t, http_param(r, 0), &tk);
        if (rc == SEAM_OK && attach_list(t, tk.id, &files) != SEAM_OK)
            files = NULL; /* the ticket without them; the attachments' own list says why */
        store_read_end(t);
    }
    if (rc == SEAM_OK && !ticket_visible(&tk, &r->who)) {
        ticket_free(&tk);
        rc = SEAM_ENOTFOUND;
    }
    if (rc != SEAM_OK) {
        json_decref(files);
        if (rc == SEAM_ENOTFOUND)
            http_error(r, E_NOT_FOUND, "no such trouble ticket", NULL);
        else
            http_error_from(r, rc, "tmf get");
        return;
    }
    json_t *view = tmf_view(&tk);
    tmf_attachments_add(view, &tk, files, &r->who);
    json_decref(files);
    if (v5)
        view = tmf5_of_v4(view, &tk);
    http_reply(r, 200, select_fields(view, http_query(r, "fields"), v5));
    ticket_free(&tk);
}

void
api_tmf_get(struct req *r)
{
    api_tmf_get_version(r, 0);
}

/* PATCH and DELETE: one job, one or two actions in one transaction. */
struct tmf_job {
    struct store_job job;
    struct req *r;
    json_t *attrs;
    char *status, *reason;
    int delete;
    int append_notes; /* a JSON Patch's add /note/- */
    int v5;           /* answer with v5's resource */
    struct ticket tk; /* the ticket after the change */
    struct ticket_refusal why;
};

static void
tmf_job_free(void *p)
{
    struct tmf_job *j = p;
    if (j == NULL)
        return;
    json_decref(j->attrs);
    free(j->status);
    free(j->reason);
    ticket_free(&j->tk);
    free(j);
}

/* The action a status asks for, or -1 when the state machine moves it itself. */
static int
status_action(const struct principal *who, const char *status)
{
    if (strcmp(status, "cancelled") == 0)
        return TA_CANCEL;
    if (who->role == ROLE_CUSTOMER && strcmp(status, "closed") == 0)
        return TA_CONFIRM;
    if (who->role == ROLE_CUSTOMER && strcmp(status, "inProgress") == 0)
        return TA_REOPEN;
    return -1;
}

static enum seam_err
tmf_apply(struct store_txn *t, struct store_job *job)
{
    struct tmf_job *j = (struct tmf_job *)job;
    struct server *srv = j->r->srv;
    struct ticket_ctx c = {j->r->cfg, &srv->lg, j->r->sla};
    enum seam_err rc = SEAM_OK;
    int have = 0; /* j->tk holds a ticket */
    /* Attributes that carry the complaint's facts (a related entity, the
     * ticketType) correct them as /v1's facts do: a new round is routed on
     * them, so both faces show and route the same facts; with a reopen,
     * the reopen takes them. */
    struct ticket_action_req fa = {
        .kind = TA_FACTS, .target = http_param(j->r, 0), .text = j->reason};
    int reopen = j->status != NULL && status_action(&j->r->who, j->status) == TA_REOPEN;
    ticket_free(&j->tk);
    if (j->attrs != NULL && json_object_size(j->attrs) > 0) {
        struct ticket_action_req a = {.kind = TA_TMF_UPDATE,
                                      .target = http_param(j->r, 0),
                                      .tmf = j->attrs,
                                      .tmf_append_notes = j->append_notes};
        if ((rc = ticket_act(t, &c, &j->r->who, &a, &j->tk, &j->why)) != SEAM_OK)
            return rc;
        have = 1;
        fa.facts_given = tmf_patch_facts(j->r->cfg, j->attrs, fa.facts);
        int differs = 0;
        for (size_t k = 0; k < FACT_MAX && k < SEAM_FACTS_MAX; k++)
            if ((fa.facts_given & (1u << k)) &&
                (j->tk.facts[k] == NULL || strcmp(j->tk.facts[k], fa.facts[k]) != 0))
                differs = 1;
        if (!differs)
            fa.facts_given = 0;
        if (differs && !reopen) {
            ticket_free(&j->tk);
            have = 0;
            if ((rc = ticket_act(t, &c, &j->r->who, &fa, &j->tk, &j->why)) != SEAM_OK)
                return rc;
            have = 1;
        }
    }
    if (j->status != NULL || j->delete) {
        int kind = j->delete ? TA_CANCEL : status_action(&j->r->who, j->status);
        if (kind < 0) {
            j->why.message = "this status is set by the work on the ticket, not by a request";
            j->why.field = "status";
            return SEAM_ECONFLICT;
        }
        struct ticket_action_req a = {
            .kind = (enum ticket_action)kind, .target = http_param(j->r, 0), .text = j->reason};
        if (kind == TA_REOPEN) { /* what it is now, if the patch says */
            memcpy(a.facts, fa.facts, sizeof(a.facts));
            a.facts_given = fa.facts_given;
        }
        ticket_free(&j->tk);
        have = 0;
        if ((rc = ticket_act(t, &c, &j->r->who, &a, &j->tk, &j->why)) == SEAM_OK)
            have = 1;
    }
    if (rc == SEAM_OK && !have) { /* an empty patch: the ticket as it is */
        if ((rc = ticket_load(t, http_param(j->r, 0), &j->tk)) == SEAM_OK &&
            !ticket_visible(&j->tk, &j->r->who)) {
            ticket_free(&j->tk);
            rc = SEAM_ENOTFOUND;
        }
    }
    return rc;
}

/* The answer to a change (the job's result). */
static void
tmf_answer(struct req *r, struct tmf_job *j)
{
    struct store_job *job = &j->job;
    switch (job->rc) {
    case SEAM_OK:
        fanout_ticket_committed(&j->tk);
        if (j->delete)
            http_reply_empty(r, 204);
        else
            http_reply(r, 200, j->v5 ? tmf5_view(&j->tk) : tmf_view(&j->tk));
        break;
    default:
        api_refusal_reply(r, job->rc, &j->why, "no such trouble ticket", "tmf change");
    }
}

static void
tmf_done(struct store_job *job)
{
    struct tmf_job *j = (struct tmf_job *)job;
    tmf_answer(j->r, j);
    http_resume(j->r);
}

static void
tmf_submit(struct req *r, struct tmf_job *j)
{
    j->job.apply = tmf_apply;
    j->job.done = tmf_done;
    j->r = r;
    /* Staged as /v1's actions are; a ticket at its limits is refused here,
     * on the snapshot, and the writer spends nothing on it (api_action). */
    enum seam_err staged = store_stage_job(r->srv->store, &j->job);
    if (staged == SEAM_ELIMIT || staged == SEAM_ETOOBIG) {
        j->job.rc = staged;
        r->job = j;
        r->job_free = tmf_job_free;
        tmf_answer(r, j);
        return;
    }
    http_submit(r, &j->job, j, tmf_job_free);
}

int
api_tmf_patch_input_or_reply(struct req *r, const json_t *body, json_t **attrs, const char **status)
{
    struct tmf_problem p;
    if (tmf_patch(body, attrs, status, &p) != 0) {
        http_error(r, p.code, p.msg, p.field);
        return -1;
    }
    return 0;
}

/* The request's media type is application/json-patch+json (RFC 6902). */
static int
is_json_patch(struct req *r)
{
    const char *ct = http_header_value(r, "Content-Type");
    static const char jp[] = "application/json-patch+json";
    return ct != NULL && strncasecmp(ct, jp, sizeof(jp) - 1) == 0 &&
           (ct[sizeof(jp) - 1] == '\0' || ct[sizeof(jp) - 1] == ';');
}

void
api_tmf_patch_version(struct req *r, int v5)
{
    int json_patch = is_json_patch(r);
    json_t *body = json_patch ? http_body_json_array_or_reply(r) : http_body_json_or_reply(r);
    json_t *attrs = NULL, *external = NULL;
    const char *status = NULL;
    int append_notes = 0;
    if (body == NULL)
        return;
    if (json_patch) { /* RFC 6902: as the merge patch it amounts to */
        struct tmf_problem p;
        json_t *merge;
        if (tmf_json_patch(body, &merge, &append_notes, &p) != 0) {
            http_error(r, p.code, p.msg, p.field[0] ? p.field : NULL);
            json_decref(body);
            return;
        }
        json_decref(body);
        body = merge;
    }
    if (v5) { /* v5's own shapes, as the v4 body they amount to (tmf.h, "TMF621 v5") */
        struct tmf_problem p;
        json_t *v4;
        if (tmf5_body(body, 1, &v4, &external, &p) != 0) {
            http_error(r, p.code, p.msg, p.field[0] ? p.field : NULL);
            json_decref(body);
            return;
        }
        json_decref(body);
        body = v4;
    }
    if (api_tmf_patch_input_or_reply(r, body, &attrs, &status) != 0) {
        json_decref(body);
        json_decref(external);
        return;
    }
    tmf5_keep_external(attrs, external);
    json_decref(external);
    struct tmf_job *j = xcalloc(1, sizeof(*j));
    j->attrs = attrs;
    j->v5 = v5;
    j->append_notes = append_notes;
    j->status = status ? xstrdup(status) : NULL;
    const char *reason = json_string_value(json_object_get(body, "statusChangeReason"));
    j->reason = xstrdup(reason ? reason : "changed through TMF621");
    json_decref(body);
    tmf_submit(r, j);
}

void
api_tmf_patch(struct req *r)
{
    api_tmf_patch_version(r, 0);
}

void
api_tmf_delete(struct req *r)
{
    struct tmf_job *j = xcalloc(1, sizeof(*j));
    j->delete = 1;
    j->reason = xstrdup("deleted through TMF621 (cancelled; the evidence stays)");
    tmf_submit(r, j);
}

/* ---- the hub ---- */

struct hub_job {
    struct store_job job;
    struct req *r;
    int v5; /* a v5 listener: v5's events */
    char *callback, *query;
    json_t *hub;
};

static void
hub_job_free(void *p)
{
    struct hub_job *h = p;
    if (h == NULL)
        return;
    free(h->callback);
    free(h->query);
    json_decref(h->hub);
    free(h);
}

static enum seam_err
hub_apply(struct store_txn *t, struct store_job *job)
{
    struct hub_job *h = (struct hub_job *)job;
    json_decref(h->hub);
    h->hub = NULL;
    if (h->callback == NULL)
        return tmf_hub_delete(t, http_param(h->r, 0));
    return tmf_hub_add_version(t, h->callback, h->query, h->v5 ? 5 : 4, &h->hub);
}

static void
hub_done(struct store_job *job)
{
    struct hub_job *h = (struct hub_job *)job;
    struct req *r = h->r;
    if (job->rc == SEAM_OK && h->hub != NULL) {
        r->location = xasprintf("%s/hub/%s", h->v5 ? TMF5_BASE : TMF_BASE,
                                json_string_value(json_object_get(h->hub, "id")));
        http_reply(r, 201, json_incref(h->hub));
    } else if (job->rc == SEAM_OK) {
        http_reply_empty(r, 204);
    } else if (job->rc == SEAM_ENOTFOUND) {
        http_error(r, E_NOT_FOUND, "no such listener", NULL);
    } else {
        http_error_from(r, job->rc, "hub");
    }
    http_resume(r);
}

void
api_tmf_hub_add_version(struct req *r, int v5)
{
    static const struct body_field f[] = {{"callback", JSON_STRING, 1, 8, 2048},
                                          {"query", JSON_STRING, 0, 0, 2048},
                                          {NULL, 0, 0, 0, 0}};
    /* v5's Hub_FVO is Extensible too */
    static const struct body_field f5[] = {{"callback", JSON_STRING, 1, 8, 2048},
                                           {"query", JSON_STRING, 0, 0, 2048},
                                           {"@type", JSON_STRING, 0, 1, 128},
                                           {"@baseType", JSON_STRING, 0, 1, 128},
                                           {"@schemaLocation", JSON_STRING, 0, 1, 2048},
                                           {NULL, 0, 0, 0, 0}};
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL || http_fields_or_reply(r, body, v5 ? f5 : f) != 0) {
        json_decref(body);
        return;
    }
    const char *cb = json_string_value(json_object_get(body, "callback"));
    if (strncmp(cb, "http://", 7) != 0 && strncmp(cb, "https://", 8) != 0) {
        http_error(r, E_INVALID_FIELD, "callback is an http:// or https:// URL", "callback");
        json_decref(body);
        return;
    }
    const char *q = json_string_value(json_object_get(body, "query"));
    struct tmf_hub_query *hq = xcalloc(1, sizeof(*hq));
    struct tmf_problem p;
    int bad = tmf_hub_query_parse(q, hq, &p);
    tmf_hub_query_free(hq);
    free(hq);
    if (bad) {
        http_error(r, p.code, p.msg, p.field);
        json_decref(body);
        return;
    }
    struct hub_job *h = xcalloc(1, sizeof(*h));
    h->job.apply = hub_apply;
    h->job.done = hub_done;
    h->r = r;
    h->v5 = v5;
    h->callback = xstrdup(cb);
    h->query = q ? xstrdup(q) : NULL;
    json_decref(body);
    http_submit(r, &h->job, h, hub_job_free);
}

void
api_tmf_hub_add(struct req *r)
{
    api_tmf_hub_add_version(r, 0);
}

void
api_tmf_hub_delete(struct req *r)
{
    struct hub_job *h = xcalloc(1, sizeof(*h));
    h->job.apply = hub_apply;
    h->job.done = hub_done;
    h->r = r;
    http_submit(r, &h->job, h, hub_job_free);
}
