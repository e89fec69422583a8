/*
 * tamper.c: a test tool that rewrites a stopped broker's store the way an
 * attacker with write access to the data directory could, so that the
 * tests can show `seamctl verify` finding it. Not installed; tests only.
 *
 *   tamper DATADIR remove-event TICKET     delete a ticket's creation event
 *   tamper DATADIR swap-events T1 T2       exchange two tickets' first events
 *   tamper DATADIR cut-tail                drop the newest event from the log
 *   tamper DATADIR foreign-checkpoint      re-sign the checkpoint with a new key
 *   tamper DATADIR edit-record TICKET [NAME=VALUE]
 *                                          change a ticket record's summary (or member NAME)
 *   tamper DATADIR poison-record TICKET    nest a value 2100 deep in a ticket record, as
 *                                          a broker without a depth limit once stored it
 *   tamper DATADIR corrupt-node LEVEL INDEX
 *                                          flip a bit of a stored Merkle tree node
 *   tamper DATADIR rewrite-event TICKET    change a ticket's creation event, sign it again
 *                                          with the broker's own key and recompute every
 *                                          tree node above it: only the checkpoints signed
 *                                          before tell
 *   tamper DATADIR unindex TICKET STATUS   delete the ticket's index entry status=STATUS
 *   tamper DATADIR overindex TICKET STATUS add an index entry status=STATUS for the ticket
 *   tamper DATADIR drop-indexes            delete every index entry and the mark that they
 *                                          are built: a store as written before the indexes
 *   tamper DATADIR index-format-1          delete the watch lists' keys (bouncing, at_risk)
 *                                          from the entries and the key sets and say format 1:
 *                                          a store as a broker of index format 1 left it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common.h"
#include "evlog.h"
#include "keys.h"
#include "index.h"
#include "seam/evidence.h"
#include "store.h"

static const char *op, *a1, *a2, *dir;

static void
nkey(unsigned level, uint64_t index, uint8_t k[9])
{
    k[0] = (uint8_t)level;
    be64_put(k + 1, index);
}

/* The leaf's own node and each perfect subtree above it, from the stored children. */
static enum seam_err
rehash_up(struct store_txn *t, uint64_t leaf, uint64_t size, const uint8_t lh[SEAM_HASH_LEN])
{
    uint8_t k[9], h[SEAM_HASH_LEN], l[SEAM_HASH_LEN], r[SEAM_HASH_LEN];
    enum seam_err rc;
    nkey(0, leaf, k);
    if ((rc = store_put(t, DB_TREE, k, 9, lh, SEAM_HASH_LEN, 0)) != SEAM_OK)
        return rc;
    for (unsigned lv = 1; lv < 64 && ((leaf >> lv) + 1) << lv <= size; lv++) {
        uint64_t i = leaf >> lv;
        if (evlog_node(t, lv - 1, 2 * i, l) != 0 || evlog_node(t, lv - 1, 2 * i + 1, r) != 0)
            return SEAM_ECORRUPT;
        seam_node_hash(l, r, h);
        nkey(lv, i, k);
        if ((rc = store_put(t, DB_TREE, k, 9, h, SEAM_HASH_LEN, 0)) != SEAM_OK)
            return rc;
    }
    return SEAM_OK;
}

static void
ekey(const char *t, uint8_t k[TICKET_ID_LEN + 4])
{
    memcpy(k, t, TICKET_ID_LEN);
    memset(k + TICKET_ID_LEN, 0, 4);
}

static enum seam_err
copy_val(struct store_txn *t, enum store_db db, const void *k, size_t kl, uint8_t **out,
         size_t *len)
{
    struct store_val v;
    enum seam_err rc = store_get(t, db, k, kl, &v);
    if (rc != SEAM_OK)
        return rc;
    *out = xmalloc(v.len);
    memcpy(*out, v.data, v.len);
    *len = v.len;
    return SEAM_OK;
}

/* The first key of a database, copied behind its length (malloc'd into *ctx). */
static int
first_key(void *ctx, struct store_val k, struct store_val v)
{
    uint8_t **out = ctx;
    (void)v;
    *out = xmalloc(sizeof(size_t) + k.len);
    memcpy(*out, &k.len, sizeof(size_t));
    memcpy(*out + sizeof(size_t), k.data, k.len);
    return 1;
}

/* The keys (DB_INDEX) and the sets without them (DB_INDEX_OF) of index format 1, collected. */
struct format1 {
    uint8_t **keys;
    size_t *lens, n;
};

