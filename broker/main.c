/*
 * main.c: seam-broker. Parses the command line, loads and checks the
 * configuration, opens the store and the broker's key, starts the writer
 * and the HTTP server, and stops them in order on SIGINT or SIGTERM: HTTP
 * first (no new requests), then the writer (the queue drains), then the
 * store.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "dirlock.h"
#include "fanout.h"
#include "forward.h"
#include "witness_client.h"
#include "ebond_client.h"
#include "http.h"
#include "index.h"
#include "index_check.h"
#include "log.h"
#include "mail_in.h"
#include "mail_out.h"
#include "longpoll.h"
#include "notify.h"
#include "audit.h"
#include "record.h"
#include "sla_agg.h"
#include "outbox.h"
#include "reload.h"
#include "replay.h"
#include "replica.h"
#include "route.h"
#include "scheduler.h"
#include "ticket.h"
#include "tmf.h"
#include "web.h"

/*
 * The store holds customers' contacts and token hashes, the key signs the
 * evidence: the broker does not start while others may read or write any
 * of them, and says how to fix it.
 */
static void
refuse_open_files(const char *dir)
{
    static const char *const files[] = {"broker.key", "data.mdb", "lock.mdb"};
    char real[PATH_MAX];
    const char *base = realpath(dir, real) != NULL ? real : dir;
    int bad = 0;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = xasprintf("%s/%s", base, files[i]);
        struct stat st;
        if (stat(path, &st) == 0 && (st.st_mode & 077) != 0) {
            log_warnx("%s may be read or written by others (mode %04o); fix it with: chmod 600 %s",
                      path, (unsigned)(st.st_mode & 07777), path);
            bad = 1;
        }
        free(path);
    }
    if (bad)
        fatalx("files of %s are open to others; refusing to start", dir);
}

/* The broker's pid, for seamctl reload: written once it serves, removed at the stop. */
static void
write_pidfile(const char *path)
{
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    if (f != NULL) {
        ok = fprintf(f, "%ld\n", (long)getpid()) > 0;
        ok = fclose(f) == 0 && ok;
    }
    if (!ok || rename(tmp, path) != 0)
        log_warn("cannot write %s (seamctl reload needs it; kill -HUP works without)", path);
    free(tmp);
}

/*
 * Takes the data directory's owner lock for the broker's whole life (dirlock.h): a second broker
 * on the same directory would sign a second history with the same key.
 */
static void
lock_data_dir(const char *dir)
{
    char *holder = NULL;
    int fd;
    enum seam_err rc = dirlock_take(dir, "seam-broker", &fd, &holder);
    if (rc == SEAM_EBUSY)
        fatalx("data directory %s is in use by %s (it holds %s/seam.lock): a second broker on it "
               "would fork its history; stop that one first or give this one its own data_dir",
               dir, holder ? holder : "another process", dir);
    if (rc != SEAM_OK)
        fatal("cannot lock the data directory %s (%s/seam.lock)", dir, dir);
    (void)fd; /* held open until the process ends: the kernel releases it then */
}

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: seam-broker -c FILE [-l ADDR:PORT] [-d DATADIR] [-N NODE] [-n] [-v]\n"
            "       seam-broker -h | --help | -V | --version\n"
            "  -c FILE       the federation's configuration (JSON)\n"
            "  -l ADDR:PORT  listen here instead of the configuration's \"listen\"\n"
            "                (IPv6 in brackets, [::]:PORT both families; port 0: any\n"
            "                free port, logged at start)\n"
            "  -d DATADIR    use this data directory instead of \"data_dir\"\n"
            "  -N NODE       this node's name in \"replication\" instead of its \"node\"\n"
            "  -n            check the configuration (its rules, its TLS files) and exit\n"
            "  -v            log debug lines\n"
            "  -h, --help    print this help and exit\n"
            "  -V, --version print the version and exit\n"
            "  -T TIME       test clock, starting at TIME (RFC 3339 UTC, or \"now\"); POST\n"
            "                /v1/test/clock moves it forward (tests only, never in production)\n");
}

/*
 * The fan-out (fanout.h), registered before any thread starts. In a
 * ticket's write transaction the TMF621 hubs queue their notifications
 * (tmf_notify). After a commit the long-polls of the owners whose queues
 * changed wake, and the push thread looks at the outbox if a message was
 * queued (a partner's push or a hub's notification).
 */
