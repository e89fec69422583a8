/*
 * record.c: a ticket's stored record (record.h): decoded with the pull
 * reader (json_read.h) straight into struct ticket, encoded with the
 * canonical builder (json_fast.h) straight from it, without a Jansson tree
 * either way. Each member name is matched once here; names of states,
 * events, flags and reasons go through the model's tables (model.c). This
 * file does not decide anything about a ticket: it reads and writes what it
 * is given. Times are parsed and formatted with Howard Hinnant's
 * days-from-civil arithmetic, not the C library's.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "index.h"
#include "json_fast.h"
#include "json_read.h"
#include "log.h"
#include "record.h"
#include "sla_agg.h"

/* The SLA kinds in sla.h's order (enum sla_kind), as records name them. */
static const char *const kind_names[SEAM_SLA_KINDS] = {"warning_ack", "ack", "warning_resolve",
                                                       "resolve"};
static const char *const due_names[SEAM_SLA_KINDS] = {"warn_ack_ms", "due_ack_ms",
                                                      "warn_resolve_ms", "due_resolve_ms"};

/* ---- time ---- */

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void
put2(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

size_t
record_time_format(int64_t ms, char *out)
{
    int64_t days = ms / 86400000, rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    int64_t y;
    unsigned m, d, r = (unsigned)rem;
    civil_from_days(days, &y, &m, &d);
    unsigned yy = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    put2(out, yy / 100);
    put2(out + 2, yy % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, r / 3600000);
    out[13] = ':';
    put2(out + 14, r / 60000 % 60);
    out[16] = ':';
    put2(out + 17, r / 1000 % 60);
    out[19] = '.';
    out[20] = (char)('0' + r % 1000 / 100);
    put2(out + 21, r % 100);
    out[23] = 'Z';
    out[24] = '\0';
    return 24;
}

/* The n digits at s as a number, or -1 if one is not a digit. */
static int
digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned c = (unsigned)(unsigned char)s[i] - '0';
        if (c > 9)
            return -1;
        v = v * 10 + (int)c;
    }
    return v;
}

int
record_time_parse(const char *s, size_t n, int64_t *ms)
{
    if (n != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || s[23] != 'Z')
        return 0;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2), h = digits(s + 11, 2),
        mi = digits(s + 14, 2), se = digits(s + 17, 2), f = digits(s + 20, 3);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 59 || f < 0)
        return 0;
    static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return 0;
    *ms = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se) * 1000 + f;
    return 1;
}

/* ---- decoding ---- */

#define KEY(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).s, (lit), sizeof(lit) - 1) == 0)

/* A string into *out (replacing what it held). */
static int
rd_str(struct json_read *r, char **out)
{
    char *s = json_read_string(r, NULL);
    if (s == NULL)
        return 0;
    free(*out);
    *out = s;
    return 1;
}

/* A string or null (NULL) into *out. */
static int
rd_str_null(struct json_read *r, char **out)
{
    if (json_read_if_null(r)) {
        free(*out);
        *out = NULL;
        return 1;
    }
    return rd_str(r, out);
}

/* A count, an instant or a duration: never negative (-1 and -2 stand for
 * null and absent in the model, so a negative number read could not be
 * written back as it was). */
static int
rd_count(struct json_read *r, int64_t *v)
{
    return json_read_int(r, v) && *v >= 0;
}

/* A count or a duration, or null (SEAM_NULL_MS). */
static int
rd_int_null(struct json_read *r, int64_t *v)
{
    if (json_read_if_null(r)) {
        *v = SEAM_NULL_MS;
        return 1;
    }
    return rd_count(r, v);
}

/* An instant, or null (SEAM_NULL_MS). */
static int
rd_time(struct json_read *r, int64_t *v)
{
    if (json_read_if_null(r)) {
        *v = SEAM_NULL_MS;
        return 1;
    }
    struct json_slice s;
    char *owned;
    if (!json_read_str(r, &s, &owned))
        return 0;
    /* Before 1970 cannot be told from null or absent (-1, -2): refused. */
    int good = record_time_parse(s.s, s.n, v) && *v >= 0;
    free(owned);
    if (!good)
        r->err = 1;
    return good;
}

/* A name of one of the model's tables, through its parse function. */
static int
rd_name(struct json_read *r, int (*parse)(const char *), int *v)
{
    char *s = json_read_string(r, NULL);
    if (s == NULL)
        return 0;
    *v = parse(s);
    free(s);
    if (*v < 0) {
        r->err = 1;
        return 0;
    }
    return 1;
}

