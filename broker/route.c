/*
 * route.c: the boundary rules engine (see route.h): a rule's conditions,
 * one per fact of the configuration's table (fact.h), owner resolution
 * through bundles, a service's dependency on others (the upstream's
 * provider first, or jointly), the decision, explain, and the exhaustive
 * coverage check, one odometer over the facts, with the dependency graph's
 * cycles. It reads only the configuration; it does not
 * create tickets or assignments (ticket.c does, with its result).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

/* ---- conditions: one per fact of the table (fact.h) ---- */

/* A rule's condition on fact k: "one of these values"; no list: any value. */
static int
match_one_of(const struct config *cfg, size_t k, const struct config_rule *r,
             const struct route_facts *f, char *why, size_t whylen)
{
    const struct strlist *want = &r->match[k];
    const char *have = f->v[k];
    if (want->n == 0)
        return 1;
    if (have != NULL && strlist_has(want, have))
        return 1;
    if (why != NULL) {
        size_t n =
            (size_t)snprintf(why, whylen, "%s is %s%s%s, the rule wants ", cfg->fact_kinds[k].name,
                             have ? "\"" : "", have ? have : "not given", have ? "\"" : "");
        for (size_t i = 0; i < want->n && n < whylen; i++)
            n += (size_t)snprintf(why + n, whylen - n, "%s\"%s\"", i ? " or " : "", want->v[i]);
    }
    return 0;
}

int
route_fact_known(const struct config *cfg, enum fact fact, const char *value)
{
    return (size_t)fact < cfg->nfact_kinds && strlist_has(&cfg->vocab[fact], value);
}

/* How many facts the rule constrains (a fact outside the table has no list). */
static int
specificity(const struct config_rule *r)
{
    int s = 0;
    for (size_t k = 0; k < FACT_MAX; k++)
        if (r->match[k].n > 0)
            s++;
    return s;
}

/* Whether every condition of r holds; the first failing one, in the table's order, explains why. */
static int
rule_matches(const struct config *cfg, const struct config_rule *r, const struct route_facts *f,
             char *why, size_t whylen)
{
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        if (!match_one_of(cfg, k, r, f, why, whylen))
            return 0;
    return 1;
}

/* ---- owners ---- */

const char *
route_resolve(const struct config *cfg, const char *role, const char *bundle, const char *region)
{
    if (strcmp(role, "lead") == 0)
        return cfg->lead.id;
    if (strncmp(role, "provider_of:", 12) != 0) {
        const struct config_partner *p = config_partner_find(cfg, role);
        return p ? p->id : NULL;
    }
    const struct config_bundle *b = config_bundle_find(cfg, bundle);
    const char *service = role + 12, *any = NULL;
    for (size_t i = 0; b != NULL && i < b->nproviders; i++) {
        const struct config_provider *pr = &b->providers[i];
        if (strcmp(pr->service, service) != 0)
            continue;
        if (pr->region == NULL)
            any = pr->partner;
        else if (region != NULL && strcmp(pr->region, region) == 0)
            return strcmp(pr->partner, "lead") == 0 ? cfg->lead.id : pr->partner;
    }
    if (any != NULL)
        return strcmp(any, "lead") == 0 ? cfg->lead.id : any;
    return NULL;
}

/*
 * A rule's owner role for a complaint's facts: as route_resolve, with the
 * bundle and the place (the region, or the fact declared the place), and
 * "provider_of:*": the provider of the complaint's own service there (NULL
 * when the complaint names no service).
 */
static const char *
resolve_role(const struct config *cfg, const char *role, const struct route_facts *f)
{
    char named[96];
    if (strcmp(role, ROUTE_PROVIDER_OF_SERVICE) == 0) {
        if (f->v[FACT_SERVICE] == NULL || (size_t)snprintf(named, sizeof(named), "provider_of:%s",
                                                           f->v[FACT_SERVICE]) >= sizeof(named))
            return NULL;
        role = named;
    }
    return route_resolve(cfg, role, f->v[FACT_BUNDLE], f->v[cfg->place]);
}

