/*
 * replica.c: the stream of batches on NATS JetStream (see replica.h). It
 * appends the leader's batches (the writer's store_log), brings a store to
 * the stream's end, and follows the stream on a standby. It knows neither
 * what a batch holds (store.c applies it) nor HTTP (http.c asks
 * replica_state).
 *
 * It also keeps the lease that says which node leads (replica.h).
 *
 * Locks: `mu` guards the state others read (replica_state); the NATS
 * connection is the library's (thread-safe). The leader's appends and
 * catch-ups run on the writer thread, a standby's on its follower thread;
 * the lease's revision is the lease thread's (set before it starts), its
 * last renewal an atomic the writer reads. A change of role is not made in
 * the process: restart() asks main to start it again.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

#include "config.h"
#include "log.h"
#include "replica.h"
#include "store.h"

#define FOLLOW_IDLE_MS 20   /* a standby's wait when it has applied the stream's end */
#define FOLLOW_ERROR_MS 500 /* ... after an error */
#define STATE_EVERY_MS 250  /* how often a busy standby asks the stream's last sequence */

struct replica {
    const struct config_replication *rc;
    natsConnection *nc;
    jsCtx *js;
    kvStore *kv;                 /* the lease's bucket */
    replica_applied_fn on_apply; /* replica_on_apply's */
    void *on_apply_ctx;
    char *bucket;
    struct store *store;
    int leads; /* fixed for the process's life: a change of role restarts it */
    int tool;  /* replica_attach_tool: appends without the lease */

    /* the lease (lease thread; lease_ok_us also read by the writer's appends) */
    uint64_t lease_rev;          /* the entry's revision as last seen (0: none) */
    _Atomic int64_t lease_ok_us; /* the leader's last renewal, monotonic */
    void (*restart)(const char *why);
    pthread_t leaser;
    int leasing;

    pthread_mutex_t mu;
    uint64_t applied, last;
    char leader_url[256];
    char leader[72]; /* the lease's holder ("" if none known) */
    char *url;       /* this node's (replica_set_url) */

    pthread_t follower;
    int following;
    _Atomic int stop;
};

static char *lease_bucket(const struct config_replication *rc);

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *
nats_why(natsStatus st, jsErrCode jerr)
{
    static _Thread_local char buf[160];
    const char *last = nats_GetLastError(NULL);
    snprintf(buf, sizeof(buf), "%s%s%s (jetstream error %d)", natsStatus_GetText(st),
             last ? ": " : "", last ? last : "", (int)jerr);
    return buf;
}

static enum seam_err
connect_to(const struct config_replication *rc, natsConnection **nc, jsCtx **js, char **why)
{
    natsOptions *o = NULL;
    natsStatus st = natsOptions_Create(&o);
    if (st == NATS_OK)
        st = natsOptions_SetServers(o, (const char **)rc->servers, (int)rc->nservers);
    if (st == NATS_OK)
        st = natsOptions_SetName(o, "seam");
    if (st == NATS_OK)
        st = natsOptions_SetTimeout(o, 2000);
    if (st == NATS_OK)
        st = natsOptions_SetMaxReconnect(o, -1); /* for ever: the servers come back */
    if (st == NATS_OK)
        st = natsOptions_SetReconnectWait(o, 100);
    /* Nothing published while the connection is down is kept to be sent once it is back (the
     * library's default keeps 8 MB): a batch, or a renewal of the lease, sent seconds late could
     * land after another node took the lease. A byte is too little for any message, so each
     * fails at once (0 would be the default). */
    if (st == NATS_OK)
        st = natsOptions_SetReconnectBufSize(o, 1);
    if (st == NATS_OK)
        st = natsConnection_Connect(nc, o);
    natsOptions_Destroy(o);
    if (st == NATS_OK) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = rc->publish_timeout_ms;
        st = natsConnection_JetStream(js, *nc, &jo);
        if (st != NATS_OK) {
            natsConnection_Destroy(*nc);
            *nc = NULL;
        }
    }
    if (st != NATS_OK) {
        *why = xasprintf("cannot reach the NATS servers: %s", nats_why(st, 0));
        return SEAM_EUNAVAIL;
    }
    return SEAM_OK;
}

