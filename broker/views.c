/*
 * views.c: what each principal sees of a ticket, written as JSON text
 * straight from the typed ticket. The customer gets its one face: the
 * public fields, the public timeline, and who works on it only where the
 * rule says so, nothing partner-internal. The lead and the auditor get the
 * whole record but its event-chain head (record.c writes it). A partner
 * gets one assignment: what it needs to act, the customer's name and
 * contact only where its configuration allows, and the broker's signed
 * event that made the assignment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "json_read.h"
#include "record.h"
#include "sla.h"
#include "ticket.h"

/* An object's members, comma-separated: the key of the next one. */
struct obj {
    struct json_text *t;
    int n;
};

static void
key(struct obj *o, const char *k)
{
    if (o->n++ > 0)
        json_text_lit(o->t, ",");
    json_text_string(o->t, k, strlen(k));
    json_text_lit(o->t, ":");
}

static void
put_str(struct obj *o, const char *k, const char *v)
{
    key(o, k);
    if (v == NULL)
        json_text_lit(o->t, "null");
    else
        json_text_string(o->t, v, strlen(v));
}

static void
put_int(struct obj *o, const char *k, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", (long long)v);
    key(o, k);
    json_text_add(o->t, num, (size_t)n);
}

/* An instant: RFC 3339, or null when it is SEAM_NULL_MS. */
static void
put_time(struct obj *o, const char *k, int64_t ms)
{
    char at[32];
    key(o, k);
    if (ms < 0) {
        json_text_lit(o->t, "null");
        return;
    }
    format_time_ms(ms, at);
    json_text_lit(o->t, "\"");
    json_text_add(o->t, at, strlen(at));
    json_text_lit(o->t, "\"");
}

static void
put_flags(struct obj *o, const char *k, const struct flag_set *f)
{
    key(o, k);
    json_text_lit(o->t, "[");
    for (unsigned i = 0; i < f->n; i++) {
        if (i > 0)
            json_text_lit(o->t, ",");
        const char *name = ticket_flags[f->v[i]].name;
        json_text_string(o->t, name, strlen(name));
    }
    json_text_lit(o->t, "]");
}

/* The facts the customer filed (null when an optional one was not given). */
static void
complaint_facts(const struct config *cfg, const struct ticket *tk, struct obj *o)
{
    for (size_t i = 0; i < cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++)
        if (fact_from_complaint(&cfg->fact_kinds[i]))
            put_str(o, cfg->fact_kinds[i].name, tk->facts[i]); /* as corrected, if they were */
}

static const char *
company_name(const struct config *cfg, const char *partner)
{
    if (strcmp(partner, cfg->lead.id) == 0)
        return cfg->lead.name;
    const struct config_partner *p = config_partner_find(cfg, partner);
    return p ? p->name : partner;
}

int
ticket_entry_customer_visible(const struct ticket *tk, const struct timeline_entry *e)
{
    if (e->visibility != VIS_PUBLIC)
        return 0;
    /* SLA clocks only under a customer-visible rule: also for entries
     * stored public before their visibility followed the rule. */
    if ((e->type == EV_SLA_WARNING || e->type == EV_SLA_BREACHED) && tk->customer_visible <= 0)
        return 0;
    return 1;
}