/* Resolves a rule's owners, without duplicates; -1 (and *bad) if one cannot be. */
static int
resolve_owners(const struct config *cfg, const struct config_rule *r, const struct route_facts *f,
               struct route_owner *out, size_t *n, const char **bad)
{
    size_t k = 0;
    for (size_t i = 0; i < r->owners.n && k < ROUTE_MAX_OWNERS; i++) {
        const char *p = resolve_role(cfg, r->owners.v[i], f);
        if (p == NULL) {
            if (bad)
                *bad = r->owners.v[i];
            return -1;
        }
        int dup = 0;
        for (size_t j = 0; j < k; j++)
            if (strcmp(out[j].partner, p) == 0)
                dup = 1;
        if (!dup)
            out[k++] = (struct route_owner){r->owners.v[i], p};
    }
    *n = k;
    return 0;
}

static void
resolve_fallback(const struct config *cfg, const struct config_rule *r, const struct route_facts *f,
                 struct route_result *out)
{
    out->nfallback = 0;
    int has_lead = 0;
    for (size_t i = 0; r && i < r->fallback.n && out->nfallback < ROUTE_MAX_OWNERS - 1; i++) {
        const char *p = resolve_role(cfg, r->fallback.v[i], f);
        if (p == NULL)
            continue;
        int dup = 0;
        for (size_t k = 0; k < out->nfallback; k++)
            dup |= strcmp(out->fallback[k].partner, p) == 0;
        if (dup)
            continue; /* "provider_of:wiring" and "lead" may both be the lead */
        out->fallback[out->nfallback++] = (struct route_owner){r->fallback.v[i], p};
        if (strcmp(p, cfg->lead.id) == 0)
            has_lead = 1;
    }
    if (!has_lead) /* the chain always ends with the owner of last resort */
        out->fallback[out->nfallback++] = (struct route_owner){"lead", cfg->lead.id};
}

/* ---- dependencies ---- */

/* The upstream services of service (and their owner roles), or NULL when it rides on nothing. */
static const struct strlist *
upstreams_of(const struct config *cfg, const char *service, const struct strlist **roles)
{
    const struct strlist *deps = config_depends_on(cfg, service);
    if (deps == NULL || deps->n == 0 || cfg->depends_on == NULL)
        return NULL;
    *roles = &cfg->upstream_roles[deps - cfg->depends_on];
    return deps;
}

/* Appends o to a[*n] unless its partner is there or is not's; keeps room for the lead. */
static void
chain_add(struct route_owner *a, size_t *n, struct route_owner o, const char * not )
{
    if (not != NULL && strcmp(o.partner, not ) == 0)
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(a[i].partner, o.partner) == 0)
            return;
    if (*n < ROUTE_MAX_OWNERS - 1)
        a[(*n)++] = o;
}

/*
 * Applies the rule's dependency to its resolved owners and chain in out
 * (route.h, struct route_dependency): the upstream providers of the
 * complaint's service first, the rule's owners next in the chain
 * (upstream_first), or the upstream providers as owners beside the rule's
 * (joint). Only direct dependencies count: the upstream's own upstream is
 * its rules' business.
 */
static void
apply_dependency(const struct config *cfg, const struct config_rule *r, const struct route_facts *f,
                 struct route_result *out)
{
    struct route_dependency *d = &out->dep;
    const struct strlist *roles = NULL;
    memset(d, 0, sizeof(*d));
    d->mode = r != NULL ? r->dependency : DEP_NONE;
    d->depends_on = upstreams_of(cfg, f->v[FACT_SERVICE], &roles);
    if (d->depends_on == NULL)
        return;
    d->service = f->v[FACT_SERVICE];
    for (size_t i = 0; i < roles->n; i++) {
        const char *p = route_resolve(cfg, roles->v[i], f->v[FACT_BUNDLE], f->v[cfg->place]);
        if (p == NULL) {
            if (d->missing == NULL)
                d->missing = d->depends_on->v[i];
            continue;
        }
        chain_add(d->upstream, &d->nupstream, (struct route_owner){roles->v[i], p}, NULL);
    }
    if (d->mode == DEP_NONE || d->nupstream == 0)
        return;
    d->applied = 1;
    if (d->mode == DEP_JOINT) {
        for (size_t i = 0; i < d->nupstream; i++)
            chain_add(out->owners, &out->nowners, d->upstream[i], NULL);
        return;
    }
    /* upstream_first: the first upstream provider owns it; the chain is the
     * other upstream providers, the rule's owners, then the rule's chain. */
    struct route_owner first = d->upstream[0], chain[ROUTE_MAX_OWNERS];
    size_t n = 0;
    for (size_t i = 1; i < d->nupstream; i++)
        chain_add(chain, &n, d->upstream[i], first.partner);
    for (size_t i = 0; i < out->nowners; i++)
        chain_add(chain, &n, out->owners[i], first.partner);
    for (size_t i = 0; i < out->nfallback; i++)
        chain_add(chain, &n, out->fallback[i], first.partner);
    int has_lead = 0;
    for (size_t i = 0; i < n; i++)
        has_lead |= strcmp(chain[i].partner, cfg->lead.id) == 0;
    if (!has_lead) /* the owner of last resort stays last */
        chain[n++] = (struct route_owner){"lead", cfg->lead.id};
    out->owners[0] = first;
    out->nowners = 1;
    memcpy(out->fallback, chain, sizeof(chain));
    out->nfallback = n;
}

