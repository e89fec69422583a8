/*
 * seamctl.c: the administration tool. It works on a data directory
 * directly through the store (LMDB allows it while the broker runs: its
 * writes wait for the broker's writer between batches), and on exported
 * evidence with nothing but the public key. Each command prints its result
 * on stdout and a one-line reason on stderr when it fails (exit 1; 2 for
 * usage errors).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "audit.h"
#include "auth.h"
#include "config.h"
#include "dirlock.h"
#include "evlog.h"
#include "index.h"
#include "index_check.h"
#include "keys.h"
#include "record.h"
#include "sla_agg.h"
#include "log.h"
#include "progress.h"
#include "route.h"
#include "seam/evidence.h"
#include "store.h"
#include "ticket.h"
#include "verify_outbox.h"
#include "sla.h"
#include "replica.h"
#include "users.h"

static const char *opt_datadir, *opt_config;

/* The store's pages a command keeps mapped while it reads (store_read_trim): verify, report,
 * export and backup read the whole store in memory bounded by about this, plus what one record
 * needs. */
#define MAP_RESIDENT_MAX ((size_t)48 << 20)

static const char usage_text[] =
    "usage: seamctl [-d DATADIR] [-c CONFIG] COMMAND [ARGS]\n"
    "       seamctl -h | --help | -V | --version\n"
    "  -d DATADIR     the broker's data directory (default: the configuration's data_dir)\n"
    "  -c CONFIG      the federation's configuration (default: $SEAM_CONFIG or conf/seam.json)\n"
    "  -h, --help     print this help and exit\n"
    "  -V, --version  print the version and exit\n"
    "commands:\n"
    "  init                          create the store and the broker's key pair\n"
    "  key show [--whpk]             print the broker's public key (whpk_: its webhook form)\n"
    "  customer add ID --name N --bundle B --region R [--contact C]\n"
    "  token issue --role customer|partner|lead|auditor --subject ID\n"
    "  token revoke TOKEN_ID|TOKEN\n"
    "  token list                    every token: id, role, subject, user, state\n"
    "  customer list                 every customer record\n"
    "  user add SUBJECT/NAME --kind K [--email A]   a user of a principal (then user invite)\n"
    "  user email SUBJECT/NAME ADDRESS|none   a staff user's own mail address\n"
    "  user list [--subject S]       the users, or one principal's\n"
    "  user disable|invite|reset SUBJECT/NAME   disable, or print a one-time link\n"
    "  verify                        check every event, chain, leaf and checkpoint\n"
    "  migrate                       bring the store's records to this build's format\n"
    "  backup DIR                    hot, compacted copy of the store and keys into DIR\n"
    "  restore BACKUP DATADIR        a backup into a new DATADIR, verified; refused while in use\n"
    "  export TICKET_ID              print a ticket's evidence document\n"
    "  verify-evidence FILE --key PUBKEY   check an evidence document offline\n"
    "  rules check                   the coverage check of the configuration's rules\n"
    "  rules explain --symptom S ... how a complaint would be routed, and why\n"
    "  report sla [--from T --to T --partner P --format json|csv]   SLA compliance\n"
    "  reload [--wait SECONDS]       the running broker rereads its configuration\n"
    "  replication init|status|catch-up   a replicated federation's stream; a store's place\n"
    "Every command takes --help.\n";

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
    va_list ap;
    fputs("seamctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void __attribute__((noreturn)) usage_die(const char *text)
{
    fputs(text, stderr);
    exit(2);
}

static int
wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* --name value pairs after positional arguments. */
static const char *
flag(int argc, char **argv, const char *name, const char *usage)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0) {
            if (i + 1 >= argc)
                usage_die(usage);
            return argv[i + 1];
        }
    return NULL;
}

/* Every argument is a known flag with a value, or one of n positionals. */
static void
check_args(int argc, char **argv, const char *const *flags, int positionals, const char *usage)
{
    int pos = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) == 0) {
            int known = 0;
            for (const char *const *f = flags; *f; f++)
                if (strcmp(*f, argv[i]) == 0)
                    known = 1;
            if (!known || i + 1 >= argc)
                usage_die(usage);
            i++;
        } else if (++pos > positionals) {
            usage_die(usage);
        }
    }
    if (pos != positionals)
        usage_die(usage);
}

/* -c, else $SEAM_CONFIG, else conf/seam.json. */
static const char *
config_path(void)
{
    const char *env = getenv("SEAM_CONFIG");
    return opt_config ? opt_config : env ? env : "conf/seam.json";
}

static struct config *
load_config(int required)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    const char *path = config_path();
    if (!required && opt_config == NULL && access(path, R_OK) != 0)
        return NULL;
    if (config_load(path, &cfg, &errors) != SEAM_OK) {
        fputs(errors, stderr);
        free(errors);
        die("configuration %s rejected", path);
    }
    record_use_facts(cfg->fact_kinds, cfg->nfact_kinds); /* the names records hold them by */
    if (sla_agg_use(cfg) != 0) /* the lead's days, for the SLA aggregates */
        die("the lead's calendar's time zone is not known to ICU");
    return cfg;
}

static const char *
datadir(struct config **cfg_out)
{
    if (opt_datadir)
        return opt_datadir;
    struct config *cfg = load_config(0);
    if (cfg == NULL)
        die("no data directory: give -d DATADIR");
    *cfg_out = cfg;
    return cfg->data_dir;
}

static struct store *
open_store(const char *dir)
{
    struct store *s;
    struct stat st;
    char *lock = xasprintf("%s/data.mdb", dir);
    int exists = stat(lock, &st) == 0;
    free(lock);
    if (!exists)
        die("%s holds no store: run 'seamctl -d %s init' first", dir, dir);
    if (store_open(dir, (size_t)64 << 20, (size_t)64 << 30, 0, &s) != SEAM_OK)
        die("cannot open the store in %s", dir);
    /* A store a newer build wrote is neither read (its records may mean
     * something else) nor written. */
    unsigned format;
    if (record_format_read(s, &format) != SEAM_OK)
        die("cannot read the format of the store in %s", dir);
    if (format > RECORD_FORMAT)
        die("the store in %s is of format %u, newer than this seamctl knows (%u): use the seamctl "
            "of the broker that wrote it (or a newer one); nothing was changed",
            dir, format, RECORD_FORMAT);
    /* Commands that read the whole store keep only this much of its map resident (store.h). */
    store_read_trim(s, MAP_RESIDENT_MAX);
    return s;
}

/*
 * A change the commands make to the store (customers, tokens, users). In a
 * replicated federation (the configuration's "replication") it goes through
 * the stream like the leader's batches (store_write_logged), so that every
 * node holds it; a store that follows a stream is never written behind its
 * back: without the configuration's replication it is refused.
 */
static enum seam_err
ctl_write(struct store *s, store_write_fn fn, void *ctx)
{
    struct config *cfg = load_config(0);
    struct replica *r = NULL;
    struct store_txn *t;
    uint64_t seq = 0, first, last, msgs;
    enum seam_err rc;
    if (store_read_begin(s, &t) == SEAM_OK) {
        if (store_log_seq(t, &seq) != SEAM_OK)
            seq = 0;
        store_read_end(t);
    }
    if (cfg == NULL || !cfg->replication.on) {
        if (seq > 0)
            die("this store follows a replication stream (it holds its batch %llu): give the "
                "federation's configuration (-c) with its \"replication\", so that the change "
                "goes to every node; nothing was changed",
                (unsigned long long)seq);
        config_free(cfg);
        return store_write(s, fn, ctx, NULL, NULL);
    }
    if (replica_open(&cfg->replication, &r) != SEAM_OK)
        die("cannot reach the NATS servers of \"replication\" (see above): a change must go "
            "through the stream; nothing was changed");
    if (seq == 0 && replica_stream_state(r, &first, &last, &msgs) == SEAM_ENOTFOUND) {
        /* before 'seamctl replication init': the store is the seed the nodes will copy */
        replica_close(r);
        config_free(cfg);
        return store_write(s, fn, ctx, NULL, NULL);
    }
    replica_attach_tool(r, s);
    rc = store_write_logged(s, fn, ctx); /* made again if the leader appends meanwhile */
    replica_close(r);
    config_free(cfg);
    if (rc == SEAM_EUNAVAIL)
        die("the replication stream did not take the change (see above); nothing was changed");
    return rc;
}

/*
 * Takes dir's owner lock for a command that must have the store to itself (dirlock.h), or dies
 * saying who holds it. The lock is held until seamctl exits.
 */
static void
lock_or_die(const char *dir, const char *who)
{
    char *holder = NULL;
    int fd;
    enum seam_err rc = dirlock_take(dir, who, &fd, &holder);
    if (rc == SEAM_EBUSY)
        die("%s is in use by %s (it holds %s/seam.lock): stop it first; nothing was changed", dir,
            holder ? holder : "another process", dir);
    if (rc != SEAM_OK)
        die("cannot lock %s (%s/seam.lock): %s", dir, dir, strerror(errno));
    (void)fd; /* released when seamctl exits */
}

