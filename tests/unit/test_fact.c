/*
 * test_fact.c: the table of the facts of a complaint (fact.h). The rows of
 * fact_kinds[] are consistent, and the example federation's vocabularies,
 * coverage check and enumeration order follow from them. Then the proof
 * that adding a fact is one row plus its vocabulary: a table with one more
 * row (visited_country, a roaming customer's country, vocabulary
 * "countries") loads tests/configs/extra-fact.json, which the built-in
 * table refuses; the new fact's values are checked in rules, rules route
 * on it, explain names it, and the coverage check enumerates it, all
 * through the same code and no other change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "route.h"
#include "tap.h"

static const char *root = ".";

static char *
read_conf(const char *rel, size_t *len)
{
    char path[512], *text = NULL;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    if (read_file(path, 4 << 20, &text, len) != SEAM_OK)
        return NULL;
    return text;
}

/* Loads text (changed by a jq-like edit of root JSON when edit is set) with kinds. */
static char *
load_edit(const char *text, size_t len, const struct fact_kind *kinds, size_t n,
          void (*edit)(json_t *), struct config **keep)
{
    char *changed = NULL, *errors = NULL;
    struct config *cfg = NULL;
    if (edit != NULL) {
        json_t *j = json_loadb(text, len, 0, NULL);
        edit(j);
        changed = json_dumps(j, JSON_INDENT(1));
        json_decref(j);
        text = changed;
        len = strlen(changed);
    }
    enum seam_err rc = config_load_buffer_facts("test", text, len, kinds, n, &cfg, &errors);
    free(changed);
    if (rc != SEAM_OK)
        return errors;
    if (keep != NULL)
        *keep = cfg;
    else
        config_free(cfg);
    return strdup("");
}

static void
unknown_country(json_t *j)
{
    json_t *rules = json_object_get(j, "rules");
    json_t *m = json_object_get(json_array_get(rules, json_array_size(rules) - 2), "match");
    json_object_set_new(m, "visited_country", json_pack("[s, s]", "se", "fi"));
}
static void
no_countries(json_t *j)
{
    json_object_del(j, "countries");
}
static void
empty_countries(json_t *j)
{
    json_object_set_new(j, "countries", json_array());
}

/* The facts of a phone complaint from the north, on the phone-only bundle, in country. */
static void
phone_facts(struct route_facts *f, const char *country)
{
    memset(f, 0, sizeof(*f));
    f->v[FACT_SERVICE] = "phone";
    f->v[FACT_SYMPTOM] = "no_dial_tone";
    f->v[FACT_REGION] = "north";
    f->v[FACT_BUNDLE] = "phone-only";
    f->v[FACT_PRIORITY] = "normal";
    f->v[FACT_COUNT] = country; /* the extra fact's index */
}

/* The product over the table of each fact's values (and "not given" for an optional one). */
static unsigned long
combinations(const struct config *cfg)
{
    unsigned long n = 1;
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        n *= cfg->vocab[k].n + (cfg->fact_kinds[k].optional ? 1 : 0);
    return n;
}

