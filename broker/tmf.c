/*
 * tmf.c: the TMF621 model (see tmf.h): mapping a TMF create or patch onto
 * a seam complaint, the TroubleTicket resource of a record, the list's
 * filter (TMF630's attribute filtering, judged on a ticket as its resource
 * shows it), and the hub's listeners with their events, queued through the
 * same signed outbox as partner pushes. It knows no HTTP.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "json_fast.h"
#include "log.h"
#include "outbox.h"
#include "record.h"
#include "tmf.h"

/*
 * The attributes a TroubleTicket body may carry, with the types TMF621 v4's
 * schema gives them (TroubleTicket_Create, TroubleTicket_Update and the
 * types they refer to), and bounds of seam's own. Every attribute accepted
 * is checked, also those seam ignores (the server-owned ones), down to the
 * elements of arrays and their objects; a key the schema does not know is
 * refused at every level, so what is kept is as deep as the schema and no
 * deeper.
 */
enum tmf_kind {
    TK_STRING, /* a string of at most max bytes (not empty where TF_REQUIRED) */
    TK_DATE,   /* a date-time string (RFC 3339) */
    TK_NUMBER, /* a number */
    TK_OBJECT, /* an object of the type `of` */
    TK_ARRAY,  /* an array of at most max objects of the type `of` */
};

struct tmf_type;

struct tmf_attr {
    const char *name;
    enum tmf_kind kind;
    size_t max;
    const struct tmf_type *of;
    unsigned flags;
};
#define TF_REQUIRED 1u /* present and not empty (TroubleTicket: on create) */
#define TF_PATCH 2u    /* TroubleTicket: a PATCH may change it */
#define TF_KEEP 4u     /* TroubleTicket: kept as given on create */

struct tmf_type {
    const char *name; /* the schema's, for messages */
    const struct tmf_attr *attrs;
};

#define ID_MAX 128   /* ids, roles, @type and such */
#define URI_MAX 2048 /* href, url, @schemaLocation */
#define WORD_MAX 64  /* severity, ticketType, priority, status */
#define CONTENT_MAX 65536

#define ENTITY_ATTRS                                                                               \
    {"@baseType", TK_STRING, ID_MAX, NULL, 0}, {"@schemaLocation", TK_STRING, URI_MAX, NULL, 0},   \
    {                                                                                              \
        "@type", TK_STRING, ID_MAX, NULL, 0                                                        \
    }
#define REF_ATTRS                                                                                  \
    {"id", TK_STRING, ID_MAX, NULL, 0}, {"href", TK_STRING, URI_MAX, NULL, 0},                     \
        {"name", TK_STRING, SUMMARY_MAX, NULL, 0}, {"@referredType", TK_STRING, ID_MAX, NULL, 0},  \
        ENTITY_ATTRS

static const struct tmf_attr note_attrs[] = {
    {"id", TK_STRING, ID_MAX, NULL, 0},
    {"author", TK_STRING, SUMMARY_MAX, NULL, 0},
    {"date", TK_DATE, 0, NULL, 0},
    {"text", TK_STRING, DESCRIPTION_MAX, NULL, TF_REQUIRED},
    ENTITY_ATTRS,
    {NULL, 0, 0, NULL, 0}};
static const struct tmf_type note_type = {"Note", note_attrs};

static const struct tmf_attr related_attrs[] = {
    REF_ATTRS, {"role", TK_STRING, ID_MAX, NULL, 0}, {NULL, 0, 0, NULL, 0}};
static const struct tmf_type related_entity_type = {"RelatedEntity", related_attrs};
static const struct tmf_type related_party_type = {"RelatedParty", related_attrs};

static const struct tmf_attr channel_attrs[] = {REF_ATTRS, {NULL, 0, 0, NULL, 0}};
static const struct tmf_type channel_type = {"ChannelRef", channel_attrs};

static const struct tmf_attr quantity_attrs[] = {{"amount", TK_NUMBER, 0, NULL, 0},
                                                 {"units", TK_STRING, ID_MAX, NULL, 0},
                                                 {NULL, 0, 0, NULL, 0}};
static const struct tmf_type quantity_type = {"Quantity", quantity_attrs};

static const struct tmf_attr period_attrs[] = {{"startDateTime", TK_DATE, 0, NULL, 0},
                                               {"endDateTime", TK_DATE, 0, NULL, 0},
                                               {NULL, 0, 0, NULL, 0}};
static const struct tmf_type period_type = {"TimePeriod", period_attrs};

static const struct tmf_attr attachment_attrs[] = {
    REF_ATTRS,
    {"attachmentType", TK_STRING, ID_MAX, NULL, 0},
    {"content", TK_STRING, CONTENT_MAX, NULL, 0},
    {"description", TK_STRING, DESCRIPTION_MAX, NULL, 0},
    {"mimeType", TK_STRING, ID_MAX, NULL, 0},
    {"url", TK_STRING, URI_MAX, NULL, 0},
    {"size", TK_OBJECT, 0, &quantity_type, 0},
    {"validFor", TK_OBJECT, 0, &period_type, 0},
    {NULL, 0, 0, NULL, 0}};
static const struct tmf_type attachment_type = {"AttachmentRefOrValue", attachment_attrs};

static const struct tmf_attr relationship_attrs[] = {
    {"id", TK_STRING, ID_MAX, NULL, 0},
    {"href", TK_STRING, URI_MAX, NULL, 0},
    {"name", TK_STRING, SUMMARY_MAX, NULL, 0},
    {"relationshipType", TK_STRING, ID_MAX, NULL, 0},
    ENTITY_ATTRS,
    {NULL, 0, 0, NULL, 0}};
static const struct tmf_type relationship_type = {"TroubleTicketRelationship", relationship_attrs};

static const struct tmf_attr status_change_attrs[] = {
    {"changeDate", TK_DATE, 0, NULL, 0},
    {"changeReason", TK_STRING, DESCRIPTION_MAX, NULL, 0},
    {"status", TK_STRING, WORD_MAX, NULL, 0},
    ENTITY_ATTRS,
    {NULL, 0, 0, NULL, 0}};
static const struct tmf_type status_change_type = {"StatusChange", status_change_attrs};

