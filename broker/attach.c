/*
 * attach.c: the files attached to tickets (attach.h). It owns two
 * databases, DB_ATTACHMENTS (the bytes) and DB_ATTACH_META (what is known of
 * them, JSON), under one key: the ticket id || the 32 bytes of the file's
 * SHA-256, so a ticket's attachments are one range of keys. It judges a
 * file's type by its content and checks the stored bytes against their
 * names; it decides nothing about who may read them (the ticket module
 * does) and knows no HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attach.h"
#include "seam/evidence.h"
#include "evlog.h"
#include "seam/ticket.h"

const struct attach_type_row attach_types[ATTACH_TYPE_COUNT] = {
    [ATTACH_PNG] = {"image/png", "a PNG image", "png", 1},
    [ATTACH_JPEG] = {"image/jpeg", "a JPEG image", "jpg", 1},
    [ATTACH_PDF] = {"application/pdf", "a PDF document", "pdf", 0},
    [ATTACH_TEXT] = {"text/plain", "plain UTF-8 text", "txt", 0},
};

#define KEY_LEN (TICKET_ID_LEN + SEAM_HASH_LEN)

static int
text_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return 0;
        if (c == 0x7f)
            return 0;
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

int
attach_sniff(const void *data, size_t len)
{
    const unsigned char *s = data;
    if (len >= 8 && memcmp(s, "\x89PNG\r\n\x1a\n", 8) == 0)
        return ATTACH_PNG;
    if (len >= 3 && s[0] == 0xff && s[1] == 0xd8 && s[2] == 0xff)
        return ATTACH_JPEG;
    if (len >= 5 && memcmp(s, "%PDF-", 5) == 0)
        return ATTACH_PDF;
    if (len > 0 && text_ok(s, len))
        return ATTACH_TEXT;
    return -1;
}

int
attach_type_parse(const char *mime)
{
    for (int i = 0; mime != NULL && i < ATTACH_TYPE_COUNT; i++)
        if (strcmp(attach_types[i].mime, mime) == 0)
            return i;
    return -1;
}

int
attach_type_declared(const char *ct)
{
    if (ct == NULL)
        return -1;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, "; \t");
    if (n == strlen("application/octet-stream") &&
        strncasecmp(ct, "application/octet-stream", n) == 0)
        return ATTACH_TYPE_COUNT;
    for (int i = 0; i < ATTACH_TYPE_COUNT; i++)
        if (strlen(attach_types[i].mime) == n && strncasecmp(attach_types[i].mime, ct, n) == 0)
            return i;
    return -1;
}

int
attach_name_valid(const char *s)
{
    if (s == NULL || strlen(s) != 2 * SEAM_HASH_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int
attach_filename_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 128 || strpbrk(s, "/\\\"") != NULL)
        return 0;
    return text_ok((const unsigned char *)s, n) && strpbrk(s, "\t\n\r") == NULL;
}

static int
hex_val(char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10;
}

/* The key of attachment sha (valid) of ticket tid. */
static int
make_key(const char *tid, const char *sha, uint8_t key[KEY_LEN])
{
    if (tid == NULL || strlen(tid) != TICKET_ID_LEN || !attach_name_valid(sha))
        return -1;
    memcpy(key, tid, TICKET_ID_LEN);
    for (size_t i = 0; i < SEAM_HASH_LEN; i++)
        key[TICKET_ID_LEN + i] = (uint8_t)(hex_val(sha[2 * i]) << 4 | hex_val(sha[2 * i + 1]));
    return 0;
}

enum seam_err
attach_meta_load(struct store_txn *t, const char *tid, const char *sha, json_t **out)
{
    uint8_t key[KEY_LEN];
    struct store_val v;
    if (make_key(tid, sha, key) != 0)
        return SEAM_ENOTFOUND;
    enum seam_err rc = store_get(t, DB_ATTACH_META, key, KEY_LEN, &v);
    if (rc != SEAM_OK)
        return rc;
    json_t *j = json_loadb(v.data, v.len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return SEAM_ECORRUPT;
    }
    *out = j;
    return SEAM_OK;
}

