/*
 * witness_client.c: submits the broker's checkpoints to its witnesses (see
 * witness_client.h). One thread, one curl handle per request; the state
 * below is guarded by mu, read by the HTTP threads for /metrics and
 * /v1/audit/checkpoint. What a quorum cosigned is stored (evlog_cosigned_put, through
 * the writer: store_job below), and the state starts from the stored one.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "evlog.h"
#include "log.h"
#include "seam/evidence.h"
#include "witness.h"
#include "witness_client.h"

struct wstate {
    uint64_t size; /* the size it last cosigned (what we submit from) */
    char *note;    /* the checkpoint it cosigned, with its cosignature line appended */
    char *line;    /* that cosignature line alone */
    uint64_t refusals;
    char last_error[160];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct wstate *ws;
static struct server *srv;
static pthread_t thread;
static int running, stopping;
static char *stored; /* the cosigned checkpoint last stored or submitted to the writer (mu) */

/* A cosigned checkpoint to store: a job of the writer. */
struct cosig_job {
    struct store_job job;
    uint64_t size;
    char *note;
};

static enum seam_err
cosig_apply(struct store_txn *t, struct store_job *job)
{
    struct cosig_job *j = (struct cosig_job *)job;
    return evlog_cosigned_put(t, j->size, j->note);
}

static void
cosig_done(struct store_job *job)
{
    struct cosig_job *j = (struct cosig_job *)job;
    if (job->rc != SEAM_OK) {
        log_warnx("witness: cannot store the cosigned checkpoint size=%llu error=\"%s\"",
                  (unsigned long long)j->size, seam_strerror(job->rc));
        pthread_mutex_lock(&mu);
        free(stored); /* submitted again next round */
        stored = NULL;
        pthread_mutex_unlock(&mu);
    }
    free(j->note);
    free(j);
}

/* Stores what the quorum cosigned, if it changed since it was last stored. */
static void
store_cosigned(void)
{
    char *best = witness_client_cosigned();
    pthread_mutex_lock(&mu);
    int same = best == NULL || (stored != NULL && strcmp(stored, best) == 0);
    if (!same) {
        free(stored);
        stored = xstrdup(best);
    }
    pthread_mutex_unlock(&mu);
    if (same) {
        free(best);
        return;
    }
    struct cosig_job *j = xcalloc(1, sizeof(*j));
    j->job.apply = cosig_apply;
    j->job.done = cosig_done;
    j->size = strtoull(strchr(best, '\n') + 1, NULL, 10);
    j->note = best;
    if (store_submit(srv->store, &j->job) != SEAM_OK) {
        pthread_mutex_lock(&mu);
        free(stored);
        stored = NULL;
        pthread_mutex_unlock(&mu);
        free(j->note);
        free(j);
    }
}

