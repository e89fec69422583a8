/*
 * evlog.c: the evidence log in LMDB (see evlog.h).
 *
 * Layout: DB_EVENTS maps ticket id || be32 seq to be64 leaf || signature ||
 * canonical event bytes, and for an event with restricted content (format
 * 2, seam/evidence.h) a NUL and its disclosures as a JSON array of strings
 * (the signature, the chain and the leaf cover the bytes alone; each
 * disclosure is bound by its digest in them); DB_LEAVES maps be64 leaf to ticket id || be32 seq;
 * DB_TREE keeps every perfect subtree's hash (level byte || be64 index), so
 * a root or a proof costs O(log n) lookups; DB_META keeps the tree size and
 * the latest signed checkpoint, DB_CHECKPOINTS every checkpoint by size,
 * DB_COSIGS the checkpoints the witnesses cosigned (the note with their
 * cosignature lines appended), by size.
 * It does not decide what an event says: the ticket module does.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "evlog.h"
#include "json_fast.h"
#include "json_read.h"
#include "log.h"
#include "progress.h"

#define H SEAM_HASH_LEN
static const char META_TREE_SIZE[] = "tree_size";
static const char META_CHECKPOINT[] = "checkpoint";
static const char META_CHECKPOINT_SIZE[] = "checkpoint_size";

static enum seam_err
meta_u64(struct store_txn *t, const char *key, uint64_t *out)
{
    enum seam_err rc = store_get_u64(t, DB_META, key, strlen(key), out);
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc;
}

static enum seam_err
meta_put_u64(struct store_txn *t, const char *key, uint64_t val)
{
    uint8_t b[8];
    be64_put(b, val);
    return store_put(t, DB_META, key, strlen(key), b, 8, 0);
}

static void
node_key(unsigned level, uint64_t index, uint8_t key[9])
{
    key[0] = (uint8_t)level;
    be64_put(key + 1, index);
}

int
evlog_node(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
    struct store_txn *t = ctx;
    struct store_val v;
    uint8_t key[9];
    node_key(level, index, key);
    if (store_get(t, DB_TREE, key, 9, &v) != SEAM_OK || v.len != H)
        return -1;
    memcpy(out, v.data, H);
    return 0;
}

/* The length of the event bytes of a DB_EVENTS value (vlen >= 8 + SEAM_SIG_LEN). */
static size_t
bytes_len(const void *val, size_t vlen)
{
    const char *b = (const char *)val + 8 + SEAM_SIG_LEN;
    const char *nul = memchr(b, '\0', vlen - 8 - SEAM_SIG_LEN);
    return nul ? (size_t)(nul - b) : vlen - 8 - SEAM_SIG_LEN;
}

/* The disclosures of a DB_EVENTS value: a JSON array (new reference), empty if none. */
static json_t *
disclosures_of(const void *val, size_t vlen)
{
    size_t n = bytes_len(val, vlen), rest = vlen - 8 - SEAM_SIG_LEN - n;
    if (rest <= 1)
        return json_array();
    return json_loadb((const char *)val + 8 + SEAM_SIG_LEN + n + 1, rest - 1,
                      JSON_REJECT_DUPLICATES, NULL);
}

static void
event_key(const char *ticket, uint32_t seq, uint8_t key[TICKET_ID_LEN + 4])
{
    memcpy(key, ticket, TICKET_ID_LEN);
    key[TICKET_ID_LEN] = (uint8_t)(seq >> 24);
    key[TICKET_ID_LEN + 1] = (uint8_t)(seq >> 16);
    key[TICKET_ID_LEN + 2] = (uint8_t)(seq >> 8);
    key[TICKET_ID_LEN + 3] = (uint8_t)seq;
}

/* Stores a signed event, val = be64 leaf (filled in here) || signature || bytes. */
static enum seam_err
append_signed(struct store_txn *t, const char *ticket, uint32_t seq, uint8_t *val, size_t vlen)
{
    uint8_t key[TICKET_ID_LEN + 4], nk[9], lk[8], hash[H], sib[H];
    const uint8_t *bytes = val + 8 + SEAM_SIG_LEN;
    size_t len = bytes_len(val, vlen);
    uint64_t size;
    enum seam_err rc;

    if ((rc = meta_u64(t, META_TREE_SIZE, &size)) != SEAM_OK)
        return rc;
    be64_put(val, size);
    event_key(ticket, seq, key);
    rc = store_put(t, DB_EVENTS, key, sizeof(key), val, vlen,
                   STORE_NOOVERWRITE | (seq == 0 ? STORE_APPEND : 0));
    if (rc != SEAM_OK)
        return rc == SEAM_EEXIST ? SEAM_ECORRUPT : rc;
    be64_put(lk, size);
    if ((rc = store_put(t, DB_LEAVES, lk, 8, key, sizeof(key), STORE_NOOVERWRITE | STORE_APPEND)) !=
        SEAM_OK)
        return rc == SEAM_EEXIST ? SEAM_ECORRUPT : rc;

    /* The leaf, then each parent this leaf completes. */
    seam_leaf_hash(bytes, len, hash);
    unsigned level = 0;
    uint64_t idx = size;
    for (;;) {
        node_key(level, idx, nk);
        if ((rc = store_put(t, DB_TREE, nk, 9, hash, H, 0)) != SEAM_OK)
            return rc;
        if ((idx & 1) == 0)
            break;
        /* A sibling that is missing is corruption; one the store failed to read is not. */
        struct store_val sv;
        node_key(level, idx - 1, nk);
        if ((rc = store_get(t, DB_TREE, nk, 9, &sv)) != SEAM_OK)
            return rc == SEAM_ENOTFOUND ? SEAM_ECORRUPT : rc;
        if (sv.len != H)
            return SEAM_ECORRUPT;
        memcpy(sib, sv.data, H);
        seam_node_hash(sib, hash, hash);
        level++;
        idx >>= 1;
    }
    return meta_put_u64(t, META_TREE_SIZE, size + 1);
}

