/*
 * record.c: the ticket record, stored as JSON (a first version built on
 * Jansson trees, to be replaced by the fast codec).
 */
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "record.h"
#include "ticket.h"

static char *
dup_str(const json_t *v)
{
    return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static int64_t
time_of(const json_t *v, int64_t absent)
{
    if (v == NULL)
        return absent;
    if (json_is_null(v))
        return SEAM_NULL_MS;
    return ticket_parse_time(json_string_value(v));
}

static int64_t
int_of(const json_t *v, int64_t absent)
{
    if (v == NULL)
        return absent;
    if (json_is_null(v))
        return SEAM_NULL_MS;
    return (int64_t)json_integer_value(v);
}

static void
flags_of(const json_t *a, struct flag_set *f)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        int x = ticket_flag_parse(json_string_value(v));
        if (x >= 0)
            flag_set_add(f, (enum ticket_flag)x);
    }
}

static void
kinds_of(const json_t *a, struct kind_set *k)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        int x = sla_kind_parse(json_string_value(v));
        if (x >= 0 && k->n < SEAM_SLA_KINDS)
            k->v[k->n++] = (uint8_t)x;
    }
}

static const char *const due_fields[SLA_KINDS] = {"warn_ack_ms", "due_ack_ms", "warn_resolve_ms",
                                                  "due_resolve_ms"};

static int
decode_assignment(const json_t *j, struct assignment *a)
{
    memset(a, 0, sizeof(*a));
    const char *id = json_string_value(json_object_get(j, "id"));
    if (id == NULL || strlen(id) != SEAM_ID_LEN)
        return -1;
    memcpy(a->id, id, SEAM_ID_LEN + 1);
    a->partner = dup_str(json_object_get(j, "partner"));
    int st = assignment_state_parse(json_string_value(json_object_get(j, "state")));
    if (a->partner == NULL || st < 0)
        return -1;
    a->state = (enum assignment_state)st;
    a->rule = dup_str(json_object_get(j, "rule"));
    if (a->rule == NULL)
        a->rule = xstrdup("");
    a->round = int_of(json_object_get(j, "round"), 0);
    a->chain_position = int_of(json_object_get(j, "chain_position"), 0);
    a->bounces = int_of(json_object_get(j, "bounces"), 0);
    a->event_seq = int_of(json_object_get(j, "event_seq"), -1);
    json_t *due = json_object_get(j, "due");
    a->due_ack = time_of(json_object_get(due, "ack"), SEAM_NULL_MS);
    a->due_resolve = time_of(json_object_get(due, "resolve"), SEAM_NULL_MS);
    flags_of(json_object_get(j, "flags"), &a->flags);
    a->assigned_at = time_of(json_object_get(j, "assigned_at"), SEAM_NULL_MS);
    a->acknowledged_at = time_of(json_object_get(j, "acknowledged_at"), SEAM_ABSENT_MS);
    a->resolved_at = time_of(json_object_get(j, "resolved_at"), SEAM_ABSENT_MS);
    a->ended_at = time_of(json_object_get(j, "ended_at"), SEAM_ABSENT_MS);
    a->handed_back_at = time_of(json_object_get(j, "handed_back_at"), SEAM_ABSENT_MS);
    a->resolution = dup_str(json_object_get(j, "resolution"));
    a->handback_reason =
        handback_reason_parse(json_string_value(json_object_get(j, "handback_reason")));
    a->held_ms = int_of(json_object_get(j, "held_ms"), SEAM_ABSENT_MS);
    json_t *sla = json_object_get(j, "sla");
    if (json_is_object(sla)) {
        struct sla_clock *k = &a->sla;
        k->present = 1;
        k->policy = dup_str(json_object_get(sla, "policy"));
        k->assigned_ms = int_of(json_object_get(sla, "assigned_ms"), 0);
        k->ack_target_ms = int_of(json_object_get(sla, "ack_target_ms"), 0);
        k->resolve_target_ms = int_of(json_object_get(sla, "resolve_target_ms"), 0);
        k->resolve_elapsed_ms = int_of(json_object_get(sla, "resolve_elapsed_ms"), 0);
        k->running_since = int_of(json_object_get(sla, "running_since"), SEAM_NULL_MS);
        for (int i = 0; i < SLA_KINDS; i++)
            k->due_at[i] = int_of(json_object_get(sla, due_fields[i]), SEAM_ABSENT_MS);
        k->ack_business_ms = int_of(json_object_get(sla, "ack_business_ms"), SEAM_ABSENT_MS);
        k->resolve_business_ms =
            int_of(json_object_get(sla, "resolve_business_ms"), SEAM_ABSENT_MS);
        kinds_of(json_object_get(sla, "warned"), &k->warned);
        kinds_of(json_object_get(sla, "breached"), &k->breached);
    }
    return 0;
}

