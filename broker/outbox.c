/*
 * outbox.c: push messages in the store (see outbox.h). Pending messages are
 * also indexed by their next attempt's time (DB_OUTBOX_DUE), so the
 * forwarder finds what is due without reading what was delivered. It sends
 * nothing itself.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "outbox.h"

static const char META_SEQ[] = "outbox_seq";
static atomic_int news; /* a message was queued since outbox_take_news */

static void
due_key(int64_t at, uint64_t seq, uint8_t key[16])
{
    be64_put(key, (uint64_t)(at < 0 ? 0 : at));
    be64_put(key + 8, seq);
}

/*
 * A new webhook-id: "msg_", then 48 bits of the time in ms and 80 random bits, in 32 lowercase hex
 * digits (time-ordered, as UUIDv7 and ULID are): no counter, so no other store, no restored
 * backup and no later message of this one sends it again.
 */
static void
message_id(int64_t now, char id[OUTBOX_ID_LEN + 1])
{
    uint8_t b[16];
    uint64_t ms = (uint64_t)(now < 0 ? 0 : now);
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (8 * (5 - i)));
    randombytes_buf(b + 6, 10);
    memcpy(id, "msg_", 4);
    sodium_bin2hex(id + 4, 33, b, 16);
}

/* The key of the record id -> seq in DB_META (malloc'd). */
static char *
id_key(const char *id)
{
    return xasprintf("outbox_id/%s", id);
}

/*
 * The number of the message named id: ids of before random ids were "msg_" and the number in 16
 * hex digits; the others are found through their record. SEAM_ENOTFOUND if none is.
 */
static enum seam_err
id_seq(struct store_txn *t, const char *id, uint64_t *seq)
{
    unsigned long long n;
    char tail;
    if (id == NULL || strncmp(id, "msg_", 4) != 0)
        return SEAM_ENOTFOUND;
    if (strlen(id) == 20 && sscanf(id, "msg_%16llx%c", &n, &tail) == 1) {
        *seq = n;
        return SEAM_OK;
    }
    if (strlen(id) != OUTBOX_ID_LEN || strspn(id + 4, "0123456789abcdef") != OUTBOX_ID_LEN - 4)
        return SEAM_ENOTFOUND;
    char *k = id_key(id);
    enum seam_err rc = store_get_u64(t, DB_META, k, strlen(k), seq);
    free(k);
    return rc;
}

static enum seam_err
put_message(struct store_txn *t, uint64_t seq, const json_t *m)
{
    uint8_t k[8];
    char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return SEAM_EINVAL;
    be64_put(k, seq);
    enum seam_err rc = store_put(t, DB_OUTBOX, k, 8, text, strlen(text), 0);
    free(text);
    return rc;
}

static enum seam_err
get_message(struct store_txn *t, uint64_t seq, json_t **out)
{
    uint8_t k[8];
    struct store_val v;
    be64_put(k, seq);
    enum seam_err rc = store_get(t, DB_OUTBOX, k, 8, &v);
    if (rc != SEAM_OK)
        return rc;
    json_t *m = json_loadb(v.data, v.len, 0, NULL);
    if (m == NULL)
        return SEAM_ECORRUPT;
    *out = m;
    return SEAM_OK;
}

enum seam_err
outbox_enqueue(struct store_txn *t, const struct config_partner *p, const char *ticket,
               const char *assignment, const char *type, json_t *body)
{
    return outbox_enqueue_to(t, p->id, p->url, ticket, assignment, type, body);
}

/* Queues a message whose body is already bytes (taken). */
struct mail_envelope {
    const char *from, *rcpt, *message_id;
};

