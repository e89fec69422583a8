/*
 * ticket.c: the ticket model. A ticket record holds the ticket's fields,
 * its assignments, its public timeline and its head (number of events and
 * hash of the last), so that reading a ticket costs one lookup. Every change
 * is one event appended through evlog in the same transaction as the record.
 * Routing by the boundary rules is not done here yet: a new ticket's one
 * assignment goes to the lead company under the default rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "ticket.h"

int
ticket_id_valid(const char *s)
{
    if (s == NULL || strlen(s) != TICKET_ID_LEN || s[0] != 'T')
        return 0;
    for (size_t i = 1; i < TICKET_ID_LEN; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* "T" or "A", 12 hex digits of the time in ms, 8 random hex digits. */
static void
new_id(char prefix, char out[TICKET_ID_LEN + 1])
{
    uint8_t b[10];
    uint64_t ms = (uint64_t)now_ms();
    for (int i = 5; i >= 0; i--) {
        b[i] = (uint8_t)ms;
        ms >>= 8;
    }
    randombytes_buf(b + 6, 4);
    out[0] = prefix;
    hex_encode(b, 10, out + 1);
}

static char *
dump(const json_t *j)
{
    return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
}

static enum seam_err
put_json(struct store_txn *t, enum store_db db, const char *key, size_t klen, const json_t *j,
         unsigned flags)
{
    char *text = dump(j);
    if (text == NULL)
        return SEAM_EINVAL;
    enum seam_err rc = store_put(t, db, key, klen, text, strlen(text), flags);
    free(text);
    return rc;
}

static enum seam_err
get_json(struct store_txn *t, enum store_db db, const char *key, size_t klen, json_t **out)
{
    struct store_val v;
    enum seam_err rc = store_get(t, db, key, klen, &v);
    if (rc != SEAM_OK)
        return rc;
    json_t *j = json_loadb(v.data, v.len, 0, NULL);
    if (j == NULL)
        return SEAM_ECORRUPT;
    *out = j;
    return SEAM_OK;
}

static const char *
default_rule(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct config_rule *r = &cfg->rules[i];
        int empty = 1;
        for (int f = 0; f < FACT_COUNT; f++)
            if (r->match[f].n)
                empty = 0;
        if (empty && r->owners.n == 1 && strcmp(r->owners.v[0], "lead") == 0)
            return r->id;
    }
    return "default";
}

/*
 * Appends one event of `type` to the ticket: seq and prev from the record's
 * head, signed and logged by evlog, and the head advanced.
 */
static enum seam_err
ticket_event(struct store_txn *t, const struct ticket_ctx *c, json_t *record, const char *type,
             const struct principal *who, const char *at, json_t *data)
{
    json_t *head = json_object_get(record, "head");
    const char *id = json_string_value(json_object_get(record, "id"));
    json_int_t seq = json_integer_value(json_object_get(head, "events"));
    const char *prev = json_string_value(json_object_get(head, "last"));
    uint64_t leaf;
    char hash[65];

    json_t *ev =
        json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:{s:s, s:s}, s:o}", "v", 1, "type", type,
                  "ticket", id, "seq", seq, "prev", prev ? prev : "", "at", at, "actor", "role",
                  auth_role_name(who->role), "id", who->subject, "data", data);
    char *bytes = dump(ev);
    json_decref(ev);
    if (bytes == NULL)
        return SEAM_EINVAL;
    size_t len = strlen(bytes);
    enum seam_err rc = evlog_append(t, c->lg, id, (uint32_t)seq, bytes, len, &leaf);
    if (rc == SEAM_OK) {
        seam_sha256_hex(bytes, len, hash);
        json_object_set_new(head, "events", json_integer(seq + 1));
        json_object_set_new(head, "last", json_string(hash));
    }
    free(bytes);
    return rc;
}

static json_t *
opt_string(const char *s)
{
    return s ? json_string(s) : json_null();
}