/* A signed event, stored by the writer (at the replay, when it was staged). */
struct staged_event {
    char ticket[TICKET_ID_LEN + 1];
    uint32_t seq;
    size_t vlen;
    uint8_t val[];
};

static enum seam_err
append_staged(struct store_txn *t, void *arg)
{
    struct staged_event *e = arg;
    return append_signed(t, e->ticket, e->seq, e->val, e->vlen);
}

/* Each disclosure nests no deeper than its readers parse (it holds a value of the data). */
static enum seam_err
disclosures_check(const char *ticket, const char *disc, size_t dlen)
{
    struct json_read r;
    struct json_slice text;
    char *owned = NULL;
    enum seam_err rc = SEAM_OK;
    json_read_init(&r, disc, dlen);
    if (json_read_array(&r))
        while (rc == SEAM_OK && json_read_next(&r)) {
            if (!json_read_str(&r, &text, &owned))
                break;
            rc = json_stored_check("disclosure", ticket, TICKET_ID_LEN, text.s, text.n);
            free(owned);
            owned = NULL;
        }
    if (rc == SEAM_OK && !json_read_end(&r))
        rc = SEAM_EINVAL;
    json_read_done(&r);
    return rc;
}

enum seam_err
evlog_append(struct store_txn *t, const struct evlog *lg, const char *ticket, uint32_t seq,
             const char *bytes, size_t len)
{
    return evlog_append_disclosed(t, lg, ticket, seq, bytes, len, NULL, 0);
}

enum seam_err
evlog_append_disclosed(struct store_txn *t, const struct evlog *lg, const char *ticket,
                       uint32_t seq, const char *bytes, size_t len, const char *disc, size_t dlen)
{
    if (strlen(ticket) != TICKET_ID_LEN || memchr(bytes, '\0', len) != NULL ||
        (disc != NULL && memchr(disc, '\0', dlen) != NULL))
        return SEAM_EINVAL;
    /* Never an event its verifiers cannot parse again (json_fast.h), nor a disclosure. */
    enum seam_err rc = json_stored_check("event", ticket, TICKET_ID_LEN, bytes, len);
    if (rc != SEAM_OK)
        return rc;
    if (disc != NULL && (rc = disclosures_check(ticket, disc, dlen)) != SEAM_OK)
        return rc;
    size_t vlen = 8 + SEAM_SIG_LEN + len + (disc != NULL ? 1 + dlen : 0);
    struct staged_event *e = xmalloc(sizeof(*e) + vlen);
    memset(e->val, 0, 8);
    seam_sign_ctx(SEAM_EVENT_CONTEXT, bytes, len, lg->keys->sk, e->val + 8);
    memcpy(e->val + 8 + SEAM_SIG_LEN, bytes, len);
    if (disc != NULL) {
        e->val[8 + SEAM_SIG_LEN + len] = '\0';
        memcpy(e->val + 8 + SEAM_SIG_LEN + len + 1, disc, dlen);
    }
    memcpy(e->ticket, ticket, TICKET_ID_LEN + 1);
    e->seq = seq;
    e->vlen = vlen;
    return store_defer(t, append_staged, e, free);
}

enum seam_err
evlog_hook(struct store_txn *t, void *arg)
{
    const struct evlog *lg = arg;
    uint64_t size, signed_size;
    uint8_t root[H], sk[8];
    char *note = NULL;
    enum seam_err rc;
    if ((rc = meta_u64(t, META_TREE_SIZE, &size)) != SEAM_OK ||
        (rc = meta_u64(t, META_CHECKPOINT_SIZE, &signed_size)) != SEAM_OK)
        return rc;
    if (size == 0 || size == signed_size)
        return SEAM_OK;
    if (seam_merkle_root(evlog_node, t, size, root) != 0)
        return SEAM_ECORRUPT;
    if (seam_checkpoint_sign(lg->origin, size, root, lg->keys->sk, &note) != 0)
        return SEAM_ECRYPTO;
    be64_put(sk, size);
    if ((rc = store_put(t, DB_META, META_CHECKPOINT, strlen(META_CHECKPOINT), note, strlen(note),
                        0)) == SEAM_OK &&
        (rc = store_put(t, DB_CHECKPOINTS, sk, 8, note, strlen(note), STORE_APPEND)) == SEAM_OK)
        rc = meta_put_u64(t, META_CHECKPOINT_SIZE, size);
    free(note);
    return rc;
}

enum seam_err
evlog_checkpoint(struct store_txn *t, uint64_t *size, char **note)
{
    struct store_val v;
    uint64_t sz;
    enum seam_err rc = meta_u64(t, META_CHECKPOINT_SIZE, &sz);
    if (rc != SEAM_OK)
        return rc;
    rc = store_get(t, DB_META, META_CHECKPOINT, strlen(META_CHECKPOINT), &v);
    if (rc == SEAM_ENOTFOUND) {
        *size = 0;
        *note = NULL;
        return SEAM_OK;
    }
    if (rc != SEAM_OK)
        return rc;
    char *n = xmalloc(v.len + 1);
    memcpy(n, v.data, v.len);
    n[v.len] = '\0';
    *size = sz;
    *note = n;
    return SEAM_OK;
}

