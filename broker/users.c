/*
 * users.c: users, their passwords, links, sessions, TOTP and the sign-in
 * limiter (see users.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "log.h"
#include "seam/evidence.h"
#include "users.h"

static const struct {
    const char *kind;
    enum role role;
} kinds[] = {
    {"customer", ROLE_CUSTOMER}, {"agent", ROLE_PARTNER}, {"supervisor", ROLE_PARTNER},
    {"desk", ROLE_LEAD},         {"manager", ROLE_LEAD},  {"auditor", ROLE_AUDITOR},
};

enum role
users_kind_role(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0)
            return kinds[i].role;
    return (enum role)0;
}

int
users_kind_staff(const char *kind)
{
    return users_kind_role(kind) != 0 && strcmp(kind, "customer") != 0;
}

static int
name_char(char c, int subject)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           (subject && c >= 'A' && c <= 'Z');
}

int
users_id_split(const char *id, char *subject, char *name)
{
    const char *slash = id ? strchr(id, '/') : NULL;
    if (slash == NULL || slash == id || slash - id > 63 || strlen(slash + 1) == 0 ||
        strlen(slash + 1) > USER_NAME_MAX)
        return -1;
    for (const char *p = id; p < slash; p++)
        if (!name_char(*p, 1))
            return -1;
    for (const char *p = slash + 1; *p; p++)
        if (!name_char(*p, 0))
            return -1;
    memcpy(subject, id, (size_t)(slash - id));
    subject[slash - id] = '\0';
    snprintf(name, USER_NAME_MAX + 1, "%s", slash + 1);
    return 0;
}

static enum seam_err
put_json(struct store_txn *t, enum store_db db, const void *key, size_t klen, const json_t *rec,
         unsigned flags)
{
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return SEAM_EINVAL;
    enum seam_err rc = store_put(t, db, key, klen, text, strlen(text), flags);
    free(text);
    return rc;
}

static enum seam_err
get_json(struct store_txn *t, enum store_db db, const void *key, size_t klen, json_t **out)
{
    struct store_val v;
    enum seam_err rc = store_get(t, db, key, klen, &v);
    if (rc != SEAM_OK)
        return rc;
    json_t *rec = json_loadb(v.data, v.len, 0, NULL);
    if (!json_is_object(rec)) {
        json_decref(rec);
        return SEAM_ECORRUPT;
    }
    *out = rec;
    return SEAM_OK;
}

enum seam_err
users_add(struct store_txn *t, const char *id, const char *kind)
{
    char subject[64], name[USER_NAME_MAX + 1], at[32];
    enum role role = users_kind_role(kind);
    if (role == 0 || users_id_split(id, subject, name) != 0)
        return SEAM_EINVAL;
    format_time_ms(now_ms(), at);
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", id, "role", auth_role_name(role),
                  "subject", subject, "name", name, "kind", kind, "created_at", at, "epoch", 1);
    enum seam_err rc = put_json(t, DB_USERS, id, strlen(id), rec, STORE_NOOVERWRITE);
    json_decref(rec);
    return rc;
}

enum seam_err
users_load(struct store_txn *t, const char *id, json_t **out)
{
    if (id == NULL || id[0] == '\0' || strlen(id) > USER_ID_MAX)
        return SEAM_ENOTFOUND;
    return get_json(t, DB_USERS, id, strlen(id), out);
}

struct each {
    users_each_fn fn;
    void *ctx;
    const char *prefix;
    size_t plen;
};

static int
each_one(void *ctx, struct store_val k, struct store_val v)
{
    struct each *e = ctx;
    if (e->prefix && (k.len < e->plen || memcmp(k.data, e->prefix, e->plen) != 0))
        return 1; /* past the subject's users */
    json_t *rec = json_loadb(v.data, v.len, 0, NULL);
    if (json_is_object(rec))
        e->fn(e->ctx, rec);
    json_decref(rec);
    return 0;
}

enum seam_err
users_each(struct store_txn *t, const char *subject, users_each_fn fn, void *ctx)
{
    struct each e = {fn, ctx, NULL, 0};
    char prefix[72];
    if (subject != NULL) {
        snprintf(prefix, sizeof(prefix), "%s/", subject);
        e.prefix = prefix;
        e.plen = strlen(prefix);
    }
    return store_scan(t, DB_USERS, e.prefix, e.plen, 0, each_one, &e);
}

