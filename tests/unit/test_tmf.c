/*
 * test_tmf.c: the TMF621 face's checks of a body (tmf_input for a create,
 * tmf_patch for a PATCH) against TMF621 v4's types: what passes and what is
 * kept, and for what is refused the error and the attribute's path; RFC 3339
 * dates; notes that keep only their text until tmf_notes_stamp gives them
 * seam's author and date; a summary cut from a long description.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tap.h"
#include "tmf.h"

static const struct config *cfg;

#define BASE "\"description\":\"No light.\",\"severity\":\"High\",\"ticketType\":\"connectivity\""

/* Runs tmf_input on text; on success *attrs and *in are the caller's. */
static int
create(const char *text, struct ticket_input *in, json_t **attrs, struct tmf_problem *p)
{
    json_t *body = json_loads(text, 0, NULL);
    if (body == NULL) {
        printf("# not JSON: %s\n", text);
        return -2;
    }
    int rc = tmf_input(cfg, body, in, attrs, p);
    json_decref(body);
    return rc;
}

static void
accepted(const char *text, const char *what)
{
    struct ticket_input in;
    json_t *attrs = NULL;
    struct tmf_problem p;
    int rc = create(text, &in, &attrs, &p);
    ok(rc == 0, "create takes %s", what);
    if (rc == -1)
        printf("# refused: %s %s\n", p.field, p.msg);
    if (rc == 0) {
        in.tmf = attrs;
        ticket_input_free(&in);
    }
}

static void
refused(const char *text, enum api_error code, const char *field)
{
    struct ticket_input in;
    json_t *attrs = NULL;
    struct tmf_problem p;
    memset(&p, 0, sizeof(p));
    int rc = create(text, &in, &attrs, &p);
    ok(rc == -1 && p.code == code && strcmp(p.field, field) == 0 && p.msg[0] != '\0',
       "create refuses %s: %s", field, text);
    if (rc == -1 && (p.code != code || strcmp(p.field, field) != 0))
        printf("# got %d %s: %s\n", p.code, p.field, p.msg);
    if (rc == 0) {
        in.tmf = attrs;
        ticket_input_free(&in);
    }
}

static void
patch_refused(const char *text, enum api_error code, const char *field)
{
    json_t *body = json_loads(text, 0, NULL), *attrs = NULL;
    const char *status = NULL;
    struct tmf_problem p;
    memset(&p, 0, sizeof(p));
    int rc = body ? tmf_patch(body, &attrs, &status, &p) : -2;
    ok(rc == -1 && p.code == code && strcmp(p.field, field) == 0, "PATCH refuses %s: %s", field,
       text);
    if (rc == -1 && (p.code != code || strcmp(p.field, field) != 0))
        printf("# got %d %s: %s\n", p.code, p.field, p.msg);
    json_decref(attrs);
    json_decref(body);
}

static void
dates(void)
{
    static const char *const good[] = {"2024-05-01T08:00:00Z",
                                       "2024-05-01t08:00:00z",
                                       "2024-05-01T08:00:00.5Z",
                                       "2024-05-01T08:00:00.123456789Z",
                                       "2024-05-01T08:00:00+02:00",
                                       "2024-12-31T23:59:60-11:30",
                                       NULL};
    static const char *const bad[] = {"2024-05-01T08:00:00",
                                      "2024-05-01 08:00:00Z",
                                      "2024-5-01T08:00:00Z",
                                      "2024-05-01T24:00:00Z",
                                      "2024-13-01T08:00:00Z",
                                      "2024-05-00T08:00:00Z",
                                      "2024-05-01T08:00:00.Z",
                                      "2024-05-01T08:00:00.1234567890Z",
                                      "2024-05-01T08:00:00+2:00",
                                      "2024-05-01T08:00:00+02:00x",
                                      "2024-05-01T08:00:00ZZ",
                                      "tomorrow",
                                      "",
                                      NULL};
    char text[256];
    for (const char *const *d = good; *d; d++) {
        snprintf(text, sizeof(text), "{" BASE ",\"requestedResolutionDate\":\"%s\"}", *d);
        accepted(text, *d);
    }
    for (const char *const *d = bad; *d; d++) {
        snprintf(text, sizeof(text), "{" BASE ",\"requestedResolutionDate\":\"%s\"}", *d);
        refused(text, E_INVALID_FIELD, "requestedResolutionDate");
    }
}

