/*
 * reload.c: the configuration in force as reference-counted snapshots, and
 * its reload (reload.h). The pointer to the snapshot in force is read and
 * replaced under one mutex, held only long enough to take a reference or to
 * swap the pointer; the references themselves are atomic counts, so dropping
 * one takes no lock. A reload builds and checks everything on its own thread
 * before the swap: a reader sees the old snapshot or the new, whole.
 *
 * It does not decide what a configuration means: config.c loads and
 * validates, route.c checks the rules' coverage, sla.c opens the calendars.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reload.h"
#include "route.h"
#include "sla.h"

static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *cur; /* under cur_mu; holds one reference */

/* The outcome of reloads, for /metrics: written by the reloading thread under stats_mu. */
enum refusal { R_NONE, R_UNREADABLE, R_INVALID, R_RULES, R_RESTART_ONLY, R_CALENDAR, R_EXTRA };
static const char *const refusal_names[] = {"none",         "unreadable", "invalid", "rules",
                                            "restart_only", "calendar",   "tls"};
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long n_ok, n_refused;
static enum refusal last_refusal = R_NONE;
static int64_t last_attempt_ms;
static reload_extra_fn extra_fn;

static void
snapshot_free(struct snapshot *s)
{
    if (s->extra_free != NULL)
        s->extra_free(s->extra);
    json_decref(s->rules_report);
    sla_free(s->sla);
    config_free(s->cfg);
    free(s);
}

static struct snapshot *
snapshot_new(struct config *cfg, struct sla *sla, json_t *report, unsigned generation)
{
    struct snapshot *s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->sla = sla;
    s->rules_report = report;
    s->generation = generation;
    s->loaded_ms = now_ms();
    atomic_init(&s->refs, 1);
    return s;
}

void
snapshot_start(struct config *cfg, struct sla *sla, json_t *report)
{
    struct snapshot *s = snapshot_new(cfg, sla, report, 1);
    void *extra = NULL;
    void (*extra_free)(void *) = NULL;
    char *why = NULL;
    if (extra_fn != NULL && extra_fn(cfg, &extra, &extra_free, &why) != SEAM_OK)
        fatalx("%s", why ? why : "the configuration cannot be put in force");
    s->extra = extra;
    s->extra_free = extra_free;
    pthread_mutex_lock(&cur_mu);
    cur = s;
    pthread_mutex_unlock(&cur_mu);
}

struct snapshot *
snapshot_hold(void)
{
    pthread_mutex_lock(&cur_mu);
    struct snapshot *s = cur;
    if (s != NULL)
        atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&cur_mu);
    return s;
}

void
snapshot_drop(struct snapshot *s)
{
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
        snapshot_free(s);
}

void
snapshot_stop(void)
{
    pthread_mutex_lock(&cur_mu);
    struct snapshot *s = cur;
    cur = NULL;
    pthread_mutex_unlock(&cur_mu);
    snapshot_drop(s);
}

void
reload_on_load(reload_extra_fn fn)
{
    extra_fn = fn;
}

/* ---- what only a restart changes ---- */

static int
same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *
lead_zone(const struct config *c)
{
    return c->lead.calendar != NULL ? c->lead.calendar->timezone : NULL;
}

/* $.mail: its sender, its mailbox thread and the forwarder's relay read the start's. */
static int
same_mail(const struct config_mail *a, const struct config_mail *b)
{
    return a->on == b->on && same_str(a->smtp_url, b->smtp_url) && same_str(a->from, b->from) &&
           same_str(a->portal_url, b->portal_url) &&
           same_str(a->support_address, b->support_address) && same_str(a->imap_url, b->imap_url) &&
           same_str(a->imap_user, b->imap_user) && same_str(a->imap_password, b->imap_password) &&
           a->poll_ms == b->poll_ms && a->max_message_bytes == b->max_message_bytes &&
           ((a->complaint_facts == NULL && b->complaint_facts == NULL) ||
            json_equal(a->complaint_facts, b->complaint_facts));
}

