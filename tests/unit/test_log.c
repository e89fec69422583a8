/*
 * test_log.c: the log's buffer. Request lines (log_access) may wait; any
 * other line writes them out first, so the order of lines is the order of
 * the calls; what waits is written within the interval, at a stop and when
 * the buffer fills; lines from several threads stay whole.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char path[] = "/tmp/seam-unit-log.XXXXXX";

/* The log file's text so far (malloc'd). */
static char *
slurp(void)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return strdup("");
    static char text[1 << 22];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    return strdup(text);
}

/* Whether a comes before b in text, both present. */
static int
before(const char *text, const char *a, const char *b)
{
    const char *pa = strstr(text, a), *pb = strstr(text, b);
    return pa != NULL && pb != NULL && pa < pb;
}

static void *
burst(void *arg)
{
    int t = (int)(long)arg;
    for (int i = 0; i < 2000; i++)
        log_access("thread=%d line=%d %s", t, i, "padding-padding-padding-padding-padding");
    return NULL;
}

int
main(void)
{
    int fd = mkstemp(path);
    if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
        return 1;
    log_init(0);
    ok(log_buffer_start(1000) == 0, "the buffer starts");

    log_access("req=one");
    log_access("req=two");
    char *t = slurp();
    ok(strstr(t, "req=one") == NULL, "a request line waits in the buffer");
    free(t);
    log_warnx("a warning");
    t = slurp();
    ok(before(t, "req=one", "req=two") && before(t, "req=two", "a warning"),
       "a warning writes the waiting lines first, in the order of the calls");
    free(t);

    log_access("req=three");
    log_info("an info line");
    t = slurp();
    ok(before(t, "req=three", "an info line"), "so does an info line");
    free(t);

    /* Many lines from four threads: none lost, none torn. */
    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, burst, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    t = slurp();
    ok(strstr(t, "thread=0 line=0 ") != NULL, "a full buffer is written without waiting");
    free(t);
    log_access("req=last");
    log_buffer_stop();
    t = slurp();
    int whole = 1, count = 0;
    for (char *line = strtok(t, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strstr(line, " thread=") == NULL)
            continue;
        count++;
        if (strstr(line, " info thread=") == NULL || strstr(line, "padding-padding") == NULL)
            whole = 0;
    }
    ok(count == 8000, "every line of four threads is written (%d of 8000)", count);
    ok(whole, "each line is whole");
    free(t);
    t = slurp();
    ok(strstr(t, "req=last") != NULL, "stopping writes what waits");
    free(t);

    /* Written within the interval without any other line. */
    ok(log_buffer_start(20) == 0, "the buffer starts again");
    log_access("req=later");
    int seen = 0;
    for (int i = 0; i < 100 && !seen; i++) {
        usleep(10 * 1000);
        t = slurp();
        seen = strstr(t, "req=later") != NULL;
        free(t);
    }
    ok(seen, "a waiting line is written within its interval");
    log_buffer_stop();

    /* Without the buffer (seamctl), every line is written at once. */
    log_access("req=unbuffered");
    t = slurp();
    ok(strstr(t, "req=unbuffered") != NULL, "without the buffer a request line is written at once");
    free(t);
    unlink(path);
    return done_testing();
}
