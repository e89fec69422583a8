/*
 * test_route_deps.c: services that depend on others, on small federations
 * written here as JSON text and read by the real configuration loader:
 * $.services entries as {"id","depends_on"} beside plain ids; the loader's
 * refusals (an unknown upstream, an object outside $.services, a rule's
 * dependency that is not a word, upstream_first with several owners, a
 * dependency on a rule whose services ride on nothing); routing with a
 * rule's dependency (upstream_first: the upstream's provider first and the
 * rule's owner next in the chain, also where one company provides both;
 * joint; none); explain's dependency; route_possible_owner; and
 * route_check's dependency cycles, unresolvable upstreams and a conflict
 * between two rules that differ only in their dependency.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "route.h"
#include "config_text.h"
#include "tap.h"

/*
 * The federation "hq": services tv, internet, wiring (the first %s: the
 * services list); partners sky (tv), fib and nord (internet), uni (tv and
 * internet); bundles "full" (internet by region), "tvonly" (tv, no
 * internet) and "uni" (one partner for both). The second %s: the rules.
 */
static const char base[] =
    "{\"federation\":\"test\",\"listen\":\"127.0.0.1:1\",\"data_dir\":\"/nonexistent\","
    "\"lead\":{\"id\":\"hq\",\"name\":\"HQ\",\"calendar\":\"all\",\"sla_policy\":\"std\"},"
    "\"services\":[%s],"
    "\"symptoms\":[\"no_signal\",\"slow\"],"
    "\"equipment\":[\"box\",\"router\"],"
    "\"regions\":[\"north\",\"south\"],"
    "\"calendars\":{\"all\":{\"timezone\":\"UTC\",\"hours\":\"24x7\"}},"
    "\"sla_policies\":{\"std\":{\"calendar\":\"all\",\"targets\":{"
    "\"low\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"normal\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"high\":{\"ack_minutes\":60,\"resolve_minutes\":600},"
    "\"urgent\":{\"ack_minutes\":60,\"resolve_minutes\":600}}}},"
    "\"partners\":["
    "{\"id\":\"sky\",\"name\":\"Sky\",\"services\":[\"tv\"],\"delivery\":{\"mode\":\"pull\"},"
    "\"sla_policy\":\"std\"},"
    "{\"id\":\"fib\",\"name\":\"Fib\",\"services\":[\"internet\"],\"delivery\":{\"mode\":\"pull\"},"
    "\"sla_policy\":\"std\"},"
    "{\"id\":\"nord\",\"name\":\"Nord\",\"services\":[\"internet\"],\"delivery\":{\"mode\":"
    "\"pull\"},\"sla_policy\":\"std\"},"
    "{\"id\":\"uni\",\"name\":\"Uni\",\"services\":[\"tv\",\"internet\"],"
    "\"delivery\":{\"mode\":\"pull\"},\"sla_policy\":\"std\"}],"
    "\"bundles\":["
    "{\"id\":\"full\",\"name\":\"Full\",\"services\":{\"tv\":\"sky\","
    "\"internet\":{\"north\":\"fib\",\"south\":\"nord\"},\"wiring\":\"lead\"}},"
    "{\"id\":\"tvonly\",\"name\":\"TV\",\"services\":{\"tv\":\"sky\"}},"
    "{\"id\":\"uni\",\"name\":\"Uni\",\"services\":{\"tv\":\"uni\",\"internet\":\"uni\"}}],"
    "\"rules\":[%s]}";

#define TV_OVER_NET "{\"id\":\"tv\",\"depends_on\":[\"internet\"]},\"internet\",\"wiring\""
#define PLAIN "\"tv\",\"internet\",\"wiring\""
#define DEFAULT_RULE "{\"id\":\"default\",\"match\":{},\"owners\":\"lead\"}"
/* TV in the bundles with internet, owned as the dependency says (%s: a "dependency" member). */
#define TV_RULE                                                                                    \
    "{\"id\":\"tv-out\",\"match\":{\"service\":\"tv\",\"bundle\":[\"full\",\"uni\"]},"             \
    "\"owners\":\"provider_of:tv\",\"fallback\":[\"lead\"]%s},"

/* The federation with these services and rules; NULL and *errors (if given) if refused. */
static struct config *
load(const char *services, const char *rules, char **errors)
{
    return config_from(errors, base, services, rules);
}