static void
format1_add(struct format1 *f, const void *a, size_t alen, const void *b, size_t blen)
{
    f->keys = xrealloc(f->keys, (f->n + 1) * sizeof(*f->keys));
    f->lens = xrealloc(f->lens, (f->n + 1) * sizeof(*f->lens));
    f->keys[f->n] = xmalloc(alen + blen + 1);
    memcpy(f->keys[f->n], a, alen);
    if (blen > 0)
        memcpy(f->keys[f->n] + alen, b, blen);
    f->lens[f->n++] = alen + blen;
}

static int
format1_entry(void *ctx, struct store_val k, struct store_val v)
{
    (void)v;
    if (index_key_is_watch(k.data, k.len))
        format1_add(ctx, k.data, k.len, NULL, 0);
    return 0;
}

/* A set with a watch key: the ticket id, then its set without them. */
static int
format1_set(void *ctx, struct store_val k, struct store_val v)
{
    char *set = xmalloc(v.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < v.len;) {
        const char *key = (const char *)v.data + i;
        size_t l = strnlen(key, v.len - i) + 1;
        if (!index_key_is_watch(key, l)) {
            memcpy(set + n, key, l);
            n += l;
        }
        i += l;
    }
    if (n != v.len && k.len == TICKET_ID_LEN)
        format1_add(ctx, k.data, k.len, set, n);
    free(set);
    return 0;
}

static enum seam_err
index_format1(struct store_txn *t)
{
    struct format1 entries = {0}, sets = {0};
    enum seam_err rc = store_scan(t, DB_INDEX, NULL, 0, 0, format1_entry, &entries);
    if (rc == SEAM_OK)
        rc = store_scan(t, DB_INDEX_OF, NULL, 0, 0, format1_set, &sets);
    for (size_t i = 0; rc == SEAM_OK && i < entries.n; i++)
        rc = store_del(t, DB_INDEX, entries.keys[i], entries.lens[i]);
    for (size_t i = 0; rc == SEAM_OK && i < sets.n; i++)
        rc = store_put(t, DB_INDEX_OF, sets.keys[i], TICKET_ID_LEN, sets.keys[i] + TICKET_ID_LEN,
                       sets.lens[i] - TICKET_ID_LEN, 0);
    if (rc == SEAM_OK)
        rc = store_put(t, DB_META, INDEX_META, strlen(INDEX_META), "1", 1, 0);
    if (rc == SEAM_OK)
        fprintf(stderr, "tamper: %zu entries and %zu key sets of the watch lists removed\n",
                entries.n, sets.n);
    for (size_t i = 0; i < entries.n; i++)
        free(entries.keys[i]);
    for (size_t i = 0; i < sets.n; i++)
        free(sets.keys[i]);
    free(entries.keys);
    free(entries.lens);
    free(sets.keys);
    free(sets.lens);
    return rc;
}

