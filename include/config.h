/*
 * config.h: the federation's configuration (conf/seam.json) as typed,
 * validated structures. A loaded configuration is immutable, so any thread
 * may read it without locks while it holds it: the one in force is a
 * reference-counted snapshot (reload.h) that a reload replaces whole.
 */
#ifndef SEAM_CONFIG_H
#define SEAM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "fact.h"

/* Ticket priorities, in the order of the API's vocabulary. */
enum priority { PRIO_LOW, PRIO_NORMAL, PRIO_HIGH, PRIO_URGENT, PRIO_COUNT };
extern const char *const priority_names[PRIO_COUNT];
int priority_parse(const char *s); /* -1 if unknown */

struct strlist {
    char **v;
    size_t n;
};
int strlist_has(const struct strlist *l, const char *s);

struct config_span {
    int16_t start, end; /* minutes after midnight, start < end */
};

struct config_calendar {
    char *id;
    char *timezone;                 /* IANA name */
    int always;                     /* "24x7" */
    struct config_span hours[7][4]; /* [0] = Monday */
    int nhours[7];
    struct strlist holidays; /* "YYYY-MM-DD" */
};

struct config_target {
    int ack_minutes;
    int resolve_minutes;
};

struct config_sla {
    char *id;
    const struct config_calendar *calendar;
    double warning_fraction;
    struct config_target targets[PRIO_COUNT];
};

enum delivery { DELIVERY_PULL, DELIVERY_PUSH, DELIVERY_TMF621 };

/* What a status of a tmf621 partner's TroubleTicket means for its claim (ebond.c). */
enum ebond_action {
    EBOND_IGNORE,
    EBOND_ACK,
    EBOND_PROGRESS,
    EBOND_NEED_INFO,
    EBOND_RESOLVE,
    EBOND_HANDBACK,
    EBOND_ACTION_COUNT
};
extern const char *const ebond_action_names[EBOND_ACTION_COUNT];

/* A tmf621 partner's system ($.partners[].delivery, mode "tmf621"). */
struct config_ebond {
    char *token_file;   /* the bearer token for the partner's TMF621 API */
    char *customer;     /* the relatedParty id seam files under there, or NULL */
    char *callback_url; /* seam's base URL as the partner reaches it; NULL: no hub, seam polls */
    int poll_s;         /* how often seam polls the partner's tickets without a hub */
    size_t nstatus;
    char **status;                  /* the map: status names... */
    enum ebond_action *status_does; /* ...and what each means */
};

struct config_partner {
    char *id, *name;
    struct strlist services;
    enum delivery delivery;
    char *url;                 /* push: the endpoint; tmf621: the partner's TMF621 API base */
    int timeout_ms;            /* push and tmf621 */
    struct config_ebond ebond; /* tmf621 only */
    const struct config_sla *sla;
    int see_name, see_contact; /* customer data the partner may see */
    int has_signing_key;
    uint8_t signing_key[32]; /* Ed25519 public key of the partner */
    /* E-mail to the partner's desk ($.partners[].mail): the address (NULL: none) and which
     * changes it is told of (CONFIG_MAIL_ON_* bits). */
    char *mail_address;
    unsigned mail_on;
    const char *language; /* $.partners[].language: its mail's ("en", the default, or "nb") */
};

/* lang as the broker's own static string if mail is written in it ("en", "nb"), else NULL. */
const char *config_mail_language(const char *lang);

#define CONFIG_MAIL_ON_ASSIGNMENT 1u  /* a new assignment of the partner's */
#define CONFIG_MAIL_ON_SLA_WARNING 2u /* an SLA warning on one of its claims */

/* E-mail both ways ($.mail): absent, the broker sends and fetches none. */
struct config_mail {
    int on;
    char *smtp_url;        /* smtp:// or smtps:// URL of the relay */
    char *from;            /* the address mail is sent from (and the Message-ID's domain) */
    char *portal_url;      /* the customer portal's base URL, for links */
    char *support_address; /* the lead's support address (default: from) */
    char *imap_url;        /* imap:// or imaps:// URL of the mailbox replies come to; NULL: none */
    char *imap_user, *imap_password;
    char *smtp_user, *smtp_password; /* AUTH at the relay; NULL: none */
    int smtp_tls_required;           /* smtp://: STARTTLS or no mail (else when offered) */
    int poll_ms;                     /* how often the mailbox is looked at */
    size_t max_message_bytes;        /* larger messages go to the triage queue, their header only */
    struct json_t *complaint_facts;  /* facts a complaint filed by e-mail is routed by */
};