/* The stored value of event seq of ticket (its leaf, signature, bytes and disclosures). */
static enum seam_err
event_value(struct store_txn *t, const char *ticket, uint32_t seq, struct store_val *v)
{
    uint8_t key[TICKET_ID_LEN + 4];
    if (strlen(ticket) != TICKET_ID_LEN)
        return SEAM_ENOTFOUND;
    event_key(ticket, seq, key);
    enum seam_err rc = store_get(t, DB_EVENTS, key, sizeof(key), v);
    if (rc == SEAM_OK && v->len < 8 + SEAM_SIG_LEN)
        return SEAM_ECORRUPT;
    return rc;
}

enum seam_err
evlog_event(struct store_txn *t, const char *ticket, uint32_t seq, char **bytes, size_t *len,
            uint8_t sig[SEAM_SIG_LEN], uint64_t *leaf)
{
    struct store_val v;
    enum seam_err rc = event_value(t, ticket, seq, &v);
    if (rc != SEAM_OK)
        return rc;
    size_t n = bytes_len(v.data, v.len);
    char *b = xmalloc(n + 1);
    memcpy(b, (const char *)v.data + 8 + SEAM_SIG_LEN, n);
    b[n] = '\0';
    if (sig != NULL)
        memcpy(sig, (const uint8_t *)v.data + 8, SEAM_SIG_LEN);
    if (leaf != NULL)
        *leaf = be64_get(v.data);
    *bytes = b;
    *len = n;
    return SEAM_OK;
}

struct collect {
    const char *ticket;
    const struct evlog_view *view; /* NULL: everything */
    json_t *events;
    struct store_txn *t;
    uint64_t size;
    char last[2 * H + 1];
    int partial; /* an event hidden or given with disclosures: format /2 */
    enum seam_err rc;
};

static json_t *
b64_json(const uint8_t *in, size_t n)
{
    char *s = seam_b64_encode(in, n);
    json_t *j = json_string(s);
    free(s);
    return j;
}

/* The disclosures of the stored ones the view lets through (all without a view). */
static json_t *
disclosed(const struct collect *c, const json_t *ev, const json_t *stored)
{
    json_t *out = json_array(), *d;
    size_t i;
    json_array_foreach(stored, i, d)
    {
        char digest[2 * H + 1];
        json_t *parsed = NULL, *value;
        const char *name;
        if (c->view == NULL) {
            json_array_append(out, d);
            continue;
        }
        if (seam_disclosure_parse(json_string_value(d), digest, &parsed, &name, &value) == 0 &&
            c->view->disclose(c->view->ctx, ev, name, value))
            json_array_append(out, d);
        json_decref(parsed);
    }
    return out;
}

/*
 * The event's members but its data (and the digests of it): what a view's
 * disclose asks of an event besides the member (who acted, its seq, type
 * and time), read without parsing the data. A new reference, or NULL.
 */
static json_t *
event_head(const char *bytes, size_t len)
{
    struct json_read r;
    struct json_slice k, raw;
    struct json_text head = {0};
    size_t kept = 0;
    json_read_init(&r, bytes, len);
    json_text_lit(&head, "{");
    if (json_read_object(&r))
        while (json_read_key(&r, &k)) {
            int skip = (k.n == 4 && memcmp(k.s, "data", 4) == 0) ||
                       (k.n == 2 && memcmp(k.s, "sd", 2) == 0);
            if (!skip) {
                if (kept++ > 0)
                    json_text_lit(&head, ",");
                json_text_string(&head, k.s, k.n);
                json_text_lit(&head, ":");
            }
            if (!json_read_skip(&r, &raw, JSON_DEPTH_STORED))
                break;
            if (!skip)
                json_text_add(&head, raw.s, raw.n);
        }
    json_text_lit(&head, "}");
    json_t *ev = json_read_end(&r) ? json_loadb(head.data, head.len, 0, NULL) : NULL;
    json_read_done(&r);
    free(head.data);
    return ev;
}

/* Whether view's disclose reads the value of member. */
static int
value_wanted(const struct evlog_view *view, const char *member)
{
    if (view->value_members == NULL)
        return 1;
    for (const char *const *m = view->value_members; *m != NULL; m++)
        if (strcmp(*m, member) == 0)
            return 1;
    return 0;
}

/* One stored disclosure's member name (copied into name) and value (a new reference, parsed
 * only if the view reads it: else NULL), read as it was written; the verifiers check its form
 * and digest. 1, or 0. */
static int
disclosure_read(const struct evlog_view *view, const char *text, size_t len, char *name, size_t cap,
                json_t **value)
{
    struct json_read r;
    struct json_slice nm, raw;
    char *owned = NULL;
    int good = 0;
    *value = NULL;
    json_read_init(&r, text, len);
    if (json_read_array(&r) && json_read_next(&r) && json_read_skip(&r, NULL, 1) &&
        json_read_next(&r) && json_read_str(&r, &nm, &owned) && nm.n > 0 && nm.n < cap) {
        memcpy(name, nm.s, nm.n);
        name[nm.n] = '\0';
        if (json_read_next(&r) && json_read_skip(&r, &raw, JSON_DEPTH_STORED) &&
            !json_read_next(&r) && json_read_end(&r))
            good = !value_wanted(view, name) ||
                   (*value = json_loadb(raw.s, raw.n, JSON_DECODE_ANY, NULL)) != NULL;
    }
    free(owned);
    json_read_done(&r);
    return good;
}