/* The customer's one face. */
static void
customer_view(const struct ticket_ctx *c, const struct ticket *tk, struct json_text *t)
{
    struct obj o = {t, 0};
    json_text_lit(t, "{");
    put_str(&o, "id", tk->id);
    put_str(&o, "status", ticket_statuses[tk->status].name);
    put_str(&o, "priority", tk->priority >= 0 ? priority_names[tk->priority] : NULL);
    put_str(&o, "summary", tk->summary);
    put_str(&o, "description", tk->description);
    complaint_facts(c->cfg, tk, &o);
    if (tk->channel != NULL) /* the way it came: the same ticket, however it was filed */
        put_str(&o, "channel", tk->channel);
    put_time(&o, "created_at", tk->created_at);
    put_time(&o, "updated_at", tk->updated_at);
    if (tk->merged_into != NULL) /* the one ticket the customer follows now */
        put_str(&o, "merged_into", tk->merged_into);
    key(&o, "timeline");
    json_text_lit(t, "[");
    int first = 1;
    for (size_t i = 0; i < tk->ntimeline; i++) {
        const struct timeline_entry *e = &tk->timeline[i];
        if (!ticket_entry_customer_visible(tk, e))
            continue;
        if (!first)
            json_text_lit(t, ",");
        first = 0;
        struct obj eo = {t, 0};
        json_text_lit(t, "{");
        put_time(&eo, "at", e->at);
        put_str(&eo, "type", event_types[e->type].name);
        put_str(&eo, "status", ticket_statuses[e->status].name);
        if (e->text != NULL)
            put_str(&eo, "text", e->text);
        json_text_lit(t, "}");
    }
    json_text_lit(t, "]");
    if (tk->customer_visible > 0) {
        key(&o, "handled_by");
        json_text_lit(t, "[");
        const char *seen[64];
        size_t nseen = 0;
        for (size_t i = 0; i < tk->nassignments; i++) {
            if (!assignment_is_live(&tk->assignments[i]))
                continue;
            const char *name = company_name(c->cfg, tk->assignments[i].partner);
            int dup = 0;
            for (size_t k = 0; k < nseen && !dup; k++)
                dup = strcmp(seen[k], name) == 0;
            if (dup)
                continue;
            if (nseen < sizeof(seen) / sizeof(seen[0]))
                seen[nseen] = name;
            if (nseen++ > 0)
                json_text_lit(t, ",");
            json_text_string(t, name, strlen(name));
        }
        json_text_lit(t, "]");
        if (tk->topic != NULL)
            put_str(&o, "topic", tk->topic);
    }
    json_text_lit(t, "}");
}

/*
 * The lead's view writes every instant in RFC 3339: the record keeps an SLA
 * clock's instants as the scheduler's ms counters, so each such member of a
 * clock (the record's "e2e", an assignment's "sla": assignments[i].sla)
 * (assigned_ms, due_ack_ms, due_resolve_ms, warn_ack_ms, warn_resolve_ms,
 * running_since) is followed by the same instant as NAME_at (without _ms),
 * or null. One pass over compact JSON
 * text, unparsed (the lead reads a record's bytes): takes text over, returns
 * the text (malloc'd) and *len its length.
 */
static const char *const clock_ms[][2] = {
    {"assigned_ms", "assigned_at"},         {"due_ack_ms", "due_ack_at"},
    {"due_resolve_ms", "due_resolve_at"},   {"warn_ack_ms", "warn_ack_at"},
    {"warn_resolve_ms", "warn_resolve_at"}, {"running_since", "running_since_at"}};

#define CLOCK_DEPTH 32

static char *
lead_times(char *s, size_t *len)
{
    size_t n = *len, cap = n + n / 4 + 64, o = 0;
    char *out = xmalloc(cap);
    unsigned char clock[CLOCK_DEPTH + 1] = {0}; /* each open object: a clock? */
    int assignments = 0; /* the open array at depth 2 is the record's "assignments" */
    int depth = 0;
    const char *key = NULL; /* the key just read (its first byte), and its length */
    size_t klen = 0;
    for (size_t i = 0; i < n;) {
        char ch = s[i];
        if (o + 96 > cap) {
            cap = cap * 2 + 96;
            out = xrealloc(out, cap);
        }
        if (ch == '"') { /* a string: a key when a ':' follows */
            size_t j = i + 1;
            while (j < n && s[j] != '"')
                j += s[j] == '\\' ? 2 : 1;
            j++;
            if (o + (j - i) + 96 > cap) {
                cap = cap + (j - i) + 96;
                out = xrealloc(out, cap);
            }
            memcpy(out + o, s + i, j - i);
            o += j - i;
            if (j < n && s[j] == ':') {
                key = s + i + 1;
                klen = j - i - 2;
            }
            i = j;
            continue;
        }
        if (ch == '{' || ch == '[') {
            int is_clock = ch == '{' && key != NULL && klen == 3 &&
                           ((depth == 3 && assignments && memcmp(key, "sla", 3) == 0) ||
                            (depth == 1 && memcmp(key, "e2e", 3) == 0));
            if (depth == 1)
                assignments =
                    ch == '[' && key != NULL && klen == 11 && memcmp(key, "assignments", 11) == 0;
            if (depth < CLOCK_DEPTH)
                clock[++depth] = (unsigned char)is_clock;
            else
                depth++;
            key = NULL;
        } else if (ch == '}' || ch == ']') {
            depth--;
            key = NULL;
        } else if (ch == ':' && key != NULL && depth > 0 && depth <= CLOCK_DEPTH && clock[depth]) {
            const char *at = NULL;
            for (size_t k = 0; k < sizeof(clock_ms) / sizeof(clock_ms[0]) && !at; k++)
                if (strlen(clock_ms[k][0]) == klen && memcmp(key, clock_ms[k][0], klen) == 0)
                    at = clock_ms[k][1];
            if (at != NULL) { /* the value (a number or null), then the instant */
                size_t j = i + 1;
                while (j < n && s[j] != ',' && s[j] != '}')
                    j++;
                memcpy(out + o, s + i, j - i);
                o += j - i;
                char *end;
                long long ms = strtoll(s + i + 1, &end, 10);
                o += (size_t)snprintf(out + o, cap - o, ",\"%s\":", at);
                if (end == s + i + 1 || end != s + j || ms < 0) {
                    memcpy(out + o, "null", 4);
                    o += 4;
                } else {
                    out[o++] = '"';
                    o += record_time_format((int64_t)ms, out + o);
                    out[o++] = '"';
                }
                key = NULL;
                i = j;
                continue;
            }
        }
        if (ch == ',')
            key = NULL;
        out[o++] = ch;
        i++;
    }
    out[o] = '\0';
    free(s);
    *len = o;
    return out;
}