/* $.witnesses: the submitting thread reads the start's. */
static int
same_witnesses(const struct config *a, const struct config *b)
{
    if (a->nwitnesses != b->nwitnesses || a->witness_quorum != b->witness_quorum)
        return 0;
    for (size_t i = 0; i < a->nwitnesses; i++)
        if (!same_str(a->witnesses[i].name, b->witnesses[i].name) ||
            !same_str(a->witnesses[i].url, b->witnesses[i].url) ||
            memcmp(a->witnesses[i].key, b->witnesses[i].key, sizeof(a->witnesses[i].key)) != 0)
            return 0;
    return 1;
}

/* $.replication: the node's stream, its role and its NATS connection are the start's. The node's
 * own name is not compared: seam-broker -N gives it at the start, the file may not. */
static int
same_replication(const struct config_replication *a, const struct config_replication *b)
{
    if (a->on != b->on || a->nservers != b->nservers)
        return 0;
    for (size_t i = 0; i < a->nservers; i++)
        if (!same_str(a->servers[i], b->servers[i]))
            return 0;
    return !a->on || (same_str(a->stream, b->stream) && same_str(a->subject, b->subject) &&
                      a->replicas == b->replicas && a->max_age_days == b->max_age_days &&
                      same_str(a->leader, b->leader) && same_str(a->url, b->url) &&
                      a->publish_timeout_ms == b->publish_timeout_ms && a->lease_ms == b->lease_ms);
}

static int
same_facts(const struct config *a, const struct config *b)
{
    if (a->nfact_kinds != b->nfact_kinds || a->place != b->place)
        return 0;
    for (size_t i = 0; i < a->nfact_kinds; i++)
        if (!same_str(a->fact_kinds[i].name, b->fact_kinds[i].name))
            return 0;
    return 1;
}

enum seam_err
reload_restart_only(const struct config *old, const struct config *fresh, char **why)
{
    /* Each is read once at the start: by the listening socket, the store, the evidence
     * log's origin, the records' fact names, the SLA aggregates' days, the HTTP thread
     * pool and its connection limits and timeouts, the writer's queue and batches. */
    struct {
        const char *key;
        int same;
    } keys[] = {
        {"listen",
         same_str(old->listen_host, fresh->listen_host) && old->listen_port == fresh->listen_port},
        {"data_dir", same_str(old->data_dir, fresh->data_dir)},
        {"federation", same_str(old->federation, fresh->federation)},
        {"facts", same_facts(old, fresh)},
        {"lead.calendar (its timezone)", same_str(lead_zone(old), lead_zone(fresh))},
        {"limits.threads", old->threads == fresh->threads},
        {"limits.max_connections", old->max_connections == fresh->max_connections},
        {"limits.connection_timeout_s", old->connection_timeout_s == fresh->connection_timeout_s},
        {"limits.header_timeout_s", old->header_timeout_s == fresh->header_timeout_s},
        {"limits.max_connections_per_ip",
         old->max_connections_per_ip == fresh->max_connections_per_ip},
        {"limits.queue_depth", old->queue_depth == fresh->queue_depth},
        {"limits.batch_max", old->batch_max == fresh->batch_max},
        {"limits.map_size_mb", old->map_size == fresh->map_size},
        {"limits.map_max_mb", old->map_max == fresh->map_max},
        {"tls (on or off)", (old->tls_cert == NULL) == (fresh->tls_cert == NULL)},
        {"mail", same_mail(&old->mail, &fresh->mail)},
        {"witnesses", same_witnesses(old, fresh)},
        {"replication", same_replication(&old->replication, &fresh->replication)},
    };
    char *list = NULL;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (keys[i].same)
            continue;
        char *more = xasprintf("%s%s%s", list ? list : "", list ? ", " : "", keys[i].key);
        free(list);
        list = more;
    }
    if (list == NULL)
        return SEAM_OK;
    *why = xasprintf("%s changed: only a restart changes %s", list,
                     strchr(list, ',') != NULL ? "them" : "it");
    free(list);
    return SEAM_EINVAL;
}

