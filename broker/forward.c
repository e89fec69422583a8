/*
 * forward.c: push delivery. One thread drives libcurl's multi interface:
 * it takes what is due from the outbox (outbox.c), POSTs each message with
 * Standard Webhooks headers (webhook-id, webhook-timestamp and
 * webhook-signature "v1a,<base64 Ed25519 over id.timestamp.body>"), and
 * records each attempt through the store's writer. A message that becomes a
 * dead letter escalates its claim to the lead in the same transaction.
 *
 * The thread owns every curl handle. A message is "busy" from the moment it
 * is taken until its attempt is committed, so it is never sent twice at
 * once; busy is guarded by busy_mu because the writer's done callback
 * clears it. The outbox is in LMDB, so a crash loses nothing: on start, what
 * was pending is due again (at least once; receivers de-duplicate by id).
 * An attempt the store cannot record (its writer refuses, e.g. a replicated
 * leader whose lease is stale) leaves the message due at once: the thread
 * then sends nothing for RECORD_FAILED_PAUSE_MS, or it would send that
 * message again and again, as fast as the partner answers, until the store
 * takes a write.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "ebond.h"
#include "ebond_client.h"
#include "fanout.h"
#include "forward.h"
#include "log.h"
#include "outbox.h"
#include "reload.h"
#include "ticket.h"
#include "verify_outbox.h"

#define MAX_BUSY 512
#define RECORD_FAILED_PAUSE_MS 1000 /* nothing sent for this long after an attempt not recorded */

struct flight {
    struct fwd *f;
    uint64_t seq;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t sent; /* e-mail: bytes of body read by curl so far */
    int mail;    /* an e-mail over SMTP, not a webhook */
    int ebond;   /* a call to a tmf621 partner's TMF621 API: its answer is kept (resp) */
    char *resp;
    size_t resp_len;
    long retry_after;
    struct flight *next, **prevp; /* the thread's list of transfers */
};

struct result_job {
    struct store_job job;
    struct fwd *f;
    struct outbox_attempt a;
    json_t *message;
    struct ticket escalated; /* the ticket an escalation changed, to announce after the commit */
    int has_escalated;
    int dead; /* the attempt made a dead letter: 1 a partner's push, 2 a TMF621 hub's (counted once
               * committed) */
    char remote[EBOND_REMOTE_MAX]; /* a TroubleTicket a tmf621 partner's system created: its id */
};

struct fwd {
    struct server *srv;
    CURLM *multi;
    pthread_t thread;
    int running;
    volatile int stopping;
    pthread_mutex_t busy_mu;
    uint64_t busy[MAX_BUSY];
    unsigned nbusy;
    unsigned inflight;              /* the thread's own count of curl transfers */
    struct flight *flights;         /* and the transfers themselves */
    _Atomic int64_t pause_until_us; /* monotonic: set when an attempt could not be recorded */
};

static int
is_busy(void *ctx, uint64_t seq)
{
    struct fwd *f = ctx;
    int hit = 0;
    pthread_mutex_lock(&f->busy_mu);
    for (unsigned i = 0; i < f->nbusy; i++)
        hit |= f->busy[i] == seq;
    pthread_mutex_unlock(&f->busy_mu);
    return hit;
}

static void
busy_add(struct fwd *f, uint64_t seq)
{
    pthread_mutex_lock(&f->busy_mu);
    if (f->nbusy < MAX_BUSY)
        f->busy[f->nbusy++] = seq;
    pthread_mutex_unlock(&f->busy_mu);
}

static void
busy_remove(struct fwd *f, uint64_t seq)
{
    pthread_mutex_lock(&f->busy_mu);
    for (unsigned i = 0; i < f->nbusy; i++)
        if (f->busy[i] == seq) {
            f->busy[i] = f->busy[--f->nbusy];
            break;
        }
    pthread_mutex_unlock(&f->busy_mu);
}

static unsigned
busy_count(struct fwd *f)
{
    pthread_mutex_lock(&f->busy_mu);
    unsigned n = f->nbusy;
    pthread_mutex_unlock(&f->busy_mu);
    return n;
}

/* ---- recording an attempt (writer thread) ---- */

/* A dead letter's escalation, in a transaction of its own (store_nested). */
struct escalation {
    const struct ticket_ctx *c;
    const struct principal *who;
    const struct ticket_action_req *a;
    struct ticket tk;
};

