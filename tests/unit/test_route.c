/*
 * test_route.c: the rule engine on small federations written here as JSON
 * text and read by the real configuration loader: the rule of the highest
 * rank wins and specificity breaks ties of rank; explain names the step that
 * decided; owners resolve through the
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
#include "config_text.h"
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
    return config_from(errors, base, rules);
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
test_rank_and_specificity(void)
{
    struct config *cfg = load(
        /* one condition, high rank */
        "{\"id\":\"tv-any\",\"match\":{\"service\":\"tv\"},\"owners\":\"lead\",\"rank\":100},"
        /* two conditions, rank 0: more specific, but the rank-100 rule wins */
        "{\"id\":\"tv-signal\",\"match\":{\"service\":\"tv\",\"symptom\":\"no_signal\"},"
        "\"owners\":\"provider_of:tv\"},"
        /* equal specificity (two conditions), ranks 1 and 2 */
        "{\"id\":\"net-slow\",\"match\":{\"service\":\"internet\",\"symptom\":\"slow\"},"
        "\"owners\":\"provider_of:internet\",\"rank\":1},"
        "{\"id\":\"net-router\",\"match\":{\"service\":\"internet\",\"equipment\":\"router\"},"
        "\"owners\":\"lead\",\"rank\":2},"
        /* rank 2 as net-router, three conditions: more specific at equal rank */
        "{\"id\":\"net-router-north\",\"match\":{\"service\":\"internet\",\"equipment\":"
        "\"router\",\"region\":\"north\"},\"owners\":\"provider_of:internet\",\"rank\":2},"
        /* a list of values is still one condition */
        "{\"id\":\"billing\",\"match\":{\"symptom\":[\"billing\",\"slow\",\"no_signal\"]},"
        "\"owners\":\"lead\",\"rank\":-5}," DEFAULT_RULE,
        NULL);
    struct route_result res;
    ok(cfg != NULL, "a federation with ranked rules loads");
    if (cfg == NULL)
        return;
    ok(!strcmp(winner(cfg, facts("full", "north", "tv", "no_signal", NULL, "normal"), &res),
               "tv-any"),
       "rank first: one condition of rank 100 beats two of rank 0 (%s)",
       res.rule ? res.rule->id : "-");
    ok(!strcmp(owners_of(res.owners, res.nowners), "hq") && !res.joint && !res.unroutable,
       "... single owner, the lead by id");
    ok(!strcmp(winner(cfg, facts("full", "north", "internet", "slow", "router", "normal"), &res),
               "net-router-north"),
       "at equal rank (2) the rule with more conditions wins (%s)", res.rule ? res.rule->id : "-");
    ok(!strcmp(owners_of(res.owners, res.nowners), "fib"),
       "... its owner, provider_of:internet, resolved to fib in the north");
    ok(!strcmp(winner(cfg, facts("full", "south", "internet", "slow", "router", "normal"), &res),
               "net-router"),
       "the three-condition rule out of play (south): equal specificity, the higher rank wins (%s)",
       res.rule ? res.rule->id : "-");
    ok(!strcmp(owners_of(res.owners, res.nowners), "hq"), "... and its owner is the lead, by id");
    ok(!strcmp(winner(cfg, facts("full", "north", "internet", "slow", "box", "normal"), &res),
               "net-slow"),
       "the rank-2 rules out of play (other equipment), the rank-1 rule wins");
    ok(!strcmp(winner(cfg, facts("full", "north", "wiring", "billing", NULL, "low"), &res),
               "default"),
       "a rule ranked below the default (-5) loses to it, however specific");
    ok(!strcmp(winner(cfg, facts("full", "north", NULL, "slow", NULL, "low"), &res), "default"),
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

    /* explain's decided_by: the step, the runner-up, why. */
    static const struct {
        struct route_facts f;
        const char *winner, *step, *runner_up, *why;
    } steps[] = {
        {{.v = {[FACT_BUNDLE] = "full",
                [FACT_REGION] = "north",
                [FACT_SERVICE] = "tv",
                [FACT_SYMPTOM] = "no_signal",
                [FACT_PRIORITY] = "normal"}},
         "tv-any",
         "rank",
         "tv-signal",
         "ranked 100; the next best, tv-signal, 0"},
        {{.v = {[FACT_BUNDLE] = "full",
                [FACT_REGION] = "north",
                [FACT_SERVICE] = "internet",
                [FACT_SYMPTOM] = "slow",
                [FACT_EQUIPMENT] = "router",
                [FACT_PRIORITY] = "low"}},
         "net-router-north",
         "specificity",
         "net-router",
         "constrains 3 facts to its 2"},
        {{.v = {[FACT_BUNDLE] = "full",
                [FACT_REGION] = "south",
                [FACT_SERVICE] = "internet",
                [FACT_SYMPTOM] = "slow",
                [FACT_EQUIPMENT] = "router",
                [FACT_PRIORITY] = "low"}},
         "net-router",
         "rank",
         "net-slow",
         "ranked 2; the next best, net-slow, 1"},
        {{.v = {[FACT_BUNDLE] = "full",
                [FACT_REGION] = "north",
                [FACT_SERVICE] = "wiring",
                [FACT_PRIORITY] = "low"}},
         "default",
         "only_match",
         NULL,
         "the only rule that matched"},
        {{.v = {[FACT_BUNDLE] = "full",
                [FACT_REGION] = "north",
                [FACT_SERVICE] = "wiring",
                [FACT_SYMPTOM] = "billing",
                [FACT_PRIORITY] = "low"}},
         "default",
         "rank",
         "billing",
         "ranked 0; the next best, billing, -5"},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        json_t *ex = route_explain(cfg, &steps[i].f);
        json_t *d = json_object_get(ex, "decided_by");
        const char *w = json_string_value(json_object_get(ex, "winner"));
        const char *st = json_string_value(json_object_get(d, "step"));
        const char *ru = json_string_value(json_object_get(d, "runner_up"));
        const char *dw = json_string_value(json_object_get(d, "why"));
        ok(w && !strcmp(w, steps[i].winner) && st && !strcmp(st, steps[i].step) &&
               (steps[i].runner_up ? ru && !strcmp(ru, steps[i].runner_up)
                                   : json_is_null(json_object_get(d, "runner_up"))) &&
               dw && strstr(dw, steps[i].why),
           "explain: %s won, decided by %s over %s (%s)", w ? w : "-", st ? st : "-",
           ru ? ru : "none", dw ? dw : "-");
        json_decref(ex);
    }
    config_free(cfg);

    /* Two rules as ranked and as specific with the same outcome: explain says so. */
    cfg = load("{\"id\":\"a\",\"match\":{\"service\":\"internet\",\"symptom\":\"slow\"},"
               "\"owners\":\"provider_of:internet\"},"
               "{\"id\":\"c\",\"match\":{\"service\":\"internet\",\"region\":\"north\"},"
               "\"owners\":\"provider_of:internet\"}," DEFAULT_RULE,
               NULL);
    ok(cfg != NULL, "a federation with two agreeing rules loads");
    if (cfg == NULL)
        return;
    struct route_facts same = facts("full", "north", "internet", "slow", NULL, "low");
    json_t *ex = route_explain(cfg, &same);
    json_t *d = json_object_get(ex, "decided_by");
    ok(!strcmp(json_string_value(json_object_get(ex, "winner")), "a") &&
           !strcmp(json_string_value(json_object_get(d, "step")), "same_outcome") &&
           !strcmp(json_string_value(json_object_get(d, "runner_up")), "c"),
       "explain: as ranked and specific, with the same outcome: same_outcome");
    json_decref(ex);
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

/*
 * The check follows the precedence: a tie that matters is one at the top,
 * equal rank and equal specificity with a different outcome (owners,
 * mode, fallback chain, visibility), whatever lower-ranked rules match,
 * even more specific ones; a tie among rules that never come first decides
 * nothing.
 */
static void
test_check_precedence(void)
{
    int fatal = -1;
    /* t1 and t2 tie at rank 5 on billing and box; m, more specific but rank 0, never wins. */
    struct config *cfg =
        load("{\"id\":\"t1\",\"match\":{\"symptom\":\"billing\"},\"owners\":\"lead\",\"rank\":5},"
             "{\"id\":\"t2\",\"match\":{\"equipment\":\"box\"},\"owners\":\"lead\",\"rank\":5,"
             "\"customer_visible\":true},"
             "{\"id\":\"m\",\"match\":{\"service\":\"tv\",\"symptom\":\"billing\",\"equipment\":"
             "\"box\",\"bundle\":\"full\"},\"owners\":\"provider_of:tv\",\"fallback\":[\"lead\"]},"
             "{\"id\":\"lead-box\",\"match\":{\"equipment\":\"box\",\"region\":\"north\"},"
             "\"owners\":\"lead\"}," DEFAULT_RULE,
             NULL);
    ok(cfg != NULL, "a federation with a tie at rank 5 loads");
    if (cfg == NULL)
        return;
    json_t *rep = route_check(cfg, &fatal);
    /* billing and box: 3 bundles x 2 regions x (3 services + none) x 4 priorities, the 8
     * where m matches (full, tv) included. */
    ok(fatal == 1 && count_of(rep, "conflicts") == 96,
       "a tie at the top rank is a conflict wherever it decides, also where a more specific "
       "rule of lower rank matches (%lu)",
       count_of(rep, "conflicts"));
    json_t *c0 = json_array_get(json_object_get(json_object_get(rep, "conflicts"), "examples"), 0);
    json_t *rules = json_object_get(c0, "rules");
    ok(json_array_size(rules) == 2 && !strcmp(json_string_value(json_array_get(rules, 0)), "t1") &&
           !strcmp(json_string_value(json_array_get(rules, 1)), "t2"),
       "... naming both rules, the first in the file first");
    json_t *sh = json_object_get(json_object_get(rep, "shadowed"), "rules");
    ok(count_of(rep, "shadowed") == 2 && !strcmp(json_string_value(json_array_get(sh, 0)), "m") &&
           !strcmp(json_string_value(json_array_get(sh, 1)), "lead-box"),
       "the more specific rules of lower rank never win: shadowed");
    json_decref(rep);
    /* The explain of a tied complaint: the first in the file wins as routed, which the check
     * refuses; explain says the order in the file decided. */
    struct route_facts f = facts("full", "north", "tv", "billing", "box", "low");
    json_t *ex = route_explain(cfg, &f);
    json_t *d = json_object_get(ex, "decided_by");
    ok(!strcmp(json_string_value(json_object_get(ex, "winner")), "t1") &&
           !strcmp(json_string_value(json_object_get(d, "step")), "file_order") &&
           !strcmp(json_string_value(json_object_get(d, "runner_up")), "t2"),
       "explain of a tie with another outcome: the order in the file decided (%s), a conflict",
       json_string_value(json_object_get(d, "step")));
    json_decref(ex);
    config_free(cfg);

    /* l1 and l2 tie at rank 0, but h (rank 5) matches wherever they do: no conflict. */
    cfg = load("{\"id\":\"h\",\"match\":{\"symptom\":\"billing\"},\"owners\":\"lead\",\"rank\":5},"
               "{\"id\":\"l1\",\"match\":{\"service\":\"tv\",\"symptom\":\"billing\"},"
               "\"owners\":\"lead\",\"customer_visible\":true},"
               "{\"id\":\"l2\",\"match\":{\"symptom\":\"billing\",\"region\":\"north\"},"
               "\"owners\":\"lead\"}," DEFAULT_RULE,
               NULL);
    ok(cfg != NULL, "a federation with a tie below the top rank loads");
    if (cfg == NULL)
        return;
    rep = route_check(cfg, &fatal);
    sh = json_object_get(json_object_get(rep, "shadowed"), "rules");
    ok(fatal == 0 && count_of(rep, "conflicts") == 0 && count_of(rep, "shadowed") == 2 &&
           !strcmp(json_string_value(json_array_get(sh, 0)), "l1") &&
           !strcmp(json_string_value(json_array_get(sh, 1)), "l2"),
       "a tie among rules a higher rank always beats decides nothing: no conflict, both shadowed "
       "(%lu conflicts)",
       count_of(rep, "conflicts"));
    json_decref(rep);
    config_free(cfg);

    /* x and y tie (rank 0, two facts) on internet, slow, router; what of y's outcome differs. */
    static const struct {
        const char *what, *y;
        unsigned long conflicts;
    } diff[] = {
        {"nothing", "\"owners\":\"provider_of:internet\",\"fallback\":[\"lead\"]", 0},
        {"the owners", "\"owners\":\"lead\",\"fallback\":[\"lead\"]", 24},
        {"the mode",
         "\"owners\":\"provider_of:internet\",\"mode\":\"joint\",\"fallback\":[\"lead\"]", 24},
        {"the fallback chain",
         "\"owners\":\"provider_of:internet\",\"fallback\":[\"nord\",\"lead\"]", 24},
        {"the visibility",
         "\"owners\":\"provider_of:internet\",\"fallback\":[\"lead\"],\"customer_visible\":true",
         24},
    };
    for (size_t i = 0; i < sizeof(diff) / sizeof(diff[0]); i++) {
        char rules_text[512];
        snprintf(rules_text, sizeof(rules_text),
                 "{\"id\":\"x\",\"match\":{\"service\":\"internet\",\"symptom\":\"slow\"},"
                 "\"owners\":\"provider_of:internet\",\"fallback\":[\"lead\"]},"
                 "{\"id\":\"y\",\"match\":{\"service\":\"internet\",\"equipment\":\"router\"},"
                 "%s}," DEFAULT_RULE,
                 diff[i].y);
        cfg = load(rules_text, NULL);
        if (cfg == NULL) {
            ok(0, "the pair differing in %s loads", diff[i].what);
            continue;
        }
        rep = route_check(cfg, &fatal);
        ok(count_of(rep, "conflicts") == diff[i].conflicts && fatal == (diff[i].conflicts > 0),
           "equal rank and specificity, differing in %s: %lu conflicts (want %lu)", diff[i].what,
           count_of(rep, "conflicts"), diff[i].conflicts);
        json_decref(rep);
        config_free(cfg);
    }
}

int
main(void)
{
    test_rank_and_specificity();
    test_owners_and_fallback();
    test_joint_and_unroutable();
    test_check();
    test_check_precedence();
    return done_testing();
}