/* The server-owned attributes (status on create, dates, priority) are checked and ignored. */
static const struct tmf_attr ticket_attrs[] = {
    {"description", TK_STRING, DESCRIPTION_MAX, NULL, TF_REQUIRED | TF_PATCH},
    {"severity", TK_STRING, WORD_MAX, NULL, TF_REQUIRED | TF_PATCH | TF_KEEP},
    {"ticketType", TK_STRING, WORD_MAX, NULL, TF_REQUIRED | TF_PATCH | TF_KEEP},
    {"name", TK_STRING, SUMMARY_MAX, NULL, TF_PATCH | TF_KEEP},
    {"externalId", TK_STRING, SUMMARY_MAX, NULL, TF_PATCH | TF_KEEP},
    {"note", TK_ARRAY, 100, &note_type, TF_PATCH},
    {"priority", TK_STRING, WORD_MAX, NULL, 0},
    {"channel", TK_OBJECT, 0, &channel_type, TF_PATCH | TF_KEEP},
    {"relatedEntity", TK_ARRAY, 50, &related_entity_type, TF_PATCH | TF_KEEP},
    {"relatedParty", TK_ARRAY, 20, &related_party_type, 0},
    {"requestedResolutionDate", TK_DATE, 0, NULL, TF_PATCH | TF_KEEP},
    {"expectedResolutionDate", TK_DATE, 0, NULL, TF_PATCH | TF_KEEP},
    {"attachment", TK_ARRAY, 20, &attachment_type, TF_KEEP},
    {"troubleTicketRelationship", TK_ARRAY, 50, &relationship_type, TF_KEEP},
    {"status", TK_STRING, WORD_MAX, NULL, TF_PATCH},
    {"statusChange", TK_ARRAY, 100, &status_change_type, 0},
    {"statusChangeDate", TK_DATE, 0, NULL, 0},
    {"statusChangeReason", TK_STRING, DESCRIPTION_MAX, NULL, TF_PATCH},
    {"creationDate", TK_DATE, 0, NULL, 0},
    {"lastUpdate", TK_DATE, 0, NULL, 0},
    {"resolutionDate", TK_DATE, 0, NULL, 0},
    {"@type", TK_STRING, ID_MAX, NULL, TF_PATCH},
    {"@baseType", TK_STRING, ID_MAX, NULL, 0},
    {"@schemaLocation", TK_STRING, URI_MAX, NULL, 0},
    {NULL, 0, 0, NULL, 0}};
static const struct tmf_type ticket_type = {"TroubleTicket", ticket_attrs};

/* TroubleTicketStatusType: the statuses a PATCH may name. */
static const char *const statuses[] = {"acknowledged", "rejected", "pending",  "held", "inProgress",
                                       "cancelled",    "closed",   "resolved", NULL};

#define KEY_SHOWN 64 /* bytes of a client's key quoted in a problem's field */

/* The length of s's longest prefix of at most max bytes that ends on a UTF-8 character. */
static size_t
utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* path + "." + key, or key at the top (the key cut to KEY_SHOWN bytes, whole characters). */
static void
path_key(char out[TMF_FIELD_MAX], const char *path, const char *key)
{
    int n = (int)utf8_prefix(key, KEY_SHOWN);
    snprintf(out, TMF_FIELD_MAX, "%s%s%.*s", path, path[0] ? "." : "", n, key);
}

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

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* RFC 3339's date-time: 2024-05-01T08:00:00Z, with optional fraction and a numeric offset. */
static int
is_date_time(const char *s)
{
    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return 0;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
        mi = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        sec < 0 || sec > 60)
        return 0;
    s += 19;
    if (*s == '.') {
        int n = 0;
        for (s++; *s >= '0' && *s <= '9'; s++)
            n++;
        if (n == 0 || n > 9)
            return 0;
    }
    if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
        return 1;
    return (*s == '+' || *s == '-') && digits(s + 1, 2) >= 0 && digits(s + 1, 2) <= 23 &&
           s[3] == ':' && digits(s + 4, 2) >= 0 && digits(s + 4, 2) <= 59 && s[6] == '\0';
}

static int check_object(const json_t *v, const struct tmf_type *t, const char *path,
                        struct tmf_problem *p);

/* One attribute's value against its type; path names it. */
static int
check_attr(const json_t *v, const struct tmf_attr *a, const char *path, struct tmf_problem *p)
{
    switch (a->kind) {
    case TK_STRING:
        if (!json_is_string(v) || json_string_length(v) > a->max)
            return problem(p, E_INVALID_FIELD, path, "must be a string of at most %zu bytes",
                           a->max);
        if ((a->flags & TF_REQUIRED) && json_string_length(v) == 0)
            return problem(p, E_INVALID_FIELD, path, "must not be empty");
        return 0;
    case TK_DATE:
        if (!json_is_string(v) || !is_date_time(json_string_value(v)))
            return problem(p, E_INVALID_FIELD, path,
                           "must be a date-time string (RFC 3339, e.g. 2024-05-01T08:00:00Z)");
        return 0;
    case TK_NUMBER:
        if (!json_is_number(v))
            return problem(p, E_INVALID_FIELD, path, "must be a number");
        return 0;
    case TK_OBJECT:
        return check_object(v, a->of, path, p);
    case TK_ARRAY: {
        json_t *e;
        size_t i;
        char at[TMF_FIELD_MAX];
        if (!json_is_array(v) || json_array_size(v) > a->max)
            return problem(p, E_INVALID_FIELD, path, "must be an array of at most %zu %s objects",
                           a->max, a->of->name);
        json_array_foreach(v, i, e)
        {
            snprintf(at, sizeof(at), "%s[%zu]", path, i);
            if (check_object(e, a->of, at, p) != 0)
                return -1;
        }
        return 0;
    }
    }
    return problem(p, E_INVALID_FIELD, path, "not a known type");
}

static const struct tmf_attr *
find_attr(const struct tmf_type *t, const char *key)
{
    for (const struct tmf_attr *a = t->attrs; a->name; a++)
        if (strcmp(a->name, key) == 0)
            return a;
    return NULL;
}

/* An object of type t: every key known and well typed, the required ones there. */
static int
check_object(const json_t *v, const struct tmf_type *t, const char *path, struct tmf_problem *p)
{
    const char *key;
    json_t *x;
    char at[TMF_FIELD_MAX];
    if (!json_is_object(v))
        return problem(p, E_INVALID_FIELD, path, "must be a %s object", t->name);
    json_object_foreach((json_t *)v, key, x)
    {
        const struct tmf_attr *a = find_attr(t, key);
        path_key(at, path, key);
        if (a == NULL)
            return problem(p, E_UNKNOWN_FIELD, at, "not a %s attribute", t->name);
        if (check_attr(x, a, at, p) != 0)
            return -1;
    }
    for (const struct tmf_attr *a = t->attrs; a->name; a++)
        if ((a->flags & TF_REQUIRED) && json_object_get(v, a->name) == NULL) {
            path_key(at, path, a->name);
            return problem(p, E_MISSING_FIELD, at, "a %s has a %s", t->name, a->name);
        }
    return 0;
}

/* The notes as seam keeps them: their text only; author and date are stamped at the commit. */
static json_t *
notes_kept(const json_t *notes)
{
    json_t *out = json_array(), *n;
    size_t i;
    json_array_foreach(notes, i, n)
    {
        json_array_append_new(out, json_pack("{s:O}", "text", json_object_get(n, "text")));
    }
    return out;
}

#define SEVERITIES "Critical, Urgent, High, Major, Medium, Normal, Low or Minor (any case)"

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