static _Atomic uint64_t escalations_failed;

uint64_t
forward_escalations_failed(void)
{
    return atomic_load(&escalations_failed);
}

/* Dead letters since start, per channel; counted in result_done, after their commit. */
static _Atomic uint64_t dead_letters[4];

uint64_t
forward_dead_letters(int hub)
{
    return atomic_load(&dead_letters[hub < 0 || hub > 3 ? 0 : hub]);
}

static enum seam_err
escalate_apply(struct store_txn *t, void *arg)
{
    struct escalation *e = arg;
    struct ticket_refusal why;
    ticket_free(&e->tk);
    return ticket_act(t, e->c, e->who, e->a, &e->tk, &why);
}

static enum seam_err dead_letter(struct store_txn *t, struct result_job *rj,
                                 const struct snapshot *snap);

static enum seam_err
result_apply(struct store_txn *t, struct store_job *job)
{
    struct result_job *rj = (struct result_job *)job;
    int dead = 0;
    json_decref(rj->message);
    rj->message = NULL;
    ticket_free(&rj->escalated);
    rj->has_escalated = 0;
    rj->dead = 0;
    /* The configuration in force when the job runs, held until it ends (reload.h). */
    struct snapshot *snap = snapshot_hold();
    enum seam_err rc = outbox_record(t, snap->cfg, &rj->a, &dead, &rj->message);
    if (rc == SEAM_OK && rj->remote[0] != '\0') {
        /* The claim's TroubleTicket at the partner's, unless an event of it named it first. */
        char had[EBOND_REMOTE_MAX];
        const char *asg = json_string_value(json_object_get(rj->message, "assignment"));
        rc = ebond_link_get(t, asg ? asg : "", had, sizeof(had));
        struct ticket_ctx c = {snap->cfg, &rj->f->srv->lg, snap->sla};
        if (rc == SEAM_ENOTFOUND)
            rc = ebond_link_record(t, &c, asg ? asg : "", rj->remote);
    }
    if (rc == SEAM_OK && dead)
        rc = dead_letter(t, rj, snap);
    snapshot_drop(snap);
    return rc;
}

/* A dead letter: logged, and a claim its partner never received goes to the lead. */
static enum seam_err
dead_letter(struct store_txn *t, struct result_job *rj, const struct snapshot *snap)
{
    struct server *srv = rj->f->srv;
    enum seam_err rc;
    /* A TMF621 hub's notification names no assignment. */
    const char *asg = json_string_value(json_object_get(rj->message, "assignment"));
    rj->dead = strcmp(outbox_channel(rj->message), "mail") == 0    ? 3
               : strcmp(outbox_channel(rj->message), "ebond") == 0 ? 4
               : asg != NULL && asg[0] != '\0'                     ? 1
                                                                   : 2;
    log_warnx("delivery: dead letter id=%s partner=%s status=%ld error=\"%s\"",
              json_string_value(json_object_get(rj->message, "id")),
              json_string_value(json_object_get(rj->message, "partner")), rj->a.status,
              rj->a.error);
    /* A claim its partner never received goes to the lead, in this same write. */
    const char *type = json_string_value(json_object_get(rj->message, "type"));
    if (type == NULL ||
        (strcmp(type, "assignment.created") != 0 && strcmp(type, EBOND_CREATE) != 0))
        return SEAM_OK;
    struct ticket_ctx c = {snap->cfg, &srv->lg, snap->sla};
    struct principal broker = {.role = ROLE_BROKER};
    snprintf(broker.subject, sizeof(broker.subject), "delivery");
    char reason[200];
    snprintf(reason, sizeof(reason), "%s %s failed: %s",
             strcmp(type, EBOND_CREATE) == 0 ? "creating the TroubleTicket at" : "push to",
             json_string_value(json_object_get(rj->message, "partner")),
             rj->a.refused         ? "the stored message differs from the signed events"
             : rj->a.status == 410 ? "endpoint gone (410)"
                                   : "retries spent");
    struct ticket_action_req esc = {
        .kind = TA_ESCALATE,
        .target = json_string_value(json_object_get(rj->message, "assignment")),
        .text = reason};
    struct escalation e = {.c = &c, .who = &broker, .a = &esc, .tk = {.nassignments = 0}};
    /* On its own: a ticket that cannot be worked must not keep the dead letter due. */
    rc = store_nested(t, escalate_apply, &e);
    if (rc == SEAM_OK) {
        rj->escalated = e.tk;
        rj->has_escalated = 1;
        return SEAM_OK;
    }
    ticket_free(&e.tk);
    /* The partner took the claim up some other way (pull): nothing to escalate. */
    if (rc == SEAM_ECONFLICT)
        return SEAM_OK;
    if (rc == SEAM_ECORRUPT || rc == SEAM_EINVAL || rc == SEAM_ECRYPTO || rc == SEAM_ENOTFOUND) {
        atomic_fetch_add(&escalations_failed, 1);
        log_warnx("delivery: dead letter id=%s not escalated ticket=%s error=\"%s\" (the lead "
                  "must look at this ticket)",
                  json_string_value(json_object_get(rj->message, "id")),
                  json_string_value(json_object_get(rj->message, "ticket")), seam_strerror(rc));
        return SEAM_OK;
    }
    return rc;
}

