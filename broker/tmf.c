/*
 * tmf.c: the TMF621 model (see tmf.h): mapping a TMF create or patch onto
 * a seam complaint, the TroubleTicket resource of a record, and the hub's
 * listeners with their events, queued through the same signed outbox as
 * partner pushes. It knows no HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "outbox.h"
#include "tmf.h"

/* Fields a TMF create may carry; the server-owned ones are accepted and ignored. */
static const char *const create_fields[] = {"description",
                                            "severity",
                                            "ticketType",
                                            "name",
                                            "externalId",
                                            "note",
                                            "priority",
                                            "channel",
                                            "relatedEntity",
                                            "relatedParty",
                                            "requestedResolutionDate",
                                            "expectedResolutionDate",
                                            "attachment",
                                            "troubleTicketRelationship",
                                            "status",
                                            "statusChange",
                                            "statusChangeDate",
                                            "statusChangeReason",
                                            "creationDate",
                                            "lastUpdate",
                                            "resolutionDate",
                                            "@type",
                                            "@baseType",
                                            "@schemaLocation",
                                            NULL};
/* The attributes seam keeps for TMF clients as they were given. */
static const char *const kept[] = {"severity",
                                   "ticketType",
                                   "name",
                                   "externalId",
                                   "channel",
                                   "relatedEntity",
                                   "requestedResolutionDate",
                                   "expectedResolutionDate",
                                   "attachment",
                                   "troubleTicketRelationship",
                                   NULL};
static const char *const patchable[] = {"description",
                                        "severity",
                                        "ticketType",
                                        "name",
                                        "externalId",
                                        "note",
                                        "channel",
                                        "relatedEntity",
                                        "requestedResolutionDate",
                                        "expectedResolutionDate",
                                        "status",
                                        "statusChangeReason",
                                        "@type",
                                        NULL};

static int
listed(const char *const *list, const char *k)
{
    for (; *list; list++)
        if (strcmp(*list, k) == 0)
            return 1;
    return 0;
}

static int
priority_of_severity(const char *sev)
{
    if (!strcasecmp(sev, "critical") || !strcasecmp(sev, "urgent"))
        return PRIO_URGENT;
    if (!strcasecmp(sev, "high") || !strcasecmp(sev, "major"))
        return PRIO_HIGH;
    if (!strcasecmp(sev, "low") || !strcasecmp(sev, "minor"))
        return PRIO_LOW;
    return PRIO_NORMAL;
}

/* Notes: an array of objects, each with a string text. */
static int
notes_ok(const json_t *notes)
{
    json_t *n;
    size_t i;
    if (!json_is_array(notes) || json_array_size(notes) > 100)
        return 0;
    json_array_foreach(notes, i, n)
    {
        const char *text = json_string_value(json_object_get(n, "text"));
        if (!json_is_object(n) || text == NULL || strlen(text) > DESCRIPTION_MAX)
            return 0;
    }
    return 1;
}

/* The first related entity of one of the roles whose name or id is in vocab. */
static const char *
related(const json_t *body, const char *const *roles, const struct strlist *vocab)
{
    json_t *e;
    size_t i;
    json_array_foreach(json_object_get(body, "relatedEntity"), i, e)
    {
        const char *role = json_string_value(json_object_get(e, "role"));
        if (role == NULL)
            continue;
        for (const char *const *r = roles; *r; r++) {
            if (strcasecmp(role, *r) != 0)
                continue;
            const char *keys[] = {"name", "id"};
            for (int k = 0; k < 2; k++) {
                const char *v = json_string_value(json_object_get(e, keys[k]));
                if (v && strlist_has(vocab, v))
                    return v;
            }
        }
    }
    return NULL;
}