static int
kind_parse(const char *s)
{
    for (int i = 0; i < SEAM_SLA_KINDS; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return i;
    return -1;
}

static int
rd_flags(struct json_read *r, struct flag_set *fs)
{
    memset(fs, 0, sizeof(*fs));
    if (!json_read_array(r))
        return 0;
    while (json_read_next(r)) {
        int f;
        if (!rd_name(r, ticket_flag_parse, &f))
            return 0;
        flag_set_add(fs, (enum ticket_flag)f);
    }
    return !r->err;
}

static int
rd_kinds(struct json_read *r, struct kind_set *ks)
{
    memset(ks, 0, sizeof(*ks));
    if (!json_read_array(r))
        return 0;
    while (json_read_next(r)) {
        int k;
        if (!rd_name(r, kind_parse, &k))
            return 0;
        if (ks->n == SEAM_SLA_KINDS) {
            r->err = 1;
            return 0;
        }
        ks->v[ks->n++] = (uint8_t)k;
    }
    return !r->err;
}

/* An unknown member: its key and raw value, kept. */
static int
rd_extra(struct json_read *r, struct json_slice key, struct extra_member **x, size_t *n)
{
    struct json_slice raw;
    if (!json_read_skip(r, &raw, JSON_DEPTH_STORED))
        return 0;
    *x = xrealloc(*x, (*n + 1) * sizeof(**x));
    struct extra_member *m = &(*x)[(*n)++];
    m->key = xmalloc(key.n + 1);
    memcpy(m->key, key.s, key.n);
    m->key[key.n] = '\0';
    m->json = xmalloc(raw.n + 1);
    memcpy(m->json, raw.s, raw.n);
    m->json[raw.n] = '\0';
    return 1;
}

static int
rd_sla(struct json_read *r, struct sla_clock *c)
{
    struct json_slice k;
    free(c->policy);
    memset(c, 0, sizeof(*c));
    c->present = 1;
    c->assigned_ms = c->ack_target_ms = c->resolve_target_ms = c->resolve_elapsed_ms =
        SEAM_ABSENT_MS;
    c->running_since = c->ack_business_ms = c->resolve_business_ms = SEAM_ABSENT_MS;
    for (int i = 0; i < SEAM_SLA_KINDS; i++)
        c->due_at[i] = SEAM_ABSENT_MS;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int ok = 0;
        if (KEY(k, "policy"))
            ok = rd_str(r, &c->policy);
        else if (KEY(k, "assigned_ms"))
            ok = rd_int_null(r, &c->assigned_ms);
        else if (KEY(k, "ack_target_ms"))
            ok = rd_int_null(r, &c->ack_target_ms);
        else if (KEY(k, "resolve_target_ms"))
            ok = rd_int_null(r, &c->resolve_target_ms);
        else if (KEY(k, "resolve_elapsed_ms"))
            ok = rd_int_null(r, &c->resolve_elapsed_ms);
        else if (KEY(k, "running_since"))
            ok = rd_int_null(r, &c->running_since);
        else if (KEY(k, "ack_business_ms"))
            ok = rd_int_null(r, &c->ack_business_ms);
        else if (KEY(k, "resolve_business_ms"))
            ok = rd_int_null(r, &c->resolve_business_ms);
        else if (KEY(k, "warned"))
            ok = rd_kinds(r, &c->warned);
        else if (KEY(k, "breached"))
            ok = rd_kinds(r, &c->breached);
        else {
            for (int i = 0; i < SEAM_SLA_KINDS; i++)
                if (k.n == strlen(due_names[i]) && memcmp(k.s, due_names[i], k.n) == 0)
                    ok = rd_int_null(r, &c->due_at[i]);
        }
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    return !r->err;
}

static int
rd_e2e(struct json_read *r, struct e2e_clock *c)
{
    struct json_slice k;
    free(c->policy);
    memset(c, 0, sizeof(*c));
    c->present = 1;
    c->target_ms = c->elapsed_ms = c->running_since = c->due = c->resolved_business_ms =
        SEAM_ABSENT_MS;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int ok = 0;
        if (KEY(k, "policy"))
            ok = rd_str(r, &c->policy);
        else if (KEY(k, "target_ms"))
            ok = rd_int_null(r, &c->target_ms);
        else if (KEY(k, "elapsed_ms"))
            ok = rd_int_null(r, &c->elapsed_ms);
        else if (KEY(k, "running_since"))
            ok = rd_int_null(r, &c->running_since);
        else if (KEY(k, "due"))
            ok = rd_time(r, &c->due);
        else if (KEY(k, "resolved_business_ms"))
            ok = rd_int_null(r, &c->resolved_business_ms);
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    return !r->err;
}

static int
rd_due(struct json_read *r, struct assignment *a)
{
    struct json_slice k;
    if (!json_read_object(r))
        return 0;
    a->due_ack = a->due_resolve = SEAM_NULL_MS; /* present: each null unless given */
    int seen = 0;
    while (json_read_key(r, &k)) {
        int ok = 0;
        if (KEY(k, "ack"))
            ok = rd_time(r, &a->due_ack), seen |= 1;
        else if (KEY(k, "resolve"))
            ok = rd_time(r, &a->due_resolve), seen |= 2;
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    if (seen != 3)
        r->err = 1; /* today's records always hold both */
    return !r->err;
}

static void
assignment_init(struct assignment *a)
{
    memset(a, 0, sizeof(*a));
    a->round = a->chain_position = a->bounces = a->event_seq = SEAM_ABSENT_MS;
    a->due_ack = a->due_resolve = SEAM_ABSENT_MS;
    a->assigned_at = a->acknowledged_at = a->resolved_at = a->ended_at = a->handed_back_at =
        SEAM_ABSENT_MS;
    a->held_ms = SEAM_ABSENT_MS;
    a->handback_reason = -1;
}

/* An id member: a string of SEAM_ID_LEN bytes at most. */
static int
rd_id(struct json_read *r, char *id)
{
    struct json_slice s;
    char *owned;
    if (!json_read_str(r, &s, &owned))
        return 0;
    int good = s.n <= SEAM_ID_LEN && memchr(s.s, 0, s.n) == NULL;
    if (good) {
        memcpy(id, s.s, s.n);
        id[s.n] = '\0';
    }
    free(owned);
    if (!good)
        r->err = 1;
    return good;
}

static int
rd_assignment(struct json_read *r, struct assignment *a)
{
    struct json_slice k;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int ok = 0, v = 0;
        if (KEY(k, "id"))
            ok = rd_id(r, a->id);
        else if (KEY(k, "partner"))
            ok = rd_str(r, &a->partner);
        else if (KEY(k, "state")) {
            ok = rd_name(r, assignment_state_parse, &v);
            a->state = (enum assignment_state)v;
        } else if (KEY(k, "rule"))
            ok = rd_str(r, &a->rule);
        else if (KEY(k, "round"))
            ok = rd_count(r, &a->round);
        else if (KEY(k, "chain_position"))
            ok = rd_count(r, &a->chain_position);
        else if (KEY(k, "bounces"))
            ok = rd_count(r, &a->bounces);
        else if (KEY(k, "event_seq"))
            ok = rd_count(r, &a->event_seq);
        else if (KEY(k, "due"))
            ok = rd_due(r, a);
        else if (KEY(k, "flags"))
            ok = rd_flags(r, &a->flags);
        else if (KEY(k, "assigned_at"))
            ok = rd_time(r, &a->assigned_at);
        else if (KEY(k, "acknowledged_at"))
            ok = rd_time(r, &a->acknowledged_at);
        else if (KEY(k, "resolved_at"))
            ok = rd_time(r, &a->resolved_at);
        else if (KEY(k, "ended_at"))
            ok = rd_time(r, &a->ended_at);
        else if (KEY(k, "handed_back_at"))
            ok = rd_time(r, &a->handed_back_at);
        else if (KEY(k, "resolution"))
            ok = rd_str(r, &a->resolution);
        else if (KEY(k, "handback_reason")) {
            ok = rd_name(r, handback_reason_parse, &v);
            a->handback_reason = v;
        } else if (KEY(k, "held_ms"))
            ok = rd_int_null(r, &a->held_ms);
        else if (KEY(k, "sla"))
            ok = rd_sla(r, &a->sla);
        else if (KEY(k, "belongs_to"))
            ok = rd_str(r, &a->belongs_to);
        else if (KEY(k, "belongs_to_refused"))
            ok = rd_str(r, &a->belongs_to_refused);
        else
            ok = rd_extra(r, k, &a->extra, &a->nextra);
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    return !r->err && a->id[0] != '\0' && a->partner != NULL;
}

static int
rd_entry(struct json_read *r, struct timeline_entry *e)
{
    struct json_slice k;
    int v = 0, seen = 0;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int ok = 0;
        if (KEY(k, "at")) {
            ok = rd_time(r, &e->at) && e->at >= 0;
            seen |= 1;
        } else if (KEY(k, "type")) {
            ok = rd_name(r, event_type_parse, &v);
            e->type = (enum event_type)v;
            seen |= 2;
        } else if (KEY(k, "status")) {
            ok = rd_name(r, ticket_status_parse, &v);
            e->status = (enum ticket_status)v;
            seen |= 4;
        } else if (KEY(k, "visibility")) {
            ok = rd_name(r, visibility_parse, &v);
            e->visibility = (enum visibility)v;
            seen |= 8;
        } else if (KEY(k, "text"))
            ok = rd_str(r, &e->text);
        else if (KEY(k, "by")) /* format 3 on */
            ok = rd_str(r, &e->by);
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    return !r->err && seen == 15;
}

/*
 * The names facts are stored under, by index: fact_kinds[]'s until a
 * configuration says otherwise (record_use_facts), copied so that they
 * outlive it. Set while loading the configuration, before any thread reads.
 */
static char fact_name_at[SEAM_FACTS_MAX][64] = {"service", "symptom", "equipment",
                                                "region",  "bundle",  "priority"};
static size_t nfact_names = FACT_COUNT;
static unsigned fact_optional = 1u << FACT_SERVICE | 1u << FACT_EQUIPMENT;

void
record_use_facts(const struct fact_kind *kinds, size_t n)
{
    if (n > SEAM_FACTS_MAX)
        n = SEAM_FACTS_MAX;
    fact_optional = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(fact_name_at[i], sizeof(fact_name_at[i]), "%s", kinds[i].name);
        if (kinds[i].optional)
            fact_optional |= 1u << i;
    }
    nfact_names = n;
}

size_t
record_fact_count(void)
{
    return nfact_names;
}

const char *
record_fact_name(size_t i)
{
    return i < nfact_names ? fact_name_at[i] : NULL;
}

/* The fact whose name is k, or SEAM_FACTS_MAX. */
static int
fact_named(struct json_slice k)
{
    for (size_t i = 0; i < nfact_names; i++)
        if (k.n == strlen(fact_name_at[i]) && memcmp(k.s, fact_name_at[i], k.n) == 0)
            return (int)i;
    return SEAM_FACTS_MAX;
}

/* A ticket's facts; a fact the configuration no longer declares is passed over. */
static int
rd_facts(struct json_read *r, char **facts)
{
    struct json_slice k, raw;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int i = fact_named(k), ok = 0;
        if (i < SEAM_FACTS_MAX)
            ok = rd_str_null(r, &facts[i]);
        else
            ok = json_read_skip(r, &raw, 2);
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    return !r->err;
}

static int
rd_fallback(struct json_read *r, struct ticket *t)
{
    struct json_slice k;
    if (!json_read_array(r))
        return 0;
    if (t->fallback == NULL)
        t->fallback = xmalloc(sizeof(*t->fallback)); /* present, maybe empty */
    while (json_read_next(r)) {
        t->fallback = xrealloc(t->fallback, (t->nfallback + 1) * sizeof(*t->fallback));
        struct ticket_owner *o = &t->fallback[t->nfallback++];
        memset(o, 0, sizeof(*o));
        if (!json_read_object(r))
            return 0;
        while (json_read_key(r, &k)) {
            int ok = 0;
            if (KEY(k, "role"))
                ok = rd_str(r, &o->role);
            else if (KEY(k, "partner"))
                ok = rd_str_null(r, &o->partner);
            if (!ok) {
                r->err = 1;
                return 0;
            }
        }
        if (o->role == NULL)
            r->err = 1;
    }
    return !r->err;
}

static int
rd_head(struct json_read *r, struct ticket *t)
{
    struct json_slice k;
    int64_t v = 1, events = -1;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int ok = 0;
        if (KEY(k, "v"))
            ok = json_read_int(r, &v);
        else if (KEY(k, "events"))
            ok = json_read_int(r, &events);
        else if (KEY(k, "last")) {
            struct json_slice s;
            char *owned;
            ok = json_read_str(r, &s, &owned) && s.n < sizeof(t->last);
            if (ok) {
                memcpy(t->last, s.s, s.n);
                t->last[s.n] = '\0';
            }
            free(owned);
        }
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    if (v < 1 || v > RECORD_VERSION || events < 0 || events > UINT32_MAX)
        r->err = 1;
    else
        t->events = (uint32_t)events;
    return !r->err;
}

static int
rd_ticket(struct json_read *r, struct ticket *t)
{
    struct json_slice k;
    int v = 0, head = 0;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int ok = 0;
        switch (k.s[0]) {
        case 'a':
            if (KEY(k, "assignments")) {
                if (!json_read_array(r))
                    break;
                while (json_read_next(r)) {
                    t->assignments =
                        xrealloc(t->assignments, (t->nassignments + 1) * sizeof(*t->assignments));
                    struct assignment *a = &t->assignments[t->nassignments++];
                    assignment_init(a);
                    if (!rd_assignment(r, a))
                        return 0;
                }
                ok = !r->err;
            } else
                goto extra;
            break;
        case 'b':
            if (KEY(k, "bounces"))
                ok = rd_count(r, &t->bounces);
            else if (KEY(k, "bundle"))
                ok = rd_str_null(r, &t->filed[FACT_BUNDLE]);
            else
                goto extra;
            break;
        case 'c':
            if (KEY(k, "customer"))
                ok = rd_str(r, &t->customer);
            else if (KEY(k, "channel"))
                ok = rd_str_null(r, &t->channel);
            else if (KEY(k, "created_at"))
                ok = rd_time(r, &t->created_at);
            else if (KEY(k, "customer_visible")) {
                ok = json_read_bool(r, &v);
                t->customer_visible = v;
            } else
                goto extra;
            break;
        case 'd':
            if (KEY(k, "description"))
                ok = rd_str(r, &t->description);
            else if (KEY(k, "duplicate_of"))
                ok = rd_str_null(r, &t->duplicate_of);
            else
                goto extra;
            break;
        case 'e':
            if (KEY(k, "equipment"))
                ok = rd_str_null(r, &t->filed[FACT_EQUIPMENT]);
            else if (KEY(k, "e2e"))
                ok = rd_e2e(r, &t->e2e);
            else
                goto extra;
            break;
        case 'f':
            if (KEY(k, "facts"))
                ok = rd_facts(r, t->facts);
            else if (KEY(k, "flags"))
                ok = rd_flags(r, &t->flags);
            else if (KEY(k, "fallback"))
                ok = rd_fallback(r, t);
            else
                goto extra;
            break;
        case 'h':
            if (KEY(k, "head"))
                ok = head = rd_head(r, t);
            else
                goto extra;
            break;
        case 'i':
            if (KEY(k, "id"))
                ok = rd_id(r, t->id);
            else
                goto extra;
            break;
        case 'm':
            if (KEY(k, "mode")) {
                struct json_slice s;
                char *owned;
                ok = json_read_str(r, &s, &owned);
                if (ok && KEY(s, "joint"))
                    t->joint = 1;
                else if (ok && KEY(s, "single"))
                    t->joint = 0;
                else
                    ok = 0;
                free(owned);
            } else if (KEY(k, "merged_into"))
                ok = rd_str_null(r, &t->merged_into);
            else
                goto extra;
            break;
        case 'p':
            if (KEY(k, "priority"))
                ok = rd_name(r, priority_parse, &t->priority);
            else
                goto extra;
            break;
        case 'r':
            if (KEY(k, "round"))
                ok = rd_count(r, &t->round);
            else if (KEY(k, "rule"))
                ok = rd_str(r, &t->rule);
            else if (KEY(k, "region"))
                ok = rd_str_null(r, &t->filed[FACT_REGION]);
            else
                goto extra;
            break;
        case 's':
            if (KEY(k, "status")) {
                ok = rd_name(r, ticket_status_parse, &v);
                t->status = (enum ticket_status)v;
            } else if (KEY(k, "summary"))
                ok = rd_str(r, &t->summary);
            else if (KEY(k, "service"))
                ok = rd_str_null(r, &t->filed[FACT_SERVICE]);
            else if (KEY(k, "symptom"))
                ok = rd_str_null(r, &t->filed[FACT_SYMPTOM]);
            else
                goto extra;
            break;
        case 't':
            if (KEY(k, "timeline")) {
                if (!json_read_array(r))
                    break;
                while (json_read_next(r)) {
                    t->timeline = xrealloc(t->timeline, (t->ntimeline + 1) * sizeof(*t->timeline));
                    struct timeline_entry *e = &t->timeline[t->ntimeline++];
                    memset(e, 0, sizeof(*e));
                    if (!rd_entry(r, e))
                        return 0;
                }
                ok = !r->err;
            } else if (KEY(k, "topic"))
                ok = rd_str_null(r, &t->topic);
            else if (KEY(k, "tmf")) {
                struct json_slice raw;
                ok = json_read_skip(r, &raw, JSON_DEPTH_STORED);
                if (ok) {
                    free(t->tmf);
                    t->tmf = xmalloc(raw.n + 1);
                    memcpy(t->tmf, raw.s, raw.n);
                    t->tmf[raw.n] = '\0';
                }
            } else
                goto extra;
            break;
        case 'u':
            if (KEY(k, "updated_at"))
                ok = rd_time(r, &t->updated_at);
            else
                goto extra;
            break;
        default:
        extra:
            /* A fact as filed, of a row of fact_kinds[] the cases above do not name. */
            v = fact_named(k);
            if (v < SEAM_FACTS_MAX && v != FACT_PRIORITY)
                ok = rd_str_null(r, &t->filed[v]);
            else
                ok = rd_extra(r, k, &t->extra, &t->nextra);
        }
        if (!ok) {
            r->err = 1;
            return 0;
        }
    }
    return !r->err && head && t->id[0] != '\0' && t->customer != NULL && t->timeline != NULL &&
           t->assignments != NULL;
}