/* ---- the reload ---- */

static void
log_lines(const char *prefix, const char *text)
{
    while (text != NULL && *text != '\0') {
        size_t n = strcspn(text, "\n");
        if (n > 0)
            log_warnx("%s%.*s", prefix, (int)n, text);
        text += n;
        if (*text == '\n')
            text++;
    }
}

static void
write_state(const char *path, int ok, unsigned generation, const char *version, const char *why)
{
    if (path == NULL)
        return;
    unsigned long attempts;
    pthread_mutex_lock(&stats_mu);
    attempts = n_ok + n_refused;
    pthread_mutex_unlock(&stats_mu);
    json_t *o = json_pack("{s:I, s:b, s:I, s:s, s:s?, s:I}", "attempt", (json_int_t)attempts, "ok",
                          ok, "generation", (json_int_t)generation, "version", version, "why", why,
                          "pid", (json_int_t)getpid());
    char *tmp = xasprintf("%s.tmp", path);
    if (o == NULL || json_dump_file(o, tmp, JSON_COMPACT) != 0 || rename(tmp, path) != 0)
        log_warn("reload: cannot write %s", path);
    json_decref(o);
    free(tmp);
}

static void
count(enum refusal r)
{
    pthread_mutex_lock(&stats_mu);
    if (r == R_NONE)
        n_ok++;
    else
        n_refused++;
    last_refusal = r;
    last_attempt_ms = now_ms();
    pthread_mutex_unlock(&stats_mu);
}

