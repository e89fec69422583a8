/*
 * test_config.c: the configuration loader on the example federation and on
 * broken variants, each error naming the JSON path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "tap.h"

static const char *conf_path = "conf/seam.json";

/* Loads the example with one change applied by a callback; returns the errors. */
static char *
load_variant(void (*change)(json_t *root), enum seam_err *rc_out)
{
    char path[] = "/tmp/seam-conf.XXXXXX";
    int fd = mkstemp(path);
    json_t *root = json_load_file(conf_path, 0, NULL);
    change(root);
    json_dumpfd(root, fd, JSON_INDENT(1));
    close(fd);
    json_decref(root);
    struct config *cfg = NULL;
    char *errors = NULL;
    *rc_out = config_load(path, &cfg, &errors);
    unlink(path);
    config_free(cfg);
    return errors ? errors : strdup("");
}

static void
unknown_key(json_t *r)
{
    json_object_set_new(json_object_get(r, "limits"), "max_bodyy", json_integer(1));
}
static void
wrong_type(json_t *r)
{
    json_object_set_new(r, "listen", json_integer(80));
}
static void
bad_bound(json_t *r)
{
    json_object_set_new(json_object_get(r, "limits"), "threads", json_integer(0));
}
static void
dangling(json_t *r)
{
    json_t *b = json_array_get(json_object_get(r, "bundles"), 2);
    json_object_set_new(json_object_get(b, "services"), "phone", json_string("ghost"));
}
static void
bad_id(json_t *r)
{
    json_object_set_new(json_array_get(json_object_get(r, "partners"), 0), "id",
                        json_string("Sky View"));
}
static void
single_two_owners(json_t *r)
{
    json_t *rule = json_array_get(json_object_get(r, "rules"), 0);
    json_object_set_new(rule, "owners", json_pack("[s,s]", "provider_of:tv", "lead"));
}
static void
two_errors(json_t *r)
{
    json_object_set_new(r, "max_bounces", json_integer(1000));
    json_object_set_new(json_object_get(r, "lead"), "sla_policy", json_string("none"));
}
static void
no_change(json_t *r)
{
    (void)r;
}

/* skyview as a tmf621 partner (eBonding): its own map, or TMF621's (default_map). */
static int default_map;
static void
tmf621(json_t *r)
{
    json_t *d = json_pack("{s:s, s:s, s:s, s:s}", "mode", "tmf621", "url",
                          "https://oss.skyview.example/tmf-api/troubleTicket/v4", "token_file",
                          "/etc/seam/skyview.token", "callback_url", "https://seam.example");
    if (!default_map)
        json_object_set_new(d, "status_map",
                            json_pack("{s:s, s:s}", "dispatched", "progress", "done", "resolve"));
    json_object_set_new(json_array_get(json_object_get(r, "partners"), 0), "delivery", d);
}
static void
tmf621_bad(json_t *r)
{
    json_object_set_new(json_array_get(json_object_get(r, "partners"), 0), "delivery",
                        json_pack("{s:s, s:s, s:s, s:{s:s}}", "mode", "tmf621", "url",
                                  "https://oss.example/v4", "token_file", "relative.token",
                                  "status_map", "done", "finish"));
}
static void
pull_with_map(json_t *r)
{
    json_object_set_new(json_array_get(json_object_get(r, "partners"), 1), "delivery",
                        json_pack("{s:s, s:{}}", "mode", "pull", "status_map"));
}

/* The example with change applied, loaded (config_free), or NULL. */
static struct config *
load_config(void (*change)(json_t *root))
{
    char path[] = "/tmp/seam-conf.XXXXXX";
    int fd = mkstemp(path);
    json_t *root = json_load_file(conf_path, 0, NULL);
    change(root);
    json_dumpfd(root, fd, JSON_INDENT(1));
    close(fd);
    json_decref(root);
    struct config *cfg = NULL;
    char *errors = NULL;
    if (config_load(path, &cfg, &errors) != SEAM_OK)
        cfg = NULL;
    free(errors);
    unlink(path);
    return cfg;
}

/* What partner p's map says status means, or -1 when it does not name it. */
static int
map_of(const struct config_partner *p, const char *status)
{
    for (size_t i = 0; p && i < p->ebond.nstatus; i++)
        if (strcmp(p->ebond.status[i], status) == 0)
            return (int)p->ebond.status_does[i];
    return -1;
}