enum seam_err
record_decode(const void *bytes, size_t len, struct ticket *out)
{
    struct json_read r;
    memset(out, 0, sizeof(*out));
    out->created_at = out->updated_at = SEAM_ABSENT_MS;
    out->round = out->bounces = SEAM_ABSENT_MS;
    out->customer_visible = -1;
    out->joint = -1;
    out->priority = -1;
    json_read_init(&r, bytes, len);
    int good = rd_ticket(&r, out) && json_read_end(&r);
    json_read_done(&r);
    if (!good) {
        ticket_free(out);
        return SEAM_ECORRUPT;
    }
    return SEAM_OK;
}

/* ---- encoding ---- */

void
record_time_member(struct json_obj *o, const char *key, int64_t v)
{
    if (v == SEAM_ABSENT_MS)
        return;
    if (v == SEAM_NULL_MS) {
        json_obj_null(o, key);
        return;
    }
    char buf[32];
    buf[0] = '"';
    size_t n = record_time_format(v, buf + 1);
    buf[n + 1] = '"';
    json_obj_raw(o, key, buf, n + 2);
}

static void
wr_int(struct json_obj *o, const char *key, int64_t v)
{
    if (v == SEAM_ABSENT_MS)
        return;
    if (v == SEAM_NULL_MS)
        json_obj_null(o, key);
    else
        json_obj_int(o, key, v);
}

