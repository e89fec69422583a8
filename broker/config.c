/*
 * config.c: loads conf/seam.json into struct config and validates all of
 * it before anything starts: known keys only (each object has a table of
 * its keys, types and whether they are required), bounds (every scalar
 * setting is one row of config_settings[], as Redis's static_configs[]:
 * key, default, bounds, where it goes), identifiers, and every reference between
 * sections (partners, calendars, SLA policies, bundles, rules). Every
 * problem is reported with the file and its JSON path; it collects them all
 * rather than stopping at the first. It does not check rule coverage or
 * conflicts: that is the rules checker's work.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "json_fast.h"
#include "seam/evidence.h"

/* JSON paths in messages are cut at 512 bytes on purpose; a cut path still names the place. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

const char *const priority_names[PRIO_COUNT] = {"low", "normal", "high", "urgent"};
static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int
priority_parse(const char *s)
{
    for (int i = 0; i < PRIO_COUNT; i++)
        if (strcmp(s, priority_names[i]) == 0)
            return i;
    return -1;
}

int
strlist_has(const struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* Loader state: the file name and the problems found so far. */
struct cctx {
    const char *file;
    char *errors;
    size_t len;
    int count;
};

static void __attribute__((format(printf, 3, 4)))
problem(struct cctx *c, const char *path, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char *line = xasprintf("%s: %s: %s\n", c->file, path, msg);
    size_t l = strlen(line);
    c->errors = xrealloc(c->errors, c->len + l + 1);
    memcpy(c->errors + c->len, line, l + 1);
    c->len += l;
    c->count++;
    free(line);
}

enum ftype {
    T_STRING,
    T_INT,
    T_NUMBER,
    T_BOOL,
    T_OBJECT,
    T_ARRAY,
    T_STRING_OR_ARRAY,
    T_STRING_OR_OBJECT
};
static const char *const type_names[] = {"a string",
                                         "an integer",
                                         "a number",
                                         "a boolean",
                                         "an object",
                                         "an array",
                                         "a string or an array of strings",
                                         "a string or an object"};

struct field {
    const char *key;
    enum ftype type;
    int required;
};

/* ---- the scalar settings (config.h): one row per key ---- */

const char *const config_section_paths[CONFIG_SECTION_COUNT] = {
    [CONFIG_TOP] = "$",
    [CONFIG_LIMITS] = "$.limits",
    [CONFIG_DELIVERY] = "$.delivery",
    [CONFIG_PARTNER_DELIVERY] = "$.partners[].delivery",
    [CONFIG_SLA_TARGET] = "$.sla_policies.*.targets.*",
    [CONFIG_RULE] = "$.rules[]",
    [CONFIG_SESSIONS] = "$.sessions",
};

static const char *
check_map_max(const void *base)
{
    const struct config *cf = base;
    return cf->map_max < cf->map_size ? "is smaller than map_size_mb" : NULL;
}

/* Where a row's value goes: the field's C type and offset; a field of another type does not
 * compile. */
/* clang-format off */
#define AT(type, field)                                                                            \
    .ctype = _Generic(((struct type *)0)->field,                                                   \
                      int: CONFIG_INT,                                                             \
                      unsigned: CONFIG_UNSIGNED,                                                   \
                      size_t: CONFIG_SIZE),                                                        \
    .offset = offsetof(struct type, field)
/* clang-format on */

/* Rows of one object are read in this order, and so are their problems reported. */
const struct config_setting config_settings[] = {
    /* section, key, default, min, max (as in the file), where */
    {CONFIG_LIMITS, "max_body_bytes", 65536, 1024, 16 << 20, AT(config, max_body)},
    {CONFIG_LIMITS, "max_connections", 1024, 4, 65536, AT(config, max_connections)},
    {CONFIG_LIMITS, "connection_timeout_s", 30, 1, 3600, AT(config, connection_timeout_s)},
    {CONFIG_LIMITS, "threads", 4, 1, 256, AT(config, threads)},
    {CONFIG_LIMITS, "queue_depth", 4096, 1, 1 << 20, AT(config, queue_depth)},
    {CONFIG_LIMITS, "batch_max", 512, 1, 65536, AT(config, batch_max)},
    {CONFIG_LIMITS, "map_size_mb", 64, 1, 1 << 20, AT(config, map_size), .shift = 20},
    {CONFIG_LIMITS, "map_max_mb", 65536, 1, 1 << 24, AT(config, map_max), .shift = 20,
     .check = check_map_max},
    {CONFIG_LIMITS, "max_json_depth", JSON_DEPTH_DEFAULT, 4, JSON_DEPTH_MAX,
     AT(config, max_json_depth)},
    {CONFIG_LIMITS, "max_connections_per_ip", 64, 0, 65536, AT(config, max_connections_per_ip)},
    {CONFIG_LIMITS, "header_timeout_s", 10, 1, 3600, AT(config, header_timeout_s)},
    {CONFIG_LIMITS, "max_notes_per_ticket", 200, 1, 100000, AT(config, max_notes_per_ticket)},
    {CONFIG_LIMITS, "max_events_per_ticket", 1000, 16, 1000000, AT(config, max_events_per_ticket)},
    {CONFIG_LIMITS, "max_attachments_per_ticket", 20, 0, 10000,
     AT(config, max_attachments_per_ticket)},
    {CONFIG_LIMITS, "max_attachment_bytes", 5 << 20, 1, 16 << 20, AT(config, max_attachment_bytes)},
    {CONFIG_LIMITS, "max_attachment_bytes_per_ticket", 20 << 20, 1, 1 << 30,
     AT(config, max_attachment_bytes_per_ticket)},
    {CONFIG_LIMITS, "max_record_bytes", 262144, 16384, 64 << 20, AT(config, max_record_bytes)},
    {CONFIG_LIMITS, "max_signed_per_partner", 100000, 16, 100000000,
     AT(config, max_signed_per_partner)},
    {CONFIG_TOP, "max_bounces", 3, 0, 100, AT(config, max_bounces)},
    {CONFIG_TOP, "duplicate_window_minutes", 60, 0, 10080, AT(config, duplicate_window_minutes)},
    {CONFIG_TOP, "refuse_out_of_bundle", 0, 0, 1, AT(config, refuse_out_of_bundle)},
    {CONFIG_DELIVERY, "concurrency", 16, 1, 256, AT(config, delivery_concurrency)},
    {CONFIG_DELIVERY, "max_retry_after_s", 3600, 0, 86400, AT(config, max_retry_after_s)},
    {CONFIG_PARTNER_DELIVERY, "timeout_ms", 5000, 100, 120000, AT(config_partner, timeout_ms)},
    {CONFIG_PARTNER_DELIVERY, "poll_s", 60, 1, 86400, AT(config_partner, ebond.poll_s)},
    {CONFIG_SLA_TARGET, "ack_minutes", 0, 1, 525600, AT(config_target, ack_minutes), .required = 1},
    {CONFIG_SLA_TARGET, "resolve_minutes", 0, 1, 5256000, AT(config_target, resolve_minutes),
     .required = 1},
    {CONFIG_RULE, "rank", 0, -1000, 1000, AT(config_rule, rank)},
    {CONFIG_SESSIONS, "idle_s", 1800, 10, 86400, AT(config, session_idle_s)},
    {CONFIG_SESSIONS, "absolute_s", 43200, 60, 2592000, AT(config, session_absolute_s)},
    {CONFIG_SESSIONS, "invite_s", 604800, 60, 2592000, AT(config, invite_s)},
    {CONFIG_SESSIONS, "reset_s", 3600, 60, 604800, AT(config, reset_s)},
    {CONFIG_SESSIONS, "max_failures", 5, 1, 1000, AT(config, signin_max_failures)},
    {CONFIG_SESSIONS, "max_failures_per_address", 20, 1, 100000,
     AT(config, signin_max_failures_per_address)},
    {CONFIG_SESSIONS, "lockout_s", 60, 1, 3600, AT(config, signin_lockout_s)},
    {CONFIG_SESSIONS, "hash_concurrency", 1, 1, 64, AT(config, signin_hash_concurrency)},
    {CONFIG_SESSIONS, "totp_staff", 0, 0, 1, AT(config, totp_staff)},
    {CONFIG_SESSIONS, "cookie_secure", 1, 0, 1, AT(config, cookie_secure)},
};
const size_t config_nsettings = sizeof(config_settings) / sizeof(config_settings[0]);

static void
setting_set(const struct config_setting *s, void *base, long long v)
{
    char *at = (char *)base + s->offset;
    switch (s->ctype) {
    case CONFIG_INT:
        *(int *)(void *)at = (int)v;
        break;
    case CONFIG_UNSIGNED:
        *(unsigned *)(void *)at = (unsigned)v;
        break;
    case CONFIG_SIZE:
        *(size_t *)(void *)at = (size_t)v << s->shift;
        break;
    }
}

long long
config_setting_get(const struct config_setting *s, const void *base)
{
    const char *at = (const char *)base + s->offset;
    switch (s->ctype) {
    case CONFIG_INT:
        return *(const int *)(const void *)at;
    case CONFIG_UNSIGNED:
        return *(const unsigned *)(const void *)at;
    case CONFIG_SIZE:
        return (long long)(*(const size_t *)(const void *)at >> s->shift);
    }
    return 0;
}

/* The defaults of a section's settings, for when its object is absent or refused. */
static void
settings_default(enum config_section sec, void *base)
{
    for (size_t i = 0; i < config_nsettings; i++)
        if (config_settings[i].section == sec)
            setting_set(&config_settings[i], base, config_settings[i].dflt);
}

static const struct config_setting *
setting_find(enum config_section sec, const char *key)
{
    for (size_t i = 0; i < config_nsettings; i++)
        if (config_settings[i].section == sec && strcmp(config_settings[i].key, key) == 0)
            return &config_settings[i];
    return NULL;
}

static int
type_ok(const json_t *v, enum ftype t)
{
    switch (t) {
    case T_STRING:
        return json_is_string(v);
    case T_INT:
        return json_is_integer(v);
    case T_NUMBER:
        return json_is_number(v);
    case T_BOOL:
        return json_is_boolean(v);
    case T_OBJECT:
        return json_is_object(v);
    case T_ARRAY:
        return json_is_array(v);
    case T_STRING_OR_ARRAY:
        return json_is_string(v) || json_is_array(v);
    case T_STRING_OR_OBJECT:
        return json_is_string(v) || json_is_object(v);
    }
    return 0;
}

/*
 * Checks obj against its table and the settings of its section (sec, or
 * -1 for none): an object, no unknown keys, known keys of the right type,
 * required keys present. Returns 0 if all is well.
 */
static int
check_section(struct cctx *c, const json_t *obj, const char *path, const struct field *fields,
              int sec)
{
    const char *key;
    json_t *v;
    int bad = 0;
    char sub[512];
    if (!json_is_object(obj)) {
        problem(c, path, "expected an object");
        return -1;
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        const struct field *f;
        snprintf(sub, sizeof(sub), "%s.%s", path, key);
        for (f = fields; f->key != NULL; f++)
            if (strcmp(f->key, key) == 0)
                break;
        enum ftype type = f->type;
        if (f->key == NULL && sec >= 0 && setting_find((enum config_section)sec, key) != NULL)
            type = T_INT;
        else if (f->key == NULL) {
            problem(c, sub, "unknown key");
            bad = 1;
            continue;
        }
        if (!type_ok(v, type)) {
            problem(c, sub, "expected %s", type_names[type]);
            bad = 1;
        }
    }
    for (const struct field *f = fields; f->key != NULL; f++)
        if (f->required && json_object_get(obj, f->key) == NULL) {
            snprintf(sub, sizeof(sub), "%s.%s", path, f->key);
            problem(c, sub, "missing required key");
            bad = 1;
        }
    for (size_t i = 0; sec >= 0 && i < config_nsettings; i++) {
        const struct config_setting *s = &config_settings[i];
        if ((int)s->section == sec && s->required && json_object_get(obj, s->key) == NULL) {
            snprintf(sub, sizeof(sub), "%s.%s", path, s->key);
            problem(c, sub, "missing required key");
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static int
check_object(struct cctx *c, const json_t *obj, const char *path, const struct field *fields)
{
    return check_section(c, obj, path, fields, -1);
}

static int
valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              (i > 0 && (ch == '-' || ch == '_'))))
            return 0;
    }
    return 1;
}