static enum seam_err
enqueue_bytes(struct store_txn *t, const char *owner, const char *url, const char *ticket,
              const char *assignment, const char *type, const char *bytes,
              const struct mail_envelope *mail)
{
    uint8_t sk[8], dk[16];
    uint64_t seq;
    char id[OUTBOX_ID_LEN + 1], at[32];
    enum seam_err rc = store_get_u64(t, DB_META, META_SEQ, strlen(META_SEQ), &seq);
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
        return rc;
    seq++;
    be64_put(sk, seq);
    if ((rc = store_put(t, DB_META, META_SEQ, strlen(META_SEQ), sk, 8, 0)) != SEAM_OK)
        return rc;
    /* The webhook-id: the same for every try of this message, unique forever (outbox.h). */
    int64_t now = now_ms();
    message_id(now, id);
    char *ik = id_key(id);
    rc = store_put(t, DB_META, ik, strlen(ik), sk, 8, 0);
    free(ik);
    if (rc != SEAM_OK)
        return rc;
    format_time_ms(now, at);
    json_t *m = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:s}", "id", id,
                          "seq", (json_int_t)seq, "partner", owner, "url", url, "ticket", ticket,
                          "assignment", assignment, "type", type, "body", bytes, "state", "pending",
                          "attempts", 0, "next_at", (json_int_t)now, "created_at", at);
    if (mail != NULL) { /* e-mail (mail_out.c): the envelope and the message's own id */
        json_object_set_new(m, "channel", json_string("mail"));
        json_object_set_new(m, "mail_from", json_string(mail->from));
        json_object_set_new(m, "rcpt", json_string(mail->rcpt));
        json_object_set_new(m, "message_id", json_string(mail->message_id));
    }
    rc = put_message(t, seq, m);
    json_decref(m);
    if (rc != SEAM_OK)
        return rc;
    due_key(now, seq, dk);
    atomic_store(&news, 1);
    return store_put(t, DB_OUTBOX_DUE, dk, 16, "", 0, 0);
}

int
outbox_take_news(void)
{
    return atomic_exchange(&news, 0);
}

/* A message, queued by the writer, which gives it its number (at the replay, when staged). */
struct staged_message {
    char *owner, *url, *ticket, *assignment, *type, *bytes;
    char *mail_from, *rcpt, *message_id; /* e-mail only, else NULL */
};

static enum seam_err
enqueue_staged(struct store_txn *t, void *arg)
{
    struct staged_message *m = arg;
    struct mail_envelope env = {m->mail_from, m->rcpt, m->message_id};
    return enqueue_bytes(t, m->owner, m->url, m->ticket, m->assignment, m->type, m->bytes,
                         m->rcpt ? &env : NULL);
}

static void
staged_message_free(void *arg)
{
    struct staged_message *m = arg;
    free(m->owner);
    free(m->url);
    free(m->ticket);
    free(m->assignment);
    free(m->type);
    free(m->bytes);
    free(m->mail_from);
    free(m->rcpt);
    free(m->message_id);
    free(m);
}

/* Queues bytes (taken) to owner at url. */
static enum seam_err
enqueue_taken(struct store_txn *t, const char *owner, const char *url, const char *ticket,
              const char *assignment, const char *type, char *bytes)
{
    struct staged_message *m = xmalloc(sizeof(*m));
    *m = (struct staged_message){xstrdup(owner),
                                 xstrdup(url),
                                 xstrdup(ticket),
                                 xstrdup(assignment),
                                 xstrdup(type),
                                 bytes,
                                 NULL,
                                 NULL,
                                 NULL};
    return store_defer(t, enqueue_staged, m, staged_message_free);
}

enum seam_err
outbox_enqueue_mail(struct store_txn *t, const char *owner, const char *url, const char *from,
                    const char *rcpt, const char *ticket, const char *assignment, const char *type,
                    const char *message_id, char *message)
{
    struct staged_message *m = xmalloc(sizeof(*m));
    *m = (struct staged_message){xstrdup(owner),      xstrdup(url),  xstrdup(ticket),
                                 xstrdup(assignment), xstrdup(type), message,
                                 xstrdup(from),       xstrdup(rcpt), xstrdup(message_id)};
    return store_defer(t, enqueue_staged, m, staged_message_free);
}