int
main(void)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    enum seam_err rc;
    if (access(conf_path, R_OK) != 0)
        conf_path = "../conf/seam.json";
    ok(config_load(conf_path, &cfg, &errors) == SEAM_OK, "the example federation loads");
    ok(cfg && cfg->npartners == 3 && cfg->nbundles == 3 && cfg->regions.n == 2,
       "three partners, three bundles, two regions");
    const struct config_partner *sky = config_partner_find(cfg, "skyview");
    ok(sky && sky->delivery == DELIVERY_PUSH && sky->url != NULL, "skyview is a push partner");
    ok(config_partner_find(cfg, "nordtel")->delivery == DELIVERY_PULL, "nordtel pulls");
    const struct config_bundle *tp = config_bundle_find(cfg, "triple-play");
    int north = 0, south = 0;
    for (size_t i = 0; tp && i < tp->nproviders; i++) {
        if (strcmp(tp->providers[i].service, "internet") != 0)
            continue;
        if (tp->providers[i].region && !strcmp(tp->providers[i].region, "north"))
            north = !strcmp(tp->providers[i].partner, "fibernet");
        if (tp->providers[i].region && !strcmp(tp->providers[i].region, "south"))
            south = !strcmp(tp->providers[i].partner, "nordtel");
    }
    ok(north && south, "the internet provider differs by region");
    ok(cfg && cfg->lead.sla && cfg->lead.sla->targets[PRIO_URGENT].ack_minutes == 30,
       "SLA policies resolve");
    const struct config_calendar *cal = cfg ? cfg->lead.calendar : NULL;
    ok(cal && cal->nhours[0] == 1 && cal->hours[0][0].start == 480 && cal->nhours[5] == 0,
       "calendar hours parse (Monday 08:00, no Saturday)");
    config_free(cfg);

    errors = load_variant(unknown_key, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "$.limits.max_bodyy: unknown key"),
       "an unknown key names its path");
    free(errors);
    errors = load_variant(wrong_type, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "$.listen: expected a string"),
       "a wrong type names its path");
    free(errors);
    errors = load_variant(bad_bound, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "threads must be between 1 and 256"),
       "a value out of bounds is refused");
    free(errors);
    errors = load_variant(dangling, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "$.bundles[2].services.phone: no partner \"ghost\""),
       "a dangling reference names its path");
    free(errors);
    errors = load_variant(bad_id, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "$.partners[0].id"), "a malformed id is refused");
    free(errors);
    errors = load_variant(single_two_owners, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "mode \"single\" takes one owner"),
       "a single rule with two owners is refused");
    free(errors);
    errors = load_variant(two_errors, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "max_bounces") && strstr(errors, "$.lead.sla_policy"),
       "all problems are reported, not only the first");
    free(errors);
    struct config *tc = load_config(tmf621);
    const struct config_partner *ebp = tc ? config_partner_find(tc, "skyview") : NULL;
    ok(ebp && ebp->delivery == DELIVERY_TMF621 && ebp->ebond.callback_url &&
           ebp->ebond.poll_s == 60 && strcmp(ebp->ebond.token_file, "/etc/seam/skyview.token") == 0,
       "a tmf621 partner loads (poll_s 60 by default)");
    ok(map_of(ebp, "dispatched") == EBOND_PROGRESS && map_of(ebp, "done") == EBOND_RESOLVE &&
           map_of(ebp, "acknowledged") == -1,
       "its status_map is its own, whole");
    config_free(tc);
    default_map = 1;
    tc = load_config(tmf621);
    ebp = tc ? config_partner_find(tc, "skyview") : NULL;
    ok(map_of(ebp, "acknowledged") == EBOND_ACK && map_of(ebp, "pending") == EBOND_NEED_INFO &&
           map_of(ebp, "closed") == EBOND_RESOLVE && map_of(ebp, "rejected") == EBOND_HANDBACK,
       "without one, TMF621 v4's statuses");
    config_free(tc);
    errors = load_variant(tmf621_bad, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "token_file, an absolute path") &&
           strstr(errors, "$.partners[0].delivery.status_map.done"),
       "a relative token_file and an unknown action are refused, by path");
    free(errors);
    errors = load_variant(pull_with_map, &rc);
    ok(rc == SEAM_EINVAL && strstr(errors, "are a tmf621 partner's"),
       "a pull partner with a status_map is refused");
    free(errors);
    errors = load_variant(no_change, &rc);
    ok(rc == SEAM_OK && errors[0] == '\0', "a rewritten example still loads");
    free(errors);
    return done_testing();
}
