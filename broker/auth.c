/*
 * auth.c: tokens and principals (see auth.h). A token record is JSON:
 * {"id","role","subject","created_at","revoked_at"?}. Revocation keeps the
 * record so a revoked token is told apart from an unknown one in the log,
 * never in the answer (both are 401).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "auth.h"
#include "json_fast.h"
#include "log.h"
#include "seam/evidence.h"

#define TOKEN_PREFIX "seam_"
#define TOKEN_B64_LEN 43

static const char *const role_names[] = {"customer", "partner", "lead", "auditor"};

const char *
auth_role_name(enum role r)
{
    switch (r) {
    case ROLE_CUSTOMER:
        return "customer";
    case ROLE_PARTNER:
        return "partner";
    case ROLE_LEAD:
        return "lead";
    case ROLE_AUDITOR:
        return "auditor";
    case ROLE_BROKER:
        return "broker";
    }
    return "none";
}

int
auth_role_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, role_names[i]) == 0)
            return 1 << i;
    return -1;
}

static void
token_hash(const char *token, size_t len, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)token, len, NULL, 0);
}

enum seam_err
auth_check(struct store_txn *t, const char *authorization, struct principal *out)
{
    uint8_t h[32];
    struct store_val v;
    const char *tok;
    struct principal p;

    if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
        return SEAM_ENOTFOUND;
    tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    size_t len = strlen(tok);
    if (len != strlen(TOKEN_PREFIX) + TOKEN_B64_LEN || strncmp(tok, TOKEN_PREFIX, 5) != 0)
        return SEAM_ENOTFOUND;
    token_hash(tok, len, h);
    enum seam_err grc = store_get(t, DB_TOKENS, h, 32, &v);
    if (grc != SEAM_OK)
        return grc; /* no such token, or the store failed: not the client's doing */
    json_t *rec = json_cache_load(v.data, v.len); /* read on every request */
    if (rec == NULL)
        return SEAM_ENOTFOUND;
    const char *role = json_string_value(json_object_get(rec, "role"));
    const char *subject = json_string_value(json_object_get(rec, "subject"));
    const char *id = json_string_value(json_object_get(rec, "id"));
    char want_id[17];
    hex_encode(h, 8, want_id);
    enum seam_err rc = SEAM_ENOTFOUND;
    if (json_object_get(rec, "revoked_at") != NULL || role == NULL || subject == NULL ||
        id == NULL || auth_role_parse(role) < 0 || strlen(subject) >= sizeof(p.subject) ||
        sodium_memcmp(id, want_id, 16) != 0)
        goto out;
    memset(&p, 0, sizeof(p));
    p.role = (enum role)auth_role_parse(role);
    snprintf(p.subject, sizeof(p.subject), "%s", subject);
    const char *user = json_string_value(json_object_get(rec, "user"));
    if (user != NULL) { /* issued to a user: http.c checks the user is still active */
        if (strlen(user) >= sizeof(p.user))
            goto out;
        snprintf(p.user, sizeof(p.user), "%s", user);
    }
    memcpy(p.token_id, want_id, sizeof(want_id));
    *out = p;
    rc = SEAM_OK;
out:
    json_decref(rec);
    return rc;
}

enum seam_err
auth_token_issue(struct store_txn *t, enum role role, const char *subject, const char *user,
                 char **token, char token_id[17])
{
    uint8_t raw[32], h[32];
    char b64[64], ts[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    char *tok = xasprintf("%s%s", TOKEN_PREFIX, b64);
    sodium_memzero(b64, sizeof(b64));
    token_hash(tok, strlen(tok), h);
    hex_encode(h, 8, token_id);
    format_time_ms(now_ms(), ts);
    json_t *rec = json_pack("{s:s, s:s, s:s, s:s}", "id", token_id, "role", auth_role_name(role),
                            "subject", subject, "created_at", ts);
    if (user != NULL)
        json_object_set_new(rec, "user", json_string(user));
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rec);
    enum seam_err rc = store_put(t, DB_TOKENS, h, 32, text, strlen(text), STORE_NOOVERWRITE);
    free(text);
    if (rc != SEAM_OK) {
        sodium_memzero(tok, strlen(tok));
        free(tok);
        return rc;
    }
    *token = tok;
    return SEAM_OK;
}

