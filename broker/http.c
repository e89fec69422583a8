/*
 * http.c: libmicrohttpd glue (epoll, a thread pool, suspend/resume), the
 * request lifecycle, routing through the endpoint table, bearer-token
 * authentication, body limits and media types, structured JSON answers,
 * request logging and Prometheus metrics. It knows no LMDB and no ticket:
 * handlers (api_*.c) do the work.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http.h"
#include "forward.h"
#include "json_fast.h"
#include "log.h"
#include "scheduler.h"

/* ---- metrics: lock-free counters ---- */

static const int codes[] = {200, 201, 204, 400, 401, 404, 405, 409, 413, 415, 429, 500, 503};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))
#define MAX_ENDPOINTS 64
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static _Atomic uint64_t m_requests[MAX_ENDPOINTS + 1][N_CODES + 1];
static _Atomic uint64_t m_latency[N_BUCKETS + 1];
static _Atomic uint64_t m_latency_sum_us, m_latency_count;
static _Atomic uint64_t m_req_seq;
static _Atomic uint64_t m_dropped_slow; /* connections cut by the request deadline */

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
    EMIT("# HELP seam_uptime_seconds Seconds since the broker started.\n"
         "# TYPE seam_uptime_seconds gauge\nseam_uptime_seconds %lld\n",
         (long long)((now_ms() - srv->started_ms) / 1000));
#undef EMIT
    return out;
}

/* ---- answers ---- */

void
http_reply_raw(struct req *r, int status, const char *type, char *text, size_t len)
{
    free(r->reply);
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

void
http_error(struct req *r, enum api_error e, const char *message, const char *field)
{
    int status = api_error_status(e);
    if (strncmp(r->path, "/tmf-api/", 9) == 0) {
        /* TMF621's Error shape on that face: code, reason, message, status. */
        char st[8];
        snprintf(st, sizeof(st), "%d", status);
        json_t *te = json_pack(
            "{s:s, s:s, s:s, s:s, s:s}", "code", api_error_code(e), "reason", api_error_message(e),
            "message", message ? message : api_error_message(e), "status", st, "@type", "Error");
        if (field)
            json_object_set_new(te, "referenceError", json_string(field));
        if (status == 503)
            r->retry_after = 1;
        http_reply(r, status, te);
        return;
    }
    json_t *err = json_pack("{s:s, s:s}", "code", api_error_code(e), "message",
                            message ? message : api_error_message(e));
    if (field)
        json_object_set_new(err, "field", json_string(field));
    if (status >= 500)
        json_object_set_new(err, "request_id", json_string(r->id));
    if (status == 503)
        r->retry_after = 1;
    http_reply(r, status, json_pack("{s:o}", "error", err));
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
        http_error(r, E_UNAVAILABLE, NULL, NULL);
        return;
    case SEAM_EFULL:
        http_error(r, E_STORAGE_FULL, NULL, NULL);
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

json_t *
http_body_json_optional_or_reply(struct req *r)
{
    if (r->body_len == 0)
        return json_object();
    return http_body_json_or_reply(r);
}

json_t *
http_body_json_or_reply(struct req *r)
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
    unsigned max_depth = r->srv->cfg->max_json_depth;
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
    if (!json_is_object(j)) {
        json_decref(j);
        http_error(r, E_BAD_JSON, "body must be a JSON object", NULL);
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
    free(r->reply);
    free(r->location);
    for (int i = 0; i < r->nheaders; i++)
        free(r->header_values[i]);
    free(r);
}

static enum MHD_Result
send_reply(struct req *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->reply_len, r->reply, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        return MHD_NO;
    r->reply = NULL; /* the response owns it now */
    MHD_add_response_header(resp, "Content-Type", r->reply_type);
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->location)
        MHD_add_response_header(resp, "Location", r->location);
    if (r->retry_after)
        MHD_add_response_header(resp, "Retry-After", "1");
    for (int i = 0; i < r->nheaders; i++)
        MHD_add_response_header(resp, r->header_names[i], r->header_values[i]);
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"seam\"");
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

static int
media_json(const char *ct)
{
    if (ct == NULL)
        return 0;
    static const char *const types[] = {"application/json", "application/merge-patch+json"};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(types[i]);
        if (strncasecmp(ct, types[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';'))
            return 1;
    }
    return 0;
}

/* First call: route, authenticate, check media type and declared length. */
static void
req_begin(struct req *r, const char *method, const char *url)
{
    int path_known = 0;
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
        else
            http_error(r, E_NOT_FOUND, "no such endpoint", NULL);
        return;
    }
    if (r->ep->roles != ROLE_PUBLIC) {
        struct store_txn *t;
        const char *authz =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        enum seam_err rc = store_read_begin(r->srv->store, &t);
        if (rc != SEAM_OK) {
            http_error_from(r, rc, "auth read");
            return;
        }
        rc = auth_check(t, authz, &r->who);
        store_read_end(t);
        if (rc != SEAM_OK) {
            http_error(r, E_UNAUTHORIZED, NULL, NULL);
            return;
        }
        r->authed = 1;
        if ((r->ep->roles & r->who.role) == 0) {
            http_error(r, E_NOT_FOUND, "no such resource for this principal", NULL);
            return;
        }
    }
    if (r->ep->flags & EP_BODY) {
        const char *ct =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        /* A declared type that is not JSON is refused before the body is read;
         * an undeclared one only if a body comes. */
        if (ct != NULL && !media_json(ct)) {
            http_error(r, E_MEDIA_TYPE, NULL, NULL);
            return;
        }
        r->body_json = ct != NULL;
        r->body_max = r->ep->max_body ? r->ep->max_body : r->srv->cfg->max_body;
        const char *cl =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > r->body_max) {
            http_error(r, E_TOO_LARGE, NULL, NULL);
            return;
        }
    } else {
        r->body_max = 0;
    }
}