unsigned
tmf_patch_facts(const struct config *cfg, const json_t *attrs, const char *facts[])
{
    const char *type = json_string_value(json_object_get(attrs, "ticketType"));
    unsigned given = 0;
    for (size_t k = 0; k < cfg->nfact_kinds && k < FACT_MAX; k++) {
        const struct fact_kind *fk = &cfg->fact_kinds[k];
        const char *v = NULL;
        if (!fact_from_complaint(fk))
            continue;
        if (fk->tmf_roles != NULL)
            v = related(attrs, fk->tmf_roles, &cfg->vocab[k]);
        if (v == NULL && type != NULL && fk->tmf_type && strlist_has(&cfg->vocab[k], type))
            v = type;
        if (v == NULL && k == FACT_SERVICE && type != NULL &&
            strcasecmp(type, "connectivity") == 0 && strlist_has(&cfg->vocab[k], "internet"))
            v = "internet";
        if (v != NULL) {
            facts[k] = v;
            given |= 1u << k;
        }
    }
    return given;
}

int
tmf_input(const struct config *cfg, const json_t *body, struct ticket_input *in, json_t **attrs,
          struct tmf_problem *p)
{
    if (check_object(body, &ticket_type, "", p) != 0)
        return -1;
    if (tmf_priority_of_severity(json_string_value(json_object_get(body, "severity"))) < 0)
        return problem(p, E_INVALID_FIELD, "severity", "must be " SEVERITIES);
    const char *desc = json_string_value(json_object_get(body, "description"));
    const char *sev = json_string_value(json_object_get(body, "severity"));
    const char *type = json_string_value(json_object_get(body, "ticketType"));
    const char *name = json_string_value(json_object_get(body, "name"));
    /* Each fact the customer files: from a related entity of its roles, else the ticketType. */
    const char *v[FACT_MAX] = {NULL};
    for (size_t k = 0; k < cfg->nfact_kinds; k++) {
        const struct fact_kind *fk = &cfg->fact_kinds[k];
        if (!fact_from_complaint(fk))
            continue;
        if (fk->tmf_roles != NULL)
            v[k] = related(body, fk->tmf_roles, &cfg->vocab[k]);
        if (v[k] == NULL && fk->tmf_type && strlist_has(&cfg->vocab[k], type))
            v[k] = type;
    }
    /* TMF621's own words for the example's vocabulary. */
    if (v[FACT_SERVICE] == NULL && strcasecmp(type, "connectivity") == 0 &&
        strlist_has(&cfg->vocab[FACT_SERVICE], "internet"))
        v[FACT_SERVICE] = "internet";
    if (v[FACT_SYMPTOM] == NULL && strcasecmp(type, "device") == 0 &&
        strlist_has(&cfg->vocab[FACT_SYMPTOM], "equipment_fault"))
        v[FACT_SYMPTOM] = "equipment_fault";
    if (v[FACT_SYMPTOM] == NULL && strlist_has(&cfg->vocab[FACT_SYMPTOM], "no_service"))
        v[FACT_SYMPTOM] = "no_service";
    /* A fact the customer must file and TMF621 did not carry: its vocabulary's first value. */
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        if (v[k] == NULL && fact_required(&cfg->fact_kinds[k]))
            v[k] = cfg->vocab[k].v[0];
    memset(in, 0, sizeof(*in));
    in->description = xstrdup(desc);
    if (name != NULL && name[0]) {
        in->summary = xstrdup(name);
    } else { /* the description's start, cut between characters */
        in->summary = xstrdup(desc);
        in->summary[utf8_prefix(desc, SUMMARY_MAX)] = '\0';
    }
    for (size_t k = 0; k < cfg->nfact_kinds && k < FACT_MAX; k++)
        if (fact_from_complaint(&cfg->fact_kinds[k]) && v[k] != NULL)
            in->facts[k] = xstrdup(v[k]);
    in->priority = tmf_priority_of_severity(sev);
    json_t *a = json_object();
    for (const struct tmf_attr *k = ticket_attrs; k->name; k++)
        if ((k->flags & TF_KEEP) && json_object_get(body, k->name))
            json_object_set(a, k->name, json_object_get(body, k->name));
    if (json_object_get(body, "note") != NULL)
        json_object_set_new(a, "note", notes_kept(json_object_get(body, "note")));
    *attrs = a;
    return 0;
}

int
tmf_patch(const json_t *body, json_t **attrs, const char **status, struct tmf_problem *p)
{
    const char *key;
    json_t *v;
    char at[TMF_FIELD_MAX];
    *status = NULL;
    json_object_foreach((json_t *)body, key, v)
    {
        const struct tmf_attr *a = find_attr(&ticket_type, key);
        path_key(at, "", key);
        if (a == NULL)
            return problem(p, E_UNKNOWN_FIELD, at, "not a TroubleTicket attribute");
        if (!(a->flags & TF_PATCH))
            return problem(p, E_INVALID_FIELD, at, "this attribute cannot be changed");
        if (json_is_null(v)) { /* RFC 7396: null removes the attribute */
            if (!(a->flags & TF_KEEP) && strcmp(key, "note") != 0)
                return problem(p, E_INVALID_FIELD, at,
                               "this attribute cannot be removed (null): the ticket always has it");
            continue;
        }
        if (check_attr(v, a, at, p) != 0)
            return -1;
        if (strcmp(key, "severity") == 0 && tmf_priority_of_severity(json_string_value(v)) < 0)
            return problem(p, E_INVALID_FIELD, at, "must be " SEVERITIES);
        if (strcmp(key, "status") == 0) {
            const char *const *s;
            for (s = statuses; *s && strcmp(*s, json_string_value(v)) != 0; s++)
                ;
            if (*s == NULL)
                return problem(p, E_INVALID_FIELD, at,
                               "must be a TroubleTicketStatusType: acknowledged, rejected, "
                               "pending, held, inProgress, cancelled, closed or resolved");
            *status = json_string_value(v);
        }
    }
    json_t *out = json_object();
    json_object_foreach((json_t *)body, key, v)
    {
        if (strcmp(key, "status") == 0 || strcmp(key, "@type") == 0 ||
            strcmp(key, "statusChangeReason") == 0)
            continue; /* the status goes through its own action, with the reason as its text */
        if (strcmp(key, "note") == 0 && !json_is_null(v))
            json_object_set_new(out, key, notes_kept(v));
        else
            json_object_set(out, key, v);
    }
    *attrs = out;
    return 0;
}

/* A JSON Pointer of one reference token ("/name"): the member's name
 * (~1 and ~0 unescaped) in out, or -1. */
static int
pointer_member(const char *path, char *out, size_t outsz)
{
    size_t n = 0;
    if (path[0] != '/')
        return -1;
    for (const char *c = path + 1; *c; c++) {
        char ch = *c;
        if (ch == '/')
            return -1;
        if (ch == '~') {
            if (c[1] != '0' && c[1] != '1')
                return -1;
            ch = c[1] == '0' ? '~' : '/';
            c++;
        }
        if (n + 1 >= outsz)
            return -1;
        out[n++] = ch;
    }
    out[n] = '\0';
    return n > 0 ? 0 : -1;
}