enum seam_err
replica_open(const struct config_replication *rc, struct replica **out)
{
    struct replica *r = xcalloc(1, sizeof(*r));
    char *why = NULL;
    r->rc = rc;
    r->leads = strcmp(rc->node, rc->leader) == 0;
    pthread_mutex_init(&r->mu, NULL);
    if (connect_to(rc, &r->nc, &r->js, &why) != SEAM_OK) {
        log_warnx("replica: %s", why);
        free(why);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return SEAM_EUNAVAIL;
    }
    r->bucket = lease_bucket(rc);
    natsStatus st = js_KeyValue(&r->kv, r->js, r->bucket);
    if (st != NATS_OK)
        r->kv = NULL; /* replica_decide says so: seamctl's writes need no lease */
    *out = r;
    return SEAM_OK;
}

void
replica_close(struct replica *r)
{
    if (r == NULL)
        return;
    atomic_store(&r->stop, 1);
    if (r->following)
        pthread_join(r->follower, NULL);
    if (r->leasing)
        pthread_join(r->leaser, NULL);
    kvStore_Destroy(r->kv);
    free(r->bucket);
    jsCtx_Destroy(r->js);
    natsConnection_Destroy(r->nc);
    pthread_mutex_destroy(&r->mu);
    free(r->url);
    free(r);
}

int
replica_leads(const struct replica *r)
{
    return r->leads;
}

void
replica_set_url(struct replica *r, const char *url)
{
    pthread_mutex_lock(&r->mu);
    free(r->url);
    r->url = xstrdup(url);
    pthread_mutex_unlock(&r->mu);
}

void
replica_state(struct replica *r, struct replica_state *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&r->mu);
    out->leads = r->leads;
    out->applied = r->applied;
    out->last = r->last > r->applied ? r->last : r->applied;
    snprintf(out->leader, sizeof(out->leader), "%s", r->leader[0] ? r->leader : r->rc->leader);
    snprintf(out->leader_url, sizeof(out->leader_url), "%s",
             r->leads && r->url != NULL ? r->url : r->leader_url);
    pthread_mutex_unlock(&r->mu);
}

void
replica_on_apply(struct replica *r, replica_applied_fn fn, void *ctx)
{
    r->on_apply = fn;
    r->on_apply_ctx = ctx;
}

static void
set_applied(struct replica *r, uint64_t seq, natsMsg *m)
{
    const char *url = NULL;
    pthread_mutex_lock(&r->mu);
    r->applied = seq;
    if (m != NULL && r->leader[0] == '\0' && natsMsgHeader_Get(m, "Seam-Url", &url) == NATS_OK &&
        url != NULL)
        snprintf(r->leader_url, sizeof(r->leader_url), "%s", url);
    pthread_mutex_unlock(&r->mu);
}

enum seam_err
replica_stream_state(struct replica *r, uint64_t *first, uint64_t *last, uint64_t *msgs)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_GetStreamInfo(&si, r->js, r->rc->stream, NULL, &jerr);
    if (st != NATS_OK) {
        if (jerr == JSStreamNotFoundErr)
            return SEAM_ENOTFOUND;
        log_warnx("replica: stream=%s info: %s", r->rc->stream, nats_why(st, jerr));
        return SEAM_EUNAVAIL;
    }
    *first = si->State.FirstSeq;
    *last = si->State.LastSeq;
    *msgs = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    pthread_mutex_lock(&r->mu);
    r->last = *last;
    pthread_mutex_unlock(&r->mu);
    return SEAM_OK;
}