static char *
str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? xstrdup(s) : dflt ? xstrdup(dflt) : NULL;
}

static long long
int_or(struct cctx *c, const json_t *obj, const char *key, const char *path, long long dflt,
       long long lo, long long hi)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return dflt;
    long long x = json_integer_value(v);
    if (x < lo || x > hi) {
        problem(c, path, "%s must be between %lld and %lld", key, lo, hi);
        return dflt;
    }
    return x;
}

/* Reads the settings of section sec from obj (at path) into base, in the table's order. */
static void
load_settings(struct cctx *c, enum config_section sec, const json_t *obj, const char *path,
              void *base)
{
    char sub[600];
    for (size_t i = 0; i < config_nsettings; i++) {
        const struct config_setting *s = &config_settings[i];
        if (s->section != sec)
            continue;
        setting_set(s, base, int_or(c, obj, s->key, path, s->dflt, s->min, s->max));
        const char *why = s->check ? s->check(base) : NULL;
        if (why != NULL) {
            snprintf(sub, sizeof(sub), "%s.%s", path, s->key);
            problem(c, sub, "%s", why);
        }
    }
}

/* A list of identifiers: strings, valid, unique. A lone string is a list of one. */
static void
id_list(struct cctx *c, const json_t *v, const char *path, struct strlist *out, int ids)
{
    char sub[512];
    out->n = 0;
    out->v = NULL;
    if (v == NULL)
        return;
    if (json_is_string(v)) {
        out->v = xcalloc(1, sizeof(char *));
        out->v[out->n++] = xstrdup(json_string_value(v));
        return;
    }
    if (!json_is_array(v)) {
        problem(c, path, "expected an array of strings");
        return;
    }
    out->v = xcalloc(json_array_size(v) + 1, sizeof(char *));
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        if (s == NULL) {
            problem(c, sub, "expected a string");
            continue;
        }
        if (ids && !valid_id(s)) {
            problem(c, sub, "\"%s\" is not an identifier (a-z, 0-9, - and _, at most 63)", s);
            continue;
        }
        if (strlist_has(out, s)) {
            problem(c, sub, "\"%s\" is listed twice", s);
            continue;
        }
        out->v[out->n++] = xstrdup(s);
    }
}

static void
strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static const struct config_calendar *
calendar_find(const struct config *cf, const char *id)
{
    for (size_t i = 0; id && i < cf->ncalendars; i++)
        if (strcmp(cf->calendars[i].id, id) == 0)
            return &cf->calendars[i];
    return NULL;
}

static const struct config_sla *
sla_find(const struct config *cf, const char *id)
{
    for (size_t i = 0; id && i < cf->nslas; i++)
        if (strcmp(cf->slas[i].id, id) == 0)
            return &cf->slas[i];
    return NULL;
}

const struct config_partner *
config_partner_find(const struct config *cf, const char *id)
{
    for (size_t i = 0; id && i < cf->npartners; i++)
        if (cf->partners[i].id && strcmp(cf->partners[i].id, id) == 0)
            return &cf->partners[i];
    return NULL;
}

const struct config_bundle *
config_bundle_find(const struct config *cf, const char *id)
{
    for (size_t i = 0; id && i < cf->nbundles; i++)
        if (cf->bundles[i].id && strcmp(cf->bundles[i].id, id) == 0)
            return &cf->bundles[i];
    return NULL;
}

static int
parse_hhmm(const char *s, int *minutes)
{
    int h, m;
    char tail;
    if (strlen(s) != 5 || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || s[2] != ':')
        return -1;
    if (h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

static int
valid_date(const char *s)
{
    int y, mo, d;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3)
        return 0;
    return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1];
}

static int
valid_timezone(const char *tz)
{
    char p[512];
    struct stat st;
    if (strcmp(tz, "UTC") == 0)
        return 1;
    if (tz[0] == '\0' || tz[0] == '/' || strstr(tz, "..") || strlen(tz) > 200)
        return 0;
    snprintf(p, sizeof(p), "/usr/share/zoneinfo/%s", tz);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void
load_calendar(struct cctx *c, const char *id, const json_t *v, const char *path,
              struct config_calendar *cal)
{
    static const struct field f[] = {{"timezone", T_STRING, 1},
                                     {"hours", T_STRING_OR_OBJECT, 1},
                                     {"holidays", T_ARRAY, 0},
                                     {NULL, 0, 0}};
    char sub[512];
    cal->id = xstrdup(id);
    if (check_object(c, v, path, f) != 0)
        return;
    cal->timezone = str_or(v, "timezone", "UTC");
    if (!valid_timezone(cal->timezone)) {
        snprintf(sub, sizeof(sub), "%s.timezone", path);
        problem(c, sub, "\"%s\" is not a known IANA time zone", cal->timezone);
    }
    json_t *hours = json_object_get(v, "hours");
    snprintf(sub, sizeof(sub), "%s.hours", path);
    if (json_is_string(hours)) {
        if (strcmp(json_string_value(hours), "24x7") != 0)
            problem(c, sub, "expected \"24x7\" or an object of weekdays");
        cal->always = 1;
    } else if (json_is_object(hours)) {
        const char *day;
        json_t *spans;
        json_object_foreach(hours, day, spans)
        {
            char dp[600];
            int d;
            snprintf(dp, sizeof(dp), "%s.%s", sub, day);
            for (d = 0; d < 7; d++)
                if (strcmp(day, day_names[d]) == 0)
                    break;
            if (d == 7) {
                problem(c, dp, "unknown key (expected mon, tue, wed, thu, fri, sat, sun)");
                continue;
            }
            if (!json_is_array(spans) || json_array_size(spans) > 4) {
                problem(c, dp, "expected an array of at most 4 \"HH:MM-HH:MM\" spans");
                continue;
            }
            for (size_t i = 0; i < json_array_size(spans); i++) {
                const char *s = json_string_value(json_array_get(spans, i));
                char a[6], b[6];
                int sa, sb;
                if (s == NULL || strlen(s) != 11 || s[5] != '-') {
                    problem(c, dp, "span %zu: expected \"HH:MM-HH:MM\"", i);
                    continue;
                }
                memcpy(a, s, 5);
                a[5] = '\0';
                memcpy(b, s + 6, 5);
                b[5] = '\0';
                if (parse_hhmm(a, &sa) != 0 || parse_hhmm(b, &sb) != 0 || sa >= sb) {
                    problem(c, dp, "span %zu: \"%s\" is not a valid span", i, s);
                    continue;
                }
                int k = cal->nhours[d];
                if (k > 0 && cal->hours[d][k - 1].end > sa) {
                    problem(c, dp, "span %zu overlaps or precedes the one before it", i);
                    continue;
                }
                cal->hours[d][k].start = (int16_t)sa;
                cal->hours[d][k].end = (int16_t)sb;
                cal->nhours[d]++;
            }
        }
    }
    json_t *hol = json_object_get(v, "holidays");
    snprintf(sub, sizeof(sub), "%s.holidays", path);
    id_list(c, hol, sub, &cal->holidays, 0);
    for (size_t i = 0; i < cal->holidays.n; i++)
        if (!valid_date(cal->holidays.v[i]))
            problem(c, sub, "\"%s\" is not a date (YYYY-MM-DD)", cal->holidays.v[i]);
}

static void
load_sla(struct cctx *c, struct config *cf, const char *id, const json_t *v, const char *path,
         struct config_sla *s)
{
    static const struct field f[] = {{"calendar", T_STRING, 1},
                                     {"warning_fraction", T_NUMBER, 0},
                                     {"targets", T_OBJECT, 1},
                                     {NULL, 0, 0}};
    static const struct field tf[] = {{NULL, 0, 0}}; /* the targets are settings */
    static const struct field pf[] = {{"low", T_OBJECT, 1},
                                      {"normal", T_OBJECT, 1},
                                      {"high", T_OBJECT, 1},
                                      {"urgent", T_OBJECT, 1},
                                      {NULL, 0, 0}};
    char sub[512];
    s->id = xstrdup(id);
    s->warning_fraction = 0.75;
    if (check_object(c, v, path, f) != 0)
        return;
    const char *cal = json_string_value(json_object_get(v, "calendar"));
    s->calendar = calendar_find(cf, cal);
    if (s->calendar == NULL) {
        snprintf(sub, sizeof(sub), "%s.calendar", path);
        problem(c, sub, "no calendar \"%s\"", cal);
    }
    json_t *wf = json_object_get(v, "warning_fraction");
    if (wf != NULL) {
        s->warning_fraction = json_number_value(wf);
        if (s->warning_fraction <= 0 || s->warning_fraction >= 1) {
            snprintf(sub, sizeof(sub), "%s.warning_fraction", path);
            problem(c, sub, "must be between 0 and 1 (exclusive)");
        }
    }
    json_t *targets = json_object_get(v, "targets");
    snprintf(sub, sizeof(sub), "%s.targets", path);
    if (check_object(c, targets, sub, pf) != 0)
        return;
    for (int p = 0; p < PRIO_COUNT; p++) {
        char tp[600];
        json_t *t = json_object_get(targets, priority_names[p]);
        snprintf(tp, sizeof(tp), "%s.%s", sub, priority_names[p]);
        if (check_section(c, t, tp, tf, CONFIG_SLA_TARGET) != 0)
            continue;
        load_settings(c, CONFIG_SLA_TARGET, t, tp, &s->targets[p]);
        if (s->targets[p].ack_minutes > s->targets[p].resolve_minutes)
            problem(c, tp, "ack_minutes exceeds resolve_minutes");
    }
}

/* $.partners[].mail: {"address","notify":["assignment","sla_warning"]}; the desk's address is
 * optional: the partner's agents and supervisors with an address of their own are mailed too. */
static void
load_partner_mail(struct cctx *c, const json_t *m, const char *path, struct config_partner *p)
{
    static const struct field f[] = {
        {"address", T_STRING, 0}, {"notify", T_ARRAY, 0}, {NULL, 0, 0}};
    char sub[512];
    if (m == NULL)
        return;
    snprintf(sub, sizeof(sub), "%s.mail", path);
    if (check_object(c, m, sub, f) != 0)
        return;
    p->mail_address = str_or(m, "address", NULL);
    if (p->mail_address != NULL && !mail_address_valid(p->mail_address))
        problem(c, sub, "address must be a mail address (local@domain)");
    struct strlist on;
    snprintf(sub, sizeof(sub), "%s.mail.notify", path);
    id_list(c, json_object_get(m, "notify"), sub, &on, 1);
    for (size_t i = 0; i < on.n; i++) {
        if (strcmp(on.v[i], "assignment") == 0)
            p->mail_on |= CONFIG_MAIL_ON_ASSIGNMENT;
        else if (strcmp(on.v[i], "sla_warning") == 0)
            p->mail_on |= CONFIG_MAIL_ON_SLA_WARNING;
        else
            problem(c, sub, "\"%s\" is not a notification (assignment, sla_warning)", on.v[i]);
    }
    strlist_free(&on);
}

/* The languages mail is written in (mail_out.c's templates). */
static const char *const mail_languages[] = {"en", "nb", NULL};

const char *
config_mail_language(const char *lang)
{
    for (size_t i = 0; mail_languages[i] != NULL; i++)
        if (strcmp(lang, mail_languages[i]) == 0)
            return mail_languages[i];
    return NULL;
}

/*
 * $.mail.smtp_user, smtp_password_file (its first line: the password is
 * never in the configuration itself) and smtp_tls ("starttls": on smtp://,
 * TLS or no mail; "try", the default: STARTTLS when the relay offers it).
 */
static void
load_smtp_auth(struct cctx *c, struct config_mail *ml, const json_t *m)
{
    const char *pwf = json_string_value(json_object_get(m, "smtp_password_file"));
    const char *tls = json_string_value(json_object_get(m, "smtp_tls"));
    ml->smtp_user = str_or(m, "smtp_user", NULL);
    if (pwf != NULL) {
        FILE *fp = fopen(pwf, "r");
        char line[512];
        if (fp == NULL || fgets(line, sizeof(line), fp) == NULL) {
            problem(c, "$.mail.smtp_password_file", "cannot read \"%s\"", pwf);
        } else {
            line[strcspn(line, "\r\n")] = '\0';
            ml->smtp_password = xstrdup(line);
            sodium_memzero(line, sizeof(line));
        }
        if (fp != NULL)
            fclose(fp);
    }
    if ((ml->smtp_user == NULL) != (pwf == NULL))
        problem(c, "$.mail", "smtp_user and smtp_password_file go together");
    if (tls != NULL && strcmp(tls, "starttls") != 0 && strcmp(tls, "try") != 0)
        problem(c, "$.mail.smtp_tls", "expected \"starttls\" or \"try\"");
    ml->smtp_tls_required = tls != NULL && strcmp(tls, "starttls") == 0;
}

/* $.mail: the SMTP relay, the mailbox, the portal's address. */
static void
load_mail(struct cctx *c, struct config *cf, const json_t *m)
{
    static const struct field f[] = {
        {"smtp_url", T_STRING, 1},           {"from", T_STRING, 1},
        {"portal_url", T_STRING, 1},         {"support_address", T_STRING, 0},
        {"imap_url", T_STRING, 0},           {"imap_user", T_STRING, 0},
        {"imap_password_file", T_STRING, 0}, {"poll_ms", T_INT, 0},
        {"max_message_bytes", T_INT, 0},     {"complaint_facts", T_OBJECT, 0},
        {"smtp_user", T_STRING, 0},          {"smtp_password_file", T_STRING, 0},
        {"smtp_tls", T_STRING, 0},           {NULL, 0, 0}};
    struct config_mail *ml = &cf->mail;
    if (m == NULL || check_object(c, m, "$.mail", f) != 0)
        return;
    ml->on = 1;
    ml->smtp_url = str_or(m, "smtp_url", NULL);
    ml->from = str_or(m, "from", NULL);
    ml->portal_url = str_or(m, "portal_url", NULL);
    ml->support_address = str_or(m, "support_address", ml->from);
    ml->imap_url = str_or(m, "imap_url", NULL);
    ml->imap_user = str_or(m, "imap_user", NULL);
    ml->poll_ms = (int)int_or(c, m, "poll_ms", "$.mail", 30000, 100, 3600000);
    ml->max_message_bytes =
        (size_t)int_or(c, m, "max_message_bytes", "$.mail", 1 << 20, 4096, 64 << 20);
    json_t *facts = json_object_get(m, "complaint_facts");
    ml->complaint_facts = facts ? json_incref(facts) : NULL;
    if (strncmp(ml->smtp_url, "smtp://", 7) != 0 && strncmp(ml->smtp_url, "smtps://", 8) != 0)
        problem(c, "$.mail.smtp_url", "expected an smtp:// or smtps:// URL");
    if (!mail_address_valid(ml->from))
        problem(c, "$.mail.from", "expected a mail address (local@domain)");
    if (!mail_address_valid(ml->support_address))
        problem(c, "$.mail.support_address", "expected a mail address (local@domain)");
    if (strncmp(ml->portal_url, "http://", 7) != 0 && strncmp(ml->portal_url, "https://", 8) != 0)
        problem(c, "$.mail.portal_url", "expected an http:// or https:// URL");
    if (ml->imap_url != NULL && strncmp(ml->imap_url, "imap://", 7) != 0 &&
        strncmp(ml->imap_url, "imaps://", 8) != 0)
        problem(c, "$.mail.imap_url", "expected an imap:// or imaps:// URL");
    const char *pwf = json_string_value(json_object_get(m, "imap_password_file"));
    if (pwf != NULL) {
        FILE *fp = fopen(pwf, "r");
        char line[512];
        if (fp == NULL || fgets(line, sizeof(line), fp) == NULL) {
            problem(c, "$.mail.imap_password_file", "cannot read \"%s\"", pwf);
        } else {
            line[strcspn(line, "\r\n")] = '\0';
            ml->imap_password = xstrdup(line);
            sodium_memzero(line, sizeof(line));
        }
        if (fp != NULL)
            fclose(fp);
    }
    if (ml->imap_url != NULL && (ml->imap_user == NULL || ml->imap_password == NULL))
        problem(c, "$.mail", "imap_url needs imap_user and imap_password_file");
    load_smtp_auth(c, ml, m);
}

const char *const ebond_action_names[EBOND_ACTION_COUNT] = {
    [EBOND_IGNORE] = "ignore",       [EBOND_ACK] = "ack",         [EBOND_PROGRESS] = "progress",
    [EBOND_NEED_INFO] = "need_info", [EBOND_RESOLVE] = "resolve", [EBOND_HANDBACK] = "handback"};

/* TMF621 v4's TroubleTicketStatusType, as a partner's system without a map of its own uses it. */
static const struct {
    const char *status;
    enum ebond_action does;
} ebond_default_map[] = {{"acknowledged", EBOND_ACK},  {"inProgress", EBOND_PROGRESS},
                         {"pending", EBOND_NEED_INFO}, {"held", EBOND_PROGRESS},
                         {"resolved", EBOND_RESOLVE},  {"closed", EBOND_RESOLVE},
                         {"rejected", EBOND_HANDBACK}, {"cancelled", EBOND_HANDBACK}};

static int
is_http_url(const char *u)
{
    return u != NULL && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0);
}