int
tmf_json_patch(const json_t *ops, json_t **merge, int *append_notes, struct tmf_problem *p)
{
    json_t *op, *out = NULL, *notes = NULL;
    size_t i;
    char at[TMF_FIELD_MAX], member[TMF_FIELD_MAX];
    *merge = NULL;
    *append_notes = 0;
    if (!json_is_array(ops) || json_array_size(ops) == 0 || json_array_size(ops) > 100)
        return problem(p, E_INVALID_FIELD, "",
                       "a JSON Patch (RFC 6902) is an array of 1 to 100 operations");
    out = json_object();
    json_array_foreach(ops, i, op)
    {
        const char *key, *name = json_string_value(json_object_get(op, "op"));
        const char *path = json_string_value(json_object_get(op, "path"));
        json_t *x, *value = json_object_get(op, "value");
        snprintf(at, sizeof(at), "[%zu]", i);
        if (!json_is_object(op)) {
            problem(p, E_INVALID_FIELD, at, "a JSON Patch operation is an object");
            goto bad;
        }
        json_object_foreach(op, key, x)
        {
            if (strcmp(key, "op") != 0 && strcmp(key, "path") != 0 && strcmp(key, "value") != 0 &&
                strcmp(key, "from") != 0) {
                char k[TMF_FIELD_MAX];
                path_key(k, at, key);
                problem(p, E_UNKNOWN_FIELD, k, "not a member of a JSON Patch operation");
                goto bad;
            }
        }
        snprintf(at, sizeof(at), "[%zu].op", i);
        if (name == NULL) {
            problem(p, E_MISSING_FIELD, at, "every operation has an op");
            goto bad;
        }
        if (strcmp(name, "add") != 0 && strcmp(name, "replace") != 0 &&
            strcmp(name, "remove") != 0) {
            problem(p, E_INVALID_FIELD, at,
                    "seam takes the JSON Patch operations add, replace and remove (not move, "
                    "copy or test)");
            goto bad;
        }
        snprintf(at, sizeof(at), "[%zu].path", i);
        if (path == NULL) {
            problem(p, E_MISSING_FIELD, at, "every operation has a path");
            goto bad;
        }
        if (strcmp(path, "/note/-") == 0 && strcmp(name, "add") == 0) {
            /* Appending a note: the one change of an array element seam takes. */
            if (json_object_get(out, "note") != NULL) {
                problem(p, E_INVALID_FIELD, at, "the notes are both replaced and added to");
                goto bad;
            }
            if (notes == NULL)
                notes = json_array();
            if (value == NULL) {
                snprintf(at, sizeof(at), "[%zu].value", i);
                problem(p, E_MISSING_FIELD, at, "add takes a value: the Note");
                goto bad;
            }
            json_array_append(notes, value);
            continue;
        }
        if (pointer_member(path, member, sizeof(member)) != 0) {
            problem(p, E_INVALID_FIELD, at,
                    "seam takes paths to a TroubleTicket attribute (/name) and /note/- (add a "
                    "note); not the inside of an attribute");
            goto bad;
        }
        if (strcmp(member, "note") == 0 && notes != NULL) {
            problem(p, E_INVALID_FIELD, at, "the notes are both replaced and added to");
            goto bad;
        }
        if (strcmp(name, "remove") == 0) {
            json_object_set_new(out, member, json_null());
        } else if (value == NULL || json_is_null(value)) {
            snprintf(at, sizeof(at), "[%zu].value", i);
            problem(p, E_MISSING_FIELD, at, "add and replace take a value (remove takes none)");
            goto bad;
        } else {
            json_object_set(out, member, value);
        }
    }
    if (notes != NULL) {
        json_object_set_new(out, "note", notes);
        *append_notes = 1;
    }
    *merge = out;
    return 0;
bad:
    json_decref(out);
    json_decref(notes);
    return -1;
}

/* The severity shown for a priority (enum priority; -1: none) when the client gave none. */
static const char *
severity_of_priority(int p)
{
    return p == PRIO_URGENT ? "Critical"
           : p == PRIO_HIGH ? "High"
           : p == PRIO_LOW  ? "Low"
                            : "Medium";
}

/*
 * The TMF621 view of a ticket, written as JSON text straight from the typed
 * ticket (no tree of the record is built: a list page renders many). Members
 * in this order, a later one replacing an earlier of the same name: what
 * seam knows (name, severity from the priority, ticketType from the service
 * or else the symptom, ...), then what the TMF client gave and changed since
 * (kept as given), then relatedParty and statusChange (every change of
 * status on the timeline, from the events).
 */
char *
tmf_view_text(const struct ticket *tk, size_t *len)
{
    struct json_obj o = JSON_OBJ_INIT;
    char href[sizeof(TMF_BASE "/troubleTicket/") + SEAM_ID_LEN];
    snprintf(href, sizeof(href), "%s/troubleTicket/%s", TMF_BASE, tk->id);
    int prio = tk->priority >= 0 && tk->priority < PRIO_COUNT ? tk->priority : -1;
    json_obj_str(&o, "id", tk->id);
    json_obj_str(&o, "href", href);
    json_obj_str(&o, "@type", "TroubleTicket");
    if (tk->summary)
        json_obj_str(&o, "name", tk->summary);
    if (tk->description)
        json_obj_str(&o, "description", tk->description);
    json_obj_str(&o, "severity", severity_of_priority(prio));
    if (tk->filed[FACT_SERVICE] || tk->filed[FACT_SYMPTOM])
        json_obj_str(&o, "ticketType",
                     tk->filed[FACT_SERVICE] ? tk->filed[FACT_SERVICE] : tk->filed[FACT_SYMPTOM]);
    json_obj_str(&o, "status", ticket_statuses[tk->status].name);
    if (prio >= 0)
        json_obj_str(&o, "priority", priority_names[prio]);
    record_time_member(&o, "creationDate", tk->created_at);
    record_time_member(&o, "lastUpdate", tk->updated_at);
    json_t *tmf = tk->tmf ? json_loads(tk->tmf, 0, NULL) : NULL, *k;
    const char *key;
    json_object_foreach(tmf, key, k)
    {
        if (strcmp(key, "externalIdentifier") == 0)
            continue; /* v5's (tmf.h, "TMF621 v5"): v4 shows its first id as externalId */
        if (json_obj_json(&o, key, k) != SEAM_OK)
            log_warnx("ticket=%s tmf attribute %s not shown", tk->id, key);
    }
    json_decref(tmf);
    struct json_obj party = JSON_OBJ_INIT;
    json_obj_str(&party, "id", tk->customer);
    json_obj_str(&party, "role", "customer");
    json_obj_str(&party, "@referredType", "Customer");
    size_t n;
    char *text = json_obj_finish(&party, &n);
    struct json_arr parties = JSON_ARR_INIT;
    json_arr_raw(&parties, text, n);
    free(text);
    text = json_arr_finish(&parties, &n);
    json_obj_raw(&o, "relatedParty", text, n);
    free(text);
    struct json_arr changes = JSON_ARR_INIT;
    const struct timeline_entry *changed = NULL;
    for (size_t i = 0; i < tk->ntimeline; i++) {
        const struct timeline_entry *e = &tk->timeline[i];
        if (i > 0 && e->status == tk->timeline[i - 1].status)
            continue;
        struct json_obj c = JSON_OBJ_INIT;
        json_obj_str(&c, "status", ticket_statuses[e->status].name);
        record_time_member(&c, "changeDate", e->at);
        if (e->text)
            json_obj_str(&c, "changeReason", e->text);
        text = json_obj_finish(&c, &n);
        json_arr_raw(&changes, text, n);
        free(text);
        changed = e;
    }
    text = json_arr_finish(&changes, &n);
    json_obj_raw(&o, "statusChange", text, n);
    free(text);
    if (changed != NULL)
        record_time_member(&o, "statusChangeDate", changed->at);
    return json_obj_finish(&o, len);
}

