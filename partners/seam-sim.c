/*
 * seam-sim: a partner's webhook receiver, for tests and benchmarks. It
 * listens on a loopback port, checks every Standard Webhooks delivery
 * (webhook-id, webhook-timestamp, webhook-signature "v1a,<base64>": Ed25519
 * of "id.timestamp.body" by the broker's key), and writes one JSON line per
 * request it receives. It can fail its first N requests, or answer every
 * request with a fixed status, to exercise the broker's retries.
 *
 * Like a real receiver it processes a message once: a verified delivery
 * whose webhook-id it has processed already (answered 2xx) within the
 * last DEDUP_MS is acknowledged with 200 and logged with "duplicate":true,
 * and nothing else happens (it takes none of the -f failures either).
 *
 *   seam-sim -l 127.0.0.1:0 -k BROKER_PUBKEY -o LOG [-f N] [-s STATUS] [-r SECONDS]
 *
 * It prints "listening on ADDR:PORT" on stderr when it is ready.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "common.h"
#include "json_fast.h"
#include "seam/evidence.h"

static uint8_t broker_pk[32];
static FILE *log_out;
static long fail_first, fixed_status, retry_after = -1;
static long received;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/*
 * The webhook-ids processed, for de-duplication: a hash table, and a list
 * in arrival order from which ids older than DEDUP_MS go (the timestamp
 * check refuses such a delivery anyway). Guarded by mu.
 */
#define DEDUP_MS (2 * 300 * 1000)
#define SEEN_BUCKETS 4096

struct seen {
    struct seen *next;  /* in its bucket */
    struct seen *later; /* in arrival order */
    int64_t at;
    char id[];
};
static struct seen *seen_bucket[SEEN_BUCKETS], *seen_oldest, *seen_newest;

static unsigned
seen_hash(const char *id)
{
    unsigned h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % SEEN_BUCKETS;
}

static int
seen_has(const char *id)
{
    for (struct seen *s = seen_bucket[seen_hash(id)]; s != NULL; s = s->next)
        if (strcmp(s->id, id) == 0)
            return 1;
    return 0;
}

static void
seen_add(const char *id, int64_t now)
{
    while (seen_oldest != NULL && now - seen_oldest->at > DEDUP_MS) {
        struct seen *old = seen_oldest, **at = &seen_bucket[seen_hash(old->id)];
        while (*at != old)
            at = &(*at)->next;
        *at = old->next;
        seen_oldest = old->later;
        if (seen_oldest == NULL)
            seen_newest = NULL;
        free(old);
    }
    size_t n = strlen(id) + 1;
    struct seen *s = xmalloc(sizeof(*s) + n);
    memcpy(s->id, id, n);
    s->at = now;
    s->later = NULL;
    unsigned h = seen_hash(id);
    s->next = seen_bucket[h];
    seen_bucket[h] = s;
    if (seen_newest != NULL)
        seen_newest->later = s;
    else
        seen_oldest = s;
    seen_newest = s;
}

struct upload {
    char *body;
    size_t len;
};