/* A tmf621 partner's delivery: the partner's API, the token, the hub or polling, the map. */
static void
load_ebond(struct cctx *c, const json_t *d, const char *path, struct config_partner *p)
{
    struct config_ebond *e = &p->ebond;
    char sub[600];
    if (!is_http_url(p->url))
        problem(c, path, "a tmf621 partner needs the http:// or https:// url of its TMF621 API");
    e->token_file = str_or(d, "token_file", NULL);
    e->customer = str_or(d, "customer", NULL);
    e->callback_url = str_or(d, "callback_url", NULL);
    if (e->token_file == NULL || e->token_file[0] != '/')
        problem(c, path, "a tmf621 partner needs token_file, an absolute path");
    if (e->callback_url != NULL && !is_http_url(e->callback_url)) {
        snprintf(sub, sizeof(sub), "%s.callback_url", path);
        problem(c, sub, "not an http:// or https:// URL");
    }
    const json_t *map = json_object_get(d, "status_map");
    const char *key;
    json_t *v;
    if (map == NULL) {
        e->nstatus = sizeof(ebond_default_map) / sizeof(ebond_default_map[0]);
        e->status = xcalloc(e->nstatus, sizeof(*e->status));
        e->status_does = xcalloc(e->nstatus, sizeof(*e->status_does));
        for (size_t i = 0; i < e->nstatus; i++) {
            e->status[i] = xstrdup(ebond_default_map[i].status);
            e->status_does[i] = ebond_default_map[i].does;
        }
        return;
    }
    e->status = xcalloc(json_object_size(map) + 1, sizeof(*e->status));
    e->status_does = xcalloc(json_object_size(map) + 1, sizeof(*e->status_does));
    json_object_foreach((json_t *)map, key, v)
    {
        const char *a = json_string_value(v);
        int k = 0;
        while (a != NULL && k < EBOND_ACTION_COUNT && strcmp(ebond_action_names[k], a) != 0)
            k++;
        snprintf(sub, sizeof(sub), "%s.status_map.%s", path, key);
        if (a == NULL || k == EBOND_ACTION_COUNT) {
            problem(c, sub, "one of ignore, ack, progress, need_info, resolve, handback");
            continue;
        }
        e->status[e->nstatus] = xstrdup(key);
        e->status_does[e->nstatus++] = (enum ebond_action)k;
    }
}

static void
load_partner(struct cctx *c, struct config *cf, const json_t *v, const char *path,
             struct config_partner *p)
{
    static const struct field f[] = {{"id", T_STRING, 1},          {"name", T_STRING, 1},
                                     {"services", T_ARRAY, 1},     {"delivery", T_OBJECT, 1},
                                     {"sla_policy", T_STRING, 1},  {"customer_data", T_ARRAY, 0},
                                     {"signing_key", T_STRING, 0}, {"mail", T_OBJECT, 0},
                                     {"language", T_STRING, 0},    {NULL, 0, 0}};
    static const struct field df[] = {{"mode", T_STRING, 1},
                                      {"url", T_STRING, 0},
                                      {"token_file", T_STRING, 0},
                                      {"customer", T_STRING, 0},
                                      {"callback_url", T_STRING, 0},
                                      {"status_map", T_OBJECT, 0},
                                      {NULL, 0, 0}};
    char sub[512];
    if (check_object(c, v, path, f) != 0)
        return;
    p->id = str_or(v, "id", "");
    p->name = str_or(v, "name", "");
    const char *lang = json_string_value(json_object_get(v, "language"));
    p->language = lang != NULL && config_mail_language(lang) ? config_mail_language(lang) : "en";
    if (lang != NULL && config_mail_language(lang) == NULL) {
        snprintf(sub, sizeof(sub), "%s.language", path);
        problem(c, sub, "\"%s\" is not a language mail is written in (en, nb)", lang);
    }
    snprintf(sub, sizeof(sub), "%s.id", path);
    if (!valid_id(p->id))
        problem(c, sub, "\"%s\" is not an identifier", p->id);
    else if (strcmp(p->id, cf->lead.id) == 0 || strcmp(p->id, "lead") == 0)
        problem(c, sub, "\"%s\" is the lead company's id", p->id);
    snprintf(sub, sizeof(sub), "%s.services", path);
    id_list(c, json_object_get(v, "services"), sub, &p->services, 1);
    for (size_t i = 0; i < p->services.n; i++)
        if (!strlist_has(&cf->services, p->services.v[i]))
            problem(c, sub, "no service \"%s\" in $.services", p->services.v[i]);
    const char *sla = json_string_value(json_object_get(v, "sla_policy"));
    p->sla = sla_find(cf, sla);
    if (p->sla == NULL) {
        snprintf(sub, sizeof(sub), "%s.sla_policy", path);
        problem(c, sub, "no SLA policy \"%s\"", sla);
    }
    json_t *d = json_object_get(v, "delivery");
    snprintf(sub, sizeof(sub), "%s.delivery", path);
    if (check_section(c, d, sub, df, CONFIG_PARTNER_DELIVERY) == 0) {
        const char *mode = json_string_value(json_object_get(d, "mode"));
        p->url = str_or(d, "url", NULL);
        load_settings(c, CONFIG_PARTNER_DELIVERY, d, sub, p);
        if (strcmp(mode, "pull") == 0) {
            p->delivery = DELIVERY_PULL;
            if (p->url)
                problem(c, sub, "a pull partner has no url");
        } else if (strcmp(mode, "push") == 0) {
            p->delivery = DELIVERY_PUSH;
            if (p->url == NULL ||
                (strncmp(p->url, "http://", 7) != 0 && strncmp(p->url, "https://", 8) != 0))
                problem(c, sub, "a push partner needs an http:// or https:// url");
        } else if (strcmp(mode, "tmf621") == 0) {
            p->delivery = DELIVERY_TMF621;
            load_ebond(c, d, sub, p);
        } else {
            problem(c, sub, "mode must be \"pull\", \"push\" or \"tmf621\"");
        }
        if (p->delivery != DELIVERY_TMF621 &&
            (json_object_get(d, "token_file") || json_object_get(d, "customer") ||
             json_object_get(d, "callback_url") || json_object_get(d, "status_map") ||
             json_object_get(d, "poll_s")))
            problem(c, sub,
                    "token_file, customer, callback_url, status_map and poll_s are a "
                    "tmf621 partner's");
    }
    struct strlist cd;
    snprintf(sub, sizeof(sub), "%s.customer_data", path);
    id_list(c, json_object_get(v, "customer_data"), sub, &cd, 1);
    for (size_t i = 0; i < cd.n; i++) {
        if (strcmp(cd.v[i], "name") == 0)
            p->see_name = 1;
        else if (strcmp(cd.v[i], "contact") == 0)
            p->see_contact = 1;
        else
            problem(c, sub, "\"%s\" is not customer data (name, contact)", cd.v[i]);
    }
    strlist_free(&cd);
    const char *key = json_string_value(json_object_get(v, "signing_key"));
    if (key != NULL) {
        size_t n;
        snprintf(sub, sizeof(sub), "%s.signing_key", path);
        if (seam_b64_decode(key, p->signing_key, 32, &n) != 0 || n != 32)
            problem(c, sub, "expected an Ed25519 public key in base64 (32 bytes)");
        else
            p->has_signing_key = 1;
    }
    load_partner_mail(c, json_object_get(v, "mail"), path, p);
}