static void
result_done(struct store_job *job)
{
    struct result_job *rj = (struct result_job *)job;
    if (job->rc != SEAM_OK) {
        log_warnx("delivery: recording attempt seq=%llu failed error=\"%s\"; nothing is sent "
                  "for %d ms",
                  (unsigned long long)rj->a.seq, seam_strerror(job->rc), RECORD_FAILED_PAUSE_MS);
        atomic_store(&rj->f->pause_until_us, mono_us() + RECORD_FAILED_PAUSE_MS * 1000LL);
    }
    busy_remove(rj->f, rj->a.seq);
    if (job->rc == SEAM_OK && rj->dead)
        atomic_fetch_add(&dead_letters[rj->dead - 1], 1);
    if (job->rc == SEAM_OK && rj->has_escalated)
        fanout_ticket_committed(&rj->escalated);
    forward_kick(rj->f);
    json_decref(rj->message);
    ticket_free(&rj->escalated);
    free(rj);
}

/* ---- sending (the forwarder thread) ---- */

static size_t
discard(char *ptr, size_t size, size_t n, void *ctx)
{
    (void)ptr;
    (void)ctx;
    return size * n;
}

static size_t
on_header(char *buf, size_t size, size_t n, void *ctx)
{
    struct flight *fl = ctx;
    size_t len = size * n;
    if (len > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        char tmp[32];
        size_t k = len - 12 < sizeof(tmp) - 1 ? len - 12 : sizeof(tmp) - 1;
        memcpy(tmp, buf + 12, k);
        tmp[k] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v >= 0)
            fl->retry_after = v;
    }
    return len;
}

/* A tmf621 partner's answer, kept up to 64 KiB (the created TroubleTicket). */
static size_t
keep_answer(char *ptr, size_t size, size_t n, void *ctx)
{
    struct flight *fl = ctx;
    size_t len = size * n;
    if (fl->resp_len + len > 65536)
        return len; /* the rest is not kept: no id found, the attempt still counts */
    fl->resp = xrealloc(fl->resp, fl->resp_len + len + 1);
    memcpy(fl->resp + fl->resp_len, ptr, len);
    fl->resp_len += len;
    fl->resp[fl->resp_len] = '\0';
    return len;
}

/* curl reads the message to upload from here (SMTP DATA; curl escapes leading dots). */
static size_t
read_mail(char *buf, size_t size, size_t n, void *ctx)
{
    struct flight *fl = ctx;
    size_t left = strlen(fl->body) - fl->sent, room = size * n;
    size_t k = left < room ? left : room;
    memcpy(buf, fl->body + fl->sent, k);
    fl->sent += k;
    return k;
}

static void
flight_link(struct fwd *f, struct flight *fl)
{
    curl_multi_add_handle(f->multi, fl->easy);
    fl->next = f->flights;
    if (f->flights)
        f->flights->prevp = &fl->next;
    fl->prevp = &f->flights;
    f->flights = fl;
    f->inflight++;
}

