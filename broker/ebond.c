/*
 * ebond.c: partners whose own systems speak TMF621 v4 (eBonding; see
 * ebond.h and docs/interop.md). A claim of such a partner is created in the
 * partner's system as a TroubleTicket whose externalId is the claim's id;
 * seam learns what happens to it from the partner's hub (a listener seam
 * registered there, its callback carrying a capability of which seam keeps
 * only the hash) or by polling, and turns each status into the claim's
 * actions through the same state machine, as the partner, each a signed
 * event. Seam's own changes that matter to the partner (the customer's
 * answer, a cancellation) go back as PATCHes. Everything here happens in the
 * writer's transaction or a read one: the outbox (outbox.c) holds the calls
 * out, forward.c makes them, ebond_client.c registers the listener and polls.
 *
 * Store records in DB_META: "ebond/link/ASSIGNMENT" -> the partner's
 * TroubleTicket id; "ebond/seen/ASSIGNMENT" -> the last status of it acted on;
 * "ebond/listener/PARTNER" -> {"listener", "hash" (hex
 * BLAKE2b-256 of the secret), "callback" (without the capability), "hub"?}.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ebond.h"
#include "log.h"
#include "outbox.h"

#define LINK_PREFIX "ebond/link/"
#define SEEN_PREFIX "ebond/seen/"
#define LISTENER_PREFIX "ebond/listener/"

static _Atomic uint64_t unknown_statuses;

uint64_t
ebond_unknown_statuses(void)
{
    return atomic_load(&unknown_statuses);
}

char *
ebond_token_read(const char *file)
{
    char buf[4096];
    FILE *fp = file ? fopen(file, "r") : NULL;
    if (fp == NULL)
        return NULL;
    size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
    fclose(fp);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    char *tok = n > 0 && strcspn(buf, "\r\n") == n ? xstrdup(buf) : NULL;
    sodium_memzero(buf, sizeof(buf));
    return tok;
}

/* ---- the claim's link to the partner's TroubleTicket ---- */

enum seam_err
ebond_link_get(struct store_txn *t, const char *assignment, char *out, size_t cap)
{
    struct store_val v;
    char *k = xasprintf(LINK_PREFIX "%s", assignment);
    enum seam_err rc = store_get(t, DB_META, k, strlen(k), &v);
    free(k);
    if (rc != SEAM_OK)
        return rc;
    if (v.len == 0 || v.len >= cap)
        return SEAM_ECORRUPT;
    memcpy(out, v.data, v.len);
    out[v.len] = '\0';
    return SEAM_OK;
}

enum seam_err
ebond_link_put(struct store_txn *t, const char *assignment, const char *remote)
{
    if (remote == NULL || remote[0] == '\0' || strlen(remote) >= EBOND_REMOTE_MAX)
        return SEAM_EINVAL;
    char *k = xasprintf(LINK_PREFIX "%s", assignment);
    enum seam_err rc = store_put(t, DB_META, k, strlen(k), remote, strlen(remote), 0);
    free(k);
    return rc;
}

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
live_one(void *arg, struct store_val k, struct store_val v)
{
    struct live_ctx *l = arg;
    char aid[TICKET_ID_LEN + 1], tid[TICKET_ID_LEN + 1];
    size_t plen = strlen(LINK_PREFIX);
    struct ticket tk;
    if (k.len != plen + TICKET_ID_LEN || v.len == 0 || v.len >= EBOND_REMOTE_MAX)
        return 0;
    memcpy(aid, (const char *)k.data + plen, TICKET_ID_LEN);
    aid[TICKET_ID_LEN] = '\0';
    if (ticket_of_assignment(l->t, aid, tid) != SEAM_OK || ticket_load(l->t, tid, &tk) != SEAM_OK)
        return 0;
    const struct assignment *a = ticket_find_assignment(&tk, aid);
    if (a != NULL && strcmp(a->partner, l->partner) == 0 && assignment_is_live(a))
        json_array_append_new(l->out, json_pack("{s:s, s:s%}", "assignment", aid, "remote",
                                                (const char *)v.data, (size_t)v.len));
    ticket_free(&tk);
    return 0;
}

enum seam_err
ebond_live_links(struct store_txn *t, const char *partner, json_t **links)
{
    struct live_ctx l = {t, partner, json_array()};
    enum seam_err rc = store_scan_prefix(t, DB_META, LINK_PREFIX, live_one, &l);
    if (rc != SEAM_OK) {
        json_decref(l.out);
        return rc;
    }
    *links = l.out;
    return SEAM_OK;
}

/* ---- what the partner is told ---- */

