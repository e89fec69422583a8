/*
 * tap.h: a tiny TAP harness after h2o's picotest. ok() prints "ok N - name"
 * or "not ok N - name" with the file and line; done_testing() prints the
 * plan and returns the exit status (non-zero if anything failed).
 */
#ifndef SEAM_TAP_H
#define SEAM_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
    do {                                                                                           \
        int ok_c_ = !!(cond);                                                                      \
        tap_n++;                                                                                   \
        if (!ok_c_)                                                                                \
            tap_failed++;                                                                          \
        printf("%sok %d - ", ok_c_ ? "" : "not ", tap_n);                                          \
        printf(__VA_ARGS__);                                                                       \
        printf(ok_c_ ? "\n" : " (%s:%d)\n", __FILE__, __LINE__);                                   \
        fflush(stdout);                                                                            \
    } while (0)

static inline int
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

/* A new directory under /tmp for a test's store (malloc'd), or NULL. */
static inline char *
tap_tmpdir(void)
{
    char tmpl[] = "/tmp/seam-unit.XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

/* Removes a directory made by tap_tmpdir and everything in it. */
static inline void
tap_rmtree(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", d);
}

#endif