static int
cmd_init(int argc, char **argv)
{
    static const char u[] = "usage: seamctl -d DATADIR init\n"
                            "Creates the store and the broker's Ed25519 key pair in DATADIR\n"
                            "(broker.key, mode 0600; broker.pub) and prints the public key.\n";
    struct config *cfg = NULL;
    struct keys k;
    struct store *s;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc != 0)
        usage_die(u);
    const char *dir = datadir(&cfg);
    char *keyp = xasprintf("%s/broker.key", dir);
    if (access(keyp, F_OK) == 0)
        die("%s is initialised already (broker.key exists)", dir);
    free(keyp);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        die("cannot create %s: %s", dir, strerror(errno));
    if (store_open(dir, (size_t)64 << 20, (size_t)64 << 30, 1, &s) != SEAM_OK)
        die("cannot create the store in %s", dir);
    if (record_format_stamp(s) != SEAM_OK)
        die("cannot record the format of the new store in %s", dir);
    store_close(s);
    enum seam_err rc = keys_generate(dir, &k);
    if (rc != SEAM_OK)
        die("cannot create the key pair in %s: %s", dir, seam_strerror(rc));
    char *pk = keys_public_b64(&k);
    printf("%s\n", pk);
    free(pk);
    keys_wipe(&k);
    config_free(cfg);
    return 0;
}

static int
cmd_key(int argc, char **argv)
{
    static const char u[] = "usage: seamctl -d DATADIR key show [--whpk]\n"
                            "Prints the broker's public key (base64 Ed25519); with --whpk in the\n"
                            "form Standard Webhooks gives a webhook public key (whpk_ and the\n"
                            "base64), for partners verifying the v1a signatures of its pushes.\n";
    struct config *cfg = NULL;
    uint8_t pk[32];
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    int whpk = argc == 2 && strcmp(argv[1], "--whpk") == 0;
    if ((argc != 1 && !whpk) || strcmp(argv[0], "show") != 0)
        usage_die(u);
    const char *dir = datadir(&cfg);
    char *p = xasprintf("%s/broker.pub", dir);
    if (seam_pubkey_parse(p, pk) != 0)
        die("no readable broker.pub in %s", dir);
    free(p);
    char *b = seam_b64_encode(pk, 32);
    printf("%s%s\n", whpk ? "whpk_" : "", b);
    free(b);
    config_free(cfg);
    return 0;
}

struct customer_args {
    const struct config *cfg;
    const char *id, *name, *bundle, *region, *contact;
    json_t *facts; /* --fact NAME=VALUE, every one */
};

static enum seam_err
customer_write(struct store_txn *t, void *ctx)
{
    struct customer_args *a = ctx;
    enum seam_err rc =
        a->name == NULL /* update */
            ? (a->bundle || a->region || a->contact
                   ? customer_update(t, a->cfg, a->id, a->bundle, a->region, a->contact)
                   : SEAM_OK)
            : customer_add(t, a->cfg, a->id, a->name, a->bundle, a->region, a->contact);
    if (rc == SEAM_OK && json_object_size(a->facts) > 0)
        rc = customer_set_facts(t, a->cfg, a->id, a->facts);
    return rc;
}

/* Every --fact NAME=VALUE as an object (the customer record's other facts). */
static json_t *
fact_flags(int argc, char **argv, const char *u)
{
    json_t *o = json_object();
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--fact") != 0)
            continue;
        const char *nv = i + 1 < argc ? argv[i + 1] : NULL, *eq = nv ? strchr(nv, '=') : NULL;
        if (eq == NULL || eq == nv || eq - nv > 63)
            usage_die(u);
        char name[64];
        memcpy(name, nv, (size_t)(eq - nv));
        name[eq - nv] = '\0';
        json_object_set_new(o, name, json_string(eq + 1));
    }
    return o;
}

static int
customer_change(int argc, char **argv, const char *u)
{
    struct config *cfg = load_config(1), *unused = NULL;
    struct customer_args a = {cfg,
                              argv[1],
                              NULL,
                              flag(argc, argv, "--bundle", u),
                              flag(argc, argv, "--region", u),
                              flag(argc, argv, "--contact", u),
                              fact_flags(argc, argv, u)};
    if (flag(argc, argv, "--name", u) != NULL ||
        (!a.bundle && !a.region && !a.contact && json_object_size(a.facts) == 0))
        usage_die(u);
    struct store *s = open_store(opt_datadir ? opt_datadir : datadir(&unused));
    enum seam_err rc = ctl_write(s, customer_write, &a);
    store_close(s);
    if (rc == SEAM_ENOTFOUND)
        die("no customer \"%s\"", a.id);
    json_decref(a.facts);
    if (rc == SEAM_EINVAL)
        die("unknown bundle or region, a contact over 200 bytes, or a --fact that is not a "
            "customer record's fact with a value of its vocabulary");
    if (rc != SEAM_OK)
        die("cannot change the customer: %s", seam_strerror(rc));
    printf("%s\n", a.id);
    config_free(unused);
    config_free(cfg);
    return 0;
}

static void
customer_print(void *ctx, const json_t *c)
{
    (void)ctx;
    printf("%s %s %s %s\n", json_string_value(json_object_get(c, "id")),
           json_string_value(json_object_get(c, "bundle")),
           json_string_value(json_object_get(c, "region")),
           json_string_value(json_object_get(c, "name")));
}

static enum seam_err
customer_list_read(struct store_txn *t, void *ctx)
{
    (void)ctx;
    return customer_each(t, customer_print, NULL);
}

static int read_all(store_write_fn fn, void *ctx);

static int
cmd_customer(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl [-d DATADIR] [-c CONFIG] customer add ID --name NAME --bundle BUNDLE "
        "--region REGION [--contact CONTACT] [--fact NAME=VALUE]...\n"
        "       seamctl [-d DATADIR] [-c CONFIG] customer update ID [--bundle BUNDLE] "
        "[--region REGION] [--contact CONTACT] [--fact NAME=VALUE]...\n"
        "       seamctl [-d DATADIR] customer list\n"
        "Adds or changes a customer: the bundle, region and other facts of the customer\n"
        "record ($.facts with source record or either) its complaints are routed by.\n"
        "Tickets keep what they were filed with; a reopened ticket is routed anew.\n"
        "list prints one customer a line: id, bundle, region, name.\n";
    static const char *const flags[] = {"--name",    "--bundle", "--region",
                                        "--contact", "--fact",   NULL};
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return read_all(customer_list_read, NULL);
    if (argc < 2 || (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "update") != 0))
        usage_die(u);
    check_args(argc - 1, argv + 1, flags, 1, u);
    if (strcmp(argv[0], "update") == 0)
        return customer_change(argc, argv, u);
    struct config *cfg = load_config(1), *unused = NULL;
    struct customer_args a = {cfg,
                              NULL,
                              flag(argc, argv, "--name", u),
                              flag(argc, argv, "--bundle", u),
                              flag(argc, argv, "--region", u),
                              flag(argc, argv, "--contact", u),
                              fact_flags(argc, argv, u)};
    a.id = argv[1][0] == '-' ? NULL : argv[1];
    if (a.id == NULL || a.name == NULL || a.bundle == NULL || a.region == NULL)
        usage_die(u);
    if (config_bundle_find(cfg, a.bundle) == NULL)
        die("no bundle \"%s\" in %s", a.bundle, cfg->path);
    for (size_t k = FACT_COUNT; k < cfg->nfact_kinds; k++) /* the record's other facts */
        if (fact_from_record(&cfg->fact_kinds[k]) && !cfg->fact_kinds[k].optional &&
            json_object_get(a.facts, cfg->fact_kinds[k].name) == NULL)
            die("the customer record needs its %s: --fact %s=VALUE", cfg->fact_kinds[k].name,
                cfg->fact_kinds[k].name);
    if (!strlist_has(&cfg->regions, a.region))
        die("no region \"%s\" in %s", a.region, cfg->path);
    struct store *s = open_store(opt_datadir ? opt_datadir : datadir(&unused));
    enum seam_err rc = ctl_write(s, customer_write, &a);
    store_close(s);
    json_decref(a.facts);
    if (rc == SEAM_EEXIST)
        die("customer \"%s\" exists already", a.id);
    if (rc == SEAM_EINVAL)
        die("invalid customer: id is 1-63 of A-Z a-z 0-9 . - _, name and contact at most 200 "
            "bytes, each --fact NAME=VALUE a customer record's fact with a value of its "
            "vocabulary");
    if (rc != SEAM_OK)
        die("cannot add the customer: %s", seam_strerror(rc));
    printf("%s\n", a.id);
    config_free(unused);
    config_free(cfg);
    return 0;
}

struct token_args {
    enum role role;
    const char *subject;
    const char *revoke;
    char *token;
    char id[17];
};

