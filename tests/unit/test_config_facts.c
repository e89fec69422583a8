/*
 * test_config_facts.c: the facts a federation declares ($.facts). The
 * example's declaration builds the same table as fact_kinds[]; a fact
 * declared only in JSON gets a row (its vocabulary, labels, TMF621 roles,
 * the place bundles map per); each bad shape is refused with the path and
 * a message that says what is wrong; a configuration without $.facts runs
 * on fact_kinds[].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "tap.h"

#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))
#define BAIL_OUT(...) (printf("Bail out! "), printf(__VA_ARGS__), printf("\n"), exit(2))

static json_t *example;

/* The example with facts (a JSON array) appended to $.facts and the edit applied, loaded. */
static enum seam_err
load_with(const char *edit_json, void (*edit)(json_t *root, json_t *arg), struct config **cfg,
          char **errors)
{
    json_t *root = json_deep_copy(example);
    json_t *arg = edit_json ? json_loads(edit_json, 0, NULL) : NULL;
    if (edit_json && arg == NULL)
        BAIL_OUT("bad test JSON: %s", edit_json);
    edit(root, arg);
    char *text = json_dumps(root, JSON_INDENT(1));
    *cfg = NULL;
    *errors = NULL;
    enum seam_err rc = config_load_buffer("facts.json", text, strlen(text), cfg, errors);
    free(text);
    json_decref(arg);
    json_decref(root);
    return rc;
}

static void
add_facts(json_t *root, json_t *arg)
{
    json_array_extend(json_object_get(root, "facts"), arg);
}

static void
set_facts(json_t *root, json_t *arg)
{
    json_object_set(root, "facts", arg);
}

static void
drop_facts(json_t *root, json_t *arg)
{
    (void)arg;
    json_object_del(root, "facts");
}

/* Replaces the fact called arg.name with arg.with (null: removes it). */
static void
change_fact(json_t *root, json_t *arg)
{
    json_t *facts = json_object_get(root, "facts"), *f;
    size_t i;
    const char *name = json_string_value(json_object_get(arg, "name"));
    json_array_foreach(facts, i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "name")), name) != 0)
            continue;
        json_t *with = json_object_get(arg, "with");
        if (json_is_null(with)) {
            json_array_remove(facts, i);
            return;
        }
        json_object_update(f, with);
        return;
    }
}

/* Whether the load fails with a problem containing want. */
static void
refused(const char *what, const char *edit_json, void (*edit)(json_t *, json_t *), const char *want)
{
    struct config *cfg;
    char *errors;
    enum seam_err rc = load_with(edit_json, edit, &cfg, &errors);
    ok(rc == SEAM_EINVAL && errors && strstr(errors, want) != NULL, "%s", what);
    if (!(rc == SEAM_EINVAL && errors && strstr(errors, want) != NULL))
        diag("wanted \"%s\", got: %s", want, errors ? errors : "(loaded)");
    config_free(cfg);
    free(errors);
}

static int
same_roles(const char *const *a, const char *const *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    for (; *a && *b; a++, b++)
        if (strcmp(*a, *b) != 0)
            return 0;
    return *a == NULL && *b == NULL;
}