/*
 * What rule r decides for the facts: its owners and chain resolved, its
 * dependency applied, the mode. -1 (and *bad) when an owner cannot be resolved.
 */
static int
rule_outcome(const struct config *cfg, const struct config_rule *r, const struct route_facts *f,
             struct route_result *out, const char **bad)
{
    memset(out, 0, sizeof(*out));
    if (resolve_owners(cfg, r, f, out->owners, &out->nowners, bad) != 0)
        return -1;
    out->rule = r;
    resolve_fallback(cfg, r, f, out);
    apply_dependency(cfg, r, f, out);
    out->joint = (r->joint || out->dep.applied) && out->nowners > 1;
    return 0;
}

json_t *
route_dependency_json(const struct config *cfg, const struct route_facts *f,
                      const struct route_result *res)
{
    const struct route_dependency *d = &res->dep;
    char why[320];
    if (res->rule == NULL)
        return json_null();
    json_t *deps = json_array();
    for (size_t i = 0; d->depends_on != NULL && i < d->depends_on->n; i++)
        json_array_append_new(deps, json_string(d->depends_on->v[i]));
    const char *svc = f->v[FACT_SERVICE], *rule = res->rule->id;
    const char *on = d->depends_on != NULL ? d->depends_on->v[0] : "";
    if (svc == NULL)
        snprintf(why, sizeof(why), "no service named: no dependency to follow");
    else if (d->depends_on == NULL)
        snprintf(why, sizeof(why), "%s depends on no other service", svc);
    else if (d->mode == DEP_NONE)
        snprintf(why, sizeof(why),
                 "%s may ride on %s; rule %s owns it on its own (dependency none)", svc, on, rule);
    else if (!d->applied)
        snprintf(why, sizeof(why),
                 "%s rides on %s, which has no provider in bundle \"%s\", %s \"%s\": "
                 "the rule's owners own it",
                 svc, d->missing ? d->missing : on, f->v[FACT_BUNDLE] ? f->v[FACT_BUNDLE] : "",
                 cfg->fact_kinds[cfg->place].name, f->v[cfg->place] ? f->v[cfg->place] : "");
    else if (d->mode == DEP_UPSTREAM_FIRST)
        snprintf(why, sizeof(why),
                 "%s rides on %s: its provider, %s, owns it first (rule %s, upstream_first); "
                 "the rule's owner follows in the fallback chain",
                 svc, on, d->upstream[0].partner, rule);
    else
        snprintf(why, sizeof(why),
                 "%s rides on %s: its provider, %s, owns it jointly with the rule's owners "
                 "(rule %s, joint)",
                 svc, on, d->upstream[0].partner, rule);
    return json_pack("{s:s, s:b, s:o, s:o, s:o, s:s}", "mode", config_dependency_names[d->mode],
                     "applied", d->applied, "service", svc ? json_string(svc) : json_null(),
                     "depends_on", deps, "upstream", route_owners_json(d->upstream, d->nupstream),
                     "why", why);
}

/* ---- deciding ---- */

/*
 * The precedence (docs/boundaries.md): the higher rank wins; at equal rank
 * the rule that constrains more facts. Equal rank and specificity decides
 * nothing here: the first in the file stays best, and the coverage check
 * reports every such pair whose outcomes differ as a conflict.
 */
