/*
 * fuzz.h: shared by the libFuzzer targets in tests/fuzz. The example
 * federation (conf/seam.json, or $SEAM_FUZZ_CONF) is loaded once.
 */
#ifndef SEAM_FUZZ_H
#define SEAM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include <jansson.h>

#include "config.h"
#include "http.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken promise is a crash the fuzzer reports with its input. */
#define FUZZ_ASSERT(c)                                                                             \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);                                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline const struct config *
fuzz_config(void)
{
    static struct config *cfg;
    if (cfg == NULL) {
        const char *path = getenv("SEAM_FUZZ_CONF");
        char *errors = NULL;
        if (config_load(path ? path : "conf/seam.json", &cfg, &errors) != SEAM_OK) {
            fprintf(stderr, "fuzz: cannot load the federation:\n%s", errors ? errors : "");
            abort();
        }
    }
    return cfg;
}

/* A server with only the federation, for requests a handler's checks read it from. */
static inline struct server *
fuzz_server(void)
{
    static struct server srv;
    srv.cfg = fuzz_config();
    return &srv;
}

/* A request carrying body (copied) to path, as http.c hands it to a handler. */
static inline void
fuzz_req_init(struct req *r, const char *path, const uint8_t *body, size_t size)
{
    memset(r, 0, sizeof(*r));
    r->srv = fuzz_server();
    r->cfg = r->srv->cfg; /* the configuration a request holds (http.c takes it from reload.h) */
    snprintf(r->id, sizeof(r->id), "fuzz");
    r->path = (char *)path;
    r->body = malloc(size + 1);
    memcpy(r->body, body, size);
    r->body[size] = '\0';
    r->body_len = size;
    r->body_json = 1;
}

/* Forgets the answer, for the next check on the same request. */
static inline void
fuzz_req_reset(struct req *r)
{
    free(r->reply);
    r->reply = NULL;
    r->reply_len = 0;
    r->replied = 0;
    r->status = 0;
}

static inline void
fuzz_req_free(struct req *r)
{
    fuzz_req_reset(r);
    free(r->body);
    r->body = NULL;
}

/*
 * The error a handler's check answered, as it would go out: a 4xx (never a
 * 500 for a client's bytes: a 500 here is an answer that did not dump), whose
 * text parses back as JSON of the face's error shape (TMF621's Error under
 * /tmf-api/, {"error":{code,message}} elsewhere).
 */
static inline void
fuzz_assert_error_reply(const struct req *r)
{
    FUZZ_ASSERT(r->replied);
    FUZZ_ASSERT(r->status >= 400 && r->status < 500);
    FUZZ_ASSERT(r->reply != NULL && r->reply_len > 0);
    json_error_t jerr;
    json_t *j = json_loadb(r->reply, r->reply_len, 0, &jerr);
    FUZZ_ASSERT(j != NULL);
    if (strncmp(r->path, "/tmf-api/", 9) == 0) {
        char st[8];
        snprintf(st, sizeof(st), "%d", r->status);
        FUZZ_ASSERT(json_is_string(json_object_get(j, "code")));
        FUZZ_ASSERT(json_is_string(json_object_get(j, "message")));
        FUZZ_ASSERT(json_is_string(json_object_get(j, "reason")));
        const char *type = json_string_value(json_object_get(j, "@type"));
        const char *status = json_string_value(json_object_get(j, "status"));
        FUZZ_ASSERT(type != NULL && strcmp(type, "Error") == 0);
        FUZZ_ASSERT(status != NULL && strcmp(status, st) == 0);
    } else {
        json_t *e = json_object_get(j, "error");
        FUZZ_ASSERT(json_is_string(json_object_get(e, "code")));
        FUZZ_ASSERT(json_is_string(json_object_get(e, "message")));
    }
    json_decref(j);
}

/* The nesting of a value (a scalar is 0, [] is 1). */
static inline int
fuzz_json_depth(const json_t *v)
{
    int d = 0;
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, x)
        {
            int e = fuzz_json_depth(x);
            d = e > d ? e : d;
        }
        return d + 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            int e = fuzz_json_depth(x);
            d = e > d ? e : d;
        }
        return d + 1;
    }
    return 0;
}

/*
 * What a check let through to be stored: it dumps, parses back equal, and
 * nests no deeper than the limit less the record's own levels (`wrap`).
 */
static inline void
fuzz_assert_storable(const json_t *v, int wrap)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    FUZZ_ASSERT(text != NULL);
    json_t *back = json_loads(text, 0, NULL);
    FUZZ_ASSERT(back != NULL && json_equal(back, v));
    json_decref(back);
    free(text);
    FUZZ_ASSERT(fuzz_json_depth(v) + wrap <= (int)fuzz_config()->max_json_depth);
}

#endif
