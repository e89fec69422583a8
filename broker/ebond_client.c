/*
 * ebond_client.c: seam's side of a tmf621 partner's system above the store
 * (ebond_client.h). One thread registers seam's hub listener at each
 * partner that has a callback_url, and polls the claims' TroubleTickets at
 * each partner that has none; one blocking curl handle per call. The
 * capability is stored (its hash) before the partner hears of it, so no
 * callback can come before seam knows it; a registration that fails is
 * tried again, with a new capability, after a growing wait (5 s to 5 min),
 * and the listener before is removed at the partner's. A TroubleTicket, a
 * callback's or a poll's, becomes its claim's actions here (ebond_apply),
 * through the state machine, as the partner: once per status, by the
 * partner's status map; a status the map does not know flags the ticket for
 * the lead. The link of a claim to its TroubleTicket is signed
 * (ebond_link_record) when it is first known.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "ebond.h"
#include "ebond_client.h"
#include "fanout.h"
#include "log.h"
#include "reload.h"

/* ---- links ---- */

struct link_job {
    const struct ticket_ctx *c;
    const char *aid, *remote;
    struct ticket tk;
};

static enum seam_err
link_apply(struct store_txn *t, void *arg)
{
    struct link_job *l = arg;
    struct principal broker = {.role = ROLE_BROKER};
    struct ticket_refusal why;
    struct ticket_action_req a = {.kind = TA_LINK, .target = l->aid, .text = l->remote};
    snprintf(broker.subject, sizeof(broker.subject), "ebond");
    ticket_free(&l->tk);
    return ticket_act(t, l->c, &broker, &a, &l->tk, &why);
}

enum seam_err
ebond_link_record(struct store_txn *t, const struct ticket_ctx *c, const char *assignment,
                  const char *remote)
{
    enum seam_err rc = ebond_link_put(t, assignment, remote);
    if (rc != SEAM_OK)
        return rc;
    struct link_job l = {c, assignment, remote, {.nassignments = 0}};
    rc = store_nested(t, link_apply, &l);
    ticket_free(&l.tk);
    /* A claim that ended meanwhile keeps the link, unsigned: nothing more happens to it. */
    return rc == SEAM_ECONFLICT || rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}

struct live_ctx {
    struct store_txn *t;
    const char *partner;
    json_t *out;
};

static int
live_one(void *arg, const char *aid, const char *remote)
{
    struct live_ctx *l = arg;
    char tid[TICKET_ID_LEN + 1];
    struct ticket tk;
    if (ticket_of_assignment(l->t, aid, tid) != SEAM_OK || ticket_load(l->t, tid, &tk) != SEAM_OK)
        return 0;
    const struct assignment *a = ticket_find_assignment(&tk, aid);
    if (a != NULL && strcmp(a->partner, l->partner) == 0 && assignment_is_live(a))
        json_array_append_new(l->out, json_pack("{s:s, s:s}", "assignment", aid, "remote", remote));
    ticket_free(&tk);
    return 0;
}

enum seam_err
ebond_live_links(struct store_txn *t, const char *partner, json_t **links)
{
    struct live_ctx l = {t, partner, json_array()};
    enum seam_err rc = ebond_links_each(t, live_one, &l);
    if (rc != SEAM_OK) {
        json_decref(l.out);
        return rc;
    }
    *links = l.out;
    return SEAM_OK;
}

#define MAX_TRACKED 64 /* tmf621 partners followed at once */

