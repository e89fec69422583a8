/*
 * http.c: libmicrohttpd glue (epoll, a thread pool, suspend/resume), the
 * request lifecycle, routing through the endpoint table, bearer-token
 * authentication, body limits and media types, structured JSON answers,
 * request logging and Prometheus metrics. It knows no LMDB and no ticket:
 * handlers (api_*.c) do the work.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <sodium.h>

#include "http.h"
#include "record.h"
#include "ebond_client.h"
#include "forward.h"
#include "index.h"
#include "witness_client.h"
#include "json_fast.h"
#include "log.h"
#include "mail_in.h"
#include "outbox.h"
#include "reload.h"
#include "replica.h"
#include "scheduler.h"
#include "sla.h"
#include "ticket.h"
#include "users.h"

/*
 * The pages' Content-Security-Policy: everything from this origin only, no
 * inline script or style, no framing; and the API's: nothing at all.
 */
#define WEB_CSP                                                                                    \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"
#define API_CSP "default-src 'none'; frame-ancestors 'none'"

/* The face of one server: libmicrohttpd's daemon and the watchdog thread. */
struct http {
    struct MHD_Daemon *mhd;
    pthread_t watchdog; /* drops connections that send no complete request in time */
    _Atomic int watchdog_stop;
};

/* ---- metrics: lock-free counters ---- */

static const int codes[] = {200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static _Atomic uint64_t m_requests[MAX_ENDPOINTS + 1][N_CODES + 1];
static _Atomic uint64_t m_latency[N_BUCKETS + 1];
static _Atomic uint64_t m_latency_sum_us, m_latency_count;
static _Atomic uint64_t m_req_seq;
static _Atomic uint64_t m_dropped_slow;      /* connections cut by a request deadline */
static _Atomic uint64_t m_dropped_slow_head; /* the part of those cut by the head deadline */
static _Atomic uint64_t m_refused_per_ip;    /* connections refused by the per-address limit */

static void
count_request(struct req *r)
{
    size_t ci = N_CODES;
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i] == r->status)
            ci = i;
    size_t ei = r->ep ? r->ep_index : MAX_ENDPOINTS;
    atomic_fetch_add(&m_requests[ei][ci], 1);
    int64_t us = mono_us() - r->start_us;
    double s = (double)us / 1e6;
    size_t b = 0;
    while (b < N_BUCKETS && s > buckets[b])
        b++;
    atomic_fetch_add(&m_latency[b], 1);
    atomic_fetch_add(&m_latency_sum_us, (uint64_t)us);
    atomic_fetch_add(&m_latency_count, 1);
}

/* ---- metrics an operator alerts on: tickets by owner, disputes, SLA risk, commits ---- */

/* Counting stops after this many index steps (or due entries): a lower bound then. */
#define METRICS_WORK (1u << 20)

static unsigned long
count_tickets(struct store_txn *t, const struct ticket_ctx *c, const struct ticket_filter *f)
{
    struct principal lead = {.role = ROLE_LEAD};
    unsigned long n = 0;
    int complete = 0;
    snprintf(lead.subject, sizeof(lead.subject), "metrics");
    if (ticket_walk_count(t, c, &lead, f, NULL, METRICS_WORK, &n, &complete) != SEAM_OK)
        return 0;
    return n;
}

struct due_counts {
    uint64_t kinds[SLA_KINDS];
    uint64_t seen;
};

static int
count_due(void *ctx, const struct sla_due *d)
{
    struct due_counts *dc = ctx;
    dc->kinds[d->kind]++;
    return ++dc->seen >= METRICS_WORK;
}

static const char *const open_statuses[] = {"acknowledged", "inProgress", "pending"};

static void
tickets_metrics(struct server *srv, struct store_txn *t, struct mtext *m)
{
    struct snapshot *snap = snapshot_hold();
    const struct config *cfg = snap->cfg;
    struct ticket_ctx c = {cfg, &srv->lg, snap->sla};
    struct ticket_filter f;

    mt_add(m, "# HELP seam_tickets_open Open tickets with a live claim, by the owner of the claim "
              "(the lead company's id for the lead; a joint ticket counts for each owner).\n"
              "# TYPE seam_tickets_open gauge\n");
    for (size_t i = 0; i <= cfg->npartners; i++) {
        const char *id = i < cfg->npartners ? cfg->partners[i].id : cfg->lead.id;
        memset(&f, 0, sizeof(f));
        f.owner = id;
        mt_add(m, "seam_tickets_open{owner=\"%s\"} %lu\n", id, count_tickets(t, &c, &f));
    }
    static const struct {
        const char *flag, *name, *help;
    } flagged[] = {
        {"disputed", "seam_tickets_disputed",
         "Open tickets that reached the lead through hand-backs (flag disputed)."},
        {"breached", "seam_tickets_breached",
         "Open tickets of which a claim breached an SLA target (flag breached)."},
        {"escalated", "seam_tickets_escalated",
         "Open tickets escalated to the lead (an SLA breach or an undeliverable claim)."},
    };
    for (size_t k = 0; k < sizeof(flagged) / sizeof(flagged[0]); k++) {
        unsigned long n = 0;
        for (size_t i = 0; i < sizeof(open_statuses) / sizeof(open_statuses[0]); i++) {
            memset(&f, 0, sizeof(f));
            f.flag = flagged[k].flag;
            f.status = open_statuses[i];
            n += count_tickets(t, &c, &f);
        }
        mt_add(m, "# HELP %s %s\n# TYPE %s gauge\n%s %lu\n", flagged[k].name, flagged[k].help,
               flagged[k].name, flagged[k].name, n);
    }
    /* A clock's warning instant comes before its breach, and both leave the due index when the
     * clock stops: a clock whose breach is due but whose warning is not is past its warning. */
    struct due_counts dc = {{0}, 0};
    if (sla_due_each(t, count_due, &dc) == SEAM_OK) {
        uint64_t ack = dc.kinds[SLA_ACK] > dc.kinds[SLA_WARN_ACK]
                           ? dc.kinds[SLA_ACK] - dc.kinds[SLA_WARN_ACK]
                           : 0;
        uint64_t res = dc.kinds[SLA_RESOLVE] > dc.kinds[SLA_WARN_RESOLVE]
                           ? dc.kinds[SLA_RESOLVE] - dc.kinds[SLA_WARN_RESOLVE]
                           : 0;
        mt_add(m,
               "# HELP seam_claims_at_risk Live claims past their SLA warning and not yet "
               "breached, by clock.\n"
               "# TYPE seam_claims_at_risk gauge\n"
               "seam_claims_at_risk{clock=\"ack\"} %llu\n"
               "seam_claims_at_risk{clock=\"resolve\"} %llu\n"
               "# HELP seam_claims_running Live claims whose SLA clock runs toward a breach, by "
               "clock.\n"
               "# TYPE seam_claims_running gauge\n"
               "seam_claims_running{clock=\"ack\"} %llu\n"
               "seam_claims_running{clock=\"resolve\"} %llu\n",
               (unsigned long long)ack, (unsigned long long)res,
               (unsigned long long)dc.kinds[SLA_ACK], (unsigned long long)dc.kinds[SLA_RESOLVE]);
    }
    snapshot_drop(snap);
}

static void
commit_metrics(struct server *srv, struct mtext *m)
{
    uint64_t counts[STORE_COMMIT_BUCKETS + 1], sum_us, cum = 0;
    store_commit_latency(srv->store, counts, &sum_us);
    mt_add(m, "# HELP seam_store_commit_duration_seconds The writer's durable commits (one per "
              "batch, its fsync included).\n"
              "# TYPE seam_store_commit_duration_seconds histogram\n");
    for (size_t b = 0; b < STORE_COMMIT_BUCKETS; b++) {
        cum += counts[b];
        mt_add(m, "seam_store_commit_duration_seconds_bucket{le=\"%g\"} %llu\n",
               store_commit_buckets[b], (unsigned long long)cum);
    }
    cum += counts[STORE_COMMIT_BUCKETS];
    mt_add(m,
           "seam_store_commit_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
           "seam_store_commit_duration_seconds_sum %.6f\n"
           "seam_store_commit_duration_seconds_count %llu\n",
           (unsigned long long)cum, (double)sum_us / 1e6, (unsigned long long)cum);
}

