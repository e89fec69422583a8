/*
 * common.c: allocation that aborts, time, hex and big-endian helpers, and
 * seam_strerror. Nothing here knows about HTTP, LMDB or tickets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "log.h"

const char *
seam_strerror(enum seam_err e)
{
    switch (e) {
    case SEAM_OK:
        return "ok";
    case SEAM_EINVAL:
        return "invalid argument";
    case SEAM_ENOTFOUND:
        return "not found";
    case SEAM_EEXIST:
        return "already exists";
    case SEAM_ECONFLICT:
        return "transition not allowed";
    case SEAM_EFULL:
        return "storage full";
    case SEAM_EBUSY:
        return "busy";
    case SEAM_EIO:
        return "I/O error";
    case SEAM_ECRYPTO:
        return "cryptographic failure";
    case SEAM_ECORRUPT:
        return "stored data is corrupt";
    case SEAM_ESHUTDOWN:
        return "shutting down";
    case SEAM_ESTALE:
        return "staged on a stale snapshot";
    case SEAM_ELIMIT:
        return "a limit of the ticket is reached";
    case SEAM_ETOOBIG:
        return "the ticket's record would be too large";
    case SEAM_EUNAVAIL:
        return "the replicated log did not take the batch";
    }
    return "unknown error";
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        fatal("out of memory size=%zu", n);
    return p;
}

void *
xcalloc(size_t n, size_t m)
{
    void *p = calloc(n ? n : 1, m ? m : 1);
    if (p == NULL)
        fatal("out of memory size=%zu", n * m);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        fatal("out of memory size=%zu", n);
    return q;
}

char *
xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        fatal("out of memory");
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        fatalx("xasprintf: bad format");
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

/* The test clock's offset; 0 unless clock_advance was allowed and called. */
static _Atomic int64_t clock_offset;
static _Atomic int clock_fake;

int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load(&clock_offset);
}

int64_t
mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
clock_enable_fake(void)
{
    atomic_store(&clock_fake, 1);
}

int
clock_is_fake(void)
{
    return atomic_load(&clock_fake);
}

int
clock_advance(int64_t ms)
{
    if (!atomic_load(&clock_fake) || ms < 0)
        return -1;
    atomic_fetch_add(&clock_offset, ms);
    return 0;
}

void
format_time_ms(int64_t ms, char out[32])
{
    /* Civil date from days since the epoch (H. Hinnant's algorithm): no
     * gmtime_r, strftime or snprintf, which a write paid for several times. */
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msec = (int)(ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int sod = (int)(secs - days * 86400);
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    if (y < 0 || y > 9999) { /* outside RFC 3339's four digits: as strftime would */
        time_t s = (time_t)secs;
        struct tm tm;
        gmtime_r(&s, &tm);
        size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out + n, 32 - n, ".%03dZ", msec);
        return;
    }
    unsigned v[6] = {(unsigned)y,       m, d, (unsigned)sod / 3600, (unsigned)sod / 60 % 60,
                     (unsigned)sod % 60};
    char *p = out;
    p[0] = (char)('0' + v[0] / 1000);
    p[1] = (char)('0' + v[0] / 100 % 10);
    p[2] = (char)('0' + v[0] / 10 % 10);
    p[3] = (char)('0' + v[0] % 10);
    p += 4;
    static const char seps[] = "--T::";
    for (int i = 1; i < 6; i++) {
        *p++ = seps[i - 1];
        *p++ = (char)('0' + v[i] / 10);
        *p++ = (char)('0' + v[i] % 10);
    }
    *p++ = '.';
    *p++ = (char)('0' + msec / 100);
    *p++ = (char)('0' + msec / 10 % 10);
    *p++ = (char)('0' + msec % 10);
    *p++ = 'Z';
    *p = '\0';
}

void
hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void
be64_put(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t
be64_get(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

enum seam_err
read_file(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SEAM_ENOTFOUND : SEAM_EIO;
    char *buf = xmalloc(max + 1);
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            free(buf);
            return SEAM_EIO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > max) {
            close(fd);
            free(buf);
            return SEAM_EINVAL;
        }
    }
    close(fd);
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return SEAM_OK;
}

size_t
utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

char *
utf8_sanitize(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s), o = 0;
    char *out = xmalloc(n * 3 + 1); /* each bad byte may become U+FFFD, 3 bytes */
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
            continue;
        }
        memcpy(out + o, s + i, k);
        o += k;
        i += k;
    }
    out[o] = '\0';
    return out;
}

int64_t
days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int
mail_address_valid(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') || strlen(s) > 254)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>()[],;:\\\"", *p))
            return 0;
    return 1;
}

void
mt_add(struct mtext *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (m->len + (size_t)n + 1 > m->cap) {
        m->cap = (m->len + (size_t)n + 1) * 2;
        m->s = xrealloc(m->s, m->cap);
    }
    va_start(ap, fmt);
    vsnprintf(m->s + m->len, m->cap - m->len, fmt, ap);
    va_end(ap);
    m->len += (size_t)n;
}