int
tmf_input(const struct config *cfg, const json_t *body, struct ticket_input *in, json_t **attrs,
          const char **field, const char **msg)
{
    const char *key;
    json_t *v;
    static const char *const service_roles[] = {"service", NULL};
    static const char *const equipment_roles[] = {"equipment", "device", "resource", NULL};
    static const char *const symptom_roles[] = {"symptom", NULL};
    json_object_foreach((json_t *)body, key, v)
    {
        if (!listed(create_fields, key)) {
            *field = key;
            *msg = "not a TroubleTicket attribute";
            return -1;
        }
    }
    const char *desc = json_string_value(json_object_get(body, "description"));
    const char *sev = json_string_value(json_object_get(body, "severity"));
    const char *type = json_string_value(json_object_get(body, "ticketType"));
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *req[][2] = {{"description", desc}, {"severity", sev}, {"ticketType", type}};
    for (int i = 0; i < 3; i++)
        if (req[i][1] == NULL || req[i][1][0] == '\0') {
            *field = req[i][0];
            *msg = "a required string is missing";
            return -1;
        }
    if (strlen(desc) > DESCRIPTION_MAX || strlen(sev) > 64 || strlen(type) > 64 ||
        (name && strlen(name) > SUMMARY_MAX)) {
        *field = strlen(desc) > DESCRIPTION_MAX ? "description" : "name";
        *msg = "too long";
        return -1;
    }
    json_t *notes = json_object_get(body, "note");
    if (notes != NULL && !notes_ok(notes)) {
        *field = "note";
        *msg = "note is an array of objects, each with a text";
        return -1;
    }
    json_t *rel = json_object_get(body, "relatedEntity");
    if (rel != NULL && !json_is_array(rel)) {
        *field = "relatedEntity";
        *msg = "relatedEntity is an array";
        return -1;
    }
    const char *service = related(body, service_roles, &cfg->services);
    const char *equipment = related(body, equipment_roles, &cfg->equipment);
    const char *symptom = related(body, symptom_roles, &cfg->symptoms);
    if (service == NULL && strlist_has(&cfg->services, type))
        service = type;
    if (symptom == NULL && strlist_has(&cfg->symptoms, type))
        symptom = type;
    if (service == NULL && strcasecmp(type, "connectivity") == 0 &&
        strlist_has(&cfg->services, "internet"))
        service = "internet";
    if (symptom == NULL && strcasecmp(type, "device") == 0 &&
        strlist_has(&cfg->symptoms, "equipment_fault"))
        symptom = "equipment_fault";
    if (symptom == NULL)
        symptom = strlist_has(&cfg->symptoms, "no_service") ? "no_service" : cfg->symptoms.v[0];
    memset(in, 0, sizeof(*in));
    in->description = xstrdup(desc);
    if (name != NULL && name[0]) {
        in->summary = xstrdup(name);
    } else {
        in->summary = xstrdup(desc[0] ? desc : type);
        if (strlen(in->summary) > SUMMARY_MAX)
            in->summary[SUMMARY_MAX] = '\0'; /* may cut a UTF-8 sequence: only for display */
    }
    in->service = service ? xstrdup(service) : NULL;
    in->symptom = xstrdup(symptom);
    in->equipment = equipment ? xstrdup(equipment) : NULL;
    in->priority = priority_of_severity(sev);
    json_t *a = json_object();
    for (const char *const *k = kept; *k; k++)
        if (json_object_get(body, *k))
            json_object_set(a, *k, json_object_get(body, *k));
    if (notes != NULL)
        json_object_set(a, "note", notes);
    *attrs = a;
    return 0;
}

