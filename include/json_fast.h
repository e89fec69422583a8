/*
 * json_fast.h: Jansson where every request pays for it (see
 * docs/performance.md). Jansson spends about 170 instructions a byte
 * parsing and 90 dumping.
 *
 * The parse cache: small stored records (customers, tokens) remembered by
 * their bytes, since the same few are read on every request. A lookup
 * compares the record's bytes as read in the caller's transaction with the
 * ones remembered, so it can never answer for a record that changed. Safe
 * from any thread; the answer is the caller's own copy.
 */
#ifndef SEAM_JSON_FAST_H
#define SEAM_JSON_FAST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common.h"

/*
 * Nesting depth. Jansson parses up to 2048 levels, recursively, and a value
 * stored inside a ticket record or an event sits a few levels deeper than it
 * came: a request Jansson just accepts gives a record it cannot read again.
 * So every JSON input is measured before it is parsed (json_nesting, or
 * json_load_depth which does both), against a limit far below Jansson's
 * (limits.max_json_depth: JSON_DEPTH_DEFAULT unless configured, at most
 * JSON_DEPTH_MAX), and the writers refuse a record or an event deeper than
 * JSON_DEPTH_STORED (json_stored_check), which every reader parses.
 */
#define JSON_DEPTH_DEFAULT 32 /* limits.max_json_depth's default */
#define JSON_DEPTH_MAX 256    /* the most limits.max_json_depth may be */
#define JSON_DEPTH_STORED 512 /* a stored record or event; far below Jansson's 2048 */

/*
 * The nesting depth of the JSON text bytes[0..len): the most arrays and
 * objects open at once, counting '[' and '{' outside strings (escapes
 * honoured). Stops at the first bracket past stop and answers stop + 1.
 * Checks no other syntax: a text the scan finds shallow may still not be
 * JSON.
 */
unsigned json_nesting(const void *bytes, size_t len, unsigned stop);

/*
 * json_loadb(bytes, len, flags, err) if bytes nest at most max_depth deep,
 * checked before parsing; else NULL, with err (if not NULL) saying so at the
 * bracket too deep and json_error_code(err) == json_error_stack_overflow
 * (as Jansson's own limit reports it: see json_too_deep).
 */
json_t *json_load_depth(const void *bytes, size_t len, size_t flags, unsigned max_depth,
                        json_error_t *err);
/* The same for a NUL-terminated text; NULL s is NULL. */
json_t *json_loads_depth(const char *s, size_t flags, unsigned max_depth, json_error_t *err);

/* Whether err (filled by a failed parse) says the text nests too deep. */
int json_too_deep(const json_error_t *err);

/*
 * The writers' last line of defence: SEAM_OK if bytes[0..len), a record or
 * an event about to be stored, nest at most JSON_DEPTH_STORED deep, else
 * SEAM_ECORRUPT with a log line naming what and its key (key[0..klen), text). Texts
 * Jansson dumped differ from a text it parses again only in depth (strings
 * are valid UTF-8, numbers finite, keys unique), so the scan suffices,
 * at a few instructions a byte instead of the parse's 170.
 */
enum seam_err json_stored_check(const char *what, const void *key, size_t klen, const void *bytes,
                                size_t len) SEAM_WUR;

/* The parse of bytes[0..len) (a new reference the caller may change), or NULL
 * if they are not a JSON document. */
json_t *json_cache_load(const void *bytes, size_t len);

/* Drops what is remembered (tests, and tidy shutdowns). */
void json_cache_clear(void);

/*
 * json_dumps() without its growing buffer and final copy: the text of j
 * (flags as json_dumps) in buf when it fits in cap bytes with its NUL,
 * else in a new allocation (free it when it is not buf). NULL on failure.
 * *len is the text's length.
 */
char *json_dump_into(const json_t *j, size_t flags, char *buf, size_t cap, size_t *len);

/* A growing JSON text, NUL-terminated; data is the caller's to free. */
struct json_text {
    char *data;
    size_t len, cap;
};

void json_text_add(struct json_text *t, const char *s, size_t n);
#define json_text_lit(t, lit) json_text_add((t), (lit), sizeof(lit) - 1) /* a string literal */