static enum seam_err
token_write(struct store_txn *t, void *ctx)
{
    struct token_args *a = ctx;
    if (a->revoke)
        return auth_token_revoke(t, a->revoke);
    free(a->token);
    a->token = NULL;
    if (strchr(a->subject, '/') != NULL) { /* a user's: its principal is the token's */
        json_t *u = NULL;
        enum seam_err rc = users_load(t, a->subject, &u);
        if (rc != SEAM_OK)
            return rc == SEAM_ENOTFOUND ? SEAM_ECONFLICT : rc;
        const char *role = json_string_value(json_object_get(u, "role"));
        int same = role != NULL && auth_role_parse(role) == (int)a->role &&
                   json_object_get(u, "disabled_at") == NULL;
        char subject[64];
        snprintf(subject, sizeof(subject), "%s", json_string_value(json_object_get(u, "subject")));
        json_decref(u);
        if (!same)
            return SEAM_EINVAL;
        return auth_token_issue(t, a->role, subject, a->subject, &a->token, a->id);
    }
    if (a->role == ROLE_CUSTOMER) {
        json_t *c = NULL;
        enum seam_err rc = customer_load(t, a->subject, &c);
        json_decref(c);
        if (rc != SEAM_OK)
            return rc;
    }
    return auth_token_issue(t, a->role, a->subject, NULL, &a->token, a->id);
}

static void
token_print(void *ctx, const json_t *tk)
{
    (void)ctx;
    const char *user = json_string_value(json_object_get(tk, "user"));
    printf("%s %s %s %s %s %s\n", json_string_value(json_object_get(tk, "id")),
           json_string_value(json_object_get(tk, "role")),
           json_string_value(json_object_get(tk, "subject")), user ? user : "-",
           json_string_value(json_object_get(tk, "created_at")),
           json_object_get(tk, "revoked_at") ? "revoked" : "active");
}

static enum seam_err
token_list_read(struct store_txn *t, void *ctx)
{
    (void)ctx;
    return auth_token_each(t, token_print, NULL);
}

/* Calls fn in one read transaction of the store. */
static int
read_all(store_write_fn fn, void *ctx)
{
    struct config *cfg = NULL;
    struct store_txn *t;
    struct store *s = open_store(datadir(&cfg));
    enum seam_err rc = store_read_begin(s, &t);
    if (rc == SEAM_OK) {
        rc = fn(t, ctx);
        store_read_end(t);
    }
    store_close(s);
    config_free(cfg);
    if (rc != SEAM_OK)
        die("cannot read the store: %s", seam_strerror(rc));
    return 0;
}

static int
token_list(void)
{
    return read_all(token_list_read, NULL);
}

static int
cmd_token(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl [-d DATADIR] token issue --role customer|partner|lead|auditor --subject "
        "ID\n"
        "       seamctl [-d DATADIR] token revoke TOKEN_ID|TOKEN\n"
        "       seamctl [-d DATADIR] token list\n"
        "issue prints the new token alone on stdout (it is shown once; only its hash is kept)\n"
        "and its id on stderr. A subject SUBJECT/NAME issues it to that user (whose role it\n"
        "must be): the events of its requests name the user. revoke takes the id or the\n"
        "token itself. list prints one token a line: id, role, subject, user, created, state.\n";
    static const char *const flags[] = {"--role", "--subject", NULL};
    struct config *cfg = NULL;
    struct token_args a = {0};
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc < 1)
        usage_die(u);
    if (strcmp(argv[0], "list") == 0) {
        if (argc != 1)
            usage_die(u);
        return token_list();
    }
    if (strcmp(argv[0], "issue") == 0) {
        check_args(argc - 1, argv + 1, flags, 0, u);
        const char *role = flag(argc, argv, "--role", u);
        a.subject = flag(argc, argv, "--subject", u);
        if (role == NULL || a.subject == NULL)
            usage_die(u);
        int r = auth_role_parse(role);
        if (r < 0)
            die("unknown role \"%s\" (customer, partner, lead, auditor)", role);
        a.role = (enum role)r;
        char us[64], un[USER_NAME_MAX + 1];
        int is_user = strchr(a.subject, '/') != NULL;
        if (is_user && users_id_split(a.subject, us, un) != 0)
            die("a user is SUBJECT/NAME: the principal's id, then 1-32 of a-z 0-9 . - _");
        if (!is_user && (a.subject[0] == '\0' || strlen(a.subject) > 63))
            die("subject must be 1 to 63 bytes");
        if (a.role == ROLE_PARTNER && !is_user) {
            struct config *pc = load_config(1);
            if (config_partner_find(pc, a.subject) == NULL)
                die("no partner \"%s\" in %s", a.subject, pc->path);
            config_free(pc);
        }
    } else if (strcmp(argv[0], "revoke") == 0) {
        if (argc != 2)
            usage_die(u);
        a.revoke = argv[1];
    } else {
        usage_die(u);
    }
    struct store *s = open_store(datadir(&cfg));
    enum seam_err rc = ctl_write(s, token_write, &a);
    store_close(s);
    config_free(cfg);
    if (a.revoke) {
        if (rc == SEAM_ENOTFOUND || rc == SEAM_EINVAL)
            die("no token \"%s\"", a.revoke);
        if (rc != SEAM_OK)
            die("cannot revoke: %s", seam_strerror(rc));
        printf("revoked\n");
        return 0;
    }
    if (rc == SEAM_ENOTFOUND)
        die("no customer \"%s\": add it with 'seamctl customer add' first", a.subject);
    if (rc == SEAM_ECONFLICT)
        die("no user \"%s\": add it with 'seamctl user add' first", a.subject);
    if (rc == SEAM_EINVAL)
        die("user \"%s\" is disabled or not of role %s", a.subject, auth_role_name(a.role));
    if (rc != SEAM_OK)
        die("cannot issue the token: %s", seam_strerror(rc));
    fprintf(stderr, "token id %s for %s %s\n", a.id, auth_role_name(a.role), a.subject);
    printf("%s\n", a.token);
    sodium_memzero(a.token, strlen(a.token));
    free(a.token);
    return 0;
}

static void
print_problem(void *ctx, const char *problem)
{
    uint64_t *n = ctx;
    if (++*n <= 200) {
        progress_end(); /* the line is drawn again at the next step */
        printf("FAIL %s\n", problem);
        fflush(stdout);
    }
}

static void
print_note(void *ctx, const char *note)
{
    (void)ctx;
    progress_end();
    printf("NOTE %s\n", note);
    fflush(stdout);
}

/*
 * Every check of `seamctl verify` on an open store: the events, chains, Merkle log and checkpoints
 * against pk, the records, indexes and aggregates against the events, the outbox's messages
 * against the events. Problems go to print_problem (*shown counts them); returns their number.
 */
static uint64_t
verify_store(struct store *s, const uint8_t pk[32], const struct config *cfg, uint64_t *shown,
             uint64_t *events, uint64_t *tickets, uint64_t *parked)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) != SEAM_OK)
        die("cannot read the store");
    unsigned format;
    if (record_format_get(t, &format) != SEAM_OK || format > RECORD_FORMAT)
        die("the store's record format is newer than this seamctl knows (%u); use a newer seamctl",
            RECORD_FORMAT);
    *tickets = ticket_count(t);
    const struct evlog_records recs = {ticket_head, ticket_each_key};
    uint64_t problems = evlog_verify_store(t, pk, &recs, print_problem, shown, events);
    problems += ticket_verify_records(t, print_problem, shown);
    problems += ticket_verify_attachments(t, print_problem, shown);
    progress_phase("indexes", *tickets);
    problems += index_verify(t, print_problem, shown);
    problems += outbox_verify(t, pk, print_problem, shown);
    /* the witnesses' cosignatures, against their keys in the configuration (if one is given) */
    size_t nw = cfg ? cfg->nwitnesses : 0;
    struct seam_witness *w = xcalloc(nw + 1, sizeof(*w));
    for (size_t i = 0; i < nw; i++) {
        snprintf(w[i].name, sizeof(w[i].name), "%s", cfg->witnesses[i].name);
        memcpy(w[i].pk, cfg->witnesses[i].key, SEAM_PK_LEN);
    }
    uint64_t cos_ok = 0, cos_unknown = 0;
    problems += evlog_verify_cosigned(t, w, nw, print_problem, shown, &cos_ok, &cos_unknown);
    free(w);
    if (cos_unknown > 0)
        print_note(NULL, cfg == NULL ? "the witnesses' cosignatures were not checked (-c CONFIG "
                                       "gives their keys)"
                                     : "cosignatures by witnesses the configuration does not "
                                       "name were not checked");
    /* Not a fault of the store: what the scheduler set aside, for the lead to look at. */
    progress_phase("SLA instants", 0);
    *parked = sla_parked_report(t, print_note, NULL);
    store_read_end(t);
    return problems;
}

