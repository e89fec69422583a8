/*
 * test_auth.c: bearer tokens against a real store in a temporary
 * directory: issued tokens verify with their role and subject, also after
 * the store is reopened; wrong, altered, malformed and revoked tokens are
 * refused; the store keeps no token, only its hash; role names; and
 * partners' request signatures (good, altered, stale, malformed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "seam/evidence.h"
#include "store.h"
#include "tap.h"

struct issue_ctx {
    enum role role;
    const char *subject;
    char *token;
    char id[17];
};

static enum seam_err
issue_fn(struct store_txn *t, void *arg)
{
    struct issue_ctx *c = arg;
    return auth_token_issue(t, c->role, c->subject, NULL, &c->token, c->id);
}

static enum seam_err
revoke_fn(struct store_txn *t, void *arg)
{
    return auth_token_revoke(t, arg);
}

/* Issues a token (malloc'd, in c->token); SEAM_OK or the store's error. */
static enum seam_err
issue(struct store *s, struct issue_ctx *c, enum role role, const char *subject)
{
    memset(c, 0, sizeof(*c));
    c->role = role;
    c->subject = subject;
    return store_write(s, issue_fn, c, NULL, NULL);
}

static enum seam_err
revoke(struct store *s, const char *id_or_token)
{
    return store_write(s, revoke_fn, (void *)id_or_token, NULL, NULL);
}

/* auth_check of an Authorization header value in a read transaction. */
static enum seam_err
check(struct store *s, const char *authorization, struct principal *p)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) != SEAM_OK)
        return SEAM_EIO;
    memset(p, 0, sizeof(*p));
    enum seam_err rc = auth_check(t, authorization, p);
    store_read_end(t);
    return rc;
}

static enum seam_err
check_token(struct store *s, const char *token, struct principal *p)
{
    char h[128];
    snprintf(h, sizeof(h), "Bearer %s", token);
    return check(s, h, p);
}

struct find_ctx {
    const char *needle;
    size_t n;
    int found;
};

static int
has_bytes(const void *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp((const char *)hay + i, needle, n) == 0)
            return 1;
    return 0;
}

static int
find_in(void *arg, struct store_val k, struct store_val v)
{
    struct find_ctx *f = arg;
    if (has_bytes(k.data, k.len, f->needle, f->n) || has_bytes(v.data, v.len, f->needle, f->n))
        f->found = 1;
    return 0;
}

struct raw_ctx {
    const char *token;
    const char *id; /* NULL: the right one */
};

/* A token record put by hand, in auth.c's format, under the hash of any string. */
static enum seam_err
raw_fn(struct store_txn *t, void *arg)
{
    struct raw_ctx *c = arg;
    uint8_t h[32];
    char id[17], text[256];
    crypto_generichash(h, 32, (const uint8_t *)c->token, strlen(c->token), NULL, 0);
    hex_encode(h, 8, id);
    if (c->id != NULL)
        snprintf(id, sizeof(id), "%s", c->id);
    snprintf(text, sizeof(text),
             "{\"created_at\":\"2026-01-01T00:00:00.000Z\",\"id\":\"%s\",\"role\":\"lead\","
             "\"subject\":\"desk\"}",
             id);
    return store_put(t, DB_TOKENS, h, 32, text, strlen(text), 0);
}

static void
test_prefix(struct store *s)
{
    struct principal p;
    struct raw_ctx good = {"seam_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", NULL};
    struct raw_ctx bad = {"xeam_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", NULL};
    struct raw_ctx moved = {"seam_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", "0123456789abcdef"};
    ok(store_write(s, raw_fn, &good, NULL, NULL) == SEAM_OK &&
           check_token(s, good.token, &p) == SEAM_OK && p.role == ROLE_LEAD,
       "a record made by hand in the token format verifies");
    ok(store_write(s, raw_fn, &bad, NULL, NULL) == SEAM_OK &&
           check_token(s, bad.token, &p) == SEAM_ENOTFOUND,
       "... but not for a string without the token prefix, though its hash is there");
    ok(store_write(s, raw_fn, &moved, NULL, NULL) == SEAM_OK &&
           check_token(s, moved.token, &p) == SEAM_ENOTFOUND,
       "a record whose id is not its key's is refused");
}