static int
better(const struct config_rule *a, const struct config_rule *b)
{
    if (a->rank != b->rank)
        return a->rank > b->rank;
    return specificity(a) > specificity(b);
}

void
route_decide(const struct config *cfg, const struct route_facts *f, struct route_result *out,
             json_t *explain)
{
    const struct config_rule *best = NULL;
    char why[256];

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct config_rule *r = &cfg->rules[i];
        struct route_owner o[ROUTE_MAX_OWNERS];
        size_t n = 0;
        const char *bad = NULL;
        int matched = rule_matches(cfg, r, f, why, sizeof(why));
        int resolved = matched && resolve_owners(cfg, r, f, o, &n, &bad) == 0;
        if (matched && !resolved)
            snprintf(why, sizeof(why), "owner %s cannot be resolved in bundle \"%s\"", bad,
                     f->v[FACT_BUNDLE] ? f->v[FACT_BUNDLE] : "");
        if (explain != NULL) {
            json_t *e =
                json_pack("{s:s, s:b, s:i, s:i}", "rule", r->id, "matched", matched && resolved,
                          "specificity", specificity(r), "rank", r->rank);
            if (!(matched && resolved))
                json_object_set_new(e, "why_not", json_string(why));
            json_array_append_new(explain, e);
        }
        if (!matched || !resolved)
            continue;
        if (best == NULL || better(r, best))
            best = r;
    }
    if (best == NULL || rule_outcome(cfg, best, f, out, NULL) != 0) {
        memset(out, 0, sizeof(*out));
        out->unroutable = 1;
        out->owners[0] = (struct route_owner){"lead", cfg->lead.id};
        out->nowners = 1;
        resolve_fallback(cfg, NULL, f, out);
        return;
    }
}

int
route_possible_owner(const struct config *cfg, const struct route_facts *f, const char *partner)
{
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct config_rule *r = &cfg->rules[i];
        struct route_result o;
        if (!rule_matches(cfg, r, f, NULL, 0) || rule_outcome(cfg, r, f, &o, NULL) != 0)
            continue;
        for (size_t k = 0; k < o.nowners; k++)
            if (strcmp(o.owners[k].partner, partner) == 0)
                return 1;
        for (size_t k = 0; k < o.nfallback; k++) /* the dependency's upstream providers too */
            if (strcmp(o.fallback[k].partner, partner) == 0)
                return 1;
    }
    return 0;
}

/* The partner (or the lead's id) that provides service in the bundle and region, or NULL. */
static const char *
bundle_provider(const struct config *cfg, const char *service, const char *bundle,
                const char *region)
{
    char role[96];
    if (service == NULL || bundle == NULL ||
        (size_t)snprintf(role, sizeof(role), "provider_of:%s", service) >= sizeof(role))
        return NULL;
    return route_resolve(cfg, role, bundle, region);
}

int
route_in_bundle(const struct config *cfg, const struct route_facts *f)
{
    if (f->v[FACT_SERVICE] == NULL)
        return 1; /* no service named: nothing to be outside of */
    return bundle_provider(cfg, f->v[FACT_SERVICE], f->v[FACT_BUNDLE], f->v[cfg->place]) != NULL;
}

/* The first service of the bundle partner provides in the region, or NULL. */
static const char *
service_provided_by(const struct config *cfg, const struct route_facts *f, const char *partner)
{
    const struct config_bundle *b = config_bundle_find(cfg, f->v[FACT_BUNDLE]);
    for (size_t i = 0; b != NULL && i < b->nproviders; i++) {
        const char *p =
            bundle_provider(cfg, b->providers[i].service, f->v[FACT_BUNDLE], f->v[cfg->place]);
        if (p != NULL && strcmp(p, partner) == 0)
            return b->providers[i].service;
    }
    return NULL;
}

const char *
route_handback_why(const struct config *cfg, const struct route_facts *f, const char *partner)
{
    if (config_partner_find(cfg, partner) == NULL)
        return NULL;
    if (service_provided_by(cfg, f, partner) != NULL)
        return "bundle";
    if (route_possible_owner(cfg, f, partner))
        return "rules";
    return NULL;
}

