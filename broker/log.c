/*
 * log.c: logging to stderr, after OpenBSD relayd's log.c. Each call writes
 * one complete line with a single write(2) so lines from several threads do
 * not interleave. It does no filtering beyond the debug switch.
 */
#include <errno.h>
#include <stdarg.h>
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

static void vlog(const char *level, int with_errno, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vlog(const char *level, int with_errno, const char *fmt, va_list ap)
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
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w; /* nothing sensible to do if stderr is gone */
    errno = saved;
}

#define LOGFN(name, level, err)                                                                    \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vlog(level, err, fmt, ap);                                                                 \
        va_end(ap);                                                                                \
    }

LOGFN(log_warn, "warn", 1)
LOGFN(log_warnx, "warn", 0)
LOGFN(log_info, "info", 0)

void
log_debug(const char *fmt, ...)
{
    va_list ap;
    if (!log_debug_on)
        return;
    va_start(ap, fmt);
    vlog("debug", 0, fmt, ap);
    va_end(ap);
}

void
fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("fatal", 1, fmt, ap);
    va_end(ap);
    exit(1);
}

void
fatalx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("fatal", 0, fmt, ap);
    va_end(ap);
    exit(1);
}
