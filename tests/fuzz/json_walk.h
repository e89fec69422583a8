/*
 * json_walk.h: reads any JSON value through the pull reader (json_read.h)
 * into a Jansson tree, so that tests and fuzz targets can compare the
 * reader with Jansson. Values at depth limit and below are skipped with
 * json_read_skip and their raw text parsed by Jansson.
 */
#ifndef SEAM_JSON_WALK_H
#define SEAM_JSON_WALK_H

#include <jansson.h>

#include "json_read.h"

static json_t *
json_walk(struct json_read *r, unsigned depth, unsigned limit)
{
    json_t *v = NULL;
    struct json_slice s, raw;
    char *owned;
    int64_t i;
    int b;
    if (depth >= limit) {
        if (!json_read_skip(r, &raw, 512))
            return NULL;
        return json_loadb(raw.s, raw.n, JSON_DECODE_ANY, NULL);
    }
    switch (json_read_peek(r)) {
    case JR_OBJECT:
        if (!json_read_object(r))
            return NULL;
        v = json_object();
        while (json_read_key(r, &s)) {
            char *k = strndup(s.s, s.n);
            json_t *m = json_walk(r, depth + 1, limit);
            if (m == NULL) {
                free(k);
                json_decref(v);
                return NULL;
            }
            json_object_setn_new(v, k, s.n, m);
            free(k);
        }
        break;
    case JR_ARRAY:
        if (!json_read_array(r))
            return NULL;
        v = json_array();
        while (json_read_next(r)) {
            json_t *m = json_walk(r, depth + 1, limit);
            if (m == NULL) {
                json_decref(v);
                return NULL;
            }
            json_array_append_new(v, m);
        }
        break;
    case JR_STRING:
        if (!json_read_str(r, &s, &owned))
            return NULL;
        v = json_stringn(s.s, s.n);
        free(owned);
        return v;
    case JR_NUMBER:
        if (json_read_int(r, &i))
            return json_integer(i);
        /* a real: through skip, which checks it, then Jansson */
        r->err = 0;
        if (!json_read_skip(r, &raw, 1))
            return NULL;
        return json_loadb(raw.s, raw.n, JSON_DECODE_ANY, NULL);
    case JR_TRUE:
    case JR_FALSE:
        return json_read_bool(r, &b) ? json_boolean(b) : NULL;
    case JR_NULL:
        return json_read_null(r) ? json_null() : NULL;
    default:
        return NULL;
    }
    if (r->err) {
        json_decref(v);
        return NULL;
    }
    return v;
}

#endif