static void
notes(void)
{
    struct ticket_input in;
    json_t *attrs = NULL;
    struct tmf_problem p;
    int rc =
        create("{" BASE ",\"note\":[{\"author\":\"Northwind Telecom (lead)\",\"text\":\"Approved: "
               "full refund\",\"date\":\"2020-01-01T00:00:00Z\",\"id\":\"7\",\"@type\":\"Note\"}]}",
               &in, &attrs, &p);
    ok(rc == 0, "a note with a claimed author and date is taken");
    if (rc != 0)
        return;
    json_t *note = json_array_get(json_object_get(attrs, "note"), 0);
    ok(json_object_size(note) == 1 &&
           strcmp(json_string_value(json_object_get(note, "text")), "Approved: full refund") == 0,
       "but keeps only its text");
    struct principal who = {.role = ROLE_CUSTOMER, .subject = "c1"};
    tmf_notes_stamp(json_object_get(attrs, "note"), &who, "2026-11-30T09:00:00.000Z");
    ok(strcmp(json_string_value(json_object_get(note, "author")), "customer:c1") == 0 &&
           strcmp(json_string_value(json_object_get(note, "date")), "2026-11-30T09:00:00.000Z") ==
               0,
       "the stamp gives it the principal as author and the change's time");
    struct principal lead = {.role = ROLE_LEAD, .subject = "ops"};
    tmf_notes_stamp(json_object_get(attrs, "note"), &lead, "2026-11-30T09:00:01.000Z");
    ok(strcmp(json_string_value(json_object_get(note, "author")), "lead:ops") == 0,
       "stamping again names the new principal (a retried job stamps the same)");
    tmf_notes_stamp(NULL, &who, "2026-11-30T09:00:00.000Z");
    ok(1, "stamping no notes does nothing");
    in.tmf = attrs;
    ticket_input_free(&in);
}

static void
kept(void)
{
    struct ticket_input in;
    json_t *attrs = NULL;
    struct tmf_problem p;
    int rc = create(
        "{" BASE ",\"name\":\"Fibre down\",\"externalId\":\"CRM-1\",\"priority\":\"High\","
        "\"status\":\"nanana\",\"channel\":{\"id\":\"web\"},\"relatedEntity\":[{\"id\":\"router\","
        "\"role\":\"equipment\",\"@referredType\":\"Resource\"}],\"attachment\":[{\"url\":\"http://"
        "x\","
        "\"size\":{\"amount\":1.5,\"units\":\"MB\"}}]}",
        &in, &attrs, &p);
    ok(rc == 0, "a create with many attributes is taken");
    if (rc != 0)
        return;
    ok(strcmp(in.summary, "Fibre down") == 0 && strcmp(in.facts[FACT_SERVICE], "internet") == 0 &&
           in.facts[FACT_EQUIPMENT] && strcmp(in.facts[FACT_EQUIPMENT], "router") == 0 &&
           in.priority == PRIO_HIGH,
       "mapped: summary, service, equipment, priority");
    ok(json_object_get(attrs, "status") == NULL && json_object_get(attrs, "priority") == NULL &&
           json_is_object(json_object_get(attrs, "channel")) &&
           json_is_string(json_object_get(attrs, "externalId")),
       "the server-owned attributes are not kept; channel and externalId are");
    in.tmf = attrs;
    ticket_input_free(&in);

    /* A summary cut from a long description ends between characters. */
    char text[512] = "{\"severity\":\"High\",\"ticketType\":\"device\",\"description\":\"a";
    for (int i = 0; i < 100; i++)
        strcat(text, "\xc3\xa9");
    strcat(text, "\"}");
    rc = create(text, &in, &attrs, &p);
    ok(rc == 0 && strlen(in.summary) == 199, "a summary cut from a description");
    json_t *s = rc == 0 ? json_string(in.summary) : NULL;
    ok(s != NULL, "is valid UTF-8");
    json_decref(s);
    if (rc == 0) {
        in.tmf = attrs;
        ticket_input_free(&in);
    }
}