enum seam_err
users_disable(struct store_txn *t, const char *id)
{
    json_t *rec = NULL;
    char at[32];
    enum seam_err rc = users_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    if (json_object_get(rec, "disabled_at") == NULL) {
        format_time_ms(now_ms(), at);
        json_object_set_new(rec, "disabled_at", json_string(at));
        json_object_set_new(rec, "epoch",
                            json_integer(json_integer_value(json_object_get(rec, "epoch")) + 1));
    }
    rc = put_json(t, DB_USERS, id, strlen(id), rec, 0);
    json_decref(rec);
    return rc;
}

enum seam_err
users_email_set(struct store_txn *t, const char *id, const char *email)
{
    json_t *rec = NULL;
    if (email != NULL && !mail_address_valid(email))
        return SEAM_EINVAL;
    enum seam_err rc = users_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    if (email != NULL)
        json_object_set_new(rec, "email", json_string(email));
    else
        json_object_del(rec, "email");
    rc = put_json(t, DB_USERS, id, strlen(id), rec, 0);
    json_decref(rec);
    return rc;
}

enum seam_err
users_end_sessions(struct store_txn *t, const char *id)
{
    json_t *rec = NULL;
    enum seam_err rc = users_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    json_object_set_new(rec, "epoch",
                        json_integer(json_integer_value(json_object_get(rec, "epoch")) + 1));
    rc = put_json(t, DB_USERS, id, strlen(id), rec, 0);
    json_decref(rec);
    return rc;
}

/* ---- personal signing keys ---- */

static json_t *
key_json(const uint8_t pk[32])
{
    char b64[64];
    sodium_bin2base64(b64, sizeof(b64), pk, 32, sodium_base64_VARIANT_ORIGINAL);
    return json_string(b64);
}

/* Moves the user's active key, if any, to "revoked_keys". */
static void
key_retire(json_t *rec, const char *at)
{
    json_t *old = json_object_get(rec, "signing_key");
    if (old == NULL)
        return;
    json_t *list = json_object_get(rec, "revoked_keys");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(rec, "revoked_keys", list);
    }
    json_array_append_new(list, json_pack("{s:O, s:s}", "key", old, "revoked_at", at));
    json_object_del(rec, "signing_key");
    json_object_del(rec, "signing_key_added_at");
}

enum seam_err
users_key_set(struct store_txn *t, const char *id, const uint8_t pk[32])
{
    json_t *rec = NULL, *k = key_json(pk), *x;
    char at[32];
    size_t i;
    enum seam_err rc = users_load(t, id, &rec);
    if (rc != SEAM_OK)
        goto out;
    rc = SEAM_ECONFLICT;
    if (json_object_get(rec, "disabled_at") != NULL ||
        !users_kind_staff(json_string_value(json_object_get(rec, "kind"))))
        goto out;
    rc = SEAM_EEXIST;
    json_array_foreach(json_object_get(rec, "revoked_keys"), i, x)
    {
        if (json_equal(json_object_get(x, "key"), k))
            goto out;
    }
    format_time_ms(now_ms(), at);
    if (!json_equal(json_object_get(rec, "signing_key"), k)) {
        key_retire(rec, at);
        json_object_set(rec, "signing_key", k);
        json_object_set_new(rec, "signing_key_added_at", json_string(at));
    }
    rc = put_json(t, DB_USERS, id, strlen(id), rec, 0);
out:
    json_decref(k);
    json_decref(rec);
    return rc;
}

enum seam_err
users_key_revoke(struct store_txn *t, const char *id)
{
    json_t *rec = NULL;
    char at[32];
    enum seam_err rc = users_load(t, id, &rec);
    if (rc != SEAM_OK)
        return rc;
    if (json_object_get(rec, "signing_key") == NULL) {
        json_decref(rec);
        return SEAM_ENOTFOUND;
    }
    format_time_ms(now_ms(), at);
    key_retire(rec, at);
    rc = put_json(t, DB_USERS, id, strlen(id), rec, 0);
    json_decref(rec);
    return rc;
}

int
users_key_get(const json_t *user, uint8_t pk[32])
{
    const char *b64 = json_string_value(json_object_get(user, "signing_key"));
    return b64 != NULL && json_object_get(user, "disabled_at") == NULL ? users_key_parse(b64, pk)
                                                                       : -1;
}