json_t *
route_handback_targets(const struct config *cfg, const struct route_facts *f)
{
    json_t *a = json_array();
    for (size_t i = 0; i < cfg->npartners; i++) {
        const char *p = cfg->partners[i].id;
        const char *why = route_handback_why(cfg, f, p);
        if (why == NULL)
            continue;
        const char *service = service_provided_by(cfg, f, p);
        json_array_append_new(a,
                              json_pack("{s:s, s:s, s:o}", "partner", p, "because", why, "service",
                                        service ? json_string(service) : json_null()));
    }
    return a;
}

static json_t *
facts_json(const struct config *cfg, const struct route_facts *f)
{
    json_t *o = json_object();
    for (size_t k = 0; k < cfg->nfact_kinds; k++)
        json_object_set_new(o, cfg->fact_kinds[k].name,
                            f->v[k] ? json_string(f->v[k]) : json_null());
    return o;
}

json_t *
route_owners_json(const struct route_owner *o, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a,
                              json_pack("{s:s, s:s}", "role", o[i].role, "partner", o[i].partner));
    return a;
}

static int same_outcome(const struct config *cfg, const struct config_rule *a,
                        const struct config_rule *b, const struct route_facts *f);

/*
 * The precedence step that decided (docs/boundaries.md): the winner was the
 * only rule that matched, or it has a higher rank than the next best, or it
 * ties with it on that and constrains more facts, or it ties on both and
 * the two agree (same_outcome). Equal rank and specificity with a
 * different outcome is a conflict the broker refuses to start on, so the
 * order of the rules in the file never decides a routed complaint; only
 * the explain of a refused configuration (seamctl) says "file_order".
 */
static json_t *
decided_by(const struct config *cfg, const struct route_facts *f, const struct config_rule *won)
{
    const struct config_rule *next = NULL;
    for (size_t i = 0; won != NULL && i < cfg->nrules; i++) {
        const struct config_rule *r = &cfg->rules[i];
        struct route_owner o[ROUTE_MAX_OWNERS];
        size_t n;
        if (r != won && rule_matches(cfg, r, f, NULL, 0) &&
            resolve_owners(cfg, r, f, o, &n, NULL) == 0 && (next == NULL || better(r, next)))
            next = r;
    }
    if (won == NULL)
        return json_pack("{s:s, s:s}", "step", "none", "why",
                         "no rule matched: the lead owns it, flagged unroutable");
    if (next == NULL)
        return json_pack("{s:s, s:n, s:s}", "step", "only_match", "runner_up", "why",
                         "the only rule that matched");
    char why[256];
    int sw = specificity(won), sn = specificity(next);
    const char *step = won->rank != next->rank           ? "rank"
                       : sw != sn                        ? "specificity"
                       : same_outcome(cfg, won, next, f) ? "same_outcome"
                                                         : "file_order";
    if (won->rank != next->rank)
        snprintf(why, sizeof(why), "ranked %d; the next best, %s, %d", won->rank, next->id,
                 next->rank);
    else if (sw != sn)
        snprintf(why, sizeof(why), "ranked as %s (%d), and constrains %d facts to its %d", next->id,
                 won->rank, sw, sn);
    else if (strcmp(step, "same_outcome") == 0)
        snprintf(why, sizeof(why), "as ranked and specific as %s, with the same outcome", next->id);
    else
        snprintf(why, sizeof(why),
                 "as ranked and specific as %s, with another outcome: the order in the file "
                 "decided, a conflict the broker refuses to start on",
                 next->id);
    return json_pack("{s:s, s:s, s:s}", "step", step, "runner_up", next->id, "why", why);
}

json_t *
route_explain(const struct config *cfg, const struct route_facts *f)
{
    struct route_result res;
    json_t *considered = json_array();
    route_decide(cfg, f, &res, considered);
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:b, s:b, s:o, s:o}", "facts", facts_json(cfg, f),
        "considered", considered, "winner", res.rule ? json_string(res.rule->id) : json_null(),
        "decided_by", decided_by(cfg, f, res.rule), "mode", res.joint ? "joint" : "single",
        "owners", route_owners_json(res.owners, res.nowners), "fallback",
        route_owners_json(res.fallback, res.nfallback), "unroutable", res.unroutable,
        "out_of_bundle", !route_in_bundle(cfg, f), "handback_to", route_handback_targets(cfg, f),
        "dependency", route_dependency_json(cfg, f, &res));
}

/* ---- the coverage check ---- */