char *
http_metrics_text(struct server *srv)
{
    struct store_stats st;
    size_t cap = 16384, len = 0;
    char *out = xmalloc(cap);
#define EMIT(...)                                                                                  \
    do {                                                                                           \
        int n_ = snprintf(out + len, cap - len, __VA_ARGS__);                                      \
        if (n_ >= 0 && (size_t)n_ >= cap - len) {                                                  \
            cap = cap * 2 + (size_t)n_;                                                            \
            out = xrealloc(out, cap);                                                              \
            n_ = snprintf(out + len, cap - len, __VA_ARGS__);                                      \
        }                                                                                          \
        if (n_ > 0)                                                                                \
            len += (size_t)n_;                                                                     \
    } while (0)

    EMIT("# HELP seam_http_requests_total HTTP requests answered, by endpoint and status.\n"
         "# TYPE seam_http_requests_total counter\n");
    for (size_t e = 0; e <= n_endpoints && e <= MAX_ENDPOINTS; e++) {
        const char *name = e < n_endpoints ? endpoints[e].name : "unmatched";
        size_t ei = e < n_endpoints ? e : MAX_ENDPOINTS;
        for (size_t c = 0; c <= N_CODES; c++) {
            uint64_t v = atomic_load(&m_requests[ei][c]);
            if (v == 0)
                continue;
            if (c < N_CODES)
                EMIT("seam_http_requests_total{endpoint=\"%s\",code=\"%d\"} %llu\n", name, codes[c],
                     (unsigned long long)v);
            else
                EMIT("seam_http_requests_total{endpoint=\"%s\",code=\"other\"} %llu\n", name,
                     (unsigned long long)v);
        }
    }
    EMIT("# HELP seam_http_request_duration_seconds Time from first byte to answer.\n"
         "# TYPE seam_http_request_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        cum += atomic_load(&m_latency[b]);
        EMIT("seam_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b],
             (unsigned long long)cum);
    }
    cum += atomic_load(&m_latency[N_BUCKETS]);
    EMIT("seam_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    EMIT("seam_http_request_duration_seconds_sum %.6f\n",
         (double)atomic_load(&m_latency_sum_us) / 1e6);
    EMIT("seam_http_request_duration_seconds_count %llu\n",
         (unsigned long long)atomic_load(&m_latency_count));
    EMIT("# HELP seam_http_dropped_slow_total Connections dropped for not sending a complete "
         "request in time.\n"
         "# TYPE seam_http_dropped_slow_total counter\n"
         "seam_http_dropped_slow_total %llu\n",
         (unsigned long long)atomic_load(&m_dropped_slow));
    EMIT("# HELP seam_http_dropped_slow_head_total Of those, connections dropped for not sending "
         "a complete request head within limits.header_timeout_s.\n"
         "# TYPE seam_http_dropped_slow_head_total counter\n"
         "seam_http_dropped_slow_head_total %llu\n",
         (unsigned long long)atomic_load(&m_dropped_slow_head));
    EMIT("# HELP seam_http_refused_per_ip_total Connections refused because their address had "
         "limits.max_connections_per_ip open.\n"
         "# TYPE seam_http_refused_per_ip_total counter\n"
         "seam_http_refused_per_ip_total %llu\n",
         (unsigned long long)atomic_load(&m_refused_per_ip));

    EMIT("# HELP seam_items_set_aside_total Due items a background loop set aside because their "
         "ticket could not be worked (logged once each; see seamctl verify).\n"
         "# TYPE seam_items_set_aside_total counter\n"
         "seam_items_set_aside_total{loop=\"sla\"} %llu\n"
         "seam_items_set_aside_total{loop=\"delivery\"} %llu\n",
         (unsigned long long)scheduler_parked_total(),
         (unsigned long long)forward_escalations_failed());

    store_stats(srv->store, &st);
    EMIT("# HELP seam_store_batches_total Committed write batches (one durable commit each).\n"
         "# TYPE seam_store_batches_total counter\nseam_store_batches_total %llu\n",
         (unsigned long long)st.batches);
    EMIT("# HELP seam_store_batched_jobs_total Writes committed in those batches.\n"
         "# TYPE seam_store_batched_jobs_total counter\nseam_store_batched_jobs_total %llu\n",
         (unsigned long long)st.jobs);
    EMIT("# HELP seam_store_batch_size_mean Mean writes per committed batch.\n"
         "# TYPE seam_store_batch_size_mean gauge\nseam_store_batch_size_mean %.3f\n",
         st.batches ? (double)st.jobs / (double)st.batches : 0.0);
    EMIT("# HELP seam_store_queue_length Writes waiting for the writer.\n"
         "# TYPE seam_store_queue_length gauge\nseam_store_queue_length %llu\n",
         (unsigned long long)st.queue_len);
    EMIT("# HELP seam_store_used_bytes Bytes of the store in use.\n"
         "# TYPE seam_store_used_bytes gauge\nseam_store_used_bytes %llu\n",
         (unsigned long long)st.used_bytes);
    EMIT("# HELP seam_store_map_bytes Size of the store's memory map.\n"
         "# TYPE seam_store_map_bytes gauge\nseam_store_map_bytes %llu\n",
         (unsigned long long)st.map_size);
    EMIT("# HELP seam_store_map_max_bytes The size the store's map may grow to "
         "(limits.map_max_mb).\n"
         "# TYPE seam_store_map_max_bytes gauge\nseam_store_map_max_bytes %llu\n",
         (unsigned long long)srv->cfg->map_max);
    EMIT("# HELP seam_store_full_errors_total Batches refused because storage was full.\n"
         "# TYPE seam_store_full_errors_total counter\nseam_store_full_errors_total %llu\n",
         (unsigned long long)st.full_errors);
    EMIT("# HELP seam_store_staged_total Writes prepared on the request's thread and replayed by "
         "the writer.\n"
         "# TYPE seam_store_staged_total counter\nseam_store_staged_total %llu\n",
         (unsigned long long)st.staged);
    EMIT("# HELP seam_store_stale_stages_total Prepared writes the store had overtaken, done again "
         "by the writer.\n"
         "# TYPE seam_store_stale_stages_total counter\nseam_store_stale_stages_total %llu\n",
         (unsigned long long)st.stale_stages);
    struct store_txn *t;
    if (store_read_begin(srv->store, &t) == SEAM_OK) {
        uint64_t pending = outbox_pending(t), tickets = ticket_count(t), tree = 0;
        uint64_t waiting = index_pending_count(t, UINT64_MAX);
        char *note = NULL;
        if (evlog_checkpoint(t, &tree, &note) != SEAM_OK)
            tree = 0;
        free(note);
        store_read_end(t);
        char *wm = witness_client_metrics(tree);
        EMIT("%s", wm);
        free(wm);
        EMIT("# HELP seam_tickets Tickets in the store, open or not.\n"
             "# TYPE seam_tickets gauge\nseam_tickets %llu\n",
             (unsigned long long)tickets);
        EMIT("# HELP seam_outbox_pending Messages out (pushes, TMF621 hub notifications) waiting "
             "for a try or a retry.\n"
             "# TYPE seam_outbox_pending gauge\nseam_outbox_pending %llu\n",
             (unsigned long long)pending);
        EMIT("# HELP seam_index_pending Tickets whose list index entries wait to be merged "
             "(lists read them all the same).\n"
             "# TYPE seam_index_pending gauge\nseam_index_pending %llu\n",
             (unsigned long long)waiting);
    }
    struct mtext more = {0};
    if (store_read_begin(srv->store, &t) == SEAM_OK) {
        tickets_metrics(srv, t, &more);
        store_read_end(t);
    }
    commit_metrics(srv, &more);
    if (more.s != NULL)
        EMIT("%s", more.s);
    free(more.s);
    EMIT("# HELP seam_outbox_dead_letters_total Messages out given up after their last try (or "
         "refused with 410) since start, by channel.\n"
         "# TYPE seam_outbox_dead_letters_total counter\n"
         "seam_outbox_dead_letters_total{channel=\"webhook\"} %llu\n"
         "seam_outbox_dead_letters_total{channel=\"tmf_hub\"} %llu\n"
         "seam_outbox_dead_letters_total{channel=\"mail\"} %llu\n"
         "seam_outbox_dead_letters_total{channel=\"ebond\"} %llu\n",
         (unsigned long long)forward_dead_letters(0), (unsigned long long)forward_dead_letters(1),
         (unsigned long long)forward_dead_letters(2), (unsigned long long)forward_dead_letters(3));
    uint64_t mail_applied, mail_dups, mail_triaged;
    mail_in_counts(&mail_applied, &mail_dups, &mail_triaged);
    EMIT("# HELP seam_mail_in_total Messages fetched from the mailbox since start, by what they "
         "did.\n"
         "# TYPE seam_mail_in_total counter\n"
         "seam_mail_in_total{outcome=\"applied\"} %llu\n"
         "seam_mail_in_total{outcome=\"duplicate\"} %llu\n"
         "seam_mail_in_total{outcome=\"triaged\"} %llu\n",
         (unsigned long long)mail_applied, (unsigned long long)mail_dups,
         (unsigned long long)mail_triaged);
    EMIT("# HELP seam_outbox_refused_total Messages out never sent since start because they "
         "differed from the signed events (changed on disk; see seamctl verify).\n"
         "# TYPE seam_outbox_refused_total counter\nseam_outbox_refused_total %llu\n",
         (unsigned long long)forward_refused());
    EMIT("# HELP seam_build_info The broker's release and the store format it writes.\n"
         "# TYPE seam_build_info gauge\nseam_build_info{version=\"%s\",store_format=\"%u\"} 1\n",
         SEAM_VERSION, (unsigned)RECORD_FORMAT);
    EMIT("# HELP seam_uptime_seconds Seconds since the broker started.\n"
         "# TYPE seam_uptime_seconds gauge\nseam_uptime_seconds %lld\n",
         (long long)((now_ms() - srv->started_ms) / 1000));
    char *ebond = ebond_client_metrics();
    EMIT("%s", ebond);
    free(ebond);
    char *reload = reload_metrics_text();
    EMIT("%s", reload);
    free(reload);
    EMIT("# HELP seam_tls_enabled 1 when the HTTP face serves TLS ($.tls).\n"
         "# TYPE seam_tls_enabled gauge\nseam_tls_enabled %d\n",
         srv->tls);
#undef EMIT
    return out;
}

/*
 * /metrics shows business volume, so it is served only to the networks of
 * metrics.allow (default: loopback) or to a bearer token whose SHA-256 is
 * metrics.token_sha256. Others get 403 forbidden.
 */
