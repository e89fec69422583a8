/*
 * json_read.c: the pull reader of json_read.h. Each call skips whitespace,
 * checks the byte it expects and reads a token; the first failure sets the
 * sticky error. Strings are scanned for the bytes that need care (the
 * quote, the backslash, control characters and non-ASCII bytes, whose
 * UTF-8 is checked) and copied or unescaped once. Nothing recurses: skip
 * counts the containers it opens. It does not build any tree, nor know
 * anything of what it reads (record.c does).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "json_fast.h"
#include "json_read.h"

void
json_read_init(struct json_read *r, const void *bytes, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->p = bytes;
    r->end = r->p + len;
}

void
json_read_done(struct json_read *r)
{
    free(r->kbuf);
    r->kbuf = NULL;
    r->kcap = 0;
}

static int
fail(struct json_read *r)
{
    r->err = 1;
    return 0;
}

static void
ws(struct json_read *r)
{
    const char *p = r->p;
    while (p < r->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    r->p = p;
}

int
json_read_end(struct json_read *r)
{
    ws(r);
    return !r->err && r->depth == 0 && r->p == r->end;
}

/* Reads the ',' before a value or member that follows another: 1, or 0. */
static int
comma(struct json_read *r)
{
    ws(r);
    if (r->more) {
        if (r->p == r->end || *r->p != ',')
            return fail(r);
        r->p++;
        ws(r);
    }
    return 1;
}

enum json_read_kind
json_read_peek(struct json_read *r)
{
    if (r->err)
        return JR_ERROR;
    ws(r);
    if (r->p == r->end)
        return JR_ERROR;
    switch (*r->p) {
    case '{':
        return JR_OBJECT;
    case '[':
        return JR_ARRAY;
    case '"':
        return JR_STRING;
    case 't':
        return JR_TRUE;
    case 'f':
        return JR_FALSE;
    case 'n':
        return JR_NULL;
    case '-':
        return JR_NUMBER;
    default:
        return *r->p >= '0' && *r->p <= '9' ? JR_NUMBER : JR_ERROR;
    }
}

static int
open_container(struct json_read *r, char c)
{
    if (r->err)
        return 0;
    ws(r);
    if (r->p == r->end || *r->p != c)
        return fail(r);
    r->p++;
    r->depth++;
    r->more = 0;
    return 1;
}

int
json_read_object(struct json_read *r)
{
    return open_container(r, '{');
}

int
json_read_array(struct json_read *r)
{
    return open_container(r, '[');
}

/* The container ends here if the next byte is c: read, 1; else 0. */
static int
close_container(struct json_read *r, char c)
{
    ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        r->depth--;
        r->more = 1;
        return 1;
    }
    return 0;
}

static unsigned
hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (unsigned char)p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            return 0x110000; /* not hex */
        v = v << 4 | d;
    }
    return v;
}

/*
 * Scans the string at r->p (its opening quote): its raw body in
 * [*body, *body + *blen), whether it holds escapes, r->p after its closing
 * quote. 1, or 0 (error set) if it is not a valid string.
 */
static int
scan_string(struct json_read *r, const char **body, size_t *blen, int *escaped)
{
    const unsigned char *p = (const unsigned char *)r->p, *end = (const unsigned char *)r->end;
    if (p == end || *p != '"')
        return fail(r);
    const unsigned char *s = ++p;
    int esc = 0;
    for (;;) {
        /* eight bytes at a time while none needs care */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (json_plain8(x) != 0)
                break;
            p += 8;
        }
        while (p < end && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
            p++;
        if (p == end)
            return fail(r);
        unsigned c = *p;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(r);
        if (c >= 0x80) {
            size_t n = utf8_seq(p, (size_t)(end - p));
            if (n == 0)
                return fail(r);
            p += n;
            continue;
        }
        /* a backslash */
        esc = 1;
        if (end - p < 2)
            return fail(r);
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p += 2;
            break;
        case 'u': {
            if (end - p < 6)
                return fail(r);
            unsigned u = hex4((const char *)p + 2);
            if (u == 0 || u > 0xFFFF || (u >= 0xDC00 && u <= 0xDFFF))
                return fail(r); /* not hex, \u0000 (as Jansson), a lone low surrogate */
            p += 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return fail(r);
                unsigned lo = hex4((const char *)p + 2);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(r);
                p += 6;
            }
            break;
        }
        default:
            return fail(r);
        }
    }
    *body = (const char *)s;
    *blen = (size_t)(p - s);
    *escaped = esc;
    r->p = (const char *)p + 1;
    return 1;
}