static int
cmd_verify(int argc, char **argv)
{
    static const char u[] = "usage: seamctl -d DATADIR verify [--key PUBKEY]\n"
                            "Checks the whole store offline: every event's signature and chain,\n"
                            "every Merkle leaf and node, every signed checkpoint, and each\n"
                            "ticket's head, the ticket indexes against the records, and every\n"
                            "message of the push outbox against the signed events, and every\n"
                            "attachment against its name and the events naming it.\n"
                            "PUBKEY defaults to DATADIR/broker.pub. Names each\n"
                            "problem; exits 1 if there is any. Lists the SLA instants the\n"
                            "scheduler set aside (NOTE lines), which are no fault of the store.\n";
    static const char *const flags[] = {"--key", NULL};
    struct config *cfg = NULL;
    uint8_t pk[32];
    uint64_t shown = 0, events = 0;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    check_args(argc, argv, flags, 0, u);
    const char *dir = datadir(&cfg);
    if (cfg == NULL && opt_config != NULL) {
        /* its declared facts: the names records are read and checked by; a configuration that
         * does not load leaves the store's own checks to do */
        char *errors = NULL;
        if (config_load(opt_config, &cfg, &errors) != SEAM_OK) {
            fprintf(stderr,
                    "NOTE: configuration %s rejected; the facts are checked by the "
                    "built-in names\n",
                    opt_config);
            cfg = NULL;
        } else {
            record_use_facts(cfg->fact_kinds, cfg->nfact_kinds);
            (void)sla_agg_use(cfg); /* verify takes the store's own zone (sla_agg_check_new) */
        }
        free(errors);
    }
    const char *key = flag(argc, argv, "--key", u);
    char *kp = key ? xstrdup(key) : xasprintf("%s/broker.pub", dir);
    if (seam_pubkey_parse(kp, pk) != 0)
        die("cannot read the public key %s", kp);
    free(kp);
    struct store *s = open_store(dir);
    uint64_t tickets = 0, parked = 0;
    progress_start("seamctl verify", isatty(2));
    uint64_t problems = verify_store(s, pk, cfg, &shown, &events, &tickets, &parked);
    progress_end();
    store_close(s);
    config_free(cfg);
    if (problems > 0) {
        fprintf(stderr, "seamctl: verify failed: %llu problems in %s\n",
                (unsigned long long)problems, dir);
        return 1;
    }
    printf("ok: %llu events of %llu tickets; signatures, chains, Merkle log and checkpoints "
           "verify\n",
           (unsigned long long)events, (unsigned long long)tickets);
    if (parked > 0)
        printf("note: %llu SLA instants were set aside by the scheduler (NOTE lines above)\n",
               (unsigned long long)parked);
    return 0;
}

/* Problems of a configuration that does not load, as the check's JSON. */
static json_t *
config_errors_report(const char *errors)
{
    json_t *all = json_array(), *vocab = json_array(), *deps = json_array(), *facts = json_array();
    const char *p = errors;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_t *line = json_stringn(p, n);
        if (strstr(json_string_value(line), "vocabulary") != NULL)
            json_array_append(vocab, line);
        if (strstr(json_string_value(line), "depends_on names no service") != NULL)
            json_array_append(deps, line);
        if (strstr(json_string_value(line), ": $.facts") != NULL)
            json_array_append(facts, line); /* the facts the federation declares */
        json_array_append_new(all, line);
        p = nl ? nl + 1 : NULL;
    }
    return json_pack("{s:b, s:o, s:{s:I, s:o}, s:{s:I, s:o}, s:{s:I, s:o}}", "ok", 0,
                     "config_errors", all, "unknown_vocabulary", "count",
                     (json_int_t)json_array_size(vocab), "examples", vocab, "unknown_dependencies",
                     "count", (json_int_t)json_array_size(deps), "examples", deps, "facts", "count",
                     (json_int_t)json_array_size(facts), "examples", facts);
}

static int
cmd_rules(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl [-c CONFIG] rules check\n"
        "       seamctl [-c CONFIG] [-d DATADIR] rules explain --symptom S (--bundle B --region R "
        "|\n"
        "               --customer ID) [--service S] [--equipment E] [--priority P]\n"
        "check enumerates every bundle x region x service x symptom x equipment x priority\n"
        "and reports gaps, conflicts, unresolvable owners, shadowed rules, unknown\n"
        "vocabulary, dependency cycles and unresolvable upstreams as JSON; it exits 1 on\n"
        "any but gaps and shadowed rules (the broker refuses to start on them). explain\n"
        "shows every rule considered for a complaint, why it matched or not, the winner,\n"
        "the owners it resolves to and the dependency that applied.\n";
    /* --NAME for every fact of the configuration's table, and --customer. */
    char flag_names[FACT_MAX][72];
    const char *flags[FACT_MAX + 2];
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc < 1)
        usage_die(u);
    const char *path = config_path();
    struct config *cfg = NULL;
    char *errors = NULL;
    json_t *out;
    int rc = 0;
    if (strcmp(argv[0], "check") == 0) {
        if (argc != 1)
            usage_die(u);
        if (config_load(path, &cfg, &errors) != SEAM_OK) {
            out = config_errors_report(errors);
            free(errors);
            rc = 1;
        } else {
            int fatal = 0;
            out = route_check(cfg, &fatal);
            rc = fatal;
        }
    } else if (strcmp(argv[0], "explain") == 0) {
        if (config_load(path, &cfg, &errors) != SEAM_OK) {
            fputs(errors, stderr);
            die("configuration %s rejected", path);
        }
        for (size_t i = 0; i < cfg->nfact_kinds; i++) {
            snprintf(flag_names[i], sizeof(flag_names[i]), "--%s", cfg->fact_kinds[i].name);
            flags[i] = flag_names[i];
        }
        flags[cfg->nfact_kinds] = "--customer";
        flags[cfg->nfact_kinds + 1] = NULL;
        check_args(argc - 1, argv + 1, flags, 0, u);
        struct route_facts f;
        json_t *cust = NULL;
        memset(&f, 0, sizeof(f));
        for (size_t k = 0; k < cfg->nfact_kinds; k++)
            f.v[k] = flag(argc, argv, flags[k], u);
        const char *customer = flag(argc, argv, "--customer", u);
        if (customer != NULL) {
            struct store_txn *t;
            struct store *s = open_store(opt_datadir ? opt_datadir : cfg->data_dir);
            if (store_read_begin(s, &t) != SEAM_OK || customer_load(t, customer, &cust) != SEAM_OK)
                die("no customer \"%s\"", customer);
            store_read_end(t);
            store_close(s);
            for (size_t k = 0; k < cfg->nfact_kinds; k++)
                if (f.v[k] == NULL && fact_from_record(&cfg->fact_kinds[k]))
                    f.v[k] = json_string_value(json_object_get(cust, cfg->fact_kinds[k].name));
        }
        /* What the customer must file and the customer record's facts are needed. */
        for (size_t k = 0; k < cfg->nfact_kinds; k++)
            if (f.v[k] == NULL &&
                (fact_required(&cfg->fact_kinds[k]) ||
                 (fact_from_record(&cfg->fact_kinds[k]) && !cfg->fact_kinds[k].optional)))
                usage_die(u);
        if (f.v[FACT_PRIORITY] == NULL)
            f.v[FACT_PRIORITY] = priority_names[PRIO_NORMAL];
        for (size_t k = 0; k < cfg->nfact_kinds; k++)
            if (f.v[k] != NULL && !route_fact_known(cfg, (enum fact)k, f.v[k]))
                die("%s \"%s\" is not in the federation's vocabulary", cfg->fact_kinds[k].name,
                    f.v[k]);
        out = route_explain(cfg, &f);
        json_decref(cust); /* the facts borrowed from it are no longer used */
        char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
        puts(text);
        free(text);
        json_decref(out);
        config_free(cfg);
        return 0;
    } else {
        usage_die(u);
    }
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
    puts(text);
    free(text);
    json_decref(out);
    config_free(cfg);
    return rc;
}