int
users_key_parse(const char *b64, uint8_t pk[32])
{
    uint8_t buf[33];
    size_t n;
    if (strlen(b64) != 44 || seam_b64_decode(b64, buf, sizeof(buf), &n) != 0 || n != 32)
        return -1;
    memcpy(pk, buf, 32);
    return 0;
}

/* ---- secrets kept as hashes ---- */

static void
secret_hash(const char *s, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)s, len, NULL, 0);
}

/* 32 random bytes, base64url without padding (43 characters) after prefix. */
static char *
secret_new(const char *prefix)
{
    uint8_t raw[32];
    char b64[64];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    char *s = xasprintf("%s%s", prefix, b64);
    sodium_memzero(b64, sizeof(b64));
    return s;
}

enum seam_err
users_link_new(struct store_txn *t, const char *id, const char *kind, int64_t ttl_ms, char **link)
{
    json_t *user = NULL;
    uint8_t h[32];
    enum seam_err rc = users_load(t, id, &user);
    if (rc != SEAM_OK)
        return rc;
    int disabled = json_object_get(user, "disabled_at") != NULL;
    json_decref(user);
    if (disabled)
        return SEAM_ECONFLICT;
    char *s = secret_new(LINK_PREFIX);
    secret_hash(s, strlen(s), h);
    json_t *rec = json_pack("{s:s, s:s, s:I}", "user", id, "kind", kind, "expires",
                            (json_int_t)(now_ms() + ttl_ms));
    rc = put_json(t, DB_LINKS, h, 32, rec, STORE_NOOVERWRITE);
    json_decref(rec);
    if (rc != SEAM_OK) {
        sodium_memzero(s, strlen(s));
        free(s);
        return rc;
    }
    *link = s;
    return SEAM_OK;
}

/* The link's record if valid now (new reference). */
static enum seam_err
link_find(struct store_txn *t, const char *link, uint8_t h[32], json_t **out)
{
    json_t *rec = NULL;
    if (link == NULL || strlen(link) != strlen(LINK_PREFIX) + 43 ||
        strncmp(link, LINK_PREFIX, strlen(LINK_PREFIX)) != 0)
        return SEAM_ENOTFOUND;
    secret_hash(link, strlen(link), h);
    enum seam_err rc = get_json(t, DB_LINKS, h, 32, &rec);
    if (rc != SEAM_OK)
        return rc;
    if (json_integer_value(json_object_get(rec, "expires")) <= now_ms() ||
        !json_is_string(json_object_get(rec, "user"))) {
        json_decref(rec);
        return SEAM_ENOTFOUND;
    }
    *out = rec;
    return SEAM_OK;
}

enum seam_err
users_link_peek(struct store_txn *t, const char *link, char *id)
{
    uint8_t h[32];
    json_t *rec = NULL;
    enum seam_err rc = link_find(t, link, h, &rec);
    if (rc != SEAM_OK)
        return rc;
    snprintf(id, USER_ID_MAX + 1, "%s", json_string_value(json_object_get(rec, "user")));
    json_decref(rec);
    return SEAM_OK;
}

enum seam_err
users_link_use(struct store_txn *t, const char *link, const char *password_hash, int totp_new,
               char *totp_out)
{
    uint8_t h[32];
    json_t *rec = NULL, *user = NULL;
    totp_out[0] = '\0';
    enum seam_err rc = link_find(t, link, h, &rec);
    if (rc != SEAM_OK)
        return rc;
    const char *id = json_string_value(json_object_get(rec, "user"));
    rc = users_load(t, id, &user);
    if (rc == SEAM_OK && json_object_get(user, "disabled_at") != NULL)
        rc = SEAM_ENOTFOUND;
    if (rc != SEAM_OK)
        goto out;
    json_object_set_new(user, "password", json_string(password_hash));
    json_object_set_new(user, "epoch",
                        json_integer(json_integer_value(json_object_get(user, "epoch")) + 1));
    if (totp_new && json_object_get(user, "totp") == NULL) {
        uint8_t key[20];
        randombytes_buf(key, sizeof(key));
        base32_encode(key, sizeof(key), totp_out);
        sodium_memzero(key, sizeof(key));
        json_object_set_new(user, "totp", json_string(totp_out));
    }
    if ((rc = put_json(t, DB_USERS, id, strlen(id), user, 0)) == SEAM_OK)
        rc = store_del(t, DB_LINKS, h, 32);
out:
    json_decref(user);
    json_decref(rec);
    return rc;
}