struct revoke_find {
    const char *id;
    uint8_t key[32];
    int found;
};

static int
find_by_id(void *ctx, struct store_val k, struct store_val v)
{
    struct revoke_find *f = ctx;
    char id[17];
    (void)v;
    if (k.len != 32)
        return 0;
    hex_encode(k.data, 8, id);
    if (strcmp(id, f->id) == 0) {
        memcpy(f->key, k.data, 32);
        f->found = 1;
        return 1;
    }
    return 0;
}

enum seam_err
auth_token_revoke(struct store_txn *t, const char *id_or_token)
{
    struct revoke_find f = {.id = id_or_token};
    struct store_val v;
    char ts[32];
    enum seam_err rc;
    if (strncmp(id_or_token, TOKEN_PREFIX, 5) == 0) {
        token_hash(id_or_token, strlen(id_or_token), f.key);
        f.found = 1;
    } else {
        if (strlen(id_or_token) != 16)
            return SEAM_EINVAL;
        if ((rc = store_scan(t, DB_TOKENS, NULL, 0, 0, find_by_id, &f)) != SEAM_OK)
            return rc;
    }
    if (!f.found || store_get(t, DB_TOKENS, f.key, 32, &v) != SEAM_OK)
        return SEAM_ENOTFOUND;
    json_t *rec = json_loadb(v.data, v.len, 0, NULL);
    if (rec == NULL)
        return SEAM_ECORRUPT;
    if (json_object_get(rec, "revoked_at") == NULL) {
        format_time_ms(now_ms(), ts);
        json_object_set_new(rec, "revoked_at", json_string(ts));
    }
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(rec);
    rc = store_put(t, DB_TOKENS, f.key, 32, text, strlen(text), 0);
    free(text);
    return rc;
}

struct token_each {
    auth_token_fn fn;
    void *ctx;
};

static int
token_one(void *ctx, struct store_val k, struct store_val v)
{
    struct token_each *e = ctx;
    (void)k;
    json_t *rec = json_loadb(v.data, v.len, 0, NULL);
    if (rec != NULL)
        e->fn(e->ctx, rec);
    json_decref(rec);
    return 0;
}

enum seam_err
auth_token_each(struct store_txn *t, auth_token_fn fn, void *ctx)
{
    struct token_each e = {fn, ctx};
    return store_scan(t, DB_TOKENS, NULL, 0, 0, token_one, &e);
}

/* ---- partners' request signatures ---- */

enum seam_err
auth_partner_signature(const uint8_t pk[32], const char *header, const char *method,
                       const char *path, const char *body, size_t len, json_t **out,
                       const char **why)
{
    long long ts;
    char sig64[128], hex[65];
    uint8_t sig[64];
    size_t n;
    int used = 0;
    if (header == NULL) {
        *why = "this partner signs its requests: the seam-signature header is missing";
        return SEAM_ENOTFOUND;
    }
    if (sscanf(header, "t=%lld,s=%100[A-Za-z0-9+/=]%n", &ts, sig64, &used) != 2 ||
        header[used] != '\0' || seam_b64_decode(sig64, sig, sizeof(sig), &n) != 0 || n != 64) {
        *why = "malformed seam-signature header (t=TIMESTAMP,s=BASE64)";
        return SEAM_ENOTFOUND;
    }
    long long now_s = (long long)(now_ms() / 1000);
    /* Compared without a subtraction of ts: t=-9223372036854775808 would overflow it. */
    if (ts < now_s - SEAM_SIGNATURE_WINDOW_S || ts > now_s + SEAM_SIGNATURE_WINDOW_S) {
        *why = "the signature's timestamp is outside the accepted window";
        return SEAM_ENOTFOUND;
    }
    char *msg = seam_partner_message(method, path, ts, body, len);
    int ok = seam_verify_ctx(SEAM_PARTNER_CONTEXT, msg, strlen(msg), sig, pk) == 0;
    free(msg);
    if (!ok) {
        *why = "the request signature does not verify";
        return SEAM_ENOTFOUND;
    }
    seam_sha256_hex(body ? body : "", body ? len : 0, hex);
    *out = json_pack("{s:I, s:s, s:s, s:s, s:s}", "t", (json_int_t)ts, "s", sig64, "method", method,
                     "path", path, "body_sha256", hex);
    return SEAM_OK;
}