static enum seam_err
meta_put(struct store_txn *t, const uint8_t key[KEY_LEN], const json_t *meta)
{
    char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return SEAM_EINVAL;
    enum seam_err rc = store_put(t, DB_ATTACH_META, key, KEY_LEN, text, strlen(text), 0);
    free(text);
    return rc;
}

struct tally {
    uint64_t count, bytes;
    json_t *list; /* attach_list's, or NULL */
};

static int
tally_one(void *ctx, struct store_val key, struct store_val val)
{
    struct tally *ty = ctx;
    json_t *j = json_loadb(val.data, val.len, 0, NULL);
    ty->count++;
    ty->bytes += (uint64_t)json_integer_value(json_object_get(j, "size"));
    if (ty->list != NULL && json_is_object(j) && key.len == KEY_LEN) {
        char hex[2 * SEAM_HASH_LEN + 1];
        hex_encode((const uint8_t *)key.data + TICKET_ID_LEN, SEAM_HASH_LEN, hex);
        json_object_set_new(j, "sha256", json_string(hex));
        json_array_append(ty->list, j);
    }
    json_decref(j);
    return 0;
}

/* The ticket's attachments; a prefix walk (never in a staged transaction). */
static enum seam_err
tally(struct store_txn *t, const char *tid, struct tally *ty)
{
    char prefix[TICKET_ID_LEN + 1];
    if (tid == NULL || strlen(tid) != TICKET_ID_LEN)
        return SEAM_ENOTFOUND;
    memcpy(prefix, tid, TICKET_ID_LEN + 1);
    return store_scan_prefix(t, DB_ATTACH_META, prefix, tally_one, ty);
}

enum seam_err
attach_put(struct store_txn *t, const char *tid, const char *sha, const void *data, size_t len,
           const json_t *meta, unsigned max_count, size_t max_bytes, const char **over,
           json_t **out)
{
    uint8_t key[KEY_LEN];
    enum seam_err rc;
    if (make_key(tid, sha, key) != 0)
        return SEAM_EINVAL;
    json_t *have = NULL;
    if ((rc = attach_meta_load(t, tid, sha, &have)) == SEAM_OK) {
        *out = have; /* the same bytes: one attachment */
        return SEAM_EEXIST;
    }
    if (rc != SEAM_ENOTFOUND)
        return rc;
    struct tally ty = {0, 0, NULL};
    if ((rc = tally(t, tid, &ty)) != SEAM_OK)
        return rc;
    if (ty.count + 1 > max_count || ty.bytes + len > max_bytes) {
        *over = ty.count + 1 > max_count ? "count" : "bytes";
        return SEAM_ELIMIT;
    }
    json_t *m = json_deep_copy(meta);
    json_object_set_new(m, "refs", json_array());
    if ((rc = store_put(t, DB_ATTACHMENTS, key, KEY_LEN, data, len, 0)) == SEAM_OK)
        rc = meta_put(t, key, m);
    if (rc != SEAM_OK) {
        json_decref(m);
        return rc;
    }
    *out = m;
    return SEAM_OK;
}

enum seam_err
attach_content(struct store_txn *t, const char *tid, const char *sha, char **out, size_t *len)
{
    uint8_t key[KEY_LEN];
    struct store_val v;
    char hex[2 * SEAM_HASH_LEN + 1];
    if (make_key(tid, sha, key) != 0)
        return SEAM_ENOTFOUND;
    enum seam_err rc = store_get(t, DB_ATTACHMENTS, key, KEY_LEN, &v);
    if (rc != SEAM_OK)
        return rc == SEAM_ENOTFOUND ? SEAM_ECORRUPT : rc; /* described, but no bytes */
    seam_sha256_hex(v.data, v.len, hex);
    if (strcmp(hex, sha) != 0)
        return SEAM_ECORRUPT;
    char *copy = xmalloc(v.len + 1);
    memcpy(copy, v.data, v.len);
    copy[v.len] = '\0';
    *out = copy;
    *len = v.len;
    return SEAM_OK;
}

