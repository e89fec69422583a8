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
        /* runs of eight bytes that need nothing, copied as they are */
        while (n - i >= 8) {
            uint64_t x;
            memcpy(&x, bytes + i, 8);
            if (json_plain8(x & ~0x8080808080808080ULL) != 0)
                break;
            memcpy(o, &x, 8);
            o += 8;
            i += 8;
        }
        if (i == n)
            break;
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

/* ---- the canonical builders ---- */

/* v as Jansson's "%" JSON_INTEGER_FORMAT writes it, into buf (21 bytes at least); its length. */
static size_t
int_text(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0, k = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        buf[k++] = '-';
    while (n > 0)
        buf[k++] = tmp[--n];
    return k;
}

/* Starts a member: writes '"key":' and records where the raw key is (inside
 * the item for a key that needs no escape, else a copy before it). */
static void
obj_begin(struct json_obj *o, const char *key, size_t klen)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 32;
        o->m = xrealloc(o->m, o->cap * sizeof(*o->m));
    }
    struct json_obj_member *m = &o->m[o->n++];
    m->klen = klen;
    size_t i = 0;
    while (i < klen && (unsigned char)key[i] >= 0x20 && key[i] != '"' && key[i] != '\\')
        i++;
    if (i == klen) { /* the usual key: written as it is */
        text_reserve(&o->text, klen + 3);
        char *p = o->text.data + o->text.len;
        m->item = o->text.len;
        m->key = m->item + 1;
        p[0] = '"';
        memcpy(p + 1, key, klen);
        p[klen + 1] = '"';
        p[klen + 2] = ':';
        p[klen + 3] = '\0';
        o->text.len += klen + 3;
        return;
    }
    m->key = o->text.len;
    json_text_add(&o->text, key, klen);
    m->item = o->text.len;
    json_text_string(&o->text, key, klen);
    json_text_lit(&o->text, ":");
}

static void
obj_end(struct json_obj *o)
{
    struct json_obj_member *m = &o->m[o->n - 1];
    m->ilen = o->text.len - m->item;
}

void
json_obj_strn(struct json_obj *o, const char *key, size_t klen, const char *s, size_t n)
{
    obj_begin(o, key, klen);
    if (s == NULL)
        json_text_lit(&o->text, "null");
    else
        json_text_string(&o->text, s, n);
    obj_end(o);
}

void
json_obj_str(struct json_obj *o, const char *key, const char *s)
{
    json_obj_strn(o, key, strlen(key), s, s ? strlen(s) : 0);
}

void
json_obj_int(struct json_obj *o, const char *key, int64_t v)
{
    char buf[24];
    json_obj_raw(o, key, buf, int_text(v, buf));
}

void
json_obj_bool(struct json_obj *o, const char *key, int v)
{
    if (v)
        json_obj_raw(o, key, "true", 4);
    else
        json_obj_raw(o, key, "false", 5);
}

void
json_obj_null(struct json_obj *o, const char *key)
{
    json_obj_raw(o, key, "null", 4);
}

void
json_obj_rawn(struct json_obj *o, const char *key, size_t klen, const char *text, size_t n)
{
    obj_begin(o, key, klen);
    json_text_add(&o->text, text, n);
    obj_end(o);
}

void
json_obj_raw(struct json_obj *o, const char *key, const char *text, size_t n)
{
    json_obj_rawn(o, key, strlen(key), text, n);
}

enum seam_err
json_obj_json(struct json_obj *o, const char *key, const json_t *j)
{
    char buf[512];
    size_t n;
    char *text =
        json_dump_into(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY, buf, sizeof(buf), &n);
    if (text == NULL)
        return SEAM_EINVAL;
    json_obj_raw(o, key, text, n);
    if (text != buf)
        free(text);
    return SEAM_OK;
}

/* Bytewise, the shorter first on a common prefix (Jansson's compare_keys);
 * equal keys in the order added. */
static int
member_cmp(const char *base, const struct json_obj_member *a, const struct json_obj_member *b)
{
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(base + a->key, base + b->key, n);
    if (c != 0)
        return c;
    if (a->klen != b->klen)
        return a->klen < b->klen ? -1 : 1;
    return a->key < b->key ? -1 : a->key > b->key;
}