/* The partner a bundle names for a service must provide that service. */
static void
check_provider(struct cctx *c, struct config *cf, const char *path, const char *service,
               const char *partner)
{
    if (strcmp(partner, "lead") == 0)
        return;
    const struct config_partner *p = config_partner_find(cf, partner);
    if (p == NULL)
        problem(c, path, "no partner \"%s\"", partner);
    else if (!strlist_has(&p->services, service))
        problem(c, path, "partner \"%s\" does not provide \"%s\"", partner, service);
}

static void
load_bundle(struct cctx *c, struct config *cf, const json_t *v, const char *path,
            struct config_bundle *b)
{
    static const struct field f[] = {
        {"id", T_STRING, 1}, {"name", T_STRING, 1}, {"services", T_OBJECT, 1}, {NULL, 0, 0}};
    char sub[512], rp[700];
    if (check_object(c, v, path, f) != 0)
        return;
    b->id = str_or(v, "id", "");
    b->name = str_or(v, "name", "");
    if (!valid_id(b->id)) {
        snprintf(sub, sizeof(sub), "%s.id", path);
        problem(c, sub, "\"%s\" is not an identifier", b->id);
    }
    json_t *svcs = json_object_get(v, "services");
    const char *svc;
    json_t *who;
    size_t cap = 0;
    json_object_foreach(svcs, svc, who)
    {
        cap += json_is_object(who) ? json_object_size(who) : 1;
    }
    b->providers = xcalloc(cap + 1, sizeof(*b->providers));
    json_object_foreach(svcs, svc, who)
    {
        snprintf(sub, sizeof(sub), "%s.services.%s", path, svc);
        if (!strlist_has(&cf->services, svc)) {
            problem(c, sub, "no service \"%s\" in $.services", svc);
            continue;
        }
        if (json_is_string(who)) {
            struct config_provider *pr = &b->providers[b->nproviders++];
            pr->service = xstrdup(svc);
            pr->partner = xstrdup(json_string_value(who));
            check_provider(c, cf, sub, svc, pr->partner);
        } else if (json_is_object(who)) {
            /* per place: the customer's region, or the fact declared the place */
            const struct fact_kind *pk = &cf->fact_kinds[cf->place];
            const struct strlist *places = &cf->vocab[cf->place];
            const char *region;
            json_t *pv;
            json_object_foreach(who, region, pv)
            {
                snprintf(rp, sizeof(rp), "%s.%s", sub, region);
                if (!strlist_has(places, region)) {
                    if (pk->vocab_key != NULL)
                        problem(c, rp, "no %s \"%s\" in $.%s", pk->name, region, pk->vocab_key);
                    else
                        problem(c, rp, "\"%s\" is not a value of the fact \"%s\"", region,
                                pk->name);
                    continue;
                }
                if (!json_is_string(pv)) {
                    problem(c, rp, "expected a partner id");
                    continue;
                }
                struct config_provider *pr = &b->providers[b->nproviders++];
                pr->service = xstrdup(svc);
                pr->region = xstrdup(region);
                pr->partner = xstrdup(json_string_value(pv));
                check_provider(c, cf, rp, svc, pr->partner);
            }
            for (size_t r = 0; r < places->n; r++)
                if (json_object_get(who, places->v[r]) == NULL)
                    problem(c, sub, "no provider for %s \"%s\"", pk->name, places->v[r]);
        } else {
            problem(c, sub, "expected a partner id or an object of region to partner id");
        }
    }
}

/* "lead", a partner id, or "provider_of:<service>". */
static void
check_owner(struct cctx *c, struct config *cf, const char *path, const char *owner)
{
    if (strcmp(owner, "lead") == 0 || config_partner_find(cf, owner) != NULL)
        return;
    if (strcmp(owner, "provider_of:*") == 0)
        return; /* the provider of the complaint's own service */
    if (strncmp(owner, "provider_of:", 12) == 0) {
        if (!strlist_has(&cf->services, owner + 12))
            problem(c, path, "\"%s\" names no service in $.services", owner);
        return;
    }
    problem(c, path,
            "\"%s\" is neither lead, a partner id, provider_of:<service> nor provider_of:*", owner);
}

const char *const config_dependency_names[DEP_COUNT] = {"none", "upstream_first", "joint"};

/*
 * $.rules[i].dependency: how the rule owns a complaint about a service that
 * depends on another. Refused: an unknown word, "upstream_first" with more
 * than one owner (the upstream's provider is the one first owner), and a
 * rule whose services (match.service, when it names them) ride on nothing.
 */
static void
load_rule_dependency(struct cctx *c, struct config *cf, const json_t *v, const char *path,
                     struct config_rule *r)
{
    char sub[512];
    const char *dep = json_string_value(json_object_get(v, "dependency"));
    snprintf(sub, sizeof(sub), "%s.dependency", path);
    r->dependency = DEP_NONE;
    if (dep == NULL)
        return;
    int d = 0;
    while (d < DEP_COUNT && strcmp(config_dependency_names[d], dep) != 0)
        d++;
    if (d == DEP_COUNT) {
        problem(c, sub, "dependency must be \"none\", \"upstream_first\" or \"joint\"");
        return;
    }
    r->dependency = (enum config_dependency)d;
    if (r->dependency == DEP_UPSTREAM_FIRST && (r->joint || r->owners.n > 1))
        problem(c, sub,
                "\"upstream_first\" takes one owner (mode single): the upstream's "
                "provider comes first, the rule's owner next");
    const struct strlist *svc = &r->match[FACT_SERVICE];
    int rides = svc->n == 0 || r->dependency == DEP_NONE;
    for (size_t i = 0; !rides && i < svc->n; i++) {
        const struct strlist *deps = config_depends_on(cf, svc->v[i]);
        rides = deps != NULL && deps->n > 0;
    }
    if (!rides)
        problem(c, sub, "none of the rule's services depends on another ($.services[].depends_on)");
}

static void
load_rule(struct cctx *c, struct config *cf, const json_t *v, const char *path,
          struct config_rule *r)
{
    static const struct field f[] = {
        {"id", T_STRING, 1},    {"match", T_OBJECT, 1},      {"owners", T_STRING_OR_ARRAY, 1},
        {"mode", T_STRING, 0},  {"fallback", T_ARRAY, 0},    {"customer_visible", T_BOOL, 0},
        {"label", T_STRING, 0}, {"dependency", T_STRING, 0}, {NULL, 0, 0}};
    char sub[512];
    if (check_section(c, v, path, f, CONFIG_RULE) != 0)
        return;
    r->id = str_or(v, "id", "");
    if (!valid_id(r->id)) {
        snprintf(sub, sizeof(sub), "%s.id", path);
        problem(c, sub, "\"%s\" is not an identifier", r->id);
    }
    /* A rule may match on every fact of the table, each value in its vocabulary. */
    struct field mf[FACT_MAX + 1] = {{NULL, 0, 0}};
    for (size_t k = 0; k < cf->nfact_kinds; k++)
        mf[k] = (struct field){cf->fact_kinds[k].name, T_STRING_OR_ARRAY, 0};
    json_t *m = json_object_get(v, "match");
    snprintf(sub, sizeof(sub), "%s.match", path);
    if (check_object(c, m, sub, mf) == 0) {
        for (size_t fct = 0; fct < cf->nfact_kinds; fct++) {
            const char *name = cf->fact_kinds[fct].name;
            char fp[600];
            snprintf(fp, sizeof(fp), "%s.%s", sub, name);
            id_list(c, json_object_get(m, name), fp, &r->match[fct], 1);
            for (size_t i = 0; i < r->match[fct].n; i++)
                if (!strlist_has(&cf->vocab[fct], r->match[fct].v[i]))
                    problem(c, fp, "\"%s\" is not in the %s vocabulary", r->match[fct].v[i], name);
        }
    }
    snprintf(sub, sizeof(sub), "%s.owners", path);
    struct strlist *lists[2] = {&r->owners, &r->fallback};
    const char *keys[2] = {"owners", "fallback"};
    for (int k = 0; k < 2; k++) {
        snprintf(sub, sizeof(sub), "%s.%s", path, keys[k]);
        json_t *o = json_object_get(v, keys[k]);
        id_list(c, o, sub, lists[k], 0);
        for (size_t i = 0; i < lists[k]->n; i++)
            check_owner(c, cf, sub, lists[k]->v[i]);
    }
    if (r->owners.n == 0) {
        snprintf(sub, sizeof(sub), "%s.owners", path);
        problem(c, sub, "a rule needs at least one owner");
    }
    const char *mode = json_string_value(json_object_get(v, "mode"));
    if (mode == NULL || strcmp(mode, "single") == 0) {
        r->joint = 0;
        if (r->owners.n > 1) {
            snprintf(sub, sizeof(sub), "%s.owners", path);
            problem(c, sub, "mode \"single\" takes one owner; use \"joint\" for several");
        }
    } else if (strcmp(mode, "joint") == 0) {
        r->joint = 1;
    } else {
        snprintf(sub, sizeof(sub), "%s.mode", path);
        problem(c, sub, "mode must be \"single\" or \"joint\"");
    }
    load_rule_dependency(c, cf, v, path, r);
    load_settings(c, CONFIG_RULE, v, path, r);
    r->customer_visible = json_is_true(json_object_get(v, "customer_visible"));
    r->label = str_or(v, "label", NULL);
}

static int
parse_listen(const char *s, char **host, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    if (colon == NULL || colon == s)
        return -1;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535 || colon[1] == '\0')
        return -1;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[') { /* an IPv6 address: "[::]:8480" */
        if (hl < 3 || s[hl - 1] != ']')
            return -1;
        s++;
        hl -= 2;
    } else if (memchr(s, ':', hl) != NULL) { /* IPv6 without brackets: ambiguous */
        return -1;
    }
    char *h = xmalloc(hl + 1);
    memcpy(h, s, hl);
    h[hl] = '\0';
    free(*host);
    *host = h;
    *port = (uint16_t)p;
    return 0;
}