#define MAX_EXAMPLES 5

struct finding {
    const char *name;
    unsigned long count;
    json_t *examples;
};

static void
found(struct finding *fd, json_t *example)
{
    fd->count++;
    if (json_array_size(fd->examples) < MAX_EXAMPLES)
        json_array_append_new(fd->examples, example);
    else
        json_decref(example);
}

static int
is_default(const struct config_rule *r)
{
    return specificity(r) == 0 && r->owners.n == 1 && strcmp(r->owners.v[0], "lead") == 0;
}

/* Same owners (as resolved) and mode: two rules that agree are no conflict. */
static int
same_outcome(const struct config *cfg, const struct config_rule *a, const struct config_rule *b,
             const struct route_facts *f)
{
    struct route_owner oa[ROUTE_MAX_OWNERS], ob[ROUTE_MAX_OWNERS];
    size_t na = 0, nb = 0;
    if (a->joint != b->joint)
        return 0;
    int ra = resolve_owners(cfg, a, f, oa, &na, NULL),
        rb = resolve_owners(cfg, b, f, ob, &nb, NULL);
    if (ra != 0 || rb != 0) {
        /* Unresolvable here: the same if they name the same roles (the
         * check reports them as unresolvable, not as a conflict). */
        if (ra == 0 || rb == 0 || a->owners.n != b->owners.n)
            return 0;
        for (size_t i = 0; i < a->owners.n; i++)
            if (!strlist_has(&b->owners, a->owners.v[i]))
                return 0;
        return 1;
    }
    /* As decided, the dependency applied: its owners, mode and chain. */
    struct route_result fa, fb;
    if (rule_outcome(cfg, a, f, &fa, NULL) != 0 || rule_outcome(cfg, b, f, &fb, NULL) != 0)
        return 0;
    if (fa.nowners != fb.nowners || fa.joint != fb.joint ||
        a->customer_visible != b->customer_visible)
        return 0;
    for (size_t i = 0; i < fa.nowners; i++) {
        int hit = 0;
        for (size_t j = 0; j < fb.nowners; j++)
            if (strcmp(fa.owners[i].partner, fb.owners[j].partner) == 0)
                hit = 1;
        if (!hit)
            return 0;
    }
    /* The fallback chains, as resolved, in their order: a hand-back goes
     * down one of them, so two rules with different chains disagree. */
    if (fa.nfallback != fb.nfallback)
        return 0;
    for (size_t i = 0; i < fa.nfallback; i++)
        if (strcmp(fa.fallback[i].partner, fb.fallback[i].partner) != 0)
            return 0;
    return 1;
}

/*
 * Whether partner p delivers the complaint's service (when it names one)
 * in the customer's region: the partner lists the service, and some bundle
 * maps one of its services to it in that region (or in every region). A
 * partner no bundle names is judged by its services alone. NULL if it
 * does, else why not.
 */
static const char *
unserved(const struct config *cfg, const struct config_partner *p, const struct route_facts *f)
{
    const char *service = f->v[FACT_SERVICE], *region = f->v[cfg->place];
    if (service != NULL && !strlist_has(&p->services, service))
        return "the partner does not deliver the complaint's service";
    int named = 0, here = 0;
    for (size_t i = 0; i < cfg->nbundles; i++)
        for (size_t j = 0; j < cfg->bundles[i].nproviders; j++) {
            const struct config_provider *pr = &cfg->bundles[i].providers[j];
            if (strcmp(pr->partner, p->id) != 0)
                continue;
            named = 1;
            here |= pr->region == NULL || (region != NULL && strcmp(pr->region, region) == 0);
        }
    if (named && !here && region != NULL)
        return "no bundle has the partner deliver in the customer's region";
    return NULL;
}

/* Partners a rule names by id (as owner or in its fallback chain) for facts they do not serve. */
static void
check_named(const struct config *cfg, const struct config_rule *r, const struct route_facts *f,
            struct finding *fd)
{
    const struct strlist *lists[2] = {&r->owners, &r->fallback};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < lists[l]->n; i++) {
            const struct config_partner *p = config_partner_find(cfg, lists[l]->v[i]);
            const char *why = p != NULL ? unserved(cfg, p, f) : NULL;
            if (why != NULL)
                found(fd, json_pack("{s:o, s:s, s:s, s:s, s:s}", "facts", facts_json(cfg, f),
                                    "rule", r->id, "partner", p->id, "as",
                                    l == 0 ? "owner" : "fallback", "why", why));
        }
}