int
http_metrics_access_or_reply(struct req *r)
{
    const struct config *cfg = r->cfg;
    /* The client (client_address): behind a trusted proxy the address its X-Forwarded-For
     * names, not the proxy's own, which a proxy on loopback would lend to anyone. */
    uint32_t a = 0;
    int v4 = 0;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, r->client, &a4) == 1) {
        a = ntohl(a4.s_addr);
        v4 = 1;
    } else if (inet_pton(AF_INET6, r->client, &a6) == 1) {
        /* ::1 is the loopback as 127.0.0.1 is; an IPv4 peer of a dual-stack socket is itself */
        if (IN6_IS_ADDR_LOOPBACK(&a6)) {
            a = 0x7f000001u;
            v4 = 1;
        } else if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            memcpy(&a, a6.s6_addr + 12, 4);
            a = ntohl(a);
            v4 = 1;
        }
    }
    if (v4) {
        for (size_t i = 0; i < cfg->nmetrics_allow; i++)
            if ((a & cfg->metrics_allow[i].mask) == cfg->metrics_allow[i].addr)
                return 0;
    }
    const char *authz =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (cfg->metrics_token && authz != NULL && strncasecmp(authz, "Bearer ", 7) == 0) {
        unsigned char h[crypto_hash_sha256_BYTES];
        const char *tok = authz + 7;
        crypto_hash_sha256(h, (const unsigned char *)tok, strlen(tok));
        if (sodium_memcmp(h, cfg->metrics_token_sha256, sizeof(h)) == 0)
            return 0;
    }
    http_error(r, E_FORBIDDEN,
               "metrics are served only to the networks of metrics.allow or with the metrics "
               "token",
               NULL);
    return -1;
}

/* ---- answers ---- */

void
http_reply_clear(struct req *r)
{
    if (r->reply_release != NULL)
        r->reply_release(r->reply_cls);
    else
        free(r->reply);
    r->reply = NULL;
    r->reply_release = NULL;
    r->reply_cls = NULL;
    r->replied = 0;
}

void
http_reply_shared(struct req *r, int status, const char *type, const char *text, size_t len,
                  void (*release)(void *cls), void *cls)
{
    http_reply_clear(r);
    r->status = status;
    r->reply = (char *)text; /* never written: see send_reply */
    r->reply_len = len;
    r->reply_type = type;
    r->reply_release = release;
    r->reply_cls = cls;
    r->replied = 1;
}

void
http_reply_raw(struct req *r, int status, const char *type, char *text, size_t len)
{
    http_reply_clear(r);
    r->status = status;
    r->reply = text;
    r->reply_len = len;
    r->reply_type = type;
    r->replied = 1;
}

void
http_header(struct req *r, const char *name, const char *value)
{
    if (r->nheaders < REQ_MAX_HEADERS) {
        r->header_names[r->nheaders] = name;
        r->header_values[r->nheaders] = xstrdup(value);
        r->nheaders++;
    }
}

void
http_reply_empty(struct req *r, int status)
{
    http_reply_raw(r, status, "application/json", xstrdup(""), 0);
}

void
http_reply(struct req *r, int status, json_t *body)
{
    char buf[16384];
    size_t n = 0;
    char *text = json_dump_into(body, JSON_COMPACT, buf, sizeof(buf), &n);
    json_decref(body);
    if (text == NULL) {
        log_warnx("req=%s json_dumps failed", r->id);
        text = xasprintf("{\"error\":{\"code\":\"internal\",\"message\":\"request %s\"}}", r->id);
        n = strlen(text);
        status = 500;
    } else if (text == buf) {
        text = xmalloc(n + 2);
        memcpy(text, buf, n);
    }
    http_reply_json_text(r, status, text, n);
}

void
http_reply_json_text(struct req *r, int status, char *text, size_t len)
{
    text = xrealloc(text, len + 2);
    text[len] = '\n';
    text[len + 1] = '\0';
    http_reply_raw(r, status, "application/json", text, len + 1);
}

/*
 * The number of leading directories ("seg/") of path that pattern (an
 * endpoint's path, "{id}" matching any one segment) has too.
 */
static size_t
shared_dirs(const char *pattern, const char *path)
{
    size_t n = 0;
    if (*pattern != '/' || *path != '/')
        return 0;
    for (;;) {
        const char *pe = strchr(++pattern, '/'), *qe = strchr(++path, '/');
        if (qe == NULL)
            return n; /* the path's last segment is no directory */
        size_t pl = pe ? (size_t)(pe - pattern) : strlen(pattern), ql = (size_t)(qe - path);
        if (!(pl == 4 && memcmp(pattern, "{id}", 4) == 0) &&
            (pl != ql || memcmp(pattern, path, pl) != 0))
            return n;
        n++;
        if (pe == NULL)
            return n;
        pattern = pe;
        path = qe;
    }
}

/*
 * The flags that pick the error shape: the endpoint's, or for a request that
 * matched none (or failed before routing) those of the first row sharing the
 * most leading directories with its path; none shared: the default shape.
 */
static unsigned
error_shape(const struct req *r)
{
    if (r->ep != NULL)
        return r->ep->flags;
    size_t best = 0;
    unsigned flags = 0;
    for (size_t i = 0; r->path != NULL && i < n_endpoints; i++) {
        size_t n = shared_dirs(endpoints[i].path, r->path);
        if (n > best) {
            best = n;
            flags = endpoints[i].flags;
        }
    }
    return flags;
}

/* "urn:seam:field:PATH" or "urn:seam:parameter:NAME", PATH percent-encoded
 * but for RFC 3986's unreserved characters; in a static buffer, cut at a
 * whole escape (a field is at most a few hundred bytes). */
static const char *
reference_urn(int param, const char *field)
{
    static _Thread_local char urn[1024];
    static const char hex[] = "0123456789ABCDEF";
    int n = snprintf(urn, sizeof(urn), "urn:seam:%s:", param ? "parameter" : "field");
    for (const unsigned char *p = (const unsigned char *)field; *p && n + 4 < (int)sizeof(urn);
         p++) {
        if ((*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~') {
            urn[n++] = (char)*p;
        } else {
            urn[n++] = '%';
            urn[n++] = hex[*p >> 4];
            urn[n++] = hex[*p & 15];
        }
    }
    urn[n] = '\0';
    return urn;
}

/*
 * The structured error. message and field may quote a client's bytes (a
 * parser's text, a name from the body or the query): they are made valid
 * UTF-8 first, so that the answer always dumps and a client's bytes never
 * turn a 4xx into a 500.
 */
void
http_error(struct req *r, enum api_error e, const char *message, const char *field)
{
    int status = api_error_status(e);
    char *msg = utf8_sanitize(message ? message : api_error_message(e));
    char *fld = utf8_sanitize(field);
    json_t *body;
    if (error_shape(r) & EP_TMF) {
        /* TMF621's Error shape on that face: code, reason, message, status. */
        char st[8];
        snprintf(st, sizeof(st), "%d", status);
        body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "code", api_error_code(e), "reason",
                         api_error_message(e), "message", msg, "status", st, "@type", "Error");
        if (fld) {
            /* TMF630: referenceError is a URI. The attribute (or query
             * argument) at fault, its bytes but the unreserved ones
             * percent-encoded (RFC 3986). */
            int param = e == E_BAD_PARAMETER || e == E_UNKNOWN_PARAM;
            json_object_set_new(body, "referenceError",
                                json_string_nocheck(reference_urn(param, fld)));
        }
    } else {
        json_t *err = json_pack("{s:s, s:s}", "code", api_error_code(e), "message", msg);
        if (fld)
            json_object_set_new(err, "field", json_string(fld));
        if (status >= 500)
            json_object_set_new(err, "request_id", json_string(r->id));
        body = json_pack("{s:o}", "error", err);
    }
    free(msg);
    free(fld);
    if (status == 503)
        r->retry_after = 1;
    http_reply(r, status, body);
}

void
http_error_from(struct req *r, enum seam_err rc, const char *what)
{
    switch (rc) {
    case SEAM_ENOTFOUND:
        http_error(r, E_NOT_FOUND, NULL, NULL);
        return;
    case SEAM_ECONFLICT:
        http_error(r, E_CONFLICT, NULL, NULL);
        return;
    case SEAM_EBUSY:
    case SEAM_ESHUTDOWN:
    case SEAM_EUNAVAIL:
        http_error(r, E_UNAVAILABLE, NULL, NULL);
        return;
    case SEAM_EFULL:
        http_error(r, E_STORAGE_FULL, NULL, NULL);
        return;
    case SEAM_ELIMIT:
        http_error(r, E_TICKET_FULL, NULL, NULL);
        return;
    case SEAM_ETOOBIG:
        http_error(r, E_RECORD_TOO_LARGE, NULL, NULL);
        return;
    default:
        log_warnx("req=%s %s failed error=\"%s\"", r->id, what, seam_strerror(rc));
        http_error(r, E_INTERNAL, "internal error; quote the request_id to the operator", NULL);
        return;
    }
}

const char *
http_param(struct req *r, unsigned i)
{
    return i < REQ_MAX_PARAMS ? r->params[i] : NULL;
}

const char *
http_query(struct req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

struct query_each {
    http_query_fn fn;
    void *ctx;
};

static enum MHD_Result
query_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct query_each *q = cls;
    (void)kind;
    q->fn(q->ctx, key, value);
    return MHD_YES;
}

void
http_query_each(struct req *r, http_query_fn fn, void *ctx)
{
    struct query_each q = {fn, ctx};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_one, &q);
}

