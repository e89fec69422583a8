/*
 * json_fast.c: see json_fast.h. The parse cache is a direct-mapped table
 * by a hash of the bytes; a slot holds a copy of the bytes and their
 * parse. Records larger than a slot's limit are parsed every time: a cache
 * of big records would cost more memory than it saves.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common.h"
#include "json_fast.h"
#include "log.h"

#define SLOTS 256
#define MAX_BYTES 1024

struct slot {
    size_t len;
    char *bytes;
    json_t *parsed;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS];
static unsigned char hash_key[crypto_shorthash_KEYBYTES]; /* zero: only spreads, no secret */

/* Where the scan stopped: the bracket past stop, else len. */
static size_t
nesting_scan(const unsigned char *p, size_t len, unsigned stop, unsigned *deepest)
{
    unsigned depth = 0, most = 0;
    for (size_t i = 0; i < len; i++) {
        switch (p[i]) {
        case '"':
            /* A string: to its closing quote, a backslash taking the next byte. */
            for (i++; i < len && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
            break;
        case '[':
        case '{':
            if (++depth > most) {
                most = depth;
                if (most > stop) {
                    *deepest = most;
                    return i;
                }
            }
            break;
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
    }
    *deepest = most;
    return len;
}

unsigned
json_nesting(const void *bytes, size_t len, unsigned stop)
{
    unsigned deepest;
    (void)nesting_scan(bytes, len, stop, &deepest);
    return deepest;
}

json_t *
json_load_depth(const void *bytes, size_t len, size_t flags, unsigned max_depth, json_error_t *err)
{
    unsigned deepest;
    size_t at = nesting_scan(bytes, len, max_depth, &deepest);
    if (deepest <= max_depth)
        return json_loadb(bytes, len, flags, err);
    if (err != NULL) {
        /* As Jansson reports its own limit: line, column and position of the bracket. */
        const unsigned char *p = bytes;
        int line = 1, column = 1;
        for (size_t i = 0; i < at; i++) {
            column++;
            if (p[i] == '\n') {
                line++;
                column = 1;
            }
        }
        *err = (json_error_t){.line = line, .column = column, .position = (int)at};
        snprintf(err->source, sizeof(err->source), "<buffer>");
        snprintf(err->text, sizeof(err->text), "nested deeper than %u levels", max_depth);
        err->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_stack_overflow;
    }
    return NULL;
}

json_t *
json_loads_depth(const char *s, size_t flags, unsigned max_depth, json_error_t *err)
{
    if (s == NULL) {
        if (err != NULL) {
            *err = (json_error_t){.line = -1, .column = -1};
            snprintf(err->text, sizeof(err->text), "no text");
            err->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_invalid_argument;
        }
        return NULL;
    }
    return json_load_depth(s, strlen(s), flags, max_depth, err);
}

int
json_too_deep(const json_error_t *err)
{
    return json_error_code(err) == json_error_stack_overflow;
}

enum seam_err
json_stored_check(const char *what, const void *key, size_t klen, const void *bytes, size_t len)
{
    unsigned deepest;
    (void)nesting_scan(bytes, len, JSON_DEPTH_STORED, &deepest);
    if (deepest <= JSON_DEPTH_STORED)
        return SEAM_OK;
    log_warnx("store: write refused what=%s key=%.*s error=\"nested deeper than %u levels: the "
              "readers could not parse it\"",
              what, (int)(klen < 64 ? klen : 64), (const char *)key, JSON_DEPTH_STORED);
    return SEAM_ECORRUPT;
}

json_t *
json_cache_load(const void *bytes, size_t len)
{
    if (len > MAX_BYTES)
        return json_loadb(bytes, len, 0, NULL);
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t x;
    crypto_shorthash(h, bytes, len, hash_key);
    memcpy(&x, h, sizeof(x));
    struct slot *s = &slots[x % SLOTS];
    json_t *copy = NULL;
    pthread_mutex_lock(&mu);
    if (s->parsed != NULL && s->len == len && memcmp(s->bytes, bytes, len) == 0)
        copy = json_deep_copy(s->parsed);
    pthread_mutex_unlock(&mu);
    if (copy != NULL)
        return copy;

    json_t *parsed = json_loadb(bytes, len, 0, NULL);
    if (parsed == NULL)
        return NULL;
    json_t *keep = json_deep_copy(parsed);
    char *b = xmalloc(len > 0 ? len : 1);
    memcpy(b, bytes, len);
    pthread_mutex_lock(&mu);
    char *old_bytes = s->bytes;
    json_t *old = s->parsed;
    s->bytes = b;
    s->len = len;
    s->parsed = keep;
    pthread_mutex_unlock(&mu);
    free(old_bytes);
    json_decref(old);
    return parsed;
}

void
json_cache_clear(void)
{
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < SLOTS; i++) {
        free(slots[i].bytes);
        json_decref(slots[i].parsed);
        slots[i] = (struct slot){0};
    }
    pthread_mutex_unlock(&mu);
}

char *
json_dump_into(const json_t *j, size_t flags, char *buf, size_t cap, size_t *len)
{
    size_t n = json_dumpb(j, buf, cap, flags);
    if (n == 0)
        return NULL;
    if (n < cap) {
        buf[n] = '\0';
        *len = n;
        return buf;
    }
    char *text = json_dumps(j, flags);
    if (text != NULL)
        *len = strlen(text);
    return text;
}

/* Room for n more bytes and a NUL. */
static void
text_reserve(struct json_text *t, size_t n)
{
    if (t->cap - t->len >= n + 1)
        return;
    size_t cap = t->cap ? t->cap : 1024;
    while (cap - t->len < n + 1)
        cap *= 2;
    t->data = xrealloc(t->data, cap);
    t->cap = cap;
}

void
json_text_add(struct json_text *t, const char *s, size_t n)
{
    text_reserve(t, n);
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void
json_text_string(struct json_text *t, const char *bytes, size_t n)
{
    static const char hex[] = "0123456789ABCDEF"; /* as Jansson writes them */
    text_reserve(t, 6 * n + 2);                   /* each byte escaped at worst */
    char *o = t->data + t->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)bytes[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            *o++ = (char)ch;
            continue;
        }
        *o++ = '\\';
        switch (ch) {
        case '"':
        case '\\':
            *o++ = (char)ch;
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\b':
            *o++ = 'b';
            break;
        case '\f':
            *o++ = 'f';
            break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[ch >> 4];
            o[4] = hex[ch & 15];
            o += 5;
        }
    }
    *o++ = '"';
    *o = '\0';
    t->len = (size_t)(o - t->data);
}