enum seam_err
attach_refer(struct store_txn *t, const char *tid, const char *sha, uint32_t seq, const char *role,
             const char *id)
{
    uint8_t key[KEY_LEN];
    json_t *m = NULL;
    enum seam_err rc = attach_meta_load(t, tid, sha, &m);
    if (rc != SEAM_OK)
        return rc;
    (void)make_key(tid, sha, key); /* valid: the load found it */
    json_t *refs = json_object_get(m, "refs");
    if (!json_is_array(refs)) {
        refs = json_array();
        json_object_set_new(m, "refs", refs);
    }
    json_array_append_new(
        refs, json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "role", role, "id", id));
    rc = meta_put(t, key, m);
    json_decref(m);
    return rc;
}

enum seam_err
attach_list(struct store_txn *t, const char *tid, json_t **out)
{
    struct tally ty = {0, 0, json_array()};
    enum seam_err rc = tally(t, tid, &ty);
    if (rc != SEAM_OK) {
        json_decref(ty.list);
        return rc;
    }
    *out = ty.list;
    return SEAM_OK;
}

/* ---- seamctl verify ---- */

struct check {
    struct store_txn *t;
    void (*problem)(void *ctx, const char *text);
    void *ctx;
    uint64_t count, bad;
};

static void
say(struct check *ck, const uint8_t *key, size_t klen, const char *what)
{
    char tid[TICKET_ID_LEN + 1] = "?", hex[2 * SEAM_HASH_LEN + 1] = "?";
    if (klen == KEY_LEN) {
        memcpy(tid, key, TICKET_ID_LEN);
        tid[TICKET_ID_LEN] = '\0';
        hex_encode(key + TICKET_ID_LEN, SEAM_HASH_LEN, hex);
    }
    char *text = xasprintf("attachment %s of ticket %s: %s", hex, tid, what);
    ck->problem(ck->ctx, text);
    free(text);
    ck->bad++;
}

static int
check_bytes(void *ctx, struct store_val key, struct store_val val)
{
    struct check *ck = ctx;
    struct store_val m;
    uint8_t sum[SEAM_HASH_LEN];
    ck->count++;
    if (key.len != KEY_LEN) {
        say(ck, key.data, key.len, "a key of the wrong length");
        return 0;
    }
    seam_sha256(val.data, val.len, sum);
    if (memcmp(sum, (const uint8_t *)key.data + TICKET_ID_LEN, SEAM_HASH_LEN) != 0)
        say(ck, key.data, key.len, "its bytes do not hash to its name (changed since stored)");
    if (store_get(ck->t, DB_ATTACH_META, key.data, key.len, &m) != SEAM_OK) {
        say(ck, key.data, key.len, "bytes without a description");
        return 0;
    }
    json_t *j = json_loadb(m.data, m.len, 0, NULL);
    if (!json_is_object(j) || (uint64_t)json_integer_value(json_object_get(j, "size")) != val.len)
        say(ck, key.data, key.len, "its description does not match its bytes (size)");
    json_decref(j);
    return 0;
}

static int
check_meta(void *ctx, struct store_val key, struct store_val val)
{
    struct check *ck = ctx;
    struct store_val b;
    (void)val;
    if (store_get(ck->t, DB_ATTACHMENTS, key.data, key.len, &b) != SEAM_OK)
        say(ck, key.data, key.len, "described, but its bytes are missing");
    return 0;
}

enum seam_err
attach_verify(struct store_txn *t, void (*problem)(void *ctx, const char *text), void *ctx,
              uint64_t *count)
{
    struct check ck = {t, problem, ctx, 0, 0};
    enum seam_err rc = store_scan(t, DB_ATTACHMENTS, NULL, 0, 0, check_bytes, &ck);
    if (rc == SEAM_OK)
        rc = store_scan(t, DB_ATTACH_META, NULL, 0, 0, check_meta, &ck);
    *count = ck.count;
    if (rc == SEAM_OK && ck.bad > 0)
        rc = SEAM_ECORRUPT;
    return rc;
}