/*
 * The batch seq applied to the store: SEAM_OK (or held already), SEAM_ENOTFOUND
 * if the stream has no such message (yet, or no more), another error if it
 * cannot be read or applied.
 */
static enum seam_err
apply_one(struct replica *r, struct store *s, uint64_t seq)
{
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    natsStatus st = js_GetMsg(&m, r->js, r->rc->stream, seq, NULL, &jerr);
    if (st == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
        natsMsg_Destroy(m);
        return SEAM_ENOTFOUND;
    }
    if (st != NATS_OK) {
        log_warnx("replica: stream=%s seq=%llu cannot be read: %s", r->rc->stream,
                  (unsigned long long)seq, nats_why(st, jerr));
        natsMsg_Destroy(m);
        return SEAM_EUNAVAIL;
    }
    enum seam_err rc =
        store_log_apply(s, seq, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
    if (rc == SEAM_OK && r->on_apply != NULL)
        r->on_apply(r->on_apply_ctx, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
    if (rc == SEAM_EEXIST)
        rc = SEAM_OK;
    if (rc == SEAM_OK)
        set_applied(r, seq, m);
    else
        log_warnx("replica: stream=%s seq=%llu cannot be applied: %s", r->rc->stream,
                  (unsigned long long)seq, seam_strerror(rc));
    natsMsg_Destroy(m);
    return rc;
}

static enum seam_err
store_seq(struct store *s, uint64_t *seq)
{
    struct store_txn *t;
    enum seam_err rc = store_read_begin(s, &t);
    if (rc != SEAM_OK)
        return rc;
    rc = store_log_seq(t, seq);
    store_read_end(t);
    return rc;
}

enum seam_err
replica_catch_up(struct replica *r, struct store *s)
{
    uint64_t have, first, last, msgs;
    enum seam_err rc = store_seq(s, &have);
    if (rc != SEAM_OK)
        return rc;
    set_applied(r, have, NULL);
    if ((rc = replica_stream_state(r, &first, &last, &msgs)) != SEAM_OK) {
        if (rc == SEAM_ENOTFOUND)
            log_warnx("replica: no stream %s on the NATS servers: run 'seamctl replication init'",
                      r->rc->stream);
        return rc;
    }
    if (have > last) {
        log_warnx("replica: this store holds seq=%llu, past the stream's last=%llu: it does not "
                  "come from this stream",
                  (unsigned long long)have, (unsigned long long)last);
        return SEAM_ECORRUPT;
    }
    if (have < last && have + 1 < first) {
        log_warnx("replica: the stream no longer holds seq=%llu (its first is %llu): seed this "
                  "node from a newer backup",
                  (unsigned long long)(have + 1), (unsigned long long)first);
        return SEAM_ECORRUPT;
    }
    for (uint64_t seq = have + 1; seq <= last; seq++)
        if ((rc = apply_one(r, s, seq)) != SEAM_OK)
            return rc == SEAM_ENOTFOUND ? SEAM_EUNAVAIL : rc;
    if (last > have)
        log_info("replica: caught up stream=%s from=%llu to=%llu", r->rc->stream,
                 (unsigned long long)have, (unsigned long long)last);
    return SEAM_OK;
}

/* store_log's append: one message, fenced by the sequence the store holds. */
static enum seam_err
append(void *ctx, uint64_t after, const void *ws, size_t len, uint64_t *seq)
{
    struct replica *r = ctx;
    natsMsg *m = NULL;
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    jsPubOptions po;
    char expect[24];
    /* A leader unsure of its lease appends nothing: a standby may be taking over. */
    int64_t age_ms = (mono_us() - atomic_load(&r->lease_ok_us)) / 1000;
    if (!r->tool && r->kv != NULL && age_ms >= (int64_t)r->rc->lease_ms * 2 / 3) {
        log_warnx("replica: the lease was last renewed %lld ms ago; this batch is refused",
                  (long long)age_ms);
        return SEAM_EUNAVAIL;
    }
    int64_t max = natsConnection_GetMaxPayload(r->nc);
    if (max > 0 && (int64_t)len > max) {
        log_warnx("replica: a batch's write set of %zu bytes is larger than the NATS servers' "
                  "max_payload (%lld): raise it on every server; this batch is refused",
                  len, (long long)max);
        return SEAM_EUNAVAIL;
    }
    jsPubOptions_Init(&po);
    po.MaxWait = r->rc->publish_timeout_ms;
    po.ExpectStream = r->rc->stream;
    snprintf(expect, sizeof(expect), "%llu", (unsigned long long)after);
    natsStatus st = natsMsg_Create(&m, r->rc->subject, NULL, ws, (int)len);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, "Nats-Expected-Last-Sequence", expect);
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, "Seam-Node", r->rc->node);
    pthread_mutex_lock(&r->mu);
    if (st == NATS_OK && r->url != NULL)
        st = natsMsgHeader_Set(m, "Seam-Url", r->url);
    pthread_mutex_unlock(&r->mu);
    if (st == NATS_OK)
        st = js_PublishMsg(&pa, r->js, m, &po, &jerr);
    natsMsg_Destroy(m);
    if (st != NATS_OK) {
        if (jerr == JSStreamWrongLastSequenceErr) {
            /* Another writer appended (seamctl; a node that took over could not while this
             * one's lease is fresh, checked above): the writer catches up and tries again. */
            log_info("replica: the stream moved past seq=%llu: another writer appended; this "
                     "batch is made again after it",
                     (unsigned long long)after);
            return SEAM_ESTALE;
        }
        log_warnx("replica: the stream did not take the batch after seq=%llu: %s",
                  (unsigned long long)after, nats_why(st, jerr));
        return SEAM_EUNAVAIL;
    }
    *seq = pa->Sequence;
    jsPubAck_Destroy(pa);
    set_applied(r, *seq, NULL);
    return SEAM_OK;
}