/* ---- the hub ---- */

#define HUB_PREFIX "tmfhub/"

enum seam_err
tmf_hub_add(struct store_txn *t, const char *callback, const char *query, json_t **out)
{
    return tmf_hub_add_version(t, callback, query, 4, out);
}

enum seam_err
tmf_hub_add_version(struct store_txn *t, const char *callback, const char *query, int version,
                    json_t **out)
{
    uint8_t raw[8];
    char id[17];
    randombytes_buf(raw, sizeof(raw));
    hex_encode(raw, sizeof(raw), id);
    json_t *hub = json_pack("{s:s, s:s, s:s?}", "id", id, "callback", callback, "query", query);
    if (version == 5) /* stored with its version; v5's Hub is Extensible */
        json_object_set_new(hub, "version", json_integer(5));
    char *key = xasprintf(HUB_PREFIX "%s", id), *text = json_dumps(hub, JSON_COMPACT);
    enum seam_err rc = store_put(t, DB_META, key, strlen(key), text, strlen(text), 0);
    free(key);
    free(text);
    if (rc != SEAM_OK) {
        json_decref(hub);
        return rc;
    }
    if (version == 5) {
        json_object_del(hub, "version");
        if (query == NULL) /* v5's Hub: a query is a string, or absent */
            json_object_del(hub, "query");
        json_object_set_new(hub, "@type", json_string("Hub"));
    }
    *out = hub;
    return SEAM_OK;
}