static void
patches(void)
{
    json_t *body = json_loads(
               "{\"name\":\"n\",\"status\":\"closed\",\"statusChangeReason\":\"ok\","
               "\"@type\":\"TroubleTicket\",\"note\":[{\"text\":\"t\",\"author\":\"x\"}],"
               "\"channel\":{\"id\":\"web\"}}",
               0, NULL),
           *attrs = NULL;
    const char *status = NULL;
    struct tmf_problem p;
    int rc = tmf_patch(body, &attrs, &status, &p);
    ok(rc == 0 && status && strcmp(status, "closed") == 0, "a PATCH with a status is taken");
    ok(rc == 0 && json_object_size(attrs) == 3 &&
           json_object_size(json_array_get(json_object_get(attrs, "note"), 0)) == 1,
       "its attributes: name, note (text only), channel; the status goes apart");
    json_decref(attrs);
    json_decref(body);
    patch_refused("{\"status\":\"nanana\"}", E_INVALID_FIELD, "status");
    patch_refused("{\"status\":3}", E_INVALID_FIELD, "status");
    patch_refused("{\"name\":{\"a\":\"b\"}}", E_INVALID_FIELD, "name");
    patch_refused("{\"creationDate\":\"2020-01-01T00:00:00Z\"}", E_INVALID_FIELD, "creationDate");
    patch_refused("{\"attachment\":[]}", E_INVALID_FIELD, "attachment");
    patch_refused("{\"colour\":\"red\"}", E_UNKNOWN_FIELD, "colour");
    patch_refused("{\"description\":\"\"}", E_INVALID_FIELD, "description");
    patch_refused("{\"note\":[{\"text\":\"x\"},{}]}", E_MISSING_FIELD, "note[1].text");
    patch_refused("{\"relatedEntity\":[{\"id\":\"x\",\"name\":[[[[]]]]}]}", E_INVALID_FIELD,
                  "relatedEntity[0].name");
    /* RFC 7396: null removes what a ticket may lack; what it always has stays. */
    body = json_loads("{\"externalId\":null,\"note\":null,\"severity\":null}", 0, NULL);
    rc = tmf_patch(body, &attrs, &status, &p);
    ok(rc == 0 && json_object_size(attrs) == 3 && json_is_null(json_object_get(attrs, "note")) &&
           json_is_null(json_object_get(attrs, "externalId")),
       "null removes externalId, note and severity (kept as null in the attributes)");
    json_decref(attrs);
    json_decref(body);
    patch_refused("{\"description\":null}", E_INVALID_FIELD, "description");
    patch_refused("{\"status\":null}", E_INVALID_FIELD, "status");
    patch_refused("{\"severity\":\"nanana\"}", E_INVALID_FIELD, "severity");
    patch_refused("{\"creationDate\":null}", E_INVALID_FIELD, "creationDate");
    ok(tmf_priority_of_severity("critical") == PRIO_URGENT &&
           tmf_priority_of_severity("Minor") == PRIO_LOW &&
           tmf_priority_of_severity("Medium") == PRIO_NORMAL &&
           tmf_priority_of_severity("Sorta") == -1 && tmf_priority_of_severity(NULL) == -1,
       "severities map to priorities; any other is none");
}

