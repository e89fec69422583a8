/*
 * api_tickets.c: the ticket endpoints: filing, lists, one ticket, its
 * evidence (the actions on a ticket are api_actions.c's). Handlers validate
 * everything before anything changes, read in one short read transaction,
 * and write through one store job whose answer is sent only after the
 * durable commit. Not yours and unknown are the same 404.
 *
 * Filing is staged, as acting is: the handler makes the change on its own
 * thread against a snapshot (routing, the record, the signed event), and
 * the writer only checks that nothing it read has moved and stores it
 * (store.h); so the one writer is not where the signing and the JSON go.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fanout.h"
#include "log.h"
#include "route.h"
#include "ticket.h"
#include "tmf.h"

struct create_job {
    struct store_job job;
    struct req *r;
    struct ticket_input in;
    struct ticket tk; /* the ticket filed */
    int tmf;          /* answer as TMF621: 1 (v4) or 5 (v5) */
};

static void
create_job_free(void *p)
{
    struct create_job *cj = p;
    if (cj == NULL)
        return;
    ticket_input_free(&cj->in);
    ticket_free(&cj->tk);
    free(cj);
}

static enum seam_err
create_apply(struct store_txn *t, struct store_job *job)
{
    struct create_job *cj = (struct create_job *)job;
    struct ticket_ctx c = {cj->r->cfg, &cj->r->srv->lg, cj->r->sla};
    ticket_free(&cj->tk); /* a retried batch starts afresh */
    return ticket_create(t, &c, &cj->r->who, &cj->in, &cj->tk);
}

/* Builds the answer, on the request's own thread once it is resumed. */
static void
create_finish(struct req *r)
{
    struct create_job *cj = r->job;
    struct store_job *job = &cj->job;
    if (job->rc == SEAM_OK) {
        const char *id = cj->tk.id;
        struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
        if (cj->tmf) {
            r->location = xasprintf("%s/troubleTicket/%s", cj->tmf == 5 ? TMF5_BASE : TMF_BASE, id);
            http_reply(r, 201, cj->tmf == 5 ? tmf5_view(&cj->tk) : tmf_view(&cj->tk));
        } else {
            r->location = xasprintf("/v1/tickets/%s", id);
            size_t len;
            char *text = ticket_view_text(&c, &cj->tk, &r->who, &len);
            http_reply_json_text(r, 201, text, len);
        }
    } else if (job->rc == SEAM_EINVAL && cj->in.customer != NULL) {
        http_error(r, E_INVALID_FIELD, "no such customer", "customer");
    } else if (job->rc == SEAM_EINVAL) {
        http_error(r, E_INVALID_FIELD, "the customer record behind this token is missing", NULL);
    } else {
        http_error_from(r, job->rc, "ticket create");
    }
}

/* On the writer's thread, after the commit: wake the owners, hand back. */
static void
create_done(struct store_job *job)
{
    struct create_job *cj = (struct create_job *)job;
    if (job->rc == SEAM_OK)
        fanout_ticket_committed(&cj->tk);
    http_resume_to(cj->r, create_finish);
}

static char *
opt_dup(const json_t *body, const char *key)
{
    const char *s = json_string_value(json_object_get(body, key));
    return s ? xstrdup(s) : NULL;
}

/* A vocabulary field: absent/null is fine when optional; else must be known. */
static int
vocab_or_reply(struct req *r, const json_t *body, const char *key, const struct strlist *vocab)
{
    const char *s = json_string_value(json_object_get(body, key));
    if (s == NULL || strlist_has(vocab, s))
        return 0;
    http_error(r, E_INVALID_FIELD, "not a value of the federation's vocabulary", key);
    return -1;
}

/*
 * What filing needs to know of the customer's record before it is staged:
 * a complaint about a service outside the customer's bundle is refused
 * when refuse_out_of_bundle says so (400, field "service"; else ticket.c
 * routes it and flags it out_of_bundle), and the customer's earlier open
 * ticket with the same facts, if any, is named for ticket_create to judge
 * again (possible_duplicate). Returns -1 having replied.
 */