char *
ticket_view_text(const struct ticket_ctx *c, const struct ticket *tk, const struct principal *who,
                 size_t *len)
{
    if (who->role == ROLE_LEAD || who->role == ROLE_AUDITOR) {
        char *text = record_encode(tk, 0, len); /* the record's bookkeeping stays inside */
        return text ? lead_times(text, len) : NULL;
    }
    struct json_text t = {0};
    customer_view(c, tk, &t);
    *len = t.len;
    return t.data;
}

json_t *
ticket_record_json(const struct ticket *tk)
{
    size_t len;
    char *text = record_encode(tk, 0, &len);
    json_t *v = text ? json_loadb(text, len, 0, NULL) : NULL;
    free(text);
    return v;
}

/* The index just past the JSON value starting at s[i] (compact JSON); 0 if malformed. */
static size_t
skip_value(const char *s, size_t n, size_t i)
{
    int depth = 0, in_str = 0;
    for (; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"') {
                in_str = 0;
                if (depth == 0)
                    return i + 1;
            }
            continue;
        }
        if (ch == '"')
            in_str = 1;
        else if (ch == '{' || ch == '[')
            depth++;
        else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return i + 1;
            if (depth < 0)
                return i; /* a scalar ended by its container */
        } else if (ch == ',' && depth == 0)
            return i;
    }
    return 0;
}

char *
ticket_lead_bytes(const char *s, size_t n, size_t *out_len)
{
    static const char name[] = "\"head\"";
    const size_t klen = sizeof(name) - 1;
    if (n < 2 || s[0] != '{')
        return NULL;
    /* Member by member: a name, ':', a value, then ',' or the closing '}'. */
    for (size_t i = 1; i < n && s[i] == '"';) {
        size_t colon = skip_value(s, n, i);
        if (colon == 0 || colon >= n || s[colon] != ':')
            return NULL;
        size_t end = skip_value(s, n, colon + 1);
        if (end == 0 || end >= n || (s[end] != ',' && s[end] != '}'))
            return NULL;
        if (colon - i == klen && memcmp(s + i, name, klen) == 0) {
            size_t from = i, to = end;
            if (s[end] == ',')
                to = end + 1; /* "head":v, */
            else if (s[i - 1] == ',')
                from = i - 1; /* ,"head":v} */
            char *out = xmalloc(n - (to - from) + 1);
            memcpy(out, s, from);
            memcpy(out + from, s + to, n - to);
            *out_len = n - (to - from);
            out[*out_len] = '\0';
            return lead_times(out, out_len);
        }
        if (s[end] == '}')
            break;
        i = end + 1;
    }
    return NULL;
}

/* ---- the owner's view of an assignment ---- */

static enum seam_err claim_disclosures(struct store_txn *t, const struct ticket_ctx *c,
                                       const struct ticket *tk, const struct assignment *a,
                                       char **out, size_t *len, size_t *count);