const char *
http_cookie_value(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *
http_header_value(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

json_t *
http_body_json_optional_or_reply(struct req *r)
{
    if (r->body_len == 0)
        return json_object();
    return http_body_json_or_reply(r);
}

static json_t *body_json_or_reply(struct req *r, int array_too);

json_t *
http_body_json_or_reply(struct req *r)
{
    return body_json_or_reply(r, 0);
}

json_t *
http_body_json_array_or_reply(struct req *r)
{
    return body_json_or_reply(r, 1);
}

static json_t *
body_json_or_reply(struct req *r, int array_too)
{
    json_error_t jerr;
    if (r->body_len == 0) {
        http_error(r, E_BAD_JSON, "a JSON object body is required", NULL);
        return NULL;
    }
    if (!r->body_json) {
        http_error(r, E_MEDIA_TYPE, NULL, NULL);
        return NULL;
    }
    /* Nesting first, before Jansson recurses into it (see json_fast.h). */
    unsigned max_depth = r->cfg->max_json_depth;
    if (json_nesting(r->body, r->body_len, max_depth) > max_depth) {
        char deep[128];
        snprintf(deep, sizeof(deep), "the body nests deeper than %u levels", max_depth);
        http_error(r, E_TOO_DEEP, deep, NULL);
        return NULL;
    }
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (j == NULL) {
        char msg[256];
        snprintf(msg, sizeof(msg), "body is not valid JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        http_error(r, E_BAD_JSON, msg, NULL);
        return NULL;
    }
    if (!json_is_object(j) && !(array_too && json_is_array(j))) {
        json_decref(j);
        http_error(r, E_BAD_JSON,
                   array_too ? "body must be a JSON array or object" : "body must be a JSON object",
                   NULL);
        return NULL;
    }
    return j;
}

static const char *
type_name(json_type t)
{
    switch (t) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

int
http_fields_or_reply(struct req *r, const json_t *body, const struct body_field *fields)
{
    const char *key;
    json_t *v;
    char msg[200];
    json_object_foreach((json_t *)body, key, v)
    {
        const struct body_field *f;
        for (f = fields; f->name; f++)
            if (strcmp(f->name, key) == 0)
                break;
        if (f->name == NULL) {
            http_error(r, E_UNKNOWN_FIELD, "this field is not taken here", key);
            return -1;
        }
        if (json_typeof(v) != f->type && !(json_is_null(v) && !f->required)) {
            snprintf(msg, sizeof(msg), "must be %s", type_name(f->type));
            http_error(r, E_INVALID_FIELD, msg, key);
            return -1;
        }
        if (json_is_string(v)) {
            size_t n = json_string_length(v);
            if (n < f->min_len || n > f->max_len) {
                snprintf(msg, sizeof(msg), "must be %zu to %zu bytes long", f->min_len, f->max_len);
                http_error(r, E_INVALID_FIELD, msg, key);
                return -1;
            }
        }
    }
    for (const struct body_field *f = fields; f->name; f++)
        if (f->required && json_object_get(body, f->name) == NULL) {
            http_error(r, E_MISSING_FIELD, "this field is required", f->name);
            return -1;
        }
    return 0;
}

int
http_enum_or_reply(struct req *r, const char *name, const char *const *allowed, const char *what,
                   const char **out)
{
    const char *v = http_query(r, name);
    *out = v;
    if (v == NULL)
        return 0;
    for (const char *const *a = allowed; *a; a++)
        if (strcmp(*a, v) == 0)
            return 0;
    char msg[96];
    snprintf(msg, sizeof(msg), "not %s", what);
    http_error(r, E_BAD_PARAMETER, msg, name);
    return -1;
}

int
http_cursor_or_reply(struct req *r, int (*valid)(const char *), const char **out)
{
    *out = http_query(r, "cursor");
    if (*out != NULL && !valid(*out)) {
        http_error(r, E_BAD_PARAMETER, "cursor must be a next_cursor value", "cursor");
        return -1;
    }
    return 0;
}

int
http_limit_or_reply(struct req *r, int dflt, int max)
{
    const char *s = http_query(r, "limit");
    char *end;
    if (s == NULL)
        return dflt;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > max) {
        char msg[80];
        snprintf(msg, sizeof(msg), "limit must be an integer from 1 to %d", max);
        http_error(r, E_BAD_PARAMETER, msg, "limit");
        return -1;
    }
    return (int)v;
}

void
http_submit(struct req *r, struct store_job *job, void *owner, void (*owner_free)(void *))
{
    r->job = owner;
    r->job_free = owner_free;
    MHD_suspend_connection(r->conn);
    r->suspended = 1;
    enum seam_err rc = store_submit(r->srv->store, job);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "submit");
        http_resume(r);
    }
}

void
http_suspend(struct req *r)
{
    r->suspended = 1;
    MHD_suspend_connection(r->conn);
}

void
http_resume(struct req *r)
{
    MHD_resume_connection(r->conn);
}

void
http_resume_to(struct req *r, void (*finish)(struct req *r))
{
    r->finish = finish;
    MHD_resume_connection(r->conn);
}

/* ---- request lifecycle ---- */

static int
segment_ok(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* Matches path against pattern; captures {…} segments into params. */
static int
path_match(const char *pattern, const char *path, char *params[REQ_MAX_PARAMS])
{
    unsigned np = 0;
    const char *p = pattern, *u = path;
    char *caught[REQ_MAX_PARAMS] = {0};
    while (*p && *u) {
        if (*p != '/' || *u != '/')
            goto no;
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        if (pl > 0 && p[0] == '{') {
            if (!segment_ok(u, ul) || np >= REQ_MAX_PARAMS)
                goto no;
            caught[np] = xmalloc(ul + 1);
            memcpy(caught[np], u, ul);
            caught[np][ul] = '\0';
            np++;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            goto no;
        }
        p += pl;
        u += ul;
    }
    if (*p || *u)
        goto no;
    for (unsigned i = 0; i < REQ_MAX_PARAMS; i++)
        params[i] = caught[i];
    return 1;
no:
    for (unsigned i = 0; i < np; i++)
        free(caught[i]);
    return 0;
}

static void
req_free(struct req *r)
{
    if (r == NULL)
        return;
    if (r->job_free)
        r->job_free(r->job);
    for (int i = 0; i < REQ_MAX_PARAMS; i++)
        free(r->params[i]);
    free(r->path);
    free(r->body);
    http_reply_clear(r);
    free(r->location);
    for (int i = 0; i < r->nheaders; i++)
        free(r->header_values[i]);
    snapshot_drop(r->snap);
    free(r);
}

#ifdef SEAM_FAULTS
/*
 * Fault injection (make faults; store.h, docs/operations.md): a request
 * with "seam-fault-at: N" arms the store so that the N-th LMDB call from
 * its arrival fails. Its answer says "seam-fault: fired" if that call came
 * before the answer, "seam-fault: pending" if not: the store then stays
 * armed (a background thread may meet it) until a request re-arms it
 * ("seam-fault-at: 0" disarms).
 */
static _Atomic(struct req *) fault_req; /* compared, never followed */
static _Atomic unsigned long fault_before;

static void
fault_begin(struct req *r)
{
    const char *v = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "seam-fault-at");
    if (v == NULL)
        return;
    atomic_store(&fault_before, store_fault_count());
    atomic_store(&fault_req, r);
    store_fault_arm(strtol(v, NULL, 10));
}

static void
fault_reply(struct req *r, struct MHD_Response *resp)
{
    struct req *want = r;
    if (!atomic_compare_exchange_strong(&fault_req, &want, NULL))
        return;
    MHD_add_response_header(resp, "seam-fault",
                            store_fault_count() != atomic_load(&fault_before) ? "fired"
                                                                              : "pending");
}
#endif

static enum MHD_Result
send_reply(struct req *r)
{
    struct MHD_Response *resp =
        r->reply_release != NULL
            ? MHD_create_response_from_buffer_with_free_callback_cls(r->reply_len, r->reply,
                                                                     r->reply_release, r->reply_cls)
            : MHD_create_response_from_buffer(r->reply_len, r->reply, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        return MHD_NO;
    r->reply = NULL; /* the response owns it now */
    r->reply_release = NULL;
    MHD_add_response_header(resp, "Content-Type", r->reply_type);
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, "Cache-Control",
                            r->cache_control != NULL ? r->cache_control : "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy", r->page ? WEB_CSP : API_CSP);
    if (r->location)
        MHD_add_response_header(resp, "Location", r->location);
    if (r->retry_after)
        MHD_add_response_header(resp, "Retry-After", "1");
    for (int i = 0; i < r->nheaders; i++)
        MHD_add_response_header(resp, r->header_names[i], r->header_values[i]);
    if (r->srv->replica != NULL) {
        /* how current this node's store is (replica.h): the stream's sequence it holds and,
         * on a standby, how many batches it is behind the stream's last it has seen */
        struct replica_state st;
        char num[24];
        replica_state(r->srv->replica, &st);
        snprintf(num, sizeof(num), "%llu", (unsigned long long)st.applied);
        MHD_add_response_header(resp, "Seam-Replica-Seq", num);
        if (!st.leads) {
            snprintf(num, sizeof(num), "%llu", (unsigned long long)(st.last - st.applied));
            MHD_add_response_header(resp, "Seam-Replica-Lag", num);
        }
    }
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"seam\"");
#ifdef SEAM_FAULTS
    fault_reply(r, resp);
#endif
    if (r->status == 405 && r->ep == NULL) {
        char allow[64] = "";
        for (size_t i = 0; i < n_endpoints; i++) {
            char *tmp[REQ_MAX_PARAMS] = {0};
            if (path_match(endpoints[i].path, r->path, tmp)) {
                if (allow[0])
                    strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
                strncat(allow, endpoints[i].method, sizeof(allow) - strlen(allow) - 1);
                for (int k = 0; k < REQ_MAX_PARAMS; k++)
                    free(tmp[k]);
            }
        }
        MHD_add_response_header(resp, "Allow", allow);
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A JSON media type; a JSON Patch (RFC 6902) only where the endpoint is a PATCH. */
static int
media_json(const char *ct, const struct endpoint *ep)
{
    if (ct == NULL)
        return 0;
    static const char *const types[] = {"application/json", "application/merge-patch+json",
                                        "application/json-patch+json"};
    int ntypes = strcmp(ep->method, "PATCH") == 0 ? 3 : 2;
    for (int i = 0; i < ntypes; i++) {
        size_t n = strlen(types[i]);
        if (strncasecmp(ct, types[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';'))
            return 1;
    }
    return 0;
}

/*
 * The request head, checked before anything else (RFC 9112 sections 2.2,
 * 3.2, 5.2 and 6.3): a body's length must be unambiguous, so that no proxy
 * in front of the broker can read a different request boundary than ours
 * (request smuggling). libmicrohttpd 0.9.75 takes the first of several
 * Content-Length fields, prefers any Transfer-Encoding over Content-Length,
 * accepts "Name : value" as a field named "Name " (ignored for framing),
 * and appends an obs-fold continuation line to the field's NAME ("Content:
 * 5" + " -Length" becomes Content-Length: 5). We refuse all of these:
 *  - more than one Content-Length or Transfer-Encoding field, both at once,
 *    or a Transfer-Encoding other than "chunked";
 *  - an HTTP/1.1 request without exactly one Host;
 *  - a field name that is not an RFC 9110 token, or that starts like a
 *    framing field without being one (what a fold leaves);
 *  - a field value with a control character (a bare CR included);
 *  - with the libmicrohttpd whose in-place parsing we checked (0.9.75):
 *    a folded field (its name was moved to a new block, after its value)
 *    and a line ended by a bare LF (CRLF leaves two NULs where a bare LF
 *    leaves one). With another version these two are not detected, and
 *    libmicrohttpd's own handling applies (docs/operations.md).
 */
static int head_layout_checks; /* set in http_start: libmicrohttpd is 0.9.75 */

struct head_scan {
    unsigned ncl, nte, nhost;
    int te_not_chunked;
    const char *bad; /* the first problem found */
    enum api_error bad_code;
    const char *last_end; /* the end of the last field value */
};

static int
tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
head_problem(struct head_scan *h, enum api_error code, const char *what)
{
    if (h->bad == NULL) {
        h->bad = what;
        h->bad_code = code;
    }
}

static enum MHD_Result
head_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size, const char *value,
           size_t value_size)
{
    struct head_scan *h = cls;
    (void)kind;
    if (key_size == 0)
        head_problem(h, E_BAD_HEADER, "a header field without a name");
    for (size_t i = 0; i < key_size; i++)
        if (!tchar((unsigned char)key[i])) {
            head_problem(h, E_BAD_HEADER,
                         "a header field name with a character a name may not hold (a space "
                         "before the colon, or a folded line)");
            break;
        }
    for (size_t i = 0; i < value_size; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            head_problem(h, E_BAD_HEADER, "a header field value with a control character");
            break;
        }
    }
    if (head_layout_checks) {
        if ((uintptr_t)value < (uintptr_t)key)
            head_problem(h, E_BAD_HEADER,
                         "a folded header line (obs-fold); send each field on one line");
        else if (value[value_size] != '\0' || value[value_size + 1] != '\0')
            head_problem(h, E_BAD_HEADER, "a header line ended by a bare LF; end lines with CRLF");
        h->last_end = value + value_size;
    }
    if (key_size == 14 && strncasecmp(key, "Content-Length", 14) == 0) {
        h->ncl++;
    } else if (key_size == 17 && strncasecmp(key, "Transfer-Encoding", 17) == 0) {
        h->nte++;
        if (strcasecmp(value, "chunked") != 0)
            h->te_not_chunked = 1;
    } else if (key_size == 4 && strncasecmp(key, "Host", 4) == 0) {
        h->nhost++;
    } else if ((key_size > 14 && strncasecmp(key, "Content-Length", 14) == 0) ||
               (key_size > 17 && strncasecmp(key, "Transfer-Encoding", 17) == 0)) {
        head_problem(h, E_BAD_FRAMING, "a header field named like a framing field but longer");
    }
    return MHD_YES;
}

/* Replies 400 and returns -1 when the head is malformed or its framing ambiguous. */
static int
head_ok_or_reply(struct req *r, const char *method, const char *version)
{
    struct head_scan h;
    memset(&h, 0, sizeof(h));
    if (head_layout_checks && version[0] != '\0') {
        /* The request line's end: CRLF leaves two NULs after the version. */
        size_t n = strlen(version);
        if (version[n + 1] != '\0')
            head_problem(&h, E_BAD_HEADER,
                         "the request line is ended by a bare LF; end lines with CRLF");
        h.last_end = version + n;
    }
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, head_field, &h);
    /* The last line and the empty one: CRLF CRLF is four bytes up to the head's end. */
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (head_layout_checks && h.last_end != NULL && hs != NULL &&
        h.last_end + 4 != method + hs->header_size)
        head_problem(&h, E_BAD_HEADER, "the request head is ended by a bare LF; use CRLF");
    if (h.ncl > 1)
        head_problem(&h, E_BAD_FRAMING, "more than one Content-Length");
    if (h.nte > 1)
        head_problem(&h, E_BAD_FRAMING, "more than one Transfer-Encoding");
    if (h.ncl > 0 && h.nte > 0)
        head_problem(&h, E_BAD_FRAMING, "both Content-Length and Transfer-Encoding");
    if (h.te_not_chunked)
        head_problem(&h, E_BAD_FRAMING, "a Transfer-Encoding other than chunked");
    if (h.nhost > 1 || (h.nhost == 0 && strcmp(version, MHD_HTTP_VERSION_1_1) == 0))
        head_problem(&h, E_BAD_HEADER, "an HTTP/1.1 request needs exactly one Host field");
    if (h.bad == NULL)
        return 0;
    log_info("req=%s refused a malformed request head: %s", r->id, h.bad);
    http_error(r, h.bad_code, h.bad, NULL);
    /* What follows on the connection cannot be trusted to start a request. */
    http_header(r, "Connection", "close");
    return -1;
}