enum seam_err
tmf_hub_get(struct store_txn *t, const char *id, int version, json_t **out)
{
    struct store_val v;
    if (id == NULL || strlen(id) != 16)
        return SEAM_ENOTFOUND;
    char *key = xasprintf(HUB_PREFIX "%s", id);
    enum seam_err rc = store_get(t, DB_META, key, strlen(key), &v);
    free(key);
    if (rc != SEAM_OK)
        return rc;
    json_t *hub = json_loadb(v.data, v.len, 0, NULL);
    if (!json_is_object(hub)) {
        json_decref(hub);
        return SEAM_ECORRUPT;
    }
    json_object_del(hub, "version");
    if (version == 5) {
        if (json_is_null(json_object_get(hub, "query")))
            json_object_del(hub, "query");
        json_object_set_new(hub, "@type", json_string("Hub"));
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
    const char *id;   /* the ticket's: its record is read at the first hub */
    struct ticket tk; /* as the action left it (loaded: read) */
    int loaded;
    json_t *view;
    json_t *view5; /* v5's resource, made at the first v5 listener */
    const char *types[3];
    enum seam_err rc;
};

/* The ticket and its view as the action left it: the record is the
 * transaction's now, for the notification runs right after the action's own
 * writes (staged: at their replay). Read only when a hub listens: most
 * federations have none. */
static enum seam_err
notify_load(struct notify_ctx *n)
{
    enum seam_err rc = record_load(n->t, n->id, &n->tk);
    if (rc != SEAM_OK)
        return rc == SEAM_ENOTFOUND ? SEAM_ECORRUPT : rc;
    n->loaded = 1;
    n->view = tmf_view(&n->tk);
    return n->view ? SEAM_OK : SEAM_ECORRUPT;
}

static int
notify_one(void *arg, struct store_val k, struct store_val v)
{
    struct notify_ctx *n = arg;
    (void)k;
    if (!n->loaded && (n->rc = notify_load(n)) != SEAM_OK)
        return 1;
    json_t *hub = json_loadb(v.data, v.len, 0, NULL);
    const char *cb = json_string_value(json_object_get(hub, "callback"));
    const char *hid = json_string_value(json_object_get(hub, "id"));
    const char *tid = n->tk.id;
    struct tmf_hub_query *q = xcalloc(1, sizeof(*q));
    struct tmf_problem p;
    if (tmf_hub_query_parse(json_string_value(json_object_get(hub, "query")), q, &p) != 0) {
        /* a listener stored before queries were checked: it gets every event, as it did */
        log_warnx("tmf hub=%s query not applied: %s", hid ? hid : "?", p.msg);
        tmf_hub_query_free(q);
        memset(q, 0, sizeof(*q));
    }
    for (int i = 0; i < 3 && n->types[i] && cb && hid && n->rc == SEAM_OK; i++) {
        if (!tmf_hub_query_match(q, n->types[i], &n->tk))
            continue;
        char at[32], *owner = xasprintf("hub:%s", hid), *eid = NULL;
        uint8_t raw[8];
        randombytes_buf(raw, sizeof(raw));
        char hex[17];
        hex_encode(raw, sizeof(raw), hex);
        eid = xasprintf("%s", hex);
        format_time_ms(now_ms(), at);
        json_t *body;
        if (json_integer_value(json_object_get(hub, "version")) == 5) {
            if (n->view5 == NULL)
                n->view5 = tmf5_of_v4(json_deep_copy(n->view), &n->tk);
            body = tmf5_event(n->types[i], eid, at, n->view5);
        } else {
            body = json_pack("{s:s, s:s, s:s, s:{s:O}}", "eventId", eid, "eventTime", at,
                             "eventType", n->types[i], "event", "troubleTicket", n->view);
        }
        n->rc = outbox_enqueue_to(n->t, owner, cb, tid, "", n->types[i], body);
        free(owner);
        free(eid);
    }
    tmf_hub_query_free(q);
    free(q);
    json_decref(hub);
    return n->rc != SEAM_OK;
}

/* The hubs are told by the writer, whose to read they are (at the replay, when staged). */
struct staged_notify {
    char id[TICKET_ID_LEN + 1];
    const char *types[3];
};

static enum seam_err
notify_staged(struct store_txn *t, void *arg)
{
    struct staged_notify *sn = arg;
    struct notify_ctx n;
    memset(&n, 0, sizeof(n));
    n.t = t;
    n.id = sn->id;
    memcpy(n.types, sn->types, sizeof(n.types));
    n.rc = SEAM_OK;
    enum seam_err rc = store_scan_prefix(t, DB_META, HUB_PREFIX, notify_one, &n);
    json_decref(n.view);
    json_decref(n.view5);
    if (n.loaded)
        ticket_free(&n.tk);
    return rc != SEAM_OK ? rc : n.rc;
}

static void
staged_notify_free(void *arg)
{
    free(arg);
}

json_t *
tmf_view(const struct ticket *tk)
{
    size_t n;
    char *text = tmf_view_text(tk, &n);
    json_t *v = json_loadb(text, n, 0, NULL);
    free(text);
    return v;
}

enum seam_err
tmf_notify(struct store_txn *t, const struct ticket *tk, int status_before, enum event_type event)
{
    const char *types[3] = {NULL, NULL, NULL};
    int k = 0;
    if (status_before < 0) {
        types[k++] = "TroubleTicketCreateEvent";
    } else if ((int)tk->status != status_before) {
        types[k++] = "TroubleTicketStatusChangeEvent";
        if (tk->status == TS_RESOLVED)
            types[k++] = "TroubleTicketResolvedEvent";
        if (tk->status == TS_PENDING) /* a question to the customer (need-info) */
            types[k++] = "TroubleTicketInformationRequiredEvent";
    } else if (event == EV_TICKET_UPDATED) {
        types[k++] = "TroubleTicketAttributeValueChangeEvent";
    }
    if (k == 0)
        return SEAM_OK;
    struct staged_notify *sn = xmalloc(sizeof(*sn));
    snprintf(sn->id, sizeof(sn->id), "%s", tk->id);
    memcpy(sn->types, types, sizeof(types));
    return store_defer(t, notify_staged, sn, staged_notify_free);
}

/* ---- the list's filter (TMF630 attribute filtering) ---- */

enum filter_kind {
    FK_STRING,   /* equality with the string tmf_view shows */
    FK_STATUS,   /* a TroubleTicketStatusType */
    FK_PRIORITY, /* one of seam's priorities */
    FK_DATE,     /* an instant: equality and the four comparisons */
};

enum filter_attr {
    FA_ID,
    FA_STATUS,
    FA_SEVERITY,
    FA_TICKET_TYPE,
    FA_PRIORITY,
    FA_NAME,
    FA_EXTERNAL_ID,
    FA_PARTY,
    FA_CREATION_DATE,
    FA_LAST_UPDATE,
    FA_STATUS_CHANGE_DATE,
    FA_REQUESTED_RESOLUTION_DATE,
    FA_EXPECTED_RESOLUTION_DATE,
    FA_EXTERNAL_IDENTIFIER, /* v5's: any of the ticket's external ids */
};

/* The attributes the list filters on, by enum filter_attr. */
static const struct {
    const char *name;
    enum filter_kind kind;
} filter_attrs[] = {
    [FA_ID] = {"id", FK_STRING},
    [FA_STATUS] = {"status", FK_STATUS},
    [FA_SEVERITY] = {"severity", FK_STRING},
    [FA_TICKET_TYPE] = {"ticketType", FK_STRING},
    [FA_PRIORITY] = {"priority", FK_PRIORITY},
    [FA_NAME] = {"name", FK_STRING},
    [FA_EXTERNAL_ID] = {"externalId", FK_STRING},
    [FA_PARTY] = {"relatedParty.id", FK_STRING},
    [FA_CREATION_DATE] = {"creationDate", FK_DATE},
    [FA_LAST_UPDATE] = {"lastUpdate", FK_DATE},
    [FA_STATUS_CHANGE_DATE] = {"statusChangeDate", FK_DATE},
    [FA_REQUESTED_RESOLUTION_DATE] = {"requestedResolutionDate", FK_DATE},
    [FA_EXPECTED_RESOLUTION_DATE] = {"expectedResolutionDate", FK_DATE},
    [FA_EXTERNAL_IDENTIFIER] = {"externalIdentifier.id", FK_STRING},
};
#define NFILTER_ATTRS (sizeof(filter_attrs) / sizeof(filter_attrs[0]))

static const char *const op_names[] = {[TMF_OP_EQ] = "eq",
                                       [TMF_OP_GT] = "gt",
                                       [TMF_OP_GTE] = "gte",
                                       [TMF_OP_LT] = "lt",
                                       [TMF_OP_LTE] = "lte"};

static int
filter_attr_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NFILTER_ATTRS; i++)
        if (strlen(filter_attrs[i].name) == len && memcmp(filter_attrs[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* An RFC 3339 date-time, or a full-date alone (its midnight UTC), as ms since the epoch. */
static int
date_ms(const char *s, int64_t *out)
{
    int64_t ms;
    if (strlen(s) == 10 && s[4] == '-' && s[7] == '-') {
        int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
        if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31)
            return -1;
        *out = days_from_civil(y, mo, d) * 86400000;
        return 0;
    }
    if (!is_date_time(s))
        return -1;
    ms = days_from_civil(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2)) * 86400000 +
         ((int64_t)digits(s + 11, 2) * 3600 + digits(s + 14, 2) * 60 + digits(s + 17, 2)) * 1000;
    s += 19;
    if (*s == '.') {
        int n = 0, frac = 0;
        for (s++; *s >= '0' && *s <= '9'; s++, n++)
            if (n < 3)
                frac = frac * 10 + (*s - '0');
        for (; n < 3; n++)
            frac *= 10;
        ms += frac;
    }
    if (*s == '+' || *s == '-') {
        int64_t off = ((int64_t)digits(s + 1, 2) * 60 + digits(s + 4, 2)) * 60000;
        ms += *s == '+' ? -off : off;
    }
    *out = ms;
    return 0;
}

static int
is_status(const char *v)
{
    for (const char *const *s = statuses; *s; s++)
        if (strcmp(*s, v) == 0)
            return 1;
    return 0;
}

/* One value of a clause, checked for the attribute's kind. */
static int
filter_value(struct tmf_clause *c, const char *v, size_t len, const char *key,
             struct tmf_problem *p)
{
    enum filter_kind kind = filter_attrs[c->attr].kind;
    if (len == 0)
        return problem(p, E_BAD_PARAMETER, key, "an empty value filters on nothing");
    if (c->nvalues == TMF_VALUES_MAX)
        return problem(p, E_BAD_PARAMETER, key, "at most %d values in one filter", TMF_VALUES_MAX);
    char *s = xmalloc(len + 1);
    memcpy(s, v, len);
    s[len] = '\0';
    int bad = 0;
    if (kind == FK_DATE && date_ms(s, &c->ms[c->nvalues]) != 0)
        bad = problem(p, E_BAD_PARAMETER, key,
                      "not a date: RFC 3339 (2024-05-01T08:00:00Z; in a URL an offset's + "
                      "is %%2B) or a date alone (2024-05-01)");
    else if (kind == FK_STATUS && !is_status(s))
        bad = problem(p, E_BAD_PARAMETER, key,
                      "not a TroubleTicketStatusType: acknowledged, rejected, pending, held, "
                      "inProgress, cancelled, closed or resolved");
    else if (kind == FK_PRIORITY && priority_parse(s) < 0)
        bad = problem(p, E_BAD_PARAMETER, key, "not a priority: low, normal, high or urgent");
    if (bad) {
        free(s);
        return -1;
    }
    c->values[c->nvalues++] = s;
    return 0;
}

static void
clause_free(struct tmf_clause *c)
{
    for (size_t i = 0; i < c->nvalues; i++)
        free(c->values[i]);
    c->nvalues = 0;
}

int
tmf_filter_add(struct tmf_filter *f, const char *key, const char *value, struct tmf_problem *p)
{
    char shown[TMF_FIELD_MAX];
    path_key(shown, "", key);
    int attr = filter_attr_find(key, strlen(key));
    enum tmf_op op = TMF_OP_EQ;
    if (attr < 0) { /* ATTR.OP */
        const char *dot = strrchr(key, '.');
        if (dot == NULL || (attr = filter_attr_find(key, (size_t)(dot - key))) < 0)
            return problem(p, E_BAD_PARAMETER, shown,
                           "not an attribute the list filters on (see the API reference)");
        size_t o;
        for (o = 0; o < sizeof(op_names) / sizeof(op_names[0]); o++)
            if (strcmp(dot + 1, op_names[o]) == 0)
                break;
        if (o == sizeof(op_names) / sizeof(op_names[0]))
            return problem(p, E_BAD_PARAMETER, shown,
                           "not an operator the list takes: eq, gt, gte, lt or lte");
        op = (enum tmf_op)o;
        if (op != TMF_OP_EQ && filter_attrs[attr].kind != FK_DATE)
            return problem(p, E_BAD_PARAMETER, shown, "%s compares dates; %s is not one",
                           op_names[op], filter_attrs[attr].name);
    }
    if (value == NULL || value[0] == '\0')
        return problem(p, E_BAD_PARAMETER, shown, "an empty value filters on nothing");
    /* Equality on one attribute, however given, is one OR list. */
    struct tmf_clause *c = NULL;
    if (op == TMF_OP_EQ)
        for (size_t i = 0; i < f->n; i++)
            if (f->c[i].attr == attr && f->c[i].op == TMF_OP_EQ)
                c = &f->c[i];
    int fresh = c == NULL;
    if (fresh) {
        if (f->n == TMF_CLAUSES_MAX)
            return problem(p, E_BAD_PARAMETER, shown, "at most %d filters in one query",
                           TMF_CLAUSES_MAX);
        c = &f->c[f->n];
        memset(c, 0, sizeof(*c));
        c->attr = attr;
        c->op = op;
    }
    size_t before = c->nvalues;
    const char *v = value;
    for (;;) {
        size_t len = strcspn(v, ",;");
        if (filter_value(c, v, len, shown, p) != 0) {
            while (c->nvalues > before)
                free(c->values[--c->nvalues]);
            return -1;
        }
        if (v[len] == '\0')
            break;
        v += len + 1;
    }
    if (op != TMF_OP_EQ && c->nvalues > 1) {
        clause_free(c);
        return problem(p, E_BAD_PARAMETER, shown, "a comparison takes one date, not a list");
    }
    if (fresh)
        f->n++;
    return 0;
}

void
tmf_filter_free(struct tmf_filter *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++)
        clause_free(&f->c[i]);
    f->n = 0;
}