/* Sorts m[0..n) by member_cmp: insertion sort for the few members records
 * have, a merge sort through tmp beyond. */
static void
members_sort(const char *base, struct json_obj_member *m, size_t n, struct json_obj_member *tmp)
{
    if (n <= 12) {
        for (size_t i = 1; i < n; i++) {
            struct json_obj_member x = m[i];
            size_t j = i;
            while (j > 0 && member_cmp(base, &m[j - 1], &x) > 0) {
                m[j] = m[j - 1];
                j--;
            }
            m[j] = x;
        }
        return;
    }
    size_t h = n / 2, i = 0, j = h, k = 0;
    members_sort(base, m, h, tmp);
    members_sort(base, m + h, n - h, tmp);
    while (i < h && j < n)
        tmp[k++] = member_cmp(base, &m[i], &m[j]) <= 0 ? m[i++] : m[j++];
    while (i < h)
        tmp[k++] = m[i++];
    while (j < n)
        tmp[k++] = m[j++];
    memcpy(m, tmp, n * sizeof(*m));
}

char *
json_obj_finish(struct json_obj *o, size_t *len)
{
    struct json_obj_member *tmp = o->n > 12 ? xmalloc(o->n * sizeof(*tmp)) : NULL;
    members_sort(o->text.data, o->m, o->n, tmp);
    free(tmp);
    size_t total = 2;
    for (size_t i = 0; i < o->n; i++)
        total += o->m[i].ilen + 1;
    char *out = xmalloc(total + 1), *p = out;
    *p++ = '{';
    for (size_t i = 0; i < o->n; i++) {
        const struct json_obj_member *m = &o->m[i];
        /* a key added again: its last value only */
        if (i + 1 < o->n && m->klen == m[1].klen &&
            memcmp(o->text.data + m->key, o->text.data + m[1].key, m->klen) == 0)
            continue;
        if (p != out + 1)
            *p++ = ',';
        memcpy(p, o->text.data + m->item, m->ilen);
        p += m->ilen;
    }
    *p++ = '}';
    *p = '\0';
    if (len != NULL)
        *len = (size_t)(p - out);
    json_obj_free(o);
    return out;
}

void
json_obj_free(struct json_obj *o)
{
    free(o->text.data);
    free(o->m);
    memset(o, 0, sizeof(*o));
}

static void
arr_next(struct json_arr *a)
{
    if (a->n++ == 0)
        json_text_lit(&a->text, "[");
    else
        json_text_lit(&a->text, ",");
}

void
json_arr_strn(struct json_arr *a, const char *s, size_t n)
{
    arr_next(a);
    if (s == NULL)
        json_text_lit(&a->text, "null");
    else
        json_text_string(&a->text, s, n);
}

void
json_arr_str(struct json_arr *a, const char *s)
{
    json_arr_strn(a, s, s ? strlen(s) : 0);
}

void
json_arr_int(struct json_arr *a, int64_t v)
{
    char buf[24];
    json_arr_raw(a, buf, int_text(v, buf));
}

void
json_arr_bool(struct json_arr *a, int v)
{
    if (v)
        json_arr_raw(a, "true", 4);
    else
        json_arr_raw(a, "false", 5);
}

void
json_arr_null(struct json_arr *a)
{
    json_arr_raw(a, "null", 4);
}

void
json_arr_raw(struct json_arr *a, const char *text, size_t n)
{
    arr_next(a);
    json_text_add(&a->text, text, n);
}

enum seam_err
json_arr_json(struct json_arr *a, const json_t *j)
{
    char buf[512];
    size_t n;
    char *text =
        json_dump_into(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY, buf, sizeof(buf), &n);
    if (text == NULL)
        return SEAM_EINVAL;
    json_arr_raw(a, text, n);
    if (text != buf)
        free(text);
    return SEAM_OK;
}

char *
json_arr_finish(struct json_arr *a, size_t *len)
{
    if (a->n == 0)
        json_text_lit(&a->text, "[");
    json_text_lit(&a->text, "]");
    char *out = a->text.data;
    if (len != NULL)
        *len = a->text.len;
    memset(a, 0, sizeof(*a));
    return out;
}

void
json_arr_free(struct json_arr *a)
{
    free(a->text.data);
    memset(a, 0, sizeof(*a));
}
