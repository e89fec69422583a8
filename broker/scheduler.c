/*
 * scheduler.c: SLA warnings and breaches (see scheduler.h). The thread
 * looks at the earliest due instant; when it has come it queues one job
 * that handles every instant due by then, through the writer, and waits for
 * that job before looking again, so an instant is never handled twice.
 * Between looks it sleeps until the next instant, at most a second.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fanout.h"
#include "log.h"
#include "reload.h"
#include "scheduler.h"
#include "sla.h"
#include "ticket.h"

#define BATCH 256

struct scheduler {
    struct server *srv;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping, kicked, job_done, job_failed;
};

struct due_job {
    struct store_job job;
    struct scheduler *s;
    int64_t now;
    struct ticket *changed; /* tickets to announce after the commit */
    size_t nchanged;
    json_t *parked; /* instants set aside, to log after the commit */
};

struct due_batch {
    int64_t now;
    size_t n;
    struct sla_due due[BATCH];
};

static int
collect_due(void *ctx, const struct sla_due *d)
{
    struct due_batch *b = ctx;
    if (d->at > b->now || b->n == BATCH)
        return 1;
    b->due[b->n++] = *d;
    return 0;
}

/* One due instant, in a transaction of its own within the job's (store_nested). */
struct due_item {
    const struct ticket_ctx *c;
    const struct principal *who;
    const struct ticket_action_req *a;
    struct ticket tk;
    struct ticket_refusal why;
};

static enum seam_err
due_item_apply(struct store_txn *t, void *arg)
{
    struct due_item *it = arg;
    ticket_free(&it->tk);
    return ticket_act(t, it->c, it->who, it->a, &it->tk, &it->why);
}

static _Atomic uint64_t parked_total;

uint64_t
scheduler_parked_total(void)
{
    return atomic_load(&parked_total);
}

/*
 * An instant whose ticket cannot be worked (its record unreadable, or the
 * change it makes refused by the writer): out of the due index, so that it
 * is not tried again and again and the others go on, into sla's parked
 * instants for the lead (sla_park; seamctl verify lists them); logged once,
 * after the commit (due_done).
 */
static enum seam_err
park(struct store_txn *t, const struct sla_due *d, enum seam_err why, json_t *parked)
{
    char due[32];
    enum seam_err rc = sla_park(t, d, why);
    format_time_ms(d->at, due);
    if (rc == SEAM_OK)
        json_array_append_new(parked,
                              json_sprintf("ticket=%s assignment=%s kind=%s due=%s "
                                           "error=\"%s\"",
                                           d->ticket, d->assignment, sla_kind_names[d->kind], due,
                                           seam_strerror(why)));
    return rc;
}

static void
changed_free(struct due_job *dj)
{
    for (size_t i = 0; i < dj->nchanged; i++)
        ticket_free(&dj->changed[i]);
    free(dj->changed);
    dj->changed = NULL;
    dj->nchanged = 0;
}

static enum seam_err
due_apply(struct store_txn *t, struct store_job *job)
{
    struct due_job *dj = (struct due_job *)job;
    struct server *srv = dj->s->srv;
    /* The configuration in force when the job runs, held until it ends (reload.h). */
    struct snapshot *snap = snapshot_hold();
    struct ticket_ctx c = {snap->cfg, &srv->lg, snap->sla};
    struct principal broker = {.role = ROLE_BROKER};
    struct due_batch *b = xcalloc(1, sizeof(*b));
    enum seam_err rc;
    snprintf(broker.subject, sizeof(broker.subject), "sla");
    changed_free(dj);
    json_decref(dj->parked);
    dj->parked = json_array();
    b->now = dj->now;
    if ((rc = sla_due_each(t, collect_due, b)) != SEAM_OK)
        goto out;
    for (size_t i = 0; i < b->n; i++) {
        const struct sla_due *d = &b->due[i];
        struct ticket_action_req a = {
            .kind = TA_SLA, .target = d->assignment, .reason = (int)d->kind, .due_ms = d->at};
        struct due_item it = {.c = &c, .who = &broker, .a = &a, .tk = {.nassignments = 0}};
        /* Each instant on its own: one ticket's failure undoes only its own writes. */
        rc = store_nested(t, due_item_apply, &it);
        if (rc == SEAM_OK) {
            dj->changed = xrealloc(dj->changed, (dj->nchanged + 1) * sizeof(*dj->changed));
            dj->changed[dj->nchanged++] = it.tk;
            continue;
        }
        ticket_free(&it.tk);
        if (rc == SEAM_ECONFLICT || rc == SEAM_ENOTFOUND) {
            /* Stale (the clock moved or stopped): the entry just goes. */
            rc = sla_due_drop(t, d);
        } else if (rc == SEAM_ECORRUPT || rc == SEAM_EINVAL || rc == SEAM_ECRYPTO) {
            /* This ticket's own fault: set it aside and go on with the others. */
            rc = park(t, d, rc, dj->parked);
        }
        if (rc != SEAM_OK)
            goto out; /* the storage's: the whole job fails and is tried again */
    }
    rc = SEAM_OK;
out:
    free(b);
    snapshot_drop(snap);
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
    else
        json_array_foreach(dj->parked, i, r)
        {
            /* Once: the entry left the due index in this commit. */
            atomic_fetch_add(&parked_total, 1);
            log_warnx("sla: instant parked %s (not retried; the lead must look at this ticket)",
                      json_string_value(r));
        }
    for (i = 0; i < dj->nchanged; i++)
        fanout_ticket_committed(&dj->changed[i]);
    pthread_mutex_lock(&s->mu);
    s->job_done = 1;
    s->job_failed = job->rc != SEAM_OK;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static int
first_due(void *ctx, const struct sla_due *d)
{
    *(int64_t *)ctx = d->at;
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
            if (sla_due_each(t, first_due, &next) != SEAM_OK)
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
                if (!s->job_failed)
                    continue;
                next = INT64_MAX; /* a failed job (the storage's fault): a second's pause */
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
    changed_free(&dj);
    json_decref(dj.parked);
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