const char *
outbox_channel(const json_t *m)
{
    const char *ch = json_string_value(json_object_get(m, "channel"));
    const char *owner = json_string_value(json_object_get(m, "partner"));
    if (ch != NULL)
        return ch;
    if (owner != NULL && strncmp(owner, "ebond:", 6) == 0)
        return "ebond"; /* a tmf621 partner's system (ebond.h) */
    return owner != NULL && strncmp(owner, "hub:", 4) == 0 ? "tmf" : "webhook";
}

enum seam_err
outbox_enqueue_to(struct store_txn *t, const char *owner, const char *url, const char *ticket,
                  const char *assignment, const char *type, json_t *body)
{
    char *bytes = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(body);
    if (bytes == NULL)
        return SEAM_EINVAL;
    return enqueue_taken(t, owner, url, ticket, assignment, type, bytes);
}

enum seam_err
outbox_enqueue_text(struct store_txn *t, const struct config_partner *p, const char *ticket,
                    const char *assignment, const char *type, const char *text, size_t len)
{
    char *bytes = xmalloc(len + 1);
    memcpy(bytes, text, len);
    bytes[len] = '\0';
    return enqueue_taken(t, p->id, p->url, ticket, assignment, type, bytes);
}

struct due_ctx {
    struct store_txn *t;
    int64_t now, next;
    unsigned max;
    outbox_skip_fn skip;
    void *skip_ctx;
    json_t *out;
};

static int
due_one(void *arg, struct store_val k, struct store_val v)
{
    struct due_ctx *d = arg;
    json_t *m = NULL;
    (void)v;
    if (k.len != 16)
        return 0;
    int64_t at = (int64_t)be64_get(k.data);
    uint64_t seq = be64_get((const uint8_t *)k.data + 8);
    if (at > d->now) {
        d->next = at;
        return 1;
    }
    if (json_array_size(d->out) >= d->max)
        return 1;
    if (d->skip && d->skip(d->skip_ctx, seq))
        return 0;
    if (get_message(d->t, seq, &m) != SEAM_OK)
        return 0;
    if (outbox_partner_disabled(d->t, json_string_value(json_object_get(m, "partner")))) {
        json_decref(m); /* parked until redelivered */
        return 0;
    }
    json_array_append_new(d->out, m);
    return 0;
}

enum seam_err
outbox_due(struct store_txn *t, int64_t now, unsigned max, outbox_skip_fn skip, void *ctx,
           json_t **messages, int64_t *next)
{
    struct due_ctx d = {t, now, INT64_MAX, max, skip, ctx, json_array()};
    enum seam_err rc = store_scan(t, DB_OUTBOX_DUE, NULL, 0, 0, due_one, &d);
    if (rc != SEAM_OK) {
        json_decref(d.out);
        return rc;
    }
    *messages = d.out;
    *next = d.next;
    return SEAM_OK;
}

static char *
disabled_key(const char *partner)
{
    return xasprintf("push_disabled/%s", partner);
}

int
outbox_partner_disabled(struct store_txn *t, const char *partner)
{
    struct store_val v;
    char *k = disabled_key(partner ? partner : "");
    int off = store_get(t, DB_META, k, strlen(k), &v) == SEAM_OK;
    free(k);
    return off;
}

/* The delay before try n (0-based), with +/-20% jitter after the first. */
static int64_t
delay_ms(const struct config *cfg, size_t n)
{
    int64_t base = cfg->retry_ms[n < cfg->nretry ? n : cfg->nretry - 1];
    if (base <= 0)
        return 0;
    int64_t spread = base / 5;
    if (spread == 0)
        return base;
    return base - spread + (int64_t)randombytes_uniform((uint32_t)(2 * spread + 1));
}