enum seam_err
evlog_event_disclosures(struct store_txn *t, const char *ticket, uint32_t seq,
                        const struct evlog_view *view, char **out, size_t *out_len, size_t *count)
{
    struct store_val v;
    *out = NULL;
    *out_len = *count = 0;
    enum seam_err rc = event_value(t, ticket, seq, &v);
    if (rc != SEAM_OK)
        return rc;
    size_t blen = bytes_len(v.data, v.len), rest = v.len - 8 - SEAM_SIG_LEN - blen;
    const char *bytes = (const char *)v.data + 8 + SEAM_SIG_LEN;
    struct json_text text = {0};
    json_text_lit(&text, "[");
    if (rest <= 1) { /* none stored */
        json_text_lit(&text, "]");
        *out = text.data;
        *out_len = text.len;
        return SEAM_OK;
    }
    json_t *ev = view != NULL ? event_head(bytes, blen) : NULL;
    struct json_read r;
    struct json_slice d;
    char *owned = NULL;
    int good = view == NULL || ev != NULL;
    json_read_init(&r, bytes + blen + 1, rest - 1);
    if (good && json_read_array(&r))
        while (json_read_next(&r)) {
            char name[64];
            json_t *value = NULL;
            if (!json_read_str(&r, &d, &owned))
                break;
            if (view == NULL || (disclosure_read(view, d.s, d.n, name, sizeof(name), &value) &&
                                 view->disclose(view->ctx, ev, name, value))) {
                if ((*count)++ > 0)
                    json_text_lit(&text, ",");
                json_text_string(&text, d.s, d.n);
            }
            json_decref(value);
            free(owned);
            owned = NULL;
        }
    good = good && json_read_end(&r);
    json_read_done(&r);
    json_decref(ev);
    json_text_lit(&text, "]");
    if (!good) {
        free(text.data);
        *count = 0;
        return SEAM_ECORRUPT;
    }
    *out = text.data;
    *out_len = text.len;
    return SEAM_OK;
}

static int
collect_event(void *ctx, struct store_val k, struct store_val v)
{
    struct collect *c = ctx;
    uint8_t proof[SEAM_PROOF_MAX][H];
    size_t np;
    json_t *ev = NULL, *stored = NULL;
    if (k.len != TICKET_ID_LEN + 4 || memcmp(k.data, c->ticket, TICKET_ID_LEN) != 0)
        return 1;
    if (v.len < 8 + SEAM_SIG_LEN) {
        c->rc = SEAM_ECORRUPT;
        return 1;
    }
    const uint8_t *p = v.data;
    uint64_t leaf = be64_get(p);
    size_t blen = bytes_len(v.data, v.len);
    const char *text = (const char *)p + 8 + SEAM_SIG_LEN;
    seam_sha256_hex(text, blen, c->last);
    stored = disclosures_of(v.data, v.len);
    if (c->view != NULL || json_array_size(stored) > 0)
        ev = json_loadb(text, blen, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_array(stored) ||
        ((c->view != NULL || json_array_size(stored) > 0) && ev == NULL)) {
        json_decref(stored);
        json_decref(ev);
        c->rc = SEAM_ECORRUPT;
        return 1;
    }
    if (c->view != NULL && !c->view->shown(c->view->ctx, ev)) {
        /* Not for this principal: its hash alone carries the chain. */
        json_array_append_new(c->events, json_pack("{s:s}", "hash", c->last));
        c->partial = 1;
        json_decref(stored);
        json_decref(ev);
        return 0;
    }
    json_t *bytes = json_stringn(text, blen);
    if (bytes == NULL || leaf >= c->size ||
        seam_merkle_inclusion(evlog_node, c->t, leaf, c->size, proof, &np) != 0) {
        json_decref(bytes);
        json_decref(stored);
        json_decref(ev);
        c->rc = SEAM_ECORRUPT;
        return 1;
    }
    json_t *pr = json_array();
    for (size_t i = 0; i < np; i++)
        json_array_append_new(pr, b64_json(proof[i], H));
    json_t *dis = disclosed(c, ev, stored);
    if (json_array_size(stored) > 0)
        c->partial = 1;
    json_t *e =
        json_pack("{s:o, s:o, s:I, s:o, s:o}", "disclosures", dis, "event", bytes, "leaf_index",
                  (json_int_t)leaf, "proof", pr, "signature", b64_json(p + 8, SEAM_SIG_LEN));
    json_array_append_new(c->events, e);
    json_decref(stored);
    json_decref(ev);
    return 0;
}

/* A found record: its key's size or leaf, and a copy of its value (cosigned notes). */
struct found {
    const char *ticket; /* last_leaf_of: the ticket whose events are scanned */
    int any;
    uint64_t n;
    char *text;
};

static int
latest_cosigned(void *ctx, struct store_val k, struct store_val v)
{
    struct found *f = ctx;
    if (k.len == 8) {
        f->n = be64_get(k.data);
        f->text = xmalloc(v.len + 1);
        memcpy(f->text, v.data, v.len);
        f->text[v.len] = '\0';
        f->any = 1;
    }
    return 1;
}

static int
last_leaf_found(void *ctx, struct store_val k, struct store_val v)
{
    struct found *f = ctx;
    if (k.len == TICKET_ID_LEN + 4 && memcmp(k.data, f->ticket, TICKET_ID_LEN) == 0 && v.len >= 8) {
        f->n = be64_get(v.data);
        f->any = 1;
    }
    return 1;
}

/* The leaf index of the ticket's last event; SEAM_ENOTFOUND without events. */
static enum seam_err
last_leaf_of(struct store_txn *t, const char *ticket, uint64_t *leaf)
{
    uint8_t key[TICKET_ID_LEN + 4];
    struct found f = {.ticket = ticket};
    event_key(ticket, UINT32_MAX, key);
    enum seam_err rc = store_scan(t, DB_EVENTS, key, sizeof(key), 1, last_leaf_found, &f);
    if (rc != SEAM_OK)
        return rc;
    if (!f.any)
        return SEAM_ENOTFOUND;
    *leaf = f.n;
    return SEAM_OK;
}