/* What tmf_view shows of a string attribute; NULL: nothing. tmf: the kept attributes. */
static const char *
shown_string(enum filter_attr a, const struct ticket *tk, const json_t *tmf)
{
    const char *v;
    switch (a) {
    case FA_ID:
        return tk->id;
    case FA_STATUS:
        return ticket_statuses[tk->status].name;
    case FA_PRIORITY:
        return tk->priority >= 0 && tk->priority < PRIO_COUNT ? priority_names[tk->priority] : NULL;
    case FA_SEVERITY:
        v = json_string_value(json_object_get(tmf, "severity"));
        return v ? v : severity_of_priority(tk->priority);
    case FA_TICKET_TYPE:
        v = json_string_value(json_object_get(tmf, "ticketType"));
        return v ? v : tk->filed[FACT_SERVICE] ? tk->filed[FACT_SERVICE] : tk->filed[FACT_SYMPTOM];
    case FA_NAME:
        v = json_string_value(json_object_get(tmf, "name"));
        return v ? v : tk->summary;
    case FA_EXTERNAL_ID:
        return json_string_value(json_object_get(tmf, "externalId"));
    case FA_PARTY:
        return tk->customer;
    default:
        return NULL;
    }
}

/* The instant tmf_view shows of a date attribute: 0 and *ms, or -1: none. */
static int
shown_date(enum filter_attr a, const struct ticket *tk, const json_t *tmf, int64_t *ms)
{
    const char *v;
    switch (a) {
    case FA_CREATION_DATE:
        *ms = tk->created_at;
        return 0;
    case FA_LAST_UPDATE:
        *ms = tk->updated_at;
        return 0;
    case FA_STATUS_CHANGE_DATE: { /* the last change of status on the timeline */
        int found = 0;
        for (size_t i = 0; i < tk->ntimeline; i++)
            if (i == 0 || tk->timeline[i].status != tk->timeline[i - 1].status) {
                *ms = tk->timeline[i].at;
                found = 1;
            }
        return found ? 0 : -1;
    }
    case FA_REQUESTED_RESOLUTION_DATE:
    case FA_EXPECTED_RESOLUTION_DATE:
        v = json_string_value(json_object_get(tmf, a == FA_REQUESTED_RESOLUTION_DATE
                                                       ? "requestedResolutionDate"
                                                       : "expectedResolutionDate"));
        return v != NULL && date_ms(v, ms) == 0 ? 0 : -1;
    default:
        return -1;
    }
}

static int
needs_tmf(enum filter_attr a)
{
    return a == FA_SEVERITY || a == FA_TICKET_TYPE || a == FA_NAME || a == FA_EXTERNAL_ID ||
           a == FA_EXTERNAL_IDENTIFIER || a == FA_REQUESTED_RESOLUTION_DATE ||
           a == FA_EXPECTED_RESOLUTION_DATE;
}

/* Whether one of the values is one of the ticket's external ids: its
 * externalId, or an id of v5's externalIdentifier (as the v5 view shows). */
static int
external_holds(const struct tmf_clause *c, const json_t *tmf)
{
    const char *eid = json_string_value(json_object_get(tmf, "externalId"));
    json_t *e, *ext = json_object_get(tmf, "externalIdentifier");
    size_t i;
    if (eid == NULL)
        return 0; /* none, as the v5 view shows none */
    for (size_t k = 0; k < c->nvalues; k++) {
        if (strcmp(eid, c->values[k]) == 0)
            return 1;
        if (json_string_value(json_object_get(json_array_get(ext, 0), "id")) == NULL ||
            strcmp(json_string_value(json_object_get(json_array_get(ext, 0), "id")), eid) != 0)
            continue; /* the v5 view shows externalId alone */
        json_array_foreach(ext, i, e)
        {
            const char *id = json_string_value(json_object_get(e, "id"));
            if (id != NULL && strcmp(id, c->values[k]) == 0)
                return 1;
        }
    }
    return 0;
}