enum seam_err
record_decode(const void *bytes, size_t len, struct ticket *tk)
{
    memset(tk, 0, sizeof(*tk));
    json_t *j = json_loadb(bytes, len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return SEAM_ECORRUPT;
    }
    const char *id = json_string_value(json_object_get(j, "id"));
    int st = ticket_status_parse(json_string_value(json_object_get(j, "status")));
    int prio = priority_parse(json_string_value(json_object_get(j, "priority")));
    if (id == NULL || strlen(id) != SEAM_ID_LEN || st < 0 || prio < 0)
        goto bad;
    memcpy(tk->id, id, SEAM_ID_LEN + 1);
    tk->status = (enum ticket_status)st;
    tk->priority = prio;
    tk->customer = dup_str(json_object_get(j, "customer"));
    tk->summary = dup_str(json_object_get(j, "summary"));
    tk->description = dup_str(json_object_get(j, "description"));
    json_t *facts = json_object_get(j, "facts");
    for (int i = 0; i < FACT_COUNT; i++) {
        tk->facts[i] = dup_str(json_object_get(facts, fact_names[i]));
        tk->filed[i] = i == FACT_PRIORITY ? NULL : dup_str(json_object_get(j, fact_names[i]));
    }
    tk->created_at = time_of(json_object_get(j, "created_at"), 0);
    tk->updated_at = time_of(json_object_get(j, "updated_at"), 0);
    tk->round = int_of(json_object_get(j, "round"), 0);
    tk->bounces = int_of(json_object_get(j, "bounces"), 0);
    tk->rule = dup_str(json_object_get(j, "rule"));
    const char *mode = json_string_value(json_object_get(j, "mode"));
    tk->joint = mode && strcmp(mode, "joint") == 0;
    json_t *fb = json_object_get(j, "fallback"), *o;
    size_t i;
    tk->fallback = xcalloc(json_array_size(fb) + 1, sizeof(*tk->fallback));
    json_array_foreach(fb, i, o)
    {
        tk->fallback[i].role = dup_str(json_object_get(o, "role"));
        tk->fallback[i].partner = dup_str(json_object_get(o, "partner"));
    }
    tk->nfallback = json_array_size(fb);
    tk->customer_visible = json_is_true(json_object_get(j, "customer_visible"));
    tk->topic = dup_str(json_object_get(j, "topic"));
    json_t *as = json_object_get(j, "assignments");
    tk->assignments = xcalloc(json_array_size(as) + 1, sizeof(*tk->assignments));
    json_array_foreach(as, i, o)
    {
        tk->nassignments = i + 1;
        if (decode_assignment(o, &tk->assignments[i]) != 0)
            goto bad;
    }
    json_t *tl = json_object_get(j, "timeline");
    tk->timeline = xcalloc(json_array_size(tl) + 1, sizeof(*tk->timeline));
    json_array_foreach(tl, i, o)
    {
        struct timeline_entry *e = &tk->timeline[i];
        int type = event_type_parse(json_string_value(json_object_get(o, "type")));
        int est = ticket_status_parse(json_string_value(json_object_get(o, "status")));
        int vis = visibility_parse(json_string_value(json_object_get(o, "visibility")));
        if (type < 0 || est < 0 || vis < 0)
            goto bad;
        e->at = time_of(json_object_get(o, "at"), 0);
        e->type = (enum event_type)type;
        e->status = (enum ticket_status)est;
        e->visibility = (enum visibility)vis;
        e->text = dup_str(json_object_get(o, "text"));
        tk->ntimeline = i + 1;
    }
    flags_of(json_object_get(j, "flags"), &tk->flags);
    json_t *e2e = json_object_get(j, "e2e");
    if (json_is_object(e2e)) {
        tk->e2e.present = 1;
        tk->e2e.policy = dup_str(json_object_get(e2e, "policy"));
        tk->e2e.target_ms = int_of(json_object_get(e2e, "target_ms"), 0);
        tk->e2e.elapsed_ms = int_of(json_object_get(e2e, "elapsed_ms"), 0);
        tk->e2e.running_since = int_of(json_object_get(e2e, "running_since"), SEAM_NULL_MS);
        tk->e2e.due = time_of(json_object_get(e2e, "due"), SEAM_NULL_MS);
        tk->e2e.resolved_business_ms =
            int_of(json_object_get(e2e, "resolved_business_ms"), SEAM_NULL_MS);
    }
    json_t *tmf = json_object_get(j, "tmf");
    if (tmf != NULL)
        tk->tmf = json_dumps(tmf, JSON_COMPACT);
    json_t *head = json_object_get(j, "head");
    tk->events = (uint32_t)json_integer_value(json_object_get(head, "events"));
    const char *last = json_string_value(json_object_get(head, "last"));
    snprintf(tk->last, sizeof(tk->last), "%s", last ? last : "");
    json_decref(j);
    return SEAM_OK;
bad:
    json_decref(j);
    ticket_free(tk);
    return SEAM_ECORRUPT;
}