enum seam_err
evlog_cosigned_put(struct store_txn *t, uint64_t size, const char *note)
{
    uint8_t k[8];
    size_t log_len;
    char *signed_note = NULL;
    if (seam_checkpoint_split(note, &log_len) != 0 || log_len == strlen(note))
        return SEAM_EINVAL;
    enum seam_err rc = evlog_checkpoint_at(t, size, &signed_note);
    if (rc == SEAM_OK &&
        (strlen(signed_note) != log_len || memcmp(signed_note, note, log_len) != 0))
        rc = SEAM_EINVAL; /* not the checkpoint the broker signed for that size */
    free(signed_note);
    if (rc != SEAM_OK)
        return rc;
    be64_put(k, size);
    return store_put(t, DB_COSIGS, k, 8, note, strlen(note), STORE_APPEND);
}

enum seam_err
evlog_cosigned_latest(struct store_txn *t, uint64_t *size, char **note)
{
    struct found f = {0};
    uint8_t k[8];
    be64_put(k, UINT64_MAX);
    enum seam_err rc = store_scan(t, DB_COSIGS, k, 8, 1, latest_cosigned, &f);
    if (rc != SEAM_OK) {
        free(f.text);
        return rc;
    }
    *size = f.any ? f.n : 0;
    *note = f.text;
    return SEAM_OK;
}

enum seam_err
evlog_export(struct store_txn *t, const struct evlog *lg, const char *ticket, char **doc,
             size_t *len)
{
    return evlog_export_view(t, lg, ticket, NULL, doc, len);
}

enum seam_err
evlog_export_view(struct store_txn *t, const struct evlog *lg, const char *ticket,
                  const struct evlog_view *view, char **doc, size_t *len)
{
    struct collect c = {.ticket = ticket, .t = t, .view = view};
    char *note = NULL, *head = NULL, *out = NULL;
    int cosigned = 0;
    uint8_t start[TICKET_ID_LEN + 4], sig[SEAM_SIG_LEN];
    json_t *root = NULL, *e;
    size_t i;
    enum seam_err rc;

    if (strlen(ticket) != TICKET_ID_LEN)
        return SEAM_ENOTFOUND;
    if ((rc = evlog_checkpoint(t, &c.size, &note)) != SEAM_OK)
        return rc;
    if (note == NULL)
        return SEAM_ENOTFOUND;
    /* The latest checkpoint the witnesses cosigned, if it holds every event of the ticket. */
    uint64_t cos_size, last_leaf;
    char *cos = NULL;
    if (last_leaf_of(t, ticket, &last_leaf) == SEAM_OK &&
        evlog_cosigned_latest(t, &cos_size, &cos) == SEAM_OK && cos != NULL &&
        cos_size > last_leaf && cos_size <= c.size) {
        free(note);
        note = cos;
        c.size = cos_size;
        cosigned = 1;
    } else {
        free(cos);
    }
    c.events = json_array();
    event_key(ticket, 0, start);
    rc = store_scan(t, DB_EVENTS, start, sizeof(start), 0, collect_event, &c);
    if (rc == SEAM_OK)
        rc = c.rc;
    if (rc == SEAM_OK && json_array_size(c.events) == 0)
        rc = SEAM_ENOTFOUND;
    if (rc != SEAM_OK)
        goto out;
    /* Every event whole and none with restricted content: the format every verifier reads. */
    if (!c.partial)
        json_array_foreach(c.events, i, e) json_object_del(e, "disclosures");
    json_t *hb = json_pack("{s:I, s:s, s:s, s:I}", "events", (json_int_t)json_array_size(c.events),
                           "last", c.last, "ticket", ticket, "tree_size", (json_int_t)c.size);
    if (cosigned) { /* the head signs the cosignature lines too (seam/evidence.h) */
        char hex[2 * H + 1];
        seam_sha256_hex(note, strlen(note), hex);
        json_object_set_new(hb, "checkpoint_sha256", json_string(hex));
    }
    if (c.partial) {
        /* A view is signed as a whole: which events it shows and what it discloses. */
        char *all = json_dumps(c.events, JSON_SORT_KEYS | JSON_COMPACT), hex[2 * H + 1];
        if (all == NULL)
            abort();
        seam_sha256_hex(all, strlen(all), hex);
        free(all);
        json_object_set_new(hb, "events_sha256", json_string(hex));
        json_object_set_new(hb, "view", json_string(view ? view->name : "lead"));
    }
    head = json_dumps(hb, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(hb);
    seam_sign_ctx(SEAM_HEAD_CONTEXT, head, strlen(head), lg->keys->sk, sig);
    root =
        json_pack("{s:s, s:o, s:s, s:{s:s, s:o}, s:o, s:s}", "checkpoint", note, "events", c.events,
                  "format", c.partial ? SEAM_EVIDENCE_FORMAT_VIEW : SEAM_EVIDENCE_FORMAT, "head",
                  "body", head, "signature", b64_json(sig, SEAM_SIG_LEN), "public_key",
                  b64_json(lg->keys->pk, 32), "ticket", ticket);
    c.events = NULL;
    out = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT);
    if (out == NULL) {
        rc = SEAM_EIO;
        goto out;
    }
    size_t n = strlen(out);
    out = xrealloc(out, n + 2);
    out[n] = '\n';
    out[n + 1] = '\0';
    *doc = out;
    *len = n + 1;
out:
    json_decref(c.events);
    json_decref(root);
    free(head);
    free(note);
    return rc;
}

/* ---- whole-store verification ----
 *
 * In bounded memory, whatever the store's size: the events are walked in
 * key order (each ticket's chain is contiguous there), keeping only the
 * current ticket's place in its chain; then the leaves in leaf order, each
 * hashed from the event it names, the perfect subtrees completed so far
 * kept on a stack (at most 64 hashes) and each compared with the stored
 * node as it completes; then each signed checkpoint's root is computed from
 * the stored nodes, which the leaf walk has just compared with the events.
 */