/*
 * The request deadline. libmicrohttpd's connection timeout only closes idle
 * connections, so a client that sends one byte a second would hold its
 * connection for ever. Every connection is watched from its first byte (and
 * again after each answer) until its request has fully arrived; one that has
 * not delivered a complete request within connection_timeout_s is shut down.
 * The watchdog only calls shutdown(2): libmicrohttpd sees the end of the
 * stream and closes the connection itself, and it tells us (NOTIFY_CLOSED,
 * under cw_mu) before it closes the descriptor, so we never touch a reused
 * one.
 */
struct conn_watch {
    int fd;
    int cut;
    _Atomic int64_t since_ms; /* when the current request could first begin */
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
    free(w);
    *socket_context = NULL;
}

static void
conn_watch_set(struct MHD_Connection *conn, int busy)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_watch *w = ci ? ci->socket_context : NULL;
    if (w == NULL)
        return;
    if (!busy)
        atomic_store(&w->since_ms, mono_us() / 1000);
    atomic_store(&w->busy, busy);
}

static void *
watchdog_main(void *arg)
{
    struct server *srv = arg;
    int64_t limit = (int64_t)srv->cfg->connection_timeout_s * 1000;
    while (!atomic_load(&srv->watchdog_stop)) {
        usleep(200 * 1000);
        int64_t now = mono_us() / 1000;
        pthread_mutex_lock(&cw_mu);
        for (struct conn_watch *w = cw_head; w; w = w->next) {
            if (w->cut || w->fd < 0 || atomic_load(&w->busy) ||
                now - atomic_load(&w->since_ms) <= limit)
                continue;
            shutdown(w->fd, SHUT_RDWR);
            w->cut = 1;
            atomic_fetch_add(&m_dropped_slow, 1);
            log_info("http: dropped a connection that sent no complete request in %us",
                     srv->cfg->connection_timeout_s);
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
    (void)version;

    if (r == NULL) {
        r = xcalloc(1, sizeof(*r));
        r->srv = srv;
        r->conn = conn;
        r->start_us = mono_us();
        snprintf(r->id, sizeof(r->id), "r%012llx",
                 (unsigned long long)atomic_fetch_add(&m_req_seq, 1));
        snprintf(r->method, sizeof(r->method), "%s", method);
        r->path = xstrdup(url);
        *con_cls = r;
        req_begin(r, method, url);
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
    size_t i;
    for (i = 0; r->path[i] && i < sizeof(path) - 1; i++)
        path[i] = (r->path[i] > ' ' && r->path[i] < 0x7f) ? r->path[i] : '?';
    path[i] = '\0';
    log_info("req=%s method=%s path=%s status=%d us=%lld who=%s:%s%s", r->id, r->method, path,
             r->status, (long long)(mono_us() - r->start_us),
             r->authed ? auth_role_name(r->who.role) : "-", r->authed ? r->who.subject : "-",
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    req_free(r);
    *con_cls = NULL;
}

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
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(cfg->listen_port);
    if (inet_pton(AF_INET,
                  strcmp(cfg->listen_host, "localhost") == 0 ? "127.0.0.1" : cfg->listen_host,
                  &sa.sin_addr) != 1) {
        log_warnx("http: listen address %s is not an IPv4 address", cfg->listen_host);
        return SEAM_EINVAL;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    srv->mhd = MHD_start_daemon(
        flags, cfg->listen_port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        cfg->threads, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, 0, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)16 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
        MHD_OPTION_END);
    if (srv->mhd == NULL) {
        log_warnx("http: cannot listen on %s:%u", cfg->listen_host, cfg->listen_port);
        return SEAM_EIO;
    }
    atomic_store(&srv->watchdog_stop, 0);
    if (pthread_create(&srv->watchdog, NULL, watchdog_main, srv) != 0) {
        MHD_stop_daemon(srv->mhd);
        srv->mhd = NULL;
        return SEAM_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    log_info("listening on %s:%u threads=%u", cfg->listen_host,
             info ? info->port : cfg->listen_port, cfg->threads);
    return SEAM_OK;
}

void
http_stop(struct server *srv)
{
    if (srv->mhd) {
        atomic_store(&srv->watchdog_stop, 1);
        pthread_join(srv->watchdog, NULL);
        MHD_stop_daemon(srv->mhd);
    }
    srv->mhd = NULL;
}