/*
 * Nonzero if one of the eight bytes of x (as loaded from memory) needs care
 * in a JSON string: a '"', a '\\', a control character or a byte of a
 * multibyte UTF-8 sequence (0x80 and up). The usual word-at-a-time tests.
 */
static inline uint64_t
json_plain8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

/* bytes[0..n), valid UTF-8, as a quoted JSON string: '"', '\\' and control
 * characters escaped, the rest as it is (as Jansson writes strings). */
void json_text_string(struct json_text *t, const char *bytes, size_t n);

/*
 * The canonical object builder: an object built member by member and
 * finished into the text Jansson's json_dumps(JSON_SORT_KEYS | JSON_COMPACT)
 * gives for the same object, byte for byte: keys sorted bytewise (shorter
 * first on a common prefix), strings escaped as Jansson writes them, no
 * space. Signed events are written this way without building Jansson trees.
 * Keys and strings must be valid UTF-8 (as Jansson requires); a key added
 * twice keeps its last value (as json_object_set). Not thread-safe; one
 * builder per thread. Start with a zeroed struct (JSON_OBJ_INIT); finish
 * or free it exactly once.
 */
struct json_obj_member {
    size_t key, klen;  /* the raw key: text.data[key..key + klen) */
    size_t item, ilen; /* '"key":value': text.data[item..item + ilen) */
};

struct json_obj {
    struct json_text text; /* raw keys and items, in the order added */
    struct json_obj_member *m;
    size_t n, cap;
};

#define JSON_OBJ_INIT                                                                              \
    {                                                                                              \
        {NULL, 0, 0}, NULL, 0, 0                                                                   \
    }

/* A string member (key NUL-terminated); s NULL gives null. */
void json_obj_str(struct json_obj *o, const char *key, const char *s);
/* The same with lengths: key[0..klen), s[0..n). */
void json_obj_strn(struct json_obj *o, const char *key, size_t klen, const char *s, size_t n);
void json_obj_int(struct json_obj *o, const char *key, int64_t v);
void json_obj_bool(struct json_obj *o, const char *key, int v);
void json_obj_null(struct json_obj *o, const char *key);
/* A member whose value is text[0..n), already canonical JSON (an object or
 * array finished by these builders, or a dump with JSON_SORT_KEYS |
 * JSON_COMPACT). */
void json_obj_raw(struct json_obj *o, const char *key, const char *text, size_t n);
void json_obj_rawn(struct json_obj *o, const char *key, size_t klen, const char *text, size_t n);
/* A member whose value is j dumped canonically (j is not changed); SEAM_EINVAL
 * if Jansson cannot dump it (nothing added). */
enum seam_err json_obj_json(struct json_obj *o, const char *key, const json_t *j) SEAM_WUR;
/* The object's text (malloc'd, NUL-terminated; *len its length if len is not
 * NULL); the builder is released and zeroed. */
char *json_obj_finish(struct json_obj *o, size_t *len);
/* Releases a builder not finished; zeroes it. */
void json_obj_free(struct json_obj *o);

/*
 * The array builder: elements in the order added, written as Jansson writes
 * them with JSON_COMPACT. Same rules as the object builder.
 */
struct json_arr {
    struct json_text text; /* "[" and the elements so far, comma-separated */
    size_t n;
};

#define JSON_ARR_INIT                                                                              \
    {                                                                                              \
        {NULL, 0, 0}, 0                                                                            \
    }

void json_arr_str(struct json_arr *a, const char *s); /* NULL: null */
void json_arr_strn(struct json_arr *a, const char *s, size_t n);
void json_arr_int(struct json_arr *a, int64_t v);
void json_arr_bool(struct json_arr *a, int v);
void json_arr_null(struct json_arr *a);
void json_arr_raw(struct json_arr *a, const char *text, size_t n);
enum seam_err json_arr_json(struct json_arr *a, const json_t *j) SEAM_WUR;
char *json_arr_finish(struct json_arr *a, size_t *len);
void json_arr_free(struct json_arr *a);

#endif
