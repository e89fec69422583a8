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

#include <jansson.h>

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

/* bytes[0..n), valid UTF-8, as a quoted JSON string: '"', '\\' and control
 * characters escaped, the rest as it is (as Jansson writes strings). */
void json_text_string(struct json_text *t, const char *bytes, size_t n);

#endif