/* "A.B.C.D" or "A.B.C.D/N" into net; -1 if malformed. */
static int
parse_net(const char *s, struct config_net *net)
{
    char host[INET_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    long bits = 32;
    struct in_addr a;
    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    if (inet_pton(AF_INET, host, &a) != 1)
        return -1;
    if (slash != NULL) {
        char *end;
        if (slash[1] < '0' || slash[1] > '9')
            return -1;
        bits = strtol(slash + 1, &end, 10);
        if (*end != '\0' || bits < 0 || bits > 32)
            return -1;
    }
    net->mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    net->addr = ntohl(a.s_addr) & net->mask;
    return 0;
}

int
config_net6_has(const struct config_net6 *nets, size_t n, const uint8_t addr[16])
{
    for (size_t i = 0; i < n; i++) {
        unsigned bits = nets[i].bits, k = 0;
        for (; k + 8 <= bits; k += 8)
            if (addr[k / 8] != nets[i].addr[k / 8])
                break;
        if (k + 8 <= bits)
            continue;
        if (bits % 8 != 0 && k < bits) {
            uint8_t m = (uint8_t)(0xff << (8 - bits % 8));
            if ((addr[k / 8] & m) != nets[i].addr[k / 8])
                continue;
        }
        return 1;
    }
    return 0;
}

/* "ADDRESS" or "ADDRESS/N", IPv4 or IPv6, into net; -1 if malformed. */
static int
parse_net6(const char *s, struct config_net6 *net)
{
    char host[INET6_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    struct in_addr a4;
    long bits, max;
    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(net, 0, sizeof(*net));
    if (inet_pton(AF_INET, host, &a4) == 1) {
        net->addr[10] = net->addr[11] = 0xff;
        memcpy(net->addr + 12, &a4, 4);
        max = 32;
    } else if (inet_pton(AF_INET6, host, net->addr) == 1) {
        max = 128;
    } else {
        return -1;
    }
    bits = max;
    if (slash != NULL) {
        char *end;
        if (slash[1] < '0' || slash[1] > '9')
            return -1;
        bits = strtol(slash + 1, &end, 10);
        if (*end != '\0' || bits < 0 || bits > max)
            return -1;
    }
    net->bits = (unsigned)(bits + (max == 32 ? 96 : 0));
    for (unsigned i = net->bits; i < 128; i++)
        net->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return 0;
}

/* $.tls: the certificate and key files; $.trusted_proxies: whose forwarded header counts. */
static void
load_tls(struct cctx *c, struct config *cf, const json_t *root)
{
    static const struct field f[] = {{"cert", T_STRING, 1}, {"key", T_STRING, 1}, {NULL, 0, 0}};
    const json_t *t = json_object_get(root, "tls");
    if (t != NULL && check_object(c, t, "$.tls", f) == 0) {
        const char *cert = json_string_value(json_object_get(t, "cert"));
        const char *key = json_string_value(json_object_get(t, "key"));
        if (cert[0] == '\0')
            problem(c, "$.tls.cert", "must name the certificate file (PEM)");
        if (key[0] == '\0')
            problem(c, "$.tls.key", "must name the private key file (PEM)");
        cf->tls_cert = xstrdup(cert);
        cf->tls_key = xstrdup(key);
    }
    const json_t *p = json_object_get(root, "trusted_proxies");
    size_t n = json_array_size(p);
    cf->trusted_proxies = xcalloc(n ? n : 1, sizeof(*cf->trusted_proxies));
    for (size_t i = 0; i < n; i++) {
        char sub[64];
        const char *v = json_string_value(json_array_get(p, i));
        snprintf(sub, sizeof(sub), "$.trusted_proxies[%zu]", i);
        if (v == NULL || parse_net6(v, &cf->trusted_proxies[cf->ntrusted_proxies]) != 0)
            problem(c, sub,
                    "expected an IPv4 or IPv6 address or network (\"10.0.0.0/8\", \"::1\")");
        else
            cf->ntrusted_proxies++;
    }
}

/* A name of a node or a stream: letters, digits, '-' and '_' (NATS's tokens allow those). */
static int
node_name_ok(const char *s)
{
    if (s[0] == '\0' || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return 0;
    return 1;
}

/* $.replication: the stream the batches go through, this node, the leader (replica.h). */
static void
load_replication(struct cctx *c, struct config *cf, const json_t *root)
{
    static const struct field f[] = {{"servers", T_ARRAY, 1},
                                     {"stream", T_STRING, 0},
                                     {"subject", T_STRING, 0},
                                     {"replicas", T_INT, 0},
                                     {"max_age_days", T_INT, 0},
                                     {"node", T_STRING, 0},
                                     {"leader", T_STRING, 1},
                                     {"url", T_STRING, 0},
                                     {"publish_timeout_ms", T_INT, 0},
                                     {"lease_ms", T_INT, 0},
                                     {NULL, 0, 0}};
    struct config_replication *r = &cf->replication;
    const json_t *rp = json_object_get(root, "replication");
    char sub[64];
    if (rp == NULL || check_object(c, rp, "$.replication", f) != 0)
        return;
    r->on = 1;
    const json_t *list = json_object_get(rp, "servers");
    size_t n = json_array_size(list);
    r->servers = xcalloc(n ? n : 1, sizeof(*r->servers));
    for (size_t i = 0; i < n; i++) {
        const char *u = json_string_value(json_array_get(list, i));
        snprintf(sub, sizeof(sub), "$.replication.servers[%zu]", i);
        if (u == NULL || (strncmp(u, "nats://", 7) != 0 && strncmp(u, "tls://", 6) != 0))
            problem(c, sub, "expected a nats:// or tls:// URL");
        else
            r->servers[r->nservers++] = xstrdup(u);
    }
    if (n == 0)
        problem(c, "$.replication.servers", "expected at least one NATS server");
    const char *stream = json_string_value(json_object_get(rp, "stream"));
    r->stream = xstrdup(stream ? stream : "seam");
    if (!node_name_ok(r->stream))
        problem(c, "$.replication.stream", "expected letters, digits, '-' or '_'");
    const char *subject = json_string_value(json_object_get(rp, "subject"));
    r->subject = subject ? xstrdup(subject) : xasprintf("%s.batches", r->stream);
    if (r->subject[0] == '\0' || strpbrk(r->subject, " \t*>") != NULL)
        problem(c, "$.replication.subject", "expected a NATS subject without wildcards");
    const json_t *v = json_object_get(rp, "replicas");
    json_int_t reps = v ? json_integer_value(v) : 3;
    if (reps < 1 || reps > 5)
        problem(c, "$.replication.replicas", "must be between 1 and 5");
    r->replicas = (unsigned)(reps < 1 ? 1 : reps);
    v = json_object_get(rp, "max_age_days");
    json_int_t age = v ? json_integer_value(v) : 0;
    if (age < 0 || age > 36500)
        problem(c, "$.replication.max_age_days", "must be between 0 and 36500");
    r->max_age_days = (unsigned)(age < 0 ? 0 : age);
    v = json_object_get(rp, "publish_timeout_ms");
    json_int_t pt = v ? json_integer_value(v) : 5000;
    if (pt < 100 || pt > 60000)
        problem(c, "$.replication.publish_timeout_ms", "must be between 100 and 60000");
    r->publish_timeout_ms = (unsigned)(pt < 100 ? 100 : pt);
    v = json_object_get(rp, "lease_ms");
    json_int_t lease = v ? json_integer_value(v) : 3000;
    if (lease < 300 || lease > 60000)
        problem(c, "$.replication.lease_ms", "must be between 300 and 60000");
    r->lease_ms = (unsigned)(lease < 300 ? 300 : lease);
    const char *leader = json_string_value(json_object_get(rp, "leader"));
    if (!node_name_ok(leader))
        problem(c, "$.replication.leader", "expected a node's name: letters, digits, '-' or '_'");
    r->leader = xstrdup(leader);
    const char *node = json_string_value(json_object_get(rp, "node"));
    if (node != NULL && !node_name_ok(node))
        problem(c, "$.replication.node", "expected a node's name: letters, digits, '-' or '_'");
    r->node = xstrdup(node ? node : leader);
    const char *url = json_string_value(json_object_get(rp, "url"));
    if (url != NULL && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        problem(c, "$.replication.url", "expected an http:// or https:// URL");
    r->url = url ? xstrdup(url) : NULL;
}

int
config_set_node(struct config *cf, const char *node)
{
    if (!cf->replication.on || !node_name_ok(node))
        return -1;
    free(cf->replication.node);
    cf->replication.node = xstrdup(node);
    return 0;
}

/* $.witnesses: the evidence log's witnesses and how many must cosign. */
static void
load_witnesses(struct cctx *c, struct config *cf, const json_t *w)
{
    static const struct field f[] = {{"quorum", T_INT, 0}, {"list", T_ARRAY, 1}, {NULL, 0, 0}};
    static const struct field wf[] = {
        {"name", T_STRING, 1}, {"url", T_STRING, 1}, {"key", T_STRING, 1}, {NULL, 0, 0}};
    char sub[64];
    if (w == NULL || check_object(c, w, "$.witnesses", f) != 0)
        return;
    const json_t *list = json_object_get(w, "list");
    size_t n = json_array_size(list);
    cf->witnesses = xcalloc(n ? n : 1, sizeof(*cf->witnesses));
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i);
        snprintf(sub, sizeof(sub), "$.witnesses.list[%zu]", i);
        if (check_object(c, e, sub, wf) != 0)
            continue;
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *url = json_string_value(json_object_get(e, "url"));
        const char *key = json_string_value(json_object_get(e, "key"));
        size_t kl;
        struct config_witness *cw = &cf->witnesses[cf->nwitnesses];
        snprintf(sub, sizeof(sub), "$.witnesses.list[%zu].name", i);
        if (name[0] == '\0' || strpbrk(name, " \n") != NULL) {
            problem(c, sub, "expected a key name without spaces");
            continue;
        }
        snprintf(sub, sizeof(sub), "$.witnesses.list[%zu].url", i);
        if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
            problem(c, sub, "expected an http:// or https:// URL (the submission prefix)");
            continue;
        }
        snprintf(sub, sizeof(sub), "$.witnesses.list[%zu].key", i);
        if (seam_b64_decode(key, cw->key, 32, &kl) != 0 || kl != 32) {
            problem(c, sub, "expected the witness's Ed25519 public key, base64");
            continue;
        }
        cw->name = xstrdup(name);
        cw->url = xstrdup(url);
        cf->nwitnesses++;
    }
    json_int_t q = json_integer_value(json_object_get(w, "quorum"));
    if (json_object_get(w, "quorum") == NULL)
        q = (json_int_t)cf->nwitnesses;
    if (q < 0 || (size_t)q > cf->nwitnesses)
        problem(c, "$.witnesses.quorum", "expected 0 to the number of witnesses");
    else
        cf->witness_quorum = (unsigned)q;
}

/* $.metrics: who may read /metrics. */
static void
load_metrics(struct cctx *c, struct config *cf, const json_t *m)
{
    static const struct field f[] = {
        {"allow", T_ARRAY, 0}, {"token_sha256", T_STRING, 0}, {NULL, 0, 0}};
    char sub[64];
    json_t *allow = m ? json_object_get(m, "allow") : NULL;
    if (m != NULL && check_object(c, m, "$.metrics", f) != 0)
        allow = NULL;
    if (!json_is_array(allow)) { /* loopback only */
        cf->metrics_allow = xcalloc(1, sizeof(*cf->metrics_allow));
        cf->metrics_allow[0].addr = 0x7f000000u;
        cf->metrics_allow[0].mask = 0xff000000u;
        cf->nmetrics_allow = 1;
    } else {
        size_t n = json_array_size(allow);
        cf->metrics_allow = xcalloc(n ? n : 1, sizeof(*cf->metrics_allow));
        for (size_t i = 0; i < n; i++) {
            const char *v = json_string_value(json_array_get(allow, i));
            snprintf(sub, sizeof(sub), "$.metrics.allow[%zu]", i);
            if (v == NULL || parse_net(v, &cf->metrics_allow[cf->nmetrics_allow]) != 0)
                problem(c, sub, "expected an IPv4 address or network (\"10.0.0.0/8\")");
            else
                cf->nmetrics_allow++;
        }
    }
    const char *tok = m ? json_string_value(json_object_get(m, "token_sha256")) : NULL;
    if (tok != NULL) {
        int okhex = strlen(tok) == 64;
        for (size_t i = 0; okhex && i < 32; i++) {
            unsigned b;
            if (sscanf(tok + 2 * i, "%2x", &b) != 1 || !isxdigit((unsigned char)tok[2 * i]) ||
                !isxdigit((unsigned char)tok[2 * i + 1]))
                okhex = 0;
            else
                cf->metrics_token_sha256[i] = (uint8_t)b;
        }
        if (okhex)
            cf->metrics_token = 1;
        else
            problem(c, "$.metrics.token_sha256", "expected 64 hex digits (sha256sum of the token)");
    }
}

/*
 * The identifiers of a vocabulary's list, for id_list: each entry as it is,
 * or, in $.services, an object's "id" ({"id","depends_on"}: a service that
 * rides on others, load_depends_on). A new reference; an entry that is
 * neither stays what it was, for id_list to refuse at its path.
 */
static json_t *
vocab_ids(struct cctx *c, const json_t *v, const char *path, size_t fact)
{
    if (!json_is_array(v))
        return json_incref((json_t *)v);
    json_t *ids = json_array();
    char sub[600];
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i), *id = json_object_get(e, "id");
        if (!json_is_object(e)) {
            json_array_append(ids, e);
            continue;
        }
        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        if (fact != FACT_SERVICE)
            problem(c, sub, "expected a string (only a service may be an object)");
        json_array_append_new(ids, json_is_string(id) ? json_incref(id) : json_null());
    }
    return ids;
}