struct tracked {
    char id[64];
    int64_t next_at; /* the next registration try or poll */
    int64_t wait_ms; /* the registration's backoff */
    int registered;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct server *srv;
static pthread_t thread;
static int running, stopping;
static struct tracked tracked[MAX_TRACKED];
static size_t ntracked;

/* What /metrics shows of each tmf621 partner since start (ebond_client_metrics): its own lock,
 * for the callbacks' HTTP threads count too. */
struct ebond_stats {
    char id[64];
    int listener;                      /* -1 polled, 0 not registered, 1 registered */
    uint64_t calls_ok, calls_failed;   /* calls to the partner's TMF621 API */
    uint64_t ev[EBOND_EVENT_OUTCOMES]; /* its TroubleTickets turned into actions, by outcome */
};
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ebond_stats stats[MAX_TRACKED];
static size_t nstats;

/* p's entry, stats_mu held; NULL once MAX_TRACKED partners are counted. */
static struct ebond_stats *
stats_of(const char *id)
{
    for (size_t i = 0; i < nstats; i++)
        if (strcmp(stats[i].id, id) == 0)
            return &stats[i];
    if (nstats == MAX_TRACKED || strlen(id) >= sizeof(stats[0].id))
        return NULL;
    struct ebond_stats *s = &stats[nstats++];
    memset(s, 0, sizeof(*s));
    snprintf(s->id, sizeof(s->id), "%s", id);
    return s;
}

static void
count_call(const char *partner, long status)
{
    pthread_mutex_lock(&stats_mu);
    struct ebond_stats *s = stats_of(partner);
    if (s != NULL && status >= 200 && status < 300)
        s->calls_ok++;
    else if (s != NULL)
        s->calls_failed++;
    pthread_mutex_unlock(&stats_mu);
}

static void
set_listener(const char *partner, int state)
{
    pthread_mutex_lock(&stats_mu);
    struct ebond_stats *s = stats_of(partner);
    if (s != NULL)
        s->listener = state;
    pthread_mutex_unlock(&stats_mu);
}

void
ebond_client_count_event(const char *partner, enum ebond_event_outcome outcome)
{
    if (partner == NULL || (unsigned)outcome >= EBOND_EVENT_OUTCOMES)
        return;
    pthread_mutex_lock(&stats_mu);
    struct ebond_stats *s = stats_of(partner);
    if (s != NULL)
        s->ev[outcome]++;
    pthread_mutex_unlock(&stats_mu);
}

enum ebond_event_outcome
ebond_client_outcome(enum seam_err rc, const struct ebond_outcome *o)
{
    if (rc != SEAM_OK || o->forbidden)
        return EBOND_EVENT_REFUSED;
    if (o->unknown)
        return EBOND_EVENT_UNKNOWN_STATUS;
    return o->acted > 0 ? EBOND_EVENT_APPLIED : EBOND_EVENT_UNCHANGED;
}

char *
ebond_client_metrics(void)
{
    static const char *const outcome[EBOND_EVENT_OUTCOMES] = {"applied", "unchanged",
                                                              "unknown_status", "refused"};
    struct mtext m = {0};
    pthread_mutex_lock(&stats_mu);
    mt_add(&m, "# HELP seam_ebond_listener Whether seam's listener is registered at a tmf621 "
               "partner's hub (1), not (0), or the partner is polled (-1).\n"
               "# TYPE seam_ebond_listener gauge\n");
    for (size_t i = 0; i < nstats; i++)
        mt_add(&m, "seam_ebond_listener{partner=\"%s\"} %d\n", stats[i].id, stats[i].listener);
    mt_add(&m, "# HELP seam_ebond_calls_total Calls to tmf621 partners' TMF621 APIs since start "
               "(listener registration, polling), by result.\n"
               "# TYPE seam_ebond_calls_total counter\n");
    for (size_t i = 0; i < nstats; i++)
        mt_add(&m,
               "seam_ebond_calls_total{partner=\"%s\",result=\"ok\"} %llu\n"
               "seam_ebond_calls_total{partner=\"%s\",result=\"failed\"} %llu\n",
               stats[i].id, (unsigned long long)stats[i].calls_ok, stats[i].id,
               (unsigned long long)stats[i].calls_failed);
    mt_add(&m,
           "# HELP seam_ebond_events_total A tmf621 partner's TroubleTickets (its hub's events, "
           "or polled) since start, by what they did to the claim.\n"
           "# TYPE seam_ebond_events_total counter\n");
    for (size_t i = 0; i < nstats; i++)
        for (int k = 0; k < EBOND_EVENT_OUTCOMES; k++)
            mt_add(&m, "seam_ebond_events_total{partner=\"%s\",outcome=\"%s\"} %llu\n", stats[i].id,
                   outcome[k], (unsigned long long)stats[i].ev[k]);
    pthread_mutex_unlock(&stats_mu);
    return m.s;
}

struct buf {
    char *p;
    size_t n;
};

static size_t
collect(char *p, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    size_t len = size * n;
    if (b->n + len > 262144)
        return 0;
    b->p = xrealloc(b->p, b->n + len + 1);
    memcpy(b->p + b->n, p, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

/* One call to the partner's API: the status (0: no answer) and the answer (malloc'd). */
static long
call(const struct config_partner *p, const char *method, const char *path, const char *body,
     char **out)
{
    char *tok = ebond_token_read(p->ebond.token_file), *hdr;
    size_t n = strlen(p->url);
    char *url = xasprintf("%.*s%s", (int)(n > 0 && p->url[n - 1] == '/' ? n - 1 : n), p->url, path);
    struct buf b = {NULL, 0};
    long status = 0;
    *out = NULL;
    if (tok == NULL) {
        log_warnx("ebond: partner=%s token_file cannot be read", p->id);
        free(url);
        return 0;
    }
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Accept: application/json");
    hdr = xasprintf("Authorization: Bearer %s", tok);
    h = curl_slist_append(h, hdr);
    sodium_memzero(hdr, strlen(hdr));
    sodium_memzero(tok, strlen(tok));
    free(hdr);
    free(tok);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "seam-broker");
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    count_call(p->id, status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    *out = b.p;
    return status;
}

/* ---- jobs of the writer, waited for ---- */

struct wait_job {
    struct store_job job;
    enum seam_err (*fn)(struct store_txn *t, struct wait_job *w);
    const struct config_partner *p;
    const struct config *cfg;
    const struct sla *sla;
    char cap[EBOND_CAP_LEN + 1];
    char *callback;
    const char *hub_id;
    json_t *tt;
    struct ticket tk;
    struct ebond_outcome o;
    struct ticket_refusal why;
    int done;
};

static enum seam_err
wait_apply(struct store_txn *t, struct store_job *job)
{
    struct wait_job *w = (struct wait_job *)job;
    return w->fn(t, w);
}

static void
wait_done(struct store_job *job)
{
    struct wait_job *w = (struct wait_job *)job;
    pthread_mutex_lock(&mu);
    w->done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* Runs w in the writer and waits for its commit: its rc. */
static enum seam_err
run(struct wait_job *w)
{
    w->job.apply = wait_apply;
    w->job.done = wait_done;
    w->done = 0;
    enum seam_err rc = store_submit(srv->store, &w->job);
    if (rc != SEAM_OK)
        return rc;
    pthread_mutex_lock(&mu);
    while (!w->done)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return w->job.rc;
}

static enum seam_err
new_listener(struct store_txn *t, struct wait_job *w)
{
    free(w->callback);
    w->callback = NULL;
    return ebond_listener_new(t, w->p, w->cap, &w->callback);
}

static enum seam_err
listener_registered(struct store_txn *t, struct wait_job *w)
{
    return ebond_listener_registered(t, w->p->id, w->hub_id);
}

static enum seam_err
apply_polled(struct store_txn *t, struct wait_job *w)
{
    struct ticket_ctx c = {w->cfg, &srv->lg, w->sla};
    ticket_free(&w->tk);
    return ebond_apply(t, &c, w->p, w->tt, &w->tk, &w->o, &w->why);
}

/* ---- the listener ---- */

/* Whether partner p's listener is registered, for the callback it has now. */
static int
listener_ok(const struct config_partner *p)
{
    struct store_txn *t;
    int ok = 0;
    if (store_read_begin(srv->store, &t) != SEAM_OK)
        return 0;
    json_t *rec = ebond_listener_get(t, p->id);
    store_read_end(t);
    const char *cb = json_string_value(json_object_get(rec, "callback"));
    size_t n = strlen(p->ebond.callback_url);
    char *want = xasprintf("%.*s/v1/ebond/%s/events",
                           (int)(n > 0 && p->ebond.callback_url[n - 1] == '/' ? n - 1 : n),
                           p->ebond.callback_url, p->id);
    ok = json_is_string(json_object_get(rec, "hub")) && cb != NULL && strcmp(cb, want) == 0;
    free(want);
    json_decref(rec);
    return ok;
}

/* The partner's id of the listener registered before (malloc'd), or NULL. */
static char *
old_hub(const struct config_partner *p)
{
    struct store_txn *t;
    char *id = NULL;
    if (store_read_begin(srv->store, &t) != SEAM_OK)
        return NULL;
    json_t *rec = ebond_listener_get(t, p->id);
    store_read_end(t);
    const char *hub = json_string_value(json_object_get(rec, "hub"));
    if (hub != NULL && hub[0] != '\0' && strlen(hub) < 256)
        id = xstrdup(hub);
    json_decref(rec);
    return id;
}

/* Registers a new listener at p's hub: 0 done, -1 to be tried again. The one registered before
 * (its capability no longer valid) is removed there, as far as the partner's system lets it. */
static int
register_listener(const struct config_partner *p, const struct snapshot *snap)
{
    struct wait_job w;
    char *before = old_hub(p);
    memset(&w, 0, sizeof(w));
    w.fn = new_listener;
    w.p = p;
    w.cfg = snap->cfg;
    if (run(&w) != SEAM_OK) {
        free(w.callback);
        free(before);
        return -1;
    }
    /* Only this partner's tickets, where seam files under a party of its own. */
    json_t *req = json_pack("{s:s}", "callback", w.callback);
    if (p->ebond.customer != NULL) {
        char *q = xasprintf("event.troubleTicket.relatedParty.id=%s", p->ebond.customer);
        json_object_set_new(req, "query", json_string(q));
        free(q);
    }
    char *body = json_dumps(req, JSON_COMPACT), *answer = NULL;
    json_decref(req);
    sodium_memzero(w.cap, sizeof(w.cap));
    sodium_memzero(w.callback, strlen(w.callback));
    free(w.callback);
    w.callback = NULL;
    long status = call(p, "POST", "/hub", body, &answer);
    sodium_memzero(body, strlen(body));
    free(body);
    if (status < 200 || status >= 300) {
        log_warnx("ebond: partner=%s hub registration failed status=%ld", p->id, status);
        free(answer);
        free(before);
        return -1;
    }
    json_t *hub = answer ? json_loads(answer, 0, NULL) : NULL;
    free(answer);
    const char *id = json_string_value(json_object_get(hub, "id"));
    w.fn = listener_registered;
    w.hub_id = id ? id : "";
    enum seam_err rc = run(&w);
    json_decref(hub);
    if (rc == SEAM_OK && before != NULL) {
        CURL *c = curl_easy_init();
        char *esc = curl_easy_escape(c, before, 0), *path = xasprintf("/hub/%s", esc ? esc : "");
        curl_free(esc);
        curl_easy_cleanup(c);
        status = call(p, "DELETE", path, NULL, &answer);
        free(answer);
        free(path);
        if (status != 204 && status != 200 && status != 404)
            log_warnx("ebond: partner=%s the listener before was not removed status=%ld", p->id,
                      status);
    }
    free(before);
    if (rc != SEAM_OK)
        return -1;
    log_info("ebond: partner=%s hub listener registered", p->id);
    return 0;
}

/* ---- polling ---- */

static void
poll_partner(const struct config_partner *p, const struct snapshot *snap)
{
    struct store_txn *t;
    json_t *links = NULL, *l;
    size_t i;
    if (store_read_begin(srv->store, &t) != SEAM_OK)
        return;
    enum seam_err rc = ebond_live_links(t, p->id, &links);
    store_read_end(t);
    if (rc != SEAM_OK)
        return;
    json_array_foreach(links, i, l)
    {
        const char *remote = json_string_value(json_object_get(l, "remote"));
        CURL *c = curl_easy_init();
        char *esc = curl_easy_escape(c, remote, 0);
        char *path = xasprintf("/troubleTicket/%s", esc ? esc : "");
        curl_free(esc);
        curl_easy_cleanup(c);
        char *answer = NULL;
        long status = call(p, "GET", path, NULL, &answer);
        free(path);
        json_t *tt = status == 200 && answer ? json_loads(answer, 0, NULL) : NULL;
        free(answer);
        if (tt == NULL) {
            log_warnx("ebond: partner=%s poll of %s failed status=%ld", p->id, remote, status);
            continue;
        }
        struct wait_job w;
        memset(&w, 0, sizeof(w));
        w.fn = apply_polled;
        w.p = p;
        w.cfg = snap->cfg;
        w.sla = snap->sla;
        w.tt = tt;
        rc = run(&w);
        ebond_client_count_event(p->id, ebond_client_outcome(rc, &w.o));
        if (rc == SEAM_OK && w.tk.id[0] != '\0')
            fanout_ticket_committed(&w.tk);
        else if (rc != SEAM_OK)
            log_warnx("ebond: partner=%s polled %s not applied: %s", p->id, remote,
                      w.why.message ? w.why.message : seam_strerror(rc));
        ticket_free(&w.tk);
        json_decref(tt);
    }
    json_decref(links);
}

static struct tracked *
track(const char *id)
{
    for (size_t i = 0; i < ntracked; i++)
        if (strcmp(tracked[i].id, id) == 0)
            return &tracked[i];
    if (ntracked == MAX_TRACKED)
        return NULL;
    struct tracked *k = &tracked[ntracked++];
    memset(k, 0, sizeof(*k));
    snprintf(k->id, sizeof(k->id), "%s", id);
    k->wait_ms = 5000;
    return k;
}

static void
round_once(void)
{
    struct snapshot *snap = snapshot_hold();
    int64_t now = now_ms();
    for (size_t i = 0; i < snap->cfg->npartners && !stopping; i++) {
        const struct config_partner *p = &snap->cfg->partners[i];
        struct tracked *k;
        if (p->delivery != DELIVERY_TMF621 || (k = track(p->id)) == NULL || now < k->next_at)
            continue;
        if (p->ebond.callback_url == NULL) {
            set_listener(p->id, -1);
            poll_partner(p, snap);
            k->next_at = now + (int64_t)p->ebond.poll_s * 1000;
        } else if (listener_ok(p)) {
            set_listener(p->id, 1);
            k->next_at = now + 5000; /* looked at again: a reload may change the callback */
        } else if (register_listener(p, snap) == 0) {
            set_listener(p->id, 1);
            k->wait_ms = 5000;
            k->next_at = now + 5000;
        } else {
            set_listener(p->id, 0);
            k->next_at = now + k->wait_ms;
            k->wait_ms = k->wait_ms * 2 > 300000 ? 300000 : k->wait_ms * 2;
        }
    }
    snapshot_drop(snap);
}

static void *
main_loop(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        pthread_mutex_unlock(&mu);
        round_once();
        pthread_mutex_lock(&mu);
        if (stopping)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&cv, &mu, &ts);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

void
ebond_client_start(struct server *s)
{
    /* Always, though no partner's delivery is tmf621 yet: a reload may add one (its round reads
     * the configuration in force each second, and costs nothing while there is none). */
    srv = s;
    stopping = 0;
    if (pthread_create(&thread, NULL, main_loop, NULL) != 0)
        fatalx("cannot start the eBonding thread");
    running = 1;
}

void
ebond_client_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    running = 0;
}

/* ---- the partner's TroubleTicket, turned into the claim's actions ---- */

/* The reason the partner's system gave for its ticket's status: the last status change's. */
static const char *
status_reason(const json_t *tt, const char *status)
{
    const json_t *ch = json_object_get(tt, "statusChange");
    const json_t *last = json_array_get(ch, json_array_size(ch) - 1);
    const char *reason = json_string_value(json_object_get(tt, "statusChangeReason"));
    const char *was = json_string_value(json_object_get(last, "status"));
    if (was != NULL && strcmp(was, status) == 0)
        reason = json_string_value(json_object_get(last, "changeReason"));
    return reason;
}

/* Applies one action to the claim as the partner (or the broker: escalate). */
static enum seam_err
act(struct store_txn *t, const struct ticket_ctx *c, const struct principal *who,
    enum ticket_action kind, const char *aid, const char *text, struct ticket *out,
    struct ebond_outcome *o, struct ticket_refusal *why)
{
    struct ticket_action_req a = {
        .kind = kind, .target = aid, .text = text, .reason = HB_NOT_OUR_SERVICE};
    ticket_free(out);
    enum seam_err rc = ticket_act(t, c, who, &a, out, why);
    if (rc == SEAM_OK)
        o->acted++;
    return rc;
}

/* The claim's actions for the partner's status (changed since the last one acted on). */
static enum seam_err
apply_status(struct store_txn *t, const struct ticket_ctx *c, const struct config_partner *p,
             const json_t *tt, const struct ticket *tk, const struct assignment *a,
             struct ticket *out, struct ebond_outcome *o, struct ticket_refusal *why)
{
    const char *aid = a->id, *status = o->status;
    const char *remote = json_string_value(json_object_get(tt, "id"));
    enum seam_err rc = SEAM_OK;
    enum assignment_state state = a->state;
    int pending = tk->status == TS_PENDING;
    size_t i = 0;
    while (i < p->ebond.nstatus && strcmp(p->ebond.status[i], status) != 0)
        i++;
    struct principal who = {.role = ROLE_PARTNER};
    snprintf(who.subject, sizeof(who.subject), "%s", p->id);
    const char *reason = status_reason(tt, status);
    char text[600];
    if (i == p->ebond.nstatus) {
        /* Never dropped: the lead sees it, on the claim. */
        o->unknown = 1;
        log_warnx("ebond: partner=%s assignment=%s unknown status \"%.60s\" (not in its "
                  "status_map)",
                  p->id, aid, status);
        snprintf(text, sizeof(text),
                 "the partner's system reported status \"%.60s\", which its status map does not "
                 "know (TroubleTicket %.100s)",
                 status, remote);
        if (assignment_is_live(a)) {
            struct principal broker = {.role = ROLE_BROKER};
            snprintf(broker.subject, sizeof(broker.subject), "ebond");
            rc = act(t, c, &broker, TA_STATUS_UNKNOWN, aid, text, out, o, why);
        }
        return rc;
    }
    enum ebond_action does = p->ebond.status_does[i];
    int live = state == AS_ASSIGNED || state == AS_ACKNOWLEDGED || state == AS_IN_PROGRESS;
    if (does == EBOND_IGNORE || !live)
        return rc;
    /* A claim taken up at the partner's is acknowledged first, whatever its status says. */
    if (state == AS_ASSIGNED && does != EBOND_HANDBACK && does != EBOND_RESOLVE) {
        if ((rc = act(t, c, &who, TA_ACK, aid, NULL, out, o, why)) != SEAM_OK)
            return rc;
        state = AS_ACKNOWLEDGED;
    }
    switch (does) {
    case EBOND_PROGRESS:
        if (state == AS_ACKNOWLEDGED || (state == AS_IN_PROGRESS && pending)) {
            snprintf(text, sizeof(text), "%.400s (TroubleTicket %.100s: %.60s)",
                     reason ? reason : "work under way at the partner's system", remote, status);
            rc = act(t, c, &who, TA_PROGRESS, aid, text, out, o, why);
        }
        break;
    case EBOND_NEED_INFO:
        if (!pending) {
            snprintf(text, sizeof(text), "%.400s (TroubleTicket %.100s)",
                     reason ? reason : "the partner needs more information", remote);
            rc = act(t, c, &who, TA_NEED_INFO, aid, text, out, o, why);
        }
        break;
    case EBOND_RESOLVE:
        snprintf(text, sizeof(text), "%.400s (TroubleTicket %.100s: %.60s)",
                 reason ? reason : "resolved at the partner's system", remote, status);
        rc = act(t, c, &who, TA_RESOLVE, aid, text, out, o, why);
        break;
    case EBOND_HANDBACK:
        snprintf(text, sizeof(text), "%.400s (TroubleTicket %.100s: %.60s)",
                 reason ? reason : "not ours, says the partner's system", remote, status);
        rc = act(t, c, &who, TA_HANDBACK, aid, text, out, o, why);
        break;
    default:
        break;
    }
    return rc;
}

/*
 * The partner's notes on the TroubleTicket that seam has not taken yet, each a progress entry
 * of the claim (as the partner) while it is worked on; those seam sent itself are passed over.
 * A claim not yet taken up takes them once it is; one that ended, never.
 */
static enum seam_err
apply_notes(struct store_txn *t, const struct ticket_ctx *c, const struct config_partner *p,
            const json_t *tt, const char *aid, struct ticket *out, struct ebond_outcome *o,
            struct ticket_refusal *why)
{
    const json_t *notes = json_object_get(tt, "note");
    const char *remote = json_string_value(json_object_get(tt, "id"));
    size_t taken, i;
    enum seam_err rc;
    char tid[TICKET_ID_LEN + 1];
    struct ticket now = {0};
    if (!json_is_array(notes))
        return SEAM_OK;
    if ((rc = ebond_notes_taken(t, aid, &taken)) != SEAM_OK || taken >= json_array_size(notes))
        return rc;
    /* The claim as the status's actions left it. */
    if ((rc = ticket_of_assignment(t, aid, tid)) != SEAM_OK ||
        (rc = ticket_load(t, tid, &now)) != SEAM_OK)
        return rc;
    const struct assignment *a = ticket_find_assignment(&now, aid);
    enum assignment_state state = a ? a->state : AS_CANCELLED;
    ticket_free(&now);
    if (state == AS_ASSIGNED)
        return SEAM_OK;
    struct principal who = {.role = ROLE_PARTNER};
    snprintf(who.subject, sizeof(who.subject), "%s", p->id);
    for (i = taken; i < json_array_size(notes) && rc == SEAM_OK; i++) {
        const char *text = json_string_value(json_object_get(json_array_get(notes, i), "text"));
        int sent = 0;
        if (text == NULL || text[0] == '\0')
            continue;
        if ((rc = ebond_note_take_sent(t, aid, text, &sent)) != SEAM_OK || sent)
            continue;
        if (state != AS_ACKNOWLEDGED && state != AS_IN_PROGRESS)
            continue; /* the claim ended: nothing more happens to it */
        char *note =
            xasprintf("Note at the partner's system: %.2000s (TroubleTicket %.100s)", text, remote);
        rc = act(t, c, &who, TA_PROGRESS, aid, note, out, o, why);
        free(note);
        state = AS_IN_PROGRESS;
    }
    return rc == SEAM_OK ? ebond_notes_set_taken(t, aid, i) : rc;
}

enum seam_err
ebond_apply(struct store_txn *t, const struct ticket_ctx *c, const struct config_partner *p,
            const json_t *tt, struct ticket *out, struct ebond_outcome *o,
            struct ticket_refusal *why)
{
    const char *aid = json_string_value(json_object_get(tt, "externalId"));
    const char *remote = json_string_value(json_object_get(tt, "id"));
    const char *status = json_string_value(json_object_get(tt, "status"));
    char tid[TICKET_ID_LEN + 1], linked[EBOND_REMOTE_MAX];
    struct ticket tk = {0};
    enum seam_err rc;
    memset(o, 0, sizeof(*o));
    memset(out, 0, sizeof(*out));
    if (!json_is_object(tt) || aid == NULL || remote == NULL || status == NULL ||
        strlen(remote) >= EBOND_REMOTE_MAX || strlen(status) >= sizeof(o->status))
        return SEAM_EINVAL;
    snprintf(o->status, sizeof(o->status), "%s", status);
    if ((rc = ticket_of_assignment(t, aid, tid)) != SEAM_OK)
        return rc;
    snprintf(o->assignment, sizeof(o->assignment), "%s", aid);
    if ((rc = ticket_load(t, tid, &tk)) != SEAM_OK)
        return rc == SEAM_ENOTFOUND ? SEAM_ECORRUPT : rc;
    const struct assignment *a = ticket_find_assignment(&tk, aid);
    if (a == NULL || strcmp(a->partner, p->id) != 0) {
        why->message = "this claim is not the partner's";
        o->forbidden = 1;
        rc = SEAM_ECONFLICT;
        goto out;
    }
    /* The TroubleTicket must be the claim's: the one its creation made, or the first named. */
    rc = ebond_link_get(t, aid, linked, sizeof(linked));
    if (rc == SEAM_ENOTFOUND)
        rc = ebond_link_record(t, c, aid, remote);
    else if (rc == SEAM_OK && strcmp(linked, remote) != 0) {
        why->message = "this claim is linked to another TroubleTicket of the partner";
        o->forbidden = 1;
        rc = SEAM_ECONFLICT;
    }
    if (rc != SEAM_OK)
        goto out;
    /* A status is acted on once, when it changes: an event that repeats it (a note added, an
     * attribute changed, a poll) changes nothing, so seam's own PATCHes do not echo back. */
    int changed = 0;
    if ((rc = ebond_seen_update(t, aid, status, &changed)) != SEAM_OK)
        goto out;
    if (changed && (rc = apply_status(t, c, p, tt, &tk, a, out, o, why)) != SEAM_OK)
        goto out;
    rc = apply_notes(t, c, p, tt, aid, out, o, why);
out:
    ticket_free(&tk);
    return rc;
}
