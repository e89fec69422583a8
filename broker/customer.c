/*
 * customer.c: the customer records tickets belong to: who the customer is,
 * the bundle it subscribes to and its region (the facts a complaint is
 * routed by), and its contact. Every filing reads its customer, so loads
 * go through the parse cache (json_fast.h).
 */
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "ticket.h"

#define DUMP_BUF 4096

/* A customer record as stored: compact JSON. */
static enum seam_err
put_json(struct store_txn *t, const char *key, size_t klen, const json_t *j, unsigned flags,
         size_t max)
{
    char buf[DUMP_BUF];
    size_t len;
    char *text = json_dump_into(j, JSON_COMPACT, buf, sizeof(buf), &len);
    if (text == NULL)
        return SEAM_EINVAL;
    /* Never a record its readers cannot parse again (json_fast.h). */
    enum seam_err rc = json_stored_check("customer", key, klen, text, len);
    if (rc == SEAM_OK && max > 0 && len > max)
        rc = SEAM_ETOOBIG;
    if (rc == SEAM_OK)
        rc = store_put(t, DB_CUSTOMERS, key, klen, text, len, flags);
    if (text != buf)
        free(text);
    return rc;
}

enum seam_err
customer_add(struct store_txn *t, const struct config *cfg, const char *id, const char *name,
             const char *bundle, const char *region, const char *contact)
{
    char at[32];
    if (id == NULL || strlen(id) == 0 || strlen(id) > 63 || name == NULL || strlen(name) > 200 ||
        (contact && strlen(contact) > 200))
        return SEAM_EINVAL;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return SEAM_EINVAL;
    if (config_bundle_find(cfg, bundle) == NULL || !strlist_has(&cfg->regions, region))
        return SEAM_EINVAL;
    format_time_ms(now_ms(), at);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name", name, "bundle", bundle,
                            "region", region, "created_at", at);
    if (contact)
        json_object_set_new(rec, "contact", json_string(contact));
    enum seam_err rc = put_json(t, id, strlen(id), rec, STORE_NOOVERWRITE, 0);
    json_decref(rec);
    return rc;
}

enum seam_err
customer_update(struct store_txn *t, const struct config *cfg, const char *id, const char *bundle,
                const char *region, const char *contact)
{
    json_t *rec = NULL;
    enum seam_err rc = customer_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    if ((bundle && config_bundle_find(cfg, bundle) == NULL) ||
        (region && !strlist_has(&cfg->regions, region)) || (contact && strlen(contact) > 200)) {
        json_decref(rec);
        return SEAM_EINVAL;
    }
    if (bundle)
        json_object_set_new(rec, "bundle", json_string(bundle));
    if (region)
        json_object_set_new(rec, "region", json_string(region));
    if (contact)
        json_object_set_new(rec, "contact", json_string(contact));
    rc = put_json(t, id, strlen(id), rec, 0, 0);
    json_decref(rec);
    return rc;
}

enum seam_err
customer_load(struct store_txn *t, const char *id, json_t **record)
{
    struct store_val v;
    enum seam_err rc = store_get(t, DB_CUSTOMERS, id, strlen(id), &v);
    if (rc != SEAM_OK)
        return rc;
    json_t *j = json_cache_load(v.data, v.len); /* every filing reads its customer */
    if (j == NULL)
        return SEAM_ECORRUPT;
    *record = j;
    return SEAM_OK;
}

enum seam_err
customer_set_facts(struct store_txn *t, const struct config *cfg, const char *id,
                   const json_t *facts)
{
    const char *name;
    json_t *v, *rec = NULL;
    json_object_foreach((json_t *)facts, name, v)
    {
        int k = fact_find(cfg->fact_kinds, cfg->nfact_kinds, name);
        if (k < 0 || k == FACT_BUNDLE || k == FACT_REGION ||
            !fact_from_record(&cfg->fact_kinds[k]) || !json_is_string(v) ||
            !strlist_has(&cfg->vocab[k], json_string_value(v)))
            return SEAM_EINVAL;
    }
    enum seam_err rc = customer_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    json_object_foreach((json_t *)facts, name, v)
    {
        json_object_set(rec, name, v);
    }
    rc = put_json(t, id, strlen(id), rec, 0, 0);
    json_decref(rec);
    return rc;
}