static enum seam_err
writer_catch_up(void *ctx)
{
    struct replica *r = ctx;
    return replica_catch_up(r, r->store);
}

void
replica_attach(struct replica *r, struct store *s)
{
    struct store_log lg = {.append = append, .catch_up = writer_catch_up, .ctx = r};
    r->store = s;
    store_writer_log(s, &lg);
}

void
replica_attach_tool(struct replica *r, struct store *s)
{
    r->tool = 1;
    replica_attach(r, s);
}

static void *
follow_main(void *arg)
{
    struct replica *r = arg;
    int64_t last_state = 0;
    int failing = 0;
    while (!atomic_load(&r->stop)) {
        uint64_t have, first, last, msgs;
        enum seam_err rc = store_seq(r->store, &have);
        if (rc == SEAM_OK && mono_us() - last_state >= STATE_EVERY_MS * 1000) {
            last_state = mono_us();
            if (replica_stream_state(r, &first, &last, &msgs) == SEAM_OK && have + 1 < first &&
                have < last && !failing)
                log_warnx("replica: the stream no longer holds seq=%llu (its first is %llu): "
                          "seed this node from a newer backup",
                          (unsigned long long)(have + 1), (unsigned long long)first);
        }
        if (rc == SEAM_OK)
            rc = apply_one(r, r->store, have + 1);
        if (rc == SEAM_OK) {
            failing = 0;
            continue;
        }
        if (rc == SEAM_ENOTFOUND) {
            pthread_mutex_lock(&r->mu);
            if (r->last > have)
                r->last = have; /* nothing past it, or the next look says otherwise */
            pthread_mutex_unlock(&r->mu);
            sleep_ms(FOLLOW_IDLE_MS);
            continue;
        }
        failing = 1;
        sleep_ms(FOLLOW_ERROR_MS);
    }
    return NULL;
}