static json_t *
str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *
time_json(int64_t ms)
{
    char at[32];
    if (ms < 0)
        return json_null();
    format_time_ms(ms, at);
    return json_string(at);
}

static json_t *
int_json(int64_t v)
{
    return v == SEAM_NULL_MS ? json_null() : json_integer(v);
}

static json_t *
flags_json(const struct flag_set *f)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < f->n; i++)
        json_array_append_new(a, json_string(ticket_flags[f->v[i]].name));
    return a;
}

static json_t *
kinds_json(const struct kind_set *k)
{
    json_t *a = json_array();
    for (unsigned i = 0; i < k->n; i++)
        json_array_append_new(a, json_string(sla_kind_names[k->v[i]]));
    return a;
}

static json_t *
assignment_json(const struct assignment *a)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(a->id));
    json_object_set_new(j, "partner", json_string(a->partner));
    json_object_set_new(j, "state", json_string(assignment_states[a->state].name));
    json_object_set_new(j, "rule", json_string(a->rule));
    json_object_set_new(j, "round", json_integer(a->round));
    json_object_set_new(j, "chain_position", json_integer(a->chain_position));
    json_object_set_new(j, "bounces", json_integer(a->bounces));
    json_object_set_new(j, "due",
                        json_pack("{s:o, s:o}", "ack", time_json(a->due_ack), "resolve",
                                  time_json(a->due_resolve)));
    json_object_set_new(j, "flags", flags_json(&a->flags));
    json_object_set_new(j, "assigned_at", time_json(a->assigned_at));
    json_object_set_new(j, "event_seq", json_integer(a->event_seq));
    if (a->sla.present) {
        const struct sla_clock *k = &a->sla;
        json_t *s = json_object();
        json_object_set_new(s, "policy", str_or_null(k->policy));
        json_object_set_new(s, "assigned_ms", json_integer(k->assigned_ms));
        json_object_set_new(s, "ack_target_ms", json_integer(k->ack_target_ms));
        json_object_set_new(s, "resolve_target_ms", json_integer(k->resolve_target_ms));
        json_object_set_new(s, "resolve_elapsed_ms", json_integer(k->resolve_elapsed_ms));
        json_object_set_new(s, "running_since", int_json(k->running_since));
        json_object_set_new(s, "warned", kinds_json(&k->warned));
        json_object_set_new(s, "breached", kinds_json(&k->breached));
        for (int i = 0; i < SLA_KINDS; i++)
            if (k->due_at[i] != SEAM_ABSENT_MS)
                json_object_set_new(s, due_fields[i], int_json(k->due_at[i]));
        if (k->ack_business_ms != SEAM_ABSENT_MS)
            json_object_set_new(s, "ack_business_ms", int_json(k->ack_business_ms));
        if (k->resolve_business_ms != SEAM_ABSENT_MS)
            json_object_set_new(s, "resolve_business_ms", int_json(k->resolve_business_ms));
        json_object_set_new(j, "sla", s);
    }
    if (a->acknowledged_at != SEAM_ABSENT_MS)
        json_object_set_new(j, "acknowledged_at", time_json(a->acknowledged_at));
    if (a->resolved_at != SEAM_ABSENT_MS)
        json_object_set_new(j, "resolved_at", time_json(a->resolved_at));
    if (a->resolution != NULL)
        json_object_set_new(j, "resolution", json_string(a->resolution));
    if (a->ended_at != SEAM_ABSENT_MS)
        json_object_set_new(j, "ended_at", time_json(a->ended_at));
    if (a->handed_back_at != SEAM_ABSENT_MS)
        json_object_set_new(j, "handed_back_at", time_json(a->handed_back_at));
    if (a->handback_reason >= 0)
        json_object_set_new(j, "handback_reason",
                            json_string(handback_reasons[a->handback_reason].name));
    if (a->held_ms != SEAM_ABSENT_MS)
        json_object_set_new(j, "held_ms", json_integer(a->held_ms));
    return j;
}