/* ---- passwords ---- */

int
users_password_hash(const char *password, size_t len, char out[128])
{
    return crypto_pwhash_str(out, password, len, USERS_PWHASH_OPS, USERS_PWHASH_MEM) == 0 ? 0 : -1;
}

int
users_password_verify(const char *hash, const char *password, size_t len)
{
    return crypto_pwhash_str_verify(hash, password, len) == 0 ? 0 : -1;
}

/* ---- sessions ---- */

enum seam_err
users_session_new(struct store_txn *t, const char *id, int64_t epoch, int64_t totp_step,
                  char sid[44], char csrf[65])
{
    json_t *user = NULL;
    uint8_t h[32], c[32];
    enum seam_err rc = users_load(t, id, &user);
    if (rc != SEAM_OK)
        return rc;
    if (json_object_get(user, "disabled_at") != NULL ||
        json_integer_value(json_object_get(user, "epoch")) != epoch) {
        rc = SEAM_ENOTFOUND;
        goto out;
    }
    if (totp_step > 0) {
        if (json_integer_value(json_object_get(user, "totp_step")) >= totp_step) {
            rc = SEAM_ECONFLICT;
            goto out;
        }
        json_object_set_new(user, "totp_step", json_integer(totp_step));
        if ((rc = put_json(t, DB_USERS, id, strlen(id), user, 0)) != SEAM_OK)
            goto out;
    }
    char *s = secret_new("");
    secret_hash(s, strlen(s), h);
    randombytes_buf(c, sizeof(c));
    hex_encode(c, 32, csrf);
    int64_t now = now_ms();
    json_t *rec = json_pack("{s:s, s:I, s:I, s:I, s:s}", "user", id, "epoch", (json_int_t)epoch,
                            "created", (json_int_t)now, "seen", (json_int_t)now, "csrf", csrf);
    rc = put_json(t, DB_SESSIONS, h, 32, rec, STORE_NOOVERWRITE);
    json_decref(rec);
    if (rc == SEAM_OK)
        snprintf(sid, 44, "%s", s);
    sodium_memzero(s, strlen(s));
    free(s);
out:
    json_decref(user);
    return rc;
}

enum seam_err
users_principal_check(struct store_txn *t, struct principal *who)
{
    json_t *user = NULL;
    enum seam_err rc = users_load(t, who->user, &user);
    if (rc != SEAM_OK)
        return rc;
    const char *subject = json_string_value(json_object_get(user, "subject"));
    const char *role = json_string_value(json_object_get(user, "role"));
    const char *kind = json_string_value(json_object_get(user, "kind"));
    if (json_object_get(user, "disabled_at") != NULL || subject == NULL || role == NULL ||
        kind == NULL || strcmp(subject, who->subject) != 0 ||
        auth_role_parse(role) != (int)who->role || strlen(kind) >= sizeof(who->kind))
        rc = SEAM_ENOTFOUND;
    else
        snprintf(who->kind, sizeof(who->kind), "%s", kind);
    json_decref(user);
    return rc;
}

