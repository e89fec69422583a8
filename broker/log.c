/*
 * log.c: logging to stderr, after OpenBSD relayd's log.c. Lines are whole:
 * each is written with the lines before it in one write(2), so lines from
 * several threads never interleave. It does no filtering beyond the debug
 * switch.
 *
 * Once log_buffer_start has run (the daemon), the one line a request
 * writes (log_access) waits in a buffer that a thread writes out every few
 * milliseconds, or at once when the buffer fills: one write(2) for many
 * requests instead of one each, as a web server's buffered access log. Any
 * other line writes the buffer out with itself, so the order of lines is
 * the order of the calls. At a normal stop, an exit or a fatal error the
 * buffer is written; a process killed outright loses at most its last
 * interval of request lines, never a warning.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "log.h"

static int log_debug_on;

void
log_init(int debug)
{
    log_debug_on = debug;
}

/* The buffer: lines waiting for one write(2). Guarded by buf_mu. */
#define LOG_BUF 65536
static pthread_mutex_t buf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t buf_cv = PTHREAD_COND_INITIALIZER; /* the buffer is no longer empty */
static char buf[LOG_BUF];
static size_t buf_len;
static int buffering; /* log_buffer_start ran: log_access lines may wait */
static atomic_int flusher_stop;
static pthread_t flusher;
static int flush_ms;

static void
write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nothing sensible to do if stderr is gone */
        p += w;
        n -= (size_t)w;
    }
}

/* Writes the waiting lines and then line (may be NULL). Holds buf_mu. */
static void
flush_locked(const char *line, size_t n)
{
    if (line != NULL && buf_len + n <= sizeof(buf)) {
        memcpy(buf + buf_len, line, n);
        buf_len += n;
        line = NULL;
    }
    write_all(buf, buf_len);
    buf_len = 0;
    if (line != NULL)
        write_all(line, n);
}

static void vlog(const char *level, int with_errno, int deferred, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
vlog(const char *level, int with_errno, int deferred, const char *fmt, va_list ap)
{
    char line[2048], ts[32];
    int saved = errno;
    int n;

    format_time_ms(now_ms(), ts);
    n = snprintf(line, sizeof(line), "%s %s ", ts, level);
    if (n < 0 || (size_t)n >= sizeof(line))
        return;
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (m < 0)
        return;
    n += m;
    if ((size_t)n >= sizeof(line) - 64)
        n = (int)sizeof(line) - 64;
    if (with_errno)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " error=\"%s\"", strerror(saved));
    line[n++] = '\n';
    pthread_mutex_lock(&buf_mu);
    if (deferred && buffering && buf_len + (size_t)n <= sizeof(buf) / 2) {
        if (buf_len == 0)
            pthread_cond_signal(&buf_cv);
        memcpy(buf + buf_len, line, (size_t)n);
        buf_len += (size_t)n;
    } else {
        flush_locked(line, (size_t)n);
    }
    pthread_mutex_unlock(&buf_mu);
    errno = saved;
}

void
log_flush(void)
{
    pthread_mutex_lock(&buf_mu);
    if (buf_len > 0)
        flush_locked(NULL, 0);
    pthread_mutex_unlock(&buf_mu);
}

static void *
flusher_main(void *arg)
{
    (void)arg;
    struct timespec ts = {flush_ms / 1000, (long)(flush_ms % 1000) * 1000000L};
    for (;;) {
        /* Asleep while nothing waits: an idle daemon does not wake. */
        pthread_mutex_lock(&buf_mu);
        while (buf_len == 0 && !atomic_load(&flusher_stop))
            pthread_cond_wait(&buf_cv, &buf_mu);
        pthread_mutex_unlock(&buf_mu);
        if (atomic_load(&flusher_stop))
            return NULL;
        nanosleep(&ts, NULL);
        log_flush();
    }
}

int
log_buffer_start(int ms)
{
    if (buffering || ms <= 0)
        return 0;
    flush_ms = ms;
    atomic_store(&flusher_stop, 0);
    if (pthread_create(&flusher, NULL, flusher_main, NULL) != 0)
        return -1;
    static int at_exit;
    if (!at_exit++)
        atexit(log_flush);
    pthread_mutex_lock(&buf_mu);
    buffering = 1;
    pthread_mutex_unlock(&buf_mu);
    return 0;
}

void
log_buffer_stop(void)
{
    if (!buffering)
        return;
    pthread_mutex_lock(&buf_mu);
    buffering = 0;
    pthread_mutex_unlock(&buf_mu);
    pthread_mutex_lock(&buf_mu);
    atomic_store(&flusher_stop, 1);
    pthread_cond_signal(&buf_cv);
    pthread_mutex_unlock(&buf_mu);
    pthread_join(flusher, NULL);
    log_flush();
}

#define LOGFN(name, level, err, deferred)                                                          \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vlog(level, err, deferred, fmt, ap);                                                       \
        va_end(ap);                                                                                \
    }

LOGFN(log_warn, "warn", 1, 0)
LOGFN(log_warnx, "warn", 0, 0)
LOGFN(log_info, "info", 0, 0)
LOGFN(log_access, "info", 0, 1) /* a request's line: it may wait in the buffer */

void
log_debug(const char *fmt, ...)
{
    va_list ap;
    if (!log_debug_on)
        return;
    va_start(ap, fmt);
    vlog("debug", 0, 0, fmt, ap);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("fatal", 1, 0, fmt, ap);
    va_end(ap);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("fatal", 0, 0, fmt, ap);
    va_end(ap);
    exit(1);
}