char *
ticket_assignment_text(struct store_txn *t, const struct ticket_ctx *c, const struct ticket *tk,
                       const char *aid, size_t *out_len)
{
    const struct assignment *a = ticket_find_assignment(tk, aid);
    if (a == NULL)
        return NULL;
    struct json_text out = {0};
    struct obj o = {&out, 0};
    json_text_lit(&out, "{");
    put_str(&o, "id", a->id);
    put_str(&o, "state", assignment_states[a->state].name);
    put_int(&o, "round", a->round);
    put_str(&o, "rule", a->rule);
    put_time(&o, "assigned_at", a->assigned_at);
    key(&o, "due");
    struct obj d = {&out, 0};
    json_text_lit(&out, "{");
    put_time(&d, "ack", a->due_ack);
    put_time(&d, "resolve", a->due_resolve);
    json_text_lit(&out, "}");
    /* The clocks' warnings (the SLA policy's warning_fraction of each target): when each is
     * to fall due (null: none to come), and those that fell due already, so that a desk can
     * mark a claim at risk. */
    key(&o, "warn");
    struct obj w = {&out, 0};
    json_text_lit(&out, "{");
    put_time(&w, "ack", a->sla.present ? a->sla.due_at[SLA_WARN_ACK] : SEAM_NULL_MS);
    put_time(&w, "resolve", a->sla.present ? a->sla.due_at[SLA_WARN_RESOLVE] : SEAM_NULL_MS);
    json_text_lit(&out, "}");
    key(&o, "warned");
    json_text_lit(&out, "[");
    for (unsigned i = 0; a->sla.present && i < a->sla.warned.n; i++) {
        const char *name = sla_kind_names[a->sla.warned.v[i]];
        if (i > 0)
            json_text_lit(&out, ",");
        json_text_string(&out, name, strlen(name));
    }
    json_text_lit(&out, "]");
    put_flags(&o, "flags", &a->flags);
    put_int(&o, "bounces", a->bounces);
    put_int(&o, "chain_position", a->chain_position);
    if (a->acknowledged_at != SEAM_ABSENT_MS)
        put_time(&o, "acknowledged_at", a->acknowledged_at);
    if (a->resolved_at != SEAM_ABSENT_MS)
        put_time(&o, "resolved_at", a->resolved_at);
    if (a->resolution != NULL)
        put_str(&o, "resolution", a->resolution);
    if (a->handed_back_at != SEAM_ABSENT_MS)
        put_time(&o, "handed_back_at", a->handed_back_at);
    if (a->handback_reason >= 0)
        put_str(&o, "handback_reason", handback_reasons[a->handback_reason].name);
    if (a->belongs_to != NULL)
        put_str(&o, "belongs_to", a->belongs_to);
    if (a->belongs_to_refused != NULL) { /* the partner named did not take it: why */
        put_str(&o, "belongs_to_refused", a->belongs_to_refused);
        put_str(&o, "belongs_to_refused_message", handback_refusal_message(a->belongs_to_refused));
    }
    put_str(&o, "ticket", tk->id);
    put_str(&o, "ticket_status", ticket_statuses[tk->status].name);
    put_str(&o, "summary", tk->summary);
    put_str(&o, "description", tk->description);
    complaint_facts(c->cfg, tk, &o);
    /* the customer record's facts but the bundle: the region, a place */
    for (size_t i = 0; i < c->cfg->nfact_kinds && i < SEAM_FACTS_MAX; i++)
        if (c->cfg->fact_kinds[i].source == FACT_FROM_CUSTOMER && i != FACT_BUNDLE)
            put_str(&o, c->cfg->fact_kinds[i].name, tk->filed[i]);
    put_str(&o, "priority", tk->priority >= 0 ? priority_names[tk->priority] : NULL);
    /* The customer's data only where the partner's configuration allows. */
    const struct config_partner *p = config_partner_find(c->cfg, a->partner);
    /* The lead's own claims: all. A partner no longer in the configuration (its tokens
     * are refused, http.c; this holds for any other reader): nothing, never more than it
     * was allowed. */
    int lead_owned = p == NULL && a->partner != NULL && strcmp(a->partner, c->cfg->lead.id) == 0;
    int see_name = p ? p->see_name : lead_owned, see_contact = p ? p->see_contact : lead_owned;
    json_t *cust = NULL;
    key(&o, "customer");
    struct obj co = {&out, 0};
    json_text_lit(&out, "{");
    if ((see_name || see_contact) && customer_load(t, tk->customer, &cust) == SEAM_OK) {
        const char *name = json_string_value(json_object_get(cust, "name"));
        const char *contact = json_string_value(json_object_get(cust, "contact"));
        if (see_name && name != NULL)
            put_str(&co, "name", name);
        if (see_contact && contact != NULL)
            put_str(&co, "contact", contact);
    }
    json_decref(cust);
    json_text_lit(&out, "}");
    /* The signed event that made the assignment: its bytes as a JSON string. */
    char *bytes;
    size_t elen;
    uint8_t sig[SEAM_SIG_LEN];
    uint64_t leaf;
    if (a->event_seq >= 0 &&
        evlog_event(t, tk->id, (uint32_t)a->event_seq, &bytes, &elen, sig, &leaf) == SEAM_OK) {
        key(&o, "event");
        struct obj eo = {&out, 0};
        json_text_lit(&out, "{");
        key(&eo, "bytes");
        json_text_string(&out, bytes, elen);
        char *b64 = seam_b64_encode(sig, SEAM_SIG_LEN);
        put_str(&eo, "signature", b64);
        free(b64);
        put_int(&eo, "leaf_index", (int64_t)leaf);
        /* What of the event's restricted content the claim's owner may read (as its evidence
         * view would disclose it: the routing that names it, above all), so that its agent can
         * see the event name this claim. */
        char *dis = NULL;
        size_t dlen, nd;
        if (claim_disclosures(t, c, tk, a, &dis, &dlen, &nd) == SEAM_OK && nd > 0) {
            key(&eo, "disclosures");
            json_text_add(&out, dis, dlen);
        }
        free(dis);
        json_text_lit(&out, "}");
        free(bytes);
    }
    json_text_lit(&out, "}");
    *out_len = out.len;
    return out.data;
}

