/*
 * http.h: the HTTP face of the broker on libmicrohttpd, the endpoint table
 * and what handlers use to answer.
 *
 * Each request owns one struct req, made on libmicrohttpd's first call and
 * freed when the request completes. Routing, authentication, media type and
 * body limits are checked before a handler runs; a handler answers with
 * http_reply/http_error, or queues a store job with http_submit, whose done
 * callback answers and calls http_resume. Handlers never touch LMDB.
 */
#ifndef SEAM_HTTP_H
#define SEAM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "config.h"
#include "errors.h"
#include "evlog.h"
#include "keys.h"
#include "server.h"
#include "store.h"

struct req;
typedef void (*handler_fn)(struct req *r);

/*
 * Endpoint flags:
 *   EP_BODY   takes a JSON body (Content-Type application/json, at most max_body bytes)
 *   EP_WRITE  writes through the store's writer (the answer waits for the commit)
 *   EP_TEST   only when the test clock is on (seam-broker -T); otherwise no such endpoint
 *   EP_TMF    errors in TMF621's Error shape (code, reason, message, status, @type,
 *             referenceError) instead of {"error":{...}}. A request that matches no row
 *             (or fails before routing) takes the shape of the rows that share the
 *             longest leading directory of its path ("/tmf-api/" for TMF's rows)
 */
#define EP_BODY 1u
#define EP_WRITE 2u
#define EP_TEST 4u /* exists only with the broker's -T (test clock) option */
#define EP_TMF 8u
/* takes the body as bytes of any declared type (an attachment), at most
 * limits.max_attachment_bytes; the handler judges them */
#define EP_RAW 64u

/* An action's HTTP side (api.h); only its handler looks inside. */
struct api_action;

struct endpoint {
    const char *method;
    const char *path; /* segments; "{id}" matches one segment */
    handler_fn handler;
    unsigned roles; /* ROLE_* allowed; ROLE_PUBLIC: no token */
    unsigned flags;
    size_t max_body;  /* 0: the configured limit */
    const char *name; /* metric label */
    /* The action a route of the state machine takes (its body, its text),
     * for the handler those rows share; NULL on every other row. */
    const struct api_action *action;
};

/* The table's rows at most: the request counters are sized by it (endpoints.c asserts it). */
#define MAX_ENDPOINTS 128

extern const struct endpoint endpoints[];
extern const size_t n_endpoints;

#define REQ_MAX_PARAMS 4

struct snapshot;

struct req {
    struct server *srv;
    /* The configuration this request began with (reload.h): held from the first byte to the
     * completion, so the handler, its store job and its answer read the same one. Handlers
     * read r->cfg and r->sla, never srv->cfg (the start's, for what only a restart changes). */
    struct snapshot *snap;
    const struct config *cfg;
    const struct sla *sla;
    /* The client's address as logged: the peer's, or, when the peer is one of
     * $.trusted_proxies, the last address of X-Forwarded-For that is not a trusted proxy. */
    char client[48];
    void *conn; /* the library's connection: http.c's alone */
    const struct endpoint *ep;
    size_t ep_index;
    char id[16];
    char method[16];
    char *path;
    char *params[REQ_MAX_PARAMS];
    struct principal who;
    int authed;
    char *body;
    size_t body_len, body_max;
    int body_too_big;
    int body_json; /* declared application/json */
    int64_t start_us;
    void (*finish)(struct req *r); /* builds the answer after a resume, on this thread */
    /* the answer, set by the handler or the done callback */
    int status;
    char *reply;
    size_t reply_len;
    /* A shared answer (http_reply_shared): reply is not the request's own;
     * reply_release(reply_cls) is called once nobody sends it any more. */
    void (*reply_release)(void *cls);
    void *reply_cls;
    const char *reply_type;
    char *location;
    int retry_after;
    /* A page or an asset (web.c): the pages' Content-Security-Policy, and
     * cache_control (NULL: no-store) */
    int page;
    const char *cache_control;
#define REQ_MAX_HEADERS 4
    const char *header_names[REQ_MAX_HEADERS]; /* extra answer headers (literal names) */
    char *header_values[REQ_MAX_HEADERS];      /* owned */
    int nheaders;
    int replied, suspended;
    /* a job the request owns, freed with it */
    void *job;
    void (*job_free)(void *job);
};

/*
 * Builds the TLS credentials of a configuration ($.tls: the certificate chain and key files,
 * read now; the key must match the certificate), for reload_on_load (reload.h): the
 * handshakes after the swap use them. Nothing when $.tls is absent.
 */
enum seam_err http_tls_load(const struct config *cfg, void **creds, void (**creds_free)(void *),
                            char **why) SEAM_WUR;