/* Each {"id","depends_on"} entry of $.services: the services it rides on, each one of the list. */
static void
load_depends_on(struct cctx *c, struct config *cf, const json_t *v)
{
    static const struct field f[] = {
        {"id", T_STRING, 1}, {"depends_on", T_STRING_OR_ARRAY, 1}, {NULL, 0, 0}};
    char sub[512], dp[600];
    cf->depends_on = xcalloc(cf->services.n + 1, sizeof(*cf->depends_on));
    cf->upstream_roles = xcalloc(cf->services.n + 1, sizeof(*cf->upstream_roles));
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_object(e))
            continue;
        snprintf(sub, sizeof(sub), "$.services[%zu]", i);
        if (check_object(c, e, sub, f) != 0)
            continue;
        const char *id = json_string_value(json_object_get(e, "id"));
        size_t at = 0;
        while (at < cf->services.n && strcmp(cf->services.v[at], id) != 0)
            at++;
        if (at == cf->services.n || cf->depends_on[at].v != NULL)
            continue; /* refused by id_list, or its second entry (refused too) */
        snprintf(dp, sizeof(dp), "%s.depends_on", sub);
        struct strlist *deps = &cf->depends_on[at];
        id_list(c, json_object_get(e, "depends_on"), dp, deps, 1);
        struct strlist *roles = &cf->upstream_roles[at];
        roles->v = xcalloc(deps->n + 1, sizeof(char *));
        for (size_t d = 0; d < deps->n; d++) {
            if (!strlist_has(&cf->services, deps->v[d]))
                problem(c, dp, "depends_on names no service \"%s\" in $.services", deps->v[d]);
            roles->v[roles->n++] = xasprintf("provider_of:%s", deps->v[d]);
        }
    }
}

const struct strlist *
config_depends_on(const struct config *cf, const char *service)
{
    static const struct strlist none = {NULL, 0};
    for (size_t i = 0; service != NULL && i < cf->services.n; i++)
        if (strcmp(cf->services.v[i], service) == 0)
            return cf->depends_on != NULL ? &cf->depends_on[i] : &none;
    return NULL;
}

/* ---- the facts a federation declares ($.facts) ---- */

/* Names a fact may not take: the members of a ticket's record and of the
 * requests that carry facts beside other fields (a fact is stored and given
 * under its own name). */
static const char *const reserved_fact_names[] = {"id",
                                                  "customer",
                                                  "summary",
                                                  "description",
                                                  "status",
                                                  "created_at",
                                                  "updated_at",
                                                  "timeline",
                                                  "assignments",
                                                  "bounces",
                                                  "round",
                                                  "rule",
                                                  "mode",
                                                  "fallback",
                                                  "flags",
                                                  "facts",
                                                  "tmf",
                                                  "topic",
                                                  "head",
                                                  "events",
                                                  "last",
                                                  "duplicate_of",
                                                  "merged_into",
                                                  "e2e",
                                                  "customer_visible",
                                                  "reason",
                                                  "text",
                                                  "partner",
                                                  "owner",
                                                  "flag",
                                                  "state",
                                                  "cursor",
                                                  "limit",
                                                  "lang",
                                                  "by",
                                                  "format",
                                                  "from",
                                                  "to",
                                                  "created_from",
                                                  "created_to",
                                                  "name",
                                                  "contact",
                                                  "record_facts",
                                                  NULL};

/* The top level's sections, before and after the vocabularies (whose keys
 * come from the table of facts: load_all). */
static const struct field top_head[] = {{"federation", T_STRING, 1},
                                        {"listen", T_STRING, 1},
                                        {"data_dir", T_STRING, 1},
                                        {"limits", T_OBJECT, 0},
                                        {"lead", T_OBJECT, 1},
                                        {"web_dir", T_STRING, 0},
                                        {NULL, 0, 0}};
static const struct field top_tail[] = {{"calendars", T_OBJECT, 1},
                                        {"sla_policies", T_OBJECT, 1},
                                        {"partners", T_ARRAY, 1},
                                        {"bundles", T_ARRAY, 1},
                                        {"rules", T_ARRAY, 1},
                                        {"$schema", T_STRING, 0},
                                        {"description", T_STRING, 0},
                                        {"delivery", T_OBJECT, 0},
                                        {"metrics", T_OBJECT, 0},
                                        {"facts", T_ARRAY, 0},
                                        {"tls", T_OBJECT, 0},
                                        {"trusted_proxies", T_ARRAY, 0},
                                        {"mail", T_OBJECT, 0},
                                        {"sessions", T_OBJECT, 0},
                                        {"witnesses", T_OBJECT, 0},
                                        {"replication", T_OBJECT, 0},
                                        {NULL, 0, 0}};

/* Whether key names one of the top level's sections (never a fact's vocabulary). */
static int
section_key(const char *key)
{
    for (const struct field *f = top_head; f->key != NULL; f++)
        if (strcmp(f->key, key) == 0)
            return 1;
    for (const struct field *f = top_tail; f->key != NULL; f++)
        if (strcmp(f->key, key) == 0)
            return 1;
    return 0;
}

static int
in_list(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (strcmp(*l, s) == 0)
            return 1;
    return 0;
}

/* A language tag as labels take it: "en", "fr", "pt-br" (2-3 letters, a region). */
static int
valid_lang(const char *s)
{
    size_t n = 0;
    while (s[n] >= 'a' && s[n] <= 'z')
        n++;
    if (n < 2 || n > 3)
        return 0;
    if (s[n] == '\0')
        return 1;
    if (s[n] != '-')
        return 0;
    size_t m = 0;
    s += n + 1;
    while ((s[m] >= 'a' && s[m] <= 'z') || (s[m] >= '0' && s[m] <= '9'))
        m++;
    return s[m] == '\0' && m >= 2 && m <= 8;
}

/* Labels: an object of language to text, English ("en") and at least one other. */
static void
check_labels(struct cctx *c, const json_t *l, const char *path)
{
    const char *lang;
    json_t *text;
    char sub[600];
    if (!json_is_object(l)) {
        problem(c, path, "expected an object of language to label ({\"en\":…,\"fr\":…})");
        return;
    }
    json_object_foreach((json_t *)l, lang, text)
    {
        snprintf(sub, sizeof(sub), "%s.%s", path, lang);
        if (!valid_lang(lang))
            problem(c, sub, "\"%s\" is not a language tag (en, fr, pt-br)", lang);
        else if (!json_is_string(text) || json_string_length(text) == 0 ||
                 json_string_length(text) > 200)
            problem(c, sub, "expected a label of 1 to 200 bytes");
    }
    if (json_object_get(l, "en") == NULL)
        problem(c, path, "labels must give English (\"en\")");
    else if (json_object_size(l) < 2)
        problem(c, path, "labels must give English and at least one other language");
}

/*
 * Reads $.facts (when there is one) into the table the configuration runs
 * on: the facts the code names (fact_kinds[]'s, each declared once) first in
 * their enum order, then the others in the order declared. Problems are
 * reported at each fact's path; with any, the table stays fact_kinds[].
 */
static void
load_facts(struct cctx *c, struct config *cf, const json_t *root)
{
    static const struct field ff[] = {{"name", T_STRING, 1},
                                      {"source", T_STRING, 1},
                                      {"values", T_STRING_OR_ARRAY, 1},
                                      {"labels", T_OBJECT, 1},
                                      {"value_labels", T_OBJECT, 0},
                                      {"optional", T_BOOL, 0},
                                      {"tmf", T_OBJECT, 0},
                                      {"place", T_BOOL, 0},
                                      {"max_length", T_INT, 0},
                                      {"description", T_STRING, 0},
                                      {NULL, 0, 0}};
    static const struct field tf[] = {
        {"roles", T_ARRAY, 0}, {"ticket_type", T_BOOL, 0}, {NULL, 0, 0}};
    const json_t *facts = json_object_get(root, "facts");
    char path[512], sub[600];
    if (facts == NULL)
        return;
    if (!json_is_array(facts) || json_array_size(facts) == 0) {
        problem(c, "$.facts", "expected a non-empty array of facts");
        return;
    }
    size_t n = json_array_size(facts);
    int before = c->count;
    if (n > FACT_MAX) {
        problem(c, "$.facts", "at most %d facts", FACT_MAX);
        return;
    }
    struct fact_kind rows[FACT_MAX];
    struct strlist inline_vals[FACT_MAX];
    int place = -1;
    size_t nrows = 0;
    memset(rows, 0, sizeof(rows));
    memset(inline_vals, 0, sizeof(inline_vals));
    json_t *labels = json_array();
    for (size_t i = 0; i < n; i++) {
        const json_t *d = json_array_get(facts, i);
        snprintf(path, sizeof(path), "$.facts[%zu]", i);
        if (check_object(c, d, path, ff) != 0)
            continue;
        const char *name = json_string_value(json_object_get(d, "name"));
        const char *src = json_string_value(json_object_get(d, "source"));
        const json_t *vals = json_object_get(d, "values");
        struct fact_kind *k = &rows[nrows];
        snprintf(sub, sizeof(sub), "%s.name", path);
        if (!valid_id(name)) {
            problem(c, sub, "\"%s\" is not an identifier", name);
            continue;
        }
        if (in_list(reserved_fact_names, name)) {
            problem(c, sub, "\"%s\" is a reserved name (a member of a ticket or a request)", name);
            continue;
        }
        if (fact_find(rows, nrows, name) >= 0) {
            problem(c, sub, "fact \"%s\" is declared twice", name);
            continue;
        }
        int source = fact_source_parse(src);
        snprintf(sub, sizeof(sub), "%s.source", path);
        if (source < 0) {
            problem(c, sub, "unknown source \"%s\" (complaint, record, either or priority)", src);
            continue;
        }
        int code = fact_find(fact_kinds, FACT_COUNT, name); /* a fact the code names, or -1 */
        if ((source == FACT_FROM_PRIORITY) != (code == FACT_PRIORITY)) {
            problem(c, sub, "only the fact \"priority\" has the source \"priority\"");
            continue;
        }
        if (code == FACT_BUNDLE && source != FACT_FROM_CUSTOMER) {
            problem(c, sub, "the bundle comes from the customer record (\"record\")");
            continue;
        }
        if (code == FACT_REGION && source != FACT_FROM_CUSTOMER && source != FACT_FROM_EITHER) {
            problem(c, sub, "the region comes from the customer record (\"record\" or \"either\")");
            continue;
        }
        k->name = xstrdup(name);
        k->source = (enum fact_source)source;
        k->optional = json_is_true(json_object_get(d, "optional"));
        k->sweep = (int)i;
        k->max_len = code == FACT_PRIORITY ? 16 : 64;
        json_t *ml = json_object_get(d, "max_length");
        if (ml != NULL) {
            long long v = json_integer_value(ml);
            if (v < 1 || v > 256) {
                snprintf(sub, sizeof(sub), "%s.max_length", path);
                problem(c, sub, "max_length must be between 1 and 256");
            } else
                k->max_len = (size_t)v;
        }
        snprintf(sub, sizeof(sub), "%s.values", path);
        if (json_is_string(vals)) {
            const char *key = json_string_value(vals);
            if (strcmp(key, "bundles") == 0)
                k->vocab = FACT_VOCAB_BUNDLES;
            else if (strcmp(key, "priorities") == 0)
                k->vocab = FACT_VOCAB_PRIORITIES;
            else if (section_key(key) || !json_is_array(json_object_get(root, key)))
                problem(c, sub, "vocabulary \"%s\" is unknown: no list $.%s", key, key);
            else {
                k->vocab = FACT_VOCAB_LIST;
                k->vocab_key = xstrdup(key);
            }
        } else {
            k->vocab = FACT_VOCAB_INLINE;
            id_list(c, vals, sub, &inline_vals[nrows], 1);
            if (inline_vals[nrows].n == 0)
                problem(c, sub, "must list at least one value");
        }
        if ((code == FACT_PRIORITY) != (k->vocab == FACT_VOCAB_PRIORITIES))
            problem(c, sub, "the priority's values are \"priorities\", and only its");
        if ((code == FACT_BUNDLE) != (k->vocab == FACT_VOCAB_BUNDLES))
            problem(c, sub, "the bundle's values are \"bundles\", and only its");
        snprintf(sub, sizeof(sub), "%s.labels", path);
        check_labels(c, json_object_get(d, "labels"), sub);
        const json_t *vl = json_object_get(d, "value_labels");
        const char *val;
        json_t *l;
        json_object_foreach((json_t *)vl, val, l)
        {
            snprintf(sub, sizeof(sub), "%s.value_labels.%s", path, val);
            check_labels(c, l, sub);
        }
        const json_t *tmf = json_object_get(d, "tmf");
        snprintf(sub, sizeof(sub), "%s.tmf", path);
        if (tmf != NULL && check_object(c, tmf, sub, tf) == 0) {
            struct strlist roles;
            snprintf(sub, sizeof(sub), "%s.tmf.roles", path);
            id_list(c, json_object_get(tmf, "roles"), sub, &roles, 1);
            if (roles.n > 0) {
                const char **r = xcalloc(roles.n + 1, sizeof(char *));
                for (size_t j = 0; j < roles.n; j++)
                    r[j] = roles.v[j];
                free(roles.v);
                k->tmf_roles = r;
            } else
                strlist_free(&roles);
            k->tmf_type = json_is_true(json_object_get(tmf, "ticket_type"));
        }
        if (json_is_true(json_object_get(d, "place"))) {
            snprintf(sub, sizeof(sub), "%s.place", path);
            if (place >= 0)
                problem(c, sub, "only one fact is the place (\"%s\" is already)", rows[place].name);
            else if (k->vocab != FACT_VOCAB_LIST && k->vocab != FACT_VOCAB_INLINE)
                problem(c, sub, "the place's values must be a list");
            else if (!fact_from_record(k))
                problem(c, sub,
                        "the place comes from the customer record (\"record\" or "
                        "\"either\")");
            else
                place = (int)nrows;
        }
        json_array_append_new(labels, json_pack("{s:O, s:O?}", "labels",
                                                json_object_get(d, "labels"), "value_labels", vl));
        nrows++;
    }
    for (size_t f = 0; f < FACT_COUNT; f++)
        if (fact_find(rows, nrows, fact_kinds[f].name) < 0 && c->count == before)
            problem(c, "$.facts", "must declare \"%s\": the code names it", fact_kinds[f].name);
    if (c->count != before) {
        for (size_t i = 0; i < nrows; i++) {
            free((char *)rows[i].name);
            free((char *)rows[i].vocab_key);
            for (const char *const *r = rows[i].tmf_roles; r != NULL && *r != NULL; r++)
                free((char *)*r);
            free((void *)rows[i].tmf_roles);
            strlist_free(&inline_vals[i]);
        }
        json_decref(labels);
        return;
    }
    /* The facts the code names at their enum positions, then the others as declared. */
    struct fact_kind *table = xcalloc(FACT_MAX, sizeof(*table));
    json_t *ordered = json_array();
    size_t at = 0, from[FACT_MAX];
    for (size_t f = 0; f < FACT_COUNT; f++)
        from[at++] = (size_t)fact_find(rows, nrows, fact_kinds[f].name);
    for (size_t i = 0; i < nrows; i++)
        if (fact_find(fact_kinds, FACT_COUNT, rows[i].name) < 0)
            from[at++] = i;
    cf->place = FACT_REGION;
    for (size_t k = 0; k < nrows; k++) {
        table[k] = rows[from[k]];
        cf->vocab[k] = inline_vals[from[k]];
        json_array_append(ordered, json_array_get(labels, from[k]));
        if ((int)from[k] == place)
            cf->place = k;
    }
    json_decref(labels);
    cf->declared = table;
    cf->fact_kinds = table;
    cf->nfact_kinds = nrows;
    cf->vocabulary = ordered; /* completed by finish_vocabulary once the values are known */
}