/* Unescapes a scanned body (valid) into out (room for blen + 1 bytes: an
 * escape never grows); its length. */
static size_t
unescape(const char *b, size_t blen, char *out)
{
    const char *end = b + blen;
    char *o = out;
    while (b < end) {
        if (*b != '\\') {
            *o++ = *b++;
            continue;
        }
        char c = b[1];
        b += 2;
        switch (c) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned u = hex4(b);
            b += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (hex4(b + 2) - 0xDC00);
                b += 6;
            }
            if (u < 0x80) {
                *o++ = (char)u;
            } else if (u < 0x800) {
                *o++ = (char)(0xC0 | u >> 6);
                *o++ = (char)(0x80 | (u & 0x3F));
            } else if (u < 0x10000) {
                *o++ = (char)(0xE0 | u >> 12);
                *o++ = (char)(0x80 | ((u >> 6) & 0x3F));
                *o++ = (char)(0x80 | (u & 0x3F));
            } else {
                *o++ = (char)(0xF0 | u >> 18);
                *o++ = (char)(0x80 | ((u >> 12) & 0x3F));
                *o++ = (char)(0x80 | ((u >> 6) & 0x3F));
                *o++ = (char)(0x80 | (u & 0x3F));
            }
            break;
        }
        default: /* '"', '\\', '/' */
            *o++ = c;
        }
    }
    *o = '\0';
    return (size_t)(o - out);
}

int
json_read_key(struct json_read *r, struct json_slice *key)
{
    if (r->err)
        return 0;
    if (close_container(r, '}'))
        return 0;
    if (!comma(r))
        return 0;
    const char *b;
    size_t n;
    int esc;
    if (!scan_string(r, &b, &n, &esc))
        return 0;
    ws(r);
    if (r->p == r->end || *r->p != ':')
        return fail(r);
    r->p++;
    r->more = 0;
    if (esc) {
        if (r->kcap < n + 1) {
            r->kcap = n + 1 > 64 ? n + 1 : 64;
            r->kbuf = xrealloc(r->kbuf, r->kcap);
        }
        key->n = unescape(b, n, r->kbuf);
        key->s = r->kbuf;
    } else {
        key->s = b;
        key->n = n;
    }
    return 1;
}

int
json_read_next(struct json_read *r)
{
    if (r->err)
        return 0;
    if (close_container(r, ']'))
        return 0;
    return comma(r);
}

/* Before a value: the ',' inside an array is read by json_read_next, and a
 * member's by json_read_key, so only whitespace comes here. */
static int
value_start(struct json_read *r)
{
    if (r->err)
        return 0;
    ws(r);
    return r->p < r->end || fail(r);
}

int
json_read_str(struct json_read *r, struct json_slice *s, char **owned)
{
    const char *b;
    size_t n;
    int esc;
    *owned = NULL;
    if (!value_start(r) || !scan_string(r, &b, &n, &esc))
        return 0;
    r->more = 1;
    if (!esc) {
        s->s = b;
        s->n = n;
        return 1;
    }
    *owned = xmalloc(n + 1);
    s->n = unescape(b, n, *owned);
    s->s = *owned;
    return 1;
}

char *
json_read_string(struct json_read *r, size_t *len)
{
    const char *b;
    size_t n;
    int esc;
    if (!value_start(r) || !scan_string(r, &b, &n, &esc))
        return NULL;
    r->more = 1;
    char *out = xmalloc(n + 1);
    if (esc) {
        n = unescape(b, n, out);
    } else {
        memcpy(out, b, n);
        out[n] = '\0';
    }
    if (len != NULL)
        *len = n;
    return out;
}

/*
 * Scans a number at r->p: its end in *nend, whether it is an integer (no
 * fraction, no exponent). 1, or 0 if it is not a JSON number.
 */
static int
scan_number(struct json_read *r, const char **nend, int *integer)
{
    const char *p = r->p, *end = r->end;
    *integer = 1;
    if (p < end && *p == '-')
        p++;
    if (p == end || *p < '0' || *p > '9')
        return fail(r);
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        *integer = 0;
        p++;
        if (p == end || *p < '0' || *p > '9')
            return fail(r);
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *integer = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || *p < '0' || *p > '9')
            return fail(r);
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    *nend = p;
    return 1;
}

/* The integer text [p, end) (valid) as int64: 1, or 0 if out of range. */
static int
parse_int(const char *p, const char *end, int64_t *v)
{
    int neg = *p == '-';
    uint64_t u = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (p += neg; p < end; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (u > (lim - d) / 10)
            return 0;
        u = u * 10 + d;
    }
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 1;
}