static int
cmd_report(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl -d DATADIR [-c CONFIG] report sla [--from TIME] [--to TIME] "
        "[--partner ID] [--format json|csv]\n"
        "The SLA report per partner and overall, as GET /v1/audit/sla gives it: tickets,\n"
        "acknowledged and resolved within SLA, p50/p90/p99 business times, breaches,\n"
        "hand-backs and the time attributed for them, disputed claims, time without owner.\n";
    static const char *const flags[] = {"--from", "--to", "--partner", "--format", NULL};
    struct config *cfg = NULL;
    struct audit_period p = {0};
    struct store_txn *t;
    json_t *report = NULL;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc < 1 || strcmp(argv[0], "sla") != 0)
        usage_die(u);
    check_args(argc - 1, argv + 1, flags, 0, u);
    const char *from = flag(argc, argv, "--from", u), *to = flag(argc, argv, "--to", u);
    const char *format = flag(argc, argv, "--format", u);
    p.partner = flag(argc, argv, "--partner", u);
    if ((from && (p.from = ticket_parse_time(from)) < 0) ||
        (to && (p.to = ticket_parse_time(to)) < 0))
        die("--from and --to are RFC 3339 UTC times (2026-01-01T00:00:00Z)");
    if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
        die("--format is json or csv");
    cfg = load_config(1);
    struct store *s = open_store(opt_datadir ? opt_datadir : cfg->data_dir);
    if (store_read_begin(s, &t) != SEAM_OK)
        die("cannot read the store");
    progress_start("seamctl report sla", isatty(2));
    progress_phase("tickets", ticket_count(t));
    enum seam_err rc = audit_sla(t, &p, &report);
    progress_end();
    store_read_end(t);
    store_close(s);
    if (rc != SEAM_OK)
        die("cannot make the report: %s", seam_strerror(rc));
    char *text = format && strcmp(format, "csv") == 0 ? audit_sla_csv(report)
                                                      : json_dumps(report, JSON_INDENT(2));
    fputs(text, stdout);
    if (text[strlen(text) - 1] != '\n')
        fputc('\n', stdout);
    free(text);
    json_decref(report);
    config_free(cfg);
    return 0;
}

static int
copy_file(const char *from, const char *to, mode_t mode)
{
    char *text = NULL;
    size_t len;
    if (read_file(from, 4096, &text, &len) != SEAM_OK)
        return -1;
    FILE *f = NULL;
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL, mode);
    int rc = -1;
    if (fd >= 0 && (f = fdopen(fd, "w")) != NULL) {
        rc = fwrite(text, 1, len, f) == len && fflush(f) == 0 && fsync(fd) == 0 ? 0 : -1;
        fclose(f);
    } else if (fd >= 0) {
        close(fd);
    }
    sodium_memzero(text, len);
    free(text);
    return rc;
}

/* DATADIR/reload.json, the outcome of the broker's last reload (reload.c), or NULL. */
static json_t *
reload_state(const char *dir)
{
    char *path = xasprintf("%s/reload.json", dir);
    json_t *j = json_load_file(path, 0, NULL);
    free(path);
    return j;
}

static int
cmd_reload(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl -d DATADIR reload [--wait SECONDS]\n"
        "Asks the broker serving DATADIR (its pid in DATADIR/seam-broker.pid) to read its\n"
        "configuration again, as SIGHUP and systemctl reload do, and waits (10 s unless\n"
        "--wait says otherwise) for the outcome: the new configuration in force, or why it\n"
        "was refused (the one in force then stays). Exits 0 when it was taken, 1 when it was\n"
        "refused or the broker did not answer.\n";
    static const char *const flags[] = {"--wait", NULL};
    struct config *cfg = NULL;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    check_args(argc, argv, flags, 0, u);
    const char *w = flag(argc, argv, "--wait", u);
    char *end = NULL;
    long wait_s = w ? strtol(w, &end, 10) : 10;
    if (w != NULL && (*end != '\0' || wait_s < 1 || wait_s > 3600))
        die("--wait %s: expected a number of seconds from 1 to 3600", w);
    const char *dir = datadir(&cfg);
    char *pidpath = xasprintf("%s/seam-broker.pid", dir);
    FILE *f = fopen(pidpath, "r");
    long pid = 0;
    if (f == NULL || fscanf(f, "%ld", &pid) != 1 || pid <= 1)
        die("no broker serves %s (%s: %s)", dir, pidpath, f ? "malformed" : strerror(errno));
    fclose(f);
    /* A pid file a killed broker left may name another process now: only a seam-broker. */
    char *comm = xasprintf("/proc/%ld/comm", pid);
    char name[64] = "";
    f = fopen(comm, "r");
    if (f != NULL) {
        if (fgets(name, sizeof(name), f) == NULL)
            name[0] = '\0';
        fclose(f);
        name[strcspn(name, "\n")] = '\0';
    }
    free(comm);
    if (kill((pid_t)pid, 0) != 0 && errno == EPERM)
        die("the broker (pid %ld) may not be signalled by this user: run seamctl as the broker's "
            "user or as root",
            pid);
    if (kill((pid_t)pid, 0) != 0 || (name[0] != '\0' && strcmp(name, "seam-broker") != 0))
        die("no broker serves %s: process %ld of %s is %s", dir, pid, pidpath,
            name[0] ? name : "gone");
    json_t *before = reload_state(dir);
    json_int_t attempt = json_integer_value(json_object_get(before, "attempt"));
    json_int_t was_pid = json_integer_value(json_object_get(before, "pid"));
    if (was_pid != pid)
        attempt = 0; /* a state of an earlier broker */
    json_decref(before);
    if (kill((pid_t)pid, SIGHUP) != 0)
        die("cannot signal the broker (pid %ld): %s", pid, strerror(errno));
    json_t *after = NULL;
    for (long i = 0; i < wait_s * 20; i++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        after = reload_state(dir);
        if (json_integer_value(json_object_get(after, "pid")) == pid &&
            json_integer_value(json_object_get(after, "attempt")) > attempt)
            break;
        json_decref(after);
        after = NULL;
    }
    free(pidpath);
    config_free(cfg);
    if (after == NULL)
        die("the broker (pid %ld) did not say within %ld s whether it took the configuration; "
            "see its log",
            pid, wait_s);
    int ok = json_is_true(json_object_get(after, "ok"));
    if (ok)
        printf("reloaded: configuration %s in force (generation %lld)\n",
               json_string_value(json_object_get(after, "version")),
               (long long)json_integer_value(json_object_get(after, "generation")));
    else
        fprintf(stderr,
                "seamctl: reload refused; configuration %s stays in force (generation %lld): %s\n",
                json_string_value(json_object_get(after, "version")),
                (long long)json_integer_value(json_object_get(after, "generation")),
                json_string_value(json_object_get(after, "why")));
    json_decref(after);
    return ok ? 0 : 1;
}

static int
cmd_replication(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl [-c CONFIG] replication init\n"
        "       seamctl [-d DATADIR] [-c CONFIG] replication status\n"
        "       seamctl [-d DATADIR] [-c CONFIG] replication catch-up\n"
        "init: creates the configuration's replication stream on its NATS servers (its replicas,\n"
        "subject and retention) with its first, empty batch; an existing stream is left as it\n"
        "is. status: the stream's first and last sequences, and the sequence the store in\n"
        "DATADIR holds (how far behind the stream it is). catch-up: applies the stream's\n"
        "batches after the store's sequence to the store in DATADIR (no broker on it).\n";
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc != 1 || (strcmp(argv[0], "init") != 0 && strcmp(argv[0], "status") != 0 &&
                      strcmp(argv[0], "catch-up") != 0))
        usage_die(u);
    struct config *cfg = load_config(1);
    const struct config_replication *rc = &cfg->replication;
    if (!rc->on)
        die("%s has no \"replication\" section", config_path());
    if (strcmp(argv[0], "init") == 0) {
        int created = 0;
        char *why = NULL;
        if (replica_stream_init(rc, &created, &why) != SEAM_OK)
            die("%s", why ? why : "cannot create the stream");
        if (created)
            printf("stream %s created: subject %s, %u replicas, batches kept %s\n", rc->stream,
                   rc->subject, rc->replicas, rc->max_age_days ? "for max_age_days" : "for ever");
        else
            printf("stream %s exists already; nothing changed\n", rc->stream);
        config_free(cfg);
        return 0;
    }
    struct replica *r;
    uint64_t first, last, msgs, have;
    if (replica_open(rc, &r) != SEAM_OK)
        die("cannot reach the NATS servers of \"replication\"");
    enum seam_err e = replica_stream_state(r, &first, &last, &msgs);
    if (e == SEAM_ENOTFOUND)
        die("no stream %s on the NATS servers: run 'seamctl replication init'", rc->stream);
    if (e != SEAM_OK)
        die("cannot read the state of stream %s", rc->stream);
    char holder[72], url[256];
    e = replica_lease_holder(r, holder, sizeof(holder), url, sizeof(url));
    printf("stream %s: first %llu, last %llu, %llu batches; lease: %s%s%s%s\n", rc->stream,
           (unsigned long long)first, (unsigned long long)last, (unsigned long long)msgs,
           e == SEAM_OK          ? "node "
           : e == SEAM_ENOTFOUND ? "none yet"
                                 : "cannot be read",
           e == SEAM_OK ? holder : "", e == SEAM_OK && url[0] ? " at " : "",
           e == SEAM_OK ? url : "");
    const char *dir = opt_datadir ? opt_datadir : cfg->data_dir;
    if (strcmp(argv[0], "catch-up") == 0)
        lock_or_die(dir, "seamctl replication catch-up");
    struct store *s = open_store(dir);
    struct store_txn *t;
    if (strcmp(argv[0], "catch-up") == 0 && replica_catch_up(r, s) != SEAM_OK)
        die("cannot bring the store in %s to the end of stream %s", dir, rc->stream);
    if (store_read_begin(s, &t) != SEAM_OK || store_log_seq(t, &have) != SEAM_OK)
        die("cannot read the store in %s", dir);
    store_read_end(t);
    printf("store %s: seq %llu, %llu behind\n", dir, (unsigned long long)have,
           (unsigned long long)(last > have ? last - have : 0));
    store_close(s);
    replica_close(r);
    config_free(cfg);
    return 0;
}