struct vstate {
    struct store_txn *t;
    const uint8_t *pk;
    evlog_report_fn report;
    void *ctx;
    uint64_t problems;
    uint64_t size;
    /* chain walk */
    char ticket[TICKET_ID_LEN + 1];
    int64_t seq;
    char prev[2 * H + 1];
    uint64_t events;
    const struct evlog_records *recs; /* NULL: the records are not checked */
    /* leaf walk: the perfect subtrees of the first next_leaf leaves, largest first */
    uint8_t stack[64][H];
    unsigned top;
    uint64_t next_leaf, bad_nodes;
};

static void __attribute__((format(printf, 2, 3))) vreport(struct vstate *vs, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    vs->problems++;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    vs->report(vs->ctx, msg);
}

/* Ticket records: their head (events, last) must match the chain. */
static void
check_ticket_head(struct vstate *vs)
{
    int64_t n = 0;
    char last[2 * H + 1] = "";
    if (vs->ticket[0] == '\0' || vs->recs == NULL)
        return;
    if (vs->recs->head(vs->t, vs->ticket, &n, last) != SEAM_OK) {
        vreport(vs, "ticket %s: has events but no ticket record", vs->ticket);
        return;
    }
    if (n != vs->seq + 1)
        vreport(vs,
                "ticket %s: record says %lld events, the log holds %lld (events removed or "
                "added)",
                vs->ticket, (long long)n, (long long)(vs->seq + 1));
    else if (last[0] == '\0' || strcmp(last, vs->prev) != 0)
        vreport(vs, "ticket %s: record's last event hash differs from the log", vs->ticket);
}

/* Whether the disclosures stored with an event are exactly those its signed digests name. */
static int
check_stored_disclosures(const char *bytes, const void *val, size_t vlen)
{
    json_t *stored = disclosures_of(val, vlen), *d;
    size_t i, n = json_array_size(stored);
    const char **texts = xcalloc(n + 1, sizeof(*texts));
    int rc = -1;
    if (!json_is_array(stored))
        goto out;
    json_array_foreach(stored, i, d)
    {
        if ((texts[i] = json_string_value(d)) == NULL)
            goto out;
    }
    char *b = xmalloc(bytes_len(val, vlen) + 1);
    memcpy(b, bytes, bytes_len(val, vlen));
    b[bytes_len(val, vlen)] = '\0';
    json_t *ev = seam_event_open(b, texts, n);
    free(b);
    rc = ev != NULL && json_array_size(json_object_get(ev, "sd")) == n ? 0 : -1;
    json_decref(ev);
out:
    free(texts);
    json_decref(stored);
    return rc;
}

static int
verify_event(void *ctx, struct store_val k, struct store_val v)
{
    struct vstate *vs = ctx;
    char tid[TICKET_ID_LEN + 1];
    vs->events++;
    if (k.len != TICKET_ID_LEN + 4 || v.len < 8 + SEAM_SIG_LEN) {
        vreport(vs, "event record with a malformed key or value");
        return 0;
    }
    const uint8_t *kp = k.data, *p = v.data;
    memcpy(tid, kp, TICKET_ID_LEN);
    tid[TICKET_ID_LEN] = '\0';
    uint32_t seq = (uint32_t)kp[TICKET_ID_LEN] << 24 | (uint32_t)kp[TICKET_ID_LEN + 1] << 16 |
                   (uint32_t)kp[TICKET_ID_LEN + 2] << 8 | kp[TICKET_ID_LEN + 3];
    if (strcmp(tid, vs->ticket) != 0) {
        check_ticket_head(vs);
        memcpy(vs->ticket, tid, sizeof(tid));
        vs->seq = -1;
        vs->prev[0] = '\0';
    }
    const char *bytes = (const char *)p + 8 + SEAM_SIG_LEN;
    size_t blen = bytes_len(v.data, v.len);
    uint64_t leaf = be64_get(p);
    if ((int64_t)seq != vs->seq + 1)
        vreport(vs, "ticket %s: event %u follows event %lld (an event is missing)", tid, seq,
                (long long)vs->seq);
    if (seam_verify_ctx(SEAM_EVENT_CONTEXT, bytes, blen, p + 8, vs->pk) != 0)
        vreport(vs,
                "ticket %s event %u: broker signature does not verify (changed bytes or "
                "another key)",
                tid, seq);
    json_t *ev = json_loadb(bytes, blen, JSON_REJECT_DUPLICATES, NULL);
    const char *et = json_string_value(json_object_get(ev, "ticket"));
    const char *prev = json_string_value(json_object_get(ev, "prev"));
    json_t *es = json_object_get(ev, "seq");
    if (ev == NULL)
        vreport(vs, "ticket %s event %u: not JSON", tid, seq);
    else if (et == NULL || strcmp(et, tid) != 0 || !json_is_integer(es) ||
             json_integer_value(es) != seq)
        vreport(vs,
                "ticket %s event %u: stored under the wrong ticket or number (moved or "
                "reordered)",
                tid, seq);
    else if (prev == NULL || strcmp(prev, vs->prev) != 0)
        vreport(vs, "ticket %s event %u: prev does not match the previous event (chain broken)",
                tid, seq);
    else if ((json_object_get(ev, "sd") != NULL || blen != v.len - 8 - SEAM_SIG_LEN) &&
             check_stored_disclosures(bytes, v.data, v.len) != 0)
        vreport(vs,
                "ticket %s event %u: its stored disclosures do not match its signed digests "
                "(restricted content changed or lost)",
                tid, seq);
    json_decref(ev);
    if (leaf >= vs->size) {
        vreport(vs, "ticket %s event %u: leaf %llu beyond the tree size %llu", tid, seq,
                (unsigned long long)leaf, (unsigned long long)vs->size);
    } else {
        struct store_val lv;
        uint8_t lk[8];
        be64_put(lk, leaf);
        if (store_get(vs->t, DB_LEAVES, lk, 8, &lv) != SEAM_OK || lv.len != k.len ||
            memcmp(lv.data, k.data, k.len) != 0)
            vreport(vs, "leaf %llu: does not point back to ticket %s event %u",
                    (unsigned long long)leaf, tid, seq);
    }
    vs->seq = seq;
    seam_sha256_hex(bytes, blen, vs->prev);
    return 0;
}