/* TMF621's severity of a seam priority (tmf.c reads them back the same way). */
static const char *
severity_of(int prio)
{
    switch (prio) {
    case PRIO_URGENT:
        return "Critical";
    case PRIO_HIGH:
        return "High";
    case PRIO_LOW:
        return "Low";
    default:
        return "Medium";
    }
}

/* The TroubleTicket a claim is created as: what the partner may see of the ticket. */
static json_t *
trouble_ticket(const struct config_partner *p, const struct ticket *tk, const struct assignment *a)
{
    json_t *tt = json_object();
    json_object_set_new(tt, "@type", json_string("TroubleTicket"));
    json_object_set_new(tt, "externalId", json_string(a->id));
    json_object_set_new(tt, "name", json_string(tk->summary ? tk->summary : ""));
    json_object_set_new(tt, "description", json_string(tk->description ? tk->description : ""));
    json_object_set_new(tt, "severity", json_string(severity_of(tk->priority)));
    const char *type = tk->facts[FACT_SERVICE] ? tk->facts[FACT_SERVICE] : tk->facts[FACT_SYMPTOM];
    if (type != NULL)
        json_object_set_new(tt, "ticketType", json_string(type));
    if (p->ebond.customer != NULL)
        json_object_set_new(tt, "relatedParty",
                            json_pack("[{s:s, s:s, s:s}]", "id", p->ebond.customer, "role",
                                      "customer", "@referredType", "Customer"));
    return tt;
}

static enum seam_err
enqueue(struct store_txn *t, const struct config_partner *p, const struct ticket *tk,
        const struct assignment *a, const char *type, const char *path, json_t *body)
{
    char *owner = xasprintf(EBOND_OWNER_PREFIX "%s", p->id);
    size_t n = strlen(p->url);
    char *url = xasprintf("%.*s%s", (int)(n > 0 && p->url[n - 1] == '/' ? n - 1 : n), p->url, path);
    enum seam_err rc = outbox_enqueue_to(t, owner, url, tk->id, a->id, type, body);
    free(owner);
    free(url);
    return rc;
}

enum seam_err
ebond_queue(struct store_txn *t, const struct config_partner *p, const struct ticket *tk,
            const struct assignment *a, int created, enum event_type event, const char *text)
{
    if (created)
        return enqueue(t, p, tk, a, EBOND_CREATE, "/troubleTicket", trouble_ticket(p, tk, a));
    /* The ticket's id at the partner is added by the forwarder when it sends (it may not be
     * known yet: the creation may still be on its way). */
    char *reopened = NULL;
    enum seam_err rc;
    switch (event) {
    case EV_TICKET_NOTE:
        return enqueue(t, p, tk, a, EBOND_NOTE, "/troubleTicket/",
                       json_pack("[{s:s, s:s, s:{s:s, s:s}}]", "op", "add", "path", "/note/-",
                                 "value", "text", text ? text : "", "author", "customer"));
    case EV_TICKET_REOPENED: /* on the resolved claim's TroubleTicket; a new claim follows */
        reopened = xasprintf("The customer reopened the ticket: %s", text ? text : "");
        rc = enqueue(t, p, tk, a, EBOND_NOTE, "/troubleTicket/",
                     json_pack("[{s:s, s:s, s:{s:s, s:s}}]", "op", "add", "path", "/note/-",
                               "value", "text", reopened, "author", "customer"));
        free(reopened);
        return rc;
    case EV_TICKET_CANCELLED:
    case EV_TICKET_ASSIGNED:
    case EV_TICKET_MERGED:
        return enqueue(t, p, tk, a, EBOND_PATCH, "/troubleTicket/",
                       json_pack("{s:s, s:s}", "status", "cancelled", "statusChangeReason",
                                 event == EV_TICKET_CANCELLED ? "cancelled by the customer"
                                 : event == EV_TICKET_MERGED
                                     ? "merged into another ticket"
                                     : "the lead gave the ticket to another owner"));
    default:
        return SEAM_OK;
    }
}

/* ---- the hub listener and its capability ---- */

static char *
listener_key(const char *partner)
{
    return xasprintf(LISTENER_PREFIX "%s", partner);
}

json_t *
ebond_listener_get(struct store_txn *t, const char *partner)
{
    struct store_val v;
    char *k = listener_key(partner);
    json_t *rec = NULL;
    if (store_get(t, DB_META, k, strlen(k), &v) == SEAM_OK)
        rec = json_loadb(v.data, v.len, 0, NULL);
    free(k);
    return rec;
}

static void
secret_hash(const char *secret, char out[65])
{
    uint8_t h[32];
    crypto_generichash(h, sizeof(h), (const uint8_t *)secret, strlen(secret), NULL, 0);
    hex_encode(h, sizeof(h), out);
}

