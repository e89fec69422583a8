/*
 * test_route.c: the rule engine on small federations written here as JSON
 * text and read by the real configuration loader: the most specific rule
 * wins and rank breaks ties of specificity; owners resolve through the
 * customer's bundle and region or by partner id; fallback chains drop what
 * cannot be resolved and end with the lead; joint mode; a complaint no
 * rule can resolve goes to the lead, flagged; route_possible_owner; and
 * route_check's gaps, conflicts, unresolvable owners and fallbacks, and
 * shadowed rules. Dangling references are refused by the loader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "route.h"
#include "tap.h"

/*
 * The federation "hq": services tv, internet, wiring; partners sky (tv),
 * fib and nord (internet), uni (tv and internet); bundles "full" (internet
 * by region), "net" (internet only) and "uni" (one partner for both).
 */
static const char base[] =
    "{\"federation\":\"test\",\"listen\":\"127.0.0.1:1\",\"data_dir\":\"/nonexistent\","
    "\"lead\":{\"id\":\"hq\",\"name\":\"HQ\",\"calendar\":\"all\",\"sla_policy\":\"std\"},"
    "\"services\":[\"tv\",\"internet\",\"wiring\"],"
    "\"symptoms\":[\"no_signal\",\"slow\",\"billing\"],"
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
    "\"pull\"},"
    "\"sla_policy\":\"std\"},"
    "{\"id\":\"uni\",\"name\":\"Uni\",\"services\":[\"tv\",\"internet\"],"
    "\"delivery\":{\"mode\":\"pull\"},\"sla_policy\":\"std\"}],"
    "\"bundles\":["
    "{\"id\":\"full\",\"name\":\"Full\",\"services\":{\"tv\":\"sky\","
    "\"internet\":{\"north\":\"fib\",\"south\":\"nord\"},\"wiring\":\"lead\"}},"
    "{\"id\":\"net\",\"name\":\"Net\",\"services\":{\"internet\":\"nord\"}},"
    "{\"id\":\"uni\",\"name\":\"Uni\",\"services\":{\"tv\":\"uni\",\"internet\":\"uni\"}}],"
    "\"rules\":[%s]}";

#define DEFAULT_RULE "{\"id\":\"default\",\"match\":{},\"owners\":\"lead\"}"

