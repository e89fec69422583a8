/*
 * tmf5.c: the TMF621 v5 shapes of seam tickets (see tmf.h, "TMF621 v5"): a v5 body
 * turned into v4's, which tmf.c checks and maps as ever, and a ticket's v4
 * view turned into its v5 resource. It knows no HTTP.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tmf.h"

#define ID_MAX 128
#define URI_MAX 2048
#define TEXT_MAX SUMMARY_MAX /* as v4's name and externalId */

static int problem(struct tmf_problem *p, enum api_error code, const char *field, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

static int
problem(struct tmf_problem *p, enum api_error code, const char *field, const char *fmt, ...)
{
    va_list ap;
    p->code = code;
    snprintf(p->field, sizeof(p->field), "%s", field);
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* A member of a v5 object: its name, the longest string it takes, and
 * whether it is an object of its own (then checked by the caller). */
struct member {
    const char *name;
    size_t max;
    int required;
};

static const struct member extensible[] = {
    {"@type", ID_MAX, 0}, {"@baseType", ID_MAX, 0}, {"@schemaLocation", URI_MAX, 0}};

static const struct member entity_ref[] = {{"id", ID_MAX, 1},      {"href", URI_MAX, 0},
                                           {"name", TEXT_MAX, 0},  {"@referredType", ID_MAX, 0},
                                           {"partyId", ID_MAX, 0}, {"partyName", TEXT_MAX, 0}};

static const struct member external_identifier[] = {
    {"id", TEXT_MAX, 1}, {"owner", TEXT_MAX, 0}, {"externalIdentifierType", ID_MAX, 0}};

static const struct member *
member_of(const struct member *m, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, key) == 0)
            return &m[i];
    for (size_t i = 0; i < sizeof(extensible) / sizeof(extensible[0]); i++)
        if (strcmp(extensible[i].name, key) == 0)
            return &extensible[i];
    return NULL;
}

/*
 * An object whose members are strings of m (and Extensible's), but for the
 * one named nested (NULL: none), which the caller checks. path names it;
 * what: the schema's name, for messages.
 */
static int
check_strings(const json_t *o, const struct member *m, size_t n, const char *nested,
              const char *path, const char *what, struct tmf_problem *p)
{
    const char *key;
    json_t *v;
    char at[TMF_FIELD_MAX];
    if (!json_is_object(o))
        return problem(p, E_INVALID_FIELD, path, "must be a %s object", what);
    json_object_foreach((json_t *)o, key, v)
    {
        snprintf(at, sizeof(at), "%.180s.%.64s", path, key);
        if (nested != NULL && strcmp(key, nested) == 0)
            continue;
        const struct member *x = member_of(m, n, key);
        if (x == NULL)
            return problem(p, E_UNKNOWN_FIELD, at, "not a %s attribute", what);
        if (!json_is_string(v) || json_string_length(v) > x->max)
            return problem(p, E_INVALID_FIELD, at, "must be a string of at most %zu bytes", x->max);
        if (x->required && json_string_length(v) == 0)
            return problem(p, E_INVALID_FIELD, at, "must not be empty");
    }
    for (size_t i = 0; i < n; i++)
        if (m[i].required && json_object_get(o, m[i].name) == NULL) {
            snprintf(at, sizeof(at), "%.200s.%s", path, m[i].name);
            return problem(p, E_MISSING_FIELD, at, "a %s has an %s", what, m[i].name);
        }
    return 0;
}

/*
 * relatedEntity or relatedParty: [{role, <inner>: EntityRef, @type...}] ->
 * v4's [{role, id, href, name, @referredType}]. -1 with *p.
 */
