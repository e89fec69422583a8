/*
 * ebond.c: partners whose own systems speak TMF621 v4 (eBonding; see
 * ebond.h and docs/interop.md). A claim of such a partner is created in the
 * partner's system as a TroubleTicket whose externalId is the claim's id;
 * seam learns what happens to it from the partner's hub (a listener seam
 * registered there, its callback carrying a capability of which seam keeps
 * only the hash) or by polling (ebond_client.c, which turns each status into
 * the claim's actions). Seam's own changes that matter to the partner (the
 * customer's answer, a cancellation, a reopen) go back as PATCHes. This file
 * is the store's side: the outbox's messages, the links, the listener's
 * record and its capability; it acts on no ticket and calls no one.
 *
 * Store records in DB_META: "ebond/link/ASSIGNMENT" -> the partner's
 * TroubleTicket id; "ebond/seen/ASSIGNMENT" -> the last status of it acted
 * on (ebond_client.c); "ebond/listener/PARTNER" -> {"listener", "hash" (hex
 * BLAKE2b-256 of the secret), "callback" (without the capability), "hub"?}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ebond.h"
#include "log.h"
#include "outbox.h"

#define LINK_PREFIX "ebond/link/"
#define SEEN_PREFIX "ebond/seen/"
#define NOTES_PREFIX "ebond/notes/"
#define SENT_PREFIX "ebond/sent/"
#define LISTENER_PREFIX "ebond/listener/"

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

struct each_ctx {
    ebond_link_fn fn;
    void *ctx;
};

static int
link_one(void *arg, struct store_val k, struct store_val v)
{
    struct each_ctx *e = arg;
    char aid[SEAM_ID_LEN + 1], remote[EBOND_REMOTE_MAX];
    size_t plen = strlen(LINK_PREFIX);
    if (k.len != plen + SEAM_ID_LEN || v.len == 0 || v.len >= EBOND_REMOTE_MAX)
        return 0;
    memcpy(aid, (const char *)k.data + plen, SEAM_ID_LEN);
    aid[SEAM_ID_LEN] = 0;
    memcpy(remote, v.data, v.len);
    remote[v.len] = '\0';
    return e->fn(e->ctx, aid, remote);
}

enum seam_err
ebond_links_each(struct store_txn *t, ebond_link_fn fn, void *ctx)
{
    struct each_ctx e = {fn, ctx};
    return store_scan_prefix(t, DB_META, LINK_PREFIX, link_one, &e);
}

enum seam_err
ebond_seen_update(struct store_txn *t, const char *assignment, const char *status, int *changed)
{
    struct store_val seen;
    char *k = xasprintf(SEEN_PREFIX "%s", assignment);
    enum seam_err rc = store_get(t, DB_META, k, strlen(k), &seen);
    int same =
        rc == SEAM_OK && seen.len == strlen(status) && memcmp(seen.data, status, seen.len) == 0;
    if (rc == SEAM_OK || rc == SEAM_ENOTFOUND)
        rc = same ? SEAM_OK : store_put(t, DB_META, k, strlen(k), status, strlen(status), 0);
    free(k);
    if (rc == SEAM_OK)
        *changed = !same;
    return rc;
}

enum seam_err
ebond_notes_taken(struct store_txn *t, const char *assignment, size_t *n)
{
    struct store_val v;
    char num[24], *k = xasprintf(NOTES_PREFIX "%s", assignment);
    enum seam_err rc = store_get(t, DB_META, k, strlen(k), &v);
    free(k);
    if (rc == SEAM_ENOTFOUND) {
        *n = 0;
        return SEAM_OK;
    }
    if (rc != SEAM_OK)
        return rc;
    if (v.len == 0 || v.len >= sizeof(num))
        return SEAM_ECORRUPT;
    memcpy(num, v.data, v.len);
    num[v.len] = '\0';
    *n = (size_t)strtoull(num, NULL, 10);
    return SEAM_OK;
}

enum seam_err
ebond_notes_set_taken(struct store_txn *t, const char *assignment, size_t n)
{
    char num[24], *k = xasprintf(NOTES_PREFIX "%s", assignment);
    snprintf(num, sizeof(num), "%zu", n);
    enum seam_err rc = store_put(t, DB_META, k, strlen(k), num, strlen(num), 0);
    free(k);
    return rc;
}

/* The hash of a note's text, as the sent set keeps it (33 bytes: 32 hex digits). */
static void
note_hash(const char *text, char out[33])
{
    uint8_t h[16];
    crypto_generichash(h, sizeof(h), (const uint8_t *)text, strlen(text), NULL, 0);
    hex_encode(h, sizeof(h), out);
}

/* The sent set of a claim (new reference): an array of hashes. */
static json_t *
sent_get(struct store_txn *t, const char *k)
{
    struct store_val v;
    json_t *a = NULL;
    if (store_get(t, DB_META, k, strlen(k), &v) == SEAM_OK)
        a = json_loadb(v.data, v.len, 0, NULL);
    return json_is_array(a) ? a : (json_decref(a), json_array());
}

static enum seam_err
sent_put(struct store_txn *t, const char *k, const json_t *a)
{
    char *text = json_dumps(a, JSON_COMPACT);
    enum seam_err rc = store_put(t, DB_META, k, strlen(k), text, strlen(text), 0);
    free(text);
    return rc;
}

/* Records that seam sent a note of this text to the claim's TroubleTicket. */
static enum seam_err
note_sent(struct store_txn *t, const char *assignment, const char *text)
{
    char h[33], *k = xasprintf(SENT_PREFIX "%s", assignment);
    note_hash(text, h);
    json_t *a = sent_get(t, k);
    if (json_array_size(a) >= 64) /* a bound: the oldest is forgotten */
        json_array_remove(a, 0);
    json_array_append_new(a, json_string(h));
    enum seam_err rc = sent_put(t, k, a);
    json_decref(a);
    free(k);
    return rc;
}

enum seam_err
ebond_note_take_sent(struct store_txn *t, const char *assignment, const char *text, int *sent)
{
    char h[33], *k = xasprintf(SENT_PREFIX "%s", assignment);
    json_t *a = sent_get(t, k), *v;
    size_t i;
    enum seam_err rc = SEAM_OK;
    note_hash(text, h);
    *sent = 0;
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), h) == 0) {
            json_array_remove(a, i);
            *sent = 1;
            rc = sent_put(t, k, a);
            break;
        }
    }
    json_decref(a);
    free(k);
    return rc;
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
        if ((rc = note_sent(t, a->id, text ? text : "")) != SEAM_OK)
            return rc;
        return enqueue(t, p, tk, a, EBOND_NOTE, "/troubleTicket/",
                       json_pack("[{s:s, s:s, s:{s:s, s:s}}]", "op", "add", "path", "/note/-",
                                 "value", "text", text ? text : "", "author", "customer"));
    case EV_TICKET_REOPENED: /* on the resolved claim's TroubleTicket; a new claim follows */
        reopened = xasprintf("The customer reopened the ticket: %s", text ? text : "");
        if ((rc = note_sent(t, a->id, reopened)) != SEAM_OK) {
            free(reopened);
            return rc;
        }
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