/* An address as 16 bytes (IPv4 as ::ffff:A.B.C.D); 0, or -1 if it is neither family. */
static int
addr16(const struct sockaddr *sa, uint8_t out[16])
{
    memset(out, 0, 16);
    if (sa != NULL && sa->sa_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa != NULL && sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}

/* The text of an address of 16 bytes: an IPv4 one (mapped) as A.B.C.D. */
static void
addr16_text(const uint8_t a[16], char *out, size_t cap)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a, mapped, 12) == 0)
        inet_ntop(AF_INET, a + 12, out, (socklen_t)cap);
    else
        inet_ntop(AF_INET6, a, out, (socklen_t)cap);
}

/* One entry of X-Forwarded-For ("A.B.C.D", "::1", "[::1]:port" or "A.B.C.D:port"). */
static int
xff_entry(const char *s, size_t n, uint8_t out[16])
{
    char text[INET6_ADDRSTRLEN + 8];
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof(text))
        return -1;
    memcpy(text, s, n);
    text[n] = '\0';
    char *t = text;
    if (t[0] == '[') {
        char *close = strchr(t, ']');
        if (close == NULL)
            return -1;
        *close = '\0';
        t++;
    } else if (strchr(t, ':') == strrchr(t, ':') && strchr(t, ':') != NULL) {
        *strchr(t, ':') = '\0'; /* A.B.C.D:port */
    }
    memset(out, 0, 16);
    struct in_addr a4;
    if (inet_pton(AF_INET, t, &a4) == 1) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, t, out) == 1 ? 0 : -1;
}

/*
 * The client's address (r->client): the peer's; when the peer is a trusted proxy
 * ($.trusted_proxies), X-Forwarded-For read from its right end, each trusted proxy
 * skipped, the first other address taken. A malformed entry stops the walk at the last
 * address known good (a client cannot pose as another behind a trusted proxy).
 */
static void
client_address(struct req *r)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    uint8_t a[16];
    snprintf(r->client, sizeof(r->client), "-");
    if (ci == NULL || addr16(ci->client_addr, a) != 0)
        return;
    const struct config *cfg = r->cfg;
    const char *xff = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For");
    if (xff != NULL && cfg->ntrusted_proxies > 0 &&
        config_net6_has(cfg->trusted_proxies, cfg->ntrusted_proxies, a)) {
        size_t end = strlen(xff);
        while (end > 0) {
            size_t start = end;
            while (start > 0 && xff[start - 1] != ',')
                start--;
            uint8_t e[16];
            if (xff_entry(xff + start, end - start, e) != 0)
                break;
            memcpy(a, e, 16);
            if (!config_net6_has(cfg->trusted_proxies, cfg->ntrusted_proxies, a))
                break;
            end = start > 0 ? start - 1 : 0;
        }
    }
    addr16_text(a, r->client, sizeof(r->client));
}

/*
 * Who asks: a bearer token (auth.h), or else a session cookie (users.h).
 * A token issued to a user, and a session, work while the user is active.
 * A session's request that may change something (any method but GET and
 * HEAD) must echo the session's CSRF token in X-CSRF-Token and come from
 * this origin (Origin: the scheme and Host the request was sent to). 0, or
 * -1 after replying.
 */