enum seam_err
ticket_create(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
              const struct ticket_input *in, json_t **out)
{
    json_t *cust = NULL, *record = NULL;
    char tid[TICKET_ID_LEN + 1], aid[TICKET_ID_LEN + 1], at[32];
    struct store_val v;
    enum seam_err rc;

    if (who->role != ROLE_CUSTOMER)
        return SEAM_EINVAL;
    if ((rc = customer_load(t, who->subject, &cust)) != SEAM_OK)
        return rc == SEAM_ENOTFOUND ? SEAM_EINVAL : rc;
    do
        new_id('T', tid);
    while (store_get(t, DB_TICKETS, tid, TICKET_ID_LEN, &v) == SEAM_OK);
    new_id('A', aid);
    format_time_ms(now_ms(), at);
    const char *bundle = json_string_value(json_object_get(cust, "bundle"));
    const char *region = json_string_value(json_object_get(cust, "region"));
    const char *rule = default_rule(c->cfg);
    const char *prio = priority_names[in->priority];

    json_t *assignment =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:{s:n, s:n}, s:[], s:s}", "id", aid, "partner",
                  c->cfg->lead.id, "state", "assigned", "rule", rule, "chain_position", 0,
                  "bounces", 0, "due", "ack", "resolve", "flags", "assigned_at", at);
    record = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:s, "
        "s:[o], s:[{s:s, s:s, s:s}], s:{s:i, s:s}}",
        "id", tid, "customer", who->subject, "status", "acknowledged", "priority", prio, "summary",
        in->summary, "description", in->description, "service", opt_string(in->service), "symptom",
        in->symptom, "equipment", opt_string(in->equipment), "bundle", bundle, "region", region,
        "created_at", at, "updated_at", at, "assignments", assignment, "timeline", "at", at, "type",
        "ticket.created", "status", "acknowledged", "head", "events", 0, "last", "");
    if (record == NULL) {
        rc = SEAM_EINVAL;
        goto out;
    }
    json_t *data = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "customer",
        who->subject, "status", "acknowledged", "priority", prio, "summary", in->summary, "service",
        opt_string(in->service), "symptom", in->symptom, "equipment", opt_string(in->equipment),
        "description", in->description, "bundle", bundle, "region", region, "assignments", "id",
        aid, "partner", c->cfg->lead.id, "rule", rule);
    if ((rc = ticket_event(t, c, record, "ticket.created", who, at, data)) != SEAM_OK)
        goto out;
    if ((rc = put_json(t, DB_TICKETS, tid, TICKET_ID_LEN, record, STORE_NOOVERWRITE)) != SEAM_OK)
        goto out;
    char *ik = xasprintf("%s%c%s", who->subject, 0, tid);
    rc = store_put(t, DB_CUST_TICKETS, ik, strlen(who->subject) + 1 + TICKET_ID_LEN, "", 0, 0);
    free(ik);
    if (rc != SEAM_OK)
        goto out;
    *out = record;
    record = NULL;
out:
    json_decref(record);
    json_decref(cust);
    return rc;
}

enum seam_err
ticket_load(struct store_txn *t, const char *id, json_t **record)
{
    if (!ticket_id_valid(id))
        return SEAM_ENOTFOUND;
    return get_json(t, DB_TICKETS, id, TICKET_ID_LEN, record);
}

int
ticket_visible(const json_t *record, const struct principal *who)
{
    switch (who->role) {
    case ROLE_LEAD:
    case ROLE_AUDITOR:
        return 1;
    case ROLE_CUSTOMER: {
        const char *c = json_string_value(json_object_get(record, "customer"));
        return c != NULL && strcmp(c, who->subject) == 0;
    }
    case ROLE_PARTNER: {
        json_t *a;
        size_t i;
        json_array_foreach(json_object_get(record, "assignments"), i, a)
        {
            const char *p = json_string_value(json_object_get(a, "partner"));
            if (p && strcmp(p, who->subject) == 0)
                return 1;
        }
        return 0;
    }
    }
    return 0;
}

json_t *
ticket_view(const json_t *record, const struct principal *who)
{
    static const char *const public_fields[] = {
        "id",      "status",    "priority",   "summary",    "description", "service",
        "symptom", "equipment", "created_at", "updated_at", "timeline",    NULL};
    static const char *const lead_fields[] = {"customer", "bundle", "region", "assignments", NULL};
    json_t *v = json_object();
    for (const char *const *f = public_fields; *f; f++) {
        json_t *x = json_object_get(record, *f);
        if (x)
            json_object_set(v, *f, x);
    }
    if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR) {
        for (const char *const *f = lead_fields; *f; f++) {
            json_t *x = json_object_get(record, *f);
            if (x)
                json_object_set_new(v, *f, json_deep_copy(x));
        }
        /* The record's bookkeeping stays inside. */
        json_t *a;
        size_t i;
        json_array_foreach(json_object_get(v, "assignments"), i, a)
        {
            json_object_del(a, "chain_position");
        }
    }
    return v;
}

struct list_ctx {
    struct store_txn *t;
    const struct principal *who;
    size_t prefix_len;
    const char *prefix;
    unsigned limit;
    json_t *items;
    const char *cursor;
    int more;
    char last[TICKET_ID_LEN + 1];
};