struct config_provider {
    char *service;
    char *region;  /* NULL: every region */
    char *partner; /* partner id or "lead" */
};

struct config_bundle {
    char *id, *name;
    struct config_provider *providers;
    size_t nproviders;
};

/*
 * How a rule owns a complaint about a service that rides on another
 * ($.services[i].depends_on; docs/boundaries.md): on its own (the rule's
 * owners, as for any service), the upstream's provider first (the
 * dependent service's provider next in the fallback chain), or both jointly.
 */
enum config_dependency { DEP_NONE, DEP_UPSTREAM_FIRST, DEP_JOINT, DEP_COUNT };
extern const char *const config_dependency_names[DEP_COUNT];

struct config_rule {
    char *id;
    struct strlist match[FACT_MAX]; /* by enum fact; empty list: any value */
    struct strlist owners;          /* "lead", partner id, "provider_of:<service>" */
    struct strlist fallback;
    int joint;
    int rank;
    int customer_visible;
    char *label;
    enum config_dependency dependency; /* $.rules[i].dependency, DEP_NONE when absent */
};

struct config_lead {
    char *id, *name;
    const struct config_calendar *calendar;
    const struct config_sla *sla;
};

/* An IPv4 network: address and mask in host byte order. */
struct config_net {
    uint32_t addr, mask;
};

/* An IPv4 or IPv6 network ($.trusted_proxies): an IPv4 one is kept as ::ffff:A.B.C.D/96+N. */
struct config_net6 {
    uint8_t addr[16]; /* network byte order, the host bits cleared */
    unsigned bits;    /* prefix length, 0..128 */
};
/* 1 if addr (16 bytes; an IPv4 address as ::ffff:A.B.C.D) is in one of nets[0..n). */
int config_net6_has(const struct config_net6 *nets, size_t n, const uint8_t addr[16]);
/* A witness of the evidence log (C2SP tlog-witness): where to submit, whose cosignatures. */
struct config_witness {
    char *name, *url;
    uint8_t key[32];
};

/*
 * $.replication (replica.h): the batches go through a NATS JetStream stream, and
 * nodes that do not lead follow it. Absent: the single store of one node.
 */
struct config_replication {
    int on;
    char **servers; /* nats:// URLs */
    size_t nservers;
    char *stream;                /* the stream's name (default "seam") */
    char *subject;               /* its one subject (default "<stream>.batches") */
    unsigned replicas;           /* the stream's copies, seamctl replication init (default 3) */
    unsigned max_age_days;       /* how long the stream keeps a batch (0: for ever) */
    char *node;                  /* this node's name (seam-broker -N overrides it) */
    char *leader;                /* the node that writes */
    char *url;                   /* this node's address as clients reach it (NULL: its own) */
    unsigned publish_timeout_ms; /* a batch's wait for the stream's acknowledgement */
    unsigned lease_ms;           /* a leader unheard of this long is replaced */
};