static int
authenticate_or_reply(struct req *r)
{
    struct store_txn *t;
    struct session_info info = {.stale = 0};
    const struct config *cfg = r->cfg;
    const char *authz =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *sid = authz == NULL
                          ? MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE)
                          : NULL;
    enum seam_err rc = store_read_begin(r->srv->store, &t);
    if (rc != SEAM_OK) {
        http_error_from(r, rc, "auth read");
        return -1;
    }
    if (sid != NULL) {
        rc = users_session_check(t, sid, (int64_t)cfg->session_idle_s * 1000,
                                 (int64_t)cfg->session_absolute_s * 1000, &r->who, &info);
    } else {
        rc = auth_check(t, authz, &r->who);
        if (rc == SEAM_OK && r->who.user[0] != '\0')
            rc = users_principal_check(t, &r->who);
    }
    store_read_end(t);
    if (rc == SEAM_ENOTFOUND) {
        http_error(r, E_UNAUTHORIZED, NULL, NULL);
        return -1;
    }
    if (rc != SEAM_OK) { /* the store failed: no reason to doubt the credential */
        http_error_from(r, rc, "auth read");
        return -1;
    }
    if (r->who.role == ROLE_PARTNER && config_partner_find(cfg, r->who.subject) == NULL) {
        /* A partner the configuration no longer has (it left the federation): its tokens and
         * sessions end with it, as the configuration's rules for it (customer_data, its
         * signing key) did. */
        log_info("req=%s refused: partner %s is not in the configuration", r->id, r->who.subject);
        http_error(r, E_UNAUTHORIZED, "this partner is not in the federation's configuration",
                   NULL);
        return -1;
    }
    r->authed = 1;
    if ((r->ep->roles & r->who.role) == 0) {
        http_error(r, E_NOT_FOUND, "no such resource for this principal", NULL);
        return -1;
    }
    if (r->who.session && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        const char *csrf = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
        if (csrf == NULL || strlen(csrf) != 64 || sodium_memcmp(csrf, info.csrf, 64) != 0) {
            log_info("req=%s user=%s refused: no or wrong X-CSRF-Token", r->id, r->who.user);
            http_error(r, E_CSRF, NULL, "X-CSRF-Token");
            return -1;
        }
        if (http_origin_ok(r, 1) != 0) {
            log_info("req=%s user=%s refused: Origin missing or not this site's", r->id,
                     r->who.user);
            http_error(r, E_CSRF, NULL, "Origin");
            return -1;
        }
    }
    if (info.stale)
        users_session_touch_submit(r->srv->store, info.key);
    return 0;
}

int
http_origin_ok(struct req *r, int required)
{
    const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (origin == NULL)
        return required ? -1 : 0;
    if (host == NULL)
        return -1;
    const char *rest = strncmp(origin, "https://", 8) == 0  ? origin + 8
                       : strncmp(origin, "http://", 7) == 0 ? origin + 7
                                                            : NULL;
    return rest != NULL && strcasecmp(rest, host) == 0 ? 0 : -1;
}

int
http_client_address(struct req *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s", r->client[0] != '\0' ? r->client : "-");
    return strcmp(out, "-") == 0 ? -1 : 0;
}

/* First call: route, authenticate, check media type and declared length. */
static enum MHD_Result
query_append(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    struct mtext *m = cls;
    (void)kind;
    const char *parts[2] = {key, value};
    mt_add(m, "%s", m->len == 0 ? "?" : "&");
    for (int i = 0; i < 2 && parts[i] != NULL; i++) {
        if (i == 1)
            mt_add(m, "=");
        for (const unsigned char *c = (const unsigned char *)parts[i]; *c; c++) {
            if (isalnum(*c) || strchr("-._~", *c) != NULL)
                mt_add(m, "%c", *c);
            else
                mt_add(m, "%%%02X", *c);
        }
    }
    return MHD_YES;
}

/*
 * A standby ($.replication, a node that does not lead) serves reads; any other
 * method is sent to the leader: 307 to the leader's address (the method and
 * the body stay), or 503 not_leader naming it while its address is not known.
 * 1 if it answered.
 */
static int
standby_or_reply(struct req *r, const char *method, const char *url)
{
    struct replica_state st;
    if (r->srv->replica == NULL || replica_leads(r->srv->replica) || strcmp(method, "GET") == 0 ||
        strcmp(method, "HEAD") == 0)
        return 0;
    replica_state(r->srv->replica, &st);
    if (st.leader_url[0] == '\0') {
        char *msg = xasprintf("this node does not take writes; the leader is node %s, whose "
                              "address is not known yet",
                              st.leader);
        http_error(r, E_NOT_LEADER, msg, NULL);
        free(msg);
        return 1;
    }
    struct mtext q = {0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_append, &q);
    size_t n = strlen(st.leader_url);
    while (n > 0 && st.leader_url[n - 1] == '/')
        n--;
    r->location = xasprintf("%.*s%s%s", (int)n, st.leader_url, url, q.s ? q.s : "");
    free(q.s);
    http_reply(r, 307, json_pack("{s:s, s:s}", "leader", st.leader, "location", r->location));
    return 1;
}

static void
req_begin(struct req *r, const char *method, const char *url, const char *version)
{
    int path_known = 0;
    client_address(r);
    if (head_ok_or_reply(r, method, version) != 0)
        return;
    if (standby_or_reply(r, method, url))
        return;
    for (size_t i = 0; i < n_endpoints; i++) {
        char *params[REQ_MAX_PARAMS] = {0};
        if ((endpoints[i].flags & EP_TEST) && !clock_is_fake())
            continue;
        if (!path_match(endpoints[i].path, url, params))
            continue;
        path_known = 1;
        if (strcmp(endpoints[i].method, method) != 0) {
            for (int k = 0; k < REQ_MAX_PARAMS; k++)
                free(params[k]);
            continue;
        }
        r->ep = &endpoints[i];
        r->ep_index = i;
        memcpy(r->params, params, sizeof(params));
        break;
    }
    if (r->ep == NULL) {
        if (path_known)
            http_error(r, E_METHOD, NULL, NULL);
        else if (r->srv->fallback == NULL || !r->srv->fallback(r, method, url))
            http_error(r, E_NOT_FOUND, "no such endpoint", NULL);
        return;
    }
    if (r->ep->roles != ROLE_PUBLIC && authenticate_or_reply(r) != 0)
        return;
    if (r->ep->flags & EP_BODY) {
        const char *ct =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        /* A declared type that is not JSON is refused before the body is read;
         * an undeclared one only if a body comes. */
        if (ct != NULL && !media_json(ct, r->ep)) {
            http_error(r, E_MEDIA_TYPE, NULL, NULL);
            return;
        }
        r->body_json = ct != NULL;
        r->body_max = r->ep->max_body ? r->ep->max_body : r->cfg->max_body;
        const char *cl =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > r->body_max) {
            http_error(r, E_TOO_LARGE, NULL, NULL);
            return;
        }
    } else if (r->ep->flags & EP_RAW) {
        r->body_max = r->cfg->max_attachment_bytes;
        const char *cl =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > r->body_max) {
            http_error(r, E_TOO_LARGE, "larger than limits.max_attachment_bytes allows", NULL);
            return;
        }
    } else {
        r->body_max = 0;
    }
}

/*
 * The request deadlines. libmicrohttpd's connection timeout only closes idle
 * connections, so a client that sends one byte a second would hold its
 * connection for ever. Every connection is watched from its first byte (and
 * again after each answer) until its request has fully arrived: one whose
 * request head (the request line and the header fields) has not arrived
 * within header_timeout_s, or whose whole request has not within
 * connection_timeout_s, is shut down. A request that has fully arrived is
 * busy until answered, so a long-poll's waiting is never cut. The watchdog
 * only calls shutdown(2): libmicrohttpd sees the end of the stream and
 * closes the connection itself, and it tells us (NOTIFY_CLOSED, under
 * cw_mu) before it closes the descriptor, so we never touch a reused one.
 *
 * Connections per client address are counted here too (limits.
 * max_connections_per_ip): libmicrohttpd's own per-address limit refuses
 * before any callback of ours, so its refusals could not be counted. The
 * accept policy callback runs on the worker thread that accepted, and
 * libmicrohttpd then calls NOTIFY_STARTED on that same thread; the slot the
 * callback counted is handed over through a thread-local. If the connection
 * fails after the callback (out of memory), no NOTIFY_STARTED comes: the
 * next callback on that thread finds the slot still pending and releases it.
 */
struct ip_slot {
    struct ip_slot *next;
    int family;
    unsigned char addr[16];
    unsigned count; /* open connections from this address */
};

#define IP_BUCKETS 1024
static pthread_mutex_t ip_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ip_slot *ip_table[IP_BUCKETS];
static _Thread_local struct ip_slot *ip_pending;

static void
ip_release(struct ip_slot *slot)
{
    if (slot == NULL)
        return;
    pthread_mutex_lock(&ip_mu);
    if (--slot->count == 0) {
        uint32_t hsh = 2166136261u;
        for (int i = 0; i < 16; i++)
            hsh = (hsh ^ slot->addr[i]) * 16777619u;
        struct ip_slot **pp = &ip_table[hsh % IP_BUCKETS];
        while (*pp != slot)
            pp = &(*pp)->next;
        *pp = slot->next;
        free(slot);
    }
    pthread_mutex_unlock(&ip_mu);
}