static int
intake_or_reply(struct req *r, struct ticket_input *in)
{
    const struct config *cfg = r->cfg;
    const char *customer = in->customer ? in->customer : r->who.subject;
    struct store_txn *t;
    json_t *cust = NULL;
    char dup[TICKET_ID_LEN + 1];
    if (!cfg->refuse_out_of_bundle && cfg->duplicate_window_minutes == 0)
        return 0; /* nothing to look up */
    if (store_read_begin(r->srv->store, &t) != SEAM_OK)
        return 0; /* the writer answers what the store says */
    if (customer_load(t, customer, &cust) != SEAM_OK) {
        store_read_end(t);
        return 0; /* ticket_create answers for a missing record */
    }
    struct route_facts f;
    memset(&f, 0, sizeof(f));
    /* the complaint's facts, and the record's where the complaint gives none (either) */
    for (size_t k = 0; k < cfg->nfact_kinds && k < FACT_MAX; k++) {
        const struct fact_kind *fk = &cfg->fact_kinds[k];
        if (fact_from_complaint(fk))
            f.v[k] = in->facts[k];
        if (f.v[k] == NULL && fact_from_record(fk))
            f.v[k] = json_string_value(json_object_get(cust, fk->name));
    }
    if (cfg->refuse_out_of_bundle && !route_in_bundle(cfg, &f)) {
        const char *place = cfg->fact_kinds[cfg->place].name;
        char *msg = xasprintf("the customer's bundle \"%s\" does not include the service \"%s\" in "
                              "%s \"%s\" (refuse_out_of_bundle)",
                              f.v[FACT_BUNDLE] ? f.v[FACT_BUNDLE] : "",
                              f.v[FACT_SERVICE] ? f.v[FACT_SERVICE] : "", place,
                              f.v[cfg->place] ? f.v[cfg->place] : "");
        store_read_end(t);
        json_decref(cust);
        http_error(r, E_INVALID_FIELD, msg, fact_kinds[FACT_SERVICE].name);
        free(msg);
        return -1;
    }
    if (ticket_find_duplicate(t, cfg, customer, cust, in, dup) == SEAM_OK)
        in->duplicate_of = xstrdup(dup);
    store_read_end(t);
    json_decref(cust);
    return 0;
}

void
api_file(struct req *r, const struct ticket_input *in, int tmf)
{
    struct create_job *cj = xcalloc(1, sizeof(*cj));
    cj->in = *in;
    if (intake_or_reply(r, &cj->in) != 0) {
        ticket_input_free(&cj->in);
        free(cj);
        return;
    }
    cj->job.apply = create_apply;
    cj->job.done = create_done;
    cj->r = r;
    cj->tmf = tmf;
    (void)store_stage_job(r->srv->store, &cj->job); /* a failure is the writer's to answer */
    http_submit(r, &cj->job, cj, create_job_free);
}

void
api_ticket_fields(const struct config *cfg, struct body_field *out)
{
    size_t n = 0;
    out[n++] = (struct body_field){"summary", JSON_STRING, 1, 1, SUMMARY_MAX};
    out[n++] = (struct body_field){"description", JSON_STRING, 1, 0, DESCRIPTION_MAX};
    for (size_t k = 0; k < cfg->nfact_kinds; k++) {
        const struct fact_kind *fk = &cfg->fact_kinds[k];
        if (fact_from_complaint(fk) || fk->source == FACT_FROM_PRIORITY)
            out[n++] =
                (struct body_field){fk->name, JSON_STRING, fact_required(fk), 1, fk->max_len};
    }
    out[n] = (struct body_field){NULL, 0, 0, 0, 0};
}

/*
 * Who a complaint is for and the way it came: a customer files for itself,
 * over the portal (a session: "web") or with a token ("api"), and names
 * neither; the lead's desk names the customer and the channel it came by
 * ("phone" if it names none). 0, or -1 after replying 400.
 */
static int
filer_or_reply(struct req *r, const json_t *body, struct ticket_input *in)
{
    const char *customer = json_string_value(json_object_get(body, "customer"));
    const char *channel = json_string_value(json_object_get(body, "channel"));
    if (r->who.role != ROLE_LEAD) {
        const char *lead_only = customer ? "customer" : channel ? "channel" : NULL;
        if (lead_only != NULL) {
            http_error(r, E_UNKNOWN_FIELD,
                       "the lead's desk names these; a customer files for itself", lead_only);
            return -1;
        }
        in->channel = ticket_channels[r->who.session ? CH_WEB : CH_API];
        return 0;
    }
    if (customer == NULL) {
        http_error(r, E_MISSING_FIELD, "the lead files for a customer: name it", "customer");
        return -1;
    }
    int ch = channel ? ticket_channel_parse(channel) : CH_PHONE;
    if (ch < 0 || ch == CH_TMF621) {
        http_error(r, E_INVALID_FIELD,
                   "must be web, email, phone or api (TMF621 files over its face)", "channel");
        return -1;
    }
    in->customer = xstrdup(customer);
    in->channel = ticket_channels[ch];
    return 0;
}