/* A JSON Patch (RFC 6902) as the merge patch it amounts to. */
static void
json_patches(void)
{
    struct tmf_problem p;
    json_t *merge = NULL;
    int append = -1;
    json_t *ops = json_loads("[{\"op\":\"add\",\"path\":\"/note/-\",\"value\":{\"text\":\"a\"}},"
                             "{\"op\":\"add\",\"path\":\"/note/-\",\"value\":{\"text\":\"b\"}}]",
                             0, NULL);
    int rc = tmf_json_patch(ops, &merge, &append, &p);
    ok(rc == 0 && append == 1 && json_array_size(json_object_get(merge, "note")) == 2,
       "add /note/- twice: two notes to append");
    json_decref(merge);
    json_decref(ops);
    ops = json_loads("[{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"n\"},"
                     "{\"op\":\"remove\",\"path\":\"/externalId\"},"
                     "{\"op\":\"add\",\"path\":\"/a~1b~0\",\"value\":1}]",
                     0, NULL);
    rc = tmf_json_patch(ops, &merge, &append, &p);
    ok(rc == 0 && append == 0 && json_is_null(json_object_get(merge, "externalId")) &&
           json_is_string(json_object_get(merge, "name")) && json_object_get(merge, "a/b~"),
       "replace, remove and add of members (~1 and ~0 unescaped)");
    json_decref(merge);
    json_decref(ops);
    static const struct {
        const char *ops, *field;
        enum api_error code;
    } bad[] = {
        {"{\"op\":\"add\"}", "", E_INVALID_FIELD},
        {"[]", "", E_INVALID_FIELD},
        {"[7]", "[0]", E_INVALID_FIELD},
        {"[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b\"}]", "[0].op", E_INVALID_FIELD},
        {"[{\"op\":\"test\",\"path\":\"/b\",\"value\":1}]", "[0].op", E_INVALID_FIELD},
        {"[{\"path\":\"/b\"}]", "[0].op", E_MISSING_FIELD},
        {"[{\"op\":\"add\",\"value\":1}]", "[0].path", E_MISSING_FIELD},
        {"[{\"op\":\"remove\",\"path\":\"/note/0\"}]", "[0].path", E_INVALID_FIELD},
        {"[{\"op\":\"add\",\"path\":\"name\",\"value\":1}]", "[0].path", E_INVALID_FIELD},
        {"[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", "[0].path", E_INVALID_FIELD},
        {"[{\"op\":\"add\",\"path\":\"/\",\"value\":1}]", "[0].path", E_INVALID_FIELD},
        {"[{\"op\":\"replace\",\"path\":\"/name\"}]", "[0].value", E_MISSING_FIELD},
        {"[{\"op\":\"add\",\"path\":\"/note/-\",\"value\":{}},{\"op\":\"replace\",\"path\":"
         "\"/note\",\"value\":[]}]",
         "[1].path", E_INVALID_FIELD},
        {"[{\"op\":\"add\",\"path\":\"/name\",\"value\":1,\"x\":2}]", "[0].x", E_UNKNOWN_FIELD},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ops = json_loads(bad[i].ops, JSON_DECODE_ANY, NULL);
        memset(&p, 0, sizeof(p));
        rc = tmf_json_patch(ops, &merge, &append, &p);
        ok(rc == -1 && merge == NULL && p.code == bad[i].code && strcmp(p.field, bad[i].field) == 0,
           "JSON Patch %s refused, naming '%s' (got '%s')", bad[i].ops, bad[i].field, p.field);
        json_decref(ops);
    }
}

/* Adds the arguments of a query ("a=b&c=d", no escapes) to f; the first problem in *p. */
static int
filter_of(const char *query, struct tmf_filter *f, struct tmf_problem *p)
{
    char *copy = strdup(query), *save = NULL;
    int rc = 0;
    for (char *a = strtok_r(copy, "&", &save); a && rc == 0; a = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(a, '=');
        if (eq != NULL)
            *eq++ = '\0';
        rc = tmf_filter_add(f, a, eq, p);
    }
    free(copy);
    return rc;
}