static void
wake_longpolls(void *ctx, const struct fanout_news *news)
{
    (void)ctx;
    for (size_t i = 0; i < news->n_owners; i++)
        longpoll_notify(news->owners[i]);
}

static void
wake_push(void *ctx, const struct fanout_news *news)
{
    struct server *srv = ctx;
    (void)news;
    if (outbox_take_news())
        forward_kick(srv->fwd);
}

static enum seam_err
merge_some(struct store_txn *t, void *ctx)
{
    (void)ctx;
    return index_merge(t, INDEX_MERGE_MAX, NULL);
}

/* After each batch: the log's work (evlog_hook), then the ticket indexes' pending entries once
 * enough wait (index.h), nested: a merge that fails (the store full) is undone and left for
 * later, never a reason to refuse the batch's requests. */
static enum seam_err
batch_hook(struct store_txn *t, void *ctx)
{
    enum seam_err rc = evlog_hook(t, ctx);
    if (rc == SEAM_OK && index_merge_wanted(0) && store_nested(t, merge_some, NULL) != SEAM_OK)
        log_debug("index: the pending entries' merge failed; left for later");
    return rc;
}

/* A stopping writer writes every pending entry (a clean stop leaves none). */
static int
merge_needed(void *ctx)
{
    (void)ctx;
    return index_merge_wanted(1);
}

static enum seam_err
merge_all(struct store_txn *t, void *ctx)
{
    (void)ctx;
    return index_merge_all(t);
}

/* The command line, for a restart in place (replica.h: a change of role). */
static char **start_argv;

/*
 * The lease made this node the leader, or another node took it: the process
 * starts again, the same program with the same arguments and the same pid,
 * and decides its role at its start. Nothing is lost: the store is LMDB's
 * (a write under way is simply not committed) and an answer not sent was
 * never a 2xx.
 *
 * The lease's thread asks (restart_request: SIGUSR2 to the process) and the
 * main thread, which takes every signal, starts again, unless a stop came
 * first: a SIGTERM taken before the request stops the broker, one pending
 * beside it is kept for the new image (the blocked mask and pending signals
 * pass through execv), and one that arrives later finds the new image. A
 * restart by the lease's thread itself could replace a process whose main
 * thread had already taken a SIGTERM: that stop was lost.
 */
static pthread_mutex_t restart_mu = PTHREAD_MUTEX_INITIALIZER;
static char restart_why[160]; /* "": no restart asked */

static void
restart_request(const char *why)
{
    pthread_mutex_lock(&restart_mu);
    snprintf(restart_why, sizeof(restart_why), "%s", why);
    pthread_mutex_unlock(&restart_mu);
    kill(getpid(), SIGUSR2);
}

/* On SIGUSR2 (main thread): starts again as restart_request asked; returns if it did not ask,
 * or when a stop (SIGTERM, SIGINT) is pending, which the next sigwait then takes. */
static void
restart_in_place(void)
{
    char why[sizeof(restart_why)];
    sigset_t pending;
    pthread_mutex_lock(&restart_mu);
    snprintf(why, sizeof(why), "%s", restart_why);
    pthread_mutex_unlock(&restart_mu);
    if (why[0] == '\0')
        return;
    if (sigpending(&pending) == 0 &&
        (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1))
        return;
    log_warnx("replication: %s; starting again to take the new role", why);
    log_buffer_stop();
    execv("/proc/self/exe", start_argv);
    fatal("cannot start again (execv)");
}

/* -V and --version: the version and the store format this build writes. */
static int
version(void)
{
    printf("seam-broker %s (store format %u)\n", SEAM_VERSION, RECORD_FORMAT);
    return 0;
}