void
api_tickets_create(struct req *r)
{
    const struct config *cfg = r->cfg;
    struct body_field fields[API_TICKET_FIELDS_MAX + 2];
    json_t *body = http_body_json_or_reply(r);
    if (body == NULL)
        return;
    api_ticket_fields(cfg, fields);
    /* the lead's desk: the customer it files for, the channel (filer_or_reply) */
    size_t nf = 0;
    while (fields[nf].name != NULL)
        nf++;
    fields[nf++] = (struct body_field){"customer", JSON_STRING, 0, 1, 64};
    fields[nf++] = (struct body_field){"channel", JSON_STRING, 0, 1, 16};
    fields[nf] = (struct body_field){NULL, 0, 0, 0, 0};
    if (http_fields_or_reply(r, body, fields) != 0)
        goto out;
    /* What the customer files must be in the fact's vocabulary. */
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        if (fact_from_complaint(&cfg->fact_kinds[k]) &&
            vocab_or_reply(r, body, cfg->fact_kinds[k].name, &cfg->vocab[k]) != 0)
            goto out;
    const char *prio = json_string_value(json_object_get(body, fact_kinds[FACT_PRIORITY].name));
    int p = prio ? priority_parse(prio) : PRIO_NORMAL;
    if (p < 0) {
        http_error(r, E_INVALID_FIELD, "must be low, normal, high or urgent", "priority");
        goto out;
    }
    struct ticket_input in = {.summary = opt_dup(body, "summary"),
                              .description = opt_dup(body, "description"),
                              .priority = p};
    for (size_t k = 0; k < cfg->nfact_kinds && k < FACT_MAX; k++)
        if (fact_from_complaint(&cfg->fact_kinds[k]))
            in.facts[k] = opt_dup(body, cfg->fact_kinds[k].name);
    if (filer_or_reply(r, body, &in) != 0) {
        ticket_input_free(&in);
        goto out;
    }
    api_file(r, &in, 0);
out:
    json_decref(body);
}

/* Loads a ticket the caller may see into *tk (ticket_free), or replies 404 and returns -1. */
static int
visible_ticket_or_reply(struct req *r, struct store_txn *t, struct ticket *tk)
{
    enum seam_err rc = ticket_load(t, http_param(r, 0), tk);
    if (rc == SEAM_OK && ticket_visible(tk, &r->who))
        return 0;
    if (rc == SEAM_OK)
        ticket_free(tk);
    if (rc == SEAM_OK || rc == SEAM_ENOTFOUND)
        http_error(r, E_NOT_FOUND, "no such ticket", NULL);
    else
        http_error_from(r, rc, "ticket load");
    return -1;
}

void
api_tickets_get(struct req *r)
{
    struct store_txn *t;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "read");
        return;
    }
    if (r->who.role == ROLE_LEAD) {
        /* The lead sees the whole record: its bytes are the answer, unparsed. */
        size_t n;
        char *text = ticket_lead_text(t, http_param(r, 0), &n);
        if (text != NULL) {
            store_read_end(t);
            http_reply_json_text(r, 200, text, n); /* its own line, as every answer */
            return;
        }
    }
    struct ticket tk;
    int found = visible_ticket_or_reply(r, t, &tk) == 0;
    store_read_end(t);
    if (!found)
        return;
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    size_t len;
    char *text = ticket_view_text(&c, &tk, &r->who, &len);
    ticket_free(&tk);
    http_reply_json_text(r, 200, text, len);
}

/* A time filter parameter: RFC 3339 UTC; -1 after replying 400. */
static int64_t
time_param_or_reply(struct req *r, const char *name)
{
    const char *s = http_query(r, name);
    if (s == NULL)
        return 0;
    int64_t ms = ticket_parse_time(s);
    if (ms < 0)
        http_error(r, E_BAD_PARAMETER, "must be an RFC 3339 UTC time (2026-01-02T03:04:05Z)", name);
    return ms;
}

/* The first query parameter the list does not know: its name, or NULL. */
struct unknown_param {
    const struct config *cfg;
    const char *const *known;
    const char *name; /* the first unknown one */
};