static int
cmd_migrate(int argc, char **argv)
{
    static const char u[] = "usage: seamctl -d DATADIR migrate\n"
                            "Brings the store's ticket records to this build's format (the broker\n"
                            "also does it when it starts): each record is re-encoded, a few\n"
                            "thousand a transaction, then the format is set; then the ticket\n"
                            "indexes are built if the store lacks them. Run it with the\n"
                            "broker stopped. Idempotent; interrupted, it resumes.\n";
    struct config *cfg = NULL;
    uint64_t migrated = 0;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc != 0)
        usage_die(u);
    const char *dir = datadir(&cfg);
    lock_or_die(dir, "seamctl migrate");
    struct store *s = open_store(dir);
    uint64_t indexed = 0;
    enum seam_err rc = record_migrate(s, 2000, &migrated);
    if (rc == SEAM_OK)
        rc = index_migrate(s, 2000, &indexed);
    if (rc == SEAM_OK && cfg != NULL)
        rc = audit_agg_build(s, 2000);
    store_close(s);
    config_free(cfg);
    if (rc != SEAM_OK)
        die("migrate failed: %s (the store keeps its format; see above)", seam_strerror(rc));
    printf("ok: the store is at format %u; %llu records rewritten, %llu tickets indexed\n",
           RECORD_FORMAT, (unsigned long long)migrated, (unsigned long long)indexed);
    return 0;
}

static int
cmd_backup(int argc, char **argv)
{
    static const char u[] = "usage: seamctl -d DATADIR backup DIR\n"
                            "Makes a consistent, compacted copy of the store while the broker\n"
                            "runs, with the broker's keys, into DIR (new or empty). Restore it\n"
                            "with 'seamctl restore DIR DATADIR'.\n";
    struct config *cfg = NULL;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc != 1)
        usage_die(u);
    const char *dir = datadir(&cfg), *to = argv[0];
    if (mkdir(to, 0700) != 0 && errno != EEXIST)
        die("cannot create %s: %s", to, strerror(errno));
    DIR *d = opendir(to);
    struct dirent *de;
    int entries = 0;
    while (d && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            entries++;
    if (d)
        closedir(d);
    if (entries > 0)
        die("%s is not empty", to);
    struct store *s = open_store(dir);
    struct store_stats st;
    store_stats(s, &st);
    progress_start("seamctl backup", isatty(2));
    progress_phase("MiB copied, of at most", st.used_bytes >> 20);
    enum seam_err rc = store_backup(s, to);
    progress_end();
    store_close(s);
    if (rc != SEAM_OK)
        die("backup failed: %s", seam_strerror(rc));
    /* Every file of a backup is the operator's alone, the public key too. */
    const char *files[2] = {"broker.key", "broker.pub"};
    for (int i = 0; i < 2; i++) {
        char *a = xasprintf("%s/%s", dir, files[i]), *b = xasprintf("%s/%s", to, files[i]);
        if (copy_file(a, b, 0600) != 0)
            die("cannot copy %s", a);
        free(a);
        free(b);
    }
    printf("backup written to %s\n", to);
    config_free(cfg);
    return 0;
}

/* Whether dir holds anything but its lock file. */
static int
dir_has_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int entries = 0;
    while (d && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            strcmp(de->d_name, "seam.lock") != 0)
            entries++;
    if (d)
        closedir(d);
    return entries > 0;
}

static int
cmd_restore(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl restore BACKUP DATADIR\n"
        "Restores a backup made by 'seamctl backup' into DATADIR (new, or empty): a compacted\n"
        "copy of its store and the broker's keys, then every check of 'seamctl verify' on the\n"
        "copy. Refuses while a broker (or another seamctl restore or migrate) holds DATADIR,\n"
        "and when DATADIR holds a store already; nothing is changed then. The copy is held\n"
        "locked until it is complete and verified, so no broker starts on half of it.\n";
    uint8_t pk[32];
    uint64_t shown = 0, events = 0, tickets = 0, parked = 0;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc != 2)
        usage_die(u);
    const char *from = argv[0], *to = argv[1];
    static const char *const files[3] = {"broker.key", "broker.pub", "data.mdb"};
    for (int i = 0; i < 3; i++) {
        char *p = xasprintf("%s/%s", from, files[i]);
        if (access(p, R_OK) != 0)
            die("%s is not a backup of seamctl backup: %s: %s; nothing was changed", from, p,
                strerror(errno));
        free(p);
    }
    if (mkdir(to, 0700) != 0 && errno != EEXIST)
        die("cannot create %s: %s", to, strerror(errno));
    lock_or_die(to, "seamctl restore");
    if (dir_has_files(to))
        die("%s is not empty: restore into a new or empty directory (move the old store aside "
            "first, with the broker stopped); nothing was changed",
            to);
    struct store *s = open_store(from);
    progress_start("seamctl restore", isatty(2));
    progress_phase("copying the store", 0);
    enum seam_err rc = store_backup(s, to);
    store_close(s);
    if (rc != SEAM_OK)
        die("restore failed: %s (see above)", seam_strerror(rc));
    for (int i = 0; i < 2; i++) {
        char *a = xasprintf("%s/%s", from, files[i]), *b = xasprintf("%s/%s", to, files[i]);
        if (copy_file(a, b, 0600) != 0)
            die("cannot copy %s to %s", a, b);
        free(a);
        free(b);
    }
    char *kp = xasprintf("%s/broker.pub", to);
    if (seam_pubkey_parse(kp, pk) != 0)
        die("cannot read the public key %s", kp);
    free(kp);
    s = open_store(to);
    uint64_t problems = verify_store(s, pk, NULL, &shown, &events, &tickets, &parked);
    progress_end();
    store_close(s);
    if (problems > 0) {
        static const char *const made[] = {"data.mdb", "lock.mdb", "broker.key", "broker.pub"};
        for (int i = 0; i < 4; i++) {
            char *p = xasprintf("%s/%s", to, made[i]);
            unlink(p);
            free(p);
        }
        die("the backup %s does not verify (%llu problems above): nothing was restored", from,
            (unsigned long long)problems);
    }
    printf("restored %s into %s: %llu events of %llu tickets verify.\n"
           "Its history ends where the backup was made: events signed after it are not in it.\n"
           "Witnesses refuse the checkpoints such a store signs, and partners may hold messages\n"
           "it no longer knows; see docs/operations.md, \"Backup and restore\".\n",
           from, to, (unsigned long long)events, (unsigned long long)tickets);
    return 0;
}

static int
cmd_export(int argc, char **argv)
{
    static const char u[] = "usage: seamctl -d DATADIR [-c CONFIG] export TICKET_ID\n"
                            "Prints the ticket's evidence document: its signed events, their\n"
                            "inclusion proofs and the signed checkpoint, verifiable offline with\n"
                            "'seamctl verify-evidence FILE --key PUBKEY'.\n";
    struct config *cfg = NULL;
    struct store_txn *t;
    struct keys k;
    char *doc = NULL;
    size_t len;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc != 1)
        usage_die(u);
    const char *dir = datadir(&cfg);
    if (keys_load(dir, &k) != SEAM_OK)
        die("cannot load the broker key from %s", dir);
    struct evlog lg = {&k, cfg ? cfg->federation : "seam"};
    struct store *s = open_store(dir);
    if (store_read_begin(s, &t) != SEAM_OK)
        die("cannot read the store");
    progress_start("seamctl export", isatty(2));
    progress_phase("events", 0);
    enum seam_err rc =
        ticket_id_valid(argv[0]) ? evlog_export(t, &lg, argv[0], &doc, &len) : SEAM_ENOTFOUND;
    progress_end();
    store_read_end(t);
    store_close(s);
    keys_wipe(&k);
    config_free(cfg);
    if (rc == SEAM_ENOTFOUND)
        die("no ticket %s", argv[0]);
    if (rc != SEAM_OK)
        die("cannot export %s: %s", argv[0], seam_strerror(rc));
    fwrite(doc, 1, len, stdout);
    free(doc);
    return 0;
}

/* --partner-key ID=PUBKEY (and --user-key USER=PUBKEY) pairs of verify-evidence. */
struct partner_keys {
    int argc;
    char **argv;
    uint8_t pk[32];
};

static const uint8_t *
partner_key_of(void *ctx, const char *partner)
{
    struct partner_keys *k = ctx;
    size_t n = strlen(partner);
    for (int i = 0; i + 1 < k->argc; i++)
        if (strcmp(k->argv[i], "--partner-key") == 0 && strncmp(k->argv[i + 1], partner, n) == 0 &&
            k->argv[i + 1][n] == '=') {
            if (seam_pubkey_parse(k->argv[i + 1] + n + 1, k->pk) != 0)
                die("cannot read the key of %s", partner);
            return k->pk;
        }
    return NULL;
}