int
main(int argc, char **argv)
{
    const char *conf = NULL, *listen = NULL, *datadir = NULL, *test_clock = NULL, *node = NULL;
    int check_only = 0, verbose = 0, opt;
    struct config *cfg = NULL;
    char *errors = NULL;
    struct server srv;
    sigset_t set;
    int sig;

    start_argv = argv;
    int64_t start_us = mono_us();
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--version") == 0)
        return version();
    while ((opt = getopt(argc, argv, "c:l:d:N:nvhVT:")) != -1) {
        switch (opt) {
        case 'c':
            conf = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'd':
            datadir = optarg;
            break;
        case 'N':
            node = optarg;
            break;
        case 'n':
            check_only = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'T':
            test_clock = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            return version();
        default:
            usage(stderr);
            return 2;
        }
    }
    if (conf == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    log_init(verbose);
    /* Signals are taken by sigwait in this thread only: blocked before any
     * thread starts (the log's writer is the first), so that every thread
     * inherits the mask and none dies of a SIGHUP sent during the start. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2); /* a restart the lease asks for (restart_request) */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A request's log line waits up to 50 ms for others (log.c). */
    if (log_buffer_start(50) != 0)
        fatal("log: cannot start its writer");
    if (test_clock != NULL) {
        int64_t start = strcmp(test_clock, "now") == 0 ? now_ms() : ticket_parse_time(test_clock);
        clock_enable_fake();
        if (start < 0 || clock_advance(start > now_ms() ? start - now_ms() : 0) != 0 ||
            start < now_ms() - 1000) {
            fprintf(stderr, "seam-broker: -T %s: expected \"now\" or a later RFC 3339 UTC time\n",
                    test_clock);
            return 2;
        }
    }
    if (sodium_init() < 0)
        fatalx("libsodium failed to initialise");
    if (config_load(conf, &cfg, &errors) != SEAM_OK) {
        fputs(errors, stderr);
        free(errors);
        fprintf(stderr, "seam-broker: configuration %s rejected\n", conf);
        return 1;
    }
    record_use_facts(cfg->fact_kinds, cfg->nfact_kinds); /* the names records hold them by */
    if (sla_agg_use(cfg) != 0) /* the lead's days, for the SLA aggregates */
        fatalx("the lead's calendar's time zone is not known to ICU");
    if (listen != NULL && config_set_listen(cfg, listen) != 0) {
        fprintf(stderr, "seam-broker: -l %s: expected ADDRESS:PORT\n", listen);
        return 1;
    }
    if (node != NULL && config_set_node(cfg, node) != 0) {
        fprintf(stderr,
                "seam-broker: -N %s: expected a node's name (letters, digits, '-', '_') "
                "and a \"replication\" section\n",
                node);
        return 1;
    }
    if (datadir != NULL) {
        free(cfg->data_dir);
        cfg->data_dir = xstrdup(datadir);
    }
    /* Invariant 6: the rules are checked before they are used. */
    int fatal = 0;
    json_t *report = route_check(cfg, &fatal);
    if (fatal) {
        char *text = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
        fprintf(stderr,
                "%s\nseam-broker: the rules of %s have conflicts, owners that cannot "
                "be resolved, partners named for what they do not serve, dependency cycles "
                "or upstreams that cannot be resolved; see 'seamctl rules check'\n",
                text, conf);
        free(text);
        json_decref(report);
        config_free(cfg);
        return 1;
    }
    if (check_only) {
        void *creds = NULL;
        void (*creds_free)(void *) = NULL;
        char *why = NULL;
        if (http_tls_load(cfg, &creds, &creds_free, &why) != SEAM_OK) {
            fprintf(stderr, "seam-broker: %s\n", why);
            free(why);
            json_decref(report);
            config_free(cfg);
            return 1;
        }
        if (creds_free != NULL)
            creds_free(creds);
        printf("configuration %s is valid: %zu partners, %zu bundles, %zu rules; %lld "
               "combinations, %lld gaps, %lld shadowed rules\n",
               conf, cfg->npartners, cfg->nbundles, cfg->nrules,
               (long long)json_integer_value(json_object_get(report, "combinations")),
               (long long)json_integer_value(
                   json_object_get(json_object_get(report, "gaps"), "count")),
               (long long)json_integer_value(
                   json_object_get(json_object_get(report, "shadowed"), "count")));
        json_decref(report);
        config_free(cfg);
        return 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);

    memset(&srv, 0, sizeof(srv));
    srv.cfg = cfg;
    srv.rules_report = report;
    srv.started_ms = now_ms();
    fanout_observe(tmf_notify);
    mail_out_init(cfg);
    fanout_observe(mail_notify); /* e-mail to customers and partners, in the same commit */
    fanout_on_commit(wake_longpolls, NULL);
    fanout_on_commit(wake_push, &srv);
    refuse_open_files(cfg->data_dir);
    enum seam_err rc = keys_load(cfg->data_dir, &srv.keys);
    if (rc == SEAM_ENOTFOUND)
        fatalx("no broker key in %s: run 'seamctl -d %s init' first", cfg->data_dir, cfg->data_dir);
    if (rc != SEAM_OK)
        fatalx("cannot load the broker key from %s", cfg->data_dir);
    lock_data_dir(cfg->data_dir);
    srv.sla = sla_new(cfg);
    if (srv.sla == NULL)
        fatalx("a calendar's time zone is not known to ICU");
    /* The start's configuration in force (reload.h); main keeps a reference to it to the end,
     * so srv.cfg, srv.sla and srv.rules_report stay valid for what only a restart changes. */
    reload_on_load(http_tls_load);
    snapshot_start(cfg, srv.sla, report);
    struct snapshot *boot = snapshot_hold();
    srv.lg.keys = &srv.keys;
    srv.lg.origin = cfg->federation;
    if (store_open(cfg->data_dir, cfg->map_size, cfg->map_max, 0, &srv.store) != SEAM_OK)
        fatalx("cannot open the store in %s", cfg->data_dir);
    /* A store of a newer format (written by a newer broker) is refused as it is. */
    unsigned format;
    if (record_format_read(srv.store, &format) != SEAM_OK)
        fatalx("cannot read the format of the store in %s", cfg->data_dir);
    if (format > RECORD_FORMAT)
        fatalx("the store in %s is of format %u, newer than this broker's (%u): it was written by "
               "a newer seam-broker; run that version (or a newer one), or restore a backup made "
               "before the upgrade. Nothing was changed",
               cfg->data_dir, format, RECORD_FORMAT);
    /* Records of an older format are re-encoded before anything reads them. */
    if (record_migrate(srv.store, 2000, NULL) != SEAM_OK)
        fatalx("cannot bring the store in %s to record format %u (see above)", cfg->data_dir,
               RECORD_FORMAT);
    /* A store written without the ticket indexes gets them before anything lists. */
    if (index_migrate(srv.store, 2000, NULL) != SEAM_OK)
        fatalx("cannot build the ticket indexes of the store in %s (see above)", cfg->data_dir);
    /* SLA aggregates of a store written before them (or in another time zone) */
    if (audit_agg_build(srv.store, 2000) != SEAM_OK)
        fatalx("cannot build the SLA aggregates in %s (see above)", cfg->data_dir);
    /* Replicated (replica.h): the store first brought to the stream's end; the leader's writer
     * then appends each batch to the stream, a standby has no writer and follows the stream. */
    int leads = 1;
    if (cfg->replication.on) {
        if (replica_open(&cfg->replication, &srv.replica) != SEAM_OK)
            fatalx("cannot reach the NATS servers of \"replication\" (see above)");
        /* a batch of the stream applied (a standby's, a catch-up's): its tickets' owners hear */
        replica_on_apply(srv.replica, fanout_batch_applied, NULL);
        if (cfg->replication.url != NULL)
            replica_set_url(srv.replica, cfg->replication.url);
        if (replica_catch_up(srv.replica, srv.store) != SEAM_OK)
            fatalx("cannot bring the store to the end of stream %s (see above)",
                   cfg->replication.stream);
        if (replica_decide(srv.replica) != SEAM_OK)
            fatalx("cannot read the lease of stream %s (see above)", cfg->replication.stream);
        leads = replica_leads(srv.replica);
        if (leads)
            replica_attach(srv.replica, srv.store);
        struct replica_state rs;
        replica_state(srv.replica, &rs);
        log_info("replication node=%s leader=%s stream=%s role=%s seq=%llu since_start_ms=%lld",
                 cfg->replication.node, rs.leader[0] ? rs.leader : "(none yet)",
                 cfg->replication.stream, leads ? "leader" : "standby",
                 (unsigned long long)rs.applied, (long long)((mono_us() - start_us) / 1000));
    }
    struct mail_in *mail_in = NULL;
    struct replay_pruner *pruner = NULL;
    longpoll_start();
    if (leads) {
        /* only the node that writes runs what writes on its own */
        store_writer_on_stop(srv.store, merge_needed, merge_all, NULL);
        if (store_writer_start(srv.store, cfg->queue_depth, cfg->batch_max, batch_hook, &srv.lg) !=
            SEAM_OK)
            fatalx("cannot start the writer");
        srv.fwd = forward_start(&srv);
        witness_client_start(&srv);
        ebond_client_start(&srv);
        srv.scheduler = scheduler_start(&srv);
        mail_in = mail_in_start(&srv);
        pruner = replay_pruner_start(srv.store);
    }
    srv.fallback = web_serve; /* the pages, where no endpoint answers */
    if (http_start(&srv) != SEAM_OK)
        fatalx("cannot start HTTP");
    if (srv.replica != NULL) {
        char *url = cfg->replication.url
                        ? xstrdup(cfg->replication.url)
                        : xasprintf("%s://%s%s%s:%u", srv.tls ? "https" : "http",
                                    strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
                                    strchr(cfg->listen_host, ':') ? "]" : "", http_port(&srv));
        replica_set_url(srv.replica, url);
        free(url);
        if (!leads && replica_follow_start(srv.replica, srv.store) != SEAM_OK)
            fatalx("cannot start following stream %s", cfg->replication.stream);
        if (replica_lease_start(srv.replica, srv.store, restart_request) != SEAM_OK)
            fatalx("cannot start the lease's thread");
    }
    log_info("seam-broker %s started federation=%s data_dir=%s", SEAM_VERSION, cfg->federation,
             cfg->data_dir);
    /* Type=notify: ready once the store is open and migrated and the port bound. */
    char *ready = xasprintf("READY=1\nSTATUS=serving %s from %s", cfg->federation, cfg->data_dir);
    if (notify_send(ready) != SEAM_OK)
        log_warn("cannot tell the service manager that the broker is ready (NOTIFY_SOCKET)");
    free(ready);
#ifdef SEAM_FAULTS
    /* make faults: the N-th LMDB call from now fails (docs/operations.md). */
    const char *fault_at = getenv("SEAM_FAULT_AT");
    if (fault_at != NULL) {
        log_warnx("fault injection: LMDB call %s from now fails", fault_at);
        store_fault_arm(strtol(fault_at, NULL, 10));
    }
#endif
    if (clock_is_fake())
        log_warnx("the test clock is on (-T): time can be moved by POST /v1/test/clock");
    /* seamctl reload finds the broker by its pid file and reads the outcome from the state. */
    char *pidfile = xasprintf("%s/seam-broker.pid", cfg->data_dir);
    char *statefile = xasprintf("%s/reload.json", cfg->data_dir);
    write_pidfile(pidfile);
    struct reload_opts ro = {
        .path = conf, .listen = listen, .datadir = datadir, .state = statefile};
    for (;;) {
        sigwait(&set, &sig);
        if (sig == SIGUSR2) {
            restart_in_place();
            continue;
        }
        if (sig != SIGHUP)
            break;
        /* SIGHUP (systemctl reload, seamctl reload): the file again, checked as at the start. */
        char *why = NULL, *status;
        if (notify_send("RELOADING=1\nSTATUS=reloading the configuration") != SEAM_OK)
            log_debug("cannot send the service manager a status");
        if (reload_run(&ro, &why) == SEAM_OK) {
            struct snapshot *now = snapshot_hold();
            status = xasprintf("READY=1\nSTATUS=serving %s from %s (configuration %s)",
                               cfg->federation, cfg->data_dir, now->cfg->version);
            snapshot_drop(now);
        } else {
            status = xasprintf("READY=1\nSTATUS=reload refused, the configuration in force stays: "
                               "%s",
                               why ? why : "see the log");
        }
        if (notify_send(status) != SEAM_OK)
            log_debug("cannot send the service manager a status");
        free(status);
        free(why);
    }
    unlink(pidfile);
    free(pidfile);
    free(statefile);
    log_info("stopping signal=%d", sig);
    if (notify_send("STOPPING=1\nSTATUS=stopping") != SEAM_OK)
        log_debug("cannot tell the service manager that the broker stops");
    /* No new connections; drain the writer (its answers resume their
     * requests), give those answers a moment to leave, then stop. */
    http_quiesce(&srv);
    longpoll_stop();
    scheduler_stop(srv.scheduler);
    mail_in_stop(mail_in);
    replay_pruner_stop(pruner);
    forward_stop(srv.fwd);
    witness_client_stop();
    ebond_client_stop();
    store_writer_stop(srv.store);
    forward_free(srv.fwd);
    usleep(200 * 1000);
    http_stop(&srv);
    replica_close(srv.replica);
    store_close(srv.store);
    keys_wipe(&srv.keys);
    snapshot_drop(boot);
    snapshot_stop();
    curl_global_cleanup();
    log_buffer_stop();
    log_info("stopped");
    return 0;
}