enum seam_err
users_session_check(struct store_txn *t, const char *sid, int64_t idle_ms, int64_t absolute_ms,
                    struct principal *who, struct session_info *info)
{
    json_t *rec = NULL, *user = NULL;
    struct principal p;
    if (sid == NULL || strlen(sid) != 43)
        return SEAM_ENOTFOUND;
    secret_hash(sid, 43, info->key);
    enum seam_err rc = get_json(t, DB_SESSIONS, info->key, 32, &rec);
    if (rc != SEAM_OK)
        return rc == SEAM_ECORRUPT ? SEAM_ENOTFOUND : rc;
    int64_t now = now_ms();
    const char *id = json_string_value(json_object_get(rec, "user"));
    const char *csrf = json_string_value(json_object_get(rec, "csrf"));
    info->created = json_integer_value(json_object_get(rec, "created"));
    info->seen = json_integer_value(json_object_get(rec, "seen"));
    rc = SEAM_ENOTFOUND;
    if (id == NULL || csrf == NULL || strlen(csrf) != 64 || now - info->seen > idle_ms ||
        now - info->created > absolute_ms)
        goto out;
    enum seam_err urc = users_load(t, id, &user);
    if (urc != SEAM_OK) {
        rc = urc == SEAM_ECORRUPT ? SEAM_ENOTFOUND : urc;
        goto out;
    }
    const char *role = json_string_value(json_object_get(user, "role"));
    const char *subject = json_string_value(json_object_get(user, "subject"));
    const char *kind = json_string_value(json_object_get(user, "kind"));
    if (json_object_get(user, "disabled_at") != NULL || role == NULL || subject == NULL ||
        kind == NULL || auth_role_parse(role) < 0 || strlen(subject) >= sizeof(p.subject) ||
        strlen(kind) >= sizeof(p.kind) || strlen(id) >= sizeof(p.user) ||
        json_integer_value(json_object_get(user, "epoch")) !=
            json_integer_value(json_object_get(rec, "epoch")))
        goto out;
    memset(&p, 0, sizeof(p));
    p.role = (enum role)auth_role_parse(role);
    snprintf(p.subject, sizeof(p.subject), "%s", subject);
    snprintf(p.user, sizeof(p.user), "%s", id);
    snprintf(p.kind, sizeof(p.kind), "%s", kind);
    hex_encode(info->key, 8, p.token_id);
    p.session = 1;
    *who = p;
    memcpy(info->csrf, csrf, 65);
    /* Written again once a tenth of the idle time has passed: a session in use
     * costs a write now and then, not one per request. */
    info->stale = now - info->seen > idle_ms / 10;
    rc = SEAM_OK;
out:
    json_decref(user);
    json_decref(rec);
    return rc;
}

enum seam_err
users_session_touch(struct store_txn *t, const uint8_t key[32])
{
    json_t *rec = NULL;
    enum seam_err rc = get_json(t, DB_SESSIONS, key, 32, &rec);
    if (rc != SEAM_OK)
        return rc;
    json_object_set_new(rec, "seen", json_integer(now_ms()));
    rc = put_json(t, DB_SESSIONS, key, 32, rec, 0);
    json_decref(rec);
    return rc;
}

enum seam_err
users_session_end(struct store_txn *t, const uint8_t key[32])
{
    return store_del(t, DB_SESSIONS, key, 32);
}

/* ---- TOTP ---- */

uint32_t
totp_code(const uint8_t *key, size_t klen, uint64_t step, const char *digest, unsigned digits)
{
    uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned mlen = 0;
    const EVP_MD *md = strcmp(digest, "sha256") == 0   ? EVP_sha256()
                       : strcmp(digest, "sha512") == 0 ? EVP_sha512()
                                                       : EVP_sha1();
    be64_put(msg, step);
    if (HMAC(md, key, (int)klen, msg, sizeof(msg), mac, &mlen) == NULL || mlen < 20)
        return UINT32_MAX;
    unsigned off = mac[mlen - 1] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
    uint32_t mod = 1;
    for (unsigned i = 0; i < digits; i++)
        mod *= 10;
    return bin % mod;
}

int
totp_check(const char *secret_b32, const char *code, int64_t now_s, int64_t *step)
{
    uint8_t key[64];
    size_t klen;
    char want[8];
    if (code == NULL || strlen(code) != 6 || strspn(code, "0123456789") != 6 ||
        base32_decode(secret_b32, key, sizeof(key), &klen) != 0 || klen == 0)
        return 0;
    int64_t s0 = now_s / TOTP_STEP_S;
    int hit = 0;
    for (int64_t d = -1; d <= 1; d++) {
        snprintf(want, sizeof(want), "%06u", totp_code(key, klen, (uint64_t)(s0 + d), "sha1", 6));
        if (sodium_memcmp(want, code, 6) == 0 && !hit) {
            hit = 1;
            *step = s0 + d;
        }
    }
    sodium_memzero(key, sizeof(key));
    return hit;
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int
base32_decode(const char *in, uint8_t *out, size_t cap, size_t *len)
{
    uint32_t buf = 0;
    int bits = 0;
    size_t n = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
        const char *at = strchr(b32, c);
        if (c == '\0' || at == NULL)
            return -1;
        buf = (buf << 5) | (uint32_t)(at - b32);
        bits += 5;
        if (bits >= 8) {
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(buf >> (bits - 8));
            bits -= 8;
        }
    }
    *len = n;
    return 0;
}