int
ticket_event_text(struct store_txn *t, const struct ticket *tk, uint32_t seq, struct json_text *out)
{
    char *bytes, num[24];
    size_t elen;
    uint8_t sig[SEAM_SIG_LEN];
    uint64_t leaf;
    if (evlog_event(t, tk->id, seq, &bytes, &elen, sig, &leaf) != SEAM_OK)
        return -1;
    /* its type, read from the signed bytes (canonical JSON, the writer's: "type" is a member) */
    struct json_read r;
    struct json_slice k, type = {NULL, 0};
    char *owned = NULL;
    json_read_init(&r, bytes, elen);
    if (json_read_object(&r))
        while (json_read_key(&r, &k)) {
            if (k.n == 4 && memcmp(k.s, "type", 4) == 0 && json_read_peek(&r) == JR_STRING) {
                if (!json_read_str(&r, &type, &owned))
                    break;
            } else if (!json_read_skip(&r, NULL, JSON_DEPTH_STORED)) {
                break;
            }
        }
    int good = json_read_end(&r);
    json_read_done(&r);
    if (good) {
        char *b64 = seam_b64_encode(sig, SEAM_SIG_LEN);
        int n = snprintf(num, sizeof(num), "%u", seq);
        json_text_lit(out, "{\"seq\":");
        json_text_add(out, num, (size_t)n);
        if (type.s != NULL) {
            json_text_lit(out, ",\"type\":");
            json_text_string(out, type.s, type.n);
        }
        json_text_lit(out, ",\"event\":"); /* the canonical bytes are the event's JSON */
        json_text_add(out, bytes, elen);
        json_text_lit(out, ",\"bytes\":");
        json_text_string(out, bytes, elen);
        json_text_lit(out, ",\"signature\":");
        json_text_string(out, b64, strlen(b64));
        n = snprintf(num, sizeof(num), "%llu", (unsigned long long)leaf);
        json_text_lit(out, ",\"leaf_index\":");
        json_text_add(out, num, (size_t)n);
        json_text_lit(out, "}");
        free(b64);
    }
    free(owned);
    free(bytes);
    return good ? 0 : -1;
}

/* ---- the evidence each principal may see ---- */

