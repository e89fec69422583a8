/*
 * api_rules.c: the boundary rules for the lead company: explain a
 * hypothetical complaint, and the coverage check made at start.
 */
#include <string.h>

#include "api.h"
#include "route.h"
#include "ticket.h"

/* Facts of a hypothetical complaint; bundle and region given or from a customer. */
void
api_rules_explain(struct req *r)
{
    static const struct body_field fields[] = {
        {"service", JSON_STRING, 0, 1, 64},   {"symptom", JSON_STRING, 1, 1, 64},
        {"equipment", JSON_STRING, 0, 1, 64}, {"priority", JSON_STRING, 0, 1, 16},
        {"bundle", JSON_STRING, 0, 1, 64},    {"region", JSON_STRING, 0, 1, 64},
        {"customer", JSON_STRING, 0, 1, 63},  {NULL, 0, 0, 0, 0}};
    const struct config *cfg = r->srv->cfg;
    json_t *body = http_body_json_or_reply(r), *cust = NULL;
    struct route_facts f;
    if (body == NULL)
        return;
    if (http_fields_or_reply(r, body, fields) != 0)
        goto out;
    memset(&f, 0, sizeof(f));
    for (int i = 0; i < FACT_COUNT; i++)
        f.v[i] = json_string_value(json_object_get(body, fact_names[i]));
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
        if (f.v[FACT_BUNDLE] == NULL)
            f.v[FACT_BUNDLE] = json_string_value(json_object_get(cust, "bundle"));
        if (f.v[FACT_REGION] == NULL)
            f.v[FACT_REGION] = json_string_value(json_object_get(cust, "region"));
    }
    if (f.v[FACT_BUNDLE] == NULL || f.v[FACT_REGION] == NULL) {
        http_error(r, E_MISSING_FIELD, "give bundle and region, or a customer",
                   f.v[FACT_BUNDLE] == NULL ? "bundle" : "region");
        goto out;
    }
    if (f.v[FACT_PRIORITY] == NULL)
        f.v[FACT_PRIORITY] = "normal";
    for (int i = 0; i < FACT_COUNT; i++)
        if (f.v[i] != NULL && !route_fact_known(cfg, (enum fact)i, f.v[i])) {
            http_error(r, E_INVALID_FIELD, "not a value of the federation's vocabulary",
                       fact_names[i]);
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