/* A finished nested text as a member; the text is freed. */
static void
wr_nested(struct json_obj *o, const char *key, char *text, size_t n)
{
    json_obj_raw(o, key, text, n);
    free(text);
}

static void
wr_flags(struct json_obj *o, const struct flag_set *fs)
{
    struct json_arr a = JSON_ARR_INIT;
    for (unsigned i = 0; i < fs->n; i++)
        json_arr_str(&a, ticket_flags[fs->v[i]].name);
    size_t n;
    char *text = json_arr_finish(&a, &n);
    wr_nested(o, "flags", text, n);
}

static void
wr_kinds(struct json_obj *o, const char *key, const struct kind_set *ks)
{
    struct json_arr a = JSON_ARR_INIT;
    for (unsigned i = 0; i < ks->n; i++)
        json_arr_str(&a, kind_names[ks->v[i]]);
    size_t n;
    char *text = json_arr_finish(&a, &n);
    wr_nested(o, key, text, n);
}

static void
wr_extra(struct json_obj *o, const struct extra_member *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_obj_raw(o, x[i].key, x[i].json, strlen(x[i].json));
}

/* Each writer adds its members in sorted order, so that the builder's sort
 * only checks them (unknown members, added last, are sorted in). */
static void
wr_sla(struct json_obj *parent, const struct sla_clock *c)
{
    struct json_obj o = JSON_OBJ_INIT;
    wr_int(&o, "ack_business_ms", c->ack_business_ms);
    wr_int(&o, "ack_target_ms", c->ack_target_ms);
    wr_int(&o, "assigned_ms", c->assigned_ms);
    wr_kinds(&o, "breached", &c->breached);
    wr_int(&o, "due_ack_ms", c->due_at[1]);
    wr_int(&o, "due_resolve_ms", c->due_at[3]);
    if (c->policy)
        json_obj_str(&o, "policy", c->policy);
    wr_int(&o, "resolve_business_ms", c->resolve_business_ms);
    wr_int(&o, "resolve_elapsed_ms", c->resolve_elapsed_ms);
    wr_int(&o, "resolve_target_ms", c->resolve_target_ms);
    wr_int(&o, "running_since", c->running_since);
    wr_int(&o, "warn_ack_ms", c->due_at[0]);
    wr_int(&o, "warn_resolve_ms", c->due_at[2]);
    wr_kinds(&o, "warned", &c->warned);
    size_t n;
    char *text = json_obj_finish(&o, &n);
    wr_nested(parent, "sla", text, n);
}