/* Each witness's state from the stored cosigned checkpoint: what it cosigned before a restart. */
static void
load_cosigned(void)
{
    struct store_txn *t;
    uint64_t size;
    char *note = NULL;
    size_t log_len;
    if (store_read_begin(srv->store, &t) != SEAM_OK)
        return;
    if (evlog_cosigned_latest(t, &size, &note) != SEAM_OK)
        note = NULL;
    store_read_end(t);
    if (note == NULL || seam_checkpoint_split(note, &log_len) != 0) {
        free(note);
        return;
    }
    for (size_t i = 0; i < srv->cfg->nwitnesses; i++) {
        const struct config_witness *w = &srv->cfg->witnesses[i];
        size_t dl = strlen("\xe2\x80\x94 "), nl = strlen(w->name);
        for (const char *l = note + log_len; *l != '\0'; l = strchr(l, '\n') + 1) {
            const char *end = strchr(l, '\n');
            if (strncmp(l + dl, w->name, nl) != 0 || l[dl + nl] != ' ')
                continue;
            char *one = xasprintf("%.*s%.*s", (int)log_len, note, (int)(end + 1 - l), l);
            if (witness_cosig_verify(w->name, w->key, one, &(uint64_t){0}) == 0) {
                ws[i].size = size;
                ws[i].note = one;
                ws[i].line = xasprintf("%.*s", (int)(end + 1 - l), l);
                break;
            }
            free(one);
        }
    }
    stored = note;
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
    if (b->n + len > 65536)
        return 0;
    b->p = realloc(b->p, b->n + len + 1);
    if (b->p == NULL)
        abort();
    memcpy(b->p + b->n, p, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

/* POSTs body to url/add-checkpoint; the status (0: no answer) and the answer (malloc'd). */
static long
post(const char *url, const char *body, char **out)
{
    struct buf b = {xstrdup(""), 0};
    long status = 0;
    char *full = xasprintf("%s/add-checkpoint", url);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "seam-broker");
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(b.p = xrealloc(b.p, 128), 128, "%s", curl_easy_strerror(rc));
    curl_easy_cleanup(h);
    free(full);
    *out = b.p;
    return status;
}

/* The request body from size old to the checkpoint note of size (malloc'd), or NULL. */
static char *
request_body(struct store_txn *t, uint64_t old, uint64_t size, const char *note)
{
    uint8_t(*proof)[SEAM_HASH_LEN] = xcalloc(SEAM_PROOF_MAX, SEAM_HASH_LEN);
    size_t n = 0;
    char *body = NULL;
    if (old > 0 && old < size && seam_merkle_consistency(evlog_node, t, old, size, proof, &n) != 0)
        goto out;
    body = xasprintf("old %llu\n", (unsigned long long)old);
    for (size_t i = 0; i < n; i++) {
        char *b64 = seam_b64_encode(proof[i], SEAM_HASH_LEN),
             *next = xasprintf("%s%s\n", body, b64);
        free(b64);
        free(body);
        body = next;
    }
    char *next = xasprintf("%s\n%s", body, note);
    free(body);
    body = next;
out:
    free(proof);
    return body;
}

/* One witness, one round: submit the checkpoint of size (note) from what it holds. */
static void
submit(size_t i, uint64_t size, const char *note)
{
    const struct config_witness *w = &srv->cfg->witnesses[i];
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&mu);
        uint64_t old = ws[i].size;
        pthread_mutex_unlock(&mu);
        if (old >= size)
            return;
        struct store_txn *t;
        if (store_read_begin(srv->store, &t) != SEAM_OK)
            return;
        char *body = request_body(t, old, size, note), *resp = NULL;
        store_read_end(t);
        if (body == NULL)
            return;
        long status = post(w->url, body, &resp);
        free(body);
        char err[160] = "";
        if (status == 200) {
            char *cosigned = xasprintf("%s%s", note, resp);
            uint64_t ts;
            if (witness_cosig_verify(w->name, w->key, cosigned, &ts) == 0) {
                pthread_mutex_lock(&mu);
                ws[i].size = size;
                free(ws[i].note);
                free(ws[i].line);
                ws[i].note = cosigned;
                ws[i].line = xstrdup(resp);
                ws[i].last_error[0] = '\0';
                pthread_mutex_unlock(&mu);
                log_debug("witness: cosigned name=%s size=%llu", w->name, (unsigned long long)size);
                free(resp);
                return;
            }
            free(cosigned);
            snprintf(err, sizeof(err), "its answer holds no valid cosignature by its key");
        } else if (status == 409 && attempt == 0 && resp[0] >= '0' && resp[0] <= '9') {
            /* it holds another size: submit again from there, once */
            uint64_t held = strtoull(resp, NULL, 10);
            free(resp);
            pthread_mutex_lock(&mu);
            ws[i].size = held;
            pthread_mutex_unlock(&mu);
            if (held <= size)
                continue;
            snprintf(err, sizeof(err), "it cosigned size %llu, above ours %llu: the log forked",
                     (unsigned long long)held, (unsigned long long)size);
            resp = NULL;
            status = 409;
        } else if (status == 0) {
            snprintf(err, sizeof(err), "unreachable: %.120s", resp);
        } else {
            size_t l = strcspn(resp, "\n");
            snprintf(err, sizeof(err), "status %ld: %.*s", status, (int)(l > 120 ? 120 : l), resp);
        }
        free(resp);
        pthread_mutex_lock(&mu);
        int changed = strcmp(ws[i].last_error, err) != 0;
        if (status != 0)
            ws[i].refusals++;
        snprintf(ws[i].last_error, sizeof(ws[i].last_error), "%s", err);
        uint64_t cosigned = ws[i].size;
        pthread_mutex_unlock(&mu);
        if (status != 0)
            log_warnx("witness: refused name=%s size=%llu cosigned=%llu error=\"%s\" (a witness "
                      "refuses a checkpoint that does not extend what it cosigned: was the store "
                      "restored or changed?)",
                      w->name, (unsigned long long)size, (unsigned long long)cosigned, err);
        else if (changed)
            log_warnx("witness: lagging name=%s size=%llu cosigned=%llu error=\"%s\"", w->name,
                      (unsigned long long)size, (unsigned long long)cosigned, err);
        return;
    }
}