int
main(void)
{
    if (access("conf/seam.json", R_OK) != 0)
        root = "..";

    /* ---- the built-in table ---- */
    int names_ok = 1, keys_ok = 1, sweeps_ok = 1, rows_ok = 1, compat_ok = 1;
    for (size_t i = 0; i < FACT_COUNT; i++) {
        const struct fact_kind *k = &fact_kinds[i];
        if (k->name == NULL || fact_find(fact_kinds, FACT_COUNT, k->name) != (int)i)
            names_ok = 0;
        if (k->name == NULL || strcmp(fact_names[i], k->name) != 0)
            compat_ok = 0;
        if (k->max_len == 0 || (k->vocab == FACT_VOCAB_LIST) != (k->vocab_key != NULL))
            rows_ok = 0;
        for (size_t j = 0; j < i; j++) {
            if (k->vocab_key && fact_kinds[j].vocab_key &&
                !strcmp(k->vocab_key, fact_kinds[j].vocab_key))
                keys_ok = 0;
            if (k->sweep == fact_kinds[j].sweep)
                sweeps_ok = 0;
        }
    }
    ok(names_ok, "every row has a name, and fact_find finds it");
    ok(compat_ok, "fact_names[] (ticket.c's until filing walks the table) agrees with it");
    ok(rows_ok, "every row has a body length, and a list's key exactly when its vocabulary is one");
    ok(keys_ok, "no two facts share a vocabulary key");
    ok(sweeps_ok, "no two facts share an odometer rank");
    ok(fact_find(fact_kinds, FACT_COUNT, "visited_country") == -1, "an unknown name is not found");
    ok(fact_required(&fact_kinds[FACT_SYMPTOM]) && !fact_required(&fact_kinds[FACT_SERVICE]) &&
           !fact_required(&fact_kinds[FACT_EQUIPMENT]) &&
           !fact_required(&fact_kinds[FACT_REGION]) && !fact_required(&fact_kinds[FACT_PRIORITY]),
       "the customer must file a symptom; service and equipment are optional");
    size_t order[FACT_MAX];
    fact_sweep_order(fact_kinds, FACT_COUNT, order);
    ok(order[0] == FACT_BUNDLE && order[1] == FACT_REGION && order[2] == FACT_SERVICE &&
           order[3] == FACT_SYMPTOM && order[4] == FACT_EQUIPMENT && order[5] == FACT_PRIORITY,
       "the odometer turns bundle, region, service, symptom, equipment, priority (fastest)");

    struct config *cfg = NULL;
    char *errors = NULL;
    char path[512];
    snprintf(path, sizeof(path), "%s/conf/seam.json", root);
    ok(config_load(path, &cfg, &errors) == SEAM_OK, "the example federation loads");
    ok(cfg && cfg->declared != NULL && cfg->fact_kinds == cfg->declared &&
           cfg->nfact_kinds == FACT_COUNT,
       "with the table its $.facts declares (fact_kinds[]'s rows: test_config_facts.c)");
    ok(cfg && cfg->vocab[FACT_SERVICE].n == 4 && cfg->vocab[FACT_SYMPTOM].n == 9 &&
           cfg->vocab[FACT_EQUIPMENT].n == 7 && cfg->vocab[FACT_REGION].n == 2 &&
           cfg->vocab[FACT_BUNDLE].n == cfg->nbundles && cfg->vocab[FACT_PRIORITY].n == PRIO_COUNT,
       "each fact has its vocabulary, the bundles' ids and the priorities included");
    ok(cfg && &cfg->regions == &cfg->vocab[FACT_REGION] && &cfg->services == &cfg->vocab[0],
       "the named vocabularies are the table's");
    ok(cfg && route_fact_known(cfg, FACT_BUNDLE, "phone-only") &&
           route_fact_known(cfg, FACT_PRIORITY, "urgent") &&
           !route_fact_known(cfg, FACT_SYMPTOM, "smoke") &&
           !route_fact_known(cfg, (enum fact)FACT_COUNT, "se"),
       "a value is known by its fact's vocabulary; a fact outside the table knows none");
    int fatal = 1;
    json_t *report = cfg ? route_check(cfg, &fatal) : NULL;
    ok(report && json_integer_value(json_object_get(report, "combinations")) == 8640 &&
           combinations(cfg) == 8640 && !fatal,
       "the coverage check enumerates 3 x 2 x 5 x 9 x 8 x 4 = 8640 combinations");
    json_decref(report);
    config_free(cfg);

    /* ---- one more row: visited_country ---- */
    struct fact_kind kinds[FACT_COUNT + 1];
    memcpy(kinds, fact_kinds, sizeof(fact_kinds));
    kinds[FACT_COUNT] = (struct fact_kind){
        "visited_country", FACT_VOCAB_LIST, "countries", FACT_FROM_COMPLAINT, 1, 64, 6, NULL, 0};
    size_t len;
    char *text = read_conf("tests/configs/extra-fact.json", &len);
    ok(text != NULL, "tests/configs/extra-fact.json reads");
    if (text == NULL)
        return done_testing();

    errors = load_edit(text, len, fact_kinds, FACT_COUNT, NULL, NULL);
    ok(strstr(errors, "test: $.countries: unknown key\n") &&
           strstr(errors, ".match.visited_country: unknown key\n"),
       "without the row, the vocabulary and the rule's condition are unknown keys");
    free(errors);

    cfg = NULL;
    errors = load_edit(text, len, kinds, FACT_COUNT + 1, NULL, &cfg);
    ok(cfg != NULL, "with the row, the configuration loads");
    if (cfg == NULL) {
        printf("# %s", errors);
        free(errors);
        free(text);
        return done_testing();
    }
    free(errors);
    ok(cfg->nfact_kinds == FACT_COUNT + 1 && cfg->vocab[FACT_COUNT].n == 3 &&
           !strcmp(cfg->vocab[FACT_COUNT].v[1], "se"),
       "the new fact's vocabulary is $.countries");
    const struct config_rule *roaming = &cfg->rules[cfg->nrules - 2];
    ok(!strcmp(roaming->id, "roaming-phone") && roaming->match[FACT_COUNT].n == 2,
       "a rule matches on it");

    struct route_facts f;
    struct route_result res;
    phone_facts(&f, "se");
    route_decide(cfg, &f, &res, NULL);
    ok(res.rule && !strcmp(res.rule->id, "roaming-phone") && res.nowners == 1 &&
           !strcmp(res.owners[0].partner, cfg->lead.id),
       "a phone complaint from Sweden goes to the lead's roaming desk");
    phone_facts(&f, "no");
    route_decide(cfg, &f, &res, NULL);
    ok(res.rule && !strcmp(res.rule->id, "phone-line") && !strcmp(res.owners[0].partner, "nordtel"),
       "the same complaint from Norway goes to the phone partner");
    phone_facts(&f, NULL);
    route_decide(cfg, &f, &res, NULL);
    ok(res.rule && !strcmp(res.rule->id, "phone-line"), "and so does one that does not say");

    phone_facts(&f, "no");
    json_t *ex = route_explain(cfg, &f), *c;
    size_t i;
    const char *why = NULL;
    json_array_foreach(json_object_get(ex, "considered"), i, c)
    {
        if (!strcmp(json_string_value(json_object_get(c, "rule")), "roaming-phone"))
            why = json_string_value(json_object_get(c, "why_not"));
    }
    ok(!strcmp(json_string_value(json_object_get(json_object_get(ex, "facts"), "visited_country")),
               "no"),
       "explain lists the new fact among the facts");
    ok(why && !strcmp(why, "visited_country is \"no\", the rule wants \"se\" or \"dk\""),
       "and says why the roaming rule did not match (%s)", why ? why : "none");
    json_decref(ex);
    ok(route_fact_known(cfg, (enum fact)FACT_COUNT, "dk") &&
           !route_fact_known(cfg, (enum fact)FACT_COUNT, "fi"),
       "its values are known by its vocabulary");

    report = route_check(cfg, &fatal);
    ok(json_integer_value(json_object_get(report, "combinations")) == 8640 * 4 &&
           combinations(cfg) == 8640 * 4,
       "the coverage check's odometer turns the new fact too: 8640 x (3 countries + not given)");
    ok(!fatal &&
           json_integer_value(json_object_get(json_object_get(report, "conflicts"), "count")) ==
               0 &&
           json_array_size(json_object_get(json_object_get(report, "shadowed"), "rules")) == 0,
       "no conflicts, and the roaming rule is not shadowed");
    json_t *gap = json_array_get(json_object_get(json_object_get(report, "gaps"), "examples"), 0);
    ok(json_object_get(json_object_get(gap, "facts"), "visited_country") != NULL,
       "its examples name the new fact");
    json_decref(report);
    config_free(cfg);

    kinds[FACT_COUNT].optional = 0;
    cfg = NULL;
    errors = load_edit(text, len, kinds, FACT_COUNT + 1, NULL, &cfg);
    report = cfg ? route_check(cfg, &fatal) : NULL;
    ok(report && json_integer_value(json_object_get(report, "combinations")) == 8640 * 3,
       "a fact the complaint must give is never enumerated \"not given\"");
    json_decref(report);
    config_free(cfg);
    free(errors);
    kinds[FACT_COUNT].optional = 1;

    errors = load_edit(text, len, kinds, FACT_COUNT + 1, unknown_country, NULL);
    ok(strstr(errors,
              ".match.visited_country: \"fi\" is not in the visited_country vocabulary\n") != NULL,
       "a rule's value outside the new vocabulary is refused, naming the fact");
    free(errors);
    errors = load_edit(text, len, kinds, FACT_COUNT + 1, no_countries, NULL);
    ok(strstr(errors, "test: $.countries: missing required key\n") != NULL,
       "the new vocabulary is required");
    free(errors);
    errors = load_edit(text, len, kinds, FACT_COUNT + 1, empty_countries, NULL);
    ok(strstr(errors, "test: $.countries: must list at least one value\n") != NULL,
       "and may not be empty");
    free(errors);

    /* A table must begin with the built-in rows, name each fact once, and fit. */
    struct fact_kind bad[FACT_MAX + 1];
    memcpy(bad, kinds, sizeof(kinds));
    bad[FACT_COUNT].name = "service";
    errors = load_edit(text, len, bad, FACT_COUNT + 1, NULL, NULL);
    ok(strstr(errors, "table of fact kinds") != NULL, "a table naming a fact twice is refused");
    free(errors);
    memcpy(bad, kinds, sizeof(kinds));
    bad[FACT_SERVICE] = kinds[FACT_SYMPTOM];
    bad[FACT_SYMPTOM] = kinds[FACT_SERVICE];
    errors = load_edit(text, len, bad, FACT_COUNT + 1, NULL, NULL);
    ok(strstr(errors, "table of fact kinds") != NULL,
       "a table whose first rows are not fact_kinds[]'s is refused");
    free(errors);
    static char names[FACT_MAX + 1][8];
    for (size_t k = 0; k <= FACT_MAX; k++) {
        bad[k] = kinds[k < FACT_COUNT ? k : FACT_COUNT];
        if (k >= FACT_COUNT) { /* distinct facts, each ranging over the priorities */
            snprintf(names[k], sizeof(names[k]), "x%zu", k);
            bad[k].name = names[k];
            bad[k].vocab = FACT_VOCAB_PRIORITIES;
            bad[k].vocab_key = NULL;
        }
    }
    errors = load_edit(text, len, bad, FACT_MAX, NULL, NULL);
    ok(errors[0] == '\0' || strstr(errors, "table of fact kinds") == NULL,
       "a table of FACT_MAX rows fits");
    free(errors);
    errors = load_edit(text, len, bad, FACT_MAX + 1, NULL, NULL);
    ok(strstr(errors, "table of fact kinds") != NULL, "a table longer than FACT_MAX is refused");
    free(errors);
    free(text);
    return done_testing();
}