enum seam_err
outbox_record(struct store_txn *t, const struct config *cfg, const struct outbox_attempt *a,
              int *dead, json_t **out)
{
    json_t *m = NULL;
    uint8_t dk[16];
    char at[32];
    enum seam_err rc = get_message(t, a->seq, &m);
    *dead = 0;
    if (rc != SEAM_OK)
        return rc;
    const char *state = json_string_value(json_object_get(m, "state"));
    if (state == NULL || strcmp(state, "pending") != 0) {
        *out = m; /* recorded already (a redelivery raced it): nothing to do */
        return SEAM_OK;
    }
    int64_t now = now_ms();
    json_int_t attempts = json_integer_value(json_object_get(m, "attempts")) + 1;
    due_key(json_integer_value(json_object_get(m, "next_at")), a->seq, dk);
    if ((rc = store_del(t, DB_OUTBOX_DUE, dk, 16)) != SEAM_OK && rc != SEAM_ENOTFOUND)
        goto out;
    json_object_set_new(m, "attempts", json_integer(attempts));
    json_object_set_new(m, "last_status", a->status ? json_integer(a->status) : json_null());
    json_object_set_new(m, "last_error", a->error[0] ? json_string(a->error) : json_null());
    format_time_ms(now, at);
    json_object_set_new(m, "last_attempt_at", json_string(at));
    if (a->refused) {
        json_object_set_new(m, "state", json_string("failed"));
        *dead = 1;
    } else if (a->status >= 200 && a->status < 300) {
        json_object_set_new(m, "state", json_string("delivered"));
        json_object_set_new(m, "delivered_at", json_string(at));
    } else if (a->status == 410) {
        /* The partner says this endpoint is gone: stop pushing to it. */
        char *k = disabled_key(json_string_value(json_object_get(m, "partner")));
        rc = store_put(t, DB_META, k, strlen(k), at, strlen(at), 0);
        free(k);
        if (rc != SEAM_OK)
            goto out;
        json_object_set_new(m, "state", json_string("disabled"));
        *dead = 1;
    } else if ((size_t)attempts >= cfg->nretry) {
        json_object_set_new(m, "state", json_string("failed"));
        *dead = 1;
    } else {
        int64_t wait = delay_ms(cfg, (size_t)attempts);
        if ((a->status == 429 || a->status == 503) && a->retry_after_s >= 0) {
            int64_t ra = (int64_t)(a->retry_after_s < (long)cfg->max_retry_after_s
                                       ? a->retry_after_s
                                       : (long)cfg->max_retry_after_s) *
                         1000;
            if (ra > wait)
                wait = ra;
        }
        json_object_set_new(m, "next_at", json_integer(now + wait));
        due_key(now + wait, a->seq, dk);
        if ((rc = store_put(t, DB_OUTBOX_DUE, dk, 16, "", 0, 0)) != SEAM_OK)
            goto out;
    }
    rc = put_message(t, a->seq, m);
out:
    if (rc != SEAM_OK) {
        json_decref(m);
        return rc;
    }
    *out = m;
    return SEAM_OK;
}

struct list_ctx {
    const char *state, *partner, *channel;
    uint64_t cursor;
    unsigned limit;
    json_t *items;
    int more;
    uint64_t last;
};

static int
list_one(void *arg, struct store_val k, struct store_val v)
{
    struct list_ctx *l = arg;
    if (k.len != 8)
        return 0;
    uint64_t seq = be64_get(k.data);
    if (l->cursor && seq >= l->cursor)
        return 0;
    json_t *m = json_loadb(v.data, v.len, 0, NULL);
    if (m == NULL)
        return 0;
    const char *st = json_string_value(json_object_get(m, "state"));
    const char *p = json_string_value(json_object_get(m, "partner"));
    if ((l->state && (st == NULL || strcmp(st, l->state) != 0)) ||
        (l->partner && (p == NULL || strcmp(p, l->partner) != 0)) ||
        (l->channel && strcmp(outbox_channel(m), l->channel) != 0)) {
        json_decref(m);
        return 0;
    }
    if (json_array_size(l->items) == l->limit) {
        json_decref(m);
        l->more = 1;
        return 1;
    }
    json_array_append_new(l->items, m);
    l->last = seq;
    return 0;
}