/* The i-th --user-key USER=PUBKEY given for a user (a user's keys over time), or NULL. */
static const uint8_t *
user_key_of(void *ctx, const char *user, size_t i)
{
    struct partner_keys *k = ctx;
    size_t n = strlen(user), seen = 0;
    for (int a = 0; a + 1 < k->argc; a++)
        if (strcmp(k->argv[a], "--user-key") == 0 && strncmp(k->argv[a + 1], user, n) == 0 &&
            k->argv[a + 1][n] == '=' && seen++ == i) {
            if (seam_pubkey_parse(k->argv[a + 1] + n + 1, k->pk) != 0)
                die("cannot read the key of %s", user);
            return k->pk;
        }
    return NULL;
}

/* One principal's view (seam-evidence/2), verified: whose, and how much of it is shown. */
static void
view_summary(const char *doc, size_t len)
{
    json_t *root = json_loadb(doc, len, 0, NULL), *e;
    json_t *hb = json_loads(
        json_string_value(json_object_get(json_object_get(root, "head"), "body")), 0, NULL);
    const char *view = json_string_value(json_object_get(hb, "view"));
    size_t i, hidden = 0, disclosed = 0;
    if (view != NULL) {
        json_array_foreach(json_object_get(root, "events"), i, e)
        {
            hidden += json_object_get(e, "hash") != NULL;
            disclosed += json_array_size(json_object_get(e, "disclosures"));
        }
        printf("; the view of %s: %zu events by hash only, %zu restricted values disclosed", view,
               hidden, disclosed);
    }
    json_decref(hb);
    json_decref(root);
}

static int
cmd_verify_evidence(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl verify-evidence FILE --key PUBKEY [--partner-key ID=PUBKEY ...]\n"
        "                               [--user-key SUBJECT/NAME=PUBKEY ...]\n"
        "                               [--witness VKEY ...] [--witnesses-needed N]\n"
        "Checks an evidence document with nothing but the broker's public key (base64, or a\n"
        "file holding it): each event's signature, the chain, the inclusion proofs, the\n"
        "signed checkpoint and the signed head; with --partner-key, also the partners' own\n"
        "signatures kept in the events; with --user-key, the users' personal signatures.\n"
        "A principal's view (seam-evidence/2) verifies the\n"
        "same way: events it may not see are checked by hash, restricted values by their\n"
        "signed digests. With --witness (a witness's verifier key, NAME+KEYID+KEY as C2SP\n"
        "signed notes write it), the checkpoint the proofs lead to must carry a valid\n"
        "cosignature by each witness named, or by N of them. FILE - reads stdin.\n";
    static const char *const flags[] = {"--key",     "--partner-key",      "--user-key",
                                        "--witness", "--witnesses-needed", NULL};
    uint8_t pk[32];
    char *doc = NULL, err[1024];
    size_t len = 0, n, nw = 0, needed = 0;
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    struct seam_witness *wit = xcalloc((size_t)argc + 1, sizeof(*wit));
    check_args(argc, argv, flags, 1, u);
    const char *key = flag(argc, argv, "--key", u), *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--witness") == 0) {
            if (seam_witness_vkey_parse(argv[i + 1], wit[nw].name, sizeof(wit[nw].name),
                                        wit[nw].pk) != 0)
                die("cannot read the witness key %s (expected NAME+KEYID+KEY, a C2SP verifier "
                    "key of type cosignature/v1)",
                    argv[i + 1]);
            nw++;
            i++;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            i++;
        } else {
            file = argv[i];
        }
    }
    const char *need = flag(argc, argv, "--witnesses-needed", u);
    if (need != NULL) {
        char *end;
        unsigned long v = strtoul(need, &end, 10);
        if (*end != '\0' || need[0] < '1' || need[0] > '9' || v > nw)
            die("--witnesses-needed takes 1 to the number of witnesses given (%zu)", nw);
        needed = v;
    }
    if (key == NULL || file == NULL)
        usage_die(u);
    if (seam_pubkey_parse(key, pk) != 0)
        die("cannot read the public key %s", key);
    if (strcmp(file, "-") == 0) {
        size_t cap = 1 << 16;
        doc = xmalloc(cap);
        size_t r;
        while ((r = fread(doc + len, 1, cap - len, stdin)) > 0) {
            len += r;
            if (len == cap) {
                if (cap >= (size_t)256 << 20)
                    die("evidence larger than 256 MiB");
                cap *= 2;
                doc = xrealloc(doc, cap);
            }
        }
    } else if (read_file(file, (size_t)256 << 20, &doc, &len) != SEAM_OK) {
        die("cannot read %s", file);
    }
    if ((nw > 0
             ? seam_evidence_verify_witnessed(doc, len, pk, wit, nw, needed, &n, err, sizeof(err))
             : seam_evidence_verify(doc, len, pk, &n, err, sizeof(err))) != 0) {
        free(doc);
        free(wit);
        die("evidence does not verify: %s", err);
    }
    free(wit);
    struct partner_keys keys = {argc, argv, {0}};
    size_t checked = 0, unchecked = 0;
    if (seam_evidence_partner_signatures(doc, len, partner_key_of, &keys, &checked, &unchecked, err,
                                         sizeof(err)) != 0) {
        free(doc);
        die("evidence does not verify: %s", err);
    }
    struct partner_keys ukeys = {argc, argv, {0}};
    size_t uchecked = 0, uunchecked = 0;
    if (seam_evidence_user_signatures(doc, len, user_key_of, &ukeys, &uchecked, &uunchecked, err,
                                      sizeof(err)) != 0) {
        free(doc);
        die("evidence does not verify: %s", err);
    }
    printf("ok: %zu events verify against the checkpoint and the key", n);
    if (nw > 0) {
        printf("; the checkpoint is cosigned by %s%zu witness%s given",
               needed ? "" : "each of the ", needed ? needed : nw,
               (needed ? needed : nw) == 1 ? "" : "es");
    } else {
        /* cosignatures there but not asked for: say so, they were not checked */
        json_t *root = json_loadb(doc, len, 0, NULL);
        const char *note = json_string_value(json_object_get(root, "checkpoint"));
        size_t log_len, lines = 0;
        if (note != NULL && seam_checkpoint_split(note, &log_len) == 0)
            for (const char *p = note + log_len; *p != '\0'; p++)
                lines += *p == '\n';
        if (lines > 0)
            printf("; its checkpoint carries %zu cosignature%s (--witness checks them)", lines,
                   lines == 1 ? "" : "s");
        json_decref(root);
    }
    if (checked || unchecked)
        printf("; partner signatures: %zu verify, %zu not checked (no key given)", checked,
               unchecked);
    if (uchecked || uunchecked)
        printf("; user signatures: %zu verify, %zu not checked (no key given)", uchecked,
               uunchecked);
    view_summary(doc, len);
    free(doc);
    printf("\n");
    return 0;
}

/* ---- users ---- */

struct user_args {
    const struct config *cfg;
    const char *op, *id, *kind, *subject, *email;
    uint8_t pk[32]; /* key */
    int64_t ttl_ms;
    char *link;
};

static void
user_print(void *ctx, const json_t *u)
{
    (void)ctx;
    const char *state = json_object_get(u, "disabled_at") ? "disabled"
                        : json_object_get(u, "password")  ? "active"
                                                          : "invited";
    const char *email = json_string_value(json_object_get(u, "email"));
    printf("%s %s %s %s%s %s%s%s%s\n", json_string_value(json_object_get(u, "id")),
           json_string_value(json_object_get(u, "role")),
           json_string_value(json_object_get(u, "kind")), state,
           json_object_get(u, "totp") ? " totp" : "",
           json_string_value(json_object_get(u, "created_at")),
           json_object_get(u, "signing_key") ? " key" : "", email ? " mail=" : "",
           email ? email : "");
}

static enum seam_err
user_write(struct store_txn *t, void *ctx)
{
    struct user_args *a = ctx;
    enum seam_err rc;
    free(a->link);
    a->link = NULL;
    if (strcmp(a->op, "list") == 0)
        return users_each(t, a->subject, user_print, NULL);
    if (strcmp(a->op, "disable") == 0)
        return users_disable(t, a->id);
    if (strcmp(a->op, "key") == 0)
        return users_key_set(t, a->id, a->pk);
    if (strcmp(a->op, "revoke-key") == 0)
        return users_key_revoke(t, a->id);
    if (strcmp(a->op, "email") == 0)
        return users_email_set(t, a->id, a->email);
    if (strcmp(a->op, "add") == 0) {
        if (users_kind_role(a->kind) == ROLE_CUSTOMER) {
            char subject[64], name[USER_NAME_MAX + 1];
            json_t *c = NULL;
            if (users_id_split(a->id, subject, name) != 0)
                return SEAM_EINVAL;
            rc = customer_load(t, subject, &c);
            json_decref(c);
            if (rc != SEAM_OK)
                return rc == SEAM_ENOTFOUND ? SEAM_ECONFLICT : rc;
        }
        if ((rc = users_add(t, a->id, a->kind)) != SEAM_OK || a->email == NULL)
            return rc;
        return users_email_set(t, a->id, a->email);
    }
    return users_link_new(t, a->id, strcmp(a->op, "invite") == 0 ? "invite" : "reset", a->ttl_ms,
                          &a->link);
}