enum seam_err
replica_follow_start(struct replica *r, struct store *s)
{
    r->store = s;
    atomic_store(&r->stop, 0);
    if (pthread_create(&r->follower, NULL, follow_main, r) != 0)
        return SEAM_EIO;
    r->following = 1;
    return SEAM_OK;
}

/* ---- the lease: a key of a JetStream key-value bucket, updated by revision ---- */

static const char LEASE_KEY[] = "leader";

static char *
lease_bucket(const struct config_replication *rc)
{
    return xasprintf("%s-lease", rc->stream);
}

/* The lease's entry: its holder, its address and its revision; SEAM_ENOTFOUND if none. */
static enum seam_err
lease_read(struct replica *r, char *holder, size_t hcap, char *url, size_t ucap, uint64_t *rev)
{
    kvEntry *e = NULL;
    natsStatus st = kvStore_Get(&e, r->kv, LEASE_KEY);
    if (st == NATS_NOT_FOUND)
        return SEAM_ENOTFOUND;
    if (st != NATS_OK)
        return SEAM_EUNAVAIL;
    const char *v = kvEntry_ValueString(e);
    const char *sp = v ? strchr(v, ' ') : NULL;
    size_t n = sp ? (size_t)(sp - v) : (v ? strlen(v) : 0);
    snprintf(holder, hcap, "%.*s", (int)(n < hcap ? n : hcap - 1), v ? v : "");
    snprintf(url, ucap, "%s", sp ? sp + 1 : "");
    *rev = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    return SEAM_OK;
}

static char *
lease_value(struct replica *r)
{
    pthread_mutex_lock(&r->mu);
    char *v = xasprintf("%s %s", r->rc->node, r->url ? r->url : "");
    pthread_mutex_unlock(&r->mu);
    return v;
}

/* Takes the lease: created if there is none, else updated from revision `last`. */
static enum seam_err
lease_take(struct replica *r, int create, uint64_t last)
{
    char *v = lease_value(r);
    uint64_t rev = 0;
    natsStatus st = create ? kvStore_CreateString(&rev, r->kv, LEASE_KEY, v)
                           : kvStore_UpdateString(&rev, r->kv, LEASE_KEY, v, last);
    free(v);
    if (st != NATS_OK)
        return SEAM_ECONFLICT;
    r->lease_rev = rev;
    atomic_store(&r->lease_ok_us, mono_us());
    pthread_mutex_lock(&r->mu);
    snprintf(r->leader, sizeof(r->leader), "%s", r->rc->node);
    pthread_mutex_unlock(&r->mu);
    return SEAM_OK;
}

enum seam_err
replica_lease_holder(struct replica *r, char *holder, size_t hcap, char *url, size_t ucap)
{
    uint64_t rev;
    if (r->kv == NULL)
        return SEAM_EUNAVAIL;
    return lease_read(r, holder, hcap, url, ucap, &rev);
}

enum seam_err
replica_decide(struct replica *r)
{
    char holder[72], url[256];
    uint64_t rev = 0;
    if (r->kv == NULL) {
        log_warnx("replica: no lease bucket %s on the NATS servers: run 'seamctl replication "
                  "init'",
                  r->bucket);
        return SEAM_EUNAVAIL;
    }
    enum seam_err rc = lease_read(r, holder, sizeof(holder), url, sizeof(url), &rev);
    if (rc == SEAM_EUNAVAIL) {
        log_warnx("replica: cannot read the lease in bucket %s", r->bucket);
        return rc;
    }
    r->leads = 0;
    if (rc == SEAM_ENOTFOUND) {
        /* none yet: the configured leader takes it; the others wait (and take it if it does
         * not come within the lease) */
        if (strcmp(r->rc->node, r->rc->leader) == 0 && lease_take(r, 1, 0) == SEAM_OK)
            r->leads = 1;
    } else if (strcmp(holder, r->rc->node) == 0) {
        /* ours: this process took it over, or it was ours before a restart that came before
         * any standby took it */
        if (lease_take(r, 0, rev) == SEAM_OK)
            r->leads = 1;
    }
    if (!r->leads) {
        r->lease_rev = rc == SEAM_OK ? rev : 0;
        pthread_mutex_lock(&r->mu);
        snprintf(r->leader, sizeof(r->leader), "%s", rc == SEAM_OK ? holder : "");
        if (rc == SEAM_OK && url[0] != '\0')
            snprintf(r->leader_url, sizeof(r->leader_url), "%s", url);
        pthread_mutex_unlock(&r->mu);
    }
    return SEAM_OK;
}