char *
record_encode(const struct ticket *tk, int with_head, size_t *len)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(tk->id));
    json_object_set_new(j, "customer", str_or_null(tk->customer));
    json_object_set_new(j, "status", json_string(ticket_statuses[tk->status].name));
    json_object_set_new(j, "priority", json_string(priority_names[tk->priority]));
    json_object_set_new(j, "summary", str_or_null(tk->summary));
    json_object_set_new(j, "description", str_or_null(tk->description));
    for (int i = 0; i < FACT_COUNT; i++)
        if (i != FACT_PRIORITY)
            json_object_set_new(j, fact_names[i], str_or_null(tk->filed[i]));
    json_object_set_new(j, "created_at", time_json(tk->created_at));
    json_object_set_new(j, "updated_at", time_json(tk->updated_at));
    json_t *facts = json_object();
    for (int i = 0; i < FACT_COUNT; i++)
        json_object_set_new(facts, fact_names[i], str_or_null(tk->facts[i]));
    json_object_set_new(j, "facts", facts);
    json_object_set_new(j, "round", json_integer(tk->round));
    json_t *as = json_array();
    for (size_t i = 0; i < tk->nassignments; i++)
        json_array_append_new(as, assignment_json(&tk->assignments[i]));
    json_object_set_new(j, "assignments", as);
    json_t *tl = json_array();
    for (size_t i = 0; i < tk->ntimeline; i++) {
        const struct timeline_entry *e = &tk->timeline[i];
        json_t *o = json_pack("{s:o, s:s, s:s, s:s}", "at", time_json(e->at), "type",
                              event_types[e->type].name, "status", ticket_statuses[e->status].name,
                              "visibility", visibility_names[e->visibility]);
        if (e->text)
            json_object_set_new(o, "text", json_string(e->text));
        json_array_append_new(tl, o);
    }
    json_object_set_new(j, "timeline", tl);
    json_object_set_new(j, "flags", flags_json(&tk->flags));
    if (with_head)
        json_object_set_new(j, "head",
                            json_pack("{s:i, s:I, s:s}", "v", 2, "events", (json_int_t)tk->events,
                                      "last", tk->last));
    json_object_set_new(j, "bounces", json_integer(tk->bounces));
    json_object_set_new(j, "rule", str_or_null(tk->rule));
    json_object_set_new(j, "mode", json_string(tk->joint ? "joint" : "single"));
    json_t *fb = json_array();
    for (size_t i = 0; i < tk->nfallback; i++)
        json_array_append_new(fb, json_pack("{s:o, s:o}", "role", str_or_null(tk->fallback[i].role),
                                            "partner", str_or_null(tk->fallback[i].partner)));
    json_object_set_new(j, "fallback", fb);
    json_object_set_new(j, "customer_visible", json_boolean(tk->customer_visible));
    json_object_set_new(j, "topic", str_or_null(tk->topic));
    if (tk->e2e.present) {
        const struct e2e_clock *e = &tk->e2e;
        json_object_set_new(j, "e2e",
                            json_pack("{s:o, s:I, s:I, s:o, s:o, s:o}", "policy",
                                      str_or_null(e->policy), "target_ms", (json_int_t)e->target_ms,
                                      "elapsed_ms", (json_int_t)e->elapsed_ms, "running_since",
                                      int_json(e->running_since), "due", time_json(e->due),
                                      "resolved_business_ms", int_json(e->resolved_business_ms)));
    }
    if (tk->tmf != NULL)
        json_object_set_new(j, "tmf", json_loads(tk->tmf, 0, NULL));
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (text != NULL && len != NULL)
        *len = strlen(text);
    return text;
}

enum seam_err
record_load(struct store_txn *t, const char *id, struct ticket *out)
{
    struct store_val v;
    enum seam_err rc = store_get(t, DB_TICKETS, id, strlen(id), &v);
    if (rc != SEAM_OK)
        return rc;
    return record_decode(v.data, v.len, out);
}

enum seam_err
record_save(struct store_txn *t, const struct ticket *tk, unsigned flags, size_t max)
{
    size_t len;
    char *text = record_encode(tk, 1, &len);
    if (text == NULL)
        return SEAM_EINVAL;
    enum seam_err rc = json_stored_check("ticket", tk->id, strlen(tk->id), text, len);
    if (rc == SEAM_OK && max > 0 && len > max)
        rc = SEAM_ETOOBIG;
    if (rc == SEAM_OK)
        rc = store_put(t, DB_TICKETS, tk->id, SEAM_ID_LEN, text, len, flags);
    free(text);
    return rc;
}