static enum seam_err
listener_put(struct store_txn *t, const char *partner, json_t *rec)
{
    char *k = listener_key(partner), *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    enum seam_err rc = store_put(t, DB_META, k, strlen(k), text, strlen(text), 0);
    free(k);
    free(text);
    return rc;
}

enum seam_err
ebond_listener_new(struct store_txn *t, const struct config_partner *p, char cap[EBOND_CAP_LEN + 1],
                   char **callback)
{
    uint8_t lid[8], secret[32];
    char lhex[17], shex[65], hash[65];
    randombytes_buf(lid, sizeof(lid));
    randombytes_buf(secret, sizeof(secret));
    hex_encode(lid, sizeof(lid), lhex);
    hex_encode(secret, sizeof(secret), shex);
    sodium_memzero(secret, sizeof(secret));
    secret_hash(shex, hash);
    size_t n = strlen(p->ebond.callback_url);
    char *base = xasprintf("%.*s/v1/ebond/%s/events",
                           (int)(n > 0 && p->ebond.callback_url[n - 1] == '/' ? n - 1 : n),
                           p->ebond.callback_url, p->id);
    json_t *rec = json_pack("{s:s, s:s, s:s}", "listener", lhex, "hash", hash, "callback", base);
    enum seam_err rc = listener_put(t, p->id, rec);
    json_decref(rec);
    if (rc == SEAM_OK) {
        snprintf(cap, EBOND_CAP_LEN + 1, "L%s.%s", lhex, shex);
        *callback = xasprintf("%s/%s", base, cap);
    }
    sodium_memzero(shex, sizeof(shex));
    free(base);
    return rc;
}

enum seam_err
ebond_listener_registered(struct store_txn *t, const char *partner, const char *hub_id)
{
    json_t *rec = ebond_listener_get(t, partner);
    if (rec == NULL)
        return SEAM_ENOTFOUND;
    json_object_set_new(rec, "hub", json_string(hub_id ? hub_id : ""));
    enum seam_err rc = listener_put(t, partner, rec);
    json_decref(rec);
    return rc;
}

/* Whether cap is the capability of the listener record rec. */
static int
cap_matches(const json_t *rec, const char *cap)
{
    const char *lid = json_string_value(json_object_get(rec, "listener"));
    const char *hash = json_string_value(json_object_get(rec, "hash"));
    char got[65];
    if (lid == NULL || hash == NULL || strlen(hash) != 64 || strlen(cap) != EBOND_CAP_LEN ||
        cap[0] != 'L' || cap[17] != '.' || strncmp(cap + 1, lid, 16) != 0)
        return 0;
    secret_hash(cap + 18, got);
    return sodium_memcmp(got, hash, 64) == 0;
}

int
ebond_capability_check(struct store_txn *t, const struct config *cfg, const char *partner,
                       const char *cap)
{
    int verdict = 401;
    if (cap == NULL)
        return 401;
    for (size_t i = 0; i < cfg->npartners; i++) {
        const struct config_partner *p = &cfg->partners[i];
        if (p->delivery != DELIVERY_TMF621)
            continue;
        json_t *rec = ebond_listener_get(t, p->id);
        if (rec != NULL && cap_matches(rec, cap))
            verdict = strcmp(p->id, partner) == 0 ? 0 : 403;
        json_decref(rec);
        if (verdict != 401)
            break;
    }
    return verdict;
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
    struct store_val seen;
    char *sk = xasprintf(SEEN_PREFIX "%s", aid);
    rc = store_get(t, DB_META, sk, strlen(sk), &seen);
    int same =
        rc == SEAM_OK && seen.len == strlen(status) && memcmp(seen.data, status, seen.len) == 0;
    if (rc == SEAM_OK || rc == SEAM_ENOTFOUND)
        rc = same ? SEAM_OK : store_put(t, DB_META, sk, strlen(sk), status, strlen(status), 0);
    free(sk);
    if (rc != SEAM_OK || same)
        goto out;
    enum assignment_state state = a->state;
    int pending = tk.status == TS_PENDING;
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
        atomic_fetch_add(&unknown_statuses, 1);
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
        goto out;
    }
    enum ebond_action does = p->ebond.status_does[i];
    int live = state == AS_ASSIGNED || state == AS_ACKNOWLEDGED || state == AS_IN_PROGRESS;
    if (does == EBOND_IGNORE || !live)
        goto out;
    /* A claim taken up at the partner's is acknowledged first, whatever its status says. */
    if (state == AS_ASSIGNED && does != EBOND_HANDBACK && does != EBOND_RESOLVE) {
        if ((rc = act(t, c, &who, TA_ACK, aid, NULL, out, o, why)) != SEAM_OK)
            goto out;
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
out:
    ticket_free(&tk);
    return rc;
}