/* Starts libmicrohttpd on cfg's address (srv->http), over TLS when $.tls is set, on IPv6 when
 * the address is one ("[::]:8480": both families); logs the bound port. */
enum seam_err http_start(struct server *srv) SEAM_WUR;
/* The port the face listens on (the one bound, when the configuration said 0). */
unsigned http_port(struct server *srv);
/* Takes no new connections; those open are served to their end. */
void http_quiesce(struct server *srv);
/* Stops the face and frees srv->http. */
void http_stop(struct server *srv);

/* An extra header of the answer (name: a literal; value copied). */
void http_header(struct req *r, const char *name, const char *value);
/* An answer without a body (204). */
void http_reply_empty(struct req *r, int status);

/* Answers with JSON (steals body). */
void http_reply(struct req *r, int status, json_t *body);
/* Answers with JSON already written (takes the malloc'd text); ends it with a newline. */
void http_reply_json_text(struct req *r, int status, char *text, size_t len);
/* Answers with text of a type (takes ownership of malloc'd text). */
void http_reply_raw(struct req *r, int status, const char *type, char *text, size_t len);
/*
 * Answers with text that is not the request's own (a cached page): it is
 * sent as it is, never copied or freed; release(cls) is called once it has
 * been sent or the answer is dropped, whichever ends it.
 */
void http_reply_shared(struct req *r, int status, const char *type, const char *text, size_t len,
                       void (*release)(void *cls), void *cls);
/* Drops the answer set so far (a long poll that parks instead). */
void http_reply_clear(struct req *r);
/* The structured error; message NULL: the table's; field may be NULL. */
void http_error(struct req *r, enum api_error e, const char *message, const char *field);
/* Maps a store/model error to its answer (500s are logged with the request id). */
void http_error_from(struct req *r, enum seam_err rc, const char *what);

const char *http_param(struct req *r, unsigned i);
const char *http_query(struct req *r, const char *key);
/* Calls fn for every query argument, in order (value NULL: a key without "="). */
typedef void (*http_query_fn)(void *ctx, const char *key, const char *value);
void http_query_each(struct req *r, http_query_fn fn, void *ctx);
/* A cookie of the request, or NULL. */
const char *http_cookie_value(struct req *r, const char *name);
/* A header of the request (the first of that name, any case), or NULL. */
const char *http_header_value(struct req *r, const char *name);

/* The parsed body (an object), or NULL after replying 400 or 415. New reference. */
json_t *http_body_json_or_reply(struct req *r);
/* The same, also taking an array (a JSON Patch). */
json_t *http_body_json_array_or_reply(struct req *r);
/* The same, but an empty body is an empty object. */
json_t *http_body_json_optional_or_reply(struct req *r);

/* A body field's expectation for http_fields_or_reply. */
struct body_field {
    const char *name;
    json_type type;
    int required;
    size_t min_len, max_len; /* strings */
};
/* Unknown, missing, mistyped or overlong fields: replies 400 and returns -1. */
int http_fields_or_reply(struct req *r, const json_t *body, const struct body_field *fields);

/*
 * A query parameter that must be one of allowed (NULL-terminated): *out is
 * it, or NULL when absent; -1 after replying 400 ("not <what>").
 */
int http_enum_or_reply(struct req *r, const char *name, const char *const *allowed,
                       const char *what, const char **out);

/* Parses ?limit= (default dflt, at most max); -1 after replying 400. */
int http_limit_or_reply(struct req *r, int dflt, int max);

/* ?cursor=: *out is it (NULL when absent) if valid accepts it; -1 after replying 400. */
int http_cursor_or_reply(struct req *r, int (*valid)(const char *), const char **out);

/* Suspends the request and queues job; on failure replies 503 itself. */
void http_submit(struct req *r, struct store_job *job, void *owner, void (*owner_free)(void *));
/*
 * Suspends the request (r->suspended) until http_resume or http_resume_to:
 * a handler that parks it elsewhere (longpoll.h) calls this first.
 */
void http_suspend(struct req *r);
/* From a done callback: the answer is set; let libmicrohttpd send it. */
void http_resume(struct req *r);
/* Resumes the request; finish then builds the answer on the request's own thread. */
void http_resume_to(struct req *r, void (*finish)(struct req *r));

/*
 * 0 if the request's Origin names the scheme and Host it was sent to (or,
 * unless required, it has none); else -1.
 */
int http_origin_ok(struct req *r, int required);
/* The client's address as text (out: at least 46 bytes): 0, or -1 ("" then). */
int http_client_address(struct req *r, char *out, size_t cap);

/* 0 if the client may read /metrics (metrics.allow, metrics.token_sha256); else -1 after 403. */
int http_metrics_access_or_reply(struct req *r);

/* Metrics in Prometheus text format (malloc'd). */
char *http_metrics_text(struct server *srv);

#endif