/* An e-mail (outbox channel "mail"): MAIL FROM, RCPT TO and the message as it was queued. */
static void
start_mail(struct fwd *f, json_t *m)
{
    const struct config *cfg = f->srv->cfg;
    struct flight *fl = xcalloc(1, sizeof(*fl));
    const char *body = json_string_value(json_object_get(m, "body"));
    const char *from = json_string_value(json_object_get(m, "mail_from"));
    const char *rcpt = json_string_value(json_object_get(m, "rcpt"));
    char *hdr;
    fl->f = f;
    fl->mail = 1;
    fl->seq = (uint64_t)json_integer_value(json_object_get(m, "seq"));
    fl->retry_after = -1;
    fl->body = xstrdup(body ? body : "");
    hdr = xasprintf("<%s>", rcpt ? rcpt : "");
    fl->headers = curl_slist_append(NULL, hdr);
    free(hdr);
    hdr = xasprintf("<%s>", from ? from : "");
    fl->easy = curl_easy_init();
    /* The relay's URL as configured now: a changed relay takes the messages still due. */
    curl_easy_setopt(fl->easy, CURLOPT_URL,
                     cfg->mail.smtp_url ? cfg->mail.smtp_url
                                        : json_string_value(json_object_get(m, "url")));
    curl_easy_setopt(fl->easy, CURLOPT_MAIL_FROM, hdr);
    free(hdr);
    curl_easy_setopt(fl->easy, CURLOPT_MAIL_RCPT, fl->headers);
    curl_easy_setopt(fl->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(fl->easy, CURLOPT_READFUNCTION, read_mail);
    curl_easy_setopt(fl->easy, CURLOPT_READDATA, fl);
    curl_easy_setopt(fl->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)strlen(fl->body));
    curl_easy_setopt(fl->easy, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(fl->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(fl->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(fl->easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* smtp://: STARTTLS when the relay offers it, or required by $.mail.smtp_tls (smtps:// is
     * TLS from the start, verified). AUTH when $.mail has credentials. */
    curl_easy_setopt(fl->easy, CURLOPT_USE_SSL,
                     (long)(cfg->mail.smtp_tls_required ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    if (cfg->mail.smtp_user != NULL) {
        curl_easy_setopt(fl->easy, CURLOPT_USERNAME, cfg->mail.smtp_user);
        curl_easy_setopt(fl->easy, CURLOPT_PASSWORD, cfg->mail.smtp_password);
    }
    curl_easy_setopt(fl->easy, CURLOPT_PRIVATE, fl);
    flight_link(f, fl);
}

static void
start_one(struct fwd *f, json_t *m)
{
    if (strcmp(outbox_channel(m), "mail") == 0) {
        start_mail(f, m);
        return;
    }
    const char *id = json_string_value(json_object_get(m, "id"));
    const char *url = json_string_value(json_object_get(m, "url"));
    const char *body = json_string_value(json_object_get(m, "body"));
    struct snapshot *snap = snapshot_hold();
    const struct config_partner *p =
        config_partner_find(snap->cfg, json_string_value(json_object_get(m, "partner")));
    long timeout_ms = p ? p->timeout_ms : 5000;
    snapshot_drop(snap);
    p = NULL;
    struct flight *fl = xcalloc(1, sizeof(*fl));
    char ts[32], *hdr;
    fl->f = f;
    fl->seq = (uint64_t)json_integer_value(json_object_get(m, "seq"));
    fl->retry_after = -1;
    fl->body = xstrdup(body ? body : "{}");
    snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms() / 1000));
    /* Standard Webhooks: sign "id.timestamp.body" (asymmetric: v1a, Ed25519). */
    char *signed_text = xasprintf("%s.%s.%s", id, ts, fl->body);
    uint8_t sig[64];
    crypto_sign_detached(sig, NULL, (const uint8_t *)signed_text, strlen(signed_text),
                         f->srv->keys.sk);
    free(signed_text);
    char *sig64 = seam_b64_encode(sig, sizeof(sig));
    fl->headers = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = xasprintf("webhook-id: %s", id);
    fl->headers = curl_slist_append(fl->headers, hdr);
    free(hdr);
    hdr = xasprintf("webhook-timestamp: %s", ts);
    fl->headers = curl_slist_append(fl->headers, hdr);
    free(hdr);
    hdr = xasprintf("webhook-signature: v1a,%s", sig64);
    fl->headers = curl_slist_append(fl->headers, hdr);
    free(hdr);
    free(sig64);
    fl->headers = curl_slist_append(fl->headers, "Expect:");

    fl->easy = curl_easy_init();
    curl_easy_setopt(fl->easy, CURLOPT_URL, url);
    curl_easy_setopt(fl->easy, CURLOPT_POSTFIELDS, fl->body);
    curl_easy_setopt(fl->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(fl->body));
    curl_easy_setopt(fl->easy, CURLOPT_HTTPHEADER, fl->headers);
    curl_easy_setopt(fl->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(fl->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(fl->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(fl->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(fl->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(fl->easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(fl->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(fl->easy, CURLOPT_HEADERDATA, fl);
    curl_easy_setopt(fl->easy, CURLOPT_PRIVATE, fl);
    curl_easy_setopt(fl->easy, CURLOPT_USERAGENT, "seam-broker");
    flight_link(f, fl);
}

/* Unlinks and frees a transfer's own memory (not its curl handle). */
static void
flight_free(struct flight *fl)
{
    *fl->prevp = fl->next;
    if (fl->next)
        fl->next->prevp = fl->prevp;
    curl_slist_free_all(fl->headers);
    free(fl->body);
    free(fl->resp);
    free(fl);
}

static void
finish_one(struct fwd *f, CURLMsg *msg)
{
    struct flight *fl;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&fl);
    struct result_job *rj = xcalloc(1, sizeof(*rj));
    rj->job.apply = result_apply;
    rj->job.done = result_done;
    rj->f = f;
    rj->a.seq = fl->seq;
    rj->a.retry_after_s = fl->retry_after;
    if (fl->mail) {
        /* SMTP: 250 once the relay took the message; else its last reply code (or 0). */
        long code = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        rj->a.status = msg->data.result == CURLE_OK ? 250 : (code >= 300 ? code : 0);
        if (msg->data.result != CURLE_OK)
            snprintf(rj->a.error, sizeof(rj->a.error), "SMTP: %s",
                     curl_easy_strerror(msg->data.result));
    } else if (msg->data.result == CURLE_OK) {
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &rj->a.status);
        if (rj->a.status < 200 || rj->a.status >= 300)
            snprintf(rj->a.error, sizeof(rj->a.error), "HTTP %ld", rj->a.status);
    } else {
        snprintf(rj->a.error, sizeof(rj->a.error), "%s", curl_easy_strerror(msg->data.result));
    }
    if (fl->ebond && rj->a.status >= 200 && rj->a.status < 300 && fl->resp != NULL) {
        json_t *tt = json_loads(fl->resp, 0, NULL);
        const char *id = json_string_value(json_object_get(tt, "id"));
        if (id != NULL && strlen(id) < sizeof(rj->remote))
            snprintf(rj->remote, sizeof(rj->remote), "%s", id);
        json_decref(tt);
    }
    log_info("delivery: seq=%llu status=%ld%s%s", (unsigned long long)fl->seq, rj->a.status,
             rj->a.error[0] ? " error=" : "", rj->a.error);
    curl_multi_remove_handle(f->multi, msg->easy_handle);
    curl_easy_cleanup(msg->easy_handle);
    flight_free(fl);
    f->inflight--;
    if (store_submit(f->srv->store, &rj->job) != SEAM_OK) {
        /* Queue full or stopping: the message stays due and is tried again. */
        busy_remove(f, rj->a.seq);
        free(rj);
    }
}

/* Messages the forwarder refused to send since start: they differed from the signed events. */
static _Atomic uint64_t refused;

uint64_t
forward_refused(void)
{
    return atomic_load(&refused);
}

/*
 * A message that differs from the signed events is never sent: it is recorded as failed at once
 * (a dead letter, so its claim goes to the lead) and logged, loudly.
 */
static void
refuse_one(struct fwd *f, json_t *m, uint64_t seq, const char *why)
{
    struct result_job *rj = xcalloc(1, sizeof(*rj));
    rj->job.apply = result_apply;
    rj->job.done = result_done;
    rj->f = f;
    rj->a.seq = seq;
    rj->a.retry_after_s = -1;
    rj->a.refused = 1;
    snprintf(rj->a.error, sizeof(rj->a.error), "not sent: %.100s", why);
    atomic_fetch_add(&refused, 1);
    log_warnx("delivery: refused id=%s ticket=%s partner=%s error=\"%s\" (the stored message "
              "differs from the signed events: not sent; run seamctl verify)",
              json_string_value(json_object_get(m, "id")),
              json_string_value(json_object_get(m, "ticket")),
              json_string_value(json_object_get(m, "partner")), why);
    if (store_submit(f->srv->store, &rj->job) != SEAM_OK) {
        busy_remove(f, seq); /* stays due: refused again on the next look */
        free(rj);
    }
}

/* An attempt that could not be made (no token, no TroubleTicket yet): retried as a failed one. */
static void
unsent_one(struct fwd *f, uint64_t seq, const char *why)
{
    struct result_job *rj = xcalloc(1, sizeof(*rj));
    rj->job.apply = result_apply;
    rj->job.done = result_done;
    rj->f = f;
    rj->a.seq = seq;
    rj->a.retry_after_s = -1;
    snprintf(rj->a.error, sizeof(rj->a.error), "not sent: %.100s", why);
    if (store_submit(f->srv->store, &rj->job) != SEAM_OK) {
        busy_remove(f, seq);
        free(rj);
    }
}

/*
 * A call to a tmf621 partner's TMF621 API (ebond.h): the creation POSTs the TroubleTicket, a
 * change PATCHes the claim's TroubleTicket, whose id the store has once the creation was answered
 * (or an event named it); the partner's bearer token is read from its file at each call.
 */
static void
start_ebond(struct fwd *f, struct store_txn *t, json_t *m, uint64_t seq)
{
    const char *owner = json_string_value(json_object_get(m, "partner"));
    const char *type = json_string_value(json_object_get(m, "type"));
    const char *url = json_string_value(json_object_get(m, "url"));
    const char *asg = json_string_value(json_object_get(m, "assignment"));
    const char *body = json_string_value(json_object_get(m, "body"));
    int create = type != NULL && strcmp(type, EBOND_CREATE) == 0;
    char remote[EBOND_REMOTE_MAX], *esc = NULL, *full, *tok, *hdr;
    struct snapshot *snap = snapshot_hold();
    const struct config_partner *p =
        config_partner_find(snap->cfg, owner ? owner + strlen(EBOND_OWNER_PREFIX) : "");
    long timeout_ms = p ? p->timeout_ms : 5000;
    tok = p && p->delivery == DELIVERY_TMF621 ? ebond_token_read(p->ebond.token_file) : NULL;
    snapshot_drop(snap);
    p = NULL;
    if (tok == NULL) {
        unsent_one(f, seq, "the partner's token file cannot be read (or it is no tmf621 partner)");
        return;
    }
    if (create) {
        full = xstrdup(url);
    } else if (ebond_link_get(t, asg ? asg : "", remote, sizeof(remote)) == SEAM_OK) {
        CURL *c = curl_easy_init();
        esc = curl_easy_escape(c, remote, 0);
        full = xasprintf("%s%s", url, esc ? esc : "");
        curl_free(esc);
        curl_easy_cleanup(c);
    } else {
        sodium_memzero(tok, strlen(tok));
        free(tok);
        unsent_one(f, seq, "the partner's system has not answered the claim's creation yet");
        return;
    }
    struct flight *fl = xcalloc(1, sizeof(*fl));
    fl->f = f;
    fl->seq = seq;
    fl->ebond = 1;
    fl->retry_after = -1;
    fl->body = xstrdup(body ? body : "{}");
    fl->headers = curl_slist_append(NULL, create ? "Content-Type: application/json"
                                          : type && strcmp(type, EBOND_NOTE) == 0
                                              ? "Content-Type: application/json-patch+json"
                                              : "Content-Type: application/merge-patch+json");
    fl->headers = curl_slist_append(fl->headers, "Accept: application/json");
    hdr = xasprintf("Authorization: Bearer %s", tok);
    fl->headers = curl_slist_append(fl->headers, hdr);
    sodium_memzero(hdr, strlen(hdr));
    sodium_memzero(tok, strlen(tok));
    free(hdr);
    free(tok);
    hdr = xasprintf("X-Request-Id: %s", json_string_value(json_object_get(m, "id")));
    fl->headers = curl_slist_append(fl->headers, hdr);
    free(hdr);
    fl->headers = curl_slist_append(fl->headers, "Expect:");
    fl->easy = curl_easy_init();
    curl_easy_setopt(fl->easy, CURLOPT_URL, full);
    free(full);
    if (!create)
        curl_easy_setopt(fl->easy, CURLOPT_CUSTOMREQUEST, "PATCH");
    curl_easy_setopt(fl->easy, CURLOPT_POSTFIELDS, fl->body);
    curl_easy_setopt(fl->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(fl->body));
    curl_easy_setopt(fl->easy, CURLOPT_HTTPHEADER, fl->headers);
    curl_easy_setopt(fl->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(fl->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(fl->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(fl->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(fl->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(fl->easy, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(fl->easy, CURLOPT_WRITEDATA, fl);
    curl_easy_setopt(fl->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(fl->easy, CURLOPT_HEADERDATA, fl);
    curl_easy_setopt(fl->easy, CURLOPT_PRIVATE, fl);
    curl_easy_setopt(fl->easy, CURLOPT_USERAGENT, "seam-broker");
    flight_link(f, fl);
}

/* Takes what is due; returns how long to sleep (ms) before looking again. */
static long
take_due(struct fwd *f)
{
    struct snapshot *snap = snapshot_hold();
    unsigned concurrency = snap->cfg->delivery_concurrency;
    snapshot_drop(snap);
    unsigned room = concurrency > busy_count(f) ? concurrency - busy_count(f) : 0;
    struct store_txn *t;
    json_t *msgs = NULL, *m;
    int64_t next = INT64_MAX, now = now_ms();
    int64_t paused_ms = (atomic_load(&f->pause_until_us) - mono_us()) / 1000;
    size_t i;
    if (paused_ms > 0) /* an attempt was not recorded: the store takes no write for now */
        return paused_ms > 1000 ? 1000 : (long)paused_ms;
    if (room == 0)
        return 1000;
    if (store_read_begin(f->srv->store, &t) != SEAM_OK)
        return 1000;
    enum seam_err rc = outbox_due(t, now, room, is_busy, f, &msgs, &next);
    if (rc != SEAM_OK) {
        store_read_end(t);
        return 1000;
    }
    /* Nothing leaves that the signed events do not bear out (verify_outbox.h). */
    char why[160];
    json_array_foreach(msgs, i, m)
    {
        uint64_t seq = (uint64_t)json_integer_value(json_object_get(m, "seq"));
        busy_add(f, seq);
        enum seam_err crc = outbox_check_message(t, f->srv->keys.pk, m, why, sizeof(why));
        if (crc == SEAM_ECORRUPT)
            refuse_one(f, m, seq, why);
        else if (crc != SEAM_OK) { /* the store could not be read: no verdict, due again */
            log_warnx("delivery: not checked id=%s error=\"%s\" (tried again)",
                      json_string_value(json_object_get(m, "id")), why);
            busy_remove(f, seq);
        } else if (strcmp(outbox_channel(m), "ebond") == 0)
            start_ebond(f, t, m, seq);
        else
            start_one(f, m);
    }
    store_read_end(t);
    json_decref(msgs);
    long wait = next == INT64_MAX ? 1000 : (long)(next - now);
    return wait < 0 ? 0 : wait > 1000 ? 1000 : wait;
}

static void *
forward_main(void *arg)
{
    struct fwd *f = arg;
    while (!f->stopping) {
        long wait = take_due(f);
        int running = 0;
        curl_multi_perform(f->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(f->multi, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE)
                finish_one(f, msg);
        curl_multi_poll(f->multi, NULL, 0, f->inflight > 0 && wait > 100 ? 100 : (int)wait, NULL);
    }
    return NULL;
}

struct fwd *
forward_start(struct server *srv)
{
    struct fwd *f = xcalloc(1, sizeof(*f));
    f->srv = srv;
    pthread_mutex_init(&f->busy_mu, NULL);
    f->multi = curl_multi_init();
    if (f->multi == NULL || pthread_create(&f->thread, NULL, forward_main, f) != 0)
        fatalx("cannot start the delivery thread");
    f->running = 1;
    return f;
}

void
forward_kick(struct fwd *f)
{
    if (f != NULL && f->multi != NULL)
        curl_multi_wakeup(f->multi);
}

void
forward_stop(struct fwd *f)
{
    if (f == NULL)
        return;
    f->stopping = 1;
    forward_kick(f);
    if (f->running)
        pthread_join(f->thread, NULL);
    /* Transfers cut short here stay pending in the outbox and go on next start. */
    while (f->flights) {
        struct flight *fl = f->flights;
        curl_multi_remove_handle(f->multi, fl->easy);
        curl_easy_cleanup(fl->easy);
        flight_free(fl);
    }
}

void
forward_free(struct fwd *f)
{
    if (f == NULL)
        return;
    curl_multi_cleanup(f->multi);
    pthread_mutex_destroy(&f->busy_mu);
    free(f);
}