static int
list_one(void *ctx, struct store_val k, struct store_val v)
{
    struct list_ctx *l = ctx;
    char id[TICKET_ID_LEN + 1];
    json_t *rec = NULL;
    (void)v;
    if (k.len != l->prefix_len + TICKET_ID_LEN || memcmp(k.data, l->prefix, l->prefix_len) != 0)
        return 1;
    memcpy(id, (const char *)k.data + l->prefix_len, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    if (l->cursor && strcmp(id, l->cursor) >= 0)
        return 0; /* the cursor itself: start after it */
    if (json_array_size(l->items) == l->limit) {
        l->more = 1;
        return 1;
    }
    if (ticket_load(l->t, id, &rec) != SEAM_OK)
        return 0;
    json_array_append_new(l->items, ticket_view(rec, l->who));
    json_decref(rec);
    memcpy(l->last, id, sizeof(id));
    return 0;
}

enum seam_err
ticket_list(struct store_txn *t, const struct principal *who, const char *cursor, unsigned limit,
            json_t **page)
{
    struct list_ctx l = {.t = t, .who = who, .limit = limit, .cursor = cursor};
    char *start = NULL;
    size_t slen;
    enum db_choice { BY_CUSTOMER, ALL } choice;
    enum seam_err rc;

    if (who->role == ROLE_CUSTOMER) {
        choice = BY_CUSTOMER;
        l.prefix_len = strlen(who->subject) + 1;
        char *prefix = xmalloc(l.prefix_len);
        memcpy(prefix, who->subject, l.prefix_len); /* with its NUL */
        l.prefix = prefix;
        slen = l.prefix_len + TICKET_ID_LEN;
        start = xmalloc(slen);
        memcpy(start, prefix, l.prefix_len);
        if (cursor)
            memcpy(start + l.prefix_len, cursor, TICKET_ID_LEN);
        else
            memset(start + l.prefix_len, 0xff, TICKET_ID_LEN);
    } else if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR) {
        choice = ALL;
        l.prefix = "";
        l.prefix_len = 0;
        slen = TICKET_ID_LEN;
        start = xmalloc(slen);
        if (cursor)
            memcpy(start, cursor, TICKET_ID_LEN);
        else
            memset(start, 0xff, TICKET_ID_LEN);
    } else {
        return SEAM_EINVAL;
    }
    l.items = json_array();
    rc = store_scan(t, choice == ALL ? DB_TICKETS : DB_CUST_TICKETS, start, slen, 1, list_one, &l);
    free(start);
    if (choice == BY_CUSTOMER)
        free((char *)l.prefix);
    if (rc != SEAM_OK) {
        json_decref(l.items);
        return rc;
    }
    *page = json_pack("{s:o, s:o}", "items", l.items, "next_cursor",
                      l.more ? json_string(l.last) : json_null());
    return SEAM_OK;
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
    enum seam_err rc = put_json(t, DB_CUSTOMERS, id, strlen(id), rec, STORE_NOOVERWRITE);
    json_decref(rec);
    return rc;
}

enum seam_err
customer_load(struct store_txn *t, const char *id, json_t **record)
{
    return get_json(t, DB_CUSTOMERS, id, strlen(id), record);
}

struct verify_ctx {
    struct store_txn *t;
    evlog_report_fn report;
    void *ctx;
    uint64_t problems;
};

static int
verify_record(void *arg, struct store_val k, struct store_val v)
{
    static const char *const fields[] = {"customer", "summary",   "description", "service",
                                         "symptom",  "equipment", "priority",    "bundle",
                                         "region",   NULL};
    struct verify_ctx *vc = arg;
    char id[TICKET_ID_LEN + 1], msg[256], *bytes = NULL;
    size_t len;
    if (k.len != TICKET_ID_LEN)
        return 0;
    memcpy(id, k.data, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    json_t *rec = json_loadb(v.data, v.len, 0, NULL), *ev = NULL;
    if (rec == NULL) {
        snprintf(msg, sizeof(msg), "ticket %s: record is not JSON", id);
        goto bad;
    }
    if (evlog_event(vc->t, id, 0, &bytes, &len) != SEAM_OK)
        goto out; /* the log check reports a missing creation event */
    ev = json_loads(bytes, 0, NULL);
    json_t *data = json_object_get(ev, "data");
    const char *at = json_string_value(json_object_get(ev, "at"));
    const char *created = json_string_value(json_object_get(rec, "created_at"));
    if (!json_equal(json_object_get(rec, "id"), json_object_get(ev, "ticket")) || at == NULL ||
        created == NULL || strcmp(at, created) != 0) {
        snprintf(msg, sizeof(msg),
                 "ticket %s: record's id or creation time differs from its "
                 "signed creation event",
                 id);
        goto bad;
    }
    for (const char *const *f = fields; *f; f++)
        if (!json_equal(json_object_get(rec, *f), json_object_get(data, *f))) {
            snprintf(msg, sizeof(msg),
                     "ticket %s: record's %s differs from its signed creation "
                     "event (record edited)",
                     id, *f);
            goto bad;
        }
    goto out;
bad:
    vc->problems++;
    vc->report(vc->ctx, msg);
out:
    free(bytes);
    json_decref(ev);
    json_decref(rec);
    return 0;
}

uint64_t
ticket_verify_records(struct store_txn *t, evlog_report_fn report, void *ctx)
{
    struct verify_ctx vc = {t, report, ctx, 0};
    if (store_scan(t, DB_TICKETS, NULL, 0, 0, verify_record, &vc) != SEAM_OK) {
        report(ctx, "tickets: scan failed");
        return 1;
    }
    return vc.problems;
}