/* A label object with only English: the name itself. */
static json_t *
english(const char *text)
{
    return json_pack("{s:s}", "en", text);
}

/*
 * The document GET /v1/vocabulary serves, with every language: each fact,
 * its source, whether a complaint may leave it out, its labels and its values
 * with theirs. A value label must name a value of the fact's vocabulary. A
 * federation that declares no facts gets the names as English labels.
 */
static void
finish_vocabulary(struct cctx *c, struct config *cf)
{
    json_t *declared = cf->vocabulary, *doc = json_array();
    char sub[600];
    for (size_t k = 0; k < cf->nfact_kinds; k++) {
        const struct fact_kind *fk = &cf->fact_kinds[k];
        json_t *d = declared ? json_array_get(declared, k) : NULL;
        json_t *vl = json_object_get(d, "value_labels");
        json_t *labels = json_object_get(d, "labels");
        const char *val;
        json_t *l;
        json_object_foreach(vl, val, l)
        {
            if (!strlist_has(&cf->vocab[k], val)) {
                snprintf(sub, sizeof(sub), "$.facts[%d].value_labels.%s", fk->sweep, val);
                problem(c, sub, "\"%s\" is not a value of the fact \"%s\"", val, fk->name);
            }
        }
        json_t *values = json_array();
        for (size_t i = 0; i < cf->vocab[k].n; i++) {
            const char *v = cf->vocab[k].v[i];
            json_t *vlab = json_object_get(vl, v);
            json_array_append_new(values, json_pack("{s:s, s:o}", "id", v, "labels",
                                                    vlab ? json_incref(vlab) : english(v)));
        }
        json_array_append_new(
            doc, json_pack("{s:s, s:s, s:b, s:b, s:o, s:o}", "name", fk->name, "source",
                           fact_source_name(fk->source), "optional",
                           fk->source == FACT_FROM_COMPLAINT ? fk->optional
                                                             : fk->source != FACT_FROM_CUSTOMER,
                           "place", k == cf->place, "labels",
                           labels ? json_incref(labels) : english(fk->name), "values", values));
    }
    json_decref(declared);
    cf->vocabulary = doc;
}

static void
load_all(struct cctx *c, struct config *cf, const json_t *root)
{
    cf->place = FACT_REGION;
    if (json_is_object(root))
        load_facts(c, cf, root);
    struct field top[sizeof(top_head) / sizeof(top_head[0]) + FACT_MAX +
                     sizeof(top_tail) / sizeof(top_tail[0])];
    size_t ntop = 0;
    for (const struct field *f = top_head; f->key != NULL; f++)
        top[ntop++] = *f;
    for (size_t k = 0; k < cf->nfact_kinds; k++)
        if (cf->fact_kinds[k].vocab == FACT_VOCAB_LIST)
            top[ntop++] = (struct field){cf->fact_kinds[k].vocab_key, T_ARRAY, 1};
    for (const struct field *f = top_tail;; f++) {
        top[ntop++] = *f;
        if (f->key == NULL)
            break;
    }
    static const struct field dlv[] = {{"retry_schedule_ms", T_ARRAY, 0}, {NULL, 0, 0}};
    static const struct field lim[] = {{NULL, 0, 0}}; /* every limit is a setting */
    static const struct field lead[] = {{"id", T_STRING, 1},
                                        {"name", T_STRING, 1},
                                        {"calendar", T_STRING, 1},
                                        {"sla_policy", T_STRING, 1},
                                        {NULL, 0, 0}};
    char sub[512];
    const char *key;
    json_t *v;

    if (check_section(c, root, "$", top, CONFIG_TOP) != 0 && !json_is_object(root))
        return;
    cf->federation = str_or(root, "federation", "seam");
    for (const char *p = cf->federation; *p; p++)
        if (*p <= ' ' || *p == 0x7f) {
            problem(c, "$.federation", "must not contain spaces or control characters");
            break;
        }
    if (cf->federation[0] == '\0')
        problem(c, "$.federation", "must not be empty");
    const char *listen = json_string_value(json_object_get(root, "listen"));
    cf->listen_host = xstrdup("127.0.0.1");
    cf->listen_port = 8480;
    if (listen && config_set_listen(cf, listen) != 0)
        problem(c, "$.listen", "expected \"ADDRESS:PORT\"");
    cf->data_dir = str_or(root, "data_dir", "var/data");
    cf->web_dir = str_or(root, "web_dir", NULL);

    settings_default(CONFIG_LIMITS, cf);
    settings_default(CONFIG_DELIVERY, cf);
    json_t *l = json_object_get(root, "limits");
    if (l != NULL && check_section(c, l, "$.limits", lim, CONFIG_LIMITS) == 0)
        load_settings(c, CONFIG_LIMITS, l, "$.limits", cf);
    load_settings(c, CONFIG_TOP, root, "$", cf);
    load_metrics(c, cf, json_object_get(root, "metrics"));
    load_tls(c, cf, root);
    load_replication(c, cf, root);
    load_mail(c, cf, json_object_get(root, "mail"));
    static const struct field no_fields[] = {{NULL, 0, 0}};
    settings_default(CONFIG_SESSIONS, cf);
    json_t *sess = json_object_get(root, "sessions");
    if (sess != NULL && check_section(c, sess, "$.sessions", no_fields, CONFIG_SESSIONS) == 0)
        load_settings(c, CONFIG_SESSIONS, sess, "$.sessions", cf);
    load_witnesses(c, cf, json_object_get(root, "witnesses"));

    /* Push delivery; by default the Standard Webhooks retry schedule. */
    static const int64_t standard[] = {0,       5000,     300000,   1800000,
                                       7200000, 18000000, 36000000, 36000000};
    json_t *d = json_object_get(root, "delivery");
    json_t *sched = json_object_get(d, "retry_schedule_ms");
    if (d != NULL && check_section(c, d, "$.delivery", dlv, CONFIG_DELIVERY) == 0)
        load_settings(c, CONFIG_DELIVERY, d, "$.delivery", cf);
    if (json_is_array(sched)) {
        size_t n = json_array_size(sched);
        if (n == 0 || n > 32)
            problem(c, "$.delivery.retry_schedule_ms", "1 to 32 delays");
        cf->retry_ms = xcalloc(n ? n : 1, sizeof(int64_t));
        for (size_t i = 0; i < n; i++) {
            json_t *delay = json_array_get(sched, i);
            if (!json_is_integer(delay) || json_integer_value(delay) < 0 ||
                json_integer_value(delay) > 7 * 86400000LL)
                problem(c, "$.delivery.retry_schedule_ms", "delay %zu is not 0 to 7 days in ms", i);
            else
                cf->retry_ms[cf->nretry++] = json_integer_value(delay);
        }
    } else {
        cf->nretry = sizeof(standard) / sizeof(standard[0]);
        cf->retry_ms = xcalloc(cf->nretry, sizeof(int64_t));
        memcpy(cf->retry_ms, standard, sizeof(standard));
    }

    /* The facts' vocabularies: the lists of the configuration, and the priorities. */
    for (size_t k = 0; k < cf->nfact_kinds; k++) {
        const struct fact_kind *fk = &cf->fact_kinds[k];
        struct strlist *vocab = &cf->vocab[k];
        if (fk->vocab == FACT_VOCAB_LIST) {
            snprintf(sub, sizeof(sub), "$.%s", fk->vocab_key);
            json_t *ids = vocab_ids(c, json_object_get(root, fk->vocab_key), sub, k);
            id_list(c, ids, sub, vocab, 1);
            json_decref(ids);
            if (vocab->n == 0)
                problem(c, sub, "must list at least one value");
        } else if (fk->vocab == FACT_VOCAB_PRIORITIES) {
            vocab->v = xcalloc(PRIO_COUNT, sizeof(char *));
            for (int p = 0; p < PRIO_COUNT; p++)
                vocab->v[vocab->n++] = xstrdup(priority_names[p]);
        }
    }

    load_depends_on(c, cf, json_object_get(root, "services"));

    json_t *cals = json_object_get(root, "calendars");
    if (json_is_object(cals)) {
        cf->calendars = xcalloc(json_object_size(cals) + 1, sizeof(*cf->calendars));
        json_object_foreach(cals, key, v)
        {
            snprintf(sub, sizeof(sub), "$.calendars.%s", key);
            if (!valid_id(key))
                problem(c, sub, "\"%s\" is not an identifier", key);
            load_calendar(c, key, v, sub, &cf->calendars[cf->ncalendars++]);
        }
    }
    json_t *slas = json_object_get(root, "sla_policies");
    if (json_is_object(slas)) {
        cf->slas = xcalloc(json_object_size(slas) + 1, sizeof(*cf->slas));
        json_object_foreach(slas, key, v)
        {
            snprintf(sub, sizeof(sub), "$.sla_policies.%s", key);
            if (!valid_id(key))
                problem(c, sub, "\"%s\" is not an identifier", key);
            load_sla(c, cf, key, v, sub, &cf->slas[cf->nslas++]);
        }
    }

    json_t *ld = json_object_get(root, "lead");
    cf->lead.id = xstrdup("lead");
    if (check_object(c, ld, "$.lead", lead) == 0) {
        free(cf->lead.id);
        cf->lead.id = str_or(ld, "id", "lead");
        cf->lead.name = str_or(ld, "name", "");
        if (!valid_id(cf->lead.id))
            problem(c, "$.lead.id", "\"%s\" is not an identifier", cf->lead.id);
        const char *cal = json_string_value(json_object_get(ld, "calendar"));
        const char *sla = json_string_value(json_object_get(ld, "sla_policy"));
        cf->lead.calendar = calendar_find(cf, cal);
        cf->lead.sla = sla_find(cf, sla);
        if (cf->lead.calendar == NULL)
            problem(c, "$.lead.calendar", "no calendar \"%s\"", cal);
        if (cf->lead.sla == NULL)
            problem(c, "$.lead.sla_policy", "no SLA policy \"%s\"", sla);
    }

    json_t *parts = json_object_get(root, "partners");
    if (json_is_array(parts)) {
        cf->partners = xcalloc(json_array_size(parts) + 1, sizeof(*cf->partners));
        for (size_t i = 0; i < json_array_size(parts); i++) {
            snprintf(sub, sizeof(sub), "$.partners[%zu]", i);
            struct config_partner *p = &cf->partners[cf->npartners];
            load_partner(c, cf, json_array_get(parts, i), sub, p);
            if (p->id && config_partner_find(cf, p->id) != NULL)
                problem(c, sub, "partner id \"%s\" is used twice", p->id);
            cf->npartners++;
        }
    }
    json_t *bundles = json_object_get(root, "bundles");
    if (json_is_array(bundles)) {
        cf->bundles = xcalloc(json_array_size(bundles) + 1, sizeof(*cf->bundles));
        for (size_t i = 0; i < json_array_size(bundles); i++) {
            snprintf(sub, sizeof(sub), "$.bundles[%zu]", i);
            struct config_bundle *b = &cf->bundles[cf->nbundles];
            load_bundle(c, cf, json_array_get(bundles, i), sub, b);
            if (b->id && config_bundle_find(cf, b->id) != NULL)
                problem(c, sub, "bundle id \"%s\" is used twice", b->id);
            cf->nbundles++;
        }
        if (cf->nbundles == 0)
            problem(c, "$.bundles", "must list at least one bundle");
    }
    for (size_t k = 0; k < cf->nfact_kinds; k++) {
        struct strlist *vocab = &cf->vocab[k];
        if (cf->fact_kinds[k].vocab != FACT_VOCAB_BUNDLES)
            continue;
        vocab->v = xcalloc(cf->nbundles + 1, sizeof(char *));
        for (size_t i = 0; i < cf->nbundles; i++)
            if (cf->bundles[i].id != NULL)
                vocab->v[vocab->n++] = xstrdup(cf->bundles[i].id);
    }
    json_t *rules = json_object_get(root, "rules");
    int has_default = 0;
    if (json_is_array(rules)) {
        cf->rules = xcalloc(json_array_size(rules) + 1, sizeof(*cf->rules));
        for (size_t i = 0; i < json_array_size(rules); i++) {
            snprintf(sub, sizeof(sub), "$.rules[%zu]", i);
            struct config_rule *r = &cf->rules[cf->nrules];
            load_rule(c, cf, json_array_get(rules, i), sub, r);
            for (size_t j = 0; r->id && j < cf->nrules; j++)
                if (cf->rules[j].id && strcmp(cf->rules[j].id, r->id) == 0)
                    problem(c, sub, "rule id \"%s\" is used twice", r->id);
            cf->nrules++;
            int empty = 1;
            for (size_t fct = 0; fct < cf->nfact_kinds; fct++)
                if (r->match[fct].n)
                    empty = 0;
            if (empty && r->owners.n == 1 && strcmp(r->owners.v[0], "lead") == 0)
                has_default = 1;
        }
        if (!has_default)
            problem(c, "$.rules",
                    "no default rule (one with an empty match whose owner is \"lead\")");
    }
    finish_vocabulary(c, cf);
}