static enum seam_err
apply(struct store_txn *t, void *ctx)
{
    uint8_t k1[TICKET_ID_LEN + 4], k2[TICKET_ID_LEN + 4];
    uint8_t *v1 = NULL, *v2 = NULL;
    size_t l1, l2;
    enum seam_err rc;
    (void)ctx;
    if (strcmp(op, "remove-event") == 0) {
        ekey(a1, k1);
        return store_del(t, DB_EVENTS, k1, sizeof(k1));
    }
    if (strcmp(op, "swap-events") == 0) {
        ekey(a1, k1);
        ekey(a2, k2);
        if ((rc = copy_val(t, DB_EVENTS, k1, sizeof(k1), &v1, &l1)) != SEAM_OK ||
            (rc = copy_val(t, DB_EVENTS, k2, sizeof(k2), &v2, &l2)) != SEAM_OK)
            return rc;
        /* keep each leaf index where it was: swap only signature and bytes */
        uint8_t *n1 = xmalloc(l2), *n2 = xmalloc(l1);
        memcpy(n1, v1, 8);
        memcpy(n1 + 8, v2 + 8, l2 - 8);
        memcpy(n2, v2, 8);
        memcpy(n2 + 8, v1 + 8, l1 - 8);
        if ((rc = store_put(t, DB_EVENTS, k1, sizeof(k1), n1, l2, 0)) == SEAM_OK)
            rc = store_put(t, DB_EVENTS, k2, sizeof(k2), n2, l1, 0);
        free(n1);
        free(n2);
        free(v1);
        free(v2);
        return rc;
    }
    if (strcmp(op, "cut-tail") == 0) {
        struct store_val v;
        uint8_t lk[8], nk[9];
        if ((rc = store_get(t, DB_META, "tree_size", 9, &v)) != SEAM_OK)
            return rc;
        uint64_t size = be64_get(v.data);
        be64_put(lk, size - 1);
        if ((rc = copy_val(t, DB_LEAVES, lk, 8, &v1, &l1)) != SEAM_OK)
            return rc;
        if ((rc = store_del(t, DB_EVENTS, v1, l1)) != SEAM_OK ||
            (rc = store_del(t, DB_LEAVES, lk, 8)) != SEAM_OK)
            return rc;
        nk[0] = 0;
        be64_put(nk + 1, size - 1);
        if ((rc = store_del(t, DB_TREE, nk, 9)) != SEAM_OK)
            return rc;
        be64_put(lk, size - 1);
        free(v1);
        return store_put(t, DB_META, "tree_size", 9, lk, 8, 0);
    }
    if (strcmp(op, "foreign-checkpoint") == 0) {
        struct store_val v;
        uint8_t pk[32], sk[64], root[32];
        char *note = NULL;
        if ((rc = store_get(t, DB_META, "tree_size", 9, &v)) != SEAM_OK)
            return rc;
        uint64_t size = be64_get(v.data);
        crypto_sign_keypair(pk, sk);
        if (seam_merkle_root(evlog_node, t, size, root) != 0 ||
            seam_checkpoint_sign("seam.northwind.example/federation", size, root, sk, &note) != 0)
            return SEAM_ECORRUPT;
        rc = store_put(t, DB_META, "checkpoint", 10, note, strlen(note), 0);
        free(note);
        return rc;
    }
    if (strcmp(op, "edit-record") == 0) {
        if ((rc = copy_val(t, DB_TICKETS, a1, TICKET_ID_LEN, &v1, &l1)) != SEAM_OK)
            return rc;
        json_t *rec = json_loadb((const char *)v1, l1, 0, NULL);
        free(v1);
        const char *eq = strchr(a2, '=');
        if (eq != NULL) { /* a member named on the command line, as a string */
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(eq - a2), a2);
            json_object_set_new(rec, name, json_string(eq + 1));
        } else
            json_object_set_new(rec, "summary", json_string("nothing happened"));
        char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(rec);
        rc = store_put(t, DB_TICKETS, a1, TICKET_ID_LEN, text, strlen(text), 0);
        free(text);
        return rc;
    }
    if (strcmp(op, "poison-record") == 0) {
        /* Written by hand: Jansson would neither read nor write it back. */
        enum { DEEP = 2100 };
        if ((rc = copy_val(t, DB_TICKETS, a1, TICKET_ID_LEN, &v1, &l1)) != SEAM_OK)
            return rc;
        if (l1 < 2 || v1[l1 - 1] != '}') {
            free(v1);
            return SEAM_ECORRUPT;
        }
        static const char key[] = ",\"poison\":";
        size_t n = l1 - 1 + sizeof(key) - 1 + 2 * DEEP + 1, o = l1 - 1;
        uint8_t *p = xmalloc(n);
        memcpy(p, v1, o);
        memcpy(p + o, key, sizeof(key) - 1);
        o += sizeof(key) - 1;
        memset(p + o, '[', DEEP);
        memset(p + o + DEEP, ']', DEEP);
        p[n - 1] = '}';
        rc = store_put(t, DB_TICKETS, a1, TICKET_ID_LEN, p, n, 0);
        free(p);
        free(v1);
        return rc;
    }
    if (strcmp(op, "corrupt-node") == 0) {
        uint8_t k[9], n[SEAM_HASH_LEN];
        nkey((unsigned)atoi(a1), strtoull(a2, NULL, 10), k);
        if ((rc = copy_val(t, DB_TREE, k, 9, &v1, &l1)) != SEAM_OK)
            return rc;
        memcpy(n, v1, SEAM_HASH_LEN);
        n[0] ^= 1;
        free(v1);
        return store_put(t, DB_TREE, k, 9, n, SEAM_HASH_LEN, 0);
    }
    if (strcmp(op, "rewrite-event") == 0) {
        struct keys keys;
        struct store_val v;
        uint8_t lh[SEAM_HASH_LEN];
        if (keys_load(dir, &keys) != SEAM_OK ||
            store_get(t, DB_META, "tree_size", 9, &v) != SEAM_OK)
            return SEAM_EINVAL;
        uint64_t size = be64_get(v.data);
        ekey(a1, k1);
        if ((rc = copy_val(t, DB_EVENTS, k1, sizeof(k1), &v1, &l1)) != SEAM_OK)
            return rc;
        /* The event's bytes end at a NUL when its disclosures follow (format 2): kept as
         * they are, since the summary the rewrite changes is not one of them. */
        const char *old = (const char *)v1 + 8 + SEAM_SIG_LEN;
        size_t ol = strnlen(old, l1 - 8 - SEAM_SIG_LEN), tail = l1 - 8 - SEAM_SIG_LEN - ol;
        json_t *ev = json_loadb(old, ol, 0, NULL);
        if (ev == NULL) {
            keys_wipe(&keys);
            free(v1);
            return SEAM_ECORRUPT;
        }
        json_object_set_new(json_object_get(ev, "data"), "summary", json_string("rewritten"));
        char *text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(ev);
        size_t n = strlen(text), nl = 8 + SEAM_SIG_LEN + n + tail;
        v2 = xmalloc(nl);
        memcpy(v2, v1, 8); /* its leaf */
        seam_sign_ctx(SEAM_EVENT_CONTEXT, text, n, keys.sk, v2 + 8);
        memcpy(v2 + 8 + SEAM_SIG_LEN, text, n);
        memcpy(v2 + 8 + SEAM_SIG_LEN + n, old + ol, tail);
        seam_leaf_hash(text, n, lh);
        rc = store_put(t, DB_EVENTS, k1, sizeof(k1), v2, nl, 0);
        if (rc == SEAM_OK)
            rc = rehash_up(t, be64_get(v1), size, lh);
        keys_wipe(&keys);
        free(text);
        free(v1);
        free(v2);
        return rc;
    }
    if (strcmp(op, "unindex") == 0 || strcmp(op, "overindex") == 0) {
        char key[INDEX_KEY_MAX], k[INDEX_KEY_MAX + INDEX_ID_BYTES];
        size_t n = index_key(key, INDEX_STATUS, NULL, a2);
        if (n == 0 || strlen(a1) != TICKET_ID_LEN)
            return SEAM_EINVAL;
        n = index_entry(k, key, n, a1);
        if (op[0] == 'u')
            return store_del(t, DB_INDEX, k, n);
        return store_put(t, DB_INDEX, k, n, "", 0, 0);
    }
    if (strcmp(op, "index-format-1") == 0)
        return index_format1(t);
    if (strcmp(op, "drop-indexes") == 0) {
        rc = store_del(t, DB_META, "index.format", 12);
        if (rc == SEAM_ENOTFOUND)
            rc = SEAM_OK;
        if (rc == SEAM_OK &&
            (rc = store_del(t, DB_META, INDEX_APPLIED, strlen(INDEX_APPLIED))) == SEAM_ENOTFOUND)
            rc = SEAM_OK;
        if (rc == SEAM_OK &&
            (rc = store_del(t, DB_META, INDEX_COUNTS, strlen(INDEX_COUNTS))) == SEAM_ENOTFOUND)
            rc = SEAM_OK;
        for (int db = DB_INDEX; rc == SEAM_OK && db <= DB_INDEX_OF; db++) {
            while (rc == SEAM_OK) {
                uint8_t *key = NULL;
                size_t kl = 0;
                rc = store_scan(t, (enum store_db)db, NULL, 0, 0, first_key, &key);
                if (rc != SEAM_OK || key == NULL)
                    break;
                kl = ((size_t *)(void *)key)[0];
                rc = store_del(t, (enum store_db)db, key + sizeof(size_t), kl);
                free(key);
            }
        }
        return rc;
    }
    return SEAM_EINVAL;
}

int
main(int argc, char **argv)
{
    struct store *s;
    if (argc < 3 || sodium_init() < 0) {
        fprintf(stderr, "usage: tamper DATADIR OP [ARGS]\n");
        return 2;
    }
    dir = argv[1];
    op = argv[2];
    a1 = argc > 3 ? argv[3] : "";
    a2 = argc > 4 ? argv[4] : "";
    if (store_open(argv[1], (size_t)64 << 20, (size_t)64 << 30, 0, &s) != SEAM_OK)
        return 1;
    enum seam_err rc = store_write(s, apply, NULL, NULL, NULL);
    store_close(s);
    if (rc != SEAM_OK) {
        fprintf(stderr, "tamper %s: %s\n", op, seam_strerror(rc));
        return 1;
    }
    return 0;
}