static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    const struct server *srv = cls;
    unsigned limit = srv->cfg->max_connections_per_ip;
    unsigned char key[16] = {0};
    if (ip_pending != NULL) { /* the last accept on this thread failed after us */
        ip_release(ip_pending);
        ip_pending = NULL;
    }
    if (limit == 0 || addr == NULL)
        return MHD_YES;
    if (addr->sa_family == AF_INET && addrlen >= sizeof(struct sockaddr_in))
        memcpy(key, &((const struct sockaddr_in *)addr)->sin_addr, 4);
    else if (addr->sa_family == AF_INET6 && addrlen >= sizeof(struct sockaddr_in6))
        memcpy(key, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
    else
        return MHD_YES;
    uint32_t hsh = 2166136261u;
    for (int i = 0; i < 16; i++)
        hsh = (hsh ^ key[i]) * 16777619u;
    pthread_mutex_lock(&ip_mu);
    struct ip_slot *slot = ip_table[hsh % IP_BUCKETS];
    while (slot && (slot->family != addr->sa_family || memcmp(slot->addr, key, 16) != 0))
        slot = slot->next;
    if (slot != NULL && slot->count >= limit) {
        pthread_mutex_unlock(&ip_mu);
        uint64_t n = atomic_fetch_add(&m_refused_per_ip, 1) + 1;
        if ((n & (n - 1)) == 0) { /* the 1st, 2nd, 4th, 8th... refusal: the log stays small */
            char text[INET6_ADDRSTRLEN] = "?";
            inet_ntop(addr->sa_family, key, text, sizeof(text));
            log_warnx("http: refused a connection from %s, which has %u open "
                      "(limits.max_connections_per_ip); %llu refused so far",
                      text, limit, (unsigned long long)n);
        }
        return MHD_NO;
    }
    if (slot == NULL) {
        slot = xcalloc(1, sizeof(*slot));
        slot->family = addr->sa_family;
        memcpy(slot->addr, key, 16);
        slot->next = ip_table[hsh % IP_BUCKETS];
        ip_table[hsh % IP_BUCKETS] = slot;
    }
    slot->count++;
    pthread_mutex_unlock(&ip_mu);
    ip_pending = slot;
    return MHD_YES;
}

struct conn_watch {
    int fd;
    int cut;
    struct ip_slot *ip;       /* the per-address count this connection holds */
    _Atomic int64_t since_ms; /* when the current request could first begin */
    _Atomic int line;         /* the current request's first line has arrived */
    _Atomic int head;         /* the current request's head has arrived */
    _Atomic unsigned served;  /* requests answered on this connection */
    _Atomic int busy;         /* a request has fully arrived and is being answered */
    struct conn_watch *prev, *next;
};

static pthread_mutex_t cw_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn_watch *cw_head;

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn_watch *w = xcalloc(1, sizeof(*w));
        w->fd = ci ? ci->connect_fd : -1;
        w->ip = ip_pending;
        ip_pending = NULL;
        atomic_store(&w->since_ms, mono_us() / 1000);
        pthread_mutex_lock(&cw_mu);
        w->next = cw_head;
        if (cw_head)
            cw_head->prev = w;
        cw_head = w;
        pthread_mutex_unlock(&cw_mu);
        *socket_context = w;
        return;
    }
    struct conn_watch *w = *socket_context;
    if (w == NULL)
        return;
    pthread_mutex_lock(&cw_mu);
    if (w->prev)
        w->prev->next = w->next;
    else
        cw_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    pthread_mutex_unlock(&cw_mu);
    ip_release(w->ip);
    free(w);
    *socket_context = NULL;
}

static struct conn_watch *
conn_watch_get(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* busy 0: a new request may begin (its deadlines start now); 1: one has fully arrived. */
static void
conn_watch_set(struct MHD_Connection *conn, int busy)
{
    struct conn_watch *w = conn_watch_get(conn);
    if (w == NULL)
        return;
    if (!busy) {
        atomic_store(&w->since_ms, mono_us() / 1000);
        atomic_store(&w->line, 0);
        atomic_store(&w->head, 0);
        atomic_fetch_add(&w->served, 1);
    }
    atomic_store(&w->busy, busy);
}

/*
 * The current request's first line has arrived (libmicrohttpd's URI log
 * callback, called before the header fields are read). A kept-alive
 * connection on which no new request has begun is idle, not slow: when the
 * head deadline closes it, it is not counted as a slow client.
 */
static void *
on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)uri;
    struct conn_watch *w = conn_watch_get(conn);
    if (w != NULL)
        atomic_store(&w->line, 1);
    return NULL; /* the request's context stays NULL until on_request makes it */
}

/* The current request's head has arrived (libmicrohttpd's first call). */
static void
conn_watch_head(struct MHD_Connection *conn)
{
    struct conn_watch *w = conn_watch_get(conn);
    if (w != NULL)
        atomic_store(&w->head, 1);
}

static void *
watchdog_main(void *arg)
{
    struct server *srv = arg;
    unsigned head_s = srv->cfg->header_timeout_s < srv->cfg->connection_timeout_s
                          ? srv->cfg->header_timeout_s
                          : srv->cfg->connection_timeout_s;
    int64_t limit = (int64_t)srv->cfg->connection_timeout_s * 1000;
    int64_t head_limit = (int64_t)head_s * 1000;
    while (!atomic_load(&srv->http->watchdog_stop)) {
        usleep(200 * 1000);
        int64_t now = mono_us() / 1000;
        pthread_mutex_lock(&cw_mu);
        for (struct conn_watch *w = cw_head; w; w = w->next) {
            if (w->cut || w->fd < 0 || atomic_load(&w->busy))
                continue;
            int64_t age = now - atomic_load(&w->since_ms);
            int headless = !atomic_load(&w->head);
            if (age <= limit && !(headless && age > head_limit))
                continue;
            shutdown(w->fd, SHUT_RDWR);
            w->cut = 1;
            if (headless && !atomic_load(&w->line) && atomic_load(&w->served) > 0) {
                log_debug("http: closed a kept-alive connection idle for %us", head_s);
                continue;
            }
            atomic_fetch_add(&m_dropped_slow, 1);
            if (headless && age <= limit) {
                atomic_fetch_add(&m_dropped_slow_head, 1);
                log_info("http: dropped a connection that sent no complete request head in %us",
                         head_s);
            } else {
                log_info("http: dropped a connection that sent no complete request in %us",
                         srv->cfg->connection_timeout_s);
            }
        }
        pthread_mutex_unlock(&cw_mu);
    }
    return NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct server *srv = cls;
    struct req *r = *con_cls;

    if (r == NULL) {
        r = xcalloc(1, sizeof(*r));
        r->srv = srv;
        r->snap = snapshot_hold();
        r->cfg = r->snap->cfg;
        r->sla = r->snap->sla;
        r->conn = conn;
        r->start_us = mono_us();
        snprintf(r->id, sizeof(r->id), "r%012llx",
                 (unsigned long long)atomic_fetch_add(&m_req_seq, 1));
        snprintf(r->method, sizeof(r->method), "%s", method);
        r->path = xstrdup(url);
        *con_cls = r;
        conn_watch_head(conn);
#ifdef SEAM_FAULTS
        fault_begin(r);
#endif
        req_begin(r, method, url, version);
        if (r->replied) {
            conn_watch_set(conn, 1);
            return send_reply(r);
        }
        return MHD_YES;
    }
    if (r->suspended) {
        /* Resumed: the done callback set the answer, or left finish to make it here. */
        r->suspended = 0;
        if (r->finish != NULL) {
            void (*finish)(struct req *) = r->finish;
            r->finish = NULL;
            finish(r);
        }
        return send_reply(r);
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->body_too_big || r->body_len + n > r->body_max) {
            r->body_too_big = 1; /* drain, answer 413 at the end */
            return MHD_YES;
        }
        r->body = xrealloc(r->body, r->body_len + n + 1);
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        r->body[r->body_len] = '\0';
        return MHD_YES;
    }
    conn_watch_set(conn, 1); /* the whole request has arrived */
    if (r->body_too_big) {
        http_error(r, E_TOO_LARGE, NULL, NULL);
        return send_reply(r);
    }
    r->ep->handler(r);
    if (!r->suspended && r->replied)
        return send_reply(r);
    return MHD_YES;
}

/*
 * A segment that looks like a secret: a seam token ("seam_..."), or 32 or
 * more characters of base64url, base64 or hex (another system's token, a
 * key). Ids of tickets and assignments are 21 characters and stay readable.
 */
static int
segment_secret(const char *s, size_t n)
{
    if (n >= 5 && strncmp(s, "seam_", 5) == 0)
        return 1;
    if (n < 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '+' || c == '=' || c == '.' || c == '~'))
            return 0;
    }
    return 1;
}