struct evidence_view {
    const struct ticket *tk;
    const struct principal *who;
    const struct config_partner *p; /* a partner's configuration; NULL: none */
};

/* The timeline entry of a signed event (its seq, type and instant agree), or NULL. */
static const struct timeline_entry *
entry_of(const struct ticket *tk, const json_t *ev)
{
    json_t *seq = json_object_get(ev, "seq");
    int type = event_type_parse(json_string_value(json_object_get(ev, "type")));
    if (type < 0 || !json_is_integer(seq) || json_integer_value(seq) < 0 ||
        (uint64_t)json_integer_value(seq) >= tk->ntimeline)
        return NULL;
    const struct timeline_entry *e = &tk->timeline[json_integer_value(seq)];
    const char *at = json_string_value(json_object_get(ev, "at"));
    return e->type == (enum event_type)type && at != NULL && e->at == ticket_parse_time(at) ? e
                                                                                            : NULL;
}

/* Whether the event is on the customer's timeline (an entry it cannot find: not). */
static int
customer_sees(const struct ticket *tk, const json_t *ev)
{
    const struct timeline_entry *e = entry_of(tk, ev);
    return e != NULL && ticket_entry_customer_visible(tk, e);
}

static int
str_is(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

/* Whether the assignment id (a JSON string) is one of partner's. */
static int
asg_of(const struct ticket *tk, const json_t *id, const char *partner)
{
    const struct assignment *a =
        json_is_string(id) ? ticket_find_assignment(tk, json_string_value(id)) : NULL;
    return a != NULL && strcmp(a->partner, partner) == 0;
}

/* Whether a routing decision gave partner a claim. */
static int
route_names(const json_t *route, const char *partner)
{
    json_t *a;
    size_t i;
    json_array_foreach(json_object_get(route, "assignments"), i, a)
    {
        if (str_is(json_object_get(a, "partner"), partner))
            return 1;
    }
    return 0;
}

/* Whether the event names the partner or one of its claims: actor, owner, next owner, ended. */
static int
names_partner(const struct ticket *tk, const json_t *ev, const char *partner)
{
    json_t *actor = json_object_get(ev, "actor"), *data = json_object_get(ev, "data"), *x;
    json_t *next = json_object_get(data, "next");
    size_t i;
    if (str_is(json_object_get(actor, "role"), "partner") &&
        str_is(json_object_get(actor, "id"), partner))
        return 1;
    if (str_is(json_object_get(data, "partner"), partner) ||
        asg_of(tk, json_object_get(data, "assignment"), partner) || asg_of(tk, next, partner) ||
        asg_of(tk, json_object_get(next, "assignment"), partner) ||
        route_names(json_object_get(data, "route"), partner))
        return 1;
    json_array_foreach(json_object_get(data, "ended"), i, x)
    {
        if (asg_of(tk, x, partner))
            return 1;
    }
    return 0;
}

/*
 * Who acted, where it is restricted (actor.user, the acting person; actor.id
 * of the lead or an auditor, a user or desk: ticket.c): the lead and
 * auditors see all; the customer and a partner only their own people (a
 * partner also the customer's users where it may see the customer's name);
 * the others' company stays in clear (the actor's role, a partner's id).
 */
static int
actor_disclose(const struct evidence_view *v, const json_t *actor, const char *member)
{
    int own = str_is(json_object_get(actor, "role"), auth_role_name(v->who->role)) &&
              str_is(json_object_get(actor, "id"), v->who->subject);
    switch (v->who->role) {
    case ROLE_LEAD:
    case ROLE_AUDITOR:
        return 1;
    case ROLE_CUSTOMER:
        return strcmp(member, "actor.user") == 0 && own;
    case ROLE_PARTNER:
        if (strcmp(member, "actor.user") != 0)
            return 0;
        return own || (str_is(json_object_get(actor, "role"), "customer") && v->p != NULL &&
                       v->p->see_name);
    default:
        return 0;
    }
}

static int
view_disclose(void *ctx, const json_t *ev, const char *member, const json_t *value)
{
    const struct evidence_view *v = ctx;
    const json_t *actor = json_object_get(ev, "actor");
    if (strncmp(member, "actor.", 6) == 0)
        return actor_disclose(v, actor, member);
    switch (v->who->role) {
    case ROLE_LEAD:
    case ROLE_AUDITOR:
        return 1;
    case ROLE_CUSTOMER: /* its own data and the texts of its timeline; who works on it by the rule
                         */
        return strcmp(member, "route") != 0 || v->tk->customer_visible > 0;
    case ROLE_PARTNER:
        if (strcmp(member, "customer_name") == 0)
            return v->p != NULL && v->p->see_name;
        if (strcmp(member, "customer_contact") == 0)
            return v->p != NULL && v->p->see_contact;
        if (strcmp(member, "route") == 0)
            return route_names(value, v->who->subject);
        if (str_is(json_object_get(actor, "role"), "customer") ||
            (str_is(json_object_get(actor, "role"), "partner") &&
             str_is(json_object_get(actor, "id"), v->who->subject)))
            return 1;                    /* the customer's words, or its own */
        return customer_sees(v->tk, ev); /* a text the customer's timeline shows */
    default:
        return 0;
    }
}

static int
view_shown(void *ctx, const json_t *ev)
{
    const struct evidence_view *v = ctx;
    int shown = 0;
    switch (v->who->role) {
    case ROLE_LEAD:
    case ROLE_AUDITOR:
        return 1;
    case ROLE_CUSTOMER:
        shown = customer_sees(v->tk, ev);
        break;
    case ROLE_PARTNER:
        shown = str_is(json_object_get(ev, "type"), "ticket.created") ||
                str_is(json_object_get(json_object_get(ev, "actor"), "role"), "customer") ||
                names_partner(v->tk, ev, v->who->subject);
        break;
    default:
        return 0;
    }
    if (!shown || json_object_get(ev, "sd") != NULL)
        return shown;
    /* Signed whole before restricted content was signed by digest: shown only
     * if every restricted member it holds may be seen. */
    int type = event_type_parse(json_string_value(json_object_get(ev, "type")));
    const char *k;
    json_t *val;
    json_object_foreach(json_object_get(ev, "data"), k, val)
    {
        if (!json_is_null(val) && event_member_restricted((enum event_type)type, k) &&
            !view_disclose(ctx, ev, k, val))
            return 0;
    }
    /* and who acted, as a format 2 event restricts it */
    const json_t *actor = json_object_get(ev, "actor");
    if (json_object_get(actor, "user") != NULL && !actor_disclose(v, actor, "actor.user"))
        return 0;
    if ((str_is(json_object_get(actor, "role"), "lead") ||
         str_is(json_object_get(actor, "role"), "auditor")) &&
        json_object_get(actor, "id") != NULL && !actor_disclose(v, actor, "actor.id"))
        return 0;
    return 1;
}

enum seam_err
ticket_evidence(struct store_txn *t, const struct ticket_ctx *c, const struct ticket *tk,
                const struct principal *who, char **doc, size_t *len)
{
    struct evidence_view v = {tk, who, NULL};
    char name[96];
    if (who->role == ROLE_PARTNER)
        v.p = config_partner_find(c->cfg, who->subject);
    if (who->role == ROLE_CUSTOMER || who->role == ROLE_PARTNER)
        snprintf(name, sizeof(name), "%s:%s", auth_role_name(who->role), who->subject);
    else
        snprintf(name, sizeof(name), "%s", auth_role_name(who->role));
    struct evlog_view ev = {name, view_shown, view_disclose, &v, NULL};
    return evlog_export_view(t, c->lg, tk->id, &ev, doc, len);
}

/* The disclosures of the event that made claim a that its owner may read (view_disclose). */
static enum seam_err
claim_disclosures(struct store_txn *t, const struct ticket_ctx *c, const struct ticket *tk,
                  const struct assignment *a, char **out, size_t *len, size_t *count)
{
    struct principal owner;
    memset(&owner, 0, sizeof(owner));
    owner.role = ROLE_PARTNER;
    snprintf(owner.subject, sizeof(owner.subject), "%s", a->partner ? a->partner : "");
    struct evidence_view v = {tk, &owner, config_partner_find(c->cfg, owner.subject)};
    static const char *const values[] = {"route", NULL}; /* the only value view_disclose reads */
    struct evlog_view ev = {"", NULL, view_disclose, &v, values};
    return evlog_event_disclosures(t, tk->id, (uint32_t)a->event_seq, &ev, out, len, count);
}
