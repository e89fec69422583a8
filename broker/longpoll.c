/*
 * longpoll.c: parked long-poll requests (see longpoll.h). One mutex guards
 * the owners' versions and the parked list; one thread fills and resumes.
 * The number of owners is the number of partners plus the lead, so a list
 * is enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "longpoll.h"

struct owner_version {
    char *owner;
    uint64_t version;
    struct owner_version *next;
};

struct parked {
    struct req *r;
    char *owner;
    uint64_t seen;
    int64_t deadline_ms;
    longpoll_fill_fn fill;
    struct parked *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct owner_version *versions;
static struct parked *parked;
static int running, stopping;
static pthread_t thread;

/* Called with mu held. */
static struct owner_version *
version_of(const char *owner)
{
    for (struct owner_version *v = versions; v; v = v->next)
        if (strcmp(v->owner, owner) == 0)
            return v;
    struct owner_version *v = xcalloc(1, sizeof(*v));
    v->owner = xstrdup(owner);
    v->next = versions;
    versions = v;
    return v;
}

uint64_t
longpoll_version(const char *owner)
{
    pthread_mutex_lock(&mu);
    uint64_t v = version_of(owner)->version;
    pthread_mutex_unlock(&mu);
    return v;
}

void
longpoll_park(struct req *r, const char *owner, uint64_t seen, int64_t deadline_ms,
              longpoll_fill_fn fill)
{
    struct parked *p = xcalloc(1, sizeof(*p));
    p->r = r;
    p->owner = xstrdup(owner);
    p->seen = seen;
    p->deadline_ms = deadline_ms;
    p->fill = fill;
    http_suspend(r);
    pthread_mutex_lock(&mu);
    p->next = parked;
    parked = p;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

void
longpoll_notify(const char *owner)
{
    pthread_mutex_lock(&mu);
    version_of(owner)->version++;
    if (parked != NULL) /* no one waits: no need to wake the thread */
        pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

/* Takes out the requests that are due (or all when stopping); mu held. */
static struct parked *
take_due(int64_t now, int64_t *next_deadline)
{
    struct parked *due = NULL, **pp = &parked;
    *next_deadline = now + 60000;
    while (*pp) {
        struct parked *p = *pp;
        if (stopping || p->deadline_ms <= now || version_of(p->owner)->version != p->seen) {
            *pp = p->next;
            p->next = due;
            due = p;
        } else {
            if (p->deadline_ms < *next_deadline)
                *next_deadline = p->deadline_ms;
            pp = &p->next;
        }
    }
    return due;
}

static void *
longpoll_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    for (;;) {
        int64_t next;
        struct parked *due = take_due(now_ms(), &next);
        if (due != NULL) {
            pthread_mutex_unlock(&mu);
            for (struct parked *p = due, *n; p; p = n) {
                n = p->next;
                p->fill(p->r);
                http_resume(p->r);
                free(p->owner);
                free(p);
            }
            pthread_mutex_lock(&mu);
            continue;
        }
        if (stopping)
            break;
        struct timespec ts = {.tv_sec = (time_t)(next / 1000),
                              .tv_nsec = (long)(next % 1000) * 1000000};
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

void
longpoll_start(void)
{
    /* The deadlines are wall-clock; so is the condition variable's default. */
    stopping = 0;
    if (pthread_create(&thread, NULL, longpoll_main, NULL) != 0)
        fatalx("cannot start the long-poll thread");
    running = 1;
}

void
longpoll_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    running = 0;
    while (versions) {
        struct owner_version *v = versions;
        versions = v->next;
        free(v->owner);
        free(v);
    }
}
