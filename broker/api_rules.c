/*
 * api_rules.c: the boundary rules for the lead company: explain a
 * hypothetical complaint, and the coverage check made at start.
 */
#include <string.h>

#include "api.h"
#include "route.h"
#include "ticket.h"

/*
 * Facts of a hypothetical complaint, one body field per fact of the table
 * (those the customer must file are required); the customer record's facts
 * given or taken from a customer; the priority normal unless given.
 */
void
api_rules_explain(struct req *r)
{
    const struct config *cfg = r->srv->cfg;
    struct body_field fields[FACT_MAX + 2];
    size_t nf = 0;
    for (size_t k = 0; k < cfg->nfact_kinds; k++) {
        const struct fact_kind *fk = &cfg->fact_kinds[k];
        fields[nf++] =
            (struct body_field){fk->name, JSON_STRING, fact_required(fk), 1, fk->max_len};
    }
    fields[nf++] = (struct body_field){"customer", JSON_STRING, 0, 1, 63};
    fields[nf] = (struct body_field){NULL, 0, 0, 0, 0};
    json_t *body = http_body_json_or_reply(r), *cust = NULL;
    struct route_facts f;
    if (body == NULL)
        return;
    if (http_fields_or_reply(r, body, fields) != 0)
        goto out;
    memset(&f, 0, sizeof(f));
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        f.v[k] = json_string_value(json_object_get(body, cfg->fact_kinds[k].name));
    const char *customer = json_string_value(json_object_get(body, "customer"));
    if (customer != NULL) {
        struct store_txn *t;
        enum seam_err rc = store_read_begin(r->srv->store, &t);
        if (rc == SEAM_OK) {
            rc = customer_load(t, customer, &cust);
            store_read_end(t);
        }
        if (rc != SEAM_OK) {
            http_error(r, E_INVALID_FIELD, "no such customer", "customer");
            goto out;
        }
        for (size_t k = 0; k < cfg->nfact_kinds; k++)
            if (f.v[k] == NULL && fact_from_record(&cfg->fact_kinds[k]))
                f.v[k] = json_string_value(json_object_get(cust, cfg->fact_kinds[k].name));
    }
    /* Every fact of the customer record, named in the order the coverage check turns them. */
    size_t order[FACT_MAX], n = fact_sweep_order(cfg->fact_kinds, cfg->nfact_kinds, order);
    char msg[256];
    size_t len = (size_t)snprintf(msg, sizeof(msg), "give ");
    const char *missing = NULL;
    for (size_t i = 0, named = 0; i < n; i++) {
        const struct fact_kind *fk = &cfg->fact_kinds[order[i]];
        if (fk->source != FACT_FROM_CUSTOMER)
            continue;
        if (len < sizeof(msg))
            len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s%s", named++ ? " and " : "",
                                    fk->name);
        if (f.v[order[i]] == NULL && missing == NULL)
            missing = fk->name;
    }
    if (missing != NULL) {
        if (len < sizeof(msg))
            snprintf(msg + len, sizeof(msg) - len, ", or a customer");
        http_error(r, E_MISSING_FIELD, msg, missing);
        goto out;
    }
    if (f.v[FACT_PRIORITY] == NULL)
        f.v[FACT_PRIORITY] = priority_names[PRIO_NORMAL];
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        if (f.v[k] != NULL && !route_fact_known(cfg, (enum fact)k, f.v[k])) {
            http_error(r, E_INVALID_FIELD, "not a value of the federation's vocabulary",
                       cfg->fact_kinds[k].name);
            goto out;
        }
    http_reply(r, 200, route_explain(cfg, &f));
out:
    json_decref(cust);
    json_decref(body);
}

void
api_rules_check(struct req *r)
{
    http_reply(r, 200, json_incref(r->srv->rules_report));
}