static void
filter_refused(const char *query, const char *field)
{
    struct tmf_filter f;
    struct tmf_problem p;
    memset(&f, 0, sizeof(f));
    int rc = filter_of(query, &f, &p);
    ok(rc != 0 && p.code == E_BAD_PARAMETER && strcmp(p.field, field) == 0,
       "filter ?%s refused, naming %s (got %s: %s)", query, field, rc ? p.field : "accepted",
       rc ? p.msg : "");
    tmf_filter_free(&f);
}

/* Whether ?query keeps the ticket. */
static int
keeps(const char *query, const struct ticket *tk)
{
    struct tmf_filter f;
    struct tmf_problem p;
    memset(&f, 0, sizeof(f));
    if (filter_of(query, &f, &p) != 0) {
        printf("# %s: %s %s\n", query, p.field, p.msg);
        return -1;
    }
    struct ticket_filter plain;
    tmf_filter_plain(&f, &plain);
    int r = plain.match(plain.match_arg, tk);
    tmf_filter_free(&f);
    return r;
}

static void
filters(void)
{
    /* 2026-03-02T08:00:00.250Z, and its timeline: acknowledged, then inProgress an hour on. */
    const int64_t t0 = 1772438400250;
    struct timeline_entry tl[3] = {{.at = t0, .status = TS_ACKNOWLEDGED},
                                   {.at = t0 + 1800000, .status = TS_ACKNOWLEDGED},
                                   {.at = t0 + 3600000, .status = TS_IN_PROGRESS}};
    struct ticket tk;
    memset(&tk, 0, sizeof(tk));
    strcpy(tk.id, "T0000000000000001");
    tk.customer = "c1";
    tk.status = TS_IN_PROGRESS;
    tk.priority = PRIO_HIGH;
    tk.summary = "Fibre down";
    tk.created_at = t0;
    tk.updated_at = t0 + 3600000;
    tk.timeline = tl;
    tk.ntimeline = 3;
    tk.filed[FACT_SERVICE] = "internet";
    ok(keeps("status=inProgress", &tk) == 1, "equality keeps");
    ok(keeps("status=acknowledged", &tk) == 0, "equality drops");
    ok(keeps("status=acknowledged,inProgress", &tk) == 1, "a comma list is OR");
    ok(keeps("status=acknowledged&status=inProgress", &tk) == 1, "repeated equality is OR");
    ok(keeps("status=inProgress&priority=low", &tk) == 0, "attributes are AND");
    ok(keeps("severity=High", &tk) == 1, "severity from the priority when not given");
    ok(keeps("ticketType=internet&name=Fibre down", &tk) == 1,
       "ticketType from the service, name from the summary when not given");
    ok(keeps("externalId=X", &tk) == 0, "an attribute the ticket lacks matches nothing");
    ok(keeps("relatedParty.id=c1", &tk) == 1, "relatedParty.id is the customer");
    ok(keeps("creationDate=2026-03-02T08:00:00.250Z", &tk) == 1, "a date's equality, to the ms");
    ok(keeps("creationDate=2026-03-02T08:00:00.25Z", &tk) == 1, "a fraction of two digits");
    ok(keeps("creationDate=2026-03-02T08:00:00Z", &tk) == 0, "a date is an instant, not a day");
    ok(keeps("creationDate.eq=2026-03-02T09:00:00.250+01:00", &tk) == 1,
       "an offset names the same instant");
    ok(keeps("creationDate.gt=2026-03-02T08:00:00.249Z", &tk) == 1, "gt below");
    ok(keeps("creationDate.gt=2026-03-02T08:00:00.250Z", &tk) == 0, "gt at");
    ok(keeps("creationDate.gte=2026-03-02T08:00:00.250Z", &tk) == 1, "gte at");
    ok(keeps("creationDate.lt=2026-03-02T08:00:00.250Z", &tk) == 0, "lt at");
    ok(keeps("creationDate.lte=2026-03-02T08:00:00.250Z", &tk) == 1, "lte at");
    ok(keeps("creationDate.gte=2026-03-02&creationDate.lt=2026-03-03", &tk) == 1,
       "a day's range, dates alone");
    ok(keeps("creationDate.lt=2026-03-02", &tk) == 0, "a date alone is its midnight UTC");
    ok(keeps("statusChangeDate=2026-03-02T09:00:00.250Z", &tk) == 1,
       "statusChangeDate: the last change of status, not the last entry");
    ok(keeps("lastUpdate.gte=2026-03-02T09:00:00.250Z", &tk) == 1, "lastUpdate");
    tk.tmf = "{\"severity\":\"Major\",\"ticketType\":\"connectivity\",\"name\":\"Down\","
             "\"requestedResolutionDate\":\"2026-03-03T00:00:00+02:00\"}";
    ok(keeps("severity=Major&ticketType=connectivity&name=Down", &tk) == 1,
       "the attributes as the TMF client gave them");
    ok(keeps("severity=High", &tk) == 0, "severity as given, not as mapped");
    ok(keeps("requestedResolutionDate=2026-03-02T22:00:00Z", &tk) == 1,
       "a client's date with an offset, by instant");
    ok(keeps("expectedResolutionDate.gt=2000-01-01", &tk) == 0, "a date the ticket lacks");

    /* The plain filter for an index walk. */
    struct tmf_filter f;
    struct tmf_problem p;
    struct ticket_filter plain;
    memset(&f, 0, sizeof(f));
    ok(filter_of("status=pending&creationDate.gt=2026-03-02T08:00:00.250Z&creationDate.lte="
                 "2026-03-03T00:00:00Z",
                 &f, &p) == 0,
       "a status and a creation range");
    tmf_filter_plain(&f, &plain);
    ok(plain.status && strcmp(plain.status, "pending") == 0 && plain.from_ms == t0 + 1 &&
           plain.to_ms == 1772496000001 && plain.match == tmf_filter_match && plain.match_arg == &f,
       "plain: status, created in (gt, lte] as [from, to), match");
    tmf_filter_free(&f);
    ok(filter_of("status=pending,resolved&creationDate=2026-03-02T08:00:00.250Z", &f, &p) == 0,
       "two statuses and one instant");
    tmf_filter_plain(&f, &plain);
    ok(plain.status == NULL && plain.from_ms == t0 && plain.to_ms == t0 + 1,
       "plain: no status for an OR list; an instant is [t, t+1)");
    /* A refused argument leaves the filter as it was. */
    ok(filter_of("status=bogus", &f, &p) != 0 && f.n == 2 && f.c[0].nvalues == 2,
       "a refused value adds nothing to a clause");
    tmf_filter_free(&f);
    ok(f.n == 0, "tmf_filter_free empties the filter");

    filter_refused("colour=red", "colour");
    filter_refused("severity.like=High", "severity.like");
    filter_refused("creationDate.regex=x", "creationDate.regex");
    filter_refused("creationDate.", "creationDate.");
    filter_refused("status.gt=acknowledged", "status.gt");
    filter_refused("priority.lte=high", "priority.lte");
    filter_refused("creationDate.gt=2026-02-30x", "creationDate.gt");
    filter_refused("creationDate.gt=2026-03-02T08:00:00", "creationDate.gt");
    filter_refused("creationDate.gt=2026-03-02T08:00:00+2:00", "creationDate.gt");
    filter_refused("creationDate.gt=2026-03-02T08:00:00.Z", "creationDate.gt");
    filter_refused("creationDate.gt=2026-03-02,2026-03-03", "creationDate.gt");
    filter_refused("status", "status");
    filter_refused("status=", "status");
    filter_refused("status=acknowledged,", "status");
    filter_refused("status=,acknowledged", "status");
    filter_refused("status=Acknowledged", "status");
    filter_refused("priority=High", "priority");
    filter_refused("=x", "");
    char many[4096] = "";
    for (int i = 0; i <= TMF_VALUES_MAX; i++)
        strcat(many, i ? ",a" : "id=a");
    filter_refused(many, "id");
    many[0] = '\0';
    for (int i = 0; i <= TMF_CLAUSES_MAX; i++)
        strcat(many, "&lastUpdate.gt=2026-01-01");
    filter_refused(many + 1, "lastUpdate.gt");
}