int
main(void)
{
    example = json_load_file("conf/seam.json", 0, NULL);
    if (example == NULL)
        BAIL_OUT("cannot read conf/seam.json");
    struct config *cfg = NULL;
    char *errors = NULL;

    /* ---- the example's declaration is fact_kinds[] ---- */
    enum seam_err rc = config_load("conf/seam.json", &cfg, &errors);
    ok(rc == SEAM_OK, "the example, which declares its facts, loads");
    if (rc != SEAM_OK)
        BAIL_OUT("%s", errors);
    int same = cfg->nfact_kinds == FACT_COUNT && cfg->declared != NULL;
    for (size_t k = 0; same && k < FACT_COUNT; k++) {
        const struct fact_kind *a = &cfg->fact_kinds[k], *b = &fact_kinds[k];
        same = !strcmp(a->name, b->name) && a->vocab == b->vocab && a->source == b->source &&
               a->optional == b->optional && a->max_len == b->max_len && a->sweep == b->sweep &&
               a->tmf_type == b->tmf_type && same_roles(a->tmf_roles, b->tmf_roles) &&
               ((a->vocab_key == NULL && b->vocab_key == NULL) ||
                (a->vocab_key && b->vocab_key && !strcmp(a->vocab_key, b->vocab_key)));
        if (!same)
            diag("row %zu (%s) differs from fact_kinds[]", k, b->name);
    }
    ok(same, "... into the table fact_kinds[] is, row by row");
    ok(cfg->place == FACT_REGION, "... bundles map per region");
    json_t *svc = json_array_get(cfg->vocabulary, FACT_SERVICE);
    ok(!strcmp(json_string_value(json_object_get(json_object_get(svc, "labels"), "fr")),
               "Service") &&
           !strcmp(json_string_value(json_object_get(
                       json_object_get(json_array_get(json_object_get(svc, "values"), 0), "labels"),
                       "fr")),
                   "Télévision"),
       "... with its labels in English and French");
    config_free(cfg);
    free(errors);

    /* ---- without $.facts: fact_kinds[] itself ---- */
    rc = load_with(NULL, drop_facts, &cfg, &errors);
    ok(rc == SEAM_OK && cfg->fact_kinds == fact_kinds && cfg->declared == NULL,
       "a configuration without $.facts runs on fact_kinds[]");
    ok(rc == SEAM_OK &&
           !strcmp(json_string_value(json_object_get(
                       json_object_get(json_array_get(cfg->vocabulary, 0), "labels"), "en")),
                   "service"),
       "... its labels are the names, in English");
    config_free(cfg);
    free(errors);
    errors = NULL;
    rc = config_load("tests/fixtures/store-v1/seam.json", &cfg, &errors);
    ok(rc == SEAM_OK && cfg->fact_kinds == fact_kinds,
       "the store-v1 fixture's configuration loads");
    config_free(cfg);
    free(errors);

    /* ---- a fact declared only in JSON ---- */
    rc = load_with("[{\"name\":\"country\",\"source\":\"either\",\"values\":[\"no\",\"se\"],"
                   "\"labels\":{\"en\":\"Country\",\"sv\":\"Land\"},\"optional\":true,"
                   "\"value_labels\":{\"se\":{\"en\":\"Sweden\",\"sv\":\"Sverige\"}},"
                   "\"tmf\":{\"roles\":[\"country\",\"place\"],\"ticket_type\":false}}]",
                   add_facts, &cfg, &errors);
    ok(rc == SEAM_OK, "a fact declared in JSON loads");
    if (rc != SEAM_OK)
        diag("%s", errors);
    int k = rc == SEAM_OK ? fact_find(cfg->fact_kinds, cfg->nfact_kinds, "country") : -1;
    ok(k == FACT_COUNT, "... after the facts the code names");
    ok(k >= 0 && cfg->fact_kinds[k].source == FACT_FROM_EITHER && cfg->fact_kinds[k].optional &&
           cfg->fact_kinds[k].vocab == FACT_VOCAB_INLINE && cfg->vocab[k].n == 2 &&
           !strcmp(cfg->vocab[k].v[1], "se"),
       "... its source either, optional, its inline values");
    ok(k >= 0 && cfg->fact_kinds[k].tmf_roles &&
           !strcmp(cfg->fact_kinds[k].tmf_roles[1], "place") && !cfg->fact_kinds[k].tmf_type,
       "... its TMF621 roles");
    ok(k >= 0 && fact_from_complaint(&cfg->fact_kinds[k]) && fact_from_record(&cfg->fact_kinds[k]),
       "... either: the complaint may give it, the record does");
    config_free(cfg);
    free(errors);

    /* the place: bundles map per country */
    rc = load_with("[{\"name\":\"country\",\"source\":\"either\",\"values\":[\"no\",\"se\"],"
                   "\"labels\":{\"en\":\"Country\",\"sv\":\"Land\"},\"place\":true}]",
                   add_facts, &cfg, &errors);
    ok(rc == SEAM_EINVAL &&
           strstr(errors, "$.bundles[0].services.internet.north: \"north\" is not a value of the "
                          "fact \"country\"") &&
           strstr(errors, "no provider for country \"se\""),
       "a fact declared the place: bundles' per-place mappings key on it (region no longer)");
    config_free(cfg);
    free(errors);

    /* ---- each bad shape, refused naming the path ---- */
    refused("$.facts not an array", "{}", set_facts, "facts.json: $.facts: expected");
    refused("an empty $.facts", "[]", set_facts, "$.facts: expected a non-empty array");
    refused("a fact without labels",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"]}]", add_facts,
            "$.facts[6].labels: missing required key");
    refused("labels without English",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"fr\":\"X\",\"de\":\"X\"}}]",
            add_facts, "$.facts[6].labels: labels must give English (\"en\")");
    refused("labels in English only",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\"}}]",
            add_facts, "$.facts[6].labels: labels must give English and at least one other");
    refused("a label language that is not a tag",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"French\":\"X\"}}]",
            add_facts, "$.facts[6].labels.French: \"French\" is not a language tag");
    refused("an empty label",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].labels.en: expected a label of 1 to 200 bytes");
    refused("an unknown source",
            "[{\"name\":\"x1\",\"source\":\"crm\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].source: unknown source \"crm\"");
    refused("a duplicate name",
            "[{\"name\":\"symptom\",\"source\":\"complaint\",\"values\":\"symptoms\","
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].name: fact \"symptom\" is declared twice");
    refused("a reserved name",
            "[{\"name\":\"status\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].name: \"status\" is a reserved name");
    refused("a name that is not an identifier",
            "[{\"name\":\"Line Type\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].name: \"Line Type\" is not an identifier");
    refused("an unknown vocabulary",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":\"countries\","
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].values: vocabulary \"countries\" is unknown");
    refused("a section that is not a vocabulary",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":\"partners\","
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].values: vocabulary \"partners\" is unknown");
    refused("an empty inline vocabulary",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].values: must list at least one value");
    refused("a value label for no value",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"},"
            "\"value_labels\":{\"b\":{\"en\":\"B\",\"fr\":\"B\"}}}]",
            add_facts, "$.facts[6].value_labels.b: \"b\" is not a value of the fact \"x1\"");
    refused("a value label without English",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"},"
            "\"value_labels\":{\"a\":{\"fr\":\"A\",\"de\":\"A\"}}}]",
            add_facts, "$.facts[6].value_labels.a: labels must give English");
    refused("an unknown key in a fact",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"},\"colour\":1}]",
            add_facts, "$.facts[6].colour: unknown key");
    refused("a fact the code names left out", "{\"name\":\"equipment\",\"with\":null}", change_fact,
            "$.facts: must declare \"equipment\": the code names it");
    refused("the priority from another source",
            "{\"name\":\"priority\",\"with\":{\"source\":\"complaint\"}}", change_fact,
            "$.facts[5].source: only the fact \"priority\" has the source \"priority\"");
    refused("another fact from the priority",
            "[{\"name\":\"x1\",\"source\":\"priority\",\"values\":\"priorities\","
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].source: only the fact \"priority\" has the source");
    refused("the bundle from the complaint",
            "{\"name\":\"bundle\",\"with\":{\"source\":\"complaint\"}}", change_fact,
            "$.facts[0].source: the bundle comes from the customer record");
    refused("the bundle's values another list",
            "{\"name\":\"bundle\",\"with\":{\"values\":\"regions\"}}", change_fact,
            "$.facts[0].values: the bundle's values are \"bundles\"");
    refused("the region from the complaint alone",
            "{\"name\":\"region\",\"with\":{\"source\":\"complaint\"}}", change_fact,
            "$.facts[1].source: the region comes from the customer record");
    refused("two places",
            "[{\"name\":\"x1\",\"source\":\"record\",\"values\":[\"a\"],\"place\":true,"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}},"
            "{\"name\":\"x2\",\"source\":\"either\",\"values\":[\"a\"],\"place\":true,"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[7].place: only one fact is the place (\"x1\" is already)");
    refused("a place the complaint alone gives",
            "[{\"name\":\"x1\",\"source\":\"complaint\",\"values\":[\"a\"],\"place\":true,"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts[6].place: the place comes from the customer record");
    refused("more facts than a table holds",
            "[{\"name\":\"a1\",\"source\":\"complaint\",\"values\":[\"a\"],"
            "\"labels\":{\"en\":\"X\",\"fr\":\"X\"}},"
            "{\"name\":\"a2\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a3\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a4\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a5\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a6\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a7\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a8\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a9\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":\"X\","
            "\"fr\":\"X\"}},"
            "{\"name\":\"a10\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":"
            "\"X\",\"fr\":\"X\"}},"
            "{\"name\":\"a11\",\"source\":\"complaint\",\"values\":[\"a\"],\"labels\":{\"en\":"
            "\"X\",\"fr\":\"X\"}}]",
            add_facts, "$.facts: at most 16 facts");

    json_decref(example);
    return done_testing();
}