/*
 * A winner that routes a dependent service by its upstream (dependency
 * upstream_first or joint) where the bundle has no provider of an upstream
 * service in the region: the dependency the designer wrote cannot hold there.
 */
static void
check_upstreams(const struct config *cfg, const struct config_rule *r, const struct route_facts *f,
                struct finding *fd)
{
    const struct strlist *roles = NULL;
    const struct strlist *deps = upstreams_of(cfg, f->v[FACT_SERVICE], &roles);
    if (r->dependency == DEP_NONE || deps == NULL)
        return;
    for (size_t i = 0; i < deps->n; i++)
        if (route_resolve(cfg, roles->v[i], f->v[FACT_BUNDLE], f->v[cfg->place]) == NULL)
            found(fd, json_pack("{s:o, s:s, s:s, s:s, s:s}", "facts", facts_json(cfg, f), "rule",
                                r->id, "service", f->v[FACT_SERVICE], "upstream", deps->v[i],
                                "dependency", config_dependency_names[r->dependency]));
}

/* Depth first from service i: a dependency back to a service on the path closes a cycle. */
static void
cycles_from(const struct config *cfg, size_t i, unsigned char *state, size_t *path, size_t depth,
            struct finding *fd)
{
    state[i] = 1; /* on the path */
    path[depth] = i;
    const struct strlist *deps = &cfg->depends_on[i];
    for (size_t d = 0; d < deps->n; d++) {
        size_t j = 0;
        while (j < cfg->services.n && strcmp(cfg->services.v[j], deps->v[d]) != 0)
            j++;
        if (j == cfg->services.n)
            continue; /* the loader refuses it */
        if (state[j] == 0) {
            cycles_from(cfg, j, state, path, depth + 1, fd);
        } else if (state[j] == 1) {
            json_t *cycle = json_array();
            size_t from = 0;
            while (path[from] != j)
                from++;
            for (size_t k = from; k <= depth; k++)
                json_array_append_new(cycle, json_string(cfg->services.v[path[k]]));
            json_array_append_new(cycle, json_string(cfg->services.v[j]));
            found(fd, json_pack("{s:o}", "cycle", cycle));
        }
    }
    state[i] = 2; /* done */
}

/* Services whose dependencies lead back to themselves: no provider would ever be first. */
static void
check_cycles(const struct config *cfg, struct finding *fd)
{
    size_t n = cfg->services.n;
    if (cfg->depends_on == NULL || n == 0)
        return;
    unsigned char *state = calloc(n, 1);
    size_t *path = calloc(n, sizeof(*path));
    if (state == NULL || path == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        if (state[i] == 0)
            cycles_from(cfg, i, state, path, 0, fd);
    free(state);
    free(path);
}

static void
check_one(const struct config *cfg, const struct route_facts *f, struct finding *gaps,
          struct finding *conflicts, struct finding *unresolvable, struct finding *fallback,
          struct finding *named, struct finding *upstreams, unsigned char *won)
{
    const struct config_rule *top = NULL;
    size_t top_i = 0;
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct config_rule *r = &cfg->rules[i];
        if (rule_matches(cfg, r, f, NULL, 0) && (top == NULL || better(r, top))) {
            top = r;
            top_i = i;
        }
    }
    if (top == NULL)
        return; /* impossible: the default rule matches everything */
    json_t *tied = json_array();
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct config_rule *r = &cfg->rules[i];
        if (i != top_i && rule_matches(cfg, r, f, NULL, 0) && !better(top, r) &&
            !same_outcome(cfg, top, r, f)) {
            json_array_append_new(tied, json_string(r->id));
            won[i] = 1; /* in conflict, not shadowed */
        }
    }
    if (json_array_size(tied) > 0) {
        json_array_insert_new(tied, 0, json_string(top->id));
        found(conflicts, json_pack("{s:o, s:o}", "facts", facts_json(cfg, f), "rules", tied));
        won[top_i] = 1;
        return;
    }
    json_decref(tied);
    struct route_owner o[ROUTE_MAX_OWNERS];
    size_t n;
    const char *bad = NULL;
    if (resolve_owners(cfg, top, f, o, &n, &bad) != 0) {
        found(unresolvable, json_pack("{s:o, s:s, s:s}", "facts", facts_json(cfg, f), "rule",
                                      top->id, "owner", bad));
        return;
    }
    won[top_i] = 1;
    check_named(cfg, top, f, named);
    check_upstreams(cfg, top, f, upstreams);
    if (is_default(top))
        found(gaps, json_pack("{s:o}", "facts", facts_json(cfg, f)));
    for (size_t i = 0; i < top->fallback.n; i++)
        if (resolve_role(cfg, top->fallback.v[i], f) == NULL)
            found(fallback, json_pack("{s:o, s:s, s:s}", "facts", facts_json(cfg, f), "rule",
                                      top->id, "fallback", top->fallback.v[i]));
}

