/*
 * scheduler.c: SLA warnings and breaches (see scheduler.h). The thread
 * looks at the earliest due instant; when it has come it queues one job
 * that handles every instant due by then, through the writer, and waits for
 * that job before looking again, so an instant is never handled twice.
 * Between looks it sleeps until the next instant, at most a second.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "log.h"
#include "scheduler.h"
#include "sla.h"
#include "ticket.h"

#define BATCH 256

struct scheduler {
    struct server *srv;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping, kicked, job_done;
};

struct due_job {
    struct store_job job;
    struct scheduler *s;
    int64_t now;
    json_t *changed; /* tickets to announce after the commit */
};

struct due_batch {
    int64_t now;
    size_t n;
    uint8_t keys[BATCH][SLA_DUE_KEY_LEN];
};

static int
collect_due(void *ctx, struct store_val k, struct store_val v)
{
    struct due_batch *b = ctx;
    if (k.len != SLA_DUE_KEY_LEN || v.len != 21)
        return 0;
    if ((int64_t)be64_get(k.data) > b->now || b->n == BATCH)
        return 1;
    memcpy(b->keys[b->n++], k.data, SLA_DUE_KEY_LEN);
    return 0;
}

static enum seam_err
due_apply(struct store_txn *t, struct store_job *job)
{
    struct due_job *dj = (struct due_job *)job;
    struct server *srv = dj->s->srv;
    struct ticket_ctx c = {srv->cfg, &srv->lg, srv->sla};
    struct principal broker = {.role = ROLE_BROKER};
    struct due_batch *b = xcalloc(1, sizeof(*b));
    enum seam_err rc;
    snprintf(broker.subject, sizeof(broker.subject), "sla");
    json_decref(dj->changed);
    dj->changed = json_array();
    b->now = dj->now;
    if ((rc = store_scan(t, DB_DUE, NULL, 0, 0, collect_due, b)) != SEAM_OK)
        goto out;
    for (size_t i = 0; i < b->n; i++) {
        const uint8_t *key = b->keys[i];
        char aid[22];
        memcpy(aid, key + 9, 21);
        aid[21] = '\0';
        struct ticket_action_req a = {.kind = TA_SLA,
                                      .target = aid,
                                      .reason = sla_kind_names[key[8] % SLA_KINDS],
                                      .due_ms = (int64_t)be64_get(key)};
        struct ticket_refusal why;
        json_t *record = NULL;
        rc = ticket_act(t, &c, &broker, &a, &record, &why);
        if (rc == SEAM_OK) {
            json_array_append_new(dj->changed, record);
        } else if (rc == SEAM_ECONFLICT || rc == SEAM_ENOTFOUND) {
            /* Stale (the clock moved or stopped): the entry just goes. */
            if ((rc = sla_drop(t, key, SLA_DUE_KEY_LEN)) != SEAM_OK)
                goto out;
        } else {
            goto out;
        }
    }
    rc = SEAM_OK;
out:
    free(b);
    return rc;
}

static void
due_done(struct store_job *job)
{
    struct due_job *dj = (struct due_job *)job;
    struct scheduler *s = dj->s;
    json_t *r;
    size_t i;
    if (job->rc != SEAM_OK)
        log_warnx("sla: emitting due instants failed error=\"%s\"", seam_strerror(job->rc));
    json_array_foreach(dj->changed, i, r)
    {
        api_notify_owners(s->srv, r);
    }
    pthread_mutex_lock(&s->mu);
    s->job_done = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static int
first_due(void *ctx, struct store_val k, struct store_val v)
{
    (void)v;
    if (k.len == SLA_DUE_KEY_LEN)
        *(int64_t *)ctx = (int64_t)be64_get(k.data);
    return 1;
}

static void *
scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    struct due_job dj = {.s = s};
    dj.job.apply = due_apply;
    dj.job.done = due_done;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->mu);
        int64_t next = INT64_MAX, now = now_ms();
        struct store_txn *t;
        if (store_read_begin(s->srv->store, &t) == SEAM_OK) {
            if (store_scan(t, DB_DUE, NULL, 0, 0, first_due, &next) != SEAM_OK)
                next = INT64_MAX;
            store_read_end(t);
        }
        pthread_mutex_lock(&s->mu);
        if (next <= now && !s->stopping) {
            dj.now = now;
            s->job_done = 0;
            if (store_submit(s->srv->store, &dj.job) == SEAM_OK) {
                while (!s->job_done)
                    pthread_cond_wait(&s->cv, &s->mu);
                continue;
            }
        }
        int64_t wait = next == INT64_MAX || next - now > 1000 ? 1000 : next - now;
        if (wait < 10)
            wait = 10;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + wait * 1000000;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        s->kicked = 0;
        while (!s->kicked && !s->stopping && pthread_cond_timedwait(&s->cv, &s->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&s->mu);
    json_decref(dj.changed);
    return NULL;
}

struct scheduler *
scheduler_start(struct server *srv)
{
    struct scheduler *s = xcalloc(1, sizeof(*s));
    s->srv = srv;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0)
        fatalx("cannot start the SLA scheduler");
    return s;
}

void
scheduler_kick(struct scheduler *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->kicked = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void
scheduler_stop(struct scheduler *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}