static int
cmd_user(int argc, char **argv)
{
    static const char u[] =
        "usage: seamctl [-d DATADIR] [-c CONFIG] user add SUBJECT/NAME --kind KIND [--email ADDR]\n"
        "       seamctl [-d DATADIR] user list [--subject SUBJECT]\n"
        "       seamctl [-d DATADIR] user disable SUBJECT/NAME\n"
        "       seamctl [-d DATADIR] user key SUBJECT/NAME PUBKEY\n"
        "       seamctl [-d DATADIR] user revoke-key SUBJECT/NAME\n"
        "       seamctl [-d DATADIR] user email SUBJECT/NAME ADDRESS|none\n"
        "       seamctl [-d DATADIR] [-c CONFIG] user invite|reset SUBJECT/NAME\n"
        "A user belongs to one principal: a customer record (KIND customer), a partner\n"
        "(agent, supervisor), the lead company (desk, manager) or an audit firm (auditor).\n"
        "invite and reset print a one-time link (the secret a person sets a password\n"
        "with, POST /v1/password), valid sessions.invite_s or sessions.reset_s seconds.\n"
        "disable ends the user's sessions and tokens at their next request.\n"
        "list prints one user a line: id, role, kind, state (invited, active, disabled),\n"
        "totp when enrolled, created, key when it holds a signing key, mail=ADDRESS\n"
        "when it has one.\n"
        "email sets a user's own mail address (none removes it): a partner's agents and\n"
        "supervisors with one receive the notices its mail.notify asks for.\n"
        "key registers a staff user's Ed25519 public key (base64, or a file holding it;\n"
        "the one before is revoked); the user may then sign its actions with it.\n"
        "revoke-key revokes it: signatures by it are refused from then on.\n";
    static const char *const add_flags[] = {"--kind", "--email", NULL};
    static const char *const list_flags[] = {"--subject", NULL};
    static const char *const no_flags[] = {NULL};
    struct config *cfg = NULL;
    struct user_args a = {0};
    char subject[64], name[USER_NAME_MAX + 1];
    if (wants_help(argc, argv)) {
        fputs(u, stdout);
        return 0;
    }
    if (argc < 1)
        usage_die(u);
    a.op = argv[0];
    if (strcmp(a.op, "list") == 0) {
        check_args(argc - 1, argv + 1, list_flags, 0, u);
        a.subject = flag(argc, argv, "--subject", u);
        return read_all(user_write, &a);
    }
    if (strcmp(a.op, "add") == 0) {
        check_args(argc - 1, argv + 1, add_flags, 1, u);
        a.kind = flag(argc, argv, "--kind", u);
        a.email = flag(argc, argv, "--email", u);
    } else if (strcmp(a.op, "email") == 0) {
        check_args(argc - 1, argv + 1, no_flags, 2, u);
        a.email = strcmp(argv[2], "none") == 0 ? NULL : argv[2];
    } else if (strcmp(a.op, "key") == 0) {
        check_args(argc - 1, argv + 1, no_flags, 2, u);
        if (seam_pubkey_parse(argv[2], a.pk) != 0)
            die("cannot read the public key %s", argv[2]);
    } else if (strcmp(a.op, "disable") == 0 || strcmp(a.op, "invite") == 0 ||
               strcmp(a.op, "reset") == 0 || strcmp(a.op, "revoke-key") == 0) {
        check_args(argc - 1, argv + 1, no_flags, 1, u);
    } else {
        usage_die(u);
    }
    a.id = argv[1];
    if (users_id_split(a.id, subject, name) != 0)
        die("a user is SUBJECT/NAME: the principal's id (1-63 of A-Z a-z 0-9 . - _), then 1-32 "
            "of a-z 0-9 . - _");
    if (a.email != NULL && !mail_address_valid(a.email))
        die("\"%s\" is not a mail address (local@domain)", a.email);
    if (strcmp(a.op, "add") == 0) {
        enum role role = users_kind_role(a.kind);
        if (role == 0)
            die("unknown kind \"%s\" (customer, agent, supervisor, desk, manager, auditor)",
                a.kind ? a.kind : "");
        struct config *pc = load_config(1);
        if (role == ROLE_PARTNER && config_partner_find(pc, subject) == NULL)
            die("no partner \"%s\" in %s", subject, pc->path);
        if (role == ROLE_LEAD && strcmp(pc->lead.id, subject) != 0)
            die("the lead's users belong to \"%s\" (the lead in %s)", pc->lead.id, pc->path);
        config_free(pc);
    }
    if (strcmp(a.op, "invite") == 0 || strcmp(a.op, "reset") == 0) {
        struct config *pc = load_config(0);
        unsigned s = pc == NULL                    ? (strcmp(a.op, "invite") == 0 ? 604800 : 3600)
                     : strcmp(a.op, "invite") == 0 ? pc->invite_s
                                                   : pc->reset_s;
        a.ttl_ms = (int64_t)s * 1000;
        config_free(pc);
    }
    struct store *s = open_store(datadir(&cfg));
    enum seam_err rc = ctl_write(s, user_write, &a);
    store_close(s);
    config_free(cfg);
    if (rc == SEAM_EEXIST)
        die(strcmp(a.op, "key") == 0 ? "this key of \"%s\" was revoked; it is never taken again"
                                     : "user \"%s\" exists already",
            a.id);
    if (rc == SEAM_ENOTFOUND)
        die(strcmp(a.op, "revoke-key") == 0 ? "no user \"%s\", or it holds no key"
                                            : "no user \"%s\"",
            a.id);
    if (rc == SEAM_ECONFLICT && strcmp(a.op, "key") == 0)
        die("user \"%s\" is disabled, or not staff (only staff hold signing keys)", a.id);
    if (rc == SEAM_ECONFLICT)
        die(strcmp(a.op, "add") == 0 ? "no customer \"%s\": add it with 'seamctl customer add' "
                                       "first"
                                     : "user \"%s\" is disabled",
            strcmp(a.op, "add") == 0 ? subject : a.id);
    if (rc != SEAM_OK)
        die("cannot change the user: %s", seam_strerror(rc));
    if (a.link != NULL) {
        printf("%s\n", a.link);
        fprintf(stderr, "a one-time %s link for %s (shown once)\n", a.op, a.id);
        sodium_memzero(a.link, strlen(a.link));
        free(a.link);
    } else {
        printf("%s\n", a.id);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    int i = 1;
    if (sodium_init() < 0)
        die("libsodium failed to initialise");
    log_init(0);
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("seamctl %s (store format %u)\n", SEAM_VERSION, RECORD_FORMAT);
            return 0;
        }
        if (i + 1 >= argc)
            usage_die(usage_text);
        if (strcmp(argv[i], "-d") == 0)
            opt_datadir = argv[i + 1];
        else if (strcmp(argv[i], "-c") == 0)
            opt_config = argv[i + 1];
        else
            usage_die(usage_text);
        i += 2;
    }
    if (i >= argc)
        usage_die(usage_text);
    const char *cmd = argv[i];
    /* -d and -c may also follow the command ("seamctl rules check -c FILE"). */
    char **rest = xcalloc((size_t)argc, sizeof(char *));
    int n = 0;
    for (int k = i + 1; k < argc; k++) {
        if ((strcmp(argv[k], "-d") == 0 || strcmp(argv[k], "-c") == 0) && k + 1 < argc) {
            if (argv[k][1] == 'd')
                opt_datadir = argv[k + 1];
            else
                opt_config = argv[k + 1];
            k++;
            continue;
        }
        rest[n++] = argv[k];
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"init", cmd_init},
                {"key", cmd_key},
                {"customer", cmd_customer},
                {"token", cmd_token},
                {"verify", cmd_verify},
                {"backup", cmd_backup},
                {"export", cmd_export},
                {"verify-evidence", cmd_verify_evidence},
                {"rules", cmd_rules},
                {"report", cmd_report},
                {"migrate", cmd_migrate},
                {"reload", cmd_reload},
                {"replication", cmd_replication},
                {"restore", cmd_restore},
                {"user", cmd_user}};
    for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
        if (strcmp(cmd, cmds[c].name) == 0) {
            int rc = cmds[c].fn(n, rest);
            free(rest);
            return rc;
        }
    fprintf(stderr, "seamctl: unknown command \"%s\"\n", cmd);
    usage_die(usage_text);
}