static int
clause_holds(const struct tmf_clause *c, const struct ticket *tk, const json_t *tmf)
{
    enum filter_attr a = (enum filter_attr)c->attr;
    if (a == FA_EXTERNAL_IDENTIFIER)
        return external_holds(c, tmf);
    if (filter_attrs[a].kind != FK_DATE) {
        const char *v = shown_string(a, tk, tmf);
        for (size_t i = 0; v != NULL && i < c->nvalues; i++)
            if (strcmp(v, c->values[i]) == 0)
                return 1;
        return 0;
    }
    int64_t ms;
    if (shown_date(a, tk, tmf, &ms) != 0)
        return 0;
    for (size_t i = 0; i < c->nvalues; i++) {
        int64_t x = c->ms[i];
        switch (c->op) {
        case TMF_OP_EQ:
            if (ms == x)
                return 1;
            break;
        case TMF_OP_GT:
            return ms > x;
        case TMF_OP_GTE:
            return ms >= x;
        case TMF_OP_LT:
            return ms < x;
        case TMF_OP_LTE:
            return ms <= x;
        }
    }
    return 0;
}

int
tmf_filter_match(void *arg, const struct ticket *tk)
{
    const struct tmf_filter *f = arg;
    json_t *tmf = NULL;
    int ok = 1, parsed = 0;
    for (size_t i = 0; ok && i < f->n; i++) {
        if (!parsed && needs_tmf((enum filter_attr)f->c[i].attr)) {
            tmf = tk->tmf ? json_loads(tk->tmf, 0, NULL) : NULL;
            parsed = 1;
        }
        ok = clause_holds(&f->c[i], tk, tmf);
    }
    json_decref(tmf);
    return ok;
}

int
tmf_filter_plain(const struct tmf_filter *f, struct ticket_filter *out)
{
    int64_t from = INT64_MIN, to = INT64_MAX;
    int exact = f->n == 0 || (f->n == 1 && f->c[0].attr == FA_STATUS && f->c[0].nvalues == 1 &&
                              f->c[0].op == TMF_OP_EQ);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < f->n; i++) {
        const struct tmf_clause *c = &f->c[i];
        if (c->attr == FA_STATUS && c->nvalues == 1)
            out->status = c->values[0];
        if (c->attr != FA_CREATION_DATE || c->nvalues != 1)
            continue;
        int64_t x = c->ms[0];
        switch (c->op) { /* created in [from, to) */
        case TMF_OP_EQ:
            from = from > x ? from : x;
            to = to < x + 1 ? to : x + 1;
            break;
        case TMF_OP_GT:
            from = from > x + 1 ? from : x + 1;
            break;
        case TMF_OP_GTE:
            from = from > x ? from : x;
            break;
        case TMF_OP_LT:
            to = to < x ? to : x;
            break;
        case TMF_OP_LTE:
            to = to < x + 1 ? to : x + 1;
            break;
        }
    }
    if (from > 0 && from != INT64_MIN)
        out->from_ms = from;
    if (to > 0 && to != INT64_MAX)
        out->to_ms = to;
    out->match = tmf_filter_match;
    out->match_arg = (void *)f;
    return exact;
}

/* ---- a listener's query ---- */

static const char *const hub_event_types[] = {"TroubleTicketCreateEvent",
                                              "TroubleTicketStatusChangeEvent",
                                              "TroubleTicketResolvedEvent",
                                              "TroubleTicketAttributeValueChangeEvent",
                                              "TroubleTicketInformationRequiredEvent",
                                              NULL};

/* The bit of an event type's name (its first letter of either case), or 0. */
static unsigned
hub_type_bit(const char *name, size_t n)
{
    for (unsigned i = 0; hub_event_types[i]; i++)
        if (strlen(hub_event_types[i]) == n && strncasecmp(hub_event_types[i], name, 1) == 0 &&
            strncmp(hub_event_types[i] + 1, name + 1, n - 1) == 0)
            return 1u << i;
    return 0;
}

/* s[0..n) without the spaces around it, copied into out (NUL-terminated); its length. */
static size_t
trimmed(const char *s, size_t n, char *out, size_t cap)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

#define HUB_EVENT_PREFIX "event.troubleTicket."

int
tmf_hub_query_parse(const char *q, struct tmf_hub_query *out, struct tmf_problem *p)
{
    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return 0;
    char key[256], value[2048];
    for (const char *c = q; *c != '\0';) {
        const char *end = strchr(c, '&'), *eq;
        size_t len = end ? (size_t)(end - c) : strlen(c);
        eq = memchr(c, '=', len);
        if (eq == NULL) {
            if (trimmed(c, len, key, sizeof(key)) == 0 && end != NULL) { /* "a=1&&b=2" */
                c = end + 1;
                continue;
            }
            if (key[0] != '\0')
                return problem(p, E_INVALID_FIELD, "query",
                               "a clause of the query is ATTR=VALUES (\"%.64s\" is not)", key);
            break;
        }
        trimmed(c, (size_t)(eq - c), key, sizeof(key));
        trimmed(eq + 1, len - (size_t)(eq + 1 - c), value, sizeof(value));
        if (strcmp(key, "eventType") == 0) {
            char *save = NULL;
            for (char *v = strtok_r(value, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
                char name[128];
                size_t n = trimmed(v, strlen(v), name, sizeof(name));
                unsigned bit = hub_type_bit(name, n);
                if (bit == 0)
                    return problem(p, E_INVALID_FIELD, "query",
                                   "eventType %.64s is not an event seam sends", name);
                out->types |= bit;
            }
            if (out->types == 0)
                return problem(p, E_INVALID_FIELD, "query", "eventType names no event");
        } else if (strncmp(key, HUB_EVENT_PREFIX, strlen(HUB_EVENT_PREFIX)) == 0) {
            if (tmf_filter_add(&out->f, key + strlen(HUB_EVENT_PREFIX), value, p) != 0) {
                char msg[sizeof(p->msg)];
                snprintf(msg, sizeof(msg), "%s", p->msg);
                return problem(p, E_INVALID_FIELD, "query", "%.64s: %s", key, msg);
            }
        } else {
            return problem(p, E_INVALID_FIELD, "query",
                           "%.64s is not a query attribute (eventType, " HUB_EVENT_PREFIX "ATTR)",
                           key);
        }
        if (end == NULL)
            break;
        c = end + 1;
    }
    return 0;
}

int
tmf_hub_query_match(const struct tmf_hub_query *q, const char *type, const struct ticket *tk)
{
    if (q->types != 0 && (q->types & hub_type_bit(type, strlen(type))) == 0)
        return 0;
    return q->f.n == 0 || tmf_filter_match((void *)&q->f, tk);
}

void
tmf_hub_query_free(struct tmf_hub_query *q)
{
    tmf_filter_free(&q->f);
}