struct config {
    char *path;
    struct config_replication replication;
    /* The configuration's version: the first 8 bytes of the SHA-256 of the file's bytes, in
     * hex. The event of each routing names it (reload.h). */
    char version[17];
    /* $.tls: the certificate chain and private key files (PEM); both NULL: plain HTTP. Read
     * at the start and at each reload (http.c). */
    char *tls_cert, *tls_key;
    /* $.trusted_proxies: the peers whose X-Forwarded-For names the client in the log. */
    struct config_net6 *trusted_proxies;
    size_t ntrusted_proxies;
    char *federation; /* checkpoint origin */
    char *listen_host;
    uint16_t listen_port;
    char *data_dir;
    char *web_dir; /* $.web_dir: the pages (web.h); NULL: the default */
    /* limits */
    size_t max_body;
    unsigned max_connections;
    unsigned connection_timeout_s;
    unsigned threads;
    unsigned queue_depth;
    unsigned batch_max;
    size_t map_size;                 /* initial LMDB map size, bytes */
    size_t map_max;                  /* the map never grows beyond this */
    unsigned max_json_depth;         /* nesting of any JSON input (default 32) */
    unsigned max_connections_per_ip; /* concurrent connections from one address (0: no limit) */
    unsigned header_timeout_s;       /* to receive a request's head */
    unsigned max_notes_per_ticket;
    unsigned max_events_per_ticket; /* timeline entries */
    unsigned max_attachments_per_ticket;
    size_t max_attachment_bytes;            /* one attachment's bytes */
    size_t max_attachment_bytes_per_ticket; /* all of one ticket's attachments */
    size_t max_record_bytes;                /* a ticket record's stored size */
    unsigned max_signed_per_partner; /* signed requests remembered per partner in the window */
    unsigned max_bounces;
    /* A complaint with the same facts as an open one of the same customer
     * filed within this many minutes is flagged possible_duplicate (0: never). */
    unsigned duplicate_window_minutes;
    /* 1: a complaint about a service outside the customer's bundle is refused
     * (400, field "service"); 0: it is routed and flagged out_of_bundle. */
    unsigned refuse_out_of_bundle;
    /* who may read /metrics: these networks (default 127.0.0.0/8), or a bearer
     * token whose SHA-256 is metrics_token_sha256 (when metrics_token is set) */
    struct config_witness *witnesses; /* $.witnesses.list */
    size_t nwitnesses;
    unsigned witness_quorum; /* cosignatures a checkpoint needs ($.witnesses.quorum) */
    struct config_net *metrics_allow;
    size_t nmetrics_allow;
    int metrics_token;
    uint8_t metrics_token_sha256[32];
    /* $.sessions: users' sign-in and sessions (users.h, docs/operations.md) */
    unsigned session_idle_s;      /* a session unused this long ends */
    unsigned session_absolute_s;  /* a session ends this long after sign-in, used or not */
    unsigned invite_s, reset_s;   /* an invitation's, a password reset link's life */
    unsigned signin_max_failures; /* failed sign-ins of one account before it locks */
    unsigned signin_max_failures_per_address; /* ... of one client address */
    unsigned signin_lockout_s;        /* the first lock's length (doubled at each failure past) */
    unsigned signin_hash_concurrency; /* password hashes at once (more: 503) */
    unsigned totp_staff;              /* 1: staff users sign in with a TOTP code */
    unsigned cookie_secure;           /* 1: the session cookie is Secure (TLS in front) */
    /* push delivery */
    int64_t *retry_ms; /* delay before each try; nretry tries in all */
    size_t nretry;
    unsigned delivery_concurrency;
    unsigned max_retry_after_s;
    struct config_mail mail;
    struct config_lead lead;
    /* The facts of a complaint (fact.h): the table this configuration was
     * loaded with, and each fact's vocabulary by enum fact (the bundles'
     * ids and the priorities included). The first four also go by the names
     * older code reads them by; new code indexes vocab[]. */
    const struct fact_kind *fact_kinds;
    size_t nfact_kinds;
    /* The rows $.facts declared (owned; fact_kinds points at them), or NULL:
     * the table is fact_kinds[] (or a test's). */
    struct fact_kind *declared;
    /* The fact a bundle's per-place mapping keys on ($.bundles[].services.S
     * as an object of place to partner): FACT_REGION unless a fact of
     * $.facts says "place": true (a roaming federation's country). */
    size_t place;
    /* The facts as GET /v1/vocabulary gives them, every language:
     * [{"name","source","optional","labels":{LANG:TEXT},"values":[{"id","labels"}]}]. */
    struct json_t *vocabulary;
    union {
        struct strlist vocab[FACT_MAX];
        struct {
            struct strlist services, symptoms, equipment, regions;
        };
    };
    /* By index of services.v: the services each rides on ($.services[i].depends_on: an entry
     * may be {"id","depends_on"} instead of a plain id). Each names a service of the list;
     * whether they form a cycle is the coverage check's (route_check) to say. */
    struct strlist *depends_on;
    struct strlist *upstream_roles; /* the same as owner roles: "provider_of:<service>" */
    struct config_calendar *calendars;
    size_t ncalendars;
    struct config_sla *slas;
    size_t nslas;
    struct config_partner *partners;
    size_t npartners;
    struct config_bundle *bundles;
    size_t nbundles;
    struct config_rule *rules;
    size_t nrules;
};
_Static_assert(FACT_SERVICE == 0 && FACT_SYMPTOM == 1 && FACT_EQUIPMENT == 2 && FACT_REGION == 3,
               "config.services … regions name vocab[FACT_SERVICE … FACT_REGION]");