static int
flatten_refs(const json_t *arr, const char *attr, const char *inner, const char *what, size_t max,
             json_t **out, struct tmf_problem *p)
{
    static const struct member wrapper[] = {{"role", ID_MAX, 0}};
    json_t *e;
    size_t i;
    char at[TMF_FIELD_MAX], in[TMF_FIELD_MAX];
    *out = NULL;
    if (!json_is_array(arr) || json_array_size(arr) > max)
        return problem(p, E_INVALID_FIELD, attr, "must be an array of at most %zu %s objects", max,
                       what);
    json_t *flat = json_array();
    json_array_foreach(arr, i, e)
    {
        snprintf(at, sizeof(at), "%s[%zu]", attr, i);
        if (check_strings(e, wrapper, 1, inner, at, what, p) != 0)
            goto bad;
        json_t *ref = json_object_get(e, inner);
        snprintf(in, sizeof(in), "%.200s.%s", at, inner);
        if (ref == NULL) {
            problem(p, E_MISSING_FIELD, in, "a %s names its %s", what, inner);
            goto bad;
        }
        if (check_strings(ref, entity_ref, sizeof(entity_ref) / sizeof(entity_ref[0]), NULL, in,
                          "EntityRef", p) != 0)
            goto bad;
        json_t *f = json_object();
        const char *keep[] = {"id", "href", "name", "@referredType"};
        for (size_t k = 0; k < 4; k++)
            if (json_object_get(ref, keep[k]))
                json_object_set(f, keep[k], json_object_get(ref, keep[k]));
        if (json_object_get(e, "role"))
            json_object_set(f, "role", json_object_get(e, "role"));
        json_array_append_new(flat, f);
    }
    *out = flat;
    return 0;
bad:
    json_decref(flat);
    return -1;
}

static int
check_external(const json_t *arr, json_t **out, struct tmf_problem *p)
{
    json_t *e;
    size_t i;
    char at[TMF_FIELD_MAX];
    *out = NULL;
    if (!json_is_array(arr) || json_array_size(arr) > 20)
        return problem(p, E_INVALID_FIELD, "externalIdentifier",
                       "must be an array of at most 20 ExternalIdentifier objects");
    json_array_foreach(arr, i, e)
    {
        snprintf(at, sizeof(at), "externalIdentifier[%zu]", i);
        if (check_strings(e, external_identifier,
                          sizeof(external_identifier) / sizeof(external_identifier[0]), NULL, at,
                          "ExternalIdentifier", p) != 0)
            return -1;
    }
    *out = json_deep_copy(arr);
    json_array_foreach(*out, i, e)
    {
        if (json_object_get(e, "@type") == NULL)
            json_object_set_new(e, "@type", json_string("ExternalIdentifier"));
    }
    return 0;
}

int
tmf5_body(const json_t *body, int patch, json_t **v4, json_t **external, struct tmf_problem *p)
{
    const char *key;
    json_t *v;
    *v4 = NULL;
    *external = NULL;
    if (!json_is_object(body))
        return problem(p, E_INVALID_FIELD, "", "a TroubleTicket is a JSON object");
    json_t *out = json_object();
    json_object_foreach((json_t *)body, key, v)
    {
        json_t *flat = NULL;
        if (!strcmp(key, "externalId") || !strcmp(key, "statusChange")) {
            problem(p, E_UNKNOWN_FIELD, key,
                    "not a TroubleTicket attribute of v5 (v4's; v5 says %s)",
                    key[6] == 'C' ? "statusChangeHistory" : "externalIdentifier");
            goto bad;
        }
        if (!strcmp(key, "troubleTicketSpecification") ||
            !strcmp(key, "troubleTicketCharacteristic")) {
            problem(p, E_INVALID_FIELD, key, "seam does not carry this attribute");
            goto bad;
        }
        if (!strcmp(key, "statusChangeHistory")) {
            problem(p, E_INVALID_FIELD, key, "the server writes the history of the status");
            goto bad;
        }
        if (json_is_null(v) && patch) { /* RFC 7396: tmf_patch judges the removal */
            if (!strcmp(key, "externalIdentifier"))
                *external = json_null();
            else
                json_object_set(out, key, v);
            continue;
        }
        if (!strcmp(key, "externalIdentifier")) {
            json_decref(*external);
            if (check_external(v, external, p) != 0)
                goto bad;
        } else if (!strcmp(key, "relatedEntity")) {
            if (flatten_refs(v, key, "entity", "RelatedEntity", 50, &flat, p) != 0)
                goto bad;
            json_object_set_new(out, key, flat);
        } else if (!strcmp(key, "relatedParty")) {
            if (flatten_refs(v, key, "partyOrPartyRole", "RelatedPartyRefOrPartyRoleRef", 20, &flat,
                             p) != 0)
                goto bad;
            json_object_set_new(out, key, flat);
        } else {
            json_object_set(out, key, v);
        }
    }
    *v4 = out;
    return 0;
bad:
    json_decref(out);
    json_decref(*external);
    *external = NULL;
    return -1;
}