int
json_read_int(struct json_read *r, int64_t *v)
{
    const char *e;
    int integer;
    int64_t x;
    if (!value_start(r) || !scan_number(r, &e, &integer))
        return 0;
    if (!integer || !parse_int(r->p, e, &x))
        return fail(r);
    r->p = e;
    r->more = 1;
    *v = x;
    return 1;
}

static int
literal(struct json_read *r, const char *lit, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0)
        return fail(r);
    r->p += n;
    r->more = 1;
    return 1;
}

int
json_read_bool(struct json_read *r, int *v)
{
    if (!value_start(r))
        return 0;
    if (*r->p == 't' && literal(r, "true", 4)) {
        *v = 1;
        return 1;
    }
    if (*r->p == 'f' && literal(r, "false", 5)) {
        *v = 0;
        return 1;
    }
    return fail(r);
}

int
json_read_null(struct json_read *r)
{
    return value_start(r) && literal(r, "null", 4);
}

int
json_read_if_null(struct json_read *r)
{
    return json_read_peek(r) == JR_NULL && json_read_null(r);
}

/* Whether the real text [p, end) (valid) is finite, as Jansson requires. */
static int
real_finite(const char *p, const char *end)
{
    char buf[128], *t = buf;
    size_t n = (size_t)(end - p);
    if (n >= sizeof(buf))
        t = xmalloc(n + 1);
    memcpy(t, p, n);
    t[n] = '\0';
    double d = strtod(t, NULL);
    if (t != buf)
        free(t);
    return isfinite(d);
}

/* Reads a member's key and its ':' inside a skipped object: 1, or 0. */
static int
skip_key(struct json_read *r)
{
    const char *b;
    size_t n;
    int esc;
    if (!scan_string(r, &b, &n, &esc))
        return 0;
    ws(r);
    if (r->p == r->end || *r->p != ':')
        return fail(r);
    r->p++;
    return 1;
}

int
json_read_skip(struct json_read *r, struct json_slice *raw, unsigned max_depth)
{
    uint8_t obj[128]; /* bit i: the container open at level i is an object */
    unsigned lvl = 0;
    if (max_depth > 8 * sizeof(obj))
        max_depth = 8 * sizeof(obj);
    if (!value_start(r))
        return 0;
    const char *start = r->p;
    for (;;) {
        /* a value at r->p */
        ws(r);
        if (r->p == r->end)
            return fail(r);
        const char *e;
        int integer;
        char c = *r->p;
        if (c == '{' || c == '[') {
            if (lvl >= max_depth)
                return fail(r);
            if (c == '{')
                obj[lvl / 8] |= (uint8_t)(1u << (lvl % 8));
            else
                obj[lvl / 8] &= (uint8_t) ~(1u << (lvl % 8));
            lvl++;
            r->p++;
            ws(r);
            if (r->p < r->end && *r->p == (c == '{' ? '}' : ']')) {
                r->p++;
                lvl--;
            } else {
                if (c == '{' && !skip_key(r))
                    return 0;
                continue;
            }
        } else if (c == '"') {
            const char *b;
            size_t n;
            int esc;
            if (!scan_string(r, &b, &n, &esc))
                return 0;
        } else if (c == 't') {
            if (!literal(r, "true", 4))
                return 0;
        } else if (c == 'f') {
            if (!literal(r, "false", 5))
                return 0;
        } else if (c == 'n') {
            if (!literal(r, "null", 4))
                return 0;
        } else {
            if (!scan_number(r, &e, &integer))
                return 0;
            int64_t x;
            if (integer ? !parse_int(r->p, e, &x) : !real_finite(r->p, e))
                return fail(r); /* Jansson refuses integers past int64 and infinite reals */
            r->p = e;
        }
        /* after a value: close containers, or a ',' and the next member or element */
        for (;;) {
            if (lvl == 0)
                goto done;
            ws(r);
            if (r->p == r->end)
                return fail(r);
            int is_obj = obj[(lvl - 1) / 8] >> ((lvl - 1) % 8) & 1;
            if (*r->p == (is_obj ? '}' : ']')) {
                r->p++;
                lvl--;
                continue;
            }
            if (*r->p != ',')
                return fail(r);
            r->p++;
            ws(r);
            if (is_obj && !skip_key(r))
                return 0;
            break;
        }
    }
done:
    r->more = 1;
    if (raw != NULL) {
        raw->s = start;
        raw->n = (size_t)(r->p - start);
    }
    return 1;
}