static void
wr_assignment(struct json_arr *arr, const struct assignment *a)
{
    struct json_obj o = JSON_OBJ_INIT;
    record_time_member(&o, "acknowledged_at", a->acknowledged_at);
    record_time_member(&o, "assigned_at", a->assigned_at);
    wr_int(&o, "bounces", a->bounces);
    wr_int(&o, "chain_position", a->chain_position);
    if (a->due_ack != SEAM_ABSENT_MS || a->due_resolve != SEAM_ABSENT_MS) {
        struct json_obj d = JSON_OBJ_INIT;
        record_time_member(&d, "ack", a->due_ack == SEAM_ABSENT_MS ? SEAM_NULL_MS : a->due_ack);
        record_time_member(&d, "resolve",
                           a->due_resolve == SEAM_ABSENT_MS ? SEAM_NULL_MS : a->due_resolve);
        size_t n;
        char *text = json_obj_finish(&d, &n);
        wr_nested(&o, "due", text, n);
    }
    record_time_member(&o, "ended_at", a->ended_at);
    wr_int(&o, "event_seq", a->event_seq);
    wr_flags(&o, &a->flags);
    if (a->handback_reason >= 0 && a->handback_reason < HB_COUNT)
        json_obj_str(&o, "handback_reason", handback_reasons[a->handback_reason].name);
    if (a->belongs_to)
        json_obj_str(&o, "belongs_to", a->belongs_to);
    if (a->belongs_to_refused)
        json_obj_str(&o, "belongs_to_refused", a->belongs_to_refused);
    record_time_member(&o, "handed_back_at", a->handed_back_at);
    wr_int(&o, "held_ms", a->held_ms);
    json_obj_str(&o, "id", a->id);
    json_obj_str(&o, "partner", a->partner);
    if (a->resolution)
        json_obj_str(&o, "resolution", a->resolution);
    record_time_member(&o, "resolved_at", a->resolved_at);
    wr_int(&o, "round", a->round);
    if (a->rule)
        json_obj_str(&o, "rule", a->rule);
    if (a->sla.present)
        wr_sla(&o, &a->sla);
    json_obj_str(&o, "state", assignment_states[a->state].name);
    wr_extra(&o, a->extra, a->nextra);
    size_t n;
    char *text = json_obj_finish(&o, &n);
    json_arr_raw(arr, text, n);
    free(text);
}

static void
wr_entry(struct json_arr *arr, const struct timeline_entry *e)
{
    struct json_obj o = JSON_OBJ_INIT;
    record_time_member(&o, "at", e->at);
    if (e->by)
        json_obj_str(&o, "by", e->by);
    json_obj_str(&o, "status", ticket_statuses[e->status].name);
    if (e->text)
        json_obj_str(&o, "text", e->text);
    json_obj_str(&o, "type", event_types[e->type].name);
    json_obj_str(&o, "visibility", visibility_names[e->visibility]);
    size_t n;
    char *text = json_obj_finish(&o, &n);
    json_arr_raw(arr, text, n);
    free(text);
}