static void
test_tokens(struct store *s)
{
    struct issue_ctx cust, lead, part;
    struct principal p;
    ok(issue(s, &cust, ROLE_CUSTOMER, "C1001") == SEAM_OK && cust.token != NULL,
       "a customer's token is issued");
    ok(strlen(cust.token) == 5 + 43 && strncmp(cust.token, "seam_", 5) == 0,
       "... \"seam_\" and 43 characters");
    ok(strlen(cust.id) == 16 && strspn(cust.id, "0123456789abcdef") == 16,
       "... its id is 16 hex digits");
    ok(issue(s, &lead, ROLE_LEAD, "desk") == SEAM_OK, "a lead token is issued");
    ok(issue(s, &part, ROLE_PARTNER, "skyview") == SEAM_OK, "a partner token is issued");
    ok(strcmp(cust.token, lead.token) != 0 && strcmp(lead.token, part.token) != 0, "tokens differ");

    ok(check_token(s, cust.token, &p) == SEAM_OK && p.role == ROLE_CUSTOMER &&
           !strcmp(p.subject, "C1001") && !strcmp(p.token_id, cust.id),
       "the customer's token verifies: role, subject, token id");
    ok(check_token(s, lead.token, &p) == SEAM_OK && p.role == ROLE_LEAD &&
           !strcmp(p.subject, "desk"),
       "the lead's token verifies as the lead");
    ok(check_token(s, part.token, &p) == SEAM_OK && p.role == ROLE_PARTNER &&
           !strcmp(p.subject, "skyview"),
       "the partner's token verifies as that partner");
    char h[128];
    snprintf(h, sizeof(h), "bearer   %s", cust.token);
    ok(check(s, h, &p) == SEAM_OK && p.role == ROLE_CUSTOMER,
       "the scheme is case-insensitive, spaces after it are skipped");

    /* Wrong tokens: well formed, unknown; one character changed; cut; longer. */
    char wrong[64];
    snprintf(wrong, sizeof(wrong), "%s", cust.token);
    wrong[20] = wrong[20] == 'A' ? 'B' : 'A';
    ok(check_token(s, wrong, &p) == SEAM_ENOTFOUND, "a token with one character changed: refused");
    ok(check_token(s, "seam_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &p) == SEAM_ENOTFOUND,
       "an unknown well-formed token: refused");
    snprintf(wrong, sizeof(wrong), "%.40s", cust.token);
    ok(check_token(s, wrong, &p) == SEAM_ENOTFOUND, "a cut token: refused");
    snprintf(wrong, sizeof(wrong), "%sx", cust.token);
    ok(check_token(s, wrong, &p) == SEAM_ENOTFOUND, "a token with a character more: refused");
    snprintf(wrong, sizeof(wrong), "xeam_%s", cust.token + 5);
    ok(check_token(s, wrong, &p) == SEAM_ENOTFOUND, "a token without its prefix: refused");
    snprintf(h, sizeof(h), "Basic %s", cust.token);
    ok(check(s, h, &p) == SEAM_ENOTFOUND, "another scheme: refused");
    ok(check(s, cust.token, &p) == SEAM_ENOTFOUND, "no scheme: refused");
    ok(check(s, NULL, &p) == SEAM_ENOTFOUND && check(s, "", &p) == SEAM_ENOTFOUND &&
           check(s, "Bearer", &p) == SEAM_ENOTFOUND && check(s, "Bearer ", &p) == SEAM_ENOTFOUND,
       "no header, an empty one, a scheme alone: refused");
    ok(p.role == 0 && p.subject[0] == '\0', "a refusal writes no principal");

    /* The store keeps hashes only. */
    struct store_txn *t;
    struct find_ctx f = {cust.token + 5, 43, 0};
    if (store_read_begin(s, &t) == SEAM_OK) {
        if (store_scan(t, DB_TOKENS, NULL, 0, 0, find_in, &f) != SEAM_OK)
            f.found = 1;
        ok(store_count(t, DB_TOKENS) == 3, "three token records");
        store_read_end(t);
    }
    ok(!f.found, "no token appears in the store");

    /* Revocation: by id, by the token itself. */
    ok(revoke(s, cust.id) == SEAM_OK, "revoking by id");
    ok(check_token(s, cust.token, &p) == SEAM_ENOTFOUND, "... the token is refused");
    ok(check_token(s, lead.token, &p) == SEAM_OK, "... another still verifies");
    ok(revoke(s, part.token) == SEAM_OK, "revoking by the token");
    ok(check_token(s, part.token, &p) == SEAM_ENOTFOUND, "... it is refused");
    ok(revoke(s, cust.id) == SEAM_OK && check_token(s, cust.token, &p) == SEAM_ENOTFOUND,
       "revoking twice: still revoked");
    ok(revoke(s, "0123456789abcdef") == SEAM_ENOTFOUND, "revoking an unknown id: not found");
    ok(revoke(s, "seam_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == SEAM_ENOTFOUND,
       "revoking an unknown token: not found");
    ok(revoke(s, "abc") == SEAM_EINVAL, "revoking by a malformed id: invalid");

    sodium_memzero(cust.token, strlen(cust.token));
    free(cust.token);
    free(part.token);
    free(lead.token);
}

static void
test_roles(void)
{
    static const struct {
        enum role r;
        const char *name;
    } roles[] = {{ROLE_CUSTOMER, "customer"},
                 {ROLE_PARTNER, "partner"},
                 {ROLE_LEAD, "lead"},
                 {ROLE_AUDITOR, "auditor"}};
    int good = 1;
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        good &= !strcmp(auth_role_name(roles[i].r), roles[i].name) &&
                auth_role_parse(roles[i].name) == (int)roles[i].r;
    ok(good, "role names and values round-trip");
    ok(!strcmp(auth_role_name(ROLE_BROKER), "broker") && auth_role_parse("broker") == -1,
       "the broker's role has a name but no token may carry it");
    ok(auth_role_parse("Lead") == -1 && auth_role_parse("") == -1 && auth_role_parse("admin") == -1,
       "unknown role names are refused");
}

static void
test_reopen(const char *dir)
{
    struct store *s = NULL;
    struct issue_ctx aud;
    struct principal p;
    ok(store_open(dir, 1 << 20, 8 << 20, 1, &s) == SEAM_OK, "the store opens");
    ok(issue(s, &aud, ROLE_AUDITOR, "audit-firm") == SEAM_OK, "an auditor's token is issued");
    store_close(s);
    s = NULL;
    ok(store_open(dir, 1 << 20, 8 << 20, 0, &s) == SEAM_OK, "the store opens again");
    ok(s && check_token(s, aud.token, &p) == SEAM_OK && p.role == ROLE_AUDITOR &&
           !strcmp(p.subject, "audit-firm"),
       "a token verifies after the store is reopened");
    if (s)
        ok(revoke(s, aud.id) == SEAM_OK, "... and is revoked");
    store_close(s);
    s = NULL;
    ok(store_open(dir, 1 << 20, 8 << 20, 0, &s) == SEAM_OK &&
           check_token(s, aud.token, &p) == SEAM_ENOTFOUND,
       "a revocation survives a reopen");
    store_close(s);
    free(aud.token);
}

static void
test_signatures(void)
{
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], sig[64];
    char header[256];
    const char *body = "{\"note\":\"cable replaced\"}";
    const char *why = NULL;
    json_t *out = NULL;
    crypto_sign_keypair(pk, sk);
    long long now = (long long)(now_ms() / 1000);

    /* A partner signs seam_partner_message with its key. */
    char *msg = seam_partner_message("POST", "/v1/assignments/A1/resolve", now, body, strlen(body));
    seam_sign_ctx(SEAM_PARTNER_CONTEXT, msg, strlen(msg), sk, sig);
    free(msg);
    char *b64 = seam_b64_encode(sig, 64);
    snprintf(header, sizeof(header), "t=%lld,s=%s", now, b64);
    ok(auth_partner_signature(pk, header, "POST", "/v1/assignments/A1/resolve", body, strlen(body),
                              &out, &why) == SEAM_OK &&
           json_integer_value(json_object_get(out, "t")) == now &&
           !strcmp(json_string_value(json_object_get(out, "s")), b64),
       "a partner's signature verifies and is kept for the event");
    json_decref(out);
    out = NULL;
    ok(auth_partner_signature(pk, header, "POST", "/v1/assignments/A1/resolve", "{}", 2, &out,
                              &why) == SEAM_ENOTFOUND &&
           out == NULL && strstr(why, "does not verify"),
       "another body: refused");
    ok(auth_partner_signature(pk, header, "POST", "/v1/assignments/A2/resolve", body, strlen(body),
                              &out, &why) == SEAM_ENOTFOUND,
       "another path: refused");
    uint8_t other_pk[32], other_sk[64];
    crypto_sign_keypair(other_pk, other_sk);
    ok(auth_partner_signature(other_pk, header, "POST", "/v1/assignments/A1/resolve", body,
                              strlen(body), &out, &why) == SEAM_ENOTFOUND,
       "another partner's key: refused");
    ok(auth_partner_signature(pk, NULL, "POST", "/v1/assignments/A1/resolve", body, strlen(body),
                              &out, &why) == SEAM_ENOTFOUND &&
           strstr(why, "missing"),
       "no header: refused, saying so");
    ok(auth_partner_signature(pk, "t=12,s=", "POST", "/", body, strlen(body), &out, &why) ==
               SEAM_ENOTFOUND &&
           strstr(why, "malformed"),
       "a malformed header: refused");
    snprintf(header, sizeof(header), "t=%lld,s=%s;x", now, b64);
    ok(auth_partner_signature(pk, header, "POST", "/v1/assignments/A1/resolve", body, strlen(body),
                              &out, &why) == SEAM_ENOTFOUND,
       "trailing bytes after the signature: refused");
    free(b64);

    long long old = now - SEAM_SIGNATURE_WINDOW_S - 5;
    msg = seam_partner_message("POST", "/v1/assignments/A1/resolve", old, body, strlen(body));
    seam_sign_ctx(SEAM_PARTNER_CONTEXT, msg, strlen(msg), sk, sig);
    free(msg);
    b64 = seam_b64_encode(sig, 64);
    snprintf(header, sizeof(header), "t=%lld,s=%s", old, b64);
    free(b64);
    ok(auth_partner_signature(pk, header, "POST", "/v1/assignments/A1/resolve", body, strlen(body),
                              &out, &why) == SEAM_ENOTFOUND &&
           strstr(why, "window"),
       "a signature older than the window: refused");
}

int
main(void)
{
    if (sodium_init() < 0)
        return 1;
    char *dir = tap_tmpdir();
    struct store *s = NULL;
    ok(dir && store_open(dir, 1 << 20, 8 << 20, 1, &s) == SEAM_OK, "a store in a temp dir");
    if (s == NULL)
        return done_testing();
    test_tokens(s);
    test_prefix(s);
    store_close(s);
    test_roles();
    test_reopen(dir);
    test_signatures();
    tap_rmtree(dir);
    free(dir);
    return done_testing();
}