/* The federation with these rules (a JSON array's inside); NULL and *errors if refused. */
static struct config *
load(const char *rules, char **errors)
{
    size_t n = strlen(base) + strlen(rules) + 1;
    char *text = malloc(n);
    snprintf(text, n, base, rules);
    struct config *cfg = NULL;
    char *err = NULL;
    enum seam_err rc = config_load_buffer("test.json", text, strlen(text), &cfg, &err);
    free(text);
    if (errors != NULL)
        *errors = err;
    else {
        if (err != NULL)
            fprintf(stderr, "%s", err);
        free(err);
    }
    if (rc != SEAM_OK) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

static struct route_facts
facts(const char *bundle, const char *region, const char *service, const char *symptom,
      const char *equipment, const char *priority)
{
    struct route_facts f;
    memset(&f, 0, sizeof(f));
    f.v[FACT_BUNDLE] = bundle;
    f.v[FACT_REGION] = region;
    f.v[FACT_SERVICE] = service;
    f.v[FACT_SYMPTOM] = symptom;
    f.v[FACT_EQUIPMENT] = equipment;
    f.v[FACT_PRIORITY] = priority;
    return f;
}

/* The winner's id ("-" if none) after routing these facts. */
static const char *
winner(const struct config *cfg, struct route_facts f, struct route_result *res)
{
    route_decide(cfg, &f, res, NULL);
    return res->rule ? res->rule->id : "-";
}

/* The owners' partners joined by ",". */
static const char *
owners_of(const struct route_owner *o, size_t n)
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

static void
test_specificity_and_rank(void)
{
    struct config *cfg = load(
        /* one condition, high rank */
        "{\"id\":\"tv-any\",\"match\":{\"service\":\"tv\"},\"owners\":\"lead\",\"rank\":100},"
        /* two conditions, rank 0: more specific, wins over rank */
        "{\"id\":\"tv-signal\",\"match\":{\"service\":\"tv\",\"symptom\":\"no_signal\"},"
        "\"owners\":\"provider_of:tv\"},"
        /* equal specificity (two conditions) to tv-signal's rivals below */
        "{\"id\":\"net-slow\",\"match\":{\"service\":\"internet\",\"symptom\":\"slow\"},"
        "\"owners\":\"provider_of:internet\",\"rank\":1},"
        "{\"id\":\"net-router\",\"match\":{\"service\":\"internet\",\"equipment\":\"router\"},"
        "\"owners\":\"lead\",\"rank\":2},"
        /* a list of values is still one condition */
        "{\"id\":\"billing\",\"match\":{\"symptom\":[\"billing\",\"slow\",\"no_signal\"]},"
        "\"owners\":\"lead\",\"rank\":-5}," DEFAULT_RULE,
        NULL);
    struct route_result res;
    ok(cfg != NULL, "a federation with ranked rules loads");
    if (cfg == NULL)
        return;
    ok(!strcmp(winner(cfg, facts("full", "north", "tv", "no_signal", NULL, "normal"), &res),
               "tv-signal"),
       "two matching conditions beat one of higher rank (%s)", res.rule ? res.rule->id : "-");
    ok(!strcmp(owners_of(res.owners, res.nowners), "sky") && !res.joint && !res.unroutable,
       "... single owner, provider_of:tv resolved to sky through the bundle");
    ok(!strcmp(winner(cfg, facts("full", "north", "tv", "slow", NULL, "normal"), &res), "tv-any"),
       "with only one condition met, the rank-100 rule beats the rank -5 one");
    ok(!strcmp(winner(cfg, facts("full", "north", "internet", "slow", "router", "normal"), &res),
               "net-router"),
       "equal specificity: the higher rank wins (%s)", res.rule ? res.rule->id : "-");
    ok(!strcmp(owners_of(res.owners, res.nowners), "hq"), "... and its owner is the lead, by id");
    ok(!strcmp(winner(cfg, facts("full", "north", "internet", "slow", "box", "normal"), &res),
               "net-slow"),
       "the rank-2 rule out of play (other equipment), the rank-1 rule wins");
    ok(!strcmp(winner(cfg, facts("full", "north", "wiring", "billing", NULL, "low"), &res),
               "billing"),
       "a rule of negative rank still beats the default (more specific)");
    ok(!strcmp(winner(cfg, facts("full", "north", NULL, "slow", NULL, "low"), &res), "billing"),
       "an absent service matches no rule that wants one");
    ok(!strcmp(winner(cfg, facts("full", "north", "wiring", NULL, NULL, "low"), &res), "default"),
       "nothing else matching, the default rule wins");
    ok(!strcmp(owners_of(res.owners, res.nowners), "hq") && !res.unroutable,
       "... owned by the lead, not flagged unroutable");

    json_t *considered = json_array();
    struct route_facts f = facts("full", "north", "tv", "no_signal", NULL, "normal");
    route_decide(cfg, &f, &res, considered);
    json_t *e = json_array_get(considered, 0);
    ok(json_array_size(considered) == cfg->nrules &&
           !strcmp(json_string_value(json_object_get(e, "rule")), "tv-any") &&
           json_is_true(json_object_get(e, "matched")) &&
           json_integer_value(json_object_get(e, "specificity")) == 1 &&
           json_integer_value(json_object_get(e, "rank")) == 100,
       "explain lists every rule, with specificity and rank");
    e = json_array_get(considered, 2);
    const char *why = json_string_value(json_object_get(e, "why_not"));
    ok(json_is_false(json_object_get(e, "matched")) && why && strstr(why, "service") &&
           strstr(why, "\"internet\""),
       "... and says why a rule did not match (%s)", why ? why : "null");
    json_decref(considered);
    config_free(cfg);
}

static void
test_owners_and_fallback(void)
{
    struct config *cfg = load(
        "{\"id\":\"net\",\"match\":{\"service\":\"internet\"},\"owners\":\"provider_of:internet\","
        "\"fallback\":[\"provider_of:tv\",\"provider_of:wiring\",\"lead\",\"nord\"]},"
        "{\"id\":\"tv\",\"match\":{\"service\":\"tv\"},\"owners\":\"sky\","
        "\"fallback\":[\"provider_of:internet\"]}," DEFAULT_RULE,
        NULL);
    struct route_result res;
    ok(cfg != NULL, "a federation with fallback chains loads");
    if (cfg == NULL)
        return;
    winner(cfg, facts("full", "north", "internet", "slow", NULL, "normal"), &res);
    ok(!strcmp(owners_of(res.owners, res.nowners), "fib"), "full, north: internet is fib");
    ok(!strcmp(owners_of(res.fallback, res.nfallback), "sky,hq,nord"),
       "... fallback sky, then wiring (the lead) once, then nord (%s)",
       owners_of(res.fallback, res.nfallback));
    ok(!strcmp(res.fallback[1].role, "provider_of:wiring"),
       "... the lead's entry keeps the role that named it first");
    winner(cfg, facts("full", "south", "internet", "slow", NULL, "normal"), &res);
    ok(!strcmp(owners_of(res.owners, res.nowners), "nord"), "full, south: internet is nord");
    winner(cfg, facts("net", "north", "internet", "slow", NULL, "normal"), &res);
    ok(!strcmp(owners_of(res.owners, res.nowners), "nord"),
       "bundle net: internet is nord in every region");
    ok(!strcmp(owners_of(res.fallback, res.nfallback), "hq,nord"),
       "... the chain skips tv and wiring, which net does not have (%s)",
       owners_of(res.fallback, res.nfallback));
    winner(cfg, facts("full", "north", "tv", "no_signal", NULL, "normal"), &res);
    ok(!strcmp(owners_of(res.owners, res.nowners), "sky") && !strcmp(res.owners[0].role, "sky"),
       "an owner named by partner id is that partner");
    ok(!strcmp(owners_of(res.fallback, res.nfallback), "fib,hq"),
       "a chain without the lead ends with the lead (%s)", owners_of(res.fallback, res.nfallback));
    winner(cfg, facts("full", "south", "tv", "no_signal", NULL, "normal"), &res);
    ok(!strcmp(owners_of(res.fallback, res.nfallback), "nord,hq"),
       "... its provider_of entry follows the region");

    ok(route_resolve(cfg, "provider_of:internet", "full", "north") &&
           !strcmp(route_resolve(cfg, "provider_of:internet", "full", "north"), "fib"),
       "route_resolve: by bundle and region");
    ok(route_resolve(cfg, "provider_of:tv", "net", "north") == NULL,
       "route_resolve: a service the bundle lacks resolves to nothing");
    ok(route_resolve(cfg, "provider_of:internet", "full", NULL) == NULL,
       "route_resolve: a per-region provider without a region resolves to nothing");
    ok(route_resolve(cfg, "provider_of:tv", "nobundle", "north") == NULL,
       "route_resolve: an unknown bundle resolves to nothing");
    ok(!strcmp(route_resolve(cfg, "provider_of:wiring", "full", "south"), "hq"),
       "route_resolve: a bundle's \"lead\" is the lead's id");
    ok(route_resolve(cfg, "ghost", "full", "south") == NULL, "route_resolve: unknown partner");

    /* route_possible_owner: an owner or fallback of any matching, resolving rule. */
    struct route_facts f = facts("full", "north", "internet", "slow", NULL, "normal");
    ok(route_possible_owner(cfg, &f, "fib"), "possible owner: the owner");
    ok(route_possible_owner(cfg, &f, "sky"), "possible owner: a fallback");
    ok(route_possible_owner(cfg, &f, "hq"), "possible owner: the lead, through the default");
    ok(!route_possible_owner(cfg, &f, "uni"), "not a possible owner: a partner no rule names");
    f = facts("net", "north", "tv", "no_signal", NULL, "normal");
    ok(route_possible_owner(cfg, &f, "sky"), "possible owner: a partner named by id");
    ok(route_possible_owner(cfg, &f, "nord"),
       "possible owner: the fallback resolved in the customer's bundle (net: nord)");
    ok(!route_possible_owner(cfg, &f, "fib"),
       "not a possible owner: the same role's partner in another bundle");
    config_free(cfg);
}

static void
test_joint_and_unroutable(void)
{
    struct config *cfg =
        load("{\"id\":\"outage\",\"match\":{\"service\":\"tv\",\"priority\":[\"high\",\"urgent\"]},"
             "\"owners\":[\"provider_of:tv\",\"provider_of:internet\"],\"mode\":\"joint\"},"
             "{\"id\":\"tv-only\",\"match\":{\"service\":\"tv\",\"bundle\":\"net\"},"
             "\"owners\":\"provider_of:tv\",\"rank\":50}," DEFAULT_RULE,
             NULL);
    struct route_result res;
    ok(cfg != NULL, "a federation with a joint rule loads");
    if (cfg == NULL)
        return;
    ok(!strcmp(winner(cfg, facts("full", "south", "tv", "no_signal", NULL, "urgent"), &res),
               "outage"),
       "the joint rule matches an urgent tv complaint");
    ok(res.joint && res.nowners == 2 && !strcmp(owners_of(res.owners, res.nowners), "sky,nord"),
       "joint: two owners, each resolved (%s)", owners_of(res.owners, res.nowners));
    winner(cfg, facts("uni", "south", "tv", "no_signal", NULL, "urgent"), &res);
    ok(!res.joint && res.nowners == 1 && !strcmp(owners_of(res.owners, res.nowners), "uni"),
       "joint with one partner behind both roles: a single owner");
    ok(!strcmp(winner(cfg, facts("full", "south", "tv", "no_signal", NULL, "low"), &res),
               "default"),
       "the joint rule does not match a low-priority complaint");

    /* net has no tv: both tv rules match and neither resolves; the default wins. */
    json_t *considered = json_array();
    struct route_facts f = facts("net", "north", "tv", "no_signal", NULL, "urgent");
    route_decide(cfg, &f, &res, considered);
    ok(res.rule && !strcmp(res.rule->id, "default") && !res.unroutable,
       "rules whose owners cannot be resolved are passed over for the default");
    const char *why = json_string_value(json_object_get(json_array_get(considered, 1), "why_not"));
    ok(why && strstr(why, "provider_of:tv") && strstr(why, "\"net\""),
       "... explain names the owner that cannot be resolved (%s)", why ? why : "null");
    json_decref(considered);

    /* Without the default rule (the loader insists on one; hide it here):
     * nothing resolves, and the lead owns the complaint, flagged. */
    size_t n = cfg->nrules;
    cfg->nrules = n - 1;
    route_decide(cfg, &f, &res, NULL);
    ok(res.unroutable && res.rule == NULL && res.nowners == 1 &&
           !strcmp(res.owners[0].partner, "hq") && !strcmp(res.owners[0].role, "lead"),
       "unroutable: the lead owns it, flagged");
    ok(res.nfallback == 1 && !strcmp(res.fallback[0].partner, "hq"),
       "... and the chain is the lead alone");
    json_t *ex = route_explain(cfg, &f);
    ok(json_is_true(json_object_get(ex, "unroutable")) &&
           json_is_null(json_object_get(ex, "winner")),
       "route_explain says unroutable, no winner");
    json_decref(ex);
    cfg->nrules = n;
    config_free(cfg);
}

static unsigned long
count_of(const json_t *report, const char *what)
{
    return (unsigned long)json_integer_value(
        json_object_get(json_object_get(report, what), "count"));
}

static void
test_check(void)
{
    int fatal = -1;
    /* 3 bundles x 2 regions x (3 services + none) x 3 symptoms x (2 equipment + none) x 4
     * priorities = 864 combinations; tv in full covers 72, internet everywhere 216. */
    struct config *cfg = load("{\"id\":\"tv\",\"match\":{\"service\":\"tv\",\"bundle\":\"full\"},"
                              "\"owners\":\"provider_of:tv\",\"fallback\":[\"lead\"]},"
                              "{\"id\":\"net\",\"match\":{\"service\":\"internet\"},"
                              "\"owners\":\"provider_of:internet\"}," DEFAULT_RULE,
                              NULL);
    ok(cfg != NULL, "a clean federation loads");
    if (cfg == NULL)
        return;
    json_t *rep = route_check(cfg, &fatal);
    ok(fatal == 0 && json_is_true(json_object_get(rep, "ok")), "check: no fatal finding");
    ok(json_integer_value(json_object_get(rep, "combinations")) == 864,
       "check: every combination is enumerated (%lld)",
       (long long)json_integer_value(json_object_get(rep, "combinations")));
    ok(count_of(rep, "gaps") == 864 - 72 - 216, "check: gaps are what only the default takes (%lu)",
       count_of(rep, "gaps"));
    json_t *gap = json_object_get(
        json_array_get(json_object_get(json_object_get(rep, "gaps"), "examples"), 0), "facts");
    const char *svc = json_string_value(json_object_get(gap, "service"));
    ok(gap && (svc == NULL || strcmp(svc, "internet") != 0),
       "... an example gap is no internet one");
    ok(count_of(rep, "conflicts") == 0 && count_of(rep, "unresolvable_owners") == 0 &&
           count_of(rep, "shadowed") == 0 && count_of(rep, "unresolvable_fallbacks") == 0,
       "check: no conflict, unresolvable owner, shadowed rule or fallback");
    json_decref(rep);
    config_free(cfg);

    /* Two rules of equal specificity and rank, different owners: a conflict. */
    cfg = load("{\"id\":\"a\",\"match\":{\"service\":\"internet\",\"symptom\":\"slow\"},"
               "\"owners\":\"provider_of:internet\"},"
               "{\"id\":\"b\",\"match\":{\"service\":\"internet\",\"equipment\":\"router\"},"
               "\"owners\":\"lead\"},"
               /* same specificity, same owners as a: agreement is no conflict */
               "{\"id\":\"c\",\"match\":{\"service\":\"internet\",\"region\":\"north\"},"
               "\"owners\":\"provider_of:internet\"}," DEFAULT_RULE,
               NULL);
    rep = route_check(cfg, &fatal);
    ok(fatal == 1 && json_is_false(json_object_get(rep, "ok")), "a conflict is fatal");
    /* a and b tie on internet, slow, router: 3 bundles x 2 regions x 4 priorities; b and c
     * tie on internet, north, router, any symptom but slow: 3 x 2 symptoms x 4. */
    ok(count_of(rep, "conflicts") == 24 + 24, "... found on each tied combination (%lu)",
       count_of(rep, "conflicts"));
    json_t *c0 = json_array_get(json_object_get(json_object_get(rep, "conflicts"), "examples"), 0);
    json_t *rules = json_object_get(c0, "rules");
    /* The first tie enumerated: internet, no_signal, router in the north: b and c. */
    ok(json_array_size(rules) == 2 && !strcmp(json_string_value(json_array_get(rules, 0)), "b") &&
           !strcmp(json_string_value(json_array_get(rules, 1)), "c"),
       "... naming the rules in conflict");
    json_decref(rep);
    config_free(cfg);

    cfg = load("{\"id\":\"a\",\"match\":{\"service\":\"internet\",\"symptom\":\"slow\"},"
               "\"owners\":\"provider_of:internet\"},"
               "{\"id\":\"b\",\"match\":{\"service\":\"internet\",\"equipment\":\"router\"},"
               "\"owners\":\"lead\",\"rank\":1}," DEFAULT_RULE,
               NULL);
    rep = route_check(cfg, &fatal);
    ok(fatal == 0 && count_of(rep, "conflicts") == 0, "a rank apart: no conflict");
    json_decref(rep);
    config_free(cfg);

    /* Dangling within a bundle: net has no tv provider, uni no wiring. */
    cfg = load("{\"id\":\"tv\",\"match\":{\"service\":\"tv\"},\"owners\":\"provider_of:tv\","
               "\"fallback\":[\"provider_of:wiring\"]},"
               "{\"id\":\"never\",\"match\":{\"service\":\"tv\"},\"owners\":\"provider_of:tv\","
               "\"rank\":-1}," DEFAULT_RULE,
               NULL);
    rep = route_check(cfg, &fatal);
    ok(fatal == 1, "an owner that cannot be resolved is fatal");
    /* tv in net: 2 regions x 3 symptoms x 3 equipment x 4 priorities. */
    ok(count_of(rep, "unresolvable_owners") == 72, "... found on each combination (%lu)",
       count_of(rep, "unresolvable_owners"));
    json_t *u0 =
        json_array_get(json_object_get(json_object_get(rep, "unresolvable_owners"), "examples"), 0);
    ok(!strcmp(json_string_value(json_object_get(u0, "rule")), "tv") &&
           !strcmp(json_string_value(json_object_get(u0, "owner")), "provider_of:tv") &&
           !strcmp(json_string_value(json_object_get(json_object_get(u0, "facts"), "bundle")),
                   "net"),
       "... naming the rule, the owner and the bundle");
    ok(count_of(rep, "unresolvable_fallbacks") == 72,
       "a fallback that cannot be resolved (uni has no wiring) is reported (%lu)",
       count_of(rep, "unresolvable_fallbacks"));
    json_t *sh = json_object_get(json_object_get(rep, "shadowed"), "rules");
    ok(count_of(rep, "shadowed") == 1 && !strcmp(json_string_value(json_array_get(sh, 0)), "never"),
       "a rule that never wins is shadowed");
    json_decref(rep);
    config_free(cfg);

    /* References to nothing at all are refused when loading, by JSON path. */
    char *errors = NULL;
    cfg = load("{\"id\":\"x\",\"match\":{\"service\":\"tv\"},\"owners\":\"ghost\"}," DEFAULT_RULE,
               &errors);
    ok(cfg == NULL && errors && strstr(errors, "$.rules[0].owners") && strstr(errors, "ghost"),
       "an owner naming no partner is refused, by path");
    free(errors);
    cfg = load("{\"id\":\"x\",\"match\":{\"service\":\"tv\"},\"owners\":\"lead\","
               "\"fallback\":[\"provider_of:gas\"]}," DEFAULT_RULE,
               &errors);
    ok(cfg == NULL && errors && strstr(errors, "$.rules[0].fallback") && strstr(errors, "gas"),
       "a fallback naming no service is refused, by path");
    free(errors);
    cfg = load("{\"id\":\"x\",\"match\":{\"bundle\":\"gold\"},\"owners\":\"lead\"}," DEFAULT_RULE,
               &errors);
    ok(cfg == NULL && errors && strstr(errors, "$.rules[0].match.bundle"),
       "a match on an unknown bundle is refused, by path");
    free(errors);
    cfg = load("{\"id\":\"x\",\"match\":{\"service\":\"tv\"},\"owners\":\"lead\"}", &errors);
    ok(cfg == NULL && errors && strstr(errors, "no default rule"), "no default rule is refused");
    free(errors);
}

int
main(void)
{
    test_specificity_and_rank();
    test_owners_and_fallback();
    test_joint_and_unroutable();
    test_check();
    return done_testing();
}
