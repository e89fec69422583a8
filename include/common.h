/*
 * common.h: what every module of seam shares: the error enum, allocation
 * that aborts on failure, time, ids and small encoders.
 */
#ifndef SEAM_COMMON_H
#define SEAM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define SEAM_WUR __attribute__((warn_unused_result))

/* The release, from the Makefile's VERSION (the one place it is written): --version prints it. */
#ifndef SEAM_VERSION
#define SEAM_VERSION "unknown"
#endif

/* Result of every fallible call; out-parameters are written only on SEAM_OK. */
enum seam_err {
    SEAM_OK = 0,
    SEAM_EINVAL,    /* bad argument or input */
    SEAM_ENOTFOUND, /* no such record */
    SEAM_EEXIST,    /* record exists already */
    SEAM_ECONFLICT, /* the state machine forbids it */
    SEAM_EFULL,     /* storage full: map at its limit or disk full */
    SEAM_EBUSY,     /* writer queue full; try again later */
    SEAM_EIO,       /* I/O or storage failure */
    SEAM_ECRYPTO,   /* signing or key failure */
    SEAM_ECORRUPT,  /* stored data fails its checks */
    SEAM_ESHUTDOWN, /* the writer is stopping */
    SEAM_ESTALE,    /* work staged on a snapshot no longer fits the store */
    SEAM_ELIMIT,    /* a ticket holds as many notes, events or attachments as it may */
    SEAM_ETOOBIG,   /* a ticket's record would grow past its size limit */
    SEAM_EUNAVAIL,  /* the replicated log did not take a batch (replica.h) */
};

const char *seam_strerror(enum seam_err e);

/* Allocation that aborts with a log line on failure (small allocations). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Wall-clock time in milliseconds since the epoch. Every module reads time
 * here, so that the tests can drive it: clock_enable_fake() (only the
 * broker's explicit --fake-clock option calls it) lets clock_advance() move
 * it forward; it is never on by default.
 */
int64_t now_ms(void);
/* A monotonic clock in microseconds, for intervals only (never faked). */
int64_t mono_us(void);
void clock_enable_fake(void);
int clock_is_fake(void);
int clock_advance(int64_t ms); /* -1 unless the fake clock is enabled */
/* Writes an RFC 3339 UTC time with milliseconds ("2026-01-02T03:04:05.678Z"). */
void format_time_ms(int64_t ms, char out[32]);
/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1-12, d 1-31). */
int64_t days_from_civil(int64_t y, int m, int d);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* Big-endian u64 in 8 bytes. */
void be64_put(uint8_t out[8], uint64_t v);
uint64_t be64_get(const uint8_t in[8]);

/*
 * A copy of the NUL-terminated s that is valid UTF-8: each byte that does
 * not begin a valid sequence (overlong forms, surrogates and code points
 * past U+10FFFF included) becomes U+FFFD. Freed with free(); NULL for NULL.
 */
char *utf8_sanitize(const char *s);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer. */
enum seam_err read_file(const char *path, size_t max, char **out, size_t *len) SEAM_WUR;

/* The length of the valid UTF-8 sequence at s (at most n bytes; RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF), 1 for an ASCII byte, 0 if none. */
size_t utf8_seq(const unsigned char *s, size_t n);

/* Whether s looks like one mail address: local@domain, at most 254 bytes, no spaces, controls,
 * angle brackets or other characters of RFC 5322's specials (NULL: no). */
int mail_address_valid(const char *s);

/* Text appended to a malloc'd buffer (s; NULL until the first add): metrics, reports. */
struct mtext {
    char *s;
    size_t len, cap;
};
void mt_add(struct mtext *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