char *
record_encode(const struct ticket *t, int with_head, size_t *len)
{
    struct json_obj o = JSON_OBJ_INIT;
    size_t n;
    char *text;
    struct json_arr a = JSON_ARR_INIT;
    for (size_t i = 0; i < t->nassignments; i++)
        wr_assignment(&a, &t->assignments[i]);
    text = json_arr_finish(&a, &n);
    wr_nested(&o, "assignments", text, n);
    wr_int(&o, "bounces", t->bounces);
    /* as filed: service and equipment may be null; the others are always there */
    if (t->filed[FACT_BUNDLE])
        json_obj_str(&o, "bundle", t->filed[FACT_BUNDLE]);
    if (t->channel)
        json_obj_str(&o, "channel", t->channel);
    record_time_member(&o, "created_at", t->created_at);
    if (t->customer)
        json_obj_str(&o, "customer", t->customer);
    if (t->customer_visible >= 0)
        json_obj_bool(&o, "customer_visible", t->customer_visible);
    if (t->description)
        json_obj_str(&o, "description", t->description);
    if (t->duplicate_of)
        json_obj_str(&o, "duplicate_of", t->duplicate_of);
    if (t->e2e.present) {
        struct json_obj e = JSON_OBJ_INIT;
        record_time_member(&e, "due", t->e2e.due);
        wr_int(&e, "elapsed_ms", t->e2e.elapsed_ms);
        if (t->e2e.policy)
            json_obj_str(&e, "policy", t->e2e.policy);
        wr_int(&e, "resolved_business_ms", t->e2e.resolved_business_ms);
        wr_int(&e, "running_since", t->e2e.running_since);
        wr_int(&e, "target_ms", t->e2e.target_ms);
        text = json_obj_finish(&e, &n);
        wr_nested(&o, "e2e", text, n);
    }
    json_obj_str(&o, "equipment", t->filed[FACT_EQUIPMENT]);
    int any = 0;
    for (size_t i = 0; i < nfact_names; i++)
        any |= t->facts[i] != NULL;
    if (any) {
        struct json_obj f = JSON_OBJ_INIT; /* the builder sorts the names */
        for (size_t i = 0; i < nfact_names; i++)
            json_obj_str(&f, fact_name_at[i], t->facts[i]);
        text = json_obj_finish(&f, &n);
        wr_nested(&o, "facts", text, n);
    }
    if (t->fallback != NULL) {
        struct json_arr fa = JSON_ARR_INIT;
        for (size_t i = 0; i < t->nfallback; i++) {
            struct json_obj f = JSON_OBJ_INIT;
            json_obj_str(&f, "partner", t->fallback[i].partner);
            json_obj_str(&f, "role", t->fallback[i].role);
            text = json_obj_finish(&f, &n);
            json_arr_raw(&fa, text, n);
            free(text);
        }
        text = json_arr_finish(&fa, &n);
        wr_nested(&o, "fallback", text, n);
    }
    wr_flags(&o, &t->flags);
    if (with_head) {
        struct json_obj h = JSON_OBJ_INIT;
        json_obj_int(&h, "events", t->events);
        json_obj_str(&h, "last", t->last);
        json_obj_int(&h, "v", RECORD_VERSION);
        text = json_obj_finish(&h, &n);
        wr_nested(&o, "head", text, n);
    }
    json_obj_str(&o, "id", t->id);
    if (t->merged_into)
        json_obj_str(&o, "merged_into", t->merged_into);
    if (t->joint >= 0)
        json_obj_str(&o, "mode", t->joint ? "joint" : "single");
    if (t->priority >= 0 && t->priority < PRIO_COUNT)
        json_obj_str(&o, "priority", priority_names[t->priority]);
    if (t->filed[FACT_REGION])
        json_obj_str(&o, "region", t->filed[FACT_REGION]);
    wr_int(&o, "round", t->round);
    if (t->rule)
        json_obj_str(&o, "rule", t->rule);
    json_obj_str(&o, "service", t->filed[FACT_SERVICE]);
    json_obj_str(&o, "status", ticket_statuses[t->status].name);
    if (t->summary)
        json_obj_str(&o, "summary", t->summary);
    if (t->filed[FACT_SYMPTOM])
        json_obj_str(&o, "symptom", t->filed[FACT_SYMPTOM]);
    struct json_arr tl = JSON_ARR_INIT;
    for (size_t i = 0; i < t->ntimeline; i++)
        wr_entry(&tl, &t->timeline[i]);
    text = json_arr_finish(&tl, &n);
    wr_nested(&o, "timeline", text, n);
    if (t->tmf)
        json_obj_raw(&o, "tmf", t->tmf, strlen(t->tmf));
    if (t->customer_visible >= 0)
        json_obj_str(&o, "topic", t->topic);
    record_time_member(&o, "updated_at", t->updated_at);
    /* The facts as filed of the rows of fact_kinds[] not written above (the
     * builder puts them in their sorted place): a new fact is stored too. */
    for (size_t i = FACT_COUNT; i < nfact_names; i++)
        if (t->filed[i] != NULL || (fact_optional & 1u << i))
            json_obj_str(&o, fact_name_at[i], t->filed[i]);
    wr_extra(&o, t->extra, t->nextra);
    return json_obj_finish(&o, len);
}

/* ---- the store ---- */

enum seam_err
record_load(struct store_txn *t, const char *id, struct ticket *out)
{
    struct store_val v;
    if (id == NULL || strlen(id) != SEAM_ID_LEN || id[0] != 'T')
        return SEAM_ENOTFOUND;
    enum seam_err rc = store_get(t, DB_TICKETS, id, SEAM_ID_LEN, &v);
    if (rc != SEAM_OK)
        return rc;
    return record_decode(v.data, v.len, out);
}