enum seam_err
reload_run(const struct reload_opts *opts, char **why)
{
    struct config *cfg = NULL;
    struct sla *sla = NULL;
    json_t *report = NULL;
    char *errors = NULL, *reason = NULL;
    void *extra = NULL;
    void (*extra_free)(void *) = NULL;
    enum refusal r = R_NONE;
    struct snapshot *old = snapshot_hold();
    enum seam_err rc = config_load(opts->path, &cfg, &errors);

    log_info("reload: reading %s (generation %u in force, version %s)", opts->path, old->generation,
             old->cfg->version);
    if (rc != SEAM_OK) {
        r = rc == SEAM_EINVAL ? R_INVALID : R_UNREADABLE;
        log_lines("reload: ", errors);
        reason = xasprintf("%s: %s", opts->path,
                           r == R_INVALID ? "the configuration is not valid (see the log)"
                                          : "cannot be read");
        goto out;
    }
    if (opts->listen != NULL && config_set_listen(cfg, opts->listen) != 0) {
        r = R_INVALID;
        reason = xasprintf("-l %s: expected ADDRESS:PORT", opts->listen);
        goto out;
    }
    if (opts->datadir != NULL) {
        free(cfg->data_dir);
        cfg->data_dir = xstrdup(opts->datadir);
    }
    if (reload_restart_only(old->cfg, cfg, &reason) != SEAM_OK) {
        r = R_RESTART_ONLY;
        goto out;
    }
    /* Invariant 6 at a reload as at the start: the rules are checked before they are used. */
    int fatal = 0;
    report = route_check(cfg, &fatal);
    if (fatal) {
        /* The findings that refuse it (gaps, shadowed rules and fallbacks that cannot be
         * resolved do not): what seamctl rules check would show first. */
        json_t *refusing = json_object();
        const char *key;
        json_t *v;
        json_object_foreach(report, key, v)
        {
            if (json_is_object(v) && json_integer_value(json_object_get(v, "count")) > 0 &&
                strcmp(key, "gaps") != 0 && strcmp(key, "shadowed") != 0 &&
                strcmp(key, "unresolvable_fallbacks") != 0)
                json_object_set(refusing, key, v);
        }
        char *text = json_dumps(refusing, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(refusing);
        log_warnx("reload: the rules' check: %s", text ? text : "?");
        free(text);
        r = R_RULES;
        reason = xstrdup("the rules have conflicts, owners that cannot be resolved, partners "
                         "named for what they do not serve, dependency cycles or upstreams that "
                         "cannot be resolved; see 'seamctl rules check'");
        goto out;
    }
    sla = sla_new(cfg);
    if (sla == NULL) {
        r = R_CALENDAR;
        reason = xstrdup("a calendar's time zone is not known to ICU");
        goto out;
    }
    if (extra_fn != NULL && extra_fn(cfg, &extra, &extra_free, &reason) != SEAM_OK) {
        r = R_EXTRA;
        goto out;
    }
out:
    if (r != R_NONE) {
        log_warnx("reload: refused, the configuration in force stays (generation %u, version "
                  "%s): %s",
                  old->generation, old->cfg->version, reason ? reason : "?");
        count(r);
        write_state(opts->state, 0, old->generation, old->cfg->version, reason);
        if (why != NULL)
            *why = reason;
        else
            free(reason);
        free(errors);
        json_decref(report);
        sla_free(sla);
        config_free(cfg);
        snapshot_drop(old);
        return SEAM_EINVAL;
    }
    struct snapshot *s = snapshot_new(cfg, sla, report, old->generation + 1);
    s->extra = extra;
    s->extra_free = extra_free;
    pthread_mutex_lock(&cur_mu);
    struct snapshot *prev = cur;
    cur = s;
    pthread_mutex_unlock(&cur_mu);
    count(R_NONE);
    log_info("reload: generation %u in force, version %s (was %s); requests begun before keep "
             "the one they began with",
             s->generation, cfg->version, old->cfg->version);
    write_state(opts->state, 1, s->generation, cfg->version, NULL);
    snapshot_drop(prev); /* the reference cur held */
    snapshot_drop(old);  /* ours */
    free(errors);
    return SEAM_OK;
}

char *
reload_metrics_text(void)
{
    struct snapshot *s = snapshot_hold();
    pthread_mutex_lock(&stats_mu);
    char *refused = last_refusal != R_NONE
                        ? xasprintf("seam_config_last_reload_refused{reason=\"%s\"} 1\n",
                                    refusal_names[last_refusal])
                        : xstrdup("");
    char *text = xasprintf(
        "# HELP seam_config_generation The configuration in force: 1 at the start, one more for "
        "each reload taken.\n"
        "# TYPE seam_config_generation gauge\n"
        "seam_config_generation %u\n"
        "# HELP seam_config_info The version (SHA-256 prefix of the file) of the configuration "
        "in force.\n"
        "# TYPE seam_config_info gauge\n"
        "seam_config_info{version=\"%s\"} 1\n"
        "# HELP seam_config_reloads_total Reloads asked for (SIGHUP, seamctl reload), by "
        "outcome.\n"
        "# TYPE seam_config_reloads_total counter\n"
        "seam_config_reloads_total{result=\"ok\"} %lu\n"
        "seam_config_reloads_total{result=\"refused\"} %lu\n"
        "# HELP seam_config_last_reload_success 0 when the last reload was refused (the "
        "configuration in force is older than the file), else 1.\n"
        "# TYPE seam_config_last_reload_success gauge\n"
        "seam_config_last_reload_success %d\n"
        "# HELP seam_config_last_reload_timestamp_seconds When the last reload was asked for (0: "
        "never).\n"
        "# TYPE seam_config_last_reload_timestamp_seconds gauge\n"
        "seam_config_last_reload_timestamp_seconds %lld\n"
        "# HELP seam_config_last_reload_refused Why the last reload was refused (present only "
        "then).\n"
        "# TYPE seam_config_last_reload_refused gauge\n"
        "%s",
        s ? s->generation : 0, s ? s->cfg->version : "", n_ok, n_refused, last_refusal == R_NONE,
        (long long)(last_attempt_ms / 1000), refused);
    pthread_mutex_unlock(&stats_mu);
    free(refused);
    snapshot_drop(s);
    return text;
}