int
main(void)
{
    struct config *c = NULL;
    char *errors = NULL;
    const char *path = access("conf/seam.json", R_OK) == 0 ? "conf/seam.json" : "../conf/seam.json";
    if (config_load(path, &c, &errors) != SEAM_OK) {
        printf("Bail out! %s\n", errors ? errors : "no configuration");
        return 1;
    }
    cfg = c;
    accepted("{\"description\":\"<anytext>\",\"severity\":\"High\",\"ticketType\":\"device\"}",
             "the conformance kit's N1");
    accepted("{\"description\":\"nanana\",\"severity\":\"Low\",\"ticketType\":\"connectivity\","
             "\"status\":\"nanana\",\"externalId\":\"123\",\"note\":[{\"author\":\"writer n2_1\","
             "\"text\":\"first\"},{\"author\":\"writer n2_2\",\"text\":\"second\"}]}",
             "the conformance kit's N2");
    refused("{\"description\":\"x\",\"severity\":\"High\"}", E_MISSING_FIELD, "ticketType");
    refused("{\"description\":\"\",\"severity\":\"High\",\"ticketType\":\"device\"}",
            E_INVALID_FIELD, "description");
    refused("{" BASE ",\"name\":{\"a\":\"b\"}}", E_INVALID_FIELD, "name");
    refused("{" BASE ",\"name\":null}", E_INVALID_FIELD, "name");
    refused("{\"description\":\"x\",\"severity\":\"Sorta\",\"ticketType\":\"device\"}",
            E_INVALID_FIELD, "severity");
    refused("{" BASE ",\"externalId\":{\"a\":\"b\"}}", E_INVALID_FIELD, "externalId");
    refused("{" BASE ",\"externalId\":42}", E_INVALID_FIELD, "externalId");
    refused("{" BASE ",\"note\":{\"author\":\"e3\"}}", E_INVALID_FIELD, "note");
    refused("{" BASE ",\"note\":[{\"text\":\"\"}]}", E_INVALID_FIELD, "note[0].text");
    refused("{" BASE ",\"relatedEntity\":[{\"id\":\"x\"},7]}", E_INVALID_FIELD, "relatedEntity[1]");
    refused("{" BASE ",\"relatedParty\":[{\"id\":\"c1\",\"role\":\"customer\",\"x\":1}]}",
            E_UNKNOWN_FIELD, "relatedParty[0].x");
    refused("{" BASE ",\"attachment\":[{\"size\":{\"amount\":1,\"units\":2}}]}", E_INVALID_FIELD,
            "attachment[0].size.units");
    refused("{" BASE ",\"attachment\":[{\"size\":[]}]}", E_INVALID_FIELD, "attachment[0].size");
    refused("{" BASE ",\"channel\":{\"id\":\"web\",\"x\":{}}}", E_UNKNOWN_FIELD, "channel.x");
    refused("{" BASE ",\"statusChange\":[{\"changeDate\":\"now\"}]}", E_INVALID_FIELD,
            "statusChange[0].changeDate");
    refused("{" BASE ",\"note\":[[{\"text\":\"x\"}]]}", E_INVALID_FIELD, "note[0]");
    dates();
    notes();
    kept();
    patches();
    json_patches();
    filters();
    config_free(c);
    return done_testing();
}