static void
unknown_one(void *ctx, const char *key, const char *value)
{
    struct unknown_param *u = ctx;
    (void)value;
    if (u->name != NULL)
        return;
    for (const char *const *p = u->known; *p; p++)
        if (strcmp(*p, key) == 0)
            return;
    for (size_t k = 0; k < u->cfg->nfact_kinds && k < FACT_MAX; k++)
        if (strcmp(u->cfg->fact_kinds[k].name, key) == 0)
            return;
    u->name = key;
}

/* A partner or owner filter: a partner's id, "lead" or the lead company's id; -1 after 400. */
static int
party_param_or_reply(struct req *r, const char *name, const char **out)
{
    const struct config *cfg = r->cfg;
    const char *v = http_query(r, name);
    *out = v;
    if (v == NULL || strcmp(v, "lead") == 0 || strcmp(v, cfg->lead.id) == 0 ||
        config_partner_find(cfg, v) != NULL)
        return 0;
    http_error(r, E_BAD_PARAMETER, "not a partner of the federation, nor \"lead\"", name);
    return -1;
}

void
api_tickets_list(struct req *r)
{
    static const char *const statuses[] = {"acknowledged", "inProgress", "pending", "resolved",
                                           "closed",       "cancelled",  NULL};
    static const char *const lead_only[] = {"partner",      "owner",      "flag",
                                            "created_from", "created_to", NULL};
    static const char *const known[] = {"status",     "partner", "owner", "flag", "created_from",
                                        "created_to", "cursor",  "limit", NULL};
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    struct ticket_filter f = {0};
    struct store_txn *t;
    char *page = NULL;
    size_t len = 0;
    /* A filter the list does not know would answer as if it were not there: refused. */
    struct unknown_param u = {r->cfg, known, NULL};
    http_query_each(r, unknown_one, &u);
    if (u.name != NULL) {
        http_error(r, E_UNKNOWN_PARAM, "this list takes no such parameter", u.name);
        return;
    }
    int limit = http_limit_or_reply(r, 50, 200);
    const char *cursor;
    if (limit < 0 || http_cursor_or_reply(r, ticket_id_valid, &cursor) != 0)
        return;
    if (http_enum_or_reply(r, "status", statuses, "a ticket status", &f.status) != 0)
        return;
    if (r->who.role == ROLE_CUSTOMER) {
        for (const char *const *p = lead_only; *p; p++)
            if (http_query(r, *p) != NULL) {
                http_error(r, E_BAD_PARAMETER, "this filter is the lead company's", *p);
                return;
            }
    }
    /* ?FACT=VALUE for every fact of the configuration: the lead's, a value of its vocabulary */
    const struct config *cfg = r->cfg;
    for (size_t k = 0; k < cfg->nfact_kinds && k < FACT_MAX; k++) {
        const char *name = cfg->fact_kinds[k].name, *v = http_query(r, name);
        if (v == NULL)
            continue;
        if (r->who.role == ROLE_CUSTOMER) {
            http_error(r, E_BAD_PARAMETER, "this filter is the lead company's", name);
            return;
        }
        if (!strlist_has(&cfg->vocab[k], v)) {
            http_error(r, E_BAD_PARAMETER, "not a value of the fact's vocabulary", name);
            return;
        }
        f.facts[k] = v;
    }
    if (party_param_or_reply(r, "partner", &f.partner) != 0 ||
        party_param_or_reply(r, "owner", &f.owner) != 0)
        return;
    f.flag = http_query(r, "flag");
    if (f.flag != NULL && ticket_flag_parse(f.flag) < 0 && ticket_watch_parse(f.flag) < 0) {
        http_error(r, E_BAD_PARAMETER, "not a flag nor a watch list (bouncing, at_risk)", "flag");
        return;
    }
    if ((f.from_ms = time_param_or_reply(r, "created_from")) < 0 ||
        (f.to_ms = time_param_or_reply(r, "created_to")) < 0)
        return;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = ticket_list(t, &c, &r->who, &f, cursor, (unsigned)limit, &page, &len);
        store_read_end(t);
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "ticket list");
        return;
    }
    http_reply_json_text(r, 200, page, len);
}

