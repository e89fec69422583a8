/*
 * api_rules.c: the boundary rules for the lead company: explain a
 * hypothetical complaint, and the coverage check made at start.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "reload.h"
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
    const struct config *cfg = r->cfg;
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
        if (!fact_from_record(fk) || fk->optional) /* what the record must hold */
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
    http_reply(r, 200, json_incref(r->snap->rules_report));
}

/* ---- GET /v1/vocabulary ---- */

#define LANG_MAX 8 /* languages of Accept-Language tried, best first */

/* s (n bytes) as a lower-case language tag into out: 2-3 letters, maybe "-" and 2-8 more; 0 if not.
 */
static int
lang_tag(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, primary = 0;
    if (n == 0 || n >= cap || n > 12)
        return 0;
    for (; i < n; i++) {
        char ch = (char)tolower((unsigned char)s[i]);
        if (ch == '-' && primary == 0)
            primary = i;
        else if (!((ch >= 'a' && ch <= 'z') || (primary && ch >= '0' && ch <= '9')))
            return 0;
        out[i] = ch;
    }
    out[n] = '\0';
    size_t p = primary ? primary : n;
    return p >= 2 && p <= 3 && (!primary || (n - primary - 1 >= 2 && n - primary - 1 <= 8));
}

/*
 * The languages Accept-Language asks for, by weight (equal weights in the
 * header's order), without "*" and q=0: at most LANG_MAX. Malformed entries
 * are passed over: a header is a preference, not a request's content.
 */
static size_t
accept_languages(const char *h, char langs[][16])
{
    double q[LANG_MAX];
    size_t n = 0;
    while (h != NULL && *h && n < LANG_MAX) {
        const char *end = strchr(h, ',');
        size_t len = end ? (size_t)(end - h) : strlen(h);
        const char *semi = memchr(h, ';', len);
        size_t tl = semi ? (size_t)(semi - h) : len;
        while (tl > 0 && (*h == ' ' || *h == '\t'))
            h++, tl--, len--;
        while (tl > 0 && (h[tl - 1] == ' ' || h[tl - 1] == '\t'))
            tl--;
        double w = 1.0;
        for (const char *qs = semi; qs != NULL && qs + 1 < h + len; qs++)
            if (qs[0] == 'q' && qs[1] == '=') { /* within this entry only */
                w = strtod(qs + 2, NULL);
                break;
            }
        char tag[16];
        if (w > 0 && lang_tag(h, tl, tag, sizeof(tag))) {
            size_t at = n;
            while (at > 0 && q[at - 1] < w) {
                q[at] = q[at - 1];
                memcpy(langs[at], langs[at - 1], 16);
                at--;
            }
            q[at] = w;
            memcpy(langs[at], tag, 16);
            n++;
        }
        h = end ? end + 1 : NULL;
    }
    return n;
}

/* The label of labels in the first of langs it has (a tag, then its primary language), else
 * English. */
static const char *
label_in(const json_t *labels, char langs[][16], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *l = json_string_value(json_object_get(labels, langs[i]));
        if (l != NULL)
            return l;
        char primary[16];
        memcpy(primary, langs[i], 16);
        char *dash = strchr(primary, '-');
        if (dash != NULL) {
            *dash = '\0';
            if ((l = json_string_value(json_object_get(labels, primary))) != NULL)
                return l;
        }
    }
    return json_string_value(json_object_get(labels, "en"));
}

/* Whether some label of the vocabulary is in lang: 2 in the tag itself, 1 in its primary
 * language (pt for pt-br), 0 in neither. */
static int
lang_known(const json_t *doc, const char *lang, const char *primary)
{
    size_t i, j;
    json_t *f, *v;
    int found = 0;
    json_array_foreach(doc, i, f)
    {
        json_t *l = json_object_get(f, "labels");
        if (json_object_get(l, lang))
            return 2;
        found |= json_object_get(l, primary) != NULL;
        json_array_foreach(json_object_get(f, "values"), j, v)
        {
            l = json_object_get(v, "labels");
            if (json_object_get(l, lang))
                return 2;
            found |= json_object_get(l, primary) != NULL;
        }
    }
    return found;
}

void
api_vocabulary(struct req *r)
{
    const json_t *doc = r->cfg->vocabulary;
    char langs[LANG_MAX][16];
    size_t n = 0;
    const char *q = http_query(r, "lang");
    if (q != NULL) {
        if (!lang_tag(q, strlen(q), langs[0], sizeof(langs[0]))) {
            http_error(r, E_BAD_PARAMETER, "must be a language tag (en, fr, pt-br)", "lang");
            return;
        }
        n = 1;
    } else {
        n = accept_languages(http_header_value(r, "Accept-Language"), langs);
    }
    /* The language answered: the first asked for that the labels have, else English. */
    char lang[16] = "en";
    for (size_t i = 0; i < n; i++) {
        char primary[16];
        memcpy(primary, langs[i], sizeof(primary));
        char *dash = strchr(primary, '-');
        if (dash != NULL)
            *dash = '\0';
        int known = lang_known(doc, langs[i], primary);
        if (known) {
            memcpy(lang, known == 2 ? langs[i] : primary, sizeof(lang));
            break;
        }
    }
    json_t *facts = json_array();
    size_t i, j;
    json_t *f, *v;
    json_array_foreach(doc, i, f)
    {
        json_t *values = json_array();
        json_array_foreach(json_object_get(f, "values"), j, v)
        {
            json_array_append_new(values,
                                  json_pack("{s:O, s:s}", "id", json_object_get(v, "id"), "label",
                                            label_in(json_object_get(v, "labels"), langs, n)));
        }
        json_array_append_new(
            facts,
            json_pack("{s:O, s:O, s:O, s:O, s:s, s:o}", "name", json_object_get(f, "name"),
                      "source", json_object_get(f, "source"), "optional",
                      json_object_get(f, "optional"), "place", json_object_get(f, "place"), "label",
                      label_in(json_object_get(f, "labels"), langs, n), "values", values));
    }
    http_header(r, "Content-Language", lang);
    http_header(r, "Vary", "Accept-Language");
    http_reply(r, 200, json_pack("{s:s, s:o}", "lang", lang, "facts", facts));
}