enum seam_err
outbox_list(struct store_txn *t, const char *state, const char *partner, const char *cursor,
            unsigned limit, json_t **page)
{
    return outbox_list_channel(t, state, partner, NULL, cursor, limit, page);
}

enum seam_err
outbox_list_channel(struct store_txn *t, const char *state, const char *partner,
                    const char *channel, const char *cursor, unsigned limit, json_t **page)
{
    struct list_ctx l = {state, partner, channel, 0, limit, json_array(), 0, 0};
    uint8_t start[8];
    if (cursor != NULL) {
        unsigned long long c;
        if (sscanf(cursor, "msg_%16llx", &c) != 1)
            return SEAM_EINVAL;
        l.cursor = c;
    }
    be64_put(start, l.cursor ? l.cursor : UINT64_MAX);
    enum seam_err rc = store_scan(t, DB_OUTBOX, start, 8, 1, list_one, &l);
    if (rc != SEAM_OK) {
        json_decref(l.items);
        return rc;
    }
    char next[32];
    snprintf(next, sizeof(next), "msg_%016llx", (unsigned long long)l.last);
    *page = json_pack("{s:o, s:o}", "items", l.items, "next_cursor",
                      l.more ? json_string(next) : json_null());
    return SEAM_OK;
}

enum seam_err
outbox_redeliver(struct store_txn *t, const char *id, json_t **out)
{
    uint64_t seq;
    json_t *m = NULL;
    uint8_t dk[16];
    enum seam_err rc = id_seq(t, id, &seq);
    if (rc != SEAM_OK)
        return rc;
    if ((rc = get_message(t, seq, &m)) != SEAM_OK)
        return rc;
    const char *mid = json_string_value(json_object_get(m, "id"));
    if (mid == NULL || strcmp(mid, id) != 0) { /* an old-style id names only its own message */
        json_decref(m);
        return SEAM_ENOTFOUND;
    }
    const char *state = json_string_value(json_object_get(m, "state"));
    if (strcmp(state, "pending") == 0) {
        due_key(json_integer_value(json_object_get(m, "next_at")), seq, dk);
        rc = store_del(t, DB_OUTBOX_DUE, dk, 16); /* replaced just below */
        if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
            goto out;
    }
    char *k = disabled_key(json_string_value(json_object_get(m, "partner")));
    rc = store_del(t, DB_META, k, strlen(k));
    free(k);
    if (rc != SEAM_OK && rc != SEAM_ENOTFOUND)
        goto out;
    int64_t now = now_ms();
    json_object_set_new(m, "state", json_string("pending"));
    json_object_set_new(m, "attempts", json_integer(0));
    json_object_set_new(m, "next_at", json_integer(now));
    due_key(now, seq, dk);
    if ((rc = store_put(t, DB_OUTBOX_DUE, dk, 16, "", 0, 0)) == SEAM_OK)
        rc = put_message(t, seq, m);
out:
    if (rc != SEAM_OK) {
        json_decref(m);
        return rc;
    }
    *out = m;
    return SEAM_OK;
}

uint64_t
outbox_count(struct store_txn *t)
{
    return store_count(t, DB_OUTBOX);
}

enum seam_err
outbox_scan(struct store_txn *t, store_scan_fn fn, void *ctx)
{
    return store_scan(t, DB_OUTBOX, NULL, 0, 0, fn, ctx);
}

uint64_t
outbox_pending(struct store_txn *t)
{
    return store_count(t, DB_OUTBOX_DUE);
}
