/*
 * api_audit.c: the lead's and auditors' endpoints: the SLA report (JSON or
 * CSV), the breaches with links to their evidence, and the Merkle log's
 * inclusion and consistency proofs against the broker's signed checkpoints.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "audit.h"
#include "evlog.h"
#include "sla_agg.h"
#include "ticket.h"

/* from, to and partner; -1 after replying 400. */
static int
period_or_reply(struct req *r, struct audit_period *p)
{
    const char *names[2] = {"from", "to"};
    int64_t *slots[2] = {&p->from, &p->to};
    memset(p, 0, sizeof(*p));
    for (int i = 0; i < 2; i++) {
        const char *v = http_query(r, names[i]);
        if (v == NULL)
            continue;
        *slots[i] = ticket_parse_time(v);
        if (*slots[i] < 0) /* a date: its start in the lead's time zone */
            *slots[i] = sla_agg_parse_date(v);
        if (*slots[i] < 0) {
            http_error(r, E_BAD_PARAMETER,
                       "must be an RFC 3339 UTC time or a date (YYYY-MM-DD, the lead's time zone)",
                       names[i]);
            return -1;
        }
    }
    p->partner = http_query(r, "partner");
    if (r->who.role == ROLE_PARTNER) {
        /* A partner's supervisor: its own company's figures, never another's. */
        if (strcmp(r->who.kind, "supervisor") != 0) {
            http_error(r, E_NOT_FOUND, "no such resource for this principal", NULL);
            return -1;
        }
        if (p->partner != NULL && strcmp(p->partner, r->who.subject) != 0) {
            http_error(r, E_NOT_FOUND, "no such partner for this principal", "partner");
            return -1;
        }
        p->partner = r->who.subject;
    }
    if (p->partner && strcmp(p->partner, r->cfg->lead.id) != 0 &&
        config_partner_find(r->cfg, p->partner) == NULL) {
        http_error(r, E_BAD_PARAMETER, "no such partner", "partner");
        return -1;
    }
    return 0;
}

void
api_audit_sla(struct req *r)
{
    static const char *const formats[] = {"json", "csv", NULL};
    static const char *const exacts[] = {"0", "1", "false", "true", NULL};
    struct audit_period p;
    const char *format, *exact = NULL;
    struct store_txn *t;
    json_t *report = NULL;
    if (period_or_reply(r, &p) != 0 ||
        http_enum_or_reply(r, "format", formats, "json or csv", &format) != 0 ||
        http_enum_or_reply(r, "exact", exacts, "1 or 0 (true or false)", &exact) != 0)
        return;
    /* ?exact=1: from the records, percentiles exact (slow on a large store) */
    p.exact = exact != NULL && (strcmp(exact, "1") == 0 || strcmp(exact, "true") == 0);
    /* ?by=FACT: the report again for each value of the fact (and for "not given") */
    const struct config *cfg = r->cfg;
    const char *by = http_query(r, "by");
    int fact = by ? fact_find(cfg->fact_kinds, cfg->nfact_kinds, by) : -1;
    /* ?by=channel: the way the complaints came (web, email, phone, tmf621, api) */
    int by_channel = by != NULL && fact < 0 && strcmp(by, "channel") == 0;
    if (by != NULL && fact < 0 && !by_channel) {
        http_error(r, E_BAD_PARAMETER, "not a fact of the federation's configuration", "by");
        return;
    }
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = audit_sla(t, &p, &report);
        if (rc == SEAM_OK && fact >= 0) {
            json_t *values = json_array();
            const struct strlist *vocab = &cfg->vocab[fact];
            for (size_t i = 0; rc == SEAM_OK && i <= vocab->n; i++) {
                struct audit_period q = p;
                json_t *one = NULL;
                q.fact = fact + 1;
                q.value = i < vocab->n ? vocab->v[i] : NULL;
                rc = audit_sla(t, &q, &one);
                if (rc != SEAM_OK)
                    break;
                json_t *overall = json_object_get(one, "overall");
                if (q.value == NULL &&
                    json_integer_value(json_object_get(overall, "tickets")) == 0) {
                    json_decref(one); /* "not given" only when some ticket lacks the fact */
                    continue;
                }
                json_array_append_new(values, json_pack("{s:s?, s:O, s:O}", "value", q.value,
                                                        "owners", json_object_get(one, "owners"),
                                                        "overall", overall));
                json_decref(one);
            }
            json_object_set_new(report, "by",
                                json_pack("{s:s, s:o}", "fact", by, "values", values));
        }
        if (rc == SEAM_OK && by_channel) {
            json_t *values = json_array();
            for (int ch = 0; rc == SEAM_OK && ch < CH_COUNT; ch++) {
                struct audit_period q = p;
                json_t *one = NULL;
                q.channel = ticket_channels[ch];
                rc = audit_sla(t, &q, &one);
                if (rc != SEAM_OK)
                    break;
                json_array_append_new(values,
                                      json_pack("{s:s, s:O, s:O}", "value", q.channel, "owners",
                                                json_object_get(one, "owners"), "overall",
                                                json_object_get(one, "overall")));
                json_decref(one);
            }
            json_object_set_new(report, "by",
                                json_pack("{s:s, s:o}", "fact", "channel", "values", values));
        }
        store_read_end(t);
    }
    if (rc != SEAM_OK) {
        json_decref(report);
        http_error_from(r, rc, "sla report");
        return;
    }
    if (format != NULL && strcmp(format, "csv") == 0) {
        char *csv = audit_sla_csv(report);
        json_decref(report);
        http_reply_raw(r, 200, "text/csv; charset=utf-8", csv, strlen(csv));
        return;
    }
    http_reply(r, 200, report);
}