int
tmf_patch(const json_t *body, json_t **attrs, const char **status, const char **field,
          const char **msg)
{
    const char *key;
    json_t *v;
    json_t *a = json_object();
    *status = NULL;
    json_object_foreach((json_t *)body, key, v)
    {
        if (!listed(patchable, key)) {
            *field = key;
            *msg = "this attribute cannot be changed";
            goto bad;
        }
        if (strcmp(key, "status") == 0) {
            *status = json_string_value(v);
            if (*status == NULL) {
                *field = key;
                *msg = "status is a string";
                goto bad;
            }
            continue;
        }
        if (strcmp(key, "@type") == 0 || strcmp(key, "statusChangeReason") == 0)
            continue;
        if (strcmp(key, "note") == 0 ? !notes_ok(v)
            : strcmp(key, "relatedEntity") == 0
                ? !json_is_array(v)
                : !json_is_string(v) || json_string_length(v) > DESCRIPTION_MAX) {
            *field = key;
            *msg = "a wrong type or a value too long";
            goto bad;
        }
        json_object_set(a, key, v);
    }
    *attrs = a;
    return 0;
bad:
    json_decref(a);
    return -1;
}

static const char *
severity_of(const json_t *record)
{
    const char *p = json_string_value(json_object_get(record, "priority"));
    return !p                     ? "Medium"
           : !strcmp(p, "urgent") ? "Critical"
           : !strcmp(p, "high")   ? "High"
           : !strcmp(p, "low")    ? "Low"
                                  : "Medium";
}

json_t *
tmf_view(const json_t *record)
{
    json_t *tmf = json_object_get(record, "tmf"), *e, *k;
    const char *id = json_string_value(json_object_get(record, "id"));
    const char *key;
    size_t i;
    char *href = xasprintf("%s/troubleTicket/%s", TMF_BASE, id);
    json_t *v = json_pack("{s:s, s:s, s:s}", "id", id, "href", href, "@type", "TroubleTicket");
    free(href);
    json_object_set(v, "name", json_object_get(record, "summary"));
    json_object_set(v, "description", json_object_get(record, "description"));
    json_object_set_new(v, "severity", json_string(severity_of(record)));
    json_t *svc = json_object_get(record, "service");
    json_object_set(v, "ticketType",
                    json_is_string(svc) ? svc : json_object_get(record, "symptom"));
    json_object_set(v, "status", json_object_get(record, "status"));
    json_object_set(v, "priority", json_object_get(record, "priority"));
    json_object_set(v, "creationDate", json_object_get(record, "created_at"));
    json_object_set(v, "lastUpdate", json_object_get(record, "updated_at"));
    /* What the TMF client gave (and changed since) is shown as given. */
    json_object_foreach(tmf, key, k)
    {
        json_object_set(v, key, k);
    }
    json_object_set_new(v, "relatedParty",
                        json_pack("[{s:O, s:s, s:s}]", "id", json_object_get(record, "customer"),
                                  "role", "customer", "@referredType", "Customer"));
    /* statusChange: every change of status on the timeline, from the events. */
    json_t *changes = json_array();
    const char *last = NULL;
    json_array_foreach(json_object_get(record, "timeline"), i, e)
    {
        const char *st = json_string_value(json_object_get(e, "status"));
        if (st == NULL || (last && strcmp(st, last) == 0))
            continue;
        json_t *c = json_pack("{s:s, s:O}", "status", st, "changeDate", json_object_get(e, "at"));
        if (json_is_string(json_object_get(e, "text")))
            json_object_set(c, "changeReason", json_object_get(e, "text"));
        json_array_append_new(changes, c);
        json_object_set(v, "statusChangeDate", json_object_get(e, "at"));
        last = st;
    }
    json_object_set_new(v, "statusChange", changes);
    return v;
}

/* ---- the hub ---- */

#define HUB_PREFIX "tmfhub/"

enum seam_err
tmf_hub_add(struct store_txn *t, const char *callback, const char *query, json_t **out)
{
    uint8_t raw[8];
    char id[17];
    randombytes_buf(raw, sizeof(raw));
    hex_encode(raw, sizeof(raw), id);
    json_t *hub = json_pack("{s:s, s:s, s:s?}", "id", id, "callback", callback, "query", query);
    char *key = xasprintf(HUB_PREFIX "%s", id), *text = json_dumps(hub, JSON_COMPACT);
    enum seam_err rc = store_put(t, DB_META, key, strlen(key), text, strlen(text), 0);
    free(key);
    free(text);
    if (rc != SEAM_OK) {
        json_decref(hub);
        return rc;
    }
    *out = hub;
    return SEAM_OK;
}

