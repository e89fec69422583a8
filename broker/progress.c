/*
 * progress.c: the progress line of offline tools (see progress.h). It
 * writes only to stderr and only when turned on; it never decides anything
 * about the job it reports.
 */
#include <stdio.h>
#include <time.h>

#include "progress.h"

#define REDRAW_NS 250000000LL /* at most four lines a second */

static struct {
    int on, drawn;
    const char *what, *phase;
    uint64_t total, done;
    long long started, last; /* ns, monotonic */
} pg;

static long long
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
progress_start(const char *what, int on)
{
    pg.on = on;
    pg.what = what;
    pg.drawn = 0;
    pg.phase = "";
    pg.total = pg.done = 0;
    pg.started = pg.last = mono_ns();
}

static void
draw(long long now)
{
    double secs = (double)(now - pg.started) / 1e9;
    double rate = secs > 0 ? (double)pg.done / secs : 0;
    char left[32] = "";
    if (pg.total > pg.done && rate > 0) {
        long long s = (long long)((double)(pg.total - pg.done) / rate);
        snprintf(left, sizeof(left), ", %lld:%02lld left", s / 60, s % 60);
    }
    if (pg.total > 0)
        fprintf(stderr, "\r\033[K%s: %s %llu of %llu (%.0f%%), %.0f/s%s", pg.what, pg.phase,
                (unsigned long long)pg.done, (unsigned long long)pg.total,
                100.0 * (double)pg.done / (double)pg.total, rate, left);
    else
        fprintf(stderr, "\r\033[K%s: %s %llu, %.0f/s", pg.what, pg.phase,
                (unsigned long long)pg.done, rate);
    fflush(stderr);
    pg.drawn = 1;
    pg.last = now;
}

void
progress_phase(const char *name, uint64_t total)
{
    if (!pg.on)
        return;
    pg.phase = name;
    pg.total = total;
    pg.done = 0;
    pg.started = mono_ns();
}

void
progress_step(uint64_t n)
{
    if (!pg.on)
        return;
    pg.done += n;
    long long now = mono_ns();
    if (!pg.drawn || now - pg.last >= REDRAW_NS)
        draw(now);
}

void
progress_end(void)
{
    if (!pg.on || !pg.drawn)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    pg.drawn = 0;
}
