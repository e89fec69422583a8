/*
 * route.h: service-boundary rules. Which company owns a complaint with
 * given facts: the matching rule of the highest rank wins, the one that
 * constrains the most facts among rules of equal rank (two of equal rank
 * and specificity with different outcomes are a conflict the check
 * reports, never decided by their order in the file); owners are resolved through the
 * customer's bundle and region; a fallback chain says who is next after a
 * hand-back, ending with the lead. A rule may route a complaint about a
 * service that rides on another by the upstream's provider (its
 * "dependency": upstream first, or jointly). The configuration is immutable, so every
 * function here may run on any thread without locks.
 *
 * A rule's conditions are one per fact of the configuration's table of
 * fact kinds (fact.h): "the fact is one of these values". Matching,
 * explain and the coverage check walk that table; none names a fact but
 * owner resolution, which reads the customer's bundle and region, and the
 * dependency, which reads the complaint's service.
 */
#ifndef SEAM_ROUTE_H
#define SEAM_ROUTE_H

#include <jansson.h>

#include "config.h"

/* The facts of a complaint, indexed by enum fact (the configuration's table); NULL: not given. */
struct route_facts {
    const char *v[FACT_MAX];
};

#define ROUTE_MAX_OWNERS 8

struct route_owner {
    const char *role;    /* as the rule names it: "lead", a partner id, "provider_of:x" */
    const char *partner; /* the partner id it resolves to, or the lead company's id */
};

/*
 * What the winner's dependency did (config.h, enum config_dependency): the
 * complaint's service, when it rides on others, and their providers in the
 * customer's bundle and region. applied: the owners and the chain are the
 * rule's with the upstream providers first (upstream_first) or added to the
 * owners (joint); 0 when the rule says none, the service rides on nothing,
 * or no upstream provider can be resolved (missing names the first such).
 */
struct route_dependency {
    enum config_dependency mode; /* as the winner says */
    int applied;
    const char *service; /* the complaint's service, when it depends on others */
    const struct strlist *depends_on;
    struct route_owner upstream[ROUTE_MAX_OWNERS];
    size_t nupstream;
    const char *missing; /* an upstream service with no provider here, or NULL */
};

struct route_result {
    const struct config_rule *rule; /* the winner */
    int joint;
    struct route_owner owners[ROUTE_MAX_OWNERS];
    size_t nowners;
    struct route_owner fallback[ROUTE_MAX_OWNERS]; /* resolvable entries, lead last */
    size_t nfallback;
    int unroutable; /* no rule could be resolved: the lead owns it, flagged */
    struct route_dependency dep;
};

/*
 * Routes a complaint. Never fails: when nothing can be resolved the lead is
 * the owner (unroutable set). If explain is not NULL, appends one object per
 * rule considered (rule, matched, why, specificity, rank).
 */
void route_decide(const struct config *cfg, const struct route_facts *f, struct route_result *out,
                  json_t *explain);

/* The explain answer for a hypothetical complaint: considered rules, winner, owners, the
 * precedence step that decided, the dependency that applied (route_dependency_json). */
json_t *route_explain(const struct config *cfg, const struct route_facts *f);

/* {"mode","applied","service","depends_on","upstream","why"} of a decision, or JSON null when
 * no rule won (new reference). */
json_t *route_dependency_json(const struct config *cfg, const struct route_facts *f,
                              const struct route_result *res);

/* [{"role","partner"}, ...] of n owners (new reference). */
json_t *route_owners_json(const struct route_owner *o, size_t n);

/* The owner role "the provider of the complaint's service, in its bundle and place". */
#define ROUTE_PROVIDER_OF_SERVICE "provider_of:*"

/* Resolves one owner role for a bundle and region (the place); NULL if it cannot be
 * (ROUTE_PROVIDER_OF_SERVICE needs the complaint's service: the routing resolves it). */
const char *route_resolve(const struct config *cfg, const char *role, const char *bundle,
                          const char *region);

/*
 * The coverage check over every combination of the facts' vocabularies
 * (bundle x region x service x symptom x equipment x priority with the
 * example's table; an optional fact also "not given"), enumerated by one
 * odometer over the table: gaps, conflicts, unresolvable owners, shadowed
 * rules, fallback entries that cannot be resolved, services whose dependencies form a cycle,
 * and winners that route a dependent service by its upstream where the bundle has no
 * provider of it. *fatal is set when the broker must not start (conflicts, unresolvable
 * owners, unserved partners, dependency cycles, unresolvable upstreams).
 */
json_t *route_check(const struct config *cfg, int *fatal);

/*
 * Whether partner could own the complaint under the rules: an owner or a
 * fallback of any rule that matches the facts and resolves.
 */
int route_possible_owner(const struct config *cfg, const struct route_facts *f,
                         const char *partner);

/*
 * Whether the complaint's service is in the customer's bundle for the
 * customer's region (1 also when no service is named); 0: out of bundle.
 */
int route_in_bundle(const struct config *cfg, const struct route_facts *f);

/*
 * Whether a hand-back "belongs_to" may name partner for a complaint with
 * these facts, and why: "bundle" when it provides a service of the
 * customer's bundle in the customer's region, "rules" when a rule matching
 * the facts names it (route_possible_owner); NULL when neither (or it is no
 * partner). Whether it is in the rule's fallback chain does not matter.
 */
const char *route_handback_why(const struct config *cfg, const struct route_facts *f,
                               const char *partner);

/* [{"partner","because","service"}, ...]: every partner route_handback_why accepts (new
 * reference). */
json_t *route_handback_targets(const struct config *cfg, const struct route_facts *f);

/* Whether the value is in the vocabulary of fact (bundles, priorities included); 0 for a fact
 * outside the configuration's table. */
int route_fact_known(const struct config *cfg, enum fact fact, const char *value);

#endif