/*
 * The scalar settings of the configuration, one row per key, as Redis's
 * static_configs[] (src/config.c): the object the key is in, its name, its
 * default and bounds as written in the file, and where the value goes (an
 * offset into the section's struct). The loader, the defaults, the refusals
 * ("KEY must be between MIN and MAX", at the object's path) and the docs test
 * (tests/e2e/t_docs.sh: every row is in docs/operations.md) all read
 * config_settings[]; no other place in config.c names one of these keys.
 * Adding a setting: a field in its struct, one row, a line in the docs.
 */
enum config_section {
    CONFIG_TOP,              /* $, into struct config */
    CONFIG_LIMITS,           /* $.limits, into struct config */
    CONFIG_DELIVERY,         /* $.delivery, into struct config */
    CONFIG_PARTNER_DELIVERY, /* $.partners[i].delivery, into struct config_partner */
    CONFIG_SLA_TARGET,       /* $.sla_policies.ID.targets.PRIORITY, into struct config_target */
    CONFIG_RULE,             /* $.rules[i], into struct config_rule */
    CONFIG_SESSIONS,         /* $.sessions, into struct config (users.h) */
    CONFIG_SECTION_COUNT
};
/* Where the section is, "[]" for every element and "*" for every key ("$.rules[]"). */
extern const char *const config_section_paths[CONFIG_SECTION_COUNT];

enum config_ctype { CONFIG_INT, CONFIG_UNSIGNED, CONFIG_SIZE };

struct config_setting {
    enum config_section section;
    const char *key;
    long long dflt, min, max; /* as written in the file; dflt is unused when required */
    enum config_ctype ctype;  /* the field's C type */
    size_t offset;            /* of the field in the section's struct */
    int required;             /* the key must be given */
    unsigned shift;           /* kept as value << shift (the file says MiB, the struct bytes) */
    /* A check against settings read before it, once the value is set: a
     * problem to report at the key's path, or NULL. */
    const char *(*check)(const void *base);
};
extern const struct config_setting config_settings[];
extern const size_t config_nsettings;

/* The value of a setting in base (the section's struct), as written in the file (>> shift). */
long long config_setting_get(const struct config_setting *s, const void *base);

/*
 * Loads and validates path. On failure returns SEAM_EINVAL (or SEAM_EIO,
 * SEAM_ENOTFOUND) and sets *errors to a malloc'd text, one problem a line,
 * each naming the file and the JSON path. *out is freed with config_free.
 */
enum seam_err config_load(const char *path, struct config **out, char **errors) SEAM_WUR;
/* The same from text in memory; path only names it in the problems. */
enum seam_err config_load_buffer(const char *path, const char *text, size_t len,
                                 struct config **out, char **errors) SEAM_WUR;
/*
 * The same with a table of fact kinds other than fact_kinds[]: kinds[0..n)
 * begins with fact_kinds[]'s rows (the facts the code names) and has at
 * most FACT_MAX; it must outlive the configuration. SEAM_EINVAL if it does
 * not fit. Tests use it to add a fact without a new build.
 */
enum seam_err config_load_buffer_facts(const char *path, const char *text, size_t len,
                                       const struct fact_kind *kinds, size_t n, struct config **out,
                                       char **errors) SEAM_WUR;
void config_free(struct config *c);

/* Sets listen_host and listen_port from "ADDRESS:PORT"; -1 if malformed. */
int config_set_listen(struct config *c, const char *addr);
/* seam-broker -N: this node's name in $.replication; -1 if replication is off or the name bad. */
int config_set_node(struct config *cf, const char *node);

const struct config_partner *config_partner_find(const struct config *c, const char *id);
const struct config_bundle *config_bundle_find(const struct config *c, const char *id);
/* The services service depends on (an empty list when none), or NULL for no such service. */
const struct strlist *config_depends_on(const struct config *c, const char *service);

#endif