/* The path as logged: printable ASCII only, segments that look like secrets masked. */
static void
log_path(const char *p, char *out, size_t cap)
{
    size_t o = 0;
    while (*p && o + 1 < cap) {
        if (*p == '/') {
            out[o++] = *p++;
            continue;
        }
        size_t n = strcspn(p, "/");
        if (segment_secret(p, n)) {
            const char *mask = "[masked]";
            for (size_t k = 0; mask[k] && o + 1 < cap; k++)
                out[o++] = mask[k];
        } else {
            for (size_t k = 0; k < n && o + 1 < cap; k++)
                out[o++] = (p[k] > ' ' && p[k] < 0x7f) ? p[k] : '?';
        }
        p += n;
    }
    out[o] = '\0';
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;
    char path[160];
    (void)cls;
    conn_watch_set(conn, 0);
    if (r == NULL)
        return;
    if (r->status == 0)
        r->status = 499; /* the client went away first */
    count_request(r);
    log_path(r->path, path, sizeof(path));
    log_access("req=%s client=%s method=%s path=%s status=%d us=%lld who=%s:%s%s%s", r->id,
               r->client[0] ? r->client : "-", r->method, path, r->status,
               (long long)(mono_us() - r->start_us), r->authed ? auth_role_name(r->who.role) : "-",
               r->authed && r->who.user[0] ? r->who.user
               : r->authed                 ? r->who.subject
                                           : "-",
               r->authed && r->who.session ? " session=1" : "",
               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    req_free(r);
    *con_cls = NULL;
}

/* ---- TLS ---- */

/* A configuration's certificate chain and key, as the handshake takes them. */
struct tls_creds {
    gnutls_pcert_st *pcert;
    unsigned npcert;
    gnutls_privkey_t key;
    struct tls_creds *next; /* the retired list */
};

/*
 * Credentials are never freed while the daemon runs: a session's handshake
 * keeps pointing at the ones the callback gave it, and the callback cannot
 * tell which session ends when. Those of a replaced configuration go on the
 * retired list (one certificate per reload), freed by http_stop.
 */
static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tls_creds *tls_retired;
static _Atomic unsigned long m_tls_handshakes_without_creds;

static void
tls_creds_free(struct tls_creds *c)
{
    if (c == NULL)
        return;
    for (unsigned i = 0; i < c->npcert; i++)
        gnutls_pcert_deinit(&c->pcert[i]);
    free(c->pcert);
    if (c->key != NULL)
        gnutls_privkey_deinit(c->key);
    free(c);
}

static void
tls_creds_retire(void *p)
{
    struct tls_creds *c = p;
    if (c == NULL)
        return;
    pthread_mutex_lock(&tls_mu);
    c->next = tls_retired;
    tls_retired = c;
    pthread_mutex_unlock(&tls_mu);
}

enum seam_err
http_tls_load(const struct config *cfg, void **out, void (**out_free)(void *), char **why)
{
    gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0};
    gnutls_x509_crt_t *crts = NULL;
    unsigned ncrts = 0;
    gnutls_certificate_credentials_t check = NULL;
    struct tls_creds *c = NULL;
    enum seam_err rc = SEAM_EINVAL;
    int e;

    *out = NULL;
    *out_free = NULL;
    if (cfg->tls_cert == NULL)
        return SEAM_OK;
    if ((e = gnutls_load_file(cfg->tls_cert, &cert)) < 0) {
        *why = xasprintf("$.tls.cert: cannot read %s: %s", cfg->tls_cert, gnutls_strerror(e));
        goto out;
    }
    if ((e = gnutls_load_file(cfg->tls_key, &key)) < 0) {
        *why = xasprintf("$.tls.key: cannot read %s: %s", cfg->tls_key, gnutls_strerror(e));
        goto out;
    }
    /* The key must be the certificate's: GnuTLS checks the pair as it takes it. */
    if (gnutls_certificate_allocate_credentials(&check) < 0)
        fatalx("tls: out of memory");
    if ((e = gnutls_certificate_set_x509_key_mem2(check, &cert, &key, GNUTLS_X509_FMT_PEM, NULL,
                                                  0)) < 0) {
        *why = xasprintf("$.tls: %s and %s are not a PEM certificate chain and its key: %s",
                         cfg->tls_cert, cfg->tls_key, gnutls_strerror(e));
        goto out;
    }
    if ((e = gnutls_x509_crt_list_import2(&crts, &ncrts, &cert, GNUTLS_X509_FMT_PEM, 0)) < 0 ||
        ncrts == 0) {
        *why = xasprintf("$.tls.cert: %s: %s", cfg->tls_cert,
                         e < 0 ? gnutls_strerror(e) : "no certificate");
        goto out;
    }
    c = xcalloc(1, sizeof(*c));
    c->pcert = xcalloc(ncrts, sizeof(*c->pcert));
    for (; c->npcert < ncrts; c->npcert++)
        if ((e = gnutls_pcert_import_x509(&c->pcert[c->npcert], crts[c->npcert], 0)) < 0) {
            *why = xasprintf("$.tls.cert: %s: %s", cfg->tls_cert, gnutls_strerror(e));
            goto out;
        }
    if (gnutls_privkey_init(&c->key) < 0)
        fatalx("tls: out of memory");
    if ((e = gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        *why = xasprintf("$.tls.key: %s: %s", cfg->tls_key, gnutls_strerror(e));
        goto out;
    }
    log_info("tls: certificate %s (%u in its chain) and key %s loaded", cfg->tls_cert, ncrts,
             cfg->tls_key);
    *out = c;
    *out_free = tls_creds_retire;
    c = NULL;
    rc = SEAM_OK;
out:
    tls_creds_free(c);
    for (unsigned i = 0; i < ncrts; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    if (check != NULL)
        gnutls_certificate_free_credentials(check);
    if (key.data != NULL) {
        sodium_memzero(key.data, key.size);
        gnutls_free(key.data);
    }
    gnutls_free(cert.data);
    return rc;
}

/* Each handshake: the credentials of the configuration in force. */
static int
tls_cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int nreqs,
                  const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                  gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)session;
    (void)req_ca_dn;
    (void)nreqs;
    (void)pk_algos;
    (void)pk_algos_length;
    struct snapshot *s = snapshot_hold();
    const struct tls_creds *c = s != NULL ? s->extra : NULL;
    snapshot_drop(s); /* c stays: credentials are retired, never freed, while serving */
    if (c == NULL) {
        atomic_fetch_add(&m_tls_handshakes_without_creds, 1);
        return -1;
    }
    *pcert = c->pcert;
    *pcert_length = c->npcert;
    *privkey = c->key;
    return 0;
}

/* TLS 1.2 and 1.3 only, GnuTLS's normal ciphers otherwise. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_warnx("http: %s", msg);
}

enum seam_err
http_start(struct server *srv)
{
    const struct config *cfg = srv->cfg;
    struct sockaddr_storage ss;
    const char *host = strcmp(cfg->listen_host, "localhost") == 0 ? "127.0.0.1" : cfg->listen_host;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    memset(&ss, 0, sizeof(ss));
    if (strchr(host, ':') != NULL) { /* IPv6; "::" takes IPv4 too (dual stack) */
        struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)&ss;
        sa6->sin6_family = AF_INET6;
        sa6->sin6_port = htons(cfg->listen_port);
        if (inet_pton(AF_INET6, host, &sa6->sin6_addr) != 1) {
            log_warnx("http: listen address %s is not an IPv6 address", cfg->listen_host);
            return SEAM_EINVAL;
        }
        flags |= IN6_IS_ADDR_UNSPECIFIED(&sa6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    } else {
        struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
        sa->sin_family = AF_INET;
        sa->sin_port = htons(cfg->listen_port);
        if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
            log_warnx("http: listen address %s is not an IPv4 address", cfg->listen_host);
            return SEAM_EINVAL;
        }
    }
    head_layout_checks = strcmp(MHD_get_version(), "0.9.75") == 0;
    if (!head_layout_checks)
        log_info("http: libmicrohttpd %s: folded header lines and bare LF line ends are left "
                 "to it (the checks of them are made for 0.9.75)",
                 MHD_get_version());
    /* TLS: the certificate of the configuration in force, at each handshake. */
    struct MHD_OptionItem tls[] = {{MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)tls_cert_callback},
                                   {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
                                   {MHD_OPTION_END, 0, NULL}};
    if (cfg->tls_cert != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            log_warnx("http: $.tls is set but libmicrohttpd %s was built without TLS",
                      MHD_get_version());
            return SEAM_EINVAL;
        }
        flags |= MHD_USE_TLS;
    } else {
        tls[0].option = MHD_OPTION_END;
    }
    struct http *h = xcalloc(1, sizeof(*h));
    h->mhd = MHD_start_daemon(
        flags, cfg->listen_port, on_accept, srv, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
        cfg->threads, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, on_request_line, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (h->mhd == NULL) {
        log_warnx("http: cannot listen on %s:%u", cfg->listen_host, cfg->listen_port);
        free(h);
        return SEAM_EIO;
    }
    srv->tls = cfg->tls_cert != NULL;
    atomic_store(&h->watchdog_stop, 0);
    srv->http = h;
    if (pthread_create(&h->watchdog, NULL, watchdog_main, srv) != 0) {
        MHD_stop_daemon(h->mhd);
        srv->http = NULL;
        free(h);
        return SEAM_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    log_info("listening on %s%s%s:%u threads=%u%s", strchr(host, ':') ? "[" : "", cfg->listen_host,
             strchr(host, ':') ? "]" : "", info ? info->port : cfg->listen_port, cfg->threads,
             srv->tls ? " tls=on (TLS 1.2 and 1.3)" : "");
    return SEAM_OK;
}

unsigned
http_port(struct server *srv)
{
    const union MHD_DaemonInfo *info =
        srv->http ? MHD_get_daemon_info(srv->http->mhd, MHD_DAEMON_INFO_BIND_PORT) : NULL;
    return info ? info->port : srv->cfg->listen_port;
}

void
http_quiesce(struct server *srv)
{
    if (srv->http != NULL)
        MHD_quiesce_daemon(srv->http->mhd);
}

void
http_stop(struct server *srv)
{
    struct http *h = srv->http;
    if (h != NULL) {
        atomic_store(&h->watchdog_stop, 1);
        pthread_join(h->watchdog, NULL);
        MHD_stop_daemon(h->mhd);
        free(h);
    }
    srv->http = NULL;
    pthread_mutex_lock(&tls_mu);
    while (tls_retired != NULL) {
        struct tls_creds *c = tls_retired;
        tls_retired = c->next;
        tls_creds_free(c);
    }
    pthread_mutex_unlock(&tls_mu);
}