/*
 * The lease thread. The leader renews the lease every third of lease_ms; if
 * another node holds it when it renews, it restarts (as a standby). A
 * standby reads it as often: an entry whose revision has not changed for
 * lease_ms (or no entry) means the leader is gone, and the standby, once
 * its store is at the stream's end, takes it by revision (of those that
 * try, one wins) and restarts as the leader.
 */
/*
 * The leader's store behind the stream: a batch seamctl appended (replica_attach_tool). The
 * writer takes it now, not at its next write, so that reads see it (a token just issued).
 */
static void
leader_behind(struct replica *r)
{
    uint64_t have, first, last, msgs;
    if (store_seq(r->store, &have) == SEAM_OK &&
        replica_stream_state(r, &first, &last, &msgs) == SEAM_OK && last > have)
        store_log_behind(r->store);
}

static void *
lease_main(void *arg)
{
    struct replica *r = arg;
    const long period = (long)r->rc->lease_ms / (r->leads ? 3 : 4);
    int64_t changed_us = mono_us();
    uint64_t seen = r->lease_rev;
    while (!atomic_load(&r->stop)) {
        sleep_ms(period);
        char holder[72], url[256];
        uint64_t rev = 0;
        if (r->leads) {
            char *v = lease_value(r);
            natsStatus st = kvStore_UpdateString(&rev, r->kv, LEASE_KEY, v, r->lease_rev);
            free(v);
            if (st == NATS_OK) {
                r->lease_rev = rev;
                atomic_store(&r->lease_ok_us, mono_us());
                leader_behind(r);
                continue;
            }
            if (lease_read(r, holder, sizeof(holder), url, sizeof(url), &rev) != SEAM_OK ||
                rev == r->lease_rev)
                continue; /* the servers cannot be reached: appends stop once the lease is old */
            if (strcmp(holder, r->rc->node) == 0) {
                /* our renewal was stored, its answer lost */
                r->lease_rev = rev;
                atomic_store(&r->lease_ok_us, mono_us());
                continue;
            }
            char *why = xasprintf("the lease is node %s's now", holder);
            r->restart(why);
            free(why);
            return NULL;
        }
        enum seam_err rc = lease_read(r, holder, sizeof(holder), url, sizeof(url), &rev);
        if (rc == SEAM_EUNAVAIL)
            continue;
        if (rc == SEAM_OK && rev != seen) {
            seen = rev;
            changed_us = mono_us();
            pthread_mutex_lock(&r->mu);
            snprintf(r->leader, sizeof(r->leader), "%s", holder);
            snprintf(r->leader_url, sizeof(r->leader_url), "%s", url);
            pthread_mutex_unlock(&r->mu);
            continue;
        }
        if (rc == SEAM_OK && (mono_us() - changed_us) / 1000 < (int64_t)r->rc->lease_ms)
            continue;
        if (rc == SEAM_ENOTFOUND && (mono_us() - changed_us) / 1000 < (int64_t)r->rc->lease_ms)
            continue;
        /* The leader is gone: to the stream's end, then the lease. */
        pthread_mutex_lock(&r->mu);
        r->leader_url[0] = '\0'; /* writes answer 503 not_leader meanwhile */
        pthread_mutex_unlock(&r->mu);
        log_warnx("replica: the lease of node %s was not renewed for %u ms: taking over",
                  rc == SEAM_OK ? holder : "(none)", r->rc->lease_ms);
        if (replica_catch_up(r, r->store) != SEAM_OK)
            continue;
        if (lease_take(r, rc == SEAM_ENOTFOUND, seen) == SEAM_OK) {
            r->restart("this node took the lease");
            return NULL;
        }
        changed_us = mono_us(); /* another took it first */
    }
    return NULL;
}