static void *
client_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stopping) {
        pthread_mutex_unlock(&mu);
        struct store_txn *t;
        uint64_t size = 0;
        char *note = NULL;
        if (store_read_begin(srv->store, &t) == SEAM_OK) {
            if (evlog_checkpoint(t, &size, &note) != SEAM_OK)
                note = NULL;
            store_read_end(t);
        }
        for (size_t i = 0; note != NULL && i < srv->cfg->nwitnesses; i++)
            submit(i, size, note);
        free(note);
        store_cosigned();
        pthread_mutex_lock(&mu);
        if (!stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 500 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&cv, &mu, &ts);
        }
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

void
witness_client_start(struct server *s)
{
    if (s->cfg->nwitnesses == 0)
        return;
    srv = s;
    ws = xcalloc(s->cfg->nwitnesses, sizeof(*ws));
    load_cosigned();
    if (pthread_create(&thread, NULL, client_main, NULL) != 0)
        fatalx("cannot start the witness thread");
    running = 1;
}

void
witness_client_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stopping = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    for (size_t i = 0; i < srv->cfg->nwitnesses; i++) {
        free(ws[i].note);
        free(ws[i].line);
    }
    free(ws);
    ws = NULL;
    free(stored);
    stored = NULL;
    running = 0;
}

char *
witness_client_cosigned(void)
{
    if (!running)
        return NULL;
    char *best = NULL;
    uint64_t best_size = 0;
    pthread_mutex_lock(&mu);
    size_t n = srv->cfg->nwitnesses;
    /* the largest checkpoint that quorum witnesses cosigned (the same note) */
    for (size_t i = 0; i < n; i++) {
        if (ws[i].note == NULL || (best != NULL && ws[i].size <= best_size))
            continue;
        size_t blen = strlen(ws[i].note) - strlen(ws[i].line);
        unsigned count = 0;
        for (size_t j = 0; j < n; j++)
            count += ws[j].note != NULL && ws[j].size == ws[i].size &&
                     strlen(ws[j].note) - strlen(ws[j].line) == blen &&
                     strncmp(ws[j].note, ws[i].note, blen) == 0;
        if (count < srv->cfg->witness_quorum || count == 0)
            continue;
        free(best);
        best = xasprintf("%.*s", (int)blen, ws[i].note);
        best_size = ws[i].size;
        for (size_t j = 0; j < n; j++)
            if (ws[j].note != NULL && ws[j].size == ws[i].size &&
                strncmp(ws[j].note, best, blen) == 0) {
                char *next = xasprintf("%s%s", best, ws[j].line);
                free(best);
                best = next;
            }
    }
    pthread_mutex_unlock(&mu);
    return best;
}

json_t *
witness_client_status(void)
{
    json_t *a = json_array();
    if (!running)
        return a;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < srv->cfg->nwitnesses; i++)
        json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:s?}", "name",
                                           srv->cfg->witnesses[i].name, "cosigned_size",
                                           (json_int_t)ws[i].size, "refusals",
                                           (json_int_t)ws[i].refusals, "last_error",
                                           ws[i].last_error[0] ? ws[i].last_error : NULL));
    pthread_mutex_unlock(&mu);
    return a;
}

char *
witness_client_metrics(uint64_t tree_size)
{
    if (!running)
        return xstrdup("");
    char *out = xstrdup("# HELP seam_witness_cosigned_size The tree size each witness last "
                        "cosigned.\n# TYPE seam_witness_cosigned_size gauge\n");
    char *lag = xstrdup("# HELP seam_witness_lag Leaves of the log a witness has not cosigned "
                        "yet.\n# TYPE seam_witness_lag gauge\n");
    char *ref = xstrdup("# HELP seam_witness_refusals_total Checkpoints a witness refused since "
                        "start (a fork, or a bad proof).\n# TYPE seam_witness_refusals_total "
                        "counter\n");
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < srv->cfg->nwitnesses; i++) {
        const char *nm = srv->cfg->witnesses[i].name;
        char *a = xasprintf("%sseam_witness_cosigned_size{witness=\"%s\"} %llu\n", out, nm,
                            (unsigned long long)ws[i].size);
        char *b =
            xasprintf("%sseam_witness_lag{witness=\"%s\"} %llu\n", lag, nm,
                      (unsigned long long)(tree_size > ws[i].size ? tree_size - ws[i].size : 0));
        char *c = xasprintf("%sseam_witness_refusals_total{witness=\"%s\"} %llu\n", ref, nm,
                            (unsigned long long)ws[i].refusals);
        free(out);
        free(lag);
        free(ref);
        out = a;
        lag = b;
        ref = c;
    }
    pthread_mutex_unlock(&mu);
    char *all = xasprintf("%s%s%s", out, lag, ref);
    free(out);
    free(lag);
    free(ref);
    return all;
}