void
tmf5_keep_external(json_t *attrs, const json_t *external)
{
    if (external == NULL)
        return;
    const char *first = json_string_value(json_object_get(json_array_get(external, 0), "id"));
    if (json_is_array(external) && json_array_size(external) > 0)
        json_object_set(attrs, "externalIdentifier", (json_t *)external);
    else
        json_object_set_new(attrs, "externalIdentifier", json_null());
    json_object_set_new(attrs, "externalId", first ? json_string(first) : json_null());
}

/* Gives o an @type when it has none. */
static void
typed(json_t *o, const char *type)
{
    if (json_is_object(o) && json_object_get(o, "@type") == NULL)
        json_object_set_new(o, "@type", json_string(type));
}

/* v4's flat reference {role, id, name, ...} -> {role, <inner>: {id, ...}, @type}. */
static json_t *
nest_ref(const json_t *flat, const char *inner, const char *type, const char *ref_type)
{
    json_t *ref = json_object(), *out = json_object(), *v;
    const char *key;
    json_object_foreach((json_t *)flat, key, v)
    {
        if (!strcmp(key, "role"))
            json_object_set(out, key, v);
        else if (!strcmp(key, "id") || !strcmp(key, "href") || !strcmp(key, "name") ||
                 !strcmp(key, "@referredType"))
            json_object_set(ref, key, v);
    }
    /* EntityRef requires an id: v4 lets a client name an entity alone, and
     * seam matches it by its name then (tmf.h). */
    if (json_object_get(ref, "id") == NULL)
        json_object_set_new(ref, "id",
                            json_string(json_string_value(json_object_get(ref, "name"))
                                            ? json_string_value(json_object_get(ref, "name"))
                                            : ""));
    json_object_set_new(ref, "@type", json_string(ref_type));
    json_object_set_new(out, inner, ref);
    json_object_set_new(out, "@type", json_string(type));
    return out;
}

static void
nest_all(json_t *view, const char *attr, const char *inner, const char *type, const char *ref_type)
{
    json_t *arr = json_object_get(view, attr), *e, *out;
    size_t i;
    if (!json_is_array(arr))
        return;
    out = json_array();
    json_array_foreach(arr, i, e)
    {
        json_array_append_new(out, nest_ref(e, inner, type, ref_type));
    }
    json_object_set_new(view, attr, out);
}

/* Whether an attachment is a reference (AttachmentRef: an id, and only a
 * reference's members) rather than a value (Attachment). */
static int
attachment_is_ref(const json_t *a)
{
    static const char *const ref_keys[] = {
        "id",  "href",  "name",      "@referredType",   "description",
        "url", "@type", "@baseType", "@schemaLocation", NULL};
    const char *key;
    json_t *v;
    if (json_object_get(a, "id") == NULL)
        return 0;
    const char *t = json_string_value(json_object_get(a, "@type"));
    if (t != NULL)
        return strcmp(t, "AttachmentRef") == 0;
    json_object_foreach((json_t *)a, key, v)
    {
        const char *const *k;
        for (k = ref_keys; *k && strcmp(*k, key) != 0; k++)
            ;
        if (*k == NULL)
            return 0;
    }
    return 1;
}