/* ---- e-mail: the address, the language, the notifications preference ---- */

const char *
customer_mail_language(const json_t *rec)
{
    const char *l = json_string_value(json_object_get(rec, "language"));
    const char *known = l != NULL ? config_mail_language(l) : NULL;
    return known != NULL ? known : "en";
}

int
customer_language_valid(const char *lang)
{
    return config_mail_language(lang) != NULL;
}

/* The index key of an address: "mail_addr/" and the address in lower case (ASCII). */
static char *
addr_key(const char *addr, size_t *klen)
{
    char *k = xasprintf("mail_addr/%s", addr);
    for (char *p = k + 10; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    *klen = strlen(k);
    return k;
}

int
customer_email_valid(const char *s)
{
    return mail_address_valid(s);
}

enum seam_err
customer_set_mail(struct store_txn *t, const char *id, const char *email, const char *language,
                  int notifications, json_t **record)
{
    json_t *rec = NULL;
    struct store_val v;
    size_t klen;
    char *k = NULL;
    if ((email && email[0] != '\0' && !customer_email_valid(email)) ||
        (language && !customer_language_valid(language)))
        return SEAM_EINVAL;
    enum seam_err rc = customer_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    if (email != NULL) {
        const char *old = json_string_value(json_object_get(rec, "email"));
        if (email[0] != '\0') {
            k = addr_key(email, &klen);
            rc = store_get(t, DB_META, k, klen, &v);
            if (rc == SEAM_OK && (v.len != strlen(id) || memcmp(v.data, id, v.len) != 0)) {
                rc = SEAM_EEXIST; /* another customer's address */
                goto out;
            }
            if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
                goto out;
        }
        if (old != NULL) {
            char *ok = addr_key(old, &klen);
            rc = store_del(t, DB_META, ok, klen);
            free(ok);
            if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
                goto out;
        }
        if (email[0] != '\0') {
            klen = strlen(k);
            if ((rc = store_put(t, DB_META, k, klen, id, strlen(id), 0)) != SEAM_OK)
                goto out;
            json_object_set_new(rec, "email", json_string(email));
        } else {
            json_object_del(rec, "email");
        }
    }
    if (language != NULL)
        json_object_set_new(rec, "language", json_string(language));
    if (notifications >= 0)
        json_object_set_new(rec, "notifications", json_boolean(notifications));
    rc = put_json(t, id, strlen(id), rec, 0, 0);
out:
    free(k);
    if (rc == SEAM_OK && record != NULL)
        *record = rec;
    else
        json_decref(rec);
    return rc == SEAM_OK ? SEAM_OK : rc;
}

enum seam_err
customer_by_email(struct store_txn *t, const char *email, char id[64])
{
    struct store_val v;
    size_t klen;
    if (!customer_email_valid(email))
        return SEAM_ENOTFOUND;
    char *k = addr_key(email, &klen);
    enum seam_err rc = store_get(t, DB_META, k, klen, &v);
    free(k);
    if (rc != SEAM_OK)
        return rc;
    if (v.len == 0 || v.len > 63)
        return SEAM_ECORRUPT;
    memcpy(id, v.data, v.len);
    id[v.len] = '\0';
    return SEAM_OK;
}

struct customer_each_ctx {
    customer_each_fn fn;
    void *ctx;
};

static int
customer_each_one(void *ctx, struct store_val k, struct store_val v)
{
    struct customer_each_ctx *e = ctx;
    (void)k;
    json_t *rec = json_loadb(v.data, v.len, 0, NULL);
    if (json_is_object(rec))
        e->fn(e->ctx, rec);
    json_decref(rec);
    return 0;
}

enum seam_err
customer_each(struct store_txn *t, customer_each_fn fn, void *ctx)
{
    struct customer_each_ctx e = {fn, ctx};
    return store_scan(t, DB_CUSTOMERS, NULL, 0, 0, customer_each_one, &e);
}
