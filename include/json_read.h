/*
 * json_read.h: a pull reader of JSON text over a byte buffer, for the
 * records read on every request (record.c), at a few instructions a byte
 * where Jansson's parse costs about 170.
 *
 * The caller walks the text it expects: json_read_object then json_read_key
 * until it answers 0, json_read_array then json_read_next until it answers
 * 0, and a value reader for each value (json_read_string, json_read_int,
 * ...), or json_read_skip for a value kept as it is. Errors are sticky: the
 * first one sets r->err and every later call fails at once, so a caller may
 * read a whole document and check json_read_end once. The reader is strict
 * (RFC 8259 as Jansson reads it: valid UTF-8, no \u0000, no lone surrogate,
 * integers within int64, finite reals, whitespace only where allowed) and
 * never reads outside bytes[0..len). It allocates only the strings it
 * returns and a buffer for keys that hold escapes (json_read_done frees it).
 * One reader per thread.
 */
#ifndef SEAM_JSON_READ_H
#define SEAM_JSON_READ_H

#include <stddef.h>
#include <stdint.h>

/* The kinds of value json_read_peek sees. */
enum json_read_kind {
    JR_ERROR,
    JR_OBJECT,
    JR_ARRAY,
    JR_STRING,
    JR_NUMBER,
    JR_TRUE,
    JR_FALSE,
    JR_NULL
};

struct json_read {
    const char *p, *end; /* what is left to read */
    int err;             /* sticky: nonzero once anything failed */
    int more;            /* a value was read: a ',' or the container's end comes next */
    unsigned depth;      /* containers open */
    char *kbuf;          /* an escaped key, unescaped */
    size_t kcap;
};

/* A string as read: s[0..n), NUL-terminated unless borrowed (then it points
 * into the text read and the caller must not free it). */
struct json_slice {
    const char *s;
    size_t n;
};

void json_read_init(struct json_read *r, const void *bytes, size_t len);
/* Frees the key buffer. */
void json_read_done(struct json_read *r);

/* Whether the text is at its end, all read, with no error: 1 or 0. */
int json_read_end(struct json_read *r);

/* The kind of the next value (JR_ERROR on an error or at no value). */
enum json_read_kind json_read_peek(struct json_read *r);

/* Reads '{' / '[': 1, or 0 on error. */
int json_read_object(struct json_read *r);
int json_read_array(struct json_read *r);
/* The next key of the object (unescaped, valid until the next call; NUL-
 * terminated only if it held an escape: compare with its length): 1; 0 at
 * the object's end (read) or on an error. */
int json_read_key(struct json_read *r, struct json_slice *key);
/* Whether the array has another element: 1; 0 at its end (read) or on an error. */
int json_read_next(struct json_read *r);

/* A string value: a malloc'd NUL-terminated copy (*len its length, if len
 * is not NULL), or NULL on an error (also for a value of another kind). */
char *json_read_string(struct json_read *r, size_t *len);
/* A string value, borrowed from the text when it holds no escape (*owned
 * NULL), else malloc'd into *owned (s points to it): 1, or 0 on an error. */
int json_read_str(struct json_read *r, struct json_slice *s, char **owned);
/* An integer value (no fraction, no exponent, within int64): 1, or 0. */
int json_read_int(struct json_read *r, int64_t *v);
/* true or false: 1 with *v set, or 0. */
int json_read_bool(struct json_read *r, int *v);
/* null: 1, or 0. */
int json_read_null(struct json_read *r);
/* Whether the next value is null, which is then read: 1; else 0 and nothing read. */
int json_read_if_null(struct json_read *r);
/* Any value, checked as strictly as the others, its text slice (from its
 * first byte to its last, without surrounding whitespace) in *raw if raw is
 * not NULL: 1, or 0. Nesting past max_depth containers is an error. */
int json_read_skip(struct json_read *r, struct json_slice *raw, unsigned max_depth);

#endif