static int
rd_peek(struct json_read *r, struct ticket *t)
{
    struct json_slice k;
    int v = 0;
    if (!json_read_object(r))
        return 0;
    while (json_read_key(r, &k)) {
        int ok;
        if (KEY(k, "customer"))
            ok = rd_str(r, &t->customer);
        else if (KEY(k, "created_at"))
            ok = rd_time(r, &t->created_at);
        else if (KEY(k, "facts"))
            ok = rd_facts(r, t->facts);
        else if (KEY(k, "merged_into"))
            ok = rd_str_null(r, &t->merged_into);
        else if (KEY(k, "status")) {
            ok = rd_name(r, ticket_status_parse, &v);
            t->status = (enum ticket_status)v;
        } else
            ok = json_read_skip(r, NULL, JSON_DEPTH_STORED);
        if (!ok)
            return 0;
    }
    return !r->err;
}

enum seam_err
record_peek(struct store_txn *t, const char *id, struct ticket *out)
{
    struct store_val v;
    struct json_read r;
    if (id == NULL || strlen(id) != SEAM_ID_LEN || id[0] != 'T')
        return SEAM_ENOTFOUND;
    enum seam_err rc = store_get(t, DB_TICKETS, id, SEAM_ID_LEN, &v);
    if (rc != SEAM_OK)
        return rc;
    memset(out, 0, sizeof(*out));
    memcpy(out->id, id, SEAM_ID_LEN + 1);
    out->created_at = out->updated_at = SEAM_ABSENT_MS;
    json_read_init(&r, v.data, v.len);
    int good = rd_peek(&r, out) && json_read_end(&r);
    json_read_done(&r);
    if (!good) {
        ticket_free(out);
        return SEAM_ECORRUPT;
    }
    return SEAM_OK;
}

enum seam_err
record_save(struct store_txn *t, const struct ticket *tk, unsigned store_flags, size_t max_bytes)
{
    size_t len;
    char *text = record_encode(tk, 1, &len);
    enum seam_err rc = SEAM_OK;
    if (max_bytes > 0 && len > max_bytes)
        rc = SEAM_ETOOBIG;
    /* Only the members kept as they came (TMF attributes, unknown members)
     * can nest deep; the rest is a few levels by construction. */
    if (rc == SEAM_OK && (tk->tmf != NULL || tk->nextra > 0))
        rc = json_stored_check("ticket", tk->id, strlen(tk->id), text, len);
    if (rc == SEAM_OK)
        rc = store_put(t, DB_TICKETS, tk->id, strlen(tk->id), text, len, store_flags);
    /* the indexes, in the same write (index.h) */
    if (rc == SEAM_OK) {
        const char *names[SEAM_FACTS_MAX];
        for (size_t k = 0; k < nfact_names; k++)
            names[k] = fact_name_at[k];
        rc = index_save(t, tk, (store_flags & STORE_NOOVERWRITE) ? INDEX_FRESH : INDEX_UPDATE,
                        names, nfact_names);
    }
    if (rc == SEAM_OK) /* the SLA aggregates, in the same transaction */
        rc = sla_agg_record(t, tk);
    free(text);
    return rc;
}

/* ---- the format of the store, and its migration ---- */

#define META_FORMAT "format"
#define META_NEXT "format.next" /* the first ticket id a resumed migration takes */

enum seam_err
record_format_get(struct store_txn *t, unsigned *format)
{
    struct store_val v;
    enum seam_err rc = store_get(t, DB_META, META_FORMAT, strlen(META_FORMAT), &v);
    if (rc == SEAM_ENOTFOUND) {
        *format = 1;
        return SEAM_OK;
    }
    if (rc != SEAM_OK)
        return rc;
    unsigned f = 0;
    const char *p = v.data;
    if (v.len == 0 || v.len > 9)
        return SEAM_ECORRUPT;
    for (size_t i = 0; i < v.len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return SEAM_ECORRUPT;
        f = f * 10 + (unsigned)(p[i] - '0');
    }
    *format = f;
    return SEAM_OK;
}

struct migrate_ctx {
    size_t batch;
    char (*ids)[SEAM_ID_LEN + 1];
    size_t n;
    int more;          /* the scan stopped at a full batch */
    uint64_t migrated; /* records rewritten, in all batches */
    uint64_t seen;
};

static int
migrate_collect(void *arg, struct store_val key, struct store_val val)
{
    struct migrate_ctx *m = arg;
    (void)val;
    if (m->n == m->batch) {
        m->more = 1;
        memcpy(m->ids[m->n], key.data, key.len < SEAM_ID_LEN ? key.len : SEAM_ID_LEN);
        m->ids[m->n][key.len < SEAM_ID_LEN ? key.len : SEAM_ID_LEN] = '\0';
        return 1; /* the next batch starts here */
    }
    if (key.len != SEAM_ID_LEN)
        return 0; /* not a ticket: left as it is */
    memcpy(m->ids[m->n], key.data, SEAM_ID_LEN);
    m->ids[m->n++][SEAM_ID_LEN] = '\0';
    return 0;
}