int
config_set_listen(struct config *cf, const char *addr)
{
    return parse_listen(addr, &cf->listen_host, &cf->listen_port);
}

enum seam_err
config_load(const char *path, struct config **out, char **errors)
{
    char *text = NULL;
    size_t len;
    enum seam_err rc = read_file(path, 4 << 20, &text, &len);
    if (rc != SEAM_OK) {
        *errors = xasprintf("%s: %s\n", path,
                            rc == SEAM_ENOTFOUND ? "no such file"
                            : rc == SEAM_EINVAL  ? "larger than 4 MiB"
                                                 : "cannot be read");
        return rc;
    }
    rc = config_load_buffer(path, text, len, out, errors);
    free(text);
    return rc;
}

enum seam_err
config_load_buffer(const char *path, const char *text, size_t len, struct config **out,
                   char **errors)
{
    return config_load_buffer_facts(path, text, len, fact_kinds, FACT_COUNT, out, errors);
}

enum seam_err
config_load_buffer_facts(const char *path, const char *text, size_t len,
                         const struct fact_kind *kinds, size_t n, struct config **out,
                         char **errors)
{
    struct cctx c = {.file = path};
    /* The first rows are the facts the code names; each name once; a list has its key. */
    int fits = n >= FACT_COUNT && n <= FACT_MAX;
    for (size_t i = 0; fits && i < n; i++)
        if ((i < FACT_COUNT && strcmp(kinds[i].name, fact_kinds[i].name) != 0) ||
            fact_find(kinds, i, kinds[i].name) >= 0 || !valid_id(kinds[i].name) ||
            (kinds[i].vocab == FACT_VOCAB_LIST && kinds[i].vocab_key == NULL))
            fits = 0;
    if (!fits) {
        *errors = xasprintf("%s: the table of fact kinds does not begin with fact_kinds[], names "
                            "a fact twice or has more than %d rows\n",
                            path, FACT_MAX);
        return SEAM_EINVAL;
    }
    json_error_t jerr;
    /* The file says its own limits: the default depth holds for the file itself. */
    json_t *root = json_load_depth(text, len, JSON_REJECT_DUPLICATES, JSON_DEPTH_DEFAULT, &jerr);
    if (root == NULL) {
        *errors = xasprintf("%s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
        return SEAM_EINVAL;
    }
    struct config *cf = xcalloc(1, sizeof(*cf));
    cf->path = xstrdup(path);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)text, len);
    for (size_t i = 0; i < 8; i++)
        snprintf(cf->version + 2 * i, 3, "%02x", digest[i]);
    cf->fact_kinds = kinds;
    cf->nfact_kinds = n;
    load_all(&c, cf, root);
    json_decref(root);
    if (c.count > 0) {
        config_free(cf);
        *errors = c.errors;
        return SEAM_EINVAL;
    }
    free(c.errors);
    *out = cf;
    return SEAM_OK;
}

void
config_free(struct config *cf)
{
    if (cf == NULL)
        return;
    free(cf->path);
    free(cf->federation);
    free(cf->listen_host);
    free(cf->data_dir);
    free(cf->web_dir);
    free(cf->metrics_allow);
    for (size_t i = 0; i < cf->replication.nservers; i++)
        free(cf->replication.servers[i]);
    free(cf->replication.servers);
    free(cf->replication.stream);
    free(cf->replication.subject);
    free(cf->replication.node);
    free(cf->replication.leader);
    free(cf->replication.url);
    free(cf->tls_cert);
    free(cf->tls_key);
    free(cf->trusted_proxies);
    for (size_t i = 0; i < cf->nwitnesses; i++) {
        free(cf->witnesses[i].name);
        free(cf->witnesses[i].url);
    }
    free(cf->witnesses);
    free(cf->lead.id);
    free(cf->lead.name);
    for (size_t i = 0; cf->depends_on != NULL && i < cf->services.n; i++) {
        strlist_free(&cf->depends_on[i]);
        strlist_free(&cf->upstream_roles[i]);
    }
    free(cf->depends_on);
    free(cf->upstream_roles);
    for (int f = 0; f < FACT_MAX; f++)
        strlist_free(&cf->vocab[f]);
    for (size_t k = 0; cf->declared != NULL && k < cf->nfact_kinds; k++) {
        free((char *)cf->declared[k].name);
        free((char *)cf->declared[k].vocab_key);
        if (cf->declared[k].tmf_roles != NULL)
            for (const char *const *r = cf->declared[k].tmf_roles; *r; r++)
                free((char *)*r);
        free((void *)cf->declared[k].tmf_roles);
    }
    free(cf->declared);
    json_decref(cf->vocabulary);
    for (size_t i = 0; i < cf->ncalendars; i++) {
        free(cf->calendars[i].id);
        free(cf->calendars[i].timezone);
        strlist_free(&cf->calendars[i].holidays);
    }
    free(cf->calendars);
    for (size_t i = 0; i < cf->nslas; i++)
        free(cf->slas[i].id);
    free(cf->slas);
    for (size_t i = 0; i < cf->npartners; i++) {
        free(cf->partners[i].id);
        free(cf->partners[i].name);
        free(cf->partners[i].url);
        free(cf->partners[i].ebond.token_file);
        free(cf->partners[i].ebond.customer);
        free(cf->partners[i].ebond.callback_url);
        for (size_t k = 0; k < cf->partners[i].ebond.nstatus; k++)
            free(cf->partners[i].ebond.status[k]);
        free(cf->partners[i].ebond.status);
        free(cf->partners[i].ebond.status_does);
        free(cf->partners[i].mail_address);
        strlist_free(&cf->partners[i].services);
    }
    free(cf->partners);
    for (size_t i = 0; i < cf->nbundles; i++) {
        struct config_bundle *b = &cf->bundles[i];
        for (size_t j = 0; j < b->nproviders; j++) {
            free(b->providers[j].service);
            free(b->providers[j].region);
            free(b->providers[j].partner);
        }
        free(b->providers);
        free(b->id);
        free(b->name);
    }
    free(cf->bundles);
    for (size_t i = 0; i < cf->nrules; i++) {
        struct config_rule *r = &cf->rules[i];
        free(r->id);
        free(r->label);
        for (int f = 0; f < FACT_MAX; f++)
            strlist_free(&r->match[f]);
        strlist_free(&r->owners);
        strlist_free(&r->fallback);
    }
    free(cf->rules);
    free(cf->retry_ms);
    free(cf->mail.smtp_url);
    free(cf->mail.from);
    free(cf->mail.portal_url);
    free(cf->mail.support_address);
    free(cf->mail.imap_url);
    free(cf->mail.imap_user);
    free(cf->mail.smtp_user);
    if (cf->mail.smtp_password != NULL) {
        sodium_memzero(cf->mail.smtp_password, strlen(cf->mail.smtp_password));
        free(cf->mail.smtp_password);
    }
    if (cf->mail.imap_password != NULL) {
        sodium_memzero(cf->mail.imap_password, strlen(cf->mail.imap_password));
        free(cf->mail.imap_password);
    }
    json_decref(cf->mail.complaint_facts);
    free(cf);
}
