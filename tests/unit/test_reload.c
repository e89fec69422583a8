/*
 * test_reload.c: the configuration in force as snapshots (reload.c) and the
 * configuration keys of issue 21's reload and TLS (config.c). A snapshot
 * held across a reload keeps its configuration readable (under the
 * sanitizers a read of a freed one fails the test) and is freed by its last
 * holder; a good file is taken (generation 2, its version), a file whose
 * rules conflict, one that is not valid and one that changes what only a
 * restart changes are refused and the one in force stays. The version is the
 * file's SHA-256 prefix; tls and trusted_proxies are read and refused by
 * path; an IPv6 listen address goes in brackets; an address is in a network
 * of IPv4 or IPv6 as its prefix says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "log.h"
#include "reload.h"
#include "route.h"
#include "sla.h"
#include "tap.h"

static const char *conf_path = "conf/seam.json";
static char *dir;

/* The example with filter applied to its JSON, written to dir/NAME; the path (malloc'd). */
static char *
write_conf(const char *name, void (*change)(json_t *root))
{
    json_t *root = json_load_file(conf_path, JSON_REJECT_DUPLICATES, NULL);
    if (root == NULL)
        return NULL;
    if (change != NULL)
        change(root);
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    json_dump_file(root, path, JSON_INDENT(2));
    json_decref(root);
    return path;
}

static json_t *
rule(json_t *root, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(root, "rules"), i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "id")), id) == 0)
            return r;
    }
    return NULL;
}

static void
new_fallback(json_t *root)
{
    json_object_set_new(rule(root, "internet-access"), "fallback",
                        json_pack("[s,s]", "nordtel", "lead"));
}

static void
clash(json_t *root)
{
    json_t *r = json_deep_copy(rule(root, "internet-access"));
    json_object_set_new(r, "id", json_string("internet-clash"));
    json_object_set_new(r, "owners", json_string("nordtel"));
    json_array_append_new(json_object_get(root, "rules"), r);
}

static void
unknown_key(json_t *root)
{
    json_object_set_new(json_object_get(root, "limits"), "no_such_limit", json_integer(1));
}

static void
more_threads(json_t *root)
{
    json_object_set_new(json_object_get(root, "limits"), "threads", json_integer(7));
}

static void
tls_and_proxies(json_t *root)
{
    json_object_set_new(root, "tls", json_pack("{s:s, s:s}", "cert", "/c.pem", "key", "/k.pem"));
    json_object_set_new(root, "trusted_proxies",
                        json_pack("[s,s,s]", "127.0.0.1", "::1", "fd00::/8"));
}

static void
bad_tls(json_t *root)
{
    json_object_set_new(root, "tls", json_pack("{s:s}", "cert", "/c.pem"));
    json_object_set_new(root, "trusted_proxies", json_pack("[s,s]", "10.0.0.0/8", "10.0.0.0/33"));
}

static void
ipv6_listen(json_t *root)
{
    json_object_set_new(root, "listen", json_string("[::1]:8480"));
}

static void
bad_ipv6_listen(json_t *root)
{
    json_object_set_new(root, "listen", json_string("::1:8480"));
}

/* The first entry of a rule's fallback chain, or "". */
static const char *
fallback0(const struct config *c, const char *id)
{
    for (size_t i = 0; i < c->nrules; i++)
        if (strcmp(c->rules[i].id, id) == 0 && c->rules[i].fallback.n > 0)
            return c->rules[i].fallback.v[0];
    return "";
}

static struct config *
load(const char *path, char **errors)
{
    struct config *c = NULL;
    *errors = NULL;
    if (config_load(path, &c, errors) != SEAM_OK)
        return NULL;
    return c;
}

static int
in(const char *net, const char *addr)
{
    struct config *c;
    char *errors = NULL;
    /* through the loader: one network in $.trusted_proxies */
    json_t *root = json_load_file(conf_path, 0, NULL);
    json_object_set_new(root, "trusted_proxies", json_pack("[s]", net));
    char *s = json_dumps(root, 0);
    json_decref(root);
    if (config_load_buffer("t.json", s, strlen(s), &c, &errors) != SEAM_OK) {
        free(s);
        free(errors);
        return -1;
    }
    free(s);
    uint8_t a[16] = {0};
    struct in_addr a4;
    if (inet_pton(AF_INET, addr, &a4) == 1) {
        a[10] = a[11] = 0xff;
        memcpy(a + 12, &a4, 4);
    } else if (inet_pton(AF_INET6, addr, a) != 1) {
        config_free(c);
        return -1;
    }
    int r = config_net6_has(c->trusted_proxies, c->ntrusted_proxies, a);
    config_free(c);
    return r;
}