/* One batch: from META_NEXT (or the first ticket), batch records re-encoded. */
static enum seam_err
migrate_batch(struct store_txn *t, void *arg)
{
    struct migrate_ctx *m = arg;
    struct store_val v;
    char start[SEAM_ID_LEN + 1] = "";
    enum seam_err rc = store_get(t, DB_META, META_NEXT, strlen(META_NEXT), &v);
    if (rc == SEAM_OK && v.len <= SEAM_ID_LEN) {
        memcpy(start, v.data, v.len);
        start[v.len] = '\0';
    } else if (rc != SEAM_ENOTFOUND && rc != SEAM_OK) {
        return rc;
    }
    m->n = 0;
    m->more = 0;
    rc = store_scan(t, DB_TICKETS, start[0] ? start : NULL, strlen(start), 0, migrate_collect, m);
    if (rc != SEAM_OK)
        return rc;
    uint64_t rewritten = 0;
    for (size_t i = 0; i < m->n; i++) {
        struct ticket tk;
        if ((rc = store_get(t, DB_TICKETS, m->ids[i], SEAM_ID_LEN, &v)) != SEAM_OK)
            return rc;
        if (record_decode(v.data, v.len, &tk) != SEAM_OK) {
            log_warnx("migrate: ticket=%s cannot be decoded; the store is left at its format",
                      m->ids[i]);
            return SEAM_ECORRUPT;
        }
        size_t len;
        char *text = record_encode(&tk, 1, &len);
        if (len != v.len || memcmp(text, v.data, len) != 0) {
            rc = json_stored_check("ticket", m->ids[i], SEAM_ID_LEN, text, len);
            if (rc == SEAM_OK)
                rc = store_put(t, DB_TICKETS, m->ids[i], SEAM_ID_LEN, text, len, 0);
            rewritten++;
        }
        free(text);
        ticket_free(&tk);
        if (rc != SEAM_OK)
            return rc;
    }
    if (m->more)
        rc = store_put(t, DB_META, META_NEXT, strlen(META_NEXT), m->ids[m->n], strlen(m->ids[m->n]),
                       0);
    else {
        char f[16];
        int fl = snprintf(f, sizeof(f), "%u", RECORD_FORMAT);
        rc = store_put(t, DB_META, META_FORMAT, strlen(META_FORMAT), f, (size_t)fl, 0);
        if (rc == SEAM_OK) {
            rc = store_del(t, DB_META, META_NEXT, strlen(META_NEXT));
            if (rc == SEAM_ENOTFOUND)
                rc = SEAM_OK;
        }
    }
    if (rc == SEAM_OK) {
        m->migrated += rewritten;
        m->seen += m->n;
    }
    return rc;
}

static enum seam_err
format_read(struct store *s, unsigned *format, uint64_t *tickets)
{
    struct store_txn *t;
    enum seam_err rc = store_read_begin(s, &t);
    if (rc != SEAM_OK)
        return rc;
    rc = record_format_get(t, format);
    if (tickets != NULL)
        *tickets = store_count(t, DB_TICKETS);
    store_read_end(t);
    return rc;
}

enum seam_err
record_format_read(struct store *s, unsigned *format)
{
    return format_read(s, format, NULL);
}

static enum seam_err
format_stamp(struct store_txn *t, void *arg)
{
    struct store_val v;
    char f[16];
    (void)arg;
    enum seam_err rc = store_get(t, DB_META, META_FORMAT, strlen(META_FORMAT), &v);
    if (rc != SEAM_ENOTFOUND)
        return rc; /* recorded already (SEAM_OK), or a store error */
    if (store_count(t, DB_TICKETS) > 0)
        return SEAM_OK; /* records of format 1: record_migrate's */
    int fl = snprintf(f, sizeof(f), "%u", RECORD_FORMAT);
    return store_put(t, DB_META, META_FORMAT, strlen(META_FORMAT), f, (size_t)fl, 0);
}

enum seam_err
record_format_stamp(struct store *s)
{
    return store_write(s, format_stamp, NULL, NULL, NULL);
}

/* Records RECORD_FORMAT as the store's format. */
static enum seam_err
format_set(struct store_txn *t, void *arg)
{
    char f[16];
    (void)arg;
    int fl = snprintf(f, sizeof(f), "%u", RECORD_FORMAT);
    return store_put(t, DB_META, META_FORMAT, strlen(META_FORMAT), f, (size_t)fl, 0);
}

enum seam_err
record_migrate(struct store *s, size_t batch, uint64_t *migrated)
{
    unsigned format;
    uint64_t total;
    struct migrate_ctx m = {0};
    enum seam_err rc = format_read(s, &format, &total);
    if (migrated != NULL)
        *migrated = 0;
    if (rc != SEAM_OK)
        return rc;
    if (format > RECORD_FORMAT) {
        log_warnx("migrate: the store's format is %u; this build knows up to %u", format,
                  RECORD_FORMAT);
        return SEAM_ECORRUPT;
    }
    if (format == RECORD_FORMAT)
        return SEAM_OK;
    if (format == 2) { /* format 3 only adds what 2's records lack: nothing to rewrite */
        rc = store_write(s, format_set, NULL, NULL, NULL);
        if (rc == SEAM_OK)
            log_info("migrate: the store is at format %u (from 2: no record rewritten)",
                     RECORD_FORMAT);
        return rc;
    }
    m.batch = batch > 0 ? batch : 2000;
    m.ids = xmalloc((m.batch + 1) * sizeof(*m.ids));
    log_info("migrate: format %u to %u, %llu tickets, %zu a transaction", format, RECORD_FORMAT,
             (unsigned long long)total, m.batch);
    do {
        rc = store_write(s, migrate_batch, &m, NULL, NULL);
        if (rc == SEAM_OK)
            log_info("migrate: %llu of %llu tickets done, %llu rewritten",
                     (unsigned long long)m.seen, (unsigned long long)total,
                     (unsigned long long)m.migrated);
    } while (rc == SEAM_OK && m.more);
    free(m.ids);
    if (rc == SEAM_OK)
        log_info("migrate: the store is at format %u", RECORD_FORMAT);
    if (migrated != NULL)
        *migrated = m.migrated;
    return rc;
}

struct ws_records {
    record_each_fn fn;
    void *ctx;
};

static enum seam_err
ws_record(void *arg, enum store_db db, struct store_val key, const struct store_val *val)
{
    struct ws_records *w = arg;
    struct ticket tk;
    (void)key;
    if (db != DB_TICKETS || val == NULL)
        return SEAM_OK;
    if (record_decode(val->data, val->len, &tk) == SEAM_OK) {
        w->fn(w->ctx, &tk);
        ticket_free(&tk);
    }
    return SEAM_OK;
}

enum seam_err
record_ws_each(const void *ws, size_t len, record_each_fn fn, void *ctx)
{
    struct ws_records w = {fn, ctx};
    return store_ws_each(ws, len, ws_record, &w);
}