/* Whether every query parameter is one of known; else 400 naming the first other, -1. */
struct known_params {
    const char *const *known;
    const char *bad;
};

static void
known_one(void *ctx, const char *key, const char *value)
{
    struct known_params *k = ctx;
    (void)value;
    for (const char *const *p = k->known; *p; p++)
        if (strcmp(*p, key) == 0)
            return;
    if (k->bad == NULL)
        k->bad = key;
}

void
api_audit_breaches(struct req *r)
{
    static const char *const known[] = {"from", "to", "partner", "cursor", "limit", NULL};
    struct known_params kp = {known, NULL};
    struct audit_period p;
    struct store_txn *t;
    json_t *list = NULL;
    http_query_each(r, known_one, &kp);
    if (kp.bad != NULL) {
        http_error(r, E_UNKNOWN_PARAM, "this list takes no such parameter", kp.bad);
        return;
    }
    if (period_or_reply(r, &p) != 0)
        return;
    int limit = http_limit_or_reply(r, 100, 1000);
    const char *cursor;
    if (limit < 0 || http_cursor_or_reply(r, ticket_id_valid, &cursor) != 0)
        return;
    struct ticket_ctx c = {r->cfg, &r->srv->lg, r->sla};
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc == SEAM_OK) {
        rc = audit_breaches(t, &c, &p, cursor, (unsigned)limit, &list);
        store_read_end(t);
    }
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "breaches");
        return;
    }
    http_reply(r, 200, list);
}

static int
u64_param(struct req *r, const char *name, uint64_t *out)
{
    const char *v = http_query(r, name);
    char *end;
    if (v == NULL)
        return 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v == '\0' || *end != '\0' || v[0] == '-') {
        http_error(r, E_BAD_PARAMETER, "must be a non-negative integer", name);
        return -1;
    }
    *out = x;
    return 1;
}

static json_t *
proof_json(uint8_t (*proof)[SEAM_HASH_LEN], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        char *b = seam_b64_encode(proof[i], SEAM_HASH_LEN);
        json_array_append_new(a, json_string(b));
        free(b);
    }
    return a;
}

/* The signed checkpoint of exactly `size` leaves (malloc'd), or NULL. */
static char *
checkpoint_of(struct store_txn *t, uint64_t size)
{
    char *note = NULL;
    return evlog_checkpoint_at(t, size, &note) == SEAM_OK ? note : NULL;
}

void
api_audit_proof(struct req *r)
{
    uint64_t leaf = 0, size = 0, from = 0, to = 0;
    int hl = u64_param(r, "leaf", &leaf), hs = u64_param(r, "size", &size);
    int hf = u64_param(r, "from", &from), ht = u64_param(r, "to", &to);
    uint8_t(*proof)[SEAM_HASH_LEN] = NULL;
    size_t n = 0;
    struct store_txn *t;
    if (hl < 0 || hs < 0 || hf < 0 || ht < 0)
        return;
    int inclusion = hl && hs && !hf && !ht, consistency = hf && ht && !hl && !hs;
    if (!inclusion && !consistency) {
        http_error(r, E_BAD_PARAMETER,
                   "give leaf and size (inclusion) or from and to (consistency)", NULL);
        return;
    }
    if (store_read_begin(r->srv->store, &t) != SEAM_OK) {
        http_error_from(r, SEAM_EIO, "proof");
        return;
    }
    proof = xcalloc(SEAM_PROOF_MAX, SEAM_HASH_LEN);
    char *cp_a = checkpoint_of(t, inclusion ? size : to);
    char *cp_b = consistency ? checkpoint_of(t, from) : NULL;
    json_t *body = NULL;
    if (cp_a == NULL || (consistency && cp_b == NULL)) {
        http_error(r, E_NOT_FOUND, "the broker signed no checkpoint of that size", NULL);
    } else if (inclusion) {
        if (seam_merkle_inclusion(evlog_node, t, leaf, size, proof, &n) != 0)
            http_error(r, E_BAD_PARAMETER, "leaf must be below size", "leaf");
        else
            body = json_pack("{s:I, s:I, s:o, s:s}", "leaf_index", (json_int_t)leaf, "tree_size",
                             (json_int_t)size, "proof", proof_json(proof, n), "checkpoint", cp_a);
    } else {
        if (seam_merkle_consistency(evlog_node, t, from, to, proof, &n) != 0)
            http_error(r, E_BAD_PARAMETER, "from must not exceed to", "from");
        else
            body = json_pack("{s:I, s:I, s:o, s:s, s:s}", "from", (json_int_t)from, "to",
                             (json_int_t)to, "proof", proof_json(proof, n), "from_checkpoint", cp_b,
                             "to_checkpoint", cp_a);
    }
    store_read_end(t);
    free(proof);
    free(cp_a);
    free(cp_b);
    if (body != NULL)
        http_reply(r, 200, body);
}