/* The ticket's stored externalIdentifier (new reference), which v4's view leaves out. */
static json_t *
stored_external(const struct ticket *tk)
{
    json_t *tmf = tk->tmf ? json_loads(tk->tmf, 0, NULL) : NULL;
    json_t *ext = json_incref(json_object_get(tmf, "externalIdentifier"));
    json_decref(tmf);
    return ext;
}

json_t *
tmf5_of_v4(json_t *v, const struct ticket *tk)
{
    json_t *e, *arr;
    size_t i;
    if (v == NULL)
        return NULL;
    const char *id = json_string_value(json_object_get(v, "id"));
    if (id != NULL) {
        char *href = xasprintf("%s/troubleTicket/%s", TMF5_BASE, id);
        json_object_set_new(v, "href", json_string(href));
        free(href);
    }
    /* One external id in two shapes: v5's array while it agrees with v4's id. */
    json_t *ext = stored_external(tk);
    const char *eid = json_string_value(json_object_get(v, "externalId"));
    const char *first = json_string_value(json_object_get(json_array_get(ext, 0), "id"));
    json_object_del(v, "externalIdentifier");
    if (ext != NULL && eid != NULL && first != NULL && strcmp(first, eid) == 0)
        json_object_set(v, "externalIdentifier", ext);
    else if (eid != NULL)
        json_object_set_new(v, "externalIdentifier",
                            json_pack("[{s:s, s:s}]", "id", eid, "@type", "ExternalIdentifier"));
    json_decref(ext);
    json_object_del(v, "externalId");
    json_array_foreach(json_object_get(v, "note"), i, e)
    {
        typed(e, "Note");
    }
    json_array_foreach(json_object_get(v, "troubleTicketRelationship"), i, e)
    {
        typed(e, "TroubleTicketRelationship");
    }
    json_array_foreach(json_object_get(v, "attachment"), i, e)
    {
        if (attachment_is_ref(e)) {
            typed(e, "AttachmentRef");
        } else {
            json_object_del(e, "@referredType");
            typed(e, "Attachment");
        }
    }
    json_t *ch = json_object_get(v, "channel");
    if (json_is_object(ch)) {
        typed(ch, "ChannelRef");
        if (json_object_get(ch, "id") == NULL && json_is_string(json_object_get(ch, "name")))
            json_object_set(ch, "id", json_object_get(ch, "name"));
    }
    nest_all(v, "relatedEntity", "entity", "RelatedEntity", "EntityRef");
    nest_all(v, "relatedParty", "partyOrPartyRole", "RelatedPartyRefOrPartyRoleRef", "PartyRef");
    arr = json_object_get(v, "statusChange");
    if (json_is_array(arr)) {
        json_t *hist = json_array();
        json_array_foreach(arr, i, e)
        {
            json_t *h = json_pack("{s:O*, s:O*, s:O*, s:s}", "status", json_object_get(e, "status"),
                                  "statusChangeDate", json_object_get(e, "changeDate"),
                                  "statusChangeReason", json_object_get(e, "changeReason"), "@type",
                                  "StatusChange");
            json_array_append_new(hist, h);
        }
        json_object_del(v, "statusChange");
        json_object_set_new(v, "statusChangeHistory", hist);
    }
    typed(v, "TroubleTicket");
    return v;
}

json_t *
tmf5_view(const struct ticket *tk)
{
    return tmf5_of_v4(tmf_view(tk), tk);
}

json_t *
tmf5_event(const char *type, const char *id, const char *at, json_t *ticket)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:O}}", "@type", type, "id", id, "eventId",
                     id, "eventType", type, "eventTime", at, "timeOccurred", at, "event",
                     "troubleTicket", ticket);
}