enum seam_err
replica_lease_start(struct replica *r, struct store *s, void (*restart)(const char *why))
{
    r->store = s;
    r->restart = restart;
    if (pthread_create(&r->leaser, NULL, lease_main, r) != 0)
        return SEAM_EIO;
    r->leasing = 1;
    return SEAM_OK;
}

enum seam_err
replica_stream_init(const struct config_replication *rc, int *created, char **why)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    jsPubAck *pa = NULL;
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    enum seam_err err = connect_to(rc, &nc, &js, why);
    if (err != SEAM_OK)
        return err;
    *created = 0;
    /* The lease's bucket first (created, or found as it is). */
    kvConfig kc;
    kvStore *kv = NULL;
    char *bucket = lease_bucket(rc);
    kvConfig_Init(&kc);
    kc.Bucket = bucket;
    kc.History = 1;
    kc.Replicas = (int)rc->replicas;
    kc.StorageType = js_FileStorage;
    natsStatus st = js_KeyValue(&kv, js, bucket);
    if (st != NATS_OK)
        st = js_CreateKeyValue(&kv, js, &kc);
    kvStore_Destroy(kv);
    if (st != NATS_OK) {
        *why = xasprintf("cannot create the lease's bucket %s: %s", bucket, nats_why(st, 0));
        free(bucket);
        err = SEAM_EUNAVAIL;
        goto out;
    }
    free(bucket);
    st = js_GetStreamInfo(&si, js, rc->stream, NULL, &jerr);
    if (st == NATS_OK) {
        jsStreamInfo_Destroy(si);
        goto out;
    }
    if (jerr != JSStreamNotFoundErr) {
        *why = xasprintf("cannot ask for stream %s: %s", rc->stream, nats_why(st, jerr));
        err = SEAM_EUNAVAIL;
        goto out;
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[1] = {rc->subject};
    sc.Name = rc->stream;
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Retention = js_LimitsPolicy;
    sc.Storage = js_FileStorage;
    sc.Replicas = rc->replicas;
    sc.Discard = js_DiscardOld;
    sc.MaxAge = (int64_t)rc->max_age_days * 86400 * 1000000000LL;
    jerr = 0;
    st = js_AddStream(&si, js, &sc, NULL, &jerr);
    if (st != NATS_OK) {
        *why = xasprintf("cannot create stream %s (replicas %u): %s", rc->stream, rc->replicas,
                         nats_why(st, jerr));
        err = SEAM_EUNAVAIL;
        goto out;
    }
    jsStreamInfo_Destroy(si);
    /* The first batch, empty: the brokers' appends then always expect a sequence of 1 or more. */
    static const char empty[4] = {'S', 'W', 'S', '1'};
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.ExpectStream = rc->stream;
    st = natsMsg_Create(&m, rc->subject, NULL, empty, sizeof(empty));
    if (st == NATS_OK)
        st = natsMsgHeader_Set(m, "Seam-Node", "seamctl");
    jerr = 0;
    if (st == NATS_OK)
        st = js_PublishMsg(&pa, js, m, &po, &jerr);
    if (st != NATS_OK || pa->Sequence != 1) {
        *why = xasprintf("stream %s created, but its first batch was not appended as sequence 1: "
                         "%s",
                         rc->stream, st != NATS_OK ? nats_why(st, jerr) : "another came first");
        err = SEAM_EUNAVAIL;
        goto out;
    }
    *created = 1;
out:
    jsPubAck_Destroy(pa);
    natsMsg_Destroy(m);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return err;
}