void
api_refusal_reply(struct req *r, enum seam_err rc, const struct ticket_refusal *why,
                  const char *not_found, const char *what)
{
    switch (rc) {
    case SEAM_ECONFLICT:
        http_error(r, E_CONFLICT, why->message, why->field);
        return;
    case SEAM_EINVAL:
        http_error(r, E_INVALID_FIELD, why->message, why->field);
        return;
    case SEAM_ELIMIT:
        http_error(r, E_TICKET_FULL, why->message, why->field);
        return;
    case SEAM_ETOOBIG:
        http_error(r, E_RECORD_TOO_LARGE, why->message, why->field);
        return;
    case SEAM_ENOTFOUND:
        http_error(r, E_NOT_FOUND, not_found, NULL);
        return;
    default:
        http_error_from(r, rc, what);
    }
}

void
api_tickets_evidence(struct req *r)
{
    struct store_txn *t;
    char *doc = NULL;
    size_t len = 0;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "read");
        return;
    }
    struct ticket tk;
    int found = visible_ticket_or_reply(r, t, &tk) == 0;
    if (found) {
        struct ticket_ctx c = {r->srv->cfg, &r->srv->lg, r->srv->sla};
        rc = ticket_evidence(t, &c, &tk, &r->who, &doc, &len); /* only what who may see */
        ticket_free(&tk);
    }
    store_read_end(t);
    if (!found)
        return;
    if (rc != SEAM_OK) {
        http_error_from(r, rc == SEAM_ENOTFOUND ? SEAM_ECORRUPT : rc, "evidence export");
        return;
    }
    http_reply_raw(r, 200, "application/json", doc, len);
}

/*
 * GET /v1/overview (the lead, auditors): what can fall between providers, as
 * counts from the indexes: open tickets by the owner of their live claims
 * (each partner of the configuration and the lead), and how many tickets
 * each of the lead's lists holds (GET /v1/tickets?flag=F): what the
 * console's glance shows without walking any list. Each count stops at
 * OVERVIEW_WORK steps; "complete" false says one did.
 */
#define OVERVIEW_WORK (1u << 20)

static const char *const overview_open[] = {"acknowledged", "inProgress", "pending"};
static const char *const overview_lists[] = {"disputed",      "bouncing",           "at_risk",
                                             "out_of_bundle", "possible_duplicate", "breached",
                                             "escalated"};

static unsigned long
overview_count(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
               const struct ticket_filter *f, int *complete, enum seam_err *rc)
{
    unsigned long n = 0;
    int done = 0;
    enum seam_err e = ticket_walk_count(t, c, who, f, NULL, OVERVIEW_WORK, &n, &done);
    if (e != SEAM_OK && *rc == SEAM_OK)
        *rc = e;
    *complete &= done;
    return n;
}

void
api_overview(struct req *r)
{
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    struct store_txn *t;
    struct ticket_filter f;
    int complete = 1;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "overview");
        return;
    }
    json_t *owners = json_array(), *lists = json_object();
    unsigned long open = 0;
    for (size_t i = 0; i < sizeof(overview_open) / sizeof(overview_open[0]); i++) {
        memset(&f, 0, sizeof(f));
        f.status = overview_open[i];
        open += overview_count(t, &c, &r->who, &f, &complete, &rc);
    }
    for (size_t i = 0; i <= r->cfg->npartners; i++) {
        const char *id = i < r->cfg->npartners ? r->cfg->partners[i].id : r->cfg->lead.id;
        memset(&f, 0, sizeof(f));
        f.owner = id;
        unsigned long n = overview_count(t, &c, &r->who, &f, &complete, &rc);
        json_array_append_new(owners, json_pack("{s:s, s:b, s:I}", "owner", id, "lead",
                                                i == r->cfg->npartners, "open", (json_int_t)n));
    }
    for (size_t i = 0; i < sizeof(overview_lists) / sizeof(overview_lists[0]); i++) {
        memset(&f, 0, sizeof(f));
        f.flag = overview_lists[i];
        json_object_set_new(
            lists, overview_lists[i],
            json_integer((json_int_t)overview_count(t, &c, &r->who, &f, &complete, &rc)));
    }
    store_read_end(t);
    if (rc != SEAM_OK) {
        json_decref(owners);
        json_decref(lists);
        http_error_from(r, rc, "overview");
        return;
    }
    http_reply(r, 200,
               json_pack("{s:I, s:o, s:o, s:b}", "open", (json_int_t)open, "open_by_owner", owners,
                         "lists", lists, "complete", complete));
}