int
main(void)
{
    char *errors = NULL;
    if (sodium_init() < 0)
        return 1;
    log_init(0);
    dir = tap_tmpdir();
    ok(dir != NULL, "a temporary directory");

    /* ---- configuration keys ---- */
    char *p0 = write_conf("a.json", NULL), *pb = write_conf("b.json", new_fallback);
    struct config *a = load(p0, &errors), *b = load(pb, &errors);
    ok(a != NULL && b != NULL, "the example and a changed copy load");
    ok(strlen(a->version) == 16 && strspn(a->version, "0123456789abcdef") == 16,
       "the version is 16 hex digits (%s)", a->version);
    ok(strcmp(a->version, b->version) != 0, "another file, another version");
    struct config *a2 = load(p0, &errors);
    ok(a2 != NULL && strcmp(a->version, a2->version) == 0, "the same file, the same version");
    config_free(a2);
    ok(a->tls_cert == NULL && a->ntrusted_proxies == 0, "no tls, no trusted proxy by default");
    char *pt = write_conf("t.json", tls_and_proxies);
    struct config *t = load(pt, &errors);
    ok(t != NULL && strcmp(t->tls_cert, "/c.pem") == 0 && strcmp(t->tls_key, "/k.pem") == 0 &&
           t->ntrusted_proxies == 3,
       "tls and trusted_proxies are read");
    char *pbad = write_conf("bad.json", bad_tls);
    struct config *bad = load(pbad, &errors);
    ok(bad == NULL && errors != NULL && strstr(errors, "$.tls") != NULL &&
           strstr(errors, "key") != NULL,
       "tls without its key is refused at $.tls");
    ok(errors != NULL && strstr(errors, "$.trusted_proxies[1]") != NULL,
       "a network of /33 is refused at $.trusted_proxies[1]");
    free(errors);
    char *p6 = write_conf("v6.json", ipv6_listen);
    struct config *v6 = load(p6, &errors);
    ok(v6 != NULL && strcmp(v6->listen_host, "::1") == 0 && v6->listen_port == 8480,
       "listen \"[::1]:8480\" is ::1, port 8480");
    char *p6b = write_conf("v6b.json", bad_ipv6_listen);
    struct config *v6b = load(p6b, &errors);
    ok(v6b == NULL && errors != NULL && strstr(errors, "$.listen") != NULL,
       "an IPv6 address without brackets is refused at $.listen");
    free(errors);
    ok(in("10.0.0.0/8", "10.1.2.3") == 1 && in("10.0.0.0/8", "11.0.0.1") == 0,
       "an IPv4 network holds its addresses only");
    ok(in("127.0.0.1", "127.0.0.1") == 1 && in("127.0.0.1", "127.0.0.2") == 0,
       "an IPv4 address is a /32");
    ok(in("::1", "::1") == 1 && in("::1", "::2") == 0 && in("::1", "127.0.0.1") == 0,
       "an IPv6 address is a /128, and not the IPv4 loopback");
    ok(in("fd00::/8", "fd12::1") == 1 && in("fd00::/8", "fe80::1") == 0,
       "an IPv6 network holds its addresses only");
    ok(in("0.0.0.0/0", "192.0.2.1") == 1 && in("0.0.0.0/0", "2001:db8::1") == 0,
       "0.0.0.0/0 is every IPv4 address and no IPv6 one");
    ok(in("10.0.0.1/7", "11.255.0.1") == 1 && in("10.0.0.1/7", "12.0.0.1") == 0,
       "a prefix that is not a multiple of 8 bits");

    /* ---- what only a restart changes ---- */
    char *why = NULL;
    ok(reload_restart_only(a, b, &why) == SEAM_OK, "rules may change by a reload");
    char *pth = write_conf("threads.json", more_threads);
    struct config *th = load(pth, &errors);
    ok(th != NULL && reload_restart_only(a, th, &why) == SEAM_EINVAL && why != NULL &&
           strstr(why, "limits.threads") != NULL,
       "limits.threads may not: %s", why ? why : "");
    free(why);
    why = NULL;
    ok(reload_restart_only(a, t, &why) == SEAM_EINVAL && why != NULL &&
           strstr(why, "tls (on or off)") != NULL,
       "turning TLS on may not");
    free(why);
    why = NULL;
    ok(reload_restart_only(a, v6, &why) == SEAM_EINVAL && strstr(why, "listen") != NULL,
       "listen may not");
    free(why);
    why = NULL;

    /* ---- snapshots and the reload ---- */
    int fatal = 0;
    json_t *report = route_check(a, &fatal);
    struct sla *sla = sla_new(a);
    ok(!fatal && sla != NULL, "the example's rules pass their check");
    char version_a[17];
    memcpy(version_a, a->version, sizeof(version_a));
    snapshot_start(a, sla, report);
    struct snapshot *held = snapshot_hold();
    ok(held != NULL && held->generation == 1 && held->cfg == a, "generation 1 is the start's");
    struct reload_opts ro = {.path = p0};
    char *live = write_conf("live.json", new_fallback);
    ro.path = live;
    ok(reload_run(&ro, &why) == SEAM_OK, "a good file is taken");
    struct snapshot *now = snapshot_hold();
    ok(now->generation == 2 && strcmp(now->cfg->version, b->version) == 0,
       "generation 2, the new file's version");
    ok(strcmp(held->cfg->version, version_a) == 0 &&
           strcmp(fallback0(held->cfg, "internet-access"), "provider_of:wiring") == 0,
       "the snapshot held across the reload keeps its configuration (its version, its chain)");
    ok(strcmp(fallback0(now->cfg, "internet-access"), "nordtel") == 0,
       "the one in force has the new chain");
    ok(atomic_load(&held->refs) == 1, "... and only its holder holds it now");
    snapshot_drop(held); /* freed here: under the sanitizers a later read of it would fail */

    char *pc = write_conf("clash.json", clash);
    ro.path = pc;
    ok(reload_run(&ro, &why) == SEAM_EINVAL && why != NULL && strstr(why, "conflicts") != NULL,
       "conflicting rules are refused: %s", why ? why : "");
    free(why);
    why = NULL;
    char *pu = write_conf("unknown.json", unknown_key);
    ro.path = pu;
    ok(reload_run(&ro, &why) == SEAM_EINVAL && why != NULL && strstr(why, "not valid") != NULL,
       "an unknown key is refused");
    free(why);
    why = NULL;
    ro.path = pth;
    ok(reload_run(&ro, &why) == SEAM_EINVAL && why != NULL && strstr(why, "limits.threads"),
       "a change of limits.threads is refused");
    free(why);
    why = NULL;
    ro.path = "/nonexistent/seam.json";
    ok(reload_run(&ro, &why) == SEAM_EINVAL, "a file that cannot be read is refused");
    free(why);
    why = NULL;
    struct snapshot *after = snapshot_hold();
    ok(after == now && after->generation == 2, "after the refusals generation 2 stays in force");
    char *m = reload_metrics_text();
    ok(strstr(m, "seam_config_generation 2\n") != NULL &&
           strstr(m, "seam_config_reloads_total{result=\"ok\"} 1\n") != NULL &&
           strstr(m, "seam_config_reloads_total{result=\"refused\"} 4\n") != NULL &&
           strstr(m, "seam_config_last_reload_refused{reason=\"unreadable\"} 1\n") != NULL,
       "the metrics count them and name the last reason");
    free(m);
    snapshot_drop(after);
    snapshot_drop(now);
    snapshot_stop();

    config_free(b);
    config_free(t);
    config_free(v6);
    config_free(th);
    const char *files[] = {p0, pb, pt, pbad, p6, p6b, pth, live, pc, pu};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        unlink(files[i]);
        free((char *)files[i]);
    }
    rmdir(dir);
    free(dir);
    return done_testing();
}
