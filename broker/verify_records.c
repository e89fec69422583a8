/*
 * verify_records.c: every ticket record against its signed creation event.
 * The record is the broker's working state; the events are the evidence.
 * What the customer filed (and the customer, bundle and region it was
 * filed with) must be what the signed ticket.created event says, so an
 * edited record is found even where its events are intact; a priority
 * changed since (a TMF621 severity) must be what the last signed change says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "audit.h"
#include "progress.h"
#include "record.h"
#include "ticket.h"

struct verify_ctx {
    struct store_txn *t;
    evlog_report_fn report;
    void *ctx;
    uint64_t problems;
};

/* Whether the event's data member k is the string s (both null counts). */
static int
same(const json_t *data, const char *k, const char *s)
{
    json_t *v = json_object_get(data, k);
    if (s == NULL)
        return json_is_null(v);
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/*
 * The priority the ticket's signed events last set: a TMF621 severity's
 * change (ticket.updated, data.priority.to) after the filing; NULL if none
 * did (malloc'd). Read only when the record differs from its filing.
 */
static char *
priority_changed_to(struct store_txn *t, const char *id)
{
    char *bytes = NULL, *to = NULL;
    size_t len;
    for (uint32_t seq = 1; evlog_event(t, id, seq, &bytes, &len, NULL, NULL) == SEAM_OK; seq++) {
        json_t *ev = json_loads(bytes, 0, NULL);
        const char *p = json_string_value(
            json_object_get(json_object_get(json_object_get(ev, "data"), "priority"), "to"));
        if (p != NULL && same(ev, "type", "ticket.updated")) {
            free(to);
            to = xstrdup(p);
        }
        json_decref(ev);
        free(bytes);
        bytes = NULL;
    }
    return to;
}

static int
verify_record(void *arg, struct store_val k, struct store_val v)
{
    struct verify_ctx *vc = arg;
    char id[TICKET_ID_LEN + 1], msg[256], *bytes = NULL;
    size_t len;
    struct ticket tk;
    json_t *ev = NULL;
    if (k.len != TICKET_ID_LEN)
        return 0;
    memcpy(id, k.data, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    if (record_decode(v.data, v.len, &tk) != SEAM_OK) {
        snprintf(msg, sizeof(msg), "ticket %s: record is not a ticket record", id);
        vc->problems++;
        vc->report(vc->ctx, msg);
        return 0;
    }
    if (evlog_event(vc->t, id, 0, &bytes, &len, NULL, NULL) != SEAM_OK)
        goto out; /* the log check reports a missing creation event */
    ev = json_loads(bytes, 0, NULL);
    json_t *data = json_object_get(ev, "data");
    const char *at = json_string_value(json_object_get(ev, "at"));
    char created[32];
    format_time_ms(tk.created_at, created);
    if (!same(ev, "ticket", tk.id) || at == NULL || strcmp(at, created) != 0) {
        snprintf(msg, sizeof(msg),
                 "ticket %s: record's id or creation time differs from its "
                 "signed creation event",
                 id);
        goto bad;
    }
    const struct {
        const char *name, *value;
    } fields[] = {{"customer", tk.customer},
                  {"summary", tk.summary},
                  {"description", tk.description},
                  {"priority", tk.priority >= 0 ? priority_names[tk.priority] : NULL}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (!same(data, fields[i].name, fields[i].value)) {
            if (strcmp(fields[i].name, "priority") == 0 && fields[i].value != NULL) {
                /* Re-prioritised since: as the last signed change says. */
                char *to = priority_changed_to(vc->t, id);
                int ok = to != NULL && strcmp(to, fields[i].value) == 0;
                free(to);
                if (ok)
                    continue;
            }
            snprintf(msg, sizeof(msg),
                     "ticket %s: record's %s differs from its signed creation "
                     "event (record edited)",
                     id, fields[i].name);
            goto bad;
        }
    /* The way it came, where either says one (tickets before channels have none). */
    if ((json_object_get(data, "channel") != NULL || tk.channel != NULL) &&
        !same(data, "channel", tk.channel)) {
        snprintf(msg, sizeof(msg),
                 "ticket %s: record's channel differs from its signed creation event (record "
                 "edited)",
                 id);
        goto bad;
    }
    /* The facts as filed: the customer's, and those of its record. */
    for (size_t i = 0; i < FACT_COUNT; i++)
        if (fact_kinds[i].source != FACT_FROM_PRIORITY &&
            !same(data, fact_kinds[i].name, tk.filed[i])) {
            snprintf(msg, sizeof(msg),
                     "ticket %s: record's %s differs from its signed creation "
                     "event (record edited)",
                     id, fact_kinds[i].name);
            goto bad;
        }
    /* The configuration's other facts (the names records are read by), where either says one. */
    for (size_t i = FACT_COUNT; i < record_fact_count(); i++) {
        const char *name = record_fact_name(i);
        if ((json_object_get(data, name) != NULL || tk.filed[i] != NULL) &&
            !same(data, name, tk.filed[i])) {
            snprintf(msg, sizeof(msg),
                     "ticket %s: record's %s differs from its signed creation event (record "
                     "edited)",
                     id, name);
            goto bad;
        }
    }
    goto out;
bad:
    vc->problems++;
    vc->report(vc->ctx, msg);
out:
    free(bytes);
    json_decref(ev);
    ticket_free(&tk);
    return 0;
}

/* ---- attachments: every one an event names is there, whole ---- */

static int
disclose_attachments(void *ctx, const json_t *ev, const char *member, const json_t *value)
{
    (void)ctx;
    (void)ev;
    (void)value;
    return strcmp(member, "attachments") == 0;
}

/* The attachments named by event seq's disclosures, each checked against the store. */
static void
verify_event_attachments(struct verify_ctx *vc, const char *id, uint32_t seq)
{
    static const char *const no_values[] = {NULL}; /* decided by the member's name alone */
    static const struct evlog_view view = {"lead", NULL, disclose_attachments, NULL, no_values};
    json_t *disc = NULL, *d, *name;
    size_t i, k, n = 0, count = 0;
    char msg[256], *text = NULL;
    if (evlog_event_disclosures(vc->t, id, seq, &view, &text, &n, &count) != SEAM_OK)
        return; /* the log's own checks report an event that cannot be read */
    disc = count > 0 ? json_loadb(text, n, 0, NULL) : NULL;
    free(text);
    json_array_foreach(disc, i, d)
    {
        char digest[2 * SEAM_HASH_LEN + 1];
        json_t *parsed = NULL, *value = NULL;
        const char *member = NULL;
        if (seam_disclosure_parse(json_string_value(d), digest, &parsed, &member, &value) != 0)
            continue;
        json_array_foreach(value, k, name)
        {
            const char *sha = json_string_value(name);
            char *data = NULL;
            size_t len;
            json_t *meta = NULL;
            enum seam_err rc = attach_meta_load(vc->t, id, sha, &meta);
            if (rc == SEAM_OK)
                rc = attach_content(vc->t, id, sha, &data, &len);
            json_decref(meta);
            free(data);
            if (rc != SEAM_OK) {
                snprintf(msg, sizeof(msg), "ticket %s: event %u names attachment %.64s, %s", id,
                         seq, sha ? sha : "?",
                         rc == SEAM_ENOTFOUND ? "which is missing" : "whose bytes fail their hash");
                vc->report(vc->ctx, msg);
                vc->problems++;
            }
        }
        json_decref(parsed);
    }
    json_decref(disc);
}

static int
verify_ticket_attachments(void *arg, struct store_val k, struct store_val v)
{
    struct verify_ctx *vc = arg;
    char id[TICKET_ID_LEN + 1], *bytes = NULL;
    size_t len;
    (void)v;
    if (k.len != TICKET_ID_LEN)
        return 0;
    memcpy(id, k.data, TICKET_ID_LEN);
    id[TICKET_ID_LEN] = '\0';
    /* only actions' events with restricted content name attachments (never the filing, 0) */
    for (uint32_t seq = 1; evlog_event(vc->t, id, seq, &bytes, &len, NULL, NULL) == SEAM_OK;
         seq++) {
        if (strstr(bytes, "\"sd\":") != NULL)
            verify_event_attachments(vc, id, seq);
        free(bytes);
        bytes = NULL;
    }
    return 0;
}

static void
attach_problem(void *arg, const char *text)
{
    struct verify_ctx *vc = arg;
    vc->report(vc->ctx, text);
    vc->problems++;
}

uint64_t
ticket_verify_attachments(struct store_txn *t, evlog_report_fn report, void *ctx)
{
    struct verify_ctx vc = {t, report, ctx, 0};
    uint64_t count = 0;
    progress_phase("attachments", store_count(t, DB_TICKETS));
    enum seam_err rc = attach_verify(t, attach_problem, &vc, &count);
    if (rc != SEAM_OK && rc != SEAM_ECORRUPT) { /* a problem found is reported already */
        report(ctx, "attachments: scan failed");
        vc.problems++;
    }
    if (store_scan(t, DB_TICKETS, NULL, 0, 0, verify_ticket_attachments, &vc) != SEAM_OK) {
        report(ctx, "tickets: scan failed");
        vc.problems++;
    }
    return vc.problems;
}

uint64_t
ticket_verify_records(struct store_txn *t, evlog_report_fn report, void *ctx)
{
    struct verify_ctx vc = {t, report, ctx, 0};
    /*
     * Each check is a function of its own that walks the store with store_scan (bounded memory:
     * nothing kept but what one record needs), names its progress phase and reports each
     * difference through report. Checks of what is derived from the records (indexes,
     * aggregates) follow this one.
     */
    progress_phase("records", store_count(t, DB_TICKETS));
    if (store_scan(t, DB_TICKETS, NULL, 0, 0, verify_record, &vc) != SEAM_OK) {
        report(ctx, "tickets: scan failed");
        vc.problems++;
    }
    return vc.problems + audit_agg_verify(t, report, ctx); /* the SLA aggregates */
}