/* Whether the federation is refused with a problem containing want. */
static int
refused_with(const char *services, const char *rules, const char *want)
{
    char *err = NULL;
    struct config *cfg = load(services, rules, &err);
    int hit = cfg == NULL && err != NULL && strstr(err, want) != NULL;
    if (!hit)
        fprintf(stderr, "# wanted \"%s\" in: %s\n", want, err ? err : "(loaded)");
    config_free(cfg);
    free(err);
    return hit;
}

static struct route_facts
facts(const char *bundle, const char *region, const char *service)
{
    struct route_facts f;
    memset(&f, 0, sizeof(f));
    f.v[FACT_BUNDLE] = bundle;
    f.v[FACT_REGION] = region;
    f.v[FACT_SERVICE] = service;
    f.v[FACT_SYMPTOM] = "no_signal";
    f.v[FACT_PRIORITY] = "normal";
    return f;
}

/* The partners joined by ",". */
static const char *
joined(const struct route_owner *o, size_t n)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, o[i].partner);
    }
    return buf;
}

/* A rules text with the TV rule's dependency member and the default rule (static buffer). */
static const char *
tv_rules(const char *dependency)
{
    static char buf[512];
    char member[64] = "";
    if (dependency != NULL)
        snprintf(member, sizeof(member), ",\"dependency\":\"%s\"", dependency);
    snprintf(buf, sizeof(buf), TV_RULE DEFAULT_RULE, member);
    return buf;
}

static void
test_loading(void)
{
    struct config *cfg = load(TV_OVER_NET, tv_rules("upstream_first"), NULL);
    ok(cfg != NULL, "services as {\"id\",\"depends_on\"} beside plain ids load");
    if (cfg != NULL) {
        const struct strlist *d = config_depends_on(cfg, "tv");
        ok(d != NULL && d->n == 1 && strcmp(d->v[0], "internet") == 0, "tv depends on internet");
        d = config_depends_on(cfg, "internet");
        ok(d != NULL && d->n == 0, "internet on nothing");
        ok(config_depends_on(cfg, "radio") == NULL, "no such service: NULL");
        ok(cfg->services.n == 3 && strcmp(cfg->services.v[0], "tv") == 0,
           "the vocabulary holds the object's id");
        ok(cfg->rules[0].dependency == DEP_UPSTREAM_FIRST, "the rule's dependency is read");
        ok(cfg->rules[1].dependency == DEP_NONE, "absent: none");
    }
    config_free(cfg);
    cfg = load(PLAIN, DEFAULT_RULE, NULL);
    ok(cfg != NULL && config_depends_on(cfg, "tv") != NULL && config_depends_on(cfg, "tv")->n == 0,
       "plain services still load, depending on nothing");
    config_free(cfg);

    ok(refused_with("{\"id\":\"tv\",\"depends_on\":[\"fibre\"]},\"internet\",\"wiring\"",
                    DEFAULT_RULE,
                    "$.services[0].depends_on: depends_on names no service \"fibre\""),
       "a depends_on naming no service is refused at its path");
    ok(refused_with("{\"id\":\"tv\",\"depends_on\":[\"internet\"],\"via\":\"x\"},\"internet\","
                    "\"wiring\"",
                    DEFAULT_RULE, "$.services[0]"),
       "an unknown key in a service object is refused");
    ok(refused_with("{\"id\":\"tv\"},\"internet\",\"wiring\"", DEFAULT_RULE, "depends_on"),
       "a service object without depends_on is refused");
    ok(refused_with(TV_OVER_NET, tv_rules("sideways"), "$.rules[0].dependency"),
       "a dependency that is not none, upstream_first or joint is refused");
    ok(refused_with(TV_OVER_NET,
                    "{\"id\":\"two\",\"match\":{\"service\":\"tv\"},\"owners\":[\"provider_of:tv\","
                    "\"lead\"],\"mode\":\"joint\",\"dependency\":\"upstream_first\"}," DEFAULT_RULE,
                    "takes one owner"),
       "upstream_first with several owners is refused");
    ok(refused_with(TV_OVER_NET,
                    "{\"id\":\"net\",\"match\":{\"service\":\"internet\"},\"owners\":"
                    "\"provider_of:internet\",\"dependency\":\"joint\"}," DEFAULT_RULE,
                    "none of the rule's services depends on another"),
       "a dependency on a rule whose services ride on nothing is refused");
}