static json_t *
finding_json(struct finding *fd)
{
    return json_pack("{s:I, s:o}", "count", (json_int_t)fd->count, "examples", fd->examples);
}

json_t *
route_check(const struct config *cfg, int *fatal)
{
    struct finding gaps = {"gaps", 0, json_array()}, conflicts = {"conflicts", 0, json_array()},
                   unresolvable = {"unresolvable", 0, json_array()},
                   fallback = {"fallback", 0, json_array()},
                   named = {"unserved_owners", 0, json_array()},
                   upstreams = {"unresolvable_upstreams", 0, json_array()},
                   cycles = {"dependency_cycles", 0, json_array()};
    unsigned char *won = calloc(cfg->nrules ? cfg->nrules : 1, 1);
    unsigned long combos = 0;
    if (won == NULL)
        abort();
    /*
     * One odometer over the facts: a digit per fact kind, each running
     * over its vocabulary (an optional fact also over "not given", after
     * its values); the digit of the lowest sweep turns slowest.
     */
    size_t order[FACT_MAX], digit[FACT_MAX] = {0}, base[FACT_MAX];
    size_t n = fact_sweep_order(cfg->fact_kinds, cfg->nfact_kinds, order);
    int empty = 0;
    for (size_t k = 0; k < n; k++) {
        base[k] = cfg->vocab[k].n + (cfg->fact_kinds[k].optional ? 1 : 0);
        empty |= base[k] == 0;
    }
    while (!empty) {
        struct route_facts f;
        memset(&f, 0, sizeof(f));
        for (size_t k = 0; k < n; k++)
            f.v[k] = digit[k] < cfg->vocab[k].n ? cfg->vocab[k].v[digit[k]] : NULL;
        combos++;
        check_one(cfg, &f, &gaps, &conflicts, &unresolvable, &fallback, &named, &upstreams, won);
        size_t d = n; /* turn: the fastest digit, carrying into slower ones */
        while (d > 0 && ++digit[order[d - 1]] == base[order[d - 1]])
            digit[order[--d]] = 0;
        if (d == 0)
            break;
    }
    json_t *shadowed = json_array();
    for (size_t i = 0; i < cfg->nrules; i++)
        if (!won[i])
            json_array_append_new(shadowed, json_string(cfg->rules[i].id));
    free(won);
    check_cycles(cfg, &cycles);
    *fatal = conflicts.count > 0 || unresolvable.count > 0 || named.count > 0 ||
             upstreams.count > 0 || cycles.count > 0;
    return json_pack("{s:b, s:I, s:I, s:o, s:o, s:o, s:{s:I, s:o}, s:o, s:o, s:{s:i, s:[]}, s:o, "
                     "s:o, s:{s:i, s:[]}}",
                     "ok", !*fatal, "combinations", (json_int_t)combos, "rules",
                     (json_int_t)cfg->nrules, "gaps", finding_json(&gaps), "conflicts",
                     finding_json(&conflicts), "unresolvable_owners", finding_json(&unresolvable),
                     "shadowed", "count", (json_int_t)json_array_size(shadowed), "rules", shadowed,
                     "unresolvable_fallbacks", finding_json(&fallback), "unserved_owners",
                     finding_json(&named), "unknown_vocabulary", "count", 0, "examples",
                     "unresolvable_upstreams", finding_json(&upstreams), "dependency_cycles",
                     finding_json(&cycles), "unknown_dependencies", "count", 0, "examples");
}