static int
verify(struct MHD_Connection *c, const char *body, size_t len, const char **why)
{
    const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id");
    const char *ts = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-timestamp");
    const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-signature");
    uint8_t raw[64];
    size_t n;
    if (id == NULL || ts == NULL || sig == NULL) {
        *why = "missing webhook headers";
        return 0;
    }
    long long t = atoll(ts), now = (long long)time(NULL);
    if (t < now - 300 || t > now + 300) { /* no now - t: it overflows for t near LLONG_MIN */
        *why = "timestamp outside tolerance";
        return 0;
    }
    if (strncmp(sig, "v1a,", 4) != 0 || seam_b64_decode(sig + 4, raw, 64, &n) != 0 || n != 64) {
        *why = "malformed signature";
        return 0;
    }
    size_t tl = strlen(id) + strlen(ts) + len + 3;
    char *text = malloc(tl);
    snprintf(text, tl, "%s.%s.", id, ts);
    size_t pre = strlen(text);
    memcpy(text + pre, body, len);
    int ok = crypto_sign_verify_detached(raw, (const uint8_t *)text, pre + len, broker_pk) == 0;
    free(text);
    if (!ok)
        *why = "signature does not verify";
    return ok;
}

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status)
{
    static const char ok[] = "{}";
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)ok, MHD_RESPMEM_PERSISTENT);
    if (retry_after >= 0 && status != 200) {
        char v[32];
        snprintf(v, sizeof(v), "%ld", retry_after);
        MHD_add_response_header(r, "Retry-After", v);
    }
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
           const char *version, const char *data, size_t *size, void **con_cls)
{
    struct upload *u = *con_cls;
    (void)cls;
    (void)version;
    if (u == NULL) {
        *con_cls = calloc(1, sizeof(*u));
        return MHD_YES;
    }
    if (*size > 0) {
        u->body = realloc(u->body, u->len + *size + 1);
        memcpy(u->body + u->len, data, *size);
        u->len += *size;
        u->body[u->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    const char *why = "";
    int verified = strcmp(method, "POST") == 0 && verify(c, u->body ? u->body : "", u->len, &why);
    json_t *body = u->body ? json_load_depth(u->body, u->len, 0, JSON_DEPTH_STORED, NULL) : NULL;
    const char *id = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "webhook-id");
    pthread_mutex_lock(&mu);
    /* Checked and remembered under one lock: two deliveries of one id at
     * once are processed once. */
    int duplicate = verified && id != NULL && seen_has(id);
    long n = duplicate ? received : ++received;
    unsigned status = duplicate         ? 200
                      : fixed_status    ? (unsigned)fixed_status
                      : n <= fail_first ? 503
                                        : 200;
    if (verified && id != NULL && !duplicate && status / 100 == 2)
        seen_add(id, now_ms());
    json_t *line = json_pack(
        "{s:I, s:I, s:s?, s:b, s:b, s:s, s:i, s:s?, s:s?, s:s?, s:s?, s:s?, s:s}", "n",
        (json_int_t)n, "at_ms", (json_int_t)now_ms(), "id", id, "verified", verified, "duplicate",
        duplicate, "why", why, "status", status, "type",
        json_string_value(
            json_object_get(body, json_object_get(body, "type") ? "type" : "eventType")),
        "assignment", json_string_value(json_object_get(json_object_get(body, "data"), "id")),
        "ticket", json_string_value(json_object_get(json_object_get(body, "data"), "ticket")),
        /* a TMF621 hub event: the status of the ticket it carries */
        "tmf_status",
        json_string_value(json_object_get(
            json_object_get(json_object_get(body, "event"), "troubleTicket"), "status")),
        "tmf_ticket",
        json_string_value(json_object_get(
            json_object_get(json_object_get(body, "event"), "troubleTicket"), "id")),
        "path", url);
    /* a TMF621 hub event as it came, for its schema (t_tmf5.sh) */
    if (json_object_get(body, "event") != NULL)
        json_object_set(line, "tmf_event", body);
    char *text = json_dumps(line, JSON_COMPACT);
    fprintf(log_out, "%s\n", text);
    fflush(log_out);
    pthread_mutex_unlock(&mu);
    free(text);
    json_decref(line);
    json_decref(body);
    return answer(c, status);
}

static void
done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct upload *u = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (u) {
        free(u->body);
        free(u);
    }
}

int
main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:0", *key = NULL, *log = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "l:k:o:f:s:r:h")) != -1) {
        switch (opt) {
        case 'l':
            listen = optarg;
            break;
        case 'k':
            key = optarg;
            break;
        case 'o':
            log = optarg;
            break;
        case 'f':
            fail_first = atol(optarg);
            break;
        case 's':
            fixed_status = atol(optarg);
            break;
        case 'r':
            retry_after = atol(optarg);
            break;
        default:
            fprintf(stderr, "usage: seam-sim -l ADDR:PORT -k PUBKEY -o LOG [-f N] [-s STATUS] "
                            "[-r RETRY_AFTER]\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (sodium_init() < 0 || key == NULL || log == NULL || seam_pubkey_parse(key, broker_pk) != 0) {
        fprintf(stderr, "seam-sim: -k PUBKEY and -o LOG are required\n");
        return 2;
    }
    log_out = fopen(log, "a");
    const char *colon = strrchr(listen, ':');
    if (log_out == NULL || colon == NULL)
        return 2;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    char host[64];
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return 2;
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, 2,
        MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "seam-sim: cannot listen on %s\n", listen);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "listening on %s:%u\n", host, info->port);
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    fclose(log_out);
    return 0;
}