static void
test_routing(void)
{
    struct route_result res;
    struct route_facts f;
    struct config *cfg = load(TV_OVER_NET, tv_rules("upstream_first"), NULL);
    if (cfg == NULL) {
        ok(0, "upstream_first: the federation loads");
        return;
    }
    f = facts("full", "north", "tv");
    route_decide(cfg, &f, &res, NULL);
    ok(strcmp(joined(res.owners, res.nowners), "fib") == 0 && !res.joint,
       "upstream_first, north: the internet provider is the one owner (%s)",
       joined(res.owners, res.nowners));
    ok(strcmp(joined(res.fallback, res.nfallback), "sky,hq") == 0,
       "... the TV provider next in the chain, the lead last (%s)",
       joined(res.fallback, res.nfallback));
    ok(res.dep.applied && res.dep.mode == DEP_UPSTREAM_FIRST &&
           strcmp(res.owners[0].role, "provider_of:internet") == 0,
       "... applied, the owner's role names the upstream");
    f = facts("full", "south", "tv");
    route_decide(cfg, &f, &res, NULL);
    ok(strcmp(joined(res.owners, res.nowners), "nord") == 0 &&
           strcmp(joined(res.fallback, res.nfallback), "sky,hq") == 0,
       "... south: nord, then sky");
    f = facts("uni", "north", "tv");
    route_decide(cfg, &f, &res, NULL);
    ok(strcmp(joined(res.owners, res.nowners), "uni") == 0 &&
           strcmp(joined(res.fallback, res.nfallback), "hq") == 0,
       "... one company providing both: one owner, not twice in the chain (%s / %s)",
       joined(res.owners, res.nowners), joined(res.fallback, res.nfallback));
    f = facts("full", "north", "tv");
    ok(route_possible_owner(cfg, &f, "fib") && route_possible_owner(cfg, &f, "sky") &&
           !route_possible_owner(cfg, &f, "nord"),
       "route_possible_owner: the upstream's provider and the rule's owner, not another region's");
    json_t *x = route_explain(cfg, &f);
    json_t *d = json_object_get(x, "dependency");
    ok(json_is_true(json_object_get(d, "applied")) &&
           strcmp(json_string_value(json_object_get(d, "mode")), "upstream_first") == 0 &&
           strstr(json_string_value(json_object_get(d, "why")), "fib") != NULL,
       "explain: the dependency applied, and why");
    json_decref(x);
    config_free(cfg);

    cfg = load(TV_OVER_NET, tv_rules("joint"), NULL);
    if (cfg != NULL) {
        f = facts("full", "south", "tv");
        route_decide(cfg, &f, &res, NULL);
        ok(strcmp(joined(res.owners, res.nowners), "sky,nord") == 0 && res.joint,
           "joint: the TV and the internet provider, jointly (%s)",
           joined(res.owners, res.nowners));
        ok(strcmp(joined(res.fallback, res.nfallback), "hq") == 0, "... the rule's chain");
        f = facts("uni", "south", "tv");
        route_decide(cfg, &f, &res, NULL);
        ok(strcmp(joined(res.owners, res.nowners), "uni") == 0 && !res.joint,
           "... one company providing both: single");
    } else {
        ok(0, "joint: the federation loads");
    }
    config_free(cfg);

    cfg = load(TV_OVER_NET, tv_rules(NULL), NULL);
    if (cfg != NULL) {
        f = facts("full", "north", "tv");
        route_decide(cfg, &f, &res, NULL);
        ok(strcmp(joined(res.owners, res.nowners), "sky") == 0 && !res.dep.applied &&
               res.dep.depends_on != NULL && res.dep.nupstream == 1,
           "none: the rule's owner; the upstream is known but not followed");
        x = route_explain(cfg, &f);
        d = json_object_get(x, "dependency");
        ok(json_is_false(json_object_get(d, "applied")) &&
               strstr(json_string_value(json_object_get(d, "why")), "dependency none") != NULL,
           "... explain says so");
        json_decref(x);
        f = facts("full", "north", "internet");
        x = route_explain(cfg, &f);
        d = json_object_get(x, "dependency");
        ok(json_is_false(json_object_get(d, "applied")) &&
               json_array_size(json_object_get(d, "depends_on")) == 0,
           "a service riding on nothing: explain's dependency says so");
        json_decref(x);
    } else {
        ok(0, "none: the federation loads");
    }
    config_free(cfg);
}