/* The node (level, index) recomputed from the events: the stored one must be the same. */
static void
check_node(struct vstate *vs, unsigned level, uint64_t index, const uint8_t h[H])
{
    uint8_t stored[H];
    if (evlog_node(vs->t, level, index, stored) != 0 || memcmp(stored, h, H) != 0)
        vs->bad_nodes++;
}

/* The next leaf's hash: its node, and every node it completes, checked; the stack updated. */
static void
tree_push(struct vstate *vs, const uint8_t leaf[H])
{
    uint64_t i = vs->next_leaf++;
    unsigned level = 0;
    uint8_t h[H];
    memcpy(h, leaf, H);
    check_node(vs, 0, i, h);
    for (; i & 1; i >>= 1) {
        seam_node_hash(vs->stack[--vs->top], h, h);
        check_node(vs, ++level, i >> 1, h);
    }
    memcpy(vs->stack[vs->top++], h, H);
}

/* A leaf hashes the event it names, if that event says it is that leaf; else zeros (the events'
 * walk and the counts name what is wrong). */
static int
verify_leaf(void *ctx, struct store_val k, struct store_val v)
{
    static const uint8_t zero[H];
    struct vstate *vs = ctx;
    struct store_val ev;
    uint8_t h[H];
    if (k.len != 8) {
        vreport(vs, "leaf record with a malformed key");
        return 0;
    }
    uint64_t idx = be64_get(k.data);
    if (idx >= vs->size)
        return 1;
    while (vs->next_leaf < idx)
        tree_push(vs, zero);
    if (idx < vs->next_leaf)
        return 0;
    if (v.len == TICKET_ID_LEN + 4 && store_get(vs->t, DB_EVENTS, v.data, v.len, &ev) == SEAM_OK &&
        ev.len >= 8 + SEAM_SIG_LEN && be64_get(ev.data) == idx) {
        seam_leaf_hash((const char *)ev.data + 8 + SEAM_SIG_LEN, bytes_len(ev.data, ev.len), h);
        tree_push(vs, h);
    } else {
        tree_push(vs, zero);
    }
    return 0;
}

static int
verify_checkpoint(void *ctx, struct store_val k, struct store_val v)
{
    struct vstate *vs = ctx;
    uint8_t root[H], want[H];
    uint64_t size;
    char err[200];
    if (k.len != 8)
        return 0;
    uint64_t ksize = be64_get(k.data);
    char *note = xmalloc(v.len + 1);
    memcpy(note, v.data, v.len);
    note[v.len] = '\0';
    if (seam_checkpoint_verify(note, vs->pk, NULL, 0, &size, root, err, sizeof(err)) != 0)
        vreport(vs, "checkpoint of size %llu: %s", (unsigned long long)ksize, err);
    else if (size != ksize || size > vs->size)
        vreport(vs, "checkpoint of size %llu: claims size %llu", (unsigned long long)ksize,
                (unsigned long long)size);
    else if (seam_merkle_root(evlog_node, vs->t, size, want) != 0 || memcmp(want, root, H) != 0)
        vreport(vs, "checkpoint of size %llu: root differs from the events (log rewritten)",
                (unsigned long long)size);
    free(note);
    return 0;
}

static int
check_ticket_has_events(void *ctx, const void *k, size_t klen)
{
    struct vstate *vs = ctx;
    struct store_val ev;
    uint8_t key[TICKET_ID_LEN + 4];
    char tid[TICKET_ID_LEN + 1] = "";
    if (klen != TICKET_ID_LEN) {
        vreport(vs, "ticket record with a malformed id");
        return 0;
    }
    memcpy(tid, k, TICKET_ID_LEN);
    event_key(tid, 0, key);
    if (store_get(vs->t, DB_EVENTS, key, sizeof(key), &ev) != SEAM_OK)
        vreport(vs, "ticket %s: has no creation event", tid);
    return 0;
}

