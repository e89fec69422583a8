/*
 * test_config_settings.c: walks the configuration's table of scalar settings
 * (config_settings[], config.c). For every row: its default lies within its
 * bounds; a value just below or just above them is refused with the key and
 * the object's path named, and the bounds themselves are not; a value of the
 * wrong type is refused; a required key left out is refused. A configuration
 * without any of the settings yields every row's default, in every struct of
 * its section (each partner, each rule).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "tap.h"

static const char *conf_path = "conf/seam.json";

#define MAX_HITS 64

/* The objects a section's path template names in root: "[]" is every
 * element, "*" every member. paths[i] is each one's JSON path. */
static size_t
section_objects(json_t *root, const char *tmpl, json_t **out, char paths[][256])
{
    json_t *cur[MAX_HITS], *next[MAX_HITS];
    char cp[MAX_HITS][256], np[MAX_HITS][256];
    size_t n = 1;
    cur[0] = root;
    snprintf(cp[0], sizeof(cp[0]), "$");
    const char *t = tmpl + 1; /* past "$" */
    while (*t) {
        size_t m = 0;
        if (strncmp(t, "[]", 2) == 0) {
            for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < json_array_size(cur[i]) && m < MAX_HITS; k++) {
                    next[m] = json_array_get(cur[i], k);
                    snprintf(np[m++], 256, "%.200s[%zu]", cp[i], k);
                }
            t += 2;
        } else if (strncmp(t, ".*", 2) == 0) {
            for (size_t i = 0; i < n; i++) {
                const char *key;
                json_t *v;
                json_object_foreach(cur[i], key, v)
                {
                    if (m < MAX_HITS) {
                        next[m] = v;
                        snprintf(np[m++], 256, "%.200s.%.40s", cp[i], key);
                    }
                }
            }
            t += 2;
        } else { /* ".name" */
            char name[64];
            size_t len = strcspn(t + 1, ".[");
            snprintf(name, sizeof(name), "%.*s", (int)len, t + 1);
            for (size_t i = 0; i < n; i++) {
                json_t *v = json_object_get(cur[i], name);
                if (v != NULL) {
                    next[m] = v;
                    snprintf(np[m++], 256, "%.190s.%.60s", cp[i], name);
                }
            }
            t += 1 + len;
        }
        n = m;
        memcpy(cur, next, n * sizeof(json_t *));
        memcpy(cp, np, sizeof(cp[0]) * n);
    }
    for (size_t i = 0; i < n; i++) {
        out[i] = cur[i];
        memcpy(paths[i], cp[i], 256);
    }
    return n;
}

/* Loads root; returns the problems ("" if it loaded), and the config if asked. */
static char *
load(json_t *root, struct config **keep)
{
    char *text = json_dumps(root, JSON_INDENT(1));
    struct config *cfg = NULL;
    char *errors = NULL;
    enum seam_err rc = config_load_buffer("test.json", text, strlen(text), &cfg, &errors);
    free(text);
    if (rc == SEAM_OK) {
        if (keep != NULL)
            *keep = cfg;
        else
            config_free(cfg);
        return strdup("");
    }
    return errors;
}

/* The example federation with one setting of one object set to v (NULL: removed). */
static char *
load_with(const json_t *example, const struct config_setting *s, json_t *v, char *where)
{
    json_t *root = json_deep_copy(example), *objs[MAX_HITS];
    char paths[MAX_HITS][256];
    size_t n = section_objects(root, config_section_paths[s->section], objs, paths);
    if (n == 0) {
        json_decref(root);
        json_decref(v);
        return strdup("no such object in the example");
    }
    if (v != NULL)
        json_object_set_new(objs[0], s->key, v);
    else
        json_object_del(objs[0], s->key);
    snprintf(where, 256, "%s", paths[0]);
    char *errors = load(root, NULL);
    json_decref(root);
    return errors;
}