enum seam_err
tmf_hub_delete(struct store_txn *t, const char *id)
{
    if (id == NULL || strlen(id) != 16)
        return SEAM_ENOTFOUND;
    char *key = xasprintf(HUB_PREFIX "%s", id);
    enum seam_err rc = store_del(t, DB_META, key, strlen(key));
    free(key);
    return rc;
}

struct notify_ctx {
    struct store_txn *t;
    const json_t *record;
    const char *types[3];
    enum seam_err rc;
};

static int
notify_one(void *arg, struct store_val k, struct store_val v)
{
    struct notify_ctx *n = arg;
    size_t pl = strlen(HUB_PREFIX);
    if (k.len < pl || memcmp(k.data, HUB_PREFIX, pl) != 0)
        return 1;
    json_t *hub = json_loadb(v.data, v.len, 0, NULL);
    const char *cb = json_string_value(json_object_get(hub, "callback"));
    const char *hid = json_string_value(json_object_get(hub, "id"));
    const char *tid = json_string_value(json_object_get(n->record, "id"));
    for (int i = 0; i < 3 && n->types[i] && cb && hid && n->rc == SEAM_OK; i++) {
        char at[32], *owner = xasprintf("hub:%s", hid), *eid = NULL;
        uint8_t raw[8];
        randombytes_buf(raw, sizeof(raw));
        char hex[17];
        hex_encode(raw, sizeof(raw), hex);
        eid = xasprintf("%s", hex);
        format_time_ms(now_ms(), at);
        json_t *body =
            json_pack("{s:s, s:s, s:s, s:{s:o}}", "eventId", eid, "eventTime", at, "eventType",
                      n->types[i], "event", "troubleTicket", tmf_view(n->record));
        n->rc = outbox_enqueue_to(n->t, owner, cb, tid, "", n->types[i], body);
        free(owner);
        free(eid);
    }
    json_decref(hub);
    return n->rc != SEAM_OK;
}

/* The hubs are told by the writer, whose to read they are (at the replay, when staged). */
struct staged_notify {
    json_t *record; /* not changed after the notify, only read */
    const char *types[3];
};

static enum seam_err
notify_staged(struct store_txn *t, void *arg)
{
    struct staged_notify *sn = arg;
    struct notify_ctx n = {t, sn->record, {sn->types[0], sn->types[1], sn->types[2]}, SEAM_OK};
    enum seam_err rc = store_scan(t, DB_META, HUB_PREFIX, strlen(HUB_PREFIX), 0, notify_one, &n);
    return rc != SEAM_OK ? rc : n.rc;
}

static void
staged_notify_free(void *arg)
{
    struct staged_notify *sn = arg;
    json_decref(sn->record);
    free(sn);
}

enum seam_err
tmf_notify(struct store_txn *t, const json_t *record, const char *status_before, const char *event)
{
    const char *types[3] = {NULL, NULL, NULL};
    const char *status = json_string_value(json_object_get(record, "status"));
    int k = 0;
    if (status_before == NULL) {
        types[k++] = "TroubleTicketCreateEvent";
    } else if (status && strcmp(status, status_before) != 0) {
        types[k++] = "TroubleTicketStatusChangeEvent";
        if (strcmp(status, "resolved") == 0)
            types[k++] = "TroubleTicketResolvedEvent";
    } else if (event && strcmp(event, "ticket.updated") == 0) {
        types[k++] = "TroubleTicketAttributeValueChangeEvent";
    }
    if (k == 0)
        return SEAM_OK;
    struct staged_notify *sn = xmalloc(sizeof(*sn));
    sn->record = json_incref((json_t *)record);
    memcpy(sn->types, types, sizeof(types));
    return store_defer(t, notify_staged, sn, staged_notify_free);
}