void
base32_encode(const uint8_t *in, size_t n, char *out)
{
    uint32_t buf = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = b32[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = b32[(buf << (5 - bits)) & 31];
    out[o] = '\0';
}

/* ---- the sign-in limiter ---- */

/*
 * A fixed table of slots by the key's hash (bounded memory whatever the
 * keys): a slot holds one key's count; a key meeting a slot held by another
 * key idle for 15 minutes takes it over, else shares it (a collision can
 * only lock sooner, never let more tries through). A shared slot is not
 * cleared by one of its keys' success: it holds the others' failures too,
 * which a success of an account whose key meets the victim's slot would
 * otherwise wipe between guesses; it is forgotten after a quiet quarter hour.
 */
#define LIMIT_SLOTS 4096
#define LIMIT_WINDOW_MS (15 * 60 * 1000)
#define LIMIT_MAX_MS (60 * 60 * 1000)

struct limit_slot {
    uint64_t key;
    unsigned failures;
    int shared; /* another key's failures are counted here too */
    int64_t last, locked_until;
};

static pthread_mutex_t limit_mu = PTHREAD_MUTEX_INITIALIZER;
static struct limit_slot limit_slots[LIMIT_SLOTS]; /* under limit_mu */

static struct limit_slot *
limit_slot(const char *key, int64_t now)
{
    uint64_t h;
    crypto_generichash((uint8_t *)&h, sizeof(h), (const uint8_t *)key, strlen(key), NULL, 0);
    struct limit_slot *s = &limit_slots[h % LIMIT_SLOTS];
    if (s->key != h && (s->failures == 0 || now - s->last > LIMIT_WINDOW_MS)) {
        memset(s, 0, sizeof(*s));
        s->key = h;
    }
    if (s->failures > 0 && now - s->last > LIMIT_WINDOW_MS && now >= s->locked_until) {
        s->failures = 0; /* forgotten after a quiet quarter hour */
        s->shared = 0;
    }
    if (s->key != h)
        s->shared = 1;
    return s;
}

int64_t
users_limit_check(const char *key, int64_t now)
{
    pthread_mutex_lock(&limit_mu);
    struct limit_slot *s = limit_slot(key, now);
    int64_t wait = s->locked_until > now ? s->locked_until - now : 0;
    pthread_mutex_unlock(&limit_mu);
    return wait;
}

void
users_limit_fail(const char *key, unsigned max, int64_t base_ms, int64_t now)
{
    pthread_mutex_lock(&limit_mu);
    struct limit_slot *s = limit_slot(key, now);
    s->failures++;
    s->last = now;
    if (s->failures >= max) {
        int64_t lock = base_ms;
        for (unsigned i = max; i < s->failures && lock < LIMIT_MAX_MS; i++)
            lock *= 2;
        s->locked_until = now + (lock < LIMIT_MAX_MS ? lock : LIMIT_MAX_MS);
    }
    pthread_mutex_unlock(&limit_mu);
}

void
users_limit_clear(const char *key)
{
    uint64_t h;
    crypto_generichash((uint8_t *)&h, sizeof(h), (const uint8_t *)key, strlen(key), NULL, 0);
    pthread_mutex_lock(&limit_mu);
    struct limit_slot *s = limit_slot(key, now_ms());
    if (s->key == h && !s->shared)
        memset(s, 0, sizeof(*s));
    pthread_mutex_unlock(&limit_mu);
}

/* ---- a session's use, written without waiting ---- */

struct touch_job {
    struct store_job job;
    uint8_t key[32];
};

static enum seam_err
touch_apply(struct store_txn *t, struct store_job *job)
{
    struct touch_job *j = (struct touch_job *)job;
    enum seam_err rc = users_session_touch(t, j->key);
    return rc == SEAM_ENOTFOUND ? SEAM_OK : rc; /* signed out meanwhile */
}

static void
touch_done(struct store_job *job)
{
    free(job);
}

void
users_session_touch_submit(struct store *s, const uint8_t key[32])
{
    struct touch_job *j = xcalloc(1, sizeof(*j));
    j->job.apply = touch_apply;
    j->job.done = touch_done;
    memcpy(j->key, key, 32);
    if (store_submit(s, &j->job) != SEAM_OK)
        free(j); /* busy or stopping: the next request tries again */
}