int
main(void)
{
    json_error_t jerr;
    if (access(conf_path, R_OK) != 0)
        conf_path = "../conf/seam.json";
    json_t *example = json_load_file(conf_path, 0, &jerr);
    ok(example != NULL, "the example federation reads");
    ok(config_nsettings >= 20, "the table has its rows (%zu)", config_nsettings);

    for (size_t i = 0; i < config_nsettings; i++) {
        const struct config_setting *s = &config_settings[i];
        const char *sec = config_section_paths[s->section];
        char where[256], want[512], *errors;
        for (size_t j = 0; j < i; j++)
            if (config_settings[j].section == s->section &&
                strcmp(config_settings[j].key, s->key) == 0)
                ok(0, "%s.%s has one row", sec, s->key);
        if (!s->required)
            ok(s->min <= s->dflt && s->dflt <= s->max,
               "%s.%s: its default %lld is within %lld-%lld", sec, s->key, s->dflt, s->min, s->max);

        errors = load_with(example, s, json_integer(s->min - 1), where);
        snprintf(want, sizeof(want), "test.json: %s: %s must be between %lld and %lld\n", where,
                 s->key, s->min, s->max);
        ok(strstr(errors, want) != NULL, "%s.%s = %lld is refused, naming the key", where, s->key,
           s->min - 1);
        if (strstr(errors, want) == NULL)
            printf("# %s", errors);
        free(errors);
        errors = load_with(example, s, json_integer(s->max + 1), where);
        ok(strstr(errors, want) != NULL, "%s.%s = %lld is refused, naming the key", where, s->key,
           s->max + 1);
        free(errors);

        snprintf(want, sizeof(want), ": %s must be between", s->key);
        errors = load_with(example, s, json_integer(s->min), where);
        ok(strstr(errors, want) == NULL, "%s.%s = %lld (its minimum) is taken", where, s->key,
           s->min);
        free(errors);
        errors = load_with(example, s, json_integer(s->max), where);
        ok(strstr(errors, want) == NULL, "%s.%s = %lld (its maximum) is taken", where, s->key,
           s->max);
        free(errors);

        errors = load_with(example, s, json_string("12"), where);
        snprintf(want, sizeof(want), "test.json: %s.%s: expected an integer\n", where, s->key);
        ok(strstr(errors, want) != NULL, "%s.%s as a string is refused", where, s->key);
        free(errors);

        if (s->required) {
            errors = load_with(example, s, NULL, where);
            snprintf(want, sizeof(want), "test.json: %s.%s: missing required key\n", where, s->key);
            ok(strstr(errors, want) != NULL, "%s.%s is required", where, s->key);
            free(errors);
        }
    }

    /* An empty configuration: every optional setting removed wherever it can be. */
    json_t *bare = json_deep_copy(example), *objs[MAX_HITS];
    char paths[MAX_HITS][256];
    for (size_t i = 0; i < config_nsettings; i++) {
        const struct config_setting *s = &config_settings[i];
        if (s->required)
            continue;
        size_t n = section_objects(bare, config_section_paths[s->section], objs, paths);
        for (size_t k = 0; k < n; k++)
            json_object_del(objs[k], s->key);
    }
    json_object_del(bare, "limits");
    json_object_del(bare, "delivery");
    struct config *cfg = NULL;
    char *errors = load(bare, &cfg);
    ok(cfg != NULL, "the example without any optional setting loads");
    if (cfg == NULL)
        printf("# %s", errors);
    free(errors);
    json_decref(bare);
    for (size_t i = 0; cfg && i < config_nsettings; i++) {
        const struct config_setting *s = &config_settings[i];
        const char *sec = config_section_paths[s->section];
        const void *bases[MAX_HITS];
        size_t n = 0;
        switch (s->section) {
        case CONFIG_TOP:
        case CONFIG_LIMITS:
        case CONFIG_DELIVERY:
        case CONFIG_SESSIONS:
            bases[n++] = cfg;
            break;
        case CONFIG_PARTNER_DELIVERY:
            for (size_t k = 0; k < cfg->npartners && n < MAX_HITS; k++)
                bases[n++] = &cfg->partners[k];
            break;
        case CONFIG_RULE:
            for (size_t k = 0; k < cfg->nrules && n < MAX_HITS; k++)
                bases[n++] = &cfg->rules[k];
            break;
        case CONFIG_SLA_TARGET:
        case CONFIG_SECTION_COUNT:
            break; /* required: no default */
        }
        if (s->required)
            continue;
        int same = n > 0;
        for (size_t k = 0; k < n; k++)
            if (config_setting_get(s, bases[k]) != s->dflt)
                same = 0;
        ok(same, "%s.%s: an empty configuration yields its default %lld (%zu places)", sec, s->key,
           s->dflt, n);
    }
    /* The table's defaults are the documented ones (docs/operations.md). */
    ok(cfg && cfg->max_body == 64 * 1024 && cfg->threads == 4 &&
           cfg->map_size == (size_t)64 << 20 && cfg->map_max == (size_t)64 << 30 &&
           cfg->max_json_depth == 32 && cfg->max_record_bytes == 256 * 1024 &&
           cfg->max_bounces == 3 && cfg->delivery_concurrency == 16 &&
           cfg->max_retry_after_s == 3600 && cfg->partners[0].timeout_ms == 5000,
       "the defaults in bytes and units are the documented ones");
    config_free(cfg);

    /* A check across settings still runs: a map that may grow less than it starts. */
    json_t *root = json_deep_copy(example);
    json_object_set_new(json_object_get(root, "limits"), "map_size_mb", json_integer(100));
    json_object_set_new(json_object_get(root, "limits"), "map_max_mb", json_integer(50));
    errors = load(root, NULL);
    ok(strstr(errors, "test.json: $.limits.map_max_mb: is smaller than map_size_mb\n") != NULL,
       "map_max_mb below map_size_mb is refused");
    free(errors);
    json_decref(root);
    json_decref(example);
    return done_testing();
}