static void
test_check(void)
{
    int fatal = 0;
    /* The TV rule does not limit its bundles: in "tvonly" there is no internet. */
    struct config *cfg =
        load(TV_OVER_NET,
             "{\"id\":\"tv-out\",\"match\":{\"service\":\"tv\",\"bundle\":[\"full\",\"tvonly\"]},"
             "\"owners\":\"provider_of:tv\",\"dependency\":\"upstream_first\"}," DEFAULT_RULE,
             NULL);
    if (cfg != NULL) {
        struct route_result res;
        struct route_facts f = facts("tvonly", "north", "tv");
        route_decide(cfg, &f, &res, NULL);
        ok(strcmp(joined(res.owners, res.nowners), "sky") == 0 && !res.dep.applied &&
               res.dep.missing != NULL && strcmp(res.dep.missing, "internet") == 0,
           "no internet in the bundle: not applied, the rule's owner stands, the missing named");
        json_t *r = route_check(cfg, &fatal);
        json_t *u = json_object_get(r, "unresolvable_upstreams");
        json_t *e = json_array_get(json_object_get(u, "examples"), 0);
        ok(fatal && json_integer_value(json_object_get(u, "count")) > 0,
           "the check reports the unresolvable upstream, fatal");
        ok(e != NULL &&
               strcmp(json_string_value(json_object_get(json_object_get(e, "facts"), "bundle")),
                      "tvonly") == 0 &&
               strcmp(json_string_value(json_object_get(e, "upstream")), "internet") == 0,
           "... in the bundle without it, naming the upstream");
        json_decref(r);
    } else {
        ok(0, "unresolvable upstream: the federation loads");
    }
    config_free(cfg);

    cfg = load(TV_OVER_NET, tv_rules("upstream_first"), NULL);
    if (cfg != NULL) {
        json_t *r = route_check(cfg, &fatal);
        ok(!fatal && json_integer_value(json_object_get(
                         json_object_get(r, "unresolvable_upstreams"), "count")) == 0,
           "limited to the bundles with internet: clean");
        json_decref(r);
    }
    config_free(cfg);

    cfg = load("{\"id\":\"tv\",\"depends_on\":[\"internet\"]},{\"id\":\"internet\",\"depends_on\":"
               "[\"wiring\"]},{\"id\":\"wiring\",\"depends_on\":[\"tv\"]}",
               DEFAULT_RULE, NULL);
    if (cfg != NULL) {
        json_t *r = route_check(cfg, &fatal);
        json_t *c = json_object_get(r, "dependency_cycles");
        json_t *cy = json_object_get(json_array_get(json_object_get(c, "examples"), 0), "cycle");
        ok(fatal && json_integer_value(json_object_get(c, "count")) == 1 &&
               json_array_size(cy) == 4 &&
               strcmp(json_string_value(json_array_get(cy, 0)), "tv") == 0 &&
               strcmp(json_string_value(json_array_get(cy, 3)), "tv") == 0,
           "a cycle of three is one finding, fatal, named around");
        json_decref(r);
    } else {
        ok(0, "a cycle loads (the check reports it)");
    }
    config_free(cfg);
    cfg = load("\"tv\",\"internet\",{\"id\":\"wiring\",\"depends_on\":[\"wiring\"]}", DEFAULT_RULE,
               NULL);
    if (cfg != NULL) {
        json_t *r = route_check(cfg, &fatal);
        ok(fatal && json_integer_value(
                        json_object_get(json_object_get(r, "dependency_cycles"), "count")) == 1,
           "a service depending on itself is a cycle");
        json_decref(r);
    }
    config_free(cfg);

    /* Two rules as specific and ranked alike, one following the dependency: a conflict. */
    cfg = load(TV_OVER_NET,
               "{\"id\":\"a\",\"match\":{\"service\":\"tv\",\"bundle\":\"full\"},\"owners\":"
               "\"provider_of:tv\"},"
               "{\"id\":\"b\",\"match\":{\"service\":\"tv\",\"symptom\":\"no_signal\"},\"owners\":"
               "\"provider_of:tv\",\"dependency\":\"upstream_first\"}," DEFAULT_RULE,
               NULL);
    if (cfg != NULL) {
        json_t *r = route_check(cfg, &fatal);
        ok(fatal &&
               json_integer_value(json_object_get(json_object_get(r, "conflicts"), "count")) > 0,
           "two rules differing only in their dependency are a conflict");
        json_decref(r);
    }
    config_free(cfg);
}

int
main(void)
{
    test_loading();
    test_routing();
    test_check();
    return done_testing();
}