uint64_t
evlog_verify_store(struct store_txn *t, const uint8_t pk[32], const struct evlog_records *recs,
                   evlog_report_fn report, void *ctx, uint64_t *events)
{
    static const uint8_t zero[H];
    struct vstate *vs = xcalloc(1, sizeof(*vs));
    char *note = NULL, err[200];
    uint64_t cp_size, tree_size, problems;
    uint8_t cp_root[H];

    vs->t = t;
    vs->pk = pk;
    vs->report = report;
    vs->ctx = ctx;
    vs->seq = -1;
    vs->recs = recs;
    if (meta_u64(t, META_TREE_SIZE, &tree_size) != SEAM_OK) {
        vreport(vs, "meta: tree size unreadable");
        goto out;
    }
    vs->size = tree_size;
    if (evlog_checkpoint(t, &cp_size, &note) != SEAM_OK) {
        vreport(vs, "meta: checkpoint unreadable");
        goto out;
    }
    if (note == NULL && tree_size > 0)
        vreport(vs, "meta: no signed checkpoint for a log of %llu events",
                (unsigned long long)tree_size);
    if (note != NULL) {
        uint64_t sz;
        if (seam_checkpoint_verify(note, pk, NULL, 0, &sz, cp_root, err, sizeof(err)) != 0)
            vreport(vs, "latest %s", err);
        else if (sz != tree_size || sz != cp_size)
            vreport(vs,
                    "latest checkpoint covers %llu events, the log holds %llu (tail cut or "
                    "added)",
                    (unsigned long long)sz, (unsigned long long)tree_size);
    }
    progress_phase("events", tree_size);
    if (store_scan(t, DB_EVENTS, NULL, 0, 0, verify_event, vs) != SEAM_OK)
        vreport(vs, "events: scan failed");
    check_ticket_head(vs);
    if (vs->events != tree_size)
        vreport(vs, "the log has %llu leaves but %llu events are stored",
                (unsigned long long)tree_size, (unsigned long long)vs->events);
    if (store_count(t, DB_LEAVES) != tree_size)
        vreport(vs, "leaf index holds %llu entries for %llu leaves",
                (unsigned long long)store_count(t, DB_LEAVES), (unsigned long long)tree_size);

    /* Every perfect subtree, from the events in leaf order, against DB_TREE. */
    progress_phase("leaves", store_count(t, DB_LEAVES));
    if (store_scan(t, DB_LEAVES, NULL, 0, 0, verify_leaf, vs) != SEAM_OK)
        vreport(vs, "leaves: scan failed");
    while (vs->next_leaf < tree_size)
        tree_push(vs, zero);
    if (vs->bad_nodes)
        vreport(vs, "tree: %llu stored node hashes differ from the events",
                (unsigned long long)vs->bad_nodes);
    progress_phase("checkpoints", store_count(t, DB_CHECKPOINTS));
    if (store_scan(t, DB_CHECKPOINTS, NULL, 0, 0, verify_checkpoint, vs) != SEAM_OK)
        vreport(vs, "checkpoints: scan failed");
    progress_phase("tickets", 0);
    if (recs != NULL && recs->each_key(t, check_ticket_has_events, vs) != SEAM_OK)
        vreport(vs, "tickets: scan failed");
out:
    free(note);
    if (events)
        *events = vs->events;
    problems = vs->problems;
    free(vs);
    return problems;
}

enum seam_err
evlog_checkpoint_at(struct store_txn *t, uint64_t size, char **note)
{
    uint8_t k[8];
    struct store_val v;
    be64_put(k, size);
    enum seam_err rc = store_get(t, DB_CHECKPOINTS, k, 8, &v);
    if (rc != SEAM_OK)
        return rc;
    char *n = xmalloc(v.len + 1);
    memcpy(n, v.data, v.len);
    n[v.len] = '\0';
    *note = n;
    return SEAM_OK;
}

struct cosig_check {
    struct store_txn *t;
    const struct seam_witness *w;
    size_t n;
    evlog_report_fn report;
    void *ctx;
    uint64_t problems, notes, verified, unknown;
};

static void __attribute__((format(printf, 2, 3)))
creport(struct cosig_check *cc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    cc->problems++;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cc->report(cc->ctx, msg);
}

static int
check_cosigned(void *ctx, struct store_val k, struct store_val v)
{
    struct cosig_check *cc = ctx;
    size_t log_len;
    char *signed_note = NULL;
    if (k.len != 8) {
        creport(cc, "cosigned checkpoints: a malformed key");
        return 0;
    }
    uint64_t size = be64_get(k.data);
    char *note = xmalloc(v.len + 1);
    memcpy(note, v.data, v.len);
    note[v.len] = '\0';
    cc->notes++;
    if (memchr(v.data, '\0', v.len) != NULL || seam_checkpoint_split(note, &log_len) != 0) {
        creport(cc, "cosigned checkpoint of size %llu: malformed", (unsigned long long)size);
        goto out;
    }
    if (evlog_checkpoint_at(cc->t, size, &signed_note) != SEAM_OK ||
        strlen(signed_note) != log_len || memcmp(signed_note, note, log_len) != 0) {
        creport(cc, "cosigned checkpoint of size %llu: not the checkpoint the broker signed",
                (unsigned long long)size);
        goto out;
    }
    /* each cosignature line by a configured witness must verify with its key */
    size_t dl = strlen("\xe2\x80\x94 ");
    for (const char *l = note + log_len; *l != '\0';) {
        const char *end = strchr(l, '\n'), *sp = strchr(l + dl, ' ');
        size_t nl = (size_t)(sp - l) - dl, i;
        for (i = 0; i < cc->n; i++)
            if (strlen(cc->w[i].name) == nl && strncmp(cc->w[i].name, l + dl, nl) == 0)
                break;
        if (i == cc->n) {
            cc->unknown++;
        } else {
            char *one = xasprintf("%.*s%.*s", (int)log_len, note, (int)(end + 1 - l), l);
            if (seam_cosignature_verify(one, cc->w[i].name, cc->w[i].pk, NULL) != 0)
                creport(cc,
                        "cosigned checkpoint of size %llu: the cosignature of %s does not "
                        "verify with its key",
                        (unsigned long long)size, cc->w[i].name);
            else
                cc->verified++;
            free(one);
        }
        l = end + 1;
    }
out:
    free(signed_note);
    free(note);
    return 0;
}

uint64_t
evlog_verify_cosigned(struct store_txn *t, const struct seam_witness *w, size_t n,
                      evlog_report_fn report, void *ctx, uint64_t *verified, uint64_t *unknown)
{
    struct cosig_check cc = {t, w, n, report, ctx, 0, 0, 0, 0};
    progress_phase("cosigned checkpoints", store_count(t, DB_COSIGS));
    if (store_scan(t, DB_COSIGS, NULL, 0, 0, check_cosigned, &cc) != SEAM_OK)
        creport(&cc, "cosigned checkpoints: scan failed");
    *verified = cc.verified;
    *unknown = cc.unknown;
    return cc.problems;
}
